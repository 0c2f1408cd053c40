#!/usr/bin/env python3
"""Room members under load while the server stops (Python `websockets`, half of them with
permessage-deflate).

MEMBERS members join URL; the first SENDERS of them send numbered lines ("S3:17") in the tutorial's
JSON at RATE lines per second each, from the moment every member has joined until their
connection closes. Every member records the lines
it receives, in order, and the close code and reason it was given. When every connection has
closed (or after TIMEOUT seconds), prints one JSON object:

  {"members": [{"name": "S0", "deflate": true, "received": ["S1:0", ...], "close": 1001, "reason": "..."}],
   "sent": {"S0": 120, ...}}

  python_drain_members.py URL MEMBERS SENDERS RATE [TIMEOUT]
"""
import asyncio, json, sys

import websockets


async def member(url, name, deflate, sender, rate, record, sent, everyone_in):
    async with websockets.connect(url, compression="deflate" if deflate else None, open_timeout=10,
                                  ping_interval=None, max_queue=None) as ws:
        record["joined"] = True
        everyone_in.arrive()

        async def speak():
            await everyone_in.wait()
            n = 0
            while True:
                inner = json.dumps({"from": name, "message": f"{name}:{n}"})
                try:
                    await ws.send(json.dumps({"action": "ctrl/chat/out", "msg": inner}))
                except websockets.ConnectionClosed:
                    return
                n += 1
                sent[name] = n
                await asyncio.sleep(1 / rate)

        task = asyncio.create_task(speak()) if sender else None
        try:
            async for frame in ws:
                message = json.loads(frame)["msg"]
                record["received"].append(message["message"])
        except websockets.ConnectionClosed:
            pass
        if task:
            task.cancel()
        record["close"] = ws.close_code
        record["reason"] = ws.close_reason


class Countdown:
    """Senders start once every member has joined, so every member can receive every line."""
    def __init__(self, count):
        self.count, self.event = count, asyncio.Event()

    def arrive(self):
        self.count -= 1
        if self.count <= 0:
            self.event.set()

    async def wait(self):
        await self.event.wait()


async def main():
    url, members, senders, rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 30
    records, sent, tasks = [], {}, []
    everyone_in = Countdown(members)
    for i in range(members):
        name = f"S{i}" if i < senders else f"L{i}"
        record = {"name": name, "deflate": i % 2 == 0, "received": [], "close": None, "reason": None, "joined": False}
        records.append(record)
        tasks.append(asyncio.create_task(member(url, name, i % 2 == 0, i < senders, rate, record, sent, everyone_in)))
    done, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        task.cancel()
    for task in done:
        if task.exception() is not None:
            print(f"member failed: {task.exception()!r}", file=sys.stderr)
    print(json.dumps({"members": records, "sent": sent}))


asyncio.run(main())
