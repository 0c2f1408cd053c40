#!/usr/bin/env python3
"""Echo server on Python `websockets` (asyncio, its defaults: permessage-deflate when offered,
1 MiB messages) for scripts/bench and the conformance baselines. Prints its port; serves until stdin closes."""
import asyncio, sys

import websockets


async def echo(ws):
    try:
        async for message in ws:
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass


async def main():
    async with websockets.serve(echo, "127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


asyncio.run(main())
