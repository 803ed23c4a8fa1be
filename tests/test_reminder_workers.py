"""Reminders with real worker processes on the Redis broker: concurrent sweeps and a SIGKILLed worker
deliver every reminder once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from server.extensions import db
from server.notifications.models import Notification
from server.reminders import service as reminders
from server.reminders.models import ReminderDelivery
from tests.workers import Worker, wait_until


def overdue_hazards(world, phone, n: int) -> list[dict]:
    """n open hazards, 1 to 9 days overdue now, at both enterprises."""
    now = datetime.now(UTC)
    out = []
    for i in range(n):
        enterprise = i % 2
        found = (now - timedelta(days=20)).isoformat()
        deadline = (now - timedelta(days=1 + i % 9)).isoformat()
        inspector = "insp_a" if enterprise == 0 else "insp_b"
        out.append(phone.hazard(username=inspector, enterprise=enterprise, found_at=found, deadline=deadline))
    return out


def with_email(world) -> None:
    world.enterprises[0].contact_email = "safety@a.example"
    world.enterprises[1].contact_email = "safety@b.example"
    world.users["office"].email = "office@park.example"
    db.session.commit()


def deliveries() -> list[ReminderDelivery]:
    db.session.expire_all()
    return list(db.session.execute(sa.select(ReminderDelivery)).scalars())


def all_settled() -> bool:
    found = deliveries()
    return bool(found) and all(r.status == "sent" for r in found)


def assert_each_delivered_once(smtp) -> None:
    found = deliveries()
    assert len({r.dedupe_key for r in found}) == len(found)
    in_app = [r for r in found if r.channel == "in_app"]
    notices = db.session.execute(
        sa.select(Notification.user_id, Notification.hazard_id, Notification.kind).where(
            Notification.kind.like("reminder_%")
        )
    ).all()
    assert Counter(notices) == Counter((r.user_id, r.hazard_id, f"reminder_{r.stage}") for r in in_app)
    emails = [r for r in found if r.channel == "email"]
    received = smtp.wait_for(len(emails))
    assert sorted(m["To"] for m in received) == sorted(r.recipient for r in emails)
    return emails, received


def test_two_sweeps_at_once_on_two_workers_deliver_each_reminder_once(
    app, world, phone, tmp_path, smtp_server, monkeypatch
):  # noqa: E501
    monkeypatch.setitem(app.config, "SMTP_URL", smtp_server.url)
    with_email(world)
    overdue_hazards(world, phone, 24)
    env = {"SMTP_URL": smtp_server.url}
    workers = [Worker(app, tmp_path, f"w{i}", concurrency=2, **env) for i in range(2)]
    try:
        for w in workers:
            w.wait_ready()
        celery = app.extensions["celery"]
        for _ in range(2):  # two sweeps at the same moment, picked up by different processes
            celery.send_task("worker.tasks.sweep_reminders")
        reminders.sweep()  # and a third one from here, for good measure
        assert wait_until(all_settled, timeout=60), [w.log()[-2000:] for w in workers]
        emails, received = assert_each_delivered_once(smtp_server)
        assert len(received) == len(emails)
        assert sum(r.stage != "notice" for r in emails) == 24  # one reminder to each enterprise contact
        assert len({m["Message-ID"] for m in received}) == len(received)
        logs = "".join(w.log() for w in workers)
        assert logs.count("worker.tasks.sweep_reminders") >= 2
    finally:
        for w in workers:
            w.stop()


def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
    app, world, phone, tmp_path, smtp_server, monkeypatch
):  # noqa: E501
    monkeypatch.setitem(app.config, "SMTP_URL", smtp_server.url)
    monkeypatch.setitem(app.config, "REMINDER_BATCH_SIZE", 10)
    monkeypatch.setitem(app.config, "REMINDER_CLAIM_TIMEOUT_SECONDS", 2)
    with_email(world)
    overdue_hazards(world, phone, 40)
    # A slow mail server: each RCPT takes 0.5 s, so the kill below lands while a message is being
    # addressed — in the middle of a batch, before that message was accepted.
    smtp_server.rcpt_delay = 0.5
    env = {"SMTP_URL": smtp_server.url, "REMINDER_CLAIM_TIMEOUT_SECONDS": "2", "REMINDER_BATCH_SIZE": "10"}
    first = Worker(app, tmp_path, "doomed", concurrency=1, **env).wait_ready()
    second = None
    try:
        reminders.sweep()
        total_email = sum(1 for r in deliveries() if r.channel == "email")
        assert wait_until(lambda: smtp_server.rcpt_started >= 6, timeout=30, interval=0.01), first.log()[-2000:]
        first.kill()
        smtp_server.rcpt_delay = 0
        assert not all_settled(), "the worker finished before it was killed: nothing was tested"
        received_before = len(smtp_server.messages)
        assert received_before < total_email
        second = Worker(app, tmp_path, "rescuer", concurrency=1, **env).wait_ready()
        # the claims of the dead worker expire; the next sweeps (beat's job) hand its rows to the new worker
        requeued = []

        def sweep_and_check() -> bool:
            requeued.append(reminders.sweep().requeued)
            return all_settled()

        assert wait_until(sweep_and_check, timeout=60, interval=1.0), (
            Counter((r.status, r.claimed_at is not None, r.hold_until is not None, r.attempts) for r in deliveries()),
            second.log()[-1500:],
        )
        assert sum(requeued) > 0
        emails, received = assert_each_delivered_once(smtp_server)
        ids = Counter(m["Message-ID"] for m in received)
        assert len(ids) == len(emails)  # nothing lost
        assert sum(ids.values()) == len(emails), ids.most_common(3)  # nothing twice
    finally:
        first.stop()
        if second:
            second.stop()


def test_the_embedded_broker_runs_reminders_without_redis(app, world, phone, tmp_path):
    """The bare-machine default: kombu's SQLAlchemy transport on a SQLite file, no Redis."""
    from tests.conftest import make_app

    broker = f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"
    overdue_hazards(world, phone, 4)
    worker = Worker(app, tmp_path, "embedded", concurrency=1, CELERY_BROKER_URL=broker).wait_ready()
    embedded = make_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, CELERY_BROKER_URL=broker)
    try:
        with embedded.app_context():
            embedded.extensions["celery"].send_task("worker.tasks.sweep_reminders")
        assert wait_until(all_settled, timeout=60), worker.log()[-2000:]
        # 1 and 2 days overdue: enterprise + inspector; 3 and 4 days: + office
        assert {r.channel for r in deliveries()} == {"in_app"} and len(deliveries()) == 2 + 2 + 3 + 3
        assert "sqla+sqlite" in worker.log()
    finally:
        worker.stop()
        with embedded.app_context():
            db.engine.dispose()
