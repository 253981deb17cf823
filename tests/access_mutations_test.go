package tests

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mutation is the smallest break of one policy, and the scenarios that must turn red because of it. A scenario
// that no mutation can turn red would prove nothing, so every scenario is named by at least one mutation.
type mutation struct {
	name      string
	policy    string // catalog ID
	edit      func(t testing.TB, doc map[string]any)
	scenarios []string // names of the scenarios that must no longer reach their verdict
	grammar   bool     // the grammar validator must report the broken document
}

// statement returns the statement with a Sid, failing when there is none.
func statement(t testing.TB, doc map[string]any, sid string) map[string]any {
	t.Helper()
	for _, s := range doc["Statement"].([]any) {
		if m := s.(map[string]any); m["Sid"] == sid {
			return m
		}
	}
	require.Failf(t, "no statement", "no statement %q in %v", sid, doc)
	return nil
}

func dropCondition(sid, op, key string) func(testing.TB, map[string]any) {
	return func(t testing.TB, doc map[string]any) {
		cond := statement(t, doc, sid)["Condition"].(map[string]any)
		require.Contains(t, cond[op], key, "%s has no %s %s", sid, op, key)
		delete(cond[op].(map[string]any), key)
		if len(cond[op].(map[string]any)) == 0 {
			delete(cond, op)
		}
	}
}

func dropConditions(sid string) func(testing.TB, map[string]any) {
	return func(t testing.TB, doc map[string]any) {
		require.Contains(t, statement(t, doc, sid), "Condition")
		delete(statement(t, doc, sid), "Condition")
	}
}

func setField(sid, field string, v any) func(testing.TB, map[string]any) {
	return func(t testing.TB, doc map[string]any) { statement(t, doc, sid)[field] = v }
}

func dropStatements(sids ...string) func(testing.TB, map[string]any) {
	return func(t testing.TB, doc map[string]any) {
		var keep []any
		for _, s := range doc["Statement"].([]any) {
			if !slices.Contains(sids, fmt.Sprint(s.(map[string]any)["Sid"])) {
				keep = append(keep, s)
			}
		}
		require.Len(t, keep, len(doc["Statement"].([]any))-len(sids), "dropping %v", sids)
		doc["Statement"] = keep
	}
}

func addStatement(stmt map[string]any) func(testing.TB, map[string]any) {
	return func(t testing.TB, doc map[string]any) { doc["Statement"] = append(doc["Statement"].([]any), stmt) }
}

// both applies two edits.
func both(a, b func(testing.TB, map[string]any)) func(testing.TB, map[string]any) {
	return func(t testing.TB, doc map[string]any) { a(t, doc); b(t, doc) }
}

func keepOnly(sid string) func(testing.TB, map[string]any) {
	return func(t testing.TB, doc map[string]any) {
		doc["Statement"] = []any{statement(t, doc, sid)}
	}
}

func appendAction(sid, action string) func(testing.TB, map[string]any) {
	return func(t testing.TB, doc map[string]any) {
		s := statement(t, doc, sid)
		s["Action"] = append(s["Action"].([]any), action)
	}
}

func removeAction(sid, action string) func(testing.TB, map[string]any) {
	return func(t testing.TB, doc map[string]any) {
		s := statement(t, doc, sid)
		var keep []any
		for _, a := range s["Action"].([]any) {
			if a != action {
				keep = append(keep, a)
			}
		}
		require.Len(t, keep, len(s["Action"].([]any))-1, "%s has no action %s", sid, action)
		s["Action"] = keep
	}
}

// replaceText edits the document as text: every occurrence of old becomes new.
func replaceText(old, new string) func(testing.TB, map[string]any) {
	return func(t testing.TB, doc map[string]any) {
		raw, err := json.Marshal(doc)
		require.NoError(t, err)
		require.Contains(t, string(raw), old)
		var out map[string]any
		require.NoError(t, json.Unmarshal([]byte(strings.ReplaceAll(string(raw), old, new)), &out))
		for k := range doc {
			delete(doc, k)
		}
		for k, v := range out {
			doc[k] = v
		}
	}
}

// prefixed puts a stack's prefix before scenario names.
func prefixed(prefix string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + n
	}
	return out
}

