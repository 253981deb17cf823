package tests

// What AWS checks when a resource is created or changed, beyond policy grammar and the evaluation of a request:
// the checks docs/SERVICE-CHECKS.md lists, each modelled here against what the program really registers.

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws-foundation/aws-foundation/internal/mockrun"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// keyAdministrator is a person of the account whose IAM policies let them administer every key: who runs the
// bootstrap stack, and who the lockout check protects the keys for.
var keyAdministrator = fmt.Sprintf("arn:aws:iam::%s:role/key-administrator", accessAccount)

// deployer is the principal that runs `pulumi up` for a stack, with its identity policies.
type deployer struct {
	who      string
	identity []string
}

// deployerOf: an environment stack is deployed by its CI deploy role (docs/iam/roles.yaml), the log-archive stack
// by its break-glass role (docs/BOOTSTRAP.md), every other stack (bootstrap) by a person with administrator rights.
func deployerOf(t testing.TB, stack string) deployer {
	t.Helper()
	for _, r := range ciRoles(t) {
		if r.Name == "aws-foundation-deploy-"+stack {
			return deployer{who: r.arn(), identity: r.identityIDs()}
		}
	}
	if bg := runStack(t, stack, false).Config["aws-foundation:logArchiveBreakGlassPrincipalArn"]; bg != "" {
		return deployer{who: bg, identity: []string{accountAdmin}}
	}
	return deployer{who: keyAdministrator, identity: []string{accountAdmin}}
}

// stackResourceTags are the aws:ResourceTag/<key> values a resource of the stack carries: the stack file's
// aws:defaultTags plus the resource's own tags.
func stackResourceTags(t testing.TB, res *mockrun.Result, r mockrun.Resource) map[string]any {
	t.Helper()
	out := resourceTagKeys(defaultTags(t, res))
	if tags, ok := r.Value("tags").(map[string]any); ok {
		for k, v := range tags {
			out["aws:ResourceTag/"+k] = v
		}
	}
	return out
}

// createdKey is one key a stack registers, with what KMS's lockout safety check is asked about it.
type createdKey struct {
	stack, name string
	arn, policy string // the key's ARN and its key policy (catalog ID)
	bypass      bool   // BypassPolicyLockoutSafetyCheck
	tags        map[string]any
	deployer    deployer
}

// createdKeys lists every key of every stack file.
func createdKeys(t testing.TB) []createdKey {
	t.Helper()
	var out []createdKey
	for _, stack := range stackNames(t) {
		res := runStack(t, stack, false)
		for _, r := range res.OfType(mockrun.TypeKmsKey) {
			out = append(out, createdKey{stack: stack, name: r.Name, arn: r.Out("arn"), policy: policyID(stack, r),
				bypass: r.Value("bypassPolicyLockoutSafetyCheck") == true, tags: stackResourceTags(t, res, r),
				deployer: deployerOf(t, stack)})
		}
	}
	require.NotEmpty(t, out, "no stack registers a key")
	return out
}

// The two questions KMS's lockout safety check can ask of a CreateKey (kms/latest/APIReference/API_CreateKey):
// may the caller make a later PutKeyPolicy on the new key, under its new policy and the caller's IAM policies.
// AWS does not document whether the check sees the tags CreateKey carries, so both are asked: with the request's
// tags on the key, and with none.
func (k createdKey) lockoutScenarios() []scenario {
	s := func(world string, ctx map[string]any) scenario {
		return scenario{name: fmt.Sprintf("lockout check: %s may put a key policy on %s's new key %s (%s)",
			k.deployer.who, k.stack, k.name, world), who: k.deployer.who, action: "kms:PutKeyPolicy", on: k.arn,
			identity: k.deployer.identity, resource: k.policy, ctx: ctx, want: allowed}
	}
	return []scenario{s("the check sees the request's tags", k.tags), s("the check sees no tags", nil)}
}

