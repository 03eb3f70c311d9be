#!/usr/bin/python3
"""A Kafka TCP relay that answers ListOffsets time queries as a real broker would.

    time_index_relay.py UPSTREAM_HOST:PORT [--max-seconds N]

Why: librdkafka 2.0.2's mock cluster (kpipe's reference broker) keeps no time index and answers
every ListOffsets query by timestamp with offset -1, so `consume -o @TIME`, `s@`, `e@` and
`offsets list --time MS` could only be tested against "no such record". This relay sits in front
of a ONE-broker mock cluster and forwards every frame unchanged, except:

  * ListOffsets requests (v1-v10) that hold at least one query with a timestamp >= 0 or -3 (max
    timestamp, KIP-734, which the mock does not know either). The relay answers those itself, in
    the version asked, as Kafka does: per partition, the first offset (in offset order) whose
    record timestamp is >= the query, with that record's timestamp and its batch's leader epoch;
    offset -1 and timestamp -1 when there is none; for -3 the first record with the highest
    timestamp. It learns the timestamps at the moment of the request by reading the partitions
    from the upstream broker (ListOffsets v1 for the earliest offset, then Fetch v4 up to the
    high watermark), so every record produced before the query is seen. As Kafka does,
    read_committed only looks below the last stable offset. Queries for -2 (earliest) and -1
    (latest) in such a request are answered from the same reading; requests holding only those
    go to the broker unchanged.
  * Metadata responses (every version): every broker's host and port become the relay's, so a
    client sends all of its requests through it (as tests/support/relay.py does).

Listens on 127.0.0.1 (an ephemeral port, printed as the first stdout line). A frame that cannot be
read closes that connection; the relay goes on. Exits on SIGTERM or after --max-seconds
(default 120). Needs /usr/bin/python3 with kafka-python, whose record reader decompresses the
batches (zstd through the zstd program); a partition it cannot read is answered with
UNKNOWN_SERVER_ERROR and the reason goes to stderr.
"""
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading

import kafka.codec
import kafka.record.default_records
from kafka.record.memory_records import MemoryRecords

# Debian 12's python3 has modules for gzip, snappy and lz4 but not zstd (kcat's and kpipe's
# favourite): let kafka-python's record reader use the zstd program for it then.
if not kafka.codec.has_zstd() and shutil.which("zstd"):
    kafka.codec.has_zstd = lambda: True
    kafka.record.default_records.zstd_decode = lambda data: subprocess.run(
        ["zstd", "-dcq"], input=bytes(data), stdout=subprocess.PIPE, check=True).stdout

MAX_FRAME = 64 << 20
CLIENT_ID = b"time-index-relay"
LIST_OFFSETS, METADATA, PRODUCE = 2, 3, 0


class Short(Exception):
    """A frame ended (or held a length) where a field was expected."""


class Reader:
    """A cursor over one frame; every read checks the bytes left first."""

    def __init__(self, data, pos=0):
        self.data, self.pos = data, pos

    def take(self, n):
        if n < 0 or self.pos + n > len(self.data):
            raise Short(f"need {n} bytes at {self.pos}, {len(self.data) - self.pos} left")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def i8(self):
        return struct.unpack(">b", self.take(1))[0]

    def i16(self):
        return struct.unpack(">h", self.take(2))[0]

    def i32(self):
        return struct.unpack(">i", self.take(4))[0]

    def i64(self):
        return struct.unpack(">q", self.take(8))[0]

    def uvarint(self):
        value = shift = 0
        while True:
            b = self.take(1)[0]
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7
            if shift > 28:
                raise Short("varint longer than 5 bytes")

    def string(self, flexible):
        n = self.uvarint() - 1 if flexible else self.i16()
        return None if n < 0 else self.take(n).decode("utf-8", "replace")

    def count(self, flexible):
        n = self.uvarint() - 1 if flexible else self.i32()
        if n > len(self.data) - self.pos:  # every element takes at least one byte
            raise Short(f"array of {n} in {len(self.data) - self.pos} bytes")
        return max(n, 0)

    def skip_tags(self):
        # KIP-482 tagged fields: none of them matters here.
        for _ in range(self.uvarint()):
            self.uvarint()
            self.take(self.uvarint())


