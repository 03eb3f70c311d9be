#!/usr/bin/env bats
# kpipe consume with several topics against the reference brokers (librdkafka's mock cluster, a
# real Apache Kafka): plain reads of every partition of every topic, -p across topics, -J and %t
# naming the real topic, -c counting across topics, an unknown topic among several, and a group
# of two members subscribed to three topics (every record once, commits per topic, a restart
# resumes).
#
# Inputs are written by kcat. Every group test uses a fresh group (named g-topics-*: unique on a
# Kafka that outlives the file): after the last member leaves, the mock makes the next join wait
# the session timeout.

bats_require_minimum_version 1.5.0

# Short sessions, so that a member that left is replaced within seconds: 6 s, the shortest Kafka
# takes (group.min.session.timeout.ms; less is INVALID_SESSION_TIMEOUT).
SESSION=(-X session.timeout.ms=6000)

setup_file() {
  source "$BATS_TEST_DIRNAME/helpers/cluster.bash"
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  start_cluster --brokers 3 --topic ta:3 --topic tb:2 --topic tc:1

  # Partitions of one topic have different leaders on the mock, and ta/0, tb/0 and tc/0 share a
  # partition number on different leaders, so one fetch carries several topics (Kafka here is
  # one node).
  if ! on_kafka; then
    local p
    for p in 0 1 2; do cluster_control leader ta "$p" "$((p + 1))"; done
    for p in 0 1; do cluster_control leader tb "$p" "$((3 - p))"; done
    cluster_control leader tc 0 1
  fi
  fill ta tb tc
}

