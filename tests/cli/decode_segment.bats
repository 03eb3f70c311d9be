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

@test "every batch and record agrees with DumpLogSegments: codecs, producer ids, transactions, markers" {
  run --separate-stderr kpipe decode --log-segment "$LOG" --records
  [ "$status" -eq 0 ]
  "$KPIPE_TEST_PYTHON" "$COMPARE" kpipe <<<"$output" >"$BATS_TEST_TMPDIR/kpipe.txt"
  dump --files "$LOG" --print-data-log --deep-iteration |
    "$KPIPE_TEST_PYTHON" "$COMPARE" dump >"$BATS_TEST_TMPDIR/dump.txt"
  diff "$BATS_TEST_TMPDIR/dump.txt" "$BATS_TEST_TMPDIR/kpipe.txt"
  # What the comparison covered: every codec, a commit and an abort marker.
  for codec in none gzip snappy lz4 zstd; do
    grep -q $'\t'"$codec"$'\t' "$BATS_TEST_TMPDIR/kpipe.txt"
  done
  grep -q $'^control\t.*\tcommit\t' "$BATS_TEST_TMPDIR/kpipe.txt"
  grep -q $'^control\t.*\tabort\t' "$BATS_TEST_TMPDIR/kpipe.txt"
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
    run --separate-stderr kpipe decode --log-segment "$f"
    [ "$status" -eq 0 ]
    "$KPIPE_TEST_PYTHON" "$COMPARE" kpipe-index <<<"$output" >"$BATS_TEST_TMPDIR/kpipe.txt"
    dump --files "$f" | "$KPIPE_TEST_PYTHON" "$COMPARE" dump-index >"$BATS_TEST_TMPDIR/dump.txt"
    diff "$BATS_TEST_TMPDIR/dump.txt" "$BATS_TEST_TMPDIR/kpipe.txt"
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
