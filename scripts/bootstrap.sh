#!/usr/bin/env bash
# The bootstrap runbook: the production state backend, from nothing to running, and its recovery and teardown.
# See docs/BOOTSTRAP.md, which maps the design's phases to these commands.
#
#   scripts/bootstrap.sh [--dry-run] [--yes] COMMAND [ARGS]
#
# Commands, in the order of a first deployment:
#   bootstrap-bucket NAME [REGION]  make the small bucket that holds the bootstrap stack's own state, with the
#                               AWS CLI (REGION defaults to aws:region of Pulumi.bootstrap.yaml)
#   phase1                      create or update the bootstrap stack on that bucket; it creates the production backend
#   phase2 STACK...             create or update each environment stack on the production backend
#   migrate STACK...            move stacks from the bootstrap backend onto the production backend
#   drift                       refresh --preview-only --expect-no-changes of the bootstrap stack (run by a person)
#   save-bootstrap-state        copy a file:// bootstrap backend into the state bucket (so it is not on one laptop)
#   recover                     rebuild a lost or damaged production backend by re-running the bootstrap stack
#   restore STACK VERSION_ID    make an older version of a stack's state file the current one
#   unlock STACK                clear a lock left by an interrupted update
#   teardown --i-understand [--including-stacks]
#                               delete the production backend for good; it refuses while stacks' state is in the
#                               state bucket, unless --including-stacks (their state is then deleted with it)
#   empty-bucket BUCKET [ACCOUNT [REGION]]
#                               delete every object version of a bucket of ACCOUNT (default: the caller's account)
#                               in REGION (default: the backend's region); teardown uses it
#
# Environment:
#   BOOTSTRAP_BACKEND_URL       where the bootstrap stack's own state lives: 's3://NAME?region=R&awssdk=v2', a bucket
#                               made by bootstrap-bucket; a local folder (file://DIR) only if you opt in to it
#   PULUMI_CONFIG_PASSPHRASE    the bootstrap stack's passphrase (phase1, migrate, drift, recover, teardown)
#   BOOTSTRAP_RETRY_DELAY       seconds between attempts to delete a bucket that is not empty yet (default 30)
#   BOOTSTRAP_DELETE_ATTEMPTS   attempts to delete each bucket in teardown (default 10)
#   BOOTSTRAP_PROJECT_DIR       the Pulumi project, where Pulumi.<stack>.yaml live (default: the repository root)
#
# Every pulumi command names its backend (env PULUMI_BACKEND_URL=...): the script never depends on, nor changes,
# `pulumi login`. Every command is idempotent: after a failure, fix the cause and run the same command again.
# Every AWS call to the backend's resources names the backend's region (--region), read from the bootstrap stack's
# kmsKeyArn output, never the CLI's default region (AWS_REGION, AWS_DEFAULT_REGION, the profile's).
# --dry-run prints every command that changes something, prefixed with "+ ", and runs only read-only queries
# (stack outputs, and AWS reads printed as "# " lines). --yes passes --yes to pulumi up and refresh.
set -euo pipefail

PROJECT=aws-foundation
BOOTSTRAP_STACK=bootstrap
BOOTSTRAP_BACKEND_URL=${BOOTSTRAP_BACKEND_URL:-}
SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
PROJECT_DIR=${BOOTSTRAP_PROJECT_DIR:-$(dirname "$SCRIPT_DIR")}
RETRY_DELAY=${BOOTSTRAP_RETRY_DELAY:-30}
DELETE_ATTEMPTS=${BOOTSTRAP_DELETE_ATTEMPTS:-10}
DRY_RUN=0
YES=''
STEP=''
RESUME=''
TMP_DIR=''
PROBE_OUT=''
PROBE_ERR=''
RERUN=''
CALLER_ACCOUNT=''
CALLER_PARTITION=''
BACKEND_REGION=''
BACKEND_ACCOUNT=''
NL=$'\n'
TAB=$'\t'
# The operator's own backend must never decide where a command goes.
unset PULUMI_BACKEND_URL

die() { echo "bootstrap.sh: $*" >&2; exit 1; }

# quote prints an argument so that a shell reads it back unchanged: as is when it is plain, else single-quoted.
quote() {
  if [[ $1 =~ ^[A-Za-z0-9_./:=@,+%-]+$ ]]; then
    printf '%s' "$1"
  else
    printf "'%s'" "${1//\'/\'\\\'\'}"
  fi
}

# words prints a command line with each argument quoted as needed.
words() {
  local sep='' arg
  for arg in "$@"; do printf '%s' "$sep"; quote "$arg"; sep=' '; done
}

# show prints a command line, prefixed with "+ ".
show() { printf '+ %s\n' "$(words "$@")"; }

# run prints a command that changes something and runs it unless --dry-run.
run() {
  show "$@"
  if [[ $DRY_RUN -eq 0 ]]; then "$@"; fi
}

# pulumi_on BACKEND ARGS... prints and runs a pulumi command aimed at BACKEND.
pulumi_on() {
  local backend=$1
  shift
  run env "PULUMI_BACKEND_URL=$backend" pulumi "$@"
}

