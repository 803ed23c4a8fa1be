"""Users, roles and grids."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from server.codes import ROLES
from server.db_types import UTCDateTime, code_enum
from server.extensions import db
from server.timeutil import utcnow

grid_inspectors = sa.Table(
    "grid_inspectors",
    db.metadata,
    sa.Column("grid_id", sa.ForeignKey("grids.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Grid(db.Model):
    __tablename__ = "grids"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    inspectors: Mapped[list[User]] = relationship(secondary=grid_inspectors, back_populates="grids", order_by="User.id")

    @property
    def inspector_ids(self) -> list[int]:
        return [u.id for u in self.inspectors]


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(code_enum(ROLES, "user_role"))
    display_name: Mapped[str | None] = mapped_column(sa.String(100))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    enterprise_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enterprises.id", ondelete="RESTRICT"), index=True)
    language: Mapped[str] = mapped_column(sa.String(5), default="zh")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    grids: Mapped[list[Grid]] = relationship(secondary=grid_inspectors, back_populates="inspectors", order_by="Grid.id")
    enterprise = relationship("Enterprise", foreign_keys=[enterprise_id])

    __table_args__ = (
        sa.CheckConstraint(
            "(role = 'enterprise') = (enterprise_id IS NOT NULL)", name="enterprise_user_has_enterprise"
        ),
    )

    def set_password(self, password: str) -> None:
        # Werkzeug's scrypt with a random salt: a real, memory-hard password hash.
        self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def grid_ids(self) -> list[int]:
        return [g.id for g in self.grids]

    @property
    def name(self) -> str:
        return self.display_name or self.username
