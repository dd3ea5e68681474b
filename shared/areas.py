"""Administrative areas from `vietnam-provinces` (two levels since 2025: province > commune)."""
from __future__ import annotations

from functools import lru_cache

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
