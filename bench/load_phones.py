"""Benchmark: 200 phones submitting inspections, hazards and ~2 MB photos to the production-style stack, with
retries and deliberate duplicates, an exactly-once check against the database, and the floor in the same run.

It (re)creates the PostgreSQL database park_load (the app's Alembic migrations), seeds 20 grids, 200
enterprises (each with an enterprise user) and one inspector per phone, then starts the stack as
Procfile.county does: gunicorn `server:create_app()` (gthread, --workers x --threads) and one Celery worker
(it derives the photos) on Redis db 3, and, on its own port with the same gunicorn settings, the floor
(bench/floor_app.py: the same requests, only the essential INSERTs and file writes, no auth, no validation).

Each phone (a thread with one requests.Session) logs in once, then loops: POST an inspection, POST a hazard for
it, POST one ~2 MB JPEG (real, with EXIF; unique bytes per upload). On a timeout, a connection error, a 5xx or
a 429 it sends again with the same client_uuid and body (back-off, a few times), then gives up; ~10 % of the
submissions are sent again after success and ~2 % twice at once. The API and the floor get the same load for
the same time: after a warm-up of each (--warmup, not counted), interleaved ABBA (ours, floor, floor, ours for
2 rounds) so that the machine's other work falls on both alike; the CPU of each process group (API, worker,
floor, PostgreSQL backends, the phones) is read from /proc during every segment.

Afterwards: the phones' outbox (what they gave up on) is sent once more, then every submission a phone believes
accepted must be in the database exactly once with the id it was answered (inspections, hazards, photos by
client_uuid; photos also by SHA-256 per hazard, with the original file byte for byte), no row may carry a
client_uuid no phone sent, and the history and notices must not be doubled. Exit status 1 when not.
Then, in-process, the CPU time of one request of each kind on the API and on the floor (Flask test client).
--profile runs the API's request threads under cProfile (thread CPU clock) and prints where the CPU goes.

    python bench/load_phones.py [--phones 200] [--seconds 60] [--rounds 2] [--web-workers 4] [--web-threads 8]
                                [--celery-concurrency 4] [--profile]

Needs PostgreSQL (BENCH_DATABASE_URL, an admin database, default postgresql://postgres@127.0.0.1:5432/postgres;
park_load is dropped and created) and Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/3, flushed).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import platform
import random
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
DB_NAME = "park_load"
PASSWORD = "load-phones-1"
SECRET_KEY = "load-phones-secret-key-0123456789abcdef0123456789"
FAST_HASH = "scrypt:1024:8:1"
PARK = ZoneInfo("Asia/Shanghai")
KINDS = ("inspection", "hazard", "photo")
TARGETS = ("ours", "floor")
CATEGORIES = ["fire", "electrical", "management", "special_equipment", "hazchem", "dust", "other"]
COMMENT_TAG = b"park-load-phones upload " + b"0" * 32  # a JPEG COM segment; its last 32 bytes differ per upload
TABLES = {
    "ours": {"inspection": "inspections", "hazard": "hazards", "photo": "photos"},
    "floor": {"inspection": "floor_inspections", "hazard": "floor_hazards", "photo": "floor_photos"},
}
BY_COLUMN = {"inspection": "inspector_id", "hazard": "found_by_id", "photo": "uploaded_by_id"}
PARENT_COLUMN = {"inspection": "NULL::int", "hazard": "inspection_id", "photo": "hazard_id"}


# -- photos ------------------------------------------------------------------------------------------------------


def make_photos(count: int, seed: int) -> list[tuple[bytes, int]]:
    """`count` distinct phone-like JPEGs of 3000x2250 (~2 MB, EXIF orientation, GPS and capture time), each with a
    COM segment after the APPn segments; returns (bytes, offset of the 32 bytes to make unique per upload)."""
    from tests.images import phone_jpeg

    photos = []
    for i in range(count):
        data = phone_jpeg(3000, 2250, seed=seed + i, quality=90)
        pos = 2
        while data[pos] == 0xFF and 0xE0 <= data[pos + 1] <= 0xEF:  # skip APP0..APP15 (JFIF, EXIF)
            pos += 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        segment = b"\xff\xfe" + struct.pack(">H", 2 + len(COMMENT_TAG)) + COMMENT_TAG
        photos.append((data[:pos] + segment + data[pos:], pos + len(segment) - 32))
    return photos


def unique_photo(base: bytes, offset: int, tag: str) -> bytes:
    buffer = bytearray(base)
    buffer[offset : offset + 32] = tag.encode()
    return bytes(buffer)


def multipart(fields: dict[str, str], data: bytes, filename: str = "IMG_0001.jpg") -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
    )
    parts += [data, f"\r\n--{boundary}--\r\n".encode()]
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


# -- database ----------------------------------------------------------------------------------------------------


def db_url(name: str) -> str:
    return f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def setup_database(args, media_root: Path) -> dict:
    """Drop and create park_load, migrate it with the app's migrations, seed it, make the floor's tables."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    from flask_migrate import upgrade

    from server import create_app
    from server.accounts.service import create_grid, create_user
    from server.enterprises import creditcode
    from server.enterprises.service import create_enterprise
    from server.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": db_url(DB_NAME).replace("postgresql://", "postgresql+psycopg://"),
            "SECRET_KEY": SECRET_KEY,
            "CELERY_BROKER_URL": REDIS_URL,
            "MEDIA_ROOT": str(media_root),
            "PASSWORD_HASH_METHOD": FAST_HASH,
        }
    )
    rng = random.Random(11)
    with app.app_context():
        upgrade()
        inspectors = [
            create_user(f"phone{i:03d}", PASSWORD, "inspector", display_name=f"网格员{i:03d}")
            for i in range(args.phones)
        ]
        grids = [
            create_grid(f"第{g + 1}网格", inspector_ids=[u.id for u in inspectors[g :: args.grids]])
            for g in range(args.grids)
        ]
        codes: set[str] = set()
        while len(codes) < args.enterprises:
            codes.add(creditcode.generate(rng))
        enterprises_by_grid: dict[int, list[int]] = defaultdict(list)
        for e, code in enumerate(sorted(codes)):
            grid = grids[e % args.grids]
            enterprise = create_enterprise(
                {"name": f"压测企业{e:04d}有限公司", "credit_code": code, "grid_id": grid.id, "contact_name": "安全员"}
            )
            create_user(f"ent{e:04d}", PASSWORD, "enterprise", enterprise_id=enterprise.id)
            enterprises_by_grid[grid.id].append(enterprise.id)
        db.session.commit()
        phones = [
            {
                "index": i,
                "username": u.username,
                "user_id": u.id,
                "enterprises": enterprises_by_grid[grids[i % args.grids].id],
            }
            for i, u in enumerate(inspectors)
        ]
        db.engine.dispose()
    with psycopg.connect(db_url(DB_NAME), autocommit=True) as conn:
        for table in ("inspections", "hazards", "photos"):
            conn.execute(f"CREATE TABLE floor_{table} (LIKE {table} INCLUDING ALL EXCLUDING DEFAULTS)")
            conn.execute(f"ALTER TABLE floor_{table} ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY")
        conn.execute("VACUUM ANALYZE")
    return {"grids": args.grids, "enterprises": args.enterprises, "phones": phones}


# -- the stack ---------------------------------------------------------------------------------------------------


