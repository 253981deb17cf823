package tests

// The log archive's watch: the replication alarm, the rules on the archive's buckets, key and roles, and the
// topic they publish to.

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aws-foundation/aws-foundation/components"
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
	"github.com/aws-foundation/aws-foundation/internal/stackrun"
	"github.com/aws-foundation/aws-foundation/stacks"
)

func TestArchiveAlertsTopicIsEncryptedAndOnlyTheArchivesAlarmAndRulesPublish(t *testing.T) {
	t.Parallel()
	res := runLogArchive(t, components.LogArchiveArgs{})
	topic := one(t, res, mockrun.TypeTopic, "archive-alerts")
	alertsKey := one(t, res, mockrun.TypeKmsKey, "archive-alerts")
	assert.Equal(t, alertsKey.Out("arn"), topic.Str("kmsMasterKeyId"), "the topic is encrypted with its own key")
	assert.NotEqual(t, one(t, res, mockrun.TypeKmsKey, "archive-key").Out("arn"), topic.Str("kmsMasterKeyId"),
		"never with the archive's key, whose policy grants no unconditioned service")
	grant := statementBySid(t, policyOf(t, alertsKey, "policy"), "AlarmsAndRulesPublishEncrypted")
	assert.ElementsMatch(t, []string{"Service:cloudwatch.amazonaws.com", "Service:events.amazonaws.com"}, grant.Principals)
	assert.ElementsMatch(t, []string{"kms:GenerateDataKey*", "kms:Decrypt"}, grant.Actions)

	var publishers []string
	for _, typ := range []string{mockrun.TypeMetricAlarm, mockrun.TypeEventRule} {
		for _, r := range res.OfType(typ) {
			publishers = append(publishers, r.Out("arn"))
		}
	}
	require.Len(t, publishers, 6, "the replication alarm and the buckets', key's, roles', sessions' and trails' rules")
	policy := one(t, res, mockrun.TypeTopicPolicy, "archive-alerts")
	assert.Equal(t, topic.Out("arn"), policy.Str("arn"))
	stmts := policyOf(t, policy, "policy")
	require.Len(t, stmts, 1, "one statement: the alarm and the rules publish")
	publish := stmts[0]
	assert.Equal(t, []string{"sns:Publish"}, publish.Actions)
	assert.Equal(t, []string{topic.Out("arn")}, publish.Resources)
	assert.Equal(t, "123456789012", publish.Condition["StringEquals"]["aws:SourceAccount"])
	assert.ElementsMatch(t, publishers, publish.Condition["ArnEquals"]["aws:SourceArn"], "exactly the archive's alarm and rules")
	requireControlsHold(t, res, "AF-SNS-01", "AF-KMS-01", "AF-KMS-02")
}

