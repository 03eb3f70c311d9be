#!/usr/bin/env bats
# kpipe consume -o @TIME / s@MS / e@MS / ranges with times, and offsets list --time, against a
# broker that looks offsets up by time ($KPIPE_TEST_TIME_BROKERS). On the Kafka tier that is Kafka
# itself, with its time index. librdkafka 2.0.2's mock cluster answers every ListOffsets timestamp
# query with -1 (tests/cli/consume_offsets.bats checks kpipe against that answer), so on the mock
# tier tests/support/time_index_relay.py sits in front of a one-broker mock and answers those
# queries as Kafka does, from the records it reads back from the mock; every kpipe and kcat run
# goes through it (its Metadata rewriting keeps all requests on it). The tests of the relay itself
# and those that record kpipe's requests with relay.py (which cannot rewrite the flexible Metadata
# versions kpipe asks Kafka) are mock-only.

bats_require_minimum_version 1.5.0

# Topic ts: create time of record i of partition 0 is T0 + i*1000, of partition 1 T0 + i*2000,
# of partition 2 T0 + i*500 (2026-01-01T00:00:00Z); 10, 10 and 4 records, "pP-vI" at offset I.
T0=1767225600000
# Short sessions: a group run joins and leaves quickly.
SESSION=(-X session.timeout.ms=6000)

setup_file() {
  source "$BATS_TEST_DIRNAME/helpers/cluster.bash"
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  start_cluster --brokers 1 --topic ts:3 --topic rel:3 --topic five:1

  # rel: create times relative to the moment of setup (REL_NOW), so that @now and @-1h mean
  # something; margins of ten minutes and more keep the table true while the file runs.
  #   partition 0: now-3h, now-2h, now-30m, now-10m
  #   partition 1: now-5h, now-4h
  #   partition 2: now-2h, now-20m, now+1h (a record from the future)
  # five: 5 records one second apart from 1700000000000 (the skipped test of offsets.bats).
  REL_NOW=$(date +%s%3N)
  export REL_NOW
  # kafka-python is pinned to 2.3: from 2.4 on it asks ApiVersions v3, which the mock refuses in
  # a form that kafka-python 3.0.12 cannot read.
  "$KPIPE_TEST_PYTHON" - "$KPIPE_TEST_BROKERS" "$T0" "$REL_NOW" <<'EOF'
import sys
from kafka import KafkaProducer
t0, now = int(sys.argv[2]), int(sys.argv[3])
m, h = 60000, 3600000
p = KafkaProducer(bootstrap_servers=sys.argv[1].split(","), api_version=(2, 3, 0), linger_ms=0)
for part, count, step in ((0, 10, 1000), (1, 10, 2000), (2, 4, 500)):
    for i in range(count):
        p.send("ts", partition=part, value=b"p%d-v%d" % (part, i),
               timestamp_ms=t0 + i * step).get(10)
rel = {0: [-3 * h, -2 * h, -30 * m, -10 * m], 1: [-5 * h, -4 * h], 2: [-2 * h, -20 * m, h]}
for part, deltas in rel.items():
    for i, d in enumerate(deltas):
        p.send("rel", partition=part, value=b"p%d-v%d" % (part, i), timestamp_ms=now + d).get(10)
for i in range(5):
    p.send("five", partition=0, value=b"v%d" % i, timestamp_ms=1700000000000 + i * 1000).get(10)
p.close()
EOF
  if on_kafka; then
    export KPIPE_TEST_TIME_BROKERS=$KPIPE_TEST_BROKERS
  else
    start_time_relay
  fi
}

teardown_file() {
  _kpipe_stop_pid "${KPIPE_TEST_TIME_RELAY_PID:-}"
  stop_cluster
}

setup() {
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  source "$BATS_TEST_DIRNAME/helpers/first_last.bash"
}

