#!/usr/bin/env python3
"""Records one raw response from a broker, for decoder tests (python3 standard library only).

    record_response.py HOST:PORT API_KEY API_VERSION REQUEST_BODY_HEX > response.hex

Sends one request with a v1 request header (non-flexible versions only) and prints the
response frame, without its size prefix and correlation id, as hex: the body a decoder reads.
Used to record tests/support/data/*.hex from librdkafka's mock cluster (tests/support).
"""
import socket
import struct
import sys


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    key, version, body = int(sys.argv[2]), int(sys.argv[3]), bytes.fromhex(sys.argv[4])
    client = b"kpipe-recorder"
    header = struct.pack(">hhih", key, version, 42, len(client)) + client
    frame = header + body
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(struct.pack(">i", len(frame)) + frame)
        size = struct.unpack(">i", s.recv(4, socket.MSG_WAITALL))[0]
        data = b""
        while len(data) < size:
            chunk = s.recv(size - len(data))
            if not chunk:
                sys.exit("connection closed early")
            data += chunk
    correlation = struct.unpack(">i", data[:4])[0]
    if correlation != 42:
        sys.exit(f"unexpected correlation id {correlation}")
    print(data[4:].hex())


if __name__ == "__main__":
    main()
