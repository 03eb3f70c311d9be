#!/usr/bin/env bats
# kpipe consume -G GROUP against the reference broker (librdkafka's mock cluster): members that
# share partitions, a member killed with SIGKILL, restarts that resume where output stopped,
# `| head`, the commit modes and the assignors. Every test uses a fresh group: after the last
# member leaves, the mock makes the next join wait the session timeout.
#
# Quirks of the mock that shape these tests: the first JoinGroup of a new group waits ~3 s (so
# members started together land in one generation); a follower's SyncGroup that arrives after
# the leader's fails (kpipe rejoins); OffsetCommit is refused while the group rebalances.

bats_require_minimum_version 1.5.0

# Short sessions, so that a killed member's partitions move within seconds.
SESSION=(-X session.timeout.ms=6000)

setup_file() {
  source "$BATS_TEST_DIRNAME/helpers/cluster.bash"
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  start_cluster --brokers 3 --topic even:12 --topic kill:6 --topic resume:3 --topic hd:3 \
    --topic modes:3 --topic six:6
  local b=$KPIPE_TEST_BROKERS p

  # even: 12 x 10,000 records; partition p holds r(p*10000+o) at offset o.
  for p in $(seq 0 11); do
    seq -f 'r%06g' $((p * 10000)) $((p * 10000 + 9999)) | kcat -b "$b" -P -t even -p "$p"
  done
  # resume: 20 records per partition; modes, six: 10. "pP-vI" at offset I.
  for p in 0 1 2; do
    seq -f "p$p-v%g" 0 19 | kcat -b "$b" -P -t resume -p "$p"
    seq -f "p$p-v%g" 0 9 | kcat -b "$b" -P -t modes -p "$p"
  done
  for p in 0 1 2 3 4 5; do
    seq -f "p$p-v%g" 0 9 | kcat -b "$b" -P -t six -p "$p"
  done
  # hd: 1,000 records of 1 kB per partition in large batches (linger), so that a single fetch
  # answer prints far more than a pipe holds.
  local filler
  filler=$(head -c 1000 /dev/zero | tr '\0' x)
  for p in 0 1 2; do
    seq -f "p$p-v%g-$filler" 0 999 | kcat -b "$b" -P -t hd -p "$p" -X linger.ms=500
  done
}

teardown_file() {
  stop_cluster
}

setup() {
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  MEMBERS="$BATS_TEST_TMPDIR/members"
  mkdir -p "$MEMBERS"
}

