#!/usr/bin/env bash
# Runs kpipe's libFuzzer targets (tests/fuzz/NAME_main.cpp) for a while each, from their seed
# corpus, and prints one line per target with the executions done and whether it crashed.
#
#   scripts/fuzz.sh [SECONDS] [NAME ...]   default 600 seconds each, every target
#
# Builds an instrumented copy of the decoders with clang (ASan + UBSan + libFuzzer) in
# build-fuzz/, installing clang first if it is missing (scripts/setup.sh --fuzz). A new corpus
# grows in build-fuzz/corpus/NAME (the seeds in tests/fuzz/corpus/NAME stay as they are); a crash
# leaves its input in build-fuzz/crash-NAME-* and the target's log in build-fuzz/fuzz-NAME.log.
# The unit tests replay the seed corpus (tests/unit/fuzz/), so a crash input worth keeping goes
# there.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-600}
shift || true
bash "$repo/scripts/setup.sh" --fuzz
build=$repo/build-fuzz
CXX=clang++ CC=clang cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DKPIPE_FUZZ=ON >/dev/null
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for main in "$repo"/tests/fuzz/*_main.cpp; do
    name=$(basename "$main" _main.cpp)
    names+=("$name")
  done
fi
ninja -C "$build" "${names[@]/#/fuzz_}" >/dev/null
status=0
for name in "${names[@]}"; do
  corpus=$build/corpus/$name
  mkdir -p "$corpus"
  log=$build/fuzz-$name.log
  seeds=()
  [ -d "$repo/tests/fuzz/corpus/$name" ] && seeds=("$repo/tests/fuzz/corpus/$name")
  # -rss_limit_mb: the decoders' memory is bounded, so a big one is a finding too.
  if "$build/fuzz_$name" -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build/crash-$name-" "$corpus" "${seeds[@]}" >"$log" 2>&1; then
    result=ok
  else
    result="CRASHED (see $log)"
    status=1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  printf '%-16s %4ds %12s executions  %s\n' "$name" "$seconds" "${runs:-?}" "$result"
done
exit $status
