#!/usr/bin/env bats
# kpipe decode: protocol frames recorded from kcat talking to the reference broker (the mock, or
# a real Kafka), single requests and responses in hex/base64, bad input, the API table. The tests
# that only decode fixtures and literals reach no broker (broker-free: once, in the mock tier).

bats_require_minimum_version 1.5.0

setup_file() {
  source "$BATS_TEST_DIRNAME/helpers/cluster.bash"
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  start_cluster --brokers 1 --topic t:1
  export CAPTURE_DIR="$BATS_FILE_TMPDIR/capture"
  # The relay points every broker of a Metadata answer at itself, so it stands for a cluster of
  # one broker: librdkafka takes brokers with the same address for one, and would never reach
  # the leader of a larger one (scripts/kafka.sh starts one node unless told --nodes).
  if on_kafka && ((KPIPE_KAFKA_NODES != 1)); then
    echo "# decode.bats records kcat through tests/support/relay.py, which needs a one-node Kafka" \
      "(this one has $KPIPE_KAFKA_NODES)" >&2
    return 1
  fi
  start_relay "$KPIPE_TEST_BROKERS" "$CAPTURE_DIR"
  # Everything kcat says goes through the relay: metadata, produce in every codec, fetch.
  for codec in none gzip snappy lz4 zstd; do
    printf 'k1\tv1\nk2\tv2\n' | timeout 60 kcat -b "$KPIPE_TEST_RELAY" -P -t t -p 0 -K '\t' \
      -z "$codec" -H trace=abc -H empty= 2>/dev/null
  done
  timeout 60 kcat -b "$KPIPE_TEST_RELAY" -L >/dev/null 2>&1
  timeout 60 kcat -b "$KPIPE_TEST_RELAY" -C -t t -p 0 -o beginning -e -q >/dev/null 2>&1
  stop_relay
}

teardown_file() {
  stop_relay
  stop_cluster
}

setup() {
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
}

@test "every request and response kcat exchanged with the reference cluster decodes" {
  run ls "$CAPTURE_DIR"
  [ "$status" -eq 0 ]
  [ -n "$output" ]
  all="$BATS_TEST_TMPDIR/all.json"
  : > "$all"
  for capture in "$CAPTURE_DIR"/conn-*.bin; do
    run --separate-stderr kpipe decode --frames "$capture"
    echo "$capture: $stderr"
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    frames=$(python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); n=i=0
while i < len(d): i += 4 + int.from_bytes(d[i:i+4], "big"); n += 1
print(n)' "$capture")
    [ "${#lines[@]}" -eq "$frames" ]
    printf '%s\n' "$output" >> "$all"
  done
  # The capture covers the APIs kcat used, each response under its request's version.
  run python3 -c '
import json, sys
seen, pending = set(), {}
for line in open(sys.argv[1]):
    f = json.loads(line)
    seen.add((f["api"], f["type"]))
print(" ".join(sorted(a + "/" + t for a, t in seen)))
' "$all"
  echo "$output"
  for api in ApiVersions Metadata Produce Fetch ListOffsets; do
    [[ "$output" == *"$api/request"* ]]
    [[ "$output" == *"$api/response"* ]]
  done
}

@test "produce requests show the topic, partition and the raw record batches" {
  capture=$(grep -l . "$CAPTURE_DIR"/conn-*.bin | head -n 50)
  found=0
  for c in $capture; do
    out=$(kpipe decode --frames "$c")
    if grep -q '"api":"Produce"' <<< "$out"; then
      found=1
      run python3 -c '
import json, sys
for line in sys.stdin:
    f = json.loads(line)
    if f["api"] == "Produce" and f["type"] == "request":
        t = f["body"]["topic_data"][0]
        print(t["name"], t["partition_data"][0]["index"], len(t["partition_data"][0]["records"]) > 0)
        break
' <<< "$out"
      [ "$output" = "t 0 True" ]
    fi
  done
  [ "$found" -eq 1 ]
}

