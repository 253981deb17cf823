package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The runbook script runs against fake `pulumi` and `aws` executables that keep a small world in files, so tests
// assert what exists afterwards (stacks on each backend, buckets, their settings and objects), not the order of
// calls. The world, under $FAKE_DIR/world:
//
//	backends/<backend URL, non-alphanumerics as _>/<stack>/  a stack: resources (a count), outputs/<name>
//	buckets/<name>/{owner,region}                           a bucket of an account in a region
//	buckets/<name>/settings/<put-... subcommand>             the arguments of the last call that set it
//	buckets/<name>/objects/<key>                            one line per version: "<version id> <sse key or ->";
//	                                                         a last line "delete-marker -" hides the key
//	caller                                                   the ARN `aws sts get-caller-identity` prints
//
// Like the real services, the fakes refuse what the real ones refuse: a bucket call with --expected-bucket-owner
// of another account (403). They are stricter than the AWS CLI in one way: a bucket call in another region than the
// bucket's fails (301), where the CLI would follow S3's redirect, so a call that names no region or the wrong one
// shows up; create-bucket of an existing bucket;
// stack init or migrate onto an existing stack; up of a stack that does not exist. `pulumi up` of the bootstrap
// stack creates the production backend (its two buckets, in the region and account of its key) and its outputs;
// of another stack, programResources resources. $FAKE_DIR/fail holds injected failures ("glob<TAB>stderr", each
// used once), $FAKE_DIR/calls.log every call.
const fakeWorld = `#!/usr/bin/env bash
set -u
name=${0##*/}
W=$FAKE_DIR/world
line="$name $*"
[[ $name != pulumi || -z ${PULUMI_BACKEND_URL+x} ]] || line="PULUMI_BACKEND_URL=$PULUMI_BACKEND_URL $line"
printf '%s\n' "$line" >> "$FAKE_DIR/calls.log"
if [[ -f $FAKE_DIR/fail ]]; then
  n=0
  while IFS=$'\t' read -r pattern err; do
    n=$((n + 1))
    if [[ $line == $pattern ]] && ! grep -qx "$n" "$FAKE_DIR/failed" 2>/dev/null; then
      echo "$n" >> "$FAKE_DIR/failed"; echo "$err" >&2; exit 254
    fi
  done < "$FAKE_DIR/fail"
fi
# opt holds the value of each --flag, the last one given (as the AWS CLI's parser keeps the last one).
declare -A opt=(); prev=''
for a in "$@"; do [[ $prev != --* ]] || opt[$prev]=$a; prev=$a; done
fail() { echo "$2" >&2; exit "$1"; }
account_of() { IFS=: read -r _ _ _ _ a _ <<<"$1"; printf '%s' "$a"; }

if [[ $name == pulumi ]]; then
  url=${PULUMI_BACKEND_URL:-none}; B="$W/backends/${url//[^A-Za-z0-9]/_}"
  stack=${opt[--stack]:-}
  write_secrets() {
    local f="Pulumi.$1.yaml" rest=''
    [[ ! -f $f ]] || rest=$(grep -vE '^(secretsprovider|encryptedkey|encryptionsalt):' "$f")
    if [[ $2 == passphrase ]]; then printf 'encryptionsalt: v1:fakesalt\n' > "$f"
    else printf 'secretsprovider: %s\nencryptedkey: ZmFrZS1kYXRhLWtleQ==\n' "$2" > "$f"; fi
    [[ -z $rest ]] || printf '%s\n' "$rest" >> "$f"
  }
  case "$1 ${2:-}" in
    'stack select') [[ -d $B/$3 ]] || fail 255 "error: no stack named '$3' found" ;;
    'stack init')
      [[ ! -d $B/$3 ]] || fail 255 "error: stack '$3' already exists"
      mkdir -p "$B/$3"; echo 0 > "$B/$3/resources"; write_secrets "$3" "${opt[--secrets-provider]:-}" ;;
    'stack output')
      [[ -f $B/$stack/outputs/$3 ]] || fail 255 "error: current stack has no output '$3'"
      read -r v < "$B/$stack/outputs/$3"; echo "$v" ;;
    'stack migrate')
      src="$W/backends/${3//[^A-Za-z0-9]/_}/$4"
      [[ -d $src ]] || fail 255 "error: no stack named '$4' found on $3"
      [[ ! -d $B/$4 ]] || fail 255 "error: stack '$4' already exists"
      mkdir -p "$B"; cp -R "$src" "$B/$4"
      if [[ -f $FAKE_DIR/migrate-loses-one ]]; then read -r n < "$B/$4/resources"; echo $((n - 1)) > "$B/$4/resources"; fi
      write_secrets "$4" "${opt[--secrets-provider]:-}" ;;
    'stack export')
      [[ -d $B/$stack ]] || fail 255 "error: no stack named '$stack' found"
      { echo '{"deployment": {"resources": ['; read -r n < "$B/$stack/resources"; for ((i = 0; i < n; i++)); do echo "{\"urn\": \"urn:$i\"},"; done; echo ']}}'; } > "${opt[--file]:-}" ;;
    'stack rm') [[ -d $B/$stack ]] || fail 255 "error: no stack named '$stack' found"; rm -rf "${B:?}/$stack" ;;
    'up --stack')
      [[ -d $B/$stack ]] || fail 255 "error: no stack named '$stack' found"
      if [[ $stack == bootstrap ]]; then
        mkdir -p "$B/$stack/outputs"; cp "$FAKE_DIR/outputs/"* "$B/$stack/outputs/"
        IFS=: read -r _ _ _ region account _ < "$FAKE_DIR/outputs/kmsKeyArn"
        read -r state < "$FAKE_DIR/outputs/stateBucketName"; read -r logs < "$FAKE_DIR/outputs/logBucketName"
        for b in "$state" "$logs"; do
          [[ -d $W/buckets/$b ]] && continue
          mkdir -p "$W/buckets/$b/objects"; echo "$account" > "$W/buckets/$b/owner"; echo "$region" > "$W/buckets/$b/region"
        done
        echo 9 > "$B/$stack/resources"
      else
        echo "${PROGRAM_RESOURCES:-5}" > "$B/$stack/resources"
      fi ;;
    'refresh --stack')
      [[ -d $B/$stack ]] || fail 255 "error: no stack named '$stack' found"
      if [[ " $* " == *' --expect-no-changes '* && -f $FAKE_DIR/drifted ]]; then fail 255 "error: 1 change found"; fi ;;
    *) fail 99 "fake pulumi: no behaviour for: $line" ;;
  esac
  exit 0
fi

# aws
bucket=${opt[--bucket]:-} region=${opt[--region]:-} owner=${opt[--expected-bucket-owner]:-}
region=${region:-${AWS_REGION:-${AWS_DEFAULT_REGION:-}}} # the CLI falls back to its default region
D="$W/buckets/$bucket"
reach() {
  [[ -d $D ]] || fail 254 "An error occurred (404) when calling the $1 operation: Not Found (NoSuchBucket)"
  [[ $region == "$(<"$D/region")" ]] || fail 254 "An error occurred (301) when calling the $1 operation: Moved Permanently"
  [[ -z $owner || $owner == "$(<"$D/owner")" ]] || fail 254 "An error occurred (403) when calling the $1 operation: Forbidden"
}
case "$1 $2" in
  'sts get-caller-identity') read -r v < "$W/caller"; echo "$v" ;;
  's3api head-bucket') reach HeadBucket ;;
  's3api create-bucket')
    [[ ! -d $D ]] || fail 254 "An error occurred (BucketAlreadyOwnedByYou) when calling the CreateBucket operation"
    loc=${opt[--create-bucket-configuration]:-}
    [[ $region == us-east-1 && -z $loc || $loc == "LocationConstraint=$region" ]] || fail 254 "An error occurred (IllegalLocationConstraintException)"
    mkdir -p "$D/objects" "$D/settings"; account_of "$(<"$W/caller")" > "$D/owner"; echo "$region" > "$D/region"
    echo "${opt[--object-ownership]:-}" > "$D/settings/create-bucket-object-ownership" ;;
  's3api put-'*) reach "$2"; mkdir -p "$D/settings"; printf '%s\n' "${@:3}" > "$D/settings/$2" ;;
  's3api list-objects-v2')
    reach ListObjectsV2; prefix=${opt[--prefix]:-}
    keys=$(cd "$D/objects" && find . -type f | sed 's#^\./##' | sort | while read -r k; do
      [[ $k != "$prefix"* || $(tail -n 1 "$k") == delete-marker* ]] || printf '%s\t' "$k"; done)
    if [[ -n $keys ]]; then printf '%s\n' "${keys%$'\t'}"; else echo None; fi ;;
  's3api list-object-versions')
    reach ListObjectVersions; prefix=${opt[--prefix]:-}; query=${opt[--query]:-}
    [[ $query =~ VersionId==\'([^\']+)\' ]] || fail 99 "fake aws: list-object-versions supports only a query by VersionId"
    found=$(cd "$D/objects" && grep -rl "^${BASH_REMATCH[1]} " . 2>/dev/null | sed 's#^\./##' | while read -r k; do [[ $k != "$prefix"* ]] || echo "$k"; done)
    echo "${found:-None}" ;;
  's3api copy-object')
    reach CopyObject; key=${opt[--key]:-}; src=${opt[--copy-source]:-}
    [[ ${opt[--expected-source-bucket-owner]:-} == "$(<"$D/owner")" ]] || fail 254 "An error occurred (403) Forbidden"
    [[ $src == "$bucket/"*"?versionId="* ]] || fail 254 "fake aws: copy from another bucket: $src"
    from=${src#"$bucket/"}; from=${from%%\?*}; version=${src#*versionId=}
    grep -q "^$version " "$D/objects/$from" 2>/dev/null || fail 254 "An error occurred (NoSuchVersion) when calling the CopyObject operation"
    echo "copy-of-$version -" >> "$D/objects/$key"  # a copy without encryption headers gets the bucket default
    if [[ -f $FAKE_DIR/update-starts-during-copy ]]; then  # an update of dev takes its lock meanwhile
      mkdir -p "$D/objects/.pulumi/locks/organization/aws-foundation/dev"; echo "l1 -" > "$D/objects/.pulumi/locks/organization/aws-foundation/dev/l1.json"
    fi ;;
  's3 sync')
    dest=${4#s3://}; bucket=${dest%%/*}; prefix=${dest#*/}; D="$W/buckets/$bucket"; owner=''; reach PutObject
    enc=${opt[--sse-kms-key-id]:-${opt[--sse]:-}} exclude=${opt[--exclude]:-}
    (cd "$3" && find . -type f | sed 's#^\./##') | while read -r f; do
      [[ -z $exclude || $f != $exclude ]] || continue
      mkdir -p "$(dirname "$D/objects/$prefix$f")"; echo "v$RANDOM $enc" >> "$D/objects/$prefix$f"
    done ;;
  *) fail 99 "fake aws: no behaviour for: $line" ;;
esac
`

