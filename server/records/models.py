"""Safety work records: agreements, drills, meetings, trainings, activities, accidents."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.codes import RECORD_KINDS
from server.db_types import UTCDateTime, code_enum
from server.extensions import db
from server.timeutil import utcnow


class SafetyRecord(db.Model):
    __tablename__ = "safety_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(code_enum(RECORD_KINDS, "record_kind"))
    date: Mapped[date] = mapped_column(sa.Date)
    title: Mapped[str] = mapped_column(sa.String(300))
    enterprise_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enterprises.id", ondelete="RESTRICT"))
    quantity: Mapped[int] = mapped_column(default=1)
    details: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.Index("ix_safety_records_kind_date", "kind", "date"),
        sa.Index("ix_safety_records_enterprise_date", "enterprise_id", "date"),
    )
