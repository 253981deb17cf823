package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The runbook script is driven against fake `pulumi` and `aws` executables. Each call is logged as one line
// ("aws ARGS", or "PULUMI_BACKEND_URL=URL pulumi ARGS", or "pulumi ARGS" when no backend was named) and answered
// by the first rule whose glob matches the line and that has uses left; a call no rule matches fails with 99.
// The fake pulumi also writes what the real one writes: the secrets lines of Pulumi.<stack>.yaml on `stack init`,
// `stack change-secrets-provider` and `stack migrate`, and the --file of `stack export`; `stack import` fails if
// its file is gone.
// The fake aws copies what each file:// argument holds, as the CLI would read it, into files.log.
const fakeCLI = `#!/usr/bin/env bash
name=${0##*/}
line="$name $*"
if [[ $name == pulumi && -n ${PULUMI_BACKEND_URL+x} ]]; then line="PULUMI_BACKEND_URL=$PULUMI_BACKEND_URL $line"; fi
printf '%s\n' "$line" >> "$FAKE_DIR/calls.log"
if [[ $name == aws ]]; then
  for a in "$@"; do
    if [[ $a == file://* ]]; then cat "${a#file://}" >> "$FAKE_DIR/files.log" || echo "MISSING ${a#file://}" >> "$FAKE_DIR/files.log"; fi
  done
fi
file='' stack='' provider='' prev=''
for a in "$@"; do
  case $prev in --file) file=$a ;; --stack) stack=$a ;; --secrets-provider) provider=$a ;; esac
  prev=$a
done
write_secrets() {
  local f="Pulumi.$1.yaml" rest=''
  if [[ -f $f ]]; then rest=$(grep -vE '^(secretsprovider|encryptedkey|encryptionsalt):' "$f"); fi
  if [[ $2 == passphrase ]]; then
    printf 'encryptionsalt: v1:fakesalt\n' > "$f"
  else
    printf 'secretsprovider: %s\nencryptedkey: ZmFrZS1kYXRhLWtleQ==\n' "$2" > "$f"
  fi
  if [[ -n $rest ]]; then printf '%s\n' "$rest" >> "$f"; fi
}
n=0
while IFS=$'\x1f' read -r pattern rc out err uses; do
  n=$((n + 1))
  [[ $line == $pattern ]] || continue
  if [[ -n $uses ]]; then
    used=$(grep -cx "$n" "$FAKE_DIR/used" 2>/dev/null)
    [[ ${used:-0} -lt $uses ]] || continue
    echo "$n" >> "$FAKE_DIR/used"
  fi
  if [[ $rc == 0 && $name == pulumi ]]; then
    case "$1 $2" in
      'stack init') write_secrets "$3" "$provider" ;;
      'stack change-secrets-provider') write_secrets "$stack" "${@: -1}" ;;
      'stack migrate') write_secrets "$4" "$provider" ;;
      'stack import') [[ -f $file ]] || { echo "fake pulumi: no file $file" >&2; exit 97; } ;;
    esac
  fi
  if [[ -n $file && "$1 $2" == 'stack export' ]]; then printf '%b' "$out" > "$file"; else printf '%b' "$out"; fi
  printf '%b' "$err" >&2
  exit "$rc"
done < "$FAKE_DIR/rules"
echo "fake $name: no rule for: $line" >&2
exit 99
`

const (
	bootstrapURL  = "s3://acme-bootstrap?region=us-east-1&awssdk=v2"
	operatorURL   = "s3://the-operators-own-login"
	fakeDataKey   = "ZmFrZS1kYXRhLWtleQ=="
	twoResources  = "{\"deployment\": {\"resources\": [\n  {\"urn\": \"urn:pulumi:dev::aws-foundation::a\"},\n  {\"urn\": \"urn:pulumi:dev::aws-foundation::b\"}]}}\n"
	oneResource   = "{\"deployment\": {\"resources\": [\n  {\"urn\": \"urn:pulumi:dev::aws-foundation::a\"}]}}\n"
	bucketMissing = "An error occurred (404) when calling the HeadBucket operation: Not Found"
	notEmpty      = "An error occurred (BucketNotEmpty) when calling the DeleteBucket operation: The bucket you tried to delete is not empty"
)

type fakeRule struct {
	pattern        string
	rc             int
	stdout, stderr string
	uses           int // 0: any number of times
}

// runbook is one run of scripts/bootstrap.sh against the fakes, in a project folder of its own.
type runbook struct {
	t                  *testing.T
	dir, project, tmp  string
	rules              []fakeRule
	succeedOtherwise   bool
	env                []string
	backend, provider  string // the production backend and secrets provider, from the bootstrap outputs
	outputs            map[string]any
	stateBucket, table string
}

type scriptRun struct {
	stdout, stderr string
	calls          []string // with the script's temporary folder written as TMP
	files          []string // what the file:// arguments of aws calls held, in order, one line each
	err            error
}

// scriptTmp is the script's private temporary folder in a logged call.
var scriptTmp = regexp.MustCompile(`file://\S*/bootstrap\.[A-Za-z0-9]+/`)

var (
	outputsOnce sync.Once
	outputsVal  map[string]any
)

// bootstrapOutputs runs the bootstrap stack under mocks once and returns its exports, as `pulumi stack output`
// would print them.
func bootstrapOutputs(t *testing.T) map[string]any {
	t.Helper()
	outputsOnce.Do(func() {
		res := runStack(t, "bootstrap", false)
		outputsVal = map[string]any{}
		for k, e := range res.Exports {
			outputsVal[k] = e.Value
		}
	})
	require.NotNil(t, outputsVal, "the bootstrap stack did not run")
	return outputsVal
}

func newRunbook(t *testing.T) *runbook {
	t.Helper()
	dir := t.TempDir()
	r := &runbook{t: t, dir: dir, project: filepath.Join(dir, "project"), tmp: filepath.Join(dir, "tmp")}
	bin := filepath.Join(dir, "bin")
	for _, d := range []string{bin, r.project, r.tmp} {
		require.NoError(t, os.MkdirAll(d, 0o755))
	}
	for _, name := range []string{"pulumi", "aws"} {
		require.NoError(t, os.WriteFile(filepath.Join(bin, name), []byte(fakeCLI), 0o755))
	}
	for _, f := range []string{"Pulumi.yaml", "Pulumi.bootstrap.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"} {
		raw, err := os.ReadFile(filepath.Join(repoRoot, f))
		require.NoError(t, err)
		// Set-up pins each stack's account in place of the placeholder (docs/BOOTSTRAP.md).
		raw = []byte(strings.ReplaceAll(string(raw), "    - ACCOUNT_ID\n", pinnedAccount))
		require.NoError(t, os.WriteFile(filepath.Join(r.project, f), raw, 0o644))
	}
	r.env = []string{
		"PATH=" + bin + ":" + os.Getenv("PATH"), "FAKE_DIR=" + dir, "TMPDIR=" + r.tmp,
		"BOOTSTRAP_PROJECT_DIR=" + r.project, "BOOTSTRAP_BACKEND_URL=" + bootstrapURL,
		"BOOTSTRAP_RETRY_DELAY=0", "PULUMI_CONFIG_PASSPHRASE=correct horse",
		"PULUMI_BACKEND_URL=" + operatorURL, // the operator's own login: the script must never use it
	}
	return r
}

// withOutputs serves the bootstrap stack's outputs from the bootstrap backend.
func (r *runbook) withOutputs() *runbook { return r.withOutputsIn(backendRegion) }

// withOutputsIn serves the bootstrap stack's outputs as a backend in region would have them: the mocked region
// becomes region in every output (the bucket names, the key's ARN, the URLs).
func (r *runbook) withOutputsIn(region string) *runbook {
	r.outputs = map[string]any{}
	for k, v := range bootstrapOutputs(r.t) {
		if s, ok := v.(string); ok {
			v = strings.ReplaceAll(s, backendRegion, region)
		}
		r.outputs[k] = v
	}
	r.backend, r.provider = r.outputs["backendUrl"].(string), r.outputs["secretsProvider"].(string)
	r.stateBucket, r.table = r.outputs["stateBucketName"].(string), r.outputs["lockTableName"].(string)
	for k, v := range r.outputs {
		r.on(onBoot("stack output "+k+" --stack bootstrap"), 0, fmt.Sprint(v), "")
	}
	return r
}

// on answers calls matching pattern (a bash glob on the logged line) with rc, stdout and stderr.
func (r *runbook) on(pattern string, rc int, stdout, stderr string) *runbook {
	r.rules = append(r.rules, fakeRule{pattern: pattern, rc: rc, stdout: stdout, stderr: stderr})
	return r
}

// once is on for the first matching call only.
func (r *runbook) once(pattern string, rc int, stdout, stderr string) *runbook {
	r.rules = append(r.rules, fakeRule{pattern: pattern, rc: rc, stdout: stdout, stderr: stderr, uses: 1})
	return r
}

// otherwiseSucceed answers every call no rule matches with success and no output.
func (r *runbook) otherwiseSucceed() *runbook { r.succeedOtherwise = true; return r }

// withEmptyBucketsTableAndKey answers a teardown whose buckets list no more versions, whose lock table is ACTIVE
// and whose key is Enabled; every other call succeeds.
func (r *runbook) withEmptyBucketsTableAndKey() *runbook {
	r.on("aws s3api list-object-versions *", 0, "", "")
	r.on("aws dynamodb describe-table *", 0, "ACTIVE\n", "")
	r.on("aws kms describe-key *", 0, "Enabled\n", "")
	return r.otherwiseSucceed()
}

// pinnedAccount is the aws:allowedAccountIds item of a stack file after set-up.
const pinnedAccount = "    - \"123456789012\"\n"

func (r *runbook) writeStackFile(stack, content string) {
	require.NoError(r.t, os.WriteFile(filepath.Join(r.project, "Pulumi."+stack+".yaml"), []byte(content), 0o644))
}

