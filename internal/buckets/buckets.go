// Package buckets answers the questions about the S3 buckets of a recorded run that the controls, the cost
// model and the tests all ask: which resources configure a bucket, what its policies say, and whether it
// receives server access logs.
package buckets

import (
	"fmt"
	"slices"

	"github.com/aws-foundation/aws-foundation/internal/iampolicy"
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
)

// CompanionTypes are the resources that configure a bucket: each names its bucket by id in its bucket input.
var CompanionTypes = []string{mockrun.TypeBucketPolicy, mockrun.TypeBucketVersioning, mockrun.TypeBucketEncryption,
	mockrun.TypeBucketLifecycle, mockrun.TypeBucketLogging, mockrun.TypePublicAccessBlock, mockrun.TypeOwnership,
	mockrun.TypeBucketObjectLock, mockrun.TypeBucketReplication}

// Companions returns the resources of typ that configure the bucket with id bucketID, in registration order.
// typ must be one of CompanionTypes: any other type does not name a bucket in its bucket input, so asking for it
// is a mistake in the caller and panics rather than answering "none".
func Companions(r *mockrun.Result, typ, bucketID string) []mockrun.Resource {
	if !slices.Contains(CompanionTypes, typ) {
		panic(fmt.Sprintf("buckets.Companions: %s is not one of CompanionTypes", typ))
	}
	var out []mockrun.Resource
	for _, x := range r.OfType(typ) {
		if x.Str("bucket") == bucketID {
			out = append(out, x)
		}
	}
	return out
}

// Policy returns the statements of every policy on the bucket with id bucketID (none when it has no policy).
func Policy(r *mockrun.Result, bucketID string) ([]iampolicy.Statement, error) {
	var all []iampolicy.Statement
	for _, p := range Companions(r, mockrun.TypeBucketPolicy, bucketID) {
		stmts, err := iampolicy.Parse(p.Str("policy"))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		all = append(all, stmts...)
	}
	return all, nil
}

// IsLogTarget says whether the bucket with id bucketID is designated to receive server access logs: its policy
// lets the S3 logging service put objects. The controls accept such a bucket's SSE-S3 encryption (log delivery
// cannot use SSE-KMS) and that it does not log its own access; the cost model prices it as log storage.
func IsLogTarget(r *mockrun.Result, bucketID string) bool {
	if _, ok := r.ByID(mockrun.TypeBucket, bucketID); !ok {
		return false
	}
	stmts, err := Policy(r, bucketID)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(stmts, func(s iampolicy.Statement) bool {
		return s.Effect == "Allow" && slices.Equal(s.Principals, []string{"Service:logging.s3.amazonaws.com"}) &&
			slices.Contains(s.Actions, "s3:PutObject")
	})
}
