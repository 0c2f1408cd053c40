#!/usr/bin/env python3
"""Reads the JSON lines of scripts/bench, prints medians per scenario and target with the ratio
to node ws, writes a summary JSON and an SVG bar chart.

Ratios are paired round by round (bench/pairing.py).

  summarize.py RESULTS.jsonl SUMMARY.json CHART.svg
"""
import json, statistics, sys
from pairing import pairs, paired_ratio
from collections import defaultdict, OrderedDict

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip().startswith("{")]
runs = defaultdict(list)
order = OrderedDict()
for row in rows:
    runs[(row["scenario"], row["target"])].append(row)
    order.setdefault(row["scenario"], None)
targets = list(OrderedDict((row["target"], None) for row in rows))


def median(key, items):
    values = [item[key] for item in items if item.get(key) is not None]
    return statistics.median(values) if values else None


summary = []
print(f"{'scenario':34} {'target':18} {'msgs/s':>10} {'vs node':>8} {'p50 µs':>8} {'p99 µs':>8} {'p99.9 µs':>9} {'srv µs/msg':>10} {'gen core':>8}")
for scenario in order:
    node = runs.get((scenario, "node-ws"))
    for target in targets:
        items = runs.get((scenario, target))
        if not items:
            continue
        rate = median("messagesPerSecond", items)
        entry = {"scenario": scenario, "target": target, "runs": len(items), "messagesPerSecond": rate,
                 "p50Micros": median("p50Micros", items), "p99Micros": median("p99Micros", items),
                 "p999Micros": median("p999Micros", items), "serverCPUMicrosPerMessage": median("serverCPUMicrosPerMessage", items),
                 "generatorCoreShare": median("generatorCoreShare", items), "generatorBound": any(i["generatorBound"] for i in items),
                 "ratioToNode": paired_ratio(items, node) if node else None}
        summary.append(entry)
        ratio = f"{entry['ratioToNode']:.2f}x" if entry["ratioToNode"] else "-"
        cpu = f"{entry['serverCPUMicrosPerMessage']:.1f}" if entry["serverCPUMicrosPerMessage"] is not None else "-"
        bound = " (generator-bound)" if entry["generatorBound"] else ""
        print(f"{scenario:34} {target:18} {rate:10.0f} {ratio:>8} {entry['p50Micros']:8.0f} {entry['p99Micros']:8.0f} {entry['p999Micros']:9.0f} {cpu:>10} {entry['generatorCoreShare']*100:7.0f}%{bound}")
# Every server shares core 0: a run during which the other servers used more than 2 % of it is named
# (scripts/bench waits for them to be idle first, so this shows work that started during the run).
disturbed = [row for row in rows if (row.get("neighbourCPUSeconds") or 0) > 0.02 * row["seconds"]]
for row in disturbed:
    print(f"disturbed: {row['scenario']} / {row['target']}: other servers used {row['neighbourCPUSeconds']:.2f} s of CPU during its {row['seconds']:.0f} s")
for entry in summary:
    items = runs[(entry["scenario"], entry["target"])]
    entry["neighbourCPUSecondsMax"] = max((item.get("neighbourCPUSeconds") or 0) for item in items)
# Compress-once (Passerelle's default: no server context takeover, one compression per line for
# every member) against the same gateway compressing for each member (--deflate-context-takeover).
for entry in summary:
    per_member = next((e for e in summary if e["scenario"] == entry["scenario"] and e["target"] == "passerelle-context-takeover"), None)
    if entry["target"] == "passerelle" and per_member and per_member["messagesPerSecond"]:
        entry["ratioToPerMemberCompression"] = paired_ratio(runs[(entry["scenario"], "passerelle")], runs[(entry["scenario"], "passerelle-context-takeover")])
        floor = "≥ " if entry["generatorBound"] else ""
        print(f"compress-once vs per-member compression, {entry['scenario']}: {floor}{entry['ratioToPerMemberCompression']:.2f}x")
# p99 latency against node ws, round by round (issue 6: ≤ node's at 100 connections).
for entry in summary:
    node = runs.get((entry["scenario"], "node-ws"))
    if entry["target"] == "passerelle" and node:
        paired = pairs(runs[(entry["scenario"], "passerelle")], node)
        entry["roundsWithP99AtMostNode"] = sum(a["p99Micros"] <= b["p99Micros"] for a, b in paired)
        each = ", ".join(f"{a['p99Micros']:,} / {b['p99Micros']:,}" for a, b in paired)
        print(f"p99 µs vs node ws, {entry['scenario']}: {entry['roundsWithP99AtMostNode']} of {len(paired)} rounds at most node's ({each})")
