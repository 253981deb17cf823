// Package controls is the control suite: security properties of the foundation checked over the resources a
// stack registers under mocks, each with the upstream ids it corresponds to (FSBP, CIS, Checkov, Trivy), the
// tests that prove it, and the accepted exceptions with their reasons and compensating measures.
//
// controls.go holds the table of controls, exceptions.go the accepted deviations, evaluate.go how both are
// applied to a run, findings.go what a check reports; the checks live in one file per service (s3.go, kms.go,
// logs.go, iam.go, network.go and nacl.go for EC2, dynamodb.go), with stateful.go and tags.go for the checks
// that span services.
package controls

import (
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
)

// Control is one security property of the foundation, checked over the resources a stack registers.
type Control struct {
	// ID is ours and stable: a renamed control keeps its ID.
	ID string
	// Title is the one-line statement of the property.
	Title string
	// Upstream are the corresponding ids in AWS Security Hub FSBP, CIS AWS Foundations, Checkov and Trivy.
	Upstream []string
	// How says how this project satisfies the control.
	How string
	// Tests name the tests that prove it (besides the suite's own mutation test for the control).
	Tests []string
	// AccessTests name the tests of the access tier (tests/access_*_test.go) that prove the control's policies
	// under AWS's own grammar and evaluation logic rather than our parser, and AccessScenarios the scenario
	// tables they evaluate ("flowLogScenarios", or "deployWorld.deniedScenarios" for a method). Every control
	// that reads a policy names at least one of each; nil for a control the tier does not cover.
	AccessTests     []string
	AccessScenarios []string
	// Types are the resource types the control inspects; a stack with none of them is not applicable.
	Types []string
	// Check returns every violation.
	Check func(*mockrun.Result) []Finding
}

// The access-tier tests of the policies the program renders, and of the deploy roles and the flow-logs boundary
// (docs/iam). Each named scenario table is evaluated by the "grants" test and turned red by the mutation test.
var (
	programPolicyTests = []string{"TestEveryPolicyIsValidForItsKindUnderAWSGrammar",
		"TestEveryPolicyTheProgramRendersGrantsExactlyWhatItShould", "TestEveryProgramPolicyMutationTurnsItsScenariosRed"}
	deployPolicyTests = []string{"TestDeployRolesCannotEscalateOrReachOutsideTheirStack",
		"TestFlowLogRolesUnderTheBoundaryCanOnlyDeliverFlowLogs", "TestEveryDeployPolicyMutationTurnsItsScenariosRed"}
)

