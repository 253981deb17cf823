package components

import (
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// CloudWatchRetentionDays are the only retention periods CloudWatch Logs accepts.
var CloudWatchRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
	2192, 2557, 2922, 3288, 3653}

const (
	// DefaultFlowLogRetentionDays keeps flow logs a year: PCI DSS 10.5.1 asks for 12 months of audit history
	// and it is the floor for FINRA 4511-style record keeping reviews.
	DefaultFlowLogRetentionDays = 365
	// DefaultFlowLogAggregationSeconds gives one-minute records, the finest AWS offers, for incident response.
	DefaultFlowLogAggregationSeconds = 60
)

// FlowLogFormat is the default record format plus the version 5 fields that tell where a packet really came from
// and went (pkt-srcaddr, pkt-dstaddr behind NAT), its direction and path, and which subnet and instance saw it.
const FlowLogFormat = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} " +
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
}

var logGroupNamePattern = regexp.MustCompile(`^[A-Za-z0-9_\-/.#]{1,512}$`)

// Validate reports every problem with the arguments at once.
func (a *FlowLogsArgs) Validate() error {
	p := problems{component: "FlowLogs"}
	if a.VpcId == nil {
		p.add("VpcId", "is required")
	} else if s, ok := a.VpcId.(pulumi.String); ok && s == "" {
		p.add("VpcId", "must not be empty")
	}
	if a.LogGroupName != "" && !logGroupNamePattern.MatchString(a.LogGroupName) {
		p.add("LogGroupName", "%q must be 1-512 letters, digits or _ - / . #", a.LogGroupName)
	}
	if a.RetentionInDays != 0 {
		if !containsInt(CloudWatchRetentionDays, a.RetentionInDays) {
			p.add("RetentionInDays", "%d is not accepted by CloudWatch Logs; use one of %v",
				a.RetentionInDays, CloudWatchRetentionDays)
		} else if a.RetentionInDays < DefaultFlowLogRetentionDays && !a.AllowShortRetention {
			p.add("RetentionInDays", "%d is below the %d-day minimum; set AllowShortRetention to accept it",
				a.RetentionInDays, DefaultFlowLogRetentionDays)
		}
	}
	if a.MaxAggregationInterval != 0 && a.MaxAggregationInterval != 60 && a.MaxAggregationInterval != 600 {
		p.add("MaxAggregationInterval", "%d is not allowed; use 60 or 600 (seconds)", a.MaxAggregationInterval)
	}
	return p.err()
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// FlowLogs sends every packet decision of a VPC to an encrypted, year-long CloudWatch log group, written by a
// role that can do nothing else.
type FlowLogs struct {
	pulumi.ResourceState

	KeyArn       pulumi.StringOutput `pulumi:"keyArn"`
	KeyAlias     pulumi.StringOutput `pulumi:"keyAlias"`
	LogGroupName pulumi.StringOutput `pulumi:"logGroupName"`
	LogGroupArn  pulumi.StringOutput `pulumi:"logGroupArn"`
	RoleArn      pulumi.StringOutput `pulumi:"roleArn"`
	FlowLogId    pulumi.StringOutput `pulumi:"flowLogId"`
}

// FlowLogsType is the FlowLogs type token.
const FlowLogsType = "aws-foundation:components:FlowLogs"

// NewFlowLogs validates args, looks up the account, then creates the key, log group, role and flow log.
func NewFlowLogs(ctx *pulumi.Context, name string, args *FlowLogsArgs, opts ...pulumi.ResourceOption) (*FlowLogs, error) {
	if args == nil {
		args = &FlowLogsArgs{}
	}
	if err := args.Validate(); err != nil {
		return nil, fmt.Errorf("flow logs %q: %w", name, err)
	}
	groupName := args.LogGroupName
	if groupName == "" {
		groupName = fmt.Sprintf("/aws/vpc-flow-logs/%s/%s/%s", ctx.Project(), ctx.Stack(), name)
	}
	retention := orDefault(args.RetentionInDays, DefaultFlowLogRetentionDays)
	interval := orDefault(args.MaxAggregationInterval, DefaultFlowLogAggregationSeconds)
	acct, err := lookupAccount(ctx)
	if err != nil {
		return nil, fmt.Errorf("flow logs %q: %w", name, err)
	}

	c := &FlowLogs{}
	if err := ctx.RegisterComponentResource(FlowLogsType, name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	wrap := func(step string, err error) error { return fmt.Errorf("flow logs %q: %s: %w", name, step, err) }

	// The key policy names the log group's ARN before the group exists (the group needs the key first), so the
	// ARN is built from the deterministic name.
	groupArn := acct.arn("logs", acct.Region, acct.ID, "log-group:"+groupName)
	keyPolicy, err := flowLogsKeyPolicy(acct.rootArn(), acct.regionalServicePrincipal("logs"), groupArn).JSON()
	if err != nil {
		return nil, wrap("render key policy", err)
	}
	key, alias, err := newCustomerKey(ctx, name+"-flow-logs",
		fmt.Sprintf("Encrypts VPC flow logs in %s", groupName),
		fmt.Sprintf("alias/%s/%s/%s-flow-logs", ctx.Project(), ctx.Stack(), name),
		keyPolicy, parent)
	if err != nil {
		return nil, wrap("create kms key", err)
	}

	// DependsOn makes the ordering explicit: CreateLogGroup fails with AccessDeniedException if the key policy
	// that admits CloudWatch Logs is not in place yet.
	group, err := cloudwatch.NewLogGroup(ctx, name+"-flow-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(groupName),
		RetentionInDays: pulumi.Int(retention),
		KmsKeyId:        key.Arn,
		Tags:            nameTags(name + "-flow-logs"),
	}, parent, pulumi.DependsOn([]pulumi.Resource{key}))
	if err != nil {
		return nil, wrap("create log group", err)
	}

	trust, err := flowLogsTrustPolicy(acct.ID, acct.arn("ec2", acct.Region, acct.ID, "vpc-flow-log/*")).JSON()
	if err != nil {
		return nil, wrap("render trust policy", err)
	}
	role, err := iam.NewRole(ctx, name+"-flow-logs", &iam.RoleArgs{
		Description:      pulumi.String(fmt.Sprintf("Delivers VPC flow logs to %s; nothing else", groupName)),
		AssumeRolePolicy: pulumi.String(trust),
		Tags:             nameTags(name + "-flow-logs"),
	}, parent)
	if err != nil {
		return nil, wrap("create role", err)
	}
	describeGroups := acct.arn("logs", acct.Region, acct.ID, "log-group:*")
	rolePolicy, err := iam.NewRolePolicy(ctx, name+"-flow-logs", &iam.RolePolicyArgs{
		Role: role.ID(),
		Policy: group.Arn.ApplyT(func(arn string) (string, error) {
			return flowLogsRolePolicy(arn, describeGroups).JSON()
		}).(pulumi.StringOutput),
	}, parent)
	if err != nil {
		return nil, wrap("create role policy", err)
	}

	flowLog, err := ec2.NewFlowLog(ctx, name, &ec2.FlowLogArgs{
		VpcId:                  args.VpcId,
		TrafficType:            pulumi.String("ALL"),
		LogDestinationType:     pulumi.String("cloud-watch-logs"),
		LogDestination:         group.Arn,
		IamRoleArn:             role.Arn,
		MaxAggregationInterval: pulumi.Int(interval),
		LogFormat:              pulumi.String(FlowLogFormat),
		Tags:                   nameTags(name + "-flow-logs"),
	}, parent, pulumi.DependsOn([]pulumi.Resource{rolePolicy}))
	if err != nil {
		return nil, wrap("create flow log", err)
	}

	c.KeyArn = key.Arn
	c.KeyAlias = alias.Name
	c.LogGroupName = group.Name
	c.LogGroupArn = group.Arn
	c.RoleArn = role.Arn
	c.FlowLogId = flowLog.ID().ToStringOutput()
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"keyArn":       c.KeyArn,
		"keyAlias":     c.KeyAlias,
		"logGroupName": c.LogGroupName,
		"logGroupArn":  c.LogGroupArn,
		"roleArn":      c.RoleArn,
		"flowLogId":    c.FlowLogId,
	})
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// flowLogsKeyPolicy is the flow-log key's policy: the account root administers it, and the regional CloudWatch
// Logs principal may use it only for the one log group whose ARN is logGroupArn.
func flowLogsKeyPolicy(rootArn, logsPrincipal, logGroupArn string) keyPolicy {
	return keyPolicy{
		rootAdminStatement(rootArn),
		{
			Sid:       "CloudWatchLogsUsesKeyForThisLogGroupOnly",
			Effect:    allow,
			Principal: servicePrincipal(logsPrincipal),
			Action:    action("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"),
			Resource:  resource("*"),
			Condition: Conditions{"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": logGroupArn}},
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
		Condition: Conditions{
			"StringEquals": {"aws:SourceAccount": accountID},
			"ArnLike":      {"aws:SourceArn": sourceArnPattern},
		},
	}}
}

// flowLogsRolePolicy lets the role write streams and events into one log group. DescribeLogGroups is a list
// call that IAM cannot narrow to one group, so it gets its own statement, limited to this account and region.
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
