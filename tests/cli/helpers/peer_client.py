#!/usr/bin/env python3
"""kafka-python as the independent peer of tests/cli/peers.bats (run with $KPIPE_TEST_PYTHON).

    peer_client.py read BROKERS TOPIC [--isolation read_committed|read_uncommitted]
        every record of every partition, from the beginning up to the end offsets taken at the
        start (the last stable offsets under read_committed), as canonical lines (see
        peer_records.py) on stdout; exit 1 when the ends were not reached within 60 s
    peer_client.py produce BROKERS TOPIC PARTITIONS N [--compression C] [--linger-ms MS]
                           [--transactional-id ID [--abort]] [--tag TAG] [--partition P]
        N records with binary keys, values and header values, null keys and values, null header
        values, empty ones and explicit timestamps, each to an explicit partition (i %
        PARTITIONS, or P); prints them as canonical lines with the offsets the broker gave them.
        With --transactional-id all of them go in one transaction, committed, or aborted after
        every record was acknowledged (--abort).
    peer_client.py produce-file BROKERS TOPIC FILE [--transactional-id ID [--abort]]
        the produce -J envelopes of FILE (peer_records.py gen), keyed ones partitioned by
        kafka-python's murmur2 partitioner (the Java client's), the others to their envelope's
        partition; prints nothing. With --transactional-id as for produce.
    peer_client.py producers BROKERS TOPIC PARTITIONS
        DescribeProducers for each partition (kafka-python's admin client), one JSON line per
        partition: {"partition":P,"producers":[{"producer_id":..,"producer_epoch":..,
        "last_sequence":..,"current_transaction_start_offset":..},...]}
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from kafka.record.default_records import DefaultRecordBatchBuilder  # noqa: E402

from peer_records import canon_line, now_ms  # noqa: E402

# kafka-python's KafkaProducer.send() refuses a header whose value is None (its type check wants
# bytes), although Kafka allows null header values and kafka-python's own record writer
# (DefaultRecordBatchBuilder.append) writes them as length -1. So null values pass send() as this
# sentinel and the writer turns them back into None.
NULL_HEADER = b"\x00peer-client-null-header\x00"
_append = DefaultRecordBatchBuilder.append


def _append_with_nulls(self, offset, timestamp, key, value, headers, *args, **kwargs):
    headers = [(k, None if v == NULL_HEADER else v) for k, v in headers]
    return _append(self, offset, timestamp, key, value, headers, *args, **kwargs)


DefaultRecordBatchBuilder.append = _append_with_nulls


def send_headers(headers):
    """headers for KafkaProducer.send: (str, bytes) pairs, None values as NULL_HEADER."""
    return [(k, NULL_HEADER if v is None else v) for k, v in headers]


def option(args, name, default=None):
    if name in args:
        return args[args.index(name) + 1]
    return default


def read(brokers, topic, isolation):
    consumer = KafkaConsumer(
        bootstrap_servers=brokers.split(","),
        enable_auto_commit=False,
        group_id=None,
        isolation_level=isolation,
        # Compare what the broker stored, not what a lenient reader accepts.
        check_crcs=True,
        max_partition_fetch_bytes=8 << 20,
        fetch_max_bytes=64 << 20,
        max_poll_records=100000,
        # Partitions already read to their end would otherwise hold every fetch for 500 ms.
        fetch_max_wait_ms=20,
    )
    try:
        deadline = time.monotonic() + 60
        partitions = None
        while partitions is None and time.monotonic() < deadline:
            partitions = consumer.partitions_for_topic(topic)
            if partitions is None:
                time.sleep(0.1)
        if partitions is None:
            print(f"peer_client: topic {topic} not found", file=sys.stderr)
            return 1
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        # Under read_committed the consumer's ListOffsets asks for the last stable offset.
        end = consumer.end_offsets(tps)
        got = {tp.partition: [] for tp in tps}
        pending = {tp for tp in tps if consumer.position(tp) < end[tp]}
        while pending and time.monotonic() < deadline:
            for tp, batch in consumer.poll(timeout_ms=200).items():
                got[tp.partition].extend(r for r in batch if r.offset < end[tp])
            for tp in list(pending):
                if consumer.position(tp) >= end[tp]:
                    pending.discard(tp)
                    consumer.pause(tp)
        out = []
        for p in sorted(got):
            # In the order received: a reordering within a partition shows as a difference.
            for r in got[p]:
                headers = [(n.encode("utf-8") if isinstance(n, str) else n, v)
                           for n, v in r.headers or []]
                out.append(canon_line(p, r.offset, r.timestamp, r.timestamp_type, r.key, r.value,
                                      headers))
        sys.stdout.write("".join(line + "\n" for line in out))
        for tp in sorted(pending, key=lambda t: t.partition):
            print(f"peer_client: partition {tp.partition}: reached {consumer.position(tp)} of "
                  f"end offset {end[tp]}", file=sys.stderr)
        return 1 if pending else 0
    finally:
        consumer.close()


def binary_record(i, tag, ts0):
    """Record i of a produce set: (key, value, headers, timestamp), bytes or None."""
    # Every byte value 0-255 appears in keys, values and header values, invalid UTF-8 included.
    blob = bytes((i * 31 + j) % 256 for j in range(i % 23))
    key = None if i % 10 == 3 else (b"\x00\xff" + tag.encode() + b"-%d-" % i + blob[:5])
    if i % 17 == 5 and key is not None:
        value = None  # a tombstone (kafka-python refuses a record without key and value)
    elif i % 17 == 6:
        value = b""
    else:
        value = b"%s-value-%d:" % (tag.encode(), i) + blob + bytes([0x80 | (i % 64)]) * (i % 4)
    headers = []
    for j in range(i % 6):
        # Repeated names, invalid UTF-8 (c3 28), a null and an empty value.
        name = ["bin", "utf8-\u00fc", "bin", "null", "empty", "bin"][j]
        hv = {0: blob, 1: "v\u00e9%d" % i, 2: b"\xc3\x28", 3: None, 4: b"", 5: blob[::-1]}[j]
        headers.append((name, hv.encode("utf-8") if isinstance(hv, str) else hv))
    return key, value, headers, ts0 + i * 10 + (i % 7)


def produce(brokers, topic, partitions, n, args):
    tag = option(args, "--tag", "py")
    # An hour ago (see peer_records.now_ms), in steps of 10 ms.
    ts0 = now_ms() - 3600 * 1000
    compression = option(args, "--compression")
    txn = option(args, "--transactional-id")
    fixed = option(args, "--partition")
    producer = KafkaProducer(
        bootstrap_servers=brokers.split(","),
        compression_type=compression,
        linger_ms=int(option(args, "--linger-ms", "50")),
        batch_size=256 << 10,
        acks="all",
        transactional_id=txn,
    )
    try:
        if txn:
            producer.init_transactions()
            producer.begin_transaction()
        futures = []
        for i in range(n):
            key, value, headers, ts = binary_record(i, tag, ts0)
            fut = producer.send(topic, key=key, value=value, headers=send_headers(headers),
                                partition=int(fixed) if fixed else i % partitions,
                                timestamp_ms=ts)
            futures.append((fut, key, value, headers, ts))
        producer.flush()
        rows = []
        for fut, key, value, headers, ts in futures:
            md = fut.get(timeout=30)
            hdrs = [(k.encode("utf-8"), v) for k, v in headers]
            rows.append(((md.partition, md.offset),
                         canon_line(md.partition, md.offset, ts, 0, key, value, hdrs)))
        if txn:
            if "--abort" in args:
                producer.abort_transaction()
            else:
                producer.commit_transaction()
        rows.sort()
        sys.stdout.write("".join(line + "\n" for _, line in rows))
        return 0
    finally:
        producer.close()


def produce_file(brokers, topic, path, args):
    txn = option(args, "--transactional-id")
    producer = KafkaProducer(bootstrap_servers=brokers.split(","), linger_ms=20,
                             batch_size=256 << 10, acks="all", transactional_id=txn)
    try:
        if txn:
            producer.init_transactions()
            producer.begin_transaction()
        futures = []
        with open(path, encoding="utf-8") as f:
            for line in f:
                e = json.loads(line)
                enc = (lambda x: None if x is None else x.encode("utf-8"))
                futures.append(producer.send(
                    topic, key=enc(e["key"]), value=enc(e["value"]),
                    headers=send_headers([(n, enc(v)) for n, v in e["headers"]]),
                    partition=e.get("partition"), timestamp_ms=e["timestamp"]))
        producer.flush()
        for fut in futures:
            fut.get(timeout=30)
        if txn:
            if "--abort" in args:
                producer.abort_transaction()
            else:
                producer.commit_transaction()
        return 0
    finally:
        producer.close()


def producers(brokers, topic, partitions):
    admin = KafkaAdminClient(bootstrap_servers=brokers.split(","))
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        described = admin.describe_producers(tps)
        for tp in tps:
            states = [s._asdict() for s in described[tp].active_producers]
            for s in states:
                s.pop("last_timestamp")
                s.pop("coordinator_epoch")
            print(json.dumps({"partition": tp.partition, "producers": states},
                             separators=(",", ":")))
        return 0
    finally:
        admin.close()


def main(argv):
    if len(argv) >= 4 and argv[1] == "read":
        return read(argv[2], argv[3], option(argv, "--isolation", "read_uncommitted"))
    if len(argv) >= 6 and argv[1] == "produce":
        return produce(argv[2], argv[3], int(argv[4]), int(argv[5]), argv[6:])
    if len(argv) >= 5 and argv[1] == "produce-file":
        return produce_file(argv[2], argv[3], argv[4], argv[5:])
    if len(argv) == 5 and argv[1] == "producers":
        return producers(argv[2], argv[3], int(argv[4]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
