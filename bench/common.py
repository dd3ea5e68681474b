"""Helpers the benchmarks use. Importing it makes the run development (DONGHANH_ENV): the services a benchmark
starts verify the local issuer's tokens, which production refuses (shared/settings.py)."""
from __future__ import annotations

import os
import time

import requests

from tests.support import ROOT, FerretDB

os.environ.setdefault("DONGHANH_ENV", "development")


def percentile(values, q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def fresh_ferretdb(port: int, debug_port: int, name: str) -> FerretDB:
    """A FerretDB of the benchmark's own, started on an empty `var/bench/<name>`."""
    ferretdb = FerretDB(port=port, debug_port=debug_port)
    ferretdb.data = ROOT / "var" / "bench" / name
    ferretdb.wipe()
    ferretdb.start()
    return ferretdb


def answers(url: str) -> bool:
    """Does `url` answer 200 now?"""
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def timed(call, count: int) -> list[float]:
    """The seconds each of `count` calls took."""
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples
