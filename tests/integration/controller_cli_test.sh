#!/usr/bin/env bash
# weft-controller driven end to end by the weft CLI over the admin API on
# loopback: every network/member command, --json, the exit codes and one-line
# errors, and a kill -9 of the controller that loses nothing committed.
set -u
controller_bin=$1
weft=$2
dir=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
failures=0
check() {  # check <description> <expected exit> <output pattern or ""> -- cmd...
  local what=$1 want=$2 pattern=$3; shift 4
  "$@" >"$dir/out" 2>"$dir/err"
  local rc=$?
  if [ "$rc" -ne "$want" ]; then
    echo "FAIL: $what: exit $rc, wanted $want"; cat "$dir/out" "$dir/err"; failures=$((failures + 1)); return
  fi
  if [ -n "$pattern" ] && ! grep -q -- "$pattern" "$dir/out" "$dir/err"; then
    echo "FAIL: $what: output lacks '$pattern':"; cat "$dir/out" "$dir/err"; failures=$((failures + 1)); return
  fi
  if [ "$want" -eq 1 ] && [ "$(wc -l <"$dir/err")" -ne 1 ]; then
    echo "FAIL: $what: error is not one line:"; cat "$dir/err"; failures=$((failures + 1)); return
  fi
  echo "ok: $what"
}

# Starts the controller and reads its port from its first line of output (a
# fifo: no polling, no sleeps).
start_controller() {
  rm -f "$dir/fifo"
  mkfifo "$dir/fifo"
  "$controller_bin" --db "$dir/controller.db" --identity "$dir/controller.secret" \
    --token-file "$dir/token" --port 0 >"$dir/fifo" 2>"$dir/controller.err" &
  pid=$!
  exec 3<"$dir/fifo"
  local line
  if ! read -r -t 30 -u 3 line || [[ "$line" != admin-port* ]]; then
    echo "FAIL: controller did not start"; cat "$dir/controller.err"; exit 1
  fi
  port=${line#admin-port }
  read -r -t 30 -u 3 line
  exec 3<&-
  export WEFT_API="http://127.0.0.1:$port"
}

start_controller
export WEFT_TOKEN_FILE="$dir/token"
[ "$(stat -c %a "$dir/token")" = 600 ] || { echo "FAIL: token file mode"; failures=$((failures + 1)); }

check "help" 0 "network" -- "$weft" --help
check "network help" 0 "create" -- "$weft" network --help
check "create" 0 "" -- "$weft" network create lab --domain lab.weft --pool 10.1.0.0/24 \
  --route 10.2.0.0/16@10.1.0.1
id=$(cat "$dir/out")
[[ "$id" =~ ^[0-9a-f]{16}$ ]] || { echo "FAIL: create printed '$id'"; failures=$((failures + 1)); }
check "list" 0 "$id  lab" -- "$weft" network list
check "list --json" 0 "\"name\": \"lab\"" -- "$weft" network list --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["networks"][0]["routes"][0]["via"]=="10.1.0.1"' "$dir/out" \
  || { echo "FAIL: list --json is not the API's JSON"; failures=$((failures + 1)); }

node=1122334455
check "authorize" 0 "authorized" -- "$weft" member authorize "$id" "$node"
check "set name and address" 0 "web.lab.weft" -- "$weft" member set "$id" "$node" --name web --ipv4 10.1.0.9
grep -q "10.1.0.9/24" "$dir/out" || { echo "FAIL: set shows the address"; failures=$((failures + 1)); }
check "member list" 0 "$node  authorized" -- "$weft" member list "$id"
check "member list --json" 0 "\"dns_name\": \"web.lab.weft\"" -- "$weft" member list "$id" --json
check "authorize second" 0 "" -- "$weft" member authorize "$id" 2233445566
check "second member cannot take the address" 1 "already" -- \
  "$weft" member set "$id" 2233445566 --ipv4 10.1.0.9
check "deauthorize" 0 "unauthorized" -- "$weft" member deauthorize "$id" "$node"
check "set with nothing to set" 2 "nothing to set" -- "$weft" member set "$id" "$node"
check "bad network id" 1 "16 hex digits" -- "$weft" member list nothex
check "bad pool" 1 "IPv4 pool" -- "$weft" network create bad --pool 10.0.0.0/40
check "missing argument is usage" 2 "" -- "$weft" member authorize "$id"

echo "0000000000000000000000000000000000" >"$dir/wrong" && chmod 600 "$dir/wrong"
check "wrong token" 1 "refused the token" -- "$weft" network list --token-file "$dir/wrong"
cp "$dir/token" "$dir/loose" && chmod 644 "$dir/loose"
check "token readable by others" 1 "chmod 600" -- "$weft" network list --token-file "$dir/loose"
check "no token" 1 "token" -- env -u WEFT_TOKEN_FILE "$weft" network list
check "no controller" 1 "cannot reach" -- "$weft" network list --api http://127.0.0.1:1

# kill -9 right after a committed change: the restarted controller has it.
check "create second" 0 "" -- "$weft" network create durable --public
second=$(cat "$dir/out")
kill -9 "$pid"; wait "$pid" 2>/dev/null; pid=""
start_controller
check "after kill -9" 0 "$second  durable" -- "$weft" network list
check "member kept" 0 "web.lab.weft" -- "$weft" member list "$id"

check "delete" 0 "deleted $id" -- "$weft" network delete "$id"
check "deleted is gone" 1 "not found" -- "$weft" member list "$id"

kill "$pid"; wait "$pid"; rc=$?; pid=""
[ "$rc" -eq 0 ] || { echo "FAIL: controller exit $rc on SIGTERM"; failures=$((failures + 1)); }

[ "$failures" -eq 0 ] && echo "all passed"
exit "$failures"
