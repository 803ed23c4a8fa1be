"""Extensions, created unbound and bound in `create_app`."""

from flask import request
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData

# Named constraints so that Alembic migrations are stable on PostgreSQL and SQLite.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
jwt = JWTManager()
# Rate limits (log-in): in memory by default, RATELIMIT_STORAGE_URI=redis://… when several processes serve.
limiter = Limiter(key_func=get_remote_address, headers_enabled=True)


def login_key() -> str:
    """Failed log-ins count per client address and username."""
    body = request.get_json(silent=True) if request.is_json else None
    username = str(body.get("username", ""))[:80].lower() if isinstance(body, dict) else ""
    return f"{get_remote_address()}|{username}"


def login_user_key() -> str:
    """…and per username whatever the address (a slow distributed guess)."""
    return login_key().split("|", 1)[1]
