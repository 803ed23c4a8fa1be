"""Faults, with real processes: the broker killed while phones submit, PostgreSQL restarted and stopped under a
live server, a worker SIGKILLed in the middle of photo derivation. Nothing submitted may be lost, nothing done
twice, and the system must come back on its own. Every test records how long recovery took (printed at the end).

These tests run their own Redis and PostgreSQL (tests/faults.py) on free ports: the shared servers on 5432
and 6379 are never stopped, and the shared Redis is not even flushed (see `clean_broker` below).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from PIL import Image

from server.extensions import db
from server.hazards.models import Hazard, Photo
from server.inspections.models import Inspection
from server.notifications.models import Notification
from server.reminders import service as reminders
from server.reminders.models import ReminderDelivery
from tests import images
from tests.browser import LiveServer
from tests.conftest import build_world, count, make_app, new_uuid, park_iso
from tests.faults import PostgresCluster, RedisServer, Timings, freeze, thaw, wait_for
from tests.workers import Worker

REQUEST_TIMEOUT = 60  # no request may hang: every call below fails the test after this many seconds


# -- fixtures ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def clean_broker():
    """Overrides conftest's: these tests use private Redis servers only, so the shared one is left alone."""
    yield


@pytest.fixture(scope="module")
def timings(request):
    found = Timings()
    yield found
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and found.rows:
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            reporter.write_line("")
            reporter.write_sep("-", "fault tests: measured times")
            for line in found.lines():
                reporter.write_line(line)


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    """A private redis-server on a free port that the tests may kill and start again."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def broker(app, redis_server, monkeypatch):
    """The app's Celery on the private Redis (running and empty); the session app's own broker is put back after."""
    from server.celery_setup import celery_init_app

    if not redis_server.running:
        redis_server.start()
    redis_server.client().flushall()
    previous = app.extensions["celery"]
    monkeypatch.setitem(app.config, "CELERY_BROKER_URL", redis_server.url)
    celery = celery_init_app(app)
    try:
        yield redis_server
    finally:
        celery.close()
        app.extensions["celery"] = previous


@pytest.fixture(scope="module")
def pg_cluster():
    """A private PostgreSQL 15 cluster (initdb in /tmp, trust auth, a free port) that the tests restart and stop."""
    cluster = PostgresCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


class PgApp:
    """An app on a fresh database of the private cluster, migrated, with the test world and a token of insp_a."""

    def __init__(self, cluster: PostgresCluster, redis_url: str, tmp_path: Path):
        from flask_migrate import upgrade

        self.dbname = f"park_faults_{uuid.uuid4().hex[:8]}"
        url = cluster.create_database(self.dbname)
        # TESTING off: errors are answered as in production instead of being raised into the test.
        self.app = make_app(url, tmp_path, TESTING=False, CELERY_BROKER_URL=redis_url)
        self.cluster = cluster
        with self.app.app_context():
            upgrade()
            world = build_world(self.app.test_client())
            self.headers = world.headers("insp_a")
            self.enterprise_id = world.enterprises[0].id
            db.session.remove()

    def inspection_body(self) -> dict:
        return {
            "client_uuid": new_uuid(),
            "enterprise_id": self.enterprise_id,
            "kind": "routine",
            "started_at": park_iso(hours=-2),
        }

    def rows_by_uuid(self) -> Counter:
        with self.cluster.connect(self.dbname) as conn:
            return Counter(dict(conn.execute("SELECT client_uuid, count(*) FROM inspections GROUP BY 1").fetchall()))

    def close(self) -> None:
        with self.app.app_context():
            db.engine.dispose()


@pytest.fixture
def pg_app(pg_cluster, redis_server, tmp_path):
    if not pg_cluster.running:
        pg_cluster.start()
    if not redis_server.running:
        redis_server.start()
    made = PgApp(pg_cluster, redis_server.url, tmp_path)
    yield made
    made.close()


# -- helpers ---------------------------------------------------------------------------------------------


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def timed(fn):
    start = time.monotonic()
    result = fn()
    return result, time.monotonic() - start


def fresh() -> None:
    """See what the worker processes committed (end this session's transaction, forget loaded objects)."""
    db.session.rollback()
    db.session.expire_all()


def derived_count(ids) -> int:
    fresh()
    return count(Photo, Photo.id.in_(list(ids)), Photo.derived.is_(True))


def media_files(media: Path) -> set[str]:
    return {str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()}


def derived_paths(media: Path, photo: Photo) -> tuple[Path, Path]:
    stem = photo.storage_key.rsplit(".", 1)[0]
    return media / f"{stem}.thumbnail.jpg", media / f"{stem}.display.jpg"


def assert_derived_upright(media: Path, photo: Photo) -> None:
    """Thumbnail ≈320 px and display ≈1280 px, whole JPEGs, portrait (the photos are orientation 6)."""
    thumb, display = derived_paths(media, photo)
    for path, longest in ((thumb, 320), (display, 1280)):
        assert path.exists(), f"photo {photo.id}: {path.name} is missing although the photo is marked derived"
        with Image.open(path) as im:
            im.load()  # a truncated file fails here
            assert im.format == "JPEG" and max(im.size) == longest and im.height > im.width, (photo.id, path, im.size)


def assert_json_5xx(r: requests.Response, what: str) -> None:
    assert 500 <= r.status_code < 600, f"{what}: expected a 5xx while the database is down, got {r.status_code}"
    assert r.headers.get("Content-Type", "").startswith("application/json"), (what, r.headers, r.text[:300])
    body = r.json()
    assert body.get("message"), f"{what}: the error has no message: {body}"


# -- 1. the broker dies while phones submit ---------------------------------------------------------------


def test_phones_keep_submitting_while_redis_is_down_and_the_work_catches_up(
    app, world, phone, broker, tmp_path, monkeypatch, runner, timings
):
    """Redis SIGKILLed: inspections, hazards and photos are still answered 201 at once and stored; the health
    check says the broker is unavailable (status 200). A sweep during the outage records the reminders without
    failing. Redis back on the same port (empty: every message of the outage is lost), a worker started and the
    catch-ups run as beat runs them → every photo derived, every reminder delivered once."""
    name = f"redis down [{db.engine.dialect.name}]"
    monkeypatch.setitem(app.config, "REMINDER_CLAIM_TIMEOUT_SECONDS", 1)
    client = world.client
    world.token("insp_a")  # logged in before the outage, as phones are
    r = client.get("/api/v1/health")
    assert r.status_code == 200 and r.get_json()["broker"] == "ok", r.get_json()

    broker.kill()
    outage = time.monotonic()
    r, seconds = timed(lambda: client.get("/api/v1/health"))
    timings.record(name, "GET /health with the broker down", seconds)
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"status": "ok", "database": "ok", "broker": "unavailable"}
    assert seconds < 10, f"the health check took {seconds:.1f} s with the broker down"

    latencies: list[float] = []

    def submit(fn):
        result, seconds = timed(fn)
        latencies.append(seconds)
        return result

    inspections = [submit(phone.inspection) for _ in range(3)]  # each asserts 201
    now = datetime.now(UTC)
    hazards = [submit(phone.hazard) for _ in range(2)]
    overdue = [
        submit(
            lambda days=days: phone.hazard(
                found_at=(now - timedelta(days=20)).isoformat(), deadline=(now - timedelta(days=days)).isoformat()
            )
        )
        for days in (1, 4)  # stage overdue (enterprise + inspector) and escalated (+ office)
    ]
    photos: dict[int, bytes] = {}
    for i in range(6):
        data = images.jpeg_bytes(1600, 1200, orientation=6, gps=(31.40 + i / 1000, 121.10))
        hazard_id = (hazards + overdue)[i % 4]["id"]
        r = submit(lambda data=data, hazard_id=hazard_id: phone.photo("insp_a", hazard_id, "before", data))
        assert r.status_code == 201, (r.status_code, r.get_json())
        assert r.get_json()["derived"] is False and r.get_json()["sha256"] == sha256(data)
        photos[r.get_json()["id"]] = data
    # the phone did not hear the answer and sends the last photo again: the same photo, nothing new
    r = submit(lambda: phone.photo("insp_a", hazard_id, "before", data))
    assert r.status_code == 200 and r.get_json()["id"] == max(photos), r.get_json()
    timings.record(name, f"slowest of {len(latencies)} submissions during the outage", max(latencies))
    assert max(latencies) < 5, f"submissions must answer at once while the broker is down: {latencies}"

    # nothing lost: every row and every original, byte for byte
    fresh()
    stored_inspections = set(db.session.execute(sa.select(Inspection.client_uuid)).scalars())
    stored_hazards = set(db.session.execute(sa.select(Hazard.client_uuid)).scalars())
    assert {i["client_uuid"] for i in inspections} <= stored_inspections, "an inspection answered 201 is missing"
    assert stored_hazards == {h["client_uuid"] for h in hazards + overdue}, "a hazard answered 201 is missing"
    assert len(stored_inspections) == len(inspections) + len(hazards) + len(overdue)  # + one per hazard's inspection
    assert count(Photo) == len(photos)
    media = Path(app.config["MEDIA_ROOT"])
    for photo in db.session.execute(sa.select(Photo)).scalars():
        original = media / photo.storage_key
        assert original.read_bytes() == photos[photo.id], f"photo {photo.id}: the original is not the upload"
        assert not photo.derived and not any(p.exists() for p in derived_paths(media, photo))

    # beat's sweep during the outage: it records the reminders and must not fail
    result = runner.invoke(args=["sweep-reminders"])
    assert result.exit_code == 0, (result.output, result.exception)
    fresh()
    recorded = list(db.session.execute(sa.select(ReminderDelivery)).scalars())
    assert {(r.hazard_id, r.stage) for r in recorded} == {
        (overdue[0]["id"], "overdue"),
        (overdue[1]["id"], "escalated"),
    }
    assert all(r.status == "pending" and r.claimed_at is None for r in recorded), [(r.id, r.status) for r in recorded]
    assert count(Notification, Notification.kind.like("reminder_%")) == 0
    reminders.sweep()  # the next sweep, still during the outage: nothing new, no failure
    fresh()
    assert count(ReminderDelivery) == len(recorded)

    # the broker comes back, empty
    restart = time.monotonic()
    timings.record(name, "redis-server start on the same port", broker.start())
    r = client.get("/api/v1/health")
    assert r.status_code == 200 and r.get_json()["broker"] == "ok", r.get_json()
    timings.record(name, "outage length (kill to redis back)", restart - outage)

    worker = Worker(
        app, tmp_path, "catchup", concurrency=2, CELERY_BROKER_URL=broker.url, REMINDER_CLAIM_TIMEOUT_SECONDS=1
    )
    try:
        worker.wait_ready()
        timings.record(name, "worker start until ready", time.monotonic() - restart)
        # what beat's derive-pending-photos does, without its one-minute grace
        from server.hazards.photo_service import enqueue_pending_derivations

        started = time.monotonic()
        assert enqueue_pending_derivations(older_than=timedelta(0)) == len(photos)
        wait_for(lambda: derived_count(photos) == len(photos), 60, 0.2, f"all photos derived\n{worker.log()[-3000:]}")
        timings.record(name, "photo catch-up: enqueue to all derived", time.monotonic() - started)
        for photo in db.session.execute(sa.select(Photo)).scalars():
            assert_derived_upright(media, photo)

        # the API's own messages flow again: a new upload is derived from its message, without a catch-up
        data = images.jpeg_bytes(1600, 1200, orientation=6, gps=(31.5, 121.2))
        started = time.monotonic()
        r = phone.photo("insp_a", hazards[0]["id"], "before", data)
        assert r.status_code == 201, r.get_json()
        new_id = r.get_json()["id"]
        wait_for(lambda: derived_count([new_id]) == 1, 30, 0.1, f"the new photo derived\n{worker.log()[-3000:]}")
        timings.record(name, "new upload after recovery: upload to derived", time.monotonic() - started)

        # reminders: beat's next sweeps hand the rows whose message was lost to the worker
        started = time.monotonic()
        requeued: list[int] = []

        def sweep_and_check() -> bool:
            requeued.append(reminders.sweep().requeued)
            fresh()
            return all(r.status == "sent" for r in db.session.execute(sa.select(ReminderDelivery)).scalars())

        wait_for(sweep_and_check, 60, 0.5, f"every reminder sent\n{worker.log()[-3000:]}")
        timings.record(name, "reminders: first sweep after recovery to all sent", time.monotonic() - started)
        timings.record(name, "reminders: kill of redis to all sent", time.monotonic() - outage)
        assert sum(requeued) >= len(recorded), requeued
        sent = list(db.session.execute(sa.select(ReminderDelivery)).scalars())
        assert len(sent) == len(recorded), "a sweep after the outage recorded the same reminders again"
        notices = db.session.execute(
            sa.select(Notification.user_id, Notification.hazard_id, Notification.kind).where(
                Notification.kind.like("reminder_%")
            )
        ).all()
        expected = Counter((r.user_id, r.hazard_id, f"reminder_{r.stage}") for r in sent if r.channel == "in_app")
        assert Counter(notices) == expected, "each reminder must be delivered exactly once"
        assert world.users["office"].id in {user for user, _, kind in notices if kind == "reminder_escalated"}
    finally:
        worker.stop()


