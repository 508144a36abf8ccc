"""NPS counts: ``NPSCounts`` (detractors, passives, promoters) and NPS per group, and CSAT.

Everything downstream works on ``NPSCounts``, sufficient for every count-based method in the kit
(DOMAIN.md: each respondent contributes -1, 0 or +1).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..sources.bigfile import score_distribution_from_source
from ..sources.results import ResultMixin
from ..sources.scores import (
    PASSIVE_FROM,
    PROMOTER_FROM,
    OnInvalid,
    answer_bins,
    grouped_bins,
    parse_scores,
)


def _count_value(value: Any) -> int | float:
    """A count as ``int`` when it is whole (the usual case), else ``float`` (adjusted counts)."""
    value = value.item() if isinstance(value, np.generic) else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


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
            if (
                isinstance(value, (bool, np.bool_))
                or not isinstance(value, (int, float, np.integer, np.floating))
                or not math.isfinite(value)
                or value < 0
            ):
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
        # Never below 0 (it is a variance); rounding could otherwise leave -1e-17 for sqrt.
        return max(0.0, self.promoter_share + self.detractor_share - self.mean**2)

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
        """Count 0-10 answers. Missing answers are not counted; invalid ones raise or are quarantined.

        Integer arrays take one range check and one ``np.bincount``; strings are parsed once per
        distinct value.
        """
        return cls.from_distribution(answer_bins(scores, on_invalid))

    @classmethod
    def from_distribution(cls, bins: Sequence[float] | np.ndarray) -> NPSCounts:
        """Counts from the 11-level distribution of answers 0..10."""
        bins = np.asarray(bins)
        if bins.shape != (11,):
            raise ValueError(f"expected 11 counts for answers 0..10, got shape {bins.shape}")
        return cls(
            _count_value(bins[:PASSIVE_FROM].sum()),
            _count_value(bins[PASSIVE_FROM:PROMOTER_FROM].sum()),
            _count_value(bins[PROMOTER_FROM:].sum()),
        )


def as_counts(data: Any) -> NPSCounts:
    """Accept ``NPSCounts``, a mapping with keys ``detractors``/``passives``/``promoters``, or raw
    0-10 scores.

    A plain tuple or list is read as raw scores (``(1, 2, 3)`` is three answers), never as counts:
    wrap counts in :class:`NPSCounts` to say what they are.
    """
    if isinstance(data, NPSCounts):
        return data
    if isinstance(data, dict) and {"detractors", "passives", "promoters"} <= set(data):
        return NPSCounts(data["detractors"], data["passives"], data["promoters"])
    return NPSCounts.from_scores(data)


# ------------------------------------------------------------------------------- counts per group


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
    ``n`` and ``nps`` (points; NaN for a group whose answers are all missing). Without ``by`` a
    single row. A missing label is a group of its own. Missing answers are not responses; their
    number is in ``attrs["missing"]`` and quarantined rows in ``attrs["quarantined"]``.

    Example:
        >>> import pandas as pd, nps_analysis as nps
        >>> df = pd.DataFrame({"arm": ["a", "a", "b", "b"], "q": [10, 3, 9, 8]})
        >>> nps.counts(df, score="q", by="arm")[["arm", "n", "nps"]].to_dict("records")
        [{'arm': 'a', 'n': 2, 'nps': 0.0}, {'arm': 'b', 'n': 2, 'nps': 50.0}]
    """
    if not isinstance(frame, pd.DataFrame):  # Polars, PyArrow, DuckDB, Spark: counted in place
        from ..sources import engines

        if engines.is_engine_frame(frame):
            dist = engines.score_distribution(frame, score, by, on_invalid=on_invalid, file=file)
            return counts_from_distribution(dist, by=[by] if isinstance(by, str) else list(by or []))
    by_list, keys, bins, missing, invalid = grouped_bins(frame, score, by, on_invalid=on_invalid, file=file)
    out = _category_table(bins)
    if keys is not None:
        out = pd.concat([keys, out], axis=1)
    out.attrs["missing"] = missing
    out.attrs["quarantined"] = invalid
    return out


