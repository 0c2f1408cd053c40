#!/usr/bin/env python3
"""Writes a seed corpus per fuzz target from Fixtures/ (the byte notation of Fixtures/README.md).

  fuzz-seeds.py FIXTURES_DIR OUT_DIR

FuzzFrameParser / FuzzHixieParser seeds get the two leading control bytes their targets read
(role/deflate/limit flags, split point) derived from the fixture; the others take the bytes as they are.
"""
import json, os, sys

fixtures, out = sys.argv[1], sys.argv[2]


def decode(value, base):
    if isinstance(value, list):
        return b"".join(decode(v, base) for v in value)
    if isinstance(value, str):
        return value.encode()
    if "hex" in value:
        return bytes.fromhex("".join(value["hex"].split()))
    if "text" in value:
        return value["text"].encode()
    if "file" in value:
        with open(os.path.join(base, value["file"]), "rb") as f:
            return f.read()
    if "repeat" in value:
        return decode(value["repeat"], base) * min(value["count"], 4096)
    raise ValueError(value)


def write(target, name, data):
    folder = os.path.join(out, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


count = 0
for root, _, files in os.walk(fixtures):
    for file in sorted(files):
        path = os.path.join(root, file)
        name = os.path.relpath(path, fixtures).replace(os.sep, "_")
        if file.endswith((".pcap", ".pcapng")):
            write("FuzzCapture", name, open(path, "rb").read()); count += 1
            continue
        if file.endswith(".request"):
            write("FuzzHandshake", name, open(path, "rb").read()); count += 1
            continue
        if not file.endswith(".json") or "captures" in root:
            continue
        fixture = json.load(open(path))
        kind = fixture.get("kind")
        try:
            if kind == "frames":
                flags = (1 if fixture.get("role") == "client" else 0) | (2 if "deflate" in fixture else 0) | (7 << 4)
                write("FuzzFrameParser", name, bytes([flags, 0]) + decode(fixture["input"], root))
            elif kind == "hixie-frames":
                flags = (1 if fixture.get("version") == "hixie-75" else 0) | (7 << 4)
                write("FuzzHixieParser", name, bytes([flags, 0]) + decode(fixture["input"], root))
            elif kind in ("server-handshake",):
                write("FuzzHandshake", name, decode(fixture["input"], root))
            elif kind == "client-handshake" and "response" in fixture:
                write("FuzzHandshake", name, decode(fixture["response"], root))
            elif kind == "extension-negotiation":
                offers = fixture.get("offers") or fixture.get("offer") or []
                write("FuzzExtensionHeader", name, (", ".join(offers) if isinstance(offers, list) else str(offers)).encode())
            elif kind == "deflate-compress":
                bits = fixture.get("windowBits", 15)
                for i, output in enumerate(fixture.get("expect", {}).get("outputs", [])):
                    write("FuzzInflater", f"{name}-{i}", bytes([(bits - 9) % 7, 16]) + decode(output, root))
            else:
                continue
            count += 1
        except (KeyError, ValueError, TypeError):
            continue
print(f"fuzz-seeds: {count} seeds", file=sys.stderr)
