"""Importance-performance analysis (Martilla & James 1977): items placed in four quadrants by
how important customers rate them and how well the company performs on them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ..sources.errors import NPSInputError
from ..sources.item_tables import (
    Table,
    available_items,
    check_scale,
    detect_layout,
    read_item_table,
    read_side,
)
from ..sources.results import ResultMixin
from .gap_tables import TableResult

#: Importance-performance quadrants (Martilla & James 1977).
IPA_QUADRANTS: tuple[str, ...] = (
    "concentrate here", "keep up the good work", "low priority", "possible overkill",
)


@dataclass(frozen=True)
class IPAItem(ResultMixin):
    """One item's mean importance and performance and its quadrant."""

    item: str
    importance: float
    performance: float
    n_importance: int
    n_performance: int
    quadrant: str


@dataclass(frozen=True)
class ImportancePerformance(TableResult):
    """Importance-performance grid: items, the crosshair and how it was placed."""

    items: tuple[IPAItem, ...]
    importance_centre: float
    performance_centre: float
    centre: str
    scale: tuple[int, int]

    def table(self) -> pd.DataFrame:
        return self.to_frame()

    def quadrant(self, name: str) -> list[str]:
        """Items in one quadrant."""
        if name not in IPA_QUADRANTS:
            raise KeyError(name)
        return [r.item for r in self.items if r.quadrant == name]


def _item_means(source: Table | Mapping[str, float], items: list[str] | None, scale: tuple[int, int],
                what: str, layout: str, respondent: str, item_column: str, answer: str,
                ) -> tuple[dict[str, float], dict[str, int]]:
    if isinstance(source, Mapping):
        means = {str(k): float(v) for k, v in source.items()}
        bad = [k for k, v in means.items() if not scale[0] <= v <= scale[1]]
        if bad:
            raise NPSInputError(f"{what}: mean(s) outside the {scale[0]}-{scale[1]} scale: {', '.join(bad)}",
                                column=bad[0])
        return means, {k: 0 for k in means}
    frame, src = read_item_table(source, what=what)
    lay = detect_layout(frame, layout, item_column, answer)
    available = available_items(frame, lay, respondent=respondent, item_column=item_column,
                                 answer=answer, src=src, what=what)
    chosen = available if items is None else items
    missing = [i for i in chosen if i not in available]
    if missing:
        raise NPSInputError(f"{what}: item(s) not found: {', '.join(missing)}", file=src.file, column=missing[0])
    side = read_side(frame, chosen, layout=lay, scale=scale, respondent=respondent,
                      item_column=item_column, answer=answer, src=src, what=what)
    n = (~np.isnan(side.answers)).sum(0)
    with np.errstate(invalid="ignore"):
        means = np.nanmean(np.where(n > 0, side.answers, 0.0), 0) if side.answers.size else np.array([])
    empty = [chosen[j] for j in np.flatnonzero(n == 0)]
    if empty:
        raise NPSInputError(f"{what}: no answers for {', '.join(empty)}", file=src.file, column=empty[0])
    return dict(zip(chosen, map(float, means), strict=True)), dict(zip(chosen, map(int, n), strict=True))


def _items_of(source: Table, *, layout: str, respondent: str, item_column: str, answer: str) -> list[str]:
    frame, src = read_item_table(source, what="importance ratings")
    lay = detect_layout(frame, layout, item_column, answer)
    return available_items(frame, lay, respondent=respondent, item_column=item_column, answer=answer,
                            src=src, what="importance ratings")


def importance_performance(
    performance: Table | Mapping[str, float],
    importance: Table | Mapping[str, float],
    *,
    items: Sequence[str] | None = None,
    scale: tuple[int, int] = (1, 5),
    centre: Literal["mean", "median", "scale"] | tuple[float, float] = "mean",
    layout: Literal["auto", "wide", "long"] = "auto",
    respondent: str = "respondent",
    item_column: str = "item",
    answer: str = "answer",
) -> ImportancePerformance:
    """Importance-performance analysis (Martilla & James 1977, Journal of Marketing 41(1), 77-79).

    Each item is placed by its mean importance (vertical) and mean performance (horizontal). The
    crosshair is at the mean (default) or median of the item means, at the scale midpoint, or at
    an explicit ``(importance, performance)``. Quadrants: high importance & low performance
    ``concentrate here``; high & high ``keep up the good work``; low & low ``low priority``; low
    importance & high performance ``possible overkill``. A value on the crosshair counts as high.

    Args:
        performance, importance: answers (DataFrame or path; wide or long) or mappings item -> mean.
        items: items to place (default: the items found in both ``performance`` and ``importance``).
    """
    lo, hi = check_scale(scale)
    common = {"layout": layout, "respondent": respondent, "item_column": item_column, "answer": answer}
    chosen = list(items) if items is not None else None
    perf, n_perf = _item_means(performance, chosen, (lo, hi), "performance ratings", **common)
    if chosen is None:
        available = [str(k) for k in importance] if isinstance(importance, Mapping) else _items_of(importance, **common)
        chosen = [i for i in perf if i in available]
    imp, n_imp = _item_means(importance, chosen, (lo, hi), "importance ratings", **common)
    missing = [i for i in chosen if i not in imp or i not in perf]
    if missing:
        raise NPSInputError(f"item(s) without both an importance and a performance: {', '.join(missing)}",
                            column=missing[0])
    if len(chosen) < 2:
        raise NPSInputError("importance-performance needs at least 2 items")
    ivals = np.array([imp[i] for i in chosen])
    pvals = np.array([perf[i] for i in chosen])
    if isinstance(centre, tuple):
        ci, cp = float(centre[0]), float(centre[1])
        how = "given"
    elif centre == "mean":
        ci, cp, how = float(ivals.mean()), float(pvals.mean()), "mean of the item means"
    elif centre == "median":
        ci, cp, how = float(np.median(ivals)), float(np.median(pvals)), "median of the item means"
    elif centre == "scale":
        ci = cp = (lo + hi) / 2
        how = "scale midpoint"
    else:
        raise NPSInputError(f"centre must be 'mean', 'median', 'scale' or a pair, got {centre!r}")
    rows = []
    for i, iv, pv in zip(chosen, ivals, pvals, strict=True):
        high_i, high_p = iv >= ci, pv >= cp
        quadrant = (("keep up the good work" if high_p else "concentrate here") if high_i
                    else ("possible overkill" if high_p else "low priority"))
        rows.append(IPAItem(i, float(iv), float(pv), n_imp[i], n_perf[i], quadrant))
    return ImportancePerformance(tuple(rows), ci, cp, how, (lo, hi))
