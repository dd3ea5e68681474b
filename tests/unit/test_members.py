"""The member directory without I/O: quiet hours (wrapping midnight, urgent override), channels per category and
their defaults, the digest choice, masking; and its service layer against fakes of its ports (who is reached,
the one-time code, the daily digest sent once)."""
import re
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from shared.auth import Principal
from shared.clock import Clock
from shared.crypto import FieldCipher
from shared.errors import Conflict, InvalidInput, NotAuthorised, NotFound
from shared.refusals import DecisionInvalid

from services.notifications.domain.commands import AddContactPoint, SendDigests, SetMember, SetMyMembership, \
    VerifyContactPoint
from services.notifications.domain.deliveries import DIGEST, VERIFICATION
from services.notifications.domain.members import (Addressee, MemberSettings, QuietHours, clock_time, masked,
                                                   member_target, unit_target)
from services.notifications.domain.model import UnitEntry
from services.notifications.service_layer import members as handlers
from services.notifications.service_layer.members import MemberAudience

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
CATEGORIES = {"case_absconded", "case_opened", "report_submitted"}
UNIT = "CAX-22366"
NIGHT = QuietHours("22:00", "06:00")


def local(hour, minute=0, day=10):
    return datetime(2026, 6, day, hour, minute, tzinfo=LOCAL).astimezone(timezone.utc)


# The domain

@pytest.mark.parametrize("moment, inside", [(time(21, 59), False), (time(22, 0), True), (time(23, 30), True),
                                            (time(0, 0), True), (time(5, 59), True), (time(6, 0), False),
                                            (time(12, 0), False)])
def test_quiet_hours_wrap_midnight(moment, inside):
    assert NIGHT.contains(moment) is inside


def test_quiet_hours_within_one_day():
    lunch = QuietHours("11:30", "13:30")
    assert lunch.contains(time(12, 0)) and not lunch.contains(time(13, 30)) and not lunch.contains(time(11, 29))


def test_a_message_in_the_quiet_hours_waits_for_their_end_the_next_morning_or_the_same():
    assert NIGHT.end_after(local(23, 15)) == local(6, 0, day=11)
    assert NIGHT.end_after(local(2, 0)) == local(6, 0)
    assert NIGHT.end_after(local(9, 0)) is None


@pytest.mark.parametrize("text", ["25:00", "7:00", "07:60", "0700", "", "07:00:00", None, 7])
def test_a_time_that_is_not_hh_mm_is_refused(text):
    with pytest.raises(DecisionInvalid) as refused:
        QuietHours(text, "06:00").check()
    assert refused.value.field == "quiet_hours.start"


def test_quiet_hours_that_begin_where_they_end_are_refused():
    with pytest.raises(DecisionInvalid) as refused:
        QuietHours("22:00", "22:00").check()
    assert refused.value.field == "quiet_hours.end"


@pytest.mark.parametrize("settings, field", [
    (MemberSettings(language="fr"), "language"),
    (MemberSettings(preferences={"weather": ["email"]}), "preferences.weather"),
    (MemberSettings(preferences={"case_opened": ["fax"]}), "preferences.case_opened"),
    (MemberSettings(preferences={"case_opened": ["email", "email"]}), "preferences.case_opened"),
    (MemberSettings(digest_at="8h"), "digest_at"),
    (MemberSettings(quiet_hours=QuietHours("22:00", "six")), "quiet_hours.end")])
def test_bad_settings_name_their_field(settings, field):
    with pytest.raises(DecisionInvalid) as refused:
        settings.check(CATEGORIES)
    assert refused.value.field == field


def test_without_a_preference_urgent_alerts_go_by_email_and_sms_routine_ones_by_email():
    settings = MemberSettings()
    assert settings.channels_for("case_absconded", urgent=True) == ("email", "sms")
    assert settings.channels_for("case_opened", urgent=False) == ("email",)
    assert settings.decide("case_opened", "sms", False, local(9)) is None
    assert settings.decide("case_absconded", "sms", True, local(9)).send_at is None


def test_a_preference_chooses_the_channels_of_its_category():
    settings = MemberSettings(preferences={"case_opened": ["sms"], "case_absconded": ["email"]})
    assert settings.decide("case_opened", "email", False, local(9)) is None
    assert settings.decide("case_opened", "sms", False, local(9)) is not None
    assert settings.decide("case_absconded", "sms", True, local(9)) is None


