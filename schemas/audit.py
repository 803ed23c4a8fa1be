"""The audit log."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from schemas.common import Id, PaginationArgs, ParkDateTime, page_schema


class AuditListArgs(PaginationArgs):
    user_id = Id()
    method = fields.String(validate=validate.OneOf(["POST", "PUT", "PATCH", "DELETE"]))
    path = fields.String(validate=validate.Length(min=1, max=300), metadata={"description": "path starts with"})
    status = fields.Integer(validate=validate.Range(min=100, max=599))
    client_uuid = fields.String(validate=validate.Length(max=36))
    since = ParkDateTime()
    until = ParkDateTime()


class AuditEntrySchema(ma.Schema):
    id = fields.Integer()
    at = ParkDateTime()
    user_id = fields.Integer(allow_none=True)
    username = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    method = fields.String()
    path = fields.String()
    endpoint = fields.String(allow_none=True)
    status = fields.Integer()
    record_id = fields.Integer(allow_none=True)
    client_uuid = fields.String(allow_none=True)
    client_ip = fields.String(allow_none=True)
    user_agent = fields.String(allow_none=True)
    detail = fields.Dict(allow_none=True)


AuditPage = page_schema(AuditEntrySchema, "AuditPage")
