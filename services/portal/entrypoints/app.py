"""gunicorn entry: `services.portal.entrypoints.app:create_app()`."""
from __future__ import annotations

from pathlib import Path

from flask_babel import Babel
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from shared import runtime
from shared.auth import TokenVerifier
from shared.crypto import derived_key
from shared.logs import configure_logging
from shared.problems import problem
from shared.web import create_base_app

from services.portal.bootstrap import bootstrap
from services.portal.domain.errors import TooManyAttempts
from services.portal.entrypoints.case_actions import ACTION_FILTERS
from services.portal.entrypoints.case_pages import CASE_FILTERS
from services.portal.entrypoints.clinic_pages import install_clinic_pages
from services.portal.entrypoints.disclosure_pages import install_disclosure_pages
from services.portal.entrypoints.admin_api import accounts_blp, clients_blp
from services.portal.entrypoints.admin_pages import ADMIN_FILTERS
from services.portal.entrypoints.oauth import install_oidc
from services.portal.entrypoints.pages import PAGE_FILTERS
from services.portal.entrypoints.plan_pages import PLAN_FILTERS
from services.portal.entrypoints.register_pages import install_register_pages
from services.portal.entrypoints.security_keys import install_security_keys
from services.portal.entrypoints.web import (form_expired, install_form_controls, install_page_gettext, locale,
                                            web)
from services.portal.settings import PortalSettings
from services.roles import ROLES

TRANSLATIONS = str(Path(__file__).resolve().parent.parent / "translations")


def create_app(settings: PortalSettings | None = None, *, hasher=None, clock=None):
    """`hasher` and `clock` are for tests (cheaper argon2, a moved clock)."""
    settings = settings or PortalSettings.from_env()
    configure_logging("portal", settings.base.log_level)
    bus = bootstrap(settings, hasher=hasher, clock=clock)
    verifier = TokenVerifier(settings.base.jwt_audience, settings.public_url, str(settings.public_key_file),
                             roles=ROLES)
    app, api = create_base_app(settings.base, "Đồng Hành: portal (sign-in and accounts)", bus, verifier,
                               api_prefix="/api/", readiness={"database": runtime.database_ping})
    app.config.update(
        SECRET_KEY=derived_key(settings.base.data_key, "portal-forms"),
        SESSION_COOKIE_NAME="dh_form", SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies, WTF_CSRF_CHECK_DEFAULT=False,
        BABEL_DEFAULT_LOCALE="vi", BABEL_DEFAULT_TIMEZONE="Asia/Ho_Chi_Minh",
        BABEL_TRANSLATION_DIRECTORIES=TRANSLATIONS)
    app.extensions["portal_settings"] = settings
    if settings.proxy_hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops)
    CSRFProtect(app)
    Babel(app, locale_selector=locale)
    install_page_gettext(app)
    install_form_controls(app)
    app.jinja_env.filters.update(PAGE_FILTERS, **CASE_FILTERS)
    app.jinja_env.filters.update(PLAN_FILTERS)
    app.jinja_env.filters.update(ADMIN_FILTERS)
    app.jinja_env.filters.update(ACTION_FILTERS)
    app.jinja_env.globals.update(ACTION_FILTERS)
    install_register_pages(app)
    install_clinic_pages(app)
    install_disclosure_pages(app)
    install_security_keys(app)
    app.register_blueprint(web)
    app.register_error_handler(CSRFError, form_expired)
    app.register_error_handler(TooManyAttempts, _too_many)
    install_oidc(app, settings.public_url)
    api.register_blueprint(accounts_blp)
    api.register_blueprint(clients_blp)
    return app


def _too_many(error: TooManyAttempts):
    response = problem(429, error.title, error.detail)
    response.headers["Retry-After"] = str(error.retry_after)
    return response
