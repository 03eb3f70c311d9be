#!/usr/bin/env bats
# kpipe produce against the reference broker (librdkafka's mock cluster, or a real Kafka): volume
# in every codec, murmur2 partitioning as the Java client and librdkafka do it, exact bytes for
# every input form, input errors, transactions and idempotence, faults while producing (mock
# only), --dry-run, --tee, --stats.
#
# Records are read back by two other clients: kcat (-X check.crcs=true) and kafka-python
# (helpers/read_topic.py, which prints bytes as base64 so that comparisons are exact).
#
# On real Kafka there is no fault injection (those tests are mock-only), but the broker judges
# what the mock lets pass: idempotent sequence numbers of every producer, the last stable offset
# and aborted transactions for read-committed readers (the kafka-only tests below).
#
# What the mock cannot show, and why some checks are shaped as they are:
# - It keeps at most 5 MiB and 100,000 records per partition (older ones are dropped), so big
#   runs are spread over many partitions or use small batches.
# - It checks idempotent sequence numbers only for transactional producers
#   (rd_kafka_mock_validate_records returns early without a transactional id), so for a plain
#   idempotent producer it would neither drop a duplicate nor refuse a batch that overtook a
#   failed one (KIP-98). The order and exactly-once checks below hold because kpipe itself keeps
#   one batch per partition in flight; the transactional test is the one the mock also judges.
# - It advertises Metadata v0-2 only, where a request for an unknown topic creates it.

bats_require_minimum_version 1.5.0

setup_file() {
  source "$BATS_TEST_DIRNAME/helpers/cluster.bash"
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  start_cluster --brokers 3

  # 1,000,000 lines of 100 bytes, each starting with its line number, so that every line is
  # unique and its input position can be read back from the topic. Fixed seed: the same bytes
  # on every run, so compression ratios are stable.
  export LINES_1M="$BATS_FILE_TMPDIR/lines-1m.txt"
  export LINES_200K="$BATS_FILE_TMPDIR/lines-200k.txt"
  export LINES_100K="$BATS_FILE_TMPDIR/lines-100k.txt"
  awk -v n=1000000 'BEGIN {
    srand(42)
    for (i = 1; i <= n; i++) {
      s = sprintf("line %07d", i)
      while (length(s) < 100) s = s " " int(rand() * 1e9)
      print substr(s, 1, 100)
    }
  }' >"$LINES_1M"
  head -n 200000 "$LINES_1M" >"$LINES_200K"
  head -n 100000 "$LINES_1M" >"$LINES_100K"
}

teardown_file() {
  stop_cluster
}

setup() {
  source "$BATS_TEST_DIRNAME/helpers/kpipe.bash"
  PRODUCER_PID=""
}

teardown() {
  # A test that failed half-way must not leave a producer blocked on its FIFO, nor a fault in
  # place for the tests after it.
  if [[ -n "${PRODUCER_PID:-}" ]]; then
    exec 5>&- || true
    kill "$PRODUCER_PID" 2>/dev/null || true
    wait "$PRODUCER_PID" 2>/dev/null || true
  fi
  if [[ -n "${FAULTS_INJECTED:-}" ]]; then
    cluster_control broker-up -1 || true
    cluster_control clear-errors 0 || true
  fi
}

# ---- helpers ------------------------------------------------------------------------------------

# spread_leaders TOPIC PARTITIONS: partition P led by broker P % 3 + 1 (the mock picks leaders
# at random), so that every broker leads some partitions when a fault hits one of them.
spread_leaders() {
  local p
  for ((p = 0; p < $2; p++)); do
    cluster_control leader "$1" "$p" $((p % 3 + 1))
  done
}

# kcat_lines TOPIC OUT: every record of TOPIC as "PARTITION OFFSET VALUE", CRCs checked.
kcat_lines() {
  timeout 120 kcat -b "$KPIPE_TEST_BROKERS" -C -t "$1" -o beginning -e -q \
    -X check.crcs=true -f '%p %o %s\n' >"$2"
}

# check_lines INPUT KCAT_OUT: compares what kcat read (kcat_lines) with the input lines:
#   records N missing M duplicates D unknown U disorder X
#   partitions P min A max B
# disorder counts records that follow a later input line within their partition.
check_lines() {
  python3 - "$1" "$2" <<'EOF'
import sys
from collections import defaultdict

index = {}
with open(sys.argv[1], "rb") as f:
    for i, line in enumerate(f):
        index[line.rstrip(b"\n")] = i
seen = bytearray(len(index))
parts = defaultdict(list)
unknown = 0
with open(sys.argv[2], "rb") as f:
    for line in f:
        p, o, v = line.rstrip(b"\n").split(b" ", 2)
        i = index.get(v)
        if i is None:
            unknown += 1
            continue
        seen[i] = min(seen[i] + 1, 255)
        parts[int(p)].append((int(o), i))
missing = seen.count(0)
duplicates = sum(c - 1 for c in seen if c > 1)
disorder = 0
for recs in parts.values():
    recs.sort()
    disorder += sum(1 for a, b in zip(recs, recs[1:]) if b[1] <= a[1])
counts = [len(r) for r in parts.values()] or [0]
print("records %d missing %d duplicates %d unknown %d disorder %d"
      % (sum(counts) + unknown, missing, duplicates, unknown, disorder))
print("partitions %d min %d max %d" % (len(parts), min(counts), max(counts)))
EOF
}

# read_topic TOPIC OUT: the topic through kafka-python (helpers/read_topic.py).
read_topic() {
  "$KPIPE_TEST_PYTHON" "$KPIPE_CLI_HELPERS/read_topic.py" "$KPIPE_TEST_BROKERS" "$1" --timeout 120 >"$2"
}

# same_records KCAT_OUT READ_TOPIC_OUT: prints "same N" when both clients saw the same values
# at the same partitions and offsets (keys null, no headers), else what differs.
same_records() {
  python3 - "$1" "$2" <<'EOF'
import base64, json, sys

kcat = {}
with open(sys.argv[1], "rb") as f:
    for line in f:
        p, o, v = line.rstrip(b"\n").split(b" ", 2)
        kcat[(int(p), int(o))] = v
python = {}
odd = 0
with open(sys.argv[2]) as f:
    for line in f:
        r = json.loads(line)
        python[(r["partition"], r["offset"])] = base64.b64decode(r["value"])
        odd += r["key"] is not None or r["headers"] != []
if kcat == python and odd == 0:
    print("same %d" % len(kcat))
else:
    diff = [k for k in set(kcat) | set(python) if kcat.get(k) != python.get(k)]
    print("differ: kcat %d, kafka-python %d, %d positions differ (e.g. %s), %d with key/headers"
          % (len(kcat), len(python), len(diff), sorted(diff)[:3], odd))
EOF
}

