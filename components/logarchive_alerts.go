package components

// The LogArchive's watch (the component's second file): what tells a person that the archive's protections are
// being tested, or that its copy into the vault fails. Locked records cannot be erased whatever happens; what an
// administrator who takes over a role can still do is change the archive for the records to come, and that must
// not go unseen.
//
//   - S3 Replication metrics on the inbox's rule, and an alarm on OperationsFailedReplication: a delivery that
//     does not reach the vault expires from the inbox after InboxExpirationDays.
//   - EventBridge rules on every call, allowed or refused, that changes the buckets' configuration, deletes,
//     disables or re-policies the key, or writes to the archive's roles; on every session of the break-glass role;
//     and on any call that stops, deletes or narrows a trail. EventBridge sees API calls only through CloudTrail:
//     the account needs a trail that logs management events (AWS's EventBridge docs); an organization trail is
//     one. IAM delivers its events to one region per partition (GlobalEventsRegion), and STS sessions and trail
//     changes may be logged there too: in any other region, rules there forward them to this region's default
//     event bus.
//   - One SNS topic, encrypted with a key of its own, that the alarm and the rules publish to. AlertEmails
//     subscribe to it.

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ReplicationRuleID is the id of the inbox's replication rule: the RuleId dimension of its replication metrics.
const ReplicationRuleID = "inbox-to-vault"

// ReplicationFailureAlarmPeriodSeconds is the period over which the replication alarm sums failed operations: five
// minutes, so a failure is reported within minutes, long before the inbox expires the only copy.
const ReplicationFailureAlarmPeriodSeconds = 300

// GlobalEventsRegion is where IAM, a global service, delivers its events to EventBridge, by the first part of a
// region's name: us-east-1 for the commercial partition (AWS's EventBridge docs). The GovCloud (US) and China
// entries are IAM's home regions there, NOT CONFIRMED by EventBridge's documentation.
func GlobalEventsRegion(region string) string {
	switch {
	case strings.HasPrefix(region, "us-gov-"):
		return "us-gov-west-1"
	case strings.HasPrefix(region, "cn-"):
		return "cn-north-1"
	}
	return "us-east-1"
}

var emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// validateAlerts adds the alert arguments' problems to p.
func (a *LogArchiveArgs) validateAlerts(p *problems) {
	seen := map[string]bool{}
	for _, e := range a.AlertEmails {
		switch {
		case !emailPattern.MatchString(e):
			p.add("AlertEmails", "%q is not an email address", e)
		case seen[strings.ToLower(e)]:
			p.add("AlertEmails", "%q is listed twice", e)
		}
		seen[strings.ToLower(e)] = true
	}
}

// preflightAlerts adds what only the region reveals: a region whose IAM events arrive elsewhere needs a provider
// there.
func (a *LogArchiveArgs) preflightAlerts(p *problems, acct account) {
	if GlobalEventsRegion(acct.Region) != acct.Region && a.GlobalEventsProvider == nil {
		p.add("GlobalEventsProvider", "is required in %s: IAM delivers its events to %s only, where a rule forwards them "+
			"(the logArchive stack creates this provider)", acct.Region, GlobalEventsRegion(acct.Region))
	}
}

// The suffixes of the archive's fixed names (after LogArchiveNamePrefix and a hyphen).
const (
	replicationSuffix = "replication"        // the replication role
	forwardSuffix     = "forward"            // the forwarding role, and each forwarding rule after its watch's name
	alertsSuffix      = "alerts"             // the topic
	alarmSuffix       = "replication-failed" // the replication alarm
)

// archiveName is one of the archive's fixed names: LogArchiveNamePrefix, then the suffixes joined by hyphens.
func archiveName(s scope, suffixes ...string) string {
	return strings.Join(append([]string{LogArchiveNamePrefix(s.ctx.Project(), s.name)}, suffixes...), "-")
}

