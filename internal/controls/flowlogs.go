package controls

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws-foundation/aws-foundation/internal/mockrun"
)

// Type tokens the logging, KMS and IAM checks read.
const (
	TypeKmsKey     = "aws:kms/key:Key"
	TypeLogGroup   = "aws:cloudwatch/logGroup:LogGroup"
	TypeRole       = "aws:iam/role:Role"
	TypeRolePolicy = "aws:iam/rolePolicy:RolePolicy"
)

// MinLogRetentionDays is the shortest retention a log group may have without an accepted exception.
const MinLogRetentionDays = 365

// FlowLogWriteActions are the only actions a flow-log role may have on its log group.
var FlowLogWriteActions = []string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"}

// FlowLogsOnEveryVpc finds VPCs without a flow log that captures ALL traffic into a log group of this program.
func FlowLogsOnEveryVpc(r *mockrun.Result) []string {
	var bad []string
	for _, vpc := range r.OfType(TypeVpc) {
		ok := false
		for _, fl := range r.OfType(TypeFlowLog) {
			if fl.Str("vpcId") != vpc.ID {
				continue
			}
			if fl.Str("trafficType") != "ALL" {
				bad = append(bad, fmt.Sprintf("%s: trafficType %q, want ALL", fl, fl.Str("trafficType")))
				continue
			}
			if fl.Str("logDestinationType") != "cloud-watch-logs" || logGroupByArn(r, fl.Str("logDestination")) == nil {
				bad = append(bad, fmt.Sprintf("%s: destination %q is not a log group of this stack", fl, fl.Str("logDestination")))
				continue
			}
			ok = true
		}
		if !ok {
			bad = append(bad, fmt.Sprintf("%s: no flow log captures ALL its traffic", vpc))
		}
	}
	return bad
}

func logGroupByArn(r *mockrun.Result, arn string) *mockrun.Resource {
	for _, g := range r.OfType(TypeLogGroup) {
		if arn != "" && g.Out("arn") == arn {
			return &g
		}
	}
	return nil
}

func keyByArn(r *mockrun.Result, arn string) *mockrun.Resource {
	for _, k := range r.OfType(TypeKmsKey) {
		if arn != "" && k.Out("arn") == arn {
			return &k
		}
	}
	return nil
}

// LogGroupsEncryptedAndRetained finds log groups not encrypted with a customer-managed key of this stack, or
// kept less than MinLogRetentionDays (0 = never expire counts as kept).
func LogGroupsEncryptedAndRetained(r *mockrun.Result) []string {
	var bad []string
	for _, g := range r.OfType(TypeLogGroup) {
		if keyByArn(r, g.Str("kmsKeyId")) == nil {
			bad = append(bad, fmt.Sprintf("%s: kmsKeyId %q is not a customer-managed key of this stack", g, g.Str("kmsKeyId")))
		}
		days, _ := g.Value("retentionInDays").(float64)
		if days != 0 && days < MinLogRetentionDays {
			bad = append(bad, fmt.Sprintf("%s: retention %v days, want at least %d", g, days, MinLogRetentionDays))
		}
	}
	return bad
}

// LogKeysScopedToTheirLogGroup finds keys used by a log group whose policy lets CloudWatch Logs use them for
// anything but that log group, and log groups that do not wait for their key (and so its policy).
func LogKeysScopedToTheirLogGroup(r *mockrun.Result) []string {
	var bad []string
	for _, g := range r.OfType(TypeLogGroup) {
		key := keyByArn(r, g.Str("kmsKeyId"))
		if key == nil {
			continue // reported by LogGroupsEncryptedAndRetained
		}
		if !g.DependsOn(key.URN) {
			bad = append(bad, fmt.Sprintf("%s: does not depend on %s; CreateLogGroup fails before the key policy exists", g, key))
		}
		stmts, err := ParsePolicy(key.Str("policy"))
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", key, err))
			continue
		}
		found := false
		for _, s := range stmts {
			if !anyHasPrefix(s.Principals, "Service:logs.") {
				continue
			}
			found = true
			if got := s.ConditionValue("ArnEquals", "kms:EncryptionContext:aws:logs:arn"); got != g.Out("arn") {
				bad = append(bad, fmt.Sprintf("%s: CloudWatch Logs may use it for %q, want exactly %q", key, got, g.Out("arn")))
			}
		}
		if !found {
			bad = append(bad, fmt.Sprintf("%s: its policy does not admit CloudWatch Logs, so %s cannot use it", key, g))
		}
	}
	return bad
}

