package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws-foundation/aws-foundation/components"
	"github.com/aws-foundation/aws-foundation/internal/controls"
	"github.com/aws-foundation/aws-foundation/internal/iampolicy"
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
	"github.com/aws-foundation/aws-foundation/internal/report"
	"github.com/aws-foundation/aws-foundation/internal/stackrun"
	"github.com/aws-foundation/aws-foundation/stacks"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testVpcID = "vpc-0123456789abcdef0"

// flowLogParts returns the key, log group, role, role policy and flow log of a FlowLogs named "fl".
func flowLogParts(t *testing.T, res *mockrun.Result) (key, group, role, policy, flowLog mockrun.Resource) {
	t.Helper()
	return one(t, res, mockrun.TypeKmsKey, "fl-flow-logs"), one(t, res, mockrun.TypeLogGroup, "fl-flow-logs"),
		one(t, res, mockrun.TypeRole, "fl-flow-logs"), one(t, res, mockrun.TypeRolePolicy, "fl-flow-logs"),
		one(t, res, mockrun.TypeFlowLog, "fl")
}

func TestEveryFlowLogsChildIsParentedToTheComponentAndNamedOffIt(t *testing.T) {
	t.Parallel()
	res := runFlowLogs(t, components.FlowLogsArgs{})
	c := component(t, res, components.FlowLogsType)
	require.Len(t, res.AWS(), 6, "key, alias, log group, role, role policy, flow log")
	for _, r := range res.AWS() {
		assert.Equal(t, c.URN, r.Parent, "%s must be parented to FlowLogs", r)
		assert.True(t, strings.HasPrefix(r.Name, "fl"), "%s: name must derive from the component name", r)
	}
	requireNoDuplicateURNs(t, res)
}

func TestFlowLogKeyIsASymmetricRotatingKeyWithAThirtyDayWindowAndAnAlias(t *testing.T) {
	t.Parallel()
	res := runFlowLogs(t, components.FlowLogsArgs{})
	key, _, _, _, _ := flowLogParts(t, res)
	assert.Equal(t, true, key.Value("enableKeyRotation"))
	assert.Equal(t, 30.0, key.Value("deletionWindowInDays"))
	assert.Equal(t, "SYMMETRIC_DEFAULT", key.Str("customerMasterKeySpec"))
	assert.Equal(t, "ENCRYPT_DECRYPT", key.Str("keyUsage"))
	alias := one(t, res, mockrun.TypeKmsAlias, "fl-flow-logs")
	assert.Equal(t, "alias/aws-foundation/test/fl-flow-logs", alias.Str("name"))
	assert.Equal(t, key.Out("keyId"), alias.Str("targetKeyId"))
	requireControlsHold(t, res, "AF-KMS-01", "AF-KMS-02")
}

func TestFlowLogKeyPolicyLetsCloudWatchLogsUseItForThisLogGroupOnly(t *testing.T) {
	t.Parallel()
	res := runFlowLogs(t, components.FlowLogsArgs{})
	key, group, _, _, _ := flowLogParts(t, res)
	stmts := policyOf(t, key, "policy")
	require.Len(t, stmts, 2)

	admin := stmts[0]
	assert.Equal(t, "Allow", admin.Effect)
	assert.Equal(t, []string{"AWS:arn:aws:iam::123456789012:root"}, admin.Principals)
	assert.Equal(t, []string{"kms:*"}, admin.Actions)
	assert.Empty(t, admin.Condition)

	logs := stmts[1]
	assert.Equal(t, "Allow", logs.Effect)
	assert.Equal(t, []string{"Service:logs.us-east-1.amazonaws.com"}, logs.Principals)
	assert.Equal(t, []string{"kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"}, logs.Actions)
	assert.Equal(t, []string{"*"}, logs.Resources)
	assert.Equal(t, map[string]map[string]any{"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": group.Out("arn")}},
		logs.Condition, "the key may serve exactly this log group")
	assert.Equal(t, "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vpc-flow-logs/aws-foundation/test/fl", group.Out("arn"))
	requireClean(t, controls.LogKeysScopedToTheirLogGroup(res), "flow-log key scope")
}

