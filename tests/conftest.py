"""Fixtures: a real PostgreSQL database and a SQLite file, migrated once per run; a fresh app per backend.

Every test that takes `app` (or anything built on it) runs on both databases. Redis is the broker.
Set TEST_DATABASE_URL (a PostgreSQL server where databases may be created) and TEST_REDIS_URL.
"""

from __future__ import annotations

import io
import os
import shutil
import uuid
from dataclasses import dataclass, field

import psycopg
import pytest
import sqlalchemy as sa

from server import create_app
from server.extensions import db, limiter

PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PASSWORD = "correct-horse-1"


def _pg_url(dbname: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{dbname}"


def create_pg_database() -> str:
    name = f"park_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_pg_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_app(database_url: str, tmp_path, **overrides):
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key-0123456789abcdef0123456789",
        "CELERY_BROKER_URL": REDIS_URL,
        "MEDIA_ROOT": str(tmp_path / "media"),
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session", autouse=True)
def clean_broker():
    """Start every run with an empty Redis test database: no stale task messages."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield
    client.flushdb()


@pytest.fixture(scope="session", params=["postgresql", "sqlite"])
def backend(request, tmp_path_factory):
    """A migrated, empty database of each kind; yields its SQLAlchemy URL."""
    from flask_migrate import upgrade

    if request.param == "postgresql":
        name = create_pg_database()
        url = _pg_url(name).replace("postgresql://", "postgresql+psycopg://")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'park.sqlite'}"
    app = make_app(url, tmp_path_factory.mktemp("media"))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield request.param, url
    if request.param == "postgresql":
        drop_pg_database(name)


@pytest.fixture(scope="session")
def session_app(backend, tmp_path_factory):
    _, url = backend
    app = make_app(url, tmp_path_factory.mktemp("media"))
    yield app
    with app.app_context():
        db.engine.dispose()


def _empty_tables(app) -> None:
    with app.app_context():
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        if db.engine.dialect.name == "postgresql":
            db.session.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                db.session.execute(sa.text(f"DELETE FROM {table}"))
        db.session.commit()


@pytest.fixture
def app(session_app):
    """The app of the current backend, with every table and the media folder emptied after the test."""
    with session_app.app_context():
        yield session_app
        db.session.remove()
    _empty_tables(session_app)
    shutil.rmtree(session_app.config["MEDIA_ROOT"], ignore_errors=True)
    with session_app.app_context():
        limiter.reset()  # log-in counters start afresh for every test


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def count(model, *where) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


@dataclass
class World:
    """Two grids with one enterprise each, and a user per role (two inspectors, two enterprises)."""

    client: object
    grids: list = field(default_factory=list)
    enterprises: list = field(default_factory=list)
    users: dict = field(default_factory=dict)
    _tokens: dict = field(default_factory=dict)

    def token(self, username: str) -> str:
        if username not in self._tokens:
            r = self.client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
            assert r.status_code == 200, r.get_json()
            self._tokens[username] = r.get_json()["access_token"]
        return self._tokens[username]

    def headers(self, username: str, **extra) -> dict:
        return {"Authorization": f"Bearer {self.token(username)}", **extra}

    def get(self, username, url, **kw):
        return self.client.get(url, headers=self.headers(username), **kw)

    def post(self, username, url, **kw):
        return self.client.post(url, headers=self.headers(username), **kw)

    def patch(self, username, url, **kw):
        return self.client.patch(url, headers=self.headers(username), **kw)


VALID_CODES = ["91330100716105852F", "9144030071526726XG", "91110000802100433B"]


@pytest.fixture
def world(app, client) -> World:
    return build_world(client)


def build_world(client) -> World:
    """Two grids with one enterprise each and a user per role (inside the app's context)."""
    from server.accounts.service import create_grid, create_user
    from server.enterprises.service import create_enterprise

    w = World(client=client)
    insp_a = create_user("insp_a", PASSWORD, "inspector", display_name="张建国")
    insp_b = create_user("insp_b", PASSWORD, "inspector", display_name="王丽华")
    w.grids = [create_grid("第一网格", inspector_ids=[insp_a.id]), create_grid("第二网格", inspector_ids=[insp_b.id])]
    w.enterprises = [
        create_enterprise(
            {"name": "苏州恒瑞精密机械有限公司", "credit_code": VALID_CODES[0], "grid_id": w.grids[0].id}
        ),
        create_enterprise({"name": "滨江华兴化工有限公司", "credit_code": VALID_CODES[1], "grid_id": w.grids[1].id}),
    ]
    w.users = {
        "admin": create_user("admin", PASSWORD, "admin"),
        "office": create_user("office", PASSWORD, "office"),
        "leader": create_user("leader", PASSWORD, "leader"),
        "insp_a": insp_a,
        "insp_b": insp_b,
        "ent_a": create_user("ent_a", PASSWORD, "enterprise", enterprise_id=w.enterprises[0].id),
        "ent_b": create_user("ent_b", PASSWORD, "enterprise", enterprise_id=w.enterprises[1].id),
    }
    db.session.commit()
    return w


def pytest_configure(config):
    config.addinivalue_line("markers", "system: starts the whole system as the README does (API, worker, beat)")


PLAN_FOR_TESTS = {
    "responsible": "总经理 王海",
    "measures": "停用并更换储罐",
    "funds": 150000,
    "deadline": "2099-03-31",
    "contingency": "应急预案见附件",
}


def new_uuid() -> str:
    return str(uuid.uuid4())


def park_iso(days: float = 0, hours: float = 0) -> str:
    """An ISO time in park time (+08:00), relative to now."""
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    moment = datetime.now(UTC) + timedelta(days=days, hours=hours)
    return moment.astimezone(ZoneInfo("Asia/Shanghai")).isoformat()


@pytest.fixture
def phone(world):
    """Helpers that act through the API as the phones do."""
    return Phone(world)


def small_jpeg(seed: int | None = None) -> bytes:
    """A small real JPEG, different for each seed."""
    from PIL import Image

    seed = uuid.uuid4().int % 2**24 if seed is None else seed
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (seed % 256, (seed >> 8) % 256, (seed >> 16) % 256)).save(out, "JPEG")
    return out.getvalue()


class Phone:
    def __init__(self, world: World):
        self.w = world

    def inspection(self, username="insp_a", enterprise=0, **extra) -> dict:
        body = {
            "client_uuid": new_uuid(),
            "enterprise_id": self.w.enterprises[enterprise].id,
            "kind": "routine",
            "started_at": park_iso(hours=-2),
        }
        body.update(extra)
        r = self.w.post(username, "/api/v1/inspections", json=body)
        assert r.status_code == 201, r.get_json()
        return r.get_json()

    def hazard_body(self, inspection: dict | None, enterprise=0, **extra) -> dict:
        body = {
            "client_uuid": new_uuid(),
            "enterprise_id": self.w.enterprises[enterprise].id,
            "location": "二号车间东侧配电间",
            "description": "配电箱前堆放纸箱等可燃物，占用检修通道",
            "category": "electrical",
            "level": "general",
            "found_at": park_iso(hours=-1),
        }
        if inspection:
            body["inspection_id"] = inspection["id"]
        body.update(extra)
        return body

    def hazard(self, username="insp_a", enterprise=0, **extra) -> dict:
        inspection = self.inspection(username, enterprise) if username.startswith("insp") else None
        r = self.w.post(username, "/api/v1/hazards", json=self.hazard_body(inspection, enterprise, **extra))
        assert r.status_code == 201, r.get_json()
        return r.get_json()

    def photo(self, username, hazard_id, stage, data: bytes | None = None, name="photo.jpg", **form):
        data = data if data is not None else small_jpeg()
        return self.w.client.post(
            f"/api/v1/hazards/{hazard_id}/photos",
            data={"stage": stage, "file": (io.BytesIO(data), name), **form},
            headers=self.w.headers(username),
            content_type="multipart/form-data",
        )

    def notices(self, username) -> list[dict]:
        return self.w.get(username, "/api/v1/notifications").get_json()["items"]


# Real SMTP and HTTP receivers (aiosmtpd, http.server) and the real-browser fixtures (tests/browser.py).
from tests.browser import browser, live_server, office_context, phone_context  # noqa: E402, F401
from tests.receivers import http_receiver, smtp_server  # noqa: E402,F401
