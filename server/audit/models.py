"""The audit log: one row per write request to the API (who, when, what, from which client)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.db_types import UTCDateTime
from server.extensions import db
from server.timeutil import utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    username: Mapped[str | None] = mapped_column(sa.String(80))
    role: Mapped[str | None] = mapped_column(sa.String(20))
    method: Mapped[str] = mapped_column(sa.String(8))
    path: Mapped[str] = mapped_column(sa.String(300))
    endpoint: Mapped[str | None] = mapped_column(sa.String(100))
    status: Mapped[int] = mapped_column(sa.SmallInteger)
    record_id: Mapped[int | None] = mapped_column(sa.BigInteger)  # the created or changed record, when known
    client_uuid: Mapped[str | None] = mapped_column(sa.String(36))
    client_ip: Mapped[str | None] = mapped_column(sa.String(64))
    user_agent: Mapped[str | None] = mapped_column(sa.String(300))
    detail: Mapped[dict | None] = mapped_column(sa.JSON)  # the request's fields (secrets redacted, files summarised)

    __table_args__ = (
        sa.Index("ix_audit_log_at", "at"),
        sa.Index("ix_audit_log_user_at", "user_id", "at"),
    )
