package controls

import (
	"github.com/aws-foundation/aws-foundation/internal/iampolicy"
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
)

// MinLogRetentionDays is the shortest retention a log group may have without an accepted exception.
const MinLogRetentionDays = 365

// LogGroupsRetainedAYear finds log groups kept less than MinLogRetentionDays (0, never expire, counts as kept).
func LogGroupsRetainedAYear(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, g := range r.OfType(mockrun.TypeLogGroup) {
		days, _ := g.Value("retentionInDays").(float64)
		if days != 0 && days < MinLogRetentionDays {
			bad = append(bad, finding(g, "retention %v days, want at least %d", days, MinLogRetentionDays))
		}
	}
	return bad
}

// LogGroupsEncryptedWithCmk finds log groups not encrypted with a customer-managed key of this stack.
func LogGroupsEncryptedWithCmk(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, g := range r.OfType(mockrun.TypeLogGroup) {
		if keyByArn(r, g.Str("kmsKeyId")) == nil {
			bad = append(bad, finding(g, "kmsKeyId %q is not a customer-managed key of this stack", g.Str("kmsKeyId")))
		}
	}
	return bad
}

// LogKeysScopedToTheirLogGroup finds keys used by a log group whose policy lets CloudWatch Logs use them for
// anything but that log group, and log groups that do not wait for their key (and so its policy).
func LogKeysScopedToTheirLogGroup(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, g := range r.OfType(mockrun.TypeLogGroup) {
		key := keyByArn(r, g.Str("kmsKeyId"))
		if key == nil {
			continue // AF-LOG-02's finding (LogGroupsEncryptedWithCmk)
		}
		if !g.DependsOn(key.URN) {
			bad = append(bad, finding(g, "does not depend on %s; CreateLogGroup fails before the key policy exists", key))
		}
		stmts, err := iampolicy.Parse(key.Str("policy"))
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
	for _, g := range r.OfType(mockrun.TypeLogGroup) {
		check(g, "the log group")
		key := keyByArn(r, g.Str("kmsKeyId"))
		if key == nil {
			continue // AF-LOG-02's finding
		}
		check(*key, "the key that decrypts "+g.Name)
		for _, a := range r.OfType(mockrun.TypeKmsAlias) {
			if a.Str("targetKeyId") == key.Out("keyId") {
				check(a, "the alias of the key that decrypts "+g.Name)
			}
		}
	}
	return bad
}

func logGroupByArn(r *mockrun.Result, arn string) *mockrun.Resource {
	for _, g := range r.OfType(mockrun.TypeLogGroup) {
		if arn != "" && g.Out("arn") == arn {
			return &g
		}
	}
	return nil
}
