"""Quarterly safety-meeting briefs (季度安全生产会议通报)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.codes import BRIEF_STATUSES
from server.db_types import UTCDateTime, code_enum
from server.extensions import db
from server.timeutil import utcnow


class Brief(db.Model):
    __tablename__ = "briefs"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(40))
    period_from: Mapped[datetime] = mapped_column(UTCDateTime)
    period_to: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(code_enum(BRIEF_STATUSES, "brief_status"), default="pending")
    language: Mapped[str] = mapped_column(sa.String(5), default="zh")
    as_of: Mapped[datetime | None] = mapped_column(UTCDateTime)
    figures: Mapped[dict | None] = mapped_column(sa.JSON)
    docx_key: Mapped[str | None] = mapped_column(sa.String(200))
    pdf_key: Mapped[str | None] = mapped_column(sa.String(200))
    error: Mapped[str | None] = mapped_column(sa.Text)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (sa.Index("ix_briefs_period", "period_from", "period_to"),)