# A failed test must not leave members behind (they would hold the file's fd and the cluster).
teardown() {
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

# eventually SECONDS COMMAND...: retries COMMAND every 0.2 s until it succeeds.
eventually() {
  local seconds=$1 i
  shift
  for ((i = 0; i < seconds * 5; i++)); do
    "$@" && return 0
    sleep 0.2
  done
  "$@"
}

# distinct_values_at_least N FILE...: the union of the third column has at least N values.
distinct_values_at_least() {
  local n=$1
  shift
  [ "$(cat "$@" | awk '{print $3}' | sort -u | wc -l)" -ge "$n" ]
}

# committed_is GROUP TOPIC EXPECTED: committed prints EXPECTED (for eventually).
committed_is() {
  [ "$(committed "$1" "$2")" = "$3" ]
}

# lines_at_least N FILE
lines_at_least() {
  [ "$(wc -l <"$2")" -ge "$1" ]
}

# partitions_of FILE: the partitions (first column) in FILE, sorted, on one line.
partitions_of() {
  awk '{print $1}' "$1" | sort -n -u | tr '\n' ' ' | sed 's/ $//'
}

# committed GROUP TOPIC: "PARTITION OFFSET" lines from offsets get (OFFSET "null" if none).
committed() {
  kpipe offsets get -b "$KPIPE_TEST_BROKERS" -G "$1" -t "$2" --format json |
    /usr/bin/python3 -c '
import json, sys
for e in json.load(sys.stdin):
    print(e["partition"], "null" if e["offset"] is None else e["offset"])'
}

@test "three members started together split 12 partitions: every record printed exactly once" {
  local i
  for i in 1 2 3; do start_member "m$i" -G g-split -o beginning -e -f '%p %o %s\n' even; done
  for i in 1 2 3; do wait_member "m$i" 60; done

  local all="$BATS_TEST_TMPDIR/all"
  cat "$MEMBERS"/m?.out >"$all"
  for i in 1 2 3; do
    echo "m$i: exit $(cat "$MEMBERS/m$i.status"), $(wc -l <"$MEMBERS/m$i.out") records," \
      "partitions $(partitions_of "$MEMBERS/m$i.out"); stderr: $(cat "$MEMBERS/m$i.err")"
  done
  echo "duplicates: $(sort "$all" | uniq -d | wc -l)"
  # Each line is the record its partition and offset name...
  run awk '$3 != sprintf("r%06d", $1 * 10000 + $2) { bad++ } END { print bad + 0 }' "$all"
  [ "$output" = 0 ]
  # ...the union is the whole topic, and nothing was printed twice.
  [ "$(wc -l <"$all")" -eq 120000 ]
  [ "$(sort -u "$all" | wc -l)" -eq 120000 ]
  # The work was shared, and every member ended well.
  for i in 1 2 3; do
    [ -s "$MEMBERS/m$i.out" ]
    [ "$(cat "$MEMBERS/m$i.status")" -eq 0 ]
  done
}

@test "kill -9 of a member: the others take its partitions after the session timeout" {
  local i b=$KPIPE_TEST_BROKERS
  for i in 1 2 3; do start_member "m$i" -G g-kill -o beginning -u -f '%p %o %s\n' kill; done

  # First half: k000000-k029999, 5,000 per partition.
  local p
  for p in 0 1 2 3 4 5; do
    seq -f 'k%06g' $((p * 5000)) $((p * 5000 + 4999)) | kcat -b "$b" -P -t kill -p "$p"
  done
  eventually 30 distinct_values_at_least 30000 "$MEMBERS"/m?.out

  # The victim: a member that holds partitions (the others may hold none if it joined late).
  local victim=""
  for i in 1 2 3; do
    if [[ -s "$MEMBERS/m$i.out" ]]; then
      victim=$i
      break
    fi
  done
  [ -n "$victim" ]
  local victim_parts
  victim_parts=$(partitions_of "$MEMBERS/m$victim.out")
  kill -KILL "$(cat "$MEMBERS/m$victim.pid")"
  wait "$(cat "$MEMBERS/m$victim.pid")" || true
  rm -f "$MEMBERS/m$victim.pid"
  cp "$MEMBERS/m$victim.out" "$BATS_TEST_TMPDIR/victim.out"

  # Second half: k030000-k059999, half of it in the victim's partitions.
  for p in 0 1 2 3 4 5; do
    seq -f 'k%06g' $((30000 + p * 5000)) $((30000 + p * 5000 + 4999)) |
      kcat -b "$b" -P -t kill -p "$p"
  done
  # Session timeout (6 s), the rebalance, then reading the rest.
  eventually 40 distinct_values_at_least 60000 "$MEMBERS"/m?.out

  local survivors=()
  for i in 1 2 3; do
    [[ $i == "$victim" ]] || survivors+=("$i")
  done
  for i in "${survivors[@]}"; do kill -TERM "$(cat "$MEMBERS/m$i.pid")"; done
  for i in "${survivors[@]}"; do wait_member "m$i" 15; done

  local all="$BATS_TEST_TMPDIR/all" dups="$BATS_TEST_TMPDIR/dups"
  cat "$MEMBERS"/m?.out >"$all"
  sort "$all" | uniq -d >"$dups"
  for i in 1 2 3; do
    echo "m$i: $(wc -l <"$MEMBERS/m$i.out") records, partitions $(partitions_of "$MEMBERS/m$i.out")"
  done
  echo "victim m$victim held partitions $victim_parts; duplicates: $(wc -l <"$dups")"
  echo "# kill -9: $(wc -l <"$dups") records printed twice (written by the victim after its last commit)" >&3

  # SIGTERM is an interruption (130) after a clean leave.
  for i in "${survivors[@]}"; do [ "$(cat "$MEMBERS/m$i.status")" -eq 130 ]; done
  # Every record was printed...
  [ "$(awk '{print $3}' "$all" | sort -u | wc -l)" -eq 60000 ]
  [ "$(awk '{print $3}' "$all" | sort -u | sed -n '1p;$p' | tr '\n' ' ')" = "k000000 k059999 " ]
  # ...and the only repeats are records the victim printed, each printed once more by another.
  run comm -23 "$dups" <(sort "$BATS_TEST_TMPDIR/victim.out")
  [ -z "$output" ]
  [ "$(sort "$all" | uniq -c | awk '$1 > 2' | wc -l)" -eq 0 ]
  # Survivors print their records once.
  for i in "${survivors[@]}"; do
    [ "$(sort "$MEMBERS/m$i.out" | uniq -d | wc -l)" -eq 0 ]
  done
}

@test "a restart resumes right after the last record written (-c N, after-write commits)" {
  run --separate-stderr kpipe consume -b "$KPIPE_TEST_BROKERS" "${SESSION[@]}" -G g-resume \
    -o beginning -c 25 -f '%p %o\n' resume
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 25 ]
  local first=$output

  # What the first run committed is exactly the next offset after what it printed.
  local p want
  want=$(sort -n -k1,1 -k2,2 <<<"$first" | awk '{next_[$1] = $2 + 1}
    END {for (p = 0; p <= 2; p++) print p, (p in next_) ? next_[p] : "null"}')
  [ "$(committed g-resume resume)" = "$want" ]

  run --separate-stderr kpipe consume -b "$KPIPE_TEST_BROKERS" "${SESSION[@]}" -G g-resume \
    -o beginning -e -f '%p %o\n' resume
  [ "$status" -eq 0 ]
  local second=$output
  echo "first run:"$'\n'"$first"$'\n'"second run:"$'\n'"$second"
  [ "${#lines[@]}" -eq 35 ]

  # Per partition: the second run starts where the first stopped; together they are 0-19, once.
  for p in 0 1 2; do
    local a b
    a=$(awk -v p="$p" '$1 == p {print $2}' <<<"$first")
    b=$(awk -v p="$p" '$1 == p {print $2}' <<<"$second")
    [ "$(printf '%s\n' $a $b | tr '\n' ' ')" = "$(seq 0 19 | tr '\n' ' ')" ]
  done
  [ "$(committed g-resume resume)" = $'0 20\n1 20\n2 20' ]
}

@test "| head -n 5 ends the member quickly with exit 0, committing nothing beyond what was written" {
  local start_ms elapsed_ms statuses
  start_ms=$(date +%s%3N)
  # shellcheck disable=SC2016
  run bash -c '"$KPIPE_BIN" consume -b "$1" -X session.timeout.ms=6000 -G g-head -o beginning \
      -f "%p %o %s\n" hd | head -n 5 >"$2"; echo "${PIPESTATUS[*]}"' _ \
    "$KPIPE_TEST_BROKERS" "$BATS_TEST_TMPDIR/head.out"
  elapsed_ms=$(($(date +%s%3N) - start_ms))
  statuses=$output
  echo "statuses: $statuses; ${elapsed_ms} ms"
  [ "$statuses" = "0 0" ]
  # ~3 s of them are the mock's first-join delay.
  [ "$elapsed_ms" -lt 15000 ]
  [ "$(wc -l <"$BATS_TEST_TMPDIR/head.out")" -eq 5 ]

  # A committed offset never passes the last record head printed + 1 (records kpipe could not
  # write are never committed; one fetch answer here is far larger than a pipe holds).
  local printed
  printed=$(awk '{print $1, $2}' "$BATS_TEST_TMPDIR/head.out")
  echo "printed: $printed"
  run committed g-head hd
  echo "committed: $output"
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 3 ]
  local line p offset limit
  for line in "${lines[@]}"; do
    read -r p offset <<<"$line"
    limit=$(awk -v p="$p" '$1 == p && $2 + 1 > m {m = $2 + 1} END {print m + 0}' <<<"$printed")
    [[ $offset == null ]] || [ "$offset" -le "$limit" ]
  done
}

