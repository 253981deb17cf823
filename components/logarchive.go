package components

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const (
	// DefaultArchiveRetentionDays keeps archived logs six years (2192 days, leap days included): FINRA 4511's
	// six years, the longest record period SEC 17a-4 sets for broker-dealer records.
	DefaultArchiveRetentionDays = 2192
	// MinArchiveRetentionDays is the shortest retention the archive accepts: a year, what PCI DSS 10.5.1 asks of
	// audit logs. Shorter retention belongs in the CloudWatch log group, not in a WORM archive.
	MinArchiveRetentionDays = 365
	// MaxArchiveRetentionDays is the longest default retention S3 Object Lock accepts (100 years).
	MaxArchiveRetentionDays = 36500
	// DefaultColdStorageAfterDays moves archived logs to S3 Glacier Deep Archive after 90 days: recent logs stay
	// readable at once for incident response, older ones need a restore of up to 12 hours (48 in bulk).
	DefaultColdStorageAfterDays = 90
	// InboxExpirationDays is how long a delivered log stays in the inbox bucket. Replication copies an object
	// within minutes (asynchronously, without a time guarantee unless Replication Time Control is bought); a
	// week leaves time to notice and fix failed replication (the OperationsFailedReplication metric) before the
	// only copy expires, and keeps the mutable, unlocked copy short-lived.
	InboxExpirationDays = 7
	// ArchiveTransitionMinimumObjectSize is the lifecycle's TransitionDefaultMinimumObjectSize on the vault:
	// all_storage_classes_128K keeps objects under 128 KB in S3 Standard. Flow logs arrive as 5-minute files,
	// often tiny; Deep Archive adds 40 KB of billed metadata and a per-object transition request to each object,
	// which for a small object costs more than the cheaper storage saves. Set explicitly because S3's default
	// for new lifecycle configurations changed in 2024 and may change again.
	ArchiveTransitionMinimumObjectSize = "all_storage_classes_128K"
	// ArchiveColdStorageClass is where archived logs go after ColdStorageAfterDays: S3 Glacier Deep Archive,
	// the cheapest class (about $0.00099/GB-month in us-east-1 against about $0.0036 for Glacier Flexible Retrieval
	// and $0.004 for Glacier Instant Retrieval: third-party transcriptions of AWS's pricing page, NOT CONFIRMED
	// from the live page; see docs/design/log-archive-research.md section 6). Its 180-day minimum duration does
	// not bite at a retention of a year or more, and archived flow logs are read rarely, by an audit that can
	// wait 12 hours for a restore. Object Lock survives the transition.
	ArchiveColdStorageClass = "DEEP_ARCHIVE"
)

// LogArchiveArgs configures a LogArchive.
type LogArchiveArgs struct {
	// VaultBucketName is the Object Lock bucket that keeps the logs. If empty,
	// "<project>-log-archive-<account>-<region>". 3 to 63 characters: lower-case letters, digits and hyphens,
	// starting and ending with a letter or digit; no dots.
	VaultBucketName string

	// InboxBucketName is the bucket log delivery writes to, replicated into the vault. If empty,
	// "<project>-log-inbox-<account>-<region>". Same rules; must differ from VaultBucketName.
	InboxBucketName string

	// SourceAccountIds are the 12-digit accounts whose log deliveries may write to the archive (their flow logs'
	// owners). If empty and SourceOrgId is empty too, the archive's own account only (the single-account setup).
	SourceAccountIds []string

	// SourceOrgId lets log deliveries of any account of this AWS Organization write to the archive
	// (o- followed by 10 to 32 lower-case letters or digits). If empty, only SourceAccountIds. Whether the
	// delivery service presents aws:SourceOrgID is NOT CONFIRMED by its documentation: prove it in a test account.
	SourceOrgId string

	// RetentionDays is the vault's default Object Lock retention, in days. If zero, DefaultArchiveRetentionDays
	// (2192, six years). 365 to 36500. In COMPLIANCE mode nobody, the root user included, can shorten it for
	// an object already written: it is a storage-cost commitment.
	RetentionDays int

	// GovernanceModeForTestAccountsOnly sets the default retention mode to GOVERNANCE, which a principal with
	// s3:BypassGovernanceRetention can lift. If false (the default), COMPLIANCE: no one can delete a locked
	// version before its date. Only for accounts whose archive must be disposable.
	GovernanceModeForTestAccountsOnly bool

	// BreakGlassPrincipalArn is the one IAM role that may change the archive's policies, lifecycle, replication,
	// versioning and Object Lock configuration. Required: an IAM role ARN of the archive's account, without
	// wildcards (arn:aws:iam::<account>:role/<name>).
	BreakGlassPrincipalArn string

	// ColdStorageAfterDays moves archived logs (current and noncurrent versions) to ArchiveColdStorageClass after
	// this many days. If zero, DefaultColdStorageAfterDays (90). Must be less than RetentionDays.
	ColdStorageAfterDays int

	// AlertEmails are subscribed to the archive's alerts topic (each address confirms AWS's email first). If empty,
	// none: subscribe a pager or chat endpoint to the alertsTopicArn output instead.
	AlertEmails []string

	// GlobalEventsProvider is an AWS provider of the archive's account in GlobalEventsRegion (us-east-1), where IAM
	// delivers its events. Required when the archive is in another region; the logArchive stack creates it.
	GlobalEventsProvider pulumi.ProviderResource

	// Tags are added to every child resource, under each child's own Name tag. Keys must not start with "aws:" or
	// be Name or Tier; at most 40. If empty, children carry only their Name plus the provider's default tags.
	Tags map[string]string
}