const (
	bootstrapURL  = "s3://acme-bootstrap?region=us-east-1&awssdk=v2"
	operatorURL   = "s3://the-operators-own-login"
	backendRegion = "us-east-1" // the region of the mocked bootstrap stack's outputs
	callerAccount = "123456789012"
	// otherDefaultRegion is the AWS CLI's default region (AWS_REGION, AWS_DEFAULT_REGION): never the backend's.
	otherDefaultRegion = "eu-west-3"
	// programResources is how many resources `pulumi up` of an environment stack leaves in the fake's state.
	programResources = 5
)

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

// world is one fake AWS account and its Pulumi backends, with a project folder for the script to run in.
type world struct {
	t                   *testing.T
	dir, project, tmp   string
	env                 []string
	outputs             map[string]string
	backend, provider   string // the production backend and secrets provider the bootstrap stack outputs
	stateBucket, logBkt string
}

type scriptRun struct {
	stdout, stderr string
	calls          []string
	err            error
}

func newWorld(t *testing.T) *world {
	t.Helper()
	dir := t.TempDir()
	w := &world{t: t, dir: dir, project: filepath.Join(dir, "project"), tmp: filepath.Join(dir, "tmp")}
	bin := filepath.Join(dir, "bin")
	for _, d := range []string{bin, w.project, w.tmp, filepath.Join(dir, "world", "backends"), filepath.Join(dir, "outputs")} {
		require.NoError(t, os.MkdirAll(d, 0o755))
	}
	for _, name := range []string{"pulumi", "aws"} {
		require.NoError(t, os.WriteFile(filepath.Join(bin, name), []byte(fakeWorld), 0o755))
	}
	for _, f := range []string{"Pulumi.yaml", "Pulumi.bootstrap.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"} {
		raw, err := os.ReadFile(filepath.Join(repoRoot, f))
		require.NoError(t, err)
		// Set-up pins each stack's account in place of the placeholder (docs/BOOTSTRAP.md).
		raw = []byte(strings.ReplaceAll(string(raw), "    - ACCOUNT_ID\n", "    - \""+callerAccount+"\"\n"))
		require.NoError(t, os.WriteFile(filepath.Join(w.project, f), raw, 0o644))
	}
	w.write("world/caller", "arn:aws:sts::"+callerAccount+":assumed-role/admin/me\n")
	w.env = []string{
		"PATH=" + bin + ":" + os.Getenv("PATH"), "FAKE_DIR=" + dir, "TMPDIR=" + w.tmp,
		"BOOTSTRAP_PROJECT_DIR=" + w.project, "BOOTSTRAP_BACKEND_URL=" + bootstrapURL,
		"PULUMI_CONFIG_PASSPHRASE=correct horse",
		"PULUMI_BACKEND_URL=" + operatorURL, // the operator's own login: the script must never use it
		"AWS_REGION=" + otherDefaultRegion, "AWS_DEFAULT_REGION=" + otherDefaultRegion,
		"PROGRAM_RESOURCES=" + fmt.Sprint(programResources),
	}
	return w.withOutputsIn(backendRegion)
}

