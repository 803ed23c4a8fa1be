"""`GET /audit`: the audit log of every write (admin and office)."""

from __future__ import annotations

import sqlalchemy as sa
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.audit import AuditListArgs, AuditPage
from server.audit.models import AuditEntry
from server.auth import access
from server.pagination import paginate
from server.timeutil import to_utc

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="Audit log (操作日志)")


@blp.route("")
class AuditView(MethodView):
    @access("admin", "office")
    @blp.arguments(AuditListArgs, location="query")
    @blp.response(200, AuditPage)
    def get(self, args):
        """Every write request — who, when, what, from which client, with its answer — newest first."""
        stmt = sa.select(AuditEntry)
        for name in ("user_id", "method", "status", "client_uuid"):
            if args.get(name) is not None:
                stmt = stmt.where(getattr(AuditEntry, name) == args[name])
        if args.get("path"):
            stmt = stmt.where(AuditEntry.path.startswith(args["path"], autoescape=True))
        if args.get("since"):
            stmt = stmt.where(AuditEntry.at >= to_utc(args["since"]))
        if args.get("until"):
            stmt = stmt.where(AuditEntry.at < to_utc(args["until"]))
        return paginate(stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()), args)
