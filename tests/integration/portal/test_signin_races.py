"""A sign-in that an admin's reset or disable overtakes mid-way leaves no session behind: the session is started,
then the account read again (service_layer/signin.py `_started`)."""
from services.portal.adapters.documents import WebSessionDocument
from services.portal.domain.commands import CreateAccount, ResetPassword, ResetSecondFactor, SetAccountStatus
from services.portal.entrypoints.app import create_app
from services.portal.settings import PortalSettings
from shared.auth import Principal
from tests.integration.portal.conftest import CHEAP, PASSWORD, code_at, csrf_of, enrolled, form

ADMIN = Principal("admin-56", ("admin",), "SO-TU-PHAP-56", ("56",))
NEW_PASSWORD = "mưa chiều trên đèo Khánh Lê 2027"


class HasherOvertaken:
    """The argon2 check of a sign-in, during which the admin acts (as the sign-in's slow step lets them)."""

    def __init__(self, real):
        self.real, self.meanwhile = real, None

    def __getattr__(self, name):
        return getattr(self.real, name)

    def verify(self, password_hash, password):
        good = self.real.verify(password_hash, password)
        if self.meanwhile:
            action, self.meanwhile = self.meanwhile, None
            action()
        return good


def sessions_of(username: str) -> int:
    return WebSessionDocument._get_collection().count_documents({"username": username})


def test_a_password_sign_in_overtaken_by_a_password_reset_keeps_no_session(portal_env, clock):
    hasher = HasherOvertaken(CHEAP)
    portal = create_app(PortalSettings.from_env(portal_env), hasher=hasher, clock=clock)
    client, bus = portal.test_client(), portal.extensions["service_layer"]
    bus.handle(_create("coord-hoa", ("plan_coordinator",)), ADMIN)
    hasher.meanwhile = lambda: bus.handle(ResetPassword("coord-hoa", NEW_PASSWORD), ADMIN)
    answer = form(client, "/login", {"username": "coord-hoa", "password": PASSWORD})
    assert answer.status_code != 302 or answer.headers["Location"].endswith("/login")
    assert sessions_of("coord-hoa") == 0
    assert client.get("/").status_code == 302


def test_a_first_step_overtaken_by_a_disable_leaves_no_pending_session(portal_env, clock):
    hasher = HasherOvertaken(CHEAP)
    portal = create_app(PortalSettings.from_env(portal_env), hasher=hasher, clock=clock)
    client, bus = portal.test_client(), portal.extensions["service_layer"]
    bus.handle(_create("cb-minh", ("caseworker",)), ADMIN)
    hasher.meanwhile = lambda: bus.handle(SetAccountStatus("cb-minh", "disabled", "left the unit"), ADMIN)
    form(client, "/login", {"username": "cb-minh", "password": PASSWORD})
    assert sessions_of("cb-minh") == 0


def test_a_code_step_overtaken_by_a_second_factor_reset_keeps_no_session(client, clock, make_account, bus,
                                                                        monkeypatch):
    make_account()
    secret = enrolled(client, clock)
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/"))})
    clock.advance(seconds=30)
    assert form(client, "/login", {"username": "cb-lan", "password": PASSWORD}).headers["Location"].endswith(
        "/login/code")
    codes = bus.dependencies["second_factor"]
    real_match = codes.match

    def overtaken(*args):
        matched = real_match(*args)
        bus.handle(ResetSecondFactor("cb-lan"), ADMIN)
        return matched
    monkeypatch.setattr(codes, "match", overtaken)
    answer = form(client, "/login/code", {"code": code_at(secret, clock)}, page="/login/code")
    assert not (answer.status_code == 302 and answer.headers["Location"].endswith("/")), answer.get_data(as_text=True)
    assert sessions_of("cb-lan") == 0


def _create(username, roles):
    return CreateAccount(username=username, full_name="Trần Văn Hòa", unit="UBX-22366", roles=list(roles),
                         areas=["22366"], password=PASSWORD)