func TestAFailedReplicationAlarmsWithinMinutesAndReportsRecovery(t *testing.T) {
	t.Parallel()
	res := runLogArchive(t, components.LogArchiveArgs{})
	alarm := one(t, res, mockrun.TypeMetricAlarm, "archive-replication-failed")
	rep := companion(t, res, mockrun.TypeBucketReplication, one(t, res, mockrun.TypeBucket, "archive-inbox"))
	rule := rep.Value("rules").([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{"status": "Enabled"}, rule["destination"].(map[string]any)["metrics"],
		"S3 publishes OperationsFailedReplication only for a rule with metrics enabled")
	assert.Equal(t, "AWS/S3", alarm.Str("namespace"))
	assert.Equal(t, "OperationsFailedReplication", alarm.Str("metricName"))
	assert.Equal(t, map[string]any{"SourceBucket": defaultInbox, "DestinationBucket": defaultVaultOf(t, res),
		"RuleId": rule["id"]}, alarm.Value("dimensions"), "the dimensions S3 publishes the rule's metrics under")
	assert.Equal(t, "Sum", alarm.Str("statistic"))
	assert.EqualValues(t, components.ReplicationFailureAlarmPeriodSeconds, alarm.Value("period"))
	assert.Less(t, components.ReplicationFailureAlarmPeriodSeconds, components.InboxExpirationDays*86400,
		"the alarm reports long before the inbox expires the only copy")
	assert.EqualValues(t, 1, alarm.Value("evaluationPeriods"))
	assert.EqualValues(t, 0, alarm.Value("threshold"))
	assert.Equal(t, "GreaterThanThreshold", alarm.Str("comparisonOperator"), "one failed operation is enough")
	assert.Equal(t, "notBreaching", alarm.Str("treatMissingData"), "S3 publishes no data point while nothing fails")
	topic := one(t, res, mockrun.TypeTopic, "archive-alerts").Out("arn")
	assert.Equal(t, []any{topic}, alarm.Value("alarmActions"))
	assert.Equal(t, []any{topic}, alarm.Value("okActions"))
}

// defaultVaultOf is the vault bucket's name in a run.
func defaultVaultOf(t testing.TB, res *mockrun.Result) string {
	return one(t, res, mockrun.TypeBucket, "archive-vault").Str("bucket")
}

// cloudTrailEvent is what EventBridge receives from CloudTrail for an API call (detail-type "AWS API Call via
// CloudTrail"), with the fields the rules read, as AWS's CloudTrail record reference gives them.
func cloudTrailEvent(service, eventName string, requestParameters map[string]any, resourceArns ...string) map[string]any {
	var resources []any
	for _, arn := range resourceArns {
		resources = append(resources, map[string]any{"ARN": arn, "accountId": "123456789012"})
	}
	detail := map[string]any{"eventSource": service + ".amazonaws.com", "eventName": eventName,
		"requestParameters": requestParameters, "errorCode": "AccessDenied"}
	if resources != nil {
		detail["resources"] = resources
	}
	return map[string]any{"source": "aws." + service, "detail-type": "AWS API Call via CloudTrail", "account": "123456789012",
		"detail": detail}
}

// matchesPattern applies EventBridge's matching to the subset of patterns the rules use: every field of the
// pattern must match; a list of values matches an equal value; an event array matches when any element does; "$or"
// matches when any of its sub-patterns does.
func matchesPattern(pattern, event any) bool {
	switch p := pattern.(type) {
	case map[string]any:
		if arr, ok := event.([]any); ok {
			for _, e := range arr {
				if matchesPattern(p, e) {
					return true
				}
			}
			return false
		}
		e, ok := event.(map[string]any)
		if !ok {
			return false
		}
		for k, pv := range p {
			if k == "$or" { // any of the sub-patterns, each over the same object
				alternatives := pv.([]any)
				if !slices.ContainsFunc(alternatives, func(alt any) bool { return matchesPattern(alt, e) }) {
					return false
				}
				continue
			}
			ev, ok := e[k]
			if !ok || !matchesPattern(pv, ev) {
				return false
			}
		}
		return true
	case []any:
		values := []any{event}
		if arr, ok := event.([]any); ok {
			values = arr
		}
		for _, v := range values {
			for _, want := range p {
				if v == want {
					return true
				}
			}
		}
		return false
	}
	return false
}

// ruleMatches says which of the run's rules (by resource name) match an event.
func ruleMatches(t testing.TB, res *mockrun.Result, event map[string]any) []string {
	t.Helper()
	var out []string
	for _, r := range res.OfType(mockrun.TypeEventRule) {
		var pattern any
		require.NoError(t, json.Unmarshal([]byte(r.Str("eventPattern")), &pattern), "%s", r)
		if matchesPattern(pattern, event) {
			out = append(out, r.Name)
		}
	}
	return out
}

func TestEveryChangeToTheArchivesBucketsKeyAndRolesIsPublishedAllowedOrRefused(t *testing.T) {
	t.Parallel()
	res := runLogArchive(t, components.LogArchiveArgs{})
	vault, inbox := defaultVaultOf(t, res), defaultInbox
	keyArn := one(t, res, mockrun.TypeKmsKey, "archive-key").Out("arn")
	keyID := one(t, res, mockrun.TypeKmsKey, "archive-key").Out("keyId")
	replicationRole := one(t, res, mockrun.TypeRole, "archive-replication").Str("name")
	breakGlassRole := testBreakGlass[strings.LastIndex(testBreakGlass, "/")+1:]
	bucketCall := func(event, bucket string) map[string]any {
		return cloudTrailEvent("s3", event, map[string]any{"bucketName": bucket})
	}
	cases := []struct {
		name  string
		event map[string]any
		want  []string
	}{
		{"a new vault policy", bucketCall("PutBucketPolicy", vault), []string{"archive-buckets"}},
		{"the inbox's replication removed", bucketCall("DeleteBucketReplication", inbox), []string{"archive-buckets"}},
		{"the vault's lifecycle removed", bucketCall("DeleteBucketLifecycle", vault), []string{"archive-buckets"}},
		{"the vault's Object Lock configuration", bucketCall("PutObjectLockConfiguration", vault), []string{"archive-buckets"}},
		{"another bucket's policy", bucketCall("PutBucketPolicy", "some-other-bucket"), nil},
		{"an object written into the vault (a data event, not a configuration change)", bucketCall("PutObject", vault), nil},
		{"the key's deletion", cloudTrailEvent("kms", "ScheduleKeyDeletion", map[string]any{"keyId": "alias/x"}, keyArn),
			[]string{"archive-key"}},
		{"another key's deletion", cloudTrailEvent("kms", "ScheduleKeyDeletion", map[string]any{},
			"arn:aws:kms:us-east-1:123456789012:key/other"), nil},
		{"a refused disabling that names the key by alias only", cloudTrailEvent("kms", "DisableKey",
			map[string]any{"keyId": "alias/aws-foundation/archive"}), []string{"archive-key"}},
		{"a refused policy change that names the key by id only", cloudTrailEvent("kms", "PutKeyPolicy",
			map[string]any{"keyId": keyID}), []string{"archive-key"}},
		{"a session of the break-glass role", cloudTrailEvent("sts", "AssumeRole", map[string]any{"roleArn": testBreakGlass}),
			[]string{"archive-sessions"}},
		{"a session of another role", cloudTrailEvent("sts", "AssumeRole",
			map[string]any{"roleArn": "arn:aws:iam::123456789012:role/app"}), nil},
		{"a federated session of the break-glass role", cloudTrailEvent("sts", "AssumeRoleWithSAML",
			map[string]any{"roleArn": testBreakGlass}), []string{"archive-sessions"}},
		{"any trail stopped", cloudTrailEvent("cloudtrail", "StopLogging", map[string]any{"name": "management-events"}),
			[]string{"archive-trails"}},
		{"any trail's event selectors narrowed", cloudTrailEvent("cloudtrail", "PutEventSelectors",
			map[string]any{"trailName": "management-events"}), []string{"archive-trails"}},
		{"the break-glass role's trust rewritten", cloudTrailEvent("iam", "UpdateAssumeRolePolicy",
			map[string]any{"roleName": breakGlassRole}), []string{"archive-roles"}},
		{"the replication role re-created", cloudTrailEvent("iam", "CreateRole", map[string]any{"roleName": replicationRole}),
			[]string{"archive-roles"}},
		{"another role's trust rewritten", cloudTrailEvent("iam", "UpdateAssumeRolePolicy", map[string]any{"roleName": "app"}), nil},
	}
	for _, c := range cases {
		assert.ElementsMatch(t, c.want, ruleMatches(t, res, c.event), "%s: rules that publish it", c.name)
	}
	// Every break-glass-only call and every role write has its event in a rule.
	for action, events := range components.LogArchiveBreakGlassCallEvents() {
		for _, e := range events {
			assert.Equal(t, []string{"archive-buckets"}, ruleMatches(t, res, bucketCall(e, vault)), "%s (%s) on the vault", e, action)
		}
	}
	for _, action := range components.LogArchiveRoleWrites() {
		event := cloudTrailEvent("iam", strings.TrimPrefix(action, "iam:"), map[string]any{"roleName": breakGlassRole})
		assert.Equal(t, []string{"archive-roles"}, ruleMatches(t, res, event), "%s on the break-glass role", action)
	}
	topic := one(t, res, mockrun.TypeTopic, "archive-alerts").Out("arn")
	for _, r := range res.OfType(mockrun.TypeEventRule) {
		target := one(t, res, mockrun.TypeEventTarget, r.Name)
		assert.Equal(t, topic, target.Str("arn"), "%s publishes to the alerts topic", r)
		assert.Equal(t, r.Out("name"), target.Str("rule"))
		want := "ENABLED"
		if r.Name == "archive-sessions" {
			// CloudTrail marks AssumeRole read-only, which only this state matches (EventBridge docs).
			want = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
		}
		assert.Equal(t, want, r.Str("state"), "%s", r)
	}
}

func TestAnArchiveOutsideUsEast1ForwardsIAMEventsFromThere(t *testing.T) {
	t.Parallel()
	res := runComponent(t, func(ctx *pulumi.Context) error {
		home, err := aws.NewProvider(ctx, "home", &aws.ProviderArgs{Region: pulumi.String("eu-west-1")})
		if err != nil {
			return err
		}
		global, err := aws.NewProvider(ctx, "global", &aws.ProviderArgs{Region: pulumi.String("us-east-1")})
		if err != nil {
			return err
		}
		_, err = components.NewLogArchive(ctx, "archive", &components.LogArchiveArgs{BreakGlassPrincipalArn: testBreakGlass,
			GlobalEventsProvider: global}, pulumi.Provider(home))
		return err
	})
	bus := "arn:aws:events:eu-west-1:123456789012:event-bus/default"
	forward := one(t, res, mockrun.TypeEventRule, "archive-roles-forward")
	assert.Contains(t, forward.Out("arn"), "arn:aws:events:us-east-1:", "IAM delivers its events to us-east-1 only")
	assert.Contains(t, one(t, res, mockrun.TypeEventRule, "archive-roles").Out("arn"), "arn:aws:events:eu-west-1:",
		"where the archive's own rule, its topic and its alarm are")
	assert.JSONEq(t, one(t, res, mockrun.TypeEventRule, "archive-roles").Str("eventPattern"), forward.Str("eventPattern"),
		"the forwarded events are the ones the archive's rule publishes")
	for _, r := range res.OfType(mockrun.TypeEventRule) {
		if !strings.HasSuffix(r.Name, "-forward") {
			assert.NotContains(t, r.Out("arn"), "us-east-1", "only the forwarders of us-east-1's events are there: %s", r)
		}
	}
	assert.Contains(t, one(t, res, mockrun.TypeEventRule, "archive-trails-forward").Out("arn"), "arn:aws:events:us-east-1:",
		"a trail homed in us-east-1 logs its changes there")
	sessions := one(t, res, mockrun.TypeEventRule, "archive-sessions-forward")
	assert.Contains(t, sessions.Out("arn"), "arn:aws:events:us-east-1:", "sessions served in us-east-1 are forwarded too")
	assert.Equal(t, "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS", sessions.Str("state"), "AssumeRole is a read-only event")
	assert.Equal(t, bus, one(t, res, mockrun.TypeEventTarget, "archive-sessions-forward").Str("arn"))
	target := one(t, res, mockrun.TypeEventTarget, "archive-roles-forward")
	assert.Equal(t, bus, target.Str("arn"))
	role := one(t, res, mockrun.TypeRole, "archive-forward")
	assert.Equal(t, role.Out("arn"), target.Str("roleArn"))
	assert.True(t, target.DependsOn(one(t, res, mockrun.TypeRolePolicy, "archive-forward").URN), "the role may put events first")
	trust := policyOf(t, role, "assumeRolePolicy")
	require.Len(t, trust, 1)
	assert.Equal(t, []string{"Service:events.amazonaws.com"}, trust[0].Principals)
	assert.Equal(t, "123456789012", trust[0].Condition["StringEquals"]["aws:SourceAccount"])
	put := policyOf(t, one(t, res, mockrun.TypeRolePolicy, "archive-forward"), "policy")
	require.Len(t, put, 1)
	assert.Equal(t, []string{"events:PutEvents"}, put[0].Actions)
	assert.Equal(t, []string{bus}, put[0].Resources, "this region's default bus, nothing else")
}

func TestAnArchiveInUsEast1ForwardsNothing(t *testing.T) {
	t.Parallel()
	res := runLogArchive(t, components.LogArchiveArgs{})
	for _, r := range res.OfType(mockrun.TypeEventRule) {
		assert.NotContains(t, r.Name, "forward", "IAM's events arrive in us-east-1 itself")
	}
	assert.Len(t, res.OfType(mockrun.TypeRole), 1, "the replication role only")
}

func TestAnArchiveOutsideUsEast1WithoutAGlobalProviderIsRefusedBeforeAnyChildIsCreated(t *testing.T) {
	t.Parallel()
	res, err := mockrun.Run(func(ctx *pulumi.Context) error {
		_, err := components.NewLogArchive(ctx, "archive", &components.LogArchiveArgs{BreakGlassPrincipalArn: testBreakGlass})
		return err
	}, mockrun.Options{Config: map[string]string{"aws:region": "eu-west-1"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "GlobalEventsProvider")
	assert.Contains(t, err.Error(), "us-east-1")
	requireNoChildCreated(t, res)
}

func TestTheLogArchiveStackOutsideUsEast1PinsItsGlobalEventsProviderLikeItsDefaultOne(t *testing.T) {
	t.Parallel()
	cfg, p, err := stackrun.Config(repoRoot, "log-archive")
	require.NoError(t, err)
	breakGlass := "aws-foundation:logArchiveBreakGlassPrincipalArn"
	cfg[breakGlass] = strings.ReplaceAll(cfg[breakGlass], stackrun.AccountPlaceholder, mockrun.DefaultAccount)
	cfg["aws:region"] = "eu-central-1"
	res, err := mockrun.Run(stacks.Run, mockrun.Options{Project: p.Name, Stack: "log-archive", Config: cfg})
	require.NoError(t, err)

	provider := one(t, res, "pulumi:providers:aws", "global-events")
	assert.Equal(t, "us-east-1", provider.Str("region"))
	var accounts []string
	require.NoError(t, json.Unmarshal([]byte(cfg["aws:allowedAccountIds"]), &accounts))
	assert.Equal(t, accounts, provider.Strs("allowedAccountIds"), "the stack file's account pin")
	var defaults map[string]any
	require.NoError(t, json.Unmarshal([]byte(cfg["aws:defaultTags"]), &defaults))
	assert.Equal(t, defaults, provider.Value("defaultTags"), "the stack file's default tags")
	assert.Contains(t, one(t, res, mockrun.TypeEventRule, "log-archive-roles-forward").Out("arn"), ":us-east-1:")
	assert.Contains(t, one(t, res, mockrun.TypeEventRule, "log-archive-roles").Out("arn"), ":eu-central-1:")

	assert.Empty(t, runStack(t, "log-archive", false).OfType("pulumi:providers:aws"), "no provider in us-east-1 itself")
}

func TestAlertEmailsSubscribeAndABadOneIsNamed(t *testing.T) {
	t.Parallel()
	res := runLogArchive(t, components.LogArchiveArgs{AlertEmails: []string{"soc@example.com", "ops@example.com"}})
	subs := res.OfType(mockrun.TypeTopicSubscription)
	require.Len(t, subs, 2)
	topic := one(t, res, mockrun.TypeTopic, "archive-alerts").Out("arn")
	for _, s := range subs {
		assert.Equal(t, "email", s.Str("protocol"))
		assert.Equal(t, topic, s.Str("topic"))
		assert.Equal(t, "archive-alerts-"+s.Str("endpoint"), s.Name, "named by address: reordering the list replaces nothing")
	}
	assert.Empty(t, runLogArchive(t, components.LogArchiveArgs{}).OfType(mockrun.TypeTopicSubscription))

	err := (&components.LogArchiveArgs{BreakGlassPrincipalArn: testBreakGlass,
		AlertEmails: []string{"not-an-address", "a@b.co", "A@b.co"}}).Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), fmt.Sprintf("AlertEmails: %q is not an email address", "not-an-address"))
	assert.Contains(t, err.Error(), "listed twice")
}

func TestAProjectNameThatMakesAFixedNameTooLongIsRefusedBeforeAnyChildIsCreated(t *testing.T) {
	t.Parallel()
	// Bucket names of their own, so that only the fixed names depend on the project.
	run := func(project string) (*mockrun.Result, error) {
		return mockrun.Run(func(ctx *pulumi.Context) error {
			_, err := components.NewLogArchive(ctx, "archive", &components.LogArchiveArgs{BreakGlassPrincipalArn: testBreakGlass,
				VaultBucketName: "acme-vault", InboxBucketName: "acme-inbox"})
			return err
		}, mockrun.Options{Project: project})
	}
	project := strings.Repeat("p", 40) // "<project>-archive-sessions-forward" is 65 characters, one over EventBridge's 64
	res, err := run(project)
	require.Error(t, err)
	assert.Contains(t, err.Error(), components.LogArchiveNamePrefix(project, "archive")+"-sessions-forward")
	assert.Contains(t, err.Error(), "longer than 64 characters")
	requireNoChildCreated(t, res)

	_, err = run(project[:39])
	assert.NoError(t, err, "one character shorter fits")
}