func TestLogGroupIsNamedDeterministicallyKeptAYearEncryptedWithTheKeyAndWaitsForIt(t *testing.T) {
	t.Parallel()
	res := runFlowLogs(t, components.FlowLogsArgs{})
	key, group, _, _, _ := flowLogParts(t, res)
	assert.Equal(t, "/aws/vpc-flow-logs/aws-foundation/test/fl", group.Str("name"))
	assert.Equal(t, 365.0, group.Value("retentionInDays"))
	assert.Equal(t, key.Out("arn"), group.Str("kmsKeyId"))
	assert.True(t, group.DependsOn(key.URN), "the log group must be created after the key and its policy")
	requireControlsHold(t, res, "AF-LOG-01", "AF-LOG-02")
}

func TestRetentionAndLogGroupNameFollowTheArguments(t *testing.T) {
	t.Parallel()
	res := runFlowLogs(t, components.FlowLogsArgs{LogGroupName: "/custom/flow", RetentionInDays: 731})
	key, group, _, _, _ := flowLogParts(t, res)
	assert.Equal(t, "/custom/flow", group.Str("name"))
	assert.Equal(t, 731.0, group.Value("retentionInDays"))
	requireClean(t, controls.LogKeysScopedToTheirLogGroup(res), "key follows a custom name")
	assert.Contains(t, key.Str("policy"), "log-group:/custom/flow\"")
}

func TestFlowLogRoleTrustsOnlyVpcFlowLogsOfThisAccount(t *testing.T) {
	t.Parallel()
	res := runFlowLogs(t, components.FlowLogsArgs{})
	_, _, role, _, _ := flowLogParts(t, res)
	stmts := policyOf(t, role, "assumeRolePolicy")
	require.Len(t, stmts, 1)
	s := stmts[0]
	assert.Equal(t, "Allow", s.Effect)
	assert.Equal(t, []string{"Service:vpc-flow-logs.amazonaws.com"}, s.Principals)
	assert.Equal(t, []string{"sts:AssumeRole"}, s.Actions)
	assert.Equal(t, map[string]map[string]any{
		"StringEquals": {"aws:SourceAccount": "123456789012"},
		"ArnLike":      {"aws:SourceArn": "arn:aws:ec2:us-east-1:123456789012:vpc-flow-log/*"},
	}, s.Condition)
	assert.Empty(t, role.Value("managedPolicyArns"))
}

func TestFlowLogRoleMayOnlyWriteIntoItsOwnLogGroup(t *testing.T) {
	t.Parallel()
	res := runFlowLogs(t, components.FlowLogsArgs{})
	_, group, role, policy, _ := flowLogParts(t, res)
	assert.Equal(t, role.ID, policy.Str("role"))
	stmts := policyOf(t, policy, "policy")
	require.Len(t, stmts, 2)
	arn := group.Out("arn")
	assert.Equal(t, iampolicy.Statement{Sid: "WriteThisLogGroupOnly", Effect: "Allow",
		Actions:   []string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"},
		Resources: []string{arn, arn + ":*"}}, stmts[0])
	assert.Equal(t, iampolicy.Statement{Sid: "FindLogGroup", Effect: "Allow",
		Actions:   []string{"logs:DescribeLogGroups"},
		Resources: []string{"*"}}, stmts[1], "DescribeLogGroups has no resource-level permissions: only * grants it")
	for _, s := range stmts {
		assert.NotContains(t, s.Actions, "logs:CreateLogGroup")
		for _, a := range s.Actions {
			assert.False(t, strings.HasPrefix(a, "kms:"), "the role needs no KMS permission: %s", a)
		}
	}
	requireClean(t, controls.FlowLogRolesLeastPrivilege(res), "flow-log role")
	requireClean(t, controls.NoWildcardActions(res), "flow-log role")
}

