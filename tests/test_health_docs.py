"""Health, the OpenAPI document and the offline docs page."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from tests.conftest import make_app


def test_health_reports_database_and_broker(client):
    r = client.get("/api/v1/health")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_health_says_when_the_broker_is_unavailable(backend, tmp_path):
    _, url = backend
    app = make_app(url, tmp_path, CELERY_BROKER_URL="redis://127.0.0.1:1/0")
    r = app.test_client().get("/api/v1/health")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok", "database": "ok", "broker": "unavailable"}


def test_health_says_when_the_database_is_unavailable(tmp_path):
    app = make_app("postgresql+psycopg://postgres@127.0.0.1:1/none", tmp_path)
    r = app.test_client().get("/api/v1/health")
    assert r.status_code == 503
    assert r.get_json()["database"] == "unavailable"


PUBLIC = {  # the last two: signed URLs, or a Bearer token
    "/api/v1/health",
    "/api/v1/auth/token",
    "/api/v1/photos/{photo_id}/{variant}",
    "/api/v1/briefs/{brief_id}/brief.{fmt}",
}
BODILESS = {"/api/v1/notifications/{notification_id}/read"}


def test_openapi_document_validates_and_lists_every_endpoint(app, client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    spec = r.get_json()
    validate(spec)
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops if method != "parameters"}
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and not rule.endpoint.startswith("api-docs."):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            routed |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed and routed <= documented, routed - documented

    for path, method in routed:
        op = spec["paths"][path][method]
        responses = op["responses"]
        success = [code for code in responses if code.startswith("2")]
        assert success, (path, method)
        # Every success answer documents its body, except 204 which has none.
        assert success[0] == "204" or "content" in responses[success[0]], (path, method)
        assert success[0] != "204" or "content" not in responses["204"], (path, method)
        if method in ("post", "patch") and path not in BODILESS:
            assert "requestBody" in op, (path, method)
            assert {"400", "415", "422"} <= set(responses), (path, method)
        if "{" in path:
            assert "404" in responses, (path, method)
        if path not in PUBLIC:
            assert "401" in responses and op["security"] == [{"bearerAuth": []}], (path, method)


def test_openapi_marks_role_restricted_operations_with_403(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "403" in spec["paths"]["/api/v1/enterprises"]["post"]["responses"]
    assert "403" in spec["paths"]["/api/v1/users"]["post"]["responses"]
    assert "403" not in spec["paths"]["/api/v1/me"]["get"]["responses"]
    error_schema = spec["components"]["schemas"]["Error"]
    assert {"message", "errors"} <= set(error_schema["properties"])


def test_docs_page_needs_no_internet(client):
    r = client.get("/api/docs")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, html
    for asset in assets:
        assert not asset.startswith(("http:", "https:", "//")), asset
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert len(served.data) > 1000
    assert "/api/v1/openapi.json" in html
