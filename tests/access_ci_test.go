package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// ciRole is one entry of docs/iam/roles.yaml.
type ciRole struct {
	Name        string `yaml:"name"`
	Variable    string `yaml:"variable"`
	Scope       string `yaml:"scope"`
	Subject     string `yaml:"subject"`
	Trust       string `yaml:"trust"`
	Permissions string `yaml:"permissions"`
	// Managed lists customer-managed policy documents attached besides the inline one (deploy-prod's evidence
	// guard): they do not count toward IAM's 10,240-character quota on a role's inline policies.
	Managed []string `yaml:"managed"`
	// Sealed lists customer-managed policy documents attached only after the stack's first successful deploy
	// (deploy-prod's evidence seal): they refuse calls that creating the stack needs.
	Sealed []string `yaml:"sealed"`
	// Archiving lists customer-managed policy documents attached only while the stack delivers flow logs to a
	// log archive (flowLogsArchiveBucketArn).
	Archiving []string `yaml:"archiving"`
}

// archivingIDs are the catalog IDs of the role's identity policies while its stack archives flow logs.
func (r ciRole) archivingIDs() []string {
	out := r.identityIDs()
	for _, m := range r.Archiving {
		out = append(out, "docs/"+strings.TrimSuffix(m, ".json"))
	}
	return out
}

func (r ciRole) arn() string { return fmt.Sprintf("arn:aws:iam::%s:role/%s", accessAccount, r.Name) }

func (r ciRole) trustID() string { return "docs/" + strings.TrimSuffix(r.Trust, ".json") }

func (r ciRole) permissionsID() string { return "docs/" + strings.TrimSuffix(r.Permissions, ".json") }

// identityIDs are the catalog IDs of every identity policy of the role once its stack is deployed: its inline
// policy, its managed ones and its seals.
func (r ciRole) identityIDs() []string {
	out := []string{r.permissionsID()}
	for _, m := range append(append([]string(nil), r.Managed...), r.Sealed...) {
		out = append(out, "docs/"+strings.TrimSuffix(m, ".json"))
	}
	return out
}

// sealIDs are the catalog IDs of the role's seals.
func (r ciRole) sealIDs() []string {
	var out []string
	for _, m := range r.Sealed {
		out = append(out, "docs/"+strings.TrimSuffix(m, ".json"))
	}
	return out
}

