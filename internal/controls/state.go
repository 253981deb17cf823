package controls

import (
	"fmt"
	"slices"

	"github.com/aws-foundation/aws-foundation/internal/mockrun"
)

// Type tokens the state-backend checks read.
const (
	TypeBucket            = "aws:s3/bucketV2:BucketV2"
	TypePublicAccessBlock = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	TypeOwnership         = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
	TypeBucketEncryption  = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	TypeBucketVersioning  = "aws:s3/bucketVersioningV2:BucketVersioningV2"
	TypeBucketPolicy      = "aws:s3/bucketPolicy:BucketPolicy"
	TypeBucketLifecycle   = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
	TypeBucketLogging     = "aws:s3/bucketLoggingV2:BucketLoggingV2"
	TypeTable             = "aws:dynamodb/table:Table"
)

// companions returns the resources of typ that configure the bucket with id bucketID.
func companions(r *mockrun.Result, typ, bucketID string) []mockrun.Resource {
	var out []mockrun.Resource
	for _, x := range r.OfType(typ) {
		if x.Str("bucket") == bucketID {
			out = append(out, x)
		}
	}
	return out
}

// IsLogTarget says whether a bucket is designated to receive server access logs: its policy lets the S3
// logging service put objects. Exceptions accept such a bucket's SSE-S3 encryption (log delivery cannot use
// SSE-KMS), missing versioning and not logging itself.
func IsLogTarget(r *mockrun.Result, bucketID string) bool {
	b, ok := r.ByID(TypeBucket, bucketID)
	if !ok {
		return false
	}
	stmts, err := bucketPolicies(r, b)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(stmts, func(s Statement) bool {
		return s.Effect == "Allow" && slices.Equal(s.Principals, []string{"Service:logging.s3.amazonaws.com"}) &&
			slices.Contains(s.Actions, "s3:PutObject")
	})
}

// BucketsBlockPublicAccess finds buckets without all four public access block flags.
func BucketsBlockPublicAccess(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, b := range r.OfType(TypeBucket) {
		pabs := companions(r, TypePublicAccessBlock, b.ID)
		if len(pabs) == 0 {
			bad = append(bad, finding(b, "no public access block"))
		}
		for _, p := range pabs {
			for _, f := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
				if p.Value(f) != true {
					bad = append(bad, finding(p, "%s is %v, want true", f, p.Value(f)))
				}
			}
		}
	}
	return bad
}

// BucketsOwnerEnforced finds buckets whose object ownership is not BucketOwnerEnforced (ACLs still on).
func BucketsOwnerEnforced(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, b := range r.OfType(TypeBucket) {
		owned := false
		for _, o := range companions(r, TypeOwnership, b.ID) {
			rule, _ := o.Value("rule").(map[string]any)
			owned = owned || rule["objectOwnership"] == "BucketOwnerEnforced"
		}
		if !owned {
			bad = append(bad, finding(b, "object ownership is not BucketOwnerEnforced"))
		}
	}
	return bad
}

// bucketPolicies returns the parsed statements of every policy on a bucket.
func bucketPolicies(r *mockrun.Result, b mockrun.Resource) ([]Statement, error) {
	var all []Statement
	for _, p := range companions(r, TypeBucketPolicy, b.ID) {
		stmts, err := ParsePolicy(p.Str("policy"))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		all = append(all, stmts...)
	}
	return all, nil
}

// BucketsTlsOnly finds buckets whose policy does not deny every request made without TLS, on the bucket and
// on its objects.
func BucketsTlsOnly(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, b := range r.OfType(TypeBucket) {
		stmts, err := bucketPolicies(r, b)
		if err != nil {
			bad = append(bad, finding(b, "%v", err))
			continue
		}
		arn := b.Out("arn")
		ok := slices.ContainsFunc(stmts, func(s Statement) bool {
			return s.Effect == "Deny" && slices.Equal(s.Principals, []string{"*"}) &&
				(slices.Contains(s.Actions, "s3:*") || slices.Contains(s.Actions, "*")) &&
				slices.Contains(s.Resources, arn) && slices.Contains(s.Resources, arn+"/*") &&
				s.ConditionValue("Bool", "aws:SecureTransport") == "false"
		})
		if !ok {
			bad = append(bad, finding(b, "no policy denies requests without TLS on %s and %s/*", arn, arn))
		}
	}
	return bad
}

