"""The office dashboard (`/`) in a real headless Chromium against the app on a real port.

Data is made through the API (the phones' way) and the figures the page shows are compared with the API's
own answers for the same data. Every asset must come from the app itself: no request may leave the live server.
Screenshots go to test-artifacts/screenshots/ (git-ignored); docs/screenshots/ holds small copies taken on
the demo park.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from server.extensions import db
from tests.browser import shot
from tests.conftest import PASSWORD, PLAN_FOR_TESTS, park_iso, small_jpeg

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

PARK = ZoneInfo("Asia/Shanghai")
KPIS = 7


# -- data --------------------------------------------------------------------------------------------


@pytest.fixture
def dataset(world, phone):
    """Four hazards: one overdue (found 10 days ago, 3-day deadline) with a before photo, one fresh,
    one awaiting verification (the enterprise submitted its rectification), one major."""
    found = datetime.now(PARK) - timedelta(days=10)
    overdue = phone.hazard(
        "insp_a",
        0,
        found_at=found.isoformat(),
        deadline=(found + timedelta(days=3)).date().isoformat(),
        category="fire",
        location="一号仓库北侧消防通道",
        description="消防通道堆放成品货物，疏散通道宽度不足",
    )
    assert phone.photo("insp_a", overdue["id"], "before", small_jpeg(1)).status_code == 201
    fresh = phone.hazard("insp_b", 1, category="electrical", description="配电房门口未设置挡鼠板")
    awaiting = phone.hazard("insp_a", 0, category="hazchem", description="危化品仓库未张贴安全周知卡")
    assert phone.photo("ent_a", awaiting["id"], "after", small_jpeg(2)).status_code == 201
    r = world.post(
        "ent_a",
        f"/api/v1/hazards/{awaiting['id']}/rectification",
        json={"description": "已张贴安全周知卡并组织学习", "completed_at": park_iso(hours=-1), "cost": 200},
    )
    assert r.status_code == 200, r.get_json()
    major = phone.hazard(
        "insp_b", 1, category="dust", level="major", plan=PLAN_FOR_TESTS, description="除尘系统未设置泄爆装置"
    )
    return {"overdue": overdue, "fresh": fresh, "awaiting": awaiting, "major": major}


def api(world, url, user="office", **query):
    r = world.get(user, url, query_string=query)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def park_quarter() -> str:
    now = datetime.now(PARK)
    return f"{now.year}Q{(now.month - 1) // 3 + 1}"


# -- browser helpers -------------------------------------------------------------------------------------


class Watch:
    """Every request the page makes, and every console error or uncaught exception."""

    def __init__(self, page):
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def foreign(self, base: str) -> list[str]:
        return [url for url in self.requests if not url.startswith(base + "/")]


def log_in(page, username="office", password=PASSWORD):
    page.goto("/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def logged_in(office_context, username="office"):
    page = office_context.new_page()
    watch = Watch(page)
    log_in(page, username)
    expect(page.get_by_test_id("logout")).to_be_visible()
    return page, watch


def listed_ids(page) -> list[int]:
    return sorted(
        int(i) for i in page.get_by_test_id("hazard-row").evaluate_all("rows => rows.map(r => r.dataset.hazardId)")
    )


def wait_for_list(page, ids) -> None:
    """Wait until the hazard list shows exactly `ids` (and has finished loading)."""
    expected = sorted(ids)
    try:
        page.wait_for_function(
            """ids => {
                const table = document.querySelector('[data-testid=hazard-table]');
                if (!table || table.hasAttribute('aria-busy')) return false;
                const rows = table.querySelectorAll('[data-testid=hazard-row]');
                const got = [...rows].map(r => Number(r.dataset.hazardId));
                return JSON.stringify(got.sort((a, b) => a - b)) === JSON.stringify(ids);
            }""",
            arg=expected,
            timeout=10_000,
        )
    except Exception:
        assert listed_ids(page) == expected
        raise


def image_loaded(locator) -> bool:
    return locator.evaluate("img => img.complete && img.naturalWidth > 0")


def test_office_logs_in_and_sees_the_figures_the_overdue_hazard_and_the_charts(
    world, dataset, live_server, office_context
):
    page = office_context.new_page()
    watch = Watch(page)
    page.goto("/")
    expect(page.get_by_test_id("login-form")).to_be_visible()
    log_in(page)
    expect(page.get_by_test_id("user-name")).to_have_text("office")

    # Key figures: exactly the API's, for this park quarter and for everything open now.
    page.wait_for_function(f"document.querySelectorAll('.kpi.is-loaded').length === {KPIS}")
    quarter = api(world, "/api/v1/stats/summary", quarter=park_quarter())["totals"]
    now = api(world, "/api/v1/stats/summary")["totals"]
    assert now["open"] == 4 and now["overdue"] == 1 and now["major_open"] == 1
    expected = {
        "kpi-found": quarter["found"],
        "kpi-closed": quarter["closed"],
        "kpi-rectification-rate": quarter["rectification_rate"],
        "kpi-on-time-rate": quarter["on_time_rate"],
        "kpi-open": now["open"],
        "kpi-overdue": now["overdue"],
        "kpi-major-open": now["major_open"],
    }
    for testid, value in expected.items():
        shown = page.get_by_test_id(testid).locator(".kpi-value")
        if testid.endswith("rate"):
            text = "—" if value is None else f"{value * 100:.1f}%"
            assert shown.inner_text() == text, testid
            raw = shown.get_attribute("data-value")
            assert (raw == "") if value is None else (float(raw) == pytest.approx(value)), testid
        else:
            assert shown.inner_text() == str(value), testid

    # The overdue list: the one overdue hazard, with its enterprise, description, deadline and days overdue.
    hazard = api(world, f"/api/v1/hazards/{dataset['overdue']['id']}")
    assert hazard["overdue"] and hazard["days_overdue"] >= 6
    rows = page.get_by_test_id("overdue-row")
    expect(rows).to_have_count(1)
    row = rows.first
    assert row.get_attribute("data-hazard-id") == str(hazard["id"])
    assert hazard["enterprise_name"] in row.inner_text()
    assert hazard["description"] in row.inner_text()
    assert f"{hazard['days_overdue']} 天" in row.inner_text()
    deadline = datetime.fromisoformat(hazard["deadline"]).astimezone(PARK).strftime("%Y/%m/%d")
    assert deadline in row.inner_text()
    expect(page.get_by_test_id("overdue-count")).to_have_text("1 项")

    # Charts: the vendored Chart.js is loaded, and each canvas holds a chart of non-zero size.
    assert page.evaluate("typeof Chart") == "function"
    for name in ("chart-trend", "chart-category", "chart-grid"):
        canvas = page.get_by_test_id(name)
        page.wait_for_function("c => window.Chart && Chart.getChart(c) !== undefined", arg=canvas.element_handle())
        box = canvas.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, name
    month_found = page.evaluate(
        "() => Chart.getChart(document.querySelector('[data-testid=chart-trend]')).data.datasets[0].data"
    )
    assert len(month_found) == 12 and sum(month_found) == 4
    shot(page, "office-dashboard")

    # A click on the overdue row opens the hazard page.
    row.click()
    expect(page.get_by_test_id("hazard-detail")).to_have_attribute("data-hazard-id", str(hazard["id"]))
    assert page.url.endswith(f"#/hazards/{hazard['id']}")

    assert watch.foreign(live_server.url) == []
    assert watch.errors == []


def test_wrong_password_shows_the_api_message_and_inspectors_are_sent_to_the_mobile_app(
    world, live_server, office_context
):
    page = office_context.new_page()
    log_in(page, "office", "not-the-password")
    message = world.client.post("/api/v1/auth/token", json={"username": "office", "password": "x"}).get_json()
    error = page.get_by_test_id("login-error")
    expect(error).to_have_text(message["message"])
    assert "用户名或密码错误" in message["message"]
    expect(page.get_by_test_id("login-form")).to_be_visible()
    expect(page.get_by_test_id("logout")).to_have_count(0)

    log_in(page, "insp_a")
    expect(error).to_contain_text("手机端")
    expect(error.get_by_role("link")).to_have_attribute("href", "/m/")
    expect(page.get_by_test_id("login-form")).to_be_visible()
    expect(page.get_by_test_id("logout")).to_have_count(0)
    assert page.evaluate("localStorage.getItem('park.session')") is None

    log_in(page, "ent_a")
    expect(error).to_contain_text("/m/")
    assert page.evaluate("localStorage.getItem('park.session')") is None


def test_hazard_page_shows_photos_history_and_reminders(world, dataset, live_server, office_context):
    from server.reminders import service as reminders
    from server.reminders.models import ReminderDelivery

    reminders.sweep(send=False)
    reminders.deliver(list(db.session.scalars(sa.select(ReminderDelivery.id))))
    hazard_id = dataset["overdue"]["id"]

    page, watch = logged_in(office_context)
    page.goto(f"/#/hazards/{hazard_id}")
    expect(page.get_by_test_id("hazard-title")).to_have_text("消防通道堆放成品货物，疏散通道宽度不足")
    expect(page.get_by_test_id("hazard-overdue")).to_be_visible()

    thumb = page.get_by_test_id("photos-before").locator("img")
    expect(thumb).to_have_count(1)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    assert "/thumbnail?" in thumb.get_attribute("src")
    assert page.get_by_test_id("photos-after").locator("img").count() == 0

    history = page.get_by_test_id("history-item")
    expect(history.first).to_have_attribute("data-action", "registered")
    expect(history.first).to_contain_text("登记")
    expect(history.first).to_contain_text("张建国")
    expect(page.get_by_test_id("history")).to_contain_text("上传照片")

    reminder_rows = page.get_by_test_id("reminder-row")
    expected = api(world, "/api/v1/reminders", hazard_id=hazard_id)["total"]
    assert expected > 0
    expect(reminder_rows).to_have_count(expected)
    shot(page, "office-hazard")

    page.get_by_test_id("photo-thumb-before").click()
    big = page.get_by_test_id("lightbox-image")
    expect(big).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=big.element_handle())
    assert "/display?" in big.get_attribute("src")
    assert "/original?" in page.get_by_test_id("lightbox-original").get_attribute("href")
    page.get_by_test_id("lightbox-close").click()
    expect(big).to_be_hidden()

    # The awaiting hazard shows its after photo, its rectification, and the office's verification form.
    page.goto(f"/#/hazards/{dataset['awaiting']['id']}")
    expect(page.get_by_test_id("rectification")).to_contain_text("已张贴安全周知卡并组织学习")
    after = page.get_by_test_id("photos-after").locator("img")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=after.element_handle())
    # ... and the office accepts it there: the hazard is closed (销号), as the API confirms.
    page.get_by_test_id("verify-form").get_by_role("button", name="提交验收结果").click()
    expect(page.get_by_test_id("hazard-detail").locator(".badge.status-closed")).to_have_text("已销号")
    expect(page.get_by_test_id("history-item").last).to_have_attribute("data-action", "closed")
    assert api(world, f"/api/v1/hazards/{dataset['awaiting']['id']}")["status"] == "closed"

    assert watch.foreign(live_server.url) == []
    assert watch.errors == []


def test_hazard_list_filters_show_exactly_the_matching_hazards(world, dataset, live_server, office_context):
    page, watch = logged_in(office_context)
    everything = [h["id"] for h in dataset.values()]
    page.get_by_test_id("nav-hazards").click()
    wait_for_list(page, everything)
    expect(page.get_by_test_id("hazard-total")).to_have_text("共 4 项")

    def reset():
        page.get_by_test_id("filter-reset").click()
        page.wait_for_url("**/#/hazards")
        wait_for_list(page, everything)

    def apply(**choices):
        reset()
        for name, label in choices.items():
            page.get_by_test_id(f"filter-{name}").select_option(label=label)
        page.get_by_test_id("filter-submit").click()

    apply(status="待验收")
    wait_for_list(page, [dataset["awaiting"]["id"]])
    assert "status=awaiting_verification" in page.url
    expect(page.get_by_test_id("hazard-status")).to_have_text("待验收")

    apply(category="消防安全")
    wait_for_list(page, [dataset["overdue"]["id"]])

    apply(level="重大隐患")
    wait_for_list(page, [dataset["major"]["id"]])

    apply(grid="第二网格")
    api_ids = [h["id"] for h in api(world, "/api/v1/hazards", grid_id=world.grids[1].id)["items"]]
    wait_for_list(page, api_ids)
    assert sorted(api_ids) == sorted([dataset["fresh"]["id"], dataset["major"]["id"]])

    reset()
    page.get_by_test_id("filter-overdue").check()
    page.get_by_test_id("filter-submit").click()
    wait_for_list(page, [dataset["overdue"]["id"]])

    reset()
    page.get_by_test_id("filter-q").fill("周知卡")
    page.get_by_test_id("filter-enterprise").fill(world.enterprises[0].name)
    page.get_by_test_id("filter-submit").click()
    wait_for_list(page, [dataset["awaiting"]["id"]])
    assert f"enterprise_id={world.enterprises[0].id}" in page.url

    # Found 10 days ago: a date range ending the day before yesterday holds only the overdue hazard.
    reset()
    page.get_by_test_id("filter-to").fill((datetime.now(PARK) - timedelta(days=2)).date().isoformat())
    page.get_by_test_id("filter-submit").click()
    wait_for_list(page, [dataset["overdue"]["id"]])

    # The filters are in the address: opening it again shows the same list.
    page.goto("/#/hazards?status=awaiting_verification")
    wait_for_list(page, [dataset["awaiting"]["id"]])
    expect(page.get_by_test_id("filter-status")).to_have_value("awaiting_verification")

    assert watch.foreign(live_server.url) == []
    assert watch.errors == []


def test_export_downloads_the_ledger_with_the_list_filters(world, dataset, live_server, office_context, tmp_path):
    page, _ = logged_in(office_context)

    def export() -> list[int]:
        with page.expect_download() as info:
            page.get_by_test_id("export-ledger").click()
        download = info.value
        assert download.suggested_filename == "隐患台账.xlsx"
        target = tmp_path / f"ledger-{len(list(tmp_path.iterdir()))}.xlsx"
        download.save_as(target)
        book = openpyxl.load_workbook(target)
        rows = list(book.worksheets[0].iter_rows(values_only=True))
        assert rows[0][:3] == ("序号", "隐患编号", "企业名称")
        return sorted(row[1] for row in rows[1:])

    page.goto("/#/hazards")
    wait_for_list(page, [h["id"] for h in dataset.values()])
    assert export() == sorted(h["id"] for h in dataset.values())

    page.get_by_test_id("filter-status").select_option("registered")
    page.get_by_test_id("filter-submit").click()
    registered = [h["id"] for h in api(world, "/api/v1/hazards", status="registered")["items"]]
    wait_for_list(page, registered)
    assert export() == sorted(registered)
    expect(page.get_by_test_id("export-status")).to_contain_text("已下载")


def test_briefs_page_lists_briefs_with_working_downloads_and_requests_one(world, dataset, live_server, office_context):
    from server.briefs import service

    brief = service.request_brief(world.users["office"], {"quarter": "2026Q3"})
    db.session.commit()
    assert service.generate(brief.id).status == "ready"

    page, watch = logged_in(office_context)
    page.get_by_test_id("nav-briefs").click()
    row = page.locator(f"[data-testid=brief-row][data-brief-id='{brief.id}']")
    expect(row).to_have_attribute("data-status", "ready")
    expect(row).to_contain_text("2026年第三季度")
    expect(row.get_by_test_id("brief-status")).to_contain_text("已生成")

    pdf = page.request.get(row.get_by_test_id("brief-pdf").get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body()[:5] == b"%PDF-"
    docx = page.request.get(row.get_by_test_id("brief-docx").get_attribute("href"))
    assert docx.ok and "wordprocessingml" in docx.headers["content-type"] and docx.body()[:2] == b"PK"
    shot(page, "office-briefs")

    # Asking for last quarter's brief: the request is accepted and the new brief shows as being made.
    page.get_by_test_id("brief-request-last").click()
    expect(page.get_by_test_id("brief-message")).to_contain_text("正在生成")
    expect(page.locator("[data-testid=brief-row][data-status=pending]")).to_have_count(1)
    expect(page.get_by_test_id("brief-row")).to_have_count(2)
    assert api(world, "/api/v1/briefs")["total"] == 2

    assert watch.foreign(live_server.url) == []
    assert watch.errors == []
