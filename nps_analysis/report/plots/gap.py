"""Charts for survey gaps: dumbbells per item and per dimension, the importance-performance grid
and the self-assessment scorecard. One function per chart; each returns a matplotlib Figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from ...analyses.gap import GapResult
from ...analyses.importance import IPA_QUADRANTS, ImportancePerformance
from ...analyses.paired_gap import PairedGapResult
from ...analyses.self_assessment import SelfAssessment
from ...sources.instruments import SELF_ASSESSMENT_AREAS

#: Colour of a gap's line by its label (Okabe-Ito colour-blind-safe palette).
GAP_COLOURS: dict[str, str] = {
    "gap": "#d55e00",
    "reverse gap": "#0072b2",
    "no clear gap": "#8c8c8c",
    "equivalent": "#009e73",
}
BAND_COLOURS: dict[str, str] = {
    "losing customers": "#f4c7b8",
    "adequate": "#f9e3a3",
    "asset": "#c5e3c0",
}


def _axes(ax: Any, height: float, width: float = 7.5) -> tuple[Any, Any]:
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    return fig, ax


def gap_dumbbell(
    result: GapResult | PairedGapResult,
    *,
    level: Literal["items", "dimensions"] = "items",
    labels: Mapping[str, str] | None = None,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Dumbbell chart: each row joins the company's (or expectation's) mean to the customers' (or
    perception's) mean; the line's colour says the label (gap / reverse gap / no clear gap /
    equivalent) and the signed gap is written at the right.

    Args:
        result: :func:`~nps_analysis.survey_gap` or :func:`~nps_analysis.paired_gap` result.
        level: ``"items"`` or ``"dimensions"``.
        labels: display names for items or dimensions.
        ax: draw into this axes (default: a new figure).
    """
    from matplotlib.lines import Line2D

    rows = result.items if level == "items" else result.dimensions
    if level not in {"items", "dimensions"}:
        raise ValueError(f"level must be 'items' or 'dimensions', got {level!r}")
    paired = isinstance(result, PairedGapResult)
    left_name, right_name = ("expectation", "perception") if paired else ("company", "customers")
    names = dict(labels or {})
    fig, ax = _axes(ax, max(2.2, 0.45 * len(rows) + 1.2))
    key = "item" if level == "items" else "dimension"
    for pos, row in enumerate(reversed(rows)):
        left = row.mean_expectation if paired else row.mean_company
        right = row.mean_perception if paired else row.mean_customers
        colour = GAP_COLOURS.get(row.label, "#8c8c8c")
        ax.plot([left, right], [pos, pos], color=colour, linewidth=3, solid_capstyle="round", zorder=1)
        ax.scatter([left], [pos], marker="s", s=55, facecolor="white", edgecolor="#333333", zorder=2)
        ax.scatter([right], [pos], marker="o", s=55, color="#333333", zorder=3)
        ax.annotate(f"{row.gap:+.2f}", xy=(1.0, pos), xycoords=("axes fraction", "data"),
                    xytext=(4, 0), textcoords="offset points", va="center", fontsize=8, color=colour)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([names.get(getattr(r, key), getattr(r, key)) for r in reversed(rows)])
    lo, hi = result.scale
    ax.set_xlim(lo - 0.1, hi + 0.1)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel(f"mean answer ({lo}-{hi})")
    ax.grid(axis="x", alpha=0.3)
    present = [lab for lab in GAP_COLOURS if any(r.label == lab for r in rows)]
    handles = [
        Line2D([], [], marker="s", linestyle="", markerfacecolor="white", markeredgecolor="#333333", label=left_name),
        Line2D([], [], marker="o", linestyle="", color="#333333", label=right_name),
        *[Line2D([], [], color=GAP_COLOURS[lab], linewidth=3, label=lab) for lab in present],
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12 if len(rows) > 3 else -0.25),
              ncol=min(len(handles), 3), frameon=False, fontsize=8)
    ax.set_title(title or f"{right_name.capitalize()} versus {left_name}, by {level[:-1]} (labels: "
                 f"{result.correction} across {len(rows)} {level}, level {result.alpha:g})", fontsize=9)
    return fig


