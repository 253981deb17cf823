package stacks

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/aws-foundation/aws-foundation/components"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// Kind says which components a stack composes. It is set per stack with the stackKind config key, so the
// composition is decided by configuration in one place, never by matching stack names.
type Kind string

const (
	// KindEnvironment composes Network and FlowLogs: every environment's VPC is logged, with no switch to
	// turn that off.
	KindEnvironment Kind = "environment"
	// KindBootstrap composes StateBackend only: the state infrastructure every other stack keeps its state in.
	KindBootstrap Kind = "bootstrap"
	// KindLogArchive composes LogArchive only: the write-once archive environments may deliver flow logs to,
	// deployed by a person like the bootstrap stack.
	KindLogArchive Kind = "logArchive"
)

// Setting is one project config key. Settings is the single source of defaults: the program applies them when
// a key is unset (mocks and `pulumi` without the project file do not), and a test checks Pulumi.yaml's typed
// config block against this table.
type Setting struct {
	Key         string // without the project namespace
	Type        string // Pulumi.yaml type: string, integer, boolean or array (of strings or of integers)
	Default     any    // string, int, bool, []string or []int (the array's item type)
	Description string
	// Arg is the component argument the key feeds, as "Component.Field", so validation errors name the key.
	Arg string
}

// Rename is a config key that was renamed to give it the polarity of the argument it sets: the new key means the
// opposite of the old one. Pulumi.yaml no longer declares the old key; the CLI hands a key it does not declare to
// the program as it is (and a declared key without a default would be required), and the program refuses it,
// naming the new key, before anything is registered.
type Rename struct{ Old, New string }

// Renamed lists the renamed keys.
var Renamed = []Rename{
	{Old: "s3EndpointAwsServiceBuckets", New: "s3EndpointNoAwsServiceBuckets"},
	{Old: "flowLogsRetainOnDelete", New: "flowLogsDeleteWithStack"},
}

// opposite is the value of a renamed boolean key under its new name.
func opposite(v string) string {
	if b, err := strconv.ParseBool(v); err == nil {
		return strconv.FormatBool(!b)
	}
	return "true or false, the opposite of " + strconv.Quote(v)
}

