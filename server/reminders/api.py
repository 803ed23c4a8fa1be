"""The reminder delivery log (督办记录)."""

from __future__ import annotations

import sqlalchemy as sa
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.reminders import ReminderListArgs, ReminderPage
from server.auth import access
from server.pagination import paginate
from server.reminders.models import ReminderDelivery

blp = Blueprint("reminders", __name__, url_prefix="/api/v1/reminders", description="Reminder deliveries (督办)")


@blp.route("")
class RemindersView(MethodView):
    @access("office", "admin")
    @blp.arguments(ReminderListArgs, location="query")
    @blp.response(200, ReminderPage)
    def get(self, args):
        """Every reminder delivery with its status, attempts and last error; newest first."""
        stmt = sa.select(ReminderDelivery).order_by(ReminderDelivery.id.desc())
        for name in ("status", "channel", "stage", "hazard_id", "recipient"):
            if name in args:
                stmt = stmt.where(getattr(ReminderDelivery, name) == args[name])
        return paginate(stmt, args)