def importance_performance_chart(
    result: ImportancePerformance,
    *,
    labels: Mapping[str, str] | None = None,
    ax: Any = None,
) -> Any:
    """Importance (vertical) against performance (horizontal) with the crosshair and quadrant names."""
    fig, ax = _axes(ax, 5.5, 6.5)
    names = dict(labels or {})
    colours = dict(zip(IPA_QUADRANTS, ("#d55e00", "#009e73", "#8c8c8c", "#0072b2"), strict=True))
    for row in result.items:
        ax.scatter(row.performance, row.importance, color=colours[row.quadrant], s=40, zorder=3)
        ax.annotate(names.get(row.item, row.item), (row.performance, row.importance), xytext=(4, 3),
                    textcoords="offset points", fontsize=8)
    ax.axvline(result.performance_centre, color="#555555", linewidth=1)
    ax.axhline(result.importance_centre, color="#555555", linewidth=1)
    perf = [r.performance for r in result.items] + [result.performance_centre]
    imp = [r.importance for r in result.items] + [result.importance_centre]
    pad_p = max(0.3, 0.15 * (max(perf) - min(perf)))
    pad_i = max(0.3, 0.15 * (max(imp) - min(imp)))
    x0, x1 = min(perf) - pad_p, max(perf) + pad_p
    y0, y1 = min(imp) - pad_i, max(imp) + pad_i
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    corners = {
        "concentrate here": (x0, y1, "left", "top"),
        "keep up the good work": (x1, y1, "right", "top"),
        "low priority": (x0, y0, "left", "bottom"),
        "possible overkill": (x1, y0, "right", "bottom"),
    }
    for quadrant, (x, y, ha, va) in corners.items():
        ax.text(x, y, f" {quadrant} ", ha=ha, va=va, fontsize=9, color=colours[quadrant], weight="bold")
    ax.set_xlabel("performance (mean rating)")
    ax.set_ylabel("importance (mean rating)")
    ax.set_title(f"Importance-performance (Martilla & James 1977); crosshair: {result.centre}", fontsize=9)
    return fig


def self_assessment_scorecard(result: SelfAssessment) -> Any:
    """Scorecard: the seven area means (bars, rater range as whiskers) and the totals on the 7-35
    scale with the three bands shaded."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(
        1, 2, figsize=(10, 3.8), layout="constrained", gridspec_kw={"width_ratios": [1.4, 1]}
    )
    table = result.area_table()
    pos = list(range(len(table)))[::-1]
    err = [table["mean"] - table["min"], table["max"] - table["mean"]]
    left.barh(pos, table["mean"] - 1, left=1, color="#7aa6c2", xerr=err if result.n_raters > 1 else None,
              error_kw={"ecolor": "#333333", "capsize": 3, "linewidth": 1})
    for p, m in zip(pos, table["mean"], strict=True):
        left.text(1.05, p, f"{m:.2f}", va="center", fontsize=8, color="white", weight="bold")
    left.set_yticks(pos)
    left.set_yticklabels([SELF_ASSESSMENT_AREAS[a] for a in table["area"]])
    left.set_xlim(1, 5.4)
    left.set_xlabel("area score (1 = never, 5 = all the time)")
    left.set_title("Area scores" + (f" (mean of {result.n_raters} raters, range)" if result.n_raters > 1 else ""),
                   fontsize=9)

    edges = {"losing customers": (7, 21), "adequate": (21, 28), "asset": (28, 35)}
    for band, (a, b) in edges.items():
        right.axvspan(a, b, color=BAND_COLOURS[band], zorder=0)
        right.text((a + b) / 2, 0.93, band, ha="center", va="top", fontsize=8, transform=right.get_xaxis_transform())
    totals = [r.total for r in result.raters]
    jitter = [0.35 + 0.3 * ((i * 0.618) % 1) for i in range(len(totals))]
    right.scatter(totals, jitter, color="#333333", s=25, zorder=3, label="raters")
    right.axvline(result.total, color="#d55e00", linewidth=2, zorder=2, label=f"mean total {result.total:.1f}")
    right.set_xlim(7, 35)
    right.set_ylim(0, 1)
    right.set_yticks([])
    right.set_xlabel("total (sum of the 7 area scores, 7-35)")
    right.set_title(f"Total {result.total:.1f}: {result.band}", fontsize=9)
    right.legend(loc="lower left", fontsize=8, frameon=False)
    return fig
