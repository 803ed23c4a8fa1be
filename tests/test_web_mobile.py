"""The mobile app (/m/) in real headless Chromium on a 360-px phone, against the app on a real port.

An inspector picks an enterprise, starts an inspection and registers hazards with photos; offline, the
records wait in the phone's outbox (IndexedDB) and the app shell still opens (service worker); back online
they are sent by themselves, once. A retry of a request the server already took creates nothing new. An
enterprise uploads an after photo and submits its rectification. The app is installable (manifest, icons,
an activated service worker), talks to no other host and logs no errors.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from server.enterprises.creditcode import generate
from server.enterprises.service import create_enterprise
from server.extensions import db
from server.hazards.models import Hazard, Photo
from server.inspections.models import Inspection
from tests.browser import shot
from tests.conftest import PASSWORD, count

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "screenshots"
WEB_M = ROOT / "web" / "m"
PHONE_WIDTH = 360
# What a browser logs by itself when a request fails on purpose in a test (offline, aborted, refused log-in).
EXPECTED_NETWORK_NOISE = re.compile(
    r"Failed to load resource: net::(ERR_INTERNET_DISCONNECTED|ERR_FAILED|ERR_CONNECTION_RESET)"
)


def photo_file(tmp_path: Path, name: str, seed: int) -> Path:
    """A real JPEG (640x480) that looks like a site photo; different bytes for each seed."""
    rng = random.Random(seed)
    im = Image.new("RGB", (640, 480), (rng.randint(150, 200), rng.randint(150, 200), rng.randint(150, 200)))
    draw = ImageDraw.Draw(im)
    draw.rectangle((0, 330, 640, 480), fill=(110, 104, 96))
    draw.rectangle((230, 90, 420, 330), fill=(205, 210, 215), outline=(60, 60, 60), width=6)
    draw.rectangle((250, 110, 400, 150), fill=(240, 200, 40))
    for i in range(5):
        x = 60 + i * 34 + rng.randint(-6, 6)
        draw.rectangle((x, 250 - i * 8, x + 120, 330), fill=(176 + i * 6, 130, 70), outline=(90, 60, 30), width=3)
    path = tmp_path / name
    im.save(path, "JPEG", quality=85)
    return path


def doc_shot(page, name: str) -> None:
    """A test artefact always; a small, commit-ready copy in docs/screenshots when UPDATE_DOCS_SCREENSHOTS=1."""
    expect(page.locator("#toast.show")).to_have_count(0)  # the screen itself, not a passing message
    path = shot(page, f"mobile-{name}")
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") != "1":
        return
    im = Image.open(path).convert("RGB")
    if im.width > 400:
        im = im.resize((400, round(im.height * 400 / im.width)), Image.LANCZOS)
    DOCS.mkdir(parents=True, exist_ok=True)
    target = DOCS / f"mobile-{name}.png"
    im.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(target, optimize=True)
    assert target.stat().st_size < 150_000, f"{target} is {target.stat().st_size} bytes"


class Watch:
    """Every request the page makes, console errors and uncaught page errors."""

    def __init__(self, page, live_server):
        self.origin = live_server.url
        self.foreign: list[str] = []
        self.errors: list[str] = []
        self.writes: Counter[str] = Counter()  # "POST /api/v1/hazards/<id>/photos" → how many were sent
        page.on("request", self._request)
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    def _request(self, request):
        url = request.url
        if not (url.startswith(self.origin + "/") or url.startswith(("data:", "blob:"))):
            self.foreign.append(url)
        elif request.method != "GET" and url.startswith(self.origin + "/api/"):
            path = re.sub(r"/\d+(?=/|$)", "/<id>", urlsplit(url).path)
            self.writes[f"{request.method} {path}"] += 1

    def check(self, allowed: re.Pattern | None = None) -> None:
        assert self.foreign == [], f"requests to other hosts: {self.foreign}"
        unexpected = [e for e in self.errors if not (allowed and allowed.search(e))]
        assert unexpected == [], f"console errors: {unexpected}"


def wait_until(page, predicate, timeout: float = 15.0, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()  # a fresh snapshot of what the server committed
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        page.wait_for_timeout(150)


def no_horizontal_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"the page is {width}px wide on a {PHONE_WIDTH}px phone"


def log_in(page, username: str) -> None:
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("tabbar")).to_be_visible()


def pending(page):
    return page.get_by_test_id("pending-count")


def register_hazard(page, photo: Path, description: str, location: str, category: str = "electrical") -> None:
    page.get_by_test_id("new-hazard").click()
    page.get_by_test_id("photo-input").set_input_files(str(photo))
    expect(page.get_by_test_id("photo-preview")).to_have_count(1)
    page.get_by_test_id("hazard-description").fill(description)
    page.get_by_test_id("hazard-location").fill(location)
    page.locator(f"label:has([data-testid=category-{category}])").click()


@pytest.fixture
def park(world):
    """The world of conftest, with two more enterprises in insp_a's grid and coordinates for all three."""
    rng = random.Random(7)
    extra = [
        ("苏州恒通包装材料有限公司", "星湖街 88 号", 31.3005, 120.7402),
        ("苏州瑞丰电子科技有限公司", "金鸡湖大道 1355 号", 31.3300, 120.7200),
    ]
    for name, address, lat, lon in extra:
        create_enterprise(
            {"name": name, "credit_code": generate(rng), "grid_id": world.grids[0].id, "address": address}
            | {"lat": lat, "lon": lon}
        )
    first = world.enterprises[0]
    first.address, first.lat, first.lon = "苏州工业园区唯亭街道 18 号", 31.3100, 120.8000
    db.session.commit()
    return world


