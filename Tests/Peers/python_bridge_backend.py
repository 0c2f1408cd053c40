#!/usr/bin/env python3
"""A backend on Python `websockets` for the bridge's tests. Prints its port, serves until stdin closes.

Each text message is an order:
  headers            answers with the request's headers as JSON ({"name": [values…]})
  close:CODE:REASON  closes with that code and reason
  drop               ends TCP without a closing handshake
  binary:TEXT        answers TEXT as a binary message
  stall:SECONDS      reads nothing for that long (its library stops reading once 16 messages wait)
  flood:N:SIZE:S     sends N text messages of SIZE bytes (an 8-digit index, then random hex) as fast
                     as its socket takes them, then `pushed:BYTES`: what it sent in the first S - 0.5 s
  anything else      echoed as it came (text stays text, binary stays binary)

  python_bridge_backend.py [--no-deflate] [--subprotocols a,b] [--port N]
"""
import argparse, asyncio, json, os, sys, time

from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed


async def handler(ws):
    try:
        await orders(ws)
    except ConnectionClosed:
        pass


async def orders(ws):
    async for message in ws:
        if isinstance(message, str) and message == "headers":
            headers = {}
            for name, value in ws.request.headers.raw_items():
                headers.setdefault(name.lower(), []).append(value)
            await ws.send(json.dumps(headers))
        elif isinstance(message, str) and message.startswith("close:"):
            _, code, reason = message.split(":", 2)
            await ws.close(int(code), reason)
        elif isinstance(message, str) and message == "drop":
            ws.transport.abort()
            return
        elif isinstance(message, str) and message.startswith("flood:"):
            _, count, size, seconds = message.split(":")
            count, size, seconds = int(count), int(size), float(seconds)
            began, pushed = time.monotonic(), 0
            for i in range(count):
                await ws.send(f"{i:08d}" + os.urandom(size // 2).hex()[: size - 8])
                if time.monotonic() - began < seconds - 0.5:
                    pushed += size
            await ws.send(f"pushed:{pushed}")
        elif isinstance(message, str) and message.startswith("stall:"):
            await asyncio.sleep(float(message[len("stall:"):]))
        elif isinstance(message, str) and message.startswith("binary:"):
            await ws.send(message[len("binary:"):].encode())
        else:
            await ws.send(message)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-deflate", action="store_true")
    parser.add_argument("--subprotocols", default="")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    subprotocols = [p for p in args.subprotocols.split(",") if p] or None
    async with serve(handler, "127.0.0.1", args.port, compression=None if args.no_deflate else "deflate",
                     subprotocols=subprotocols) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


asyncio.run(main())
