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
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kpipe=${KPIPE_BUILD_DIR:-$repo/build}/kpipe
env_file=${KPIPE_KAFKA_ENV:-$repo/.kafka/cluster.env}
mb=${KPIPE_BENCH_MB:-256}
[[ -x $kpipe ]] || { echo "pcap_decode: no kpipe at $kpipe" >&2; exit 2; }
[[ -f $env_file ]] || { echo "pcap_decode: no Kafka ($env_file; scripts/kafka.sh start)" >&2; exit 2; }
# shellcheck disable=SC1090
source "$env_file"
broker=$KPIPE_KAFKA_PLAINTEXT
port=${broker##*:}
work=$(mktemp -d /tmp/kpipe-bench-pcap.XXXXXX)
[[ -n ${KPIPE_BENCH_KEEP:-} ]] || trap 'rm -rf "$work"' EXIT
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
capture_bytes=$(stat -c %s "$work/capture.pcapng")
echo "capture: $((capture_bytes / 1048576)) MiB ($mb MB of values produced and consumed)"

# measure NAME COMMAND...: wall seconds and peak RSS in MiB, output counted in lines.
measure() {
  local name=$1
  shift
  /usr/bin/time -f '%e %M' -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err" || true
  read -r seconds rss_kb <"$work/$name.time"
  local lines
  lines=$(wc -l <"$work/$name.out")
  printf '%-7s %8.2f s  peak RSS %6d MiB  %d output lines\n' "$name" "$seconds" \
    $((rss_kb / 1024)) "$lines"
  eval "${name}_seconds=$seconds"
}
measure kpipe "$kpipe" decode --pcap "$work/capture.pcapng" --port "$port"
measure tshark tshark -r "$work/capture.pcapng" -d "tcp.port==$port,kafka" -Y kafka -T json
# shellcheck disable=SC2154
awk -v k="$kpipe_seconds" -v t="$tshark_seconds" \
  'BEGIN { printf "tshark / kpipe: %.1fx\n", (k > 0 ? t / k : 0) }'
echo "kpipe requests/responses: $(grep -c '"type":"request"' "$work/kpipe.out") /" \
  "$(grep -c '"type":"response"' "$work/kpipe.out"); not decoded:" \
  "$(grep -vc '"type":"re' "$work/kpipe.out" || true)"
