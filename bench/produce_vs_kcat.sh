#!/usr/bin/env bash
# produce_vs_kcat.sh: `kpipe produce` against `kcat -P`, both writing to the reference cluster
# (kpipe-mock-cluster, 3 brokers). See bench/README.md for what is measured and the targets.
#
# Builds nothing: point KPIPE_BUILD_DIR at a Release build that has the targets kpipe and
# kpipe-mock-cluster (default ./build). Knobs, all optional:
#   KPIPE_BENCH_RUNS=5          runs per tool and case (at least 5 for the recorded figures)
#   KPIPE_BENCH_RECORDS=1000000 records per run (100-byte values, one per line)
#   KPIPE_BENCH_CASES="none lz4 zstd"
#   KPIPE_BENCH_RSS_BYTES=10G   input of the peak-RSS run (head -c syntax); "auto" (default)
#                               uses 10G unless the uncompressed runs predict more than 3 minutes
#                               for it, then 2G; 0 skips the RSS run
#   KPIPE_BENCH_KEEP=1          keep the temporary directory (inputs, per-run logs)
set -euo pipefail

bench_name=produce_vs_kcat
rss_bytes=${KPIPE_BENCH_RSS_BYTES:-auto}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Sum of the end offsets (high watermarks) of the topic's partitions, as the brokers report them
# (ListOffsets latest, through kcat -Q): the number of records that reached the log. This is
# checked after every run so that a run that fails fast, or loses records, is not a win.
delivered() {
  local topic=$1 args=() p
  for ((p = 0; p < partitions; p++)); do args+=(-t "$topic:$p:-1"); done
  kcat -Q -b "$bootstrap" -m 10 "${args[@]}" 2>"$work/query.err" |
    awk -v want="$partitions" '
      / offset / { sum += $NF; n++ }
      END { if (n != want) { print "query-failed"; exit } print sum }'
}

# The input (lib.sh's write_input), once for every run.
input=$work/input.txt
write_input "$input"
input_bytes=$(stat -c %s "$input")
cat "$input" >/dev/null # into the page cache before the first timed run

# CPU time the mock cluster (all brokers: one process, one thread) has used so far, in clock
# ticks. Its share of a run shows how much of the machine the broker itself needs for the same
# records: on 2 cores no client can end sooner than the broker is done.
broker_ticks() { awk '{ print $14 + $15 }' "/proc/$mock_pid/stat"; }
ticks_per_second=$(getconf CLK_TCK)

# One timed run. Appends "tool case run wall user sys maxrss_kib status delivered broker_cpu_s"
# to results.
results=$work/results.txt
: >"$results"
run_one() {
  local tool=$1 codec=$2 run=$3 topic=$4 cmd=()
  case $tool in
    kpipe)
      cmd=("$kpipe" produce -b "$bootstrap" -t "$topic" --acks all)
      [[ $codec != none ]] && cmd+=(-z "$codec")
      ;;
    kcat)
      cmd=(kcat -P -b "$bootstrap" -t "$topic" -X acks=all)
      [[ $codec != none ]] && cmd+=(-X "compression.codec=$codec")
      ;;
  esac
  local log=$work/$topic.log t0 t1 status=0 b0 b1
  b0=$(broker_ticks)
  t0=$EPOCHREALTIME
  /usr/bin/time -o "$work/$topic.time" -f '%U %S %M' "${cmd[@]}" <"$input" >/dev/null \
    2>"$log" || status=$?
  t1=$EPOCHREALTIME
  b1=$(broker_ticks)
  local got
  got=$(delivered "$topic")
  local wall cpu broker
  broker=$(awk -v a="$b0" -v b="$b1" -v hz="$ticks_per_second" 'BEGIN { printf "%.2f", (b - a) / hz }')
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  # time(1) puts "Command exited with non-zero status N" first when the command fails.
  read -r user sys rss < <(tail -n 1 "$work/$topic.time") || true
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
  printf '%s %s %s %s %s %s %s %s %s %s\n' "$tool" "$codec" "$run" "$wall" "$user" "$sys" "$rss" \
    "$status" "$got" "$broker" >>"$results"
  printf '  %-5s %-4s run %d: wall %7.3f s  cpu %6.2f s  broker cpu %5.2f s  rss %7d KiB  exit %d  delivered %s\n' \
    "$tool" "$codec" "$run" "$wall" "$cpu" "$broker" "$rss" "$status" "$got" >&2
  if [[ $status != 0 || $got != "$records" ]]; then
    echo "  !! $tool $codec run $run: exit $status, $got of $records records in the log;" \
      "command: ${cmd[*]} < input.txt; stderr:" >&2
    sed 's/^/     /' "$log" | tail -n 20 >&2
  fi
}

