"""NPS counts: ``NPSCounts`` (detractors, passives, promoters) and NPS per group, and CSAT.

Everything downstream works on ``NPSCounts``, sufficient for every count-based method in the kit
(DOMAIN.md: each respondent contributes -1, 0 or +1).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..sources.bigfile import score_distribution_from_source
from ..sources.errors import NPSInputError, describe_rows
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
    0-10 scores. Weighted counts (:class:`WeightedNPSCounts`, or a
    mapping that also has ``effective_n``) become their weighted shares on the Kish effective
    sample size.

    A plain tuple or list is read as raw scores (``(1, 2, 3)`` is three answers), never as counts:
    wrap counts in :class:`NPSCounts` to say what they are.
    """
    if isinstance(data, NPSCounts):
        return data
    # Weighted counts enter every count-based method on their Kish effective sample size.
    if isinstance(data, WeightedNPSCounts):
        return data.effective_counts()
    if isinstance(data, dict) and "effective_n" in data:
        return WeightedNPSCounts.from_row(data).effective_counts()
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
    weights: Any = None,
) -> pd.DataFrame:
    """NPS sufficient statistics per group.

    Returns one row per group: the ``by`` columns, ``detractors``, ``passives``, ``promoters``,
    ``n`` and ``nps`` (points; NaN for a group whose answers are all missing). Without ``by`` a
    single row. A missing label is a group of its own. Missing answers are not responses; their
    number is in ``attrs["missing"]`` and quarantined rows in ``attrs["quarantined"]``.

    With ``weights`` (a column name, or for pandas a Series or array of survey weights) the counts
    are weighted: ``detractors``, ``passives``, ``promoters`` are sums of weights (floats), ``n``
    stays the number of answers, ``nps`` is the weighted NPS and ``effective_n`` Kish's effective
    sample size per group (:func:`weighted_counts`; invalid answers
    then always raise). A row becomes :class:`WeightedNPSCounts`
    for intervals and comparisons.

    Example:
        >>> import pandas as pd, nps_analysis as nps
        >>> df = pd.DataFrame({"arm": ["a", "a", "b", "b"], "q": [10, 3, 9, 8]})
        >>> nps.counts(df, score="q", by="arm")[["arm", "n", "nps"]].to_dict("records")
        [{'arm': 'a', 'n': 2, 'nps': 0.0}, {'arm': 'b', 'n': 2, 'nps': 50.0}]
    """
    if weights is not None:
        return weighted_counts(frame, score, by, weights=weights, file=file)
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

# ----------------------------------------------------------------------------------- survey weights

WeightsArg = str | pd.Series | np.ndarray | Sequence[float] | None


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value

Variance = Literal["kish", "linearization"]
VARIANCES: tuple[str, ...] = ("kish", "linearization")


def kish_effective_n(weights: Any) -> float:
    """Kish's (1965, Survey Sampling, sec. 11.7) effective sample size ``(sum w)^2 / sum w^2``.

    NaN weights (rows outside the sample, e.g. non-respondents) are ignored; NaN when every weight
    is 0 or missing.
    """
    w = np.asarray(weights, dtype=float)
    w = w[~np.isnan(w)]
    sq = float(np.dot(w, w))
    return float(w.sum()) ** 2 / sq if sq > 0 else math.nan


def check_weights(w: np.ndarray, name: str, index: pd.Index, *, allow_nan: bool = False) -> np.ndarray:
    """Raise :class:`NPSInputError` naming the rows whose weight is negative, infinite or missing
    (missing allowed with ``allow_nan``); returns ``w``."""
    bad = ~np.isfinite(w) | (w < 0)
    if allow_nan:
        bad &= ~np.isnan(w)
    if bad.any():
        rows = [(_plain(i), _plain(v)) for i, v in zip(index[bad][:20], w[bad][:20], strict=True)]
        raise NPSInputError(
            f"{int(bad.sum())} weight(s) are negative, infinite or missing: {describe_rows(rows)}",
            column=name, rows=rows, count=int(bad.sum()),
        )
    return w


