"""Security keys (WebAuthn) without I/O: the account's keys and their reset, the signature counter that only goes
up, py_webauthn's verification through the adapter (a software authenticator), and the relying-party settings."""
from dataclasses import fields
from datetime import datetime, timedelta, timezone
from urllib.parse import urlparse

import pytest

from shared.errors import Conflict, InvalidInput, NotFound
from shared.settings import SettingsError
from services.portal.adapters.webauthn_keys import PyWebAuthnKeys
from services.portal.domain.model import MAX_SECURITY_KEYS, Account, AccountCreated, SecurityKey
from services.portal.domain.security_keys import key_name
from services.portal.domain.signin import SignInRecord
from services.portal.service_layer.ports import CredentialRefused
from services.portal.service_layer.presenting import account_view
from services.portal.settings import _webauthn_party
from tests.integration.portal.authenticator import ORIGIN, RP_ID, SoftKey

T0 = datetime(2026, 8, 3, 1, 0, 5, tzinfo=timezone.utc)
HANDLE = "aGFuZGxlLW9mLWxhbg"


def key(n: int = 1, count: int = 0) -> SecurityKey:
    return SecurityKey(f"id-{n}", f"pk-{n}", count, ["usb"], f"Khoá {n}", T0)


def account() -> Account:
    return Account.create("lan", full_name="Lan", unit="UBX", roles=["plan_coordinator"], areas=["22366"],
                          password_hash="h", at=T0)


def test_keys_are_added_once_at_most_ten_removed_and_kept_through_a_snapshot():
    person = account()
    person.add_security_key(key(1), T0)
    with pytest.raises(Conflict):
        person.add_security_key(key(1), T0)
    for n in range(2, MAX_SECURITY_KEYS + 1):
        person.add_security_key(key(n), T0)
    with pytest.raises(Conflict):
        person.add_security_key(key(99), T0)
    person.remove_security_key("id-1", T0 + timedelta(minutes=1))
    with pytest.raises(NotFound):
        person.remove_security_key("id-1", T0)
    again = Account.from_snapshot(person.id, person.snapshot(), person.version)
    assert again.security_keys == person.security_keys and again.security_key("id-2") == key(2)
    assert account_view(again).second_factor == "enrolled"


def test_a_reset_of_the_second_factor_removes_every_key_even_without_a_code():
    person = account()
    person.add_security_key(key(1), T0)
    person.reset_second_factor(T0)
    assert person.security_keys == [] and person.sealed_secret is None
    version = person.version
    person.reset_second_factor(T0)
    assert person.version == version, "nothing to reset records nothing"


def test_a_keys_counter_only_goes_up_and_a_counterless_key_stays_at_zero():
    record = SignInRecord("lan")
    assert record.key_count_is_fresh("id-1", 0, 0), "an authenticator without a counter"
    assert not record.key_count_is_fresh("id-1", 3, 3) and record.key_count_is_fresh("id-1", 4, 3)
    record.succeed_with_key("id-1", 7, T0)
    assert not record.key_count_is_fresh("id-1", 7, 0) and not record.key_count_is_fresh("id-1", 0, 0)
    assert record.key_count_is_fresh("id-1", 8, 0) and record.key_count_is_fresh("id-2", 1, 0)
    again = SignInRecord.from_snapshot(record.id, record.snapshot(), record.version)
    assert again.key_counts == {"id-1": 7} and again.last_code_step == -1


@pytest.mark.parametrize("value,name", [("  Khoá   xanh ", "Khoá xanh"), ("x" * 60, "x" * 60)])
def test_a_key_name(value, name):
    assert key_name(value) == name


@pytest.mark.parametrize("value", ["", " ", "x" * 61, None, 5, ["Khoá"], {"name": "Khoá"}, "Khoá\x00xanh",
                                   "Khoá\x07", "Khoá\nxanh", "Khoá\txanh", "Khoá\x7f", "Khoá\x85"])
def test_a_key_name_that_is_not_text_on_one_line_is_refused_naming_name(value):
    with pytest.raises(InvalidInput) as refused:
        key_name(value)
    assert list(refused.value.errors) == ["name"]


