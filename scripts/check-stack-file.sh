#!/usr/bin/env bash
# check-stack-file.sh STACK [DIR]: exit 0 when DIR/Pulumi.<STACK>.yaml (DIR defaults to the repository root) has
# the two lines `pulumi stack init --secrets-provider awskms://...` writes for a stack on the production backend:
#
#   secretsprovider: awskms://alias/<alias>?region=<region>
#   encryptedkey: <the stack's data key, encrypted with that KMS key>
#
# and pins its account with a filled-in `aws:allowedAccountIds` list of 12-digit ids (the stack files ship the
# placeholder ACCOUNT_ID; the AWS provider refuses credentials of any other account before it creates anything),
# else exit 1 naming the file and the missing line (2 on bad usage). CI runs it before preview, up and refresh:
# CI runs pulumi non-interactively, and without these lines pulumi falls back to the passphrase secrets provider
# instead of the state key. They are created once, by a person: scripts/bootstrap.sh phase2 STACK (docs/BOOTSTRAP.md).
set -euo pipefail

usage() { echo "usage: $0 STACK [DIR]" >&2; exit 2; }
[[ $# -ge 1 && $# -le 2 ]] || usage
stack=$1
[[ $stack =~ ^[A-Za-z0-9_.-]+$ ]] || usage
dir=${2:-$(cd "$(dirname "$0")/.." && pwd)}
file="$dir/Pulumi.$stack.yaml"

fail() { echo "check-stack-file.sh: $file $*" >&2; }

# value prints the value of a top-level key, without quotes.
value() { sed -n "s/^$1:[[:space:]]*//p" "$file" | head -n 1 | sed -e 's/^["'\'']//' -e 's/["'\'']$//'; }

ok=1
if [[ ! -f $file ]]; then
  fail "does not exist"
  ok=0
else
  provider=$(value secretsprovider)
  key=$(value encryptedkey)
  if [[ -z $provider ]]; then
    fail "has no 'secretsprovider: awskms://alias/...?region=...' line"
    ok=0
  elif [[ $provider != awskms://* ]]; then
    fail "has 'secretsprovider: $provider', which does not start with awskms://"
    ok=0
  fi
  if [[ -z $key ]]; then
    fail "has no 'encryptedkey:' line"
    ok=0
  fi
  # The items of aws:allowedAccountIds, one a line: a flow list on the key's line, or a block list below it with
  # its items at the key's indent or deeper (pulumi writes them two spaces deeper). A scalar is not a list.
  accounts=$(awk '
    /^  aws:allowedAccountIds:/ {
      rest = $0; sub(/^  aws:allowedAccountIds:[[:space:]]*/, "", rest); sub(/[[:space:]]+#.*$/, "", rest)
      if (rest ~ /^\[/) { gsub(/[][,"\047]/, " ", rest); n = split(rest, ids, " "); for (i = 1; i <= n; i++) print ids[i]; exit }
      if (rest != "") { print "not a list: " rest; exit }
      inlist = 1; next
    }
    inlist && /^[[:space:]]*#/ { next }
    inlist && /^  +-/ { item = $0; sub(/^ +-[[:space:]]*/, "", item); sub(/[[:space:]]+#.*$/, "", item); gsub(/["\047]/, "", item); print item; next }
    inlist { exit }' "$file")
  if [[ -z $accounts ]]; then
    fail "has no 'aws:allowedAccountIds' list: name the stack's account so that other accounts' credentials are refused"
    ok=0
  else
    while IFS= read -r account; do
      if [[ $account == "not a list: "* ]]; then
        fail "has 'aws:allowedAccountIds: ${account#not a list: }', which is not a list of account ids"
        ok=0
      elif [[ ! $account =~ ^[0-9]{12}$ ]]; then
        fail "has '$account' in aws:allowedAccountIds, which is not a 12-digit account id (fill in the placeholder ACCOUNT_ID)"
        ok=0
      fi
    done <<<"$accounts"
  fi
  # Other keys that name the stack's account (the log archive's break-glass role ARN) ship the same placeholder.
  placeholders=$(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*-' -e 'aws:allowedAccountIds' "$file" | grep 'ACCOUNT_ID' | sed 's/^[[:space:]]*//' || true)
  if [[ -n $placeholders ]]; then
    while IFS= read -r line; do
      fail "still has the placeholder ACCOUNT_ID in '$line': fill in the stack's 12-digit account id"
    done <<<"$placeholders"
    ok=0
  fi
fi
if [[ $ok -eq 0 ]]; then
  if [[ $stack == bootstrap ]]; then
    echo "check-stack-file.sh: the bootstrap stack uses the passphrase provider and is never run from CI (docs/BOOTSTRAP.md)" >&2
  else
    echo "check-stack-file.sh: create the secrets provider's lines once with scripts/bootstrap.sh phase2 $stack (or migrate $stack), pin the account in aws:allowedAccountIds, and commit them; see docs/BOOTSTRAP.md" >&2
  fi
  exit 1
fi
echo "$file: secretsprovider $provider and encryptedkey are there; account $(tr '\n' ' ' <<<"$accounts" | sed 's/ $//') pinned"
