"""The brief's charts as PNG files: monthly trend, hazards by category, hazards by grid.

Drawn headless at 1600×900 px on an Agg canvas per figure (never pyplot, so no global backend or state),
with a CJK font from the system when there is one so Chinese labels are not boxes; without one the chart
is still drawn.
"""

from __future__ import annotations

import functools
import glob
import logging
import os
import warnings
from pathlib import Path

from matplotlib import font_manager, rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from server.briefs.findings import format_rate, resolve_lang, tr

log = logging.getLogger(__name__)

WIDTH_IN, HEIGHT_IN, DPI = 8, 4.5, 200  # 1600×900 px
FOUND_COLOR, CLOSED_COLOR, OPEN_COLOR, RATE_COLOR = "#c0392b", "#2e86c1", "#e67e22", "#1e8449"
# Preferred CJK families (Simplified Chinese first); the first one matplotlib knows is used.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Noto Sans CJK JP",
    "Droid Sans Fallback",
)
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", os.path.expanduser("~/.fonts"))
FONT_PATTERNS = ("*CJK*", "*SourceHan*", "*wqy*", "*DroidSansFallback*", "*NotoSansSC*")


@functools.lru_cache(maxsize=1)
def cjk_family() -> str | None:
    """The family name of a CJK font matplotlib can use, registering system font files if needed."""

    def known() -> str | None:
        names = {entry.name for entry in font_manager.fontManager.ttflist}
        return next((name for name in CJK_FAMILIES if name in names), None)

    found = known()
    if found:
        return found
    for folder in FONT_DIRS:
        for pattern in FONT_PATTERNS:
            for path in sorted(glob.glob(os.path.join(folder, "**", pattern), recursive=True)):
                if path.lower().endswith((".ttc", ".otf", ".ttf")):
                    try:
                        font_manager.fontManager.addfont(path)
                    except Exception:  # an unreadable font file is skipped, not fatal
                        log.debug("cannot load font %s", path, exc_info=True)
    found = known()
    if not found:
        log.warning("no CJK font found; Chinese chart labels will not render")
    return found


def _rc() -> dict:
    family = cjk_family()
    return {
        "font.family": "sans-serif",
        "font.sans-serif": ([family] if family else []) + ["DejaVu Sans"],
        "axes.unicode_minus": False,
        "font.size": 11,
    }


