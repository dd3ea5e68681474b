"""Notification templates without I/O: SMS length by 3GPP TS 23.038, what each channel may name, rendering in the
sandbox with Babel in Asia/Ho_Chi_Minh, the checks a template passes before it is stored, and the seed templates."""
from datetime import datetime, timezone

import pytest

from shared.refusals import DecisionInvalid
from services.notifications.adapters.catalog import event_fields, event_types
from services.notifications.adapters.rendering import RenderFailed, TemplateRenderer
from services.notifications.adapters.template_files import TemplateFileInvalid, load_templates
from services.notifications.domain.templates import (CHANNELS, DERIVED_FIELDS, DIGEST_FIELDS, LANGUAGES,
                                                     OUTWARD_FIELDS, Template, Variant, allowed_fields, sms_length,
                                                     template_from_data, template_to_data)

renderer = TemplateRenderer()


def one(channel="in_app", language="vi", subject=None, text="x", html=None) -> Template:
    return Template("t", 1, {(channel, language): Variant(subject, text, html)})


def refused_field(call) -> str:
    with pytest.raises(DecisionInvalid) as refused:
        call()
    return refused.value.field


@pytest.mark.parametrize("text, encoding, characters, segments", [
    ("", "GSM-7", 0, 0),
    ("a" * 160, "GSM-7", 160, 1),
    ("a" * 161, "GSM-7", 161, 2),
    ("a" * 306, "GSM-7", 306, 2),
    ("a" * 307, "GSM-7", 307, 3),
    ("€", "GSM-7", 2, 1),
    ("€" * 80, "GSM-7", 160, 1),
    ("a" * 152 + "€" + "a" * 10, "GSM-7", 164, 2),
    ("a" * 305 + "{", "GSM-7", 307, 3),
    ("Hẹn gặp", "UCS-2", 7, 1),
    ("ồ" * 70, "UCS-2", 70, 1),
    ("ồ" * 71, "UCS-2", 71, 2),
    ("ồ" * 134, "UCS-2", 134, 2),
    ("ồ" * 135, "UCS-2", 135, 3),
    ("a" * 66 + "😀", "UCS-2", 68, 1),
    ("a" * 66 + "😀" + "a" * 3, "UCS-2", 71, 2),
])
def test_sms_length_follows_3gpp_23_038(text, encoding, characters, segments):
    assert sms_length(text) == {"encoding": encoding, "characters": characters, "segments": segments}


def test_an_extension_pair_or_a_surrogate_pair_is_never_split_across_parts():
    assert sms_length("a" * 152 + "€" + "a" * 9)["segments"] == 2
    assert sms_length("a" * 152 + "€" + "a" * 152)["segments"] == 3
    assert sms_length("a" * 66 + "😀" + "a" * 66)["segments"] == 3


def test_vietnamese_with_diacritics_is_ucs2_and_plain_english_gsm7():
    assert sms_length("Quá hạn báo cáo")["encoding"] == "UCS-2"
    assert sms_length("Report overdue: 2026-06 [unit 22366] ~ #1 @ 5$ €")["encoding"] == "GSM-7"


def test_email_and_sms_name_only_outward_fields_in_app_and_webhook_any():
    fields = {"case_id", "case_number", "person_code", "commune_code", "tested_on", "stage"}
    for channel in ("in_app", "webhook"):
        assert allowed_fields(channel, fields) == fields | DERIVED_FIELDS
    for channel in ("email", "sms"):
        allowed = allowed_fields(channel, fields)
        assert {"case_number", "tested_on", "area_name", "ack_link", "alert_url"} <= allowed
        assert not allowed & {"person_code", "case_id", "stage", "subject", "commune_code"}
        assert "due_on" not in allowed
    assert not {"person_code", "subject", "worker_id", "signer", "stage", "role", "section"} & OUTWARD_FIELDS


