#!/usr/bin/env bats
# Real Apache Kafka only: scripts/kafka.sh's own promises on a 3-node cluster (second start,
# status, stop by PID, a failed start's log tail), kpipe through a broker failure on that
# cluster, and kpipe without TLS or SASL settings pointed at listeners that need them, on the
# tier's cluster (kpipe with those settings: security.bats, security_errors.bats).
# bats file_tags=kafka-only

bats_require_minimum_version 1.5.0

setup_file() {
  source "$BATS_TEST_DIRNAME/helpers/cluster.bash"
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  start_cluster --topic plain:1

  # The 3-node cluster of this file: its own directory and ports, beside the tier's cluster.
  export KAFKA_SH="$BATS_TEST_DIRNAME/../../scripts/kafka.sh"
  export THREE_DIR="$BATS_FILE_TMPDIR/three"
  export THREE_PORT=17092
  KPIPE_KAFKA_DIR="$THREE_DIR" KPIPE_KAFKA_PORT=$THREE_PORT bash "$KAFKA_SH" start --nodes 3 \
    >"$BATS_FILE_TMPDIR/three-start.out" 2>&1 || {
    cat "$BATS_FILE_TMPDIR/three-start.out" >&2
    return 1
  }
  # shellcheck disable=SC1091
  export THREE_BROKERS=$(source "$THREE_DIR/cluster.env" && echo "$KPIPE_KAFKA_PLAINTEXT")
}

teardown_file() {
  KPIPE_KAFKA_DIR="$THREE_DIR" bash "$KAFKA_SH" stop >/dev/null 2>&1 || true
  stop_cluster
}

setup() {
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
}

three() { KPIPE_KAFKA_DIR="$THREE_DIR" KPIPE_KAFKA_PORT=$THREE_PORT bash "$KAFKA_SH" "$@"; }

@test "kafka.sh: the 3-node cluster has 3 brokers, replication 3 and min.insync.replicas 2" {
  "$KPIPE_TEST_PYTHON" "$BATS_TEST_DIRNAME/../support/kafka/topics.py" "$THREE_BROKERS" reset r:3
  run -0 kpipe -b "$THREE_BROKERS" metadata -t r --format json
  "$KPIPE_TEST_PYTHON" -c '
import json, sys
d = json.loads(sys.argv[1])
assert sorted(b["id"] for b in d["brokers"]) == [1, 2, 3], d["brokers"]
parts = d["topics"][0]["partitions"]
assert len(parts) == 3 and all(sorted(p["replicas"]) == [1, 2, 3] for p in parts), parts
' "$output"
  grep -qx 'min.insync.replicas=2' "$THREE_DIR/node-1/server.properties"
}

@test "kafka.sh: a second start says one is running; status names the pids, never the password" {
  run -1 three start --nodes 3
  [[ "$output" == *"a cluster is already running"* ]]
  run -0 three status
  local pid
  for pid in $(cat "$THREE_DIR"/node-*/pid); do
    [[ "$output" == *"$pid"* ]]
  done
  [[ "$output" == *"KPIPE_KAFKA_SSL='127.0.0.1:17094,127.0.0.1:17104,127.0.0.1:17114'"* ]]
  # shellcheck disable=SC1091
  local password
  password=$(source "$THREE_DIR/cluster.env" && echo "$KPIPE_KAFKA_SASL_PASSWORD")
  [ -n "$password" ]
  [[ "$output" != *"$password"* ]]
}

@test "produce: a partition leader killed mid-run loses and duplicates nothing (acks=all, idempotent)" {
  "$KPIPE_TEST_PYTHON" "$BATS_TEST_DIRNAME/../support/kafka/topics.py" "$THREE_BROKERS" reset f:3
  seq 1 150000 >"$BATS_TEST_TMPDIR/in.txt"
  kpipe -b "$THREE_BROKERS" produce -t f --rate 50000 <"$BATS_TEST_TMPDIR/in.txt" \
    2>"$BATS_TEST_TMPDIR/produce.err" &
  local producer=$!
  sleep 1
  # Node 3 leads one of the partitions (leaders are spread over the nodes); SIGKILL, no
  # controlled shutdown: the producer sees its connection die and must find the new leader.
  kill -KILL "$(cat "$THREE_DIR/node-3/pid")"
  # Not `run wait`: run's subshell cannot wait for this shell's child.
  local rc=0
  wait "$producer" || rc=$?
  cat "$BATS_TEST_TMPDIR/produce.err"
  [ "$rc" -eq 0 ]
  run -0 kpipe -b "$THREE_BROKERS" consume -t f -e
  [ "${#lines[@]}" -eq 150000 ]
  diff <(printf '%s\n' "${lines[@]}" | sort -n) "$BATS_TEST_TMPDIR/in.txt"
}

