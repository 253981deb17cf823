package components

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Network ACLs per tier. Network ACLs are stateless, so return traffic for connections the VPC opens (through
// the NAT or internet gateway) must be admitted explicitly. Every rule names its protocol (tcp, udp or icmp):
// none uses "-1" (all protocols), which Trivy's AVD-AWS-0102 reports as critical and which would also admit
// protocols nothing here uses.
//
// The tables below are the one source of the rules: both ACLs are built from them, and `make docs` writes the
// docs/COMPONENTS.md's "Network ACLs" table from them. To add a rule, add a row (with its Why) and run `make docs`.

// NaclRule is one allow rule of the network ACLs and why it exists.
type NaclRule struct {
	RuleNo   int
	Protocol string // "tcp", "udp" or "icmp"; never "-1"
	// Cidr is the source (ingress) or destination (egress): a CIDR, or InVpc for the VPC's own CIDR.
	Cidr     string
	FromPort int // tcp and udp
	ToPort   int // tcp and udp
	IcmpType int // icmp; -1 is every type
	IcmpCode int // icmp; -1 is every code
	Why      string
}

// InVpc stands for the VPC's CIDR in the rule tables.
const InVpc = "the VPC CIDR"

// privateIngressRules are the default network ACL's ingress, which private subnets (and any subnet another stack
// adds to the VPC later) use: the VPC, and return traffic from the internet, nothing else. Return traffic is TCP
// and UDP on the ephemeral ports 1024-65535 (NAT gateways use them) except 3389, which no rule admits from
// anywhere (FSBP EC2.21 and CIS 5.2 forbid 0.0.0.0/0 to 22 or 3389; 22 is below 1024). The cost: a
// NAT-translated connection whose public port happens to be 3389 (1 in 64,512) is dropped and retried.
var privateIngressRules = []NaclRule{
	{RuleNo: 100, Protocol: "tcp", Cidr: InVpc, FromPort: 0, ToPort: 65535, Why: "traffic inside the VPC, private subnets to the NAT gateway included"},
	{RuleNo: 101, Protocol: "udp", Cidr: InVpc, FromPort: 0, ToPort: 65535, Why: "traffic inside the VPC"},
	{RuleNo: 102, Protocol: "icmp", Cidr: InVpc, IcmpType: -1, IcmpCode: -1, Why: "ping and ICMP errors inside the VPC"},
	{RuleNo: 110, Protocol: "tcp", Cidr: anyIPv4, FromPort: 1024, ToPort: 3388, Why: "return traffic"},
	{RuleNo: 120, Protocol: "tcp", Cidr: anyIPv4, FromPort: 3390, ToPort: 65535, Why: "return traffic; 3389 (RDP) is skipped"},
	{RuleNo: 130, Protocol: "udp", Cidr: anyIPv4, FromPort: 1024, ToPort: 3388, Why: "return traffic (DNS, NTP through NAT)"},
	{RuleNo: 140, Protocol: "udp", Cidr: anyIPv4, FromPort: 3390, ToPort: 65535, Why: "return traffic; 3389 skipped"},
	{RuleNo: 150, Protocol: "icmp", Cidr: anyIPv4, IcmpType: 3, IcmpCode: 4, Why: "path MTU discovery (fragmentation needed)"},
}

// egressRules are both ACLs' egress: every TCP, UDP and ICMP packet out. What may leave is decided by security
// groups, which start empty.
var egressRules = []NaclRule{
	{RuleNo: 100, Protocol: "tcp", Cidr: anyIPv4, FromPort: 0, ToPort: 65535, Why: "what leaves is decided by security groups, which start empty"},
	{RuleNo: 101, Protocol: "udp", Cidr: anyIPv4, FromPort: 0, ToPort: 65535, Why: "the same, for DNS and NTP"},
	{RuleNo: 102, Protocol: "icmp", Cidr: anyIPv4, IcmpType: -1, IcmpCode: -1, Why: "the same, for ping and ICMP errors"},
}

// Rule numbers of the first public ingress port rule and the step between them.
const (
	publicPortRuleBase = 200
	publicPortRuleStep = 10
)

// naclInboundRuleQuota is AWS's default quota of inbound rules per network ACL.
const naclInboundRuleQuota = 20

// MaxPublicIngressPorts is how many public ingress ports fit in the public ACL: AWS's default quota of 20 inbound
// rules per network ACL, less the private rules every ACL has.
func MaxPublicIngressPorts() int { return naclInboundRuleQuota - len(privateIngressRules) }

// adminPorts are the remote administration ports (SSH, RDP) no rule may open to the internet.
var adminPorts = []int{22, 3389}

// DefaultPublicIngressPorts is what the stacks' publicIngressPorts key defaults to: HTTPS and HTTP, for an
// internet-facing load balancer. The component's own default (a nil list) opens no port.
func DefaultPublicIngressPorts() []int { return []int{443, 80} }

// NetworkAclRules returns the rule tables: the private ingress rules (both ACLs), the public ports' rules for
// ports (the public ACL only), and the egress rules (both ACLs). Cidr is InVpc where the VPC's CIDR goes.
func NetworkAclRules(ports []int) (private, public, egress []NaclRule) {
	for i, p := range ports {
		public = append(public, NaclRule{RuleNo: publicPortRuleBase + i*publicPortRuleStep, Protocol: "tcp",
			Cidr: anyIPv4, FromPort: p, ToPort: p, Why: "publicIngressPorts"})
	}
	return slices.Clone(privateIngressRules), public, slices.Clone(egressRules)
}

// inVpc fills the VPC's CIDR into rules.
func inVpc(rules []NaclRule, vpcCidr string) []NaclRule {
	out := slices.Clone(rules)
	for i := range out {
		if out[i].Cidr == InVpc {
			out[i].Cidr = vpcCidr
		}
	}
	return out
}

// privateNaclIngress is the default network ACL's ingress for a VPC.
func privateNaclIngress(vpcCidr string) []NaclRule { return inVpc(privateIngressRules, vpcCidr) }

// publicNaclIngress is the public subnets' ACL ingress: the private rules plus one TCP rule per public port.
func publicNaclIngress(vpcCidr string, ports []int) []NaclRule {
	private, public, _ := NetworkAclRules(ports)
	return inVpc(append(private, public...), vpcCidr)
}

// naclEgress is both ACLs' egress.
func naclEgress() []NaclRule { return slices.Clone(egressRules) }

// checkPublicIngressPorts returns what is wrong with a list of public ingress ports.
func checkPublicIngressPorts(ports []int) []string {
	var out []string
	if n := MaxPublicIngressPorts(); len(ports) > n {
		out = append(out, fmt.Sprintf("%d ports is more than %d: the public ACL would exceed AWS's default quota of %d inbound rules",
			len(ports), n, naclInboundRuleQuota))
	}
	seen := map[int]bool{}
	for _, p := range ports {
		switch {
		case p < 1 || p > 65535:
			out = append(out, fmt.Sprintf("%d is not a TCP port (1-65535)", p))
		case slices.Contains(adminPorts, p):
			out = append(out, fmt.Sprintf("%d is a remote administration port (22 SSH, 3389 RDP) and is never opened to the internet; use SSM Session Manager", p))
		case seen[p]:
			out = append(out, fmt.Sprintf("%d is listed twice", p))
		}
		seen[p] = true
	}
	return out
}

// naclRuleArgs turns rules into the ACL entries of both resource types. ec2.NetworkAcl and ec2.DefaultNetworkAcl
// take the same entry shape under four Go types with identical fields, so each entry is built once and converted.
func naclRuleArgs(ingress, egress []NaclRule) (ec2.NetworkAclIngressArray, ec2.NetworkAclEgressArray) {
	var in ec2.NetworkAclIngressArray
	for _, r := range ingress {
		a := r.args()
		in = append(in, &a)
	}
	var out ec2.NetworkAclEgressArray
	for _, r := range egress {
		a := ec2.NetworkAclEgressArgs(r.args())
		out = append(out, &a)
	}
	return in, out
}

// defaultNaclRuleArgs is naclRuleArgs for the adopted default ACL.
func defaultNaclRuleArgs(ingress, egress []NaclRule) (ec2.DefaultNetworkAclIngressArray, ec2.DefaultNetworkAclEgressArray) {
	var in ec2.DefaultNetworkAclIngressArray
	for _, r := range ingress {
		a := ec2.DefaultNetworkAclIngressArgs(r.args())
		in = append(in, &a)
	}
	var out ec2.DefaultNetworkAclEgressArray
	for _, r := range egress {
		a := ec2.DefaultNetworkAclEgressArgs(r.args())
		out = append(out, &a)
	}
	return in, out
}

// args is one allow entry; ICMP type and code are set for icmp rules only.
func (r NaclRule) args() ec2.NetworkAclIngressArgs {
	a := ec2.NetworkAclIngressArgs{RuleNo: pulumi.Int(r.RuleNo), Action: pulumi.String("allow"),
		Protocol: pulumi.String(r.Protocol), CidrBlock: pulumi.String(r.Cidr),
		FromPort: pulumi.Int(r.FromPort), ToPort: pulumi.Int(r.ToPort)}
	if r.Protocol == "icmp" {
		a.IcmpType, a.IcmpCode = pulumi.Int(r.IcmpType), pulumi.Int(r.IcmpCode)
	}
	return a
}

// publicNetworkAcl gives the public subnets a network ACL of their own: the private rules plus the public
// ingress ports. Associating it moves them off the default ACL.
func publicNetworkAcl(s scope, vpc *ec2.Vpc, publics []*ec2.Subnet, cidr string, ports []int) (*ec2.NetworkAcl, error) {
	ingress, egress := naclRuleArgs(publicNaclIngress(cidr, ports), naclEgress())
	var subnetIds pulumi.StringArray
	for _, sn := range publics {
		subnetIds = append(subnetIds, sn.ID())
	}
	return ec2.NewNetworkAcl(s.ctx, s.name+"-public-nacl", &ec2.NetworkAclArgs{
		VpcId:     vpc.ID(),
		SubnetIds: subnetIds,
		Ingress:   ingress,
		Egress:    egress,
		Tags:      s.childTags(s.name+"-public-nacl", "Tier", tierPublic.String()),
	}, s.parent)
}
