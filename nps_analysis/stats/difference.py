"""Shared pieces of two-arm comparisons: arms from counts, scores or frames, and normal-theory
p-values and intervals on the difference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..sources.errors import NPSInputError
from ..sources.scores import PASSIVE_FROM, PROMOTER_FROM, parse_scores
from .scoring import NPSCounts, WeightedNPSCounts, as_counts

Alternative = Literal["two-sided", "less", "greater"]
ALTERNATIVES: tuple[str, ...] = ("two-sided", "less", "greater")
MissingPolicy = Literal["error", "drop", "indicator"]

#: Bounds of a difference of two NPS, in points.
DIFFERENCE_BOUND = 200.0


@dataclass(frozen=True)
class Group:
    counts: NPSCounts
    rows: np.ndarray | None  # valid 0-10 answers as int64, when raw scores were given
    frame: pd.DataFrame | None  # responding rows, when a DataFrame was given


def as_group(data: Any, role: str, score: str) -> Group:
    if isinstance(data, (NPSCounts, WeightedNPSCounts)) or (
        isinstance(data, dict) and {"detractors", "passives", "promoters"} <= set(data)
    ):
        # Weighted counts enter on their Kish effective sample size (as_counts).
        return Group(as_counts(data), None, None)
    if isinstance(data, pd.DataFrame):
        if score not in data.columns:
            raise NPSInputError(
                f"{role}: missing score column {score!r}; the columns are {list(map(str, data.columns))}",
                column=score,
            )
        parsed = parse_scores(data[score], column=score)
        mask = parsed.valid_mask
        rows = parsed.values[mask].astype(np.int64)
        return Group(counts_of(rows), rows, data.loc[mask])
    if isinstance(data, (str, bytes)):
        raise NPSInputError(f"{role}: expected 0-10 scores or NPSCounts, got a string {data!r}")
    parsed = parse_scores(data, column=role)
    rows = parsed.values[parsed.valid_mask].astype(np.int64)
    return Group(counts_of(rows), rows, None)


def counts_of(rows: np.ndarray) -> NPSCounts:
    return NPSCounts.from_distribution(np.bincount(rows, minlength=11))


def require_integer_counts(counts: NPSCounts, role: str, method: str) -> None:
    if not all(float(v).is_integer() for v in counts.as_array()):
        raise ValueError(f"{method} needs whole-number counts; {role} has {counts.as_array().tolist()}")


def normal_pvalue(z: float, alternative: str) -> float:
    """Normal-theory p-value (erfc keeps the far tails accurate; no scipy call on the hot path)."""
    if math.isnan(z):
        return 1.0  # 0 / 0: no difference and no variance
    if alternative == "two-sided":
        return float(min(1.0, math.erfc(abs(z) / math.sqrt(2.0))))
    if alternative == "greater":
        return 0.5 * math.erfc(z / math.sqrt(2.0))
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def normal_quantile(p: float) -> float:
    return NormalDist().inv_cdf(p)


def normal_interval(centre: float, se: float, confidence_level: float, alternative: str) -> tuple[float, float]:
    if alternative == "two-sided":
        z = normal_quantile(0.5 + confidence_level / 2)
        return clip_difference(centre - z * se), clip_difference(centre + z * se)
    z = normal_quantile(confidence_level)
    if alternative == "greater":
        return clip_difference(centre - z * se), DIFFERENCE_BOUND
    return -DIFFERENCE_BOUND, clip_difference(centre + z * se)


def quantile_interval(draws: np.ndarray, confidence_level: float, alternative: str) -> tuple[float, float]:
    alpha = 1.0 - confidence_level
    if alternative == "two-sided":
        lo, hi = np.quantile(draws, [alpha / 2, 1 - alpha / 2])
        return clip_difference(lo), clip_difference(hi)
    if alternative == "greater":
        return clip_difference(np.quantile(draws, alpha)), DIFFERENCE_BOUND
    return -DIFFERENCE_BOUND, clip_difference(np.quantile(draws, 1 - alpha))


def clip_difference(x: float) -> float:
    return float(min(DIFFERENCE_BOUND, max(-DIFFERENCE_BOUND, x)))


def z_score(diff: float, se: float) -> float:
    if se > 0:
        return diff / se
    if diff == 0:
        return math.nan
    return math.copysign(math.inf, diff)


def rng_of(random_state: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)


def category_value(scores: np.ndarray) -> np.ndarray:
    """-1 / 0 / +1 for detractor / passive / promoter answers, as floats."""
    return np.where(scores >= PROMOTER_FROM, 1.0, np.where(scores >= PASSIVE_FROM, 0.0, -1.0))
