#!/usr/bin/env bash
# pcap_decode.sh: `kpipe decode --pcap` against `tshark -T json` on one large capture of kpipe
# talking to a real Kafka over loopback (produce then consume of KPIPE_BENCH_MB megabytes,
# recorded by dumpcap). Prints each tool's wall time and peak RSS (GNU time) and the ratio.
# A measurement to read, never a test.
#
#   KPIPE_KAFKA_ENV=/path/cluster.env   a running Kafka (scripts/kafka.sh start); its PLAINTEXT
#                                       listener is used
#   KPIPE_BUILD_DIR=./build             where kpipe is
#   KPIPE_BENCH_MB=256                  megabytes of record values produced (1 kB each)
#   KPIPE_BENCH_KEEP=1                  keep the work directory (the capture) afterwards
#   KPIPE_BENCH_CAPTURE=FILE            measure this capture (one this script kept) instead of
#                                       making one; the Kafka port is then KPIPE_BENCH_PORT
#   KPIPE_BENCH_PORT=9092               with KPIPE_BENCH_CAPTURE
#   KPIPE_BENCH_TSHARK=0                skip tshark (minutes on 1 GiB), e.g. when iterating
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kpipe=${KPIPE_BUILD_DIR:-$repo/build}/kpipe
env_file=${KPIPE_KAFKA_ENV:-$repo/.kafka/cluster.env}
mb=${KPIPE_BENCH_MB:-256}
[[ -x $kpipe ]] || { echo "pcap_decode: no kpipe at $kpipe" >&2; exit 2; }
work=$(mktemp -d /tmp/kpipe-bench-pcap.XXXXXX)
[[ -n ${KPIPE_BENCH_KEEP:-} ]] || trap 'rm -rf "$work"' EXIT

# Makes the capture: kpipe producing then consuming through a real Kafka, dumpcap on lo.
capture() {
  [[ -f $env_file ]] || { echo "pcap_decode: no Kafka ($env_file; scripts/kafka.sh start)" >&2; exit 2; }
  # shellcheck disable=SC1090
  source "$env_file"
  broker=$KPIPE_KAFKA_PLAINTEXT
  port=${broker##*:}
  topic=bench-pcap-$$

  # 1 kB values, one per line: what the capture carries is mostly record bytes, as in production.
  records=$((mb * 1000))
  awk -v n="$records" 'BEGIN { pad = sprintf("%990s", ""); gsub(/ /, "x", pad);
    for (i = 0; i < n; i++) printf "%09d-%s\n", i, pad }' >"$work/input"

  # A 256 MiB kernel buffer, so that the capture keeps up with loopback at full speed (a drop
  # would show up as lost frames, and in tshark's output as missing PDUs).
  dumpcap -q -i lo -B 256 -f "tcp port $port" -w "$work/capture.pcapng" 2>"$work/dumpcap.err" &
  dumpcap_pid=$!
  for _ in $(seq 1 100); do
    grep -q '^File:' "$work/dumpcap.err" 2>/dev/null && break
    sleep 0.1
  done
  sleep 0.5
  "$kpipe" produce -b "$broker" -t "$topic" -z none <"$work/input" >/dev/null
  "$kpipe" consume -b "$broker" -t "$topic" -e >/dev/null
  sleep 0.5
  kill "$dumpcap_pid"
  wait "$dumpcap_pid" || true
  grep -i 'dropped' "$work/dumpcap.err" || true
  capture_file=$work/capture.pcapng
}

if [[ -n ${KPIPE_BENCH_CAPTURE:-} ]]; then
  capture_file=$KPIPE_BENCH_CAPTURE
  port=${KPIPE_BENCH_PORT:-9092}
else
  capture
fi
capture_bytes=$(stat -c %s "$capture_file")
echo "capture: $capture_file, $((capture_bytes / 1048576)) MiB"

# measure NAME COMMAND...: wall and CPU seconds, capture MB/s (10^6 bytes per wall second),
# peak RSS in MiB, output counted in lines. GNU time's last line holds the figures (a line
# before it says when the command exited non-zero, as kpipe does when the capture dropped
# packets and frames were lost).
measure() {
  local name=$1
  shift
  /usr/bin/time -f '%e %U %S %M' -o "$work/$name.time" "$@" >"$work/$name.out" \
    2>"$work/$name.err" || true
  read -r seconds user sys rss_kb < <(tail -n 1 "$work/$name.time")
  local lines
  lines=$(wc -l <"$work/$name.out")
  awk -v n="$name" -v s="$seconds" -v u="$user" -v y="$sys" -v r="$rss_kb" -v b="$capture_bytes" \
    -v l="$lines" 'BEGIN { printf "%-7s %8.2f s wall  %7.2f s CPU (%.2f user)  %7.1f MB/s  peak RSS %5d MiB  %d output lines\n",
      n, s, u + y, u, (s > 0 ? b / s / 1e6 : 0), r / 1024, l }'
  eval "${name}_seconds=$seconds"
}
measure kpipe "$kpipe" decode --pcap "$capture_file" --port "$port"
if [[ ${KPIPE_BENCH_TSHARK:-1} != 0 ]]; then
  measure tshark tshark -r "$capture_file" -d "tcp.port==$port,kafka" -Y kafka -T json
  # shellcheck disable=SC2154
  awk -v k="$kpipe_seconds" -v t="$tshark_seconds" \
    'BEGIN { printf "tshark / kpipe: %.1fx\n", (k > 0 ? t / k : 0) }'
fi
echo "kpipe requests/responses: $(grep -c '"type":"request"' "$work/kpipe.out") /" \
  "$(grep -c '"type":"response"' "$work/kpipe.out"); not decoded:" \
  "$(grep -vc '"type":"re' "$work/kpipe.out" || true)"
