package tests

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws-foundation/aws-foundation/components"
	"github.com/aws-foundation/aws-foundation/internal/controls"
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var threeAzs = []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}

func TestEveryNetworkChildIsParentedToTheComponentAndNamedOffIt(t *testing.T) {
	for _, nat := range components.NatStrategies {
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
				controls.TypeVpc: 1, controls.TypeSubnet: 6, controls.TypeInternetGateway: 1,
				controls.TypeRouteTable: 4, controls.TypeRouteTableAssoc: 6, controls.TypeVpcEndpoint: 1,
				controls.TypeDefaultSecurityGroup: 1, controls.TypeDefaultNetworkAcl: 1,
				controls.TypeNatGateway: c.nats, controls.TypeEip: c.eips,
				controls.TypeRoute: 1 + c.natRoute, // the public default route plus one per private table
			}
			for typ, n := range want {
				assert.Len(t, res.OfType(typ), n, "count of %s", typ)
			}
		})
	}
}

func TestVpcHasDnsOnAndTheDefaultCidr(t *testing.T) {
	res := runNetwork(t, components.NetworkArgs{})
	vpc := one(t, res, controls.TypeVpc, "net-vpc")
	assert.Equal(t, "10.0.0.0/16", vpc.Str("cidrBlock"))
	assert.Equal(t, true, vpc.Value("enableDnsSupport"), "enableDnsSupport")
	assert.Equal(t, true, vpc.Value("enableDnsHostnames"), "enableDnsHostnames")
}

