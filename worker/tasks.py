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


@shared_task(name="worker.tasks.derive_pending_photos", acks_late=True)
def derive_pending_photos() -> int:
    """Catch up on photos whose derivation message was lost (the broker was down at upload)."""
    from server.hazards.photo_service import enqueue_pending_derivations

    return enqueue_pending_derivations()


@shared_task(name="worker.tasks.sweep_reminders", acks_late=True)
def sweep_reminders() -> dict:
    """One reminder sweep: record the deliveries due and enqueue them in batches."""
    from server.reminders.service import sweep

    result = sweep()
    return {"hazards": result.hazards, "created": result.created, "requeued": result.requeued}


@shared_task(name="worker.tasks.deliver_reminders", acks_late=True)
def deliver_reminders(delivery_ids: list[int]) -> dict:
    """Send a batch of deliveries; failed ones come back after their back-off."""
    from server.reminders.service import deliver, enqueue_batches

    result = deliver(delivery_ids)
    for countdown, ids in result.retry.items():
        enqueue_batches(ids, countdown=countdown)
    return {"sent": result.sent, "failed": result.failed, "held": result.held, "cancelled": result.cancelled}


@shared_task(name="worker.tasks.send_digest", acks_late=True)
def send_digest() -> int:
    """The office's daily list of overdue hazards."""
    from server.reminders.service import send_digest

    return len(send_digest())


@shared_task(name="worker.tasks.generate_brief", acks_late=True)
def generate_brief(brief_id: int) -> str | None:
    """Make a requested brief's figures, .docx and PDF (a brief no longer pending is left alone)."""
    from server.briefs.service import generate

    brief = generate(brief_id)
    return brief.status if brief else None


@shared_task(name="worker.tasks.quarterly_brief", acks_late=True)
def quarterly_brief() -> int | None:
    """On a quarter's first day: the brief of the quarter that just ended, made once."""
    from server.briefs.service import generate, quarterly

    brief = quarterly()
    if brief is None:
        return None
    generate(brief.id)
    return brief.id


@shared_task(name="worker.tasks.generate_pending_briefs", acks_late=True)
def generate_pending_briefs() -> int:
    """Catch up on briefs whose message was lost (the broker was down when they were asked for)."""
    from server.briefs.service import enqueue_pending

    return enqueue_pending()