def gunicorn_cmd(args, port: int, app_spec: str, log: Path) -> list[str]:
    """Procfile.county's web line, with the workers and threads of the command line."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(args.web_workers),
        "--threads",
        str(args.web_threads),
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        "120",
        "--graceful-timeout",
        "30",
        "--max-requests",
        "5000",
        "--max-requests-jitter",
        "500",
        "--access-logfile",
        str(log),
        app_spec,
    ]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    def __init__(self, args, tmp: Path, env: dict):
        self.args, self.tmp, self.env = args, tmp, env
        self.port, self.floor_port = free_port(), free_port()
        self.procs: dict[str, subprocess.Popen] = {}

    def _start(self, name: str, cmd: list[str], env: dict) -> None:
        log = (self.tmp / f"{name}.log").open("w")
        self.procs[name] = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start(self) -> None:
        api_spec = "bench.load_phones:profiled_app()" if self.args.profile else "server:create_app()"
        self._start("api", gunicorn_cmd(self.args, self.port, api_spec, self.tmp / "api-access.log"), self.env)
        floor_env = dict(self.env, FLOOR_DATABASE_URL=db_url(DB_NAME), FLOOR_MEDIA_ROOT=str(self.tmp / "floor-media"))
        self._start(
            "floor", gunicorn_cmd(self.args, self.floor_port, "bench.floor_app:app", self.tmp / "floor-access.log"),
            floor_env,
        )  # fmt: skip
        worker = [sys.executable, "-m", "celery", "-A", "worker", "worker", "--loglevel", "INFO"]
        worker += ["--concurrency", str(self.args.celery_concurrency), "--hostname", "loadworker@%h"]
        self._start("worker", worker, self.env)
        self._wait(f"http://127.0.0.1:{self.port}/api/v1/health", lambda b: b.get("broker") == "ok")
        self._wait(f"http://127.0.0.1:{self.floor_port}/floor/health", lambda b: b.get("status") == "ok")
        deadline = time.monotonic() + 60
        while "ready." not in (self.tmp / "worker.log").read_text(errors="replace"):
            self._alive()
            if time.monotonic() > deadline:
                raise SystemExit("the Celery worker did not become ready in 60 s")
            time.sleep(0.2)

    def _alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise SystemExit(f"{name} exited ({proc.returncode}); see {self.tmp / (name + '.log')}")

    def _wait(self, url: str, ok) -> None:
        deadline = time.monotonic() + 60
        while True:
            self._alive()
            try:
                r = requests.get(url, timeout=3)
                if r.status_code == 200 and ok(r.json()):
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{url} did not answer in 60 s")
            time.sleep(0.3)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)  # gunicorn's master and Celery's main process stop their children
        for proc in self.procs.values():
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # stragglers of the session this bench started


# -- CPU accounting ----------------------------------------------------------------------------------------------


class CpuMeter:
    """CPU seconds per process group (the process trees of the API, the floor and the worker; this process;
    the PostgreSQL backends connected to park_load) from /proc every 0.5 s, and the machine's busy time."""

    def __init__(self, roots: dict[str, int]):
        self.roots = roots
        self.tick = os.sysconf("SC_CLK_TCK")
        self.conn = psycopg.connect(ADMIN_URL, autocommit=True, application_name="load_phones_meter")
        self.lock = threading.Lock()
        self.seg: dict | None = None
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while not self.stopped.wait(0.5):
            self.sample()

    @staticmethod
    def _procs() -> dict[int, tuple[int, int, int]]:
        procs = {}
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat") as fh:
                    stat = fh.read()
            except OSError:
                continue
            rest = stat[stat.rindex(")") + 2 :].split()
            procs[int(name)] = (int(rest[1]), int(rest[11]) + int(rest[12]), int(rest[19]))  # ppid, cpu, start
        return procs

    @staticmethod
    def _machine() -> tuple[int, int]:
        with open("/proc/stat") as fh:
            values = [int(v) for v in fh.readline().split()[1:9]]
        return sum(values), sum(values) - values[3] - values[4]  # total, busy (not idle, not iowait)

    def _groups(self, procs) -> dict[str, set[int]]:
        children = defaultdict(list)
        for pid, (ppid, _, _) in procs.items():
            children[ppid].append(pid)
        groups = {}
        for name, root in self.roots.items():
            seen, todo = set(), [root]
            while todo:
                pid = todo.pop()
                if pid in procs and pid not in seen:
                    seen.add(pid)
                    todo.extend(children[pid])
            groups[name] = seen
        groups["phones (this process)"] = {os.getpid()}
        rows = self.conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (DB_NAME,)).fetchall()
        groups["postgres backends"] = {pid for (pid,) in rows}
        return groups

    def sample(self) -> None:
        procs = self._procs()
        with self.lock:
            seg = self.seg
            if seg is None:
                return
            for name, pids in self._groups(procs).items():
                acc = seg["pids"].setdefault(name, {})
                for pid in pids & procs.keys():
                    _, cpu, start = procs[pid]
                    if pid not in acc:
                        acc[pid] = [0 if start >= seg["start_ticks"] else cpu, cpu]
                    acc[pid][1] = cpu

    def begin(self) -> None:
        with open("/proc/uptime") as fh:
            start_ticks = float(fh.read().split()[0]) * self.tick
        with self.lock:
            self.seg = {"pids": {}, "start_ticks": start_ticks, "machine": self._machine(), "t": time.monotonic()}
            self.seg["start_ticks"] = float("inf")  # first sample: every process found is a baseline
        self.sample()
        with self.lock:
            self.seg["start_ticks"] = start_ticks

    def end(self) -> dict:
        self.sample()
        with self.lock:
            seg, self.seg = self.seg, None
        total, busy = self._machine()
        wall = time.monotonic() - seg["t"]
        out = {name: sum(last - base for base, last in acc.values()) / self.tick for name, acc in seg["pids"].items()}
        out["machine busy"] = (busy - seg["machine"][1]) / self.tick
        out["machine capacity"] = (total - seg["machine"][0]) / self.tick
        out["wall"] = wall
        return out

    def close(self) -> None:
        self.stopped.set()
        self.thread.join()
        self.conn.close()


# -- the phones --------------------------------------------------------------------------------------------------


@dataclass
class Sub:
    """One submission (an inspection, a hazard or a photo) as the phone sees it."""

    target: str
    kind: str
    client_uuid: str
    phone: int
    segment: int
    url: str
    json_body: dict | None = None
    data: bytes | None = None
    content_type: str | None = None
    parent_id: int | None = None  # the inspection of a hazard, the hazard of a photo
    sha256: str | None = None
    size: int = 0
    status: str = "pending"  # accepted, gave_up, rejected
    record_id: int | None = None
    t_done: float = 0.0
    attempts: int = 0
    retries: int = 0
    created_answers: int = 0  # 201s received for this client_uuid (more than one: a duplicate was created)
    ids_seen: set = field(default_factory=set)
    error: str = ""
    dup: str = ""  # "sequential" (sent again after success) or "concurrent" (two copies at once)
    dup_issue: str = ""
    dup_unanswered: bool = False
    flushed: str = ""  # given up during the load, sent again afterwards: the result
    existed_when_given_up: bool | None = None