func ciRoles(t testing.TB) []ciRole {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "docs", "iam", "roles.yaml"))
	require.NoError(t, err)
	var doc struct {
		Roles []ciRole `yaml:"roles"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &doc))
	require.NotEmpty(t, doc.Roles)
	return doc.Roles
}

// roleFor finds the role a job gets from a variable: an environment's variable wins over the repository's, as
// GitHub resolves them.
func roleFor(roles []ciRole, variable, environment string) (ciRole, bool) {
	for _, scope := range []string{"environment:" + environment, "repository"} {
		for _, r := range roles {
			if r.Variable == variable && r.Scope == scope && (environment != "" || scope == "repository") {
				return r, true
			}
		}
	}
	return ciRole{}, false
}

// workflow is the part of a GitHub Actions workflow that decides which OIDC subject a job presents.
type workflow struct {
	On   yaml.Node `yaml:"on"`
	Jobs map[string]struct {
		Environment yaml.Node         `yaml:"environment"`
		Uses        string            `yaml:"uses"`
		With        map[string]string `yaml:"with"`
		Steps       []struct {
			Uses string            `yaml:"uses"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func (w workflow) triggers() []string {
	switch w.On.Kind {
	case yaml.ScalarNode:
		return []string{w.On.Value}
	case yaml.SequenceNode:
		var out []string
		for _, n := range w.On.Content {
			out = append(out, n.Value)
		}
		return out
	case yaml.MappingNode:
		var out []string
		for i := 0; i < len(w.On.Content); i += 2 {
			out = append(out, w.On.Content[i].Value)
		}
		return out
	}
	return nil
}

func readWorkflow(t testing.TB, file string) workflow {
	t.Helper()
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	var w workflow
	require.NoError(t, yaml.Unmarshal(raw, &w), file)
	return w
}

// roleAssumption is one job that assumes a role: under which trigger, in which environment, with which variable.
type roleAssumption struct {
	where       string // "preview.yml preview (pull_request)"
	trigger     string
	environment string
	variable    string
}

var (
	varsRef   = regexp.MustCompile(`^\$\{\{\s*vars\.([A-Za-z0-9_]+)\s*\}\}$`)
	inputsRef = regexp.MustCompile(`\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}`)
)

// roleAssumptions lists every job of every workflow that assumes an AWS role, following calls of reusable
// workflows with the caller's triggers and inputs.
func roleAssumptions(t testing.TB) []roleAssumption {
	t.Helper()
	dir := filepath.Join(repoRoot, ".github", "workflows")
	files, err := filepath.Glob(filepath.Join(dir, "*.yml"))
	require.NoError(t, err)
	var out []roleAssumption
	var walk func(file string, triggers []string, inputs map[string]string)
	walk = func(file string, triggers []string, inputs map[string]string) {
		w := readWorkflow(t, file)
		for name, job := range w.Jobs {
			subst := func(s string) string {
				return inputsRef.ReplaceAllStringFunc(s, func(m string) string {
					return inputs[inputsRef.FindStringSubmatch(m)[1]]
				})
			}
			if strings.HasPrefix(job.Uses, "./.github/workflows/") {
				with := map[string]string{}
				for k, v := range job.With {
					with[k] = subst(v)
				}
				walk(filepath.Join(repoRoot, job.Uses), triggers, with)
				continue
			}
			env := job.Environment.Value
			if job.Environment.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(job.Environment.Content); i += 2 {
					if job.Environment.Content[i].Value == "name" {
						env = job.Environment.Content[i+1].Value
					}
				}
			}
			env = subst(env)
			for _, step := range job.Steps {
				if !strings.HasPrefix(step.Uses, "aws-actions/configure-aws-credentials@") {
					continue
				}
				m := varsRef.FindStringSubmatch(strings.TrimSpace(step.With["role-to-assume"]))
				require.NotNil(t, m, "%s job %s: role-to-assume must be ${{ vars.NAME }}, got %q", file, name, step.With["role-to-assume"])
				for _, trig := range triggers {
					where := fmt.Sprintf("%s job %s (%s)", filepath.Base(file), name, trig)
					if env != "" {
						where = fmt.Sprintf("%s job %s (%s, environment %s)", filepath.Base(file), name, trig, env)
					}
					out = append(out, roleAssumption{where: where,
						trigger: trig, environment: env, variable: m[1]})
				}
			}
		}
	}
	for _, f := range files {
		w := readWorkflow(t, f)
		trig := w.triggers()
		if slices.Equal(trig, []string{"workflow_call"}) {
			continue // reached through its callers
		}
		walk(f, trig, nil)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].where < out[j].where })
	return out
}

// subject is the OIDC sub claim GitHub presents for a job (after repo:OWNER/REPO:). Schedules and manual runs
// run on the default branch, main.
func (a roleAssumption) subject(t testing.TB) string {
	t.Helper()
	if a.environment != "" {
		return "environment:" + a.environment
	}
	switch a.trigger {
	case "pull_request":
		return "pull_request"
	case "push", "schedule", "workflow_dispatch":
		return "ref:refs/heads/main"
	}
	require.Failf(t, "unknown trigger", "%s: no OIDC subject known for trigger %q", a.where, a.trigger)
	return ""
}

const oidcProvider = "token.actions.githubusercontent.com"

// repoClaim is how a subject names the repository: by names only ("example-org/aws-foundation", the format of
// repositories created before 15 July 2026 that have not opted in), or by names and GitHub's immutable ids
// ("example-org@1234567/aws-foundation@765432109", the format of every other repository).
type repoClaim struct {
	org, orgID, repo, repoID string
}

func (c repoClaim) String() string {
	if c.orgID == "" && c.repoID == "" {
		return c.org + "/" + c.repo
	}
	return c.org + "@" + c.orgID + "/" + c.repo + "@" + c.repoID
}