// checkArchiveNameLengths refuses a project and component name that make a fixed name too long for its service:
// an IAM role or an EventBridge rule (64 characters), an SNS topic (256) or an alarm (255).
func checkArchiveNameLengths(project, name string) error {
	prefix := LogArchiveNamePrefix(project, name) + "-"
	names := map[string]int{prefix + replicationSuffix: 64, prefix + forwardSuffix: 64, prefix + alertsSuffix: 256,
		prefix + alarmSuffix: 255}
	for _, w := range archiveWatches(LogArchiveArgs{}, LogArchiveNamePrefix(project, name)) {
		names[prefix+w.name+"-"+forwardSuffix] = 64
	}
	for _, n := range slices.Sorted(maps.Keys(names)) {
		if limit := names[n]; len(n) > limit {
			return fmt.Errorf("name %q is longer than %d characters: shorten the project or the component's name", n, limit)
		}
	}
	return nil
}

// archiveAlerts creates the topic, the replication alarm and the rules, and returns the topic's ARN.
func archiveAlerts(s scope, acct account, a LogArchiveArgs, key *kms.Key, keep []pulumi.ResourceOption) (pulumi.StringOutput, error) {
	topic, err := alertsTopic(s, acct, a, keep)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("topic: %w", err)
	}
	for _, email := range a.AlertEmails {
		if _, err := sns.NewTopicSubscription(s.ctx, s.name+"-alerts-"+email, &sns.TopicSubscriptionArgs{
			Topic: topic.Arn, Protocol: pulumi.String("email"), Endpoint: pulumi.String(email),
		}, keep...); err != nil {
			return pulumi.StringOutput{}, fmt.Errorf("subscribe %s: %w", email, err)
		}
	}
	alarm, err := replicationAlarm(s, a, topic, keep)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("replication alarm: %w", err)
	}
	publishers := pulumi.StringArray{alarm.Arn}
	for _, w := range archiveWatches(a, LogArchiveNamePrefix(s.ctx.Project(), s.name)) {
		rule, err := watchRule(s, acct, w, key, topic, keep)
		if err != nil {
			return pulumi.StringOutput{}, fmt.Errorf("rule %s: %w", w.name, err)
		}
		publishers = append(publishers, rule.Arn)
	}
	if region := GlobalEventsRegion(acct.Region); region != acct.Region {
		if err := forwardGlobalEvents(s, acct, a, keep); err != nil {
			return pulumi.StringOutput{}, fmt.Errorf("forward %s events: %w", region, err)
		}
	}
	if err := alertsTopicPolicy(s, acct, topic, publishers, keep); err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("topic policy: %w", err)
	}
	return topic.Arn, nil
}

// alertsTopic creates the topic, encrypted with a key of its own. CloudWatch alarms and EventBridge can publish to
// an encrypted topic only if its key's policy lets their service principals generate data keys and decrypt (SNS
// docs); AWS documents no source condition for those calls, so that grant goes on this key and never on the
// archive's. The key carries the archive key's break-glass denies: disabling it would silence every alert.
func alertsTopic(s scope, acct account, a LogArchiveArgs, keep []pulumi.ResourceOption) (*sns.Topic, error) {
	key, _, err := newCustomerKey(s.ctx, s.name+"-alerts", customerKey{
		description: "Encrypts the log archive's alerts topic",
		alias:       archiveKeyAlias(s) + "-" + alertsSuffix,
		rootArn:     acct.rootArn(),
		grants: append(breakGlassKeyStatements(a.BreakGlassPrincipalArn), resourceStatement{
			Sid: "AlarmsAndRulesPublishEncrypted", Effect: allow,
			Principal: servicePrincipal("cloudwatch.amazonaws.com", "events.amazonaws.com"),
			Action:    action("kms:GenerateDataKey*", "kms:Decrypt"), Resource: resource("*")}),
		tags: s.childTags(s.name + "-alerts"),
	}, keep...)
	if err != nil {
		return nil, err
	}
	return sns.NewTopic(s.ctx, s.name+"-alerts", &sns.TopicArgs{
		Name:           pulumi.String(archiveName(s, alertsSuffix)),
		KmsMasterKeyId: key.Arn,
		Tags:           s.childTags(s.name + "-alerts"),
	}, keep...)
}

