"""Safety work records (安全生产工作记录): agreements, drills, meetings, trainings, activities, accidents."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.records import RecordCreateArgs, RecordListArgs, RecordPage, RecordSchema, RecordUpdateArgs
from server.auth import ALL_ROLES, access, current_user, get_visible, resource, scope_loader
from server.extensions import db
from server.pagination import paginate
from server.records import service
from server.records.models import SafetyRecord

blp = Blueprint("records", __name__, url_prefix="/api/v1/records", description="Safety work records (安全生产工作记录)")


@scope_loader("record_id")
def load_record(user, record_id: int) -> SafetyRecord:
    return get_visible(SafetyRecord, user, record_id, service.record_scope(user))


@blp.route("")
class RecordsView(MethodView):
    @access(*ALL_ROLES)
    @blp.arguments(RecordListArgs, location="query")
    @blp.response(200, RecordPage)
    def get(self, args):
        """List the records the caller may see (park-wide ones and its enterprises'), newest date first.

        `from` and `to` are park calendar days, both inclusive.
        """
        page = paginate(service.list_records(current_user(), args), args)
        service.with_names(page["items"])
        return page

    @access("office", "admin")
    @blp.arguments(RecordCreateArgs)
    @blp.response(201, RecordSchema)
    def post(self, args):
        """Enter a record; an agreement names its enterprise, and no record is dated after today."""
        record = service.create_record(current_user(), args)
        db.session.commit()
        return service.with_names([record])[0]


@blp.route("/<int:record_id>")
class RecordView(MethodView):
    @access(*ALL_ROLES)
    @blp.response(200, RecordSchema)
    def get(self, record_id):
        """One record."""
        return service.with_names([resource("record_id")])[0]

    @access("office", "admin")
    @blp.arguments(RecordUpdateArgs)
    @blp.response(200, RecordSchema)
    def patch(self, args, record_id):
        """Correct a record; the same rules as when entering it."""
        record = service.update_record(resource("record_id"), args)
        db.session.commit()
        return service.with_names([record])[0]

    @access("office", "admin")
    @blp.response(204)
    def delete(self, record_id):
        """Delete a record entered by mistake."""
        service.delete_record(resource("record_id"))
        db.session.commit()
