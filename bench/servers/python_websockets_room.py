#!/usr/bin/env python3
"""The tutorial's chat room on Python `websockets` for `passerelle bench broadcast`: each
{"action":"ctrl/chat/out","msg":"{\\"from\\":…,\\"message\\":…}"} is answered with
{"action":"ws/chat/in","msg":{"from":…,"message":…}} (HTML-escaped, as Passerelle does for the
tutorial's page) to every member, sender included, through `websockets.broadcast` (the library's
own fan-out: one serialisation, no waiting on slow members). Prints its port; serves until stdin closes."""
import asyncio, html, json, sys

import websockets

members = set()


async def member(ws):
    members.add(ws)
    try:
        async for data in ws:
            if not isinstance(data, str):
                continue
            try:
                outer = json.loads(data)
                if outer.get("action") != "ctrl/chat/out":
                    continue
                inner = json.loads(outer["msg"]) if isinstance(outer["msg"], str) else outer["msg"]
                line = json.dumps({"action": "ws/chat/in", "msg": {"from": html.escape(str(inner["from"])),
                                                                   "message": html.escape(str(inner["message"]))}},
                                  separators=(",", ":"), ensure_ascii=False)
            except (ValueError, KeyError, TypeError):
                continue
            websockets.broadcast(members, line)
    except websockets.ConnectionClosed:
        pass
    finally:
        members.discard(ws)


async def main():
    async with websockets.serve(member, "127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0, max_queue=None) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


asyncio.run(main())
