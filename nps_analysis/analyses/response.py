"""Response-rate tracking: who was invited and who answered (and commented), by team and period,
with Wilson intervals, the smallest change the volume can detect, and an alert for falling rates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from ..sources.dates import to_utc
from ..sources.errors import NPSInputError, describe_rows
from ..stats.intervals import z_value
from ..stats.multiplicity import adjust_pvalues
from ..stats.scoring import wilson_limits
from .tracking import assign_periods, period_freq, prepare_responses


def detectable_change(
    rate: Any, n1: Any, n2: Any = None, *, alpha: float = 0.05, power: float = 0.8
) -> Any:
    """Smallest change in a proportion two samples of ``n1`` and ``n2`` can detect (fraction).

    Source: the normal-approximation sample size for two independent proportions (Fleiss, Levin &
    Paik 2003, Statistical Methods for Rates and Proportions, 3rd ed., sec. 4.2, without continuity
    correction) solved for the difference, with the variance taken at the baseline rate ``p`` in
    both samples: ``MDE = (z_(1 - alpha/2) + z_power) sqrt(p (1 - p) (1/n1 + 1/n2))``; two-sided
    test at ``alpha``. ``n2`` defaults to ``n1`` (next period as large as this one). Vectorised;
    NaN where a sample is empty.
    """
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError(f"alpha and power must be between 0 and 1, got {alpha!r} and {power!r}")
    p = np.asarray(rate, dtype=float)
    a = np.asarray(n1, dtype=float)
    b = a if n2 is None else np.asarray(n2, dtype=float)
    z = NormalDist().inv_cdf(1 - alpha / 2) + NormalDist().inv_cdf(power)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = z * np.sqrt(p * (1 - p) * (1 / a + 1 / b))
        out = np.where((a > 0) & (b > 0), out, np.nan)
    return float(out) if out.ndim == 0 else out


def _flags(frame: pd.DataFrame, column: str, what: str) -> np.ndarray:
    values = frame[column]
    if pd.api.types.is_bool_dtype(values) and not values.isna().any():
        return values.to_numpy(dtype=bool)
    ok = values.isin([True, False, 0, 1]).to_numpy()
    if not ok.all():
        rows = [(i, v) for i, v in zip(frame.index[~ok][:20], values[~ok][:20], strict=True)]
        raise NPSInputError(f"{what} must be true/false or 1/0; {describe_rows(rows)}", column=column,
                            rows=rows, count=int((~ok).sum()))
    return values.astype(bool).to_numpy()


def _commented(frame: pd.DataFrame, column: str) -> np.ndarray:
    values = frame[column]
    if pd.api.types.is_bool_dtype(values):
        return values.fillna(False).to_numpy(dtype=bool)
    text = values.astype("string").str.strip()
    return (text.notna() & (text != "")).to_numpy(dtype=bool)


def response_rates_by_period(
    invitations: pd.DataFrame,
    *,
    responded: str = "responded",
    comment: str | None = None,
    by: Sequence[str] | str | None = ("team",),
    time: str | None = None,
    period: str | None = None,
    freq: str = "W",
    timezone: str = "UTC",
    confidence_level: float = 0.95,
    alpha: float = 0.05,
    power: float = 0.8,
) -> pd.DataFrame:
    """Response rate and comment rate per segment and period, with Wilson intervals.

    Args:
        invitations: one row per survey invitation.
        responded: boolean column: did the invitation get an answer.
        comment: optional column with the comment text (or a boolean "left a comment"); the comment
            rate is the share of responses with a non-empty comment.
        by: segment columns (team, agent, channel, ...); None for one overall row per period.
        time: invitation time column, assigned to periods of ``freq`` on ``timezone``'s calendar
            (:func:`nps_analysis.tracking.assign_periods`), or
        period: a column that already holds the period; neither: no period split.
        confidence_level: of the Wilson (1927) intervals (:func:`nps_analysis.scoring.wilson_limits`,
            the vectorised core of ``wilson_interval``).
        alpha, power: of :func:`detectable_change`.

    Returns:
        One row per period and segment: ``period``, the ``by`` columns, ``invited``, ``responses``,
        ``response_rate``, ``response_ci_lower``, ``response_ci_upper`` (percent), ``comments``,
        ``comment_rate``, ``comment_ci_lower``, ``comment_ci_upper`` (percent of responses; missing
        without ``comment``) and ``detectable_change``: the smallest change of the response rate
        (percentage points) that comparing this period with one of the same volume detects with
        ``power`` at two-sided ``alpha``.
    """
    if not isinstance(invitations, pd.DataFrame):
        raise TypeError(f"expected invitations as a pandas DataFrame, got {type(invitations).__name__}")
    by_list = [by] if isinstance(by, str) else list(by or [])
    if time is not None and period is not None:
        raise ValueError("pass time= or period=, not both")
    needed = [responded, *by_list, *(c for c in (comment, time, period) if c)]
    absent = [c for c in needed if c not in invitations.columns]
    if absent:
        raise NPSInputError(f"invitations: missing column(s) {absent}; the columns are "
                            f"{list(map(str, invitations.columns))}")
    work = invitations[by_list].copy()
    work["_responded"] = _flags(invitations, responded, responded)
    work["_commented"] = _commented(invitations, comment) & work["_responded"] if comment else False
    keys = list(by_list)
    if time is not None:
        instants = to_utc(invitations[time], timezone=timezone, column=time)
        if instants.isna().any():
            rows = [(i, None) for i in invitations.index[instants.isna().to_numpy()][:20]]
            raise NPSInputError(f"invitations without a time: {describe_rows(rows)}", column=time, rows=rows)
        work["period"] = assign_periods(instants, freq=freq, timezone=timezone).to_numpy()
        keys = ["period", *by_list]
    elif period is not None:
        work["period"] = invitations[period].to_numpy()
        keys = ["period", *by_list]
    if keys:
        grouped = work.groupby(keys, sort=True, observed=True, dropna=False)
        table = pd.DataFrame({"invited": grouped.size(), "responses": grouped["_responded"].sum(),
                              "comments": grouped["_commented"].sum()}).reset_index()
    else:
        table = pd.DataFrame({"invited": [len(work)], "responses": [int(work["_responded"].sum())],
                              "comments": [int(np.sum(work["_commented"]))]})
    z = z_value(confidence_level)
    inv, resp, com = (table[c].to_numpy(dtype=float) for c in ("invited", "responses", "comments"))
    lo, hi = wilson_limits(resp, inv, z)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["response_rate"] = 100.0 * resp / inv
    table["response_ci_lower"], table["response_ci_upper"] = 100.0 * lo, 100.0 * hi
    if comment:
        clo, chi = wilson_limits(com, resp, z)
        with np.errstate(invalid="ignore", divide="ignore"):
            table["comment_rate"] = np.where(resp > 0, 100.0 * com / np.maximum(resp, 1), np.nan)
        table["comment_ci_lower"], table["comment_ci_upper"] = 100.0 * clo, 100.0 * chi
    else:
        table["comments"] = pd.array([pd.NA] * len(table), dtype="Int64")
        for c in ("comment_rate", "comment_ci_lower", "comment_ci_upper"):
            table[c] = np.nan
    table["detectable_change"] = 100.0 * np.asarray(
        detectable_change(resp / np.where(inv > 0, inv, np.nan), inv, alpha=alpha, power=power))
    table["invited"] = table["invited"].astype(np.int64)
    table["responses"] = table["responses"].astype(np.int64)
    table = table[[*keys, "invited", "responses", "response_rate", "response_ci_lower",
                   "response_ci_upper", "comments", "comment_rate", "comment_ci_lower",
                   "comment_ci_upper", "detectable_change"]]
    table.attrs.update(by=by_list, periods="period" in keys, confidence_level=confidence_level,
                       alpha=alpha, power=power, freq=freq if time is not None else None)
    return table


def response_rate_alerts(
    table: pd.DataFrame,
    *,
    period: Any = None,
    baseline: int = 4,
    alpha: float = 0.05,
    correction: str = "holm",
    min_drop: float = 0.0,
) -> pd.DataFrame:
    """Alert when a segment's response rate falls below its trailing baseline.

    The rule: for each segment, the rate of ``period`` (default: the latest in the table) is tested
    against the pooled rate of the ``baseline`` periods before it with a one-sided two-proportion
    z-test (pooled variance; e.g. Fleiss, Levin & Paik 2003 sec. 2.6):
    ``z = (p_base - p_now) / sqrt(p_pool (1 - p_pool) (1/n_now + 1/n_base))``, ``p = 1 - Phi(z)``.
    The p-values of all segments form one family, corrected by ``correction`` (Holm by default);
    an alert is raised when the adjusted p-value is ``<= alpha`` and the drop is at least
    ``min_drop`` percentage points. The pooled test assumes the baseline periods share one rate;
    week-to-week swings beyond binomial noise raise the false-alarm rate (see docs/weighting.md).

    Args:
        table: a :func:`response_rates_by_period` table with periods.
        period: the period to check (a value of the ``period`` column); default the latest.
        baseline: how many earlier periods form the baseline (fewer when fewer exist).
        alpha: family-wise level after the correction.
        correction: ``"holm"``, ``"bh"``, ``"bonferroni"`` or ``"none"``.
        min_drop: smallest drop in percentage points worth an alert.

    Returns:
        One row per segment: the ``by`` columns, ``period``, ``invited``, ``response_rate``,
        ``baseline_invited``, ``baseline_rate``, ``decline`` (points, positive = a fall), ``z``,
        ``pvalue``, ``pvalue_adjusted``, ``alert`` and ``message``; ``attrs["rule"]`` states the rule.
    """
    if "period" not in table.columns:
        raise NPSInputError("response_rate_alerts needs a response_rates_by_period table with periods (time= or period=)")
    if isinstance(baseline, bool) or not isinstance(baseline, int) or baseline < 1:
        raise ValueError(f"baseline must be a whole number >= 1, got {baseline!r}")
    by = list(table.attrs.get("by", [c for c in table.columns if c not in _RATE_COLUMNS]))
    periods = sorted(table["period"].dropna().unique())
    if not periods:
        raise NPSInputError("the table has no periods")
    now = periods[-1] if period is None else period
    if now not in set(periods):
        raise NPSInputError(f"period {now!r} is not in the table; its periods are {periods[-5:]}")
    earlier = [p for p in periods if p < now][-baseline:]
    current = table[table["period"] == now]
    base = table[table["period"].isin(earlier)]
    if by:
        base_sum = base.groupby(by, observed=True, dropna=False)[["invited", "responses"]].sum()
        merged = current.merge(base_sum.rename(columns=lambda c: f"baseline_{c}").reset_index(),
                               on=by, how="left")
    else:
        merged = current.copy()
        merged["baseline_invited"] = base["invited"].sum()
        merged["baseline_responses"] = base["responses"].sum()
    n1 = merged["invited"].to_numpy(float)
    x1 = merged["responses"].to_numpy(float)
    n0 = merged["baseline_invited"].fillna(0).to_numpy(float)
    x0 = merged["baseline_responses"].fillna(0).to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p0 = x1 / n1, x0 / n0
        pool = (x0 + x1) / (n0 + n1)
        se = np.sqrt(pool * (1 - pool) * (1 / n1 + 1 / n0))
        zstat = np.where(se > 0, (p0 - p1) / se, np.nan)
    pvalue = np.array([1 - NormalDist().cdf(v) if math.isfinite(v) else math.nan for v in zstat])
    adjusted, _ = adjust_pvalues(pvalue, correction=correction, alpha=alpha)
    drop = 100.0 * (p0 - p1)
    alert = np.nan_to_num(adjusted, nan=1.0) <= alpha
    alert &= np.nan_to_num(drop, nan=-np.inf) >= min_drop
    out = merged[[*by, "period", "invited"]].copy()
    out["response_rate"] = 100.0 * p1
    out["baseline_invited"] = n0.astype(np.int64)
    out["baseline_rate"] = 100.0 * p0
    out["decline"] = drop
    out["z"] = zstat
    out["pvalue"] = pvalue
    out["pvalue_adjusted"] = adjusted
    out["alert"] = alert
    messages = []
    for i, row in enumerate(out.to_dict("records")):
        who = ", ".join(f"{c} {row[c]}" for c in by) or "Overall"
        if not math.isfinite(drop[i]):
            messages.append(f"{who}: no baseline to compare with.")
        elif alert[i]:
            messages.append(f"{who}: response rate fell to {row['response_rate']:.1f}% from "
                            f"{row['baseline_rate']:.1f}% (adjusted p = {adjusted[i]:.3g}).")
        else:
            messages.append("")
    out["message"] = messages
    out = out.reset_index(drop=True)
    out.attrs["rule"] = (
        f"Alert when the response rate of the period is below the pooled rate of the previous "
        f"{len(earlier)} period(s) in a one-sided two-proportion z-test, {correction} corrected "
        f"across {len(out)} segment(s) at alpha {alpha:g}, and the drop is at least {min_drop:g} points."
    )
    return out


_RATE_COLUMNS = {"period", "invited", "responses", "response_rate", "response_ci_lower", "response_ci_upper",
                 "comments", "comment_rate", "comment_ci_lower", "comment_ci_upper", "detectable_change"}


def period_frames(
    responses: pd.DataFrame,
    period: Any,
    *,
    score: str = "score",
    time: str = "submitted_at",
    freq: str = "W",
    timezone: str = "UTC",
    timezone_column: str | None = "timezone",
    date_format: str | None = None,
    dayfirst: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The answers of the period before ``period`` and of ``period`` (any moment inside it), on
    ``timezone``'s calendar: the two inputs of :func:`nps_analysis.mix_rate` and
    :func:`nps_analysis.mix_drift` for a tracking report. ``date_format`` and ``dayfirst`` read
    text times as everywhere else (:func:`nps_analysis.sources.dates.parse_times`)."""
    frame, instants = prepare_responses(responses, score=score, time=time, timezone=timezone,
                                        timezone_column=timezone_column, file=None,
                                        date_format=date_format, dayfirst=dayfirst)
    starts = assign_periods(instants, freq=freq, timezone=timezone)
    current = pd.Period(pd.Timestamp(period), freq=period_freq(freq))
    now = (starts == current.start_time).to_numpy()
    before = (starts == (current - 1).start_time).to_numpy()
    return frame.loc[before], frame.loc[now]
