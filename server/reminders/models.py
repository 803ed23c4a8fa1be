"""Reminder deliveries (跟踪督办): one row per (hazard, stage, recipient, channel), created before sending."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.codes import DELIVERY_STATUSES, REMINDER_CHANNELS, REMINDER_STAGES
from server.db_types import UTCDateTime, code_enum
from server.extensions import db
from server.timeutil import utcnow


class ReminderDelivery(db.Model):
    __tablename__ = "reminder_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "<hazard>:<stage>:<channel>:<recipient>", or "digest:<day>:<channel>:<recipient>":
    # the unique key that makes every delivery happen once.
    dedupe_key: Mapped[str] = mapped_column(sa.String(400), unique=True)
    hazard_id: Mapped[int | None] = mapped_column(sa.ForeignKey("hazards.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(code_enum(REMINDER_STAGES, "reminder_stage"))
    channel: Mapped[str] = mapped_column(code_enum(REMINDER_CHANNELS, "reminder_channel"))
    recipient: Mapped[str] = mapped_column(sa.String(300))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(code_enum(DELIVERY_STATUSES, "delivery_status"), default="pending")
    subject: Mapped[str | None] = mapped_column(sa.String(300))
    body: Mapped[str | None] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    hold_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when a worker takes the row to send it; a claim older than the claim timeout is free again.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.Index("ix_reminder_deliveries_hazard_stage", "hazard_id", "stage"),
        sa.Index("ix_reminder_deliveries_status_created", "status", "created_at"),
        sa.Index("ix_reminder_deliveries_user_id", "user_id"),
    )