# fill A B C: partition P of topic T holds "T-pP-vI" at offset I: A (3 partitions) 5 records per
# partition, B (2) 4, C (1) 6; 29 in all.
fill() {
  local b=$KPIPE_TEST_BROKERS p
  for p in 0 1 2; do seq -f "$1-p$p-v%g" 0 4 | kcat -b "$b" -P -t "$1" -p "$p"; done
  for p in 0 1; do seq -f "$2-p$p-v%g" 0 3 | kcat -b "$b" -P -t "$2" -p "$p"; done
  seq -f "$3-p0-v%g" 0 5 | kcat -b "$b" -P -t "$3" -p 0
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

# expected TOPIC:COUNT:PARTITIONS...: "T P O T-pP-vO" for every record, sorted.
expected() {
  local spec t n parts p o
  for spec in "$@"; do
    IFS=: read -r t n parts <<<"$spec"
    for p in $parts; do
      for ((o = 0; o < n; o++)); do echo "$t $p $o $t-p$p-v$o"; done
    done
  done | sort
}

# all_records [A B C]: every record of the topics fill wrote (default ta, tb and tc) as
# "T P O VALUE", sorted.
all_records() {
  expected "${1:-ta}:5:0 1 2" "${2:-tb}:4:0 1" "${3:-tc}:6:0"
}

# Each "T P O VALUE" line is the record its topic, partition and offset name.
lines_match_their_records() {
  [ "$(awk '$4 != $1 "-p" $2 "-v" $3' "$1" | wc -l)" -eq 0 ]
}

# Per (topic, partition), the offsets in FILE strictly increase (offset order per partition).
in_offset_order() {
  [ "$(awk '{k = $1 " " $2} (k in last) && $3 <= last[k] {bad++} {last[k] = $3}
    END {print bad + 0}' "$1")" -eq 0 ]
}

# lines_at_least N FILE...: the files hold at least N lines together.
lines_at_least() {
  local n=$1
  shift
  [ "$(cat "$@" | wc -l)" -ge "$n" ]
}

# member_partitions FILE: the partitions a member printed ("T P ..." lines) as sorted TOPIC/P
# words on one line, as group_members writes a member's assignment.
member_partitions() {
  awk '{print $1 "/" $2}' "$1" | sort -u | sort -t/ -k1,1 -k2,2n | paste -sd ' '
}

# next_offsets TOPIC PARTITIONS FILE...: "P NEXT" per partition of TOPIC: one past the highest
# offset printed in the files, "null" when none was.
next_offsets() {
  local topic=$1 parts=$2
  shift 2
  cat "$@" | awk -v t="$topic" -v parts="$parts" '$1 == t && $3 + 1 > n[$2] {n[$2] = $3 + 1}
    END {k = split(parts, ps, " "); for (i = 1; i <= k; i++) print ps[i], (ps[i] in n) ? n[ps[i]] : "null"}'
}

@test "plain -e over three topics prints every record of every topic once, %t %p %o right" {
  run --separate-stderr kpipe consume -b "$KPIPE_TEST_BROKERS" -t ta -t tb -t tc -e \
    -f '%t %p %o %s\n'
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/out"
  [ "${#lines[@]}" -eq 29 ]
  lines_match_their_records "$BATS_TEST_TMPDIR/out"
  in_offset_order "$BATS_TEST_TMPDIR/out"
  diff <(all_records) <(sort "$BATS_TEST_TMPDIR/out")

  # A topic named twice is read once.
  run --separate-stderr kpipe consume -b "$KPIPE_TEST_BROKERS" -t tc -t tb -t tc -e \
    -f '%t %p %o %s\n'
  [ "$status" -eq 0 ]
  diff <(expected "tb:4:0 1" "tc:6:0") <(printf '%s\n' "$output" | sort)
}

@test "-p applies to every topic; a partition missing in one of them exits 4 naming both" {
  run --separate-stderr kpipe consume -b "$KPIPE_TEST_BROKERS" -t ta -t tb -p 1 -e \
    -f '%t %p %o %s\n'
  [ "$status" -eq 0 ]
  diff <(expected "ta:5:1" "tb:4:1") <(printf '%s\n' "$output" | sort)

  run --separate-stderr kpipe consume -b "$KPIPE_TEST_BROKERS" -t ta -t tb -p 0,2 -e \
    -f '%t %p %o %s\n'
  [ "$status" -eq 4 ]
  [ -z "$output" ]
  [[ "$stderr" == *"partition 2 of tb does not exist"* ]]
}

@test "-J carries each record's own topic" {
  run --separate-stderr kpipe consume -b "$KPIPE_TEST_BROKERS" -t tb -t tc -e -J
  [ "$status" -eq 0 ]
  printf '%s\n' "$output" | /usr/bin/python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    print(e["topic"], e["partition"], e["offset"], e["value"])' | sort >"$BATS_TEST_TMPDIR/out"
  diff <(expected "tb:4:0 1" "tc:6:0") "$BATS_TEST_TMPDIR/out"
}

@test "-c counts across topics" {
  run --separate-stderr kpipe consume -b "$KPIPE_TEST_BROKERS" -t ta -t tb -t tc -c 17 \
    -f '%t %p %o %s\n'
  [ "$status" -eq 0 ]
  printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/out"
  [ "${#lines[@]}" -eq 17 ]
  [ "$(sort -u "$BATS_TEST_TMPDIR/out" | wc -l)" -eq 17 ]
  lines_match_their_records "$BATS_TEST_TMPDIR/out"
  # Each partition's share starts at its beginning and has no gap.
  [ "$(awk '{k = $1 " " $2} $3 != n[k] + 0 {bad++} {n[k] = $3 + 1} END {print bad + 0}' \
    "$BATS_TEST_TMPDIR/out")" -eq 0 ]
}

@test "an unknown topic among several exits 4 and names it, printing nothing" {
  # Kafka has no topic gone (and kpipe does not ask it to create one); the mock creates any topic
  # it is asked about, and an error on the topic makes it unknown.
  on_kafka || cluster_control topic-error gone 3 # UNKNOWN_TOPIC_OR_PARTITION
  run --separate-stderr timeout 20 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t ta \
    -t gone -t tc -e
  local plain_status=$status plain_output=$output plain_stderr=$stderr
  # In group mode too (positional topics).
  run --separate-stderr timeout 20 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" \
    "${SESSION[@]}" -G g-topics-unknown -e tb gone
  on_kafka || cluster_control topic-error gone 0
  echo "plain: $plain_status, $plain_stderr; group: $status, $stderr"
  [ "$plain_status" -eq 4 ]
  [ -z "$plain_output" ]
  [[ "$plain_stderr" == *"topic gone"* ]]
  [ "$status" -eq 4 ]
  [ -z "$output" ]
  [[ "$stderr" == *"topic gone"* ]]
}

@test "group: two members on three topics print every record exactly once, in offset order" {
  local i topics=(ta tb tc) all="$BATS_TEST_TMPDIR/all"
  if on_kafka; then
    # Kafka may put members started together in different generations, the first reading every
    # record alone (see group_settled): they join on empty topics of their own first, and fill
    # writes the records once both hold partitions; they are stopped once all are printed.
    topics=(ka kb kc)
    create_topic ka 3
    create_topic kb 2
    create_topic kc 1
    for i in 1 2; do
      start_member "m$i" -G g-topics-split -o beginning -f '%t %p %o %s\n' "${topics[@]}"
    done
    eventually 30 group_settled g-topics-split 2 6
    group_members g-topics-split | tail -n +2 >"$BATS_TEST_TMPDIR/assigned"
    fill "${topics[@]}"
    eventually 60 lines_at_least 29 "$MEMBERS"/m1.out "$MEMBERS"/m2.out
    # Still the same assignment: no rebalance while they read.
    group_members g-topics-split | tail -n +2 | diff "$BATS_TEST_TMPDIR/assigned" -
    for i in 1 2; do kill -TERM "$(cat "$MEMBERS/m$i.pid")"; done
    for i in 1 2; do wait_member "m$i" 15; done
  else
    for i in 1 2; do
      start_member "m$i" -G g-topics-split -o beginning -e -f '%t %p %o %s\n' "${topics[@]}"
    done
    for i in 1 2; do wait_member "m$i" 60; done
  fi
  for i in 1 2; do
    echo "m$i: exit $(cat "$MEMBERS/m$i.status"), $(wc -l <"$MEMBERS/m$i.out") records," \
      "partitions $(member_partitions "$MEMBERS/m$i.out");" \
      "stderr: $(cat "$MEMBERS/m$i.err")"
  done
  # -e ends a member with 0; on Kafka, SIGTERM: 130 after a clean leave.
  local want=0
  on_kafka && want=130
  for i in 1 2; do [ "$(cat "$MEMBERS/m$i.status")" -eq "$want" ]; done

  cat "$MEMBERS"/m?.out >"$all"
  lines_match_their_records "$all"
  diff <(all_records "${topics[@]}") <(sort "$all")
  # The work was shared (range: A 0-1 and 2, B 0 and 1, C 0 to the first), and each member
  # printed each partition in offset order; on Kafka, each printed the partitions the
  # coordinator says it was given.
  for i in 1 2; do
    [ -s "$MEMBERS/m$i.out" ]
    in_offset_order "$MEMBERS/m$i.out"
  done
  if on_kafka; then
    diff "$BATS_TEST_TMPDIR/assigned" \
      <(for i in 1 2; do member_partitions "$MEMBERS/m$i.out"; done | sort)
  fi
  # Commits per topic: each topic's offsets are at its end.
  [ "$(committed g-topics-split "${topics[0]}")" = $'0 5\n1 5\n2 5' ]
  [ "$(committed g-topics-split "${topics[1]}")" = $'0 4\n1 4' ]
  [ "$(committed g-topics-split "${topics[2]}")" = "0 6" ]
}

@test "group: a restarted member resumes every topic where it stopped (commits per topic)" {
  run --separate-stderr kpipe consume -b "$KPIPE_TEST_BROKERS" "${SESSION[@]}" -G g-topics-resume \
    -o beginning -c 12 -f '%t %p %o %s\n' ta tb tc
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 12 ]
  local first="$BATS_TEST_TMPDIR/first" second="$BATS_TEST_TMPDIR/second"
  printf '%s\n' "$output" >"$first"
  echo "first run: $(awk '{print $1 "/" $2 "@" $3}' "$first" | tr '\n' ' ')"

  # What the first run committed is, per topic, exactly the next offset after what it printed.
  [ "$(committed g-topics-resume ta)" = "$(next_offsets ta "0 1 2" "$first")" ]
  [ "$(committed g-topics-resume tb)" = "$(next_offsets tb "0 1" "$first")" ]
  [ "$(committed g-topics-resume tc)" = "$(next_offsets tc "0" "$first")" ]

  run --separate-stderr kpipe consume -b "$KPIPE_TEST_BROKERS" "${SESSION[@]}" -G g-topics-resume \
    -o beginning -e -f '%t %p %o %s\n' ta tb tc
  [ "$status" -eq 0 ]
  printf '%s\n' "$output" >"$second"
  [ "${#lines[@]}" -eq 17 ]
  # Together the two runs print every record once; per partition the second goes on where the
  # first stopped.
  diff <(all_records) <(cat "$first" "$second" | sort)
  in_offset_order <(cat "$first" "$second")
  [ "$(committed g-topics-resume ta)" = $'0 5\n1 5\n2 5' ]
  [ "$(committed g-topics-resume tb)" = $'0 4\n1 4' ]
  [ "$(committed g-topics-resume tc)" = "0 6" ]
}
