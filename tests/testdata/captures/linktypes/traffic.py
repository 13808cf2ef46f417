#!/usr/bin/env python3
"""Real loopback TCP traffic for the link-type captures.

One connection over 127.0.0.1 and one over ::1. Each message is a 4-byte big-endian length plus
a body; the server answers each with the same framing and the body upper-cased. The bodies are
a fixed function of their index (see message()), so a test can rebuild both byte streams.
"""
import socket
import struct
import sys
import threading

MESSAGES = 9


def message(i):
    if i == MESSAGES - 1:
        return b"bulk:" + bytes(ord("a") + (k % 26) for k in range(8000))
    return ("query %d: " % i).encode() + b"x" * (i * 37)


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("peer closed")
        data += chunk
    return data


def serve(listener):
    conn, _ = listener.accept()
    with conn:
        for _ in range(MESSAGES):
            (n,) = struct.unpack(">I", recv_exact(conn, 4))
            body = recv_exact(conn, n).upper()
            conn.sendall(struct.pack(">I", len(body)) + body)
        recv_exact_until_close(conn)


def recv_exact_until_close(conn):
    while conn.recv(4096):
        pass


def run(family, host, port):
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(1)
    server = threading.Thread(target=serve, args=(listener,))
    server.start()
    client = socket.create_connection((host, port))
    for i in range(MESSAGES):
        body = message(i)
        client.sendall(struct.pack(">I", len(body)) + body)
        (n,) = struct.unpack(">I", recv_exact(client, 4))
        assert recv_exact(client, n) == body.upper()
    client.close()
    server.join()
    listener.close()


if __name__ == "__main__":
    port = int(sys.argv[1])
    run(socket.AF_INET, "127.0.0.1", port)
    run(socket.AF_INET6, "::1", port)
