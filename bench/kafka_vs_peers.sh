#!/usr/bin/env bash
# kafka_vs_peers.sh: kpipe against kcat and Apache Kafka's own perf tools (ProducerPerformance,
# ConsumerPerformance), all on one real Apache Kafka node (scripts/kafka.sh). See bench/README.md
# for what is measured, the settings of each tool and the caveats.
#
#   bench/kafka_vs_peers.sh [--runs N] [--records N] [--codecs LIST] [--phases LIST]
#                           [--warmup N] [--listener NAME] [--reuse-node] [--keep]
#
#   --runs N        timed runs per tool, phase and codec (default 5; KPIPE_BENCH_RUNS)
#   --records N     records per run, 100-byte values (default 1000000; KPIPE_BENCH_RECORDS)
#   --codecs LIST   batch codecs, comma- or space-separated (default none,lz4,zstd;
#                   KPIPE_BENCH_CASES); any of none gzip snappy lz4 zstd
#   --phases LIST   startup,produce,consume (default all three); startup: each tool's fixed cost
#                   (1 record produced, 1 record consumed)
#   --warmup N      untimed rounds (every tool) before the timed ones of each phase and codec
#                   (default 1)
#   --listener NAME plaintext (default), ssl or sasl_ssl (SASL PLAIN over TLS, the test CA):
#                   the listener the timed clients use. On ssl and sasl_ssl only kpipe and kcat
#                   run (the Java perf tools stay on plaintext runs); filling and counting topics
#                   always goes through the plaintext listener, so it costs the same every time.
#                   Debian's kcat (librdkafka 2.0) fails SCRAM against Kafka 4, hence PLAIN.
#   --reuse-node    benchmark on a node already running from KPIPE_KAFKA_DIR (and leave it
#                   running); without it the script refuses one, because every run deletes
#                   every non-internal topic of the cluster (tests/support/kafka/topics.py reset)
#   --keep          keep the temporary directory (input, per-run logs, results.txt)
#
# Environment: KPIPE_BUILD_DIR (./build: the kpipe binary, built; nothing is built here),
# KPIPE_KAFKA_DIR (/tmp/kpipe-bench-kafka) and KPIPE_KAFKA_PORT (31092, ports 31092-31097):
# where the node lives and listens, away from the test suite's (<repo>/.kafka, 39092) and below
# Linux's ephemeral ports (32768-60999), which clients may hold; KPIPE_BENCH_PYTHON (the
# repo's .venv python, for topics.py); KPIPE_BENCH_JAVA_PRODUCER_PROPS (extra KEY=VALUE
# settings for ProducerPerformance, e.g. "batch.size=1048576").
#
# Progress (one line per run) goes to stderr, the report to stdout. Exit status 1 when a run
# failed or a tool did not write or read exactly the records it should have.
set -euo pipefail

bench_name=kafka_vs_peers
bench_needs_mock=0
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() { awk 'NR >= 6 && !/^#/ { exit } NR >= 6 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; }
usage_error() {
  echo "$bench_name: $*" >&2
  usage >&2
  exit 2
}

phases="startup produce consume"
warmup=1
reuse_node=0
listener=plaintext
while (($#)); do
  case $1 in
    --runs | --records | --codecs | --phases | --warmup | --listener)
      (($# >= 2)) || usage_error "$1 needs a value"
      opt=$1 val=$2
      shift 2
      ;;
    --runs=* | --records=* | --codecs=* | --phases=* | --warmup=* | --listener=*)
      opt=${1%%=*} val=${1#*=}
      shift
      ;;
    --reuse-node) reuse_node=1; shift; continue ;;
    --keep) export KPIPE_BENCH_KEEP=1; shift; continue ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
  case $opt in
    --runs) export KPIPE_BENCH_RUNS=$val ;;
    --records) export KPIPE_BENCH_RECORDS=$val ;;
    --codecs) export KPIPE_BENCH_CASES=${val//,/ } ;;
    --phases) phases=${val//,/ } ;;
    --warmup) warmup=$val ;;
    --listener) listener=$val ;;
  esac
done
[[ $listener =~ ^(plaintext|ssl|sasl_ssl)$ ]] || usage_error "unknown listener '$listener'"
[[ $warmup =~ ^[0-9]+$ ]] || usage_error "--warmup wants a number, not '$warmup'"
for p in $phases; do
  [[ $p == startup || $p == produce || $p == consume ]] || usage_error "unknown phase '$p'"
