"""The one pagination helper: a select and the page arguments → the list envelope of API.md."""

from __future__ import annotations

import sqlalchemy as sa

from server.extensions import db


def paginate(stmt: sa.Select, args: dict) -> dict:
    page, per_page = args["page"], args["per_page"]
    total = db.session.execute(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    items = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).scalars().unique().all()
    return {"items": items, "page": page, "per_page": per_page, "total": total}
