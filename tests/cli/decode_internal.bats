#!/usr/bin/env bats
# kpipe decode on Kafka's internal topics, against a real broker's own records: a classic group
# that kpipe consumed and committed for, an outside commit, a committed and an aborted
# transaction, and a KIP-848 group. Their __consumer_offsets and __transaction_state records are
# decoded from the broker's segments (decode --log-segment --records, found by the partition
# directory's name) and from `consume -J` lines (decode --internal), checked against
# `kpipe offsets get` and against Kafka's own DumpLogSegments --offsets-decoder and
# --transaction-log-decoder (helpers/internal_compare.py).
# bats file_tags=kafka-only

bats_require_minimum_version 1.5.0

setup_file() {
  source "$BATS_TEST_DIRNAME/helpers/cluster.bash"
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  local run_id
  run_id="$(date +%s)-$$"
  export TOPIC="internal-src-$run_id"
  start_cluster --topic "$TOPIC:2"
  export KAFKA_SH="$_KPIPE_REPO_ROOT/scripts/kafka.sh"
  export HELPER="$BATS_TEST_DIRNAME/helpers/internal_compare.py"
  export GROUP="internal-classic-$run_id" GROUP848="internal-848-$run_id"
  export TXN_COMMIT="internal-commit-$run_id" TXN_ABORT="internal-abort-$run_id"
  seq 1 6 | kpipe produce -b "$KPIPE_TEST_BROKERS" -t "$TOPIC" -p 0 >/dev/null
  seq 1 4 | kpipe produce -b "$KPIPE_TEST_BROKERS" -t "$TOPIC" -p 1 >/dev/null
  # A classic group member reads everything and commits what it wrote (6 and 4); then a commit
  # from outside the group moves partition 1 back to 2: the last commit is what counts.
  kpipe consume -b "$KPIPE_TEST_BROKERS" -G "$GROUP" -o beginning -e "$TOPIC" >/dev/null
  kpipe offsets commit -b "$KPIPE_TEST_BROKERS" -G "$GROUP" -t "$TOPIC" -p 1 -o 2 >/dev/null
  printf 'c1\nc2\n' |
    kpipe produce -b "$KPIPE_TEST_BROKERS" -t "$TOPIC" -p 0 --transactional-id "$TXN_COMMIT" >/dev/null
  # A line that is not JSON aborts the transaction after the line before it was sent.
  kpipe produce -b "$KPIPE_TEST_BROKERS" -t "$TOPIC" -p 1 -J --transactional-id "$TXN_ABORT" \
    < <(printf '{"value":"a1"}\n{"value":\n') >/dev/null 2>&1 || true
  kpipe consume -b "$KPIPE_TEST_BROKERS" -G "$GROUP848" --group-protocol consumer -o beginning \
    -e "$TOPIC" >/dev/null
  # Every replica's copy of every internal partition (one node: one copy each).
  export DATA_DIRS="$KPIPE_KAFKA_DIR/node-*/data"
}

teardown_file() {
  stop_cluster
}

setup() {
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
}

# Every partition directory of an internal topic, decoded with --records.
decode_dirs() {
  local topic=$1 d status=0
  for d in $DATA_DIRS/"$topic"-*; do
    kpipe decode --log-segment "$d" --records || status=$?
  done
  return "$status"
}

dump() {
  bash "$KAFKA_SH" run kafka.tools.DumpLogSegments "$@" </dev/null 3>&- 2>/dev/null
}

@test "__consumer_offsets segments decode to the offsets that kpipe offsets get shows" {
  run --separate-stderr kpipe --format json offsets get -b "$KPIPE_TEST_BROKERS" -G "$GROUP" -t "$TOPIC"
  [ "$status" -eq 0 ]
  expected=$("$KPIPE_TEST_PYTHON" "$HELPER" offsets-get <<<"$output")
  [ "$expected" = $'0 6\n1 2' ]
  run --separate-stderr decode_dirs __consumer_offsets
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  committed=$("$KPIPE_TEST_PYTHON" "$HELPER" committed "$GROUP" "$TOPIC" <<<"$output")
  [ "$committed" = "$expected" ]
  # The group's metadata: kpipe's member, its subscription and assignment decoded.
  member=$(jq -c --arg g "$GROUP" '.records[]?.internal | select(.record == "group_metadata"
      and .key.group == $g and .value != null and (.value.members | length) == 1)
      | .value | [.protocol_type, .protocol, .members[0].client_id,
        .members[0].subscription.topics, [.members[0].assignment.partitions[].partitions[]]]' \
      <<<"$output" | head -n 1)
  [ "$member" = "[\"consumer\",\"range\",\"kpipe\",[\"$TOPIC\"],[0,1]]" ]
}

