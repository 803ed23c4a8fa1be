"""Idempotent creates by `client_uuid` (API.md): the first call creates, a repeat returns the first
record, a repeat with another body is a 409. The database's unique index decides between
concurrent requests; this module turns its verdict into the contract's answers."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from server.errors import Conflict
from server.extensions import db

T = TypeVar("T")


def _plain(value):
    if isinstance(value, datetime):
        from server.timeutil import to_utc

        return to_utc(value).isoformat()
    if isinstance(value, date | UUID | Decimal):
        return str(value)
    raise TypeError(type(value))


def fingerprint(user_id: int, data: dict) -> str:
    """A hash of who sent what; the same UUID from another user is never the same request."""
    canonical = json.dumps({"user": user_id, "data": data}, sort_keys=True, default=_plain, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _existing(model, client_uuid: str, request_hash: str):
    obj = db.session.execute(sa.select(model).where(model.client_uuid == client_uuid)).scalar_one_or_none()
    if obj is not None and obj.request_hash != request_hash:
        raise Conflict("client_uuid_reused")
    return obj


def create_once(model, user_id: int, data: dict, create: Callable[[], T]) -> tuple[T, bool]:
    """Run `create` and commit, unless `data["client_uuid"]` exists; returns (record, created).

    Adds `data["request_hash"]` (who sent what), which `create` stores with the record."""
    request_hash = data["request_hash"] = fingerprint(user_id, data)
    client_uuid = str(data["client_uuid"])
    found = _existing(model, client_uuid, request_hash)
    if found is not None:
        return found, False
    try:
        obj = create()
        db.session.commit()
        return obj, True
    except IntegrityError:
        # A concurrent request with the same UUID committed first.
        db.session.rollback()
        found = _existing(model, client_uuid, request_hash)
        if found is None:
            raise
        return found, False
