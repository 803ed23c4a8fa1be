"""Shared schema pieces: strict base, pagination, park-time datetimes, code fields."""

from __future__ import annotations

from datetime import datetime

import marshmallow as ma
from marshmallow import fields, validate

from server.i18n import language


class Strict(ma.Schema):
    """Input schemas refuse unknown fields (422), so typos never pass silently."""

    class Meta:
        unknown = ma.RAISE


YEARS = (2000, 2100)  # dates outside are typing mistakes (and pre-1901 park time has a second-level offset)


def in_years(value):
    if not YEARS[0] <= value.year <= YEARS[1]:
        raise ma.ValidationError("date_out_of_range")
    return value


class ParkDateTime(fields.AwareDateTime):
    """ISO 8601; a time without an offset is park time; dumped with its offset in park time."""

    def __init__(self, **kwargs):
        super().__init__(format="iso", default_timezone=None, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        # Accept naive values: AwareDateTime with default_timezone=None would refuse them.
        from zoneinfo import ZoneInfo

        from flask import current_app

        parsed = fields.DateTime._deserialize(self, value, attr, data, **kwargs)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=ZoneInfo(current_app.config["PARK_TIMEZONE"]))
        return in_years(parsed)

    def _serialize(self, value: datetime | None, attr, obj, **kwargs):
        if value is None:
            return None
        from server.timeutil import to_park

        return to_park(value).isoformat()


MAX_ID = 2**31 - 1


class Id(fields.Integer):
    """A record id: a positive integer within the id column's range (beyond it no record can match, and
    PostgreSQL would refuse to compare)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Range(min=1, max=MAX_ID))
        super().__init__(**kwargs)


def code_field(codes, **kwargs) -> fields.String:
    """A string restricted to the given codes, documented as an enum."""
    return fields.String(validate=validate.OneOf(list(codes)), **kwargs)


class Label(fields.String):
    """The label of a code attribute, in the request's language."""

    def __init__(self, codes, attribute_name: str, **kwargs):
        kwargs.setdefault("allow_none", True)  # the label of an unset code is null
        super().__init__(attribute=attribute_name, dump_only=True, **kwargs)
        self._codes = codes

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        zh, en = self._codes[value]
        return en if language() == "en" else zh


class ParkDate(fields.Date):
    """An ISO date (a park calendar day) within YEARS."""

    def _deserialize(self, value, attr, data, **kwargs):
        return in_years(super()._deserialize(value, attr, data, **kwargs))


class PaginationArgs(Strict):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """The list envelope of API.md: items, page, per_page, total."""
    return type(
        name,
        (ma.Schema,),
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "page": fields.Integer(required=True),
            "per_page": fields.Integer(required=True),
            "total": fields.Integer(required=True),
        },
    )
