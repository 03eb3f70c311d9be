#!/usr/bin/env python3
"""Reads what kpipe decode prints for Kafka's internal topics, for tests/cli/decode_internal.bats.

    internal_compare.py committed GROUP TOPIC < kpipe-output
        The last committed offset per partition of GROUP on TOPIC ("PARTITION OFFSET" lines),
        from `decode --log-segment --records` lines (records nested in batches) or from
        `decode --internal` lines (one record each). A tombstone removes the commit.
    internal_compare.py offsets-get < `kpipe --format json offsets get` output
        The same lines from kpipe offsets get (partitions without a commit left out).
    internal_compare.py transactions TXID < kpipe-output
        Each record of TXID: "STATE PRODUCER_ID PRODUCER_EPOCH TOPIC:P,P ..." in log order.
    internal_compare.py consumer-group GROUP < kpipe-output
        The KIP-848 records of GROUP: "RECORD MEMBER_ID DETAIL" in log order.
    internal_compare.py dump KPIPE_FILE DUMP_FILE
        kpipe's records (decode --log-segment --records) against Kafka's DumpLogSegments
        --offsets-decoder or --transaction-log-decoder on the same segment: record for record,
        the key and every value field Kafka prints (Kafka leaves tagged fields at their default
        out). Prints how many records of each kind were compared; exit 1 on any difference.
"""
import json
import re
import sys

TXN_STATES = ["Empty", "Ongoing", "PrepareCommit", "PrepareAbort", "CompleteCommit",
              "CompleteAbort", "Dead", "PrepareEpochFence"]


def records(lines):
    """(offset, internal) for every record of kpipe's output that has an internal member."""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        doc = json.loads(line)
        if "internal" in doc:  # a consume -J line
            yield doc.get("offset"), doc["internal"]
        for r in doc.get("records", []):
            if "internal" in r:
                yield r["offset"], r["internal"]


def committed(group, topic):
    last = {}
    for _, rec in records(sys.stdin):
        if rec.get("record") != "offset_commit":
            continue
        key = rec["key"]
        if key["group"] != group or key["topic"] != topic:
            continue
        if rec["value"] is None:
            last.pop(key["partition"], None)
        else:
            last[key["partition"]] = rec["value"]["offset"]
    for p in sorted(last):
        print(p, last[p])


def offsets_get():
    for row in sorted(json.load(sys.stdin), key=lambda r: r["partition"]):
        if row["offset"] is not None:
            print(row["partition"], row["offset"])


def partitions_text(parts):
    if parts is None:
        return "-"
    return " ".join(f"{p['topic']}:{','.join(str(i) for i in p['partitions'])}" for p in parts) or "-"


def transactions(txid):
    for _, rec in records(sys.stdin):
        if rec.get("record") != "transaction_metadata" or rec["key"]["transactional_id"] != txid:
            continue
        v = rec["value"]
        if v is None:
            print("tombstone")
            continue
        print(v["state"], v["producer_id"], v["producer_epoch"], partitions_text(v["partitions"]))


def consumer_group(group):
    for _, rec in records(sys.stdin):
        name = rec.get("record", "")
        if not name.startswith("consumer_group") or rec["key"]["group_id"] != group:
            continue
        member = rec["key"].get("member_id", "-")
        v = rec["value"]
        if v is None:
            detail = "tombstone"
        elif name == "consumer_group_member_metadata":
            detail = "topics=" + ",".join(v["subscribed_topic_names"])
        elif name == "consumer_group_target_assignment_member":
            detail = "target=" + ";".join(
                f"{t['topic_id']}:{','.join(map(str, t['partitions']))}" for t in v["topic_partitions"])
        elif name == "consumer_group_current_member_assignment":
            detail = f"epoch={v['member_epoch']} assigned=" + ";".join(
                f"{t['topic_id']}:{','.join(map(str, t['partitions']))}"
                for t in v["assigned_partitions"])
        elif name == "consumer_group_metadata":
            detail = f"epoch={v['epoch']}"
        elif name == "consumer_group_target_assignment_metadata":
            detail = f"assignment_epoch={v['assignment_epoch']}"
        else:
            detail = "-"
        print(name, member, detail)


