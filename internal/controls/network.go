package controls

import (
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
)

// Type tokens the network checks read.
const (
	TypeVpc                  = "aws:ec2/vpc:Vpc"
	TypeSubnet               = "aws:ec2/subnet:Subnet"
	TypeRouteTable           = "aws:ec2/routeTable:RouteTable"
	TypeRoute                = "aws:ec2/route:Route"
	TypeRouteTableAssoc      = "aws:ec2/routeTableAssociation:RouteTableAssociation"
	TypeNatGateway           = "aws:ec2/natGateway:NatGateway"
	TypeEip                  = "aws:ec2/eip:Eip"
	TypeInternetGateway      = "aws:ec2/internetGateway:InternetGateway"
	TypeVpcEndpoint          = "aws:ec2/vpcEndpoint:VpcEndpoint"
	TypeDefaultSecurityGroup = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
	TypeDefaultNetworkAcl    = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
	TypeFlowLog              = "aws:ec2/flowLog:FlowLog"
)

// AdminPorts are the remote administration ports no rule may open to the internet (SSH, RDP).
var AdminPorts = []int{22, 3389}

// DefaultSecurityGroupsHaveNoRules finds default security groups that are not adopted, or that keep any rule.
func DefaultSecurityGroupsHaveNoRules(r *mockrun.Result) []Finding {
	var bad []Finding
	sgs := r.OfType(TypeDefaultSecurityGroup)
	for _, vpc := range r.OfType(TypeVpc) {
		adopted := false
		for _, sg := range sgs {
			adopted = adopted || sg.Str("vpcId") == vpc.ID
		}
		if !adopted {
			bad = append(bad, finding(vpc, "its default security group is not adopted, so AWS's allow rules stay"))
		}
	}
	for _, sg := range sgs {
		for _, dir := range []string{"ingress", "egress"} {
			if n := len(asList(sg.Value(dir))); n > 0 {
				bad = append(bad, finding(sg, "has %d %s rules, want none", n, dir))
			}
		}
	}
	return bad
}

// NaclsAdmitNoInternetToAdminPorts finds default network ACL ingress rules that allow 0.0.0.0/0 or ::/0 to
// port 22 or 3389 (any protocol that carries ports, or all protocols), and VPCs whose default ACL is not
// adopted (AWS's default allows everything).
func NaclsAdmitNoInternetToAdminPorts(r *mockrun.Result) []Finding {
	var bad []Finding
	acls := r.OfType(TypeDefaultNetworkAcl)
	for _, vpc := range r.OfType(TypeVpc) {
		adopted := false
		for _, acl := range acls {
			adopted = adopted || acl.Str("defaultNetworkAclId") == vpc.Out("defaultNetworkAclId")
		}
		if !adopted {
			bad = append(bad, finding(vpc, "its default network ACL is not adopted, so it allows all traffic"))
		}
	}
	for _, acl := range acls {
		for _, rule := range NaclRules(acl.Value("ingress")) {
			for _, port := range AdminPorts {
				if rule.AdmitsFromInternet(port) {
					bad = append(bad, finding(acl, "ingress rule %d (%s %s %d-%d) admits the internet to port %d",
						rule.RuleNo, rule.Protocol, rule.Source(), rule.FromPort, rule.ToPort, port))
				}
			}
		}
	}
	return bad
}

// SubnetsDoNotMapPublicIps finds subnets that would give instances public IPv4 addresses.
func SubnetsDoNotMapPublicIps(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, s := range r.OfType(TypeSubnet) {
		if v, ok := s.Value("mapPublicIpOnLaunch").(bool); !ok || v {
			bad = append(bad, finding(s, "mapPublicIpOnLaunch is %v, want false", s.Value("mapPublicIpOnLaunch")))
		}
	}
	return bad
}

// NaclRule is a recorded network ACL rule.
type NaclRule struct {
	RuleNo           int
	Action, Protocol string
	Cidr, Ipv6Cidr   string
	FromPort, ToPort int
}

// Source is the rule's CIDR, IPv4 or IPv6.
func (n NaclRule) Source() string {
	if n.Cidr != "" {
		return n.Cidr
	}
	return n.Ipv6Cidr
}

// AdmitsFromInternet says whether the rule allows traffic from anywhere to port.
func (n NaclRule) AdmitsFromInternet(port int) bool {
	if n.Action != "allow" || (n.Cidr != "0.0.0.0/0" && n.Ipv6Cidr != "::/0") {
		return false
	}
	switch n.Protocol {
	case "-1", "all":
		return true
	case "tcp", "6", "udp", "17":
		return n.FromPort <= port && port <= n.ToPort
	}
	return false
}

// NaclRules reads a recorded ingress or egress list.
func NaclRules(v any) []NaclRule {
	var out []NaclRule
	for _, e := range asList(v) {
		m, _ := e.(map[string]any)
		out = append(out, NaclRule{
			RuleNo: asInt(m["ruleNo"]), Action: asString(m["action"]), Protocol: asString(m["protocol"]),
			Cidr: asString(m["cidrBlock"]), Ipv6Cidr: asString(m["ipv6CidrBlock"]),
			FromPort: asInt(m["fromPort"]), ToPort: asInt(m["toPort"]),
		})
	}
	return out
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}

func asInt(v any) int {
	f, _ := v.(float64)
	return int(f)
}
