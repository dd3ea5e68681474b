"""The sign-in rules without I/O: the password policy, the lockout, a code good once, the roles that need a second
factor, the retried compare-and-set of the sign-in record, the Vietnamese catalogue, and the mint CLI outside
development."""
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from io import BytesIO

import pyotp
import pytest
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from shared.errors import ConcurrencyConflict
from services.cases.domain.access import PROTECTED, SECTIONS_BY_ROLE
from services.portal.adapters.secrets import CommonPasswordList, TotpCodes
from services.portal.domain.policy import SECOND_FACTOR_ROLES, needs_second_factor, password_problem
from services.portal.domain.signin import SignInRecord
from services.portal.service_layer.signin import changed_record
from tests.support import ROOT

T0 = datetime(2026, 8, 3, 1, 0, 5, tzinfo=timezone.utc)
COMMON = CommonPasswordList()


@pytest.mark.parametrize("password,problem", [
    ("ngắn", "at least 12"), ("x" * 257, "at most 256"), ("Password1234", "common"), ("ILoveMyFamily", "common"),
    ("lan.nguyen-mật-khẩu-mới", "user name"), ("cầu Trần Phú lúc bình minh", None),
])
def test_the_password_policy(password, problem):
    found = password_problem(password, "lan.nguyen", COMMON.__contains__)
    assert (found is None) if problem is None else (problem in found)


def test_the_shipped_list_holds_the_common_passwords():
    assert "password1234" in COMMON and "123456" in COMMON and len(COMMON._words) > 19_000


def test_five_failures_lock_for_15_minutes_then_the_count_starts_again():
    record = SignInRecord("lan")
    for minute in range(4):
        record.fail("wrong_password", T0 + timedelta(minutes=minute))
    assert record.locked(T0 + timedelta(minutes=4)) is None and record.failures == 4
    record.fail("wrong_password", T0 + timedelta(minutes=4))
    assert record.locked(T0 + timedelta(minutes=5)) == T0 + timedelta(minutes=19)
    record.fail("wrong_password", T0 + timedelta(minutes=6))
    assert record.version == 5, "failures while locked change nothing"
    assert record.locked(T0 + timedelta(minutes=19)) is None
    record.fail("wrong_password", T0 + timedelta(minutes=20))
    assert record.failures == 1 and record.locked(T0 + timedelta(minutes=20)) is None


def test_a_success_clears_the_failures_and_a_code_is_good_once():
    record = SignInRecord("lan")
    record.fail("wrong_code", T0)
    record.succeed(1000, T0)
    assert record.failures == 0 and not record.code_is_fresh(1000) and not record.code_is_fresh(999)
    assert record.code_is_fresh(1001)


def test_codes_of_the_window_are_good_older_ones_expired():
    codes, secret = TotpCodes(), pyotp.random_base32()
    totp, step = pyotp.TOTP(secret), int(T0.timestamp()) // 30
    assert codes.match(secret, totp.at(T0), T0).outcome == "good"
    assert codes.match(secret, totp.at(T0 - timedelta(seconds=30)), T0).step == step - 1
    assert codes.match(secret, totp.at(T0 - timedelta(minutes=3)), T0).outcome == "expired"
    assert codes.match(secret, "12345x", T0).outcome == "wrong"
    assert codes.match(secret, totp.at(T0 - timedelta(hours=1)), T0).outcome in ("wrong", "expired")


def test_every_role_that_sees_contact_or_clinical_data_needs_a_second_factor():
    seeing = {role for role, sections in SECTIONS_BY_ROLE.items() if set(sections) & set(PROTECTED)}
    assert seeing <= SECOND_FACTOR_ROLES and "admin" in SECOND_FACTOR_ROLES
    assert not needs_second_factor(["plan_coordinator", "unit_reporter"])


class FlakyRecords:
    """A sign-in record store whose first save loses to a concurrent writer."""

    def __init__(self):
        self.stored, self.collisions = SignInRecord("lan"), 1

    def get(self, _username):
        record = SignInRecord("lan")
        for _ in range(self.stored.version):
            record.fail("wrong_password", T0)
        record.pending.clear()
        return record

    def save(self, record, actor):
        if self.collisions:
            self.collisions -= 1
            self.stored.fail("wrong_password", T0)
            raise ConcurrencyConflict("signin-lan", record.version - 1)
        self.stored = record


def test_a_failure_that_loses_a_race_is_counted_on_the_newer_state():
    records = FlakyRecords()
    record, _ = changed_record(records, "lan", lambda r: r.fail("wrong_password", T0))
    assert record.failures == 2 and records.stored.failures == 2


def test_the_vietnamese_catalogue_is_complete_and_compiled():
    folder = ROOT / "services" / "portal" / "translations" / "vi" / "LC_MESSAGES"
    catalog = read_po((folder / "messages.po").open("rb"))
    assert all(message.string for message in catalog if message.id)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    shipped = read_mo((folder / "messages.mo").open("rb"))
    assert {m.id: m.string for m in shipped if m.id} == {m.id: m.string for m in catalog if m.id}


@pytest.mark.parametrize("environment,allowed", [("development", True), ("production", False), ("", False)])
def test_the_mint_cli_works_in_development_only(environment, allowed, tmp_path):
    subprocess.run([sys.executable, "-m", "shared.auth", "keygen", "--dir", str(tmp_path)], cwd=ROOT, check=True,
                   capture_output=True)
    minted = subprocess.run([sys.executable, "-m", "shared.auth", "mint", "--key", str(tmp_path / "jwt-private.pem"),
                             "--sub", "x", "--role", "caseworker"], cwd=ROOT, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "DONGHANH_ENV": environment})
    assert (minted.returncode == 0) is allowed, minted.stderr
    assert allowed or "development only" in minted.stderr
