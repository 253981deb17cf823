package components

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
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
	// with S3 lock files: the terraformBackendConfig output). If empty, "<project>-state-lock". 3 to 255 characters: letters, digits, '_', '-' and '.'.
	LockTableName string

	// NoncurrentVersionDays is how long an overwritten or deleted state version is kept. If zero,
	// DefaultNoncurrentVersionDays (90). Must be positive.
	NoncurrentVersionDays int

	// NoncurrentVersionsToKeep is how many newest noncurrent versions survive expiry. If zero,
	// DefaultNoncurrentVersionsToKeep (10). 1 to 100 (S3's limit).
	NoncurrentVersionsToKeep int

	// AccessLogDays is how long access logs are kept. If zero, DefaultAccessLogDays (365). Must be positive.
	AccessLogDays int

	// Tags are added to every child resource, under each child's own Name tag. Keys must not start with "aws:" or
	// be Name or Tier; at most 40. If empty, children carry only their Name plus the provider's default tags.
	Tags map[string]string
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
	checkTags(&p, a.Tags)
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

// preflight reports what only the account reveals: a name derived from it that S3 or DynamoDB would refuse.
func (a *StateBackendArgs) preflight(project string, acct account) error {
	derived := a.withDefaults(project, acct)
	return derived.Validate()
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

	StateBucketName        pulumi.StringOutput `pulumi:"stateBucketName" doc:"the state bucket, e.g. aws-foundation-state-123456789012-us-east-1"`
	StateBucketArn         pulumi.StringOutput `pulumi:"stateBucketArn" doc:"its ARN"`
	LogBucketName          pulumi.StringOutput `pulumi:"logBucketName" doc:"the access-log bucket, e.g. aws-foundation-state-123456789012-us-east-1-logs"`
	LockTableName          pulumi.StringOutput `pulumi:"lockTableName" doc:"the DynamoDB lock table for Terraform/OpenTofu, e.g. aws-foundation-state-lock"`
	KmsKeyArn              pulumi.StringOutput `pulumi:"kmsKeyArn" doc:"the state key"`
	KmsKeyAlias            pulumi.StringOutput `pulumi:"kmsKeyAlias" doc:"its alias, e.g. alias/aws-foundation/state"`
	BackendUrl             pulumi.StringOutput `pulumi:"backendUrl" doc:"what every other stack logs in to: s3://<bucket>?region=<region>&awssdk=v2"`
	SecretsProvider        pulumi.StringOutput `pulumi:"secretsProvider" doc:"every other stack's secrets provider: awskms://<alias>?region=<region>"`
	TerraformBackendConfig pulumi.StringOutput `pulumi:"terraformBackendConfig" doc:"a Terraform/OpenTofu backend block for this backend (use_lockfile = true; the lock table named for Terraform before 1.11)"`
}

// StateBackendType is the StateBackend type token.
const StateBackendType = "aws-foundation:components:StateBackend"

