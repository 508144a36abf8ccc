"""Trailing windows for low-volume tracking: NPS over the last k periods, and which k to suggest.

A programme with ~15 answers a week shows no weekly NPS at a minimum of 30; over 4 or 13 weeks it does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

#: Windows offered when most cells are suppressed: a month, a quarter, half a year, a year of weeks.
CANDIDATE_WINDOWS: tuple[int, ...] = (4, 13, 26, 52)
COUNT_COLUMNS: tuple[str, ...] = ("detractors", "passives", "promoters", "n", "weight_sq")


def check_window(window: Any) -> int:
    """``window`` as a positive whole number of periods, or a ValueError saying what is expected."""
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or int(window) < 1:
        raise ValueError(f"window must be a whole number of periods, 1 or more (e.g. 4 or 13), got {window!r}")
    return int(window)


def trailing_sums(table: pd.DataFrame, *, by: Sequence[str] = (), window: int = 1) -> pd.DataFrame:
    """Each period's counts replaced by the sum over the trailing ``window`` periods (itself included).

    ``table`` must hold every period of each segment in order (the grid :func:`nps_by_period`
    builds, with ``n = 0`` where a segment had no answers), so a window of 4 is 4 calendar periods,
    not the last 4 periods that had answers. Counts are sufficient statistics: the NPS of a window
    is the NPS of its summed counts. A weighted table (float sums of weights, and ``weight_sq``, the
    sum of squared weights) is summed the same way: Kish's effective n of a window is
    ``(sum w)^2 / sum w^2`` over the window's answers. Integer columns stay integers (the rolling
    sum goes through floats, rounded back); float columns keep their sums. The first
    ``window - 1`` periods of the table hold partial windows; callers that want full windows read
    ``window - 1`` extra periods first.
    """
    window = check_window(window)
    cols = [c for c in COUNT_COLUMNS if c in table.columns]
    if window == 1 or table.empty:
        return table.copy()
    out = table.sort_values([*by, "period"], kind="stable").copy()
    if by:
        rolled = out.groupby(list(by), sort=False, dropna=False)[cols].rolling(window, min_periods=1).sum()
        rolled = rolled.reset_index(level=list(range(len(by))), drop=True)
    else:
        rolled = out[cols].rolling(window, min_periods=1).sum()
    rolled = rolled.loc[out.index, cols]
    for col in cols:
        integer = pd.api.types.is_integer_dtype(out[col])
        out[col] = rolled[col].round().astype(np.int64) if integer else rolled[col].astype(float)
    return out


def suppressed_share(n: Any, min_n: int) -> float:
    """Share of cells with fewer than ``min_n`` answers (0 when there are no cells)."""
    values = np.asarray(n, dtype=float)
    return float((values < min_n).mean()) if values.size else 0.0


def suggest_window(
    table: pd.DataFrame,
    *,
    by: Sequence[str] = (),
    min_n: int,
    window: int = 1,
    candidates: Sequence[int] = CANDIDATE_WINDOWS,
    most: float = 0.5,
    within: Sequence[Any] | None = None,
) -> int | None:
    """The smallest trailing window that leaves at most ``most`` of the cells suppressed.

    Returns ``None`` when the current ``window`` already does (no suggestion) or when no candidate
    larger than it does (the programme is too small for any window offered; the caller says so).

    Args:
        table: per-period counts of every segment (window 1), e.g. before suppression.
        candidates: windows to try, smallest first (default 4, 13, 26, 52 periods).
        most: the share of suppressed cells tolerated (default: a half, i.e. "most cells").
        within: the periods that are shown (default: all); earlier rows of ``table`` are history
            the trailing windows read.
    """

    def share(k: int) -> float:
        pooled = trailing_sums(table, by=by, window=k)
        if within is not None:
            pooled = pooled[pooled["period"].isin(list(within))]
        return suppressed_share(pooled["n"], min_n)

    if share(window) <= most:
        return None
    for k in sorted(c for c in candidates if c > window):
        if share(k) <= most:
            return k
    return None


def describe_suppression(table: pd.DataFrame) -> str:
    """One line on suppressed cells of an :func:`nps_by_period` table, with its suggested window.

    Empty when no more than half the cells are suppressed.
    """
    total = len(table)
    hidden = int(table["suppressed"].sum()) if "suppressed" in table and total else 0
    if not total or hidden * 2 <= total:
        return ""
    min_n = table.attrs.get("min_n")
    window = table.attrs.get("window", 1)
    unit = {"W": "weeks", "M": "months", "Q": "quarters", "D": "days"}.get(str(table.attrs.get("freq", "W"))[:1].upper(), "periods")
    span = f"trailing {window} {unit}" if window > 1 else "one period"
    line = f"{hidden} of {total} cells ({span} each) have fewer than {min_n} answers and are not shown."
    suggested = table.attrs.get("suggested_window")
    if suggested:
        after = table.attrs.get("suggested_suppressed")
        line += (f" Set `window` to {suggested} (NPS over the trailing {suggested} {unit})"
                 + (f": then {after} of {total} cells would be suppressed." if after is not None else "."))
    else:
        line += (f" No trailing window of up to {max(CANDIDATE_WINDOWS)} {unit} in these data would show most "
                 "of them: compare fewer segments, or lower `min_n` knowing that the intervals widen.")
    return line


__all__ = [
    "CANDIDATE_WINDOWS", "check_window", "describe_suppression", "suggest_window", "suppressed_share", "trailing_sums",
]