// programMutations break the prod and bootstrap stacks' policies one property at a time.
func programMutations(t testing.TB) []mutation {
	t.Helper()
	w := environmentWorld(t, "prod")
	const state, logs, stateKey = "bootstrap/BucketPolicy:state-bucket", "bootstrap/BucketPolicy:state-logs", "bootstrap/Key:state-key"
	p := func(names ...string) []string { return prefixed("prod: ", names) }
	b := func(names ...string) []string { return prefixed("bootstrap: ", names) }
	root := accountRoot
	return append([]mutation{
		// The flow-log role's trust policy.
		{name: "trust policy without its conditions", policy: w.trust, edit: dropConditions("VpcFlowLogsOfThisAccountOnly"),
			scenarios: p("VPC Flow Logs cannot assume the delivery role for another account's flow log",
				"VPC Flow Logs cannot assume the delivery role with a source account but another account's flow log",
				"VPC Flow Logs cannot assume the delivery role with no source (confused deputy)")},
		{name: "trust policy also trusts EC2", policy: w.trust,
			edit:      setField("VpcFlowLogsOfThisAccountOnly", "Principal", map[string]any{"Service": []any{"vpc-flow-logs.amazonaws.com", "ec2.amazonaws.com"}}),
			scenarios: p("no other service can assume the delivery role")},
		{name: "trust policy trusts the account instead of the service", policy: w.trust,
			edit: both(setField("VpcFlowLogsOfThisAccountOnly", "Principal", map[string]any{"AWS": root}),
				dropConditions("VpcFlowLogsOfThisAccountOnly")),
			scenarios: p("an administrator of this account cannot assume the delivery role",
				"VPC Flow Logs assumes the delivery role for a flow log of this account")},
		{name: "trust policy with a Resource element", policy: w.trust,
			edit: setField("VpcFlowLogsOfThisAccountOnly", "Resource", "*"), grammar: true},
		{name: "trust policy with a null Resource (the defect IAM refused)", policy: w.trust,
			edit: setField("VpcFlowLogsOfThisAccountOnly", "Resource", nil), grammar: true},
		// The flow-log role's permissions.
		{name: "role policy writes to every log group", policy: w.rolePolicy,
			edit:      setField("WriteThisLogGroupOnly", "Resource", "*"),
			scenarios: p("the delivery role cannot write to another log group")},
		{name: "role policy may do anything to logs", policy: w.rolePolicy,
			edit:      appendAction("WriteThisLogGroupOnly", "logs:*"),
			scenarios: p("the delivery role cannot delete its log group")},
		{name: "role policy may use KMS keys", policy: w.rolePolicy,
			edit:      addStatement(map[string]any{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}),
			scenarios: p("the delivery role cannot use the key itself")},
		{name: "role policy may manage IAM", policy: w.rolePolicy,
			edit:      addStatement(map[string]any{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}),
			scenarios: p("the delivery role cannot create roles")},
		{name: "role policy names the group but not its streams", policy: w.rolePolicy,
			edit: setField("WriteThisLogGroupOnly", "Resource", w.logGroupArn),
			scenarios: p("the delivery role creates log streams in its log group",
				"the delivery role puts log events in its log group")},
		{name: "role policy cannot find log groups", policy: w.rolePolicy, edit: dropStatements("FindLogGroup"),
			scenarios: p("the delivery role finds its log group (DescribeLogGroups has no resource-level permissions)")},
		{name: "role policy cannot describe streams", policy: w.rolePolicy,
			edit:      removeAction("WriteThisLogGroupOnly", "logs:DescribeLogStreams"),
			scenarios: p("the delivery role describes its log group's streams")},
		// The flow-log key's policy.
		{name: "key policy without the encryption-context condition", policy: w.key,
			edit: dropConditions("CloudWatchLogsUsesKeyForThisLogGroupOnly"),
			scenarios: p("CloudWatch Logs cannot use the key for another log group",
				"CloudWatch Logs cannot use the key without an encryption context")},
		{name: "key policy lets anyone use the key for the log group", policy: w.key,
			edit: setField("CloudWatchLogsUsesKeyForThisLogGroupOnly", "Principal", "*"),
			scenarios: p("CloudWatch Logs of another region cannot use the key",
				"another account cannot use the flow-log key")},
		{name: "key policy without the account's administration", policy: w.key,
			edit:      dropStatements("AccountRootAdministersKey"),
			scenarios: p("administrators of this account manage the flow-log key through IAM")},
		{name: "key policy without CloudWatch Logs", policy: w.key,
			edit: dropStatements("CloudWatchLogsUsesKeyForThisLogGroupOnly"),
			scenarios: p("CloudWatch Logs generates data keys for this log group",
				"CloudWatch Logs decrypts for this log group")},
		// The S3 gateway endpoint's policy.
		{name: "endpoint policy without the own-account condition", policy: w.endpoint,
			edit: dropConditions("OwnAccountBucketsOnly"),
			scenarios: p("a workload cannot write to another account's bucket through the endpoint",
				"a workload cannot read another account's bucket through the endpoint",
				"a workload cannot write to ECR's layer bucket",
				"a lookalike bucket is not reachable through the endpoint")},
		{name: "endpoint policy without this account's buckets", policy: w.endpoint,
			edit:      dropStatements("OwnAccountBucketsOnly"),
			scenarios: p("a workload writes to this account's bucket through the endpoint")},
		{name: "endpoint policy without the AWS-owned buckets", policy: w.endpoint, edit: keepOnly("OwnAccountBucketsOnly"),
			scenarios: p("a workload pulls ECR image layers through the endpoint",
				"a workload installs Amazon Linux 2023 packages through the endpoint",
				"a workload installs Amazon Linux 2 packages through the endpoint",
				"Patch Manager reads its documents through the endpoint",
				"the SSM agent reads its updates through the endpoint")},
		{name: "endpoint policy with a wildcard bucket name", policy: w.endpoint,
			edit:      replaceText("starport-layer-bucket/*\"", "starport-layer-bucket*/*\""),
			scenarios: p("a lookalike bucket is not reachable through the endpoint")},
		// The state bucket's policy.
		{name: "state bucket policy without the TLS deny", policy: state, edit: dropStatements("DenyInsecureTransport"),
			scenarios: b("a write over plain HTTP is refused", "a read of state over plain HTTP is refused")},
		{name: "state bucket policy without the TLS version deny", policy: state, edit: dropStatements("DenyOutdatedTls"),
			scenarios: b("a write over TLS 1.1 is refused")},
		{name: "state bucket policy without the algorithm denies", policy: state,
			edit: dropStatements("DenyOtherEncryption", "DenyKmsWithoutThisKeyId"),
			scenarios: b("a write asking for SSE-S3 is refused", "a write asking for DSSE-KMS is refused",
				"a write asking for aws:kms without a key id (the aws/s3 key) is refused")},
		{name: "state bucket policy without the other-key deny", policy: state, edit: dropStatements("DenyOtherKmsKey"),
			scenarios: b("a write naming another KMS key is refused")},
		{name: "state bucket policy without the missing-key-id deny", policy: state,
			edit:      dropStatements("DenyKmsWithoutThisKeyId"),
			scenarios: b("a write asking for aws:kms without a key id (the aws/s3 key) is refused")},
		{name: "state bucket policy without the SSE-C deny", policy: state, edit: dropStatements("DenyCustomerProvidedKeys"),
			scenarios: b("a write with a customer-provided key (SSE-C) is refused")},
		{name: "state bucket policy that also refuses writes with no header", policy: state,
			edit:      dropCondition("DenyOtherEncryption", "Null", "s3:x-amz-server-side-encryption"),
			scenarios: b("the Pulumi backend writes state over TLS with no encryption header (the bucket's key applies)")},
		{name: "state bucket policy that expects another key", policy: state,
			edit: setField("DenyOtherKmsKey", "Condition", map[string]any{
				"StringNotEquals": map[string]any{"s3:x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:us-east-1:123456789012:key/other"}}),
			scenarios: b("a write that names this key is accepted")},
		// The access-log bucket's policy.
		{name: "log bucket policy without the source bucket", policy: logs,
			edit:      dropCondition("S3ServerAccessLogsFromStateBucket", "ArnLike", "aws:SourceArn"),
			scenarios: b("S3 does not deliver another bucket's access logs")},
		{name: "log bucket policy without the source account", policy: logs,
			edit:      dropCondition("S3ServerAccessLogsFromStateBucket", "StringEquals", "aws:SourceAccount"),
			scenarios: b("S3 does not deliver access logs on behalf of another account")},
		{name: "log bucket policy without the logging service", policy: logs,
			edit:      dropStatements("S3ServerAccessLogsFromStateBucket"),
			scenarios: b("S3 delivers the state bucket's access logs")},
		// The state key's policy.
		{name: "state key policy trusts another account too", policy: stateKey,
			edit: setField("AccountRootAdministersKey", "Principal", map[string]any{"AWS": []any{root,
				fmt.Sprintf("arn:aws:iam::%s:root", otherAccount)}}),
			scenarios: b("another account cannot use the state key")},
		{name: "state key policy administered by nobody in this account", policy: stateKey,
			edit:      setField("AccountRootAdministersKey", "Principal", map[string]any{"AWS": fmt.Sprintf("arn:aws:iam::%s:root", otherAccount)}),
			scenarios: b("administrators of this account use the state key through IAM")},
	}, archiveMutations(t)...)
}