// NewStateBackend validates args, registers the component, looks up the account through the component's
// provider, then creates the key, the two buckets and the lock table. Every child is protected and retained on
// delete: `pulumi destroy` cannot remove state, and removing the stack leaves the resources in place.
func NewStateBackend(ctx *pulumi.Context, name string, args *StateBackendArgs, opts ...pulumi.ResourceOption) (*StateBackend, error) {
	if args == nil {
		args = &StateBackendArgs{}
	}
	if err := args.Validate(); err != nil {
		return nil, fmt.Errorf("state backend %q: %w", name, err)
	}
	c := &StateBackend{}
	if err := ctx.RegisterComponentResource(StateBackendType, name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	fail := func(what string, err error) (*StateBackend, error) {
		return nil, failed("state backend", name, what, err)
	}
	acct, err := lookupAccount(ctx, parent)
	if err != nil {
		return fail("look up account", err)
	}
	a := args.withDefaults(ctx.Project(), acct)
	if err := a.Validate(); err != nil { // a derived name can still be too long: before any child
		return fail("look up account", fmt.Errorf("derived names: %w", err))
	}
	s := scope{ctx: ctx, name: name, tags: a.Tags, parent: parent}
	// State is never deleted by Pulumi: protected, and retained if the protection is lifted.
	keep := []pulumi.ResourceOption{pulumi.Protect(true), pulumi.RetainOnDelete(true), parent}

	key, alias, err := stateKey(s, acct, keep)
	if err != nil {
		return fail("create kms key", err)
	}
	logs, err := logBucket(s, acct, a, keep)
	if err != nil {
		return fail("create log bucket", err)
	}
	state, err := stateBucket(s, key, logs, a, keep)
	if err != nil {
		return fail("create state bucket", err)
	}
	table, err := lockTable(s, key, a.LockTableName, keep)
	if err != nil {
		return fail("create lock table", err)
	}

	region, bucket := acct.Region, state.bucket
	c.StateBucketName, c.StateBucketArn = bucket.Bucket, bucket.Arn
	c.LogBucketName = logs.bucket.Bucket
	c.LockTableName = table.Name
	c.KmsKeyArn, c.KmsKeyAlias = key.Arn, alias.Name
	c.BackendUrl = pulumi.Sprintf("s3://%s?region=%s&awssdk=v2", bucket.Bucket, region)
	c.SecretsProvider = pulumi.Sprintf("awskms://%s?region=%s", alias.Name, region)
	c.TerraformBackendConfig = pulumi.All(bucket.Bucket, key.Arn, table.Name).ApplyT(func(v []any) string {
		return terraformBackendBlock(v[0].(string), region, v[1].(string), v[2].(string))
	}).(pulumi.StringOutput)
	return c, ctx.RegisterResourceOutputs(c, outputsOf(c))
}

// Outputs returns the StateBackend's outputs by name, as registered and as the bootstrap stack exports them.
func (c *StateBackend) Outputs() pulumi.Map { return outputsOf(c) }

// stateKey creates the key that encrypts state, the lock table and stack secrets. Its policy makes the account the
// administrator: who may use it is decided by IAM policies in the account (docs/iam). A person with administrator
// rights creates it (the bootstrap stack), so it passes KMS's lockout check without bypassing it.
func stateKey(s scope, acct account, keep []pulumi.ResourceOption) (*kms.Key, *kms.Alias, error) {
	return newCustomerKey(s.ctx, s.name+"-key", customerKey{
		description: "Encrypts Pulumi state, its access logs' source bucket, the lock table and stack secrets",
		alias:       fmt.Sprintf("alias/%s/%s", s.ctx.Project(), s.name),
		rootArn:     acct.rootArn(),
		tags:        s.childTags(s.name + "-key"),
	}, keep...)
}

// logPrefix is where the state bucket's access logs land in the log bucket.
func logPrefix(a StateBackendArgs) string { return a.BucketName + "/" }

// logBucket creates the bucket that receives the state bucket's server access logs. SSE-S3, because S3 cannot
// deliver access logs to a bucket encrypted with SSE-KMS. Versioned (FSBP S3.14): an overwritten or deleted log
// object stays recoverable; lifecycle expires logs after AccessLogDays, then the noncurrent versions that leaves
// after AccessLogDays more, so nothing outlives twice the retention.
func logBucket(s scope, acct account, a StateBackendArgs, keep []pulumi.ResourceOption) (*privateBucket, error) {
	stateArn := acct.arn("s3", "", "", a.BucketName) // a bucket ARN is its name: known before it exists
	return newPrivateBucket(s.ctx, s.name+"-logs", privateBucketSpec{
		bucketName: a.LogBucketName,
		sse:        "AES256",
		policy: func(arn pulumi.StringOutput) pulumi.StringOutput {
			return arn.ApplyT(func(arn string) (string, error) {
				return logBucketPolicy(arn, logPrefix(a), stateArn, acct.ID).JSON()
			}).(pulumi.StringOutput)
		},
		lifecycle: s3.BucketLifecycleConfigurationV2RuleArray{
			&s3.BucketLifecycleConfigurationV2RuleArgs{
				Id:         pulumi.String("expire-access-logs"),
				Status:     pulumi.String("Enabled"),
				Filter:     &s3.BucketLifecycleConfigurationV2RuleFilterArgs{},
				Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(a.AccessLogDays)},
				NoncurrentVersionExpiration: &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{
					NoncurrentDays: pulumi.Int(a.AccessLogDays),
				},
				AbortIncompleteMultipartUpload: abortIncompleteUploads(),
			},
			expiredDeleteMarkersRule(),
		},
		tags: s.childTags(s.name + "-logs"),
	}, keep)
}

