"""Real headless Chromium (Debian's package, driven by Playwright) against the app served on a real port.

Fixtures (registered in conftest): `live_server` — the test's app on 127.0.0.1:<free port>, in a thread;
`browser` — one Chromium for the session; `office_page`, `phone_page` — a fresh context (desktop / 360 px
phone) at the live server; `shot(page, name)` — a screenshot under test-artifacts/screenshots/.
Never `playwright install`: the browser is /usr/bin/chromium (CHROMIUM_PATH), started with the flags a
machine without internet needs.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
PHONE = {"viewport": {"width": 360, "height": 760}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1440, "height": 900}}


class LiveServer:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(app):
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def _context(browser, live_server, **options):
    # Playwright's wait_for_function polls through eval, which the app's CSP forbids: behaviour tests bypass
    # the CSP; tests/test_security.py loads the pages without the bypass and checks for violations.
    options.setdefault("bypass_csp", True)
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", **options)
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def office_context(browser, live_server):
    context = _context(browser, live_server, **DESKTOP)
    yield context
    context.close()


@pytest.fixture
def phone_context(browser, live_server):
    context = _context(browser, live_server, **PHONE, service_workers="allow")
    yield context
    context.close()


def shot(page, name: str) -> Path:
    """Save a screenshot as a test artefact (git-ignored); returns its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
