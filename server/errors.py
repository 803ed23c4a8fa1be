"""One place that shapes every error like the API contract: `message` (+ `errors`).

Services raise `ServiceError` subclasses; views may call `fail()`; webargs and Werkzeug
raise `HTTPException`. All of them end in `error_response`.
"""

from __future__ import annotations

import logging

import marshmallow as ma
from flask import Flask, jsonify, request
from flask_smorest import Api
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from server.i18n import t, translate_field_message

log = logging.getLogger(__name__)

DEFAULT_KEYS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    500: "internal_error",
}


class ServiceError(Exception):
    """A refusal a service can explain; `key` is a message key of `server.i18n`."""

    status = 400

    def __init__(self, key: str | None = None, errors: dict | None = None, **params):
        super().__init__(key)
        self.key = key or DEFAULT_KEYS[self.status]
        self.errors = errors
        self.params = params


class Unauthorized(ServiceError):
    status = 401


class Invalid(ServiceError):
    status = 422


class NotFound(ServiceError):
    status = 404


class Forbidden(ServiceError):
    status = 403


class Conflict(ServiceError):
    status = 409


def invalid_field(field: str, key: str, **params) -> Invalid:
    return Invalid(errors={field: [t(key, **params)]})


class ErrorSchema(ma.Schema):
    """The error body of every non-2xx answer."""

    message = ma.fields.String(required=True, metadata={"description": "A sentence a person can act on"})
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "Field → messages, for 422"},
    )
    code = ma.fields.Integer()
    status = ma.fields.String()


def flatten_errors(messages, prefix: str = "") -> dict[str, list[str]]:
    """webargs nests by location ({"json": {"plan": {"funds": [...]}}}); clients want field → list."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            if not prefix and key in ("json", "query", "form", "files", "view_args", "headers"):
                name = ""
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            for field, msgs in flatten_errors(value, name).items():
                out.setdefault(field, []).extend(msgs)
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            out[prefix or "_schema"] = [translate_field_message(m) for m in messages]
        else:
            for m in messages:
                for field, msgs in flatten_errors(m, prefix).items():
                    out.setdefault(field, []).extend(msgs)
    elif isinstance(messages, str):
        out[prefix or "_schema"] = [translate_field_message(messages)]
    return out


def error_response(status: int, message: str, errors: dict | None = None, headers: dict | None = None):
    body = {"code": status, "status": _status_name(status), "message": message}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _status_name(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class ParkApi(Api):
    """flask-smorest's Api with the contract's error body."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException):
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        errors = None
        if "messages" in data:
            errors = flatten_errors(data["messages"])
        elif data.get("errors"):
            errors = data["errors"]
        message = data.get("message")
        if status == 400 and errors and "json" in (data.get("messages") or {}):
            message, errors = t("malformed_json"), None
        if status == 422 and errors and errors.get("_schema") == [translate_field_message("Invalid input type.")]:
            # A JSON body that is not an object is malformed, not an invalid field.
            status, message, errors = 400, t("json_not_object"), None
        if status == 429 and request.endpoint == "auth.TokenView":
            message = t("too_many_logins")
        if status == 404 and request.url_rule is None:
            message = t("route_not_found")
        headers = data.get("headers")
        original = getattr(error, "original_exception", None)
        if status == 500 and isinstance(original, sa_exc.OperationalError | sa_exc.InterfaceError):
            # The database is unreachable (restarting, down): a temporary state the phones retry after.
            log.warning("database unavailable: %s", original)
            status, message, headers = 503, t("database_unavailable"), {"Retry-After": "5"}
        elif status >= 500:
            log.exception("internal error", exc_info=original)
        return error_response(status, message or t(DEFAULT_KEYS.get(status, "bad_request")), errors, headers)


def init_app(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError):
        return error_response(exc.status, t(exc.key, **exc.params), exc.errors)

    @app.before_request
    def _guard_json_body():
        """400 for a body that is not JSON or not an object; 415 for other content types."""
        if request.method not in ("POST", "PUT", "PATCH") or not request.path.startswith("/api/"):
            return None
        if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
            return None
        raw = request.get_data(cache=True)
        if not raw.strip():
            return None
        if not request.is_json:
            return error_response(415, t("unsupported_media_type"))
        try:
            body = request.get_json(silent=False)
        except Exception:
            return error_response(400, t("malformed_json"))
        if not isinstance(body, dict):
            return error_response(400, t("json_not_object"))
        return None