def test_quiet_hours_hold_routine_alerts_and_urgent_ones_override_them():
    settings = MemberSettings(quiet_hours=NIGHT)
    assert settings.decide("case_opened", "email", False, local(23)).send_at == local(6, day=11)
    assert settings.decide("case_absconded", "sms", True, local(23)).send_at is None


def test_digest_gathers_routine_alerts_and_never_urgent_ones():
    settings = MemberSettings(preferences={"case_opened": ["digest"], "case_absconded": ["digest", "sms"]},
                              quiet_hours=NIGHT)
    assert settings.decide("case_opened", "email", False, local(23)).digest is True
    assert settings.decide("case_opened", "sms", False, local(9)) is None
    urgent = settings.decide("case_absconded", "email", True, local(23))
    assert urgent.digest is False and urgent.send_at is None
    assert settings.decide("case_absconded", "sms", True, local(23)).digest is False


def test_the_digest_is_due_once_its_local_time_has_come():
    assert not MemberSettings(digest_at="17:30").digest_due(local(17, 29))
    assert MemberSettings(digest_at="17:30").digest_due(local(17, 30))
    assert MemberSettings().digest_due(local(7, 0)) and not MemberSettings().digest_due(local(6, 59))


def test_addresses_are_listed_masked():
    assert masked("sms", "+84912345678") == "+84 91* *** 678"
    assert masked("email", "nguyen.van.a@example.vn") == "n***@example.vn"


def test_clock_time_reads_hh_mm():
    assert clock_time("x", "07:05") == time(7, 5)


# The service layer against fakes

ADMIN = Principal("admin-1", ("admin",), "CA-56", ("56",))
OFFICER = Principal("officer-1", ("police_liaison",), UNIT, ("22366",))


class FakeMembers:
    def __init__(self, *records):
        self.stored = {r.id: r for r in records}

    def get(self, target):
        return self.stored.get(target)

    def save(self, addressee, actor):
        addressee.pending.clear()
        self.stored[addressee.id] = addressee

    def of_unit(self, unit):
        return [r for r in self.stored.values() if r.unit == unit]


class FakePoints:
    def __init__(self):
        self.stored = {}

    def add(self, point):
        if point.id in self.stored:
            return False
        self.stored[point.id] = point
        return True

    def get(self, owner, point_id):
        point = self.stored.get(point_id)
        return point if point and point.owner == owner else None

    def of_owners(self, owners):
        return [p for p in self.stored.values() if p.owner in owners]

    def save(self, point):
        self.stored[point.id] = point

    def remove(self, owner, point_id):
        return self.stored.pop(point_id, None) is not None


class FakeQueue:
    def __init__(self, entries=()):
        self.added, self.entries, self.marked = [], list(entries), []

    def add(self, deliveries):
        self.added += deliveries

    def digest_targets(self):
        return sorted({e["target"] for e in self.entries if e["id"] not in self.marked})

    def digest_entries(self, target):
        return [e for e in self.entries if e["target"] == target and e["id"] not in self.marked]

    def mark_digested(self, entry_ids):
        self.marked += entry_ids


class FakeOnce:
    def __init__(self):
        self.keys = set()

    def claim(self, key):
        if key in self.keys:
            return False
        self.keys.add(key)
        return True

    def claimed(self, key):
        return key in self.keys


class FixedClock(Clock):
    def __init__(self, now):
        super().__init__()
        self.moment = now

    def now(self):
        return self.moment


class FakeDirectory:
    def entries(self):
        return [UnitEntry(UNIT, "commune_police", ("22366",))]

    def named(self, unit_codes):
        return [entry for entry in self.entries() if entry.unit_code in unit_codes]


CIPHER = FieldCipher(b"k" * 32)


class FakeAudit:
    """shared.ports.AuditTrail: what was recorded, in order."""

    def __init__(self):
        self.entries = []

    def record(self, principal, action, resource_type, resource_id, sections=(), outcome="allowed", purpose=None,
               intent=None):
        self.entries.append((action, resource_id, outcome))
        return f"entry-{len(self.entries)}"

    def record_many(self, principal, action, resource_type, resource_ids, sections=()):
        self.entries += [(action, resource_id, "allowed") for resource_id in resource_ids]


