"""GET /hazards/export.xlsx: the hazard ledger (台账), read back with openpyxl."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest

from server.hazards.models import Hazard
from tests import statsdata
from tests.conftest import count
from tests.statsdata import park

URL = "/api/v1/hazards/export.xlsx"
Q3 = {"found_from": "2026-07-01T00:00:00", "found_to": "2026-10-01T00:00:00+08:00"}


@pytest.fixture
def data(world):
    return statsdata.build(world)


def export(world, user="office", **params):
    r = world.get(user, URL, query_string=params)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in r.headers["Content-Disposition"]
    return openpyxl.load_workbook(io.BytesIO(r.data))


def ledger_rows(book) -> list[dict]:
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def totals(book) -> dict:
    """The totals sheet as {row label: [total, per grid...]}, plus the grid names."""
    rows = list(book.worksheets[1].iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row[0] in ("指标", "Figure"))
    out = {row[0]: list(row[1:]) for row in rows[header + 1 :]}
    out["_grids"] = list(rows[header][2:])
    return out


def test_ledger_rows_and_columns(world, data):
    book = export(world, **Q3)
    assert book.sheetnames == ["隐患台账", "汇总"]
    rows = ledger_rows(book)
    in_q3 = [h for h in data.hazards if park(2026, 7, 1) <= h.found_at < park(2026, 10, 1)]
    assert len(rows) == len(in_q3) > 20
    assert [r["序号"] for r in rows] == list(range(1, len(rows) + 1))
    assert list(rows[0]) == [
        "序号", "隐患编号", "企业名称", "所属网格", "隐患部位", "隐患描述", "隐患类别", "隐患等级", "来源", "发现日期",
        "发现人", "整改期限", "整改责任人", "状态", "整改完成日期", "验收人", "销号日期", "逾期天数",
    ]  # fmt: skip
    found_dates = [r["发现日期"].date() for r in rows]
    assert found_dates == sorted(found_dates)
    # The hazard found at 23:30 park time on 30 September is dated that day (UTC would still say 30th, fine)
    # and the one at 00:30 on 1 October is not in the Q3 ledger although UTC calls it 30 September.
    assert found_dates[-1] == date(2026, 9, 30)
    night = [r for r in rows if r["发现日期"].date() == date(2026, 9, 30) and r["销号日期"]
             and r["销号日期"].date() == date(2026, 10, 5)]  # fmt: skip
    assert len(night) == 1 and night[0]["状态"] == "已销号" and night[0]["验收人"] == "office"
    assert night[0]["企业名称"] == "苏州恒瑞精密机械有限公司" and night[0]["所属网格"] == "第一网格"
    assert night[0]["隐患类别"] == "消防安全" and night[0]["隐患等级"] == "一般隐患"
    assert night[0]["逾期天数"] is None
    open_overdue = [r for r in rows if r["隐患类别"] == "危险化学品" and r["发现日期"].date() == date(2026, 9, 10)]
    assert len(open_overdue) == 1 and open_overdue[0]["状态"] == "待整改" and open_overdue[0]["逾期天数"] >= 60
    assert open_overdue[0]["销号日期"] is None
    late = [r for r in rows if r["隐患等级"] == "重大隐患" and r["发现日期"].date() == date(2026, 8, 2)]
    assert late and late[0]["逾期天数"] == 16  # deadline 9 August, closed 25 August


def test_totals_sheet_has_the_api_figures(world, data):
    book = export(world, **Q3)
    sheet = totals(book)
    api = world.get(
        "office",
        "/api/v1/stats/summary",
        query_string={"from": Q3["found_from"], "to": Q3["found_to"], "group_by": "grid"},  # fmt: skip
    ).get_json()
    figures = {
        "检查次数": "inspections", "发现隐患（项）": "found", "期内销号（项）": "closed",
        "已整改销号（项）": "rectified",
        "按期整改（项）": "rectified_on_time", "未整改（项）": "open", "逾期未整改（项）": "overdue",
        "重大隐患（项）": "major_found", "重大隐患未整改（项）": "major_open", "整改率": "rectification_rate",
        "按期整改率": "on_time_rate",
    }  # fmt: skip
    assert sheet["_grids"] == [g["label"] for g in api["groups"]]
    for row_label, key in figures.items():
        want = [api["totals"][key]] + [g[key] for g in api["groups"]]
        got = sheet[row_label]
        if key.endswith("rate"):
            assert got == [pytest.approx(v) for v in want], row_label
        else:
            assert got == want, row_label
    assert sheet["发现隐患（项）"][0] == len(ledger_rows(book))


def test_status_filter_selects_rows_and_says_so(world, data):
    book = export(world, status="closed", **Q3)
    rows = ledger_rows(book)
    assert rows and {r["状态"] for r in rows} == {"已销号"}
    notes = [row[0] for row in book.worksheets[1].iter_rows(values_only=True) if row[0]]
    assert any("状态/逾期筛选只作用于明细" in n for n in notes)
    overdue = ledger_rows(export(world, overdue="true"))
    assert overdue and all(r["逾期天数"] and r["状态"] != "已销号" for r in overdue)


def test_ledger_in_english(world, data):
    book = export(world, lang="en", category="fire", **Q3)
    assert book.sheetnames == ["Hazard ledger", "Totals"]
    rows = ledger_rows(book)
    assert rows and {r["Category"] for r in rows} == {"Fire safety"}
    assert totals(book)["Hazards found"][0] == len(rows)


def test_leader_may_export_others_may_not(world, data):
    assert len(ledger_rows(export(world, "leader"))) == len(data.hazards)
    for user in ("insp_a", "ent_a", "admin"):
        r = world.get(user, URL)
        assert r.status_code == 403 and r.get_json()["message"]
    assert world.client.get(URL).status_code == 401


def test_bad_filters_are_422(world, data):
    before = count(Hazard)
    for params, field in (({"category": "nope"}, "category"), ({"found_from": "soon"}, "found_from")):
        r = world.get("office", URL, query_string=params)
        assert r.status_code == 422 and field in r.get_json()["errors"]
    assert count(Hazard) == before


def test_empty_ledger_has_headers_and_null_rates(world):
    book = export(world)
    assert ledger_rows(book) == []
    sheet = totals(book)
    assert sheet["发现隐患（项）"][0] == 0 and sheet["整改率"][0] == "—"
