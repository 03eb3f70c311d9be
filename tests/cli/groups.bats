#!/usr/bin/env bats
# kpipe groups against a real Apache Kafka, with Kafka's own kafka-consumer-groups
# (ConsumerGroupCommand, run from the same jars by scripts/kafka.sh) as the reference: list,
# describe of a classic group of kpipe members, of a kafka-python group and of a KIP-848
# consumer group made by Kafka's console consumer, lag in time, every reset mode (offsets read
# back), delete, delete-offsets and wait. The mock has no ListGroups or DescribeGroups.
# bats file_tags=kafka-only

bats_require_minimum_version 1.5.0

# Short sessions: 6 s is the shortest Kafka takes (group.min.session.timeout.ms).
SESSION=(-X session.timeout.ms=6000)

setup_file() {
  source "$BATS_TEST_DIRNAME/helpers/cluster.bash"
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  start_cluster --topic gk:3 --topic gpy:2 --topic g848:2 --topic reset:3 --topic other:2 \
    --topic ages:1 --topic waits:1
  local b=$KPIPE_TEST_BROKERS p i

  # reset: 10 records per partition, record i of every partition stamped T0 + 10 s * i, where
  # T0 is 100 s ago (so that ago:DURATION lands between two records with seconds to spare).
  export T0=$(($(date +%s%3N) - 100000))
  for p in 0 1 2; do
    for i in $(seq 0 9); do
      printf '{"partition":%d,"timestamp":%d,"value":"p%d-v%d"}\n' "$p" $((T0 + i * 10000)) "$p" "$i"
    done
  done | kpipe produce -b "$b" -t reset -J
  # other: 5 records per partition, never read by any group.
  for p in 0 1; do seq -f "o%g" 1 5 | kpipe produce -b "$b" -t other -p "$p"; done
  # gpy: 10 records per partition; g848: 6 per partition.
  for p in 0 1; do
    seq -f "py%g" 0 9 | kpipe produce -b "$b" -t gpy -p "$p"
    seq -f "c%g" 0 5 | kpipe produce -b "$b" -t g848 -p "$p"
  done
  # waits: 20 records.
  seq 1 20 | kpipe produce -b "$b" -t waits -p 0
}

teardown_file() {
  stop_cluster
}

setup() {
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  source "$BATS_TEST_DIRNAME/helpers/members.bash"
  members_setup
  REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
}

teardown() {
  members_teardown
}

# kcg ARGS...: kafka-consumer-groups from the broker's own jars.
kcg() {
  bash "$REPO/scripts/kafka.sh" run org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
    --bootstrap-server "$KPIPE_TEST_BROKERS" "$@" 2>/dev/null
}

# start_background NAME COMMAND...: a background process of this test, stopped by teardown.
start_background() {
  local name=$1
  shift
  "$@" >"$MEMBERS/$name.out" 2>"$MEMBERS/$name.err" </dev/null 3>&- &
  echo $! >"$MEMBERS/$name.pid"
}