// Settings lists every project config key.
var Settings = []Setting{
	{"stackKind", "string", string(KindEnvironment),
		"What the stack builds: environment (Network + FlowLogs), bootstrap (StateBackend) or logArchive (LogArchive).", ""},
	{"vpcCidr", "string", components.DefaultVpcCidr,
		"VPC IPv4 CIDR: private (RFC 1918), /16 to /24.", "Network.VpcCidr"},
	{"availabilityZones", "array", []string{},
		"Exactly 3 AZ names; empty looks up the region's first 3 available AZs (sorted).", "Network.AvailabilityZones"},
	{"natStrategy", "string", string(components.NatSingle),
		"single (one NAT, ~$36/month), onePerAz (~$108/month, survives an AZ loss) or none.", "Network.NatStrategy"},
	{"s3EndpointExtraBucketArns", "array", []string{},
		"Exact bucket ARNs outside the account that the S3 endpoint may read (no wildcards).",
		"Network.S3EndpointExtraBucketArns"},
	{"s3EndpointNoAwsServiceBuckets", "boolean", false,
		"Keep the S3 endpoint from reading the AWS-owned buckets of ECR, Amazon Linux 2/2023 repos and SSM Agent in the region.",
		"Network.NoAwsServiceBuckets"},
	{"publicIngressPorts", "array", components.DefaultPublicIngressPorts(),
		"TCP ports the public subnets admit from the internet; 1-65535, never 22 or 3389; may be empty.",
		"Network.PublicIngressPorts"},
	{"flowLogsRetentionDays", "integer", components.DefaultFlowLogRetentionDays,
		"Flow-log retention in days: a CloudWatch Logs value, at least 365 unless flowLogsAllowShortRetention.",
		"FlowLogs.RetentionInDays"},
	{"flowLogsAllowShortRetention", "boolean", false,
		"Allow flowLogsRetentionDays below 365 (throw-away environments only).", "FlowLogs.AllowShortRetention"},
	{"flowLogsAggregationInterval", "integer", components.DefaultFlowLogAggregationSeconds,
		"Flow-log aggregation interval in seconds: 60 or 600.", "FlowLogs.MaxAggregationInterval"},
	{"flowLogsDeleteWithStack", "boolean", false,
		"Delete the flow-log group, its key and alias when the stack is destroyed (true only for throw-away stacks).",
		"FlowLogs.DeleteWithStack"},
	{"flowLogsPermissionsBoundary", "string", "",
		"Permissions boundary of the flow-log role: a managed policy name or ARN; empty for none.",
		"FlowLogs.PermissionsBoundaryArn"},
	{"flowLogsArchiveBucketArn", "string", "",
		"Also deliver flow logs (Parquet, hourly) to this bucket: a log-archive stack's inboxBucketArn; empty for none.",
		"FlowLogs.ArchiveBucketArn"},
	{"stateBucketName", "string", "",
		"State bucket name; empty derives <project>-state-<account>-<region>. 3-63 of a-z, 0-9, '-'.",
		"StateBackend.BucketName"},
	{"stateLogBucketName", "string", "",
		"Access-log bucket name; empty derives <stateBucketName>-logs.", "StateBackend.LogBucketName"},
	{"stateLockTableName", "string", "",
		"DynamoDB lock table (Terraform/OpenTofu users); empty derives <project>-state-lock.",
		"StateBackend.LockTableName"},
	{"stateNoncurrentVersionDays", "integer", components.DefaultNoncurrentVersionDays,
		"Days an overwritten state version is kept; positive.", "StateBackend.NoncurrentVersionDays"},
	{"stateNoncurrentVersionsToKeep", "integer", components.DefaultNoncurrentVersionsToKeep,
		"Newest noncurrent state versions kept regardless of age; 1 to 100.", "StateBackend.NoncurrentVersionsToKeep"},
	{"stateAccessLogDays", "integer", components.DefaultAccessLogDays,
		"Days the state bucket's access logs are kept; positive.", "StateBackend.AccessLogDays"},
	{"logArchiveVaultBucketName", "string", "",
		"Object Lock bucket name; empty derives <project>-log-archive-<account>-<region>.", "LogArchive.VaultBucketName"},
	{"logArchiveInboxBucketName", "string", "",
		"Delivery (inbox) bucket name; empty derives <project>-log-inbox-<account>-<region>.", "LogArchive.InboxBucketName"},
	{"logArchiveSourceAccountIds", "array", []string{},
		"12-digit accounts whose log deliveries may write; empty with no org: the archive's own account.",
		"LogArchive.SourceAccountIds"},
	{"logArchiveSourceOrgId", "string", "",
		"Organization (o-...) whose accounts' log deliveries may write; empty for none.", "LogArchive.SourceOrgId"},
	{"logArchiveRetentionDays", "integer", components.DefaultArchiveRetentionDays,
		"Object Lock default retention in days: 365 to 36500. COMPLIANCE cannot be shortened by anyone.",
		"LogArchive.RetentionDays"},
	{"logArchiveGovernanceModeForTestAccountsOnly", "boolean", false,
		"GOVERNANCE instead of COMPLIANCE retention (test accounts only: it can be bypassed).",
		"LogArchive.GovernanceModeForTestAccountsOnly"},
	{"logArchiveBreakGlassPrincipalArn", "string", "",
		"Required for logArchive: the one IAM role ARN of the account that may change the archive's policies and lifecycle.",
		"LogArchive.BreakGlassPrincipalArn"},
	{"logArchiveColdStorageAfterDays", "integer", components.DefaultColdStorageAfterDays,
		"Days before archived logs move to S3 Glacier Deep Archive; less than the retention.",
		"LogArchive.ColdStorageAfterDays"},
	{"logArchiveAlertEmails", "array", []string{},
		"Email addresses subscribed to the archive's alerts (each confirms AWS's email); empty for none.",
		"LogArchive.AlertEmails"},
}

// Config is a stack's loaded configuration: the kind, and the arguments of each component it composes.
type Config struct {
	Kind         Kind
	Network      components.NetworkArgs
	FlowLogs     components.FlowLogsArgs // VpcId is filled in from the Network when composing
	StateBackend components.StateBackendArgs
	LogArchive   components.LogArchiveArgs
}

