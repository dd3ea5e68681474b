"""A commune's working day under locust: the caseworker and the police liaison search cases, read them, record
visits, take the workflow steps their role may, open the odd new case and poll their inbox.

Run by `python -m bench.load`, which starts the system and writes the run's configuration (LOAD_CONFIG); every
request is recorded, one JSON line each, for the run's report and its check that no write was lost."""
from __future__ import annotations

import itertools
import json
import os
import random
import uuid
from datetime import timedelta
from pathlib import Path

from locust import HttpUser, between, events, task

from bench.load.report import WRITES
from bench.load.seed import COMMUNE, NAMES, PEOPLE_FROM

CONFIG = json.loads(Path(os.environ["LOAD_CONFIG"]).read_text())
RECORDS = open(CONFIG["log"], "a", buffering=1)
USERS = itertools.count()
PEOPLE = itertools.count(CONFIG["next_person"])
TODAY = CONFIG["today"]
DECISION = {"decision_number": "15/QĐ-UBND", "decision_date": TODAY, "issuing_authority": "UBND phường Nha Trang",
            "drugs_declared": ["heroin"], "document_ref": "hs-load", "reason": "Vi phạm theo biên bản",
            "term_months": 6}
TERM_MONTHS = {"record_court_order": 24}
"""A court's compulsory term for an adult is 24 to 36 months; a voluntary one 6 to 12."""


@events.request.add_listener
def record(request_type, name, response_time, response, context, exception, start_time=None, **_):
    status = getattr(response, "status_code", None) or 0
    entry = {"name": name, "start": start_time, "ms": response_time, "status": status}
    if name in WRITES and 200 <= status < 300:
        entry.update(context or {})
        entry["version"] = int(response.headers.get("ETag", '"0"').strip('"'))
        if name == "open case":
            entry["case"] = response.json()["id"]
    RECORDS.write(json.dumps(entry) + "\n")


class CommuneOfficer(HttpUser):
    """One person of the commune's case team, working a share of the commune's cases no one else touches (so a
    412 is a bug, not two people racing on one case)."""
    abstract = True
    wait_time = between(0.5, 2.5)
    role = ""
    steps: tuple[str, ...] = ()

    def on_start(self):
        self.client.headers["Authorization"] = f"Bearer {CONFIG['tokens'][self.role]}"
        shard = next(USERS) % CONFIG["users"]
        self.cases = list(CONFIG["case_ids"][shard::CONFIG["users"]]) or list(CONFIG["case_ids"][:1])

    @task(3)
    def search(self):
        if random.random() < 0.5:
            params = {"q": random.choice(NAMES), "page_size": 20}
        else:
            params = {"commune_code": COMMUNE, "stage": random.choice(("user_management", "community_rehab",
                                                                       "in_facility")), "page_size": 20}
        self.client.get("/api/v1/cases", params=params, name="search")

    @task(4)
    def read(self):
        self.client.get(f"/api/v1/cases/{random.choice(self.cases)}", name="case read")

    @task(3)
    def inbox(self):
        self.client.get(f"{CONFIG['notifications']}/api/v1/inbox", params={"page_size": 20}, name="inbox")

    @task(2)
    def visit(self):
        case_id = random.choice(self.cases)
        case = self.client.get(f"/api/v1/cases/{case_id}", name="case read")
        if case.status_code != 200:
            return
        self.client.post(f"/api/v1/cases/{case_id}/visits", name="visit", context={"case": case_id},
                         headers={"If-Match": case.headers["ETag"], "Idempotency-Key": uuid.uuid4().hex},
                         json={"visited_on": TODAY, "kind": random.choice(("home_visit", "office_check_in")),
                               "outcome": random.choice(("met", "met", "not_home"))})

    @task(1)
    def transition(self):
        case_id = random.choice(self.cases)
        allowed = self.client.get(f"/api/v1/cases/{case_id}/transitions", name="allowed steps")
        if allowed.status_code != 200:
            return
        open_steps = {s["name"]: s for s in allowed.json() if not s.get("reasons")}
        step = next((open_steps[name] for name in self.steps if name in open_steps), None)
        if step is None:
            return
        decision = {**DECISION, "term_months": TERM_MONTHS.get(step["name"], DECISION["term_months"])}
        self.client.post(f"/api/v1/cases/{case_id}/transitions", name="transition",
                         context={"case": case_id, "emits": step["emits"]},
                         headers={"If-Match": allowed.headers["ETag"]},
                         json={"transition": step["name"], "effective_on": TODAY, "decision": decision})


class Caseworker(CommuneOfficer):
    role = "caseworker"
    steps = ("register_community_rehab", "record_court_order", "abscond", "return_to_facility")

    @task(1)
    def open_case(self):
        number = next(PEOPLE)
        response = self.client.post("/api/v1/cases", name="open case", context={}, json={
            "person": {"full_name": random.choice(NAMES), "sex": "male",
                       "birth_date": (PEOPLE_FROM + timedelta(days=number)).isoformat()},
            "commune_code": COMMUNE, "opened_on": TODAY}, headers={"Idempotency-Key": uuid.uuid4().hex})
        if response.status_code == 201:
            self.cases.append(response.json()["id"])


class PoliceLiaison(CommuneOfficer):
    role = "police"
    steps = ("record_violation", "open_compulsory_dossier", "submit_dossier_to_court", "record_court_order",
             "abscond", "return_to_facility")
