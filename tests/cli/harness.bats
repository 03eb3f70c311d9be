#!/usr/bin/env bats
# Tests of the test harness itself: kpipe-mock-cluster (librdkafka's mock cluster), its control
# FIFO, blackhole.py and the helpers in helpers/cluster.bash. kcat is the reference client, so a
# failure here means the harness, not kpipe, is broken.
# The harness is the mock tier's broker: the file runs in the mock tier only.
# bats file_tags=mock-only

# run --separate-stderr: kcat logs connection attempts on stderr, which must not reach the JSON.
bats_require_minimum_version 1.5.0

setup_file() {
  source "$BATS_TEST_DIRNAME/helpers/cluster.bash"
  start_cluster --brokers 3 --topic a:6 --topic b:1
  start_blackhole
}

teardown_file() {
  stop_cluster
  stop_blackhole
}

# Prints "<brokers> <partitions of a> <partitions of b>" from kcat's JSON metadata on stdin.
metadata_summary() {
  python3 -c '
import json, sys
meta = json.load(sys.stdin)
parts = {t["topic"]: len(t["partitions"]) for t in meta["topics"]}
print(len(meta["brokers"]), parts.get("a"), parts.get("b"))
'
}

@test "metadata lists 3 brokers, topic a with 6 partitions and b with 1" {
  run --separate-stderr kcat -b "$KPIPE_TEST_BROKERS" -L -J -m 5
  [ "$status" -eq 0 ]
  [ "$(metadata_summary <<<"$output")" = "3 6 1" ]
}

@test "a produced line is consumed back unchanged, key included" {
  local value="line $RANDOM with spaces and ümlauts"
  run kcat -b "$KPIPE_TEST_BROKERS" -P -t b -K '|' <<<"key-1|$value"
  [ "$status" -eq 0 ]

  run --separate-stderr kcat -b "$KPIPE_TEST_BROKERS" -C -t b -o beginning -e -q -f '%k=%s\n'
  [ "$status" -eq 0 ]
  [ "$output" = "key-1=$value" ]
}

@test "control commands are acknowledged, bad ones rejected with a reason" {
  cluster_control broker-rtt 2 0
  cluster_control create-topic c 2 2

  run --separate-stderr kcat -b "$KPIPE_TEST_BROKERS" -L -J -t c -m 5
  [ "$status" -eq 0 ]
  [ "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["topics"][0]["partitions"]))' \
    <<<"$output")" = 2 ]

  run cluster_control frobnicate 1
  [ "$status" -eq 1 ]
  [[ "$output" == *"unknown command"* ]]

  run cluster_control leader a 0 9
  [ "$status" -eq 1 ]
  [[ "$output" == *"no broker 9"* ]]

  run cluster_control broker-down
  [ "$status" -eq 1 ]
  [[ "$output" == *"wrong number of arguments"* ]]
}

@test "push-errors makes the next produce request fail with the injected error" {
  # 0 = Produce, 10 = MESSAGE_TOO_LARGE: not retriable, so the client reports it at once.
  cluster_control push-errors 0 10
  run kcat -b "$KPIPE_TEST_BROKERS" -P -t b -p 0 <<<"rejected"
  [ "$status" -ne 0 ]
  [[ "$output" == *"Message size too large"* ]]

  # The error stack is used up: the next produce goes through.
  run kcat -b "$KPIPE_TEST_BROKERS" -P -t b -p 0 <<<"accepted"
  [ "$status" -eq 0 ]
}

@test "broker-down refuses connections to that broker, the others still serve metadata" {
  local broker1=${KPIPE_TEST_BROKERS%%,*}
  cluster_control broker-down 1

  run timeout 10 kcat -b "$broker1" -L -m 1
  local down_status=$status
  run --separate-stderr kcat -b "$KPIPE_TEST_BROKERS" -L -J -m 5
  local others_status=$status others_output=$output
  # Restore before asserting, so that a failure here does not spill into later tests.
  cluster_control broker-up 1

  [ "$down_status" -ne 0 ]
  [ "$others_status" -eq 0 ]
  [ "$(metadata_summary <<<"$others_output")" = "3 6 1" ]

  run kcat -b "$broker1" -L -m 5
  [ "$status" -eq 0 ]
}

@test "blackhole accepts a TCP connection and never answers" {
  run python3 - "$KPIPE_TEST_BLACKHOLE" <<'EOF'
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
with socket.create_connection((host, int(port)), timeout=2) as conn:
    conn.sendall(b"\x00\x00\x00\x05hello")
    conn.settimeout(0.5)
    try:
        print("answered", conn.recv(1))
    except socket.timeout:
        print("silent")
EOF
  [ "$status" -eq 0 ]
  [ "$output" = "silent" ]

  run timeout 5 kcat -b "$KPIPE_TEST_BLACKHOLE" -L -m 1
  [ "$status" -ne 0 ]
  [ "$status" -ne 124 ]  # kcat's own metadata timeout fired, not timeout(1).
}

@test "harness rejects bad usage with status 2 and explains --help" {
  local bin
  bin=$(mock_cluster_bin)
  run "$bin" --brokers 0
  [ "$status" -eq 2 ]
  run "$bin" --topic nopartitions
  [ "$status" -eq 2 ]
  run "$bin" --brokers 1 --topic x:1:2
  [ "$status" -eq 2 ]
  [[ "$output" == *"replication 2 exceeds"* ]]
  run "$bin" --no-such-option
  [ "$status" -eq 2 ]
  run "$bin" --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--control PATH"* ]]
}

@test "harness prints the bootstrap list first and exits 0 on SIGTERM, removing its FIFO" {
  local bin fifo="$BATS_TEST_TMPDIR/ctl" out="$BATS_TEST_TMPDIR/out" line="" i pid
  bin=$(mock_cluster_bin)
  "$bin" --brokers 2 --control "$fifo" >"$out" 2>/dev/null </dev/null 3>&- &
  pid=$!
  for ((i = 0; i < 200; i++)); do
    IFS= read -r line <"$out" && break
    sleep 0.05
  done
  [[ "$line" =~ ^127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+$ ]]
  [ -p "$fifo" ]

  kill -TERM "$pid"
  local rc=0
  wait "$pid" || rc=$?
  [ "$rc" -eq 0 ]
  [ ! -e "$fifo" ]
}

@test "--exit-on-stdin-close exits 0 when stdin ends; without it stdin is ignored" {
  local bin
  bin=$(mock_cluster_bin)
  run timeout 5 "$bin" --exit-on-stdin-close </dev/null
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" =~ ^127\.0\.0\.1:[0-9]+$ ]]

  # Without the flag a closed stdin changes nothing: only --max-seconds ends this run.
  local start_ms elapsed_ms
  start_ms=$(date +%s%3N)
  run timeout 5 "$bin" --max-seconds 1 </dev/null
  elapsed_ms=$(($(date +%s%3N) - start_ms))
  [ "$status" -eq 0 ]
  [ "$elapsed_ms" -ge 900 ]
}

@test "blackhole exits by itself after --max-seconds" {
  run timeout 5 python3 "$(blackhole_script)" --max-seconds 0.5
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^127\.0\.0\.1:[0-9]+$ ]]
}