// form names the subject format in scenario names.
func (c repoClaim) form() string {
	if c.orgID == "" && c.repoID == "" {
		return "name-only subject"
	}
	return "immutable subject"
}

var (
	ourNames     = repoClaim{org: githubOrg, repo: githubRepo}
	ourIDs       = repoClaim{org: githubOrg, orgID: githubOrgID, repo: githubRepo, repoID: githubRepoID}
	ourRepoForms = []repoClaim{ourNames, ourIDs}
)

// assume is a scenario of a GitHub job assuming a role over OIDC.
func assume(name string, r ciRole, repo repoClaim, sub, aud string, want verdict) scenario {
	return scenario{name: name, who: fmt.Sprintf("arn:aws:iam::%s:oidc-provider/%s", accessAccount, oidcProvider),
		action: "sts:AssumeRoleWithWebIdentity", on: r.arn(), resource: r.trustID(),
		ctx: map[string]any{oidcProvider + ":aud": aud, oidcProvider + ":sub": "repo:" + repo.String() + ":" + sub}, want: want}
}

// The limits of a subject, shown by scenarios that stay allowed. GitHub derives the context from the job
// alone: a job that declares an environment gets environment:NAME whatever its trigger and branch; any job of
// a pull request gets pull_request; any job on main without an environment gets ref:refs/heads/main. So the
// trust tells the kind of job apart, not the workflow file or the branch: the GitHub environment's protection
// rules (deployment branches: main only; required reviewers for prod) are the gate. A customised subject template
// with job_workflow_ref (docs/DELIVERY.md) narrows the trust to one workflow file at one ref, not to main's jobs: a
// pull-request workflow that calls ORG/REPO/.github/workflows/up.yml@main as a reusable workflow presents
// job_workflow_ref up.yml@refs/heads/main too, and up.yml then checks out the caller's commit, so the environment's
// rules stay the gate with the template as well.
func residualSubject(r ciRole) string {
	switch {
	case strings.HasPrefix(r.Subject, "environment:"):
		env := strings.TrimPrefix(r.Subject, "environment:")
		return fmt.Sprintf("residual risk: a pull_request job of any branch that declares environment: %s presents %s, "+
			"which %s trusts; only the %s environment's protection rules (deployment branches: main only) stop it", env, r.Subject, r.Name, env)
	case r.Subject == "ref:refs/heads/main":
		return fmt.Sprintf("residual risk: any job without an environment of any workflow that runs on main presents %s, "+
			"which %s trusts, not only drift.yml's", r.Subject, r.Name)
	case r.Subject == "pull_request":
		return fmt.Sprintf("residual risk: any pull_request job without an environment, including one that the pull request "+
			"itself adds or edits, presents %s, which %s trusts (it only reads)", r.Subject, r.Name)
	}
	return ""
}

// residualNames: while the trust keeps its name-only entry, a token whose subject carries these names without
// ids matches it, whichever account now holds the names.
func residualNames(r ciRole) string {
	return fmt.Sprintf("residual risk: while its name-only entry stays, %s trusts any repository that presents these "+
		"names without ids (a recycled owner or repository name); delete the entry once GitHub issues the immutable form", r.Name)
}

