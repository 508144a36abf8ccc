"""A change in NPS split into who answered (segment mix) and how each segment answered (rate),
and a drift check of the respondent mix against the previous period or the customer base.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..sources.errors import NPSInputError
from ..sources.results import ResultMixin
from .intervals import z_value
from .scoring import WeightsArg, weighted_counts

_Y = np.array([-1.0, 0.0, 1.0])  # value of a detractor, passive, promoter


@dataclass(frozen=True)
class MixRateResult(ResultMixin):
    """Kitagawa decomposition of ``NPS_b - NPS_a`` (points): ``change = mix + rate`` exactly.

    ``mix`` is the part due to segment shares (who answered), ``rate`` the part due to the
    segments' own NPS (how they answered). Each has a delta-method standard error and interval.
    ``segments`` holds one record per segment: shares and NPS in both periods and its
    ``mix``/``rate`` contributions (summing to the totals); ``only_in`` says ``"a"``/``"b"`` for a
    segment seen in one period only (its whole contribution is mix).
    """

    nps_a: float
    nps_b: float
    change: float
    change_se: float
    change_ci_lower: float
    change_ci_upper: float
    mix: float
    mix_se: float
    mix_ci_lower: float
    mix_ci_upper: float
    rate: float
    rate_se: float
    rate_ci_lower: float
    rate_ci_upper: float
    n_a: int
    n_b: int
    by: list[str]
    weighted: bool
    confidence_level: float
    segments: list[dict[str, Any]]

    def table(self) -> pd.DataFrame:
        """One row per segment: shares (%), NPS, mix and rate contributions (points)."""
        return pd.DataFrame(self.segments)

    def summary(self) -> str:
        w = "weighted " if self.weighted else ""
        return (f"The {w}NPS moved {self.change:+.1f} points ({self.nps_a:.1f} to {self.nps_b:.1f}): "
                f"{self.mix:+.1f} from who answered (segment mix, {self.mix_ci_lower:.1f} to "
                f"{self.mix_ci_upper:.1f}) and {self.rate:+.1f} from how each segment answered "
                f"(rate, {self.rate_ci_lower:.1f} to {self.rate_ci_upper:.1f}).")


def _period_stats(frame: pd.DataFrame, score: str, by: list[str], weights: WeightsArg,
                  what: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected {what} as a pandas DataFrame, got {type(frame).__name__}")
    w = weights if weights is not None else np.ones(len(frame))
    table = weighted_counts(frame, score, by, weights=w, squares=True)
    table = table[table["n"] > 0]
    if table.empty:
        raise NPSInputError(f"{what} has no answers in column {score!r}")
    return table.set_index(by)


_COUNT_COLUMNS = ("detractors", "passives", "promoters", "n")
_SQUARE_COLUMNS = ("detractors_w2", "passives_w2", "promoters_w2")


def _count_stats(table: pd.DataFrame, by: list[str], what: str) -> pd.DataFrame:
    """A per-segment count table checked and indexed by the segments (segments without answers dropped)."""
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"expected {what} as a pandas DataFrame of per-segment counts, got {type(table).__name__}")
    absent = [c for c in [*by, *_COUNT_COLUMNS] if c not in table.columns]
    if absent:
        raise NPSInputError(f"{what}: missing column(s) {absent}; per-segment counts need the segment columns, "
                            f"{', '.join(_COUNT_COLUMNS)} (and {', '.join(_SQUARE_COLUMNS)} when weighted)")
    table = table[[*by, *_COUNT_COLUMNS, *[c for c in _SQUARE_COLUMNS if c in table.columns]]].copy()
    for cat, sq in zip(("detractors", "passives", "promoters"), _SQUARE_COLUMNS, strict=True):
        if sq not in table.columns:  # unweighted counts: every weight is 1, so squares are the counts
            table[sq] = table[cat].astype(float)
    values = table[[*_COUNT_COLUMNS[:3], *_SQUARE_COLUMNS]].to_numpy(dtype=float)
    if not np.isfinite(values).all() or (values < 0).any():
        raise NPSInputError(f"{what}: counts and weight sums must be finite and >= 0")
    table = table[table["n"] > 0]
    if table.empty:
        raise NPSInputError(f"{what} has no answers")
    return table.set_index(by)


def _arrays(table: pd.DataFrame, index: pd.Index) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per segment (aligned to ``index``): weighted category sums (k x 3), squared sums, answers."""
    t = table.reindex(index)
    wsum = t[["detractors", "passives", "promoters"]].fillna(0).to_numpy(float)
    w2 = t[["detractors_w2", "passives_w2", "promoters_w2"]].fillna(0).to_numpy(float)
    n = t["n"].fillna(0).to_numpy(float)
    return wsum, w2, n


