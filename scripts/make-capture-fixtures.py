#!/usr/bin/env python3
"""Writes the hand-made captures of Fixtures/captures/handmade/ (standard library only): link types,
pcap/pcapng variants and TCP or WebSocket pathologies that a live capture cannot produce on demand.
Each file is described in Fixtures/README.md; Tests/CaptureTests/HandmadeCaptureTests.swift says what
each must decode to."""
import base64, hashlib, os, struct, sys, zlib

OUT = os.path.join(os.path.dirname(__file__), "..", "Fixtures", "captures", "handmade")
MASK = bytes.fromhex("37fa213d")
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def frame(opcode, payload=b"", fin=True, rsv=0, mask=None):
    out = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
    n, m = len(payload), (0x80 if mask else 0)
    out += bytes([m | n]) if n < 126 else (bytes([m | 126]) + struct.pack(">H", n) if n < 65536 else bytes([m | 127]) + struct.pack(">Q", n))
    if mask:
        out += mask
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return out + payload


def deflate_messages(messages, wbits=15):
    c = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -wbits)
    return [(c.compress(m) + c.flush(zlib.Z_SYNC_FLUSH))[:-4] for m in messages]


def rfc_handshake(path="/echo", extensions=None, answer_extensions=None):
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
    request = f"GET {path} HTTP/1.1\r\nHost: example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
    if extensions: request += f"Sec-WebSocket-Extensions: {extensions}\r\n"
    response = f"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n"
    if answer_extensions: response += f"Sec-WebSocket-Extensions: {answer_extensions}\r\n"
    return (request + "\r\n").encode(), (response + "\r\n").encode()


def hixie76_handshake():
    request = (b"GET /demo HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\nSec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\n"
               b"Upgrade: WebSocket\r\nSec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\nOrigin: http://example.com\r\n\r\n^n:ds[4U")
    response = (b"HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Origin: http://example.com\r\nSec-WebSocket-Location: ws://example.com/demo\r\n\r\n8jKS'y:G*Co,Wxa-")
    return request, response


def checksum(data):
    if len(data) % 2: data += b"\0"
    s = sum(struct.unpack(f">{len(data) // 2}H", data))
    while s >> 16: s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tcp(sport, dport, seq, ack, flags, payload):
    return struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0) + payload


def ipv4(src, dst, segment):
    header = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(segment), 1, 0x4000, 64, 6, 0, bytes(src), bytes(dst))
    header = header[:10] + struct.pack(">H", checksum(header)) + header[12:]
    return header + segment


def ipv6(src, dst, segment):
    return struct.pack(">IHBB16s16s", 6 << 28, len(segment), 6, 64, bytes(src), bytes(dst)) + segment


class Session:
    """TCP packets of one connection: a SYN handshake, then each (direction, bytes, options)."""

    def __init__(self, client=(10, 0, 0, 1), server=(10, 0, 0, 2), cport=50000, sport=8080, v6=False, start=1_700_000_000.0):
        self.client, self.server, self.cport, self.sport, self.v6 = client, server, cport, sport, v6
        self.seq = {"c": 1000, "s": 5000}
        self.t = start
        self.packets = []   # (time, direction, ip packet)

    def ip(self, direction, segment):
        src, dst = (self.client, self.server) if direction == "c" else (self.server, self.client)
        return ipv6(src, dst, segment) if self.v6 else ipv4(src, dst, segment)

    def raw(self, direction, seq, flags, payload):
        ports = (self.cport, self.sport) if direction == "c" else (self.sport, self.cport)
        other = self.seq["s" if direction == "c" else "c"]
        self.t += 0.001
        self.packets.append((self.t, direction, self.ip(direction, tcp(ports[0], ports[1], seq, other, flags, payload))))

    def syn(self):
        self.raw("c", self.seq["c"] - 1, 0x02, b"")
        self.raw("s", self.seq["s"] - 1, 0x12, b"")
        self.raw("c", self.seq["c"], 0x10, b"")

    def send(self, direction, data, drop=False, segment=None):
        """Sends data in segments of `segment` bytes; `drop` leaves them out of the capture."""
        size = segment or max(1, len(data))
        for i in range(0, len(data), size):
            piece = data[i:i + size]
            if not drop:
                self.raw(direction, self.seq[direction], 0x18, piece)
            self.seq[direction] += len(piece)

    def fin(self):
        self.raw("c", self.seq["c"], 0x11, b"")
        self.raw("s", self.seq["s"], 0x11, b"")