class Phone:
    def __init__(self, info: dict, args, urls: dict[str, str], photos: list[tuple[bytes, int]]):
        self.index = info["index"]
        self.username = info["username"]
        self.user_id = info["user_id"]
        self.enterprises = info["enterprises"]
        self.args, self.urls, self.photos = args, urls, photos
        self.rng = random.Random(1000 + self.index)
        self.lock = threading.Lock()
        self.sessions: dict[tuple[str, int], requests.Session] = {}
        self.ip = f"10.77.{self.index // 250}.{self.index % 250 + 1}"  # one address per phone (TRUSTED_PROXIES=1)
        self.headers = {
            "ours": {"X-Forwarded-For": self.ip},
            "floor": {"X-Forwarded-For": self.ip, "X-User-Id": str(self.user_id)},
        }
        self.attempts: list[tuple] = []  # (target, kind, segment, end, ms, status or error, purpose)
        self.subs: list[Sub] = []
        self.login_ms: float | None = None
        self.state: dict[str, dict] = {}  # per target: the cycle in progress
        self.login_error = ""
        self.timeouts = (args.connect_timeout, args.read_timeout)

    def session(self, target: str, slot: int = 0) -> requests.Session:
        key = (target, slot)
        if key not in self.sessions:
            s = requests.Session()
            s.mount("http://", requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=2, max_retries=0))
            self.sessions[key] = s
        return self.sessions[key]

    def login(self) -> None:
        for n in range(self.args.retries + 1):
            if n:
                time.sleep(self.args.backoff * 2 ** (n - 1))
            t = time.perf_counter()
            try:
                r = self.session("ours").post(
                    self.urls["login"],
                    json={"username": self.username, "password": PASSWORD},
                    headers=self.headers["ours"],
                    timeout=self.timeouts,
                )
            except requests.RequestException as exc:
                self.login_error = type(exc).__name__
                continue
            if r.status_code == 200:
                self.login_ms = (time.perf_counter() - t) * 1000
                body = r.json()
                assert body["user"]["id"] == self.user_id
                self.headers["ours"]["Authorization"] = f"Bearer {body['access_token']}"
                self.login_error = ""
                return
            self.login_error = f"HTTP {r.status_code}"

    # One request.
    def attempt(self, sub: Sub, purpose: str, slot: int) -> tuple[int | None, dict | None, str]:
        headers = dict(self.headers[sub.target])
        status, body, error = None, None, ""
        start = time.perf_counter()
        try:
            if sub.json_body is not None:
                r = self.session(sub.target, slot).post(
                    sub.url, json=sub.json_body, headers=headers, timeout=self.timeouts
                )
            else:
                headers["Content-Type"] = sub.content_type
                r = self.session(sub.target, slot).post(sub.url, data=sub.data, headers=headers, timeout=self.timeouts)
            status = r.status_code
            try:
                body = r.json()
            except ValueError:
                body = None
        except requests.Timeout:
            error = "timeout"
        except requests.ConnectionError:
            error = "connection error"
        end = time.perf_counter()
        with self.lock:
            self.attempts.append(
                (sub.target, sub.kind, sub.segment, end, (end - start) * 1000, status or error, purpose)
            )
        return status, body, error

    # One submission's sending, with retries (same client_uuid, same body).
    def send(self, sub: Sub, purpose: str, slot: int = 0) -> tuple[int | None, dict | None, str]:
        status, body, error = None, None, ""
        for n in range(self.args.retries + 1):
            if n:
                with self.lock:
                    sub.retries += 1
                    pause = min(8.0, self.args.backoff * 2 ** (n - 1)) * self.rng.uniform(0.5, 1.5)
                time.sleep(pause)
            status, body, error = self.attempt(sub, purpose if n == 0 else "retry", slot)
            with self.lock:
                sub.attempts += 1
                if status in (200, 201):
                    sub.ids_seen.add(body.get("id") if isinstance(body, dict) else None)
                    sub.created_answers += status == 201
            if status in (200, 201):
                return status, body, ""
            if status is not None and status < 500 and status != 429:
                message = body.get("message", "") if isinstance(body, dict) else ""
                return status, body, f"HTTP {status} {message}"[:200]
        return status, body, error or f"HTTP {status}"

    def run(self, sub: Sub) -> None:
        """Send a submission (sometimes as two copies at once), and ~10 % of the time again after success."""
        self.subs.append(sub)
        draw = self.rng.random()
        twin = draw < self.args.twin_rate
        if twin:
            sub.dup = "concurrent"
            box: dict = {}
            thread = threading.Thread(target=lambda: box.update(answer=self.send(sub, "twin", slot=1)))
            thread.start()
            answer = self.send(sub, "first")
            thread.join()
            if answer[0] not in (200, 201) and box["answer"][0] in (200, 201):
                answer = box["answer"]
        else:
            answer = self.send(sub, "first")
        self._settle(sub, answer)
        if sub.status == "accepted" and not twin and draw < self.args.twin_rate + self.args.dup_rate:
            sub.dup = "sequential"
            status, body, _ = self.send(sub, "duplicate")
            if status is None or status >= 500:
                sub.dup_unanswered = True
            elif status != 200 or not isinstance(body, dict) or body.get("id") != sub.record_id:
                sub.dup_issue = f"HTTP {status} id {body.get('id') if isinstance(body, dict) else None}"
        if sub.status == "accepted" and sub.kind == "photo":
            sub.data = None  # the phone's outbox keeps only what was not accepted

    def _settle(self, sub: Sub, answer) -> None:
        status, body, error = answer
        if status in (200, 201):
            sub.status, sub.record_id, sub.t_done = "accepted", body["id"], time.perf_counter()
        elif status is None or status >= 500 or status == 429:
            sub.status, sub.error = "gave_up", error
        else:
            sub.status, sub.error = "rejected", error

    def play(self, target: str, segment: int, gate: threading.Event, clock: dict) -> None:
        """Loop inspection -> hazard -> photo until the window ends; a cycle cut by the end of the window goes on
        in the next window of the same target (so that, after the warm-up, windows do not all start with
        inspections)."""
        gate.wait()
        t_end = clock["t_end"]
        state = self.state.setdefault(target, {})
        while time.perf_counter() < t_end:
            if "inspection" not in state:
                state["enterprise"] = self.rng.choice(self.enterprises)
                sub = self.inspection(target, segment, state["enterprise"])
                self.run(sub)
                if sub.status == "accepted":
                    state["inspection"] = sub.record_id
            elif "hazard" not in state:
                sub = self.hazard(target, segment, state["enterprise"], state["inspection"])
                self.run(sub)
                if sub.status == "accepted":
                    state["hazard"] = sub.record_id
                else:
                    state.clear()
            else:
                self.run(self.photo(target, segment, state["hazard"]))
                state.clear()

    def inspection(self, target: str, segment: int, enterprise: int) -> Sub:
        now = datetime.now(PARK)
        sub = Sub(target, "inspection", str(uuid.uuid4()), self.index, segment, f"{self.urls[target]}/inspections")
        sub.json_body = {
            "client_uuid": sub.client_uuid,
            "enterprise_id": enterprise,
            "kind": "routine",
            "started_at": (now - timedelta(minutes=40)).isoformat(timespec="seconds"),
            "finished_at": (now - timedelta(minutes=5)).isoformat(timespec="seconds"),
            "lat": round(31.30 + self.rng.random() / 50, 6),
            "lon": round(120.60 + self.rng.random() / 50, 6),
            "notes": "例行检查：消防通道、配电间、危化品仓库",
        }
        return sub

    def hazard(self, target: str, segment: int, enterprise: int, inspection_id: int) -> Sub:
        now = datetime.now(PARK)
        sub = Sub(target, "hazard", str(uuid.uuid4()), self.index, segment, f"{self.urls[target]}/hazards")
        sub.parent_id = inspection_id
        sub.json_body = {
            "client_uuid": sub.client_uuid,
            "enterprise_id": enterprise,
            "inspection_id": inspection_id,
            "location": "二号车间东侧配电间",
            "description": "配电箱前堆放纸箱等可燃物，占用检修通道",
            "category": self.rng.choice(CATEGORIES),
            "level": "general",
            "found_at": (now - timedelta(minutes=20)).isoformat(timespec="seconds"),
        }
        return sub

    def photo(self, target: str, segment: int, hazard_id: int) -> Sub:
        picture, offset = self.rng.choice(self.photos)
        data = unique_photo(picture, offset, uuid.uuid4().hex)
        sub = Sub(target, "photo", str(uuid.uuid4()), self.index, segment, "")
        sub.url = f"{self.urls[target]}/hazards/{hazard_id}/photos"
        sub.parent_id, sub.sha256, sub.size = hazard_id, hashlib.sha256(data).hexdigest(), len(data)
        sub.data, sub.content_type = multipart({"stage": "before", "client_uuid": sub.client_uuid}, data)
        return sub


def run_segment(phones: list[Phone], target: str, segment: int, seconds: float, meter: CpuMeter) -> dict:
    gate, clock = threading.Event(), {}
    threads = [threading.Thread(target=p.play, args=(target, segment, gate, clock), daemon=True) for p in phones]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    meter.begin()
    clock["t0"] = time.perf_counter()
    clock["t_end"] = clock["t0"] + seconds
    gate.set()
    for thread in threads:
        thread.join()
    clock["t_joined"] = time.perf_counter()
    cpu = meter.end()
    return {"index": segment, "target": target, "seconds": seconds, "cpu": cpu, **clock}


# -- profile of the API's workers (--profile) ---------------------------------------------------------------------

