"""The models and the migrations agree: an autogenerate diff against a migrated database is empty."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from server.extensions import db
from tests.conftest import _pg_url, create_pg_database, drop_pg_database, make_app


@pytest.fixture(params=["postgresql", "sqlite"])
def fresh_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite'}"
        return
    name = create_pg_database()
    yield _pg_url(name).replace("postgresql://", "postgresql+psycopg://")
    drop_pg_database(name)


def _diff(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        return compare_metadata(context, db.metadata)


def test_migrations_match_the_models(fresh_url, tmp_path):
    app = make_app(fresh_url, tmp_path)
    with app.app_context():
        upgrade()
        assert _diff(app) == []
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {
            "users",
            "grids",
            "enterprises",
            "inspections",
            "hazards",
            "hazard_events",
            "photos",
            "rectifications",
            "verifications",
            "notifications",
            "reminder_deliveries",
            "safety_records",
            "briefs",
        } <= tables
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert _diff(app) == []
        db.engine.dispose()


def test_constraints_hold_in_the_database(app, world):
    """Integrity lives in the database too: an enterprise user without an enterprise cannot be stored."""
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.text("UPDATE users SET enterprise_id = NULL WHERE username = 'ent_a'"))
        db.session.flush()
    db.session.rollback()
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(
            sa.text("UPDATE enterprises SET status = 'bankrupt' WHERE id = :id"), {"id": world.enterprises[0].id}
        )
    db.session.rollback()
