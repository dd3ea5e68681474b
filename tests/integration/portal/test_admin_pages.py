"""The admin pages: only an admin gets them (the admin API's own check), they write through the same handlers with
the version the page showed, name a refused field in Vietnamese keeping what was typed, and read the units and the
routing rules from the other services (faked by a real HTTP server) with the admin's own token."""
from __future__ import annotations

import re

import pytest
from werkzeug import Response

from shared.auth import Principal
from services.portal.domain.queries import ListAccounts, ListClients, ReadAccount
from tests.integration.portal.conftest import PASSWORD, csrf_of, enrolled, faked_services_env, form

ADMIN = Principal("qt-mai", ("admin",), "SO-TU-PHAP-56", ("56",))
NEW_ACCOUNT = {"username": "cb-thu", "full_name": "Phạm Thị Thu", "unit": "UBX-22366", "roles": ["caseworker"],
               "areas": "22366", "password": PASSWORD}
UNITS = [{"unit_code": "CA-56", "version": 1, "name": "Công an tỉnh", "kind": "police", "area_code": "56",
          "covers": []}]
RULE = {"id": "absconded_police", "version": 4, "event_type": "cases.case.absconded", "category": "absconded",
        "enabled": True, "urgent": True, "channels": ["in_app", "sms"], "unit_kinds": ["police"], "roles": []}
DRY_RUN = {"rule_id": "absconded_police", "rule_version": 4, "event_type": "cases.case.absconded", "applies": True,
           "reasons": [], "urgent": True, "ack_required": True,
           "recipients": [{"unit": "CA-22366", "channels": [{"channel": "sms", "addressees": None}]}],
           "escalation": [], "renderings": [], "ignored_fields": []}


@pytest.fixture
def portal_env(portal_env, services):
    return faked_services_env(portal_env, services)


@pytest.fixture
def admin(client, clock, make_account, services):
    services.expect_request("/api/v1/inbox/counts").respond_with_json({"unacknowledged": 0})
    make_account(username="qt-mai", roles=("admin",), full_name="Lê Thị Mai", unit="SO-TU-PHAP-56", areas=("56",))
    enrolled(client, clock, username="qt-mai")
    return client


def _post(client, path, data, page):
    return client.post(path, data={**data, "csrf_token": csrf_of(client.get(page))})


def _account_form(client, username):
    return _post(client, "/admin/account", {"username": username}, "/admin/accounts")


def _version(page) -> str:
    return re.search(r'name="version" value="(\d+)"', page.get_data(as_text=True)).group(1)


def _usernames(bus):
    return [account.username for account in bus.handle(ListAccounts(), ADMIN)]


def test_a_caseworker_is_refused_every_admin_page(client, clock, make_account, bus, services):
    services.expect_request("/api/v1/inbox/counts").respond_with_json({"unacknowledged": 0})
    make_account()
    enrolled(client, clock)
    for path in ("/admin/accounts", "/admin/clients", "/admin/units", "/admin/rules"):
        page = client.get(path)
        assert page.status_code == 403, (path, page.get_data(as_text=True))
        assert "Bạn không được phép" in page.get_data(as_text=True)
    created = _post(client, "/admin/accounts", NEW_ACCOUNT, "/")
    assert created.status_code == 403 and "cb-thu" not in _usernames(bus)
    assert all(not request.path.startswith(("/api/v1/units", "/api/v1/rules")) for request, _ in services.log)


def test_an_admin_creates_an_account_whose_sessions_end_when_disabled(admin, bus, portal, clock):
    page = admin.get("/admin/accounts")
    assert page.status_code == 200 and 'name="roles" value="caseworker"' in page.get_data(as_text=True)
    created = _post(admin, "/admin/accounts", NEW_ACCOUNT, "/admin/accounts")
    text = created.get_data(as_text=True)
    assert created.status_code == 200 and "Phạm Thị Thu" in text and 'id="sign-ins"' not in text
    assert bus.handle(ReadAccount("cb-thu"), ADMIN).roles == ("caseworker",)
    person = portal.test_client()
    enrolled(person, clock, username="cb-thu")
    assert person.get("/").status_code == 200

    shown = _account_form(admin, "cb-thu")
    assert 'id="sign-ins"' in shown.get_data(as_text=True)
    disabled = _post(admin, "/admin/account/status", {"username": "cb-thu", "status": "disabled",
                                                      "reason": "Chuyển công tác", "version": _version(shown)},
                     "/admin/accounts")
    assert disabled.status_code == 200, disabled.get_data(as_text=True)
    assert bus.handle(ReadAccount("cb-thu"), ADMIN).status == "disabled"
    assert person.get("/").headers["Location"].endswith("/login")

    enabled = _post(admin, "/admin/account/status", {"username": "cb-thu", "status": "active", "reason": "Trở lại",
                                                     "version": _version(disabled)}, "/admin/accounts")
    assert enabled.status_code == 200 and bus.handle(ReadAccount("cb-thu"), ADMIN).status == "active"
    reset = _post(admin, "/admin/account/second-factor", {"username": "cb-thu", "version": _version(enabled)},
                  "/admin/accounts")
    assert reset.status_code == 200 and bus.handle(ReadAccount("cb-thu"), ADMIN).second_factor == "required"
    new_password = "Ba Vì mây trắng 2027 nhé"
    changed = _post(admin, "/admin/account/password", {"username": "cb-thu", "version": _version(reset),
                                                       "password": new_password}, "/admin/accounts")
    assert changed.status_code == 200, changed.get_data(as_text=True)
    again = form(portal.test_client(), "/login", {"username": "cb-thu", "password": new_password})
    assert again.headers["Location"].endswith("/enrol")