@test "kafka.sh stop stops every node it started, by PID" {
  local pids
  pids=$(cat "$THREE_DIR"/node-*/pid)
  run -0 three stop
  local pid
  for pid in $pids; do
    ! kill -0 "$pid" 2>/dev/null
  done
  [ ! -e "$THREE_DIR/cluster.env" ]
  run -3 three status
}

@test "kafka.sh: a start that fails prints the broker's own words and leaves nothing running" {
  # A maximum heap below the initial one: the JVM refuses to start.
  run -1 env KPIPE_KAFKA_HEAP=16m KPIPE_KAFKA_DIR="$BATS_TEST_TMPDIR/bad" KPIPE_KAFKA_PORT=16092 \
    bash "$KAFKA_SH" start
  [[ "$output" == *"exited during start-up"* ]]
  [[ "$output" == *"heap"* ]]
  [ -z "$(KPIPE_KAFKA_DIR="$BATS_TEST_TMPDIR/bad" bash "$KAFKA_SH" status | grep pids || true)" ]
}

# Listeners that need TLS or SASL, and kpipe given no TLS or SASL settings: a clear failure that
# names the broker, exit 1 or 5, within the timeout; never a hang or a crash.
@test "kpipe against listeners it cannot speak to fails fast, naming the broker" {
  local name addr start elapsed cmd
  for name in SSL MTLS SASL_SSL SASL_PLAINTEXT; do
    addr=KPIPE_KAFKA_$name
    addr=${!addr}
    for cmd in metadata "offsets list -t plain" "consume -t plain -e"; do
      start=$(date +%s%N)
      # shellcheck disable=SC2086  # cmd is a list of words
      run timeout 20 "$KPIPE_BIN" -b "$addr" --timeout 3s $cmd
      elapsed=$((($(date +%s%N) - start) / 1000000))
      echo "# $name $cmd: exit $status in $elapsed ms: $output" >&3
      [[ $status -eq 1 || $status -eq 5 ]]
      [[ "$output" == *"$addr"* ]]
      # Each kind is named: TLS by its alert, SASL by the hang-up after the first request.
      if [[ $name == SASL_PLAINTEXT ]]; then
        [[ "$output" == *"require SASL authentication"* ]]
      else
        [[ "$output" == *"the listener expects TLS"* ]]
      fi
      ((elapsed < 5000))
    done
    start=$(date +%s%N)
    run timeout 20 "$KPIPE_BIN" -b "$addr" --timeout 3s produce -t plain <<<"x"
    [[ $status -eq 1 || $status -eq 5 ]]
    [[ "$output" == *"$addr"* ]]
  done
}

@test "produce to a missing topic: Kafka creates it (auto.create.topics.enable) and keeps every record" {
  # Kafka 4 answers UNKNOWN_TOPIC_OR_PARTITION while its controller creates the topic; the
  # producer asks again instead of failing.
  run -0 kpipe -b "$KPIPE_TEST_BROKERS" produce -t "fresh-$$" <<<$'a\nb\nc'
  run -0 kpipe -b "$KPIPE_TEST_BROKERS" consume -t "fresh-$$" -e
  [ "$output" = $'a\nb\nc' ]
  # consume and metadata never create a topic.
  run kpipe -b "$KPIPE_TEST_BROKERS" consume -t "absent-$$" -e
  echo "# status $status: $output" >&3
  [ "$status" -eq 4 ]
  [[ "$output" == *"absent-$$"* ]]
  run -0 kpipe -b "$KPIPE_TEST_BROKERS" metadata --format json
  [[ "$output" != *"absent-$$"* ]]
}