@test "consume -J of __consumer_offsets piped to decode --internal gives the same offsets" {
  run --separate-stderr kpipe --format json offsets get -b "$KPIPE_TEST_BROKERS" -G "$GROUP" -t "$TOPIC"
  expected=$("$KPIPE_TEST_PYTHON" "$HELPER" offsets-get <<<"$output")
  run --separate-stderr bash -c 'kpipe consume -b "$KPIPE_TEST_BROKERS" -t __consumer_offsets -e -J |
    kpipe decode --internal'
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  committed=$("$KPIPE_TEST_PYTHON" "$HELPER" committed "$GROUP" "$TOPIC" <<<"$output")
  [ "$committed" = "$expected" ]
  # Each line is the consume -J line with the internal member added: topic, partition and
  # offset are still there, and the internal member agrees with them.
  run jq -r --arg g "$GROUP" 'select(.internal.record == "offset_commit" and .internal.key.group == $g)
      | [.topic, (.internal.value.offset | tostring)] | join(" ")' <<<"$output"
  [ "${lines[0]%% *}" = "__consumer_offsets" ]
}

@test "decode --internal leaves lines of other topics unchanged and forces a topic when asked" {
  run --separate-stderr bash -c 'kpipe consume -b "$KPIPE_TEST_BROKERS" -t "$TOPIC" -e -J >"$BATS_TEST_TMPDIR/plain.jsonl" &&
    kpipe decode --internal <"$BATS_TEST_TMPDIR/plain.jsonl"'
  [ "$status" -eq 0 ]
  [ "$output" = "$(cat "$BATS_TEST_TMPDIR/plain.jsonl")" ]
  [ "${#lines[@]}" -ge 10 ]
  # Forced: the same lines read as __consumer_offsets records do not decode: exit 1, each error
  # names its line.
  run --separate-stderr kpipe decode --internal --internal-topic consumer-offsets "$BATS_TEST_TMPDIR/plain.jsonl"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"plain.jsonl: line 1: offset "*": __consumer_offsets key: "* ]]
  # Bad input: not an envelope.
  run --separate-stderr kpipe decode --internal <<<'{"topic":"__consumer_offsets","value":'
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"stdin: line 1: "* ]]
  run --separate-stderr kpipe decode --internal-topic bogus
  [ "$status" -eq 2 ]
  # The file may come after --internal (a flag, not an option with an optional value).
  run --separate-stderr kpipe decode --internal "$BATS_TEST_TMPDIR/plain.jsonl"
  [ "$status" -eq 0 ]
  [ "$output" = "$(cat "$BATS_TEST_TMPDIR/plain.jsonl")" ]
}

