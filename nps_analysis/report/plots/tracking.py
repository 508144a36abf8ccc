"""Charts for closed-loop follow-up and NPS tracking, one function per chart.

Each takes a table from :mod:`nps_analysis.tracking` or :mod:`nps_analysis.followup` and returns a
matplotlib Figure; suppressed cells are left out (and said so), never drawn as noise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .edges import bound_figure_text, error_extents, interval_band, no_data, period_limits


def _axes(ax: Any, figsize: tuple[float, float]) -> tuple[Any, Any]:
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


#: More segments than this are drawn as small multiples (one panel each): twenty lines with their
#: bands in one axis are unreadable, and a legend that long covers the chart.
MAX_LINES = 6


def _markers(ax: Any, changes: pd.DataFrame | None, keys: dict[str, Any] | None = None) -> None:
    """Significant changes (of one segment when ``keys`` is given) as red/green triangles."""
    if changes is None or not changes["significant"].any():
        return
    sig = changes[changes["significant"]]
    for col, value in (keys or {}).items():
        sig = sig[sig[col] == value]
    for direction, marker, colour in (("down", "v", "tab:red"), ("up", "^", "tab:green")):
        pts = sig[sig["direction"] == direction]
        if len(pts):
            ax.scatter(pd.to_datetime(pts["period"]), pts["nps"], marker=marker, s=110, color=colour, zorder=5,
                       label=f"significant change ({direction}, {changes.attrs.get('correction', '')})")


def plot_nps_trend(
    table: pd.DataFrame,
    *,
    changes: pd.DataFrame | None = None,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """NPS per period with its interval, one line per segment (a table from ``nps_by_period``).

    Suppressed cells (``n < min_n``) are gaps. With ``changes`` (from ``period_changes``),
    significant changes are marked: a red triangle down, a green triangle up. More than
    :data:`MAX_LINES` segments (and no ``ax`` given) are drawn as small multiples, one panel per
    segment on a shared scale, so each line and its band stay readable.
    """
    by = list(table.attrs.get("by", []))
    hidden = int(table["suppressed"].sum()) if "suppressed" in table else 0
    limits = period_limits(table.loc[table["nps"].notna(), "period"], freq=table.attrs.get("freq"))
    level = int(round(100 * table.attrs.get("confidence_level", 0.95)))
    window = int(table.attrs.get("window", 1))
    xlabel = f"period ({table.attrs.get('freq', '')})" + (f", each point the trailing {window} periods" if window > 1 else "")
    heading = (title or "NPS over time") + (
        f" ({hidden} cells with n < {table.attrs.get('min_n')} not shown)" if hidden else "")
    groups = list(table.groupby(by, sort=True)) if by else [((), table)]
    if ax is None and limits is not None and len(groups) > MAX_LINES:
        return _small_multiples(groups, by, changes, limits, heading=heading, xlabel=xlabel, level=level)
    fig, ax = _axes(ax, (9, 4.5))
    if limits is None:
        # Nothing to draw: say why instead of an empty axis that matplotlib dates from 1970.
        why = (f"all {len(table)} cells have fewer than {table.attrs.get('min_n')} answers"
               if len(table) else "no answers in these periods")
        no_data(ax, f"No NPS to show: {why}.")
        ax.set_title(title or "NPS over time")
        bound_figure_text(fig).tight_layout()
        return fig
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        label = ", ".join(map(str, key)) if by else "NPS"
        x = pd.to_datetime(g["period"])
        line = ax.plot(x, g["nps"], marker="o", ms=3.5, lw=1.5, label=label)[0]
        interval_band(ax, x, g["nps"], g["ci_lower"], g["ci_upper"], color=line.get_color())
    ax.set_xlim(*limits)
    _markers(ax, changes)
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_ylabel(f"NPS (points) with {level}% interval")
    ax.set_xlabel(xlabel)
    ax.set_title(heading)
    # Beside the axis from five entries on: inside, a long legend hides the lines it names.
    entries = len(ax.get_legend_handles_labels()[1])
    if entries > 4:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    else:
        ax.legend(loc="best", fontsize=8)
    fig.autofmt_xdate()
    bound_figure_text(fig).tight_layout()
    return fig


def _small_multiples(groups: list[Any], by: list[str], changes: pd.DataFrame | None, limits: Any, *,
                     heading: str, xlabel: str, level: int) -> Any:
    """One small panel per segment, shared axes, 4 panels a row."""
    import matplotlib.pyplot as plt

    ncols = 4
    nrows = -(-len(groups) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(11, 2.1 * nrows + 0.9), sharex=True, sharey=True, squeeze=False)
    for i, (key, g) in enumerate(groups):
        ax = axes[i // ncols][i % ncols]
        key = key if isinstance(key, tuple) else (key,)
        x = pd.to_datetime(g["period"])
        ax.plot(x, g["nps"], marker="o", ms=2.5, lw=1.2, color="tab:blue")
        interval_band(ax, x, g["nps"], g["ci_lower"], g["ci_upper"], color="tab:blue")
        _markers(ax, changes, dict(zip(by, key, strict=True)))
        ax.axhline(0, color="0.5", lw=0.7)
        ax.set_title(", ".join(map(str, key)), fontsize=9)
        ax.tick_params(labelsize=7)
    for j in range(len(groups), nrows * ncols):
        axes[j // ncols][j % ncols].set_visible(False)
    axes[0][0].set_xlim(*limits)
    fig.supylabel(f"NPS (points) with {level}% interval", fontsize=9)
    fig.supxlabel(xlabel, fontsize=9)
    fig.suptitle(heading + (" (triangles: significant changes)" if changes is not None and changes["significant"].any()
                            else ""), fontsize=11)
    fig.autofmt_xdate()
    bound_figure_text(fig).tight_layout()
    return fig


def plot_compliance(table: pd.DataFrame, *, ax: Any = None, title: str | None = None) -> Any:
    """Share contacted within the deadline per group with its Wilson interval (from ``compliance``)."""
    fig, ax = _axes(ax, (8, 0.45 * max(len(table), 3) + 1.2))
    keys = [c for c in table.columns if c not in _VALUE_COLUMNS]
    rated = table[table["due"] > 0].reset_index(drop=True)
    if rated.empty:
        no_data(ax, "No follow-up deadline has passed yet: no compliance to show.")
        ax.set_title(title or "Follow-up compliance")
        bound_figure_text(fig).tight_layout()
        return fig
    labels = [", ".join(str(row[c]) for c in keys) or "all" for _, row in rated.iterrows()]
    y = np.arange(len(rated))
    share = rated["share_in_time"].to_numpy(dtype=float)
    # At 0% and 100% the Wilson limits can land a hair inside the estimate: clipped extents.
    err = error_extents(share, rated["ci_lower"], rated["ci_upper"])
    ax.errorbar(share, y, xerr=err, fmt="o", color="tab:blue", capsize=3)
    for yi, (s, n) in enumerate(zip(share, rated["due"], strict=True)):
        ax.annotate(f"{s:.0f}% of {int(n)}", (s, yi), xytext=(6, 4), textcoords="offset points", fontsize=8)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    level = int(round(100 * table.attrs.get("confidence_level", 0.95)))
    ax.set_xlabel(f"% of due follow-ups made within the deadline ({level}% Wilson interval)")
    ax.set_title(title or "Follow-up compliance")
    bound_figure_text(fig).tight_layout()
    return fig


def plot_transitions(result: Any, *, ax: Any = None, title: str | None = None) -> Any:
    """The before -> after category matrix of re-surveyed customers as row percentages."""
    fig, ax = _axes(ax, (5, 4))
    shares = result.table(shares=True)
    counts = result.table()
    ax.imshow(shares.to_numpy(dtype=float), cmap="Blues", vmin=0, vmax=100)
    for i in range(3):
        for j in range(3):
            v = shares.iat[i, j]
            text = "-" if np.isnan(v) else f"{v:.0f}%\n(n={counts.iat[i, j]})"
            ax.text(j, i, text, ha="center", va="center", fontsize=9, color="black" if np.isnan(v) or v < 60 else "white")
    ax.set_xticks(range(3), [f"{c} after" for c in shares.columns], rotation=20)
    ax.set_yticks(range(3), [f"{c} before" for c in shares.index])
    ax.set_title(title or f"Re-surveyed customers (n = {result.n_pairs})")
    bound_figure_text(fig).tight_layout()
    return fig


def plot_cohorts(table: pd.DataFrame, *, ax: Any = None, title: str | None = None) -> Any:
    """Heat map of NPS by start cohort (rows) and periods since start (columns); suppressed cells blank."""
    fig, ax = _axes(ax, (8, 4))
    wide = table.pivot(index="cohort", columns="periods_since_start", values="nps")
    data = wide.to_numpy(dtype=float)
    im = ax.imshow(np.ma.masked_invalid(data), cmap="RdYlGn", vmin=-100, vmax=100, aspect="auto")
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            if np.isfinite(data[i, j]):
                ax.text(j, i, f"{data[i, j]:+.0f}", ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(wide.columns)), [str(c) for c in wide.columns])
    ax.set_yticks(range(len(wide.index)), [pd.Timestamp(c).strftime("%Y-%m") for c in wide.index])
    ax.set_xlabel(f"periods since start ({table.attrs.get('freq', '')})")
    ax.set_ylabel("start cohort")
    fig.colorbar(im, ax=ax, label="NPS")
    ax.set_title(title or f"NPS by cohort (blank: n < {table.attrs.get('min_n')} or no answers)")
    bound_figure_text(fig).tight_layout()
    return fig


_VALUE_COLUMNS = {
    "responses", "due", "in_time", "late", "overdue", "share_in_time", "ci_lower", "ci_upper",
    "median_hours_to_contact", "median_ci_lower", "median_ci_upper", "median_confidence", "median_exact",
}
