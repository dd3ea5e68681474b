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
    works for no other). The RP ID defaults to PORTAL_PUBLIC_URL's host name, or "localhost" when that is an IP
    address (WebAuthn takes none); the origin defaults to the public URL when its host is the RP ID or under it,
    else to http://localhost:<its port>. The origin's host must be the RP ID or under it; https, or http on
    localhost."""

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


def _webauthn_party(env, public) -> tuple[str, str]:
    """WEBAUTHN_RP_ID and WEBAUTHN_ORIGIN, checked (PortalSettings.webauthn_rp_id)."""
    host = public.hostname or ""
    named = not _is_address(host)
    rp_id = (env.get("WEBAUTHN_RP_ID") or (host if named else "localhost")).strip().lower()
    if _is_address(rp_id) or not rp_id:
        raise SettingsError(f"WEBAUTHN_RP_ID={rp_id!r} must be a host name, not an IP address")
    default = (f"{public.scheme}://{public.netloc}" if host == rp_id or host.endswith("." + rp_id) else
               f"http://localhost{':' + str(public.port) if public.port else ''}")
    origin = (env.get("WEBAUTHN_ORIGIN") or default).rstrip("/")
    parsed = urlparse(origin)
    origin_host = parsed.hostname or ""
    if not (origin_host == rp_id or origin_host.endswith("." + rp_id)):
        raise SettingsError(f"WEBAUTHN_ORIGIN={origin!r} must be on WEBAUTHN_RP_ID={rp_id!r} or under it")
    if not (parsed.scheme == "https" or (parsed.scheme == "http" and origin_host == "localhost")) or parsed.path:
        raise SettingsError(f"WEBAUTHN_ORIGIN={origin!r} must be https://<host>[:port] (http on localhost only)")
    return rp_id, origin


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False