// replicationAlarm alarms as soon as one replication of the inbox into the vault fails in a period, and reports
// when it recovers. Periods without failures publish no data point: missing data is not breaching.
func replicationAlarm(s scope, a LogArchiveArgs, topic *sns.Topic, keep []pulumi.ResourceOption) (*cloudwatch.MetricAlarm, error) {
	return cloudwatch.NewMetricAlarm(s.ctx, s.name+"-replication-failed", &cloudwatch.MetricAlarmArgs{
		Name: pulumi.String(archiveName(s, alarmSuffix)),
		AlarmDescription: pulumi.Sprintf("A log delivery failed to replicate from %s into the vault %s: it expires from the "+
			"inbox after %d days. See the failure reason in S3 Replication's event notifications or a Batch Replication report.",
			a.InboxBucketName, a.VaultBucketName, InboxExpirationDays),
		Namespace:  pulumi.String("AWS/S3"),
		MetricName: pulumi.String("OperationsFailedReplication"),
		Dimensions: pulumi.StringMap{
			"SourceBucket":      pulumi.String(a.InboxBucketName),
			"DestinationBucket": pulumi.String(a.VaultBucketName),
			"RuleId":            pulumi.String(ReplicationRuleID),
		},
		Statistic:          pulumi.String("Sum"),
		Period:             pulumi.Int(ReplicationFailureAlarmPeriodSeconds),
		EvaluationPeriods:  pulumi.Int(1),
		Threshold:          pulumi.Float64(0),
		ComparisonOperator: pulumi.String("GreaterThanThreshold"),
		TreatMissingData:   pulumi.String("notBreaching"),
		AlarmActions:       pulumi.Array{topic.Arn},
		OkActions:          pulumi.Array{topic.Arn},
		Tags:               s.childTags(s.name + "-replication-failed"),
	}, keep...)
}

// watch is one EventBridge rule: CloudTrail's record of calls to one service, narrowed to the archive's resources.
type watch struct {
	name   string         // the rule's suffix
	what   string         // its description
	source string         // the service, as EventBridge names it: aws.s3
	events []string       // CloudTrail event names
	match  map[string]any // the fields of the CloudTrail record (detail) that name the archive's resources
	global bool           // logged in GlobalEventsRegion too (IAM's always; sessions and trail changes served there)
	// readOnly: CloudTrail marks the events read-only (STS's AssumeRole), which a rule matches only in the state
	// ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS (EventBridge's "read-only management events" docs).
	readOnly bool
}

// state is the rule's State.
func (w watch) state() string {
	if w.readOnly {
		return "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
	}
	return "ENABLED"
}

// archiveWatches are the rules: the break-glass-only calls on the buckets and the key, every IAM write to the
// archive's roles, every session of the break-glass role, and any call that stops or narrows a trail of the account
// (every alert depends on one). The key's rule is narrowed to the key when it exists (watchRule). STS logs a session
// in the region that served it, CloudTrail a trail's changes in the trail's home region: the archive's region and
// us-east-1 are watched, other regions are not.
func archiveWatches(a LogArchiveArgs, prefix string) []watch {
	var bucketEvents []string
	for _, c := range archiveBucketCalls {
		bucketEvents = append(bucketEvents, c.events...)
	}
	breakGlassRole := a.BreakGlassPrincipalArn[strings.LastIndex(a.BreakGlassPrincipalArn, "/")+1:]
	return []watch{
		{name: "buckets", what: "Configuration changes, allowed or refused, to the log archive's buckets", source: "aws.s3",
			events: bucketEvents,
			match:  map[string]any{"requestParameters": map[string]any{"bucketName": []string{a.InboxBucketName, a.VaultBucketName}}}},
		{name: "key", what: "Deletion, disabling or policy changes, allowed or refused, of the log archive's key", source: "aws.kms",
			events: withoutPrefix("kms:", archiveKeyBreakGlassActions)},
		{name: "roles", what: "IAM writes, allowed or refused, to the log archive's break-glass, replication and forwarding roles", source: "aws.iam",
			events: withoutPrefix("iam:", LogArchiveRoleWrites()),
			match: map[string]any{"requestParameters": map[string]any{"roleName": []string{breakGlassRole,
				prefix + "-" + replicationSuffix, prefix + "-" + forwardSuffix}}},
			global: true},
		{name: "sessions", what: "Sessions of the log archive's break-glass role", source: "aws.sts",
			events:   []string{"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"},
			match:    map[string]any{"requestParameters": map[string]any{"roleArn": []string{a.BreakGlassPrincipalArn}}},
			global:   true,
			readOnly: true},
		{name: "trails", what: "Calls that stop, delete or narrow a CloudTrail trail, on which every other rule depends",
			source: "aws.cloudtrail", events: []string{"StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors"},
			global: true},
	}
}

