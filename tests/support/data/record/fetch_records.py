#!/usr/bin/env python3
"""Fetches the raw records of one partition and prints them as hex (python3 standard library).

    fetch_records.py HOST:PORT TOPIC PARTITION [OFFSET] > records.hex

Sends one Fetch v4 request (the first version whose records are record batches, KIP-98) and
prints the partition's records field as the broker sent it: the bytes record_batch.hpp reads.
Used to record the kcat_*.hex fixtures beside this file (see README.md).
"""
import socket
import struct
import sys


def string(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            sys.exit("connection closed early")
        data += chunk
    return data


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return v[0]

    def raw(self, n):
        v = self.data[self.pos:self.pos + n]
        self.pos += n
        return v


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    topic, partition = sys.argv[2], int(sys.argv[3])
    offset = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    # replica -1, max wait 500 ms, min bytes 1, max bytes 1 MiB, read_uncommitted
    body = struct.pack(">iiiib", -1, 500, 1, 1 << 20, 0)
    body += struct.pack(">i", 1) + string(topic)
    body += struct.pack(">i", 1) + struct.pack(">iqi", partition, offset, 1 << 20)
    client = b"kpipe-recorder"
    header = struct.pack(">hhih", 1, 4, 42, len(client)) + client
    frame = header + body
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(struct.pack(">i", len(frame)) + frame)
        size = struct.unpack(">i", recv_exact(s, 4))[0]
        r = Reader(recv_exact(s, size))
    if r.take(">i") != 42:
        sys.exit("unexpected correlation id")
    r.take(">i")  # throttle time
    for _ in range(r.take(">i")):
        r.raw(r.take(">h"))  # topic
        for _ in range(r.take(">i")):
            r.take(">i")  # partition
            error = r.take(">h")
            if error:
                sys.exit(f"error code {error}")
            r.take(">q")  # high watermark
            r.take(">q")  # last stable offset
            aborted = r.take(">i")
            for _ in range(max(aborted, 0)):
                r.raw(16)
            n = r.take(">i")
            print(r.raw(max(n, 0)).hex())
            return


if __name__ == "__main__":
    main()
