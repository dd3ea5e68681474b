"""Rendering templates: Jinja2 in a sandbox, Babel for dates and numbers in the reader's language, local time in
Asia/Ho_Chi_Minh. A template is checked strictly when saved (every name it uses must be one its channel may name),
and rendered leniently (a field the event lacks prints empty) with only the fields its channel may name, so a
template that escaped the check still cannot print what it must not."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal
from jinja2 import ChainableUndefined, StrictUndefined, TemplateSyntaxError, Undefined, meta, nodes, sandbox
from jinja2.exceptions import SecurityError

from shared.refusals import DecisionInvalid
from services.notifications.domain.templates import FALLBACK_LANGUAGE, Template, Variant, allowed_fields

LOCAL_TIME = ZoneInfo("Asia/Ho_Chi_Minh")
LOCALES = {"vi": "vi_VN", "en": "en_US"}
UNSAFE_NAMES = frozenset({"mro"}).union(
    sandbox.UNSAFE_FUNCTION_ATTRIBUTES, sandbox.UNSAFE_METHOD_ATTRIBUTES, sandbox.UNSAFE_GENERATOR_ATTRIBUTES,
    sandbox.UNSAFE_COROUTINE_ATTRIBUTES, sandbox.UNSAFE_ASYNC_GENERATOR_ATTRIBUTES)
PARTS = ("subject", "text", "html")


class RenderFailed(Exception):
    """A template could not be rendered with this event (a value of the wrong kind, an unsafe access)."""


class _Sandbox(sandbox.SandboxedEnvironment):
    """Refuses an unsafe attribute at once, where Jinja's sandbox would hand back an undefined that a lenient
    render prints as empty."""

    def unsafe_undefined(self, obj, attribute):
        raise SecurityError(f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe")


def _absent(value) -> bool:
    return value is None or isinstance(value, Undefined) or value == ""


def _moment(value) -> date | None:
    """A date or an aware datetime from a value or its ISO text (event data arrives as JSON); naive means UTC."""
    if _absent(value):
        return None
    if isinstance(value, str):
        value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return value
    raise ValueError(f"not a date or time: {value!r}")


def _filters(locale: str) -> dict:
    def date_filter(value, format="medium"):
        moment = _moment(value)
        if isinstance(moment, datetime):
            moment = moment.astimezone(LOCAL_TIME).date()
        return "" if moment is None else format_date(moment, format, locale=locale)

    def datetime_filter(value, format="medium"):
        moment = _moment(value)
        if moment is None or not isinstance(moment, datetime):
            return date_filter(moment, format)
        return format_datetime(moment, format, tzinfo=LOCAL_TIME, locale=locale)

    def time_filter(value, format="short"):
        moment = _moment(value)
        if moment is not None and not isinstance(moment, datetime):
            raise ValueError(f"a date has no time of day: {value!r}")
        return "" if moment is None else format_time(moment, format, tzinfo=LOCAL_TIME, locale=locale)

    def number_filter(value, format=None):
        if _absent(value):
            return ""
        if isinstance(value, bool):
            raise ValueError(f"not a number: {value!r}")
        try:
            number = Decimal(value) if isinstance(value, str) else value
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
        return format_decimal(number, format, locale=locale)

    return {"date": date_filter, "datetime": datetime_filter, "time": time_filter, "number": number_filter}


@lru_cache(maxsize=None)
def _environment(language: str, html: bool, lenient: bool) -> _Sandbox:
    environment = _Sandbox(undefined=ChainableUndefined if lenient else StrictUndefined, autoescape=html,
                           finalize=lambda value: "" if value is None else value)
    environment.filters.update(_filters(LOCALES[language]))
    return environment


@lru_cache(maxsize=2048)
def _compiled(source: str, language: str, html: bool):
    return _environment(language, html, True).from_string(source)


class TemplateRenderer:
    def problems(self, source: str, allowed: set[str]) -> list[str]:
        """What is wrong with `source` for a channel that may name `allowed`: syntax, unknown names, filters and
        tests, and attributes the sandbox refuses; empty when it is fine."""
        environment = _environment(FALLBACK_LANGUAGE, False, False)
        try:
            tree = environment.parse(source)
        except TemplateSyntaxError as error:
            return [f"line {error.lineno}: {error.message}"]
        found = [f"line {node.lineno}: unknown filter {node.name!r}" for node in tree.find_all(nodes.Filter)
                 if node.name not in environment.filters]
        found += [f"line {node.lineno}: unknown test {node.name!r}" for node in tree.find_all(nodes.Test)
                  if node.name not in environment.tests]
        found += [f"line {node.lineno}: the sandbox refuses the attribute {name!r}" for node, name in _accesses(tree)
                  if name.startswith("_") or name in UNSAFE_NAMES]
        try:
            unknown = meta.find_undeclared_variables(tree) - set(allowed) - set(environment.globals)
        except TemplateSyntaxError as error:
            return found or [f"line {error.lineno}: {error.message}"]
        return [f"unknown variable {name!r}; this channel may name only: {', '.join(sorted(allowed))}"
                for name in sorted(unknown)] + found

    def check(self, template: Template, event_fields: set[str]) -> None:
        """Refuses a template any of whose parts has a problem for an event with `event_fields`, naming the part
        as the API sends it (`variants.1.text`)."""
        for index, ((channel, _), variant) in enumerate(template.variants.items()):
            allowed = allowed_fields(channel, event_fields)
            for part in PARTS:
                source = getattr(variant, part)
                found = self.problems(source, allowed) if source is not None else []
                if found:
                    raise DecisionInvalid(f"variants.{index}.{part}", found[0])

    def render(self, template: Template, channel: str, language: str, context: dict) -> Variant:
        """The variant for `channel` in `language` (else Vietnamese), given only the context its channel may name;
        an SMS is one trimmed line, a subject never spans lines."""
        rendered = {part: self._part(template, channel, language, context, part) for part in PARTS}
        subject, text, html = rendered["subject"], rendered["text"].strip(), rendered["html"]
        return Variant(subject=None if subject is None else _one_line(subject),
                       text=_one_line(text) if channel == "sms" else text, html=html)

    def subject(self, template: Template, channel: str, language: str, context: dict) -> str | None:
        """The subject alone of what `render` answers (an alert's title: its text is rendered when delivered)."""
        subject = self._part(template, channel, language, context, "subject")
        return None if subject is None else _one_line(subject)

    @staticmethod
    def _part(template: Template, channel: str, language: str, context: dict, part: str) -> str | None:
        variant = template.variant(channel, language)
        used = language if (channel, language) in template.variants else FALLBACK_LANGUAGE
        source = getattr(variant, part)
        if source is None:
            return None
        allowed = allowed_fields(channel, set(context))
        shown = {name: value for name, value in context.items() if name in allowed}
        try:
            return _compiled(source, used, part == "html").render(shown)
        except Exception as error:
            raise RenderFailed(f"template {template.id} v{template.version}, {channel} in {used}, {part}: "
                               f"{type(error).__name__}: {error}") from error


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _accesses(tree):
    """Each attribute a template reads by name: `x.name`, `x['name']`, `x|attr('name')`."""
    for node in tree.find_all(nodes.Getattr):
        yield node, node.attr
    for node in tree.find_all(nodes.Getitem):
        if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            yield node, node.arg.value
    for node in tree.find_all(nodes.Filter):
        if node.name == "attr" and node.args and isinstance(node.args[0], nodes.Const):
            yield node, str(node.args[0].value)
