#!/usr/bin/env python3
"""An echo server on Python `websockets` (RFC 6455 + permessage-deflate), to check Passerelle's
client side against an independent server. Prints its port on the first line, then serves until
stdin closes. Its deflate answer is websockets' default
(`server_max_window_bits=12; client_max_window_bits=12` when the client allows it)."""
import asyncio, sys

import websockets


async def echo(ws):
    async for message in ws:
        await ws.send(message)


async def main():
    async with websockets.serve(echo, "127.0.0.1", 0, max_size=None) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)


asyncio.run(main())