def test_babel_dates_and_numbers_in_each_language_in_ho_chi_minh_time():
    template = Template("t", 1, {
        ("in_app", "vi"): Variant("{{ raised_at | datetime('short') }}",
                                  "{{ raised_at | date('long') }} | {{ raised_at | time }} | {{ amount | number }}"),
        ("in_app", "en"): Variant("{{ raised_at | datetime('short') }}",
                                  "{{ raised_at | date('long') }} | {{ raised_at | time }} | {{ amount | number }}")})
    late_evening_utc = "2026-06-20T20:30:00Z"
    vi = renderer.render(template, "in_app", "vi", {"raised_at": late_evening_utc, "amount": 1234567.5})
    en = renderer.render(template, "in_app", "en", {"raised_at": late_evening_utc, "amount": "1234567.5"})
    assert vi == Variant("03:30 21/6/26", "21 tháng 6, 2026 | 03:30 | 1.234.567,5")
    assert en == Variant("6/21/26, 3:30 AM", "June 21, 2026 | 3:30\u202fAM | 1,234,567.5")
    as_objects = renderer.render(template, "in_app", "vi", {
        "raised_at": datetime(2026, 6, 20, 20, 30, tzinfo=timezone.utc), "amount": 2500000})
    assert as_objects.subject == "03:30 21/6/26" and as_objects.text.endswith("2.500.000")


def test_dates_given_as_iso_text_and_patterns():
    template = one(text="{{ due_on | date('dd/MM/yyyy') }} {{ due_on | date('long') }}")
    assert renderer.render(template, "in_app", "vi", {"due_on": "2026-07-01"}).text == "01/07/2026 1 tháng 7, 2026"


def test_html_is_escaped_in_the_email_html_but_not_in_its_text_or_subject():
    template = one("email", subject="{{ title }}", text="{{ title }}", html="<p>{{ title }}</p>")
    rendered = renderer.render(template, "email", "vi", {"title": "<b>Tổ 5 & chợ</b>"})
    assert rendered.html == "<p>&lt;b&gt;Tổ 5 &amp; chợ&lt;/b&gt;</p>"
    assert rendered.text == rendered.subject == "<b>Tổ 5 & chợ</b>"


@pytest.mark.parametrize("source", ["{{ ''.__class__ }}", "{{ ''.__class__.__mro__[1].__subclasses__() }}",
                                    "{{ title['__class__'] }}", "{{ title | attr('__class__') }}",
                                    "{{ range.__globals__ }}"])
def test_the_sandbox_refuses_private_attributes_when_checked(source):
    found = renderer.problems(source, {"title"})
    assert found and "sandbox refuses" in found[0]


def test_the_sandbox_refuses_them_when_rendered_too_even_built_at_run_time():
    for source in ("{{ ''.__class__ }}", "{{ title['__cla' ~ 'ss__'] }}"):
        with pytest.raises(RenderFailed, match="SecurityError"):
            renderer.render(one(text=source), "in_app", "vi", {"title": "x"})


def test_an_unknown_variable_a_syntax_error_and_an_unknown_filter_are_refused_naming_the_part():
    template = Template("t", 1, {("in_app", "vi"): Variant("{{ case_number }}", "ok"),
                                 ("in_app", "en"): Variant("{{ case_number }}", "{{ nope }}")})
    with pytest.raises(DecisionInvalid) as refused:
        renderer.check(template, {"case_number"})
    assert refused.value.field == "variants.1.text" and "'nope'" in refused.value.message
    broken = one(subject="fine\n{% if %}", text="x")
    with pytest.raises(DecisionInvalid) as refused:
        renderer.check(broken, {"case_number"})
    assert refused.value.field == "variants.0.subject" and refused.value.message.startswith("line 2:")
    assert refused_field(lambda: renderer.check(one(subject="t", text="{{ case_number | shout }}"),
                                                {"case_number"})) == "variants.0.text"
    assert renderer.problems("{% for x in items %}{{ x.title }}{{ loop.index }}{% endfor %}{{ range(3) | list }}",
                             {"items"}) == []


@pytest.mark.parametrize("forbidden", ["person_code", "subject"])
def test_a_field_naming_a_person_is_refused_in_sms_and_email_but_allowed_in_app(forbidden):
    fields = {"case_number", forbidden}
    source = "Hồ sơ {{ case_number }}: {{ %s }}" % forbidden
    assert refused_field(lambda: renderer.check(one("sms", text=source), fields)) == "variants.0.text"
    assert refused_field(lambda: renderer.check(one("email", subject=source, text="x"), fields)) == \
        "variants.0.subject"
    renderer.check(one("in_app", subject=source, text=source), fields)
    renderer.check(one("webhook", text=source), fields)


def test_a_render_gets_only_what_its_channel_may_name_even_if_the_check_was_bypassed():
    context = {"case_number": "HS-1", "person_code": "P-7731", "area_name": "Phường Nha Trang"}
    source = "{{ case_number }} {{ person_code }} {{ area_name }}"
    assert renderer.render(one("sms", text=source), "sms", "vi", context).text == "HS-1 Phường Nha Trang"
    assert renderer.render(one("in_app", subject="t", text=source), "in_app", "vi", context).text == \
        "HS-1 P-7731 Phường Nha Trang"