# records TOPIC [ts]: the topic through kafka-python, one line per record in partition and
# offset order: "PARTITION KEY VALUE HEADERS [TIMESTAMP]", bytes as Python literals (None: null).
records() {
  local raw="$BATS_TEST_TMPDIR/records.$1.jsonl"
  read_topic "$1" "$raw"
  python3 - "${2:-}" "$raw" <<'EOF'
import base64, json, sys

def b(x):
    return None if x is None else base64.b64decode(x)

for line in open(sys.argv[2]):
    r = json.loads(line)
    fields = [str(r["partition"]), repr(b(r["key"])), repr(b(r["value"])),
              repr([(b(k), b(v)) for k, v in r["headers"]])]
    if sys.argv[1] == "ts":
        fields.append(str(r["timestamp"]))
    print(" ".join(fields))
EOF
}

# expect_records TOPIC [ts] <<< EXPECTED: the topic holds exactly these records (see records).
expect_records() {
  local expected actual
  expected=$(cat)
  actual=$(records "$@")
  if [[ "$actual" != "$expected" ]]; then
    echo "# topic $1 differs from what was expected (< expected, > actual):"
    diff <(printf '%s\n' "$expected") <(printf '%s\n' "$actual") | head -n 40 | sed 's/^/#   /'
    return 1
  fi
}

# record_count TOPIC: how many records kcat reads from TOPIC.
record_count() {
  timeout 60 kcat -b "$KPIPE_TEST_BROKERS" -C -t "$1" -o beginning -e -q -f '.\n' | wc -l
}

# producer_start ARGS...: kpipe produce in the background, its stdin a FIFO that this shell
# holds on fd 5 (write parts of the input with >&5); stdout/stderr in $BATS_TEST_TMPDIR.
producer_start() {
  local fifo="$BATS_TEST_TMPDIR/input.fifo"
  mkfifo "$fifo"
  "$KPIPE_BIN" produce -b "$KPIPE_TEST_BROKERS" "$@" <"$fifo" >"$BATS_TEST_TMPDIR/producer.out" \
    2>"$BATS_TEST_TMPDIR/producer.err" 3>&- &
  PRODUCER_PID=$!
  exec 5>"$fifo"
}

# producer_wait: ends the input (if producer_start made one) and waits; sets status, and
# stderr to what the producer printed there.
producer_wait() {
  exec 5>&-
  status=0
  wait "$PRODUCER_PID" || status=$?
  PRODUCER_PID=""
  stderr=$(cat "$BATS_TEST_TMPDIR/producer.err")
  echo "# kpipe exit $status; stderr:"
  sed 's/^/#   /' "$BATS_TEST_TMPDIR/producer.err"
}

# The count in kpipe's closing "N of M records not delivered" line.
not_delivered_count() {
  sed -n 's/^kpipe: produce: \([0-9]*\) of [0-9]* records not delivered.*/\1/p' <<<"$1"
}

# ms_now: milliseconds since the epoch, for timings on fd 3.
ms_now() { date +%s%3N; }

# ---- a. volume: every line exactly once, in order per partition, in every codec ---------------

@test "1,000,000 lines round-robin over 64 partitions: each exactly once, in input order per partition" {
  create_topic volume-none 64
  local t0 t1 t2
  t0=$(ms_now)
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t volume-none \
    --partitioner roundrobin --stats <"$LINES_1M"
  t1=$(ms_now)
  echo "$stderr"
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"1000000 records delivered"* ]]

  kcat_lines volume-none "$BATS_TEST_TMPDIR/kcat.txt"
  run check_lines "$LINES_1M" "$BATS_TEST_TMPDIR/kcat.txt"
  t2=$(ms_now)
  echo "$output"
  [ "${lines[0]}" = "records 1000000 missing 0 duplicates 0 unknown 0 disorder 0" ]
  # Round-robin: 1,000,000 / 64 = 15,625 in every partition.
  [ "${lines[1]}" = "partitions 64 min 15625 max 15625" ]
  echo "# 1M lines uncompressed: produce $((t1 - t0)) ms, read back and check $((t2 - t1)) ms" >&3
}

# produce_codec CODEC TOPIC: 200,000 lines with -z CODEC round-robin over 64 partitions, checked
# with kcat; the stats must show that the batches were really compressed. Leaves the kcat
# output in $BATS_TEST_TMPDIR/kcat.txt.
produce_codec() {
  local codec=$1 topic=$2 t0 t1 t2
  create_topic "$topic" 64
  t0=$(ms_now)
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t "$topic" -z "$codec" \
    --partitioner roundrobin --stats <"$LINES_200K"
  t1=$(ms_now)
  echo "$stderr"
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"200000 records delivered"* ]]
  # "(12.34 MB in ..." is the batch bytes on the wire. Uncompressed batches of this input are
  # 22.0 MB (20.2 MB of values plus the framing of each record), so anything below the values'
  # own 20.2 MB was compressed. (Snappy does least here, 17.8-18.3 MB: the smaller the batches,
  # which depends on how fast the broker answers, the less it saves.)
  local mb
  mb=$(sed -n 's/.*records delivered (\([0-9.]*\) MB in.*/\1/p' <<<"$stderr")
  echo "$codec: $mb MB on the wire for 20.2 MB of input"
  python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < 20.2 else 1)' "$mb"

  kcat_lines "$topic" "$BATS_TEST_TMPDIR/kcat.txt"
  run check_lines "$LINES_200K" "$BATS_TEST_TMPDIR/kcat.txt"
  t2=$(ms_now)
  echo "$output"
  [ "${lines[0]}" = "records 200000 missing 0 duplicates 0 unknown 0 disorder 0" ]
  [ "${lines[1]}" = "partitions 64 min 3125 max 3125" ]
  echo "# 200k lines $codec: produce $((t1 - t0)) ms, kcat check $((t2 - t1)) ms" >&3
}

# python_reads_back CODEC TOPIC: after produce_codec, kafka-python reads TOPIC and finds the
# same records as kcat did.
python_reads_back() {
  local codec=$1 topic=$2 t0
  t0=$(ms_now)
  read_topic "$topic" "$BATS_TEST_TMPDIR/python.jsonl"
  run same_records "$BATS_TEST_TMPDIR/kcat.txt" "$BATS_TEST_TMPDIR/python.jsonl"
  echo "$output"
  [ "$output" = "same 200000" ]
  echo "# 200k lines $codec: kafka-python read and compare $(($(ms_now) - t0)) ms" >&3
}