def ethernet(packet, v6=False):
    return b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + struct.pack(">H", 0x86DD if v6 else 0x0800) + packet


def sll2(packet, v6=False):
    return struct.pack(">HHIHBB8s", 0x86DD if v6 else 0x0800, 0, 1, 1, 0, 6, b"\x02\x00\x00\x00\x00\x01\0\0") + packet


def sll(packet, v6=False):
    """Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 113): 16 bytes, protocol last."""
    return struct.pack(">HHH8sH", 0, 1, 6, b"\x02\x00\x00\x00\x00\x01\0\0", 0x86DD if v6 else 0x0800) + packet


def null(packet, v6=False):
    return struct.pack("<I", 30 if v6 else 2) + packet


def write_pcap(name, linktype, frames, big=False, nanos=False):
    e = ">" if big else "<"
    magic = 0xA1B23C4D if nanos else 0xA1B2C3D4
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, 65535, linktype))
        for t, data in frames:
            seconds = int(t)
            fraction = int(round((t - seconds) * (1e9 if nanos else 1e6)))
            f.write(struct.pack(e + "IIII", seconds, fraction, len(data), len(data)) + data)


def block(kind, body):
    body += b"\0" * (-len(body) % 4)
    return struct.pack("<II", kind, len(body) + 12) + body + struct.pack("<I", len(body) + 12)


def write_pcapng(name, interfaces, frames, simple=False):
    """interfaces: [(linktype, tsresol or None)]; frames: [(interface, time, data)];
    simple: Simple Packet Blocks (interface 0, no timestamps) instead of Enhanced ones."""
    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    for linktype, tsresol in interfaces:
        options = b""
        if tsresol is not None:
            options = struct.pack("<HHB3x", 9, 1, tsresol) + struct.pack("<HH", 0, 0)
        out += block(1, struct.pack("<HHI", linktype, 0, 65535) + options)
    for interface, t, data in frames:
        units = 10 ** (interfaces[interface][1] or 6)
        stamp = int(round(t * units))
        if simple:
            out += block(3, struct.pack("<I", len(data)) + data)
            continue
        out += block(6, struct.pack("<IIIII", interface, stamp >> 32, stamp & 0xFFFFFFFF, len(data), len(data)) + data)
    out += block(0x00000005, b"\0" * 4)   # an Interface Statistics Block, to be skipped
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(out)


def echo_session(**kw):
    s = Session(**kw)
    s.syn()
    request, response = rfc_handshake()
    s.send("c", request)
    s.send("s", response)
    for text in [b"Bonjour", b"second message"]:
        s.send("c", frame(1, text, mask=MASK))
        s.send("s", frame(1, text))
    s.send("c", frame(8, struct.pack(">H", 1000), mask=MASK))
    s.send("s", frame(8, struct.pack(">H", 1000)))
    s.fin()
    return s


