#!/usr/bin/env bash
# README command 1: kpipe's main job against an embedded default. Installs what is missing,
# builds kpipe, starts a local reference cluster, produces lines with kpipe, reads them back with
# kpipe and shows the metadata and the offsets. The cluster stops when the demo ends.
#
#   scripts/demo.sh           librdkafka's mock cluster (3 brokers, topic "demo" with 3
#                             partitions): starts in a moment, no JVM
#   scripts/demo.sh --kafka   a real Apache Kafka node (scripts/kafka.sh, ~15 s to start)
set -euo pipefail
cd "$(dirname "$0")/.."

kafka=0
case "${1:-}" in
  "") ;;
  --kafka) kafka=1 ;;
  *) echo "usage: scripts/demo.sh [--kafka]" >&2; exit 2 ;;
esac

bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C build kpipe kpipe-mock-cluster >/dev/null

if ((kafka)); then
  # Its own directory and ports, so that it never meets a cluster started by hand or by tests.
  export KPIPE_KAFKA_DIR="${TMPDIR:-/tmp}/kpipe-demo-kafka" KPIPE_KAFKA_PORT=18092
  bash scripts/kafka.sh start >/dev/null
  trap 'bash scripts/kafka.sh stop >/dev/null' EXIT
  # shellcheck disable=SC1091
  brokers=$(source "$KPIPE_KAFKA_DIR/cluster.env" && echo "$KPIPE_KAFKA_PLAINTEXT")
  .venv/bin/python tests/support/kafka/topics.py "$brokers" reset demo:3
  what="Apache Kafka $(sed -nE 's:.*<kafka.version>(.*)</kafka.version>.*:\1:p' tests/support/kafka/pom.xml), one node"
else
  log=$(mktemp "${TMPDIR:-/tmp}/kpipe-demo.XXXXXX")
  build/tests/support/kpipe-mock-cluster --brokers 3 --topic demo:3 >"$log" 2>/dev/null &
  cluster_pid=$!
  trap 'kill "$cluster_pid" 2>/dev/null; wait "$cluster_pid" 2>/dev/null; rm -f "$log"' EXIT
  for _ in $(seq 100); do
    [ -s "$log" ] && break
    sleep 0.1
  done
  brokers=$(head -n 1 "$log")
  [ -n "$brokers" ] || { echo "demo: the local cluster did not start" >&2; exit 1; }
  what="librdkafka's mock cluster"
fi

show() {
  printf '\n$ %s\n' "$*"
  "$@"
}
echo "A local cluster is running at $brokers ($what)."
printf '\n$ printf "alice:hello\\nbob:world\\ncarol:again\\n" | kpipe produce -t demo -K : --stats\n'
printf 'alice:hello\nbob:world\ncarol:again\n' | build/kpipe -b "$brokers" produce -t demo -K : --stats
printf '\n$ seq 1 1000 | kpipe produce -t demo\n'
seq 1 1000 | build/kpipe -b "$brokers" produce -t demo
show build/kpipe -b "$brokers" consume -t demo -e -f '%p %o %k %s\n' --grep 'k:.'
printf '\n$ kpipe consume -t demo -e | wc -l\n'
build/kpipe -b "$brokers" consume -t demo -e | wc -l
show build/kpipe -b "$brokers" offsets list -t demo
show build/kpipe -b "$brokers" metadata
show build/kpipe -b "$brokers" metadata -t demo --format json