# probe runs a read-only AWS CLI call, also under --dry-run, and prints it as a "# " line. Its standard output is
# left in PROBE_OUT, its standard error in PROBE_ERR; it returns the call's status.
probe() {
  local rc=0
  printf '# %s\n' "$(words "$@")"
  PROBE_OUT=$("$@" 2>"$TMP_DIR/probe.err") || rc=$?
  PROBE_ERR=$(cat "$TMP_DIR/probe.err")
  return "$rc"
}

# probe_failed shows why the last probe failed and stops with its status.
probe_failed() {
  printf '%s\n' "$PROBE_ERR" >&2
  exit "$1"
}

# step names what the script does next, for the failure message; RESUME says how to go on after a failure there.
step() {
  STEP=$1
  RESUME=${2:-"fix the cause above, then run the same command again (it skips what is already done): $RERUN"}
}

# on_exit removes the temporary folder (stack exports, probe output) on every exit, and names the failed step.
on_exit() {
  local rc=$?
  if [[ -n $TMP_DIR ]]; then rm -rf "$TMP_DIR"; fi
  if [[ $rc -ne 0 && -n $STEP ]]; then
    echo "bootstrap.sh: FAILED at step \"$STEP\" (exit $rc)." >&2
    echo "bootstrap.sh: to resume, $RESUME" >&2
  fi
  exit "$rc"
}

need_backend() {
  case $BOOTSTRAP_BACKEND_URL in
    s3://*|file://*) ;;
    '') die "set BOOTSTRAP_BACKEND_URL='s3://NAME?region=R&awssdk=v2', the bucket made by: $0 bootstrap-bucket NAME" \
          "(a local folder, file://DIR, is an explicit opt-in: see docs/BOOTSTRAP.md)" ;;
    *) die "BOOTSTRAP_BACKEND_URL=$BOOTSTRAP_BACKEND_URL: expected s3://NAME?region=R&awssdk=v2 or file://DIR" ;;
  esac
}

need_passphrase() {
  if [[ -z ${PULUMI_CONFIG_PASSPHRASE:-} && $DRY_RUN -eq 0 ]]; then
    die "set PULUMI_CONFIG_PASSPHRASE: the bootstrap stack uses the passphrase secrets provider"
  fi
}

# output reads one output of the bootstrap stack; phase 2 and later refuse to run before phase 1 made them.
output() {
  local value
  if ! value=$(PULUMI_BACKEND_URL=$BOOTSTRAP_BACKEND_URL pulumi stack output "$1" --stack "$BOOTSTRAP_STACK" 2>/dev/null) ||
    [[ -z $value ]]; then
    die "phase 1 has not run: the bootstrap stack at $BOOTSTRAP_BACKEND_URL has no output '$1'. Run: $0 phase1"
  fi
  printf '%s' "$value"
}

# backend_location KEY_ARN sets BACKEND_REGION and BACKEND_ACCOUNT from the ARN of the backend's key, the bootstrap
# stack's kmsKeyArn output (arn:PARTITION:kms:REGION:ACCOUNT:key/ID): the key, the buckets and the lock table are
# all made by one provider, in one region and account. Every AWS call to the backend names that region: the CLI's
# default one may be another, where a table of the same name can belong to another backend. An ARN without a
# region or an account stops the command before any AWS call.
backend_location() {
  local service
  step "find the backend's region and account" "check the bootstrap stack's kmsKeyArn output:
  env $(quote "PULUMI_BACKEND_URL=$BOOTSTRAP_BACKEND_URL") pulumi stack output kmsKeyArn --stack $BOOTSTRAP_STACK
if it is damaged, rebuild it with $0 recover; then run: $RERUN"
  IFS=: read -r _ _ service BACKEND_REGION BACKEND_ACCOUNT _ <<<"$1"
  if [[ $service != kms ]] || ! valid_region "$BACKEND_REGION"; then
    die "the bootstrap stack's output kmsKeyArn is '$1', which names no region (expected" \
      "arn:PARTITION:kms:REGION:ACCOUNT:key/ID): refusing to guess the backend's region or to use the AWS CLI's" \
      "default one"
  fi
  [[ $BACKEND_ACCOUNT =~ ^[0-9]{12}$ ]] || die "the bootstrap stack's output kmsKeyArn is '$1', which names no account"
  STEP=''
}

# stack_exists says whether a stack exists on a backend (a failed read counts as absent).
stack_exists() { PULUMI_BACKEND_URL=$1 pulumi stack select "$2" >/dev/null 2>&1; }

# select_or_init selects a stack on a backend, creating it with the given secrets provider if it does not exist.
select_or_init() {
  local backend=$1 stack=$2 provider=$3
  if [[ $DRY_RUN -eq 1 ]]; then
    printf '+ %s || %s\n' "$(words env "PULUMI_BACKEND_URL=$backend" pulumi stack select "$stack")" \
      "$(words env "PULUMI_BACKEND_URL=$backend" pulumi stack init "$stack" --secrets-provider "$provider")"
    return
  fi
  if stack_exists "$backend" "$stack"; then
    echo "stack $stack exists on $backend: selected"
  else
    pulumi_on "$backend" stack init "$stack" --secrets-provider "$provider"
  fi
}