def _category_table(bins: np.ndarray) -> pd.DataFrame:
    bins = np.asarray(bins, dtype=np.int64)
    detractors = bins[:, :PASSIVE_FROM].sum(axis=1)
    passives = bins[:, PASSIVE_FROM:PROMOTER_FROM].sum(axis=1)
    promoters = bins[:, PROMOTER_FROM:].sum(axis=1)
    n = detractors + passives + promoters
    with np.errstate(invalid="ignore", divide="ignore"):
        nps = np.where(n > 0, 100.0 * (promoters - detractors) / np.maximum(n, 1), np.nan)
    return pd.DataFrame(
        {"detractors": detractors, "passives": passives, "promoters": promoters, "n": n, "nps": nps}
    )


def counts_from_distribution(dist: pd.DataFrame, *, by: Sequence[Any] | None = None) -> pd.DataFrame:
    """Collapse an 11-level distribution (columns 0..10) into detractors/passives/promoters/n/nps.

    Args:
        dist: a :func:`score_distribution` table.
        by: the group columns; default every column that is not one of the answer levels 0..10
            (pass it when a group column is itself named 0..10).
    """
    levels = list(range(11))
    by = [c for c in dist.columns if c not in levels] if by is None else list(by)
    bins = dist[levels].to_numpy()
    out = pd.concat([dist[by].reset_index(drop=True), _category_table(bins)], axis=1)
    out.attrs.update(dist.attrs)
    return out


def counts_by_group(frame: pd.DataFrame, score: str, group: str, **kwargs: Any) -> dict[Any, NPSCounts]:
    """``{group label: NPSCounts}`` for one grouping column."""
    table = counts(frame, score, by=[group], **kwargs)
    return {
        label: NPSCounts(int(d), int(p), int(r))
        for label, d, p, r in zip(
            table[group], table["detractors"], table["passives"], table["promoters"], strict=True
        )
    }


# --------------------------------------------------------------------------------------------- CSAT