def uvarint(n):
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def string(s, flexible):
    b = s.encode()
    return (uvarint(len(b) + 1) if flexible else struct.pack(">h", len(b))) + b


def count(n, flexible):
    return uvarint(n + 1) if flexible else struct.pack(">i", n)


def frame(body):
    return struct.pack(">i", len(body)) + body


# ---- ListOffsets (KIP-79 timestamps; v4 leader epochs KIP-320; v6+ flexible KIP-482) ----


def parse_list_offsets(data):
    """(correlation id, version, isolation level, [(topic, [(partition, timestamp)])]) of a
    ListOffsets request frame body, or None when it is not one this relay answers."""
    r = Reader(data)
    key, version, correlation = r.i16(), r.i16(), r.i32()
    if key != LIST_OFFSETS or not 1 <= version <= 10:
        return None
    flexible = version >= 6
    r.string(False)  # client id: a plain nullable string even in header v2
    if flexible:
        r.skip_tags()
    r.i32()  # replica id
    isolation = r.i8() if version >= 2 else 0
    topics = []
    for _ in range(r.count(flexible)):
        name = r.string(flexible)
        partitions = []
        for _ in range(r.count(flexible)):
            partition = r.i32()
            if version >= 4:
                r.i32()  # current leader epoch
            partitions.append((partition, r.i64()))
            if flexible:
                r.skip_tags()
        topics.append((name, partitions))
        if flexible:
            r.skip_tags()
    if version >= 10:
        r.i32()  # timeout
    if flexible:
        r.skip_tags()
    return correlation, version, isolation, topics


def encode_list_offsets(correlation, version, answers):
    """A ListOffsets response frame; answers: [(topic, [(partition, error, ts, offset, epoch)])]."""
    flexible = version >= 6
    out = bytearray(struct.pack(">i", correlation))
    if flexible:
        out += b"\0"  # response header v1: no tagged fields
    if version >= 2:
        out += struct.pack(">i", 0)  # throttle time
    out += count(len(answers), flexible)
    for name, partitions in answers:
        out += string(name, flexible) + count(len(partitions), flexible)
        for partition, error, timestamp, offset, epoch in partitions:
            out += struct.pack(">ihqq", partition, error, timestamp, offset)
            if version >= 4:
                out += struct.pack(">i", epoch)
            if flexible:
                out += b"\0"
        if flexible:
            out += b"\0"
    if flexible:
        out += b"\0"
    return frame(bytes(out))


# ---- Reading partitions from the upstream broker ----


def call(sock, api_key, version, body):
    """One non-flexible request (header v1) and its answer, without the correlation id."""
    header = struct.pack(">hhih", api_key, version, 1, len(CLIENT_ID)) + CLIENT_ID
    sock.sendall(frame(header + body))
    size = struct.unpack(">i", recv_exactly(sock, 4))[0]
    if not 4 <= size <= MAX_FRAME:
        raise Short(f"upstream frame of {size} bytes")
    return Reader(recv_exactly(sock, size), 4)


def recv_exactly(sock, n):
    out = bytearray()
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise OSError("upstream closed the connection")
        out += chunk
    return bytes(out)


