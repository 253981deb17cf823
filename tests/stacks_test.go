package tests

import (
	"fmt"
	"maps"
	"sort"
	"strings"
	"testing"

	"github.com/aws-foundation/aws-foundation/components"
	"github.com/aws-foundation/aws-foundation/internal/controls"
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
	"github.com/aws-foundation/aws-foundation/internal/stackrun"
	"github.com/aws-foundation/aws-foundation/stacks"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func modes() []bool { return []bool{false, true} }

func mode(dryRun bool) string {
	if dryRun {
		return "preview"
	}
	return "update"
}

func TestEnvironmentStacksExportEveryOutputKnownInUpdateAndPreview(t *testing.T) {
	t.Parallel()
	for _, stack := range []string{"prod", "dev"} {
		for _, dry := range modes() {
			t.Run(fmt.Sprintf("%s/%s", stack, mode(dry)), func(t *testing.T) {
				res := runStack(t, stack, dry)
				requireNoDuplicateURNs(t, res)
				for _, k := range environmentExports(t) {
					e, ok := res.Exports[k]
					if assert.True(t, ok, "export %s missing", k) {
						assert.True(t, e.Known, "export %s unknown", k)
					}
				}
				assert.Len(t, res.Exports, len(environmentExports(t)), "no unexpected exports")
				assert.Len(t, res.OfType(components.NetworkType), 1)
				assert.Len(t, res.OfType(components.FlowLogsType), 1, "an environment always gets flow logs")
				assert.Empty(t, res.OfType(mockrun.TypeBucket), "environments never create state buckets")
			})
		}
	}
}

func TestProdStackFollowsItsStackFile(t *testing.T) {
	t.Parallel()
	res := runStack(t, "prod", false)
	assert.Equal(t, "10.10.0.0/16", res.Exports["vpcCidr"].Value)
	assert.Equal(t, []string{"us-east-1a", "us-east-1b", "us-east-1c"}, res.Exports["availabilityZones"].Value)
	assert.Len(t, res.Exports["natGatewayIds"].Value, 1, "prod runs one NAT gateway (natStrategy single, the design's choice)")
	assert.Len(t, res.Exports["natPublicIps"].Value, 1)
	fl := one(t, res, mockrun.TypeFlowLog, "prod")
	assert.Equal(t, 60.0, fl.Value("maxAggregationInterval"))
	group := one(t, res, mockrun.TypeLogGroup, "prod-flow-logs")
	assert.Equal(t, 365.0, group.Value("retentionInDays"))
	assert.True(t, group.RetainOnDelete, "prod's flow-log evidence outlives the stack")
	assert.Equal(t, "arn:aws:iam::123456789012:policy/aws-foundation-flow-logs-boundary-prod",
		one(t, res, mockrun.TypeRole, "prod-flow-logs").Str("permissionsBoundary"))
}

// registrations maps each URN a run registered to the resource.
func registrations(res *mockrun.Result) map[string]mockrun.Resource {
	out := map[string]mockrun.Resource{}
	for _, r := range res.Resources {
		out[r.URN] = r
	}
	return out
}

// The prod stack file's natStrategy line is the only thing between single and onePerAz: switching adds Elastic
// IPs and NAT gateways and changes the private default routes, and touches nothing else (no subnet, route table,
// association or endpoint is replaced or edited).
func TestSwitchingNatStrategyOnlyAddsNatResourcesAndRepointsPrivateRoutes(t *testing.T) {
	t.Parallel()
	cfg, _, err := stackrun.Config(repoRoot, "prod")
	require.NoError(t, err)
	require.Equal(t, "single", cfg["aws-foundation:natStrategy"], "Pulumi.prod.yaml uses single")
	run := func(nat string) map[string]mockrun.Resource {
		c := map[string]string{}
		for k, v := range cfg {
			c[k] = v
		}
		c["aws-foundation:natStrategy"] = nat
		res, err := mockrun.Run(stacks.Run, mockrun.Options{Stack: "prod", Config: c})
		require.NoError(t, err)
		requireNoDuplicateURNs(t, res)
		return registrations(res)
	}
	single, perAz := run("single"), run("onePerAz")

	var added []string
	for urn, r := range perAz {
		if _, ok := single[urn]; !ok {
			added = append(added, r.Type+" "+r.Name)
			assert.Contains(t, []string{mockrun.TypeEip, mockrun.TypeNatGateway, mockrun.TypeRoute}, r.Type,
				"onePerAz may only add Elastic IPs, NAT gateways and routes: %s", r)
		}
	}
	sort.Strings(added)
	assert.Equal(t, []string{
		"aws:ec2/eip:Eip prod-nat-us-east-1b", "aws:ec2/eip:Eip prod-nat-us-east-1c",
		"aws:ec2/natGateway:NatGateway prod-nat-us-east-1b", "aws:ec2/natGateway:NatGateway prod-nat-us-east-1c",
	}, added)

	var changed []string
	for urn, r := range single {
		other, ok := perAz[urn]
		if !assert.True(t, ok, "onePerAz must keep every resource of single: %s", r) {
			continue
		}
		same := r.Inputs.DeepEquals(other.Inputs) && r.Parent == other.Parent && r.Protect == other.Protect &&
			r.RetainOnDelete == other.RetainOnDelete && r.DeleteBeforeReplace == other.DeleteBeforeReplace
		if !same {
			changed = append(changed, r.Type+" "+r.Name)
			assert.Equal(t, mockrun.TypeRoute, r.Type, "only private default routes may change: %s", r)
			assert.Equal(t, "0.0.0.0/0", r.Str("destinationCidrBlock"), "%s", r)
			assert.Equal(t, "0.0.0.0/0", other.Str("destinationCidrBlock"), "%s", r)
			assert.NotEqual(t, r.Str("natGatewayId"), other.Str("natGatewayId"), "%s: repointed to its own AZ's NAT", r)
		}
	}
	sort.Strings(changed)
	assert.Equal(t, []string{"aws:ec2/route:Route prod-private-us-east-1b-default",
		"aws:ec2/route:Route prod-private-us-east-1c-default"}, changed,
		"the first AZ's route already uses the NAT gateway in its own AZ")
}

func TestDevStackIsTheCheapEnvironment(t *testing.T) {
	t.Parallel()
	res := runStack(t, "dev", false)
	assert.Equal(t, "10.20.0.0/20", res.Exports["vpcCidr"].Value)
	assert.Equal(t, []string{}, res.Exports["natGatewayIds"].Value, "dev has no NAT gateway")
	assert.Empty(t, res.OfType(mockrun.TypeEip), "dev pays for no public IPv4 address")
	assert.Equal(t, []string{"us-east-1a", "us-east-1b", "us-east-1c"}, res.Exports["availabilityZones"].Value,
		"dev looks its AZs up")
	assert.Equal(t, 600.0, one(t, res, mockrun.TypeFlowLog, "dev").Value("maxAggregationInterval"))
	assert.False(t, one(t, res, mockrun.TypeLogGroup, "dev-flow-logs").RetainOnDelete,
		"dev is torn down and rebuilt: its flow-log evidence goes with it (EX-08)")
}

func TestEveryStackFileTagsResourcesThroughDefaultTags(t *testing.T) {
	t.Parallel()
	for _, stack := range []string{"prod", "dev"} {
		cfg, _, err := stackrun.Config(repoRoot, stack)
		require.NoError(t, err)
		assert.NotEmpty(t, cfg["aws:region"], "%s: aws:region", stack)
		for _, tag := range []string{`"Environment":"` + stack + `"`, `"ManagedBy":"pulumi"`, `"Project":"aws-foundation"`} {
			assert.Contains(t, cfg["aws:defaultTags"], tag, "%s: aws:defaultTags", stack)
		}
	}
}

func TestEnvironmentStacksPassTheNetworkChecks(t *testing.T) {
	t.Parallel()
	for _, stack := range []string{"prod", "dev"} {
		res := runStack(t, stack, false)
		requireClean(t, controls.DefaultSecurityGroupsHaveNoRules(res), stack)
		requireClean(t, controls.NaclsAdmitNoInternetToAdminPorts(res), stack)
		requireClean(t, controls.NaclRulesNameTheirProtocol(res), stack)
		requireClean(t, controls.PublicSubnetsAdmitOnlyConfiguredPorts(res, components.DefaultPublicIngressPorts()), stack)
		requireClean(t, controls.S3EndpointsReachOnlyNamedBuckets(res), stack)
		requireClean(t, controls.SubnetsDoNotMapPublicIps(res), stack)
	}
}

func BenchmarkProdStackUnderMocks(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := stackrun.Run(repoRoot, "prod", false); err != nil {
			b.Fatal(err)
		}
	}
}

