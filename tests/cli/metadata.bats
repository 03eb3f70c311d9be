#!/usr/bin/env bats
# kpipe metadata against the reference broker (librdkafka's mock cluster with 3 brokers, or a
# real Kafka with KPIPE_KAFKA_NODES nodes): output, filters, global options, exit codes.

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

# The number of brokers the cluster has: the mock's 3, or the nodes scripts/kafka.sh started.
broker_count() {
  if on_kafka; then
    echo "$KPIPE_KAFKA_NODES"
  else
    echo 3
  fi
}

# The cluster id as another client sees it: kafka-python's DescribeCluster on real Kafka; the
# mock's ids all start with "mockCluster" (kafka-python's admin client does not bootstrap
# against the mock).
cluster_id_pattern() {
  if on_kafka; then
    "$KPIPE_TEST_PYTHON" -c '
import sys
from kafka import KafkaAdminClient
a = KafkaAdminClient(bootstrap_servers=sys.argv[1].split(","))
print(a.describe_cluster()["cluster_id"])
a.close()
' "$KPIPE_TEST_BROKERS"
  else
    echo "mockCluster*"
  fi
}

@test "json lists the brokers, topics, leaders and replicas that kcat -L -J reports" {
  run --separate-stderr kpipe metadata -b "$KPIPE_TEST_BROKERS" --format json
  [ "$status" -eq 0 ]
  echo "$output" > "$BATS_TEST_TMPDIR/kpipe.json"
  kcat -b "$KPIPE_TEST_BROKERS" -L -J > "$BATS_TEST_TMPDIR/kcat.json"
  run python3 "$KPIPE_CLI_HELPERS/compare_metadata.py" "$BATS_TEST_TMPDIR/kpipe.json" "$BATS_TEST_TMPDIR/kcat.json"
  echo "$output"
  [ "$status" -eq 0 ]
  # Exactly the cluster's brokers and exactly the partitions a:6 and b:1 (on real Kafka, which
  # earlier test files share, an internal __consumer_offsets may be listed too, flagged so).
  run python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(len(d["brokers"]), " ".join("%s:%d" % (t["name"], len(t["partitions"]))
                                  for t in d["topics"] if not t["internal"]))
assert all(t["internal"] == t["name"].startswith("__") for t in d["topics"]), d["topics"]
' "$BATS_TEST_TMPDIR/kpipe.json"
  [ "$output" = "$(broker_count) a:6 b:1" ]
}

@test "text output shows the cluster id, brokers and partition tables" {
  run --separate-stderr kpipe metadata -b "$KPIPE_TEST_BROKERS"
  [ "$status" -eq 0 ]
  local id
  id=$(cluster_id_pattern)
  # shellcheck disable=SC2053  # the mock's id is a pattern
  [[ "${lines[0]}" == "cluster id:  "$id ]]
  [[ "$output" == *"brokers ($(broker_count)):"* ]]
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

# without_controller JSON: on real Kafka, the metadata JSON without controller_id, after checking
# that it names one of the brokers: with several KRaft nodes each answer names a random broker.
# The mock's controller id does not change: there the JSON is left whole.
without_controller() {
  if ! on_kafka; then
    printf '%s\n' "$1"
    return
  fi
  python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["controller_id"] in [b["id"] for b in d["brokers"]], d
del d["controller_id"]
print(json.dumps(d))
' "$1"
}

@test "global options work before or after the command, and from KPIPE_BROKERS" {
  run --separate-stderr kpipe -b "$KPIPE_TEST_BROKERS" --format json metadata
  [ "$status" -eq 0 ]
  before=$(without_controller "$output")
  run --separate-stderr kpipe metadata --format json -b "$KPIPE_TEST_BROKERS"
  [ "$status" -eq 0 ]
  [ "$(without_controller "$output")" = "$before" ]
  KPIPE_BROKERS="$KPIPE_TEST_BROKERS" run --separate-stderr kpipe metadata --format json
  [ "$status" -eq 0 ]
  [ "$(without_controller "$output")" = "$before" ]
}

@test "--api-versions shows each broker's ranges beside kpipe's and the version used" {
  run --separate-stderr kpipe metadata -b "$KPIPE_TEST_BROKERS" -t a --api-versions --format json
  [ "$status" -eq 0 ]
  run python3 -c '
import json, sys
d = json.load(sys.stdin)
assert len(d["api_versions"]) == int(sys.argv[1]), d["api_versions"]
for b in d["api_versions"]:
    apis = {a["key"]: a for a in b["apis"]}
    m = apis[3]
    assert m["name"] == "Metadata" and m["used"] == min(m["broker_max"], m["kpipe_max"]), m
    assert apis[18]["used"] is not None
print("ok")
' "$(broker_count)" <<< "$output"
  [ "$output" = "ok" ]
  run --separate-stderr kpipe metadata -b "$KPIPE_TEST_BROKERS" -t a --api-versions
  [ "$status" -eq 0 ]
  [[ "$output" == *"api versions of broker 1 ("*"):"* ]]
  [[ "$output" == *"Metadata"* ]]
}

# broker-free: the tests that reach no broker (a closed port, a silent peer, usage errors) run
# once, in the mock tier.

# bats test_tags=broker-free
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

# bats test_tags=broker-free
@test "a broker that never answers exits 5 after --timeout" {
  run --separate-stderr kpipe metadata -b "$KPIPE_TEST_BLACKHOLE" --timeout 200ms
  [ "$status" -eq 5 ]
  [ -z "$output" ]
  [[ "$stderr" == *"$KPIPE_TEST_BLACKHOLE"*"no answer within 200ms"* ]]
}

@test "every bootstrap broker is tried in turn" {
  run --separate-stderr kpipe metadata -b "127.0.0.1:1,$KPIPE_TEST_BROKERS" --format json
  [ "$status" -eq 0 ]
  local id
  id=$(cluster_id_pattern)
  # shellcheck disable=SC2053  # the mock's id is a pattern
  [[ "$(python3 -c 'import json, sys; print(json.load(sys.stdin)["cluster_id"])' <<<"$output")" == $id ]]
}

# bats test_tags=broker-free
@test "an unknown option exits 2 with a usage hint" {
  run --separate-stderr kpipe metadata --no-such-option
  [ "$status" -eq 2 ]
  [ -z "$output" ]
  [[ "$stderr" == *"--no-such-option"* ]]
  [[ "$stderr" == *"kpipe --help"* ]]
}

# bats test_tags=broker-free
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

# bats test_tags=broker-free
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
