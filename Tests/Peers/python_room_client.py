#!/usr/bin/env python3
"""A room member on Python `websockets` with permessage-deflate, speaking the tutorial's dialect.

Handshakes, prints "handshake: ok <extensions>", waits for a line on stdin ("go"), sends each
MESSAGE in the tutorial page's exact JSON, prints every frame received as "frame: TEXT" until
EXPECT arrived, then closes normally.

  python_room_client.py URL NAME EXPECT MESSAGE...
"""
import asyncio, json, sys

import websockets


async def main():
    url, name, expect, *messages = sys.argv[1:]
    async with websockets.connect(url, compression="deflate", open_timeout=10, ping_interval=None) as ws:
        print("handshake: ok", ws.response.headers.get("Sec-WebSocket-Extensions"), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        for text in messages:
            inner = '{"from":"' + name + '", "message":"' + text + '"}'
            await ws.send('{"action":"ctrl/chat/out", "msg":' + json.dumps(inner, ensure_ascii=False) + "}")
            await asyncio.sleep(0.01)
        for _ in range(int(expect)):
            print("frame:", await asyncio.wait_for(ws.recv(), 15), flush=True)
    print("done", flush=True)


asyncio.run(main())
