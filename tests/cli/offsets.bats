#!/usr/bin/env bats
# kpipe offsets list|get|commit against the reference broker (librdkafka's mock cluster, or a
# real Kafka), with kcat -Q and kafka-python ($KPIPE_TEST_PYTHON) as the references.
# kafka-python is pinned to api_version=(2, 3, 0): from 2.4 on it asks ApiVersions v3, which
# librdkafka 2.0.2's mock refuses in a form that kafka-python 3.0.12 cannot read; Kafka 4 still
# serves every version that 2.3 uses.

bats_require_minimum_version 1.5.0

setup_file() {
  source "$BATS_TEST_DIRNAME/helpers/cluster.bash"
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  start_cluster --brokers 3 --topic six:6 --topic grp:3 --topic ts:1 --topic times:3
  local b=$KPIPE_TEST_BROKERS p i

  # six: uneven content, leaders on all three brokers (real Kafka spreads them by itself).
  # Partition p gets COUNTS[p] records; partition 3 then gets 8 records of 900 kB, more than
  # the mock keeps per partition (5 MB), so it drops its oldest batches and the earliest offset
  # moves past 0. Kafka keeps them all: there DeleteRecords moves it (to EARLIEST3_KAFKA).
  local counts=(0 1 4 9 2 7)
  if ! on_kafka; then
    for p in 0 1 2 3 4 5; do
      cluster_control leader six "$p" "$((p % 3 + 1))"
    done
  fi
  for p in 1 2 3 4 5; do
    for ((i = 0; i < counts[p]; i++)); do echo "p$p-v$i"; done | kcat -b "$b" -P -t six -p "$p"
  done
  for i in 1 2 3 4 5 6 7 8; do
    head -c 900000 /dev/zero | tr '\0' x
    echo
  done >"$BATS_FILE_TMPDIR/large.txt"
  kcat -b "$b" -P -t six -p 3 -l "$BATS_FILE_TMPDIR/large.txt"
  if on_kafka; then
    export EARLIEST3_KAFKA=12
    "$KPIPE_TEST_PYTHON" - "$b" "$EARLIEST3_KAFKA" <<'EOF'
import sys
from kafka import KafkaAdminClient, TopicPartition
a = KafkaAdminClient(bootstrap_servers=sys.argv[1].split(","))
a.delete_records({TopicPartition("six", 3): int(sys.argv[2])}, timeout_ms=30000)
a.close()
EOF
  fi

  # grp: 10 records per partition, "pP-vI" at offset I.
  for p in 0 1 2; do
    for i in $(seq 0 9); do echo "p$p-v$i"; done | kcat -b "$b" -P -t grp -p "$p"
  done

  # ts: 5 records one second apart, from 1700000000000; on the mock led by broker 1, so that a
  # relay in front of broker 1 alone sees all of a client's traffic for it.
  on_kafka || cluster_control leader ts 0 1
  "$KPIPE_TEST_PYTHON" - "$b" <<'EOF'
import sys
from kafka import KafkaProducer
p = KafkaProducer(bootstrap_servers=sys.argv[1].split(","), api_version=(2, 3, 0), linger_ms=0)
for i in range(5):
    p.send("ts", partition=0, value=b"v%d" % i, timestamp_ms=1700000000000 + i * 1000).get(10)
p.close()
EOF

  # times (real Kafka only, whose time index answers lookups): timestamps from T0, a whole
  # second one day ago (recent, so that no time retention deletes them: scripts/kafka.sh turns
  # it off, a cluster of KPIPE_KAFKA_ENV's choosing may not), out of order in partition 0 (so
  # that "first offset at or after T" differs from "first timestamp at or after T"), in order in
  # partition 1, and two records stamped now in partition 2.
  if on_kafka; then
    export T0=$((($(date +%s) - 86400) * 1000))
    local d
    for d in 0:0 0:1000 0:500 0:5000 0:2000 0:4000 1:10000 1:20000 1:30000; do
      printf '{"partition":%d,"timestamp":%d,"value":"+%d"}\n' "${d%:*}" "$((T0 + ${d#*:}))" "${d#*:}"
    done | kpipe produce -b "$b" -t times -J
    printf 'p2-0\np2-1\n' | kpipe produce -b "$b" -t times -p 2
  fi
}

teardown_file() {
  stop_cluster
}

