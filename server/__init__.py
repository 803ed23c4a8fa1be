"""The Flask application factory."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from flask import Flask

from server.config import INSTANCE_DIR, Config, as_mapping

log = logging.getLogger(__name__)


def _secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment; on a bare machine, a random one kept in instance/."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    os.chmod(path, 0o600)
    return key


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(INSTANCE_DIR), instance_relative_config=True)
    app.config.update(as_mapping(Config()))
    if test_config:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(Path(app.instance_path))
    app.config.update(
        API_TITLE="园区安全巡查与隐患整改 API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="v1/openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/api/docs/assets/",
        JSON_SORT_KEYS=False,
    )
    app.json.ensure_ascii = False  # Chinese text as is (API.md)
    app.json.sort_keys = False
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from server import auth, errors, models, security  # noqa: F401 - models register the tables
    from server.audit import service as audit
    from server.extensions import db, limiter, migrate

    db.init_app(app)
    migrate.init_app(
        app, db, render_as_batch=True, directory=str(Path(__file__).resolve().parent.parent / "migrations")
    )
    auth.init_app(app)
    limiter.init_app(app)
    errors.init_app(app)
    audit.init_app(app)
    security.init_app(app)

    api = errors.ParkApi(app, spec_kwargs={"extra_plugins": [auth.AccessDocPlugin(app)]})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    _register_blueprints(app, api)
    auth.check_rules(app)

    from server import cli
    from server.celery_setup import celery_init_app

    celery_init_app(app)
    cli.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _sqlite_pragmas(app)
    return app


def _register_blueprints(app: Flask, api) -> None:
    from server import system, web
    from server.accounts.api import auth_blp, grids_blp, users_blp
    from server.audit.api import blp as audit_blp
    from server.briefs.api import blp as briefs_blp
    from server.enterprises.api import blp as enterprises_blp
    from server.hazards.api import blp as hazards_blp
    from server.hazards.api import photos_blp
    from server.inspections.api import blp as inspections_blp
    from server.notifications.api import blp as notifications_blp
    from server.records.api import blp as records_blp
    from server.reminders.api import blp as reminders_blp
    from server.stats.api import blp as stats_blp

    for blp in (
        system.blp,
        auth_blp,
        users_blp,
        grids_blp,
        enterprises_blp,
        inspections_blp,
        hazards_blp,
        photos_blp,
        notifications_blp,
        reminders_blp,
        records_blp,
        stats_blp,
        briefs_blp,
        audit_blp,
    ):
        api.register_blueprint(blp)
    app.register_blueprint(system.docs_assets)
    app.register_blueprint(web.blp)


def _sqlite_pragmas(app: Flask) -> None:
    """Foreign keys on, WAL and a busy timeout so the API and the worker can share the file."""
    import sqlalchemy as sa

    from server.extensions import db

    with app.app_context():
        engine = db.engine

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()
