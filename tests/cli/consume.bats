#!/usr/bin/env bats
# kpipe consume against the reference brokers (librdkafka's mock cluster, a real Apache Kafka):
# start offsets, stop conditions, partitions, output layouts, the JSON envelope and its round trip
# through produce -J, a closed stdout, transaction markers at the end of a partition (and, on
# Kafka, real transactions: aborted records, the last stable offset), errors.
#
# Inputs are written by kcat and kafka-python ($KPIPE_TEST_PYTHON), never by kpipe produce, except
# in the round trip. Expected output is spelled out here or taken from kcat with the same options.
# Where kafka-python talks to either broker it is pinned to api_version=(2, 3, 0): from 2.4 on it
# asks ApiVersions v3, which librdkafka 2.0.2's mock refuses in a form that kafka-python 3.0.12
# cannot read.

bats_require_minimum_version 1.5.0

setup_file() {
  source "$BATS_TEST_DIRNAME/helpers/cluster.bash"
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  start_cluster --brokers 3 --topic t:3 --topic fmt:1 --topic src:3 --topic copy:3 \
    --topic big:1 --topic ctl:1
  local b=$KPIPE_TEST_BROKERS p i

  # t: partition P holds "kI:pP-vI" for I = 0..9. On the mock each partition gets its own
  # leader, so that one consume reads from three brokers at once (Kafka here is one node). src
  # and copy too, for read_topic.py: kafka-python 3.0.12 gets no offset for the second of two
  # partitions that share a leader on the mock (its ListOffsets v5 answer).
  if ! on_kafka; then
    for p in 0 1 2; do
      cluster_control leader t "$p" "$((p + 1))"
      cluster_control leader src "$p" "$((p + 1))"
      cluster_control leader copy "$p" "$((3 - p))"
    done
  fi
  for p in 0 1 2; do
    for i in $(seq 0 9); do echo "k$i:p$p-v$i"; done | kcat -b "$b" -P -t t -p "$p" -K:
  done

  # fmt, offsets 0-3 by kcat (keys split at ':', -Z: empty is null; the same four headers on
  # each, a duplicate name, an empty value and a null one), 4-6 by kafka-python (set timestamps,
  # bytes that are not UTF-8, control characters, empty key and value).
  printf 'k1:hello\n:emptykey\nk3:\nk4:with space\n' |
    kcat -b "$b" -P -t fmt -p 0 -K: -Z -H trace=abc -H empty= -H nullv -H trace=second
  "$KPIPE_TEST_PYTHON" - "$b" <<'EOF'
import sys
from kafka import KafkaProducer
p = KafkaProducer(bootstrap_servers=sys.argv[1].split(","), api_version=(2, 3, 0), linger_ms=0)
records = [
    (b"\xc3\x28", b"\xff\xfe\x00bin", [("bin", b"\x80\x81"), ("txt", b"ok")]),
    ("ü€".encode(), b'line1\nline2\t"q"\\ \x01', []),
    (b"", b"", []),
]
for i, (k, v, h) in enumerate(records):
    p.send("fmt", partition=0, key=k, value=v, headers=h, timestamp_ms=1700000000004 + i).get(10)
p.close()
EOF

  # src (the round trip): binary and text keys and values, nulls, headers with duplicates and
  # null values, set timestamps, in all three partitions.
  "$KPIPE_TEST_PYTHON" - "$b" <<'EOF'
import sys
from kafka import KafkaProducer
p = KafkaProducer(bootstrap_servers=sys.argv[1].split(","), api_version=(2, 3, 0), linger_ms=0)
for i in range(30):
    key = None if i % 7 == 3 else (b"\x00\xff key %d" % i if i % 2 else b"key-%d" % i)
    value = None if i % 11 == 5 else bytes((i * 37 + j) % 256 for j in range(i * 13))
    headers = [("h", b"%d" % i), ("h", b"\xfe\xff"), ("text", "ü".encode())] if i % 3 else []
    p.send("src", partition=i % 3, key=key, value=value, headers=headers,
           timestamp_ms=1600000000000 + i * 1001).get(10)
p.close()
EOF
  # Null header values, which kafka-python cannot send, from kcat.
  printf 'nk:with a null header\n' | kcat -b "$b" -P -t src -p 1 -K: -H a=1 -H nul -H a=2

  # big: 100,000 records.
  seq 1 100000 | kcat -b "$b" -P -t big -p 0 -X linger.ms=50

  # ctl: records at 0, 1, 2 and 4, commit markers at 3 and 5, an abort marker last. The mock
  # writes no markers: they are crafted by hand after plain records (markers at 3, 5 and 6).
  # Kafka refuses crafted markers and writes real ones: a transactional producer commits r0-r2
  # (marker at 3) and r4 (5), then aborts a6 (offset 6, marker at 7).
  if on_kafka; then
    kafka_transactions ctl ctl:begin ctl:0:r0 ctl:0:r1 ctl:0:r2 ctl:commit \
      ctl:begin ctl:0:r4 ctl:commit ctl:begin ctl:0:a6 ctl:abort
  else
    printf 'r0\nr1\nr2\n' | kcat -b "$b" -P -t ctl -p 0
    python3 "$BATS_TEST_DIRNAME/helpers/produce_control_batch.py" "$b" ctl 0 >/dev/null
    printf 'r4\n' | kcat -b "$b" -P -t ctl -p 0
    python3 "$BATS_TEST_DIRNAME/helpers/produce_control_batch.py" "$b" ctl 0 >/dev/null
    python3 "$BATS_TEST_DIRNAME/helpers/produce_control_batch.py" "$b" ctl 0 --marker abort \
      >/dev/null
  fi
}

