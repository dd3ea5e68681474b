"""A unit's reports submitted in one batch through the plans API against the real FerretDB: each report is
submitted or refused on its own, as its own submit would be; a refused one stores nothing and holds back no other;
the relay publishes each submitted report's event once."""
import json
from collections import Counter
from datetime import date

from shared.eventstore import PendingEvent
from shared.relay import Relay
from services.plans.contracts import CONTRACTS
from tests.integration import test_reports_api as reports

app, client, today, people, task_id = reports.app, reports.client, reports.today, reports.people, reports.task_id
ok, path = reports.ok, reports.path
SUBMISSIONS = "/api/v1/units/{unit}/reports/submissions"


def drafted(client, reporter, task_id, period, values, changes=0, unit="CAX-22366"):
    """The report's version after its draft and `changes` more saves."""
    answer = client.put(path(task_id, period, unit), headers=reporter, json={"values": values})
    for _ in range(changes):
        answer = client.put(path(task_id, period, unit), headers=reporter, json={"values": values})
    return ok(answer, 201 if not changes else 200)["version"]


def a_batch_of_every_outcome(client, people, task_id, today):
    """Two good reports, then one of each refusal; answers the request's items."""
    reporter = people["reporter"]
    today(date(2026, 6, 30))
    good = [("W1", drafted(client, reporter, task_id, "W1", {"drug_cases": 2})),
            ("W2", drafted(client, reporter, task_id, "W2", {"drug_cases": 1}, changes=1))]
    stale = drafted(client, reporter, task_id, "W3", {"drug_cases": 4}, changes=1) - 1
    drafted(client, reporter, task_id, "W4", {"drug_cases": 3})
    ok(client.post(path(task_id, "W4", step="/submit"), headers=reporter))
    approved = ok(client.post(path(task_id, "W4", step="/approve"), headers=people["lead"], json={}))["version"]
    empty = drafted(client, reporter, task_id, "W5", {})
    return [*({"task_id": task_id, "period": period, "version": version} for period, version in good),
            {"task_id": task_id, "period": "W3", "version": stale},
            {"task_id": "no-such-task", "period": "W1", "version": 1},
            {"task_id": task_id, "period": "W4", "version": approved},
            {"task_id": task_id, "period": "W5", "version": empty},
            {"task_id": task_id, "period": "2026-13", "version": 1},
            {"task_id": task_id, "period": "W1", "version": good[0][1]}]


def test_each_report_is_submitted_or_refused_on_its_own(client, people, task_id, today):
    reporter = people["reporter"]
    items = a_batch_of_every_outcome(client, people, task_id, today)
    before = {period: client.get(path(task_id, period), headers=reporter).get_json() for period in ("W3", "W4", "W5")}
    answer = ok(client.post(SUBMISSIONS.format(unit="CAX-22366"), headers=reporter, json={"reports": items}))
    outcomes = answer["reports"]
    assert (answer["submitted"], answer["refused"]) == (2, 6)
    assert [o["outcome"] for o in outcomes] == ["submitted"] * 2 + ["refused"] * 6
    assert [o["problem"]["status"] for o in outcomes[2:]] == [412, 404, 409, 409, 422, 409]
    assert outcomes[2]["problem"]["current_version"] == items[2]["version"] + 1
    assert outcomes[4]["problem"]["allowed"] == ["revise"]
    assert "nothing yet" in outcomes[5]["problem"]["detail"]
    assert list(outcomes[6]["problem"]["errors"]) == ["period"]
    assert "more than once" in outcomes[7]["problem"]["detail"]
    for item, outcome in zip(items[:2], outcomes):
        read = client.get(path(task_id, item["period"]), headers=reporter)
        assert (ok(read)["status"], outcome["status"], outcome["version"]) == ("submitted", "submitted",
                                                                               item["version"] + 1)
        assert read.headers["ETag"] == f'"{outcome["version"]}"'
        assert outcome["report_id"] == f"{task_id}.CAX-22366.{item['period']}"
    for period, was in before.items():
        assert client.get(path(task_id, period), headers=reporter).get_json() == was, period


def test_reports_of_another_unit_are_not_found_and_stay_as_they_were(client, people, task_id, today):
    today(date(2026, 6, 8))
    version = drafted(client, people["committee"], task_id, "W1", {"outreach_sessions": 2}, unit="UBX-22366")
    answer = ok(client.post(SUBMISSIONS.format(unit="UBX-22366"), headers=people["reporter"],
                            json={"reports": [{"task_id": task_id, "period": "W1", "version": version}]}))
    assert [o["problem"]["status"] for o in answer["reports"]] == [404]
    read = ok(client.get(path(task_id, "W1", unit="UBX-22366"), headers=people["committee"]))
    assert (read["status"], read["version"]) == ("draft", version)


def test_a_batch_is_bounded_and_well_formed(client, people, task_id):
    url = SUBMISSIONS.format(unit="CAX-22366")
    for body, field in (({"reports": []}, "reports"), ({}, "reports"),
                        ({"reports": [{"task_id": task_id, "period": "W1"}]}, "reports"),
                        ({"reports": [{"task_id": task_id, "period": "W1", "version": 1}] * 201}, "reports")):
        refused = client.post(url, headers=people["reporter"], json=body)
        assert refused.status_code == 422 and field in json.dumps(refused.get_json()["errors"]), body


class RecordingPublisher:
    """The broker's side of a confirmed publish, kept in memory: the relay's bookkeeping is what is tested here
    (tests/integration/test_relay.py covers the broker's confirms)."""

    def __init__(self):
        self.messages = []

    def publish_many(self, exchange, messages) -> set[str]:
        self.messages.extend((m.routing_key, m.message_id, m.body) for m in messages)
        return set()

    def reset(self) -> None:
        pass


def test_the_relay_publishes_each_submitted_report_once(client, people, task_id, today):
    items = a_batch_of_every_outcome(client, people, task_id, today)
    answer = ok(client.post(SUBMISSIONS.format(unit="CAX-22366"), headers=people["reporter"],
                            json={"reports": items}))
    publisher = RecordingPublisher()
    relay = Relay("plans", publisher, CONTRACTS)
    while relay.run_once():
        pass
    assert relay.run_once() == 0 and PendingEvent.objects.count() == 0
    submissions = [(message_id, message["data"]["report_id"]) for key, message_id, message in publisher.messages
                   if key == "plans.report.submitted"]
    assert len({message_id for message_id, _ in submissions}) == len(submissions), "each event once"
    published = Counter(report for _, report in submissions)
    submitted = [o["report_id"] for o in answer["reports"] if o["outcome"] == "submitted"]
    assert len(submitted) == 2
    assert published == Counter({**{report: 1 for report in submitted}, f"{task_id}.CAX-22366.W4": 1}), \
        "the batch's two, and the approved report's own single submission, once each"
