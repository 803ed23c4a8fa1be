"""The caller's in-app notifications (the phone app polls them)."""

from __future__ import annotations

import sqlalchemy as sa
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.notifications import NotificationListArgs, NotificationPage, NotificationSchema
from server.auth import ALL_ROLES, access, current_user, get_visible, resource, scope_loader
from server.extensions import db
from server.notifications.models import Notification
from server.pagination import paginate
from server.timeutil import utcnow

blp = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications", description="In-app notifications")


@scope_loader("notification_id")
def load_notification(user, notification_id: int) -> Notification:
    return get_visible(Notification, user, notification_id, Notification.user_id == user.id)


@blp.route("")
class NotificationsView(MethodView):
    @access(*ALL_ROLES)
    @blp.arguments(NotificationListArgs, location="query")
    @blp.response(200, NotificationPage)
    def get(self, args):
        """My notifications, newest first; `unread` counts the unread ones."""
        user = current_user()
        stmt = sa.select(Notification).where(Notification.user_id == user.id)
        if args.get("unread"):
            stmt = stmt.where(Notification.read_at.is_(None))
        page = paginate(stmt.order_by(Notification.created_at.desc(), Notification.id.desc()), args)
        page["unread"] = db.session.execute(
            sa.select(sa.func.count()).where(Notification.user_id == user.id, Notification.read_at.is_(None))
        ).scalar_one()
        return page


@blp.route("/<int:notification_id>/read")
class NotificationReadView(MethodView):
    @access(*ALL_ROLES)
    @blp.response(200, NotificationSchema)
    def post(self, notification_id):
        """Mark one of my notifications as read (idempotent)."""
        note = resource("notification_id")
        if note.read_at is None:
            note.read_at = utcnow()
            db.session.commit()
        return note
