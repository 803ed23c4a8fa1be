"""The reminder delivery log."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from schemas.common import Id, Label, PaginationArgs, ParkDateTime, code_field, page_schema
from server.codes import DELIVERY_STATUSES, REMINDER_CHANNELS, REMINDER_STAGES


class ReminderSchema(ma.Schema):
    id = fields.Integer()
    hazard_id = fields.Integer(allow_none=True)
    stage = fields.String()
    stage_label = Label(REMINDER_STAGES, "stage")
    channel = fields.String()
    recipient = fields.String()
    user_id = fields.Integer(allow_none=True)
    status = fields.String(metadata={"description": "pending, sent, failed, held or cancelled"})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    subject = fields.String(allow_none=True)
    created_at = ParkDateTime()
    sent_at = ParkDateTime(allow_none=True)
    hold_until = ParkDateTime(allow_none=True, metadata={"description": "held until, or next try not before"})


class ReminderListArgs(PaginationArgs):
    status = fields.String(validate=validate.OneOf(DELIVERY_STATUSES))
    channel = code_field(REMINDER_CHANNELS)
    stage = code_field(REMINDER_STAGES)
    hazard_id = Id()
    recipient = fields.String(validate=validate.Length(max=300))


ReminderPage = page_schema(ReminderSchema, "ReminderPage")