teardown_file() {
  stop_cluster
}

setup() {
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  BACKGROUND=()
}

# A failed test must not leave its background processes (BACKGROUND: pids) behind.
teardown() {
  local pid
  for pid in "${BACKGROUND[@]}"; do _kpipe_stop_pid "$pid"; done
}

# expected_t FROM TO [PARTITIONS...]: topic t's records FROM..TO of each partition (default all)
# as '%p %o %k %s', sorted.
expected_t() {
  local from=$1 to=$2 p i
  shift 2
  local parts=("$@")
  ((${#parts[@]})) || parts=(0 1 2)
  for p in "${parts[@]}"; do
    for ((i = from; i <= to; i++)); do echo "$p $i k$i p$p-v$i"; done
  done | sort
}

# consume_t ARGS...: kpipe consume of topic t as sorted '%p %o %k %s' lines, into $output.
consume_t() {
  run --separate-stderr timeout 20 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t t \
    -f '%p %o %k %s\n' "$@"
  echo "status $status; stderr: $stderr"
  [ "$status" -eq 0 ]
  output=$(sort <<<"$output")
}

# kcat_t ARGS...: kcat's view of topic t in the same layout.
kcat_t() {
  kcat -b "$KPIPE_TEST_BROKERS" -C -t t -e -q -f '%p %o %k %s\n' "$@" | sort
}

# ---------------------------------------------------------------------------------------------
# a. start offsets, -e, -p, -c

@test "-o beginning -e reads every record of every partition in order, then exits 0" {
  run --separate-stderr timeout 20 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t t -e \
    -f '%p %o %k %s\n'
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  [ "$(sort <<<"$output")" = "$(expected_t 0 9)" ]
  [ "$(sort <<<"$output")" = "$(kcat_t -o beginning)" ]
  # Within a partition, offsets come in order.
  for p in 0 1 2; do
    [ "$(grep "^$p " <<<"$output" | cut -d' ' -f2 | tr '\n' ' ')" = "0 1 2 3 4 5 6 7 8 9 " ]
  done
  # beginning is the default.
  consume_t -e -o beginning
  [ "$output" = "$(expected_t 0 9)" ]
}

@test "-o end -e prints nothing and exits 0" {
  run --separate-stderr timeout 20 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t t -o end -e
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [ -z "$stderr" ]
}

@test "-o N starts at offset N of each partition; past the end reads nothing" {
  consume_t -e -o 7
  [ "$output" = "$(expected_t 7 9)" ]
  [ "$output" = "$(kcat_t -o 7)" ]
  consume_t -e -o 0
  [ "$output" = "$(expected_t 0 9)" ]
  consume_t -e -o 42
  [ -z "$output" ]
}

@test "-o -N starts N records before the end of each partition" {
  consume_t -e -o -3
  [ "$output" = "$(expected_t 7 9)" ]
  [ "$output" = "$(kcat_t -o -3)" ]
  # More than the partition holds: from its beginning.
  consume_t -e -o -15
  [ "$output" = "$(expected_t 0 9)" ]
}

@test "-o +N starts N records after the beginning of each partition" {
  consume_t -e -o +8
  [ "$output" = "$(expected_t 8 9)" ]
  consume_t -e -o +0
  [ "$output" = "$(expected_t 0 9)" ]
  consume_t -e -o +10
  [ -z "$output" ]
}

@test "-p selects partitions, one or several" {
  consume_t -e -p 1
  [ "$output" = "$(expected_t 0 9 1)" ]
  [ "$output" = "$(kcat_t -p 1)" ]
  consume_t -e -p 0,2
  [ "$output" = "$(expected_t 0 9 0 2)" ]
  consume_t -e -p 2 -p 1 -o -2
  [ "$output" = "$(expected_t 8 9 1 2)" ]
}

@test "-c N stops after N records in total, with or without -e" {
  # Without -e the run would follow the log for ever: -c alone must end it.
  run --separate-stderr timeout 20 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t t -c 7 \
    -f '%p %o %k %s\n'
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 7 ]
  # Seven distinct records of t.
  [ "$(sort -u <<<"$output" | comm -23 - <(expected_t 0 9) | wc -l)" -eq 0 ]
  [ "$(sort -u <<<"$output" | wc -l)" -eq 7 ]

  # One partition: the first three, in order.
  run --separate-stderr timeout 20 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t t -p 2 -c 3 \
    -f '%p %o %k %s\n'
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '2 0 k0 p2-v0\n2 1 k1 p2-v1\n2 2 k2 p2-v2')" ]

  # -c larger than what -e finds: -e ends the run.
  consume_t -e -c 100
  [ "$output" = "$(expected_t 0 9)" ]
  consume_t -e -c 4 -o -2 -p 0,1
  [ "$output" = "$(expected_t 8 9 0 1)" ]
}

# ---------------------------------------------------------------------------------------------
# b. output layouts

# Runs kpipe and kcat on topic fmt with the same extra arguments, keeping the exact bytes of
# each in $BATS_TEST_TMPDIR/kpipe.out and kcat.out.
both_on_fmt() {
  "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t fmt -e "$@" >"$BATS_TEST_TMPDIR/kpipe.out"
  kcat -b "$KPIPE_TEST_BROKERS" -C -t fmt -e -q "$@" >"$BATS_TEST_TMPDIR/kcat.out"
}

# The timestamps kcat wrote into fmt's offsets 0-3 (it cannot be told one).
fmt_timestamp() {
  kcat -b "$KPIPE_TEST_BROKERS" -C -t fmt -p 0 -o "$1" -c 1 -e -q -f '%T'
}

@test "default output: each value and a newline, as kcat writes it" {
  both_on_fmt
  cmp "$BATS_TEST_TMPDIR/kpipe.out" "$BATS_TEST_TMPDIR/kcat.out"
  printf 'hello\nemptykey\n\nwith space\n\xff\xfe\x00bin\nline1\nline2\t"q"\\ \x01\n\n' \
    >"$BATS_TEST_TMPDIR/expected"
  cmp "$BATS_TEST_TMPDIR/kpipe.out" "$BATS_TEST_TMPDIR/expected"
}

@test "-D and -K: record and key delimiters, escapes included, as kcat writes them" {
  both_on_fmt -D '|' -K '\t'
  cmp "$BATS_TEST_TMPDIR/kpipe.out" "$BATS_TEST_TMPDIR/kcat.out"
  printf 'k1\thello|\temptykey|k3\t|k4\twith space|\xc3\x28\t\xff\xfe\x00bin|ü€\tline1\nline2\t"q"\\ \x01|\t|' \
    >"$BATS_TEST_TMPDIR/expected"
  cmp "$BATS_TEST_TMPDIR/kpipe.out" "$BATS_TEST_TMPDIR/expected"

  # A multi-byte delimiter with a NUL byte.
  "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t fmt -e -o 5 -D '\x00--' >"$BATS_TEST_TMPDIR/out"
  printf 'line1\nline2\t"q"\\ \x01\x00--\x00--' >"$BATS_TEST_TMPDIR/expected"
  cmp "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/expected"
}

@test "-f with kcat's tokens writes the same bytes as kcat" {
  both_on_fmt -f '%t|%p|%o|%k|%s|%S|%K|%h|%T\n'
  cmp "$BATS_TEST_TMPDIR/kpipe.out" "$BATS_TEST_TMPDIR/kcat.out"
  # Spelled out for two records (kcat and kpipe could agree on something wrong).
  run sed -n 1p "$BATS_TEST_TMPDIR/kpipe.out"
  [ "$output" = "fmt|0|0|k1|hello|5|2|trace=abc,empty=,nullv=NULL,trace=second|$(fmt_timestamp 0)" ]
  run sed -n 3p "$BATS_TEST_TMPDIR/kpipe.out"
  [ "$output" = "fmt|0|2|k3||-1|2|trace=abc,empty=,nullv=NULL,trace=second|$(fmt_timestamp 2)" ]
  # The record with the empty key and value: lengths 0, not -1.
  run tail -n 1 "$BATS_TEST_TMPDIR/kpipe.out"
  [ "$output" = "fmt|0|6|||0|0||1700000000006" ]

  # %v is %s, %% a percent sign, and the record without a key: %K is -1.
  run --separate-stderr "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t fmt -e -o 1 -c 1 \
    -f '%v %K 100%%'
  [ "$status" -eq 0 ]
  [ "$output" = "emptykey -1 100%" ]
}

@test "-f extensions: %d, %{h:NAME}, %{k:hex}, %{s:base64}, %{s:json}, %{k:json}" {
  run --separate-stderr "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t fmt -e \
    -f '%o %d [%{h:trace}] [%{h:nullv}] [%{h:nope}] [%{k:hex}] [%{s:base64}] %{s:json} %{k:json}\n'
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  local iso
  iso=$(/usr/bin/python3 -c '
import datetime, sys
t = int(sys.argv[1])
print(datetime.datetime.fromtimestamp(t / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t % 1000))
' "$(fmt_timestamp 0)")
  # kcat wrote offsets 0-3 in one batch with one timestamp.
  [ "${lines[0]}" = "0 $iso [abc] [] [] [6b31] [aGVsbG8=] \"hello\" \"k1\"" ]
  [ "${lines[1]}" = "1 $iso [abc] [] [] [] [ZW1wdHlrZXk=] \"emptykey\" null" ]
  [ "${lines[2]}" = "2 $iso [abc] [] [] [6b33] [] null \"k3\"" ]
  [ "${lines[3]}" = "3 $iso [abc] [] [] [6b34] [d2l0aCBzcGFjZQ==] \"with space\" \"k4\"" ]
  [ "${lines[4]}" = '4 2023-11-14T22:13:20.004Z [] [] [] [c328] [//4AYmlu] {"base64":"//4AYmlu"} {"base64":"wyg="}' ]
  [ "${lines[5]}" = '5 2023-11-14T22:13:20.005Z [] [] [] [c3bce282ac] [bGluZTEKbGluZTIJInEiXCAB] "line1\nline2\t\"q\"\\ \u0001" "ü€"' ]
  [ "${lines[6]}" = '6 2023-11-14T22:13:20.006Z [] [] [] [] [] "" ""' ]
  [ "${#lines[@]}" -eq 7 ]
}

@test "-J: one envelope per record, every field, byte encodings and header order" {
  run --separate-stderr "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t fmt -e -J
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  [ "${#lines[@]}" -eq 7 ]
  local ts h
  ts=$(fmt_timestamp 0)
  h='[["trace","abc"],["empty",""],["nullv",null],["trace","second"]]'
  # leader_epoch: the batches' partition leader epoch, 0 as librdkafka and kafka-python write it
  # (the mock keeps it) and as Kafka sets it under a new topic's first leader.
  [ "${lines[0]}" = '{"topic":"fmt","partition":0,"offset":0,"timestamp":'"$ts"',"timestamp_type":"create","key":"k1","value":"hello","headers":'"$h"',"leader_epoch":0}' ]
  [ "${lines[1]}" = '{"topic":"fmt","partition":0,"offset":1,"timestamp":'"$ts"',"timestamp_type":"create","key":null,"value":"emptykey","headers":'"$h"',"leader_epoch":0}' ]
  [ "${lines[2]}" = '{"topic":"fmt","partition":0,"offset":2,"timestamp":'"$ts"',"timestamp_type":"create","key":"k3","value":null,"headers":'"$h"',"leader_epoch":0}' ]
  [ "${lines[4]}" = '{"topic":"fmt","partition":0,"offset":4,"timestamp":1700000000004,"timestamp_type":"create","key":{"base64":"wyg="},"value":{"base64":"//4AYmlu"},"headers":[["bin",{"base64":"gIE="}],["txt","ok"]],"leader_epoch":0}' ]
  [ "${lines[5]}" = '{"topic":"fmt","partition":0,"offset":5,"timestamp":1700000000005,"timestamp_type":"create","key":"ü€","value":"line1\nline2\t\"q\"\\ \u0001","headers":[],"leader_epoch":0}' ]
  [ "${lines[6]}" = '{"topic":"fmt","partition":0,"offset":6,"timestamp":1700000000006,"timestamp_type":"create","key":"","value":"","headers":[],"leader_epoch":0}' ]

  # The same facts as kcat -J for the records whose bytes are UTF-8 (kcat's JSON cannot carry
  # other bytes), parsed as JSON.
  printf '%s\n' "${lines[@]}" >"$BATS_TEST_TMPDIR/kpipe.json"
  kcat -b "$KPIPE_TEST_BROKERS" -C -t fmt -e -q -J >"$BATS_TEST_TMPDIR/kcat.json"
  run /usr/bin/python3 - "$BATS_TEST_TMPDIR/kpipe.json" "$BATS_TEST_TMPDIR/kcat.json" <<'EOF'
import json, sys
ours = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
theirs = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8", errors="replace")]
assert len(ours) == len(theirs) == 7
for o, t in zip(ours, theirs):
    if o["offset"] == 4:
        continue
    flat = t.get("headers", [])
    pairs = [[flat[i], flat[i + 1]] for i in range(0, len(flat), 2)]
    got = (o["topic"], o["partition"], o["offset"], o["timestamp"], o["timestamp_type"],
           o["key"], o["value"], o["headers"])
    want = (t["topic"], t["partition"], t["offset"], t["ts"], t["tstype"],
            t["key"], t["payload"], pairs)
    assert got == want, (got, want)
print("same")
EOF
  echo "$output"
  [ "$output" = "same" ]
}

@test "-J with --key-encoding and --value-encoding hex, base64 and json" {
  run --separate-stderr "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t fmt -e -o 4 -c 2 -J \
    --key-encoding hex --value-encoding base64
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == *'"key":{"hex":"c328"},"value":{"base64":"//4AYmlu"},'* ]]
  [[ "${lines[1]}" == *'"key":{"hex":"c3bce282ac"},"value":{"base64":"bGluZTEKbGluZTIJInEiXCAB"},'* ]]
  run --separate-stderr "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t fmt -e -o 1 -c 1 -J \
    --value-encoding nonsense
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"--value-encoding"* ]]
}

