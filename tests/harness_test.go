package tests

import (
	"testing"

	"github.com/aws-foundation/aws-foundation/internal/mockrun"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTheMockRefusesInvokesTheProgramDoesNotUse(t *testing.T) {
	t.Parallel()
	_, err := mockrun.Run(func(ctx *pulumi.Context) error {
		var out struct{}
		return ctx.Invoke("aws:ec2/getAmi:getAmi", map[string]any{"mostRecent": true}, &out)
	}, mockrun.Options{})
	require.Error(t, err, "a lookup the mock does not know must fail, not return empty data")
	assert.Contains(t, err.Error(), `unexpected invoke "aws:ec2/getAmi:getAmi"`)
}

func TestTheMockAnswersTheLookupsTheProgramUses(t *testing.T) {
	t.Parallel()
	res := runStack(t, "prod", false)
	seen := map[string]bool{}
	for _, inv := range res.Invokes {
		seen[inv.Token] = true
	}
	for _, token := range []string{"aws:index/getCallerIdentity:getCallerIdentity", "aws:index/getRegion:getRegion",
		"aws:index/getPartition:getPartition"} {
		assert.True(t, seen[token], "prod looks up %s", token)
	}
	assert.False(t, seen["aws:index/getAvailabilityZones:getAvailabilityZones"], "prod names its AZs")
}
