#!/usr/bin/env bash
# Two-phase bootstrap of the production state backend, and its recovery and teardown. See docs/BOOTSTRAP.md.
#
#   scripts/bootstrap.sh [--dry-run] [--yes] COMMAND [ARGS]
#
# Commands:
#   phase1                      create the bootstrap stack on the self-managed backend and run it
#   phase2 STACK...             log in to the production backend and create/update each environment stack
#   migrate STACK...            move stacks from the bootstrap backend into the production backend
#   save-bootstrap-state        copy a file:// bootstrap backend into the state bucket (so it is not on one laptop)
#   recover                     rebuild a lost or damaged production backend by re-running the bootstrap stack
#   restore STACK VERSION_ID    make an older version of a stack's state file the current one
#   unlock STACK                clear a lock left by an interrupted update
#   teardown --i-understand     delete the production backend for good
#
# Environment:
#   BOOTSTRAP_BACKEND_URL       where the bootstrap stack's own state lives (default: file://$PWD/.bootstrap-state);
#                               prefer a small hand-made bucket: s3://NAME?region=R&awssdk=v2
#   PULUMI_CONFIG_PASSPHRASE    the bootstrap stack's passphrase (phase1, recover, migrate)
#
# --dry-run prints every command that changes something, prefixed with "+ ", and runs only read-only queries
# (stack outputs). --yes passes --yes to pulumi up; without it pulumi asks before changing anything.
set -euo pipefail

PROJECT=aws-foundation
BOOTSTRAP_STACK=bootstrap
BOOTSTRAP_BACKEND_URL=${BOOTSTRAP_BACKEND_URL:-file://$PWD/.bootstrap-state}
DRY_RUN=0
YES=()

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
  local sep=''
  for arg in "$@"; do printf '%s' "$sep"; quote "$arg"; sep=' '; done
}

# show prints a command line, prefixed with "+ ".
show() { printf '+ %s\n' "$(words "$@")"; }

# run prints a command that changes something and runs it unless --dry-run.
run() {
  show "$@"
  if [[ $DRY_RUN -eq 0 ]]; then "$@"; fi
}

# on_bootstrap runs a read-only pulumi command against the bootstrap backend without changing the login.
on_bootstrap() { PULUMI_BACKEND_URL=$BOOTSTRAP_BACKEND_URL pulumi "$@"; }

# output reads one output of the bootstrap stack; phase 2 and later refuse to run before phase 1 made them.
output() {
  local value
  if ! value=$(on_bootstrap stack output "$1" --stack "$BOOTSTRAP_STACK" 2>/dev/null) || [[ -z $value ]]; then
    die "phase 1 has not run: the bootstrap stack at $BOOTSTRAP_BACKEND_URL has no output '$1'. Run: $0 phase1"
  fi
  printf '%s' "$value"
}

need_passphrase() {
  if [[ -z ${PULUMI_CONFIG_PASSPHRASE:-} && $DRY_RUN -eq 0 ]]; then
    die "set PULUMI_CONFIG_PASSPHRASE: the bootstrap stack uses the passphrase secrets provider"
  fi
}

# select_or_init selects a stack, creating it with the given secrets provider if it does not exist yet.
select_or_init() {
  local stack=$1 provider=$2
  if [[ $DRY_RUN -eq 1 ]]; then
    printf '+ %s || %s\n' "$(words pulumi stack select "$stack")" \
      "$(words pulumi stack init "$stack" --secrets-provider "$provider")"
    return
  fi
  pulumi stack select "$stack" 2>/dev/null || run pulumi stack init "$stack" --secrets-provider "$provider"
}

