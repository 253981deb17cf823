package components

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// cloudWatchRetentionDays are the only retention periods CloudWatch Logs accepts.
var cloudWatchRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
	2192, 2557, 2922, 3288, 3653}

// CloudWatchRetentionDays returns the only retention periods CloudWatch Logs accepts.
func CloudWatchRetentionDays() []int { return slices.Clone(cloudWatchRetentionDays) }

const (
	// DefaultFlowLogRetentionDays keeps flow logs a year, which meets PCI DSS 10.5.1 (12 months of audit history).
	// No retention of a log group meets FINRA 4511 / SEC 17a-4(f): they need write-once storage or the
	// rule's audit-trail alternative, and whoever the account lets change a log group can shorten its retention.
	DefaultFlowLogRetentionDays = 365
	// DefaultFlowLogAggregationSeconds gives one-minute records, the finest AWS offers, for incident response.
	DefaultFlowLogAggregationSeconds = 60
)

// flowLogFormat is the default record format plus the version 5 fields that tell where a packet really came from
// and went (pkt-srcaddr, pkt-dstaddr behind NAT), its direction and path, and which subnet and instance saw it.
const flowLogFormat = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} " +
	"${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${vpc-id} ${subnet-id} " +
	"${instance-id} ${tcp-flags} ${pkt-srcaddr} ${pkt-dstaddr} ${flow-direction} ${traffic-path}"

// FlowLogsArgs configures FlowLogs.
type FlowLogsArgs struct {
	// VpcId is the VPC whose traffic is logged. Required.
	VpcId pulumi.StringInput

	// LogGroupName is the CloudWatch log group name. If empty, "/aws/vpc-flow-logs/<project>/<stack>/<name>"
	// is used: deterministic, so the key policy can name the exact log group before it exists. Allowed
	// characters: letters, digits, and _ - / . #; at most 512.
	LogGroupName string

	// RetentionInDays is how long records are kept. If zero, DefaultFlowLogRetentionDays (365). Must be one of
	// CloudWatchRetentionDays, and at least 365 unless AllowShortRetention is set.
	RetentionInDays int

	// AllowShortRetention permits RetentionInDays below 365, for throw-away environments that have no
	// retention obligation. Default false.
	AllowShortRetention bool

	// MaxAggregationInterval is the capture window in seconds: 60 or 600. If zero, 60.
	MaxAggregationInterval int

	// DeleteWithStack lets `pulumi destroy` (or removing this component) delete the flow-log evidence: the log
	// group with its records, the key that decrypts them (after a 30-day waiting period) and the key's alias.
	// Default false: the three are retained on delete (pulumi.RetainOnDelete), so the records outlive the stack
	// for their retention period; re-creating the stack then means adopting them (see docs/RUNBOOK.md). Set it
	// only for throw-away environments.
	DeleteWithStack bool

	// PermissionsBoundaryArn is the permissions boundary of the flow-log delivery role: an IAM managed policy ARN
	// (arn:<partition>:iam::<account or "aws">:policy/<name>), or a policy name, which is turned into
	// arn:<partition>:iam::<this account>:policy/<name>. A customer managed policy must be of this account. If
	// empty, the role has no boundary. Deploy roles that may create roles only with a given boundary need it.
	PermissionsBoundaryArn string

	// ArchiveBucketArn adds a second flow log of the VPC, with the same records, into this S3 bucket: the delivery
	// bucket of a LogArchive (its inboxBucketArn output), in this account or another. Apache Parquet, Hive-compatible
	// partitions, one partition per hour. The bucket's default encryption applies, so no key is named here, and the
	// CloudWatch flow log and its log group stay. Must be arn:<partition>:s3:::<bucket> in the stack's partition:
	// no wildcard and no folder (the archive admits deliveries under AWSLogs/ only). If empty (the default), no archive.
	ArchiveBucketArn string

	// Tags are added to every child resource, under each child's own Name tag. Keys must not start with "aws:" or
	// be Name or Tier; at most 40. If empty, children carry only their Name plus the provider's default tags.
	Tags map[string]string
}

// FlowLogRolePath is the IAM path of every flow-log delivery role, so that deploy roles can be allowed to create
// roles under this path only (with a permissions boundary) and nowhere else.
const FlowLogRolePath = "/aws-foundation/flow-logs/"

