package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws-foundation/aws-foundation/internal/controls"
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
	"github.com/aws-foundation/aws-foundation/internal/stackrun"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEveryStackPassesEveryApplicableControl(t *testing.T) {
	t.Parallel()
	for _, stack := range stackNames(t) {
		for _, dry := range modes() {
			t.Run(stack+"/"+mode(dry), func(t *testing.T) {
				res := runStack(t, stack, dry)
				applicable := 0
				for _, o := range controls.Evaluate(res) {
					assert.NotEqual(t, controls.Fail, o.Status, "%s %s: %v", o.Control.ID, o.Control.Title, o.Failures)
					if o.Status != controls.NotApplicable {
						applicable++
					}
				}
				assert.Greater(t, applicable, 5, "a stack must be checked by more than a handful of controls")
			})
		}
	}
}

// breakage is the smallest change to a stack's recorded resources that breaks one control.
type breakage struct {
	control string
	stack   string
	what    string
	apply   func(t *testing.T, res *mockrun.Result) *mockrun.Result
}

// setInput changes one input of one resource.
func setInput(typ, name, key string, v any) func(*testing.T, *mockrun.Result) *mockrun.Result {
	return func(t *testing.T, res *mockrun.Result) *mockrun.Result {
		return mutate(t, res, typ, name, func(in resource.PropertyMap) { in[resource.PropertyKey(key)] = prop(v) })
	}
}

// editInput replaces text in one string input (a policy) and fails if the text is not there.
func editInput(typ, name, key, old, new string) func(*testing.T, *mockrun.Result) *mockrun.Result {
	return func(t *testing.T, res *mockrun.Result) *mockrun.Result {
		cur := one(t, res, typ, name).Str(key)
		require.Contains(t, cur, old, "%s %s.%s", typ, name, key)
		return setInput(typ, name, key, strings.Replace(cur, old, new, 1))(t, res)
	}
}

// editAll changes every resource of typ, options included.
func editAll(typ string, fn func(r *mockrun.Resource)) func(*testing.T, *mockrun.Result) *mockrun.Result {
	return func(_ *testing.T, res *mockrun.Result) *mockrun.Result { return edit(res, typ, fn) }
}

// setRuleField changes one field of the i-th rule of an ACL's ingress or egress list.
func setRuleField(typ, name, dir string, i int, field string, v any) func(*testing.T, *mockrun.Result) *mockrun.Result {
	return func(t *testing.T, res *mockrun.Result) *mockrun.Result {
		return mutate(t, res, typ, name, func(in resource.PropertyMap) {
			rules := in[resource.PropertyKey(dir)].Mappable().([]any)
			rules[i].(map[string]any)[field] = v
			in[resource.PropertyKey(dir)] = prop(rules)
		})
	}
}

func dropType(typ string) func(*testing.T, *mockrun.Result) *mockrun.Result {
	return func(_ *testing.T, res *mockrun.Result) *mockrun.Result { return drop(res, typ) }
}

