#!/usr/bin/env python3
"""Record sets for tests/cli/peers.bats, and the canonical form every reader is compared in.

    peer_records.py gen N PARTITIONS OUT [--tag TAG] [--ts0 MS] [--partition P]
        (record i has timestamp MS + 3i; MS defaults to an hour ago)
        writes OUT.jsonl (N produce -J envelopes for kpipe), OUT.expect (the records as a topic
        with PARTITIONS partitions, fresh, must hold them, in canonical form) and OUT.console
        (the same as Kafka's console consumer prints them with the properties of peers.bats);
        with --partition every envelope names partition P
    peer_records.py canon-kpipe
        consume -J envelopes on stdin -> canonical lines on stdout
    peer_records.py console EXPECT_FILE
        canonical lines -> the console consumer's text for them
    peer_records.py txn OUT FILE:commit|FILE:abort|FILE:plain ...
        the records of the FILEs (canonical lines; their offsets are ignored), written one
        FILE after the other to a fresh topic, each FILE a transaction ended by a marker on
        every partition it wrote to (plain: no transaction, no marker): OUT.uncommitted (every
        record, at the offset Kafka gives it) and OUT.committed (the records that are not
        aborted, at the same offsets)
    peer_records.py batches
        Kafka's DumpLogSegments output on stdin -> one JSON line per batch: partition (from the
        segment's directory name), base_offset, last_offset, count, base_sequence,
        last_sequence, producer_id, producer_epoch, transactional, control, codec, valid

A canonical line is, with every key, value, header name and header value as base64 of its bytes
(null stays null), sorted by partition then offset:

    {"p":0,"o":5,"ts":1700000000005,"tt":0,"k":"azE=","v":null,"h":[["aDE=",null]]}

tt is 0 for create time, 1 for log-append time (kafka-python's numbering). Two readers agree
byte for byte when their canonical files are identical (cmp).

The generated records are printable on purpose: the console consumer separates fields with tabs,
headers with commas and a header's name from its value with a colon, so no field holds a tab, a
newline, a comma or a colon, and its text can be compared with cmp. They still cover UTF-8
(multi-byte characters), empty values, null keys, null header values, repeated header names and
up to four headers. Keyed records go where the Java client's murmur2 partitioner sends them
(computed here with kafka-python's implementation); every 1000th record has a null key and an
explicit partition instead.
"""

import base64
import json
import sys
import time

from kafka.partitioner.default import murmur2

WORDS = ["alpha", "beta", "gamma", "delta", "épsilon", "ζήτα", "日本語", "emoji-\U0001f600",
         "x" * 40, "", "tab-free", "semi;colon", "quote\"d", "back\\slash", "{json-ish}"]


def now_ms():
    """The time in milliseconds. Generated timestamps start an hour before it, not at a fixed
    date: Kafka rolls a segment whose first timestamp is older than log.roll.ms (7 days) and
    may then delete it by retention (log.retention.ms, 7 days) while a test runs. Within a run
    every timestamp is still exact: the expected files carry the ones that were sent."""
    return int(time.time() * 1000)


def _js(data):
    """bytes or None as a JSON base64 string or null (base64 needs no escaping)."""
    return "null" if data is None else '"' + base64.b64encode(data).decode("ascii") + '"'


def canon_line(partition, offset, ts, tt, key, value, headers):
    """One canonical line; key, value and headers are bytes (or None), names included.
    Formatted by hand, as json.dumps(separators=(",", ":")) would: it is most of the run time
    on 200,000 records otherwise."""
    h = ",".join("[%s,%s]" % (_js(n), _js(v)) for n, v in headers)
    return '{"p":%d,"o":%d,"ts":%d,"tt":%d,"k":%s,"v":%s,"h":[%s]}' % (
        partition, offset, ts, tt, _js(key), _js(value), h)


def record(i, tag, ts0):
    """Record i of a set: (key or None, value, [(name, value or None)], timestamp)."""
    key = None if i % 1000 == 999 else f"{tag}-key-{i % 7919:05d}-{WORDS[i % len(WORDS)]}"
    # Values differ in length (0 to ~150 bytes) and content; the index makes each one unique.
    value = "" if i % 501 == 0 else f"{tag} value {i:07d} " + " ".join(
        WORDS[(i * 7 + j) % len(WORDS)] for j in range(i % 9))
    headers = []
    for j in range(i % 5):
        name = ["trace", "tenant", "trace", "ünïcode", "empty"][j]
        hv = None if (i + j) % 13 == 0 else ("" if j == 4 else f"{WORDS[(i + j) % len(WORDS)]}{i}")
        headers.append((name, hv))
    return key, value, headers, ts0 + i * 3


def enc(text):
    return None if text is None else text.encode("utf-8")


def gen(n, partitions, out, tag, ts0, fixed=None):
    per_partition = [[] for _ in range(partitions)]
    with open(out + ".jsonl", "w", encoding="utf-8") as f:
        for i in range(n):
            key, value, headers, ts = record(i, tag, ts0)
            env = {"key": key, "value": value, "headers": [[n_, v] for n_, v in headers],
                   "timestamp": ts}
            if fixed is not None:
                part = fixed
                env["partition"] = part
            elif key is None:
                part = i % partitions
                env["partition"] = part
            else:
                # The Java client's default partitioner for a keyed record.
                part = (murmur2(key.encode("utf-8")) & 0x7FFFFFFF) % partitions
            f.write(json.dumps(env, ensure_ascii=False, separators=(",", ":")) + "\n")
            per_partition[part].append((ts, enc(key), enc(value),
                                        [(enc(a), enc(b)) for a, b in headers]))
    with open(out + ".expect", "w", encoding="ascii") as f, open(out + ".console", "wb") as c:
        for p, recs in enumerate(per_partition):
            for offset, (ts, key, value, headers) in enumerate(recs):
                f.write(canon_line(p, offset, ts, 0, key, value, headers) + "\n")
                c.write(console_line(p, offset, ts, 0, key, value, headers))