@dataclass(frozen=True)
class CSATResult(ResultMixin):
    """Customer satisfaction on a rating scale: top-box share with a Wilson interval, and the mean.

    ``csat``, ``ci_lower`` and ``ci_upper`` are percentages (0-100); the mean has a Student-t
    interval clipped to the scale.
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


def check_level(confidence_level: float) -> None:
    if (
        isinstance(confidence_level, (bool, np.bool_))
        or not isinstance(confidence_level, (int, float, np.integer, np.floating))
        or not 0 < confidence_level < 1
    ):
        raise ValueError(f"confidence_level must be between 0 and 1 (e.g. 0.95), got {confidence_level!r}")


def wilson_interval(successes: float, n: float, confidence_level: float = 0.95) -> tuple[float, float]:
    """Wilson (1927) score interval for a binomial proportion, as fractions.

    Source: E. B. Wilson (1927), JASA 22:209-212. With ``p = successes / n``:
    ``(p + z^2/2n -/+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)``. ``(nan, nan)`` when ``n = 0``.
    """
    from scipy.stats import norm

    check_level(confidence_level)
    if n <= 0:
        return (math.nan, math.nan)
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n = {n}, got {successes!r}")
    lo, hi = wilson_limits(successes, n, float(norm.ppf(0.5 + confidence_level / 2)))
    return (float(lo), float(hi))


def wilson_limits(successes: Any, n: Any, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson (1927) limits for arrays of counts at normal quantile ``z`` (fractions, clipped to [0, 1]).

    The vectorised core of :func:`wilson_interval`; NaN where ``n = 0``; exactly 0 and 1 at the
    edges (no successes, all successes).
    """
    successes, n = np.asarray(successes, float), np.asarray(n, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = successes / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # At the edges the formula's limits are exactly 0 (no successes) and 1 (all successes);
    # rounding gives 5.6e-17 or 0.9999999999999999, which charts read as negative error bars.
    lower = np.where(successes == 0, 0.0, np.clip(centre - half, 0, 1))
    upper = np.where((successes == n) & (n > 0), 1.0, np.clip(centre + half, 0, 1))
    return np.where(n > 0, lower, np.nan), np.where(n > 0, upper, np.nan)


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
    interval, ``mean +/- t_(n-1) s / sqrt(n)``, clipped to the scale (the mean cannot leave it).
    With ``n = 0`` every statistic is NaN; with ``n = 1`` the mean's interval is NaN.

    Example:
        >>> r = csat([5, 4, 3, 2, 5])
        >>> r.csat, r.mean
        (60.0, 3.8)
    """
    from scipy.stats import t

    low, high = scale
    if not (
        isinstance(low, (int, np.integer))
        and isinstance(high, (int, np.integer))
        and not isinstance(low, bool)
        and not isinstance(high, bool)
        and low < high
    ):
        raise ValueError(f"scale must be two integers (low, high) with low < high, got {scale!r}")
    low, high = int(low), int(high)
    if isinstance(top_box, bool) or not isinstance(top_box, (int, np.integer)) or not 1 <= top_box <= high - low:
        raise ValueError(f"top_box must be a whole number from 1 to {high - low}, got {top_box!r}")
    check_level(confidence_level)
    parsed = parse_scores(scores, low=low, high=high, on_invalid=on_invalid)
    values = parsed.values[parsed.valid_mask]
    n = int(values.size)
    hits = int((values > high - top_box).sum())
    lo, hi = wilson_interval(hits, n, confidence_level)
    mean = float(values.mean()) if n else math.nan
    if n > 1:
        half = float(t.ppf(0.5 + confidence_level / 2, n - 1)) * float(values.std(ddof=1)) / math.sqrt(n)
        mean_lo, mean_hi = max(float(low), mean - half), min(float(high), mean + half)
    else:
        mean_lo = mean_hi = math.nan
    return CSATResult(
        n=n,
        top_box_count=hits,
        csat=100.0 * hits / n if n else math.nan,
        ci_lower=100.0 * lo,
        ci_upper=100.0 * hi,
        mean=mean,
        mean_ci_lower=mean_lo,
        mean_ci_upper=mean_hi,
        scale=(low, high),
        top_box=int(top_box),
        confidence_level=confidence_level,
        missing=parsed.missing,
    )


def counts_from_source(
    source: str | os.PathLike[str] | Any,
    score: str,
    by: Sequence[str] | str | None = None,
    *,
    query: str | None = None,
    on_invalid: OnInvalid = "error",
    quarantine_path: str | os.PathLike[str] | None = None,
    database: str | os.PathLike[str] | None = None,
    connection: Any = None,
    sep: str | None = None,
    skip_rows: int | Literal["auto"] = "auto",
    missing_values: str | Sequence[str] | None = None,
    allowed_directories: Sequence[str | os.PathLike[str]] | None = None,
) -> pd.DataFrame:
    """NPS counts per group of a CSV/Parquet file, a table, or a SQL query, counted by DuckDB.

    ``source`` is a path (or glob), or a table name with ``database``; pass ``source=None`` and a
    SQL ``query`` (one read-only ``SELECT``, reading files only below ``allowed_directories``)
    for a query. See :func:`nps_analysis.sources.bigfile.score_distribution_from_source`.

    Same columns as :func:`nps_analysis.scoring.counts` (``by`` columns, ``detractors``,
    ``passives``, ``promoters``, ``n``, ``nps``); ``attrs`` holds ``missing``, ``invalid`` and
    ``rows``. Rows never reach pandas: only the per-group counts do.

    Example:
        >>> import nps_analysis as nps
        >>> table = nps.counts_from_source(nps.datasets.sample_path("experiment"), score="score", by="arm")
        >>> list(table.columns)
        ['arm', 'detractors', 'passives', 'promoters', 'n', 'nps']
    """
    from .scoring import counts_from_distribution

    dist = score_distribution_from_source(
        source,
        score,
        by,
        query=query,
        on_invalid=on_invalid,
        quarantine_path=quarantine_path,
        database=database,
        connection=connection,
        sep=sep,
        skip_rows=skip_rows,
        missing_values=missing_values,
        allowed_directories=allowed_directories,
    )
    return counts_from_distribution(dist, by=[by] if isinstance(by, str) else list(by or []))


def counts_from_file(
    path: str | os.PathLike[str],
    score: str,
    by: Sequence[str] | str | None = None,
    *,
    on_invalid: OnInvalid = "error",
    quarantine_path: str | os.PathLike[str] | None = None,
    sep: str | None = None,
    skip_rows: int | Literal["auto"] = "auto",
    missing_values: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """NPS counts per group of a CSV or Parquet file (or glob), counted by DuckDB in a streaming query.

    See :func:`score_distribution_from_source`; the result is what ``nps.counts(nps.load(path,
    ...), ...)`` gives, without the rows ever reaching pandas.
    """
    return counts_from_source(
        Path(path), score, by, on_invalid=on_invalid, quarantine_path=quarantine_path, sep=sep, skip_rows=skip_rows,
        missing_values=missing_values,
    )
