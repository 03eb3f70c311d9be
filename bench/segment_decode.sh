#!/usr/bin/env bash
# kpipe decode --log-segment vs Kafka's DumpLogSegments on one large uncompressed segment.
#
# The segment: kpipe produces KPIPE_BENCH_SEED_MB of 100-byte records (uncompressed, 64 KiB
# batches) to a topic of the real Kafka that scripts/kafka.sh started (KPIPE_KAFKA_ENV), and the
# broker's segment file is then repeated until it reaches KPIPE_BENCH_SEGMENT_MB (1024 by
# default). Repeated batches keep their offsets, which neither decoder minds: both read batch
# after batch, and the bytes are real broker output.
#
# Timed (wall, CPU and peak RSS from /usr/bin/time), one run each:
#   kpipe decode --log-segment F              (JSON, a line per batch)
#   kpipe decode --log-segment F --summary    (one line)
#   kpipe decode --log-segment F --records    (JSON with every record)
#   DumpLogSegments --files F                 (batch headers, the closest to kpipe's default)
#   DumpLogSegments --files F --print-data-log --deep-iteration   (records; skipped when
#                                              KPIPE_BENCH_DUMP_RECORDS=0, it is slow)
# Output goes to /dev/null. Prints MB/s and the ratio of DumpLogSegments' time to kpipe's.
# Never a test: figures vary with the machine.
set -euo pipefail

build_dir=${KPIPE_BUILD_DIR:-./build}
kpipe=$build_dir/kpipe
target_mb=${KPIPE_BENCH_SEGMENT_MB:-1024}
seed_mb=${KPIPE_BENCH_SEED_MB:-64}
env_file=${KPIPE_KAFKA_ENV:?set KPIPE_KAFKA_ENV to a cluster.env of scripts/kafka.sh start}
dump_records=${KPIPE_BENCH_DUMP_RECORDS:-1}
repo=$(cd "$(dirname "$0")/.." && pwd)

die() {
  echo "segment_decode: $*" >&2
  exit 1
}
[[ -x $kpipe ]] || die "no kpipe at $kpipe (set KPIPE_BUILD_DIR)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is needed for peak RSS (apt install time)"
# shellcheck disable=SC1090
source "$env_file"
kafka_dir=$(dirname "$env_file")
broker=$KPIPE_KAFKA_PLAINTEXT

work=$(mktemp -d "${TMPDIR:-/tmp}/kpipe-segment-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

topic=segbench-$(date +%s)
records=$((seed_mb * 1024 * 1024 / 120))
echo "producing $records records (~$seed_mb MB) to $topic ..."
"${KPIPE_TEST_PYTHON:-python3}" -c "
import sys
line = ('x' * 96) + '\n'
sys.stdout.write(line * $records)
" 2>/dev/null >"$work/input" || awk -v n="$records" 'BEGIN { s = sprintf("%096d", 0); for (i = 0; i < n; i++) print s }' >"$work/input"
"$kpipe" produce -b "$broker" -t "$topic" -p 0 --batch-bytes 64KiB <"$work/input" >/dev/null
seed=$(ls "$kafka_dir"/node-*/data/"$topic"-0/*.log | head -1)
sync
segment="$work/00000000000000000000.log"
: >"$segment"
while (($(stat -c %s "$segment") < target_mb * 1024 * 1024)); do cat "$seed" >>"$segment"; done
bytes=$(stat -c %s "$segment")
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
echo "segment: $segment, $mb MiB (seed $(stat -c %s "$seed") bytes)"
cat "$segment" >/dev/null  # warm the page cache for every run alike

declare -A wall rss
measure() {
  local name=$1
  shift
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/err" || {
    cat "$work/err" >&2
    die "$name failed"
  }
  read -r wall["$name"] rss["$name"] <"$work/time"
  printf '%-34s %8.2f s %9.1f MB/s  peak RSS %6.1f MiB\n' "$name" "${wall[$name]}" \
    "$(awk -v b="$bytes" -v s="${wall[$name]}" 'BEGIN { print (s > 0 ? b / 1048576 / s : 0) }')" \
    "$(awk -v k="${rss[$name]}" 'BEGIN { print k / 1024 }')"
}

measure "kpipe --summary" "$kpipe" decode --log-segment "$segment" --summary
measure "kpipe (batches)" "$kpipe" decode --log-segment "$segment"
measure "kpipe --records" "$kpipe" decode --log-segment "$segment" --records
dump=(env KPIPE_KAFKA_DIR="$kafka_dir" bash "$repo/scripts/kafka.sh" run kafka.tools.DumpLogSegments)
measure "DumpLogSegments (batches)" "${dump[@]}" --files "$segment"
if [[ $dump_records == 1 ]]; then
  measure "DumpLogSegments --print-data-log" "${dump[@]}" --files "$segment" --print-data-log \
    --deep-iteration
fi

ratio() { awk -v a="${wall[$1]}" -v b="${wall[$2]}" 'BEGIN { printf "%.1fx", (b > 0 ? a / b : 0) }'; }
echo "DumpLogSegments (batches) / kpipe (batches): $(ratio "DumpLogSegments (batches)" "kpipe (batches)")"
echo "DumpLogSegments (batches) / kpipe --summary: $(ratio "DumpLogSegments (batches)" "kpipe --summary")"
if [[ $dump_records == 1 ]]; then
  echo "DumpLogSegments --print-data-log / kpipe --records: $(ratio "DumpLogSegments --print-data-log" "kpipe --records")"
fi
