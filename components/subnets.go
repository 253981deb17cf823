package components

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// tier is a subnet tier. Each tier owns a fixed block of slots in the subnet layout.
type tier int

const (
	// tierPublic subnets route to the internet gateway. Slots 0-3.
	tierPublic tier = 0
	// tierPrivate subnets route through NAT (or nowhere with NatStrategyNone). Slots 4-7.
	tierPrivate tier = 1
)

func (t tier) String() string {
	switch t {
	case tierPublic:
		return "public"
	case tierPrivate:
		return "private"
	}
	return fmt.Sprintf("tier%d", int(t))
}

// The subnet layout. The VPC CIDR is cut into 16 equal slots (4 extra prefix bits, the same as Terraform's
// cidrsubnet(vpc, 4, slot)). Slot = tier*layoutSlotsPerTier + azIndex:
//
//	slot  0- 3  public  AZ a, b, c, (d reserved)
//	slot  4- 7  private AZ a, b, c, (d reserved)
//	slot  8-15  reserved for two more tiers (for example database and intra)
//
// A (tier, AZ) pair always lands in the same slot, so changing the NAT strategy or adding a tier never
// renumbers an existing subnet. For 10.0.0.0/16 every subnet is a /20 (4,091 usable addresses).
const (
	layoutNewBits      = 4
	layoutSlotsPerTier = 4
	// MinVpcPrefix and MaxVpcPrefix bound the VPC prefix: AWS allows /16 to /28, and the layout needs 4 more
	// bits for subnets that AWS still accepts (/28 at the smallest), so the VPC can be at most a /24.
	MinVpcPrefix = 16
	MaxVpcPrefix = 28 - layoutNewBits
)

// subnetCIDR returns the CIDR of the subnet of tier in the AZ with index az (0-based) inside vpc.
func subnetCIDR(vpc netip.Prefix, t tier, az int) (netip.Prefix, error) {
	if az < 0 || az >= layoutSlotsPerTier {
		return netip.Prefix{}, fmt.Errorf("az index %d outside 0..%d", az, layoutSlotsPerTier-1)
	}
	if t < 0 || int(t)*layoutSlotsPerTier+az >= 1<<layoutNewBits {
		return netip.Prefix{}, fmt.Errorf("tier %d has no slots in the layout", t)
	}
	if !vpc.Addr().Is4() || vpc.Bits() > MaxVpcPrefix {
		return netip.Prefix{}, fmt.Errorf("vpc cidr %s must be IPv4 with a prefix of /%d or shorter", vpc, MaxVpcPrefix)
	}
	slot := uint32(int(t)*layoutSlotsPerTier + az) //nolint:gosec // 0 <= slot < 16, checked above
	bits := vpc.Bits() + layoutNewBits
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
			cidr, p.Bits()+layoutNewBits, MinVpcPrefix, MaxVpcPrefix)
	}
	for _, r := range rfc1918 {
		if r.Bits() <= p.Bits() && r.Contains(p.Addr()) {
			return ""
		}
	}
	return fmt.Sprintf("%q is not inside a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)", cidr)
}

// subnet creates the subnet of a tier in the AZ with index i. No subnet maps public IPs on launch: an instance
// gets a public address only when someone asks for one.
func subnet(s scope, vpc *ec2.Vpc, cidr string, t tier, i int, az string) (*ec2.Subnet, error) {
	block, err := subnetCIDR(netip.MustParsePrefix(cidr), t, i) // validated by NetworkArgs.Validate
	if err != nil {
		return nil, err
	}
	n := fmt.Sprintf("%s-%s-%s", s.name, t, az)
	return ec2.NewSubnet(s.ctx, n, &ec2.SubnetArgs{
		VpcId:               vpc.ID(),
		AvailabilityZone:    pulumi.String(az),
		CidrBlock:           pulumi.String(block.String()),
		MapPublicIpOnLaunch: pulumi.Bool(false),
		Tags:                s.childTags(n, "Tier", t.String()),
	}, s.parent)
}

// publicSubnets creates one public subnet per AZ and the route table they share, whose default route is the
// internet gateway.
func publicSubnets(s scope, vpc *ec2.Vpc, igw *ec2.InternetGateway, cidr string, azs []string) (*ec2.RouteTable, []*ec2.Subnet, error) {
	rt, err := ec2.NewRouteTable(s.ctx, s.name+"-public", &ec2.RouteTableArgs{
		VpcId: vpc.ID(),
		Tags:  s.childTags(s.name+"-public", "Tier", tierPublic.String()),
	}, s.parent)
	if err != nil {
		return nil, nil, err
	}
	if _, err := ec2.NewRoute(s.ctx, s.name+"-public-default", &ec2.RouteArgs{
		RouteTableId:         rt.ID(),
		DestinationCidrBlock: pulumi.String(anyIPv4),
		GatewayId:            igw.ID(),
	}, s.parent); err != nil {
		return nil, nil, err
	}
	var subnets []*ec2.Subnet
	for i, az := range azs {
		sn, err := subnet(s, vpc, cidr, tierPublic, i, az)
		if err != nil {
			return nil, nil, err
		}
		subnets = append(subnets, sn)
		if _, err := ec2.NewRouteTableAssociation(s.ctx, fmt.Sprintf("%s-public-%s", s.name, az), &ec2.RouteTableAssociationArgs{
			SubnetId:     sn.ID(),
			RouteTableId: rt.ID(),
		}, s.parent); err != nil {
			return nil, nil, err
		}
	}
	return rt, subnets, nil
}

// privateSubnets creates one private subnet per AZ, each with its own route table (so that NatOnePerAz can route
// each AZ through its own gateway), and the default route to a NAT gateway when there is one.
func privateSubnets(s scope, vpc *ec2.Vpc, cidr string, azs []string, nats []*ec2.NatGateway) ([]*ec2.Subnet, []*ec2.RouteTable, error) {
	var subnets []*ec2.Subnet
	var rts []*ec2.RouteTable
	for i, az := range azs {
		sn, err := subnet(s, vpc, cidr, tierPrivate, i, az)
		if err != nil {
			return nil, nil, err
		}
		subnets = append(subnets, sn)
		n := fmt.Sprintf("%s-private-%s", s.name, az)
		rt, err := ec2.NewRouteTable(s.ctx, n, &ec2.RouteTableArgs{
			VpcId: vpc.ID(),
			Tags:  s.childTags(n, "Tier", tierPrivate.String()),
		}, s.parent)
		if err != nil {
			return nil, nil, err
		}
		rts = append(rts, rt)
		if _, err := ec2.NewRouteTableAssociation(s.ctx, n, &ec2.RouteTableAssociationArgs{
			SubnetId:     sn.ID(),
			RouteTableId: rt.ID(),
		}, s.parent); err != nil {
			return nil, nil, err
		}
		if len(nats) == 0 {
			continue
		}
		gw := nats[min(i, len(nats)-1)] // single: always the first; onePerAz: its own AZ's
		if _, err := ec2.NewRoute(s.ctx, n+"-default", &ec2.RouteArgs{
			RouteTableId:         rt.ID(),
			DestinationCidrBlock: pulumi.String(anyIPv4),
			NatGatewayId:         gw.ID(),
		}, s.parent); err != nil {
			return nil, nil, err
		}
	}
	return subnets, rts, nil
}