# normalize MODE: turns kafka-consumer-groups' tables and kpipe's JSON into the same sorted lines.
#   kafka-offsets / kpipe-offsets: TOPIC PARTITION COMMITTED LOG-END LAG MEMBER
#   kafka-members / kpipe-members: MEMBER HOST CLIENT ASSIGNMENT TARGET (consumer groups)
normalize() {
  /usr/bin/python3 -c '
import json, re, sys
mode = sys.argv[1]
def d(v):
    return "-" if v is None else str(v)
def assignment(entries):
    return ",".join(sorted("%s:%d" % (e["topic"], p) for e in entries for p in e["partitions"])) or "-"
def kafka_assignment(text):
    # "t:0,1" or several "t:0,u:1" in Kafka 4.x: one word per partition.
    out, topic = [], None
    for part in text.split(","):
        if ":" in part:
            topic, part = part.rsplit(":", 1)
        if part and part != "-":
            out.append("%s:%s" % (topic, part))
    return ",".join(sorted(out)) or "-"
lines = []
if mode == "kafka-offsets":
    for line in sys.stdin:
        f = line.split()
        if len(f) >= 6 and f[0] != "GROUP" and f[2].isdigit():
            lines.append(" ".join([f[1], f[2], f[3], f[4], f[5], f[6] if len(f) > 6 else "-"]))
elif mode == "kpipe-offsets":
    for p in json.load(sys.stdin)["groups"][0]["partitions"]:
        lines.append(" ".join([p["topic"], str(p["partition"]), d(p["committed"]),
                               str(p["log_end"]), d(p["lag"]), d(p["member_id"])]))
elif mode == "kafka-members":
    for line in sys.stdin:
        f = line.split()
        if len(f) >= 7 and f[0] != "GROUP" and f[4].isdigit():
            target = kafka_assignment(f[8]) if len(f) > 8 and f[7] != "-" else "-"
            lines.append(" ".join([f[1], f[2], f[3], kafka_assignment(f[6]), target]))
elif mode == "kpipe-members":
    for m in json.load(sys.stdin)["groups"][0]["members"]:
        target = assignment(m["target_assignment"]) if "target_assignment" in m else "-"
        lines.append(" ".join([m["member_id"], m["host"], m["client_id"],
                               assignment(m["assignment"]), target]))
for line in sorted(lines):
    print(line)
' "$1"
}

# same_as_kafka GROUP: kpipe groups describe and kafka-consumer-groups --describe agree on
# committed offsets, log ends, lags and owners (--offsets) and on members (--members --verbose).
same_as_kafka() {
  local group=$1 ours theirs
  ours=$(kpipe groups describe -b "$KPIPE_TEST_BROKERS" "$group" --format json | normalize kpipe-offsets)
  theirs=$(kcg --describe --group "$group" --offsets | normalize kafka-offsets)
  echo "kpipe offsets:"$'\n'"$ours"$'\n'"kafka offsets:"$'\n'"$theirs"
  [ -n "$ours" ]
  [ "$ours" = "$theirs" ]
  ours=$(kpipe groups describe -b "$KPIPE_TEST_BROKERS" "$group" --format json | normalize kpipe-members)
  theirs=$(kcg --describe --group "$group" --members --verbose | normalize kafka-members)
  echo "kpipe members:"$'\n'"$ours"$'\n'"kafka members:"$'\n'"$theirs"
  [ "$ours" = "$theirs" ]
}

# committed_is GROUP TOPIC EXPECTED: offsets get says EXPECTED ("P OFFSET" lines).
committed_is() {
  [ "$(committed "$1" "$2")" = "$3" ]
}

# kafka_committed GROUP TOPIC: "P OFFSET" lines as kafka-consumer-groups reads them.
kafka_committed() {
  kcg --describe --group "$1" --offsets | awk -v t="$2" '$2 == t { print $3, $4 }' | sort -n
}