// exact is a glob that matches only s.
func exact(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`, "]", `\]`).Replace(s)
}

func escapeForPrintfB(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "\n", `\n`)
}

func (r *runbook) run(args ...string) scriptRun {
	r.t.Helper()
	rules := r.rules
	if r.succeedOtherwise {
		rules = append(rules, fakeRule{pattern: "*"})
	}
	var b strings.Builder
	for _, rule := range rules {
		uses := ""
		if rule.uses > 0 {
			uses = fmt.Sprint(rule.uses)
		}
		fmt.Fprintf(&b, "%s\x1f%d\x1f%s\x1f%s\x1f%s\n", rule.pattern, rule.rc, escapeForPrintfB(rule.stdout),
			escapeForPrintfB(rule.stderr), uses)
	}
	log := filepath.Join(r.dir, "calls.log")
	require.NoError(r.t, os.WriteFile(filepath.Join(r.dir, "rules"), []byte(b.String()), 0o644))
	require.NoError(r.t, os.WriteFile(log, nil, 0o644))
	files := filepath.Join(r.dir, "files.log")
	require.NoError(r.t, os.WriteFile(files, nil, 0o644))
	require.NoError(r.t, os.WriteFile(filepath.Join(r.dir, "used"), nil, 0o644))

	cmd := exec.Command("bash", append([]string{filepath.Join(repoRoot, "scripts", "bootstrap.sh")}, args...)...)
	cmd.Env = append(os.Environ(), r.env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	raw, rerr := os.ReadFile(log)
	require.NoError(r.t, rerr)
	var calls, held []string
	if s := strings.TrimSpace(string(raw)); s != "" {
		calls = strings.Split(s, "\n")
	}
	for i, c := range calls {
		if strings.HasPrefix(c, "aws ") {
			calls[i] = scriptTmp.ReplaceAllString(c, "file://TMP/")
		}
	}
	raw, rerr = os.ReadFile(files)
	require.NoError(r.t, rerr)
	if s := strings.TrimSpace(string(raw)); s != "" {
		held = strings.Split(s, "\n")
	}
	left, rerr := os.ReadDir(r.tmp)
	require.NoError(r.t, rerr)
	assert.Empty(r.t, left, "the script left temporary files behind (stdout %q, stderr %q)", stdout.String(), stderr.String())
	return scriptRun{stdout: stdout.String(), stderr: stderr.String(), calls: calls, files: held, err: err}
}

func onBoot(args string) string { return "PULUMI_BACKEND_URL=" + bootstrapURL + " pulumi " + args }

func (r *runbook) onProd(args string) string {
	return "PULUMI_BACKEND_URL=" + r.backend + " pulumi " + args
}

func (r *runbook) outputReads(names ...string) []string {
	var calls []string
	for _, n := range names {
		calls = append(calls, onBoot("stack output "+n+" --stack bootstrap"))
	}
	return calls
}

func concat(parts ...[]string) []string {
	var all []string
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

// requireFailedAt checks the message of a run that failed at a step: it names the step and how to resume.
func requireFailedAt(t *testing.T, r scriptRun, step, resume string) {
	t.Helper()
	require.Error(t, r.err, "stdout: %s", r.stdout)
	assert.Contains(t, r.stderr, `FAILED at step "`+step+`"`)
	assert.Contains(t, r.stderr, "to resume, ")
	assert.Contains(t, r.stderr, resume)
}

// --- bootstrap-bucket: the design's phase 1 -------------------------------------------------------------------

func bucketCalls(partition, region string, create bool) []string {
	on := "--bucket acme-bootstrap --region " + region + " --expected-bucket-owner 123456789012"
	calls := []string{
		"aws sts get-caller-identity --region " + region + " --query Arn --output text",
		"aws s3api head-bucket " + on,
	}
	if create {
		c := "aws s3api create-bucket --bucket acme-bootstrap --region " + region + " --object-ownership BucketOwnerEnforced"
		if region != "us-east-1" {
			c += " --create-bucket-configuration LocationConstraint=" + region
		}
		calls = append(calls, c)
	}
	return append(calls,
		"aws s3api put-public-access-block "+on+" --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
		"aws s3api put-bucket-ownership-controls "+on+" --ownership-controls Rules=[{ObjectOwnership=BucketOwnerEnforced}]",
		"aws s3api put-bucket-versioning "+on+" --versioning-configuration Status=Enabled",
		"aws s3api put-bucket-encryption "+on+` --server-side-encryption-configuration {"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}`,
		"aws s3api put-bucket-policy "+on+" --policy "+tlsOnlyPolicy(partition),
	)
}

func tlsOnlyPolicy(partition string) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*",` +
		`"Action":"s3:*","Resource":["arn:` + partition + `:s3:::acme-bootstrap","arn:` + partition + `:s3:::acme-bootstrap/*"],` +
		`"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
}

func TestBootstrapScriptBucketCreatesAMissingBucketWithEverySetting(t *testing.T) {
	t.Parallel()
	r := newRunbook(t).
		on("aws sts get-caller-identity *", 0, "arn:aws:sts::123456789012:assumed-role/admin/alice\n", "").
		on("aws s3api head-bucket *", 254, "", bucketMissing+"\n").
		otherwiseSucceed()
	res := r.run("bootstrap-bucket", "acme-bootstrap") // region from Pulumi.bootstrap.yaml
	require.NoError(t, res.err, res.stderr)
	assert.Equal(t, bucketCalls("aws", "us-east-1", true), res.calls)
	assert.Contains(t, res.stdout, "export BOOTSTRAP_BACKEND_URL='"+bootstrapURL+"'")

	// The policy, read back from the call: TLS only, on the bucket and its objects.
	policy := res.calls[len(res.calls)-1][strings.Index(res.calls[len(res.calls)-1], "--policy ")+len("--policy "):]
	var doc struct {
		Statement []struct {
			Effect    string
			Principal any
			Action    any
			Resource  []string
			Condition map[string]map[string]string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(policy), &doc))
	require.Len(t, doc.Statement, 1)
	s := doc.Statement[0]
	assert.Equal(t, "Deny", s.Effect)
	assert.Equal(t, "*", s.Principal)
	assert.Equal(t, "s3:*", s.Action)
	assert.ElementsMatch(t, []string{"arn:aws:s3:::acme-bootstrap", "arn:aws:s3:::acme-bootstrap/*"}, s.Resource)
	assert.Equal(t, map[string]map[string]string{"Bool": {"aws:SecureTransport": "false"}}, s.Condition)
}

func TestBootstrapScriptBucketOutsideUsEast1NamesItsRegionAndPartition(t *testing.T) {
	t.Parallel()
	r := newRunbook(t).
		on("aws sts get-caller-identity *", 0, "arn:aws-us-gov:sts::123456789012:assumed-role/admin/alice\n", "").
		on("aws s3api head-bucket *", 254, "", bucketMissing+"\n").
		otherwiseSucceed()
	res := r.run("bootstrap-bucket", "acme-bootstrap", "us-gov-west-1")
	require.NoError(t, res.err, res.stderr)
	assert.Equal(t, bucketCalls("aws-us-gov", "us-gov-west-1", true), res.calls)
}

func TestBootstrapScriptBucketKeepsAnExistingBucketAndAppliesItsSettingsAgain(t *testing.T) {
	t.Parallel()
	r := newRunbook(t).
		on("aws sts get-caller-identity *", 0, "arn:aws:sts::123456789012:assumed-role/admin/alice\n", "").
		on("aws s3api head-bucket *", 0, "", "").
		otherwiseSucceed()
	res := r.run("bootstrap-bucket", "acme-bootstrap")
	require.NoError(t, res.err, res.stderr)
	assert.Equal(t, bucketCalls("aws", "us-east-1", false), res.calls, "no create-bucket for a bucket that exists")
}

func TestBootstrapScriptBucketRefusesABucketOfAnotherAccount(t *testing.T) {
	t.Parallel()
	r := newRunbook(t).
		on("aws sts get-caller-identity *", 0, "arn:aws:sts::123456789012:assumed-role/admin/alice\n", "").
		on("aws s3api head-bucket *", 254, "", "An error occurred (403) when calling the HeadBucket operation: Forbidden\n")
	res := r.run("bootstrap-bucket", "acme-bootstrap")
	requireFailedAt(t, res, "check whether bucket acme-bootstrap exists", "run the same command again")
	assert.Contains(t, res.stderr, "pick another name")
	assert.Equal(t, bucketCalls("aws", "us-east-1", false)[:2], res.calls, "nothing is changed")
}

func TestBootstrapScriptBucketDryRunPrintsEveryCallAndRunsOnlyTheReads(t *testing.T) {
	t.Parallel()
	r := newRunbook(t).
		on("aws sts get-caller-identity *", 0, "arn:aws:sts::123456789012:assumed-role/admin/alice\n", "").
		on("aws s3api head-bucket *", 254, "", bucketMissing+"\n")
	res := r.run("--dry-run", "bootstrap-bucket", "acme-bootstrap")
	require.NoError(t, res.err, res.stderr)
	want := bucketCalls("aws", "us-east-1", true)
	assert.Equal(t, want[:2], res.calls, "a dry run runs only the two reads")
	var printed []string
	for _, l := range strings.Split(res.stdout, "\n") {
		if strings.HasPrefix(l, "# aws ") || strings.HasPrefix(l, "+ aws ") {
			printed = append(printed, l)
		}
	}
	require.Len(t, printed, len(want), res.stdout)
	for i, l := range printed {
		// Printed quoted for a shell; unquoting the plain single quotes the script adds gives the call back.
		assert.Equal(t, want[i], strings.ReplaceAll(l[2:], "'", ""), "line %d", i)
	}
	assert.True(t, strings.HasPrefix(printed[0], "# ") && strings.HasPrefix(printed[1], "# ") && strings.HasPrefix(printed[2], "+ "))
}

func TestBootstrapScriptBucketFailureHalfwayNamesTheStepAndResumes(t *testing.T) {
	t.Parallel()
	r := newRunbook(t).
		on("aws sts get-caller-identity *", 0, "arn:aws:sts::123456789012:assumed-role/admin/alice\n", "").
		on("aws s3api head-bucket *", 254, "", bucketMissing+"\n").
		on("aws s3api put-bucket-versioning *", 254, "", "An error occurred (AccessDenied) when calling the PutBucketVersioning operation\n").
		otherwiseSucceed()
	res := r.run("bootstrap-bucket", "acme-bootstrap")
	requireFailedAt(t, res, "turn versioning on for bucket acme-bootstrap", "run the same command again (it skips what is already done): ")
	assert.Contains(t, res.stderr, "bootstrap.sh bootstrap-bucket acme-bootstrap")
	assert.Contains(t, res.stderr, "AccessDenied", "the cause is shown")
	assert.Equal(t, bucketCalls("aws", "us-east-1", true)[:6], res.calls, "it stops at the failed call")

	// Running it again, now that the bucket exists, skips the creation and applies every setting.
	r = newRunbook(t).
		on("aws sts get-caller-identity *", 0, "arn:aws:sts::123456789012:assumed-role/admin/alice\n", "").
		on("aws s3api head-bucket *", 0, "", "").
		otherwiseSucceed()
	res = r.run("bootstrap-bucket", "acme-bootstrap")
	require.NoError(t, res.err, res.stderr)
	assert.Equal(t, bucketCalls("aws", "us-east-1", false), res.calls)
}

func TestBootstrapScriptBucketRefusesBadNamesBeforeCallingAWS(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"Acme", "acme.bootstrap", "ab", "-acme", "acme_bootstrap"} {
		res := newRunbook(t).run("bootstrap-bucket", name)
		require.Error(t, res.err, name)
		assert.Contains(t, res.stderr, "3-63 characters", name)
		assert.Empty(t, res.calls, name)
	}
}

// --- phase1: the bootstrap stack, on the bucket -----------------------------------------------------------------

func TestBootstrapScriptPhaseOneCreatesTheBootstrapStackOnItsBackend(t *testing.T) {
	t.Parallel()
	r := newRunbook(t).on(onBoot("stack select bootstrap"), 255, "", "error: no stack named 'bootstrap' found\n").otherwiseSucceed()
	res := r.run("--yes", "phase1")
	require.NoError(t, res.err, res.stderr)
	assert.Equal(t, []string{
		onBoot("stack select bootstrap"),
		onBoot("stack init bootstrap --secrets-provider passphrase"),
		onBoot("up --stack bootstrap --yes"),
	}, res.calls)
	assert.Contains(t, res.stdout, "Commit this line of Pulumi.bootstrap.yaml")
	assert.Contains(t, res.stdout, "  encryptionsalt: v1:fakesalt\n")

	// Again: the stack exists, so it is only updated.
	r = newRunbook(t).otherwiseSucceed()
	res = r.run("phase1")
	require.NoError(t, res.err, res.stderr)
	assert.Equal(t, []string{onBoot("stack select bootstrap"), onBoot("up --stack bootstrap")}, res.calls)
}

func TestBootstrapScriptPhaseOneDryRunUsesTheBootstrapBucketAndAPassphrase(t *testing.T) {
	t.Parallel()
	res := newRunbook(t).run("--dry-run", "--yes", "phase1")
	require.NoError(t, res.err, res.stderr)
	env := "env 'PULUMI_BACKEND_URL=" + bootstrapURL + "' pulumi"
	assert.Equal(t, "+ "+env+" stack select bootstrap || "+env+" stack init bootstrap --secrets-provider passphrase\n"+
		"+ "+env+" up --stack bootstrap --yes\nNext: "+filepath.Join(repoRoot, "scripts", "bootstrap.sh")+" phase2 STACK...\n", res.stdout)
	assert.Empty(t, res.calls, "a dry run of phase 1 calls nothing")
}

func TestBootstrapScriptNeedsAnExplicitBootstrapBackend(t *testing.T) {
	t.Parallel()
	r := newRunbook(t)
	r.env = append(r.env, "BOOTSTRAP_BACKEND_URL=")
	res := r.run("phase1")
	require.Error(t, res.err)
	assert.Contains(t, res.stderr, "BOOTSTRAP_BACKEND_URL='s3://NAME?region=R&awssdk=v2'")
	assert.Contains(t, res.stderr, "bootstrap-bucket NAME")
	assert.Empty(t, res.calls)

	// A local folder is an explicit opt-in, and the script says the state must then be saved.
	r = newRunbook(t).otherwiseSucceed()
	folder := filepath.Join(r.dir, "bootstrap-state")
	r.env = append(r.env, "BOOTSTRAP_BACKEND_URL=file://"+folder)
	res = r.run("phase1")
	require.NoError(t, res.err, res.stderr)
	assert.DirExists(t, folder)
	assert.Equal(t, "PULUMI_BACKEND_URL=file://"+folder+" pulumi up --stack bootstrap", res.calls[len(res.calls)-1])
	assert.Contains(t, res.stdout, "save-bootstrap-state")
}

func TestBootstrapScriptRefusesToRunTheBootstrapStackWithoutItsPassphrase(t *testing.T) {
	t.Parallel()
	for _, cmd := range [][]string{{"phase1"}, {"migrate", "dev"}, {"drift"}, {"recover"}, {"teardown", "--i-understand"}} {
		r := newRunbook(t).otherwiseSucceed()
		r.env = append(r.env, "PULUMI_CONFIG_PASSPHRASE=")
		res := r.run(cmd...)
		require.Error(t, res.err, cmd)
		assert.Contains(t, res.stderr, "set PULUMI_CONFIG_PASSPHRASE", cmd)
		assert.Empty(t, res.calls, cmd)
	}
}

// --- phase2: environment stacks on the production backend -------------------------------------------------------

func TestBootstrapScriptPhaseTwoDryRunAimsEveryCallAtTheBackendUrl(t *testing.T) {
	t.Parallel()
	r := newRunbook(t).withOutputs()
	res := r.run("--dry-run", "phase2", "prod", "dev")
	require.NoError(t, res.err, res.stderr)
	env := fmt.Sprintf("env 'PULUMI_BACKEND_URL=%s' pulumi", r.backend)
	want := fmt.Sprintf(`+ %[1]s stack select prod || %[1]s stack init prod --secrets-provider '%[2]s'
