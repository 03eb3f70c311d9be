#!/usr/bin/env python3
"""Authenticates one connection to a Kafka SASL listener and reports the session the broker gave.

    sasl_session.py HOST:PORT MECHANISM USER PASSWORD [--ca FILE] [--token JWT]
                    [--then-wait SECONDS]

MECHANISM is PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER (an unsecured JWT for USER,
valid an hour, or the token given by --token; PASSWORD is ignored). With --ca the connection
is TLS (SASL_SSL), verified against that CA. Speaks the wire protocol itself (Python's standard library only), so what it
reports is exactly what the broker said: SaslHandshake v1, then SaslAuthenticate v1, whose
answer carries session_lifetime_ms (KIP-368; 0 = the session never expires).

Prints `session_lifetime_ms=N`. With --then-wait, then sleeps that long without
re-authenticating and sends an ApiVersions request on the same connection: prints
`after Ns: answered` or `after Ns: closed` (what the broker does to a client whose session
expired: it closes the connection on the next request). Exit 0, or 1 with the reason on stderr
(authentication refused, connection failure).
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import socket
import ssl
import struct
import sys
import time


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.correlation = 0

    def request(self, api_key, version, body):
        """Sends a request with header v1 (non-flexible), returns the response body bytes."""
        self.correlation += 1
        client_id = b"sasl_session.py"
        header = struct.pack(">hhih", api_key, version, self.correlation, len(client_id)) + client_id
        frame = header + body
        self.sock.sendall(struct.pack(">i", len(frame)) + frame)
        size = struct.unpack(">i", self._read(4))[0]
        data = self._read(size)
        (correlation,) = struct.unpack(">i", data[:4])
        if correlation != self.correlation:
            raise SystemExit(f"sasl_session.py: correlation id {correlation}, wanted {self.correlation}")
        return data[4:]

    def _read(self, n):
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise ConnectionError("the broker closed the connection")
            out += chunk
        return out


def string(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def handshake(conn, mechanism):
    body = conn.request(17, 1, string(mechanism))
    (error,) = struct.unpack(">h", body[:2])
    if error:
        raise SystemExit(f"sasl_session.py: SaslHandshake for {mechanism}: error code {error}")


def authenticate(conn, payload):
    """One SaslAuthenticate v1 round: returns (server bytes, session_lifetime_ms)."""
    body = conn.request(36, 1, struct.pack(">i", len(payload)) + payload)
    (error,) = struct.unpack(">h", body[:2])
    pos = 2
    (mlen,) = struct.unpack(">h", body[pos : pos + 2])
    pos += 2
    message = None
    if mlen >= 0:
        message = body[pos : pos + mlen].decode()
        pos += mlen
    (blen,) = struct.unpack(">i", body[pos : pos + 4])
    pos += 4
    server = body[pos : pos + max(blen, 0)]
    pos += max(blen, 0)
    (lifetime,) = struct.unpack(">q", body[pos : pos + 8])
    if error:
        raise SystemExit(f"sasl_session.py: authentication refused (error code {error}): {message}")
    return server, lifetime


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsecured_jwt(sub, lifetime=3600):
    now = int(time.time())
    header = b64url(json.dumps({"alg": "none"}).encode())
    claims = b64url(json.dumps({"sub": sub, "iat": now, "exp": now + lifetime}).encode())
    return f"{header}.{claims}."


def scram(conn, mechanism, user, password):
    digest = {"SCRAM-SHA-256": hashlib.sha256, "SCRAM-SHA-512": hashlib.sha512}[mechanism]
    nonce = base64.b64encode(os.urandom(18)).decode()
    first_bare = f"n={user},r={nonce}"
    server_first, _ = authenticate(conn, ("n,," + first_bare).encode())
    fields = dict(f.split("=", 1) for f in server_first.decode().split(","))
    if not fields["r"].startswith(nonce):
        raise SystemExit("sasl_session.py: the server's nonce does not extend ours")
    salted = hashlib.pbkdf2_hmac(
        digest().name, password.encode(), base64.b64decode(fields["s"]), int(fields["i"])
    )
    client_key = hmac.new(salted, b"Client Key", digest).digest()
    stored_key = digest(client_key).digest()
    without_proof = f"c=biws,r={fields['r']}"
    auth_message = f"{first_bare},{server_first.decode()},{without_proof}".encode()
    signature = hmac.new(stored_key, auth_message, digest).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature))
    final = f"{without_proof},p={base64.b64encode(proof).decode()}"
    _, lifetime = authenticate(conn, final.encode())
    return lifetime


def main(argv):
    parser = argparse.ArgumentParser(prog="sasl_session.py")
    parser.add_argument("address")
    parser.add_argument("mechanism")
    parser.add_argument("user")
    parser.add_argument("password")
    parser.add_argument("--ca")
    parser.add_argument("--token")
    parser.add_argument("--then-wait", type=float)
    args = parser.parse_args(argv)

    host, _, port = args.address.rpartition(":")
    try:
        sock = socket.create_connection((host, int(port)), timeout=30)
        if args.ca:
            context = ssl.create_default_context(cafile=args.ca)
            sock = context.wrap_socket(sock, server_hostname=host)
    except OSError as e:  # ssl.SSLError is one
        print(f"sasl_session.py: {args.address}: {e}", file=sys.stderr)
        return 1
    conn = Conn(sock)
    mechanism = args.mechanism.upper()
    try:
        handshake(conn, mechanism)
        if mechanism == "PLAIN":
            _, lifetime = authenticate(conn, f"\0{args.user}\0{args.password}".encode())
        elif mechanism == "OAUTHBEARER":
            token = args.token or unsecured_jwt(args.user)
            server, lifetime = authenticate(conn, f"n,,\x01auth=Bearer {token}\x01\x01".encode())
            if server:
                # RFC 7628: a refusal is a JSON error the client acknowledges with one 0x01
                # byte; the broker's answer to that carries the error code.
                print(f"sasl_session.py: the broker refused the token: {server.decode()}",
                      file=sys.stderr)
                authenticate(conn, b"\x01")
                return 1
        else:
            lifetime = scram(conn, mechanism, args.user, args.password)
    except ConnectionError as e:
        print(f"sasl_session.py: {e}", file=sys.stderr)
        return 1
    print(f"session_lifetime_ms={lifetime}", flush=True)
    if args.then_wait is not None:
        time.sleep(args.then_wait)
        try:
            conn.request(18, 0, b"")
            print(f"after {args.then_wait:g}s: answered")
        except (ConnectionError, OSError):
            print(f"after {args.then_wait:g}s: closed")
    sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
