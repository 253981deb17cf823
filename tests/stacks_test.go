package tests

import (
	"fmt"
	"testing"

	"github.com/aws-foundation/aws-foundation/components"
	"github.com/aws-foundation/aws-foundation/internal/controls"
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// environmentExports are what every environment stack exports.
var environmentExports = []string{
	"vpcId", "vpcCidr", "availabilityZones", "publicSubnetIds", "privateSubnetIds", "publicRouteTableId",
	"privateRouteTableIds", "natGatewayIds", "natPublicIps", "s3EndpointId", "defaultSecurityGroupId",
	"defaultNetworkAclId", "flowLogsKeyArn", "flowLogsKeyAlias", "flowLogsLogGroupName", "flowLogsLogGroupArn",
	"flowLogsRoleArn", "flowLogId",
}

// runStack runs a stack from its real stack file, as `pulumi up` (dryRun false) or `pulumi preview`.
func runStack(t testing.TB, stack string, dryRun bool) *mockrun.Result {
	t.Helper()
	res, err := mockrun.RunStack(repoRoot, stack, dryRun)
	require.NoError(t, err, "stack %s (preview=%v)", stack, dryRun)
	return res
}

func modes() []bool { return []bool{false, true} }

func mode(dryRun bool) string {
	if dryRun {
		return "preview"
	}
	return "update"
}

func TestEnvironmentStacksExportEveryOutputKnownInUpdateAndPreview(t *testing.T) {
	for _, stack := range []string{"prod", "dev"} {
		for _, dry := range modes() {
			t.Run(fmt.Sprintf("%s/%s", stack, mode(dry)), func(t *testing.T) {
				res := runStack(t, stack, dry)
				requireNoDuplicateURNs(t, res)
				for _, k := range environmentExports {
					e, ok := res.Exports[k]
					if assert.True(t, ok, "export %s missing", k) {
						assert.True(t, e.Known, "export %s unknown", k)
					}
				}
				assert.Len(t, res.Exports, len(environmentExports), "no unexpected exports")
				assert.Len(t, res.OfType(components.NetworkType), 1)
				assert.Len(t, res.OfType(components.FlowLogsType), 1, "an environment always gets flow logs")
				assert.Empty(t, res.OfType("aws:s3/bucketV2:BucketV2"), "environments never create state buckets")
			})
		}
	}
}

func TestProdStackFollowsItsStackFile(t *testing.T) {
	res := runStack(t, "prod", false)
	assert.Equal(t, "10.10.0.0/16", res.Exports["vpcCidr"].Value)
	assert.Equal(t, []string{"us-east-1a", "us-east-1b", "us-east-1c"}, res.Exports["availabilityZones"].Value)
	assert.Len(t, res.Exports["natGatewayIds"].Value, 3, "prod runs one NAT gateway per AZ")
	assert.Len(t, res.Exports["natPublicIps"].Value, 3)
	fl := one(t, res, controls.TypeFlowLog, "prod")
	assert.Equal(t, 60.0, fl.Value("maxAggregationInterval"))
	assert.Equal(t, 365.0, one(t, res, "aws:cloudwatch/logGroup:LogGroup", "prod-flow-logs").Value("retentionInDays"))
}

func TestDevStackIsTheCheapEnvironment(t *testing.T) {
	res := runStack(t, "dev", false)
	assert.Equal(t, "10.20.0.0/20", res.Exports["vpcCidr"].Value)
	assert.Equal(t, []string{}, res.Exports["natGatewayIds"].Value, "dev has no NAT gateway")
	assert.Empty(t, res.OfType(controls.TypeEip), "dev pays for no public IPv4 address")
	assert.Equal(t, []string{"us-east-1a", "us-east-1b", "us-east-1c"}, res.Exports["availabilityZones"].Value,
		"dev looks its AZs up")
	assert.Equal(t, 600.0, one(t, res, controls.TypeFlowLog, "dev").Value("maxAggregationInterval"))
}

func TestEveryStackFileTagsResourcesThroughDefaultTags(t *testing.T) {
	for _, stack := range []string{"prod", "dev"} {
		cfg, _, err := mockrun.StackConfig(repoRoot, stack)
		require.NoError(t, err)
		assert.NotEmpty(t, cfg["aws:region"], "%s: aws:region", stack)
		for _, tag := range []string{`"Environment":"` + stack + `"`, `"ManagedBy":"pulumi"`, `"Project":"aws-foundation"`} {
			assert.Contains(t, cfg["aws:defaultTags"], tag, "%s: aws:defaultTags", stack)
		}
	}
}

func TestEnvironmentStacksPassTheNetworkChecks(t *testing.T) {
	for _, stack := range []string{"prod", "dev"} {
		res := runStack(t, stack, false)
		requireClean(t, controls.DefaultSecurityGroupsHaveNoRules(res), stack)
		requireClean(t, controls.NaclsAdmitNoInternetToAdminPorts(res), stack)
		requireClean(t, controls.SubnetsDoNotMapPublicIps(res), stack)
	}
}

func BenchmarkProdStackUnderMocks(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := mockrun.RunStack(repoRoot, "prod", false); err != nil {
			b.Fatal(err)
		}
	}
}
