#!/usr/bin/env python3
"""A client on Python `websockets` that floods a bridged pair while the other end reads nothing,
to see the relay's backpressure (against Tests/Peers/python_bridge_backend.py):

  up:   sends `stall:SECONDS`, then COUNT text messages of SIZE bytes (an index, then random hex,
        so deflate cannot shrink them) as fast as its socket takes them, reading the echoes;
  down: sends `flood:COUNT:SIZE:SECONDS` and reads nothing for SECONDS while the backend sends.

Prints one JSON line: the bytes the sender could push while the other end read nothing (a relay
that stops reading the sending leg keeps this near its queue plus the sockets' buffers), how many
messages came back, and whether they are the ones sent, in order.

  python_bridge_flood.py URL up|down SECONDS COUNT SIZE
"""
import asyncio, json, os, sys, time

from websockets.asyncio.client import connect


async def main():
    url, direction, stall, count, size = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    async with connect(url, compression=None, max_size=None, open_timeout=10) as ws:
        if direction == "down":
            await ws.send(f"flood:{count}:{size}:{stall}")
            await asyncio.sleep(stall)
            received = [await asyncio.wait_for(ws.recv(), timeout=60) for _ in range(count)]
            pushed = await asyncio.wait_for(ws.recv(), timeout=60)
            intact = all(m[:8] == f"{i:08d}" and len(m) == size for i, m in enumerate(received))
            print(json.dumps({"sentWhileStalled": int(pushed.split(":")[1]), "sentTotal": count * size,
                              "echoes": len(received), "inOrderAndIntact": intact}))
            return
        messages = [f"{i:08d}" + os.urandom(size // 2).hex()[: size - 8] for i in range(count)]
        await ws.send(f"stall:{stall}")
        began = time.monotonic()
        sent_while_stalled = 0

        async def sender():
            nonlocal sent_while_stalled
            for message in messages:
                await ws.send(message)
                if time.monotonic() - began < stall - 0.5:
                    sent_while_stalled += len(message)

        async def receiver():
            echoes = []
            while len(echoes) < count:
                echoes.append(await asyncio.wait_for(ws.recv(), timeout=stall + 60))
            return echoes

        _, echoes = await asyncio.gather(sender(), receiver())
        print(json.dumps({"sentWhileStalled": sent_while_stalled, "sentTotal": sum(map(len, messages)),
                          "echoes": len(echoes), "inOrderAndIntact": echoes == messages}))


asyncio.run(main())
