"""Users, log-in and grids: the rules the API, the CLI and demo data share. Services flush; callers commit."""

from __future__ import annotations

import functools
import secrets

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import generate_password_hash

from server.accounts.models import Grid, User
from server.errors import Invalid, invalid_field
from server.extensions import db
from server.i18n import t


def authenticate(username: str, password: str) -> User | None:
    user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        # Spend the same time as a real check, so the answer does not reveal which usernames exist.
        User(password_hash=_dummy_hash()).check_password(password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    return user


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16), method=current_app.config["PASSWORD_HASH_METHOD"])


def _inspectors(ids: list[int]) -> list[User]:
    if not ids:
        return []
    users = db.session.execute(sa.select(User).where(User.id.in_(ids), User.role == "inspector")).scalars().all()
    if len(users) != len(set(ids)):
        raise invalid_field("inspector_ids", "unknown_user")
    return list(users)


def _grids(ids: list[int], field: str = "grid_ids") -> list[Grid]:
    if not ids:
        return []
    grids = db.session.execute(sa.select(Grid).where(Grid.id.in_(ids))).scalars().all()
    if len(grids) != len(set(ids)):
        raise invalid_field(field, "unknown_grid")
    return list(grids)


def _check_role_links(role: str, enterprise_id: int | None, grid_ids: list[int]) -> None:
    from server.enterprises.models import Enterprise

    errors: dict[str, list[str]] = {}
    if role == "enterprise":
        if enterprise_id is None:
            errors["enterprise_id"] = [t("enterprise_required")]
        elif db.session.get(Enterprise, enterprise_id) is None:
            errors["enterprise_id"] = [t("unknown_enterprise")]
    elif enterprise_id is not None:
        errors["enterprise_id"] = [t("enterprise_only_for_enterprise_role")]
    if grid_ids and role != "inspector":
        errors["grid_ids"] = [t("grids_only_for_inspectors")]
    if errors:
        raise Invalid(errors=errors)


def create_user(
    username: str,
    password: str,
    role: str,
    *,
    display_name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    enterprise_id: int | None = None,
    grid_ids: list[int] | None = None,
) -> User:
    grid_ids = grid_ids or []
    _check_role_links(role, enterprise_id, grid_ids)
    if db.session.execute(sa.select(User.id).where(User.username == username)).first():
        raise invalid_field("username", "username_taken")
    user = User(
        username=username,
        role=role,
        display_name=display_name,
        email=email,
        phone=phone,
        enterprise_id=enterprise_id,
    )
    user.set_password(password)
    user.grids = _grids(grid_ids)
    db.session.add(user)
    db.session.flush()
    return user


def update_user(user: User, changes: dict) -> User:
    role = changes.get("role", user.role)
    enterprise_id = changes["enterprise_id"] if "enterprise_id" in changes else user.enterprise_id
    if role != "enterprise" and "enterprise_id" not in changes:
        enterprise_id = None
    grid_ids = changes["grid_ids"] if "grid_ids" in changes else (user.grid_ids if role == "inspector" else [])
    _check_role_links(role, enterprise_id, grid_ids)
    for name in ("role", "display_name", "email", "phone", "is_active"):
        if name in changes:
            setattr(user, name, changes[name])
    user.enterprise_id = enterprise_id
    user.grids = _grids(grid_ids)
    if changes.get("password"):
        user.set_password(changes["password"])
    db.session.flush()
    return user


def create_grid(name: str, description: str | None = None, inspector_ids: list[int] | None = None) -> Grid:
    if db.session.execute(sa.select(Grid.id).where(Grid.name == name)).first():
        raise invalid_field("name", "grid_name_taken")
    grid = Grid(name=name, description=description)
    grid.inspectors = _inspectors(inspector_ids or [])
    db.session.add(grid)
    db.session.flush()
    return grid


def update_grid(grid: Grid, changes: dict) -> Grid:
    if "name" in changes and changes["name"] != grid.name:
        if db.session.execute(sa.select(Grid.id).where(Grid.name == changes["name"])).first():
            raise invalid_field("name", "grid_name_taken")
        grid.name = changes["name"]
    if "description" in changes:
        grid.description = changes["description"]
    if "inspector_ids" in changes:
        grid.inspectors = _inspectors(changes["inspector_ids"])
    db.session.flush()
    return grid
