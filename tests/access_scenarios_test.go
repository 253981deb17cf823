package tests

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws-foundation/aws-foundation/internal/mockrun"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// verdict is what AWS decides for a request.
type verdict string

const (
	allowed verdict = "allowed"
	denied  verdict = "denied"            // explicitly or implicitly
	refused verdict = "explicitly denied" // a Deny statement matched: no other policy can grant it
)

func (v verdict) matches(result string) bool {
	switch v {
	case allowed:
		return result == "Allowed"
	case denied:
		return result == "ExplicitlyDenied" || result == "ImplicitlyDenied"
	case refused:
		return result == "ExplicitlyDenied"
	}
	return false
}

// scenario is one request and the decision AWS must reach for it, evaluated against policies from the catalog
// (IDs such as "prod/Role:prod-flow-logs" or "docs/preview-permissions").
type scenario struct {
	name     string
	who      string         // principal: a service ("logs.us-east-1.amazonaws.com") or an IAM ARN
	action   string         // "kms:GenerateDataKey"
	on       string         // resource ARN ("*" for actions without a resource)
	owner    string         // account that owns the resource; default the stack's account
	ctx      map[string]any // request context keys
	identity []string       // identity policies of who
	boundary []string       // permissions boundary of who
	resource string         // the resource's own policy (trust, key, bucket)
	endpoint []string       // VPC endpoint policies the request passes through
	scp      []string       // service control policies of the caller's organization (besides FullAWSAccess)
	want     verdict
}

// Test-only policies: a principal that its identity policies let do anything, so that a scenario tests the
// resource-side policy alone; and a bucket of another account open to everyone, so that only our endpoint
// policy can stop a request to it.
const (
	accountAdmin     = "test/account-admin"
	foreignPublicRW  = "test/foreign-bucket-open-to-all"
	workloadRoleName = "workload"
)

func addTestPolicies(c policyCatalog) {
	c[accountAdmin] = catalogPolicy{ID: accountAdmin, Kind: identityKind, Doc: map[string]any{
		"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"}}}}
	c[foreignPublicRW] = catalogPolicy{ID: foreignPublicRW, Kind: resourceKind, Doc: map[string]any{
		"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Principal": "*",
			"Action": "s3:*", "Resource": "*"}}}}
}

// item turns a scenario into an engine request. aws:ResourceAccount and aws:PrincipalAccount are set as AWS sets
// them, unless the scenario says otherwise.
func (s scenario) item(t testing.TB, c policyCatalog, id string) simulateItem {
	t.Helper()
	it := simulateItem{ID: id}
	it.Request.Principal, it.Request.Action = s.who, s.action
	it.Request.Resource.Resource = s.on
	it.Request.Resource.AccountID = s.owner
	if s.owner == "" {
		it.Request.Resource.AccountID = accessAccount
	}
	it.Request.Context = map[string]any{"aws:ResourceAccount": it.Request.Resource.AccountID}
	// What AWS puts in every signed request's context: aws:PrincipalIsAWSService, and for an IAM principal its
	// account and ARN (for a role session, the role's ARN); a scenario's ctx may still override them.
	it.Request.Context["aws:PrincipalIsAWSService"] = strings.HasSuffix(s.who, ".amazonaws.com")
	if parts := strings.Split(s.who, ":"); len(parts) > 4 && strings.HasPrefix(s.who, "arn:") {
		it.Request.Context["aws:PrincipalAccount"] = parts[4]
		if parts[2] == "iam" {
			it.Request.Context["aws:PrincipalArn"] = s.who
		}
	}
	for k, v := range s.ctx {
		it.Request.Context[k] = v
	}
	named := func(ids []string) []namedPolicy {
		var out []namedPolicy
		for _, pid := range ids {
			out = append(out, namedPolicy{Name: pid, Policy: c.get(t, pid).Doc})
		}
		return out
	}
	it.Identity, it.Boundaries, it.Endpoints, it.SCPs = named(s.identity), named(s.boundary), named(s.endpoint), named(s.scp)
	if s.resource != "" {
		it.Resource = c.get(t, s.resource).Doc
	}
	return it
}

// policies lists every catalog policy a scenario reads.
func (s scenario) policies() []string {
	out := append(append(append(append([]string(nil), s.identity...), s.boundary...), s.endpoint...), s.scp...)
	if s.resource != "" {
		out = append(out, s.resource)
	}
	return out
}