func TestAvailabilityZonesAreLookedUpSortedAndTheFirstThreeUsed(t *testing.T) {
	res := runNetwork(t, components.NetworkArgs{}) // the mock answers us-east-1d, a, c, b
	require.Len(t, res.OfType(controls.TypeSubnet), 6)
	for i, az := range []string{"us-east-1a", "us-east-1b", "us-east-1c"} {
		s := one(t, res, controls.TypeSubnet, "net-public-"+az)
		assert.Equal(t, az, s.Str("availabilityZone"))
		want, _ := components.SubnetCIDR(mustPrefix("10.0.0.0/16"), components.TierPublic, i)
		assert.Equal(t, want.String(), s.Str("cidrBlock"), "%s must take slot %d", s, i)
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
	res := runNetwork(t, components.NetworkArgs{AvailabilityZones: threeAzs})
	for _, inv := range res.Invokes {
		assert.NotEqual(t, "aws:index/getAvailabilityZones:getAvailabilityZones", inv.Token)
	}
	for i, az := range threeAzs {
		s := one(t, res, controls.TypeSubnet, "net-private-"+az)
		assert.Equal(t, az, s.Str("availabilityZone"))
		want, _ := components.SubnetCIDR(mustPrefix("10.0.0.0/16"), components.TierPrivate, i)
		assert.Equal(t, want.String(), s.Str("cidrBlock"), "%s", s)
	}
}

func TestARegionWithFewerThanThreeZonesIsAnErrorBeforeAnythingIsRegistered(t *testing.T) {
	res, err := mockrun.Run(func(ctx *pulumi.Context) error {
		_, err := components.NewNetwork(ctx, "net", &components.NetworkArgs{})
		return err
	}, mockrun.Options{AvailableZones: []string{"xx-1b", "xx-1a"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "2 available availability zones")
	requireNothingRegistered(t, res)
}

func TestNoSubnetMapsPublicIps(t *testing.T) {
	res := runNetwork(t, components.NetworkArgs{})
	requireClean(t, controls.SubnetsDoNotMapPublicIps(res), "subnets mapping public IPs")
}

func TestPublicSubnetsRouteToTheInternetGateway(t *testing.T) {
	res := runNetwork(t, components.NetworkArgs{AvailabilityZones: threeAzs})
	rt := one(t, res, controls.TypeRouteTable, "net-public")
	igw := one(t, res, controls.TypeInternetGateway, "net-igw")
	route := one(t, res, controls.TypeRoute, "net-public-default")
	assert.Equal(t, rt.ID, route.Str("routeTableId"))
	assert.Equal(t, "0.0.0.0/0", route.Str("destinationCidrBlock"))
	assert.Equal(t, igw.ID, route.Str("gatewayId"))
	for _, az := range threeAzs {
		subnet := one(t, res, controls.TypeSubnet, "net-public-"+az)
		assoc := one(t, res, controls.TypeRouteTableAssoc, "net-public-"+az)
		assert.Equal(t, subnet.ID, assoc.Str("subnetId"))
		assert.Equal(t, rt.ID, assoc.Str("routeTableId"), "%s must use the public route table", subnet)
	}
}

// privateRoutes maps each private route table id to the NAT gateway id of its default route ("" if none).
func privateRoutes(t *testing.T, res *mockrun.Result) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, rt := range res.OfType(controls.TypeRouteTable) {
		if rt.Value("tags").(map[string]any)["Tier"] == "private" {
			out[rt.ID] = ""
		}
	}
	for _, r := range res.OfType(controls.TypeRoute) {
		if _, ok := out[r.Str("routeTableId")]; ok {
			assert.Equal(t, "0.0.0.0/0", r.Str("destinationCidrBlock"), "%s", r)
			out[r.Str("routeTableId")] = r.Str("natGatewayId")
		}
	}
	return out
}

func TestEachPrivateSubnetHasItsOwnRouteTableInEveryStrategy(t *testing.T) {
	for _, nat := range components.NatStrategies {
		res := runNetwork(t, components.NetworkArgs{NatStrategy: nat, AvailabilityZones: threeAzs})
		for _, az := range threeAzs {
			subnet := one(t, res, controls.TypeSubnet, "net-private-"+az)
			rt := one(t, res, controls.TypeRouteTable, "net-private-"+az)
			assoc := one(t, res, controls.TypeRouteTableAssoc, "net-private-"+az)
			assert.Equal(t, subnet.ID, assoc.Str("subnetId"), "%s: %s", nat, assoc)
			assert.Equal(t, rt.ID, assoc.Str("routeTableId"), "%s: %s", nat, assoc)
		}
	}
}

func TestSingleNatSitsInTheFirstPublicSubnetAndServesEveryPrivateRouteTable(t *testing.T) {
	res := runNetwork(t, components.NetworkArgs{NatStrategy: components.NatSingle, AvailabilityZones: threeAzs})
	nat := one(t, res, controls.TypeNatGateway, "net-nat-eu-west-1a")
	eip := one(t, res, controls.TypeEip, "net-nat-eu-west-1a")
	assert.Equal(t, one(t, res, controls.TypeSubnet, "net-public-eu-west-1a").ID, nat.Str("subnetId"))
	assert.Equal(t, eip.ID, nat.Str("allocationId"))
	assert.Equal(t, "vpc", eip.Str("domain"))
	assert.True(t, nat.DependsOn(one(t, res, controls.TypeInternetGateway, "net-igw").URN),
		"the NAT gateway must wait for the internet gateway")
	routes := privateRoutes(t, res)
	require.Len(t, routes, 3)
	for rt, gw := range routes {
		assert.Equal(t, nat.ID, gw, "private route table %s", rt)
	}
}

func TestOneNatPerAzServesOnlyItsOwnAz(t *testing.T) {
	res := runNetwork(t, components.NetworkArgs{NatStrategy: components.NatOnePerAz, AvailabilityZones: threeAzs})
	routes := privateRoutes(t, res)
	for _, az := range threeAzs {
		nat := one(t, res, controls.TypeNatGateway, "net-nat-"+az)
		assert.Equal(t, one(t, res, controls.TypeSubnet, "net-public-"+az).ID, nat.Str("subnetId"), "%s", nat)
		rt := one(t, res, controls.TypeRouteTable, "net-private-"+az)
		assert.Equal(t, nat.ID, routes[rt.ID], "private route table in %s must use the NAT in its own AZ", az)
	}
}

func TestNoNatMeansNoDefaultRouteFromPrivateSubnets(t *testing.T) {
	res := runNetwork(t, components.NetworkArgs{NatStrategy: components.NatNone})
	for rt, gw := range privateRoutes(t, res) {
		assert.Empty(t, gw, "private route table %s must have no default route", rt)
	}
}

func TestEveryPrivateRouteTableHasTheS3EndpointAndNoPublicOneDoes(t *testing.T) {
	for _, nat := range components.NatStrategies {
		res := runNetwork(t, components.NetworkArgs{NatStrategy: nat})
		ep := one(t, res, controls.TypeVpcEndpoint, "net-s3")
		assert.Equal(t, "com.amazonaws.us-east-1.s3", ep.Str("serviceName"))
		assert.Equal(t, "Gateway", ep.Str("vpcEndpointType"))
		assert.Equal(t, one(t, res, controls.TypeVpc, "net-vpc").ID, ep.Str("vpcId"))
		var private []string
		for rt := range privateRoutes(t, res) {
			private = append(private, rt)
		}
		assert.ElementsMatch(t, private, ep.Strs("routeTableIds"), "%s: endpoint route tables", nat)
		assert.NotContains(t, ep.Strs("routeTableIds"), one(t, res, controls.TypeRouteTable, "net-public").ID)
	}
}

func TestS3EndpointPolicyAllowsOnlyThisAccountsBucketsByDefault(t *testing.T) {
	res := runNetwork(t, components.NetworkArgs{})
	stmts := endpointPolicy(t, res)
	require.Len(t, stmts, 1)
	s := stmts[0]
	assert.Equal(t, "Allow", s.Effect)
	assert.Equal(t, []string{"*"}, s.Resources)
	assert.Equal(t, mockrun.DefaultAccount, s.ConditionValue("StringEquals", "aws:ResourceAccount"),
		"the endpoint must be limited to buckets this account owns")
}

func TestS3EndpointPolicyGrantsExtraBucketsReadOnly(t *testing.T) {
	extra := []string{"arn:aws:s3:::prod-us-east-1-starport-layer-bucket", "arn:aws:s3:::al2023-repos-*"}
	res := runNetwork(t, components.NetworkArgs{S3EndpointExtraBucketArns: extra})
	stmts := endpointPolicy(t, res)
	require.Len(t, stmts, 2)
	s := stmts[1]
	assert.Equal(t, "Allow", s.Effect)
	assert.Equal(t, []string{"s3:GetObject", "s3:ListBucket"}, s.Actions, "extra buckets are read-only")
	assert.Equal(t, []string{extra[0], extra[0] + "/*", extra[1], extra[1] + "/*"}, s.Resources)
}

func endpointPolicy(t *testing.T, res *mockrun.Result) []controls.Statement {
	t.Helper()
	ep := one(t, res, controls.TypeVpcEndpoint, "net-s3")
	stmts := policyOf(t, ep, "policy")
	return stmts
}

func TestDefaultSecurityGroupIsAdoptedWithNoRules(t *testing.T) {
	res := runNetwork(t, components.NetworkArgs{})
	sg := one(t, res, controls.TypeDefaultSecurityGroup, "net-default-sg")
	assert.Equal(t, one(t, res, controls.TypeVpc, "net-vpc").ID, sg.Str("vpcId"))
	assert.True(t, sg.Has("ingress") && sg.Has("egress"), "rules must be given explicitly as empty lists")
	requireClean(t, controls.DefaultSecurityGroupsHaveNoRules(res), "default security group")
}

func TestDefaultNaclAdmitsNoInternetTrafficToSshOrRdp(t *testing.T) {
	res := runNetwork(t, components.NetworkArgs{})
	acl := one(t, res, controls.TypeDefaultNetworkAcl, "net-default-nacl")
	assert.Equal(t, one(t, res, controls.TypeVpc, "net-vpc").Out("defaultNetworkAclId"), acl.Str("defaultNetworkAclId"))
	assert.Len(t, acl.Strs("subnetIds"), 6, "all subnets are listed so the adopted ACL shows no drift")
	requireClean(t, controls.NaclsAdmitNoInternetToAdminPorts(res), "default network ACL")
}

func TestDefaultNaclLetsReturnTrafficForNatEgressIn(t *testing.T) {
	res := runNetwork(t, components.NetworkArgs{})
	acl := one(t, res, controls.TypeDefaultNetworkAcl, "net-default-nacl")
	rules := controls.NaclRules(acl.Value("ingress"))
	// NAT gateways use source ports 1024-65535: every one but the excluded admin port must be admitted,
	// for TCP and UDP alike.
	for _, proto := range []string{"tcp", "udp"} {
		for port := 1024; port <= 65535; port++ {
			admitted := false
			for _, r := range rules {
				admitted = admitted || (r.Protocol == proto && r.AdmitsFromInternet(port))
			}
			if port == 3389 {
				assert.False(t, admitted, "%s 3389 must not be admitted from the internet", proto)
			} else if !admitted {
				t.Fatalf("%s return traffic to port %d is dropped by the default ACL", proto, port)
			}
		}
	}
	egress := controls.NaclRules(acl.Value("egress"))
	require.Len(t, egress, 1)
	assert.Equal(t, controls.NaclRule{RuleNo: 100, Action: "allow", Protocol: "-1", Cidr: "0.0.0.0/0"}, egress[0])
}

func TestEveryTaggableNetworkChildHasANameAndSubnetsAndRouteTablesATier(t *testing.T) {
	res := runNetwork(t, components.NetworkArgs{})
	for _, r := range res.AWS() {
		if r.Type == controls.TypeRoute || r.Type == controls.TypeRouteTableAssoc {
			continue // not taggable
		}
		tags, _ := r.Value("tags").(map[string]any)
		assert.Equal(t, r.Name, tags["Name"], "%s: Name tag", r)
		if r.Type == controls.TypeSubnet || r.Type == controls.TypeRouteTable {
			assert.Contains(t, []any{"public", "private"}, tags["Tier"], "%s: Tier tag", r)
		}
	}
}
