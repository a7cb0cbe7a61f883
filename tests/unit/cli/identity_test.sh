#!/usr/bin/env bash
# `weft identity` end to end: new -> verify round trip, and the bad-input rules:
# truncated/corrupted files and secrets readable by others get a one-line error
# and a non-zero exit.
set -u
weft=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0
check() {  # check <description> <expected exit> <stderr pattern or ""> -- cmd...
  local what=$1 want=$2 pattern=$3; shift 4
  "$@" >"$dir/out" 2>"$dir/err"
  local rc=$?
  if [ "$rc" -ne "$want" ]; then
    echo "FAIL: $what: exit $rc, wanted $want"; cat "$dir/err"; failures=$((failures + 1)); return
  fi
  if [ -n "$pattern" ] && ! grep -q -- "$pattern" "$dir/err"; then
    echo "FAIL: $what: stderr lacks '$pattern':"; cat "$dir/err"; failures=$((failures + 1)); return
  fi
  if [ "$want" -eq 1 ] && [ "$(wc -l <"$dir/err")" -ne 1 ]; then
    echo "FAIL: $what: error is not one line:"; cat "$dir/err"; failures=$((failures + 1)); return
  fi
  echo "ok: $what"
}

check "--version" 0 "" -- "$weft" --version
grep -q '^weft [0-9]' "$dir/out" || { echo "FAIL: version text"; failures=$((failures + 1)); }

check "new writes files" 0 "" -- "$weft" identity new "$dir/id.secret" "$dir/id.public"
addr=$(cat "$dir/out")
[ "$(stat -c %a "$dir/id.secret")" = 600 ] || { echo "FAIL: secret mode"; failures=$((failures + 1)); }
check "verify secret" 0 "" -- "$weft" identity verify "$dir/id.secret"
grep -q "ok: $addr" "$dir/out" || { echo "FAIL: verify names the address"; failures=$((failures + 1)); }
check "verify public" 0 "" -- "$weft" identity verify "$dir/id.public"
check "show" 0 "" -- "$weft" identity show "$dir/id.secret"
grep -q "public:  $(cat "$dir/id.public")" "$dir/out" || { echo "FAIL: show prints public"; failures=$((failures + 1)); }
check "new refuses to overwrite" 1 "exists" -- "$weft" identity new "$dir/id.secret"

head -c 150 "$dir/id.secret" >"$dir/trunc" && chmod 600 "$dir/trunc"
check "truncated secret" 1 "truncated" -- "$weft" identity verify "$dir/trunc"
head -c 60 "$dir/id.public" >"$dir/trunc.pub"
check "truncated public" 1 "truncated" -- "$weft" identity verify "$dir/trunc.pub"
sed 's/^\(.\{20\}\)./\1z/' "$dir/id.public" >"$dir/bad.pub"
check "corrupted (not hex)" 1 "not an identity" -- "$weft" identity verify "$dir/bad.pub"
# Flip one hex digit of the keys: still well-formed, but the address no longer derives.
python3 - "$dir/id.public" "$dir/flip.pub" <<'PY'
import sys
t = open(sys.argv[1]).read()
i = 20
open(sys.argv[2], "w").write(t[:i] + ("1" if t[i] == "0" else "0") + t[i + 1:])
PY
check "corrupted (bit flip)" 1 "does not verify" -- "$weft" identity verify "$dir/flip.pub"
: >"$dir/empty"
check "empty file" 1 "truncated" -- "$weft" identity verify "$dir/empty"
check "missing file" 1 "no such file" -- "$weft" identity verify "$dir/nope"
chmod 640 "$dir/id.secret"
check "secret readable by group" 1 "chmod 600" -- "$weft" identity verify "$dir/id.secret"
chmod 604 "$dir/id.secret"
check "secret readable by others" 1 "chmod 600" -- "$weft" identity verify "$dir/id.secret"
check "usage error" 2 "" -- "$weft" identity verify

if [ "$failures" -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "cli identity: all passed"
