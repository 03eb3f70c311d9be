#!/usr/bin/python3
"""Appends one transaction marker (a control record batch) to a partition, as a broker writes it
when a transaction ends, and prints the offset the broker gave it.

    produce_control_batch.py BROKERS TOPIC PARTITION [--marker commit|abort]
                             [--producer-id N] [--producer-epoch N] [--transactional-id ID]

The reference broker (librdkafka's mock cluster) writes no markers on EndTxn, so a test that needs
a partition ending in a marker crafts the batch here and sends it in a plain Produce request
through kafka-python's low-level client (Debian python3-kafka; run with /usr/bin/python3).
A real broker refuses control batches from clients; the mock stores what it is given. With the
defaults (producer id -1, no transactional id) the mock checks no producer state; a producer id
it does not know, with a transactional id, is refused (UNKNOWN_PRODUCER_ID).

The batch (record batch v2, KIP-98): attributes transactional | control, one record whose key is
the marker (version 0 int16, type int16: 0 abort, 1 commit) and whose value is version 0 int16
and the coordinator epoch int32. The CRC32C (Castagnoli) is computed here, table-driven, so that
nothing of kpipe's or kafka-python's record code is involved in writing it.
"""

import argparse
import struct
import sys
import time

from kafka.client_async import KafkaClient
from kafka.protocol.produce import ProduceRequest
from kafka.structs import TopicPartition

ATTR_TRANSACTIONAL = 0x10
ATTR_CONTROL = 0x20
MARKER_TYPES = {"abort": 0, "commit": 1}


def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            # 0x82F63B78: the Castagnoli polynomial, bit-reversed.
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def zigzag_varint(n):
    """A signed varint as Kafka's records write it (zigzag, then base 128, low groups first)."""
    z = (n << 1) ^ (n >> 63)
    out = bytearray()
    while True:
        byte = z & 0x7F
        z >>= 7
        if z:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def control_batch(marker_type, producer_id, producer_epoch, coordinator_epoch, timestamp_ms):
    key = struct.pack(">hh", 0, marker_type)
    value = struct.pack(">hi", 0, coordinator_epoch)
    body = (
        b"\x00"  # record attributes (unused)
        + zigzag_varint(0)  # timestamp delta
        + zigzag_varint(0)  # offset delta
        + zigzag_varint(len(key))
        + key
        + zigzag_varint(len(value))
        + value
        + zigzag_varint(0)  # headers
    )
    record = zigzag_varint(len(body)) + body
    # Everything after the CRC field, which the CRC covers.
    after_crc = (
        struct.pack(
            ">hiqqqhii",
            ATTR_TRANSACTIONAL | ATTR_CONTROL,
            0,  # last offset delta
            timestamp_ms,  # base timestamp
            timestamp_ms,  # max timestamp
            producer_id,
            producer_epoch,
            -1,  # base sequence: markers have none
            1,  # record count
        )
        + record
    )
    # partition leader epoch, magic, crc, then the rest
    after_length = struct.pack(">ibI", -1, 2, crc32c(after_crc)) + after_crc
    return struct.pack(">qi", 0, len(after_length)) + after_length


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("brokers")
    parser.add_argument("topic")
    parser.add_argument("partition", type=int)
    parser.add_argument("--marker", choices=sorted(MARKER_TYPES), default="commit")
    parser.add_argument("--producer-id", type=int, default=-1)
    parser.add_argument("--producer-epoch", type=int, default=-1)
    parser.add_argument("--coordinator-epoch", type=int, default=0)
    parser.add_argument("--transactional-id", default=None)
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()

    batch = control_batch(MARKER_TYPES[args.marker], args.producer_id, args.producer_epoch,
                          args.coordinator_epoch, int(time.time() * 1000))
    # api_version given: skip the broker probing, which the mock answers in ways kafka-python
    # misreads (as in read_topic.py).
    client = KafkaClient(bootstrap_servers=args.brokers.split(","), api_version=(2, 5, 0))
    try:
        deadline = time.monotonic() + args.timeout
        tp = TopicPartition(args.topic, args.partition)
        client.add_topic(args.topic)
        leader = None
        while leader is None and time.monotonic() < deadline:
            client.poll(future=client.cluster.request_update(), timeout_ms=1000)
            leader = client.cluster.leader_for_partition(tp)
            if leader is None or leader < 0:
                leader = None
                time.sleep(0.1)
        if leader is None:
            print("produce_control_batch: no leader for %s:%d" % tp, file=sys.stderr)
            return 1
        while not client.ready(leader) and time.monotonic() < deadline:
            client.poll(timeout_ms=100)
        request = ProduceRequest[3](
            transactional_id=args.transactional_id,
            required_acks=-1,
            timeout=int(args.timeout * 1000),
            topics=[(args.topic, [(args.partition, batch)])],
        )
        future = client.send(leader, request)
        while not future.is_done and time.monotonic() < deadline:
            client.poll(future=future, timeout_ms=1000)
        if not future.is_done:
            print("produce_control_batch: no answer within %.1fs" % args.timeout, file=sys.stderr)
            return 1
        if future.failed():
            print("produce_control_batch: %r" % future.exception, file=sys.stderr)
            return 1
        # ProduceResponse v3: topics[(topic, partitions[(partition, error, offset, time)])]
        for _topic, partitions in future.value.topics:
            for partition, error, offset, *_rest in partitions:
                if error != 0:
                    print("produce_control_batch: partition %d: error code %d" % (partition, error),
                          file=sys.stderr)
                    return 1
                print(offset)
        return 0
    finally:
        client.close()


if __name__ == "__main__":
    sys.exit(main())
