"""Log-in, users and grids."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from schemas.common import Id, Label, PaginationArgs, Strict, code_field, page_schema
from schemas.enterprises import PHONE
from server.codes import ROLES


class TokenArgs(Strict):
    username = fields.String(required=True, validate=validate.Length(min=1, max=80))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200), load_only=True)


class UserSchema(ma.Schema):
    id = fields.Integer()
    username = fields.String()
    role = fields.String()
    role_label = Label(ROLES, "role")
    display_name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    enterprise_id = fields.Integer(allow_none=True)
    grid_ids = fields.List(fields.Integer())
    is_active = fields.Boolean()


class TokenSchema(ma.Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True, metadata={"description": "seconds"})
    user = fields.Nested(UserSchema, required=True)


class UserCreateArgs(Strict):
    username = fields.String(
        required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.@-]{3,80}$", error="invalid_username")
    )
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=8, max=200, error="password_too_short")
    )
    role = code_field(ROLES, required=True)
    display_name = fields.String(validate=validate.Length(max=100), allow_none=True)
    email = fields.Email(allow_none=True)
    phone = fields.String(validate=PHONE, allow_none=True)
    enterprise_id = Id(allow_none=True, strict=True)
    grid_ids = fields.List(Id(strict=True), load_default=list)


class UserUpdateArgs(Strict):
    password = fields.String(load_only=True, validate=validate.Length(min=8, max=200, error="password_too_short"))
    role = code_field(ROLES)
    display_name = fields.String(validate=validate.Length(max=100), allow_none=True)
    email = fields.Email(allow_none=True)
    phone = fields.String(validate=PHONE, allow_none=True)
    enterprise_id = Id(allow_none=True, strict=True)
    grid_ids = fields.List(Id(strict=True))
    is_active = fields.Boolean()


class UserListArgs(PaginationArgs):
    role = code_field(ROLES)
    enterprise_id = Id()
    grid_id = Id()
    q = fields.String(validate=validate.Length(max=100))


UserPage = page_schema(UserSchema, "UserPage")


class GridSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String(allow_none=True)
    inspector_ids = fields.List(fields.Integer())


class GridCreateArgs(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    description = fields.String(allow_none=True, validate=validate.Length(max=2000))
    inspector_ids = fields.List(Id(strict=True), load_default=list)


class GridUpdateArgs(Strict):
    name = fields.String(validate=validate.Length(min=1, max=100))
    description = fields.String(allow_none=True, validate=validate.Length(max=2000))
    inspector_ids = fields.List(Id(strict=True))


GridPage = page_schema(GridSchema, "GridPage")


class HealthSchema(ma.Schema):
    status = fields.String(required=True)
    database = fields.String(required=True)
    broker = fields.String(required=True)
