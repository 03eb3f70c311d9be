#!/usr/bin/env bats
# The first Ctrl-C (SIGINT) or SIGTERM ends kpipe consume promptly in every state: against a
# broker that accepts connections and never answers, as a group member waiting at the end of its
# partitions (its offsets are committed first), with the partition leader's broker down, and as
# a member whose coordinator has become too slow to commit (it gives up after a short deadline).
#
# Times are measured with EPOCHREALTIME from the signal to the exit, against bounds with generous
# slack: kpipe needs milliseconds here, and the machine may be a loaded 2-core VM.
#
# The silent broker (tests/support/blackhole.py) and the member at the end of its topic run on
# both tiers; a broker down and a slow coordinator are the mock's fault injection (mock-only).

bats_require_minimum_version 1.5.0

# 6 s, the shortest session Kafka takes (group.min.session.timeout.ms).
SESSION=(-X session.timeout.ms=6000)

setup_file() {
  source "$BATS_TEST_DIRNAME/helpers/cluster.bash"
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  start_cluster --brokers 3 --topic idle:2 --topic down:1 --topic slow:1
  start_blackhole
  local b=$KPIPE_TEST_BROKERS p
  for p in 0 1; do seq -f "idle-p$p-v%g" 0 4 | kcat -b "$b" -P -t idle -p "$p"; done
  # down and slow are for the mock-only tests, whose faults hit broker 2.
  if ! on_kafka; then
    cluster_control leader down 0 2
    seq -f "down-v%g" 0 9 | kcat -b "$b" -P -t down -p 0
    cluster_control leader slow 0 2
    seq -f "slow-v%g" 0 9 | kcat -b "$b" -P -t slow -p 0
  fi
}

teardown_file() {
  stop_blackhole
  stop_cluster
}

setup() {
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  source "$BATS_TEST_DIRNAME/helpers/members.bash"
  RUN="$BATS_TEST_TMPDIR/run"
  mkdir -p "$RUN"
}

teardown() {
  [[ -n "${PID:-}" ]] && _kpipe_stop_pid "$PID"
  return 0
}

# start_consume ARGS...: kpipe consume in the background, stdout in $RUN/out, stderr in
# $RUN/err; sets PID. fd 3 is closed: bats waits for every holder of it.
start_consume() {
  "$KPIPE_BIN" consume "$@" >"$RUN/out" 2>"$RUN/err" </dev/null 3>&- &
  PID=$!
}

# interrupt SIGNAL LIMIT_SECONDS: sends SIGNAL to $PID and waits for it to exit; sets STATUS and
# ELAPSED_MS (signal to exit). Fails when it is still running after LIMIT_SECONDS (then kills it).
interrupt() {
  local signal=$1 limit=$2 start i
  start=$EPOCHREALTIME
  kill "-$signal" "$PID"
  for ((i = 0; i < limit * 100; i++)); do
    _kpipe_pid_alive "$PID" || break
    sleep 0.01
  done
  ELAPSED_MS=$(((${EPOCHREALTIME/./} - ${start/./}) / 1000))
  if _kpipe_pid_alive "$PID"; then
    echo "still running ${ELAPSED_MS} ms after SIG$signal; stderr:"
    cat "$RUN/err"
    _kpipe_stop_pid "$PID"
    PID=""
    return 1
  fi
  STATUS=0
  wait "$PID" || STATUS=$?
  PID=""
  echo "SIG$signal: exit $STATUS after ${ELAPSED_MS} ms; stderr: $(cat "$RUN/err")"
}

lines_at_least() {
  [ "$(wc -l <"$2")" -ge "$1" ]
}

# written_next TOPIC PARTITIONS: "P NEXT" for each partition, one past the highest offset in
# $RUN/out ("%t %p %o" lines), "null" when none was printed.
written_next() {
  awk -v t="$1" -v parts="$2" '$1 == t && $3 + 1 > n[$2] {n[$2] = $3 + 1}
    END {k = split(parts, ps, " "); for (i = 1; i <= k; i++) print ps[i], (ps[i] in n) ? n[ps[i]] : "null"}' \
    "$RUN/out"
}

