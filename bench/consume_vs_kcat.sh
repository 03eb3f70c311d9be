#!/usr/bin/env bash
# consume_vs_kcat.sh: `kpipe consume` against `kcat -C`, both reading a pre-filled topic of the
# reference cluster from the beginning to the end. A skeleton: until `kpipe consume` exists it
# measures kcat alone, so that the set-up and the checks are ready. See bench/README.md.
#
# Builds nothing: KPIPE_BUILD_DIR (default ./build) must have kpipe and kpipe-mock-cluster.
#   KPIPE_BENCH_RUNS=5           runs per tool and case
#   KPIPE_BENCH_RECORDS=1000000  records in each topic (100-byte values)
#   KPIPE_BENCH_CASES="none lz4 zstd"   codec of the batches in the topic
#   KPIPE_BENCH_OUTPUTS="values json"   values one per line, or -J (both programs' JSON)
set -euo pipefail

bench_name=consume_vs_kcat
outputs=${KPIPE_BENCH_OUTPUTS:-values json}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

tools="kpipe kcat"
# `kpipe consume --help` succeeds even without the command (the top-level help), so look for it
# in the list of subcommands.
if ! "$kpipe" --help 2>/dev/null | grep -Eq '^ +consume +'; then
  echo "consume_vs_kcat: $kpipe has no consume command yet: measuring kcat only" >&2
  tools=kcat
fi

# One cluster, one topic per codec. Consuming does not change a topic, so every run reads the
# same one; the mock keeps about 5 MiB per partition, and 100 MB spread evenly over 64 partitions
# (1.6 MB each) fits.
topics=()
for codec in $cases; do topics+=("bench-consume-$codec"); done
start_cluster "${topics[@]}"

# The same kind of input as produce_vs_kcat.sh, written by kcat so that the topic's batches do not
# depend on the program under test.
write_input "$work/input.txt"
input_bytes=$(stat -c %s "$work/input.txt")
# An even spread: line i goes to partition i % 64 (split's round-robin slices, one kcat -p per
# slice). Left to kcat's partitioner, keyless records stick to one partition per linger window
# (librdkafka's sticky partitioning), and some partitions got more than the mock's ~5 MiB, which
# then dropped their oldest batches (the topic held 899,023 of 1,000,000 records).
split -n "r/$partitions" -d -a 3 "$work/input.txt" "$work/slice."
for codec in $cases; do
  for ((p = 0; p < partitions; p++)); do
    kcat -P -b "$bootstrap" -t "bench-consume-$codec" -p "$p" -X acks=all \
      -X "compression.codec=$codec" <"$work/slice.$(printf %03d "$p")" ||
      die "filling partition $p of bench-consume-$codec failed"
  done
  # Every record is there, from offset 0 of every partition: nothing was dropped.
  query=()
  for ((p = 0; p < partitions; p++)); do query+=(-t "bench-consume-$codec:$p:-2"); done
  earliest=$(kcat -b "$bootstrap" -Q "${query[@]}" | awk '{ s += $NF } END { print s + 0 }')
  held=$(kcat -b "$bootstrap" -Q "${query[@]//:-2/:-1}" | awk '{ s += $NF } END { print s + 0 }')
  [[ $earliest == 0 && $held == "$records" ]] ||
    die "bench-consume-$codec: $held records, earliest offsets sum to $earliest (want $records, 0)"
done
rm -f "$work"/slice.*

# One timed run: the records go to wc -l, whose count must be the topic's record count.
results=$work/results.txt
: >"$results"
run_one() {
  local tool=$1 codec=$2 output=$3 run=$4 topic=bench-consume-$2 cmd=()
  case $tool in
    kpipe) cmd=("$kpipe" consume -b "$bootstrap" -t "$topic" -o beginning -e) ;;
    kcat) cmd=(kcat -C -b "$bootstrap" -t "$topic" -o beginning -e -q) ;;
  esac
  [[ $output == json ]] && cmd+=(-J)
  local label=$codec
  [[ $output == json ]] && label="$codec-J"
  local t0 t1 lines status
  t0=$EPOCHREALTIME
  set +e
  lines=$(/usr/bin/time -o "$work/time" -f '%U %S %M' "${cmd[@]}" 2>"$work/$tool.log" | wc -l)
  status=${PIPESTATUS[0]}
  set -e
  t1=$EPOCHREALTIME
  local user sys rss wall
  read -r user sys rss < <(tail -n 1 "$work/time") || true
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  echo "$tool $label $run $wall $user $sys $rss $status $lines" >>"$results"
  printf '  %-5s %-7s run %d: wall %7.3f s  user %5.2f s  sys %5.2f s  exit %d  records %s\n' \
    "$tool" "$label" "$run" "$wall" "$user" "$sys" "$status" "$lines" >&2
  if [[ $status != 0 || $lines != "$records" ]]; then
    echo "  !! $tool $label run $run: exit $status, $lines of $records records; ${cmd[*]}" >&2
    tail -n 20 "$work/$tool.log" | sed 's/^/     /' >&2
  fi
}

echo "consume_vs_kcat: $records records of $value_bytes bytes, $runs runs per tool and case," \
  "tools: $tools; load average: $(cut -d ' ' -f 1-3 /proc/loadavg)"
labels=()
for codec in $cases; do
  for output in $outputs; do
    echo "case $codec, output $output:" >&2
    for ((r = 1; r <= runs; r++)); do
      for tool in $tools; do run_one "$tool" "$codec" "$output" "$r"; done
    done
    if [[ $output == json ]]; then labels+=("$codec-J"); else labels+=("$codec"); fi
  done
done

echo
echo "| case (-J: JSON output) | tool | median wall s | median CPU s | MB/s | max RSS MiB | runs ok |"
echo "|---|---|---|---|---|---|---|"
for codec in "${labels[@]}"; do
  for tool in $tools; do
    awk -v tool="$tool" -v codec="$codec" -v want="$records" -v b="$input_bytes" '
      $1 == tool && $2 == codec {
        n++; wall[n] = $4; cpu[n] = $5 + $6; if ($7 > rss) rss = $7
        if ($8 == 0 && $9 == want) ok++ }
      function median(a, n,   i, j, t) {
        for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
          t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
      END {
        w = median(wall, n); c = median(cpu, n)
        printf "| %s | %s | %.3f | %.2f | %.0f | %.1f | %d/%d |\n",
          codec, tool, w, c, b / w / 1e6, rss / 1024, ok, n }' "$results"
  done
done
awk -v want="$records" '$8 != 0 || $9 != want { bad = 1 } END { exit bad }' "$results" ||
  die "some runs failed or did not read every record (see above)"
