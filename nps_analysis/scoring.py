"""Scoring: turn 0-10 answers into NPS categories and sufficient statistics.

Everything downstream works on ``NPSCounts`` (detractors, passives, promoters), which are sufficient
for every count-based method in the kit (DOMAIN.md: each respondent contributes -1, 0 or +1).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from .errors import NPSInputError, describe_rows
from .results import ResultMixin

CATEGORIES: tuple[str, str, str] = ("detractor", "passive", "promoter")
#: Lowest score of each category on the 0-10 scale (DOMAIN.md: 0-6, 7-8, 9-10).
PASSIVE_FROM = 7
PROMOTER_FROM = 9

OnInvalid = Literal["error", "quarantine"]


@dataclass(frozen=True)
class ParsedScores:
    """Scores checked against a scale.

    Attributes:
        values: float array, one entry per input value: the integer score, or NaN where the answer
            is missing or was quarantined.
        missing: how many answers were missing (NaN, None, empty string). Not responses.
        invalid: ``(position, value)`` for every value that is out of range, non-integral or
            unparsable (only non-empty when ``on_invalid="quarantine"``).
    """

    values: np.ndarray
    missing: int
    invalid: list[tuple[Any, Any]]

    @property
    def valid_mask(self) -> np.ndarray:
        return ~np.isnan(self.values)


def parse_scores(
    scores: Iterable[Any] | pd.Series | np.ndarray,
    *,
    low: int = 0,
    high: int = 10,
    on_invalid: OnInvalid = "error",
    column: str | None = None,
    file: str | None = None,
    positions: Sequence[Any] | None = None,
) -> ParsedScores:
    """Validate answers on an integer scale ``low..high`` without looping over rows.

    Accepts integers, integral floats (``9.0``) and numeric strings (``"9"``, ``" 10 "``). Missing
    answers (NaN, None, empty or blank strings) are counted, never classified. Out-of-range,
    non-integral (``9.5``) and unparsable values raise :class:`NPSInputError` naming their positions
    and values, or are quarantined (set to NaN and listed) when ``on_invalid="quarantine"``.

    Args:
        positions: labels used in messages for each value (default: the Series index, else 0..n-1).
    """
    if on_invalid not in ("error", "quarantine"):
        raise ValueError(f"on_invalid must be 'error' or 'quarantine', got {on_invalid!r}")
    if isinstance(scores, pd.Series):
        series = scores
    else:
        arr = scores if isinstance(scores, np.ndarray) else np.asarray(list(scores), dtype=object)
        series = pd.Series(arr)
    if positions is None:
        positions = series.index
    raw = series.to_numpy()

    # Fast path: integer dtype needs only a range check.
    if raw.dtype.kind in "iu":
        bad = (raw < low) | (raw > high)
        values = raw.astype(np.float64)
        missing_mask = np.zeros(len(raw), dtype=bool)
    elif raw.dtype.kind == "b":
        values = np.full(len(raw), np.nan)
        missing_mask = np.zeros(len(raw), dtype=bool)
        bad = np.ones(len(raw), dtype=bool)
    elif raw.dtype.kind == "f":
        values = raw.astype(np.float64, copy=True)
        missing_mask = np.isnan(values)
        with np.errstate(invalid="ignore"):
            bad = ~missing_mask & (
                ~np.isfinite(values) | (values < low) | (values > high) | (values != np.round(values))
            )
    else:
        obj = series.astype(object)
        is_na = obj.isna().to_numpy()
        is_bool = np.fromiter((isinstance(v, (bool, np.bool_)) for v in raw), dtype=bool, count=len(raw))
        as_str = obj.where(~is_na, "").astype(str).str.strip()
        blank = (as_str == "").to_numpy()
        missing_mask = is_na | blank
        numeric = pd.to_numeric(as_str.where(~missing_mask & ~is_bool, ""), errors="coerce").to_numpy(
            dtype=np.float64
        )
        values = numeric
        with np.errstate(invalid="ignore"):
            bad = ~missing_mask & (
                is_bool
                | np.isnan(numeric)
                | ~np.isfinite(numeric)
                | (numeric < low)
                | (numeric > high)
                | (numeric != np.round(numeric))
            )
        values = np.where(missing_mask, np.nan, values)

    invalid: list[tuple[Any, Any]] = []
    if bad.any():
        idx = np.flatnonzero(bad)
        pos = np.asarray(positions, dtype=object)
        invalid = [(_plain(pos[i]), _plain(raw[i])) for i in idx]
        if on_invalid == "error":
            raise NPSInputError(
                f"{len(idx)} invalid score(s): expected whole numbers from {low} to {high}; "
                f"{describe_rows(invalid)}",
                file=file,
                column=column,
                rows=invalid[:20],
                count=len(idx),
            )
        values = values.copy()
        values[bad] = np.nan
    return ParsedScores(values=values, missing=int(missing_mask.sum()), invalid=invalid)


def _plain(value: Any) -> Any:
    """numpy scalar -> Python scalar, so messages and JSON show ``9.5`` rather than ``np.float64(9.5)``."""
    return value.item() if isinstance(value, np.generic) else value


def classify(
    scores: Iterable[Any] | pd.Series | np.ndarray, *, on_invalid: OnInvalid = "error"
) -> pd.Series:
    """Classify 0-10 answers as ``detractor`` (0-6), ``passive`` (7-8) or ``promoter`` (9-10).

    Returns a categorical Series (categories in that order) aligned with the input; missing answers
    stay missing (NaN) and are not responses. ``attrs["missing"]`` holds their count and, with
    ``on_invalid="quarantine"``, ``attrs["quarantined"]`` lists ``(position, value)`` of the values
    set aside (otherwise they raise :class:`NPSInputError`).

    Example:
        >>> import nps_analysis as nps
        >>> nps.classify([0, 6, 7, "8", " 9 ", 10.0]).tolist()
        ['detractor', 'detractor', 'passive', 'passive', 'promoter', 'promoter']
    """
    index = scores.index if isinstance(scores, pd.Series) else None
    parsed = parse_scores(scores, on_invalid=on_invalid)
    codes = np.full(len(parsed.values), -1, dtype=np.int8)
    v = parsed.values
    with np.errstate(invalid="ignore"):
        codes[v <= 6] = 0
        codes[(v >= PASSIVE_FROM) & (v < PROMOTER_FROM)] = 1
        codes[v >= PROMOTER_FROM] = 2
    out = pd.Series(pd.Categorical.from_codes(codes, categories=list(CATEGORIES)), index=index)
    out.attrs["missing"] = parsed.missing
    out.attrs["quarantined"] = parsed.invalid
    return out


@dataclass(frozen=True)
class NPSCounts(ResultMixin):
    """Sufficient statistics of NPS: counts of detractors, passives and promoters.

    Counts may be fractional (adjusted counts add 3/4, 3/2, 3/4, Rocks 2016). Per respondent the
    value is -1, 0 or +1, so with shares ``p_det``, ``p_pro``:
    ``NPS = 100 (p_pro - p_det)`` and ``V = p_pro + p_det - (p_pro - p_det)^2`` (DOMAIN.md).

    Example:
        >>> c = NPSCounts(detractors=20, passives=30, promoters=50)
        >>> c.n, c.nps
        (100, 30.0)
        >>> round(c.variance, 4)   # 0.5 + 0.2 - 0.3**2
        0.61
    """

    detractors: float
    passives: float
    promoters: float

    def __post_init__(self) -> None:
        for name in ("detractors", "passives", "promoters"):
            value = getattr(self, name)
            if not isinstance(value, (int, float, np.integer, np.floating)) or not math.isfinite(value) or value < 0:
                raise ValueError(f"NPSCounts.{name} must be a finite number >= 0, got {value!r}")
            if isinstance(value, np.generic):
                object.__setattr__(self, name, value.item())

    @property
    def n(self) -> float:
        """Number of respondents (passives included)."""
        return self.detractors + self.passives + self.promoters

    @property
    def detractor_share(self) -> float:
        return self.detractors / self.n if self.n else math.nan

    @property
    def passive_share(self) -> float:
        return self.passives / self.n if self.n else math.nan

    @property
    def promoter_share(self) -> float:
        return self.promoters / self.n if self.n else math.nan

    @property
    def mean(self) -> float:
        """Mean of the -1/0/+1 values (NPS / 100)."""
        return (self.promoters - self.detractors) / self.n if self.n else math.nan

    @property
    def nps(self) -> float:
        """Net Promoter Score in points, -100..100."""
        return 100.0 * self.mean

    @property
    def variance(self) -> float:
        """Per-respondent variance of the -1/0/+1 value: p_pro + p_det - (p_pro - p_det)^2."""
        if not self.n:
            return math.nan
        return self.promoter_share + self.detractor_share - self.mean**2

    @property
    def se(self) -> float:
        """Standard error of NPS in points, sqrt(V / n) x 100 (Wald)."""
        return 100.0 * math.sqrt(self.variance / self.n) if self.n else math.nan

    def adjusted(
        self, detractors: float = 0.75, passives: float = 1.5, promoters: float = 0.75
    ) -> NPSCounts:
        """Counts plus pseudo-counts; the default is Rocks' (2016) adjusted Wald (+3 respondents)."""
        return NPSCounts(
            self.detractors + detractors, self.passives + passives, self.promoters + promoters
        )

    def as_array(self) -> np.ndarray:
        """``[detractors, passives, promoters]`` as floats."""
        return np.array([self.detractors, self.passives, self.promoters], dtype=float)

    def __add__(self, other: NPSCounts) -> NPSCounts:
        if not isinstance(other, NPSCounts):
            return NotImplemented
        return NPSCounts(
            self.detractors + other.detractors,
            self.passives + other.passives,
            self.promoters + other.promoters,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "detractors": self.detractors,
            "passives": self.passives,
            "promoters": self.promoters,
            "n": self.n,
            "nps": None if not self.n else self.nps,
        }

    @classmethod
    def from_scores(
        cls, scores: Iterable[Any] | pd.Series | np.ndarray, *, on_invalid: OnInvalid = "error"
    ) -> NPSCounts:
        """Count 0-10 answers. Missing answers are not counted; invalid ones raise or are quarantined."""
        arr = scores.to_numpy() if isinstance(scores, pd.Series) else scores
        if isinstance(arr, np.ndarray) and arr.dtype.kind in "iu":
            # Fast path for clean integer data: one range check and one bincount.
            if arr.size and (arr.min() < 0 or arr.max() > 10):
                parse_scores(scores, on_invalid="error")  # raises with positions and values
            bins = np.bincount(arr, minlength=11) if arr.size else np.zeros(11, dtype=np.int64)
        else:
            parsed = parse_scores(scores, on_invalid=on_invalid)
            valid = parsed.values[parsed.valid_mask].astype(np.int64)
            bins = np.bincount(valid, minlength=11)
        return cls.from_distribution(bins)

    @classmethod
    def from_distribution(cls, bins: Sequence[float] | np.ndarray) -> NPSCounts:
        """Counts from the 11-level distribution of answers 0..10."""
        bins = np.asarray(bins)
        if bins.shape != (11,):
            raise ValueError(f"expected 11 counts for answers 0..10, got shape {bins.shape}")
        return cls(
            int(bins[:PASSIVE_FROM].sum()),
            int(bins[PASSIVE_FROM:PROMOTER_FROM].sum()),
            int(bins[PROMOTER_FROM:].sum()),
        )


