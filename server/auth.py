"""Log-in tokens, the current user, and the one place that enforces role and scope.

Every API view declares who may call it with `@access(...)` (or `@public`). Before the view
runs, `enforce_access` authenticates the bearer token (401), loads each record named in the
URL through its scope loader (404 when the caller may not see it), then checks the role (403).
An API endpoint without a declared rule makes `create_app` fail, so none slips through.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from apispec import BasePlugin
from flask import Flask, current_app, g, request
from flask_jwt_extended import create_access_token, verify_jwt_in_request

from server.codes import ROLES
from server.errors import Forbidden, NotFound, error_response
from server.extensions import db, jwt
from server.i18n import t

ALL_ROLES = tuple(ROLES)
STAFF = ("admin", "office", "leader")  # see the whole park
PUBLIC = "public"

# URL variable name → loader(user, value) returning the record or raising NotFound.
_loaders: dict[str, Callable] = {}


def access(*roles: str):
    """Declare the roles allowed to call this view (scope is checked by the URL's loaders)."""
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise ValueError(f"unknown roles {unknown}")

    def decorator(fn):
        fn._access = frozenset(roles)
        return fn

    return decorator


def public(fn):
    """Declare a view that needs no log-in."""
    fn._access = PUBLIC
    return fn


def scope_loader(view_arg: str):
    """Register the function that loads `<view_arg>` for a user, or raises NotFound."""

    def decorator(fn):
        _loaders[view_arg] = fn
        return fn

    return decorator


def current_user():
    return g.user


def resource(view_arg: str):
    """The record named in the URL, already loaded and scope-checked for this request."""
    return g.resources[view_arg]


def issue_token(user) -> dict:
    seconds = current_app.config["TOKEN_EXPIRES_SECONDS"]
    token = create_access_token(
        identity=str(user.id),
        additional_claims={"role": user.role},
        expires_delta=timedelta(seconds=seconds),
    )
    return {"access_token": token, "token_type": "Bearer", "expires_in": seconds, "user": user}


def rule_for(endpoint: str | None, method: str):
    """The access rule of the view that serves (endpoint, method), or None if undeclared."""
    view = current_app.view_functions.get(endpoint) if endpoint else None
    if view is None:
        return None
    view_class = getattr(view, "view_class", None)
    fn = getattr(view_class, method.lower(), None) if view_class else view
    if fn is None and method == "HEAD" and view_class:
        fn = getattr(view_class, "get", None)
    return getattr(fn, "_access", None)


def _is_api(path: str) -> bool:
    return path.startswith("/api/v1/") or path == "/api/v1"


def enforce_access():
    g.user = g.actor = None  # set by the token below; never carried over from another request
    if not _is_api(request.path) or request.url_rule is None or request.method == "OPTIONS":
        return None
    rule = rule_for(request.endpoint, request.method)
    if rule is None:
        if request.endpoint and request.endpoint.startswith("api-docs."):
            return None  # the OpenAPI document is public (API.md)
        return error_response(403, t("forbidden"))
    if rule == PUBLIC:
        return None
    verify_jwt_in_request()  # raises; the loaders below answer 401
    user = g.user
    g.actor = (user.id, user.username, user.role)  # for the audit log, read once while the row is loaded
    g.resources = {}
    for name, value in (request.view_args or {}).items():
        loader = _loaders.get(name)
        if loader is None:
            raise RuntimeError(f"no scope loader for URL variable {name!r}")
        g.resources[name] = loader(user, value)
    if user.role not in rule:
        raise Forbidden()
    return None


def check_rules(app: Flask) -> None:
    """Refuse to start when an API endpoint has no access rule or a URL variable no loader."""
    with app.test_request_context():
        for url_rule in app.url_map.iter_rules():
            if not _is_api(url_rule.rule) or url_rule.endpoint.startswith("api-docs."):
                continue
            for method in url_rule.methods - {"HEAD", "OPTIONS"}:
                if rule_for(url_rule.endpoint, method) is None:
                    raise RuntimeError(f"{method} {url_rule.rule} has no access rule")
            missing = set(url_rule.arguments) - set(_loaders)
            if missing:
                raise RuntimeError(f"{url_rule.rule}: no scope loader for {missing}")


# -- query scoping: an enterprise sees its own records, an inspector its own grids -------------


MAX_ID = 2**31 - 1


def enterprise_scope(user, enterprise_column) -> sa.ColumnElement[bool]:
    """A condition limiting rows with `enterprise_column` to what `user` may see."""
    from server.enterprises.models import Enterprise

    if user.role == "enterprise":
        return enterprise_column == user.enterprise_id
    if user.role == "inspector":
        return enterprise_column.in_(sa.select(Enterprise.id).where(Enterprise.grid_id.in_(user.grid_ids)))
    return sa.true()


def grid_scope(user, grid_column) -> sa.ColumnElement[bool]:
    """A condition limiting rows with `grid_column` to an inspector's grids."""
    if user.role == "inspector":
        return grid_column.in_(user.grid_ids)
    return sa.true()


def get_visible(model, user, record_id: int, *conditions):
    """One record by id, or NotFound when it does not exist or is out of the user's scope."""
    if not 0 < record_id <= MAX_ID:  # beyond the id column's range: no such record, not a database error
        raise NotFound()
    obj = db.session.execute(sa.select(model).where(model.id == record_id, *conditions)).scalar_one_or_none()
    if obj is None:
        raise NotFound()
    return obj


# -- flask-jwt-extended wiring -----------------------------------------------------------------


def init_app(app: Flask) -> None:
    from server.accounts.models import User

    app.config.setdefault("JWT_SECRET_KEY", app.config["SECRET_KEY"])
    app.config["JWT_TOKEN_LOCATION"] = ["headers"]
    app.config["JWT_ERROR_MESSAGE_KEY"] = "message"
    jwt.init_app(app)

    @jwt.user_lookup_loader
    def _load_user(_header, payload):
        user = db.session.get(User, int(payload["sub"]))
        if user is None or not user.is_active:
            return None
        g.user = user
        return user

    def unauthorized(key):
        return error_response(401, t(key), headers={"WWW-Authenticate": "Bearer"})

    jwt.unauthorized_loader(lambda _reason: unauthorized("unauthorized"))
    jwt.expired_token_loader(lambda _h, _p: unauthorized("token_expired"))
    jwt.invalid_token_loader(lambda _reason: unauthorized("token_invalid"))
    jwt.user_lookup_error_loader(lambda _h, _p: unauthorized("unauthorized"))
    jwt.revoked_token_loader(lambda _h, _p: unauthorized("token_invalid"))
    jwt.needs_fresh_token_loader(lambda _h, _p: unauthorized("token_invalid"))

    app.before_request(enforce_access)


class AccessDocPlugin(BasePlugin):
    """Documents, for every operation, the error answers that access and bodies can give."""

    def __init__(self, app: Flask):
        self.app = app

    def operation_helper(self, path=None, operations=None, **kwargs):
        url_rule = kwargs.get("rule")
        if url_rule is None or not operations:
            return
        with self.app.test_request_context():
            for method, operation in operations.items():
                rule = rule_for(url_rule.endpoint, method.upper())
                responses = operation.setdefault("responses", {})
                if rule != PUBLIC:
                    responses.setdefault("401", "UNAUTHORIZED")
                    operation.setdefault("security", [{"bearerAuth": []}])
                    if rule is not None and set(rule) != set(ALL_ROLES):
                        responses.setdefault("403", "FORBIDDEN")
                if url_rule.arguments:
                    responses.setdefault("404", "NOT_FOUND")
                if method in ("post", "put", "patch"):
                    responses.setdefault("400", "BAD_REQUEST")
                    responses.setdefault("415", "UNSUPPORTED_MEDIA_TYPE")
