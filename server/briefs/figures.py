"""The figures of a brief: every number it prints, from the statistics code (so they agree with the API).

Stored as JSON with the brief and returned by the API; the document is rendered from this dict alone.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from server.codes import HAZARD_LEVELS, HAZARD_STATUSES, RECORD_KINDS, REMINDER_STAGES, label
from server.enterprises.models import Enterprise
from server.extensions import db
from server.hazards.models import Hazard
from server.inspections.models import Inspection
from server.records.service import record_counts
from server.reminders.service import stage_due
from server.stats import service as stats
from server.timeutil import days_late, park_day_start, to_park

TOP_ENTERPRISES = 10
REPEAT_THRESHOLD = 3
REPEAT_LISTED = 20
OVERDUE_ROWS = 50


def _iso(instant: datetime | None) -> str | None:
    return to_park(instant).isoformat() if instant else None


def period_label(start: datetime, end: datetime, quarter: str | None, lang: str) -> str:
    if quarter:
        return stats.quarter_label(quarter, lang)
    first, last = to_park(start).date(), to_park(end - timedelta(microseconds=1)).date()
    if lang == "en":
        return f"{first:%d %b %Y} – {last:%d %b %Y}"
    return f"{first.year}年{first.month}月{first.day}日至{last.year}年{last.month}月{last.day}日"


def comparison_periods(start: datetime, end: datetime, quarter: str | None, lang: str) -> dict:
    """The previous period (previous quarter, or the same length just before) and the same one a year before."""
    if quarter:
        previous, last_year = stats.previous_quarter(quarter), f"{int(quarter[:4]) - 1}{quarter[4:]}"
        return {
            "previous": (*stats.quarter_bounds(previous), previous),
            "last_year": (*stats.quarter_bounds(last_year), last_year),
        }
    length = end - start
    first, after = to_park(start).date(), to_park(end).date()
    return {
        "previous": (start - length, start, None),
        "last_year": (park_day_start(_year_before(first)), park_day_start(_year_before(after)), None),
    }


def _year_before(day: date) -> date:
    return day.replace(year=day.year - 1) if not (day.month == 2 and day.day == 29) else date(day.year - 1, 2, 28)


def compute(start: datetime, end: datetime, as_of: datetime, quarter: str | None, lang: str = "zh") -> dict:
    """All the figures of the brief for [start, end) as of `as_of`, for the whole park."""
    period = stats.Period(start, end, as_of)

    def summary(group_by=None, p=period):
        return stats.summary(None, p, group_by=group_by, lang=lang)

    main = summary()
    comparisons = {}
    for name, (c_start, c_end, c_quarter) in comparison_periods(start, end, quarter, lang).items():
        comparisons[name] = {
            "label": period_label(c_start, c_end, c_quarter, lang),
            "from": _iso(c_start),
            "to": _iso(c_end),
            "totals": summary(p=stats.Period(c_start, min(c_end, as_of), as_of))["totals"],
        }
    # Categories that grew are named in the findings: the previous period by category too.
    previous_start, previous_end, _ = comparison_periods(start, end, quarter, lang)["previous"]
    comparisons["previous"]["by_category"] = summary("category", stats.Period(previous_start, previous_end, as_of))[
        "groups"
    ]
    by_enterprise = summary("enterprise")["groups"]
    top = sorted((g for g in by_enterprise if g["found"]), key=lambda g: (-g["open"], -g["found"], g["label"]))[
        :TOP_ENTERPRISES
    ]
    repeat = sorted(
        ({"key": g["key"], "label": g["label"], "found": g["found"]} for g in by_enterprise
         if g["found"] >= REPEAT_THRESHOLD),
        key=lambda g: (-g["found"], g["label"]),
    )  # fmt: skip
    records = record_counts(start, end)
    for kind, counts in records.items():
        counts["label"] = label(RECORD_KINDS, kind, lang)
    return {
        "language": lang,
        "park_name": current_app.config.get("PARK_NAME", ""),
        "period": {
            "label": period_label(start, end, quarter, lang),
            "quarter": quarter,
            "from": _iso(start),
            "to": _iso(end),
            "as_of": _iso(as_of),
        },
        "totals": main["totals"],
        **comparisons,
        "inspections_by_kind": [
            {"key": g["key"], "label": g["label"], "inspections": g["inspections"]}
            for g in summary("kind")["groups"]
            if g["inspections"]
        ],
        "enterprises_inspected": _enterprises_inspected(period),
        "enterprises_total": db.session.execute(sa.select(sa.func.count(Enterprise.id))).scalar_one(),
        "by_category": summary("category")["groups"],
        "by_grid": summary("grid")["groups"],
        "top_enterprises": top,
        "repeat_enterprises": repeat[:REPEAT_LISTED],
        "repeat_enterprises_count": len(repeat),
        "by_month": summary("month")["groups"],
        "overdue_major": _overdue_and_major(period, lang),
        "records": records,
        "accidents": records["accident"]["quantity"],
    }


def _enterprises_inspected(period: stats.Period) -> int:
    stmt = sa.select(sa.func.count(sa.distinct(Inspection.enterprise_id))).where(
        Inspection.started_at >= period.start, Inspection.started_at < period.effective_end
    )
    return db.session.execute(stmt).scalar_one()


def _overdue_and_major(period: stats.Period, lang: str) -> list[dict]:
    """Hazards found in the period that are overdue as of as_of, and its major hazards; most overdue first."""
    as_of = period.as_of
    closed_by = sa.and_(Hazard.closed_at.is_not(None), Hazard.closed_at <= as_of)
    overdue = sa.and_(sa.not_(closed_by), Hazard.deadline < as_of)
    stmt = (
        sa.select(Hazard, Enterprise.name)
        .join(Enterprise, Enterprise.id == Hazard.enterprise_id)
        .where(
            Hazard.found_at >= period.start,
            Hazard.found_at < period.effective_end,
            sa.or_(overdue, Hazard.level == "major"),
        )
        .order_by(Hazard.deadline, Hazard.id)
        .limit(OVERDUE_ROWS)
    )
    rows = []
    for hazard, enterprise in db.session.execute(stmt):
        closed = hazard.closed_at is not None and hazard.closed_at <= as_of
        status = "closed" if closed else ("registered" if hazard.status == "closed" else hazard.status)
        late = not closed and hazard.deadline < as_of
        stage = None if closed else stage_due(status, hazard.level, hazard.deadline, as_of)
        rows.append(
            {
                "hazard_id": hazard.id,
                "enterprise": enterprise,
                "description": hazard.description,
                "location": hazard.location,
                "level": hazard.level,
                "level_label": label(HAZARD_LEVELS, hazard.level, lang),
                "deadline": to_park(hazard.deadline).date().isoformat(),
                "days_overdue": days_late(hazard.deadline, as_of) if late else None,
                "status": status,
                "status_label": label(HAZARD_STATUSES, status, lang),
                "stage": stage if stage != "due_soon" else None,
                "stage_label": label(REMINDER_STAGES, stage, lang) if stage and stage != "due_soon" else None,
            }
        )
    rows.sort(key=lambda r: (-(r["days_overdue"] or 0), r["deadline"], r["hazard_id"]))
    return rows
