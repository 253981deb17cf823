package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakePulumi answers `pulumi stack output NAME --stack bootstrap` from files in $FAKE_OUTPUTS and logs every
// call with the backend it was aimed at. Any other call fails: in a dry run the script must change nothing.
const fakePulumi = `#!/usr/bin/env bash
echo "${PULUMI_BACKEND_URL:-<login>} $*" >> "$FAKE_LOG"
if [[ $1 == stack && $2 == output && -f "$FAKE_OUTPUTS/$3" ]]; then cat "$FAKE_OUTPUTS/$3"; exit 0; fi
if [[ $1 == stack && $2 == output ]]; then echo "error: no output $3" >&2; exit 255; fi
echo "fake pulumi: a dry run must not call: $*" >&2; exit 99
`

const bootstrapURL = "s3://acme-bootstrap?region=us-east-1&awssdk=v2"

type scriptRun struct {
	stdout, stderr string
	calls          []string
	err            error
}

// runBootstrapScript runs scripts/bootstrap.sh with a fake pulumi that knows outputs.
func runBootstrapScript(t *testing.T, outputs map[string]any, args ...string) scriptRun {
	t.Helper()
	dir := t.TempDir()
	bin, outDir, log := filepath.Join(dir, "bin"), filepath.Join(dir, "outputs"), filepath.Join(dir, "calls.log")
	require.NoError(t, os.MkdirAll(bin, 0o755))
	require.NoError(t, os.MkdirAll(outDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(bin, "pulumi"), []byte(fakePulumi), 0o755))
	require.NoError(t, os.WriteFile(log, nil, 0o644))
	for k, v := range outputs {
		require.NoError(t, os.WriteFile(filepath.Join(outDir, k), []byte(fmt.Sprint(v)), 0o644))
	}
	cmd := exec.Command("bash", append([]string{filepath.Join(repoRoot, "scripts", "bootstrap.sh")}, args...)...)
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "FAKE_OUTPUTS="+outDir, "FAKE_LOG="+log,
		"BOOTSTRAP_BACKEND_URL="+bootstrapURL, "PULUMI_CONFIG_PASSPHRASE=")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	raw, _ := os.ReadFile(log)
	calls := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(calls) == 1 && calls[0] == "" {
		calls = nil
	}
	return scriptRun{stdout: stdout.String(), stderr: stderr.String(), calls: calls, err: err}
}

// bootstrapOutputs runs the bootstrap stack under mocks and returns its exports, as `pulumi stack output` would.
func bootstrapOutputs(t *testing.T) map[string]any {
	t.Helper()
	res := runStack(t, "bootstrap", false)
	out := map[string]any{}
	for k, e := range res.Exports {
		out[k] = e.Value
	}
	return out
}

// requireOnlyReadsFromTheBootstrapBackend fails unless every pulumi call was a read of bootstrap outputs.
func requireOnlyReadsFromTheBootstrapBackend(t *testing.T, r scriptRun) {
	t.Helper()
	for _, c := range r.calls {
		require.True(t, strings.HasPrefix(c, bootstrapURL+" stack output ") && strings.HasSuffix(c, " --stack bootstrap"),
			"dry run made a call that is not a read of bootstrap outputs: %q", c)
	}
}

func TestPhaseTwoDryRunLogsInToTheBackendUrlAndInitsStacksWithTheSecretsProvider(t *testing.T) {
	out := bootstrapOutputs(t)
	r := runBootstrapScript(t, out, "--dry-run", "phase2", "prod", "dev")
	require.NoError(t, r.err, r.stderr)
	want := fmt.Sprintf(`+ pulumi login '%s'
+ pulumi stack select prod || pulumi stack init prod --secrets-provider '%s'
+ pulumi up --stack prod
+ pulumi stack select dev || pulumi stack init dev --secrets-provider '%s'
+ pulumi up --stack dev
`, out["backendUrl"], out["secretsProvider"], out["secretsProvider"])
	assert.Equal(t, want, r.stdout)
	assert.Equal(t, "s3://aws-foundation-state-123456789012-us-east-1?region=us-east-1&awssdk=v2", out["backendUrl"])
	requireOnlyReadsFromTheBootstrapBackend(t, r)
}

func TestPhaseTwoRefusesToRunBeforePhaseOneHasOutputs(t *testing.T) {
	r := runBootstrapScript(t, nil, "phase2", "prod") // not even a dry run
	require.Error(t, r.err)
	assert.Contains(t, r.stderr, "phase 1 has not run")
	assert.Contains(t, r.stderr, bootstrapURL)
	assert.Empty(t, r.stdout, "nothing may be attempted")
	requireOnlyReadsFromTheBootstrapBackend(t, r)
}

