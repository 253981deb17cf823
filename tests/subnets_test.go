package tests

import (
	"net/netip"
	"testing"

	"github.com/aws-foundation/aws-foundation/components"
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func TestSubnetCidrsDoNotChangeWhenTheNatStrategyChanges(t *testing.T) {
	t.Parallel()
	for _, vpc := range []string{"10.0.0.0/16", "172.16.32.0/20", "192.168.1.0/24", "10.255.192.0/18", "172.31.0.0/16"} {
		var layouts []map[string]string
		for _, nat := range components.NatStrategies() {
			res := runNetwork(t, components.NetworkArgs{VpcCidr: vpc, NatStrategy: nat, AvailabilityZones: threeAzs})
			layout := map[string]string{}
			for _, s := range res.OfType(mockrun.TypeSubnet) {
				layout[s.Name] = s.Str("cidrBlock")
				require.True(t, mustPrefix(vpc).Contains(mustPrefix(s.Str("cidrBlock")).Addr()), "%s in %s", s, vpc)
			}
			require.Len(t, layout, 6)
			layouts = append(layouts, layout)
		}
		assert.Equal(t, layouts[0], layouts[1], "vpc %s: single vs onePerAz", vpc)
		assert.Equal(t, layouts[0], layouts[2], "vpc %s: single vs none", vpc)
	}
}
