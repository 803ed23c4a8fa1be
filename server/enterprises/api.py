"""Enterprises (企业)."""

from __future__ import annotations

import sqlalchemy as sa
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.enterprises import (
    EnterpriseCreateArgs,
    EnterpriseListArgs,
    EnterprisePage,
    EnterpriseSchema,
    EnterpriseUpdateArgs,
)
from server.auth import ALL_ROLES, access, current_user, enterprise_scope, get_visible, resource, scope_loader
from server.enterprises import service
from server.enterprises.models import Enterprise
from server.extensions import db
from server.pagination import paginate

blp = Blueprint("enterprises", __name__, url_prefix="/api/v1/enterprises", description="Enterprises (企业)")


@scope_loader("enterprise_id")
def load_enterprise(user, enterprise_id: int) -> Enterprise:
    return get_visible(Enterprise, user, enterprise_id, enterprise_scope(user, Enterprise.id))


@blp.route("")
class EnterprisesView(MethodView):
    @access(*ALL_ROLES)
    @blp.arguments(EnterpriseListArgs, location="query")
    @blp.response(200, EnterprisePage)
    def get(self, args):
        """List the enterprises the caller may see (an inspector: its grids; an enterprise: itself)."""
        stmt = sa.select(Enterprise).where(enterprise_scope(current_user(), Enterprise.id)).order_by(Enterprise.id)
        for name in ("grid_id", "status", "risk_level"):
            if name in args:
                stmt = stmt.where(getattr(Enterprise, name) == args[name])
        if args.get("q"):
            like = f"%{args['q']}%"
            stmt = stmt.where(sa.or_(Enterprise.name.ilike(like), Enterprise.credit_code.ilike(like)))
        return paginate(stmt, args)

    @access("office", "admin")
    @blp.arguments(EnterpriseCreateArgs)
    @blp.response(201, EnterpriseSchema)
    def post(self, args):
        """Register an enterprise; the credit code's check character is verified."""
        enterprise = service.create_enterprise(args)
        db.session.commit()
        return enterprise


@blp.route("/<int:enterprise_id>")
class EnterpriseView(MethodView):
    @access(*ALL_ROLES)
    @blp.response(200, EnterpriseSchema)
    def get(self, enterprise_id):
        """One enterprise."""
        return resource("enterprise_id")

    @access("office", "admin")
    @blp.arguments(EnterpriseUpdateArgs)
    @blp.response(200, EnterpriseSchema)
    def patch(self, args, enterprise_id):
        """Change an enterprise's details, grid, status or risk level."""
        enterprise = service.update_enterprise(resource("enterprise_id"), args)
        db.session.commit()
        return enterprise