done
for c in ${KPIPE_BENCH_CASES:-}; do
  [[ $c =~ ^(none|gzip|snappy|lz4|zstd)$ ]] || usage_error "unknown codec '$c'"
done

source "$repo/bench/lib.sh"

kafka_sh=$repo/scripts/kafka.sh
topics_py=$repo/tests/support/kafka/topics.py
python=${KPIPE_BENCH_PYTHON:-$repo/.venv/bin/python}
export KPIPE_KAFKA_DIR=${KPIPE_KAFKA_DIR:-/tmp/kpipe-bench-kafka}
export KPIPE_KAFKA_PORT=${KPIPE_KAFKA_PORT:-31092}
[[ -x $python ]] || die "no python at $python for topics.py (scripts/setup.sh makes the .venv)"
tools=(kpipe kcat java)
[[ $listener == plaintext ]] || tools=(kpipe kcat)

# --- the node ------------------------------------------------------------------------------

started_node=0
bench_cleanup() {
  if ((started_node)); then
    "$kafka_sh" stop >&2 || true
  fi
  cleanup # lib.sh's: the temporary directory
}
trap bench_cleanup EXIT

if "$kafka_sh" status >/dev/null 2>&1; then
  ((reuse_node)) || die "a Kafka node is already running from $KPIPE_KAFKA_DIR; every run deletes" \
    "all non-internal topics of the cluster, so pass --reuse-node if that is meant, or point" \
    "KPIPE_KAFKA_DIR and KPIPE_KAFKA_PORT elsewhere"
  echo "$bench_name: using the node already running from $KPIPE_KAFKA_DIR (left running)" >&2
else
  # A TCP connection in TIME-WAIT whose local port is one of the node's (a client elsewhere on
  # the machine that got it as its ephemeral port, or an earlier node here) makes the broker's
  # bind fail ("Address already in use") for up to 60 s: wait for them to go, and retry once.
  node_ports=$(seq "$KPIPE_KAFKA_PORT" $((KPIPE_KAFKA_PORT + 5)) | sed 's/.*/sport = :&/' |
    paste -s -d ' ' | sed 's/ sport/ or sport/g')
  wait_ports() {
    local i
    command -v ss >/dev/null || return 0
    for ((i = 0; i < 70; i++)); do
      [[ -z $(ss -Htan state time-wait "( $node_ports )" 2>/dev/null) ]] && return 0
      ((i == 0)) && echo "$bench_name: waiting for TIME-WAIT connections on ports" \
        "$KPIPE_KAFKA_PORT-$((KPIPE_KAFKA_PORT + 5)) to expire" >&2
      sleep 1
    done
  }
  started_node=1
  wait_ports
  if ! "$kafka_sh" start >&2; then
    grep -qs 'Address already in use' "$KPIPE_KAFKA_DIR"/node-*/server.log ||
      die "scripts/kafka.sh start failed (KPIPE_KAFKA_DIR=$KPIPE_KAFKA_DIR)"
    echo "$bench_name: a port of the node was taken; trying again in 60 s" >&2
    sleep 60
    "$kafka_sh" start >&2 || die "scripts/kafka.sh start failed twice (KPIPE_KAFKA_DIR=$KPIPE_KAFKA_DIR)"
  fi
fi
# shellcheck disable=SC1091
source "$KPIPE_KAFKA_DIR/cluster.env"
bootstrap=$KPIPE_KAFKA_PLAINTEXT
# The timed clients' listener and the settings each client needs for it.
client_bootstrap=$bootstrap
kpipe_security=()
kcat_security=()
case $listener in
  ssl)
    client_bootstrap=$KPIPE_KAFKA_SSL
    kpipe_security=(--tls-ca "$KPIPE_KAFKA_CA")
    kcat_security=(-X security.protocol=SSL -X "ssl.ca.location=$KPIPE_KAFKA_CA")
    ;;
  sasl_ssl)
    client_bootstrap=$KPIPE_KAFKA_SASL_SSL
    kpipe_security=(--tls-ca "$KPIPE_KAFKA_CA" --sasl-mechanism PLAIN
      --sasl-user "$KPIPE_KAFKA_SASL_USER" -X "sasl.password=$KPIPE_KAFKA_SASL_PASSWORD")
    kcat_security=(-X security.protocol=SASL_SSL -X "ssl.ca.location=$KPIPE_KAFKA_CA"
      -X sasl.mechanisms=PLAIN -X "sasl.username=$KPIPE_KAFKA_SASL_USER"
      -X "sasl.password=$KPIPE_KAFKA_SASL_PASSWORD")
    ;;
