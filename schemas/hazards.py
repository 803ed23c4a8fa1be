"""Hazards, their history, photos and lifecycle actions."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import marshmallow as ma
from flask import current_app
from flask_smorest.fields import Upload
from marshmallow import fields, validate, validates_schema

from schemas.common import Id, Label, PaginationArgs, ParkDate, ParkDateTime, Strict, code_field, page_schema
from server.codes import HAZARD_CATEGORIES, HAZARD_LEVELS, HAZARD_SOURCES, HAZARD_STATUSES, PHOTO_STAGES
from server.i18n import t

TEXT = validate.Length(min=1, max=5000)


class DeadlineField(ParkDateTime):
    """A date-time, or a bare date meaning the end of that day in park time."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and len(value) == 10:
            day = ParkDate()._deserialize(value, attr, data, **kwargs)
            tz = ZoneInfo(current_app.config["PARK_TIMEZONE"])
            return datetime.combine(day, time(23, 59, 59), tzinfo=tz)
        return super()._deserialize(value, attr, data, **kwargs)


class PlanArgs(Strict):
    """The five-in-place plan (五落实) of a major hazard: all fields required."""

    responsible = fields.String(required=True, validate=validate.Length(min=1, max=100))
    measures = fields.String(required=True, validate=TEXT)
    funds = fields.Float(required=True, validate=validate.Range(min=0, max=1e12), metadata={"description": "yuan"})
    deadline = ParkDate(required=True)
    contingency = fields.String(required=True, validate=TEXT)


class HazardCreateArgs(Strict):
    client_uuid = fields.UUID(required=True)
    enterprise_id = Id(required=True, strict=True)
    inspection_id = Id(strict=True, allow_none=True)
    location = fields.String(allow_none=True, validate=validate.Length(max=300))
    description = fields.String(required=True, validate=TEXT)
    category = code_field(HAZARD_CATEGORIES, required=True)
    level = code_field(HAZARD_LEVELS, required=True)
    found_at = ParkDateTime(required=True)
    deadline = DeadlineField(allow_none=True, metadata={"description": "a date (end of that park day) or a date-time"})
    responsible_person = fields.String(allow_none=True, validate=validate.Length(max=100))
    measures = fields.String(allow_none=True, validate=validate.Length(max=5000))
    plan = fields.Nested(PlanArgs, allow_none=True)

    @validates_schema
    def _major_needs_plan(self, data, **kwargs):
        if data.get("level") == "major" and not data.get("plan"):
            raise ma.ValidationError(t("major_needs_plan"), "plan")


class ActorSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    role = fields.String()


class HistorySchema(ma.Schema):
    at = ParkDateTime()
    by = fields.Nested(ActorSchema, attribute="actor")
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)
    data = fields.Dict(allow_none=True)


class GpsSchema(ma.Schema):
    lat = fields.Float()
    lon = fields.Float()


class PhotoUrlsSchema(ma.Schema):
    original = fields.String()
    display = fields.String()
    thumbnail = fields.String()


class PhotoSchema(ma.Schema):
    id = fields.Integer()
    hazard_id = fields.Integer()
    stage = fields.String()
    sha256 = fields.String()
    content_type = fields.String()
    size_bytes = fields.Integer()
    width = fields.Integer()
    height = fields.Integer()
    taken_at = ParkDateTime(allow_none=True)
    gps = fields.Method("_gps", metadata={"description": '{"lat", "lon"} or null'})
    stale = fields.Boolean()
    derived = fields.Boolean(metadata={"description": "thumbnail and display image are ready"})
    created_at = ParkDateTime()
    urls = fields.Method("_urls")

    def _gps(self, obj):
        return None if obj.gps_lat is None else {"lat": obj.gps_lat, "lon": obj.gps_lon}

    def _urls(self, obj):
        from server.hazards.photo_service import signed_urls

        return signed_urls(obj)


class PlanSchema(ma.Schema):
    responsible = fields.String(attribute="plan_responsible")
    measures = fields.String(attribute="plan_measures")
    funds = fields.Float(attribute="plan_funds")
    deadline = ParkDate(attribute="plan_deadline")
    contingency = fields.String(attribute="plan_contingency")


class RectificationSchema(ma.Schema):
    id = fields.Integer()
    description = fields.String()
    cost = fields.Float(allow_none=True)
    completed_at = ParkDateTime()
    submitted_at = ParkDateTime()


