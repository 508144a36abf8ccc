"""Group labels as analysts expect them: natural order (2 before 10) and spaces reported, not merged.

Used wherever groups are listed (counts, distributions, the CLI) and by the load report.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

_DIGITS = re.compile(r"(\d+)")


def natural_key(value: Any) -> tuple:
    """A sort key: numbers by value first, then text with its digit runs compared as numbers
    (``"S2"`` before ``"S10"``), case-insensitively; missing labels last."""
    if (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or value is pd.NA
        or value is pd.NaT
    ):
        return (3,)
    if isinstance(value, (bool, np.bool_)):
        return (0, float(value), "")
    if isinstance(value, (int, float, np.integer, np.floating)):
        return (0, float(value), "")
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return (1, pd.Timestamp(value).value, "")
    text = str(value)
    parts = _DIGITS.split(text)
    # Odd positions are digit runs: compare them as numbers, the rest as folded text.
    key = tuple(
        (0, int(p), "") if i % 2 else (1, 0, p.casefold()) for i, p in enumerate(parts) if p
    )
    return (2, key, text)


def natural_order(keys: pd.DataFrame, by: Sequence[str]) -> np.ndarray:
    """Positions that sort the rows of ``keys`` naturally by the ``by`` columns (stable).

    Categorical columns keep their category order; other columns use :func:`natural_key`.
    """
    by = list(by)
    if not by or keys.empty:
        return np.arange(len(keys))
    ranks = []
    for col in by:
        values = keys[col]
        if isinstance(values.dtype, pd.CategoricalDtype):
            codes = values.cat.codes.to_numpy().astype(np.int64)
            ranks.append(np.where(codes < 0, np.iinfo(np.int64).max, codes))
            continue
        uniques = pd.unique(values.astype(object))
        ordered = sorted(range(len(uniques)), key=lambda i: natural_key(uniques[i]))
        rank_of = {}
        for rank, i in enumerate(ordered):
            rank_of[_hashable(uniques[i])] = rank
        ranks.append(
            np.array([rank_of[_hashable(v)] for v in values.astype(object)], dtype=np.int64)
        )
    # np.lexsort sorts by the last key first.
    return np.lexsort(list(reversed(ranks)))


def _hashable(value: Any) -> Any:
    if (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and math.isnan(value))
    ):
        return ("<missing>",)
    return value


def space_warnings(frame: pd.DataFrame, columns: Sequence[str], *, limit: int = 3) -> list[str]:
    """One line per text column whose labels have leading or trailing spaces.

    The labels are kept as written (``"Berlin "`` stays apart from ``"Berlin"``): a report names
    them so the analyst decides, rather than the kit merging two labels silently. Free text (a
    comment column read alongside: its values are sentences, median more than four words) holds no
    labels, and stray spaces in it are not reported.
    """
    out = []
    for col in dict.fromkeys(columns):
        if col not in frame.columns:
            continue
        values = frame[col]
        if not (values.dtype == object or pd.api.types.is_string_dtype(values.dtype)):
            continue
        text = values.dropna()
        text = text[text.map(lambda v: isinstance(v, str))]
        if len(text) and text.str.split().str.len().median() > 4:
            continue  # prose, not labels
        spaced = text[text != text.str.strip()]
        if spaced.empty:
            continue
        counts = spaced.value_counts(sort=False)
        present = set(text.tolist())
        shown = []
        for label, n in list(counts.items())[:limit]:
            twin = label.strip()
            beside = f", next to {twin!r}" if twin in present else ""
            shown.append(f"{label!r} ({n} rows{beside})")
        more = f" and {len(counts) - limit} more" if len(counts) > limit else ""
        out.append(
            f"labels in {col!r} have leading or trailing spaces: {', '.join(shown)}{more}; they are "
            f"kept as separate groups (fix the export if they are the same)"
        )
    return out


__all__ = ["natural_key", "natural_order", "space_warnings"]
