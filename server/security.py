"""Security headers on every answer: no sniffing, no framing, a strict Content-Security-Policy (every script
and style comes from the app itself), API answers never stored by caches, HSTS over HTTPS."""

from __future__ import annotations

from flask import Flask, Response, request

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "font-src 'self' data:",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# The API documentation page (flask-smorest's Swagger UI template) starts Swagger UI with an inline script.
DOCS_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")


def add_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")  # signed photo links never leave in a Referer
    headers.setdefault("Permissions-Policy", "camera=(self), geolocation=(self), microphone=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Content-Security-Policy", DOCS_CSP if request.path.rstrip("/") == "/api/docs" else CSP)
    if request.path.startswith("/api/") and response.mimetype == "application/json":
        headers["Cache-Control"] = "no-store"  # answers carry one user's data
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_headers)