# -- 2. PostgreSQL restarted and stopped under a live server ------------------------------------------------


def test_a_postgresql_restart_is_noticed_by_the_very_next_request(pg_app, pg_cluster, timings):
    """`pg_ctl restart -m fast` ends every pooled connection; with pool_pre_ping the next requests succeed
    without restarting the app."""
    name = "postgresql restart"
    with LiveServer(pg_app.app) as server:
        session = requests.Session()
        session.headers.update(pg_app.headers)
        for _ in range(3):  # the pool now holds connections to the server about to restart
            r = session.post(f"{server.url}/api/v1/inspections", json=pg_app.inspection_body(), timeout=REQUEST_TIMEOUT)
            assert r.status_code == 201, r.text
        assert session.get(f"{server.url}/api/v1/inspections", timeout=REQUEST_TIMEOUT).status_code == 200

        timings.record(name, "pg_ctl restart -m fast", pg_cluster.restart("fast"))
        back = time.monotonic()
        r = session.get(f"{server.url}/api/v1/health", timeout=REQUEST_TIMEOUT)
        assert r.status_code == 200 and r.json()["database"] == "ok", r.text
        body = pg_app.inspection_body()
        r = session.post(f"{server.url}/api/v1/inspections", json=body, timeout=REQUEST_TIMEOUT)
        assert r.status_code == 201, f"the first write after the restart failed: {r.status_code} {r.text[:500]}"
        r = session.get(f"{server.url}/api/v1/inspections", timeout=REQUEST_TIMEOUT)
        assert r.status_code == 200 and body["client_uuid"] in {i["client_uuid"] for i in r.json()["items"]}, r.text
        timings.record(name, "first three requests after the restart (all succeeded)", time.monotonic() - back)
    assert sum(pg_app.rows_by_uuid().values()) == 4