@test "--commit none commits nothing; on-exit only at the end; after-write while running" {
  # All three at once, each in its own group.
  start_member none -G g-none -o beginning -e --commit none -f '%p %o\n' modes
  start_member onexit -G g-onexit -o beginning --commit on-exit -f '%p %o\n' modes
  start_member afterwrite -G g-afterwrite -o beginning -f '%p %o\n' modes

  wait_member none 30
  [ "$(cat "$MEMBERS/none.status")" -eq 0 ]
  [ "$(wc -l <"$MEMBERS/none.out")" -eq 30 ]
  [ "$(committed g-none modes)" = $'0 null\n1 null\n2 null' ]

  # after-write: committed while still running (records reach the file as whole answers).
  eventually 20 committed_is g-afterwrite modes $'0 10\n1 10\n2 10'

  # on-exit: nothing while running, even well after everything was written...
  eventually 20 lines_at_least 30 "$MEMBERS/onexit.out"
  sleep 1
  [ "$(committed g-onexit modes)" = $'0 null\n1 null\n2 null' ]
  # ...everything once it is stopped.
  kill -TERM "$(cat "$MEMBERS/onexit.pid")"
  kill -TERM "$(cat "$MEMBERS/afterwrite.pid")"
  wait_member onexit 15
  wait_member afterwrite 15
  [ "$(cat "$MEMBERS/onexit.status")" -eq 130 ]
  [ "$(committed g-onexit modes)" = $'0 10\n1 10\n2 10' ]
}