def weight_values(frame: pd.DataFrame, weights: WeightsArg, *, allow_nan: bool = False) -> np.ndarray:
    """A weights column name, Series (aligned by index) or array (by position) as a float array."""
    if weights is None:
        return np.ones(len(frame))
    if isinstance(weights, str):
        if weights not in frame.columns:
            raise NPSInputError(f"missing weights column {weights!r}; the columns are {list(map(str, frame.columns))}")
        values, name = frame[weights], weights
    elif isinstance(weights, pd.Series):
        if not weights.index.equals(frame.index):
            if not frame.index.isin(weights.index).all() or not weights.index.is_unique:
                raise NPSInputError("the weights Series does not cover every row of the frame (index mismatch)")
            weights = weights.reindex(frame.index)
        values, name = weights, str(weights.name or "weights")
    else:
        values, name = pd.Series(np.asarray(weights), index=frame.index), "weights"
        if len(values) != len(frame):
            raise NPSInputError(f"{len(values)} weights for {len(frame)} rows")
    arr = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return check_weights(arr, name, frame.index, allow_nan=allow_nan)





@dataclass(frozen=True)
class WeightedNPSCounts(ResultMixin):
    """Weighted sufficient statistics of one NPS: weighted category totals and the sample sizes.

    ``detractors``, ``passives``, ``promoters`` are sums of weights; ``n`` is the number of answers
    and ``effective_n`` Kish's ``(sum w)^2 / sum w^2``. The optional ``*_w2`` fields (sums of
    squared weights per category) make the Taylor-linearisation variance available too.

    Intervals and comparisons treat the weighted shares as if observed on ``effective_n``
    respondents (:meth:`effective_counts`): Kish's design effect for weighting (Kish 1965, sec.
    11.7; Kish 1992, J. Official Statistics 8:183-200), which assumes the weights unrelated to the
    answers. ``linearized_se`` does not assume that (see :meth:`linearized_variance`).
    """

    detractors: float
    passives: float
    promoters: float
    n: int
    effective_n: float
    detractors_w2: float | None = None
    passives_w2: float | None = None
    promoters_w2: float | None = None

    def __post_init__(self) -> None:
        for name in ("detractors", "passives", "promoters", "effective_n"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                    or not math.isfinite(value) or value < 0:
                raise ValueError(f"WeightedNPSCounts.{name} must be a finite number >= 0, got {value!r}")
            object.__setattr__(self, name, float(value))
        if isinstance(self.n, bool) or not isinstance(self.n, (int, np.integer)) or self.n < 0:
            raise ValueError(f"WeightedNPSCounts.n must be a whole number >= 0, got {self.n!r}")
        object.__setattr__(self, "n", int(self.n))
        if self.effective_n > self.n * (1 + 1e-9):
            raise ValueError(f"effective_n ({self.effective_n:g}) cannot exceed n ({self.n})")

    @property
    def total(self) -> float:
        """Sum of the weights."""
        return self.detractors + self.passives + self.promoters

    @property
    def mean(self) -> float:
        """Weighted mean of the -1/0/+1 values (NPS / 100)."""
        return (self.promoters - self.detractors) / self.total if self.total else math.nan

    @property
    def nps(self) -> float:
        return 100.0 * self.mean

    @property
    def design_effect(self) -> float:
        return self.n / self.effective_n if self.effective_n else math.nan

    @property
    def variance(self) -> float:
        """Weighted per-respondent variance ``p_pro + p_det - (p_pro - p_det)^2`` (weighted shares)."""
        if not self.total:
            return math.nan
        return max(0.0, (self.promoters + self.detractors) / self.total - self.mean**2)

    @property
    def se(self) -> float:
        """Kish standard error in points: ``100 sqrt(V_w / n_eff)``."""
        return 100.0 * math.sqrt(self.variance / self.effective_n) if self.effective_n else math.nan

    def linearized_variance(self) -> float:
        """Taylor-linearisation variance of the weighted mean of the -1/0/+1 values (fractions^2).

        Source: Lohr (2022), Sampling: Design and Analysis, 3rd ed., sec. 9.1 (ratio estimator
        ``ybar_w = sum w y / sum w``); Wolter (2007), Introduction to Variance Estimation, 2nd
        ed., ch. 6. With linearised values ``z_i = w_i (y_i - ybar_w) / sum w`` and a with-
        replacement (one-stratum) design: ``v = n / (n - 1) sum z_i^2``. Per category
        ``k`` (``y`` = -1, 0, +1) the sums of squared weights ``S_k`` suffice:
        ``v = n / (n - 1) sum_k S_k (y_k - ybar_w)^2 / (sum w)^2``.
        """
        if None in (self.detractors_w2, self.passives_w2, self.promoters_w2):
            raise ValueError("linearisation needs the sums of squared weights (weighted_counts(..., squares=True))")
        if self.n < 2 or not self.total:
            return math.nan
        m = self.mean
        ss = (self.detractors_w2 * (-1 - m) ** 2 + self.passives_w2 * m**2
              + self.promoters_w2 * (1 - m) ** 2)
        return self.n / (self.n - 1) * ss / self.total**2

    @property
    def linearized_se(self) -> float:
        """Taylor-linearisation standard error in points (NaN without the squared-weight sums)."""
        if None in (self.detractors_w2, self.passives_w2, self.promoters_w2):
            return math.nan
        return 100.0 * math.sqrt(self.linearized_variance())

    def effective_counts(self, variance: Variance = "kish") -> NPSCounts:
        """The weighted shares as plain counts on the effective sample size (fractional counts).

        ``variance="kish"``: ``n* = effective_n``. ``variance="linearization"``: ``n* = V_w / v``
        with ``v`` the linearisation variance (the design-based effective n of Korn & Graubard
        1998, Survey Methodology 24:193-201). Every count-based interval then applies unchanged.
        """
        if variance not in VARIANCES:
            raise ValueError(f"variance must be one of {VARIANCES}, got {variance!r}")
        if not self.total:
            raise ValueError("no weighted answers (the weights sum to 0)")
        if variance == "kish":
            size = self.effective_n
        else:
            v = self.linearized_variance()
            size = self.variance / v if v > 0 else self.effective_n
        scale = size / self.total
        return NPSCounts(self.detractors * scale, self.passives * scale, self.promoters * scale)

    @classmethod
    def from_row(cls, row: Mapping[str, Any] | pd.Series) -> WeightedNPSCounts:
        """From one row of :func:`weighted_counts` (the ``*_w2`` columns are used when present)."""
        extra = {k: float(row[k]) for k in ("detractors_w2", "passives_w2", "promoters_w2") if k in row}
        return cls(float(row["detractors"]), float(row["passives"]), float(row["promoters"]),
                   int(row["n"]), float(row["effective_n"]), **extra)


def weighted_counts(
    frame: pd.DataFrame,
    score: str,
    by: Sequence[str] | str | None = None,
    *,
    weights: WeightsArg,
    squares: bool = False,
    file: str | None = None,
) -> pd.DataFrame:
    """Weighted NPS sufficient statistics per group.

    Returns one row per group (the ``by`` columns, sorted as :func:`nps_analysis.counts` sorts
    them, a missing label being a group of its own): weighted ``detractors``, ``passives``,
    ``promoters`` (floats: sums of weights), ``n`` (answers, unweighted), ``nps`` (points,
    ``100 (W_pro - W_det) / W``) and ``effective_n`` (Kish, per group). With ``squares=True`` also
    ``detractors_w2``, ``passives_w2``, ``promoters_w2`` (sums of squared weights) for the
    linearisation variance (:meth:`WeightedNPSCounts.linearized_variance`).

    Rows with a missing answer are not responses (their weight may be missing too); an answer with
    a missing, negative or infinite weight raises :class:`NPSInputError` naming the rows.
    Polars, PyArrow, DuckDB and Spark tables (``weights`` then names a column) are counted where
    they live: one query returns per group and answer level the count and the sums of the weights
    and of their squares (:func:`nps_analysis.sources.engines.level_counts`).
    """
    by_list = [by] if isinstance(by, str) else list(by or [])
    if not isinstance(frame, pd.DataFrame):
        from ..sources import engines

        if engines.is_engine_frame(frame):
            return _engine_weighted_counts(frame, score, by_list, weights, squares=squares, file=file)
    absent = [c for c in [score, *by_list] if c not in frame.columns]
    if absent:
        raise NPSInputError(f"missing column(s) {absent}; the columns are {list(map(str, frame.columns))}",
                            file=file)
    parsed = parse_scores(frame[score], column=str(score), file=file)
    answered = parsed.valid_mask
    w = weight_values(frame, weights, allow_nan=True)
    bad = answered & np.isnan(w)
    if bad.any():
        rows = [(_plain(i), None) for i in frame.index[bad][:20]]
        raise NPSInputError(f"{int(bad.sum())} answer(s) have no weight: {describe_rows(rows)}",
                            column=weights if isinstance(weights, str) else "weights", rows=rows,
                            count=int(bad.sum()))
    category = np.full(len(frame), 3, dtype=np.intp)  # slot 3: not a response
    values = parsed.values
    category[answered] = np.where(values[answered] >= 9, 2, np.where(values[answered] >= 7, 1, 0))
    w = np.where(answered, w, 0.0)
    if by_list:
        grouped = frame.groupby(by_list, sort=True, observed=True, dropna=False)
        group = grouped.ngroup().to_numpy()
        keys = grouped.size().index.to_frame(index=False)
        k = len(keys)
    else:
        group, keys, k = np.zeros(len(frame), dtype=np.intp), None, 1
    key = group * 4 + category
    wsum = np.bincount(key, weights=w, minlength=4 * k).reshape(k, 4)[:, :3]
    w2sum = np.bincount(key, weights=w * w, minlength=4 * k).reshape(k, 4)[:, :3]
    nsum = np.bincount(key, minlength=4 * k).reshape(k, 4)[:, :3].sum(axis=1)
    total, sq = wsum.sum(axis=1), w2sum.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        nps = np.where(total > 0, 100.0 * (wsum[:, 2] - wsum[:, 0]) / total, np.nan)
        n_eff = np.where(sq > 0, total**2 / sq, np.where(nsum > 0, 0.0, np.nan))
    out = pd.DataFrame({"detractors": wsum[:, 0], "passives": wsum[:, 1], "promoters": wsum[:, 2],
                        "n": nsum.astype(np.int64), "nps": nps, "effective_n": n_eff})
    if squares:
        out["detractors_w2"], out["passives_w2"], out["promoters_w2"] = w2sum.T
    if keys is not None:
        out = pd.concat([keys.reset_index(drop=True), out], axis=1)
    out.attrs["missing"] = parsed.missing
    out.attrs["weighted"] = True
    return out


def _engine_weighted_counts(data: Any, score: str, by: list[str], weights: WeightsArg, *,
                            squares: bool, file: str | None) -> pd.DataFrame:
    from ..sources import engines

    if not isinstance(weights, str):
        raise NPSInputError("for a Polars/PyArrow/DuckDB/Spark table, weights must name a column")
    levels = engines.level_counts(data, score, by, file=file, weights=weights)
    if (levels["level"] == engines.INVALID_LEVEL).any():
        # The unweighted path raises the kit's usual message, with examples of the bad answers.
        engines.score_distribution(data, score, by, on_invalid="error", file=file)
    answered = levels[(levels["level"] >= 0) & (levels["level"] <= 10)]
    bad = answered[~np.isfinite(answered["weight"].to_numpy(dtype=float))]
    if len(bad):
        where = bad[by].drop_duplicates().to_dict("records")[:5] if by else "all"
        raise NPSInputError(
            f"answers with a missing, negative or infinite weight (groups {where})", file=file,
            column=weights, count=int(bad["count"].sum()),
        )
    level = levels["level"].to_numpy()
    category = np.select([level > 10, level >= 9, level >= 7, level >= 0], [3, 2, 1, 0], 3)
    if by:
        grouped = levels.groupby(by, sort=True, dropna=False, observed=True)
        group = grouped.ngroup().to_numpy()
        out = grouped.size().index.to_frame(index=False)
    else:
        group, out = np.zeros(len(levels), dtype=np.intp), pd.DataFrame(index=[0])
    k = len(out)
    key = group * 4 + category
    cells = 4 * k
    answered_w = np.where(category < 3, levels["weight"].to_numpy(dtype=float), 0.0)
    answered_w2 = np.where(category < 3, levels["weight_sq"].to_numpy(dtype=float), 0.0)
    wsum = np.bincount(key, weights=answered_w, minlength=cells).reshape(k, 4)[:, :3]
    w2sum = np.bincount(key, weights=answered_w2, minlength=cells).reshape(k, 4)[:, :3]
    nsum = np.bincount(key, weights=levels["count"].to_numpy(dtype=float), minlength=cells).reshape(k, 4)[:, :3]
    out["detractors"], out["passives"], out["promoters"] = wsum.T
    out["n"] = nsum.sum(axis=1).astype(np.int64)
    total, sq = wsum.sum(axis=1), w2sum.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["nps"] = np.where(total > 0, 100.0 * (wsum[:, 2] - wsum[:, 0]) / total, np.nan)
        out["effective_n"] = np.where(sq > 0, total**2 / sq, np.where(out["n"] > 0, 0.0, np.nan))
    out["detractors_w2"], out["passives_w2"], out["promoters_w2"] = w2sum.T
    columns = [*by, "detractors", "passives", "promoters", "n", "nps", "effective_n"]
    if squares:
        columns += ["detractors_w2", "passives_w2", "promoters_w2"]
    out = out[columns]
    out.attrs["missing"] = int(levels.loc[levels["level"] == engines.MISSING_LEVEL, "count"].sum())
    out.attrs["weighted"] = True
    return out
