#!/usr/bin/env bats
# kpipe consume -o SPEC against the reference brokers (librdkafka's mock cluster, a real Apache
# Kafka): every form of the offset spec on a topic whose content is known exactly, compared offset
# by offset, plus the usage errors. The semantics of each form are in
# src/cli/parse/offset_spec.hpp; this file checks that the command wires them to ListOffsets and
# to the fetcher per partition. The forms by time are checked against Kafka's time index in
# consume_time.bats.

bats_require_minimum_version 1.5.0

# Create time of record i of partition 0 is T0 + i*1000, of partition 1 T0 + i*2000, of
# partition 2 T0 + i*500 (2026-01-01T00:00:00Z).
T0=1767225600000

setup_file() {
  source "$BATS_TEST_DIRNAME/helpers/cluster.bash"
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  start_cluster --brokers 3 --topic ts:3
  # On the mock, one leader per partition, so that every ListOffsets and Fetch is split across
  # brokers (Kafka here is one node).
  if ! on_kafka; then
    cluster_control leader ts 0 1
    cluster_control leader ts 1 2
    cluster_control leader ts 2 3
  fi

  # ts: 10 records in partitions 0 and 1, 4 in partition 2, "pP-vI" at offset I, with explicit
  # create times (kcat -P cannot set them). kafka-python is pinned to 2.3: from 2.4 on it asks
  # ApiVersions v3, which the mock refuses in a form that kafka-python 3.0.12 cannot read.
  "$KPIPE_TEST_PYTHON" - "$KPIPE_TEST_BROKERS" "$T0" <<'EOF'
import sys
from kafka import KafkaProducer
t0 = int(sys.argv[2])
p = KafkaProducer(bootstrap_servers=sys.argv[1].split(","), api_version=(2, 3, 0), linger_ms=0)
for part, count, step in ((0, 10, 1000), (1, 10, 2000), (2, 4, 500)):
    for i in range(count):
        p.send("ts", partition=part, value=b"p%d-v%d" % (part, i),
               timestamp_ms=t0 + i * step).get(10)
p.close()
EOF
}

teardown_file() {
  stop_cluster
}

setup() {
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  source "$BATS_TEST_DIRNAME/helpers/first_last.bash"
}

# check_table [-t TOPIC] ROW...: each ROW is "SPEC|EXPECTED"; runs `consume -o SPEC -e` on TOPIC
# (default ts) and compares first_last of its output. Every mismatch is listed before the test
# fails, so that one run shows them all.
check_table() {
  local row spec want got status failures=0 out err topic=ts
  if [[ "$1" == -t ]]; then
    topic=$2
    shift 2
  fi
  out="$BATS_TEST_TMPDIR/out"
  err="$BATS_TEST_TMPDIR/err"
  for row in "$@"; do
    spec=${row%%|*}
    want=${row#*|}
    status=0
    kpipe consume -b "$KPIPE_TEST_BROKERS" -t "$topic" -o "$spec" -e -f '%p %o\n' >"$out" \
      2>"$err" || status=$?
    # Records of one partition arrive in order; sorting by partition keeps that order.
    got=$(sort -s -n -k1,1 "$out" | first_last)
    if [[ $status -ne 0 || "$got" != "$want" || -s "$err" ]]; then
      echo "-o '$spec': exit $status, got [$got], want [$want]; stderr: $(cat "$err")"
      failures=$((failures + 1))
    fi
  done
  [ "$failures" -eq 0 ]
}

@test "the topic holds the records and create times the table below assumes" {
  run --separate-stderr kcat -b "$KPIPE_TEST_BROKERS" -C -t ts -o beginning -e -q -f '%p %o %T %s\n'
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 24 ]
  [[ "$output" == *"0 9 $((T0 + 9000)) p0-v9"* ]]
  [[ "$output" == *"1 9 $((T0 + 18000)) p1-v9"* ]]
  [[ "$output" == *"2 3 $((T0 + 1500)) p2-v3"* ]]
}

