#!/usr/bin/env bats
# scripts/kafka.sh when it cannot start a cluster: no Java, no Maven Central, bad arguments.
# None of these reach a broker, so the file runs once (in the mock tier).
# bats file_tags=broker-free

bats_require_minimum_version 1.5.0

setup() {
  KAFKA_SH="$BATS_TEST_DIRNAME/../../scripts/kafka.sh"
  # A directory of its own, so that nothing here touches a cluster that is running.
  export KPIPE_KAFKA_DIR="$BATS_TEST_TMPDIR/kafka"
  export KPIPE_KAFKA_PORT=15092
}

# A PATH with every program of /usr/bin but java (Debian's /bin is /usr/bin).
path_without_java() {
  local dir="$BATS_TEST_TMPDIR/no-java-bin" f
  mkdir -p "$dir"
  for f in /usr/bin/* /usr/local/bin/*; do
    case ${f##*/} in java | javac | jshell) continue ;; esac
    [[ -e "$dir/${f##*/}" ]] || ln -s "$f" "$dir/${f##*/}"
  done
  printf '%s\n' "$dir"
}

@test "start without Java says what is missing and exits 1" {
  local path
  path=$(path_without_java)
  run -1 env -u JAVA_HOME PATH="$path" bash "$KAFKA_SH" start
  [[ "$output" == *"no Java found"* ]]
  [[ "$output" == *"Java 17"* ]]
  [ ! -e "$KPIPE_KAFKA_DIR/cluster.env" ]
}

@test "start when Maven cannot reach Maven Central says so, shows Maven's words and exits 1" {
  # Offline, with an empty local repository: exactly what a machine without network sees.
  run -1 env KPIPE_KAFKA_MAVEN_ARGS="-o -Dmaven.repo.local=$BATS_TEST_TMPDIR/empty-m2" \
    bash "$KAFKA_SH" start
  [[ "$output" == *"Maven could not fetch Apache Kafka's jars"* ]]
  [[ "$output" == *"maven.log"* ]]
  # Maven's own reason is quoted (offline mode, an artifact that cannot be resolved).
  [[ "$output" == *"[ERROR] "* ]]
  [ ! -e "$KPIPE_KAFKA_DIR/cluster.env" ]
  [ ! -e "$KPIPE_KAFKA_DIR/classpath.txt" ]
}

@test "bad arguments are refused before anything starts" {
  run -1 bash "$KAFKA_SH" start --nodes 0
  [[ "$output" == *"--nodes wants 1 to 9"* ]]
  run -1 bash "$KAFKA_SH" start --brokers 3
  [[ "$output" == *"unknown argument '--brokers'"* ]]
  run -2 bash "$KAFKA_SH" frobnicate
  [[ "$output" == *"start [--nodes N]"* ]]
}

@test "status and stop when nothing runs" {
  run -3 bash "$KAFKA_SH" status
  [[ "$output" == *"not running"* ]]
  run -0 bash "$KAFKA_SH" stop
  [[ "$output" == *"no cluster running"* ]]
}
