"""Helpers both benchmarks use."""
from __future__ import annotations

import requests


def percentile(values, q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def answers(url: str) -> bool:
    """Does `url` answer 200 now?"""
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False
