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
	defaultStateBucket = "aws-foundation-state-123456789012-us-east-1"
	defaultLogBucket   = defaultStateBucket + "-logs"
)

func TestEveryStateBackendChildIsParentedNamedOffTheComponentProtectedAndRetained(t *testing.T) {
	t.Parallel()
	res := runStateBackend(t, components.StateBackendArgs{})
	c := component(t, res, components.StateBackendType)
	require.NotEmpty(t, res.AWS())
	for _, r := range res.AWS() {
		assert.Equal(t, c.URN, r.Parent, "%s must be parented to the StateBackend", r)
		assert.True(t, strings.HasPrefix(r.Name, "state-"), "%s: name must derive from the component name", r)
		assert.True(t, r.Protect, "%s must be protected", r)
		assert.True(t, r.RetainOnDelete, "%s must be retained on delete", r)
	}
	for _, typ := range []string{mockrun.TypeKmsKey, mockrun.TypeBucket, mockrun.TypeTable} {
		assert.NotEmpty(t, res.OfType(typ), "%s", typ)
	}
	requireNoDuplicateURNs(t, res)
}

func TestStateKeyRotatesAndOnlyTheAccountRootAdministersIt(t *testing.T) {
	t.Parallel()
	res := runStateBackend(t, components.StateBackendArgs{})
	key := one(t, res, mockrun.TypeKmsKey, "state-key")
	assert.Equal(t, true, key.Value("enableKeyRotation"))
	assert.Equal(t, 30.0, key.Value("deletionWindowInDays"))
	assert.Equal(t, "SYMMETRIC_DEFAULT", key.Str("customerMasterKeySpec"))
	stmts := policyOf(t, key, "policy")
	assert.Equal(t, []iampolicy.Statement{{Sid: "AccountRootAdministersKey", Effect: "Allow",
		Principals: []string{"AWS:arn:aws:iam::123456789012:root"}, Actions: []string{"kms:*"}, Resources: []string{"*"}}}, stmts)
	alias := one(t, res, mockrun.TypeKmsAlias, "state-key")
	assert.Equal(t, "alias/aws-foundation/state", alias.Str("name"))
	assert.Equal(t, key.Out("keyId"), alias.Str("targetKeyId"))
}

func TestBucketNamesAreDerivedFromAccountAndRegionAndNeverForceDestroyed(t *testing.T) {
	t.Parallel()
	res := runStateBackend(t, components.StateBackendArgs{})
	state := one(t, res, mockrun.TypeBucket, "state-bucket")
	logs := one(t, res, mockrun.TypeBucket, "state-logs")
	assert.Equal(t, defaultStateBucket, state.Str("bucket"))
	assert.Equal(t, defaultLogBucket, logs.Str("bucket"))
	for _, b := range []mockrun.Resource{state, logs} {
		assert.Equal(t, false, b.Value("forceDestroy"), "%s", b)
	}
}

func TestBothBucketsAreNeverPublicAndOwnerEnforced(t *testing.T) {
	t.Parallel()
	res := runStateBackend(t, components.StateBackendArgs{})
	for _, name := range []string{"state-bucket", "state-logs"} {
		b := one(t, res, mockrun.TypeBucket, name)
		pab := companion(t, res, mockrun.TypePublicAccessBlock, b)
		for _, f := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
			assert.Equal(t, true, pab.Value(f), "%s: %s", b, f)
		}
		own := companion(t, res, mockrun.TypeOwnership, b)
		assert.Equal(t, map[string]any{"objectOwnership": "BucketOwnerEnforced"}, own.Value("rule"), "%s", b)
	}
	requireControlsHold(t, res, "AF-S3-01", "AF-S3-02")
}

