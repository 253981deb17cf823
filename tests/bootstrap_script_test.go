package tests

import (
	"encoding/json"
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

// The runbook's tests state what each command leaves behind in a fake account (bootstrap_fake_test.go).

// --- bootstrap-bucket: the design's phase 1 ---------------------------------------------------------------------

func TestBootstrapBucketLeavesAPrivateVersionedEncryptedTLSOnlyBucketOfTheCallersAccount(t *testing.T) {
	t.Parallel()
	for _, region := range []string{"us-east-1", "ap-southeast-2"} {
		w := newWorld(t)
		res := w.run("bootstrap-bucket", "acme-bootstrap", region)
		require.NoError(t, res.err, res.stderr)

		b := "acme-bootstrap"
		require.True(t, w.bucketExists(b), "bucket %s was not created in %s", b, region)
		assert.Equal(t, callerAccount, w.read("world/buckets/"+b+"/owner"))
		assert.Equal(t, region, w.read("world/buckets/"+b+"/region"), "the bucket is in the region asked for, not the CLI's default")
		for _, flag := range []string{"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"} {
			assert.Contains(t, w.setting(b, "put-public-access-block"), flag+"=true", "%s in %s", b, region)
		}
		assert.Contains(t, w.setting(b, "put-bucket-ownership-controls"), "BucketOwnerEnforced")
		assert.Equal(t, "BucketOwnerEnforced", w.setting(b, "create-bucket-object-ownership"), "ACLs are off from creation")
		assert.Contains(t, w.setting(b, "put-bucket-versioning"), "Status=Enabled")
		assert.Contains(t, w.setting(b, "put-bucket-encryption"), `"SSEAlgorithm":"AES256"`)
		policy := w.setting(b, "put-bucket-policy")
		assert.Contains(t, policy, `"Effect":"Deny"`)
		assert.Contains(t, policy, `"aws:SecureTransport":"false"`)
		assert.Contains(t, policy, `"arn:aws:s3:::acme-bootstrap/*"`)
		assert.Contains(t, res.stdout, "export BOOTSTRAP_BACKEND_URL='s3://acme-bootstrap?region="+region+"&awssdk=v2'")
	}
}

func TestBootstrapBucketNamesThePartitionOfTheCallerInItsPolicy(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.write("world/caller", "arn:aws-us-gov:sts::"+callerAccount+":assumed-role/admin/me\n")
	res := w.run("bootstrap-bucket", "acme-bootstrap", "us-gov-west-1")
	require.NoError(t, res.err, res.stderr)
	assert.Contains(t, w.setting("acme-bootstrap", "put-bucket-policy"), `"arn:aws-us-gov:s3:::acme-bootstrap"`)
}

func TestBootstrapBucketKeepsAnExistingBucketAndAppliesItsSettingsAgain(t *testing.T) {
	t.Parallel()
	w := newWorld(t).addBucket("acme-bootstrap", callerAccount, "us-east-1").putObject("acme-bootstrap", "kept", "v1")
	res := w.run("bootstrap-bucket", "acme-bootstrap") // the region of Pulumi.bootstrap.yaml
	require.NoError(t, res.err, res.stderr)
	assert.Equal(t, "v1", w.currentVersion("acme-bootstrap", "kept"), "the existing bucket and its objects are kept")
	assert.Contains(t, w.setting("acme-bootstrap", "put-bucket-versioning"), "Status=Enabled")
	assert.Contains(t, res.stdout, "exists in account "+callerAccount+": kept")
}

func TestBootstrapBucketTouchesNothingOfABucketOfAnotherAccount(t *testing.T) {
	t.Parallel()
	w := newWorld(t).addBucket("acme-bootstrap", "999999999999", "us-east-1")
	before := w.snapshot()
	res := w.run("bootstrap-bucket", "acme-bootstrap", "us-east-1")
	require.Error(t, res.err)
	assert.Contains(t, res.stderr, "not account "+callerAccount+"'s")
	assert.Equal(t, before, w.snapshot(), "nothing of another account's bucket may change")
}

func TestBootstrapBucketDryRunChangesNothingAndPrintsTheCreation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	before := w.snapshot()
	res := w.run("--dry-run", "bootstrap-bucket", "acme-bootstrap", "eu-central-1")
	require.NoError(t, res.err, res.stderr)
	assert.Equal(t, before, w.snapshot())
	assert.Contains(t, res.stdout, "+ aws s3api create-bucket --bucket acme-bootstrap --region eu-central-1")
	assert.Contains(t, res.stdout, "LocationConstraint=eu-central-1")
}

