#!/usr/bin/env bash
# A real Apache Kafka cluster on loopback for kpipe's tests, demo and benchmarks.
#
#   scripts/kafka.sh start [--nodes N]   format KRaft storage, start N nodes (default 1), wait
#   scripts/kafka.sh stop                stop what start started (by PID)
#   scripts/kafka.sh status              running or not; the bootstrap addresses
#   scripts/kafka.sh fetch               only resolve Kafka's jars (Maven, cached in ~/.m2)
#   scripts/kafka.sh run CLASS [ARGS]    run a class from the same jars (console tools, perf
#                                        tools), e.g. org.apache.kafka.tools.consumer.ConsoleConsumer
#
# The broker is org.apache.kafka:kafka_2.13 at the version pinned in tests/support/kafka/pom.xml,
# fetched by Maven from Maven Central. Every start formats fresh storage with Kafka's own
# StorageTool (adding the SCRAM users) and generates a test CA, a broker certificate (SANs
# 127.0.0.1 and localhost) and a client certificate with OpenSSL.
#
# Each node listens on 127.0.0.1 with six listeners, at KPIPE_KAFKA_PORT (default 19092) plus
# 10 x node index plus:
#   +0 PLAINTEXT   +1 SASL_PLAINTEXT   +2 SSL   +3 MTLS (SSL, client certificate required)
#   +4 SASL_SSL    +5 CONTROLLER (KRaft, plaintext)
# The default base lies below Linux's ephemeral port range (32768-60999), from which the
# kernel picks the local ports of outgoing connections: a base in that range can be taken by
# some client's connection (or its TIME-WAIT) and the broker then fails to bind.
# SASL listeners take PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER (Kafka's unsecured
# JWT validator: any token with "alg":"none" and a "sub" claim).
# Re-authentication (KIP-368): on the SASL_PLAINTEXT listener, SCRAM-SHA-512 and OAUTHBEARER
# sessions last 10 s (listener.name.sasl_plaintext.<mechanism>.connections.max.reauth.ms=10000):
# the broker announces the lifetime in its SaslAuthenticate answer and closes the connection at
# the first request after it unless the client re-authenticated, so a long consume there shows
# whether a client re-authenticates (tests/support/kafka/sasl_session.py shows both). Other
# listeners and mechanisms keep unlimited sessions, except that an OAUTHBEARER session never
# outlives its token.
#
# Start writes $KPIPE_KAFKA_DIR/cluster.env (shell assignments, for `source`): the bootstrap list
# of each listener, the TLS files, the SASL user and password, the class path. The directory
# defaults to <repo>/.kafka; each node logs to node-N/server.log there.
#
# Environment: KPIPE_KAFKA_DIR, KPIPE_KAFKA_PORT, KPIPE_KAFKA_HEAP (per node; default 768m for
# one node, 384m each for more), KPIPE_KAFKA_START_TIMEOUT (seconds, default 120),
# KPIPE_KAFKA_MAVEN_ARGS (extra Maven arguments, e.g. -o), JAVA_HOME.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
support="$repo/tests/support/kafka"
dir="${KPIPE_KAFKA_DIR:-$repo/.kafka}"
port_base="${KPIPE_KAFKA_PORT:-19092}"
start_timeout="${KPIPE_KAFKA_START_TIMEOUT:-120}"
listener_names=(PLAINTEXT SASL_PLAINTEXT SSL MTLS SASL_SSL CONTROLLER)

die() {
  echo "kafka.sh: $*" >&2
  exit 1
}

# --- prerequisites -------------------------------------------------------------------------

java_bin() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    printf '%s\n' "$JAVA_HOME/bin/java"
  else
    command -v java || true
  fi
}

check_java() {
  local java version
  java=$(java_bin)
  [[ -n "$java" ]] || die "no Java found (Kafka 4 needs Java 17 or later): install openjdk-17-jre-headless (scripts/setup.sh does) or set JAVA_HOME"
  version=$("$java" -version 2>&1 | sed -nE 's/.*version "([0-9]+).*/\1/p' | head -n 1)
  [[ -n "$version" ]] || die "$java did not report a version"
  ((version >= 17)) || die "$java is Java $version; Kafka 4 needs Java 17 or later"
  JAVA=$java
}

