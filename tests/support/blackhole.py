#!/usr/bin/env python3
"""A TCP peer that accepts connections and never answers.

kpipe's CLI tests point clients at it to check that timeouts fire instead of hanging: a closed
port fails fast with "connection refused", which is a different code path from a broker that
accepts and then stays silent.

Prints "127.0.0.1:PORT" as the first line of stdout, then serves until SIGTERM/SIGINT or until
--max-seconds have passed, so a test run that dies before its teardown cannot leave it behind.
"""

import argparse
import selectors
import signal
import socket
import sys
import time


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="blackhole.py",
        description="Accept TCP connections on 127.0.0.1 and never send a byte back.",
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=120.0,
        help="exit by itself after this many seconds (default 120)",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port to listen on (default 0 = ephemeral)"
    )
    args = parser.parse_args(argv)
    if args.max_seconds <= 0:
        parser.error("--max-seconds must be positive")
    return args


class _Stop(Exception):
    """Raised from the signal handler to leave the select loop at once."""


def _on_signal(signum, frame):
    del signum, frame
    raise _Stop()


def serve(listener, max_seconds):
    deadline = time.monotonic() + max_seconds
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    peers = []
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            for key, _ in selector.select(timeout=left):
                if key.fileobj is listener:
                    conn, _ = listener.accept()
                    conn.setblocking(False)
                    # Read what arrives so the client's writes never block on a full window:
                    # the silence must be the only thing it sees.
                    selector.register(conn, selectors.EVENT_READ)
                    peers.append(conn)
                    continue
                conn = key.fileobj
                try:
                    data = conn.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if not data:
                    selector.unregister(conn)
                    peers.remove(conn)
                    conn.close()
    finally:
        for conn in peers:
            conn.close()
        selector.close()


def main(argv):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    # A test that stops reading stdout must not turn into a traceback.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    listener.listen(64)
    listener.setblocking(False)

    host, port = listener.getsockname()
    print(f"{host}:{port}", flush=True)
    try:
        serve(listener, args.max_seconds)
    except _Stop:
        pass
    finally:
        listener.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
