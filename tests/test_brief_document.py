"""The quarterly brief as .docx, PDF and charts, from a plain figures dict (no app, no database)."""

from __future__ import annotations

import copy
import shutil
import subprocess

import pytest
from docx import Document
from PIL import Image

from server.briefs import charts
from server.briefs.document import render_brief, render_docx, render_pdf
from server.briefs.findings import derive_findings

CATEGORY_LABELS = {
    "electrical": ("电气安全", "Electrical"),
    "fire": ("消防安全", "Fire safety"),
    "hazchem": ("危险化学品", "Hazardous chemicals"),
    "management": ("安全管理", "Safety management"),
}


def totals(inspections, found, closed, major_found, major_open, rectified, on_time, overdue) -> dict:
    return {
        "inspections": inspections,
        "found": found,
        "closed": closed,
        "open": found - rectified,
        "overdue": overdue,
        "major_found": major_found,
        "major_open": major_open,
        "rectified": rectified,
        "rectified_on_time": on_time,
        "rectification_rate": rectified / found if found else None,
        "on_time_rate": on_time / found if found else None,
    }


def group(key, label, *args) -> dict:
    return {"key": key, "label": label, **totals(*args)}


def make_figures(lang: str = "zh") -> dict:
    """A realistic 2026 Q3: electrical hazards up sharply, one weak grid, repeat and overdue hazards."""
    en = lang == "en"
    cat = {k: v[1] if en else v[0] for k, v in CATEGORY_LABELS.items()}
    return {
        "language": lang,
        "park_name": "苏州工业园区某某产业园",
        "period": {
            "label": "2026 Q3" if en else "2026年第三季度",
            "quarter": "2026Q3",
            "from": "2026-07-01T00:00:00+08:00",
            "to": "2026-10-01T00:00:00+08:00",
            "as_of": "2026-10-01T06:00:00+08:00",
        },
        # found 48, closed 50, open 4, rectified 44 → 91.7 %, on time 41 → 85.4 %
        "totals": totals(63, 48, 50, 2, 1, 44, 41, 3),
        "previous": {
            "label": "2026 Q2" if en else "2026年第二季度",
            "totals": totals(57, 40, 38, 1, 0, 39, 37, 1),
            "by_category": [
                group("electrical", cat["electrical"], None, 9, 9, 0, 0, 9, 8, 0),
                group("fire", cat["fire"], None, 14, 13, 1, 0, 14, 13, 0),
                group("hazchem", cat["hazchem"], None, 10, 9, 0, 0, 9, 9, 1),
                group("management", cat["management"], None, 7, 7, 0, 0, 7, 7, 0),
            ],
        },
        "last_year": {"label": "2025 Q3" if en else "2025年第三季度", "totals": totals(45, 52, 47, 0, 0, 52, 50, 0)},
        "inspections_by_kind": [
            {"key": "routine", "label": "Routine patrol" if en else "日常巡查", "inspections": 40},
            {"key": "special", "label": "Special campaign" if en else "专项检查", "inspections": 15},
            {"key": "resumption", "label": "Resumption acceptance" if en else "复工验收", "inspections": 0},
            {"key": "joint", "label": "Joint inspection" if en else "联合检查", "inspections": 8},
        ],
        "enterprises_inspected": 35,
        "enterprises_total": 40,
        "by_category": [
            group("electrical", cat["electrical"], None, 15, 14, 1, 1, 12, 10, 2),
            group("fire", cat["fire"], None, 14, 16, 1, 0, 14, 14, 0),
            group("hazchem", cat["hazchem"], None, 11, 12, 0, 0, 10, 9, 1),
            group("management", cat["management"], None, 8, 8, 0, 0, 8, 8, 0),
        ],
        "by_grid": [
            group(1, "Grid 1" if en else "第一网格", 25, 20, 22, 1, 0, 19, 19, 1),
            group(2, "Grid 2" if en else "第二网格", 22, 16, 18, 1, 1, 14, 10, 2),
            group(3, "Grid 3" if en else "第三网格", 16, 12, 10, 0, 0, 11, 11, 0),
        ],
        "top_enterprises": [
            group(7, "苏州某某精密机械有限公司", 4, 6, 4, 1, 1, 3, 2, 2),
            group(9, "苏州某某化工有限公司", 3, 5, 4, 0, 0, 4, 4, 1),
        ],
        "repeat_enterprises": [
            {"key": 7, "label": "苏州某某精密机械有限公司", "found": 6},
            {"key": 9, "label": "苏州某某化工有限公司", "found": 5},
            {"key": 12, "label": "苏州某某电子有限公司", "found": 3},
        ],
        "by_month": [
            group("2026-07", "Jul 2026" if en else "7月", 20, 14, 15, 0, 0, 14, 13, 0),
            group("2026-08", "Aug 2026" if en else "8月", 22, 19, 20, 1, 0, 18, 17, 1),
            group("2026-09", "Sep 2026" if en else "9月", 21, 15, 15, 1, 1, 12, 11, 2),
        ],
        "overdue_major": [
            {
                "hazard_id": 12,
                "enterprise": "苏州某某精密机械有限公司",
                "description": "配电柜前堆放杂物，柜门无法正常开启",
                "location": "二号车间",
                "level": "general",
                "level_label": "Gen." if en else "一般",
                "deadline": "2026-08-31",
                "days_overdue": 31,
                "status": "registered",
                "status_label": "待整改",
                "stage": "supervised",
                "stage_label": "Supervised" if en else "挂牌督办",
            },
            {
                "hazard_id": 15,
                "enterprise": "苏州某某化工有限公司",
                "description": "危化品仓库可燃气体报警器失效",
                "location": None,
                "level": "major",
                "level_label": "Major" if en else "重大",
                "deadline": "2026-10-20",
                "days_overdue": None,
                "status": "registered",
                "status_label": "待整改",
                "stage": None,
                "stage_label": None,
            },
        ],
        "records": {
            "agreement": {"label": "安全生产目标管理责任书", "count": 40, "quantity": 40},
            "drill": {"label": "应急演练", "count": 9, "quantity": 9},
            "meeting": {"label": "安全会议", "count": 3, "quantity": 3},
            "training": {"label": "安全培训", "count": 6, "quantity": 312},
            "activity": {"label": "宣传活动", "count": 4, "quantity": 260},
            "accident": {"label": "生产安全事故", "count": 0, "quantity": 0},
        },
        "accidents": 0,
    }