def snake(name):
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def snake_all(value):
    if isinstance(value, dict):
        return {snake(k): snake_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [snake_all(v) for v in value]
    return value


def kafka_value(kind, data):
    """Kafka's printed value in kpipe's names and shapes."""
    if kind == "transaction_metadata":
        return {
            "producer_id": data["producerId"],
            "producer_epoch": data["producerEpoch"],
            "transaction_timeout_ms": data["transactionTimeoutMs"],
            "state": TXN_STATES[data["transactionStatus"]],
            "partitions": None if data["transactionPartitions"] is None else [
                {"topic": p["topic"], "partitions": p["partitionIds"]}
                for p in data["transactionPartitions"]],
            "last_update_timestamp_ms": data["transactionLastUpdateTimestampMs"],
            "start_timestamp_ms": data["transactionStartTimestampMs"],
            **{snake(k): data[k] for k in ("previousProducerId", "nextProducerId",
                                           "nextProducerEpoch", "clientTransactionVersion")
               if k in data},
        }
    value = snake_all(data)
    if kind == "group_metadata":
        # Kafka prints a "consumer" group's embedded subscription and assignment decoded too.
        for m in value["members"]:
            if isinstance(m.get("subscription"), dict):
                m["subscription"] = {"topics": m["subscription"]["topics"]}
            if isinstance(m.get("assignment"), dict):
                m["assignment"] = {"partitions": m["assignment"]["assigned_partitions"]}
    return value


def kpipe_shaped(kind, kafka, ours):
    """ours, cut down to what Kafka printed (Kafka leaves tagged fields at their default out)."""
    if isinstance(kafka, dict) and isinstance(ours, dict):
        return {k: kpipe_shaped(kind, kafka[k], ours.get(k, "<missing>")) for k in kafka}
    if isinstance(kafka, list) and isinstance(ours, list) and len(kafka) == len(ours):
        return [kpipe_shaped(kind, k, o) for k, o in zip(kafka, ours)]
    return ours


def dump_records(path):
    pattern = re.compile(r"^\| offset: (\d+) .* key: (\{.*\}) payload: (.*)$")
    out = {}
    with open(path) as f:
        for line in f:
            m = pattern.match(line.rstrip("\n"))
            if not m:
                continue
            payload = m.group(3)
            out[int(m.group(1))] = (json.loads(m.group(2)),
                                    None if payload == "<DELETE>" else json.loads(payload))
    return out


def dump(kpipe_path, dump_path):
    with open(kpipe_path) as f:
        ours = dict(records(f))
    theirs = dump_records(dump_path)
    problems = []
    if sorted(ours) != sorted(theirs):
        problems.append(f"offsets differ: kpipe {sorted(ours)}, DumpLogSegments {sorted(theirs)}")
    counts = {}
    for offset in sorted(set(ours) & set(theirs)):
        rec = ours[offset]
        key, payload = theirs[offset]
        kind = rec.get("record", "?")
        counts[kind] = counts.get(kind, 0) + 1
        type_field = "key_version" if kind == "transaction_metadata" else "record_type"
        if str(rec.get(type_field)) != key["type"]:
            problems.append(f"offset {offset}: type {rec.get(type_field)} vs {key['type']}")
        if rec.get("key") != snake_all(key["data"]):
            problems.append(f"offset {offset}: key {rec.get('key')} vs {key['data']}")
        if payload is None:
            if rec.get("value", "<missing>") is not None or "tombstone" not in rec:
                problems.append(f"offset {offset}: Kafka shows a tombstone, kpipe {rec}")
            continue
        if str(rec.get("value_version")) != payload["version"]:
            problems.append(f"offset {offset}: value version {rec.get('value_version')} vs "
                            f"{payload['version']}")
        want = kafka_value(kind, payload["data"])
        got = kpipe_shaped(kind, want, rec.get("value"))
        if got != want:
            problems.append(f"offset {offset}: value {json.dumps(got)} vs {json.dumps(want)}")
    for p in problems:
        print(p, file=sys.stderr)
    for kind in sorted(counts):
        print(kind, counts[kind])
    sys.exit(1 if problems else 0)


def main():
    cmd = sys.argv[1]
    if cmd == "committed":
        committed(sys.argv[2], sys.argv[3])
    elif cmd == "offsets-get":
        offsets_get()
    elif cmd == "transactions":
        transactions(sys.argv[2])
    elif cmd == "consumer-group":
        consumer_group(sys.argv[2])
    elif cmd == "dump":
        dump(sys.argv[2], sys.argv[3])
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