def test_inspector_registers_hazards_online_offline_and_the_app_opens_offline(
    phone_context, live_server, park, tmp_path
):
    world = park
    phone_context.grant_permissions(["geolocation"])
    phone_context.set_geolocation({"latitude": 31.3004, "longitude": 120.7400})  # at 苏州恒通包装
    page = phone_context.new_page()
    watch = Watch(page, live_server)
    page.goto("/m/")

    # Log-in: the API's own message for a wrong password.
    page.get_by_test_id("login-username").fill("insp_a")
    page.get_by_test_id("login-password").fill("wrong-password")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("login-error")).to_have_text("用户名或密码错误。")
    doc_shot(page, "login")
    log_in(page, "insp_a")

    # The enterprise picker: the grid's three enterprises, nearest first, searchable by name.
    items = page.get_by_test_id("enterprise-item")
    expect(items).to_have_count(3)
    expect(page.get_by_test_id("location-note")).to_have_text("按距离排序（最近的在前）")
    expect(items.first).to_contain_text("苏州恒通包装材料有限公司")
    expect(items.first.get_by_test_id("enterprise-distance")).to_contain_text("米")
    no_horizontal_scroll(page)
    doc_shot(page, "enterprise-picker")
    page.get_by_test_id("enterprise-search").fill("恒瑞")
    expect(items).to_have_count(1)
    items.first.click()

    # Start a routine inspection, register a hazard with a photo.
    expect(page.get_by_test_id("start-enterprise")).to_have_text("苏州恒瑞精密机械有限公司")
    page.get_by_test_id("start-inspection").click()
    expect(page.get_by_test_id("active-inspection")).to_contain_text("苏州恒瑞精密机械有限公司")
    register_hazard(
        page, photo_file(tmp_path, "first.jpg", 1), "配电箱前堆放纸箱等可燃物，占用检修通道", "二号车间配电间"
    )
    no_horizontal_scroll(page)
    page.evaluate("window.scrollTo(0, 0)")
    doc_shot(page, "hazard-form")
    page.get_by_test_id("save-hazard").click()
    expect(page.get_by_test_id("inspection-hazard")).to_have_count(1)
    expect(pending(page)).to_have_attribute("data-count", "0")
    expect(page.get_by_test_id("inspection-hazard")).to_contain_text("已上传")
    doc_shot(page, "inspection")

    wait_until(page, lambda: count(Photo) == 1, message="the first photo on the server")
    assert count(Inspection) == 1 and count(Hazard) == 1
    hazard = db.session.execute(sa.select(Hazard)).scalar_one()
    inspection = db.session.execute(sa.select(Inspection)).scalar_one()
    assert hazard.description == "配电箱前堆放纸箱等可燃物，占用检修通道"
    assert hazard.location == "二号车间配电间"
    assert (hazard.category, hazard.level, hazard.source) == ("electrical", "general", "inspection")
    assert hazard.enterprise_id == world.enterprises[0].id and hazard.inspection_id == inspection.id
    assert (inspection.enterprise_id, inspection.kind) == (world.enterprises[0].id, "routine")
    assert inspection.lat == pytest.approx(31.3004) and inspection.lon == pytest.approx(120.74)
    photo = db.session.execute(sa.select(Photo)).scalar_one()
    assert (photo.hazard_id, photo.stage) == (hazard.id, "before")
    assert photo.sha256 and photo.client_uuid
    watch.check(allowed=re.compile(r"status of 401"))  # only the refused log-in
    watch.errors.clear()

    # Offline: the second hazard waits on the phone.
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    phone_context.set_offline(True)
    expect(page.get_by_test_id("offline-banner")).to_be_visible()
    register_hazard(
        page, photo_file(tmp_path, "second.jpg", 2), "消防通道被成品货架占用", "成品仓库北门", category="fire"
    )
    page.get_by_test_id("save-hazard").click()
    expect(pending(page)).to_have_attribute("data-count", "1")
    expect(page.get_by_test_id("pending-chip")).to_contain_text("待上传")
    page.get_by_test_id("tab-outbox").click()
    expect(page.get_by_test_id("outbox-item")).to_have_count(1)
    expect(page.get_by_test_id("outbox-item")).to_have_attribute("data-state", "pending")
    expect(page.get_by_test_id("outbox-item")).to_contain_text("消防通道被成品货架占用")
    expect(page.get_by_test_id("sync-state")).to_have_text("当前离线：联网后自动上传")
    no_horizontal_scroll(page)
    doc_shot(page, "offline-pending")
    page.wait_for_timeout(500)
    db.session.rollback()
    assert count(Hazard) == 1 and count(Photo) == 1

    # Still offline: the app shell opens from the service worker, the waiting record survived (IndexedDB).
    response = page.reload()
    assert response.from_service_worker
    expect(page.get_by_test_id("tabbar")).to_be_visible()
    expect(page.get_by_test_id("offline-banner")).to_be_visible()
    expect(pending(page)).to_have_attribute("data-count", "1")
    expect(page.get_by_test_id("outbox-item")).to_contain_text("消防通道被成品货架占用")
    page.get_by_test_id("tab-inspect").click()
    expect(page.get_by_test_id("active-inspection")).to_contain_text("苏州恒瑞精密机械有限公司")
    back_online = datetime.now().astimezone()

    # Back online: it goes by itself, once — even with more sync requests arriving while it runs.
    phone_context.set_offline(False)
    page.evaluate(
        """async () => {
            const outbox = await import("/m/js/outbox.js");
            await Promise.all([outbox.sync({force: true}), outbox.sync(), outbox.sync({force: true})]);
        }"""
    )
    expect(pending(page)).to_have_attribute("data-count", "0", timeout=20_000)
    expect(page.get_by_test_id("offline-banner")).to_be_hidden()
    wait_until(page, lambda: count(Photo) == 2, message="the second photo on the server")
    assert count(Hazard) == 2 and count(Inspection) == 1
    uuids = db.session.execute(sa.select(Hazard.client_uuid)).scalars().all()
    assert len(set(uuids)) == 2
    second = db.session.execute(sa.select(Hazard).where(Hazard.description == "消防通道被成品货架占用")).scalar_one()
    assert (second.category, second.inspection_id, second.location) == ("fire", inspection.id, "成品仓库北门")
    assert second.found_at < back_online < second.received_at  # the phone's time, not the upload's
    assert count(Photo, Photo.hazard_id == second.id, Photo.stage == "before") == 1
    assert watch.writes == {
        "POST /api/v1/auth/token": 2,
        "POST /api/v1/inspections": 1,
        "POST /api/v1/hazards": 2,
        "POST /api/v1/hazards/<id>/photos": 2,
    }

    # End the inspection; the inspection was sent with its first hazard.
    page.get_by_test_id("end-inspection").click()
    expect(page.get_by_test_id("inspection-outcome")).to_have_text("发现隐患 2 条")
    page.get_by_test_id("confirm-end").click()
    expect(page.get_by_test_id("enterprise-search")).to_be_visible()
    watch.check(allowed=EXPECTED_NETWORK_NOISE)


