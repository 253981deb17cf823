package components

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const (
	// DefaultNoncurrentVersionDays keeps every overwritten state file 90 days: long enough to notice and roll
	// back a bad update, short enough that storage does not grow without bound.
	DefaultNoncurrentVersionDays = 90
	// DefaultNoncurrentVersionsToKeep keeps the 10 newest older versions of each state file however old they
	// are, so a stack that rarely changes always has history to restore.
	DefaultNoncurrentVersionsToKeep = 10
	// DefaultAccessLogDays keeps S3 server access logs of the state bucket a year (audit trail of who read or
	// wrote state).
	DefaultAccessLogDays = 365
	// MaxNoncurrentVersionsToKeep is the most S3 lifecycle's NewerNoncurrentVersions accepts.
	MaxNoncurrentVersionsToKeep = 100
	// AbortIncompleteUploadDays cleans up multipart uploads an interrupted `pulumi up` left behind.
	AbortIncompleteUploadDays = 7
)

// StateBackendArgs configures a StateBackend.
type StateBackendArgs struct {
	// BucketName is the state bucket. If empty, "<project>-state-<account>-<region>" (unique in practice). 3 to
	// 63 characters: lower-case letters, digits and hyphens, starting and ending with a letter or digit. Dots
	// are refused (they break TLS for virtual-hosted requests), as are underscores and upper case.
	BucketName string

	// LogBucketName receives the state bucket's server access logs. If empty, BucketName + "-logs". Same rules.
	LogBucketName string

	// LockTableName is the DynamoDB lock table for Terraform users of this backend older than 1.11 (newer ones lock
	// with S3 lock files, see TerraformBackendBlock). If empty, "<project>-state-lock". 3 to 255 characters: letters, digits, '_', '-' and '.'.
	LockTableName string

	// NoncurrentVersionDays is how long an overwritten or deleted state version is kept. If zero,
	// DefaultNoncurrentVersionDays (90). Must be positive.
	NoncurrentVersionDays int

	// NoncurrentVersionsToKeep is how many newest noncurrent versions survive expiry. If zero,
	// DefaultNoncurrentVersionsToKeep (10). 1 to 100 (S3's limit).
	NoncurrentVersionsToKeep int

	// AccessLogDays is how long access logs are kept. If zero, DefaultAccessLogDays (365). Must be positive.
	AccessLogDays int
}

