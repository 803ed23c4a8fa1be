"""Reminders (跟踪督办): which hazard is at which stage, who is told over which channel, and the
delivery of each message exactly once.

A sweep finds the open hazards near or past their deadline in a few set-based queries, works out
the highest stage due for each, and inserts one `ReminderDelivery` row per (hazard, stage,
channel, recipient) with a unique key — a second sweep, or two at once, insert nothing new. Only
the sweep that inserted a row enqueues it. A worker *claims* rows with one conditional UPDATE
before sending (so a row is sent by one worker only), sends, and marks it sent; failures wait
with exponential back-off, then end as `failed` with the last error. Rows whose worker died are
claimable again after the claim timeout; the next sweep re-enqueues them.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app

from server.accounts.models import Grid, User, grid_inspectors
from server.celery_setup import enqueue
from server.codes import HAZARD_LEVELS, label
from server.enterprises.models import Enterprise
from server.extensions import db
from server.hazards.models import Hazard
from server.notifications.models import Notification
from server.reminders import channels
from server.reminders.models import ReminderDelivery
from server.timeutil import days_late, park_tz, utcnow

log = logging.getLogger(__name__)

STAGES = ("due_soon", "overdue", "escalated", "supervised")
RANK = {stage: rank for rank, stage in enumerate(STAGES)}
DELIVER_TASK = "worker.tasks.deliver_reminders"


# -- stages ----------------------------------------------------------------------------------------


def stage_due(status: str, level: str, deadline: datetime, now: datetime) -> str | None:
    """The highest stage due for a hazard at `now` (SPEC.md, reminders), or None."""
    config = current_app.config
    if status == "closed":
        return None
    if now <= deadline:
        soon = now > deadline - timedelta(hours=config["REMINDER_DUE_SOON_HOURS"])
        return "due_soon" if soon else None
    days = days_late(deadline, now)
    if days >= config["REMINDER_SUPERVISE_DAYS"]:
        return "supervised"
    if days >= config["REMINDER_ESCALATE_DAYS"] or level == "major":
        return "escalated"
    return "overdue"


def quiet_until(now: datetime) -> datetime | None:
    """When quiet hours (park time, e.g. 22:00-07:00) are on at `now`, the moment they end."""
    spec = current_app.config.get("QUIET_HOURS") or ""
    if not spec.strip():
        return None
    start_s, end_s = (part.strip() for part in spec.split("-"))
    start, end = time.fromisoformat(start_s), time.fromisoformat(end_s)
    local = now.astimezone(park_tz())
    clock = local.time()
    inside = (start <= clock or clock < end) if start > end else (start <= clock < end)
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=park_tz()).astimezone(UTC)


def backoff_seconds(attempts: int) -> float:
    config = current_app.config
    return min(config["REMINDER_RETRY_MAX_SECONDS"], config["REMINDER_RETRY_BASE_SECONDS"] * 2 ** (attempts - 1))


# -- messages --------------------------------------------------------------------------------------

TEMPLATES = {
    "due_soon": ("【整改提醒】{enterprise}", "隐患即将到期：请于{deadline}前完成整改并上传整改后照片、提交整改情况。"),
    "overdue": ("【逾期提醒】{enterprise}", "隐患已逾期{days}天（整改期限{deadline}），请立即整改。"),
    "escalated": (
        "【升级督办】{enterprise}",
        "隐患已逾期{days}天（整改期限{deadline}），已提请安监办督办，请立即整改并报告进展。",
    ),
    "supervised": (
        "【挂牌督办】{enterprise}",
        "隐患已逾期{days}天（整改期限{deadline}），已报管委会领导挂牌督办，请立即整改并书面报告。",
    ),
}


def hazard_link(hazard_id: int) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/hazards/{hazard_id}"


def compose(stage: str, target: Target, now: datetime) -> tuple[str, str]:
    """Subject and text of a reminder, in Chinese: the enterprise, the hazard, its deadline, days overdue, a link."""
    deadline = target.deadline.astimezone(park_tz()).strftime("%Y年%m月%d日 %H:%M")
    days = days_late(target.deadline, now) if now > target.deadline else 0
    title, sentence = TEMPLATES[stage]
    where = f"（{target.location}）" if target.location else ""
    body = (
        f"{target.enterprise_name}：{label(HAZARD_LEVELS, target.level)}“{target.description}”{where}。"
        f"{sentence.format(days=days, deadline=deadline)}\n详情：{hazard_link(target.hazard_id)}"
    )
    return title.format(enterprise=target.enterprise_name), body


# -- the sweep -------------------------------------------------------------------------------------


@dataclass
class Target:
    """What a sweep needs to know about one open hazard."""

    hazard_id: int
    enterprise_id: int
    grid_id: int
    level: str
    deadline: datetime
    description: str
    location: str | None
    enterprise_name: str
    contact_email: str | None
    contact_phone: str | None
    found_by_id: int
    found_by_role: str


@dataclass(frozen=True)
class Person:
    """A user as the sweep needs them: plain values, so commits in the sweep reload nothing."""

    id: int
    role: str
    email: str | None
    phone: str | None
    is_active: bool

    @classmethod
    def of(cls, user: User) -> Person:
        return cls(user.id, user.role, user.email, user.phone, user.is_active)


@dataclass
class People:
    """Everyone a sweep may tell, loaded once per sweep."""

    by_enterprise: dict[int, list[Person]] = field(default_factory=dict)
    by_grid: dict[int, list[Person]] = field(default_factory=dict)
    users: dict[int, Person] = field(default_factory=dict)
    office: list[Person] = field(default_factory=list)
    leader: list[Person] = field(default_factory=list)


def _load_people(targets: list[Target]) -> People:
    people = People()
    enterprise_ids = {t.enterprise_id for t in targets}
    grid_ids = {t.grid_id for t in targets}
    active = User.is_active.is_(True)
    for user in db.session.execute(
        sa.select(User).where(active, User.role == "enterprise", User.enterprise_id.in_(enterprise_ids))
    ).scalars():
        people.by_enterprise.setdefault(user.enterprise_id, []).append(Person.of(user))
    rows = db.session.execute(
        sa.select(grid_inspectors.c.grid_id, User)
        .join(User, User.id == grid_inspectors.c.user_id)
        .where(active, grid_inspectors.c.grid_id.in_(grid_ids))
    ).all()
    for grid_id, user in rows:
        people.by_grid.setdefault(grid_id, []).append(Person.of(user))
    finders = {t.found_by_id for t in targets}
    for user in db.session.execute(
        sa.select(User).where(sa.or_(User.id.in_(finders), User.role.in_(("office", "leader"))))
    ).scalars():
        people.users[user.id] = Person.of(user)
        if user.is_active and user.role in ("office", "leader"):
            getattr(people, user.role).append(people.users[user.id])
    return people


def _recipients(stage: str, target: Target, people: People) -> tuple[list[Person], list[str], list[str], set[str]]:
    """(users, extra email addresses, extra phones, webhook audiences) for a stage, the earlier stages' included."""
    users = list(people.by_enterprise.get(target.enterprise_id, []))
    finder = people.users.get(target.found_by_id)
    if finder is not None and finder.role == "inspector" and finder.is_active:
        users.append(finder)
    else:  # self-reported: the grid's inspectors verify it
        users.extend(people.by_grid.get(target.grid_id, []))
    audiences: set[str] = set()
    if RANK[stage] >= RANK["escalated"]:
        users.extend(people.office)
        audiences.add("office")
    if RANK[stage] >= RANK["supervised"]:
        users.extend(people.leader)
        audiences.add("leader")
    emails = [target.contact_email] if target.contact_email else []
    phones = [target.contact_phone] if target.contact_phone else []
    return users, emails, phones, audiences


