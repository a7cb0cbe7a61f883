#!/usr/bin/env bash
# The bench suite (README "Two commands", bench/README.md "The suite"): installs
# the build's dependencies (scripts/bootstrap.sh) and the bench's own tools from
# Debian (iperf3, wireguard-go, wireguard-tools, nftables, gnuplot-nox: not test
# dependencies), builds the release preset, then runs bench/suite.py: every Weft
# scenario beside kernel loopback, a veth pair and wireguard-go, measured in the
# same run, with a table on stdout, results.json and PNG plots.
#   scripts/bench.sh [suite.py options: --reps N --bytes B --loss 1,5 --out DIR]
# Needs root for the network namespaces (without it those scenarios are
# reported skipped). About 11 minutes on a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
tools=(iperf3 wireguard-go wireguard-tools nftables gnuplot-nox)
missing=()
for p in "${tools[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "bench: building the release preset (build/release)"
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target weft-intercept-bench >/dev/null
sudo=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && sudo="sudo"
exec $sudo python3 bench/suite.py --build-dir build/release "$@"