def main():
    os.makedirs(OUT, exist_ok=True)
    # 1. pcapng, two interfaces (Ethernet µs, Linux SLL2 ns): client packets on one, server packets on the other.
    s = echo_session()
    write_pcapng("two-interfaces.pcapng", [(1, None), (276, 9)],
                 [(0 if d == "c" else 1, t, ethernet(p) if d == "c" else sll2(p)) for t, d, p in s.packets])
    # 2. IPv6 over Linux SLL2, pcapng.
    s = echo_session(client=[0xfd] + [0] * 14 + [1], server=[0xfd] + [0] * 14 + [2], v6=True)
    write_pcapng("ipv6-sll2.pcapng", [(276, None)], [(0, t, sll2(p, v6=True)) for t, d, p in s.packets])
    # 2b. Linux cooked capture v1, in Simple Packet Blocks (no timestamps).
    s = echo_session(cport=50008)
    write_pcapng("sll-simple-packets.pcapng", [(113, None)], [(0, t, sll(p)) for t, d, p in s.packets], simple=True)
    # 3. IPv6 over Ethernet, classic pcap, big-endian, nanosecond timestamps.
    s = echo_session(client=[0] * 15 + [1], server=[0] * 15 + [1], cport=50001, v6=True)
    write_pcap("ipv6-ethernet-bigendian-ns.pcap", 1, [(t, ethernet(p, v6=True)) for t, d, p in s.packets], big=True, nanos=True)
    # 4. BSD loopback (NULL), little-endian µs pcap.
    s = echo_session(client=(127, 0, 0, 1), server=(127, 0, 0, 1), cport=50002)
    write_pcap("null-loopback.pcap", 0, [(t, null(p)) for t, d, p in s.packets])
    # 5. Out of order and retransmitted: the request in 3 segments sent 3,1,2 with a duplicate;
    #    a client frame split in two, the second half arriving first and overlapping.
    s = Session(cport=50003)
    s.syn()
    request, response = rfc_handshake()
    base = s.seq["c"]
    parts = [request[:40], request[40:90], request[90:]]
    offsets = [0, 40, 90]
    for index in [2, 0, 1, 0]:
        s.raw("c", base + offsets[index], 0x18, parts[index])
    s.seq["c"] += len(request)
    s.send("s", response)
    f = frame(1, b"out of order but whole", mask=MASK)
    base = s.seq["c"]
    s.raw("c", base + 10, 0x18, f[10:])
    s.raw("c", base, 0x18, f[:14])       # overlaps the segment already held by 4 bytes
    s.seq["c"] += len(f)
    s.send("s", frame(1, b"out of order but whole"))
    s.fin()
    write_pcap("out-of-order.pcap", 101, [(t, p) for t, d, p in s.packets])
    # 6. Missing data: deflate with context takeover; the segment of the first client message is
    #    not in the capture, so the second (which refers back to it) cannot be inflated; the third
    #    is uncompressed and decodes.
    s = Session(cport=50004)
    s.syn()
    request, response = rfc_handshake(extensions="permessage-deflate", answer_extensions="permessage-deflate")
    s.send("c", request)
    s.send("s", response)
    first, second = deflate_messages([b"Bonjour passerelle", b"Bonjour passerelle"])
    s.send("c", frame(1, first, rsv=4, mask=MASK), drop=True)
    s.send("c", frame(1, second, rsv=4, mask=MASK))
    s.send("c", frame(1, b"plain text after", mask=MASK))
    s.fin()
    write_pcap("missing-first-message.pcap", 101, [(t, p) for t, d, p in s.packets])
    # 6b. A gap after the window filled: the first message inflates, the second is missing, the
    #     third repeats the second. Inflated with the stale window (the first message's bytes
    #     where the second's should be), its back-reference would yield other words; the decoder
    #     must say it cannot inflate it. The fourth refers only to itself and inflates.
    s = Session(cport=50006)
    s.syn()
    request, response = rfc_handshake(extensions="permessage-deflate", answer_extensions="permessage-deflate")
    s.send("c", request)
    s.send("s", response)
    texts = [b"Le renard brun saute par-dessus le chien paresseux. " * 4, b"Une phrase toute neuve, jamais vue avant.",
             b"Une phrase toute neuve, jamais vue avant.", b"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"]
    compressed = deflate_messages(texts)
    for index, payload in enumerate(compressed):
        s.send("c", frame(1, payload, rsv=4, mask=MASK), drop=index == 1)
    s.fin()
    write_pcap("stale-window.pcap", 101, [(t, p) for t, d, p in s.packets])
    # 6c. A gap inside a frame's payload: the header of a 100-byte masked client frame is seen,
    #     30 bytes of its payload are not; its length says where the next frame starts, so the
    #     frames after it decode, and the cut one is shown with what is missing. Then a gap that
    #     takes a header and the start of its payload: the rest of that payload is not decoded as
    #     frames; decoding resumes where two frames line up.
    s = Session(cport=50008)
    s.syn()
    request, response = rfc_handshake()
    s.send("c", request)
    s.send("s", response)
    cut = frame(1, b"x" * 100, mask=MASK)
    s.send("c", cut[:36])
    s.send("c", cut[36:66], drop=True)
    s.send("c", cut[66:])
    s.send("c", frame(1, b"after the cut frame", mask=MASK))
    lost = frame(1, b"a frame whose header is lost", mask=MASK)
    s.send("c", lost[:10], drop=True)
    s.send("c", lost[10:])
    for text in [b"first after the lost header", b"second after the lost header", b"third"]:
        s.send("c", frame(1, text, mask=MASK))
    s.fin()
    write_pcap("gap-in-payload.pcap", 101, [(t, p) for t, d, p in s.packets])
    # 6d. wss without keys: a TLS ClientHello, a ServerHello, then application data records.
    #     They are TLS, said so, and never decoded as WebSocket frames.
    s = Session(cport=50009)
    s.syn()
    hello = bytes([1]) + struct.pack(">I", 38)[1:] + b"\x03\x03" + bytes(range(32)) + b"\x00\x00\x02\x13\x01"
    s.send("c", b"\x16\x03\x01" + struct.pack(">H", len(hello)) + hello)
    server_hello = bytes([2]) + struct.pack(">I", 38)[1:] + b"\x03\x03" + bytes(range(32, 64)) + b"\x00\x13\x01\x00\x00"
    s.send("s", b"\x16\x03\x03" + struct.pack(">H", len(server_hello)) + server_hello)
    for direction in ["c", "s", "c", "s"]:
        s.send(direction, b"\x17\x03\x03\x00\x20" + bytes((i * 37 + 11) % 256 for i in range(32)))
    s.fin()
    write_pcap("tls-no-keys.pcap", 101, [(t, p) for t, d, p in s.packets])
    write_pcap("tls-mid-stream.pcap", 101, [(t, p) for t, d, p in s.packets[4:]])   # after SYN, SYN-ACK and the hellos
    # 7. Violations, one per frame, then a normal close.
    s = Session(cport=50005)
    s.syn()
    request, response = rfc_handshake()
    s.send("c", request)
    s.send("s", response)
    s.send("c", frame(1, b"unmasked"))                                  # unmaskedClientFrame
    s.send("c", frame(1, b"rsv2", rsv=2, mask=MASK))                    # reservedBitsSet
    s.send("c", frame(9, b"p" * 126, mask=MASK))                        # controlFrameTooLong
    s.send("c", frame(1, b"ok\xc0\xaf", mask=MASK))                     # invalidUTF8
    s.send("s", frame(1, b"masked by server", mask=MASK))               # maskedServerFrame
    s.send("s", frame(8, struct.pack(">H", 1005)))                      # invalidCloseCode
    s.send("c", frame(8, struct.pack(">H", 1000), mask=MASK))
    s.fin()
    # …and a hixie-76 session in the same file whose last frame never gets its 0xFF.
    h = Session(cport=50006, sport=8081, start=1_700_000_001.0)
    h.syn()
    request, response = hixie76_handshake()
    h.send("c", request)
    h.send("s", response)
    h.send("c", b"\x00bonjour\xff")
    h.send("c", b"\x00never ends")
    write_pcap("violations.pcap", 101, sorted([(t, p) for t, d, p in s.packets + h.packets]))
    # 8. Mid-stream: the capture starts after the handshake.
    s = Session(cport=50007)
    s.syn()
    request, response = rfc_handshake()
    s.send("c", request)
    s.send("s", response)
    skip = len(s.packets)
    s.send("c", frame(1, b"caught mid-stream", mask=MASK))
    s.send("s", frame(1, b"caught mid-stream"))
    write_pcap("mid-stream.pcap", 101, [(t, p) for t, d, p in s.packets[skip:]])
    print("wrote", sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
