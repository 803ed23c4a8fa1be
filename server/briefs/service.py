"""Briefs (季度安全生产会议通报): requested by the office or by beat, made by a worker.

request → a `pending` Brief row (the API answers 202) → the task `generate` computes the figures
(server/briefs/figures.py), renders the .docx and converts that file to PDF (document.py), stores both
under MEDIA_ROOT/briefs/<id>/, marks the brief `ready` (or `failed` with the reason) and tells the office
and the leaders. `generate` is idempotent: a brief that is no longer pending is left alone.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, url_for

from server import signing
from server.briefs import document, findings
from server.briefs import figures as brief_figures
from server.briefs.models import Brief
from server.errors import invalid_field
from server.extensions import db
from server.notifications.service import notify_brief, staff
from server.stats import service as stats
from server.timeutil import park_day_start, utcnow

log = logging.getLogger(__name__)
FORMATS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


def request_brief(user, data: dict, now: datetime | None = None) -> Brief:
    """A pending brief for `quarter`, or for the park days `from`..`to` (both inclusive)."""
    now = now or utcnow()
    quarter = data.get("quarter")
    if quarter:
        if data.get("from") or data.get("to"):
            raise invalid_field("quarter", "stats_quarter_or_dates")
        start, end = stats.quarter_bounds(quarter)
    else:
        if not data.get("from") or not data.get("to"):
            raise invalid_field("quarter" if not data.get("from") else "to", "brief_period_missing")
        start, end = park_day_start(data["from"]), park_day_start(data["to"] + timedelta(days=1))
        if end <= start:
            raise invalid_field("to", "stats_to_before_from")
    if start > now:
        raise invalid_field("quarter" if quarter else "from", "brief_period_in_future")
    lang = data.get("language") or "zh"
    brief = Brief(
        label=brief_figures.period_label(start, end, quarter, lang),
        period_from=start,
        period_to=end,
        language=lang,
        status="pending",
        requested_by_id=user.id if user else None,
        created_at=now,
    )
    db.session.add(brief)
    db.session.flush()
    return brief


def quarter_of_brief(brief: Brief) -> str | None:
    """The quarter a brief covers exactly, or None for another period."""
    quarter = stats.quarter_of(brief.period_from)
    return quarter if stats.quarter_bounds(quarter) == (brief.period_from, brief.period_to) else None


def generate(brief_id: int, now: datetime | None = None) -> Brief | None:
    """Make the brief's figures and files; mark it ready or failed. Idempotent."""
    brief = db.session.get(Brief, brief_id)
    if brief is None or brief.status != "pending":
        return brief
    as_of = min(now or utcnow(), utcnow())
    target = media_dir(brief.id)
    work = Path(tempfile.mkdtemp(prefix=f"brief-{brief.id}-", dir=target.parent))
    try:
        figures = brief_figures.compute(
            brief.period_from, brief.period_to, as_of, quarter_of_brief(brief), brief.language
        )
        figures.update(findings.derive_findings(figures, brief.language))
        document.render_brief(figures, work, brief.language)
        if target.exists():
            shutil.rmtree(target)
        work.rename(target)
    except Exception as error:  # noqa: BLE001 - any failure is recorded on the brief for the office to see
        shutil.rmtree(work, ignore_errors=True)
        log.exception("brief %s failed", brief.id)
        db.session.rollback()
        brief = db.session.get(Brief, brief_id)
        brief.status, brief.error, brief.finished_at = "failed", str(error)[:2000], utcnow()
        db.session.commit()
        return brief
    brief.figures = figures
    brief.as_of = as_of
    brief.docx_key = f"briefs/{brief.id}/brief.docx"
    brief.pdf_key = f"briefs/{brief.id}/brief.pdf"
    brief.status, brief.error, brief.finished_at = "ready", None, utcnow()
    notify_brief(staff("office", "leader"), brief)
    db.session.commit()
    return brief


def quarterly(now: datetime | None = None) -> Brief | None:
    """Beat's job on a quarter's first day: the brief of the quarter that just ended (once)."""
    now = now or utcnow()
    quarter = stats.previous_quarter(stats.quarter_of(now))
    start, end = stats.quarter_bounds(quarter)
    existing = db.session.execute(
        sa.select(Brief).where(
            Brief.period_from == start,
            Brief.period_to == end,
            Brief.requested_by_id.is_(None),
            Brief.status != "failed",
        )
    ).scalar_one_or_none()
    if existing is not None:
        return None
    brief = request_brief(None, {"quarter": quarter}, now)
    db.session.commit()
    return brief


def enqueue_pending(older_than: timedelta = timedelta(minutes=10)) -> int:
    from server.celery_setup import enqueue

    ids = db.session.execute(
        sa.select(Brief.id).where(Brief.status == "pending", Brief.created_at < utcnow() - older_than)
    ).scalars()
    return sum(enqueue(current_app, "worker.tasks.generate_brief", brief_id) for brief_id in ids)


def media_dir(brief_id: int) -> Path:
    root = Path(current_app.config["MEDIA_ROOT"]) / "briefs"
    root.mkdir(parents=True, exist_ok=True)
    return root / str(brief_id)


def file_path(brief: Brief, fmt: str) -> Path | None:
    key = brief.docx_key if fmt == "docx" else brief.pdf_key
    return Path(current_app.config["MEDIA_ROOT"]) / key if key else None


def file_name(brief: Brief, fmt: str) -> str:
    return f"{brief.label}安全生产工作通报.{fmt}" if brief.language == "zh" else f"safety-brief-{brief.id}.{fmt}"


def purpose(brief_id: int, fmt: str) -> str:
    return f"brief:{brief_id}:{fmt}"


def file_urls(brief: Brief) -> dict[str, str] | None:
    """Signed download links (they work in an <a href> without a token) for a ready brief."""
    if brief.status != "ready":
        return None
    ttl = current_app.config["BRIEF_URL_TTL_SECONDS"]
    return {
        fmt: url_for("briefs.BriefFile", brief_id=brief.id, fmt=fmt, **signing.sign(purpose(brief.id, fmt), ttl))
        for fmt in FORMATS
    }