func TestFlowLogCapturesAllTrafficIntoThisLogGroupWithThisRole(t *testing.T) {
	t.Parallel()
	res := runFlowLogs(t, components.FlowLogsArgs{})
	_, group, role, policy, fl := flowLogParts(t, res)
	assert.Equal(t, testVpcID, fl.Str("vpcId"))
	assert.Equal(t, "ALL", fl.Str("trafficType"))
	assert.Equal(t, "cloud-watch-logs", fl.Str("logDestinationType"))
	assert.Equal(t, group.Out("arn"), fl.Str("logDestination"))
	assert.Equal(t, role.Out("arn"), fl.Str("iamRoleArn"))
	assert.Equal(t, 60.0, fl.Value("maxAggregationInterval"))
	assert.True(t, fl.DependsOn(policy.URN), "delivery must not start before the role may write")
	for _, field := range []string{"vpc-id", "subnet-id", "instance-id", "tcp-flags", "pkt-srcaddr", "pkt-dstaddr",
		"flow-direction", "traffic-path", "srcaddr", "dstaddr", "action"} {
		assert.Contains(t, fl.Str("logFormat"), "${"+field+"}", "log format field %s", field)
	}
}

func TestFlowLogEvidenceIsRetainedOnDeleteUnlessTheStackOptsOut(t *testing.T) {
	t.Parallel()
	evidence := []struct{ typ, name string }{
		{mockrun.TypeKmsKey, "fl-flow-logs"}, {mockrun.TypeKmsAlias, "fl-flow-logs"}, {mockrun.TypeLogGroup, "fl-flow-logs"},
	}
	res := runFlowLogs(t, components.FlowLogsArgs{})
	for _, e := range evidence {
		r := one(t, res, e.typ, e.name)
		assert.True(t, r.RetainOnDelete, "%s is retained by default", r)
		assert.False(t, r.Protect, "%s: retained, not protected: the stack stays destroyable", r)
	}
	for _, r := range res.AWS() {
		if r.Type == mockrun.TypeRole || r.Type == mockrun.TypeRolePolicy || r.Type == mockrun.TypeFlowLog {
			assert.False(t, r.RetainOnDelete, "%s holds no evidence and goes with the stack", r)
		}
	}
	assert.Equal(t, 30.0, one(t, res, mockrun.TypeKmsKey, "fl-flow-logs").Value("deletionWindowInDays"),
		"a deletion by hand still waits 30 days")
	requireControlsHold(t, res, "AF-LOG-04")

	res = runFlowLogs(t, components.FlowLogsArgs{DeleteWithStack: true})
	for _, e := range evidence {
		assert.False(t, one(t, res, e.typ, e.name).RetainOnDelete, "%s %s with DeleteWithStack", e.typ, e.name)
	}
	assert.NotEmpty(t, controls.LogEvidenceRetained(res))

	for stack, retained := range map[string]bool{"prod": true, "dev": false} {
		res := runStack(t, stack, false)
		for _, e := range evidence {
			assert.Equal(t, retained, one(t, res, e.typ, stack+"-flow-logs").RetainOnDelete, "%s: %s", stack, e.typ)
		}
	}
}