class HazardSummarySchema(ma.Schema):
    """A hazard in lists: no photos or history, to keep pages small on weak networks."""

    id = fields.Integer()
    client_uuid = fields.String()
    enterprise_id = fields.Integer()
    enterprise_name = fields.String(attribute="enterprise.name")
    grid_id = fields.Integer()
    inspection_id = fields.Integer(allow_none=True)
    source = fields.String()
    source_label = Label(HAZARD_SOURCES, "source")
    location = fields.String(allow_none=True)
    description = fields.String()
    category = fields.String()
    category_label = Label(HAZARD_CATEGORIES, "category")
    level = fields.String()
    level_label = Label(HAZARD_LEVELS, "level")
    status = fields.String()
    status_label = Label(HAZARD_STATUSES, "status")
    found_at = ParkDateTime()
    found_by = fields.Nested(ActorSchema)
    deadline = ParkDateTime()
    original_deadline = ParkDateTime()
    responsible_person = fields.String(allow_none=True)
    measures = fields.String(allow_none=True)
    plan = fields.Method("_plan")
    overdue = fields.Method("_overdue", metadata={"type": "boolean"})
    days_overdue = fields.Method("_days_overdue", metadata={"type": "integer"})
    closed_at = ParkDateTime(allow_none=True)
    received_at = ParkDateTime()

    def _plan(self, obj):
        return PlanSchema().dump(obj) if obj.plan_responsible is not None else None

    def _overdue(self, obj) -> bool:
        from server.hazards.service import overdue_days

        return overdue_days(obj) is not None

    def _days_overdue(self, obj) -> int:
        from server.hazards.service import overdue_days

        return overdue_days(obj) or 0


class HazardSchema(HazardSummarySchema):
    photos = fields.List(fields.Nested(PhotoSchema))
    history = fields.List(fields.Nested(HistorySchema))
    rectification = fields.Method("_rectification", metadata={"description": "the latest rectification, or null"})

    def _rectification(self, obj):
        from server.hazards.service import latest_rectification

        rect = latest_rectification(obj)
        return RectificationSchema().dump(rect) if rect else None


class HazardFilterArgs(Strict):
    """The hazard list's filters (API.md), shared by the list and the ledger export."""

    status = code_field(HAZARD_STATUSES)
    overdue = fields.Boolean()
    level = code_field(HAZARD_LEVELS)
    category = code_field(HAZARD_CATEGORIES)
    source = code_field(HAZARD_SOURCES)
    enterprise_id = Id()
    grid_id = Id()
    inspection_id = Id()
    found_from = ParkDateTime()
    found_to = ParkDateTime()
    q = fields.String(
        validate=validate.Length(min=1, max=100), metadata={"description": "text in description or location"}
    )


class HazardListArgs(PaginationArgs, HazardFilterArgs):
    sort = fields.String(
        load_default="newest",
        validate=validate.OneOf(["newest", "deadline"]),
        metadata={"description": "`newest` (found_at, newest first) or `deadline` (earliest deadline first)"},
    )


HazardPage = page_schema(HazardSummarySchema, "HazardPage")


class RectificationArgs(Strict):
    description = fields.String(required=True, validate=TEXT)
    completed_at = ParkDateTime(required=True)
    cost = fields.Float(allow_none=True, validate=validate.Range(min=0, max=1e12), metadata={"description": "yuan"})


class VerificationArgs(Strict):
    accepted = fields.Boolean(required=True, truthy={True}, falsy={False})
    comment = fields.String(allow_none=True, validate=validate.Length(max=2000))

    @validates_schema
    def _reason_for_rejection(self, data, **kwargs):
        if data.get("accepted") is False and not (data.get("comment") or "").strip():
            raise ma.ValidationError(t("rejection_needs_comment"), "comment")


class ExtensionArgs(Strict):
    deadline = DeadlineField(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class PhotoUploadArgs(Strict):
    """The multipart form of a photo upload; `file` is required (checked by the view, documented here)."""

    file = Upload(load_only=True, metadata={"description": "Required. JPEG, PNG, WebP or HEIC/HEIF"})
    stage = code_field(PHOTO_STAGES, required=True)
    client_uuid = fields.UUID(allow_none=True)
