"""Log-in, the current user, users and grids."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.accounts import (
    GridCreateArgs,
    GridPage,
    GridSchema,
    GridUpdateArgs,
    TokenArgs,
    TokenSchema,
    UserCreateArgs,
    UserListArgs,
    UserPage,
    UserSchema,
    UserUpdateArgs,
)
from schemas.common import PaginationArgs
from server.accounts import service
from server.accounts.models import Grid, User, grid_inspectors
from server.auth import ALL_ROLES, access, current_user, get_visible, issue_token, public, resource, scope_loader
from server.errors import Unauthorized
from server.extensions import db, limiter, login_key, login_user_key
from server.pagination import paginate

auth_blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Log-in (登录)")
users_blp = Blueprint("users", __name__, url_prefix="/api/v1", description="Users and roles (用户)")
grids_blp = Blueprint("grids", __name__, url_prefix="/api/v1/grids", description="Grids (网格)")


@scope_loader("user_id")
def load_user(user, user_id: int) -> User:
    """Admin and office see every user; anyone else only themselves."""
    if user.role in ("admin", "office") or user.id == user_id:
        return get_visible(User, user, user_id)
    return get_visible(User, user, user_id, sa.false())


@scope_loader("grid_id")
def load_grid(user, grid_id: int) -> Grid:
    return get_visible(Grid, user, grid_id)


def _failed(response) -> bool:
    return response.status_code == 401


@auth_blp.route("/token")
class TokenView(MethodView):
    # Every attempt counts per address; failures count per address+username and per username (429 beyond).
    decorators = [
        limiter.limit(lambda: current_app.config["LOGIN_ATTEMPTS_LIMIT"]),
        limiter.limit(lambda: current_app.config["LOGIN_FAILURES_LIMIT"], key_func=login_key, deduct_when=_failed),
        limiter.limit(
            lambda: current_app.config["LOGIN_USER_FAILURES_LIMIT"], key_func=login_user_key, deduct_when=_failed
        ),
    ]

    @public
    @auth_blp.arguments(TokenArgs)
    @auth_blp.response(200, TokenSchema)
    @auth_blp.alt_response(401, response="UNAUTHORIZED")
    @auth_blp.alt_response(429, response="TOO_MANY_REQUESTS")
    def post(self, args):
        """Log in with username and password; returns a bearer token. Repeated failures are refused (429)."""
        user = service.authenticate(args["username"], args["password"])
        if user is None:
            raise Unauthorized("bad_credentials")
        return issue_token(user)


@users_blp.route("/me")
class MeView(MethodView):
    @access(*ALL_ROLES)
    @users_blp.response(200, UserSchema)
    def get(self):
        """The logged-in user, with role, enterprise and grids."""
        return current_user()


@users_blp.route("/users")
class UsersView(MethodView):
    @access("admin", "office")
    @users_blp.arguments(UserListArgs, location="query")
    @users_blp.response(200, UserPage)
    def get(self, args):
        """List users (admin, office)."""
        stmt = sa.select(User).order_by(User.id)
        if "role" in args:
            stmt = stmt.where(User.role == args["role"])
        if "enterprise_id" in args:
            stmt = stmt.where(User.enterprise_id == args["enterprise_id"])
        if "grid_id" in args:
            stmt = stmt.where(
                User.id.in_(sa.select(grid_inspectors.c.user_id).where(grid_inspectors.c.grid_id == args["grid_id"]))
            )
        if args.get("q"):
            like = f"%{args['q']}%"
            stmt = stmt.where(sa.or_(User.username.ilike(like), User.display_name.ilike(like)))
        return paginate(stmt, args)

    @access("admin")
    @users_blp.arguments(UserCreateArgs)
    @users_blp.response(201, UserSchema)
    def post(self, args):
        """Create a user (admin). Enterprise users need `enterprise_id`; inspectors may get `grid_ids`."""
        user = service.create_user(**args)
        db.session.commit()
        return user


@users_blp.route("/users/<int:user_id>")
class UserView(MethodView):
    @access(*ALL_ROLES)
    @users_blp.response(200, UserSchema)
    def get(self, user_id):
        """One user (admin and office: anyone; others: themselves)."""
        return resource("user_id")

    @access("admin")
    @users_blp.arguments(UserUpdateArgs)
    @users_blp.response(200, UserSchema)
    def patch(self, args, user_id):
        """Change a user's role, links, contact, password or active flag (admin)."""
        user = service.update_user(resource("user_id"), args)
        db.session.commit()
        return user


@grids_blp.route("")
class GridsView(MethodView):
    @access(*ALL_ROLES)
    @grids_blp.arguments(PaginationArgs, location="query")
    @grids_blp.response(200, GridPage)
    def get(self, args):
        """List grids with their inspectors."""
        return paginate(sa.select(Grid).order_by(Grid.id), args)

    @access("office", "admin")
    @grids_blp.arguments(GridCreateArgs)
    @grids_blp.response(201, GridSchema)
    def post(self, args):
        """Create a grid and assign its inspectors."""
        grid = service.create_grid(**args)
        db.session.commit()
        return grid


@grids_blp.route("/<int:grid_id>")
class GridView(MethodView):
    @access(*ALL_ROLES)
    @grids_blp.response(200, GridSchema)
    def get(self, grid_id):
        """One grid."""
        return resource("grid_id")

    @access("office", "admin")
    @grids_blp.arguments(GridUpdateArgs)
    @grids_blp.response(200, GridSchema)
    def patch(self, args, grid_id):
        """Rename a grid or change its inspectors."""
        grid = service.update_grid(resource("grid_id"), args)
        db.session.commit()
        return grid
