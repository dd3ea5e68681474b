"""Load Vietnamese demo data through the running services' APIs, then print where to look.

Idempotent: every POST carries a fixed Idempotency-Key, and units already registered answer 409.
"""
from __future__ import annotations

import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import requests
from faker import Faker
from rich.progress import track

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared import areas  # noqa: E402
from shared.auth import mint  # noqa: E402

PROVINCE = os.environ.get("DH_PROVINCE_CODE", "56")
URLS = {s: f"http://127.0.0.1:{os.environ.get(f'{s.upper()}_PORT', p)}" for s, p in
        (("plans", 8101), ("cases", 8102), ("notifications", 8103))}
KEY = str(ROOT / "var" / "keys" / "jwt-private.pem")


def token(subject, role, unit=None, area_list=(PROVINCE,)):
    return mint(KEY, subject=subject, roles=[role], unit=unit, areas=list(area_list), ttl_seconds=8 * 3600)


def wait_ready(timeout=90):
    deadline = time.time() + timeout
    for name, url in URLS.items():
        while True:
            try:
                if requests.get(f"{url}/readyz", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if time.time() > deadline:
                sys.exit(f"{name} at {url} is not ready; see var/log/system.log")
            time.sleep(0.5)


def post(service, path, body, bearer, key):
    response = requests.post(f"{URLS[service]}{path}", json=body, timeout=10,
                             headers={"Authorization": f"Bearer {bearer}", "Idempotency-Key": key})
    if response.status_code not in (200, 201, 409):
        sys.exit(f"POST {path} answered {response.status_code}: {response.text}")
    return response.json()


def main() -> None:
    wait_ready()
    communes = areas.communes_of(PROVINCE)[:6]
    coordinator = token("demo-coordinator", "plan_coordinator", "UBND-T56")
    units = [("UBND-T56", f"Ban Chỉ đạo phòng, chống ma túy {areas.name_of(PROVINCE)}", "provincial_committee",
              PROVINCE), ("CA-T56-PC04", "Phòng Cảnh sát điều tra tội phạm về ma túy (PC04)", "provincial_police",
                          PROVINCE)]
    for code, name in communes:
        units += [(f"CAX-{code}", f"Công an {name}", "commune_police", code),
                  (f"UBX-{code}", f"Ủy ban nhân dân {name}", "commune_committee", code)]
    for code, name, kind, area in track(units, description="Đơn vị / units"):
        post("plans", "/api/v1/units", {"unit_code": code, "name": name, "kind": kind, "area_code": area},
             coordinator, f"demo-unit-{code}")
    year = date.today().year
    month = post("plans", "/api/v1/plans", {
        "title": f"Kế hoạch Tháng hành động phòng, chống ma túy năm {year}", "kind": "action_month",
        "area_code": PROVINCE, "starts_on": f"{year}-06-01", "ends_on": f"{year}-06-30",
        "indicators": [{"code": "outreach_sessions", "target": 120}, {"code": "participants", "target": 15000},
                       {"code": "hotspots_eliminated", "target": 5}, {"code": "people_newly_managed", "target": 40}]},
        coordinator, f"demo-plan-month-{year}")
    yearly = post("plans", "/api/v1/plans", {
        "title": f"Kế hoạch phòng, chống ma túy năm {year}", "kind": "yearly", "area_code": PROVINCE,
        "starts_on": f"{year}-01-01", "ends_on": f"{year}-12-31",
        "indicators": [{"code": "people_newly_managed", "target": 300}, {"code": "job_placements", "target": 80}]},
        coordinator, f"demo-plan-year-{year}")
    tasks = [("Tổ chức tuyên truyền tại trường học và khu công nghiệp", "CA-T56-PC04", [f"UBX-{communes[0][0]}"]),
             ("Rà soát, triệt xóa điểm, tụ điểm phức tạp về ma túy", "CA-T56-PC04", [f"CAX-{communes[1][0]}"]),
             ("Vận động người nghiện đi cai nghiện", f"UBX-{communes[0][0]}", [f"CAX-{communes[0][0]}"])]
    for index, (title, lead, supporting) in enumerate(tasks):
        post("plans", f"/api/v1/plans/{month['id']}/tasks", {"title": title, "lead_unit": lead,
             "supporting_units": supporting, "due_on": f"{year}-06-30"}, coordinator, f"demo-task-{year}-{index}")
    fake = Faker("vi_VN")
    Faker.seed(56)
    rng = random.Random(56)
    for index in track(range(12), description="Hồ sơ / cases"):
        code, _ = communes[index % len(communes)]
        officer = token(f"demo-police-{code}", "police_liaison", f"CAX-{code}", [code])
        birth = date(rng.randint(1975, 2006), rng.randint(1, 12), rng.randint(1, 28))
        opened = date(year, 6, 1) + timedelta(days=rng.randint(0, 150))
        post("cases", "/api/v1/cases", {
            "person": {"full_name": fake.name(), "birth_date": birth.isoformat(), "sex": rng.choice(["male", "female"])},
            "commune_code": code, "opened_on": min(opened, date.today()).isoformat()},
            officer, f"demo-case-{index}")
    commune, commune_name = communes[0]
    print(f"\nĐồng Hành is running with demo data for {areas.name_of(PROVINCE)}")
    for name, url in URLS.items():
        print(f"  {name:<14} API {url}/api/v1   docs {url}/api/v1/docs   openapi {url}/api/v1/openapi.json")
    print(f"\nAction Month plan: {URLS['plans']}/api/v1/plans/{month['id']}")
    print(f"Yearly plan:       {URLS['plans']}/api/v1/plans/{yearly['id']}")
    print("\nTokens (8 h) — send as 'Authorization: Bearer <token>':")
    print(f"  plan coordinator:\n{coordinator}")
    print(f"  police liaison, {commune_name} (inbox of CAX-{commune}):\n"
                  f"{token('demo-police-' + commune, 'police_liaison', 'CAX-' + commune, [commune])}")
    print("\nMint others: .venv/bin/python -m shared.auth mint --sub NAME --role caseworker "
                  f"--unit UBX-{commune} --area {commune}")
    print("Stop everything: ./deploy/stop.sh")


if __name__ == "__main__":
    main()
