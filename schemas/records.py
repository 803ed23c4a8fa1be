"""Safety work records: agreements, drills, meetings, trainings, activities, accidents."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate, validates_schema

from schemas.common import Id, Label, PaginationArgs, ParkDate, ParkDateTime, Strict, code_field, page_schema
from server.codes import RECORD_KINDS
from server.i18n import t

QUANTITY = validate.Range(min=0, max=1_000_000, error="record_quantity_range")
TITLE = validate.Length(min=1, max=300, error="record_title_length")
ENTERPRISE_ID = validate.Range(min=1, max=2**31 - 1, error="unknown_enterprise")  # beyond the id column: none
QUANTITY_DOC = "participants, copies, banners …; for an accident, the number of accidents"


class CreatorSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()


class RecordSchema(ma.Schema):
    id = fields.Integer()
    kind = fields.String()
    kind_label = Label(RECORD_KINDS, "kind")
    date = ParkDate(metadata={"description": "park calendar day"})
    title = fields.String()
    enterprise_id = fields.Integer(allow_none=True, metadata={"description": "null: a park-wide record"})
    enterprise_name = fields.String(allow_none=True)
    quantity = fields.Integer(metadata={"description": QUANTITY_DOC})
    details = fields.String(allow_none=True)
    created_by = fields.Nested(CreatorSchema)
    created_at = ParkDateTime()


class RecordFields(Strict):
    kind = code_field(RECORD_KINDS)
    date = ParkDate(metadata={"description": "park calendar day, not after today"})
    title = fields.String(validate=TITLE)
    enterprise_id = fields.Integer(
        allow_none=True,
        strict=True,
        validate=ENTERPRISE_ID,
        metadata={"description": "null: park-wide; required for an agreement"},
    )
    quantity = fields.Integer(strict=True, validate=QUANTITY, metadata={"description": QUANTITY_DOC})
    details = fields.String(allow_none=True, validate=validate.Length(max=5000))


class RecordCreateArgs(RecordFields):
    kind = code_field(RECORD_KINDS, required=True)
    date = ParkDate(required=True, metadata={"description": "park calendar day, not after today"})
    title = fields.String(required=True, validate=TITLE)
    quantity = fields.Integer(
        load_default=1, strict=True, validate=QUANTITY, metadata={"description": QUANTITY_DOC + "; default 1"}
    )


class RecordUpdateArgs(RecordFields):
    pass


class RecordListArgs(PaginationArgs):
    kind = code_field(RECORD_KINDS)
    enterprise_id = Id(validate=ENTERPRISE_ID)
    date_from = ParkDate(data_key="from", metadata={"description": "first park day, inclusive"})
    date_to = ParkDate(data_key="to", metadata={"description": "last park day, inclusive"})

    @validates_schema
    def _period_in_order(self, data, **kwargs):
        if "date_from" in data and "date_to" in data and data["date_to"] < data["date_from"]:
            raise ma.ValidationError(t("finished_before_started"), "to")


RecordPage = page_schema(RecordSchema, "RecordPage")
