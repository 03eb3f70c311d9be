"""What kpipe's test servers (blackhole.py, tcp_forward.py, oidc_server.py) share.

Each is started by a bats helper, prints where it listens as its first line of stdout, and must
end on SIGTERM/SIGINT/SIGHUP or after --max-seconds by itself, so that a test run killed before
its teardown leaves nothing behind.
"""

import selectors
import signal
import socket


class Stop(Exception):
    """Raised from the signal handler to leave the server's wait at once."""


def _on_signal(signum, frame):
    del signum, frame
    raise Stop()


def add_max_seconds(parser, default):
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=default,
        help=f"exit by itself after this many seconds (default {default:g})",
    )


def check_max_seconds(parser, args):
    if args.max_seconds <= 0:
        parser.error("--max-seconds must be positive")


def stop_on_signals():
    """Termination signals raise Stop; a test that stops reading stdout gets no traceback."""
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _on_signal)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)


def listen(address):
    """A non-blocking TCP listener on (HOST, PORT); its address is printed as HOST:PORT."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(address)
    listener.listen(64)
    listener.setblocking(False)
    host, port = listener.getsockname()
    print(f"{host}:{port}", flush=True)
    return listener


def run_until_stopped(serve, listener, *args):
    """serve(listener, *args) until it returns or a signal stops it; the listener is closed."""
    try:
        serve(listener, *args)
    except Stop:
        pass
    finally:
        listener.close()
    return 0


def new_selector(listener):
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    return selector