// TestTheDevStackComposesInEveryDefaultRegion: the dev stack file, AZs looked up, in each commercial region that
// needs no opt-in. Every ARN and the endpoint's service names the region, and the AWS service buckets are the
// region's own.
func TestTheDevStackComposesInEveryDefaultRegion(t *testing.T) {
	t.Parallel()
	base, _, err := stackrun.Config(repoRoot, "dev")
	require.NoError(t, err)
	for _, region := range components.DefaultRegions() {
		cfg := maps.Clone(base)
		cfg["aws:region"] = region
		res, err := mockrun.Run(stacks.Run, mockrun.Options{Stack: "dev", Config: cfg})
		require.NoError(t, err, "dev in %s", region)
		endpoint := one(t, res, mockrun.TypeVpcEndpoint, "dev-s3")
		assert.Equal(t, "com.amazonaws."+region+".s3", endpoint.Str("serviceName"), "dev in %s: the endpoint's service", region)
		assert.Contains(t, endpoint.Str("policy"), "prod-"+region+"-starport-layer-bucket", "dev in %s: the region's ECR bucket", region)
		for _, s := range res.OfType(mockrun.TypeSubnet) {
			assert.True(t, strings.HasPrefix(s.Str("availabilityZone"), region), "dev in %s: subnet %s in %s", region, s.Name, s.Str("availabilityZone"))
		}
		for _, typ := range []string{mockrun.TypeLogGroup, mockrun.TypeKmsKey} {
			for _, r := range res.OfType(typ) {
				assert.Contains(t, r.Out("arn"), ":"+region+":", "dev in %s: %s %s", region, typ, r.Name)
			}
		}
	}
}

// TestEachCompositionLooksUpTheAccountOnceAndEachComponentOnce: the composition's preflight looks up the account,
// region and partition once for all its components, and each component once more through its own provider.
func TestEachCompositionLooksUpTheAccountOnceAndEachComponentOnce(t *testing.T) {
	t.Parallel()
	for _, stack := range stackNames(t) {
		res := runStack(t, stack, false)
		n := 0
		for _, r := range res.Resources {
			if strings.HasPrefix(r.Type, "aws-foundation:components:") {
				n++
			}
		}
		calls := map[string]int{}
		for _, inv := range res.Invokes {
			calls[inv.Token]++
		}
		for _, token := range []string{"aws:index/getCallerIdentity:getCallerIdentity", "aws:index/getRegion:getRegion",
			"aws:index/getPartition:getPartition"} {
			assert.Equal(t, 1+n, calls[token], "%s: %s once for the composition and once per component (%d)", stack, token, n)
		}
	}
}
