"""Briefs (季度安全生产会议通报): request one, follow it, download its .docx and PDF."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, request, send_file
from flask.views import MethodView
from flask_jwt_extended import verify_jwt_in_request
from flask_smorest import Blueprint

from schemas.briefs import BriefAcceptedSchema, BriefCreateArgs, BriefListArgs, BriefPage, BriefSchema
from server import signing
from server.auth import access, current_user, get_visible, public, resource, scope_loader
from server.briefs import service
from server.briefs.models import Brief
from server.celery_setup import enqueue
from server.errors import Forbidden, NotFound, Unauthorized
from server.extensions import db
from server.pagination import paginate

blp = Blueprint("briefs", __name__, url_prefix="/api/v1/briefs", description="Safety meeting briefs (通报)")
READERS = ("office", "leader")


@scope_loader("brief_id")
def load_brief(user, brief_id: int) -> Brief:
    return get_visible(Brief, user, brief_id)


@scope_loader("fmt")
def load_format(_user, fmt: str) -> str:
    if fmt not in service.FORMATS:
        raise NotFound()
    return fmt


@blp.route("")
class BriefsView(MethodView):
    @access(*READERS)
    @blp.arguments(BriefListArgs, location="query")
    @blp.response(200, BriefPage)
    def get(self, args):
        """Briefs, newest first."""
        stmt = sa.select(Brief)
        if args.get("status"):
            stmt = stmt.where(Brief.status == args["status"])
        return paginate(stmt.order_by(Brief.created_at.desc(), Brief.id.desc()), args)

    @access("office")
    @blp.arguments(BriefCreateArgs)
    @blp.response(202, BriefAcceptedSchema)
    def post(self, args):
        """Ask for a brief of a quarter (`{"quarter": "2026Q3"}`) or of park days `from`..`to`; a worker makes it."""
        brief = service.request_brief(current_user(), {**args, "from": args.get("from_")})
        db.session.commit()
        enqueue(current_app, "worker.tasks.generate_brief", brief.id)
        return brief


@blp.route("/<int:brief_id>")
class BriefView(MethodView):
    @access(*READERS)
    @blp.response(200, BriefSchema)
    def get(self, brief_id):
        """One brief: its status, and when ready its figures and signed download links."""
        return resource("brief_id")


@blp.route("/<int:brief_id>/brief.<fmt>")
class BriefFile(MethodView):
    @public
    @blp.response(200, {"type": "string", "format": "binary"}, description="The .docx or the PDF",
                  content_type=service.FORMATS["docx"])  # fmt: skip
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, brief_id, fmt):
        """A ready brief's file (`docx` or `pdf`): a valid signature, or the Bearer token of office or a leader."""
        if fmt not in service.FORMATS:
            raise NotFound()
        if not signing.valid(
            service.purpose(brief_id, fmt), request.args.get("expires"), request.args.get("signature")
        ):
            if "Authorization" not in request.headers:
                raise Unauthorized("bad_signature" if request.args.get("signature") else "unauthorized")
            verify_jwt_in_request()
            if current_user().role not in READERS:
                raise Forbidden()
        brief = get_visible(Brief, None, brief_id)
        path = service.file_path(brief, fmt) if brief.status == "ready" else None
        if path is None or not path.is_file():
            raise NotFound()
        return send_file(path, mimetype=service.FORMATS[fmt], as_attachment=True,
                         download_name=service.file_name(brief, fmt), max_age=0)  # fmt: skip