var (
	bucketChars    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*[a-z0-9]$`)
	tableNameChars = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)
)

// bucketNameProblems lists what is wrong with an S3 bucket name under our rules (AWS's, minus dots).
func bucketNameProblems(name string) []string {
	var out []string
	if len(name) < 3 || len(name) > 63 {
		out = append(out, fmt.Sprintf("%q is %d characters; S3 allows 3 to 63", name, len(name)))
	}
	if strings.Contains(name, ".") {
		out = append(out, fmt.Sprintf("%q contains dots, which break TLS for virtual-hosted requests", name))
	}
	if strings.Contains(name, "_") {
		out = append(out, fmt.Sprintf("%q contains underscores, which S3 refuses", name))
	}
	if strings.ToLower(name) != name {
		out = append(out, fmt.Sprintf("%q contains upper-case letters, which S3 refuses", name))
	}
	if len(out) == 0 && !bucketChars.MatchString(name) {
		out = append(out, fmt.Sprintf("%q must be lower-case letters, digits and hyphens, starting and ending with a letter or digit", name))
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			out = append(out, fmt.Sprintf("%q starts with the reserved prefix %q", name, p))
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", "--x-s3"} {
		if strings.HasSuffix(name, s) {
			out = append(out, fmt.Sprintf("%q ends with the reserved suffix %q", name, s))
		}
	}
	return out
}

// Validate reports every problem with the arguments at once. Names left empty are derived and checked when the
// account and region are known, still before anything is registered.
func (a *StateBackendArgs) Validate() error {
	p := problems{component: "StateBackend"}
	a.validateNames(&p)
	if a.NoncurrentVersionDays < 0 {
		p.add("NoncurrentVersionDays", "%d must be positive (days)", a.NoncurrentVersionDays)
	}
	if a.NoncurrentVersionsToKeep < 0 || a.NoncurrentVersionsToKeep > MaxNoncurrentVersionsToKeep {
		p.add("NoncurrentVersionsToKeep", "%d is outside 1 to %d, what S3 lifecycle accepts",
			a.NoncurrentVersionsToKeep, MaxNoncurrentVersionsToKeep)
	}
	if a.AccessLogDays < 0 {
		p.add("AccessLogDays", "%d must be positive (days)", a.AccessLogDays)
	}
	return p.err()
}

func (a *StateBackendArgs) validateNames(p *problems) {
	if a.BucketName != "" {
		for _, msg := range bucketNameProblems(a.BucketName) {
			p.add("BucketName", "%s", msg)
		}
	}
	if a.LogBucketName != "" {
		for _, msg := range bucketNameProblems(a.LogBucketName) {
			p.add("LogBucketName", "%s", msg)
		}
	}
	if a.BucketName != "" && a.BucketName == a.LogBucketName {
		p.add("LogBucketName", "must differ from BucketName: a bucket must not log into itself")
	}
	if a.LockTableName != "" && !tableNameChars.MatchString(a.LockTableName) {
		p.add("LockTableName", "%q must be 3 to 255 letters, digits, '_', '-' or '.'", a.LockTableName)
	}
}

// withDefaults returns a copy with every empty field filled in for the account.
func (a StateBackendArgs) withDefaults(project string, acct account) StateBackendArgs {
	if a.BucketName == "" {
		a.BucketName = fmt.Sprintf("%s-state-%s-%s", project, acct.ID, acct.Region)
	}
	if a.LogBucketName == "" {
		a.LogBucketName = a.BucketName + "-logs"
	}
	if a.LockTableName == "" {
		a.LockTableName = project + "-state-lock"
	}
	a.NoncurrentVersionDays = orDefault(a.NoncurrentVersionDays, DefaultNoncurrentVersionDays)
	a.NoncurrentVersionsToKeep = orDefault(a.NoncurrentVersionsToKeep, DefaultNoncurrentVersionsToKeep)
	a.AccessLogDays = orDefault(a.AccessLogDays, DefaultAccessLogDays)
	return a
}

// StateBackend is the protected home of every other stack's state: a versioned, KMS-encrypted, never-public,
// TLS-only S3 bucket with access logging into a versioned log bucket, a DynamoDB lock table, and the KMS key
// that encrypts both and serves as the stacks' secrets provider.
//
// Pulumi's self-managed backend locks stacks with objects in the bucket (.pulumi/locks/) and does not use the
// DynamoDB table. Terraform projects sharing this backend lock with S3 lock files from Terraform 1.11 on; the
// table serves older Terraform versions.
type StateBackend struct {
	pulumi.ResourceState

	StateBucketName        pulumi.StringOutput `pulumi:"stateBucketName"`
	StateBucketArn         pulumi.StringOutput `pulumi:"stateBucketArn"`
	LogBucketName          pulumi.StringOutput `pulumi:"logBucketName"`
	LockTableName          pulumi.StringOutput `pulumi:"lockTableName"`
	KmsKeyArn              pulumi.StringOutput `pulumi:"kmsKeyArn"`
	KmsKeyAlias            pulumi.StringOutput `pulumi:"kmsKeyAlias"`
	BackendUrl             pulumi.StringOutput `pulumi:"backendUrl"`
	SecretsProvider        pulumi.StringOutput `pulumi:"secretsProvider"`
	TerraformBackendConfig pulumi.StringOutput `pulumi:"terraformBackendConfig"`
}

// StateBackendType is the StateBackend type token.
const StateBackendType = "aws-foundation:components:StateBackend"

// NewStateBackend validates args, looks up the account, then creates the key, buckets and lock table. Every
// child is protected and retained on delete: `pulumi destroy` cannot remove state, and removing the stack
// leaves the resources in place.
func NewStateBackend(ctx *pulumi.Context, name string, args *StateBackendArgs, opts ...pulumi.ResourceOption) (*StateBackend, error) {
	if args == nil {
		args = &StateBackendArgs{}
	}
	if err := args.Validate(); err != nil {
		return nil, fmt.Errorf("state backend %q: %w", name, err)
	}
	acct, err := lookupAccount(ctx)
	if err != nil {
		return nil, fmt.Errorf("state backend %q: %w", name, err)
	}
	a := args.withDefaults(ctx.Project(), acct)
	if err := a.Validate(); err != nil { // the derived names
		return nil, fmt.Errorf("state backend %q: derived names: %w", name, err)
	}

	c := &StateBackend{}
	if err := ctx.RegisterComponentResource(StateBackendType, name, c, opts...); err != nil {
		return nil, err
	}
	keep := []pulumi.ResourceOption{pulumi.Protect(true), pulumi.RetainOnDelete(true), pulumi.Parent(c)}
	wrap := func(step string, err error) error { return fmt.Errorf("state backend %q: %s: %w", name, step, err) }

	aliasName := fmt.Sprintf("alias/%s/%s", ctx.Project(), name)
	stateKeyPolicy, err := keyPolicy{rootAdminStatement(acct.rootArn())}.JSON()
	if err != nil {
		return nil, wrap("render key policy", err)
	}
	key, alias, err := newCustomerKey(ctx, name+"-key",
		"Encrypts Pulumi state, its access logs' source bucket, the lock table and stack secrets", aliasName,
		stateKeyPolicy, keep...)
	if err != nil {
		return nil, wrap("create kms key", err)
	}

	logBucket, err := newPrivateBucket(ctx, name+"-logs", a.LogBucketName, bucketEncryption{sse: "AES256"}, keep)
	if err != nil {
		return nil, wrap("create log bucket", err)
	}
	stateBucket, err := newPrivateBucket(ctx, name+"-bucket", a.BucketName,
		bucketEncryption{sse: "aws:kms", key: key.Arn}, keep)
	if err != nil {
		return nil, wrap("create state bucket", err)
	}

	logPrefix := a.BucketName + "/"
	if _, err := s3.NewBucketPolicy(ctx, name+"-logs", &s3.BucketPolicyArgs{
		Bucket: logBucket.bucket.ID(),
		Policy: pulumi.All(logBucket.bucket.Arn, stateBucket.bucket.Arn).ApplyT(func(v []any) (string, error) {
			return logBucketPolicy(v[0].(string), logPrefix, v[1].(string), acct.ID).JSON()
		}).(pulumi.StringOutput),
	}, append(keep, pulumi.DependsOn([]pulumi.Resource{logBucket.publicAccess}))...); err != nil {
		return nil, wrap("create log bucket policy", err)
	}
	// The log bucket is versioned too (FSBP S3.14): an overwritten or deleted log object stays recoverable for
	// the retention period. Its lifecycle expires logs after AccessLogDays, then expires the noncurrent versions
	// that leaves after AccessLogDays more, so nothing outlives twice the retention.
	logVersioning, err := s3.NewBucketVersioningV2(ctx, name+"-logs", &s3.BucketVersioningV2Args{
		Bucket:                  logBucket.bucket.ID(),
		VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
	}, keep...)
	if err != nil {
		return nil, wrap("enable log bucket versioning", err)
	}
	if _, err := s3.NewBucketLifecycleConfigurationV2(ctx, name+"-logs", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: logBucket.bucket.ID(),
		Rules: s3.BucketLifecycleConfigurationV2RuleArray{
			&s3.BucketLifecycleConfigurationV2RuleArgs{
				Id:         pulumi.String("expire-access-logs"),
				Status:     pulumi.String("Enabled"),
				Filter:     &s3.BucketLifecycleConfigurationV2RuleFilterArgs{},
				Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(a.AccessLogDays)},
				NoncurrentVersionExpiration: &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{
					NoncurrentDays: pulumi.Int(a.AccessLogDays),
				},
				AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{
					DaysAfterInitiation: pulumi.Int(AbortIncompleteUploadDays),
				},
			},
			expiredDeleteMarkersRule(),
		},
	}, append(keep, pulumi.DependsOn([]pulumi.Resource{logVersioning}))...); err != nil {
		return nil, wrap("create log bucket lifecycle", err)
	}

	if _, err := s3.NewBucketVersioningV2(ctx, name+"-bucket", &s3.BucketVersioningV2Args{
		Bucket:                  stateBucket.bucket.ID(),
		VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
	}, keep...); err != nil {
		return nil, wrap("enable versioning", err)
	}
	if _, err := s3.NewBucketPolicy(ctx, name+"-bucket", &s3.BucketPolicyArgs{
		Bucket: stateBucket.bucket.ID(),
		Policy: pulumi.All(stateBucket.bucket.Arn, key.Arn).ApplyT(func(v []any) (string, error) {
			return stateBucketPolicy(v[0].(string), v[1].(string)).JSON()
		}).(pulumi.StringOutput),
	}, append(keep, pulumi.DependsOn([]pulumi.Resource{stateBucket.publicAccess}))...); err != nil {
		return nil, wrap("create state bucket policy", err)
	}
	if _, err := s3.NewBucketLifecycleConfigurationV2(ctx, name+"-bucket", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: stateBucket.bucket.ID(),
		Rules: s3.BucketLifecycleConfigurationV2RuleArray{
			&s3.BucketLifecycleConfigurationV2RuleArgs{
				Id:     pulumi.String("expire-old-state-versions"),
				Status: pulumi.String("Enabled"),
				Filter: &s3.BucketLifecycleConfigurationV2RuleFilterArgs{},
				NoncurrentVersionExpiration: &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{
					NoncurrentDays:          pulumi.Int(a.NoncurrentVersionDays),
					NewerNoncurrentVersions: pulumi.Int(a.NoncurrentVersionsToKeep),
				},
				AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{
					DaysAfterInitiation: pulumi.Int(AbortIncompleteUploadDays),
				},
			},
			expiredDeleteMarkersRule(),
		},
	}, keep...); err != nil {
		return nil, wrap("create state bucket lifecycle", err)
	}
	if _, err := s3.NewBucketLoggingV2(ctx, name+"-bucket", &s3.BucketLoggingV2Args{
		Bucket:       stateBucket.bucket.ID(),
		TargetBucket: logBucket.bucket.ID(),
		TargetPrefix: pulumi.String(logPrefix),
	}, keep...); err != nil {
		return nil, wrap("enable access logging", err)
	}

	// On demand: a lock table sees a handful of requests per `terraform apply`; a lock and an unlock cost a few
	// millionths of a dollar, so even a thousand applies a month stay under one cent. Provisioned 5 RCU + 5 WCU
	// would list at about $2.85/month in us-east-1, but DynamoDB's always-free tier covers 25 RCU and 25 WCU of
	// provisioned capacity per account, so it would usually cost $0 too. On demand is chosen because
	// there is no capacity to size, no request is throttled for want of provisioned capacity, and the free tier
	// may already be used up by other tables in the account.
	table, err := dynamodb.NewTable(ctx, name+"-lock", &dynamodb.TableArgs{
		Name:        pulumi.String(a.LockTableName),
		BillingMode: pulumi.String("PAY_PER_REQUEST"),
		HashKey:     pulumi.String("LockID"),
		Attributes: dynamodb.TableAttributeArray{
			&dynamodb.TableAttributeArgs{Name: pulumi.String("LockID"), Type: pulumi.String("S")},
		},
		PointInTimeRecovery:       &dynamodb.TablePointInTimeRecoveryArgs{Enabled: pulumi.Bool(true)},
		ServerSideEncryption:      &dynamodb.TableServerSideEncryptionArgs{Enabled: pulumi.Bool(true), KmsKeyArn: key.Arn},
		DeletionProtectionEnabled: pulumi.Bool(true),
		Tags:                      nameTags(name + "-lock"),
	}, keep...)
	if err != nil {
		return nil, wrap("create lock table", err)
	}

	region := acct.Region
	c.StateBucketName = stateBucket.bucket.Bucket
	c.StateBucketArn = stateBucket.bucket.Arn
	c.LogBucketName = logBucket.bucket.Bucket
	c.LockTableName = table.Name
	c.KmsKeyArn = key.Arn
	c.KmsKeyAlias = alias.Name
	c.BackendUrl = pulumi.Sprintf("s3://%s?region=%s&awssdk=v2", stateBucket.bucket.Bucket, region)
	c.SecretsProvider = pulumi.Sprintf("awskms://%s?region=%s", alias.Name, region)
	c.TerraformBackendConfig = pulumi.All(stateBucket.bucket.Bucket, key.Arn, table.Name).ApplyT(func(v []any) string {
		return TerraformBackendBlock(v[0].(string), region, v[1].(string), v[2].(string))
	}).(pulumi.StringOutput)
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"stateBucketName":        c.StateBucketName,
		"stateBucketArn":         c.StateBucketArn,
		"logBucketName":          c.LogBucketName,
		"lockTableName":          c.LockTableName,
		"kmsKeyArn":              c.KmsKeyArn,
		"kmsKeyAlias":            c.KmsKeyAlias,
		"backendUrl":             c.BackendUrl,
		"secretsProvider":        c.SecretsProvider,
		"terraformBackendConfig": c.TerraformBackendConfig,
	})
}

// bucketEncryption is a bucket's default encryption: "aws:kms" with a key, or "AES256" (SSE-S3).
type bucketEncryption struct {
	sse string
	key pulumi.StringOutput
}

// privateBucket is a bucket with its public access block.
type privateBucket struct {
	bucket       *s3.BucketV2
	publicAccess *s3.BucketPublicAccessBlock
}

// newPrivateBucket creates a bucket that can never be public, is owned by the bucket owner only (ACLs off), and
// encrypts by default. forceDestroy stays false: a bucket with objects is never deleted by Pulumi.
func newPrivateBucket(ctx *pulumi.Context, name, bucketName string, enc bucketEncryption,
	opts []pulumi.ResourceOption) (*privateBucket, error) {
	b, err := s3.NewBucketV2(ctx, name, &s3.BucketV2Args{
		Bucket:       pulumi.String(bucketName),
		ForceDestroy: pulumi.Bool(false),
		Tags:         nameTags(name),
	}, opts...)
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
		SseAlgorithm: pulumi.String(enc.sse),
	}
	if enc.sse == "aws:kms" {
		byDefault.KmsMasterKeyId = enc.key
	}
	if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name, &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: b.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{
			&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
				ApplyServerSideEncryptionByDefault: byDefault,
				BucketKeyEnabled:                   pulumi.Bool(enc.sse == "aws:kms"),
			},
		},
	}, opts...); err != nil {
		return nil, err
	}
	return &privateBucket{bucket: b, publicAccess: pab}, nil
}

// denyInsecureTransport refuses any request to the bucket or its objects without TLS, or with TLS older than 1.2.
func denyInsecureTransport(bucketArn string) []resourceStatement {
	both := resource(bucketArn, bucketArn+"/*")
	return []resourceStatement{
		{Sid: "DenyInsecureTransport", Effect: deny, Principal: anyPrincipal(), Action: action("s3:*"),
			Resource: both, Condition: Conditions{"Bool": {"aws:SecureTransport": "false"}}},
		{Sid: "DenyOutdatedTls", Effect: deny, Principal: anyPrincipal(), Action: action("s3:*"),
			Resource: both, Condition: Conditions{"NumericLessThan": {"s3:TlsVersion": "1.2"}}},
	}
}

// stateBucketPolicy is TLS only, and lets an object be written only with this key. Uploads that send no
// encryption header (the Pulumi backend sends none) get the bucket default, this key; every upload that asks for
// something else is refused: another algorithm (SSE-S3, DSSE), another key, aws:kms without a key id (S3 would
// use the AWS-managed aws/s3 key, not ours) and a customer-provided key (SSE-C, whose key AWS never keeps: an
// attacker's way to hold state for ransom).
func stateBucketPolicy(bucketArn, keyArn string) resourcePolicy {
	objects := resource(bucketArn + "/*")
	put := action("s3:PutObject")
	return append(denyInsecureTransport(bucketArn),
		resourceStatement{Sid: "DenyOtherEncryption", Effect: deny, Principal: anyPrincipal(), Action: put,
			Resource: objects,
			Condition: Conditions{
				"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
				"Null":            {"s3:x-amz-server-side-encryption": "false"},
			}},
		resourceStatement{Sid: "DenyOtherKmsKey", Effect: deny, Principal: anyPrincipal(), Action: put,
			Resource: objects,
			Condition: Conditions{
				"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": keyArn},
				"Null":            {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"},
			}},
		resourceStatement{Sid: "DenyKmsWithoutThisKeyId", Effect: deny, Principal: anyPrincipal(), Action: put,
			Resource: objects,
			Condition: Conditions{"Null": {
				"s3:x-amz-server-side-encryption":                "false",
				"s3:x-amz-server-side-encryption-aws-kms-key-id": "true",
			}}},
		resourceStatement{Sid: "DenyCustomerProvidedKeys", Effect: deny, Principal: anyPrincipal(), Action: put,
			Resource:  objects,
			Condition: Conditions{"Null": {"s3:x-amz-server-side-encryption-customer-algorithm": "false"}}},
	)
}

// logBucketPolicy is TLS only, and lets the S3 logging service write under prefix, only for the state bucket
// of this account.
func logBucketPolicy(logBucketArn, prefix, sourceBucketArn, accountID string) resourcePolicy {
	return append(denyInsecureTransport(logBucketArn),
		resourceStatement{Sid: "S3ServerAccessLogsFromStateBucket", Effect: allow,
			Principal: servicePrincipal("logging.s3.amazonaws.com"),
			Action:    action("s3:PutObject"), Resource: resource(logBucketArn + "/" + prefix + "*"),
			Condition: Conditions{
				"ArnLike":      {"aws:SourceArn": sourceBucketArn},
				"StringEquals": {"aws:SourceAccount": accountID},
			}},
	)
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

// TerraformBackendBlock is a ready Terraform/OpenTofu backend block for this backend. Each project sets its own
// key. It locks with S3-native lock files (use_lockfile, Terraform 1.11 and later, where DynamoDB locking is
// deprecated; OpenTofu's S3 backend has the same argument); the DynamoDB table stays for Terraform before 1.11,
// named in a comment line to swap in.
func TerraformBackendBlock(bucket, region, keyArn, table string) string {
	return fmt.Sprintf(`terraform {
  backend "s3" {
    bucket       = %q
    key          = "<project>/terraform.tfstate" # one key per Terraform project
    region       = %q
    encrypt      = true
    kms_key_id   = %q
    use_lockfile = true # S3-native locking, Terraform >= 1.11
    # Terraform before 1.11: replace use_lockfile with dynamodb_table = %q
  }
}
`, bucket, region, keyArn, table)
}
