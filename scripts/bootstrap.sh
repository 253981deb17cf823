#!/usr/bin/env bash
# The bootstrap runbook: the production state backend, from nothing to running, and its recovery.
# docs/BOOTSTRAP.md maps the design's phases to these commands and gives teardown and unlock as reviewed commands.
#
#   scripts/bootstrap.sh [--dry-run] [--yes] COMMAND [ARGS]
# Commands, in the order of a first deployment:
#   bootstrap-bucket NAME [REGION]  make the small bucket that holds the bootstrap stack's own state, with the AWS
#                               CLI (REGION defaults to aws:region of Pulumi.bootstrap.yaml)
#   phase1                      create or update the bootstrap stack on that bucket; it creates the production backend
#   phase2 STACK...             create or update each environment stack on the production backend
#   migrate STACK...            move stacks from the bootstrap backend onto the production backend (pulumi stack migrate)
#   drift                       refresh --preview-only --expect-no-changes of the bootstrap stack (run by a person)
#   save-bootstrap-state S3URL  archive a file:// bootstrap backend into a bucket the bootstrap stack does not build
#   recover                     rebuild a lost or damaged production backend by re-running the bootstrap stack
#   restore STACK VERSION_ID    make an older version of a stack's state file the current one
# Environment: BOOTSTRAP_BACKEND_URL (where the bootstrap stack's state lives: s3://NAME?region=R&awssdk=v2, or
# file://DIR by explicit opt-in), PULUMI_CONFIG_PASSPHRASE (its passphrase), BOOTSTRAP_PROJECT_DIR (the project).
# Every pulumi command names its backend; every AWS call to the backend names its region and account, read from the
# kmsKeyArn output, never the CLI's defaults. After a failure, run the same command again: it skips what is done.
# --dry-run prints what would change ("+ ") and runs only reads ("# "); --yes passes --yes to pulumi up and refresh.
set -euo pipefail
PROJECT=aws-foundation
BOOT=bootstrap
BOOTSTRAP_BACKEND_URL=${BOOTSTRAP_BACKEND_URL:-}
SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
PROJECT_DIR=${BOOTSTRAP_PROJECT_DIR:-$(dirname "$SCRIPT_DIR")}
DRY_RUN=0 YES='' STEP='' RESUME='' TMP_DIR='' OUT='' ERR='' REGION='' ACCOUNT='' PARTITION='' BACKEND='' PROVIDER=''
unset PULUMI_BACKEND_URL # the operator's own login must never decide where a command goes
die() { echo "bootstrap.sh: $*" >&2; exit 1; }
quote() {
  if [[ $1 =~ ^[A-Za-z0-9_./:=@,+%-]+$ ]]; then printf '%s' "$1"; else printf "'%s'" "${1//\'/\'\\\'\'}"; fi
}
words() { local sep='' a; for a in "$@"; do printf '%s' "$sep"; quote "$a"; sep=' '; done; }
# run prints a command that changes something and runs it unless --dry-run.
run() { printf '+ %s\n' "$(words "$@")"; if [[ $DRY_RUN -eq 0 ]]; then "$@"; fi; }
pulumi_on() { local b=$1; shift; run env "PULUMI_BACKEND_URL=$b" pulumi "$@"; }
# read_aws runs a read-only AWS call, also under --dry-run: its output in OUT, its errors in ERR.
read_aws() {
  local rc=0; printf '# %s\n' "$(words "$@")"
  OUT=$("$@" 2>"$TMP_DIR/err") || rc=$?; ERR=$(<"$TMP_DIR/err"); return "$rc"
}
read_failed() { printf '%s\n' "$ERR" >&2; exit "$1"; }
# step names what comes next, for the failure message; its second argument says how to resume after it.
step() { STEP=$1; RESUME=${2:-"fix the cause above, then run the same command again: $RERUN"}; }
on_exit() {
  local rc=$?
  [[ -z $TMP_DIR ]] || rm -rf "$TMP_DIR"
  [[ $rc -eq 0 || -z $STEP ]] || printf 'bootstrap.sh: FAILED at step "%s" (exit %s).\nbootstrap.sh: to resume, %s\n' "$STEP" "$rc" "$RESUME" >&2
  exit "$rc"
}
need_backend() { [[ $BOOTSTRAP_BACKEND_URL == s3://* || $BOOTSTRAP_BACKEND_URL == file://* ]] || die "BOOTSTRAP_BACKEND_URL is" \
  "'$BOOTSTRAP_BACKEND_URL': set it to 's3://NAME?region=R&awssdk=v2' ($0 bootstrap-bucket NAME), or file://DIR (docs/BOOTSTRAP.md)"; }
need_passphrase() { [[ -n ${PULUMI_CONFIG_PASSPHRASE:-} || $DRY_RUN -eq 1 ]] || die "set PULUMI_CONFIG_PASSPHRASE: the bootstrap stack uses the passphrase secrets provider"; }
local_folder() { if [[ $BOOTSTRAP_BACKEND_URL == file://* ]]; then run mkdir -p "${BOOTSTRAP_BACKEND_URL#file://}"; fi; }
# separate_backend refuses a bootstrap bucket that is the state or log bucket the bootstrap stack builds (known once
# it has outputs): the state that rebuilds the backend would be lost with it.
separate_backend() {
  local b=${BOOTSTRAP_BACKEND_URL#s3://}; b=${b%%[?/]*}
  [[ $BOOTSTRAP_BACKEND_URL != s3://* || ($b != "$(boot_output stateBucketName)" && $b != "$(boot_output logBucketName)") ]] ||
    die "BOOTSTRAP_BACKEND_URL names the backend's own state or log bucket ($b): keep the bootstrap state elsewhere"
}
# output reads one output of the bootstrap stack: commands after phase1 refuse to run before it made them.
boot_output() { PULUMI_BACKEND_URL=$BOOTSTRAP_BACKEND_URL pulumi stack output "$1" --stack "$BOOT" 2>/dev/null; }
output() {
  local v
  if ! v=$(boot_output "$1") || [[ -z $v ]]; then die "phase 1 has not run: the bootstrap stack at $BOOTSTRAP_BACKEND_URL has no output '$1'. Run: $0 phase1"; fi
  printf '%s' "$v"
}
valid_region() { [[ $1 =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]]; }
# backend_location sets REGION and ACCOUNT from the backend key's ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/ID):
# the key, the buckets and the lock table are made in one region and account. A name alone (the lock table's
# names neither) could be another backend's in another region, so an ARN without them stops before any AWS call.
backend_location() {
  local service
  IFS=: read -r _ PARTITION service REGION ACCOUNT _ <<<"$1"
  if [[ $service != kms || ! $ACCOUNT =~ ^[0-9]{12}$ ]] || ! valid_region "$REGION"; then die "the bootstrap stack's output kmsKeyArn is '$1', which names no region or account (expected" \
      "arn:PARTITION:kms:REGION:ACCOUNT:key/ID): refusing to guess, or to use the AWS CLI's default region"; fi
}
# owned BUCKET says whether BUCKET exists in ACCOUNT; a bucket of that name in another account (403) stops here.
owned() {
  local rc=0
  read_aws aws s3api head-bucket --bucket "$1" --region "$REGION" --expected-bucket-owner "$ACCOUNT" || rc=$?
  [[ $rc -ne 0 ]] || return 0
  case $ERR in
    *404*|*'Not Found'*|*NoSuchBucket*) return 1 ;;
    *403*|*Forbidden*) die "bucket $1 exists but is not account $ACCOUNT's, or you may not read it: nothing in it is touched" ;;
    *) read_failed "$rc" ;;
  esac
}
stack_exists() { PULUMI_BACKEND_URL=$1 pulumi stack select "$2" >/dev/null 2>&1; }
select_or_init() {
  if [[ $DRY_RUN -eq 0 ]] && stack_exists "$1" "$2"; then echo "stack $2 exists on $1: selected"; return; fi
  pulumi_on "$1" stack init "$2" --secrets-provider "$3"
}
stack_file_value() { sed -n "s/^$2:[[:space:]]*//p" "$PROJECT_DIR/Pulumi.$1.yaml" 2>/dev/null | head -n 1 | tr -d "\"'"; }

# commit_stack_files checks each stack file for the lines CI needs (CI runs non-interactively and cannot write
# them) and prints them with the git command that commits them.
commit_stack_files() {
  local provider=$PROVIDER stack bad=''
  step "check the stack files" "write the missing lines with: env PULUMI_BACKEND_URL=BACKEND pulumi stack
change-secrets-provider --stack STACK $(quote "$provider"), check them with $SCRIPT_DIR/check-stack-file.sh STACK, commit"
  [[ $DRY_RUN -eq 0 ]] || return 0; echo "Commit these lines: CI runs pulumi non-interactively and needs them to use the state key."
  for stack in "$@"; do
    if "$SCRIPT_DIR/check-stack-file.sh" "$stack" "$PROJECT_DIR" >&2 && [[ $(stack_file_value "$stack" secretsprovider) == "$provider" ]]
    then grep -E '^(secretsprovider|encryptedkey):' "$PROJECT_DIR/Pulumi.$stack.yaml" | sed "s|^|  Pulumi.$stack.yaml: |"
    else bad="$bad $stack"; fi
  done
  [[ -z $bad ]] || die "stack files without the state key's lines ($provider) or a pinned account:$bad"
  printf '  git add'; printf ' Pulumi.%s.yaml' "$@"; printf ' && git commit -m "Stack files: state key lines"\n'
  STEP=''
}

bootstrap_bucket() {
  [[ $# -ge 1 && $# -le 2 ]] || die "bootstrap-bucket needs NAME [REGION]"
  local bucket=$1 sub
  [[ $bucket =~ ^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$ ]] || die "bucket name '$bucket': 3-63 of a-z, 0-9 and -, a letter or digit at each end"
  REGION=${2:-$(sed -n 's/^[[:space:]]*aws:region:[[:space:]]*//p' "$PROJECT_DIR/Pulumi.$BOOT.yaml" 2>/dev/null | head -n 1)}
  valid_region "$REGION" || die "region '$REGION': give one, for example: bootstrap-bucket $bucket us-east-1"
  step "identify the AWS account" "check your AWS credentials (aws sts get-caller-identity), then run: $RERUN"
  read_aws aws sts get-caller-identity --region "$REGION" --query Arn --output text || read_failed $?
  IFS=: read -r _ PARTITION _ _ ACCOUNT _ <<<"$OUT"
  [[ $ACCOUNT =~ ^[0-9]{12}$ ]] || die "unexpected caller identity '$OUT'"
  step "create bucket $bucket"
  local where=(); [[ $REGION == us-east-1 ]] || where=(--create-bucket-configuration "LocationConstraint=$REGION")
  if owned "$bucket"; then echo "bucket $bucket exists in account $ACCOUNT: kept; its settings are applied again"
  else run aws s3api create-bucket --bucket "$bucket" --region "$REGION" --object-ownership BucketOwnerEnforced ${where[@]+"${where[@]}"}; fi
  local policy="{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"DenyInsecureTransport\",\"Effect\":\"Deny\",\
\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":[\"arn:$PARTITION:s3:::$bucket\",\"arn:$PARTITION:s3:::$bucket/*\"],\
\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}]}"
  while IFS='|' read -r sub flag value; do
    step "$sub on bucket $bucket"
    run aws s3api "$sub" --bucket "$bucket" --region "$REGION" --expected-bucket-owner "$ACCOUNT" "$flag" "$value"
  done <<EOF
put-public-access-block|--public-access-block-configuration|BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
put-bucket-ownership-controls|--ownership-controls|Rules=[{ObjectOwnership=BucketOwnerEnforced}]
put-bucket-versioning|--versioning-configuration|Status=Enabled
put-bucket-encryption|--server-side-encryption-configuration|{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}
put-bucket-policy|--policy|$policy
EOF
  STEP=''; printf "The bootstrap stack's state goes into this bucket:\n  export BOOTSTRAP_BACKEND_URL='%s'\nNext: %s phase1\n" \
    "s3://$bucket?region=$REGION&awssdk=v2" "$0"
}

phase1() {
  [[ $# -eq 0 ]] || die "phase1 takes no arguments"
  need_backend; need_passphrase; local_folder; separate_backend
  step "select or create the bootstrap stack on $BOOTSTRAP_BACKEND_URL" "check that you may read it (make it with: $0 bootstrap-bucket NAME), then: $RERUN"
  select_or_init "$BOOTSTRAP_BACKEND_URL" "$BOOT" passphrase
  step "pulumi up of the bootstrap stack"
  pulumi_on "$BOOTSTRAP_BACKEND_URL" up --stack "$BOOT" ${YES:+--yes}
  STEP=''; local salt; salt=$(stack_file_value "$BOOT" encryptionsalt)
  [[ -z $salt ]] || printf 'Commit this line of Pulumi.%s.yaml (whoever runs the bootstrap stack needs it):\n  encryptionsalt: %s\n' "$BOOT" "$salt"
  [[ $BOOTSTRAP_BACKEND_URL != file://* ]] || echo "The bootstrap state is on this machine only: $0 save-bootstrap-state s3://BUCKET"
  echo "Next: $0 phase2 STACK..."
}

# environment_stacks refuses the bootstrap stack (it never moves onto the backend it creates), then sets BACKEND
# and PROVIDER, the production backend and its secrets provider, from the bootstrap stack's outputs.
environment_stacks() {
  [[ $# -gt 1 ]] || die "$1 needs at least one stack, for example: $1 prod dev"
  local s; for s in "${@:2}"; do [[ $s != "$BOOT" ]] || die "the bootstrap stack never moves onto the backend it creates"; done
  need_backend
  step "read the bootstrap stack's outputs" "run $0 phase1 first, then: $RERUN"
  BACKEND=$(output backendUrl); PROVIDER=$(output secretsProvider)
}

phase2() {
  environment_stacks phase2 "$@"
  local stack
  for stack in "$@"; do
    step "select or create stack $stack on the production backend"
    select_or_init "$BACKEND" "$stack" "$PROVIDER"
    step "pulumi up of stack $stack"
    pulumi_on "$BACKEND" up --stack "$stack" ${YES:+--yes}
  done
  commit_stack_files "$@"
}

# migrate moves stacks with the CLI's own `pulumi stack migrate`, which re-encrypts their secrets with the state
# key as it copies (no file holds them in plain text) and rewrites Pulumi.<stack>.yaml. The source is removed only
# once the production copy has as many resources.
migrate() {
  environment_stacks migrate "$@"
  need_passphrase
  local stack a b
  for stack in "$@"; do
    if [[ $DRY_RUN -eq 0 ]] && ! stack_exists "$BOOTSTRAP_BACKEND_URL" "$stack"; then
      stack_exists "$BACKEND" "$stack" || die "stack $stack is on neither $BOOTSTRAP_BACKEND_URL nor $BACKEND"
      echo "stack $stack is only on the production backend: already migrated"; continue
    fi
    if [[ $DRY_RUN -eq 1 ]] || ! stack_exists "$BACKEND" "$stack"; then
      step "migrate $stack to the production backend"
      pulumi_on "$BACKEND" stack migrate "$BOOTSTRAP_BACKEND_URL" "$stack" --secrets-provider "$PROVIDER" --yes
    fi
    step "compare both copies of $stack" "an interrupted migration can leave an empty production stack: remove it
with env PULUMI_BACKEND_URL=$(quote "$BACKEND") pulumi stack rm --stack $stack, then run: $RERUN"
    pulumi_on "$BOOTSTRAP_BACKEND_URL" stack export --stack "$stack" --file "$TMP_DIR/a.json"
    pulumi_on "$BACKEND" stack export --stack "$stack" --file "$TMP_DIR/b.json"
    if [[ $DRY_RUN -eq 0 ]]; then
      a=$(grep -c '"urn":' "$TMP_DIR/a.json" || true); b=$(grep -c '"urn":' "$TMP_DIR/b.json" || true)
      [[ $a == "$b" ]] || die "the production copy of $stack has $b resources, the source $a: the source is kept"
    fi
    step "remove $stack from the bootstrap backend"
    pulumi_on "$BOOTSTRAP_BACKEND_URL" stack rm --stack "$stack" --force --preserve-config --yes
  done
  commit_stack_files "$@"
}

drift() {
  [[ $# -eq 0 ]] || die "drift takes no arguments"
  need_backend; need_passphrase
  step "refresh --preview-only of the bootstrap stack" "changes above were made outside Pulumi: undo them by hand or with $0 recover"
  pulumi_on "$BOOTSTRAP_BACKEND_URL" refresh --stack "$BOOT" --preview-only --expect-no-changes --non-interactive
}

# save_bootstrap_state is the design's "archive the bootstrap state" for a local bootstrap backend: a copy, without
# the stale locks, into a bucket of the backend's account that the bootstrap stack does not build (the bucket made
# by bootstrap-bucket, say), with SSE-S3: a copy in the state bucket, or under the state key, would be lost with them.
save_bootstrap_state() {
  [[ $# -eq 1 && $1 =~ ^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(/.*)?$ ]] || die "save-bootstrap-state needs s3://BUCKET[/PREFIX]"
  local dest=${BASH_REMATCH[1]} prefix=${BASH_REMATCH[2]#/} key
  need_backend
  [[ $BOOTSTRAP_BACKEND_URL == file://* ]] || die "the bootstrap backend is $BOOTSTRAP_BACKEND_URL, not a local folder: every up already archives it there"
  step "read the bootstrap stack's outputs" "run $0 phase1 first, then: $RERUN"; key=$(output kmsKeyArn); backend_location "$key"
  [[ $dest != "$(output stateBucketName)" && $dest != "$(output logBucketName)" ]] ||
    die "$dest is a bucket of the backend the bootstrap state rebuilds: the copy would be lost with it"
  step "check that $dest is account $ACCOUNT's" # aws s3 sync cannot check the owner itself
  owned "$dest" || die "bucket $dest does not exist in account $ACCOUNT: make it with $0 bootstrap-bucket $dest"
  step "copy the bootstrap backend into $dest"
  run aws s3 sync "${BOOTSTRAP_BACKEND_URL#file://}" "s3://$dest/${prefix:-bootstrap-backend}/" --region "$REGION" \
    --sse AES256 --exclude '.pulumi/locks/*'
}

recover() {
  [[ $# -eq 0 ]] || die "recover takes no arguments"
  need_backend; need_passphrase; local_folder; separate_backend
  step "refresh the bootstrap stack" # drops from the state what was deleted outside Pulumi
  pulumi_on "$BOOTSTRAP_BACKEND_URL" refresh --stack "$BOOT" ${YES:+--yes}
  step "pulumi up of the bootstrap stack" # recreates it with the same names and settings
  pulumi_on "$BOOTSTRAP_BACKEND_URL" up --stack "$BOOT" ${YES:+--yes}
}

# restore copies an older version of a stack's state file over the current one (versioning keeps the one it
# replaces). It refuses while an update holds the stack's lock, and says so if one took it meanwhile. It finds the
# state file whichever compression the backend writes (.json, .json.gz, .json.zst: pulumi reads the content's), and
# the version under whichever of those keys it was written.
restore() {
  [[ $# -eq 2 && $1 =~ ^[A-Za-z0-9_.-]+$ && $2 =~ ^[A-Za-z0-9._+-]+$ ]] ||
    die "restore needs STACK VERSION_ID (list versions with: aws s3api list-object-versions)"
  need_backend
  local bucket key stack=$1 version=$2 object source
  step "read the bootstrap stack's outputs" "run $0 phase1 first, then: $RERUN"; bucket=$(output stateBucketName)
  key=$(output kmsKeyArn); backend_location "$key"; local s3=(--bucket "$bucket" --region "$REGION" --expected-bucket-owner "$ACCOUNT")
  step "check that no update holds the lock of $stack" "wait for it to end (or clear a stale lock: docs/BOOTSTRAP.md), then: $RERUN"
  ! locked || die "an update holds the lock of $stack"
  step "find the state file of $stack"
  read_aws aws s3api list-objects-v2 ${s3[@]+"${s3[@]}"} --prefix ".pulumi/stacks/$PROJECT/$stack.json" --query 'Contents[].Key' \
    --output text || read_failed $?
  object=$(tr '\t' '\n' <<<"$OUT" | grep -E "^\.pulumi/stacks/$PROJECT/$stack\.json(\.gz|\.zst)?$" || true)
  [[ -n $object && $object != *$'\n'* ]] || die "stack $stack has ${object:-no} state file${object:+s} in $bucket: expected exactly one"
  read_aws aws s3api list-object-versions ${s3[@]+"${s3[@]}"} --prefix ".pulumi/stacks/$PROJECT/$stack.json" \
    --query "Versions[?VersionId=='$version'].Key" --output text || read_failed $?
  source=$(tr '\t' '\n' <<<"$OUT" | grep -Ex "\.pulumi/stacks/$PROJECT/$stack\.json(\.gz|\.zst)?" | head -n 1 || true) # text output: per page
  [[ $source =~ ^\.pulumi/stacks/$PROJECT/$stack\.json(\.gz|\.zst)?$ ]] || die "no version $version of a state file of $stack"
  step "copy version $version of $source over $object"
  run aws s3api copy-object ${s3[@]+"${s3[@]}"} --key "$object" --copy-source "$bucket/$source?versionId=$version" \
    --expected-source-bucket-owner "$ACCOUNT"
  step "check that no update took the lock of $stack meanwhile" "read the stack (pulumi stack export) once the update
ends: it may have written over the restored state; restore again if so"
  [[ $DRY_RUN -eq 1 ]] || ! locked || die "an update of $stack took its lock during the restore"
}
# locked says whether an update holds the lock of $stack (an object under .pulumi/locks/.../<project>/<stack>/).
locked() {
  read_aws aws s3api list-objects-v2 ${s3[@]+"${s3[@]}"} --prefix ".pulumi/locks/" --query 'Contents[].Key' --output text || read_failed $?
  tr '\t' '\n' <<<"$OUT" | grep -qF "/$PROJECT/$stack/"
}

RERUN=$(words "$0" "$@")
while [[ $# -gt 0 ]]; do
  case $1 in
    --dry-run) DRY_RUN=1; shift ;;
    --yes) YES=yes; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) break ;;
  esac
done
[[ $# -gt 0 ]] || die "no command; see $0 --help"
[[ -f $PROJECT_DIR/Pulumi.yaml ]] || die "no Pulumi.yaml in $PROJECT_DIR (BOOTSTRAP_PROJECT_DIR)"
cd "$PROJECT_DIR"
trap on_exit EXIT; trap 'exit 130' INT; trap 'exit 143' TERM
TMP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/bootstrap.XXXXXX")
command=$1; shift
case $command in
  bootstrap-bucket|phase1|phase2|migrate|drift|save-bootstrap-state|recover|restore) "${command//-/_}" "$@" ;;
  teardown|empty-bucket|unlock) die "$command is a reviewed procedure in docs/BOOTSTRAP.md, no longer a command" ;;
  *) die "unknown command '$command'; see $0 --help" ;;
esac