// withOutputsIn makes `pulumi up` of the bootstrap stack output what the mocked bootstrap stack exports, for a
// backend in region: the mocked region becomes region in every output.
func (w *world) withOutputsIn(region string) *world {
	w.outputs = map[string]string{}
	for k, v := range bootstrapOutputs(w.t) {
		if s, ok := v.(string); ok {
			w.outputs[k] = strings.ReplaceAll(s, backendRegion, region)
			w.write("outputs/"+k, w.outputs[k]+"\n")
		}
	}
	w.backend, w.provider = w.outputs["backendUrl"], w.outputs["secretsProvider"]
	w.stateBucket, w.logBkt = w.outputs["stateBucketName"], w.outputs["logBucketName"]
	return w
}

func (w *world) write(rel, content string) {
	w.t.Helper()
	p := filepath.Join(w.dir, rel)
	require.NoError(w.t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(w.t, os.WriteFile(p, []byte(content), 0o644))
}

func (w *world) read(rel string) string {
	raw, err := os.ReadFile(filepath.Join(w.dir, rel))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(raw))
}

func (w *world) exists(rel string) bool {
	_, err := os.Stat(filepath.Join(w.dir, rel))
	return err == nil
}

// failOnce makes the first call matching pattern (a bash glob on "aws ARGS" or "[PULUMI_BACKEND_URL=U ]pulumi
// ARGS") fail with stderr.
func (w *world) failOnce(pattern, stderr string) *world {
	f, err := os.OpenFile(filepath.Join(w.dir, "fail"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	require.NoError(w.t, err)
	defer f.Close()
	_, err = fmt.Fprintf(f, "%s\t%s\n", pattern, stderr)
	require.NoError(w.t, err)
	return w
}

func backendDir(url string) string {
	return "world/backends/" + regexp.MustCompile(`[^A-Za-z0-9]`).ReplaceAllString(url, "_")
}

// stacksOn lists the stacks on a backend, sorted.
func (w *world) stacksOn(url string) []string {
	entries, _ := os.ReadDir(filepath.Join(w.dir, backendDir(url)))
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

func (w *world) resourcesOf(url, stack string) string {
	return w.read(backendDir(url) + "/" + stack + "/resources")
}

// addStack puts a stack with n resources on a backend.
func (w *world) addStack(url, stack string, n int) *world {
	w.write(backendDir(url)+"/"+stack+"/resources", fmt.Sprintln(n))
	return w
}

// deployed is the world phase1 leaves (TestPhaseOneCreatesTheBootstrapStackWhichCreatesTheProductionBackend runs
// it): the bootstrap stack with its outputs on the bootstrap backend, and the production backend's buckets.
func (w *world) deployed() *world {
	w.t.Helper()
	boot := bootstrapURL
	for _, kv := range w.env {
		if v, ok := strings.CutPrefix(kv, "BOOTSTRAP_BACKEND_URL="); ok {
			boot = v // the last one set wins, as in the environment the script gets
		}
	}
	w.addStack(boot, "bootstrap", 9)
	for k, v := range w.outputs {
		w.write(backendDir(boot)+"/bootstrap/outputs/"+k, v+"\n")
	}
	parts := strings.Split(w.outputs["kmsKeyArn"], ":")
	return w.addBucket(w.stateBucket, parts[4], parts[3]).addBucket(w.logBkt, parts[4], parts[3])
}

// addBucket makes a bucket of account in region.
func (w *world) addBucket(name, account, region string) *world {
	w.write("world/buckets/"+name+"/owner", account+"\n")
	w.write("world/buckets/"+name+"/region", region+"\n")
	require.NoError(w.t, os.MkdirAll(filepath.Join(w.dir, "world/buckets", name, "objects"), 0o755))
	return w
}

func (w *world) bucketExists(name string) bool { return w.exists("world/buckets/" + name) }

func (w *world) setting(bucket, call string) string {
	return w.read("world/buckets/" + bucket + "/settings/" + call)
}

// putObject adds a version of key to bucket.
func (w *world) putObject(bucket, key, version string) *world {
	p := filepath.Join(w.dir, "world/buckets", bucket, "objects", key)
	require.NoError(w.t, os.MkdirAll(filepath.Dir(p), 0o755))
	f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	require.NoError(w.t, err)
	defer f.Close()
	_, err = fmt.Fprintf(f, "%s -\n", version)
	require.NoError(w.t, err)
	return w
}

// deleteMarker is the version id putObject takes for a delete marker: the key is then not current.
const deleteMarker = "delete-marker"

// currentVersion is the version id of key's current version.
func (w *world) currentVersion(bucket, key string) string {
	lines := strings.Split(w.read("world/buckets/"+bucket+"/objects/"+key), "\n")
	return strings.Fields(lines[len(lines)-1] + " ")[0]
}

// snapshot lists every file of the world with its content, to show that a run changed nothing.
func (w *world) snapshot() map[string]string {
	out := map[string]string{}
	root := filepath.Join(w.dir, "world")
	_ = filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			raw, _ := os.ReadFile(p)
			out[strings.TrimPrefix(p, root)] = string(raw)
		}
		return nil
	})
	for _, f := range []string{"Pulumi.bootstrap.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"} {
		raw, _ := os.ReadFile(filepath.Join(w.project, f))
		out[f] = string(raw)
	}
	return out
}

