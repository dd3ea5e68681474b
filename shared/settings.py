"""Settings read from environment variables and validated once, at start."""
from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from shared.areas import MergeTableError, read_merges

SERVICES = ("plans", "cases", "notifications")
"""The services that publish events (each has an exchange `<service>.events`)."""
APPLICATIONS = (*SERVICES, "portal")
"""Every process with settings of its own: the services and the portal (the sign-in and the web application)."""
ENVIRONMENTS = ("production", "development")
LOOPBACK = ("127.0.0.1", "::1", "localhost")


def environment_of(env=None) -> str:
    """DONGHANH_ENV: `development` (deploy/env.sh sets it for the local system and the tests) lets the local
    issuer mint tokens from the command line; anything else is production."""
    env = os.environ if env is None else env
    value = env.get("DONGHANH_ENV") or "production"
    if value not in ENVIRONMENTS:
        raise SettingsError(f"DONGHANH_ENV={value!r} must be {' or '.join(ENVIRONMENTS)}")
    return value


class SettingsError(ValueError):
    """A setting has a value the services cannot run with; the message names the variable."""


def _text(env, name, default=None, required=False):
    value = env.get(name, default)
    if required and not value:
        raise SettingsError(f"{name} is required")
    return value


def _number(env, name, default, kind=int, minimum=0):
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a {kind.__name__}") from None
    if value < minimum:
        raise SettingsError(f"{name}={raw!r} must be at least {minimum}")
    return value


def _url(env, name, default, schemes):
    value = env.get(name) or default
    if urlparse(value).scheme not in schemes:
        raise SettingsError(f"{name}={value!r} must be a URL with scheme {' or '.join(schemes)}")
    return value


def _data_key(env, var_dir: Path) -> bytes:
    """The master key for encryption at rest: DH_DATA_KEY, or the file DH_DATA_KEY_FILE (var/secrets/data-key)."""
    raw = env.get("DH_DATA_KEY")
    source = "DH_DATA_KEY"
    if not raw:
        path = Path(env.get("DH_DATA_KEY_FILE") or var_dir / "secrets" / "data-key")
        source = f"DH_DATA_KEY_FILE={str(path)!r}"
        if not path.is_file():
            raise SettingsError(f"{source} does not exist; set DH_DATA_KEY or run deploy/run.sh once")
        raw = path.read_text().strip()
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise SettingsError(f"{source} is not base64") from None
    if len(key) != 32:
        raise SettingsError(f"{source} must hold 32 bytes (base64), not {len(key)}")
    return key


