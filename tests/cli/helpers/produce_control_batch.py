#!/usr/bin/env python3
"""Appends one transaction marker (a control record batch) to a partition, as a broker writes it
when a transaction ends, and prints the offset the broker gave it.

    produce_control_batch.py BROKERS TOPIC PARTITION [--marker commit|abort]
                             [--producer-id N] [--producer-epoch N] [--transactional-id ID]

The reference broker (librdkafka's mock cluster) writes no markers on EndTxn, so a test that needs
a partition ending in a marker crafts the batch here and sends it in a plain Produce request (v3,
after a Metadata v1 request for the leader), both written by hand on a socket: the standard
library only, so any python3 runs it. A real broker refuses control batches from clients (tests
on real Kafka write markers with a transactional producer instead); the mock stores what it is
given. With the defaults (producer id -1, no transactional id) the mock checks no producer state;
a producer id it does not know, with a transactional id, is refused (UNKNOWN_PRODUCER_ID).

The batch (record batch v2, KIP-98): attributes transactional | control, one record whose key is
the marker (version 0 int16, type int16: 0 abort, 1 commit) and whose value is version 0 int16
and the coordinator epoch int32. The CRC32C (Castagnoli) is computed here, table-driven, so that
nothing of kpipe's or kafka-python's record code is involved in writing it.
"""

import argparse
import socket
import struct
import sys
import time

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


class Reader:
    """Reads the big-endian fields of one response frame, in order."""

    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return values[0] if len(values) == 1 else values

    def string(self):
        n = self.take(">h")
        if n < 0:
            return None
        s = self.data[self.pos:self.pos + n].decode("utf-8")
        self.pos += n
        return s


def string(s):
    """A (nullable) protocol string."""
    if s is None:
        return struct.pack(">h", -1)
    b = s.encode("utf-8")
    return struct.pack(">h", len(b)) + b


def call(address, api_key, api_version, body, deadline):
    """Sends one request (header v1) to HOST:PORT and returns its response body as a Reader."""
    host, port = address
    header = struct.pack(">hhi", api_key, api_version, 1) + string("produce_control_batch")
    frame = header + body
    timeout = max(deadline - time.monotonic(), 0.1)
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(struct.pack(">i", len(frame)) + frame)
        size = struct.unpack(">i", s.recv(4, socket.MSG_WAITALL))[0]
        data = s.recv(size, socket.MSG_WAITALL)
    if len(data) != size:
        raise OSError("connection to %s:%d closed mid-answer" % address)
    r = Reader(data)
    r.take(">i")  # correlation id
    return r


def find_leader(bootstraps, topic, partition, deadline):
    """The (host, port) of the partition's leader, from Metadata v1; None when there is none."""
    while time.monotonic() < deadline:
        for bootstrap in bootstraps:
            host, port = bootstrap.rsplit(":", 1)
            try:
                r = call((host, int(port)), 3, 1, struct.pack(">i", 1) + string(topic), deadline)
            except OSError:
                continue
            brokers = {}
            for _ in range(r.take(">i")):
                node_id = r.take(">i")
                broker_host = r.string()
                brokers[node_id] = (broker_host, r.take(">i"))
                r.string()  # rack
            r.take(">i")  # controller id
            for _ in range(r.take(">i")):
                r.take(">h")  # topic error
                name = r.string()
                r.take(">b")  # is internal
                for _ in range(r.take(">i")):
                    _error, index, leader = r.take(">hii")
                    r.take(">%di" % r.take(">i"))  # replicas
                    r.take(">%di" % r.take(">i"))  # in-sync replicas
                    if name == topic and index == partition and leader in brokers:
                        return brokers[leader]
        time.sleep(0.1)
    return None


def produce(leader, args, batch, deadline):
    """Sends BATCH in a Produce v3 request; returns (error code, base offset)."""
    body = (
        string(args.transactional_id)
        + struct.pack(">hi", -1, int(args.timeout * 1000))  # acks all, timeout
        + struct.pack(">i", 1) + string(args.topic)
        + struct.pack(">ii", 1, args.partition)
        + struct.pack(">i", len(batch)) + batch
    )
    r = call(leader, 0, 3, body, deadline)
    # ProduceResponse v3: topics[(name, partitions[(index, error, base offset, append time)])]
    for _ in range(r.take(">i")):
        r.string()
        for _ in range(r.take(">i")):
            index, error, offset, _append_time = r.take(">ihqq")
            if index == args.partition:
                return error, offset
    raise ValueError("the answer names no partition %d" % args.partition)


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
    deadline = time.monotonic() + args.timeout
    try:
        leader = find_leader(args.brokers.split(","), args.topic, args.partition, deadline)
        if leader is None:
            print("produce_control_batch: no leader for %s:%d" % (args.topic, args.partition),
                  file=sys.stderr)
            return 1
        error, offset = produce(leader, args, batch, deadline)
    except (OSError, struct.error, ValueError) as e:
        print("produce_control_batch: %s" % e, file=sys.stderr)
        return 1
    if error != 0:
        print("produce_control_batch: partition %d: error code %d" % (args.partition, error),
              file=sys.stderr)
        return 1
    print(offset)
    return 0


if __name__ == "__main__":
    sys.exit(main())
