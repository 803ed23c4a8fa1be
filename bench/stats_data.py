"""Bench data for statistics: a park with five years of inspections and hazards, loaded with set-based SQL.

(Re)creates a PostgreSQL database (default park_bench: dropped and created again), makes the schema with the
app's Alembic migrations and fills it with INSERT ... SELECT FROM generate_series (random() after setseed, so
the same seed gives the same data): 60 grids, ~100 inspectors, 2,000 enterprises (each with one enterprise
user), ~400,000 inspections and 1,000,000 hazards over the five years ending now, then VACUUM ANALYZE.
Log in as bench_office or bench_leader with the password BENCH_PASSWORD.

    python bench/stats_data.py [--hazards 1000000] [--database-url postgresql://postgres@127.0.0.1:5432/park_bench]

The database name must contain "bench" (it is dropped). Other scripts call build(url, ...).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
# The app's instance folder (created by create_app) goes to a scratch place, not the working tree.
os.environ.setdefault("INSTANCE_PATH", str(Path(tempfile.gettempdir()) / "park_bench_instance"))

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/park_bench"
BENCH_PASSWORD = "bench-password-1"
OFFICE_USER, LEADER_USER = "bench_office", "bench_leader"
SECRET_KEY = "bench-secret-key-0123456789abcdef0123456789"

# Weights of the generated codes (skewed, as in a real park).
CATEGORY_WEIGHTS = {
    "fire": 24,
    "electrical": 18,
    "management": 14,
    "special_equipment": 9,
    "hazchem": 8,
    "occupational": 6,
    "confined_space": 5,
    "dust": 4,
    "construction": 4,
    "traffic": 3,
    "flood": 3,
    "other": 2,
}
KIND_WEIGHTS = {"routine": 70, "special": 15, "resumption": 5, "joint": 10}
CAMPAIGNS = ["fire", "hazchem", "special_equipment", "electrical", "confined_space", "dust", "construction",
             "flood_season", "holiday", "safety_month", "winter"]  # fmt: skip
MAJOR_SHARE = 0.02  # level major
SELF_CHECK_SHARE = 0.10  # hazards from enterprises' self-checks (no inspection)
EXTENDED_SHARE = 0.05  # deadline extended by 7-30 days
NEVER_CLOSED_SHARE = 0.08  # still open however old
LATE_SHARE = 0.15  # closed after the deadline (up to 20 days)
DEADLINE_DAYS = {"general": 7, "major": 30}

DESCRIPTIONS = {
    "fire": ["消防通道被货物堵塞", "灭火器压力不足，未按期检验", "安全出口指示灯损坏", "消火栓箱内水带缺失"],
    "electrical": ["配电箱未上锁，线路私拉乱接", "电缆绝缘层破损", "临时用电未装漏电保护器"],
    "management": ["安全管理制度未及时修订", "员工三级安全教育记录缺失", "隐患自查台账不完整"],
    "special_equipment": ["叉车司机无证上岗", "压力容器超期未检", "起重机限位器失效"],
    "hazchem": ["危化品仓库通风不良", "危化品未分类分区存放", "储罐区静电接地不良"],
    "occupational": ["噪声岗位未配备护耳器", "职业病危害告知卡缺失"],
    "confined_space": ["有限空间作业未审批", "有限空间未设置警示标识"],
    "dust": ["除尘器泄爆口堵塞", "粉尘清扫不及时，积尘严重"],
    "construction": ["脚手架连墙件缺失", "高处作业未系安全带"],
    "traffic": ["厂内道路限速标志缺失", "叉车与行人未分道通行"],
    "flood": ["厂区排水沟堵塞", "防汛物资储备不足"],
    "other": ["员工宿舍私接电源充电", "厂区夜间照明不足"],
}
LOCATIONS = ["一号车间", "二号车间", "三号车间", "原料仓库", "成品仓库", "危化品库", "配电房", "锅炉房", "办公楼",
             "员工宿舍", "食堂", "装卸区", "污水处理站", "空压机房", "厂区道路"]  # fmt: skip
INDUSTRIES = ["精密机械", "电子元器件", "新材料", "精细化工", "食品加工", "仓储物流", "纺织服装", "医药制造",
              "汽车零部件", "塑料制品"]  # fmt: skip
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "强", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "霞", "平", "刚",
         "建华", "志强"]  # fmt: skip


def _lit(values) -> str:
    """A text[] literal of trusted constants."""
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]::text[]"


def _pick(r: str, values) -> str:
    """values[r] for r uniform in [0, 1)."""
    return f"({_lit(values)})[1 + floor({r} * {len(values)})::int]"


def _weighted(r: str, weights: dict[str, int]) -> str:
    """A CASE choosing a code with the given weights, for r uniform in [0, 1)."""
    total, acc, parts = sum(weights.values()), 0, []
    for code, w in list(weights.items())[:-1]:
        acc += w
        parts.append(f"WHEN {r} < {acc / total!r} THEN '{code}'")
    return f"(CASE {' '.join(parts)} ELSE '{list(weights)[-1]}' END)"


def _name(r: str) -> str:
    return f"({_pick(r, SURNAMES)} || {_pick(f'({r} * 97 - floor({r} * 97))', GIVEN)})"


def admin_url(database_url: str) -> tuple[str, str, str]:
    """(psycopg URL of the bench database, psycopg URL of the server's `postgres` database, database name)."""
    url = sa.engine.make_url(database_url).set(drivername="postgresql")
    name = url.database or ""
    return (
        url.render_as_string(hide_password=False),
        url.set(database="postgres").render_as_string(hide_password=False),
        name,
    )


def recreate_database(database_url: str) -> str:
    url, maintenance, name = admin_url(database_url)
    if "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: a bench database's name contains 'bench'")
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url