# ---------------------------------------------------------------------------------------------
# c. round trip through produce -J

@test "consume -J | produce -J copies keys, values, headers, timestamps and partitions" {
  run bash -c '"$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t src -e -J |
    "$KPIPE_BIN" produce -b "$KPIPE_TEST_BROKERS" -t copy -J; echo "${PIPESTATUS[*]}"'
  echo "$output"
  [ "${lines[-1]}" = "0 0" ]

  "$KPIPE_TEST_PYTHON" "$KPIPE_CLI_HELPERS/read_topic.py" "$KPIPE_TEST_BROKERS" src \
    --timeout 30 >"$BATS_TEST_TMPDIR/src.jsonl"
  "$KPIPE_TEST_PYTHON" "$KPIPE_CLI_HELPERS/read_topic.py" "$KPIPE_TEST_BROKERS" copy \
    --timeout 30 >"$BATS_TEST_TMPDIR/copy.jsonl"
  # 30 records from kafka-python and one from kcat, all copied; then the same bytes everywhere
  # (partition, offset, timestamp and its type, key, value, headers).
  [ "$(wc -l <"$BATS_TEST_TMPDIR/src.jsonl")" -eq 31 ]
  diff "$BATS_TEST_TMPDIR/src.jsonl" "$BATS_TEST_TMPDIR/copy.jsonl"

  # The copy holds what makes this a real test: nulls, bytes that are not UTF-8, duplicate and
  # null headers.
  run /usr/bin/python3 - "$BATS_TEST_TMPDIR/copy.jsonl" <<'EOF'
import base64, json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
def raw(b):
    return None if b is None else base64.b64decode(b)
def utf8(b):
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False
facts = {
    "null key": any(r["key"] is None for r in recs),
    "null value": any(r["value"] is None for r in recs),
    "binary value": any(r["value"] and not utf8(raw(r["value"])) for r in recs),
    "binary key": any(r["key"] and not utf8(raw(r["key"])) for r in recs),
    "null header": any(v is None for r in recs for _, v in r["headers"]),
    "duplicate header": any(len({k for k, _ in r["headers"]}) < len(r["headers"]) for r in recs),
    "binary header": any(v and not utf8(raw(v)) for r in recs for _, v in r["headers"]),
    "create time": all(r["timestamp_type"] == 0 for r in recs),
    "set timestamps":
        {r["timestamp"] for r in recs} >= {1600000000000 + i * 1001 for i in range(30)},
    "partitions": sorted({r["partition"] for r in recs}) == [0, 1, 2],
}
print(" ".join(k for k, v in facts.items() if not v) or "all")
EOF
  [ "$output" = "all" ]
}