// evaluate runs scenarios in one engine batch and returns each answer by scenario name.
func evaluate(t testing.TB, c policyCatalog, scenarios []scenario) map[string]simAnswer {
	t.Helper()
	var req engineRequest
	seen := map[string]bool{}
	for _, s := range scenarios {
		require.False(t, seen[s.name], "scenario name %q is used twice", s.name)
		seen[s.name] = true
		req.Simulate = append(req.Simulate, s.item(t, c, s.name))
	}
	return runEngine(t, req).Simulate
}

// requireVerdicts fails for every scenario whose answer is not its verdict.
func requireVerdicts(t *testing.T, c policyCatalog, scenarios []scenario) {
	t.Helper()
	answers := evaluate(t, c, scenarios)
	for _, s := range scenarios {
		a := answers[s.name]
		assert.Truef(t, s.want.matches(a.Result), "%s\n  %s %s on %s\n  want %s, AWS would answer %s (engine %s) %s",
			s.name, s.who, s.action, s.on, s.want, a.Result, a.Engine, string(a.Errors))
	}
}

// envWorld is what an environment stack's scenarios refer to.
type envWorld struct {
	stack                            string
	roleArn, logGroupArn, keyArn     string
	trust, rolePolicy, key, endpoint string // catalog IDs
}

func environmentWorld(t testing.TB, stack string) envWorld {
	t.Helper()
	res := runStack(t, stack, false)
	name := stack + "-flow-logs"
	return envWorld{
		stack:       stack,
		roleArn:     one(t, res, mockrun.TypeRole, name).Out("arn"),
		logGroupArn: one(t, res, mockrun.TypeLogGroup, name).Out("arn"),
		keyArn:      one(t, res, mockrun.TypeKmsKey, name).Out("arn"),
		trust:       stack + "/Role:" + name,
		rolePolicy:  stack + "/RolePolicy:" + name,
		key:         stack + "/Key:" + name,
		endpoint:    stack + "/VpcEndpoint:" + stack + "-s3",
	}
}

// environmentStacks are the stack files of kind environment.
func environmentStacks(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, s := range stackNames(t) {
		if len(runStack(t, s, false).OfType(mockrun.TypeFlowLog)) > 0 {
			out = append(out, s)
		}
	}
	require.NotEmpty(t, out)
	return out
}