setup() {
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
}

# kcat_offsets TOPIC PARTITIONS TIME: "P OFFSET" per partition from one kcat -Q, sorted.
kcat_offsets() {
  local topic=$1 parts=$2 time=$3 args=() p
  for p in $parts; do args+=(-t "$topic:$p:$time"); done
  kcat -b "$KPIPE_TEST_BROKERS" -Q "${args[@]}" |
    sed -n 's/^.* \[\([0-9]*\)\] offset \(-\{0,1\}[0-9]*\)$/\1 \2/p' | sort -n
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

@test "list --format json agrees with kcat -Q on earliest and latest of every partition" {
  run --separate-stderr "$KPIPE_BIN" offsets list -b "$KPIPE_TEST_BROKERS" -t six --format json
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  local json=$output
  run json_field "$json" earliest
  local earliest=$output
  run json_field "$json" latest
  local latest=$output
  echo "kpipe earliest: $earliest"
  echo "kpipe latest: $latest"
  [ "$earliest" = "$(kcat_offsets six '0 1 2 3 4 5' -2)" ]
  [ "$latest" = "$(kcat_offsets six '0 1 2 3 4 5' -1)" ]
  # What was written: 0, 1, 4, 9 + 8, 2 and 7 records; partition 3 lost its oldest batches.
  [ "$latest" = "$(printf '0 0\n1 1\n2 4\n3 17\n4 2\n5 7')" ]
  [ "$(grep -v '^3 ' <<<"$earliest")" = "$(printf '0 0\n1 0\n2 0\n4 0\n5 0')" ]
  local earliest3
  earliest3=$(sed -n 's/^3 //p' <<<"$earliest")
  [ "$earliest3" -gt 0 ]
  [ "$earliest3" -lt 17 ]
  if on_kafka; then
    [ "$earliest3" -eq "$EARLIEST3_KAFKA" ]
  fi
  # Every member, in partition order.
  [[ "$json" == '[{"topic":"six","partition":0,"earliest":0,"latest":0},{"topic":"six","partition":1,"earliest":0,"latest":1},'* ]]
}

@test "list text output: a row per partition with the record count" {
  run --separate-stderr "$KPIPE_BIN" offsets list -b "$KPIPE_TEST_BROKERS" -t six -p 2,5
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 3 ]
  [[ "${lines[0]}" =~ ^PARTITION\ +EARLIEST\ +LATEST\ +RECORDS$ ]]
  [[ "${lines[1]}" =~ ^2\ +0\ +4\ +4$ ]]
  [[ "${lines[2]}" =~ ^5\ +0\ +7\ +7$ ]]
  local e3
  e3=$(kcat_offsets six 3 -2 | cut -d' ' -f2)
  run --separate-stderr "$KPIPE_BIN" offsets list -b "$KPIPE_TEST_BROKERS" -t six -p 3
  [[ "${lines[1]}" =~ ^3\ +$e3\ +17\ +$((17 - e3))$ ]]
}

@test "list --time earliest and latest give the same offsets as list" {
  run --separate-stderr "$KPIPE_BIN" offsets list -b "$KPIPE_TEST_BROKERS" -t six --time earliest \
    --format json
  [ "$status" -eq 0 ]
  [ "$(json_field "$output" offset)" = "$(kcat_offsets six '0 1 2 3 4 5' -2)" ]
  run --separate-stderr "$KPIPE_BIN" offsets list -b "$KPIPE_TEST_BROKERS" -t six --time latest \
    --format json
  [ "$status" -eq 0 ]
  [ "$(json_field "$output" offset)" = "$(kcat_offsets six '0 1 2 3 4 5' -1)" ]
}

