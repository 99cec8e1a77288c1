"""Charts for the reports page, drawn on the server as small SVG files.

Matplotlib's object interface drawing straight onto its SVG canvas, with Agg
as the default backend (never pyplot, which keeps global state and is not safe
across threads; never a GUI backend). Matplotlib is imported at the first
chart, not when the URLs load: it takes a second. Text stays text in the SVG
(`svg.fonttype: none`), so a chart is a few kilobytes and stays sharp on a
projector. Each chart draws only figures the report shows: hidden ones
("fewer than 5") are left out and named in a note, never drawn.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from outcomes.reports import FEWER, MonthReach, ScoreChange

if TYPE_CHECKING:
    from matplotlib.figure import Figure as Canvas

INK = "#1d1d2b"
MUTED = "#4a4a5e"
START = "#a9a39b"
LATEST = "#2f5d50"
STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "village-reports",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica", "Liberation Sans"],
    "font.size": 12,
    "text.color": INK,
    "axes.labelcolor": INK,
    "axes.edgecolor": MUTED,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": INK,
    "ytick.color": INK,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
}
# rc_context changes matplotlib's global settings while a chart is drawn.
_drawing = threading.Lock()


def _drawing_context():
    """Matplotlib's settings for our charts (imported here: see the module docstring)."""
    import matplotlib

    matplotlib.use("Agg")
    return matplotlib.rc_context(STYLE)


def _canvas(*, width: float, height: float) -> Canvas:
    # The object interface with the SVG canvas: no pyplot, no global figure.
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    FigureCanvasSVG(figure)
    return figure


def _svg(figure: Canvas, *, title: str, description: str) -> bytes:
    out = io.BytesIO()
    figure.savefig(
        out,
        format="svg",
        metadata={"Date": None, "Creator": None, "Title": title, "Description": description},
    )
    return out.getvalue()


def _heading(figure: Canvas, title: str, subtitle: str, *, height: float) -> None:
    """Title and subtitle in the top inch of a figure `height` inches tall."""
    figure.text(0.02, 1 - 0.2 / height, title, ha="left", va="top", fontsize=17, weight="bold")
    figure.text(0.02, 1 - 0.62 / height, subtitle, ha="left", va="top", fontsize=12, color=MUTED)


def _note(figure: Canvas, text: str) -> None:
    figure.text(0.02, 0.02, text, ha="left", va="bottom", fontsize=11, color=MUTED, wrap=True)


def _number(value: float) -> str:
    return f"{value:.1f}"


# --- Change in scores ---------------------------------------------------------------

CHANGE_TITLE = "Change in scores: at the start and at the latest follow-up"


def _p_words(row: ScoreChange) -> str:
    if row.p.value is None:
        return "every mum changed by the same amount"
    return f"p {row.p}" if row.p.text.startswith("<") else f"p = {row.p}"


def change_alt_text(rows: Sequence[ScoreChange]) -> str:
    shown = [r for r in rows if r.shown]
    hidden = [r.label for r in rows if not r.shown]
    if not shown:
        return (
            "No chart of change in scores: fewer than 5 mums have a start and a later score "
            "for any measure in this period."
        )
    parts = [
        f"{r.label} ({r.direction}) from {r.start_mean} to {r.latest_mean}, {r.people} mums, "
        + _p_words(r)
        for r in shown
    ]
    text = (
        "Bar charts of the mean score at the start and at the latest follow-up, for the same "
        "mums: " + "; ".join(parts) + "."
    )
    if hidden:
        text += f" Not shown, {FEWER} mums: {', '.join(hidden)}."
    return text


# Inches: the heading, each row of panels (its two-line title, the bars, the
# labels under them) and the note at the foot.
HEADER, PANEL_TITLE, PANEL, PANEL_LABELS, FOOTER = 1.0, 0.6, 2.3, 0.4, 0.55