func TestBootstrapBucketFailureHalfwayNamesTheStepAndTheSameCommandFinishesIt(t *testing.T) {
	t.Parallel()
	w := newWorld(t).failOnce("aws s3api put-bucket-versioning *", "An error occurred (SlowDown)")
	res := w.run("bootstrap-bucket", "acme-bootstrap", "us-east-1")
	requireFailedAt(t, res, "put-bucket-versioning on bucket acme-bootstrap", "run the same command again")
	assert.Empty(t, w.setting("acme-bootstrap", "put-bucket-policy"), "the steps after the failure did not run")

	res = w.run("bootstrap-bucket", "acme-bootstrap", "us-east-1")
	require.NoError(t, res.err, res.stderr)
	assert.Contains(t, w.setting("acme-bootstrap", "put-bucket-versioning"), "Status=Enabled")
	assert.Contains(t, w.setting("acme-bootstrap", "put-bucket-policy"), "aws:SecureTransport")
}

func TestBootstrapBucketRefusesBadNamesAndRegionsBeforeCallingAWS(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, args := range [][]string{{"Acme_Bucket", "us-east-1"}, {"ab", "us-east-1"}, {"acme-bootstrap", "mars-1"}} {
		res := w.run(append([]string{"bootstrap-bucket"}, args...)...)
		require.Error(t, res.err, "%v", args)
		assert.Empty(t, res.calls, "%v: no AWS call before the arguments are valid", args)
	}
}

// --- phase1: the bootstrap stack, on the bucket -----------------------------------------------------------------

func TestPhaseOneCreatesTheBootstrapStackWhichCreatesTheProductionBackend(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	res := w.run("--yes", "phase1")
	require.NoError(t, res.err, res.stderr)

	assert.Equal(t, []string{"bootstrap"}, w.stacksOn(bootstrapURL))
	assert.Empty(t, w.stacksOn(operatorURL), "the operator's own login is never used")
	assert.True(t, w.bucketExists(w.stateBucket), "the bootstrap stack's up created the state bucket")
	worldOnly := func(m map[string]string) map[string]string {
		for k := range m {
			if strings.HasPrefix(k, "Pulumi.") {
				delete(m, k)
			}
		}
		return m
	}
	assert.Equal(t, worldOnly(newWorld(t).deployed().snapshot()), worldOnly(w.snapshot()),
		"the other tests start from deployed(), which must be the world phase1 leaves")
	assert.Contains(t, res.stdout, "encryptionsalt: v1:fakesalt", "the salt to commit is printed")
	raw, err := os.ReadFile(filepath.Join(w.project, "Pulumi.bootstrap.yaml"))
	require.NoError(t, err)
	assert.Contains(t, string(raw), "encryptionsalt:", "the stack uses the passphrase provider")

	res = w.run("--yes", "phase1")
	require.NoError(t, res.err, "a second run updates the same stack: %s", res.stderr)
}

func TestPhaseOneWithALocalFolderMakesItAndSaysToArchiveIt(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	folder := filepath.Join(w.dir, "local-state")
	w.setEnv("BOOTSTRAP_BACKEND_URL=file://" + folder)
	res := w.run("phase1")
	require.NoError(t, res.err, res.stderr)
	assert.DirExists(t, folder)
	assert.Equal(t, []string{"bootstrap"}, w.stacksOn("file://"+folder))
	assert.Contains(t, res.stdout, "save-bootstrap-state")
}

func TestThePhasesRefuseToGuessWhereTheBootstrapStateLives(t *testing.T) {
	t.Parallel()
	for _, url := range []string{"", "https://example.com/state", "gs://bucket"} {
		w := newWorld(t).setEnv("BOOTSTRAP_BACKEND_URL=" + url)
		before := w.snapshot()
		res := w.run("phase1")
		require.Error(t, res.err, url)
		assert.Contains(t, res.stderr, "BOOTSTRAP_BACKEND_URL", url)
		assert.Contains(t, res.stderr, "bootstrap-bucket NAME", url)
		assert.Equal(t, before, w.snapshot(), url)
	}
}

