from __future__ import annotations

import itertools
import uuid
from datetime import date, timedelta

import pymongo
import pytest
import requests

from tests.support import System, wait_for

COMMUNE = "22366"
PROVINCE = "56"


@pytest.fixture(scope="module")
def system(ferretdb, broker):
    running = System(ferretdb.uri, broker, db_prefix=f"e2e{uuid.uuid4().hex[:6]}").start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def databases(system, ferretdb):
    client = pymongo.MongoClient(ferretdb.uri, serverSelectionTimeoutMS=3000)
    prefix = system.env["MONGODB_DB_PREFIX"]
    yield {s: client[f"{prefix}_{s}"] for s in ("plans", "cases", "notifications")}
    client.close()


class Api:
    def __init__(self, system, headers):
        self.system, self.headers = system, headers

    def __call__(self, method, service, path, **kwargs):
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.system.urls[service]}/api/v1{path}", headers=headers, timeout=15,
                                **kwargs)


@pytest.fixture(scope="module")
def as_user(system, auth):
    return lambda **claims: Api(system, auth(**claims))


@pytest.fixture(scope="module")
def coordinator(as_user):
    return as_user(subject="coordinator", roles=["plan_coordinator"], unit="UBND-T56", areas=[PROVINCE])


@pytest.fixture(scope="module")
def police(as_user):
    return as_user(subject="police-22366", roles=["police_liaison"], unit=f"CAX-{COMMUNE}", areas=[COMMUNE])


@pytest.fixture(scope="module")
def committee(as_user):
    return as_user(subject="ubx-22366", roles=["caseworker"], unit=f"UBX-{COMMUNE}", areas=[COMMUNE])


@pytest.fixture(scope="module")
def directory(system, coordinator, databases):
    """Units registered in plans and copied into notifications and cases by their consumers."""
    units = [(f"CAX-{COMMUNE}", "Công an phường Nha Trang", "commune_police", COMMUNE),
             (f"UBX-{COMMUNE}", "UBND phường Nha Trang", "commune_committee", COMMUNE),
             ("CAX-22333", "Công an phường Bắc Nha Trang", "commune_police", "22333"),
             ("CA-T56-PC04", "Phòng PC04", "provincial_police", PROVINCE)]
    for code, name, kind, area in units:
        response = coordinator("POST", "plans", "/units",
                               json={"unit_code": code, "name": name, "kind": kind, "area_code": area})
        assert response.status_code == 201, response.text
    for service in ("notifications", "cases"):
        wait_for(lambda: databases[service]["units"].count_documents({}) == len(units), 30,
                 message=f"the unit directory to reach {service}")
    return [u[0] for u in units]


@pytest.fixture(scope="module")
def yearly_plan(coordinator, directory):
    response = coordinator("POST", "plans", "/plans", json={
        "title": "Kế hoạch phòng, chống ma túy năm 2026", "kind": "yearly", "area_code": PROVINCE,
        "starts_on": "2026-01-01", "ends_on": "2026-12-31",
        "indicators": [{"code": "people_newly_managed", "target": 100}]})
    assert response.status_code == 201, response.text
    return response.json()["id"]


PEOPLE = itertools.count()


def open_case(api, commune=COMMUNE, opened_on="2026-08-01", **headers):
    """Each case for a new person: the same name with a different date of birth is not a duplicate."""
    birth_date = date(1975, 1, 1) + timedelta(days=next(PEOPLE))
    response = api("POST", "cases", "/cases", headers=headers, json={
        "person": {"full_name": "Lê Văn Hùng", "birth_date": birth_date.isoformat(), "sex": "male"},
        "commune_code": commune, "opened_on": opened_on})
    assert response.status_code == 201, response.text
    return response.json()


def inbox_for(api, subject_id):
    response = api("GET", "notifications", "/inbox", params={"page_size": 200})
    assert response.status_code == 200, response.text
    return [a for a in response.json() if a["subject_id"] == subject_id]


def newly_managed(api, plan_id):
    response = api("GET", "plans", f"/plans/{plan_id}")
    assert response.status_code == 200, response.text
    return next(i["actual"] for i in response.json()["indicators"] if i["code"] == "people_newly_managed")
