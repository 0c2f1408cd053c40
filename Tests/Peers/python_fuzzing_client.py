#!/usr/bin/env python3
"""An Autobahn-style client driver on Python `websockets` (sync client): asks a fuzzing server for
its case count, runs every case as an echo client, then asks for the report.

  python_fuzzing_client.py ws://HOST:PORT [--agent NAME]

The way websockets' own compliance/ client drives Autobahn's fuzzingserver: every message
received is sent back; protocol errors are left to the library (it closes with 1002/1007/1009).
"""
import argparse, sys

from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.sync.client import connect


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("server")
    parser.add_argument("--agent", default="python-websockets")
    args = parser.parse_args()
    with connect(f"{args.server}/getCaseCount") as ws:
        count = int(ws.recv())
    for case in range(1, count + 1):
        try:
            with connect(f"{args.server}/runCase?case={case}&agent={args.agent}", max_size=2 ** 24,
                         open_timeout=10, close_timeout=5) as ws:
                for message in ws:
                    ws.send(message)
        except (ConnectionClosed, InvalidHandshake, OSError, TimeoutError):
            pass
    with connect(f"{args.server}/updateReports?agent={args.agent}") as ws:
        print(ws.recv())
    print(f"{count} cases run", file=sys.stderr)


if __name__ == "__main__":
    main()