def as_counts(data: Any) -> NPSCounts:
    """Accept ``NPSCounts``, a ``(detractors, passives, promoters)`` triple, or raw 0-10 scores."""
    if isinstance(data, NPSCounts):
        return data
    if isinstance(data, dict) and {"detractors", "passives", "promoters"} <= set(data):
        return NPSCounts(data["detractors"], data["passives"], data["promoters"])
    return NPSCounts.from_scores(data)


def score_distribution(
    frame: pd.DataFrame,
    score: str,
    by: Sequence[str] | str | None = None,
    *,
    on_invalid: OnInvalid = "error",
    file: str | None = None,
) -> pd.DataFrame:
    """Counts of each answer 0..10 per group: the ``by`` columns, then columns ``0`` .. ``10``.

    The full distribution keeps what the three categories throw away (rank tests can run on it).
    Groups with a missing label are kept as their own group, never dropped.
    """
    if not isinstance(frame, pd.DataFrame):  # Polars, PyArrow, DuckDB, Spark: counted in place
        from . import engines

        return engines.score_distribution(frame, score, by, on_invalid=on_invalid, file=file)
    by = [by] if isinstance(by, str) else list(by or [])
    missing_cols = [c for c in [score, *by] if c not in frame.columns]
    if missing_cols:
        raise NPSInputError(
            f"missing column(s) {missing_cols}; the columns are {list(map(str, frame.columns))}",
            file=file,
        )
    parsed = parse_scores(frame[score], on_invalid=on_invalid, column=score, file=file)
    valid = parsed.valid_mask
    values = parsed.values[valid].astype(np.int64)
    if by:
        keys = frame.loc[valid, by] if not valid.all() else frame[by]
        codes, uniques = _group_codes(keys, by)
        n_groups = len(uniques)
        flat = np.bincount(codes * 11 + values, minlength=n_groups * 11).reshape(n_groups, 11)
        # Groups present only among missing answers still get a row of zeros.
        all_codes, all_uniques = _group_codes(frame[by], by)
        out = pd.DataFrame(flat, columns=list(range(11)))
        out = pd.concat([uniques.reset_index(drop=True), out], axis=1)
        out = all_uniques.merge(out, on=by, how="left").fillna({k: 0 for k in range(11)})
        for k in range(11):
            out[k] = out[k].astype(np.int64)
        out = out.sort_values(by, kind="stable", na_position="last").reset_index(drop=True)
    else:
        out = pd.DataFrame([np.bincount(values, minlength=11)], columns=list(range(11)))
    out.attrs["missing"] = parsed.missing
    out.attrs["quarantined"] = parsed.invalid
    return out


