"""Benchmark: GET /api/v1/stats/summary on the bench database (1,000,000 hazards over five years).

Times, through the Flask test client of an app on that database and with an office token, N runs (after
warm-ups) of the summary for a quarter, for a year, and for a year grouped by enterprise, and in the same run
the floor: ONE hand-written SQL statement (psycopg) returning the same totals (grouped by enterprise_id for
the grouped case). It checks that the API's figures equal the floor's exactly (OK / MISMATCH), and prints the
median and p95 of each, the ratio to the floor and, when a target is missed (or with --explain), where the
time goes: the time spent in SQL and EXPLAIN (ANALYZE, BUFFERS) of every statement the endpoint ran.

Then the hazard ledger (GET /api/v1/hazards/export.xlsx) of the ~100,000 hazards found in the first half of
2025, each run in a fresh process (wall time, peak RSS growth, file size; the file is opened again and its rows
and its totals sheet's count checked), against a naive baseline in the same conditions: one ORM query .all()
and a normal-mode openpyxl workbook. And the 2025Q3 brief: service.generate() of a new brief per run (status,
PDF pages), then its parts timed one by one: figures.compute (SQL), the findings, render_docx, render_pdf.

    python bench/stats_summary.py [--runs 15] [--warmups 2] [--database-url URL] [--build [--hazards N]] [--explain]
                                  [--only summary,ledger,brief] [--ledger-runs 3] [--brief-runs 3]

The bench database is made by bench/stats_data.py (or here with --build; made too when it does not exist).
Targets: p95 < 200 ms and median <= 2x the floor for each summary; the ledger is written in streaming mode
so that 100,000 rows stay within modest memory (figures printed, no hard threshold).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import sqlalchemy as sa
from psycopg.rows import dict_row

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import stats_data  # noqa: E402 - bench/ is on sys.path when this file runs

P95_TARGET_MS = 200.0
RATIO_TARGET = 2.0
COUNTS = ("inspections", "found", "closed", "open", "overdue", "major_found", "major_open", "rectified",
          "rectified_on_time")  # fmt: skip
FIGURES = (*COUNTS, "rectification_rate", "on_time_rate")


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18] if len(values) > 1 else values[0]


def timed_runs(fn: Callable[[], object], runs: int, warmups: int) -> tuple[list[float], object]:
    """Milliseconds of each of `runs` calls after `warmups` untimed ones; and the last call's result."""
    result = None
    for _ in range(warmups):
        result = fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    return times, result


@dataclass
class Bench:
    """What every measurement needs: the app and its client, an office token, the database, the instant."""

    url: str
    app: object
    client: object
    headers: dict
    conn: psycopg.Connection
    tz: ZoneInfo
    as_of: datetime
    runs: int
    warmups: int
    explain: bool
    results: list[dict] = field(default_factory=list)
    pool: concurrent.futures.ProcessPoolExecutor | None = None  # fresh processes for the ledger export
    ledger_runs: int = 3
    brief_runs: int = 3

    def day_start(self, day: date) -> datetime:
        return datetime.combine(day, datetime.min.time(), tzinfo=self.tz).astimezone(UTC)


# -- the floor: one hand-written statement straight from SPEC.md's definitions ----------------------------------

FLOOR_TOTALS = """
SELECT (SELECT count(*) FROM inspections
         WHERE started_at >= %(start)s AND started_at < %(end)s AND started_at <= %(as_of)s) AS inspections,
       count(*) AS found,
       (SELECT count(*) FROM hazards
         WHERE closed_at >= %(start)s AND closed_at < %(end)s AND closed_at <= %(as_of)s) AS closed,
       count(*) FILTER (WHERE closed_at IS NULL OR closed_at > %(as_of)s) AS open,
       count(*) FILTER (WHERE (closed_at IS NULL OR closed_at > %(as_of)s) AND deadline < %(as_of)s) AS overdue,
       count(*) FILTER (WHERE level = 'major') AS major_found,
       count(*) FILTER (WHERE level = 'major' AND (closed_at IS NULL OR closed_at > %(as_of)s)) AS major_open,
       count(*) FILTER (WHERE closed_at <= %(as_of)s) AS rectified,
       count(*) FILTER (WHERE closed_at <= %(as_of)s AND closed_at <= deadline) AS rectified_on_time
  FROM hazards
 WHERE found_at >= %(start)s AND found_at < %(end)s AND found_at <= %(as_of)s
"""

