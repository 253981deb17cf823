// Package tests runs the program and its components under Pulumi mocks and checks what they would create.
// Nothing here reaches AWS or needs a plugin.
package tests

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws-foundation/aws-foundation/components"
	"github.com/aws-foundation/aws-foundation/internal/buckets"
	"github.com/aws-foundation/aws-foundation/internal/controls"
	"github.com/aws-foundation/aws-foundation/internal/iampolicy"
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
	"github.com/aws-foundation/aws-foundation/internal/stackrun"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"
)

// repoRoot is where the stack files live, relative to this package.
const repoRoot = ".."

// runComponent runs a program that builds one component under mocks (the default account and region) and fails
// the test if it errors. It is the one way tests run a component.
func runComponent(t testing.TB, build func(ctx *pulumi.Context) error) *mockrun.Result {
	t.Helper()
	res, err := mockrun.Run(build, mockrun.Options{})
	require.NoError(t, err)
	return res
}

// runNetwork runs one Network named "net".
func runNetwork(t testing.TB, args components.NetworkArgs) *mockrun.Result {
	t.Helper()
	return runComponent(t, func(ctx *pulumi.Context) error {
		_, err := components.NewNetwork(ctx, "net", &args)
		return err
	})
}

// runFlowLogs runs one FlowLogs named "fl" for testVpcID.
func runFlowLogs(t testing.TB, args components.FlowLogsArgs) *mockrun.Result {
	t.Helper()
	if args.VpcId == nil {
		args.VpcId = pulumi.String(testVpcID)
	}
	return runComponent(t, func(ctx *pulumi.Context) error {
		_, err := components.NewFlowLogs(ctx, "fl", &args)
		return err
	})
}

// runStateBackend runs one StateBackend named "state".
func runStateBackend(t testing.TB, args components.StateBackendArgs) *mockrun.Result {
	t.Helper()
	return runComponent(t, func(ctx *pulumi.Context) error {
		_, err := components.NewStateBackend(ctx, "state", &args)
		return err
	})
}

// stackRuns holds one run of each stack file per test binary: the program is deterministic under mocks.
var stackRuns sync.Map // "<stack> <dryRun>" -> *stackRun

type stackRun struct {
	once sync.Once
	res  *mockrun.Result
	err  error
}

// runStack runs a stack from its real stack file, as `pulumi up` (dryRun false) or `pulumi preview`. The result
// is shared by every test that asks for the same run: never change it; edit, mutate and drop return changed copies.
func runStack(t testing.TB, stack string, dryRun bool) *mockrun.Result {
	t.Helper()
	v, _ := stackRuns.LoadOrStore(fmt.Sprint(stack, " ", dryRun), &stackRun{})
	r := v.(*stackRun)
	r.once.Do(func() { r.res, r.err = stackrun.Run(repoRoot, stack, dryRun) })
	require.NoError(t, r.err, "stack %s (preview=%v)", stack, dryRun)
	return r.res
}

// stackNames lists every stack file in the repository.
func stackNames(t testing.TB) []string {
	t.Helper()
	names, err := stackrun.Names(repoRoot)
	require.NoError(t, err)
	require.NotEmpty(t, names)
	return names
}

// companion returns the single resource of typ that configures bucket.
func companion(t testing.TB, res *mockrun.Result, typ string, bucket mockrun.Resource) mockrun.Resource {
	t.Helper()
	found := buckets.Companions(res, typ, bucket.ID)
	require.Len(t, found, 1, "%s of %s", typ, bucket)
	return found[0]
}

// one returns the single resource of typ named name.
func one(t testing.TB, res *mockrun.Result, typ, name string) mockrun.Resource {
	t.Helper()
	r, err := res.One(typ, name)
	require.NoError(t, err)
	return r
}

// component returns the single component of typ.
func component(t testing.TB, res *mockrun.Result, typ string) mockrun.Resource {
	t.Helper()
	all := res.OfType(typ)
	require.Len(t, all, 1, "want exactly one %s", typ)
	return all[0]
}

// requireNoDuplicateURNs fails when any URN was registered twice; the mock monitor allows it, the engine does not.
func requireNoDuplicateURNs(t testing.TB, res *mockrun.Result) {
	t.Helper()
	seen := map[string]int{}
	for _, r := range res.Resources {
		seen[r.URN]++
	}
	var dups []string
	for urn, n := range seen {
		if n > 1 {
			dups = append(dups, fmt.Sprintf("%s (x%d)", urn, n))
		}
	}
	require.Empty(t, dups, "URNs registered more than once")
}

// requireNothingRegistered fails when a failed run registered any component or AWS resource.
func requireNothingRegistered(t testing.TB, res *mockrun.Result) {
	t.Helper()
	require.NotNil(t, res)
	var names []string
	for _, r := range res.Resources {
		if !mockrun.IsProviderOrStack(r.Type) {
			names = append(names, r.String())
		}
	}
	require.Empty(t, names, "invalid input must be refused before anything is registered")
}

// requireNoChildCreated fails when a failed run created any AWS resource. A component registers itself before its
// lookups (so that they use its provider); what only a lookup reveals is refused after that, before any child.
func requireNoChildCreated(t testing.TB, res *mockrun.Result) {
	t.Helper()
	require.NotNil(t, res)
	var names []string
	for _, r := range res.AWS() {
		names = append(names, r.String())
	}
	require.Empty(t, names, "a problem the lookups reveal must be refused before any child is created")
}

// requireClean fails with every finding of a check.
func requireClean(t testing.TB, findings []controls.Finding, what string) {
	t.Helper()
	var lines []string
	for _, f := range findings {
		lines = append(lines, f.String())
	}
	require.Empty(t, findings, "%s:\n%s", what, strings.Join(lines, "\n"))
}

// requireControlsHold fails unless every listed control passes, or fails only where an exception accepts it.
func requireControlsHold(t testing.TB, res *mockrun.Result, ids ...string) {
	t.Helper()
	for _, o := range controls.Evaluate(res) {
		if slices.Contains(ids, o.Control.ID) {
			var lines []string
			for _, f := range o.Failures {
				lines = append(lines, f.String())
			}
			require.Contains(t, []controls.Status{controls.Pass, controls.Accepted}, o.Status,
				"%s %s:\n%s", o.Control.ID, o.Control.Title, strings.Join(lines, "\n"))
		}
	}
}

// policyOf parses the policy document in a resource's input key.
func policyOf(t testing.TB, r mockrun.Resource, key string) []iampolicy.Statement {
	t.Helper()
	stmts, err := iampolicy.Parse(r.Str(key))
	require.NoError(t, err, "%s.%s", r, key)
	return stmts
}

// defaultTags are the tags a stack file gives every resource of the default provider (aws:defaultTags).
func defaultTags(t testing.TB, res *mockrun.Result) map[string]string {
	t.Helper()
	var defaults struct {
		Tags map[string]string `json:"tags"`
	}
	if raw := res.Config["aws:defaultTags"]; raw != "" {
		require.NoError(t, json.Unmarshal([]byte(raw), &defaults), "%s: aws:defaultTags", res.Stack)
	}
	return defaults.Tags
}

// resourceTagKeys are tags as the aws:ResourceTag/<key> context keys of a request on the resource that has them.
func resourceTagKeys(tags map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range tags {
		out["aws:ResourceTag/"+k] = v
	}
	return out
}
