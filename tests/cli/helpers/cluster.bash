# shellcheck shell=bash
# Bats helpers that run kpipe's reference broker (tests/support/kpipe-mock-cluster, librdkafka's
# mock cluster) and a silent TCP peer (tests/support/blackhole.py) for the length of a test file.
#
# Source from setup_file; every function is exported, so the tests (separate bash processes)
# can call cluster_control and the rest without sourcing again:
#
#   setup_file() {
#     source "$BATS_TEST_DIRNAME/helpers/cluster.bash"
#     start_cluster --brokers 3 --topic orders:6
#   }
#   teardown_file() { stop_cluster; }
#
# Exports after start_cluster: KPIPE_TEST_BROKERS (bootstrap list), KPIPE_TEST_CLUSTER_PID,
# KPIPE_TEST_CLUSTER_CONTROL (control FIFO), KPIPE_TEST_CLUSTER_LOG (the harness's stdout:
# bootstrap line, then one acknowledgement per control command).
# After start_blackhole: KPIPE_TEST_BLACKHOLE (127.0.0.1:PORT), KPIPE_TEST_BLACKHOLE_PID.
#
# Settings read from the environment:
#   KPIPE_MOCK_CLUSTER        path of the kpipe-mock-cluster binary (preferred)
#   KPIPE_BUILD_DIR           else: $KPIPE_BUILD_DIR/tests/support/kpipe-mock-cluster
#                             else: <repo>/build/tests/support/kpipe-mock-cluster
#   KPIPE_BLACKHOLE           path of blackhole.py (default <repo>/tests/support/blackhole.py)
#   KPIPE_TEST_START_TIMEOUT  seconds to wait for a helper's first line (default 10)
#   KPIPE_TEST_MAX_SECONDS    lifetime cap passed to both helpers so that a run killed before
#                             teardown_file leaves nothing behind (default 900)

# Resolved now, while BASH_SOURCE still names this file; works however the file was sourced.
_KPIPE_HELPERS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
_KPIPE_REPO_ROOT="$(cd "$_KPIPE_HELPERS_DIR/../../.." && pwd)"
export _KPIPE_HELPERS_DIR _KPIPE_REPO_ROOT

# Prints the path of the harness binary.
mock_cluster_bin() {
  if [[ -n "${KPIPE_MOCK_CLUSTER:-}" ]]; then
    printf '%s\n' "$KPIPE_MOCK_CLUSTER"
  elif [[ -n "${KPIPE_BUILD_DIR:-}" ]]; then
    printf '%s\n' "$KPIPE_BUILD_DIR/tests/support/kpipe-mock-cluster"
  else
    printf '%s\n' "$_KPIPE_REPO_ROOT/build/tests/support/kpipe-mock-cluster"
  fi
}

# Prints the path of blackhole.py.
blackhole_script() {
  printf '%s\n' "${KPIPE_BLACKHOLE:-$_KPIPE_REPO_ROOT/tests/support/blackhole.py}"
}

# A directory for logs and FIFOs; outside bats (debugging by hand) a fresh temporary one.
_kpipe_tmpdir() {
  if [[ -n "${BATS_FILE_TMPDIR:-}" ]]; then
    printf '%s\n' "$BATS_FILE_TMPDIR"
  else
    mktemp -d "${TMPDIR:-/tmp}/kpipe-test.XXXXXX"
  fi
}

# True while PID runs. kill -0 alone is not enough: the helpers are children of the bats file
# process, and a child that exited stays a zombie (still "killable") until it is waited for.
_kpipe_pid_alive() {
  local pid=$1 stat
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r /proc/$pid/stat ]] && read -r stat <"/proc/$pid/stat" 2>/dev/null; then
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]] || return 1
  fi
  return 0
}

# TERM, then KILL if it is still there after ~3 s; quiet if it is already gone.
_kpipe_stop_pid() {
  local pid=$1 i
  [[ -n "$pid" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 30; i++)); do
    _kpipe_pid_alive "$pid" || break
    sleep 0.1
  done
  if _kpipe_pid_alive "$pid"; then
    echo "# pid $pid ignored SIGTERM; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  # Reap it when it is our child; harmless (and silent) when it is not.
  wait "$pid" 2>/dev/null || true
}

