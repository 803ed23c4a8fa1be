"""Safety work records: who sees which, the rules of a record, and the counts the briefs quote."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from server.accounts.models import User
from server.auth import enterprise_scope
from server.codes import RECORD_KINDS
from server.enterprises.models import Enterprise
from server.errors import Invalid
from server.extensions import db
from server.i18n import t
from server.records.models import SafetyRecord
from server.timeutil import to_park, utcnow

FIELDS = ("kind", "date", "title", "enterprise_id", "quantity", "details")


def record_scope(user) -> sa.ColumnElement[bool]:
    """Park-wide records for everyone; an enterprise's records for those who may see that enterprise."""
    return sa.or_(SafetyRecord.enterprise_id.is_(None), enterprise_scope(user, SafetyRecord.enterprise_id))


def list_records(user, args: dict) -> sa.Select:
    """The records `user` may see, filtered, newest date first."""
    stmt = sa.select(SafetyRecord).where(record_scope(user))
    for name in ("kind", "enterprise_id"):
        if name in args:
            stmt = stmt.where(getattr(SafetyRecord, name) == args[name])
    if "date_from" in args:
        stmt = stmt.where(SafetyRecord.date >= args["date_from"])
    if "date_to" in args:
        stmt = stmt.where(SafetyRecord.date <= args["date_to"])
    return stmt.order_by(SafetyRecord.date.desc(), SafetyRecord.id.desc())


def park_today() -> date:
    return to_park(utcnow()).date()


def _validate(data: dict, current: SafetyRecord | None = None) -> dict:
    data = dict(data)
    errors: dict[str, list[str]] = {}
    if "date" in data and data["date"] > park_today():
        errors["date"] = [t("record_date_in_future")]
    enterprise_id = data["enterprise_id"] if "enterprise_id" in data else getattr(current, "enterprise_id", None)
    if data.get("enterprise_id") is not None and db.session.get(Enterprise, data["enterprise_id"]) is None:
        errors["enterprise_id"] = [t("unknown_enterprise")]
    kind = data.get("kind") or getattr(current, "kind", None)
    if kind == "agreement" and enterprise_id is None:
        errors["enterprise_id"] = [t("agreement_needs_enterprise")]
    if errors:
        raise Invalid(errors=errors)
    return data


def create_record(user, data: dict) -> SafetyRecord:
    data = _validate(data)
    record = SafetyRecord(created_by_id=user.id, **{k: v for k, v in data.items() if k in FIELDS})
    db.session.add(record)
    db.session.flush()
    return record


def update_record(record: SafetyRecord, changes: dict) -> SafetyRecord:
    changes = _validate(changes, record)
    for name, value in changes.items():
        if name in FIELDS:
            setattr(record, name, value)
    db.session.flush()
    return record


def delete_record(record: SafetyRecord) -> None:
    db.session.delete(record)
    db.session.flush()


def with_names(records: Sequence[SafetyRecord]) -> Sequence[SafetyRecord]:
    """Attach `enterprise_name` and `created_by` for replies: two queries for a whole page."""
    enterprise_ids = {r.enterprise_id for r in records if r.enterprise_id is not None}
    user_ids = {r.created_by_id for r in records}
    names = dict(
        db.session.execute(sa.select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(enterprise_ids))).all()
    )
    users = {u.id: u for u in db.session.execute(sa.select(User).where(User.id.in_(user_ids))).scalars()}
    for record in records:
        record.enterprise_name = names.get(record.enterprise_id)
        record.created_by = users[record.created_by_id]
    return records


def record_counts(start_utc: datetime, end_utc: datetime, enterprise_ids: Sequence[int] | None = None) -> dict:
    """Per kind, `{"count", "quantity"}` of the records dated on the park days covering [start, end).

    Every kind of RECORD_KINDS is present (zero when none). With `enterprise_ids`, only those
    enterprises' records count (park-wide ones are left out).
    """
    first_day = to_park(start_utc).date()
    last_day = to_park(end_utc - timedelta(microseconds=1)).date()
    counts = {kind: {"count": 0, "quantity": 0} for kind in RECORD_KINDS}
    if last_day < first_day:
        return counts
    stmt = (
        sa.select(
            SafetyRecord.kind,
            sa.func.count(SafetyRecord.id),
            sa.func.coalesce(sa.func.sum(SafetyRecord.quantity), 0),
        )
        .where(SafetyRecord.date >= first_day, SafetyRecord.date <= last_day)
        .group_by(SafetyRecord.kind)
    )
    if enterprise_ids is not None:
        stmt = stmt.where(SafetyRecord.enterprise_id.in_(list(enterprise_ids)))
    for kind, n, quantity in db.session.execute(stmt):
        counts[kind] = {"count": int(n), "quantity": int(quantity)}
    return counts