def test_no_hazard_inspection_is_sent_when_it_ends_with_its_finish_time(phone_context, live_server, world):
    page = phone_context.new_page()
    watch = Watch(page, live_server)
    page.goto("/m/")
    log_in(page, "insp_a")
    page.get_by_test_id("enterprise-item").first.click()
    page.locator("label:has([data-testid=kind-resumption])").click()
    page.get_by_test_id("start-inspection").click()
    expect(page.get_by_test_id("active-inspection")).to_be_visible()
    page.wait_for_timeout(300)
    assert count(Inspection) == 0  # held on the phone while it runs
    page.get_by_test_id("end-inspection").click()
    expect(page.get_by_test_id("inspection-outcome")).to_contain_text("未发现隐患")
    page.locator("#notes").fill("检查了消防通道和配电间，未发现问题")
    page.get_by_test_id("confirm-end").click()
    inspection = wait_until(
        page, lambda: db.session.execute(sa.select(Inspection)).scalar_one_or_none(), message="the inspection"
    )
    assert inspection.kind == "resumption" and inspection.finished_at >= inspection.started_at
    assert inspection.notes == "检查了消防通道和配电间，未发现问题"
    expect(pending(page)).to_have_attribute("data-count", "0")
    watch.check()


def test_a_retry_of_a_create_the_server_already_took_makes_no_duplicate(phone_context, live_server, world, tmp_path):
    page = phone_context.new_page()
    watch = Watch(page, live_server)
    sent: list[dict] = []
    answers: list[int] = []

    def lose_first_answer(route):
        if route.request.method != "POST":
            return route.continue_()
        sent.append(json.loads(route.request.post_data))
        if len(sent) == 1:
            route.fetch()  # the server registers the hazard …
            return route.abort("connectionreset")  # … and the phone never hears back
        return route.continue_()

    page.route("**/api/v1/hazards", lose_first_answer)
    page.on("response", lambda r: r.url.endswith("/api/v1/hazards") and answers.append(r.status))
    page.goto("/m/")
    log_in(page, "insp_a")
    page.get_by_test_id("enterprise-item").first.click()
    page.get_by_test_id("start-inspection").click()
    register_hazard(page, photo_file(tmp_path, "retry.jpg", 3), "二楼楼梯间应急照明灯损坏", "办公楼二楼楼梯间")
    page.get_by_test_id("save-hazard").click()

    expect(pending(page)).to_have_attribute("data-count", "0", timeout=20_000)
    wait_until(page, lambda: count(Photo) == 1, message="the photo")
    assert len(sent) == 2 and sent[0]["client_uuid"] == sent[1]["client_uuid"] and sent[0] == sent[1]
    assert answers == [200]  # the retry: "already there", the first record
    assert count(Hazard) == 1 and count(Inspection) == 1
    hazard = db.session.execute(sa.select(Hazard)).scalar_one()
    assert hazard.client_uuid == sent[0]["client_uuid"]
    watch.check(allowed=EXPECTED_NETWORK_NOISE)


