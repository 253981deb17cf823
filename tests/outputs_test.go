package tests

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws-foundation/aws-foundation/components"
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
	"github.com/aws-foundation/aws-foundation/internal/report"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// outputNames runs one component under mocks and returns the names of its outputs.
func outputNames(t *testing.T, build func(ctx *pulumi.Context) (pulumi.Map, error)) []string {
	t.Helper()
	var names []string
	_, err := mockrun.Run(func(ctx *pulumi.Context) error {
		outs, err := build(ctx)
		names = slices.Sorted(maps.Keys(outs))
		return err
	}, mockrun.Options{})
	require.NoError(t, err)
	require.NotEmpty(t, names)
	return names
}

func networkOutputs(t *testing.T) []string {
	return outputNames(t, func(ctx *pulumi.Context) (pulumi.Map, error) {
		n, err := components.NewNetwork(ctx, "net", &components.NetworkArgs{})
		if err != nil {
			return nil, err
		}
		return n.Outputs(), nil
	})
}

func flowLogsOutputs(t *testing.T) []string {
	return outputNames(t, func(ctx *pulumi.Context) (pulumi.Map, error) {
		f, err := components.NewFlowLogs(ctx, "net", &components.FlowLogsArgs{VpcId: pulumi.String("vpc-1")})
		if err != nil {
			return nil, err
		}
		return f.Outputs(), nil
	})
}

func stateBackendOutputs(t *testing.T) []string {
	return outputNames(t, func(ctx *pulumi.Context) (pulumi.Map, error) {
		b, err := components.NewStateBackend(ctx, "state", &components.StateBackendArgs{})
		if err != nil {
			return nil, err
		}
		return b.Outputs(), nil
	})
}

// environmentExports are what every environment stack exports: the Network's outputs and the FlowLogs' outputs,
// prefixed with flowLogs unless they already name the flow log.
func environmentExports(t *testing.T) []string {
	t.Helper()
	want := networkOutputs(t)
	for _, k := range flowLogsOutputs(t) {
		if strings.HasPrefix(k, "flowLog") {
			want = append(want, k)
		} else {
			want = append(want, "flowLogs"+strings.ToUpper(k[:1])+k[1:])
		}
	}
	slices.Sort(want)
	return want
}

func TestStackExportsAreTheComponentsOutputs(t *testing.T) {
	t.Parallel()
	envExports := slices.Sorted(maps.Keys(runStack(t, "prod", false).Exports))
	want := environmentExports(t)
	assert.Equal(t, want, envExports, "an environment stack exports the Network's outputs and the FlowLogs' (prefixed)")
	raw, err := os.ReadFile(filepath.Join(repoRoot, report.ComponentsDoc))
	require.NoError(t, err)
	for _, k := range want {
		assert.Contains(t, string(raw), "`"+k+"`", "%s names the export %s", report.ComponentsDoc, k)
	}
	bootExports := slices.Sorted(maps.Keys(runStack(t, "bootstrap", false).Exports))
	assert.Equal(t, stateBackendOutputs(t), bootExports, "the bootstrap stack exports the StateBackend's outputs")
}
