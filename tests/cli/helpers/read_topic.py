#!/usr/bin/env python3
"""Reads a whole topic with kafka-python and prints every record as one JSON object per line.

A reference reader for the produce tests: a second client (besides kcat) that must decode the
batches kpipe wrote, in every codec (gzip, snappy, lz4, zstd). Run it with $KPIPE_TEST_PYTHON,
the test venv, which has kafka-python and its codec packages.

    read_topic.py BROKERS TOPIC [--timeout SECONDS]

Reads every partition from its beginning up to the end offset it had when the reader started,
then prints, in partition then offset order:

    {"partition":0,"offset":0,"timestamp":1763769600000,"timestamp_type":0,
     "key":null,"value":"aGVsbG8=","headers":[["dHJhY2U=","YWJj"],["ZW1wdHk=",null]]}

key, value, header names and header values are base64 of the bytes (null stays null), so a
test can compare bytes exactly. Exit status 0 on success, 1 when the end offsets were not
reached within the timeout (what was read is still printed, the shortfall goes to stderr).
"""

import argparse
import base64
import json
import sys
import time

from kafka import KafkaConsumer, TopicPartition


def b64(data):
    if data is None:
        return None
    if isinstance(data, str):
        # kafka-python decodes header names as UTF-8 text; the bytes are the UTF-8 encoding.
        data = data.encode("utf-8")
    return base64.b64encode(data).decode("ascii")


def js(text):
    """A base64 string or None as JSON."""
    return "null" if text is None else '"' + text + '"'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("brokers")
    parser.add_argument("topic")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()

    consumer = KafkaConsumer(
        bootstrap_servers=args.brokers.split(","),
        enable_auto_commit=False,
        group_id=None,
        # A fixed protocol level instead of kafka-python's guess from probing the broker: the same
        # requests on every run, on either broker. Not 2.4 or later: from there kafka-python asks
        # ApiVersions v3, which librdkafka 2.0.2's mock refuses in a form kafka-python 3.0.12
        # cannot read. Kafka 4 still serves every version that 2.3 uses.
        api_version=(2, 3, 0),
        # Compare what the broker stored, not what a lenient reader accepts.
        check_crcs=True,
        max_partition_fetch_bytes=8 << 20,
        fetch_max_bytes=64 << 20,
        max_poll_records=100000,
        # Partitions already read to their end would otherwise hold every fetch for 500 ms.
        fetch_max_wait_ms=20,
        key_deserializer=None,
        value_deserializer=None,
    )
    try:
        deadline = time.monotonic() + args.timeout
        partitions = None
        while partitions is None and time.monotonic() < deadline:
            partitions = consumer.partitions_for_topic(args.topic)
            if partitions is None:
                time.sleep(0.1)
        if partitions is None:
            print("read_topic: topic %s not found" % args.topic, file=sys.stderr)
            return 1
        tps = [TopicPartition(args.topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        # One partition per ListOffsets request, and explicit seeks rather than an offset reset
        # (which asks for all of a leader's partitions at once): librdkafka 2.0.2's mock misframes
        # its ListOffsets v5 answers, so kafka-python misreads every partition after the first
        # of an answer (as partition -1, 65535, ...) and fails.
        begin = {tp: consumer.beginning_offsets([tp])[tp] for tp in tps}
        end = {tp: consumer.end_offsets([tp])[tp] for tp in tps}
        for tp in tps:
            consumer.seek(tp, begin[tp])

        records = {tp.partition: [] for tp in tps}
        pending = {tp for tp in tps if end[tp] > begin[tp]}
        while pending and time.monotonic() < deadline:
            for tp, batch in consumer.poll(timeout_ms=500).items():
                for r in batch:
                    if r.offset < end[tp]:
                        records[tp.partition].append(r)
            for tp in list(pending):
                if consumer.position(tp) >= end[tp]:
                    pending.discard(tp)
                    consumer.pause(tp)

        # Formatted by hand: json.dumps per record is most of the run time on large topics, and
        # every field is an integer, null or base64 (nothing to escape).
        out = sys.stdout
        for partition in sorted(records):
            for r in sorted(records[partition], key=lambda r: r.offset):
                headers = ",".join("[%s,%s]" % (js(b64(k)), js(b64(v))) for k, v in r.headers or [])
                out.write(
                    '{"partition":%d,"offset":%d,"timestamp":%d,"timestamp_type":%d,'
                    '"key":%s,"value":%s,"headers":[%s]}\n'
                    % (partition, r.offset, r.timestamp, r.timestamp_type, js(b64(r.key)),
                       js(b64(r.value)), headers)
                )
        if pending:
            for tp in sorted(pending, key=lambda tp: tp.partition):
                print(
                    "read_topic: partition %d: reached %d of end offset %d"
                    % (tp.partition, consumer.position(tp), end[tp]),
                    file=sys.stderr,
                )
            return 1
        return 0
    finally:
        consumer.close()


if __name__ == "__main__":
    sys.exit(main())