# ---------------------------------------------------------------------------------------------
# d. a closed stdout

@test "| head -n 5 on 100,000 records: exactly 5 lines, exit 0 at once" {
  local start elapsed_ms
  start=$(date +%s%N)
  run bash -c 'timeout 20 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t big |
    head -n 5 >"$1"; echo "${PIPESTATUS[*]}"' _ "$BATS_TEST_TMPDIR/head.out"
  elapsed_ms=$((($(date +%s%N) - start) / 1000000))
  echo "$output, ${elapsed_ms}ms"
  [ "$output" = "0 0" ]
  [ "$elapsed_ms" -lt 5000 ]
  [ "$(cat "$BATS_TEST_TMPDIR/head.out")" = "$(seq 1 5)" ]

  # With -e and -J too.
  run bash -c 'timeout 20 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t big -e -J |
    head -n 5 | wc -l; echo "${PIPESTATUS[*]}"'
  [ "${lines[0]}" = "5" ]
  [ "${lines[1]}" = "0 0 0" ]
}

# ---------------------------------------------------------------------------------------------
# e. transaction markers at the end of a partition

@test "-e ends when the partition's last records are transaction markers" {
  # Kafka's ctl also holds the aborted a6 (offset 6) before its marker (7); see setup_file.
  local latest=7 uncommitted=$'0 r0\n1 r1\n2 r2\n4 r4' aborted=""
  if on_kafka; then
    latest=8
    aborted="6 a6"
    uncommitted+=$'\n'$aborted
  fi
  run --separate-stderr "$KPIPE_BIN" offsets list -b "$KPIPE_TEST_BROKERS" -t ctl --format json
  [ "$output" = '[{"topic":"ctl","partition":0,"earliest":0,"latest":'"$latest"'}]' ]

  run --separate-stderr timeout 10 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t ctl -e \
    -f '%o %s\n'
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '0 r0\n1 r1\n2 r2\n4 r4')" ]

  run --separate-stderr timeout 10 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t ctl -e \
    --isolation read-uncommitted -f '%o %s\n'
  [ "$status" -eq 0 ]
  [ "$output" = "$uncommitted" ]

  # Starting among the markers (and, on Kafka, before the aborted record): nothing to print,
  # still an end.
  run --separate-stderr timeout 10 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t ctl -e -o 5
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  run --separate-stderr timeout 10 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t ctl -e -o 5 \
    --isolation read-uncommitted -f '%o %s\n'
  [ "$status" -eq 0 ]
  [ "$output" = "$aborted" ]
}