# What the offsets are for a time is tested below on real Kafka, and on the mock in
# consume_time.bats through a relay that looks timestamps up (librdkafka 2.0.2's mock answers
# every such query with -1). mock-only: what is checked here is the question on the wire, and
# the relay rewrites Metadata so that one broker (ts's leader, set by cluster_control) gets it.
# bats test_tags=mock-only
@test "list --time asks ListOffsets for that timestamp on the wire; kpipe and kcat agree" {
  run --separate-stderr "$KPIPE_BIN" offsets list -b "$KPIPE_TEST_BROKERS" -t ts \
    --time 1700000001500 --format json
  [ "$status" -eq 0 ]
  local ours
  ours=$(json_field "$output" offset)
  # kpipe and kcat agree, whatever the broker answers.
  [ "$ours" = "$(kcat_offsets ts 0 1700000001500)" ]

  # The question on the wire: ListOffsets for partition 0 with that timestamp, read-uncommitted
  # (the default of list). The relay rewrites Metadata so that every request crosses it.
  start_relay "${KPIPE_TEST_BROKERS%%,*}" "$BATS_TEST_TMPDIR/capture"
  run --separate-stderr "$KPIPE_BIN" offsets list -b "$KPIPE_TEST_RELAY" -t ts \
    --time 1700000001500 --format json
  stop_relay
  [ "$status" -eq 0 ]
  [ "$(json_field "$output" offset)" = "$ours" ]
  run listoffsets_asked "$BATS_TEST_TMPDIR/capture"
  [ "$output" = "[(0, 'ts', 0, 1700000001500)]" ]
}

# time_answers TIME MS: for the records of topic times as kafka-python read them (times.jsonl),
# what a lookup of MS must give, "PARTITION OFFSET TIMESTAMP" per partition: the first offset
# whose timestamp is at or after MS, or "-1 -1" when there is none. TIME max-timestamp: the
# record with the largest timestamp (the first of equals, KIP-734).
time_answers() {
  python3 - "$1" "$2" "$BATS_FILE_TMPDIR/times.jsonl" <<'EOF'
import json, sys
form, ms = sys.argv[1], int(sys.argv[2])
parts = {0: [], 1: [], 2: []}
for line in open(sys.argv[3]):
    r = json.loads(line)
    parts[r["partition"]].append((r["offset"], r["timestamp"]))
for p, recs in sorted(parts.items()):
    if form == "max-timestamp":
        found = [r for r in recs if r[1] == max((t for _, t in recs), default=None)][:1]
    else:
        found = [r for r in recs if r[1] >= ms][:1]
    print(p, *(found[0] if found else (-1, -1)))
EOF
}