func TestPhaseOneRefusesToRunTheBootstrapStackWithoutItsPassphrase(t *testing.T) {
	t.Parallel()
	w := newWorld(t).setEnv("PULUMI_CONFIG_PASSPHRASE=")
	res := w.run("phase1")
	require.Error(t, res.err)
	assert.Contains(t, res.stderr, "PULUMI_CONFIG_PASSPHRASE")
	assert.Empty(t, w.stacksOn(bootstrapURL))
}

// --- phase2 and migrate: environment stacks on the production backend --------------------------------------------

func TestPhaseTwoCreatesEachStackOnTheProductionBackendAndSaysWhatToCommit(t *testing.T) {
	t.Parallel()
	w := newWorld(t).deployed()
	res := w.run("phase2", "prod", "dev")
	require.NoError(t, res.err, res.stderr)

	assert.Equal(t, []string{"dev", "prod"}, w.stacksOn(w.backend))
	assert.Equal(t, []string{"bootstrap"}, w.stacksOn(bootstrapURL), "environment stacks never live on the bootstrap backend")
	assert.Equal(t, fmt.Sprint(programResources), w.resourcesOf(w.backend, "prod"), "prod was deployed")
	for _, stack := range []string{"prod", "dev"} {
		raw, err := os.ReadFile(filepath.Join(w.project, "Pulumi."+stack+".yaml"))
		require.NoError(t, err)
		assert.Contains(t, string(raw), "secretsprovider: "+w.provider, "Pulumi.%s.yaml", stack)
		assert.Contains(t, res.stdout, "Pulumi."+stack+".yaml: encryptedkey: ")
	}
	assert.Contains(t, res.stdout, "git add Pulumi.prod.yaml Pulumi.dev.yaml")
}

func TestPhaseTwoFailsNamingAStackFileWithoutTheStateKeyLines(t *testing.T) {
	t.Parallel()
	w := newWorld(t).deployed()
	w.addStack(w.backend, "dev", 5) // created on another machine; its lines never committed
	res := w.run("phase2", "dev")
	requireFailedAt(t, res, "check the stack files", "change-secrets-provider --stack STACK")
	assert.Contains(t, res.stderr, "Pulumi.dev.yaml")
}

func TestPhaseTwoAndMigrateRefuseToRunBeforePhaseOne(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{"phase2", "migrate"} {
		w := newWorld(t).addStack(bootstrapURL, "dev", 3)
		before := w.snapshot()
		res := w.run(cmd, "dev")
		require.Error(t, res.err, cmd)
		assert.Contains(t, res.stderr, "phase 1 has not run", cmd)
		assert.Equal(t, before, w.snapshot(), cmd)
	}
}

func TestTheBootstrapStackNeverMovesOntoTheBackendItCreates(t *testing.T) {
	t.Parallel()
	w := newWorld(t).deployed()
	for _, cmd := range []string{"phase2", "migrate"} {
		res := w.run(cmd, "dev", "bootstrap")
		require.Error(t, res.err, cmd)
		assert.Contains(t, res.stderr, "never moves onto the backend it creates", cmd)
		assert.Empty(t, w.stacksOn(w.backend), cmd)
	}
}

func TestMigrateMovesAStackWithItsResourcesAndRemovesTheSource(t *testing.T) {
	t.Parallel()
	w := newWorld(t).deployed().addStack(bootstrapURL, "dev", 3)
	res := w.run("migrate", "dev")
	require.NoError(t, res.err, res.stderr)
	assert.Equal(t, []string{"dev"}, w.stacksOn(w.backend))
	assert.Equal(t, "3", w.resourcesOf(w.backend, "dev"))
	assert.Equal(t, []string{"bootstrap"}, w.stacksOn(bootstrapURL), "the source is removed")
	raw, err := os.ReadFile(filepath.Join(w.project, "Pulumi.dev.yaml"))
	require.NoError(t, err)
	assert.Contains(t, string(raw), "secretsprovider: "+w.provider, "pulumi stack migrate rewrote the stack file")

	res = w.run("migrate", "dev")
	require.NoError(t, res.err, res.stderr)
	assert.Contains(t, res.stdout, "already migrated")
	assert.Equal(t, "3", w.resourcesOf(w.backend, "dev"))
}