# Where the CPU of a request goes: a function's own CPU time (tottime) by the first of these its file matches.
MODULES = [
    ("psycopg (driver, Python part)", "/psycopg/"),
    ("SQLAlchemy (ORM, core, pool)", "/sqlalchemy/"),
    ("Pillow (decode at 1/8 scale)", "/PIL/"),
    ("Werkzeug (routing, multipart, request)", "/werkzeug/"),
    ("Flask, flask-smorest, marshmallow, webargs, apispec", "/flask"),
    ("Flask, flask-smorest, marshmallow, webargs, apispec", "/marshmallow/"),
    ("Flask, flask-smorest, marshmallow, webargs, apispec", "/webargs/"),
    ("JWT", "/jwt/"),
    ("Celery, kombu, redis (enqueue)", "/kombu/"),
    ("Celery, kombu, redis (enqueue)", "/celery/"),
    ("Celery, kombu, redis (enqueue)", "/redis/"),
    ("Flask-Limiter, limits", "/limits/"),
    ("the app (server/, schemas/)", "/server/"),
    ("the app (server/, schemas/)", "/schemas/"),
    ("Python standard library", "/lib/python3"),
]
# Parts of a request: the cumulative CPU time of these functions (file ending, function name).
PARTS = [
    ("POST /inspections view", "server/inspections/api.py", "InspectionsView.post"),
    ("POST /hazards view", "server/hazards/api.py", "HazardsView.post"),
    ("POST /hazards/{id}/photos view", "server/hazards/api.py", "PhotosView.post"),
    ("  of which the photo check (inspect_photo: decode, EXIF, SHA-256)", "server/hazards/photos.py", "inspect_photo"),
    ("  of which the original's write + fsync", "server/hazards/photo_service.py", "_write_atomically"),
    ("  of which enqueueing the derivation (Celery, Redis)", "server/celery_setup.py", "enqueue"),
    ("access check (JWT, user, scope loaders)", "server/auth.py", "enforce_access"),
    ("argument parsing (webargs; multipart for photos)", "webargs/core.py", "parse"),
    ("response serialisation (marshmallow dump)", "marshmallow/schema.py", "dump"),
    ("audit log (after_request: rollback, INSERT, commit)", "server/audit/service.py", "record"),
    ("SQL execution (SQLAlchemy execute, incl. psycopg and waits)", "sqlalchemy/engine/base.py", "_execute_context"),
    ("log-in view", "server/accounts/api.py", "TokenView.post"),
    ("whole Flask app", "flask/app.py", "wsgi_app"),
]


SQL_CALLS = [
    ("SQL statements (SQLAlchemy)", "sqlalchemy/engine/base.py", "_execute_context"),
    ("psycopg executes", "psycopg/cursor.py", "execute"),
    ("pool check-outs", "sqlalchemy/pool/base.py", "_checkout"),
    ("pre-pings", "sqlalchemy/engine/default.py", "do_ping"),
    ("new connections", "psycopg/connection.py", "connect"),
    ("commits", "sqlalchemy/engine/default.py", "do_commit"),
    ("rollbacks (incl. pool resets)", "sqlalchemy/engine/default.py", "do_rollback"),
]


def _code_line(qualname: str, path: str) -> int | None:
    """The first line of a view method (pstats names functions by file, line and bare name)."""
    if "." not in qualname:
        return None
    import importlib
    import inspect

    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    cls, name = qualname.split(".")
    return inspect.unwrap(getattr(getattr(module, cls), name)).__code__.co_firstlineno


class _ProfiledApp:
    """WSGI middleware: a cProfile per server thread, timed with the thread's own CPU clock (time.thread_time),
    enabled only while a request is served, dumped to LOAD_PROFILE_DIR at most every second; started afresh when
    the bench rewrites LOAD_PROFILE_DIR/reset (after the warm-up)."""

    def __init__(self, app, out: Path):
        self.app, self.out, self.local = app, out, threading.local()

    def _epoch(self) -> str:
        try:
            return (self.out / "reset").read_text()
        except OSError:
            return ""

    def __call__(self, environ, start_response):
        import cProfile

        local = self.local
        epoch = self._epoch()
        if getattr(local, "epoch", None) != epoch:  # first request, or the bench asked for a fresh start
            local.profile, local.dumped, local.epoch = cProfile.Profile(time.thread_time), time.monotonic(), epoch
        local.profile.enable()
        try:
            result = self.app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        finally:
            local.profile.disable()
        if time.monotonic() - local.dumped > 1 and self._epoch() == local.epoch:
            local.profile.dump_stats(self.out / f"{os.getpid()}-{threading.get_ident()}.prof")
            local.dumped = time.monotonic()
        return [body]


def profiled_app():
    """`server:create_app()` under a CPU-time cProfile per server thread (--profile); dumps to LOAD_PROFILE_DIR."""
    from server import create_app

    app = create_app()
    out = Path(os.environ["LOAD_PROFILE_DIR"])
    out.mkdir(parents=True, exist_ok=True)
    app.wsgi_app = _ProfiledApp(app.wsgi_app, out)
    return app


def print_profile(directory: Path, requests_served: int) -> None:
    import pstats

    files = sorted(str(p) for p in directory.glob("*.prof"))
    if not files:
        print("\nprofile: no data")
        return
    stats = pstats.Stats(*files).stats
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in stats.values())
    by_module: Counter = Counter()
    for (filename, _line, name), (_cc, _nc, tt, _ct, _callers) in stats.items():
        label = next((lab for lab, mark in MODULES if mark in filename), None)
        if label is None:
            label = f"C built-ins: {name}" if filename == "~" else "other"
        by_module[label] += tt
    n = max(requests_served, 1)
    print(f"\n== profile of the API's request threads (cProfile, thread CPU time; {len(files)} threads) ==")
    print(f"CPU in requests {total:.1f} s for ~{n} requests: {1000 * total / n:.1f} ms per request (with cProfile)")
    print(f"{'own CPU time by module':<60} {'%':>5} {'ms/req':>7}")
    for label, spent in by_module.most_common(14):
        print(f"  {label[:58]:<58} {100 * spent / total:5.1f} {1000 * spent / n:7.2f}")
    calls = Counter()
    for (filename, _line, name), (_cc, ncalls, _tt, _ct, _callers) in stats.items():
        for label, path, fn in SQL_CALLS:
            if name == fn and filename.endswith(path):
                calls[label] += ncalls
    print("per request: " + ", ".join(f"{calls[label] / n:.1f} {label}" for label, _p, _f in SQL_CALLS))
    print(f"{'cumulative CPU time of a part of the request':<60} {'%':>5} {'ms/req':>7}")
    for label, path, qualname in PARTS:
        line = _code_line(qualname, path) if path.startswith("server/") else None
        name = qualname.rsplit(".", 1)[-1]
        spent = sum(
            ct for (filename, ln, fn), (_cc, _nc, _tt, ct, _callers) in stats.items()
            if fn == name and filename.endswith(path) and (line is None or ln == line)
        )  # fmt: skip
        print(f"  {label[:58]:<58} {100 * spent / total:5.1f} {1000 * spent / n:7.2f}")
    print("hottest functions (own CPU time):")
    top = sorted(stats.items(), key=lambda item: -item[1][2])[:12]
    for (filename, line, name), (_cc, calls, tt, _ct, _callers) in top:
        where = name if filename == "~" else f"{'/'.join(filename.split('/')[-2:])}:{line} {name}"
        print(f"  {100 * tt / total:5.1f} %  {1000 * tt / n:6.2f} ms/req  {calls:8d} calls  {where[:80]}")


# -- the check ---------------------------------------------------------------------------------------------------


def existing_uuids(conn, target: str, kind: str, uuids: list[str]) -> set[str]:
    if not uuids:
        return set()
    table = TABLES[target][kind]
    rows = conn.execute(f"SELECT client_uuid FROM {table} WHERE client_uuid = ANY(%s)", (uuids,)).fetchall()
    return {u for (u,) in rows}


