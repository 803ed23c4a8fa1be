"""Statistics (统计): `GET /stats/summary`."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.stats import SummaryArgs, SummarySchema
from server.auth import access, current_user
from server.i18n import language
from server.stats import service

blp = Blueprint("stats", __name__, url_prefix="/api/v1/stats", description="Statistics (统计)")


@blp.route("/summary")
class SummaryView(MethodView):
    @access("office", "leader", "inspector", "enterprise")
    @blp.arguments(SummaryArgs, location="query")
    @blp.response(200, SummarySchema)
    def get(self, args):
        """Found, closed, open, overdue, major, both rates and inspections for a period, as of an instant.

        Exactly the definitions of SPEC.md, in park time; scoped to what the caller may see
        (inspectors: enterprises of their grids; enterprises: their own)."""
        period = service.resolve_period({**args, "from": args.get("from_")})
        return service.summary(current_user(), period, args, args.get("group_by"), language())