# _kpipe_start_background OUT ERR COMMAND...
# Starts COMMAND with stdout in OUT and stderr in ERR and waits for its first complete line.
# Sets _KPIPE_BG_PID and _KPIPE_BG_LINE. stdin is /dev/null and fd 3 (bats' output channel) is
# closed: bats waits for every holder of fd 3 to go, so an inherited copy would hang the run.
_kpipe_start_background() {
  local out=$1 err=$2
  shift 2
  local timeout=${KPIPE_TEST_START_TIMEOUT:-10} line="" i

  # Created here, not by the background redirection, which may not have run yet when the
  # first read below looks at the file.
  : >"$out"
  : >"$err"
  "$@" >"$out" 2>"$err" </dev/null 3>&- &
  _KPIPE_BG_PID=$!
  _KPIPE_BG_LINE=""

  for ((i = 0; i < timeout * 20; i++)); do
    # read succeeds only on a newline-terminated line, so a half-written one is never taken.
    if IFS= read -r line <"$out" && [[ -n "$line" ]]; then
      _KPIPE_BG_LINE=$line
      return 0
    fi
    if ! _kpipe_pid_alive "$_KPIPE_BG_PID"; then
      wait "$_KPIPE_BG_PID" 2>/dev/null
      echo "# $1 exited with status $? before printing its address; stderr:" >&2
      sed 's/^/#   /' "$err" >&2
      return 1
    fi
    sleep 0.05
  done
  echo "# $1 printed no address within ${timeout}s; stderr:" >&2
  sed 's/^/#   /' "$err" >&2
  _kpipe_stop_pid "$_KPIPE_BG_PID"
  return 1
}

# --- The two broker tiers -------------------------------------------------------------------
# KPIPE_TEST_BROKER says which reference broker the suite runs against:
#   mock   (default) librdkafka's mock cluster, one per test file, with fault injection
#   kafka  a real Apache Kafka started once per run by scripts/kafka.sh; start_cluster then only
#          resets its topics (deletes every non-internal topic, creates the named ones) and
#          points KPIPE_TEST_BROKERS at its PLAINTEXT listener. KPIPE_KAFKA_ENV names the
#          cluster.env that kafka.sh wrote (default <repo>/.kafka/cluster.env); its variables
#          (KPIPE_KAFKA_SSL, KPIPE_KAFKA_SASL_PASSWORD, ...) are exported to the tests.
# Tests tag what they need (bats test_tags / file_tags), and scripts/test.sh filters on them:
#   mock-only    needs the mock (fault injection, or what only the mock does): mock tier only
#   kafka-only   needs real Kafka (time index, real coordinator, security): kafka tier only
#   broker-free  talks to no broker: runs once, in the mock tier

on_kafka() { [[ "${KPIPE_TEST_BROKER:-mock}" == kafka ]]; }

# The Python with the test packages (kafka-python and its codecs), set up by scripts/setup.sh.
KPIPE_TEST_PYTHON=${KPIPE_TEST_PYTHON:-$_KPIPE_REPO_ROOT/.venv/bin/python}
export KPIPE_TEST_PYTHON

_start_kafka_topics() {
  local env=${KPIPE_KAFKA_ENV:-$_KPIPE_REPO_ROOT/.kafka/cluster.env} specs=() arg prev=""
  if [[ ! -f "$env" ]]; then
    echo "# start_cluster: no running Kafka ($env is missing; scripts/kafka.sh start)" >&2
    return 1
  fi
  set -a
  # shellcheck disable=SC1090
  source "$env"
  set +a
  for arg in "$@"; do
    # --topic NAME:PARTITIONS[:REPLICATION]: the replication factor is the cluster's.
    if [[ "$prev" == --topic ]]; then
      specs+=("$(cut -d: -f1-2 <<<"$arg")")
    fi
    prev=$arg
  done
  "$KPIPE_TEST_PYTHON" "$_KPIPE_REPO_ROOT/tests/support/kafka/topics.py" \
    "$KPIPE_KAFKA_PLAINTEXT" reset "${specs[@]}" || return 1
  export KPIPE_TEST_BROKERS=$KPIPE_KAFKA_PLAINTEXT
}