// requireMutationsTurnScenariosRed applies each mutation to a fresh copy of the catalog and checks that every
// scenario it names no longer reaches its verdict (and that it did before), and that grammar mutations are caught.
func requireMutationsTurnScenariosRed(t *testing.T, c policyCatalog, scenarios []scenario, mutations []mutation) {
	t.Helper()
	byName := map[string]scenario{}
	for _, s := range scenarios {
		byName[s.name] = s
	}
	base := evaluate(t, c, scenarios)
	var req engineRequest
	for i, m := range mutations {
		require.True(t, len(m.scenarios) > 0 || m.grammar, "mutation %q names no scenario", m.name)
		mc := c.withOwnCopyOf(m.policy)
		p := mc.get(t, m.policy)
		m.edit(t, p.Doc)
		mc[m.policy] = p
		if m.grammar {
			req.Validate = append(req.Validate, validateItem{ID: m.name, Kind: p.Kind, Policy: p.Doc})
		}
		for _, name := range m.scenarios {
			s, ok := byName[name]
			require.True(t, ok, "mutation %q names an unknown scenario %q", m.name, name)
			require.Contains(t, s.policies(), m.policy, "mutation %q breaks %s, which scenario %q does not read", m.name, m.policy, name)
			req.Simulate = append(req.Simulate, s.item(t, mc, fmt.Sprintf("%d/%s", i, name)))
		}
	}
	answers := runEngine(t, req)
	for i, m := range mutations {
		if m.grammar {
			assert.NotEmpty(t, answers.Validate[m.name], "mutation %q: AWS's grammar should refuse the document", m.name)
		}
		for _, name := range m.scenarios {
			s := byName[name]
			require.True(t, s.want.matches(base[name].Result), "scenario %q must hold before mutation %q", name, m.name)
			got := answers.Simulate[fmt.Sprintf("%d/%s", i, name)]
			assert.False(t, s.want.matches(got.Result), "mutation %q should turn scenario %q red, but AWS would still answer %s",
				m.name, name, got.Result)
		}
	}
}

// requireEveryScenarioIsCovered fails for each scenario of a stack that no mutation names.
func requireEveryScenarioIsCovered(t *testing.T, scenarios []scenario, mutations []mutation, prefixes ...string) {
	t.Helper()
	covered := map[string]bool{}
	for _, m := range mutations {
		for _, n := range m.scenarios {
			covered[n] = true
		}
	}
	for _, s := range scenarios {
		for _, prefix := range prefixes {
			if strings.HasPrefix(s.name, prefix) {
				assert.True(t, covered[s.name], "no mutation proves scenario %q can fail; add one to the mutation table", s.name)
			}
		}
	}
}

func TestEveryProgramPolicyMutationTurnsItsScenariosRed(t *testing.T) {
	t.Parallel()
	c := allPolicies(t)
	addTestPolicies(c)
	scenarios, mutations := programScenarios(t), programMutations(t)
	requireEveryScenarioIsCovered(t, scenarios, mutations, "prod: ", "bootstrap: ", "log-archive: ")
	requireMutationsTurnScenariosRed(t, c, scenarios, mutations)
}