def check(conn, target: str, subs: list[Sub], user_ids: dict[int, int], media_root: Path) -> dict:
    """Compare what the phones believe with the database, for one target."""
    result: dict = {"kinds": {}, "problems": []}
    for kind in KINDS:
        table = TABLES[target][kind]
        mine = [s for s in subs if s.target == target and s.kind == kind]
        sent = {s.client_uuid: s for s in mine}
        accepted = {s.client_uuid: s for s in mine if s.status == "accepted"}
        extra = ", sha256, size_bytes, storage_key" if kind == "photo" else ""
        rows = {
            r[0]: r
            for r in conn.execute(
                f"SELECT client_uuid, id, {BY_COLUMN[kind]}, {PARENT_COLUMN[kind]}{extra} FROM {table}"
            ).fetchall()
        }
        dup_uuid = conn.execute(
            f"SELECT count(*) FROM (SELECT client_uuid FROM {table} GROUP BY client_uuid HAVING count(*) > 1) d"
        ).fetchone()[0]
        dup_sha = 0
        if kind == "photo":
            dup_sha = conn.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {table} GROUP BY hazard_id, sha256 HAVING count(*) > 1) d"
            ).fetchone()[0]
        missing = [u for u in accepted if u not in rows]
        wrong = []
        for u, s in accepted.items():
            row = rows.get(u)
            if row is None:
                continue
            if row[1] != s.record_id or row[2] != user_ids[s.phone] or (kind != "inspection" and row[3] != s.parent_id):
                wrong.append(f"{u}: row id {row[1]} by {row[2]} parent {row[3]}; answered {s.record_id}")
            elif kind == "photo" and (row[4] != s.sha256 or row[5] != s.size):
                wrong.append(f"{u}: stored sha256/size {row[4][:12]}/{row[5]} != sent {s.sha256[:12]}/{s.size}")
        files_bad = []
        if kind == "photo":
            root = media_root if target == "ours" else media_root.parent / "floor-media"
            for u in accepted:
                row = rows.get(u)
                if row is None:
                    continue
                path = root / row[6]
                if not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != row[4]:
                    files_bad.append(f"{u}: {path} missing or not the uploaded bytes")
        unknown = [u for u in rows if u not in sent]
        not_accepted_but_stored = [u for u, s in sent.items() if s.status != "accepted" and u in rows]
        stats = {
            "sent": len(sent),
            "accepted": len(accepted),
            "rows": len(rows),
            "missing": len(missing),
            "wrong": len(wrong),
            "files_bad": len(files_bad),
            "unknown": len(unknown),
            "dup_uuid": dup_uuid,
            "dup_sha": dup_sha,
            "created_twice": sum(s.created_answers > 1 for s in mine),
            "ids_differ": sum(len(s.ids_seen) > 1 for s in mine),
            "dups": sum(bool(s.dup) for s in mine),
            "dup_issues": sum(bool(s.dup_issue) for s in mine),
            "dup_unanswered": sum(s.dup_unanswered for s in mine),
            "gave_up": sum(s.existed_when_given_up is not None for s in mine),
            "gave_up_stored": sum(bool(s.existed_when_given_up) for s in mine),
            "flushed_ok": sum(s.flushed == "accepted" for s in mine),
            "still_out": sum(s.status != "accepted" for s in mine),
            "rejected": sum(s.status == "rejected" for s in mine),
            "stored_not_accepted": len(not_accepted_but_stored),
        }
        result["kinds"][kind] = stats
        for label, items in (
            ("believed accepted but missing", missing),
            ("id, user or link differs", wrong),
            ("original file missing or changed", files_bad),
            ("rows with a client_uuid no phone sent", unknown),
            ("stored although the phone never got a 2xx (outbox still holds it)", not_accepted_but_stored),
        ):
            if items:
                result["problems"].append(f"{target} {kind}: {len(items)} {label}, e.g. {items[:3]}")
        for label, n in (
            ("client_uuids stored more than once", dup_uuid),
            ("(hazard, sha256) stored more than once", dup_sha),
            ("client_uuids answered 201 more than once", stats["created_twice"]),
            ("client_uuids answered with different ids", stats["ids_differ"]),
            ("duplicates answered other than 200 with the first id", stats["dup_issues"]),
        ):
            if n:
                result["problems"].append(f"{target} {kind}: {n} {label}")
        rejected = [f"{s.client_uuid}: {s.error}" for s in mine if s.status == "rejected"]
        if rejected:
            result["problems"].append(f"{target} {kind}: {len(rejected)} refused with a 4xx, e.g. {rejected[:3]}")
    if target == "ours":
        side_effects = {
            "hazards without their 'registered' history entry": """SELECT count(*) FROM hazards h WHERE NOT EXISTS
                (SELECT 1 FROM hazard_events e WHERE e.hazard_id = h.id AND e.action = 'registered')""",
            "hazards with more than one 'registered' entry": """SELECT count(*) FROM (SELECT hazard_id FROM
                hazard_events WHERE action = 'registered' GROUP BY hazard_id HAVING count(*) > 1) d""",
            "photos without their 'photo_added' history entry": """SELECT count(*) FROM photos p WHERE NOT EXISTS
                (SELECT 1 FROM hazard_events e WHERE e.hazard_id = p.hazard_id AND e.action = 'photo_added'
                 AND (e.data->>'photo_id')::int = p.id)""",
            "photos with more than one 'photo_added' entry": """SELECT count(*) FROM (SELECT e.data->>'photo_id'
                FROM hazard_events e WHERE action = 'photo_added' GROUP BY 1 HAVING count(*) > 1) d""",
            "hazards whose enterprise user did not get exactly one notice": """SELECT count(*) FROM hazards h WHERE
                (SELECT count(*) FROM notifications n WHERE n.hazard_id = h.id AND n.kind = 'hazard_registered')
                <> 1""",
        }
        result["side_effects"] = {}
        for label, sql in side_effects.items():
            n = conn.execute(sql).fetchone()[0]
            result["side_effects"][label] = n
            if n:
                result["problems"].append(f"ours: {n} {label}")
    return result


def wait_derived(conn, limit: float, stall: float = 30) -> tuple[int, int, float]:
    """Wait until the worker has derived every photo, at most `limit` s, or until `stall` s pass without progress
    (a worker whose tasks fail); returns (derived, photos, seconds waited)."""
    start = last_change = time.monotonic()
    last = None
    while True:
        derived, total = conn.execute("SELECT count(*) FILTER (WHERE derived), count(*) FROM photos").fetchone()
        now = time.monotonic()
        if derived != last:
            last, last_change = derived, now
        if derived == total or now - start > limit or now - last_change > stall:
            return derived, total, now - start
        time.sleep(0.5)


# -- CPU per request, in-process -----------------------------------------------------------------------------------


def cost_breakdown(tmp: Path, phone: dict, photos: list[tuple[bytes, int]], cycles: int = 20) -> dict:
    """CPU time (this thread's clock) of each request through Flask's test client, one at a time, warm: the API and
    the floor side by side, with the API's SQL statements and commits per request; then the photo check and the
    worker's derivation alone. No HTTP server and no contention: what a request costs, not how long it waits."""
    import sqlalchemy as sa

    from server import create_app
    from server.extensions import db
    from server.hazards import photos as imaging

    os.environ.setdefault("FLOOR_DATABASE_URL", db_url(DB_NAME))
    os.environ.setdefault("FLOOR_MEDIA_ROOT", str(tmp / "breakdown-floor-media"))
    from bench import floor_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": db_url(DB_NAME).replace("postgresql://", "postgresql+psycopg://"),
            "SECRET_KEY": SECRET_KEY,
            "CELERY_BROKER_URL": REDIS_URL,
            "MEDIA_ROOT": str(tmp / "breakdown-media"),
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    counts = Counter()
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", lambda *_a, **_k: counts.update(["statements"]))
        sa.event.listen(db.engine, "commit", lambda *_a: counts.update(["commits"]))
    ours, floor = app.test_client(), floor_app.app.test_client()
    token = ours.post("/api/v1/auth/token", json={"username": phone["username"], "password": PASSWORD}).get_json()
    headers = {
        "ours": {"Authorization": f"Bearer {token['access_token']}"},
        "floor": {"X-User-Id": str(phone["user_id"])},
    }
    clients, prefix = {"ours": ours, "floor": floor}, {"ours": "/api/v1", "floor": "/floor"}
    fake = Phone(phone, argparse.Namespace(connect_timeout=5, read_timeout=20), {}, photos)
    results: dict = defaultdict(list)

    def post(target: str, kind: str, sub: Sub):
        path = sub.url.replace(f"/{target}", prefix[target], 1)
        before, start = dict(counts), time.thread_time()
        if sub.json_body is not None:
            r = clients[target].post(path, json=sub.json_body, headers=headers[target])
        else:
            r = clients[target].post(path, data=sub.data, headers={**headers[target], "Content-Type": sub.content_type})
        results[(target, kind, "cpu")].append((time.thread_time() - start) * 1000)
        if target == "ours":
            for key in ("statements", "commits"):
                results[(target, kind, key)].append(counts[key] - before.get(key, 0))
        assert r.status_code == 201, (target, kind, r.status_code, r.get_data()[:200])
        return r.get_json()["id"]

    fake.urls = {"ours": "/ours", "floor": "/floor"}
    for n in range(cycles + 5):
        for target in TARGETS:
            enterprise = phone["enterprises"][0]
            inspection = post(target, "inspection", fake.inspection(target, -2, enterprise))
            hazard = post(target, "hazard", fake.hazard(target, -2, enterprise, inspection))
            post(target, "photo", fake.photo(target, -2, hazard))
        if n == 4:  # the first cycles warm the caches up
            results.clear()
    data = unique_photo(*photos[0], uuid.uuid4().hex)
    for _ in range(cycles):
        start = time.thread_time()
        imaging.inspect_photo(data, max_bytes=20 << 20, max_pixels=50_000_000)
        results["inspect_photo"].append((time.thread_time() - start) * 1000)
    src = tmp / "breakdown-photo.jpg"
    src.write_bytes(data)
    for _ in range(5):
        start = time.thread_time()
        imaging.derive_images(src, tmp / "breakdown-t.jpg", tmp / "breakdown-d.jpg")
        results["derive_images"].append((time.thread_time() - start) * 1000)
    with app.app_context():
        db.engine.dispose()
    return {key: pct(values, 50) for key, values in results.items()}