+ %[1]s up --stack prod
+ %[1]s stack select dev || %[1]s stack init dev --secrets-provider '%[2]s'
+ %[1]s up --stack dev

Commit these lines: CI runs pulumi non-interactively and needs them to use the state key.
  Pulumi.prod.yaml: secretsprovider: %[2]s
  Pulumi.prod.yaml: encryptedkey: <the data key pulumi writes when it creates the stack>
  Pulumi.dev.yaml: secretsprovider: %[2]s
  Pulumi.dev.yaml: encryptedkey: <the data key pulumi writes when it creates the stack>
  git add Pulumi.prod.yaml Pulumi.dev.yaml && git commit -m "Stack files: secrets provider and data key"
`, env, r.provider)
	assert.Equal(t, want, res.stdout)
	assert.Equal(t, "s3://aws-foundation-state-123456789012-us-east-1?region=us-east-1&awssdk=v2", r.backend)
	assert.Equal(t, r.outputReads("backendUrl", "secretsProvider"), res.calls, "a dry run only reads outputs")
}

func TestBootstrapScriptPhaseTwoCreatesStacksAndSaysWhichStackFileLinesToCommit(t *testing.T) {
	t.Parallel()
	r := newRunbook(t).withOutputs()
	r.on(r.onProd("stack select prod"), 255, "", "error: no stack named 'prod' found\n").otherwiseSucceed()
	r.writeStackFile("dev", "secretsprovider: "+r.provider+"\nencryptedkey: ZGV2LWtleQ==\nconfig:\n  aws:region: us-east-1\n"+
		"  aws:allowedAccountIds:\n"+pinnedAccount)
	res := r.run("--yes", "phase2", "prod", "dev")
	require.NoError(t, res.err, res.stderr)
	assert.Equal(t, concat(r.outputReads("backendUrl", "secretsProvider"), []string{
		r.onProd("stack select prod"),
		r.onProd("stack init prod --secrets-provider " + r.provider),
		r.onProd("up --stack prod --yes"),
		r.onProd("stack select dev"),
		r.onProd("up --stack dev --yes"),
	}), res.calls)
	assert.Contains(t, res.stdout, "Commit these lines: CI runs pulumi non-interactively")
	assert.Contains(t, res.stdout, "  Pulumi.prod.yaml: secretsprovider: "+r.provider+"\n  Pulumi.prod.yaml: encryptedkey: "+fakeDataKey+"\n")
	assert.Contains(t, res.stdout, "  Pulumi.dev.yaml: secretsprovider: "+r.provider+"\n  Pulumi.dev.yaml: encryptedkey: ZGV2LWtleQ==\n")
	assert.Contains(t, res.stdout, "git add Pulumi.prod.yaml Pulumi.dev.yaml")
}

func TestBootstrapScriptPhaseTwoFailureHalfwayNamesTheStack(t *testing.T) {
	t.Parallel()
	r := newRunbook(t).withOutputs()
	r.on(r.onProd("up --stack prod*"), 255, "", "error: update failed\n").otherwiseSucceed()
	res := r.run("phase2", "prod", "dev")
	requireFailedAt(t, res, "pulumi up of stack prod", "run the same command again")
	assert.Contains(t, res.stderr, "bootstrap.sh phase2 prod dev")
	for _, c := range res.calls {
		assert.NotContains(t, c, " dev", "dev is not touched after prod failed")
	}
}

func TestBootstrapScriptPhaseTwoFailsWhenAStackFileLacksTheStateKeyLines(t *testing.T) {
	t.Parallel()
	r := newRunbook(t).withOutputs().otherwiseSucceed() // dev exists on the backend; its stack file has no key lines
	res := r.run("phase2", "dev")
	requireFailedAt(t, res, "check the stack files", "pulumi stack change-secrets-provider --stack STACK '"+r.provider+"'")
	assert.Contains(t, res.stderr, "Pulumi.dev.yaml has no 'secretsprovider: awskms://")
	assert.Contains(t, res.stderr, "Pulumi.dev.yaml has no 'encryptedkey:' line")
}

func TestBootstrapScriptPhaseTwoRefusesToRunBeforePhaseOneHasOutputs(t *testing.T) {
	t.Parallel()
	r := newRunbook(t)
	res := r.run("phase2", "prod") // not even a dry run
	requireFailedAt(t, res, "read the bootstrap stack's outputs", "phase1 first")
	assert.Contains(t, res.stderr, "phase 1 has not run")
	assert.Contains(t, res.stderr, bootstrapURL)
	assert.Empty(t, res.stdout, "nothing may be attempted")
	assert.Equal(t, r.outputReads("backendUrl"), res.calls)
}

func TestBootstrapScriptNeverMovesTheBootstrapStackOntoTheBackendItCreates(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{"phase2", "migrate"} {
		res := newRunbook(t).withOutputs().run("--dry-run", cmd, "dev", "bootstrap")
		require.Error(t, res.err, cmd)
		assert.Regexp(t, "never moves onto the backend it creates|stays on the bootstrap backend", res.stderr, cmd)
		assert.Empty(t, res.calls, cmd)
	}
}

// --- migrate -----------------------------------------------------------------------------------------------------

// migrateRunbook serves a dev stack that is on the bootstrap backend and not yet on the production one.
func migrateRunbook(t *testing.T) *runbook {
	r := newRunbook(t).withOutputs()
	r.on(r.onProd("stack select dev"), 255, "", "error: no stack named 'dev' found\n")
	r.on(onBoot("stack export --stack dev --file *"), 0, twoResources, "")
	r.on(r.onProd("stack export --stack dev --file *"), 0, twoResources, "")
	return r.otherwiseSucceed()
}

var exportFile = regexp.MustCompile(`--file (\S+)$`)

// migrated is what a migrate run of dev did to the two backends: whether it ran the CLI's migrate onto the
// production backend, and whether it removed the source from the bootstrap backend.
type migrated struct{ migrateRan, sourceRemoved bool }

// outcome reads a run's effect on the backends from its calls.
func (r *runbook) outcome(res scriptRun) migrated {
	var out migrated
	for _, c := range res.calls {
		out.sourceRemoved = out.sourceRemoved || c == onBoot("stack rm --stack dev --force --preserve-config --yes")
		out.migrateRan = out.migrateRan || strings.HasPrefix(c, r.onProd("stack migrate "+bootstrapURL+" dev"))
	}
	return out
}

func TestBootstrapScriptMigrateMovesAStackWithTheCLIsMigrateAndRemovesTheSource(t *testing.T) {
	t.Parallel()
	r := migrateRunbook(t)
	res := r.run("migrate", "dev")
	require.NoError(t, res.err, res.stderr)
	assert.Contains(t, res.calls, r.onProd("stack migrate "+bootstrapURL+" dev --secrets-provider "+r.provider+" --yes"),
		"the CLI's migrate moves the stack and re-encrypts its secrets with the state key")
	assert.Equal(t, migrated{migrateRan: true, sourceRemoved: true}, r.outcome(res), "moved, and the source removed after the check")
	for _, c := range res.calls {
		assert.NotContains(t, c, "--show-secrets", "no export holds a secret in plain text")
		assert.NotContains(t, c, "stack import", "no hand-made export and import")
	}
	for _, c := range res.calls {
		if m := exportFile.FindStringSubmatch(c); m != nil {
			assert.True(t, strings.HasPrefix(m[1], r.tmp+"/"), "exports are in the script's private temporary folder: %s", m[1])
			assert.NoFileExists(t, m[1])
		}
	}
	assert.Contains(t, res.stdout, "  Pulumi.dev.yaml: secretsprovider: "+r.provider+"\n  Pulumi.dev.yaml: encryptedkey: "+fakeDataKey+"\n",
		"the stack-file lines migrate wrote are shown to commit")
}

func TestBootstrapScriptMigrateFailureKeepsTheSourceAndLeavesNoExport(t *testing.T) {
	t.Parallel()
	r := newRunbook(t).withOutputs()
	r.on(r.onProd("stack select dev"), 255, "", "error: no stack named 'dev' found\n")
	r.on(r.onProd("stack migrate *"), 255, "", "error: could not import: AccessDenied\n")
	res := r.otherwiseSucceed().run("migrate", "dev") // run checks that the temporary folder is gone
	requireFailedAt(t, res, "migrate dev to the production backend", "run the same command again (it skips what is already done): ")
	assert.Contains(t, res.stderr, "bootstrap.sh migrate dev")
	assert.Contains(t, res.stderr, "AccessDenied")
	assert.Equal(t, migrated{migrateRan: true}, r.outcome(res), "the source stays")
}

func TestBootstrapScriptMigrateResumesWhenTheProductionCopyExists(t *testing.T) {
	t.Parallel()
	// An earlier run migrated dev (and rewrote its stack file) and stopped before removing the source.
	r := newRunbook(t).withOutputs()
	r.writeStackFile("dev", "secretsprovider: "+r.provider+"\nencryptedkey: ZGV2LWtleQ==\nconfig:\n  aws:allowedAccountIds:\n"+pinnedAccount)
	r.on(onBoot("stack export --stack dev --file *"), 0, twoResources, "")
	r.on(r.onProd("stack export --stack dev --file *"), 0, twoResources, "")
	res := r.otherwiseSucceed().run("migrate", "dev")
	require.NoError(t, res.err, res.stderr)
	for _, c := range res.calls {
		assert.NotContains(t, c, "stack migrate", "a stack already on the production backend is not migrated twice")
	}
	assert.Equal(t, migrated{sourceRemoved: true}, r.outcome(res), "checked, then the source removed")
}

func TestBootstrapScriptMigrateDoesNothingForAStackAlreadyMoved(t *testing.T) {
	t.Parallel()
	r := newRunbook(t).withOutputs()
	r.writeStackFile("dev", "secretsprovider: "+r.provider+"\nencryptedkey: ZGV2LWtleQ==\nconfig:\n  aws:allowedAccountIds:\n"+pinnedAccount)
	r.on(onBoot("stack select dev"), 255, "", "error: no stack named 'dev' found\n")
	res := r.otherwiseSucceed().run("migrate", "dev")
	require.NoError(t, res.err, res.stderr)
	assert.Equal(t, concat(r.outputReads("backendUrl", "secretsProvider"), []string{onBoot("stack select dev"), r.onProd("stack select dev")}), res.calls)
	assert.Contains(t, res.stdout, "already migrated")
}

func TestBootstrapScriptMigrateKeepsTheSourceWhenTheCopyLostResources(t *testing.T) {
	t.Parallel()
	r := newRunbook(t).withOutputs()
	r.on(r.onProd("stack select dev"), 255, "", "error: no stack named 'dev' found\n")
	r.on(onBoot("stack export --stack dev --file *"), 0, twoResources, "")
	r.on(r.onProd("stack export --stack dev --file *"), 0, oneResource, "")
	res := r.otherwiseSucceed().run("migrate", "dev")
	requireFailedAt(t, res, "check the production copy of dev", "run the same command again")
	assert.Contains(t, res.stderr, "has 1 resources, the source 2")
	assert.Contains(t, res.stderr, "pulumi stack rm --stack dev", "how to clear an empty production copy")
	assert.Equal(t, migrated{migrateRan: true}, r.outcome(res), "the source stays")
}

func TestBootstrapScriptMigrateDryRunPrintsThePlanAndReadsOnlyOutputs(t *testing.T) {
	t.Parallel()
	r := newRunbook(t).withOutputs()
	res := r.run("--dry-run", "migrate", "dev")
	require.NoError(t, res.err, res.stderr)
	boot := "+ env 'PULUMI_BACKEND_URL=" + bootstrapURL + "' pulumi "
	prod := "+ env 'PULUMI_BACKEND_URL=" + r.backend + "' pulumi "
	lines := strings.Split(res.stdout, "\n")
	require.GreaterOrEqual(t, len(lines), 5, res.stdout)
	assert.Equal(t, prod+"stack migrate '"+bootstrapURL+"' dev --secrets-provider '"+r.provider+"' --yes", lines[0])
	assert.Regexp(t, `^`+regexp.QuoteMeta(boot)+`stack export --stack dev --file \S+/dev\.json$`, lines[1])
	assert.Regexp(t, `^`+regexp.QuoteMeta(prod)+`stack export --stack dev --file \S+/dev\.imported\.json$`, lines[2])
	assert.Equal(t, boot+"stack rm --stack dev --force --preserve-config --yes", lines[3])
	assert.Regexp(t, `^\+ rm -f \S+/dev\.json \S+/dev\.imported\.json$`, lines[4])
	assert.Equal(t, r.outputReads("backendUrl", "secretsProvider"), res.calls)
}

// --- drift, recover, restore, unlock ------------------------------------------------------------------------------

func TestBootstrapScriptDriftRefreshesTheBootstrapStackInPreviewOnly(t *testing.T) {
	t.Parallel()
	r := newRunbook(t).otherwiseSucceed()
	res := r.run("drift")
	require.NoError(t, res.err, res.stderr)
	assert.Equal(t, []string{onBoot("refresh --stack bootstrap --preview-only --expect-no-changes --non-interactive")}, res.calls)
	assert.Contains(t, res.stdout, "no drift")

	r = newRunbook(t).on(onBoot("refresh *"), 255, "", "error: no changes were expected but changes were proposed\n")
	res = r.run("drift")
	requireFailedAt(t, res, "refresh --preview-only of the bootstrap stack", "bootstrap.sh recover")
}

func TestBootstrapScriptRecoveryCommandsNameTheBootstrapBackendTheStateBucketAndTheStack(t *testing.T) {
	t.Parallel()
	r := newRunbook(t).otherwiseSucceed()
	res := r.run("--yes", "recover")
	require.NoError(t, res.err, res.stderr)
	assert.Equal(t, []string{onBoot("refresh --stack bootstrap --yes"), onBoot("up --stack bootstrap --yes")}, res.calls)

	r = newRunbook(t).withOutputs().otherwiseSucceed()
	res = r.run("restore", "prod", "v123")
	require.NoError(t, res.err, res.stderr)
	object := ".pulumi/stacks/aws-foundation/prod.json"
	assert.Equal(t, concat(r.outputReads("stateBucketName", "kmsKeyArn"), []string{
		fmt.Sprintf("aws s3api copy-object --bucket %s --key %s --copy-source %s/%s?versionId=v123", r.stateBucket, object, r.stateBucket, object) +
			inBackend + " --expected-source-bucket-owner " + backendAccount,
	}), res.calls, "both buckets of the copy must be the backend account's")
	assert.Contains(t, res.stdout, "aws s3api list-object-versions --bucket "+r.stateBucket+inBackend+" --prefix "+object)

	r = newRunbook(t).withOutputs().otherwiseSucceed()
	res = r.run("unlock", "prod")
	require.NoError(t, res.err, res.stderr)
	assert.Equal(t, concat(r.outputReads("backendUrl"), []string{r.onProd("cancel --stack prod --yes")}), res.calls)
}

func TestBootstrapScriptRestoreFailsWhenS3RefusesTheCopyForTheExpectedOwner(t *testing.T) {
	t.Parallel()
	// A state bucket of the same name in another account: S3 answers 403 to the owner check and copies nothing.
	r := newRunbook(t).withOutputs()
	r.on("aws s3api copy-object *", 254, "", "An error occurred (AccessDenied) when calling the CopyObject operation: Access Denied\n")
	res := r.run("restore", "prod", "v123")
	requireFailedAt(t, res, "copy version v123 of .pulumi/stacks/aws-foundation/prod.json over the current one", "run the same command again")
	assert.Contains(t, res.stderr, "AccessDenied")
}

// saveRunbook serves, from a local bootstrap backend, the outputs of a backend in region, with the CLI's default
// region set to others.
func saveRunbook(t *testing.T, region string) *runbook {
	r := newRunbook(t).withOutputsIn(region)
	r.rules = nil // the outputs come from the local backend
	r.env = append(r.env, "BOOTSTRAP_BACKEND_URL=file:///srv/bootstrap-state", "AWS_REGION=us-west-2", "AWS_DEFAULT_REGION=ap-south-1")
	for _, k := range []string{"stateBucketName", "kmsKeyArn"} {
		r.on("PULUMI_BACKEND_URL=file:///srv/bootstrap-state pulumi stack output "+k+" --stack bootstrap", 0, r.outputs[k].(string), "")
	}
	return r
}

func TestBootstrapScriptSavesALocalBootstrapBackendIntoTheStateBucket(t *testing.T) {
	t.Parallel()
	r := saveRunbook(t, "eu-central-1").otherwiseSucceed()
	key := r.outputs["kmsKeyArn"].(string)
	res := r.run("save-bootstrap-state")
	require.NoError(t, res.err, res.stderr)
	assert.Equal(t, []string{
		"PULUMI_BACKEND_URL=file:///srv/bootstrap-state pulumi stack output stateBucketName --stack bootstrap",
		"PULUMI_BACKEND_URL=file:///srv/bootstrap-state pulumi stack output kmsKeyArn --stack bootstrap",
		"aws s3api head-bucket --bucket " + r.stateBucket + " --region eu-central-1 --expected-bucket-owner " + backendAccount,
		"aws s3 sync /srv/bootstrap-state s3://" + r.stateBucket + "/bootstrap-backend/ --region eu-central-1 --sse aws:kms --sse-kms-key-id " + key,
	}, res.calls, "the owner is checked before the copy, which cannot check it; both in the backend's region")
	assert.Equal(t, "aws-foundation-state-"+backendAccount+"-eu-central-1", r.stateBucket)

	// A dry run checks the owner (a read) and only prints the copy.
	r = saveRunbook(t, "eu-central-1").otherwiseSucceed()
	res = r.run("--dry-run", "save-bootstrap-state")
	require.NoError(t, res.err, res.stderr)
	assert.Len(t, res.calls, 3)
	assert.Contains(t, res.stdout, "+ aws s3 sync /srv/bootstrap-state s3://"+r.stateBucket+"/bootstrap-backend/ --region eu-central-1 ")
}

func TestBootstrapScriptSaveBootstrapStateRefusesABucketOfAnotherAccount(t *testing.T) {
	t.Parallel()
	// head-bucket answers 403 for the expected owner: a bucket of that name in another account. Nothing is copied.
	r := saveRunbook(t, backendRegion)
	r.on("aws s3api head-bucket *", 254, "", forbidden).otherwiseSucceed()
	res := r.run("save-bootstrap-state")
	requireFailedAt(t, res, "check that "+r.stateBucket+" is the backend account's", "run the same command again")
	assert.Contains(t, res.stderr, "bucket "+r.stateBucket+" is not account "+backendAccount+"'s, or you may not read it")
	assert.Equal(t, "aws s3api head-bucket --bucket "+r.stateBucket+inBackend, res.calls[len(res.calls)-1])

	// A bucket that does not exist: nothing to copy into; recover rebuilds it.
	r = saveRunbook(t, backendRegion)
	r.on("aws s3api head-bucket *", 254, "", bucketMissing+"\n").otherwiseSucceed()
	res = r.run("save-bootstrap-state")
	requireFailedAt(t, res, "check that "+r.stateBucket+" is the backend account's", "run the same command again")
	assert.Contains(t, res.stderr, "the state bucket "+r.stateBucket+" does not exist: rebuild the backend with ")
	for _, c := range res.calls {
		assert.NotContains(t, c, "aws s3 sync")
	}
}

// --- teardown ------------------------------------------------------------------------------------------------------

const (
	backendAccount = "123456789012"
	callerIdentity = "arn:aws:sts::" + backendAccount + ":assumed-role/admin/alice\n"
	backendRegion  = "us-east-1" // the region of the mocked bootstrap stack's outputs
	inRegion       = " --region " + backendRegion
	inBackend      = inRegion + " --expected-bucket-owner " + backendAccount // every bucket call of the backend
	identityCall   = "aws sts get-caller-identity" + inRegion + " --query Arn --output text"
	noState        = ".pulumi/meta.yaml\n"
	forbidden      = "An error occurred (403) when calling the HeadBucket operation: Forbidden\n"
)

func listVersionsOf(bucket string) string {
	return "aws s3api list-object-versions --bucket " + bucket + inBackend +
		" --no-paginate --max-keys 1000 --output text --query [Versions, DeleteMarkers][][].[Key, VersionId]"
}

// deleteObjectsCall is a delete-objects call; its document is in a file of the script's temporary folder.
func deleteObjectsCall(bucket string) string {
	return "aws s3api delete-objects --bucket " + bucket + inBackend + " --delete file://TMP/delete.json --output json --query Errors"
}

func listStatesOf(bucket string) string {
	return "aws s3api list-objects-v2 --bucket " + bucket + inBackend + " --query Contents[].Key --output text"
}

// deleteDocuments reads the --delete documents of a run's delete-objects calls, in order: the only aws calls with a
// file:// argument.
func deleteDocuments(t *testing.T, res scriptRun) [][]map[string]string {
	t.Helper()
	var docs [][]map[string]string
	for _, held := range res.files {
		var doc struct {
			Objects []map[string]string
			Quiet   bool
		}
		require.NoError(t, json.Unmarshal([]byte(held), &doc), held)
		assert.True(t, doc.Quiet, "only errors come back")
		docs = append(docs, doc.Objects)
	}
	return docs
}

// teardownRunbook serves the bootstrap outputs, credentials of the backend's account, and a state bucket whose
// current objects are stateKeys (as `aws s3api list-objects-v2 --query Contents[].Key --output text` prints them).
func teardownRunbook(t *testing.T, stateKeys string) *runbook {
	r := newRunbook(t).withOutputs()
	require.Contains(t, r.outputs["kmsKeyArn"], ":"+backendAccount+":key/", "the key's ARN names the backend's account")
	r.on("aws sts get-caller-identity *", 0, callerIdentity, "")
	r.on(exact(listStatesOf(r.stateBucket)), 0, stateKeys, "")
	return r
}

// teardownStart is what every teardown runs first: the outputs and the caller's identity.
func (r *runbook) teardownStart() []string {
	return concat(r.outputReads("stateBucketName", "logBucketName", "lockTableName", "kmsKeyArn"), []string{identityCall})
}

func TestBootstrapScriptTeardownTurnsLoggingOffRetriesBucketNotEmptyAndForgetsLast(t *testing.T) {
	t.Parallel()
	r := teardownRunbook(t, noState)
	logs, key := r.outputs["logBucketName"].(string), r.outputs["kmsKeyArn"].(string)
	aDelete := `{"Objects":[{"Key":"k","VersionId":"v"}],"Quiet":true}`
	r.once(exact(listVersionsOf(r.stateBucket)), 0, "k\tv\n", "")
	r.once(exact("aws s3api delete-bucket --bucket "+logs+inBackend), 254, "", notEmpty+"\n") // late access logs
	r.once(exact(listVersionsOf(logs)), 0, "", "")
	r.once(exact(listVersionsOf(logs)), 0, "k\tv\n", "")
	res := r.withEmptyBucketsTableAndKey().run("teardown", "--i-understand")
	require.NoError(t, res.err, res.stderr)
	assert.Equal(t, concat(r.teardownStart(), []string{
		"aws s3api head-bucket --bucket " + r.stateBucket + inBackend,
		listStatesOf(r.stateBucket),
		"aws s3api put-bucket-logging --bucket " + r.stateBucket + inBackend + " --bucket-logging-status {}",
		"aws dynamodb describe-table --table-name " + r.table + inRegion + " --query Table.TableStatus --output text",
		"aws dynamodb update-table --table-name " + r.table + inRegion + " --no-deletion-protection-enabled",
		"aws dynamodb delete-table --table-name " + r.table + inRegion,
		listVersionsOf(r.stateBucket),
		deleteObjectsCall(r.stateBucket),
		listVersionsOf(r.stateBucket),
		"aws s3api delete-bucket --bucket " + r.stateBucket + inBackend,
		"aws s3api head-bucket --bucket " + logs + inBackend,
		listVersionsOf(logs),
		"aws s3api delete-bucket --bucket " + logs + inBackend,
		listVersionsOf(logs),
		deleteObjectsCall(logs),
		listVersionsOf(logs),
		"aws s3api delete-bucket --bucket " + logs + inBackend,
		"aws kms describe-key --key-id " + key + inRegion + " --query KeyMetadata.KeyState --output text",
		"aws kms schedule-key-deletion --key-id " + key + inRegion + " --pending-window-in-days 30",
		onBoot("state unprotect --all --stack bootstrap --yes"),
		onBoot("destroy --stack bootstrap --yes"),
	}), res.calls)
	assert.Contains(t, res.stdout, logs+" is not empty yet (attempt 1 of 10)")
	assert.Contains(t, res.stdout, "deleted 1 object versions and delete markers of "+r.stateBucket)
	assert.Equal(t, []string{aDelete, aDelete}, res.files)
}

func TestBootstrapScriptTeardownDeletesAtMost1000KeysPerCallWhateverTheMixOfVersionsAndDeleteMarkers(t *testing.T) {
	t.Parallel()
	// A real state bucket: every update writes a lock file and deletes it, which leaves a version and a delete
	// marker. One listing with 1,000 of each: twice what one delete-objects call may carry. Keys and version ids
	// have their real lengths.
	r := teardownRunbook(t, noState)
	var listing strings.Builder
	listed := map[string]int{}
	for _, kind := range []string{"version", "marker"} {
		for i := 0; i < 1000; i++ {
			key := fmt.Sprintf(".pulumi/locks/organization/aws-foundation/dev/%08d-9c1e-4f0a-8d7b-2a6f3e5c1b90.json", i)
			id := fmt.Sprintf("%.6s%026d", kind, i)
			fmt.Fprintf(&listing, "%s\t%s\n", key, id)
			listed[key+" "+id] = 0
		}
	}
	require.Len(t, listed, 2000)
	r.once(exact(listVersionsOf(r.stateBucket)), 0, listing.String(), "")
	res := r.withEmptyBucketsTableAndKey().run("teardown", "--i-understand")
	require.NoError(t, res.err, res.stderr)

	deletes := 0
	for _, c := range res.calls {
		if strings.HasPrefix(c, "aws s3api list-object-versions ") {
			assert.Contains(t, c, " --no-paginate --max-keys 1000 ", "one request of at most 1,000 entries, versions and delete markers together")
			assert.NotContains(t, c, "--max-items", "--max-items counts only versions")
		}
		if strings.HasPrefix(c, "aws s3api delete-objects ") {
			deletes++
			assert.Equal(t, deleteObjectsCall(r.stateBucket), c)
		}
	}
	docs := deleteDocuments(t, res)
	assert.Len(t, docs, deletes)
	for _, objects := range docs {
		assert.NotEmpty(t, objects)
		assert.LessOrEqual(t, len(objects), 1000, "delete-objects takes at most 1,000 keys")
		for _, o := range objects {
			n, ok := listed[o["Key"]+" "+o["VersionId"]]
			assert.True(t, ok, "deleted something never listed: %v", o)
			listed[o["Key"]+" "+o["VersionId"]] = n + 1
		}
	}
	assert.Equal(t, 2, deletes)
	require.Equal(t, 2, len(res.files))
	assert.Greater(t, len(res.files[0]), 128*1024, "more than Linux takes in one argument: the document must go in a file")
	for entry, n := range listed {
		if n != 1 {
			t.Errorf("%s deleted %d times, want once", entry, n)
		}
	}
	assert.Equal(t, 2, strings.Count(res.stdout, "deleted 1000 object versions and delete markers of "+r.stateBucket))
	assert.Equal(t, onBoot("destroy --stack bootstrap --yes"), res.calls[len(res.calls)-1])
}

func TestBootstrapScriptTeardownRefusesWhileStacksStateIsInTheStateBucket(t *testing.T) {
	t.Parallel()
	keys := ".pulumi/meta.yaml\t.pulumi/stacks/aws-foundation/dev.json\t.pulumi/stacks/aws-foundation/prod.json.gz\n" +
		".pulumi/stacks/aws-foundation/staging.json.bak\t.pulumi/history/aws-foundation/dev/dev-1700000000.history.json\n" +
		"network/terraform.tfstate\tbootstrap-backend/.pulumi/stacks/aws-foundation/bootstrap.json\n"
	found := "aws-foundation/dev, aws-foundation/prod, terraform network/terraform.tfstate"
	rules := func(r *runbook) *runbook {
		return r.withEmptyBucketsTableAndKey()
	}

	r := rules(teardownRunbook(t, keys))
	res := r.run("teardown", "--i-understand")
	requireFailedAt(t, res, "look for stacks' state in "+r.stateBucket, "destroy or move each of them first")
	assert.Contains(t, res.stderr, "the state bucket "+r.stateBucket+" still holds the state of: "+found+"\n")
	assert.NotContains(t, res.stderr, "staging", "a removed stack leaves only a .json.bak")
	assert.NotContains(t, res.stderr, "bootstrap.json", "the saved bootstrap backend is not an environment stack")
	env := "env 'PULUMI_BACKEND_URL=" + r.backend + "' pulumi"
	assert.Contains(t, res.stderr, "\n  "+env+" destroy --stack STACK\n  "+env+" stack rm --stack STACK\n")
	assert.Contains(t, res.stderr, "terraform init -migrate-state")
	script := filepath.Join(repoRoot, "scripts", "bootstrap.sh")
	assert.Contains(t, res.stderr, "\nThen run: "+script+" teardown --i-understand\n")
	assert.Contains(t, res.stderr, "run:\n"+script+" teardown --i-understand --including-stacks\n")
	assert.Equal(t, concat(r.teardownStart(), []string{
		"aws s3api head-bucket --bucket " + r.stateBucket + inBackend,
		listStatesOf(r.stateBucket),
	}, r.outputReads("backendUrl")), res.calls, "nothing is changed")

	// A dry run refuses the same way.
	r = rules(teardownRunbook(t, keys))
	res = r.run("--dry-run", "teardown", "--i-understand")
	requireFailedAt(t, res, "look for stacks' state in "+r.stateBucket, "--including-stacks")
	assert.NotContains(t, res.stdout, "+ aws")

	// With --including-stacks, in either order, their state goes with the backend, and the operator is told so.
	for _, args := range [][]string{{"--i-understand", "--including-stacks"}, {"--including-stacks", "--i-understand"}} {
		r = rules(teardownRunbook(t, keys))
		res = r.run(append([]string{"teardown"}, args...)...)
		require.NoError(t, res.err, res.stderr)
		assert.Contains(t, res.stdout, "--including-stacks: deleting with the backend the state of: "+found+"\n")
		assert.Contains(t, res.calls, "aws s3api delete-bucket --bucket "+r.stateBucket+inBackend)
		assert.Equal(t, onBoot("destroy --stack bootstrap --yes"), res.calls[len(res.calls)-1])
	}

	// Anything else is refused before any call.
	res = rules(teardownRunbook(t, keys)).run("teardown", "--i-understand", "--force")
	require.Error(t, res.err)
	assert.Contains(t, res.stderr, "teardown takes --i-understand [--including-stacks], not '--force'")
	assert.Empty(t, res.calls)
}

func TestBootstrapScriptTeardownTouchesOnlyBucketsOfTheBackendsAccount(t *testing.T) {
	t.Parallel()
	// Every S3 call of a whole teardown names the account.
	r := teardownRunbook(t, noState)
	res := r.withEmptyBucketsTableAndKey().run("teardown", "--i-understand")
	require.NoError(t, res.err, res.stderr)
	s3 := 0
	for _, c := range res.calls {
		if strings.HasPrefix(c, "aws s3api ") {
			s3++
			assert.Regexp(t, `^aws s3api [a-z0-9-]+ --bucket \S+`+regexp.QuoteMeta(inBackend)+`( |$)`, c)
		}
	}
	assert.Equal(t, 8, s3, "state bucket: head, list states, logging off, list versions, delete; log bucket: head, list versions, delete")

	// A log bucket of the same name in another account (head-bucket answers 403 for the expected owner) is left alone.
	r = teardownRunbook(t, noState)
	logs := r.outputs["logBucketName"].(string)
	r.on(exact("aws s3api head-bucket --bucket "+logs+inBackend), 254, "", forbidden)
	r.on("aws s3api list-object-versions *", 0, "", "")
	r.on("aws dynamodb describe-table *", 0, "ACTIVE\n", "")
	res = r.otherwiseSucceed().run("teardown", "--i-understand")
	requireFailedAt(t, res, "empty and delete the log bucket "+logs, "run the same command again")
	assert.Contains(t, res.stderr, "bucket "+logs+" is not account "+backendAccount+"'s, or you may not read it: nothing in it is touched")
	assert.Equal(t, "aws s3api head-bucket --bucket "+logs+inBackend, res.calls[len(res.calls)-1])

	// The same for the state bucket: nothing at all is changed.
	r = teardownRunbook(t, noState)
	r.on(exact("aws s3api head-bucket --bucket "+r.stateBucket+inBackend), 254, "", forbidden)
	res = r.otherwiseSucceed().run("teardown", "--i-understand")
	requireFailedAt(t, res, "look for stacks' state in "+r.stateBucket, "run the same command again")
	assert.Equal(t, concat(r.teardownStart(), []string{"aws s3api head-bucket --bucket " + r.stateBucket + inBackend}), res.calls)

	// Credentials of another account: refused before any call to the backend.
	r = newRunbook(t).withOutputs()
	r.on("aws sts get-caller-identity *", 0, "arn:aws:sts::210987654321:assumed-role/admin/alice\n", "")
	res = r.otherwiseSucceed().run("teardown", "--i-understand")
	requireFailedAt(t, res, "identify the AWS account", "check your AWS credentials (aws sts get-caller-identity)")
	assert.Contains(t, res.stderr, "the backend is in account "+backendAccount)
	assert.Contains(t, res.stderr, "your AWS credentials are for account 210987654321")
	assert.Equal(t, r.teardownStart(), res.calls)
}

func TestBootstrapScriptTeardownFailureHalfwayNamesTheStepAndForgetsNothing(t *testing.T) {
	t.Parallel()
	r := teardownRunbook(t, noState)
	r.on("aws dynamodb describe-table *", 0, "ACTIVE\n", "")
	r.on("aws dynamodb delete-table *", 254, "", "An error occurred (ResourceInUseException) when calling the DeleteTable operation\n")
	res := r.otherwiseSucceed().run("teardown", "--i-understand")
	requireFailedAt(t, res, "delete the lock table "+r.table, "run the same command again (it skips what is already done): ")
	assert.Contains(t, res.stderr, "bootstrap.sh teardown --i-understand")
	assert.Equal(t, "aws dynamodb delete-table --table-name "+r.table+inRegion, res.calls[len(res.calls)-1])
}

func TestBootstrapScriptTeardownStopsWhenS3RefusesToDeleteAVersion(t *testing.T) {
	t.Parallel()
	// Object Lock, or a policy: delete-objects succeeds but reports the keys it kept. Listing them again would
	// loop for ever; the command stops with S3's reasons instead.
	r := teardownRunbook(t, noState)
	r.on(exact(listVersionsOf(r.stateBucket)), 0, "k\tv\n", "")
	r.on("aws s3api delete-objects *", 0, `[{"Key": "k", "VersionId": "v", "Code": "AccessDenied", "Message": "Access Denied"}]`+"\n", "")
	r.on("aws dynamodb describe-table *", 0, "ACTIVE\n", "")
	res := r.otherwiseSucceed().run("teardown", "--i-understand")
	requireFailedAt(t, res, "empty and delete the state bucket "+r.stateBucket, "run the same command again")
	assert.Contains(t, res.stderr, `"Code": "AccessDenied"`)
	assert.Contains(t, res.stderr, "S3 did not delete every listed version of "+r.stateBucket)
	assert.Equal(t, deleteObjectsCall(r.stateBucket), res.calls[len(res.calls)-1])
	assert.Equal(t, []string{`{"Objects":[{"Key":"k","VersionId":"v"}],"Quiet":true}`}, res.files)
	for _, c := range res.calls {
		assert.NotContains(t, c, "delete-bucket")
	}
}

func TestBootstrapScriptTeardownResumesSkippingWhatIsGone(t *testing.T) {
	t.Parallel()
	r := teardownRunbook(t, noState)
	logs, key := r.outputs["logBucketName"].(string), r.outputs["kmsKeyArn"].(string)
	r.on(exact("aws s3api head-bucket --bucket "+r.stateBucket+inBackend), 254, "", bucketMissing+"\n")
	r.on("aws dynamodb describe-table *", 254, "", "An error occurred (ResourceNotFoundException) when calling the DescribeTable operation\n")
	r.on("aws s3api list-object-versions *", 0, "", "")
	r.on("aws kms describe-key *", 0, "PendingDeletion\n", "")
	res := r.otherwiseSucceed().run("teardown", "--i-understand")
	require.NoError(t, res.err, res.stderr)
	assert.Equal(t, concat(r.teardownStart(), []string{
		"aws s3api head-bucket --bucket " + r.stateBucket + inBackend,
		"aws dynamodb describe-table --table-name " + r.table + inRegion + " --query Table.TableStatus --output text",
		"aws s3api head-bucket --bucket " + logs + inBackend,
		listVersionsOf(logs),
		"aws s3api delete-bucket --bucket " + logs + inBackend,
		"aws kms describe-key --key-id " + key + inRegion + " --query KeyMetadata.KeyState --output text",
		onBoot("state unprotect --all --stack bootstrap --yes"),
		onBoot("destroy --stack bootstrap --yes"),
	}), res.calls)
}

func TestBootstrapScriptTeardownGivesUpAfterTheConfiguredAttempts(t *testing.T) {
	t.Parallel()
	r := teardownRunbook(t, noState)
	logs := r.outputs["logBucketName"].(string)
	r.env = append(r.env, "BOOTSTRAP_DELETE_ATTEMPTS=2")
	r.on("aws s3api list-object-versions *", 0, "", "")
	r.on(exact("aws s3api delete-bucket --bucket "+logs+inBackend), 254, "", notEmpty+"\n")
	r.on("aws dynamodb describe-table *", 0, "ACTIVE\n", "")
	res := r.otherwiseSucceed().run("teardown", "--i-understand")
	requireFailedAt(t, res, "empty and delete the log bucket "+logs, "run the same command again")
	assert.Contains(t, res.stderr, "still not empty after 2 attempts")
	n := 0
	for _, c := range res.calls {
		if c == "aws s3api delete-bucket --bucket "+logs+inBackend {
			n++
		}
		assert.NotContains(t, c, "destroy")
	}
	assert.Equal(t, 2, n)
}

func TestBootstrapScriptTeardownRequiresConfirmationAndItsDryRunChangesNothing(t *testing.T) {
	t.Parallel()
	r := newRunbook(t).withOutputs()
	res := r.run("--dry-run", "teardown")
	require.Error(t, res.err)
	assert.Contains(t, res.stderr, "--i-understand")
	assert.Empty(t, res.calls)

	r = teardownRunbook(t, noState)
	r.on("aws s3api head-bucket *", 0, "", "")
	r.on("aws dynamodb describe-table *", 0, "ACTIVE\n", "")
	r.on("aws kms describe-key *", 0, "Enabled\n", "")
	res = r.run("--dry-run", "teardown", "--i-understand")
	require.NoError(t, res.err, res.stderr)
	for _, c := range res.calls {
		assert.Regexp(t, `^(aws sts get-caller-identity|aws s3api head-bucket|aws s3api list-objects-v2|aws dynamodb describe-table|aws kms describe-key|`+
			regexp.QuoteMeta(onBoot("stack output"))+`)`, c, "a dry run only reads")
	}
	for _, want := range []string{
		"+ aws s3api put-bucket-logging --bucket " + r.stateBucket + inBackend + " --bucket-logging-status '{}'",
		"+ aws dynamodb delete-table --table-name " + r.table + inRegion,
		"empty-bucket " + r.stateBucket + " " + backendAccount + " " + backendRegion + "\n+ aws s3api delete-bucket --bucket " + r.stateBucket + inBackend + "\n",
		"+ aws kms schedule-key-deletion --key-id " + r.outputs["kmsKeyArn"].(string) + inRegion + " --pending-window-in-days 30",
		"pulumi destroy --stack bootstrap --yes",
	} {
		assert.Contains(t, res.stdout, want)
	}
}

// --- the backend's region -------------------------------------------------------------------------------------------

// otherDefaultRegions is a CLI default region (AWS_REGION, AWS_DEFAULT_REGION) that is not the backend's.
var otherDefaultRegions = []string{"AWS_REGION=us-west-2", "AWS_DEFAULT_REGION=ap-south-1"}

// requireEveryAWSCallIn checks that every aws call names region, once, and no other region appears in it.
func requireEveryAWSCallIn(t *testing.T, region string, calls []string) map[string]int {
	t.Helper()
	services := map[string]int{}
	for _, c := range calls {
		if !strings.HasPrefix(c, "aws ") {
			continue
		}
		services[strings.Fields(c)[1]]++
		assert.Equal(t, 1, strings.Count(c, " --region "), c)
		assert.Regexp(t, " --region "+regexp.QuoteMeta(region)+"( |$)", c)
		for _, other := range []string{"us-east-1", "us-west-2", "ap-south-1"} {
			assert.NotContains(t, c, other, c)
		}
	}
	return services
}

func TestBootstrapScriptTeardownMakesEveryAWSCallInTheBackendsRegion(t *testing.T) {
	t.Parallel()
	// The backend is in eu-central-1; the CLI's default region, and the bootstrap bucket (us-east-1), are elsewhere.
	// A lock table of the same name in the default region belongs to another backend and must not be touched.
	const region = "eu-central-1"
	r := newRunbook(t).withOutputsIn(region)
	r.env = append(r.env, otherDefaultRegions...)
	r.on("aws sts get-caller-identity *", 0, callerIdentity, "")
	r.on("aws s3api list-objects-v2 *", 0, noState, "")
	r.once("aws s3api list-object-versions *", 0, "k\tv\n", "")
	res := r.withEmptyBucketsTableAndKey().run("teardown", "--i-understand")
	require.NoError(t, res.err, res.stderr)
	services := requireEveryAWSCallIn(t, region, res.calls)
	assert.Equal(t, map[string]int{"sts": 1, "s3api": 10, "dynamodb": 3, "kms": 2}, services, strings.Join(res.calls, "\n"))
	assert.Contains(t, res.calls, "aws dynamodb update-table --table-name "+r.table+" --region "+region+" --no-deletion-protection-enabled")
	assert.Contains(t, res.calls, "aws dynamodb delete-table --table-name "+r.table+" --region "+region)
	assert.Contains(t, res.calls, "aws kms schedule-key-deletion --key-id "+r.outputs["kmsKeyArn"].(string)+" --region "+region+
		" --pending-window-in-days 30")
	assert.Equal(t, onBoot("destroy --stack bootstrap --yes"), res.calls[len(res.calls)-1])

	// Its dry run prints every change with the region too.
	r = newRunbook(t).withOutputsIn(region)
	r.env = append(r.env, otherDefaultRegions...)
	r.on("aws sts get-caller-identity *", 0, callerIdentity, "")
	r.on("aws s3api list-objects-v2 *", 0, noState, "")
	r.on("aws dynamodb describe-table *", 0, "ACTIVE\n", "")
	r.on("aws kms describe-key *", 0, "Enabled\n", "")
	res = r.otherwiseSucceed().run("--dry-run", "teardown", "--i-understand")
	require.NoError(t, res.err, res.stderr)
	requireEveryAWSCallIn(t, region, res.calls)
	printed := 0
	for _, l := range strings.Split(res.stdout, "\n") {
		if strings.HasPrefix(l, "+ aws ") {
			printed++
			assert.Regexp(t, " --region "+regexp.QuoteMeta(region)+"( |$)", l)
		}
	}
	assert.Equal(t, 6, printed, "logging off, update-table, delete-table, two delete-bucket, schedule-key-deletion")
	assert.Contains(t, res.stdout, " empty-bucket "+r.stateBucket+" "+backendAccount+" "+region+"\n")
}

func TestBootstrapScriptRestoreAndEmptyBucketUseTheBackendsRegion(t *testing.T) {
	t.Parallel()
	const region = "eu-central-1"
	r := newRunbook(t).withOutputsIn(region)
	r.env = append(r.env, otherDefaultRegions...)
	res := r.otherwiseSucceed().run("restore", "prod", "v123")
	require.NoError(t, res.err, res.stderr)
	assert.Equal(t, map[string]int{"s3api": 1}, requireEveryAWSCallIn(t, region, res.calls))
	assert.Contains(t, res.calls[len(res.calls)-1], " --expected-bucket-owner "+backendAccount+" --expected-source-bucket-owner "+backendAccount)

	r = newRunbook(t).withOutputsIn(region)
	r.env = append(r.env, otherDefaultRegions...)
	r.on("aws sts get-caller-identity *", 0, callerIdentity, "")
	r.once("aws s3api list-object-versions *", 0, "k\tv\n", "")
	r.on("aws s3api list-object-versions *", 0, "", "")
	res = r.otherwiseSucceed().run("empty-bucket", "acme-logs")
	require.NoError(t, res.err, res.stderr)
	assert.Equal(t, map[string]int{"sts": 1, "s3api": 3}, requireEveryAWSCallIn(t, region, res.calls))

	// A REGION given on the command line wins, and no output is read.
	r = newRunbook(t).withOutputsIn(region)
	r.env = append(r.env, otherDefaultRegions...)
	res = r.otherwiseSucceed().run("empty-bucket", "acme-logs", backendAccount, "eu-west-1")
	require.NoError(t, res.err, res.stderr)
	assert.Equal(t, []string{"aws s3api list-object-versions --bucket acme-logs --region eu-west-1 --expected-bucket-owner " + backendAccount +
		" --no-paginate --max-keys 1000 --output text --query [Versions, DeleteMarkers][][].[Key, VersionId]"}, res.calls)
}

func TestBootstrapScriptRefusesWhenTheOutputsNameNoRegion(t *testing.T) {
	t.Parallel()
	for _, arn := range []string{"arn:aws:kms::" + backendAccount + ":key/abc", "not-an-arn"} {
		for _, cmd := range [][]string{{"teardown", "--i-understand"}, {"restore", "prod", "v1"}, {"empty-bucket", "acme-logs"}} {
			r := newRunbook(t)
			r.env = append(r.env, otherDefaultRegions...)
			r.on(onBoot("stack output kmsKeyArn --stack bootstrap"), 0, arn, "") // before withOutputs: the first rule wins
			res := r.withOutputs().otherwiseSucceed().run(cmd...)
			requireFailedAt(t, res, "find the backend's region and account", "pulumi stack output kmsKeyArn --stack bootstrap")
			assert.Contains(t, res.stderr, "the bootstrap stack's output kmsKeyArn is '"+arn+"', which names no region", cmd)
			assert.Contains(t, res.stderr, "refusing to guess the backend's region or to use the AWS CLI's default one", cmd)
			for _, c := range res.calls {
				assert.False(t, strings.HasPrefix(c, "aws "), "no AWS call without the backend's region: %s", c)
			}
		}
		r := saveRunbook(t, backendRegion)
		r.rules = nil
		r.on("PULUMI_BACKEND_URL=file:///srv/bootstrap-state pulumi stack output stateBucketName *", 0, r.stateBucket, "")
		r.on("PULUMI_BACKEND_URL=file:///srv/bootstrap-state pulumi stack output kmsKeyArn *", 0, arn, "")
		res := r.otherwiseSucceed().run("save-bootstrap-state")
		requireFailedAt(t, res, "find the backend's region and account", "pulumi stack output kmsKeyArn --stack bootstrap")
		assert.Len(t, res.calls, 2, "only the outputs are read")
	}
}

// --- empty-bucket --------------------------------------------------------------------------------------------------

func TestBootstrapScriptEmptyBucketNamesTheCallersAccountAndEscapesKeys(t *testing.T) {
	t.Parallel()
	// Without ACCOUNT and REGION: the caller's account, the backend's region.
	r := newRunbook(t).withOutputs().on("aws sts get-caller-identity *", 0, callerIdentity, "")
	r.once(exact(listVersionsOf("acme-logs")), 0, "logs/a \"quoted\" key\\x\tv1\nlogs/plain key\tnull\n", "")
	r.on("aws s3api list-object-versions *", 0, "", "")
	res := r.otherwiseSucceed().run("empty-bucket", "acme-logs")
	require.NoError(t, res.err, res.stderr)
	require.Len(t, res.calls, 5, strings.Join(res.calls, "\n"))
	assert.Equal(t, concat(r.outputReads("kmsKeyArn"), []string{identityCall, listVersionsOf("acme-logs")}), res.calls[:3])
	assert.Equal(t, []string{deleteObjectsCall("acme-logs"), listVersionsOf("acme-logs")}, res.calls[3:])
	assert.Equal(t, [][]map[string]string{{
		{"Key": `logs/a "quoted" key\x`, "VersionId": "v1"},
		{"Key": "logs/plain key", "VersionId": "null"},
	}}, deleteDocuments(t, res))
	assert.Contains(t, res.stdout, "deleted 2 object versions and delete markers of acme-logs")

	// An entry it cannot take apart (here a key with a tab) stops it before anything is deleted.
	r = newRunbook(t).on(exact(listVersionsOf("acme-logs")), 0, "logs/a\tkey with a tab\tv1\n", "")
	res = r.run("empty-bucket", "acme-logs", backendAccount, backendRegion)
	requireFailedAt(t, res, "empty bucket acme-logs", "run the same command again")
	assert.Contains(t, res.stderr, "cannot take this listed entry apart: logs/a\tkey with a tab\tv1")
	assert.Contains(t, res.stderr, "delete it by hand: aws s3api delete-object --bucket acme-logs"+inBackend)
	assert.Equal(t, []string{listVersionsOf("acme-logs")}, res.calls)

	// A dry run lists and deletes nothing.
	r = newRunbook(t)
	res = r.run("--dry-run", "empty-bucket", "acme-logs", backendAccount, backendRegion)
	require.NoError(t, res.err, res.stderr)
	assert.Empty(t, res.calls)
	assert.Equal(t, "+ "+filepath.Join(repoRoot, "scripts", "bootstrap.sh")+" empty-bucket acme-logs "+backendAccount+" "+backendRegion+"\n", res.stdout)

	res = newRunbook(t).run("empty-bucket", "acme-logs", "12345", backendRegion)
	require.Error(t, res.err)
	assert.Contains(t, res.stderr, "account '12345': 12 digits")
	assert.Empty(t, res.calls)

	res = newRunbook(t).run("empty-bucket", "acme-logs", backendAccount, "mars")
	require.Error(t, res.err)
	assert.Contains(t, res.stderr, "region 'mars'")
	assert.Empty(t, res.calls)

	// No REGION and no bootstrap backend to read the backend's from: refused, not left to the CLI's default region.
	r = newRunbook(t)
	r.env = append(r.env, "BOOTSTRAP_BACKEND_URL=", "AWS_REGION=us-west-2")
	res = r.run("empty-bucket", "acme-logs", backendAccount)
	require.Error(t, res.err)
	assert.Contains(t, res.stderr, "empty-bucket needs a region: give BUCKET ACCOUNT REGION, or set BOOTSTRAP_BACKEND_URL")
	assert.Empty(t, res.calls)
}

// --- check-stack-file.sh -------------------------------------------------------------------------------------------

func runCheckStackFile(t *testing.T, stack, content string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	if content != "" {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi."+stack+".yaml"), []byte(content), 0o644))
	}
	out, err := exec.Command("bash", filepath.Join(repoRoot, "scripts", "check-stack-file.sh"), stack, dir).CombinedOutput()
	return strings.ReplaceAll(string(out), dir+"/", ""), err
}

func TestCheckStackFileAcceptsAStackFileWithTheStateKeyLines(t *testing.T) {
	t.Parallel()
	for _, content := range []string{
		"secretsprovider: awskms://alias/aws-foundation/state?region=us-east-1\nencryptedkey: AQICAHg=\nconfig:\n  aws:region: us-east-1\n" +
			"  aws:allowedAccountIds:\n    # the prod account\n    - \"123456789012\"\n  aws-foundation:stackKind: environment\n",
		"config:\n  aws:region: us-east-1\n  aws:allowedAccountIds: [\"123456789012\"]\nencryptedkey: AQICAHg=\n" +
			"secretsprovider: \"awskms://alias/aws-foundation/state?region=us-east-1\"\n",
		// As `pulumi config set --path 'aws:allowedAccountIds[0]' 123456789012` writes it: items at the key's indent.
		"secretsprovider: awskms://alias/aws-foundation/state?region=us-east-1\nencryptedkey: AQICAHg=\nconfig:\n" +
			"  aws:allowedAccountIds:\n  - \"123456789012\"\n  aws:region: us-east-1\n",
	} {
		out, err := runCheckStackFile(t, "prod", content)
		require.NoError(t, err, out)
		assert.Contains(t, out, "secretsprovider awskms://alias/aws-foundation/state?region=us-east-1 and encryptedkey are there; "+
			"account 123456789012 pinned")
	}
}

// TestCheckStackFileRefusesAStackFileWhoseAccountIsNotPinned: with the placeholder (as the repository ships the
// stack files), no list, or a malformed id, credentials of another account would not be refused by the provider.
func TestCheckStackFileRefusesAStackFileWhoseAccountIsNotPinned(t *testing.T) {
	t.Parallel()
	secrets := "secretsprovider: awskms://alias/aws-foundation/state?region=us-east-1\nencryptedkey: AQICAHg=\n"
	shipped, err := os.ReadFile(filepath.Join(repoRoot, "Pulumi.prod.yaml"))
	require.NoError(t, err)
	for _, c := range []struct{ name, content, want string }{
		{"the shipped placeholder", secrets + string(shipped),
			"has 'ACCOUNT_ID' in aws:allowedAccountIds, which is not a 12-digit account id (fill in the placeholder ACCOUNT_ID)"},
		{"no list", secrets + "config:\n  aws:region: us-east-1\n", "has no 'aws:allowedAccountIds' list"},
		{"an empty list", secrets + "config:\n  aws:allowedAccountIds: []\n", "has no 'aws:allowedAccountIds' list"},
		{"a short id", secrets + "config:\n  aws:allowedAccountIds:\n    - 12345\n", "has '12345' in aws:allowedAccountIds"},
		{"a scalar", secrets + "config:\n  aws:allowedAccountIds: 123456789012\n",
			"has 'aws:allowedAccountIds: 123456789012', which is not a list of account ids"},
		{"one good id and one placeholder", secrets + "config:\n  aws:allowedAccountIds: [\"123456789012\", ACCOUNT_ID]\n",
			"has 'ACCOUNT_ID' in aws:allowedAccountIds"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := runCheckStackFile(t, "prod", c.content)
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, out)
			assert.Equal(t, 1, exit.ExitCode(), out)
			assert.Contains(t, out, "Pulumi.prod.yaml "+c.want)
		})
	}
}

func TestCheckStackFileNamesTheFileAndTheMissingLine(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, stack, content string
		want                 []string
		not                  []string
	}{
		{"no lines", "prod", "config:\n  aws:region: us-east-1\n",
			[]string{"Pulumi.prod.yaml has no 'secretsprovider: awskms://alias/...?region=...' line", "Pulumi.prod.yaml has no 'encryptedkey:' line"}, nil},
		{"no key", "prod", "secretsprovider: awskms://alias/a?region=us-east-1\nconfig: {}\n",
			[]string{"Pulumi.prod.yaml has no 'encryptedkey:' line"}, []string{"secretsprovider: awskms"}},
		{"passphrase", "dev", "encryptionsalt: v1:abc\nencryptedkey: AQ==\n",
			[]string{"Pulumi.dev.yaml has no 'secretsprovider"}, []string{"encryptedkey:' line"}},
		{"another provider", "dev", "secretsprovider: hashivault://key\nencryptedkey: AQ==\n",
			[]string{"Pulumi.dev.yaml has 'secretsprovider: hashivault://key', which does not start with awskms://"}, nil},
		{"indented lines do not count", "dev", "config:\n  secretsprovider: awskms://alias/a?region=us-east-1\n  encryptedkey: AQ==\n",
			[]string{"has no 'secretsprovider", "has no 'encryptedkey:' line"}, nil},
		{"no file", "staging", "", []string{"Pulumi.staging.yaml does not exist"}, nil},
		{"bootstrap", "bootstrap", "encryptionsalt: v1:abc\n", []string{"never run from CI"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := runCheckStackFile(t, c.stack, c.content)
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, out)
			assert.Equal(t, 1, exit.ExitCode(), out)
			for _, w := range c.want {
				assert.Contains(t, out, w)
			}
			for _, n := range c.not {
				assert.NotContains(t, out, n)
			}
			if c.stack != "bootstrap" {
				assert.Contains(t, out, "create the secrets provider's lines once with scripts/bootstrap.sh phase2 "+c.stack)
			}
		})
	}
}

func TestCheckStackFileRejectsBadUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{}, {"../etc/passwd"}, {"a", "b", "c"}} {
		out, err := exec.Command("bash", append([]string{filepath.Join(repoRoot, "scripts", "check-stack-file.sh")}, args...)...).CombinedOutput()
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, string(out))
		assert.Equal(t, 2, exit.ExitCode(), args)
		assert.Contains(t, string(out), "usage:")
	}
}

// --- portability, lint, docs ---------------------------------------------------------------------------------------

// bash4Only lists constructs that macOS's bash 3.2 does not have, or that break there under set -u.
var bash4Only = []struct {
	re  *regexp.Regexp
	why string
}{
	{regexp.MustCompile(`\b(declare|local|typeset)\s+-[a-zA-Z]*A`), "associative arrays (bash 4)"},
	{regexp.MustCompile(`\b(declare|local|typeset)\s+-[a-zA-Z]*[ng]`), "namerefs / declare -g (bash 4.2+)"},
	{regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?(,,?|\^\^?)`), "case modification ${var,,} / ${var^^} (bash 4)"},
	{regexp.MustCompile(`\b(mapfile|readarray|coproc)\b`), "mapfile/readarray/coproc (bash 4)"},
	{regexp.MustCompile(`(\[\[|\btest)\s+-v\s`), "[[ -v ]] (bash 4.2)"},
	{regexp.MustCompile(`&>>|\|&`), "&>> and |& (bash 4)"},
	{regexp.MustCompile(`;;&|;&\s*$`), "case fall-through ;& / ;;& (bash 4)"},
	{regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*\[-`), "negative array index (bash 4.3)"},
	{regexp.MustCompile(`\bwait\s+-n\b`), "wait -n (bash 4.3)"},
	{regexp.MustCompile(`\bprintf\b.*%\(`), "printf %(...)T (bash 4.2)"},
	{regexp.MustCompile(`\$\{?(EPOCHSECONDS|EPOCHREALTIME|BASHPID)\b`), "EPOCHSECONDS/BASHPID (bash 4/5)"},
	{regexp.MustCompile(`\bshopt\s+-s\s+(globstar|lastpipe|autocd|checkjobs|direxpand|globasciiranges)\b`), "shopt option of bash 4"},
	{regexp.MustCompile(`\{[A-Za-z_][A-Za-z0-9_]*\}[<>]`), "{var}> file descriptor allocation (bash 4.1)"},
	{regexp.MustCompile(`\bread\b.*\s-i\s`), "read -i (bash 4)"},
	// "${a[@]}" of an empty array aborts under set -u before bash 4.4; only the guarded form is allowed.
	{regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*\[[@*]\]\}`), `array expansion "${a[@]}" (aborts under set -u on bash < 4.4 when empty; use "${a[@]+"${a[@]}"}")`},
}

var guardedArray = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\[@\]\+"\$\{([A-Za-z_][A-Za-z0-9_]*)\[@\]\}"\}`)

// bash4Findings returns "line N: why: text" for every bash-4-only construct outside comments.
func bash4Findings(script string) []string {
	var found []string
	for i, line := range strings.Split(script, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		line = guardedArray.ReplaceAllString(line, "")
		for _, c := range bash4Only {
			if c.re.MatchString(line) {
				found = append(found, fmt.Sprintf("line %d: %s: %s", i+1, c.why, strings.TrimSpace(line)))
			}
		}
	}
	return found
}

func TestBootstrapScriptBash4ScannerCatchesEachConstruct(t *testing.T) {
	t.Parallel()
	bad := []string{
		`declare -A seen`, `local -n ref=x`, `echo "${name,,}"`, `echo "${name^^}"`, `mapfile -t lines < f`,
		`readarray lines`, `if [[ -v FOO ]]; then :; fi`, `cmd &>> log`, `cmd |& tee`, `  a) x ;&`, `  a) x ;;&`,
		`echo "${arr[-1]}"`, `wait -n`, `printf '%(%F)T' -1`, `echo $EPOCHSECONDS`, `shopt -s globstar`,
		`exec {fd}>file`, `read -r -i default x`, `run "${YES[@]}"`, `coproc cat`, `declare -g x=1`,
	}
	for i, line := range bad {
		found := bash4Findings(strings.Repeat("\n", i) + line)
		if assert.Len(t, found, 1, line) {
			assert.True(t, strings.HasPrefix(found[0], fmt.Sprintf("line %d: ", i+1)), found[0])
		}
	}
	good := []string{
		`run pulumi up ${YES:+--yes}`, `run "${YES[@]+"${YES[@]}"}"`, `# declare -A is fine in a comment`,
		`echo "${1#file://}" "${x:-}" "${#s}"`, `[[ $a == b ]] && echo ok`, `case $x in a) ;; esac`,
		`printf '%s\n' "$x"`, `while IFS=: read -r a b; do :; done`,
	}
	for _, line := range good {
		assert.Empty(t, bash4Findings(line), line)
	}
}

