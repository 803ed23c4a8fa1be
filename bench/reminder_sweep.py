"""Benchmark: one full reminder sweep over 100,000 hazards (20,000 overdue) on PostgreSQL, delivered by
2 Celery worker processes on the Redis broker, with in-app and email (to a local aiosmtpd sink) on.

It prints the data size, the time to record the deliveries (the sweep), the time until every
delivery is recorded as sent, the number of SQL statements the sweep ran (batched: it does not
grow with the number of hazards), and, in the same run, the floor: the time to insert the same
number of delivery rows with one hand-written INSERT ... SELECT.

    python bench/reminder_sweep.py [--hazards 100000] [--overdue 20000] [--workers 2]

Needs PostgreSQL (BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test; a scratch
database is created and dropped) and Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/14).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import redis
import sqlalchemy as sa
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


class CountingSink:
    """An SMTP sink that only counts what it accepts."""

    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            self.count += 1
        return "250 OK"


def copy_rows(conn: psycopg.Connection, table: str, columns: list[str], rows) -> None:
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def seed(url: str, hazards: int, overdue: int, now: datetime) -> dict:
    """Grids, enterprises, users and hazards, written with COPY."""
    rng = random.Random(7)
    n_grids, n_enterprises = 20, 2000
    password_hash = "scrypt:1024:8:1$bench$" + "0" * 128
    with psycopg.connect(url) as conn:
        copy_rows(conn, "grids", ["id", "name", "created_at"], ((g, f"网格{g}", now) for g in range(1, n_grids + 1)))
        copy_rows(
            conn,
            "enterprises",
            ["id", "name", "credit_code", "grid_id", "contact_name", "contact_email", "status", "created_at",
             "updated_at"],
            (
                (e, f"测试企业{e:04d}有限公司", f"BENCH{e:013d}", 1 + e % n_grids, "联系人", f"safety{e}@bench.example",
                 "operating", now, now)
                for e in range(1, n_enterprises + 1)
            ),
        )  # fmt: skip
        users = [(1, "office", "office", None), (2, "leader", "leader", None)]
        inspectors = {}
        for g in range(1, n_grids + 1):
            for k in range(2):
                uid = len(users) + 1
                users.append((uid, f"insp{g}_{k}", "inspector", None))
                inspectors.setdefault(g, []).append(uid)
        for e in range(1, n_enterprises + 1):
            users.append((len(users) + 1, f"ent{e}", "enterprise", e))
        copy_rows(
            conn,
            "users",
            ["id", "username", "password_hash", "role", "enterprise_id", "language", "is_active", "created_at"],
            ((uid, name, password_hash, role, ent, "zh", True, now) for uid, name, role, ent in users),
        )
        copy_rows(
            conn,
            "grid_inspectors",
            ["grid_id", "user_id"],
            ((g, uid) for g, uids in inspectors.items() for uid in uids),
        )
        categories = ["fire", "electrical", "management", "special_equipment", "hazchem", "other"]

        def hazard_rows():
            for h in range(1, hazards + 1):
                e = rng.randint(1, n_enterprises)
                g = 1 + e % n_grids
                if h <= overdue:
                    deadline = now - timedelta(days=rng.uniform(0.05, 30))
                    status, closed_at = "registered", None
                elif h <= overdue + (hazards - overdue) // 4:
                    deadline = now + timedelta(days=rng.uniform(2, 30))
                    status, closed_at = "registered", None
                else:
                    deadline = now - timedelta(days=rng.uniform(0, 700))
                    status, closed_at = "closed", deadline - timedelta(days=1)
                found = min(deadline, now) - timedelta(days=7)
                yield (
                    h, str(uuid.UUID(int=rng.getrandbits(128), version=4)), "bench", e, g, "inspection", "二号车间",
                    f"隐患描述{h}", rng.choice(categories), "major" if rng.random() < 0.01 else "general", status,
                    found, rng.choice(inspectors[g]), deadline, deadline, closed_at, found, found,
                )  # fmt: skip

        copy_rows(
            conn,
            "hazards",
            ["id", "client_uuid", "request_hash", "enterprise_id", "grid_id", "source", "location", "description",
             "category", "level", "status", "found_at", "found_by_id", "deadline", "original_deadline", "closed_at",
             "received_at", "updated_at"],
            hazard_rows(),
        )  # fmt: skip
        for table in ("grids", "enterprises", "users", "hazards"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.execute("ANALYZE")
    return {"grids": n_grids, "enterprises": n_enterprises, "users": len(users), "hazards": hazards}


def start_workers(n: int, env: dict, tmp: Path) -> list[subprocess.Popen]:
    procs = []
    for i in range(n):
        log = (tmp / f"worker{i}.log").open("w")
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "worker",
                    "worker",
                    "-n",
                    f"bench{i}@%h",
                    "--concurrency",
                    "1",
                    "--loglevel",
                    "WARNING",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        )
    return procs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hazards", type=int, default=100_000)
    parser.add_argument("--overdue", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()

    name = f"park_bench_{uuid.uuid4().hex[:8]}"
    base = ADMIN_URL.rsplit("/", 1)[0]
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db_url = f"{base}/{name}"
    redis.Redis.from_url(REDIS_URL).flushdb()
    sink = CountingSink()
    from tests.receivers import free_port

    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    smtp_url = f"smtp://127.0.0.1:{port}"
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / name
    tmp.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db_url,
        CELERY_BROKER_URL=REDIS_URL,
        SMTP_URL=smtp_url,
        REMINDER_BATCH_SIZE=str(args.batch),
        INSTANCE_PATH=str(tmp / "instance"),
        SECRET_KEY="bench-secret-key-0123456789abcdef",
    )
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "CELERY_BROKER_URL", "SMTP_URL", "REMINDER_BATCH_SIZE")})
    os.environ["INSTANCE_PATH"], os.environ["SECRET_KEY"] = env["INSTANCE_PATH"], env["SECRET_KEY"]
    workers: list[subprocess.Popen] = []
    try:
        from flask_migrate import upgrade

        from server import create_app
        from server.extensions import db
        from server.reminders import service as reminders
        from server.reminders.models import ReminderDelivery

        app = create_app()
        with app.app_context():
            upgrade()
            now = datetime.now(UTC)
            t = time.perf_counter()
            sizes = seed(db_url, args.hazards, args.overdue, now)
            seed_s = time.perf_counter() - t
            workers = start_workers(args.workers, env, tmp)
            time.sleep(4)  # let the workers connect before the clock starts

            statements = 0

            def count(*_a, **_k):
                nonlocal statements
                statements += 1

            sa.event.listen(db.engine, "before_cursor_execute", count)
            t0 = time.perf_counter()
            result = reminders.sweep()
            sweep_s = time.perf_counter() - t0
            sa.event.remove(db.engine, "before_cursor_execute", count)
            total = result.created
            pending_q = sa.select(sa.func.count()).where(ReminderDelivery.status != "sent")
            while True:
                left = db.session.execute(pending_q).scalar_one()
                db.session.commit()
                if left == 0:
                    break
                if time.perf_counter() - t0 > 900:
                    raise SystemExit(f"gave up: {left} deliveries not sent after 900 s")
                time.sleep(0.25)
            end_to_end_s = time.perf_counter() - t0
            by = dict(
                db.session.execute(
                    sa.select(ReminderDelivery.channel, sa.func.count()).group_by(ReminderDelivery.channel)
                ).all()
            )
            notices = db.session.execute(sa.text("SELECT count(*) FROM notifications")).scalar_one()
            time.sleep(0.5)
            emails = sink.count

            # The floor: the same number of rows with one hand-written statement, in the same database.
            floors = []
            with psycopg.connect(db_url, autocommit=True) as conn:
                conn.execute("CREATE TABLE floor_deliveries (LIKE reminder_deliveries INCLUDING ALL)")
                for _ in range(3):
                    conn.execute("TRUNCATE floor_deliveries")
                    t = time.perf_counter()
                    conn.execute(
                        """INSERT INTO floor_deliveries (dedupe_key, hazard_id, stage, channel, recipient, user_id,
                                status, subject, body, attempts, created_at)
                           SELECT dedupe_key, hazard_id, stage, channel, recipient, user_id,
                                'sent', subject, body, 1, now() FROM reminder_deliveries"""
                    )
                    floors.append(time.perf_counter() - t)
            floor_s = statistics.median(floors)

        print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs; PostgreSQL at {base}; Redis {REDIS_URL}")
        print(
            f"data: {sizes['hazards']:,} hazards ({args.overdue:,} overdue), {sizes['enterprises']:,} enterprises, "
            f"{sizes['grids']} grids, {sizes['users']:,} users; seeded in {seed_s:.1f} s"
        )
        print(f"workers: {args.workers} processes (concurrency 1 each), batches of {args.batch} deliveries")
        print(f"stages: {result.stages}")
        print(f"deliveries: {total:,} ({', '.join(f'{k} {v:,}' for k, v in sorted(by.items()))})")
        in_app, email_rows = by.get("in_app", 0), by.get("email", 0)
        print(f"checked: notifications {notices:,} = in-app {in_app:,}; emails received {emails:,} = {email_rows:,}")
        print(f"sweep (record + enqueue): {sweep_s:.2f} s, {statements} SQL statements")
        print(f"end to end (sweep start -> every delivery sent): {end_to_end_s:.2f} s  (target < 60 s)")
        print(f"floor (one INSERT ... SELECT of {total:,} rows, median of 3): {floor_s:.2f} s")
        print(f"ratio end-to-end / floor: {end_to_end_s / floor_s:.1f}x; sweep / floor: {sweep_s / floor_s:.1f}x")
        ok = notices == by.get("in_app", 0) and emails == by.get("email", 0)
        print("exactly once:", "yes" if ok else "NO")
    finally:
        for proc in workers:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in workers:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        controller.stop()
        try:
            from server.extensions import db as _db

            with app.app_context():
                _db.engine.dispose()
        except Exception:  # noqa: BLE001
            pass
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
