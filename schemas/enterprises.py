"""Enterprises."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from schemas.common import Id, Label, PaginationArgs, ParkDateTime, Strict, code_field, page_schema
from server.codes import ENTERPRISE_STATUSES, RISK_LEVELS

PHONE = validate.Regexp(r"^\+?[0-9\- ]{5,20}$", error="invalid_phone")


class EnterpriseSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    credit_code = fields.String()
    industry = fields.String(allow_none=True)
    grid_id = fields.Integer()
    address = fields.String(allow_none=True)
    contact_name = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    contact_email = fields.String(allow_none=True)
    status = fields.String()
    status_label = Label(ENTERPRISE_STATUSES, "status")
    risk_level = fields.String(allow_none=True)
    risk_level_label = Label(RISK_LEVELS, "risk_level")
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    updated_at = ParkDateTime()


class EnterpriseFields(Strict):
    name = fields.String(validate=validate.Length(min=2, max=200))
    credit_code = fields.String(metadata={"description": "18 characters, with a valid check character"})
    industry = fields.String(allow_none=True, validate=validate.Length(max=100))
    grid_id = fields.Integer(strict=True)
    address = fields.String(allow_none=True, validate=validate.Length(max=300))
    contact_name = fields.String(allow_none=True, validate=validate.Length(max=100))
    contact_phone = fields.String(allow_none=True, validate=PHONE)
    contact_email = fields.Email(allow_none=True)
    status = code_field(ENTERPRISE_STATUSES)
    risk_level = code_field(RISK_LEVELS, allow_none=True)
    lat = fields.Float(allow_none=True, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(allow_none=True, validate=validate.Range(min=-180, max=180))


class EnterpriseCreateArgs(EnterpriseFields):
    name = fields.String(required=True, validate=validate.Length(min=2, max=200))
    credit_code = fields.String(required=True, metadata={"description": "18 characters, with a valid check character"})
    grid_id = Id(required=True, strict=True)


class EnterpriseUpdateArgs(EnterpriseFields):
    pass


class EnterpriseListArgs(PaginationArgs):
    grid_id = Id()
    status = code_field(ENTERPRISE_STATUSES)
    risk_level = code_field(RISK_LEVELS)
    q = fields.String(validate=validate.Length(max=100), metadata={"description": "name or credit code contains"})


EnterprisePage = page_schema(EnterpriseSchema, "EnterprisePage")