def clean_figures() -> dict:
    """Nothing wrong: no growth, every enterprise covered, everything rectified on time."""
    figures = make_figures()
    figures["totals"] = totals(60, 40, 40, 0, 0, 40, 40, 0)
    figures["previous"]["totals"] = totals(58, 41, 41, 0, 0, 41, 40, 0)
    figures["previous"]["by_category"] = figures["by_category"] = [
        group("fire", "消防安全", None, 40, 40, 0, 0, 40, 40, 0)
    ]
    figures["by_grid"] = [group(1, "第一网格", 60, 40, 40, 0, 0, 40, 40, 0)]
    figures["enterprises_inspected"] = 40
    figures["repeat_enterprises"] = []
    figures["overdue_major"] = []
    return figures


def empty_figures() -> dict:
    """A quiet quarter: nothing found, so both rates are None."""
    figures = make_figures()
    zero = totals(0, 0, 2, 0, 0, 0, 0, 0)
    figures["totals"] = zero
    for key in ("by_category", "by_grid", "top_enterprises", "repeat_enterprises", "overdue_major"):
        figures[key] = []
    figures["by_month"] = [group(f"2026-0{m}", f"{m}月", 0, 0, 0, 0, 0, 0, 0, 0) for m in (7, 8, 9)]
    figures["inspections_by_kind"] = []
    figures["enterprises_inspected"] = 0
    return figures


def with_findings(figures: dict, lang: str = "zh") -> dict:
    figures = copy.deepcopy(figures)
    figures.update(derive_findings(figures, lang))
    return figures


def docx_text(path) -> str:
    """Every paragraph and every table cell, one per line."""
    doc = Document(str(path))
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            lines.extend(cell.text for cell in row.cells)
    return "\n".join(lines)


def table_rows(path) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for table in Document(str(path)).tables for row in table.rows]


# -- findings -------------------------------------------------------------------------------------


def test_findings_name_the_grown_category_and_the_repeat_enterprises():
    found = derive_findings(make_figures(), "zh")
    problems = "\n".join(found["problems"])
    assert "电气安全类隐患15项，较上季度增加6项，增幅66.7%，需引起高度重视。" in found["problems"]
    assert "消防安全类" not in problems  # 14 → 14 did not grow
    assert "苏州某某精密机械有限公司（6项）" in problems and "3家企业隐患重复多发" in problems
    assert "第二网格（62.5%）按期整改率偏低，全园区为85.4%" in problems
    assert "仍有3项逾期未整改，最长逾期31天，其中1项已挂牌督办" in problems
    assert "重大隐患1项尚未整改销号" in problems
    assert "隐患整改率为91.7%，较上季度（97.5%）下降5.8个百分点" in problems
    assert "检查覆盖企业35家，占园区企业总数40家的87.5%，尚有5家企业未开展检查" in problems
    focus = "\n".join(found["focus"])
    assert "开展电气安全专项整治" in focus
    assert "开展约谈" in focus and "督促逾期隐患整改销号" in focus
    assert "冬季消防安全" in focus and "岁末年初" in focus  # Q3 → Q4
    assert derive_findings(make_figures(), "zh") == found  # deterministic