# Starts tests/support/time_index_relay.py in front of the mock; exports KPIPE_TEST_TIME_BROKERS
# (its address) and KPIPE_TEST_TIME_RELAY_PID. Its stderr goes to $BATS_FILE_TMPDIR/time_relay.err.
start_time_relay() {
  _kpipe_start_background "$BATS_FILE_TMPDIR/time_relay.out" "$BATS_FILE_TMPDIR/time_relay.err" \
    "$KPIPE_TEST_PYTHON" "$BATS_TEST_DIRNAME/../support/time_index_relay.py" \
    "$KPIPE_TEST_BROKERS" --max-seconds "${KPIPE_TEST_MAX_SECONDS:-900}" || return 1
  export KPIPE_TEST_TIME_BROKERS=$_KPIPE_BG_LINE KPIPE_TEST_TIME_RELAY_PID=$_KPIPE_BG_PID
}

# t MS: T0 + MS.
t() { echo $((T0 + $1)); }

# check_table TOPIC ARGS ROW...: ARGS is one word of extra consume options (may be empty; the
# word %G is replaced by a group name of its own per row). Each ROW is "SPEC|EXPECTED"; runs
# `consume -o SPEC -e` on TOPIC at $KPIPE_TEST_TIME_BROKERS and compares first_last of its
# output. Every mismatch is listed before the test fails, so that one run shows them all.
check_table() {
  local topic=$1 extra=$2 row spec want got status failures=0 out err n=0 args
  shift 2
  out="$BATS_TEST_TMPDIR/out"
  err="$BATS_TEST_TMPDIR/err"
  for row in "$@"; do
    spec=${row%%|*}
    want=${row#*|}
    n=$((n + 1))
    # shellcheck disable=SC2206  # extra is a list of words by design
    args=(${extra//%G/g-time-$BATS_TEST_NUMBER-$n})
    status=0
    timeout -k 5 60 "$KPIPE_BIN" consume -b "$KPIPE_TEST_TIME_BROKERS" -t "$topic" "${args[@]}" \
      -o "$spec" -e -f '%p %o\n' >"$out" 2>"$err" || status=$?
    # Records of one partition arrive in order; sorting by partition keeps that order.
    got=$(sort -s -n -k1,1 "$out" | first_last)
    if [[ $status -ne 0 || "$got" != "$want" || -s "$err" ]]; then
      echo "-o '$spec' ${args[*]}: exit $status, got [$got], want [$want]; stderr: $(cat "$err")"
      failures=$((failures + 1))
    fi
  done
  [ "$failures" -eq 0 ]
}

# json_field JSON FIELD: "partition value" per element of kpipe's JSON array, sorted.
json_field() {
  /usr/bin/python3 -c '
import json, sys
for e in json.loads(sys.argv[1]):
    v = e[sys.argv[2]]
    print(e["partition"], "null" if v is None else v)
' "$1" "$2" | sort -n
}

# kcat_offsets TOPIC PARTITIONS TIME: "P OFFSET" per partition from one kcat -Q at
# $KPIPE_TEST_TIME_BROKERS.
kcat_offsets() {
  local topic=$1 parts=$2 time=$3 args=() p
  for p in $parts; do args+=(-t "$topic:$p:$time"); done
  kcat -b "$KPIPE_TEST_TIME_BROKERS" -Q "${args[@]}" |
    sed -n 's/^.* \[\([0-9]*\)\] offset \(-\{0,1\}[0-9]*\)$/\1 \2/p' | sort -n
}

@test "time queries find the first offset at or after the time (the mock: through the relay)" {
  # Kafka, and the relay as Kafka: the first offset at or after the time, -1 when none.
  [ "$(kcat_offsets ts '0 1 2' "$(t 4500)")" = $'0 5\n1 3\n2 -1' ]
  [ "$(kcat_offsets ts '0 1 2' "$(t 1000)")" = $'0 1\n1 1\n2 2' ]
  # Earliest and latest still come from the broker.
  [ "$(kcat_offsets ts '0 1 2' -2)" = $'0 0\n1 0\n2 0' ]
  [ "$(kcat_offsets ts '0 1 2' -1)" = $'0 10\n1 10\n2 4' ]
  # The mock on its own: no time index (the reason for the relay). Should a newer mock look
  # times up, this line fails and the relay may no longer be needed.
  if ! on_kafka; then
    run kcat -b "$KPIPE_TEST_BROKERS" -Q -t "ts:0:$(t 4500)"
    [[ "$output" == *"ts [0] offset -1"* ]]
  fi
}

@test "-o by time: each form yields the expected first and last offset per partition" {
  # Partitions 0 and 1 hold offsets 0-9, partition 2 offsets 0-3; ranges are END-exclusive and
  # a stop time stops before the first record at or after it.
  check_table ts '' \
    '@2026-01-01T00:00:05Z|0:5-9 1:3-9 2:none' \
    '@2026-01-01T01:00:05+01:00|0:5-9 1:3-9 2:none' \
    '@2025-12-31T19:00:05-0500|0:5-9 1:3-9 2:none' \
    '@2026-01-01 00:00:05.250+00:00|0:6-9 1:3-9 2:none' \
    '@2026-01-01T00:00:01.5Z|0:2-9 1:1-9 2:3-3' \
    '@2026-01-01T00:00:00.700Z|0:1-9 1:1-9 2:2-3' \
    "@$(t 4500)|0:5-9 1:3-9 2:none" \
    "@$(t 5000)|0:5-9 1:3-9 2:none" \
    "s@$(t 4500)|0:5-9 1:3-9 2:none" \
    "s@$(t 1000)|0:1-9 1:1-9 2:2-3" \
    "@$(t -1)|0:0-9 1:0-9 2:0-3" \
    '@2025-12-31T23:59:59Z|0:0-9 1:0-9 2:0-3' \
    "@$(t 18000)|0:none 1:9-9 2:none" \
    "@$(t 18001)|0:none 1:none 2:none" \
    "e@$(t 4000)|0:0-3 1:0-1 2:0-3" \
    "e@$(t 1200)|0:0-1 1:0-0 2:0-2" \
    "e@$(t 0)|0:none 1:none 2:none" \
    "e@$(t 18001)|0:0-9 1:0-9 2:0-3" \
    "@$(t 2000):@$(t 6000)|0:2-5 1:1-2 2:none" \
    '@2026-01-01T00:00:02Z:@2026-01-01T00:00:06Z|0:2-5 1:1-2 2:none' \
    "s@$(t 2000):e@$(t 6000)|0:2-5 1:1-2 2:none" \
    "@$(t 500):@$(t 1500)|0:1-1 1:none 2:1-2" \
    "beginning:@$(t 3000)|0:0-2 1:0-1 2:0-3" \
    "beginning:e@$(t 3000)|0:0-2 1:0-1 2:0-3" \
    "earliest:@$(t 9500)|0:0-9 1:0-4 2:0-3" \
    "-3:@$(t 8500)|0:7-8 1:none 2:1-3" \
    '2:@2026-01-01T00:00:03Z|0:2-2 1:none 2:2-3' \
    "+1:@$(t 5000)|0:1-4 1:1-2 2:1-3" \
    "@$(t 2000):end|0:2-9 1:1-9 2:none" \
    "@$(t 1000):latest|0:1-9 1:1-9 2:2-3" \
    "@$(t 2000):5|0:2-4 1:1-4 2:none" \
    "@$(t 2000):-2|0:2-7 1:1-7 2:none" \
    "@$(t 1000):+3|0:1-2 1:1-2 2:2-2"
}

@test "-o by relative time: @now, @-1h and friends against records timed around now" {
  # rel (see setup_file): partition 0 at now-3h, -2h, -30m, -10m; partition 1 at now-5h, -4h;
  # partition 2 at now-2h, -20m, +1h.
  check_table rel '' \
    '@now|0:none 1:none 2:2-2' \
    '@-1h|0:2-3 1:none 2:1-2' \
    '@-150m|0:1-3 1:none 2:0-2' \
    '@-1.5h|0:2-3 1:none 2:1-2' \
    '@-1d|0:0-3 1:0-1 2:0-2' \
    '@+30m|0:none 1:none 2:2-2' \
    '@+2h|0:none 1:none 2:none' \
    's@-1h|0:2-3 1:none 2:1-2' \
    'e@-1h|0:0-1 1:0-1 2:0-0' \
    'e@now|0:0-3 1:0-1 2:0-1' \
    '@-1h:@now|0:2-3 1:none 2:1-1' \
    'beginning:@-1h|0:0-1 1:0-1 2:0-0' \
    '-1:@now|0:3-3 1:1-1 2:none' \
    '@-4.5h:@-1.5h|0:0-1 1:1-1 2:0-0' \
    "@$((REL_NOW - 3600000))|0:2-3 1:none 2:1-2"
}

@test "-o by time with -p: only the partitions asked for" {
  run --separate-stderr kpipe consume -b "$KPIPE_TEST_TIME_BROKERS" -t ts -p 1 -o "@$(t 4500)" -e \
    -f '%p %o %T\n'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "1 3 $(t 6000)" ]
  [ "${#lines[@]}" -eq 7 ]
  run --separate-stderr kpipe consume -b "$KPIPE_TEST_TIME_BROKERS" -t ts -p 0,2 \
    -o "@$(t 1000):@$(t 3000)" -e -f '%p %o\n'
  [ "$status" -eq 0 ]
  [ "$(sort -n <<<"$output" | tr '\n' ' ')" = "0 1 0 2 2 2 2 3 " ]
}

@test "-G, a group without commits: -o @TIME says where its partitions start" {
  check_table ts "${SESSION[*]} -G %G" \
    "@$(t 4500)|0:5-9 1:3-9 2:none" \
    "@$(t 2000):@$(t 6000)|0:2-5 1:1-2 2:none" \
    "e@$(t 4000)|0:0-3 1:0-1 2:0-3"
  check_table rel "${SESSION[*]} -G %G" \
    '@-1h|0:2-3 1:none 2:1-2'
}

@test "-G: committed partitions resume where they were, -o @TIME only places the others" {
  run --separate-stderr kpipe consume -b "$KPIPE_TEST_TIME_BROKERS" "${SESSION[@]}" \
    -G g-time-resume -t ts -o "@$(t 4500)" -e -f '%p %o\n'
  [ "$status" -eq 0 ]
  [ "$(sort -s -n -k1,1 <<<"$output" | first_last)" = '0:5-9 1:3-9 2:none' ]
  # What was written is committed; partition 2 printed nothing, so it has no commit.
  run --separate-stderr kpipe offsets get -b "$KPIPE_TEST_TIME_BROKERS" -G g-time-resume -t ts \
    --format json
  [ "$status" -eq 0 ]
  [ "$(json_field "$output" offset)" = $'0 10\n1 10\n2 null' ]
  # A second run with an earlier time: 0 and 1 go on from their commits (nothing new), 2 starts
  # at the time.
  run --separate-stderr kpipe consume -b "$KPIPE_TEST_TIME_BROKERS" "${SESSION[@]}" \
    -G g-time-resume -t ts -o "@$(t 1000)" -e -f '%p %o\n'
  [ "$status" -eq 0 ]
  [ "$(sort -s -n -k1,1 <<<"$output" | first_last)" = '0:none 1:none 2:2-3' ]
}

@test "a range by time without -e ends by itself once every partition reached its stop" {
  # No -e: the stops (offsets 6 and 3, found by time) end partitions 0 and 1; -p leaves out
  # partition 2, whose range would be empty. Bounded by timeout, so that a regression (waiting
  # forever on a partition that has nothing left to read) fails instead of hanging the suite.
  run --separate-stderr timeout -k 2 10 "$KPIPE_BIN" consume -b "$KPIPE_TEST_TIME_BROKERS" -t ts \
    -p 0,1 -o "@$(t 2000):@$(t 6000)" -f '%p %o\n'
  echo "exit $status; stderr: $stderr"
  [ "$(sort -s -n -k1,1 <<<"$output" | first_last)" = '0:2-5 1:1-2 2:none' ]
  [ "$status" -eq 0 ]
}

@test "offsets list --time: first offset at or after the time, with its time; -1 after the last" {
  run --separate-stderr kpipe offsets list -b "$KPIPE_TEST_TIME_BROKERS" -t ts --time "$(t 4500)" \
    --format json
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  [ "$(json_field "$output" offset)" = $'0 5\n1 3\n2 -1' ]
  [ "$(json_field "$output" timestamp)" = $'0 '"$(t 5000)"$'\n1 '"$(t 6000)"$'\n2 -1' ]
  # Exactly the time of a record: that record.
  run --separate-stderr kpipe offsets list -b "$KPIPE_TEST_TIME_BROKERS" -t ts --time "$(t 18000)" \
    --format json
  [ "$(json_field "$output" offset)" = $'0 -1\n1 9\n2 -1' ]
  # Before the first record: offset 0 everywhere, with the first record's time.
  run --separate-stderr kpipe offsets list -b "$KPIPE_TEST_TIME_BROKERS" -t ts --time "$(t -1)" \
    --format json
  [ "$(json_field "$output" offset)" = $'0 0\n1 0\n2 0' ]
  [ "$(json_field "$output" timestamp)" = $'0 '"$T0"$'\n1 '"$T0"$'\n2 '"$T0" ]
  # Text: a row per partition.
  run --separate-stderr kpipe offsets list -b "$KPIPE_TEST_TIME_BROKERS" -t ts -p 0,2 \
    --time "$(t 1200)"
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 3 ]
  [[ "${lines[0]}" =~ ^PARTITION\ +OFFSET\ +TIMESTAMP$ ]]
  [[ "${lines[1]}" =~ ^0\ +2\ +$(t 2000)$ ]]
  [[ "${lines[2]}" =~ ^2\ +3\ +$(t 1500)$ ]]
  # kcat -Q through the same relay agrees.
  local time
  for time in "$(t 4500)" "$(t 18000)" "$(t -1)" "$(t 700)"; do
    run --separate-stderr kpipe offsets list -b "$KPIPE_TEST_TIME_BROKERS" -t ts --time "$time" \
      --format json
    [ "$(json_field "$output" offset)" = "$(kcat_offsets ts '0 1 2' "$time")" ]
  done
}

@test "offsets list --time max-timestamp: the record with the highest timestamp (KIP-734)" {
  run --separate-stderr kpipe offsets list -b "$KPIPE_TEST_TIME_BROKERS" -t ts \
    --time max-timestamp --format json
  [ "$status" -eq 0 ]
  [ "$(json_field "$output" offset)" = $'0 9\n1 9\n2 3' ]
  [ "$(json_field "$output" timestamp)" = $'0 '"$(t 9000)"$'\n1 '"$(t 18000)"$'\n2 '"$(t 1500)" ]
  # rel: partition 2's highest timestamp is its record from the future, not its last one.
  run --separate-stderr kpipe offsets list -b "$KPIPE_TEST_TIME_BROKERS" -t rel \
    --time max-timestamp --format json
  [ "$status" -eq 0 ]
  [ "$(json_field "$output" offset)" = $'0 3\n1 1\n2 2' ]
  [ "$(json_field "$output" timestamp | sed -n 's/^2 //p')" -eq $((REL_NOW + 3600000)) ]
}

# bats test_tags=kafka-only
@test "Kafka's time index: times out of offset order from produce -J; a LogAppendTime topic" {
  # jts: create times set by produce -J, out of offset order (T0 +1 s, +5 s, +3 s, +7 s): Kafka
  # answers the first offset whose time is at or after the time asked, and reading goes on from
  # there whatever the later times. appended: the broker stamps each batch with the time it
  # appended it (message.timestamp.type=LogAppendTime), over the create times produce -J sent.
  "$KPIPE_TEST_PYTHON" - "$KPIPE_TEST_BROKERS" <<'EOF'
import sys
from kafka import KafkaAdminClient
from kafka.admin import NewTopic
admin = KafkaAdminClient(bootstrap_servers=sys.argv[1].split(","))
admin.create_topics([NewTopic("jts", 1, 1),
                     NewTopic("appended", 1, 1,
                              topic_configs={"message.timestamp.type": "LogAppendTime"})])
admin.close()
EOF
  local ms
  for ms in 1000 5000 3000 7000; do
    printf '{"value":"at+%d","timestamp":%d}\n' "$ms" "$(t "$ms")"
  done | kpipe produce -b "$KPIPE_TEST_BROKERS" -t jts -J
  run --separate-stderr kpipe consume -b "$KPIPE_TEST_BROKERS" -t jts -e -f '%o %T %s\n'
  [ "$output" = "$(printf '%s\n' "0 $(t 1000) at+1000" "1 $(t 5000) at+5000" \
    "2 $(t 3000) at+3000" "3 $(t 7000) at+7000")" ]
  check_table jts '' \
    "@$(t 0)|0:0-3 1:none 2:none" \
    "@$(t 4000)|0:1-3 1:none 2:none" \
    "s@$(t 3000)|0:1-3 1:none 2:none" \
    "@$(t 5001)|0:3-3 1:none 2:none" \
    "@$(t 7001)|0:none 1:none 2:none" \
    "e@$(t 3000)|0:0-0 1:none 2:none" \
    "e@$(t 6000)|0:0-2 1:none 2:none" \
    "@$(t 2000):@$(t 6000)|0:1-2 1:none 2:none" \
    "@$(t 3000):@$(t 4000)|0:none 1:none 2:none"
  run --separate-stderr kpipe offsets list -b "$KPIPE_TEST_BROKERS" -t jts --time "$(t 2000)" \
    --format json
  [ "$output" = '[{"topic":"jts","partition":0,"offset":1,"timestamp":'"$(t 5000)"'}]' ]
  run --separate-stderr kpipe offsets list -b "$KPIPE_TEST_BROKERS" -t jts --time max-timestamp \
    --format json
  [ "$output" = '[{"topic":"jts","partition":0,"offset":3,"timestamp":'"$(t 7000)"'}]' ]

  local before after
  before=$(date +%s%3N)
  printf '{"value":"a0","timestamp":%d}\n{"value":"a1","timestamp":%d}\n' "$(t 0)" "$(t 1000)" |
    kpipe produce -b "$KPIPE_TEST_BROKERS" -t appended -J
  after=$(date +%s%3N)
  run --separate-stderr kpipe consume -b "$KPIPE_TEST_BROKERS" -t appended -e -J
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 2 ]
  run python3 -c '
import json, sys
before, after = int(sys.argv[1]), int(sys.argv[2])
for line in sys.argv[3:]:
    e = json.loads(line)
    assert e["timestamp_type"] == "log_append", e
    assert before <= e["timestamp"] <= after, (before, e, after)
    print(e["offset"], e["value"])
' "$before" "$after" "${lines[@]}"
  echo "$output"
  [ "$output" = $'0 a0\n1 a1' ]
  # By time, the append times count, not the create times sent.
  check_table appended '' \
    "@$(t 1000)|0:0-1 1:none 2:none" \
    "@$before|0:0-1 1:none 2:none" \
    "@$((after + 1))|0:none 1:none 2:none" \
    "e@$before|0:none 1:none 2:none"
}

