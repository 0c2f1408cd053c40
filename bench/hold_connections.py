#!/usr/bin/env python3
"""Opens N TCP connections to 127.0.0.1:PORT and reports the server's RSS per connection: held
idle, then after each sent one short request (the server's first read). Used by
scripts/bench-nio-floor to measure SwiftNIO's own cost per connection.

  hold_connections.py PORT N SERVER_PID
"""
import resource, socket, sys, time

port, count, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
resource.setrlimit(resource.RLIMIT_NOFILE, (count + 100, count + 100))


def rss_kib():
    with open(f"/proc/{pid}/status") as status:
        return int(next(line for line in status if line.startswith("VmRSS")).split()[1])


time.sleep(0.5)
before = rss_kib()
sockets = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
time.sleep(2)
held = rss_kib()
for connection in sockets:
    connection.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
time.sleep(2)
after = rss_kib()
print(f"nio-floor: {count} connections, RSS {before} KiB before, {held} KiB held idle "
      f"({(held - before) * 1024 / count:.0f} B per connection), {after} KiB after one read each "
      f"({(after - before) * 1024 / count:.0f} B per connection)")
