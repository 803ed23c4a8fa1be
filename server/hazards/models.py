"""Hazards (隐患), their append-only history, photos, rectifications and verifications."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.codes import HAZARD_CATEGORIES, HAZARD_LEVELS, HAZARD_SOURCES, HAZARD_STATUSES, PHOTO_STAGES
from server.db_types import UTCDateTime, code_enum
from server.extensions import db
from server.timeutil import utcnow

HISTORY_ACTIONS = (
    "registered",
    "rectification_submitted",
    "rejected",
    "closed",
    "deadline_extended",
    "photo_added",
)


class Hazard(db.Model):
    __tablename__ = "hazards"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_uuid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id", ondelete="RESTRICT"))
    # The enterprise's grid at registration: statistics by grid stay stable when it moves.
    grid_id: Mapped[int] = mapped_column(sa.ForeignKey("grids.id", ondelete="RESTRICT"))
    inspection_id: Mapped[int | None] = mapped_column(sa.ForeignKey("inspections.id", ondelete="RESTRICT"))
    source: Mapped[str] = mapped_column(code_enum(HAZARD_SOURCES, "hazard_source"))
    location: Mapped[str | None] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text)
    category: Mapped[str] = mapped_column(code_enum(HAZARD_CATEGORIES, "hazard_category"))
    level: Mapped[str] = mapped_column(code_enum(HAZARD_LEVELS, "hazard_level"))
    status: Mapped[str] = mapped_column(code_enum(HAZARD_STATUSES, "hazard_status"), default="registered")
    found_at: Mapped[datetime] = mapped_column(UTCDateTime)
    found_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    # `deadline` is the latest one (after extensions); the first stays in `original_deadline`.
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    original_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    responsible_person: Mapped[str | None] = mapped_column(sa.String(100))
    measures: Mapped[str | None] = mapped_column(sa.Text)
    # The five-in-place plan (五落实) of a major hazard.
    plan_responsible: Mapped[str | None] = mapped_column(sa.String(100))
    plan_measures: Mapped[str | None] = mapped_column(sa.Text)
    plan_funds: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))
    plan_deadline: Mapped[date | None] = mapped_column(sa.Date)
    plan_contingency: Mapped[str | None] = mapped_column(sa.Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    enterprise = relationship("Enterprise")
    grid = relationship("Grid")
    inspection = relationship("Inspection", back_populates="hazards")
    found_by = relationship("User", foreign_keys=[found_by_id])
    closed_by = relationship("User", foreign_keys=[closed_by_id])
    history = relationship("HazardEvent", order_by="HazardEvent.id", back_populates="hazard")
    photos = relationship("Photo", order_by="Photo.id", back_populates="hazard")

    __table_args__ = (
        sa.CheckConstraint("deadline >= found_at", name="deadline_not_before_found"),
        sa.CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL)", name="closed_iff_closed_at"),
        sa.CheckConstraint("source <> 'self_check' OR inspection_id IS NULL", name="self_check_has_no_inspection"),
        # open/overdue by enterprise and by grid; found_at and closed_at ranges for statistics
        sa.Index("ix_hazards_enterprise_status_deadline", "enterprise_id", "status", "deadline"),
        sa.Index("ix_hazards_grid_status_deadline", "grid_id", "status", "deadline"),
        sa.Index("ix_hazards_status_deadline", "status", "deadline"),
        # Covering indexes (PostgreSQL INCLUDE): the statistics' scans by found_at / closed_at are index-only.
        sa.Index(
            "ix_hazards_found_cover",
            "found_at",
            postgresql_include=["enterprise_id", "grid_id", "category", "level", "closed_at", "deadline"],
        ),
        sa.Index("ix_hazards_enterprise_found", "enterprise_id", "found_at"),
        sa.Index("ix_hazards_grid_found", "grid_id", "found_at"),
        sa.Index(
            "ix_hazards_closed_cover", "closed_at", postgresql_include=["enterprise_id", "grid_id", "category", "level"]
        ),
        sa.Index("ix_hazards_inspection_id", "inspection_id"),
    )


class HazardEvent(db.Model):
    """One line of a hazard's append-only history."""

    __tablename__ = "hazard_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    hazard_id: Mapped[int] = mapped_column(sa.ForeignKey("hazards.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    action: Mapped[str] = mapped_column(code_enum(HISTORY_ACTIONS, "hazard_action"))
    from_status: Mapped[str | None] = mapped_column(code_enum(HAZARD_STATUSES, "hazard_event_from"))
    to_status: Mapped[str | None] = mapped_column(code_enum(HAZARD_STATUSES, "hazard_event_to"))
    comment: Mapped[str | None] = mapped_column(sa.Text)
    data: Mapped[dict | None] = mapped_column(sa.JSON)

    hazard = relationship("Hazard", back_populates="history")
    actor = relationship("User")


class Rectification(db.Model):
    """What the enterprise did (整改), with its after photos."""

    __tablename__ = "rectifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    hazard_id: Mapped[int] = mapped_column(sa.ForeignKey("hazards.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(sa.Text)
    cost: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Verification(db.Model):
    """An inspector's or the office's acceptance (销号) or rejection of a rectification."""

    __tablename__ = "verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    hazard_id: Mapped[int] = mapped_column(sa.ForeignKey("hazards.id", ondelete="CASCADE"), index=True)
    rectification_id: Mapped[int] = mapped_column(sa.ForeignKey("rectifications.id", ondelete="CASCADE"))
    verifier_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    accepted: Mapped[bool]
    comment: Mapped[str | None] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Photo(db.Model):
    """A photo's original bytes are kept as evidence; derived images are made by the worker."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    hazard_id: Mapped[int] = mapped_column(sa.ForeignKey("hazards.id", ondelete="CASCADE"))
    rectification_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rectifications.id", ondelete="SET NULL"))
    client_uuid: Mapped[str | None] = mapped_column(sa.String(36), unique=True)
    stage: Mapped[str] = mapped_column(code_enum(PHOTO_STAGES, "photo_stage"))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    # Server-generated name under MEDIA_ROOT; never derived from the client's file name.
    storage_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(50))
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger)
    width: Mapped[int]
    height: Mapped[int]
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    gps_lat: Mapped[float | None] = mapped_column(sa.Float)
    gps_lon: Mapped[float | None] = mapped_column(sa.Float)
    stale: Mapped[bool] = mapped_column(default=False)
    derived: Mapped[bool] = mapped_column(default=False)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    hazard = relationship("Hazard", back_populates="photos")

    __table_args__ = (sa.UniqueConstraint("hazard_id", "sha256"),)
