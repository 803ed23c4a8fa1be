"""Settings from the environment, with defaults that run on a bare machine."""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


def normalise_database_url(url: str) -> str:
    """`postgres://` and `postgresql://` mean psycopg 3 (API.md, configuration formats)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Config:
    """Read once when the app is created; tests override with a mapping."""

    def __init__(self) -> None:
        env = os.environ
        self.SECRET_KEY = env.get("SECRET_KEY")
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(
            env.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'park.sqlite'}")
        )
        # A connection broken by a database restart is noticed and replaced before use, not after a failure.
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        # Embedded broker: kombu's SQLAlchemy transport on a SQLite file, no server needed.
        self.CELERY_BROKER_URL = env.get("CELERY_BROKER_URL", f"sqla+sqlite:///{INSTANCE_DIR / 'broker.sqlite'}")
        self.MEDIA_ROOT = env.get("MEDIA_ROOT", str(INSTANCE_DIR / "media"))
        self.PARK_TIMEZONE = env.get("PARK_TIMEZONE", "Asia/Shanghai")
        self.DEFAULT_LANGUAGE = env.get("DEFAULT_LANGUAGE", "zh")
        # Werkzeug's scrypt; tests lower the work factor (still scrypt) to stay fast.
        self.PASSWORD_HASH_METHOD = env.get("PASSWORD_HASH_METHOD", "scrypt")
        self.TOKEN_EXPIRES_SECONDS = _int("TOKEN_EXPIRES_SECONDS", 12 * 3600)
        self.MAX_UPLOAD_BYTES = _int("MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
        self.MAX_IMAGE_PIXELS = _int("MAX_IMAGE_PIXELS", 50_000_000)
        # A request body may carry one photo plus its form fields; anything larger is a 413.
        self.MAX_CONTENT_LENGTH = self.MAX_UPLOAD_BYTES + 64 * 1024
        self.PHOTO_URL_TTL_SECONDS = _int("PHOTO_URL_TTL_SECONDS", 3600)
        # A photo taken this long before (or after) it was submitted is flagged `stale`.
        self.PHOTO_STALE_HOURS = _int("PHOTO_STALE_HOURS", 72)
        # Default rectification deadline (days after found_at, to the end of that park day).
        self.DEADLINE_DAYS = {
            "general": _int("DEADLINE_DAYS_GENERAL", 7),
            "major": _int("DEADLINE_DAYS_MAJOR", 30),
        }
        # Times from phones may run a little ahead of the server's clock.
        self.FUTURE_TOLERANCE_MINUTES = _int("FUTURE_TOLERANCE_MINUTES", 10)
        self.SMTP_URL = env.get("SMTP_URL")
        self.MAIL_FROM = env.get("MAIL_FROM", "park-safety@localhost")
        self.WEBHOOK_URLS = env.get("WEBHOOK_URLS")
        self.SMS_GATEWAY_URL = env.get("SMS_GATEWAY_URL")
        self.QUIET_HOURS = env.get("QUIET_HOURS", "22:00-07:00")
        # Reminders (跟踪督办): stage thresholds, schedule, retries.
        self.REMINDER_DUE_SOON_HOURS = _int("REMINDER_DUE_SOON_HOURS", 24)
        self.REMINDER_ESCALATE_DAYS = _int("REMINDER_ESCALATE_DAYS", 3)
        self.REMINDER_SUPERVISE_DAYS = _int("REMINDER_SUPERVISE_DAYS", 7)
        self.REMINDER_SWEEP_MINUTES = _int("REMINDER_SWEEP_MINUTES", 15)
        self.REMINDER_MAX_ATTEMPTS = _int("REMINDER_MAX_ATTEMPTS", 5)
        self.REMINDER_RETRY_BASE_SECONDS = float(env.get("REMINDER_RETRY_BASE_SECONDS", 30))
        self.REMINDER_RETRY_MAX_SECONDS = float(env.get("REMINDER_RETRY_MAX_SECONDS", 3600))
        self.REMINDER_CLAIM_TIMEOUT_SECONDS = _int("REMINDER_CLAIM_TIMEOUT_SECONDS", 300)
        self.REMINDER_BATCH_SIZE = _int("REMINDER_BATCH_SIZE", 200)
        self.DIGEST_TIME = env.get("DIGEST_TIME", "08:30")
        self.PUBLIC_BASE_URL = env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
        # Log-in rate limits (flask-limiter notation); storage shared by every process in production (redis://).
        self.RATELIMIT_STORAGE_URI = env.get("RATELIMIT_STORAGE_URI", "memory://")
        self.LOGIN_ATTEMPTS_LIMIT = env.get("LOGIN_ATTEMPTS_LIMIT", "30 per minute")
        self.LOGIN_FAILURES_LIMIT = env.get("LOGIN_FAILURES_LIMIT", "5 per 15 minutes")
        self.LOGIN_USER_FAILURES_LIMIT = env.get("LOGIN_USER_FAILURES_LIMIT", "20 per hour")
        # Behind a reverse proxy: how many proxies set X-Forwarded-For / -Proto (the audit log's client address).
        self.TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)
        # Briefs (季度安全生产会议通报): the park's name in titles; made at BRIEF_TIME on a quarter's first day.
        self.PARK_NAME = env.get("PARK_NAME", "")
        self.BRIEF_TIME = env.get("BRIEF_TIME", "06:00")
        self.BRIEF_URL_TTL_SECONDS = _int("BRIEF_URL_TTL_SECONDS", 3600)


def as_mapping(config: Config) -> dict:
    return {k: v for k, v in vars(config).items() if k.isupper()}