# stack_file_value prints the value of a top-level key of Pulumi.<stack>.yaml, without quotes.
stack_file_value() {
  local file="$PROJECT_DIR/Pulumi.$1.yaml"
  [[ -f $file ]] || return 0
  sed -n "s/^$2:[[:space:]]*//p" "$file" | head -n 1 | sed -e 's/^["'\'']//' -e 's/["'\'']$//'
}

# stack_files_to_commit checks that each environment stack's file holds the lines CI needs (it cannot create
# them: it runs non-interactively), and tells the operator exactly which lines to commit.
stack_files_to_commit() {
  local backend=$1 provider=$2 stack file missing='' fix
  shift 2
  fix="env $(quote "PULUMI_BACKEND_URL=$backend") pulumi stack change-secrets-provider --stack STACK"
  fix="$fix $(quote "$provider")"
  step "check the stack files" "write the missing lines with: $fix (a new data key; it re-encrypts the stack's
secrets), check them with: $SCRIPT_DIR/check-stack-file.sh STACK, and commit them"
  echo
  echo "Commit these lines: CI runs pulumi non-interactively and needs them to use the state key."
  for stack in "$@"; do
    file="Pulumi.$stack.yaml"
    if [[ $DRY_RUN -eq 1 ]]; then
      echo "  $file: secretsprovider: $provider"
      echo "  $file: encryptedkey: <the data key pulumi writes when it creates the stack>"
      continue
    fi
    if ! "$SCRIPT_DIR/check-stack-file.sh" "$stack" "$PROJECT_DIR" >/dev/null; then
      missing="$missing $stack"
      continue
    fi
    if [[ $(stack_file_value "$stack" secretsprovider) != "$provider" ]]; then
      echo "bootstrap.sh: $file has secretsprovider: $(stack_file_value "$stack" secretsprovider); expected $provider" >&2
      missing="$missing $stack"
      continue
    fi
    grep -E '^(secretsprovider|encryptedkey):' "$PROJECT_DIR/$file" | sed "s|^|  $file: |"
  done
  [[ -z $missing ]] || die "stack files that check-stack-file.sh refuses:$missing (it says why above: the state key's lines, or aws:allowedAccountIds)"
  printf '  git add'
  for stack in "$@"; do printf ' Pulumi.%s.yaml' "$stack"; done
  printf ' && git commit -m "Stack files: secrets provider and data key"\n'
  STEP=''
}

# valid_region says whether its argument looks like an AWS region (us-east-1, us-gov-west-1, ap-southeast-2).
valid_region() { [[ $1 =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]]; }

# caller_account REGION finds the account and partition of the AWS credentials in use, asking STS in REGION:
# CALLER_ACCOUNT, CALLER_PARTITION.
caller_account() {
  step "identify the AWS account" "check your AWS credentials (aws sts get-caller-identity), then run: $RERUN"
  probe aws sts get-caller-identity --region "$1" --query Arn --output text || probe_failed $?
  IFS=: read -r _ CALLER_PARTITION _ _ CALLER_ACCOUNT _ <<<"$PROBE_OUT"
  [[ $CALLER_ACCOUNT =~ ^[0-9]{12}$ ]] || die "unexpected caller identity '$PROBE_OUT'"
}

bootstrap_bucket() {
  [[ $# -ge 1 && $# -le 2 ]] || die "bootstrap-bucket needs NAME [REGION]"
  local bucket=$1 region=${2:-} partition account exists=0 rc=0
  [[ $bucket =~ ^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$ ]] ||
    die "bucket name '$bucket': 3-63 characters of a-z, 0-9 and -, starting and ending with a letter or digit"
  if [[ -z $region ]]; then
    region=$(sed -n 's/^[[:space:]]*aws:region:[[:space:]]*//p' "$PROJECT_DIR/Pulumi.bootstrap.yaml" 2>/dev/null | head -n 1)
  fi
  valid_region "$region" || die "region '$region': give one, for example: bootstrap-bucket $bucket us-east-1"

  caller_account "$region"
  partition=$CALLER_PARTITION
  account=$CALLER_ACCOUNT

  step "check whether bucket $bucket exists"
  probe aws s3api head-bucket --bucket "$bucket" --region "$region" --expected-bucket-owner "$account" || rc=$?
  if [[ $rc -eq 0 ]]; then
    exists=1
    echo "bucket $bucket exists in account $account: kept; its settings are applied again"
  else
    case $PROBE_ERR in
      *404*|*'Not Found'*|*NoSuchBucket*) echo "bucket $bucket does not exist: creating it" ;;
      *403*|*Forbidden*) die "bucket $bucket exists but is not this account's ($account), or you may not read it: pick another name" ;;
      *) probe_failed "$rc" ;;
    esac
  fi

  if [[ $exists -eq 0 ]]; then
    step "create bucket $bucket"
    if [[ $region == us-east-1 ]]; then
      run aws s3api create-bucket --bucket "$bucket" --region "$region" --object-ownership BucketOwnerEnforced
    else
      run aws s3api create-bucket --bucket "$bucket" --region "$region" --object-ownership BucketOwnerEnforced \
        --create-bucket-configuration "LocationConstraint=$region"
    fi
  fi
  step "block public access to bucket $bucket"
  s3api_on put-public-access-block --public-access-block-configuration \
    BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
  step "turn ACLs off on bucket $bucket"
  s3api_on put-bucket-ownership-controls --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'
  step "turn versioning on for bucket $bucket"
  s3api_on put-bucket-versioning --versioning-configuration Status=Enabled
  step "set default encryption of bucket $bucket"
  s3api_on put-bucket-encryption --server-side-encryption-configuration \
    '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'
  step "set the TLS-only policy of bucket $bucket"
  s3api_on put-bucket-policy --policy "$(tls_only_policy "$partition" "$bucket")"
  STEP=''
  echo
  echo "The bootstrap stack's state goes into this bucket:"
  echo "  export BOOTSTRAP_BACKEND_URL='s3://$bucket?region=$region&awssdk=v2'"
  echo "Next: $0 phase1"
}