@test "describe: a classic group of three kpipe members agrees with kafka-consumer-groups" {
  local m
  for m in m1 m2 m3; do start_member "$m" -G gk -t gk; done
  eventually 30 group_settled gk 3 3
  # Members that have read nothing yet own partitions without a commit: shown as such.
  run --separate-stderr kpipe groups describe -b "$KPIPE_TEST_BROKERS" gk
  [ "$status" -eq 0 ]
  [ "$(grep -cE '^gk +[0-2] +- +0 +0 +- +- +kpipe-' <<<"$output")" -eq 3 ]
  [[ "$output" == *"LAG 0 records, - behind; 3 partitions without a committed offset"* ]]
  run same_as_kafka gk
  echo "$output"
  [ "$status" -eq 0 ]
  local p
  for p in 0 1 2; do seq -f "k%g" 1 $((p * 4 + 2)) | kpipe produce -b "$KPIPE_TEST_BROKERS" -t gk -p "$p"; done
  eventually 20 committed_is gk gk "$(printf '0 2\n1 6\n2 10')"
  run same_as_kafka gk
  echo "$output"
  [ "$status" -eq 0 ]

  # The text view: state, protocol, members and a row per partition with the totals.
  run --separate-stderr kpipe groups describe -b "$KPIPE_TEST_BROKERS" gk
  [ "$status" -eq 0 ]
  [[ "$output" == *"STATE        Stable"* ]]
  [[ "$output" == *"PROTOCOL     consumer/range"* ]]
  [[ "$output" == *"MEMBERS      3"* ]]
  [[ "$output" == *"LAG 0 records, 0s behind"* ]]
  [ "$(grep -cE '^gk +[0-2] +(2|6|10) +0 +(2|6|10) +0 +0s +kpipe-' <<<"$output")" -eq 3 ]

  # list --state and --type agree with kafka-consumer-groups' --list.
  run kpipe groups list -b "$KPIPE_TEST_BROKERS" --state stable --format json
  [ "$status" -eq 0 ]
  [[ "$output" == *'{"group":"gk","type":"classic","state":"Stable","protocol_type":"consumer","coordinator":'[0-9]'}'* ]]
  local ours theirs
  ours=$(kpipe groups list -b "$KPIPE_TEST_BROKERS" --state Stable | awk 'NR > 1 { print $1 }' | sort)
  theirs=$(kcg --list --state Stable | awk 'NR > 1 { print $1 }' | sort)
  echo "stable: kpipe [$ours] kafka [$theirs]"
  [ "$ours" = "$theirs" ]
  [[ "$ours" == *gk* ]]

  for m in m1 m2 m3; do _kpipe_stop_pid "$(cat "$MEMBERS/$m.pid")"; done
  # Members leave on SIGTERM: the group is Empty at once, its offsets stay.
  run kpipe groups describe -b "$KPIPE_TEST_BROKERS" gk --format json
  [[ "$output" == *'"state":"Empty"'* ]]
  [[ "$output" == *'"members":[]'* ]]
}

@test "describe: a kafka-python group and a KIP-848 group of the console consumer agree with kafka-consumer-groups" {
  # kafka-python (classic protocol): reads everything, commits 4 and 10, stays in the group.
  cat >"$MEMBERS/py.py" <<'EOF'
import sys, time
from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata
c = KafkaConsumer("gpy", bootstrap_servers=sys.argv[1].split(","), group_id="gpy",
                  client_id="py-client", auto_offset_reset="earliest", enable_auto_commit=False,
                  session_timeout_ms=6000, heartbeat_interval_ms=1000)
n = 0
while n < 20:
    for records in c.poll(timeout_ms=500).values():
        n += len(records)
c.commit({TopicPartition("gpy", 0): OffsetAndMetadata(4, "", -1),
          TopicPartition("gpy", 1): OffsetAndMetadata(10, "", -1)})
print("ready", flush=True)
while True:
    c.poll(timeout_ms=500)
EOF
  start_background py "$KPIPE_TEST_PYTHON" "$MEMBERS/py.py" "$KPIPE_TEST_BROKERS"
  # The console consumer with KIP-848's protocol: a consumer-type group.
  start_background console bash "$REPO/scripts/kafka.sh" run \
    org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$KPIPE_TEST_BROKERS" \
    --topic g848 --group g848 --from-beginning --consumer-property group.protocol=consumer \
    --consumer-property auto.commit.interval.ms=200
  eventually 30 grep -q ready "$MEMBERS/py.out"
  eventually 30 committed_is g848 g848 "$(printf '0 6\n1 6')"

  run same_as_kafka gpy
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"gpy 0 4 10 6 "* ]]
  run same_as_kafka g848
  echo "$output"
  [ "$status" -eq 0 ]

  run --separate-stderr kpipe groups describe -b "$KPIPE_TEST_BROKERS" g848 gpy --format json
  [ "$status" -eq 0 ]
  run /usr/bin/python3 -c '
