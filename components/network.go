package components

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// NatStrategy says how private subnets reach the internet.
type NatStrategy string

const (
	// NatSingle is one NAT gateway (and one Elastic IP) in the first public subnet, shared by every private
	// route table. About $36/month plus $0.045/GB. Trade-off: if that AZ fails, every private subnet loses
	// internet egress until the AZ recovers or the strategy is changed to NatOnePerAz.
	NatSingle NatStrategy = "single"
	// NatOnePerAz is one NAT gateway per AZ, each private route table using the one in its own AZ. About
	// $108/month for three: an AZ failure only affects that AZ, and no cross-AZ data charges.
	NatOnePerAz NatStrategy = "onePerAz"
	// NatNone creates no NAT gateway and no default route in private route tables: private subnets reach only
	// the VPC and S3 (through the gateway endpoint). For cheap or isolated environments.
	NatNone NatStrategy = "none"
)

// NatStrategies lists the allowed NAT strategies.
var NatStrategies = []NatStrategy{NatSingle, NatOnePerAz, NatNone}

// DefaultVpcCidr is the VPC CIDR used when NetworkArgs.VpcCidr is empty.
const DefaultVpcCidr = "10.0.0.0/16"

// AzCount is the number of availability zones a Network spans.
const AzCount = 3

// NetworkArgs configures a Network.
type NetworkArgs struct {
	// VpcCidr is the VPC's IPv4 CIDR. If empty, DefaultVpcCidr (10.0.0.0/16) is used. It must be a canonical
	// CIDR inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, with a prefix from /16 to /24 (AWS allows /16 to
	// /28; the subnet layout needs 4 more bits).
	VpcCidr string

	// AvailabilityZones are exactly 3 distinct AZ names, in layout order (the first gets slot 0). If empty, the
	// available AZs that need no opt-in are looked up, sorted by name, and the first 3 are used; fewer than 3 is
	// an error.
	AvailabilityZones []string

	// NatStrategy is one of NatSingle, NatOnePerAz or NatNone. If empty, NatSingle is used: the cheaper choice,
	// at the cost of egress availability when the NAT gateway's AZ fails (see NatSingle).
	NatStrategy NatStrategy

	// S3EndpointExtraBucketArns are bucket ARNs outside this account that workloads may read through the S3
	// gateway endpoint (s3:GetObject and s3:ListBucket on the bucket and its objects), for example package
	// repositories (arn:aws:s3:::al2023-repos-us-east-1-de612dc2) or ECR's layer bucket
	// (arn:aws:s3:::prod-us-east-1-starport-layer-bucket). Each is arn:<partition>:s3:::<bucket>; '*' is allowed
	// in the bucket name. If empty, the endpoint reaches only buckets owned by this account, which blocks data
	// exfiltration to foreign buckets over the endpoint.
	S3EndpointExtraBucketArns []string
}

