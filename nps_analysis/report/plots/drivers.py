"""Charts for key drivers and comment themes: shares of R^2 with intervals, the detractor/promoter
asymmetry, importance against performance, theme impact and theme shares over time.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ...analyses.drivers import KeyDrivers
from ...analyses.themes import UNTHEMED, ThemeImpact
from .gap import importance_performance_chart

#: Okabe-Ito colour-blind-safe colours, as in the other charts.
SIGNIFICANT = "#0072b2"
NOT_SIGNIFICANT = "#8c8c8c"
WORSE = "#d55e00"
BETTER = "#009e73"


def _axes(ax: Any, height: float, width: float = 7.5) -> tuple[Any, Any]:
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    return fig, ax


def drivers_chart(result: KeyDrivers, *, ax: Any = None) -> Any:
    """Each driver's share of R^2 (%) with its bootstrap interval, most important on top;
    drivers not distinguishable from a random variable in grey."""
    rows = list(result.drivers)[::-1]
    fig, ax = _axes(ax, 0.45 * len(rows) + 1.6)
    r2 = result.r_squared
    y = np.arange(len(rows))
    share = np.array([d.share for d in rows])
    lo = np.array([d.share_ci_lower for d in rows])
    hi = np.array([d.share_ci_upper for d in rows])
    colours = [SIGNIFICANT if d.significant or not result.n_resamples else NOT_SIGNIFICANT for d in rows]
    ax.barh(y, share, color=colours, height=0.6)
    ok = np.isfinite(lo) & np.isfinite(hi)
    if ok.any():
        ax.errorbar(share[ok], y[ok], xerr=[share[ok] - lo[ok], hi[ok] - share[ok]], fmt="none",
                    ecolor="black", capsize=3, lw=1)
    ax.set_yticks(y, [f"{d.driver} ({'+' if d.coefficient >= 0 else '-'})" for d in rows])
    level = f"{100 * result.confidence_level:g}%"
    ax.set_xlabel(f"share of R\u00b2 (%), {level} bootstrap interval; (+/-) sign of the coefficient")
    ax.set_title(f"What drives {result.outcome}: {result.method_name}\nR\u00b2 = {r2:.2f}, n = {result.n}"
                 + ("; grey = not distinguishable from a random variable" if result.n_resamples else ""),
                 fontsize=9)
    return fig


def asymmetry_chart(result: KeyDrivers, *, ax: Any = None) -> Any:
    """Odds ratios per SD of each rating: for NOT being a detractor and for being a promoter,
    with intervals (log scale); drivers whose two effects differ (Holm) are starred."""
    cat = result.categorical
    if cat is None:
        raise ValueError("the result has no categorical view (key_drivers(..., categorical=True))")
    rows = list(cat.drivers)[::-1]
    fig, ax = _axes(ax, 0.5 * len(rows) + 1.6)
    y = np.arange(len(rows))
    for offset, colour, label, get in (
        (-0.15, WORSE, "not a detractor (7-10 vs 0-6)",
         lambda d: (1 / d.detractor_odds_ratio, 1 / d.detractor_ci_upper, 1 / d.detractor_ci_lower)),
        (0.15, BETTER, "promoter (9-10 vs 0-8)",
         lambda d: (d.promoter_odds_ratio, d.promoter_ci_lower, d.promoter_ci_upper)),
    ):
        vals = np.array([get(d) for d in rows], dtype=float)
        ok = np.isfinite(vals).all(axis=1)
        ax.errorbar(vals[ok, 0], y[ok] + offset, xerr=[vals[ok, 0] - vals[ok, 1], vals[ok, 2] - vals[ok, 0]],
                    fmt="o", color=colour, capsize=3, label=label)
    ax.axvline(1, color="0.5", lw=0.8)
    ax.set_xscale("log")
    ax.set_yticks(y, [d.driver + (" *" if d.asymmetric else "") for d in rows])
    ax.set_xlabel(f"odds ratio per SD of the rating ({100 * cat.confidence_level:g}% interval, log scale)")
    ax.set_title("Detractors and promoters: * = the two effects differ "
                 f"({cat.correction} across {len(rows)} drivers)", fontsize=9)
    ax.legend(loc="best", fontsize=8)
    return fig


def drivers_importance_performance_chart(result: KeyDrivers, *, ax: Any = None) -> Any:
    """The drivers on the importance-performance grid of the gap charts (Martilla & James 1977):
    derived importance (share of R^2) against the mean rating."""
    fig = importance_performance_chart(result.importance_performance(), ax=ax)
    axis = fig.axes[0] if ax is None else ax
    axis.set_ylabel("derived importance (share of R\u00b2, %)")
    axis.set_xlabel("performance (mean rating)")
    return fig


def theme_impact_chart(result: ThemeImpact, *, ax: Any = None, include_unthemed: bool = False) -> Any:
    """NPS gap of each theme (mentioning minus not mentioning) with its interval, the share of
    comments beside it; significant gaps (after the correction) in colour."""
    rows = [r for r in result.themes if math.isfinite(r.difference)
            and (include_unthemed or r.theme != UNTHEMED)][::-1]
    fig, ax = _axes(ax, 0.45 * max(len(rows), 1) + 1.6)
    if not rows:
        ax.text(0.5, 0.5, "no theme mentioned", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    y = np.arange(len(rows))
    diff = np.array([r.difference for r in rows])
    colours = [(WORSE if r.difference < 0 else BETTER) if r.significant else NOT_SIGNIFICANT for r in rows]
    ax.barh(y, diff, color=colours, height=0.6)
    ax.errorbar(diff, y, xerr=[diff - np.array([r.ci_lower for r in rows]),
                               np.array([r.ci_upper for r in rows]) - diff],
                fmt="none", ecolor="black", capsize=3, lw=1)
    ax.axvline(0, color="0.4", lw=0.8)
    ax.set_yticks(y, [f"{r.theme} ({r.share:.0f}%)" for r in rows])
    ax.set_xlabel(f"NPS with minus without the theme (points), {100 * result.confidence_level:g}% interval")
    ax.set_title(f"Comment themes ({result.mode}); grey = not significant after {result.correction} "
                 "across the themes\nan association, not a cause; (%) = share of comments", fontsize=9)
    return fig


def theme_trend_chart(trend: pd.DataFrame, *, themes: list[str] | None = None, by: str | None = None,
                      max_panels: int = 6) -> Any:
    """Share of comments per theme over time (a table from ``theme_trend``), one panel per value of
    ``by`` (e.g. team); suppressed cells are gaps."""
    import matplotlib.pyplot as plt

    data = trend.copy()
    chosen = themes or [t for t in data.groupby("theme")["mentions"].sum().sort_values(ascending=False).index
                        if t != UNTHEMED][:4]
    data = data[data["theme"].isin(chosen)]
    panels = [None] if by is None else list(pd.unique(data[by]))[:max_panels]
    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels) + 1.5, 3.4), sharey=True,
                             squeeze=False, layout="constrained")
    for ax, panel in zip(axes[0], panels, strict=True):
        sub = data if panel is None else data[data[by] == panel]
        if by is None and len(set(data.columns) - {"period", "theme", "comments", "mentions", "share",
                                                   "ci_lower", "ci_upper", "suppressed"}):
            sub = sub.groupby(["period", "theme"], as_index=False)[["mentions", "comments"]].sum()
            sub["share"] = 100 * sub["mentions"] / sub["comments"]
        for theme in chosen:
            g = sub[sub["theme"] == theme].sort_values("period")
            ax.plot(pd.to_datetime(g["period"]), g["share"], marker="o", ms=3, lw=1.3, label=theme)
        ax.set_title(str(panel) if panel is not None else "all", fontsize=9)
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    axes[0][0].set_ylabel("share of comments (%)")
    axes[0][-1].legend(loc="best", fontsize=7)
    return fig