// withoutPrefix returns names without prefix: IAM action names as API operation names.
func withoutPrefix(prefix string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.TrimPrefix(n, prefix)
	}
	return out
}

// pattern renders the rule's event pattern; keyNames narrows the key's rule to the archive's key. CloudTrail names
// the key in resources[].ARN, and in requestParameters.keyId as the caller wrote it (id, ARN, alias name or alias
// ARN); a refused call may lack the first, so either matches.
func (w watch) pattern(keyNames ...string) (string, error) {
	detail := map[string]any{"eventSource": []string{strings.TrimPrefix(w.source, "aws.") + ".amazonaws.com"}, "eventName": w.events}
	for k, v := range w.match {
		detail[k] = v
	}
	if w.source == "aws.kms" {
		detail["$or"] = []any{
			map[string]any{"resources": map[string]any{"ARN": keyNames[:1]}},
			map[string]any{"requestParameters": map[string]any{"keyId": keyNames}},
		}
	}
	b, err := json.Marshal(map[string]any{"source": []string{w.source}, "detail-type": []string{"AWS API Call via CloudTrail"},
		"detail": detail})
	return string(b), err
}

// watchRule creates a rule on this region's default event bus and its target, the topic. A global watch's events
// reach it here either directly (in GlobalEventsRegion) or forwarded by forwardGlobalEvents.
func watchRule(s scope, acct account, w watch, key *kms.Key, topic *sns.Topic, keep []pulumi.ResourceOption) (*cloudwatch.EventRule, error) {
	alias := archiveKeyAlias(s)
	rule, err := cloudwatch.NewEventRule(s.ctx, s.name+"-"+w.name, &cloudwatch.EventRuleArgs{
		Name:        pulumi.String(archiveName(s, w.name)),
		Description: pulumi.String(w.what),
		EventPattern: pulumi.All(key.Arn, key.KeyId).ApplyT(func(v []any) (string, error) {
			return w.pattern(v[0].(string), v[1].(string), alias, acct.arn("kms", acct.Region, acct.ID, alias))
		}).(pulumi.StringOutput),
		State: pulumi.String(w.state()),
		Tags:  s.childTags(s.name + "-" + w.name),
	}, keep...)
	if err != nil {
		return nil, err
	}
	_, err = cloudwatch.NewEventTarget(s.ctx, s.name+"-"+w.name, &cloudwatch.EventTargetArgs{
		Rule: rule.Name, Arn: topic.Arn,
	}, keep...)
	return rule, err
}