FLOOR_BY_ENTERPRISE = """
WITH f AS (
    SELECT enterprise_id, count(*) AS found,
           count(*) FILTER (WHERE closed_at IS NULL OR closed_at > %(as_of)s) AS open,
           count(*) FILTER (WHERE (closed_at IS NULL OR closed_at > %(as_of)s) AND deadline < %(as_of)s) AS overdue,
           count(*) FILTER (WHERE level = 'major') AS major_found,
           count(*) FILTER (WHERE level = 'major' AND (closed_at IS NULL OR closed_at > %(as_of)s)) AS major_open,
           count(*) FILTER (WHERE closed_at <= %(as_of)s) AS rectified,
           count(*) FILTER (WHERE closed_at <= %(as_of)s AND closed_at <= deadline) AS rectified_on_time
      FROM hazards
     WHERE found_at >= %(start)s AND found_at < %(end)s AND found_at <= %(as_of)s
     GROUP BY enterprise_id
), c AS (
    SELECT enterprise_id, count(*) AS closed FROM hazards
     WHERE closed_at >= %(start)s AND closed_at < %(end)s AND closed_at <= %(as_of)s
     GROUP BY enterprise_id
), i AS (
    SELECT enterprise_id, count(*) AS inspections FROM inspections
     WHERE started_at >= %(start)s AND started_at < %(end)s AND started_at <= %(as_of)s
     GROUP BY enterprise_id
)
SELECT enterprise_id AS key, coalesce(i.inspections, 0) AS inspections, coalesce(f.found, 0) AS found,
       coalesce(c.closed, 0) AS closed, coalesce(f.open, 0) AS open, coalesce(f.overdue, 0) AS overdue,
       coalesce(f.major_found, 0) AS major_found, coalesce(f.major_open, 0) AS major_open,
       coalesce(f.rectified, 0) AS rectified, coalesce(f.rectified_on_time, 0) AS rectified_on_time
  FROM f FULL JOIN c USING (enterprise_id) FULL JOIN i USING (enterprise_id)
"""


def with_rates(counts: dict) -> dict:
    found = counts["found"]
    return {
        **counts,
        "rectification_rate": counts["rectified"] / found if found else None,
        "on_time_rate": counts["rectified_on_time"] / found if found else None,
    }


def floor_rows(b: Bench, sql: str, params: dict) -> list[dict]:
    with b.conn.cursor(row_factory=dict_row) as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def compare(api: dict, floor: dict, grouped: bool) -> list[str]:
    """The differences between the API's answer and the floor's figures (empty: they agree to the unit)."""
    diffs = [
        f"totals.{k}: api {api['totals'].get(k)!r} != floor {floor['totals'][k]!r}"
        for k in FIGURES
        if api["totals"].get(k) != floor["totals"][k]
    ]
    if grouped:
        groups = {g["key"]: g for g in api["groups"]}
        if set(groups) != set(floor["groups"]):
            diffs.append(f"group keys: {len(groups)} in the api, {len(floor['groups'])} in the floor")
        for key in sorted(set(groups) & set(floor["groups"])):
            diffs += [
                f"group {key}.{k}: api {groups[key].get(k)!r} != floor {floor['groups'][key][k]!r}"
                for k in FIGURES
                if groups[key].get(k) != floor["groups"][key][k]
            ]
    return diffs


# -- where the time goes ---------------------------------------------------------------------------------------


def api_statements(b: Bench, path: str, params: dict) -> tuple[list[tuple[str, object, float]], float]:
    """The SQL statements one request runs, with their times (ms), and the request's time (ms)."""
    from server.extensions import db

    statements, started = [], {}

    def before(conn, cursor, statement, parameters, context, executemany):
        started[id(cursor)] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        ms = (time.perf_counter() - started.pop(id(cursor))) * 1000
        statements.append((statement, parameters, ms))

    with b.app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    try:
        t = time.perf_counter()
        b.client.get(path, query_string=params, headers=b.headers)
        total = (time.perf_counter() - t) * 1000
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "after_cursor_execute", after)
    return statements, total


