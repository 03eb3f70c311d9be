#!/usr/bin/env bash
# What bench/produce_vs_kcat.sh, bench/consume_vs_kcat.sh and bench/kafka_vs_peers.sh share:
# their settings, checks, a temporary directory, the reference cluster and the input lines.
# Sourced, after the script sets bench_name (for messages and the directory's name), and
# bench_needs_mock=0 if it does not use the mock cluster; `set -euo pipefail` is the script's.

build_dir=${KPIPE_BUILD_DIR:-./build}
runs=${KPIPE_BENCH_RUNS:-5}
records=${KPIPE_BENCH_RECORDS:-1000000}
cases=${KPIPE_BENCH_CASES:-none lz4 zstd}
partitions=64
value_bytes=100

kpipe=$build_dir/kpipe
mock=$build_dir/tests/support/kpipe-mock-cluster

die() {
  echo "$bench_name: $*" >&2
  exit 1
}

[[ -x $kpipe ]] || die "no kpipe at $kpipe (set KPIPE_BUILD_DIR; build target kpipe)"
if [[ ${bench_needs_mock:-1} == 1 ]]; then
  [[ -x $mock ]] || die "no mock cluster at $mock (build target kpipe-mock-cluster)"
fi
command -v kcat >/dev/null || die "kcat is not installed"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is needed for CPU time and peak RSS (apt install time)"
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "KPIPE_BENCH_RUNS must be a positive integer"
[[ $records =~ ^[1-9][0-9]*$ ]] || die "KPIPE_BENCH_RECORDS must be a positive integer"

work=$(mktemp -d "${TMPDIR:-/tmp}/kpipe-bench-$bench_name.XXXXXX")
mock_pid=""
bootstrap=""

stop_cluster() {
  if [[ -n $mock_pid ]]; then
    kill "$mock_pid" 2>/dev/null || true
    wait "$mock_pid" 2>/dev/null || true
    mock_pid=""
  fi
}

cleanup() {
  stop_cluster
  if [[ ${KPIPE_BENCH_KEEP:-0} == 1 ]]; then
    echo "kept $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts a 3-broker cluster with every topic named in "$@" pre-created with $partitions
# partitions, and sets $bootstrap.
start_cluster() {
  local args=(--brokers 3 --max-seconds 7200) topic
  for topic in "$@"; do args+=(--topic "$topic:$partitions"); done
  : >"$work/mock.out"
  "$mock" "${args[@]}" >"$work/mock.out" 2>"$work/mock.err" &
  mock_pid=$!
  local i
  for ((i = 0; i < 100; i++)); do
    bootstrap=$(head -n 1 "$work/mock.out")
    [[ -n $bootstrap ]] && return 0
    kill -0 "$mock_pid" 2>/dev/null || die "mock cluster exited: $(cat "$work/mock.err")"
    sleep 0.1
  done
  die "mock cluster printed no bootstrap list within 10 s"
}

# write_input FILE: $records lines of $value_bytes printable bytes, words from a small vocabulary
# and random numbers, so that lz4 and zstd compress them like text rather than like a constant.
# A fixed seed: every run of either script uses the same bytes.
write_input() {
  awk -v n="$records" -v len="$value_bytes" 'BEGIN {
    srand(4);
    nw = split("order user item price status created shipped pending region eu-west us-east " \
               "session click view cart checkout payment refund warehouse sku quantity", w, " ");
    for (i = 0; i < n; i++) {
      s = sprintf("%09d", i);
      while (length(s) < len) s = s " " w[int(rand() * nw) + 1] "=" int(rand() * 1000000);
      print substr(s, 1, len);
    }
  }' >"$1"
}
