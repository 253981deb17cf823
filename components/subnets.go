package components

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Tier is a subnet tier. Each tier owns a fixed block of slots in the subnet layout.
type Tier int

const (
	// TierPublic subnets route to the internet gateway. Slots 0-3.
	TierPublic Tier = 0
	// TierPrivate subnets route through NAT (or nowhere with NatStrategyNone). Slots 4-7.
	TierPrivate Tier = 1
)

func (t Tier) String() string {
	switch t {
	case TierPublic:
		return "public"
	case TierPrivate:
		return "private"
	}
	return fmt.Sprintf("tier%d", int(t))
}

// The subnet layout. The VPC CIDR is cut into 16 equal slots (4 extra prefix bits, the same as Terraform's
// cidrsubnet(vpc, 4, slot)). Slot = tier*LayoutSlotsPerTier + azIndex:
//
//	slot  0- 3  public  AZ a, b, c, (d reserved)
//	slot  4- 7  private AZ a, b, c, (d reserved)
//	slot  8-15  reserved for two more tiers (for example database and intra)
//
// A (tier, AZ) pair always lands in the same slot, so changing the NAT strategy or adding a tier never
// renumbers an existing subnet. For 10.0.0.0/16 every subnet is a /20 (4,091 usable addresses).
const (
	LayoutNewBits      = 4
	LayoutSlotsPerTier = 4
	// MinVpcPrefix and MaxVpcPrefix bound the VPC prefix: AWS allows /16 to /28, and the layout needs 4 more
	// bits for subnets that AWS still accepts (/28 at the smallest), so the VPC can be at most a /24.
	MinVpcPrefix = 16
	MaxVpcPrefix = 28 - LayoutNewBits
)

// SubnetCIDR returns the CIDR of the subnet of tier in the AZ with index az (0-based) inside vpc.
func SubnetCIDR(vpc netip.Prefix, tier Tier, az int) (netip.Prefix, error) {
	if az < 0 || az >= LayoutSlotsPerTier {
		return netip.Prefix{}, fmt.Errorf("az index %d outside 0..%d", az, LayoutSlotsPerTier-1)
	}
	if tier < 0 || int(tier)*LayoutSlotsPerTier+az >= 1<<LayoutNewBits {
		return netip.Prefix{}, fmt.Errorf("tier %d has no slots in the layout", tier)
	}
	if !vpc.Addr().Is4() || vpc.Bits() > MaxVpcPrefix {
		return netip.Prefix{}, fmt.Errorf("vpc cidr %s must be IPv4 with a prefix of /%d or shorter", vpc, MaxVpcPrefix)
	}
	slot := uint32(int(tier)*LayoutSlotsPerTier + az) //nolint:gosec // 0 <= slot < 16, checked above
	bits := vpc.Bits() + LayoutNewBits
	base := vpc.Masked().Addr().As4()
	n := binary.BigEndian.Uint32(base[:]) + slot<<(32-bits)
	var out [4]byte
	binary.BigEndian.PutUint32(out[:], n)
	return netip.PrefixFrom(netip.AddrFrom4(out), bits), nil
}

// rfc1918 are the private IPv4 ranges a VPC CIDR must lie in.
var rfc1918 = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
}

// checkVpcCidr returns what is wrong with a VPC CIDR, or "" when it is usable.
func checkVpcCidr(cidr string) string {
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() {
		return fmt.Sprintf("%q is not an IPv4 CIDR such as 10.0.0.0/16", cidr)
	}
	if p.Masked() != p {
		return fmt.Sprintf("%q has host bits set; did you mean %s?", cidr, p.Masked())
	}
	if p.Bits() < MinVpcPrefix || p.Bits() > 28 {
		return fmt.Sprintf("%q has prefix /%d; AWS allows /%d to /28", cidr, p.Bits(), MinVpcPrefix)
	}
	if p.Bits() > MaxVpcPrefix {
		return fmt.Sprintf("%q is too small for the subnet layout (16 slots of /%d); use /%d to /%d",
			cidr, p.Bits()+LayoutNewBits, MinVpcPrefix, MaxVpcPrefix)
	}
	for _, r := range rfc1918 {
		if r.Bits() <= p.Bits() && r.Contains(p.Addr()) {
			return ""
		}
	}
	return fmt.Sprintf("%q is not inside a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)", cidr)
}
