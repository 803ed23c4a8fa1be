"""A built dataset for the statistics tests, and the figures it should give, computed here in Python.

The reference below is written from SPEC.md's definitions, row by row, independently of the SQL in
server/stats: if both agree on a few hundred varied hazards (and the edge cases), the SQL is right.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from server.enterprises.service import create_enterprise
from server.extensions import db
from server.hazards.models import Hazard
from server.inspections.models import Inspection

PARK = ZoneInfo("Asia/Shanghai")
CATEGORIES = ["fire", "electrical", "hazchem", "special_equipment", "management", "dust"]
KINDS = ["routine", "special", "resumption", "joint"]
EXTRA_CODES = ["91330100716105852F", "9144030071526726XG", "91110000802100433B", "91310000132149237G"]


def park(*args) -> datetime:
    """A park-time moment as an aware UTC datetime."""
    return datetime(*args, tzinfo=PARK).astimezone(UTC)


@dataclass
class Row:
    found_at: datetime
    closed_at: datetime | None
    deadline: datetime
    level: str
    category: str
    enterprise_id: int
    grid_id: int
    kind: str


@dataclass
class InspectionRow:
    started_at: datetime
    enterprise_id: int
    grid_id: int
    kind: str


@dataclass
class Dataset:
    hazards: list[Row]
    inspections: list[InspectionRow]
    edge: dict  # name → Row


def build(world, seed: int = 7, n: int = 240) -> Dataset:
    """Four enterprises in two grids; n random hazards over 2025–2026 plus named edge cases."""
    rnd = random.Random(seed)
    enterprises = list(world.enterprises)
    for i, grid in enumerate(world.grids):
        enterprises.append(
            create_enterprise({"name": f"统计测试企业{i + 1}号", "credit_code": EXTRA_CODES[2 + i], "grid_id": grid.id})
        )
    db.session.flush()
    inspector, office = world.users["insp_a"], world.users["office"]
    data = Dataset([], [], {})

    def inspection(enterprise, started_at, kind):
        record = Inspection(
            client_uuid=str(uuid.uuid4()),
            request_hash="0" * 64,
            enterprise_id=enterprise.id,
            grid_id=enterprise.grid_id,
            inspector_id=inspector.id,
            kind=kind,
            started_at=started_at,
            received_at=started_at,
        )
        db.session.add(record)
        db.session.flush()
        data.inspections.append(InspectionRow(started_at, enterprise.id, enterprise.grid_id, kind))
        return record

    def hazard(enterprise, found_at, deadline, closed_at=None, level="general", category="fire", kind="routine",
               original_deadline=None, name=None):  # fmt: skip
        source = "self_check" if kind == "self_check" else "inspection"
        record = None if source == "self_check" else inspection(enterprise, found_at - timedelta(minutes=20), kind)
        db.session.add(
            Hazard(
                client_uuid=str(uuid.uuid4()),
                request_hash="0" * 64,
                enterprise_id=enterprise.id,
                grid_id=enterprise.grid_id,
                inspection_id=record.id if record else None,
                source=source,
                description="统计测试隐患",
                category=category,
                level=level,
                status="closed" if closed_at else "registered",
                found_at=found_at,
                found_by_id=inspector.id,
                deadline=deadline,
                original_deadline=original_deadline or deadline,
                closed_at=closed_at,
                closed_by_id=office.id if closed_at else None,
                received_at=found_at,
            )
        )
        row = Row(found_at, closed_at, deadline, level, category, enterprise.id, enterprise.grid_id, kind)
        data.hazards.append(row)
        if name:
            data.edge[name] = row

    start = park(2025, 1, 1)
    span = (park(2026, 11, 20) - start).total_seconds()
    for _ in range(n):
        found = start + timedelta(seconds=rnd.uniform(0, span))
        deadline = found + timedelta(days=rnd.choice([3, 7, 7, 15, 30]))
        extended = rnd.random() < 0.15
        closed = found + timedelta(days=rnd.uniform(0.1, 40)) if rnd.random() < 0.8 else None
        if closed and closed > park(2026, 11, 21):
            closed = None
        hazard(
            rnd.choice(enterprises),
            found,
            deadline + (timedelta(days=10) if extended else timedelta()),
            closed,
            level="major" if rnd.random() < 0.1 else "general",
            category=rnd.choice(CATEGORIES),
            kind=rnd.choice(KINDS + ["self_check"]),
            original_deadline=deadline if extended else None,
        )
    # Edge cases around the end of 2026Q3 (park time is UTC+8).
    e0, e1 = enterprises[0], enterprises[1]
    hazard(e0, park(2026, 9, 30, 23, 30), park(2026, 10, 7, 23, 59, 59), park(2026, 10, 5, 10), name="q3_last_night")
    hazard(e1, park(2026, 10, 1, 0, 30), park(2026, 10, 8, 23, 59, 59), name="q4_first_minutes", category="electrical")
    hazard(
        e0,
        park(2026, 8, 1, 9),
        park(2026, 8, 20, 23, 59, 59),
        park(2026, 8, 15, 16),
        original_deadline=park(2026, 8, 8, 23, 59, 59),
        name="extended_on_time",
    )
    hazard(e1, park(2026, 8, 2, 9), park(2026, 8, 9, 23, 59, 59), park(2026, 8, 25, 16), name="late", level="major")
    hazard(e0, park(2026, 9, 10, 9), park(2026, 9, 17, 23, 59, 59), name="open_overdue", category="hazchem")
    db.session.commit()
    return data


GROUP_KEYS = {
    "enterprise": lambda r, at: r.enterprise_id,
    "grid": lambda r, at: r.grid_id,
    "category": lambda r, at: getattr(r, "category", None),
    "level": lambda r, at: getattr(r, "level", None),
    "kind": lambda r, at: r.kind,
    "month": lambda r, at: at.astimezone(PARK).strftime("%Y-%m"),
    None: lambda r, at: None,
}


def expected(data: Dataset, start: datetime | None, end: datetime | None, as_of: datetime, group_by=None) -> dict:
    """{key: figures} straight from SPEC.md's definitions; key None holds the totals."""
    key = GROUP_KEYS[group_by]
    groups: dict = defaultdict(lambda: defaultdict(int))
    totals: dict = defaultdict(int)

    def in_period(at):
        return at is not None and at <= as_of and (start is None or at >= start) and (end is None or at < end)

    for h in data.hazards:
        closed_by_then = h.closed_at is not None and h.closed_at <= as_of
        if in_period(h.found_at):
            counts = {
                "found": 1,
                "rectified": int(closed_by_then),
                "rectified_on_time": int(closed_by_then and h.closed_at <= h.deadline),
                "open": int(not closed_by_then),
                "overdue": int(not closed_by_then and h.deadline < as_of),
                "major_found": int(h.level == "major"),
                "major_open": int(h.level == "major" and not closed_by_then),
            }
            for name, value in counts.items():
                groups[key(h, h.found_at)][name] += value
                totals[name] += value
        if in_period(h.closed_at):
            groups[key(h, h.closed_at)]["closed"] += 1
            totals["closed"] += 1
    for i in data.inspections:
        if in_period(i.started_at):
            totals["inspections"] += 1
            if group_by not in ("category", "level"):
                groups[key(i, i.started_at)]["inspections"] += 1
    out = {k: finish(v) for k, v in groups.items()}
    out[None] = finish(totals)
    return out


def finish(counts) -> dict:
    figures = {
        name: counts.get(name, 0)
        for name in (
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
    }
    found = figures["found"]
    figures["rectification_rate"] = figures["rectified"] / found if found else None
    figures["on_time_rate"] = figures["rectified_on_time"] / found if found else None
    return figures
