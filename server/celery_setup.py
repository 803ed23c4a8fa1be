"""Celery bound to the Flask app: every task runs inside the app context, with the same config."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from celery import Celery, Task
from flask import Flask


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
        task_ignore_result=True,
        # Tasks are idempotent; a message is acknowledged only once its work is done,
        # and given back to the queue if the worker dies in the middle.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        timezone=app.config["PARK_TIMEZONE"],
        enable_utc=True,
        beat_schedule_filename=str(Path(app.instance_path) / "celerybeat-schedule"),
        beat_schedule={},
    )
    if broker.startswith("redis"):
        # A message not acknowledged within this time is delivered again (acks_late + crash).
        celery_app.conf.broker_transport_options = {"visibility_timeout": int(timedelta(hours=1).total_seconds())}
    celery_app.conf.update(app.config.get("CELERY", {}))
    app.extensions["celery"] = celery_app
    return celery_app


def enqueue(app: Flask, task_name: str, *args) -> None:
    """Send a task by name (the API never imports the worker); call after the commit."""
    app.extensions["celery"].send_task(task_name, args=args)