def read_partitions(upstream, topic, partitions):
    """partition -> (error, earliest, high watermark, last stable offset, [(offset, ts, epoch)])
    with every record from the earliest offset to the high watermark, in offset order."""
    with socket.create_connection(upstream, timeout=10) as sock:
        body = struct.pack(">i", -1) + count(1, False) + string(topic, False)
        body += count(len(partitions), False)
        for p in partitions:
            body += struct.pack(">iq", p, -2)
        r = call(sock, LIST_OFFSETS, 1, body)
        state = {}
        for _ in range(r.count(False)):
            r.string(False)
            for _ in range(r.count(False)):
                p, error, _, offset = r.i32(), r.i16(), r.i64(), r.i64()
                state[p] = [error, offset, -1, -1, []]
        todo = {p: state[p][1] for p in partitions if p in state and state[p][0] == 0}
        for p in partitions:
            state.setdefault(p, [3, -1, -1, -1, []])  # not answered: unknown partition
        while todo:
            # Fetch v4: read_uncommitted (aborted records are in Kafka's time index too), at
            # most 8 MiB a round, no waiting.
            body = struct.pack(">iiiib", -1, 0, 0, 8 << 20, 0) + count(1, False)
            body += string(topic, False) + count(len(todo), False)
            for p, offset in todo.items():
                body += struct.pack(">iqi", p, offset, 8 << 20)
            r = call(sock, 1, 4, body)
            r.i32()  # throttle time
            progress = {}
            for _ in range(r.count(False)):
                r.string(False)
                for _ in range(r.count(False)):
                    p, error, hw, lso = r.i32(), r.i16(), r.i64(), r.i64()
                    for _ in range(r.count(False)):  # aborted transactions
                        r.i64(), r.i64()
                    n = r.i32()
                    records = r.take(n) if n > 0 else b""
                    if p not in todo:
                        continue
                    s = state[p]
                    s[0], s[2], s[3] = error, hw, lso
                    if error == 0:
                        try:
                            progress[p] = collect(records, todo[p], s[4])
                        except Exception as e:  # a codec missing here, a corrupt batch
                            print(f"{topic}-{p}: {e!r}", file=sys.stderr, flush=True)
                            s[0] = -1  # answered as UNKNOWN_SERVER_ERROR
            # Done with a partition at the high watermark, on an error or without progress.
            todo = {p: progress[p] for p in todo
                    if p in progress and todo[p] < progress[p] < state[p][2]}
        return {p: tuple(s) for p, s in state.items()}


def collect(records, start, out):
    """Appends (offset, timestamp, leader epoch) of every record at or after START in a Fetch
    response's record set; returns the offset after the last whole batch."""
    pos, next_offset = 0, start
    while pos + 17 <= len(records):
        base, length = struct.unpack_from(">qi", records, pos)
        if length < 5 or pos + 12 + length > len(records):
            break  # the broker cut the last batch short
        raw = records[pos:pos + 12 + length]
        magic = raw[16]
        epoch = struct.unpack_from(">i", raw, 12)[0] if magic >= 2 else -1
        batch = MemoryRecords(bytearray(raw)).next_batch()
        for record in batch:
            next_offset = max(next_offset, record.offset + 1)
            if record.offset >= start:
                out.append((record.offset, record.timestamp, epoch))
        if magic >= 2:  # a batch's last offset counts even when its records were compacted
            next_offset = max(next_offset, base + struct.unpack_from(">i", raw, 23)[0] + 1)
        pos += 12 + length
    return next_offset


def answer(query, isolation, read):
    """(error, timestamp, offset, leader epoch) for one partition's query, as Kafka answers."""
    error, earliest, hw, lso, records = read
    if error:
        return error, -1, -1, -1
    end = lso if isolation == 1 and lso >= 0 else hw
    visible = [r for r in records if r[0] < end]
    if query == -1:
        return 0, -1, end, -1
    if query in (-2, -4):  # -4: earliest local (KIP-1005); all of the mock's log is local
        return 0, -1, earliest, -1
    if query == -3:  # KIP-734: the record with the highest timestamp (the first, on ties)
        if not visible:
            return 0, -1, -1, -1
        best = max(visible, key=lambda r: (r[1], -r[0]))
        return 0, best[1], best[0], best[2]
    if query < 0:
        return 42, -1, -1, -1  # INVALID_REQUEST: a named position this relay does not know
    for offset, timestamp, epoch in visible:
        if timestamp >= query:
            return 0, timestamp, offset, epoch
    return 0, -1, -1, -1


def answer_list_offsets(upstream, request):
    correlation, version, isolation, topics = request
    answers = []
    for name, queries in topics:
        read = read_partitions(upstream, name, sorted({p for p, _ in queries}))
        answers.append((name, [(p,) + answer(t, isolation, read[p]) for p, t in queries]))
    return encode_list_offsets(correlation, version, answers)


# ---- Metadata: point the client at the relay ----


def rewrite_metadata(data, version, port):
    """A Metadata response frame body with every broker's host and port set to the relay's."""
    flexible = version >= 9
    r = Reader(data, 4)
    if flexible:
        r.skip_tags()
    if version >= 3:
        r.i32()
    out = bytearray(data[:r.pos])
    n = r.count(flexible)
    out += count(n, flexible)
    for _ in range(n):
        node = r.i32()
        r.string(flexible)
        r.i32()
        out += struct.pack(">i", node) + string("127.0.0.1", flexible) + struct.pack(">i", port)
        start = r.pos
        if version >= 1:
            r.string(flexible)  # rack
        if flexible:
            r.skip_tags()
        out += data[start:r.pos]
    out += data[r.pos:]
    return frame(bytes(out))


