"""A real Celery worker process on the Redis broker derives uploaded photos after the upload has answered."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from server.extensions import db
from server.hazards.models import Photo
from tests import images
from tests.conftest import REDIS_URL

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def worker(app, tmp_path):
    """`celery -A worker worker` against this test's database, media folder and the Redis broker."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        CELERY_BROKER_URL=REDIS_URL,
        MEDIA_ROOT=app.config["MEDIA_ROOT"],
        SECRET_KEY=app.config["SECRET_KEY"],
        INSTANCE_PATH=str(tmp_path / "instance"),
        PYTHONUNBUFFERED="1",
    )
    log_path = tmp_path / "worker.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "worker", "worker", "--concurrency", "2", "--loglevel", "INFO"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while "ready." not in log_path.read_text():
        assert proc.poll() is None and time.monotonic() < deadline, log_path.read_text()
        time.sleep(0.2)
    yield log_path
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()


def wait_until(check, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def test_worker_derives_uploaded_photos(app, world, phone, worker):
    hazard = phone.hazard()
    data = images.jpeg_bytes(2400, 1800, orientation=6, gps=(31.46, 121.10))
    r = phone.photo("insp_a", hazard["id"], "before", data)
    assert r.status_code == 201
    photo_id = r.get_json()["id"]

    def derived() -> bool:
        db.session.expire_all()
        return db.session.execute(sa.select(Photo.derived).where(Photo.id == photo_id)).scalar_one()

    assert wait_until(derived), worker.read_text()
    media = Path(app.config["MEDIA_ROOT"])
    photo = db.session.get(Photo, photo_id)
    stem = photo.storage_key.rsplit(".", 1)[0]
    from PIL import Image

    with Image.open(media / f"{stem}.thumbnail.jpg") as thumb:
        assert thumb.size == (240, 320)
    with Image.open(media / f"{stem}.display.jpg") as display:
        assert display.size == (960, 1280)
    assert "worker.tasks.derive_photo" in worker.read_text()
