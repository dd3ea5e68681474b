"""Routing rules and templates through the notifications API in-process against the real FerretDB: the seed is
there after start, saves are versioned with If-Match, two saves of the same version cannot both win, each bad
input is a 422 naming its field with nothing stored, and a dry run or preview shows what would be sent."""
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from threading import Barrier

import pytest

from services.notifications.adapters.directory import UnitDirectory
from services.notifications.adapters.rules import CurrentRule, MongoRuleStore, RuleVersion, TemplateVersion
from services.notifications.domain.rule_data import rule_to_data
from services.notifications.domain.seed import SEED_RULES
from services.notifications.entrypoints.app import create_app

COMMUNE = "22366"
RELAPSE = {"type": "cases.case.relapse_suspected", "area_code": COMMUNE,
           "data": {"case_id": "c-1", "case_number": "HS-2026-0042", "commune_code": COMMUNE, "stage": "aftercare",
                    "tested_on": "2026-06-03"}}
NIGHT_RULE = {"id": "relapse_night_sms", "event_type": "cases.case.relapse_suspected", "category": "relapse_suspected",
              "subject_type": "case", "subject_field": "case_id", "template": "relapse_suspected",
              "unit_kinds": ["commune_police"], "channels": ["in_app", "sms"], "urgent": True,
              "conditions": [{"field": "stage", "op": "in", "value": ["aftercare", "ost"]}]}
SMS_TEMPLATE = {"id": "relapse_short", "variants": [
    {"channel": "sms", "language": "vi", "text": "Nghi tái nghiện: hồ sơ {{ case_number }} tại {{ area_name }}."},
    {"channel": "sms", "language": "en", "text": "Suspected relapse: case {{ case_number }} in {{ area_name }}."}]}


@pytest.fixture
def client(settings):
    app = create_app(settings("notifications"))
    directory = UnitDirectory()
    directory.keep(f"CAX-{COMMUNE}", "commune_police", [COMMUNE], 1)
    directory.keep(f"UBX-{COMMUNE}", "commune_committee", [COMMUNE], 1)
    directory.keep("CAX-22333", "commune_police", ["22333"], 1)
    directory.keep("UBND-T56", "provincial_committee", ["56"], 1)
    return app.test_client()


@pytest.fixture
def admin(auth):
    return auth(subject="admin-1", roles=["admin"], unit="UBND-T56", areas=["56"])


@pytest.fixture
def auditor(auth):
    return auth(subject="auditor-1", roles=["auditor"], unit="TTR-56", areas=["56"])


def stored_versions(rule_id):
    return RuleVersion.objects(item_id=rule_id).count()


def put(client, headers, path, body, version):
    return client.put(path, headers={**headers, "If-Match": f'"{version}"'}, json=body)


def without_id(body):
    return {key: value for key, value in body.items() if key != "id"}


def test_the_seed_rules_and_templates_are_there_after_start_and_starting_again_adds_nothing(client, settings,
                                                                                            auditor):
    listed = client.get("/api/v1/rules?page_size=100", headers=auditor)
    assert listed.status_code == 200, listed.get_json()
    assert {rule["id"] for rule in listed.get_json()} == {rule.id for rule in SEED_RULES}
    relapse = client.get("/api/v1/rules/relapse_suspected", headers=auditor)
    assert relapse.headers["ETag"] == '"1"' and relapse.get_json()["escalation"]["repeat"] == 2
    templates = client.get("/api/v1/templates?page_size=100", headers=auditor).get_json()
    assert {t["id"] for t in templates} >= {rule.template for rule in SEED_RULES}
    create_app(settings("notifications"))
    assert RuleVersion.objects.count() == len(SEED_RULES) and CurrentRule.objects.count() == len(SEED_RULES)
    assert TemplateVersion.objects.count() == len(templates)
    by_type = client.get("/api/v1/rules?event_type=cases.case.absconded", headers=auditor).get_json()
    assert [rule["id"] for rule in by_type] == ["case_absconded"]


def test_several_processes_seeding_at_once_store_each_seed_rule_once(client):
    RuleVersion.objects.delete()
    CurrentRule.objects.delete()
    barrier = Barrier(4)

    def seed(_):
        barrier.wait()
        MongoRuleStore().seed()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(seed, range(4)))
    assert RuleVersion.objects.count() == len(SEED_RULES) and CurrentRule.objects.count() == len(SEED_RULES)
    assert {rule.id for rule in MongoRuleStore().active_for("cases.case.opened")} == {"case_opened"}


