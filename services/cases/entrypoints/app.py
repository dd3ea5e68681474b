"""gunicorn entry: `services.cases.entrypoints.app:create_app()`."""
from __future__ import annotations

from shared.audit_api import audit_blp
from shared.auth import verifier_from
from shared.logs import configure_logging
from shared.settings import Settings
from shared.web import create_base_app

from services.cases.bootstrap import bootstrap
from services.cases.entrypoints.care_api import care_blp
from services.cases.entrypoints.cases_api import blp, workflows_blp
from services.cases.entrypoints.imports_api import imports_blp, install_register_uploads
from services.cases.entrypoints.people_api import people_blp
from services.cases.entrypoints.disclosure_api import disclosure_blp
from services.cases.entrypoints.sharing_api import sharing_blp
from services.roles import ROLES


def create_app(settings: Settings | None = None):
    settings = settings or Settings.from_env("cases")
    configure_logging("cases", settings.log_level)
    app, api = create_base_app(settings, "Đồng Hành: cases", bootstrap(settings),
                               verifier=verifier_from(settings, ROLES))
    install_register_uploads(app, settings)
    api.register_blueprint(imports_blp)
    api.register_blueprint(blp)
    api.register_blueprint(workflows_blp)
    api.register_blueprint(people_blp)
    api.register_blueprint(sharing_blp)
    api.register_blueprint(disclosure_blp)
    api.register_blueprint(care_blp)
    api.register_blueprint(audit_blp)
    return app