# Real Kafka answers lookups from its time index (the mock has none): the offsets for every form
# of TIME must be those that the records' own timestamps give, and kcat -Q must agree.
# bats test_tags=kafka-only
@test "list --time on real Kafka: the first offset at or after TIME per partition, -1 past the last" {
  local read_topic_out="$BATS_FILE_TMPDIR/times.jsonl"
  "$KPIPE_TEST_PYTHON" "$KPIPE_CLI_HELPERS/read_topic.py" "$KPIPE_TEST_BROKERS" times \
    --timeout 30 >"$read_topic_out"
  # The records are those setup_file wrote, with the timestamps it gave (partition 2: now).
  local now_ms t0=$T0 form ms
  now_ms=$(date +%s%3N)
  run python3 -c '
import json, sys
t0, now = int(sys.argv[2]), int(sys.argv[3])
for line in open(sys.argv[1]):
    r = json.loads(line)
    ts = r["timestamp"] - t0
    if r["partition"] == 2 and now - 60000 < r["timestamp"] <= now:
        ts = "now"
    print(r["partition"], r["offset"], ts)
' "$read_topic_out" "$t0" "$now_ms"
  [ "$(tr '\n' ' ' <<<"$output")" = "0 0 0 0 1 1000 0 2 500 0 3 5000 0 4 2000 0 5 4000 1 0 10000 1 1 20000 1 2 30000 2 0 now 2 1 now " ]

  # The expectation itself, by hand: out of order, T0 + 1.5 s is at offset 3 (T0 + 5 s) of
  # partition 0, not at 4 (T0 + 2 s); partition 2's records are newer than any such T.
  run time_answers "" $((t0 + 1500))
  [ "${lines[0]}" = "0 3 $((t0 + 5000))" ]
  [ "${lines[1]}" = "1 0 $((t0 + 10000))" ]
  [[ "${lines[2]}" =~ ^2\ 0\ [0-9]{13}$ ]]
  # FORM=MS: what kpipe is given, and the time in milliseconds that it stands for.
  local cases=(
    "$((t0 - 1))=$((t0 - 1))"
    "$t0=$t0"
    "$((t0 + 1))=$((t0 + 1))"
    "$((t0 + 1500))=$((t0 + 1500))"
    "$(date -u -d "@$((t0 / 1000 + 1))" +%Y-%m-%dT%H:%M:%S).500Z=$((t0 + 1500))"
    "$(TZ=Etc/GMT-1 date -d "@$((t0 / 1000 + 4))" '+%Y-%m-%d %H:%M:%S').500+01:00=$((t0 + 4500))"
    "$((t0 + 5001))=$((t0 + 5001))"
    "$((t0 + 20000))=$((t0 + 20000))"
    "$((t0 + 30001))=$((t0 + 30001))"
    "-1h=$((now_ms - 3600000))"
    "now=$now_ms"
    "max-timestamp=0"
  )
  local c expected kcat_expected json
  for c in "${cases[@]}"; do
    form=${c%=*}
    ms=${c##*=}
    expected=$(time_answers "$form" "$ms")
    run --separate-stderr "$KPIPE_BIN" offsets list -b "$KPIPE_TEST_BROKERS" -t times \
      --time "$form" --format json
    echo "--time $form ($ms): status $status, $output $stderr"
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    json=$output
    run python3 -c '
import json, sys
for e in json.loads(sys.argv[1]):
    assert e["topic"] == "times", e
    print(e["partition"], e["offset"], e["timestamp"])
' "$json"
    echo "kpipe:    $(tr '\n' ' ' <<<"$output")"
    echo "expected: $(tr '\n' ' ' <<<"$expected")"
    [ "$output" = "$expected" ]
    # kcat -Q asks for milliseconds only (and max-timestamp is newer than its librdkafka).
    if [[ "$form" =~ ^[0-9]+$ ]]; then
      kcat_expected=$(cut -d' ' -f1-2 <<<"$expected")
      [ "$(kcat_offsets times '0 1 2' "$form")" = "$kcat_expected" ]
    fi
  done

  # Text: the record's timestamp beside its offset, -1 for none.
  run --separate-stderr "$KPIPE_BIN" offsets list -b "$KPIPE_TEST_BROKERS" -t times -p 1,0 \
    --time $((t0 + 25000))
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 3 ]
  [ "${lines[0]}" = "PARTITION  OFFSET  TIMESTAMP" ]
  [[ "${lines[1]}" =~ ^1\ +2\ +$((t0 + 30000))$ ]]
  [[ "${lines[2]}" =~ ^0\ +-1\ +-1$ ]]

  # earliest and latest are the log's ends whatever the timestamps.
  run --separate-stderr "$KPIPE_BIN" offsets list -b "$KPIPE_TEST_BROKERS" -t times --time latest \
    --format json
  [ "$(json_field "$output" offset)" = "$(printf '0 6\n1 3\n2 2')" ]
  run --separate-stderr "$KPIPE_BIN" offsets list -b "$KPIPE_TEST_BROKERS" -t times \
    --time earliest --format json
  [ "$(json_field "$output" offset)" = "$(printf '0 0\n1 0\n2 0')" ]
}

@test "commit then get: partition 0 at the offset, the others without; kafka-python resumes there" {
  run --separate-stderr "$KPIPE_BIN" offsets commit -b "$KPIPE_TEST_BROKERS" -G g -t grp -p 0 -o 5
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [ -z "$stderr" ]

  run --separate-stderr "$KPIPE_BIN" offsets get -b "$KPIPE_TEST_BROKERS" -G g -t grp --format json
  [ "$status" -eq 0 ]
  [ "$output" = '[{"group":"g","topic":"grp","partition":0,"offset":5},{"group":"g","topic":"grp","partition":1,"offset":null},{"group":"g","topic":"grp","partition":2,"offset":null}]' ]

  run --separate-stderr "$KPIPE_BIN" offsets get -b "$KPIPE_TEST_BROKERS" -G g -t grp
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 4 ]
  [[ "${lines[0]}" =~ ^PARTITION\ +COMMITTED$ ]]
  [[ "${lines[1]}" =~ ^0\ +5$ ]]
  [[ "${lines[2]}" =~ ^1\ +-$ ]]
  [[ "${lines[3]}" =~ ^2\ +-$ ]]

  # A member of group g (kafka-python) sees the commit and resumes at offset 5.
  run "$KPIPE_TEST_PYTHON" - "$KPIPE_TEST_BROKERS" <<'EOF'
