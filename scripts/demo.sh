#!/usr/bin/env bash
# The main demo (README command 1), on a fresh machine: installs what the build
# needs (scripts/bootstrap.sh), builds the release preset, then runs the demo
# itself, scripts/demo-run.sh: on loopback and as an ordinary user, a root, a
# network controller and two node daemons; python3 -m http.server on one node
# and curl on the other, both unmodified under `weft run`, move a file over the
# encrypted overlay, checked byte for byte. CTest runs demo-run.sh too (demo.runs).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
echo "demo: building weftd, weft and the intercept (release preset, build/release)"
cmake --preset release >/dev/null
# Only what the demo runs: the whole tree with its tests is scripts/test.sh's.
cmake --build --preset release -j "$(nproc)" --target weftd weft_cli weft-preload >/dev/null
exec ./scripts/demo-run.sh build/release