func TestFlowLogRoleLivesUnderItsPathWithTheConfiguredBoundary(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, arg, want string
	}{
		{"no boundary", "", ""},
		{"a policy name becomes this account's policy", "flow-logs-boundary", "arn:aws:iam::123456789012:policy/flow-logs-boundary"},
		{"an ARN of this account", "arn:aws:iam::123456789012:policy/team/b", "arn:aws:iam::123456789012:policy/team/b"},
		{"an AWS managed policy", "arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/ReadOnlyAccess"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := runFlowLogs(t, components.FlowLogsArgs{PermissionsBoundaryArn: c.arg})
			_, _, role, _, fl := flowLogParts(t, res)
			assert.Equal(t, "/aws-foundation/flow-logs/", role.Str("path"))
			assert.Equal(t, c.want, role.Str("permissionsBoundary"))
			assert.Equal(t, c.want != "", role.Has("permissionsBoundary"))
			assert.Equal(t, "arn:aws:iam::123456789012:role/aws-foundation/flow-logs/fl-flow-logs-0a1b2c3", role.Out("arn"))
			assert.Equal(t, role.Out("arn"), fl.Str("iamRoleArn"))
			assert.True(t, fl.DeleteBeforeReplace,
				"EC2 refuses a second flow log with the same destination, so a replaced one goes first")
		})
	}
	for _, stack := range []string{"prod", "dev"} {
		res := runStack(t, stack, false)
		requireClean(t, controls.FlowLogRolesUnderPathWithBoundary(res), stack)
	}
	assert.NotEmpty(t, controls.FlowLogRolesUnderPathWithBoundary(runFlowLogs(t, components.FlowLogsArgs{})),
		"a role without a boundary is a finding: the deploy role may not create it")
}

// The runbook's import file must name exactly what the prod stack retains on delete, with the type tokens, logical
// names, parent and import ids the program uses; otherwise `pulumi import` would adopt resources under URNs the
// next `pulumi up` does not know, and that up would try to create them again.
func TestTheRunbookImportFileAdoptsExactlyTheRetainedEvidence(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "docs", "RUNBOOK.md"))
	require.NoError(t, err)
	block := regexp.MustCompile("(?s)```json\n(.*?)```").FindStringSubmatch(string(raw))
	require.NotNil(t, block, "docs/RUNBOOK.md shows the import file in a json block")
	var file struct {
		Resources []struct {
			Type, Name, LogicalName, ID, Parent string
			Component                           bool
		}
	}
	require.NoError(t, json.Unmarshal([]byte(block[1]), &file), "the import file is valid JSON")

	res := runStack(t, "prod", false)
	byURN := map[string]mockrun.Resource{}
	for _, r := range res.Resources {
		byURN[r.URN] = r
	}
	urnOf := map[string]string{} // import-file name -> URN, as pulumi import computes it
	adopted := map[string]bool{}
	for _, spec := range file.Resources {
		parentType := ""
		if spec.Parent != "" {
			parent, ok := urnOf[spec.Parent]
			require.True(t, ok, "%s: parent %q must come first", spec.Name, spec.Parent)
			parentType = string(resource.URN(parent).QualifiedType()) + "$"
		}
		urn := fmt.Sprintf("urn:pulumi:prod::aws-foundation::%s%s::%s", parentType, spec.Type, spec.LogicalName)
		urnOf[spec.Name] = urn
		r, ok := byURN[urn]
		if !assert.True(t, ok, "%s: the program registers no %s", spec.Name, urn) {
			continue
		}
		if spec.Component {
			assert.False(t, r.Custom, "%s is a component", urn)
			continue
		}
		adopted[urn] = true
		assert.True(t, r.RetainOnDelete, "%s is adopted, so it must be what destroy leaves behind", urn)
		switch spec.Type {
		case mockrun.TypeKmsKey:
			assert.Equal(t, "KEY_ID", spec.ID, "the key id is looked up at run time")
		case mockrun.TypeKmsAlias, mockrun.TypeLogGroup:
			assert.Equal(t, r.Str("name"), spec.ID, "%s is imported by its name", urn)
		}
	}
	for _, r := range res.AWS() {
		if r.RetainOnDelete {
			assert.True(t, adopted[r.URN], "%s is retained on delete but the runbook does not adopt it", r)
		}
	}

	// The one-resource form the runbook and docs/COMPONENTS.md give, for a stack whose FlowLogs component exists.
	fl := component(t, res, components.FlowLogsType)
	group := one(t, res, mockrun.TypeLogGroup, "prod-flow-logs")
	single := fmt.Sprintf("pulumi import %s %s %s --parent 'prod=%s' --protect=false", mockrun.TypeLogGroup,
		group.Name, group.Str("name"), fl.URN)
	assert.Contains(t, string(raw), single)
	doc, err := os.ReadFile(filepath.Join(repoRoot, report.ComponentsDoc))
	require.NoError(t, err)
	assert.Contains(t, string(doc), single)
}

