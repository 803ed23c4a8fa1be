"""Briefs: the API, the figures (which must agree with /stats/summary and the ledger), the .docx and the PDF."""

from __future__ import annotations

import io
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import docx
import openpyxl
import pytest
from PIL import Image

from server.briefs import service
from server.briefs.models import Brief
from server.extensions import db
from server.notifications.models import Notification
from tests import statsdata
from tests.conftest import count
from tests.statsdata import park
from tests.workers import Worker, wait_until

COUNTS = ("inspections", "found", "closed", "open", "overdue", "major_found", "major_open", "rectified")


@pytest.fixture
def data(world):
    return statsdata.build(world)


def request(world, body, user="office"):
    r = world.post(user, "/api/v1/briefs", json=body)
    assert r.status_code == 202, r.get_json()
    assert r.get_json()["status"] == "pending"
    return r.get_json()["id"]


def made(world, body) -> dict:
    """Ask through the API, make it as the worker would, read it back through the API."""
    brief_id = request(world, body)
    service.generate(brief_id)
    r = world.get("office", f"/api/v1/briefs/{brief_id}")
    assert r.status_code == 200
    brief = r.get_json()
    assert brief["status"] == "ready", brief["error"]
    return brief


def download(world, url: str) -> bytes:
    r = world.client.get(url)  # a signed link needs no token
    assert r.status_code == 200, r.get_data(as_text=True)[:200]
    return r.data


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def pct(rate) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def test_api_ledger_and_brief_agree_and_the_documents_show_it(world, data, tmp_path):
    brief = made(world, {"quarter": "2026Q3"})
    figures = brief["figures"]
    assert brief["label"] == "2026年第三季度" and figures["period"]["quarter"] == "2026Q3"
    as_of = brief["as_of"]
    # 1. the API, as of the brief's own instant
    api = world.get(
        "office", "/api/v1/stats/summary", query_string={"quarter": "2026Q3", "as_of": as_of, "group_by": "grid"}
    ).get_json()
    assert figures["totals"] == api["totals"]
    assert [(g["key"], g["found"], g["open"]) for g in figures["by_grid"]] == [
        (g["key"], g["found"], g["open"]) for g in api["groups"]
    ]
    # …and the independent reference
    want = statsdata.expected(data, park(2026, 7, 1), park(2026, 10, 1), datetime.fromisoformat(as_of))[None]
    for name in COUNTS:
        assert figures["totals"][name] == want[name], name
    q2 = statsdata.expected(data, park(2026, 4, 1), park(2026, 7, 1), datetime.fromisoformat(as_of))[None]
    q3_2025 = statsdata.expected(data, park(2025, 7, 1), park(2025, 10, 1), datetime.fromisoformat(as_of))[None]
    assert figures["previous"]["totals"]["found"] == q2["found"] and figures["previous"]["label"] == "2026年第二季度"
    assert figures["last_year"]["totals"]["found"] == q3_2025["found"]
    # 2. the ledger's totals sheet for the same hazards
    r = world.get(
        "office",
        "/api/v1/hazards/export.xlsx",
        query_string={"found_from": "2026-07-01T00:00:00", "found_to": "2026-10-01T00:00:00"},
    )
    sheet = openpyxl.load_workbook(io.BytesIO(r.data)).worksheets[1]
    ledger = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and row[0]}
    assert ledger["发现隐患（项）"] == figures["totals"]["found"]
    assert ledger["未整改（项）"] == figures["totals"]["open"]
    assert ledger["逾期未整改（项）"] == figures["totals"]["overdue"]
    assert ledger["已整改销号（项）"] == figures["totals"]["rectified"]
    assert ledger["期内销号（项）"] == figures["totals"]["closed"]
    assert ledger["检查次数"] == figures["totals"]["inspections"]
    assert ledger["整改率"] == pytest.approx(figures["totals"]["rectification_rate"])
    # 3. the .docx says the same numbers
    text = docx_text(download(world, brief["files"]["docx"]))
    assert "2026年第三季度安全生产工作通报" in text
    assert "截至" in text
    for heading in ("一、总体情况", "二、隐患分布情况", "三、逾期及重大隐患情况", "四、安全生产工作开展情况", "五、"):
        assert heading in text
    totals = figures["totals"]
    assert f"发现安全隐患{totals['found']}项" in text or f"{totals['found']}项" in text
    for name in COUNTS:
        assert str(totals[name]) in text, name
    assert pct(totals["rectification_rate"]) in text and pct(totals["on_time_rate"]) in text
    overdue_row = figures["overdue_major"][0]
    assert overdue_row["enterprise"] in text
    assert any(row["description"] in text for row in figures["overdue_major"])
    # 4. the PDF has pages with rendered content
    pdf = tmp_path / "brief.pdf"
    pdf.write_bytes(download(world, brief["files"]["pdf"]))
    assert pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(tmp_path / "page")], check=True, timeout=60)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 2
    for page in pages[:2]:
        with Image.open(page) as image:
            grey = image.convert("L")
            dark = sum(grey.histogram()[:200])
            assert dark > 0.01 * grey.width * grey.height, page.name
    words = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "安全生产工作通报" in words and str(totals["found"]) in words