def test_enterprise_uploads_an_after_photo_and_submits_its_rectification(
    phone_context, live_server, world, phone, tmp_path
):
    hazard = phone.hazard("insp_a", description="危化品仓库未张贴安全警示标志", location="甲类仓库")
    before = photo_file(tmp_path, "before.jpg", 8).read_bytes()
    assert phone.photo("insp_a", hazard["id"], "before", before).status_code == 201
    page = phone_context.new_page()
    watch = Watch(page, live_server)
    page.goto("/m/")
    log_in(page, "ent_a")
    item = page.get_by_test_id("hazard-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("危化品仓库未张贴安全警示标志")

    # The 整改通知 arrived: unread, opened from 通知 (marked read), it leads to the hazard.
    unread = page.locator("[data-role=tab-unread]")
    expect(unread).to_have_text("1")
    page.get_by_test_id("tab-notices").click()
    notice = page.get_by_test_id("notice-item")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text("整改通知：苏州恒瑞精密机械有限公司")
    expect(notice).to_have_class(re.compile(r"\bunread\b"))
    notice.click()
    expect(unread).to_be_hidden()
    assert phone.notices("ent_a")[0]["read"] is True
    expect(page.get_by_test_id("hazard-title")).to_have_text("危化品仓库未张贴安全警示标志")
    thumbnail = page.get_by_test_id("photo-before")
    expect(thumbnail).to_have_count(1)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    page.get_by_test_id("after-photo-input").set_input_files(str(photo_file(tmp_path, "after.jpg", 4)))
    expect(page.get_by_test_id("photo-preview")).to_have_count(1)
    page.get_by_test_id("rect-description").fill("已在仓库门口及货架张贴警示标志和安全周知卡")
    page.get_by_test_id("rect-cost").fill("380")
    no_horizontal_scroll(page)
    page.evaluate("document.querySelector('[data-testid=rectification-form]').scrollIntoView(); scrollBy(0, -64)")
    doc_shot(page, "rectification")
    page.get_by_test_id("submit-rectification").click()

    expect(pending(page)).to_have_attribute("data-count", "0", timeout=20_000)
    expect(page.locator(".badge.status-awaiting_verification")).to_have_text("待验收")
    body = world.get("insp_a", f"/api/v1/hazards/{hazard['id']}").get_json()
    assert body["status"] == "awaiting_verification"
    assert body["rectification"]["description"] == "已在仓库门口及货架张贴警示标志和安全周知卡"
    assert body["rectification"]["cost"] == 380
    assert [p["stage"] for p in body["photos"]] == ["before", "after"]
    waiting = world.get("office", "/api/v1/hazards?status=awaiting_verification").get_json()["items"]
    assert [h["id"] for h in waiting] == [hazard["id"]]
    watch.check()

    # The inspector verifies it on the phone: 验收通过 → closed (销号).
    page.get_by_test_id("tab-me").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("logout").click()
    log_in(page, "insp_a")
    page.get_by_test_id("tab-hazards").click()
    page.get_by_test_id("status-awaiting_verification").click()
    page.get_by_test_id("hazard-item").click()
    page.get_by_test_id("verify-comment").fill("现场复查，警示标志齐全")
    page.get_by_test_id("verify-accept").click()
    expect(page.locator(".badge.status-closed")).to_have_text("已销号")
    assert world.get("office", f"/api/v1/hazards/{hazard['id']}").get_json()["status"] == "closed"
    watch.check()


def test_the_app_is_installable(phone_context, live_server, world):
    page = phone_context.new_page()
    watch = Watch(page, live_server)
    page.goto("/m/")
    href = page.locator("link[rel=manifest]").get_attribute("href")
    response = page.request.get(href)
    assert response.status == 200
    manifest = json.loads(response.text())
    assert manifest["name"] == "园区安全巡查"
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/m/", "/m/", "standalone")
    assert manifest["theme_color"].startswith("#")
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        got = page.request.get(icon["src"])
        assert got.status == 200 and got.headers["content-type"] == "image/png"
        width, height = Image.open(io.BytesIO(got.body())).size
        assert f"{width}x{height}" == icon["sizes"]
    state = page.evaluate(
        """async () => {
            const registration = await navigator.serviceWorker.ready;
            const worker = registration.active;
            if (worker.state !== "activated") {
                await new Promise((done) => worker.addEventListener("statechange", () => {
                    if (worker.state === "activated") done();
                }));
            }
            return {state: worker.state, scope: registration.scope, script: worker.scriptURL,
                    controlled: navigator.serviceWorker.controller !== null};
        }"""
    )
    assert state == {
        "state": "activated",
        "scope": f"{live_server.url}/m/",
        "script": f"{live_server.url}/m/sw.js",
        "controlled": True,
    }
    cached = page.evaluate(
        """async () => {
            const names = await caches.keys();
            const cache = await caches.open(names.find((n) => n.startsWith("park-m-shell-")));
            return (await cache.keys()).map((r) => new URL(r.url).pathname);
        }"""
    )
    # Every file of the app is in the shell (a new module missing from sw.js would break the app offline).
    app_files = {f"/m/{p.relative_to(WEB_M).as_posix()}" for p in WEB_M.rglob("*") if p.is_file()} - {"/m/sw.js"}
    assert app_files | {"/m/", "/shared/api.js"} == set(cached)
    watch.check()


def test_server_errors_are_retried_and_refusals_fail_with_the_api_message(phone_context, live_server, world, tmp_path):
    page = phone_context.new_page()
    watch = Watch(page, live_server)
    bodies: list[dict] = []

    def flaky_then_refusing(route):
        if route.request.method != "POST":
            return route.continue_()
        bodies.append(json.loads(route.request.post_data))
        if len(bodies) == 1:  # a server hiccup: kept, retried after a back-off
            return route.fulfill(status=503, json={"message": "服务暂时不可用，请稍后重试。"})
        if len(bodies) == 2:  # a refusal: failed, shown, not retried by itself
            errors = {"found_at": ["不能晚于当前时间 10 分钟以上。"]}
            return route.fulfill(status=422, json={"message": "提交的数据有误，请按提示修改后重试。", "errors": errors})
        return route.continue_()

    page.route("**/api/v1/hazards", flaky_then_refusing)
    page.goto("/m/")
    log_in(page, "insp_a")
    page.get_by_test_id("enterprise-item").first.click()
    page.get_by_test_id("start-inspection").click()
    register_hazard(page, photo_file(tmp_path, "refused.jpg", 5), "叉车通道未划线", "一号车间")
    page.get_by_test_id("save-hazard").click()
    page.get_by_test_id("tab-outbox").click()

    item = page.locator("[data-testid=outbox-item][data-kind=hazard]")
    expect(item).to_have_attribute("data-state", "failed", timeout=15_000)
    expect(page.get_by_test_id("outbox-item")).to_have_count(1)  # the inspection went through
    expect(page.get_by_test_id("outbox-error")).to_contain_text("提交的数据有误，请按提示修改后重试。")
    expect(page.get_by_test_id("outbox-error")).to_contain_text("发现时间：不能晚于当前时间 10 分钟以上。")
    expect(pending(page)).to_have_attribute("data-count", "1")
    expect(page.get_by_test_id("pending-chip")).to_contain_text("上传失败")
    no_horizontal_scroll(page)
    shot(page, "mobile-outbox-failed")
    page.evaluate("async () => (await import('/m/js/outbox.js')).sync({force: true})")
    assert len(bodies) == 2  # a failed entry waits for the user
    db.session.rollback()
    assert count(Hazard) == 0 and count(Inspection) == 1

    item.get_by_role("button", name="重试").click()
    expect(pending(page)).to_have_attribute("data-count", "0", timeout=15_000)
    wait_until(page, lambda: count(Photo) == 1, message="the photo")
    assert count(Hazard) == 1 and len({b["client_uuid"] for b in bodies}) == 1 and len(bodies) == 3
    watch.check(allowed=re.compile(r"status of (503|422)"))


def test_enterprise_self_reports_a_major_hazard_with_its_plan(phone_context, live_server, world, tmp_path):
    page = phone_context.new_page()
    watch = Watch(page, live_server)
    page.goto("/m/")
    log_in(page, "ent_a")
    page.get_by_test_id("tab-hazard-new").click()
    page.get_by_test_id("photo-input").set_input_files(
        [str(photo_file(tmp_path, "a.jpg", 6)), str(photo_file(tmp_path, "b.jpg", 7))]
    )
    expect(page.get_by_test_id("photo-preview")).to_have_count(2)
    page.get_by_test_id("hazard-description").fill("液氨储罐区压力表超期未检")
    page.get_by_test_id("hazard-location").fill("液氨储罐区")
    page.locator("label:has([data-testid=category-hazchem])").click()
    page.locator("label:has([data-testid=level-major])").click()
    expect(page.get_by_test_id("major-plan")).to_be_visible()
    page.get_by_test_id("save-hazard").click()
    expect(page.get_by_test_id("form-error")).to_have_text("重大隐患须填写“五落实”的全部五项")
    page.get_by_test_id("plan-responsible").fill("总经理 王海")
    page.get_by_test_id("plan-measures").fill("停用储罐，更换压力表并送检")
    page.get_by_test_id("plan-funds").fill("150000")
    page.get_by_test_id("plan-deadline").fill("2099-03-31")
    page.get_by_test_id("plan-contingency").fill("液氨泄漏专项应急预案")
    no_horizontal_scroll(page)
    page.get_by_test_id("save-hazard").click()
    expect(page.get_by_test_id("outbox-list")).to_be_visible()
    expect(pending(page)).to_have_attribute("data-count", "0", timeout=15_000)

    hazard = wait_until(
        page, lambda: count(Photo) == 2 and db.session.execute(sa.select(Hazard)).scalar_one(), message="the hazard"
    )
    assert (hazard.source, hazard.level, hazard.category) == ("self_check", "major", "hazchem")
    assert hazard.enterprise_id == world.enterprises[0].id and hazard.inspection_id is None
    assert (hazard.plan_responsible, float(hazard.plan_funds), str(hazard.plan_deadline)) == (
        "总经理 王海",
        150000.0,
        "2099-03-31",
    )
    assert count(Photo, Photo.hazard_id == hazard.id, Photo.stage == "before") == 2
    page.get_by_test_id("tab-hazards").click()
    expect(page.get_by_test_id("hazard-item")).to_contain_text("液氨储罐区压力表超期未检")
    watch.check()
