package components

import (
	"math/rand"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// docs/COMPONENTS.md's layout table for 10.0.0.0/16; a change here is a change to every deployed network.
func TestSubnetLayoutForTheDefaultCidrIsTheDocumentedTable(t *testing.T) {
	want := map[tier][]string{
		tierPublic:  {"10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"},
		tierPrivate: {"10.0.64.0/20", "10.0.80.0/20", "10.0.96.0/20"},
	}
	for tier, cidrs := range want {
		for az, cidr := range cidrs {
			got, err := subnetCIDR(mustPrefix("10.0.0.0/16"), tier, az)
			require.NoError(t, err)
			assert.Equal(t, cidr, got.String(), "%s subnet in AZ %d", tier, az)
		}
	}
}

// randomVpcCidr returns a random canonical private CIDR with a prefix from /16 to /24.
func randomVpcCidr(rng *rand.Rand) netip.Prefix {
	bases := []struct {
		base netip.Prefix
	}{{mustPrefix("10.0.0.0/8")}, {mustPrefix("172.16.0.0/12")}, {mustPrefix("192.168.0.0/16")}}
	b := bases[rng.Intn(len(bases))].base
	bits := MinVpcPrefix + rng.Intn(MaxVpcPrefix-MinVpcPrefix+1)
	a := b.Addr().As4()
	r := rng.Uint32()
	for i := range a {
		a[i] |= byte(r>>(8*i)) & hostMask(b.Bits(), i)
	}
	return netip.PrefixFrom(netip.AddrFrom4(a), bits).Masked()
}

// hostMask is the mask of the bits of byte i that lie outside a prefix of the given length.
func hostMask(bits, i int) byte {
	if bits >= 8*(i+1) {
		return 0
	}
	if bits <= 8*i {
		return 0xff
	}
	return 0xff >> (bits - 8*i)
}

func TestSubnetsLieInsideTheVpcAndNeverOverlapForManyRandomCidrs(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for n := 0; n < 2000; n++ {
		vpc := randomVpcCidr(rng)
		var seen []netip.Prefix
		for _, tier := range []tier{tierPublic, tierPrivate} {
			for az := 0; az < AzCount; az++ {
				s, err := subnetCIDR(vpc, tier, az)
				require.NoError(t, err, "vpc %s", vpc)
				require.Equal(t, vpc.Bits()+layoutNewBits, s.Bits(), "vpc %s %s/%d", vpc, tier, az)
				require.True(t, vpc.Contains(s.Addr()) && s.Bits() >= vpc.Bits(), "vpc %s: %s outside it", vpc, s)
				for _, o := range seen {
					require.False(t, o.Overlaps(s), "vpc %s: %s overlaps %s", vpc, s, o)
				}
				seen = append(seen, s)
			}
		}
	}
}

func TestEveryTierAndAzHasItsOwnFixedSlot(t *testing.T) {
	vpc := mustPrefix("10.0.0.0/16")
	slots := map[string]bool{}
	for tier := tier(0); tier < 4; tier++ {
		for az := 0; az < layoutSlotsPerTier; az++ {
			s, err := subnetCIDR(vpc, tier, az)
			require.NoError(t, err)
			require.False(t, slots[s.String()], "slot %s used twice", s)
			slots[s.String()] = true
		}
	}
	assert.Len(t, slots, 16, "4 tiers x 4 AZ slots fill the VPC exactly")
	_, err := subnetCIDR(vpc, 4, 0)
	assert.Error(t, err, "there is no fifth tier")
	_, err = subnetCIDR(vpc, tierPublic, 4)
	assert.Error(t, err, "there is no fifth AZ slot")
	_, err = subnetCIDR(mustPrefix("10.0.0.0/25"), tierPublic, 0)
	assert.Error(t, err, "a /25 VPC cannot hold the layout")
}
