#!/usr/bin/env python3
"""Medians of scripts/bench-bridge's runs: a table on stdout, summary.json, and an SVG chart of the
relays' CPU per round trip (the figure a relay is judged on: the load generator may saturate first).

  summarize_bridge.py RUNS.jsonl SUMMARY.json CHART.svg COMMIT
"""
import json, statistics, sys
from collections import defaultdict

runs_path, summary_path, chart_path, commit = sys.argv[1:5]
runs = [json.loads(line) for line in open(runs_path) if line.strip()]
groups = defaultdict(list)
for run in runs:
    groups[(run["target"], run["connections"])].append(run)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


rows = []
for (target, connections), group in groups.items():
    rows.append({
        "target": target, "connections": connections, "rounds": len(group), "relay": group[0]["relay"],
        "backend": group[0]["backend"],
        "messagesPerSecond": median([r["messagesPerSecond"] for r in group]),
        "p99Micros": median([r["p99Micros"] for r in group]),
        "cpuMicrosPerRoundTrip": median([r.get("serverCPUMicrosPerMessage") for r in group]),
        "residentBytesPerPair": median([r.get("residentBytesPerPair") for r in group]),
        "generatorBound": any(r.get("generatorBound") for r in group),
    })
order = {name: i for i, name in enumerate(dict.fromkeys(r["target"] for r in runs))}
rows.sort(key=lambda r: (r["connections"], order[r["target"]]))
json.dump({"commit": commit, "rows": rows}, open(summary_path, "w"), indent=2)

print(f"bench-bridge: medians of {max(r['rounds'] for r in rows)} round(s), commit {commit} "
      "(relay CPU: the relay process; for the backend alone, the backend's own)")
print("| target | connections | msgs/s | p99 µs | CPU µs per round trip | RSS per pair |")
print("|---|---|---|---|---|---|")
for r in rows:
    cpu = f"{r['cpuMicrosPerRoundTrip']:.1f}" if r["cpuMicrosPerRoundTrip"] is not None else "—"
    rss = f"{r['residentBytesPerPair'] / 1024:.1f} KiB" if r["residentBytesPerPair"] is not None else "—"
    bound = " (generator-bound)" if r["generatorBound"] else ""
    print(f"| {r['target']} | {r['connections']} | {r['messagesPerSecond']:.0f}{bound} | {r['p99Micros']:.0f} | {cpu} | {rss} |")

# The chart: one group of bars per connection count, a bar per relay (CPU µs per round trip).
relays = [r for r in rows if r["relay"] != "none" and r["cpuMicrosPerRoundTrip"] is not None]
counts = sorted({r["connections"] for r in relays})
targets = list(dict.fromkeys(r["target"] for r in relays))
colors = ["#8c8c8c", "#b5651d", "#1f77b4", "#2ca02c", "#9467bd"]
top = max([r["cpuMicrosPerRoundTrip"] for r in relays] + [1])
bar, gap, left, width = 22, 34, 230, 420
height = 40 + len(counts) * (len(targets) * bar + gap) + 30
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 90}" height="{height}" font-family="sans-serif" font-size="12">',
       f'<text x="10" y="20" font-size="14" font-weight="bold">Relay CPU per echo round trip, µs (lower is better) — commit {commit}</text>']
y = 40
for count in counts:
    svg.append(f'<text x="10" y="{y + 12}" font-weight="bold">{count} connections</text>')
    y += 18
    for i, target in enumerate(targets):
        row = next((r for r in relays if r["target"] == target and r["connections"] == count), None)
        if row is None:
            continue
        w = width * row["cpuMicrosPerRoundTrip"] / top
        svg.append(f'<text x="10" y="{y + 15}">{target}</text>')
        svg.append(f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{bar - 6}" fill="{colors[i % len(colors)]}"/>')
        svg.append(f'<text x="{left + w + 6:.1f}" y="{y + 15}">{row["cpuMicrosPerRoundTrip"]:.1f}</text>')
        y += bar
    y += gap - 18
svg.append(f'<text x="10" y="{height - 10}" fill="#555">backend: {rows[0]["backend"]}; relay on CPU 0, backend and load generator on CPU 1; 20-byte text, one in flight</text>')
svg.append("</svg>")
open(chart_path, "w").write("\n".join(svg) + "\n")
print(f"bench-bridge: {summary_path}, {chart_path}")