login_bootstrap() {
  if [[ $BOOTSTRAP_BACKEND_URL == file://* ]]; then
    run mkdir -p "${BOOTSTRAP_BACKEND_URL#file://}"
  fi
  run pulumi login "$BOOTSTRAP_BACKEND_URL"
}

phase1() {
  need_passphrase
  login_bootstrap
  select_or_init "$BOOTSTRAP_STACK" passphrase
  run pulumi up --stack "$BOOTSTRAP_STACK" "${YES[@]}"
  if [[ $BOOTSTRAP_BACKEND_URL == file://* ]]; then
    echo "The bootstrap state is on this machine only. Next: $0 save-bootstrap-state"
  fi
}

phase2() {
  [[ $# -gt 0 ]] || die "phase2 needs at least one stack, for example: phase2 prod dev"
  local backend provider
  backend=$(output backendUrl)
  provider=$(output secretsProvider)
  run pulumi login "$backend"
  for stack in "$@"; do
    [[ $stack != "$BOOTSTRAP_STACK" ]] || die "the bootstrap stack never moves onto the backend it creates"
    select_or_init "$stack" "$provider"
    run pulumi up --stack "$stack" "${YES[@]}"
  done
}

migrate() {
  [[ $# -gt 0 ]] || die "migrate needs at least one stack"
  need_passphrase
  local backend provider dir
  backend=$(output backendUrl)
  provider=$(output secretsProvider)
  dir=$(mktemp -d)
  for stack in "$@"; do
    [[ $stack != "$BOOTSTRAP_STACK" ]] || die "the bootstrap stack stays on the bootstrap backend"
    # The export holds secrets in plain text: it lives in a private temporary folder and is removed below.
    run env PULUMI_BACKEND_URL="$BOOTSTRAP_BACKEND_URL" pulumi stack export --stack "$stack" --show-secrets --file "$dir/$stack.json"
    run pulumi login "$backend"
    run pulumi stack init "$stack" --secrets-provider "$provider"
    run pulumi stack import --stack "$stack" --file "$dir/$stack.json"
  done
  run rm -rf "$dir"
}

save_bootstrap_state() {
  [[ $BOOTSTRAP_BACKEND_URL == file://* ]] || die "the bootstrap backend is $BOOTSTRAP_BACKEND_URL, not a local folder: nothing to save"
  local bucket key
  bucket=$(output stateBucketName)
  key=$(output kmsKeyArn)
  run aws s3 sync "${BOOTSTRAP_BACKEND_URL#file://}" "s3://$bucket/bootstrap-backend/" --sse aws:kms --sse-kms-key-id "$key"
}

recover() {
  need_passphrase
  login_bootstrap
  # refresh drops what was deleted outside Pulumi from the state; up recreates it with the same names.
  run pulumi refresh --stack "$BOOTSTRAP_STACK" "${YES[@]}"
  run pulumi up --stack "$BOOTSTRAP_STACK" "${YES[@]}"
}

restore() {
  [[ $# -eq 2 ]] || die "restore needs STACK VERSION_ID (list versions with: aws s3api list-object-versions)"
  local bucket object
  bucket=$(output stateBucketName)
  object=".pulumi/stacks/$PROJECT/$1.json"
  echo "versions of s3://$bucket/$object: aws s3api list-object-versions --bucket $bucket --prefix $object"
  run aws s3api copy-object --bucket "$bucket" --key "$object" --copy-source "$bucket/$object?versionId=$2"
}

unlock() {
  [[ $# -eq 1 ]] || die "unlock needs STACK"
  local backend
  backend=$(output backendUrl)
  run pulumi login "$backend"
  run pulumi cancel --stack "$1" --yes
}

teardown() {
  [[ ${1:-} == --i-understand ]] || die "teardown deletes every stack's state for good; repeat with: teardown --i-understand"
  need_passphrase
  local bucket logs table key
  bucket=$(output stateBucketName)
  logs=$(output logBucketName)
  table=$(output lockTableName)
  key=$(output kmsKeyArn)
  login_bootstrap
  run pulumi state unprotect --all --stack "$BOOTSTRAP_STACK" --yes
  # retainOnDelete keeps the resources in AWS when Pulumi forgets them; they are deleted one by one below.
  run pulumi destroy --stack "$BOOTSTRAP_STACK" --yes
  run aws dynamodb update-table --table-name "$table" --no-deletion-protection-enabled
  run aws dynamodb delete-table --table-name "$table"
  for b in "$bucket" "$logs"; do
    run "$0" empty-bucket "$b"
    run aws s3api delete-bucket --bucket "$b"
  done
  run aws kms schedule-key-deletion --key-id "$key" --pending-window-in-days 30
}

# empty_bucket deletes every object version and delete marker, 1,000 at a time.
empty_bucket() {
  local bucket=$1 batch
  while :; do
    # shellcheck disable=SC2016 # the backticks are a JMESPath literal, not a shell expansion
    batch=$(aws s3api list-object-versions --bucket "$bucket" --max-items 1000 --output json \
      --query '{Objects: [Versions, DeleteMarkers][][].{Key: Key, VersionId: VersionId}, Quiet: `true`}')
    [[ $batch == *'"Key"'* ]] || break
    aws s3api delete-objects --bucket "$bucket" --delete "$batch" >/dev/null
  done
}

while [[ $# -gt 0 ]]; do
  case $1 in
    --dry-run) DRY_RUN=1; shift ;;
    --yes) YES=(--yes); shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
[[ $# -gt 0 ]] || die "no command; see $0 --help"
command=$1; shift
case $command in
  phase1) phase1 "$@" ;;
  phase2) phase2 "$@" ;;
  migrate) migrate "$@" ;;
  save-bootstrap-state) save_bootstrap_state "$@" ;;
  recover) recover "$@" ;;
  restore) restore "$@" ;;
  unlock) unlock "$@" ;;
  teardown) teardown "$@" ;;
  empty-bucket) empty_bucket "$@" ;;
  *) die "unknown command '$command'; see $0 --help" ;;
esac
