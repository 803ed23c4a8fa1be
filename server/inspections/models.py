"""Inspections (检查) recorded by inspectors, or self-checks by enterprises."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.codes import CAMPAIGNS, INSPECTION_KINDS
from server.db_types import UTCDateTime, code_enum
from server.extensions import db
from server.timeutil import utcnow


class Inspection(db.Model):
    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_uuid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id", ondelete="RESTRICT"))
    # The enterprise's grid when the inspection happened, so statistics by grid stay stable.
    grid_id: Mapped[int] = mapped_column(sa.ForeignKey("grids.id", ondelete="RESTRICT"))
    inspector_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(code_enum(INSPECTION_KINDS, "inspection_kind"))
    campaign: Mapped[str | None] = mapped_column(code_enum(CAMPAIGNS, "inspection_campaign"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lat: Mapped[float | None] = mapped_column(sa.Float)
    lon: Mapped[float | None] = mapped_column(sa.Float)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    enterprise = relationship("Enterprise")
    inspector = relationship("User")
    hazards = relationship("Hazard", back_populates="inspection", order_by="Hazard.id")

    __table_args__ = (
        sa.Index("ix_inspections_started_cover", "started_at", postgresql_include=["enterprise_id", "grid_id", "kind"]),
        sa.Index("ix_inspections_enterprise_started", "enterprise_id", "started_at"),
        sa.Index("ix_inspections_grid_started", "grid_id", "started_at"),
    )
