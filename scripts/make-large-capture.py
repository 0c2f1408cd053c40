#!/usr/bin/env python3
"""Writes a large pcap (raw IPv4): one RFC 6455 connection carrying masked 1400-byte text frames
from the client and unmasked echoes from the server, SIZE_MB megabytes in all.

  make-large-capture.py FILE SIZE_MB
"""
import base64, hashlib, struct, sys

path, size_mb = sys.argv[1], int(sys.argv[2])
target = size_mb * 1_000_000
key = "dGhlIHNhbXBsZSBub25jZQ=="
accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
request = (f"GET /bench HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
response = f"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n".encode()
text = (b"passerelle benchmark payload " * 60)[:1400]
mask = bytes.fromhex("37fa213d")
masked = bytes(b ^ mask[i % 4] for i, b in enumerate(text))
client_frame = bytes([0x81, 0xFE]) + struct.pack(">H", len(text)) + mask + masked
server_frame = bytes([0x81, 0x7E]) + struct.pack(">H", len(text)) + text
C, S = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])


def packet(src, dst, sport, dport, seq, ack, flags, payload):
    tcp = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 0x50, flags, 65535, 0, 0) + payload
    return struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst) + tcp


with open(path, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
    written, t = 24, 1_700_000_000_000_000
    seq = {"c": 1000, "s": 9000}

    def emit(direction, flags, payload):
        global written, t
        src, dst, sp, dp = (C, S, 50000, 80) if direction == "c" else (S, C, 80, 50000)
        other = seq["s" if direction == "c" else "c"]
        data = packet(src, dst, sp, dp, seq[direction], other, flags, payload)
        t += 10
        f.write(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(data), len(data)) + data)
        written += 16 + len(data)
        seq[direction] += len(payload)

    emit("c", 0x02, b""); seq["c"] += 1
    emit("s", 0x12, b""); seq["s"] += 1
    emit("c", 0x18, request)
    emit("s", 0x18, response)
    # Batches of precomputed packets would be faster; this keeps the sequence numbers exact.
    while written < target:
        emit("c", 0x18, client_frame)
        emit("s", 0x18, server_frame)
print(f"wrote {written / 1e6:.0f} MB to {path}")