// rootScenario: the key stays manageable through IAM: an administrator of the account may put a key policy. This
// is what the bypass gives up checking, so a key that bypasses the check must pass it.
func (k createdKey) rootScenario() scenario {
	return scenario{name: fmt.Sprintf("%s's key %s stays manageable: an account administrator may put its key policy",
		k.stack, k.name), who: keyAdministrator, action: "kms:PutKeyPolicy", on: k.arn,
		identity: []string{accountAdmin}, resource: k.policy, want: allowed}
}

// lockoutFailures evaluates the model of the check for every key: CreateKey succeeds when the deployer passes
// the check in both worlds, or when the key bypasses it and still names the account root as its administrator.
// It returns one line per key that CreateKey would refuse with MalformedPolicyDocumentException.
func lockoutFailures(t testing.TB, c policyCatalog, keys []createdKey) []string {
	t.Helper()
	var all []scenario
	for _, k := range keys {
		all = append(append(all, k.lockoutScenarios()...), k.rootScenario())
	}
	answers := evaluate(t, c, all)
	var out []string
	for _, k := range keys {
		passes := true
		for _, s := range k.lockoutScenarios() {
			passes = passes && allowed.matches(answers[s.name].Result)
		}
		manageable := allowed.matches(answers[k.rootScenario().name].Result)
		switch {
		case k.bypass && !manageable:
			out = append(out, fmt.Sprintf("%s/%s bypasses the lockout check but its policy locks the account's "+
				"administrators out", k.stack, k.name))
		case !k.bypass && !passes:
			out = append(out, fmt.Sprintf("%s/%s: %s may not put a key policy on it, so CreateKey fails the lockout "+
				"check (set BypassPolicyLockoutSafetyCheck with the root statement, or let the deployer)", k.stack, k.name,
				k.deployer.who))
		}
	}
	sort.Strings(out)
	return out
}

// TestEveryKeyIsCreatableByTheRoleThatDeploysItsStack models KMS's lockout safety check on CreateKey for every key
// of every stack file and its deployer: deploy-prod is refused kms:PutKeyPolicy by its evidence guard, so without
// the bypass prod's first `pulumi up` fails (pulumi-aws retries about two minutes, then gives up).
func TestEveryKeyIsCreatableByTheRoleThatDeploysItsStack(t *testing.T) {
	t.Parallel()
	c := deployCatalog(t)
	keys := createdKeys(t)
	assert.Empty(t, lockoutFailures(t, c, keys), "keys CreateKey would refuse")

	t.Run("without the bypass, prod's flow-log key fails the check", func(t *testing.T) {
		var noBypass []createdKey
		for _, k := range keys {
			k.bypass = false
			noBypass = append(noBypass, k)
		}
		failures := lockoutFailures(t, c, noBypass)
		assert.Contains(t, strings.Join(failures, "\n"), "prod/prod-flow-logs: "+deployRoleArn("prod"),
			"the check must fire for the key whose deployer is refused kms:PutKeyPolicy")
	})
	t.Run("a key that bypasses the check without the root statement fails it", func(t *testing.T) {
		for _, k := range keys {
			if !k.bypass {
				continue
			}
			broken := deepCopy(c.get(t, k.policy).Doc)
			var kept []any
			for _, st := range broken["Statement"].([]any) {
				if p, _ := st.(map[string]any)["Principal"].(map[string]any); p["AWS"] != accountRoot {
					kept = append(kept, st)
				}
			}
			require.Less(t, len(kept), len(broken["Statement"].([]any)), "%s names no account root", k.policy)
			broken["Statement"] = kept
			if len(kept) == 0 {
				// A policy of the root statement alone: a service grant keeps the document valid.
				broken["Statement"] = []any{map[string]any{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
					"Principal": map[string]any{"Service": "logs.amazonaws.com"}}}
			}
			mutated := c.withOwnCopyOf(k.policy)
			mutated[k.policy] = catalogPolicy{ID: k.policy, Kind: keyKind, Doc: broken}
			assert.Equal(t, []string{fmt.Sprintf("%s/%s bypasses the lockout check but its policy locks the account's "+
				"administrators out", k.stack, k.name)}, lockoutFailures(t, mutated, []createdKey{k}))
		}
	})
}