var breakages = []breakage{
	{"AF-KMS-01", "dev", "key rotation off", setInput(mockrun.TypeKmsKey, "dev-flow-logs", "enableKeyRotation", false)},
	{"AF-KMS-01", "bootstrap", "7-day deletion window", setInput(mockrun.TypeKmsKey, "state-key", "deletionWindowInDays", 7.0)},
	{"AF-KMS-02", "dev", "key administered by anyone", editInput(mockrun.TypeKmsKey, "dev-flow-logs", "policy",
		`{"AWS":"arn:aws:iam::123456789012:root"}`, `"*"`)},
	{"AF-KMS-02", "bootstrap", "no key policy", setInput(mockrun.TypeKmsKey, "state-key", "policy", "")},
	{"AF-LOG-01", "dev", "90-day retention", setInput(mockrun.TypeLogGroup, "dev-flow-logs", "retentionInDays", 90.0)},
	{"AF-LOG-02", "dev", "log group on the AWS key", setInput(mockrun.TypeLogGroup, "dev-flow-logs", "kmsKeyId", "")},
	{"AF-LOG-03", "dev", "key usable for every log group", editInput(mockrun.TypeKmsKey, "dev-flow-logs", "policy",
		"log-group:/aws/vpc-flow-logs/aws-foundation/dev/dev", "log-group:*")},
	{"AF-LOG-03", "dev", "log group created before its key", editAll(mockrun.TypeLogGroup, func(r *mockrun.Resource) { r.Dependencies = nil })},
	{"AF-LOG-04", "prod", "log group deleted with the stack", editAll(mockrun.TypeLogGroup, func(r *mockrun.Resource) { r.RetainOnDelete = false })},
	{"AF-LOG-04", "prod", "key alias deleted with the stack", editAll(mockrun.TypeKmsAlias, func(r *mockrun.Resource) { r.RetainOnDelete = false })},
	{"AF-VPC-01", "dev", "only rejected traffic logged", setInput(mockrun.TypeFlowLog, "dev", "trafficType", "REJECT")},
	{"AF-VPC-01", "prod", "flow log watching another VPC", setInput(mockrun.TypeFlowLog, "prod", "vpcId", "vpc-other")},
	{"AF-VPC-02", "dev", "default SG allows all egress", setInput(mockrun.TypeDefaultSecurityGroup, "dev-default-sg", "egress",
		[]any{map[string]any{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "cidrBlocks": []any{"0.0.0.0/0"}}})},
	{"AF-VPC-03", "prod", "SSH open to the internet", func(t *testing.T, res *mockrun.Result) *mockrun.Result {
		return mutate(t, res, mockrun.TypeDefaultNetworkAcl, "prod-default-nacl", func(in resource.PropertyMap) {
			in["ingress"] = prop(append(in["ingress"].Mappable().([]any), naclRule("tcp", 22, 22, "cidrBlock", "0.0.0.0/0")))
		})
	}},
	{"AF-VPC-04", "prod", "public subnet maps public IPs", setInput(mockrun.TypeSubnet, "prod-public-us-east-1a", "mapPublicIpOnLaunch", true)},
	{"AF-VPC-05", "prod", "public ACL egress on protocol all", setRuleField(mockrun.TypeNetworkAcl, "prod-public-nacl", "egress", 0, "protocol", "-1")},
	{"AF-VPC-05", "dev", "default ACL admits the VPC on protocol all", setRuleField(mockrun.TypeDefaultNetworkAcl, "dev-default-nacl", "ingress", 0, "protocol", "-1")},
	{"AF-VPC-06", "prod", "public ACL admits an unconfigured port below 1024", func(t *testing.T, res *mockrun.Result) *mockrun.Result {
		return addIngress(t, res, mockrun.TypeNetworkAcl, "prod-public-nacl", naclRule("tcp", 25, 25, "cidrBlock", "0.0.0.0/0"))
	}},
	{"AF-VPC-06", "dev", "a public subnet left on the default ACL", func(t *testing.T, res *mockrun.Result) *mockrun.Result {
		return mutate(t, res, mockrun.TypeNetworkAcl, "dev-public-nacl", func(in resource.PropertyMap) {
			in["subnetIds"] = prop(in["subnetIds"].Mappable().([]any)[1:])
		})
	}},
	{"AF-VPC-07", "prod", "workloads may write to AWS service buckets", editInput(mockrun.TypeVpcEndpoint, "prod-s3", "policy",
		`"Action":["s3:GetObject"]`, `"Action":["s3:GetObject","s3:PutObject"]`)},
	{"AF-VPC-07", "dev", "a wildcard bucket name", editInput(mockrun.TypeVpcEndpoint, "dev-s3", "policy",
		`prod-us-east-1-starport-layer-bucket/*`, `prod-*-starport-layer-bucket/*`)},
	{"AF-IAM-01", "dev", "role also trusts EC2", editInput(mockrun.TypeRole, "dev-flow-logs", "assumeRolePolicy",
		`"Service":"vpc-flow-logs.amazonaws.com"`, `"Service":["vpc-flow-logs.amazonaws.com","ec2.amazonaws.com"]`)},
	{"AF-IAM-01", "dev", "role may create log groups", editInput(mockrun.TypeRolePolicy, "dev-flow-logs", "policy",
		`"logs:DescribeLogGroups"`, `"logs:DescribeLogGroups","logs:CreateLogGroup"`)},
	{"AF-IAM-01", "dev", "role writes to every log group", editInput(mockrun.TypeRolePolicy, "dev-flow-logs", "policy",
		`/aws/vpc-flow-logs/aws-foundation/dev/dev:*`, `*`)},
	{"AF-IAM-01", "dev", "trust without aws:SourceAccount", editInput(mockrun.TypeRole, "dev-flow-logs", "assumeRolePolicy",
		`"StringEquals":{"aws:SourceAccount":"123456789012"}`, `"StringLike":{"aws:x":"y"}`)},
	{"AF-IAM-02", "dev", "logs:* on the role", editInput(mockrun.TypeRolePolicy, "dev-flow-logs", "policy",
		`"logs:PutLogEvents"`, `"logs:*"`)},
	{"AF-IAM-03", "dev", "flow-log role at the root path", setInput(mockrun.TypeRole, "dev-flow-logs", "path", "/")},
	{"AF-IAM-03", "prod", "flow-log role without a boundary", setInput(mockrun.TypeRole, "prod-flow-logs", "permissionsBoundary", "")},
	{"AF-IAM-04", "log-archive", "replication role also trusts EC2", editInput(mockrun.TypeRole, "log-archive-replication", "assumeRolePolicy",
		`"Service":"s3.amazonaws.com"`, `"Service":["s3.amazonaws.com","ec2.amazonaws.com"]`)},
	{"AF-IAM-04", "log-archive", "replication role may read any bucket", editInput(mockrun.TypeRolePolicy, "log-archive-replication", "policy",
		`"Effect":"Deny"`, `"Effect":"Allow"`)},
	{"AF-IAM-04", "log-archive", "replication may delete in the vault", editInput(mockrun.TypeRolePolicy, "log-archive-replication", "policy",
		`"s3:ReplicateObject"`, `"s3:ReplicateObject","s3:ReplicateDelete"`)},
	{"AF-S3-01", "bootstrap", "public ACLs allowed", setInput(mockrun.TypePublicAccessBlock, "state-bucket", "blockPublicAcls", false)},
	{"AF-S3-01", "bootstrap", "no public access block", dropType(mockrun.TypePublicAccessBlock)},
	{"AF-S3-02", "bootstrap", "ACLs enabled", setInput(mockrun.TypeOwnership, "state-logs", "rule", map[string]any{"objectOwnership": "ObjectWriter"})},
	{"AF-S3-03", "bootstrap", "plain HTTP allowed on the state bucket", editInput(mockrun.TypeBucketPolicy, "state-bucket", "policy",
		`"Sid":"DenyInsecureTransport","Effect":"Deny"`, `"Sid":"DenyInsecureTransport","Effect":"Allow"`)},
	{"AF-S3-03", "bootstrap", "plain HTTP allowed on the log bucket", editInput(mockrun.TypeBucketPolicy, "state-logs", "policy",
		`"Sid":"DenyInsecureTransport","Effect":"Deny"`, `"Sid":"DenyInsecureTransport","Effect":"Allow"`)},
	{"AF-S3-04", "bootstrap", "state bucket on SSE-S3", setInput(mockrun.TypeBucketEncryption, "state-bucket", "rules",
		[]any{map[string]any{"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "AES256"}, "bucketKeyEnabled": false}})},
	{"AF-S3-04", "bootstrap", "state bucket on the AWS managed key", setInput(mockrun.TypeBucketEncryption, "state-bucket", "rules",
		[]any{map[string]any{"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "alias/aws/s3"}, "bucketKeyEnabled": true}})},
	{"AF-S3-04", "bootstrap", "S3 bucket key off", func(t *testing.T, res *mockrun.Result) *mockrun.Result {
		return mutate(t, res, mockrun.TypeBucketEncryption, "state-bucket", func(in resource.PropertyMap) {
			rule := in["rules"].Mappable().([]any)[0].(map[string]any)
			rule["bucketKeyEnabled"] = false
			in["rules"] = prop([]any{rule})
		})
	}},
	{"AF-S3-05", "bootstrap", "uploads may choose another key", editInput(mockrun.TypeBucketPolicy, "state-bucket", "policy",
		`"Sid":"DenyOtherKmsKey","Effect":"Deny"`, `"Sid":"DenyOtherKmsKey","Effect":"Allow"`)},
	{"AF-S3-05", "bootstrap", "uploads without a header denied", editInput(mockrun.TypeBucketPolicy, "state-bucket", "policy",
		`"Null":{"s3:x-amz-server-side-encryption":"false"},`, ``)},
	{"AF-S3-06", "bootstrap", "versioning suspended", setInput(mockrun.TypeBucketVersioning, "state-bucket", "versioningConfiguration", map[string]any{"status": "Suspended"})},
	{"AF-S3-06", "bootstrap", "log bucket versioning suspended", setInput(mockrun.TypeBucketVersioning, "state-logs", "versioningConfiguration", map[string]any{"status": "Suspended"})},
	{"AF-S3-07", "bootstrap", "state bucket without lifecycle rules", setInput(mockrun.TypeBucketLifecycle, "state-bucket", "rules", []any{})},
	{"AF-S3-07", "bootstrap", "log bucket keeps noncurrent logs forever", func(t *testing.T, res *mockrun.Result) *mockrun.Result {
		return mutate(t, res, mockrun.TypeBucketLifecycle, "state-logs", func(in resource.PropertyMap) {
			rules := in["rules"].Mappable().([]any)
			delete(rules[0].(map[string]any), "noncurrentVersionExpiration")
			in["rules"] = prop(rules)
		})
	}},
	{"AF-S3-08", "bootstrap", "access logging off", dropType(mockrun.TypeBucketLogging)},
	{"AF-S3-09", "log-archive", "vault retention in GOVERNANCE mode", setInput(mockrun.TypeBucketObjectLock, "log-archive-vault", "rule",
		map[string]any{"defaultRetention": map[string]any{"mode": "GOVERNANCE", "days": 2192.0}})},
	{"AF-S3-09", "log-archive", "vault retention of 30 days", setInput(mockrun.TypeBucketObjectLock, "log-archive-vault", "rule",
		map[string]any{"defaultRetention": map[string]any{"mode": "COMPLIANCE", "days": 30.0}})},
	{"AF-S3-09", "log-archive", "vault created without Object Lock", setInput(mockrun.TypeBucket, "log-archive-vault", "objectLockEnabled", false)},
	{"AF-SNS-01", "log-archive", "alerts topic on the AWS managed key", setInput(mockrun.TypeTopic, "log-archive-alerts", "kmsMasterKeyId", "alias/aws/sns")},
	{"AF-SNS-01", "log-archive", "any rule of any account publishes", setInput(mockrun.TypeTopicPolicy, "log-archive-alerts", "policy",
		`{"Version":"2012-10-17","Statement":[{"Sid":"P","Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sns:Publish","Resource":"*"}]}`)},
	{"AF-SNS-01", "log-archive", "anyone publishes", setInput(mockrun.TypeTopicPolicy, "log-archive-alerts", "policy",
		`{"Version":"2012-10-17","Statement":[{"Sid":"P","Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}`)},
	{"AF-DDB-01", "bootstrap", "no point-in-time recovery", setInput(mockrun.TypeTable, "state-lock", "pointInTimeRecovery", map[string]any{"enabled": false})},
	{"AF-DDB-02", "bootstrap", "table on the AWS owned key", setInput(mockrun.TypeTable, "state-lock", "serverSideEncryption", map[string]any{"enabled": false})},
	{"AF-DDB-03", "bootstrap", "table deletable", setInput(mockrun.TypeTable, "state-lock", "deletionProtectionEnabled", false)},
	{"AF-STATE-01", "bootstrap", "bucket force-destroyable", setInput(mockrun.TypeBucket, "state-bucket", "forceDestroy", true)},
	{"AF-STATE-01", "bootstrap", "table not protected", editAll(mockrun.TypeTable, func(r *mockrun.Resource) { r.Protect = false })},
	{"AF-STATE-01", "bootstrap", "key not retained on delete", editAll(mockrun.TypeKmsKey, func(r *mockrun.Resource) { r.RetainOnDelete = false })},
	{"AF-TAG-01", "dev", "VPC without a Name tag", setInput(mockrun.TypeVpc, "dev-vpc", "tags", map[string]any{})},
	{"AF-TAG-01", "bootstrap", "stack without a Project default tag", func(_ *testing.T, res *mockrun.Result) *mockrun.Result {
		out := *res
		out.Config = map[string]string{"aws:defaultTags": `{"tags":{"Environment":"x","ManagedBy":"pulumi"}}`}
		return &out
	}},
}

func TestEveryControlFailsAloneOnItsSmallestBreakingChange(t *testing.T) {
	t.Parallel()
	results := map[string]*mockrun.Result{}
	for _, b := range breakages {
		t.Run(b.control+"/"+b.what, func(t *testing.T) {
			if results[b.stack] == nil {
				results[b.stack] = runStack(t, b.stack, false)
			}
			before := controls.Failed(controls.Evaluate(results[b.stack]))
			require.Empty(t, before, "the unbroken %s stack passes", b.stack)
			after := controls.Failed(controls.Evaluate(b.apply(t, results[b.stack])))
			assert.Equal(t, []string{b.control}, after, "breaking %q must fail exactly %s", b.what, b.control)
		})
	}
}

func TestEveryControlHasABreakingChange(t *testing.T) {
	t.Parallel()
	for _, c := range controls.Controls {
		assert.True(t, slices.ContainsFunc(breakages, func(b breakage) bool { return b.control == c.ID }),
			"control %s has no breaking change in the table", c.ID)
	}
}

func TestExceptionsAcceptOnlyTheLogBucketsFindings(t *testing.T) {
	t.Parallel()
	res := runStack(t, "bootstrap", false)
	logBucket := one(t, res, mockrun.TypeBucket, "state-logs")
	accepted := map[string]string{}
	for _, o := range controls.Evaluate(res) {
		for _, a := range o.Accepted {
			assert.Equal(t, logBucket.URN, a.Finding.URN, "%s accepted a finding on %s", a.Exception, a.Finding)
			accepted[o.Control.ID] = a.Exception
		}
	}
	assert.Equal(t, map[string]string{"AF-S3-04": "EX-01", "AF-S3-08": "EX-03"}, accepted,
		"the log bucket is versioned now: no exception for AF-S3-06")
}

func TestOnlyDevsDisposableFlowLogEvidenceIsAccepted(t *testing.T) {
	t.Parallel()
	for stack, want := range map[string]controls.Status{"dev": controls.Accepted, "prod": controls.Pass} {
		res := runStack(t, stack, false)
		for _, o := range controls.Evaluate(res) {
			if o.Control.ID != "AF-LOG-04" {
				continue
			}
			assert.Equal(t, want, o.Status, stack)
			for _, a := range o.Accepted {
				assert.Equal(t, "EX-08", a.Exception, "%s: %s", stack, a.Finding)
			}
			if stack == "dev" {
				assert.Len(t, o.Accepted, 3, "the log group, its key and the key's alias")
			}
		}
	}
}

func TestEveryExceptionHasAReasonAndACompensatingMeasureAndAppliesSomewhere(t *testing.T) {
	t.Parallel()
	results := map[string]*mockrun.Result{}
	for _, s := range stackNames(t) {
		results[s] = runStack(t, s, false)
	}
	// A new stack that sets nothing gets the project defaults (natStrategy single, for EX-07).
	defaults, err := stackrun.Run(writeProject(t, "defaults", "config:\n  aws:region: us-east-1\n"), "defaults", false)
	require.NoError(t, err)
	results["(project defaults)"] = defaults
	ids := map[string]bool{}
	for _, e := range controls.Exceptions {
		assert.False(t, ids[e.ID], "exception %s listed twice", e.ID)
		ids[e.ID] = true
		assert.NotEmpty(t, e.Statement, e.ID)
		assert.NotEmpty(t, e.Reason, e.ID)
		assert.NotEmpty(t, e.Compensating, e.ID)
		assert.NotEmpty(t, e.Upstream, e.ID)
		assert.Equal(t, e.Control != "", e.Accepts != nil, "%s: an exception accepts findings exactly when it names our control", e.ID)
		used := false
		for _, r := range results {
			used = used || e.AppliesTo(r)
		}
		assert.True(t, used, "exception %s applies to no stack: remove it", e.ID)
	}
}

// declared returns the names re captures in the files of this package that match glob: its non-empty groups
// joined by "." (a method as "deployWorld.deniedScenarios").
func declared(t *testing.T, glob string, re *regexp.Regexp) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(glob)
	require.NoError(t, err)
	require.NotEmpty(t, files, glob)
	names := map[string]bool{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range re.FindAllStringSubmatch(string(raw), -1) {
			names[strings.Join(slices.DeleteFunc(m[1:], func(g string) bool { return g == "" }), ".")] = true
		}
	}
	return names
}

var (
	testFunc = regexp.MustCompile(`(?m)^func (Test\w+)\(t \*testing\.T\)`)
	// scenarioTable matches "func flowLogScenarios(" and "func (w deployWorld) deniedScenarios(".
	scenarioTable = regexp.MustCompile(`(?m)^func (?:\(\w+ (\w+)\) )?(\w+Scenarios)\(`)
)

// testFuncs returns the names of every Test function in this package.
func testFuncs(t *testing.T) map[string]bool {
	t.Helper()
	return declared(t, "*_test.go", testFunc)
}

func TestEveryControlIsDescribedAndNamesTestsThatExist(t *testing.T) {
	t.Parallel()
	funcs := testFuncs(t)
	ids := map[string]bool{}
	for _, c := range controls.Controls {
		assert.False(t, ids[c.ID], "control %s listed twice", c.ID)
		ids[c.ID] = true
		assert.Regexp(t, `^AF-[A-Z0-9]+-\d\d$`, c.ID)
		for what, v := range map[string]string{"title": c.Title, "how": c.How} {
			assert.NotEmpty(t, v, "%s: %s", c.ID, what)
		}
		assert.NotEmpty(t, c.Upstream, c.ID)
		assert.NotEmpty(t, c.Types, c.ID)
		require.NotEmpty(t, c.Tests, c.ID)
		for _, name := range c.Tests {
			assert.True(t, funcs[name], "%s names test %s, which does not exist", c.ID, name)
		}
	}
	var sorted []string
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Strings(sorted)
	t.Logf("%d controls: %v", len(sorted), sorted)
}

// openPolicy allows anything to anyone: what every policy-bearing input becomes when a test opens it.
const openPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`

// controlsOnPolicies returns the controls whose check notices a policy opened to everyone, by control id, with
// the policy-bearing types (policyInputs, the access tier's own list) each notices. It also fails for a policy
// type a stack registers that no control notices opened.
func controlsOnPolicies(t *testing.T) map[string][]string {
	t.Helper()
	found := map[string][]string{}
	for _, stack := range stackNames(t) {
		res := runStack(t, stack, false)
		for typ, in := range policyInputs {
			if len(res.OfType(typ)) == 0 {
				continue
			}
			opened := edit(res, typ, func(r *mockrun.Resource) {
				r.Inputs[resource.PropertyKey(in.key)] = resource.NewStringProperty(openPolicy)
			})
			noticed := false
			for _, c := range controls.Controls {
				before := map[string]bool{}
				for _, f := range c.Check(res) {
					before[f.String()] = true
				}
				if slices.ContainsFunc(c.Check(opened), func(f controls.Finding) bool { return !before[f.String()] }) {
					noticed = true
					if !slices.Contains(found[c.ID], typ) {
						found[c.ID] = append(found[c.ID], typ)
					}
				}
			}
			assert.True(t, noticed, "%s: no control notices when the %s of every %s allows anything to anyone",
				stack, in.key, typ)
		}
	}
	return found
}

func TestEveryControlOnAPolicyNamesTheAccessTestsThatProveIt(t *testing.T) {
	t.Parallel()
	tests, tables := declared(t, "access_*_test.go", testFunc), declared(t, "access_*_test.go", scenarioTable)
	onPolicies := controlsOnPolicies(t)
	require.NotEmpty(t, onPolicies)
	for _, c := range controls.Controls {
		if types, ok := onPolicies[c.ID]; ok {
			assert.NotEmpty(t, c.AccessTests, "%s checks policies (of %v): name the access-tier tests that prove them", c.ID, types)
		}
		assert.Equal(t, len(c.AccessTests) > 0, len(c.AccessScenarios) > 0,
			"%s: name the access-tier tests together with the scenario tables they evaluate", c.ID)
		for _, name := range c.AccessTests {
			assert.True(t, tests[name], "%s names access test %s, which no tests/access_*_test.go declares", c.ID, name)
		}
		for _, name := range c.AccessScenarios {
			assert.True(t, tables[name], "%s names scenario table %s, which no tests/access_*_test.go declares", c.ID, name)
		}
	}
	t.Logf("controls on policies: %v", onPolicies)
}
