#!/usr/bin/env bash
# The demo, against a tree that is already built: scripts/demo-run.sh BUILD_DIR
# (scripts/demo.sh bootstraps, builds build/release and runs this; CTest runs it
# against its own build as demo.runs).
#
# On loopback, as an ordinary user: a root, a network controller and two node
# daemons (alice, bob), each with its own state directory. Both nodes join a
# network and are authorized and named; then `python3 -m http.server` on alice
# and curl on bob (fetching by name, alice.demo.weft), both unmodified under
# `weft run`, move a file over the encrypted overlay. Prints each command it runs, the nodes' addresses, the path and
# latency between them, and whether the file arrived byte-exact; stops
# everything it started (SIGTERM by pid) and exits non-zero if any step failed.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 BUILD_DIR   (a configured and built tree, e.g. build/release)" >&2
  exit 2
fi
[[ -d $1 ]] || { echo "demo: $1 is not a directory" >&2; exit 2; }
build=$(cd "$1" && pwd)
for f in src/cli/weft src/service/weftd; do
  [[ -x $build/$f ]] || { echo "demo: $build/$f is missing: build the tree first" >&2; exit 1; }
done
for p in python3 curl sha256sum; do
  command -v "$p" >/dev/null || { echo "demo: $p is not installed (scripts/bootstrap.sh installs it)" >&2; exit 1; }
done
# The commands are printed as they are run, so put the tree's weft and weftd first.
export PATH=$build/src/cli:$build/src/service:$PATH
# The demo's own daemons and this tree's preload, whatever the caller's shell set.
unset WEFT_STATE WEFT_PRELOAD
# So that http.server's "Serving HTTP on ..." line reaches its log file at once.
export PYTHONUNBUFFERED=1
# The system interpreter when there is one: a wrapper (a pyenv shim) would run
# a shell and more under the preload for nothing.
python=python3
[[ -x /usr/bin/python3 ]] && python=/usr/bin/python3

started=$(date +%s%N)
D=$(mktemp -d /tmp/weft-demo-XXXXXX)
pids=() names=()
status=1