func TestBootstrapScriptsAvoidBash4OnlyConstructs(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"bootstrap.sh", "check-stack-file.sh"} {
		raw, err := os.ReadFile(filepath.Join(repoRoot, "scripts", name))
		require.NoError(t, err)
		assert.Empty(t, bash4Findings(string(raw)), "scripts/%s must run on macOS's bash 3.2", name)
	}
}

func TestBootstrapScriptsAreShellcheckClean(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("shellcheck"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("shellcheck is not installed; .ci/run installs it")
		}
		t.Skip("shellcheck not installed (make tools installs it); CI runs this check")
	}
	out, err := exec.Command("shellcheck", filepath.Join(repoRoot, "scripts", "bootstrap.sh"),
		filepath.Join(repoRoot, "scripts", "check-stack-file.sh")).CombinedOutput()
	require.NoError(t, err, string(out))
}

func TestBootstrapScriptEveryCommandIsInTheRunbook(t *testing.T) {
	t.Parallel()
	script, err := os.ReadFile(filepath.Join(repoRoot, "scripts", "bootstrap.sh"))
	require.NoError(t, err)
	doc, err := os.ReadFile(filepath.Join(repoRoot, "docs", "BOOTSTRAP.md"))
	require.NoError(t, err)
	commands := regexp.MustCompile(`(?m)^  ([a-z0-9-]+)\) [a-z_0-9]+ "\$@" ;;$`).FindAllStringSubmatch(string(script), -1)
	require.Len(t, commands, 11)
	for _, c := range commands {
		assert.Contains(t, string(script), "\n#   "+c[1], "--help lists %s", c[1])
		assert.True(t, strings.Contains(string(doc), "bootstrap.sh "+c[1]), "docs/BOOTSTRAP.md shows %s", c[1])
	}
}
