#!/usr/bin/env python3
"""A plain TCP forwarder: every connection to LISTEN is joined, byte for byte, to TARGET.

    tcp_forward.py TARGET_HOST:PORT [--listen HOST:PORT] [--max-seconds 900]

kpipe's TLS tests use it to reach a broker under an address its certificate does not name:
the test certificate has the SANs 127.0.0.1 and localhost only, so a client that connects to
127.0.0.2 (--listen 127.0.0.2:0, loopback all the same on Linux) must refuse the certificate
unless it was told not to check hostnames. Nothing here looks at the bytes: TLS passes through.

Prints the address it listens on ("HOST:PORT") as the first line of stdout, then serves until
SIGTERM/SIGINT or until --max-seconds have passed, so a test run that dies before its teardown
cannot leave it behind. Each connection's start and end go to stderr.
"""

import argparse
import selectors
import socket
import sys
import time

import test_server


def address(text):
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"want HOST:PORT, not {text!r}")
    return host, int(port)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="tcp_forward.py", description=__doc__.split("\n")[0])
    parser.add_argument("target", type=address)
    parser.add_argument("--listen", type=address, default=("127.0.0.1", 0))
    test_server.add_max_seconds(parser, 900.0)
    args = parser.parse_args(argv)
    test_server.check_max_seconds(parser, args)
    return args


class Pair:
    """One forwarded connection: what arrives on one side is written to the other."""

    def __init__(self, client, upstream, number):
        self.client = client
        self.upstream = upstream
        self.number = number
        self.other = {client: upstream, upstream: client}

    def close(self, selector):
        for s in (self.client, self.upstream):
            try:
                selector.unregister(s)
            except (KeyError, ValueError):
                pass
            s.close()


def serve(listener, target, max_seconds):
    deadline = time.monotonic() + max_seconds
    selector = test_server.new_selector(listener)
    pairs = set()
    count = 0
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            for key, _ in selector.select(timeout=left):
                if key.fileobj is listener:
                    client, peer = listener.accept()
                    count += 1
                    try:
                        upstream = socket.create_connection(target, timeout=10)
                    except OSError as e:
                        print(f"tcp_forward.py: #{count} from {peer[0]}:{peer[1]}: "
                              f"cannot reach {target[0]}:{target[1]}: {e}", file=sys.stderr)
                        client.close()
                        continue
                    # Blocking writes: a slow side holds up only this loop's next turn, and
                    # the tests move little data.
                    upstream.settimeout(None)
                    client.settimeout(None)
                    pair = Pair(client, upstream, count)
                    pairs.add(pair)
                    selector.register(client, selectors.EVENT_READ, pair)
                    selector.register(upstream, selectors.EVENT_READ, pair)
                    print(f"tcp_forward.py: #{count} from {peer[0]}:{peer[1]}", file=sys.stderr,
                          flush=True)
                    continue
                pair = key.data
                try:
                    data = key.fileobj.recv(65536)
                    if data:
                        pair.other[key.fileobj].sendall(data)
                        continue
                except OSError:
                    pass
                print(f"tcp_forward.py: #{pair.number} closed", file=sys.stderr, flush=True)
                pair.close(selector)
                pairs.discard(pair)
    finally:
        for pair in pairs:
            pair.close(selector)
        selector.close()


def main(argv):
    args = parse_args(argv)
    test_server.stop_on_signals()
    listener = test_server.listen(args.listen)
    return test_server.run_until_stopped(serve, listener, args.target, args.max_seconds)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