esac
broker_pids=()
for f in "$KPIPE_KAFKA_DIR"/node-*/pid; do broker_pids+=("$(cat "$f")"); done
((${#broker_pids[@]} > 0)) || die "no node-*/pid in $KPIPE_KAFKA_DIR"

# CPU time (user + system) all nodes have used so far, in clock ticks.
ticks_per_second=$(getconf CLK_TCK)
broker_ticks() {
  local p sum=0 t
  for p in "${broker_pids[@]}"; do
    t=$(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null) || die "node pid $p is gone"
    sum=$((sum + t))
  done
  echo "$sum"
}

# topic_records NAME: the sum of the partitions' end offsets (ListOffsets through kpipe offsets
# list), i.e. the records in the log of a fresh topic; "query-failed" unless every partition
# answered. Retried for up to 5 s: right after a topic is created, Kafka 4.1 lists a leader for
# every partition in Metadata a moment before that leader answers ListOffsets (it says
# NOT_LEADER_OR_FOLLOWER), and neither kpipe offsets list nor kcat -Q retries that.
topic_records() {
  local i got
  for ((i = 0; i < 50; i++)); do
    got=$({ "$kpipe" -b "$bootstrap" offsets list -t "$1" --format json 2>"$work/offsets.err" ||
      true; } | awk -v want="$partitions" '{
          m = split($0, a, /"latest":/)
          for (i = 2; i <= m; i++) { sum += a[i] + 0; n++ } }
        END { if (n != want) print "query-failed"; else print sum }')
    [[ $got != query-failed ]] && break
    sleep 0.1
  done
  echo "$got"
}

# reset_topic NAME: deletes every non-internal topic (so that nothing piles up on disk), creates
# NAME with $partitions partitions, and waits until every partition's leader answers (an empty
# topic), so that no timed run waits for the broker to finish creating it.
reset_topic() {
  "$python" "$topics_py" "$bootstrap" reset "$1:$partitions" >"$work/topics.log" 2>&1 ||
    die "topics.py reset $1:$partitions failed: $(tail -n 5 "$work/topics.log")"
  local got
  got=$(topic_records "$1")
  [[ $got == 0 ]] || die "$1: not ready after creation ($got records; $(cat "$work/offsets.err"))"
}

# fill_topic NAME CODEC FILE WANT: fresh topic, filled with kcat (idempotent, acks=all), so that the
# batches the consumers read depend on none of them; checks the count.
fill_topic() {
  local topic=$1 codec=$2 file=$3 want=$4 got
  reset_topic "$topic"
  kcat -P -b "$bootstrap" -t "$topic" -X acks=all -X enable.idempotence=true \
    -X "compression.codec=$codec" <"$file" 2>"$work/fill.err" ||
    die "filling $topic with kcat failed: $(tail -n 5 "$work/fill.err")"
  got=$(topic_records "$topic")
  [[ $got == "$want" ]] || die "filling $topic: $got records in the log, want $want"
}

# --- inputs --------------------------------------------------------------------------------

input=$work/input.txt
write_input "$input"
input_bytes=$(stat -c %s "$input")
cat "$input" >/dev/null # into the page cache before the first run
head -n 1 "$input" >"$work/one.txt"

# --- one run -------------------------------------------------------------------------------

results=$work/results.txt
: >"$results"

tool_label() { # PHASE TOOL
  case $2 in
    java) if [[ $1 == *consume ]]; then echo ConsumerPerf; else echo ProducerPerf; fi ;;
    *) echo "$2" ;;
  esac
}

# mask_password TEXT: TEXT with the SASL password (on the sasl_ssl command lines) as ***.
mask_password() {
  local text=$1
  [[ $listener != sasl_ssl ]] || text=${text//"$KPIPE_KAFKA_SASL_PASSWORD"/***}
  printf '%s\n' "$text"
}

# run_one PHASE CODEC TOOL RUN TOPIC WANT
#   PHASE: produce, consume, startup-produce or startup-consume; RUN 0 is a warm-up (printed, not
#   in the medians). Produce phases write $input (one.txt for the kpipe and kcat start-up runs)
#   into TOPIC, which must be fresh; consume phases read TOPIC, which must hold WANT records.
# Appends "phase codec tool run wall user sys rss_kib status count broker_s intool_s" to $results.
run_one() {
  local phase=$1 codec=$2 tool=$3 run=$4 topic=$5 want=$6
  local cmd=() stdin=/dev/null
  local log=$work/run.err out=$work/run.out tf=$work/run.time
  local java_produce=(org.apache.kafka.tools.ProducerPerformance --topic "$topic"
    --num-records "$want" --throughput -1 --payload-file "$input" --producer-props
    "bootstrap.servers=$bootstrap" acks=all enable.idempotence=true "compression.type=$codec")
  # shellcheck disable=SC2206  # a list of KEY=VALUE words
  java_produce+=(${KPIPE_BENCH_JAVA_PRODUCER_PROPS:-})
  case $phase/$tool in
    *produce/kpipe)
      cmd=("$kpipe" -b "$client_bootstrap" "${kpipe_security[@]}" produce -t "$topic" --acks all
        -z "$codec")
      ;;
    *produce/kcat)
      cmd=(kcat -P -b "$client_bootstrap" "${kcat_security[@]}" -t "$topic" -X acks=all
        -X enable.idempotence=true -X "compression.codec=$codec")
      ;;
    *produce/java) cmd=("$kafka_sh" run "${java_produce[@]}") ;;
    *consume/kpipe)
      cmd=("$kpipe" -b "$client_bootstrap" "${kpipe_security[@]}" consume -t "$topic" -o beginning -e)
      ;;
    *consume/kcat)
      cmd=(kcat -C -b "$client_bootstrap" "${kcat_security[@]}" -t "$topic" -o beginning -e -q)
      ;;
    *consume/java)
      cmd=("$kafka_sh" run org.apache.kafka.tools.ConsumerPerformance --bootstrap-server
        "$bootstrap" --topic "$topic" --messages "$want")
      ;;
  esac
  if [[ $phase == *produce && $tool != java ]]; then
    stdin=$input
    [[ $phase == startup-produce ]] && stdin=$work/one.txt
  fi

  local t0 t1 b0 b1 status
  b0=$(broker_ticks)
  t0=$EPOCHREALTIME
  set +e
  if [[ $phase == *consume && $tool != java ]]; then
    /usr/bin/time -o "$tf" -f '%U %S %M' "${cmd[@]}" <"$stdin" 2>"$log" | wc -l >"$out"
    status=${PIPESTATUS[0]}
  else
    /usr/bin/time -o "$tf" -f '%U %S %M' "${cmd[@]}" <"$stdin" >"$out" 2>"$log"
    status=$?
  fi
  set -e
  t1=$EPOCHREALTIME
  b1=$(broker_ticks)

  # The count: what reached the log (produce), what the tool printed or counted (consume). The
  # Java tools also time themselves: ProducerPerformance from its first send to its last
  # acknowledgement (records / records/sec), ConsumerPerformance from before joining the group
  # to the last record (nMsg / nMsg.sec).
  local count intool=-
  case $phase/$tool in
    *produce/*) count=$(topic_records "$topic") ;;
    *consume/java)
      count=$(awk -F', *' 'NR == 2 && NF >= 10 { print $5 }' "$out")
      intool=$(awk -F', *' 'NR == 2 && NF >= 10 && $6 > 0 { printf "%.3f", $5 / $6 }' "$out")
      ;;
    *consume/*) count=$(tr -d ' ' <"$out") ;;
  esac
  if [[ $phase == *produce && $tool == java ]]; then
    intool=$(awk '/ records sent, / { n = $1; r = $4 } END { if (r > 0) printf "%.3f", n / r }' "$out")
  fi
  [[ -n $count ]] || count=none
  [[ -n $intool ]] || intool=-

  local wall user sys rss broker
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  broker=$(awk -v a="$b0" -v b="$b1" -v hz="$ticks_per_second" 'BEGIN { printf "%.2f", (b - a) / hz }')
  # time(1) puts "Command exited with non-zero status N" first when the command fails.
  read -r user sys rss < <(tail -n 1 "$tf") || true
  printf '%s %s %s %s %s %s %s %s %s %s %s %s\n' "$phase" "$codec" "$tool" "$run" "$wall" \
    "${user:-0}" "${sys:-0}" "${rss:-0}" "$status" "$count" "$broker" "$intool" >>"$results"
  local label
  label=$(tool_label "$phase" "$tool")
  printf '  %-15s %-6s %-12s %-7s wall %7.3f s  cpu %6.2f s  rss %7d KiB  broker cpu %5.2f s  in-tool %6s s  exit %d  records %s\n' \
    "$phase" "$codec" "$label" "$( ((run == 0)) && echo warm-up || echo "run $run")" "$wall" \
    "$(awk -v u="${user:-0}" -v s="${sys:-0}" 'BEGIN { print u + s }')" "${rss:-0}" "$broker" \
    "$intool" "$status" "$count" >&2
  if [[ $status != 0 || $count != "$want" ]]; then
    echo "  !! $phase $codec $label run $run: exit $status, $count of $want records;" \
      "command: $(mask_password "${cmd[*]}") < ${stdin##*/}; stderr:" >&2
    { grep -v '^Picked up' "$log" || true; } | tail -n 20 | sed 's/^/     /' >&2
  fi
}

