"""The web front ends, served by the app itself (no CDN): the office dashboard at `/`, the mobile app at `/m/`.

Plain files under `web/`: `web/office/` (dashboard), `web/m/` (installable PWA with its service worker,
scoped to /m/), `web/shared/` (the API client both use) and `web/vendor/` (third-party files, vendored).
Pages are public; every figure they show comes from the API with the user's token.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, redirect, send_from_directory

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"

blp = Blueprint("web", __name__)


def _send(folder: str, name: str):
    response = send_from_directory(WEB_ROOT / folder, name, max_age=0)
    response.headers["Cache-Control"] = "no-cache"  # revalidate (ETag): a new release is seen at once
    return response


@blp.get("/")
def office_index():
    return _send("office", "index.html")


@blp.get("/office/<path:name>")
def office_file(name: str):
    return _send("office", name)


@blp.get("/m")
def mobile_redirect():
    return redirect("/m/", code=301)


@blp.get("/m/")
def mobile_index():
    return _send("m", "index.html")


@blp.get("/m/<path:name>")
def mobile_file(name: str):
    return _send("m", name)


@blp.get("/shared/<path:name>")
def shared_file(name: str):
    return _send("shared", name)


@blp.get("/vendor/<path:name>")
def vendor_file(name: str):
    return _send("vendor", name)


@blp.get("/favicon.ico")
def favicon():
    # Browsers ask for /favicon.ico on pages without an icon link (e.g. the API docs page).
    return send_from_directory(WEB_ROOT / "office", "favicon.svg", mimetype="image/svg+xml", max_age=86400)
