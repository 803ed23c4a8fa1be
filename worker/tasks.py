"""Thin Celery tasks: each takes ids and calls one service function."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="worker.tasks.derive_photo",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=8,
)
def derive_photo(photo_id: int) -> bool:
    """Make a photo's thumbnail and display image (idempotent: a re-run finds them done)."""
    from server.hazards.photo_service import derive

    return derive(photo_id)
