"""The portal's settings: the shared ones (database, data key, log level, DONGHANH_ENV) plus its own, read from
environment variables and checked once, at start."""
from __future__ import annotations

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
        return cls(base=base, public_url=public_url, private_key_file=private, public_key_file=public,
                   per_account=_number(env, "PORTAL_ATTEMPTS_PER_ACCOUNT", 10, minimum=1),
                   per_address=_number(env, "PORTAL_ATTEMPTS_PER_ADDRESS", 30, minimum=1),
                   proxy_hops=_number(env, "PORTAL_PROXY_HOPS", 0), services=ServiceUrls.from_env(env))