@test "offsets list --time between two records: the first offset at or after it" {
  # The working version of the test offsets.bats skips on the bare mock.
  run --separate-stderr kpipe offsets list -b "$KPIPE_TEST_TIME_BROKERS" -t five \
    --time 1700000001500 --format json
  [ "$status" -eq 0 ]
  [ "$(json_field "$output" offset)" = "0 2" ]
  [ "$(json_field "$output" timestamp)" = "0 1700000002000" ]
  [ "$(json_field "$output" offset)" = "$(kcat_offsets five 0 1700000001500)" ]
  # After the last record: none (-1).
  run --separate-stderr kpipe offsets list -b "$KPIPE_TEST_TIME_BROKERS" -t five \
    --time 1700000009000 --format json
  [ "$(json_field "$output" offset)" = "0 -1" ]
  [ "$(json_field "$output" timestamp)" = "0 -1" ]
}

# relay.py records only what comes through it: it rewrites the brokers of non-flexible Metadata
# answers only, and kpipe asks Kafka 4 for Metadata v13.
# bats test_tags=mock-only
@test "offsets list --time between two records: the question on the wire" {
  # Recorded by relay.py in front of the time relay: ListOffsets for partition 0 with that
  # timestamp, read-uncommitted (the default of list).
  start_relay "$KPIPE_TEST_TIME_BROKERS" "$BATS_TEST_TMPDIR/capture"
  run --separate-stderr kpipe offsets list -b "$KPIPE_TEST_RELAY" -t five \
    --time 1700000001500 --format json
  stop_relay
  [ "$status" -eq 0 ]
  [ "$(json_field "$output" offset)" = "0 2" ]
  run listoffsets_asked "$BATS_TEST_TMPDIR/capture"
  [ "$output" = "[(0, 'five', 0, 1700000001500)]" ]
}