var bucketArnPattern = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):s3:::[a-z0-9*][a-z0-9.*-]{1,61}[a-z0-9*]$`)

// Validate reports every problem with the arguments at once.
func (a *NetworkArgs) Validate() error {
	p := problems{component: "Network"}
	if a.VpcCidr != "" {
		if msg := checkVpcCidr(a.VpcCidr); msg != "" {
			p.add("VpcCidr", "%s", msg)
		}
	}
	if len(a.AvailabilityZones) > 0 {
		if msg := checkAzNames(a.AvailabilityZones); msg != "" {
			p.add("AvailabilityZones", "%s", msg)
		}
	}
	if a.NatStrategy != "" && !isNatStrategy(a.NatStrategy) {
		p.add("NatStrategy", "%q is not one of %v", a.NatStrategy, NatStrategies)
	}
	for _, arn := range a.S3EndpointExtraBucketArns {
		if !bucketArnPattern.MatchString(arn) {
			p.add("S3EndpointExtraBucketArns", "%q is not a bucket ARN such as arn:aws:s3:::my-bucket", arn)
		}
	}
	return p.err()
}

func isNatStrategy(s NatStrategy) bool {
	for _, n := range NatStrategies {
		if s == n {
			return true
		}
	}
	return false
}

func checkAzNames(azs []string) string {
	if len(azs) != AzCount {
		return fmt.Sprintf("needs exactly %d availability zones, got %d (%v)", AzCount, len(azs), azs)
	}
	seen := map[string]bool{}
	for _, az := range azs {
		if az == "" {
			return "availability zone names must not be empty"
		}
		if seen[az] {
			return fmt.Sprintf("availability zone %q is listed twice", az)
		}
		seen[az] = true
	}
	return ""
}

// Network is a VPC over 3 AZs with a public and a private subnet in each, NAT per NatStrategy, an S3 gateway
// endpoint on the private route tables, and the VPC's default security group and network ACL locked down.
type Network struct {
	pulumi.ResourceState

	VpcId                  pulumi.StringOutput      `pulumi:"vpcId"`
	VpcCidr                pulumi.StringOutput      `pulumi:"vpcCidr"`
	AvailabilityZones      pulumi.StringArrayOutput `pulumi:"availabilityZones"`
	PublicSubnetIds        pulumi.StringArrayOutput `pulumi:"publicSubnetIds"`
	PrivateSubnetIds       pulumi.StringArrayOutput `pulumi:"privateSubnetIds"`
	PublicRouteTableId     pulumi.StringOutput      `pulumi:"publicRouteTableId"`
	PrivateRouteTableIds   pulumi.StringArrayOutput `pulumi:"privateRouteTableIds"`
	NatGatewayIds          pulumi.StringArrayOutput `pulumi:"natGatewayIds"`
	NatPublicIps           pulumi.StringArrayOutput `pulumi:"natPublicIps"`
	S3EndpointId           pulumi.StringOutput      `pulumi:"s3EndpointId"`
	DefaultSecurityGroupId pulumi.StringOutput      `pulumi:"defaultSecurityGroupId"`
	DefaultNetworkAclId    pulumi.StringOutput      `pulumi:"defaultNetworkAclId"`
}

// NetworkType is the Network's type token. It is API: renaming it replaces every child unless aliased.
const NetworkType = "aws-foundation:components:Network"

// anyIPv4 is the IPv4 default route and "anywhere".
const anyIPv4 = "0.0.0.0/0"

// NewNetwork validates args, looks up the account (and the AZs when not given), then creates the network.
func NewNetwork(ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	if args == nil {
		args = &NetworkArgs{}
	}
	if err := args.Validate(); err != nil {
		return nil, fmt.Errorf("network %q: %w", name, err)
	}
	cidr := args.VpcCidr
	if cidr == "" {
		cidr = DefaultVpcCidr
	}
	nat := args.NatStrategy
	if nat == "" {
		nat = NatSingle
	}
	acct, err := lookupAccount(ctx)
	if err != nil {
		return nil, fmt.Errorf("network %q: %w", name, err)
	}
	azs := args.AvailabilityZones
	if len(azs) == 0 {
		if azs, err = lookupAzs(ctx); err != nil {
			return nil, fmt.Errorf("network %q: %w", name, err)
		}
	}
	vpcPrefix := netip.MustParsePrefix(cidr) // validated above

	c := &Network{}
	if err := ctx.RegisterComponentResource(NetworkType, name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	wrap := func(step string, err error) error { return fmt.Errorf("network %q: %s: %w", name, step, err) }

	vpc, err := ec2.NewVpc(ctx, name+"-vpc", &ec2.VpcArgs{
		CidrBlock:          pulumi.String(cidr),
		EnableDnsSupport:   pulumi.Bool(true),
		EnableDnsHostnames: pulumi.Bool(true),
		Tags:               nameTags(name + "-vpc"),
	}, parent)
	if err != nil {
		return nil, wrap("create vpc", err)
	}

	igw, err := ec2.NewInternetGateway(ctx, name+"-igw", &ec2.InternetGatewayArgs{
		VpcId: vpc.ID(),
		Tags:  nameTags(name + "-igw"),
	}, parent)
	if err != nil {
		return nil, wrap("create internet gateway", err)
	}

	publicRt, err := ec2.NewRouteTable(ctx, name+"-public", &ec2.RouteTableArgs{
		VpcId: vpc.ID(),
		Tags:  nameTags(name+"-public", "Tier", TierPublic.String()),
	}, parent)
	if err != nil {
		return nil, wrap("create public route table", err)
	}
	if _, err := ec2.NewRoute(ctx, name+"-public-default", &ec2.RouteArgs{
		RouteTableId:         publicRt.ID(),
		DestinationCidrBlock: pulumi.String(anyIPv4),
		GatewayId:            igw.ID(),
	}, parent); err != nil {
		return nil, wrap("create public default route", err)
	}

	var publicIds, privateIds, privateRtIds, natIds, natIps []pulumi.StringOutput
	var publicSubnets, allSubnets []*ec2.Subnet
	subnet := func(tier Tier, i int, az string) (*ec2.Subnet, error) {
		block, err := SubnetCIDR(vpcPrefix, tier, i)
		if err != nil {
			return nil, err
		}
		n := fmt.Sprintf("%s-%s-%s", name, tier, az)
		s, err := ec2.NewSubnet(ctx, n, &ec2.SubnetArgs{
			VpcId:               vpc.ID(),
			AvailabilityZone:    pulumi.String(az),
			CidrBlock:           pulumi.String(block.String()),
			MapPublicIpOnLaunch: pulumi.Bool(false),
			Tags:                nameTags(n, "Tier", tier.String()),
		}, parent)
		if err != nil {
			return nil, err
		}
		allSubnets = append(allSubnets, s)
		return s, nil
	}

	for i, az := range azs {
		s, err := subnet(TierPublic, i, az)
		if err != nil {
			return nil, wrap("create public subnet", err)
		}
		publicSubnets = append(publicSubnets, s)
		publicIds = append(publicIds, s.ID().ToStringOutput())
		if _, err := ec2.NewRouteTableAssociation(ctx, fmt.Sprintf("%s-public-%s", name, az), &ec2.RouteTableAssociationArgs{
			SubnetId:     s.ID(),
			RouteTableId: publicRt.ID(),
		}, parent); err != nil {
			return nil, wrap("associate public subnet", err)
		}
	}

	// NAT gateways: none, one in the first public subnet, or one in each.
	natCount := map[NatStrategy]int{NatNone: 0, NatSingle: 1, NatOnePerAz: AzCount}[nat]
	var natGws []*ec2.NatGateway
	for i := 0; i < natCount; i++ {
		n := fmt.Sprintf("%s-nat-%s", name, azs[i])
		eip, err := ec2.NewEip(ctx, n, &ec2.EipArgs{
			Domain: pulumi.String("vpc"),
			Tags:   nameTags(n),
		}, parent)
		if err != nil {
			return nil, wrap("create nat elastic ip", err)
		}
		gw, err := ec2.NewNatGateway(ctx, n, &ec2.NatGatewayArgs{
			AllocationId: eip.ID(),
			SubnetId:     publicSubnets[i].ID(),
			Tags:         nameTags(n),
		}, parent, pulumi.DependsOn([]pulumi.Resource{igw}))
		if err != nil {
			return nil, wrap("create nat gateway", err)
		}
		natGws = append(natGws, gw)
		natIds = append(natIds, gw.ID().ToStringOutput())
		natIps = append(natIps, eip.PublicIp)
	}

	var privateRts pulumi.StringArray
	for i, az := range azs {
		s, err := subnet(TierPrivate, i, az)
		if err != nil {
			return nil, wrap("create private subnet", err)
		}
		privateIds = append(privateIds, s.ID().ToStringOutput())
		n := fmt.Sprintf("%s-private-%s", name, az)
		rt, err := ec2.NewRouteTable(ctx, n, &ec2.RouteTableArgs{
			VpcId: vpc.ID(),
			Tags:  nameTags(n, "Tier", TierPrivate.String()),
		}, parent)
		if err != nil {
			return nil, wrap("create private route table", err)
		}
		privateRts = append(privateRts, rt.ID())
		privateRtIds = append(privateRtIds, rt.ID().ToStringOutput())
		if _, err := ec2.NewRouteTableAssociation(ctx, n, &ec2.RouteTableAssociationArgs{
			SubnetId:     s.ID(),
			RouteTableId: rt.ID(),
		}, parent); err != nil {
			return nil, wrap("associate private subnet", err)
		}
		if len(natGws) > 0 {
			gw := natGws[min(i, len(natGws)-1)] // single: always the first; onePerAz: its own AZ's
			if _, err := ec2.NewRoute(ctx, n+"-default", &ec2.RouteArgs{
				RouteTableId:         rt.ID(),
				DestinationCidrBlock: pulumi.String(anyIPv4),
				NatGatewayId:         gw.ID(),
			}, parent); err != nil {
				return nil, wrap("create private default route", err)
			}
		}
	}

	endpointPolicy, err := s3EndpointPolicy(acct, args.S3EndpointExtraBucketArns)
	if err != nil {
		return nil, wrap("render s3 endpoint policy", err)
	}
	endpoint, err := ec2.NewVpcEndpoint(ctx, name+"-s3", &ec2.VpcEndpointArgs{
		VpcId:           vpc.ID(),
		ServiceName:     pulumi.String(fmt.Sprintf("%s.%s.s3", acct.ReverseDNSPrefix, acct.Region)),
		VpcEndpointType: pulumi.String("Gateway"),
		RouteTableIds:   privateRts,
		Policy:          pulumi.String(endpointPolicy),
		Tags:            nameTags(name + "-s3"),
	}, parent)
	if err != nil {
		return nil, wrap("create s3 gateway endpoint", err)
	}

	// Adopting the default security group with no rules removes AWS's allow-all egress and intra-group ingress:
	// anything launched without an explicit group can talk to nothing (FSBP EC2.2, CIS 5.4).
	defaultSg, err := ec2.NewDefaultSecurityGroup(ctx, name+"-default-sg", &ec2.DefaultSecurityGroupArgs{
		VpcId:   vpc.ID(),
		Ingress: ec2.DefaultSecurityGroupIngressArray{},
		Egress:  ec2.DefaultSecurityGroupEgressArray{},
		Tags:    nameTags(name + "-default-sg"),
	}, parent)
	if err != nil {
		return nil, wrap("adopt default security group", err)
	}

	subnetIds := pulumi.StringArray{}
	for _, s := range allSubnets {
		subnetIds = append(subnetIds, s.ID())
	}
	ingress, egress := defaultNaclRules(cidr)
	defaultNacl, err := ec2.NewDefaultNetworkAcl(ctx, name+"-default-nacl", &ec2.DefaultNetworkAclArgs{
		DefaultNetworkAclId: vpc.DefaultNetworkAclId,
		SubnetIds:           subnetIds, // listed so the adopted ACL shows no drift for our own subnets
		Ingress:             ingress,
		Egress:              egress,
		Tags:                nameTags(name + "-default-nacl"),
	}, parent)
	if err != nil {
		return nil, wrap("adopt default network acl", err)
	}

	c.VpcId = vpc.ID().ToStringOutput()
	c.VpcCidr = vpc.CidrBlock
	c.AvailabilityZones = pulumi.ToStringArray(azs).ToStringArrayOutput()
	c.PublicSubnetIds = pulumi.ToStringArrayOutput(publicIds)
	c.PrivateSubnetIds = pulumi.ToStringArrayOutput(privateIds)
	c.PublicRouteTableId = publicRt.ID().ToStringOutput()
	c.PrivateRouteTableIds = pulumi.ToStringArrayOutput(privateRtIds)
	c.NatGatewayIds = stringArrayOutput(natIds)
	c.NatPublicIps = stringArrayOutput(natIps)
	c.S3EndpointId = endpoint.ID().ToStringOutput()
	c.DefaultSecurityGroupId = defaultSg.ID().ToStringOutput()
	c.DefaultNetworkAclId = defaultNacl.ID().ToStringOutput()
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"vpcId":                  c.VpcId,
		"vpcCidr":                c.VpcCidr,
		"availabilityZones":      c.AvailabilityZones,
		"publicSubnetIds":        c.PublicSubnetIds,
		"privateSubnetIds":       c.PrivateSubnetIds,
		"publicRouteTableId":     c.PublicRouteTableId,
		"privateRouteTableIds":   c.PrivateRouteTableIds,
		"natGatewayIds":          c.NatGatewayIds,
		"natPublicIps":           c.NatPublicIps,
		"s3EndpointId":           c.S3EndpointId,
		"defaultSecurityGroupId": c.DefaultSecurityGroupId,
		"defaultNetworkAclId":    c.DefaultNetworkAclId,
	})
}

// stringArrayOutput turns outputs into one array output; an empty list stays an empty (not null) array.
func stringArrayOutput(outs []pulumi.StringOutput) pulumi.StringArrayOutput {
	if len(outs) == 0 {
		return pulumi.StringArray{}.ToStringArrayOutput()
	}
	return pulumi.ToStringArrayOutput(outs)
}

// lookupAzs returns the first AzCount available, no-opt-in AZs of the region, sorted by name. Opt-in zones
// (Local Zones, Wavelength) are left out: they lack NAT gateways and many instance types.
func lookupAzs(ctx *pulumi.Context) ([]string, error) {
	res, err := aws.GetAvailabilityZones(ctx, &aws.GetAvailabilityZonesArgs{
		State: pulumi.StringRef("available"),
		Filters: []aws.GetAvailabilityZonesFilter{
			{Name: "opt-in-status", Values: []string{"opt-in-not-required"}},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("look up availability zones: %w", err)
	}
	names := append([]string(nil), res.Names...)
	sort.Strings(names)
	if len(names) < AzCount {
		return nil, fmt.Errorf("region has %d available availability zones (%v); the network needs %d",
			len(names), names, AzCount)
	}
	return names[:AzCount], nil
}

// s3EndpointPolicy lets the endpoint reach only this account's buckets (aws:ResourceAccount), plus read-only
// access to the extra buckets. Without it, a compromised workload could copy data to any bucket in the world
// over the endpoint, out of sight of egress controls on the NAT path.
func s3EndpointPolicy(acct account, extraBucketArns []string) (string, error) {
	doc := endpointPolicy{{
		Sid:       "OwnAccountBucketsOnly",
		Effect:    allow,
		Principal: anyPrincipal(),
		Action:    action("s3:*"),
		Resource:  resource("*"),
		Condition: Conditions{"StringEquals": {"aws:ResourceAccount": acct.ID}},
	}}
	if len(extraBucketArns) > 0 {
		var arns []string
		for _, arn := range extraBucketArns {
			arns = append(arns, arn, arn+"/*")
		}
		doc = append(doc, resourceStatement{
			Sid:       "ReadExtraBuckets",
			Effect:    allow,
			Principal: anyPrincipal(),
			Action:    action("s3:GetObject", "s3:ListBucket"),
			Resource:  resource(arns...),
		})
	}
	return doc.JSON()
}

// NaclRule is one rule of the default network ACL, documented in the README.
type NaclRule struct {
	RuleNo   int
	Protocol string // "-1" (all), "tcp", "udp", "icmp"
	Cidr     string
	FromPort int
	ToPort   int
	IcmpType int // only for icmp
	IcmpCode int // only for icmp
}

// DefaultNaclIngress returns the default network ACL's ingress rules for a VPC CIDR. All of them allow.
// Network ACLs are stateless, so return traffic for connections the VPC opens (through NAT or the IGW) must be
// let in explicitly: TCP and UDP on the ephemeral ports 1024-65535, except 3389, which no rule admits from
// anywhere (FSBP EC2.21 and CIS 5.2 forbid 0.0.0.0/0 to 22 or 3389). Port 22 is below 1024. The one cost: a
// NAT-translated connection whose public port happens to be 3389 (1 in 64,512) is dropped and retried.
func DefaultNaclIngress(vpcCidr string) []NaclRule {
	return []NaclRule{
		{RuleNo: 100, Protocol: "-1", Cidr: vpcCidr},
		{RuleNo: 110, Protocol: "tcp", Cidr: anyIPv4, FromPort: 1024, ToPort: 3388},
		{RuleNo: 120, Protocol: "tcp", Cidr: anyIPv4, FromPort: 3390, ToPort: 65535},
		{RuleNo: 130, Protocol: "udp", Cidr: anyIPv4, FromPort: 1024, ToPort: 3388},
		{RuleNo: 140, Protocol: "udp", Cidr: anyIPv4, FromPort: 3390, ToPort: 65535},
		// ICMP destination unreachable / fragmentation needed, for path MTU discovery.
		{RuleNo: 150, Protocol: "icmp", Cidr: anyIPv4, IcmpType: 3, IcmpCode: 4},
	}
}

// DefaultNaclEgress returns the default network ACL's egress rules: everything out. What may leave is decided
// by security groups, which start empty.
func DefaultNaclEgress() []NaclRule {
	return []NaclRule{{RuleNo: 100, Protocol: "-1", Cidr: anyIPv4}}
}

func defaultNaclRules(vpcCidr string) (ec2.DefaultNetworkAclIngressArray, ec2.DefaultNetworkAclEgressArray) {
	var in ec2.DefaultNetworkAclIngressArray
	for _, r := range DefaultNaclIngress(vpcCidr) {
		args := &ec2.DefaultNetworkAclIngressArgs{
			RuleNo: pulumi.Int(r.RuleNo), Action: pulumi.String("allow"), Protocol: pulumi.String(r.Protocol),
			CidrBlock: pulumi.String(r.Cidr), FromPort: pulumi.Int(r.FromPort), ToPort: pulumi.Int(r.ToPort),
		}
		if r.Protocol == "icmp" {
			args.IcmpType, args.IcmpCode = pulumi.Int(r.IcmpType), pulumi.Int(r.IcmpCode)
		}
		in = append(in, args)
	}
	var out ec2.DefaultNetworkAclEgressArray
	for _, r := range DefaultNaclEgress() {
		out = append(out, &ec2.DefaultNetworkAclEgressArgs{
			RuleNo: pulumi.Int(r.RuleNo), Action: pulumi.String("allow"), Protocol: pulumi.String(r.Protocol),
			CidrBlock: pulumi.String(r.Cidr), FromPort: pulumi.Int(r.FromPort), ToPort: pulumi.Int(r.ToPort),
		})
	}
	return in, out
}