def dedupe_key(hazard_id: int | str, stage: str, channel: str, recipient: str) -> str:
    key = f"{hazard_id}:{stage}:{channel}:{recipient}"
    return key if len(key) <= 400 else key[:330] + hashlib.sha256(key.encode()).hexdigest()


def _rows_for(stage: str, target: Target, people: People, now: datetime) -> list[dict]:
    config = current_app.config
    subject, body = compose(stage, target, now)
    users, emails, phones, audiences = _recipients(stage, target, people)
    out: dict[str, dict] = {}

    def add(channel: str, recipient: str, user_id: int | None) -> None:
        key = dedupe_key(target.hazard_id, stage, channel, recipient)
        out.setdefault(
            key,
            {
                "dedupe_key": key,
                "hazard_id": target.hazard_id,
                "stage": stage,
                "channel": channel,
                "recipient": recipient,
                "user_id": user_id,
                "status": "pending",
                "subject": subject,
                "body": body,
                "attempts": 0,
                "created_at": now,
            },
        )

    for user in users:
        add("in_app", f"user:{user.id}", user.id)
    if config.get("SMTP_URL"):
        # Email goes to those who must act on this hazard; the office and the leader follow
        # escalations in-app, through their group robots and in the daily digest email.
        for user in users:
            if user.email and user.role in ("enterprise", "inspector"):
                add("email", user.email.lower(), user.id)
        for address in emails:
            add("email", address.lower(), None)
    if config.get("SMS_GATEWAY_URL") and RANK[stage] >= RANK["overdue"]:
        for user in users:
            if user.phone:
                add("sms", user.phone, user.id)
        for phone in phones:
            add("sms", phone, None)
    for hook in channels.parse_webhooks(config.get("WEBHOOK_URLS")):
        if hook.audience in audiences:
            add("webhook", hook.name, None)
    return list(out.values())


