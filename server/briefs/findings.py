"""Section 5 of the brief, "problems and next-quarter focus", worded from the figures alone.

Every number a sentence quotes is one of the figures (or a difference of two of them); the same
figures always give the same sentences, in the same order. The formatting helpers here are shared
with the document and the charts so a rate reads the same everywhere.
"""

from __future__ import annotations

import re
from datetime import date, datetime

# A category "grew" when it rose by at least this many hazards and this fraction of last quarter.
GROWTH_MIN_COUNT = 3
GROWTH_MIN_RATIO = 0.3
GROWTH_MAX_ITEMS = 3
# A grid's on-time rate is low below this, or this far (fraction) below the park's.
ON_TIME_TARGET = 0.8
ON_TIME_GAP = 0.1
# How many names a sentence lists before "等".
MAX_NAMES = 5

LANGS = ("zh", "en")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# Standard seasonal work, by the quarter that comes next.
SEASONAL_FOCUS = {
    1: (
        (
            "做好元旦、春节期间安全生产工作，严格落实节日值班值守制度，节前组织开展安全检查。",
            "Keep the New Year and Spring Festival holidays safe: duty rosters in place and inspections "
            "before the holidays.",
        ),
        (
            "节后组织开展企业复工复产安全验收，落实“验收一家、复工一家”要求。",
            "After the holidays, inspect every enterprise before it resumes work (resumption acceptance: "
            "one passes, one resumes).",
        ),
    ),
    2: (
        (
            "筹备“安全生产月”活动，组织开展安全宣传教育、培训和应急演练。",
            "Prepare Safety Production Month in June: publicity, training and emergency drills.",
        ),
        (
            "提前做好防汛准备，排查低洼地带、地下空间等防汛薄弱环节，检查防汛物资储备。",
            "Prepare for the flood season: check low-lying areas, basements and other weak points, and the "
            "flood-control supplies.",
        ),
    ),
    3: (
        (
            "做好主汛期防汛防台工作，落实汛期值班值守和应急响应措施。",
            "Keep flood and typhoon duty and emergency response in place through the main flood season.",
        ),
        (
            "加强高温时段安全防范，做好防暑降温，重点检查危险化学品储存和用电安全。",
            "Guard against the summer heat: heatstroke prevention, and checks of hazardous-chemical storage "
            "and electrical safety.",
        ),
    ),
    4: (
        (
            "做好冬季消防安全工作，开展冬季专项检查，加强用火、用电、用气安全管理。",
            "Winter fire safety: run the winter campaign and tighten the control of open flames, electricity and gas.",
        ),
        (
            "统筹做好岁末年初安全生产工作，开展年度安全生产目标责任考核和工作总结。",
            "Year-end work: keep the year-end peak safe, assess the responsibility agreements and write the "
            "annual safety summary.",
        ),
    ),
}


# -- shared formatting ----------------------------------------------------------------------------


def resolve_lang(figures: dict, lang: str | None = None) -> str:
    """The language asked for, else the figures' own, else Chinese."""
    lang = lang or figures.get("language") or "zh"
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}; use one of {', '.join(LANGS)}")
    return lang


