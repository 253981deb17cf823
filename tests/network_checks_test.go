package tests

import (
	"strings"
	"testing"

	"github.com/aws-foundation/aws-foundation/components"
	"github.com/aws-foundation/aws-foundation/internal/controls"
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// edit returns a copy of res in which fn has changed every resource of typ (inputs and options alike).
func edit(res *mockrun.Result, typ string, fn func(r *mockrun.Resource)) *mockrun.Result {
	out := *res
	out.Resources = nil
	for _, r := range res.Resources {
		if r.Type == typ {
			r.Inputs = r.Inputs.Copy()
			fn(&r)
		}
		out.Resources = append(out.Resources, r)
	}
	return &out
}

// mutate returns a copy of res in which fn has changed the inputs of the resource of typ named name.
func mutate(t *testing.T, res *mockrun.Result, typ, name string, fn func(in resource.PropertyMap)) *mockrun.Result {
	t.Helper()
	_, err := res.One(typ, name)
	require.NoError(t, err, "nothing to mutate")
	return edit(res, typ, func(r *mockrun.Resource) {
		if r.Name == name {
			fn(r.Inputs)
		}
	})
}

// drop returns a copy of res without the resources of typ.
func drop(res *mockrun.Result, typ string) *mockrun.Result {
	out := *res
	out.Resources = nil
	for _, r := range res.Resources {
		if r.Type != typ {
			out.Resources = append(out.Resources, r)
		}
	}
	return &out
}

func prop(v any) resource.PropertyValue { return resource.NewPropertyValue(v) }

func naclRule(proto string, from, to int, cidrKey, cidr string) map[string]any {
	return map[string]any{"ruleNo": 90.0, "action": "allow", "protocol": proto, cidrKey: cidr,
		"fromPort": float64(from), "toPort": float64(to)}
}

// addIngress returns a copy of res with rule appended to the ingress of the ACL of typ named name.
func addIngress(t *testing.T, res *mockrun.Result, typ, name string, rule map[string]any) *mockrun.Result {
	return mutate(t, res, typ, name, func(in resource.PropertyMap) {
		in["ingress"] = prop(append(in["ingress"].Mappable().([]any), rule))
	})
}

func TestNaclCheckFiresOnEveryWayOfOpeningAdminPortsToTheInternet(t *testing.T) {
	t.Parallel()
	res := runNetwork(t, components.NetworkArgs{PublicIngressPorts: []int{443}})
	broken := map[string]map[string]any{
		"ssh from 0.0.0.0/0":          naclRule("tcp", 22, 22, "cidrBlock", "0.0.0.0/0"),
		"rdp inside a range":          naclRule("tcp", 1024, 65535, "cidrBlock", "0.0.0.0/0"),
		"all protocols from anywhere": naclRule("-1", 0, 0, "cidrBlock", "0.0.0.0/0"),
		"ssh from ::/0":               naclRule("6", 0, 100, "ipv6CidrBlock", "::/0"),
		"rdp over udp":                naclRule("udp", 3389, 3389, "cidrBlock", "0.0.0.0/0"),
	}
	for _, acl := range []struct{ typ, name string }{
		{mockrun.TypeDefaultNetworkAcl, "net-default-nacl"}, {mockrun.TypeNetworkAcl, "net-public-nacl"},
	} {
		for what, rule := range broken {
			t.Run(acl.name+"/"+what, func(t *testing.T) {
				assert.NotEmpty(t, controls.NaclsAdmitNoInternetToAdminPorts(addIngress(t, res, acl.typ, acl.name, rule)))
			})
		}
	}
	t.Run("an ssh rule from inside the VPC is fine", func(t *testing.T) {
		m := addIngress(t, res, mockrun.TypeDefaultNetworkAcl, "net-default-nacl", naclRule("tcp", 22, 22, "cidrBlock", "10.0.0.0/16"))
		assert.Empty(t, controls.NaclsAdmitNoInternetToAdminPorts(m))
	})
	t.Run("a default ACL left unmanaged", func(t *testing.T) {
		assert.NotEmpty(t, controls.NaclsAdmitNoInternetToAdminPorts(drop(res, mockrun.TypeDefaultNetworkAcl)))
	})
}

func TestProtocolAllCheckFiresInEitherDirectionOnEitherAcl(t *testing.T) {
	t.Parallel()
	res := runNetwork(t, components.NetworkArgs{})
	for _, acl := range []struct{ typ, name string }{
		{mockrun.TypeDefaultNetworkAcl, "net-default-nacl"}, {mockrun.TypeNetworkAcl, "net-public-nacl"},
	} {
		for _, dir := range []string{"ingress", "egress"} {
			for _, proto := range []string{"-1", "all"} {
				m := mutate(t, res, acl.typ, acl.name, func(in resource.PropertyMap) {
					rules := in[resource.PropertyKey(dir)].Mappable().([]any)
					rules[0].(map[string]any)["protocol"] = proto // the VPC-CIDR (ingress) or anywhere (egress) TCP rule
					in[resource.PropertyKey(dir)] = prop(rules)
				})
				assert.NotEmpty(t, controls.NaclRulesNameTheirProtocol(m), "%s %s protocol %s", acl.name, dir, proto)
			}
		}
	}
	requireClean(t, controls.NaclRulesNameTheirProtocol(res), "every rule names its protocol")
}

// icmpFromInternet is an ingress rule admitting ICMP type icmpType (-1: every type), any code, from 0.0.0.0/0.
func icmpFromInternet(ruleNo, icmpType float64) map[string]any {
	return map[string]any{"ruleNo": ruleNo, "action": "allow", "protocol": "icmp", "cidrBlock": "0.0.0.0/0",
		"fromPort": 0.0, "toPort": 0.0, "icmpType": icmpType, "icmpCode": -1.0}
}

func TestPublicPortCheckFiresOnUnconfiguredPortsAndPublicSubnetsOnTheDefaultAcl(t *testing.T) {
	t.Parallel()
	ports := []int{443}
	res := runNetwork(t, components.NetworkArgs{AvailabilityZones: threeAzs, PublicIngressPorts: ports})
	requireClean(t, controls.PublicSubnetsAdmitOnlyConfiguredPorts(res, ports), "the unbroken network")
	cases := map[string]*mockrun.Result{
		"an unconfigured port below 1024 on the public ACL": addIngress(t, res, mockrun.TypeNetworkAcl, "net-public-nacl",
			naclRule("tcp", 25, 25, "cidrBlock", "0.0.0.0/0")),
		"a range reaching below 1024": addIngress(t, res, mockrun.TypeNetworkAcl, "net-public-nacl",
			naclRule("udp", 1000, 2000, "cidrBlock", "0.0.0.0/0")),
		"icmp echo requests from the internet": addIngress(t, res, mockrun.TypeNetworkAcl, "net-public-nacl",
			icmpFromInternet(91, 8)),
		"a configured port on the default ACL": addIngress(t, res, mockrun.TypeDefaultNetworkAcl, "net-default-nacl",
			naclRule("tcp", 443, 443, "cidrBlock", "0.0.0.0/0")),
		"a port range from the internet": addIngress(t, res, mockrun.TypeNetworkAcl, "net-public-nacl",
			naclRule("tcp", 80, 443, "cidrBlock", "0.0.0.0/0")),
		"udp on a configured port": addIngress(t, res, mockrun.TypeNetworkAcl, "net-public-nacl",
			naclRule("udp", 443, 443, "cidrBlock", "0.0.0.0/0")),
		"every icmp type from the internet": addIngress(t, res, mockrun.TypeNetworkAcl, "net-public-nacl",
			icmpFromInternet(90, -1)),
		"a public subnet moved back to the default ACL": mutate(t, res, mockrun.TypeNetworkAcl, "net-public-nacl",
			func(in resource.PropertyMap) {
				ids := in["subnetIds"].Mappable().([]any)
				in["subnetIds"] = prop(ids[1:])
			}),
	}
	for what, m := range cases {
		assert.NotEmpty(t, controls.PublicSubnetsAdmitOnlyConfiguredPorts(m, ports), what)
	}
	assert.Empty(t, controls.PublicSubnetsAdmitOnlyConfiguredPorts(addIngress(t, res, mockrun.TypeNetworkAcl,
		"net-public-nacl", naclRule("tcp", 22, 22, "cidrBlock", "0.0.0.0/0")), ports),
		"an admin port is AF-VPC-03's finding, so one break fails one control")
}

func TestEndpointCheckFiresOnWritesWildcardsAndAMissingPolicy(t *testing.T) {
	t.Parallel()
	res := runNetwork(t, components.NetworkArgs{S3EndpointExtraBucketArns: []string{"arn:aws:s3:::vendor-artifacts"}})
	requireClean(t, controls.S3EndpointsReachOnlyNamedBuckets(res), "the unbroken endpoint")
	policy := one(t, res, mockrun.TypeVpcEndpoint, "net-s3").Str("policy")
	edits := map[string][2]string{
		"write to AWS service buckets":   {`"Action":["s3:GetObject"]`, `"Action":["s3:GetObject","s3:PutObject"]`},
		"delete in extra buckets":        {`"s3:ListBucket"`, `"s3:ListBucket","s3:DeleteObject"`},
		"a wildcard bucket name":         {`starport-layer-bucket/*`, `starport-layer-bucket*/*`},
		"every bucket":                   {`"arn:aws:s3:::vendor-artifacts"`, `"*"`},
		"s3:* without the account check": {`"aws:ResourceAccount":"123456789012"`, `"aws:ResourceAccount":"999999999999"`},
	}
	for what, e := range edits {
		require.Contains(t, policy, e[0], what)
		m := mutate(t, res, mockrun.TypeVpcEndpoint, "net-s3", func(in resource.PropertyMap) {
			in["policy"] = prop(strings.Replace(policy, e[0], e[1], 1))
		})
		assert.NotEmpty(t, controls.S3EndpointsReachOnlyNamedBuckets(m), what)
	}
	noPolicy := mutate(t, res, mockrun.TypeVpcEndpoint, "net-s3", func(in resource.PropertyMap) { delete(in, "policy") })
	assert.NotEmpty(t, controls.S3EndpointsReachOnlyNamedBuckets(noPolicy), "no policy: full access")
}

func TestDefaultSecurityGroupCheckFiresOnAnyRuleOrWhenNotAdopted(t *testing.T) {
	t.Parallel()
	res := runNetwork(t, components.NetworkArgs{})
	for _, dir := range []string{"ingress", "egress"} {
		m := mutate(t, res, mockrun.TypeDefaultSecurityGroup, "net-default-sg", func(in resource.PropertyMap) {
			in[resource.PropertyKey(dir)] = prop([]any{map[string]any{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0,
				"cidrBlocks": []any{"0.0.0.0/0"}}})
		})
		assert.NotEmpty(t, controls.DefaultSecurityGroupsHaveNoRules(m), "a default SG with an %s rule", dir)
	}
	assert.NotEmpty(t, controls.DefaultSecurityGroupsHaveNoRules(drop(res, mockrun.TypeDefaultSecurityGroup)))
}

func TestPublicIpCheckFiresOnASubnetThatMapsPublicIps(t *testing.T) {
	t.Parallel()
	res := runNetwork(t, components.NetworkArgs{AvailabilityZones: threeAzs})
	for _, v := range []any{true, nil} {
		m := mutate(t, res, mockrun.TypeSubnet, "net-public-eu-west-1b", func(in resource.PropertyMap) {
			if v == nil {
				delete(in, "mapPublicIpOnLaunch") // AWS's default for a new subnet is false, but we want it explicit
			} else {
				in["mapPublicIpOnLaunch"] = prop(v)
			}
		})
		assert.NotEmpty(t, controls.SubnetsDoNotMapPublicIps(m), "mapPublicIpOnLaunch=%v", v)
	}
}

func TestTheControlsExpectTheComponentsDefaultPublicPorts(t *testing.T) {
	t.Parallel()
	assert.Equal(t, components.DefaultPublicIngressPorts(), controls.DocumentedPublicIngressPorts(),
		"AF-VPC-06's documented default and the program's default drifted apart")
}