# 5 x 1M lines took well over a minute here (kafka-python alone decodes ~25k records/s), so
# the codecs get 200,000 lines each; the uncompressed run above has the full million.
@test "200,000 lines with -z gzip: kcat and kafka-python both read every line back" {
  produce_codec gzip volume-gzip
  python_reads_back gzip volume-gzip
}

@test "200,000 lines with -z snappy: kcat and kafka-python both read every line back" {
  produce_codec snappy volume-snappy
  python_reads_back snappy volume-snappy
}

@test "200,000 lines with -z lz4: kcat and kafka-python both read every line back" {
  produce_codec lz4 volume-lz4
  python_reads_back lz4 volume-lz4
}

@test "200,000 lines with -z zstd: kcat and kafka-python both read every line back" {
  produce_codec zstd volume-zstd
  python_reads_back zstd volume-zstd
}

# ---- b. keyed records: the same partition as librdkafka's murmur2 -----------------------------

@test "2,000 keys land in the same partitions with kpipe -K as with kcat's murmur2 partitioner" {
  create_topic keys-kpipe 12
  create_topic keys-kcat 12
  local in="$BATS_TEST_TMPDIR/keys.txt"
  # Distinct keys of 1 to 30 bytes (every murmur2 tail length), ASCII and multi-byte UTF-8.
  python3 - "$in" <<'EOF'
import random, sys
random.seed(11)
alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_.éü€"
with open(sys.argv[1], "w", encoding="utf-8") as f:
    for i in range(2000):
        if i % 2:
            key = "key-%d" % i
        else:
            key = "".join(random.choice(alphabet) for _ in range(random.randint(0, 24))) + str(i)
        f.write("%s:value %d\n" % (key, i))
EOF
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t keys-kpipe -K : <"$in"
  [ "$status" -eq 0 ]
  run kcat -b "$KPIPE_TEST_BROKERS" -P -t keys-kcat -K : -X partitioner=murmur2_random <"$in"
  [ "$status" -eq 0 ]

  timeout 60 kcat -b "$KPIPE_TEST_BROKERS" -C -t keys-kpipe -o beginning -e -q -f '%k %p\n' |
    sort >"$BATS_TEST_TMPDIR/kpipe.txt"
  timeout 60 kcat -b "$KPIPE_TEST_BROKERS" -C -t keys-kcat -o beginning -e -q -f '%k %p\n' |
    sort >"$BATS_TEST_TMPDIR/kcat.txt"
  [ "$(wc -l <"$BATS_TEST_TMPDIR/kpipe.txt")" -eq 2000 ]
  [ "$(cut -d' ' -f1 "$BATS_TEST_TMPDIR/kpipe.txt" | sort -u | wc -l)" -eq 2000 ]
  diff "$BATS_TEST_TMPDIR/kcat.txt" "$BATS_TEST_TMPDIR/kpipe.txt"
  # And the keys are spread: every partition got some.
  [ "$(cut -d' ' -f2 "$BATS_TEST_TMPDIR/kpipe.txt" | sort -u | wc -l)" -eq 12 ]
}

# ---- c. edge input round-trips exactly ---------------------------------------------------------

@test "-K splits at the first delimiter: the value keeps later ones; no delimiter means no key" {
  create_topic edge-key 1
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t edge-key -K : \
    < <(printf 'k1:v:1\nk2::\nnokey\n:v4\nk5:\n')
  [ "$status" -eq 0 ]
  expect_records edge-key <<'EOF'
0 b'k1' b'v:1' []
0 b'k2' b':' []
0 None b'nokey' []
0 b'' b'v4' []
0 b'k5' b'' []
EOF
}

@test "multi-byte -D: '||' and '\\r\\n' split exactly, with empty records and a partial delimiter" {
  create_topic edge-pipes 1
  create_topic edge-crlf 1
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t edge-pipes -D '||' \
    < <(printf 'a||b|c||||d|')
  [ "$status" -eq 0 ]
  expect_records edge-pipes <<'EOF'
0 None b'a' []
0 None b'b|c' []
0 None b'' []
0 None b'd|' []
EOF
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t edge-crlf -D '\r\n' \
    < <(printf 'x\r\ny\r\r\n\r\nz\n\r\n')
  [ "$status" -eq 0 ]
  expect_records edge-crlf <<'EOF'
0 None b'x' []
0 None b'y\r' []
0 None b'' []
0 None b'z\n' []
EOF
}

@test "multi-byte -D over 1 MB of random records: every record exact across read boundaries" {
  local delim
  for delim in '||' '\r\n'; do
    local topic="edge-random-${#delim}-$RANDOM"
    create_topic "$topic" 1
    # Values made of the delimiter's own bytes and others, never containing the delimiter and
    # never ending with its first byte (which would make the split ambiguous). Built so (no
    # delimiter's second byte right after its first) rather than drawn and thrown away, which
    # left mostly short values: 3,000 values of 0-800 bytes, ~1.2 MB.
    python3 - "$delim" "$BATS_TEST_TMPDIR/in.bin" "$BATS_TEST_TMPDIR/expected.txt" <<'EOF'
import random, sys
delim = sys.argv[1].replace("\\r", "\r").replace("\\n", "\n").encode()
assert len(delim) == 2
random.seed(3)
alphabet = delim + b"ab\t \xff\x00"
values = []
for _ in range(3000):
    v = bytearray()
    for _ in range(random.randrange(0, 800)):
        c = random.choice(alphabet)
        v.append(ord("a") if v and v[-1] == delim[0] and c == delim[1] else c)
    if v.endswith(delim[:1]):
        v.append(ord("b"))
    values.append(bytes(v))
values[-1] = b"last"
assert not any(delim in v for v in values) and sum(map(len, values)) > 1000000
open(sys.argv[2], "wb").write(delim.join(values))
with open(sys.argv[3], "w") as f:
    for v in values:
        f.write("0 None %r []\n" % (v,))
EOF
    # Through a pipe, so that the input arrives in pieces of whatever size the pipe gives.
    run --separate-stderr bash -c 'cat "$1" | "$KPIPE_BIN" produce -b "$2" -t "$3" -D "$4"' _ \
      "$BATS_TEST_TMPDIR/in.bin" "$KPIPE_TEST_BROKERS" "$topic" "$delim"
    [ "$status" -eq 0 ]
    expect_records "$topic" <"$BATS_TEST_TMPDIR/expected.txt"
  done
}

@test "empty lines are empty values; -Z sends empty keys and values as null" {
  create_topic edge-empty 1
  create_topic edge-null 1
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t edge-empty -K : \
    < <(printf 'a\n\nb\nk:\n:\n')
  [ "$status" -eq 0 ]
  expect_records edge-empty <<'EOF'
0 None b'a' []
0 None b'' []
0 None b'b' []
0 b'k' b'' []
0 b'' b'' []
EOF
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t edge-null -K : -Z \
    < <(printf 'a\n\nb\nk:\n:\n')
  [ "$status" -eq 0 ]
  expect_records edge-null <<'EOF'
0 None b'a' []
0 None None []
0 None b'b' []
0 b'k' None []
0 None None []
EOF
}

