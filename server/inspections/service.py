"""Inspections: recorded by inspectors (or the office) at enterprises in their scope."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from server.auth import enterprise_scope
from server.enterprises.models import Enterprise
from server.errors import invalid_field
from server.extensions import db
from server.inspections.models import Inspection
from server.timeutil import to_utc, utcnow


def visible_enterprise(user, enterprise_id: int) -> Enterprise:
    """An enterprise referenced in a body: one the user may see, else a 422 on that field."""
    stmt = sa.select(Enterprise).where(Enterprise.id == enterprise_id, enterprise_scope(user, Enterprise.id))
    enterprise = db.session.execute(stmt).scalar_one_or_none()
    if enterprise is None:
        raise invalid_field("enterprise_id", "enterprise_not_visible")
    return enterprise


def not_in_future(field: str, value, now: datetime | None = None) -> None:
    minutes = current_app.config["FUTURE_TOLERANCE_MINUTES"]
    if to_utc(value) > (now or utcnow()) + timedelta(minutes=minutes):
        raise invalid_field(field, "time_in_future", minutes=minutes)


def create_inspection(user, data: dict, now: datetime | None = None) -> Inspection:
    now = now or utcnow()
    if data["kind"] == "self_check":
        raise invalid_field("kind", "self_check_kind_for_enterprises")
    enterprise = visible_enterprise(user, data["enterprise_id"])
    not_in_future("started_at", data["started_at"], now)
    if data.get("finished_at"):
        not_in_future("finished_at", data["finished_at"], now)
    inspection = Inspection(
        client_uuid=str(data["client_uuid"]),
        request_hash=data["request_hash"],
        enterprise_id=enterprise.id,
        grid_id=enterprise.grid_id,
        inspector_id=user.id,
        kind=data["kind"],
        campaign=data.get("campaign"),
        started_at=to_utc(data["started_at"]),
        finished_at=to_utc(data["finished_at"]) if data.get("finished_at") else None,
        lat=data.get("lat"),
        lon=data.get("lon"),
        notes=data.get("notes"),
        received_at=now,
    )
    db.session.add(inspection)
    db.session.flush()
    return inspection
