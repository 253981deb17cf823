package components

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decode renders a policy and parses it back, failing the test when rendering fails.
func decode(t *testing.T, render func() (string, error)) map[string]any {
	t.Helper()
	out, err := render()
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &doc), out)
	return doc
}

func firstStatement(doc map[string]any) map[string]any {
	return doc["Statement"].([]any)[0].(map[string]any)
}

func TestATrustPolicyIsRenderedWithoutAResourceElementAtAll(t *testing.T) {
	doc := decode(t, flowLogsTrustPolicy("123456789012", "arn:aws:ec2:us-east-1:123456789012:vpc-flow-log/*").JSON)
	s := firstStatement(doc)
	assert.NotContains(t, s, "Resource", "IAM refuses a trust policy with a Resource element, null included")
	assert.NotContains(t, s, "NotResource")
	assert.Equal(t, map[string]any{"Service": "vpc-flow-logs.amazonaws.com"}, s["Principal"])
	assert.Equal(t, "2012-10-17", doc["Version"])
}

func TestAnIdentityPolicyIsRenderedWithoutAPrincipal(t *testing.T) {
	doc := decode(t, flowLogsRolePolicy("arn:aws:logs:us-east-1:1:log-group:g", "arn:aws:logs:us-east-1:1:log-group:*").JSON)
	for _, s := range doc["Statement"].([]any) {
		assert.NotContains(t, s, "Principal")
		assert.NotContains(t, s, "NotPrincipal")
	}
}

func TestNoFieldIsEverRenderedAsNull(t *testing.T) {
	rendered := map[string]func() (string, error){
		"identity": identityPolicy{{Effect: allow, Action: action("s3:GetObject"), Resource: resource("*")}}.JSON,
		"trust":    trustPolicy{{Effect: allow, Principal: servicePrincipal("x.amazonaws.com"), Action: action("sts:AssumeRole")}}.JSON,
		"bucket":   stateBucketPolicy("arn:aws:s3:::b", "arn:aws:kms:us-east-1:1:key/k").JSON,
		"key":      keyPolicy{rootAdminStatement("arn:aws:iam::1:root")}.JSON,
		"endpoint": endpointPolicy{{Effect: allow, Principal: anyPrincipal(), Action: action("s3:*"), Resource: resource("*")}}.JSON,
	}
	for kind, render := range rendered {
		out, err := render()
		require.NoError(t, err, kind)
		assert.NotContains(t, out, "null", "%s policy: %s", kind, out)
	}
}

func TestNotActionAndNotResourceReplaceTheirPositiveFields(t *testing.T) {
	doc := decode(t, identityPolicy{{Effect: deny, Action: actions{not: true, names: []string{"iam:*"}},
		Resource: resources{not: true, arns: []string{"arn:aws:s3:::b"}}}}.JSON)
	s := firstStatement(doc)
	assert.Equal(t, []any{"iam:*"}, s["NotAction"])
	assert.Equal(t, []any{"arn:aws:s3:::b"}, s["NotResource"])
	assert.NotContains(t, s, "Action")
	assert.NotContains(t, s, "Resource")
}

func TestAPrincipalWithSeveralIdentifiersIsAList(t *testing.T) {
	doc := decode(t, trustPolicy{{Effect: allow, Principal: awsPrincipal("arn:aws:iam::1:root", "arn:aws:iam::2:root"),
		Action: action("sts:AssumeRole")}}.JSON)
	assert.Equal(t, map[string]any{"AWS": []any{"arn:aws:iam::1:root", "arn:aws:iam::2:root"}}, firstStatement(doc)["Principal"])
}

