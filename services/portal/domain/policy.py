"""The sign-in rules in one place: who must prove a second factor, what a password must be, when an account is
locked, how long tokens and sessions live (issue 10)."""
from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

from services.roles import ROLES

SECOND_FACTOR_ROLES = frozenset({"caseworker", "police_liaison", "health_worker", "auditor", "admin"})
"""Roles that see contact or clinical data (services/cases/domain/access.py: caseworkers and police liaison
officers see contact details, health workers clinical ones), auditors (who read the audit of case access and the
accounting of disclosures, which name cases), and admins (who create and reset the others). Coordinators and unit
reporters see plans and figures only."""
HUMAN_ROLES = tuple(role for role in ROLES if role != "system")
"""A person's account never carries `system`: that is for agency systems' service clients."""
CLIENT_ROLES = tuple(role for role in ROLES if role != "admin")
"""A service client never administers accounts."""

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
"""Longer passwords are refused before hashing, so a megabyte of password cannot tie up a worker."""
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
ACCESS_TOKEN_SECONDS = 300
IDLE_TIMEOUT = timedelta(minutes=30)
SECOND_STEP_TIMEOUT = timedelta(minutes=5)
"""How long a password checked waits for its code (or its enrolment)."""
CODE_STEP_SECONDS = 30

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
CLIENT_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
UNIT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
AREA_CODE = re.compile(r"^\d{2}(\d{3})?$")


def needs_second_factor(roles) -> bool:
    return any(role in SECOND_FACTOR_ROLES for role in roles)


def password_problem(password: str, username: str, is_common) -> str | None:
    """Why `password` is refused, or None. `is_common` tells whether a (lower-cased) password is in the shipped
    list of common passwords."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"must be at most {MAX_PASSWORD_LENGTH} characters"
    if is_common(password.lower()):
        return "is one of the most common passwords"
    if username and username.lower() in password.lower():
        return "must not contain the user name"
    return None


def display_name(value: str) -> str:
    """A person's name as typed, with its diacritics, in one Unicode form (NFC) so the same name is one string."""
    return " ".join(unicodedata.normalize("NFC", value).split())