@test "--print-control-records shows the markers: key version 0 and type 1 (commit) or 0 (abort)" {
  run --separate-stderr timeout 10 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t ctl -e \
    --print-control-records -f '%o %{k:hex} %{s:hex}\n'
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 7 ]
  [ "${lines[0]}" = "0  7230" ]
  [ "${lines[3]}" = "3 00000001 000000000000" ]
  [ "${lines[4]}" = "4  7234" ]
  [ "${lines[5]}" = "5 00000001 000000000000" ]
  # The abort marker: the mock's at 6; Kafka's at 7, after the aborted record, which
  # read-committed leaves out. The value's coordinator epoch is 0: a fresh cluster whose
  # transaction coordinator never moved.
  if on_kafka; then
    [ "${lines[6]}" = "7 00000000 000000000000" ]
  else
    [ "${lines[6]}" = "6 00000000 000000000000" ]
  fi
}

# kafka_transactions TOPIC STEP...: on Kafka, kafka-python producers write to TOPIC, step by step
# in the order given; each STEP is one of
#   ID:begin   ID:commit   ID:abort   ID:P:VALUE (a record to partition P)
# with one transactional producer per ID, except ID "plain": a producer outside transactions.
# Every record is acknowledged before the next step, and a transaction's end waits until its
# markers are in the logs it touched (Kafka writes them after answering EndTxn), so offsets
# follow the steps exactly. setup_file writes ctl with it too.
kafka_transactions() {
  "$KPIPE_TEST_PYTHON" - "$KPIPE_TEST_BROKERS" "$@" <<'EOF'
import sys, time
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
brokers, topic, steps = sys.argv[1].split(","), sys.argv[2], sys.argv[3:]
producers, touched, written = {}, {}, {}
watcher = KafkaConsumer(bootstrap_servers=brokers, isolation_level="read_uncommitted")
def producer(name):
    if name not in producers:
        if name == "plain":
            producers[name] = KafkaProducer(bootstrap_servers=brokers, linger_ms=0)
        else:
            producers[name] = KafkaProducer(bootstrap_servers=brokers, linger_ms=0,
                                            transactional_id="kpipe-tests-" + name)
            producers[name].init_transactions()
    return producers[name]
for step in steps:
    name, _, rest = step.partition(":")
    p = producer(name)
    if rest == "begin":
        p.begin_transaction()
        touched[name] = set()
    elif rest in ("commit", "abort"):
        (p.commit_transaction if rest == "commit" else p.abort_transaction)()
        tps = [TopicPartition(topic, part) for part in touched.pop(name)]
        for tp in tps:
            written[tp] += 1  # the marker
        deadline = time.time() + 30
        while watcher.end_offsets(tps) != {tp: written[tp] for tp in tps}:
            assert time.time() < deadline, "markers of %s not written in time" % name
            time.sleep(0.05)
    else:
        part, _, value = rest.partition(":")
        p.send(topic, partition=int(part), value=value.encode()).get(10)
        tp = TopicPartition(topic, int(part))
        written[tp] = written.get(tp, 0) + 1
        if name in touched:
            touched[name].add(int(part))
for p in producers.values():
    p.close()
watcher.close()
EOF
}

