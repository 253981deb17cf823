package controls

import (
	"slices"
	"strings"

	"github.com/aws-foundation/aws-foundation/internal/mockrun"
)

// Type tokens the logging, KMS and IAM checks read.
const (
	TypeKmsKey     = "aws:kms/key:Key"
	TypeLogGroup   = "aws:cloudwatch/logGroup:LogGroup"
	TypeKmsAlias   = "aws:kms/alias:Alias"
	TypeRole       = "aws:iam/role:Role"
	TypeRolePolicy = "aws:iam/rolePolicy:RolePolicy"
)

// FlowLogRolePath is the IAM path flow-log delivery roles must live under: deploy roles may create roles there
// only, and only with a permissions boundary.
const FlowLogRolePath = "/aws-foundation/flow-logs/"

// MinLogRetentionDays is the shortest retention a log group may have without an accepted exception.
const MinLogRetentionDays = 365

// FlowLogWriteActions are the only actions a flow-log role may have on its log group.
var FlowLogWriteActions = []string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"}

// FlowLogsOnEveryVpc finds VPCs without a flow log that captures ALL traffic into a log group of this program.
func FlowLogsOnEveryVpc(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, vpc := range r.OfType(TypeVpc) {
		ok := false
		for _, fl := range r.OfType(TypeFlowLog) {
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

// LogGroupsEncryptedWithCmk finds log groups not encrypted with a customer-managed key of this stack.
func LogGroupsEncryptedWithCmk(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, g := range r.OfType(TypeLogGroup) {
		if keyByArn(r, g.Str("kmsKeyId")) == nil {
			bad = append(bad, finding(g, "kmsKeyId %q is not a customer-managed key of this stack", g.Str("kmsKeyId")))
		}
	}
	return bad
}

// LogGroupsRetainedAYear finds log groups kept less than MinLogRetentionDays (0, never expire, counts as kept).
func LogGroupsRetainedAYear(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, g := range r.OfType(TypeLogGroup) {
		days, _ := g.Value("retentionInDays").(float64)
		if days != 0 && days < MinLogRetentionDays {
			bad = append(bad, finding(g, "retention %v days, want at least %d", days, MinLogRetentionDays))
		}
	}
	return bad
}

// LogKeysScopedToTheirLogGroup finds keys used by a log group whose policy lets CloudWatch Logs use them for
// anything but that log group, and log groups that do not wait for their key (and so its policy).
func LogKeysScopedToTheirLogGroup(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, g := range r.OfType(TypeLogGroup) {
		key := keyByArn(r, g.Str("kmsKeyId"))
		if key == nil {
			continue // reported by LogGroupsEncryptedAndRetained
		}
		if !g.DependsOn(key.URN) {
			bad = append(bad, finding(g, "does not depend on %s; CreateLogGroup fails before the key policy exists", key))
		}
		stmts, err := ParsePolicy(key.Str("policy"))
		if err != nil {
			bad = append(bad, finding(*key, "%v", err))
			continue
		}
		found := false
		for _, s := range stmts {
			if !anyHasPrefix(s.Principals, "Service:logs.") {
				continue
			}
			found = true
			if got := s.ConditionValue("ArnEquals", "kms:EncryptionContext:aws:logs:arn"); got != g.Out("arn") {
				bad = append(bad, finding(*key, "CloudWatch Logs may use it for %q, want exactly %q", got, g.Out("arn")))
			}
		}
		if !found {
			bad = append(bad, finding(*key, "its policy does not admit CloudWatch Logs, so %s cannot use it", g))
		}
	}
	return bad
}

// KeysRotate finds KMS keys without automatic rotation or without the 30-day deletion window.
func KeysRotate(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, k := range r.OfType(TypeKmsKey) {
		if k.Value("enableKeyRotation") != true {
			bad = append(bad, finding(k, "enableKeyRotation is %v, want true", k.Value("enableKeyRotation")))
		}
		if k.Value("deletionWindowInDays") != 30.0 {
			bad = append(bad, finding(k, "deletionWindowInDays is %v, want 30", k.Value("deletionWindowInDays")))
		}
	}
	return bad
}

// KeyPoliciesExplicitAndNotPublic finds KMS keys without an explicit policy, or whose policy allows "*" as
// principal without a condition.
func KeyPoliciesExplicitAndNotPublic(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, k := range r.OfType(TypeKmsKey) {
		stmts, err := ParsePolicy(k.Str("policy"))
		if err != nil || len(stmts) == 0 {
			bad = append(bad, finding(k, "no explicit key policy"))
			continue
		}
		for _, s := range stmts {
			if s.Effect == "Allow" && (slices.Contains(s.Principals, "*") || slices.Contains(s.Principals, "AWS:*")) &&
				len(s.Condition) == 0 {
				bad = append(bad, finding(k, "statement %q allows any principal without a condition", s.Sid))
			}
		}
	}
	return bad
}

// FlowLogRolesLeastPrivilege finds flow-log roles that another service or account could assume, or that may do
// more than write into their own log group.
func FlowLogRolesLeastPrivilege(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, fl := range r.OfType(TypeFlowLog) {
		var role *mockrun.Resource
		for _, x := range r.OfType(TypeRole) {
			if x.Out("arn") == fl.Str("iamRoleArn") {
				role = &x
			}
		}
		if role == nil {
			bad = append(bad, finding(fl, "iamRoleArn %q is not a role of this stack", fl.Str("iamRoleArn")))
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
				bad = append(bad, finding(p, "%v", err))
				continue
			}
			for _, s := range stmts {
				for _, a := range s.Actions {
					switch {
					case slices.Contains(FlowLogWriteActions, a):
						if !slices.Equal(s.Resources, []string{group, group + ":*"}) {
							bad = append(bad, finding(p, "%s on %v, want only %s and %s:*", a, s.Resources, group, group))
						}
					case a == "logs:DescribeLogGroups":
						// A list call without resource-level permissions: only "*" grants it, and it reveals
						// log group names and settings, never records.
						if !slices.Equal(s.Resources, []string{"*"}) {
							bad = append(bad, finding(p, "DescribeLogGroups on %v, which never matches its request resource \"*\"", s.Resources))
						}
					case a == "*" || strings.HasSuffix(a, ":*"):
						// full wildcards are AF-IAM-02's finding, so one break fails one control
					default:
						bad = append(bad, finding(p, "action %q is more than a flow-log role needs", a))
					}
				}
			}
		}
		if len(asList(role.Value("managedPolicyArns"))) > 0 {
			bad = append(bad, finding(*role, "has managed policies attached"))
		}
	}
	return bad
}

func flowLogTrustProblems(role mockrun.Resource) []Finding {
	stmts, err := ParsePolicy(role.Str("assumeRolePolicy"))
	if err != nil {
		return []Finding{finding(role, "%v", err)}
	}
	var bad []Finding
	for _, s := range stmts {
		if s.Effect != "Allow" {
			continue
		}
		if !slices.Equal(s.Principals, []string{"Service:vpc-flow-logs.amazonaws.com"}) {
			bad = append(bad, finding(role, "trusts %v, want only vpc-flow-logs.amazonaws.com", s.Principals))
		}
		if s.ConditionValue("StringEquals", "aws:SourceAccount") == "" {
			bad = append(bad, finding(role, "trust has no aws:SourceAccount condition (confused deputy)"))
		}
		if arn := s.ConditionValue("ArnLike", "aws:SourceArn"); !strings.Contains(arn, ":vpc-flow-log/") {
			bad = append(bad, finding(role, "trust aws:SourceArn is %q, want this account's vpc-flow-log/*", arn))
		}
	}
	return bad
}

// NoWildcardActions finds identity policies (role and inline policies) that grant "*" or "service:*".
func NoWildcardActions(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, p := range r.OfType(TypeRolePolicy) {
		stmts, err := ParsePolicy(p.Str("policy"))
		if err != nil {
			bad = append(bad, finding(p, "%v", err))
			continue
		}
		for _, s := range stmts {
			for _, a := range s.Actions {
				if s.Effect == "Allow" && (a == "*" || strings.HasSuffix(a, ":*")) {
					bad = append(bad, finding(p, "statement %q allows %q", s.Sid, a))
				}
			}
		}
	}
	return bad
}

// LogEvidenceRetained finds log groups, the keys that encrypt them and those keys' aliases that are not
// retained on delete, so that `pulumi destroy` would delete the records or make them unreadable.
func LogEvidenceRetained(r *mockrun.Result) []Finding {
	var bad []Finding
	seen := map[string]bool{}
	check := func(x mockrun.Resource, what string) {
		if seen[x.URN] {
			return
		}
		seen[x.URN] = true
		if !x.RetainOnDelete {
			bad = append(bad, finding(x, "%s is not retained on delete: destroying the stack destroys the evidence", what))
		}
	}
	for _, g := range r.OfType(TypeLogGroup) {
		check(g, "the log group")
		key := keyByArn(r, g.Str("kmsKeyId"))
		if key == nil {
			continue // AF-LOG-02's finding
		}
		check(*key, "the key that decrypts "+g.Name)
		for _, a := range r.OfType(TypeKmsAlias) {
			if a.Str("targetKeyId") == key.Out("keyId") {
				check(a, "the alias of the key that decrypts "+g.Name)
			}
		}
	}
	return bad
}

// FlowLogRolesUnderPathWithBoundary finds flow-log roles outside FlowLogRolePath or without a permissions
// boundary: the deploy roles may create roles only there and only with the boundary.
func FlowLogRolesUnderPathWithBoundary(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, fl := range r.OfType(TypeFlowLog) {
		for _, role := range r.OfType(TypeRole) {
			if role.Out("arn") != fl.Str("iamRoleArn") {
				continue
			}
			if role.Str("path") != FlowLogRolePath {
				bad = append(bad, finding(role, "path %q, want %q", role.Str("path"), FlowLogRolePath))
			}
			if b := role.Str("permissionsBoundary"); !strings.Contains(b, ":policy/") {
				bad = append(bad, finding(role, "permissions boundary %q is not a managed policy ARN", b))
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