import json, sys
doc = json.loads(sys.argv[1])
new, old = doc["groups"]
assert new["group"] == "g848" and new["type"] == "consumer", new
assert new["state"] == "Stable" and new["assignor"] in ("uniform", "range"), new
m = new["members"][0]
assert m["member_epoch"] > 0 and m["client_id"] == "console-consumer", m
assert m["assignment"] == m["target_assignment"], m
assert old["type"] == "classic" and old["protocol"] == "range" and old["lag"] == 6, old
assert old["members"][0]["client_id"] == "py-client", old
print("ok")
' "$output"
  echo "$output"
  [ "$output" = ok ]

  # list --type agrees with kafka-consumer-groups --list --type.
  local ours theirs
  ours=$(kpipe groups list -b "$KPIPE_TEST_BROKERS" --type consumer | awk 'NR > 1 { print $1, $2 }' | sort)
  theirs=$(kcg --list --type consumer | awk 'NR > 1 { print $1, tolower($2) }' | sort)
  echo "consumer: kpipe [$ours] kafka [$theirs]"
  [ "$ours" = "$theirs" ]
  [[ "$ours" == *"g848 consumer"* ]]
  ours=$(kpipe groups list -b "$KPIPE_TEST_BROKERS" --type classic | awk 'NR > 1 { print $1, $2 }' | sort)
  theirs=$(kcg --list --type classic | awk 'NR > 1 { print $1, tolower($2) }' | sort)
  [ "$ours" = "$theirs" ]
  [[ "$ours" == *"gpy classic"* ]]

  # Once its member left (SIGTERM closes the Java consumer), the KIP-848 group takes a reset.
  _kpipe_stop_pid "$(cat "$MEMBERS/console.pid")"
  run --separate-stderr kpipe groups reset -b "$KPIPE_TEST_BROKERS" g848 --all-topics --to earliest --execute
  echo "$output $stderr"
  [ "$status" -eq 0 ]
  committed_is g848 g848 "$(printf '0 0\n1 0')"
  [ "$(kafka_committed g848 g848)" = "$(printf '0 0\n1 0')" ]
}

@test "describe: lag in time is the age of the oldest unconsumed record, within a second" {
  local b=$KPIPE_TEST_BROKERS now t1 i
  now=$(date +%s%3N)
  t1=$((now - 30000))
  # ages: records stamped 30 s, 20 s, 10 s ago and now.
  for i in 0 1 2 3; do
    printf '{"timestamp":%d,"value":"a%d"}\n' $((t1 + i * 10000)) "$i"
  done | kpipe produce -b "$b" -t ages -p 0 -J
  kpipe offsets commit -b "$b" -G ages -t ages -p 0 -o 1
  local before after
  before=$(date +%s%3N)
  run --separate-stderr kpipe groups describe -b "$b" ages --format json
  after=$(date +%s%3N)
  [ "$status" -eq 0 ]
  run /usr/bin/python3 -c '
import json, sys
doc, record_ts, before, after = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
p = doc["groups"][0]["partitions"][0]
print(p["committed"], p["lag"])
age = p["time_lag_ms"]
assert before - record_ts - 1000 <= age <= after - record_ts + 1000, (age, before - record_ts)
assert doc["groups"][0]["time_lag_ms"] == age
print("ok")
' "$output" $((t1 + 10000)) "$before" "$after"
  echo "$output"
  [ "${lines[0]}" = "1 3" ]
  [ "${lines[1]}" = ok ]

  # Caught up: 0; no commit: null in JSON, "-" in text.
  kpipe offsets commit -b "$b" -G ages -t ages -p 0 -o 4
  run --separate-stderr kpipe groups describe -b "$b" ages --format json
  [[ "$output" == *'"lag":0,"time_lag_ms":0,'* ]]
}