# bats test_tags=broker-free
@test "a single request in hex and a response in base64 decode" {
  # Metadata v1 request, correlation id 7, client id "cli", topics ["a"]
  run --separate-stderr kpipe decode --request --input hex <<< "
    00 03 00 01 00000007 0003 636c69
    00000001 0001 61"
  [ "$status" -eq 0 ]
  [[ "$output" == *'"api":"Metadata","api_version":1,"correlation_id":7'* ]]
  [[ "$output" == *'"client_id":"cli"'* ]]
  [[ "$output" == *'"topics":[{"name":"a"}]'* ]]
  # the same with its size prefix
  run --separate-stderr kpipe decode --request --input hex <<< "00000014 0003000100000007 0003636c69 00000001 000161"
  [ "$status" -eq 0 ]
  # ApiVersions v0 response: correlation id 7, no error, one API (Metadata 0-12)
  body=$(printf '\x00\x00\x00\x07\x00\x00\x00\x00\x00\x01\x00\x03\x00\x00\x00\x0c' | base64)
  run --separate-stderr kpipe decode --response --api-key 18 --api-version 0 --input base64 <<< "$body"
  [ "$status" -eq 0 ]
  [[ "$output" == *'"body":{"error_code":0,"api_keys":[{"api_key":3,"min_version":0,"max_version":12}]}'* ]]
}

# bats test_tags=broker-free
@test "--pretty indents the JSON" {
  run --separate-stderr kpipe decode --request --pretty --input hex <<< "0003000100000007ffff00000000"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "{" ]
  [[ "$output" == *$'\n  "api": "Metadata",'* ]]
}

@test "truncated and garbage input fail with exit 1, naming the frame, field and offset" {
  capture=$(ls "$CAPTURE_DIR"/conn-*.bin | head -n 1)
  size=$(stat -c %s "$capture")
  head -c $((size - 3)) "$capture" > "$BATS_TEST_TMPDIR/cut.bin"
  run --separate-stderr kpipe decode --frames "$BATS_TEST_TMPDIR/cut.bin"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"frame "*" at offset "*"bytes left"* ]]
  # A Metadata v1 request whose topic array claims 2 topics but holds one
  run --separate-stderr kpipe decode --request --input hex <<< "0003000100000007ffff000000020001 61"
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  [[ "$stderr" == *"Metadata v1 request: topics[1].name: need 2 bytes, 0 left at offset 17"* ]]
  head -c 5000 /dev/urandom > "$BATS_TEST_TMPDIR/random.bin"
  run --separate-stderr kpipe decode --frames "$BATS_TEST_TMPDIR/random.bin"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"at offset"* ]]
}

# bats test_tags=broker-free
@test "bad usage exits 2" {
  run --separate-stderr kpipe decode --response --input hex <<< "00"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"--api-key"* ]]
  run --separate-stderr kpipe decode --request --frames /dev/null
  [ "$status" -eq 2 ]
  run --separate-stderr kpipe decode --input octal /dev/null
  [ "$status" -eq 2 ]
  run --separate-stderr kpipe decode --input hex <<< "0g"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"not hex"* ]]
  run --separate-stderr kpipe decode /no/such/file
  [ "$status" -eq 4 ]
}

# bats test_tags=broker-free
@test "--list-apis prints the API table" {
  run --separate-stderr kpipe decode --list-apis --format json
  [ "$status" -eq 0 ]
  run python3 -c '
import json, sys
apis = json.load(sys.stdin)
keys = [a["key"] for a in apis]
assert keys == list(range(len(keys))), keys
m = [a for a in apis if a["name"] == "Metadata"][0]
print(len(apis), m["key"], m["first_flexible_version"])
' <<< "$output"
  [[ "$output" == *" 3 9" ]]
  run --separate-stderr kpipe decode --list-apis
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == "KEY"*"API"*"VERSIONS"*"FLEXIBLE" ]]
  [[ "$output" == *"18   ApiVersions"* ]]
}

# ---- --record-batch ----------------------------------------------------------------------------

RECORD_FIXTURES="$BATS_TEST_DIRNAME/../support/data/record"

# Prints, for JSON documents of decode --record-batch on stdin: the number of records (v2
# records, legacy messages, inner messages of wrappers), then the first and the last value as
# JSON. Fails unless every CRC matched.
record_values() {
  python3 -c '
import json, sys
values = []
for line in sys.stdin:
    d = json.loads(line)
    assert d["crc_ok"] and d["computed_crc"] == d["crc"], d
    if d["magic"] == 2:
        assert d["record_count"] == len(d["records"]), d
        values += [r["value"] for r in d["records"]]
    elif "messages" in d:
        values += [m["value"] for m in d["messages"]]
    else:
        values.append(d["value"])
print(len(values))
print(json.dumps(values[0]))
print(json.dumps(values[-1]))
'
}

