package controls

import (
	"slices"

	"github.com/aws-foundation/aws-foundation/internal/buckets"
	"github.com/aws-foundation/aws-foundation/internal/iampolicy"
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
)

// BucketsBlockPublicAccess finds buckets without all four public access block flags.
func BucketsBlockPublicAccess(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, b := range r.OfType(mockrun.TypeBucket) {
		pabs := buckets.Companions(r, mockrun.TypePublicAccessBlock, b.ID)
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
	for _, b := range r.OfType(mockrun.TypeBucket) {
		owned := false
		for _, o := range buckets.Companions(r, mockrun.TypeOwnership, b.ID) {
			rule, _ := o.Value("rule").(map[string]any)
			owned = owned || rule["objectOwnership"] == "BucketOwnerEnforced"
		}
		if !owned {
			bad = append(bad, finding(b, "object ownership is not BucketOwnerEnforced"))
		}
	}
	return bad
}

// BucketsTlsOnly finds buckets whose policy does not deny every request made without TLS, on the bucket and
// on its objects.
func BucketsTlsOnly(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, b := range r.OfType(mockrun.TypeBucket) {
		stmts, err := buckets.Policy(r, b.ID)
		if err != nil {
			bad = append(bad, finding(b, "%v", err))
			continue
		}
		arn := b.Out("arn")
		ok := slices.ContainsFunc(stmts, func(s iampolicy.Statement) bool {
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
	for _, b := range r.OfType(mockrun.TypeBucket) {
		encs := buckets.Companions(r, mockrun.TypeBucketEncryption, b.ID)
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
	for _, b := range r.OfType(mockrun.TypeBucket) {
		if defaultEncryption(r, b) != "aws:kms" {
			continue // the check is about KMS buckets
		}
		stmts, err := buckets.Policy(r, b.ID)
		if err != nil {
			bad = append(bad, finding(b, "%v", err))
			continue
		}
		for _, header := range []string{"s3:x-amz-server-side-encryption", "s3:x-amz-server-side-encryption-aws-kms-key-id"} {
			ok := slices.ContainsFunc(stmts, func(s iampolicy.Statement) bool {
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
	for _, b := range r.OfType(mockrun.TypeBucket) {
		if !isVersioned(r, b) {
			bad = append(bad, finding(b, "versioning is not enabled"))
		}
	}
	return bad
}

func isVersioned(r *mockrun.Result, b mockrun.Resource) bool {
	for _, v := range buckets.Companions(r, mockrun.TypeBucketVersioning, b.ID) {
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
	for _, b := range r.OfType(mockrun.TypeBucket) {
		aborts, expiresNoncurrent := false, false
		for _, l := range buckets.Companions(r, mockrun.TypeBucketLifecycle, b.ID) {
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
	for _, b := range r.OfType(mockrun.TypeBucket) {
		logs := buckets.Companions(r, mockrun.TypeBucketLogging, b.ID)
		if len(logs) == 0 {
			bad = append(bad, finding(b, "server access logging is off"))
		}
		for _, l := range logs {
			target, ok := r.ByID(mockrun.TypeBucket, l.Str("targetBucket"))
			if !ok || target.ID == b.ID {
				bad = append(bad, finding(b, "logs to %q, want another bucket of this stack", l.Str("targetBucket")))
			}
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
	for _, e := range buckets.Companions(r, mockrun.TypeBucketEncryption, b.ID) {
		for _, rule := range sseRules(e) {
			return rule.Algorithm
		}
	}
	return ""
}

// ObjectLockBucketsAreWorm finds buckets with an Object Lock configuration that were not created with Object Lock
// enabled, or whose default retention is not COMPLIANCE for at least 365 days.
func ObjectLockBucketsAreWorm(r *mockrun.Result) []Finding {
	var bad []Finding
	for _, b := range r.OfType(mockrun.TypeBucket) {
		locks := buckets.Companions(r, mockrun.TypeBucketObjectLock, b.ID)
		if len(locks) == 0 {
			continue
		}
		if b.Value("objectLockEnabled") != true {
			bad = append(bad, finding(b, "has an Object Lock configuration but was not created with objectLockEnabled"))
		}
		for _, l := range locks {
			rule, _ := l.Value("rule").(map[string]any)
			ret, _ := rule["defaultRetention"].(map[string]any)
			days := asInt(ret["days"]) + 365*asInt(ret["years"])
			if ret["mode"] != "COMPLIANCE" {
				bad = append(bad, finding(l, "default retention mode is %v, want COMPLIANCE", ret["mode"]))
			}
			if days < 365 {
				bad = append(bad, finding(l, "default retention is %d days, want at least 365", days))
			}
		}
	}
	return bad
}