# rounds PHASE CODEC WANT TOPIC_PREFIX: $warmup untimed rounds, then $runs timed ones; every
# tool once per round, the order rotated from round to round so that no tool always goes first
# (right after a topic reset) or last. Produce phases give each run a fresh topic.
rounds() {
  local phase=$1 codec=$2 want=$3 prefix=$4 r i tool topic
  for ((r = 1 - warmup; r <= runs; r++)); do
    for ((i = 0; i < ${#tools[@]}; i++)); do
      tool=${tools[$(((i + r + warmup) % ${#tools[@]}))]}
      topic=$prefix
      if [[ $phase == *produce ]]; then
        if ((r > 0)); then topic=$prefix-$tool-$r; else topic=$prefix-$tool-warmup$((1 - r)); fi
        reset_topic "$topic"
      fi
      run_one "$phase" "$codec" "$tool" "$((r > 0 ? r : 0))" "$topic" "$want"
    done
  done
}

# --- the runs ------------------------------------------------------------------------------

# The node's own CPU use when nobody talks to it (KRaft heartbeats, log cleaner checks), over 3 s:
# what part of the broker CPU figures below is background.
b0=$(broker_ticks)
sleep 3
idle=$(awk -v a="$b0" -v b="$(broker_ticks)" -v hz="$ticks_per_second" \
  'BEGIN { printf "%.3f", (b - a) / hz / 3 }')

commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')
[[ -z $(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null) ]] ||
  commit+=" with local changes"
java_version=$("$KPIPE_KAFKA_JAVA" -version 2>&1 | sed -nE '1s/.*version "([^"]+)".*/\1/p')
kcat_version=$(kcat -V 2>&1 | sed -nE 's/^Version ([^ ]+) .*librdkafka ([^ ]+) .*/\1 (librdkafka \2)/p')
cat <<EOF
$bench_name: kpipe, kcat and Kafka's ProducerPerformance / ConsumerPerformance on a real broker
  broker:  Apache Kafka $KPIPE_KAFKA_VERSION, ${#broker_pids[@]} node(s), $bootstrap ($KPIPE_KAFKA_DIR); idle CPU $idle s/s
  clients' listener: $listener ($client_bootstrap)
  input:   $records records x $value_bytes bytes ($input_bytes bytes with newlines), $partitions partitions; codecs: $cases
  runs:    $runs timed after $warmup warm-up round(s) per phase and codec; producers: acks=all, idempotent
  clients: $("$kpipe" --version 2>/dev/null | head -n 1 || echo 'kpipe ?') (commit $commit); kcat $kcat_version; Kafka's tools on Java $java_version
  machine: $(nproc) CPUs; load average at start: $(cut -d ' ' -f 1-3 /proc/loadavg)
EOF

for phase in $phases; do
  case $phase in
    startup)
      echo "phase startup (1 record; ProducerPerf still loads the whole payload file):" >&2
      rounds startup-produce none 1 bench-startup
      fill_topic bench-startup-consume none "$work/one.txt" 1
      rounds startup-consume none 1 bench-startup-consume
      ;;
  esac
done
for codec in $cases; do
  for phase in $phases; do
    case $phase in
      produce)
        echo "phase produce, codec $codec:" >&2
        rounds produce "$codec" "$records" "bench-produce-$codec"
        ;;
      consume)
        echo "phase consume, codec $codec (topic filled by kcat):" >&2
        fill_topic "bench-consume-$codec" "$codec" "$input" "$records"
        rounds consume "$codec" "$records" "bench-consume-$codec"
        ;;
    esac
  done
done

# --- the report ----------------------------------------------------------------------------

# One row per phase, codec and tool: medians of the timed runs (run > 0), the largest RSS, and
# the ratios tool / kpipe of the medians (above 1: kpipe is faster or cheaper). Tab-separated,
# then aligned by table() into a markdown table that reads in a terminal too.
summary() {
  awk -v want_records="$records" '
    function median(list,   a, n, i, j, t) {
      n = split(list, a, " ")
      for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
        t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
      if (n == 0) return ""
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    BEGIN { nt = split("kpipe kcat java", tool, " ") }
    {
      k = $1 SUBSEP $2 SUBSEP $3
      want = ($1 ~ /^startup/) ? 1 : want_records
      # Rows in the order the phases and codecs ran, the tools in a fixed order.
      if (!(($1 SUBSEP $2) in seen)) {
        seen[$1, $2] = 1
        for (t = 1; t <= nt; t++) order[++nk] = $1 SUBSEP $2 SUBSEP tool[t]
      }
      if ($4 == 0) next
      n[k]++
      if ($9 == 0 && $10 == want) ok[k]++
      wall[k] = wall[k] " " $5; cpu[k] = cpu[k] " " ($6 + $7); broker[k] = broker[k] " " $11
      if ($8 > rss[k]) rss[k] = $8
      if ($12 != "-") intool[k] = intool[k] " " $12
    }
    END {
      print "phase\tcodec\ttool\twall s\twall/kpipe\tCPU s\tCPU/kpipe\tCPU us/rec\tmax RSS MiB\tbroker CPU s\tin-tool s\tin-tool/kpipe\truns ok"
      for (i = 1; i <= nk; i++) {
        k = order[i]; split(k, f, SUBSEP)
        if (!n[k]) continue
        w[k] = median(wall[k]); c[k] = median(cpu[k])
      }
      for (i = 1; i <= nk; i++) {
        k = order[i]; split(k, f, SUBSEP)
        if (!n[k]) continue
        kp = f[1] SUBSEP f[2] SUBSEP "kpipe"
        name = f[3]
        if (name == "java") name = (f[1] ~ /consume/) ? "ConsumerPerf" : "ProducerPerf"
        want = (f[1] ~ /^startup/) ? 1 : want_records
        wr = (kp in w && w[kp] > 0) ? sprintf("%.2fx", w[k] / w[kp]) : "-"
        cr = (kp in c && c[kp] > 0) ? sprintf("%.2fx", c[k] / c[kp]) : "-"
        it = median(intool[k])
        itr = (it != "" && kp in w && w[kp] > 0) ? sprintf("%.2fx", it / w[kp]) : "-"
        printf "%s\t%s\t%s\t%.3f\t%s\t%.2f\t%s\t%s\t%.1f\t%.2f\t%s\t%s\t%d/%d\n",
          f[1], f[2], name, w[k], wr, c[k], cr,
          (want > 1 ? sprintf("%.2f", c[k] / want * 1e6) : "-"),
          rss[k] / 1024, median(broker[k]), (it == "" ? "-" : sprintf("%.3f", it)), itr,
          ok[k], n[k]
      }
    }' "$results"
}
table() {
  awk -F '\t' '
    { for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) }
      if (NF > nf) nf = NF }
    END {
      for (r = 1; r <= NR; r++) {
        line = "|"
        for (i = 1; i <= nf; i++)
          line = line " " sprintf(i <= 3 ? "%-" w[i] "s" : "%" w[i] "s", cell[r, i]) " |"
        print line
        if (r == 1) {
          line = "|"
          for (i = 1; i <= nf; i++) {
            d = ""; for (k = 0; k < w[i] + (i <= 3 ? 2 : 1); k++) d = d "-"
            line = line d (i <= 3 ? "" : ":") "|"
          }
          print line
        }
      }
    }'
}

echo
echo "Medians of $runs timed run(s). wall: the whole command (JVM start and, for ProducerPerf, loading"
echo "the payload file included); CPU: the client's user + system time (time(1)); broker CPU: the"
echo "node's user + system time during the run; in-tool: the Java tools' own timing (sending or"
echo "consuming only). tool/kpipe ratios above 1: kpipe faster or cheaper. startup: 1 record."
echo
summary | table
echo
echo "Load average at the end: $(cut -d ' ' -f 1-3 /proc/loadavg)"

failures=$(awk -v want_records="$records" '{ want = ($1 ~ /^startup/) ? 1 : want_records }
  $9 != 0 || $10 != want { n++ } END { print n + 0 }' "$results")
if ((failures > 0)); then
  echo
  echo "$failures run(s) failed or wrote/read the wrong number of records (see stderr): their" \
    "figures do not count."
  exit 1
fi