func TestPhaseTwoNeverMovesTheBootstrapStackOntoTheBackendItCreates(t *testing.T) {
	r := runBootstrapScript(t, bootstrapOutputs(t), "--dry-run", "phase2", "bootstrap")
	require.Error(t, r.err)
	assert.Contains(t, r.stderr, "never moves onto the backend it creates")
}

func TestPhaseOneDryRunUsesTheSelfManagedBackendAndAPassphrase(t *testing.T) {
	r := runBootstrapScript(t, nil, "--dry-run", "--yes", "phase1")
	require.NoError(t, r.err, r.stderr)
	assert.Equal(t, `+ pulumi login '`+bootstrapURL+`'
+ pulumi stack select bootstrap || pulumi stack init bootstrap --secrets-provider passphrase
+ pulumi up --stack bootstrap --yes
`, r.stdout)
	assert.Empty(t, r.calls, "phase 1 reads nothing")
}

func TestMigrateDryRunExportsFromTheBootstrapBackendAndImportsIntoTheProductionOne(t *testing.T) {
	out := bootstrapOutputs(t)
	r := runBootstrapScript(t, out, "--dry-run", "migrate", "dev")
	require.NoError(t, r.err, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 5, r.stdout)
	assert.Regexp(t, `^\+ env 'PULUMI_BACKEND_URL=`+regexp.QuoteMeta(bootstrapURL)+`' pulumi stack export --stack dev --show-secrets --file /\S+/dev.json$`, lines[0])
	assert.Equal(t, fmt.Sprintf("+ pulumi login '%s'", out["backendUrl"]), lines[1])
	assert.Equal(t, fmt.Sprintf("+ pulumi stack init dev --secrets-provider '%s'", out["secretsProvider"]), lines[2])
	assert.Regexp(t, `^\+ pulumi stack import --stack dev --file /\S+/dev.json$`, lines[3])
	assert.Regexp(t, `^\+ rm -rf /\S+$`, lines[4], "the plaintext export is removed")
	requireOnlyReadsFromTheBootstrapBackend(t, r)
}

func TestRecoveryCommandsNameTheStateBucketAndStateObject(t *testing.T) {
	out := bootstrapOutputs(t)
	bucket := out["stateBucketName"].(string)

	r := runBootstrapScript(t, out, "--dry-run", "restore", "prod", "v123")
	require.NoError(t, r.err, r.stderr)
	assert.Contains(t, r.stdout, fmt.Sprintf("+ aws s3api copy-object --bucket %s --key .pulumi/stacks/aws-foundation/prod.json --copy-source '%s/.pulumi/stacks/aws-foundation/prod.json?versionId=v123'", bucket, bucket))

	r = runBootstrapScript(t, out, "--dry-run", "unlock", "prod")
	require.NoError(t, r.err, r.stderr)
	assert.Contains(t, r.stdout, "+ pulumi cancel --stack prod --yes")

	r = runBootstrapScript(t, out, "--dry-run", "--yes", "recover")
	require.NoError(t, r.err, r.stderr)
	assert.Contains(t, r.stdout, "+ pulumi refresh --stack bootstrap --yes\n+ pulumi up --stack bootstrap --yes\n")
}

func TestTeardownRequiresConfirmationAndThenDeletesEveryPart(t *testing.T) {
	out := bootstrapOutputs(t)
	r := runBootstrapScript(t, out, "--dry-run", "teardown")
	require.Error(t, r.err)
	assert.Contains(t, r.stderr, "--i-understand")

	r = runBootstrapScript(t, out, "--dry-run", "teardown", "--i-understand")
	require.NoError(t, r.err, r.stderr)
	for _, want := range []string{
		"+ pulumi state unprotect --all --stack bootstrap --yes",
		"+ pulumi destroy --stack bootstrap --yes",
		fmt.Sprintf("+ aws dynamodb update-table --table-name %s --no-deletion-protection-enabled", out["lockTableName"]),
		fmt.Sprintf("empty-bucket %s\n", out["stateBucketName"]),
		fmt.Sprintf("+ aws s3api delete-bucket --bucket %s\n", out["logBucketName"]),
		fmt.Sprintf("+ aws kms schedule-key-deletion --key-id %s --pending-window-in-days 30", out["kmsKeyArn"]),
	} {
		assert.Contains(t, r.stdout, want)
	}
	requireOnlyReadsFromTheBootstrapBackend(t, r)
}

func TestBootstrapScriptIsShellcheckClean(t *testing.T) {
	if _, err := exec.LookPath("shellcheck"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("shellcheck is not installed; .ci/run installs it")
		}
		t.Skip("shellcheck not installed (make tools installs it); CI runs this check")
	}
	out, err := exec.Command("shellcheck", filepath.Join(repoRoot, "scripts", "bootstrap.sh")).CombinedOutput()
	require.NoError(t, err, string(out))
}
