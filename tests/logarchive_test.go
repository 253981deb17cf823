package tests

import (
	"strings"
	"testing"

	"github.com/aws-foundation/aws-foundation/components"
	"github.com/aws-foundation/aws-foundation/internal/controls"
	"github.com/aws-foundation/aws-foundation/internal/iampolicy"
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testBreakGlass = "arn:aws:iam::123456789012:role/break-glass"
	defaultVault   = "aws-foundation-log-archive-123456789012-us-east-1"
	defaultInbox   = "aws-foundation-log-inbox-123456789012-us-east-1"
)

// runLogArchive runs one LogArchive named "archive", with the test break-glass role unless args names one.
func runLogArchive(t testing.TB, args components.LogArchiveArgs) *mockrun.Result {
	t.Helper()
	if args.BreakGlassPrincipalArn == "" {
		args.BreakGlassPrincipalArn = testBreakGlass
	}
	return runComponent(t, func(ctx *pulumi.Context) error {
		_, err := components.NewLogArchive(ctx, "archive", &args)
		return err
	})
}

// statementBySid returns the statement with sid, failing when there is none.
func statementBySid(t testing.TB, stmts []iampolicy.Statement, sid string) iampolicy.Statement {
	t.Helper()
	for _, s := range stmts {
		if s.Sid == sid {
			return s
		}
	}
	require.Failf(t, "no statement", "no statement %q", sid)
	return iampolicy.Statement{}
}

func TestEveryLogArchiveChildIsParentedNamedOffTheComponentProtectedAndRetained(t *testing.T) {
	t.Parallel()
	res := runLogArchive(t, components.LogArchiveArgs{})
	c := component(t, res, components.LogArchiveType)
	require.NotEmpty(t, res.AWS())
	for _, r := range res.AWS() {
		assert.Equal(t, c.URN, r.Parent, "%s must be parented to the LogArchive", r)
		assert.True(t, strings.HasPrefix(r.Name, "archive-"), "%s: name must derive from the component name", r)
		assert.True(t, r.Protect, "%s must be protected", r)
		assert.True(t, r.RetainOnDelete, "%s must be retained on delete", r)
	}
	for _, typ := range []string{mockrun.TypeKmsKey, mockrun.TypeKmsAlias, mockrun.TypeBucket, mockrun.TypeBucketPolicy,
		mockrun.TypeBucketObjectLock, mockrun.TypeBucketReplication, mockrun.TypeRole, mockrun.TypeRolePolicy} {
		assert.NotEmpty(t, res.OfType(typ), "%s", typ)
	}
	requireNoDuplicateURNs(t, res)
	requireControlsHold(t, res, "AF-STATE-01", "AF-KMS-01", "AF-KMS-02", "AF-S3-01", "AF-S3-02", "AF-S3-03", "AF-S3-04",
		"AF-S3-05", "AF-S3-06", "AF-S3-07", "AF-S3-09", "AF-IAM-02", "AF-IAM-04")
}

func TestVaultIsCreatedWithObjectLockAndAComplianceDefaultRetention(t *testing.T) {
	t.Parallel()
	res := runLogArchive(t, components.LogArchiveArgs{})
	vault := one(t, res, mockrun.TypeBucket, "archive-vault")
	assert.Equal(t, defaultVault, vault.Str("bucket"))
	assert.Equal(t, true, vault.Value("objectLockEnabled"), "Object Lock is set when the bucket is created, never later")
	assert.Equal(t, false, vault.Value("forceDestroy"))
	lock := companion(t, res, mockrun.TypeBucketObjectLock, vault)
	assert.Equal(t, "Enabled", lock.Str("objectLockEnabled"))
	assert.Equal(t, map[string]any{"defaultRetention": map[string]any{"mode": "COMPLIANCE", "days": 2192.0}}, lock.Value("rule"))
	assert.True(t, lock.DependsOn(companion(t, res, mockrun.TypeBucketVersioning, vault).URN), "Object Lock needs versioning first")
	inbox := one(t, res, mockrun.TypeBucket, "archive-inbox")
	assert.Equal(t, defaultInbox, inbox.Str("bucket"))
	assert.Nil(t, inbox.Value("objectLockEnabled"), "log delivery writes to an inbox without Object Lock")
	requireControlsHold(t, res, "AF-S3-09")
}