func TestMigrateKeepsTheSourceWhenTheCopyLostResources(t *testing.T) {
	t.Parallel()
	w := newWorld(t).deployed().addStack(bootstrapURL, "dev", 3)
	w.write("migrate-loses-one", "")
	res := w.run("migrate", "dev")
	requireFailedAt(t, res, "compare both copies of dev", "pulumi stack rm --stack dev")
	assert.Contains(t, res.stderr, "has 2 resources, the source 3")
	assert.Equal(t, "3", w.resourcesOf(bootstrapURL, "dev"), "the source is kept")
}

func TestMigrateInterruptedAfterTheCopyFinishesWithTheSameCommand(t *testing.T) {
	t.Parallel()
	w := newWorld(t).deployed().addStack(bootstrapURL, "dev", 3)
	w.failOnce("PULUMI_BACKEND_URL="+bootstrapURL+" pulumi stack rm *", "error: connection reset")
	res := w.run("migrate", "dev")
	requireFailedAt(t, res, "remove dev from the bootstrap backend", "run the same command again")
	require.Equal(t, []string{"dev"}, w.stacksOn(w.backend))

	res = w.run("migrate", "dev")
	require.NoError(t, res.err, "the copy is not made twice: %s", res.stderr)
	assert.Equal(t, []string{"bootstrap"}, w.stacksOn(bootstrapURL))
	assert.Equal(t, "3", w.resourcesOf(w.backend, "dev"))
}

func TestMigrateDryRunChangesNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t).deployed().addStack(bootstrapURL, "dev", 3)
	before := w.snapshot()
	res := w.run("--dry-run", "migrate", "dev")
	require.NoError(t, res.err, res.stderr)
	assert.Equal(t, before, w.snapshot())
	assert.Contains(t, res.stdout, "pulumi stack migrate "+quoteForShell(bootstrapURL)+" dev --secrets-provider "+quoteForShell(w.provider)+" --yes")
}