def tr(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def format_rate(rate: float | None) -> str:
    """0.9583 → '95.8%'; None (nothing was found) → '—', never 100 %."""
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _permille(rate: float) -> int:
    """A rate in tenths of a percent, as displayed, so differences agree with the printed rates."""
    return round(rate * 1000)


def format_points(now: float | None, before: float | None, lang: str) -> str:
    """Change of a rate in percentage points: '+2.3个百分点' / '+2.3 pp'; '—' if either is None."""
    if now is None or before is None:
        return "—"
    diff = (_permille(now) - _permille(before)) / 10
    text = f"{diff:+.1f}" if diff else "0.0"
    return text + tr(lang, "个百分点", " pp")


def format_delta(now: int | None, before: int | None) -> str:
    """Change of a count: '+6', '-3', '0'; '—' if either is missing."""
    if now is None or before is None:
        return "—"
    return f"{now - before:+d}" if now != before else "0"


def format_growth(now: int, before: int) -> str:
    """Relative change of a count, '66.7%'; '—' when the base is zero."""
    return "—" if not before else f"{abs(now - before) / before * 100:.1f}%"


def parse_instant(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def format_date(value: str | date | datetime, lang: str) -> str:
    """'2026-10-01' → '2026年10月1日' / '1 October 2026'."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if lang == "en":
        return f"{value.day} {_MONTHS_EN[value.month - 1]} {value.year}"
    return f"{value.year}年{value.month}月{value.day}日"


def format_instant(value: str | datetime, lang: str) -> str:
    """An instant in its own (park) offset: '2026年10月1日6时' / '06:00 on 1 October 2026'."""
    moment = parse_instant(value)
    if lang == "en":
        return f"{moment:%H:%M} on {format_date(moment, lang)}"
    text = f"{format_date(moment, lang)}{moment.hour}时"
    return text + (f"{moment.minute}分" if moment.minute else "")


def is_quarter(figures: dict) -> bool:
    return bool((figures.get("period") or {}).get("quarter"))


def period_word(figures: dict, lang: str) -> str:
    """'本季度' for a calendar quarter, '本期' for any other period."""
    if is_quarter(figures):
        return tr(lang, "本季度", "this quarter")
    return tr(lang, "本期", "this period")


def previous_word(figures: dict, lang: str) -> str:
    if is_quarter(figures):
        return tr(lang, "上季度", "last quarter")
    return tr(lang, "上期", "the previous period")


def next_quarter(figures: dict) -> int | None:
    """1–4, the calendar quarter after the period (for a custom period: the one its end falls in)."""
    period = figures.get("period") or {}
    match = _QUARTER.match(period.get("quarter") or "")
    if match:
        return int(match.group(2)) % 4 + 1
    try:
        end = parse_instant(period.get("to"))
    except (TypeError, ValueError):
        return None
    return None if end is None else (end.month - 1) // 3 + 1


def join_names(names: list[str], lang: str) -> str:
    """'A、B、C' / 'A, B and C'."""
    if lang == "en":
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return "、".join(names)


def plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _category_name(label: str, lang: str) -> str:
    if lang == "en":
        return label
    return label if label.endswith("类") else label + "类"


# -- the rules ------------------------------------------------------------------------------------


def _grown_categories(figures: dict) -> list[tuple[dict, int]]:
    """(group, last quarter's found) for categories that grew meaningfully, largest increase first."""
    before_groups = (figures.get("previous") or {}).get("by_category")
    if before_groups is None:
        return []
    before = {group["key"]: group.get("found") or 0 for group in before_groups}
    grown = []
    for group in figures.get("by_category") or []:
        now, then = group.get("found") or 0, before.get(group["key"], 0)
        increase = now - then
        if increase >= GROWTH_MIN_COUNT and (then == 0 or increase / then >= GROWTH_MIN_RATIO):
            grown.append((group, then))
    grown.sort(key=lambda item: (-(item[0]["found"] - item[1]), -item[0]["found"], str(item[0]["key"])))
    return grown[:GROWTH_MAX_ITEMS]


def _low_grids(figures: dict) -> list[dict]:
    park = (figures.get("totals") or {}).get("on_time_rate")
    low = []
    for group in figures.get("by_grid") or []:
        rate = group.get("on_time_rate")
        if rate is None or not group.get("found"):
            continue
        below_target = _permille(rate) < _permille(ON_TIME_TARGET)
        below_park = park is not None and _permille(rate) <= _permille(park) - _permille(ON_TIME_GAP)
        if below_target or below_park:
            low.append(group)
    low.sort(key=lambda group: (group["on_time_rate"], str(group["key"])))
    return low


def _listed(items: list[str], lang: str) -> str:
    """At most MAX_NAMES names, then '等' / 'and others'."""
    if len(items) <= MAX_NAMES:
        return join_names(items, lang)
    shown = items[:MAX_NAMES]
    return "、".join(shown) + "等" if lang == "zh" else ", ".join(shown) + " and others"


def derive_findings(figures: dict, lang: str | None = None) -> dict[str, list[str]]:
    """Problems found in the figures and the focus of the next quarter, as sentences for section 5."""
    lang = resolve_lang(figures, lang)
    t = figures.get("totals") or {}
    previous = (figures.get("previous") or {}).get("totals") or {}
    this, last = period_word(figures, lang), previous_word(figures, lang)
    problems: list[str] = []
    focus: list[str] = []

    accidents = figures.get("accidents") or 0
    if accidents:
        problems.append(
            tr(
                lang,
                f"{this}发生生产安全事故{accidents}起，安全生产形势依然严峻。",
                f"{accidents} work-safety {plural(accidents, 'accident', 'accidents')} occurred {this}; "
                "the safety situation remains serious.",
            )
        )
        focus.append(
            tr(
                lang,
                "深刻汲取事故教训，举一反三开展隐患排查，严防同类事故再次发生。",
                "Learn the lessons of the accident and search for similar hazards across the park so that it "
                "cannot happen again.",
            )
        )

    major_open = t.get("major_open") or 0
    if major_open:
        problems.append(
            tr(
                lang,
                f"重大隐患{major_open}项尚未整改销号，存在较大安全风险。",
                f"{major_open} major {plural(major_open, 'hazard has', 'hazards have')} not yet been "
                "rectified and closed, a serious risk.",
            )
        )
        focus.append(
            tr(
                lang,
                "对未销号重大隐患严格落实责任、措施、资金、时限和预案“五落实”要求，实行挂牌督办，确保按期整改到位。",
                "Hold every open major hazard to the five-in-place plan (person, measures, funds, deadline, "
                "contingency plan) under formal supervision until it is closed.",
            )
        )

    overdue = t.get("overdue") or 0
    if overdue:
        as_of = (figures.get("period") or {}).get("as_of")
        listed = figures.get("overdue_major") or []
        days = [item["days_overdue"] for item in listed if item.get("days_overdue") is not None]
        supervised = sum(1 for item in listed if item.get("stage") == "supervised")
        if lang == "en":
            text = (f"As of {format_date(parse_instant(as_of), lang)}, " if as_of else "") + (
                f"{overdue} {plural(overdue, 'hazard', 'hazards')} found {this} "
                f"{plural(overdue, 'was', 'were')} still open past the deadline"
            )
            if days:
                text += f"; the longest is {max(days)} days overdue"
            if supervised:
                text += f"; {supervised} {plural(supervised, 'is', 'are')} under formal supervision"
            text += "."
        else:
            text = (f"截至{format_date(parse_instant(as_of), lang)}，" if as_of else "") + (
                f"{this}发现的隐患中仍有{overdue}项逾期未整改"
            )
            if days:
                text += f"，最长逾期{max(days)}天"
            if supervised:
                text += f"，其中{supervised}项已挂牌督办"
            text += "。"
        problems.append(text)
        focus.append(
            tr(
                lang,
                "督促逾期隐患整改销号，逐项跟踪督办，对逾期时间较长的隐患实行挂牌督办。",
                "Chase every overdue hazard until it is rectified and closed; put the longest overdue under "
                "formal supervision.",
            )
        )

    grown = _grown_categories(figures)
    for group, then in grown:
        now = group["found"]
        name = _category_name(group["label"], lang)
        if then:
            problems.append(
                tr(
                    lang,
                    f"{name}隐患{now}项，较{last}增加{now - then}项，增幅{format_growth(now, then)}，需引起高度重视。",
                    f"{name} hazards: {now} found, {now - then} more than {last} "
                    f"(up {format_growth(now, then)}); this calls for close attention.",
                )
            )
        else:
            problems.append(
                tr(
                    lang,
                    f"{name}隐患{now}项，{last}未发现此类隐患，需引起高度重视。",
                    f"{name} hazards: {now} found, where {last} had none; this calls for close attention.",
                )
            )
    if grown:
        labels = join_names([group["label"] for group, _ in grown], lang)
        focus.append(
            tr(
                lang,
                f"开展{labels}专项整治，集中排查治理同类隐患，遏制隐患上升势头。",
                f"Run special campaigns on {labels} hazards to reverse the increase.",
            )
        )

    repeat = sorted(
        figures.get("repeat_enterprises") or [], key=lambda item: (-(item.get("found") or 0), str(item["label"]))
    )
    if repeat:
        n = figures.get("repeat_enterprises_count", len(repeat))  # the list itself is capped
        if lang == "en":
            names = _listed([f"{item['label']} ({item['found']})" for item in repeat], lang)
            problems.append(
                f"Hazards recurred at {n} {plural(n, 'enterprise', 'enterprises')} {this}: {names}; "
                "rectification is not thorough and enterprises are not fully meeting their own responsibilities."
            )
        else:
            names = _listed([f"{item['label']}（{item['found']}项）" for item in repeat], lang)
            problems.append(
                f"{this}有{n}家企业隐患重复多发：{names}，反映出部分企业隐患整改不彻底、安全生产主体责任落实不到位。"
            )
        names = _listed([item["label"] for item in repeat], lang)
        names_etc = names if names.endswith("等") else names + "等"
        focus.append(
            tr(
                lang,
                f"对{names_etc}隐患重复多发企业开展约谈，督促企业落实安全生产主体责任，健全隐患自查自改机制。",
                f"Call in {names} for talks on their recurring hazards and make them run their own regular "
                "hazard checks.",
            )
        )

    low = _low_grids(figures)
    if low:
        park = format_rate(t.get("on_time_rate"))
        if lang == "en":
            names = _listed([f"{group['label']} ({format_rate(group['on_time_rate'])})" for group in low], lang)
            problems.append(
                f"On-time rectification is low in {names}, against {park} for the whole park; "
                "hazards need to be rectified faster."
            )
        else:
            names = _listed([f"{group['label']}（{format_rate(group['on_time_rate'])}）" for group in low], lang)
            problems.append(f"{names}按期整改率偏低，全园区为{park}，隐患整改时效有待提高。")
        names = _listed([group["label"] for group in low], lang)
        focus.append(
            tr(
                lang,
                f"督促{names}加强隐患跟踪督办，压实网格员责任，提高按期整改率。",
                f"Have {names} follow up their hazards more closely so that more are rectified on time.",
            )
        )

    fell = []
    for key, zh, en in (
        ("rectification_rate", "隐患整改率", "The rectification rate"),
        ("on_time_rate", "按期整改率", "the on-time rate"),
    ):
        now, then = t.get(key), previous.get(key)
        if now is not None and then is not None and _permille(now) < _permille(then):
            points = (_permille(then) - _permille(now)) / 10
            fell.append(
                tr(
                    lang,
                    f"{zh}为{format_rate(now)}，较{last}（{format_rate(then)}）下降{points:.1f}个百分点",
                    f"{en} fell to {format_rate(now)} from {format_rate(then)} {last} "
                    f"(down {points:.1f} percentage points)",
                )
            )
    if fell:
        text = tr(lang, "；".join(fell) + "。", "; ".join(fell) + ".")
        problems.append(text[0].upper() + text[1:] if lang == "en" else text)
        focus.append(
            tr(
                lang,
                "加强隐患整改复查验收，推动隐患闭环管理，提升整改率和按期整改率。",
                "Verify rectifications promptly and close the loop on every hazard to raise both rates.",
            )
        )

    inspections = t.get("inspections") or 0
    inspected, total = figures.get("enterprises_inspected"), figures.get("enterprises_total")
    if not inspections:
        problems.append(
            tr(
                lang,
                f"{this}未开展安全检查，隐患排查工作存在缺位。",
                f"No inspections were carried out {this}.",
            )
        )
    elif total and inspected is not None and inspected < total:
        share = format_rate(inspected / total)
        problems.append(
            tr(
                lang,
                f"{this}检查覆盖企业{inspected}家，占园区企业总数{total}家的{share}，"
                f"尚有{total - inspected}家企业未开展检查。",
                f"Inspections {this} covered {inspected} of {total} enterprises ({share}); "
                f"{total - inspected} were not inspected.",
            )
        )
    if not inspections or (total and inspected is not None and inspected < total):
        focus.append(
            tr(
                lang,
                "科学制定检查计划，确保园区企业检查全覆盖。",
                "Plan inspections so that every enterprise in the park is covered.",
            )
        )

    if not problems:
        problems.append(
            tr(
                lang,
                f"{this}隐患排查治理工作总体平稳有序，未发现需要重点关注的突出问题。",
                f"Hazard identification and rectification were on track {this}; no significant problems call "
                "for special attention.",
            )
        )
        focus.append(
            tr(
                lang,
                "持续开展日常巡查和隐患排查治理，巩固安全生产良好态势。",
                "Keep up routine patrols and hazard rectification to hold the good safety record.",
            )
        )

    quarter = next_quarter(figures)
    if quarter:
        focus.extend(tr(lang, zh, en) for zh, en in SEASONAL_FOCUS[quarter])
    return {"problems": problems, "focus": focus}
