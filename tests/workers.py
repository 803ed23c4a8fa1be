"""Real Celery worker processes for tests: `celery -A worker worker` on this test's database and Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import REDIS_URL

ROOT = Path(__file__).resolve().parent.parent


class Worker:
    def __init__(self, app, tmp_path: Path, name: str, concurrency: int = 2, **env_extra: str):
        env = dict(os.environ)
        env.update(
            DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
            CELERY_BROKER_URL=REDIS_URL,
            MEDIA_ROOT=app.config["MEDIA_ROOT"],
            SECRET_KEY=app.config["SECRET_KEY"],
            INSTANCE_PATH=str(tmp_path / f"instance-{name}"),
            PYTHONUNBUFFERED="1",
        )
        env.update({k: str(v) for k, v in env_extra.items()})
        self.log_path = tmp_path / f"worker-{name}.log"
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "worker", "worker", "-n", f"{name}@%h",
             "--concurrency", str(concurrency), "--loglevel", "INFO"],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def wait_ready(self, timeout: float = 60) -> Worker:
        deadline = time.monotonic() + timeout
        while "ready." not in self.log():
            assert self.proc.poll() is None and time.monotonic() < deadline, self.log()
            time.sleep(0.2)
        return self

    def log(self) -> str:
        return self.log_path.read_text()

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes: no chance to finish or to give messages back."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        self._log.close()


def wait_until(check, timeout: float = 30.0, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return False