func TestStateBucketIsVersionedAndEncryptedWithTheStateKey(t *testing.T) {
	t.Parallel()
	res := runStateBackend(t, components.StateBackendArgs{})
	state := one(t, res, mockrun.TypeBucket, "state-bucket")
	key := one(t, res, mockrun.TypeKmsKey, "state-key")
	v := companion(t, res, mockrun.TypeBucketVersioning, state)
	assert.Equal(t, map[string]any{"status": "Enabled"}, v.Value("versioningConfiguration"))
	enc := companion(t, res, mockrun.TypeBucketEncryption, state)
	assert.Equal(t, []any{map[string]any{
		"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key.Out("arn")},
		"bucketKeyEnabled":                   true,
	}}, enc.Value("rules"))
	logs := one(t, res, mockrun.TypeBucket, "state-logs")
	logEnc := companion(t, res, mockrun.TypeBucketEncryption, logs)
	assert.Equal(t, []any{map[string]any{
		"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "AES256"},
		"bucketKeyEnabled":                   false,
	}}, logEnc.Value("rules"), "log delivery cannot write SSE-KMS objects")
	requireControlsHold(t, res, "AF-S3-04")
}

func TestStateBucketPolicyIsTlsOnlyAndRefusesOtherEncryptionButNotAMissingHeader(t *testing.T) {
	t.Parallel()
	res := runStateBackend(t, components.StateBackendArgs{})
	state := one(t, res, mockrun.TypeBucket, "state-bucket")
	arn := state.Out("arn")
	keyArn := one(t, res, mockrun.TypeKmsKey, "state-key").Out("arn")
	pol := companion(t, res, mockrun.TypeBucketPolicy, state)
	assert.True(t, pol.DependsOn(companion(t, res, mockrun.TypePublicAccessBlock, state).URN),
		"the policy waits for the public access block")
	stmts := policyOf(t, pol, "policy")
	both, objects := []string{arn, arn + "/*"}, []string{arn + "/*"}
	assert.Equal(t, []iampolicy.Statement{
		{Sid: "DenyInsecureTransport", Effect: "Deny", Principals: []string{"*"}, Actions: []string{"s3:*"}, Resources: both,
			Condition: map[string]map[string]any{"Bool": {"aws:SecureTransport": "false"}}},
		{Sid: "DenyOutdatedTls", Effect: "Deny", Principals: []string{"*"}, Actions: []string{"s3:*"}, Resources: both,
			Condition: map[string]map[string]any{"NumericLessThan": {"s3:TlsVersion": "1.2"}}},
		{Sid: "DenyOtherEncryption", Effect: "Deny", Principals: []string{"*"}, Actions: []string{"s3:PutObject"}, Resources: objects,
			Condition: map[string]map[string]any{
				"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
				"Null":            {"s3:x-amz-server-side-encryption": "false"}}},
		{Sid: "DenyOtherKmsKey", Effect: "Deny", Principals: []string{"*"}, Actions: []string{"s3:PutObject"}, Resources: objects,
			Condition: map[string]map[string]any{
				"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": keyArn},
				"Null":            {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"}}},
		{Sid: "DenyKmsWithoutThisKeyId", Effect: "Deny", Principals: []string{"*"}, Actions: []string{"s3:PutObject"}, Resources: objects,
			Condition: map[string]map[string]any{"Null": {
				"s3:x-amz-server-side-encryption":                "false",
				"s3:x-amz-server-side-encryption-aws-kms-key-id": "true"}}},
		{Sid: "DenyCustomerProvidedKeys", Effect: "Deny", Principals: []string{"*"}, Actions: []string{"s3:PutObject"}, Resources: objects,
			Condition: map[string]map[string]any{"Null": {"s3:x-amz-server-side-encryption-customer-algorithm": "false"}}},
	}, stmts)
	for _, s := range stmts {
		assert.NotEqual(t, "Allow", s.Effect, "the state bucket policy only denies; access is granted by IAM")
	}
}

func TestLogBucketAcceptsOnlyTheStateBucketsAccessLogsOverTls(t *testing.T) {
	t.Parallel()
	res := runStateBackend(t, components.StateBackendArgs{})
	state := one(t, res, mockrun.TypeBucket, "state-bucket")
	logs := one(t, res, mockrun.TypeBucket, "state-logs")
	logging := companion(t, res, mockrun.TypeBucketLogging, state)
	assert.Equal(t, logs.ID, logging.Str("targetBucket"))
	assert.Equal(t, defaultStateBucket+"/", logging.Str("targetPrefix"))
	stmts := policyOf(t, companion(t, res, mockrun.TypeBucketPolicy, logs), "policy")
	require.Len(t, stmts, 3)
	assert.Equal(t, iampolicy.Statement{Sid: "S3ServerAccessLogsFromStateBucket", Effect: "Allow",
		Principals: []string{"Service:logging.s3.amazonaws.com"}, Actions: []string{"s3:PutObject"},
		Resources: []string{logs.Out("arn") + "/" + defaultStateBucket + "/*"},
		Condition: map[string]map[string]any{
			"ArnLike":      {"aws:SourceArn": state.Out("arn")},
			"StringEquals": {"aws:SourceAccount": "123456789012"}}}, stmts[2])
	for _, l := range res.OfType(mockrun.TypeBucketLogging) {
		assert.NotEqual(t, logs.ID, l.Str("bucket"), "the log bucket does not log itself (documented exception)")
	}
	requireControlsHold(t, res, "AF-S3-03", "AF-S3-08")
}

func TestLifecycleExpiresOldStateVersionsAndAccessLogs(t *testing.T) {
	t.Parallel()
	res := runStateBackend(t, components.StateBackendArgs{NoncurrentVersionDays: 30, NoncurrentVersionsToKeep: 5, AccessLogDays: 400})
	state := one(t, res, mockrun.TypeBucket, "state-bucket")
	rules := companion(t, res, mockrun.TypeBucketLifecycle, state).Value("rules")
	assert.Equal(t, []any{
		map[string]any{"id": "expire-old-state-versions", "status": "Enabled", "filter": map[string]any{},
			"noncurrentVersionExpiration":    map[string]any{"noncurrentDays": 30.0, "newerNoncurrentVersions": 5.0},
			"abortIncompleteMultipartUpload": map[string]any{"daysAfterInitiation": 7.0}},
		map[string]any{"id": "remove-expired-delete-markers", "status": "Enabled", "filter": map[string]any{},
			"expiration": map[string]any{"expiredObjectDeleteMarker": true}},
		// Each update's lock object has a key of its own: its one noncurrent version would never expire under
		// the first rule (no newer versions ever come), so released locks expire after a day.
		map[string]any{"id": "expire-released-locks", "status": "Enabled", "filter": map[string]any{"prefix": ".pulumi/locks/"},
			"noncurrentVersionExpiration": map[string]any{"noncurrentDays": 1.0}},
	}, rules)
	logs := one(t, res, mockrun.TypeBucket, "state-logs")
	assert.Equal(t, []any{
		map[string]any{"id": "expire-access-logs", "status": "Enabled", "filter": map[string]any{},
			"expiration":                     map[string]any{"days": 400.0},
			"noncurrentVersionExpiration":    map[string]any{"noncurrentDays": 400.0},
			"abortIncompleteMultipartUpload": map[string]any{"daysAfterInitiation": 7.0}},
		map[string]any{"id": "remove-expired-delete-markers", "status": "Enabled", "filter": map[string]any{},
			"expiration": map[string]any{"expiredObjectDeleteMarker": true}},
	}, companion(t, res, mockrun.TypeBucketLifecycle, logs).Value("rules"))
}

func TestLogBucketIsVersionedAndExpiresNoncurrentLogsAfterTheRetention(t *testing.T) {
	t.Parallel()
	res := runStateBackend(t, components.StateBackendArgs{})
	logs := one(t, res, mockrun.TypeBucket, "state-logs")
	v := companion(t, res, mockrun.TypeBucketVersioning, logs)
	assert.Equal(t, map[string]any{"status": "Enabled"}, v.Value("versioningConfiguration"))
	assert.True(t, v.Protect && v.RetainOnDelete, "versioning is protected like every state-backend child")
	lc := companion(t, res, mockrun.TypeBucketLifecycle, logs)
	rule := lc.Value("rules").([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{"days": 365.0}, rule["expiration"], "logs are kept stateAccessLogDays")
	assert.Equal(t, map[string]any{"noncurrentDays": 365.0}, rule["noncurrentVersionExpiration"],
		"an overwritten or expired log is kept as long again, never forever")
	assert.Equal(t, map[string]any{"daysAfterInitiation": 7.0}, rule["abortIncompleteMultipartUpload"])
	assert.True(t, lc.DependsOn(v.URN), "noncurrent-version rules apply once versioning is on")
	requireControlsHold(t, res, "AF-S3-06", "AF-S3-07")
	for _, o := range controls.Evaluate(res) {
		if o.Control.ID == "AF-S3-06" {
			assert.Equal(t, controls.Pass, o.Status, "no exception is needed for the log bucket's versioning any more")
		}
	}
}

func TestLifecycleDefaultsAreNinetyDaysTenVersionsAndAYearOfLogs(t *testing.T) {
	t.Parallel()
	res := runStateBackend(t, components.StateBackendArgs{})
	state := one(t, res, mockrun.TypeBucket, "state-bucket")
	rules := companion(t, res, mockrun.TypeBucketLifecycle, state).Value("rules").([]any)
	assert.Equal(t, map[string]any{"noncurrentDays": 90.0, "newerNoncurrentVersions": 10.0},
		rules[0].(map[string]any)["noncurrentVersionExpiration"])
	logs := one(t, res, mockrun.TypeBucket, "state-logs")
	logRules := companion(t, res, mockrun.TypeBucketLifecycle, logs).Value("rules").([]any)
	assert.Equal(t, map[string]any{"days": 365.0}, logRules[0].(map[string]any)["expiration"])
	requireControlsHold(t, res, "AF-S3-06", "AF-S3-07")
}

func TestLockTableIsOnDemandRecoverableEncryptedWithTheStateKeyAndDeletionProtected(t *testing.T) {
	t.Parallel()
	res := runStateBackend(t, components.StateBackendArgs{})
	table := one(t, res, mockrun.TypeTable, "state-lock")
	assert.Equal(t, "aws-foundation-state-lock", table.Str("name"))
	assert.Equal(t, "PAY_PER_REQUEST", table.Str("billingMode"))
	assert.Equal(t, "LockID", table.Str("hashKey"))
	assert.Equal(t, []any{map[string]any{"name": "LockID", "type": "S"}}, table.Value("attributes"))
	assert.Equal(t, map[string]any{"enabled": true}, table.Value("pointInTimeRecovery"))
	assert.Equal(t, map[string]any{"enabled": true, "kmsKeyArn": one(t, res, mockrun.TypeKmsKey, "state-key").Out("arn")},
		table.Value("serverSideEncryption"))
	assert.Equal(t, true, table.Value("deletionProtectionEnabled"))
	requireControlsHold(t, res, "AF-DDB-01", "AF-DDB-02", "AF-DDB-03", "AF-STATE-01")
}

func TestBootstrapStackExportsABackendUrlSecretsProviderAndTerraformBlock(t *testing.T) {
	t.Parallel()
	for _, dry := range modes() {
		t.Run(mode(dry), func(t *testing.T) {
			res := runStack(t, "bootstrap", dry)
			requireNoDuplicateURNs(t, res)
			for _, k := range stateBackendOutputs(t) {
				e, ok := res.Exports[k]
				if assert.True(t, ok, "export %s missing", k) {
					assert.True(t, e.Known, "export %s unknown", k)
				}
			}
			assert.Len(t, res.Exports, len(stateBackendOutputs(t)))
			assert.Empty(t, res.OfType(components.NetworkType), "bootstrap composes StateBackend only")
			assert.Empty(t, res.OfType(components.FlowLogsType))
			assert.Len(t, res.OfType(components.StateBackendType), 1)
			requireControlsHold(t, res, "AF-KMS-01", "AF-KMS-02", "AF-S3-01", "AF-S3-02", "AF-S3-03", "AF-S3-04",
				"AF-S3-05", "AF-S3-06", "AF-S3-07", "AF-S3-08", "AF-DDB-01", "AF-DDB-02", "AF-DDB-03", "AF-STATE-01")
			ex := func(k string) any { return res.Exports[k].Value }
			assert.Equal(t, "s3://"+defaultStateBucket+"?region=us-east-1&awssdk=v2", ex("backendUrl"))
			assert.Equal(t, "awskms://alias/aws-foundation/state?region=us-east-1", ex("secretsProvider"))
			assert.Equal(t, defaultStateBucket, ex("stateBucketName"))
			assert.Equal(t, defaultLogBucket, ex("logBucketName"))
			assert.Equal(t, "aws-foundation-state-lock", ex("lockTableName"))
			keyArn := one(t, res, mockrun.TypeKmsKey, "state-key").Out("arn")
			assert.Equal(t, keyArn, ex("kmsKeyArn"))
			tf := ex("terraformBackendConfig").(string)
			for _, line := range []string{`backend "s3" {`, `bucket       = "` + defaultStateBucket + `"`,
				`region       = "us-east-1"`, `encrypt      = true`, `kms_key_id   = "` + keyArn + `"`,
				`use_lockfile = true`, `# Terraform before 1.11: replace use_lockfile with dynamodb_table = "aws-foundation-state-lock"`} {
				assert.Contains(t, tf, line)
			}
		})
	}
}

func TestStateBackendNamesAndLifecycleFollowConfiguration(t *testing.T) {
	t.Parallel()
	res, err := runStackWith(map[string]string{"stackKind": "bootstrap", "stateBucketName": "acme-pulumi-state",
		"stateLogBucketName": "acme-pulumi-state-access", "stateLockTableName": "acme.tf_lock",
		"stateNoncurrentVersionDays": "30", "stateNoncurrentVersionsToKeep": "100", "stateAccessLogDays": "731"})
	require.NoError(t, err)
	assert.Equal(t, "acme-pulumi-state", res.Exports["stateBucketName"].Value)
	assert.Equal(t, "acme-pulumi-state-access", res.Exports["logBucketName"].Value)
	assert.Equal(t, "acme.tf_lock", res.Exports["lockTableName"].Value)
	state := one(t, res, mockrun.TypeBucket, "state-bucket")
	rules := companion(t, res, mockrun.TypeBucketLifecycle, state).Value("rules").([]any)
	assert.Equal(t, map[string]any{"noncurrentDays": 30.0, "newerNoncurrentVersions": 100.0},
		rules[0].(map[string]any)["noncurrentVersionExpiration"])
}

func TestInvalidStateBackendConfigurationIsRefusedBeforeAnythingIsRegistered(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 64)
	cases := []struct {
		name string
		cfg  map[string]string
		want []string
	}{
		{"bucket too long", map[string]string{"stateBucketName": long}, []string{"aws-foundation:stateBucketName", "64 characters; S3 allows 3 to 63"}},
		{"bucket too short", map[string]string{"stateBucketName": "ab"}, []string{"aws-foundation:stateBucketName", "S3 allows 3 to 63"}},
		{"bucket with dots", map[string]string{"stateBucketName": "acme.state"}, []string{"aws-foundation:stateBucketName", "contains dots"}},
		{"bucket with underscores", map[string]string{"stateBucketName": "acme_state"}, []string{"aws-foundation:stateBucketName", "contains underscores"}},
		{"bucket with upper case", map[string]string{"stateBucketName": "AcmeState"}, []string{"aws-foundation:stateBucketName", "upper-case"}},
		{"bucket ending in a hyphen", map[string]string{"stateBucketName": "acme-state-"}, []string{"aws-foundation:stateBucketName", "starting and ending with a letter or digit"}},
		{"reserved prefix", map[string]string{"stateBucketName": "xn--state"}, []string{"aws-foundation:stateBucketName", "reserved prefix"}},
		{"reserved suffix", map[string]string{"stateBucketName": "state-s3alias"}, []string{"aws-foundation:stateBucketName", "reserved suffix"}},
		{"log bucket invalid", map[string]string{"stateLogBucketName": "Logs"}, []string{"aws-foundation:stateLogBucketName", "upper-case"}},
		{"log bucket is the state bucket", map[string]string{"stateBucketName": "acme-state", "stateLogBucketName": "acme-state"}, []string{"aws-foundation:stateLogBucketName", "must differ"}},
		{"table name with a space", map[string]string{"stateLockTableName": "lock table"}, []string{"aws-foundation:stateLockTableName", "3 to 255"}},
		{"table name too short", map[string]string{"stateLockTableName": "lk"}, []string{"aws-foundation:stateLockTableName", "3 to 255"}},
		{"negative version days", map[string]string{"stateNoncurrentVersionDays": "-1"}, []string{"aws-foundation:stateNoncurrentVersionDays", "must be positive"}},
		{"zero version days", map[string]string{"stateNoncurrentVersionDays": "0"}, []string{"aws-foundation:stateNoncurrentVersionDays", "0 is not allowed"}},
		{"too many versions for S3", map[string]string{"stateNoncurrentVersionsToKeep": "101"}, []string{"aws-foundation:stateNoncurrentVersionsToKeep", "outside 1 to 100"}},
		{"negative log days", map[string]string{"stateAccessLogDays": "-365"}, []string{"aws-foundation:stateAccessLogDays", "must be positive"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := map[string]string{"stackKind": "bootstrap"}
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

func TestADerivedLogBucketNameThatIsTooLongIsRefusedBeforeAnyChildIsCreated(t *testing.T) {
	t.Parallel()
	res, err := mockrun.Run(func(ctx *pulumi.Context) error {
		_, err := components.NewStateBackend(ctx, "state", &components.StateBackendArgs{BucketName: strings.Repeat("s", 60)})
		return err
	}, mockrun.Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "derived names")
	assert.Contains(t, err.Error(), "LogBucketName")
	requireNoChildCreated(t, res)
}

func TestStateBackendLooksUpAccountAndRegionThroughItsProvider(t *testing.T) {
	t.Parallel()
	res := runComponent(t, func(ctx *pulumi.Context) error {
		p, err := aws.NewProvider(ctx, "eu", &aws.ProviderArgs{Region: pulumi.String("eu-west-1")})
		if err != nil {
			return err
		}
		_, err = components.NewStateBackend(ctx, "state", &components.StateBackendArgs{}, pulumi.Provider(p))
		return err
	})
	provider := res.OfType("pulumi:providers:aws")
	require.Len(t, provider, 1)
	ref := provider[0].URN + "::" + provider[0].ID
	require.NotEmpty(t, res.Invokes)
	for _, inv := range res.Invokes {
		assert.Equal(t, ref, inv.Provider, "%s must go through the component's provider", inv.Token)
	}
	bucket := one(t, res, mockrun.TypeBucket, "state-bucket")
	assert.Equal(t, "aws-foundation-state-123456789012-eu-west-1", bucket.Str("bucket"), "the derived name uses the provider's region")
	assert.Equal(t, ref, bucket.Provider)
}
