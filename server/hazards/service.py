"""The hazard lifecycle (the closed loop of SPEC.md): registration, rectification, verification, extension.

registered ──rectification (≥ 1 after photo)──▶ awaiting_verification ──accept──▶ closed
    ▲                                                   │
    └──────────────────reject (comment)─────────────────┘

Every change appends a HazardEvent; any other transition is a 409 that changes nothing.
Services flush; the view commits.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask import current_app

from server.auth import enterprise_scope
from server.codes import HAZARD_STATUSES, label
from server.errors import Conflict, Invalid, invalid_field
from server.extensions import db
from server.hazards.models import Hazard, HazardEvent, Photo, Rectification, Verification
from server.i18n import language, t
from server.inspections.models import Inspection
from server.inspections.service import not_in_future, visible_enterprise
from server.notifications.service import enterprise_users, grid_inspectors, notify, staff
from server.reminders.service import record_notice_email
from server.timeutil import days_late, park_tz, to_park, to_utc, utcnow

ACTIONS_EN = {
    "rectification_submitted": "submitted for verification",
    "verified": "verified",
    "extended": "extended",
}
ACTIONS_ZH = {"rectification_submitted": "提交整改", "verified": "验收", "extended": "延期"}


def yuan(value: float | None) -> Decimal | None:
    """Money is kept exactly, to the fen."""
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def overdue_days(hazard: Hazard, now: datetime | None = None) -> int | None:
    """None when not overdue; else the park-calendar days past the (latest) deadline, at least 1."""
    now = now or utcnow()
    if hazard.status == "closed" or now <= hazard.deadline:
        return None
    return days_late(hazard.deadline, now)


def hazard_conditions(user, args: dict, now: datetime | None = None) -> list[sa.ColumnElement[bool]]:
    """The hazard filters of API.md (list, ledger, statistics), scoped to what `user` may see (None: all)."""
    conditions = [] if user is None else [enterprise_scope(user, Hazard.enterprise_id)]
    for name in ("status", "level", "category", "source", "enterprise_id", "grid_id", "inspection_id"):
        if args.get(name) is not None:
            conditions.append(getattr(Hazard, name) == args[name])
    if args.get("overdue") is not None:
        overdue = sa.and_(Hazard.status != "closed", Hazard.deadline < (now or utcnow()))
        conditions.append(overdue if args["overdue"] else sa.not_(overdue))
    if args.get("found_from") is not None:
        conditions.append(Hazard.found_at >= to_utc(args["found_from"]))
    if args.get("found_to") is not None:
        conditions.append(Hazard.found_at < to_utc(args["found_to"]))
    if args.get("q"):
        escaped = args["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        conditions.append(sa.or_(Hazard.description.ilike(like, escape="\\"), Hazard.location.ilike(like, escape="\\")))
    return conditions


def latest_rectification(hazard: Hazard) -> Rectification | None:
    stmt = sa.select(Rectification).where(Rectification.hazard_id == hazard.id).order_by(Rectification.id.desc())
    return db.session.execute(stmt.limit(1)).scalar_one_or_none()


def default_deadline(level: str, found_at: datetime) -> datetime:
    """The end of the park day N days after found_at (N per level, configurable)."""
    days = current_app.config["DEADLINE_DAYS"][level]
    day = to_park(found_at).date() + timedelta(days=days)
    return datetime.combine(day, time(23, 59, 59), tzinfo=park_tz())


def _event(hazard: Hazard, user, action: str, from_status, to_status, now: datetime, comment=None, data=None) -> None:
    db.session.add(
        HazardEvent(
            hazard_id=hazard.id,
            at=now,
            actor_id=user.id,
            action=action,
            from_status=from_status,
            to_status=to_status,
            comment=comment,
            data=data,
        )
    )


def _require_status(hazard: Hazard, allowed: str, action: str) -> None:
    if hazard.status != allowed:
        lang = language()
        raise Conflict(
            "transition_not_allowed",
            status=label(HAZARD_STATUSES, hazard.status, lang),
            action=ACTIONS_ZH[action],
            action_en=ACTIONS_EN[action],
        )


def _inspectors_to_tell(hazard: Hazard):
    """Who verifies: the registering inspector, or the grid's inspectors for self-reported hazards."""
    if hazard.found_by.role == "inspector":
        return [hazard.found_by]
    return grid_inspectors(hazard.enterprise.grid_id)