@test "describe and reset: unknown group exits 4 naming it; --to garbage exits 2 naming the forms" {
  run --separate-stderr kpipe groups describe -b "$KPIPE_TEST_BROKERS" no-such-group
  [ "$status" -eq 4 ]
  [[ "$stderr" == *"group no-such-group does not exist"* ]]
  run --separate-stderr kpipe groups reset -b "$KPIPE_TEST_BROKERS" g -t reset --to yesterday
  [ "$status" -eq 2 ]
  [[ "$stderr" == *'invalid --to "yesterday"'* ]]
  [[ "$stderr" == *"earliest, latest, current, offset:N, shift:+N, shift:-N, time:TIME, ago:DURATION or file:PATH"* ]]
  run --separate-stderr kpipe groups reset -b "$KPIPE_TEST_BROKERS" g -t reset --to time:soon
  [ "$status" -eq 2 ]
  run --separate-stderr kpipe groups delete -b "$KPIPE_TEST_BROKERS" no-such-group
  [ "$status" -eq 4 ]
  [[ "$stderr" == *"no-such-group"* ]]
}

# reset_to TARGET [ARGS...]: reset group gr's offsets of topic reset with --execute.
reset_to() {
  local target=$1
  shift
  kpipe groups reset -b "$KPIPE_TEST_BROKERS" gr -t reset --to "$target" --execute "$@"
}

@test "reset: every mode, read back; a dry run changes nothing; clamping warns" {
  local b=$KPIPE_TEST_BROKERS
  kpipe offsets commit -b "$b" -G gr -t reset -p 0 -o 5
  kpipe offsets commit -b "$b" -G gr -t reset -p 1 -o 5

  # Dry run: the plan, nothing committed.
  run --separate-stderr kpipe groups reset -b "$b" gr -t reset --to earliest
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "TOPIC  PARTITION  CURRENT  NEW" ]
  [[ "${lines[1]}" =~ ^reset\ +0\ +5\ +0$ ]]
  [[ "${lines[3]}" =~ ^reset\ +2\ +-\ +0$ ]]
  [[ "$stderr" == *"dry run, nothing changed"* ]]
  committed_is gr reset "$(printf '0 5\n1 5\n2 null')"

  run --separate-stderr reset_to earliest
  [ "$status" -eq 0 ]
  committed_is gr reset "$(printf '0 0\n1 0\n2 0')"
  # Read back by kafka-consumer-groups too.
  [ "$(kafka_committed gr reset)" = "$(printf '0 0\n1 0\n2 0')" ]

  reset_to latest >/dev/null 2>&1
  committed_is gr reset "$(printf '0 10\n1 10\n2 10')"
  reset_to shift:-3 >/dev/null 2>&1
  committed_is gr reset "$(printf '0 7\n1 7\n2 7')"
  run --separate-stderr kpipe groups reset -b "$b" gr -t reset:0,2 --to shift:+1 --execute
  [ "$status" -eq 0 ]
  committed_is gr reset "$(printf '0 8\n1 7\n2 8')"
  reset_to current >/dev/null 2>&1
  committed_is gr reset "$(printf '0 8\n1 7\n2 8')"
  reset_to offset:4 >/dev/null 2>&1
  committed_is gr reset "$(printf '0 4\n1 4\n2 4')"

  # Outside the log: moved to its end, with a warning.
  run --separate-stderr reset_to offset:100
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"warning: reset/0: offset 100 is past the log end 10; using 10"* ]]
  committed_is gr reset "$(printf '0 10\n1 10\n2 10')"
  run --separate-stderr reset_to shift:-50
  [[ "$stderr" == *"offset -40 is before the log start 0; using 0"* ]]
  committed_is gr reset "$(printf '0 0\n1 0\n2 0')"

  # time: the first record at or after it (record i at T0 + 10 s * i), in consume's forms.
  reset_to "time:$((T0 + 45000))" >/dev/null 2>&1
  committed_is gr reset "$(printf '0 5\n1 5\n2 5')"
  reset_to "time:$(date -u -d "@$(((T0 + 20000) / 1000))" +%Y-%m-%dT%H:%M:%S).$(printf %03d $(((T0 + 20000) % 1000)))Z" >/dev/null 2>&1
  committed_is gr reset "$(printf '0 2\n1 2\n2 2')"
  # After the last record: the end.
  reset_to time:now >/dev/null 2>&1
  committed_is gr reset "$(printf '0 10\n1 10\n2 10')"
  # ago: as long ago as T0 + 25 s is now (in milliseconds): record 3. Records are
  # 10 s apart, so the time this command takes does not matter.
  reset_to "ago:$(($(date +%s%3N) - T0 - 25000))ms" >/dev/null 2>&1
  committed_is gr reset "$(printf '0 3\n1 3\n2 3')"
  reset_to ago:1d >/dev/null 2>&1
  committed_is gr reset "$(printf '0 0\n1 0\n2 0')"
  reset_to "ago:$(($(date +%s%3N) - T0 - 25000))ms" >/dev/null 2>&1
  committed_is gr reset "$(printf '0 3\n1 3\n2 3')"
  [ "$(kafka_committed gr reset)" = "$(printf '0 3\n1 3\n2 3')" ]
}