@test "a silent broker: the first SIGINT or SIGTERM exits 130 within 2 s, also with -G" {
  local signal group
  for signal in INT TERM; do
    for group in "" "-G g-int-silent"; do
      # shellcheck disable=SC2086  # the group option is one or two words
      start_consume -b "$KPIPE_TEST_BLACKHOLE" -t idle $group
      sleep 1
      # Still waiting for the broker (its stage timeouts are 10 s and more).
      _kpipe_pid_alive "$PID"
      interrupt "$signal" 10
      [ "$STATUS" -eq 130 ]
      [ "$ELAPSED_MS" -lt 2000 ]
      [ ! -s "$RUN/out" ]
    done
  done
}

@test "a group member waiting at the end of its topic: SIGINT commits what it wrote, exits 130" {
  local mode
  # on-exit: nothing is committed before the signal, so the commit is the interrupt's doing.
  for mode in on-exit after-write; do
    start_consume -b "$KPIPE_TEST_BROKERS" "${SESSION[@]}" -G "g-int-wait-$mode" -o beginning \
      --commit "$mode" -f '%t %p %o %s\n' idle
    eventually 30 lines_at_least 10 "$RUN/out"
    sleep 0.5 # waiting at the end of both partitions (fetches come back empty)
    if [[ $mode == on-exit ]]; then
      [ "$(committed "g-int-wait-$mode" idle)" = $'0 null\n1 null' ]
    fi
    interrupt INT 10
    [ "$STATUS" -eq 130 ]
    [ "$ELAPSED_MS" -lt 3000 ]
    [ "$(wc -l <"$RUN/out")" -eq 10 ]
    [ "$(committed "g-int-wait-$mode" idle)" = "$(written_next idle "0 1")" ]
    [ "$(committed "g-int-wait-$mode" idle)" = $'0 5\n1 5' ]
  done
}

# bats test_tags=mock-only
@test "the partition leader's broker down while consuming: SIGINT exits 130 within 3 s" {
  # Plain, then as a group member whose coordinator is another broker (so the commit works).
  cluster_control coordinator group g-down 1
  local group
  for group in "" "-G g-down"; do
    # shellcheck disable=SC2086
    start_consume -b "$KPIPE_TEST_BROKERS" "${SESSION[@]}" $group -o beginning \
      --commit on-exit -f '%t %p %o %s\n' down
    eventually 30 lines_at_least 10 "$RUN/out"
    cluster_control broker-down 2
    sleep 1.5 # the fetcher retries broker 2 meanwhile
    interrupt INT 10
    cluster_control broker-up 2
    [ "$STATUS" -eq 130 ]
    [ "$ELAPSED_MS" -lt 3000 ]
    [ "$(wc -l <"$RUN/out")" -eq 10 ]
  done
  [ "$(committed g-down down)" = "0 10" ]
}

# bats test_tags=mock-only
@test "a coordinator too slow to commit: SIGINT gives up after the deadline, exits 130, says so" {
  cluster_control coordinator group g-slow 3
  start_consume -b "$KPIPE_TEST_BROKERS" "${SESSION[@]}" -G g-slow -o beginning \
    --commit on-exit -f '%t %p %o %s\n' slow
  eventually 30 lines_at_least 10 "$RUN/out"
  # Every answer of the coordinator now takes 20 s: the commit (and LeaveGroup) cannot finish.
  cluster_control broker-rtt 3 20000
  interrupt INT 10
  cluster_control broker-rtt 3 0
  [ "$STATUS" -eq 130 ]
  # The deadline is 2 s; well before the coordinator would answer.
  [ "$ELAPSED_MS" -ge 1500 ]
  [ "$ELAPSED_MS" -lt 5000 ]
  [[ "$(cat "$RUN/err")" == *"could not commit group g-slow's offsets within 2000 ms"* ]]
}
