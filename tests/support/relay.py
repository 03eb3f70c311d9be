#!/usr/bin/env python3
"""A TCP relay that records Kafka traffic as frame streams (python3 standard library only).

    relay.py UPSTREAM_HOST:PORT OUT_DIR [--max-seconds N]

Listens on 127.0.0.1 (an ephemeral port, printed as the first stdout line), forwards every
connection to UPSTREAM, and writes each connection's frames to OUT_DIR/conn-N.bin in the order
they crossed the relay: whole size-prefixed frames from both directions, requests and
responses interleaved, as `kpipe decode --frames` reads them. Exits on SIGTERM or after
--max-seconds (default 120).

So that a client sends everything through the relay (not only its bootstrap requests), the
brokers in Metadata responses (v0-v8, the non-flexible ones) are rewritten to the relay's own
address: use it with a one-broker cluster. The log holds the frames as the client saw them.
"""
import os
import signal
import socket
import sys
import threading


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
    print(f"127.0.0.1:{listener.getsockname()[1]}", flush=True)

    relay_port = listener.getsockname()[1]
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


def rewrite_metadata(frame, version, port):
    """A Metadata v0-v8 response frame with every broker's host and port set to the relay."""
    body = frame[4:]
    out = bytearray(body[:4])  # correlation id
    pos = 4
    if version >= 3:
        out += body[pos:pos + 4]  # throttle time
        pos += 4
    count = int.from_bytes(body[pos:pos + 4], "big", signed=True)
    out += body[pos:pos + 4]
    pos += 4
    host = b"127.0.0.1"
    for _ in range(max(count, 0)):
        out += body[pos:pos + 4]  # node id
        pos += 4
        host_len = int.from_bytes(body[pos:pos + 2], "big")
        pos += 2 + host_len + 4  # host, port
        out += len(host).to_bytes(2, "big") + host + port.to_bytes(4, "big")
        if version >= 1:
            rack_len = int.from_bytes(body[pos:pos + 2], "big", signed=True)
            end = pos + 2 + max(rack_len, 0)
            out += body[pos:end]
            pos = end
    out += body[pos:]
    return len(out).to_bytes(4, "big") + bytes(out)


def pump(src, dst, log, lock, requests, relay_port):
    """Forwards whole frames, each logged before it is sent on.

    Logging first keeps the log in causal order: an answer cannot be logged before the request
    that caused it.
    """
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
                frame, pending = pending[: 4 + size], pending[4 + size:]
                correlation = int.from_bytes(frame[4:8] if relay_port else frame[8:12], "big")
                if relay_port is None:  # a request: remember what it was
                    requests[correlation] = (int.from_bytes(frame[4:6], "big"),
                                             int.from_bytes(frame[6:8], "big"))
                else:
                    key, version = requests.pop(correlation, (None, None))
                    if key == 3 and version <= 8:
                        frame = rewrite_metadata(frame, version, relay_port)
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


if __name__ == "__main__":
    main()
