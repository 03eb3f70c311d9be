#!/usr/bin/env bash
# Builds everything and runs every test (README command 2; CI runs exactly this).
#
#   1. installs what is missing (scripts/setup.sh)
#   2. Release build with -Werror; unit tests through ctest
#   3. CLI tests (bats) running the real binary against each reference broker:
#      a. librdkafka's mock cluster (fault injection), tests not tagged kafka-only;
#      b. a real Apache Kafka (scripts/kafka.sh), tests not tagged mock-only or broker-free
#   4. AddressSanitizer + UBSan build; unit tests (and the tshark compat test) through ctest
#   5. formatting check (clang-format)
# Every stage runs even when an earlier one failed; the exit code says whether all passed and
# the last line counts the tests of every stage.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc)

bash scripts/setup.sh || exit 1

failed_stages=()
passed=0
failed=0
skipped=0
log_dir=$(mktemp -d "${TMPDIR:-/tmp}/kpipe-test.XXXXXX")
bats="$root/.tools/bats/node_modules/bats/bin/bats"
export KPIPE_TEST_PYTHON="$root/.venv/bin/python"
tiers=()

stage() { printf '\n==== %s ====\n' "$*"; }

# Adds ctest's "N tests failed out of M" to the totals.
count_ctest() {
  local line total bad
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$1" | tail -n 1)
  [ -n "$line" ] || return 0
  bad=$(sed -E 's/.* ([0-9]+) tests? failed out of.*/\1/' <<<"$line")
  total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
  passed=$((passed + total - bad))
  failed=$((failed + bad))
}

run_ctest() {
  local dir=$1 name=$2
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 300 2>&1 | tee "$log_dir/$name.log"
  local rc=${PIPESTATUS[0]}
  count_ctest "$log_dir/$name.log"
  [ "$rc" -eq 0 ] || failed_stages+=("$name")
}

# run_bats TIER DESCRIPTION FILTER: the CLI suite on one broker tier, counted on its own.
run_bats() {
  local tier=$1 what=$2 filter=$3 rc ok skip bad t0
  stage "CLI tests (bats) on $what"
  t0=$(date +%s)
  KPIPE_TEST_BROKER=$tier KPIPE_BUILD_DIR="$root/build" \
    "$bats" --formatter tap --filter-tags "$filter" tests/cli 2>&1 | tee "$log_dir/bats-$tier.log"
  rc=${PIPESTATUS[0]}
  ok=$(grep -cE '^ok [0-9]+' "$log_dir/bats-$tier.log" || true)
  skip=$(grep -cE '^ok [0-9]+ .*# skip' "$log_dir/bats-$tier.log" || true)
  bad=$(grep -cE '^not ok [0-9]+' "$log_dir/bats-$tier.log" || true)
  echo "bats on $tier: $((ok - skip)) passed, $bad failed, $skip skipped in $(($(date +%s) - t0)) s"
  tiers+=("$tier $((ok - skip))/$((ok + bad))")
  passed=$((passed + ok - skip))
  failed=$((failed + bad))
  skipped=$((skipped + skip))
  [ "$rc" -eq 0 ] || failed_stages+=("bats-$tier")
}

stage "Release build"
start=$(date +%s)
if cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DKPIPE_WERROR=ON >/dev/null &&
  ninja -C build -j "$jobs"; then
  echo "Release build took $(($(date +%s) - start)) s"
  stage "Unit tests (Release)"
  run_ctest build unit-release

  run_bats mock "librdkafka's mock cluster" '!kafka-only'

  stage "Apache Kafka for the second tier"
  export KPIPE_KAFKA_DIR="$log_dir/kafka"
  export KPIPE_KAFKA_ENV="$KPIPE_KAFKA_DIR/cluster.env"
  if bash scripts/kafka.sh start; then
    run_bats kafka "Apache Kafka $(sed -n "s/^KPIPE_KAFKA_VERSION='\(.*\)'/\1/p" "$KPIPE_KAFKA_ENV")" \
      '!mock-only,!broker-free'
    bash scripts/kafka.sh stop
  else
    failed_stages+=("kafka-start")
  fi
else
  failed_stages+=("release-build")
fi

stage "AddressSanitizer + UBSan build"
if cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKPIPE_SANITIZE=ON \
  -DKPIPE_WERROR=ON >/dev/null && ninja -C build-asan -j "$jobs" kpipe_unit_tests kpipe_compat_frames; then
  stage "Unit tests (ASan + UBSan)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_ctest build-asan unit-asan
else
  failed_stages+=("asan-build")
fi

stage "Formatting"
bash scripts/check-format.sh || failed_stages+=("format")

echo
echo "bats tiers (passed/run): ${tiers[*]:-none}"
if [ ${#failed_stages[@]} -gt 0 ]; then
  echo "failed stages: ${failed_stages[*]}"
fi
echo "all: $passed passed, $failed failed, $skipped skipped"
[ ${#failed_stages[@]} -eq 0 ]