// validator is implemented by every component's Args.
type validator interface{ Validate() error }

// validatorFunc makes a validation method a validator.
type validatorFunc func() error

func (f validatorFunc) Validate() error { return f() }

// LoadConfig reads, defaults and validates the stack's configuration. It returns one error listing every
// problem, each naming its config key, and registers nothing.
func LoadConfig(ctx *pulumi.Context) (*Config, error) {
	l := &loader{cfg: config.New(ctx, ""), project: ctx.Project()}
	for _, r := range Renamed {
		if v, err := l.cfg.Try(r.Old); err == nil {
			l.problem(r.Old, "was renamed %s, which means the opposite: write %s:%s: %s instead", r.New, l.project, r.New, opposite(v))
		}
	}
	c := &Config{
		Kind: Kind(l.str("stackKind")),
		Network: components.NetworkArgs{
			VpcCidr:                   l.str("vpcCidr"),
			AvailabilityZones:         l.strs("availabilityZones"),
			NatStrategy:               components.NatStrategy(l.str("natStrategy")),
			S3EndpointExtraBucketArns: l.strs("s3EndpointExtraBucketArns"),
			NoAwsServiceBuckets:       l.boolean("s3EndpointNoAwsServiceBuckets"),
			PublicIngressPorts:        l.ints("publicIngressPorts"),
		},
		FlowLogs: components.FlowLogsArgs{
			RetentionInDays:        l.integer("flowLogsRetentionDays"),
			AllowShortRetention:    l.boolean("flowLogsAllowShortRetention"),
			MaxAggregationInterval: l.integer("flowLogsAggregationInterval"),
			DeleteWithStack:        l.boolean("flowLogsDeleteWithStack"),
			PermissionsBoundaryArn: l.str("flowLogsPermissionsBoundary"),
			ArchiveBucketArn:       l.str("flowLogsArchiveBucketArn"),
		},
		StateBackend: components.StateBackendArgs{
			BucketName:               l.str("stateBucketName"),
			LogBucketName:            l.str("stateLogBucketName"),
			LockTableName:            l.str("stateLockTableName"),
			NoncurrentVersionDays:    l.integer("stateNoncurrentVersionDays"),
			NoncurrentVersionsToKeep: l.integer("stateNoncurrentVersionsToKeep"),
			AccessLogDays:            l.integer("stateAccessLogDays"),
		},
		LogArchive: components.LogArchiveArgs{
			VaultBucketName:                   l.str("logArchiveVaultBucketName"),
			InboxBucketName:                   l.str("logArchiveInboxBucketName"),
			SourceAccountIds:                  l.strs("logArchiveSourceAccountIds"),
			SourceOrgId:                       l.str("logArchiveSourceOrgId"),
			RetentionDays:                     l.integer("logArchiveRetentionDays"),
			GovernanceModeForTestAccountsOnly: l.boolean("logArchiveGovernanceModeForTestAccountsOnly"),
			BreakGlassPrincipalArn:            l.str("logArchiveBreakGlassPrincipalArn"),
			ColdStorageAfterDays:              l.integer("logArchiveColdStorageAfterDays"),
			AlertEmails:                       l.strs("logArchiveAlertEmails"),
		},
	}
	var toCheck []validator
	switch c.Kind {
	case KindEnvironment:
		// The VPC id comes from the Network at composition: everything else of the flow logs is checked now.
		toCheck = []validator{&c.Network, validatorFunc(c.FlowLogs.ValidateSettings)}
	case KindBootstrap:
		toCheck = []validator{&c.StateBackend}
	case KindLogArchive:
		toCheck = []validator{&c.LogArchive}
	default:
		l.problem("stackKind", "%q is not one of %s, %s, %s", c.Kind, KindEnvironment, KindBootstrap, KindLogArchive)
	}
	for _, v := range toCheck {
		l.addValidation(v.Validate())
	}
	if err := l.err(ctx.Stack(), ""); err != nil {
		return nil, err
	}
	return c, nil
}