def _open_targets(now: datetime) -> list[Target]:
    """Open hazards whose deadline is past or within the due-soon window: one query."""
    window_end = now + timedelta(hours=current_app.config["REMINDER_DUE_SOON_HOURS"])
    finder = sa.orm.aliased(User)
    stmt = (
        sa.select(
            Hazard.id,
            Hazard.enterprise_id,
            Enterprise.grid_id,
            Hazard.level,
            Hazard.deadline,
            Hazard.description,
            Hazard.location,
            Enterprise.name,
            Enterprise.contact_email,
            Enterprise.contact_phone,
            Hazard.found_by_id,
            finder.role,
        )
        .join(Enterprise, Enterprise.id == Hazard.enterprise_id)
        .join(finder, finder.id == Hazard.found_by_id)
        .where(Hazard.status != "closed", Hazard.deadline < window_end)
        .order_by(Hazard.id)
    )
    return [Target(*row) for row in db.session.execute(stmt)]


def _recorded_stages(now: datetime) -> set[tuple[int, str]]:
    """(hazard, stage) pairs that already have their deliveries: one query."""
    window_end = now + timedelta(hours=current_app.config["REMINDER_DUE_SOON_HOURS"])
    open_ids = sa.select(Hazard.id).where(Hazard.status != "closed", Hazard.deadline < window_end)
    stmt = (
        sa.select(ReminderDelivery.hazard_id, ReminderDelivery.stage)
        .where(ReminderDelivery.hazard_id.in_(open_ids))
        .distinct()
    )
    return {(hazard_id, stage) for hazard_id, stage in db.session.execute(stmt)}


def _insert_new(rows: list[dict]) -> list[int]:
    """Insert the rows whose key is new; return the ids of those inserted (ON CONFLICT DO NOTHING)."""
    if not rows:
        return []
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = ReminderDelivery.__table__
    stmt = insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(table.c.id)
    ids: list[int] = []
    for start in range(0, len(rows), 2000):
        ids.extend(db.session.execute(stmt, rows[start : start + 2000]).scalars())
    return ids


@dataclass
class SweepResult:
    hazards: int = 0
    created: int = 0
    requeued: int = 0
    stages: dict[str, int] = field(default_factory=dict)


def sweep(now: datetime | None = None, *, send: bool = True) -> SweepResult:
    """One reminder sweep at `now`: record the deliveries due, then enqueue them (or, with
    send=False, leave them for the caller to deliver). Commits."""
    now = now or utcnow()
    result = SweepResult()
    targets = _open_targets(now)
    recorded = _recorded_stages(now)
    due: list[tuple[str, Target]] = []
    for target in targets:
        stage = stage_due("registered", target.level, target.deadline, now)
        if stage and (target.hazard_id, stage) not in recorded:
            due.append((stage, target))
            result.stages[stage] = result.stages.get(stage, 0) + 1
    result.hazards = len(due)
    people = _load_people([t for _, t in due])
    chunk: list[dict] = []

    def flush() -> None:
        # Whole hazards per commit: a (hazard, stage) is either fully recorded or not at all.
        ids = _insert_new(chunk)
        db.session.commit()
        result.created += len(ids)
        chunk.clear()
        if send:  # workers start on the first rows while the sweep records the rest
            enqueue_batches(ids)

    for stage, target in due:
        chunk.extend(_rows_for(stage, target, people, now))
        if len(chunk) >= 2000:
            flush()
    flush()
    requeue = _stale_ids(now)
    result.requeued = len(requeue)
    if send:
        enqueue_batches(requeue)
    return result