# kafka_create_topic NAME PARTITIONS: a topic made during a test (the mock's create-topic).
kafka_create_topic() {
  "$KPIPE_TEST_PYTHON" "$_KPIPE_REPO_ROOT/tests/support/kafka/topics.py" \
    "$KPIPE_TEST_BROKERS" create "$1:$2"
}

# create_topic NAME PARTITIONS on either broker.
create_topic() {
  if on_kafka; then
    kafka_create_topic "$1" "$2"
  else
    cluster_control create-topic "$1" "$2"
  fi
}

# start_cluster [kpipe-mock-cluster args...]
# A control FIFO is always set up (unless the args name their own --control), so that
# cluster_control works in every test file.
start_cluster() {
  if on_kafka; then
    _start_kafka_topics "$@"
    return
  fi
  if [[ -n "${KPIPE_TEST_CLUSTER_PID:-}" ]] && _kpipe_pid_alive "$KPIPE_TEST_CLUSTER_PID"; then
    echo "# start_cluster: a cluster is already running (pid $KPIPE_TEST_CLUSTER_PID)" >&2
    return 1
  fi
  local bin dir control="" arg prev=""
  bin=$(mock_cluster_bin)
  if [[ ! -x "$bin" ]]; then
    echo "# start_cluster: no executable at $bin (build it, or set KPIPE_MOCK_CLUSTER)" >&2
    return 1
  fi
  for arg in "$@"; do
    [[ "$prev" == --control ]] && control=$arg
    prev=$arg
  done
  dir=$(_kpipe_tmpdir)
  local extra=()
  if [[ -z "$control" ]]; then
    control="$dir/kpipe-mock-cluster.ctl"
    extra=(--control "$control")
  fi

  # The lifetime cap comes first so that an explicit --max-seconds in the args wins.
  _kpipe_start_background "$dir/kpipe-mock-cluster.out" "$dir/kpipe-mock-cluster.err" \
    "$bin" --max-seconds "${KPIPE_TEST_MAX_SECONDS:-900}" "${extra[@]}" "$@" || return 1

  export KPIPE_TEST_BROKERS=$_KPIPE_BG_LINE
  export KPIPE_TEST_CLUSTER_PID=$_KPIPE_BG_PID
  export KPIPE_TEST_CLUSTER_CONTROL=$control
  export KPIPE_TEST_CLUSTER_LOG="$dir/kpipe-mock-cluster.out"
}

stop_cluster() {
  _kpipe_stop_pid "${KPIPE_TEST_CLUSTER_PID:-}"
  unset KPIPE_TEST_BROKERS KPIPE_TEST_CLUSTER_PID KPIPE_TEST_CLUSTER_CONTROL KPIPE_TEST_CLUSTER_LOG
}

# cluster_control COMMAND [ARGS...]   e.g. cluster_control broker-down 2
# Sends one command and waits for the harness to acknowledge it, so the fault is in place when
# this returns. Returns 0 on "ok", 1 when the harness rejected the command (its reason goes to
# stderr), 2 when the command could not be delivered.
cluster_control() {
  local cmd="$*" fifo=${KPIPE_TEST_CLUSTER_CONTROL:-} log=${KPIPE_TEST_CLUSTER_LOG:-}
  if on_kafka; then
    echo "# cluster_control: '$cmd' is fault injection, which only the mock has (tag the test mock-only)" >&2
    return 2
  fi
  if [[ -z "$cmd" || "$cmd" == *$'\n'* ]]; then
    echo "# cluster_control: want exactly one non-empty command" >&2
    return 2
  fi
  if [[ -z "$fifo" || ! -p "$fifo" ]] || ! _kpipe_pid_alive "${KPIPE_TEST_CLUSTER_PID:-}"; then
    echo "# cluster_control: no running cluster with a control FIFO (start_cluster first)" >&2
    return 2
  fi

  # Acknowledgements are the log's lines after the first; remember how many there are now.
  local before after i ack
  before=$(wc -l <"$log")
  # A FIFO without a reader blocks its writer; the timeout covers a harness that just died.
  # shellcheck disable=SC2016  # $1 and $2 belong to the inner bash.
  if ! timeout 5 bash -c 'printf "%s\n" "$1" >"$2"' _ "$cmd" "$fifo"; then
    echo "# cluster_control: could not write to $fifo" >&2
    return 2
  fi
  for ((i = 0; i < 200; i++)); do
    after=$(wc -l <"$log")
    if ((after > before)); then
      ack=$(sed -n "$((before + 1))p" "$log")
      if [[ "$ack" == "ok "* ]]; then
        return 0
      fi
      echo "# cluster_control: $ack" >&2
      return 1
    fi
    sleep 0.05
  done
  echo "# cluster_control: no acknowledgement for '$cmd' within 10s" >&2
  return 2
}