@test "-o by position: each form yields the expected first and last offset per partition" {
  # Partitions 0 and 1 hold offsets 0-9, partition 2 offsets 0-3; ranges are END-exclusive.
  check_table \
    'beginning|0:0-9 1:0-9 2:0-3' \
    'earliest|0:0-9 1:0-9 2:0-3' \
    'end|0:none 1:none 2:none' \
    'latest|0:none 1:none 2:none' \
    '0|0:0-9 1:0-9 2:0-3' \
    '3|0:3-9 1:3-9 2:3-3' \
    '25|0:none 1:none 2:none' \
    '-3|0:7-9 1:7-9 2:1-3' \
    '-30|0:0-9 1:0-9 2:0-3' \
    '-0|0:none 1:none 2:none' \
    '+4|0:4-9 1:4-9 2:none' \
    '+40|0:none 1:none 2:none' \
    '0:5|0:0-4 1:0-4 2:0-3' \
    '2:7|0:2-6 1:2-6 2:2-3' \
    '5:5|0:none 1:none 2:none' \
    '0:100|0:0-9 1:0-9 2:0-3' \
    '-3:end|0:7-9 1:7-9 2:1-3' \
    '3:end|0:3-9 1:3-9 2:3-3' \
    '8:latest|0:8-9 1:8-9 2:none' \
    'beginning:4|0:0-3 1:0-3 2:0-3' \
    'earliest:-8|0:0-1 1:0-1 2:none' \
    '+2:+5|0:2-4 1:2-4 2:2-3' \
    '-5:-2|0:5-7 1:5-7 2:0-1' \
    '+1:-1|0:1-8 1:1-8 2:1-2'
}

# Kafka has a time index and answers these with real offsets (consume_time.bats checks them).
# bats test_tags=mock-only
@test "-o by time, mock answering -1 (no time index): a start time is the end, a stop time too" {
  # librdkafka 2.0.2's mock answers every ListOffsets timestamp query with offset -1, as Kafka
  # does for a time after the last record. So a start time resolves to the log end (nothing to
  # read) and a stop time to the current end (read up to it); the time semantics themselves are
  # unit-tested (tests/unit/cli/offset_spec_test.cpp) and tested end to end in consume_time.bats
  # (through a relay that looks timestamps up). Every form still has to parse, be sent as a
  # timestamp query and come back per partition.
  local t1=$((T0 + 2000)) t2=$((T0 + 6000)) t3=$((T0 + 3000))
  check_table \
    '@2026-01-01T00:00:05Z|0:none 1:none 2:none' \
    '@2026-01-01 00:00:05.250+00:00|0:none 1:none 2:none' \
    "@$((T0 + 4500))|0:none 1:none 2:none" \
    "s@$((T0 + 4500))|0:none 1:none 2:none" \
    "e@$((T0 + 4000))|0:0-9 1:0-9 2:0-3" \
    "@$t1:@$t2|0:none 1:none 2:none" \
    '@2026-01-01T00:00:02Z:@2026-01-01T00:00:06Z|0:none 1:none 2:none' \
    "beginning:@$t3|0:0-9 1:0-9 2:0-3" \
    "beginning:e@$t3|0:0-9 1:0-9 2:0-3" \
    "-3:@$t3|0:7-9 1:7-9 2:1-3" \
    "2:@2026-01-01T00:00:03Z|0:2-9 1:2-9 2:2-3" \
    "@$t1:end|0:none 1:none 2:none" \
    '@now|0:none 1:none 2:none' \
    '@-1h|0:none 1:none 2:none'
}

