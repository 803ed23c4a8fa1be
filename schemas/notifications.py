"""In-app notifications."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from schemas.common import PaginationArgs, ParkDateTime, page_schema


class NotificationSchema(ma.Schema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    hazard_id = fields.Integer(allow_none=True)
    brief_id = fields.Integer(allow_none=True)
    created_at = ParkDateTime()
    read_at = ParkDateTime(allow_none=True)
    read = fields.Method("_read", metadata={"type": "boolean"})

    def _read(self, obj) -> bool:
        return obj.read_at is not None


class NotificationListArgs(PaginationArgs):
    unread = fields.Boolean(metadata={"description": "only unread ones"})


NotificationPage = type(
    "NotificationPage",
    (page_schema(NotificationSchema, "NotificationPageBase"),),
    {"unread": fields.Integer(metadata={"description": "how many are unread in all"})},
)
