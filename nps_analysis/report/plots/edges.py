"""Edge-value helpers every chart uses: intervals at 0% and 100%, one point, nothing to draw.

They keep charts honest at the edges: no negative error bars, no invisible bands, no 1970 time axis.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def error_extents(centre: Any, lower: Any, upper: Any) -> np.ndarray:
    """The ``2 x n`` array ``[centre - lower, upper - centre]`` for matplotlib's ``xerr``/``yerr``.

    Interval limits computed in floating point can land a hair on the wrong side of the estimate
    at the edges (Wilson at 0 of 3 gives a lower limit of 5.6e-17, at 10 of 10 an upper limit of
    0.9999999999999999), which matplotlib refuses ("'xerr' must not contain negative values").
    Extents are clipped at 0; a missing limit gives a missing extent (no bar), never an error.

    Example:
        >>> error_extents([0.0, 100.0], [5.6e-15, 72.2], [56.1, 99.99999999999999]).round(1).tolist()
        [[0.0, 27.8], [56.1, 0.0]]
    """
    c = np.asarray(centre, dtype=float)
    lo = np.asarray(lower, dtype=float)
    hi = np.asarray(upper, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.vstack([np.clip(c - lo, 0.0, None), np.clip(hi - c, 0.0, None)])


def isolated(values: Any) -> np.ndarray:
    """Mask of finite values with no finite neighbour: a band (``fill_between``) cannot show them.

    Example:
        >>> isolated([1.0, float("nan"), 2.0, 3.0, float("nan")]).tolist()
        [True, False, False, False, False]
    """
    v = np.isfinite(np.asarray(values, dtype=float))
    before = np.concatenate([[False], v[:-1]])
    after = np.concatenate([v[1:], [False]])
    return v & ~before & ~after


def interval_band(ax: Any, x: Any, estimate: Any, lower: Any, upper: Any, *, color: Any, alpha: float = 0.15) -> None:
    """Draw an interval as a shaded band, and as error bars where a point has no finite neighbour.

    ``fill_between`` draws nothing for a single period, or for a period between two suppressed
    ones; those intervals are drawn as vertical bars so no shown estimate loses its interval. The
    bar spans the interval itself, which need not contain the estimate (the adjusted Wald interval
    of one promoter is -48.5 to 98.5 around an NPS of 100).
    """
    x = pd.Series(list(x))
    est = np.asarray(estimate, dtype=float)
    lo = np.asarray(lower, dtype=float)
    hi = np.asarray(upper, dtype=float)
    ok = np.isfinite(lo) & np.isfinite(hi)
    if ok.sum() >= 2:
        ax.fill_between(x, np.where(ok, lo, np.nan), np.where(ok, hi, np.nan), color=color, alpha=alpha, lw=0)
    alone = isolated(np.where(ok, est, np.nan)) & np.isfinite(est)
    if alone.any():
        ax.vlines(x[alone], lo[alone], hi[alone], color=color, lw=1.5, alpha=0.8)


def period_limits(periods: Sequence[Any], *, freq: str | None = "W") -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """x-limits for a time axis: the data's span padded by half a period, ``None`` when empty.

    ``freq`` is a period alias (``"W"``, ``"M"``, ``"D"``); ``None`` takes the median spacing of
    the points (one day for a single point).

    One period gets one period of room on each side (matplotlib would otherwise widen a single
    date to years); no period gives ``None``: call :func:`no_data` instead of drawing an axis that
    matplotlib starts at 1970-01-01.
    """
    times = pd.to_datetime(pd.Series(list(periods), dtype=object), errors="coerce", utc=None).dropna()
    if times.empty:
        return None
    if freq is None:
        # Unknown period (e.g. a decision's looks): the typical spacing of the points, else a day.
        gaps = times.sort_values().diff().dropna()
        gaps = gaps[gaps > pd.Timedelta(0)]
        step = gaps.median() if len(gaps) else pd.Timedelta(days=1)
    else:
        step = _period_length(freq)
    first, last = times.min(), times.max()
    pad = step if first == last else step / 2
    return first - pad, last + pad


def _period_length(freq: str | None) -> pd.Timedelta:
    alias = (freq or "W").upper()
    for prefix, days in (("D", 1), ("W", 7), ("M", 31), ("Q", 92), ("Y", 366), ("A", 366)):
        if alias.startswith(prefix):
            return pd.Timedelta(days=days)
    return pd.Timedelta(days=7)


def no_data(ax: Any, message: str) -> None:
    """Say on the chart why there is nothing to draw, with no ticks (no axis to misread)."""
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", fontsize=10, color="0.35", wrap=True)


def clip_limits(lower: Any, upper: Any, *, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """Interval limits clipped to the scale (``0..100`` for shares, ``-100..100`` for NPS)."""
    return (np.clip(np.asarray(lower, dtype=float), low, high), np.clip(np.asarray(upper, dtype=float), low, high))


__all__ = ["clip_limits", "error_extents", "interval_band", "isolated", "no_data", "period_limits"]


#: Longest label a chart shows; longer ones (a 30 KB segment name) end in an ellipsis. Laying out
#: such text costs time in proportion to its length at every draw: a 30 KB label took 25 s to save.
MAX_LABEL_CHARS = 60


def short_label(text: Any, limit: int = MAX_LABEL_CHARS) -> Any:
    """``text`` cut to ``limit`` characters with an ellipsis (non-strings are returned as given)."""
    if isinstance(text, str) and len(text) > limit:
        return text[: limit - 1] + "\u2026"
    return text


def bound_figure_text(figure: Any, limit: int = MAX_LABEL_CHARS) -> Any:
    """Cut every text of ``figure`` (titles, legends, annotations, tick labels, category axes) to
    ``limit`` characters, in place, before it is laid out or saved; returns the figure.

    Tick labels are cut in the axis formatter too (fixed labels and matplotlib's categorical
    axes), since ticks are rebuilt from it at every draw.
    """
    if not hasattr(figure, "findobj") or not hasattr(figure, "axes"):
        return figure  # not a matplotlib figure (an object with its own savefig): nothing to cut
    from matplotlib.category import StrCategoryFormatter
    from matplotlib.text import Text
    from matplotlib.ticker import FixedFormatter, FuncFormatter

    for text in figure.findobj(Text):
        value = text.get_text()
        if len(value) > limit:
            text.set_text(short_label(value, limit))
    for ax in figure.axes:
        for axis in (ax.xaxis, ax.yaxis):
            fmt = axis.get_major_formatter()
            # Text tick labels (fixed labels, category axes): ticks are rebuilt from the formatter
            # at every draw, so the formatter itself must cut them. Numeric formatters are left
            # alone (their labels are short, and wrapping would lose their offsets).
            if isinstance(fmt, (FixedFormatter, StrCategoryFormatter, FuncFormatter)) and not getattr(
                fmt, "_nps_bounded", False
            ):
                wrapped = FuncFormatter(lambda x, pos=None, inner=fmt: short_label(inner(x, pos), limit))
                wrapped._nps_bounded = True
                axis.set_major_formatter(wrapped)
    return figure