# Stops what was started, newest first: SIGTERM, then up to 10 s for it to
# exit. A daemon must exit 0 (weftd's clean stop); http.server ends by the
# signal, as it should.
cleanup() {
  local rc=$? i p code
  trap - EXIT INT TERM
  [[ $status -eq 0 && $rc -ne 0 ]] && status=$rc
  if [[ ${#pids[@]} -gt 0 ]]; then
    echo "== stopping what the demo started (SIGTERM to ${#pids[@]} processes)"
  fi
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    p=${pids[i]}
    kill -TERM "$p" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$p" 2>/dev/null; then
      echo "demo: ${names[i]} (pid $p) ignored SIGTERM for 10 s; killing it" >&2
      kill -KILL "$p" 2>/dev/null || true
      status=1
    fi
    code=0
    wait "$p" 2>/dev/null || code=$?
    if [[ ${names[i]} == weftd* && $code -ne 0 ]]; then
      echo "demo: ${names[i]} exited $code after SIGTERM (expected 0); its log:" >&2
      tail -n 20 "$D/${names[i]#weftd }.err" >&2 || true
      status=1
    fi
  done
  rm -rf "$D"
  local took=$((($(date +%s%N) - started) / 1000000))
  if [[ $status -eq 0 ]]; then
    printf 'demo: ok (%d.%03d s)\n' $((took / 1000)) $((took % 1000))
  else
    printf 'demo: FAILED (%d.%03d s)\n' $((took / 1000)) $((took % 1000)) >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "demo: $*" >&2
  exit 1
}

# The command as it is run, with the scratch directory and the root's long
# identity shortened to the variables printed above it.
show() {
  local line="\$ $*"
  line=${line//"$D"/\$D}
  [[ -n ${ROOT:-} ]] && line=${line//"$ROOT"/\$ROOT}
  echo "$line"
}

indent() { sed 's/^/   /; s/[[:space:]]*$//'; }

# run CMD ARGS...: shows it, runs it, its output indented.
run() {
  show "$@"
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  [[ $rc -eq 0 ]] || { indent <<<"$out"; fail "the command above failed (exit $rc)"; }
  [[ -z $out ]] || indent <<<"$out"
}

# start NAME WANT CMD ARGS...: starts CMD in the background (stdout to
# $D/NAME.out, stderr to $D/NAME.err) and waits for a line starting with WANT.
start() {
  local name=$1 want=$2
  shift 2
  show "$@" "&"
  "$@" >"$D/$name.out" 2>"$D/$name.err" &
  pids+=($!)
  names+=("$1 $name")
  [[ $1 == weftd ]] || names[-1]="$name"
  for _ in $(seq 300); do
    grep -q "^$want" "$D/$name.out" 2>/dev/null && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "demo: $name did not start (no \"$want\" line); its stderr:" >&2
  indent <"$D/$name.err" >&2
  exit 1
}

# field FILE WORD: the second word of FILE's line that starts with WORD.
field() { awk -v w="$2" '$1 == w { print $2; exit }' "$1"; }

# json EXPRESSION: evaluates a Python expression over the JSON on stdin (j).
json() { "$python" -c "import json, sys; j = json.load(sys.stdin); print($1)"; }

echo "D=$D   # scratch directory, removed at the end"
echo "== a root and a network controller"
start root "root " weftd --root --state "$D/root" --listen 127.0.0.1:0
ROOT=$(field "$D/root.out" root)
echo "   root ${ROOT:0:10} on ${ROOT##*@}   (ROOT: its public identity@endpoint, as nodes take it)"
start controller "token-file " weftd --controller --state "$D/controller" --listen 127.0.0.1:0 \
  --use-root "$ROOT" --admin-port 0
WEFT_API=http://127.0.0.1:$(field "$D/controller.out" admin-port)
export WEFT_API WEFT_TOKEN_FILE=$D/controller/admin.token
echo "   admin API $WEFT_API (WEFT_API and WEFT_TOKEN_FILE are set for the weft commands)"
show weft network create demo --pool 10.147.17.0/24 --domain demo.weft
net=$(weft network create demo --pool 10.147.17.0/24 --domain demo.weft) ||
  fail "weft network create failed"
echo "   network $net"

echo "== two nodes (weftd: the node service), each with its own state directory"
declare -A addr ip4 ip6
for n in alice bob; do
  start "$n" "intercept " weftd --state "$D/$n" --use-root "$ROOT" --listen 127.0.0.1:0
  node=$(field "$D/$n.out" node)
  addr[$n]=${node:0:10}
  echo "   $n is node ${addr[$n]}"
done
for n in alice bob; do
  run weft join "$net" --state "$D/$n"
done
for n in alice bob; do
  run weft member authorize "$net" "${addr[$n]}"
  run weft member set "$net" "${addr[$n]}" --name "$n"
done

# The controller pushes the config to a member it has just authorized; wait for
# each node's addresses (milliseconds; 60 s allowed for a loaded machine).
echo "\$ weft networks --json --state \$D/NODE   # each node, until it has its addresses"
for n in alice bob; do
  for _ in $(seq 600); do
    nets=$(weft networks --json --state "$D/$n") || fail "weft networks failed on $n"
    ip4[$n]=$(echo "$nets" | json "' '.join(a.split('/')[0] for n in j['networks'] for a in n['addresses'] if '.' in a)")
    ip6[$n]=$(echo "$nets" | json "' '.join(a.split('/')[0] for n in j['networks'] for a in n['addresses'] if ':' in a)")
    [[ -n ${ip4[$n]} ]] && break
    sleep 0.1
  done
  [[ -n ${ip4[$n]} ]] || fail "$n got no address from the controller in 60 s"
done
printf '   %-5s  %-10s  %-15s  %s\n' node address IPv4 IPv6
for n in alice bob; do
  printf '   %-5s  %-10s  %-15s  %s\n' "$n" "${addr[$n]}" "${ip4[$n]}" "${ip6[$n]:--}"
done

echo "== python3 -m http.server on alice, curl on bob: unmodified, under weft run"
mkdir "$D/www"
head -c $((8 << 20)) /dev/urandom >"$D/www/file.bin"
start http "Serving HTTP on " weft run --state "$D/alice" -- "$python" -m http.server 8000 \
  --bind "${ip4[alice]}" --directory "$D/www"
# By name: the intercept resolves alice.demo.weft (docs/intercept.md "Names").
url=http://alice.demo.weft:8000/file.bin
t0=$(date +%s%N)
run weft run --state "$D/bob" -- curl -sS --fail -o "$D/fetched.bin" "$url"
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
bytes=$(stat -c %s "$D/fetched.bin")
sent=$(sha256sum <"$D/www/file.bin")
got=$(sha256sum <"$D/fetched.bin")
printf '   fetched %d bytes in %d.%03d s (weft run + curl, %s MB/s)\n' "$bytes" \
  $((ms / 1000)) $((ms % 1000)) "$(awk -v b="$bytes" -v ms="$ms" 'BEGIN { printf "%.1f", ms ? b / ms / 1000 : 0 }')"
echo "   sha256 served   ${sent%% *}"
echo "   sha256 fetched  ${got%% *}"
if [[ $sent == "$got" ]] && cmp -s "$D/www/file.bin" "$D/fetched.bin"; then
  echo "   byte-exact: yes"
else
  fail "the fetched file differs from the served one"
fi

echo "== the path between the nodes"
show weft peers --json --state "\$D/bob"
# A path's latency comes from its probes, sent every 5 s (peer::PathConfig): the
# first may still be on its way just after the transfer, so allow it 6 s.
deadline=$((SECONDS + 6))
while :; do
  peers=$(weft peers --json --state "$D/bob") || fail "weft peers failed on bob"
  peer_line=$(echo "$peers" | json "json.dumps(next((p for p in j['peers'] if p['address'] == '${addr[alice]}'), None))")
  [[ $peer_line == null ]] && fail "bob does not list alice among its peers"
  [[ $peer_line == *'"latency_ms": null'* && $SECONDS -lt $deadline ]] || break
  sleep 0.2
done
echo "$peer_line" | json "'   bob -> alice: {} via {}, latency {}; {} bytes in, {} bytes out'.format(
  j['path'], j['endpoint'], '-' if j.get('latency_ms') is None else '%.2f ms' % j['latency_ms'],
  j['bytes_in'], j['bytes_out'])"
status=0