# bats test_tags=kafka-only
@test "read-committed skips aborted transactions interleaved with committed ones, per partition" {
  # Two transactions at once, on both partitions of txn, and plain records among them: A
  # commits, B aborts. Their records interleave in each log, so skipping B's takes the broker's
  # list of aborted transactions (producer id, first offset), not a range of offsets.
  create_topic txn 2
  kafka_transactions txn plain:0:n0 A:begin B:begin A:0:a0 B:0:b0 B:1:b1 plain:0:n1 A:1:a1 \
    A:0:a2 B:0:b2 plain:1:n2 B:abort A:commit plain:0:n3 plain:1:n4

  # Per partition: the aborted records, the markers (one per transaction per partition, B's
  # abort before A's commit) and the records kept.
  run --separate-stderr timeout 20 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t txn -e \
    --isolation read-uncommitted -f '%p %o %s\n'
  [ "$status" -eq 0 ]
  [ "$(sort -n -k1,1 -k2,2 <<<"$output")" = "$(printf '%s\n' '0 0 n0' '0 1 a0' '0 2 b0' \
    '0 3 n1' '0 4 a2' '0 5 b2' '0 8 n3' '1 0 b1' '1 1 a1' '1 2 n2' '1 5 n4')" ]

  run --separate-stderr timeout 20 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t txn -e \
    -f '%p %o %s\n'
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  [ "$(sort -n -k1,1 -k2,2 <<<"$output")" = "$(printf '%s\n' '0 0 n0' '0 1 a0' '0 3 n1' \
    '0 4 a2' '0 8 n3' '1 1 a1' '1 2 n2' '1 5 n4')" ]
  # Also from a start inside the aborted transaction, and through --print-control-records
  # (abort marker type 0 at 6, commit type 1 at 7).
  run --separate-stderr timeout 20 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t txn -p 0 \
    -o 2 -e --print-control-records -f '%o %{k:hex} %{s:hex}\n'
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '%s\n' '3  6e31' '4  6132' '6 00000000 000000000000' \
    '7 00000001 000000000000' '8  6e33')" ]
  # kcat (librdkafka) agrees on both isolation levels.
  [ "$(kcat -b "$KPIPE_TEST_BROKERS" -C -t txn -e -q -f '%p %o %s\n' \
    -X isolation.level=read_committed | sort -n -k1,1 -k2,2)" = \
    "$(timeout 20 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t txn -e -f '%p %o %s\n' |
      sort -n -k1,1 -k2,2)" ]
}

