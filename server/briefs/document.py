"""The quarterly safety-meeting brief (季度安全生产会议通报) as Word (.docx) and PDF.

`render_docx` writes the document from the figures dict alone (no app, no database); `render_pdf`
converts that very file with LibreOffice, so the PDF never says anything the .docx does not.
Sections follow SPEC.md, "Quarterly safety meeting brief".
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from datetime import UTC, timedelta
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor

from server.briefs import charts
from server.briefs.findings import (
    derive_findings,
    format_date,
    format_delta,
    format_instant,
    format_points,
    format_rate,
    is_quarter,
    parse_instant,
    period_word,
    plural,
    resolve_lang,
    tr,
)

# East Asian fonts from fonts-noto-cjk; Latin text uses the same faces so both scripts match.
BODY_FONT = "Noto Serif CJK SC"
HEADING_FONT = "Noto Sans CJK SC"
TITLE_SIZE, HEADING_SIZE, SUBHEADING_SIZE, BODY_SIZE, TABLE_SIZE = Pt(22), Pt(16), Pt(14), Pt(14), Pt(10.5)
HEADER_SIZE_EN = Pt(9)
CHART_WIDTH = Cm(15)
DASH = "—"
SOFFICE_TIMEOUT = 120

SECTION_TITLES = {
    "overview": ("一、总体情况", "1. Overview"),
    "distribution": ("二、隐患分布情况", "2. Hazards by category, grid and enterprise"),
    "overdue": ("三、逾期及重大隐患情况", "3. Overdue and major hazards"),
    "work": ("四、安全生产工作开展情况", "4. Safety work done"),
    "findings": ("五、存在问题及下季度工作重点", "5. Problems and next-quarter focus"),
}
RECORD_ORDER = ("agreement", "drill", "meeting", "training", "activity")
RECORD_VERBS = {"agreement": ("签订", "份"), "drill": ("组织", "次"), "meeting": ("召开", "次")}
COMPARED = (
    ("inspections", "检查次数", "Inspections"),
    ("found", "发现隐患", "Hazards found"),
    ("major_found", "其中重大隐患", "of which major"),
    ("rectified", "已整改", "Rectified"),
    ("rectification_rate", "整改率", "Rectification rate"),
    ("rectified_on_time", "按期整改", "Rectified on time"),
    ("on_time_rate", "按期整改率", "On-time rate"),
    ("closed", "期内整改销号", "Closed in the period"),
    ("open", "未整改", "Open"),
    ("overdue", "逾期未整改", "Overdue"),
    ("major_open", "重大隐患未整改", "Major, open"),
)
RATES = ("rectification_rate", "on_time_rate")


# -- fonts and styles -----------------------------------------------------------------------------


def _set_fonts(element, name: str) -> None:
    """Name `name` for every script (ascii, hAnsi, eastAsia, cs) on a run or style, dropping theme fonts."""
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)


def _style_font(style, name: str, size, bold: bool = False) -> None:
    _set_fonts(style.element, name)
    style.font.size = size
    style.font.bold = bold
    style.font.color.rgb = RGBColor(0, 0, 0)


def _setup_styles(doc, lang: str) -> None:
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), BODY_FONT)
    language = rpr.find(qn("w:lang"))
    language.set(qn("w:val"), "en-US" if lang == "en" else "zh-CN")
    language.set(qn("w:eastAsia"), "zh-CN")

    normal = doc.styles["Normal"]
    _style_font(normal, BODY_FONT, BODY_SIZE)
    fmt = normal.paragraph_format
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(0), Pt(0), 1.5
    fmt.widow_control = True

    body = doc.styles.add_style("Brief Body", WD_STYLE_TYPE.PARAGRAPH)
    body.base_style = normal
    body.paragraph_format.first_line_indent = Pt(28)
    body.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY

    table = doc.styles.add_style("Brief Table", WD_STYLE_TYPE.PARAGRAPH)
    table.base_style = normal
    _style_font(table, BODY_FONT, TABLE_SIZE)
    table.paragraph_format.line_spacing = 1.0
    table.paragraph_format.space_before = table.paragraph_format.space_after = Pt(1.5)

    caption = doc.styles.add_style("Brief Caption", WD_STYLE_TYPE.PARAGRAPH)
    caption.base_style = normal
    _style_font(caption, HEADING_FONT, Pt(12), bold=True)
    caption.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption.paragraph_format.space_before = Pt(6)
    caption.paragraph_format.keep_with_next = True

    title = doc.styles.add_style("Brief Title", WD_STYLE_TYPE.PARAGRAPH)
    title.base_style = normal
    _style_font(title, BODY_FONT, TITLE_SIZE, bold=True)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(6)
    title.paragraph_format.line_spacing = 1.2

    for name, font, size, before in (
        ("Heading 1", HEADING_FONT, HEADING_SIZE, Pt(12)),
        ("Heading 2", BODY_FONT, SUBHEADING_SIZE, Pt(6)),
    ):
        style = doc.styles[name]
        _style_font(style, font, size, bold=True)
        fmt = style.paragraph_format
        fmt.space_before, fmt.space_after, fmt.line_spacing = before, Pt(0), 1.5
        fmt.first_line_indent = Pt(28)
        fmt.keep_with_next = True


def _page_setup(doc) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(20)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(footer, "— ", size=Pt(12))
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    footer._p.append(field)
    inner = _run(footer, "1", size=Pt(12))
    field.append(inner._r)
    _run(footer, " —", size=Pt(12))


# -- building blocks ------------------------------------------------------------------------------


def _run(paragraph, text: str, font: str = BODY_FONT, size=None, bold: bool | None = None):
    run = paragraph.add_run(text)
    _set_fonts(run._r, font)
    if size is not None:
        run.font.size = size
    if bold is not None:
        run.bold = bold
    return run


def _paragraph(doc, text: str, style: str = "Brief Body", align=None, font: str = BODY_FONT):
    paragraph = doc.add_paragraph(style=style)
    if align is not None:
        paragraph.alignment = align
    _run(paragraph, text, font=font)
    return paragraph


def _heading(doc, text: str, level: int):
    paragraph = doc.add_heading(level=level)
    _run(paragraph, text, font=HEADING_FONT if level == 1 else BODY_FONT)
    return paragraph


class _Numbers:
    """Running table numbers (表1, 表2 …)."""

    def __init__(self, lang: str):
        self.lang = lang
        self.table = 0

    def next_table(self) -> str:
        self.table += 1
        return tr(self.lang, f"表{self.table}", f"Table {self.table}")


def _shade(cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _table(
    doc,
    lang: str,
    caption: str,
    header: list[str],
    rows: list[list[str]],
    widths: dict[str, list[float]],
    left: set[int] = frozenset(),
):
    """A captioned grid table; `widths` in cm per language, columns in `left` left-aligned, the rest centred."""
    widths = widths[lang]
    _paragraph(doc, caption, style="Brief Caption", font=HEADING_FONT)
    table = doc.add_table(rows=1 + len(rows), cols=len(header))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for index, width in enumerate(widths):
        table.columns[index].width = Cm(width)
    header_row = table.rows[0]
    row_pr = header_row._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    row_pr.append(repeat)
    # Row by row: table.cell(r, c) re-reads the whole grid each time (quadratic in the table's size).
    for row_index, (table_row, values) in enumerate(zip(table.rows, [header, *rows], strict=True)):
        cells = table_row.cells
        for col, value in enumerate(values):
            cell = cells[col]
            cell.width = Cm(widths[col])
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            paragraph = cell.paragraphs[0]
            paragraph.style = doc.styles["Brief Table"]
            header_cell = row_index == 0
            paragraph.alignment = (
                WD_ALIGN_PARAGRAPH.LEFT if col in left and not header_cell else WD_ALIGN_PARAGRAPH.CENTER
            )
            _run(
                paragraph,
                str(value),
                font=HEADING_FONT if header_cell else BODY_FONT,
                bold=header_cell or None,
                size=HEADER_SIZE_EN if header_cell and lang == "en" else None,  # English words do not wrap
            )
            if header_cell:
                _shade(cell, "E7E6E6")
    doc.add_paragraph(style="Brief Table")  # breathing room after the table
    return table


def _picture(doc, path: Path) -> None:
    paragraph = doc.add_paragraph(style="Normal")
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.line_spacing = 1.0
    paragraph.add_run().add_picture(str(path), width=CHART_WIDTH)


def _n(value) -> str:
    return DASH if value is None else str(value)


def _totals(block: dict | None) -> dict:
    return (block or {}).get("totals") or {}


# -- the sections ---------------------------------------------------------------------------------


def _period_range(figures: dict, lang: str) -> str | None:
    period = figures.get("period") or {}
    start, end = parse_instant(period.get("from")), parse_instant(period.get("to"))
    if start is None or end is None:
        return None
    last_day = (end - timedelta(microseconds=1)).date()  # `to` is exclusive
    return tr(
        lang,
        f"{format_date(start, lang)}至{format_date(last_day, lang)}",
        f"From {format_date(start, lang)} to {format_date(last_day, lang)}",
    )


def _overview(doc, figures: dict, lang: str, numbers: _Numbers) -> None:
    _heading(doc, tr(lang, *SECTION_TITLES["overview"]), 1)
    t = figures.get("totals") or {}
    this = period_word(figures, lang)
    span = _period_range(figures, lang)
    kinds = [k for k in figures.get("inspections_by_kind") or [] if k.get("inspections")]
    inspected, total = figures.get("enterprises_inspected"), figures.get("enterprises_total")
    inspections = t.get("inspections", 0)

    if lang == "en":
        text = f"{span}, " if span else f"{this[0].upper()}{this[1:]}, "
        text += f"{inspections} {plural(inspections, 'inspection was', 'inspections were')} carried out in the park"
        if kinds:
            text += " (" + ", ".join(f"{k['label']}: {k['inspections']}" for k in kinds) + ")"
        if inspected is not None:
            text += f", covering {inspected} {plural(inspected, 'enterprise', 'enterprises')}"
            if total:
                text += f" of the park's {total} ({format_rate(inspected / total)})"
        text += "."
    else:
        text = f"{this}（{span}），" if span else f"{this}，"
        text += f"园区共开展安全检查{inspections}次"
        if kinds:
            text += "，其中" + "、".join(f"{k['label']}{k['inspections']}次" for k in kinds)
        if inspected is not None:
            text += f"；检查覆盖企业{inspected}家"
            if total:
                text += f"，占园区企业总数{total}家的{format_rate(inspected / total)}"
        text += "。"
    _paragraph(doc, text)

    found, major = t.get("found", 0), t.get("major_found", 0)
    rate, on_time = format_rate(t.get("rectification_rate")), format_rate(t.get("on_time_rate"))
    as_of = (figures.get("period") or {}).get("as_of")
    if lang == "en":
        if found:
            still_open, overdue, major_open = t.get("open", 0), t.get("overdue", 0), t.get("major_open", 0)
            text = (
                f"{found} {plural(found, 'hazard was', 'hazards were')} found ({found - major} general, "
                f"{major} major). By the cut-off, {t.get('rectified', 0)} had been rectified (rectification rate "
                f"{rate}), {t.get('rectified_on_time', 0)} of them on time (on-time rate {on_time}); "
                f"{still_open} {plural(still_open, 'remains', 'remain')} open, of which {overdue} "
                f"{plural(overdue, 'is', 'are')} overdue and {major_open} {plural(major_open, 'is', 'are')} major."
            )
        else:
            text = (
                f"No hazards were found {this} (0 found), so the rectification rate and the on-time rate are "
                f"{DASH} (not applicable)."
            )
        closed = t.get("closed", 0)
        text += f" {closed} {plural(closed, 'hazard was', 'hazards were')} closed {this}, including ones found earlier."
    else:
        if found:
            text = (
                f"共排查发现安全隐患{found}项，其中一般隐患{found - major}项、重大隐患{major}项。截至统计时点，"
                f"已整改{t.get('rectified', 0)}项，整改率{rate}；其中按期整改{t.get('rectified_on_time', 0)}项，"
                f"按期整改率{on_time}；尚未整改{t.get('open', 0)}项，其中逾期未整改{t.get('overdue', 0)}项、"
                f"重大隐患{t.get('major_open', 0)}项。"
            )
        else:
            text = f"{this}未排查发现安全隐患（发现隐患0项），整改率、按期整改率均记为“{DASH}”。"
        text += f"{this}共整改销号隐患{t.get('closed', 0)}项（含以前发现的隐患）。"
    _paragraph(doc, text)

    accidents = figures.get("accidents") or 0
    if accidents:
        text = tr(
            lang,
            f"{this}发生生产安全事故{accidents}起。",
            f"{accidents} work-safety {plural(accidents, 'accident', 'accidents')} occurred {this}.",
        )
    else:
        text = tr(lang, f"{this}未发生生产安全事故。", f"No work-safety accidents occurred {this}.")
    _paragraph(doc, text)

    previous, last_year = figures.get("previous") or {}, figures.get("last_year") or {}
    before, year_ago = _totals(previous), _totals(last_year)
    caption = numbers.next_table()
    prev_word = tr(lang, "上季度", "Last quarter") if is_quarter(figures) else tr(lang, "上期", "Previous period")
    prev_label, year_label = previous.get("label"), last_year.get("label")
    if lang == "en":
        intro = f"{caption} compares the key figures with {prev_word.lower()}" + (
            f" ({prev_label})" if prev_label else ""
        )
        intro += " and the same period last year" + (f" ({year_label})" if year_label else "")
        intro += f", all as of {format_instant(as_of, lang)}." if as_of else "."
    else:
        intro = f"主要指标与{prev_word}" + (f"（{prev_label}）" if prev_label else "")
        intro += "、去年同期" + (f"（{year_label}）" if year_label else "") + f"对比情况见{caption}"
        intro += f"（各项数据均统计至{format_instant(as_of, lang)}）。" if as_of else "。"
    _paragraph(doc, intro)
    this = period_word(figures, lang)
    header = [
        tr(lang, "指标", "Figure"),
        this[0].upper() + this[1:],
        prev_word,
        tr(lang, "去年同期", "Last year"),
        tr(lang, f"较{prev_word}", f"vs {prev_word.lower()}"),
        tr(lang, "较去年同期", "vs last year"),
    ]
    rows = []
    for key, zh, en in COMPARED:
        now, then, ago = t.get(key), before.get(key), year_ago.get(key)
        if key in RATES:
            rows.append(
                [
                    tr(lang, zh, en),
                    format_rate(now),
                    format_rate(then) if previous else DASH,
                    format_rate(ago) if last_year else DASH,
                    format_points(now, then, lang),
                    format_points(now, ago, lang),
                ]
            )
        else:
            rows.append([tr(lang, zh, en), _n(now), _n(then), _n(ago), format_delta(now, then), format_delta(now, ago)])
    _table(
        doc,
        lang,
        caption + tr(lang, "  主要指标对比", "  Key figures compared"),
        header,
        rows,
        {"zh": [3.1, 2.0, 2.0, 2.0, 3.25, 3.25], "en": [3.4, 1.8, 1.8, 1.8, 3.4, 3.4]},
        left={0},
    )


def _group_rows(groups: list[dict], totals: dict | None, lang: str) -> list[list[str]]:
    rows = [
        [
            str(g.get("label", g.get("key"))),
            _n(g.get("found")),
            _n(g.get("major_found")),
            _n(g.get("rectified")),
            format_rate(g.get("rectification_rate")),
            format_rate(g.get("on_time_rate")),
            _n(g.get("open")),
            _n(g.get("overdue")),
        ]
        for g in groups
    ]
    if totals is not None:
        rows.append(_group_rows([{"label": tr(lang, "合计", "Total"), **totals}], None, lang)[0])
    return rows


def _group_header(first: str, lang: str) -> list[str]:
    return [
        first,
        tr(lang, "发现", "Found"),
        tr(lang, "重大", "Major"),
        tr(lang, "已整改", "Rectified"),
        tr(lang, "整改率", "Rect. rate"),
        tr(lang, "按期整改率", "On-time rate"),
        tr(lang, "未整改", "Open"),
        tr(lang, "逾期", "Overdue"),
    ]


GROUP_WIDTHS = {"zh": [3.5, 1.4, 1.4, 1.8, 1.9, 2.4, 1.8, 1.4], "en": [3.3, 1.5, 1.5, 2.1, 1.9, 1.9, 1.5, 1.9]}


def _distribution(doc, figures: dict, lang: str, numbers: _Numbers, chart_dir: Path) -> None:
    _heading(doc, tr(lang, *SECTION_TITLES["distribution"]), 1)
    t = figures.get("totals") or {}
    found = t.get("found") or 0
    no_data = tr(lang, "本期无数据。", "No data for this period.")

    _heading(doc, tr(lang, "（一）按隐患类别", "(1) By category"), 2)
    categories = [g for g in figures.get("by_category") or [] if g.get("found")]
    if categories:
        top = sorted(categories, key=lambda g: (-g["found"], str(g.get("key"))))[:3]
        share = format_rate(sum(g["found"] for g in top) / found) if found else DASH
        caption = numbers.next_table()
        _paragraph(
            doc,
            tr(
                lang,
                "从隐患类别看，数量居前的是"
                + "、".join(f"{g['label']}（{g['found']}项）" for g in top)
                + f"，合计占隐患总数的{share}，详见{caption}。",
                "The most frequent categories were "
                + ", ".join(f"{g['label']} ({g['found']})" for g in top)
                + f", together {share} of all hazards found; see {caption}.",
            ),
        )
        _table(
            doc,
            lang,
            caption + tr(lang, "  隐患分类统计", "  Hazards by category"),
            _group_header(tr(lang, "隐患类别", "Category"), lang),
            _group_rows(figures.get("by_category") or [], t, lang),
            GROUP_WIDTHS,
            left={0},
        )
        _picture(doc, charts.category_png(figures, chart_dir / "category.png", lang))
    else:
        _paragraph(doc, no_data)

    _heading(doc, tr(lang, "（二）按网格", "(2) By grid"), 2)
    grids = figures.get("by_grid") or []
    if grids:
        caption = numbers.next_table()
        _paragraph(
            doc,
            tr(
                lang,
                f"各网格隐患排查及整改情况见{caption}。",
                f"{caption} shows hazards found and rectified in each grid.",
            ),
        )
        _table(
            doc,
            lang,
            caption + tr(lang, "  各网格隐患统计", "  Hazards by grid"),
            _group_header(tr(lang, "网格", "Grid"), lang),
            _group_rows(grids, t, lang),
            GROUP_WIDTHS,
            left={0},
        )
    else:
        _paragraph(doc, no_data)
    if any(g.get("found") for g in grids):  # an empty chart says no more than the sentence above
        _picture(doc, charts.grid_png(figures, chart_dir / "grid.png", lang))

    _heading(doc, tr(lang, "（三）重点企业", "(3) Enterprises with the most open hazards"), 2)
    top = figures.get("top_enterprises") or []
    if top:
        caption = numbers.next_table()
        _paragraph(
            doc,
            tr(
                lang,
                f"未整改隐患较多的企业见{caption}。",
                f"{caption} lists the enterprises with the most open hazards.",
            ),
        )
        _table(
            doc,
            lang,
            caption + tr(lang, "  未整改隐患较多的企业", "  Enterprises with the most open hazards"),
            [
                tr(lang, "序号", "No."),
                tr(lang, "企业", "Enterprise"),
                tr(lang, "发现", "Found"),
                tr(lang, "未整改", "Open"),
                tr(lang, "逾期", "Overdue"),
                tr(lang, "重大未整改", "Major open"),
                tr(lang, "整改率", "Rect. rate"),
            ],
            [
                [
                    str(i),
                    str(g.get("label", g.get("key"))),
                    _n(g.get("found")),
                    _n(g.get("open")),
                    _n(g.get("overdue")),
                    _n(g.get("major_open")),
                    format_rate(g.get("rectification_rate")),
                ]
                for i, g in enumerate(top, 1)
            ],
            {"zh": [1.1, 5.2, 1.5, 1.8, 1.5, 2.6, 1.9], "en": [1.0, 5.8, 1.5, 1.5, 1.8, 1.8, 2.2]},
            left={1},
        )
    else:
        _paragraph(doc, tr(lang, "本期无未整改隐患的企业。", "No enterprise has open hazards from this period."))
    repeat = figures.get("repeat_enterprises") or []
    if repeat:
        this = period_word(figures, lang)
        n = figures.get("repeat_enterprises_count", len(repeat))  # the list itself is capped
        more_zh, more_en = ("等", " and others") if n > len(repeat) else ("", "")
        _paragraph(
            doc,
            tr(
                lang,
                f"{this}隐患重复多发的企业{n}家："
                + "、".join(f"{r['label']}（{r['found']}项）" for r in repeat)
                + more_zh
                + "。",
                f"Hazards recurred at {n} {plural(n, 'enterprise', 'enterprises')} {this}: "
                + ", ".join(f"{r['label']} ({r['found']})" for r in repeat)
                + more_en
                + ".",
            ),
        )

    _heading(doc, tr(lang, "（四）月度趋势", "(4) Monthly trend"), 2)
    months = figures.get("by_month") or []
    if months:
        _paragraph(
            doc,
            tr(
                lang,
                "各月隐患发现及整改销号情况："
                + "；".join(f"{m['label']}发现{_n(m.get('found'))}项、整改销号{_n(m.get('closed'))}项" for m in months)
                + "。",
                "Hazards found and closed by month: "
                + "; ".join(f"{m['label']}: {_n(m.get('found'))} found, {_n(m.get('closed'))} closed" for m in months)
                + ".",
            ),
        )
    if any(m.get("found") or m.get("closed") for m in months):
        _picture(doc, charts.monthly_trend_png(figures, chart_dir / "monthly.png", lang))


def _overdue(doc, figures: dict, lang: str, numbers: _Numbers) -> None:
    _heading(doc, tr(lang, *SECTION_TITLES["overdue"]), 1)
    items = figures.get("overdue_major") or []
    if not items:
        _paragraph(doc, tr(lang, "本期无逾期及重大隐患。", "There are no overdue or major hazards."))
        return
    majors = sum(1 for item in items if item.get("level") == "major")
    late = sum(1 for item in items if item.get("days_overdue") is not None)
    caption = numbers.next_table()
    as_of = (figures.get("period") or {}).get("as_of")
    when = tr(lang, f"截至{format_instant(as_of, lang)}，", f"As of {format_instant(as_of, lang)}, ") if as_of else ""
    _paragraph(
        doc,
        when
        + tr(
            lang,
            f"逾期未整改及未销号重大隐患共{len(items)}项（其中重大隐患{majors}项、已逾期{late}项），详见{caption}。",
            f"{len(items)} {plural(len(items), 'hazard is', 'hazards are')} overdue or major "
            f"({majors} major, {late} overdue); see {caption}.",
        ),
    )
    rows = []
    for i, item in enumerate(items, 1):
        description = str(item.get("description") or "")
        if item.get("location"):
            description += tr(lang, f"（部位：{item['location']}）", f" (at: {item['location']})")
        rows.append(
            [
                str(i),
                str(item.get("enterprise") or ""),
                description,
                str(item.get("level_label") or DASH),
                str(item.get("deadline") or DASH),
                _n(item.get("days_overdue")),
                str(item.get("stage_label") or DASH),
            ]
        )
    _table(
        doc,
        lang,
        caption + tr(lang, "  逾期及重大隐患清单", "  Overdue and major hazards"),
        [
            tr(lang, "序号", "No."),
            tr(lang, "企业", "Enterprise"),
            tr(lang, "隐患描述", "Description"),
            tr(lang, "级别", "Level"),
            tr(lang, "整改期限", "Deadline"),
            tr(lang, "逾期天数", "Days overdue"),
            tr(lang, "督办阶段", "Stage"),
        ],
        rows,
        {"zh": [1.1, 2.9, 4.0, 1.2, 2.5, 1.9, 2.0], "en": [1.0, 2.9, 4.2, 1.5, 2.3, 1.8, 1.9]},
        left={1, 2},
    )


def _work(doc, figures: dict, lang: str, numbers: _Numbers) -> None:
    _heading(doc, tr(lang, *SECTION_TITLES["work"]), 1)
    records = figures.get("records") or {}
    kinds = [k for k in RECORD_ORDER if k in records] + sorted(
        k for k in records if k not in RECORD_ORDER and k != "accident"
    )
    if not kinds:
        _paragraph(doc, tr(lang, "本期无安全生产工作记录。", "No safety work was recorded for this period."))
        return
    this = period_word(figures, lang)
    caption = numbers.next_table()
    if lang == "en":
        parts = [f"{records[k].get('label', k)}: {records[k].get('count', 0)}" for k in kinds]
        text = f"Safety work recorded {this}: " + "; ".join(parts) + f" (details in {caption})."
    else:
        parts = []
        for k in kinds:
            verb, unit = RECORD_VERBS.get(k, ("开展", "次"))
            parts.append(f"{verb}{records[k].get('label', k)}{records[k].get('count', 0)}{unit}")
        text = f"{this}，" + "，".join(parts) + f"，详见{caption}。"
    _paragraph(doc, text)
    _table(
        doc,
        lang,
        caption + tr(lang, "  安全生产工作开展情况", "  Safety work done"),
        [tr(lang, "工作事项", "Work"), tr(lang, "记录数", "Records"), tr(lang, "数量合计", "Quantity")],
        [[str(records[k].get("label", k)), _n(records[k].get("count")), _n(records[k].get("quantity"))] for k in kinds],
        {"zh": [7.0, 3.0, 3.0], "en": [7.0, 3.0, 3.0]},
        left={0},
    )


def _findings(doc, figures: dict, lang: str) -> None:
    _heading(doc, tr(lang, *SECTION_TITLES["findings"]), 1)
    problems, focus = figures.get("problems"), figures.get("focus")
    if not problems and not focus:
        derived = derive_findings(figures, lang)
        problems, focus = derived["problems"], derived["focus"]
    _heading(doc, tr(lang, "（一）存在问题", "(1) Problems"), 2)
    for i, text in enumerate(problems or [], 1):
        _paragraph(doc, f"{i}．{text}" if lang == "zh" else f"{i}. {text}")
    _heading(doc, tr(lang, "（二）下季度工作重点", "(2) Focus for next quarter"), 2)
    for i, text in enumerate(focus or [], 1):
        _paragraph(doc, f"{i}．{text}" if lang == "zh" else f"{i}. {text}")


def title_text(figures: dict, lang: str) -> str:
    label = (figures.get("period") or {}).get("label", "")
    if lang == "en":
        return f"Safety Work Brief, {label}"
    return f"{figures.get('park_name') or ''}{label}安全生产工作通报"


# -- public ---------------------------------------------------------------------------------------


def render_docx(figures: dict, path, lang: str | None = None) -> None:
    """Write the brief for `figures` to `path` (.docx); `lang` defaults to figures["language"], then zh."""
    lang = resolve_lang(figures, lang)
    doc = Document()
    _setup_styles(doc, lang)
    _page_setup(doc)
    title = title_text(figures, lang)
    props = doc.core_properties
    props.title, props.subject = title, tr(lang, "季度安全生产会议通报", "Quarterly safety meeting brief")
    props.author = props.last_modified_by = figures.get("park_name") or ""
    props.language = "en-US" if lang == "en" else "zh-CN"
    props.comments = props.keywords = props.category = ""
    props.revision = 1
    as_of = (figures.get("period") or {}).get("as_of")
    if as_of:
        props.created = props.modified = parse_instant(as_of).astimezone(UTC)  # python-docx writes it as UTC

    heading = doc.add_paragraph(style="Brief Title")
    park = figures.get("park_name") or ""
    if lang == "zh" and park and title.startswith(park):
        _run(heading, park).add_break()  # the park on its own line, as official titles are set
        _run(heading, title[len(park) :])
    else:
        _run(heading, title)
    if lang == "en" and figures.get("park_name"):
        _paragraph(doc, figures["park_name"], style="Normal", align=WD_ALIGN_PARAGRAPH.CENTER)
    if as_of:
        _paragraph(
            doc,
            tr(lang, f"（截至{format_instant(as_of, lang)}）", f"(Figures as of {format_instant(as_of, lang)})"),
            style="Normal",
            align=WD_ALIGN_PARAGRAPH.CENTER,
        )
    doc.add_paragraph(style="Normal")

    numbers = _Numbers(lang)
    with tempfile.TemporaryDirectory(prefix="brief-charts-") as chart_dir:
        _overview(doc, figures, lang, numbers)
        _distribution(doc, figures, lang, numbers, Path(chart_dir))
        _overdue(doc, figures, lang, numbers)
        _work(doc, figures, lang, numbers)
        _findings(doc, figures, lang)
        doc.save(str(path))


def find_soffice() -> str:
    """LibreOffice's executable: $SOFFICE_PATH, else `soffice` or `libreoffice` on PATH."""
    configured = os.environ.get("SOFFICE_PATH")
    if configured:
        found = shutil.which(configured)
        if not found:
            raise RuntimeError(f"soffice not found: SOFFICE_PATH={configured!r} is not an executable")
        return found
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        raise RuntimeError("soffice not found: install LibreOffice or set SOFFICE_PATH")
    return found


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def render_pdf(docx_path, out_dir, timeout: float = SOFFICE_TIMEOUT) -> Path:
    """Convert `docx_path` to `<out_dir>/<stem>.pdf` with headless LibreOffice and return that path.

    Each call runs with its own throw-away profile and HOME, so concurrent conversions never share
    LibreOffice's user installation. Raises RuntimeError if soffice is missing, fails or times out.
    """
    soffice = find_soffice()
    source = Path(docx_path).resolve()
    if not source.is_file():
        raise RuntimeError(f"soffice cannot convert {source}: no such file")
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{source.stem}.pdf"
    target.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="soffice-", ignore_cleanup_errors=True) as tmp:
        home = Path(tmp, "home")
        home.mkdir()
        command = [
            soffice,
            f"-env:UserInstallation={Path(tmp, 'profile').as_uri()}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out_dir),
            str(source),
        ]
        env = {**os.environ, "HOME": str(home)}
        try:
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                cwd=tmp,
                start_new_session=True,
            )
        except OSError as exc:
            raise RuntimeError(f"soffice ({soffice}) could not be started: {exc}") from exc
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            stdout, stderr = process.communicate()
            raise RuntimeError(
                f"soffice ({soffice}) timed out after {timeout} s converting {source.name}; "
                f"stderr: {stderr.decode(errors='replace').strip() or '(empty)'}"
            ) from None
        _kill_group(process)  # nothing of this conversion may outlive it
    if process.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
        raise RuntimeError(
            f"soffice ({soffice}) produced no PDF for {source.name} (exit status {process.returncode}); "
            f"stderr: {stderr.decode(errors='replace').strip() or '(empty)'}; "
            f"stdout: {stdout.decode(errors='replace').strip() or '(empty)'}"
        )
    return target


def render_brief(figures: dict, out_dir, lang: str | None = None) -> tuple[Path, Path]:
    """Write `brief.docx` into `out_dir` and convert it to `brief.pdf`; return both paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    docx_path = out_dir / "brief.docx"
    render_docx(figures, docx_path, lang)
    return docx_path, render_pdf(docx_path, out_dir)
