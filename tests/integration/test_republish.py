"""Publishing a kind of stored event again, for a consumer added after it was first published (the cases
service's copy of the unit directory): every one, cut to its contract, with its own id, against the real broker."""
import json

from shared import bus
from shared.bus import ConfirmingPublisher
from shared.relay import republish
from services.plans.contracts import CONTRACTS
from services.plans.entrypoints.app import create_app
from tests.integration.busutil import bind_probe, collect

UNITS = [("CAX-22366", "Công an phường Nha Trang", "commune_police", "22366"),
         ("PKMT-T56", "Cơ sở điều trị methadone tỉnh", "health_facility", "56")]


def test_every_unit_registration_is_published_again_as_the_relay_would(settings, auth, amqp_url):
    client = create_app(settings("plans")).test_client()
    coordinator = auth(subject="bch", roles=["plan_coordinator"], unit="UBND-T56", areas=["56"])
    for code, name, kind, area in UNITS:
        assert client.post("/api/v1/units", headers=coordinator, json={
            "unit_code": code, "name": name, "kind": kind, "area_code": area}).status_code == 201
    probe = bind_probe(amqp_url, "plans", "plans.unit.registered")
    publisher = ConfirmingPublisher(bus.connect(amqp_url), confirm_timeout=5)
    try:
        assert republish("plans", "plans.unit.registered", publisher, CONTRACTS) == 2
    finally:
        publisher.reset()
    messages = [json.loads(body) for body in collect(amqp_url, probe, 2)]
    assert sorted(m["data"]["unit_code"] for m in messages) == ["CAX-22366", "PKMT-T56"]
    assert all(m["type"] == "plans.unit.registered" and m["producer"] == "plans" for m in messages)
    assert len({m["id"] for m in messages}) == 2, "each with the id it was first published under"
