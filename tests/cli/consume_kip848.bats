#!/usr/bin/env bats
# bats file_tags=kafka-only
# kpipe consume -G GROUP --group-protocol consumer: KIP-848 groups on Apache Kafka 4.1, whose
# coordinator assigns the partitions itself (the mock has no such coordinator). Members that
# split a topic, one killed with SIGKILL and its partitions taken over, Ctrl-C (commit, leave),
# a classic and a consumer member in one group, the -X properties, and the group as Kafka's own
# ConsumerGroupCommand describes it.
#
# The session timeout of these groups is the broker's (group.consumer.session.timeout.ms: 6 s
# in scripts/kafka.sh, heartbeats every second), not the client's.

bats_require_minimum_version 1.5.0

SESSION=()

setup_file() {
  source "$BATS_TEST_DIRNAME/helpers/cluster.bash"
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  start_cluster --topic six:6 --topic flow:4 --topic quit:3 --topic mixed:3 --topic props:2
  export KAFKA_SH="$_KPIPE_REPO_ROOT/scripts/kafka.sh"
  local p
  for p in 0 1 2; do
    seq -f "q$p-%g" 0 9 | kcat -b "$KPIPE_TEST_BROKERS" -P -t quit -p "$p"
  done
}

teardown_file() {
  stop_cluster
}

setup() {
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  source "$BATS_TEST_DIRNAME/helpers/members.bash"
  members_setup
}

teardown() {
  members_teardown
}

# group_tool ARGS...: Kafka's ConsumerGroupCommand against the test broker.
group_tool() {
  bash "$KAFKA_SH" run org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
    --bootstrap-server "$KPIPE_TEST_BROKERS" "$@" 2>/dev/null
}

# described_members GROUP: ConsumerGroupCommand's member lines (--describe --members --verbose:
# GROUP CONSUMER-ID HOST CLIENT-ID #PARTITIONS CURRENT-EPOCH CURRENT-ASSIGNMENT TARGET-EPOCH
# TARGET-ASSIGNMENT; the epochs exist only for KIP-848 members).
described_members() {
  group_tool --describe --group "$1" --members --verbose | awk -v g="$1" '$1 == g'
}

# settled GROUP MEMBERS PER: (for eventually) MEMBERS members with PER partitions each, each
# member's assignment reconciled (current epoch = target epoch, current = target assignment).
settled() {
  local lines
  lines=$(described_members "$1") || return 1
  [ "$(wc -l <<<"$lines")" -eq "$2" ] || return 1
  [ "$(awk -v n="$3" '$5 == n && $6 == $8 && $7 == $9' <<<"$lines" | wc -l)" -eq "$2" ]
}

# committed_all GROUP TOPIC PARTITIONS OFFSET: (for eventually) every partition committed OFFSET.
committed_all() {
  [ "$(committed "$1" "$2")" = "$(for ((p = 0; p < $3; p++)); do echo "$p $4"; done)" ]
}

# distinct_lines_at_least N FILE...: the files hold N distinct lines at least.
distinct_lines_at_least() {
  local n=$1
  shift
  [ "$(cat "$@" | sort -u | wc -l)" -ge "$n" ]
}

# partitions_of FILE: the partitions (first column) in FILE, sorted, on one line.
partitions_of() {
  awk '{print $1}' "$1" | sort -n -u | tr '\n' ' ' | sed 's/ $//'
}

# fill_six FROM TO: "sP-O" at offsets FROM..TO of each partition of six.
fill_six() {
  local p
  for p in 0 1 2 3 4 5; do
    seq -f "s$p-%g" "$1" "$2" | kcat -b "$KPIPE_TEST_BROKERS" -P -t six -p "$p"
  done
}

