"""Inspections (检查)."""

from __future__ import annotations

import sqlalchemy as sa
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy.orm import selectinload

from schemas.inspections import InspectionCreateArgs, InspectionListArgs, InspectionPage, InspectionSchema
from server.auth import ALL_ROLES, access, current_user, enterprise_scope, get_visible, resource, scope_loader
from server.idempotency import create_once
from server.inspections import service
from server.inspections.models import Inspection
from server.pagination import paginate
from server.timeutil import to_utc

blp = Blueprint("inspections", __name__, url_prefix="/api/v1/inspections", description="Inspections (检查)")


@scope_loader("inspection_id")
def load_inspection(user, inspection_id: int) -> Inspection:
    return get_visible(Inspection, user, inspection_id, enterprise_scope(user, Inspection.enterprise_id))


@blp.route("")
class InspectionsView(MethodView):
    @access(*ALL_ROLES)
    @blp.arguments(InspectionListArgs, location="query")
    @blp.response(200, InspectionPage)
    def get(self, args):
        """List inspections in the caller's scope, newest first."""
        stmt = (
            sa.select(Inspection)
            .options(
                selectinload(Inspection.hazards),
                selectinload(Inspection.enterprise),
                selectinload(Inspection.inspector),
            )
            .where(enterprise_scope(current_user(), Inspection.enterprise_id))
            .order_by(Inspection.started_at.desc(), Inspection.id.desc())
        )
        for name in ("enterprise_id", "grid_id", "inspector_id", "kind", "campaign"):
            if name in args:
                stmt = stmt.where(getattr(Inspection, name) == args[name])
        if "started_from" in args:
            stmt = stmt.where(Inspection.started_at >= to_utc(args["started_from"]))
        if "started_to" in args:
            stmt = stmt.where(Inspection.started_at < to_utc(args["started_to"]))
        return paginate(stmt, args)

    @access("inspector", "office")
    @blp.arguments(InspectionCreateArgs)
    @blp.response(201, InspectionSchema)
    @blp.alt_response(200, schema=InspectionSchema, description="The same client_uuid again: the first record")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, args):
        """Record an inspection at an enterprise in the caller's grids. Idempotent by client_uuid."""
        user = current_user()
        inspection, created = create_once(Inspection, user.id, args, lambda: service.create_inspection(user, args))
        return inspection, (201 if created else 200)


@blp.route("/<int:inspection_id>")
class InspectionView(MethodView):
    @access(*ALL_ROLES)
    @blp.response(200, InspectionSchema)
    def get(self, inspection_id):
        """One inspection with the ids of its hazards."""
        return resource("inspection_id")
