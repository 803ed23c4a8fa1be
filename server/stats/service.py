"""Statistics (统计): the exact definitions of SPEC.md, computed in SQL (GROUP BY).

The API, the hazard ledger's totals sheet and the briefs all call `summary`, so their figures agree
to the unit. For a period P = [start, end) in park time, as of the instant T (never later than now):

- found: found_at in P (and not after T)            - closed: closed_at in P (and not after T)
- rectified: found in P and closed by T             - rectified_on_time: ... and closed_at <= deadline
- open: found − rectified                           - overdue: open and the (latest) deadline before T
- major_found / major_open: the same for level major
- rectification_rate = rectified / found, on_time_rate = rectified_on_time / found; None when found = 0
- inspections: started_at in P (and not after T)

Three set-based queries per call (found-based, closed-based, inspections), each grouped by the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from server.auth import enterprise_scope
from server.codes import HAZARD_CATEGORIES, HAZARD_LEVELS, INSPECTION_KINDS, label
from server.errors import invalid_field
from server.extensions import db
from server.hazards.models import Hazard
from server.hazards.service import hazard_conditions
from server.inspections.models import Inspection
from server.timeutil import park_day_start, to_park, to_utc, utcnow

GROUPS = ("enterprise", "grid", "category", "level", "kind", "month")
COUNTS = (
    "inspections",
    "found",
    "closed",
    "open",
    "overdue",
    "major_found",
    "major_open",
    "rectified",
    "rectified_on_time",
)
# The found-based query's columns, in order.
FOUND_COUNTS = ("found", "rectified", "rectified_on_time", "overdue", "major_found", "major_open")
# Filters that restrict hazards; inspections follow only enterprise, grid and kind.
HAZARD_FILTERS = ("enterprise_id", "grid_id", "category", "level", "source", "q")
QUARTER = re.compile(r"^(20\d\d|2100)Q([1-4])$")  # years as in schemas.common.YEARS


@dataclass(frozen=True)
class Period:
    """[start, end) as UTC instants (start None: from the first record; end None: up to as_of)."""

    start: datetime | None
    end: datetime | None
    as_of: datetime

    @property
    def effective_end(self) -> datetime:
        return self.as_of if self.end is None else min(self.end, self.as_of + timedelta(microseconds=1))


# -- periods --------------------------------------------------------------------------------------


def quarter_bounds(quarter: str) -> tuple[datetime, datetime]:
    """'2026Q3' → the UTC instants at which that park-calendar quarter starts and ends."""
    match = QUARTER.match(quarter)
    if not match:
        raise ValueError(quarter)
    year, q = int(match.group(1)), int(match.group(2))
    first = date(year, 3 * q - 2, 1)
    after = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return park_day_start(first), park_day_start(after)


def quarter_of(instant: datetime) -> str:
    local = to_park(instant)
    return f"{local.year}Q{(local.month - 1) // 3 + 1}"


def previous_quarter(quarter: str) -> str:
    year, q = int(quarter[:4]), int(quarter[5])
    return f"{year - 1}Q4" if q == 1 else f"{year}Q{q - 1}"


def quarter_label(quarter: str, lang: str = "zh") -> str:
    year, q = quarter[:4], quarter[5]
    if lang == "en":
        return f"{year} Q{q}"
    return f"{year}年第{'一二三四'[int(q) - 1]}季度"


def resolve_period(args: dict, now: datetime | None = None) -> Period:
    """The period of a request: `quarter`, or `from`/`to` (a bare date `to` is the end of that day)."""
    now = now or utcnow()
    as_of = min(to_utc(args["as_of"]), now) if args.get("as_of") else now
    if args.get("quarter"):
        if args.get("from") or args.get("to"):
            raise invalid_field("quarter", "stats_quarter_or_dates")
        start, end = quarter_bounds(args["quarter"])
        return Period(start, end, as_of)
    start = _bound(args.get("from"), end=False)
    end = _bound(args.get("to"), end=True)
    if start is not None and end is not None and end <= start:
        raise invalid_field("to", "stats_to_before_from")
    return Period(start, end, as_of)


def _bound(value, end: bool) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return to_utc(value)
    return park_day_start(value + timedelta(days=1) if end else value)


def month_starts(start: datetime, end: datetime) -> list[tuple[str, datetime]]:
    """('2026-07', UTC start of that park month) for every park month meeting [start, end)."""
    local = to_park(start)
    year, month = local.year, local.month
    out = []
    while True:
        begin = park_day_start(date(year, month, 1))
        if begin >= end:
            return out
        out.append((f"{year:04d}-{month:02d}", begin))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def month_label(key: str, lang: str = "zh") -> str:
    year, month = int(key[:4]), int(key[5:])
    return date(year, month, 1).strftime("%b %Y") if lang == "en" else f"{year}年{month}月"


# -- the summary ----------------------------------------------------------------------------------


def rates(figures: dict) -> dict:
    """Add open and both rates to counts that carry found, rectified and rectified_on_time."""
    found = figures["found"]
    figures["open"] = found - figures["rectified"]
    figures["rectification_rate"] = figures["rectified"] / found if found else None
    figures["on_time_rate"] = figures["rectified_on_time"] / found if found else None
    return figures


def summary(user, period: Period, filters: dict | None = None, group_by: str | None = None, lang: str = "zh") -> dict:
    """Totals and groups for `period`, scoped to `user` (None: the whole park)."""
    filters = filters or {}
    hazard_where = hazard_conditions(user, {k: filters.get(k) for k in HAZARD_FILTERS})
    inspection_where = [] if user is None else [enterprise_scope(user, Inspection.enterprise_id)]
    for name in ("enterprise_id", "grid_id", "kind"):
        if filters.get(name) is not None:
            inspection_where.append(getattr(Inspection, name) == filters[name])
    needs_kind = group_by == "kind" or filters.get("kind") is not None
    if filters.get("kind") is not None:
        hazard_where.append(_hazard_kind() == filters["kind"])

    months = _months(period, hazard_where, inspection_where, needs_kind) if group_by == "month" else None
    rows: dict = {}

    def slot(key):
        return rows.setdefault(key, dict.fromkeys(COUNTS, 0))

    until = period.effective_end
    found_key = _key(group_by, Hazard, Hazard.found_at, months)
    found_in = [Hazard.found_at < until, *([Hazard.found_at >= period.start] if period.start else [])]
    closed_by = sa.and_(Hazard.closed_at.is_not(None), Hazard.closed_at <= period.as_of)
    still_open = sa.not_(closed_by)
    major = Hazard.level == "major"
    stmt = sa.select(
        found_key.label("key"),
        sa.func.count().label("found"),
        sa.func.count().filter(closed_by).label("rectified"),
        sa.func.count().filter(closed_by, Hazard.closed_at <= Hazard.deadline).label("rectified_on_time"),
        sa.func.count().filter(still_open, Hazard.deadline < period.as_of).label("overdue"),
        sa.func.count().filter(major).label("major_found"),
        sa.func.count().filter(major, still_open).label("major_open"),
    ).where(*found_in, *hazard_where)
    for key, *values in db.session.execute(_join_kind(stmt, needs_kind).group_by(*_by(group_by, found_key))):
        slot(key).update(zip(FOUND_COUNTS, values, strict=True))

    closed_key = _key(group_by, Hazard, Hazard.closed_at, months)
    closed_in = [Hazard.closed_at < until, *([Hazard.closed_at >= period.start] if period.start else [])]
    stmt = sa.select(closed_key.label("key"), sa.func.count()).where(*closed_in, *hazard_where)
    for key, n in db.session.execute(_join_kind(stmt, needs_kind).group_by(*_by(group_by, closed_key))):
        slot(key)["closed"] = n

    inspection_key = _key(group_by, Inspection, Inspection.started_at, months)
    inspections_counted = inspection_key is not None
    if inspections_counted:
        started_in = [Inspection.started_at < until]
        if period.start:
            started_in.append(Inspection.started_at >= period.start)
        stmt = sa.select(inspection_key.label("key"), sa.func.count()).where(*started_in, *inspection_where)
        for key, n in db.session.execute(stmt.group_by(*_by(group_by, inspection_key))):
            slot(key)["inspections"] = n

    totals = dict.fromkeys(COUNTS, 0)
    for counts in rows.values():
        for name in COUNTS:
            totals[name] += counts[name]
    if not inspections_counted:
        # Inspections have no category or level: the total is counted on its own, groups carry null.
        stmt = sa.select(sa.func.count()).where(
            Inspection.started_at < until,
            *([Inspection.started_at >= period.start] if period.start else []),
            *inspection_where,
        )
        totals["inspections"] = db.session.execute(stmt).scalar_one()
    groups = []
    if group_by:
        if months is not None:
            for key, _ in months:
                slot(key)
        labels = _labels(group_by, list(rows), lang)
        for key in _ordered(group_by, rows):
            counts = rows[key]
            if not inspections_counted:
                counts["inspections"] = None
            groups.append({"key": key, "label": labels.get(key, str(key)), **rates(counts)})
    return {
        "from": period.start,
        "to": period.end,
        "as_of": period.as_of,
        "group_by": group_by,
        "totals": rates(totals),
        "groups": groups,
    }


def _by(group_by: str | None, key) -> list:
    return [key] if group_by else []


def _hazard_kind():
    """A hazard's inspection kind; self-reported hazards count as self_check."""
    return sa.case((Hazard.source == "self_check", "self_check"), else_=Inspection.kind)