def make_app(database_url: str, **overrides):
    """The app on the bench database (as bench/reminder_sweep.py creates it)."""
    from server import create_app
    from server.config import normalise_database_url

    config = {
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(admin_url(database_url)[0]),
        "SECRET_KEY": SECRET_KEY,
        "CELERY_BROKER_URL": "memory://",
    }
    config.update(overrides)
    return create_app(config)


def migrate(database_url: str) -> None:
    from flask_migrate import upgrade

    from server.extensions import db

    app = make_app(database_url)
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _work_time(day_expr: str, r_time: str, tz: str) -> str:
    """A working-hour instant (08:00-17:30 park time) on a park date."""
    return f"(({day_expr}) + time '08:00' + {r_time} * interval '570 minutes') AT TIME ZONE '{tz}'"


def _work_day(r_day: str, r_wk: str, start_day: str, ndays: int) -> str:
    """A park date in the period, denser in later years; 85 % of weekend days move to a weekday of that week."""
    day = f"({start_day} + floor(power({r_day}, 0.85) * {ndays})::int)"
    back = f"(extract(isodow FROM {day})::int - 5 + floor({r_wk} / 0.85 * 5)::int)"
    weekend = f"{r_wk} < 0.85 AND extract(isodow FROM {day}) > 5"
    return f"(CASE WHEN {weekend} THEN greatest({day} - {back}, {start_day}) ELSE {day} END)"


def _not_future(expr: str, now: str) -> str:
    """Today's instants later than now move one day back (still working hours, now in the past)."""
    return f"(CASE WHEN {expr} > {now} THEN {expr} - interval '1 day' ELSE {expr} END)"


def _indexes_to_rebuild(conn: psycopg.Connection, tables: tuple[str, ...]) -> list[tuple[str, str]]:
    """Plain (non-constraint) indexes of the tables: dropped during the load, built again after it."""
    return conn.execute(
        """SELECT i.relname, pg_get_indexdef(i.oid)
             FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
            WHERE t.relname = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)
            ORDER BY i.relname""",
        (list(tables),),
    ).fetchall()