// BucketsEncryptedByDefault finds buckets without default encryption with a customer-managed key of this stack
// and the S3 bucket key.
func BucketsEncryptedByDefault(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, b := range r.OfType(TypeBucket) {
		encs := companions(r, TypeBucketEncryption, b.ID)
		if len(encs) == 0 {
			bad = append(bad, finding(b, "no default encryption"))
			continue
		}
		for _, e := range encs {
			for _, rule := range sseRules(e) {
				switch {
				case rule.Algorithm != "aws:kms" || keyByArn(r, rule.KeyArn) == nil:
					bad = append(bad, finding(b, "default encryption %s with key %q, want aws:kms with a key of this stack",
						rule.Algorithm, rule.KeyArn))
				case !rule.BucketKey:
					bad = append(bad, finding(b, "S3 bucket key is off (every object costs a KMS request)"))
				}
			}
		}
	}
	return bad
}

// KmsBucketsRefuseOtherEncryption finds KMS-encrypted buckets whose policy does not deny uploads asking for
// another encryption or another key, or that would also deny uploads sending no encryption header.
func KmsBucketsRefuseOtherEncryption(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, b := range r.OfType(TypeBucket) {
		if defaultEncryption(r, b) != "aws:kms" {
			continue // the check is about KMS buckets
		}
		stmts, err := bucketPolicies(r, b)
		if err != nil {
			bad = append(bad, finding(b, "%v", err))
			continue
		}
		for _, header := range []string{"s3:x-amz-server-side-encryption", "s3:x-amz-server-side-encryption-aws-kms-key-id"} {
			ok := slices.ContainsFunc(stmts, func(s Statement) bool {
				return s.Effect == "Deny" && slices.Contains(s.Actions, "s3:PutObject") &&
					s.ConditionValue("StringNotEquals", header) != "" &&
					s.ConditionValue("Null", header) == "false" // only when the header is sent
			})
			if !ok {
				bad = append(bad, finding(b, "no policy denies uploads whose %s differs, while allowing uploads without it", header))
			}
		}
	}
	return bad
}

// BucketsVersioned finds buckets without versioning.
func BucketsVersioned(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, b := range r.OfType(TypeBucket) {
		if !isVersioned(r, b) {
			bad = append(bad, finding(b, "versioning is not enabled"))
		}
	}
	return bad
}

func isVersioned(r *mockrun.Result, b mockrun.Resource) bool {
	for _, v := range companions(r, TypeBucketVersioning, b.ID) {
		if cfg, _ := v.Value("versioningConfiguration").(map[string]any); cfg["status"] == "Enabled" {
			return true
		}
	}
	return false
}

// BucketsHaveLifecycle finds buckets without an enabled lifecycle rule that aborts incomplete multipart
// uploads, and versioned buckets without one that expires noncurrent versions.
func BucketsHaveLifecycle(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, b := range r.OfType(TypeBucket) {
		aborts, expiresNoncurrent := false, false
		for _, l := range companions(r, TypeBucketLifecycle, b.ID) {
			for _, rule := range asList(l.Value("rules")) {
				m, _ := rule.(map[string]any)
				if m["status"] != "Enabled" {
					continue
				}
				if a, ok := m["abortIncompleteMultipartUpload"].(map[string]any); ok && asInt(a["daysAfterInitiation"]) > 0 {
					aborts = true
				}
				if n, ok := m["noncurrentVersionExpiration"].(map[string]any); ok && asInt(n["noncurrentDays"]) > 0 {
					expiresNoncurrent = true
				}
			}
		}
		if !aborts {
			bad = append(bad, finding(b, "no lifecycle rule aborts incomplete multipart uploads"))
		}
		if isVersioned(r, b) && !expiresNoncurrent {
			bad = append(bad, finding(b, "versioned, but no lifecycle rule expires noncurrent versions"))
		}
	}
	return bad
}

