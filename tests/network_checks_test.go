package tests

import (
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

func TestNaclCheckFiresOnEveryWayOfOpeningAdminPortsToTheInternet(t *testing.T) {
	res := runNetwork(t, components.NetworkArgs{})
	broken := map[string]map[string]any{
		"ssh from 0.0.0.0/0":          naclRule("tcp", 22, 22, "cidrBlock", "0.0.0.0/0"),
		"rdp inside a range":          naclRule("tcp", 1024, 65535, "cidrBlock", "0.0.0.0/0"),
		"all protocols from anywhere": naclRule("-1", 0, 0, "cidrBlock", "0.0.0.0/0"),
		"ssh from ::/0":               naclRule("6", 0, 100, "ipv6CidrBlock", "::/0"),
		"rdp over udp":                naclRule("udp", 3389, 3389, "cidrBlock", "0.0.0.0/0"),
	}
	for what, rule := range broken {
		t.Run(what, func(t *testing.T) {
			m := mutate(t, res, controls.TypeDefaultNetworkAcl, "net-default-nacl", func(in resource.PropertyMap) {
				in["ingress"] = prop(append(in["ingress"].Mappable().([]any), rule))
			})
			assert.NotEmpty(t, controls.NaclsAdmitNoInternetToAdminPorts(m))
		})
	}
	t.Run("an ssh rule from inside the VPC is fine", func(t *testing.T) {
		m := mutate(t, res, controls.TypeDefaultNetworkAcl, "net-default-nacl", func(in resource.PropertyMap) {
			in["ingress"] = prop(append(in["ingress"].Mappable().([]any), naclRule("tcp", 22, 22, "cidrBlock", "10.0.0.0/16")))
		})
		assert.Empty(t, controls.NaclsAdmitNoInternetToAdminPorts(m))
	})
	t.Run("a default ACL left unmanaged", func(t *testing.T) {
		assert.NotEmpty(t, controls.NaclsAdmitNoInternetToAdminPorts(drop(res, controls.TypeDefaultNetworkAcl)))
	})
}

func TestDefaultSecurityGroupCheckFiresOnAnyRuleOrWhenNotAdopted(t *testing.T) {
	res := runNetwork(t, components.NetworkArgs{})
	for _, dir := range []string{"ingress", "egress"} {
		m := mutate(t, res, controls.TypeDefaultSecurityGroup, "net-default-sg", func(in resource.PropertyMap) {
			in[resource.PropertyKey(dir)] = prop([]any{map[string]any{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0,
				"cidrBlocks": []any{"0.0.0.0/0"}}})
		})
		assert.NotEmpty(t, controls.DefaultSecurityGroupsHaveNoRules(m), "a default SG with an %s rule", dir)
	}
	assert.NotEmpty(t, controls.DefaultSecurityGroupsHaveNoRules(drop(res, controls.TypeDefaultSecurityGroup)))
}

func TestPublicIpCheckFiresOnASubnetThatMapsPublicIps(t *testing.T) {
	res := runNetwork(t, components.NetworkArgs{AvailabilityZones: threeAzs})
	for _, v := range []any{true, nil} {
		m := mutate(t, res, controls.TypeSubnet, "net-public-eu-west-1b", func(in resource.PropertyMap) {
			if v == nil {
				delete(in, "mapPublicIpOnLaunch") // AWS's default for a new subnet is false, but we want it explicit
			} else {
				in["mapPublicIpOnLaunch"] = prop(v)
			}
		})
		assert.NotEmpty(t, controls.SubnetsDoNotMapPublicIps(m), "mapPublicIpOnLaunch=%v", v)
	}
}