# Resolves the runtime class path of tests/support/kafka/pom.xml into $dir/classpath.txt. Maven
# keeps the jars in its local repository, so only the first run downloads; the class path is
# recomputed only when the pom changes or a jar went missing.
resolve_classpath() {
  command -v mvn >/dev/null || die "no Maven found (mvn): install maven (scripts/setup.sh does)"
  mkdir -p "$dir"
  local stamp cp="$dir/classpath.txt" want jar ok=1
  want=$(sha256sum "$support/pom.xml" | cut -d' ' -f1)
  stamp=$(cat "$dir/classpath.sha" 2>/dev/null || true)
  if [[ "$stamp" == "$want" && -s "$cp" ]]; then
    while IFS= read -r -d: jar || [[ -n "$jar" ]]; do
      [[ -f "$jar" ]] || { ok=0; break; }
    done <"$cp"
    ((ok)) && return 0
  fi
  local log="$dir/maven.log"
  # shellcheck disable=SC2086  # KPIPE_KAFKA_MAVEN_ARGS is a list of arguments.
  if ! mvn -B -q -Dstyle.color=never -f "$support/pom.xml" ${KPIPE_KAFKA_MAVEN_ARGS:-} \
    dependency:build-classpath -Dmdep.outputFile="$cp.tmp" -Dmdep.includeScope=runtime \
    >"$log" 2>&1 </dev/null; then
    echo "kafka.sh: Maven could not fetch Apache Kafka's jars (is Maven Central reachable?); Maven said (all of it in $log):" >&2
    # Maven's reasons, without its advice on how to re-run it.
    sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^\[ERROR\] .' | grep -v -e 'Re-run Maven' -e 'full stack trace' \
      -e 'For more information' -e '\[Help 1\] http' | head -n 8 | sed 's/^/  /' >&2
    rm -f "$cp.tmp"
    exit 1
  fi
  mv "$cp.tmp" "$cp"
  printf '%s\n' "$want" >"$dir/classpath.sha"
}

# --- process bookkeeping -------------------------------------------------------------------

pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

running_pids() {
  local f pid
  for f in "$dir"/node-*/pid; do
    [[ -f "$f" ]] || continue
    pid=$(cat "$f")
    pid_alive "$pid" && printf '%s\n' "$pid"
  done
  return 0
}

node_port() { echo $((port_base + 10 * $1 + $2)); } # node index, listener index

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- TLS material --------------------------------------------------------------------------

