"""Inspections."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate, validates_schema

from schemas.common import Id, Label, PaginationArgs, ParkDateTime, Strict, code_field, page_schema
from server.codes import CAMPAIGNS, INSPECTION_KINDS
from server.i18n import t


class InspectionCreateArgs(Strict):
    client_uuid = fields.UUID(required=True)
    enterprise_id = Id(required=True, strict=True)
    kind = code_field(INSPECTION_KINDS, required=True)
    campaign = code_field(CAMPAIGNS, allow_none=True)
    started_at = ParkDateTime(required=True)
    finished_at = ParkDateTime(allow_none=True)
    lat = fields.Float(allow_none=True, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(allow_none=True, validate=validate.Range(min=-180, max=180))
    notes = fields.String(allow_none=True, validate=validate.Length(max=5000))

    @validates_schema
    def _times(self, data, **kwargs):
        if data.get("finished_at") and data.get("started_at") and data["finished_at"] < data["started_at"]:
            raise ma.ValidationError(t("finished_before_started"), "finished_at")


class InspectionSchema(ma.Schema):
    id = fields.Integer()
    client_uuid = fields.String()
    enterprise_id = fields.Integer()
    enterprise_name = fields.String(attribute="enterprise.name")
    grid_id = fields.Integer()
    inspector_id = fields.Integer()
    inspector_name = fields.String(attribute="inspector.name")
    kind = fields.String()
    kind_label = Label(INSPECTION_KINDS, "kind")
    campaign = fields.String(allow_none=True)
    campaign_label = Label(CAMPAIGNS, "campaign", allow_none=True)
    started_at = ParkDateTime()
    finished_at = ParkDateTime(allow_none=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    notes = fields.String(allow_none=True)
    received_at = ParkDateTime()
    hazard_ids = fields.Method("_hazard_ids")
    outcome = fields.Method("_outcome", metadata={"description": "`no_hazard` or `hazards_found`"})

    def _hazard_ids(self, obj) -> list[int]:
        return [h.id for h in obj.hazards]

    def _outcome(self, obj) -> str:
        return "hazards_found" if obj.hazards else "no_hazard"


class InspectionListArgs(PaginationArgs):
    enterprise_id = Id()
    grid_id = Id()
    inspector_id = Id()
    kind = code_field(INSPECTION_KINDS)
    campaign = code_field(CAMPAIGNS)
    started_from = ParkDateTime()
    started_to = ParkDateTime()


InspectionPage = page_schema(InspectionSchema, "InspectionPage")