@test "-G without -o starts partitions that have no committed offset at the end" {
  run --separate-stderr kpipe consume -b "$KPIPE_TEST_BROKERS" "${SESSION[@]}" -G g-default \
    -e -f '%p %o\n' modes
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}

# check_split ASSIGNOR GROUP: two members on six (6 partitions x 10 records), started together
# with -e; each must get 3 partitions and print each of their records once.
check_split() {
  local assignor=$1 group=$2 i
  for i in 1 2; do
    start_member "$group-$i" -G "$group" --assignor "$assignor" -o beginning -e -f '%p %o\n' six
  done
  for i in 1 2; do wait_member "$group-$i" 30; done
  for i in 1 2; do
    echo "$assignor m$i: exit $(cat "$MEMBERS/$group-$i.status")," \
      "partitions $(partitions_of "$MEMBERS/$group-$i.out"); stderr: $(cat "$MEMBERS/$group-$i.err")"
  done
  local a b
  a=$(partitions_of "$MEMBERS/$group-1.out")
  b=$(partitions_of "$MEMBERS/$group-2.out")
  [ "$(wc -w <<<"$a")" -eq 3 ]
  [ "$(wc -w <<<"$b")" -eq 3 ]
  [ "$(printf '%s\n' $a $b | sort -n | tr '\n' ' ')" = "0 1 2 3 4 5 " ]
  [ "$(cat "$MEMBERS/$group-"?.out | sort -u | wc -l)" -eq 60 ]
  [ "$(cat "$MEMBERS/$group-"?.out | wc -l)" -eq 60 ]
  for i in 1 2; do [ "$(cat "$MEMBERS/$group-$i.status")" -eq 0 ]; done
  SPLIT="$a|$b"
}

@test "--assignor roundrobin: two members on 6 partitions get 3 each, alternating" {
  check_split roundrobin g-rr
  [[ "$SPLIT" == "0 2 4|1 3 5" || "$SPLIT" == "1 3 5|0 2 4" ]]
}

@test "--assignor cooperative-sticky: two members on 6 partitions get 3 each" {
  check_split cooperative-sticky g-coop
}