@test "a last line without a newline is a record; a final newline adds none" {
  create_topic edge-last 1
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t edge-last < <(printf 'first\nlast')
  [ "$status" -eq 0 ]
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t edge-last < <(printf 'again\n')
  [ "$status" -eq 0 ]
  expect_records edge-last <<'EOF'
0 None b'first' []
0 None b'last' []
0 None b'again' []
EOF
}

@test "-D '\\0' carries binary values with every other byte, newlines included" {
  create_topic edge-binary 1
  python3 - "$BATS_TEST_TMPDIR/in.bin" "$BATS_TEST_TMPDIR/expected.txt" <<'EOF'
import random, sys
random.seed(5)
every = bytes(range(1, 256))
values = [every, every[::-1], b"", b"\n\r\t\n"]
values += [bytes(random.randrange(1, 256) for _ in range(random.randrange(0, 3000)))
           for _ in range(300)]
values.append(b"\xff\xfe end")
open(sys.argv[1], "wb").write(b"\0".join(values))
with open(sys.argv[2], "w") as f:
    for v in values:
        f.write("0 None %r []\n" % (v,))
EOF
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t edge-binary -D '\0' \
    <"$BATS_TEST_TMPDIR/in.bin"
  [ "$status" -eq 0 ]
  expect_records edge-binary <"$BATS_TEST_TMPDIR/expected.txt"
}

@test "-J envelopes: base64 bytes, null keys and values, headers with nulls and duplicates, timestamps, partitions" {
  create_topic edge-json 3
  cat >"$BATS_TEST_TMPDIR/in.jsonl" <<'EOF'
{"value":{"base64":"AAEC/w=="},"key":null,"partition":1,"timestamp":1600000000000}
{"key":"k","value":"v","headers":[["h",null],["h","1"],["h","2"],["bin",{"base64":"AP8="}]],"timestamp":1600000000001,"partition":2}
{"value":null,"key":"tomb","partition":1,"timestamp":1600000000002}
{"key":{"base64":"/w=="},"value":"x","timestamp":1700000000123,"partition":0,"headers":[]}
{"topic":"elsewhere","partition":2,"offset":99,"timestamp":1,"timestamp_type":"create","key":"é","value":{"hex":"00ff"},"headers":[["e",""]],"leader_epoch":7}
EOF
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t edge-json -J \
    <"$BATS_TEST_TMPDIR/in.jsonl"
  echo "$stderr"
  [ "$status" -eq 0 ]
  expect_records edge-json ts <<'EOF'
0 b'\xff' b'x' [] 1700000000123
1 None b'\x00\x01\x02\xff' [] 1600000000000
1 b'tomb' None [] 1600000000002
2 b'k' b'v' [(b'h', None), (b'h', b'1'), (b'h', b'2'), (b'bin', b'\x00\xff')] 1600000000001
2 b'\xc3\xa9' b'\x00\xff' [(b'e', b'')] 1
EOF
}

@test "-H adds static headers (K alone: null) and -k a key to every record without -K's key" {
  create_topic edge-headers 1
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t edge-headers -k fixed -K : \
    -H trace=abc -H empty= -H nullh -H trace=again < <(printf 'a\nb:c\n')
  [ "$status" -eq 0 ]
  expect_records edge-headers <<'EOF'
0 b'fixed' b'a' [(b'trace', b'abc'), (b'empty', b''), (b'nullh', None), (b'trace', b'again')]
0 b'b' b'c' [(b'trace', b'abc'), (b'empty', b''), (b'nullh', None), (b'trace', b'again')]
EOF
}

@test "file arguments: one record per file, binary and empty files exact; -l splits them like stdin" {
  create_topic edge-files 1
  create_topic edge-files-l 1
  local d="$BATS_TEST_TMPDIR"
  printf 'hello\nworld\n' >"$d/text"
  python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)))' >"$d/binary"
  : >"$d/empty"
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t edge-files \
    "$d/text" "$d/binary" "$d/empty"
  [ "$status" -eq 0 ]
  {
    echo "0 None b'hello\\nworld\\n' []"
    python3 -c 'print("0 None %r []" % (bytes(range(256)),))'
    echo "0 None b'' []"
  } | expect_records edge-files

  printf 'a\nb\n' >"$d/one"
  printf 'c\nd' >"$d/two"
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t edge-files-l -l "$d/one" "$d/two"
  [ "$status" -eq 0 ]
  expect_records edge-files-l <<'EOF'
0 None b'a' []
0 None b'b' []
0 None b'c' []
0 None b'd' []
EOF
}

# ---- d. errors ------------------------------------------------------------------------------------

@test "a record larger than --batch-bytes stops the run: exit 1, earlier records delivered, the count printed" {
  create_topic err-big 1
  local in="$BATS_TEST_TMPDIR/in.txt"
  { echo small1; head -c 2000 /dev/zero | tr '\0' x; echo; echo small2; } >"$in"
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t err-big --batch-bytes 1000 <"$in"
  echo "$stderr"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"longer than the limit of 1000 bytes"* ]]
  [[ "$stderr" == *"1 of 2 records not delivered"* ]]
  expect_records err-big <<'EOF'
0 None b'small1' []
EOF

  # Just under the cap for the input, but over it once framed as a batch: refused by the
  # producer, naming its line.
  create_topic err-big-framed 1
  { echo small1; head -c 990 /dev/zero | tr '\0' y; echo; echo small2; } >"$in"
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t err-big-framed \
    --batch-bytes 1000 <"$in"
  echo "$stderr"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"line 2: record of 990 bytes does not fit into a batch of at most 1000 bytes"* ]]
  [[ "$stderr" == *"1 of 2 records not delivered"* ]]
  expect_records err-big-framed <<'EOF'
0 None b'small1' []
EOF

  # --on-error skip: the big one is reported and skipped, the rest delivered, still exit 1.
  create_topic err-big-skip 1
  { echo small1; head -c 2000 /dev/zero | tr '\0' x; echo; echo small2; } >"$in"
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t err-big-skip \
    --batch-bytes 1000 --on-error skip <"$in"
  echo "$stderr"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"longer than the limit of 1000 bytes (skipped)"* ]]
  [[ "$stderr" == *"1 of 3 records not delivered"* ]]
  expect_records err-big-skip <<'EOF'
0 None b'small1' []
0 None b'small2' []
EOF
}

