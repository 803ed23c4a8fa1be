"""Health of the service, and the offline API documentation page's assets."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint as FlaskBlueprint
from flask import current_app, send_from_directory
from flask.views import MethodView
from flask_smorest import Blueprint
from kombu import Connection

from schemas.accounts import HealthSchema
from server.auth import public
from server.extensions import db

log = logging.getLogger(__name__)

blp = Blueprint("system", __name__, url_prefix="/api/v1", description="Service health")


def database_ok() -> bool:
    try:
        db.session.execute(sa.text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - reported, not raised
        log.warning("database check failed", exc_info=True)
        db.session.rollback()
        return False


def broker_ok() -> bool:
    try:
        with Connection(current_app.config["CELERY_BROKER_URL"], connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:  # noqa: BLE001
        log.warning("broker check failed", exc_info=True)
        return False


@blp.route("/health")
class HealthView(MethodView):
    @public
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="The database does not answer")
    def get(self):
        """Database and broker status; `status` is `ok` when the database answers."""
        database = database_ok()
        body = {
            "status": "ok" if database else "unavailable",
            "database": "ok" if database else "unavailable",
            "broker": "ok" if broker_ok() else "unavailable",
        }
        return body, (200 if database else 503)


# Swagger UI's files come from the swagger-ui-bundle package: the docs page needs no internet.
docs_assets = FlaskBlueprint("docs_assets", __name__)


@docs_assets.route("/api/docs/assets/<path:filename>")
def swagger_asset(filename: str):
    import swagger_ui_bundle

    return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=86400)
