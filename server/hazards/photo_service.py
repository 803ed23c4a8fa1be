"""Hazard photos: checked uploads kept byte for byte, derived images, signed URLs.

The Pillow work lives in `server.hazards.photos`; this module stores, records and serves.
File names on disk are made here (`photos/<hazard>/<random>.<ext>`), never from the client.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, url_for
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from server import signing
from server.codes import HAZARD_STATUSES, label
from server.errors import Conflict, Forbidden, ServiceError
from server.extensions import db
from server.hazards import photos as imaging
from server.hazards.models import Hazard, HazardEvent, Photo
from server.i18n import language
from server.timeutil import to_utc, utcnow

VARIANTS = ("original", "display", "thumbnail")


class PhotoError(ServiceError):
    """An upload refused by the image checks; its status comes from the check (413/415/422)."""

    def __init__(self, rejected: imaging.PhotoRejected):
        config = current_app.config
        super().__init__(
            rejected.key,
            limit_mb=config["MAX_UPLOAD_BYTES"] // (1024 * 1024),
            limit_mp=config["MAX_IMAGE_PIXELS"] // 1_000_000,
        )
        self.status = rejected.status


def media_path(key: str) -> Path:
    return Path(current_app.config["MEDIA_ROOT"]) / key


def derived_key(photo: Photo, variant: str) -> str:
    if variant == "original":
        return photo.storage_key
    return f"{photo.storage_key.rsplit('.', 1)[0]}.{variant}.jpg"


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def check_may_add(user, hazard: Hazard, stage: str) -> None:
    # Enterprises add after photos; before photos only to the hazards they reported themselves.
    if user.role == "enterprise" and stage != "after" and hazard.source != "self_check":
        raise Forbidden("enterprise_after_photos_only")
    if hazard.status == "closed":
        raise Conflict("photo_hazard_closed")
    if stage == "after" and hazard.status != "registered":
        raise Conflict("after_photo_not_now", status=label(HAZARD_STATUSES, hazard.status, language()))


def same_photo(hazard_id: int, sha256: str, client_uuid: str | None) -> Photo | None:
    conditions = [sa.and_(Photo.hazard_id == hazard_id, Photo.sha256 == sha256)]
    if client_uuid:
        conditions.append(Photo.client_uuid == client_uuid)
    found = db.session.execute(sa.select(Photo).where(sa.or_(*conditions))).scalars().all()
    for photo in found:
        if photo.hazard_id != hazard_id or photo.sha256 != sha256:
            raise Conflict("client_uuid_reused")  # the UUID names another photo
    return found[0] if found else None


def add_photo(
    user, hazard: Hazard, stage: str, client_uuid: str | None, upload: FileStorage, now: datetime | None = None
) -> tuple[Photo, bool]:
    """Check and keep an uploaded photo; returns (photo, created). The view commits, then enqueues."""
    check_may_add(user, hazard, stage)
    config = current_app.config
    data = upload.stream.read(config["MAX_UPLOAD_BYTES"] + 1)
    try:
        info = imaging.inspect_photo(data, max_bytes=config["MAX_UPLOAD_BYTES"], max_pixels=config["MAX_IMAGE_PIXELS"])
    except imaging.PhotoRejected as rejected:
        raise PhotoError(rejected) from None
    existing = same_photo(hazard.id, info.sha256, client_uuid)
    if existing is not None:
        return existing, False
    now = now or utcnow()
    taken_at = to_utc(info.taken_at) if info.taken_at else None
    stale = taken_at is not None and abs(now - taken_at) > timedelta(hours=config["PHOTO_STALE_HOURS"])
    key = f"photos/{hazard.id}/{uuid.uuid4().hex}.{info.extension}"
    _write_atomically(media_path(key), data)
    photo = Photo(
        hazard_id=hazard.id,
        client_uuid=client_uuid,
        stage=stage,
        sha256=info.sha256,
        storage_key=key,
        content_type=info.content_type,
        size_bytes=len(data),
        width=info.width,
        height=info.height,
        taken_at=taken_at,
        gps_lat=info.gps[0] if info.gps else None,
        gps_lon=info.gps[1] if info.gps else None,
        stale=stale,
        uploaded_by_id=user.id,
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(photo)
    except IntegrityError:
        # The same photo arrived concurrently and was stored first: answer with that one.
        media_path(key).unlink(missing_ok=True)
        existing = same_photo(hazard.id, info.sha256, client_uuid)
        if existing is None:
            raise
        return existing, False
    db.session.add(
        HazardEvent(
            hazard_id=hazard.id,
            at=now,
            actor_id=user.id,
            action="photo_added",
            from_status=hazard.status,
            to_status=hazard.status,
            data={"photo_id": photo.id, "stage": stage},
        )
    )
    db.session.flush()
    return photo, True


def derive(photo_id: int) -> bool:
    """Make the thumbnail and display images (idempotent); False when the photo is gone."""
    photo = db.session.get(Photo, photo_id)
    if photo is None:
        return False
    thumb, display = media_path(derived_key(photo, "thumbnail")), media_path(derived_key(photo, "display"))
    if not (photo.derived and thumb.exists() and display.exists()):
        started = time.time()
        imaging.derive_images(media_path(photo.storage_key), thumb, display)
        photo.derived = True
        db.session.commit()
        _remove_stale_temporaries((thumb, display), started)
    return True


def _remove_stale_temporaries(paths, before: float) -> None:
    """Temporary files of an earlier derivation that was killed mid-write (it never got to remove them).
    One begun after ours may still be writing: only those older than our start go."""
    for path in paths:
        for stale in path.parent.glob(f".{path.name}.*.tmp"):
            with contextlib.suppress(FileNotFoundError):
                if stale.stat().st_mtime < before:
                    stale.unlink()


def enqueue_pending_derivations(older_than: timedelta = timedelta(minutes=1)) -> int:
    """Enqueue the derivation of photos still waiting for it (their message was lost)."""
    from server.celery_setup import enqueue

    ids = db.session.execute(
        sa.select(Photo.id).where(Photo.derived.is_(False), Photo.created_at < utcnow() - older_than)
    ).scalars()
    return sum(enqueue(current_app, "worker.tasks.derive_photo", photo_id) for photo_id in ids)


# -- signed URLs ---------------------------------------------------------------------------------


def signature_valid(photo_id: int, variant: str, expires: str | None, signature: str | None) -> bool:
    return signing.valid(f"photo:{photo_id}:{variant}", expires, signature)


def signed_urls(photo: Photo) -> dict[str, str]:
    ttl = current_app.config["PHOTO_URL_TTL_SECONDS"]
    return {
        variant: url_for(
            "photos.PhotoFile", photo_id=photo.id, variant=variant, **signing.sign(f"photo:{photo.id}:{variant}", ttl)
        )
        for variant in VARIANTS
    }