func (w *world) setEnv(kv ...string) *world { w.env = append(w.env, kv...); return w }

func (w *world) run(args ...string) scriptRun {
	w.t.Helper()
	log := filepath.Join(w.dir, "calls.log")
	require.NoError(w.t, os.WriteFile(log, nil, 0o644))
	cmd := exec.Command("bash", append([]string{filepath.Join(repoRoot, "scripts", "bootstrap.sh")}, args...)...)
	cmd.Env = append(os.Environ(), w.env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	raw, rerr := os.ReadFile(log)
	require.NoError(w.t, rerr)
	var calls []string
	if s := strings.TrimSpace(string(raw)); s != "" {
		calls = strings.Split(s, "\n")
	}
	left, rerr := os.ReadDir(w.tmp)
	require.NoError(w.t, rerr)
	assert.Empty(w.t, left, "the script left temporary files behind (stderr %q)", stderr.String())
	return scriptRun{stdout: stdout.String(), stderr: stderr.String(), calls: calls, err: err}
}

// requireFailedAt checks the message of a run that failed at a step: it names the step and how to resume.
func requireFailedAt(t *testing.T, r scriptRun, step, resume string) {
	t.Helper()
	require.Error(t, r.err, "stdout: %s", r.stdout)
	assert.Contains(t, r.stderr, `FAILED at step "`+step+`"`)
	assert.Contains(t, r.stderr, "to resume, ")
	assert.Contains(t, r.stderr, resume)
}

// execBash checks that a file parses as bash, without running it.
func execBash(file string) (string, error) {
	out, err := exec.Command("bash", "-n", file).CombinedOutput()
	return string(out), err
}
