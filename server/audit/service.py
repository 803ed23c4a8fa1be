"""Write every API write request to the audit log, after the view has answered (and committed).

A refused write (401, 403, 404, 409, 422, 429 …) is logged too, with its status: the log shows attempts,
not only successes. Passwords and tokens never reach it; uploaded files are summarised (name, type, size).
"""

from __future__ import annotations

import json
import logging

import sqlalchemy as sa
from flask import Flask, Response, g, request

from server.audit.models import AuditEntry
from server.extensions import db
from server.timeutil import utcnow

log = logging.getLogger(__name__)
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
SECRET_FIELDS = {"password", "new_password", "token", "access_token", "secret"}
MAX_DETAIL = 4000


def _redact(value):
    if isinstance(value, dict):
        return {k: ("***" if k.lower() in SECRET_FIELDS else _redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


def _detail() -> dict | None:
    if request.files or request.form:
        detail: dict = {k: v for k, v in request.form.items()}
        for name, upload in request.files.items():
            stream = upload.stream
            try:
                position = stream.tell()
                stream.seek(0, 2)
                size = stream.tell()
                stream.seek(position)
            except (OSError, ValueError):
                size = None
            detail[name] = {"content_type": upload.mimetype, "bytes": size}
        return _redact(detail)
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        return None
    detail = _redact(body)
    if len(json.dumps(detail, ensure_ascii=False, default=str)) > MAX_DETAIL:
        return {"truncated": True, "fields": sorted(detail)}
    return detail


def _record_id(response: Response) -> int | None:
    for value in (request.view_args or {}).values():
        if isinstance(value, int):
            return value  # the last id in the URL is the record acted on (e.g. a hazard)
    if response.is_json and 200 <= response.status_code < 300:
        body = response.get_json(silent=True)
        if isinstance(body, dict) and isinstance(body.get("id"), int):
            return body["id"]
    return None


def record(response: Response) -> Response:
    if request.method not in WRITES or not request.path.startswith("/api/"):
        return response
    try:
        user_id, username, role = getattr(g, "actor", None) or (None, None, None)
        detail = _detail()
        if username is None and request.endpoint == "auth.TokenView" and detail:
            username = str(detail.get("username", ""))[:80] or None  # a log-in attempt: who tried
        db.session.rollback()  # views commit what they keep; nothing else may ride along with the log
        db.session.execute(
            sa.insert(AuditEntry).values(
                at=utcnow(),
                user_id=user_id,
                username=username,
                role=role,
                method=request.method,
                path=request.path[:300],
                endpoint=(request.endpoint or "")[:100] or None,
                status=response.status_code,
                record_id=_record_id(response),
                client_uuid=str(detail.get("client_uuid"))[:36] if detail and detail.get("client_uuid") else None,
                client_ip=(request.remote_addr or "")[:64] or None,
                user_agent=(request.user_agent.string or "")[:300] or None,
                detail=detail,
            )
        )
        db.session.commit()
    except Exception:  # noqa: BLE001 - the answer has been decided; a logging failure must not change it
        db.session.rollback()
        log.exception("could not write the audit log for %s %s", request.method, request.path)
    return response


def init_app(app: Flask) -> None:
    app.after_request(record)
