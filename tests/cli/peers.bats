#!/usr/bin/env bats
# Real Apache Kafka only: independent clients agree with kpipe, byte for byte.
#
# The peers are kafka-python (helpers/peer_client.py) and Kafka's own tools, run from the
# broker's jars by scripts/kafka.sh run: the console consumer, DumpLogSegments (which reads the
# broker's segment files and prints each batch's producer id, sequence numbers and codec) and
# kafka-transactions' describe-producers. Records are compared in one canonical form (see
# helpers/peer_records.py): partition, offset, timestamp and its type, and base64 of every key,
# value, header name and header value, null kept apart from empty. The console consumer's lines
# are compared as text, built from the same expected records.
#
# start_cluster makes every topic once (on this tier it first deletes all others). Each
# transactional id carries this run's PEERS_RUN: the broker keeps a transactional id's state
# across topic resets, and a transaction that an earlier run left open under the same id would be
# aborted into this run's topic (its marker takes an offset) when the id is used again.
# Timestamps are an hour old, not fixed dates (see peer_records.now_ms).
# bats file_tags=kafka-only

bats_require_minimum_version 1.5.0

setup_file() {
  source "$BATS_TEST_DIRNAME/helpers/cluster.bash"
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  start_cluster --topic big:6 --topic frompy:3 --topic kz:4 --topic pz:4 --topic txn:2 \
    --topic txint:2 --topic idem:2
  export KAFKA_SH="$_KPIPE_REPO_ROOT/scripts/kafka.sh"
  PEERS_RUN="$(date +%s)-$$"
  export PEERS_RUN
}

teardown_file() {
  stop_cluster
}

setup() {
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  T=$BATS_TEST_TMPDIR
  PRODUCER_PID=""
}

teardown() {
  # The interrupted-transaction test keeps kpipe's input open on fd 5.
  exec 5>&- || true
  if [[ -n "${PRODUCER_PID:-}" ]]; then
    _kpipe_stop_pid "$PRODUCER_PID"
  fi
  return 0
}

# ---- helpers ------------------------------------------------------------------------------------

records() { "$KPIPE_TEST_PYTHON" "$KPIPE_CLI_HELPERS/peer_records.py" "$@"; }
peer() { "$KPIPE_TEST_PYTHON" "$KPIPE_CLI_HELPERS/peer_client.py" "$@"; }

# same GOT WANT: passes when the files are byte-identical; else prints both line counts and the
# first differences (cut to 300 characters) and fails.
same() {
  cmp -s "$1" "$2" && return 0
  echo "# $1 ($(wc -l <"$1") lines) differs from $2 ($(wc -l <"$2") lines):"
  diff "$1" "$2" | head -n 12 | cut -c 1-300
  return 1
}

# kpipe_canon OUT ARGS...: kpipe consume -e -J ARGS, in canonical form in OUT.
kpipe_canon() {
  local out=$1
  shift
  kpipe -b "$KPIPE_TEST_BROKERS" consume -e -J "$@" >"$out.json" 2>"$out.err" ||
    { cat "$out.err"; return 1; }
  records canon-kpipe <"$out.json" >"$out"
}

# console_consume TOPIC COUNT OUT [ISOLATION]: Kafka's console consumer reads COUNT records of
# TOPIC from the beginning, printing timestamp, partition, offset, headers, key and value (null
# as "(null)"); without deserializers its formatter writes the raw bytes. OUT gets the lines
# sorted by partition, stably, so each partition's records keep the order it printed them in.
console_consume() {
  local topic=$1 count=$2 out=$3 isolation=${4:-read_uncommitted}
  bash "$KAFKA_SH" run org.apache.kafka.tools.consumer.ConsoleConsumer \
    --bootstrap-server "$KPIPE_TEST_BROKERS" --topic "$topic" --from-beginning \
    --max-messages "$count" --timeout-ms 20000 --isolation-level "$isolation" \
    --property print.timestamp=true --property print.partition=true \
    --property print.offset=true --property print.headers=true --property print.key=true \
    --property 'null.literal=(null)' >"$out.raw" 2>"$out.err" </dev/null 3>&- ||
    { cat "$out.err"; return 1; }
  # It counts what it printed on stderr.
  grep -qx "Processed a total of $count messages" "$out.err" || { cat "$out.err"; return 1; }
  LC_ALL=C sort -s -t $'\t' -k2,2 "$out.raw" >"$out"
}

