package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws-foundation/aws-foundation/internal/mockrun"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The mocks' own region is us-east-1: anything that escapes the explicit provider shows up as us-east-1.
func runExample(t *testing.T) *mockrun.Result {
	t.Helper()
	res, err := mockrun.Run(run, mockrun.Options{Project: "multiregion", Stack: "example",
		Config: map[string]string{"aws:region": "us-east-1"}})
	require.NoError(t, err)
	return res
}

func providerRef(t *testing.T, res *mockrun.Result) string {
	t.Helper()
	providers := res.OfType("pulumi:providers:aws")
	require.Len(t, providers, 1)
	return providers[0].URN + "::" + providers[0].ID
}

func TestEveryLookupGoesThroughTheExplicitProvider(t *testing.T) {
	res := runExample(t)
	ref := providerRef(t, res)
	require.NotEmpty(t, res.Invokes)
	for _, inv := range res.Invokes {
		assert.Equal(t, ref, inv.Provider, "invoke %s used another provider than the components' own", inv.Token)
	}
}

func TestEveryChildIsCreatedThroughTheExplicitProvider(t *testing.T) {
	res := runExample(t)
	ref := providerRef(t, res)
	require.NotEmpty(t, res.AWS())
	for _, r := range res.AWS() {
		assert.Equal(t, ref, r.Provider, "%s was created with another provider", r)
	}
}

func TestEveryArnServiceNameAndZoneIsInTheProvidersRegion(t *testing.T) {
	res := runExample(t)
	seen := 0
	for _, r := range res.AWS() {
		for key, v := range r.Inputs {
			assert.NotContains(t, fmt.Sprint(v.Mappable()), "us-east-1", "%s.%s names the stack's default region", r, key)
		}
		if strings.Contains(r.Str("serviceName")+r.Str("availabilityZone")+r.Str("policy"), Region) {
			seen++
		}
	}
	assert.Greater(t, seen, 6, "the endpoint's service name, the subnets' AZs and the policies name eu-west-1")
	endpoint, err := res.One("aws:ec2/vpcEndpoint:VpcEndpoint", "replica-s3")
	require.NoError(t, err)
	assert.Equal(t, "com.amazonaws.eu-west-1.s3", endpoint.Str("serviceName"))
	group, err := res.One("aws:cloudwatch/logGroup:LogGroup", "replica-flow-logs")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(group.Out("arn"), "arn:aws:logs:eu-west-1:"), group.Out("arn"))
}

func TestCallerTagsReachEveryChildUnderItsOwnName(t *testing.T) {
	res := runExample(t)
	for _, r := range res.AWS() {
		tags, ok := r.Value("tags").(map[string]any)
		if !ok {
			continue // routes, associations and policies take no tags
		}
		assert.Equal(t, "platform", tags["Owner"], "%s", r)
		assert.Equal(t, "dr", tags["CostCenter"], "%s", r)
		assert.True(t, strings.HasPrefix(tags["Name"].(string), "replica"), "%s keeps its own Name: %v", r, tags["Name"])
	}
}