def test_the_adapter_verifies_a_registration_and_a_sign_in_and_refuses_the_rest():
    keys, soft = PyWebAuthnKeys(RP_ID, ORIGIN), SoftKey()
    options, challenge = keys.registration_options("lan", ["aWQ"], HANDLE)
    assert options["rp"]["id"] == RP_ID and options["user"]["name"] == "lan" and options["attestation"] == "none"
    assert options["user"]["id"] == HANDLE
    assert [c["id"] for c in options["excludeCredentials"]] == ["aWQ"] and options["timeout"] == 300_000
    registered = keys.verify_registration(soft.create(options), challenge)
    assert registered.credential_id == soft.credential_id and registered.transports == ["usb"]
    with pytest.raises(CredentialRefused):
        keys.verify_registration(soft.create(options), b"another challenge")
    with pytest.raises(CredentialRefused):
        keys.verify_registration(soft.create(options, origin="https://evil.example"), challenge)
    asked, challenge = keys.authentication_options([(registered.credential_id, ["usb", "warp-drive"])])
    assert asked["allowCredentials"] == [{"id": soft.credential_id, "type": "public-key", "transports": ["usb"]}]
    answer = soft.get(asked)
    assert keys.credential_id(answer) == soft.credential_id
    assert keys.verify_authentication(answer, challenge, registered.public_key) == 1
    with pytest.raises(CredentialRefused):
        keys.verify_authentication(answer, challenge, keys.verify_registration(
            SoftKey().create(options), keys.registration_options("lan", [], HANDLE)[1]).public_key)
    for garbled in ({}, {"id": "x"}, {**answer, "response": {"clientDataJSON": "%%%"}}):
        with pytest.raises(CredentialRefused):
            keys.credential_id(garbled) and keys.verify_authentication(garbled, challenge, registered.public_key)


def test_the_adapter_refuses_a_key_of_another_relying_party():
    keys, soft = PyWebAuthnKeys(RP_ID, ORIGIN), SoftKey(rp_id="evil.example")
    options, challenge = keys.registration_options("lan", [], HANDLE)
    with pytest.raises(CredentialRefused):
        keys.verify_registration(soft.create(options), challenge)


@pytest.mark.parametrize("public,env,party", [
    ("http://127.0.0.1:8104", {}, ("localhost", "http://localhost:8104")),
    ("https://portal.donghanh.gov.vn", {}, ("portal.donghanh.gov.vn", "https://portal.donghanh.gov.vn")),
    ("https://portal.donghanh.gov.vn", {"WEBAUTHN_RP_ID": "donghanh.gov.vn"},
     ("donghanh.gov.vn", "https://portal.donghanh.gov.vn")),
    ("http://127.0.0.1:18584", {"WEBAUTHN_RP_ID": "localhost", "WEBAUTHN_ORIGIN": "http://localhost:18584/"},
     ("localhost", "http://localhost:18584")),
])
def test_the_relying_party_settings(public, env, party):
    assert _webauthn_party(env, urlparse(public)) == party


@pytest.mark.parametrize("env", [{"WEBAUTHN_RP_ID": "10.0.0.5"}, {"WEBAUTHN_ORIGIN": "https://evil.example"},
                                 {"WEBAUTHN_ORIGIN": "http://localhost.evil.example"},
                                 {"WEBAUTHN_RP_ID": "example.org", "WEBAUTHN_ORIGIN": "http://example.org"}])
def test_relying_party_settings_that_cannot_work_are_refused_at_start(env):
    with pytest.raises(SettingsError):
        _webauthn_party(env, urlparse("http://127.0.0.1:8104"))


@pytest.mark.parametrize("transports", [5, "usb", {"usb": 1}, None, ["usb", 7, ["nfc"], "warp-drive", "nfc"]])
def test_a_registrations_transports_are_kept_only_as_a_list_of_known_strings(transports):
    keys, soft = PyWebAuthnKeys(RP_ID, ORIGIN), SoftKey()
    options, challenge = keys.registration_options("lan", [], HANDLE)
    answer = soft.create(options)
    answer["response"]["transports"] = transports
    kept = keys.verify_registration(answer, challenge).transports
    assert kept == (["usb", "nfc"] if isinstance(transports, list) else [])