def build(
    database_url: str = DEFAULT_URL,
    hazards: int = 1_000_000,
    enterprises: int = 2000,
    grids: int = 60,
    years: int = 5,
    seed: int = 1,
    inspectors: int | None = None,
    inspections: int | None = None,
    timezone: str | None = None,
    verbose: bool = True,
) -> dict:
    """Create and fill the bench database; returns row counts, the load's `now` and the times taken (s)."""
    from werkzeug.security import generate_password_hash

    inspectors = inspectors or max(grids, round(grids * 5 / 3))
    inspections = inspections if inspections is not None else round(hazards * 0.4)
    tz = timezone or os.environ.get("PARK_TIMEZONE", "Asia/Shanghai")
    ZoneInfo(tz)  # a real zone name: it is written into the SQL below
    if inspectors < grids:
        raise ValueError("every grid needs an inspector: inspectors >= grids")
    times: dict[str, float] = {}

    def step(label: str, t0: float) -> float:
        times[label] = time.perf_counter() - t0
        if verbose:
            print(f"  {label:<28} {times[label]:7.1f} s", flush=True)
        return time.perf_counter()

    t_start = t = time.perf_counter()
    url = recreate_database(database_url)
    migrate(url)
    t = step("database + migrations", t)

    now_dt = datetime.now(UTC).replace(microsecond=0)
    now = f"'{now_dt.isoformat()}'::timestamptz"
    start = f"({now} - interval '{years} years')"
    start_day = f"(({start} AT TIME ZONE '{tz}')::date + 1)"
    # Days from start_day to today (park time), both included.
    with psycopg.connect(url) as conn:
        ndays = conn.execute(f"SELECT ({now} AT TIME ZONE '{tz}')::date - {start_day} + 1").fetchone()[0]
    password_hash = generate_password_hash(BENCH_PASSWORD).replace("'", "''")
    ent_user_base = 2 + inspectors  # enterprise e's user has id ent_user_base + e
    n_self = round(hazards * SELF_CHECK_SHARE) if inspections else hazards
    n_insp_h = hazards - n_self

    with psycopg.connect(url) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET work_mem = '256MB'")
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("SET max_parallel_maintenance_workers = 2")
        conn.execute("SELECT setseed(%s)", (((seed * 7919) % 20000) / 10000 - 1,))
        rebuild = _indexes_to_rebuild(conn, ("inspections", "hazards"))
        for name, _ in rebuild:
            conn.execute(f'DROP INDEX "{name}"')

        conn.execute(
            f"""INSERT INTO grids (id, name, description, created_at)
                SELECT g, '第' || lpad(g::text, 2, '0') || '网格', '园区第' || g || '网格（' || {
                _pick("random()", ["东区", "西区", "南区", "北区", "中区"])
            } || '）', {start} - interval '90 days'
                  FROM generate_series(1, {grids}) g"""
        )
        conn.execute(
            f"""INSERT INTO enterprises (id, name, credit_code, industry, grid_id, address, contact_name,
                       contact_phone, contact_email, status, risk_level, lat, lon, created_at, updated_at)
                SELECT e, '苏州' || {_pick("r1", INDUSTRIES)} || '测试' || lpad(e::text, 4, '0') || '有限公司',
                       '91320506' || lpad(((e::bigint * 48271) % 1000000000)::text, 9, '0')
                           || substr('0123456789ABCDEFGHJKLMNPQRTUWXY', 1 + e % 31, 1),
                       {_pick("r1", INDUSTRIES)}, 1 + floor(r2 * {grids})::int,
                       '园区' || (1 + floor(r3 * 80))::int || '号路' || (1 + floor(r4 * 300))::int || '号',
                       {_name("r5")}, '1' || (30 + floor(r6 * 70))::int || lpad((e * 7907 % 100000000)::text, 8, '0'),
                       'safety' || e || '@bench.example',
                       CASE WHEN r7 < 0.90 THEN 'operating' WHEN r7 < 0.94 THEN 'suspended' ELSE 'resumed' END,
                       {_weighted("r8", {"red": 3, "orange": 12, "yellow": 45, "blue": 40})},
                       31.28 + r3 * 0.08, 120.62 + r4 * 0.12,
                       {start} - (30 + floor(r6 * 1000)) * interval '1 day', {start}
                  FROM (SELECT e, random() r1, random() r2, random() r3, random() r4, random() r5, random() r6,
                               random() r7, random() r8
                          FROM generate_series(1, {enterprises}) e OFFSET 0) s"""
        )
        conn.execute(
            f"""INSERT INTO users (id, username, password_hash, role, display_name, email, phone, enterprise_id,
                       language, is_active, created_at)
                VALUES (1, '{OFFICE_USER}', '{password_hash}', 'office', '安监办（基准）', 'office@bench.example',
                        NULL, NULL, 'zh', true, {start}),
                       (2, '{LEADER_USER}', '{password_hash}', 'leader', '管委会领导（基准）', NULL,
                        NULL, NULL, 'zh', true, {start})"""
        )
        conn.execute(
            f"""INSERT INTO users (id, username, password_hash, role, display_name, phone, enterprise_id, language,
                       is_active, created_at)
                SELECT 2 + k, 'bench_insp' || lpad(k::text, 3, '0'), '{password_hash}', 'inspector', {_name("r")},
                       '139' || lpad((k * 7919 % 100000000)::text, 8, '0'), NULL, 'zh', true, {start}
                  FROM (SELECT k, random() r FROM generate_series(1, {inspectors}) k OFFSET 0) s"""
        )
        conn.execute(
            f"""INSERT INTO users (id, username, password_hash, role, display_name, enterprise_id, language,
                       is_active, created_at)
                SELECT {ent_user_base} + e.id, 'bench_ent' || lpad(e.id::text, 4, '0'), '{password_hash}',
                       'enterprise', e.contact_name, e.id, 'zh', true, e.created_at
                  FROM enterprises e ORDER BY e.id"""
        )
        # Inspector k covers grid 1 + (k - 1) % grids; every fifth one also the next grid.
        conn.execute(
            f"""INSERT INTO grid_inspectors (grid_id, user_id)
                SELECT 1 + (k - 1) % {grids}, 2 + k FROM generate_series(1, {inspectors}) k
                UNION
                SELECT 1 + k % {grids}, 2 + k FROM generate_series(1, {inspectors}) k WHERE k % 5 = 0 AND {grids} > 1"""
        )
        conn.execute(
            """CREATE TEMP TABLE gi AS
               SELECT grid_id, array_agg(user_id ORDER BY user_id) AS ids FROM grid_inspectors GROUP BY grid_id"""
        )
        t = step("grids, enterprises, users", t)

        started = _not_future(_work_time(_work_day("r_day", "r_wk", start_day, ndays), "r_time", tz), now)
        conn.execute(
            f"""INSERT INTO inspections (id, client_uuid, request_hash, enterprise_id, grid_id, inspector_id, kind,
                       campaign, started_at, finished_at, lat, lon, notes, received_at)
                WITH base AS MATERIALIZED (
                    SELECT i, random() r_ent, random() r_day, random() r_wk, random() r_time, random() r_kind,
                           random() r_insp, random() r_dur, random() r_recv, random() r_camp, random() r_geo
                      FROM generate_series(1, {inspections}) i
                ), s AS (
                    SELECT b.*, e.id AS enterprise_id, e.grid_id, e.lat AS e_lat, e.lon AS e_lon,
                           gi.ids[1 + floor(b.r_insp * cardinality(gi.ids))::int] AS inspector_id,
                           {started} AS started_at
                      FROM base b
                      JOIN enterprises e ON e.id = 1 + floor(power(b.r_ent, 1.6) * {enterprises})::int
                      JOIN gi ON gi.grid_id = e.grid_id
                ), f AS (
                    SELECT s.*, least({now}, started_at + (20 + r_dur * 130) * interval '1 minute') AS finished_at,
                           {_weighted("r_kind", KIND_WEIGHTS)} AS kind
                      FROM s
                )
                SELECT row_number() OVER (ORDER BY started_at, i), md5('insp:{seed}:' || i)::uuid::text,
                       encode(sha256(('insp:{seed}:' || i)::bytea), 'hex'), enterprise_id, grid_id, inspector_id,
                       kind, CASE WHEN kind = 'special' THEN {_pick("r_camp", CAMPAIGNS)} END,
                       started_at, finished_at, e_lat + (r_geo - 0.5) * 0.0006, e_lon + (r_camp - 0.5) * 0.0006,
                       CASE WHEN r_geo < 0.05 THEN '企业负责人陪同检查' END,
                       least({now}, finished_at + CASE WHEN r_recv < 0.9 THEN r_recv * interval '5 minutes'
                                                       ELSE r_recv * interval '20 hours' END)
                  FROM f ORDER BY started_at, i"""
        )
        t = step(f"inspections ({inspections:,})", t)

        description = (
            "(CASE category "
            + " ".join(f"WHEN '{c}' THEN {_lit(d)}" for c, d in DESCRIPTIONS.items())
            + " END)[1 + floor(r_desc * (CASE category "
            + " ".join(f"WHEN '{c}' THEN {len(d)}" for c, d in DESCRIPTIONS.items())
            + " END))::int]"
        )
        found_self = _not_future(_work_time(_work_day("r_pick", "r_off", start_day, ndays), "r_loc", tz), now)
        randoms = ", ".join(
            f"random() {r}"
            for r in ("r_pick", "r_ent", "r_off", "r_cat", "r_lvl", "r_ext", "r_when", "r_late", "r_never", "r_status",
                      "r_closer", "r_recv", "r_loc", "r_desc", "r_resp")
        )  # fmt: skip
        conn.execute(
            f"""INSERT INTO hazards (id, client_uuid, request_hash, enterprise_id, grid_id, inspection_id, source,
                       location, description, category, level, status, found_at, found_by_id, deadline,
                       original_deadline, responsible_person, measures, plan_responsible, plan_measures, plan_funds,
                       plan_deadline, plan_contingency, closed_at, closed_by_id, received_at, updated_at)
                WITH base_i AS MATERIALIZED (
                    SELECT i, {randoms} FROM generate_series(1, {n_insp_h}) i
                ), base_s AS MATERIALIZED (
                    SELECT i, {randoms} FROM generate_series(1, {n_self}) i
                ), src AS (
                    SELECT b.*, 'hi' AS tag, n.enterprise_id, n.grid_id, n.id AS inspection_id,
                           'inspection' AS source, n.started_at + b.r_off * (n.finished_at - n.started_at) AS found_at,
                           n.inspector_id AS found_by_id, n.received_at AS recv
                      FROM base_i b JOIN inspections n ON n.id = 1 + floor(b.r_pick * {max(inspections, 1)})::int
                    UNION ALL
                    SELECT b.*, 'hs', e.id, e.grid_id, NULL, 'self_check', {found_self}, {ent_user_base} + e.id,
                           NULL
                      FROM base_s b JOIN enterprises e ON e.id = 1 + floor(power(b.r_ent, 1.3) * {enterprises})::int
                ), c AS (
                    SELECT src.*,
                           {_weighted("r_cat", CATEGORY_WEIGHTS)} AS category,
                           CASE WHEN r_lvl < {MAJOR_SHARE} THEN 'major' ELSE 'general' END AS level,
                           least({now}, coalesce(recv, found_at + CASE WHEN r_recv < 0.93
                               THEN (r_recv / 0.93) * interval '10 minutes'
                               ELSE ((r_recv - 0.93) / 0.07) * interval '36 hours' END)) AS received_at
                      FROM src
                ), c2 AS (
                    SELECT c.*,
                           ((found_at AT TIME ZONE '{tz}')::date
                              + CASE level WHEN 'major' THEN {DEADLINE_DAYS["major"]} ELSE {DEADLINE_DAYS["general"]}
                                END + time '23:59:59') AT TIME ZONE '{tz}' AS original_deadline
                      FROM c
                ), c3 AS (
                    SELECT c2.*, original_deadline + CASE WHEN r_ext < {EXTENDED_SHARE}
                               THEN (7 + floor(r_ext / {EXTENDED_SHARE} * 24))::int * interval '1 day'
                               ELSE interval '0' END AS deadline
                      FROM c2
                ), c4 AS (
                    SELECT c3.*, CASE WHEN r_never < {NEVER_CLOSED_SHARE} THEN NULL
                                     WHEN r_late < 1 - {LATE_SHARE}
                                     THEN greatest(received_at + interval '30 minutes',
                                                   found_at + power(r_when, 0.7) * (deadline - found_at))
                                     ELSE deadline + r_when * interval '20 days' END AS planned_close
                      FROM c3
                ), q AS (
                    SELECT c4.*, CASE WHEN planned_close <= {now} THEN planned_close END AS closed_at FROM c4
                )
                SELECT row_number() OVER (ORDER BY found_at, tag, i), md5(tag || ':{seed}:' || i)::uuid::text,
                       encode(sha256((tag || ':{seed}:' || i)::bytea), 'hex'), enterprise_id, q.grid_id,
                       inspection_id, source, {_pick("r_loc", LOCATIONS)}, {description}, category, level,
                       CASE WHEN closed_at IS NOT NULL THEN 'closed'
                            WHEN r_status < 0.3 THEN 'awaiting_verification' ELSE 'registered' END,
                       found_at, found_by_id, deadline, original_deadline,
                       CASE WHEN r_resp < 0.7 THEN {_name("r_resp")} END,
                       CASE WHEN closed_at IS NOT NULL OR r_status < 0.3 THEN '已按要求整改，整改照片已上传' END,
                       CASE WHEN level = 'major' THEN {_name("r_closer")} END,
                       CASE WHEN level = 'major' THEN '停用相关设备，制定专项整改方案，落实专人负责' END,
                       CASE WHEN level = 'major' THEN round((5000 + r_resp * 195000)::numeric, 2) END,
                       CASE WHEN level = 'major' THEN (deadline AT TIME ZONE '{tz}')::date END,
                       CASE WHEN level = 'major' THEN '设置警戒区域，配备应急器材，制定应急处置预案' END,
                       closed_at,
                       CASE WHEN closed_at IS NULL THEN NULL WHEN r_closer < 0.1 THEN 1
                            ELSE gi.ids[1 + floor(r_closer * cardinality(gi.ids))::int] END,
                       received_at, greatest(received_at, closed_at)
                  FROM q JOIN gi ON gi.grid_id = q.grid_id
                 ORDER BY found_at, tag, i"""
        )
        t = step(f"hazards ({hazards:,})", t)

        for table in ("grids", "enterprises", "users", "inspections", "hazards"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            )
        for _, definition in rebuild:
            conn.execute(definition)
        conn.commit()
        t = step(f"indexes ({len(rebuild)})", t)

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("VACUUM (FREEZE, ANALYZE)")
        step("vacuum analyze", t)
        counts = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("grids", "enterprises", "users", "grid_inspectors", "inspections", "hazards")
        }
        counts["pg_version"] = conn.execute("SHOW server_version").fetchone()[0]
        counts["size"] = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
    total = time.perf_counter() - t_start
    return {"counts": counts, "now": now_dt, "times": times, "total_s": total, "url": url}