var (
	logGroupNamePattern = regexp.MustCompile(`^[A-Za-z0-9_\-/.#]{1,512}$`)
	policyNamePattern   = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	policyArnPattern    = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}|aws):policy/([\w+=,.@-]+/)*[\w+=,.@-]{1,128}$`)
)

// Validate reports every problem with the arguments at once.
func (a *FlowLogsArgs) Validate() error {
	p := problems{component: "FlowLogs"}
	if a.VpcId == nil {
		p.add("VpcId", "is required")
	} else if s, ok := a.VpcId.(pulumi.String); ok && s == "" {
		p.add("VpcId", "must not be empty")
	}
	a.validateSettings(&p)
	return p.err()
}

// ValidateSettings reports every problem with the arguments except VpcId, which a composition fills in from the
// Network it creates later: configuration can then be checked before anything is registered.
func (a *FlowLogsArgs) ValidateSettings() error {
	p := problems{component: "FlowLogs"}
	a.validateSettings(&p)
	return p.err()
}

func (a *FlowLogsArgs) validateSettings(p *problems) {
	if a.LogGroupName != "" && !logGroupNamePattern.MatchString(a.LogGroupName) {
		p.add("LogGroupName", "%q must be 1-512 letters, digits or _ - / . #", a.LogGroupName)
	}
	if a.RetentionInDays != 0 {
		if !slices.Contains(cloudWatchRetentionDays, a.RetentionInDays) {
			p.add("RetentionInDays", "%d is not accepted by CloudWatch Logs; use one of %v",
				a.RetentionInDays, cloudWatchRetentionDays)
		} else if a.RetentionInDays < DefaultFlowLogRetentionDays && !a.AllowShortRetention {
			p.add("RetentionInDays", "%d is below the %d-day minimum; set AllowShortRetention to accept it",
				a.RetentionInDays, DefaultFlowLogRetentionDays)
		}
	}
	if a.MaxAggregationInterval != 0 && a.MaxAggregationInterval != 60 && a.MaxAggregationInterval != 600 {
		p.add("MaxAggregationInterval", "%d is not allowed; use 60 or 600 (seconds)", a.MaxAggregationInterval)
	}
	if b := a.PermissionsBoundaryArn; b != "" && !policyArnPattern.MatchString(b) && !policyNamePattern.MatchString(b) {
		p.add("PermissionsBoundaryArn", "%q is neither an IAM managed policy ARN (arn:aws:iam::123456789012:policy/name) "+
			"nor a policy name (1-128 letters, digits and + = , . @ _ -)", b)
	}
	if b := a.ArchiveBucketArn; b != "" && !bucketArnPattern.MatchString(b) {
		p.add("ArchiveBucketArn", "%q is not the ARN of one bucket: expected arn:aws:s3:::<bucket>, without "+
			"wildcard or folder", b)
	}
	checkTags(p, a.Tags)
}

// preflight reports what only the account reveals: a boundary ARN of another account or partition, an archive
// bucket of another partition.
func (a *FlowLogsArgs) preflight(_ string, acct account) error {
	_, err := a.boundaryArn(acct)
	if b := a.ArchiveBucketArn; err == nil && b != "" && !strings.HasPrefix(b, "arn:"+acct.Partition+":") {
		p := problems{component: "FlowLogs"}
		p.add("ArchiveBucketArn", "%q is in another partition than the stack (%s)", b, acct.Partition)
		err = p.err()
	}
	return err
}

// boundaryArn turns the PermissionsBoundaryArn argument into an ARN in this account and partition ("" for
// none), or says why the ARN given cannot be a boundary here.
func (a *FlowLogsArgs) boundaryArn(acct account) (string, error) {
	b := a.PermissionsBoundaryArn
	if b == "" {
		return "", nil
	}
	if !strings.HasPrefix(b, "arn:") {
		return acct.arn("iam", "", acct.ID, "policy/"+b), nil
	}
	parts := strings.SplitN(b, ":", 6) // arn, partition, iam, "", account, policy/...
	p := problems{component: "FlowLogs"}
	if parts[1] != acct.Partition {
		p.add("PermissionsBoundaryArn", "%q is in partition %s, but the stack deploys to %s", b, parts[1], acct.Partition)
	}
	if parts[4] != acct.ID && parts[4] != "aws" {
		p.add("PermissionsBoundaryArn", "%q is a policy of account %s; a permissions boundary must be a policy of "+
			"this account (%s) or an AWS managed policy", b, parts[4], acct.ID)
	}
	return b, p.err()
}

// FlowLogs sends every packet decision of a VPC to an encrypted, year-long CloudWatch log group, written by a
// role that can do nothing else. The log group, its key and the key's alias outlive the stack unless
// DeleteWithStack is set.
type FlowLogs struct {
	pulumi.ResourceState

	KeyArn       pulumi.StringOutput `pulumi:"keyArn" doc:"the customer-managed key that encrypts the log group"`
	KeyAlias     pulumi.StringOutput `pulumi:"keyAlias" doc:"the key's alias"`
	LogGroupName pulumi.StringOutput `pulumi:"logGroupName" doc:"the log group"`
	LogGroupArn  pulumi.StringOutput `pulumi:"logGroupArn" doc:"the log group's ARN"`
	RoleArn      pulumi.StringOutput `pulumi:"roleArn" doc:"the delivery role"`
	FlowLogId    pulumi.StringOutput `pulumi:"flowLogId" doc:"the flow log"`
	ArchiveId    pulumi.StringOutput `pulumi:"flowLogToArchiveId" doc:"the flow log into ArchiveBucketArn; empty without one"`
}

// FlowLogsType is the FlowLogs type token.
const FlowLogsType = "aws-foundation:components:FlowLogs"

// NewFlowLogs validates args, registers the component, looks up the account through the component's provider,
// then creates the key, the log group, the delivery role and its policy, and the flow log.
func NewFlowLogs(ctx *pulumi.Context, name string, args *FlowLogsArgs, opts ...pulumi.ResourceOption) (*FlowLogs, error) {
	if args == nil {
		args = &FlowLogsArgs{}
	}
	if err := args.Validate(); err != nil {
		return nil, fmt.Errorf("flow logs %q: %w", name, err)
	}
	c := &FlowLogs{}
	if err := ctx.RegisterComponentResource(FlowLogsType, name, c, opts...); err != nil {
		return nil, err
	}
	s := scope{ctx: ctx, name: name, tags: args.Tags, parent: pulumi.Parent(c)}
	fail := func(what string, err error) (*FlowLogs, error) { return nil, failed("flow logs", name, what, err) }
	groupName := args.LogGroupName
	if groupName == "" {
		groupName = fmt.Sprintf("/aws/vpc-flow-logs/%s/%s/%s", ctx.Project(), ctx.Stack(), name)
	}
	// The evidence: the records, the key without which they cannot be read, and the alias that names the key.
	// Retained on delete, `pulumi destroy` leaves them in the account. When the key is deleted (by Pulumi with
	// DeleteWithStack, or by hand), its deletion waits KeyDeletionWindowDays (30) and can be cancelled meanwhile.
	evidence := []pulumi.ResourceOption{pulumi.RetainOnDelete(!args.DeleteWithStack), s.parent}

	acct, err := lookupAccount(ctx, s.parent)
	if err != nil {
		return fail("look up account", err)
	}
	if err := args.preflight(name, acct); err != nil { // a boundary or archive of another account or partition
		return fail("look up account", err)
	}
	boundary, _ := args.boundaryArn(acct)
	key, alias, err := flowLogsKey(s, acct, groupName, evidence)
	if err != nil {
		return fail("create kms key", err)
	}
	group, err := flowLogsGroup(s, key, groupName, args.RetentionInDays, evidence)
	if err != nil {
		return fail("create log group", err)
	}
	role, rolePolicy, err := deliveryRole(s, acct, group, groupName, boundary)
	if err != nil {
		return fail("create delivery role", err)
	}
	flowLog, err := flowLogOf(s, args.VpcId, group, role, rolePolicy, args.MaxAggregationInterval)
	if err != nil {
		return fail("create flow log", err)
	}
	c.ArchiveId = pulumi.String("").ToStringOutput()
	if args.ArchiveBucketArn != "" {
		archived, err := archiveFlowLogOf(s, args.VpcId, args.ArchiveBucketArn, args.MaxAggregationInterval)
		if err != nil {
			return fail("create archive flow log", err)
		}
		c.ArchiveId = archived.ID().ToStringOutput()
	}

	c.KeyArn, c.KeyAlias = key.Arn, alias.Name
	c.LogGroupName, c.LogGroupArn = group.Name, group.Arn
	c.RoleArn, c.FlowLogId = role.Arn, flowLog.ID().ToStringOutput()
	return c, ctx.RegisterResourceOutputs(c, outputsOf(c))
}

// Outputs returns the FlowLogs' outputs by name, as registered.
func (c *FlowLogs) Outputs() pulumi.Map { return outputsOf(c) }

// flowLogsTags are the tags of every FlowLogs child: all of them are named <name>-flow-logs.
func (s scope) flowLogsTags() pulumi.StringMap { return s.childTags(s.name + "-flow-logs") }

// flowLogsKey creates the customer-managed key. Its policy names the log group's ARN before the group exists
// (the group needs the key first), so the ARN is built from the deterministic name.
func flowLogsKey(s scope, acct account, groupName string, evidence []pulumi.ResourceOption) (*kms.Key, *kms.Alias, error) {
	groupArn := acct.arn("logs", acct.Region, acct.ID, "log-group:"+groupName)
	return newCustomerKey(s.ctx, s.name+"-flow-logs", customerKey{
		description: fmt.Sprintf("Encrypts VPC flow logs in %s", groupName),
		alias:       fmt.Sprintf("alias/%s/%s/%s-flow-logs", s.ctx.Project(), s.ctx.Stack(), s.name),
		rootArn:     acct.rootArn(),
		grants:      flowLogsKeyGrants(acct.regionalServicePrincipal("logs"), groupArn),
		tags:        s.flowLogsTags(),
		// The CI deploy roles create this key, and deploy-prod may not put key policies (kms.go).
		bypassLockoutCheck: true,
	}, evidence...)
}

// flowLogsGroup creates the encrypted log group. DependsOn makes the ordering explicit: CreateLogGroup fails with
// AccessDeniedException if the key policy that admits CloudWatch Logs is not in place yet.
func flowLogsGroup(s scope, key *kms.Key, groupName string, retentionDays int, evidence []pulumi.ResourceOption) (*cloudwatch.LogGroup, error) {
	return cloudwatch.NewLogGroup(s.ctx, s.name+"-flow-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(groupName),
		RetentionInDays: pulumi.Int(orDefault(retentionDays, DefaultFlowLogRetentionDays)),
		KmsKeyId:        key.Arn,
		Tags:            s.flowLogsTags(),
	}, append(evidence, pulumi.DependsOn([]pulumi.Resource{key}))...)
}

// deliveryRole creates the delivery role and its inline policy. The role lives under FlowLogRolePath with the
// boundary, which is what deploy roles may create. A role's path cannot change in place: changing it (as when the
// path was introduced) replaces the role, and with it the role policy and the flow log (see flowLogOf).
func deliveryRole(s scope, acct account, group *cloudwatch.LogGroup, groupName, boundary string) (*iam.Role, *iam.RolePolicy, error) {
	trust, err := flowLogsTrustPolicy(acct.ID, acct.arn("ec2", acct.Region, acct.ID, "vpc-flow-log/*")).JSON()
	if err != nil {
		return nil, nil, fmt.Errorf("render trust policy: %w", err)
	}
	roleArgs := &iam.RoleArgs{
		Description:      pulumi.String(fmt.Sprintf("Delivers VPC flow logs to %s; nothing else", groupName)),
		Path:             pulumi.String(FlowLogRolePath),
		AssumeRolePolicy: pulumi.String(trust),
		Tags:             s.flowLogsTags(),
	}
	if boundary != "" {
		roleArgs.PermissionsBoundary = pulumi.String(boundary)
	}
	role, err := iam.NewRole(s.ctx, s.name+"-flow-logs", roleArgs, s.parent)
	if err != nil {
		return nil, nil, err
	}
	// DescribeLogGroups has no resource-level permissions (the Service Authorization Reference lists no resource
	// type for it): the request's resource is "*", which a log-group ARN pattern never matches.
	policy, err := iam.NewRolePolicy(s.ctx, s.name+"-flow-logs", &iam.RolePolicyArgs{
		Role: role.ID(),
		Policy: group.Arn.ApplyT(func(arn string) (string, error) {
			return flowLogsRolePolicy(arn, "*").JSON()
		}).(pulumi.StringOutput),
	}, s.parent)
	return role, policy, err
}

// flowLogOf creates the flow log of every packet (ALL). EC2 cannot change a flow log (only its tags): a new role
// or format replaces it. DeleteBeforeReplace deletes the old one first, because CreateFlowLogs refuses a second
// flow log with the same resource and destination (FlowLogAlreadyExists). The price is a gap of seconds in the
// records during such a replacement.
func flowLogOf(s scope, vpcID pulumi.StringInput, group *cloudwatch.LogGroup, role *iam.Role, rolePolicy *iam.RolePolicy,
	aggregationSeconds int) (*ec2.FlowLog, error) {
	return ec2.NewFlowLog(s.ctx, s.name, &ec2.FlowLogArgs{
		VpcId:                  vpcID,
		TrafficType:            pulumi.String("ALL"),
		LogDestinationType:     pulumi.String("cloud-watch-logs"),
		LogDestination:         group.Arn,
		IamRoleArn:             role.Arn,
		MaxAggregationInterval: pulumi.Int(orDefault(aggregationSeconds, DefaultFlowLogAggregationSeconds)),
		LogFormat:              pulumi.String(flowLogFormat),
		Tags:                   s.flowLogsTags(),
	}, s.parent, pulumi.DependsOn([]pulumi.Resource{rolePolicy}), pulumi.DeleteBeforeReplace(true))
}

// archiveFlowLogOf creates the second flow log, into the archive's delivery bucket: the same traffic, interval
// and fields as the CloudWatch one, as Parquet in hourly Hive partitions
// (AWSLogs/aws-account-id=<account>/aws-service=vpcflowlogs/aws-region=<region>/year=/month=/day=/hour=/), which
// Athena reads without a crawler. An S3 destination needs no delivery role: the delivery service writes under the
// bucket's policy. It is not retained on delete: the records are the archive's, which outlive it.
func archiveFlowLogOf(s scope, vpcID pulumi.StringInput, bucketArn string, aggregationSeconds int) (*ec2.FlowLog, error) {
	return ec2.NewFlowLog(s.ctx, s.name+"-archive", &ec2.FlowLogArgs{
		VpcId:                  vpcID,
		TrafficType:            pulumi.String("ALL"),
		LogDestinationType:     pulumi.String("s3"),
		LogDestination:         pulumi.String(bucketArn),
		MaxAggregationInterval: pulumi.Int(orDefault(aggregationSeconds, DefaultFlowLogAggregationSeconds)),
		LogFormat:              pulumi.String(flowLogFormat),
		DestinationOptions: &ec2.FlowLogDestinationOptionsArgs{
			FileFormat:               pulumi.String("parquet"),
			HiveCompatiblePartitions: pulumi.Bool(true),
			PerHourPartition:         pulumi.Bool(true),
		},
		Tags: s.childTags(s.name + "-flow-logs-archive"),
	}, s.parent, pulumi.DeleteBeforeReplace(true))
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// flowLogsKeyGrants is what the flow-log key's policy grants besides the account root's administration: the
// regional CloudWatch Logs principal may use it only for the one log group whose ARN is logGroupArn.
func flowLogsKeyGrants(logsPrincipal, logGroupArn string) keyPolicy {
	return keyPolicy{
		{
			Sid:       "CloudWatchLogsUsesKeyForThisLogGroupOnly",
			Effect:    allow,
			Principal: servicePrincipal(logsPrincipal),
			Action:    action("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"),
			Resource:  resource("*"),
			Condition: conditions{"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": logGroupArn}},
		},
	}
}

// flowLogsTrustPolicy lets only the VPC Flow Logs service assume the role, and only on behalf of flow logs in
// this account (confused-deputy protection). A trust statement has no Resource: IAM refuses the field there.
func flowLogsTrustPolicy(accountID, sourceArnPattern string) trustPolicy {
	return trustPolicy{{
		Sid:       "VpcFlowLogsOfThisAccountOnly",
		Effect:    allow,
		Principal: servicePrincipal("vpc-flow-logs.amazonaws.com"),
		Action:    action("sts:AssumeRole"),
		Condition: conditions{
			"StringEquals": {"aws:SourceAccount": accountID},
			"ArnLike":      {"aws:SourceArn": sourceArnPattern},
		},
	}}
}

// flowLogsRolePolicy lets the role write streams and events into one log group. DescribeLogGroups is a list
// call without resource-level permissions, so it gets its own statement on describeGroupsArn, which must be "*".
// No CreateLogGroup (the group is ours, created here) and no KMS actions (the service uses the key through the
// key policy).
func flowLogsRolePolicy(logGroupArn, describeGroupsArn string) identityPolicy {
	return identityPolicy{
		{
			Sid:      "WriteThisLogGroupOnly",
			Effect:   allow,
			Action:   action("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"),
			Resource: resource(logGroupArn, logGroupArn+":*"),
		},
		{
			Sid:      "FindLogGroup",
			Effect:   allow,
			Action:   action("logs:DescribeLogGroups"),
			Resource: resource(describeGroupsArn),
		},
	}
}