cat <<EOF
produce_vs_kcat: $records records of $value_bytes bytes ($input_bytes bytes of input), $runs runs
per tool and case, alternating kpipe and kcat, each run into a fresh $partitions-partition topic
of a 3-broker kpipe-mock-cluster; acks=all for both; partitioners: both defaults (sticky for
unkeyed records). $("$kpipe" --version 2>/dev/null | head -n 1 || echo 'kpipe ?'), kcat
$(kcat -V 2>&1 | grep -m 1 Version)
$(nproc) CPUs; load average at start: $(cut -d ' ' -f 1-3 /proc/loadavg)
EOF

failures=0
for codec in $cases; do
  topics=(bench-warmup)
  for ((r = 1; r <= runs; r++)); do
    topics+=("bench-kpipe-$codec-$r" "bench-kcat-$codec-$r")
  done
  # A cluster per case: the mock keeps what it is sent in memory (up to ~5 MiB per partition),
  # and a smaller heap keeps the later cases from paying for the earlier ones.
  start_cluster "${topics[@]}"
  echo "case $codec (cluster $bootstrap):" >&2
  # Not measured: lets the brokers finish starting before the first timed run.
  echo warm | kcat -P -b "$bootstrap" -t bench-warmup -X acks=all >/dev/null 2>&1 || true
  for ((r = 1; r <= runs; r++)); do
    run_one kpipe "$codec" "$r" "bench-kpipe-$codec-$r"
    run_one kcat "$codec" "$r" "bench-kcat-$codec-$r"
  done
  stop_cluster
done
failures=$(awk -v want="$records" '$8 != 0 || $9 != want { n++ } END { print n + 0 }' "$results")

# Median of the values of column $3 on the lines of tool $1 and case $2.
median() {
  awk -v tool="$1" -v codec="$2" -v col="$3" '$1 == tool && $2 == codec { print $col }' \
    "$results" | sort -g | awk '{ v[NR] = $1 }
      END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2];
            else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# Median CPU time (user + sys) and the largest RSS, same selection.
median_cpu() {
  awk -v tool="$1" -v codec="$2" '$1 == tool && $2 == codec { print $5 + $6 }' "$results" |
    sort -g | awk '{ v[NR] = $1 }
      END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
max_rss_mib() {
  awk -v tool="$1" -v codec="$2" '$1 == tool && $2 == codec && $7 > m { m = $7 }
    END { printf "%.1f", m / 1024 }' "$results"
}
ok_runs() {
  awk -v tool="$1" -v codec="$2" -v want="$records" '$1 == tool && $2 == codec {
      n++; if ($8 == 0 && $9 == want) ok++ }
    END { printf "%d/%d", ok, n }' "$results"
}