def _lookup_key(env, var_dir: Path) -> bytes | None:
    """The key of the keyed hashes that find a person by ID number: DH_LOOKUP_KEY_FILE (var/secrets/lookup-key),
    apart from the master keys. A system set up before it existed has none: its hashes stay derived from the data
    key (docs/operations.md, "Keys")."""
    path = Path(env.get("DH_LOOKUP_KEY_FILE") or var_dir / "secrets" / "lookup-key")
    if not path.is_file():
        if env.get("DH_LOOKUP_KEY_FILE"):
            raise SettingsError(f"DH_LOOKUP_KEY_FILE={str(path)!r} does not exist")
        return None
    try:
        key = base64.b64decode(path.read_text().strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SettingsError(f"DH_LOOKUP_KEY_FILE={str(path)!r} is not base64") from None
    if len(key) != 32:
        raise SettingsError(f"DH_LOOKUP_KEY_FILE={str(path)!r} must hold 32 bytes (base64), not {len(key)}")
    return key


def _ca_file(env) -> str | None:
    """AMQP_CA_FILE: the certificate authority an amqps:// broker's certificate is checked against (unset: the
    system's)."""
    raw = env.get("AMQP_CA_FILE")
    if raw and not Path(raw).is_file():
        raise SettingsError(f"AMQP_CA_FILE={raw!r} does not exist")
    return raw or None


DEFAULT_AREA_MERGES_FILE = Path(__file__).resolve().parent.parent / "deploy" / "area-merges.csv"


def _area_merges_file(env) -> Path | None:
    """AREA_MERGES_FILE (checked now, so a broken table stops the service at start), or the default if present."""
    raw = env.get("AREA_MERGES_FILE")
    path = Path(raw) if raw else DEFAULT_AREA_MERGES_FILE
    if not path.is_file():
        if raw:
            raise SettingsError(f"AREA_MERGES_FILE={raw!r} does not exist")
        return None
    try:
        read_merges(path)
    except (MergeTableError, UnicodeDecodeError) as error:
        raise SettingsError(f"AREA_MERGES_FILE: {error}") from None
    return path


@dataclass(frozen=True)
class Settings:
    service: str
    mongodb_uri: str
    mongodb_db: str
    mongodb_timeout_ms: int
    amqp_url: str
    amqp_heartbeat: int
    amqp_ca_file: str | None
    jwt_audience: str
    jwt_issuer: str
    jwt_public_key_file: str | None
    jwt_private_key_file: str | None
    oidc_discovery_url: str | None
    province_code: str
    relay_poll_seconds: float
    relay_grace_seconds: float
    confirm_timeout_seconds: float
    consumer_prefetch: int
    consumer_batch: int
    fault_delay_after_effect_ms: int
    timer_interval_seconds: float
    log_level: str
    var_dir: Path
    data_key: bytes = field(repr=False, default=b"")
    cases_mongodb_db: str = ""
    """The cases service's database, which the plans' recount reads (never writes): CASES_MONGODB_DB, by default
    the cases database under the same prefix."""
    area_merges_file: Path | None = None
    """The table of communes merged in 2025 (old_code,old_name,new_code): AREA_MERGES_FILE, by default
    deploy/area-merges.csv (shared/areas.py reads it)."""
    notify_public_url: str = "http://127.0.0.1:8103"
    """Where people reach the notifications service from outside (the acknowledgement links in e-mails and SMS):
    NOTIFY_PUBLIC_URL."""
    environment: str = "production"
    """DONGHANH_ENV (environment_of)."""
    master_keys_file: Path | None = None
    """DH_MASTER_KEYS_FILE: the ring of master keys that wrap each person's data key (shared/keys.py)."""
    lookup_key: bytes | None = field(repr=False, default=None)
    audit_key_file: Path | None = None
    """DH_AUDIT_KEY_FILE: the ring of keys the audit chain's MACs are keyed with (shared/audit_keys.py), read by the
    services' AuditLog and by `python -m shared.audit_verify`."""
    break_glass_per_day: int = 3
    """BREAK_GLASS_PER_DAY: how many protected sections one health worker may open by breaking the glass in a day;
    one more answers 429 (a cap against browsing by emergency)."""
    export_max_rows: int = 5000
    """EXPORT_MAX_ROWS: the most cases one spreadsheet export may hold; a larger one is refused (narrow the
    filters)."""
    register_max_bytes: int = 5 * 1024 * 1024
    """REGISTER_MAX_BYTES: the largest caseload register an upload may bring (the API's other bodies: 2 MB)."""
    register_max_rows: int = 5000
    """REGISTER_MAX_ROWS: the most rows one uploaded register may hold."""
    cases_cached: int = 1000
    """CASES_CACHED: how many cases (and their alert logs) each process keeps decoded; a cached case is read with
    one lookup of its next event instead of a snapshot read and decode (shared/repository.py). 0: none."""
    counted_list_above: int = 3000
    """CASE_LIST_COUNTED_ABOVE: a case list matching more cases than this (by the case counts) is read back by
    opening day with its total from the counts (services/cases/service_layer/lists.py)."""

    @classmethod
    def from_env(cls, service: str, env=None) -> "Settings":
        env = os.environ if env is None else env
        if service not in APPLICATIONS:
            raise SettingsError(f"unknown service {service!r}; expected one of {', '.join(APPLICATIONS)}")
        var_dir = Path(_text(env, "DH_VAR_DIR", str(Path.cwd() / "var")))
        public_key = _text(env, "JWT_PUBLIC_KEY_FILE", str(var_dir / "keys" / "jwt-public.pem"))
        discovery = _text(env, "OIDC_DISCOVERY_URL")
        if discovery:
            _url(env, "OIDC_DISCOVERY_URL", discovery, ("https", "http"))
            if urlparse(discovery).scheme == "http" and urlparse(discovery).hostname not in LOOPBACK:
                raise SettingsError(f"OIDC_DISCOVERY_URL={discovery!r} must be https (plain http is for loopback "
                                    "only)")
        elif service != "portal" and environment_of(env) == "production":
            raise SettingsError("OIDC_DISCOVERY_URL is required in production (DONGHANH_ENV unset or production): "
                                "the local key file is for development only")
        elif not Path(public_key).is_file():
            raise SettingsError(
                f"JWT_PUBLIC_KEY_FILE={public_key!r} does not exist; run `python -m shared.auth keygen` "
                "or set OIDC_DISCOVERY_URL")
        province = _text(env, "DH_PROVINCE_CODE", "56")
        if not (province.isdigit() and len(province) == 2):
            raise SettingsError(f"DH_PROVINCE_CODE={province!r} must be a two-digit province code")
        log_level = _text(env, "LOG_LEVEL", "INFO").upper()
        if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise SettingsError(f"LOG_LEVEL={log_level!r} must be DEBUG, INFO, WARNING or ERROR")
        data_key = _data_key(env, var_dir)
        prefix = _text(env, "MONGODB_DB_PREFIX", "donghanh")
        if not prefix.replace("_", "").isalnum():
            raise SettingsError(f"MONGODB_DB_PREFIX={prefix!r} may hold only letters, digits and _")
        return cls(
            service=service,
            mongodb_uri=_url(env, "MONGODB_URI", "mongodb://127.0.0.1:27017/", ("mongodb", "mongodb+srv")),
            mongodb_db=f"{prefix}_{service}",
            mongodb_timeout_ms=_number(env, "MONGODB_TIMEOUT_MS", 2000, minimum=100),
            amqp_url=_url(env, "AMQP_URL", "amqp://donghanh:donghanh@127.0.0.1:5672/donghanh", ("amqp", "amqps")),
            amqp_heartbeat=_number(env, "AMQP_HEARTBEAT", 30, minimum=0),
            amqp_ca_file=_ca_file(env),
            jwt_audience=_text(env, "JWT_AUDIENCE", "donghanh"),
            jwt_issuer=_text(env, "JWT_ISSUER", "donghanh-local"),
            jwt_public_key_file=None if discovery else public_key,
            jwt_private_key_file=_text(env, "JWT_PRIVATE_KEY_FILE", str(var_dir / "keys" / "jwt-private.pem")),
            oidc_discovery_url=discovery,
            province_code=province,
            relay_poll_seconds=_number(env, "RELAY_POLL_SECONDS", 0.05, kind=float, minimum=0.001),
            relay_grace_seconds=_number(env, "RELAY_GRACE_SECONDS", 300.0, kind=float, minimum=1),
            confirm_timeout_seconds=_number(env, "CONFIRM_TIMEOUT_SECONDS", 5.0, kind=float, minimum=0.1),
            consumer_prefetch=_number(env, "CONSUMER_PREFETCH", 20, minimum=1),
            consumer_batch=_number(env, "CONSUMER_BATCH", 100, minimum=1),
            fault_delay_after_effect_ms=_number(env, "FAULT_DELAY_AFTER_EFFECT_MS", 0),
            timer_interval_seconds=_number(env, "TIMER_INTERVAL_SECONDS", 60.0, kind=float, minimum=0.1),
            log_level=log_level,
            var_dir=var_dir,
            data_key=data_key,
            cases_mongodb_db=_text(env, "CASES_MONGODB_DB", f"{prefix}_cases"),
            area_merges_file=_area_merges_file(env),
            notify_public_url=_url(env, "NOTIFY_PUBLIC_URL", "http://127.0.0.1:8103", ("https", "http")),
            environment=environment_of(env),
            break_glass_per_day=_number(env, "BREAK_GLASS_PER_DAY", 3, minimum=1),
            export_max_rows=_number(env, "EXPORT_MAX_ROWS", 5000, minimum=1),
            counted_list_above=_number(env, "CASE_LIST_COUNTED_ABOVE", 3000, minimum=0),
            cases_cached=_number(env, "CASES_CACHED", 1000, minimum=0),
            register_max_bytes=_number(env, "REGISTER_MAX_BYTES", 5 * 1024 * 1024, minimum=1),
            register_max_rows=_number(env, "REGISTER_MAX_ROWS", 5000, minimum=1),
            master_keys_file=Path(_text(env, "DH_MASTER_KEYS_FILE", str(var_dir / "secrets" / "master-keys.json"))),
            lookup_key=_lookup_key(env, var_dir),
            audit_key_file=Path(_text(env, "DH_AUDIT_KEY_FILE", str(var_dir / "secrets" / "audit-key.json"))),
        )