def explain(b: Bench, path: str, params: dict, floor_sql: str, floor_params: dict) -> None:
    from server.extensions import db

    statements, total = api_statements(b, path, params)
    in_sql = sum(ms for _, _, ms in statements)
    print(f"    one request: {total:.1f} ms, of which {in_sql:.1f} ms in {len(statements)} SQL statements")
    with b.app.app_context(), db.engine.connect() as conn:
        for statement, parameters, ms in statements:
            if not statement.lstrip().upper().startswith("SELECT") or not (
                "hazards" in statement or "inspections" in statement
            ):
                continue
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).scalars().all()
            print(f"    -- {ms:.1f} ms: {' '.join(statement.split())[:300]}")
            for line in plan:
                print(f"       {line}")
    plan = [r[0] for r in b.conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + floor_sql, floor_params).fetchall()]
    print("    -- the floor:")
    for line in plan:
        print(f"       {line}")


# -- measurements ----------------------------------------------------------------------------------------------


def measure_summary(b: Bench, name: str, params: dict, start: datetime, end: datetime, grouped: bool) -> dict:
    path = "/api/v1/stats/summary"
    query = {**params, "as_of": b.as_of.isoformat()}

    def call():
        r = b.client.get(path, query_string=query, headers=b.headers)
        if r.status_code != 200:
            raise SystemExit(f"{name}: HTTP {r.status_code} {r.get_data(as_text=True)[:500]}")
        return r

    api_ms, response = timed_runs(call, b.runs, b.warmups)
    api = response.get_json()
    floor_params = {"start": start, "end": end, "as_of": b.as_of}
    sql = FLOOR_BY_ENTERPRISE if grouped else FLOOR_TOTALS
    floor_ms, rows = timed_runs(lambda: floor_rows(b, sql, floor_params), b.runs, b.warmups)
    if grouped:
        groups = {row.pop("key"): with_rates(row) for row in rows}
        totals = with_rates({k: sum(g[k] for g in groups.values()) for k in COUNTS})
        floor = {"totals": totals, "groups": groups}
    else:
        floor = {"totals": with_rates(rows[0])}
    diffs = compare(api, floor, grouped)
    result = {
        "name": name,
        "api_median": statistics.median(api_ms),
        "api_p95": p95(api_ms),
        "floor_median": statistics.median(floor_ms),
        "floor_p95": p95(floor_ms),
        "groups": len(api.get("groups") or []),
        "found": api["totals"]["found"],
        "diffs": diffs,
    }
    result["ratio"] = result["api_median"] / result["floor_median"]
    result["met"] = result["api_p95"] < P95_TARGET_MS and result["ratio"] <= RATIO_TARGET
    b.results.append(result)
    print(
        f"{name:<26} | {result['api_median']:>8.1f} {result['api_p95']:>7.1f} | {result['floor_median']:>8.1f} "
        f"{result['floor_p95']:>7.1f} | {result['ratio']:>5.2f}x | {result['found']:>9,} {result['groups']:>6} | "
        f"{'OK' if not diffs else 'MISMATCH':<8} | {'met' if result['met'] else 'NOT met'}",
        flush=True,
    )
    for line in diffs[:10]:
        print(f"    {line}")
    if len(diffs) > 10:
        print(f"    ... {len(diffs) - 10} more differences")
    if b.explain or not result["met"]:
        explain(b, path, query, sql, floor_params)
    return result


def last_quarter(b: Bench) -> tuple[str, datetime, datetime]:
    local = b.as_of.astimezone(b.tz)
    year, q = local.year, (local.month - 1) // 3  # the quarter before the current one (0: last year's Q4)
    if q == 0:
        year, q = year - 1, 4
    first = date(year, 3 * q - 2, 1)
    after = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return f"{year}Q{q}", b.day_start(first), b.day_start(after)


