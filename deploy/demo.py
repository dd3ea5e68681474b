"""Load Vietnamese demo data through the running services' APIs, then print where to look.

Idempotent: every POST carries a fixed Idempotency-Key, and units already registered answer 409.
"""
from __future__ import annotations

import os
import random
import sys
import time
import zlib
from datetime import date, timedelta
from pathlib import Path

import requests
from faker import Faker
from rich.progress import track

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deploy.demo_people import DemoPeople  # noqa: E402
from shared import areas  # noqa: E402

PROVINCE = os.environ.get("DH_PROVINCE_CODE", "56")
URLS = {s: f"http://127.0.0.1:{os.environ.get(f'{s.upper()}_PORT', p)}" for s, p in
        (("plans", 8101), ("cases", 8102), ("notifications", 8103))}
PORTAL = os.environ.get("PORTAL_PUBLIC_URL", "http://127.0.0.1:8104")
PEOPLE: DemoPeople | None = None
"""Made once the portal answers (main)."""


def token(username, role, unit=None, area_list=(PROVINCE,)):
    """The access token of the demo person `username` (a Vietnamese name of their own, the same every run)."""
    names = Faker("vi_VN")
    names.seed_instance(zlib.crc32(username.encode()))
    return PEOPLE.token(username.lower(), names.name(), role, unit, list(area_list))


