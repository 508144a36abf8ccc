"""Statistical disclosure control for published tables: complementary (secondary) suppression.

A small cell hidden alone among the cells of a published total can be recovered by subtraction;
these helpers choose the extra cells to hide so that it cannot.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Note of a cell hidden only to protect a small one (complementary suppression).
COMPLEMENTARY_NOTE = "not shown: protects a small cell from being recovered from totals (complementary suppression)"


def complementary_suppression(n: np.ndarray, primary: np.ndarray, margins: Sequence[np.ndarray]) -> np.ndarray:
    """Cells to hide besides ``primary`` so that no margin total reveals a hidden cell.

    Secondary (complementary) suppression, the standard rule of statistical disclosure control
    (Hundepool et al. 2012, *Statistical Disclosure Control*, Wiley, sec. 4.2 and 5.4): a cell
    hidden alone among the cells of a published total is recovered by subtracting the others from
    it. For every margin (``margins``: one group label per cell for each total that can be
    published, e.g. the period's total over segments), when exactly one non-empty cell of a group
    is hidden, the smallest other non-empty cell of that group is hidden too; repeated until no
    group changes (a new hidden cell can leave another margin with a single one). Cells with
    ``n = 0`` are known to be empty and protect nothing.

    Args:
        n: size of each cell.
        primary: cells hidden because they are small.
        margins: one label array per published total.

    Returns:
        Boolean array of the extra cells to hide.

    Example:
        >>> complementary_suppression(np.array([40, 12, 2]), np.array([False, False, True]),
        ...                           [np.zeros(3, int)]).tolist()
        [False, True, False]
    """
    n = np.asarray(n, dtype=float)
    primary = np.asarray(primary, dtype=bool)
    hidden = primary.copy()
    for _ in range(len(n) + 1):
        changed = False
        for labels in margins:
            labels = np.asarray(labels)
            for group in pd.unique(labels):
                idx = np.flatnonzero(labels == group)
                if (hidden[idx] & (n[idx] > 0)).sum() != 1:
                    continue
                free = idx[~hidden[idx] & (n[idx] > 0)]
                if len(free):
                    hidden[free[np.argmin(n[free])]] = True
                    changed = True
        if not changed:
            break
    return hidden & ~primary


def margin_labels(table: pd.DataFrame, keys: Sequence[Sequence[str]]) -> list[np.ndarray]:
    """One integer group label per row for each list of columns (an empty list: the whole table)."""
    out = []
    for cols in keys:
        cols = list(cols)
        if not cols:
            out.append(np.zeros(len(table), dtype=np.int64))
        else:
            out.append(table.groupby(cols, sort=False, dropna=False, observed=True).ngroup().to_numpy())
    return out