def console_line(partition, offset, ts, tt, key, value, headers):
    """The console consumer's line for a record, as peers.bats runs it: print.timestamp,
    print.partition, print.offset, print.headers, print.key (all true) and null.literal=(null);
    its formatter writes the raw bytes (no deserializers are set)."""
    def raw(x):
        return b"(null)" if x is None else x

    kind = b"CreateTime" if tt == 0 else b"LogAppendTime"
    hdrs = b",".join(raw(n) + b":" + raw(v) for n, v in headers) or b"NO_HEADERS"
    return b"%s:%d\tPartition:%d\tOffset:%d\t%s\t%s\t%s\n" % (
        kind, ts, partition, offset, hdrs, raw(key), raw(value))


def console(expect_path, out_path):
    """The console consumer's lines for the canonical records of a file."""
    def raw(x):
        return None if x is None else base64.b64decode(x)

    with open(expect_path, encoding="ascii") as src, open(out_path, "wb") as dst:
        for line in src:
            r = json.loads(line)
            dst.write(console_line(r["p"], r["o"], r["ts"], r["tt"], raw(r["k"]), raw(r["v"]),
                                   [(raw(n), raw(v)) for n, v in r["h"]]))


def from_json_field(x):
    """A key, value or header value of a consume -J envelope as bytes."""
    if x is None:
        return None
    if isinstance(x, str):
        return x.encode("utf-8")
    if isinstance(x, dict) and "base64" in x:
        return base64.b64decode(x["base64"])
    if isinstance(x, dict) and "hex" in x:
        return bytes.fromhex(x["hex"])
    raise ValueError(f"unexpected envelope field {x!r}")


def canon_kpipe():
    rows = []
    for line in sys.stdin:
        e = json.loads(line)
        tt = {"create": 0, "log_append": 1}[e["timestamp_type"]]
        headers = [(from_json_field(n), from_json_field(v)) for n, v in e["headers"]]
        rows.append((e["partition"], e["offset"],
                     canon_line(e["partition"], e["offset"], e["timestamp"], tt,
                                from_json_field(e["key"]), from_json_field(e["value"]),
                                headers)))
    rows.sort(key=lambda r: (r[0], r[1]))
    sys.stdout.write("".join(r[2] + "\n" for r in rows))


def txn(out, segments):
    next_offset = {}
    with open(out + ".uncommitted", "w") as unc, open(out + ".committed", "w") as com:
        rows = []
        for seg in segments:
            path, _, outcome = seg.rpartition(":")
            touched = set()
            with open(path) as f:
                for line in f:
                    r = json.loads(line)
                    p = r["p"]
                    r["o"] = next_offset.get(p, 0)
                    next_offset[p] = r["o"] + 1
                    touched.add(p)
                    rows.append((p, r["o"], outcome != "abort",
                                 json.dumps(r, separators=(",", ":"))))
            if outcome != "plain":
                for p in touched:  # the transaction marker takes an offset
                    next_offset[p] += 1
        rows.sort(key=lambda r: (r[0], r[1]))
        for _, _, committed, line in rows:
            unc.write(line + "\n")
            if committed:
                com.write(line + "\n")


def batches():
    part = None
    for line in sys.stdin:
        if line.startswith("Dumping "):
            # .../data/TOPIC-PARTITION/00000000000000000000.log
            part = int(line.split()[1].rsplit("/", 2)[-2].rsplit("-", 1)[1])
            continue
        if not line.startswith("baseOffset:"):
            continue
        words = line.split()
        f = {words[i].rstrip(":"): words[i + 1] for i in range(0, len(words) - 1)
             if words[i].endswith(":")}
        print(json.dumps({
            "partition": part, "base_offset": int(f["baseOffset"]),
            "last_offset": int(f["lastOffset"]), "count": int(f["count"]),
            "base_sequence": int(f["baseSequence"]), "last_sequence": int(f["lastSequence"]),
            "producer_id": int(f["producerId"]), "producer_epoch": int(f["producerEpoch"]),
            "transactional": f["isTransactional"] == "true", "control": f["isControl"] == "true",
            "codec": f["compresscodec"], "valid": f["isvalid"] == "true"},
            separators=(",", ":")))


def main(argv):
    if len(argv) >= 5 and argv[1] == "gen":
        tag, ts0, fixed = "rec", now_ms() - 3600 * 1000, None
        rest = argv[5:]
        while rest:
            if rest[0] == "--tag":
                tag = rest[1]
            elif rest[0] == "--ts0":
                ts0 = int(rest[1])
            elif rest[0] == "--partition":
                fixed = int(rest[1])
            else:
                raise SystemExit(f"peer_records.py: unknown option {rest[0]}")
            rest = rest[2:]
        gen(int(argv[2]), int(argv[3]), argv[4], tag, ts0, fixed)
        return 0
    if len(argv) == 2 and argv[1] == "canon-kpipe":
        canon_kpipe()
        return 0
    if len(argv) >= 4 and argv[1] == "txn":
        txn(argv[2], argv[3:])
        return 0
    if len(argv) == 2 and argv[1] == "batches":
        batches()
        return 0
    if len(argv) == 3 and argv[1] == "console":
        console(argv[2], "/dev/stdout")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