// flowLogScenarios: delivery works end to end, and nothing else does.
func flowLogScenarios(w envWorld) []scenario {
	const svc = "vpc-flow-logs.amazonaws.com"
	logs := "logs." + accessRegion + ".amazonaws.com"
	ourFlowLog := fmt.Sprintf("arn:aws:ec2:%s:%s:vpc-flow-log/fl-0123456789abcdef0", accessRegion, accessAccount)
	theirFlowLog := fmt.Sprintf("arn:aws:ec2:%s:%s:vpc-flow-log/fl-0123456789abcdef0", accessRegion, otherAccount)
	stream := w.logGroupArn + ":log-stream:eni-0123456789abcdef0-all"
	otherGroup := fmt.Sprintf("arn:aws:logs:%s:%s:log-group:/aws/lambda/payments", accessRegion, accessAccount)
	outsider := fmt.Sprintf("arn:aws:iam::%s:role/admin", otherAccount)
	insider := fmt.Sprintf("arn:aws:iam::%s:role/admin", accessAccount)
	ctx := func(kv ...string) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	encCtx := "kms:EncryptionContext:aws:logs:arn"
	return []scenario{
		{name: "VPC Flow Logs assumes the delivery role for a flow log of this account", who: svc,
			action: "sts:AssumeRole", on: w.roleArn, resource: w.trust,
			ctx: ctx("aws:SourceAccount", accessAccount, "aws:SourceArn", ourFlowLog), want: allowed},
		{name: "VPC Flow Logs cannot assume the delivery role for another account's flow log", who: svc,
			action: "sts:AssumeRole", on: w.roleArn, resource: w.trust,
			ctx: ctx("aws:SourceAccount", otherAccount, "aws:SourceArn", theirFlowLog), want: denied},
		{name: "VPC Flow Logs cannot assume the delivery role with a source account but another account's flow log",
			who: svc, action: "sts:AssumeRole", on: w.roleArn, resource: w.trust,
			ctx: ctx("aws:SourceAccount", accessAccount, "aws:SourceArn", theirFlowLog), want: denied},
		{name: "VPC Flow Logs cannot assume the delivery role with no source (confused deputy)", who: svc,
			action: "sts:AssumeRole", on: w.roleArn, resource: w.trust, want: denied},
		{name: "no other service can assume the delivery role", who: "ec2.amazonaws.com",
			action: "sts:AssumeRole", on: w.roleArn, resource: w.trust,
			ctx: ctx("aws:SourceAccount", accessAccount, "aws:SourceArn", ourFlowLog), want: denied},
		{name: "an administrator of this account cannot assume the delivery role", who: insider,
			action: "sts:AssumeRole", on: w.roleArn, resource: w.trust, identity: []string{accountAdmin}, want: denied},
		{name: "the delivery role creates log streams in its log group", who: w.roleArn,
			action: "logs:CreateLogStream", on: stream, identity: []string{w.rolePolicy}, want: allowed},
		{name: "the delivery role puts log events in its log group", who: w.roleArn,
			action: "logs:PutLogEvents", on: stream, identity: []string{w.rolePolicy}, want: allowed},
		{name: "the delivery role describes its log group's streams", who: w.roleArn,
			action: "logs:DescribeLogStreams", on: w.logGroupArn, identity: []string{w.rolePolicy}, want: allowed},
		{name: "the delivery role finds its log group (DescribeLogGroups has no resource-level permissions)",
			who: w.roleArn, action: "logs:DescribeLogGroups", on: "*", identity: []string{w.rolePolicy}, want: allowed},
		{name: "the delivery role cannot write to another log group", who: w.roleArn,
			action: "logs:PutLogEvents", on: otherGroup + ":log-stream:x", identity: []string{w.rolePolicy}, want: denied},
		{name: "the delivery role cannot delete its log group", who: w.roleArn,
			action: "logs:DeleteLogGroup", on: w.logGroupArn, identity: []string{w.rolePolicy}, want: denied},
		{name: "the delivery role cannot use the key itself", who: w.roleArn,
			action: "kms:Decrypt", on: w.keyArn, identity: []string{w.rolePolicy}, resource: w.key,
			ctx: ctx(encCtx, w.logGroupArn), want: denied},
		{name: "the delivery role cannot create roles", who: w.roleArn,
			action: "iam:CreateRole", on: fmt.Sprintf("arn:aws:iam::%s:role/x", accessAccount),
			identity: []string{w.rolePolicy}, want: denied},
		{name: "CloudWatch Logs generates data keys for this log group", who: logs,
			action: "kms:GenerateDataKey", on: w.keyArn, resource: w.key, ctx: ctx(encCtx, w.logGroupArn), want: allowed},
		{name: "CloudWatch Logs decrypts for this log group", who: logs,
			action: "kms:Decrypt", on: w.keyArn, resource: w.key, ctx: ctx(encCtx, w.logGroupArn), want: allowed},
		{name: "CloudWatch Logs cannot use the key for another log group", who: logs,
			action: "kms:GenerateDataKey", on: w.keyArn, resource: w.key, ctx: ctx(encCtx, otherGroup), want: denied},
		{name: "CloudWatch Logs cannot use the key without an encryption context", who: logs,
			action: "kms:Decrypt", on: w.keyArn, resource: w.key, want: denied},
		{name: "CloudWatch Logs of another region cannot use the key", who: "logs.eu-west-1.amazonaws.com",
			action: "kms:GenerateDataKey", on: w.keyArn, resource: w.key, ctx: ctx(encCtx, w.logGroupArn), want: denied},
		{name: "administrators of this account manage the flow-log key through IAM", who: insider,
			action: "kms:PutKeyPolicy", on: w.keyArn, resource: w.key, identity: []string{accountAdmin}, want: allowed},
		{name: "another account cannot use the flow-log key", who: outsider,
			action: "kms:Decrypt", on: w.keyArn, resource: w.key, identity: []string{accountAdmin},
			ctx: ctx(encCtx, w.logGroupArn), want: denied},
	}
}