def _join_kind(stmt: sa.Select, needed: bool) -> sa.Select:
    return stmt.select_from(Hazard).outerjoin(Inspection, Inspection.id == Hazard.inspection_id) if needed else stmt


def _key(group_by: str | None, model, instant_column, months):
    """The grouping expression for `model` (None when the model has no such attribute)."""
    if group_by is None:
        return sa.null()
    if group_by == "month":
        whens = [(instant_column < begin, key) for (key, _), (_, begin) in zip(months, months[1:], strict=False)]
        return sa.case(*whens, else_=months[-1][0]) if whens else sa.literal(months[-1][0])
    if group_by == "kind":
        return _hazard_kind() if model is Hazard else Inspection.kind
    if group_by in ("category", "level"):
        return getattr(Hazard, group_by) if model is Hazard else None
    return getattr(model, f"{group_by}_id")


def _months(period: Period, hazard_where, inspection_where, needs_kind: bool) -> list[tuple[str, datetime]]:
    start = period.start
    if start is None:
        firsts = [
            db.session.execute(
                _join_kind(sa.select(sa.func.min(Hazard.found_at)), needs_kind).where(*hazard_where)
            ).scalar(),
            db.session.execute(
                _join_kind(sa.select(sa.func.min(Hazard.closed_at)), needs_kind).where(*hazard_where)
            ).scalar(),
            db.session.execute(sa.select(sa.func.min(Inspection.started_at)).where(*inspection_where)).scalar(),
        ]
        start = min((f for f in firsts if f is not None), default=period.as_of)
    return month_starts(start, max(period.effective_end, start + timedelta(microseconds=1)))


def _ordered(group_by: str, rows: dict) -> list:
    order = {"category": list(HAZARD_CATEGORIES), "level": list(HAZARD_LEVELS), "kind": list(INSPECTION_KINDS)}
    if group_by in order:
        return sorted(rows, key=lambda k: order[group_by].index(k) if k in order[group_by] else 99)
    return sorted(rows, key=lambda k: (k is None, k))


def _labels(group_by: str, keys: list, lang: str) -> dict:
    from server.accounts.models import Grid
    from server.enterprises.models import Enterprise

    if group_by in ("enterprise", "grid"):
        model = Enterprise if group_by == "enterprise" else Grid
        # All names (a park's enterprises are a few thousand rows): cheaper than a long IN list.
        return dict(db.session.execute(sa.select(model.id, model.name)).all())
    if group_by == "month":
        return {k: month_label(k, lang) for k in keys}
    codes = {"category": HAZARD_CATEGORIES, "level": HAZARD_LEVELS, "kind": INSPECTION_KINDS}[group_by]
    return {k: label(codes, k, lang) for k in keys if k in codes}