# ---- Connections ----


class Link:
    """One client connection and its upstream one. Kafka answers a connection's requests in
    order, so an answer of the relay's own waits until every request forwarded before it has been
    answered (`in_flight` counts them)."""

    def __init__(self, client, server, upstream, port):
        self.client, self.server, self.upstream, self.port = client, server, upstream, port
        self.cond = threading.Condition()
        self.in_flight = {}  # correlation id -> (api key, version), forwarded and unanswered
        self.send_lock = threading.Lock()

    def close(self):
        for s in (self.client, self.server):
            try:
                s.shutdown(socket.SHUT_RDWR)  # wakes the other thread's recv
            except OSError:
                pass
            s.close()

    def frames(self, sock):
        pending = b""
        while True:
            while len(pending) >= 4:
                size = struct.unpack(">i", pending[:4])[0]
                if not 0 <= size <= MAX_FRAME:
                    raise Short(f"frame size {size}")
                if len(pending) < 4 + size:
                    break
                yield pending[4:4 + size]
                pending = pending[4 + size:]
            data = sock.recv(65536)
            if not data:
                return
            pending += data

    def requests(self):
        try:
            for body in self.frames(self.client):
                key, version, correlation = struct.unpack(">hhi", Reader(body).take(8))
                if key == LIST_OFFSETS:
                    request = parse_list_offsets(body)
                    if request and any(t >= 0 or t == -3 for _, ps in request[3] for _, t in ps):
                        with self.cond:  # answers to earlier requests leave first
                            self.cond.wait_for(lambda: not self.in_flight, timeout=10)
                        reply = answer_list_offsets(self.upstream, request)
                        with self.send_lock:
                            self.client.sendall(reply)
                        continue
                if not (key == PRODUCE and acks(body, version) == 0):  # acks=0: no answer
                    with self.cond:
                        self.in_flight[correlation] = (key, version)
                self.server.sendall(frame(body))
        except Exception as e:  # a bad frame or record set ends this connection, not the relay
            print(f"client connection closed: {e!r}", file=sys.stderr, flush=True)
        finally:
            self.close()

    def responses(self):
        try:
            for body in self.frames(self.server):
                correlation = struct.unpack(">i", Reader(body).take(4))[0]
                with self.cond:
                    key, version = self.in_flight.get(correlation, (None, None))
                out = rewrite_metadata(body, version, self.port) if key == METADATA else frame(body)
                with self.send_lock:
                    self.client.sendall(out)
                with self.cond:
                    self.in_flight.pop(correlation, None)
                    self.cond.notify_all()
        except Exception as e:
            print(f"upstream connection closed: {e!r}", file=sys.stderr, flush=True)
        finally:
            self.close()


def acks(body, version):
    r = Reader(body, 8)
    r.string(False)  # client id
    if version >= 9:
        r.skip_tags()
    if version >= 3:
        r.string(version >= 9)  # transactional id
    return r.i16()


def main():
    upstream_host, upstream_port = sys.argv[1].rsplit(":", 1)
    upstream = (upstream_host, int(upstream_port))
    max_seconds = 120
    if "--max-seconds" in sys.argv:
        max_seconds = int(sys.argv[sys.argv.index("--max-seconds") + 1])
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    threading.Timer(max_seconds, lambda: os._exit(0)).start()

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    print(f"127.0.0.1:{port}", flush=True)
    while True:
        client, _ = listener.accept()
        try:
            server = socket.create_connection(upstream, timeout=10)
            server.settimeout(None)
        except OSError as e:
            print(f"cannot reach {sys.argv[1]}: {e}", file=sys.stderr, flush=True)
            client.close()
            continue
        for s in (client, server):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        link = Link(client, server, upstream, port)
        threading.Thread(target=link.requests, daemon=True).start()
        threading.Thread(target=link.responses, daemon=True).start()


if __name__ == "__main__":
    main()