// accountRoot is the principal that hands a key's administration to the account's IAM policies.
var accountRoot = fmt.Sprintf("arn:aws:iam::%s:root", accessAccount)

// awsPrincipals lists the AWS principals (not services) a policy document names.
func awsPrincipals(doc map[string]any) []string {
	var out []string
	for _, st := range doc["Statement"].([]any) {
		p, _ := st.(map[string]any)["Principal"].(map[string]any)
		switch v := p["AWS"].(type) {
		case string:
			out = append(out, v)
		case []any:
			for _, x := range v {
				out = append(out, fmt.Sprint(x))
			}
		}
	}
	return out
}

// principalsThatMayNotExist returns the AWS principals of a key, bucket or trust policy that may not exist when
// the policy is set: IAM, KMS and S3 refuse a policy that names an unknown principal (MalformedPolicyDocument
// "Invalid principal in policy"). Only the account root is sure to exist before anything of the stack.
func principalsThatMayNotExist(doc map[string]any) []string {
	var out []string
	for _, p := range awsPrincipals(doc) {
		if p != accountRoot {
			out = append(out, p)
		}
	}
	return out
}

// TestEveryPrincipalAPolicyNamesExistsWhenThePolicyIsSet: the program's key, bucket and trust policies name no
// principal but the account root (services aside), so no first `pulumi up` meets a principal that is not there
// yet, and no deleted role turns a policy invalid later.
func TestEveryPrincipalAPolicyNamesExistsWhenThePolicyIsSet(t *testing.T) {
	t.Parallel()
	c := allPolicies(t)
	checked := 0
	for id, p := range c {
		if strings.HasPrefix(id, "docs/") || (p.Kind != keyKind && p.Kind != resourceKind && p.Kind != trustKind) {
			continue
		}
		checked++
		assert.Empty(t, principalsThatMayNotExist(p.Doc), "%s names principals that may not exist when it is set", id)
	}
	assert.NotZero(t, checked)
	t.Run("the check fires on a policy that names a role", func(t *testing.T) {
		broken := deepCopy(c.get(t, "prod/Key:prod-flow-logs").Doc)
		role := deployRoleArn("dev")
		broken["Statement"] = append(broken["Statement"].([]any), map[string]any{"Effect": "Allow",
			"Principal": map[string]any{"AWS": []any{role}}, "Action": "kms:Decrypt", "Resource": "*"})
		assert.Equal(t, []string{role}, principalsThatMayNotExist(broken))
	})
}

// boundaryDocFor maps a permissions boundary's ARN to its document under docs/iam, created at set-up (step 1)
// before any deploy: CreateRole refuses a boundary that does not exist.
func boundaryDocFor(arn string) string {
	const prefix = "policy/aws-foundation-"
	i := strings.Index(arn, prefix)
	if i < 0 {
		return ""
	}
	return filepath.Join(repoRoot, "docs", "iam", arn[i+len(prefix):]+".json")
}

// TestEveryBoundaryAStackNamesIsADocumentCreatedAtSetUp: the boundary must exist before CreateRole names it, so
// every flow-log role's boundary is one of the documents set-up step 1 creates.
func TestEveryBoundaryAStackNamesIsADocumentCreatedAtSetUp(t *testing.T) {
	t.Parallel()
	for _, stack := range environmentStacks(t) {
		for _, r := range runStack(t, stack, false).OfType(mockrun.TypeRole) {
			b := r.Str("permissionsBoundary")
			doc := boundaryDocFor(b)
			require.NotEmpty(t, doc, "%s: role %s's boundary %s is not an aws-foundation-* policy of docs/iam", stack, r.Name, b)
			_, err := os.Stat(doc)
			assert.NoError(t, err, "%s: role %s names boundary %s, but docs/iam has no document for it", stack, r.Name, b)
		}
	}
	_, err := os.Stat(boundaryDocFor(boundaryArn("staging")))
	assert.Error(t, err, "a boundary without its document must be found missing")
}