func TestRetentionAndGovernanceModeComeOnlyFromTheirArguments(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args components.LogArchiveArgs
		want map[string]any
		mode string
	}{
		{components.LogArchiveArgs{RetentionDays: 365}, map[string]any{"mode": "COMPLIANCE", "days": 365.0}, "COMPLIANCE"},
		{components.LogArchiveArgs{GovernanceModeForTestAccountsOnly: true, RetentionDays: 400},
			map[string]any{"mode": "GOVERNANCE", "days": 400.0}, "GOVERNANCE"},
	} {
		res := runLogArchive(t, c.args)
		lock := one(t, res, mockrun.TypeBucketObjectLock, "archive-vault")
		assert.Equal(t, map[string]any{"defaultRetention": c.want}, lock.Value("rule"), "%+v", c.args)
		for _, o := range controls.Evaluate(res) {
			if o.Control.ID == "AF-S3-09" {
				assert.Equal(t, c.mode == "COMPLIANCE", o.Status == controls.Pass, "%s passes AF-S3-09 only in COMPLIANCE mode", c.mode)
			}
		}
	}
}

func TestBothArchiveBucketsAreVersionedPrivateAndEncryptedWithTheArchiveKey(t *testing.T) {
	t.Parallel()
	res := runLogArchive(t, components.LogArchiveArgs{})
	key := one(t, res, mockrun.TypeKmsKey, "archive-key")
	assert.Equal(t, true, key.Value("enableKeyRotation"))
	assert.Equal(t, 30.0, key.Value("deletionWindowInDays"))
	assert.Equal(t, false, key.Value("bypassPolicyLockoutSafetyCheck"), "a person deploys the archive: no lockout bypass")
	assert.Equal(t, "alias/aws-foundation/archive", one(t, res, mockrun.TypeKmsAlias, "archive-key").Str("name"))
	for _, name := range []string{"archive-vault", "archive-inbox"} {
		b := one(t, res, mockrun.TypeBucket, name)
		v := companion(t, res, mockrun.TypeBucketVersioning, b)
		assert.Equal(t, map[string]any{"status": "Enabled"}, v.Value("versioningConfiguration"), "%s", b)
		pab := companion(t, res, mockrun.TypePublicAccessBlock, b)
		for _, f := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
			assert.Equal(t, true, pab.Value(f), "%s: %s", b, f)
		}
		assert.Equal(t, map[string]any{"objectOwnership": "BucketOwnerEnforced"},
			companion(t, res, mockrun.TypeOwnership, b).Value("rule"), "%s", b)
		assert.Equal(t, []any{map[string]any{
			"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key.Out("arn")},
			"bucketKeyEnabled":                   true,
		}}, companion(t, res, mockrun.TypeBucketEncryption, b).Value("rules"), "%s", b)
	}
	requireControlsHold(t, res, "AF-S3-01", "AF-S3-02", "AF-S3-04", "AF-S3-06")
}

