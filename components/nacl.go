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
// protocols nothing here uses. The README's "Network ACLs" tables document each rule; a test keeps them equal.
//
//	rule  protocol  source / destination  ports              why
//	100   tcp       the VPC CIDR          0-65535            traffic inside the VPC (and to the NAT gateway)
//	101   udp       the VPC CIDR          0-65535            traffic inside the VPC
//	102   icmp      the VPC CIDR          every type / code  ping and errors inside the VPC
//	110   tcp       0.0.0.0/0             1024-3388          return traffic
//	120   tcp       0.0.0.0/0             3390-65535         return traffic; 3389 (RDP) is skipped
//	130   udp       0.0.0.0/0             1024-3388          return traffic (DNS, NTP through NAT)
//	140   udp       0.0.0.0/0             3390-65535         return traffic; 3389 is skipped
//	150   icmp      0.0.0.0/0             type 3 code 4      path MTU discovery
//	200+  tcp       0.0.0.0/0             each public port   public ACL only: PublicIngressPorts, 10 apart
//
// Egress (both ACLs): 100 tcp, 101 udp, 102 icmp to 0.0.0.0/0, everything: what leaves is decided by security
// groups, which start empty.

// naclRule is one allow rule of a network ACL.
type naclRule struct {
	RuleNo   int
	Protocol string // "tcp", "udp" or "icmp"; never "-1"
	Cidr     string
	FromPort int // tcp and udp
	ToPort   int // tcp and udp
	IcmpType int // icmp; -1 is every type
	IcmpCode int // icmp; -1 is every code
}

// Rule numbers of the first public ingress port rule and the step between them.
const (
	publicPortRuleBase = 200
	publicPortRuleStep = 10
)

// MaxPublicIngressPorts keeps the public ACL within AWS's default quota of 20 inbound rules per network ACL:
// the 8 rules every ACL has, plus one per port.
const MaxPublicIngressPorts = 20 - 8

// adminPorts are the remote administration ports (SSH, RDP) no rule may open to the internet.
var adminPorts = []int{22, 3389}

// DefaultPublicIngressPorts is what the stacks' publicIngressPorts key defaults to: HTTPS and HTTP, for an
// internet-facing load balancer. The component's own default (a nil list) opens no port.
func DefaultPublicIngressPorts() []int { return []int{443, 80} }

// vpcRules admit everything inside the VPC, protocol by protocol.
func vpcRules(vpcCidr string) []naclRule {
	return []naclRule{
		{RuleNo: 100, Protocol: "tcp", Cidr: vpcCidr, FromPort: 0, ToPort: 65535},
		{RuleNo: 101, Protocol: "udp", Cidr: vpcCidr, FromPort: 0, ToPort: 65535},
		{RuleNo: 102, Protocol: "icmp", Cidr: vpcCidr, IcmpType: -1, IcmpCode: -1},
	}
}

// returnTrafficRules admit the answers to connections the VPC opens: TCP and UDP on the ephemeral ports
// 1024-65535 (NAT gateways use them), except 3389, which no rule admits from anywhere (FSBP EC2.21 and CIS 5.2
// forbid 0.0.0.0/0 to 22 or 3389; 22 is below 1024). The cost: a NAT-translated connection whose public port
// happens to be 3389 (1 in 64,512) is dropped and retried. ICMP type 3 code 4 (fragmentation needed) keeps path
// MTU discovery working.
func returnTrafficRules() []naclRule {
	return []naclRule{
		{RuleNo: 110, Protocol: "tcp", Cidr: anyIPv4, FromPort: 1024, ToPort: 3388},
		{RuleNo: 120, Protocol: "tcp", Cidr: anyIPv4, FromPort: 3390, ToPort: 65535},
		{RuleNo: 130, Protocol: "udp", Cidr: anyIPv4, FromPort: 1024, ToPort: 3388},
		{RuleNo: 140, Protocol: "udp", Cidr: anyIPv4, FromPort: 3390, ToPort: 65535},
		{RuleNo: 150, Protocol: "icmp", Cidr: anyIPv4, IcmpType: 3, IcmpCode: 4},
	}
}

// privateNaclIngress is the default network ACL's ingress: the VPC and return traffic, nothing else from the
// internet. Private subnets, and any subnet another stack adds to the VPC later, use it.
func privateNaclIngress(vpcCidr string) []naclRule {
	return append(vpcRules(vpcCidr), returnTrafficRules()...)
}

// publicNaclIngress is the public subnets' ACL ingress: the private rules plus one TCP rule per public port.
func publicNaclIngress(vpcCidr string, ports []int) []naclRule {
	rules := privateNaclIngress(vpcCidr)
	for i, p := range ports {
		rules = append(rules, naclRule{RuleNo: publicPortRuleBase + i*publicPortRuleStep, Protocol: "tcp",
			Cidr: anyIPv4, FromPort: p, ToPort: p})
	}
	return rules
}

// naclEgress is both ACLs' egress: every TCP, UDP and ICMP packet out. What may leave is decided by security
// groups, which start empty.
func naclEgress() []naclRule {
	return []naclRule{
		{RuleNo: 100, Protocol: "tcp", Cidr: anyIPv4, FromPort: 0, ToPort: 65535},
		{RuleNo: 101, Protocol: "udp", Cidr: anyIPv4, FromPort: 0, ToPort: 65535},
		{RuleNo: 102, Protocol: "icmp", Cidr: anyIPv4, IcmpType: -1, IcmpCode: -1},
	}
}

// checkPublicIngressPorts returns what is wrong with a list of public ingress ports.
func checkPublicIngressPorts(ports []int) []string {
	var out []string
	if len(ports) > MaxPublicIngressPorts {
		out = append(out, fmt.Sprintf("%d ports is more than %d: the public ACL would exceed AWS's default quota of 20 inbound rules",
			len(ports), MaxPublicIngressPorts))
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
func naclRuleArgs(ingress, egress []naclRule) (ec2.NetworkAclIngressArray, ec2.NetworkAclEgressArray) {
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
func defaultNaclRuleArgs(ingress, egress []naclRule) (ec2.DefaultNetworkAclIngressArray, ec2.DefaultNetworkAclEgressArray) {
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
func (r naclRule) args() ec2.NetworkAclIngressArgs {
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