# bats test_tags=kafka-only
@test "an open transaction: read-committed -e stops at the last stable offset, sees it commit" {
  create_topic open 1
  local ctl="$BATS_TEST_TMPDIR/txn"
  mkdir -p "$ctl"
  # A committed record, then a transaction left open (its two records flushed) until the test
  # creates $ctl/commit; the producer writes $ctl/open once the records are in the log.
  "$KPIPE_TEST_PYTHON" - "$KPIPE_TEST_BROKERS" "$ctl" <<'EOF' 3>&- &
import os, sys, time
from kafka import KafkaProducer
brokers, ctl = sys.argv[1].split(","), sys.argv[2]
p = KafkaProducer(bootstrap_servers=brokers, linger_ms=0, transactional_id="kpipe-tests-open")
p.init_transactions()
p.begin_transaction()
p.send("open", partition=0, value=b"c0").get(10)
p.commit_transaction()
p.begin_transaction()
for v in (b"o2", b"o3"):
    p.send("open", partition=0, value=v).get(10)
open(os.path.join(ctl, "open"), "w").close()
deadline = time.time() + 60
while not os.path.exists(os.path.join(ctl, "commit")) and time.time() < deadline:
    time.sleep(0.05)
p.commit_transaction()
p.close()
EOF
  local producer=$! i
  BACKGROUND+=("$producer")
  for ((i = 0; i < 300; i++)); do
    [[ -e "$ctl/open" ]] && break
    sleep 0.1
  done
  [ -e "$ctl/open" ]

  # The last stable offset is 2 (c0 at 0, its marker at 1), the high watermark 4.
  run --separate-stderr "$KPIPE_BIN" offsets list -b "$KPIPE_TEST_BROKERS" -t open \
    --isolation read-committed --format json
  [ "$output" = '[{"topic":"open","partition":0,"earliest":0,"latest":2}]' ]
  run --separate-stderr "$KPIPE_BIN" offsets list -b "$KPIPE_TEST_BROKERS" -t open --format json
  [ "$output" = '[{"topic":"open","partition":0,"earliest":0,"latest":4}]' ]
  # -e ends at the last stable offset: not waiting for the transaction.
  run --separate-stderr timeout 20 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t open -e \
    -f '%o %s\n'
  [ "$status" -eq 0 ]
  [ "$output" = "0 c0" ]
  run --separate-stderr timeout 20 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t open -e \
    --isolation read-uncommitted -f '%o %s\n'
  [ "$status" -eq 0 ]
  [ "$output" = $'0 c0\n2 o2\n3 o3' ]

  # A reader following the log (-c, no -e) gets the records once the transaction commits.
  "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t open -c 3 -f '%o %s\n' \
    >"$BATS_TEST_TMPDIR/follow.out" 2>"$BATS_TEST_TMPDIR/follow.err" 3>&- &
  local follower=$! status=0
  BACKGROUND+=("$follower")
  sleep 1
  [ "$(cat "$BATS_TEST_TMPDIR/follow.out")" = "0 c0" ]
  touch "$ctl/commit"
  wait "$producer"
  for ((i = 0; i < 200; i++)); do
    _kpipe_pid_alive "$follower" || break
    sleep 0.1
  done
  if _kpipe_pid_alive "$follower"; then
    echo "the follower still runs 20 s after the commit: $(cat "$BATS_TEST_TMPDIR/follow.out")"
    _kpipe_stop_pid "$follower"
    false
  fi
  wait "$follower" || status=$?
  echo "follower: exit $status, $(cat "$BATS_TEST_TMPDIR/follow.out");" \
    "stderr: $(cat "$BATS_TEST_TMPDIR/follow.err")"
  [ "$status" -eq 0 ]
  [ "$(cat "$BATS_TEST_TMPDIR/follow.out")" = $'0 c0\n2 o2\n3 o3' ]
  run --separate-stderr timeout 20 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t open -e \
    -f '%o %s\n'
  [ "$output" = $'0 c0\n2 o2\n3 o3' ]
}