@test "every __consumer_offsets record agrees with DumpLogSegments --offsets-decoder" {
  local log compared=0
  : >"$BATS_TEST_TMPDIR/counts.txt"
  for log in $DATA_DIRS/__consumer_offsets-*/*.log; do
    [ -s "$log" ] || continue
    kpipe decode --log-segment "$log" --records >"$BATS_TEST_TMPDIR/kpipe.jsonl"
    dump --files "$log" --offsets-decoder >"$BATS_TEST_TMPDIR/dump.txt"
    "$KPIPE_TEST_PYTHON" "$HELPER" dump "$BATS_TEST_TMPDIR/kpipe.jsonl" "$BATS_TEST_TMPDIR/dump.txt" \
      >>"$BATS_TEST_TMPDIR/counts.txt"
    compared=$((compared + 1))
  done
  [ "$compared" -gt 0 ]
  # What the comparison covered: commits, classic group metadata and the KIP-848 records.
  for kind in offset_commit group_metadata consumer_group_metadata consumer_group_member_metadata \
    consumer_group_target_assignment_metadata consumer_group_target_assignment_member \
    consumer_group_current_member_assignment; do
    grep -q "^$kind [1-9]" "$BATS_TEST_TMPDIR/counts.txt"
  done
}

@test "__transaction_state: a commit and an abort, against DumpLogSegments --transaction-log-decoder" {
  run --separate-stderr decode_dirs __transaction_state
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  commit=$("$KPIPE_TEST_PYTHON" "$HELPER" transactions "$TXN_COMMIT" <<<"$output")
  abort=$("$KPIPE_TEST_PYTHON" "$HELPER" transactions "$TXN_ABORT" <<<"$output")
  # Each transaction: Empty (InitProducerId), Ongoing with its partition, Prepare*, Complete*.
  read -r state pid _ parts <<<"$(sed -n 2p <<<"$commit")"
  [ "$state" = Ongoing ] && [ "$parts" = "$TOPIC:0" ]
  [ "$(tail -n 1 <<<"$commit" | cut -d' ' -f1)" = CompleteCommit ]
  grep -q "^PrepareCommit $pid [0-9]* $TOPIC:0\$" <<<"$commit"
  read -r state _ _ parts <<<"$(sed -n 2p <<<"$abort")"
  [ "$state" = Ongoing ] && [ "$parts" = "$TOPIC:1" ]
  grep -q "^PrepareAbort [0-9]* [0-9]* $TOPIC:1\$" <<<"$abort"
  [ "$(tail -n 1 <<<"$abort" | cut -d' ' -f1)" = CompleteAbort ]
  # The same from consume -J.
  run --separate-stderr bash -c 'kpipe consume -b "$KPIPE_TEST_BROKERS" -t __transaction_state -e -J |
    kpipe decode --internal'
  [ "$status" -eq 0 ]
  [ "$("$KPIPE_TEST_PYTHON" "$HELPER" transactions "$TXN_COMMIT" <<<"$output")" = "$commit" ]
  # And every record against Kafka's decoder.
  local log compared=0
  : >"$BATS_TEST_TMPDIR/counts.txt"
  for log in $DATA_DIRS/__transaction_state-*/*.log; do
    [ -s "$log" ] || continue
    kpipe decode --log-segment "$log" --records >"$BATS_TEST_TMPDIR/kpipe.jsonl"
    dump --files "$log" --transaction-log-decoder >"$BATS_TEST_TMPDIR/dump.txt"
    "$KPIPE_TEST_PYTHON" "$HELPER" dump "$BATS_TEST_TMPDIR/kpipe.jsonl" "$BATS_TEST_TMPDIR/dump.txt" \
      >>"$BATS_TEST_TMPDIR/counts.txt"
    compared=$((compared + 1))
  done
  [ "$compared" -gt 0 ]
  grep -q "^transaction_metadata [1-9]" "$BATS_TEST_TMPDIR/counts.txt"
}

@test "a KIP-848 group's records: member, target and current assignment of the topic" {
  run --separate-stderr kpipe --format json metadata -b "$KPIPE_TEST_BROKERS" -t "$TOPIC"
  topic_id=$(jq -r '.topics[0].topic_id' <<<"$output")
  [ -n "$topic_id" ] && [ "$topic_id" != null ]
  run --separate-stderr decode_dirs __consumer_offsets
  [ "$status" -eq 0 ]
  run "$KPIPE_TEST_PYTHON" "$HELPER" consumer-group "$GROUP848" <<<"$output"
  [ "$status" -eq 0 ]
  member=$(grep -m 1 '^consumer_group_member_metadata ' <<<"$output" | cut -d' ' -f2)
  [ -n "$member" ]
  grep -qx "consumer_group_member_metadata $member topics=$TOPIC" <<<"$output"
  grep -qx "consumer_group_target_assignment_member $member target=$topic_id:0,1" <<<"$output"
  grep -qx "consumer_group_current_member_assignment $member epoch=[1-9][0-9]* assigned=$topic_id:0,1" <<<"$output"
  grep -q "^consumer_group_metadata - epoch=[1-9]" <<<"$output"
  # The member left at the end (-e): its records are deleted.
  grep -qx "consumer_group_member_metadata $member tombstone" <<<"$output"
}

@test "--internal-topic none keeps a segment's records raw; a forced topic on the wrong one fails" {
  local dir
  for dir in $DATA_DIRS/__transaction_state-*; do
    [ -s "$dir/00000000000000000000.log" ] && break
  done
  run --separate-stderr kpipe decode --log-segment "$dir" --records --internal-topic none
  [ "$status" -eq 0 ]
  [ "$(jq -s '[.[].records[]? | select(has("internal"))] | length' <<<"$output")" -eq 0 ]
  run --separate-stderr kpipe decode --log-segment "$dir" --records --internal-topic consumer-offsets
  # Transaction keys start with version 0, the offset-commit type of 0.8.2, and do not decode as
  # one: an error naming the file and the batch's byte offset.
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"$dir/00000000000000000000.log: byte offset "*": record at offset 0: __consumer_offsets key: "* ]]
}