# The bytes of a hex fixture.
fixture_bytes() {
  tr -d ' \n' < "$RECORD_FIXTURES/$1.hex" | xxd -r -p > "$2"
}

# bats test_tags=broker-free
@test "--record-batch decodes every record fixture: kcat batches and kafka-python message sets" {
  kcat_last='"{\"id\":19,\"name\":\"record number 19\",\"tags\":[\"kafka\",\"kpipe\",\"fixture\"]}"'
  python_last='"{\"id\":19,\"name\":\"record number 19\"}"'
  checked=0
  for hex in "$RECORD_FIXTURES"/*.hex; do
    name=$(basename "$hex" .hex)
    case "$name" in
      kcat_transactional) expected=$'2\n"in a transaction"\n"committed"'; docs=1 ;;
      kcat_*) expected=$'25\n"value one"\n'"$kcat_last"; docs=2 ;;
      python_v2_*) expected=$'20\n"{\\"id\\":0,\\"name\\":\\"record number 0\\"}"\n'"$python_last"; docs=1 ;;
      python_v[01]_none) expected=$'3\n"legacy value 0"\nnull'; docs=3 ;;
      python_v[01]_*) expected=$'3\n"legacy value 0"\nnull'; docs=1 ;;
      *) echo "no expectation for $name"; false ;;
    esac
    run --separate-stderr kpipe decode --record-batch --input hex "$hex"
    echo "$name: status $status, stderr: $stderr"
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    [ "${#lines[@]}" -eq "$docs" ]
    values=$(record_values <<< "$output")
    echo "$values"
    [ "$values" = "$expected" ]
    checked=$((checked + 1))
  done
  [ "$checked" -eq 18 ]
}

# bats test_tags=broker-free
@test "--record-batch shows keys, headers, attributes and producer fields" {
  run --separate-stderr kpipe decode --record-batch --input hex "$RECORD_FIXTURES/kcat_zstd.hex"
  [ "$status" -eq 0 ]
  first=${lines[0]}
  [[ "$first" == '{"position":0,"base_offset":0,'* ]]
  [[ "$first" == *'"attributes":{"raw":4,"compression":"zstd","timestamp_type":"create","transactional":false,"control":false,"delete_horizon":false}'* ]]
  [[ "$first" == *'"producer_id":-1,"producer_epoch":-1,"base_sequence":-1,"record_count":5,'* ]]
  [[ "$first" == *'"key":"k1","value":"value one","headers":[["trace","abc-123"],["empty",""],["nullvalue",null]]'* ]]
  [[ "$first" == *'"key":null,"value":"empty key is null with -Z"'* ]]
  [[ "${lines[1]}" == *'"base_offset":5,'*'"base_sequence":0,"record_count":20,'* ]]
  run --separate-stderr kpipe decode --record-batch --input hex "$RECORD_FIXTURES/kcat_transactional.hex"
  [ "$status" -eq 0 ]
  [[ "$output" == *'"transactional":true,"control":false'* ]]
  run --separate-stderr kpipe decode --record-batch --input hex "$RECORD_FIXTURES/python_v1_lz4.hex"
  [ "$status" -eq 0 ]
  [[ "$output" == *'"offset":102,'*'"compression":"lz4"'*'"messages":[{"inner_position":0,"offset":100,'* ]]
}

# bats test_tags=broker-free
@test "--record-batch reads raw bytes from stdin, base64, and --pretty" {
  fixture_bytes kcat_none "$BATS_TEST_TMPDIR/none.bin"
  run --separate-stderr kpipe decode --record-batch < "$BATS_TEST_TMPDIR/none.bin"
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 2 ]
  run --separate-stderr kpipe decode --record-batch --input base64 - <<< "$(base64 < "$BATS_TEST_TMPDIR/none.bin")"
  [ "$status" -eq 0 ]
  [ "$(record_values <<< "$output" | head -n 1)" = 25 ]
  run --separate-stderr kpipe decode --record-batch --pretty "$BATS_TEST_TMPDIR/none.bin"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "{" ]
  [ "${lines[1]}" = '  "position": 0,' ]
  run python3 -c 'import json, sys; t = sys.stdin.read(); d = json.JSONDecoder()
i = n = 0
while i < len(t.rstrip()):
    o, i = d.raw_decode(t, i); n += len(o["records"])
    while i < len(t) and t[i].isspace(): i += 1
print(n)' <<< "$output"
  [ "$output" = 25 ]
}

@test "--record-batch decodes the record batches of the Produce requests kcat sent" {
  found=0
  for c in "$CAPTURE_DIR"/conn-*.bin; do
    records=$(kpipe decode --frames "$c" | python3 -c '
import json, sys
for line in sys.stdin:
    f = json.loads(line)
    if f["api"] == "Produce" and f["type"] == "request":
        print(f["body"]["topic_data"][0]["partition_data"][0]["records"])
')
    for r in $records; do
      run --separate-stderr kpipe decode --record-batch --input base64 <<< "$r"
      [ "$status" -eq 0 ]
      [ -z "$stderr" ]
      printf '%s\n' "$output" >> "$BATS_TEST_TMPDIR/batches.json"
      found=$((found + 1))
    done
  done
  [ "$found" -ge 5 ]
  # kcat sent k1 and k2 once per codec (none gzip snappy lz4 zstd), in one batch or two.
  for k in 1 2; do
    run grep -o '"key":"k'$k'","value":"v'$k'","headers":\[\["trace","abc"\],\["empty",""\]\]' \
      "$BATS_TEST_TMPDIR/batches.json"
    [ "${#lines[@]}" -ge 5 ]
  done
}

# bats test_tags=broker-free
@test "--record-batch: a wrong CRC is shown, reported and exits 1" {
  fixture_bytes kcat_none "$BATS_TEST_TMPDIR/bad.bin"
  # Flip the last byte of the first batch's stored CRC (bytes 17-20).
  python3 -c 'import sys; p = sys.argv[1]; d = bytearray(open(p, "rb").read()); d[20] ^= 0xff
open(p, "wb").write(d)' "$BATS_TEST_TMPDIR/bad.bin"
  expected=$(python3 -c 'import sys; d = open(sys.argv[1], "rb").read()
stored = int.from_bytes(d[17:21], "big")
print("kpipe: decode: batch at offset 0: CRC mismatch: stored 0x%08x, computed 0x%08x" % (stored, stored ^ 0xff))' "$BATS_TEST_TMPDIR/bad.bin")
  run --separate-stderr kpipe decode --record-batch "$BATS_TEST_TMPDIR/bad.bin"
  [ "$status" -eq 1 ]
  echo "$stderr"
  [ "$stderr" = "$expected" ]
  [ "${#lines[@]}" -eq 2 ]
  [[ "${lines[0]}" == *'"crc_ok":false,'* ]]
  [[ "${lines[0]}" == *'"value":"value one"'* ]]
  [[ "${lines[1]}" == *'"crc_ok":true,'* ]]
}

# bats test_tags=broker-free
@test "--record-batch: a cut batch or garbage exits 1 naming the offset and the field" {
  fixture_bytes kcat_gzip "$BATS_TEST_TMPDIR/full.bin"
  size=$(stat -c %s "$BATS_TEST_TMPDIR/full.bin")
  head -c $((size - 10)) "$BATS_TEST_TMPDIR/full.bin" > "$BATS_TEST_TMPDIR/cut.bin"
  run --separate-stderr kpipe decode --record-batch "$BATS_TEST_TMPDIR/cut.bin"
  [ "$status" -eq 1 ]
  echo "$stderr"
  [[ "$stderr" == "kpipe: decode: batch at offset "*": cut short in records: need "*" left at offset "* ]]
  [ "${#lines[@]}" -eq 1 ]  # the first batch is printed
  [[ "${lines[0]}" == *'"base_offset":0,'* ]]
  # A record count larger than the records: the field path and the offset.
  python3 -c 'import sys; p = sys.argv[1]; d = bytearray(open(p, "rb").read()); d[60] = 9
open(p, "wb").write(d)' "$BATS_TEST_TMPDIR/full.bin"
  run --separate-stderr kpipe decode --record-batch "$BATS_TEST_TMPDIR/full.bin"
  [ "$status" -eq 1 ]
  echo "$stderr"
  [[ "$stderr" == *"batch at offset 0: CRC mismatch"* ]]
  [[ "$stderr" == *"batch at offset 0: records[5].length: need 1 bytes, 0 left at offset "*" of the records after gzip decompression"* ]]
  [ -z "$output" ]
  head -c 3000 /dev/urandom > "$BATS_TEST_TMPDIR/random.bin"
  run --separate-stderr kpipe decode --record-batch "$BATS_TEST_TMPDIR/random.bin"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"at offset"* ]]
  run --separate-stderr kpipe decode --record-batch /dev/null
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [ -z "$stderr" ]
}