def test_empty_period_prints_dashes_not_100_percent(world, data):
    brief = made(world, {"from": "2024-01-01", "to": "2024-03-31"})
    assert brief["label"] == "2024年1月1日至2024年3月31日"
    assert brief["figures"]["totals"]["found"] == 0
    assert brief["figures"]["totals"]["rectification_rate"] is None
    text = docx_text(download(world, brief["files"]["docx"]))
    assert "—" in text and "100.0%" not in text


def test_ready_brief_is_announced_to_office_and_leaders(world, data):
    brief = made(world, {"quarter": "2026Q2"})
    notes = {n.user_id: n for n in db.session.query(Notification).filter_by(brief_id=brief["id"])}
    assert set(notes) == {world.users["office"].id, world.users["leader"].id}
    assert "2026年第二季度" in notes[world.users["office"].id].title
    listed = world.get("leader", "/api/v1/notifications").get_json()["items"]
    assert listed[0]["brief_id"] == brief["id"]


def test_files_need_a_signature_or_a_reader_token(world, data):
    brief = made(world, {"quarter": "2026Q3"})
    url = brief["files"]["pdf"]
    path = url.split("?")[0]
    assert world.client.get(path).status_code == 401
    assert world.client.get(url.replace("signature=", "signature=0")).status_code == 401
    assert world.get("leader", path).status_code == 200
    r = world.get("insp_a", path)
    assert r.status_code == 403 and r.get_json()["message"]
    assert world.get("office", path.replace("brief.pdf", "brief.exe")).status_code == 404
    assert world.get("office", f"/api/v1/briefs/{brief['id'] + 99}/brief.pdf").status_code == 404


def test_readers_and_writers(world, data):
    brief_id = request(world, {"quarter": "2026Q3"})
    assert world.get("leader", f"/api/v1/briefs/{brief_id}").get_json()["status"] == "pending"
    assert world.get("leader", f"/api/v1/briefs/{brief_id}").get_json()["files"] is None
    items = world.get("leader", "/api/v1/briefs").get_json()["items"]
    assert [b["id"] for b in items] == [brief_id]
    before = count(Brief)
    for user in ("leader", "insp_a", "ent_a", "admin"):
        r = world.post(user, "/api/v1/briefs", json={"quarter": "2026Q3"})
        assert r.status_code == 403 and r.get_json()["message"]
    for user in ("insp_a", "ent_a"):
        assert world.get(user, f"/api/v1/briefs/{brief_id}").status_code == 403
        assert world.get(user, "/api/v1/briefs").status_code == 403
    assert count(Brief) == before


