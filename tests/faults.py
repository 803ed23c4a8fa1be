"""Private servers for fault tests: a Redis and a PostgreSQL cluster of our own, on free ports, that a test
may kill, stop and restart without touching the machine's shared PostgreSQL (5432) and Redis (6379).

Also: freezing a worker's process group (SIGSTOP) to look at its state, and a record of recovery times.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout: float, interval: float = 0.05, what: str = "condition") -> float:
    """Poll `check` until it is true; returns the seconds it took. Fails (AssertionError) after `timeout`."""
    start = time.monotonic()
    while True:
        if check():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{what}: not reached within {timeout:.0f} s")
        time.sleep(interval)


# -- Redis ---------------------------------------------------------------------------------------------


class RedisServer:
    """`redis-server` without persistence on a fixed free port; kill() is SIGKILL, start() again uses the same port."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log_path = workdir / "redis.log"

    def start(self, timeout: float = 20) -> float:
        assert not self.running, "redis is already running"
        start = time.monotonic()
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir), "--logfile", str(self.log_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        wait_for(self.ping, timeout, what=f"redis on port {self.port} answers PING")
        return time.monotonic() - start

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def client(self):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def kill(self) -> None:
        """SIGKILL: the broker vanishes without a goodbye (and without saving: every queued message is lost)."""
        if self.running:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def close(self) -> None:
        self.kill()


# -- PostgreSQL ------------------------------------------------------------------------------------------


def _as_postgres(*args: str, log: Path | None = None, timeout: float = 90) -> subprocess.CompletedProcess:
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    try:
        return subprocess.run(
            ["runuser", "-u", "postgres", "--", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=True,
        )
    finally:
        if log:
            out.close()


@dataclass
class PostgresCluster:
    """A throw-away cluster (initdb, trust auth) in a temporary folder owned by postgres, on a free port."""

    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="park-faults-pg-", dir="/tmp")))
    port: int = field(default_factory=free_port)

    def __post_init__(self) -> None:
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"  # the server's own log (written by postgres)
        self.commands_log = self.root / "commands.log"  # initdb's and pg_ctl's output (opened by this process)
        shutil.chown(self.root, "postgres", "postgres")
        os.chmod(self.root, 0o700)
        _as_postgres(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync",
            "-E", "UTF8", "--locale=C.UTF-8",
            log=self.commands_log,
        )  # fmt: skip

    @property
    def options(self) -> str:
        # fsync off: this cluster holds nothing worth keeping; a fast shutdown still ends every session.
        return f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"

    def _ctl(self, *args: str) -> float:
        start = time.monotonic()
        try:
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60", *args, log=self.commands_log)
        except subprocess.CalledProcessError as exc:
            tails = [p.read_text(errors="replace")[-2000:] for p in (self.commands_log, self.log) if p.exists()]
            raise AssertionError(f"pg_ctl {args[-1]} failed ({exc.returncode}):\n" + "\n".join(tails)) from None
        return time.monotonic() - start

    def start(self) -> float:
        return self._ctl("-o", self.options, "-l", str(self.log), "start")

    def stop(self, mode: str = "fast") -> float:
        return self._ctl("-m", mode, "stop")

    def restart(self, mode: str = "fast") -> float:
        return self._ctl("-m", mode, "-o", self.options, "restart")

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres", **kw):
        import psycopg

        return psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}", connect_timeout=5, **kw)

    def create_database(self, name: str) -> str:
        with self.connect(autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def destroy(self) -> None:
        try:
            if self.running:
                self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


# -- freezing a worker ---------------------------------------------------------------------------------


def group_pids(pgid: int) -> list[int]:
    """The live processes of a process group (a celery worker and its pool children)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(entry))
    return pids


def freeze(pgid: int, timeout: float = 5) -> None:
    """SIGSTOP a process group and wait until every member is stopped: its files are then as a kill would leave them."""
    os.killpg(pgid, signal.SIGSTOP)

    def stopped() -> bool:
        for pid in group_pids(pgid):
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state not in ("T", "t", "Z", "X"):
                return False
        return True

    wait_for(stopped, timeout, interval=0.001, what=f"process group {pgid} stopped")


def thaw(pgid: int) -> None:
    os.killpg(pgid, signal.SIGCONT)


# -- timings -------------------------------------------------------------------------------------------


@dataclass
class Timings:
    """Seconds measured by the fault tests, printed at the end of the module (recovery times for the report)."""

    rows: list[tuple[str, str, float]] = field(default_factory=list)

    def record(self, test: str, what: str, seconds: float) -> float:
        self.rows.append((test, what, seconds))
        print(f"[fault timing] {test}: {what} = {seconds:.3f} s", flush=True)
        return seconds

    def lines(self) -> list[str]:
        width = max((len(f"{t}: {w}") for t, w, _ in self.rows), default=0)
        return [f"{f'{t}: {w}':<{width}}  {s:8.3f} s" for t, w, s in self.rows]
