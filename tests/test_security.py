"""Log-in rate limiting, the audit log of every write, token expiry."""

from __future__ import annotations

import io

import pytest

from server.audit.models import AuditEntry
from server.extensions import db
from tests.conftest import PASSWORD, count, small_jpeg

TOKEN_URL = "/api/v1/auth/token"


def log_in(client, username, password, addr="10.0.0.1"):
    return client.post(TOKEN_URL, json={"username": username, "password": password}, environ_base={"REMOTE_ADDR": addr})


def test_repeated_failed_log_ins_are_refused_for_a_while(world, client):
    for _ in range(5):
        r = log_in(client, "office", "wrong-password")
        assert r.status_code == 401
    r = log_in(client, "office", "wrong-password")
    assert r.status_code == 429
    assert r.get_json()["message"] == "登录失败次数过多，请稍后再试（见 Retry-After）。"
    assert int(r.headers["Retry-After"]) > 0
    # even the right password waits: the account is not guessable by trying on
    assert log_in(client, "office", PASSWORD).status_code == 429
    # other users and other addresses are not affected
    assert log_in(client, "leader", PASSWORD).status_code == 200
    assert log_in(client, "office", PASSWORD, addr="10.0.0.2").status_code == 200
    r = log_in(client, "office", "wrong", addr="10.0.0.3")
    assert r.status_code == 401 and r.get_json()["message"]


def test_successful_log_ins_do_not_count_as_failures(world, client):
    for _ in range(8):
        assert log_in(client, "office", PASSWORD).status_code == 200
    assert log_in(client, "office", "wrong").status_code == 401


def test_failures_from_many_addresses_lock_the_username(world, client):
    for i in range(20):
        assert log_in(client, "leader", "guess", addr=f"10.1.0.{i}").status_code == 401
    r = log_in(client, "leader", "guess", addr="10.1.1.1")
    assert r.status_code == 429
    r = log_in(client, "leader", PASSWORD, addr="10.1.1.2")
    assert r.status_code == 429


def test_every_write_is_audited_with_who_what_and_client(world, phone, client):
    hazard = phone.hazard()
    r = world.client.post(
        f"/api/v1/hazards/{hazard['id']}/photos",
        data={"file": (io.BytesIO(small_jpeg()), "p.jpg"), "stage": "before"},
        content_type="multipart/form-data",
        headers={**world.headers("insp_a"), "User-Agent": "ParkPhone/2.1 (Android 14)"},
    )
    assert r.status_code == 201
    refused = world.post("ent_b", f"/api/v1/hazards/{hazard['id']}/verification", json={"accepted": True})
    assert refused.status_code == 404
    log_in(client, "office", "wrong-password")

    entries = world.get("office", "/api/v1/audit?per_page=50").get_json()["items"]
    by_path = {(e["method"], e["path"], e["status"]): e for e in entries}
    created = next(e for e in entries if e["path"] == "/api/v1/hazards" and e["method"] == "POST")
    assert created["username"] == "insp_a" and created["role"] == "inspector" and created["status"] == 201
    assert created["record_id"] == hazard["id"] and created["client_uuid"] == hazard["client_uuid"]
    assert created["detail"]["description"] == hazard["description"]
    assert created["client_ip"] == "127.0.0.1" and created["at"].endswith("+08:00")
    photo = by_path[("POST", f"/api/v1/hazards/{hazard['id']}/photos", 201)]
    assert photo["user_agent"] == "ParkPhone/2.1 (Android 14)"
    assert photo["detail"]["stage"] == "before" and photo["detail"]["file"]["bytes"] > 100
    assert photo["record_id"] == hazard["id"]
    denied = by_path[("POST", f"/api/v1/hazards/{hazard['id']}/verification", 404)]
    assert denied["username"] == "ent_b"
    attempt = by_path[("POST", TOKEN_URL, 401)]
    assert attempt["username"] == "office" and attempt["user_id"] is None
    assert attempt["detail"]["password"] == "***"  # never the password itself
    assert "wrong-password" not in str(entries)
    # reads are not audited
    assert all(e["method"] != "GET" for e in entries)
    # filters
    mine = world.get("office", f"/api/v1/audit?user_id={world.users['insp_a'].id}").get_json()["items"]
    assert mine and {e["username"] for e in mine} == {"insp_a"}
    assert world.get("office", "/api/v1/audit?status=404").get_json()["total"] == 1


def test_only_admin_and_office_read_the_audit_log(world):
    for user in ("leader", "insp_a", "ent_a"):
        r = world.get(user, "/api/v1/audit")
        assert r.status_code == 403 and r.get_json()["message"]
    assert world.get("admin", "/api/v1/audit").status_code == 200


def test_a_failed_write_leaves_nothing_but_its_log_line(world, phone):
    world.token("insp_a")  # logging in is a write too
    before = count(AuditEntry)
    r = world.post("insp_a", "/api/v1/hazards", json={"description": "缺字段"})
    assert r.status_code == 422
    assert count(AuditEntry) == before + 1
    entry = db.session.query(AuditEntry).order_by(AuditEntry.id.desc()).first()
    assert entry.status == 422 and entry.username == "insp_a"


def test_security_headers_on_api_pages_and_files(world, phone, client):
    api = world.get("office", "/api/v1/hazards")
    page = client.get("/")
    for r in (api, page, client.get("/api/v1/health")):
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["Referrer-Policy"] == "same-origin"
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert api.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in api.headers  # plain HTTP here
    secure = client.get("/api/v1/health", base_url="https://park.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    # the docs page alone may run Swagger UI's inline start-up script
    assert "'unsafe-inline'" in client.get("/api/docs").headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"].split("style-src")[0]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_pages_run_under_the_content_security_policy(world, phone, browser, live_server):
    """The API docs page, the dashboard (logged in) and the mobile app run in Chromium with the CSP on
    (no bypass), without a violation or any other console error."""
    phone.hazard()
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", bypass_csp=False)
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    try:
        page.goto("/api/docs")
        page.wait_for_selector(".opblock-summary", timeout=20_000)  # Swagger UI drew the operations
        page.goto("/")
        page.fill("input[type=text], input[name=username]", "office")
        page.fill("input[type=password]", PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_selector("[data-testid=overdue-row], canvas", timeout=20_000)
        page.wait_for_timeout(1000)  # the charts and lists finish drawing
    finally:
        context.close()
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", bypass_csp=False)  # no session
    page = context.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    try:
        page.goto("/m/")
        page.wait_for_selector("input[type=password]", timeout=20_000)
        page.wait_for_timeout(500)
    finally:
        context.close()
    assert problems == []