def print_breakdown(costs: dict) -> None:
    print("\n== CPU per request, in-process (Flask test client, one thread, warm; medians; no HTTP server) ==")
    print(f"{'kind':<11} {'ours ms':>8} {'SQL stmts':>9} {'commits':>7} {'floor ms':>8} {'ratio':>6}")
    total = {"ours": 0.0, "floor": 0.0}
    for kind in KINDS:
        a, b = costs[("ours", kind, "cpu")], costs[("floor", kind, "cpu")]
        total["ours"] += a
        total["floor"] += b
        print(
            f"{kind:<11} {a:8.1f} {costs[('ours', kind, 'statements')]:9.0f} {costs[('ours', kind, 'commits')]:7.0f} "
            f"{b:8.1f} {b / a:6.0%}"
        )
    print(
        f"{'a cycle':<11} {total['ours']:8.1f} {'':>9} {'':>7} {total['floor']:8.1f} "
        f"{total['floor'] / total['ours']:6.0%}"
    )
    print(
        f"of the photo request, the photo check alone (inspect_photo: full decode at 1/8 scale, EXIF, SHA-256): "
        f"{costs['inspect_photo']:.1f} ms"
    )
    print(f"the worker's derivation of one photo (derive_images): {costs['derive_images']:.1f} ms CPU")


# -- figures -----------------------------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def summarise(phones: list[Phone], segments: list[dict]) -> dict:
    subs = [s for p in phones for s in p.subs]
    attempts = [a for p in phones for a in p.attempts]
    segments = [s for s in segments if not s["warmup"]]
    seg_by_index = {s["index"]: s for s in segments}
    out: dict = {}
    for target in TARGETS:
        segs = [s for s in segments if s["target"] == target]
        if not segs:
            continue
        window = sum(s["seconds"] for s in segs)
        figures: dict = {"window": window, "segments": len(segs)}
        for kind in KINDS:
            done = [
                s
                for s in subs
                if s.target == target and s.kind == kind and s.status == "accepted" and s.segment in seg_by_index
                and s.t_done <= seg_by_index[s.segment]["t_end"]
            ]  # fmt: skip
            figures[f"{kind}/s"] = len(done) / window
            if kind == "photo":
                figures["photo MB/s"] = sum(s.size for s in done) / 1e6 / window
        figures["submissions/s"] = sum(figures[f"{k}/s"] for k in KINDS)
        mine = [a for a in attempts if a[0] == target and a[2] in seg_by_index]
        figures["requests/s"] = sum(1 for a in mine if a[3] <= seg_by_index[a[2]]["t_end"]) / window
        figures["latency"] = {
            kind: [a[4] for a in mine if a[1] == kind and a[5] in (200, 201)] for kind in KINDS
        }  # answered submissions, whatever the purpose (first, retry, duplicate, twin)
        figures["statuses"] = Counter((a[1], a[5]) for a in attempts if a[0] == target)
        figures["purposes"] = Counter(a[6] for a in attempts if a[0] == target)
        tsubs = [s for s in subs if s.target == target]
        figures["retries"] = sum(s.retries for s in tsubs)
        figures["dups"] = Counter(s.dup for s in tsubs if s.dup)
        figures["gave_up"] = sum(s.status == "gave_up" for s in tsubs)  # before the outbox is sent again
        figures["rejected"] = sum(s.status == "rejected" for s in tsubs)
        cpu: Counter = Counter()
        wall = 0.0
        for s in segs:
            cpu.update({k: v for k, v in s["cpu"].items() if k != "wall"})
            wall += s["cpu"]["wall"]
        figures["cores"] = {k: v / wall for k, v in cpu.items()}
        indices = {s["index"] for s in segs}
        accepted_all = sum(1 for s in tsubs if s.status == "accepted" and s.segment in indices)
        figures["cpu_ms_per_submission"] = {k: 1000 * v / max(accepted_all, 1) for k, v in cpu.items()}
        out[target] = figures
    return out


def environment(args) -> list[str]:
    import celery
    import gunicorn
    import PIL
    import redis

    with open("/proc/cpuinfo") as fh:
        model = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), "?")
    with psycopg.connect(ADMIN_URL) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        settings = {
            name: conn.execute(f"SHOW {name}").fetchone()[0]
            for name in ("shared_buffers", "synchronous_commit", "fsync", "max_connections")
        }
    redis_version = redis.Redis.from_url(REDIS_URL).info("server")["redis_version"]
    return [
        f"Python {platform.python_version()} on {platform.platform()}; {os.cpu_count()} CPUs: {model}",
        f"PostgreSQL {version} ({', '.join(f'{k} {v}' for k, v in settings.items())}); Redis {redis_version} "
        f"({REDIS_URL}: broker and rate-limit storage)",
        f"API: gunicorn {gunicorn.__version__} gthread --workers {args.web_workers} --threads {args.web_threads} "
        "--timeout 120 --graceful-timeout 30 --max-requests 5000 --max-requests-jitter 500, access log to a file, "
        "'server:create_app()'" + (" under cProfile (--profile)" if args.profile else ""),
        f"worker: Celery {celery.__version__}, one worker, --concurrency {args.celery_concurrency} (prefork); "
        "no beat; Pillow " + PIL.__version__,
        "floor: bench/floor_app.py under the same gunicorn settings (no auth, no validation; INSERT ... ON "
        "CONFLICT, file write + fsync)",
    ]


def production_hash_ms() -> float:
    """CPU time of one log-in check with Werkzeug's default scrypt (what production users have)."""
    from werkzeug.security import check_password_hash, generate_password_hash

    hashed = generate_password_hash("x" * 12, method="scrypt")
    start = time.process_time()
    for _ in range(3):
        check_password_hash(hashed, "x" * 12)
    return (time.process_time() - start) / 3 * 1000


