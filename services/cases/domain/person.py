"""Rules about the people cases are about: identity numbers, names as people type them, minors and guardians."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

MIN_AGE = 12
ADULT_AGE = 18
# Birth-registration province codes of the 12-digit citizen identity number (Circular 59/2021/TT-BCA): the 63
# provinces as they were before the 2025 mergers, which stay valid on every card issued.
ID_PROVINCE_CODES = frozenset(f"{c:03d}" for c in (
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37, 38, 40, 42, 44,
    45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77, 79, 80, 82, 83, 84, 86, 87, 89,
    91, 92, 93, 94, 95, 96))
CENTURY_BY_DIGIT = {0: (1900, "male"), 1: (1900, "female"), 2: (2000, "male"), 3: (2000, "female"),
                    4: (2100, "male"), 5: (2100, "female"), 6: (2200, "male"), 7: (2200, "female"),
                    8: (1800, "male"), 9: (1800, "female")}


def national_id_shape_problem(number: str) -> str | None:
    """Why `number` cannot be a citizen identity number of anyone, or None if it can: every schema and the
    register import check this; `national_id_problem` checks it against the person."""
    if not re.fullmatch(r"\d{12}", number):
        return "must be 12 digits"
    if number[:3] not in ID_PROVINCE_CODES:
        return f"{number[:3]} is not a province code of birth registration"
    return None


def national_id_problem(number: str, birth_date: date, sex: str) -> str | None:
    """Why `number` cannot be this person's citizen identity number, or None if it can."""
    shape = national_id_shape_problem(number)
    if shape:
        return shape
    century, coded_sex = CENTURY_BY_DIGIT[int(number[3])]
    if century + int(number[4:6]) != birth_date.year:
        return "does not match the year of birth"
    if coded_sex != sex:
        return "does not match the sex"
    return None


def normalise_name(name: str) -> str:
    """'Nguyễn Văn  Á' -> 'nguyen van a': how people type names into a search box."""
    decomposed = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(plain.lower().split())


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


@dataclass(frozen=True)
class Guardian:
    full_name: str
    relation: str
    phone: str | None = None


def guardian_problem(birth_date: date, on: date, guardian: Guardian | None) -> tuple[str, str] | None:
    """(field, message) when the law's age rules are broken: under 12 is out of scope, 12-17 needs a guardian."""
    age = age_on(birth_date, on)
    if age < MIN_AGE:
        return "person.birth_date", f"the person is {age}; the law applies from age {MIN_AGE}"
    if age < ADULT_AGE and guardian is None:
        return "person.guardian", f"a person aged {age} needs a guardian"
    return None


@dataclass(frozen=True)
class PersonRecord:
    """A person as the service layer sees them, decrypted; the register keeps them encrypted."""
    person_code: str
    full_name: str
    birth_date: date
    sex: str
    residence_code: str
    national_id: str | None
    phone: str | None
    address: str | None
    guardian: Guardian | None
    merged_into: str | None
