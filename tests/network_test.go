package tests

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws-foundation/aws-foundation/components"
	"github.com/aws-foundation/aws-foundation/internal/controls"
	"github.com/aws-foundation/aws-foundation/internal/iampolicy"
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var threeAzs = []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}

func TestEveryNetworkChildIsParentedToTheComponentAndNamedOffIt(t *testing.T) {
	t.Parallel()
	for _, nat := range components.NatStrategies() {
		t.Run(string(nat), func(t *testing.T) {
			res := runNetwork(t, components.NetworkArgs{NatStrategy: nat})
			net := component(t, res, components.NetworkType)
			require.NotEmpty(t, res.AWS())
			for _, r := range res.AWS() {
				assert.Equal(t, net.URN, r.Parent, "%s must be parented to the Network", r)
				assert.True(t, strings.HasPrefix(r.Name, "net-"), "%s: name must derive from the component name", r)
			}
		})
	}
}

func TestTwoNetworksInOneProgramRegisterNoURNTwice(t *testing.T) {
	t.Parallel()
	res, err := mockrun.Run(func(ctx *pulumi.Context) error {
		for _, name := range []string{"blue", "green"} {
			if _, err := components.NewNetwork(ctx, name, &components.NetworkArgs{}); err != nil {
				return err
			}
		}
		return nil
	}, mockrun.Options{})
	require.NoError(t, err)
	require.Len(t, res.OfType(components.NetworkType), 2)
	requireNoDuplicateURNs(t, res)
}

func TestResourceCountsFollowTheNatStrategy(t *testing.T) {
	t.Parallel()
	cases := []struct {
		nat                  components.NatStrategy
		nats, eips, natRoute int
	}{
		{components.NatSingle, 1, 1, 3},
		{components.NatOnePerAz, 3, 3, 3},
		{components.NatNone, 0, 0, 0},
		{"", 1, 1, 3}, // default is single
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("nat=%q", c.nat), func(t *testing.T) {
			res := runNetwork(t, components.NetworkArgs{NatStrategy: c.nat})
			want := map[string]int{
				mockrun.TypeVpc: 1, mockrun.TypeSubnet: 6, mockrun.TypeInternetGateway: 1,
				mockrun.TypeRouteTable: 4, mockrun.TypeRouteTableAssoc: 6, mockrun.TypeVpcEndpoint: 1,
				mockrun.TypeDefaultSecurityGroup: 1, mockrun.TypeDefaultNetworkAcl: 1, mockrun.TypeNetworkAcl: 1,
				mockrun.TypeNatGateway: c.nats, mockrun.TypeEip: c.eips,
				mockrun.TypeRoute: 1 + c.natRoute, // the public default route plus one per private table
			}
			for typ, n := range want {
				assert.Len(t, res.OfType(typ), n, "count of %s", typ)
			}
		})
	}
}

func TestVpcHasDnsOnAndTheDefaultCidr(t *testing.T) {
	t.Parallel()
	res := runNetwork(t, components.NetworkArgs{})
	vpc := one(t, res, mockrun.TypeVpc, "net-vpc")
	assert.Equal(t, "10.0.0.0/16", vpc.Str("cidrBlock"))
	assert.Equal(t, true, vpc.Value("enableDnsSupport"), "enableDnsSupport")
	assert.Equal(t, true, vpc.Value("enableDnsHostnames"), "enableDnsHostnames")
}

// defaultLayout is docs/COMPONENTS.md's subnet table for 10.0.0.0/16, by tier, in AZ order.
var defaultLayout = map[string][]string{
	"public":  {"10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"},
	"private": {"10.0.64.0/20", "10.0.80.0/20", "10.0.96.0/20"},
}

func TestAvailabilityZonesAreLookedUpSortedAndTheFirstThreeUsed(t *testing.T) {
	t.Parallel()
	res := runNetwork(t, components.NetworkArgs{}) // the mock answers us-east-1d, a, c, b
	require.Len(t, res.OfType(mockrun.TypeSubnet), 6)
	for i, az := range []string{"us-east-1a", "us-east-1b", "us-east-1c"} {
		s := one(t, res, mockrun.TypeSubnet, "net-public-"+az)
		assert.Equal(t, az, s.Str("availabilityZone"))
		assert.Equal(t, defaultLayout["public"][i], s.Str("cidrBlock"), "%s must take slot %d", s, i)
	}

	var lookups []mockrun.Invoke
	for _, inv := range res.Invokes {
		if inv.Token == "aws:index/getAvailabilityZones:getAvailabilityZones" {
			lookups = append(lookups, inv)
		}
	}
	require.Len(t, lookups, 1)
	args := lookups[0].Args.Mappable()
	assert.Equal(t, "available", args["state"], "only available AZs")
	assert.Contains(t, fmt.Sprint(args["filters"]), "opt-in-not-required", "Local and Wavelength Zones are left out")
}

