package controls

import (
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
)

// TablesPointInTimeRecovery finds DynamoDB tables without point-in-time recovery.
func TablesPointInTimeRecovery(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, t := range r.OfType(mockrun.TypeTable) {
		if pitr, _ := t.Value("pointInTimeRecovery").(map[string]any); pitr["enabled"] != true {
			bad = append(bad, finding(t, "point-in-time recovery is off"))
		}
	}
	return bad
}

// TablesEncryptedWithCmk finds DynamoDB tables not encrypted with a customer-managed key of this stack.
func TablesEncryptedWithCmk(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, t := range r.OfType(mockrun.TypeTable) {
		sse, _ := t.Value("serverSideEncryption").(map[string]any)
		if sse["enabled"] != true || keyByArn(r, asString(sse["kmsKeyArn"])) == nil {
			bad = append(bad, finding(t, "not encrypted with a customer-managed key of this stack"))
		}
	}
	return bad
}

// TablesDeletionProtected finds DynamoDB tables without deletion protection.
func TablesDeletionProtected(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, t := range r.OfType(mockrun.TypeTable) {
		if t.Value("deletionProtectionEnabled") != true {
			bad = append(bad, finding(t, "deletion protection is off"))
		}
	}
	return bad
}