@test "reset: kafka-consumer-groups' exported CSV and kpipe's JSON plan apply; a topic never read gets a plan" {
  local b=$KPIPE_TEST_BROKERS
  kcg --reset-offsets --group gf --topic reset --to-offset 6 --export --dry-run >"$BATS_TEST_TMPDIR/plan.csv"
  cat "$BATS_TEST_TMPDIR/plan.csv"
  [ "$(grep -c '^reset,[0-2],6$' "$BATS_TEST_TMPDIR/plan.csv")" -eq 3 ]
  run --separate-stderr kpipe groups reset -b "$b" gf --to "file:$BATS_TEST_TMPDIR/plan.csv" --execute
  [ "$status" -eq 0 ]
  committed_is gf reset "$(printf '0 6\n1 6\n2 6')"

  # kpipe's own plan, saved as JSON and applied later.
  kpipe groups reset -b "$b" gf -t reset:1 --to offset:2 --format json >"$BATS_TEST_TMPDIR/plan.json" 2>/dev/null
  committed_is gf reset "$(printf '0 6\n1 6\n2 6')"
  run --separate-stderr kpipe groups reset -b "$b" gf --to "file:$BATS_TEST_TMPDIR/plan.json" --execute --format json
  [ "$status" -eq 0 ]
  [ "$output" = '{"group":"gf","executed":true,"partitions":[{"topic":"reset","partition":1,"current":6,"offset":2}]}' ]
  committed_is gf reset "$(printf '0 6\n1 2\n2 6')"

  # A topic the group never read: from the target (earliest 0; shift counts from the end).
  run --separate-stderr kpipe groups reset -b "$b" gf -t other --to earliest --execute
  [ "$status" -eq 0 ]
  [[ "${lines[1]}" =~ ^other\ +0\ +-\ +0$ ]]
  committed_is gf other "$(printf '0 0\n1 0')"
  kpipe offsets commit -b "$b" -G gnew -t gk -p 0 -o 0
  run --separate-stderr kpipe groups reset -b "$b" gnew -t other --to shift:-2 --execute
  [ "$status" -eq 0 ]
  committed_is gnew other "$(printf '0 3\n1 3')"
  # --all-topics: every topic with a commit.
  run --separate-stderr kpipe groups reset -b "$b" gf --all-topics --to latest --execute
  [ "$status" -eq 0 ]
  committed_is gf reset "$(printf '0 10\n1 10\n2 10')"
  committed_is gf other "$(printf '0 5\n1 5')"

  # delete-offsets: the group forgets a topic.
  run --separate-stderr kpipe groups delete-offsets -b "$b" gf -t other
  [ "$status" -eq 0 ]
  committed_is gf other "$(printf '0 null\n1 null')"
  committed_is gf reset "$(printf '0 10\n1 10\n2 10')"
  # delete: the group is gone.
  run --separate-stderr kpipe groups delete -b "$b" gf gnew
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'deleted group gf\ndeleted group gnew')" ]
  run --separate-stderr kpipe groups describe -b "$b" gf
  [ "$status" -eq 4 ]
}