func TestConfiguredAvailabilityZonesAreUsedInOrderWithoutALookup(t *testing.T) {
	t.Parallel()
	res := runNetwork(t, components.NetworkArgs{AvailabilityZones: threeAzs})
	for _, inv := range res.Invokes {
		assert.NotEqual(t, "aws:index/getAvailabilityZones:getAvailabilityZones", inv.Token)
	}
	for i, az := range threeAzs {
		s := one(t, res, mockrun.TypeSubnet, "net-private-"+az)
		assert.Equal(t, az, s.Str("availabilityZone"))
		assert.Equal(t, defaultLayout["private"][i], s.Str("cidrBlock"), "%s", s)
	}
}

func TestARegionWithFewerThanThreeZonesIsAnErrorBeforeAnyChildIsCreated(t *testing.T) {
	t.Parallel()
	res, err := mockrun.Run(func(ctx *pulumi.Context) error {
		_, err := components.NewNetwork(ctx, "net", &components.NetworkArgs{})
		return err
	}, mockrun.Options{AvailableZones: []string{"xx-1b", "xx-1a"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "2 available availability zones")
	requireNoChildCreated(t, res)
}

func TestNoSubnetMapsPublicIps(t *testing.T) {
	t.Parallel()
	res := runNetwork(t, components.NetworkArgs{})
	requireClean(t, controls.SubnetsDoNotMapPublicIps(res), "subnets mapping public IPs")
}

func TestPublicSubnetsRouteToTheInternetGateway(t *testing.T) {
	t.Parallel()
	res := runNetwork(t, components.NetworkArgs{AvailabilityZones: threeAzs})
	rt := one(t, res, mockrun.TypeRouteTable, "net-public")
	igw := one(t, res, mockrun.TypeInternetGateway, "net-igw")
	route := one(t, res, mockrun.TypeRoute, "net-public-default")
	assert.Equal(t, rt.ID, route.Str("routeTableId"))
	assert.Equal(t, "0.0.0.0/0", route.Str("destinationCidrBlock"))
	assert.Equal(t, igw.ID, route.Str("gatewayId"))
	for _, az := range threeAzs {
		subnet := one(t, res, mockrun.TypeSubnet, "net-public-"+az)
		assoc := one(t, res, mockrun.TypeRouteTableAssoc, "net-public-"+az)
		assert.Equal(t, subnet.ID, assoc.Str("subnetId"))
		assert.Equal(t, rt.ID, assoc.Str("routeTableId"), "%s must use the public route table", subnet)
	}
}

// privateRoutes maps each private route table id to the NAT gateway id of its default route ("" if none).
func privateRoutes(t *testing.T, res *mockrun.Result) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, rt := range res.OfType(mockrun.TypeRouteTable) {
		if rt.Value("tags").(map[string]any)["Tier"] == "private" {
			out[rt.ID] = ""
		}
	}
	for _, r := range res.OfType(mockrun.TypeRoute) {
		if _, ok := out[r.Str("routeTableId")]; ok {
			assert.Equal(t, "0.0.0.0/0", r.Str("destinationCidrBlock"), "%s", r)
			out[r.Str("routeTableId")] = r.Str("natGatewayId")
		}
	}
	return out
}

func TestEachPrivateSubnetHasItsOwnRouteTableInEveryStrategy(t *testing.T) {
	t.Parallel()
	for _, nat := range components.NatStrategies() {
		res := runNetwork(t, components.NetworkArgs{NatStrategy: nat, AvailabilityZones: threeAzs})
		for _, az := range threeAzs {
			subnet := one(t, res, mockrun.TypeSubnet, "net-private-"+az)
			rt := one(t, res, mockrun.TypeRouteTable, "net-private-"+az)
			assoc := one(t, res, mockrun.TypeRouteTableAssoc, "net-private-"+az)
			assert.Equal(t, subnet.ID, assoc.Str("subnetId"), "%s: %s", nat, assoc)
			assert.Equal(t, rt.ID, assoc.Str("routeTableId"), "%s: %s", nat, assoc)
		}
	}
}

func TestSingleNatSitsInTheFirstPublicSubnetAndServesEveryPrivateRouteTable(t *testing.T) {
	t.Parallel()
	res := runNetwork(t, components.NetworkArgs{NatStrategy: components.NatSingle, AvailabilityZones: threeAzs})
	nat := one(t, res, mockrun.TypeNatGateway, "net-nat-eu-west-1a")
	eip := one(t, res, mockrun.TypeEip, "net-nat-eu-west-1a")
	assert.Equal(t, one(t, res, mockrun.TypeSubnet, "net-public-eu-west-1a").ID, nat.Str("subnetId"))
	assert.Equal(t, eip.ID, nat.Str("allocationId"))
	assert.Equal(t, "vpc", eip.Str("domain"))
	assert.True(t, nat.DependsOn(one(t, res, mockrun.TypeInternetGateway, "net-igw").URN),
		"the NAT gateway must wait for the internet gateway")
	routes := privateRoutes(t, res)
	require.Len(t, routes, 3)
	for rt, gw := range routes {
		assert.Equal(t, nat.ID, gw, "private route table %s", rt)
	}
}

func TestOneNatPerAzServesOnlyItsOwnAz(t *testing.T) {
	t.Parallel()
	res := runNetwork(t, components.NetworkArgs{NatStrategy: components.NatOnePerAz, AvailabilityZones: threeAzs})
	routes := privateRoutes(t, res)
	for _, az := range threeAzs {
		nat := one(t, res, mockrun.TypeNatGateway, "net-nat-"+az)
		assert.Equal(t, one(t, res, mockrun.TypeSubnet, "net-public-"+az).ID, nat.Str("subnetId"), "%s", nat)
		rt := one(t, res, mockrun.TypeRouteTable, "net-private-"+az)
		assert.Equal(t, nat.ID, routes[rt.ID], "private route table in %s must use the NAT in its own AZ", az)
	}
}

func TestNoNatMeansNoDefaultRouteFromPrivateSubnets(t *testing.T) {
	t.Parallel()
	res := runNetwork(t, components.NetworkArgs{NatStrategy: components.NatNone})
	for rt, gw := range privateRoutes(t, res) {
		assert.Empty(t, gw, "private route table %s must have no default route", rt)
	}
}

func TestEveryPrivateRouteTableHasTheS3EndpointAndNoPublicOneDoes(t *testing.T) {
	t.Parallel()
	for _, nat := range components.NatStrategies() {
		res := runNetwork(t, components.NetworkArgs{NatStrategy: nat})
		ep := one(t, res, mockrun.TypeVpcEndpoint, "net-s3")
		assert.Equal(t, "com.amazonaws.us-east-1.s3", ep.Str("serviceName"))
		assert.Equal(t, "Gateway", ep.Str("vpcEndpointType"))
		assert.Equal(t, one(t, res, mockrun.TypeVpc, "net-vpc").ID, ep.Str("vpcId"))
		var private []string
		for rt := range privateRoutes(t, res) {
			private = append(private, rt)
		}
		assert.ElementsMatch(t, private, ep.Strs("routeTableIds"), "%s: endpoint route tables", nat)
		assert.NotContains(t, ep.Strs("routeTableIds"), one(t, res, mockrun.TypeRouteTable, "net-public").ID)
	}
}

// usEast1ServiceBuckets are the AWS-owned buckets the endpoint must let workloads read in us-east-1, written out
// by hand from the AWS pages cited in components/servicebuckets.go, so a typo in the table fails here.
var usEast1ServiceBuckets = []string{
	"arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*",
	"arn:aws:s3:::al2023-repos-us-east-1-de612dc2/*",
	"arn:aws:s3:::al2023-us-east-1/*",
	"arn:aws:s3:::amazonlinux.us-east-1.amazonaws.com/*",
	"arn:aws:s3:::amazonlinux-2-repos-us-east-1/*",
	"arn:aws:s3:::aws-windows-downloads-us-east-1/*",
	"arn:aws:s3:::amazon-ssm-us-east-1/*",
	"arn:aws:s3:::aws-ssm-us-east-1/*",
	"arn:aws:s3:::patch-baseline-snapshot-us-east-1/*",
	"arn:aws:s3:::aws-patch-manager-us-east-1-1970c647d/*",
	"arn:aws:s3:::aws-patchmanager-macos-us-east-1-1970c647d/*",
}

func TestS3EndpointPolicyAllowsThisAccountAndTheRegionsServiceBucketsByDefault(t *testing.T) {
	t.Parallel()
	res := runNetwork(t, components.NetworkArgs{})
	stmts := endpointPolicy(t, res)
	require.Len(t, stmts, 2)
	own := stmts[0]
	assert.Equal(t, "Allow", own.Effect)
	assert.Equal(t, []string{"s3:*"}, own.Actions)
	assert.Equal(t, []string{"*"}, own.Resources)
	assert.Equal(t, mockrun.DefaultAccount, own.ConditionValue("StringEquals", "aws:ResourceAccount"),
		"the endpoint must be limited to buckets this account owns")
	assert.Equal(t, iampolicy.Statement{Sid: "ReadAwsServiceBuckets", Effect: "Allow", Principals: []string{"*"},
		Actions: []string{"s3:GetObject"}, Resources: usEast1ServiceBuckets}, stmts[1],
		"AWS-owned buckets: read-only, by exact name for the region")
	requireClean(t, controls.S3EndpointsReachOnlyNamedBuckets(res), "endpoint policy")

	t.Run("named for the stack's region", func(t *testing.T) {
		res, err := mockrun.Run(func(ctx *pulumi.Context) error {
			_, err := components.NewNetwork(ctx, "net", &components.NetworkArgs{})
			return err
		}, mockrun.Options{Config: map[string]string{"aws:region": "eu-west-1"}})
		require.NoError(t, err)
		got := endpointPolicy(t, res)[1].Resources
		assert.Contains(t, got, "arn:aws:s3:::prod-eu-west-1-starport-layer-bucket/*")
		assert.Contains(t, got, "arn:aws:s3:::aws-patch-manager-eu-west-1-5522fb710/*")
		for _, arn := range got {
			assert.NotContains(t, arn, "us-east-1", "a bucket of another region")
		}
	})
	t.Run("turned off", func(t *testing.T) {
		res := runNetwork(t, components.NetworkArgs{NoAwsServiceBuckets: true})
		stmts := endpointPolicy(t, res)
		require.Len(t, stmts, 1, "only this account's buckets")
		assert.Equal(t, "OwnAccountBucketsOnly", stmts[0].Sid)
	})
}

func TestS3EndpointPolicyGrantsExtraBucketsReadOnly(t *testing.T) {
	t.Parallel()
	extra := []string{"arn:aws:s3:::vendor-artifacts", "arn:aws:s3:::amazoncloudwatch-agent-us-east-1"}
	res := runNetwork(t, components.NetworkArgs{S3EndpointExtraBucketArns: extra})
	stmts := endpointPolicy(t, res)
	require.Len(t, stmts, 3)
	s := stmts[2]
	assert.Equal(t, "ReadExtraBuckets", s.Sid)
	assert.Equal(t, "Allow", s.Effect)
	assert.Equal(t, []string{"s3:GetObject", "s3:ListBucket"}, s.Actions, "extra buckets are read-only")
	assert.Equal(t, []string{extra[0], extra[0] + "/*", extra[1], extra[1] + "/*"}, s.Resources)
	requireClean(t, controls.S3EndpointsReachOnlyNamedBuckets(res), "endpoint policy")
}

func endpointPolicy(t *testing.T, res *mockrun.Result) []iampolicy.Statement {
	t.Helper()
	ep := one(t, res, mockrun.TypeVpcEndpoint, "net-s3")
	stmts := policyOf(t, ep, "policy")
	return stmts
}

func TestDefaultSecurityGroupIsAdoptedWithNoRules(t *testing.T) {
	t.Parallel()
	res := runNetwork(t, components.NetworkArgs{})
	sg := one(t, res, mockrun.TypeDefaultSecurityGroup, "net-default-sg")
	assert.Equal(t, one(t, res, mockrun.TypeVpc, "net-vpc").ID, sg.Str("vpcId"))
	assert.True(t, sg.Has("ingress") && sg.Has("egress"), "rules must be given explicitly as empty lists")
	requireClean(t, controls.DefaultSecurityGroupsHaveNoRules(res), "default security group")
}

func TestNetworkAclsAdmitNoInternetTrafficToSshOrRdp(t *testing.T) {
	t.Parallel()
	res := runNetwork(t, components.NetworkArgs{PublicIngressPorts: []int{443, 80, 8443}})
	acl := one(t, res, mockrun.TypeDefaultNetworkAcl, "net-default-nacl")
	assert.Equal(t, one(t, res, mockrun.TypeVpc, "net-vpc").Out("defaultNetworkAclId"), acl.Str("defaultNetworkAclId"))
	require.NotEmpty(t, controls.NaclRules(one(t, res, mockrun.TypeNetworkAcl, "net-public-nacl").Value("ingress")))
	requireClean(t, controls.NaclsAdmitNoInternetToAdminPorts(res), "network ACLs")
}

// documentedRule is one recorded network ACL rule, as the code must build it.
type documentedRule struct {
	ruleNo           int
	protocol, source string
	from, to         int // ports, or ICMP type and code
}

func rulesOf(t *testing.T, v any) []documentedRule {
	t.Helper()
	var out []documentedRule
	for _, r := range controls.NaclRules(v) {
		require.Equal(t, "allow", r.Action, "rule %d", r.RuleNo)
		d := documentedRule{ruleNo: r.RuleNo, protocol: r.Protocol, source: r.Source(), from: r.FromPort, to: r.ToPort}
		if r.Protocol == "icmp" {
			d.from, d.to = r.IcmpType, r.IcmpCode
		}
		out = append(out, d)
	}
	return out
}

// documented turns rules of components/nacl.go's tables into the recorded form, the VPC's CIDR filled in.
func documented(rules []components.NaclRule, vpc string) []documentedRule {
	var out []documentedRule
	for _, r := range rules {
		d := documentedRule{ruleNo: r.RuleNo, protocol: r.Protocol, source: r.Cidr, from: r.FromPort, to: r.ToPort}
		if r.Cidr == components.InVpc {
			d.source = vpc
		}
		if r.Protocol == "icmp" {
			d.from, d.to = r.IcmpType, r.IcmpCode
		}
		out = append(out, d)
	}
	return out
}

// privateRules and egressRules are the tables of components/nacl.go: these tests check that the ACLs carry
// them, not what they hold (the controls check that: AF-VPC-03, -05 and -06).
func privateRules(vpc string) []documentedRule {
	private, _, _ := components.NetworkAclRules(nil)
	return documented(private, vpc)
}

func egressRulesOf() []documentedRule {
	_, _, egress := components.NetworkAclRules(nil)
	return documented(egress, "")
}

func TestDefaultNaclKeepsThePrivateRulesAndIgnoresSubnetsAddedLater(t *testing.T) {
	t.Parallel()
	res := runNetwork(t, components.NetworkArgs{PublicIngressPorts: []int{443}})
	acl := one(t, res, mockrun.TypeDefaultNetworkAcl, "net-default-nacl")
	assert.Equal(t, privateRules("10.0.0.0/16"), rulesOf(t, acl.Value("ingress")), "no public port on the default ACL")
	assert.Equal(t, egressRulesOf(), rulesOf(t, acl.Value("egress")))
	assert.False(t, acl.Has("subnetIds"),
		"the default ACL lists no subnets: a subnet another stack adds would otherwise be drift on every refresh")
	assert.Equal(t, []string{"subnetIds"}, acl.IgnoreChanges, "subnets associated with the default ACL are not ours to manage")
}

func TestPublicSubnetsHaveTheirOwnAclAdmittingTheConfiguredPorts(t *testing.T) {
	t.Parallel()
	res := runNetwork(t, components.NetworkArgs{AvailabilityZones: threeAzs, PublicIngressPorts: []int{443, 80}})
	acl := one(t, res, mockrun.TypeNetworkAcl, "net-public-nacl")
	assert.Equal(t, one(t, res, mockrun.TypeVpc, "net-vpc").ID, acl.Str("vpcId"))
	var public []string
	for _, az := range threeAzs {
		public = append(public, one(t, res, mockrun.TypeSubnet, "net-public-"+az).ID)
	}
	assert.Equal(t, public, acl.Strs("subnetIds"), "the public subnets, and only they, use the public ACL")
	want := append(privateRules("10.0.0.0/16"), documentedRule{200, "tcp", "0.0.0.0/0", 443, 443},
		documentedRule{210, "tcp", "0.0.0.0/0", 80, 80})
	assert.Equal(t, want, rulesOf(t, acl.Value("ingress")))
	assert.Equal(t, egressRulesOf(), rulesOf(t, acl.Value("egress")))
	assert.Equal(t, "public", acl.Value("tags").(map[string]any)["Tier"])
	requireClean(t, controls.PublicSubnetsAdmitOnlyConfiguredPorts(res, []int{443, 80}), "public ACL")
}

func TestPublicAclFollowsPublicIngressPorts(t *testing.T) {
	t.Parallel()
	portRules := func(res *mockrun.Result) []documentedRule {
		return rulesOf(t, one(t, res, mockrun.TypeNetworkAcl, "test-public-nacl").Value("ingress"))[len(privateRules("")):]
	}
	t.Run("the default: HTTPS and HTTP", func(t *testing.T) {
		res, err := runStackWith(nil)
		require.NoError(t, err)
		assert.Equal(t, []documentedRule{{200, "tcp", "0.0.0.0/0", 443, 443}, {210, "tcp", "0.0.0.0/0", 80, 80}}, portRules(res))
		requireControlsHold(t, res, "AF-VPC-03", "AF-VPC-05", "AF-VPC-06")
	})
	t.Run("empty: return traffic only", func(t *testing.T) {
		res, err := runStackWith(map[string]string{"publicIngressPorts": "[]"})
		require.NoError(t, err)
		assert.Empty(t, portRules(res))
		requireControlsHold(t, res, "AF-VPC-06")
	})
	t.Run("another port", func(t *testing.T) {
		res, err := runStackWith(map[string]string{"publicIngressPorts": "[8443]"})
		require.NoError(t, err)
		assert.Equal(t, []documentedRule{{200, "tcp", "0.0.0.0/0", 8443, 8443}}, portRules(res))
		requireControlsHold(t, res, "AF-VPC-06")
	})
}

func TestNoNetworkAclRuleUsesProtocolAll(t *testing.T) {
	t.Parallel()
	for _, stack := range []string{"prod", "dev"} {
		res := runStack(t, stack, false)
		for _, acl := range append(res.OfType(mockrun.TypeDefaultNetworkAcl), res.OfType(mockrun.TypeNetworkAcl)...) {
			for _, dir := range []string{"ingress", "egress"} {
				for _, r := range controls.NaclRules(acl.Value(dir)) {
					assert.Contains(t, []string{"tcp", "udp", "icmp"}, r.Protocol, "%s %s %s rule %d", stack, acl, dir, r.RuleNo)
				}
			}
		}
		requireClean(t, controls.NaclRulesNameTheirProtocol(res), stack)
	}
}

func TestNetworkAclsLetReturnTrafficForNatEgressIn(t *testing.T) {
	t.Parallel()
	res := runNetwork(t, components.NetworkArgs{PublicIngressPorts: []int{443}})
	for _, acl := range []mockrun.Resource{one(t, res, mockrun.TypeDefaultNetworkAcl, "net-default-nacl"),
		one(t, res, mockrun.TypeNetworkAcl, "net-public-nacl")} {
		rules := controls.NaclRules(acl.Value("ingress"))
		// NAT gateways use source ports 1024-65535: every one but the excluded admin port must be admitted, for TCP
		// and UDP alike, on the public ACL (the NAT gateway's subnet) and the private one (its clients).
		for _, proto := range []string{"tcp", "udp"} {
			for port := 1024; port <= 65535; port++ {
				admitted := false
				for _, r := range rules {
					admitted = admitted || (r.Protocol == proto && r.AdmitsFromInternet(port))
				}
				if port == 3389 {
					assert.False(t, admitted, "%s: %s 3389 must not be admitted from the internet", acl, proto)
				} else if !admitted {
					t.Fatalf("%s: %s return traffic to port %d is dropped", acl, proto, port)
				}
			}
		}
	}
}

func TestEveryTaggableNetworkChildHasANameAndSubnetsAndRouteTablesATier(t *testing.T) {
	t.Parallel()
	res := runNetwork(t, components.NetworkArgs{})
	for _, r := range res.AWS() {
		if r.Type == mockrun.TypeRoute || r.Type == mockrun.TypeRouteTableAssoc {
			continue // not taggable
		}
		tags, _ := r.Value("tags").(map[string]any)
		assert.Equal(t, r.Name, tags["Name"], "%s: Name tag", r)
		if r.Type == mockrun.TypeSubnet || r.Type == mockrun.TypeRouteTable {
			assert.Contains(t, []any{"public", "private"}, tags["Tier"], "%s: Tier tag", r)
		}
	}
}
