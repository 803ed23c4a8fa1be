"""GET /stats/summary: SPEC.md's definitions to the letter, checked against an independent reference."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests import statsdata
from tests.statsdata import park

URL = "/api/v1/stats/summary"
AS_OF = park(2026, 11, 21, 12)  # after the whole dataset
AS_OF_ISO = AS_OF.isoformat()


@pytest.fixture
def data(world):
    return statsdata.build(world)


def summary(world, user="office", **params):
    r = world.get(user, URL, query_string=params)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def by_key(body) -> dict:
    out = {g["key"]: {k: v for k, v in g.items() if k not in ("key", "label")} for g in body["groups"]}
    out[None] = body["totals"]
    return out


def assert_figures(got: dict, want: dict):
    """Every count to the unit; rates as exact ratios (or both null)."""
    for name, value in want.items():
        if name.endswith("_rate") and value is not None:
            assert got[name] == pytest.approx(value, abs=1e-12), name
        else:
            assert got[name] == value, name


PERIODS = [
    ("quarter", {"quarter": "2026Q3"}, park(2026, 7, 1), park(2026, 10, 1)),
    ("year", {"from": "2025-01-01", "to": "2025-12-31"}, park(2025, 1, 1), park(2026, 1, 1)),
    (
        "datetimes",
        {"from": "2026-02-10T08:00:00", "to": "2026-05-01T00:00:00+08:00"},
        park(2026, 2, 10, 8),
        park(2026, 5, 1),
    ),  # fmt: skip
    ("everything", {}, None, None),
]


@pytest.mark.parametrize("group_by", [None, "enterprise", "grid", "category", "level", "kind", "month"])
@pytest.mark.parametrize("name,params,start,end", PERIODS, ids=[p[0] for p in PERIODS])
def test_summary_matches_the_reference_for_every_grouping(world, data, group_by, name, params, start, end):
    params = {**params, "as_of": AS_OF_ISO, **({"group_by": group_by} if group_by else {})}
    body = summary(world, **params)
    want = statsdata.expected(data, start, end, AS_OF, group_by)
    got = by_key(body)
    assert set(got) == set(want) | ({k for k in got if k is not None} if group_by == "month" else set())
    for key, figures in got.items():
        assert_figures(figures, want.get(key, statsdata.finish({})) | ({"inspections": None} if key is not None
                       and group_by in ("category", "level") else {}))  # fmt: skip
    assert body["totals"]["found"] == sum(g["found"] for g in body["groups"]) if group_by else True
    assert body["group_by"] == group_by


def test_groups_carry_labels_in_the_request_language(world, data):
    body = summary(world, quarter="2026Q3", group_by="category", as_of=AS_OF_ISO)
    labels = {g["key"]: g["label"] for g in body["groups"]}
    assert labels["fire"] == "消防安全" and labels["electrical"] == "电气安全"
    body = summary(world, quarter="2026Q3", group_by="month", as_of=AS_OF_ISO, lang="en")
    assert [g["label"] for g in body["groups"]] == ["Jul 2026", "Aug 2026", "Sep 2026"]
    body = summary(world, quarter="2026Q3", group_by="enterprise", as_of=AS_OF_ISO)
    names = {g["label"] for g in body["groups"]}
    assert "苏州恒瑞精密机械有限公司" in names
    body = summary(world, quarter="2026Q3", group_by="kind", as_of=AS_OF_ISO)
    assert {g["key"]: g["label"] for g in body["groups"]}["self_check"] == "企业自查"


def test_the_last_night_of_a_quarter_belongs_to_it_in_park_time(world, data):
    night, morning = data.edge["q3_last_night"], data.edge["q4_first_minutes"]
    # 23:30 park time on 30 September is 15:30 UTC: Q3. 00:30 on 1 October is still 30 September in UTC: Q4.
    assert night.found_at.astimezone(UTC).day == 30 and morning.found_at.astimezone(UTC).day == 30
    q3_start, q4_start, q4_end = park(2026, 7, 1), park(2026, 10, 1), park(2027, 1, 1)
    q3 = summary(world, quarter="2026Q3", as_of=AS_OF_ISO)["totals"]
    q4 = summary(world, quarter="2026Q4", as_of=AS_OF_ISO)["totals"]
    assert q3["found"] == statsdata.expected(data, q3_start, q4_start, AS_OF)[None]["found"]
    assert q4["found"] == statsdata.expected(data, q4_start, q4_end, AS_OF)[None]["found"]
    september = by_key(summary(world, quarter="2026Q3", group_by="month", as_of=AS_OF_ISO))["2026-09"]
    october = by_key(summary(world, quarter="2026Q4", group_by="month", as_of=AS_OF_ISO))["2026-10"]
    # Without the two edge hazards each quarter (and month) would be one short: both were counted, in park time.
    rest = statsdata.Dataset([h for h in data.hazards if h not in (night, morning)], data.inspections, {})
    assert statsdata.expected(rest, q3_start, q4_start, AS_OF)[None]["found"] == q3["found"] - 1
    assert statsdata.expected(rest, q4_start, q4_end, AS_OF)[None]["found"] == q4["found"] - 1
    assert statsdata.expected(rest, q3_start, q4_start, AS_OF, "month")["2026-09"]["found"] == september["found"] - 1
    assert statsdata.expected(rest, q4_start, q4_end, AS_OF, "month")["2026-10"]["found"] == october["found"] - 1
    # The same cut made in UTC counts the morning hazard in Q3.
    utc_bounds = {"from": "2026-07-01T00:00:00Z", "to": "2026-10-01T00:00:00Z", "as_of": AS_OF_ISO}
    utc_q3 = summary(world, **utc_bounds)["totals"]
    utc_start, utc_end = datetime(2026, 7, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC)
    assert utc_q3["found"] == statsdata.expected(data, utc_start, utc_end, AS_OF)[None]["found"]
    assert utc_start <= morning.found_at < utc_end


def test_found_in_one_quarter_closed_in_the_next(world, data):
    """Closed(P) counts by closing date; the rate of Q3 grows as as_of moves into Q4."""
    end_of_q3 = park(2026, 10, 1) - timedelta(microseconds=1)
    at_end = summary(world, quarter="2026Q3", as_of=end_of_q3.isoformat())["totals"]
    later = summary(world, quarter="2026Q3", as_of=AS_OF_ISO)["totals"]
    crossing = [
        h for h in data.hazards
        if park(2026, 7, 1) <= h.found_at < park(2026, 10, 1) and h.closed_at and h.closed_at >= park(2026, 10, 1)
    ]  # fmt: skip
    assert data.edge["q3_last_night"] in crossing
    assert later["rectified"] - at_end["rectified"] == len(crossing)
    assert later["open"] == at_end["open"] - len(crossing)
    assert later["closed"] == at_end["closed"]  # closed in Q3 does not change
    q4 = summary(world, quarter="2026Q4", as_of=AS_OF_ISO)["totals"]
    assert q4["closed"] == statsdata.expected(data, park(2026, 10, 1), park(2027, 1, 1), AS_OF)[None]["closed"]
    assert q4["closed"] >= len(crossing)


def test_on_time_is_measured_against_the_latest_deadline(world, data):
    extended, late = data.edge["extended_on_time"], data.edge["late"]
    august = {"from": "2026-08-01", "to": "2026-08-02", "as_of": AS_OF_ISO}
    day_one = summary(world, **august, enterprise_id=extended.enterprise_id)["totals"]
    want = statsdata.expected(
        statsdata.Dataset([h for h in data.hazards if h.enterprise_id == extended.enterprise_id], [], {}),
        park(2026, 8, 1), park(2026, 8, 3), AS_OF,
    )[None]  # fmt: skip
    assert day_one["found"] == want["found"] >= 1
    assert day_one["rectified_on_time"] == want["rectified_on_time"] >= 1
    second = summary(world, **{**august, "from": "2026-08-02", "to": "2026-08-02"}, enterprise_id=late.enterprise_id)
    late_only = [h for h in data.hazards if h.enterprise_id == late.enterprise_id and
                 park(2026, 8, 2) <= h.found_at < park(2026, 8, 3)]  # fmt: skip
    assert second["totals"]["found"] == len(late_only)
    assert second["totals"]["rectified_on_time"] == sum(1 for h in late_only if h.closed_at <= h.deadline)
    assert second["totals"]["major_found"] >= 1


def test_open_and_overdue_as_of_a_past_instant(world, data):
    hazard = data.edge["open_overdue"]
    before_deadline = hazard.deadline - timedelta(hours=1)
    for as_of in (before_deadline, hazard.deadline + timedelta(seconds=1), AS_OF):
        got = summary(world, quarter="2026Q3", as_of=as_of.isoformat())["totals"]
        want = statsdata.expected(data, park(2026, 7, 1), park(2026, 10, 1), as_of)[None]
        assert_figures(got, want)
    assert statsdata.expected(data, park(2026, 9, 10), park(2026, 9, 11), before_deadline)[None]["overdue"] == 0
    assert summary(world, **{"from": "2026-09-10", "to": "2026-09-10"}, as_of=AS_OF_ISO)["totals"]["overdue"] >= 1


def test_an_empty_period_has_null_rates_never_100_percent(world, data):
    body = summary(world, quarter="2024Q1", group_by="month")
    assert body["totals"]["found"] == 0 and body["totals"]["inspections"] == 0
    assert body["totals"]["rectification_rate"] is None and body["totals"]["on_time_rate"] is None
    assert [g["key"] for g in body["groups"]] == ["2024-01", "2024-02", "2024-03"]
    assert all(g["rectification_rate"] is None for g in body["groups"])


def test_as_of_is_never_later_than_now(world, data):
    future = (datetime.now(UTC) + timedelta(days=400)).isoformat()
    before = datetime.now(UTC)
    body = summary(world, quarter="2026Q4", as_of=future)
    as_of = datetime.fromisoformat(body["as_of"])
    assert before - timedelta(seconds=1) <= as_of <= datetime.now(UTC) + timedelta(seconds=1)
    assert body["as_of"].endswith("+08:00")
    assert body["from"] == "2026-10-01T00:00:00+08:00" and body["to"] == "2027-01-01T00:00:00+08:00"


def test_filters_restrict_hazards_and_inspections(world, data):
    grid = world.grids[1].id
    got = summary(world, quarter="2026Q3", grid_id=grid, category="fire", as_of=AS_OF_ISO)["totals"]
    subset = statsdata.Dataset(
        [h for h in data.hazards if h.grid_id == grid and h.category == "fire"],
        [i for i in data.inspections if i.grid_id == grid],
        {},
    )
    assert_figures(got, statsdata.expected(subset, park(2026, 7, 1), park(2026, 10, 1), AS_OF)[None])
    got = summary(world, kind="self_check", as_of=AS_OF_ISO)["totals"]
    subset = statsdata.Dataset([h for h in data.hazards if h.kind == "self_check"], [], {})
    assert_figures(got, statsdata.expected(subset, None, None, AS_OF)[None])


@pytest.mark.parametrize("user,visible", [("insp_a", 0), ("ent_b", 1)])
def test_inspectors_and_enterprises_see_only_their_scope(world, data, user, visible):
    scope = world.grids[visible].id if user.startswith("insp") else world.enterprises[visible].id
    attribute = "grid_id" if user.startswith("insp") else "enterprise_id"
    got = summary(world, user, group_by="enterprise", as_of=AS_OF_ISO)
    subset = statsdata.Dataset(
        [h for h in data.hazards if getattr(h, attribute) == scope],
        [i for i in data.inspections if getattr(i, attribute) == scope],
        {},
    )
    assert_figures(got["totals"], statsdata.expected(subset, None, None, AS_OF)[None])
    assert got["totals"]["found"] < len(data.hazards)
    other = world.enterprises[1 - visible].id
    assert other not in {g["key"] for g in got["groups"]}
    # Asking for another enterprise gives nothing, not its figures.
    assert summary(world, user, enterprise_id=other, as_of=AS_OF_ISO)["totals"]["found"] == 0


def test_leader_sees_everything_and_admin_is_not_allowed(world, data):
    assert summary(world, "leader", as_of=AS_OF_ISO)["totals"]["found"] == len(data.hazards)
    r = world.get("admin", URL)
    assert r.status_code == 403 and r.get_json()["message"]
    assert world.client.get(URL).status_code == 401


@pytest.mark.parametrize(
    "params,field,message",
    [
        ({"quarter": "2026Q5"}, "quarter", "季度格式应为 2026Q3 这样的写法。"),
        ({"quarter": "2026Q3", "from": "2026-07-01"}, "quarter", "请只给出 quarter，或只给出 from/to，不要同时给出。"),
        ({"from": "2026-13-01"}, "from", "请给出日期（2026-07-01）或带时间的时刻（2026-07-01T08:00:00）。"),
        ({"to": "yesterday"}, "to", "请给出日期（2026-07-01）或带时间的时刻（2026-07-01T08:00:00）。"),
        ({"from": "2026-07-02", "to": "2026-07-01"}, "to", "结束时间必须晚于开始时间。"),
        ({"group_by": "colour"}, "group_by", None),
        ({"category": "unknown"}, "category", None),
        ({"grid_id": "one"}, "grid_id", None),
    ],
)
def test_bad_queries_are_422_with_the_field(world, params, field, message):
    r = world.get("office", URL, query_string=params)
    assert r.status_code == 422
    body = r.get_json()
    assert body["message"] and field in body["errors"]
    if message:
        assert body["errors"][field] == [message]


def test_bad_query_in_english(world):
    r = world.get("office", URL, query_string={"quarter": "Q3", "lang": "en"})
    assert r.status_code == 422 and r.get_json()["errors"]["quarter"] == ["A quarter is written like 2026Q3."]


def test_months_of_everything_filtered_by_kind(world, data):
    body = summary(world, kind="self_check", group_by="month", as_of=AS_OF_ISO)
    subset = statsdata.Dataset([h for h in data.hazards if h.kind == "self_check"], [], {})
    want = statsdata.expected(subset, None, None, AS_OF, "month")
    first = min(k for k in want if k is not None)
    assert body["groups"][0]["key"] == first  # the months start at the first self-reported hazard
    for group in body["groups"]:
        assert group["found"] == want.get(group["key"], {}).get("found", 0), group["key"]