// ciScenarios: every workflow job can assume the role it uses, and no other subject can assume any role.
func ciScenarios(t testing.TB) []scenario {
	t.Helper()
	roles := ciRoles(t)
	var out []scenario
	used := map[string]bool{}
	for _, a := range roleAssumptions(t) {
		r, ok := roleFor(roles, a.variable, a.environment)
		require.True(t, ok, "%s uses vars.%s in environment %q, which no role in docs/iam/roles.yaml provides",
			a.where, a.variable, a.environment)
		used[r.Name] = true
		for _, repo := range ourRepoForms {
			out = append(out, assume(fmt.Sprintf("%s assumes %s (%s)", a.where, r.Name, repo.form()), r, repo, a.subject(t),
				"sts.amazonaws.com", allowed))
		}
	}
	subjects := []string{"pull_request", "ref:refs/heads/main", "ref:refs/heads/feature", "environment:dev",
		"environment:prod", "environment:staging", "ref:refs/tags/v1.0.0"}
	const aud = "sts.amazonaws.com"
	for _, r := range roles {
		assert.True(t, used[r.Name], "role %s is used by no workflow", r.Name)
		for _, sub := range subjects {
			if sub == r.Subject {
				continue
			}
			for _, repo := range ourRepoForms {
				out = append(out, assume(fmt.Sprintf("a job with subject %s (%s) cannot assume %s", sub, repo.form(), r.Name),
					r, repo, sub, aud, denied))
			}
		}
		other := repoClaim{org: githubOrg, repo: "other"}
		fork := repoClaim{org: "someone-else", repo: githubRepo}
		out = append(out,
			assume(fmt.Sprintf("another repository of the owner cannot assume %s (name-only subject)", r.Name), r, other, r.Subject, aud, denied),
			assume(fmt.Sprintf("another repository of the owner cannot assume %s (immutable subject)", r.Name),
				r, repoClaim{org: githubOrg, orgID: githubOrgID, repo: "other", repoID: "765432110"}, r.Subject, aud, denied),
			assume(fmt.Sprintf("a fork cannot assume %s (name-only subject)", r.Name), r, fork, r.Subject, aud, denied),
			assume(fmt.Sprintf("a fork cannot assume %s (immutable subject)", r.Name),
				r, repoClaim{org: "someone-else", orgID: "7654321", repo: githubRepo, repoID: "876543210"}, r.Subject, aud, denied),
			// Recycled names: the same names with other ids are another repository or another owner.
			assume(fmt.Sprintf("a repository of the same name with another id (deleted and re-created) cannot assume %s", r.Name),
				r, repoClaim{org: githubOrg, orgID: githubOrgID, repo: githubRepo, repoID: "876543210"}, r.Subject, aud, denied),
			assume(fmt.Sprintf("an owner of the same name with another id (a recycled organization name) cannot assume %s", r.Name),
				r, repoClaim{org: githubOrg, orgID: "7654321", repo: githubRepo, repoID: githubRepoID}, r.Subject, aud, denied),
			assume(fmt.Sprintf("a token for another audience cannot assume %s", r.Name), r, ourNames, r.Subject, "https://example.com", denied),
			assume(residualNames(r), r, ourNames, r.Subject, aud, allowed),
			assume(residualSubject(r), r, ourNames, r.Subject, aud, allowed))
	}
	return out
}