AUDIT = FakeAudit()


def member(subject, roles=("police_liaison",), head=False, settings=None, unit=UNIT):
    record = Addressee(member_target(subject), unit=unit, roles=list(roles), head=head,
                       settings=settings or MemberSettings())
    return record


def added_point(points, queue, owner_principal, kind, address, clock, members=None):
    return handlers.add_contact_point(AddContactPoint("me", kind, address), owner_principal, members or FakeMembers(),
                                      FakeDirectory(), points, queue, CIPHER, clock, AUDIT)


def sent_code(queue) -> str:
    return re.search(r"\b(\d{6})\b", queue.added[-1].content["text"]).group(1)


def test_my_membership_takes_unit_and_roles_from_the_token_and_keeps_the_head_an_admin_set():
    members = FakeMembers(member("officer-1", roles=("caseworker",), head=True))
    record, new = handlers.set_my_membership(SetMyMembership(MemberSettings(language="en")), OFFICER, members,
                                             lambda: CATEGORIES)
    assert not new and record.unit == UNIT and record.roles == ["police_liaison"] and record.head
    assert record.settings.language == "en"


def test_only_an_admin_of_the_units_areas_sets_another_member():
    members = FakeMembers()
    with pytest.raises(NotAuthorised):
        handlers.set_member(SetMember("x", UNIT, ("caseworker",), True, MemberSettings()), OFFICER, members,
                            FakeDirectory(), lambda: CATEGORIES)
    outsider = Principal("admin-2", ("admin",), "CA-01", ("01",))
    with pytest.raises(NotAuthorised):
        handlers.set_member(SetMember("x", UNIT, (), True, MemberSettings()), outsider, members, FakeDirectory(),
                            lambda: CATEGORIES)
    with pytest.raises(InvalidInput) as unknown:
        handlers.set_member(SetMember("x", "NOWHERE", (), True, MemberSettings()), ADMIN, members, FakeDirectory(),
                            lambda: CATEGORIES)
    assert "unit" in unknown.value.errors
    record, new = handlers.set_member(SetMember("x", UNIT, ("caseworker",), True, MemberSettings()), ADMIN, members,
                                      FakeDirectory(), lambda: CATEGORIES)
    assert new and record.head and members.get(member_target("x")) is record


def test_a_new_contact_point_sends_a_code_through_itself_and_keeps_only_its_hash():
    points, queue, clock = FakePoints(), FakeQueue(), FixedClock(local(9))
    point = added_point(points, queue, OFFICER, "sms", "0912 345 678", clock)
    delivery = queue.added[-1]
    code = sent_code(queue)
    assert point.address == "+84912345678" and not point.verified
    assert delivery.purpose == VERIFICATION and delivery.channel == "sms" and delivery.address == "+84912345678"
    assert len(code) == 6 and code.isdigit() and code not in (point.code_hash or "")
    with pytest.raises(Conflict):
        added_point(points, queue, OFFICER, "sms", "+84 912 345 678", clock)


def test_a_wrong_code_names_the_code_and_the_sixth_try_is_refused():
    points, queue, clock, once = FakePoints(), FakeQueue(), FixedClock(local(9)), FakeOnce()
    point = added_point(points, queue, OFFICER, "email", "a@example.vn", clock)
    code = sent_code(queue)
    for _ in range(5):
        with pytest.raises(InvalidInput) as wrong:
            handlers.verify_contact_point(VerifyContactPoint("me", point.id, "000000" if code != "000000" else "1"),
                                          OFFICER, FakeMembers(), FakeDirectory(), points, once, CIPHER, clock, AUDIT)
        assert "code" in wrong.value.errors
    with pytest.raises(Conflict):
        handlers.verify_contact_point(VerifyContactPoint("me", point.id, code), OFFICER, FakeMembers(),
                                      FakeDirectory(), points, once, CIPHER, clock, AUDIT)


