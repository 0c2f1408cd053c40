#!/usr/bin/env python3
"""Medians of scripts/bench-tcp-floor's runs: a table, a JSON summary and an SVG chart. Ratios to
node ws are paired round by round (bench/pairing.py).

  summarize_tcp_floor.py RUNS.jsonl SUMMARY.json CHART.svg
"""
import json, statistics, sys
from pairing import paired_ratio

TARGETS = ["c-raw", "nio-raw", "passerelle", "uws", "node-ws"]
LABELS = {"c-raw": "C epoll echo (kernel floor)", "nio-raw": "bare SwiftNIO echo", "passerelle": "Passerelle (RFC 6455)",
          "uws": "uWebSockets", "node-ws": "node ws"}
COLORS = {"c-raw": "#777777", "nio-raw": "#a7a7a7", "passerelle": "#2f7d4f", "uws": "#c0392b", "node-ws": "#3b6fb6"}
KEYS = ["roundTripsPerSecond", "serverCPUMicrosPerRoundTrip", "clientCoreShare"]

runs = [json.loads(line) for line in open(sys.argv[1])]
for run in runs:
    run.setdefault("deflate", False)   # runs recorded before the deflate echo was added


def group_name(count, deflate):
    return f"{count:,} connections, 2 KB JSON, permessage-deflate" if deflate else f"{count:,} connections, 20 B"


rows = []
for deflate, count in sorted({(r["deflate"], r["connections"]) for r in runs}):
    medians, each = {}, {}
    for target in TARGETS:
        mine = [r for r in runs if r["target"] == target and r["connections"] == count and r["deflate"] == deflate]
        if mine:
            each[target] = mine
            medians[target] = {key: statistics.median(r[key] for r in mine) for key in KEYS} | {"runs": len(mine)}
    node = each.get("node-ws")
    print(f"\n{group_name(count, deflate)}, one message in flight each (medians):")
    print(f"  {'server':<12} {'round trips/s':>14} {'server CPU µs':>14} {'client core':>12} {'/ node ws':>10}")
    for target, m in medians.items():
        ratio = paired_ratio(each[target], node, "roundTripsPerSecond") if node else None
        print(f"  {target:<12} {m['roundTripsPerSecond']:>14,.0f} {m['serverCPUMicrosPerRoundTrip']:>14.2f} "
              f"{m['clientCoreShare']:>11.0%} {(f'{ratio:.2f}×' if ratio else '-'):>10}")
        rows.append({"connections": count, "deflate": deflate, "target": target, **m, "ratioToNode": ratio})
    # Server CPU per round trip against uWebSockets, paired round by round (issue 27's bar).
    if "uws" in each and "passerelle" in each:
        ratio = paired_ratio(each["passerelle"], each["uws"], "serverCPUMicrosPerRoundTrip")
        if ratio:
            print(f"  Passerelle's server CPU per round trip / uWebSockets': {ratio:.2f}×")
            next(r for r in rows if r["connections"] == count and r["deflate"] == deflate and r["target"] == "passerelle")["cpuRatioToUWS"] = ratio
json.dump(rows, open(sys.argv[2], "w"), indent=1)

# One group of bars per load (connections; 20 B or deflate), one bar per server, on a common scale.
width, bar, gap, left, top = 900, 24, 22, 130, 58
groups = sorted({(r["deflate"], r["connections"]) for r in rows})
peak = max(r["roundTripsPerSecond"] for r in rows) or 1
bars = sum(len([r for r in rows if (r["deflate"], r["connections"]) == group]) for group in groups)
height = top + bars * bar + len(groups) * gap + 20
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
       '<text x="10" y="20" font-size="14" font-weight="bold">Echo, one message in flight per connection: round trips per second (medians)</text>',
       '<text x="10" y="36">one C client (masked frames, fresh key each; deflate: 2 KB JSON, permessage-deflate) on core 1, each server on core 0; × = ratio to node ws</text>']
y = top
for deflate, count in groups:
    members = [r for r in rows if (r["deflate"], r["connections"]) == (deflate, count)]
    label = f"{count:,} conns, deflate" if deflate else f"{count:,} conns, 20 B"
    svg.append(f'<text x="{left - 10}" y="{y + len(members) * bar / 2 + 4}" text-anchor="end">{label}</text>')
    for target in TARGETS:
        row = next((r for r in members if r["target"] == target), None)
        if row:
            w = (width - left - 330) * row["roundTripsPerSecond"] / peak
            ratio = f' ({row["ratioToNode"]:.2f}×)' if row["ratioToNode"] and target != "node-ws" else ""
            svg.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar - 5}" fill="{COLORS[target]}"/>')
            svg.append(f'<text x="{left + w + 6:.1f}" y="{y + bar - 10}">{LABELS[target]} {row["roundTripsPerSecond"]:,.0f}{ratio}, '
                       f'{row["serverCPUMicrosPerRoundTrip"]:.2f} µs</text>')
            y += bar
    y += gap
svg.append("</svg>")
open(sys.argv[3], "w").write("\n".join(svg) + "\n")
print(f"\nbench-tcp-floor: medians in {sys.argv[2]}, chart {sys.argv[3]}")
