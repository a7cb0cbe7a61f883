#!/usr/bin/env bash
# run_fuzzer.sh FUZZER CORPUS WORKDIR SECONDS: a bounded libFuzzer run that starts
# from a scratch copy of the checked-in corpus, so the source tree is not modified.
set -euo pipefail
fuzzer=$1 corpus=$2 work=$3 seconds=$4
rm -rf "$work" && mkdir -p "$work"
[ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/" "$work"
