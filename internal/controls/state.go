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

// IsLogTarget says whether a bucket receives another bucket's server access logs. Such a bucket is the
// accepted exception to KMS encryption (log delivery cannot use SSE-KMS), versioning and its own logging.
func IsLogTarget(r *mockrun.Result, bucketID string) bool {
	for _, l := range r.OfType(TypeBucketLogging) {
		if l.Str("targetBucket") == bucketID {
			return true
		}
	}
	return false
}

// BucketsBlockPublicAccess finds buckets without all four public access block flags, or whose ownership is not
// BucketOwnerEnforced (ACLs on).
func BucketsBlockPublicAccess(r *mockrun.Result) []string {
	var bad []string
	for _, b := range r.OfType(TypeBucket) {
		pabs := companions(r, TypePublicAccessBlock, b.ID)
		if len(pabs) == 0 {
			bad = append(bad, fmt.Sprintf("%s: no public access block", b))
		}
		for _, p := range pabs {
			for _, f := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
				if p.Value(f) != true {
					bad = append(bad, fmt.Sprintf("%s: %s is %v, want true", p, f, p.Value(f)))
				}
			}
		}
		owned := false
		for _, o := range companions(r, TypeOwnership, b.ID) {
			rule, _ := o.Value("rule").(map[string]any)
			owned = owned || rule["objectOwnership"] == "BucketOwnerEnforced"
		}
		if !owned {
			bad = append(bad, fmt.Sprintf("%s: object ownership is not BucketOwnerEnforced", b))
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
func BucketsTlsOnly(r *mockrun.Result) []string {
	var bad []string
	for _, b := range r.OfType(TypeBucket) {
		stmts, err := bucketPolicies(r, b)
		if err != nil {
			bad = append(bad, err.Error())
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
			bad = append(bad, fmt.Sprintf("%s: no policy denies requests without TLS on %s and %s/*", b, arn, arn))
		}
	}
	return bad
}

// BucketsEncryptedByDefault finds buckets without default encryption, and buckets other than log targets not
// encrypted with a customer-managed key of this stack and the S3 bucket key.
func BucketsEncryptedByDefault(r *mockrun.Result) []string {
	var bad []string
	for _, b := range r.OfType(TypeBucket) {
		encs := companions(r, TypeBucketEncryption, b.ID)
		if len(encs) == 0 {
			bad = append(bad, fmt.Sprintf("%s: no default encryption", b))
			continue
		}
		for _, e := range encs {
			for _, rule := range asList(e.Value("rules")) {
				m, _ := rule.(map[string]any)
				def, _ := m["applyServerSideEncryptionByDefault"].(map[string]any)
				algo, key := asString(def["sseAlgorithm"]), asString(def["kmsMasterKeyId"])
				switch {
				case IsLogTarget(r, b.ID) && algo == "AES256":
					// accepted: S3 log delivery cannot write SSE-KMS objects
				case algo != "aws:kms" || keyByArn(r, key) == nil:
					bad = append(bad, fmt.Sprintf("%s: default encryption %s with key %q, want aws:kms with a key of this stack", b, algo, key))
				case m["bucketKeyEnabled"] != true:
					bad = append(bad, fmt.Sprintf("%s: S3 bucket key is off (every object costs a KMS request)", b))
				}
			}
		}
	}
	return bad
}

// KmsBucketsRefuseOtherEncryption finds KMS-encrypted buckets whose policy does not deny uploads asking for
// another encryption or another key, or that would also deny uploads sending no encryption header.
func KmsBucketsRefuseOtherEncryption(r *mockrun.Result) []string {
	var bad []string
	for _, b := range r.OfType(TypeBucket) {
		if IsLogTarget(r, b.ID) {
			continue
		}
		stmts, err := bucketPolicies(r, b)
		if err != nil {
			bad = append(bad, err.Error())
			continue
		}
		for _, header := range []string{"s3:x-amz-server-side-encryption", "s3:x-amz-server-side-encryption-aws-kms-key-id"} {
			ok := slices.ContainsFunc(stmts, func(s Statement) bool {
				return s.Effect == "Deny" && slices.Contains(s.Actions, "s3:PutObject") &&
					s.ConditionValue("StringNotEquals", header) != "" &&
					s.ConditionValue("Null", header) == "false" // only when the header is sent
			})
			if !ok {
				bad = append(bad, fmt.Sprintf("%s: no policy denies uploads whose %s differs, while allowing uploads without it", b, header))
			}
		}
	}
	return bad
}

// BucketsVersionedAndExpiring finds buckets (log targets excepted) without versioning, and buckets without a
// lifecycle that aborts incomplete uploads and, when versioned, expires noncurrent versions.
func BucketsVersionedAndExpiring(r *mockrun.Result) []string {
	var bad []string
	for _, b := range r.OfType(TypeBucket) {
		versioned := false
		for _, v := range companions(r, TypeBucketVersioning, b.ID) {
			cfg, _ := v.Value("versioningConfiguration").(map[string]any)
			versioned = versioned || cfg["status"] == "Enabled"
		}
		if !versioned && !IsLogTarget(r, b.ID) {
			bad = append(bad, fmt.Sprintf("%s: versioning is not enabled", b))
		}
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
			bad = append(bad, fmt.Sprintf("%s: no lifecycle rule aborts incomplete multipart uploads", b))
		}
		if versioned && !expiresNoncurrent {
			bad = append(bad, fmt.Sprintf("%s: versioned, but no lifecycle rule expires noncurrent versions", b))
		}
	}
	return bad
}

// BucketsLogAccess finds buckets (log targets excepted) whose server access logs go nowhere, to themselves, or
// to a bucket outside this stack.
func BucketsLogAccess(r *mockrun.Result) []string {
	var bad []string
	for _, b := range r.OfType(TypeBucket) {
		if IsLogTarget(r, b.ID) {
			continue
		}
		logs := companions(r, TypeBucketLogging, b.ID)
		if len(logs) == 0 {
			bad = append(bad, fmt.Sprintf("%s: server access logging is off", b))
		}
		for _, l := range logs {
			target, ok := r.ByID(TypeBucket, l.Str("targetBucket"))
			if !ok || target.ID == b.ID {
				bad = append(bad, fmt.Sprintf("%s: logs to %q, want another bucket of this stack", b, l.Str("targetBucket")))
			}
		}
	}
	return bad
}

// LockTablesHardened finds DynamoDB tables without point-in-time recovery, a customer-managed key of this stack,
// or deletion protection.
func LockTablesHardened(r *mockrun.Result) []string {
	var bad []string
	for _, t := range r.OfType(TypeTable) {
		if pitr, _ := t.Value("pointInTimeRecovery").(map[string]any); pitr["enabled"] != true {
			bad = append(bad, fmt.Sprintf("%s: point-in-time recovery is off", t))
		}
		sse, _ := t.Value("serverSideEncryption").(map[string]any)
		if sse["enabled"] != true || keyByArn(r, asString(sse["kmsKeyArn"])) == nil {
			bad = append(bad, fmt.Sprintf("%s: not encrypted with a customer-managed key of this stack", t))
		}
		if t.Value("deletionProtectionEnabled") != true {
			bad = append(bad, fmt.Sprintf("%s: deletion protection is off", t))
		}
	}
	return bad
}

// StatefulResourcesProtected finds buckets, tables and the keys that encrypt them that `pulumi destroy` could
// delete (no protect) or that deleting the stack would remove (no retainOnDelete), and buckets that Pulumi
// would empty (forceDestroy).
func StatefulResourcesProtected(r *mockrun.Result) []string {
	var bad []string
	stateful := append(r.OfType(TypeBucket), r.OfType(TypeTable)...)
	for _, x := range stateful {
		if x.Value("forceDestroy") == true {
			bad = append(bad, fmt.Sprintf("%s: forceDestroy is on", x))
		}
	}
	for _, e := range r.OfType(TypeBucketEncryption) {
		for _, rule := range asList(e.Value("rules")) {
			m, _ := rule.(map[string]any)
			def, _ := m["applyServerSideEncryptionByDefault"].(map[string]any)
			if k := keyByArn(r, asString(def["kmsMasterKeyId"])); k != nil {
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
			bad = append(bad, fmt.Sprintf("%s: protect=%v retainOnDelete=%v, want both", x, x.Protect, x.RetainOnDelete))
		}
	}
	return bad
}