// stateBucket creates the state bucket: KMS-encrypted with the key by default, TLS only, writes with any other
// encryption refused, overwritten state kept NoncurrentVersionDays (and the NoncurrentVersionsToKeep newest
// versions whatever their age), access logged to the log bucket.
func stateBucket(s scope, key *kms.Key, logs *privateBucket, a StateBackendArgs, keep []pulumi.ResourceOption) (*privateBucket, error) {
	state, err := newPrivateBucket(s.ctx, s.name+"-bucket", privateBucketSpec{
		bucketName: a.BucketName,
		sse:        "aws:kms",
		kmsKeyArn:  key.Arn,
		policy: func(arn pulumi.StringOutput) pulumi.StringOutput {
			return pulumi.All(arn, key.Arn).ApplyT(func(v []any) (string, error) {
				return stateBucketPolicy(v[0].(string), v[1].(string)).JSON()
			}).(pulumi.StringOutput)
		},
		lifecycle: s3.BucketLifecycleConfigurationV2RuleArray{
			&s3.BucketLifecycleConfigurationV2RuleArgs{
				Id:     pulumi.String("expire-old-state-versions"),
				Status: pulumi.String("Enabled"),
				Filter: &s3.BucketLifecycleConfigurationV2RuleFilterArgs{},
				NoncurrentVersionExpiration: &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{
					NoncurrentDays:          pulumi.Int(a.NoncurrentVersionDays),
					NewerNoncurrentVersions: pulumi.Int(a.NoncurrentVersionsToKeep),
				},
				AbortIncompleteMultipartUpload: abortIncompleteUploads(),
			},
			expiredDeleteMarkersRule(),
			// Every update writes a lock object under a key of its own and deletes it: the rule above would keep
			// that single noncurrent version (and its delete marker) forever, since no newer version ever comes.
			&s3.BucketLifecycleConfigurationV2RuleArgs{
				Id:     pulumi.String("expire-released-locks"),
				Status: pulumi.String("Enabled"),
				Filter: &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String(".pulumi/locks/")},
				NoncurrentVersionExpiration: &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{
					NoncurrentDays: pulumi.Int(1),
				},
			},
		},
		tags: s.childTags(s.name + "-bucket"),
	}, keep)
	if err != nil {
		return nil, err
	}
	_, err = s3.NewBucketLoggingV2(s.ctx, s.name+"-bucket", &s3.BucketLoggingV2Args{
		Bucket:       state.bucket.ID(),
		TargetBucket: logs.bucket.ID(),
		TargetPrefix: pulumi.String(logPrefix(a)),
	}, keep...)
	return state, err
}