def print_report(args, env_lines, data, phones, segments, figures, checks, derivation, login, photo_sizes) -> None:
    print("\n== environment ==")
    for line in env_lines:
        print(line)
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (other users' work included)")
    print(
        f"data: {data['grids']} grids, {data['enterprises']} enterprises (+1 enterprise user each), "
        f"{len(phones)} inspectors (one per phone); seeded password hash {FAST_HASH}"
    )
    print(
        f"phones: {len(phones)} threads, one requests.Session each (+1 for twins); timeouts {args.connect_timeout:g} s "
        f"connect / {args.read_timeout:g} s read; up to {args.retries} retries, back-off {args.backoff:g} s x 2^n "
        f"(+-50 %, max 8 s), same client_uuid and body; {args.dup_rate:.0%} sent again after success, "
        f"{args.twin_rate:.0%} sent as two copies at once"
    )
    print(
        f"photos: {len(photo_sizes)} distinct JPEGs 3000x2250, {min(photo_sizes) / 1e6:.2f}-"
        f"{max(photo_sizes) / 1e6:.2f} MB, EXIF orientation 6 + GPS + DateTimeOriginal; 32 bytes of a COM "
        "segment made unique per upload"
    )
    order = ", ".join(f"{s['target']} {s['seconds']:g} s{' (warm-up)' if s['warmup'] else ''}" for s in segments)
    print(f"schedule: {order}")
    print(
        f"log-in: {login['ok']}/{len(phones)} phones in {login['seconds']:.1f} s (p50 {login['p50']:.0f} ms, "
        f"p95 {login['p95']:.0f} ms); with production's scrypt one log-in costs {login['prod_hash_ms']:.0f} ms CPU"
    )

    print("\n== segments ==")
    print(
        f"{'#':>2} {'target':<6} {'s':>4} {'insp/s':>7} {'haz/s':>7} {'photo/s':>8} {'req/s':>7} {'tail s':>6} "
        f"{'lag':>5} {'drain s':>7} {'busy cores':>10} {'not ours':>8}"
    )
    subs = [s for p in phones for s in p.subs]
    for seg in segments:
        done = Counter(
            s.kind for s in subs if s.segment == seg["index"] and s.status == "accepted" and s.t_done <= seg["t_end"]
        )
        requests_n = sum(1 for p in phones for a in p.attempts if a[2] == seg["index"] and a[3] <= seg["t_end"])
        cpu = seg["cpu"]
        accounted = sum(v for k, v in cpu.items() if not k.startswith("machine") and k != "wall")
        print(
            f"{seg['index']:>2} {seg['target'] + ('*' if seg['warmup'] else ''):<6} {seg['seconds']:>4.0f} "
            f"{done['inspection'] / seg['seconds']:7.1f} "
            f"{done['hazard'] / seg['seconds']:7.1f} {done['photo'] / seg['seconds']:8.1f} "
            f"{requests_n / seg['seconds']:7.1f} {seg['t_joined'] - seg['t_end']:6.1f} {seg.get('lag', 0):5d} "
            f"{seg.get('drain', 0):7.1f} {cpu['machine busy'] / cpu['wall']:10.2f} "
            f"{(cpu['machine busy'] - accounted) / cpu['wall']:8.2f}"
        )
    print("* = warm-up, not in the figures below (its submissions are checked like the others)")
    print("tail = time from the end of the window until the last phone's last answer; lag = photos not yet derived")
    print("at the end; 'not ours' = busy cores outside the groups measured (other users, short-lived backends)")

    ours, floor = figures.get("ours"), figures.get("floor")
    print("\n== throughput (accepted in the window / window; sums over the target's segments) ==")
    print(f"{'':<26} {'ours':>9} {'floor':>9} {'ratio':>7}  target")
    for key in ("inspection/s", "hazard/s", "photo/s", "submissions/s", "requests/s", "photo MB/s"):
        a = ours[key] if ours else float("nan")
        b = floor[key] if floor else float("nan")
        ratio = a / b if b else float("nan")
        mark = ("met" if ratio >= args.target else "NOT met") if key != "requests/s" else ""
        print(f"{key:<26} {a:9.2f} {b:9.2f} {ratio:7.0%}  >= {args.target:.0%} {mark}")

    print("\n== latency of answered requests (201/200; first sends, retries and duplicates), ms ==")
    print(f"{'target':<6} {'kind':<11} {'n':>6} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}")
    for target, fig in figures.items():
        for kind in KINDS:
            values = fig["latency"][kind]
            print(
                f"{target:<6} {kind:<11} {len(values):6d} {pct(values, 50):7.0f} {pct(values, 95):7.0f} "
                f"{pct(values, 99):7.0f} {max(values, default=float('nan')):7.0f}"
            )

    print("\n== sending ==")
    for target, fig in figures.items():
        purposes = fig["purposes"]
        kinds = ", ".join(f"{k} {v}" for k, v in purposes.most_common())
        print(
            f"{target}: {sum(purposes.values())} requests ({kinds}); "
            f"retries {fig['retries']}; deliberate duplicates: {fig['dups'].get('sequential', 0)} sent again after "
            f"success, {fig['dups'].get('concurrent', 0)} sent twice at once; gave up {fig['gave_up']}; "
            f"refused (4xx) {fig['rejected']}"
        )
        by_status = Counter()
        for (kind, status), n in fig["statuses"].items():
            by_status[f"{kind} {status}"] += n
        print(f"  answers: {', '.join(f'{k}: {v}' for k, v in sorted(by_status.items()))}")

    print("\n== CPU (the target's segments incl. tails; 2 cores = the whole machine) ==")
    groups = sorted({k for fig in figures.values() for k in fig["cores"]} - {"machine busy", "machine capacity"})
    print(f"{'':<28} {'cores used':>15} {'ms CPU per accepted submission':>32}")
    print(f"{'':<28} {'ours':>7} {'floor':>7} {'ours':>15} {'floor':>15}")
    for group in [*groups, "machine busy"]:
        cores = [figures[t]["cores"].get(group, 0.0) if t in figures else 0.0 for t in TARGETS]
        per = [figures[t]["cpu_ms_per_submission"].get(group, 0.0) if t in figures else 0.0 for t in TARGETS]
        print(f"{group:<28} {cores[0]:7.2f} {cores[1]:7.2f} {per[0]:15.1f} {per[1]:15.1f}")

    print("\n== exactly once (after the outbox is sent again) ==")
    header = (
        f"{'target':<6} {'kind':<11} {'sent':>6} {'accepted':>8} {'rows':>6} {'missing':>7} {'wrong':>5} "
        f"{'unknown':>7} {'dup rows':>8} {'201 x2':>6} {'dups':>5} {'dup bad':>7} {'gave up':>7} "
        f"{'(stored)':>8} {'flushed':>7} {'out':>4}"
    )
    print(header)
    for target, result in checks.items():
        for kind, st in result["kinds"].items():
            print(
                f"{target:<6} {kind:<11} {st['sent']:6d} {st['accepted']:8d} {st['rows']:6d} {st['missing']:7d} "
                f"{st['wrong'] + st['files_bad']:5d} {st['unknown']:7d} {st['dup_uuid'] + st['dup_sha']:8d} "
                f"{st['created_twice']:6d} {st['dups']:5d} {st['dup_issues']:7d} {st['gave_up']:7d} "
                f"{st['gave_up_stored']:8d} {st['flushed_ok']:7d} {st['still_out']:4d}"
            )
    print(
        "wrong = id/user/link/bytes differ from the answer; dup rows = client_uuid or (hazard, sha256) stored twice; "
        "201 x2 = created twice;\ngave up (stored) = given up during the load (of which already stored: a lost "
        "answer); flushed = accepted when the outbox was sent again; out = still not accepted"
    )
    for label, n in checks["ours"].get("side_effects", {}).items():
        print(f"ours: {label}: {n}")
    print(
        f"derivation: {derivation['derived']}/{derivation['total']} photos derived by the worker "
        f"({derivation['seconds']:.1f} s waited after the load); derived files present: {derivation['files_ok']}"
    )
    if derivation["derived"] < derivation["total"]:
        print(f"  DERIVATION INCOMPLETE: {derivation['total'] - derivation['derived']} photos not derived (worker log)")
    for target, result in checks.items():
        totals = {k: v["accepted"] for k, v in result["kinds"].items()}
        verdict = "OK - none lost, none duplicated" if not result["problems"] else "FAIL"
        print(f"exactly once ({target}): {verdict}")
        print(f"  ({totals['inspection']} inspections, {totals['hazard']} hazards, {totals['photo']} photos checked)")
        for problem in result["problems"]:
            print(f"  - {problem}")

    if ours and floor:
        ratio = ours["submissions/s"] / floor["submissions/s"]
        print(
            f"\nthroughput ratio ours/floor: {ratio:.0%} of {floor['submissions/s']:.1f} submissions/s "
            f"(target >= {args.target:.0%}: {'met' if ratio >= args.target else 'NOT met'})"
        )


# -- main --------------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60, help="per target, split over the rounds")
    parser.add_argument("--rounds", type=int, default=2, help="ABBA rounds: ours/floor, floor/ours, ...")
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--web-threads", type=int, default=8)
    parser.add_argument("--celery-concurrency", type=int, default=4)
    parser.add_argument("--grids", type=int, default=20)
    parser.add_argument("--enterprises", type=int, default=200)
    parser.add_argument("--connect-timeout", type=float, default=5)
    parser.add_argument("--read-timeout", type=float, default=20)
    parser.add_argument("--retries", type=int, default=4)
    parser.add_argument("--backoff", type=float, default=0.5)
    parser.add_argument("--dup-rate", type=float, default=0.10)
    parser.add_argument("--twin-rate", type=float, default=0.02)
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=5, help="seconds of load per target before measuring")
    parser.add_argument("--derive-wait", type=float, default=300, help="bound on each wait for the worker")
    parser.add_argument("--target", type=float, default=0.70)
    parser.add_argument("--no-floor", action="store_true")
    parser.add_argument("--no-breakdown", action="store_true", help="skip the in-process CPU per request")
    parser.add_argument("--profile", action="store_true", help="cProfile the API's request threads (slows them)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (media, logs)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the stack on the way out

    env_lines = environment(args)
    print("\n".join(env_lines), flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="park_load_"))
    media_root = tmp / "media"
    os.environ["INSTANCE_PATH"] = str(tmp / "instance")  # the app made in this process keeps nothing in the tree
    print(f"scratch: {tmp}", flush=True)
    t = time.perf_counter()
    photos = make_photos(args.images, seed=40)
    print(f"photos: {len(photos)} made in {time.perf_counter() - t:.1f} s", flush=True)
    t = time.perf_counter()
    data = setup_database(args, media_root)
    print(f"database {DB_NAME}: migrated and seeded in {time.perf_counter() - t:.1f} s", flush=True)
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db_url(DB_NAME),
        CELERY_BROKER_URL=REDIS_URL,
        RATELIMIT_STORAGE_URI=REDIS_URL,
        SECRET_KEY=SECRET_KEY,
        MEDIA_ROOT=str(media_root),
        INSTANCE_PATH=str(tmp / "instance"),
        PASSWORD_HASH_METHOD=FAST_HASH,
        TRUSTED_PROXIES="1",  # behind a proxy: each phone's own address counts for the log-in limits
        LOAD_PROFILE_DIR=str(tmp / "profile"),
        PYTHONPATH=str(ROOT),
    )
    env.pop("SMTP_URL", None)
    stack = Stack(args, tmp, env)
    meter = None
    exit_code = 1
    try:
        stack.start()
        print(f"stack up: API :{stack.port}, floor :{stack.floor_port}, worker ready", flush=True)
        urls = {
            "login": f"http://127.0.0.1:{stack.port}/api/v1/auth/token",
            "ours": f"http://127.0.0.1:{stack.port}/api/v1",
            "floor": f"http://127.0.0.1:{stack.floor_port}/floor",
        }
        phones = [Phone(info, args, urls, photos) for info in data["phones"]]
        t = time.perf_counter()
        threads = [threading.Thread(target=p.login) for p in phones]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        logins = [p.login_ms for p in phones if p.login_ms is not None]
        login = {
            "ok": len(logins),
            "seconds": time.perf_counter() - t,
            "p50": pct(logins, 50),
            "p95": pct(logins, 95),
            "prod_hash_ms": production_hash_ms(),
        }
        failed = [f"{p.username}: {p.login_error}" for p in phones if p.login_ms is None]
        if failed:
            raise SystemExit(f"log-in failed for {len(failed)} phones, e.g. {failed[:3]}")
        print(f"log-in: {len(logins)} phones in {login['seconds']:.1f} s", flush=True)

        meter = CpuMeter({"API (gunicorn)": stack.procs["api"].pid, "worker (celery)": stack.procs["worker"].pid,
                          "floor (gunicorn)": stack.procs["floor"].pid})  # fmt: skip
        stats_conn = psycopg.connect(db_url(DB_NAME), autocommit=True, application_name="load_phones")
        plan = [(t, args.warmup, True) for t in TARGETS if args.warmup and not (args.no_floor and t == "floor")]
        for r in range(args.rounds):
            pair = ["ours", "floor"] if r % 2 == 0 else ["floor", "ours"]
            plan += [(t, args.seconds / args.rounds, False) for t in pair if not (args.no_floor and t == "floor")]
        segments = []
        for index, (target, seconds, warmup) in enumerate(plan):
            if index and not warmup and plan[index - 1][2] and args.profile:
                for path in (tmp / "profile").glob("*.prof"):
                    path.unlink()
                (tmp / "profile" / "reset").write_text(str(index))  # the request threads start new profiles
            time.sleep(3)  # keep-alive connections of the last segment close (gunicorn's keepalive is 2 s)
            seg = run_segment(phones, target, index, seconds, meter)
            seg["warmup"] = warmup
            if target == "ours":
                derived, total, _ = wait_derived(stats_conn, 0)
                seg["lag"] = total - derived
                _, _, seg["drain"] = wait_derived(stats_conn, args.derive_wait)
            segments.append(seg)
            done = sum(1 for p in phones for s in p.subs if s.segment == index and s.status == "accepted")
            print(
                f"segment {index} {target}{' (warm-up)' if warmup else ''}: {done} submissions accepted, tail "
                f"{seg['t_joined'] - seg['t_end']:.1f} s, derivation lag {seg.get('lag', 0)} drained in "
                f"{seg.get('drain', 0):.1f} s",
                flush=True,
            )
        figures = summarise(phones, segments)

        # The outbox: what the phones gave up on (was it stored anyway?), sent again once.
        subs = [s for p in phones for s in p.subs]
        for target in TARGETS:
            for kind in KINDS:
                out = [s for s in subs if s.target == target and s.kind == kind and s.status != "accepted"]
                stored = existing_uuids(stats_conn, target, kind, [s.client_uuid for s in out])
                for s in out:
                    if s.status == "gave_up":
                        s.existed_when_given_up = s.client_uuid in stored
        by_phone = {p.index: p for p in phones}
        flushing = [s for s in subs if s.status == "gave_up"]
        for s in flushing:
            s.segment = -1
            by_phone[s.phone]._settle(s, by_phone[s.phone].send(s, "outbox"))
            s.flushed = s.status
        print(f"outbox: {len(flushing)} given-up submissions sent again", flush=True)

        derived, total, waited = wait_derived(stats_conn, args.derive_wait)
        files_ok = 0
        for (key,) in stats_conn.execute("SELECT storage_key FROM photos WHERE derived").fetchall():
            stem = key.rsplit(".", 1)[0]
            files_ok += all((media_root / f"{stem}.{v}.jpg").exists() for v in ("thumbnail", "display"))
        derivation = {"derived": derived, "total": total, "seconds": waited, "files_ok": files_ok}

        user_ids = {p.index: p.user_id for p in phones}
        checks = {"ours": check(stats_conn, "ours", subs, user_ids, media_root)}
        if not args.no_floor:
            checks["floor"] = check(stats_conn, "floor", subs, user_ids, media_root)
        stats_conn.close()
        print_report(
            args, env_lines, data, phones, segments, figures, checks, derivation, login, [len(p[0]) for p in photos]
        )
        if not args.no_breakdown:
            print_breakdown(cost_breakdown(tmp, data["phones"][0], photos))
        if args.profile:
            warm = {seg["index"] for seg in segments if seg["warmup"]}
            served = sum(
                1 for p in phones for a in p.attempts if a[0] == "ours" and isinstance(a[5], int) and a[2] not in warm
            )  # the requests the API answered after the profiles were started afresh
            print_profile(tmp / "profile", served)
            print("(the figures of a --profile run are slowed by cProfile: not the headline figures)")
        exit_code = 0 if not checks["ours"]["problems"] else 1
    finally:
        if meter is not None:
            meter.close()
        stack.stop()
        redis.Redis.from_url(REDIS_URL).flushdb()
        errors = []
        for name in ("api", "floor", "worker"):
            log = tmp / f"{name}.log"
            if log.exists():
                text = log.read_text(errors="replace")
                errors += [f"{name}: {line}" for line in text.splitlines() if "Traceback" in line or "ERROR" in line]
        if errors:
            print(f"\nserver logs: {len(errors)} error lines, e.g.:", *errors[:5], sep="\n  ")
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