def test_a_missing_or_empty_allowed_field_renders_empty_and_a_bad_value_fails_clearly():
    template = one(text="[{{ to_unit }}][{{ due_on | date }}][{{ amount | number }}][{{ missing.deeper }}]")
    assert renderer.render(template, "in_app", "vi", {"to_unit": None}).text == "[][][][]"
    with pytest.raises(RenderFailed, match=r"template t v1, in_app in vi, text: ValueError"):
        renderer.render(one(text="{{ due_on | date }}"), "in_app", "vi", {"due_on": "not a date"})
    with pytest.raises(RenderFailed):
        renderer.render(one(text="{{ tested_on | time }}"), "in_app", "vi", {"tested_on": "2026-06-20"})


def test_an_sms_is_one_trimmed_line_and_subjects_never_span_lines():
    template = Template("t", 1, {("sms", "vi"): Variant(None, "  Hồ sơ\n  {{ case_number }}\n\n  tại   xã \n"),
                                 ("email", "vi"): Variant("A\n{{ case_number }}\r\nBcc: x@example.org", "a\nb")})
    assert renderer.render(template, "sms", "vi", {"case_number": "HS-1"}).text == "Hồ sơ HS-1 tại xã"
    email = renderer.render(template, "email", "en", {"case_number": "HS-1"})
    assert email.subject == "A HS-1 Bcc: x@example.org" and email.text == "a\nb"


def test_a_subject_alone_is_the_render_s_subject_without_rendering_the_text():
    """An alert's title: the text, which may fail on a value the title does not use, is not rendered."""
    template = Template("t", 1, {("in_app", "vi"): Variant("Hồ sơ\n{{ case_number }} {{ person_code }}",
                                                           "{{ due_on | date }}"),
                                 ("email", "vi"): Variant("{{ case_number }} {{ person_code }}", "x")})
    context = {"case_number": "HS-1", "person_code": "P-7731", "due_on": "not a date"}
    assert renderer.subject(template, "in_app", "en", context) == "Hồ sơ HS-1 P-7731"
    assert renderer.subject(template, "email", "vi", context) == "HS-1", "only what the channel may name"
    with pytest.raises(RenderFailed, match="in_app in vi, text"):
        renderer.render(template, "in_app", "vi", context)


def test_a_missing_language_falls_back_to_vietnamese_formatted_as_vietnamese():
    template = one(text="{{ due_on | date('long') }}")
    assert template.variant("in_app", "en") is template.variant("in_app", "vi")
    assert renderer.render(template, "in_app", "en", {"due_on": "2026-07-01"}).text == "1 tháng 7, 2026"
    with pytest.raises(KeyError):
        template.variant("sms", "vi")


def variant_data(**overrides) -> dict:
    return {"channel": "in_app", "language": "vi", "subject": "Tiêu đề", "text": "Nội dung", "html": None,
            **overrides}


def test_template_data_round_trips():
    data = {"id": "case_opened", "version": 2, "variants": [
        variant_data(), variant_data(language="en", subject="Title", text="Body"),
        variant_data(channel="email", subject="S", text="T", html="<p>T</p>"),
        variant_data(channel="sms", subject=None, text="SMS")]}
    template = template_from_data(data)
    assert template.variant("email", "vi") == Variant("S", "T", "<p>T</p>")
    assert template_to_data(template) == data


@pytest.mark.parametrize("data, field", [
    ({"variants": [variant_data(channel="fax")]}, "variants.0.channel"),
    ({"variants": [variant_data(), variant_data(language="fr")]}, "variants.1.language"),
    ({"variants": [variant_data(), variant_data()]}, "variants.1"),
    ({"variants": [variant_data(language="en")]}, "variants"),
    ({"variants": []}, "variants"),
    ({"variants": [variant_data(text="  ")]}, "variants.0.text"),
    ({"variants": [variant_data(subject=None)]}, "variants.0.subject"),
    ({"variants": [variant_data(channel="sms")]}, "variants.0.subject"),
    ({"variants": [variant_data(html="<p>x</p>")]}, "variants.0.html"),
    ({"variants": [variant_data(channel="email", html="x" * 20_001)]}, "variants.0.html"),
    ({"variants": [variant_data(colour="red")]}, "variants.0.colour"),
    ({"variants": ["text"]}, "variants.0"),
    ({"id": "Bad Id"}, "id"),
    ({"version": 0}, "version"),
    ({"version": True}, "version"),
    ({"owner": "me"}, "owner"),
])
def test_template_data_refusals_name_the_field(data, field):
    base = {"id": "case_opened", "version": 1, "variants": [variant_data()]}
    assert refused_field(lambda: template_from_data({**base, **data})) == field


