"""Benchmark: GET /api/v1/stats/summary on the bench database (1,000,000 hazards over five years).

Times, through the Flask test client of an app on that database and with an office token, N runs (after
warm-ups) of the summary for a quarter, for a year, and for a year grouped by enterprise, and in the same run
the floor: ONE hand-written SQL statement (psycopg) returning the same totals (grouped by enterprise_id for
the grouped case). It checks that the API's figures equal the floor's exactly (OK / MISMATCH), and prints the
median and p95 of each, the ratio to the floor and, when a target is missed (or with --explain), where the
time goes: the time spent in SQL and EXPLAIN (ANALYZE, BUFFERS) of every statement the endpoint ran.

    python bench/stats_summary.py [--runs 15] [--warmups 2] [--database-url URL] [--build [--hazards N]] [--explain]

The bench database is made by bench/stats_data.py (or here with --build; made too when it does not exist).
Targets: p95 < 200 ms and median <= 2x the floor for each summary.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
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


# The measurements, in order. To come: the ledger export of 100,000 rows and the brief's generation time.
MEASUREMENTS: list[Callable[[Bench], dict]] = [summary_quarter, summary_year, summary_year_by_enterprise]


def database_exists(url: str) -> bool:
    own, maintenance, name = stats_data.admin_url(url)
    with psycopg.connect(maintenance) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", stats_data.DEFAULT_URL))
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmups", type=int, default=2)
    parser.add_argument("--build", action="store_true", help="(re)build the bench database first")
    parser.add_argument("--hazards", type=int, default=1_000_000, help="with --build")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE even when the targets are met")
    args = parser.parse_args()

    url = stats_data.admin_url(args.database_url)[0]
    print(f"Python {platform.python_version()} on {platform.platform()}; {os.cpu_count()} CPUs")
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
    with psycopg.connect(url, autocommit=True) as conn:
        b = Bench(url, app, client, headers, conn, tz, as_of, args.runs, args.warmups, args.explain)
        print(
            f"as of {as_of.astimezone(tz).isoformat()} (park time {tz.key}); {args.warmups} warm-ups, {args.runs} runs"
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
        for measurement in MEASUREMENTS:
            measurement(b)
    print()
    ok = all(not r["diffs"] for r in b.results)
    met = all(r["met"] for r in b.results)
    print("figures equal to the floor's:", "yes" if ok else "NO")
    print("targets met:", "yes" if met else "NO")


if __name__ == "__main__":
    main()
