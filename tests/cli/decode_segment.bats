#!/usr/bin/env bats
# kpipe decode --log-segment against a real broker's own files: kpipe produces with every codec, a
# committed and an aborted transaction, then the partition's segment, .index and .timeindex are
# decoded by kpipe and by Kafka's DumpLogSegments (from the broker's jars, scripts/kafka.sh run)
# and compared batch for batch and record for record (helpers/segment_compare.py). Then damaged
# copies of the segment, which need no broker: cut short, a corrupt CRC, --keep-going.
# bats file_tags=kafka-only

bats_require_minimum_version 1.5.0

setup_file() {
  source "$BATS_TEST_DIRNAME/helpers/cluster.bash"
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  start_cluster --topic seg:1
  export KAFKA_SH="$_KPIPE_REPO_ROOT/scripts/kafka.sh"
  export COMPARE="$BATS_TEST_DIRNAME/helpers/segment_compare.py"
  local run_id codec
  run_id="$(date +%s)-$$"
  # Values long and repetitive enough that every codec makes them smaller (kpipe sends a batch
  # uncompressed when the codec does not help), and that the batches pass index.interval.bytes
  # (4 KiB), so that the broker writes index entries.
  local filler
  filler=$(printf 'kafka-segment-%.0s' {1..200})
  for codec in none gzip snappy lz4 zstd; do
    printf 'k1\t%s-%s-1\nk2\t%s-%s-2\n' "$codec" "$filler" "$codec" "$filler" |
      kpipe produce -b "$KPIPE_TEST_BROKERS" -t seg -p 0 -z "$codec" -K $'\t' >/dev/null
  done
  printf 'tk1\tcommitted-1\ntk2\tcommitted-2\n' |
    kpipe produce -b "$KPIPE_TEST_BROKERS" -t seg -p 0 -K $'\t' \
      --transactional-id "seg-commit-$run_id" >/dev/null
  # A line that is not JSON aborts the transaction after the lines before it were sent.
  kpipe produce -b "$KPIPE_TEST_BROKERS" -t seg -p 0 -J --transactional-id "seg-abort-$run_id" \
    < <(printf '{"key":"ak1","value":"aborted-1"}\n{"key":"ak2","value":"aborted-2"}\n{"value":\n') \
    >/dev/null 2>&1 || true
  SEG_DIR=""
  for d in "$KPIPE_KAFKA_DIR"/node-*/data/seg-0; do SEG_DIR=$d; done
  export SEG_DIR
  # A partition of several segments: 1 MiB segments (Kafka 4's smallest), 3.6 MB of records in
  # batches of 50, so the broker rolls three times and the last segment is the active one (its
  # index files still preallocated).
  "$KPIPE_TEST_PYTHON" "$_KPIPE_REPO_ROOT/tests/support/kafka/topics.py" "$KPIPE_TEST_BROKERS" \
    create segs:1 --config segment.bytes=1048576 --config segment.index.bytes=4096
  awk 'BEGIN { pad = sprintf("%880s", ""); gsub(/ /, "v", pad);
    for (i = 0; i < 4000; i++) printf "k%d\t%s-%d\n", i, pad, i }' |
    kpipe produce -b "$KPIPE_TEST_BROKERS" -t segs -K $'\t' -z none --batch-records 50 >/dev/null
  SEGS_DIR=""
  for d in "$KPIPE_KAFKA_DIR"/node-*/data/segs-0; do SEGS_DIR=$d; done
  export SEGS_DIR
}

teardown_file() {
  stop_cluster
}

