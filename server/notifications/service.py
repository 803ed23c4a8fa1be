"""In-app notifications: who gets which notice, worded in each recipient's language."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from server.accounts.models import Grid, User
from server.codes import HAZARD_LEVELS, label
from server.extensions import db
from server.notifications.models import Notification
from server.timeutil import to_park, utcnow

# kind → {lang: (title, body)}; bodies are formatted with the hazard's fields.
TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "hazard_registered": {
        "zh": (
            "整改通知：{enterprise}",
            "经检查，贵单位{where}存在{level}：{description}。请于{deadline}前完成整改，并上传整改后照片、提交整改情况。",
        ),
        "en": (
            "Rectification notice: {enterprise}",
            "An inspection found a {level} hazard{where_en}: {description}. Rectify it by {deadline}, "
            "upload after photos and submit the rectification.",
        ),
    },
    "self_check_reported": {
        "zh": ("企业自查上报隐患：{enterprise}", "{enterprise}自查上报{level}：{description}，整改期限{deadline}。"),
        "en": (
            "Self-reported hazard: {enterprise}",
            "{enterprise} reported a {level} hazard: {description}; deadline {deadline}.",
        ),
    },
    "major_hazard": {
        "zh": (
            "重大隐患报告：{enterprise}",
            "{enterprise}{where}发现重大隐患：{description}。整改期限{deadline}，已落实治理方案（五落实），请督办。",
        ),
        "en": (
            "Major hazard: {enterprise}",
            "A major hazard was found at {enterprise}{where_en}: {description}. Deadline {deadline}.",
        ),
    },
    "rectification_submitted": {
        "zh": ("整改待验收：{enterprise}", "{enterprise}已提交隐患整改情况（{description}），请及时复查验收。"),
        "en": (
            "Rectification to verify: {enterprise}",
            "{enterprise} submitted the rectification of: {description}. Please verify it.",
        ),
    },
    "rectification_rejected": {
        "zh": (
            "整改未通过验收：{enterprise}",
            "隐患（{description}）整改复查未通过：{comment}。请继续整改后重新提交。",
        ),
        "en": (
            "Rectification rejected: {enterprise}",
            "The rectification of ({description}) was rejected: {comment}. Rectify it and submit again.",
        ),
    },
    "hazard_closed": {
        "zh": ("隐患已销号：{enterprise}", "隐患（{description}）整改已通过验收，予以销号。"),
        "en": (
            "Hazard closed: {enterprise}",
            "The rectification of ({description}) was accepted; the hazard is closed.",
        ),
    },
    "deadline_extended": {
        "zh": ("整改期限已延长：{enterprise}", "隐患（{description}）整改期限延长至{deadline}。原因：{comment}。"),
        "en": (
            "Deadline extended: {enterprise}",
            "The deadline of ({description}) is now {deadline}. Reason: {comment}.",
        ),
    },
}


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _params(hazard, lang: str, comment: str | None) -> dict[str, str]:
    deadline = to_park(hazard.deadline)
    return {
        "enterprise": hazard.enterprise.name,
        "where": hazard.location or "",
        "where_en": f" ({hazard.location})" if hazard.location else "",
        "level": label(HAZARD_LEVELS, hazard.level, lang) if lang == "zh" else hazard.level,
        "description": _short(hazard.description),
        "deadline": deadline.strftime("%Y年%m月%d日 %H:%M" if lang == "zh" else "%Y-%m-%d %H:%M"),
        "comment": comment or "",
    }


def render(kind: str, hazard, lang: str = "zh", comment: str | None = None) -> tuple[str, str]:
    """The title and body of a notice about `hazard`, in `lang`."""
    title, body = TEMPLATES[kind][lang if lang in TEMPLATES[kind] else "zh"]
    params = _params(hazard, lang, comment)
    return title.format(**params), body.format(**params)


def notify(
    users: Iterable[User], kind: str, hazard, comment: str | None = None, now: datetime | None = None
) -> list[Notification]:
    """Add one notice per distinct active user; the caller commits."""
    created = []
    seen: set[int] = set()
    for user in users:
        if user.id in seen or not user.is_active:
            continue
        seen.add(user.id)
        title, body = render(kind, hazard, user.language, comment)
        note = Notification(
            user_id=user.id,
            kind=kind,
            title=title,
            body=body,
            hazard_id=hazard.id,
            created_at=now or utcnow(),
        )
        db.session.add(note)
        created.append(note)
    return created


BRIEF_READY = {
    "zh": (
        "安全生产工作通报已生成：{label}",
        "{label}安全生产工作通报（数据截至{as_of}）已生成，可下载 Word 和 PDF 文件。",
    ),
    "en": (
        "Safety brief ready: {label}",
        "The safety brief for {label} (figures as of {as_of}) is ready as Word and PDF.",
    ),
}


def notify_brief(users: Iterable[User], brief, now: datetime | None = None) -> list[Notification]:
    """Tell `users` that `brief` is ready; the caller commits."""
    created = []
    for user in {u.id: u for u in users if u.is_active}.values():
        title, body = BRIEF_READY["en" if user.language == "en" else "zh"]
        as_of = to_park(brief.as_of).strftime("%Y-%m-%d %H:%M")
        note = Notification(
            user_id=user.id,
            kind="brief_ready",
            title=title.format(label=brief.label),
            body=body.format(label=brief.label, as_of=as_of),
            brief_id=brief.id,
            created_at=now or utcnow(),
        )
        db.session.add(note)
        created.append(note)
    return created


def enterprise_users(enterprise_id: int) -> list[User]:
    stmt = sa.select(User).where(User.enterprise_id == enterprise_id, User.role == "enterprise", User.is_active)
    return list(db.session.execute(stmt).scalars())


def grid_inspectors(grid_id: int) -> list[User]:
    grid = db.session.get(Grid, grid_id)
    return [u for u in grid.inspectors if u.is_active] if grid else []


def staff(*roles: str) -> list[User]:
    stmt = sa.select(User).where(User.role.in_(roles), User.is_active).order_by(User.id)
    return list(db.session.execute(stmt).scalars())
