"""Statistics (统计): `GET /stats/summary`."""

from __future__ import annotations

from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.stats import SummaryArgs, SummarySchema
from server.auth import access, current_user
from server.i18n import language
from server.stats import service
from server.timeutil import to_park

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
        body = service.summary(current_user(), period, args, args.get("group_by"), language())
        # Plain numbers and strings: dumped directly, as marshmallow would (2,000 groups cost it ~60 ms).
        for name in ("from", "to", "as_of"):
            body[name] = to_park(body[name]).isoformat() if body[name] else None
        return jsonify(body)