def test_postgresql_down_is_a_clear_json_error_and_the_app_recovers_when_it_returns(pg_app, pg_cluster, timings):
    """PostgreSQL stopped: requests answer a 5xx JSON error at once (no hanging), the health check 503 with
    database "unavailable"; a write refused then is stored exactly once by the phone's retry after the start."""
    name = "postgresql down"
    with LiveServer(pg_app.app) as server:
        session = requests.Session()
        session.headers.update(pg_app.headers)
        r = session.post(f"{server.url}/api/v1/inspections", json=pg_app.inspection_body(), timeout=REQUEST_TIMEOUT)
        assert r.status_code == 201, r.text

        timings.record(name, "pg_ctl stop -m fast", pg_cluster.stop("fast"))
        down = time.monotonic()
        body = pg_app.inspection_body()
        calls = {
            "GET /inspections": lambda: session.get(f"{server.url}/api/v1/inspections", timeout=REQUEST_TIMEOUT),
            "GET /hazards": lambda: session.get(f"{server.url}/api/v1/hazards", timeout=REQUEST_TIMEOUT),
            "POST /inspections": lambda: session.post(
                f"{server.url}/api/v1/inspections", json=body, timeout=REQUEST_TIMEOUT
            ),
        }
        statuses = {}
        for what, call in calls.items():
            r, seconds = timed(call)
            timings.record(name, f"{what} answered {r.status_code} after", seconds)
            assert_json_5xx(r, what)
            assert r.status_code == 503 and r.headers.get("Retry-After"), (what, r.status_code, r.headers)
            assert r.json()["message"] == "数据库暂时不可用，请稍后重试。", r.text
            assert seconds < 10, f"{what} took {seconds:.1f} s with the database down"
            statuses[what] = r.status_code
        r, seconds = timed(lambda: session.get(f"{server.url}/api/v1/health", timeout=REQUEST_TIMEOUT))
        timings.record(name, "GET /health with the database down", seconds)
        assert r.status_code == 503, r.text
        assert r.json()["status"] == "unavailable" and r.json()["database"] == "unavailable", r.json()
        print(f"[fault] statuses with PostgreSQL down: {statuses}")

        timings.record(name, "pg_ctl start", pg_cluster.start())
        up = time.monotonic()
        r = session.get(f"{server.url}/api/v1/inspections", timeout=REQUEST_TIMEOUT)
        assert r.status_code == 200, f"the first request after the start failed: {r.status_code} {r.text[:500]}"
        r = session.get(f"{server.url}/api/v1/health", timeout=REQUEST_TIMEOUT)
        assert r.status_code == 200 and r.json()["database"] == "ok", r.text
        r = session.post(f"{server.url}/api/v1/inspections", json=body, timeout=REQUEST_TIMEOUT)
        assert r.status_code == 201, f"the phone's retry: {r.status_code} {r.text[:500]}"
        timings.record(name, "first three requests after the start (all succeeded)", time.monotonic() - up)
        timings.record(name, "outage seen by clients (stop to first success)", time.monotonic() - down)
    rows = pg_app.rows_by_uuid()
    assert rows[body["client_uuid"]] == 1 and sum(rows.values()) == 2, rows


