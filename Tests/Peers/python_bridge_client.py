#!/usr/bin/env python3
"""A client on Python `websockets` for the bridge's tests: sends each message in turn and waits for
one answer to each (none after an order that ends the connection: close:…, drop), then optionally
closes, and prints one JSON line: the handshake's status, subprotocol and extensions, what it
received, and the close it got.

  python_bridge_client.py URL [--no-deflate] [--subprotocol P]… [--close CODE[:REASON]] [--binary] MESSAGE…

--binary sends every message as binary (UTF-8 bytes); a message sleep:SECONDS is not sent: the client
stays silent that long. Exit 0 unless the connection could not be made.
"""
import argparse, asyncio, json, sys

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--no-deflate", action="store_true")
    parser.add_argument("--subprotocol", action="append", default=[])
    parser.add_argument("--close")
    parser.add_argument("--binary", action="store_true")
    parser.add_argument("messages", nargs="*")
    args = parser.parse_intermixed_args()
    result = {"received": []}
    try:
        ws = await connect(args.url, compression=None if args.no_deflate else "deflate",
                           subprotocols=args.subprotocol or None, open_timeout=10)
    except InvalidStatus as refused:
        result["status"] = refused.response.status_code
        print(json.dumps(result))
        return
    result["status"] = 101
    result["subprotocol"] = ws.subprotocol
    result["extensions"] = ws.response.headers.get("Sec-WebSocket-Extensions")
    try:
        for message in args.messages:
            if message.startswith("sleep:"):   # stays silent (its library still answers pings)
                await asyncio.sleep(float(message[len("sleep:"):]))
                continue
            await ws.send(message.encode() if args.binary else message)
            if message.startswith("close:") or message == "drop":
                break
            answer = await asyncio.wait_for(ws.recv(), 10)
            result["received"].append(answer if isinstance(answer, str) else {"binary": answer.hex()})
        if args.close:
            code, _, reason = args.close.partition(":")
            await ws.close(int(code), reason)
        await asyncio.wait_for(ws.wait_closed(), 10)
    except ConnectionClosed:
        pass
    except asyncio.TimeoutError:
        result["timeout"] = True
        ws.transport.abort()
    received = ws.protocol.close_rcvd
    result["close"] = None if received is None else {"code": received.code, "reason": received.reason}
    print(json.dumps(result))


asyncio.run(main())