// endpointScenarios: the S3 gateway endpoint reaches this account's buckets and the AWS-owned buckets workloads
// need, and nothing else.
func endpointScenarios(w envWorld) []scenario {
	workload := fmt.Sprintf("arn:aws:iam::%s:role/%s", accessAccount, workloadRoleName)
	via := func(name, action, on, owner string, want verdict) scenario {
		s := scenario{name: name, who: workload, action: action, on: on, owner: owner,
			identity: []string{accountAdmin}, endpoint: []string{w.endpoint}, want: want}
		if owner != "" && owner != accessAccount {
			s.resource = foreignPublicRW
		}
		return s
	}
	const awsOwned = "000000000000" // stands for the AWS service accounts that own these buckets
	return []scenario{
		via("a workload writes to this account's bucket through the endpoint", "s3:PutObject",
			"arn:aws:s3:::team-data/report.csv", accessAccount, allowed),
		via("a workload cannot write to another account's bucket through the endpoint", "s3:PutObject",
			"arn:aws:s3:::exfiltration-target/dump.tar", otherAccount, denied),
		via("a workload cannot read another account's bucket through the endpoint", "s3:GetObject",
			"arn:aws:s3:::someone-elses-bucket/file", otherAccount, denied),
		via("a workload pulls ECR image layers through the endpoint", "s3:GetObject",
			"arn:aws:s3:::prod-"+accessRegion+"-starport-layer-bucket/sha256/layer", awsOwned, allowed),
		via("a workload cannot write to ECR's layer bucket", "s3:PutObject",
			"arn:aws:s3:::prod-"+accessRegion+"-starport-layer-bucket/sha256/layer", awsOwned, denied),
		via("a workload installs Amazon Linux 2023 packages through the endpoint", "s3:GetObject",
			"arn:aws:s3:::al2023-repos-"+accessRegion+"-de612dc2/core/mirrors/latest/x86_64/mirror.list", awsOwned, allowed),
		via("a workload installs Amazon Linux 2 packages through the endpoint", "s3:GetObject",
			"arn:aws:s3:::amazonlinux-2-repos-"+accessRegion+"/2/core/latest/x86_64/mirror.list", awsOwned, allowed),
		via("Patch Manager reads its documents through the endpoint", "s3:GetObject",
			"arn:aws:s3:::aws-patch-manager-"+accessRegion+"-1970c647d/AWS-RunPatchBaseline/x", awsOwned, allowed),
		via("the SSM agent reads its updates through the endpoint", "s3:GetObject",
			"arn:aws:s3:::amazon-ssm-"+accessRegion+"/ssm-agent/latest/VERSION", awsOwned, allowed),
		via("a lookalike bucket is not reachable through the endpoint", "s3:GetObject",
			"arn:aws:s3:::prod-"+accessRegion+"-starport-layer-bucket-evil/x", otherAccount, denied),
	}
}

