"""Time helpers: store UTC, compute in park time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app


def utcnow() -> datetime:
    return datetime.now(UTC)


def park_tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["PARK_TIMEZONE"])


def to_utc(value: datetime) -> datetime:
    """An aware datetime in UTC; a naive one is read as park time (API.md, times)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=park_tz())
    return value.astimezone(UTC)


def to_park(value: datetime) -> datetime:
    return to_utc(value).astimezone(park_tz())


def park_day_start(day: date) -> datetime:
    """The UTC instant at which a park calendar day starts."""
    return datetime.combine(day, time.min, tzinfo=park_tz()).astimezone(UTC)


def days_late(deadline: datetime, now: datetime) -> int:
    """Park-calendar days from the deadline to `now`, at least 1 (call only when now > deadline)."""
    tz = park_tz()
    return max(1, (now.astimezone(tz).date() - deadline.astimezone(tz).date()).days)