func TestEnvironmentStacksLogTheirOwnNetworksVpc(t *testing.T) {
	t.Parallel()
	for _, stack := range []string{"prod", "dev"} {
		res := runStack(t, stack, false)
		vpc := one(t, res, mockrun.TypeVpc, stack+"-vpc")
		fl := one(t, res, mockrun.TypeFlowLog, stack)
		assert.Equal(t, vpc.ID, fl.Str("vpcId"), "%s: flow log must watch the Network's VPC", stack)
		assert.Equal(t, one(t, res, mockrun.TypeKmsKey, stack+"-flow-logs").Out("arn"), res.Exports["flowLogsKeyArn"].Value)
		assert.Equal(t, one(t, res, mockrun.TypeLogGroup, stack+"-flow-logs").Out("arn"), res.Exports["flowLogsLogGroupArn"].Value)
		requireControlsHold(t, res, "AF-VPC-01", "AF-LOG-01", "AF-LOG-02", "AF-LOG-03", "AF-KMS-01", "AF-KMS-02",
			"AF-IAM-01", "AF-IAM-02")
	}
}

func TestInvalidFlowLogsArgumentsAreRefusedBeforeAnythingIsRegistered(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args components.FlowLogsArgs
		want string
	}{
		{"no vpc", components.FlowLogsArgs{}, "VpcId: is required"},
		{"empty vpc", components.FlowLogsArgs{VpcId: pulumi.String("")}, "VpcId: must not be empty"},
		{"retention CloudWatch refuses", components.FlowLogsArgs{VpcId: pulumi.String(testVpcID), RetentionInDays: 366}, "RetentionInDays: 366 is not accepted"},
		{"short retention without override", components.FlowLogsArgs{VpcId: pulumi.String(testVpcID), RetentionInDays: 30}, "AllowShortRetention"},
		{"interval", components.FlowLogsArgs{VpcId: pulumi.String(testVpcID), MaxAggregationInterval: 300}, "MaxAggregationInterval: 300"},
		{"log group name", components.FlowLogsArgs{VpcId: pulumi.String(testVpcID), LogGroupName: "bad name!"}, "LogGroupName"},
		{"boundary with a space", components.FlowLogsArgs{VpcId: pulumi.String(testVpcID), PermissionsBoundaryArn: "my boundary"}, "PermissionsBoundaryArn: \"my boundary\" is neither"},
		{"boundary of another account", components.FlowLogsArgs{VpcId: pulumi.String(testVpcID), PermissionsBoundaryArn: "arn:aws:iam::999999999999:policy/b"}, "a policy of account 999999999999"},
		{"boundary in another partition", components.FlowLogsArgs{VpcId: pulumi.String(testVpcID), PermissionsBoundaryArn: "arn:aws-cn:iam::123456789012:policy/b"}, "in partition aws-cn"},
		{"archive bucket pattern", components.FlowLogsArgs{VpcId: pulumi.String(testVpcID), ArchiveBucketArn: "arn:aws:s3:::logs-*"}, "ArchiveBucketArn: \"arn:aws:s3:::logs-*\" is not the ARN of one bucket"},
		{"archive bucket folder", components.FlowLogsArgs{VpcId: pulumi.String(testVpcID), ArchiveBucketArn: "arn:aws:s3:::logs/vpc"}, "ArchiveBucketArn"},
		{"archive bucket name only", components.FlowLogsArgs{VpcId: pulumi.String(testVpcID), ArchiveBucketArn: "logs"}, "ArchiveBucketArn"},
		{"archive in another partition", components.FlowLogsArgs{VpcId: pulumi.String(testVpcID), ArchiveBucketArn: "arn:aws-cn:s3:::logs"}, "another partition than the stack (aws)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := c.args
			res, err := mockrun.Run(func(ctx *pulumi.Context) error {
				_, err := components.NewFlowLogs(ctx, "fl", &args)
				return err
			}, mockrun.Options{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			if strings.HasPrefix(c.name, "boundary of") || strings.HasPrefix(c.name, "boundary in") || strings.HasSuffix(c.name, "partition") {
				// Only the account lookup, made through the component's provider, reveals these.
				requireNoChildCreated(t, res)
				return
			}
			requireNothingRegistered(t, res)
		})
	}
}