def test_the_routing_pipeline_reads_the_current_rules_of_an_event_type_and_mends_a_lagging_pointer(client):
    store = MongoRuleStore(cache_seconds=0)
    assert [rule.id for rule in store.active_for("cases.case.relapse_suspected")] == ["relapse_suspected"]
    assert {rule.id for rule in store.resolving("cases.case.closed")} == {"relapse_suspected", "case_absconded"}
    assert store.active_for("cases.case.person_updated") == []
    disabled = store.get("relapse_suspected").next_version(enabled=False)
    RuleVersion(key="relapse_suspected:2", item_id="relapse_suspected", version=2, data=rule_to_data(disabled),
                saved_at=datetime.now(timezone.utc), saved_by="a save whose pointer was lost").save(force_insert=True)
    assert store.active_for("cases.case.relapse_suspected") == []
    assert [rule.version for rule in store.resolving("cases.case.closed") if rule.id == "relapse_suspected"] == [2]
    assert CurrentRule.objects(item_id="relapse_suspected").first().version == 2
    assert store.get("relapse_suspected", 1).enabled and store.get("relapse_suspected").version == 2


def test_routing_answers_are_kept_for_the_cache_time_and_a_save_in_the_same_process_clears_them(client):
    cached, other_process = MongoRuleStore(cache_seconds=60), MongoRuleStore(cache_seconds=60)
    assert len(cached.active_for("cases.case.absconded")) == 1
    assert len(other_process.active_for("cases.case.absconded")) == 1
    rule = cached.get("case_absconded").next_version(enabled=False)
    cached.save(rule, "admin-1", datetime.now(timezone.utc))
    assert cached.active_for("cases.case.absconded") == []
    assert len(other_process.active_for("cases.case.absconded")) == 1


def test_a_rule_is_created_changed_with_if_match_and_keeps_every_version(client, admin, auditor, auth):
    created = client.post("/api/v1/rules", headers=admin, json=NIGHT_RULE)
    assert created.status_code == 201, created.get_json()
    assert created.headers["ETag"] == '"1"' and created.headers["Location"].endswith("/rules/relapse_night_sms")
    assert created.get_json()["saved_by"] == "admin-1"
    again = client.post("/api/v1/rules", headers=admin, json=NIGHT_RULE)
    assert again.status_code == 409 and again.mimetype == "application/problem+json"

    changed = put(client, admin, "/api/v1/rules/relapse_night_sms", {**without_id(NIGHT_RULE), "enabled": False}, 1)
    assert changed.status_code == 200 and changed.headers["ETag"] == '"2"', changed.get_json()
    stale = put(client, admin, "/api/v1/rules/relapse_night_sms", without_id(NIGHT_RULE), 1)
    assert stale.status_code == 412 and stale.get_json()["current_version"] == 2
    unnamed = client.put("/api/v1/rules/relapse_night_sms", headers=admin, json=without_id(NIGHT_RULE))
    assert unnamed.status_code == 428 and "If-Match" in unnamed.get_json()["errors"]
    assert stored_versions("relapse_night_sms") == 2

    current = client.get("/api/v1/rules/relapse_night_sms", headers=auditor)
    assert current.headers["ETag"] == '"2"' and current.get_json()["enabled"] is False
    versions = client.get("/api/v1/rules/relapse_night_sms/versions", headers=auditor).get_json()
    assert [(v["version"], v["enabled"]) for v in versions] == [(1, True), (2, False)]
    first = client.get("/api/v1/rules/relapse_night_sms/versions/1", headers=auditor)
    assert first.status_code == 200 and first.get_json()["enabled"] is True
    assert client.get("/api/v1/rules/relapse_night_sms/versions/3", headers=auditor).status_code == 404
    coordinator = auth(subject="pc", roles=["plan_coordinator"], unit="UBND-T56", areas=["56"])
    assert client.get("/api/v1/rules", headers=coordinator).status_code == 200


def test_two_admins_saving_the_same_version_at_once_cannot_both_win(client, admin):
    body = without_id(NIGHT_RULE)
    assert client.post("/api/v1/rules", headers=admin, json=NIGHT_RULE).status_code == 201
    for version in (1, 2, 3):
        barrier = Barrier(4)

        def save(n):
            barrier.wait()
            return put(client, admin, "/api/v1/rules/relapse_night_sms",
                       {**body, "description": f"admin {n}"}, version).status_code

        with ThreadPoolExecutor(4) as pool:
            statuses = sorted(pool.map(save, range(4)))
        assert statuses == [200, 412, 412, 412], statuses
    assert stored_versions("relapse_night_sms") == 4