# hixie-76 against RFC 6455 echo with the same connections and messages (issue 6: within 10 %).
for entry in summary:
    rfc_scenario = entry["scenario"].replace("hixie-76-", "")
    if entry["target"] == "passerelle" and rfc_scenario != entry["scenario"] and (rfc_scenario, "passerelle") in runs:
        hixie, rfc = runs[(entry["scenario"], "passerelle")], runs[(rfc_scenario, "passerelle")]
        entry["ratioToRFC6455"] = paired_ratio(hixie, rfc)
        each = ", ".join(f"{a['messagesPerSecond'] / b['messagesPerSecond']:.2f}" for a, b in pairs(hixie, rfc))
        print(f"hixie-76 vs RFC 6455, {entry['scenario']}: {entry['ratioToRFC6455']:.2f}x (rounds: {each})")
# Server CPU per message against uWebSockets, round by round (issue 27: ≤ 1.0× at 100 connections,
# ≤ 1.15× at 1,000). CPU, not messages per second: uWS saturates the load generator before itself.
for entry in summary:
    uws = runs.get((entry["scenario"], "uws"))
    if entry["target"] == "passerelle" and uws:
        paired = [(a, b) for a, b in pairs(runs[(entry["scenario"], "passerelle")], uws)
                  if a.get("serverCPUMicrosPerMessage") and b.get("serverCPUMicrosPerMessage")]
        if paired:
            ratios = [a["serverCPUMicrosPerMessage"] / b["serverCPUMicrosPerMessage"] for a, b in paired]
            entry["cpuRatioToUWS"] = statistics.median(ratios)
            print(f"server CPU per message vs uWebSockets, {entry['scenario']}: {entry['cpuRatioToUWS']:.2f}x (rounds: {', '.join(f'{r:.2f}' for r in ratios)})")
json.dump(summary, open(sys.argv[2], "w"), indent=2)

# SVG: one group of bars per scenario, one bar per target. Each group has its own scale (a broadcast
# delivers 10x more than an echo answers), so bars compare servers within a scenario; figures are printed.
colors = {"uws": "#c0392b", "passerelle": "#2f7d4f", "passerelle-context-takeover": "#8fbf9f", "node-ws": "#3b6fb6", "python-websockets": "#c9a227", "nio-websocket": "#d9822b", "hummingbird": "#8e5bb5"}
scenarios = list(order)
width, bar, gap, left, top = 1000, 22, 18, 290, 56
height = top + len(scenarios) * (len(targets) * bar + gap) + 40
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
       f'<text x="10" y="20" font-size="14" font-weight="bold">Messages (echo), deliveries (broadcast), handshakes per second: medians of interleaved runs; server on one core,</text>',
       f'<text x="10" y="34" font-size="12">generator on the other; ≥ = generator-bound (a floor); each scenario on its own scale, × = ratio to node ws</text>']
y = top
for scenario in scenarios:
    svg.append(f'<text x="{left - 8}" y="{y + len(targets) * bar / 2 + 4}" text-anchor="end">{scenario}</text>')
    peak = max((e["messagesPerSecond"] or 0) for e in summary if e["scenario"] == scenario) or 1
    for target in targets:
        entry = next((e for e in summary if e["scenario"] == scenario and e["target"] == target), None)
        if entry:
            w = (width - left - 260) * (entry["messagesPerSecond"] or 0) / peak
            svg.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar - 4}" fill="{colors.get(target, "#888")}"/>')
            floor = "≥ " if entry["generatorBound"] else ""
            ratio = f' ({entry["ratioToNode"]:.2f}×)' if entry["ratioToNode"] and target != "node-ws" else ""
            svg.append(f'<text x="{left + w + 6:.1f}" y="{y + bar - 8}">{target} {floor}{entry["messagesPerSecond"]:,.0f}{ratio}</text>')
        y += bar
    y += gap
svg.append("</svg>")
open(sys.argv[3], "w").write("\n".join(svg) + "\n")