def _influence_variance(wsum: np.ndarray, w2: np.ndarray, n: float, g: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Delta-method variance of ``sum_t g_t s_t + h_t r_t`` terms in one period (rows of g, h).

    Each respondent ``i`` (segment ``t``, value ``y``, weight ``w``) has linearised value
    ``w/W [g_t - sum_u g_u s_u + h_t (y - r_t) / s_t]`` (``s`` weighted shares, ``r`` segment
    means, ``W`` the total weight); the with-replacement variance is ``n/(n-1)`` times the sum of
    squares, computed per segment and category from the squared-weight sums.
    """
    total = wsum.sum()
    seg = wsum.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = seg / total
        r = np.where(seg > 0, (wsum[:, 2] - wsum[:, 0]) / seg, 0.0)
        ratio = np.where(s > 0, h / np.where(s > 0, s, 1.0), 0.0)  # (m x k)
    gbar = g @ s  # (m,)
    # value per (component, segment, category): g_t - gbar + h_t (y_k - r_t)/s_t
    z = (g - gbar[:, None])[:, :, None] + ratio[:, :, None] * (_Y[None, None, :] - r[None, :, None])
    ss = (z**2 * w2[None, :, :]).sum(axis=(1, 2)) / total**2
    return ss * (n / (n - 1)) if n > 1 else np.full(len(g), np.nan)


def mix_rate(
    period_a: pd.DataFrame,
    period_b: pd.DataFrame,
    by: Sequence[str] | str,
    *,
    score: str = "score",
    weights: str | None = None,
    confidence_level: float = 0.95,
) -> MixRateResult:
    """Split a change in NPS between two periods into segment mix and within-segment rate.

    Source: Kitagawa (1955), "Components of a difference between two rates", JASA 50:1168-1194
    (the symmetric, average-weights form; also Das Gupta 1993). With segment shares ``s`` and
    segment means ``r`` (of the -1/0/+1 values) in periods ``a`` and ``b``::

        NPS_b - NPS_a = 100 sum_t (s_bt - s_at) (r_at + r_bt) / 2      (mix)
                      + 100 sum_t (r_bt - r_at) (s_at + s_bt) / 2      (rate)

    which adds up exactly. A segment seen in one period only has no rate in the other; it is
    given its observed rate in both, so its rate term is 0 and its whole contribution
    ``+/- s r`` is mix (a segment appearing or vanishing is a change of who answered).

    Intervals: delta method (first-order Taylor expansion of each component in the segment shares
    and means; e.g. Lohr 2022 sec. 9.1), periods independent, respondents as a with-replacement
    sample within each period (weights, when given, treated as fixed). Normal intervals at
    ``confidence_level``.

    Args:
        period_a: answers of the earlier period (one row per respondent).
        period_b: answers of the later period.
        by: the segment columns.
        score: the 0-10 answer column.
        weights: optional weight column (present in both frames): weighted shares and means.
        confidence_level: two-sided level of the intervals.
    """
    by_list = [by] if isinstance(by, str) else list(by)
    if not by_list:
        raise NPSInputError("mix_rate needs at least one segment column (by=)")
    wa = period_a[weights] if isinstance(weights, str) and weights in period_a else weights
    wb = period_b[weights] if isinstance(weights, str) and weights in period_b else weights
    ta = _period_stats(period_a, score, by_list, wa, "period_a")
    tb = _period_stats(period_b, score, by_list, wb, "period_b")
    return mix_rate_from_counts(ta.reset_index(), tb.reset_index(), by_list, weighted=weights is not None,
                                confidence_level=confidence_level)


def mix_rate_from_counts(
    counts_a: pd.DataFrame,
    counts_b: pd.DataFrame,
    by: Sequence[str] | str,
    *,
    weighted: bool = False,
    confidence_level: float = 0.95,
) -> MixRateResult:
    """:func:`mix_rate` from per-segment counts of the two periods, not their rows.

    Each of ``counts_a`` (earlier period) and ``counts_b`` holds one row per segment: the ``by``
    columns, ``detractors``, ``passives``, ``promoters`` (answers, or sums of weights when
    ``weighted``), ``n`` (answers) and, for weighted sums, ``detractors_w2``, ``passives_w2``,
    ``promoters_w2`` (sums of squared weights; without them every weight is 1 and the squares are
    the counts). These are sufficient: the Kitagawa components use the shares and segment means,
    and the delta-method variance sums squared influence values per segment and category, i.e.
    needs the squared-weight sums only. Same formulas and result as :func:`mix_rate`, which
    builds these tables from rows; a tracking report builds them from day-level counts
    (:func:`nps_analysis.analyses.tracking.segment_counts`).
    """
    by_list = [by] if isinstance(by, str) else list(by)
    if not by_list:
        raise NPSInputError("mix_rate needs at least one segment column (by=)")
    z = z_value(confidence_level)
    ta = _count_stats(counts_a, by_list, "period_a")
    tb = _count_stats(counts_b, by_list, "period_b")
    index = ta.index.union(tb.index, sort=False)
    try:
        index = index.sort_values()
    except TypeError:
        pass
    a_sum, a_w2, a_n = _arrays(ta, index)
    b_sum, b_w2, b_n = _arrays(tb, index)
    sa, sb = a_sum.sum(axis=1) / a_sum.sum(), b_sum.sum(axis=1) / b_sum.sum()
    in_a, in_b = a_sum.sum(axis=1) > 0, b_sum.sum(axis=1) > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        ra = np.where(in_a, (a_sum[:, 2] - a_sum[:, 0]) / a_sum.sum(axis=1), np.nan)
        rb = np.where(in_b, (b_sum[:, 2] - b_sum[:, 0]) / b_sum.sum(axis=1), np.nan)
    # Convention for a segment seen in one period only: its rate is carried over (rate term 0).
    ra_f = np.where(in_a, ra, rb)
    rb_f = np.where(in_b, rb, ra)
    mix_t = (sb - sa) * (ra_f + rb_f) / 2
    rate_t = (rb_f - ra_f) * (sa + sb) / 2
    # Gradients of each component w.r.t. the shares and means of each period (chain rule through
    # the carried-over rates: a segment absent in a has r_a = r_b, so its mix is sb * rb).
    both = in_a & in_b
    g_mix_a = np.where(both, -(ra_f + rb_f) / 2, np.where(in_a, -ra_f, 0.0))
    h_mix_a = np.where(both, (sb - sa) / 2, np.where(in_a, -sa, 0.0))
    g_mix_b = np.where(both, (ra_f + rb_f) / 2, np.where(in_b, rb_f, 0.0))
    h_mix_b = np.where(both, (sb - sa) / 2, np.where(in_b, sb, 0.0))
    g_rate_a = np.where(both, (rb_f - ra_f) / 2, 0.0)
    h_rate_a = np.where(both, -(sa + sb) / 2, 0.0)
    g_rate_b = np.where(both, (rb_f - ra_f) / 2, 0.0)
    h_rate_b = np.where(both, (sa + sb) / 2, 0.0)
    g_a = np.vstack([g_mix_a, g_rate_a, -ra_f * in_a])
    h_a = np.vstack([h_mix_a, h_rate_a, -sa])
    g_b = np.vstack([g_mix_b, g_rate_b, rb_f * in_b])
    h_b = np.vstack([h_mix_b, h_rate_b, sb])
    var = (_influence_variance(a_sum, a_w2, a_n.sum(), g_a, h_a)
           + _influence_variance(b_sum, b_w2, b_n.sum(), g_b, h_b))
    se = 100.0 * np.sqrt(var)
    nps_a = 100.0 * float(np.nansum(sa * np.nan_to_num(ra)))
    nps_b = 100.0 * float(np.nansum(sb * np.nan_to_num(rb)))
    mix, rate = 100.0 * float(mix_t.sum()), 100.0 * float(rate_t.sum())
    change = nps_b - nps_a
    keys = index.to_frame(index=False) if isinstance(index, pd.MultiIndex) else pd.DataFrame({by_list[0]: index})
    segments = []
    for i, key in enumerate(keys.to_dict("records")):
        segments.append({
            **key,
            "share_a": 100.0 * sa[i], "share_b": 100.0 * sb[i],
            "nps_a": 100.0 * ra[i] if in_a[i] else None, "nps_b": 100.0 * rb[i] if in_b[i] else None,
            "n_a": int(a_n[i]), "n_b": int(b_n[i]),
            "mix": 100.0 * mix_t[i], "rate": 100.0 * rate_t[i],
            "only_in": "" if both[i] else ("a" if in_a[i] else "b"),
        })

    def ci(x: float, s: float) -> tuple[float, float]:
        return (x - z * s, x + z * s) if math.isfinite(s) else (math.nan, math.nan)

    (clo, chi), (mlo, mhi), (rlo, rhi) = ci(change, se[2]), ci(mix, se[0]), ci(rate, se[1])
    return MixRateResult(
        nps_a=nps_a, nps_b=nps_b, change=change, change_se=float(se[2]),
        change_ci_lower=clo, change_ci_upper=chi,
        mix=mix, mix_se=float(se[0]), mix_ci_lower=mlo, mix_ci_upper=mhi,
        rate=rate, rate_se=float(se[1]), rate_ci_lower=rlo, rate_ci_upper=rhi,
        n_a=int(a_n.sum()), n_b=int(b_n.sum()), by=by_list, weighted=bool(weighted),
        confidence_level=confidence_level, segments=segments,
    )


# ------------------------------------------------------------------------------------- mix drift


@dataclass(frozen=True)
class MixDriftResult(ResultMixin):
    """Has the respondent mix moved? A chi-square test and the segments that moved most.

    ``test`` is ``"goodness-of-fit"`` (against known customer-base shares) or ``"homogeneity"``
    (against the previous period's respondents). ``shifts`` lists every segment, largest absolute
    shift first: shares in percent, ``shift`` in percentage points, and the Pearson residual.
    """

    test: str
    statistic: float
    df: int
    pvalue: float
    n: int
    n_reference: int | None
    by: list[str]
    shifts: list[dict[str, Any]]

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.shifts)

    @property
    def largest_shift(self) -> dict[str, Any] | None:
        return self.shifts[0] if self.shifts else None


def _segment_counts(frame: pd.DataFrame, by: list[str], what: str) -> pd.Series:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected {what} as a pandas DataFrame, got {type(frame).__name__}")
    absent = [c for c in by if c not in frame.columns]
    if absent:
        raise NPSInputError(f"{what}: missing column(s) {absent}; the columns are {list(map(str, frame.columns))}")
    return frame.groupby(by, sort=True, observed=True, dropna=False).size()


def mix_drift(
    current: pd.DataFrame,
    reference: pd.DataFrame | Mapping[Any, float] | pd.Series,
    by: Sequence[str] | str,
) -> MixDriftResult:
    """Test whether the respondent mix over ``by`` differs from a reference mix.

    ``reference`` as known shares (or totals) of the customer base, ``{segment: share}`` (tuples
    of labels for several ``by`` columns): Pearson's chi-square goodness-of-fit test,
    ``X^2 = sum (O - E)^2 / E`` with ``E = n p_ref``, df = segments - 1 (Pearson 1900; scipy
    ``chisquare``). A segment of the respondents missing from the reference raises an error.
    ``reference`` as the previous period's respondents (a frame): Pearson's chi-square test of
    homogeneity of the two samples' segment distributions (2 x k table; scipy
    ``chi2_contingency`` without continuity correction), df = k - 1. Segments are the label
    combinations present; the residual is ``(O - E) / sqrt(E)`` for the current sample.
    """
    by_list = [by] if isinstance(by, str) else list(by)
    if not by_list:
        raise NPSInputError("mix_drift needs at least one segment column (by=)")
    cur = _segment_counts(current, by_list, "current")
    ref: Any = _segment_counts(reference, by_list, "reference") if isinstance(reference, pd.DataFrame) else reference
    return mix_drift_from_counts(cur, ref, by_list, reference_is_sample=isinstance(reference, pd.DataFrame))


def _as_segment_series(counts: Any, by: list[str], what: str) -> pd.Series:
    """Per-segment counts as a Series indexed by the segments (a frame of ``by`` + ``n``, or a Series)."""
    if isinstance(counts, pd.DataFrame):
        absent = [c for c in [*by, "n"] if c not in counts.columns]
        if absent:
            raise NPSInputError(f"{what}: missing column(s) {absent} (segment columns and n)")
        series = counts.set_index(by)["n"]
    elif isinstance(counts, pd.Series):
        series = counts
    else:
        raise TypeError(f"expected {what} as per-segment counts (a DataFrame or Series), got {type(counts).__name__}")
    series = series.astype(float)
    if not np.isfinite(series.to_numpy()).all() or (series.to_numpy() < 0).any():
        raise NPSInputError(f"{what}: segment counts must be finite and >= 0")
    series = series.groupby(level=list(range(series.index.nlevels)), sort=True, dropna=False).sum()
    return series.astype(np.int64)


def mix_drift_from_counts(
    current: pd.DataFrame | pd.Series,
    reference: pd.DataFrame | pd.Series | Mapping[Any, float],
    by: Sequence[str] | str,
    *,
    reference_is_sample: bool = True,
) -> MixDriftResult:
    """:func:`mix_drift` from respondents per segment instead of rows.

    ``current``: respondents per segment (a frame with the ``by`` columns and ``n``, or a Series
    indexed by the segments). ``reference``: the previous period's respondents per segment in the
    same form (``reference_is_sample=True``, the test of homogeneity), or known shares of the
    customer base (a mapping or Series with ``reference_is_sample=False``, the goodness-of-fit
    test). Same tests and result as :func:`mix_drift`: both only need the segment counts.
    """
    from scipy import stats

    by_list = [by] if isinstance(by, str) else list(by)
    if not by_list:
        raise NPSInputError("mix_drift needs at least one segment column (by=)")
    cur = _as_segment_series(current, by_list, "current")
    if reference_is_sample and isinstance(reference, Mapping) and not isinstance(reference, pd.Series):
        raise TypeError("a reference sample is per-segment counts (DataFrame or Series); pass "
                        "reference_is_sample=False for known shares")
    n = int(cur.sum())
    if n == 0:
        raise NPSInputError("current has no respondents")
    if reference_is_sample:
        ref = _as_segment_series(reference, by_list, "reference")
        index = cur.index.union(ref.index)
        o = cur.reindex(index, fill_value=0).to_numpy(float)
        r = ref.reindex(index, fill_value=0).to_numpy(float)
        table = np.vstack([o, r])
        table = table[:, table.sum(axis=0) > 0]
        stat, p, dof, expected = stats.chi2_contingency(table, correction=False)
        e = o.sum() * (o + r) / (o.sum() + r.sum())
        ref_share = r / r.sum()
        test, n_ref = "homogeneity", int(r.sum())
    else:
        ref_map = reference.to_dict() if isinstance(reference, pd.Series) else dict(reference)
        ref_map = {k if isinstance(k, tuple) or len(by_list) > 1 else k: float(v) for k, v in ref_map.items()}
        keys = list(cur.index)
        unknown = [k for k in keys if k not in ref_map]
        if unknown:
            raise NPSInputError(f"segments {unknown[:10]} of the respondents are not in the reference shares")
        all_keys = keys + [k for k in ref_map if k not in set(keys)]
        index = pd.MultiIndex.from_tuples(all_keys, names=by_list) if len(by_list) > 1 else pd.Index(all_keys, name=by_list[0])
        ref_v = np.array([ref_map[k] for k in all_keys])
        if (ref_v < 0).any() or not ref_v.sum() > 0:
            raise NPSInputError("reference shares must be >= 0 and not all 0")
        ref_share = ref_v / ref_v.sum()
        o = cur.reindex(index, fill_value=0).to_numpy(float)
        zero = (ref_share == 0) & (o > 0)
        if zero.any():
            raise NPSInputError(f"segments {list(index[zero])[:10]} have respondents but a reference share of 0")
        keep = ref_share > 0
        e = n * ref_share
        stat, p = stats.chisquare(o[keep], e[keep])
        dof = int(keep.sum()) - 1
        test, n_ref = "goodness-of-fit", None
    with np.errstate(invalid="ignore", divide="ignore"):
        resid = np.where(e > 0, (o - e) / np.sqrt(e), np.nan)
    keys_frame = index.to_frame(index=False)
    shifts = []
    for i, key in enumerate(keys_frame.to_dict("records")):
        share = 100.0 * o[i] / n
        shifts.append({**key, "n": int(o[i]), "share": share, "reference_share": 100.0 * ref_share[i],
                       "shift": share - 100.0 * ref_share[i], "residual": float(resid[i])})
    shifts.sort(key=lambda d: -abs(d["shift"]))
    return MixDriftResult(test=test, statistic=float(stat), df=int(dof), pvalue=float(p), n=n,
                          n_reference=n_ref, by=by_list, shifts=shifts)
