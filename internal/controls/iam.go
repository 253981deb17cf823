package controls

import (
	"slices"
	"strings"

	"github.com/aws-foundation/aws-foundation/internal/iampolicy"
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
)

// FlowLogRolePath is the IAM path flow-log delivery roles must live under: deploy roles may create roles there
// only, and only with a permissions boundary.
const FlowLogRolePath = "/aws-foundation/flow-logs/"

// FlowLogWriteActions are the only actions a flow-log role may have on its log group.
var FlowLogWriteActions = []string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"}

// FlowLogRolesLeastPrivilege finds flow-log roles that another service or account could assume, or that may do
// more than write into their own log group.
func FlowLogRolesLeastPrivilege(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, fl := range r.OfType(mockrun.TypeFlowLog) {
		var role *mockrun.Resource
		for _, x := range r.OfType(mockrun.TypeRole) {
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
		for _, p := range r.OfType(mockrun.TypeRolePolicy) {
			if p.Str("role") != role.ID {
				continue
			}
			stmts, err := iampolicy.Parse(p.Str("policy"))
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
	stmts, err := iampolicy.Parse(role.Str("assumeRolePolicy"))
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
	for _, p := range r.OfType(mockrun.TypeRolePolicy) {
		stmts, err := iampolicy.Parse(p.Str("policy"))
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

// FlowLogRolesUnderPathWithBoundary finds flow-log roles outside FlowLogRolePath or without a permissions
// boundary: the deploy roles may create roles only there and only with the boundary.
func FlowLogRolesUnderPathWithBoundary(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, fl := range r.OfType(mockrun.TypeFlowLog) {
		for _, role := range r.OfType(mockrun.TypeRole) {
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

// ReplicationRolesReadOnlyTheirSource finds the roles of S3 replication configurations whose trust policy admits
// anyone but s3.amazonaws.com, whose policies do not deny reading every bucket but the configuration's source (so
// a bucket policy elsewhere could make it replicate that bucket), or let them replicate deletions.
func ReplicationRolesReadOnlyTheirSource(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, rep := range r.OfType(mockrun.TypeBucketReplication) {
		var source string
		for _, b := range r.OfType(mockrun.TypeBucket) {
			if b.ID == rep.Str("bucket") {
				source = b.Out("arn")
			}
		}
		var role *mockrun.Resource
		for _, x := range r.OfType(mockrun.TypeRole) {
			if x.Out("arn") == rep.Str("role") {
				role = &x
			}
		}
		if role == nil {
			bad = append(bad, finding(rep, "replicates with %q, not a role of this stack", rep.Str("role")))
			continue
		}
		stmts, err := iampolicy.Parse(role.Str("assumeRolePolicy"))
		if err != nil {
			bad = append(bad, finding(*role, "%v", err))
			continue
		}
		for _, s := range stmts {
			if s.Effect != "Allow" {
				continue
			}
			if !slices.Equal(s.Principals, []string{"Service:s3.amazonaws.com"}) {
				bad = append(bad, finding(*role, "trusts %v, want only s3.amazonaws.com", s.Principals))
			}
		}
		readsOnlySource := false
		for _, p := range r.OfType(mockrun.TypeRolePolicy) {
			if p.Str("role") != role.ID {
				continue
			}
			ps, err := iampolicy.Parse(p.Str("policy"))
			if err != nil {
				bad = append(bad, finding(p, "%v", err))
				continue
			}
			for _, s := range ps {
				if s.Effect == "Allow" && (slices.Contains(s.Actions, "s3:ReplicateDelete") || slices.Contains(s.Actions, "s3:Replicate*")) {
					bad = append(bad, finding(p, "statement %q lets replication delete", s.Sid))
				}
				if s.Effect == "Deny" && slices.Contains(s.Actions, "s3:GetObjectVersionForReplication") &&
					slices.Contains(s.Actions, "s3:GetReplicationConfiguration") && source != "" &&
					slices.Equal(s.NotResources, []string{source, source + "/*"}) {
					readsOnlySource = true
				}
			}
		}
		if !readsOnlySource {
			bad = append(bad, finding(*role, "no statement denies reading every bucket but the source %q", source))
		}
	}
	return bad
}