// lockTable creates the DynamoDB lock table for Terraform/OpenTofu users before 1.11.
//
// On demand: a lock table sees a handful of requests per `terraform apply`; a lock and an unlock cost a few
// millionths of a dollar, so even a thousand applies a month stay under one cent. Provisioned 5 RCU + 5 WCU
// would list at about $2.85/month in us-east-1, but DynamoDB's always-free tier covers 25 RCU and 25 WCU of
// provisioned capacity per account, so it would usually cost $0 too. On demand is chosen because there is no
// capacity to size, no request is throttled for want of provisioned capacity, and the free tier may already be
// used up by other tables in the account.
func lockTable(s scope, key *kms.Key, tableName string, keep []pulumi.ResourceOption) (*dynamodb.Table, error) {
	return dynamodb.NewTable(s.ctx, s.name+"-lock", &dynamodb.TableArgs{
		Name:        pulumi.String(tableName),
		BillingMode: pulumi.String("PAY_PER_REQUEST"),
		HashKey:     pulumi.String("LockID"),
		Attributes: dynamodb.TableAttributeArray{
			&dynamodb.TableAttributeArgs{Name: pulumi.String("LockID"), Type: pulumi.String("S")},
		},
		PointInTimeRecovery:       &dynamodb.TablePointInTimeRecoveryArgs{Enabled: pulumi.Bool(true)},
		ServerSideEncryption:      &dynamodb.TableServerSideEncryptionArgs{Enabled: pulumi.Bool(true), KmsKeyArn: key.Arn},
		DeletionProtectionEnabled: pulumi.Bool(true),
		Tags:                      s.childTags(s.name + "-lock"),
	}, keep...)
}

// denyInsecureTransport refuses any request to the bucket or its objects without TLS, or with TLS older than 1.2.
func denyInsecureTransport(bucketArn string) []resourceStatement {
	both := resource(bucketArn, bucketArn+"/*")
	return []resourceStatement{
		{Sid: "DenyInsecureTransport", Effect: deny, Principal: anyPrincipal(), Action: action("s3:*"),
			Resource: both, Condition: conditions{"Bool": {"aws:SecureTransport": "false"}}},
		{Sid: "DenyOutdatedTls", Effect: deny, Principal: anyPrincipal(), Action: action("s3:*"),
			Resource: both, Condition: conditions{"NumericLessThan": {"s3:TlsVersion": "1.2"}}},
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
			Condition: conditions{
				"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
				"Null":            {"s3:x-amz-server-side-encryption": "false"},
			}},
		resourceStatement{Sid: "DenyOtherKmsKey", Effect: deny, Principal: anyPrincipal(), Action: put,
			Resource: objects,
			Condition: conditions{
				"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": keyArn},
				"Null":            {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"},
			}},
		resourceStatement{Sid: "DenyKmsWithoutThisKeyId", Effect: deny, Principal: anyPrincipal(), Action: put,
			Resource: objects,
			Condition: conditions{"Null": {
				"s3:x-amz-server-side-encryption":                "false",
				"s3:x-amz-server-side-encryption-aws-kms-key-id": "true",
			}}},
		resourceStatement{Sid: "DenyCustomerProvidedKeys", Effect: deny, Principal: anyPrincipal(), Action: put,
			Resource:  objects,
			Condition: conditions{"Null": {"s3:x-amz-server-side-encryption-customer-algorithm": "false"}}},
	)
}

// logBucketPolicy is TLS only, and lets the S3 logging service write under prefix, only for the state bucket
// of this account.
func logBucketPolicy(logBucketArn, prefix, sourceBucketArn, accountID string) resourcePolicy {
	return append(denyInsecureTransport(logBucketArn),
		resourceStatement{Sid: "S3ServerAccessLogsFromStateBucket", Effect: allow,
			Principal: servicePrincipal("logging.s3.amazonaws.com"),
			Action:    action("s3:PutObject"), Resource: resource(logBucketArn + "/" + prefix + "*"),
			Condition: conditions{
				"ArnLike":      {"aws:SourceArn": sourceBucketArn},
				"StringEquals": {"aws:SourceAccount": accountID},
			}},
	)
}

// terraformBackendBlock is a ready Terraform/OpenTofu backend block for this backend. Each project sets its own
// key. It locks with S3-native lock files (use_lockfile, Terraform 1.11 and later, where DynamoDB locking is
// deprecated; OpenTofu's S3 backend has the same argument); the DynamoDB table stays for Terraform before 1.11,
// named in a comment line to swap in.
func terraformBackendBlock(bucket, region, keyArn, table string) string {
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