def _stale_ids(now: datetime) -> list[int]:
    """Pending rows nobody is working on: held ones whose time has come, claims of dead workers,
    rows whose message was lost. They are enqueued again (claims keep them from being sent twice)."""
    timeout = timedelta(seconds=current_app.config["REMINDER_CLAIM_TIMEOUT_SECONDS"])
    rd = ReminderDelivery
    released = db.session.execute(
        sa.update(rd)
        .where(rd.status == "held", rd.hold_until <= now)
        .values(status="pending", hold_until=None)
        .returning(rd.id)
    ).scalars()
    ids = list(released)
    stale = db.session.execute(
        sa.select(rd.id).where(
            rd.status == "pending",
            rd.created_at < now - timeout,
            sa.or_(rd.claimed_at.is_(None), rd.claimed_at < now - timeout),
            sa.or_(rd.hold_until.is_(None), rd.hold_until <= now),
        )
    ).scalars()
    ids.extend(i for i in stale if i not in ids)
    db.session.commit()
    return ids


def enqueue_batches(ids: list[int], countdown: float | None = None) -> None:
    size = current_app.config["REMINDER_BATCH_SIZE"]
    for start in range(0, len(ids), size):
        enqueue(current_app, DELIVER_TASK, ids[start : start + size], countdown=countdown)


# -- delivery --------------------------------------------------------------------------------------


@dataclass
class DeliveryResult:
    sent: int = 0
    failed: int = 0
    held: int = 0
    cancelled: int = 0
    skipped: int = 0
    retry: dict[float, list[int]] = field(default_factory=dict)  # countdown → ids


def _claim(ids: list[int], now: datetime) -> list[int]:
    """Take the rows that are free to send: one conditional UPDATE, so two workers never both win."""
    timeout = timedelta(seconds=current_app.config["REMINDER_CLAIM_TIMEOUT_SECONDS"])
    rd = ReminderDelivery
    stmt = (
        sa.update(rd)
        .where(
            rd.id.in_(ids),
            rd.status == "pending",
            sa.or_(rd.claimed_at.is_(None), rd.claimed_at < now - timeout),
            sa.or_(rd.hold_until.is_(None), rd.hold_until <= now),
        )
        .values(claimed_at=now, attempts=rd.attempts + 1)
        .returning(rd.id)
    )
    claimed = list(db.session.execute(stmt).scalars())
    db.session.commit()
    return claimed


def _still_due(rows: list[ReminderDelivery], now: datetime) -> dict[int, bool]:
    """A closed hazard or an extended deadline stops reminders that are no longer due."""
    hazard_ids = {r.hazard_id for r in rows if r.hazard_id is not None}
    found = db.session.execute(
        sa.select(Hazard.id, Hazard.status, Hazard.level, Hazard.deadline).where(Hazard.id.in_(hazard_ids))
    ).all()
    open_ids = {hid for hid, status, _, _ in found if status != "closed"}
    current = {hid: stage_due(status, level, deadline, now) for hid, status, level, deadline in found}
    out = {}
    for row in rows:
        if row.stage == "digest":
            out[row.id] = True
        elif row.stage == "notice":  # the rectification notice: worth sending while the hazard is open
            out[row.id] = row.hazard_id in open_ids
        else:
            stage = current.get(row.hazard_id)
            out[row.id] = stage is not None and RANK[stage] >= RANK[row.stage]
    return out


def _finish(row: ReminderDelivery, now: datetime) -> None:
    row.status, row.sent_at, row.claimed_at, row.last_error = "sent", now, None, None