# A CA, a broker certificate for 127.0.0.1/localhost, a client certificate (key in PEM, an
# encrypted copy of the key, and a PKCS#12 bundle). Keys are PKCS#8, which Kafka's PEM
# keystore requires.
make_tls() {
  local t="$dir/tls" pass=$1
  mkdir -p "$t"
  (
    cd "$t"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 \
      -subj "/CN=kpipe test CA" -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign"
    openssl req -newkey rsa:2048 -nodes -keyout broker.key -out broker.csr -subj "/CN=localhost"
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' >broker.ext
    openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out broker.pem \
      -days 30 -extfile broker.ext
    cat broker.key broker.pem ca.pem >broker-keystore.pem
    openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=kpipe-client"
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem \
      -days 30 -extfile client.ext
    openssl pkcs8 -topk8 -in client.key -out client-encrypted.key -v2 aes-256-cbc \
      -passout "pass:$pass"
    openssl pkcs12 -export -in client.pem -inkey client.key -certfile ca.pem -out client.p12 \
      -passout "pass:$pass"
    rm -f ./*.csr ./*.ext ./*.srl
  ) >"$dir/openssl.log" 2>&1 || {
    echo "kafka.sh: openssl failed; its output:" >&2
    sed 's/^/  /' "$dir/openssl.log" >&2
    exit 1
  }
}

# --- configuration -------------------------------------------------------------------------

# write_node_config INDEX NODES USER PASSWORD
write_node_config() {
  local i=$1 n=$2 user=$3 password=$4 node="$dir/node-$(($1 + 1))" k voters="" listeners="" adv=""
  for ((k = 0; k < n; k++)); do
    voters+="${voters:+,}$((k + 1))@127.0.0.1:$(node_port "$k" 5)"
  done
  for k in "${!listener_names[@]}"; do
    listeners+="${listeners:+,}${listener_names[$k]}://127.0.0.1:$(node_port "$i" "$k")"
    [[ ${listener_names[$k]} == CONTROLLER ]] ||
      adv+="${adv:+,}${listener_names[$k]}://127.0.0.1:$(node_port "$i" "$k")"
  done
  local rf=$n isr=1
  ((n > 1)) && isr=2
  local plain="org.apache.kafka.common.security.plain.PlainLoginModule required user_$user=\"$password\";"
  local scram="org.apache.kafka.common.security.scram.ScramLoginModule required;"
  local oauth="org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub=\"broker\";"
  mkdir -p "$node/data"
  cat >"$node/server.properties" <<EOF
# Written by scripts/kafka.sh for node $((i + 1)) of $n.
process.roles=broker,controller
node.id=$((i + 1))
controller.quorum.voters=$voters
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listeners=$listeners
advertised.listeners=$adv
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,MTLS:SSL,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT
log.dirs=$node/data

# Replication: every internal topic on every node; with 3 nodes one may fail (KIP-966 aside).
num.partitions=1
default.replication.factor=$rf
min.insync.replicas=$isr
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
# Tests form groups often: no 3 s wait for more members before the first rebalance.
group.initial.rebalance.delay.ms=0
# KIP-848 groups take their session timeout and heartbeat interval from the broker, not the
# client (defaults 45 s and 5 s, also the minimums): shorter here so that a killed member's
# partitions move within seconds in tests (consume_kip848.bats).
group.consumer.min.session.timeout.ms=3000
group.consumer.session.timeout.ms=6000
group.consumer.min.heartbeat.interval.ms=500
group.consumer.heartbeat.interval.ms=1000
auto.create.topics.enable=true
# Tests write records with timestamps years old; time-based retention (7 days by default)
# would delete them mid-run at its next check.
log.retention.ms=-1

# TLS: PEM stores (no keytool). MTLS is an SSL listener that requires a client certificate.
ssl.keystore.type=PEM
ssl.keystore.location=$dir/tls/broker-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$dir/tls/ca.pem
ssl.client.auth=none
listener.name.mtls.ssl.client.auth=required

# SASL: PLAIN and SCRAM (users added at format time) and OAUTHBEARER with unsecured JWTs.
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER
EOF
  local l
  for l in sasl_plaintext sasl_ssl; do
    {
      echo "listener.name.$l.plain.sasl.jaas.config=$plain"
      echo "listener.name.$l.scram-sha-256.sasl.jaas.config=$scram"
      echo "listener.name.$l.scram-sha-512.sasl.jaas.config=$scram"
      echo "listener.name.$l.oauthbearer.sasl.jaas.config=$oauth"
    } >>"$node/server.properties"
  done
  cat >>"$node/server.properties" <<EOF

# KIP-368: short sessions for two mechanisms of one listener (see kafka.sh's header).
listener.name.sasl_plaintext.scram-sha-512.connections.max.reauth.ms=10000
listener.name.sasl_plaintext.oauthbearer.connections.max.reauth.ms=10000
EOF
}

# NAME='VALUE' for the env file: sourced by shells, and readable as it is.
kv() { printf "%s='%s'\n" "$1" "${2//\'/\'\\\'\'}"; }

write_env() {
  local n=$1 user=$2 password=$3 k i list env="$dir/cluster.env"
  {
    echo "# Written by scripts/kafka.sh start; source it. Test credentials only."
    kv KPIPE_KAFKA_NODES "$n"
    kv KPIPE_KAFKA_VERSION "$(sed -nE 's:.*<kafka.version>(.*)</kafka.version>.*:\1:p' "$support/pom.xml")"
    for k in "${!listener_names[@]}"; do
      [[ ${listener_names[$k]} == CONTROLLER ]] && continue
      list=""
      for ((i = 0; i < n; i++)); do list+="${list:+,}127.0.0.1:$(node_port "$i" "$k")"; done
      kv "KPIPE_KAFKA_${listener_names[$k]}" "$list"
    done
    kv KPIPE_KAFKA_SASL_USER "$user"
    kv KPIPE_KAFKA_SASL_PASSWORD "$password"
    kv KPIPE_KAFKA_CA "$dir/tls/ca.pem"
    kv KPIPE_KAFKA_CLIENT_CERT "$dir/tls/client.pem"
    kv KPIPE_KAFKA_CLIENT_KEY "$dir/tls/client.key"
    kv KPIPE_KAFKA_CLIENT_KEY_ENCRYPTED "$dir/tls/client-encrypted.key"
    kv KPIPE_KAFKA_CLIENT_P12 "$dir/tls/client.p12"
    kv KPIPE_KAFKA_CLIENT_KEY_PASSWORD "$password"
    kv KPIPE_KAFKA_CLASSPATH_FILE "$dir/classpath.txt"
    kv KPIPE_KAFKA_JAVA "$JAVA"
    kv KPIPE_KAFKA_DIR "$dir"
  } >"$env.tmp"
  mv "$env.tmp" "$env"
}

# --- commands ------------------------------------------------------------------------------

heap_for() { # nodes
  if [[ -n "${KPIPE_KAFKA_HEAP:-}" ]]; then
    echo "$KPIPE_KAFKA_HEAP"
  elif (($1 > 1)); then
    echo 384m
  else
    echo 768m
  fi
}

show_log_tail() {
  local f
  for f in "$dir"/node-*/server.log "$dir"/node-*/stdout.log; do
    [[ -s "$f" ]] || continue
    echo "---- last lines of $f" >&2
    tail -n 25 "$f" | sed 's/^/  /' >&2
  done
}

cmd_start() {
  local n=1
  while (($#)); do
    case $1 in
      --nodes) n=${2:?--nodes needs a number}; shift 2 ;;
      --nodes=*) n=${1#--nodes=}; shift ;;
      *) die "start: unknown argument '$1' (usage: kafka.sh start [--nodes N])" ;;
    esac
  done
  [[ "$n" =~ ^[1-9]$ ]] || die "start: --nodes wants 1 to 9, not '$n'"
  local pids
  pids=$(running_pids | tr '\n' ' ')
  [[ -z "$pids" ]] || die "a cluster is already running from $dir (pids ${pids% }); 'scripts/kafka.sh stop' first"

  check_java
  command -v openssl >/dev/null || die "no openssl found: install openssl"
  resolve_classpath
  local i k p
  for ((i = 0; i < n; i++)); do
    for k in "${!listener_names[@]}"; do
      p=$(node_port "$i" "$k")
      ! port_in_use "$p" || die "port $p on 127.0.0.1 is taken; set KPIPE_KAFKA_PORT to another base"
    done
  done

  rm -rf "$dir"/node-* "$dir/tls" "$dir/cluster.env"
  local user=kpipe password
  password=$(openssl rand -hex 12)
  make_tls "$password"
  for ((i = 0; i < n; i++)); do write_node_config "$i" "$n" "$user" "$password"; done

  local cp cluster_id heap
  cp=$(cat "$dir/classpath.txt")
  # A KRaft cluster id is 16 random bytes in unpadded URL-safe base64.
  cluster_id=$(openssl rand 16 | base64 | tr '+/' '-_' | tr -d '=\n')
  heap=$(heap_for "$n")
  for ((i = 1; i <= n; i++)); do
    if ! "$JAVA" -Xmx256m -cp "$cp" -Dlog4j2.configurationFile="$support/log4j2.properties" \
      -Dkpipe.log.file="$dir/node-$i/storage-tool.log" kafka.tools.StorageTool format \
      -t "$cluster_id" -c "$dir/node-$i/server.properties" \
      --add-scram "SCRAM-SHA-256=[name=\"$user\",password=\"$password\"]" \
      --add-scram "SCRAM-SHA-512=[name=\"$user\",password=\"$password\"]" \
      >"$dir/node-$i/format.log" 2>&1 </dev/null; then
      echo "kafka.sh: Kafka's StorageTool could not format node $i:" >&2
      tail -n 20 "$dir/node-$i/format.log" | sed 's/^/  /' >&2
      exit 1
    fi
  done

  for ((i = 1; i <= n; i++)); do
    # setsid: the node is in no terminal's process group, so a Ctrl-C meant for a test run does
    # not reach it; stop is by PID.
    setsid "$JAVA" -Xms128m -Xmx"$heap" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
      -Djava.awt.headless=true -Dlog4j2.configurationFile="$support/log4j2.properties" \
      -Dkpipe.log.file="$dir/node-$i/server.log" -cp "$cp" kafka.Kafka \
      "$dir/node-$i/server.properties" >"$dir/node-$i/stdout.log" 2>&1 </dev/null &
    echo $! >"$dir/node-$i/pid"
  done

  # Ready when every node logged that it started (a broker logs it once it is unfenced) and
  # its PLAINTEXT port takes connections.
  local deadline=$((SECONDS + start_timeout)) ready pid
  while :; do
    ready=0
    for ((i = 1; i <= n; i++)); do
      pid=$(cat "$dir/node-$i/pid")
      if ! pid_alive "$pid"; then
        echo "kafka.sh: node $i (pid $pid) exited during start-up" >&2
        show_log_tail
        cmd_stop >/dev/null 2>&1 || true
        exit 1
      fi
      if grep -q 'Kafka Server started' "$dir/node-$i/server.log" 2>/dev/null &&
        port_in_use "$(node_port $((i - 1)) 0)"; then
        ready=$((ready + 1))
      fi
    done
    ((ready == n)) && break
    if ((SECONDS >= deadline)); then
      echo "kafka.sh: the cluster did not start within ${start_timeout}s" >&2
      show_log_tail
      cmd_stop >/dev/null 2>&1 || true
      exit 1
    fi
    sleep 0.3
  done
  write_env "$n" "$user" "$password"
  echo "kafka.sh: Kafka $(sed -nE 's:.*<kafka.version>(.*)</kafka.version>.*:\1:p' "$support/pom.xml") running, $n node(s); settings in $dir/cluster.env"
  # shellcheck disable=SC1091
  (source "$dir/cluster.env" && echo "  PLAINTEXT $KPIPE_KAFKA_PLAINTEXT  SASL_PLAINTEXT $KPIPE_KAFKA_SASL_PLAINTEXT  SSL $KPIPE_KAFKA_SSL  MTLS $KPIPE_KAFKA_MTLS  SASL_SSL $KPIPE_KAFKA_SASL_SSL")
}

cmd_stop() {
  local pids pid i
  pids=$(running_pids)
  if [[ -z "$pids" ]]; then
    echo "kafka.sh: no cluster running from $dir"
    rm -f "$dir"/node-*/pid "$dir/cluster.env"
    return 0
  fi
  # All at once: a node stopped alone would wait for the others to take over its partitions.
  for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
  for ((i = 0; i < 300; i++)); do
    [[ -n "$(running_pids)" ]] || break
    sleep 0.1
  done
  for pid in $(running_pids); do
    echo "kafka.sh: pid $pid still running after 30 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -f "$dir"/node-*/pid "$dir/cluster.env"
  echo "kafka.sh: stopped ($(echo "$pids" | wc -l) node(s))"
}

cmd_status() {
  local pids
  pids=$(running_pids | tr '\n' ' ')
  if [[ -z "$pids" ]]; then
    echo "kafka.sh: not running ($dir)"
    return 3
  fi
  echo "kafka.sh: running, pids ${pids% }"
  [[ -f "$dir/cluster.env" ]] && grep -v -e PASSWORD -e '^#' "$dir/cluster.env"
  return 0
}

cmd_run() {
  (($#)) || die "run: name a class, e.g. org.apache.kafka.tools.consumer.ConsoleConsumer"
  check_java
  resolve_classpath
  local class=$1
  shift
  exec "$JAVA" -Xmx512m -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$support/log4j2.properties" -Dkpipe.log.file=/dev/stderr \
    -Dkpipe.log.level=WARN -cp "$(cat "$dir/classpath.txt")" "$class" "$@"
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  fetch) check_java; resolve_classpath; echo "kafka.sh: Kafka's jars are in Maven's local repository" ;;
  run) shift; cmd_run "$@" ;;
  *)
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
