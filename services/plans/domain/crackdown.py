"""Crackdown figures a police unit reports with its progress report: cases and suspects by offence (the drug crimes
of the Penal Code 2015, amended 2017, chapter XX, articles 247 to 259) and seizures by drug, each in the measure
police seizure records use for that drug.

The indicators these figures imply (drug cases, suspects, grams seized) are derived here, so a unit never types
the same figure twice and the two can never disagree."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from shared.refusals import DecisionInvalid

OFFENCES = {
    "cultivation": 247,      # trồng cây thuốc phiện, cây côca, cây cần sa...
    "production": 248,       # sản xuất trái phép chất ma túy
    "possession": 249,       # tàng trữ trái phép chất ma túy
    "transport": 250,        # vận chuyển trái phép chất ma túy
    "trafficking": 251,      # mua bán trái phép chất ma túy
    "appropriation": 252,    # chiếm đoạt chất ma túy
    "precursors": 253,       # tàng trữ, vận chuyển, mua bán hoặc chiếm đoạt tiền chất
    "equipment": 254,        # phương tiện, dụng cụ dùng vào việc sản xuất, sử dụng trái phép chất ma túy
    "organising_use": 255,   # tổ chức sử dụng trái phép chất ma túy
    "harbouring_use": 256,   # chứa chấp việc sử dụng trái phép chất ma túy
    "forcing_use": 257,      # cưỡng bức người khác sử dụng trái phép chất ma túy
    "inducing_use": 258,     # lôi kéo người khác sử dụng trái phép chất ma túy
    "control_breach": 259,   # vi phạm quy định về quản lý chất ma túy, tiền chất, thuốc gây nghiện...
}
"""Offence code -> article of the Penal Code 2015."""
DRUG_MEASURES = {"heroin": "g", "synthetic": "g", "pills": "viên", "cannabis": "kg", "opium": "g", "cocaine": "g"}
"""Each drug is counted in one measure; pills (thuốc lắc, hồng phiến) are counted, not weighed."""
GRAMS_PER = {"g": 1, "kg": 1000}
POLICE_UNIT_KINDS = ("provincial_police", "commune_police")
DERIVED_INDICATORS = ("drug_cases", "suspects", "drugs_seized_g")


@dataclass(frozen=True)
class OffenceFigures:
    offence: str
    cases: int
    suspects: int


@dataclass(frozen=True)
class Seizure:
    drug: str
    quantity: float
    measure: str

    @property
    def grams(self) -> float:
        """The weight in grams; 0 for what is counted rather than weighed."""
        return self.quantity * GRAMS_PER.get(self.measure, 0)


@dataclass(frozen=True)
class Crackdown:
    offences: list[OffenceFigures] = field(default_factory=list)
    seizures: list[Seizure] = field(default_factory=list)

    def derived(self) -> dict[str, float]:
        return {"drug_cases": float(sum(o.cases for o in self.offences)),
                "suspects": float(sum(o.suspects for o in self.offences)),
                "drugs_seized_g": float(sum(s.grams for s in self.seizures))}


def checked_crackdown(figures: dict, unit_kind: str | None) -> Crackdown:
    """The crackdown figures of a police unit, each offence and drug known and listed once, each count a whole
    number and each quantity in its drug's measure; refused naming the field otherwise."""
    if unit_kind not in POLICE_UNIT_KINDS:
        raise DecisionInvalid("crackdown", "only police units (provincial or commune police) report crackdown "
                                           "figures")
    unknown = sorted(set(figures) - {"offences", "seizures"})
    if unknown:
        raise DecisionInvalid(f"crackdown.{unknown[0]}", "is not a part of crackdown figures")
    return Crackdown([_offence(i, row) for i, row in enumerate(_listed(figures, "offences", "offence"))],
                     [_seizure(i, row) for i, row in enumerate(_listed(figures, "seizures", "drug"))])


def _listed(figures: dict, name: str, key: str) -> list[dict]:
    rows = figures.get(name) or []
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise DecisionInvalid(f"crackdown.{name}", "is a list of objects")
    seen = [row.get(key) for row in rows]
    for index, value in enumerate(seen):
        if value in seen[:index]:
            raise DecisionInvalid(f"crackdown.{name}.{index}.{key}", f"{value!r} is listed twice")
    return rows


def _offence(index: int, row: dict) -> OffenceFigures:
    where = f"crackdown.offences.{index}"
    if row.get("offence") not in OFFENCES:
        raise DecisionInvalid(f"{where}.offence", f"unknown offence {row.get('offence')!r}: one of "
                                                  f"{', '.join(OFFENCES)}")
    cases, suspects = (_count(f"{where}.{name}", row.get(name, 0)) for name in ("cases", "suspects"))
    return OffenceFigures(row["offence"], cases, suspects)


def _seizure(index: int, row: dict) -> Seizure:
    where = f"crackdown.seizures.{index}"
    drug = row.get("drug")
    if drug not in DRUG_MEASURES:
        raise DecisionInvalid(f"{where}.drug", f"unknown drug {drug!r}: one of {', '.join(DRUG_MEASURES)}")
    measure = row.get("measure", DRUG_MEASURES[drug])
    if measure != DRUG_MEASURES[drug]:
        raise DecisionInvalid(f"{where}.measure", f"{drug} is counted in {DRUG_MEASURES[drug]}, not {measure!r}")
    quantity = row.get("quantity")
    if not is_number(quantity):
        raise DecisionInvalid(f"{where}.quantity", "is not a number")
    if quantity < 0:
        raise DecisionInvalid(f"{where}.quantity", "is negative")
    if measure == "viên" and quantity != int(quantity):
        raise DecisionInvalid(f"{where}.quantity", "pills are counted in whole numbers")
    return Seizure(drug, float(quantity), measure)


def _count(name: str, value) -> int:
    if not is_number(value) or value != int(value):
        raise DecisionInvalid(name, "is not a whole number")
    if value < 0:
        raise DecisionInvalid(name, "is negative")
    return int(value)


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