import sys
from kafka import KafkaConsumer, TopicPartition
c = KafkaConsumer(bootstrap_servers=sys.argv[1].split(","), group_id="g", api_version=(2, 3, 0),
                  enable_auto_commit=False, auto_offset_reset="none")
tps = [TopicPartition("grp", p) for p in range(3)]
print("committed", [c.committed(tp) for tp in tps])
c.assign([tps[0]])
print("position", c.position(tps[0]))
first = None
for _ in range(20):
    for records in c.poll(timeout_ms=500).values():
        first = first or records[0]
    if first:
        break
print("first", first.offset, first.value.decode())
c.close()
EOF
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "committed [5, None, None]" ]
  [ "${lines[1]}" = "position 5" ]
  [ "${lines[2]}" = "first 5 p0-v5" ]
}

@test "get shows what kafka-python committed; a second commit replaces the first" {
  run "$KPIPE_TEST_PYTHON" - "$KPIPE_TEST_BROKERS" <<'EOF'
import sys
from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata
c = KafkaConsumer(bootstrap_servers=sys.argv[1].split(","), group_id="g2", api_version=(2, 3, 0),
                  enable_auto_commit=False)
c.commit({TopicPartition("grp", 2): OffsetAndMetadata(7, "")})
c.close()
print("ok")
EOF
  [ "$status" -eq 0 ]
  run --separate-stderr "$KPIPE_BIN" offsets get -b "$KPIPE_TEST_BROKERS" -G g2 -t grp --format json
  [ "$status" -eq 0 ]
  [ "$(json_field "$output" offset)" = "$(printf '0 null\n1 null\n2 7')" ]

  run --separate-stderr "$KPIPE_BIN" offsets commit -b "$KPIPE_TEST_BROKERS" -G g2 -t grp -p 2 -o 3
  [ "$status" -eq 0 ]
  run --separate-stderr "$KPIPE_BIN" offsets get -b "$KPIPE_TEST_BROKERS" -G g2 -t grp -p 2 \
    --format json
  [ "$output" = '[{"group":"g2","topic":"grp","partition":2,"offset":3}]' ]
}

@test "errors: unknown partition exits 4, usage errors 2, no broker 1 naming it" {
  run --separate-stderr "$KPIPE_BIN" offsets list -b "$KPIPE_TEST_BROKERS" -t six -p 99
  [ "$status" -eq 4 ]
  [ -z "$output" ]
  [[ "$stderr" == *"partition 99"* ]]

  run --separate-stderr "$KPIPE_BIN" offsets list -b "$KPIPE_TEST_BROKERS" -t six --time soon
  [ "$status" -eq 2 ]
  [[ "$stderr" == *'invalid time "soon"'* ]]
  [[ "$stderr" == *"max-timestamp"* ]]
  # Every TIME form of consume -o @TIME is taken (the mock answers each lookup with -1;
  # partition 0 of six is empty, so real Kafka finds no record either).
  for t in 2026-01-01T00:00:05Z '2026-01-01 00:00:05.250+01:00' -1h now 1767225605000; do
    run --separate-stderr "$KPIPE_BIN" offsets list -b "$KPIPE_TEST_BROKERS" -t six -p 0 --time "$t"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "PARTITION  OFFSET  TIMESTAMP" ]
    [[ "${lines[1]}" == "0 "* ]]
  done
  run --separate-stderr "$KPIPE_BIN" offsets commit -b "$KPIPE_TEST_BROKERS" -G g -t grp -p 0
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"--offset"* ]]
  run --separate-stderr "$KPIPE_BIN" offsets get -b "$KPIPE_TEST_BROKERS" -t grp
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"--group"* ]]
  run --separate-stderr "$KPIPE_BIN" offsets -b "$KPIPE_TEST_BROKERS"
  [ "$status" -eq 2 ]

  run --separate-stderr timeout 20 "$KPIPE_BIN" offsets list -b 127.0.0.1:1 -t six --timeout 5s
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  [[ "$stderr" == *"127.0.0.1:1"* ]]
}

# bats test_tags=broker-free
@test "offsets --help lists the subcommands and shows examples" {
  run "$KPIPE_BIN" offsets --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"Examples:"* ]]
  [[ "$output" == *"kpipe offsets commit -G billing -t orders -p 0 -o 42"* ]]
  for sub in list get commit; do
    [[ "$output" == *"  $sub "* ]]
  done
}
