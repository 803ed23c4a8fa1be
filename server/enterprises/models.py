"""Enterprises of the park."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.codes import ENTERPRISE_STATUSES, RISK_LEVELS
from server.db_types import UTCDateTime, code_enum
from server.extensions import db
from server.timeutil import utcnow


class Enterprise(db.Model):
    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    credit_code: Mapped[str] = mapped_column(sa.String(18), unique=True)
    industry: Mapped[str | None] = mapped_column(sa.String(100))
    grid_id: Mapped[int] = mapped_column(sa.ForeignKey("grids.id", ondelete="RESTRICT"), index=True)
    address: Mapped[str | None] = mapped_column(sa.String(300))
    contact_name: Mapped[str | None] = mapped_column(sa.String(100))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(32))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    status: Mapped[str] = mapped_column(code_enum(ENTERPRISE_STATUSES, "enterprise_status"), default="operating")
    risk_level: Mapped[str | None] = mapped_column(code_enum(RISK_LEVELS, "risk_level"))
    lat: Mapped[float | None] = mapped_column(sa.Float)
    lon: Mapped[float | None] = mapped_column(sa.Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    grid = relationship("Grid")
