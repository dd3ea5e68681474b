"""The run's table from its request records: per request type the count, p50 and p95, failures (no 2xx) and 5xx
(or no answer at all), and what the writes did while the broker was down."""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from bench.common import percentile

WRITES = ("open case", "visit", "transition")
"""The request types that change a case; the rest read."""


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def ok(entry: dict) -> bool:
    return 200 <= entry["status"] < 300


def server_error(entry: dict) -> bool:
    """A 5xx, or no HTTP answer at all (a refused or dropped connection): worse than a 5xx, never acceptable."""
    return entry["status"] >= 500 or entry["status"] == 0


def by_type(entries: list[dict]) -> dict[str, dict]:
    groups = defaultdict(list)
    for entry in entries:
        groups[entry["name"]].append(entry)
    return {name: {"count": len(group), "p50_ms": percentile([e["ms"] for e in group], 50),
                   "p95_ms": percentile([e["ms"] for e in group], 95),
                   "failures": sum(not ok(e) for e in group), "5xx": sum(server_error(e) for e in group),
                   "statuses": dict(sorted(_statuses(group).items()))}
            for name, group in sorted(groups.items())}


def _statuses(group: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for entry in group:
        counts[str(entry["status"])] += 1
    return counts


def during(entries: list[dict], window: tuple[float, float]) -> dict[str, int]:
    """The writes started while the broker was down: how many, how many answered 2xx, their p95."""
    started, ended = window
    writes = [e for e in entries if e["name"] in WRITES and started <= e["start"] <= ended]
    return {"writes": len(writes), "writes_2xx": sum(ok(e) for e in writes),
            "writes_p95_ms": percentile([e["ms"] for e in writes], 95) if writes else 0.0,
            "5xx": sum(server_error(e) for e in entries if started <= e["start"] <= ended)}


def table(types: dict[str, dict]) -> str:
    lines = [f"{'request':<16} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'failures':>9} {'5xx':>5}  statuses"]
    for name, row in types.items():
        lines.append(f"{name:<16} {row['count']:>7} {row['p50_ms']:>8.0f} {row['p95_ms']:>8.0f} "
                     f"{row['failures']:>9} {row['5xx']:>5}  {json.dumps(row['statuses'])}")
    return "\n".join(lines)