@test "kcat agrees with kpipe on s@ and e@ (the mock: through the relay)" {
  local time spec mine theirs
  for time in "$(t -1)" "$(t 1000)" "$(t 4500)" "$(t 5000)" "$(t 18000)" "$(t 18001)"; do
    for spec in "s@$time" "e@$time"; do
      mine=$(timeout -k 5 60 "$KPIPE_BIN" consume -b "$KPIPE_TEST_TIME_BROKERS" -t ts \
        -o "$spec" -e -f '%p %o %T %s\n' | sort)
      theirs=$(timeout -k 5 60 kcat -b "$KPIPE_TEST_TIME_BROKERS" -C -t ts -o "$spec" -e -q \
        -f '%p %o %T %s\n' | sort)
      echo "-o $spec: kpipe [$mine] kcat [$theirs]"
      [ "$mine" = "$theirs" ]
    done
  done
  # Not only empty outputs agreeing: s@T0+4500 reads records, e@ of it too.
  [ "$(kcat -b "$KPIPE_TEST_TIME_BROKERS" -C -t ts -o "s@$(t 4500)" -e -q | wc -l)" -eq 12 ]
  [ "$(kcat -b "$KPIPE_TEST_TIME_BROKERS" -C -t ts -o "e@$(t 4500)" -e -q | wc -l)" -eq 12 ]
}

