"""The hazard ledger (隐患台账) as .xlsx: one row per hazard, and a totals sheet from the statistics code.

Written with openpyxl's write-only workbook from a streamed query (rows fetched in batches, server-side
cursor on PostgreSQL), so memory stays flat whatever the number of rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import IO

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from sqlalchemy.orm import aliased

from server.accounts.models import Grid, User
from server.codes import HAZARD_CATEGORIES, HAZARD_LEVELS, HAZARD_SOURCES, HAZARD_STATUSES, label
from server.enterprises.models import Enterprise
from server.extensions import db
from server.hazards.models import Hazard, Rectification
from server.hazards.service import hazard_conditions
from server.stats import service as stats
from server.timeutil import days_late, to_park, to_utc, utcnow

BATCH = 2000

# (zh, en, width) for each column of the ledger sheet
COLUMNS = [
    ("序号", "No.", 7),
    ("隐患编号", "Hazard ID", 10),
    ("企业名称", "Enterprise", 30),
    ("所属网格", "Grid", 12),
    ("隐患部位", "Location", 18),
    ("隐患描述", "Description", 40),
    ("隐患类别", "Category", 12),
    ("隐患等级", "Level", 8),
    ("来源", "Source", 10),
    ("发现日期", "Found", 12),
    ("发现人", "Found by", 10),
    ("整改期限", "Deadline", 12),
    ("整改责任人", "Responsible person", 12),
    ("状态", "Status", 10),
    ("整改完成日期", "Rectified on", 13),
    ("验收人", "Verified by", 10),
    ("销号日期", "Closed on", 12),
    ("逾期天数", "Days overdue", 10),
]

TOTALS = [
    ("inspections", "检查次数", "Inspections"),
    ("found", "发现隐患（项）", "Hazards found"),
    ("closed", "期内销号（项）", "Closed in the period"),
    ("rectified", "已整改销号（项）", "Found and closed"),
    ("rectified_on_time", "按期整改（项）", "Closed on time"),
    ("open", "未整改（项）", "Open"),
    ("overdue", "逾期未整改（项）", "Overdue"),
    ("major_found", "重大隐患（项）", "Major found"),
    ("major_open", "重大隐患未整改（项）", "Major open"),
    ("rectification_rate", "整改率", "Rectification rate"),
    ("on_time_rate", "按期整改率", "On-time rate"),
]

# The list's filters that the statistics also know; status and overdue only select ledger rows.
STATS_FILTERS = ("enterprise_id", "grid_id", "category", "level", "source", "q")


def write_ledger(user, args: dict, out: IO[bytes], lang: str = "zh", now: datetime | None = None) -> int:
    """Write the ledger of the hazards `user` may see, filtered by `args`, to `out`; return the row count."""
    now = now or utcnow()
    book = Workbook(write_only=True)
    sheet = book.create_sheet("隐患台账" if lang == "zh" else "Hazard ledger")
    for index, (_, _, width) in enumerate(COLUMNS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for zh, en, _ in COLUMNS:
        cell = WriteOnlyCell(sheet, value=en if lang == "en" else zh)
        cell.font = bold
        header.append(cell)
    sheet.append(header)

    verifier = aliased(User)
    finder = aliased(User)
    rectified_on = (
        sa.select(sa.func.max(Rectification.completed_at)).where(Rectification.hazard_id == Hazard.id).scalar_subquery()
    )
    stmt = (
        sa.select(
            Hazard.id,
            Enterprise.name,
            Grid.name,
            Hazard.location,
            Hazard.description,
            Hazard.category,
            Hazard.level,
            Hazard.source,
            Hazard.found_at,
            sa.func.coalesce(finder.display_name, finder.username),
            Hazard.deadline,
            Hazard.responsible_person,
            Hazard.status,
            rectified_on,
            sa.func.coalesce(verifier.display_name, verifier.username),
            Hazard.closed_at,
        )
        .join(Enterprise, Enterprise.id == Hazard.enterprise_id)
        .join(Grid, Grid.id == Hazard.grid_id)
        .join(finder, finder.id == Hazard.found_by_id)
        .outerjoin(verifier, verifier.id == Hazard.closed_by_id)
        .where(*hazard_conditions(user, args, now))
        .order_by(Hazard.found_at, Hazard.id)
    )
    rows = 0
    result = db.session.execute(stmt.execution_options(yield_per=BATCH))
    for (hazard_id, enterprise, grid, location, description, category, level, source, found_at, found_by,
         deadline, responsible, status, rectified_at, verified_by, closed_at) in result:  # fmt: skip
        rows += 1
        late_at = closed_at or now
        sheet.append(
            [
                rows,
                hazard_id,
                enterprise,
                grid,
                location,
                description,
                label(HAZARD_CATEGORIES, category, lang),
                label(HAZARD_LEVELS, level, lang),
                label(HAZARD_SOURCES, source, lang),
                to_park(found_at).date(),
                found_by,
                to_park(deadline).date(),
                responsible,
                label(HAZARD_STATUSES, status, lang),
                to_park(rectified_at).date() if rectified_at else None,
                verified_by,
                to_park(closed_at).date() if closed_at else None,
                days_late(deadline, late_at) if late_at > deadline else None,
            ]
        )
    _totals_sheet(book, user, args, lang, now, rows)
    book.save(out)
    return rows


def ledger_summary(user, args: dict, now: datetime) -> dict:
    """The figures of the totals sheet: the statistics of the same hazards, by grid, as of `now`."""
    start, end = (to_utc(args[name]) if args.get(name) else None for name in ("found_from", "found_to"))
    period = stats.Period(start, end, now)
    filters = {name: args[name] for name in STATS_FILTERS if args.get(name) is not None}
    return stats.summary(user, period, filters, group_by="grid")


def _totals_sheet(book, user, args: dict, lang: str, now: datetime, rows: int) -> None:
    zh = lang != "en"
    figures = ledger_summary(user, args, now)
    sheet = book.create_sheet("汇总" if zh else "Totals")
    sheet.column_dimensions["A"].width = 22
    for column in "BCDEFGHIJKLM":
        sheet.column_dimensions[column].width = 14
    bold = Font(bold=True)

    def text(value, strong=False):
        cell = WriteOnlyCell(sheet, value=value)
        if strong:
            cell.font = bold
        cell.alignment = Alignment(wrap_text=False)
        return cell

    def fmt(when):
        return to_park(when).strftime("%Y-%m-%d %H:%M") if when else ("不限" if zh else "any")

    sheet.append([text("隐患台账汇总" if zh else "Hazard ledger totals", True)])
    sheet.append([text("发现时间自" if zh else "Found from"), fmt(figures["from"])])
    sheet.append([text("发现时间至（不含）" if zh else "Found before"), fmt(figures["to"])])
    sheet.append([text("统计截至" if zh else "As of"), fmt(figures["as_of"])])
    sheet.append([text("明细行数" if zh else "Ledger rows"), rows])
    if args.get("status") is not None or args.get("overdue") is not None:
        sheet.append([text("注：状态/逾期筛选只作用于明细，汇总为同一范围内全部隐患。" if zh else
                           "Note: the status/overdue filters select ledger rows only; totals cover all.")])  # fmt: skip
    sheet.append([])
    groups = figures["groups"]
    sheet.append([text("指标" if zh else "Figure", True), text("合计" if zh else "Total", True)]
                 + [text(g["label"], True) for g in groups])  # fmt: skip
    for key, zh_name, en_name in TOTALS:
        values = [figures["totals"][key]] + [g[key] for g in groups]
        sheet.append([text(zh_name if zh else en_name)] + [_number(sheet, key, v) for v in values])


def _number(sheet, key: str, value):
    if value is None:
        return "—"
    cell = WriteOnlyCell(sheet, value=value)
    if key.endswith("_rate"):
        cell.number_format = "0.0%"
    return cell
