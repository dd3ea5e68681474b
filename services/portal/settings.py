"""The portal's settings: the shared ones (database, data key, log level, DONGHANH_ENV) plus its own, read from
environment variables and checked once, at start."""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from shared.settings import LOOPBACK, Settings, SettingsError, _number

from services.portal.adapters.services_api import ServiceUrls
from services.portal.adapters.signing import ensure_keys


@dataclass(frozen=True)
class PortalSettings:
    base: Settings
    public_url: str
    """PORTAL_PUBLIC_URL (default http://127.0.0.1:8104): where people and the services reach the portal; it is
    also the issuer (`iss`) of its tokens, so the services set JWT_ISSUER to it and OIDC_DISCOVERY_URL to
    <it>/.well-known/openid-configuration. https, or http on loopback only."""
    private_key_file: Path
    public_key_file: Path
    """PORTAL_KEY_DIR (default var/keys/portal): the signing key pair, generated at first start."""
    per_account: int
    per_address: int
    """PORTAL_ATTEMPTS_PER_ACCOUNT (10) and PORTAL_ATTEMPTS_PER_ADDRESS (30): sign-in attempts per minute."""
    proxy_hops: int
    """PORTAL_PROXY_HOPS (0): how many reverse proxies in front of the portal set X-Forwarded-For/-Proto; the
    client address of the rate limit and the login log is read past them."""
    services: ServiceUrls = ServiceUrls()
    """Where the pages reach the three services' APIs, and how long they wait (adapters/services_api.py)."""
    webauthn_rp_id: str = "localhost"
    webauthn_origin: str = "http://localhost:8104"
    """WEBAUTHN_RP_ID and WEBAUTHN_ORIGIN: the relying party of security keys (a key registered under one RP ID
    works for no other). The RP ID defaults to PORTAL_PUBLIC_URL's host name, or "localhost" when that is a
    loopback address (WebAuthn takes no IP address); it must be the public host or a registrable suffix of it, and a
    public URL on any other IP address needs both set. The origin defaults to the public URL's scheme://host[:port],
    lowercased, without the scheme's default port (http://localhost:<port> on loopback); it must be on the RP ID,
    https, or http on localhost."""

    @property
    def secure_cookies(self) -> bool:
        """Cookies are Secure whenever the portal is served over https; only plain http on loopback (the local
        demo and the tests) sends them without, since a browser would not return a Secure cookie over http."""
        return urlparse(self.public_url).scheme == "https"

    @classmethod
    def from_env(cls, env=None) -> "PortalSettings":
        env = os.environ if env is None else env
        var_dir = Path(env.get("DH_VAR_DIR") or Path.cwd() / "var")
        public_url = (env.get("PORTAL_PUBLIC_URL") or "http://127.0.0.1:8104").rstrip("/")
        parsed = urlparse(public_url)
        if not (parsed.scheme == "https" or (parsed.scheme == "http" and parsed.hostname in LOOPBACK)):
            raise SettingsError(f"PORTAL_PUBLIC_URL={public_url!r} must be https (plain http on loopback only)")
        private, public = ensure_keys(Path(env.get("PORTAL_KEY_DIR") or var_dir / "keys" / "portal"))
        base = Settings.from_env("portal", {**env, "JWT_PUBLIC_KEY_FILE": str(public), "OIDC_DISCOVERY_URL": "",
                                            "JWT_ISSUER": public_url})
        rp_id, origin = _webauthn_party(env, parsed)
        return cls(base=base, public_url=public_url, private_key_file=private, public_key_file=public,
                   per_account=_number(env, "PORTAL_ATTEMPTS_PER_ACCOUNT", 10, minimum=1),
                   per_address=_number(env, "PORTAL_ATTEMPTS_PER_ADDRESS", 30, minimum=1),
                   proxy_hops=_number(env, "PORTAL_PROXY_HOPS", 0), services=ServiceUrls.from_env(env),
                   webauthn_rp_id=rp_id, webauthn_origin=origin)


