#!/usr/bin/env bash
# The main demo: on loopback, a root, a network controller and two members.
# The controller is managed with the weft CLI; the members (weft-member, the
# test suite's member program until the SDK examples exist) get their
# addresses from it and echo TCP to each other through their user-space
# stacks over the encrypted overlay.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" >/dev/null
bin=build/release
weft=$bin/src/cli/weft
weftd=$bin/src/service/weftd
member=$bin/tests/integration/weft-member

dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

# Starts a background program whose output goes to a file; waits for a line.
start() {
  local name=$1 want=$2; shift 2
  "$@" >"$dir/$name.out" 2>"$dir/$name.err" &
  pids+=($!)
  for _ in $(seq 100); do
    grep -q "^$want" "$dir/$name.out" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "demo: $name did not start:"; cat "$dir/$name.err"; exit 1
}

echo "== a root"
start root "root " "$weftd" --root --state "$dir/root" --listen 127.0.0.1:0
root=$(awk '/^root /{print $2}' "$dir/root.out")
echo "   $root"

echo "== a network controller (a node on the overlay, admin API on loopback)"
start controller "token-file" "$weftd" --controller --state "$dir/controller" \
  --listen 127.0.0.1:0 --use-root "$root" --admin-port 0
api="http://127.0.0.1:$(awk '/^admin-port /{print $2}' "$dir/controller.out")"
export WEFT_TOKEN_FILE=$dir/controller/admin.token
echo "\$ weft network create demo --pool 10.147.17.0/24"
net=$("$weft" network create demo --pool 10.147.17.0/24 --api "$api")
echo "   network $net"

# Members read commands from a pipe each.
for m in alice bob; do
  mkfifo "$dir/$m.in"
  "$member" --state "$dir/$m" --root "$root" <"$dir/$m.in" >"$dir/$m.out" 2>"$dir/$m.err" &
  pids+=($!)
  exec {fd}>"$dir/$m.in"
  eval "${m}_fd=$fd"
done
for m in alice bob; do
  for _ in $(seq 100); do grep -q '^member ' "$dir/$m.out" && break; sleep 0.1; done
  addr=$(awk '/^member /{print $2}' "$dir/$m.out")
  echo "\$ weft member authorize $net $addr    # $m"
  "$weft" member authorize "$net" "$addr" --api "$api"
  eval "${m}_addr=$addr"
done

# shellcheck disable=SC2154  # alice_fd/bob_fd are set by eval above
{ echo "join $net" >&"$alice_fd"; echo "join $net" >&"$bob_fd"; }
for m in alice bob; do
  for _ in $(seq 200); do grep -q '^address \|^error' "$dir/$m.out" && break; sleep 0.1; done
  line=$(grep -m1 '^address \|^error' "$dir/$m.out")
  echo "   $m: $line"
  eval "${m}_v4=$(echo "$line" | awk '{print $3}')"
done
echo "echo-server 7" >&"$bob_fd"
for _ in $(seq 100); do grep -q '^listening' "$dir/bob.out" && break; sleep 0.1; done
# shellcheck disable=SC2154
echo "== alice sends 16 MiB to bob's TCP echo at $bob_v4:7 and checks every byte"
echo "echo $bob_v4 7 16777216" >&"$alice_fd"
for _ in $(seq 600); do grep -q '^echoed\|^error' "$dir/alice.out" && break; sleep 0.1; done
result=$(grep -m1 '^echoed\|^error' "$dir/alice.out" || echo "no answer")
echo "   $result"
echo "\$ weft member list $net"
"$weft" member list "$net" --api "$api"
[[ $result == echoed* ]]