def test_a_change_made_meanwhile_shows_the_fresh_page(admin, bus):
    _post(admin, "/admin/accounts", NEW_ACCOUNT, "/admin/accounts")
    stale = _version(_account_form(admin, "cb-thu"))
    _post(admin, "/admin/account/password", {"username": "cb-thu", "version": stale,
                                             "password": "Ba Vì mây trắng 2027 nhé"}, "/admin/accounts")
    late = _post(admin, "/admin/account/status", {"username": "cb-thu", "status": "disabled", "reason": "Nghỉ hưu",
                                                  "version": stale}, "/admin/accounts")
    text = late.get_data(as_text=True)
    assert late.status_code == 412 and "Người khác đã thay đổi" in text and f'name="version" value="{int(stale) + 1}"' in text
    assert bus.handle(ReadAccount("cb-thu"), ADMIN).status == "active"


@pytest.mark.parametrize("change, label", [({"username": "Cán Bộ"}, "Tên đăng nhập"),
                                           ({"roles": ["system"]}, "Vai trò"),
                                           ({"areas": "99999"}, "Địa bàn")])
def test_a_refused_field_is_named_in_vietnamese_with_what_was_typed_kept(admin, bus, change, label):
    refused = _post(admin, "/admin/accounts", {**NEW_ACCOUNT, **change}, "/admin/accounts")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422, text
    assert f"Chưa lưu: {label}" in text and 'value="Phạm Thị Thu"' in text and PASSWORD not in text
    assert "lower-case" not in text
    assert _usernames(bus) == ["qt-mai"]


def test_a_forged_form_is_refused_and_nothing_is_stored(admin, bus):
    forged = admin.post("/admin/accounts", data={**NEW_ACCOUNT, "csrf_token": "forged"})
    assert forged.status_code == 400 and _usernames(bus) == ["qt-mai"]


def test_a_service_clients_secret_is_shown_once(admin, bus):
    data = {"client_id": "he-thong-toa-an", "name": "Hệ thống Tòa án khu vực", "unit": "TAND-56",
            "roles": ["system"], "areas": "56"}
    created = _post(admin, "/admin/clients", data, "/admin/clients")
    secret = re.search(r'id="client-secret">([^<]+)<', created.get_data(as_text=True)).group(1)
    assert created.status_code == 201 and len(secret) > 30
    assert secret not in admin.get("/admin/clients").get_data(as_text=True)
    again = _post(admin, "/admin/clients", data, "/admin/clients")
    assert again.status_code == 409 and 'id="client-secret"' not in again.get_data(as_text=True)
    listed = admin.get("/admin/clients")
    disabled = _post(admin, "/admin/clients/status", {"client_id": "he-thong-toa-an", "status": "disabled",
                                                      "reason": "Ngừng kết nối", "version": _version(listed)},
                     "/admin/clients")
    assert disabled.status_code == 200 and [c.status for c in bus.handle(ListClients(), ADMIN)] == ["disabled"]


def test_the_unit_directory_is_read_with_the_admins_token(admin, services):
    services.expect_request("/api/v1/units").respond_with_json(UNITS)
    page = admin.get("/admin/units")
    assert page.status_code == 200 and "Công an tỉnh" in page.get_data(as_text=True)
    asked = [request for request, _ in services.log if request.path == "/api/v1/units"]
    assert asked and asked[0].headers["Authorization"].startswith("Bearer ")


def test_a_silent_plans_service_is_a_message(admin, services):
    services.expect_request("/api/v1/units").respond_with_response(Response("boom", status=502))
    page = admin.get("/admin/units")
    assert page.status_code == 503 and 'role="alert"' in page.get_data(as_text=True)


def test_the_rules_are_shown_with_their_version_and_a_dry_run_says_who_gets_what(admin, services):
    services.expect_request("/api/v1/rules").respond_with_json([RULE])
    services.expect_request("/api/v1/rules/dry-run", method="POST", json={
        "rule_id": "absconded_police", "event": {"type": "cases.case.absconded", "area_code": "22366",
                                                 "data": {"case_id": "c1"}}}).respond_with_json(DRY_RUN)
    page = admin.get("/admin/rules")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "absconded_police" in text and "phiên bản 4" in text
    ran = _post(admin, "/admin/rules/dry-run", {"rule_id": "absconded_police", "event_type": "cases.case.absconded",
                                               "area_code": "22366", "data": "case_id = c1\nnothing"}, "/admin/rules")
    result = ran.get_data(as_text=True)
    assert ran.status_code == 200, result
    assert 'id="recipients"' in result and "CA-22366" in result and "sms" in result