# ---------------------------------------------------------------------------------------------
# f. errors

@test "a partition that does not exist exits 4 and names it" {
  run --separate-stderr timeout 20 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t t -p 99 -e
  echo "exit $status; stderr: $stderr"
  [ "$status" -eq 4 ]
  [ -z "$output" ]
  [[ "$stderr" == *"partition 99"*"t"* ]]
}

@test "a topic the broker reports unknown exits 4 and names it" {
  # Kafka has no topic gone (and kpipe does not ask it to create one); the mock creates any topic
  # it is asked about, unless told to report an error on it.
  on_kafka || cluster_control topic-error gone 3 # UNKNOWN_TOPIC_OR_PARTITION
  run --separate-stderr timeout 20 "$KPIPE_BIN" consume -b "$KPIPE_TEST_BROKERS" -t gone -e
  on_kafka || cluster_control topic-error gone 0
  echo "exit $status; stderr: $stderr"
  [ "$status" -eq 4 ]
  [ -z "$output" ]
  [[ "$stderr" == *"gone"* ]]
}

# bats test_tags=broker-free
@test "a bad -f token or -o spec exits 2 before connecting, naming what is wrong" {
  # 127.0.0.1:1 refuses connections: usage errors must come first.
  run --separate-stderr "$KPIPE_BIN" consume -b 127.0.0.1:1 -t t -f 'ok %x'
  [ "$status" -eq 2 ]
  [ -z "$output" ]
  [[ "$stderr" == *'"%x" at offset 3'* ]]
  run --separate-stderr "$KPIPE_BIN" consume -b 127.0.0.1:1 -t t -f '%{h:'
  [ "$status" -eq 2 ]
  run --separate-stderr "$KPIPE_BIN" consume -b 127.0.0.1:1 -t t -f '%{s:rot13}'
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"rot13"* ]]
  run --separate-stderr "$KPIPE_BIN" consume -b 127.0.0.1:1 -t t -o soon
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"soon"* ]]
  run --separate-stderr "$KPIPE_BIN" consume -b 127.0.0.1:1 -t t -D '\q'
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"-D"*'"\q"'* ]]
  run --separate-stderr "$KPIPE_BIN" consume -b 127.0.0.1:1
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"topic"* ]]
}

# bats test_tags=broker-free
@test "no reachable broker exits 1 and names the broker" {
  run --separate-stderr timeout 20 "$KPIPE_BIN" consume -b 127.0.0.1:1 -t t -e --timeout 5s
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  [[ "$stderr" == *"127.0.0.1:1"* ]]
}

# ---------------------------------------------------------------------------------------------
# g. help

# bats test_tags=broker-free
@test "consume --help lists the options and shows examples" {
  run "$KPIPE_BIN" consume --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"Examples:"* ]]
  [[ "$output" == *"kpipe consume -t orders -e"* ]]
  [[ "$output" == *"kpipe consume -t orders -e -J | kpipe produce -t orders-copy -J"* ]]
  for option in --offset --exit --count --format --json --delimiter --key-delimiter \
    --partition --print-control-records --isolation; do
    [[ "$output" == *"$option"* ]]
  done
}

# ---------------------------------------------------------------------------------------------
# TO ADD when the parser lands (issue 5, second part); not implemented yet, so not tested here:
#   group mode: -G GROUP TOPIC..., with -o for partitions without a committed offset (default
#     end), --commit after-write|on-exit|interval:DURATION|none (nothing unwritten committed on
#     a broken pipe), --assignor, --instance-id; kcat -G / offsets get as the reference;
#   -o @TIME (ISO 8601, epoch ms, relative -1h / now): first record at or after TIME;
#   kcat's s@MS and e@MS;
#   ranges START:END: 0:100, -100:end, @2026-11-01T00:00Z:@2026-11-02 (end exclusive), with
#     and without -e;
#   -o stored.
