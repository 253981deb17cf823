package controls

import (
	"regexp"
	"slices"
	"strings"

	"github.com/aws-foundation/aws-foundation/internal/iampolicy"
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
)

// FlowLogsOnEveryVpc finds VPCs without a flow log that captures ALL traffic into a log group of this program.
func FlowLogsOnEveryVpc(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, vpc := range r.OfType(mockrun.TypeVpc) {
		ok := false
		for _, fl := range r.OfType(mockrun.TypeFlowLog) {
			if fl.Str("vpcId") != vpc.ID {
				continue
			}
			if fl.Str("trafficType") != "ALL" {
				bad = append(bad, finding(fl, "trafficType %q, want ALL", fl.Str("trafficType")))
				continue
			}
			if fl.Str("logDestinationType") != "cloud-watch-logs" || logGroupByArn(r, fl.Str("logDestination")) == nil {
				bad = append(bad, finding(fl, "destination %q is not a log group of this stack", fl.Str("logDestination")))
				continue
			}
			ok = true
		}
		if !ok {
			bad = append(bad, finding(vpc, "no flow log captures ALL its traffic"))
		}
	}
	return bad
}

// DefaultSecurityGroupsHaveNoRules finds default security groups that are not adopted, or that keep any rule.
func DefaultSecurityGroupsHaveNoRules(r *mockrun.Result) []Finding {
	var bad []Finding
	sgs := r.OfType(mockrun.TypeDefaultSecurityGroup)
	for _, vpc := range r.OfType(mockrun.TypeVpc) {
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

// SubnetsDoNotMapPublicIps finds subnets that would give instances public IPv4 addresses.
func SubnetsDoNotMapPublicIps(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, s := range r.OfType(mockrun.TypeSubnet) {
		if v, ok := s.Value("mapPublicIpOnLaunch").(bool); !ok || v {
			bad = append(bad, finding(s, "mapPublicIpOnLaunch is %v, want false", s.Value("mapPublicIpOnLaunch")))
		}
	}
	return bad
}

// readOnlyS3Actions are what an endpoint may allow on buckets of other accounts.
var readOnlyS3Actions = []string{"s3:GetObject", "s3:ListBucket"}

// exactBucketArn matches arn:<partition>:s3:::<bucket> or .../* with a bucket name free of wildcards.
var exactBucketArn = regexp.MustCompile(`^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]+[a-z0-9](/\*)?$`)

// S3EndpointsReachOnlyNamedBuckets finds S3 endpoints without a policy, and endpoint statements that allow more
// than: anything on buckets of this account (aws:ResourceAccount), and read-only actions on buckets named
// exactly (no '*' or '?' in a bucket name, which would also match buckets anyone can create).
func S3EndpointsReachOnlyNamedBuckets(r *mockrun.Result) []Finding {
	var bad []Finding
	account := mockrun.DefaultAccount
	if r.Mocks != nil {
		account = r.Mocks.Account
	}
	for _, ep := range r.OfType(mockrun.TypeVpcEndpoint) {
		if !strings.HasSuffix(ep.Str("serviceName"), ".s3") {
			continue
		}
		stmts, err := iampolicy.Parse(ep.Str("policy"))
		if err != nil || len(stmts) == 0 {
			bad = append(bad, finding(ep, "no endpoint policy: every bucket in the world is reachable"))
			continue
		}
		for _, s := range stmts {
			if s.Effect != "Allow" {
				continue
			}
			if s.ConditionValue("StringEquals", "aws:ResourceAccount") == account {
				continue // anything, but only on this account's buckets
			}
			for _, a := range s.Actions {
				if !slices.Contains(readOnlyS3Actions, a) {
					bad = append(bad, finding(ep, "statement %q allows %s on buckets of other accounts, want only %v",
						s.Sid, a, readOnlyS3Actions))
				}
			}
			for _, res := range s.Resources {
				if !exactBucketArn.MatchString(res) {
					bad = append(bad, finding(ep, "statement %q reaches %q, not one exactly named bucket", s.Sid, res))
				}
			}
		}
	}
	return bad
}