@test "a record over the --batch-bytes cap is named by its own line number" {
  create_topic err-big-line 1
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t err-big-line --batch-bytes 1000 \
    < <(echo small1; echo small2; head -c 2000 /dev/zero | tr '\0' x; echo)
  echo "$stderr"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"line 3: input record 3 is longer than the limit of 1000 bytes"* ]]
}

@test "a malformed -J line: exit 1, its line number named, the records before it delivered, the count printed" {
  create_topic err-json 1
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t err-json -J \
    < <(printf '{"value":"a"}\n{"value":"b"}\n{"value":\n{"value":"d"}\n')
  echo "$stderr"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"kpipe: produce: line 3: value: expected a JSON value"* ]]
  # Reading stops at the bad line: 3 records read, 1 of them not delivered.
  [ "$(not_delivered_count "$stderr")" = 1 ]
  [[ "$stderr" == *"1 of 3 records not delivered"* ]]
  expect_records err-json <<'EOF'
0 None b'a' []
0 None b'b' []
EOF
}

@test "--on-error skip reports each bad line and delivers the rest; exit 1 with the count" {
  create_topic err-skip 1
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t err-skip -J --on-error skip \
    < <(printf '{"value":"a"}\n{"value":"b"}\n{"value":\n{"value":"d"}\n{"valu":"e"}\n{"value":"f"}\n')
  echo "$stderr"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"line 3: value: expected a JSON value"*"(skipped)"* ]]
  [[ "$stderr" == *'line 5: unknown key "valu"'*"(skipped)"* ]]
  [[ "$stderr" == *"2 of 6 records not delivered"* ]]
  expect_records err-skip <<'EOF'
0 None b'a' []
0 None b'b' []
0 None b'd' []
0 None b'f' []
EOF
}

@test "-p beyond the partition count, or such a partition in -J, fails naming the line" {
  create_topic err-partition 3
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t err-partition -p 5 \
    < <(printf 'a\nb\n')
  echo "$stderr"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"line 1: partition 5 does not exist (topic err-partition has 3 partitions"* ]]
  [ "$(record_count err-partition)" -eq 0 ]

  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t err-partition -J \
    < <(printf '{"value":"a","partition":0}\n{"value":"b","partition":7}\n{"value":"c","partition":2}\n')
  echo "$stderr"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"line 2: partition 7 does not exist"* ]]
  [[ "$stderr" == *"1 of 2 records not delivered"* ]]
  expect_records err-partition <<'EOF'
0 None b'a' []
EOF
}

@test "an unknown topic is created by the broker and kpipe delivers to it" {
  # The mock advertises Metadata v0-2 only, which has no allow_auto_topic_creation flag: asking
  # for a topic creates it. Kafka (auto.create.topics.enable, scripts/kafka.sh) creates it when
  # kpipe's Metadata request allows it, and answers UNKNOWN_TOPIC_OR_PARTITION until it is
  # ready, which kpipe waits out.
  # -p 0: how many partitions a created topic gets is the broker's choice (3 on the mock, 1 on
  # Kafka here).
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t err-created-on-demand -p 0 \
    < <(printf 'a\nb\n')
  echo "$stderr"
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  expect_records err-created-on-demand <<'EOF'
0 None b'a' []
0 None b'b' []
EOF
}

# mock-only: no real broker can be told to report a topic as missing while creating it on demand.
# bats test_tags=mock-only
@test "a topic the broker reports as unknown: exit 4, nothing sent, --dry-run too" {
  # A topic the broker reports as UNKNOWN_TOPIC_OR_PARTITION: exit 4 (not found), nothing sent.
  FAULTS_INJECTED=1
  cluster_control topic-error err-ghost 3
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t err-ghost < <(printf 'a\n')
  echo "$stderr"
  [ "$status" -eq 4 ]
  [[ "$stderr" == *"err-ghost"*"UNKNOWN_TOPIC_OR_PARTITION"* ]]
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t err-ghost --dry-run \
    < <(printf 'a\n')
  [ "$status" -eq 4 ]
  [ -z "$output" ]
  cluster_control topic-error err-ghost 0
}

# The mock takes any topic name and creates every topic asked for; Kafka refuses bad names, and
# creates none for a Metadata request that does not allow it.
# bats test_tags=kafka-only
@test "a topic name Kafka refuses exits 1 naming the error; --dry-run creates no topic and exits 4" {
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t 'err/bad name' < <(printf 'a\n')
  echo "$stderr"
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  [[ "$stderr" == *"topic err/bad name: INVALID_TOPIC_EXCEPTION"* ]]

  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t err-never-created --dry-run \
    < <(printf 'a\n')
  echo "$stderr"
  [ "$status" -eq 4 ]
  [ -z "$output" ]
  [[ "$stderr" == *"topic err-never-created does not exist"* ]]
  # kafka-python's view of the cluster: neither topic is there.
  run "$KPIPE_TEST_PYTHON" -c '
import sys
from kafka import KafkaAdminClient
a = KafkaAdminClient(bootstrap_servers=sys.argv[1].split(","))
print(sorted(t for t in a.list_topics() if t.startswith("err")))
a.close()
' "$KPIPE_TEST_BROKERS"
  [ "$status" -eq 0 ]
  [[ "$output" != *"err-never-created"* ]]
  [[ "$output" != *"err/bad name"* ]]
  [[ "$output" == *"'err-created-on-demand'"* ]]
}

# ---- e. transactions and idempotence --------------------------------------------------------------

@test "100,000 lines in one transaction: read-committed readers see each exactly once, in order, after the commit" {
  create_topic txn 16
  producer_start -t txn --partitioner roundrobin --batch-bytes 64KiB --transactional-id h1-txn \
    --stats
  head -n 50000 "$LINES_100K" >&5
  # Half-way the transaction is open. Kafka keeps read-committed readers at its first offset
  # (the last stable offset); the mock has no such bound (it serves every record).
  local uncommitted i
  for ((i = 0; i < 100; i++)); do
    uncommitted=$(timeout 60 kcat -b "$KPIPE_TEST_BROKERS" -C -t txn -o beginning -e -q \
      -X isolation.level=read_uncommitted -f '.\n' | wc -l)
    ((uncommitted == 50000)) && break
    sleep 0.1
  done
  [ "$uncommitted" -eq 50000 ]
  if on_kafka; then
    [ "$(timeout 60 kcat -b "$KPIPE_TEST_BROKERS" -C -t txn -o beginning -e -q \
      -X isolation.level=read_committed -f '.\n' | wc -l)" -eq 0 ]
  fi
  tail -n +50001 "$LINES_100K" >&5
  producer_wait
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"100000 records delivered"* ]]
  timeout 120 kcat -b "$KPIPE_TEST_BROKERS" -C -t txn -o beginning -e -q -X check.crcs=true \
    -X isolation.level=read_committed -f '%p %o %s\n' >"$BATS_TEST_TMPDIR/kcat.txt"
  run check_lines "$LINES_100K" "$BATS_TEST_TMPDIR/kcat.txt"
  echo "$output"
  [ "${lines[0]}" = "records 100000 missing 0 duplicates 0 unknown 0 disorder 0" ]
  [ "${lines[1]}" = "partitions 16 min 6250 max 6250" ]
}