def summary_quarter(b: Bench) -> dict:
    quarter, start, end = last_quarter(b)
    return measure_summary(b, f"quarter {quarter}", {"quarter": quarter}, start, end, grouped=False)


def _last_year(b: Bench) -> tuple[int, dict, datetime, datetime]:
    year = b.as_of.astimezone(b.tz).year - 1
    params = {"from": f"{year}-01-01", "to": f"{year}-12-31"}  # a bare date `to`: the end of that day
    return year, params, b.day_start(date(year, 1, 1)), b.day_start(date(year + 1, 1, 1))


def summary_year(b: Bench) -> dict:
    year, params, start, end = _last_year(b)
    return measure_summary(b, f"year {year}", params, start, end, grouped=False)


def summary_year_by_enterprise(b: Bench) -> dict:
    year, params, start, end = _last_year(b)
    return measure_summary(b, f"year {year} by enterprise", {**params, "group_by": "enterprise"}, start, end, True)


# -- the ledger export: 100,000 rows through GET /api/v1/hazards/export.xlsx, against a naive workbook -----------

LEDGER_PATH = "/api/v1/hazards/export.xlsx"
LEDGER_FROM, LEDGER_TO = date(2025, 1, 1), date(2025, 7, 1)  # found in the first half of 2025 (park time)
FOUND_LABEL = "发现隐患（项）"  # the totals sheet's row of the hazards found


def rss_mib() -> float:
    """This process's resident set now, MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def reset_peak_rss() -> bool:
    """Set this process's peak RSS (VmHWM, hence ru_maxrss) back to the current RSS (Linux clear_refs 5)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def ledger_args(first: date, after: date) -> dict:
    """The list's filters for hazards found on the park days first .. after - 1 (naive times: park time)."""
    return {"found_from": f"{first.isoformat()}T00:00:00", "found_to": f"{after.isoformat()}T00:00:00"}


def ledger_ours(app, client, headers: dict, args: dict, path: str) -> None:
    """The real endpoint, as the office downloads it; the body is streamed to `path`."""
    response = client.get(LEDGER_PATH, query_string=args, headers=headers)
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code} {response.get_data(as_text=True)[:500]}")
    with open(path, "wb") as out:
        for chunk in response.response:
            out.write(chunk)
    response.close()


