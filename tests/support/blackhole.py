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
import sys
import time

import test_server


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="blackhole.py",
        description="Accept TCP connections on 127.0.0.1 and never send a byte back.",
    )
    test_server.add_max_seconds(parser, 120.0)
    parser.add_argument(
        "--port", type=int, default=0, help="port to listen on (default 0 = ephemeral)"
    )
    args = parser.parse_args(argv)
    test_server.check_max_seconds(parser, args)
    return args


def serve(listener, max_seconds):
    deadline = time.monotonic() + max_seconds
    selector = test_server.new_selector(listener)
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
    test_server.stop_on_signals()
    listener = test_server.listen(("127.0.0.1", args.port))
    return test_server.run_until_stopped(serve, listener, args.max_seconds)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