def describe(url: str) -> dict:
    """Row counts and facts of an existing bench database (for the other bench scripts)."""
    with psycopg.connect(admin_url(url)[0]) as conn:
        facts = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("grids", "enterprises", "users", "inspections", "hazards")
        }
        facts["pg_version"] = conn.execute("SHOW server_version").fetchone()[0]
        lo, hi = conn.execute("SELECT min(found_at), max(found_at) FROM hazards").fetchone()
        facts["found_from"], facts["found_to"] = lo, hi
    return facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hazards", type=int, default=1_000_000)
    parser.add_argument("--enterprises", type=int, default=2000)
    parser.add_argument("--grids", type=int, default=60)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()

    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs; building {admin_url(args.database_url)[0]}")
    result = build(args.database_url, args.hazards, args.enterprises, args.grids, args.years, args.seed)
    c = result["counts"]
    print(
        f"data: {c['hazards']:,} hazards, {c['inspections']:,} inspections, {c['enterprises']:,} enterprises, "
        f"{c['grids']} grids, {c['users']:,} users ({c['grid_inspectors']} grid assignments); "
        f"PostgreSQL {c['pg_version']}, database size {c['size']}"
    )
    print(f"period: {args.years} years ending {result['now'].isoformat()}; log in as {OFFICE_USER} / {LEADER_USER}")
    print(f"loaded in {result['total_s']:.1f} s")


if __name__ == "__main__":
    main()
