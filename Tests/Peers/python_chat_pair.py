#!/usr/bin/env python3
"""Two Python `websockets` clients chatting in the tutorial's protocol: both connect, then each in turn
sends {"action":"ctrl/chat/out","msg":"{\\"from\\":…,\\"message\\":…}"} and both wait for that line as
{"action":"ws/chat/in","msg":{…}}; then both close. Prints one JSON line: what each received.

  python_chat_pair.py URL LINE…     (lines alternate between the two clients)
"""
import asyncio, json, sys

from websockets.asyncio.client import connect


async def main():
    url, lines = sys.argv[1], sys.argv[2:]
    clients = [await connect(url, open_timeout=10) for _ in range(2)]
    seen = [[], []]
    for index, line in enumerate(lines):
        speaker = clients[index % 2]
        inner = json.dumps({"from": f"client{index % 2}", "message": line})
        await speaker.send(json.dumps({"action": "ctrl/chat/out", "msg": inner}))
        for number, client in enumerate(clients):
            frame = json.loads(await asyncio.wait_for(client.recv(), 10))
            seen[number].append(f'{frame["msg"]["from"]}: {frame["msg"]["message"]}')
    for client in clients:
        await client.close()
    print(json.dumps({"a": seen[0], "b": seen[1], "extensions": [c.response.headers.get("Sec-WebSocket-Extensions") for c in clients]}))


asyncio.run(main())
