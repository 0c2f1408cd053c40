#!/usr/bin/env python3
"""Writes Fixtures/framing/rfc6455/client/: every server-role `frames` fixture whose rule does not
depend on which side masks, seen from the client side — the same frames unmasked (RFC 6455 §5.1:
a server never masks), the deflate agreement with its server_* and client_* parameters swapped,
and the same expectations but one: a client that receives a close does not close TCP first
(§7.1.1: it waits for the server). Rules about masking have their own client fixtures.

    scripts/mirror-client-fixtures.py        # rewrites the folder from the server-role fixtures
"""
import json, os, sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures")
SOURCE = os.path.join(ROOT, "framing", "rfc6455")
TARGET = os.path.join(SOURCE, "client")
MAX_INPUT = 8192  # larger inputs stay server-side only: the fixtures stay small

def resolve(node, folder):
    if isinstance(node, list):
        return b"".join(resolve(n, folder) for n in node)
    if isinstance(node, str):
        return node.encode()
    if "hex" in node:
        return bytes.fromhex("".join(node["hex"].split()))
    if "text" in node:
        return node["text"].encode()
    if "file" in node:
        with open(os.path.join(folder, node["file"]), "rb") as f:
            return f.read()
    if "repeat" in node:
        return resolve(node["repeat"], folder) * node["count"]
    raise ValueError(node)

def unmask(stream):
    """The same frames without their masks; a header or payload cut short stays cut short."""
    out, i = bytearray(), 0
    while i < len(stream):
        if i + 2 > len(stream):
            out += stream[i:]; break
        b0, b1 = stream[i], stream[i + 1]
        masked, length7 = b1 & 0x80, b1 & 0x7F
        ext = {126: 2, 127: 8}.get(length7, 0)
        header_end = i + 2 + ext
        if header_end > len(stream):
            out += bytes([b0, b1 & 0x7F]) + stream[i + 2:]; break
        length = length7 if ext == 0 else int.from_bytes(stream[i + 2:header_end], "big")
        out += bytes([b0, b1 & 0x7F]) + stream[i + 2:header_end]
        key = b""
        if masked:
            key = stream[header_end:header_end + 4]
            if len(key) < 4:
                break  # a masking key cut short: nothing left that a client would see
            header_end += 4
        payload = stream[header_end:header_end + min(length, len(stream))]
        out += bytes(b ^ key[j % 4] for j, b in enumerate(payload)) if masked else payload
        i = header_end + len(payload)
    return bytes(out)

def swapped(agreement):
    pairs = {"serverNoContextTakeover": "clientNoContextTakeover", "serverMaxWindowBits": "clientMaxWindowBits"}
    pairs.update({v: k for k, v in pairs.items()})
    return {pairs.get(k, k): v for k, v in agreement.items()}

def main():
    os.makedirs(TARGET, exist_ok=True)
    for old in os.listdir(TARGET):
        if old.endswith(".json"):
            os.remove(os.path.join(TARGET, old))
    written = 0
    for name in sorted(os.listdir(SOURCE)):
        if not name.endswith(".json") or "mask" in name or name.startswith("rfc-5.7"):
            continue
        with open(os.path.join(SOURCE, name)) as f:
            fixture = json.load(f)
        if fixture.get("kind") != "frames" or fixture.get("role", "server") != "server":
            continue
        stream = resolve(fixture["input"], SOURCE)
        if len(stream) > MAX_INPUT:
            continue
        mirror = {"description": "client side: " + fixture["description"], "source": fixture["source"],
                  "kind": "frames", "role": "client", "mirrorOf": "../" + name}
        for key in ("limits",):
            if key in fixture: mirror[key] = fixture[key]
        if "deflate" in fixture:
            mirror["deflate"] = swapped(fixture["deflate"]) if isinstance(fixture["deflate"], dict) else fixture["deflate"]
        mirror["input"] = {"hex": unmask(stream).hex(" ")}
        expect = dict(fixture["expect"])
        closed_by_peer = any(isinstance(e, dict) and "close" in e for e in expect.get("events", []))
        failed = any(isinstance(e, dict) and "failed" in e for e in expect.get("events", []))
        if closed_by_peer and not failed and expect.get("closeTransport") is True:
            expect["closeTransport"] = False  # §7.1.1: the client waits for the server to close TCP
        mirror["expect"] = expect
        with open(os.path.join(TARGET, name), "w") as f:
            json.dump(mirror, f, indent=2, ensure_ascii=False)
            f.write("\n")
        written += 1
    print(f"mirror-client-fixtures: {written} client-role fixtures in {os.path.relpath(TARGET)}")

if __name__ == "__main__":
    sys.exit(main())
