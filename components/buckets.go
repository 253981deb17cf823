package components

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// privateBucketSpec is what differs between the StateBackend's and the LogArchive's buckets; everything else is
// the same.
type privateBucketSpec struct {
	bucketName string
	sse        string              // "aws:kms" (with kmsKeyArn) or "AES256" (SSE-S3)
	kmsKeyArn  pulumi.StringOutput // with sse "aws:kms"
	// policy renders the bucket policy from the bucket's ARN. If nil, newPrivateBucket sets no policy and the
	// caller sets it with lastBucketPolicy, after whatever the policy must not block.
	policy    func(bucketArn pulumi.StringOutput) pulumi.StringOutput
	lifecycle s3.BucketLifecycleConfigurationV2RuleArray
	// transitionMinSize sets the lifecycle's TransitionDefaultMinimumObjectSize when not empty (left unset, S3
	// applies its own default, which has changed over time).
	transitionMinSize string
	// objectLock creates the bucket with Object Lock enabled. It is only ever set at creation: the provider
	// treats a change of objectLockEnabled as a replacement of the bucket.
	objectLock bool
	tags       pulumi.StringMap
}

// privateBucket is a bucket with the companions other resources wait for.
type privateBucket struct {
	bucket       *s3.BucketV2
	publicAccess *s3.BucketPublicAccessBlock
	versioning   *s3.BucketVersioningV2
	lifecycle    *s3.BucketLifecycleConfigurationV2
}

// newPrivateBucket creates a bucket that can never be public (all four public-access-block flags), is owned by
// the bucket owner only (ACLs off), encrypts by default, keeps every version, carries its policy (after the
// public access block, so a policy is never briefly public) and its lifecycle (after versioning, whose noncurrent
// versions it expires). Every companion is named like the bucket. forceDestroy stays false: a bucket with objects
// is never deleted by Pulumi.
func newPrivateBucket(ctx *pulumi.Context, name string, spec privateBucketSpec, opts []pulumi.ResourceOption) (*privateBucket, error) {
	bucketArgs := &s3.BucketV2Args{
		Bucket:       pulumi.String(spec.bucketName),
		ForceDestroy: pulumi.Bool(false),
		Tags:         spec.tags,
	}
	if spec.objectLock {
		bucketArgs.ObjectLockEnabled = pulumi.Bool(true)
	}
	b, err := s3.NewBucketV2(ctx, name, bucketArgs, opts...)
	if err != nil {
		return nil, err
	}
	pab, err := s3.NewBucketPublicAccessBlock(ctx, name, &s3.BucketPublicAccessBlockArgs{
		Bucket:                b.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, opts...)
	if err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketOwnershipControls(ctx, name, &s3.BucketOwnershipControlsArgs{
		Bucket: b.ID(),
		Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, opts...); err != nil {
		return nil, err
	}
	byDefault := &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
		SseAlgorithm: pulumi.String(spec.sse),
	}
	if spec.sse == "aws:kms" {
		byDefault.KmsMasterKeyId = spec.kmsKeyArn
	}
	if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name, &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: b.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{
			&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
				ApplyServerSideEncryptionByDefault: byDefault,
				BucketKeyEnabled:                   pulumi.Bool(spec.sse == "aws:kms"),
			},
		},
	}, opts...); err != nil {
		return nil, err
	}
	if spec.policy != nil {
		if _, err := s3.NewBucketPolicy(ctx, name, &s3.BucketPolicyArgs{
			Bucket: b.ID(),
			Policy: spec.policy(b.Arn),
		}, append(opts, pulumi.DependsOn([]pulumi.Resource{pab}))...); err != nil {
			return nil, err
		}
	}
	versioning, err := s3.NewBucketVersioningV2(ctx, name, &s3.BucketVersioningV2Args{
		Bucket:                  b.ID(),
		VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
	}, opts...)
	if err != nil {
		return nil, err
	}
	lifecycleArgs := &s3.BucketLifecycleConfigurationV2Args{
		Bucket: b.ID(),
		Rules:  spec.lifecycle,
	}
	if spec.transitionMinSize != "" {
		lifecycleArgs.TransitionDefaultMinimumObjectSize = pulumi.String(spec.transitionMinSize)
	}
	lifecycle, err := s3.NewBucketLifecycleConfigurationV2(ctx, name, lifecycleArgs,
		append(opts, pulumi.DependsOn([]pulumi.Resource{versioning}))...)
	if err != nil {
		return nil, err
	}
	return &privateBucket{bucket: b, publicAccess: pab, versioning: versioning, lifecycle: lifecycle}, nil
}

// lastBucketPolicy sets a bucket's policy after the public access block and after every resource in after: a
// policy that denies changes to the bucket's configuration (lifecycle, versioning, replication, Object Lock) to
// all but one principal must come last, or the first deploy would be refused its own configuration.
func lastBucketPolicy(ctx *pulumi.Context, name string, b *privateBucket, policy pulumi.StringOutput,
	after []pulumi.Resource, opts []pulumi.ResourceOption) (*s3.BucketPolicy, error) {
	deps := append([]pulumi.Resource{b.publicAccess, b.versioning, b.lifecycle}, after...)
	return s3.NewBucketPolicy(ctx, name, &s3.BucketPolicyArgs{
		Bucket: b.bucket.ID(),
		Policy: policy,
	}, append(opts, pulumi.DependsOn(deps))...)
}

// abortIncompleteUploads cleans up multipart uploads an interrupted `pulumi up` left behind.
func abortIncompleteUploads() *s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs {
	return &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{
		DaysAfterInitiation: pulumi.Int(AbortIncompleteUploadDays),
	}
}

// expiredDeleteMarkersRule removes delete markers that no longer hide any version, once lifecycle has expired
// every version behind them (a rule with Expiration days cannot also set ExpiredObjectDeleteMarker).
func expiredDeleteMarkersRule() *s3.BucketLifecycleConfigurationV2RuleArgs {
	return &s3.BucketLifecycleConfigurationV2RuleArgs{
		Id:         pulumi.String("remove-expired-delete-markers"),
		Status:     pulumi.String("Enabled"),
		Filter:     &s3.BucketLifecycleConfigurationV2RuleFilterArgs{},
		Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{ExpiredObjectDeleteMarker: pulumi.Bool(true)},
	}
}
