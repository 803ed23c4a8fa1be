"""Enterprises: registration and changes, with the credit code checked."""

from __future__ import annotations

import sqlalchemy as sa

from server.accounts.models import Grid
from server.enterprises import creditcode
from server.enterprises.models import Enterprise
from server.errors import Invalid
from server.extensions import db
from server.i18n import t

FIELDS = (
    "name",
    "credit_code",
    "industry",
    "grid_id",
    "address",
    "contact_name",
    "contact_phone",
    "contact_email",
    "status",
    "risk_level",
    "lat",
    "lon",
)


def _validate(data: dict, current: Enterprise | None = None) -> dict:
    data = dict(data)
    errors: dict[str, list[str]] = {}
    if "credit_code" in data:
        code = (data["credit_code"] or "").strip().upper()
        data["credit_code"] = code
        if not creditcode.is_valid(code):
            errors["credit_code"] = [t("invalid_credit_code")]
        elif (current is None or current.credit_code != code) and db.session.execute(
            sa.select(Enterprise.id).where(Enterprise.credit_code == code)
        ).first():
            errors["credit_code"] = [t("credit_code_taken")]
    if "grid_id" in data and db.session.get(Grid, data["grid_id"]) is None:
        errors["grid_id"] = [t("unknown_grid")]
    if errors:
        raise Invalid(errors=errors)
    return data


def create_enterprise(data: dict) -> Enterprise:
    data = _validate(data)
    enterprise = Enterprise(**{k: v for k, v in data.items() if k in FIELDS})
    db.session.add(enterprise)
    db.session.flush()
    return enterprise


def update_enterprise(enterprise: Enterprise, changes: dict) -> Enterprise:
    changes = _validate(changes, enterprise)
    for name, value in changes.items():
        if name in FIELDS:
            setattr(enterprise, name, value)
    db.session.flush()
    return enterprise