@pytest.mark.parametrize("changes, field", [
    ({"event_type": "cases.case.teleported"}, "event_type"),
    ({"conditions": [{"field": "person_name", "op": "eq", "value": "x"}]}, "conditions.0.field"),
    ({"conditions": [{"field": "stage", "op": "in", "value": "aftercare"}]}, "conditions.0.value"),
    ({"template": "no_such_template"}, "template"),
    ({"unit_kinds": [], "unit_fields": []}, "unit_kinds"),
    ({"subject_field": "person_code"}, "subject_field"),
    ({"endpoints": ["clinic-hook"], "channels": ["in_app", "webhook"]}, "endpoints"),
    ({"colour": "red"}, "colour"),
])
def test_a_rule_naming_what_does_not_exist_is_refused_naming_the_field_and_nothing_is_stored(
        client, admin, changes, field):
    refused = client.post("/api/v1/rules", headers=admin, json={**NIGHT_RULE, **changes})
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json", refused.get_json()
    assert field in refused.get_json()["errors"], refused.get_json()
    assert stored_versions("relapse_night_sms") == 0
    assert client.get("/api/v1/rules/relapse_night_sms", headers=admin).status_code == 404


def test_a_rule_whose_template_names_a_field_its_event_lacks_is_refused(client, admin):
    template = {"id": "task_words", "variants": [
        {"channel": "in_app", "language": "vi", "subject": "Nhiệm vụ {{ title }}", "text": "Hạn {{ due_on }}"}]}
    assert client.post("/api/v1/templates", headers=admin, json=template).status_code == 201
    refused = client.post("/api/v1/rules", headers=admin, json={**NIGHT_RULE, "template": "task_words",
                                                                 "channels": ["in_app"]})
    assert refused.status_code == 422 and "template" in refused.get_json()["errors"], refused.get_json()
    assert "title" in refused.get_json()["errors"]["template"][0]
    no_sms = client.post("/api/v1/rules", headers=admin, json={**NIGHT_RULE, "template": "task_words"})
    assert no_sms.status_code == 422 and "no sms variant" in no_sms.get_json()["errors"]["template"][0]
    assert stored_versions("relapse_night_sms") == 0


def test_only_an_admin_writes_and_only_readers_read(client, auditor, auth):
    caseworker = auth(subject="cw", roles=["caseworker"], unit=f"UBX-{COMMUNE}", areas=[COMMUNE])
    assert client.post("/api/v1/rules", headers=auditor, json=NIGHT_RULE).status_code == 403
    assert put(client, auditor, "/api/v1/rules/relapse_suspected", without_id(NIGHT_RULE), 1).status_code == 403
    assert client.post("/api/v1/templates", headers=auditor, json=SMS_TEMPLATE).status_code == 403
    assert client.get("/api/v1/rules", headers=caseworker).status_code == 403
    assert client.get("/api/v1/templates/relapse_suspected", headers=caseworker).status_code == 403
    assert stored_versions("relapse_night_sms") == 0 and stored_versions("relapse_suspected") == 1
    assert TemplateVersion.objects(item_id="relapse_short").count() == 0


def test_templates_are_versioned_and_one_that_does_not_compile_or_names_an_unknown_variable_is_refused(
        client, admin, auditor):
    created = client.post("/api/v1/templates", headers=admin, json=SMS_TEMPLATE)
    assert created.status_code == 201 and created.headers["ETag"] == '"1"', created.get_json()
    broken = {"variants": [{**SMS_TEMPLATE["variants"][0], "text": "Hồ sơ {{ case_number "}]}
    refused = put(client, admin, "/api/v1/templates/relapse_short", broken, 1)
    assert refused.status_code == 422 and "variants.0.text" in refused.get_json()["errors"], refused.get_json()
    unknown = {"variants": [SMS_TEMPLATE["variants"][0],
                            {**SMS_TEMPLATE["variants"][1], "text": "Case {{ case_numbr }}"}]}
    refused = put(client, admin, "/api/v1/templates/relapse_short", unknown, 1)
    assert refused.status_code == 422 and "variants.1.text" in refused.get_json()["errors"], refused.get_json()
    private = {"variants": [{**SMS_TEMPLATE["variants"][0], "text": "{{ person_code }} dương tính"}]}
    refused = put(client, admin, "/api/v1/templates/relapse_short", private, 1)
    assert refused.status_code == 422 and "variants.0.text" in refused.get_json()["errors"], refused.get_json()
    assert TemplateVersion.objects(item_id="relapse_short").count() == 1

    changed = put(client, admin, "/api/v1/templates/relapse_short", {"variants": SMS_TEMPLATE["variants"][:1]}, 1)
    assert changed.status_code == 200 and changed.headers["ETag"] == '"2"', changed.get_json()
    assert put(client, admin, "/api/v1/templates/relapse_short", without_id(SMS_TEMPLATE), 1).status_code == 412
    versions = client.get("/api/v1/templates/relapse_short/versions", headers=auditor).get_json()
    assert [len(v["variants"]) for v in versions] == [2, 1]


