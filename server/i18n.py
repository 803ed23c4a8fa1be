"""User-facing messages: Chinese by default, English on request, chosen in one place.

The language comes from `?lang=`, then `Accept-Language`, then `DEFAULT_LANGUAGE`.
"""

from __future__ import annotations

from flask import current_app, has_request_context, request

LANGUAGES = ("zh", "en")

MESSAGES: dict[str, dict[str, str]] = {
    # generic HTTP outcomes
    "bad_request": {"zh": "请求格式不正确。", "en": "The request is malformed."},
    "malformed_json": {
        "zh": "请求体不是有效的 JSON，请检查后重试。",
        "en": "The request body is not valid JSON; check it and try again.",
    },
    "json_not_object": {
        "zh": "请求体必须是一个 JSON 对象。",
        "en": "The request body must be a JSON object.",
    },
    "unsupported_media_type": {
        "zh": "不支持的内容类型，请使用 application/json。",
        "en": "Unsupported content type; send application/json.",
    },
    "unauthorized": {
        "zh": "未登录或登录已失效，请重新登录。",
        "en": "You are not logged in or your session has ended; log in again.",
    },
    "token_expired": {
        "zh": "登录已过期，请重新登录。",
        "en": "Your login has expired; log in again.",
    },
    "token_invalid": {
        "zh": "登录凭证无效，请重新登录。",
        "en": "The login token is not valid; log in again.",
    },
    "forbidden": {
        "zh": "您的角色无权执行此操作。",
        "en": "Your role is not allowed to do this.",
    },
    "not_found": {"zh": "未找到该记录。", "en": "No such record."},
    "route_not_found": {"zh": "没有这个接口地址。", "en": "There is no such endpoint."},
    "method_not_allowed": {
        "zh": "该接口不支持此请求方法。",
        "en": "This endpoint does not accept this method.",
    },
    "conflict": {
        "zh": "当前状态下不允许此操作。",
        "en": "This is not allowed in the current state.",
    },
    "too_large": {"zh": "请求内容过大。", "en": "The request is too large."},
    "validation_failed": {
        "zh": "提交的数据有误，请按提示修改后重试。",
        "en": "Some fields are invalid; correct them and try again.",
    },
    "too_many_requests": {"zh": "请求过于频繁，请稍后再试。", "en": "Too many requests; try again later."},
    "too_many_logins": {
        "zh": "登录失败次数过多，请稍后再试（见 Retry-After）。",
        "en": "Too many failed log-ins; try again later (see Retry-After).",
    },
    "database_unavailable": {
        "zh": "数据库暂时不可用，请稍后重试。",
        "en": "The database is temporarily unavailable; try again shortly.",
    },
    "internal_error": {
        "zh": "服务器内部错误，请稍后重试。",
        "en": "Internal server error; try again later.",
    },
    # auth
    "bad_credentials": {"zh": "用户名或密码错误。", "en": "Wrong username or password."},
    "user_inactive": {"zh": "该账号已停用。", "en": "This account is disabled."},
    # field validation
    "invalid_credit_code": {
        "zh": "统一社会信用代码无效：应为 18 位，且校验码正确。",
        "en": "Invalid unified social credit code: it must have 18 characters and a correct check character.",
    },
    "credit_code_taken": {
        "zh": "该统一社会信用代码已登记。",
        "en": "This unified social credit code is already registered.",
    },
    "unknown_grid": {"zh": "网格不存在。", "en": "No such grid."},
    "unknown_enterprise": {"zh": "企业不存在。", "en": "No such enterprise."},
    "unknown_user": {"zh": "用户不存在或不是网格员。", "en": "No such inspector."},
    "grid_name_taken": {"zh": "网格名称已存在。", "en": "A grid with this name exists."},
    "username_taken": {"zh": "用户名已存在。", "en": "This username is taken."},
    "enterprise_required": {
        "zh": "企业用户必须指定所属企业。",
        "en": "An enterprise user needs an enterprise_id.",
    },
    "enterprise_only_for_enterprise_role": {
        "zh": "只有企业用户可以指定所属企业。",
        "en": "Only enterprise users have an enterprise_id.",
    },
    "grids_only_for_inspectors": {
        "zh": "只有网格员可以分配网格。",
        "en": "Only inspectors are assigned grids.",
    },
    "password_too_short": {
        "zh": "密码为 8 到 200 位。",
        "en": "A password has 8 to 200 characters.",
    },
    "invalid_phone": {"zh": "不是有效的电话号码。", "en": "Not a valid phone number."},
    "invalid_username": {
        "zh": "用户名为 3 到 80 位字母、数字或 _ . @ -。",
        "en": "A username has 3 to 80 letters, digits or _ . @ -.",
    },
    "client_uuid_reused": {
        "zh": "该 client_uuid 已用于另一份不同的提交，请为新记录生成新的 UUID。",
        "en": "This client_uuid was already used for a different submission; generate a new UUID for a new record.",
    },
    "finished_before_started": {"zh": "结束时间不能早于开始时间。", "en": "The end is before the start."},
    "time_in_future": {
        "zh": "时间不能晚于当前时间（允许误差 {minutes} 分钟）。",
        "en": "The time is in the future (more than {minutes} minutes ahead).",
    },
    "enterprise_not_visible": {
        "zh": "企业不存在或不在您的负责范围内。",
        "en": "No such enterprise in your scope.",
    },
    "inspection_not_visible": {
        "zh": "检查记录不存在，或不是对该企业的检查。",
        "en": "No such inspection of this enterprise.",
    },
    "inspection_required": {
        "zh": "网格员登记隐患须关联检查记录（inspection_id）。",
        "en": "An inspector registers hazards within an inspection (inspection_id).",
    },
    "self_check_no_inspection": {
        "zh": "企业自查上报的隐患不关联检查记录。",
        "en": "A self-reported hazard has no inspection_id.",
    },
    "self_check_kind_for_enterprises": {
        "zh": "企业自查由企业直接上报隐患，不创建检查记录。",
        "en": "Self-checks are reported by enterprises as hazards, not as inspections.",
    },
    "major_needs_plan": {
        "zh": "重大隐患必须填写治理方案（五落实：责任、措施、资金、时限、预案）。",
        "en": "A major hazard needs its plan (responsible, measures, funds, deadline, contingency).",
    },
    "deadline_before_found": {
        "zh": "整改期限不能早于发现时间。",
        "en": "The deadline is before the hazard was found.",
    },
    "completed_before_found": {
        "zh": "整改完成时间不能早于隐患发现时间。",
        "en": "The rectification is dated before the hazard was found.",
    },
    "extension_not_later": {
        "zh": "延期后的期限必须晚于当前期限。",
        "en": "The new deadline must be later than the current one.",
    },
    "rejection_needs_comment": {
        "zh": "验收不通过时必须填写原因。",
        "en": "A rejection needs a comment.",
    },
    "transition_not_allowed": {
        "zh": "隐患当前状态为“{status}”，不能{action}。",
        "en": "The hazard is {status}; it cannot be {action_en}.",
    },
    "needs_after_photo": {
        "zh": "提交整改前，请先上传至少一张整改后照片。",
        "en": "Upload at least one after photo before submitting the rectification.",
    },
    "enterprise_after_photos_only": {
        "zh": "企业只能上传整改后照片（自查上报的隐患除外）。",
        "en": "Enterprises upload after photos only (except to hazards they reported themselves).",
    },
    "photo_hazard_closed": {
        "zh": "隐患已销号，不能再上传照片。",
        "en": "The hazard is closed; no more photos.",
    },
    "after_photo_not_now": {
        "zh": "隐患当前状态为“{status}”，不能上传整改后照片。",
        "en": "The hazard is {status}; after photos cannot be added now.",
    },
    "photo_file_missing": {"zh": "请上传照片文件（file）。", "en": "Send the photo as the file field."},
    "photo_too_large": {
        "zh": "照片文件过大（上限 {limit_mb} MB）。",
        "en": "The photo is too large (limit {limit_mb} MB).",
    },
    "photo_too_many_pixels": {
        "zh": "照片像素过多（上限 {limit_mp} 百万像素）。",
        "en": "The photo has too many pixels (limit {limit_mp} megapixels).",
    },
    "photo_not_image": {
        "zh": "不是支持的图片格式，请上传 JPEG、PNG、WebP 或 HEIC 照片。",
        "en": "Not a supported image; upload a JPEG, PNG, WebP or HEIC photo.",
    },
    "photo_corrupt": {
        "zh": "照片文件已损坏或不完整，请重新拍摄或上传。",
        "en": "The photo is damaged or incomplete; take or upload it again.",
    },
    "photo_empty": {"zh": "照片文件为空。", "en": "The photo file is empty."},
    "bad_signature": {
        "zh": "链接已过期或无效，请刷新后重试。",
        "en": "The link has expired or is invalid; reload and try again.",
    },
    "date_out_of_range": {
        "zh": "日期应在 2000 年至 2100 年之间。",
        "en": "The date must be between the years 2000 and 2100.",
    },
    # statistics, ledger and briefs
    "stats_quarter_or_dates": {
        "zh": "请只给出 quarter，或只给出 from/to，不要同时给出。",
        "en": "Give either quarter or from/to, not both.",
    },
    "stats_to_before_from": {"zh": "结束时间必须晚于开始时间。", "en": "`to` must be after `from`."},
    "stats_bad_quarter": {
        "zh": "季度格式应为 2026Q3 这样的写法。",
        "en": "A quarter is written like 2026Q3.",
    },
    "stats_bad_date": {
        "zh": "请给出日期（2026-07-01）或带时间的时刻（2026-07-01T08:00:00）。",
        "en": "Give a date (2026-07-01) or a date and time (2026-07-01T08:00:00).",
    },
    "brief_period_missing": {
        "zh": "请给出 quarter（如 2026Q3），或同时给出 from 和 to 两个日期。",
        "en": "Give a quarter (like 2026Q3), or both dates from and to.",
    },
    "brief_period_in_future": {
        "zh": "该期间尚未开始，无法生成通报。",
        "en": "That period has not started yet; there is nothing to report.",
    },
    # safety work records
    "record_date_in_future": {
        "zh": "记录日期不能晚于今天（园区时间）。",
        "en": "The record's date is after today (park time).",
    },
    "agreement_needs_enterprise": {
        "zh": "安全生产目标管理责任书必须指定签订企业（enterprise_id）。",
        "en": "A responsibility agreement needs its enterprise (enterprise_id).",
    },
    "record_title_length": {"zh": "标题为 1 到 300 个字符。", "en": "A title has 1 to 300 characters."},
    "record_quantity_range": {
        "zh": "数量应为 0 到 1000000 之间的整数。",
        "en": "The quantity is a whole number from 0 to 1000000.",
    },
}

