"""A real Celery worker process on the Redis broker derives uploaded photos after the upload has answered."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from server.extensions import db
from server.hazards.models import Photo
from tests import images
from tests.workers import Worker, wait_until


@pytest.fixture
def worker(app, tmp_path):
    """A real worker on this test's database, media folder and the Redis broker."""
    proc = Worker(app, tmp_path, "photos").wait_ready()
    yield proc.log_path
    proc.stop()


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