// KeysRotateWithExplicitPolicy finds KMS keys without rotation, without the 30-day deletion window, without an
// explicit policy, or whose policy allows an unconditioned "*" principal.
func KeysRotateWithExplicitPolicy(r *mockrun.Result) []string {
	var bad []string
	for _, k := range r.OfType(TypeKmsKey) {
		if k.Value("enableKeyRotation") != true {
			bad = append(bad, fmt.Sprintf("%s: enableKeyRotation is %v, want true", k, k.Value("enableKeyRotation")))
		}
		if k.Value("deletionWindowInDays") != 30.0 {
			bad = append(bad, fmt.Sprintf("%s: deletionWindowInDays is %v, want 30", k, k.Value("deletionWindowInDays")))
		}
		stmts, err := ParsePolicy(k.Str("policy"))
		if err != nil || len(stmts) == 0 {
			bad = append(bad, fmt.Sprintf("%s: no explicit key policy", k))
			continue
		}
		for _, s := range stmts {
			if s.Effect == "Allow" && (slices.Contains(s.Principals, "*") || slices.Contains(s.Principals, "AWS:*")) &&
				len(s.Condition) == 0 {
				bad = append(bad, fmt.Sprintf("%s: statement %q allows any principal without a condition", k, s.Sid))
			}
		}
	}
	return bad
}

// FlowLogRolesLeastPrivilege finds flow-log roles that another service or account could assume, or that may do
// more than write into their own log group.
func FlowLogRolesLeastPrivilege(r *mockrun.Result) []string {
	var bad []string
	for _, fl := range r.OfType(TypeFlowLog) {
		var role *mockrun.Resource
		for _, x := range r.OfType(TypeRole) {
			if x.Out("arn") == fl.Str("iamRoleArn") {
				role = &x
			}
		}
		if role == nil {
			bad = append(bad, fmt.Sprintf("%s: iamRoleArn %q is not a role of this stack", fl, fl.Str("iamRoleArn")))
			continue
		}
		bad = append(bad, flowLogTrustProblems(*role)...)
		group := fl.Str("logDestination")
		for _, p := range r.OfType(TypeRolePolicy) {
			if p.Str("role") != role.ID {
				continue
			}
			stmts, err := ParsePolicy(p.Str("policy"))
			if err != nil {
				bad = append(bad, fmt.Sprintf("%s: %v", p, err))
				continue
			}
			for _, s := range stmts {
				for _, a := range s.Actions {
					switch {
					case slices.Contains(FlowLogWriteActions, a):
						if !slices.Equal(s.Resources, []string{group, group + ":*"}) {
							bad = append(bad, fmt.Sprintf("%s: %s on %v, want only %s and %s:*", p, a, s.Resources, group, group))
						}
					case a == "logs:DescribeLogGroups":
						for _, res := range s.Resources {
							if !strings.HasSuffix(res, ":log-group:*") || strings.Count(res, ":") != 6 {
								bad = append(bad, fmt.Sprintf("%s: DescribeLogGroups on %q, want this account's log-group:*", p, res))
							}
						}
					default:
						bad = append(bad, fmt.Sprintf("%s: action %q is more than a flow-log role needs", p, a))
					}
				}
			}
		}
		if len(asList(role.Value("managedPolicyArns"))) > 0 {
			bad = append(bad, fmt.Sprintf("%s: has managed policies attached", role))
		}
	}
	return bad
}

func flowLogTrustProblems(role mockrun.Resource) []string {
	stmts, err := ParsePolicy(role.Str("assumeRolePolicy"))
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", role, err)}
	}
	var bad []string
	for _, s := range stmts {
		if s.Effect != "Allow" {
			continue
		}
		if !slices.Equal(s.Principals, []string{"Service:vpc-flow-logs.amazonaws.com"}) {
			bad = append(bad, fmt.Sprintf("%s: trusts %v, want only vpc-flow-logs.amazonaws.com", role, s.Principals))
		}
		if s.ConditionValue("StringEquals", "aws:SourceAccount") == "" {
			bad = append(bad, fmt.Sprintf("%s: trust has no aws:SourceAccount condition (confused deputy)", role))
		}
		if arn := s.ConditionValue("ArnLike", "aws:SourceArn"); !strings.Contains(arn, ":vpc-flow-log/") {
			bad = append(bad, fmt.Sprintf("%s: trust aws:SourceArn is %q, want this account's vpc-flow-log/*", role, arn))
		}
	}
	return bad
}

// NoWildcardActions finds identity policies (role and inline policies) that grant "*" or "service:*".
func NoWildcardActions(r *mockrun.Result) []string {
	var bad []string
	for _, p := range r.OfType(TypeRolePolicy) {
		stmts, err := ParsePolicy(p.Str("policy"))
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", p, err))
			continue
		}
		for _, s := range stmts {
			for _, a := range s.Actions {
				if s.Effect == "Allow" && (a == "*" || strings.HasSuffix(a, ":*")) {
					bad = append(bad, fmt.Sprintf("%s: statement %q allows %q", p, s.Sid, a))
				}
			}
		}
	}
	return bad
}

func anyHasPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}
