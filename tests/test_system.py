"""The README's run command on the embedded defaults: API, worker and beat come up, the demo park is loaded."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from server.demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.system
def test_one_command_starts_api_worker_and_beat_with_demo_data(tmp_path):
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "MEDIA_ROOT", "SECRET_KEY")
    }
    env.update(INSTANCE_PATH=str(tmp_path / "instance"), PORT=str(port), PYTHONUNBUFFERED="1")
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    log = (tmp_path / "honcho.log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "honcho", "start", "-p", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 90
        health = None
        while time.monotonic() < deadline:
            try:
                health = requests.get(f"{base}/health", timeout=2).json()
                break
            except requests.ConnectionError:
                assert proc.poll() is None, (tmp_path / "honcho.log").read_text()
                time.sleep(0.5)
        assert health == {"status": "ok", "database": "ok", "broker": "ok"}
        for username in ("office", "leader", "inspector1", "e001", "admin"):
            r = requests.post(f"{base}/auth/token", json={"username": username, "password": DEMO_PASSWORD}, timeout=5)
            assert r.status_code == 200, username
        token = r.json()["access_token"]
        r = requests.get(f"{base}/enterprises", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert r.json()["total"] == 40
        # the worker (with beat) is up on the embedded broker, next to the API
        while time.monotonic() < deadline:
            text = (tmp_path / "honcho.log").read_text()
            if "ready." in text and "beat: Starting" in text:
                break
            time.sleep(0.5)
        assert "sqla+sqlite" in text and "ready." in text and "beat: Starting" in text, text
        assert (tmp_path / "instance" / "park.sqlite").exists()
        assert (tmp_path / "instance" / "broker.sqlite").exists()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
