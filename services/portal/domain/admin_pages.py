"""The admin pages' reads of other services (the queries are in queries.py): page sizes, and the sample event's
fields as typed on the dry-run form."""
from __future__ import annotations

UNITS_PAGE_SIZE = 100
RULES_PAGE_SIZE = 100


def sample_data(text: str) -> tuple[tuple[str, str], ...]:
    """`name=value` lines as typed on the dry-run form; lines without `=` or a name are left out."""
    pairs = []
    for line in (text or "").splitlines():
        name, found, value = line.partition("=")
        if found and name.strip():
            pairs.append((name.strip(), value.strip()))
    return tuple(pairs)