// readerScenarios: the preview and drift roles read what they refresh and change nothing.
func readerScenarios(t testing.TB, r ciRole) []scenario {
	t.Helper()
	boot := runStack(t, "bootstrap", false)
	bucket := boot.Exports["stateBucketArn"].Value.(string)
	keyArn := boot.Exports["kmsKeyArn"].Value.(string)
	const bucketPolicy, keyPolicy = "bootstrap/BucketPolicy:state-bucket", "bootstrap/Key:state-key"
	me := r.arn()
	tls := map[string]any{"aws:SecureTransport": "true", "s3:TlsVersion": "1.3"}
	s3 := func(name, action, on string, want verdict) scenario {
		return scenario{name: r.Name + " " + name, who: me, action: action, on: on, ctx: tls,
			identity: []string{r.permissionsID()}, resource: bucketPolicy, want: want}
	}
	k := func(name, action string, want verdict) scenario {
		return scenario{name: r.Name + " " + name, who: me, action: action, on: keyArn,
			identity: []string{r.permissionsID()}, resource: keyPolicy, want: want}
	}
	other := func(name, action, on string) scenario {
		return scenario{name: r.Name + " " + name, who: me, action: action, on: on,
			identity: []string{r.permissionsID()}, want: denied}
	}
	state := bucket + "/.pulumi/stacks/aws-foundation/prod.json"
	return []scenario{
		s3("reads an environment stack's state", "s3:GetObject", state, allowed),
		s3("reads the backend's meta.yaml", "s3:GetObject", bucket+"/.pulumi/meta.yaml", allowed),
		s3("lists the state bucket without a prefix (HeadBucket, missing-key GetObject)", "s3:ListBucket", bucket, allowed),
		s3("cannot write state", "s3:PutObject", state, denied),
		s3("cannot delete state", "s3:DeleteObject", state, denied),
		s3("cannot take a stack lock", "s3:PutObject", bucket+"/.pulumi/locks/organization/aws-foundation/prod/x.json", denied),
		s3("cannot change the state bucket's policy", "s3:PutBucketPolicy", bucket, denied),
		k("decrypts state and stack secrets with the state key", "kms:Decrypt", allowed),
		k("cannot encrypt with the state key", "kms:Encrypt", denied),
		k("cannot change the state key's policy", "kms:PutKeyPolicy", denied),
		{name: r.Name + " describes the network", who: me, action: "ec2:DescribeVpcs", on: "*",
			identity: []string{r.permissionsID()}, want: allowed},
		{name: r.Name + " finds the flow-log groups", who: me, action: "logs:DescribeLogGroups", on: "*",
			identity: []string{r.permissionsID()}, want: allowed},
		{name: r.Name + " reads a flow-log role", who: me, action: "iam:GetRole",
			on:       fmt.Sprintf("arn:aws:iam::%s:role/aws-foundation/flow-logs/prod-flow-logs-0a1b2c3", accessAccount),
			identity: []string{r.permissionsID()}, want: allowed},
		other("cannot create a VPC", "ec2:CreateVpc", fmt.Sprintf("arn:aws:ec2:%s:%s:vpc/*", accessRegion, accessAccount)),
		other("cannot delete a flow log", "ec2:DeleteFlowLogs",
			fmt.Sprintf("arn:aws:ec2:%s:%s:vpc-flow-log/fl-0123", accessRegion, accessAccount)),
		other("cannot create a role", "iam:CreateRole", fmt.Sprintf("arn:aws:iam::%s:role/x", accessAccount)),
		other("cannot read another bucket (the bootstrap stack's own state)", "s3:GetObject",
			"arn:aws:s3:::aws-foundation-bootstrap-state/.pulumi/stacks/aws-foundation/bootstrap.json"),
	}
}

func readerRoles(t testing.TB) []ciRole {
	t.Helper()
	var out []ciRole
	for _, r := range ciRoles(t) {
		if r.Subject == "pull_request" || r.Subject == "ref:refs/heads/main" {
			out = append(out, r)
		}
	}
	require.Len(t, out, 2, "the preview and drift roles")
	return out
}

func allCIScenarios(t testing.TB) []scenario {
	t.Helper()
	out := ciScenarios(t)
	for _, r := range readerRoles(t) {
		out = append(out, readerScenarios(t, r)...)
	}
	return out
}

func TestEveryWorkflowJobCanAssumeItsRoleAndNoOtherSubjectCan(t *testing.T) {
	t.Parallel()
	c := allPolicies(t)
	addTestPolicies(c)
	assumptions := roleAssumptions(t)
	var seen []string
	for _, a := range assumptions {
		seen = append(seen, a.where)
	}
	t.Logf("jobs that assume a role: %s", strings.Join(seen, "; "))
	require.NotEmpty(t, assumptions)
	requireVerdicts(t, c, allCIScenarios(t))
}

func TestPreviewAndDriftRolesHaveTheSamePermissions(t *testing.T) {
	t.Parallel()
	c := allPolicies(t)
	rs := readerRoles(t)
	assert.Equal(t, c.get(t, rs[0].permissionsID()).Doc, c.get(t, rs[1].permissionsID()).Doc,
		"preview and drift both refresh without writing; their permissions are meant to be identical")
}