# The mock serves aborted records to read-committed readers (it keeps no aborted-transaction
# index), so only real Kafka can show that an abort hides them.
# bats test_tags=kafka-only
@test "a bad line in a transaction aborts it: read-committed readers see none of its records" {
  create_topic txn-abort 2
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t txn-abort -J \
    --transactional-id h1-txn-abort \
    < <(printf '{"value":"a","partition":1}\n{"value":"b","partition":0}\n{"value":\n{"value":"d"}\n')
  echo "$stderr"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"line 3: value: expected a JSON value"* ]]
  [[ "$stderr" == *"kpipe: produce: the transaction was aborted"* ]]
  # None of the three reach a read-committed reader, so none counts as delivered.
  [[ "$stderr" == *"3 of 3 records not delivered (transaction aborted)"* ]]
  # The same transactional id goes on with a new transaction, which commits.
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t txn-abort -p 0 \
    --transactional-id h1-txn-abort < <(printf 'c1\nc2\n')
  [ "$status" -eq 0 ]
  # Read-uncommitted: the aborted records are in the log, each partition's marker after them.
  run timeout 60 kcat -b "$KPIPE_TEST_BROKERS" -C -t txn-abort -o beginning -e -q \
    -X isolation.level=read_uncommitted -f '%p %o %s\n'
  [ "$(sort <<<"$output" | tr '\n' ' ')" = "0 0 b 0 2 c1 0 3 c2 1 0 a " ]
  # Read-committed: only the committed transaction.
  run timeout 60 kcat -b "$KPIPE_TEST_BROKERS" -C -t txn-abort -o beginning -e -q \
    -X isolation.level=read_committed -f '%p %o %s\n'
  [ "$(sort <<<"$output" | tr '\n' ' ')" = "0 2 c1 0 3 c2 " ]
}

# kafka-python's DescribeProducers: the producer state the broker keeps per partition.
# producer_state TOPIC PARTITIONS: "PARTITION PRODUCER_ID EPOCH LAST_SEQUENCE" per active producer.
producer_state() {
  "$KPIPE_TEST_PYTHON" - "$KPIPE_TEST_BROKERS" "$1" "$2" <<'EOF'
import sys
from kafka import KafkaAdminClient, TopicPartition
a = KafkaAdminClient(bootstrap_servers=sys.argv[1].split(","))
tps = [TopicPartition(sys.argv[2], p) for p in range(int(sys.argv[3]))]
for tp, state in sorted(a.describe_producers(tps).items(), key=lambda i: i[0].partition):
    for s in sorted(state.active_producers, key=lambda s: s.producer_id):
        print(tp.partition, s.producer_id, s.producer_epoch, s.last_sequence)
a.close()
EOF
}

# The mock judges sequence numbers only for transactional producers (see the top of this file)
# and has no DescribeProducers; Kafka refuses any gap or overlap (OUT_OF_ORDER_SEQUENCE_NUMBER,
# DUPLICATE_SEQUENCE_NUMBER) and shows what it accepted.
# bats test_tags=kafka-only
@test "idempotent by default: Kafka accepted sequences 0 to N-1 of one producer id per partition" {
  create_topic idem 4
  # Small batches, 5 requests in flight per broker: many batches of a partition on the wire at
  # once, each of which the broker must accept in sequence order.
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t idem --partitioner roundrobin \
    --batch-bytes 16KiB --max-inflight 5 --stats <"$LINES_100K"
  echo "$stderr"
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"100000 records delivered"* ]]
  run producer_state idem 4
  echo "$output"
  [ "${#lines[@]}" -eq 4 ]
  local pid
  pid=$(cut -d' ' -f2 <<<"${lines[0]}")
  [ "$pid" -ge 0 ]
  # One producer id and epoch 0 everywhere; 25,000 records per partition: last sequence 24999.
  [ "$output" = "$(printf '%s\n' "0 $pid 0 24999" "1 $pid 0 24999" "2 $pid 0 24999" "3 $pid 0 24999")" ]
  kcat_lines idem "$BATS_TEST_TMPDIR/kcat.txt"
  run check_lines "$LINES_100K" "$BATS_TEST_TMPDIR/kcat.txt"
  echo "$output"
  [ "${lines[0]}" = "records 100000 missing 0 duplicates 0 unknown 0 disorder 0" ]

  # A second run is a new producer, whose sequences start at 0 again; --no-idempotence writes
  # without a producer id, so the broker keeps no state for it.
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t idem -p 2 < <(seq 1 10)
  [ "$status" -eq 0 ]
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t idem -p 3 --no-idempotence \
    < <(seq 1 10)
  [ "$status" -eq 0 ]
  run producer_state idem 4
  echo "$output"
  [ "${#lines[@]}" -eq 5 ]
  [ "${lines[0]}" = "0 $pid 0 24999" ]
  [ "${lines[1]}" = "1 $pid 0 24999" ]
  [ "${lines[2]}" = "2 $pid 0 24999" ]
  [[ "${lines[3]}" =~ ^2\ [0-9]+\ 0\ 9$ ]]
  [ "$(cut -d' ' -f2 <<<"${lines[3]}")" -ne "$pid" ]
  [ "${lines[4]}" = "3 $pid 0 24999" ]
  [ "$(record_count idem)" -eq 100020 ]
}

# ---- f. faults while producing (injected: mock only), and --acks 0 ---------------------------------

# 100,000 lines with six failing Produce requests pushed half-way: every record must reach the
# topic exactly once, in input order per partition. Arguments: the topic, then produce's options.
produce_through_pushed_errors() {
  local topic=$1
  shift
  create_topic "$topic" 32
  FAULTS_INJECTED=1
  # Small batches: many requests in flight when the errors hit, and no partition near the
  # mock's 5 MiB limit.
  producer_start -t "$topic" --batch-bytes 64KiB --stats "$@"
  head -n 50000 "$LINES_100K" >&5
  sleep 1
  # The next six Produce requests (cluster-wide) fail, each with all its batches.
  cluster_control push-errors 0 6,6,6,7,7,7
  tail -n +50001 "$LINES_100K" >&5
  producer_wait
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"100000 records delivered"* ]]
  local retries
  retries=$(sed -n 's/.*; retries \([0-9]*\);.*/\1/p' <<<"$stderr")
  [ "$retries" -ge 6 ]

  kcat_lines "$topic" "$BATS_TEST_TMPDIR/kcat.txt"
  run check_lines "$LINES_100K" "$BATS_TEST_TMPDIR/kcat.txt"
  echo "$output"
  [ "${lines[0]}" = "records 100000 missing 0 duplicates 0 unknown 0 disorder 0" ]
}