def test_writes_in_flight_across_a_postgresql_restart_are_stored_exactly_once(pg_app, pg_cluster, timings):
    """One write held inside the database (its table locked) when `pg_ctl restart -m fast` ends its session,
    and four phones writing in a loop through the restart: each write is either stored, or answered with an
    error and stored exactly once by a retry with the same client_uuid. No answered write is missing."""
    name = "write in flight"
    with LiveServer(pg_app.app) as server:
        url = f"{server.url}/api/v1/inspections"
        session = requests.Session()
        session.headers.update(pg_app.headers)
        assert session.post(url, json=pg_app.inspection_body(), timeout=REQUEST_TIMEOUT).status_code == 201

        # the held write: it waits for a lock on inspections when the server goes down
        held_body = pg_app.inspection_body()
        held: dict = {}

        def post_held() -> None:
            try:
                held["response"] = requests.post(url, json=held_body, headers=pg_app.headers, timeout=REQUEST_TIMEOUT)
            except requests.RequestException as exc:
                held["error"] = exc
            held["at"] = time.monotonic()

        locker = pg_cluster.connect(pg_app.dbname)
        locker.execute("LOCK TABLE inspections IN ACCESS EXCLUSIVE MODE")
        held_thread = threading.Thread(target=post_held, daemon=True)
        held_thread.start()

        def waiting() -> bool:
            query = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'"
            return locker.execute(query, (pg_app.dbname,)).fetchone()[0] > 0

        wait_for(waiting, 30, 0.02, "the write waits for its lock inside PostgreSQL")

        # four phones writing in a loop through the restart
        stop = threading.Event()
        attempts: list[tuple[dict, int | str, float]] = []  # (body, status or exception, when it was sent)
        lock = threading.Lock()

        def phone_loop() -> None:
            own = requests.Session()
            own.headers.update(pg_app.headers)
            while not stop.is_set():
                body, sent_at = pg_app.inspection_body(), time.monotonic()
                try:
                    outcome: int | str = own.post(url, json=body, timeout=REQUEST_TIMEOUT).status_code
                except requests.RequestException as exc:
                    outcome = type(exc).__name__
                with lock:
                    attempts.append((body, outcome, sent_at))

        phones = [threading.Thread(target=phone_loop, daemon=True) for _ in range(4)]
        for t in phones:
            t.start()
        time.sleep(0.3)
        began = time.monotonic()
        timings.record(name, "pg_ctl restart -m fast (lock holder and the held write ended)", pg_cluster.restart())
        back = time.monotonic()
        try:
            locker.close()
        except Exception:  # noqa: BLE001 - its session was ended by the restart
            pass
        time.sleep(1.0)
        stop.set()
        for t in phones + [held_thread]:
            t.join(timeout=REQUEST_TIMEOUT + 5)
            assert not t.is_alive(), "a request hung across the restart"

        assert "response" in held, f"the held write got no HTTP answer: {held.get('error')!r}"
        r = held["response"]
        timings.record(name, f"held write: restart began to its answer ({r.status_code})", held["at"] - began)
        retries = 0
        if r.status_code != 201:
            assert_json_5xx(r, "the write ended by the restart")
            r = requests.post(url, json=held_body, headers=pg_app.headers, timeout=REQUEST_TIMEOUT)
            retries += 1
            assert r.status_code in (200, 201), f"the retry of the held write: {r.status_code} {r.text[:500]}"

        failed = [(body, outcome) for body, outcome, _ in attempts if outcome not in (200, 201)]
        bad = [outcome for _, outcome in failed if not (isinstance(outcome, int) and outcome >= 500)]
        assert not bad, f"writes during the restart must fail with a 5xx (or succeed), not {Counter(bad)}"
        # pool_pre_ping: once the restart is done, no write fails any more (no stale pooled connection is used)
        after = Counter(outcome for _, outcome, at in attempts if at >= back)
        assert set(after) <= {201}, f"writes sent after the restart had finished: {after}"
        assert after[201] >= 4, f"too few writes after the restart to tell: {after}"
        during = Counter(outcome for _, outcome, at in attempts if at < back)
        for body, _ in failed:  # the phones retry what failed, with the same client_uuid
            r = requests.post(url, json=body, headers=pg_app.headers, timeout=REQUEST_TIMEOUT)
            retries += 1
            assert r.status_code in (200, 201), f"a retry after the restart: {r.status_code} {r.text[:500]}"
        print(f"[fault] writes sent before the restart had finished: {dict(during)}; after: {dict(after)}; "
              f"{retries} retried")  # fmt: skip
        assert during and len(failed) > 0, f"no write was caught by the restart: {during}"

    rows = pg_app.rows_by_uuid()
    sent = [held_body["client_uuid"]] + [body["client_uuid"] for body, _, _ in attempts]
    missing = [u for u in sent if rows[u] == 0]
    twice = {u: n for u, n in rows.items() if n > 1}
    assert not missing, f"{len(missing)} writes answered (or retried) but not stored: {missing[:5]}"
    assert not twice, twice
    assert sum(rows.values()) == len(sent) + 1  # + the one before the restart


