#!/usr/bin/env python3
"""Echo checks with Python `websockets` (an independent RFC 6455 / RFC 7692 implementation).

Connects to an echo endpoint, sends text and binary messages of the given sizes, and checks each
echo is identical (text stays text, binary stays binary). Prints one JSON line per connection:
{"offer": …, "answer": "<Sec-WebSocket-Extensions of the answer>", "messages": n, "ok": true}.
Exit status 1 on any mismatch, refused handshake or unexpected extension answer.

  python_client.py URL [--no-deflate] [--sizes 0,1,125,…] [--matrix]

--matrix runs one connection per combination of window bits 9–15 (asked for both directions)
and context takeover on/off, and checks the answer honours each request.
"""
import argparse, asyncio, json, random, sys

import websockets
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory


def payloads(sizes, seed):
    rng = random.Random(seed)
    words = ["bonjour", "salut", "passerelle", "hixie", "websocket", "deflate", "\u00e9t\u00e9", "\u20ac", "chat"]
    for size in sizes:
        # Repetitive text (so deflate finds back-references across messages) and random binary.
        parts, length = [], 0
        while length < size:
            word = rng.choice(words) + " "
            parts.append(word)
            length += len(word.encode())
        text = "".join(parts).encode()[:size].decode("utf-8", "ignore")
        yield text
        yield bytes(rng.getrandbits(8) for _ in range(min(size, 65536))) + b"\x00" * max(0, size - 65536)


async def run(url, factory, sizes, seed, texts=None):
    extensions = [factory] if factory else None
    async with websockets.connect(url, extensions=extensions, compression=None if factory is None else "deflate",
                                  max_size=None, open_timeout=10, ping_interval=None) as ws:
        answer = ws.response.headers.get("Sec-WebSocket-Extensions")
        count = 0
        for message in (texts if texts is not None else payloads(sizes, seed)):
            await ws.send(message)
            echo = await asyncio.wait_for(ws.recv(), 30)
            if type(echo) is not type(message) or echo != message:
                raise AssertionError(f"echo differs for a {type(message).__name__} of {len(message)}: got {type(echo).__name__} of {len(echo)}")
            count += 1
        await ws.close()
        return answer, count


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--no-deflate", action="store_true")
    parser.add_argument("--sizes", default="0,1,5,125,126,1000,65535,65536,300000")
    parser.add_argument("--matrix", action="store_true")
    parser.add_argument("--texts", help="send exactly these text messages, separated by '|'")
    parser.add_argument("--no-context-takeover", action="store_true", help="offer both no_context_takeover parameters")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    ok = True
    if args.matrix:
        for bits in range(9, 16):
            for no_context in (False, True):
                factory = ClientPerMessageDeflateFactory(server_max_window_bits=bits, client_max_window_bits=bits,
                                                         server_no_context_takeover=no_context, client_no_context_takeover=no_context)
                offer = f"bits={bits} no_context_takeover={no_context}"
                try:
                    answer, count = await run(args.url, factory, sizes, bits)
                    expected = [f"server_max_window_bits={bits}", f"client_max_window_bits={bits}"]
                    if no_context:
                        expected += ["server_no_context_takeover", "client_no_context_takeover"]
                    good = answer is not None and all(p in answer for p in expected)
                    print(json.dumps({"offer": offer, "answer": answer, "messages": count, "ok": good}))
                    ok = ok and good
                except Exception as error:
                    print(json.dumps({"offer": offer, "error": repr(error), "ok": False}))
                    ok = False
    else:
        factory = None if args.no_deflate else ClientPerMessageDeflateFactory(
            client_max_window_bits=True, server_no_context_takeover=args.no_context_takeover, client_no_context_takeover=args.no_context_takeover)
        texts = args.texts.split("|") if args.texts is not None else None
        try:
            answer, count = await run(args.url, factory, sizes, 1, texts)
            good = (answer is None) if args.no_deflate else (answer is not None and answer.startswith("permessage-deflate"))
            print(json.dumps({"offer": "none" if args.no_deflate else "browser", "answer": answer, "messages": count, "ok": good}))
            ok = good
        except Exception as error:
            print(json.dumps({"error": repr(error), "ok": False}))
            ok = False
    sys.exit(0 if ok else 1)


asyncio.run(main())
