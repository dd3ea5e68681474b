"""gunicorn entry: `services.notifications.entrypoints.app:create_app()`."""
from __future__ import annotations

from shared.audit_api import audit_blp
from shared.auth import verifier_from
from shared.logs import configure_logging
from shared.settings import Settings
from shared.web import create_base_app

from services.notifications.bootstrap import bootstrap
from services.notifications.entrypoints.ack_links import ack_blp
from services.notifications.entrypoints.api import blp
from services.notifications.entrypoints.deliveries_api import deliveries_blp
from services.notifications.entrypoints.endpoints_api import endpoints_blp
from services.notifications.entrypoints.feeds_api import feeds_blp
from services.notifications.entrypoints.members_api import members_blp
from services.notifications.entrypoints.rules_api import rules_blp
from services.roles import ROLES


def create_app(settings: Settings | None = None):
    settings = settings or Settings.from_env("notifications")
    configure_logging("notifications", settings.log_level)
    app, api = create_base_app(settings, "Đồng Hành: notifications", bootstrap(settings),
                               verifier=verifier_from(settings, ROLES))
    api.register_blueprint(blp)
    api.register_blueprint(ack_blp)
    api.register_blueprint(rules_blp)
    api.register_blueprint(members_blp)
    api.register_blueprint(endpoints_blp)
    api.register_blueprint(feeds_blp)
    api.register_blueprint(deliveries_blp)
    api.register_blueprint(audit_blp)
    return app
