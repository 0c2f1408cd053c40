#!/usr/bin/env python3
"""Python's zlib as an independent permessage-deflate peer (RFC 7692 §7.2.1, §7.2.2).

Reads one JSON object on stdin: {"windowBits": W, "noContextTakeover": bool,
"inflate": [hex, …]} and/or "deflate": [hex, …]. Messages to inflate get the 00 00 ff ff tail
appended; compressed messages get it stripped. Prints {"inflated": [hex…], "deflated": [hex…]}.
"""
import json, sys, zlib

TAIL = b"\x00\x00\xff\xff"
request = json.load(sys.stdin)
bits = request["windowBits"]
reset = request.get("noContextTakeover", False)
result = {}
if "inflate" in request:
    decoder = zlib.decompressobj(wbits=-bits)
    out = []
    for message in request["inflate"]:
        if reset:
            decoder = zlib.decompressobj(wbits=-bits)
        out.append(decoder.decompress(bytes.fromhex(message) + TAIL).hex())
    result["inflated"] = out
if "deflate" in request:
    encoder = zlib.compressobj(wbits=-bits)
    out = []
    for message in request["deflate"]:
        if reset:
            encoder = zlib.compressobj(wbits=-bits)
        data = encoder.compress(bytes.fromhex(message)) + encoder.flush(zlib.Z_SYNC_FLUSH)
        assert data.endswith(TAIL)
        out.append(data[:-4].hex())
    result["deflated"] = out
json.dump(result, sys.stdout)
