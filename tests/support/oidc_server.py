#!/usr/bin/env python3
"""An OAuth 2 token endpoint over HTTPS for kpipe's OAUTHBEARER tests (client credentials).

    oidc_server.py --client-id ID --client-secret SECRET [--expires-in SECONDS] [--log FILE]
                   [--cert PEM --key PEM] [--host 127.0.0.1] [--port 0] [--max-seconds 900]

POST /token with grant_type=client_credentials and the client authenticated either by HTTP
Basic (client id and secret each form-urlencoded, then joined by ':', RFC 6749 section 2.3.1)
or by client_id and client_secret in the form body. The answer is the token as Kafka's
unsecured JWT validator takes it: {"access_token": JWT, "token_type": "bearer",
"expires_in": SECONDS}, the JWT with "alg":"none", an empty signature, and the claims sub (the
client id), iat, exp (iat + SECONDS) and scope when the request asked for one. Wrong or missing
credentials: 401 {"error":"invalid_client"}; another grant type: 400
{"error":"unsupported_grant_type"}; another path or method: 404 or 405.

The certificate defaults to the test cluster's broker certificate ($KPIPE_KAFKA_DIR/tls:
broker.pem, broker.key; SANs 127.0.0.1 and localhost, signed by the test CA), so a client that
trusts the cluster's CA trusts this endpoint too.

Prints the port it listens on as the first line of stdout. Appends one JSON line per issued
token to --log ({"sub", "scope", "iat", "exp", "auth": "basic"|"body"}), so that a test can count
how often a client fetched one; refusals go to stderr. Serves until SIGTERM/SIGINT or until
--max-seconds have passed, so a test run that dies before its teardown leaves nothing behind.
"""

import argparse
import base64
import http.server
import json
import os
import socket
import ssl
import sys
import threading
import time
import urllib.parse

import test_server


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="oidc_server.py", description=__doc__.split("\n")[0])
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--expires-in", type=int, default=3600, help="token lifetime, seconds")
    parser.add_argument("--log", help="append one JSON line per issued token here")
    tls = os.path.join(os.environ.get("KPIPE_KAFKA_DIR", ""), "tls")
    parser.add_argument("--cert", default=os.path.join(tls, "broker.pem"))
    parser.add_argument("--key", default=os.path.join(tls, "broker.key"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    test_server.add_max_seconds(parser, 900.0)
    args = parser.parse_args(argv)
    test_server.check_max_seconds(parser, args)
    if args.expires_in <= 0:
        parser.error("--expires-in must be positive")
    for path in (args.cert, args.key):
        if not os.path.isfile(path):
            parser.error(f"no such file: {path} (set KPIPE_KAFKA_DIR, or --cert and --key)")
    return args


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsecured_jwt(claims):
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(claims, separators=(",", ":")).encode())
    return f"{header}.{body}."


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "kpipe-test-oidc/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        sys.stderr.write("oidc_server.py: %s %s\n" % (self.address_string(), format % args))

    def reply(self, code, doc, extra_headers=()):
        body = json.dumps(doc).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra_headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 (http.server's naming)
        if urllib.parse.urlsplit(self.path).path == "/token":
            self.reply(405, {"error": "invalid_request", "error_description": "POST only"},
                       [("Allow", "POST")])
        else:
            self.reply(404, {"error": "not_found"})

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        if urllib.parse.urlsplit(self.path).path != "/token":
            self.reply(404, {"error": "not_found"})
            return
        form = urllib.parse.parse_qs(raw, keep_blank_values=True)

        def field(name):
            values = form.get(name)
            return values[0] if values else None

        client_id = client_secret = None
        auth = "body"
        header = self.headers.get("Authorization") or ""
        if header[:6].lower() == "basic ":
            auth = "basic"
            try:
                decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
                user, _, password = decoded.partition(":")
                client_id = urllib.parse.unquote_plus(user)
                client_secret = urllib.parse.unquote_plus(password)
            except ValueError:
                pass
        else:
            client_id, client_secret = field("client_id"), field("client_secret")

        srv = self.server
        if client_id != srv.client_id or client_secret != srv.client_secret:
            self.log_message("refused client %r (%s)", client_id, auth)
            self.reply(401, {"error": "invalid_client"},
                       [("WWW-Authenticate", 'Basic realm="kpipe-test"')])
            return
        if field("grant_type") != "client_credentials":
            self.reply(400, {"error": "unsupported_grant_type"})
            return

        now = int(time.time())
        claims = {"sub": client_id, "iat": now, "exp": now + srv.expires_in}
        scope = field("scope")
        if scope:
            claims["scope"] = scope
        token = unsecured_jwt(claims)
        if srv.log_path:
            entry = dict(claims, auth=auth)
            entry.setdefault("scope", None)
            with srv.log_lock, open(srv.log_path, "a", encoding="utf-8") as log:
                log.write(json.dumps(entry) + "\n")
        self.reply(200, {"access_token": token, "token_type": "bearer",
                         "expires_in": srv.expires_in})


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, args):
        super().__init__((args.host, args.port), Handler)
        self.client_id = args.client_id
        self.client_secret = args.client_secret
        self.expires_in = args.expires_in
        self.log_path = args.log
        self.log_lock = threading.Lock()
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(args.cert, args.key)

    def finish_request(self, request, client_address):
        # The TLS handshake happens here, on the connection's own thread, so that a client that
        # never finishes it (or rejects the certificate) holds up nobody else.
        request.settimeout(30)
        try:
            request = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            sys.stderr.write(f"oidc_server.py: TLS handshake with {client_address[0]}: {e}\n")
            return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        sys.stderr.write(f"oidc_server.py: connection from {client_address[0]}: "
                         f"{sys.exc_info()[1]!r}\n")


def main(argv):
    args = parse_args(argv)
    test_server.stop_on_signals()

    server = Server(args)
    server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    print(server.server_address[1], flush=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                              daemon=True)
    thread.start()
    try:
        time.sleep(args.max_seconds)
    except test_server.Stop:
        pass
    finally:
        server.shutdown()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