# bats test_tags=kafka-only
@test "a log whose start moved (records deleted): positions count from the start, commits too" {
  # cut: 10 records per partition, then Kafka deletes partition 0's below offset 4 and all of
  # partition 2's (its log starts at its end, 10). The mock cannot delete records.
  create_topic cut 3
  local p
  for p in 0 1 2; do seq -f "p$p-v%g" 0 9 | kcat -b "$KPIPE_TEST_BROKERS" -P -t cut -p "$p"; done
  "$KPIPE_TEST_PYTHON" - "$KPIPE_TEST_BROKERS" <<'EOF'
import sys
from kafka import KafkaAdminClient, TopicPartition
admin = KafkaAdminClient(bootstrap_servers=sys.argv[1].split(","))
admin.delete_records({TopicPartition("cut", 0): 4, TopicPartition("cut", 2): 10})
admin.close()
EOF
  run --separate-stderr kpipe offsets list -b "$KPIPE_TEST_BROKERS" -t cut --format json
  [ "$output" = '[{"topic":"cut","partition":0,"earliest":4,"latest":10},'\
'{"topic":"cut","partition":1,"earliest":0,"latest":10},'\
'{"topic":"cut","partition":2,"earliest":10,"latest":10}]' ]

  # An offset before the start begins at the start; +N and -N count from the log's ends.
  check_table -t cut \
    'beginning|0:4-9 1:0-9 2:none' \
    '0|0:4-9 1:0-9 2:none' \
    '6|0:6-9 1:6-9 2:none' \
    '+2|0:6-9 1:2-9 2:none' \
    '-3|0:7-9 1:7-9 2:none' \
    '-8|0:4-9 1:2-9 2:none' \
    '0:6|0:4-5 1:0-5 2:none' \
    '0:4|0:none 1:0-3 2:none' \
    '+1:-1|0:5-8 1:1-8 2:none' \
    'end|0:none 1:none 2:none'
  # kcat agrees where it has the form.
  local spec
  for spec in beginning -3; do
    [ "$(kpipe consume -b "$KPIPE_TEST_BROKERS" -t cut -o "$spec" -e -f '%p %o %s\n' | sort)" = \
      "$(kcat -b "$KPIPE_TEST_BROKERS" -C -t cut -o "$spec" -e -q -f '%p %o %s\n' | sort)" ]
  done

  # A group's commits from before the deletion (1 on partition 0, 3 on partition 2): both are
  # before the start now, so reading goes on from it (partition 1, without a commit, from -o).
  kpipe offsets commit -b "$KPIPE_TEST_BROKERS" -G g-offsets-cut -t cut -p 0 -o 1
  kpipe offsets commit -b "$KPIPE_TEST_BROKERS" -G g-offsets-cut -t cut -p 2 -o 3
  run --separate-stderr timeout 60 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" \
    -X session.timeout.ms=6000 -G g-offsets-cut -o beginning -e -f '%p %o\n' cut
  echo "exit $status; stderr: $stderr"
  [ "$status" -eq 0 ]
  [ "$(sort -s -n -k1,1 <<<"$output" | first_last)" = '0:4-9 1:0-9 2:none' ]
  # What was written is committed; partition 2 wrote nothing, so its old commit stays.
  run --separate-stderr kpipe offsets get -b "$KPIPE_TEST_BROKERS" -G g-offsets-cut -t cut \
    --format json
  [ "$output" = '[{"group":"g-offsets-cut","topic":"cut","partition":0,"offset":10},'\
'{"group":"g-offsets-cut","topic":"cut","partition":1,"offset":10},'\
'{"group":"g-offsets-cut","topic":"cut","partition":2,"offset":3}]' ]
}

@test "-o resolves per partition together with -p" {
  run --separate-stderr kpipe consume -b "$KPIPE_TEST_BROKERS" -t ts -p 2 -o -3 -e -f '%p %o %s\n'
  [ "$status" -eq 0 ]
  [ "$output" = $'2 1 p2-v1\n2 2 p2-v2\n2 3 p2-v3' ]

  run --separate-stderr kpipe consume -b "$KPIPE_TEST_BROKERS" -t ts -p 0,2 -o 2:4 -e -f '%p %o\n'
  [ "$status" -eq 0 ]
  [ "$(sort -n <<<"$output" | tr '\n' ' ')" = "0 2 0 3 2 2 2 3 " ]
}

@test "kcat agrees on beginning, end, N and -N" {
  local spec mine theirs
  for spec in beginning end 3 -3; do
    mine=$(kpipe consume -b "$KPIPE_TEST_BROKERS" -t ts -o "$spec" -e -f '%p %o %s\n' | sort)
    theirs=$(kcat -b "$KPIPE_TEST_BROKERS" -C -t ts -o "$spec" -e -q -f '%p %o %s\n' | sort)
    echo "-o $spec: kpipe [$mine] kcat [$theirs]"
    [ "$mine" = "$theirs" ]
  done
}

# bats test_tags=broker-free
@test "a malformed spec exits 2 before any I/O and names the spec" {
  local spec
  for spec in bogus 5:3 -2:-5 @yesterday e@5:9 5:stored 3:beginning 1.5 : 3: 2026-01-01 s@soon; do
    run --separate-stderr kpipe consume -b "$KPIPE_TEST_BROKERS" -t ts -o "$spec" -e
    echo "-o '$spec': exit $status, stderr: $stderr"
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [[ "$stderr" == *"invalid offset \"$spec\""* ]]
  done
  # A spec is checked before the broker is asked anything: an unreachable one changes nothing.
  run --separate-stderr kpipe consume -b 127.0.0.1:1 -t ts -o bogus -e
  [ "$status" -eq 2 ]
  [[ "$stderr" == *'invalid offset "bogus"'* ]]
}

@test "stored without -G exits 2 and says a group is needed" {
  local spec
  for spec in stored stored:5 stored:end; do
    run --separate-stderr kpipe consume -b "$KPIPE_TEST_BROKERS" -t ts -o "$spec" -e
    echo "-o '$spec': exit $status, stderr: $stderr"
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [[ "$stderr" == *"stored"*"group"*"-G"* ]]
  done
}