def test_a_template_file_with_an_unknown_key_is_refused_naming_the_file_and_key(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("templates:\n- id: a\n  version: 1\n  variants:\n  - {channel: sms, language: vi, text: x,"
                    " colour: red}\n", encoding="utf-8")
    with pytest.raises(TemplateFileInvalid, match=r"bad\.yaml: templates\.0\.variants\.0\.colour: unknown field"):
        load_templates(path)
    path.write_text("templates: []\nextra: 1\n", encoding="utf-8")
    with pytest.raises(TemplateFileInvalid, match=r"bad\.yaml: unknown key 'extra'"):
        load_templates(path)
    path.write_text("templates:\n- {id: a, version: 1, variants: [{channel: sms, language: vi, text: x}]}\n"
                    "- {id: a, version: 2, variants: [{channel: sms, language: vi, text: y}]}\n", encoding="utf-8")
    with pytest.raises(TemplateFileInvalid, match=r"templates\.1\.id: 'a' is defined twice"):
        load_templates(path)


def test_the_catalog_is_every_published_event_of_cases_and_plans():
    types = event_types()
    assert {"cases.case.absconded", "cases.case.relapse_suspected", "plans.report.submitted",
            "plans.hotspot.re_emerged"} <= set(types)
    assert event_fields("cases.case.relapse_suspected") == {"case_id", "case_number", "commune_code", "stage",
                                                            "tested_on"}
    assert event_fields("cases.case.dose_recorded") is None and event_fields("nope") is None


SEED_EVENTS = {
    "relapse_suspected": "cases.case.relapse_suspected", "case_opened": "cases.case.opened",
    "transfer_requested": "cases.case.transfer_requested", "case_referred": "cases.case.referred",
    "case_overdue": "cases.case.overdue", "case_due_soon": "cases.case.due_soon",
    "methadone_termination_proposed": "cases.ost.termination_proposed",
    "dossier_submitted": "cases.case.dossier_submitted", "access_escalated": "cases.access.escalated",
    "task_assigned": "plans.task.assigned", "assignment_made": "plans.assignment.made",
    "task_due_soon": "plans.task.due_soon", "task_overdue": "plans.task.overdue",
    "report_due_soon": "plans.report.due_soon", "report_overdue": "plans.report.overdue",
    "report_submitted": "plans.report.submitted", "report_returned": "plans.report.returned",
    "report_approved": "plans.report.approved", "hotspot_re_emerged": "plans.hotspot.re_emerged",
    "case_absconded": "cases.case.absconded",
}
PERSON = {"person_code": "P-7731", "subject": "Trần Thị Bích Ngọc", "worker_id": "u-caseworker-9",
          "decision_number": "QĐ-118/2026", "stage": "voluntary_rehab", "role": "health_worker", "section": "treatment"}
"""Values an e-mail or SMS must never show: a person, their identity or clinical facts."""
SAMPLE = {
    **PERSON, "case_id": "c-5f1e", "case_number": "HS-22366-2026-0042", "commune_code": "22366",
    "tested_on": "2026-06-19", "due_name": "aftercare_ends_on", "due_on": "2026-07-01", "opened_on": "2026-06-01",
    "regime": "law-120-2025", "kind": "transfer", "to_commune": "22369", "to_unit": "u-ca-22369",
    "notify_police_by": "2026-06-21T08:00:00+00:00", "status": "requested", "share_id": "s-1",
    "proposal_id": "p-1", "proposed_on": "2026-06-18", "clinic_unit": "u-mmt-nt", "grant_id": "g-1",
    "expires_at": "2026-06-21T02:00:00+00:00", "task_id": "t-1", "plan_id": "kh-2026",
    "title": "Tuyên truyền phòng, chống ma túy tại các trường học trên địa bàn", "lead_unit": "u-ca-tinh",
    "supporting_units": ["u-sgd"], "assigned_units": ["u-xa-1"], "starts_on": "2026-06-01", "unit_code": "u-xa-1",
    "area_code": "22366", "assigned_on": "2026-06-02", "shares": {"u-xa-1": 1.0}, "period": "2026-06",
    "report_id": "r-1", "plan_area_code": "56", "reviewer_unit": "u-ca-tinh", "revision": 2, "late": True,
    "submitted_on": "2026-06-30", "returned_on": "2026-07-01", "approved_on": "2026-07-02", "hotspot_id": "h-1",
    "level": "high", "effective_on": "2026-06-20", "transition": "abscond", "from_stage": "in_facility",
    "to_stage": "absconded", "reason_code": None, "due": {}, "test_id": "x-1",
}
DERIVED = {"area_name": "Phường Nha Trang", "category_label": "Nghi tái nghiện", "raised_at": "2026-06-20T20:30:00Z",
           "ack_link": "https://dh.khanhhoa.gov.vn/a/Xk3f9Qp2", "alert_url": "https://dh.khanhhoa.gov.vn/alerts/a-1",
           "urgent": True, "escalation_level": 1, "ack_due_at": "2026-06-21T08:00:00+00:00"}
DIGEST = {"unit_code": "u-ca-22366", "date": "2026-06-21", "items": [
    {"title": "Hồ sơ quản lý mới HS-1 tại Phường Nha Trang", "raised_at": "2026-06-20T01:00:00Z", "urgent": False,
     "category_label": "Hồ sơ mới"},
    {"title": "Quá hạn nhiệm vụ <b>A</b>", "raised_at": "2026-06-20T20:30:00Z", "urgent": True,
     "category_label": "Quá hạn"}]}
SEEDS = load_templates()


def seed_context(template_id: str) -> tuple[set[str], dict]:
    if template_id == "digest":
        return set(DIGEST_FIELDS), {**DERIVED, **DIGEST}
    fields = event_fields(SEED_EVENTS[template_id])
    return fields, {**DERIVED, **{name: SAMPLE.get(name, "x") for name in fields}}


def test_there_is_a_seed_template_per_category_plus_absconding_and_the_digest():
    assert set(SEEDS) == set(SEED_EVENTS) | {"digest"}
    for template in SEEDS.values():
        assert set(template.variants) == {(c, lang) for c in CHANNELS for lang in LANGUAGES}, template.id


@pytest.mark.parametrize("template_id", sorted(set(SEED_EVENTS) | {"digest"}))
def test_every_seed_template_checks_clean_and_renders_a_sample_event(template_id):
    template = SEEDS[template_id]
    fields, context = seed_context(template_id)
    renderer.check(template, fields)
    for channel in CHANNELS:
        for language in LANGUAGES:
            rendered = renderer.render(template, channel, language, context)
            assert rendered.text.strip() and "None" not in rendered.text, (channel, language)
            shown = " ".join(part for part in (rendered.subject, rendered.text, rendered.html) if part)
            if channel in ("email", "sms"):
                assert not [value for value in PERSON.values() if value in shown], (channel, language)
            if channel == "sms":
                assert sms_length(rendered.text)["segments"] <= 2, (language, rendered.text)
            if channel == "email" and template_id != "digest":
                assert context["ack_link"] in rendered.text and context["ack_link"] in rendered.html
                assert rendered.html.startswith("<!DOCTYPE html>")


def test_a_seed_email_without_an_ack_link_leaves_the_acknowledgement_out():
    fields, context = seed_context("case_opened")
    rendered = renderer.render(SEEDS["case_opened"], "email", "vi", {**context, "ack_link": None,
                                                                      "escalation_level": 0})
    assert "Xác nhận" not in rendered.text and "Xác nhận" not in rendered.html and "Nhắc lại" not in rendered.text
    assert "HS-22366-2026-0042" in rendered.subject and "Phường Nha Trang" in rendered.subject


def test_the_digest_lists_its_items_in_local_time_escaped_in_html():
    _, context = seed_context("digest")
    rendered = renderer.render(SEEDS["digest"], "email", "vi", context)
    assert "- 08:00 Hồ sơ mới: Hồ sơ quản lý mới HS-1" in rendered.text
    assert "- 03:30 [KHẨN] Quá hạn: Quá hạn nhiệm vụ <b>A</b>" in rendered.text
    assert "Quá hạn nhiệm vụ &lt;b&gt;A&lt;/b&gt;" in rendered.html
    in_app = renderer.render(SEEDS["digest"], "in_app", "en", context)
    assert in_app == Variant("Alerts of Jun 21, 2026 for u-ca-22366", "2 new alerts, 1 urgent.")