def test_the_right_code_in_time_verifies_and_a_late_one_does_not():
    points, queue, once = FakePoints(), FakeQueue(), FakeOnce()
    point = added_point(points, queue, OFFICER, "email", "a@example.vn", FixedClock(local(9)))
    code = sent_code(queue)
    with pytest.raises(InvalidInput):
        handlers.verify_contact_point(VerifyContactPoint("me", point.id, code), OFFICER, FakeMembers(),
                                      FakeDirectory(), points, once, CIPHER, FixedClock(local(9, 15)), AUDIT)
    verified = handlers.verify_contact_point(VerifyContactPoint("me", point.id, code), OFFICER, FakeMembers(),
                                             FakeDirectory(), points, once, CIPHER, FixedClock(local(9, 14)), AUDIT)
    assert verified.verified and verified.version == 2 and verified.code_hash is None


def test_another_units_contact_points_are_not_a_members_to_manage():
    with pytest.raises(NotAuthorised):
        handlers.add_contact_point(AddContactPoint(unit_target(UNIT), "email", "duty@example.vn"), OFFICER,
                                   FakeMembers(), FakeDirectory(), FakePoints(), FakeQueue(), CIPHER,
                                   FixedClock(local(9)), AUDIT)


def verified(points, owner, kind, address):
    from services.notifications.domain.members import ContactPoint
    point = ContactPoint(id=f"{owner}:{address}", owner=owner, kind=kind, address=address, created_at=local(8),
                         verified_at=local(8))
    points.add(point)
    return point


def test_reach_answers_members_with_verified_points_of_the_channel_and_the_units_own():
    members = FakeMembers(member("a", settings=MemberSettings(quiet_hours=NIGHT)),
                          member("b", roles=("caseworker",), head=True),
                          member("c", settings=MemberSettings(preferences={"case_opened": ["digest"]})),
                          member("d"), member("e", unit="OTHER"))
    points = FakePoints()
    for subject in "abcde":
        verified(points, member_target(subject), "email", f"{subject}@example.vn")
    verified(points, member_target("a"), "sms", "+84912345678")
    points.add(type(points.stored[member_target("d") + ":d@example.vn"])(
        id="unverified", owner=member_target("d"), kind="email", address="d2@example.vn", created_at=local(8)))
    verified(points, unit_target(UNIT), "email", "duty@example.vn")
    audience = MemberAudience(members, points)

    routine = audience.reach(UNIT, (), False, "case_opened", "email", False, local(23))
    assert {(r.target, r.address, r.digest, r.send_at) for r in routine} == {
        (member_target("a"), "a@example.vn", False, local(6, day=11)),
        (member_target("b"), "b@example.vn", False, None),
        (member_target("c"), "c@example.vn", True, None),
        (member_target("d"), "d@example.vn", False, None),
        (unit_target(UNIT), "duty@example.vn", False, None)}
    assert [r.target for r in audience.reach(UNIT, ("caseworker",), False, "case_opened", "email", False,
                                             local(9))] == [member_target("b"), unit_target(UNIT)]
    assert [r.target for r in audience.reach(UNIT, (), True, "case_absconded", "sms", True, local(23))] == []
    urgent_sms = audience.reach(UNIT, (), False, "case_absconded", "sms", True, local(23))
    assert [(r.target, r.send_at) for r in urgent_sms] == [(member_target("a"), None)]
    heads = audience.reach(UNIT, (), True, "case_absconded", "email", True, local(23))
    assert [r.target for r in heads] == [member_target("b")]


def test_a_unit_may_gather_routine_alerts_into_its_digest():
    members = FakeMembers(Addressee(unit_target(UNIT), kind="unit", unit=UNIT,
                                    settings=MemberSettings(preferences={"case_opened": ["digest"]})))
    points = FakePoints()
    verified(points, unit_target(UNIT), "email", "duty@example.vn")
    reached = MemberAudience(members, points).reach(UNIT, (), False, "case_opened", "email", False, local(9))
    assert [(r.target, r.digest) for r in reached] == [(unit_target(UNIT), True)]


class FakeAlerts:
    def get(self, alert_id):
        return None


class FakeDisclosures:
    def __init__(self):
        self.recorded = []

    def record_many(self, disclosures):
        self.recorded += disclosures


class PlainDigest:
    def content(self, language, unit, day, alerts):
        return {"subject": f"digest {unit} {day}", "text": "-", "html": None}


