"""Puts Kafka's DumpLogSegments text and `kpipe decode --log-segment` JSON lines in one form, so
that decode_segment.bats can compare them batch for batch and record for record.

  segment_compare.py dump  < DumpLogSegments --print-data-log --deep-iteration output
  segment_compare.py kpipe < kpipe decode --log-segment --records output
  segment_compare.py dump-index / kpipe-index: .index and .timeindex entries
  segment_compare.py dump-snapshot / kpipe-snapshot: a .snapshot file's producers

One line per batch (its header fields) and per record (offset, key, payload; a control record's
marker type and coordinator epoch), tab-separated, each after the name of the file it is in (so
that a partition directory of several segments compares file by file).
"""

import json
import os
import sys


def pairs(line):
    # "key: value key: value ...": values of these fields hold no spaces (the test writes none).
    words = line.split(" ")
    out = {}
    i = 0
    while i < len(words) - 1:
        if words[i].endswith(":"):
            out[words[i][:-1]] = words[i + 1]
            i += 2
        else:
            i += 1
    return out


BATCH = ("position", "baseOffset", "lastOffset", "count", "baseSequence", "producerId",
         "producerEpoch", "partitionLeaderEpoch", "isTransactional", "isControl", "compresscodec",
         "crc", "isvalid", "size")


def dump():
    name = "-"
    for line in sys.stdin:
        line = line.rstrip("\n")
        if line.startswith("Dumping "):
            name = os.path.basename(line[len("Dumping "):])
        elif line.startswith("baseOffset:"):
            p = pairs(line)
            print(name + "\tbatch\t" + "\t".join(p[k] for k in BATCH))
        elif line.startswith("| offset:"):
            p = pairs(line[2:])
            if "endTxnMarker" in p:
                print("%s\tcontrol\t%s\t%s\t%s" % (name, p["offset"], p["endTxnMarker"].lower(),
                                                    p["coordinatorEpoch"]))
            else:
                print("%s\trecord\t%s\t%s\t%s" % (name, p["offset"], p.get("key"),
                                                   p.get("payload")))


def kpipe():
    for line in sys.stdin:
        b = json.loads(line)
        if b["type"] != "batch":
            continue
        a = b["attributes"]
        count = b["record_count"]
        fields = [b["position"], b["base_offset"], b["last_offset"], count, b["base_sequence"],
                  b["producer_id"], b["producer_epoch"], b["partition_leader_epoch"],
                  str(a["transactional"]).lower(), str(a["control"]).lower(), a["compression"],
                  b["crc"], str(b["crc_ok"]).lower(), b["size"]]
        name = os.path.basename(b["file"])
        print(name + "\tbatch\t" + "\t".join(str(f) for f in fields))
        for r in b["records"]:
            if "control" in r:
                c = r["control"]
                print("%s\tcontrol\t%s\t%s\t%s" % (name, r["offset"], c["type"],
                                                    c["coordinator_epoch"]))
            else:
                print("%s\trecord\t%s\t%s\t%s" % (name, r["offset"], r["key"], r["value"]))


def dump_index():
    for line in sys.stdin:
        p = pairs(line.strip())
        if "offset" in p and ("position" in p or "timestamp" in p):
            print("%s\t%s" % (p.get("timestamp", p.get("position")), p["offset"]))


def kpipe_index():
    for line in sys.stdin:
        e = json.loads(line)
        print("%s\t%s" % (e.get("timestamp", e.get("position")), e["offset"]))


SNAPSHOT = ("producerId", "producerEpoch", "firstSequence", "lastSequence", "lastOffset",
            "offsetDelta", "timestamp", "coordinatorEpoch")


def dump_snapshot():
    for line in sys.stdin:
        if line.startswith("producerId:"):
            p = pairs(line.strip())
            print("\t".join(p[k] for k in SNAPSHOT))


def kpipe_snapshot():
    for line in sys.stdin:
        e = json.loads(line)
        print("\t".join(str(e[k]) for k in (
            "producer_id", "producer_epoch", "first_sequence", "last_sequence", "last_offset",
            "offset_delta", "timestamp", "coordinator_epoch")))


{"dump": dump, "kpipe": kpipe, "dump-index": dump_index, "kpipe-index": kpipe_index,
 "dump-snapshot": dump_snapshot, "kpipe-snapshot": kpipe_snapshot}[sys.argv[1]]()