func TestInboxReplicatesIntoTheVaultWithTheArchiveKeyAndNoDeleteMarkers(t *testing.T) {
	t.Parallel()
	res := runLogArchive(t, components.LogArchiveArgs{})
	inbox := one(t, res, mockrun.TypeBucket, "archive-inbox")
	vault := one(t, res, mockrun.TypeBucket, "archive-vault")
	role := one(t, res, mockrun.TypeRole, "archive-replication")
	rep := companion(t, res, mockrun.TypeBucketReplication, inbox)
	assert.Equal(t, role.Out("arn"), rep.Str("role"))
	assert.Equal(t, []any{map[string]any{
		"id": components.ReplicationRuleID, "status": "Enabled", "filter": map[string]any{},
		"deleteMarkerReplication": map[string]any{"status": "Disabled"},
		"sourceSelectionCriteria": map[string]any{"sseKmsEncryptedObjects": map[string]any{"status": "Enabled"}},
		"destination": map[string]any{"bucket": vault.Out("arn"),
			"encryptionConfiguration": map[string]any{"replicaKmsKeyId": one(t, res, mockrun.TypeKmsKey, "archive-key").Out("arn")},
			"metrics":                 map[string]any{"status": "Enabled"}},
	}}, rep.Value("rules"))
	for _, b := range []mockrun.Resource{inbox, vault} {
		assert.True(t, rep.DependsOn(companion(t, res, mockrun.TypeBucketVersioning, b).URN), "replication needs %s versioned", b)
	}
	assert.True(t, rep.DependsOn(one(t, res, mockrun.TypeRolePolicy, "archive-replication").URN), "and its role's permissions")
	assert.Empty(t, companion(t, res, mockrun.TypeBucketObjectLock, vault).Value("token"))
}

