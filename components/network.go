package components

import (
	"fmt"
	"regexp"
	"slices"
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
func NatStrategies() []NatStrategy { return []NatStrategy{NatSingle, NatOnePerAz, NatNone} }

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
	// this account plus the AWS service buckets below: requests through the endpoint cannot reach foreign
	// buckets. It does not prevent exfiltration while a NAT gateway exists: traffic to S3 can leave through the NAT.
	S3EndpointExtraBucketArns []string

	// NoAwsServiceBuckets leaves the AWS-owned buckets of ServiceBuckets (ECR image layers, Amazon Linux 2 and
	// 2023 package repositories, the SSM Agent's and Patch Manager's buckets) out of the endpoint policy. Default false: they are
	// readable (s3:GetObject only), by exact name for the stack's region; a region missing from
	// ServiceBucketRegions is then an error.
	NoAwsServiceBuckets bool

	// PublicIngressPorts are the TCP ports the public subnets' network ACL admits from the internet (0.0.0.0/0),
	// for example 443 and 80 for an internet-facing load balancer. Each 1-65535, never 22 or 3389, no duplicates,
	// at most MaxPublicIngressPorts(). If empty, the public subnets' ACL has the private rules only: no port below 1024.
	// (The stacks' publicIngressPorts key defaults to DefaultPublicIngressPorts.)
	PublicIngressPorts []int

	// Tags are added to every child resource, under each child's own Name (and Tier) tag. Keys must not start
	// with "aws:" or be Name or Tier; at most 40. If empty, children carry only their Name (and Tier) plus the
	// provider's default tags.
	Tags map[string]string
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
		p.add("NatStrategy", "%q is not one of %v", a.NatStrategy, NatStrategies())
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
	checkTags(&p, a.Tags)
	return p.err()
}

// preflight reports what only the account reveals: a region missing from the AWS service-bucket table.
func (a *NetworkArgs) preflight(_ string, acct account) error {
	_, err := a.serviceBuckets(acct)
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

func isNatStrategy(s NatStrategy) bool { return slices.Contains(NatStrategies(), s) }

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

	VpcId                  pulumi.StringOutput      `pulumi:"vpcId" doc:"the VPC"`
	VpcCidr                pulumi.StringOutput      `pulumi:"vpcCidr" doc:"its CIDR"`
	AvailabilityZones      pulumi.StringArrayOutput `pulumi:"availabilityZones" doc:"the 3 AZs, in layout order"`
	PublicSubnetIds        pulumi.StringArrayOutput `pulumi:"publicSubnetIds" doc:"the public subnets, in AZ order"`
	PrivateSubnetIds       pulumi.StringArrayOutput `pulumi:"privateSubnetIds" doc:"the private subnets, in AZ order"`
	PublicRouteTableId     pulumi.StringOutput      `pulumi:"publicRouteTableId" doc:"the public route table"`
	PrivateRouteTableIds   pulumi.StringArrayOutput `pulumi:"privateRouteTableIds" doc:"the private route tables, one per AZ, in AZ order"`
	NatGatewayIds          pulumi.StringArrayOutput `pulumi:"natGatewayIds" doc:"the NAT gateways; empty with natStrategy none"`
	NatPublicIps           pulumi.StringArrayOutput `pulumi:"natPublicIps" doc:"their public addresses; empty with natStrategy none"`
	S3EndpointId           pulumi.StringOutput      `pulumi:"s3EndpointId" doc:"the S3 gateway endpoint"`
	DefaultSecurityGroupId pulumi.StringOutput      `pulumi:"defaultSecurityGroupId" doc:"the adopted default security group (no rules)"`
	DefaultNetworkAclId    pulumi.StringOutput      `pulumi:"defaultNetworkAclId" doc:"the adopted default network ACL (the private rules)"`
	PublicNetworkAclId     pulumi.StringOutput      `pulumi:"publicNetworkAclId" doc:"the public subnets' network ACL"`
}

// NetworkType is the Network's type token. It is API: renaming it replaces every child unless aliased.
const NetworkType = "aws-foundation:components:Network"

// anyIPv4 is the IPv4 default route and "anywhere".
const anyIPv4 = "0.0.0.0/0"