def _group_codes(keys: pd.DataFrame, by: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    grouped = keys.groupby(by, dropna=False, sort=False, observed=True)
    codes = grouped.ngroup().to_numpy()
    uniques = grouped.size().reset_index()[by]
    return codes, uniques


def counts(
    frame: pd.DataFrame,
    score: str,
    by: Sequence[str] | str | None = None,
    *,
    on_invalid: OnInvalid = "error",
    file: str | None = None,
) -> pd.DataFrame:
    """NPS sufficient statistics per group.

    Returns one row per group: the ``by`` columns, ``detractors``, ``passives``, ``promoters``,
    ``n`` and ``nps`` (points). Without ``by`` a single row. Missing answers are not responses;
    their number is in ``attrs["missing"]`` and quarantined rows in ``attrs["quarantined"]``.

    Example:
        >>> import pandas as pd, nps_analysis as nps
        >>> df = pd.DataFrame({"arm": ["a", "a", "b", "b"], "q": [10, 3, 9, 8]})
        >>> nps.counts(df, score="q", by="arm")[["arm", "n", "nps"]].to_dict("records")
        [{'arm': 'a', 'n': 2, 'nps': 0.0}, {'arm': 'b', 'n': 2, 'nps': 50.0}]
    """
    if not isinstance(frame, pd.DataFrame):  # Polars, PyArrow, DuckDB, Spark: counted in place
        from . import engines

        return engines.counts(frame, score, by, on_invalid=on_invalid, file=file)
    dist = score_distribution(frame, score, by, on_invalid=on_invalid, file=file)
    return counts_from_distribution(dist)


def counts_from_distribution(dist: pd.DataFrame) -> pd.DataFrame:
    """Collapse an 11-level distribution (columns 0..10) into detractors/passives/promoters/n/nps."""
    levels = list(range(11))
    by = [c for c in dist.columns if c not in levels]
    bins = dist[levels].to_numpy()
    out = dist[by].copy()
    out["detractors"] = bins[:, :PASSIVE_FROM].sum(axis=1)
    out["passives"] = bins[:, PASSIVE_FROM:PROMOTER_FROM].sum(axis=1)
    out["promoters"] = bins[:, PROMOTER_FROM:].sum(axis=1)
    out["n"] = bins.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["nps"] = 100.0 * (out["promoters"] - out["detractors"]) / out["n"].where(out["n"] > 0)
    out.attrs.update(dist.attrs)
    return out


def counts_by_group(frame: pd.DataFrame, score: str, group: str, **kwargs: Any) -> dict[Any, NPSCounts]:
    """``{group label: NPSCounts}`` for one grouping column."""
    table = counts(frame, score, by=[group], **kwargs)
    return {
        row[group]: NPSCounts(int(row["detractors"]), int(row["passives"]), int(row["promoters"]))
        for _, row in table.iterrows()
    }


# --------------------------------------------------------------------------------------------- CSAT


@dataclass(frozen=True)
class CSATResult(ResultMixin):
    """Customer satisfaction on a rating scale: top-box share with a Wilson interval, and the mean.

    ``csat``, ``ci_lower`` and ``ci_upper`` are percentages (0-100); the mean has a t interval.
    """

    n: int
    top_box_count: int
    csat: float
    ci_lower: float
    ci_upper: float
    mean: float
    mean_ci_lower: float
    mean_ci_upper: float
    scale: tuple[int, int]
    top_box: int
    confidence_level: float
    missing: int = 0


def wilson_interval(successes: float, n: float, confidence_level: float = 0.95) -> tuple[float, float]:
    """Wilson (1927) score interval for a binomial proportion, as fractions.

    ``(p + z^2/2n -/+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)``.
    """
    from scipy.stats import norm

    if n <= 0:
        return (math.nan, math.nan)
    z = float(norm.ppf(0.5 + confidence_level / 2))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def csat(
    scores: Iterable[Any] | pd.Series | np.ndarray,
    *,
    scale: tuple[int, int] = (1, 5),
    top_box: int = 2,
    confidence_level: float = 0.95,
    on_invalid: OnInvalid = "error",
) -> CSATResult:
    """CSAT: the share of answers in the top ``top_box`` levels of ``scale`` (default 4-5 of 1-5).

    Source: top-2-box CSAT (DOMAIN.md); interval by Wilson (1927); the mean with a Student-t
    interval, ``mean +/- t_(n-1) s / sqrt(n)``.

    Example:
        >>> r = csat([5, 4, 3, 2, 5])
        >>> r.csat, r.mean
        (60.0, 3.8)
    """
    from scipy.stats import t

    low, high = scale
    if not (isinstance(low, int) and isinstance(high, int) and low < high):
        raise ValueError(f"scale must be two integers (low, high) with low < high, got {scale!r}")
    if not 1 <= top_box <= high - low:
        raise ValueError(f"top_box must be between 1 and {high - low}, got {top_box!r}")
    parsed = parse_scores(scores, low=low, high=high, on_invalid=on_invalid)
    values = parsed.values[parsed.valid_mask]
    n = int(values.size)
    hits = int((values > high - top_box).sum())
    lo, hi = wilson_interval(hits, n, confidence_level)
    mean = float(values.mean()) if n else math.nan
    if n > 1:
        half = float(t.ppf(0.5 + confidence_level / 2, n - 1)) * float(values.std(ddof=1)) / math.sqrt(n)
    else:
        half = math.nan
    return CSATResult(
        n=n,
        top_box_count=hits,
        csat=100.0 * hits / n if n else math.nan,
        ci_lower=100.0 * lo,
        ci_upper=100.0 * hi,
        mean=mean,
        mean_ci_lower=mean - half,
        mean_ci_upper=mean + half,
        scale=(low, high),
        top_box=top_box,
        confidence_level=confidence_level,
        missing=parsed.missing,
    )