# start_blackhole [blackhole.py args...]
start_blackhole() {
  if [[ -n "${KPIPE_TEST_BLACKHOLE_PID:-}" ]] && _kpipe_pid_alive "$KPIPE_TEST_BLACKHOLE_PID"; then
    echo "# start_blackhole: already running (pid $KPIPE_TEST_BLACKHOLE_PID)" >&2
    return 1
  fi
  local script dir
  script=$(blackhole_script)
  dir=$(_kpipe_tmpdir)
  _kpipe_start_background "$dir/blackhole.out" "$dir/blackhole.err" \
    python3 "$script" --max-seconds "${KPIPE_TEST_MAX_SECONDS:-900}" "$@" || return 1
  export KPIPE_TEST_BLACKHOLE=$_KPIPE_BG_LINE
  export KPIPE_TEST_BLACKHOLE_PID=$_KPIPE_BG_PID
}

stop_blackhole() {
  _kpipe_stop_pid "${KPIPE_TEST_BLACKHOLE_PID:-}"
  unset KPIPE_TEST_BLACKHOLE KPIPE_TEST_BLACKHOLE_PID
}

# Tests run in their own bash processes; exporting makes the helpers callable there too.
export -f on_kafka _start_kafka_topics kafka_create_topic create_topic
export -f mock_cluster_bin blackhole_script _kpipe_tmpdir _kpipe_pid_alive _kpipe_stop_pid \
  _kpipe_start_background start_cluster stop_cluster cluster_control start_blackhole \
  stop_blackhole

# Starts tests/support/relay.py in front of UPSTREAM (HOST:PORT), logging each connection's
# frames into DIR/conn-N.bin. Exports KPIPE_TEST_RELAY (its address) and KPIPE_TEST_RELAY_PID.
start_relay() {
  local upstream=$1 dir=$2 log i
  log="$(_kpipe_tmpdir)/relay.out"
  : >"$log"
  python3 "$_KPIPE_REPO_ROOT/tests/support/relay.py" "$upstream" "$dir" \
    --max-seconds "${KPIPE_TEST_MAX_SECONDS:-900}" >"$log" 2>/dev/null </dev/null 3>&- &
  KPIPE_TEST_RELAY_PID=$!
  for ((i = 0; i < 100; i++)); do
    [[ -s "$log" ]] && break
    sleep 0.1
  done
  KPIPE_TEST_RELAY=$(head -n 1 "$log")
  [[ -n "$KPIPE_TEST_RELAY" ]] || { echo "relay did not start" >&2; return 1; }
  export KPIPE_TEST_RELAY KPIPE_TEST_RELAY_PID
}
export -f start_relay

stop_relay() { _kpipe_stop_pid "${KPIPE_TEST_RELAY_PID:-}"; }

# listoffsets_asked DIR: the (isolation level, topic, partition, timestamp) questions of every
# ListOffsets request that a relay recorded in DIR, sorted, as one Python list. Answers that do
# not decode (the mock's v5 answers about partition -1) are skipped; the requests do.
listoffsets_asked() {
  local f
  for f in "$1"/conn-*.bin; do
    "$KPIPE_BIN" decode --frames "$f" 2>/dev/null || true
  done | /usr/bin/python3 -c '
import json, sys
asked = set()
for line in sys.stdin:
    f = json.loads(line)
    if f.get("api") == "ListOffsets" and f.get("type") == "request":
        b = f["body"]
        for t in b["topics"]:
            for p in t["partitions"]:
                asked.add((b["isolation_level"], t["name"], p["partition_index"], p["timestamp"]))
print(sorted(asked))
'
}
export -f listoffsets_asked
export -f stop_relay
