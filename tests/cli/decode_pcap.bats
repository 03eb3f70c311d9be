#!/usr/bin/env bats
# bats file_tags=kafka-only
# kpipe decode --pcap on a real capture: dumpcap records kpipe talking to a real Kafka over
# loopback (metadata, produce, consume), then decode --pcap must decode every frame, pair every
# response, and agree with tshark's Kafka dissector on the number of requests and responses and
# on the fields it shows (tests/cli/helpers/compare_pcap_tshark.py). Needs root (or capture
# rights) for dumpcap on lo, and a real Kafka: the mock cluster's answers are not what tshark
# knows, and loopback captures are what this is for.

bats_require_minimum_version 1.5.0

setup_file() {
  source "$BATS_TEST_DIRNAME/helpers/cluster.bash"
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  start_cluster --topic pcap:3
  local dir=$BATS_FILE_TMPDIR b=$KPIPE_TEST_BROKERS
  export PORT=${b##*:}
  export CAPTURE=$dir/kafka.pcapng
  dumpcap -q -i lo -f "tcp port $PORT" -w "$CAPTURE" 2>"$dir/dumpcap.err" &
  local pid=$! i
  # dumpcap names its file once it captures; a little more for the filter to be in place.
  for i in $(seq 1 100); do
    grep -q "^File:" "$dir/dumpcap.err" 2>/dev/null && break
    sleep 0.1
  done
  sleep 0.5
  kpipe metadata -b "$b" >/dev/null
  seq -f "record-%g" 1 300 | kpipe produce -b "$b" -t pcap >/dev/null
  kpipe consume -b "$b" -t pcap -e >"$dir/consumed"
  sleep 0.5
  kill "$pid"
  wait "$pid" || true
  export CONSUMED=$dir/consumed
}

teardown_file() {
  stop_cluster
}

@test "decode --pcap: every frame of a real capture decodes, every response is paired" {
  run --separate-stderr kpipe decode --pcap "$CAPTURE" --port "$PORT"
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  local types requests responses
  types=$(jq -r .type <<<"$output" | sort | uniq -c | awk '{print $2 "=" $1}' | paste -sd' ')
  requests=$(jq -r 'select(.type == "request") | .type' <<<"$output" | wc -l)
  responses=$(jq -r 'select(.type == "response") | .type' <<<"$output" | wc -l)
  [ "$requests" -gt 10 ]
  [ "$requests" -eq "$responses" ] || { echo "$types"; false; }
  [ "$types" == "request=$requests response=$responses" ]
  # Each response carries its request's time and a latency.
  [ "$(jq -r 'select(.type == "response") | (.latency_us >= 0 and .request_time != null)' \
    <<<"$output" | sort -u)" == "true" ]
  jq -se 'any(.[]; .api == "Produce") and any(.[]; .api == "Fetch")' <<<"$output" >/dev/null
}

@test "decode --pcap: counts and fields agree with tshark's Kafka dissector" {
  kpipe decode --pcap "$CAPTURE" --port "$PORT" >"$BATS_TEST_TMPDIR/kpipe.jsonl"
  tshark -r "$CAPTURE" -d "tcp.port==$PORT,kafka" -Y kafka -T json \
    >"$BATS_TEST_TMPDIR/tshark.json" 2>/dev/null
  run python3 "$KPIPE_CLI_HELPERS/compare_pcap_tshark.py" "$BATS_TEST_TMPDIR/kpipe.jsonl" \
    "$BATS_TEST_TMPDIR/tshark.json"
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "decode --pcap: without --port the Kafka streams are found; stdin gives the same" {
  kpipe decode --pcap "$CAPTURE" --port "$PORT" >"$BATS_TEST_TMPDIR/with-port"
  run --separate-stderr kpipe decode --pcap "$CAPTURE"
  [ "$status" -eq 0 ]
  diff <(echo "$output") "$BATS_TEST_TMPDIR/with-port"
  run --separate-stderr bash -c "cat '$CAPTURE' | kpipe decode --pcap -"
  [ "$status" -eq 0 ]
  diff <(echo "$output") "$BATS_TEST_TMPDIR/with-port"
}

@test "decode --pcap --records --api: the produced values are in the Produce requests" {
  run --separate-stderr kpipe decode --pcap "$CAPTURE" --records --api Produce,Fetch
  [ "$status" -eq 0 ]
  [ "$(jq -r .api <<<"$output" | sort -u | paste -sd,)" == "Fetch,Produce" ]
  produced=$(jq -r 'select(.type == "request") | .records[].batches[].records[].value' \
    <<<"$output" | sort -V)
  [ "$produced" == "$(seq -f 'record-%g' 1 300)" ]
  fetched=$(jq -r 'select(.type == "response") | .records[].batches[].records[].value' \
    <<<"$output" | sort -V)
  [ "$fetched" == "$(sort -V "$CONSUMED")" ]
}

@test "decode --pcap --max-frame: larger frames are reported and passed over, the rest decodes" {
  kpipe decode --pcap "$CAPTURE" --port "$PORT" >"$BATS_TEST_TMPDIR/all"
  run --separate-stderr kpipe decode --pcap "$CAPTURE" --port "$PORT" --max-frame 1KiB
  [ "$status" -eq 1 ]
  local big
  big=$(jq -r 'select(.type == "error") | .error' <<<"$output" | grep -c \
    'bytes, larger than the largest frame decoded (--max-frame 1024): passed over')
  [ "$big" -gt 0 ]
  # Every frame is either decoded as before or one of those lines; no frame is lost.
  [ "$(jq -r .type <<<"$output" | grep -vc '^error$')" -eq \
    "$(($(wc -l <"$BATS_TEST_TMPDIR/all") - big))" ]
  [ "$(jq -r 'select(.type == "lost" or .type == "skipped") | .type' <<<"$output")" == "" ]
  run --separate-stderr kpipe decode --pcap "$CAPTURE" --max-frame lots
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"--max-frame lots: not a size"* ]]
}

@test "decode --pcap: an unsupported link type names the file and the type" {
  printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04\x00\x69\x00\x00\x00' \
    >"$BATS_TEST_TMPDIR/wifi.pcap"
  run --separate-stderr kpipe decode --pcap "$BATS_TEST_TMPDIR/wifi.pcap"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"wifi.pcap: link type IEEE802_11 (105) is not supported"* ]]
}
