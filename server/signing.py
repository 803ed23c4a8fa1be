"""Signed, expiring URLs (photos, brief files): an HMAC of what the link opens and until when."""

from __future__ import annotations

import hashlib
import hmac
import time

from flask import current_app


def signature(purpose: str, expires: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{purpose}:{expires}".encode(), hashlib.sha256).hexdigest()


def sign(purpose: str, ttl_seconds: int) -> dict[str, object]:
    """The query parameters that open `purpose` for `ttl_seconds`."""
    expires = int(time.time()) + ttl_seconds
    return {"expires": expires, "signature": signature(purpose, expires)}


def valid(purpose: str, expires: str | None, given: str | None) -> bool:
    if not expires or not given or not expires.isdigit() or int(expires) < time.time():
        return False
    return hmac.compare_digest(signature(purpose, int(expires)), given)
