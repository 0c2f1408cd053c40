#!/usr/bin/env python3
"""A backend that fails a WebSocket handshake on purpose, for the bridge's upstream tests.
Prints its port, serves connections until stdin closes:

  refuse403   answers "HTTP/1.1 403 Forbidden"
  badaccept   answers 101 with a Sec-WebSocket-Accept for another key
  silent      reads the request and never answers
  badmd5      answers a hixie-76 request with a 101 whose 16-byte answer is not the MD5 of its keys
"""
import socket, sys, threading

mode = sys.argv[1]
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(16)
print(listener.getsockname()[1], flush=True)


def serve(conn):
    request = b""
    while b"\r\n\r\n" not in request:
        chunk = conn.recv(4096)
        if not chunk:
            return
        request += chunk
    if mode == "refuse403":
        conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        conn.close()
    elif mode == "badaccept":
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
    elif mode == "badmd5":
        conn.sendall(b"HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Origin: null\r\nSec-WebSocket-Location: ws://127.0.0.1/\r\n\r\n" + bytes(16))
    elif mode == "silent":
        threading.Event().wait(30)


def accept():
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


threading.Thread(target=accept, daemon=True).start()
sys.stdin.read()
