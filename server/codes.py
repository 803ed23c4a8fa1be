"""The codes of API.md with their Chinese and English labels."""

from __future__ import annotations

ROLES = {
    "admin": ("系统管理员", "Administrator"),
    "office": ("安监办", "Safety office"),
    "leader": ("管委会领导", "Committee leader"),
    "inspector": ("网格员", "Grid inspector"),
    "enterprise": ("企业安全管理人员", "Enterprise safety officer"),
}

HAZARD_LEVELS = {"general": ("一般隐患", "General"), "major": ("重大隐患", "Major")}

HAZARD_STATUSES = {
    "registered": ("待整改", "Registered"),
    "awaiting_verification": ("待验收", "Awaiting verification"),
    "closed": ("已销号", "Closed"),
}

HAZARD_CATEGORIES = {
    "fire": ("消防安全", "Fire safety"),
    "hazchem": ("危险化学品", "Hazardous chemicals"),
    "special_equipment": ("特种设备", "Special equipment"),
    "electrical": ("电气安全", "Electrical"),
    "confined_space": ("有限空间", "Confined space"),
    "dust": ("粉尘防爆", "Combustible dust"),
    "construction": ("建筑施工", "Construction"),
    "occupational": ("职业健康", "Occupational health"),
    "traffic": ("厂内交通", "Traffic"),
    "flood": ("防汛防台", "Flood"),
    "management": ("安全管理", "Safety management"),
    "other": ("其他", "Other"),
}

HAZARD_SOURCES = {"inspection": ("检查发现", "Inspection"), "self_check": ("企业自查", "Self-check")}

INSPECTION_KINDS = {
    "routine": ("日常巡查", "Routine patrol"),
    "special": ("专项检查", "Special campaign"),
    "resumption": ("复工验收", "Resumption acceptance"),
    "joint": ("联合检查", "Joint inspection"),
    "self_check": ("企业自查", "Self-check"),
}

CAMPAIGNS = {
    "fire": ("消防专项", "Fire"),
    "hazchem": ("危化品专项", "Hazardous chemicals"),
    "special_equipment": ("特种设备专项", "Special equipment"),
    "electrical": ("用电安全专项", "Electrical"),
    "confined_space": ("有限空间专项", "Confined space"),
    "dust": ("粉尘防爆专项", "Combustible dust"),
    "construction": ("建筑施工专项", "Construction"),
    "flood_season": ("汛期专项", "Flood season"),
    "holiday": ("节假日专项", "Holiday period"),
    "safety_month": ("安全生产月", "Safety month"),
    "winter": ("冬季专项", "Winter"),
}

RECORD_KINDS = {
    "agreement": ("安全生产目标管理责任书", "Responsibility agreement"),
    "drill": ("应急演练", "Emergency drill"),
    "meeting": ("安全会议", "Safety meeting"),
    "training": ("安全培训", "Training"),
    "activity": ("宣传活动", "Campaign activity"),
    "accident": ("生产安全事故", "Accident"),
}

ENTERPRISE_STATUSES = {
    "operating": ("正常生产", "Operating"),
    "suspended": ("停产停业", "Suspended"),
    "resumed": ("复工复产", "Resumed"),
}

RISK_LEVELS = {
    "red": ("重大风险", "Major risk"),
    "orange": ("较大风险", "Considerable risk"),
    "yellow": ("一般风险", "General risk"),
    "blue": ("低风险", "Low risk"),
}

PHOTO_STAGES = {"before": ("整改前", "Before"), "after": ("整改后", "After")}

REMINDER_STAGES = {
    "due_soon": ("即将到期", "Due soon"),
    "overdue": ("已逾期", "Overdue"),
    "escalated": ("升级督办", "Escalated"),
    "supervised": ("挂牌督办", "Supervised"),
    "digest": ("每日汇总", "Daily digest"),
    "notice": ("整改通知", "Rectification notice"),
}
REMINDER_CHANNELS = ("in_app", "email", "webhook", "sms")
DELIVERY_STATUSES = ("pending", "sent", "failed", "held", "cancelled")
BRIEF_STATUSES = ("pending", "ready", "failed")


def label(codes: dict[str, tuple[str, str]], code: str | None, lang: str = "zh") -> str | None:
    if code is None:
        return None
    zh, en = codes[code]
    return en if lang == "en" else zh
