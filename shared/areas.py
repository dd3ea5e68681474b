"""Administrative areas from `vietnam-provinces` (two levels since 2025: province > commune), and the communes
merged in the 2025 reorganisation: the package lists only today's communes, so the province keeps a table of old
codes and the commune each was merged into (`use_merges`, a CSV named by the settings)."""
from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

from vietnam_provinces import Province, Ward


def province_code(code: int) -> str:
    return f"{int(code):02d}"


def commune_code(code: int) -> str:
    return f"{int(code):05d}"


@lru_cache(maxsize=1)
def _directory() -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    provinces = {province_code(p.code): p.name for p in Province.iter_all()}
    communes = {commune_code(w.code): (w.name, province_code(w.province_code)) for w in Ward.iter_all()}
    return provinces, communes


def is_province(code: str) -> bool:
    return code in _directory()[0]


def is_commune(code: str) -> bool:
    return code in _directory()[1]


def is_area(code: str) -> bool:
    return is_province(code) or is_commune(code)


def name_of(code: str) -> str | None:
    provinces, communes = _directory()
    return provinces.get(code) or (communes[code][0] if code in communes else None)


def province_of(code: str) -> str | None:
    if is_province(code):
        return code
    commune = _directory()[1].get(code)
    return commune[1] if commune else None


def communes_of(province: str) -> list[tuple[str, str]]:
    return sorted((code, name) for code, (name, parent) in _directory()[1].items() if parent == province)


def covers(outer: str, inner: str) -> bool:
    """Is area `inner` inside area `outer` (the same area, or a commune of that province)?"""
    return outer == inner or (is_province(outer) and province_of(inner) == outer)


def within_any(areas, inner: str) -> bool:
    return any(covers(outer, inner) for outer in areas)


MERGE_COLUMNS = ("old_code", "old_name", "new_code")
_merges: dict[str, str] = {}


class MergeTableError(ValueError):
    """The table of merged communes cannot be used; the message names the file and the line."""


def read_merges(path: Path) -> dict[str, str]:
    """Old commune code -> today's code, from a CSV with the header `old_code,old_name,new_code`; lines starting
    with `#` are comments. A new code must be a commune or province today; an old one may not be (it is gone), nor
    be listed twice."""
    merges: dict[str, str] = {}
    with open(path, newline="", encoding="utf-8") as file:
        lines = [(number, line) for number, line in enumerate(file, start=1)
                 if line.strip() and not line.lstrip().startswith("#")]
    rows = csv.reader(line for _, line in lines)
    header = next(rows, None)
    if header is None or tuple(cell.strip() for cell in header) != MERGE_COLUMNS:
        raise MergeTableError(f"{path}: the first line must be {','.join(MERGE_COLUMNS)}")
    for (number, _), row in zip(lines[1:], rows):
        if len(row) != len(MERGE_COLUMNS):
            raise MergeTableError(f"{path}:{number}: expected {len(MERGE_COLUMNS)} columns, found {len(row)}")
        old, _name, new = (cell.strip() for cell in row)
        if not re.fullmatch(r"\d{5}", old):
            raise MergeTableError(f"{path}:{number}: old_code {old!r} is not a 5-digit commune code")
        if is_area(old):
            raise MergeTableError(f"{path}:{number}: old_code {old} is a commune today; it was not merged away")
        if not is_area(new):
            raise MergeTableError(f"{path}:{number}: new_code {new!r} is not a commune or province today")
        if old in merges:
            raise MergeTableError(f"{path}:{number}: old_code {old} is listed twice")
        merges[old] = new
    return merges


def use_merges(path: Path | None) -> None:
    """Read the table of merged communes (none without a path); called once at start by each service."""
    global _merges
    _merges = read_merges(path) if path else {}


def current_code(code: str) -> str:
    """The code an area has today: a commune merged in 2025 rolls up under the commune it joined."""
    return _merges.get(code, code)


def former_codes(code: str) -> list[str]:
    """The old codes of the communes merged into `code`."""
    return sorted(old for old, new in _merges.items() if new == code)