def ledger_baseline(app, client, headers: dict, args: dict, path: str) -> None:
    """Naive code: every hazard loaded at once as ORM objects (.all()), a normal-mode openpyxl workbook."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from sqlalchemy.orm import joinedload

    from server.accounts.models import User
    from server.codes import HAZARD_CATEGORIES, HAZARD_LEVELS, HAZARD_SOURCES, HAZARD_STATUSES, label
    from server.extensions import db
    from server.hazards import ledger
    from server.hazards.models import Hazard, Rectification
    from server.timeutil import days_late, to_park, to_utc, utcnow

    with app.app_context():
        now = utcnow()
        user = db.session.execute(sa.select(User).where(User.username == stats_data.OFFICE_USER)).scalar_one()
        parsed = {name: datetime.fromisoformat(value) for name, value in args.items()}
        found = (Hazard.found_at >= to_utc(parsed["found_from"]), Hazard.found_at < to_utc(parsed["found_to"]))
        hazards = (
            db.session.execute(
                sa.select(Hazard)
                .options(
                    joinedload(Hazard.enterprise),
                    joinedload(Hazard.grid),
                    joinedload(Hazard.found_by),
                    joinedload(Hazard.closed_by),
                )
                .where(*found)
                .order_by(Hazard.found_at, Hazard.id)
            )
            .scalars()
            .all()
        )
        rectified = dict(
            db.session.execute(
                sa.select(Rectification.hazard_id, sa.func.max(Rectification.completed_at))
                .join(Hazard, Hazard.id == Rectification.hazard_id)
                .where(*found)
                .group_by(Rectification.hazard_id)
            ).all()
        )
        book = Workbook()
        sheet = book.active
        sheet.title = "隐患台账"
        sheet.append([zh for zh, _, _ in ledger.COLUMNS])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for number, h in enumerate(hazards, 1):
            late_at = h.closed_at or now
            rectified_at = rectified.get(h.id)
            sheet.append(
                [
                    number,
                    h.id,
                    h.enterprise.name,
                    h.grid.name,
                    h.location,
                    h.description,
                    label(HAZARD_CATEGORIES, h.category, "zh"),
                    label(HAZARD_LEVELS, h.level, "zh"),
                    label(HAZARD_SOURCES, h.source, "zh"),
                    to_park(h.found_at).date(),
                    h.found_by.display_name or h.found_by.username,
                    to_park(h.deadline).date(),
                    h.responsible_person,
                    label(HAZARD_STATUSES, h.status, "zh"),
                    to_park(rectified_at).date() if rectified_at else None,
                    (h.closed_by.display_name or h.closed_by.username) if h.closed_by else None,
                    to_park(h.closed_at).date() if h.closed_at else None,
                    days_late(h.deadline, late_at) if late_at > h.deadline else None,
                ]
            )
        figures = ledger.ledger_summary(user, parsed, now)
        totals = book.create_sheet("汇总")
        totals.append(["隐患台账汇总"])
        totals.append(["明细行数", len(hazards)])
        totals.append([])
        totals.append(["指标", "合计"] + [g["label"] for g in figures["groups"]])
        for key, zh, _ in ledger.TOTALS:
            values = [figures["totals"][key]] + [g[key] for g in figures["groups"]]
            totals.append([zh] + ["—" if v is None else v for v in values])
        book.save(path)
        db.session.remove()


LEDGER_METHODS: dict[str, Callable[..., None]] = {"ours": ledger_ours, "baseline": ledger_baseline}


def ledger_child(method: str, url: str, headers: dict, first: str, after: str, path: str) -> dict:
    """In a fresh process: one export by `method` of the hazards found first .. after - 1, to `path`.

    A one-day export first (imports, caches, connections: not measured); then the peak RSS is set back to
    the current RSS, and the growth of ru_maxrss over that RSS is the export's peak memory.
    """
    if not method:
        return {"rss": rss_mib()}
    app = stats_data.make_app(url)
    client = app.test_client()
    start = date.fromisoformat(first)
    run = LEDGER_METHODS[method]
    run(app, client, headers, ledger_args(start, start + timedelta(days=1)), path)
    reset = reset_peak_rss()
    before = rss_mib()
    t = time.perf_counter()
    run(app, client, headers, ledger_args(start, date.fromisoformat(after)), path)
    seconds = time.perf_counter() - t
    growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before  # KiB on Linux
    return {
        "seconds": seconds,
        "rss_before": before,
        "growth": growth,
        "reset": reset,
        "size": Path(path).stat().st_size,
    }


def fresh_process_pool() -> concurrent.futures.ProcessPoolExecutor:
    """One new process per task, forked from a forkserver started now, while this process is small."""
    pool = concurrent.futures.ProcessPoolExecutor(
        1, mp_context=multiprocessing.get_context("forkserver"), max_tasks_per_child=1
    )
    pool.submit(ledger_child, "", "", {}, "", "", "").result()
    return pool


def check_ledger(path: Path, expected: int) -> tuple[int, object, list[str]]:
    """(ledger rows, the totals sheet's total of hazards found, problems) of an exported file."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        ledger_sheet, totals_sheet = book.worksheets[0], book.worksheets[1]
        rows = sum(1 for row in ledger_sheet.iter_rows(min_row=2, values_only=True) if row and row[0] is not None)
        found = next(
            (row[1] for row in totals_sheet.iter_rows(values_only=True) if row and row[0] == FOUND_LABEL), None
        )
    finally:
        book.close()
    problems = []
    if rows != expected:
        problems.append(f"{path.name}: {rows:,} ledger rows, expected {expected:,}")
    if found != expected:
        problems.append(f"{path.name}: totals sheet {FOUND_LABEL} = {found!r}, expected {expected:,}")
    return rows, found, problems


def measure_ledger(b: Bench) -> dict:
    first, after = LEDGER_FROM, LEDGER_TO
    expected = b.conn.execute(
        "SELECT count(*) FROM hazards WHERE found_at >= %s AND found_at < %s", (b.day_start(first), b.day_start(after))
    ).fetchone()[0]
    print(
        f"ledger export: hazards found {first} .. {after - timedelta(days=1)} (found_from {first}T00:00:00, "
        f"found_to {after}T00:00:00, park time): {expected:,} hazards"
    )
    print(
        f"  ours: GET {LEDGER_PATH} as {stats_data.OFFICE_USER} (Flask test client, body streamed to a file); "
        "baseline: one ORM query .all() + a normal-mode openpyxl workbook"
    )
    print(
        f"  a fresh process per run ({b.ledger_runs} runs each, forkserver), after a one-day export in that "
        "process; peak MiB = ru_maxrss after the export - RSS before it (peak reset just before)"
    )
    print(
        f"  {'method':<9} | {'median s':>8} {'runs s':<20} | {'peak MiB':>8} {'(max)':>6} | {'RSS before':>10} | "
        f"{'file MB':>7} | {'rows':>9} {'totals found':>12} | check"
    )
    result = {"name": "ledger export", "expected": expected, "diffs": []}
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp:
        for method in LEDGER_METHODS:
            runs = []
            for i in range(b.ledger_runs):
                path = Path(tmp, f"{method}-{i}.xlsx")
                job = b.pool.submit(
                    ledger_child, method, b.url, b.headers, first.isoformat(), after.isoformat(), str(path)
                )
                runs.append(job.result())
            rows, found, problems = check_ledger(path, expected)
            if not all(r["reset"] for r in runs):
                problems.append("the peak RSS could not be reset (/proc/self/clear_refs): peak MiB may be low")
            seconds = [r["seconds"] for r in runs]
            growth = [r["growth"] for r in runs]
            figures = {
                "seconds": statistics.median(seconds),
                "runs": seconds,
                "peak_mib": statistics.median(growth),
                "peak_mib_max": max(growth),
                "rss_before": statistics.median(r["rss_before"] for r in runs),
                "size_mb": runs[-1]["size"] / 1e6,
                "rows": rows,
                "found": found,
            }
            result[method] = figures
            result["diffs"] += problems
            print(
                f"  {method:<9} | {figures['seconds']:>8.2f} {' '.join(f'{s:.2f}' for s in seconds):<20} | "
                f"{figures['peak_mib']:>8.1f} {figures['peak_mib_max']:>6.1f} | {figures['rss_before']:>10.1f} | "
                f"{figures['size_mb']:>7.2f} | {rows:>9,} {found!s:>12} | {'OK' if not problems else 'PROBLEM'}",
                flush=True,
            )
            for line in problems:
                print(f"    {line}")
    ours, base = result["ours"], result["baseline"]
    result["time_ratio"] = ours["seconds"] / base["seconds"]
    result["memory_ratio"] = ours["peak_mib"] / base["peak_mib"]
    print(
        f"  ours / baseline: time {result['time_ratio']:.2f}x ({base['seconds'] / ours['seconds']:.1f}x faster), "
        f"peak memory {result['memory_ratio']:.3f}x ({base['peak_mib'] / ours['peak_mib']:.1f}x less)"
    )
    print(
        "  target: written in streaming mode so that 100,000 rows stay within modest memory "
        f"(no hard threshold): {ours['peak_mib']:.0f} MiB for {expected:,} rows"
    )
    b.results.append(result)
    return result


# -- the brief: generate() of a quarter's brief, and its parts ----------------------------------------------------

BRIEF_QUARTER = "2025Q3"


def pdf_pages(path: Path) -> int | None:
    try:
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return next((int(line.split()[1]) for line in info.splitlines() if line.startswith("Pages:")), None)


def measure_brief(b: Bench) -> dict:
    from server.briefs import document, findings, service
    from server.briefs import figures as brief_figures
    from server.briefs.models import Brief
    from server.extensions import db
    from server.stats import service as stats
    from server.timeutil import utcnow

    quarter, runs = BRIEF_QUARTER, b.brief_runs
    result = {"name": f"brief {quarter}", "diffs": []}
    with tempfile.TemporaryDirectory(prefix="brief-bench-") as media:
        app = stats_data.make_app(b.url, MEDIA_ROOT=media)
        ids: list[int] = []
        with app.app_context():
            try:
                totals, statuses = [], []
                for _ in range(runs):
                    brief = service.request_brief(None, {"quarter": quarter})
                    db.session.commit()
                    ids.append(brief.id)
                    t = time.perf_counter()
                    brief = service.generate(brief.id)
                    totals.append(time.perf_counter() - t)
                    statuses.append(brief.status)
                    if brief.status != "ready":
                        result["diffs"].append(f"brief {brief.id}: {brief.status}: {brief.error}")
                pdf, docx = service.file_path(brief, "pdf"), service.file_path(brief, "docx")
                pages = pdf_pages(pdf) if pdf and pdf.is_file() else None
                sizes = [p.stat().st_size / 1e3 if p and p.is_file() else 0 for p in (docx, pdf)]

                # The same work in its parts: the figures (SQL), the findings, the .docx with its charts, the PDF.
                start, end = stats.quarter_bounds(quarter)
                split: dict[str, list[float]] = {"figures": [], "findings": [], "docx": [], "pdf": []}
                work = Path(media, "split")
                work.mkdir()
                for _ in range(runs):
                    t = time.perf_counter()
                    figures = brief_figures.compute(start, end, utcnow(), quarter, "zh")
                    split["figures"].append(time.perf_counter() - t)
                    t = time.perf_counter()
                    figures.update(findings.derive_findings(figures, "zh"))
                    split["findings"].append(time.perf_counter() - t)
                    t = time.perf_counter()
                    document.render_docx(figures, work / "brief.docx", "zh")
                    split["docx"].append(time.perf_counter() - t)
                    t = time.perf_counter()
                    document.render_pdf(work / "brief.docx", work)
                    split["pdf"].append(time.perf_counter() - t)
            finally:
                db.session.rollback()
                if ids:  # the bench's briefs (and their notifications, ON DELETE CASCADE) go again
                    db.session.execute(sa.delete(Brief).where(Brief.id.in_(ids)))
                    db.session.commit()
                db.session.remove()
                db.engine.dispose()
    result.update(
        total=statistics.median(totals),
        runs=totals,
        statuses=statuses,
        pages=pages,
        docx_kb=sizes[0],
        pdf_kb=sizes[1],
        split={name: statistics.median(values) for name, values in split.items()},
    )
    if pages is None:
        result["diffs"].append("no page count (pdfinfo)")
    s = result["split"]
    print(
        f"brief {quarter} (request_brief + commit, then service.generate; a new brief each run, {runs} runs; "
        f"MEDIA_ROOT in a temp dir)"
    )
    print(
        f"  generate: median {result['total']:.2f} s (runs {', '.join(f'{x:.2f}' for x in totals)} s); "
        f"status {', '.join(statuses)}; PDF {pages} pages ({sizes[1]:.0f} kB), .docx {sizes[0]:.0f} kB"
    )
    print(
        f"  parts (median of {runs}): figures.compute (SQL) {s['figures']:.2f} s, "
        f"findings {s['findings'] * 1000:.1f} ms, "
        f"render_docx (text, tables, charts) {s['docx']:.2f} s, render_pdf (LibreOffice) {s['pdf']:.2f} s; "
        f"sum {sum(s.values()):.2f} s"
    )
    b.results.append(result)
    return result


# The measurements, in order, and the names --only selects them by.
SUMMARIES: list[Callable[[Bench], dict]] = [summary_quarter, summary_year, summary_year_by_enterprise]
GROUPS: dict[str, list[Callable[[Bench], dict]]] = {
    "summary": SUMMARIES,
    "ledger": [measure_ledger],
    "brief": [measure_brief],
}
MEASUREMENTS: list[Callable[[Bench], dict]] = [m for group in GROUPS.values() for m in group]


def database_exists(url: str) -> bool:
    own, maintenance, name = stats_data.admin_url(url)
    with psycopg.connect(maintenance) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def selected(only: str | None) -> list[Callable[[Bench], dict]]:
    names = [name.strip() for name in (only or ",".join(GROUPS)).split(",") if name.strip()]
    unknown = [name for name in names if name not in GROUPS]
    if unknown or not names:
        raise SystemExit(f"--only: unknown {', '.join(unknown) or '(none)'}; choose from {', '.join(GROUPS)}")
    return [m for name, group in GROUPS.items() if name in names for m in group]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", stats_data.DEFAULT_URL))
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmups", type=int, default=2)
    parser.add_argument("--build", action="store_true", help="(re)build the bench database first")
    parser.add_argument("--hazards", type=int, default=1_000_000, help="with --build")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE even when the targets are met")
    parser.add_argument("--only", help=f"measurements to run, comma-separated: {','.join(GROUPS)} (default: all)")
    parser.add_argument("--ledger-runs", type=int, default=3, help="ledger exports per method (fresh processes)")
    parser.add_argument("--brief-runs", type=int, default=3, help="briefs generated")
    args = parser.parse_args()
    measurements = selected(args.only)
    # Started first, while this process is small: the ledger's fresh processes are forked from it.
    pool = fresh_process_pool() if measure_ledger in measurements else None

    url = stats_data.admin_url(args.database_url)[0]
    print(f"Python {platform.python_version()} on {platform.platform()}; {os.cpu_count()} CPUs: {cpu_model()}")
    if args.build or not database_exists(url):
        print(f"building {url} ({args.hazards:,} hazards) ...", flush=True)
        built = stats_data.build(url, hazards=args.hazards, verbose=False)
        print(f"built in {built['total_s']:.1f} s")
    facts = stats_data.describe(url)
    print(f"database: {url}; PostgreSQL {facts['pg_version']}")
    print(
        f"data: {facts['hazards']:,} hazards found {facts['found_from']:%Y-%m-%d} .. {facts['found_to']:%Y-%m-%d}, "
        f"{facts['inspections']:,} inspections, {facts['enterprises']:,} enterprises, {facts['grids']} grids, "
        f"{facts['users']:,} users"
    )

    app = stats_data.make_app(url)
    client = app.test_client()
    r = client.post(
        "/api/v1/auth/token", json={"username": stats_data.OFFICE_USER, "password": stats_data.BENCH_PASSWORD}
    )
    if r.status_code != 200:
        raise SystemExit(f"log-in as {stats_data.OFFICE_USER} failed: HTTP {r.status_code} {r.get_data(as_text=True)}")
    headers = {"Authorization": f"Bearer {r.get_json()['access_token']}"}
    tz = ZoneInfo(app.config["PARK_TIMEZONE"])
    # One instant for the API and the floor; whole seconds, in the past, so both see the same rows.
    as_of = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            b = Bench(url, app, client, headers, conn, tz, as_of, args.runs, args.warmups, args.explain)
            b.pool, b.ledger_runs, b.brief_runs = pool, args.ledger_runs, args.brief_runs
            summaries = [m for m in measurements if m in SUMMARIES]
            if summaries:
                print(
                    f"as of {as_of.astimezone(tz).isoformat()} (park time {tz.key}); {args.warmups} warm-ups, "
                    f"{args.runs} runs"
                )
                print(
                    f"targets: p95 < {P95_TARGET_MS:.0f} ms and median <= {RATIO_TARGET:.0f}x the floor "
                    "(one hand-written SQL statement, psycopg)"
                )
                print()
                print(
                    f"{'measurement':<26} | {'api ms':>8} {'p95':>7} | {'floor ms':>8} {'p95':>7} | {'ratio':>6} | "
                    f"{'found':>9} {'groups':>6} | {'figures':<8} | target"
                )
            for measurement in measurements:
                if measurement not in SUMMARIES:
                    print()
                measurement(b)
    finally:
        if pool is not None:
            pool.shutdown()
    print()
    summary_results = [r for r in b.results if "api_median" in r]
    if summary_results:
        print("figures equal to the floor's:", "yes" if all(not r["diffs"] for r in summary_results) else "NO")
        print("targets met:", "yes" if all(r["met"] for r in summary_results) else "NO")
    for r in b.results:
        if "api_median" not in r:
            print(f"{r['name']} checked:", "yes" if not r["diffs"] else "NO")


if __name__ == "__main__":
    main()