setup() {
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  [ -n "$SEG_DIR" ] && [ -d "$SEG_DIR" ]
  LOG=$(ls "$SEG_DIR"/*.log | head -1)
}

dump() {
  bash "$KAFKA_SH" run kafka.tools.DumpLogSegments "$@" </dev/null 3>&- 2>/dev/null
}

# agrees_with_dump KIND PATH [DUMP-FILES]: kpipe's decode of PATH and DumpLogSegments' of
# DUMP-FILES (default PATH) say the same, put in one form by segment_compare.py (KIND: "" for
# batches and records, "-index" or "-snapshot"). kpipe's form stays in $BATS_TEST_TMPDIR/kpipe.txt.
agrees_with_dump() {
  local kind=$1 path=$2 files=${3:-$2} flags=()
  [ -z "$kind" ] && flags=(--records)
  local dump_flags=()
  [ -z "$kind" ] && dump_flags=(--print-data-log --deep-iteration)
  run --separate-stderr kpipe decode --log-segment "$path" "${flags[@]}"
  [ "$status" -eq 0 ]
  "$KPIPE_TEST_PYTHON" "$COMPARE" "kpipe$kind" <<<"$output" >"$BATS_TEST_TMPDIR/kpipe.txt"
  dump --files "$files" "${dump_flags[@]}" |
    "$KPIPE_TEST_PYTHON" "$COMPARE" "dump$kind" >"$BATS_TEST_TMPDIR/dump.txt"
  [ -s "$BATS_TEST_TMPDIR/dump.txt" ]
  diff "$BATS_TEST_TMPDIR/dump.txt" "$BATS_TEST_TMPDIR/kpipe.txt"
}

@test "every batch and record agrees with DumpLogSegments: codecs, producer ids, transactions, markers" {
  agrees_with_dump "" "$LOG"
  # What the comparison covered: every codec, a commit and an abort marker.
  for codec in none gzip snappy lz4 zstd; do
    grep -q $'\t'"$codec"$'\t' "$BATS_TEST_TMPDIR/kpipe.txt"
  done
  grep -q $'\tcontrol\t.*\tcommit\t' "$BATS_TEST_TMPDIR/kpipe.txt"
  grep -q $'\tcontrol\t.*\tabort\t' "$BATS_TEST_TMPDIR/kpipe.txt"
}

@test "a partition of four segments agrees with DumpLogSegments file by file, indexes and producer snapshots included" {
  [ -n "$SEGS_DIR" ] && [ -d "$SEGS_DIR" ]
  local logs
  logs=$(ls "$SEGS_DIR"/*.log | paste -sd, -)
  [ "$(tr ',' '\n' <<<"$logs" | wc -l)" -eq 4 ]
  agrees_with_dump "" "$SEGS_DIR" "$logs"
  # All 4000 records, each file's batches under its own name.
  [ "$(grep -c $'\trecord\t' "$BATS_TEST_TMPDIR/kpipe.txt")" -eq 4000 ]
  [ "$(cut -f1 "$BATS_TEST_TMPDIR/kpipe.txt" | sort -u | wc -l)" -eq 4 ]
  local f
  # Every index file; the active segment's offset index has no entry yet (its dump is empty).
  for f in "$SEGS_DIR"/*.index "$SEGS_DIR"/*.timeindex; do
    [ "$(kpipe decode --log-segment "$f" | wc -l)" -eq 0 ] || agrees_with_dump -index "$f"
  done
  # The producer state snapshots written at each roll: kpipe's one idempotent producer.
  local snapshots=0
  for f in "$SEGS_DIR"/*.snapshot; do
    agrees_with_dump -snapshot "$f"
    snapshots=$((snapshots + 1))
  done
  [ "$snapshots" -eq 3 ]
  run --separate-stderr kpipe decode --log-segment "$SEGS_DIR" --summary --verify-index
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 4 ]
  [ "$(grep -c '"index_problems":0' <<<"$output")" -eq 4 ]
  [[ "${lines[3]}" == *'"last_offset":3999,'* ]]
}

@test "the partition directory, --summary and --verify-index" {
  run --separate-stderr kpipe decode --log-segment "$SEG_DIR" --summary --verify-index
  echo "$output" "$stderr"
  [ "$status" -eq 0 ]
  [[ "$output" == *'"codecs":{"none":'*'"gzip":1,"snappy":1,"lz4":1,"zstd":1}'* ]]
  [[ "$output" == *'"control_batches":2'* ]]
  [[ "$output" == *'"index_problems":0'* ]]
}

@test ".index and .timeindex entries agree with DumpLogSegments" {
  local f
  for f in "${LOG%.log}.index" "${LOG%.log}.timeindex"; do
    agrees_with_dump -index "$f"
  done
  # The offset index has entries (the batches pass 4 KiB); Kafka and kpipe both find it sound.
  [ "$(kpipe decode --log-segment "${LOG%.log}.index" | wc -l)" -gt 0 ]
  run --separate-stderr kpipe decode --log-segment "${LOG%.log}.index" --verify-index
  echo "$stderr"
  [ "$status" -eq 0 ]
  dump --files "${LOG%.log}.index" --index-sanity-check | grep -q "passed sanity check"
}

@test ".txnindex: the aborted transaction agrees with DumpLogSegments and with the segment" {
  local f="${LOG%.log}.txnindex"
  run --separate-stderr kpipe decode --log-segment "$f" --verify-index
  echo "$stderr"
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 1 ]
  local expected
  expected=$(dump --files "$f" | grep '^version:' |
    sed -E 's/version: ([0-9-]+) producerId: ([0-9-]+) firstOffset: ([0-9-]+) lastOffset: ([0-9-]+) lastStableOffset: ([0-9-]+)/"version":\1,"producer_id":\2,"first_offset":\3,"last_offset":\4,"last_stable_offset":\5}/')
  [ -n "$expected" ]
  [[ "$output" == *"$expected" ]]
}

@test "a segment cut short in its last batch: reported as a line, exit 0" {
  local copy="$BATS_TEST_TMPDIR/00000000000000000000.log" size last
  size=$(stat -c %s "$LOG")
  last=$(kpipe decode --log-segment "$LOG" | tail -1 |
    "$KPIPE_TEST_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["position"])')
  head -c $((size - 5)) "$LOG" >"$copy"
  run --separate-stderr kpipe decode --log-segment "$copy"
  [ "$status" -eq 0 ]
  [[ "${lines[-1]}" == *'"type":"truncated","position":'"$last"','* ]]
}

@test "a corrupt CRC names the file and byte offset, exit 1; --keep-going decodes the rest" {
  local copy="$BATS_TEST_TMPDIR/00000000000000000000.log" second total
  cp "$LOG" "$copy"
  second=$(kpipe decode --log-segment "$LOG" | sed -n 2p |
    "$KPIPE_TEST_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["position"])')
  total=$(kpipe decode --log-segment "$LOG" | wc -l)
  # Flip a byte inside the second batch's records (past its 61-byte header).
  printf '\xff' | dd of="$copy" bs=1 seek=$((second + 70)) conv=notrunc status=none
  run --separate-stderr kpipe decode --log-segment "$copy"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"$copy: byte offset $second: "*"CRC mismatch"* ]]
  [ "${#lines[@]}" -le 2 ]
  run --separate-stderr kpipe decode --log-segment "$copy" --keep-going
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"byte offset $second: "* ]]
  # Every other batch is still there, plus the skipped span.
  [ "$(grep -c '"type":"batch"' <<<"$output")" -ge $((total - 1)) ]
  [[ "$output" == *'"type":"skipped","position":'"$second"* ]]
}

@test "legacy message sets (magic 0 and 1, a gzip wrapper) decode with their records" {
  local f="$BATS_TEST_TMPDIR/00000000000000000100.log"
  grep -v '^#' "$BATS_TEST_DIRNAME/../support/data/record/python_v1_gzip.hex" | tr -d ' \n' |
    xxd -r -p >"$f"
  run --separate-stderr kpipe decode --log-segment "$f" --records
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == *'"type":"message","position":0,'*'"magic":1,'*'"compression":"gzip"'* ]]
  [[ "${lines[0]}" == *'"records":[{"offset":100,"timestamp":1000,"key":"k0","value":"legacy value 0","headers":[]}'* ]]
  run --separate-stderr kpipe decode --log-segment "$f" --summary
  [ "$status" -eq 0 ]
  [[ "$output" == *'"base_offset":100,"batches":1,"records":3,'*'"first_offset":100,"last_offset":102,"codecs":{"gzip":1}'* ]]
}