@test "three consumer-protocol members split 6 partitions; kill -9 of one: every record printed once" {
  local g=g-848-split i
  # The broker's session timeout must be the short one of scripts/kafka.sh (a Kafka started
  # before that setting keeps 45 s: restart it).
  if ! grep -qs '^group.consumer.session.timeout.ms=6000$' "$KPIPE_KAFKA_DIR"/node-1/server.properties; then
    echo "Kafka at $KPIPE_KAFKA_DIR lacks group.consumer.session.timeout.ms=6000: restart it" \
      "with scripts/kafka.sh stop and start"
    return 1
  fi
  for i in 1 2 3; do
    start_member "m$i" -G "$g" --group-protocol consumer -o beginning -u -f '%p %o %s\n' six
  done
  # The broker's uniform assignor: 2 partitions each, once every member reconciled.
  eventually 30 settled "$g" 3 2

  # Kafka's own tool: three members, each with an epoch (KIP-848 members), in a group of type
  # Consumer.
  local described
  described=$(group_tool --describe --group "$g" --members --verbose)
  echo "$described"
  [ "$(awk -v g="$g" '$1 == g && $6 ~ /^[0-9]+$/ && $6 > 0' <<<"$described" | wc -l)" -eq 3 ]
  [ "$(group_tool --list --type | awk -v g="$g" '$1 == g {print $2}')" = Consumer ]

  # First part: 500 records per partition, printed and committed.
  fill_six 0 499
  eventually 30 distinct_lines_at_least 3000 "$MEMBERS"/m?.out
  eventually 30 committed_all "$g" six 6 500
  # Each member printed its own 2 partitions, and no partition went to two members.
  for i in 1 2 3; do
    echo "m$i: $(partitions_of "$MEMBERS/m$i.out")"
    [ "$(partitions_of "$MEMBERS/m$i.out" | wc -w)" -eq 2 ]
  done
  [ "$(for i in 1 2 3; do partitions_of "$MEMBERS/m$i.out"; echo; done | tr ' ' '\n' |
    grep -c .)" -eq 6 ]
  [ "$(for i in 1 2 3; do partitions_of "$MEMBERS/m$i.out"; echo; done | tr ' ' '\n' |
    sort -u | grep -c .)" -eq 6 ]

  # kill -9 of m1, with all its output committed: the broker gives its partitions to the others
  # once its session times out (6 s), and they go on from its commits.
  kill -KILL "$(cat "$MEMBERS/m1.pid")"
  wait "$(cat "$MEMBERS/m1.pid")" || true
  rm -f "$MEMBERS/m1.pid"
  fill_six 500 999
  eventually 40 distinct_lines_at_least 6000 "$MEMBERS"/m?.out
  eventually 30 settled "$g" 2 3
  eventually 30 committed_all "$g" six 6 1000

  # Ctrl-C: each survivor commits and leaves (exit 130).
  kill -INT "$(cat "$MEMBERS/m2.pid")" "$(cat "$MEMBERS/m3.pid")"
  wait_member m2 15
  wait_member m3 15
  [ "$(cat "$MEMBERS/m2.status")" -eq 130 ]
  [ "$(cat "$MEMBERS/m3.status")" -eq 130 ]

  local all="$BATS_TEST_TMPDIR/all"
  cat "$MEMBERS"/m?.out >"$all"
  for i in 1 2 3; do
    echo "m$i: $(wc -l <"$MEMBERS/m$i.out") records, partitions $(partitions_of "$MEMBERS/m$i.out")"
  done
  # Every record exactly once, each line being the record its partition and offset name.
  [ "$(wc -l <"$all")" -eq 6000 ]
  [ "$(sort -u "$all" | wc -l)" -eq 6000 ]
  [ "$(awk '$3 != "s" $1 "-" $2' "$all" | wc -l)" -eq 0 ]
  # m1's partitions were read by the others after the kill.
  [ "$(partitions_of "$MEMBERS/m2.out" | wc -w)" -eq 3 ]
  [ "$(partitions_of "$MEMBERS/m3.out" | wc -w)" -eq 3 ]
  # The survivors left: no member is left in the group (not after a session timeout: at once).
  [ "$(described_members "$g" | wc -l)" -eq 0 ]
}

@test "handovers mid-stream (a member joins, another leaves): revoked only after the commit" {
  # KIP-848 reconciliation: a member that loses partitions commits what it wrote of them before
  # its next heartbeat gives them up, and the broker hands them over only then; the next owner
  # goes on exactly there.
  local g=g-848-flow i joined left
  start_member m1 -G "$g" --group-protocol consumer -o beginning -u -f '%p %o %s\n' flow
  eventually 30 settled "$g" 1 4
  # 3,000 records per partition, "fP-O" at offset O, trickled over ~10 s.
  "$KPIPE_TEST_PYTHON" - "$KPIPE_TEST_BROKERS" <<'PY' 3>&- &
import sys, time
from kafka import KafkaProducer
producer = KafkaProducer(bootstrap_servers=sys.argv[1].split(","), linger_ms=0)
for offset in range(3000):
    for part in range(4):
        producer.send("flow", partition=part, value=b"f%d-%d" % (part, offset))
    time.sleep(0.003)
producer.flush()
producer.close()
PY
  local trickle=$!
  eventually 30 distinct_lines_at_least 1000 "$MEMBERS/m1.out"
  # m2 joins while m1 reads: m1 gives up 2 partitions.
  start_member m2 -G "$g" --group-protocol consumer -o beginning -u -f '%p %o %s\n' flow
  eventually 30 settled "$g" 2 2
  joined=$(cat "$MEMBERS"/m?.out | wc -l)
  eventually 30 distinct_lines_at_least 1 "$MEMBERS/m2.out"
  # m2 leaves (SIGINT) while records still arrive: m1 takes its partitions back.
  kill -INT "$(cat "$MEMBERS/m2.pid")"
  wait_member m2 15
  left=$(cat "$MEMBERS"/m?.out | wc -l)
  eventually 30 settled "$g" 1 4
  wait "$trickle"
  eventually 60 distinct_lines_at_least 12000 "$MEMBERS"/m?.out
  eventually 30 committed_all "$g" flow 4 3000
  kill -INT "$(cat "$MEMBERS/m1.pid")"
  wait_member m1 15

  local all="$BATS_TEST_TMPDIR/all"
  cat "$MEMBERS"/m?.out >"$all"
  for i in 1 2; do
    echo "m$i: exit $(cat "$MEMBERS/m$i.status"), $(wc -l <"$MEMBERS/m$i.out") records," \
      "partitions $(partitions_of "$MEMBERS/m$i.out"); stderr: $(cat "$MEMBERS/m$i.err")"
  done
  echo "printed when m2 had joined: $joined, when it had left: $left;" \
    "duplicates: $(sort "$all" | uniq -d | wc -l)"
  [ "$(cat "$MEMBERS/m1.status")" -eq 130 ]
  [ "$(cat "$MEMBERS/m2.status")" -eq 130 ]
  # Each line is the record its partition and offset name; all 12,000, none twice.
  [ "$(awk '$3 != "f" $1 "-" $2' "$all" | wc -l)" -eq 0 ]
  [ "$(wc -l <"$all")" -eq 12000 ]
  [ "$(sort -u "$all" | wc -l)" -eq 12000 ]
  # Both handovers happened mid-stream.
  [ "$(wc -l <"$MEMBERS/m2.out")" -gt 0 ]
  [ "$joined" -lt "$left" ]
  [ "$left" -lt 12000 ]
}