// forwardGlobalEvents creates, in GlobalEventsRegion, a rule with the global watches' patterns whose target is
// this region's default event bus, and the role EventBridge uses to put the events there (a cross-region bus
// target needs one).
func forwardGlobalEvents(s scope, acct account, a LogArchiveArgs, keep []pulumi.ResourceOption) error {
	bus := acct.arn("events", acct.Region, acct.ID, "event-bus/default")
	trust, err := trustPolicy{{Sid: "EventBridgeForwardsThisAccountsEvents", Effect: allow,
		Principal: servicePrincipal("events.amazonaws.com"), Action: action("sts:AssumeRole"),
		Condition: conditions{"StringEquals": {"aws:SourceAccount": acct.ID}}}}.JSON()
	if err != nil {
		return fmt.Errorf("render trust policy: %w", err)
	}
	role, err := iam.NewRole(s.ctx, s.name+"-forward", &iam.RoleArgs{
		Name:             pulumi.String(archiveName(s, forwardSuffix)),
		Description:      pulumi.Sprintf("EventBridge forwards IAM, STS and CloudTrail events from %s to %s; nothing else", GlobalEventsRegion(acct.Region), acct.Region),
		AssumeRolePolicy: pulumi.String(trust),
		Tags:             s.childTags(s.name + "-forward"),
	}, keep...)
	if err != nil {
		return err
	}
	put, err := identityPolicy{{Sid: "PutEventsOnTheArchiveRegionsBus", Effect: allow, Action: action("events:PutEvents"),
		Resource: resource(bus)}}.JSON()
	if err != nil {
		return fmt.Errorf("render role policy: %w", err)
	}
	rolePolicy, err := iam.NewRolePolicy(s.ctx, s.name+"-forward", &iam.RolePolicyArgs{Role: role.ID(), Policy: pulumi.String(put)}, keep...)
	if err != nil {
		return err
	}
	global := slices.Concat(keep, []pulumi.ResourceOption{pulumi.Provider(a.GlobalEventsProvider)})
	for _, w := range archiveWatches(a, LogArchiveNamePrefix(s.ctx.Project(), s.name)) {
		if !w.global {
			continue
		}
		pattern, err := w.pattern()
		if err != nil {
			return err
		}
		rule, err := cloudwatch.NewEventRule(s.ctx, s.name+"-"+w.name+"-forward", &cloudwatch.EventRuleArgs{
			Name:         pulumi.String(archiveName(s, w.name, forwardSuffix)),
			Description:  pulumi.Sprintf("%s, forwarded to %s", w.what, acct.Region),
			EventPattern: pulumi.String(pattern),
			State:        pulumi.String(w.state()),
			Tags:         s.childTags(s.name + "-" + w.name + "-forward"),
		}, global...)
		if err != nil {
			return err
		}
		if _, err := cloudwatch.NewEventTarget(s.ctx, s.name+"-"+w.name+"-forward", &cloudwatch.EventTargetArgs{
			Rule: rule.Name, Arn: pulumi.String(bus), RoleArn: role.Arn,
		}, slices.Concat(global, []pulumi.ResourceOption{pulumi.DependsOn([]pulumi.Resource{rolePolicy})})...); err != nil {
			return err
		}
	}
	return nil
}

// alertsTopicPolicy lets the alarm and the rules, of this account, publish: each by its ARN (aws:SourceArn, which
// CloudWatch and EventBridge present to SNS). Principals of the account publish through IAM.
func alertsTopicPolicy(s scope, acct account, topic *sns.Topic, publishers pulumi.StringArray, keep []pulumi.ResourceOption) error {
	policy := pulumi.All(topic.Arn, publishers.ToStringArrayOutput()).ApplyT(func(v []any) (string, error) {
		sources := v[1].([]string)
		return resourcePolicy{{Sid: "ArchiveAlarmAndRulesPublish", Effect: allow,
			Principal: servicePrincipal("cloudwatch.amazonaws.com", "events.amazonaws.com"), Action: action("sns:Publish"),
			Resource: resource(v[0].(string)),
			Condition: conditions{"StringEquals": {"aws:SourceAccount": acct.ID},
				"ArnEquals": {"aws:SourceArn": stringOrList(sources)}}}}.JSON()
	}).(pulumi.StringOutput)
	_, err := sns.NewTopicPolicy(s.ctx, s.name+"-alerts", &sns.TopicPolicyArgs{Arn: topic.Arn, Policy: policy}, keep...)
	return err
}