@pytest.mark.parametrize(
    "body,field",
    [
        ({"quarter": "2026Q9"}, "quarter"),
        ({"quarter": "2026Q3", "from": "2026-07-01", "to": "2026-07-31"}, "quarter"),
        ({}, "quarter"),
        ({"from": "2026-07-01"}, "to"),
        ({"from": "2026-07-31", "to": "2026-07-01"}, "to"),
        ({"quarter": "2099Q1"}, "quarter"),
        ({"from": "2026-02-30", "to": "2026-03-31"}, "from"),
        ({"quarter": "2026Q3", "language": "fr"}, "language"),
        ({"quarter": "2026Q3", "colour": "red"}, "colour"),
    ],
)
def test_bad_requests_are_422_and_store_nothing(world, body, field):
    r = world.post("office", "/api/v1/briefs", json=body)
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["message"] and field in r.get_json()["errors"]
    assert count(Brief) == 0


def test_a_failed_brief_says_why(world, data, monkeypatch):
    monkeypatch.setenv("SOFFICE_PATH", "/nonexistent/soffice")
    brief_id = request(world, {"quarter": "2026Q3"})
    brief = service.generate(brief_id)
    assert brief.status == "failed" and "soffice" in brief.error
    body = world.get("office", f"/api/v1/briefs/{brief_id}").get_json()
    assert body["status"] == "failed" and body["files"] is None
    assert not Path(world.client.application.config["MEDIA_ROOT"], "briefs", str(brief_id)).exists()
    assert service.generate(brief_id).status == "failed"  # not retried blindly


def test_beat_makes_the_last_quarters_brief_once(world, data):
    first_day = park(2026, 10, 1, 6)
    brief = service.quarterly(now=first_day)
    assert brief is not None and brief.label == "2026年第三季度" and brief.requested_by_id is None
    assert (brief.period_from, brief.period_to) == (park(2026, 7, 1), park(2026, 10, 1))
    assert service.quarterly(now=first_day) is None
    assert count(Brief) == 1
    january = service.quarterly(now=datetime(2026, 12, 31, 16, 30, tzinfo=UTC))  # 00:30 on 1 January, park time
    assert january.label == "2026年第四季度"


def test_english_brief(world, data):
    brief = made(world, {"quarter": "2026Q3", "language": "en"})
    assert brief["label"] == "2026 Q3"
    text = docx_text(download(world, brief["files"]["docx"]))
    assert "Overview" in text and str(brief["figures"]["totals"]["found"]) in text


def test_a_real_worker_makes_the_brief_asked_for_through_the_api(app, world, data, tmp_path):
    proc = Worker(app, tmp_path, "briefs").wait_ready()
    try:
        brief_id = request(world, {"quarter": "2026Q3"})

        def ready() -> bool:
            db.session.expire_all()
            return db.session.get(Brief, brief_id).status != "pending"

        assert wait_until(ready, timeout=120), proc.log_path.read_text()[-3000:]
    finally:
        proc.stop()
    body = world.get("office", f"/api/v1/briefs/{brief_id}").get_json()
    assert body["status"] == "ready", body["error"]
    assert (
        body["figures"]["totals"]["found"]
        == statsdata.expected(data, park(2026, 7, 1), park(2026, 10, 1), datetime.fromisoformat(body["as_of"]))[None][
            "found"
        ]
    )
    assert download(world, body["files"]["pdf"]).startswith(b"%PDF")
    assert "worker.tasks.generate_brief" in proc.log_path.read_text()


def test_beat_schedule_runs_the_quarterly_brief_on_each_quarters_first_day(app):
    from server.celery_setup import celery_init_app

    schedule = celery_init_app(app).conf.beat_schedule
    entry = schedule["quarterly-brief"]
    assert entry["task"] == "worker.tasks.quarterly_brief"
    cron = entry["schedule"]
    assert cron.month_of_year == {1, 4, 7, 10} and cron.day_of_month == {1}
    assert (cron.hour, cron.minute) == ({6}, {0})
    assert str(celery_init_app(app).conf.timezone) == "Asia/Shanghai"  # crontabs are read in park time
    assert schedule["generate-pending-briefs"]["task"] == "worker.tasks.generate_pending_briefs"