// BucketsLogAccess finds buckets whose server access logs go nowhere, to themselves, or to a bucket outside
// this stack.
func BucketsLogAccess(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, b := range r.OfType(TypeBucket) {
		logs := companions(r, TypeBucketLogging, b.ID)
		if len(logs) == 0 {
			bad = append(bad, finding(b, "server access logging is off"))
		}
		for _, l := range logs {
			target, ok := r.ByID(TypeBucket, l.Str("targetBucket"))
			if !ok || target.ID == b.ID {
				bad = append(bad, finding(b, "logs to %q, want another bucket of this stack", l.Str("targetBucket")))
			}
		}
	}
	return bad
}

// TablesPointInTimeRecovery finds DynamoDB tables without point-in-time recovery.
func TablesPointInTimeRecovery(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, t := range r.OfType(TypeTable) {
		if pitr, _ := t.Value("pointInTimeRecovery").(map[string]any); pitr["enabled"] != true {
			bad = append(bad, finding(t, "point-in-time recovery is off"))
		}
	}
	return bad
}

// TablesEncryptedWithCmk finds DynamoDB tables not encrypted with a customer-managed key of this stack.
func TablesEncryptedWithCmk(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, t := range r.OfType(TypeTable) {
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
	for _, t := range r.OfType(TypeTable) {
		if t.Value("deletionProtectionEnabled") != true {
			bad = append(bad, finding(t, "deletion protection is off"))
		}
	}
	return bad
}

// StatefulResourcesProtected finds buckets, tables and the keys that encrypt them that `pulumi destroy` could
// delete (no protect) or that deleting the stack would remove (no retainOnDelete), and buckets that Pulumi
// would empty (forceDestroy).
func StatefulResourcesProtected(r *mockrun.Result) []Finding {
	var bad []Finding
	stateful := append(r.OfType(TypeBucket), r.OfType(TypeTable)...)
	for _, x := range stateful {
		if x.Value("forceDestroy") == true {
			bad = append(bad, finding(x, "forceDestroy is on"))
		}
	}
	for _, e := range r.OfType(TypeBucketEncryption) {
		for _, rule := range sseRules(e) {
			if k := keyByArn(r, rule.KeyArn); k != nil {
				stateful = append(stateful, *k)
			}
		}
	}
	for _, t := range r.OfType(TypeTable) {
		sse, _ := t.Value("serverSideEncryption").(map[string]any)
		if k := keyByArn(r, asString(sse["kmsKeyArn"])); k != nil {
			stateful = append(stateful, *k)
		}
	}
	seen := map[string]bool{}
	for _, x := range stateful {
		if seen[x.URN] {
			continue
		}
		seen[x.URN] = true
		if !x.Protect || !x.RetainOnDelete {
			bad = append(bad, finding(x, "protect=%v retainOnDelete=%v, want both", x.Protect, x.RetainOnDelete))
		}
	}
	return bad
}

// sseRule is one default-encryption rule of a bucket.
type sseRule struct {
	Algorithm string // "aws:kms" or "AES256"
	KeyArn    string // with aws:kms
	BucketKey bool
}

// sseRules reads the rules of a recorded BucketServerSideEncryptionConfigurationV2.
func sseRules(e mockrun.Resource) []sseRule {
	var out []sseRule
	for _, rule := range asList(e.Value("rules")) {
		m, _ := rule.(map[string]any)
		def, _ := m["applyServerSideEncryptionByDefault"].(map[string]any)
		out = append(out, sseRule{Algorithm: asString(def["sseAlgorithm"]), KeyArn: asString(def["kmsMasterKeyId"]),
			BucketKey: m["bucketKeyEnabled"] == true})
	}
	return out
}

// defaultEncryption returns a bucket's default SSE algorithm ("aws:kms", "AES256") or "".
func defaultEncryption(r *mockrun.Result, b mockrun.Resource) string {
	for _, e := range companions(r, TypeBucketEncryption, b.ID) {
		for _, rule := range sseRules(e) {
			return rule.Algorithm
		}
	}
	return ""
}
