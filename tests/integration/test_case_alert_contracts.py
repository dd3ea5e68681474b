"""Every alert event the notifications service's contracts describe is bound to the cases consumer, passes its
validation, and is noted on the case it names (tests/integration/test_contracts.py checks the producer's side)."""
from datetime import datetime, timezone

import pytest
from marshmallow import fields

from shared.envelope import Actor, StreamRef, envelope_from_message, new_envelope
from services.cases.domain.commands import NoteAlertStep
from services.cases.entrypoints.app import create_app
from services.cases.entrypoints.consumers import ALERTS, handlers
from services.notifications import contracts as notifications_contracts

ALERT_CONTRACTS = {key: schema for key, schema in notifications_contracts.CONTRACTS.items()
                   if key[0].startswith("notifications.alert.")}
MOMENT = datetime(2026, 8, 3, 8, 0, tzinfo=timezone.utc).isoformat()
SAMPLES = {fields.String: "CAX-22333", fields.Boolean: True, fields.Integer: 1, fields.AwareDateTime: MOMENT,
           fields.DateTime: MOMENT}


def sample(schema_cls, case_id: str, required_only: bool) -> dict:
    """A value of each field of the contract (only the required ones, or all), about `case_id`."""
    data = {}
    for name, field in schema_cls().fields.items():
        if required_only and not field.required:
            continue
        data[name] = [SAMPLES[type(field.inner)]] if isinstance(field, fields.List) else SAMPLES[type(field)]
    data.update({"area_code": "22333", "subject_type": "case", "subject_id": case_id, "category": "transfer_requested",
                 "escalated_from": None})
    return data


@pytest.fixture
def app(settings):
    return create_app(settings("cases"))


def test_every_alert_type_the_notifications_contracts_describe_is_bound_and_handled():
    bound = {event_type for service, event_type in ALERTS.bindings if service == "notifications"}
    assert bound == {event_type for event_type, _ in ALERT_CONTRACTS}
    assert set(handlers(bus=None)[ALERTS]) == bound
    for key, schema in ALERT_CONTRACTS.items():
        assert ALERTS.contracts[key] is schema, key


@pytest.mark.parametrize("required_only", [False, True])
def test_every_alert_event_the_contracts_describe_is_accepted_and_noted(app, auth, required_only):
    client, bus = app.test_client(), app.extensions["service_layer"]
    officer = auth(subject="ca", roles=["police_liaison"], unit="CAX-22366", areas=["22366"])
    opened = client.post("/api/v1/cases", headers=officer, json={
        "person": {"full_name": "Lò Văn Pao", "birth_date": "1983-02-02", "sex": "male"},
        "commune_code": "22366", "opened_on": "2026-08-03"})
    case = opened.get_json()
    for version, ((event_type, schema_version), schema) in enumerate(sorted(ALERT_CONTRACTS.items()), start=1):
        message = new_envelope(event_type=event_type, schema_version=schema_version, producer="notifications",
                               stream=StreamRef("alert", "alert-a1", version), area_code="22333",
                               actor=Actor("notifications-worker", "system"),
                               data={**sample(schema, case["id"], required_only), "alert_id": "a1"}).to_message()
        envelope = envelope_from_message(message, ALERTS.contracts)
        assert bus.handle(NoteAlertStep(envelope)) == 1, event_type
    history = client.get(f"/api/v1/cases/{case['id']}/history", headers=officer).get_json()
    assert sorted(e["alert"]["step"] for e in history if "alert" in e) == sorted(
        t.rsplit(".", 1)[1] for t, _ in ALERT_CONTRACTS)
    assert client.get(f"/api/v1/cases/{case['id']}", headers=officer).headers["ETag"] == opened.headers["ETag"], \
        "noted beside the case, never on its stream"
