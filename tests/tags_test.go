package tests

import (
	"strings"
	"testing"

	"github.com/aws-foundation/aws-foundation/components"
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCallerTagsReachEveryTaggableChildOfEveryComponentUnderItsOwnName(t *testing.T) {
	t.Parallel()
	tags := map[string]string{"Owner": "team-network", "CostCenter": "cc-42"}
	res, err := mockrun.Run(func(ctx *pulumi.Context) error {
		n, err := components.NewNetwork(ctx, "net", &components.NetworkArgs{Tags: tags})
		if err != nil {
			return err
		}
		if _, err := components.NewFlowLogs(ctx, "net", &components.FlowLogsArgs{VpcId: n.VpcId, Tags: tags}); err != nil {
			return err
		}
		_, err = components.NewStateBackend(ctx, "state", &components.StateBackendArgs{Tags: tags})
		return err
	}, mockrun.Options{})
	require.NoError(t, err)
	tagged := 0
	for _, r := range res.AWS() {
		got, ok := r.Value("tags").(map[string]any)
		if !ok {
			continue
		}
		tagged++
		assert.Equal(t, "team-network", got["Owner"], "%s", r)
		assert.Equal(t, "cc-42", got["CostCenter"], "%s", r)
		assert.True(t, strings.HasPrefix(got["Name"].(string), "net") || strings.HasPrefix(got["Name"].(string), "state"),
			"%s keeps its own Name, got %v", r, got["Name"])
	}
	assert.Greater(t, tagged, 20, "every taggable child of the three components")
}

func TestTagsAwsWouldRefuseAreReportedForEveryComponentBeforeAnythingIsRegistered(t *testing.T) {
	t.Parallel()
	bad := map[string]string{"aws:createdBy": "x", "Name": "mine", "": "empty", "Long": strings.Repeat("v", 300)}
	cases := map[string]func(ctx *pulumi.Context) error{
		"Network": func(ctx *pulumi.Context) error {
			_, err := components.NewNetwork(ctx, "net", &components.NetworkArgs{Tags: bad})
			return err
		},
		"FlowLogs": func(ctx *pulumi.Context) error {
			_, err := components.NewFlowLogs(ctx, "net", &components.FlowLogsArgs{VpcId: pulumi.String("vpc-1"), Tags: bad})
			return err
		},
		"StateBackend": func(ctx *pulumi.Context) error {
			_, err := components.NewStateBackend(ctx, "state", &components.StateBackendArgs{Tags: bad})
			return err
		},
	}
	for name, run := range cases {
		t.Run(name, func(t *testing.T) {
			res, err := mockrun.Run(run, mockrun.Options{})
			require.Error(t, err)
			for _, want := range []string{`Tags: key "aws:createdBy" uses the aws: prefix`, `Tags: key "Name" is set by the component`,
				`Tags: key "" must be 1 to 128 characters`, `Tags: value of "Long" is 300 characters`} {
				assert.Contains(t, err.Error(), want)
			}
			requireNothingRegistered(t, res)
		})
	}
}