# marshmallow's own messages, translated for Chinese replies.
FIELD_MESSAGES_ZH: dict[str, str] = {
    "Missing data for required field.": "缺少必填字段。",
    "Unknown field.": "未知字段。",
    "Field may not be null.": "该字段不能为空。",
    "Not a valid string.": "不是有效的字符串。",
    "Not a valid integer.": "不是有效的整数。",
    "Not a valid number.": "不是有效的数字。",
    "Not a valid boolean.": "不是有效的布尔值。",
    "Not a valid datetime.": "不是有效的日期时间。",
    "Not a valid date.": "不是有效的日期。",
    "Not a valid email address.": "不是有效的电子邮件地址。",
    "Not a valid UUID.": "不是有效的 UUID。",
    "Not a valid list.": "不是有效的列表。",
    "Not a valid mapping type.": "不是有效的对象。",
    "Invalid input type.": "输入类型无效。",
    "Shorter than minimum length 1.": "不能为空。",
}


def language() -> str:
    default = current_app.config.get("DEFAULT_LANGUAGE", "zh") if current_app else "zh"
    if not has_request_context():
        return default
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        return lang
    best = request.accept_languages.best_match(["zh", "zh-CN", "en"])
    if best:
        return "en" if best.startswith("en") else "zh"
    return default


def t(key: str, lang: str | None = None, **params) -> str:
    entry = MESSAGES.get(key)
    if entry is None:
        return key.format(**params) if params else key
    text = entry.get(lang or language()) or entry["zh"]
    return text.format(**params) if params else text


def translate_field_message(text: str, lang: str | None = None) -> str:
    """Translate a field error: one of ours (a MESSAGES key) or one of marshmallow's."""
    lang = lang or language()
    if text in MESSAGES:
        return t(text, lang)
    if lang == "zh":
        if text in FIELD_MESSAGES_ZH:
            return FIELD_MESSAGES_ZH[text]
        if text.startswith("Must be one of:"):
            return "取值无效，可选值：" + text[len("Must be one of:") :].strip().rstrip(".")
        if text.startswith("Longer than maximum length"):
            return "超过最大长度" + text[len("Longer than maximum length") :].strip().rstrip(".") + "。"
        if text.startswith("Must be greater than or equal to"):
            return "必须大于或等于" + text[len("Must be greater than or equal to") :].strip().rstrip(".") + "。"
        if text.startswith("Must be less than or equal to"):
            return "必须小于或等于" + text[len("Must be less than or equal to") :].strip().rstrip(".") + "。"
    return text
