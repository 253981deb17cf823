package controls

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws-foundation/aws-foundation/internal/mockrun"
)

// AdminPorts are the remote administration ports no rule may open to the internet (SSH, RDP).
var AdminPorts = []int{22, 3389}

// FirstEphemeralPort is where the ports that answers to the VPC's own connections arrive on start: below it are
// the well-known ports of services, which no ACL opens to the internet but the configured public ports.
const FirstEphemeralPort = 1024

// icmpErrorTypes are the ICMP messages that report errors of the VPC's own traffic (destination unreachable,
// time exceeded, parameter problem): the only ICMP an ACL may admit from the internet. Echo requests (ping) and
// everything else stay out.
var icmpErrorTypes = []int{3, 11, 12}

// intList writes numbers as "3, 11, 12" for a control's statement.
func intList(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ", ")
}

// acls returns every network ACL, default and custom.
func acls(r *mockrun.Result) []mockrun.Resource {
	return append(r.OfType(mockrun.TypeDefaultNetworkAcl), r.OfType(mockrun.TypeNetworkAcl)...)
}

// NaclsAdmitNoInternetToAdminPorts finds network ACL ingress rules (default and custom ACLs) that allow
// 0.0.0.0/0 or ::/0 to port 22 or 3389 (any protocol that carries ports, or all protocols), and VPCs whose
// default ACL is not adopted (AWS's default allows everything).
func NaclsAdmitNoInternetToAdminPorts(r *mockrun.Result) []Finding {
	var bad []Finding
	defaults := r.OfType(mockrun.TypeDefaultNetworkAcl)
	for _, vpc := range r.OfType(mockrun.TypeVpc) {
		adopted := false
		for _, acl := range defaults {
			adopted = adopted || acl.Str("defaultNetworkAclId") == vpc.Out("defaultNetworkAclId")
		}
		if !adopted {
			bad = append(bad, finding(vpc, "its default network ACL is not adopted, so it allows all traffic"))
		}
	}
	for _, acl := range acls(r) {
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

// NaclRulesNameTheirProtocol finds network ACL rules, ingress or egress, that use protocol "-1" (all): they admit
// every port and every IP protocol at once (Trivy AVD-AWS-0102 reports them as critical).
func NaclRulesNameTheirProtocol(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, acl := range acls(r) {
		for _, dir := range []string{"ingress", "egress"} {
			for _, rule := range NaclRules(acl.Value(dir)) {
				if rule.AllProtocols() {
					bad = append(bad, finding(acl, "%s rule %d uses protocol %q (all); name tcp, udp or icmp", dir,
						rule.RuleNo, rule.Protocol))
				}
			}
		}
	}
	return bad
}

// ConfiguredPublicIngressPorts reads the stack's publicIngressPorts (any project namespace), or returns def when
// the run has no such key (a component run without configuration).
func ConfiguredPublicIngressPorts(r *mockrun.Result, def []int) []int {
	for k, v := range r.Config {
		if strings.HasSuffix(k, ":publicIngressPorts") {
			var ports []int
			if json.Unmarshal([]byte(v), &ports) == nil {
				return ports
			}
		}
	}
	return def
}

// DocumentedPublicIngressPorts are the public ports docs/COMPONENTS.md documents as publicIngressPorts' default (HTTPS,
// HTTP): what AF-VPC-06 expects of a run whose configuration does not say. The control states the requirement
// on its own, without importing the program it checks; a test keeps it equal to the components' default.
func DocumentedPublicIngressPorts() []int { return []int{443, 80} }

// PublicSubnetsAdmitOnlyConfiguredPorts finds public subnets (Tier=public) that are not on a network ACL of
// their own, and ACL ingress rules that admit the internet to anything but return traffic (TCP/UDP on ephemeral
// ports, ICMP error messages) or, on the public subnets' ACL, one of the configured public ports. Admin ports and protocol "-1" are AF-VPC-03's and AF-VPC-05's findings, so one break fails one control.
func PublicSubnetsAdmitOnlyConfiguredPorts(r *mockrun.Result, defaultPorts []int) []Finding {
	var bad []Finding
	ports := ConfiguredPublicIngressPorts(r, defaultPorts)
	publicACLs := map[string]bool{}
	for _, s := range r.OfType(mockrun.TypeSubnet) {
		tags, _ := s.Value("tags").(map[string]any)
		if tags["Tier"] != "public" {
			continue
		}
		on := false
		for _, acl := range r.OfType(mockrun.TypeNetworkAcl) {
			if slices.Contains(acl.Strs("subnetIds"), s.ID) {
				on, publicACLs[acl.URN] = true, true
			}
		}
		if !on {
			bad = append(bad, finding(s, "public subnet is on the default network ACL, which is for private subnets"))
		}
	}
	for _, acl := range acls(r) {
		for _, rule := range NaclRules(acl.Value("ingress")) {
			if rule.Action != "allow" || !rule.FromInternet() || rule.AllProtocols() ||
				slices.ContainsFunc(AdminPorts, rule.AdmitsFromInternet) || rule.IsReturnTraffic() {
				continue
			}
			if publicACLs[acl.URN] && rule.protocol() == "tcp" && rule.FromPort == rule.ToPort &&
				slices.Contains(ports, rule.FromPort) {
				continue
			}
			bad = append(bad, finding(acl, "ingress rule %d (%s %s %s) admits the internet to more than return traffic "+
				"and the configured public ports %v", rule.RuleNo, rule.Protocol, rule.Source(), rule.ports(), ports))
		}
	}
	return bad
}

// NaclRule is a recorded network ACL rule.
type NaclRule struct {
	RuleNo             int
	Action, Protocol   string
	Cidr, Ipv6Cidr     string
	FromPort, ToPort   int
	IcmpType, IcmpCode int
}

// Source is the rule's CIDR, IPv4 or IPv6.
func (n NaclRule) Source() string {
	if n.Cidr != "" {
		return n.Cidr
	}
	return n.Ipv6Cidr
}

// FromInternet says whether the rule's source is anywhere (0.0.0.0/0 or ::/0).
func (n NaclRule) FromInternet() bool { return n.Cidr == "0.0.0.0/0" || n.Ipv6Cidr == "::/0" }

// protocol is the rule's protocol by name: tcp, udp, icmp, all, or the number as written.
func (n NaclRule) protocol() string {
	switch n.Protocol {
	case "-1", "all":
		return "all"
	case "6", "tcp":
		return "tcp"
	case "17", "udp":
		return "udp"
	case "1", "icmp":
		return "icmp"
	}
	return n.Protocol
}

// AllProtocols says whether the rule uses protocol -1 (all).
func (n NaclRule) AllProtocols() bool { return n.protocol() == "all" }

func (n NaclRule) ports() string {
	if n.protocol() == "icmp" {
		return fmt.Sprintf("type %d code %d", n.IcmpType, n.IcmpCode)
	}
	return fmt.Sprintf("%d-%d", n.FromPort, n.ToPort)
}

// AdmitsFromInternet says whether the rule allows traffic from anywhere to port.
func (n NaclRule) AdmitsFromInternet(port int) bool {
	if n.Action != "allow" || !n.FromInternet() {
		return false
	}
	switch n.protocol() {
	case "all":
		return true
	case "tcp", "udp":
		return n.FromPort <= port && port <= n.ToPort
	}
	return false
}

// IsReturnTraffic says whether the rule admits only what answers to the VPC's own traffic may be: TCP or UDP on
// ephemeral ports (FirstEphemeralPort and above), or an ICMP error message. It states the requirement, not the
// program's rule table: any rule of that kind passes.
func (n NaclRule) IsReturnTraffic() bool {
	switch n.protocol() {
	case "tcp", "udp":
		return n.FromPort >= FirstEphemeralPort && n.ToPort >= n.FromPort
	case "icmp":
		return slices.Contains(icmpErrorTypes, n.IcmpType)
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
			IcmpType: asInt(m["icmpType"]), IcmpCode: asInt(m["icmpCode"]),
		})
	}
	return out
}
