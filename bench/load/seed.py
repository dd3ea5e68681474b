"""The commune the load runs in: its units in the directory, the province's yearly plan whose counters the run
checks, and a few hundred open cases, all through the APIs as the demo does."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pymongo
import requests

from shared.auth import mint
from tests.support import PRIVATE_KEY, wait_for

COMMUNE = "22366"
PROVINCE = "56"
UNITS = [(f"CAX-{COMMUNE}", "Công an phường Nha Trang", "commune_police", COMMUNE),
         (f"UBX-{COMMUNE}", "UBND phường Nha Trang", "commune_committee", COMMUNE),
         ("TAND-KV-NT", "Tòa án nhân dân khu vực Nha Trang", "court", COMMUNE),
         ("CA-T56-PC04", "Phòng PC04", "provincial_police", PROVINCE)]
NAMES = ("Nguyễn Văn Bình", "Trần Thị Hoa", "Lê Văn Hùng", "Phạm Minh Tuấn", "Hoàng Văn Nam", "Võ Thị Lan",
         "Đặng Quốc Huy", "Bùi Văn Tâm", "Đỗ Thành Long", "Huỳnh Văn Phúc")
INDICATORS = ("people_newly_managed", "compulsory_dossiers")
PEOPLE_FROM = date(1960, 1, 1)
"""Each person's birth date is PEOPLE_FROM plus their number, so no two are likely duplicates of each other."""

ROLES = {
    "coordinator": dict(subject="load-coordinator", roles=["plan_coordinator"], unit="UBND-T56", areas=[PROVINCE]),
    "caseworker": dict(subject="load-caseworker", roles=["caseworker"], unit=f"UBX-{COMMUNE}", areas=[COMMUNE]),
    "police": dict(subject="load-police", roles=["police_liaison"], unit=f"CAX-{COMMUNE}", areas=[COMMUNE]),
}


def tokens(ttl_seconds: int) -> dict[str, str]:
    """Development tokens for the run's people (the services run as development, bench/common.py)."""
    return {name: mint(PRIVATE_KEY, ttl_seconds=ttl_seconds, **claims) for name, claims in ROLES.items()}


def person(number: int) -> dict:
    return {"full_name": NAMES[number % len(NAMES)], "sex": "female" if number % 3 == 0 else "male",
            "birth_date": (PEOPLE_FROM + timedelta(days=number)).isoformat()}


def directory(urls: dict, token: str, mongodb_uri: str, prefix: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    for code, name, kind, area in UNITS:
        response = requests.post(f"{urls['plans']}/api/v1/units", headers=headers, timeout=30, json={
            "unit_code": code, "name": name, "kind": kind, "area_code": area})
        response.raise_for_status()
    client = pymongo.MongoClient(mongodb_uri)
    for service in ("notifications", "cases"):
        wait_for(lambda: client[f"{prefix}_{service}"]["units"].count_documents({}) == len(UNITS), 60, 0.2,
                 f"the unit directory to reach {service}")
    client.close()


def yearly_plan(urls: dict, token: str, year: int) -> str:
    response = requests.post(f"{urls['plans']}/api/v1/plans", headers={"Authorization": f"Bearer {token}"},
                             timeout=30, json={
                                 "title": f"Kế hoạch phòng, chống ma túy năm {year}", "kind": "yearly",
                                 "area_code": PROVINCE, "starts_on": f"{year}-01-01", "ends_on": f"{year}-12-31",
                                 "indicators": [{"code": code, "target": 1000} for code in INDICATORS]})
    response.raise_for_status()
    return response.json()["id"]


def indicators(urls: dict, token: str, plan_id: str) -> dict[str, int]:
    response = requests.get(f"{urls['plans']}/api/v1/plans/{plan_id}",
                            headers={"Authorization": f"Bearer {token}"}, timeout=30)
    response.raise_for_status()
    return {i["code"]: i["actual"] for i in response.json()["indicators"] if i["code"] in INDICATORS}


def cases(urls: dict, token: str, count: int, opened_on: date) -> list[str]:
    """`count` cases opened by the commune's caseworker, four at a time; answers their ids."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"

    def open_one(number: int) -> str:
        response = session.post(f"{urls['cases']}/api/v1/cases", timeout=60, json={
            "person": person(number), "commune_code": COMMUNE, "opened_on": opened_on.isoformat()})
        if response.status_code != 201:
            raise RuntimeError(f"seeding case {number}: {response.status_code} {response.text[:300]}")
        return response.json()["id"]

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(open_one, range(count)))