func TestDocumentsThatBreakTheirKindsGrammarAreRefused(t *testing.T) {
	cases := []struct {
		name   string
		render func() (string, error)
		want   string
	}{
		{"a resource statement without a principal",
			resourcePolicy{{Effect: deny, Action: action("s3:*"), Resource: resource("*")}}.JSON, "needs a principal"},
		{"a key statement without a principal",
			keyPolicy{{Effect: allow, Action: action("kms:*"), Resource: resource("*")}}.JSON, "needs a principal"},
		{"an endpoint statement without a principal",
			endpointPolicy{{Effect: allow, Action: action("s3:*"), Resource: resource("*")}}.JSON, "needs a principal"},
		{"a trust statement without a principal",
			trustPolicy{{Effect: allow, Action: action("sts:AssumeRole")}}.JSON, "needs a principal"},
		{"an identity statement without a resource",
			identityPolicy{{Effect: allow, Action: action("s3:GetObject")}}.JSON, "needs a resource"},
		{"a bucket statement without a resource",
			resourcePolicy{{Effect: deny, Principal: anyPrincipal(), Action: action("s3:*")}}.JSON, "needs a resource"},
		{"a key statement naming another resource than the key",
			keyPolicy{{Effect: allow, Principal: awsPrincipal("arn:aws:iam::1:root"), Action: action("kms:*"),
				Resource: resource("arn:aws:kms:us-east-1:1:key/k")}}.JSON, `written "*"`},
		{"a statement without an action",
			identityPolicy{{Effect: allow, Resource: resource("*")}}.JSON, "has no action"},
		{"an action that is not service:Name",
			identityPolicy{{Effect: allow, Action: action("GetObject"), Resource: resource("*")}}.JSON, "is not service:Name"},
		{"an unknown effect",
			identityPolicy{{Effect: "allow", Action: action("s3:GetObject"), Resource: resource("*")}}.JSON, "neither Allow nor Deny"},
		{"a sid with punctuation",
			identityPolicy{{Sid: "read-only", Effect: allow, Action: action("s3:GetObject"), Resource: resource("*")}}.JSON,
			"only letters and digits"},
		{"a sid used twice",
			identityPolicy{
				{Sid: "A", Effect: allow, Action: action("s3:GetObject"), Resource: resource("*")},
				{Sid: "A", Effect: allow, Action: action("s3:PutObject"), Resource: resource("*")},
			}.JSON, "used twice"},
		{"an empty resource ARN",
			identityPolicy{{Effect: allow, Action: action("s3:GetObject"), Resource: resource("")}}.JSON, "empty or padded"},
		{"a document with no statement", identityPolicy{}.JSON, "has no statement"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := c.render()
			require.Error(t, err, "rendered %s", out)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

func TestEveryProblemOfADocumentIsReportedAtOnce(t *testing.T) {
	_, err := resourcePolicy{{Effect: "maybe"}}.JSON()
	require.Error(t, err)
	for _, want := range []string{"neither Allow nor Deny", "has no action", "needs a principal", "needs a resource"} {
		assert.Contains(t, err.Error(), want)
	}
}

// Every key bypasses KMS's lockout safety check, which is safe only because its policy always keeps the account
// root's administration: the policy cannot be rendered without it, and it comes first.
func TestAKeyPolicyAlwaysKeepsTheAccountRootThatMakesTheLockoutBypassSafe(t *testing.T) {
	grants := flowLogsKeyGrants("logs.us-east-1.amazonaws.com", "arn:aws:logs:us-east-1:123456789012:log-group:g")
	doc := decode(t, customerKey{rootArn: "arn:aws:iam::123456789012:root", grants: grants}.policy)
	root := firstStatement(doc)
	assert.Equal(t, map[string]any{"AWS": "arn:aws:iam::123456789012:root"}, root["Principal"], "the first statement names the root")
	assert.Equal(t, []any{"kms:*"}, root["Action"], "the root administers the key")
	assert.Len(t, doc["Statement"], 1+len(grants), "the grants follow the root statement")

	_, err := customerKey{grants: grants}.policy()
	require.Error(t, err, "a key policy without the account root must not render")
	assert.Contains(t, err.Error(), "names no account root")
}