// keyed rewrites the *ValidationErrors components return after their lookups (a derived bucket name, a region
// the service-bucket table lacks, a boundary of another account), so that each problem names its config key as
// LoadConfig's errors do. Nothing has been registered at that point either. Any other error passes through.
func keyed(ctx *pulumi.Context, err error) error {
	if err == nil {
		return nil
	}
	l := &loader{project: ctx.Project()}
	var walk func(error) bool
	walk = func(e error) bool {
		if joined, ok := e.(interface{ Unwrap() []error }); ok {
			for _, inner := range joined.Unwrap() {
				if !walk(inner) {
					return false
				}
			}
			return true
		}
		var ve *components.ValidationError
		if !errors.As(e, &ve) {
			return false
		}
		l.addValidation(ve)
		return true
	}
	if !walk(err) {
		return err
	}
	return l.err(ctx.Stack(), " once the account and region are known")
}

// loader reads typed keys with their Settings defaults and collects every problem.
type loader struct {
	cfg      *config.Config
	project  string
	problems []string
}

func setting(key string) Setting {
	for _, s := range Settings {
		if s.Key == key {
			return s
		}
	}
	panic("stacks: config key not in Settings: " + key)
}

// err returns every problem as one error, or nil.
func (l *loader) err(stack, when string) error {
	if len(l.problems) == 0 {
		return nil
	}
	sort.Strings(l.problems)
	return fmt.Errorf("stack %q: invalid configuration%s (%d problems):\n  - %s",
		stack, when, len(l.problems), strings.Join(l.problems, "\n  - "))
}

func (l *loader) problem(key, format string, args ...any) {
	l.problems = append(l.problems, fmt.Sprintf("%s:%s: %s", l.project, key, fmt.Sprintf(format, args...)))
}

func (l *loader) str(key string) string {
	v, err := l.cfg.Try(key)
	if err != nil {
		return setting(key).Default.(string)
	}
	return v
}

func (l *loader) integer(key string) int {
	v, err := l.cfg.TryInt(key)
	if errors.Is(err, config.ErrMissingVar) {
		return setting(key).Default.(int)
	}
	if err != nil {
		l.problem(key, "%q is not an integer", l.cfg.Get(key))
	}
	if err == nil && v == 0 {
		// Zero means "default" to the components; from config it is a mistake, not a request for the default.
		l.problem(key, "0 is not allowed; remove the key to use the default %v", setting(key).Default)
	}
	return v
}

func (l *loader) boolean(key string) bool {
	v, err := l.cfg.TryBool(key)
	if errors.Is(err, config.ErrMissingVar) {
		return setting(key).Default.(bool)
	}
	if err != nil {
		l.problem(key, "%q is not true or false", l.cfg.Get(key))
	}
	return v
}

func (l *loader) strs(key string) []string {
	var v []string
	err := l.cfg.TryObject(key, &v)
	if errors.Is(err, config.ErrMissingVar) {
		return append([]string(nil), setting(key).Default.([]string)...)
	}
	if err != nil {
		l.problem(key, "%q is not a list of strings", l.cfg.Get(key))
	}
	return v
}

func (l *loader) ints(key string) []int {
	var v []int
	err := l.cfg.TryObject(key, &v)
	if errors.Is(err, config.ErrMissingVar) {
		return append([]int(nil), setting(key).Default.([]int)...)
	}
	if err != nil {
		l.problem(key, "%q is not a list of integers", l.cfg.Get(key))
	}
	return v
}

// addValidation turns a component's ValidationError into problems that name config keys.
func (l *loader) addValidation(err error) {
	if err == nil {
		return
	}
	var ve *components.ValidationError
	if !errors.As(err, &ve) {
		l.problems = append(l.problems, err.Error())
		return
	}
	for _, p := range ve.Problems {
		arg := ve.Component + "." + p.Arg
		key := ""
		for _, s := range Settings {
			if s.Arg == arg {
				key = s.Key
			}
		}
		if key == "" {
			l.problems = append(l.problems, fmt.Sprintf("%s: %s", arg, p.Problem))
			continue
		}
		l.problem(key, "%s", p.Problem)
	}
}
