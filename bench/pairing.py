"""Paired ratios for the interleaved benchmarks (scripts/bench, scripts/bench-tcp-floor).

A ratio is the median of each round's ratio between two runs a minute apart at most, not a ratio of
medians taken across rounds: this machine's speed drifts by 10-20 % over minutes (the generator's own
CPU per message moves with it), and a slow stretch falling on one target's run in one round and on
another's in the next skews a ratio of medians.
"""
import statistics


def rounds_of(items):
    """Runs by round: the scripts record each run's round; older files are in round order."""
    return {item.get("round", index + 1): item for index, item in enumerate(items)}


def pairs(items, baseline):
    """(run, baseline run) of every round both have — a failed run drops only its own round."""
    mine, theirs = rounds_of(items), rounds_of(baseline)
    return [(mine[r], theirs[r]) for r in sorted(mine) if r in theirs]


def paired_ratio(items, baseline, key="messagesPerSecond"):
    """Median over rounds of each round's items[key] / baseline[key]."""
    ratios = [a[key] / b[key] for a, b in pairs(items, baseline) if b[key]]
    return statistics.median(ratios) if ratios else None
