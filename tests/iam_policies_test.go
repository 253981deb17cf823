package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws-foundation/aws-foundation/internal/controls"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// policyFile parses one of docs/iam/*.json.
func policyFile(t *testing.T, name string) []controls.Statement {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "docs", "iam", name))
	require.NoError(t, err)
	stmts, err := controls.ParsePolicy(string(raw))
	require.NoError(t, err, name)
	require.NotEmpty(t, stmts, name)
	return stmts
}

func actions(stmts []controls.Statement) []string {
	var out []string
	for _, s := range stmts {
		if s.Effect == "Allow" {
			out = append(out, s.Actions...)
		}
	}
	return out
}

// readOnly matches actions that read and never change anything.
var readOnly = regexp.MustCompile(`^[a-z0-9]+:(Describe|Get|List)[A-Za-z]*$`)

func TestPreviewRoleCanOnlyRead(t *testing.T) {
	for _, a := range actions(policyFile(t, "preview-role-policy.json")) {
		assert.True(t, readOnly.MatchString(a) || a == "kms:Decrypt", "preview role action %q changes something", a)
	}
}

func TestNeitherRoleHasWildcardActions(t *testing.T) {
	for _, f := range []string{"preview-role-policy.json", "deploy-role-policy.json"} {
		for _, a := range actions(policyFile(t, f)) {
			assert.False(t, a == "*" || strings.Contains(a, "*"), "%s: action %q", f, a)
		}
	}
}

// createAction is the API call that creates (or adopts) each resource type the environment stacks register.
var createAction = map[string]string{
	controls.TypeVpc: "ec2:CreateVpc", controls.TypeSubnet: "ec2:CreateSubnet",
	controls.TypeRouteTable: "ec2:CreateRouteTable", controls.TypeRoute: "ec2:CreateRoute",
	controls.TypeRouteTableAssoc: "ec2:AssociateRouteTable", controls.TypeInternetGateway: "ec2:CreateInternetGateway",
	controls.TypeNatGateway: "ec2:CreateNatGateway", controls.TypeEip: "ec2:AllocateAddress",
	controls.TypeVpcEndpoint: "ec2:CreateVpcEndpoint", controls.TypeDefaultSecurityGroup: "ec2:RevokeSecurityGroupEgress",
	controls.TypeDefaultNetworkAcl: "ec2:CreateNetworkAclEntry", controls.TypeFlowLog: "ec2:CreateFlowLogs",
	controls.TypeKmsKey: "kms:CreateKey", "aws:kms/alias:Alias": "kms:CreateAlias",
	controls.TypeLogGroup: "logs:CreateLogGroup", controls.TypeRole: "iam:CreateRole",
	controls.TypeRolePolicy: "iam:PutRolePolicy",
}

func TestDeployRoleCanCreateEveryResourceTheEnvironmentStacksRegister(t *testing.T) {
	granted := actions(policyFile(t, "deploy-role-policy.json"))
	for _, stack := range []string{"prod", "dev"} {
		for _, r := range runStack(t, stack, false).AWS() {
			action, ok := createAction[r.Type]
			if !assert.True(t, ok, "%s: a new resource type; add its create action here and to docs/iam/deploy-role-policy.json", r) {
				continue
			}
			assert.True(t, slices.Contains(granted, action), "deploy role cannot %s (needed for %s)", action, r)
		}
	}
	assert.Contains(t, granted, "iam:PassRole", "the flow log needs its role passed")
}

func TestDeployRolePassesFlowLogRolesOnlyToVpcFlowLogs(t *testing.T) {
	for _, s := range policyFile(t, "deploy-role-policy.json") {
		if slices.Contains(s.Actions, "iam:PassRole") {
			assert.Equal(t, "vpc-flow-logs.amazonaws.com", s.ConditionValue("StringEquals", "iam:PassedToService"))
			assert.Equal(t, []string{"arn:aws:iam::ACCOUNT_ID:role/*-flow-logs-*"}, s.Resources)
		}
	}
}

func TestGithubOidcTrustIsLimitedToOneRepositoryAndSts(t *testing.T) {
	stmts := policyFile(t, "github-oidc-trust.json")
	require.Len(t, stmts, 1)
	s := stmts[0]
	assert.Equal(t, []string{"sts:AssumeRoleWithWebIdentity"}, s.Actions)
	assert.Equal(t, "sts.amazonaws.com", s.ConditionValue("StringEquals", "token.actions.githubusercontent.com:aud"))
	assert.True(t, strings.HasPrefix(s.ConditionValue("StringLike", "token.actions.githubusercontent.com:sub"), "repo:"))
}