// quoteForShell is how the script prints an argument with shell metacharacters.
func quoteForShell(s string) string {
	if regexp.MustCompile(`^[A-Za-z0-9_./:=@,+%-]+$`).MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// --- drift, recover, save-bootstrap-state, restore ----------------------------------------------------------------

func TestDriftPassesOnAnUnchangedBackendAndFailsNamingHowToRepair(t *testing.T) {
	t.Parallel()
	w := newWorld(t).deployed()
	require.NoError(t, w.run("drift").err)
	w.write("drifted", "")
	requireFailedAt(t, w.run("drift"), "refresh --preview-only of the bootstrap stack", "recover")
}

func TestRecoverRebuildsALostStateBucket(t *testing.T) {
	t.Parallel()
	w := newWorld(t).deployed()
	require.NoError(t, os.RemoveAll(filepath.Join(w.dir, "world/buckets", w.stateBucket)))
	res := w.run("--yes", "recover")
	require.NoError(t, res.err, res.stderr)
	assert.True(t, w.bucketExists(w.stateBucket), "recover re-created the state bucket")
	assert.Equal(t, backendRegion, w.read("world/buckets/"+w.stateBucket+"/region"))
}

// localBootstrap is a world whose bootstrap backend is a local folder holding the bootstrap state and a stale lock,
// with a bucket "acme-archive" of the backend's account, in its region, to archive it into.
func localBootstrap(t *testing.T, region string) (*world, string) {
	w := newWorld(t).withOutputsIn(region)
	folder := filepath.Join(w.dir, "local-state")
	w.setEnv("BOOTSTRAP_BACKEND_URL=file://" + folder).deployed()
	w.write("local-state/.pulumi/stacks/aws-foundation/bootstrap.json", "{}")
	w.write("local-state/.pulumi/locks/organization/aws-foundation/bootstrap/1.json", "{}")
	return w.addBucket("acme-archive", callerAccount, region), folder
}

func TestSaveBootstrapStateArchivesTheLocalFolderOutsideTheBackendItRebuilds(t *testing.T) {
	t.Parallel()
	w, folder := localBootstrap(t, "eu-central-1")
	res := w.run("save-bootstrap-state", "s3://acme-archive")
	require.NoError(t, res.err, res.stderr)
	copied := "world/buckets/acme-archive/objects/bootstrap-backend/.pulumi/stacks/aws-foundation/bootstrap.json"
	require.True(t, w.exists(copied), "the bootstrap state is in the archive bucket")
	assert.Contains(t, w.read(copied), " AES256", "encrypted with SSE-S3, not with the state key it would be needed to rebuild")
	assert.False(t, w.exists("world/buckets/acme-archive/objects/bootstrap-backend/.pulumi/locks"), "stale locks are not archived")
	assert.FileExists(t, filepath.Join(folder, ".pulumi/stacks/aws-foundation/bootstrap.json"), "the folder is never deleted")
}

func TestSaveBootstrapStateRefusesTheBackendsOwnBuckets(t *testing.T) {
	t.Parallel()
	w, _ := localBootstrap(t, backendRegion)
	for _, b := range []string{w.stateBucket, w.logBkt} {
		res := w.run("save-bootstrap-state", "s3://"+b+"/copy")
		require.Error(t, res.err, b)
		assert.Contains(t, res.stderr, "would be lost with it", b)
		assert.False(t, w.exists("world/buckets/"+b+"/objects/copy"), "nothing copied into %s", b)
	}
}

func TestSaveBootstrapStateCopiesNothingIntoABucketOfAnotherAccount(t *testing.T) {
	t.Parallel()
	w, _ := localBootstrap(t, backendRegion)
	w.write("world/buckets/acme-archive/owner", "999999999999\n")
	res := w.run("save-bootstrap-state", "s3://acme-archive")
	require.Error(t, res.err)
	assert.False(t, w.exists("world/buckets/acme-archive/objects/bootstrap-backend"), "nothing copied")
}

func TestSaveBootstrapStateIsOnlyForALocalFolder(t *testing.T) {
	t.Parallel()
	res := newWorld(t).deployed().run("save-bootstrap-state", "s3://acme-archive")
	require.Error(t, res.err)
	assert.Contains(t, res.stderr, "not a local folder")
}

func TestTheBootstrapStateNeverLivesInTheBucketsItBuilds(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	url := "s3://" + w.stateBucket + "?region=" + backendRegion + "&awssdk=v2"
	w.setEnv("BOOTSTRAP_BACKEND_URL=" + url).deployed()
	for _, cmd := range []string{"phase1", "recover"} {
		res := w.run("--yes", cmd)
		require.Error(t, res.err, cmd)
		assert.Contains(t, res.stderr, "names the backend's own state or log bucket", cmd)
	}
}

const devState = ".pulumi/stacks/aws-foundation/dev.json"

func TestRestoreMakesTheChosenVersionOfAStateFileCurrent(t *testing.T) {
	t.Parallel()
	w := newWorld(t).deployed()
	w.putObject(w.stateBucket, devState, "good").putObject(w.stateBucket, devState, "broken")
	res := w.run("restore", "dev", "good")
	require.NoError(t, res.err, res.stderr)
	assert.Equal(t, "copy-of-good", w.currentVersion(w.stateBucket, devState))
}

func TestRestoreFindsACompressedStateFile(t *testing.T) {
	t.Parallel()
	for _, ext := range []string{".gz", ".zst"} {
		w := newWorld(t).deployed()
		w.putObject(w.stateBucket, devState+ext, "good").putObject(w.stateBucket, devState+".bak", "bak")
		res := w.run("restore", "dev", "good")
		require.NoError(t, res.err, "%s: %s", ext, res.stderr)
		assert.Equal(t, "copy-of-good", w.currentVersion(w.stateBucket, devState+ext), ext)
	}
}

func TestRestoreRefusesWhileAnUpdateHoldsTheStacksLock(t *testing.T) {
	t.Parallel()
	w := newWorld(t).deployed()
	w.putObject(w.stateBucket, devState, "good").putObject(w.stateBucket, devState, "broken")
	w.putObject(w.stateBucket, ".pulumi/locks/organization/aws-foundation/dev/0b5e.json", "lock")
	res := w.run("restore", "dev", "good")
	requireFailedAt(t, res, "check that no update holds the lock of dev", "wait for it to end")
	assert.Equal(t, "broken", w.currentVersion(w.stateBucket, devState), "nothing restored under a running update")

	res = newWorld(t).deployed().putObject(w.stateBucket, ".pulumi/locks/organization/aws-foundation/prod/1.json", "lock").
		putObject(w.stateBucket, devState, "good").run("restore", "dev", "good")
	// another stack's lock does not stop the restore of dev
	require.NoError(t, res.err, res.stderr)
}

func TestRestoreFindsAVersionWrittenBeforeTheBackendChangedCompression(t *testing.T) {
	t.Parallel()
	w := newWorld(t).deployed()
	// The backend turned to gzip: pulumi wrote dev.json.gz and deleted dev.json, whose versions remain.
	w.putObject(w.stateBucket, devState, "plain").putObject(w.stateBucket, devState, deleteMarker)
	w.putObject(w.stateBucket, devState+".gz", "broken")
	res := w.run("restore", "dev", "plain")
	require.NoError(t, res.err, res.stderr)
	assert.Equal(t, "copy-of-plain", w.currentVersion(w.stateBucket, devState+".gz"), "copied over the current state file")

	res = w.run("restore", "dev", "no-such-version")
	require.Error(t, res.err)
	assert.Contains(t, res.stderr, "no version no-such-version of a state file of dev")
}

func TestRestoreSaysSoWhenAnUpdateTookTheLockDuringTheCopy(t *testing.T) {
	t.Parallel()
	w := newWorld(t).deployed()
	w.putObject(w.stateBucket, devState, "good").putObject(w.stateBucket, devState, "broken")
	w.write("update-starts-during-copy", "")
	res := w.run("restore", "dev", "good")
	requireFailedAt(t, res, "check that no update took the lock of dev meanwhile", "it may have written over the restored state")
}

func TestRestoreRefusesTwoStateFilesOfOneStack(t *testing.T) {
	t.Parallel()
	w := newWorld(t).deployed()
	w.putObject(w.stateBucket, devState, "a").putObject(w.stateBucket, devState+".gz", "b")
	res := w.run("restore", "dev", "a")
	requireFailedAt(t, res, "find the state file of dev", "run the same command again")
	assert.Equal(t, "a", w.currentVersion(w.stateBucket, devState))
	assert.Equal(t, "b", w.currentVersion(w.stateBucket, devState+".gz"))
}

// --- the backend's region and account -----------------------------------------------------------------------------

func TestRestoreNamesTheBackendsRegionWhateverTheCLIsDefault(t *testing.T) {
	t.Parallel()
	const region = "ap-southeast-2"
	w := newWorld(t).withOutputsIn(region).deployed()
	w.putObject(w.stateBucket, devState, "good")
	res := w.run("restore", "dev", "good")
	// The fake fails a bucket call in another region (the CLI's default here), where the AWS CLI would follow S3's
	// redirect: it shows that every call names the backend's region, which the teardown's DynamoDB and KMS calls need.
	require.NoError(t, res.err, res.stderr)
	assert.Equal(t, "copy-of-good", w.currentVersion(w.stateBucket, devState))
}

func TestCommandsRefuseWhenTheBackendsKeyNamesNoRegion(t *testing.T) {
	t.Parallel()
	w := newWorld(t).deployed()
	w.write(backendDir(bootstrapURL)+"/bootstrap/outputs/kmsKeyArn", "alias/aws-foundation/state")
	res := w.run("restore", "dev", "good")
	require.Error(t, res.err)
	assert.Contains(t, res.stderr, "names no region or account")
	for _, c := range res.calls {
		assert.False(t, strings.HasPrefix(c, "aws "), "no AWS call before the region is known: %s", c)
	}
}

// --- the runbook and its reviewed procedures -----------------------------------------------------------------------

// scriptCommands are the commands scripts/bootstrap.sh dispatches.
func scriptCommands(t *testing.T) []string {
	raw, err := os.ReadFile(filepath.Join(repoRoot, "scripts", "bootstrap.sh"))
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^  ([a-z0-9|-]+)\) "\$\{command//-/_\}" "\$@" ;;$`).FindStringSubmatch(string(raw))
	require.NotNil(t, m, "the dispatch line of bootstrap.sh")
	return strings.Split(m[1], "|")
}

func TestEveryScriptCommandIsInItsHelpAndTheRunbookAndEveryRunbookCommandExists(t *testing.T) {
	t.Parallel()
	script, err := os.ReadFile(filepath.Join(repoRoot, "scripts", "bootstrap.sh"))
	require.NoError(t, err)
	commands := scriptCommands(t)
	for _, c := range commands {
		assert.Contains(t, string(script), "\n#   "+c+" ", "--help lists %s", c)
	}
	var docs strings.Builder
	for _, f := range []string{"README.md", "docs/BOOTSTRAP.md", "docs/RUNBOOK.md", "docs/DELIVERY.md", "docs/CONTRIBUTING.md"} {
		raw, err := os.ReadFile(filepath.Join(repoRoot, f))
		require.NoError(t, err)
		docs.Write(raw)
		for _, m := range regexp.MustCompile(`bootstrap\.sh (?:--[a-z-]+ )*([a-z][a-z0-9-]*)`).FindAllStringSubmatch(string(raw), -1) {
			assert.Contains(t, commands, m[1], "%s names scripts/bootstrap.sh %s, which is no command", f, m[1])
		}
	}
	for _, c := range commands {
		assert.Contains(t, docs.String(), "bootstrap.sh "+c, "the docs show %s", c)
	}
}

func TestTheRunbooksReviewedProceduresAreValidShell(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "docs", "BOOTSTRAP.md"))
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(string(raw), -1)
	require.NotEmpty(t, blocks)
	for _, b := range blocks {
		f := filepath.Join(t.TempDir(), "block.sh")
		require.NoError(t, os.WriteFile(f, []byte(b[1]), 0o644))
		out, err := execBash(f)
		assert.NoError(t, err, "docs/BOOTSTRAP.md block does not parse:\n%s\n%s", b[1], out)
	}
}

// jmespathSearch evaluates a JMESPath expression on each data with the reference implementation
// (tests/iam/node_modules/jmespath), as the AWS CLI's --query does, in one node process.
func jmespathSearch(t *testing.T, expr string, data ...any) []any {
	t.Helper()
	in, err := json.Marshal(map[string]any{"expr": expr, "data": data})
	require.NoError(t, err)
	cmd := exec.Command("node", "-e", `const j = require('jmespath'); let s = '';
process.stdin.on('data', d => s += d).on('end', () => { const r = JSON.parse(s);
process.stdout.write(JSON.stringify(r.data.map(d => j.search(d, r.expr)))) })`)
	cmd.Dir = engineDir
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "jmespath %q: %s", expr, out)
	var v []any
	require.NoError(t, json.Unmarshal(out, &v), string(out))
	require.Len(t, v, len(data))
	return v
}

// TestTheTeardownsEmptinessCheckCountsEveryStateAndLockAndNothingElse evaluates the query of the teardown's
// check_empty (docs/BOOTSTRAP.md, step 3) on listings of a state bucket.
func TestTheTeardownsEmptinessCheckCountsEveryStateAndLockAndNothingElse(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "docs", "BOOTSTRAP.md"))
	require.NoError(t, err)
	m := regexp.MustCompile(`(?s)check_empty\(\) \{.*?--query '([^']*)'`).FindStringSubmatch(string(raw))
	require.NotNil(t, m, "docs/BOOTSTRAP.md defines check_empty with a single-quoted --query")
	query := m[1]
	listing := func(keys ...string) map[string]any {
		var contents []any
		for _, k := range keys {
			contents = append(contents, map[string]any{"Key": k, "Size": 1})
		}
		return map[string]any{"Contents": contents}
	}
	left := []string{
		".pulumi/stacks/aws-foundation/dev.json", ".pulumi/stacks/aws-foundation/dev.json.gz",
		".pulumi/stacks/aws-foundation/dev.json.zst", ".pulumi/stacks/other-project/x.json",
		".pulumi/locks/organization/aws-foundation/dev/0b5e.json", "env/terraform.tfstate", "env/terraform.tfstate.tflock",
		"bootstrap-backend/.pulumi/stacks/aws-foundation/bootstrap.json",
	}
	gone := []string{
		".pulumi/meta.yaml", ".pulumi/stacks/aws-foundation/dev.json.bak",
		".pulumi/stacks/aws-foundation/dev.json.1733000000000000000", ".pulumi/history/aws-foundation/dev/dev-1.history.json",
		".pulumi/backups/aws-foundation/dev/dev.1.json",
	}
	var data []any
	for _, k := range left {
		data = append(data, listing(append([]string{k}, gone...)...))
	}
	got := jmespathSearch(t, query, append(data, listing(gone...), map[string]any{})...)
	for i, k := range left {
		assert.Equal(t, []any{k}, got[i], "%s must stop the teardown", k)
	}
	assert.Equal(t, []any{}, got[len(left)], "what a removed stack leaves does not stop it")
	assert.Nil(t, got[len(left)+1], "an empty bucket lists no Contents: the check reads null")
}