def register_hazard(user, data: dict, now: datetime | None = None) -> Hazard:
    """`now` is the server's time of the action: the clock, except when demo data replays a year."""
    now = now or utcnow()
    enterprise = visible_enterprise(user, data["enterprise_id"])
    inspection_id = data.get("inspection_id")
    if user.role == "enterprise":
        if inspection_id is not None:
            raise invalid_field("inspection_id", "self_check_no_inspection")
        source = "self_check"
    else:
        source = "inspection"
        if inspection_id is None and user.role == "inspector":
            raise invalid_field("inspection_id", "inspection_required")
        if inspection_id is not None:
            inspection = db.session.get(Inspection, inspection_id)
            if inspection is None or inspection.enterprise_id != enterprise.id:
                raise invalid_field("inspection_id", "inspection_not_visible")
    found_at = to_utc(data["found_at"])
    not_in_future("found_at", found_at, now)
    deadline = to_utc(data["deadline"]) if data.get("deadline") else to_utc(default_deadline(data["level"], found_at))
    if deadline < found_at:
        raise invalid_field("deadline", "deadline_before_found")
    plan = data.get("plan") or {}
    hazard = Hazard(
        client_uuid=str(data["client_uuid"]),
        request_hash=data["request_hash"],
        enterprise_id=enterprise.id,
        grid_id=enterprise.grid_id,
        inspection_id=inspection_id,
        source=source,
        location=data.get("location"),
        description=data["description"],
        category=data["category"],
        level=data["level"],
        status="registered",
        found_at=found_at,
        found_by_id=user.id,
        deadline=deadline,
        original_deadline=deadline,
        responsible_person=data.get("responsible_person"),
        measures=data.get("measures"),
        plan_responsible=plan.get("responsible"),
        plan_measures=plan.get("measures"),
        plan_funds=yuan(plan.get("funds")),
        plan_deadline=plan.get("deadline"),
        plan_contingency=plan.get("contingency"),
        received_at=now,
    )
    db.session.add(hazard)
    db.session.flush()
    _event(hazard, user, "registered", None, "registered", now)
    if source == "self_check":
        notify(grid_inspectors(enterprise.grid_id), "self_check_reported", hazard, now=now)
    else:
        notify(enterprise_users(enterprise.id), "hazard_registered", hazard, now=now)
        record_notice_email(hazard, now)
    if hazard.level == "major":
        # Major hazards are escalated to the office and the leadership at once (SPEC.md).
        notify(staff("office", "leader"), "major_hazard", hazard, now=now)
    db.session.flush()
    return hazard


def pending_after_photos(hazard: Hazard) -> list[Photo]:
    """After photos uploaded since the last submission: the evidence of this round."""
    stmt = sa.select(Photo).where(
        Photo.hazard_id == hazard.id, Photo.stage == "after", Photo.rectification_id.is_(None)
    )
    return list(db.session.execute(stmt).scalars())


def submit_rectification(user, hazard: Hazard, data: dict, now: datetime | None = None) -> Hazard:
    now = now or utcnow()
    _require_status(hazard, "registered", "rectification_submitted")
    completed_at = to_utc(data["completed_at"])
    not_in_future("completed_at", completed_at, now)
    if completed_at < hazard.found_at:
        raise invalid_field("completed_at", "completed_before_found")
    photos = pending_after_photos(hazard)
    if not photos:
        raise Conflict("needs_after_photo")
    rect = Rectification(
        hazard_id=hazard.id,
        description=data["description"],
        cost=yuan(data.get("cost")),
        completed_at=completed_at,
        submitted_by_id=user.id,
        submitted_at=now,
    )
    db.session.add(rect)
    db.session.flush()
    for photo in photos:
        photo.rectification_id = rect.id
    hazard.status = "awaiting_verification"
    _event(
        hazard,
        user,
        "rectification_submitted",
        "registered",
        "awaiting_verification",
        now,
        data["description"],
        {"rectification_id": rect.id, "photo_ids": [p.id for p in photos]},
    )
    notify(_inspectors_to_tell(hazard), "rectification_submitted", hazard, now=now)
    db.session.flush()
    return hazard


def verify(user, hazard: Hazard, accepted: bool, comment: str | None, now: datetime | None = None) -> Hazard:
    now = now or utcnow()
    _require_status(hazard, "awaiting_verification", "verified")
    rect = latest_rectification(hazard)
    db.session.add(
        Verification(
            hazard_id=hazard.id,
            rectification_id=rect.id,
            verifier_id=user.id,
            accepted=accepted,
            comment=comment,
            at=now,
        )
    )
    if accepted:
        hazard.status, hazard.closed_at, hazard.closed_by_id = "closed", now, user.id
        _event(hazard, user, "closed", "awaiting_verification", "closed", now, comment)
        notify(enterprise_users(hazard.enterprise_id), "hazard_closed", hazard, now=now)
    else:
        hazard.status = "registered"
        _event(hazard, user, "rejected", "awaiting_verification", "registered", now, comment)
        notify(enterprise_users(hazard.enterprise_id), "rectification_rejected", hazard, comment, now=now)
    db.session.flush()
    return hazard


def extend_deadline(user, hazard: Hazard, deadline: datetime, reason: str, now: datetime | None = None) -> Hazard:
    now = now or utcnow()
    if hazard.status == "closed":
        _require_status(hazard, "registered", "extended")
    deadline = to_utc(deadline)
    if deadline <= hazard.deadline:
        raise Invalid(errors={"deadline": [t("extension_not_later")]})
    previous = hazard.deadline
    hazard.deadline = deadline
    _event(
        hazard,
        user,
        "deadline_extended",
        hazard.status,
        hazard.status,
        now,
        reason,
        {"from": previous.isoformat(), "to": deadline.isoformat(), "original": hazard.original_deadline.isoformat()},
    )
    notify(enterprise_users(hazard.enterprise_id), "deadline_extended", hazard, reason, now=now)
    db.session.flush()
    return hazard