# bats test_tags=mock-only
@test "NOT_LEADER_OR_FOLLOWER and REQUEST_TIMED_OUT on Produce mid-run: every record exactly once, in order" {
  produce_through_pushed_errors fault-errors
}

# bats test_tags=mock-only
@test "the same errors with lz4 (batches compressed on worker threads): every record exactly once, in order" {
  produce_through_pushed_errors fault-errors-lz4 -z lz4
}

# bats test_tags=mock-only
@test "the same errors inside a transaction: every record exactly once and in order" {
  create_topic fault-errors-txn 32
  FAULTS_INJECTED=1
  producer_start -t fault-errors-txn --batch-bytes 64KiB --transactional-id h4-txn --stats
  head -n 50000 "$LINES_100K" >&5
  sleep 1
  cluster_control push-errors 0 6,6,6,7,7,7
  tail -n +50001 "$LINES_100K" >&5
  producer_wait
  [ "$status" -eq 0 ]
  kcat_lines fault-errors-txn "$BATS_TEST_TMPDIR/kcat.txt"
  run check_lines "$LINES_100K" "$BATS_TEST_TMPDIR/kcat.txt"
  echo "$output"
  [ "${lines[0]}" = "records 100000 missing 0 duplicates 0 unknown 0 disorder 0" ]
}

# bats test_tags=mock-only
@test "a broker down and up again mid-run: every record exactly once, in order per partition" {
  create_topic fault-down 32
  spread_leaders fault-down 32
  FAULTS_INJECTED=1
  # --rate spreads the 100,000 records over ~4 s, so the broker goes down and comes back while
  # records keep coming.
  producer_start -t fault-down --batch-bytes 64KiB --rate 25000 --stats
  cat "$LINES_100K" >&5 3>&- &
  local feeder=$!
  sleep 1
  cluster_control broker-down 2
  sleep 1.5
  cluster_control broker-up 2
  wait "$feeder"
  producer_wait
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"100000 records delivered"* ]]
  # The records for broker 2's partitions waited for it: the slowest took over half a second.
  local p99
  p99=$(sed -n 's/.*, p99 \([0-9.]*\) ms;.*/\1/p' <<<"$stderr")
  python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 500 else 1)' "$p99"

  kcat_lines fault-down "$BATS_TEST_TMPDIR/kcat.txt"
  run check_lines "$LINES_100K" "$BATS_TEST_TMPDIR/kcat.txt"
  echo "$output"
  [ "${lines[0]}" = "records 100000 missing 0 duplicates 0 unknown 0 disorder 0" ]
}

# bats test_tags=mock-only
@test "leaders move mid-run: every record exactly once, in order per partition" {
  create_topic fault-leader 12
  FAULTS_INJECTED=1
  producer_start -t fault-leader --batch-bytes 64KiB --rate 25000 --stats
  cat "$LINES_100K" >&5 3>&- &
  local feeder=$! p
  sleep 1
  for p in $(seq 0 11); do cluster_control leader fault-leader "$p" $((p % 3 + 1)); done
  sleep 1
  for p in $(seq 0 11); do cluster_control leader fault-leader "$p" $(((p + 1) % 3 + 1)); done
  wait "$feeder"
  producer_wait
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"100000 records delivered"* ]]
  # The old leaders answered NOT_LEADER_OR_FOLLOWER: batches were sent again.
  local retries
  retries=$(sed -n 's/.*; retries \([0-9]*\);.*/\1/p' <<<"$stderr")
  [ "$retries" -ge 1 ]

  kcat_lines fault-leader "$BATS_TEST_TMPDIR/kcat.txt"
  run check_lines "$LINES_100K" "$BATS_TEST_TMPDIR/kcat.txt"
  echo "$output"
  [ "${lines[0]}" = "records 100000 missing 0 duplicates 0 unknown 0 disorder 0" ]
}

# bats test_tags=mock-only
@test "--acks 0 with a broker down for good: exit 1, the count not delivered is what is missing" {
  create_topic fault-acks0 8
  spread_leaders fault-acks0 8
  FAULTS_INJECTED=1
  # Round-robin: every partition, so broker 3's (2 and 5) too, gets records after it went down.
  producer_start -t fault-acks0 --acks 0 --partitioner roundrobin -X delivery.timeout.ms=3000 \
    --batch-bytes 64KiB --stats
  head -n 50000 "$LINES_100K" >&5
  sleep 1
  cluster_control broker-down 3
  # kpipe notices the closed connection before more records come (no write into a dead socket,
  # which acks=0 could not detect).
  sleep 0.5
  tail -n +50001 "$LINES_100K" >&5
  producer_wait
  cluster_control broker-up 3
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"Connection refused"* ]]
  local reported
  reported=$(not_delivered_count "$stderr")
  # Partitions 2 and 5 of the second half: 2 x 50,000 / 8.
  [ "$reported" -eq 12500 ]

  kcat_lines fault-acks0 "$BATS_TEST_TMPDIR/kcat.txt"
  run check_lines "$LINES_100K" "$BATS_TEST_TMPDIR/kcat.txt"
  echo "$output (kpipe reported $reported not delivered)"
  [ "${lines[0]}" = "records $((100000 - reported)) missing $reported duplicates 0 unknown 0 disorder 0" ]
}

@test "--acks 0: records written just before the input ends all reach the topic" {
  create_topic fault-acks0-end 8
  # A burst, a pause, a burst, then EOF: the last requests leave just before kpipe exits, and
  # must not be lost when it closes its connections.
  producer_start -t fault-acks0-end --acks 0 --partitioner roundrobin --batch-bytes 64KiB
  head -n 50000 "$LINES_100K" >&5
  sleep 1
  tail -n +50001 "$LINES_100K" >&5
  producer_wait
  [ "$status" -eq 0 ]
  kcat_lines fault-acks0-end "$BATS_TEST_TMPDIR/kcat.txt"
  run check_lines "$LINES_100K" "$BATS_TEST_TMPDIR/kcat.txt"
  echo "$output"
  [ "${lines[0]}" = "records 100000 missing 0 duplicates 0 unknown 0 disorder 0" ]
  [ "${lines[1]}" = "partitions 8 min 12500 max 12500" ]
}