@test "reset: a group with active members is refused and unchanged; so is delete" {
  local b=$KPIPE_TEST_BROKERS
  local p
  for p in 0 1 2; do kpipe offsets commit -b "$b" -G gact -t reset -p "$p" -o 1; done
  start_member a1 -G gact -t reset
  # The member reads from the commits to the end and commits that.
  eventually 30 committed_is gact reset "$(printf '0 10\n1 10\n2 10')"
  eventually 20 group_settled gact 1 3
  run --separate-stderr kpipe groups reset -b "$b" gact -t reset --to earliest --execute
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"group gact has 1 active member (state Stable)"*"Nothing changed"* ]]
  [ -z "$output" ]
  committed_is gact reset "$(printf '0 10\n1 10\n2 10')"
  run --separate-stderr kpipe groups delete -b "$b" gact
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"group gact has active members"* ]]
  run --separate-stderr kpipe groups delete-offsets -b "$b" gact -t reset:0
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"reset/0: a member of the group still reads the topic"* ]]
  committed_is gact reset "$(printf '0 10\n1 10\n2 10')"
}

@test "wait: exit 0 once a consumer catches up, 5 with the last lag on timeout" {
  local b=$KPIPE_TEST_BROKERS
  kpipe offsets commit -b "$b" -G gw -t waits -p 0 -o 0
  run --separate-stderr kpipe groups wait -b "$b" gw --max-lag 0 --timeout 1s
  [ "$status" -eq 5 ]
  [[ "$stderr" == *"timed out after 1s: group gw lag 20 (wanted at most 0)"* ]]
  run --separate-stderr kpipe groups wait -b "$b" gw --max-lag 20 --timeout 1s
  [ "$status" -eq 0 ]
  run --separate-stderr kpipe groups wait -b "$b" gw -t waits --max-lag 19 --timeout 500ms --interval 100ms
  [ "$status" -eq 5 ]

  start_background waiter "$KPIPE_BIN" groups wait -b "$b" gw -t waits --max-lag 0 --timeout 30s --interval 200ms
  sleep 1
  _kpipe_pid_alive "$(cat "$MEMBERS/waiter.pid")"
  start_member c1 -G gw -t waits
  wait_member waiter 30
  [ "$(cat "$MEMBERS/waiter.status")" -eq 0 ]
  committed_is gw waits "0 20"
}

@test "credentials: a wrong SASL password is exit 3 and never printed; the right one lists groups" {
  local wrong="not-the-password-$RANDOM$RANDOM"
  run --separate-stderr kpipe groups list -b "$KPIPE_KAFKA_SASL_PLAINTEXT" -v \
    --sasl-mechanism SCRAM-SHA-256 --sasl-user "$KPIPE_KAFKA_SASL_USER" -X "sasl.password=$wrong"
  echo "$status $stderr"
  [ "$status" -eq 3 ]
  [[ "$output$stderr" != *"$wrong"* ]]
  run --separate-stderr kpipe groups describe -b "$KPIPE_KAFKA_SASL_PLAINTEXT" gw -v \
    --sasl-mechanism PLAIN --sasl-user "$KPIPE_KAFKA_SASL_USER" -X "sasl.password=$wrong"
  [ "$status" -eq 3 ]
  [[ "$output$stderr" != *"$wrong"* ]]
  KPIPE_SASL_PASSWORD=$KPIPE_KAFKA_SASL_PASSWORD run --separate-stderr kpipe groups list \
    -b "$KPIPE_KAFKA_SASL_PLAINTEXT" -v --sasl-mechanism SCRAM-SHA-512 \
    --sasl-user "$KPIPE_KAFKA_SASL_USER" --format json
  echo "$status $stderr"
  [ "$status" -eq 0 ]
  [[ "$output" == '['* ]]
  [[ "$output$stderr" != *"$KPIPE_KAFKA_SASL_PASSWORD"* ]]
}