def test_findings_for_a_clean_quarter_and_in_english():
    clean = derive_findings(clean_figures(), "zh")
    assert clean["problems"] == ["本季度隐患排查治理工作总体平稳有序，未发现需要重点关注的突出问题。"]
    assert any("冬季消防安全" in item for item in clean["focus"])

    english = derive_findings(make_figures("en"), "en")
    assert (
        "Electrical hazards: 15 found, 6 more than last quarter (up 66.7%); this calls for close attention."
        in (english["problems"])
    )
    assert any("Hazards recurred at 3 enterprises" in p for p in english["problems"])
    seasonal = english["focus"][-2:]  # enterprise names stay Chinese; the office's own words do not
    assert "Winter fire safety" in seasonal[0] and not any("\u4e00" <= ch <= "\u9fff" for ch in "".join(seasonal))

    q4 = make_figures()
    q4["period"]["quarter"] = "2026Q4"
    assert any("复工复产安全验收" in item for item in derive_findings(q4, "zh")["focus"])  # Q4 → Q1


# -- charts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("draw", [charts.monthly_trend_png, charts.category_png, charts.grid_png])
def test_charts_are_small_valid_pngs_even_without_data(tmp_path, draw):
    assert charts.cjk_family() is not None  # fonts-noto-cjk is installed here
    for name, figures in (("full", make_figures()), ("empty", empty_figures())):
        path = draw(figures, tmp_path / f"{name}.png", "zh")
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            assert image.format == "PNG" and image.size == (1600, 900)
            assert image.convert("L").getextrema()[0] < 100  # something dark was drawn


def test_charts_render_without_a_cjk_font(tmp_path, monkeypatch):
    monkeypatch.setattr(charts, "cjk_family", lambda: None)
    with Image.open(charts.category_png(make_figures(), tmp_path / "c.png", "zh")) as image:
        assert image.size == (1600, 900)


# -- the documents --------------------------------------------------------------------------------


def test_docx_sections_numbers_rates_and_tables(tmp_path):
    figures = with_findings(make_figures())
    path = tmp_path / "brief.docx"
    render_docx(figures, path, "zh")
    text = docx_text(path)

    assert "苏州工业园区某某产业园\n2026年第三季度安全生产工作通报" in text  # the park on its own line
    assert "（截至2026年10月1日6时）" in text
    headings = ["一、总体情况", "二、隐患分布情况", "三、逾期及重大隐患情况", "四、安全生产工作开展情况"]
    for heading in [*headings, "五、存在问题及下季度工作重点"]:
        assert heading in text.splitlines()
    positions = [text.index(h) for h in headings]
    assert positions == sorted(positions)
    for key, value in figures["totals"].items():
        if isinstance(value, int):
            assert str(value) in text, key
    assert "整改率91.7%" in text and "按期整改率85.4%" in text
    assert "日常巡查40次" in text and "检查覆盖企业35家，占园区企业总数40家的87.5%" in text
    assert "本季度未发生生产安全事故。" in text
    assert "签订安全生产目标管理责任书40份" in text
    assert figures["problems"][0] in text and figures["focus"][-1] in text

    rows = table_rows(path)
    assert ["整改率", "91.7%", "97.5%", "100.0%", "-5.8个百分点", "-8.3个百分点"] in rows
    assert ["发现隐患", "48", "40", "52", "+8", "-4"] in rows
    assert [
        "1",
        "苏州某某精密机械有限公司",
        "配电柜前堆放杂物，柜门无法正常开启（部位：二号车间）",
        "一般",
        "2026-08-31",
        "31",
        "挂牌督办",
    ] in rows
    assert ["2", "苏州某某化工有限公司", "危化品仓库可燃气体报警器失效", "重大", "2026-10-20", "—", "—"] in rows
    assert ["电气安全", "15", "1", "12", "80.0%", "66.7%", "3", "2"] in rows
    assert ["合计", "48", "2", "44", "91.7%", "85.4%", "4", "3"] in rows
    assert len(Document(str(path)).inline_shapes) == 3  # category, grid and monthly charts

    styles = Document(str(path)).styles.element.xml
    assert 'w:eastAsia="Noto Serif CJK SC"' in styles and 'w:eastAsia="Noto Sans CJK SC"' in styles