# bats test_tags=mock-only
@test "retries exhausted (-X retries=0) on pushed errors: exit 1, the count not delivered is what is missing" {
  create_topic fault-retries 16
  FAULTS_INJECTED=1
  producer_start -t fault-retries -X retries=0 --batch-bytes 64KiB --stats
  head -n 50000 "$LINES_100K" >&5
  sleep 1
  cluster_control push-errors 0 6,6,6
  # kpipe may stop reading when the producer cannot go on (it then names the last line read):
  # the rest of the input is then refused with SIGPIPE, which is fine here.
  tail -n +50001 "$LINES_100K" >&5 || true
  producer_wait
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"NOT_LEADER_OR_FOLLOWER"* ]]
  local reported nread
  reported=$(not_delivered_count "$stderr")
  nread=$(sed -n 's/^kpipe: produce: [0-9]* of \([0-9]*\) records not delivered.*/\1/p' <<<"$stderr")
  [ "$reported" -gt 0 ]
  if [ "$nread" -lt 100000 ]; then
    [[ "$stderr" == *"kpipe: produce: line $nread: "* ]]
  fi

  # Missing from the topic: the records reported plus the lines never read.
  local missing=$((reported + 100000 - nread))
  kcat_lines fault-retries "$BATS_TEST_TMPDIR/kcat.txt"
  run check_lines "$LINES_100K" "$BATS_TEST_TMPDIR/kcat.txt"
  echo "$output (kpipe reported $reported of $nread read not delivered)"
  [ "${lines[0]}" = "records $((100000 - missing)) missing $missing duplicates 0 unknown 0 disorder 0" ]
}

# bats test_tags=mock-only
@test "a batch that fails for good costs only its own records: the producer goes on" {
  create_topic fault-one-batch 16
  FAULTS_INJECTED=1
  producer_start -t fault-one-batch -X retries=0 --batch-bytes 64KiB --stats
  head -n 50000 "$LINES_100K" >&5
  sleep 1
  # One refused request: at most one batch per partition, ~600 records each.
  cluster_control push-errors 0 6
  tail -n +50001 "$LINES_100K" >&5
  producer_wait
  [ "$status" -eq 1 ]
  [[ "$stderr" != *"could not reset"* ]]
  local reported
  reported=$(not_delivered_count "$stderr")
  [[ "$stderr" == *"$reported of 100000 records not delivered"* ]]
  [ "$reported" -gt 0 ]
  [ "$reported" -le $((16 * 600)) ]
  kcat_lines fault-one-batch "$BATS_TEST_TMPDIR/kcat.txt"
  run check_lines "$LINES_100K" "$BATS_TEST_TMPDIR/kcat.txt"
  echo "$output"
  [ "${lines[0]}" = "records $((100000 - reported)) missing $reported duplicates 0 unknown 0 disorder 0" ]
}

# ---- g. --dry-run, --tee, --stats, --help ---------------------------------------------------------

@test "--dry-run prints envelopes with murmur2 partitions and sends nothing" {
  create_topic dry 12
  create_topic dry-kcat 12
  local in="$BATS_TEST_TMPDIR/in.txt"
  for i in $(seq 1 50); do echo "user-$i:value $i"; done >"$in"
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t dry -K : --dry-run <"$in"
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 50 ]
  [[ "$stderr" == *"50 records would be sent, nothing was"* ]]
  printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/dry.jsonl"
  [ "$(record_count dry)" -eq 0 ]

  # The partitions printed are those librdkafka picks for the same keys.
  kcat -b "$KPIPE_TEST_BROKERS" -P -t dry-kcat -K : -X partitioner=murmur2_random <"$in"
  timeout 60 kcat -b "$KPIPE_TEST_BROKERS" -C -t dry-kcat -o beginning -e -q -f '%k %p %s\n' |
    sort >"$BATS_TEST_TMPDIR/kcat.txt"
  python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    assert e["topic"] == "dry" and e["offset"] == -1 and e["headers"] == [], e
    print(e["key"], e["partition"], e["value"])
' "$BATS_TEST_TMPDIR/dry.jsonl" | sort >"$BATS_TEST_TMPDIR/dry.txt"
  diff "$BATS_TEST_TMPDIR/kcat.txt" "$BATS_TEST_TMPDIR/dry.txt"
}

@test "-T prints each delivered record with the partition and offset kcat sees" {
  create_topic tee 4
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t tee -T --partitioner roundrobin \
    < <(seq 1 1000 | sed 's/^/value /')
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 1000 ]
  printf '%s\n' "$output" | sort >"$BATS_TEST_TMPDIR/tee.txt"
  timeout 60 kcat -b "$KPIPE_TEST_BROKERS" -C -t tee -o beginning -e -q -f '%t\t%p\t%o\t%s\n' |
    sort >"$BATS_TEST_TMPDIR/kcat.txt"
  diff "$BATS_TEST_TMPDIR/kcat.txt" "$BATS_TEST_TMPDIR/tee.txt"

  # -J -T: envelopes, with the offsets the broker gave, keys and headers included.
  create_topic tee-json 2
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t tee-json -T -J \
    < <(printf '{"key":"k","value":"v1","partition":1,"headers":[["h",null]]}\n{"value":"v2","partition":1}\n')
  [ "$status" -eq 0 ]
  run python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    print(e["topic"], e["partition"], e["offset"], e["key"], e["value"], e["headers"])
' <<<"$output"
  [ "${lines[0]}" = "tee-json 1 0 k v1 [['h', None]]" ]
  [ "${lines[1]}" = "tee-json 1 1 None v2 []" ]
  [ "$(timeout 60 kcat -b "$KPIPE_TEST_BROKERS" -C -t tee-json -p 1 -o beginning -e -q -f '%o:%s ')" = "0:v1 1:v2 " ]
}

@test "--stats prints records/s and the delivered count on stderr, nothing on stdout" {
  create_topic stats 4
  run --separate-stderr kpipe produce -b "$KPIPE_TEST_BROKERS" -t stats --stats < <(seq 1 1000)
  echo "$stderr"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  local re='kpipe: produce: 1000 records delivered \(.*\) in [0-9.]+ s: [0-9.]+ records/s, [0-9.]+ MB/s; latency p50 [0-9.]+ ms, p99 [0-9.]+ ms; retries 0; failed 0'
  [[ "$stderr" =~ $re ]]
  [ "$(record_count stats)" -eq 1000 ]
}

# bats test_tags=broker-free
@test "--help shows the options and examples" {
  run kpipe produce --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"Examples:"* ]]
  [[ "$output" == *"seq 1000 | kpipe produce -t numbers"* ]]
  [[ "$output" == *"--dry-run"* ]]
  [[ "$output" == *"--on-error"* ]]
  [[ "$output" == *"Exit status:"* ]]
}
