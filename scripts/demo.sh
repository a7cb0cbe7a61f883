#!/usr/bin/env bash
# The main demo. For now: install, build, and make and check a node identity.
# (Later: a root, a controller and two nodes on loopback, curl over the overlay.)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" >/dev/null
weft=build/release/src/cli/weft

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$weft" --version
echo "\$ weft identity new identity.secret identity.public"
"$weft" identity new "$dir/identity.secret" "$dir/identity.public"
echo "\$ weft identity verify identity.secret"
"$weft" identity verify "$dir/identity.secret"
echo "\$ weft identity show identity.public"
"$weft" identity show "$dir/identity.public"
