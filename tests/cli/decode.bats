#!/usr/bin/env bats
# kpipe decode: protocol frames recorded from kcat talking to the reference broker, single
# requests and responses in hex/base64, bad input, the API table.

bats_require_minimum_version 1.5.0

setup_file() {
  source "$BATS_TEST_DIRNAME/helpers/cluster.bash"
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  start_cluster --brokers 1 --topic t:1
  export CAPTURE_DIR="$BATS_FILE_TMPDIR/capture"
  start_relay "$KPIPE_TEST_BROKERS" "$CAPTURE_DIR"
  # Everything kcat says goes through the relay: metadata, produce in every codec, fetch.
  for codec in none gzip snappy lz4 zstd; do
    printf 'k1\tv1\nk2\tv2\n' | kcat -b "$KPIPE_TEST_RELAY" -P -t t -p 0 -K '\t' -z "$codec" \
      -H trace=abc -H empty= 2>/dev/null
  done
  kcat -b "$KPIPE_TEST_RELAY" -L >/dev/null 2>&1
  kcat -b "$KPIPE_TEST_RELAY" -C -t t -p 0 -o beginning -e -q >/dev/null 2>&1
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
