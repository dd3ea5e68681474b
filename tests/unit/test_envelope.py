from datetime import date

import pytest
from marshmallow import ValidationError

from shared.envelope import Actor, StreamRef, envelope_from_message, new_envelope
from services.cases.contracts import CONTRACTS


def message(**changes):
    body = new_envelope(event_type="cases.case.opened", schema_version=1, producer="cases",
                        stream=StreamRef("case", "case-1", 1), area_code="22366", actor=Actor("u", "caseworker"),
                        data={"case_id": "1", "case_number": "n", "person_code": "P", "commune_code": "22366",
                              "regime": "law-120-2025", "stage": "tested", "opened_on": "2026-08-01"}).to_message()
    body.update(changes)
    return body


def test_a_valid_message_loads_with_its_contract():
    envelope = envelope_from_message(message(), CONTRACTS)
    assert envelope.data["opened_on"] == "2026-08-01" and envelope.stream.version == 1


@pytest.mark.parametrize("changes", [
    {"type": "cases.case.vanished"}, {"schema_version": 9}, {"id": "not-a-uuid"}, {"occurred_at": "yesterday"},
    {"extra": 1}, {"data": {"case_id": "1"}}, {"stream": {"type": "case", "id": "x", "version": 0}},
])
def test_messages_breaking_the_contract_are_refused(changes):
    with pytest.raises(ValidationError):
        envelope_from_message(message(**changes), CONTRACTS)


def test_non_object_bodies_are_refused():
    with pytest.raises(ValidationError):
        envelope_from_message(["a"], CONTRACTS)


def test_dates_travel_as_iso_strings():
    assert date.fromisoformat(message()["data"]["opened_on"]) == date(2026, 8, 1)