# s3api_on SUBCOMMAND ARGS... changes the bucket of bootstrap_bucket, in its region, only if this account owns it.
s3api_on() {
  local sub=$1
  shift
  run aws s3api "$sub" --bucket "$bucket" --region "$region" --expected-bucket-owner "$account" "$@"
}

# tls_only_policy denies every request to the bucket and its objects that does not use TLS.
tls_only_policy() {
  printf '{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*",'
  printf '"Action":"s3:*","Resource":["arn:%s:s3:::%s","arn:%s:s3:::%s/*"],' "$1" "$2" "$1" "$2"
  printf '"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}'
}

phase1() {
  [[ $# -eq 0 ]] || die "phase1 takes no arguments"
  need_backend
  need_passphrase
  if [[ $BOOTSTRAP_BACKEND_URL == file://* ]]; then
    step "make the local bootstrap backend folder"
    run mkdir -p "${BOOTSTRAP_BACKEND_URL#file://}"
  fi
  step "select or create the bootstrap stack on $BOOTSTRAP_BACKEND_URL" "check that the backend exists and that
you may read it (make the bucket with: $0 bootstrap-bucket NAME), then run: $RERUN"
  select_or_init "$BOOTSTRAP_BACKEND_URL" "$BOOTSTRAP_STACK" passphrase
  step "pulumi up of the bootstrap stack"
  pulumi_on "$BOOTSTRAP_BACKEND_URL" up --stack "$BOOTSTRAP_STACK" ${YES:+--yes}
  STEP=''
  if [[ $DRY_RUN -eq 0 && -n $(stack_file_value "$BOOTSTRAP_STACK" encryptionsalt) ]]; then
    echo "Commit this line of Pulumi.$BOOTSTRAP_STACK.yaml (everyone who runs the bootstrap stack needs it):"
    echo "  encryptionsalt: $(stack_file_value "$BOOTSTRAP_STACK" encryptionsalt)"
  fi
  if [[ $BOOTSTRAP_BACKEND_URL == file://* ]]; then
    echo "The bootstrap state is on this machine only. Next: $0 save-bootstrap-state"
  fi
  echo "Next: $0 phase2 STACK..."
}

phase2() {
  [[ $# -gt 0 ]] || die "phase2 needs at least one stack, for example: phase2 prod dev"
  local backend provider stack
  for stack in "$@"; do
    [[ $stack != "$BOOTSTRAP_STACK" ]] || die "the bootstrap stack never moves onto the backend it creates"
  done
  need_backend
  step "read the bootstrap stack's outputs" "run $0 phase1 first, then: $RERUN"
  backend=$(output backendUrl)
  provider=$(output secretsProvider)
  for stack in "$@"; do
    step "select or create stack $stack on the production backend"
    select_or_init "$backend" "$stack" "$provider"
    step "pulumi up of stack $stack"
    pulumi_on "$backend" up --stack "$stack" ${YES:+--yes}
  done
  stack_files_to_commit "$backend" "$provider" "$@"
}

# urns counts the resources of a stack export.
urns() { grep -c '"urn":' "$1" || true; }

# migrate_stack moves one stack from the bootstrap backend to the production backend with the CLI's own
# `pulumi stack migrate`, which re-encrypts the stack's secrets with the state key as it copies the checkpoint (no
# file ever holds them in plain text) and rewrites Pulumi.<stack>.yaml for the new provider. The source is removed
# only once the production copy has every resource (the DIY backend keeps a .bak copy).
migrate_stack() {
  local backend=$1 provider=$2 stack=$3 on_source=1 on_target=0
  local exported="$TMP_DIR/$stack.json" imported="$TMP_DIR/$stack.imported.json"
  step "look for stack $stack on both backends"
  if [[ $DRY_RUN -eq 0 ]]; then
    stack_exists "$BOOTSTRAP_BACKEND_URL" "$stack" || on_source=0
    if stack_exists "$backend" "$stack"; then on_target=1; fi
    if [[ $on_source -eq 0 && $on_target -eq 1 ]]; then
      echo "stack $stack is on the production backend and no longer on the bootstrap backend: already migrated"
      return
    fi
    [[ $on_source -eq 1 ]] || die "stack $stack is on neither $BOOTSTRAP_BACKEND_URL nor $backend (or they cannot be read)"
  fi
  if [[ $on_target -eq 0 ]]; then
    step "migrate $stack to the production backend"
    pulumi_on "$backend" stack migrate "$BOOTSTRAP_BACKEND_URL" "$stack" --secrets-provider "$provider" --yes
  fi
  step "check the production copy of $stack"
  pulumi_on "$BOOTSTRAP_BACKEND_URL" stack export --stack "$stack" --file "$exported"
  pulumi_on "$backend" stack export --stack "$stack" --file "$imported"
  if [[ $DRY_RUN -eq 0 && $(urns "$exported") != "$(urns "$imported")" ]]; then
    die "the production copy of $stack has $(urns "$imported") resources, the source $(urns "$exported"): the source is kept" \
      "(an interrupted migration can leave an empty production stack: remove it with" \
      "env PULUMI_BACKEND_URL=$(quote "$backend") pulumi stack rm --stack $stack, then run the same command again)"
  fi
  step "remove $stack from the bootstrap backend"
  pulumi_on "$BOOTSTRAP_BACKEND_URL" stack rm --stack "$stack" --force --preserve-config --yes
  run rm -f "$exported" "$imported"
}

migrate() {
  [[ $# -gt 0 ]] || die "migrate needs at least one stack"
  local backend provider stack
  for stack in "$@"; do
    [[ $stack != "$BOOTSTRAP_STACK" ]] || die "the bootstrap stack stays on the bootstrap backend"
  done
  need_backend
  need_passphrase
  step "read the bootstrap stack's outputs" "run $0 phase1 first, then: $RERUN"
  backend=$(output backendUrl)
  provider=$(output secretsProvider)
  for stack in "$@"; do migrate_stack "$backend" "$provider" "$stack"; done
  stack_files_to_commit "$backend" "$provider" "$@"
}

drift() {
  [[ $# -eq 0 ]] || die "drift takes no arguments"
  need_backend
  need_passphrase
  step "refresh --preview-only of the bootstrap stack" "read pulumi's output above. Changes mean the production
backend was changed outside Pulumi: undo them by hand, or put them back with $0 recover; then run: $RERUN"
  pulumi_on "$BOOTSTRAP_BACKEND_URL" refresh --stack "$BOOTSTRAP_STACK" --preview-only --expect-no-changes --non-interactive
  STEP=''
  if [[ $DRY_RUN -eq 0 ]]; then echo "no drift: the production backend matches the bootstrap stack"; fi
}

save_bootstrap_state() {
  need_backend
  [[ $BOOTSTRAP_BACKEND_URL == file://* ]] || die "the bootstrap backend is $BOOTSTRAP_BACKEND_URL, not a local folder: nothing to save"
  local bucket key
  step "read the bootstrap stack's outputs" "run $0 phase1 first, then: $RERUN"
  bucket=$(output stateBucketName)
  key=$(output kmsKeyArn)
  backend_location "$key"
  # aws s3 sync cannot check who owns the bucket: head-bucket does, first, and a bucket of another account stops it.
  step "check that $bucket is the backend account's"
  bucket_exists "$bucket" "$BACKEND_ACCOUNT" "$BACKEND_REGION" ||
    die "the state bucket $bucket does not exist: rebuild the backend with $0 recover, then run: $RERUN"
  step "copy the bootstrap backend into the state bucket"
  run aws s3 sync "${BOOTSTRAP_BACKEND_URL#file://}" "s3://$bucket/bootstrap-backend/" --region "$BACKEND_REGION" \
    --sse aws:kms --sse-kms-key-id "$key"
}

recover() {
  [[ $# -eq 0 ]] || die "recover takes no arguments"
  need_backend
  need_passphrase
  if [[ $BOOTSTRAP_BACKEND_URL == file://* ]]; then
    step "make the local bootstrap backend folder"
    run mkdir -p "${BOOTSTRAP_BACKEND_URL#file://}"
  fi
  # refresh drops what was deleted outside Pulumi from the state; up recreates it with the same names.
  step "refresh the bootstrap stack"
  pulumi_on "$BOOTSTRAP_BACKEND_URL" refresh --stack "$BOOTSTRAP_STACK" ${YES:+--yes}
  step "pulumi up of the bootstrap stack"
  pulumi_on "$BOOTSTRAP_BACKEND_URL" up --stack "$BOOTSTRAP_STACK" ${YES:+--yes}
}

restore() {
  [[ $# -eq 2 ]] || die "restore needs STACK VERSION_ID (list versions with: aws s3api list-object-versions)"
  need_backend
  local bucket key object region account
  step "read the bootstrap stack's outputs" "run $0 phase1 first, then: $RERUN"
  bucket=$(output stateBucketName)
  key=$(output kmsKeyArn)
  backend_location "$key"
  region=$BACKEND_REGION
  account=$BACKEND_ACCOUNT
  object=".pulumi/stacks/$PROJECT/$1.json"
  echo "versions of s3://$bucket/$object: aws s3api list-object-versions --bucket $bucket --region $region" \
    "--expected-bucket-owner $account --prefix $object"
  # Both buckets of the copy (here the same one) must be the backend account's, else S3 refuses it (403).
  step "copy version $2 of $object over the current one"
  run aws s3api copy-object --bucket "$bucket" --key "$object" --copy-source "$bucket/$object?versionId=$2" \
    --region "$region" --expected-bucket-owner "$account" --expected-source-bucket-owner "$account"
}

unlock() {
  [[ $# -eq 1 ]] || die "unlock needs STACK"
  need_backend
  local backend
  step "read the bootstrap stack's outputs" "run $0 phase1 first, then: $RERUN"
  backend=$(output backendUrl)
  step "cancel the update of $1"
  pulumi_on "$backend" cancel --stack "$1" --yes
}

# bucket_exists BUCKET ACCOUNT REGION says whether BUCKET exists in ACCOUNT. A bucket of that name in another
# account, or one this account may not read, stops the command: nothing of it is touched. Any other failure stops
# it too.
bucket_exists() {
  local rc=0
  probe aws s3api head-bucket --bucket "$1" --region "$3" --expected-bucket-owner "$2" || rc=$?
  [[ $rc -ne 0 ]] || return 0
  case $PROBE_ERR in
    *404*|*'Not Found'*|*NoSuchBucket*) return 1 ;;
    *403*|*Forbidden*)
      printf '%s\n' "$PROBE_ERR" >&2
      die "bucket $1 is not account $2's, or you may not read it: nothing in it is touched" ;;
    *) probe_failed "$rc" ;;
  esac
}

# states_in_keys reads the keys of a bucket's current objects, separated by tabs or line breaks, and prints one a line
# the state among them: each stack's state file (.pulumi/stacks/PROJECT/STACK.json or .json.gz, printed as
# PROJECT/STACK; a removed stack leaves only a .json.bak, which does not count), and each Terraform state (a key
# ending in .tfstate, printed as "terraform KEY").
states_in_keys() {
  tr '\t' '\n' | sed -n -E \
    -e 's#^\.pulumi/stacks/(([^/]+/)?[^/]+)\.json(\.gz)?$#\1#p' \
    -e 's#^(.*\.tfstate)$#terraform \1#p'
}

# delete_bucket BUCKET ACCOUNT REGION empties a bucket of ACCOUNT and deletes it, trying again while S3 answers
# BucketNotEmpty: access logs of earlier requests keep arriving for a while after logging is turned off.
delete_bucket() {
  local bucket=$1 account=$2 region=$3 attempt=1 err
  while :; do
    show "$0" empty-bucket "$bucket" "$account" "$region"
    if [[ $DRY_RUN -eq 0 ]]; then empty_bucket "$bucket" "$account" "$region"; fi
    show aws s3api delete-bucket --bucket "$bucket" --region "$region" --expected-bucket-owner "$account"
    [[ $DRY_RUN -eq 0 ]] || return 0
    if err=$(aws s3api delete-bucket --bucket "$bucket" --region "$region" --expected-bucket-owner "$account" 2>&1); then
      return 0
    fi
    printf '%s\n' "$err" >&2
    case $err in *BucketNotEmpty*) ;; *) return 1 ;; esac
    if [[ $attempt -ge $DELETE_ATTEMPTS ]]; then
      echo "bootstrap.sh: $bucket was still not empty after $DELETE_ATTEMPTS attempts (late access logs)" >&2
      return 1
    fi
    echo "$bucket is not empty yet (attempt $attempt of $DELETE_ATTEMPTS): trying again in ${RETRY_DELAY}s"
    sleep "$RETRY_DELAY"
    attempt=$((attempt + 1))
  done
}

# teardown deletes the AWS resources first and forgets them in Pulumi last, so the bootstrap stack's outputs, and
# this command, stay usable until the end: after a failure, running it again resumes where it stopped. Every AWS call
# names the backend's region (--region), and every bucket call its account (--expected-bucket-owner): a table or
# bucket of the same name in another region or account is never touched.
teardown() {
  local confirmed=0 including_stacks=0 arg
  for arg in "$@"; do
    case $arg in
      --i-understand) confirmed=1 ;;
      --including-stacks) including_stacks=1 ;;
      *) die "teardown takes --i-understand [--including-stacks], not '$arg'" ;;
    esac
  done
  [[ $confirmed -eq 1 ]] || die "teardown deletes every stack's state for good; repeat with: teardown --i-understand"
  need_backend
  need_passphrase
  local bucket logs table key region account rc state_bucket=0 states backend
  step "read the bootstrap stack's outputs" "the bootstrap stack has no outputs: if an earlier teardown got as
far as pulumi destroy, it is done; else run $0 phase1 first"
  bucket=$(output stateBucketName)
  logs=$(output logBucketName)
  table=$(output lockTableName)
  key=$(output kmsKeyArn)

  # The backend's region and account are those of its key; every call below is made in them.
  backend_location "$key"
  region=$BACKEND_REGION
  caller_account "$region"
  account=$CALLER_ACCOUNT
  [[ $BACKEND_ACCOUNT == "$account" ]] || die "the backend is in account $BACKEND_ACCOUNT (its key is $key)," \
    "your AWS credentials are for account $account: use credentials for the backend's account"

  step "look for stacks' state in $bucket"
  if bucket_exists "$bucket" "$account" "$region"; then
    state_bucket=1
    probe aws s3api list-objects-v2 --bucket "$bucket" --region "$region" --expected-bucket-owner "$account" \
      --query 'Contents[].Key' --output text || probe_failed $?
    states=$(printf '%s\n' "$PROBE_OUT" | states_in_keys)
    if [[ -n $states ]]; then
      if [[ $including_stacks -eq 0 ]]; then
        backend="env $(quote "PULUMI_BACKEND_URL=$(output backendUrl)") pulumi"
        step "look for stacks' state in $bucket" "destroy or move each of them first. Destroy a stack with:
  $backend destroy --stack STACK
  $backend stack rm --stack STACK
or move it to another backend (pulumi stack export here, pulumi stack init and stack import there, then
pulumi stack rm here). A Terraform state: terraform destroy, or terraform init -migrate-state to another backend.
Then run: $RERUN
To delete their state with the backend anyway (their resources then stay in AWS, managed by nothing), run:
$RERUN --including-stacks"
        die "the state bucket $bucket still holds the state of: ${states//$NL/, }"
      fi
      echo "--including-stacks: deleting with the backend the state of: ${states//$NL/, }"
      echo "  their resources stay in AWS, managed by nothing"
    fi
  else
    echo "bucket $bucket does not exist: skipped"
  fi
  step "turn off access logging of $bucket"
  if [[ $state_bucket -eq 1 ]]; then
    run aws s3api put-bucket-logging --bucket "$bucket" --region "$region" --expected-bucket-owner "$account" \
      --bucket-logging-status '{}'
  fi
  step "delete the lock table $table"
  rc=0
  probe aws dynamodb describe-table --table-name "$table" --region "$region" --query Table.TableStatus --output text ||
    rc=$?
  if [[ $rc -eq 0 ]]; then
    run aws dynamodb update-table --table-name "$table" --region "$region" --no-deletion-protection-enabled
    run aws dynamodb delete-table --table-name "$table" --region "$region"
  elif [[ $PROBE_ERR == *ResourceNotFoundException* ]]; then
    echo "table $table does not exist: skipped"
  else
    probe_failed "$rc"
  fi
  step "empty and delete the state bucket $bucket"
  if [[ $state_bucket -eq 1 ]]; then delete_bucket "$bucket" "$account" "$region"; fi
  step "empty and delete the log bucket $logs"
  if bucket_exists "$logs" "$account" "$region"; then
    delete_bucket "$logs" "$account" "$region"
  else
    echo "bucket $logs does not exist: skipped"
  fi
  step "schedule the deletion of the state key"
  rc=0
  probe aws kms describe-key --key-id "$key" --region "$region" --query KeyMetadata.KeyState --output text || rc=$?
  if [[ $rc -ne 0 ]]; then
    probe_failed "$rc"
  elif [[ $PROBE_OUT == PendingDeletion ]]; then
    echo "key $key is already pending deletion: skipped"
  else
    run aws kms schedule-key-deletion --key-id "$key" --region "$region" --pending-window-in-days 30
  fi
  step "forget the backend in the bootstrap stack"
  pulumi_on "$BOOTSTRAP_BACKEND_URL" state unprotect --all --stack "$BOOTSTRAP_STACK" --yes
  # retainOnDelete: destroy only forgets the resources, which are already deleted above.
  pulumi_on "$BOOTSTRAP_BACKEND_URL" destroy --stack "$BOOTSTRAP_STACK" --yes
}

# delete_documents turns the listing's "KEY<tab>VERSION_ID" lines into delete-objects documents of at most 1,000
# keys each (the call's limit), printed one a line as "COUNT<tab>DOCUMENT". It fails on an entry it cannot take
# apart safely (a key with a tab or a line break, or no version id) rather than delete the wrong thing.
delete_documents() {
  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | awk -F '\t' '
    $0 == "" || $0 == "None" { next }
    NF != 2 || $1 == "" || $2 !~ /^[A-Za-z0-9._=+\/-]+$/ {
      print "bootstrap.sh: cannot take this listed entry apart: " $0 | "cat 1>&2"
      bad = 1
      exit
    }
    {
      doc = doc sep "{\"Key\":\"" $1 "\",\"VersionId\":\"" $2 "\"}"
      sep = ","
      n++
    }
    n == 1000 { print n "\t{\"Objects\":[" doc "],\"Quiet\":true}"; doc = ""; sep = ""; n = 0 }
    END {
      if (bad) exit 1
      if (n > 0) print n "\t{\"Objects\":[" doc "],\"Quiet\":true}"
    }'
}

# empty_bucket BUCKET ACCOUNT REGION deletes every object version and delete marker of a bucket of ACCOUNT. Each
# listing is one request for at most 1,000 entries, versions and delete markers together (--max-keys counts both;
# --max-items would count only versions), and each delete-objects call carries at most 1,000 keys whatever the
# listing held. The document goes in a file: 1,000 keys can exceed what Linux allows one command-line argument
# (128 KiB). A key S3 refuses to delete stops it, with S3's reasons, instead of listing it again forever.
empty_bucket() {
  local bucket=$1 account=$2 region=$3 listing documents document count errors file="$TMP_DIR/delete.json"
  while :; do
    listing=$(aws s3api list-object-versions --bucket "$bucket" --region "$region" --expected-bucket-owner "$account" \
      --no-paginate --max-keys 1000 --output text --query '[Versions, DeleteMarkers][][].[Key, VersionId]')
    documents=$(printf '%s\n' "$listing" | delete_documents) ||
      die "bucket $bucket holds an entry this script cannot delete (above); delete it by hand: aws s3api" \
        "delete-object --bucket $bucket --region $region --expected-bucket-owner $account --key KEY" \
        "--version-id VERSION_ID"
    [[ -n $documents ]] || return 0
    while IFS=$TAB read -r count document; do
      printf '%s\n' "$document" >"$file"
      errors=$(aws s3api delete-objects --bucket "$bucket" --region "$region" --expected-bucket-owner "$account" \
        --delete "file://$file" --output json --query Errors </dev/null)
      case $errors in
        ''|null|'[]') echo "deleted $count object versions and delete markers of $bucket" ;;
        *) printf '%s\n' "$errors" >&2; die "S3 did not delete every listed version of $bucket (its reasons above)" ;;
      esac
    done <<<"$documents"
  done
}

# empty_bucket_command is the empty-bucket command: BUCKET [ACCOUNT [REGION]], ACCOUNT by default the caller's,
# REGION by default the backend's (from the bootstrap stack's kmsKeyArn output), never the AWS CLI's default.
empty_bucket_command() {
  [[ $# -ge 1 && $# -le 3 ]] || die "empty-bucket needs BUCKET [ACCOUNT [REGION]]"
  local account=${2:-} region=${3:-} key
  if [[ -z $region ]]; then
    [[ -n $BOOTSTRAP_BACKEND_URL ]] || die "empty-bucket needs a region: give BUCKET ACCOUNT REGION, or set" \
      "BOOTSTRAP_BACKEND_URL so that it uses the backend's region (from the bootstrap stack's kmsKeyArn output)"
    need_backend
    step "read the bootstrap stack's outputs" "give the region (empty-bucket BUCKET ACCOUNT REGION), or run $0 phase1
first, then: $RERUN"
    key=$(output kmsKeyArn)
    backend_location "$key"
    region=$BACKEND_REGION
  fi
  valid_region "$region" || die "region '$region': for example us-east-1"
  if [[ -z $account ]]; then
    caller_account "$region"
    account=$CALLER_ACCOUNT
  fi
  [[ $account =~ ^[0-9]{12}$ ]] || die "account '$account': 12 digits"
  step "empty bucket $1"
  if [[ $DRY_RUN -eq 1 ]]; then
    show "$0" empty-bucket "$1" "$account" "$region"
    return
  fi
  empty_bucket "$1" "$account" "$region"
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
[[ $RETRY_DELAY =~ ^[0-9]+$ ]] || die "BOOTSTRAP_RETRY_DELAY=$RETRY_DELAY: a whole number of seconds"
[[ $DELETE_ATTEMPTS =~ ^[1-9][0-9]*$ ]] || die "BOOTSTRAP_DELETE_ATTEMPTS=$DELETE_ATTEMPTS: a positive whole number"
[[ -f $PROJECT_DIR/Pulumi.yaml ]] || die "no Pulumi.yaml in $PROJECT_DIR (BOOTSTRAP_PROJECT_DIR)"
cd "$PROJECT_DIR"
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
TMP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/bootstrap.XXXXXX")
command=$1
shift
case $command in
  bootstrap-bucket) bootstrap_bucket "$@" ;;
  phase1) phase1 "$@" ;;
  phase2) phase2 "$@" ;;
  migrate) migrate "$@" ;;
  drift) drift "$@" ;;
  save-bootstrap-state) save_bootstrap_state "$@" ;;
  recover) recover "$@" ;;
  restore) restore "$@" ;;
  unlock) unlock "$@" ;;
  teardown) teardown "$@" ;;
  empty-bucket) empty_bucket_command "$@" ;;
  *) die "unknown command '$command'; see $0 --help" ;;
esac