func TestReplicationRoleReadsOnlyTheInboxAndCannotReplicateDeletions(t *testing.T) {
	t.Parallel()
	res := runLogArchive(t, components.LogArchiveArgs{})
	inbox := one(t, res, mockrun.TypeBucket, "archive-inbox").Out("arn")
	vault := one(t, res, mockrun.TypeBucket, "archive-vault").Out("arn")
	keyArn := one(t, res, mockrun.TypeKmsKey, "archive-key").Out("arn")
	role := one(t, res, mockrun.TypeRole, "archive-replication")
	assert.Equal(t, "aws-foundation-archive-replication", role.Str("name"))
	assert.Equal(t, []iampolicy.Statement{{Sid: "S3Replicates", Effect: "Allow",
		Principals: []string{"Service:s3.amazonaws.com"}, Actions: []string{"sts:AssumeRole"}}}, policyOf(t, role, "assumeRolePolicy"),
		"AWS's documented trust: no source condition S3 is not documented to send")
	via := map[string]map[string]any{"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}
	assert.Equal(t, []iampolicy.Statement{
		{Sid: "ReadInboxConfiguration", Effect: "Allow", Actions: []string{"s3:GetReplicationConfiguration", "s3:ListBucket"}, Resources: []string{inbox}},
		{Sid: "ReadInboxVersions", Effect: "Allow", Actions: []string{"s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl",
			"s3:GetObjectVersionTagging", "s3:GetObjectRetention", "s3:GetObjectLegalHold"}, Resources: []string{inbox + "/*"}},
		{Sid: "ReadNoOtherBucket", Effect: "Deny", Actions: []string{"s3:GetReplicationConfiguration", "s3:ListBucket",
			"s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging", "s3:GetObjectRetention",
			"s3:GetObjectLegalHold"}, NotResources: []string{inbox, inbox + "/*"}},
		{Sid: "WriteVaultReplicas", Effect: "Allow", Actions: []string{"s3:ReplicateObject", "s3:ReplicateTags"}, Resources: []string{vault + "/*"}},
		{Sid: "DecryptInboxThroughS3", Effect: "Allow", Actions: []string{"kms:Decrypt"}, Resources: []string{keyArn}, Condition: via},
		{Sid: "EncryptReplicasThroughS3", Effect: "Allow", Actions: []string{"kms:Encrypt", "kms:GenerateDataKey"}, Resources: []string{keyArn}, Condition: via},
	}, policyOf(t, one(t, res, mockrun.TypeRolePolicy, "archive-replication"), "policy"))
	requireControlsHold(t, res, "AF-IAM-02", "AF-IAM-04")
}

func TestVaultLifecycleMovesToDeepArchiveAndExpiresOnlyAfterTheRetention(t *testing.T) {
	t.Parallel()
	res := runLogArchive(t, components.LogArchiveArgs{RetentionDays: 731, ColdStorageAfterDays: 30})
	vault := one(t, res, mockrun.TypeBucket, "archive-vault")
	lc := companion(t, res, mockrun.TypeBucketLifecycle, vault)
	assert.Equal(t, "all_storage_classes_128K", lc.Str("transitionDefaultMinimumObjectSize"),
		"small flow-log files stay in Standard, where Deep Archive's per-object overhead would cost more")
	assert.Equal(t, []any{
		map[string]any{"id": "cold-storage-then-expire-after-retention", "status": "Enabled", "filter": map[string]any{},
			"transitions":                    []any{map[string]any{"days": 30.0, "storageClass": "DEEP_ARCHIVE"}},
			"noncurrentVersionTransitions":   []any{map[string]any{"noncurrentDays": 30.0, "storageClass": "DEEP_ARCHIVE"}},
			"expiration":                     map[string]any{"days": 732.0},
			"noncurrentVersionExpiration":    map[string]any{"noncurrentDays": 732.0},
			"abortIncompleteMultipartUpload": map[string]any{"daysAfterInitiation": 7.0}},
		map[string]any{"id": "remove-expired-delete-markers", "status": "Enabled", "filter": map[string]any{},
			"expiration": map[string]any{"expiredObjectDeleteMarker": true}},
	}, lc.Value("rules"))
	requireControlsHold(t, res, "AF-S3-07")
}

func TestInboxExpiresDeliveriesAfterAWeek(t *testing.T) {
	t.Parallel()
	res := runLogArchive(t, components.LogArchiveArgs{})
	inbox := one(t, res, mockrun.TypeBucket, "archive-inbox")
	rule := companion(t, res, mockrun.TypeBucketLifecycle, inbox).Value("rules").([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{"days": float64(components.InboxExpirationDays)}, rule["expiration"])
	assert.Equal(t, 7, components.InboxExpirationDays, "a week to notice failed replication")
	assert.Equal(t, map[string]any{"noncurrentDays": 1.0}, rule["noncurrentVersionExpiration"])
}

func TestInboxPolicyAdmitsLogDeliveryOnlyForTheConfiguredSources(t *testing.T) {
	t.Parallel()
	accounts := []string{"111111111111", "222222222222"}
	res := runLogArchive(t, components.LogArchiveArgs{SourceAccountIds: accounts, SourceOrgId: "o-abcdefghij"})
	inbox := one(t, res, mockrun.TypeBucket, "archive-inbox").Out("arn")
	stmts := policyOf(t, companion(t, res, mockrun.TypeBucketPolicy, one(t, res, mockrun.TypeBucket, "archive-inbox")), "policy")
	delivery := []string{"Service:delivery.logs.amazonaws.com"}
	assert.Equal(t, iampolicy.Statement{Sid: "AWSLogDeliveryWrite", Effect: "Allow", Principals: delivery,
		Actions: []string{"s3:PutObject"},
		Resources: []string{inbox + "/AWSLogs/111111111111/vpcflowlogs/*", inbox + "/AWSLogs/aws-account-id=111111111111/aws-service=vpcflowlogs/*",
			inbox + "/AWSLogs/222222222222/vpcflowlogs/*", inbox + "/AWSLogs/aws-account-id=222222222222/aws-service=vpcflowlogs/*"},
		Condition: map[string]map[string]any{
			"StringEquals": {"aws:SourceAccount": []any{"111111111111", "222222222222"}, "s3:x-amz-acl": "bucket-owner-full-control"},
			"ArnLike":      {"aws:SourceArn": []any{"arn:aws:logs:*:111111111111:*", "arn:aws:logs:*:222222222222:*"}}}},
		statementBySid(t, stmts, "AWSLogDeliveryWrite"))
	assert.Equal(t, iampolicy.Statement{Sid: "AWSLogDeliveryWriteOrg", Effect: "Allow", Principals: delivery,
		Actions: []string{"s3:PutObject"}, Resources: []string{inbox + "/AWSLogs/*/vpcflowlogs/*", inbox + "/AWSLogs/aws-account-id=*/aws-service=vpcflowlogs/*"},
		Condition: map[string]map[string]any{
			"StringEquals": {"aws:SourceOrgID": "o-abcdefghij", "s3:x-amz-acl": "bucket-owner-full-control"},
			"ArnLike":      {"aws:SourceArn": "arn:aws:logs:*:*:*"}}},
		statementBySid(t, stmts, "AWSLogDeliveryWriteOrg"))
	acl := statementBySid(t, stmts, "AWSLogDeliveryAclCheck")
	assert.Equal(t, []string{"s3:GetBucketAcl", "s3:ListBucket"}, acl.Actions)
	assert.Equal(t, []string{inbox}, acl.Resources)
	assert.Equal(t, []any{"111111111111", "222222222222"}, acl.Condition["StringEquals"]["aws:SourceAccount"])
	assert.Equal(t, "o-abcdefghij", statementBySid(t, stmts, "AWSLogDeliveryAclCheckOrg").ConditionValue("StringEquals", "aws:SourceOrgID"))

	single := runLogArchive(t, components.LogArchiveArgs{})
	ss := policyOf(t, companion(t, single, mockrun.TypeBucketPolicy, one(t, single, mockrun.TypeBucket, "archive-inbox")), "policy")
	assert.Equal(t, "123456789012", statementBySid(t, ss, "AWSLogDeliveryWrite").ConditionValue("StringEquals", "aws:SourceAccount"),
		"without sources, the archive keeps its own account's logs")
	for _, s := range ss {
		assert.NotEqual(t, "AWSLogDeliveryWriteOrg", s.Sid, "no organization statement without an organization")
	}
}

func TestOnlyTheBreakGlassRoleMayChangeTheArchiveAndNoPolicyUsesNotPrincipalOrNotAction(t *testing.T) {
	t.Parallel()
	res := runLogArchive(t, components.LogArchiveArgs{})
	breakGlass := map[string]map[string]any{"ArnNotEquals": {"aws:PrincipalArn": testBreakGlass}}
	for name, want := range map[string][]string{
		"archive-inbox": components.LogArchiveBreakGlassActions(false),
		"archive-vault": components.LogArchiveBreakGlassActions(true),
	} {
		assert.Subset(t, want, []string{"s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutLifecycleConfiguration",
			"s3:PutEncryptionConfiguration"}, "%s: the calls that would lift the archive's protection", name)
		b := one(t, res, mockrun.TypeBucket, name)
		pol := companion(t, res, mockrun.TypeBucketPolicy, b)
		deny := statementBySid(t, policyOf(t, pol, "policy"), "OnlyBreakGlassChangesConfiguration")
		assert.Equal(t, iampolicy.Statement{Sid: "OnlyBreakGlassChangesConfiguration", Effect: "Deny", Principals: []string{"*"},
			Actions: want, Resources: []string{b.Out("arn")}, Condition: breakGlass}, deny, "%s", b)
		// The policy denies these calls to whoever deploys: it must come after what they configure.
		for _, typ := range []string{mockrun.TypePublicAccessBlock, mockrun.TypeBucketVersioning, mockrun.TypeBucketLifecycle} {
			assert.True(t, pol.DependsOn(companion(t, res, typ, b).URN), "%s policy waits for %s", b, typ)
		}
	}
	inbox := one(t, res, mockrun.TypeBucket, "archive-inbox")
	vault := one(t, res, mockrun.TypeBucket, "archive-vault")
	assert.True(t, companion(t, res, mockrun.TypeBucketPolicy, inbox).DependsOn(companion(t, res, mockrun.TypeBucketReplication, inbox).URN))
	assert.True(t, companion(t, res, mockrun.TypeBucketPolicy, vault).DependsOn(companion(t, res, mockrun.TypeBucketObjectLock, vault).URN))
	bypass := statementBySid(t, policyOf(t, companion(t, res, mockrun.TypeBucketPolicy, vault), "policy"), "OnlyBreakGlassBypassesGovernance")
	assert.Equal(t, []string{"s3:BypassGovernanceRetention"}, bypass.Actions)
	assert.Equal(t, breakGlass, bypass.Condition)
	for typ, in := range policyInputs {
		for _, r := range res.OfType(typ) {
			for _, banned := range []string{"NotPrincipal", "NotAction"} {
				assert.NotContains(t, r.Str(in.key), banned, "%s: %s would break log delivery's policy update", r, banned)
			}
		}
	}
	requireControlsHold(t, res, "AF-S3-03", "AF-S3-05")
}

func TestArchiveKeyLetsLogDeliveryUseItOnlyForTheConfiguredSources(t *testing.T) {
	t.Parallel()
	res := runLogArchive(t, components.LogArchiveArgs{SourceAccountIds: []string{"111111111111"}})
	stmts := policyOf(t, one(t, res, mockrun.TypeKmsKey, "archive-key"), "policy")
	require.Len(t, stmts, 4, "the root's administration, the break-glass deny, the deletion window and log delivery, nothing else")
	assert.Equal(t, "AccountRootAdministersKey", stmts[0].Sid)
	assert.Equal(t, iampolicy.Statement{Sid: "OnlyBreakGlassDeletesDisablesOrRepolicies", Effect: "Deny", Principals: []string{"*"},
		Actions:   []string{"kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy"},
		Resources: []string{"*"}, Condition: map[string]map[string]any{"ArnNotEquals": {"aws:PrincipalArn": testBreakGlass}}}, stmts[1])
	assert.Equal(t, iampolicy.Statement{Sid: "LogDeliveryUsesKey", Effect: "Allow",
		Principals: []string{"Service:delivery.logs.amazonaws.com"},
		Actions:    []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"},
		Resources:  []string{"*"},
		Condition: map[string]map[string]any{"StringEquals": {"aws:SourceAccount": "111111111111"},
			"ArnLike": {"aws:SourceArn": "arn:aws:logs:*:111111111111:*"}}}, stmts[3])
	assert.Equal(t, "DeletionWaitsTheLongestWindow", stmts[2].Sid)
	assert.EqualValues(t, components.KeyDeletionWindowDays,
		stmts[2].Condition["NumericLessThan"]["kms:ScheduleKeyDeletionPendingWindowInDays"], "the shortest window the key accepts")
}

func TestInvalidLogArchiveArgumentsAreAllReportedBeforeAnythingIsRegistered(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args components.LogArchiveArgs
		want []string
	}{
		{"no break-glass role", components.LogArchiveArgs{}, []string{"BreakGlassPrincipalArn", "is required"}},
		{"a wildcard break-glass role", components.LogArchiveArgs{BreakGlassPrincipalArn: "arn:aws:iam::123456789012:role/*"},
			[]string{"BreakGlassPrincipalArn", "wildcard"}},
		{"a user, not a role", components.LogArchiveArgs{BreakGlassPrincipalArn: "arn:aws:iam::123456789012:user/alice"},
			[]string{"BreakGlassPrincipalArn", "not an IAM role ARN"}},
		{"a placeholder account", components.LogArchiveArgs{BreakGlassPrincipalArn: "arn:aws:iam::ACCOUNT_ID:role/break-glass"},
			[]string{"BreakGlassPrincipalArn", "not an IAM role ARN"}},
		{"a short retention", components.LogArchiveArgs{BreakGlassPrincipalArn: testBreakGlass, RetentionDays: 364},
			[]string{"RetentionDays", "364 is outside 365 to 36500"}},
		{"a retention beyond Object Lock's", components.LogArchiveArgs{BreakGlassPrincipalArn: testBreakGlass, RetentionDays: 36501},
			[]string{"RetentionDays", "outside 365 to 36500"}},
		{"a bad account id", components.LogArchiveArgs{BreakGlassPrincipalArn: testBreakGlass, SourceAccountIds: []string{"12345"}},
			[]string{"SourceAccountIds", `"12345" is not a 12-digit account id`}},
		{"an account listed twice", components.LogArchiveArgs{BreakGlassPrincipalArn: testBreakGlass,
			SourceAccountIds: []string{"111111111111", "111111111111"}}, []string{"SourceAccountIds", "listed twice"}},
		{"a bad organization id", components.LogArchiveArgs{BreakGlassPrincipalArn: testBreakGlass, SourceOrgId: "o-short"},
			[]string{"SourceOrgId", "not an organization id"}},
		{"cold storage after the retention", components.LogArchiveArgs{BreakGlassPrincipalArn: testBreakGlass, RetentionDays: 400,
			ColdStorageAfterDays: 400}, []string{"ColdStorageAfterDays", "less than the retention, 400 days"}},
		{"the same bucket twice", components.LogArchiveArgs{BreakGlassPrincipalArn: testBreakGlass, VaultBucketName: "acme-archive",
			InboxBucketName: "acme-archive"}, []string{"InboxBucketName", "must differ"}},
		{"an invalid bucket name", components.LogArchiveArgs{BreakGlassPrincipalArn: testBreakGlass, VaultBucketName: "Acme.Archive"},
			[]string{"VaultBucketName", "contains dots"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := mockrun.Run(func(ctx *pulumi.Context) error {
				_, err := components.NewLogArchive(ctx, "archive", &c.args)
				return err
			}, mockrun.Options{})
			require.Error(t, err)
			var ve *components.ValidationError
			require.ErrorAs(t, err, &ve)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
			requireNothingRegistered(t, res)
		})
	}
	err := (&components.LogArchiveArgs{RetentionDays: 30, SourceOrgId: "org"}).Validate()
	require.Error(t, err)
	var invalid *components.ValidationError
	require.ErrorAs(t, err, &invalid)
	assert.Len(t, invalid.Problems, 3, "every problem at once: %v", err)
}

func TestABreakGlassRoleOfAnotherAccountIsRefusedBeforeAnyChildIsCreated(t *testing.T) {
	t.Parallel()
	res, err := mockrun.Run(func(ctx *pulumi.Context) error {
		_, err := components.NewLogArchive(ctx, "archive", &components.LogArchiveArgs{
			BreakGlassPrincipalArn: "arn:aws:iam::999999999999:role/break-glass"})
		return err
	}, mockrun.Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "BreakGlassPrincipalArn")
	assert.Contains(t, err.Error(), "not a role of the archive's account 123456789012")
	requireNoChildCreated(t, res)
}

// The derived names must fit S3's 63 characters in every region a stack may deploy to: the default regions and
// the longest opt-in region names.
func TestDerivedArchiveNamesFitS3InEveryRegion(t *testing.T) {
	t.Parallel()
	regions := append(components.DefaultRegions(), "ap-southeast-4", "ap-southeast-5", "ap-southeast-7", "il-central-1",
		"mx-central-1", "ca-west-1")
	for _, region := range regions {
		res := runComponent(t, func(ctx *pulumi.Context) error {
			p, err := aws.NewProvider(ctx, "p", &aws.ProviderArgs{Region: pulumi.String(region)})
			if err != nil {
				return err
			}
			_, err = components.NewLogArchive(ctx, "log-archive", &components.LogArchiveArgs{BreakGlassPrincipalArn: testBreakGlass,
				GlobalEventsProvider: p}, pulumi.Provider(p))
			return err
		})
		for _, b := range res.OfType(mockrun.TypeBucket) {
			name := b.Str("bucket")
			assert.Contains(t, name, region)
			assert.LessOrEqual(t, len(name), 63, "%s in %s", name, region)
		}
		assert.LessOrEqual(t, len(one(t, res, mockrun.TypeRole, "log-archive-replication").Str("name")), 64)
	}
}

func TestLogArchiveStackExportsEveryOutputKnownInUpdateAndPreview(t *testing.T) {
	t.Parallel()
	for _, dry := range modes() {
		t.Run(mode(dry), func(t *testing.T) {
			res := runStack(t, "log-archive", dry)
			requireNoDuplicateURNs(t, res)
			assert.Len(t, res.OfType(components.LogArchiveType), 1)
			assert.Empty(t, res.OfType(components.StateBackendType), "the archive composes LogArchive only")
			assert.Empty(t, res.OfType(components.NetworkType))
			for _, k := range []string{"vaultBucketName", "vaultBucketArn", "inboxBucketName", "inboxBucketArn", "kmsKeyArn",
				"replicationRoleArn", "retentionDays", "retentionMode", "alertsTopicArn"} {
				e, ok := res.Exports[k]
				if assert.True(t, ok, "export %s missing", k) {
					assert.True(t, e.Known, "export %s unknown", k)
				}
			}
			assert.Len(t, res.Exports, 9)
			assert.Equal(t, "arn:aws:s3:::"+strings.Replace(defaultVault, "log-archive", "log-inbox", 1), res.Exports["inboxBucketArn"].Value)
			assert.Equal(t, "COMPLIANCE", res.Exports["retentionMode"].Value)
			assert.EqualValues(t, 2192, res.Exports["retentionDays"].Value)
			bg := one(t, res, mockrun.TypeBucketPolicy, "log-archive-vault").Str("policy")
			assert.Contains(t, bg, "arn:aws:iam::123456789012:role/aws-foundation-log-archive-break-glass",
				"the stack file's break-glass role, its placeholder filled in with the account")
		})
	}
}

func TestInvalidLogArchiveConfigurationNamesItsKeysAndRegistersNothing(t *testing.T) {
	t.Parallel()
	base := map[string]string{"stackKind": "logArchive", "logArchiveBreakGlassPrincipalArn": testBreakGlass}
	cases := []struct {
		name string
		cfg  map[string]string
		want []string
	}{
		{"no break-glass role", map[string]string{"logArchiveBreakGlassPrincipalArn": ""},
			[]string{"aws-foundation:logArchiveBreakGlassPrincipalArn: is required"}},
		{"the placeholder left in", map[string]string{"logArchiveBreakGlassPrincipalArn": "arn:aws:iam::ACCOUNT_ID:role/x"},
			[]string{"aws-foundation:logArchiveBreakGlassPrincipalArn", "not an IAM role ARN"}},
		{"a short retention", map[string]string{"logArchiveRetentionDays": "90"}, []string{"aws-foundation:logArchiveRetentionDays", "90 is outside"}},
		{"a bad account", map[string]string{"logArchiveSourceAccountIds": `["1234"]`}, []string{"aws-foundation:logArchiveSourceAccountIds", "12-digit"}},
		{"a bad organization", map[string]string{"logArchiveSourceOrgId": "acme"}, []string{"aws-foundation:logArchiveSourceOrgId", "not an organization id"}},
		{"a wildcard role", map[string]string{"logArchiveBreakGlassPrincipalArn": "arn:aws:iam::123456789012:role/admin-*"},
			[]string{"aws-foundation:logArchiveBreakGlassPrincipalArn", "wildcard"}},
		{"a role of another account", map[string]string{"logArchiveBreakGlassPrincipalArn": "arn:aws:iam::999999999999:role/x"},
			[]string{"aws-foundation:logArchiveBreakGlassPrincipalArn", "not a role of the archive's account"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := map[string]string{}
			for k, v := range base {
				cfg[k] = v
			}
			for k, v := range c.cfg {
				cfg[k] = v
			}
			res, err := runStackWith(cfg)
			require.Error(t, err)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
			requireNothingRegistered(t, res)
		})
	}
}
