"""gunicorn entry: `services.plans.entrypoints.app:create_app()`."""
from __future__ import annotations

from shared.audit_api import audit_blp
from shared.auth import verifier_from
from shared.logs import configure_logging
from shared.settings import Settings
from shared.web import create_base_app

from services.plans.bootstrap import bootstrap
from services.plans.entrypoints.api import blp
from services.plans.entrypoints.direction_api import direction_blp
from services.plans.entrypoints.exports_api import exports_blp
from services.plans.entrypoints.hotspots_api import hotspots_blp
from services.plans.entrypoints.reports_api import reports_blp
from services.plans.entrypoints.resources_api import resources_blp
from services.plans.entrypoints.rollup_api import rollup_blp
from services.roles import ROLES


def create_app(settings: Settings | None = None):
    settings = settings or Settings.from_env("plans")
    configure_logging("plans", settings.log_level)
    app, api = create_base_app(settings, "Đồng Hành: plans", bootstrap(settings),
                               verifier=verifier_from(settings, ROLES))
    api.register_blueprint(blp)
    api.register_blueprint(direction_blp)
    api.register_blueprint(hotspots_blp)
    api.register_blueprint(resources_blp)
    api.register_blueprint(reports_blp)
    api.register_blueprint(exports_blp)
    api.register_blueprint(rollup_blp)
    api.register_blueprint(audit_blp)
    return app
