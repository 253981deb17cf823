package controls

import (
	"slices"

	"github.com/aws-foundation/aws-foundation/internal/iampolicy"
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
)

// KeysRotate finds KMS keys without automatic rotation or whose deletionWindowInDays (the waiting period Pulumi
// uses when it deletes them) is not 30.
func KeysRotate(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, k := range r.OfType(mockrun.TypeKmsKey) {
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
	for _, k := range r.OfType(mockrun.TypeKmsKey) {
		stmts, err := iampolicy.Parse(k.Str("policy"))
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

func keyByArn(r *mockrun.Result, arn string) *mockrun.Resource {
	for _, k := range r.OfType(mockrun.TypeKmsKey) {
		if arn != "" && k.Out("arn") == arn {
			return &k
		}
	}
	return nil
}