@pytest.mark.parametrize("public,env,party", [
    ("https://Portal.DongHanh.gov.vn:443", {}, ("portal.donghanh.gov.vn", "https://portal.donghanh.gov.vn")),
    ("https://portal.donghanh.gov.vn:8443", {}, ("portal.donghanh.gov.vn", "https://portal.donghanh.gov.vn:8443")),
    ("http://LOCALHOST:80", {}, ("localhost", "http://localhost")),
    ("http://127.0.0.1:80", {}, ("localhost", "http://localhost")),
    ("https://portal.donghanh.gov.vn", {"WEBAUTHN_ORIGIN": "HTTPS://Portal.DongHanh.gov.vn:443/"},
     ("portal.donghanh.gov.vn", "https://portal.donghanh.gov.vn")),
    ("https://10.0.0.5", {"WEBAUTHN_RP_ID": "portal.donghanh.gov.vn",
                          "WEBAUTHN_ORIGIN": "https://portal.donghanh.gov.vn"},
     ("portal.donghanh.gov.vn", "https://portal.donghanh.gov.vn")),
])
def test_the_default_origin_is_the_lowercased_public_origin_without_its_default_port(public, env, party):
    assert _webauthn_party(env, urlparse(public)) == party


@pytest.mark.parametrize("public,env", [
    ("https://10.0.0.5", {}),
    ("https://10.0.0.5:8443", {"WEBAUTHN_RP_ID": "portal.donghanh.gov.vn"}),
    ("https://[2001:db8::5]", {}),
    ("https://portal.donghanh.gov.vn", {"WEBAUTHN_RP_ID": "other.donghanh.gov.vn"}),
    ("https://portal.donghanh.gov.vn", {"WEBAUTHN_RP_ID": "anh.gov.vn"}),
    ("https://portal.donghanh.gov.vn", {"WEBAUTHN_RP_ID": "gov.vn"}),
    ("https://portal.donghanh.gov.vn", {"WEBAUTHN_RP_ID": "vn"}),
    ("https://portal.example.co.uk", {"WEBAUTHN_RP_ID": "co.uk"}),
])
def test_an_ip_address_without_a_relying_party_or_one_not_on_the_public_host_is_refused_at_start(public, env):
    with pytest.raises(SettingsError):
        _webauthn_party(env, urlparse(public))


def test_only_the_creation_of_an_account_sets_its_name_unit_roles_and_areas():
    """views.py SignedInAccounts trusts an account read a few seconds ago because these never change once created:
    every other event of an account leaves them as they were."""
    others = [e for e in Account.event_types.values() if e is not AccountCreated]
    assert others, "the account has events besides its creation"
    for event_type in others:
        person = account()
        before = (person.full_name, person.unit, list(person.roles), list(person.areas))
        person.apply(_an_event_of(event_type))
        assert (person.full_name, person.unit, person.roles, person.areas) == before, event_type.type


def _an_event_of(event_type):
    """An event of `event_type` with every field filled, including any named like the fields it must not touch."""
    values = {"at": T0, "key": key(1), "full_name": "Someone Else", "unit": "UB-OTHER", "roles": ["admin"],
              "areas": ["01"], "name": "Someone Else"}
    return event_type(**{f.name: values.get(f.name, "x") for f in fields(event_type)})


def test_an_answered_challenge_is_good_once_and_remembered_as_long_as_a_challenge_lives():
    record = SignInRecord("lan")
    assert record.challenge_is_fresh("c1")
    record.succeed_with_key("id-1", 0, T0, "c1")
    assert not record.challenge_is_fresh("c1") and record.challenge_is_fresh("c2")
    again = SignInRecord.from_snapshot(record.id, record.snapshot(), record.version)
    assert not again.challenge_is_fresh("c1")
    again.succeed_with_key("id-1", 0, T0 + timedelta(minutes=5), "c2")
    assert not again.challenge_is_fresh("c1") and not again.challenge_is_fresh("c2")
    again.succeed_with_key("id-1", 0, T0 + timedelta(minutes=5, seconds=1), "c3")
    assert set(again.used_challenges) == {"c2", "c3"}, "older than any challenge can live: forgotten"


def test_the_user_handle_of_the_first_key_is_kept_through_later_keys_removals_and_a_reset():
    person = account()
    person.add_security_key(key(1), T0, "first")
    person.add_security_key(key(2), T0, "second")
    person.remove_security_key("id-1", T0)
    person.remove_security_key("id-2", T0)
    person.reset_second_factor(T0)
    again = Account.from_snapshot(person.id, person.snapshot(), person.version)
    assert person.user_handle == again.user_handle == "first"