# As above, relay.py would not see kpipe's requests to Kafka.
# bats test_tags=mock-only
@test "kpipe asks ListOffsets by time at v5, kcat at v2 (on the wire, through the relay)" {
  start_relay "$KPIPE_TEST_TIME_BROKERS" "$BATS_TEST_TMPDIR/capture"
  kpipe consume -b "$KPIPE_TEST_RELAY" -t ts -o "@$(t 4500)" -e >/dev/null
  kcat -b "$KPIPE_TEST_RELAY" -C -t ts -o "s@$(t 4500)" -e -q >/dev/null
  stop_relay
  # (client, version) of every time query and of its answer, and what the answer said.
  run --separate-stderr /usr/bin/python3 -c '
import json, sys
requests, seen = {}, set()
for line in sys.stdin:
    f = json.loads(line)
    if "file" in f:  # correlation ids are per connection
        requests = {}
    if f.get("api") != "ListOffsets":
        continue
    if f["type"] == "request":
        client = f["header"]["client_id"].split("-")[0]
        if all(p["timestamp"] >= 0 for t in f["body"]["topics"] for p in t["partitions"]):
            requests[f["correlation_id"]] = client
    elif f["correlation_id"] in requests:
        got = sorted((p["partition_index"], p["offset"]) for t in f["body"]["topics"]
                     for p in t["partitions"])
        seen.add((requests[f["correlation_id"]], f["api_version"], str(got)))
for s in sorted(seen):
    print(*s)
' < <(for f in "$BATS_TEST_TMPDIR"/capture/conn-*.bin; do
    echo "{\"file\": \"$f\"}"
    # The mock's own ListOffsets v5 answers (to earliest and latest) do not decode, which kpipe
    # works around (src/lib/client/list_offsets.cpp); decode goes on past them but exits 1, and
    # bats' errexit would end this loop there.
    "$KPIPE_BIN" decode --frames "$f" 2>/dev/null || true
  done)
  echo "$output"
  [ "${#lines[@]}" -eq 2 ]
  [[ "${lines[0]}" == "kpipe 5 [(0, 5), (1, 3), (2, -1)]" ]]
  [[ "${lines[1]}" == "rdkafka 2 [(0, 5), (1, 3), (2, -1)]" ]]
}