DEFAULT_PORTS = {"https": 443, "http": 80}
PUBLIC_SECOND_LEVELS = frozenset({"ac", "co", "com", "edu", "gov", "health", "info", "int", "mil", "name", "net",
                                  "org", "pro"})
"""Second-level labels under which a two-letter country domain registers names (gov.vn, com.vn, co.uk): an RP ID
of that shape is a public suffix, which browsers refuse. No public-suffix list is bundled, so this is a check for
the likely mistakes, not the full rule."""


def _origin(scheme: str, host: str, port: int | None) -> str:
    """scheme://host[:port] as a browser sends it: lowercased, the scheme's default port left out."""
    scheme, host = scheme.lower(), host.lower()
    return f"{scheme}://{host}" if port in (None, DEFAULT_PORTS.get(scheme)) else f"{scheme}://{host}:{port}"


def _registrable(rp_id: str) -> bool:
    labels = rp_id.split(".")
    if rp_id == "localhost":
        return True
    if len(labels) < 2 or not all(labels):
        return False
    return not (len(labels) == 2 and len(labels[1]) == 2 and labels[0] in PUBLIC_SECOND_LEVELS)


def _on(host: str, rp_id: str) -> bool:
    return host == rp_id or host.endswith("." + rp_id)


def _webauthn_party(env, public) -> tuple[str, str]:
    """WEBAUTHN_RP_ID and WEBAUTHN_ORIGIN, checked (PortalSettings.webauthn_rp_id): a setting under which no key
    could ever register stops the start rather than hiding a broken page."""
    host = (public.hostname or "").lower()
    loopback = host in LOOPBACK
    if _is_address(host) and not loopback and not env.get("WEBAUTHN_RP_ID"):
        raise SettingsError(f"PORTAL_PUBLIC_URL's host {host!r} is an IP address, which WebAuthn takes no key for: "
                            "set WEBAUTHN_RP_ID and WEBAUTHN_ORIGIN to the host name people browse")
    rp_id = (env.get("WEBAUTHN_RP_ID") or (host if not loopback else "localhost")).strip().lower()
    if _is_address(rp_id) or not _registrable(rp_id):
        raise SettingsError(f"WEBAUTHN_RP_ID={rp_id!r} must be a registrable host name, not an IP address or a "
                            "public suffix")
    if not _is_address(host) and not _on(host, rp_id) and not (loopback and rp_id == "localhost"):
        raise SettingsError(f"WEBAUTHN_RP_ID={rp_id!r} must be PORTAL_PUBLIC_URL's host {host!r} or a registrable "
                            "suffix of it")
    if env.get("WEBAUTHN_ORIGIN"):
        given = urlparse(env["WEBAUTHN_ORIGIN"].strip().rstrip("/"))
        if given.path or given.params or given.query or given.fragment or not given.hostname:
            raise SettingsError(f"WEBAUTHN_ORIGIN={env['WEBAUTHN_ORIGIN']!r} must be https://<host>[:port]")
        origin = _origin(given.scheme, given.hostname, given.port)
    elif _on(host, rp_id):
        origin = _origin(public.scheme, host, public.port)
    elif loopback and rp_id == "localhost":
        origin = _origin(public.scheme, "localhost", public.port)
    else:
        raise SettingsError(f"PORTAL_PUBLIC_URL's host {host!r} is not on WEBAUTHN_RP_ID={rp_id!r}: set "
                            "WEBAUTHN_ORIGIN")
    parsed = urlparse(origin)
    origin_host = parsed.hostname or ""
    if not _on(origin_host, rp_id):
        raise SettingsError(f"WEBAUTHN_ORIGIN={origin!r} must be on WEBAUTHN_RP_ID={rp_id!r} or under it")
    if not (parsed.scheme == "https" or (parsed.scheme == "http" and origin_host == "localhost")):
        raise SettingsError(f"WEBAUTHN_ORIGIN={origin!r} must be https://<host>[:port] (http on localhost only)")
    return rp_id, origin


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False