def wait_ready(timeout=90):
    deadline = time.time() + timeout
    for name, url in {"portal": PORTAL, **URLS}.items():
        while True:
            try:
                if requests.get(f"{url}/readyz", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if time.time() > deadline:
                sys.exit(f"{name} at {url} is not ready; see var/log/{name}-api.log and ./deploy/status.sh")
            time.sleep(0.5)


def post(service, path, body, bearer, key, method="POST"):
    """A 409 means a re-run: the unit, referral or step is already there. None: an earlier edition of this script
    created the item with other data under the same Idempotency-Key; it is kept as it is."""
    response = requests.request(method, f"{URLS[service]}{path}", json=body, timeout=10,
                                headers={"Authorization": f"Bearer {bearer}", "Idempotency-Key": key})
    if response.status_code == 422 and "Idempotency-Key" in response.json().get("errors", {}):
        print(f"kept from an earlier demo run: {path} ({key})", file=sys.stderr)
        return None
    if response.status_code not in (200, 201, 409):
        sys.exit(f"{method} {path} answered {response.status_code}: {response.text}")
    return response.json()


def care_for(case: dict, index: int, clinic: str, doctor: str) -> None:
    """Follow-up and support for a demo case; the first one is also referred to the clinic for methadone."""
    code, opened_on = case["commune_code"], date.fromisoformat(case["opened_on"])
    day = opened_on.isoformat()
    worker = token(f"demo-caseworker-{code}", "caseworker", f"UBX-{code}", [code])
    path = f"/api/v1/cases/{case['id']}"
    post("cases", f"{path}/follow-up", {"every_days": 30, "first_on": (opened_on + timedelta(days=30)).isoformat()},
         worker, "-", method="PUT")
    post("cases", f"{path}/support", {"kind": "vocational_training", "provided_on": day,
                                      "details": "Khóa đào tạo nghề sửa chữa xe máy, 3 tháng"}, worker,
         f"demo-training-{index}")
    post("cases", f"{path}/support", {"kind": "loan", "provided_on": day, "amount_vnd": 20_000_000,
                                      "funding_source": "social_policy_bank"}, worker, f"demo-loan-{index}")
    if index:
        return
    share_id, status = _clinic_share(path, worker, clinic)
    if share_id is None:
        referral = {"to_unit": clinic, "reason": "Đăng ký điều trị methadone", "consent": {
            "sections": ["clinical"], "purpose": "treatment",
            "reference": f"PĐY-{index + 1:04d}/{opened_on.year}", "valid_from": day}}
        deadline = time.time() + 30
        while (answer := send("cases", f"{path}/referrals", worker, "POST", referral)).status_code == 422 \
                and "to_unit" in answer.json().get("errors", {}) and time.time() < deadline:
            time.sleep(0.5)  # the cases worker has not copied the clinic from the plans directory yet
        if answer.status_code not in (201, 409):
            sys.exit(f"POST {path}/referrals answered {answer.status_code}: {answer.text}")
        share_id, status = _clinic_share(path, worker, clinic)
    if status != "accepted":
        decision = {"decision": "accepted", "reason": "Tiếp nhận điều trị"}
        post("cases", f"{path}/shares/{share_id}/decision", decision, doctor, "-", method="PUT")
    post("cases", f"{path}/transitions", {"transition": "admit_to_methadone", "effective_on": day, "decision": {
        "decision_number": "12/QĐ-TTYT", "decision_date": day, "issuing_authority": "Trung tâm Y tế"}}, doctor,
        "demo-admission")
    post("cases", f"{path}/methadone/doses", {"given_on": day, "dose_mg": 30}, doctor, "demo-dose")


def _clinic_share(path: str, worker: str, clinic: str) -> tuple[str | None, str | None]:
    """The case's share with the clinic and its status, if it was referred there: on a re-run on a kept database
    it was, and a new referral to a clinic that treats the person is refused (its Idempotency-Key does not help)."""
    case = send("cases", path, worker)
    if case.status_code != 200:
        sys.exit(f"GET {path} answered {case.status_code}: {case.text}")
    return next(((share_id, share["status"]) for share_id, share in case.json().get("shares", {}).items()
                 if share["to_unit"] == clinic), (None, None))


def send(service, path, bearer, method="GET", body=None, headers=None):
    return requests.request(method, f"{URLS[service]}{path}", json=body, timeout=10,
                            headers={"Authorization": f"Bearer {bearer}", **(headers or {})})


def action_month(year: int, coordinator: str, communes: list) -> dict | None:
    """The Action Month plan as a standing office runs it: drafted with its tasks, shares and tags, issued under
    its number, reported on by the communes (approved by the lead unit), with crackdown figures, hotspots and a
    budget. Set up once: a plan already issued is left as it is."""
    plan = post("plans", "/api/v1/plans", {
        "title": f"Kế hoạch Tháng hành động phòng, chống ma túy năm {year}", "kind": "action_month",
        "area_code": PROVINCE, "starts_on": f"{year}-06-01", "ends_on": f"{year}-06-30",
        "summary_report_due_on": f"{year}-07-02", "theme": "Phòng, chống ma túy vì sức khỏe cộng đồng",
        "slogan": "Hãy tránh xa ma túy", "goals": "Nâng cao nhận thức của toàn dân; kiềm chế gia tăng người nghiện.",
        "indicators": [{"code": "outreach_sessions", "target": 120}, {"code": "participants", "target": 15000},
                       {"code": "hotspots_eliminated", "target": 5}, {"code": "people_newly_managed", "target": 40},
                       {"code": "drug_cases", "target": 30}]},
        coordinator, f"demo-plan-month-{year}")
    if plan is None or send("plans", f"/api/v1/plans/{plan['id']}", coordinator).json()["status"] != "draft":
        return plan
    first, second = communes[0][0], communes[1][0]
    outreach = post("plans", f"/api/v1/plans/{plan['id']}/tasks", {
        "title": "Tuyên truyền phòng, chống ma túy tại trường học, khu dân cư và khu công nghiệp",
        "lead_unit": "UBND-T56", "supporting_units": ["CA-T56-PC04"], "due_on": f"{year}-06-28",
        "areas": [first, second], "place_types": ["school", "residential_area", "industrial_zone"],
        "tags": ["cultural_life_movement", "drug_free_communes"],
        "indicators": [{"code": "outreach_sessions", "target": 40}, {"code": "participants", "target": 6000}]},
        coordinator, f"demo-task-outreach-{year}")
    crackdown = post("plans", f"/api/v1/plans/{plan['id']}/tasks", {
        "title": "Cao điểm tấn công, trấn áp tội phạm ma túy; triệt xóa điểm, tụ điểm phức tạp",
        "lead_unit": "CA-T56-PC04", "supporting_units": [f"CAX-{first}"], "due_on": f"{year}-06-30",
        "tags": ["national_security_movement"], "indicators": [{"code": "drug_cases", "target": 30}]},
        coordinator, f"demo-task-crackdown-{year}")
    for task, shares in ((outreach, {f"UBX-{first}": {"outreach_sessions": 20, "participants": 3000},
                                     f"UBX-{second}": {"outreach_sessions": 15, "participants": 2500}}),
                         (crackdown, {f"CAX-{first}": {"drug_cases": 10}, f"CAX-{second}": {"drug_cases": 8}})):
        for unit, share in shares.items():
            etag = send("plans", f"/api/v1/tasks/{task['id']}", coordinator).headers["ETag"]
            send("plans", f"/api/v1/tasks/{task['id']}/assignments/{unit}", coordinator, "PUT",
                 {"shares": share}, {"If-Match": etag})
    etag = send("plans", f"/api/v1/plans/{plan['id']}", coordinator).headers["ETag"]
    issued = send("plans", f"/api/v1/plans/{plan['id']}/issue", coordinator, "POST", {
        "issuing_authority": f"Ủy ban nhân dân {areas.name_of(PROVINCE)}", "document_number": "2057/KH-UBND",
        "document_date": f"{year}-05-20", "signer": "Phó Chủ tịch UBND tỉnh"}, {"If-Match": etag})
    if issued.status_code != 200:
        sys.exit(f"issuing the demo plan answered {issued.status_code}: {issued.text}")
    report_on(outreach, f"UBX-{first}", first, coordinator, {"outreach_sessions": 6, "participants": 900})
    report_on(crackdown, f"CAX-{first}", first, coordinator, None,
              {"offences": [{"offence": "trafficking", "cases": 3, "suspects": 5},
                            {"offence": "organising_use", "cases": 1, "suspects": 4}],
               "seizures": [{"drug": "heroin", "quantity": 12.5}, {"drug": "synthetic", "quantity": 40},
                            {"drug": "pills", "quantity": 120}]})
    hotspots_of(first, crackdown["id"], year)
    for source, purpose, planned, spent in (("local_budget", "In tờ rơi, pano tuyên truyền", 80_000_000, 62_500_000),
                                            ("socialisation", "Hỗ trợ người sau cai nghiện", 50_000_000, 0)):
        line = post("plans", f"/api/v1/plans/{plan['id']}/budget-lines",
                    {"source": source, "purpose": purpose, "planned_vnd": planned}, coordinator,
                    f"demo-budget-{source}-{year}")
        if line and spent:
            post("plans", f"/api/v1/budget-lines/{line['id']}/spending", {
                "amount_vnd": spent, "spent_on": f"{year}-06-15", "document_ref": "15/HĐ-UBND"}, coordinator,
                f"demo-spending-{source}-{year}")
    return plan


def report_on(task: dict, unit: str, commune: str, coordinator: str, values: dict | None,
              crackdown: dict | None = None) -> None:
    """The unit reports the first week, submits, and the standing office approves."""
    reporter = token(f"demo-reporter-{unit}", "unit_reporter", unit, [commune])
    path = f"/api/v1/tasks/{task['id']}/assignments/{unit}/reports/W1"
    body = {"values": values or {}, "narrative": "Đã triển khai theo kế hoạch.",
            **({"crackdown": crackdown} if crackdown else {})}
    saved = send("plans", path, reporter, "PUT", body)
    if saved.status_code not in (200, 201):
        sys.exit(f"PUT {path} answered {saved.status_code}: {saved.text}")
    submitted = send("plans", f"{path}/submit", reporter, "POST", {}, {"If-Match": saved.headers["ETag"]})
    send("plans", f"{path}/approve", coordinator, "POST", {"comments": "Đồng ý"},
         {"If-Match": submitted.headers.get("ETag", "*")})


KHANH_HOA_HOTSPOTS = (
    ("22333", "Quán cà phê đầu hẻm 12", "point", "medium", (12.2732, 109.1949), ["crackdown", "eliminated"]),
    ("22333", "Khu nhà trọ ven sông Cái", "cluster", "medium", (12.2668, 109.1863), ["under_surveillance"]),
    ("22366", "Quán karaoke gần chợ Đầm", "point", "high", (12.2530, 109.1905), []),
    ("22390", "Bãi đất trống ven đường Vĩnh Ngọc", "point", "low", (12.2552, 109.1502),
     ["under_surveillance", "eliminated", "re_emerged"]),
    ("22402", "Dãy phòng trọ khu Phước Long", "cluster", "high", (12.2080, 109.2010), ["crackdown"]),
    ("22408", "Khu lán trại ven đầm Thủy Triều", "cluster", "low", None, ["under_surveillance"]),
    ("22420", "Nhà hoang cuối xóm", "point", "medium", None, []))
"""The demo's hotspots in Khánh Hòa (56), each where it could be in its commune (a place without coordinates
is only in the portal's list); in another province only the first two, at its first commune, without coordinates.
"""


def hotspots_of(commune: str, task_id: str, year: int) -> None:
    spots = KHANH_HOA_HOTSPOTS if PROVINCE == "56" else tuple(
        (commune, name, kind, level, None, steps) for _code, name, kind, level, _place, steps in KHANH_HOA_HOTSPOTS[:2])
    for index, (code, name, kind, level, place, steps) in enumerate(spots):
        police = token(f"demo-police-{code}", "police_liaison", f"CAX-{code}", [code])
        hotspot = post("plans", "/api/v1/hotspots", {
            "place_name": name, "commune_code": code, "kind": kind, "activity": "use_and_dealing",
            "level": level, "found_on": f"{year}-05-{10 + index:02d}", "task_ids": [task_id] if code == commune else [],
            **({"coordinates": {"latitude": place[0], "longitude": place[1]}} if place else {})}, police,
            f"demo-hotspot-{year}-{index}")
        for day, step in enumerate(steps if hotspot else []):
            etag = send("plans", f"/api/v1/hotspots/{hotspot['id']}", police).headers["ETag"]
            send("plans", f"/api/v1/hotspots/{hotspot['id']}/transitions", police, "POST", {
                "to": step, "effective_on": f"{year}-06-{10 + day:02d}", "note": "Theo kế hoạch cao điểm"},
                {"If-Match": etag})


def outbox_code(address: str, since: float, timeout: float = 60) -> str | None:
    """The one-time code the notifications service e-mailed to `address` (deploy/local_outbox.py keeps the mail)."""
    import email
    import email.policy
    import re
    mail = ROOT / "var" / "outbox" / "mail"
    deadline = time.time() + timeout
    while time.time() < deadline:
        for path in sorted(mail.glob("*.eml"), reverse=True) if mail.exists() else []:
            if path.stat().st_mtime < since:
                break
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if message["To"] == address:
                body = message.get_body(("plain",)).get_content()
                found = re.search(r"\b(\d{6})\b", body)
                if found:
                    return found.group(1)
        time.sleep(0.5)
    return None


def notification_contacts(commune: str) -> str:
    """The commune police officer's member record and verified e-mail, so urgent alerts reach a mailbox."""
    officer = token(f"demo-police-{commune}", "police_liaison", f"CAX-{commune}", [commune])
    address = f"canbo.ca.{commune}@demo.donghanh.vn"
    url, headers = URLS["notifications"] + "/api/v1", {"Authorization": f"Bearer {officer}"}
    if requests.get(f"{url}/members/me", headers=headers, timeout=10).status_code == 404:
        requests.put(f"{url}/members/me", json={"language": "vi", "quiet_hours": {"start": "22:00", "end": "06:00"}},
                     headers=headers, timeout=10)
    points = requests.get(f"{url}/members/me/contact-points", headers=headers, timeout=10).json()
    if any(p["verified"] for p in points):
        return address
    for point in points:
        requests.delete(f"{url}/members/me/contact-points/{point['id']}", headers=headers, timeout=10)
    since = time.time() - 1
    point = post("notifications", "/api/v1/members/me/contact-points", {"kind": "email", "address": address},
                 officer, f"demo-contact-{commune}-{int(since)}")
    code = outbox_code(address, since) if point else None
    verified = code and requests.post(
        f"{url}/members/me/contact-points/{point['id']}/verification", json={"code": code},
        headers={**headers, "If-Match": f'"{point["version"]}"'}, timeout=10).ok
    return address if verified else None


def main() -> None:
    global PEOPLE
    wait_ready()
    PEOPLE = DemoPeople(PORTAL, ROOT / "var" / "secrets" / "demo-accounts.json")
    communes = areas.communes_of(PROVINCE)[:6]
    coordinator = token("demo-coordinator", "plan_coordinator", "UBND-T56")
    units = [("UBND-T56", f"Ban Chỉ đạo phòng, chống ma túy {areas.name_of(PROVINCE)}", "provincial_committee",
              PROVINCE), ("CA-T56-PC04", "Phòng Cảnh sát điều tra tội phạm về ma túy (PC04)", "provincial_police",
                          PROVINCE),
             ("PKMT-T56", "Cơ sở điều trị nghiện chất dạng thuốc phiện bằng thuốc thay thế tỉnh", "health_facility",
              PROVINCE), ("TAND-KV1-T56", "Tòa án nhân dân khu vực 1", "court", PROVINCE),
             ("TTR-T56", "Thanh tra tỉnh", "inspectorate", PROVINCE)]
    for code, name in communes:
        units += [(f"CAX-{code}", f"Công an {name}", "commune_police", code),
                  (f"UBX-{code}", f"Ủy ban nhân dân {name}", "commune_committee", code)]
    for code, name, kind, area in track(units, description="Đơn vị / units"):
        post("plans", "/api/v1/units", {"unit_code": code, "name": name, "kind": kind, "area_code": area},
             coordinator, f"demo-unit-{code}")
    year = date.today().year
    month = action_month(year, coordinator, communes)
    yearly = post("plans", "/api/v1/plans", {
        "title": f"Kế hoạch phòng, chống ma túy năm {year}", "kind": "yearly", "area_code": PROVINCE,
        "starts_on": f"{year}-01-01", "ends_on": f"{year}-12-31",
        "indicators": [{"code": "people_newly_managed", "target": 300}, {"code": "job_placements", "target": 80},
                       {"code": "vocational_training", "target": 60}, {"code": "methadone_patients", "target": 50},
                       {"code": "resources_mobilised_vnd", "target": 500_000_000}]},
        coordinator, f"demo-plan-year-{year}")
    fake = Faker("vi_VN")
    Faker.seed(56)
    rng = random.Random(56)
    for index in track(range(12), description="Hồ sơ / cases"):
        code, _ = communes[index % len(communes)]
        officer = token(f"demo-police-{code}", "police_liaison", f"CAX-{code}", [code])
        birth = date(rng.randint(1975, 2006), rng.randint(1, 12), rng.randint(1, 28))
        opened = date(year, 6, 1) + timedelta(days=rng.randint(0, 150))
        case = post("cases", "/api/v1/cases", {
            "person": {"full_name": fake.name(), "birth_date": birth.isoformat(), "sex": rng.choice(["male", "female"])},
            "commune_code": code, "opened_on": min(opened, date.today()).isoformat()},
            officer, f"demo-case-{index}")
        if case and "id" in case and index < 3:  # a 409 (the person's case from an earlier run) is left alone
            care_for(case, index, "PKMT-T56", token("demo-doctor", "health_worker", "PKMT-T56", [PROVINCE]))
    commune, commune_name = communes[0]
    mailbox = notification_contacts(commune)
    print(f"\nĐồng Hành is running with demo data for {areas.name_of(PROVINCE)}")
    for name, url in URLS.items():
        print(f"  {name:<14} API {url}/api/v1   docs {url}/api/v1/docs   openapi {url}/api/v1/openapi.json")
    for title, plan in (("Action Month plan:", month), ("Yearly plan:      ", yearly)):
        if plan:
            print(f"{title} {URLS['plans']}/api/v1/plans/{plan['id']}")
    client = PEOPLE.agency_client("demo-agency", "Hệ thống thử nghiệm của Ban Chỉ đạo", "plan_coordinator",
                                  "UBND-T56", [PROVINCE])
    print(f"\nPortal (sign in): {PORTAL}/login   (demo accounts below; police liaison of {commune_name}: "
          f"demo-police-{commune}, the inbox of CAX-{commune})")
    print(f"{'account':<26} {'password':<27} {'authenticator secret (TOTP)':<34} role, unit")
    for account in PEOPLE.accounts.values():
        print(f"{account.username:<26} {account.password:<27} {account.totp_secret or '(none needed)':<34} "
              f"{account.role}, {account.unit}")
    print("Add a secret to an authenticator app, or: .venv/bin/python -c \"import pyotp; "
          "print(pyotp.TOTP('SECRET').now())\"")
    if client["client_secret"]:
        print(f"\nAPI token for an agency system (5 min; 'Authorization: Bearer <access_token>'):\n"
              f"  curl -s -u {client['client_id']}:{client['client_secret']} -d grant_type=client_credentials "
              f"{PORTAL}/oauth/token")
    print("\nE-mails and SMS the notifications service sends land in var/outbox/ (mail/*.eml, sms/*.json)"
          + (f"; {mailbox} is the verified address of the police liaison above." if mailbox
             else "; the police liaison's e-mail could not be verified (see var/log/notifications-worker.log)."))
    print("More accounts: .venv/bin/python -m services.portal.entrypoints.cli create-account --help")
    print("Processes: ./deploy/status.sh (supervisord restarts any that crashes)")
    print("Stop everything: ./deploy/stop.sh")


if __name__ == "__main__":
    main()
