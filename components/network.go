package components

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strings"

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
	// gateway endpoint (s3:GetObject and s3:ListBucket on the bucket and its objects), for example a vendor's
	// artifact bucket. Each is arn:<partition>:s3:::<bucket> with the exact bucket name: '*' and '?' are refused,
	// since a pattern also matches buckets anyone can create. If empty, the endpoint reaches only buckets owned by
	// this account plus the AWS service buckets below, which blocks data exfiltration to foreign buckets over the
	// endpoint.
	S3EndpointExtraBucketArns []string

	// NoAwsServiceBuckets leaves the AWS-owned buckets of ServiceBucketGroups (ECR image layers, Amazon Linux 2
	// and 2023 package repositories, the SSM Agent's buckets) out of the endpoint policy. Default false: they are
	// readable (s3:GetObject only), by exact name for the stack's region; a region missing from
	// ServiceBucketRegions is then an error.
	NoAwsServiceBuckets bool

	// PublicIngressPorts are the TCP ports the public subnets' network ACL admits from the internet (0.0.0.0/0),
	// for example 443 and 80 for an internet-facing load balancer. Each 1-65535, never 22 or 3389, no duplicates,
	// at most MaxPublicIngressPorts. If empty, the public subnets admit only return traffic, like the private ones.
	// (The stacks' publicIngressPorts key defaults to DefaultPublicIngressPorts.)
	PublicIngressPorts []int
}

var bucketArnPattern = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

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
		switch {
		case strings.ContainsAny(arn, "*?"):
			p.add("S3EndpointExtraBucketArns", "%q has a wildcard; name each bucket exactly (a pattern also matches buckets anyone can create)", arn)
		case !bucketArnPattern.MatchString(arn):
			p.add("S3EndpointExtraBucketArns", "%q is not a bucket ARN such as arn:aws:s3:::my-bucket", arn)
		}
	}
	for _, msg := range checkPublicIngressPorts(a.PublicIngressPorts) {
		p.add("PublicIngressPorts", "%s", msg)
	}
	return p.err()
}

// Preflight looks up the account and region and reports, as a *ValidationError, what only they reveal: a
// region missing from the AWS service-bucket table. NewNetwork checks the same before it registers anything; a
// composition of several components calls every Preflight first, so that none of them registers anything when
// another would fail.
func (a *NetworkArgs) Preflight(ctx *pulumi.Context) error {
	acct, err := lookupAccount(ctx)
	if err != nil {
		return err
	}
	_, err = a.serviceBuckets(acct)
	return err
}

// serviceBuckets returns the AWS service buckets of the account's region (none when turned off).
func (a *NetworkArgs) serviceBuckets(acct account) ([]ServiceBucket, error) {
	if a.NoAwsServiceBuckets {
		return nil, nil
	}
	buckets, err := ServiceBuckets(acct.Region)
	if err != nil {
		p := problems{component: "Network"}
		p.add("NoAwsServiceBuckets", "%v; turn the AWS service buckets off and name the buckets workloads need as extra bucket ARNs", err)
		return nil, p.err()
	}
	return buckets, nil
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
// endpoint on the private route tables, the VPC's default security group locked down, the default network ACL
// holding the private rules and the public subnets on a network ACL of their own.
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
	PublicNetworkAclId     pulumi.StringOutput      `pulumi:"publicNetworkAclId"`
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
	serviceBuckets, err := args.serviceBuckets(acct)
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
	var publicSubnets []*ec2.Subnet
	subnet := func(tier Tier, i int, az string) (*ec2.Subnet, error) {
		block, err := SubnetCIDR(vpcPrefix, tier, i)
		if err != nil {
			return nil, err
		}
		n := fmt.Sprintf("%s-%s-%s", name, tier, az)
		return ec2.NewSubnet(ctx, n, &ec2.SubnetArgs{
			VpcId:               vpc.ID(),
			AvailabilityZone:    pulumi.String(az),
			CidrBlock:           pulumi.String(block.String()),
			MapPublicIpOnLaunch: pulumi.Bool(false),
			Tags:                nameTags(n, "Tier", tier.String()),
		}, parent)
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

	endpointPolicy, err := s3EndpointPolicy(acct, serviceBuckets, args.S3EndpointExtraBucketArns)
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

	// The default network ACL holds the private rules: the VPC and return traffic. Private subnets use it, and so
	// does any subnet another stack adds to this VPC later (AWS associates every new subnet with the default ACL).
	//
	// subnetIds is deliberately not listed, and changes to it are ignored. pulumi-aws (the Terraform provider's
	// aws_default_network_acl) reads back every subnet associated with the default ACL, and an association cannot
	// be "removed" from it, only replaced by another ACL's. Listing our subnets would make every subnet another
	// stack adds show up as a change to undo: a diff on every preview and drift on every refresh that no update
	// can fix (the provider docs' "Managing Subnets In A Default Network ACL", and terraform-aws-modules/vpc#736).
	// With IgnoreChanges, Pulumi keeps the stored value for previews and updates, and since Pulumi 3.117 a refresh
	// diffs against the program with the same IgnoreChanges (pulumi/pulumi#16146), so
	// `pulumi refresh --expect-no-changes` stays clean. The public subnets are moved off this ACL by the public
	// ACL's own association below.
	ingress, egress := defaultNaclRuleArgs(PrivateNaclIngress(cidr), NaclEgress())
	defaultNacl, err := ec2.NewDefaultNetworkAcl(ctx, name+"-default-nacl", &ec2.DefaultNetworkAclArgs{
		DefaultNetworkAclId: vpc.DefaultNetworkAclId,
		Ingress:             ingress,
		Egress:              egress,
		Tags:                nameTags(name+"-default-nacl", "Tier", TierPrivate.String()),
	}, parent, pulumi.IgnoreChanges([]string{"subnetIds"}))
	if err != nil {
		return nil, wrap("adopt default network acl", err)
	}

	// The public subnets get a network ACL of their own: the private rules plus the public ingress ports.
	publicIngress, publicEgress := naclRuleArgs(PublicNaclIngress(cidr, args.PublicIngressPorts), NaclEgress())
	var publicSubnetIds pulumi.StringArray
	for _, s := range publicSubnets {
		publicSubnetIds = append(publicSubnetIds, s.ID())
	}
	publicNacl, err := ec2.NewNetworkAcl(ctx, name+"-public-nacl", &ec2.NetworkAclArgs{
		VpcId:     vpc.ID(),
		SubnetIds: publicSubnetIds,
		Ingress:   publicIngress,
		Egress:    publicEgress,
		Tags:      nameTags(name+"-public-nacl", "Tier", TierPublic.String()),
	}, parent)
	if err != nil {
		return nil, wrap("create public network acl", err)
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
	c.PublicNetworkAclId = publicNacl.ID().ToStringOutput()
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
		"publicNetworkAclId":     c.PublicNetworkAclId,
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
// access to the AWS service buckets and the extra buckets. Without it, a compromised workload could copy data to
// any bucket in the world over the endpoint, out of sight of egress controls on the NAT path.
func s3EndpointPolicy(acct account, serviceBuckets []ServiceBucket, extraBucketArns []string) (string, error) {
	doc := endpointPolicy{{
		Sid:       "OwnAccountBucketsOnly",
		Effect:    allow,
		Principal: anyPrincipal(),
		Action:    action("s3:*"),
		Resource:  resource("*"),
		Condition: Conditions{"StringEquals": {"aws:ResourceAccount": acct.ID}},
	}}
	doc = append(doc, serviceBucketStatements(acct.Partition, serviceBuckets)...)
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