@test "ListOffsets by time in every version v1-v10 (Kafka, or the relay): kpipe decode reads each" {
  # Every version by hand, flexible ones (v6+) included: kpipe's decoder reads each answer.
  raw_list_offsets "$BATS_TEST_TMPDIR/raw.bin" ts "$(t 4500)" 1 2 3 4 5 6 7 8 9 10
  run --separate-stderr "$KPIPE_BIN" decode --frames "$BATS_TEST_TMPDIR/raw.bin"
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  run /usr/bin/python3 -c '
import json, sys
for line in sys.stdin:
    f = json.loads(line)
    if f["type"] == "response":
        # In partition order: Kafka answers them in an order of its own.
        print(f["api_version"], *sorted((p["partition_index"], p["offset"], p["timestamp"],
              p.get("leader_epoch")) for t in f["body"]["topics"] for p in t["partitions"]))
' <<<"$output"
  echo "$output"
  [ "${#lines[@]}" -eq 10 ]
  local v
  for v in 1 2 3; do
    [ "${lines[v - 1]}" = "$v (0, 5, $(t 5000), None) (1, 3, $(t 6000), None) (2, -1, -1, None)" ]
  done
  for v in 4 5 6 7 8 9 10; do
    [ "${lines[v - 1]}" = "$v (0, 5, $(t 5000), 0) (1, 3, $(t 6000), 0) (2, -1, -1, -1)" ]
  done
}

