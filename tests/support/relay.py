#!/usr/bin/env python3
"""A TCP relay that records Kafka traffic as frame streams (python3 standard library only).

    relay.py UPSTREAM_HOST:PORT OUT_DIR [--max-seconds N]

Listens on 127.0.0.1 (an ephemeral port, printed as the first stdout line), forwards every
connection to UPSTREAM, and writes each connection's frames to OUT_DIR/conn-N.bin in the order
they crossed the relay: whole size-prefixed frames from both directions, requests and
responses interleaved, as `kpipe decode --frames` reads them. Exits on SIGTERM or after
--max-seconds (default 120).

So that a client sends everything through the relay (not only its bootstrap requests), the
broker addresses in Metadata responses and the coordinator addresses in FindCoordinator
responses, of every version (flexible ones too: compact strings and tagged fields; FindCoordinator
v4+ carries a list), are rewritten to the relay's own address: use it with a one-broker cluster.
The log holds the frames as the client saw them.
"""
import os
import signal
import socket
import sys
import threading

HOST = b"127.0.0.1"
METADATA, FIND_COORDINATOR = 3, 10
FIRST_FLEXIBLE = {METADATA: 9, FIND_COORDINATOR: 3}


def uvarint(buf, pos):
    value = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7


def put_uvarint(value):
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def skip_tags(buf, pos):
    count, pos = uvarint(buf, pos)
    for _ in range(count):
        _, pos = uvarint(buf, pos)
        size, pos = uvarint(buf, pos)
        pos += size
    return pos


class Rewriter:
    """Copies a response body while replacing host and port fields."""

    def __init__(self, body, flexible, port):
        self.b, self.pos, self.out, self.flexible, self.port = body, 0, bytearray(), flexible, port

    def copy(self, n):
        self.out += self.b[self.pos:self.pos + n]
        self.pos += n

    def int32(self):
        v = int.from_bytes(self.b[self.pos:self.pos + 4], "big", signed=True)
        self.copy(4)
        return v

    def string(self):  # (nullable) string or compact (nullable) string
        if self.flexible:
            n, end = uvarint(self.b, self.pos)
            end += max(n - 1, 0)
        else:
            n = int.from_bytes(self.b[self.pos:self.pos + 2], "big", signed=True)
            end = self.pos + 2 + max(n, 0)
        self.copy(end - self.pos)

    def array_count(self):
        if self.flexible:
            n, end = uvarint(self.b, self.pos)
            self.copy(end - self.pos)
            return max(n - 1, 0)
        return max(self.int32(), 0)

    def tags(self):
        if self.flexible:
            self.copy(skip_tags(self.b, self.pos) - self.pos)

    def host_port(self):
        """Replaces a host string and the int32 port after it."""
        if self.flexible:
            n, end = uvarint(self.b, self.pos)
            self.pos = end + max(n - 1, 0)
            self.out += put_uvarint(len(HOST) + 1) + HOST
        else:
            n = int.from_bytes(self.b[self.pos:self.pos + 2], "big", signed=True)
            self.pos += 2 + max(n, 0)
            self.out += len(HOST).to_bytes(2, "big") + HOST
        self.pos += 4
        self.out += self.port.to_bytes(4, "big")

    def rest(self):
        self.out += self.b[self.pos:]
        return bytes(self.out)


def rewrite(frame, key, version, port):
    """The response frame (size prefix included) with its broker addresses rewritten."""
    flexible = version >= FIRST_FLEXIBLE[key]
    body = frame[4:]
    # Response header: correlation id, and in flexible versions tagged fields.
    head_end = 4 if not flexible else skip_tags(body, 4)
    r = Rewriter(body[head_end:], flexible, port)
    if key == METADATA:
        if version >= 3:
            r.int32()  # throttle time
        for _ in range(r.array_count()):
            r.int32()  # node id
            r.host_port()
            if version >= 1:
                r.string()  # rack
            r.tags()
    else:
        if version >= 1:
            r.int32()  # throttle time
        if version <= 3:
            r.copy(2)  # error code
            if version >= 1:
                r.string()  # error message
            r.int32()  # node id
            r.host_port()
        else:
            for _ in range(r.array_count()):
                r.string()  # key
                r.int32()  # node id
                r.host_port()
                r.copy(2)  # error code
                r.string()  # error message
                r.tags()
    out = body[:head_end] + r.rest()
    return len(out).to_bytes(4, "big") + out


def pump(src, dst, log, lock, requests, relay_port):
    """Forwards whole frames, each logged before it is sent on (so an answer is never logged
    before its request); relay_port is None for the client-to-broker direction."""
    pending = b""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            pending += data
            while len(pending) >= 4:
                size = int.from_bytes(pending[:4], "big")
                if len(pending) < 4 + size:
                    break
                frame, pending = pending[:4 + size], pending[4 + size:]
                if relay_port is None:  # a request: remember what it asked
                    correlation = int.from_bytes(frame[8:12], "big")
                    requests[correlation] = (int.from_bytes(frame[4:6], "big"),
                                             int.from_bytes(frame[6:8], "big"))
                else:
                    correlation = int.from_bytes(frame[4:8], "big")
                    key, version = requests.pop(correlation, (None, None))
                    if key in FIRST_FLEXIBLE:
                        frame = rewrite(frame, key, version, relay_port)
                with lock:
                    log.write(frame)
                    log.flush()
                dst.sendall(frame)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def main():
    upstream_host, upstream_port = sys.argv[1].rsplit(":", 1)
    out_dir = sys.argv[2]
    max_seconds = 120
    if "--max-seconds" in sys.argv:
        max_seconds = int(sys.argv[sys.argv.index("--max-seconds") + 1])
    os.makedirs(out_dir, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    threading.Timer(max_seconds, lambda: os._exit(0)).start()

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    relay_port = listener.getsockname()[1]
    print(f"127.0.0.1:{relay_port}", flush=True)

    count = 0
    while True:
        client, _ = listener.accept()
        server = socket.create_connection((upstream_host, int(upstream_port)))
        log = open(os.path.join(out_dir, f"conn-{count}.bin"), "wb")
        lock = threading.Lock()
        requests = {}  # correlation id -> (api key, version) of requests in flight
        count += 1
        threading.Thread(target=pump, args=(client, server, log, lock, requests, None),
                         daemon=True).start()
        threading.Thread(target=pump, args=(server, client, log, lock, requests, relay_port),
                         daemon=True).start()


if __name__ == "__main__":
    main()