def _fail(row: ReminderDelivery, error: str, now: datetime, result: DeliveryResult) -> None:
    row.last_error = error[:2000]
    row.claimed_at = None
    if row.attempts >= current_app.config["REMINDER_MAX_ATTEMPTS"]:
        row.status = "failed"
        result.failed += 1
        log.warning("reminder %s failed for good: %s", row.id, error)
        return
    wait = backoff_seconds(row.attempts)
    row.hold_until = now + timedelta(seconds=wait)
    result.retry.setdefault(wait, []).append(row.id)


def deliver(ids: list[int], now: datetime | None = None) -> DeliveryResult:
    """Send the given deliveries that are still pending and due. Commits as it goes."""
    # The claimed rows are this worker's alone: keep them loaded across the per-row commits
    # instead of reloading each one after every commit.
    session = db.session()
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        return _deliver(ids, now or utcnow())
    finally:
        session.expire_on_commit = expire


def _deliver(ids: list[int], now: datetime) -> DeliveryResult:
    result = DeliveryResult()
    claimed = _claim(ids, now)
    result.skipped = len(ids) - len(claimed)
    if not claimed:
        return result
    rows = list(
        db.session.execute(
            sa.select(ReminderDelivery).where(ReminderDelivery.id.in_(claimed)).order_by(ReminderDelivery.id)
        ).scalars()
    )
    due = _still_due(rows, now)
    quiet_end = quiet_until(now)
    by_channel: dict[str, list[ReminderDelivery]] = defaultdict(list)
    for row in rows:
        if not due[row.id]:
            row.status, row.claimed_at = "cancelled", None
            row.last_error = "隐患已销号或期限已延长，该提醒不再需要。"
            result.cancelled += 1
        elif quiet_end and row.channel in ("sms", "webhook"):
            row.status, row.claimed_at, row.hold_until = "held", None, quiet_end
            row.attempts -= 1  # holding is not an attempt
            result.held += 1
        else:
            by_channel[row.channel].append(row)
    db.session.commit()

    # In-app: the notices and the "sent" marks in one transaction, so they happen exactly once.
    in_app = by_channel.pop("in_app", [])
    if in_app:
        notices = [
            {
                "user_id": row.user_id,
                "kind": f"reminder_{row.stage}",
                "title": row.subject,
                "body": row.body,
                "hazard_id": row.hazard_id,
                "created_at": now,
            }
            for row in in_app
        ]
        db.session.execute(sa.insert(Notification), notices)
        db.session.execute(
            sa.update(ReminderDelivery)
            .where(ReminderDelivery.id.in_([row.id for row in in_app]))
            .values(status="sent", sent_at=now, claimed_at=None, last_error=None)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        result.sent += len(in_app)

    config = current_app.config
    emails = by_channel.pop("email", [])
    if emails:
        try:
            with channels.Mailer(config["SMTP_URL"], config["MAIL_FROM"]) as mailer:
                for row in emails:
                    _send_one(row, result, now, lambda r: mailer.send(_email(r)))
        except channels.DeliveryError as exc:  # could not even connect
            for row in emails:
                if row.status == "pending" and row.claimed_at is not None:
                    _fail(row, str(exc), now, result)
            db.session.commit()
    hooks = {h.name: h for h in channels.parse_webhooks(config.get("WEBHOOK_URLS"))}
    for row in by_channel.pop("webhook", []):
        hook = hooks.get(row.recipient)
        if hook is None:
            _fail(row, "该群机器人已不在 WEBHOOK_URLS 配置中。", now, result)
            db.session.commit()
            continue
        _send_one(row, result, now, lambda r, h=hook: channels.send_webhook(h.kind, h.url, r.subject, r.body))
    for row in by_channel.pop("sms", []):
        _send_one(
            row,
            result,
            now,
            lambda r: channels.send_sms(config["SMS_GATEWAY_URL"], r.recipient, f"{r.subject} {r.body}"),
        )
    return result


def _email(row: ReminderDelivery) -> channels.Email:
    digest = hashlib.sha256(row.dedupe_key.encode()).hexdigest()[:32]
    return channels.Email(to=row.recipient, subject=row.subject, body=row.body, message_id=f"<{digest}@park-safety>")


def _send_one(row: ReminderDelivery, result: DeliveryResult, now: datetime, send) -> None:
    """Send one row and record the outcome at once (a crash right after loses the record, not the row)."""
    try:
        send(row)
    except channels.DeliveryError as exc:
        _fail(row, str(exc), now, result)
    else:
        _finish(row, now)
        result.sent += 1
    db.session.commit()


# -- the rectification notice by email ------------------------------------------------------------


def record_notice_email(hazard: Hazard, now: datetime) -> None:
    """When SMTP is configured, the enterprise contact also gets the rectification notice (整改通知) by email.
    Recorded with the hazard, in its transaction; `enqueue_notices` sends it after the commit."""
    from server.notifications.service import render

    address = (hazard.enterprise.contact_email or "").strip().lower()
    if not current_app.config.get("SMTP_URL") or not address:
        return
    subject, body = render("hazard_registered", hazard)
    db.session.add(
        ReminderDelivery(
            dedupe_key=dedupe_key(hazard.id, "notice", "email", address),
            hazard_id=hazard.id,
            stage="notice",
            channel="email",
            recipient=address,
            status="pending",
            subject=subject,
            body=f"{body}\n详情：{hazard_link(hazard.id)}",
            attempts=0,
            created_at=now,
        )
    )


def enqueue_notices(hazard_id: int) -> None:
    if not current_app.config.get("SMTP_URL"):
        return  # record_notice_email recorded nothing
    rd = ReminderDelivery
    ids = db.session.execute(
        sa.select(rd.id).where(rd.hazard_id == hazard_id, rd.stage == "notice", rd.status == "pending")
    ).scalars()
    enqueue_batches(list(ids))


# -- the daily digest ------------------------------------------------------------------------------


def digest_text(now: datetime) -> tuple[str, str, int]:
    """The office's daily list of overdue hazards, oldest first."""
    rows = db.session.execute(
        sa.select(Hazard.id, Hazard.deadline, Hazard.description, Hazard.level, Enterprise.name, Grid.name)
        .join(Enterprise, Enterprise.id == Hazard.enterprise_id)
        .join(Grid, Grid.id == Enterprise.grid_id)
        .where(Hazard.status != "closed", Hazard.deadline < now)
        .order_by(Hazard.deadline, Hazard.id)
    ).all()
    day = now.astimezone(park_tz()).date()
    subject = f"隐患逾期日报（{day:%Y年%m月%d日}）：逾期未整改{len(rows)}项"
    if not rows:
        return subject, f"截至{day:%Y年%m月%d日}，园区无逾期未整改隐患。", 0
    lines = [f"截至{now.astimezone(park_tz()):%Y年%m月%d日 %H:%M}，逾期未整改隐患{len(rows)}项（按逾期时间排序）："]
    for n, (hid, deadline, description, level, enterprise, grid) in enumerate(rows, 1):
        major = "【重大】" if level == "major" else ""
        lines.append(
            f"{n}. {major}{enterprise}（{grid}）：{description}；整改期限{deadline.astimezone(park_tz()):%Y-%m-%d}，"
            f"逾期{days_late(deadline, now)}天。{hazard_link(hid)}"
        )
    return subject, "\n".join(lines), len(rows)


def send_digest(now: datetime | None = None, *, send: bool = True) -> list[int]:
    """Record today's digest for every office user (in-app, and email when configured); enqueue it.
    The digest is how the office gets overdue hazards by email: one message a day, not one each."""
    now = now or utcnow()
    subject, body, _count = digest_text(now)
    day: date = now.astimezone(park_tz()).date()
    rows = []
    office = db.session.execute(sa.select(User).where(User.role == "office", User.is_active.is_(True))).scalars()
    for user in office:
        targets = [("in_app", f"user:{user.id}")]
        if current_app.config.get("SMTP_URL") and user.email:
            targets.append(("email", user.email.lower()))
        for channel, recipient in targets:
            rows.append(
                {
                    "dedupe_key": dedupe_key(f"digest:{day.isoformat()}", "digest", channel, recipient),
                    "hazard_id": None,
                    "stage": "digest",
                    "channel": channel,
                    "recipient": recipient,
                    "user_id": user.id,
                    "status": "pending",
                    "subject": subject,
                    "body": body,
                    "attempts": 0,
                    "created_at": now,
                }
            )
    ids = _insert_new(rows)
    db.session.commit()
    if send:
        enqueue_batches(ids)
    return ids