// stateScenarios: the state bucket takes only TLS writes encrypted with its key, and its access logs arrive.
func stateScenarios(t testing.TB) []scenario {
	t.Helper()
	res := runStack(t, "bootstrap", false)
	state := one(t, res, mockrun.TypeBucket, "state-bucket").Out("arn")
	logs := one(t, res, mockrun.TypeBucket, "state-logs").Out("arn")
	stateName := strings.TrimPrefix(state, "arn:aws:s3:::")
	keyArn := one(t, res, mockrun.TypeKmsKey, "state-key").Out("arn")
	otherKey := fmt.Sprintf("arn:aws:kms:%s:%s:key/11111111-2222-3333-4444-555555555555", accessRegion, accessAccount)
	deployer := fmt.Sprintf("arn:aws:iam::%s:role/deployer", accessAccount)
	const policy, keyPolicy, logPolicy = "bootstrap/BucketPolicy:state-bucket", "bootstrap/Key:state-key", "bootstrap/BucketPolicy:state-logs"
	object := state + "/.pulumi/stacks/aws-foundation/prod.json"
	tls := func(extra ...string) map[string]any {
		m := map[string]any{"aws:SecureTransport": "true", "s3:TlsVersion": "1.3"}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	put := func(name string, ctx map[string]any, want verdict) scenario {
		return scenario{name: name, who: deployer, action: "s3:PutObject", on: object, ctx: ctx,
			identity: []string{accountAdmin}, resource: policy, want: want}
	}
	const sse, sseKey, ssec = "s3:x-amz-server-side-encryption", "s3:x-amz-server-side-encryption-aws-kms-key-id",
		"s3:x-amz-server-side-encryption-customer-algorithm"
	logDelivery := func(name, source, account string, want verdict) scenario {
		return scenario{name: name, who: "logging.s3.amazonaws.com", action: "s3:PutObject",
			on: logs + "/" + stateName + "/2026-11-28-00-00-00-0123456789ABCDEF", resource: logPolicy,
			ctx: tls("aws:SourceArn", source, "aws:SourceAccount", account), want: want}
	}
	return []scenario{
		put("the Pulumi backend writes state over TLS with no encryption header (the bucket's key applies)", tls(), allowed),
		put("a write that names this key is accepted", tls(sse, "aws:kms", sseKey, keyArn), allowed),
		put("a write over plain HTTP is refused", map[string]any{"aws:SecureTransport": "false"}, refused),
		put("a write over TLS 1.1 is refused", tls("s3:TlsVersion", "1.1"), refused),
		put("a write asking for SSE-S3 is refused", tls(sse, "AES256"), refused),
		put("a write asking for DSSE-KMS is refused", tls(sse, "aws:kms:dsse", sseKey, keyArn), refused),
		put("a write naming another KMS key is refused", tls(sse, "aws:kms", sseKey, otherKey), refused),
		put("a write asking for aws:kms without a key id (the aws/s3 key) is refused", tls(sse, "aws:kms"), refused),
		put("a write with a customer-provided key (SSE-C) is refused", tls(ssec, "AES256"), refused),
		{name: "a read of state over plain HTTP is refused", who: deployer, action: "s3:GetObject", on: object,
			identity: []string{accountAdmin}, resource: policy, ctx: map[string]any{"aws:SecureTransport": "false"}, want: refused},
		logDelivery("S3 delivers the state bucket's access logs", state, accessAccount, allowed),
		logDelivery("S3 does not deliver another bucket's access logs", "arn:aws:s3:::some-other-bucket", accessAccount, denied),
		logDelivery("S3 does not deliver access logs on behalf of another account", state, otherAccount, denied),
		{name: "administrators of this account use the state key through IAM", who: deployer, action: "kms:Decrypt",
			on: keyArn, identity: []string{accountAdmin}, resource: keyPolicy, want: allowed},
		{name: "another account cannot use the state key", who: fmt.Sprintf("arn:aws:iam::%s:role/admin", otherAccount),
			action: "kms:Decrypt", on: keyArn, identity: []string{accountAdmin}, resource: keyPolicy, want: denied},
	}
}

// programScenarios are every scenario about policies the program renders, prefixed by stack.
func programScenarios(t testing.TB) []scenario {
	t.Helper()
	var out []scenario
	for _, stack := range environmentStacks(t) {
		w := environmentWorld(t, stack)
		for _, s := range append(flowLogScenarios(w), endpointScenarios(w)...) {
			s.name = stack + ": " + s.name
			out = append(out, s)
		}
	}
	for _, s := range stateScenarios(t) {
		s.name = "bootstrap: " + s.name
		out = append(out, s)
	}
	for _, s := range archiveScenarios(t) {
		s.name = "log-archive: " + s.name
		out = append(out, s)
	}
	return out
}

func TestEveryPolicyTheProgramRendersGrantsExactlyWhatItShould(t *testing.T) {
	t.Parallel()
	c := allPolicies(t)
	addTestPolicies(c)
	requireVerdicts(t, c, programScenarios(t))
}

func TestEveryPolicyIsValidForItsKindUnderAWSGrammar(t *testing.T) {
	t.Parallel()
	c := allPolicies(t)
	var req engineRequest
	var ids []string
	for id, p := range c {
		req.Validate = append(req.Validate, validateItem{ID: id, Kind: p.Kind, Policy: p.Doc})
		ids = append(ids, id)
	}
	sort.Strings(ids)
	answers := runEngine(t, req).Validate
	for _, id := range ids {
		assert.Empty(t, answers[id], "%s (%s policy) breaks AWS's grammar", id, c[id].Kind)
	}
	t.Logf("validated %d policies: %s", len(ids), strings.Join(ids, ", "))
}

func TestNoPolicyBearingInputEscapesTheAccessTier(t *testing.T) {
	t.Parallel()
	for _, stack := range stackNames(t) {
		for _, r := range runStack(t, stack, false).AWS() {
			for key := range r.Inputs {
				doc, err := r.JSON(string(key))
				if err != nil || doc["Statement"] == nil {
					continue
				}
				in, ok := policyInputs[r.Type]
				assert.True(t, ok && in.key == string(key),
					"%s: %s.%s holds a policy the access tier does not check; add it to policyInputs", stack, r, key)
			}
		}
	}
}