def test_a_template_a_rule_uses_must_keep_fitting_that_rules_event(client, admin):
    seed = client.get("/api/v1/templates/relapse_suspected", headers=admin).get_json()
    variants = [dict(v) for v in seed["variants"]]
    index = next(i for i, v in enumerate(variants) if v["channel"] == "in_app" and v["language"] == "en")
    variants[index]["text"] = "Task {{ task_id }} is late"
    refused = put(client, admin, "/api/v1/templates/relapse_suspected", {"variants": variants}, 1)
    assert refused.status_code == 422 and f"variants.{index}.text" in refused.get_json()["errors"], \
        refused.get_json()
    without_sms = [v for v in seed["variants"] if v["channel"] != "sms"]
    refused = put(client, admin, "/api/v1/templates/relapse_suspected", {"variants": without_sms}, 1)
    assert refused.status_code == 422 and "variants" in refused.get_json()["errors"], refused.get_json()
    assert TemplateVersion.objects(item_id="relapse_suspected").count() == 1


def test_a_dry_run_of_the_seed_relapse_rule_shows_recipients_escalation_and_renderings(client, auditor):
    answer = client.post("/api/v1/rules/dry-run", headers=auditor,
                         json={"rule_id": "relapse_suspected", "event": RELAPSE})
    assert answer.status_code == 200, answer.get_json()
    run = answer.get_json()
    assert run["applies"] and run["rule_version"] == 1 and run["urgent"] and run["ack_required"]
    assert [r["unit"] for r in run["recipients"]] == [f"CAX-{COMMUNE}", f"UBX-{COMMUNE}"]
    assert [c["channel"] for c in run["recipients"][0]["channels"]] == ["in_app", "email", "sms"]
    assert run["recipients"][0]["channels"][0]["addressees"][0]["target"] == f"unit:CAX-{COMMUNE}"
    assert run["ack_due_at"] is not None
    assert [(s["step"], s["to"]) for s in run["escalation"]] == [
        (1, "unit_head"), (2, "unit_kind:provincial_committee"), (3, "unit_head"),
        (4, "unit_kind:provincial_committee")]
    assert run["escalation"][1]["units"] == ["UBND-T56"]
    renderings = {(r["channel"], r["language"]): r for r in run["renderings"]}
    assert set(renderings) == {(c, lang) for c in ("in_app", "email", "sms") for lang in ("vi", "en")}
    sms = renderings[("sms", "vi")]
    assert "HS-2026-0042" in sms["text"] and sms["sms_length"]["encoding"] == "UCS-2" and not sms["error"]
    assert "HS-2026-0042" in renderings[("email", "en")]["subject"] and renderings[("email", "vi")]["html"]
    assert "sms_length" not in renderings[("in_app", "vi")]


