#!/usr/bin/env bats
# kpipe consume with several topics against the reference broker (librdkafka's mock cluster):
# plain reads of every partition of every topic, -p across topics, -J and %t naming the real
# topic, -c counting across topics, an unknown topic among several, and a group of two members
# subscribed to three topics (every record once, commits per topic, a restart resumes).
#
# Inputs are written by kcat. Every group test uses a fresh group: after the last member leaves,
# the mock makes the next join wait the session timeout.

bats_require_minimum_version 1.5.0

# Short sessions, so that a member that left is replaced within seconds.
SESSION=(-X session.timeout.ms=4000)

setup_file() {
  source "$BATS_TEST_DIRNAME/helpers/cluster.bash"
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  start_cluster --brokers 3 --topic ta:3 --topic tb:2 --topic tc:1
  local b=$KPIPE_TEST_BROKERS p

  # Partition P of topic T holds "T-pP-vI" at offset I: ta 5 records per partition, tb 4, tc 6
  # (29 in all). Partitions of one topic have different leaders, and ta/0, tb/0 and tc/0 share a
  # partition number on different leaders, so one fetch carries several topics.
  for p in 0 1 2; do cluster_control leader ta "$p" "$((p + 1))"; done
  for p in 0 1; do cluster_control leader tb "$p" "$((3 - p))"; done
  cluster_control leader tc 0 1
  for p in 0 1 2; do seq -f "ta-p$p-v%g" 0 4 | kcat -b "$b" -P -t ta -p "$p"; done
  for p in 0 1; do seq -f "tb-p$p-v%g" 0 3 | kcat -b "$b" -P -t tb -p "$p"; done
  seq -f "tc-p0-v%g" 0 5 | kcat -b "$b" -P -t tc -p 0
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

# all_records: every record of ta, tb and tc as "T P O VALUE", sorted.
all_records() {
  expected "ta:5:0 1 2" "tb:4:0 1" "tc:6:0"
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
  # The mock creates any topic it is asked about; an error on the topic makes it unknown.
  cluster_control topic-error gone 3 # UNKNOWN_TOPIC_OR_PARTITION
  run --separate-stderr timeout 20 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t ta \
    -t gone -t tc -e
  local plain_status=$status plain_output=$output plain_stderr=$stderr
  # In group mode too (positional topics).
  run --separate-stderr timeout 20 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" \
    "${SESSION[@]}" -G g-unknown -e tb gone
  cluster_control topic-error gone 0
  echo "plain: $plain_status, $plain_stderr; group: $status, $stderr"
  [ "$plain_status" -eq 4 ]
  [ -z "$plain_output" ]
  [[ "$plain_stderr" == *"topic gone"* ]]
  [ "$status" -eq 4 ]
  [ -z "$output" ]
  [[ "$stderr" == *"topic gone"* ]]
}

@test "group: two members on three topics print every record exactly once, in offset order" {
  local i
  for i in 1 2; do
    start_member "m$i" -G g-split -o beginning -e -f '%t %p %o %s\n' ta tb tc
  done
  for i in 1 2; do wait_member "m$i" 60; done
  for i in 1 2; do
    echo "m$i: exit $(cat "$MEMBERS/m$i.status"), $(wc -l <"$MEMBERS/m$i.out") records," \
      "partitions $(awk '{print $1 "/" $2}' "$MEMBERS/m$i.out" | sort -u | tr '\n' ' ');" \
      "stderr: $(cat "$MEMBERS/m$i.err")"
  done
  for i in 1 2; do [ "$(cat "$MEMBERS/m$i.status")" -eq 0 ]; done

  local all="$BATS_TEST_TMPDIR/all"
  cat "$MEMBERS"/m?.out >"$all"
  lines_match_their_records "$all"
  diff <(all_records) <(sort "$all")
  # The work was shared (range: ta 0-1 and 2, tb 0 and 1, tc 0 to the first), and each
  # member printed each partition in offset order.
  for i in 1 2; do
    [ -s "$MEMBERS/m$i.out" ]
    in_offset_order "$MEMBERS/m$i.out"
  done
  # Commits per topic: each topic's offsets are at its end.
  [ "$(committed g-split ta)" = $'0 5\n1 5\n2 5' ]
  [ "$(committed g-split tb)" = $'0 4\n1 4' ]
  [ "$(committed g-split tc)" = "0 6" ]
}

@test "group: a restarted member resumes every topic where it stopped (commits per topic)" {
  run --separate-stderr kpipe consume -b "$KPIPE_TEST_BROKERS" "${SESSION[@]}" -G g-resume \
    -o beginning -c 12 -f '%t %p %o %s\n' ta tb tc
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 12 ]
  local first="$BATS_TEST_TMPDIR/first" second="$BATS_TEST_TMPDIR/second"
  printf '%s\n' "$output" >"$first"
  echo "first run: $(awk '{print $1 "/" $2 "@" $3}' "$first" | tr '\n' ' ')"

  # What the first run committed is, per topic, exactly the next offset after what it printed.
  [ "$(committed g-resume ta)" = "$(next_offsets ta "0 1 2" "$first")" ]
  [ "$(committed g-resume tb)" = "$(next_offsets tb "0 1" "$first")" ]
  [ "$(committed g-resume tc)" = "$(next_offsets tc "0" "$first")" ]

  run --separate-stderr kpipe consume -b "$KPIPE_TEST_BROKERS" "${SESSION[@]}" -G g-resume \
    -o beginning -e -f '%t %p %o %s\n' ta tb tc
  [ "$status" -eq 0 ]
  printf '%s\n' "$output" >"$second"
  [ "${#lines[@]}" -eq 17 ]
  # Together the two runs print every record once; per partition the second goes on where the
  # first stopped.
  diff <(all_records) <(cat "$first" "$second" | sort)
  in_offset_order <(cat "$first" "$second")
  [ "$(committed g-resume ta)" = $'0 5\n1 5\n2 5' ]
  [ "$(committed g-resume tb)" = $'0 4\n1 4' ]
  [ "$(committed g-resume tc)" = "0 6" ]
}
