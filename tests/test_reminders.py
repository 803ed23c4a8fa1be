"""Reminder stages at simulated times, recipients, quiet hours, stopping, the digest and the log."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from server.extensions import db
from server.notifications.models import Notification
from server.reminders import service as reminders
from server.reminders.models import ReminderDelivery
from tests.conftest import PLAN_FOR_TESTS, count, park_iso

PARK = ZoneInfo("Asia/Shanghai")


def park_moment(days_ahead: int, hour: int, minute: int = 0) -> datetime:
    """A moment in park time, `days_ahead` days from today."""
    day = datetime.now(UTC).astimezone(PARK).date() + timedelta(days=days_ahead)
    return datetime.combine(day, time(hour, minute), tzinfo=PARK)


T = park_moment(30, 10)  # the simulated sweep time: a weekday morning a month from now


def rows(**where) -> list[ReminderDelivery]:
    db.session.expire_all()
    stmt = sa.select(ReminderDelivery).order_by(ReminderDelivery.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(ReminderDelivery, name) == value)
    return list(db.session.execute(stmt).scalars())


def run(now: datetime):
    """One sweep at `now`, delivered in this process."""
    result = reminders.sweep(now, send=False)
    pending = [r.id for r in rows(status="pending")]
    return result, reminders.deliver(pending, now)


def test_each_hazard_gets_only_its_highest_stage_and_the_earlier_recipients(world, phone):
    w = world
    due_soon = phone.hazard(deadline=(T + timedelta(hours=12)).isoformat())
    overdue = phone.hazard(deadline=(T - timedelta(days=1)).isoformat())
    escalated = phone.hazard(deadline=(T - timedelta(days=4)).isoformat())
    supervised = phone.hazard(deadline=(T - timedelta(days=8)).isoformat())
    major = phone.hazard(deadline=(T - timedelta(days=1)).isoformat(), level="major", plan=PLAN_FOR_TESTS)
    later = phone.hazard(deadline=(T + timedelta(days=3)).isoformat())
    result, delivered = run(T)
    assert result.stages == {"due_soon": 1, "overdue": 1, "escalated": 2, "supervised": 1}
    stage_of = {r.hazard_id: r.stage for r in rows()}
    assert stage_of == {
        due_soon["id"]: "due_soon",
        overdue["id"]: "overdue",
        escalated["id"]: "escalated",
        supervised["id"]: "supervised",
        major["id"]: "escalated",  # a major hazard escalates at once
    }
    assert later["id"] not in stage_of
    users = lambda hid: sorted(r.recipient for r in rows(hazard_id=hid))  # noqa: E731
    ent, insp, office, leader = (f"user:{w.users[u].id}" for u in ("ent_a", "insp_a", "office", "leader"))
    assert users(due_soon["id"]) == sorted([ent, insp])
    assert users(overdue["id"]) == sorted([ent, insp])
    assert users(escalated["id"]) == sorted([ent, insp, office])
    assert users(supervised["id"]) == sorted([ent, insp, office, leader])
    assert delivered.sent == len(rows()) == 2 + 2 + 3 + 4 + 3 and {r.status for r in rows()} == {"sent"}
    assert all(r.channel == "in_app" and r.attempts == 1 for r in rows())

    # the notice names the enterprise, the hazard, the deadline and the days overdue, with a link
    notice = db.session.execute(
        sa.select(Notification).where(
            Notification.hazard_id == supervised["id"], Notification.user_id == w.users["leader"].id
        )
    ).scalar_one()
    assert notice.title == "【挂牌督办】苏州恒瑞精密机械有限公司"
    assert "配电箱前堆放纸箱" in notice.body and "已逾期8天" in notice.body
    assert (T - timedelta(days=8)).strftime("%Y年%m月%d日") in notice.body
    assert f"/hazards/{supervised['id']}" in notice.body

    # the same sweep again records and sends nothing
    again, _ = run(T)
    assert again.created == 0 and len(rows()) == 14
    # four days on, the due-soon hazard is escalated: overdue is skipped, not sent late
    run(T + timedelta(days=4))
    assert [r.stage for r in rows(hazard_id=due_soon["id"])].count("escalated") == 3
    assert [r.stage for r in rows(hazard_id=due_soon["id"])].count("overdue") == 0


def test_thresholds_are_configurable(app, world, phone, monkeypatch):
    monkeypatch.setitem(app.config, "REMINDER_ESCALATE_DAYS", 1)
    monkeypatch.setitem(app.config, "REMINDER_DUE_SOON_HOURS", 72)
    a = phone.hazard(deadline=(T - timedelta(days=1)).isoformat())
    b = phone.hazard(deadline=(T + timedelta(hours=60)).isoformat())
    run(T)
    assert {r.stage for r in rows(hazard_id=a["id"])} == {"escalated"}
    assert {r.stage for r in rows(hazard_id=b["id"])} == {"due_soon"}


def test_a_closed_hazard_or_an_extended_deadline_stops_pending_reminders(world, phone):
    w = world
    closed = phone.hazard(deadline=(T - timedelta(days=2)).isoformat())
    extended = phone.hazard(deadline=(T - timedelta(days=2)).isoformat())
    reminders.sweep(T, send=False)
    assert {r.status for r in rows()} == {"pending"}
    # before the worker gets to them, one is rectified and closed, the other extended
    assert phone.photo("ent_a", closed["id"], "after").status_code == 201
    w.post(
        "ent_a",
        f"/api/v1/hazards/{closed['id']}/rectification",
        json={"description": "已整改", "completed_at": park_iso()},
    )
    assert w.post("insp_a", f"/api/v1/hazards/{closed['id']}/verification", json={"accepted": True}).status_code == 200
    new_deadline = (T + timedelta(days=10)).date().isoformat()
    w.post(
        "office", f"/api/v1/hazards/{extended['id']}/extension", json={"deadline": new_deadline, "reason": "设备采购"}
    )
    before = count(Notification)
    result = reminders.deliver([r.id for r in rows()], T)
    assert result.cancelled == 4 and result.sent == 0
    assert {r.status for r in rows()} == {"cancelled"} and all(r.last_error for r in rows())
    assert count(Notification) == before
    # and the next sweeps find nothing due for them
    assert reminders.sweep(T, send=False).created == 0


def test_quiet_hours_hold_sms_and_webhooks_until_morning(app, world, phone, monkeypatch, http_receiver):
    monkeypatch.setitem(app.config, "SMS_GATEWAY_URL", http_receiver.url("/sms"))
    monkeypatch.setitem(app.config, "WEBHOOK_URLS", f"安监办群=wecom:office:{http_receiver.url('/wecom')}")
    world.enterprises[0].contact_phone = "13912345678"
    db.session.commit()
    hazard = phone.hazard(deadline=(T - timedelta(days=4)).isoformat())
    night = park_moment(30, 23, 30)
    run(night)
    by_channel = {(r.channel, r.status) for r in rows()}
    assert ("in_app", "sent") in by_channel  # in-app is never held
    held = rows(status="held")
    assert {r.channel for r in held} == {"sms", "webhook"}
    morning = park_moment(31, 7)
    assert all(r.hold_until == morning.astimezone(UTC) for r in held)
    assert http_receiver.requests == []
    # a sweep before 07:00 keeps them held; the first one after sends them
    run(park_moment(31, 6, 45))
    assert len(rows(status="held")) == len(held) and http_receiver.requests == []
    run(park_moment(31, 7, 5))
    assert rows(status="held") == []
    assert {r.status for r in rows()} == {"sent"}
    bodies = [req["json"] for req in http_receiver.requests]
    sms = [b for b in bodies if "phone" in b]
    assert [b["phone"] for b in sms] == ["13912345678"] and "已逾期4天" in sms[0]["message"]
    wecom = [b for b in bodies if b.get("msgtype") == "markdown"]
    assert len(wecom) == 1 and "【升级督办】" in wecom[0]["markdown"]["content"]
    assert f"/hazards/{hazard['id']}" in wecom[0]["markdown"]["content"]


def test_email_reminders_arrive_over_smtp(app, world, phone, monkeypatch, smtp_server):
    monkeypatch.setitem(app.config, "SMTP_URL", smtp_server.url)
    w = world
    w.users["office"].email = "office@park.example"
    w.users["insp_a"].email = "zhang@park.example"
    w.enterprises[0].contact_email = "safety@hengrui.example"
    db.session.commit()
    hazard = phone.hazard(deadline=(T - timedelta(days=4)).isoformat())
    run(T)
    assert [r.recipient for r in rows(stage="notice")] == ["safety@hengrui.example"]  # at registration
    emails = rows(channel="email", stage="escalated")
    # those who must act get email; the office follows in-app and by the daily digest
    assert sorted(r.recipient for r in emails) == ["safety@hengrui.example", "zhang@park.example"]
    assert {r.status for r in emails} == {"sent"}
    received = [m for m in smtp_server.wait_for(3) if m["Subject"].startswith("【升级督办】")]
    assert sorted(m["To"] for m in received) == ["safety@hengrui.example", "zhang@park.example"]
    message = received[0]
    assert message["Subject"] == "【升级督办】苏州恒瑞精密机械有限公司"
    body = message.get_content()
    assert "已逾期4天" in body and f"/hazards/{hazard['id']}" in body
    assert len({m["Message-ID"] for m in received}) == 2


def test_failed_deliveries_are_retried_with_backoff_then_marked_failed(app, world, phone, monkeypatch, http_receiver):
    monkeypatch.setitem(app.config, "REMINDER_RETRY_BASE_SECONDS", 60)
    monkeypatch.setitem(app.config, "REMINDER_MAX_ATTEMPTS", 4)
    monkeypatch.setitem(
        app.config,
        "WEBHOOK_URLS",
        f"flaky=dingtalk:office:{http_receiver.url('/flaky')};dead=wecom:office:{http_receiver.url('/dead')}",
    )
    http_receiver.fail("/flaky", times=2, status=503)
    http_receiver.always_fail("/dead", status=500)
    phone.hazard(deadline=(T - timedelta(days=4)).isoformat())
    reminders.sweep(T, send=False)
    flaky, dead = rows(recipient="flaky")[0], rows(recipient="dead")[0]
    now = T
    waits = []
    for _ in range(6):
        result = reminders.deliver([flaky.id, dead.id], now)
        waits.extend(sorted(result.retry))
        if result.retry:
            now = now + timedelta(seconds=max(result.retry))
        # a try before the back-off is over sends nothing
        assert reminders.deliver([flaky.id, dead.id], now - timedelta(seconds=1)).sent == 0
    flaky, dead = rows(recipient="flaky")[0], rows(recipient="dead")[0]
    assert (flaky.status, flaky.attempts, flaky.last_error) == ("sent", 3, None)
    assert [r["status"] for r in http_receiver.requests if r["path"] == "/flaky"] == [503, 503, 200]
    assert dead.status == "failed" and dead.attempts == 4
    assert "500" in dead.last_error
    assert waits[:3] == [60, 120, 240]  # exponential: 60 s after the first failure, then 120 s, 240 s


def test_digest_lists_overdue_hazards_oldest_first(app, world, phone, runner):
    old = phone.hazard(deadline=(T - timedelta(days=9)).isoformat(), description="消防通道堵塞")
    new = phone.hazard(deadline=(T - timedelta(days=2)).isoformat(), description="配电箱未上锁")
    phone.hazard(deadline=(T + timedelta(days=2)).isoformat(), description="不在日报中")
    subject, body, n = reminders.digest_text(T.astimezone(UTC))
    assert n == 2 and subject.endswith("逾期未整改2项")
    assert body.index("消防通道堵塞") < body.index("配电箱未上锁")
    assert "逾期9天" in body and "逾期2天" in body and "不在日报中" not in body
    assert f"/hazards/{old['id']}" in body and f"/hazards/{new['id']}" in body
    result = runner.invoke(args=["send-digest", "--at", T.isoformat(), "--deliver"])
    assert result.exit_code == 0, result.output
    digest = rows(stage="digest")
    assert len(digest) == 1 and digest[0].hazard_id is None and digest[0].status == "sent"
    assert digest[0].recipient == f"user:{world.users['office'].id}" and digest[0].body == body
    # once a day
    runner.invoke(args=["send-digest", "--at", (T + timedelta(hours=3)).isoformat(), "--deliver"])
    assert len(rows(stage="digest")) == 1
    r = world.get("office", "/api/v1/reminders?stage=digest")
    assert r.status_code == 200 and r.get_json()["items"][0]["hazard_id"] is None


def test_sweep_command_and_the_delivery_log(world, phone, runner):
    hazard = phone.hazard(deadline=(T - timedelta(days=1)).isoformat())
    result = runner.invoke(args=["sweep-reminders", "--at", T.replace(tzinfo=None).isoformat(), "--deliver"])
    assert result.exit_code == 0, result.output
    assert "1 hazards at a new stage" in result.output and "2 sent" in result.output
    r = world.get("office", f"/api/v1/reminders?hazard_id={hazard['id']}")
    items = r.get_json()["items"]
    assert {(i["stage"], i["channel"], i["status"], i["attempts"]) for i in items} == {("overdue", "in_app", "sent", 1)}
    assert {i["recipient"] for i in items} == {f"user:{world.users['ent_a'].id}", f"user:{world.users['insp_a'].id}"}
    assert world.get("office", "/api/v1/reminders?status=failed").get_json()["total"] == 0
    assert world.get("insp_a", "/api/v1/reminders").status_code == 403
    assert world.get("ent_a", "/api/v1/reminders").status_code == 403
    assert world.get("office", "/api/v1/reminders?status=lost").status_code == 422


@pytest.mark.parametrize(
    "clock, held",
    [("21:59", False), ("22:00", True), ("23:30", True), ("03:00", True), ("06:59", True), ("07:00", False)],
)
def test_quiet_hours_boundaries(app, clock, held):
    hour, minute = map(int, clock.split(":"))
    moment = park_moment(1, hour, minute)
    assert (reminders.quiet_until(moment) is not None) is held


def test_registration_emails_the_rectification_notice_to_the_enterprise_contact(
    app, world, phone, monkeypatch, smtp_server
):
    world.enterprises[0].contact_email = "Safety@HengRui.example"
    db.session.commit()
    # without SMTP: in-app only, no email recorded
    phone.hazard()
    assert rows(channel="email") == []
    monkeypatch.setitem(app.config, "SMTP_URL", smtp_server.url)
    hazard = phone.hazard(deadline="2099-06-30")
    notice = rows(stage="notice")
    assert [(r.channel, r.recipient, r.status, r.hazard_id) for r in notice] == [
        ("email", "safety@hengrui.example", "pending", hazard["id"])
    ]
    # the worker sends it (here: in this process); a repeat of the same registration adds nothing
    assert world.post("insp_a", "/api/v1/hazards", json={}).status_code == 422
    reminders.deliver([r.id for r in notice])
    message = smtp_server.wait_for(1)[0]
    assert message["To"] == "safety@hengrui.example"
    assert message["Subject"] == "整改通知：苏州恒瑞精密机械有限公司"
    body = message.get_content()
    assert "2099年06月30日" in body and f"/hazards/{hazard['id']}" in body
    assert rows(stage="notice")[0].status == "sent"
    # a self-reported hazard needs no notice to the enterprise that reported it
    phone.hazard(username="ent_a")
    assert len(rows(stage="notice")) == 1
