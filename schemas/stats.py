"""Statistics: the summary's query and its answer."""

from __future__ import annotations

from datetime import date

import marshmallow as ma
from marshmallow import fields, validate

from schemas.common import Id, ParkDateTime, Strict, code_field
from server.codes import HAZARD_CATEGORIES, HAZARD_LEVELS, HAZARD_SOURCES, INSPECTION_KINDS
from server.stats.service import GROUPS, QUARTER


class DateOrDateTime(ParkDateTime):
    """A park-calendar date (2026-07-01) or an instant (ISO 8601; park time without an offset)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and len(value) == 10:
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise ma.ValidationError("stats_bad_date") from None
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except ma.ValidationError:
            raise ma.ValidationError("stats_bad_date") from None


class StatsFilterArgs(Strict):
    """The period and the filters shared by the summary and the ledger."""

    from_ = DateOrDateTime(data_key="from", metadata={"description": "start (inclusive), date or date-time"})
    to = DateOrDateTime(metadata={"description": "end (exclusive); a bare date means the end of that day"})
    quarter = fields.String(
        validate=validate.Regexp(QUARTER, error="stats_bad_quarter"), metadata={"description": "e.g. 2026Q3"}
    )
    as_of = ParkDateTime(metadata={"description": "the instant the figures are taken at; default and at most now"})
    enterprise_id = Id()
    grid_id = Id()
    category = code_field(HAZARD_CATEGORIES)
    level = code_field(HAZARD_LEVELS)
    source = code_field(HAZARD_SOURCES)
    kind = code_field(INSPECTION_KINDS, metadata={"description": "inspection kind (self_check: self-reported)"})
    q = fields.String(validate=validate.Length(min=1, max=100), metadata={"description": "text in hazards"})


class SummaryArgs(StatsFilterArgs):
    group_by = code_field(GROUPS)


class FiguresSchema(ma.Schema):
    inspections = fields.Integer(allow_none=True, metadata={"description": "null in groups by category/level"})
    found = fields.Integer()
    closed = fields.Integer()
    open = fields.Integer()
    overdue = fields.Integer()
    major_found = fields.Integer()
    major_open = fields.Integer()
    rectified = fields.Integer(metadata={"description": "found in the period and closed by as_of"})
    rectified_on_time = fields.Integer(metadata={"description": "… and closed on or before the latest deadline"})
    rectification_rate = fields.Float(allow_none=True, metadata={"description": "null when nothing was found"})
    on_time_rate = fields.Float(allow_none=True)


class GroupSchema(FiguresSchema):
    key = fields.Raw(metadata={"description": "id, code or month (YYYY-MM)"})
    label = fields.String()


class SummarySchema(ma.Schema):
    from_ = ParkDateTime(data_key="from", attribute="from", allow_none=True)
    to = ParkDateTime(allow_none=True)
    as_of = ParkDateTime()
    group_by = fields.String(allow_none=True)
    totals = fields.Nested(FiguresSchema)
    groups = fields.List(fields.Nested(GroupSchema))