func TestEveryCIRoleMutationTurnsItsScenariosRed(t *testing.T) {
	t.Parallel()
	c := allPolicies(t)
	addTestPolicies(c)
	scenarios := allCIScenarios(t)
	var mutations []mutation
	for _, r := range ciRoles(t) {
		var deniedSubjects, allowedNames, allowedIDs, otherRepos, recycled []string
		for _, s := range scenarios {
			switch {
			case strings.HasPrefix(s.name, "a job with subject") && strings.HasSuffix(s.name, "cannot assume "+r.Name):
				deniedSubjects = append(deniedSubjects, s.name)
			case s.want == allowed && strings.HasSuffix(s.name, "assumes "+r.Name+" (name-only subject)"):
				allowedNames = append(allowedNames, s.name)
			case s.want == allowed && strings.HasSuffix(s.name, "assumes "+r.Name+" (immutable subject)"):
				allowedIDs = append(allowedIDs, s.name)
			case strings.HasPrefix(s.name, "another repository of the owner cannot assume "+r.Name+" ("),
				strings.HasPrefix(s.name, "a fork cannot assume "+r.Name+" ("):
				otherRepos = append(otherRepos, s.name)
			case strings.HasSuffix(s.name, "with another id (deleted and re-created) cannot assume "+r.Name),
				strings.HasSuffix(s.name, "with another id (a recycled organization name) cannot assume "+r.Name):
				recycled = append(recycled, s.name)
			}
		}
		require.NotEmpty(t, allowedNames, r.Name)
		require.Len(t, allowedIDs, len(allowedNames), r.Name)
		require.Len(t, otherRepos, 4, r.Name)
		require.Len(t, recycled, 2, r.Name)
		residuals := []string{residualNames(r), residualSubject(r)}
		sub := func(op string, values ...string) func(testing.TB, map[string]any) {
			return setField("GitHubActionsOidc", "Condition", map[string]any{
				"StringEquals": map[string]any{oidcProvider + ":aud": "sts.amazonaws.com"},
				op:             map[string]any{oidcProvider + ":sub": values}})
		}
		names, ids := "repo:"+ourNames.String()+":", "repo:"+ourIDs.String()+":"
		mutations = append(mutations,
			mutation{name: r.Name + " trusts every subject of the repository", policy: r.trustID(),
				edit: sub("StringLike", names+"*", ids+"*"), scenarios: deniedSubjects},
			mutation{name: r.Name + " trusts every repository", policy: r.trustID(),
				edit:      dropCondition("GitHubActionsOidc", "StringEquals", oidcProvider+":sub"),
				scenarios: append(append([]string(nil), otherRepos...), recycled...)},
			mutation{name: r.Name + " trusts the names with any ids", policy: r.trustID(),
				edit:      sub("StringLike", names+r.Subject, "repo:"+githubOrg+"@*/"+githubRepo+"@*:"+r.Subject),
				scenarios: recycled},
			mutation{name: r.Name + " trusts any audience", policy: r.trustID(),
				edit:      dropCondition("GitHubActionsOidc", "StringEquals", oidcProvider+":aud"),
				scenarios: []string{"a token for another audience cannot assume " + r.Name}},
			mutation{name: r.Name + " trusts another subject", policy: r.trustID(),
				edit:      replaceText(":"+r.Subject+"\"", ":environment:elsewhere\""),
				scenarios: append(append(append([]string(nil), allowedNames...), allowedIDs...), residuals...)},
			mutation{name: r.Name + " trusts only the name-only subject (what the documents held before)", policy: r.trustID(),
				edit: sub("StringEquals", names+r.Subject), scenarios: allowedIDs},
			mutation{name: r.Name + " trusts only the immutable subject (the entry to keep once GitHub issues it)", policy: r.trustID(),
				edit: sub("StringEquals", ids+r.Subject), scenarios: append(append([]string(nil), allowedNames...), residualNames(r))},
		)
		// The optional template docs/DELIVERY.md describes: a trust that accepts only the customised subject ending in
		// job_workflow_ref <workflow>@refs/heads/main. What this shows, and no more: the default subject, which a
		// job of any branch that declares the environment (or, for drift, any job on main) presents, no longer
		// matches. It does not show that only that workflow as it is on main can match: job_workflow_ref names the
		// called workflow, so a pull-request workflow that calls up.yml@main as a reusable workflow presents the
		// same value (and up.yml checks out the caller's commit); the environment's rules stay the gate. A pull
		// request runs from refs/pull/N/merge, so no such mutation for the preview role.
		if wf := map[string]string{"environment:dev": "up.yml", "environment:prod": "up.yml", "ref:refs/heads/main": "drift.yml"}[r.Subject]; wf != "" {
			ref := fmt.Sprintf(":job_workflow_ref:%s/%s/.github/workflows/%s@refs/heads/main", githubOrg, githubRepo, wf)
			mutations = append(mutations, mutation{
				name: r.Name + " trusts only a customised subject ending in job_workflow_ref " + wf +
					"@refs/heads/main (the optional template): the default subject no longer matches",
				policy: r.trustID(), edit: sub("StringEquals", ids+r.Subject+ref, names+r.Subject+ref),
				scenarios: []string{residualSubject(r)}})
		}
	}
	for _, r := range readerRoles(t) {
		n := func(s string) []string { return []string{r.Name + " " + s} }
		mutations = append(mutations,
			mutation{name: r.Name + " lists only under a prefix", policy: r.permissionsID(),
				edit:      setField("ListStateBucket", "Condition", map[string]any{"StringLike": map[string]any{"s3:prefix": []any{".pulumi/*"}}}),
				scenarios: n("lists the state bucket without a prefix (HeadBucket, missing-key GetObject)")},
			mutation{name: r.Name + " may write state", policy: r.permissionsID(),
				edit:      setField("ReadStateOfEveryEnvironmentStack", "Action", []any{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}),
				scenarios: n("cannot write state")},
			mutation{name: r.Name + " may delete state", policy: r.permissionsID(),
				edit:      setField("ReadStateOfEveryEnvironmentStack", "Action", []any{"s3:GetObject", "s3:DeleteObject"}),
				scenarios: n("cannot delete state")},
			mutation{name: r.Name + " reads the whole bucket", policy: r.permissionsID(),
				edit:      setField("ReadStateOfEveryEnvironmentStack", "Resource", "*"),
				scenarios: n("cannot read another bucket (the bootstrap stack's own state)")},
			mutation{name: r.Name + " may not read state", policy: r.permissionsID(),
				edit:      dropStatements("ReadStateOfEveryEnvironmentStack"),
				scenarios: append(n("reads an environment stack's state"), n("reads the backend's meta.yaml")...)},
			mutation{name: r.Name + " may not decrypt", policy: r.permissionsID(), edit: dropStatements("DecryptStateAndStackSecrets"),
				scenarios: n("decrypts state and stack secrets with the state key")},
			mutation{name: r.Name + " may use the state key fully", policy: r.permissionsID(),
				edit:      setField("DecryptStateAndStackSecrets", "Action", "kms:*"),
				scenarios: append(n("cannot encrypt with the state key"), n("cannot change the state key's policy")...)},
			mutation{name: r.Name + " may do anything", policy: r.permissionsID(),
				edit: addStatement(map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"}),
				scenarios: append(append(append(n("cannot take a stack lock"), n("cannot change the state bucket's policy")...),
					n("cannot create a VPC")...), append(n("cannot delete a flow log"), n("cannot create a role")...)...)},
			mutation{name: r.Name + " reads nothing", policy: r.permissionsID(),
				edit:      dropStatements("ReadNetwork", "FindLogGroups", "ReadFlowLogRoles"),
				scenarios: append(append(n("describes the network"), n("finds the flow-log groups")...), n("reads a flow-log role")...)},
		)
	}
	requireEveryScenarioIsCovered(t, scenarios, mutations, "")
	requireMutationsTurnScenariosRed(t, c, scenarios, mutations)
	t.Logf("%d scenarios, %d mutations", len(scenarios), len(mutations))
}

// tokenTriggers are the only triggers under which a job may request an OIDC token: the ones the CI roles are
// built for (preview on pull_request, deploy on push through workflow_call, drift on schedule and manual
// dispatch). Any other trigger, issue_comment, issues, workflow_run, pull_request_target or a review event among
// them, can be started by people who cannot merge, and runs on main (subject ref:refs/heads/main, the drift
// role's) or presents pull_request (the preview role's).
var tokenTriggers = []string{"push", "pull_request", "schedule", "workflow_dispatch", "workflow_call"}

// tokenRequests lists, for one workflow file's text, every job that may request an OIDC token (id-token: write,
// or write-all, at the workflow or the job) while the workflow has a trigger outside tokenTriggers.
func tokenRequests(t testing.TB, name string, raw []byte) []string {
	t.Helper()
	var w struct {
		On          yaml.Node `yaml:"on"`
		Permissions yaml.Node `yaml:"permissions"`
		Jobs        map[string]struct {
			Permissions yaml.Node `yaml:"permissions"`
		} `yaml:"jobs"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &w), name)
	grants := func(p yaml.Node) bool {
		if p.Kind == yaml.AliasNode && p.Alias != nil { // permissions: *anchor
			p = *p.Alias
		}
		switch p.Kind {
		case yaml.ScalarNode:
			return p.Value == "write-all"
		case yaml.MappingNode:
			for i := 0; i+1 < len(p.Content); i += 2 {
				if p.Content[i].Value == "id-token" && p.Content[i+1].Value == "write" {
					return true
				}
			}
		}
		return false
	}
	on := w.On
	if on.Kind == yaml.AliasNode && on.Alias != nil { // on: *anchor
		on = *on.Alias
	}
	var risky []string
	for _, trig := range (workflow{On: on}).triggers() {
		if !slices.Contains(tokenTriggers, trig) {
			risky = append(risky, trig)
		}
	}
	if len(risky) == 0 {
		return nil
	}
	var out []string
	for job, j := range w.Jobs {
		// A job without permissions of its own inherits the workflow's.
		if grants(j.Permissions) || (j.Permissions.Kind == 0 && grants(w.Permissions)) {
			out = append(out, fmt.Sprintf("%s job %s requests an OIDC token on %v", name, job, risky))
		}
	}
	sort.Strings(out)
	return out
}

// TestNoWorkflowOnAnIssueCommentOrWorkflowRunRequestsAnOIDCToken: only the triggers the CI roles are built for may
// request a token (tokenTriggers); an issue_comment or workflow_run workflow runs on main, so its token would carry
// the drift role's subject. The checker is proven on workflows that do request one.
func TestNoWorkflowOnAnIssueCommentOrWorkflowRunRequestsAnOIDCToken(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(repoRoot, ".github", "workflows", "*.y*ml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		assert.Empty(t, tokenRequests(t, filepath.Base(f), raw), "workflows a stranger can start must not request id-token: write")
	}
	for _, bad := range []struct{ name, text string }{
		{"job-level", "on: issue_comment\njobs:\n  triage:\n    permissions:\n      id-token: write\n    runs-on: ubuntu-latest\n"},
		{"workflow-level", "on:\n  workflow_run:\n    workflows: [ci]\npermissions:\n  id-token: write\njobs:\n  report: {runs-on: ubuntu-latest}\n"},
		{"write-all", "on: [push, issues]\npermissions: write-all\njobs:\n  x: {runs-on: ubuntu-latest}\n"},
		{"a review event", "on: pull_request_review\njobs:\n  x:\n    permissions: {id-token: write}\n    runs-on: ubuntu-latest\n"},
		{"through YAML anchors", "x-on: &events [issue_comment]\nx-perms: &token {id-token: write}\non: *events\npermissions: *token\n" +
			"jobs:\n  x: {runs-on: ubuntu-latest}\n"},
	} {
		assert.NotEmpty(t, tokenRequests(t, bad.name, []byte(bad.text)), "%s: the checker must report it", bad.name)
	}
	assert.Empty(t, tokenRequests(t, "job without the token", []byte("on: issue_comment\npermissions:\n  id-token: write\n"+
		"jobs:\n  x:\n    permissions:\n      contents: read\n")), "a job's own permissions replace the workflow's")
}