echo
echo "Medians of $runs runs, $records x $value_bytes-byte records ($input_bytes bytes of input);"
echo "MB/s = 10^6 bytes of input per second of wall time; ratio = kcat / kpipe (above 1: kpipe"
echo "better; the wall ratio is kpipe's throughput over kcat's). Targets: wall ratio >= 5"
echo "uncompressed, >= 2 with lz4/zstd."
echo
echo "| case | kpipe wall s | kcat wall s | wall ratio | kpipe CPU s | kcat CPU s | CPU ratio |" \
  "kpipe MB/s | kcat MB/s | kpipe max RSS MiB | kcat max RSS MiB | broker CPU s (kpipe, kcat run) |" \
  "runs ok kpipe, kcat |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for codec in $cases; do
  kw=$(median kpipe "$codec" 4) cw=$(median kcat "$codec" 4)
  kc=$(median_cpu kpipe "$codec") cc=$(median_cpu kcat "$codec")
  awk -v c="$codec" -v kw="$kw" -v cw="$cw" -v kc="$kc" -v cc="$cc" -v b="$input_bytes" \
    -v kr="$(max_rss_mib kpipe "$codec")" -v cr="$(max_rss_mib kcat "$codec")" \
    -v ko="$(ok_runs kpipe "$codec")" -v co="$(ok_runs kcat "$codec")" \
    -v kb="$(median kpipe "$codec" 10)" -v cb="$(median kcat "$codec" 10)" 'BEGIN {
      printf "| %s | %.3f | %.3f | %.2fx | %.2f | %.2f | %.2fx | %.0f | %.0f | %s | %s | %.2f, %.2f | %s, %s |\n",
        c, kw, cw, cw / kw, kc, cc, (kc > 0 ? cc / kc : 0), b / kw / 1e6, b / cw / 1e6,
        kr, cr, kb, cb, ko, co }'
done

# Peak RSS of kpipe on a long input from a pipe: the input cycles through the same lines, cut by
# head -c, so kpipe cannot know its size and must bound what it buffers by itself.
if [[ $rss_bytes == auto ]]; then
  rss_bytes=10G
  if [[ " $cases " == *" none "* ]]; then
    predicted=$(awk -v w="$(median kpipe none 4)" -v b="$input_bytes" \
      'BEGIN { printf "%d", w * 10 * 1024 ^ 3 / b }')
    if ((predicted > 180)); then
      echo
      echo "10 GiB would take about $predicted s at the uncompressed rate (> 3 min): using 2 GiB."
      rss_bytes=2G
    fi
  fi
fi
if [[ $rss_bytes != 0 ]]; then
  bytes=$(numfmt --from=iec "$rss_bytes") || die "KPIPE_BENCH_RSS_BYTES: cannot read '$rss_bytes'"
  line=$((value_bytes + 1))
  expected=$((bytes / line + (bytes % line > 0 ? 1 : 0)))
  start_cluster bench-rss
  t0=$EPOCHREALTIME
  set +e
  (while :; do cat "$input" || exit 0; done) 2>/dev/null | head -c "$bytes" |
    /usr/bin/time -o "$work/rss.time" -f '%U %S %M' \
      "$kpipe" produce -b "$bootstrap" -t bench-rss --acks all >/dev/null 2>"$work/rss.log"
  status=${PIPESTATUS[2]}
  set -e
  t1=$EPOCHREALTIME
  got=$(delivered bench-rss)
  stop_cluster
  read -r user sys rss < <(tail -n 1 "$work/rss.time") || true
  echo
  # Sizes go to awk as strings: mawk's %d stops at 2^31 - 1.
  awk -v b="$bytes" -v spec="$rss_bytes" -v t0="$t0" -v t1="$t1" -v u="$user" -v s="$sys" \
    -v rss="$rss" -v st="$status" -v got="$got" -v want="$expected" 'BEGIN {
      w = t1 - t0;
      printf "kpipe peak RSS, %s (%s bytes, %s records) from a pipe, uncompressed, into one " \
             "64-partition topic: max RSS %.1f MiB (target <= 64 MiB); wall %.1f s (%.0f MB/s), " \
             "CPU %.1f s; exit %d; %s of %s records in the log\n",
        spec, b, want, rss / 1024, w, b / w / 1e6, u + s, st, got, want }'
  if [[ $status != 0 || $got != "$expected" ]]; then
    failures=$((failures + 1))
    echo "  !! RSS run failed; kpipe's stderr:" >&2
    tail -n 20 "$work/rss.log" | sed 's/^/     /' >&2
  fi
fi

if ((failures > 0)); then
  echo
  echo "$failures run(s) failed or lost records: their figures do not count (see above)."
  exit 1
fi