// NewNetwork validates args, registers the component, looks up the account (and the AZs when not given) through
// the component's provider, then creates the network. Each call below takes what it needs and returns what it
// made; the outputs are set from what they return.
func NewNetwork(ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	if args == nil {
		args = &NetworkArgs{}
	}
	if err := args.Validate(); err != nil {
		return nil, fmt.Errorf("network %q: %w", name, err)
	}
	a := args.withDefaults()
	c := &Network{}
	if err := ctx.RegisterComponentResource(NetworkType, name, c, opts...); err != nil {
		return nil, err
	}
	s := scope{ctx: ctx, name: name, tags: a.Tags, parent: pulumi.Parent(c)}
	fail := func(what string, err error) (*Network, error) { return nil, failed("network", name, what, err) }

	acct, err := lookupAccount(ctx, s.parent)
	if err != nil {
		return fail("look up account", err)
	}
	buckets, err := a.serviceBuckets(acct) // a region without service-bucket names fails before any child
	if err != nil {
		return fail("look up account", err)
	}
	azs, err := availabilityZones(ctx, a.AvailabilityZones, s.parent)
	if err != nil {
		return fail("look up availability zones", err)
	}
	vpc, igw, err := vpcAndGateway(s, a.VpcCidr)
	if err != nil {
		return fail("create vpc and internet gateway", err)
	}
	publicRt, publics, err := publicSubnets(s, vpc, igw, a.VpcCidr, azs)
	if err != nil {
		return fail("create public subnets", err)
	}
	nats, eips, err := natGateways(s, a.NatStrategy, igw, publics, azs)
	if err != nil {
		return fail("create nat gateways", err)
	}
	privates, privateRts, err := privateSubnets(s, vpc, a.VpcCidr, azs, nats)
	if err != nil {
		return fail("create private subnets and their routing", err)
	}
	endpoint, err := s3Endpoint(s, vpc, privateRts, acct, buckets, a.S3EndpointExtraBucketArns)
	if err != nil {
		return fail("create s3 gateway endpoint", err)
	}
	sg, defaultNacl, err := adoptDefaults(s, vpc, a.VpcCidr)
	if err != nil {
		return fail("adopt default security group and network acl", err)
	}
	publicNacl, err := publicNetworkAcl(s, vpc, publics, a.VpcCidr, a.PublicIngressPorts)
	if err != nil {
		return fail("create public network acl", err)
	}

	c.VpcId, c.VpcCidr = vpc.ID().ToStringOutput(), vpc.CidrBlock
	c.AvailabilityZones = pulumi.ToStringArray(azs).ToStringArrayOutput()
	c.PublicRouteTableId = publicRt.ID().ToStringOutput()
	c.PublicSubnetIds, c.PrivateSubnetIds = idsOf(publics), idsOf(privates)
	c.PrivateRouteTableIds, c.NatGatewayIds = idsOf(privateRts), idsOf(nats)
	c.NatPublicIps = publicIpsOf(eips)
	c.S3EndpointId = endpoint.ID().ToStringOutput()
	c.DefaultSecurityGroupId, c.DefaultNetworkAclId = sg.ID().ToStringOutput(), defaultNacl.ID().ToStringOutput()
	c.PublicNetworkAclId = publicNacl.ID().ToStringOutput()
	return c, ctx.RegisterResourceOutputs(c, outputsOf(c))
}

// Outputs returns the Network's outputs by name, as registered and as the stacks export them.
func (c *Network) Outputs() pulumi.Map { return outputsOf(c) }

// withDefaults returns a copy with the documented defaults filled in.
func (a NetworkArgs) withDefaults() NetworkArgs {
	if a.VpcCidr == "" {
		a.VpcCidr = DefaultVpcCidr
	}
	if a.NatStrategy == "" {
		a.NatStrategy = NatSingle
	}
	return a
}

// availabilityZones are the given AZs, or the region's looked up through the component's provider.
func availabilityZones(ctx *pulumi.Context, given []string, opts ...pulumi.InvokeOption) ([]string, error) {
	if len(given) > 0 {
		return given, nil
	}
	return lookupAzs(ctx, opts...)
}

// vpcAndGateway creates the VPC, with DNS on (the S3 endpoint and most AWS services need it), and its internet
// gateway.
func vpcAndGateway(s scope, cidr string) (*ec2.Vpc, *ec2.InternetGateway, error) {
	vpc, err := ec2.NewVpc(s.ctx, s.name+"-vpc", &ec2.VpcArgs{
		CidrBlock:          pulumi.String(cidr),
		EnableDnsSupport:   pulumi.Bool(true),
		EnableDnsHostnames: pulumi.Bool(true),
		Tags:               s.childTags(s.name + "-vpc"),
	}, s.parent)
	if err != nil {
		return nil, nil, err
	}
	igw, err := ec2.NewInternetGateway(s.ctx, s.name+"-igw", &ec2.InternetGatewayArgs{
		VpcId: vpc.ID(),
		Tags:  s.childTags(s.name + "-igw"),
	}, s.parent)
	return vpc, igw, err
}

// idsOf is the ids of resources as one array output; an empty list stays an empty (not null) array.
func idsOf[R interface{ ID() pulumi.IDOutput }](rs []R) pulumi.StringArrayOutput {
	var outs []pulumi.StringOutput
	for _, r := range rs {
		outs = append(outs, r.ID().ToStringOutput())
	}
	return stringArrayOutput(outs)
}

// publicIpsOf is the public addresses of Elastic IPs as one array output.
func publicIpsOf(eips []*ec2.Eip) pulumi.StringArrayOutput {
	var outs []pulumi.StringOutput
	for _, e := range eips {
		outs = append(outs, e.PublicIp)
	}
	return stringArrayOutput(outs)
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
func lookupAzs(ctx *pulumi.Context, opts ...pulumi.InvokeOption) ([]string, error) {
	res, err := aws.GetAvailabilityZones(ctx, &aws.GetAvailabilityZonesArgs{
		State: pulumi.StringRef("available"),
		Filters: []aws.GetAvailabilityZonesFilter{
			{Name: "opt-in-status", Values: []string{"opt-in-not-required"}},
		},
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("look up availability zones: %w", err)
	}
	names := slices.Sorted(slices.Values(res.Names))
	if len(names) < AzCount {
		return nil, fmt.Errorf("region has %d available availability zones (%v); the network needs %d",
			len(names), names, AzCount)
	}
	return names[:AzCount], nil
}
