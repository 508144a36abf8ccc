"""The monitoring chart of a roll-back decision: the NPS difference and its interval look by look.

One function, :func:`plot_monitoring`, drawn from a :class:`~nps_analysis.decision.Decision`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .edges import bound_figure_text, clip_limits, period_limits


def plot_monitoring(decision: Any, *, ax: Any = None, title: str | None = None) -> Any:
    """Effect (treatment minus control, NPS points) at every look with its interval and the margin.

    Shows the interval at each look (shaded), its running intersection (what the decision uses,
    for sequential designs), the estimate with a marker per look, the ``-margin`` line, zero, and
    the look at which the decision was made. Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt
    import pandas as pd

    history = decision.history_frame()
    if ax is None:
        fig, ax = plt.subplots(figsize=(9, 4.5))
    else:
        fig = ax.figure
    x = pd.to_datetime(history["period"], errors="coerce")
    if x.isna().any():
        x = pd.to_numeric(history["period"], errors="coerce").fillna(pd.Series(history["look"]))
    level = f"{1 - decision.nps_alpha:.1%}".replace(".0%", "%")
    band_label = {
        "sequential": f"{level} confidence sequence at each look",
        "group-sequential": f"{level} repeated confidence interval at each look",
        "fixed": f"{level} fixed-horizon interval (valid at one planned look only)",
    }[decision.design]
    # A difference of two NPS lies in -200..200: wider limits (at the first looks) are clipped there.
    lower, upper = clip_limits(history["ci_lower"], history["ci_upper"], low=-200.0, high=200.0)
    shown = np.isfinite(lower) & np.isfinite(upper)
    if shown.sum() >= 2:
        ax.fill_between(x[shown], lower[shown], upper[shown], color="tab:blue", alpha=0.18, step=None, label=band_label)
    elif shown.any():  # one look: a band of one point is invisible, draw the interval as a bar
        ax.vlines(x[shown], lower[shown], upper[shown], color="tab:blue", alpha=0.35, lw=6, label=band_label)
    if decision.design != "fixed":
        run_lower, run_upper = clip_limits(history["running_lower"], history["running_upper"], low=-200.0, high=200.0)
        ax.plot(x, np.where(np.isfinite(run_lower), run_lower, np.nan), color="tab:blue", lw=1.2, ls="--",
                drawstyle="steps-post", label="running intersection (used for the decision)")
        ax.plot(x, np.where(np.isfinite(run_upper), run_upper, np.nan), color="tab:blue", lw=1.2, ls="--",
                drawstyle="steps-post")
    ax.plot(x, history["effect"], color="tab:blue", marker="o", ms=3.5, lw=1.5, label="observed difference (one marker per look)")
    ax.axhline(-decision.margin, color="tab:red", ls="--", lw=1.5, label=f"do-no-harm margin (-{decision.margin:g} points)")
    ax.axhline(0, color="0.4", lw=0.8)
    finite = shown & (upper - lower < 100)
    if finite.any():
        low = min(float(lower[finite].min()), -decision.margin) - 5
        high = max(float(upper[finite].max()), 0.0) + 5
        ax.set_ylim(max(low, -200), min(high, 200))
    else:  # only wide or unbounded intervals so far: the whole range a difference can take
        ax.set_ylim(-205, 205)
    if decision.decided_at_look:
        k = decision.decided_at_look - 1
        colour = {"ROLL_BACK": "tab:red", "KEEP": "tab:green"}.get(decision.decision, "0.3")
        ax.axvline(x.iloc[k], color=colour, lw=1.2)
        ax.annotate(f"{decision.decision} (look {k + 1})", (x.iloc[k], ax.get_ylim()[1]), xytext=(4, -14),
                    textcoords="offset points", color=colour, fontweight="bold")
    if pd.api.types.is_datetime64_any_dtype(x):
        limits = period_limits(x, freq=None)
        if limits is not None:
            ax.set_xlim(*limits)
    ax.set_ylabel("NPS difference (points)")
    ax.set_xlabel("look")
    ax.set_title(title or f"{decision.treatment} - {decision.control}: {decision.decision} ({decision.design} design)")
    ax.legend(loc="best", fontsize=8)
    fig.autofmt_xdate()
    bound_figure_text(fig).tight_layout()
    return fig
