#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite: under ASan+UBSan (which also replays
# every fuzz corpus with all its truncations and bit flips), the threaded tests under
# TSan, then everything in the CI build (-Werror, optimised, asserts on).
# `scripts/test.sh fuzz` runs each fuzz target under libFuzzer for WEFT_FUZZ_SECONDS;
# it explores, so it is not part of the default (deterministic) run.
# Usage: scripts/test.sh [PRESET...]   (default: asan tsan ci; ci's summary comes last)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh

presets=("$@")
[ ${#presets[@]} -eq 0 ] && presets=(asan tsan ci)

for preset in "${presets[@]}"; do
  echo "== $preset: configure and build"
  cmake --preset "$preset" >/dev/null
  if [ "$preset" = fuzz ]; then
    cmake --build --preset fuzz -j "$(nproc)" --target fuzz_all
  elif [ "$preset" = tsan ]; then
    # Only the tests labelled 'threads' run under TSan: build just those.
    cmake --build --preset tsan -j "$(nproc)" --target threads_tests
  else
    cmake --build --preset "$preset" -j "$(nproc)"
  fi
  echo "== $preset: test"
  if [ "$preset" = fuzz ]; then
    ctest --preset fuzz --no-tests=error
  elif [ "$preset" = tsan ]; then
    # Only tests labelled 'threads' run under TSan; none yet is not an error.
    ctest --preset "$preset" --no-tests=ignore
  else
    ctest --preset "$preset" --no-tests=error
  fi
done