// Controls is the control suite.
var Controls = []Control{
	{ID: "AF-KMS-01", Title: "Customer-managed KMS keys rotate automatically, and Pulumi deletes them only with a 30-day waiting period (deletionWindowInDays 30).",
		Upstream: []string{"FSBP KMS.4", "CIS v3.0 3.6", "CKV_AWS_7", "AVD-AWS-0065"},
		How:      "Every key is created by one helper (components/kms.go) with EnableKeyRotation and DeletionWindowInDays 30.",
		Tests:    []string{"TestFlowLogKeyIsASymmetricRotatingKeyWithAThirtyDayWindowAndAnAlias", "TestStateKeyRotatesAndOnlyTheAccountRootAdministersIt"},
		Types:    []string{mockrun.TypeKmsKey}, Check: KeysRotate},
	{ID: "AF-KMS-02", Title: "Every KMS key has an explicit key policy, and no statement allows an unconditioned `*` principal.",
		Upstream:        []string{"CKV_AWS_33", "CKV2_AWS_64"},
		How:             "Key policies are typed Go values: the account root administers the key; service principals are named and conditioned.",
		Tests:           []string{"TestFlowLogKeyPolicyLetsCloudWatchLogsUseItForThisLogGroupOnly", "TestStateKeyRotatesAndOnlyTheAccountRootAdministersIt"},
		AccessTests:     programPolicyTests,
		AccessScenarios: []string{"flowLogScenarios", "stateScenarios"},
		Types:           []string{mockrun.TypeKmsKey}, Check: KeyPoliciesExplicitAndNotPublic},
	{ID: "AF-LOG-01", Title: "Log groups keep records at least 365 days.",
		Upstream: []string{"FSBP CloudWatch.16", "CKV_AWS_338", "PCI DSS 10.5.1"},
		How:      "FlowLogs defaults to 365 days and refuses less unless AllowShortRetention is set.",
		Tests:    []string{"TestLogGroupIsNamedDeterministicallyKeptAYearEncryptedWithTheKeyAndWaitsForIt"},
		Types:    []string{mockrun.TypeLogGroup}, Check: LogGroupsRetainedAYear},
	{ID: "AF-LOG-02", Title: "Log groups are encrypted with a customer-managed key of the stack.",
		Upstream: []string{"CKV_AWS_158", "AVD-AWS-0017", "HIPAA 164.312(a)(2)(iv)"},
		How:      "The flow-log group's kmsKeyId is its own key's ARN.",
		Tests:    []string{"TestLogGroupIsNamedDeterministicallyKeptAYearEncryptedWithTheKeyAndWaitsForIt"},
		Types:    []string{mockrun.TypeLogGroup}, Check: LogGroupsEncryptedWithCmk},
	{ID: "AF-LOG-03", Title: "A log group's key lets CloudWatch Logs use it for that log group only, and the group is created after the key policy.",
		Upstream:        []string{"NIST 800-53 AC-6"},
		How:             "The key policy's logs statement carries ArnEquals kms:EncryptionContext:aws:logs:arn = the group's ARN; the group depends on the key.",
		Tests:           []string{"TestFlowLogKeyPolicyLetsCloudWatchLogsUseItForThisLogGroupOnly"},
		AccessTests:     programPolicyTests,
		AccessScenarios: []string{"flowLogScenarios"},
		Types:           []string{mockrun.TypeLogGroup}, Check: LogKeysScopedToTheirLogGroup},
	{ID: "AF-LOG-04", Title: "Flow-log evidence survives `pulumi destroy`: log groups, the keys that decrypt them and the keys' aliases are retained on delete.",
		Upstream: []string{"PCI DSS 10.5.1", "SOC 2 CC7.2", "Pulumi retainOnDelete"},
		How:      "FlowLogs gives the key, alias and log group pulumi.RetainOnDelete unless flowLogsDeleteWithStack is true; when Pulumi deletes the key it waits 30 days (AF-KMS-01), and the deploy roles may not schedule a shorter wait. docs/RUNBOOK.md adopts retained evidence into a re-created stack.",
		Tests:    []string{"TestFlowLogEvidenceIsRetainedOnDeleteUnlessTheStackOptsOut", "TestTheRunbookImportFileAdoptsExactlyTheRetainedEvidence"},
		Types:    []string{mockrun.TypeLogGroup}, Check: LogEvidenceRetained},
	{ID: "AF-VPC-01", Title: "Every VPC has a flow log capturing ALL traffic into a log group of the stack.",
		Upstream: []string{"FSBP EC2.6", "CIS v3.0 3.7", "CKV2_AWS_11", "AVD-AWS-0178", "SOC 2 CC7.2"},
		How:      "Environment stacks always compose FlowLogs for their Network's VPC; no config key turns it off.",
		Tests:    []string{"TestFlowLogCapturesAllTrafficIntoThisLogGroupWithThisRole", "TestEnvironmentStacksLogTheirOwnNetworksVpc"},
		Types:    []string{mockrun.TypeVpc}, Check: FlowLogsOnEveryVpc},
	{ID: "AF-VPC-02", Title: "The default security group of every VPC has no rules.",
		Upstream: []string{"FSBP EC2.2", "CIS v3.0 5.4 / v4.0 5.5", "CKV2_AWS_12"},
		How:      "Network adopts the default security group with empty ingress and egress lists.",
		Tests:    []string{"TestDefaultSecurityGroupIsAdoptedWithNoRules", "TestDefaultSecurityGroupCheckFiresOnAnyRuleOrWhenNotAdopted"},
		Types:    []string{mockrun.TypeVpc}, Check: DefaultSecurityGroupsHaveNoRules},
	{ID: "AF-VPC-03", Title: "No network ACL rule admits 0.0.0.0/0 or ::/0 to port 22 or 3389.",
		Upstream: []string{"FSBP EC2.21", "CIS v3.0 5.1 / v4.0 5.2", "AWS Config nacl-no-unrestricted-ssh-rdp"},
		How:      "Network adopts the default ACL and creates the public ACL with return-traffic rules on ephemeral ports (1024 and above, 3389 skipped) only; publicIngressPorts refuses 22 and 3389.",
		Tests:    []string{"TestNetworkAclsAdmitNoInternetTrafficToSshOrRdp", "TestNaclCheckFiresOnEveryWayOfOpeningAdminPortsToTheInternet", "TestInvalidConfigurationIsRefusedBeforeAnythingIsRegistered"},
		Types:    []string{mockrun.TypeVpc}, Check: NaclsAdmitNoInternetToAdminPorts},
	{ID: "AF-VPC-04", Title: "No subnet assigns public IPv4 addresses on launch.",
		Upstream: []string{"FSBP EC2.15", "CKV_AWS_130", "AVD-AWS-0164"},
		How:      "Every subnet, public ones included, sets mapPublicIpOnLaunch false; NAT gateways have their own Elastic IPs.",
		Tests:    []string{"TestNoSubnetMapsPublicIps", "TestPublicIpCheckFiresOnASubnetThatMapsPublicIps"},
		Types:    []string{mockrun.TypeSubnet}, Check: SubnetsDoNotMapPublicIps},
	{ID: "AF-VPC-05", Title: "No network ACL rule, ingress or egress, uses protocol -1 (all): every rule names tcp, udp or icmp.",
		Upstream: []string{"AVD-AWS-0102", "tfsec aws-ec2-no-excessive-port-access"},
		How:      "Both ACLs are built from one rule table (components/nacl.go) whose rules are TCP, UDP and ICMP only.",
		Tests:    []string{"TestNoNetworkAclRuleUsesProtocolAll"},
		Types:    []string{mockrun.TypeVpc}, Check: NaclRulesNameTheirProtocol},
	{ID: "AF-VPC-06", Title: "Public subnets have a network ACL of their own; from the internet, no ACL admits a port below 1024 except, on the public ACL, the configured publicIngressPorts, nor 3389, and above 1023 only TCP/UDP (return traffic, which a stateless ACL cannot tell from new connections: security groups are the control there); of ICMP, only error messages (types " + intList(icmpErrorTypes) + ").",
		Upstream: []string{"NIST 800-53 SC-7", "AWS Well-Architected SEC05-BP01"},
		How:      "The default ACL keeps the private rules (the VPC and return traffic) for private subnets and any subnet added later; the public ACL adds one TCP rule per publicIngressPorts entry (443 and 80 by default).",
		Tests:    []string{"TestPublicSubnetsHaveTheirOwnAclAdmittingTheConfiguredPorts", "TestDefaultNaclKeepsThePrivateRulesAndIgnoresSubnetsAddedLater", "TestPublicAclFollowsPublicIngressPorts"},
		Types:    []string{mockrun.TypeVpc}, Check: func(r *mockrun.Result) []Finding {
			return PublicSubnetsAdmitOnlyConfiguredPorts(r, DocumentedPublicIngressPorts())
		}},
	{ID: "AF-VPC-07", Title: "S3 gateway endpoints reach only this account's buckets, plus read-only access to buckets named exactly (no wildcards).",
		Upstream:        []string{"AWS data perimeter (resource perimeter)", "NIST 800-53 SC-7"},
		How:             "The endpoint policy allows s3:* only with aws:ResourceAccount = this account, s3:GetObject on the dated table of AWS service buckets for the region, and s3:GetObject/ListBucket on s3EndpointExtraBucketArns, which refuses '*' and '?'.",
		Tests:           []string{"TestS3EndpointPolicyAllowsThisAccountAndTheRegionsServiceBucketsByDefault", "TestS3EndpointPolicyGrantsExtraBucketsReadOnly"},
		AccessTests:     programPolicyTests,
		AccessScenarios: []string{"endpointScenarios"},
		Types:           []string{mockrun.TypeVpcEndpoint}, Check: S3EndpointsReachOnlyNamedBuckets},
	{ID: "AF-IAM-01", Title: "Flow-log roles trust only vpc-flow-logs.amazonaws.com of this account and may only write their own log group.",
		Upstream:        []string{"NIST 800-53 AC-6", "AWS confused-deputy guidance"},
		How:             "Trust policy with aws:SourceAccount and aws:SourceArn; inline policy on the group ARN and ARN:* only; no managed policies.",
		Tests:           []string{"TestFlowLogRoleTrustsOnlyVpcFlowLogsOfThisAccount", "TestFlowLogRoleMayOnlyWriteIntoItsOwnLogGroup"},
		AccessTests:     programPolicyTests,
		AccessScenarios: []string{"flowLogScenarios"},
		Types:           []string{mockrun.TypeFlowLog}, Check: FlowLogRolesLeastPrivilege},
	{ID: "AF-IAM-02", Title: "No identity policy allows `*` or `service:*` actions.",
		Upstream:        []string{"FSBP IAM.21", "CKV_AWS_63", "AVD-AWS-0057"},
		How:             "Role policies list their actions; wildcards appear only in key and endpoint resource policies, scoped by principal or condition.",
		Tests:           []string{"TestFlowLogRoleMayOnlyWriteIntoItsOwnLogGroup"},
		AccessTests:     programPolicyTests,
		AccessScenarios: []string{"flowLogScenarios"},
		Types:           []string{mockrun.TypeRolePolicy}, Check: NoWildcardActions},
	{ID: "AF-IAM-03", Title: "Flow-log roles are created under the path /aws-foundation/flow-logs/ with a permissions boundary.",
		Upstream:        []string{"NIST 800-53 AC-6", "AWS IAM permissions-boundary delegation"},
		How:             "FlowLogs sets iam.RoleArgs.Path to FlowLogRolePath and PermissionsBoundary from flowLogsPermissionsBoundary (a policy name resolved in this account, or an ARN); the deploy role may create roles only there, only with that boundary.",
		Tests:           []string{"TestFlowLogRoleLivesUnderItsPathWithTheConfiguredBoundary"},
		AccessTests:     deployPolicyTests,
		AccessScenarios: []string{"deployWorld.deniedScenarios", "deployWorld.boundaryScenarios"},
		Types:           []string{mockrun.TypeFlowLog}, Check: FlowLogRolesUnderPathWithBoundary},
	{ID: "AF-IAM-04", Title: "S3 replication roles trust only s3.amazonaws.com, are denied reading any bucket but their replication's source, and may not replicate deletions.",
		Upstream:        []string{"NIST 800-53 AC-6"},
		How:             "The log archive's replication role trusts s3.amazonaws.com (AWS documents no source condition for S3 Replication); its inline policy denies the replication reads on every bucket but the inbox, which wins over any bucket policy, and grants s3:ReplicateObject and s3:ReplicateTags on the vault, never s3:ReplicateDelete.",
		Tests:           []string{"TestReplicationRoleReadsOnlyTheInboxAndCannotReplicateDeletions"},
		AccessTests:     programPolicyTests,
		AccessScenarios: []string{"archiveScenarios"},
		Types:           []string{mockrun.TypeBucketReplication}, Check: ReplicationRolesReadOnlyTheirSource},
	{ID: "AF-S3-01", Title: "Every bucket blocks public access with all four flags.",
		Upstream: []string{"FSBP S3.8", "CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "CKV2_AWS_6", "AVD-AWS-0086", "AVD-AWS-0087", "AVD-AWS-0091", "AVD-AWS-0093"},
		How:      "One helper creates every bucket with its public access block.",
		Tests:    []string{"TestBothBucketsAreNeverPublicAndOwnerEnforced"},
		Types:    []string{mockrun.TypeBucket}, Check: BucketsBlockPublicAccess},
	{ID: "AF-S3-02", Title: "Every bucket's object ownership is BucketOwnerEnforced (ACLs off).",
		Upstream: []string{"FSBP S3.12", "CKV2_AWS_65"},
		How:      "One helper creates every bucket with BucketOwnershipControls BucketOwnerEnforced.",
		Tests:    []string{"TestBothBucketsAreNeverPublicAndOwnerEnforced"},
		Types:    []string{mockrun.TypeBucket}, Check: BucketsOwnerEnforced},
	{ID: "AF-S3-03", Title: "Every bucket denies requests made without TLS, on the bucket and its objects.",
		Upstream:        []string{"FSBP S3.5", "PCI DSS 4.2.1"},
		How:             "Both bucket policies start with DenyInsecureTransport (aws:SecureTransport false) and DenyOutdatedTls (below 1.2).",
		Tests:           []string{"TestStateBucketPolicyIsTlsOnlyAndRefusesOtherEncryptionButNotAMissingHeader", "TestLogBucketAcceptsOnlyTheStateBucketsAccessLogsOverTls"},
		AccessTests:     programPolicyTests,
		AccessScenarios: []string{"stateScenarios"},
		Types:           []string{mockrun.TypeBucket}, Check: BucketsTlsOnly},
	{ID: "AF-S3-04", Title: "Every bucket encrypts by default with a customer-managed key of the stack and the S3 bucket key.",
		Upstream: []string{"FSBP S3.17", "CKV_AWS_145", "AVD-AWS-0132"},
		How:      "The state bucket's default encryption is aws:kms with the state key and bucketKeyEnabled.",
		Tests:    []string{"TestStateBucketIsVersionedAndEncryptedWithTheStateKey"},
		Types:    []string{mockrun.TypeBucket}, Check: BucketsEncryptedByDefault},
	{ID: "AF-S3-05", Title: "KMS-encrypted buckets refuse uploads that ask for another encryption or key, and accept uploads that ask for none.",
		Upstream:        []string{"AWS S3 encryption guidance"},
		How:             "DenyOtherEncryption and DenyOtherKmsKey apply only when the header is sent (Null ... false).",
		Tests:           []string{"TestStateBucketPolicyIsTlsOnlyAndRefusesOtherEncryptionButNotAMissingHeader"},
		AccessTests:     programPolicyTests,
		AccessScenarios: []string{"stateScenarios"},
		Types:           []string{mockrun.TypeBucket}, Check: KmsBucketsRefuseOtherEncryption},
	{ID: "AF-S3-06", Title: "Every bucket is versioned, the access-log bucket included.",
		Upstream: []string{"FSBP S3.14", "CKV_AWS_21", "AVD-AWS-0090"},
		How:      "The state bucket and the access-log bucket have BucketVersioningV2 Enabled.",
		Tests:    []string{"TestStateBucketIsVersionedAndEncryptedWithTheStateKey", "TestLogBucketIsVersionedAndExpiresNoncurrentLogsAfterTheRetention"},
		Types:    []string{mockrun.TypeBucket}, Check: BucketsVersioned},
	{ID: "AF-S3-07", Title: "Every bucket has a lifecycle that aborts incomplete uploads and, when versioned, expires noncurrent versions.",
		Upstream: []string{"FSBP S3.13", "CKV2_AWS_61", "CKV_AWS_300"},
		How:      "State: noncurrent versions after 90 days keeping the 10 newest; logs: current and noncurrent versions after 365 days each; uploads aborted after 7 days in both.",
		Tests:    []string{"TestLifecycleExpiresOldStateVersionsAndAccessLogs", "TestLifecycleDefaultsAreNinetyDaysTenVersionsAndAYearOfLogs", "TestLogBucketIsVersionedAndExpiresNoncurrentLogsAfterTheRetention"},
		Types:    []string{mockrun.TypeBucket}, Check: BucketsHaveLifecycle},
	{ID: "AF-S3-08", Title: "Every bucket logs server access to another bucket of the stack.",
		Upstream:        []string{"FSBP S3.9", "CKV_AWS_18", "AVD-AWS-0089", "SOC 2 CC7.2"},
		How:             "The state bucket logs into the log bucket under <bucket>/.",
		Tests:           []string{"TestLogBucketAcceptsOnlyTheStateBucketsAccessLogsOverTls"},
		AccessTests:     programPolicyTests,
		AccessScenarios: []string{"stateScenarios"},
		Types:           []string{mockrun.TypeBucket}, Check: BucketsLogAccess},
	{ID: "AF-S3-09", Title: "Object Lock buckets are created with Object Lock enabled and keep every object at least 365 days in COMPLIANCE mode by default.",
		Upstream: []string{"SEC 17a-4(f)", "FINRA 4511", "CKV_AWS_143"},
		How:      "The log archive's vault is created with objectLockEnabled and a default retention of logArchiveRetentionDays (2192 by default, at least 365) in COMPLIANCE mode; GOVERNANCE only with logArchiveGovernanceModeForTestAccountsOnly, which fails this control.",
		Tests:    []string{"TestVaultIsCreatedWithObjectLockAndAComplianceDefaultRetention"},
		Types:    []string{mockrun.TypeBucketObjectLock}, Check: ObjectLockBucketsAreWorm},
	{ID: "AF-SNS-01", Title: "SNS topics are encrypted with a customer-managed key of the stack, and only named service principals may publish, for this account's named alarms and rules.",
		Upstream:        []string{"CKV_AWS_26", "AWS Config sns-encrypted-kms", "AWS Config sns-topic-no-public-access"},
		How:             "The log archive's alerts topic has a key of its own; its policy lets cloudwatch.amazonaws.com and events.amazonaws.com publish with aws:SourceAccount and aws:SourceArn naming the archive's alarm and rules.",
		Tests:           []string{"TestArchiveAlertsTopicIsEncryptedAndOnlyTheArchivesAlarmAndRulesPublish"},
		AccessTests:     programPolicyTests,
		AccessScenarios: []string{"archiveScenarios"},
		Types:           []string{mockrun.TypeTopic}, Check: TopicsEncryptedAndPublishedOnlyByNamedSources},
	{ID: "AF-DDB-01", Title: "DynamoDB tables have point-in-time recovery.",
		Upstream: []string{"FSBP DynamoDB.2", "CKV_AWS_28", "AVD-AWS-0024"},
		How:      "The lock table enables point-in-time recovery.",
		Tests:    []string{"TestLockTableIsOnDemandRecoverableEncryptedWithTheStateKeyAndDeletionProtected"},
		Types:    []string{mockrun.TypeTable}, Check: TablesPointInTimeRecovery},
	{ID: "AF-DDB-02", Title: "DynamoDB tables are encrypted with a customer-managed key of the stack.",
		Upstream: []string{"CKV_AWS_119", "AVD-AWS-0025"},
		How:      "The lock table's server-side encryption uses the state key.",
		Tests:    []string{"TestLockTableIsOnDemandRecoverableEncryptedWithTheStateKeyAndDeletionProtected"},
		Types:    []string{mockrun.TypeTable}, Check: TablesEncryptedWithCmk},
	{ID: "AF-DDB-03", Title: "DynamoDB tables have deletion protection.",
		Upstream: []string{"FSBP DynamoDB.6"},
		How:      "The lock table sets deletionProtectionEnabled.",
		Tests:    []string{"TestLockTableIsOnDemandRecoverableEncryptedWithTheStateKeyAndDeletionProtected"},
		Types:    []string{mockrun.TypeTable}, Check: TablesDeletionProtected},
	{ID: "AF-STATE-01", Title: "Buckets, tables and the keys that encrypt them are protected and retained on delete, and buckets are never force-destroyed.",
		Upstream: []string{"Pulumi protect / retainOnDelete", "SOC 2 A1.2"},
		How:      "StateBackend gives every child pulumi.Protect(true) and pulumi.RetainOnDelete(true); forceDestroy is false.",
		Tests:    []string{"TestEveryStateBackendChildIsParentedNamedOffTheComponentProtectedAndRetained"},
		Types:    []string{mockrun.TypeBucket, mockrun.TypeTable}, Check: StatefulResourcesProtected},
	{ID: "AF-TAG-01", Title: "Every taggable resource has a Name tag, and every stack sets Environment, ManagedBy and Project through aws:defaultTags.",
		Upstream: []string{"AWS Config required-tags"},
		How:      "Components tag each child with its Name; stack files set aws:defaultTags.",
		Tests:    []string{"TestEveryTaggableNetworkChildHasANameAndSubnetsAndRouteTablesATier", "TestEveryStackFileTagsResourcesThroughDefaultTags"},
		Types:    TaggableTypes, Check: TagsPresent},
}
