#!/usr/bin/env python3
"""A room member on Python `websockets` for the cluster tests: joins one of several gateway
instances, says numbered lines in the tutorial page's exact JSON at a steady pace, prints every
frame it receives, and moves to the next instance if its own goes away.

  python_cluster_member.py --urls URL[,URL...] --name NAME --count N [--interval S] [--expect TOTAL]
                           [--settle S] [--deflate] [--subprotocol P] [--wait-stdin] [--timeout S]

Prints "joined URL", "frame: TEXT" per frame, "reconnected URL after N" after a move (N lines sent before), "sent N" once all
lines are out, then "done". It stops when it has received TOTAL chat lines (--expect), or when
nothing arrived for --settle seconds after its last line went out.
"""
import argparse, asyncio, json, sys, time

import websockets


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--urls", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--interval", type=float, default=0.02)
    p.add_argument("--expect", type=int)
    p.add_argument("--settle", type=float, default=4.0)
    p.add_argument("--deflate", action="store_true")
    p.add_argument("--subprotocol")
    p.add_argument("--wait-stdin", action="store_true")
    p.add_argument("--timeout", type=float, default=90)
    return p.parse_args()


async def connect(args, urls, start):
    """The first instance that lets us in, trying each in turn until the deadline."""
    deadline = time.monotonic() + args.timeout
    index = start
    while True:
        url = urls[index % len(urls)]
        try:
            ws = await websockets.connect(url, compression="deflate" if args.deflate else None,
                                          subprotocols=[args.subprotocol] if args.subprotocol else None,
                                          open_timeout=5, ping_interval=None, max_size=None)
            return ws, index % len(urls)
        except Exception as error:  # 503 while an instance has no database, refused after a kill
            print("refused", url, type(error).__name__, error, flush=True)
            if time.monotonic() > deadline:
                raise
            index += 1
            await asyncio.sleep(0.2)


def frame(name, n):
    inner = '{"from":"' + name + '", "message":"' + name + " " + str(n) + '"}'
    return '{"action":"ctrl/chat/out", "msg":' + json.dumps(inner) + "}"


async def main():
    args = parse()
    urls = args.urls.split(",")
    ws, at = await connect(args, urls, 0)
    print("joined", urls[at], ws.response.headers.get("Sec-WebSocket-Extensions"), flush=True)
    if args.wait_stdin:
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)

    state = {"ws": ws, "at": at, "sent": 0, "received": 0, "last": time.monotonic(), "all_sent": None}
    moved = asyncio.Event()

    async def move():
        old = state["ws"]
        ws, at = await connect(args, urls, state["at"] + 1)
        state["ws"], state["at"] = ws, at
        print("reconnected", urls[at], "after", state["sent"], flush=True)
        moved.set()

    async def sender():
        n = 1
        while n <= args.count:
            try:
                await state["ws"].send(frame(args.name, n))
                n += 1
                state["sent"] = n - 1
            except websockets.ConnectionClosed:
                await moved.wait()
                moved.clear()
                continue
            await asyncio.sleep(args.interval)
        state["all_sent"] = time.monotonic()
        print("sent", args.count, flush=True)

    async def receiver():
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            if args.expect is not None and state["received"] >= args.expect:
                return
            if args.expect is None and state["all_sent"] and time.monotonic() - max(state["last"], state["all_sent"]) > args.settle:
                return
            try:
                text = await asyncio.wait_for(state["ws"].recv(), 0.5)
            except asyncio.TimeoutError:
                continue
            except websockets.ConnectionClosed as closed:
                print("closed", closed.rcvd.code if closed.rcvd else "none", flush=True)
                await move()
                continue
            state["last"] = time.monotonic()
            if '"ws/chat/in"' in text:
                state["received"] += 1
            print("frame:", text, flush=True)
        print("timeout", state["received"], flush=True)

    send_task = asyncio.create_task(sender())
    await receiver()
    await send_task
    await state["ws"].close()
    print("done", flush=True)


asyncio.run(main())