# raw_list_offsets FILE TOPIC TIMESTAMP VERSION...: one ListOffsets request per version to
# $KPIPE_TEST_TIME_BROKERS (partitions 0-2 of TOPIC at TIMESTAMP), each request and its answer
# appended to FILE as `kpipe decode --frames` reads them.
raw_list_offsets() {
  /usr/bin/python3 - "$KPIPE_TEST_TIME_BROKERS" "$@" <<'EOF'
import socket, struct, sys
host, port = sys.argv[1].rsplit(":", 1)
path, topic, ts = sys.argv[2], sys.argv[3].encode(), int(sys.argv[4])
def uvarint(n):
    b = bytearray()
    while n >= 0x80:
        b.append(n & 0x7F | 0x80)
        n >>= 7
    return bytes(b + bytes([n]))
with socket.create_connection((host, int(port)), timeout=10) as s, open(path, "wb") as out:
    for v in map(int, sys.argv[5:]):
        flex = v >= 6
        tags = b"\0" if flex else b""
        body = struct.pack(">hhih", 2, v, 100 + v, 3) + b"raw" + tags + struct.pack(">i", -1)
        body += struct.pack(">b", 0) if v >= 2 else b""
        body += uvarint(2) if flex else struct.pack(">i", 1)
        body += (uvarint(len(topic) + 1) if flex else struct.pack(">h", len(topic))) + topic
        body += uvarint(4) if flex else struct.pack(">i", 3)
        for p in range(3):
            body += struct.pack(">i", p) + (struct.pack(">i", -1) if v >= 4 else b"")
            body += struct.pack(">q", ts) + tags
        body += tags + (struct.pack(">i", 5000) if v >= 10 else b"") + tags
        request = struct.pack(">i", len(body)) + body
        s.sendall(request)
        size = s.recv(4, socket.MSG_WAITALL)
        answer = s.recv(struct.unpack(">i", size)[0], socket.MSG_WAITALL)
        out.write(request + size + answer)
EOF
}

# bats test_tags=mock-only
@test "a bad frame closes that connection only; the relay goes on answering" {
  /usr/bin/python3 - "$KPIPE_TEST_TIME_BROKERS" <<'EOF'
import socket, struct, sys
host, port = sys.argv[1].rsplit(":", 1)
def closed_without_answer(data):
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(data)
        assert s.recv(100) == b"", "the relay answered a bad frame"
# A negative frame size; a ListOffsets v5 request cut after its topic count; one whose
# partition count promises more than the frame holds.
closed_without_answer(struct.pack(">i", -5))
head = struct.pack(">hhih", 2, 5, 7, 1) + b"x" + struct.pack(">ib", -1, 0)
for body in (head + struct.pack(">i", 1),
             head + struct.pack(">i", 1) + struct.pack(">h", 2) + b"ts" + struct.pack(">i", 1000)):
    closed_without_answer(struct.pack(">i", len(body)) + body)
EOF
  [ "$(kcat_offsets ts '0 1 2' "$(t 4500)")" = $'0 5\n1 3\n2 -1' ]
  # The relay logged why it closed them.
  grep -q "client connection closed" "$BATS_FILE_TMPDIR/time_relay.err"
}