def change_in_scores(*, rows: Sequence[ScoreChange], subtitle: str) -> bytes:
    """Paired bars (start, latest) per measure score, each on its measure's own scale."""
    shown = [r for r in rows if r.shown]
    hidden = [r.label for r in rows if not r.shown]
    columns = min(max(len(shown), 1), 3)
    lines = max(math.ceil(len(shown) / columns), 1)
    height = HEADER + FOOTER + lines * (PANEL_TITLE + PANEL + PANEL_LABELS)
    with _drawing, _drawing_context():
        figure = _canvas(width=9, height=height)
        _heading(figure, CHANGE_TITLE, subtitle, height=height)
        if not shown:
            figure.text(
                0.5,
                0.5,
                "Fewer than 5 mums have a start and a later score\n"
                "for any measure in this period, so nothing is drawn.",
                ha="center",
                va="center",
                fontsize=14,
            )
        else:
            figure.subplots_adjust(
                left=0.08,
                right=0.98,
                top=1 - (HEADER + PANEL_TITLE) / height,
                bottom=(FOOTER + PANEL_LABELS) / height,
                wspace=0.35,
                hspace=(PANEL_LABELS + PANEL_TITLE) / PANEL,
            )
            for n, row in enumerate(shown):
                axes = figure.add_subplot(lines, columns, n + 1)
                values = [row.start_mean.value or 0.0, row.latest_mean.value or 0.0]
                bars = axes.bar(["Start", "Latest"], values, color=[START, LATEST], width=0.6)
                axes.bar_label(bars, labels=[_number(v) for v in values], padding=3, fontsize=12)
                axes.set_ylim(row.lowest, row.highest + (row.highest - row.lowest) * 0.12)
                axes.set_title(
                    f"{row.label}\n{row.people} mums, {row.direction}", fontsize=12, pad=8
                )
                if n % columns == 0:
                    axes.set_ylabel("Mean score")
                axes.tick_params(axis="x", labelsize=12)
        note = "Start: her first questionnaire. Latest: her latest follow-up in the period."
        if hidden:
            note += f"  Not shown ({FEWER} mums): {', '.join(hidden)}."
        _note(figure, note)
        return _svg(figure, title=CHANGE_TITLE, description=change_alt_text(rows))


# --- Reach over time ----------------------------------------------------------------

REACH_TITLE = "Mums reached each month"


def reach_alt_text(months: Sequence[MonthReach]) -> str:
    if not months:
        return "No chart of mums reached: the period has no months."
    parts = [f"{m.month.label}: {m.people}" for m in months]
    return (
        "Bar chart of the members who came to a group session or had a 1:1 in each month, "
        f"{months[0].month.label} to {months[-1].month.label}. " + "; ".join(parts) + "."
    )


def reach_over_time(*, months: Sequence[MonthReach], subtitle: str) -> bytes:
    """One bar per month; a hidden month gets no bar and a "<5" mark."""
    labels = [m.month.label + ("" if m.month.whole else "*") for m in months]
    values = [m.people.value for m in months]
    drawn = [v or 0.0 for v in values]
    height = 5.0
    with _drawing, _drawing_context():
        figure = _canvas(width=9, height=height)
        _heading(figure, REACH_TITLE, subtitle, height=height)
        figure.subplots_adjust(left=0.09, right=0.98, top=1 - 1.1 / height, bottom=0.34)
        axes = figure.add_subplot()
        positions = list(range(len(months)))
        bars = axes.bar(positions, drawn, color=LATEST, width=0.7)
        axes.set_ylim(0, (max(drawn, default=0) or 5) * 1.15)
        if len(months) <= 24:
            axes.bar_label(
                bars,
                labels=["<5" if v is None else f"{v:g}" for v in values],
                padding=3,
                fontsize=11,
            )
        else:
            for x, v in zip(positions, values, strict=True):
                if v is None:
                    axes.text(x, 0, "<5", ha="center", va="bottom", fontsize=9, color=MUTED)
        step = max(1, math.ceil(len(months) / 24))
        axes.set_xticks(positions[::step], labels[::step], rotation=45, ha="right")
        axes.set_xlabel("Month")
        axes.set_ylabel("Members reached")
        axes.yaxis.get_major_locator().set_params(integer=True)
        note = "A mum counts once in each month she came to a group session or had a 1:1."
        if not all(m.month.whole for m in months):
            note += "  *Part of the month."
        if any(v is None for v in values):
            note += f"  <5: {FEWER} people, not drawn."
        _note(figure, note)
        return _svg(figure, title=REACH_TITLE, description=reach_alt_text(months))
