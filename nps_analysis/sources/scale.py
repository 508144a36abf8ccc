"""Scale check: does a score column really hold 0-10 answers, or a 1-5 / 1-7 / 0-2 survey?

A CSAT column scored as NPS gives -100 everywhere without complaint. :func:`check_scale` looks at the
answers (overall and per group of the columns that label survey types) and names the scale they fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from .errors import NPSInputError

ScaleCheck = Literal["warn", "error", "off"]
SCALE_CHECKS: tuple[str, ...] = ("warn", "error", "off")

#: Tops of the short scales exports mix into one column (0-2 thumbs/pulse, 1-3, 1-4, 1-5 CSAT,
#: 1-7 effort or agreement). A column whose answers never exceed one of them looks like that scale.
SHORT_SCALE_TOPS: tuple[int, ...] = (2, 3, 4, 5, 7)
#: Fewer answers than this prove nothing about a scale: a struggling 0-10 programme gives 20
#: answers all at or below 7 with probability 0.84^20 = 3%, 10 answers with 17%
#: (benchmarks/real_exports.py).
MIN_ANSWERS = 20
#: A column with more distinct labels than this is not a survey-type column.
MAX_GROUPS = 20


def looks_like(values: np.ndarray, *, high: int = 10) -> str | None:
    """The short scale ``values`` fit (``"1-5"``, ``"0-2"``, ...), or None when they use the full range.

    None too for fewer than :data:`MIN_ANSWERS` answers.
    """
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if v.size < MIN_ANSWERS:
        return None
    top = float(v.max())
    fits = [t for t in SHORT_SCALE_TOPS if top <= t < high]
    if not fits:
        return None
    low = 0 if float(v.min()) == 0 else 1
    return f"{low}-{fits[0]}"


def _disjoint(ranges: list[tuple[float, float]]) -> bool:
    """True when no two groups' answer ranges overlap: the column is derived from the score itself
    (NPS category, a score band), so its groups differ by construction, not by scale."""
    ordered = sorted(ranges)
    return all(a[1] < b[0] for a, b in zip(ordered, ordered[1:], strict=False))


def _group_columns(frame: pd.DataFrame, score: str, candidates: Sequence[str]) -> list[str]:
    out = []
    for col in dict.fromkeys(candidates):
        if col == score or col not in frame.columns:
            continue
        labels = frame[col].dropna()
        if 2 <= labels.nunique() <= MAX_GROUPS:
            out.append(col)
    return out


def check_scale(
    frame: pd.DataFrame,
    score: str,
    *,
    values: np.ndarray | None = None,
    groups: Sequence[str] = (),
    mode: ScaleCheck = "warn",
    scale: tuple[int, int] = (0, 10),
    file: str | None = None,
) -> list[str]:
    """Warnings about the scale of ``score``: answers never above 5 or 7, or groups on different scales.

    Args:
        frame: the rows (labels of ``groups`` are read from it).
        score: the score column.
        values: the parsed answers (floats, NaN where missing); default ``frame[score]`` as numbers.
        groups: columns whose labels may mark different surveys (a CRM's survey type, ...); only
            those with 2 to :data:`MAX_GROUPS` labels are looked at.
        mode: ``"warn"`` returns the warnings, ``"error"`` raises :class:`NPSInputError` with them,
            ``"off"`` checks nothing.
        scale: the scale the column is meant to have (the check runs for 0-10 only).

    Returns:
        One line per finding (empty when the answers look like the stated scale).
    """
    if mode not in SCALE_CHECKS:
        raise ValueError(f"scale_check must be one of {', '.join(SCALE_CHECKS)}, got {mode!r}")
    if mode == "off" or tuple(scale) != (0, 10):
        return []
    if values is None:
        values = pd.to_numeric(frame[score], errors="coerce").to_numpy(dtype=float)
    values = np.asarray(values, dtype=float)
    found: list[str] = []
    overall = looks_like(values)
    if overall is not None:
        top = int(np.nanmax(values))
        found.append(
            f"answers in {score!r} never exceed {top}: this looks like a {overall} scale, not 0-10 "
            f"(NPS counts 0-6 as detractors)"
        )
    for col in _group_columns(frame, score, groups):
        labels = frame[col].to_numpy(dtype=object)
        present = pd.notna(labels)
        looks: dict[str, str] = {}
        ranges = []
        for label in pd.unique(labels[present]):
            sel = present & (labels == label)
            v = values[sel]
            v = v[~np.isnan(v)]
            if v.size < MIN_ANSWERS:
                continue
            # A short scale shows its top: a group of 0-6 answers is detractors, not a 1-7 survey.
            short = looks_like(v)
            looks[str(label)] = short if short and int(v.max()) in SHORT_SCALE_TOPS else "0-10"
            ranges.append((float(v.min()), float(v.max())))
        if len(set(looks.values())) > 1 and not _disjoint(ranges):
            shown = ", ".join(f"{k!r} {v}" for k, v in looks.items())
            found.append(
                f"groups of {col!r} look like different scales in {score!r} ({shown}): one NPS over "
                f"them mixes surveys; filter to the 0-10 survey"
            )
    if found and mode == "error":
        raise NPSInputError(
            "; ".join(found) + " (scale_check='error' / --scale-check error)",
            file=file,
            column=score,
        )
    # The warning says how to silence it once the analyst has checked.
    return [f"{line} (scale_check='off' / --scale-check off if it is right)" for line in found]


__all__ = [
    "MAX_GROUPS",
    "MIN_ANSWERS",
    "SCALE_CHECKS",
    "SHORT_SCALE_TOPS",
    "check_scale",
    "looks_like",
]