@test "Ctrl-C commits what was written and leaves the group at once" {
  local g=g-848-quit
  # --commit on-exit: nothing is committed before the interruption.
  start_member q -G "$g" --group-protocol consumer -o beginning -u --commit on-exit \
    -f '%p %o %s\n' quit
  eventually 30 distinct_lines_at_least 30 "$MEMBERS/q.out"
  [ "$(committed "$g" quit)" = "$(printf '%s null\n' 0 1 2)" ]
  [ "$(described_members "$g" | wc -l)" -eq 1 ]
  kill -INT "$(cat "$MEMBERS/q.pid")"
  wait_member q 10
  [ "$(cat "$MEMBERS/q.status")" -eq 130 ]
  [ "$(committed "$g" quit)" = "$(printf '%s 10\n' 0 1 2)" ]
  # Left with epoch -1: gone now, not after the session timeout.
  [ "$(described_members "$g" | wc -l)" -eq 0 ]
  [ "$(wc -l <"$MEMBERS/q.out")" -eq 30 ]
}

@test "a classic and a consumer member in one group: the one that comes second fails clearly" {
  # A classic group: a consumer-protocol member is refused (Kafka 4.1 itself would convert the
  # group and take both; kpipe keeps one protocol per group).
  start_member classic -G g-848-mixed-1 -o beginning mixed
  sleep 2
  run -1 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -G g-848-mixed-1 --group-protocol consumer \
    mixed
  echo "$output"
  [[ "$output" == *"group g-848-mixed-1 has 1 classic member(s)"* ]]
  [[ "$output" == *"--group-protocol classic"* ]]

  # A consumer group: a classic member is refused.
  start_member consumer -G g-848-mixed-2 --group-protocol consumer -o beginning mixed
  sleep 2
  run -1 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -G g-848-mixed-2 mixed
  echo "$output"
  [[ "$output" == *"group g-848-mixed-2 is a KIP-848 consumer group"* ]]
  [[ "$output" == *"--group-protocol consumer"* ]]

  # The first members are still in their groups and still read.
  _kpipe_pid_alive "$(cat "$MEMBERS/classic.pid")"
  _kpipe_pid_alive "$(cat "$MEMBERS/consumer.pid")"
  [ "$(described_members g-848-mixed-2 | wc -l)" -eq 1 ]
  local stop_pids=("$(cat "$MEMBERS/classic.pid")" "$(cat "$MEMBERS/consumer.pid")")
  kill -TERM "${stop_pids[@]}"
  wait_member classic 15
  wait_member consumer 15
}

@test "-X group.protocol and group.remote.assignor; the broker's range assignor" {
  local g=g-848-props
  start_member p -G "$g" -X group.protocol=consumer -X group.remote.assignor=range props
  eventually 30 settled "$g" 1 2
  group_tool --describe --group "$g" --state | awk -v g="$g" '$1 == g' | grep -q ' range '
  kill -TERM "$(cat "$MEMBERS/p.pid")"
  wait_member p 15
  [ "$(cat "$MEMBERS/p.status")" -eq 130 ]
}

@test "assignors that do not go with the protocol: exit 2 naming the accepted ones" {
  run -2 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -G g --group-protocol consumer \
    --assignor roundrobin props
  [[ "$output" == *"uniform and range"* ]]
  run -2 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -G g --assignor uniform props
  [[ "$output" == *"range, roundrobin and cooperative-sticky"* ]]
  run -2 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -G g -X group.protocol=consumer \
    -X group.remote.assignor=sticky props
  [[ "$output" == *"group.remote.assignor"*"uniform or range"* ]]
  run -2 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -G g -X group.protocol=next props
  [[ "$output" == *"classic or consumer"* ]]
  run -2 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -G g --group-protocol next props
  [[ "$output" == *"classic"*"consumer"* ]]
}
