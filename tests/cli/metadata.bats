#!/usr/bin/env bats
# kpipe metadata against the reference broker (librdkafka's mock cluster): output, filters,
# global options, exit codes.

bats_require_minimum_version 1.5.0

setup_file() {
  source "$BATS_TEST_DIRNAME/helpers/cluster.bash"
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  start_cluster --brokers 3 --topic a:6 --topic b:1
  start_blackhole
}

teardown_file() {
  stop_blackhole
  stop_cluster
}

setup() {
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
}

@test "json lists the brokers, topics, leaders and replicas that kcat -L -J reports" {
  run --separate-stderr kpipe metadata -b "$KPIPE_TEST_BROKERS" --format json
  [ "$status" -eq 0 ]
  echo "$output" > "$BATS_TEST_TMPDIR/kpipe.json"
  kcat -b "$KPIPE_TEST_BROKERS" -L -J > "$BATS_TEST_TMPDIR/kcat.json"
  run python3 "$KPIPE_CLI_HELPERS/compare_metadata.py" "$BATS_TEST_TMPDIR/kpipe.json" "$BATS_TEST_TMPDIR/kcat.json"
  echo "$output"
  [ "$status" -eq 0 ]
  # exactly 3 brokers and exactly the partitions a:6 and b:1
  run python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(len(d["brokers"]), " ".join("%s:%d" % (t["name"], len(t["partitions"])) for t in d["topics"]))
' "$BATS_TEST_TMPDIR/kpipe.json"
  [ "$output" = "3 a:6 b:1" ]
}

@test "text output shows the cluster id, brokers and partition tables" {
  run --separate-stderr kpipe metadata -b "$KPIPE_TEST_BROKERS"
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == "cluster id:  mockCluster"* ]]
  [[ "$output" == *"brokers (3):"* ]]
  [[ "$output" == *"  a (6 partitions)"* ]]
  [[ "$output" == *"  b (1 partition)"* ]]
  [ -z "$stderr" ]
}

@test "-t selects topics" {
  run --separate-stderr kpipe metadata -b "$KPIPE_TEST_BROKERS" -t b --format json
  [ "$status" -eq 0 ]
  run python3 -c 'import json,sys; d=json.load(sys.stdin); print([t["name"] for t in d["topics"]])' <<< "$output"
  [ "$output" = "['b']" ]
}

@test "global options work before or after the command, and from KPIPE_BROKERS" {
  run --separate-stderr kpipe -b "$KPIPE_TEST_BROKERS" --format json metadata
  [ "$status" -eq 0 ]
  before=$output
  run --separate-stderr kpipe metadata --format json -b "$KPIPE_TEST_BROKERS"
  [ "$status" -eq 0 ]
  [ "$output" = "$before" ]
  KPIPE_BROKERS="$KPIPE_TEST_BROKERS" run --separate-stderr kpipe metadata --format json
  [ "$status" -eq 0 ]
  [ "$output" = "$before" ]
}

@test "--api-versions shows each broker's ranges beside kpipe's and the version used" {
  run --separate-stderr kpipe metadata -b "$KPIPE_TEST_BROKERS" -t a --api-versions --format json
  [ "$status" -eq 0 ]
  run python3 -c '
import json, sys
d = json.load(sys.stdin)
assert len(d["api_versions"]) == 3, d["api_versions"]
for b in d["api_versions"]:
    apis = {a["key"]: a for a in b["apis"]}
    m = apis[3]
    assert m["name"] == "Metadata" and m["used"] == min(m["broker_max"], m["kpipe_max"]), m
    assert apis[18]["used"] is not None
print("ok")
' <<< "$output"
  [ "$output" = "ok" ]
  run --separate-stderr kpipe metadata -b "$KPIPE_TEST_BROKERS" -t a --api-versions
  [ "$status" -eq 0 ]
  [[ "$output" == *"api versions of broker 1 ("*"):"* ]]
  [[ "$output" == *"Metadata"* ]]
}

@test "an unreachable broker exits 1 within the timeout and is named on stderr" {
  start=$(date +%s%N)
  run --separate-stderr kpipe metadata -b 127.0.0.1:1 --timeout 5s
  elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  [[ "$stderr" == *"127.0.0.1:1"* ]]
  [[ "$stderr" == *"connect"* ]]
  [ "$elapsed_ms" -lt 5000 ]
}

@test "a broker that never answers exits 5 after --timeout" {
  run --separate-stderr kpipe metadata -b "$KPIPE_TEST_BLACKHOLE" --timeout 200ms
  [ "$status" -eq 5 ]
  [ -z "$output" ]
  [[ "$stderr" == *"$KPIPE_TEST_BLACKHOLE"*"no answer within 200ms"* ]]
}

@test "every bootstrap broker is tried in turn" {
  run --separate-stderr kpipe metadata -b "127.0.0.1:1,$KPIPE_TEST_BROKERS" --format json
  [ "$status" -eq 0 ]
  [[ "$output" == *'"cluster_id":"mockCluster'* ]]
}

@test "an unknown option exits 2 with a usage hint" {
  run --separate-stderr kpipe metadata --no-such-option
  [ "$status" -eq 2 ]
  [ -z "$output" ]
  [[ "$stderr" == *"--no-such-option"* ]]
  [[ "$stderr" == *"kpipe --help"* ]]
}

@test "bad values for global options exit 2 and say what is expected" {
  run --separate-stderr kpipe metadata -b "$KPIPE_TEST_BROKERS" --timeout soon
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"--timeout expects"* ]]
  run --separate-stderr kpipe metadata -b "$KPIPE_TEST_BROKERS" -X no-equals-sign
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"-X expects KEY=VALUE"* ]]
  run --separate-stderr kpipe metadata -b "host:notaport"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"host:notaport"* ]]
  run --separate-stderr kpipe metadata --format yaml
  [ "$status" -eq 2 ]
}

@test "no command is a usage error; --help and --version exit 0" {
  run --separate-stderr kpipe
  [ "$status" -eq 2 ]
  run kpipe --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"Examples:"* ]]
  [[ "$output" == *"metadata"* ]]
  run kpipe metadata --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--api-versions"* ]]
  [[ "$output" == *"kpipe metadata -t orders"* ]]
  run kpipe --version
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^kpipe\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}