# dump_batches OUT TOPIC...: Kafka's DumpLogSegments over every segment of every partition of the
# TOPICs, read from the broker's data directory (node 1, which holds every partition on the
# tier's one-node cluster); one JSON line per batch in OUT (peer_records.py batches).
dump_batches() {
  local out=$1 files=() t d
  shift
  for t in "$@"; do
    for d in "$KPIPE_KAFKA_DIR/node-1/data/$t"-*; do
      # Not the directories of deleted topics (TOPIC-P.ID-delete) that Kafka has yet to remove.
      [[ "$d" =~ /$t-[0-9]+$ ]] && files+=("$d"/*.log)
    done
  done
  [ "${#files[@]}" -gt 0 ] || { echo "no segments of $* under $KPIPE_KAFKA_DIR/node-1/data"; return 1; }
  bash "$KAFKA_SH" run kafka.tools.DumpLogSegments --files "$(IFS=,; echo "${files[*]}")" \
    >"$out.txt" 2>"$out.err" </dev/null 3>&- || { cat "$out.err"; return 1; }
  records batches <"$out.txt" >"$out"
}

# latest_total TOPIC: the sum of the topic's high watermarks (read-uncommitted latest offsets).
latest_total() {
  kpipe -b "$KPIPE_TEST_BROKERS" offsets list -t "$1" --format json |
    "$KPIPE_TEST_PYTHON" -c 'import json, sys; print(sum(p["latest"] for p in json.load(sys.stdin)))'
}

# ---- kpipe writes, the peers read ---------------------------------------------------------------

@test "200,000 records from kpipe (keys, headers, timestamps) read back exactly by kafka-python and the console consumer" {
  # Keys go where the Java client's murmur2 partitioner puts them (every 1000th record has no
  # key and an explicit partition); up to four headers, repeated names, null and empty values,
  # multi-byte UTF-8.
  records gen 200000 6 "$T/big" --tag big
  run -0 kpipe -b "$KPIPE_TEST_BROKERS" produce -t big -J <"$T/big.jsonl"

  peer read "$KPIPE_TEST_BROKERS" big >"$T/python"
  same "$T/python" "$T/big.expect"

  console_consume big 200000 "$T/console"
  same "$T/console" "$T/big.console"
}

@test "records from kafka-python (binary keys, values and headers, null header values, tombstones) read by kpipe consume -J byte for byte" {
  peer produce "$KPIPE_TEST_BROKERS" frompy 3 3000 >"$T/want"
  kpipe_canon "$T/got" -t frompy
  same "$T/got" "$T/want"

  # What the set holds, so that it cannot thin out unnoticed: null keys and values, null and
  # empty header values, and bytes that are not UTF-8 (written as {"base64":...} by -J).
  grep -q '"key":null' "$T/got.json"
  grep -q '"value":null' "$T/got.json"
  grep -q '\["null",null\]' "$T/got.json"
  grep -q '\["empty",""\]' "$T/got.json"
  grep -q '"key":{"base64":' "$T/got.json"
  grep -q '\["bin",{"base64":"wyg="}\]' "$T/got.json"
}

# codec_per_partition FILE: every batch in FILE (dump_batches output) has a valid CRC, and
# partition 0 holds only gzip batches, 1 snappy, 2 lz4, 3 zstd.
codec_per_partition() {
  run -0 "$KPIPE_TEST_PYTHON" -c '
import json, sys
codecs = ["gzip", "snappy", "lz4", "zstd"]
seen = {}
for line in open(sys.argv[1]):
    b = json.loads(line)
    assert b["valid"], b
    seen.setdefault(b["partition"], set()).add(b["codec"])
assert seen == {p: {c} for p, c in enumerate(codecs)}, seen
' "$1"
}

@test "every codec from kpipe -z is read by kafka-python and the console consumer; DumpLogSegments shows the codec on every batch" {
  # One partition per codec: partition 0 gzip, 1 snappy, 2 lz4, 3 zstd.
  local codecs=(gzip snappy lz4 zstd) i
  : >"$T/want"
  for i in 0 1 2 3; do
    records gen 20000 4 "$T/kz$i" --tag "z${codecs[$i]}" --partition "$i"
    cat "$T/kz$i.expect" >>"$T/want"
    run -0 kpipe -b "$KPIPE_TEST_BROKERS" produce -t kz -J -z "${codecs[$i]}" <"$T/kz$i.jsonl"
  done
  records console "$T/want" >"$T/want.console"

  peer read "$KPIPE_TEST_BROKERS" kz >"$T/python"
  same "$T/python" "$T/want"
  console_consume kz 80000 "$T/console"
  same "$T/console" "$T/want.console"

  # The batches as the broker stored them: each partition's codec, on every batch.
  dump_batches "$T/batches" kz
  codec_per_partition "$T/batches"
}

@test "every codec from kafka-python (compression_type) is read by kpipe byte for byte; DumpLogSegments shows the codec" {
  local codecs=(gzip snappy lz4 zstd) i
  : >"$T/want"
  for i in 0 1 2 3; do
    peer produce "$KPIPE_TEST_BROKERS" pz 4 5000 --compression "${codecs[$i]}" --partition "$i" \
      --tag "p${codecs[$i]}" >>"$T/want"
  done
  kpipe_canon "$T/got" -t pz
  same "$T/got" "$T/want"
  [ "$(wc -l <"$T/got")" -eq 20000 ]

  dump_batches "$T/batches" pz
  codec_per_partition "$T/batches"
}

@test "Kafka's console producer writes keys, headers and every codec; kpipe consume -J reads them exactly" {
  local codec i
  for codec in gzip snappy lz4 zstd; do
    # Lines as ConsoleProducer parses them with parse.headers and parse.key: headers (NAME:VALUE,
    # comma separated), a tab, the key, a tab, the value. UTF-8 beyond ASCII in all three.
    for ((i = 0; i < 3000; i++)); do
      printf 'src:console,n:%d\tk-%s-%d\tvalue %d %s é€𝄞\n' "$i" "$codec" "$i" "$i" "$codec"
    done >"$T/console-in-$codec"
    create_topic "cp-$codec" 1
    # --compression-codec, not compression.type in --producer-property: ConsoleProducer sets
    # compression.type from its own option (default none) over the property.
    bash "$KAFKA_SH" run org.apache.kafka.tools.ConsoleProducer \
      --bootstrap-server "$KPIPE_TEST_BROKERS" --topic "cp-$codec" \
      --compression-codec "$codec" --producer-property acks=all \
      --property parse.key=true --property parse.headers=true \
      <"$T/console-in-$codec" >"$T/console-out" 2>&1 3>&- || { cat "$T/console-out"; return 1; }
    kpipe -b "$KPIPE_TEST_BROKERS" consume -t "cp-$codec" -e -J >"$T/cp-$codec.json"
    # Every record, in order, with its key, value and both headers, byte for byte.
    "$KPIPE_TEST_PYTHON" - "$T/console-in-$codec" "$T/cp-$codec.json" <<'PY'
import json, sys
want = []
for line in open(sys.argv[1], encoding="utf-8"):
    headers, key, value = line.rstrip("\n").split("\t")
    want.append((key, value, [h.split(":", 1) for h in headers.split(",")]))
got = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
assert [g["offset"] for g in got] == list(range(len(want))), "offsets"
assert [(g["key"], g["value"], g["headers"]) for g in got] == want, "records differ"
PY
    # The console producer really compressed with that codec: every batch says so.
    dump_batches "$T/batches-$codec" "cp-$codec"
    run -0 "$KPIPE_TEST_PYTHON" -c '
import json, sys
codecs = {json.loads(l)["codec"] for l in open(sys.argv[1])}
assert codecs == {sys.argv[2]}, codecs
' "$T/batches-$codec" "$codec"
  done
}

# ---- transactions and idempotence ---------------------------------------------------------------

@test "transactions: committed ones are read by every reader, aborted ones (kpipe on bad input, kafka-python) only by read_uncommitted readers" {
  local s
  for s in A:1000 B:500 P:300 Q:200 D:1000; do
    records gen "${s#*:}" 2 "$T/${s%:*}" --tag "txn${s%:*}"
  done
  # A: kpipe, committed.
  run -0 kpipe -b "$KPIPE_TEST_BROKERS" produce -t txn -J --transactional-id "peers-$PEERS_RUN-a" \
    <"$T/A.jsonl"
  # B: kpipe, 500 records sent, then a malformed line: the transaction is aborted (exit 1).
  { cat "$T/B.jsonl"; echo '{"value": broken'; } >"$T/B.bad"
  run -1 --separate-stderr kpipe -b "$KPIPE_TEST_BROKERS" produce -t txn -J \
    --transactional-id "peers-$PEERS_RUN-b" <"$T/B.bad"
  # shellcheck disable=SC2154  # $stderr is set by run --separate-stderr.
  [[ "$stderr" == *"line 501: "* ]]
  [[ "$stderr" == *"the transaction was aborted"* ]]
  # P: kafka-python, aborted after every record was acknowledged; Q: kafka-python, committed.
  peer produce-file "$KPIPE_TEST_BROKERS" txn "$T/P.jsonl" --transactional-id "peers-$PEERS_RUN-p" --abort
  peer produce-file "$KPIPE_TEST_BROKERS" txn "$T/Q.jsonl" --transactional-id "peers-$PEERS_RUN-q"
  # D: kpipe again under A's transactional id (a new epoch), committed.
  run -0 kpipe -b "$KPIPE_TEST_BROKERS" produce -t txn -J --transactional-id "peers-$PEERS_RUN-a" \
    <"$T/D.jsonl"

  # Every record at the offset Kafka gives it: each transaction is followed by its marker on
  # every partition it wrote to.
  records txn "$T/want" "$T/A.expect:commit" "$T/B.expect:abort" "$T/P.expect:abort" \
    "$T/Q.expect:commit" "$T/D.expect:commit"
  [ "$(wc -l <"$T/want.committed")" -eq 2200 ]
  [ "$(wc -l <"$T/want.uncommitted")" -eq 3000 ]
  records console "$T/want.committed" >"$T/want.committed.console"
  records console "$T/want.uncommitted" >"$T/want.uncommitted.console"

  peer read "$KPIPE_TEST_BROKERS" txn --isolation read_committed >"$T/py.committed"
  same "$T/py.committed" "$T/want.committed"
  peer read "$KPIPE_TEST_BROKERS" txn --isolation read_uncommitted >"$T/py.uncommitted"
  same "$T/py.uncommitted" "$T/want.uncommitted"

  console_consume txn 2200 "$T/cc.committed" read_committed
  same "$T/cc.committed" "$T/want.committed.console"
  console_consume txn 3000 "$T/cc.uncommitted" read_uncommitted
  same "$T/cc.uncommitted" "$T/want.uncommitted.console"

  # kpipe's default isolation is read-committed.
  kpipe_canon "$T/kp.committed" -t txn
  same "$T/kp.committed" "$T/want.committed"
  kpipe_canon "$T/kp.uncommitted" -t txn --isolation read-uncommitted
  same "$T/kp.uncommitted" "$T/want.uncommitted"
}

@test "transactions: SIGINT while the input is open and idle ends kpipe at once (130) and aborts the transaction" {
  records gen 200 2 "$T/C" --tag txnC
  mkfifo "$T/fifo"
  "$KPIPE_BIN" -b "$KPIPE_TEST_BROKERS" produce -t txint -J \
    --transactional-id "peers-$PEERS_RUN-c" <"$T/fifo" >"$T/out" 2>"$T/err" 3>&- &
  PRODUCER_PID=$!
  # The writer stays open, as a pipeline's writer that has nothing more to say.
  exec 5>"$T/fifo"
  cat "$T/C.jsonl" >&5
  # Wait until the broker holds all 200 records of the open transaction.
  local i
  for ((i = 0; i < 100; i++)); do
    [ "$(latest_total txint)" -ge 200 ] && break
    sleep 0.1
  done
  [ "$(latest_total txint)" -eq 200 ]

  kill -INT "$PRODUCER_PID"
  # The man page: on SIGINT kpipe stops reading and aborts the transaction; exit 130.
  for ((i = 0; i < 50; i++)); do
    _kpipe_pid_alive "$PRODUCER_PID" || break
    sleep 0.1
  done
  if _kpipe_pid_alive "$PRODUCER_PID"; then
    echo "kpipe still running 5 s after SIGINT while its input was open; stderr:"
    cat "$T/err"
    return 1
  fi
  local rc=0
  wait "$PRODUCER_PID" || rc=$?
  PRODUCER_PID=""
  exec 5>&-
  cat "$T/err"
  [ "$rc" -eq 130 ]
  grep -q "the transaction is aborted" "$T/err"

  # The 200 records and one abort marker per partition: read_committed readers see nothing,
  # read_uncommitted ones see all 200 at their offsets.
  records txn "$T/want" "$T/C.expect:abort"
  peer read "$KPIPE_TEST_BROKERS" txint --isolation read_committed >"$T/py.committed"
  [ ! -s "$T/py.committed" ]
  peer read "$KPIPE_TEST_BROKERS" txint --isolation read_uncommitted >"$T/py.uncommitted"
  same "$T/py.uncommitted" "$T/want.uncommitted"
  kpipe_canon "$T/kp.committed" -t txint
  [ ! -s "$T/kp.committed" ]
  [ "$(latest_total txint)" -eq 202 ]
}

@test "idempotence: each kpipe run writes under its own producer id, sequences from 0 with no gap or duplicate; DescribeProducers agrees" {
  # Two runs, many batches each (--batch-records), so the sequence numbers span batches and
  # producer sessions.
  records gen 30000 2 "$T/I1" --tag idem1
  records gen 5000 2 "$T/I2" --tag idem2
  run -0 kpipe -b "$KPIPE_TEST_BROKERS" produce -t idem -J --batch-records 250 <"$T/I1.jsonl"
  run -0 kpipe -b "$KPIPE_TEST_BROKERS" produce -t idem -J --batch-records 100 <"$T/I2.jsonl"

  # Every record once, at its exact offset (no duplicate, no gap), read by kafka-python.
  records txn "$T/want" "$T/I1.expect:plain" "$T/I2.expect:plain"
  peer read "$KPIPE_TEST_BROKERS" idem >"$T/python"
  same "$T/python" "$T/want.uncommitted"

  dump_batches "$T/batches" idem
  peer producers "$KPIPE_TEST_BROKERS" idem 2 >"$T/described"
  # Kafka's own tool too (one partition: each run starts a JVM).
  bash "$KAFKA_SH" run org.apache.kafka.tools.TransactionsCommand \
    --bootstrap-server "$KPIPE_TEST_BROKERS" describe-producers --topic idem --partition 0 \
    >"$T/tool" 2>"$T/tool.err" </dev/null 3>&- || { cat "$T/tool.err"; return 1; }

  run -0 "$KPIPE_TEST_PYTHON" - "$T/batches" "$T/described" "$T/tool" "$T/I1.expect" \
    "$T/I2.expect" <<'EOF'
import json, sys
from collections import Counter, defaultdict

batches_path, described_path, tool_path, run1, run2 = sys.argv[1:]
# Records each run wrote to each partition.
runs = []
for path in (run1, run2):
    runs.append(Counter(json.loads(line)["p"] for line in open(path)))
batches = defaultdict(list)
for line in open(batches_path):
    b = json.loads(line)
    batches[b["partition"]].append(b)
assert sorted(batches) == [0, 1], sorted(batches)
last_sequence = {}
pids = []
for p, bs in sorted(batches.items()):
    bs.sort(key=lambda b: b["base_offset"])
    # The log: offsets from 0 without a gap, ending where both runs' records end.
    next_offset = 0
    for b in bs:
        assert b["valid"] and not b["transactional"] and not b["control"], b
        assert b["base_offset"] == next_offset, (p, b, next_offset)
        assert b["count"] == b["last_offset"] - b["base_offset"] + 1, b
        next_offset = b["last_offset"] + 1
    assert next_offset == runs[0][p] + runs[1][p], (p, next_offset)
    # Each run: one producer id (the runs' ids differ), epoch 0, sequences 0, 1, 2, ... across
    # its batches, as many as it wrote to the partition.
    by_pid = defaultdict(list)
    order = []
    for b in bs:
        if b["producer_id"] not in by_pid:
            order.append(b["producer_id"])
        by_pid[b["producer_id"]].append(b)
    assert len(order) == 2 and order[0] >= 0 and order[1] >= 0, order
    pids.append(order)
    for run, pid in enumerate(order):
        seq = 0
        assert len(by_pid[pid]) > 1, (p, pid, "one batch only")
        for b in by_pid[pid]:
            assert b["producer_epoch"] == 0, b
            assert b["base_sequence"] == seq, (p, b, seq)
            assert b["last_sequence"] == b["base_sequence"] + b["count"] - 1, b
            seq = b["last_sequence"] + 1
        assert seq == runs[run][p], (p, pid, seq, runs[run][p])
        last_sequence[(p, pid)] = seq - 1
# The same two producer ids on both partitions, in the same order.
assert pids[0] == pids[1], pids

# DescribeProducers (kafka-python's admin client): the broker's producer state per partition
# holds each run's producer id with its last sequence: records - 1.
for line in open(described_path):
    d = json.loads(line)
    got = {(d["partition"], s["producer_id"]): s["last_sequence"] for s in d["producers"]}
    want = {k: v for k, v in last_sequence.items() if k[0] == d["partition"]}
    assert got == want, (got, want)
    assert all(s["producer_epoch"] == 0 and s["current_transaction_start_offset"] == -1
               for s in d["producers"]), d

# kafka-transactions describe-producers, partition 0: a header line, then ProducerId,
# ProducerEpoch, LatestCoordinatorEpoch, LastSequence, ... per producer.
rows = [l.split() for l in open(tool_path) if l.strip()]
assert rows[0][:4] == ["ProducerId", "ProducerEpoch", "LatestCoordinatorEpoch", "LastSequence"], rows
got = {(0, int(r[0])): int(r[3]) for r in rows[1:]}
want = {k: v for k, v in last_sequence.items() if k[0] == 0}
assert got == want, (got, want)
print("producers", pids[0], "last sequences", sorted(last_sequence.items()))
EOF
  echo "$output"
}