const archiveInbox = "arn:aws:s3:::aws-foundation-log-inbox-210987654321-us-east-1"

func TestAnArchiveBucketAddsAParquetFlowLogOfTheSameRecordsAndKeepsTheCloudWatchOne(t *testing.T) {
	t.Parallel()
	res := runFlowLogs(t, components.FlowLogsArgs{ArchiveBucketArn: archiveInbox, MaxAggregationInterval: 600})
	_, group, _, _, fl := flowLogParts(t, res)
	archive := one(t, res, mockrun.TypeFlowLog, "fl-archive")
	assert.Equal(t, "cloud-watch-logs", fl.Str("logDestinationType"), "the CloudWatch flow log stays")
	assert.Equal(t, group.Out("arn"), fl.Str("logDestination"))
	assert.Equal(t, testVpcID, archive.Str("vpcId"))
	assert.Equal(t, "ALL", archive.Str("trafficType"))
	assert.Equal(t, "s3", archive.Str("logDestinationType"))
	assert.Equal(t, archiveInbox, archive.Str("logDestination"))
	assert.Equal(t, fl.Str("logFormat"), archive.Str("logFormat"), "the archive gets the same fields")
	assert.Equal(t, 600.0, archive.Value("maxAggregationInterval"), "and the same interval")
	assert.Equal(t, map[string]any{"fileFormat": "parquet", "hiveCompatiblePartitions": true, "perHourPartition": true},
		archive.Value("destinationOptions"))
	assert.Empty(t, archive.Str("iamRoleArn"), "an S3 destination takes no delivery role")
	assert.Empty(t, archive.Str("deliverLogsPermissionArn"))
}

// runStackFileWith runs a stack from its stack file with some keys set on top, as `pulumi up`.
func runStackFileWith(t *testing.T, stack string, set map[string]string) (*mockrun.Result, error) {
	t.Helper()
	cfg, p, err := stackrun.Config(repoRoot, stack)
	require.NoError(t, err)
	for k, v := range set {
		cfg[k] = v
	}
	return mockrun.Run(stacks.Run, mockrun.Options{Project: p.Name, Stack: stack, Config: cfg})
}

func TestProdWithAnArchiveDeliversToItAndKeepsEveryOtherResourceAsItWas(t *testing.T) {
	t.Parallel()
	plain := runStack(t, "prod", false)
	archived, err := runStackFileWith(t, "prod", map[string]string{"aws-foundation:flowLogsArchiveBucketArn": archiveInbox})
	require.NoError(t, err)
	var added []string
	before := map[string]bool{}
	for _, r := range plain.AWS() {
		before[r.URN] = true
	}
	for _, r := range archived.AWS() {
		if !before[r.URN] {
			added = append(added, r.Name)
		}
	}
	assert.Equal(t, []string{"prod-archive"}, added, "the archive adds one flow log and changes no URN")
	assert.Len(t, archived.AWS(), len(plain.AWS())+1)
	archive := one(t, archived, mockrun.TypeFlowLog, "prod-archive")
	assert.Equal(t, archiveInbox, archive.Str("logDestination"))
	assert.Equal(t, archive.Out("id"), archived.Exports["flowLogToArchiveId"].Value, "exported")
	assert.Equal(t, "", plain.Exports["flowLogToArchiveId"].Value, "empty without an archive")
	assert.Len(t, plain.OfType(mockrun.TypeFlowLog), 1)
}
