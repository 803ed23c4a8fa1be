"""Celery bound to the Flask app: every task runs inside the app context, with the same config."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from celery import Celery, Task
from celery.schedules import crontab
from flask import Flask

log = logging.getLogger(__name__)


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    broker = app.config["CELERY_BROKER_URL"]
    celery_app = Celery(app.import_name, task_cls=FlaskTask)
    celery_app.conf.update(
        broker_url=broker,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=3,
        task_ignore_result=True,
        # Tasks are idempotent; a message is acknowledged only once its work is done,
        # and given back to the queue if the worker dies in the middle.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        timezone=app.config["PARK_TIMEZONE"],
        enable_utc=True,
        beat_schedule_filename=str(Path(app.instance_path) / "celerybeat-schedule"),
        beat_schedule=_beat_schedule(app),
    )
    if broker.startswith("redis"):
        # A message not acknowledged within this time is delivered again (acks_late + crash).
        celery_app.conf.broker_transport_options = {"visibility_timeout": int(timedelta(hours=1).total_seconds())}
    celery_app.conf.update(app.config.get("CELERY", {}))
    app.extensions["celery"] = celery_app
    return celery_app


def _beat_schedule(app: Flask) -> dict:
    """What beat runs: the reminder sweep, the office's daily digest (park time), photo and brief catch-up,
    and the quarter's brief on the first day of each quarter (park time)."""
    hour, minute = (int(part) for part in app.config["DIGEST_TIME"].split(":"))
    brief_hour, brief_minute = (int(part) for part in app.config["BRIEF_TIME"].split(":"))
    return {
        "sweep-reminders": {
            "task": "worker.tasks.sweep_reminders",
            "schedule": timedelta(minutes=app.config["REMINDER_SWEEP_MINUTES"]),
        },
        "send-digest": {"task": "worker.tasks.send_digest", "schedule": crontab(hour=hour, minute=minute)},
        "derive-pending-photos": {"task": "worker.tasks.derive_pending_photos", "schedule": timedelta(minutes=10)},
        "quarterly-brief": {
            "task": "worker.tasks.quarterly_brief",
            "schedule": crontab(hour=brief_hour, minute=brief_minute, day_of_month=1, month_of_year="1,4,7,10"),
        },
        "generate-pending-briefs": {"task": "worker.tasks.generate_pending_briefs", "schedule": timedelta(minutes=10)},
    }


def enqueue(app: Flask, task_name: str, *args, countdown: float | None = None) -> bool:
    """Send a task by name (the API never imports the worker); call after the commit.

    A broker that is down must not fail the request: the work is recorded in the database and
    a periodic sweep (or the next reader) catches up. Returns whether the message was sent.
    """
    try:
        app.extensions["celery"].send_task(
            task_name,
            args=args,
            countdown=countdown,
            retry=True,
            retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.5},
        )
        return True
    except Exception:  # noqa: BLE001 - the broker's errors vary by transport
        log.warning("could not enqueue %s%r; a sweep will catch up", task_name, args, exc_info=True)
        return False