def test_the_digest_goes_once_its_time_has_come_once_a_day_and_only_with_something_in_it():
    target = member_target("c")
    members = FakeMembers(member("c", settings=MemberSettings(digest_at="17:00", language="en")))
    entries = [{"id": f"{target}:al-{n}", "target": target, "alert_id": f"al-{n}", "language": "en",
                "address": "c@example.vn", "added_at": local(9)} for n in range(3)]
    queue, once = FakeQueue(entries), FakeOnce()
    run = lambda hour: handlers.send_digests(SendDigests(), None, members, queue, once, PlainDigest(),  # noqa: E731
                                             FakeAlerts(), FakeDisclosures(), FixedClock(local(hour)))
    assert run(16) == 0 and not queue.added
    assert run(17) == 1
    digest = queue.added[0]
    assert digest.purpose == DIGEST and digest.channel == "email" and digest.address == "c@example.vn"
    assert digest.alert_ids == ["al-0", "al-1", "al-2"] and digest.language == "en" and digest.content["subject"]
    assert len(queue.marked) == 3
    queue.entries.append({**entries[0], "id": f"{target}:al-9", "alert_id": "al-9"})
    assert run(18) == 0
    assert handlers.send_digests(SendDigests(), None, members, queue, once, PlainDigest(), FakeAlerts(),
                                 FakeDisclosures(), FixedClock(local(17, day=11))) == 1


class KnownAlerts:
    def __init__(self, *found):
        self.found = {a.id: a for a in found}

    def get(self, alert_id):
        return self.found.get(alert_id)


def _alert(alert_id, category, facts):
    from services.notifications.domain.model import Alert
    from services.notifications.domain.seed import SEED_RULES
    rule = next(r for r in SEED_RULES if r.category == category)
    return Alert.raise_for(alert_id, UNIT, rule, rule.event_type, facts, "22366", ("t", "t"), local(9))


def test_a_digest_naming_cases_records_one_disclosure_per_case_alert_to_its_addressee():
    target = member_target("c")
    case_alert = _alert("al-case", "case_opened", {"case_id": "c-7", "case_number": "HS-7"})
    task_alert = _alert("al-task", "task_assigned", {"task_id": "t-1"})
    entries = [{"id": f"{target}:{a.id}", "target": target, "alert_id": a.id, "language": "vi",
                "address": "c@example.vn", "added_at": local(9)} for a in (case_alert, task_alert)]
    queue, disclosures = FakeQueue(entries), FakeDisclosures()
    assert handlers.send_digests(SendDigests(), None, FakeMembers(member("c")), queue, FakeOnce(), PlainDigest(),
                                 KnownAlerts(case_alert, task_alert), disclosures, FixedClock(local(8))) == 1
    digest = queue.added[0]
    assert [(d.case_id, d.to, d.channel, d.alert_id, d.delivery_id, d.rule_id) for d in disclosures.recorded] == [
        ("c-7", target, "email", "al-case", digest.id, case_alert.raised.rule_id)]


class TemplateBook:
    def __init__(self, templates):
        self.templates = templates

    def for_rendering(self, template_id):
        return self.templates.get(template_id)


def test_the_digest_renders_from_the_template_store_and_is_a_plain_list_without_its_template():
    from services.notifications.adapters.members import TemplateDigest
    from services.notifications.adapters.rendering import TemplateRenderer
    from services.notifications.adapters.template_files import load_templates
    alert = _alert("al-case", "case_opened", {"case_id": "c-7", "case_number": "HS-7"})
    day = local(8).date()
    rendered = TemplateDigest(TemplateBook(load_templates()), TemplateRenderer()).content("vi", UNIT, day, [alert])
    assert rendered["subject"].startswith("Tóm tắt cảnh báo") and "HS-7" in rendered["text"]
    plain = TemplateDigest(TemplateBook({}), TemplateRenderer()).content("en", UNIT, day, [alert])
    assert plain["subject"] and "case_opened" in plain["text"]
    with pytest.raises(TypeError):
        TemplateDigest()


def test_reading_my_membership_before_joining_is_not_found():
    with pytest.raises(NotFound):
        handlers.read_my_membership(None, OFFICER, FakeMembers())