# -- 3. a worker SIGKILLed in the middle of photo derivation ---------------------------------------------


def test_a_worker_killed_while_deriving_photos_loses_none_and_leaves_no_debris(
    app, world, phone, broker, tmp_path, timings
):
    """20 phone-size JPEGs (3000×2000, orientation 6) uploaded while one worker (concurrency 1) derives them;
    the worker is SIGKILLed while it is writing a derived image (frozen with SIGSTOP first, so the kill lands
    mid-write for sure) after some photos are done. A new worker and beat's catch-up derive every photo:
    one thumbnail and one display image each, no stray temporary files, originals byte for byte."""
    name = f"worker killed mid-derivation [{db.engine.dialect.name}]"
    media = Path(app.config["MEDIA_ROOT"])
    hazard = phone.hazard()
    count_photos = 20
    uploads = [
        images.jpeg_bytes(
            3000, 2000, orientation=6, gps=(31.40 + i / 1000, 121.10), pattern=("halves", "quadrants")[i % 2]
        )
        for i in range(count_photos)
    ]
    doomed = Worker(app, tmp_path, "doomed", concurrency=1, CELERY_BROKER_URL=broker.url).wait_ready()
    pgid = doomed.proc.pid
    kill: dict = {}
    uploads_done, abort = threading.Event(), threading.Event()

    def writing_derived() -> list[str]:
        return [p.name for p in media.rglob("*.tmp") if ".thumbnail.jpg." in p.name or ".display.jpg." in p.name]

    def displays() -> int:
        return sum(1 for _ in media.rglob("*.display.jpg"))

    def killer() -> None:
        """Freeze the worker every few ms once ≥ 3 photos have display images; kill it when frozen mid-write."""
        eligible_since = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not abort.is_set():
            if displays() >= 3:
                eligible_since = eligible_since or time.monotonic()
                freeze(pgid)
                in_flight, done = writing_derived(), displays()
                gave_up = time.monotonic() - eligible_since > 10 and uploads_done.is_set()
                if done < count_photos and (in_flight or gave_up):
                    os.killpg(pgid, signal.SIGKILL)
                    kill.update(at=time.monotonic(), displays=done, in_flight=in_flight)
                    return
                thaw(pgid)
                if done >= count_photos:
                    return
            time.sleep(0.002)

    killer_thread = threading.Thread(target=killer, daemon=True)
    rescuer = None
    killer_thread.start()
    try:
        ids: dict[int, bytes] = {}
        for data in uploads:
            r = phone.photo("insp_a", hazard["id"], "before", data)
            assert r.status_code == 201, r.get_json()
            ids[r.get_json()["id"]] = data
        uploads_done.set()
        killer_thread.join(timeout=100)
        assert not killer_thread.is_alive()
        assert kill, (
            f"the worker derived every photo before it could be killed: nothing was tested\n{doomed.log()[-2000:]}"
        )
        doomed.proc.wait(timeout=10)
        done_at_kill = derived_count(ids)
        print(f"[fault] killed with {kill['displays']} display images written, {done_at_kill} photos marked derived, "
              f"writing {kill['in_flight']}")  # fmt: skip
        assert 1 <= done_at_kill < count_photos, done_at_kill

        started = time.monotonic()
        rescuer = Worker(app, tmp_path, "rescuer", concurrency=2, CELERY_BROKER_URL=broker.url).wait_ready()
        timings.record(name, "new worker start until ready", time.monotonic() - started)
        # beat's derive-pending-photos (without its one-minute grace): the killed task's message stays unacked
        # in Redis until the visibility timeout (1 h), so this is what recovers it
        from server.hazards.photo_service import enqueue_pending_derivations

        # (the new worker may already have taken some of the photos whose messages were still queued)
        sent = enqueue_pending_derivations(older_than=timedelta(0))
        assert 1 <= sent <= count_photos - done_at_kill, (sent, done_at_kill)
        wait_for(lambda: derived_count(ids) == count_photos, 90, 0.2, f"all photos derived\n{rescuer.log()[-3000:]}")
        timings.record(name, f"catch-up: {count_photos - done_at_kill} photos to derive, new worker start to all done",
                       time.monotonic() - started)  # fmt: skip
        timings.record(name, "kill to all derived", time.monotonic() - kill["at"])
        rescuer.stop()  # a warm shutdown: duplicate derivations still running finish before the files are counted
    finally:
        abort.set()
        killer_thread.join(timeout=10)
        if doomed.proc.poll() is None:
            doomed.kill()
        doomed.stop()
        if rescuer is not None:
            rescuer.stop()

    fresh()
    photos = list(db.session.execute(sa.select(Photo).where(Photo.id.in_(list(ids)))).scalars())
    assert len(photos) == count_photos and all(p.derived for p in photos)
    expected = set()
    for photo in photos:
        original = media / photo.storage_key
        assert sha256(original.read_bytes()) == sha256(ids[photo.id]) == photo.sha256, (
            f"photo {photo.id}: original changed"
        )
        assert_derived_upright(media, photo)
        expected |= {photo.storage_key, *(str(p.relative_to(media)) for p in derived_paths(media, photo))}
    extra = sorted(media_files(media) - expected)
    assert not extra, (
        f"MEDIA_ROOT must hold one original, one thumbnail and one display image per photo and nothing else; "
        f"left over after the kill and the recovery: {extra}"
    )
    assert len(media_files(media)) == 3 * count_photos
