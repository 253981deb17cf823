#!/usr/bin/env bash
# check-stack-file.sh STACK [DIR]: exit 0 when DIR/Pulumi.<STACK>.yaml (DIR defaults to the repository root) has
# the two lines `pulumi stack init --secrets-provider awskms://...` writes for a stack on the production backend:
#
#   secretsprovider: awskms://alias/<alias>?region=<region>
#   encryptedkey: <the stack's data key, encrypted with that KMS key>
#
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
fi
if [[ $ok -eq 0 ]]; then
  if [[ $stack == bootstrap ]]; then
    echo "check-stack-file.sh: the bootstrap stack uses the passphrase provider and is never run from CI (docs/BOOTSTRAP.md)" >&2
  else
    echo "check-stack-file.sh: create them once with scripts/bootstrap.sh phase2 $stack (or migrate $stack) and commit them; see docs/BOOTSTRAP.md" >&2
  fi
  exit 1
fi
echo "$file: secretsprovider $provider and encryptedkey are there"
