"""An agency's feed through the notifications API in-process against the real FerretDB: the Atom feed of its open
alerts, each entry carrying a CAP 1.2 message valid against the OASIS schema, and each alert's CAP message alone,
opened by the agency's feed secret (minted by its own staff or an admin of its areas, replaced by the next one);
a missing or wrong secret answers 401 or 403 and shows nothing, and one agency's feed never shows another's."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import etree

from shared.envelope import Actor
from shared.repository import EventSourcedRepository
from services.notifications.adapters.channels.cap import ATOM_NS, CAP_NS, validate_cap
from services.notifications.adapters.directory import UnitDirectory
from services.notifications.adapters.documents import AlertSnapshot, alert_list_fields
from services.notifications.adapters.feed_tokens import FeedTokenRecord
from services.notifications.domain.model import Alert
from services.notifications.domain.seed import SEED_RULES
from services.notifications.entrypoints.app import create_app
from tests.problem import check_problem

HERE, THERE = "22366", "22333"
UNIT, OTHER_UNIT = f"CAX-{HERE}", f"CAX-{THERE}"
RULES = {rule.category: rule for rule in SEED_RULES}
START = datetime(2026, 8, 3, 8, 0, tzinfo=timezone.utc)
ATOM, CAP = "application/atom+xml", "application/cap+xml"


@pytest.fixture
def app(settings):
    app = create_app(settings("notifications"))
    UnitDirectory().keep(UNIT, "commune_police", [HERE], 1)
    UnitDirectory().keep(OTHER_UNIT, "commune_police", [THERE], 1)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def officer(auth):
    return auth(subject="ca-1", roles=["police_liaison"], unit=UNIT, areas=[HERE])


@pytest.fixture
def raise_alert():
    repository = EventSourcedRepository("notifications", Alert, AlertSnapshot, list_fields=alert_list_fields)
    count = iter(range(1, 1000))

    def raised(unit=UNIT, area=HERE, category="relapse_suspected", resolved=False) -> Alert:
        n, rule = next(count), RULES[category]
        alert = Alert.raise_for(uuid.uuid4().hex, unit, rule, rule.event_type,
                                {"case_id": f"c-{n}", "case_number": f"HS-2026-{n:04d}"}, area,
                                (f"Nghi tái nghiện {n}", f"Suspected relapse {n}"),
                                raised_at=START + timedelta(minutes=n))
        if resolved:
            alert.resolve("the case moved on", START + timedelta(hours=1))
        repository.save(alert, Actor.system("notifications"))
        return alert
    return raised


def minted(client, headers, unit=UNIT, **extra) -> dict:
    response = client.post(f"/api/v1/agencies/{unit}/feed-token", headers={**headers, **extra})
    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store", response.get_json()
    return {**response.get_json(), "etag": response.headers["ETag"]}


def feed(client, unit, token):
    return client.get(f"/api/v1/agencies/{unit}/alerts.atom", query_string={"token": token} if token else {})


def shows_nothing(response, status, *alerts):
    check_problem(response.status_code, response.content_type, response.data, status)
    text = response.get_data(as_text=True)
    assert not any(alert.id in text or alert.raised.title_vi in text for alert in alerts), text


def test_the_feed_carries_the_agencys_open_alerts_each_as_valid_cap(client, officer, raise_alert):
    first, second = raise_alert(), raise_alert(category="case_absconded")
    resolved, elsewhere = raise_alert(resolved=True), raise_alert(unit=OTHER_UNIT, area=THERE)
    subscription = minted(client, officer)
    assert subscription["etag"] == '"1"' and subscription["generation"] == 1
    assert parse_qs(urlsplit(subscription["url"]).query)["token"] == [subscription["token"]]

    answer = client.get(urlsplit(subscription["url"]).path + "?" + urlsplit(subscription["url"]).query)
    assert answer.status_code == 200 and answer.mimetype == ATOM, answer.get_data(as_text=True)
    assert answer.headers["Cache-Control"] == "no-store"
    root = etree.fromstring(answer.data)
    assert root.tag == f"{{{ATOM_NS}}}feed" and root.findtext(f"{{{ATOM_NS}}}updated")
    entries = root.findall(f"{{{ATOM_NS}}}entry")
    caps = [entry.find(f"{{{ATOM_NS}}}content/{{{CAP_NS}}}alert") for entry in entries]
    assert [cap.findtext(f"{{{CAP_NS}}}identifier") for cap in caps] == [second.id, first.id]
    for entry, cap in zip(entries, caps):
        assert entry.find(f"{{{ATOM_NS}}}content").get("type") == CAP
        validate_cap(etree.tostring(cap))
        assert cap.findtext(f"{{{CAP_NS}}}msgType") == "Alert"
        link = entry.find(f"{{{ATOM_NS}}}link").get("href")
        assert link.endswith(f"/api/v1/agencies/{UNIT}/alerts/{cap.findtext(f'{{{CAP_NS}}}identifier')}.cap")
        assert subscription["token"] not in link
    text = answer.get_data(as_text=True)
    assert resolved.id not in text and elsewhere.id not in text and elsewhere.raised.title_vi not in text

    one = client.get(f"/api/v1/agencies/{UNIT}/alerts/{first.id}.cap", query_string={"token": subscription["token"]})
    assert one.status_code == 200 and one.mimetype == CAP
    validate_cap(one.data)
    assert etree.fromstring(one.data).findtext(f"{{{CAP_NS}}}identifier") == first.id
    for alert in (resolved, elsewhere):
        shows_nothing(client.get(f"/api/v1/agencies/{UNIT}/alerts/{alert.id}.cap",
                                 query_string={"token": subscription["token"]}), 404, alert)


def test_a_missing_or_wrong_secret_opens_nothing(client, officer, auth, raise_alert):
    alert = raise_alert()
    other = auth(subject="ca-2", roles=["police_liaison"], unit=OTHER_UNIT, areas=[THERE])
    mine, theirs = minted(client, officer)["token"], minted(client, other, OTHER_UNIT)["token"]
    shows_nothing(feed(client, UNIT, None), 401, alert)
    for unit, token in ((UNIT, "not-the-secret"), (UNIT, theirs), ("NOWHERE", mine), ("NOWHERE", "x")):
        shows_nothing(feed(client, unit, token), 403, alert)
    shows_nothing(client.get(f"/api/v1/agencies/{UNIT}/alerts/{alert.id}.cap"), 401, alert)
    shows_nothing(client.get(f"/api/v1/agencies/{UNIT}/alerts/{alert.id}.cap", query_string={"token": theirs}),
                  403, alert)
    assert FeedTokenRecord.objects.count() == 2
    assert mine not in str(list(FeedTokenRecord._get_collection().find()))


def test_only_the_agencys_staff_and_admins_of_its_areas_mint_and_a_new_secret_ends_the_old(
        client, officer, auth, raise_alert):
    alert = raise_alert()
    outsider = auth(subject="ca-2", roles=["police_liaison"], unit=OTHER_UNIT, areas=[THERE])
    far_admin = auth(subject="admin-2", roles=["admin"], unit="UBND-T01", areas=["01"])
    for headers in (outsider, far_admin):
        denied = client.post(f"/api/v1/agencies/{UNIT}/feed-token", headers=headers)
        check_problem(denied.status_code, denied.content_type, denied.data, 403)
    assert FeedTokenRecord.objects.count() == 0

    first = minted(client, officer)["token"]
    stale = client.post(f"/api/v1/agencies/{UNIT}/feed-token", headers={**officer, "If-Match": '"0"'})
    assert check_problem(stale.status_code, stale.content_type, stale.data, 412)["current_version"] == 1
    admin = auth(subject="admin-1", roles=["admin"], unit="UBND-T56", areas=["56"])
    second = minted(client, admin, **{"If-Match": '"1"'})
    assert second["generation"] == 2 and second["etag"] == '"2"'
    shows_nothing(feed(client, UNIT, first), 403, alert)
    assert feed(client, UNIT, second["token"]).status_code == 200
