#!/usr/bin/env bash
# Helpers for bats files that run `kpipe consume` processes side by side (group members) and
# check what they printed and committed. Needs kpipe.bash and cluster.bash loaded first, and
# $SESSION (extra consume arguments, possibly empty) set by the caller; members_setup and
# members_teardown go in the file's setup and teardown.

# members_setup: a directory of this test's own for the members' output ($MEMBERS).
members_setup() {
  MEMBERS="$BATS_TEST_TMPDIR/members"
  mkdir -p "$MEMBERS"
}

# members_teardown: a failed test must not leave members behind (they would hold the file's fd
# and the cluster).
members_teardown() {
  local f
  for f in "$MEMBERS"/*.pid; do
    [[ -e "$f" ]] && _kpipe_stop_pid "$(cat "$f")"
  done
  return 0
}

# start_member NAME KPIPE-CONSUME-ARGS...: runs `kpipe consume` in the background with stdout in
# $MEMBERS/NAME.out and stderr in NAME.err; its pid is in NAME.pid. fd 3 is closed: bats waits for
# every holder of it.
start_member() {
  local name=$1
  shift
  # The binary itself, not the kpipe function: $! must be kpipe's pid for kill and wait.
  "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" "${SESSION[@]}" "$@" \
    >"$MEMBERS/$name.out" 2>"$MEMBERS/$name.err" </dev/null 3>&- &
  echo $! >"$MEMBERS/$name.pid"
}

# wait_member NAME SECONDS: waits for NAME to exit, at most SECONDS (then kills it and fails);
# its exit status is in $MEMBERS/NAME.status.
wait_member() {
  local name=$1 seconds=$2 pid i rc=0
  pid=$(cat "$MEMBERS/$name.pid")
  for ((i = 0; i < seconds * 10; i++)); do
    _kpipe_pid_alive "$pid" || break
    sleep 0.1
  done
  if _kpipe_pid_alive "$pid"; then
    echo "member $name still running after ${seconds}s; stderr:"
    cat "$MEMBERS/$name.err"
    _kpipe_stop_pid "$pid"
    return 1
  fi
  wait "$pid" || rc=$?
  rm -f "$MEMBERS/$name.pid"
  echo "$rc" >"$MEMBERS/$name.status"
}

# eventually SECONDS COMMAND...: retries COMMAND every 0.1 s until it succeeds, SECONDS x 10
# times (so longer than SECONDS when COMMAND itself takes a while, as group_settled does).
eventually() {
  local seconds=$1 i
  shift
  for ((i = 0; i < seconds * 10; i++)); do
    "$@" && return 0
    sleep 0.1
  done
  "$@"
}

# committed GROUP TOPIC: "PARTITION OFFSET" lines from offsets get (OFFSET "null" if none).
committed() {
  "$KPIPE_BIN" offsets get -b "$KPIPE_TEST_BROKERS" -G "$1" -t "$2" --format json |
    /usr/bin/python3 -c '
import json, sys
for e in json.load(sys.stdin):
    print(e["partition"], "null" if e["offset"] is None else e["offset"])'
}

# group_members GROUP: the group as its coordinator describes it (DescribeGroups, which Kafka has
# and the mock does not): its state on the first line, then one line per member with the
# partitions assigned to it as TOPIC/PARTITION words, in order ("-" for a member without any);
# the member lines are sorted.
group_members() {
  "$KPIPE_TEST_PYTHON" - "$KPIPE_TEST_BROKERS" "$1" <<'EOF'
import sys
from kafka import KafkaAdminClient
admin = KafkaAdminClient(bootstrap_servers=sys.argv[1].split(","))
try:
    group = admin.describe_groups([sys.argv[2]])[sys.argv[2]]
finally:
    admin.close()
print(group["group_state"])
lines = []
for member in group["members"]:
    assignment = member["member_assignment"]
    owned = assignment.get("assigned_partitions", []) if isinstance(assignment, dict) else []
    words = sorted((t["topic"], p) for t in owned for p in t["partitions"])
    lines.append(" ".join("%s/%d" % w for w in words) or "-")
for line in sorted(lines):
    print(line)
EOF
}

# group_settled GROUP MEMBERS PARTITIONS: (Kafka) the group is Stable with MEMBERS members, each
# with partitions assigned, PARTITIONS in all; for eventually. Kafka completes a new group's first
# join at once (group.initial.rebalance.delay.ms=0 in scripts/kafka.sh) and members started
# together may land in different generations, so a test that needs the work shared waits for
# this before it writes the records.
group_settled() {
  local described
  described=$(group_members "$1") || return 1
  [[ "$(head -n 1 <<<"$described")" == Stable ]] || return 1
  [[ "$(tail -n +2 <<<"$described" | wc -l)" -eq $2 ]] || return 1
  [[ "$(tail -n +2 <<<"$described" | grep -c '^-$')" -eq 0 ]] || return 1
  [[ "$(tail -n +2 <<<"$described" | wc -w)" -eq $3 ]]
}
