"""Plans and notifications audit their personal and law-enforcement data as cases do, on their own chains:
hotspots (place, address, description) read, listed and changed; people's contact points (phones, e-mails) read
and changed; each change as an intent and its completion."""
from datetime import datetime

import pytest

from shared.audit import PROVINCE_TIME, AuditEntry
from shared.audit_verify import verify
from services.notifications.adapters.directory import UnitDirectory
from services.notifications.entrypoints.app import create_app as notifications_app
from services.plans.entrypoints.app import create_app as plans_app

COMMUNE = "22366"
HOTSPOT = {"place_name": "Bãi đất trống sau chợ Xóm Mới", "address": "Tổ 5, phường Nha Trang",
           "commune_code": COMMUNE, "kind": "cluster", "activity": "use_and_dealing", "level": "high",
           "found_on": "2026-06-02"}


@pytest.fixture
def police(auth):
    return auth(subject="police-1", roles=["police_liaison"], unit=f"CAX-{COMMUNE}", areas=[COMMUNE])


def audited(**query) -> list[tuple[str, str, str]]:
    return [(e.action, e.resource_type, e.outcome) for e in AuditEntry.objects(**query).order_by("id")]


def test_hotspots_are_audited_on_the_plans_chain(settings, police):
    client = plans_app(settings("plans")).test_client()
    hotspot = client.post("/api/v1/hotspots", headers=police, json=HOTSPOT).get_json()
    client.get(f"/api/v1/hotspots/{hotspot['id']}", headers=police)
    client.get("/api/v1/hotspots", headers=police)
    assert audited(resource_id=hotspot["id"]) == [
        ("identify", "hotspot", "intended"), ("identify", "hotspot", "allowed"), ("read", "hotspot", "allowed"),
        ("list", "hotspot", "allowed")]
    verdict = verify("plans", datetime.now(PROVINCE_TIME).date())
    assert verdict.ok and verdict.entries == 4, verdict.lines()


def test_contact_points_are_audited_on_the_notifications_chain(settings, police):
    client = notifications_app(settings("notifications")).test_client()
    UnitDirectory().keep(f"CAX-{COMMUNE}", "commune_police", [COMMUNE], 1)
    client.put("/api/v1/members/me", headers=police, json={})
    added = client.post("/api/v1/members/me/contact-points", headers=police,
                        json={"kind": "sms", "address": "0912 345 678"})
    assert added.status_code == 201, added.get_json()
    client.get("/api/v1/members/me/contact-points", headers=police)
    assert audited(resource_id="member:police-1") == [
        ("add_contact_point", "contact_point", "intended"), ("add_contact_point", "contact_point", "allowed"),
        ("read", "contact_point", "allowed")]
    stored = str(list(AuditEntry._get_collection().find()))
    assert "912345678" not in stored and "0912 345 678" not in stored, "the number, in either form"
    assert verify("notifications", datetime.now(PROVINCE_TIME).date()).ok