var (
	accountIDPattern = regexp.MustCompile(`^\d{12}$`)
	orgIDPattern     = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	roleArnPattern   = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role/([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$`)
)

// Validate reports every problem with the arguments at once. Names left empty are derived and checked when the
// account and region are known, still before anything is registered.
func (a *LogArchiveArgs) Validate() error {
	p := problems{component: "LogArchive"}
	for _, n := range []struct{ arg, name string }{{"VaultBucketName", a.VaultBucketName}, {"InboxBucketName", a.InboxBucketName}} {
		if n.name == "" {
			continue
		}
		for _, msg := range bucketNameProblems(n.name) {
			p.add(n.arg, "%s", msg)
		}
	}
	if a.VaultBucketName != "" && a.VaultBucketName == a.InboxBucketName {
		p.add("InboxBucketName", "must differ from VaultBucketName: the inbox replicates into the vault")
	}
	seen := map[string]bool{}
	for _, id := range a.SourceAccountIds {
		switch {
		case !accountIDPattern.MatchString(id):
			p.add("SourceAccountIds", "%q is not a 12-digit account id", id)
		case seen[id]:
			p.add("SourceAccountIds", "%q is listed twice", id)
		}
		seen[id] = true
	}
	if a.SourceOrgId != "" && !orgIDPattern.MatchString(a.SourceOrgId) {
		p.add("SourceOrgId", "%q is not an organization id (o- and 10 to 32 lower-case letters or digits)", a.SourceOrgId)
	}
	if a.RetentionDays != 0 && (a.RetentionDays < MinArchiveRetentionDays || a.RetentionDays > MaxArchiveRetentionDays) {
		p.add("RetentionDays", "%d is outside %d to %d days: a WORM archive keeps at least a year, and Object Lock at most 100 years",
			a.RetentionDays, MinArchiveRetentionDays, MaxArchiveRetentionDays)
	}
	switch arn := a.BreakGlassPrincipalArn; {
	case arn == "":
		p.add("BreakGlassPrincipalArn", "is required: name the one IAM role that may change the archive's policies and lifecycle")
	case strings.ContainsAny(arn, "*?"):
		p.add("BreakGlassPrincipalArn", "%q has a wildcard; name exactly one role", arn)
	case !roleArnPattern.MatchString(arn):
		p.add("BreakGlassPrincipalArn", "%q is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)", arn)
	}
	if a.ColdStorageAfterDays < 0 {
		p.add("ColdStorageAfterDays", "%d must be positive (days)", a.ColdStorageAfterDays)
	}
	retention := orDefault(a.RetentionDays, DefaultArchiveRetentionDays)
	if cold := orDefault(a.ColdStorageAfterDays, DefaultColdStorageAfterDays); cold >= retention && retention >= MinArchiveRetentionDays {
		p.add("ColdStorageAfterDays", "%d must be less than the retention, %d days", cold, retention)
	}
	a.validateAlerts(&p)
	checkTags(&p, a.Tags)
	return p.err()
}

// preflight reports what only the account reveals: a derived name S3 or IAM would refuse, and a break-glass
// role of another account or partition.
func (a *LogArchiveArgs) preflight(project string, acct account) error {
	d := a.withDefaults(project, acct)
	var p problems
	var invalid *ValidationError
	if err := d.Validate(); errors.As(err, &invalid) {
		p.list = append(p.list, invalid.Problems...)
	} else if err != nil {
		return err
	}
	p.component = "LogArchive"
	if m := roleArnPattern.FindStringSubmatch(d.BreakGlassPrincipalArn); m != nil && (m[1] != acct.Partition || m[2] != acct.ID) {
		p.add("BreakGlassPrincipalArn", "%q is not a role of the archive's account %s (partition %s)",
			d.BreakGlassPrincipalArn, acct.ID, acct.Partition)
	}
	d.preflightAlerts(&p, acct)
	return p.err()
}

// withDefaults returns a copy with every empty field filled in for the account.
func (a LogArchiveArgs) withDefaults(project string, acct account) LogArchiveArgs {
	if a.VaultBucketName == "" {
		a.VaultBucketName = fmt.Sprintf("%s-log-archive-%s-%s", project, acct.ID, acct.Region)
	}
	if a.InboxBucketName == "" {
		a.InboxBucketName = fmt.Sprintf("%s-log-inbox-%s-%s", project, acct.ID, acct.Region)
	}
	if len(a.SourceAccountIds) == 0 && a.SourceOrgId == "" {
		a.SourceAccountIds = []string{acct.ID}
	}
	a.RetentionDays = orDefault(a.RetentionDays, DefaultArchiveRetentionDays)
	a.ColdStorageAfterDays = orDefault(a.ColdStorageAfterDays, DefaultColdStorageAfterDays)
	return a
}

// retentionMode is the vault's default Object Lock mode.
func (a LogArchiveArgs) retentionMode() string {
	if a.GovernanceModeForTestAccountsOnly {
		return "GOVERNANCE"
	}
	return "COMPLIANCE"
}

// LogArchiveNamePrefix is what the names of a LogArchive's roles, topic, alarm and rules start with,
// "<project>-<component name>": fixed, so that docs/iam/scp-protect-log-archive.json (its ARCHIVE_PREFIX) and the
// break-glass runbook can name them.
func LogArchiveNamePrefix(project, name string) string { return project + "-" + name }

// replicationRoleName is the replication role's name.
func replicationRoleName(project, name string) string {
	return LogArchiveNamePrefix(project, name) + "-" + replicationSuffix
}

// archiveKeyAlias is the archive key's alias, alias/<project>/<name>; the alerts key's adds "-alerts".
func archiveKeyAlias(s scope) string { return fmt.Sprintf("alias/%s/%s", s.ctx.Project(), s.name) }

// LogArchive is a write-once archive for vended logs (VPC flow logs to S3): two buckets in the archive account.
//
// Direct delivery into an Object Lock bucket is not confirmed by AWS's documentation: an upload to a bucket with
// a default retention needs Content-MD5 or an SDK checksum, nothing says delivery.logs.amazonaws.com sends one,
// and AWS Config is documented to fail there (docs/design/log-archive-research.md, section 1). So log delivery
// writes to an inbox bucket without Object Lock, and S3 Replication copies every object into the vault bucket,
// whose default retention (COMPLIANCE, RetentionDays) each replica gets ("the destination bucket's default
// retention period is applied to your object replicas", S3 replication docs). The inbox expires its objects
// after InboxExpirationDays. Delete markers are not replicated, so deleting from the inbox never touches the vault.
//
// Both buckets are never public, TLS-only, encrypted with the archive's own key and refuse uploads with any other
// encryption. Only the break-glass role may change their policies, lifecycles, the inbox's replication, and the
// vault's versioning and Object Lock configuration: the denies name it in a condition on aws:PrincipalArn, never
// with NotPrincipal, which makes log delivery's own policy update fail (CloudWatch Logs docs). The root user can
// still edit a bucket policy (AWS always allows it), but not shorten a COMPLIANCE retention.
//
// A person deploys this stack, like the bootstrap stack, so its key passes KMS's lockout check without bypassing
// it. Every child is protected and retained on delete. The archive also watches itself (logarchive_alerts.go): an
// alarm on failed replication, and rules on every change to its buckets, key and roles, publish to one topic.
type LogArchive struct {
	pulumi.ResourceState

	VaultBucketName    pulumi.StringOutput `pulumi:"vaultBucketName" doc:"the Object Lock bucket, e.g. aws-foundation-log-archive-123456789012-us-east-1"`
	VaultBucketArn     pulumi.StringOutput `pulumi:"vaultBucketArn" doc:"its ARN"`
	InboxBucketName    pulumi.StringOutput `pulumi:"inboxBucketName" doc:"the bucket log delivery writes to, e.g. aws-foundation-log-inbox-123456789012-us-east-1"`
	InboxBucketArn     pulumi.StringOutput `pulumi:"inboxBucketArn" doc:"its ARN: what environments set as flowLogsArchiveBucketArn"`
	KmsKeyArn          pulumi.StringOutput `pulumi:"kmsKeyArn" doc:"the archive's key (both buckets)"`
	ReplicationRoleArn pulumi.StringOutput `pulumi:"replicationRoleArn" doc:"the role S3 Replication uses to copy the inbox into the vault"`
	RetentionDays      pulumi.IntOutput    `pulumi:"retentionDays" doc:"the vault's default Object Lock retention in days"`
	RetentionMode      pulumi.StringOutput `pulumi:"retentionMode" doc:"COMPLIANCE, or GOVERNANCE in a test account"`
	AlertsTopicArn     pulumi.StringOutput `pulumi:"alertsTopicArn" doc:"the SNS topic of failed replications and of changes to the archive's buckets, key and roles"`
}

// LogArchiveType is the LogArchive type token.
const LogArchiveType = "aws-foundation:components:LogArchive"

// NewLogArchive validates args, registers the component, looks up the account through the component's provider,
// then creates the key, the replication role, the vault and the inbox with its replication, and the two bucket
// policies last (they deny the configuration calls that come before them to everyone but the break-glass role).
func NewLogArchive(ctx *pulumi.Context, name string, args *LogArchiveArgs, opts ...pulumi.ResourceOption) (*LogArchive, error) {
	if args == nil {
		args = &LogArchiveArgs{}
	}
	if err := args.Validate(); err != nil {
		return nil, fmt.Errorf("log archive %q: %w", name, err)
	}
	c := &LogArchive{}
	if err := ctx.RegisterComponentResource(LogArchiveType, name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	fail := func(what string, err error) (*LogArchive, error) {
		return nil, failed("log archive", name, what, err)
	}
	acct, err := lookupAccount(ctx, parent)
	if err != nil {
		return fail("look up account", err)
	}
	if err := args.preflight(ctx.Project(), acct); err != nil { // a derived name can still be too long
		return fail("look up account", fmt.Errorf("derived names: %w", err))
	}
	a := args.withDefaults(ctx.Project(), acct)
	roleName := replicationRoleName(ctx.Project(), name)
	if err := checkArchiveNameLengths(ctx.Project(), name); err != nil {
		return fail("look up account", err)
	}
	s := scope{ctx: ctx, name: name, tags: a.Tags, parent: parent}
	// The archive is never deleted by Pulumi: protected, and retained if the protection is lifted.
	keep := []pulumi.ResourceOption{pulumi.Protect(true), pulumi.RetainOnDelete(true), parent}

	key, err := archiveKey(s, acct, a, keep)
	if err != nil {
		return fail("create kms key", err)
	}
	role, err := replicationRole(s, roleName, keep)
	if err != nil {
		return fail("create replication role", err)
	}
	rolePolicy, err := replicationRolePolicy(s, acct, a, role, key, keep)
	if err != nil {
		return fail("create replication role policy", err)
	}
	vault, lock, err := vaultBucket(s, key, a, keep)
	if err != nil {
		return fail("create vault bucket", err)
	}
	inbox, err := inboxBucket(s, key, a, keep)
	if err != nil {
		return fail("create inbox bucket", err)
	}
	replication, err := inboxReplication(s, inbox, vault, key, role, rolePolicy, keep)
	if err != nil {
		return fail("create replication", err)
	}
	if err := vaultPolicy(s, vault, key, a, acct.arn("iam", "", acct.ID, "role/"+roleName), []pulumi.Resource{lock}, keep); err != nil {
		return fail("create vault policy", err)
	}
	if err := inboxPolicy(s, acct, inbox, key, a, []pulumi.Resource{replication}, keep); err != nil {
		return fail("create inbox policy", err)
	}
	alerts, err := archiveAlerts(s, acct, a, key, keep)
	if err != nil {
		return fail("create alerts", err)
	}

	c.VaultBucketName, c.VaultBucketArn = vault.bucket.Bucket, vault.bucket.Arn
	c.InboxBucketName, c.InboxBucketArn = inbox.bucket.Bucket, inbox.bucket.Arn
	c.KmsKeyArn, c.ReplicationRoleArn = key.Arn, role.Arn
	c.RetentionDays = pulumi.Int(a.RetentionDays).ToIntOutput()
	c.RetentionMode = pulumi.String(a.retentionMode()).ToStringOutput()
	c.AlertsTopicArn = alerts
	return c, ctx.RegisterResourceOutputs(c, outputsOf(c))
}

// Outputs returns the LogArchive's outputs by name, as registered and as the logArchive stack exports them.
func (c *LogArchive) Outputs() pulumi.Map { return outputsOf(c) }

// sourceConditions are the conditions every grant to delivery.logs.amazonaws.com carries, one set per statement:
// the source accounts (aws:SourceAccount, and aws:SourceArn under their logs ARNs) and, when set, the
// organization (aws:SourceOrgID). The confused-deputy keys AWS's flow-log and CloudWatch Logs docs recommend.
type sourceGrant struct {
	sid      string     // suffix of the statement ids: "" for the accounts, "Org" for the organization
	cond     conditions // the conditions of the source
	prefixes []string   // object key patterns the source may write, such as AWSLogs/123456789012/vpcflowlogs/*
}

func sourceGrants(acct account, a LogArchiveArgs) []sourceGrant {
	var out []sourceGrant
	if len(a.SourceAccountIds) > 0 {
		var arns, prefixes []string
		for _, id := range a.SourceAccountIds {
			arns = append(arns, acct.arn("logs", "*", id, "*"))
			// Plain-text flow logs write AWSLogs/<account>/vpcflowlogs/, hive-compatible partitions (what
			// environments use) AWSLogs/aws-account-id=<account>/aws-service=vpcflowlogs/: a grant of one refuses
			// the other. VPC flow logs only: any other vended log would be locked for the whole retention.
			prefixes = append(prefixes, "AWSLogs/"+id+"/vpcflowlogs/*", "AWSLogs/aws-account-id="+id+"/aws-service=vpcflowlogs/*")
		}
		out = append(out, sourceGrant{cond: conditions{
			"StringEquals": {"aws:SourceAccount": stringOrList(a.SourceAccountIds)},
			"ArnLike":      {"aws:SourceArn": stringOrList(arns)},
		}, prefixes: prefixes})
	}
	if a.SourceOrgId != "" {
		out = append(out, sourceGrant{sid: "Org", cond: conditions{
			"StringEquals": {"aws:SourceOrgID": a.SourceOrgId},
			"ArnLike":      {"aws:SourceArn": acct.arn("logs", "*", "*", "*")},
		}, prefixes: []string{"AWSLogs/*/vpcflowlogs/*", "AWSLogs/aws-account-id=*/aws-service=vpcflowlogs/*"}})
	}
	return out
}

// stringOrList renders one value as a string, several as a list: the form AWS returns, so a refresh shows no
// difference.
func stringOrList(v []string) any {
	if len(v) == 1 {
		return v[0]
	}
	return slices.Clone(v)
}

// withCondition returns a copy of c with one more operator and key.
func withCondition(c conditions, op, key string, value any) conditions {
	out := conditions{}
	for k, v := range c {
		out[k] = map[string]any{}
		for kk, vv := range v {
			out[k][kk] = vv
		}
	}
	if out[op] == nil {
		out[op] = map[string]any{}
	}
	out[op][key] = value
	return out
}

// archiveKey creates the key of both buckets. Besides the account root, its policy lets log delivery use it
// (CloudWatch Logs' documented statement for SSE-KMS buckets, under the same source conditions as the bucket
// policy). The replication role, of this account, gets its use of the key from its IAM policy (the root
// statement delegates to IAM), so the key policy names no role: no principal that might not exist yet when the
// policy is set. Only the break-glass role may schedule the key's deletion, disable it or put its policy: without
// the key the vault's locked objects could never be read again, and an administrator could otherwise lift that
// deny by rewriting the policy. The deny binds the root user too (KMS has no root exception). So the stack is
// deployed as the break-glass role, which passes KMS's lockout check (it may put the key policy) without a bypass.
func archiveKey(s scope, acct account, a LogArchiveArgs, keep []pulumi.ResourceOption) (*kms.Key, error) {
	grants := breakGlassKeyStatements(a.BreakGlassPrincipalArn)
	for _, g := range sourceGrants(acct, a) {
		grants = append(grants, resourceStatement{Sid: "LogDeliveryUsesKey" + g.sid, Effect: allow,
			Principal: servicePrincipal("delivery.logs.amazonaws.com"),
			Action:    action("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"),
			Resource:  resource("*"), Condition: g.cond})
	}
	key, _, err := newCustomerKey(s.ctx, s.name+"-key", customerKey{
		description: "Encrypts the log archive: its inbox and its Object Lock vault",
		alias:       archiveKeyAlias(s),
		rootArn:     acct.rootArn(),
		grants:      grants,
		tags:        s.childTags(s.name + "-key"),
	}, keep...)
	return key, err
}

// breakGlassKeyStatements are the denies of both archive keys (the archive's and its alerts'): only break-glass
// schedules the key's deletion, disables it or puts its policy, and nobody, break-glass included, shortens the
// deletion window, so that a deletion scheduled in error, or by a taken-over role, can be cancelled for the longest
// time KMS allows (a request without a window gets KMS's default, 30).
func breakGlassKeyStatements(breakGlass string) keyPolicy {
	return keyPolicy{
		{Sid: "OnlyBreakGlassDeletesDisablesOrRepolicies", Effect: deny, Principal: anyPrincipal(),
			Action: action(archiveKeyBreakGlassActions...), Resource: resource("*"),
			Condition: conditions{"ArnNotEquals": {"aws:PrincipalArn": breakGlass}}},
		{Sid: "DeletionWaitsTheLongestWindow", Effect: deny, Principal: anyPrincipal(),
			Action: action("kms:ScheduleKeyDeletion"), Resource: resource("*"),
			Condition: conditions{"NumericLessThan": {"kms:ScheduleKeyDeletionPendingWindowInDays": KeyDeletionWindowDays}}},
	}
}

// replicationRole creates the role S3 Replication assumes. Its trust names S3 without a source condition: AWS's
// replication docs give none, and nothing documents that S3 presents aws:SourceArn or aws:SourceAccount when it
// assumes the role, so a condition on them could stop every replication. What keeps another bucket from
// replicating with the role is the role's own policy (replicationRolePolicy), which denies reading any bucket but
// the inbox, and who may pass or change the role (docs/iam/scp-protect-log-archive.json; the alerts).
func replicationRole(s scope, roleName string, keep []pulumi.ResourceOption) (*iam.Role, error) {
	trust, err := trustPolicy{{Sid: "S3Replicates", Effect: allow, Principal: servicePrincipal("s3.amazonaws.com"),
		Action: action("sts:AssumeRole")}}.JSON()
	if err != nil {
		return nil, fmt.Errorf("render trust policy: %w", err)
	}
	return iam.NewRole(s.ctx, s.name+"-replication", &iam.RoleArgs{
		Name:             pulumi.String(roleName),
		Description:      pulumi.String("S3 Replication of the log archive's inbox into its Object Lock vault; nothing else"),
		AssumeRolePolicy: pulumi.String(trust),
		Tags:             s.childTags(s.name + "-replication"),
	}, keep...)
}

// replicationRolePolicy is the least the role needs (S3 replication docs): read the inbox's replication
// configuration and object versions (with their retention and legal hold, which replication into an Object Lock
// bucket reads where there are any), write replicas and their tags into the vault (never delete markers:
// s3:ReplicateDelete is not granted), and use the key through S3 in the region only. It denies reading any other
// bucket: in one account a bucket's own policy can grant the role, and a replication rule of that bucket would
// then copy its objects into the vault, locked as records. An explicit deny in the role's policy wins over any
// bucket policy.
func replicationRolePolicy(s scope, acct account, a LogArchiveArgs, role *iam.Role, key *kms.Key, keep []pulumi.ResourceOption) (*iam.RolePolicy, error) {
	inbox := acct.arn("s3", "", "", a.InboxBucketName)
	vault := acct.arn("s3", "", "", a.VaultBucketName)
	via := conditions{"StringEquals": {"kms:ViaService": "s3." + acct.Region + "." + acct.DNSSuffix}}
	return iam.NewRolePolicy(s.ctx, s.name+"-replication", &iam.RolePolicyArgs{
		Role: role.ID(),
		Policy: key.Arn.ApplyT(func(keyArn string) (string, error) {
			return identityPolicy{
				{Sid: "ReadInboxConfiguration", Effect: allow,
					Action: action("s3:GetReplicationConfiguration", "s3:ListBucket"), Resource: resource(inbox)},
				{Sid: "ReadInboxVersions", Effect: allow,
					Action: action("s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging",
						"s3:GetObjectRetention", "s3:GetObjectLegalHold"),
					Resource: resource(inbox + "/*")},
				{Sid: "ReadNoOtherBucket", Effect: deny, Action: action(replicationSourceReads...),
					Resource: notResource(inbox, inbox+"/*")},
				{Sid: "WriteVaultReplicas", Effect: allow,
					Action: action("s3:ReplicateObject", "s3:ReplicateTags"), Resource: resource(vault + "/*")},
				{Sid: "DecryptInboxThroughS3", Effect: allow, Action: action("kms:Decrypt"), Resource: resource(keyArn),
					Condition: via},
				{Sid: "EncryptReplicasThroughS3", Effect: allow, Action: action("kms:Encrypt", "kms:GenerateDataKey"),
					Resource: resource(keyArn), Condition: via},
			}.JSON()
		}).(pulumi.StringOutput),
	}, keep...)
}

// vaultBucket creates the Object Lock bucket. Object Lock is enabled when the bucket is created: the provider
// treats objectLockEnabled as a property that forces a new bucket, so changing it later would plan a replacement
// (which the protection refuses). The default retention is set by its own resource, after versioning. Lifecycle:
// every version to ArchiveColdStorageClass after ColdStorageAfterDays, and expiry a day after the retention (a
// locked version cannot be removed before its date whatever the lifecycle says).
func vaultBucket(s scope, key *kms.Key, a LogArchiveArgs, keep []pulumi.ResourceOption) (*privateBucket, *s3.BucketObjectLockConfigurationV2, error) {
	vault, err := newPrivateBucket(s.ctx, s.name+"-vault", privateBucketSpec{
		bucketName: a.VaultBucketName,
		sse:        "aws:kms",
		kmsKeyArn:  key.Arn,
		objectLock: true,
		lifecycle: s3.BucketLifecycleConfigurationV2RuleArray{
			&s3.BucketLifecycleConfigurationV2RuleArgs{
				Id:     pulumi.String("cold-storage-then-expire-after-retention"),
				Status: pulumi.String("Enabled"),
				Filter: &s3.BucketLifecycleConfigurationV2RuleFilterArgs{},
				Transitions: s3.BucketLifecycleConfigurationV2RuleTransitionArray{
					&s3.BucketLifecycleConfigurationV2RuleTransitionArgs{
						Days: pulumi.Int(a.ColdStorageAfterDays), StorageClass: pulumi.String(ArchiveColdStorageClass)},
				},
				NoncurrentVersionTransitions: s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionTransitionArray{
					&s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionTransitionArgs{
						NoncurrentDays: pulumi.Int(a.ColdStorageAfterDays), StorageClass: pulumi.String(ArchiveColdStorageClass)},
				},
				Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(a.RetentionDays + 1)},
				// S3 wants a noncurrent expiration later than the noncurrent transition; a version's lock runs
				// from its creation, so RetentionDays+1 after it became noncurrent is always past its date.
				NoncurrentVersionExpiration: &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{
					NoncurrentDays: pulumi.Int(a.RetentionDays + 1),
				},
				AbortIncompleteMultipartUpload: abortIncompleteUploads(),
			},
			expiredDeleteMarkersRule(),
		},
		transitionMinSize: ArchiveTransitionMinimumObjectSize,
		tags:              s.childTags(s.name + "-vault"),
	}, keep)
	if err != nil {
		return nil, nil, err
	}
	lock, err := s3.NewBucketObjectLockConfigurationV2(s.ctx, s.name+"-vault", &s3.BucketObjectLockConfigurationV2Args{
		Bucket:            vault.bucket.ID(),
		ObjectLockEnabled: pulumi.String("Enabled"),
		Rule: &s3.BucketObjectLockConfigurationV2RuleArgs{
			DefaultRetention: &s3.BucketObjectLockConfigurationV2RuleDefaultRetentionArgs{
				Mode: pulumi.String(a.retentionMode()),
				Days: pulumi.Int(a.RetentionDays),
			},
		},
	}, append(keep, pulumi.DependsOn([]pulumi.Resource{vault.versioning}))...)
	return vault, lock, err
}

// inboxBucket creates the bucket log delivery writes to: versioned (replication needs it), current objects
// expire after InboxExpirationDays, the versions that leaves a day later.
func inboxBucket(s scope, key *kms.Key, a LogArchiveArgs, keep []pulumi.ResourceOption) (*privateBucket, error) {
	return newPrivateBucket(s.ctx, s.name+"-inbox", privateBucketSpec{
		bucketName: a.InboxBucketName,
		sse:        "aws:kms",
		kmsKeyArn:  key.Arn,
		lifecycle: s3.BucketLifecycleConfigurationV2RuleArray{
			&s3.BucketLifecycleConfigurationV2RuleArgs{
				Id:         pulumi.String("expire-replicated-deliveries"),
				Status:     pulumi.String("Enabled"),
				Filter:     &s3.BucketLifecycleConfigurationV2RuleFilterArgs{},
				Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(InboxExpirationDays)},
				NoncurrentVersionExpiration: &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{
					NoncurrentDays: pulumi.Int(1),
				},
				AbortIncompleteMultipartUpload: abortIncompleteUploads(),
			},
			expiredDeleteMarkersRule(),
		},
		tags: s.childTags(s.name + "-inbox"),
	}, keep)
}

// inboxReplication replicates every new inbox object, SSE-KMS ones included, into the vault, re-encrypted with
// the archive key. Delete markers are not replicated: the inbox's expiry never reaches the vault.
func inboxReplication(s scope, inbox, vault *privateBucket, key *kms.Key, role *iam.Role, rolePolicy *iam.RolePolicy,
	keep []pulumi.ResourceOption) (*s3.BucketReplicationConfig, error) {
	return s3.NewBucketReplicationConfig(s.ctx, s.name+"-inbox", &s3.BucketReplicationConfigArgs{
		Bucket: inbox.bucket.ID(),
		Role:   role.Arn,
		Rules: s3.BucketReplicationConfigRuleArray{
			&s3.BucketReplicationConfigRuleArgs{
				Id:                      pulumi.String(ReplicationRuleID),
				Status:                  pulumi.String("Enabled"),
				Filter:                  &s3.BucketReplicationConfigRuleFilterArgs{},
				DeleteMarkerReplication: &s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs{Status: pulumi.String("Disabled")},
				SourceSelectionCriteria: &s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs{
					SseKmsEncryptedObjects: &s3.BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs{
						Status: pulumi.String("Enabled"),
					},
				},
				Destination: &s3.BucketReplicationConfigRuleDestinationArgs{
					Bucket: vault.bucket.Arn,
					EncryptionConfiguration: &s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs{
						ReplicaKmsKeyId: key.Arn,
					},
					// Publishes OperationsFailedReplication, which the alerts watch (billed as CloudWatch metrics).
					Metrics: &s3.BucketReplicationConfigRuleDestinationMetricsArgs{Status: pulumi.String("Enabled")},
				},
			},
		},
	}, append(keep, pulumi.DependsOn([]pulumi.Resource{inbox.versioning, vault.versioning, rolePolicy}))...)
}

// archiveBucketCalls are the configuration calls on an archive bucket that only the break-glass role may make:
// each IAM action, the API operations it authorizes (their CloudTrail event names, which the alerts watch), and
// whether it concerns the vault only.
var archiveBucketCalls = []struct {
	action    string
	events    []string
	vaultOnly bool
}{
	{"s3:PutBucketPolicy", []string{"PutBucketPolicy"}, false},
	{"s3:DeleteBucketPolicy", []string{"DeleteBucketPolicy"}, false},
	{"s3:PutLifecycleConfiguration", []string{"PutBucketLifecycle", "DeleteBucketLifecycle"}, false},
	{"s3:PutReplicationConfiguration", []string{"PutBucketReplication", "DeleteBucketReplication"}, false},
	{"s3:PutBucketVersioning", []string{"PutBucketVersioning"}, false},
	{"s3:PutEncryptionConfiguration", []string{"PutBucketEncryption", "DeleteBucketEncryption"}, false},
	{"s3:PutBucketOwnershipControls", []string{"PutBucketOwnershipControls", "DeleteBucketOwnershipControls"}, false},
	{"s3:PutBucketPublicAccessBlock", []string{"PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock"}, false},
	{"s3:PutBucketObjectLockConfiguration", []string{"PutObjectLockConfiguration"}, true},
}

// LogArchiveBreakGlassActions are the configuration calls on an archive bucket that only the break-glass role may
// make: its policy, lifecycle, replication, versioning, encryption, ownership and public access block, and for the
// vault (vault true) its Object Lock configuration.
func LogArchiveBreakGlassActions(vault bool) []string {
	var out []string
	for _, c := range archiveBucketCalls {
		if vault || !c.vaultOnly {
			out = append(out, c.action)
		}
	}
	return out
}

// LogArchiveBreakGlassCallEvents maps each of LogArchiveBreakGlassActions(true) to the API operations it
// authorizes: the CloudTrail event names the archive's alerts watch.
func LogArchiveBreakGlassCallEvents() map[string][]string {
	out := map[string][]string{}
	for _, c := range archiveBucketCalls {
		out[c.action] = slices.Clone(c.events)
	}
	return out
}

// archiveKeyBreakGlassActions are the calls on the archive key that only the break-glass role may make. KMS's
// API operations (CloudTrail event names) carry the same names without the kms: prefix.
var archiveKeyBreakGlassActions = []string{"kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy"}

// LogArchiveRoleWrites are every IAM write on a role (the iam actions whose resource is a role, PassRole and the
// service-linked ones aside): what docs/iam/scp-protect-log-archive.json refuses on the archive's two roles, and
// what the alerts watch. IAM's API operations carry the same names without the iam: prefix.
func LogArchiveRoleWrites() []string {
	return []string{"iam:AttachRolePolicy", "iam:CreateRole", "iam:DeleteRole", "iam:DeleteRolePermissionsBoundary",
		"iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy",
		"iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:UpdateRoleDescription"}
}

// denyConfigChangesExceptBreakGlass denies actions on a bucket to every principal but the break-glass role. The
// exemption is a condition on aws:PrincipalArn: a NotPrincipal would make log delivery's own policy update fail.
func denyConfigChangesExceptBreakGlass(bucketArn, breakGlass string, actions ...string) resourceStatement {
	return resourceStatement{Sid: "OnlyBreakGlassChangesConfiguration", Effect: deny, Principal: anyPrincipal(),
		Action: action(actions...), Resource: resource(bucketArn),
		Condition: conditions{"ArnNotEquals": {"aws:PrincipalArn": breakGlass}}}
}

// replicationSourceReads are the calls S3 Replication makes, as the role, on a source bucket and its objects.
var replicationSourceReads = []string{"s3:GetReplicationConfiguration", "s3:ListBucket", "s3:GetObjectVersionForReplication",
	"s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging", "s3:GetObjectRetention", "s3:GetObjectLegalHold"}

// replicationWrites are the calls S3 Replication makes on a destination bucket to write a replica.
var replicationWrites = []string{"s3:ReplicateObject", "s3:ReplicateTags", "s3:ObjectOwnerOverrideToBucketOwner"}

// rightKeyOnly are the state bucket policy's statements that refuse an upload naming other encryption than the
// archive key. On the inbox they bind principals of accounts only: log delivery's requests are documented to rely
// on the bucket's default encryption, but not that they carry no encryption header, and a header naming no key
// would otherwise refuse every delivery. Whatever delivery sends, the replica in the vault is encrypted with the
// archive key (the replication rule's ReplicaKmsKeyId).
var rightKeyOnly = []string{"DenyOtherEncryption", "DenyOtherKmsKey", "DenyKmsWithoutThisKeyId", "DenyCustomerProvidedKeys"}

// exemptAWSServices returns stmts with the statements named sids binding only requests that are not made by an
// AWS service principal (aws:PrincipalIsAWSService false).
func exemptAWSServices(stmts resourcePolicy, sids ...string) resourcePolicy {
	out := slices.Clone(stmts)
	for i, st := range out {
		if slices.Contains(sids, st.Sid) {
			out[i].Condition = withCondition(st.Condition, "Bool", "aws:PrincipalIsAWSService", "false")
		}
	}
	return out
}

// vaultPolicy is the state bucket's TLS-only and right-key-only rules, plus: only the break-glass role may change
// the policy, lifecycle, versioning or Object Lock configuration, put objects, set a retention or legal hold, or
// bypass a GOVERNANCE retention; only the inbox's replication role writes replicas. The replication role, of this
// account, gets its writes from its IAM policy. Both roles are named in aws:PrincipalArn conditions, never as a
// Principal, so S3 does not need them to exist when the policy is set.
func vaultPolicy(s scope, vault *privateBucket, key *kms.Key, a LogArchiveArgs, replicationRoleArn string,
	after []pulumi.Resource, keep []pulumi.ResourceOption) error {
	policy := pulumi.All(vault.bucket.Arn, key.Arn).ApplyT(func(v []any) (string, error) {
		arn := v[0].(string)
		return append(stateBucketPolicy(arn, v[1].(string)),
			denyConfigChangesExceptBreakGlass(arn, a.BreakGlassPrincipalArn, LogArchiveBreakGlassActions(true)...),
			// Only S3 Replication (s3:ReplicateObject) writes records: a PutObject would put a forged current
			// version over a locked record, and lock it for the whole retention. Break-glass included: an object
			// write is a data event no alert sees, while changing this policy first is one that alerts.
			resourceStatement{Sid: "OnlyReplicationWritesRecords", Effect: deny, Principal: anyPrincipal(),
				Action: action("s3:PutObject"), Resource: resource(arn + "/*")},
			resourceStatement{Sid: "OnlyBreakGlassBypassesGovernance", Effect: deny, Principal: anyPrincipal(),
				Action: action("s3:BypassGovernanceRetention"), Resource: resource(arn + "/*"),
				Condition: conditions{"ArnNotEquals": {"aws:PrincipalArn": a.BreakGlassPrincipalArn}}},
			// A replica gets the vault's COMPLIANCE retention: a replication rule on any other bucket, with any
			// other role, would lock forged records for the whole retention. Only the inbox's role replicates (its
			// ARN is fixed by its name; its trust admits S3 for the inbox only), and it never takes ownership.
			resourceStatement{Sid: "OnlyTheInboxReplicationWritesReplicas", Effect: deny, Principal: anyPrincipal(),
				Action: action(replicationWrites...), Resource: resource(arn + "/*"),
				Condition: conditions{"ArnNotEquals": {"aws:PrincipalArn": replicationRoleArn}}},
			// Delete markers would hide records from a plain listing; the rule never replicates them.
			resourceStatement{Sid: "NoReplicatedDeletesOrOwnershipOverride", Effect: deny, Principal: anyPrincipal(),
				Action:   action("s3:ReplicateDelete", "s3:ObjectOwnerOverrideToBucketOwner"),
				Resource: resource(arn + "/*")},
			// Retention can only be lengthened in COMPLIANCE mode, but lengthening every record to 100 years, or a
			// legal hold on all of them, is a cost nobody can undo: only break-glass sets them.
			resourceStatement{Sid: "OnlyBreakGlassSetsRetentionOrLegalHold", Effect: deny, Principal: anyPrincipal(),
				Action: action("s3:PutObjectRetention", "s3:PutObjectLegalHold"), Resource: resource(arn + "/*"),
				Condition: conditions{"ArnNotEquals": {"aws:PrincipalArn": a.BreakGlassPrincipalArn}}},
		).JSON()
	}).(pulumi.StringOutput)
	_, err := lastBucketPolicy(s.ctx, s.name+"-vault", vault, policy, after, keep)
	return err
}

// inboxPolicy is the state bucket's TLS-only and right-key-only rules, plus the statements AWS documents for log
// delivery (flow-logs-s3-permissions), for the configured sources only, written by Pulumi before any flow log
// exists; only log delivery writes, nothing replicates into it, and only the break-glass role deletes a version or
// changes the policy, lifecycle or replication.
func inboxPolicy(s scope, acct account, inbox *privateBucket, key *kms.Key, a LogArchiveArgs, after []pulumi.Resource,
	keep []pulumi.ResourceOption) error {
	policy := pulumi.All(inbox.bucket.Arn, key.Arn).ApplyT(func(v []any) (string, error) {
		arn := v[0].(string)
		stmts := exemptAWSServices(stateBucketPolicy(arn, v[1].(string)), rightKeyOnly...)
		for _, g := range sourceGrants(acct, a) {
			var objects []string
			for _, prefix := range g.prefixes {
				objects = append(objects, arn+"/"+prefix)
			}
			stmts = append(stmts,
				resourceStatement{Sid: "AWSLogDeliveryWrite" + g.sid, Effect: allow,
					Principal: servicePrincipal("delivery.logs.amazonaws.com"), Action: action("s3:PutObject"),
					Resource:  resource(objects...),
					Condition: withCondition(g.cond, "StringEquals", "s3:x-amz-acl", "bucket-owner-full-control")},
				resourceStatement{Sid: "AWSLogDeliveryAclCheck" + g.sid, Effect: allow,
					Principal: servicePrincipal("delivery.logs.amazonaws.com"),
					Action:    action("s3:GetBucketAcl", "s3:ListBucket"), Resource: resource(arn), Condition: g.cond},
			)
		}
		return append(stmts,
			denyConfigChangesExceptBreakGlass(arn, a.BreakGlassPrincipalArn, LogArchiveBreakGlassActions(false)...),
			// Only log delivery writes: an upload by a principal of an account would be replicated and locked as a
			// record. aws:PrincipalIsAWSService is true for a service principal such as delivery.logs.
			resourceStatement{Sid: "OnlyLogDeliveryWrites", Effect: deny, Principal: anyPrincipal(),
				Action: action("s3:PutObject"), Resource: resource(arn + "/*"),
				Condition: conditions{"Bool": {"aws:PrincipalIsAWSService": "false"}}},
			// A replica written into the inbox would be replicated on into the vault as a record.
			resourceStatement{Sid: "NothingReplicatesIntoTheInbox", Effect: deny, Principal: anyPrincipal(),
				Action:   action(append(slices.Clone(replicationWrites), "s3:ReplicateDelete")...),
				Resource: resource(arn + "/*")},
			// A delivered version deleted before S3 Replication copies it never reaches the vault. Lifecycle
			// expiry is S3's own action, not a request a bucket policy sees; nobody else, break-glass included,
			// deletes a version (a data event no alert sees).
			resourceStatement{Sid: "NobodyDeletesDeliveries", Effect: deny, Principal: anyPrincipal(),
				Action: action("s3:DeleteObjectVersion"), Resource: resource(arn + "/*")},
		).JSON()
	}).(pulumi.StringOutput)
	_, err := lastBucketPolicy(s.ctx, s.name+"-inbox", inbox, policy, after, keep)
	return err
}