def _new_figure() -> tuple[Figure, object]:
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _save(fig: Figure, path) -> Path:
    path = Path(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # missing glyphs when no CJK font exists
        fig.savefig(path, format="png", dpi=DPI, metadata={"Software": None})
    return path


def _no_data(ax, title: str, lang: str) -> None:
    ax.set_title(title)
    ax.set_axis_off()
    ax.text(0.5, 0.5, tr(lang, "本期无数据", "No data"), ha="center", va="center", fontsize=20, color="#7f8c8d")


def _count(value) -> int:
    return int(value or 0)


def _label_bars(ax, bars) -> None:
    ax.bar_label(bars, padding=2, fontsize=9)


def monthly_trend_png(figures: dict, path, lang: str | None = None) -> Path:
    """Hazards found and closed in each month of the period, as grouped bars."""
    lang = resolve_lang(figures, lang)
    months = figures.get("by_month") or []
    title = tr(lang, "各月隐患发现与整改销号情况", "Hazards found and closed by month")
    with rc_context(_rc()):
        fig, ax = _new_figure()
        found = [_count(m.get("found")) for m in months]
        closed = [_count(m.get("closed")) for m in months]
        if not any(found) and not any(closed):
            _no_data(ax, title, lang)
            return _save(fig, path)
        x = range(len(months))
        width = 0.38
        bars = ax.bar([i - width / 2 for i in x], found, width, color=FOUND_COLOR, label=tr(lang, "发现", "Found"))
        _label_bars(ax, bars)
        bars = ax.bar(
            [i + width / 2 for i in x], closed, width, color=CLOSED_COLOR, label=tr(lang, "整改销号", "Closed")
        )
        _label_bars(ax, bars)
        ax.set_xticks(list(x), [str(m.get("label", m.get("key", ""))) for m in months])
        ax.set_ylabel(tr(lang, "隐患数（项）", "Hazards"))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(0, max(found + closed) * 1.18)
        ax.set_title(title)
        ax.legend(loc="upper left", frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        return _save(fig, path)


def category_png(figures: dict, path, lang: str | None = None) -> Path:
    """Hazards found by category, largest at the top, open ones shaded inside."""
    lang = resolve_lang(figures, lang)
    groups = [g for g in figures.get("by_category") or [] if _count(g.get("found"))]
    groups.sort(key=lambda g: (_count(g.get("found")), str(g.get("key"))))  # barh draws bottom-up
    title = tr(lang, "隐患分类统计", "Hazards by category")
    with rc_context(_rc()):
        fig, ax = _new_figure()
        if not groups:
            _no_data(ax, title, lang)
            return _save(fig, path)
        labels = [str(g.get("label", g.get("key"))) for g in groups]
        found = [_count(g.get("found")) for g in groups]
        still_open = [_count(g.get("open")) for g in groups]
        bars = ax.barh(labels, found, color=FOUND_COLOR, height=0.6, label=tr(lang, "发现", "Found"))
        ax.barh(labels, still_open, color=OPEN_COLOR, height=0.6, label=tr(lang, "其中未整改", "Of which open"))
        _label_bars(ax, bars)
        ax.set_xlabel(tr(lang, "隐患数（项）", "Hazards"))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlim(0, max(found) * 1.12)
        ax.set_title(title)
        ax.legend(loc="lower right", frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        return _save(fig, path)


def grid_png(figures: dict, path, lang: str | None = None) -> Path:
    """Hazards found and still open per grid (bars), with each grid's on-time rate (points, right axis)."""
    lang = resolve_lang(figures, lang)
    groups = figures.get("by_grid") or []
    title = tr(lang, "各网格隐患及按期整改情况", "Hazards and on-time rectification by grid")
    with rc_context(_rc()):
        fig, ax = _new_figure()
        found = [_count(g.get("found")) for g in groups]
        if not any(found):
            _no_data(ax, title, lang)
            return _save(fig, path)
        still_open = [_count(g.get("open")) for g in groups]
        x = list(range(len(groups)))
        width = 0.38
        bars = ax.bar([i - width / 2 for i in x], found, width, color=FOUND_COLOR, label=tr(lang, "发现", "Found"))
        _label_bars(ax, bars)
        bars = ax.bar([i + width / 2 for i in x], still_open, width, color=OPEN_COLOR, label=tr(lang, "未整改", "Open"))
        _label_bars(ax, bars)
        labels = [str(g.get("label", g.get("key"))) for g in groups]
        ax.set_xticks(x, labels, rotation=30 if len(groups) > 6 else 0, ha="right" if len(groups) > 6 else "center")
        ax.set_ylabel(tr(lang, "隐患数（项）", "Hazards"))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(0, max(found) * 1.18)
        ax.spines[["top"]].set_visible(False)

        rated = [(i, g["on_time_rate"]) for i, g in enumerate(groups) if g.get("on_time_rate") is not None]
        right = ax.twinx()
        right.set_ylim(0, 1.15)
        right.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        right.set_ylabel(tr(lang, "按期整改率", "On-time rate"))
        right.spines[["top"]].set_visible(False)
        if rated:
            right.plot(
                [i for i, _ in rated],
                [r for _, r in rated],
                "D",
                color=RATE_COLOR,
                markersize=7,
                label=tr(lang, "按期整改率", "On-time rate"),
            )
            for i, rate in rated:
                right.annotate(
                    format_rate(rate),
                    (i, rate),
                    textcoords="offset points",
                    xytext=(0, -16),
                    ha="center",
                    fontsize=9,
                    color=RATE_COLOR,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
                )
        handles, names = ax.get_legend_handles_labels()
        more, more_names = right.get_legend_handles_labels()
        ax.legend(
            handles + more,
            names + more_names,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.12 if len(groups) <= 6 else -0.25),
            ncol=3,
            frameon=False,
            fontsize=9,
        )
        ax.set_title(title)
        return _save(fig, path)
