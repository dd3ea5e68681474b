"""Contact points as the channels need them: phones in E.164 (Vietnam by default), e-mail addresses strictly
formed, endpoint URLs only over HTTP(S). Whether an endpoint's host is a private address is a network question,
answered by adapters/channels/url_safety.py."""
from __future__ import annotations

from urllib.parse import urlsplit

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from shared.refusals import DecisionInvalid

DEFAULT_REGION = "VN"
PHONE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
EMAIL_MAX = 254
LOCAL_MAX = 64


def normalise_phone(field_name: str, text: str, region: str = DEFAULT_REGION) -> str:
    """A mobile number that can take an SMS, in E.164 ("0912 345 678" -> "+84912345678")."""
    if not isinstance(text, str) or not text.strip():
        raise DecisionInvalid(field_name, "give a phone number")
    try:
        number = phonenumbers.parse(text.strip(), region)
    except phonenumbers.NumberParseException:
        raise DecisionInvalid(field_name, "not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise DecisionInvalid(field_name, "not a valid phone number")
    if phonenumbers.number_type(number) not in PHONE_TYPES:
        raise DecisionInvalid(field_name, "not a mobile number (an SMS cannot reach it)")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _refuse_unprintable(field_name: str, text: str) -> None:
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 or not c.isprintable() for c in text):
        raise DecisionInvalid(field_name, "no spaces or control characters")


def _check_domain(field_name: str, domain: str) -> None:
    labels = domain.split(".")
    if len(labels) < 2 or any(not label or len(label) > 63 or label.startswith("-") or label.endswith("-")
                              for label in labels):
        raise DecisionInvalid(field_name, "the domain after @ must be a name with a dot, like donghanh.gov.vn")
    if any(not (ch.isalnum() or ch == "-") for ch in domain.replace(".", "")):
        raise DecisionInvalid(field_name, "the domain after @ holds a character a domain cannot have")


def check_email(field_name: str, text: str) -> str:
    """One address, user@domain.tld, its domain lower-cased (the local part is the receiver's to interpret)."""
    if not isinstance(text, str) or not text.strip():
        raise DecisionInvalid(field_name, "give an e-mail address")
    text = text.strip(" ")
    if len(text) > EMAIL_MAX:
        raise DecisionInvalid(field_name, f"at most {EMAIL_MAX} characters")
    _refuse_unprintable(field_name, text)
    if text.count("@") != 1:
        raise DecisionInvalid(field_name, "an e-mail address has exactly one @")
    local, domain = text.split("@")
    if not local or len(local) > LOCAL_MAX or local.startswith(".") or local.endswith(".") or ".." in local:
        raise DecisionInvalid(field_name, "the part before @ is missing or malformed")
    if any(c in local for c in '"(),:;<>[\\]'):
        raise DecisionInvalid(field_name, "the part before @ holds a character that needs quoting")
    _check_domain(field_name, domain.lower())
    return f"{local}@{domain.lower()}"


def check_endpoint_scheme(field_name: str, url: str) -> str:
    """An agency endpoint: http(s), a host, no user:password in the URL (secrets belong in signing, not URLs)."""
    if not isinstance(url, str) or not url.strip():
        raise DecisionInvalid(field_name, "give the endpoint URL")
    _refuse_unprintable(field_name, url)
    try:
        parts = urlsplit(url)
        parts.port
    except ValueError:
        raise DecisionInvalid(field_name, "not a URL") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise DecisionInvalid(field_name, "only http and https endpoints")
    if "@" in parts.netloc:
        raise DecisionInvalid(field_name, "no user name or password in the URL")
    if not parts.hostname:
        raise DecisionInvalid(field_name, "the URL names no host")
    return url