def test_docx_for_an_empty_period_shows_dashes(tmp_path):
    figures = with_findings(empty_figures())
    path = tmp_path / "empty.docx"
    render_docx(figures, path, "zh")
    text = docx_text(path)
    assert "整改率、按期整改率均记为“—”" in text
    assert "100.0%" not in text.split("去年同期")[0]  # no rate of this period shows as 100 %
    assert ["整改率", "—", "97.5%", "100.0%", "—", "—"] in table_rows(path)
    assert "本期无逾期及重大隐患。" in text
    assert "本季度未开展安全检查" in text  # a finding, not the "nothing wrong" sentence
    assert len(Document(str(path)).inline_shapes) == 0  # no empty charts in the document


def test_english_docx(tmp_path):
    figures = with_findings(make_figures("en"), "en")
    path = tmp_path / "brief-en.docx"
    render_docx(figures, path)  # language from the figures
    text = docx_text(path)
    assert "Safety Work Brief, 2026 Q3" in text
    assert "(Figures as of 06:00 on 1 October 2026)" in text
    for heading in ("1. Overview", "3. Overdue and major hazards", "5. Problems and next-quarter focus"):
        assert heading in text.splitlines()
    assert "rectification rate 91.7%" in text


def test_custom_period_without_park_name_or_comparisons(tmp_path):
    figures = make_figures()
    figures["park_name"] = ""
    figures["period"].update(
        label="2026年8月1日至8月15日",
        quarter=None,
        to="2026-08-16T00:00:00+08:00",
        **{"from": "2026-08-01T00:00:00+08:00"},
    )
    figures["previous"] = figures["last_year"] = None
    figures = with_findings(figures)
    assert any("防暑降温" in item for item in figures["focus"])  # the period ends in Q3: summer work
    path = tmp_path / "custom.docx"
    render_docx(figures, path, "zh")
    text = docx_text(path)
    assert "2026年8月1日至8月15日安全生产工作通报" in text.splitlines()
    assert "本期（2026年8月1日至2026年8月15日），园区共开展安全检查63次" in text
    assert ["整改率", "91.7%", "—", "—", "—", "—"] in table_rows(path)


def _pdf_checks(pdf, expected: str, tmp_path) -> None:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages >= 1
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    (png,) = tmp_path.glob("page*.png")
    with Image.open(png) as image:
        gray = image.convert("L")
        dark = sum(gray.histogram()[:200])
    assert dark > 500, "the first page is blank"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert expected in text.replace(" ", "").replace("\n", "")


needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftoppm") is None, reason="LibreOffice and poppler needed"
)


@needs_soffice
def test_render_brief_docx_and_pdf_agree(tmp_path):
    out = tmp_path / "out"
    docx_path, pdf_path = render_brief(with_findings(make_figures()), out, "zh")
    assert docx_path == out / "brief.docx" and pdf_path == out / "brief.pdf"
    assert sorted(p.name for p in out.iterdir()) == ["brief.docx", "brief.pdf"]  # charts were temporary
    _pdf_checks(pdf_path, "2026年第三季度安全生产工作通报", tmp_path)
    text = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True).stdout
    assert "一、总体情况" in text and "91.7%" in text


@needs_soffice
def test_empty_period_pdf(tmp_path):
    _, pdf_path = render_brief(with_findings(empty_figures()), tmp_path / "out", "zh")
    _pdf_checks(pdf_path, "安全生产工作通报", tmp_path)


def test_render_pdf_errors_are_clear(tmp_path, monkeypatch):
    docx_path = tmp_path / "x.docx"
    docx_path.write_bytes(b"not really a document")
    monkeypatch.setenv("SOFFICE_PATH", str(tmp_path / "no-such-soffice"))
    with pytest.raises(RuntimeError, match="soffice"):
        render_pdf(docx_path, tmp_path)

    fake = tmp_path / "fake-soffice"
    fake.write_text("#!/bin/sh\necho 'conversion failed badly' >&2\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("SOFFICE_PATH", str(fake))
    with pytest.raises(RuntimeError, match="conversion failed badly"):
        render_pdf(docx_path, tmp_path)

    fake.write_text("#!/bin/sh\nsleep 30\n")
    with pytest.raises(RuntimeError, match="timed out"):
        render_pdf(docx_path, tmp_path, timeout=0.5)


def test_a_long_repeat_list_is_capped_but_counted(tmp_path):
    figures = make_figures()
    figures["repeat_enterprises_count"] = 35
    figures = with_findings(figures)
    assert any("35家企业隐患重复多发" in p for p in figures["problems"])
    path = tmp_path / "brief.docx"
    render_docx(figures, path)
    text = docx_text(path)
    listed = figures["repeat_enterprises"][-1]
    assert "隐患重复多发的企业35家" in text and f"{listed['label']}（{listed['found']}项）等。" in text
