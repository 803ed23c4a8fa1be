"""Briefs (季度安全生产会议通报)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from schemas.common import PaginationArgs, ParkDate, ParkDateTime, Strict, code_field, page_schema
from server.codes import BRIEF_STATUSES
from server.i18n import LANGUAGES
from server.stats.service import QUARTER


class BriefCreateArgs(Strict):
    quarter = fields.String(
        validate=validate.Regexp(QUARTER, error="stats_bad_quarter"), metadata={"description": "e.g. 2026Q3"}
    )
    from_ = ParkDate(data_key="from", metadata={"description": "first park day of a custom period"})
    to = ParkDate(metadata={"description": "last park day (inclusive) of a custom period"})
    language = code_field(LANGUAGES, load_default="zh")


class BriefListArgs(PaginationArgs):
    status = code_field(BRIEF_STATUSES)


class BriefAcceptedSchema(ma.Schema):
    id = fields.Integer()
    status = fields.String()


class BriefSummarySchema(ma.Schema):
    id = fields.Integer()
    label = fields.String()
    status = fields.String(metadata={"description": "`pending`, `ready` or `failed`"})
    language = fields.String()
    period_from = ParkDateTime(data_key="from")
    period_to = ParkDateTime(data_key="to", metadata={"description": "end of the period (exclusive)"})
    as_of = ParkDateTime(allow_none=True, metadata={"description": "the figures are as of this instant (截至)"})
    created_at = ParkDateTime()
    finished_at = ParkDateTime(allow_none=True)
    error = fields.String(allow_none=True)
    files = fields.Method("_files", metadata={"description": '{"docx": url, "pdf": url} (signed), when ready'})

    def _files(self, brief):
        from server.briefs.service import file_urls

        return file_urls(brief)


class BriefSchema(BriefSummarySchema):
    figures = fields.Dict(allow_none=True, metadata={"description": "every number printed in the brief"})


BriefPage = page_schema(BriefSummarySchema, "BriefPage")