def test_a_dry_run_of_an_unsaved_rule_says_whether_it_applies_and_stores_nothing(client, admin):
    ost = client.post("/api/v1/rules/dry-run", headers=admin, json={"rule": NIGHT_RULE, "event": RELAPSE})
    assert ost.status_code == 200, ost.get_json()
    run = ost.get_json()
    assert run["applies"] and run["rule_version"] is None and [r["unit"] for r in run["recipients"]] == [
        f"CAX-{COMMUNE}"]
    assert {r["channel"] for r in run["renderings"]} == {"in_app", "sms"} and run["escalation"] == []
    tested = {**RELAPSE, "data": {**RELAPSE["data"], "stage": "tested", "plan_id": "p-1"}}
    skipped = client.post("/api/v1/rules/dry-run", headers=admin, json={"rule": NIGHT_RULE, "event": tested})
    assert skipped.status_code == 200 and not skipped.get_json()["applies"]
    assert "condition 0" in skipped.get_json()["reasons"][0] and skipped.get_json()["recipients"] == []
    assert skipped.get_json()["ignored_fields"] == ["plan_id"], "a field of another event type is set aside"
    nickname = {**RELAPSE, "data": {**RELAPSE["data"], "nickname": "x"}}
    unknown = client.post("/api/v1/rules/dry-run", headers=admin, json={"rule": NIGHT_RULE, "event": nickname})
    assert unknown.status_code == 422 and "event.data.nickname" in unknown.get_json()["errors"], unknown.get_json()
    wrong = client.post("/api/v1/rules/dry-run", headers=admin, json={
        "rule": {**NIGHT_RULE, "conditions": [{"field": "person_name"}]}, "event": RELAPSE})
    assert wrong.status_code == 422 and "rule.conditions.0.field" in wrong.get_json()["errors"], wrong.get_json()
    both = client.post("/api/v1/rules/dry-run", headers=admin,
                       json={"rule": NIGHT_RULE, "rule_id": "relapse_suspected", "event": RELAPSE})
    assert both.status_code == 422 and "rule_id" in both.get_json()["errors"]
    assert stored_versions("relapse_night_sms") == 0


def test_a_preview_of_an_sms_shows_its_ucs2_segments(client, auditor):
    long_number = "HS-" + "0" * 80
    event = {**RELAPSE, "data": {**RELAPSE["data"], "case_number": long_number}}
    answer = client.post("/api/v1/templates/preview", headers=auditor, json={
        "template": SMS_TEMPLATE, "event": event, "channel": "sms", "language": "vi"})
    assert answer.status_code == 200, answer.get_json()
    preview = answer.get_json()
    assert preview["text"].startswith("Nghi tái nghiện: hồ sơ HS-000")
    assert preview["sms_length"]["encoding"] == "UCS-2" and preview["sms_length"]["segments"] == 2
    english = client.post("/api/v1/templates/preview", headers=auditor, json={
        "template_id": "relapse_suspected", "event": RELAPSE, "channel": "sms", "language": "en"}).get_json()
    assert english["template_version"] == 1 and "HS-2026-0042" in english["text"]
    plain = {**SMS_TEMPLATE, "variants": [{**SMS_TEMPLATE["variants"][0], "text": "Case {{ case_number }}"}]}
    gsm = client.post("/api/v1/templates/preview", headers=auditor, json={
        "template": plain, "event": RELAPSE, "channel": "sms"}).get_json()
    assert gsm["text"] == "Case HS-2026-0042" and gsm["sms_length"] == {"encoding": "GSM-7", "characters": 17,
                                                                         "segments": 1}
    email = client.post("/api/v1/templates/preview", headers=auditor, json={
        "template_id": "relapse_suspected", "event": RELAPSE, "channel": "email"}).get_json()
    assert "HS-2026-0042" in email["subject"] and email["html"] and "sms_length" not in email
    unknown = client.post("/api/v1/templates/preview", headers=auditor, json={
        "template": {**SMS_TEMPLATE, "variants": [{**SMS_TEMPLATE["variants"][0], "text": "{{ nickname }}"}]},
        "event": RELAPSE, "channel": "sms"})
    assert unknown.status_code == 422 and "template.variants.0.text" in unknown.get_json()["errors"]
    assert TemplateVersion.objects(item_id="relapse_short").count() == 0


def test_the_openapi_document_describes_the_rules_api(client):
    document = client.get("/api/v1/openapi.json").get_json()
    paths = document["paths"]
    assert {"/api/v1/rules", "/api/v1/rules/{rule_id}", "/api/v1/rules/{rule_id}/versions",
            "/api/v1/rules/{rule_id}/versions/{version}", "/api/v1/rules/dry-run", "/api/v1/templates",
            "/api/v1/templates/{template_id}", "/api/v1/templates/preview"} <= set(paths)
    put_rule = paths["/api/v1/rules/{rule_id}"]["put"]
    assert [(p["name"], p["required"]) for p in put_rule["parameters"] if p["in"] == "header"] == [("If-Match", True)]
    assert {"412", "428"} <= set(put_rule["responses"]) and "ETag" in put_rule["responses"]["200"]["headers"]
    value = document["components"]["schemas"]["Condition"]["properties"]["value"]
    assert value["nullable"] is True and len(value["oneOf"]) == 4
