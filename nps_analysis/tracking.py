"""Tracking NPS over time: by week or month and segment with intervals, significant changes only,
cohorts by start month, comment themes, and alert lists for a scheduler to pass on.

Cells with fewer than ``min_n`` responses are suppressed (shown as missing with a note), never shown
as noise; a change is flagged only when significant after controlling for the many segments.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .errors import NPSInputError
from .followup import _category, _ids, _lean, _raise_rows, _require_columns, to_instant, to_utc
from .intervals import nps_interval, z_value
from .privacy import known_personal_values, mask_personal, mask_text
from .record import write_json_atomic
from .scoring import CATEGORIES, NPSCounts, counts, parse_scores

Correction = Literal["holm", "bh", "bonferroni", "none"]
_CORRECTION_NAMES = {
    "holm": "Holm (1979) family-wise error control",
    "bh": "Benjamini-Hochberg (1995) false discovery rate control",
    "bonferroni": "Bonferroni family-wise error control",
    "none": "no correction for multiplicity",
}

#: Comment themes and their keywords (``*`` at the end of a keyword matches any ending).
DEFAULT_THEMES: dict[str, list[str]] = {
    "waiting time": ["wait*", "slow", "delay*", "queue*", "called me back", "call back", "took ages"],
    "staff attitude": ["rude", "unhelpful", "did not listen", "impolite", "arrogant"],
    "friendly staff": ["friendly", "helpful", "kind", "polite", "solved it"],
    "price": ["price*", "expensive", "cost*", "cheap*", "fee*"],
    "billing": ["bill*", "invoice*", "charge*", "refund*"],
    "product quality": ["crash*", "broke*", "broken", "bug*", "defect*", "works as promised"],
    "speed": ["quick*", "fast", "no waiting"],
    "broken promise": ["promised", "never got"],
}
#: Words in a comment that should reach a person at once.
DEFAULT_ALERT_KEYWORDS: list[str] = ["cancel*", "lawyer*", "legal", "sue", "ombudsman", "never again", "complain*"]


# ---------------------------------------------------------------------------------------- periods


def _freq(freq: str) -> str:
    """``"W"`` is a week from Monday to Sunday; other values are pandas period aliases (``M``, ``Q``, ``D``)."""
    if not isinstance(freq, str) or not freq:
        raise ValueError(f"freq must be a period alias such as 'W' or 'M', got {freq!r}")
    return "W-SUN" if freq.upper() == "W" else freq


def assign_periods(times: pd.Series, *, freq: str = "W", timezone: str = "UTC") -> pd.Series:
    """The start of the period (week, month, ...) each UTC instant falls in, on the calendar of ``timezone``.

    Weeks run Monday to Sunday. The result is a naive timestamp (the local start date).
    """
    local = times.dt.tz_convert(timezone).dt.tz_localize(None)
    return local.dt.to_period(_freq(freq)).dt.start_time


def _period_bounds(period: Any, *, freq: str) -> pd.Period:
    return pd.Period(pd.Timestamp(period), freq=_freq(freq))


def last_complete_period(as_of: Any, *, freq: str = "W", timezone: str = "UTC") -> pd.Timestamp:
    """Start of the latest period that has ended at or before ``as_of`` (on ``timezone``'s calendar).

    A weekly report run on Tuesday (or on Monday 00:00) reports the week that ended on Sunday.
    """
    local = to_instant(as_of, timezone=timezone).tz_convert(timezone).tz_localize(None)
    # The period holding as_of is still running (or has just begun): the one before is complete.
    return (local.to_period(_freq(freq)) - 1).start_time


def report_period(as_of: Any, *, period: Any = "", freq: str = "W", timezone: str = "UTC") -> pd.Timestamp:
    """The period a report covers: the one holding ``period`` (any moment in it), or when that is
    empty the last complete period before ``as_of`` (:func:`last_complete_period`)."""
    if period is None or (isinstance(period, str) and not period.strip()):
        return last_complete_period(as_of, freq=freq, timezone=timezone)
    return _period_bounds(period, freq=freq).start_time


def report_window(
    as_of: Any, *, period: Any = "", periods: int = 8, freq: str = "W", timezone: str = "UTC"
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last period start of a report showing ``periods`` periods up to :func:`report_period`."""
    if not isinstance(periods, int) or periods < 1:
        raise ValueError(f"periods must be a positive whole number, got {periods!r}")
    last = report_period(as_of, period=period, freq=freq, timezone=timezone)
    first = (pd.Period(last, freq=_freq(freq)) - (periods - 1)).start_time
    return first, last


def describe_nps(table: pd.DataFrame, period: Any) -> str:
    """One line per segment on the NPS of one period of a :func:`nps_by_period` table."""
    by = list(table.attrs.get("by", []))
    level = int(round(100 * table.attrs.get("confidence_level", 0.95)))
    start = pd.Timestamp(period)
    rows = table[pd.to_datetime(table["period"]) == start]
    if rows.empty:
        return f"No answers in the period from {start.date()}."
    lines = []
    for _, row in rows.iterrows():
        who = ", ".join(f"{c} {row[c]}" for c in by) or "Overall"
        if row["suppressed"]:
            lines.append(f"{who}: {int(row['n'])} answers, too few to show an NPS (fewer than {table.attrs.get('min_n')}).")
        else:
            lines.append(
                f"{who}: NPS {row['nps']:+.0f} ({level}% CI {row['ci_lower']:+.0f} to {row['ci_upper']:+.0f}, "
                f"n = {int(row['n'])})."
            )
    return " ".join(lines)


def _prepare(
    responses: pd.DataFrame,
    *,
    score: str,
    time: str,
    timezone: str,
    timezone_column: str | None,
    file: str | None,
) -> tuple[pd.DataFrame, pd.Series]:
    responses, file = _lean(responses, file)
    _require_columns(responses, [score, time], what="responses", file=file)
    zones = responses[timezone_column] if timezone_column and timezone_column in responses.columns else None
    instants = to_utc(responses[time], zones=zones, timezone=timezone, column=time, file=file)
    return responses, instants


def _interval_columns(
    table: pd.DataFrame, *, method: str, confidence_level: float, min_n: int
) -> pd.DataFrame:
    """Add nps, ci_lower, ci_upper, suppressed and note; suppress cells with n < min_n."""
    lows, highs = [], []
    for d, p, r in zip(table["detractors"], table["passives"], table["promoters"], strict=True):
        if d + p + r >= max(min_n, 1):
            res = nps_interval(NPSCounts(int(d), int(p), int(r)), method=method, confidence_level=confidence_level)
            lows.append(res.ci_lower)
            highs.append(res.ci_upper)
        else:
            lows.append(math.nan)
            highs.append(math.nan)
    table = table.copy()
    table["ci_lower"] = lows
    table["ci_upper"] = highs
    small = (table["n"] < min_n).to_numpy()
    table["suppressed"] = small
    table["note"] = np.where(small, [f"n = {int(n)} < {min_n}: not shown" for n in table["n"]], "")
    for col in ("nps", "detractors", "passives", "promoters"):
        table[col] = table[col].astype(float).where(~small)
    return table


def nps_by_period(
    responses: pd.DataFrame,
    *,
    score: str = "score",
    time: str = "submitted_at",
    freq: str = "W",
    by: Sequence[str] | str | None = None,
    timezone: str = "UTC",
    timezone_column: str | None = "timezone",
    start: Any = None,
    end: Any = None,
    method: str = "adjusted-wald",
    confidence_level: float = 0.95,
    min_n: int = 30,
    file: str | None = None,
) -> pd.DataFrame:
    """NPS per period (week or month) and segment, with intervals; small cells suppressed.

    Args:
        responses: answers with a 0-10 ``score`` and a submission ``time`` (read with
            :func:`nps_analysis.followup.to_utc`: tz-aware, or local times in the row's
            ``timezone_column`` zone).
        freq: ``"W"`` (Monday-Sunday weeks), ``"M"`` (months) or another pandas period alias.
        by: segment columns (team, agent, department, location, ...).
        timezone: the report's calendar: which week or month an answer belongs to.
        start, end: first and last period to show (any moment inside them); default: the data's.
        method, confidence_level: the interval (:func:`nps_analysis.nps_interval`; default
            adjusted Wald, Rocks 2016).
        min_n: cells with fewer responses are suppressed: ``nps``, the category counts and the
            interval are missing and ``note`` says why (``n`` is kept).

    Returns:
        One row per period and segment, every period between the first and the last present for
        every segment (``n = 0`` where a segment had no answers): ``period`` (start date), the
        ``by`` columns, ``detractors``, ``passives``, ``promoters``, ``n``, ``nps``,
        ``ci_lower``, ``ci_upper``, ``suppressed``, ``note``. ``attrs`` hold the settings.
    """
    by = [by] if isinstance(by, str) else list(by or [])
    frame, instants = _prepare(responses, score=score, time=time, timezone=timezone,
                               timezone_column=timezone_column, file=file)
    _require_columns(frame, by, what="responses", file=file)
    work = frame[[score, *by]].copy()
    work["period"] = assign_periods(instants, freq=freq, timezone=timezone).to_numpy()
    parsed = parse_scores(work[score], column=score, file=file)
    no_time = parsed.valid_mask & work["period"].isna().to_numpy()
    if no_time.any():
        _raise_rows("have a score but no submission time", no_time, frame[time], column=time, file=file)
    work = work[work["period"].notna()]
    table = counts(work, score, by=["period", *by], file=file)
    pfreq = _freq(freq)
    first = _period_bounds(start, freq=freq) if start is not None else (
        table["period"].min().to_period(pfreq) if len(table) else None)
    last = _period_bounds(end, freq=freq) if end is not None else (
        table["period"].max().to_period(pfreq) if len(table) else None)
    if first is None or last is None:
        periods = pd.DatetimeIndex([])
    else:
        periods = pd.period_range(first, last, freq=pfreq).start_time
    if by:
        segments = table[by].drop_duplicates()
        grid = segments.merge(pd.DataFrame({"period": periods}), how="cross")
    else:
        grid = pd.DataFrame({"period": periods})
    table = grid.merge(table, on=["period", *by], how="left")
    for col in ("detractors", "passives", "promoters", "n"):
        table[col] = table[col].fillna(0).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["nps"] = 100.0 * (table["promoters"] - table["detractors"]) / table["n"].where(table["n"] > 0)
    table = table[["period", *by, "detractors", "passives", "promoters", "n", "nps"]]
    table = _interval_columns(table, method=method, confidence_level=confidence_level, min_n=min_n)
    table = table.sort_values([*by, "period"], kind="stable").reset_index(drop=True)
    table.attrs.update(
        freq=freq, by=by, timezone=timezone, min_n=min_n, method=method, confidence_level=confidence_level,
        suppressed=int(table["suppressed"].sum()),
    )
    return table


# -------------------------------------------------------------------------------- period changes


def wald_difference(
    d1: np.ndarray, p1: np.ndarray, r1: np.ndarray, d2: np.ndarray, p2: np.ndarray, r2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Difference of two independent NPS (points) and its standard error, vectorized over cells.

    ``D = NPS1 - NPS2``; ``SE = 100 sqrt(V1/n1 + V2/n2)`` with ``V = p_pro + p_det - (p_pro -
    p_det)^2`` per cohort (DOMAIN.md; the Wald variance of a difference of two multinomial means).
    Arguments are the detractor, passive and promoter counts of period 1 (now) and 2 (before).
    """
    d1, p1, r1, d2, p2, r2 = (np.asarray(a, dtype=float) for a in (d1, p1, r1, d2, p2, r2))
    n1, n2 = d1 + p1 + r1, d2 + p2 + r2
    with np.errstate(invalid="ignore", divide="ignore"):
        m1, m2 = (r1 - d1) / n1, (r2 - d2) / n2
        v1 = (r1 + d1) / n1 - m1**2
        v2 = (r2 + d2) / n2 - m2**2
        se = 100.0 * np.sqrt(v1 / n1 + v2 / n2)
    return 100.0 * (m1 - m2), se


def _adjust(p: np.ndarray, correction: str) -> np.ndarray:
    """Adjusted p-values along the last axis (no NaN), vectorized over leading axes."""
    m = p.shape[-1]
    if correction == "none" or m == 0:
        return p.copy()
    if correction == "bonferroni":
        return np.minimum(1.0, m * p)
    order = np.argsort(p, axis=-1, kind="stable")
    ranked = np.take_along_axis(p, order, axis=-1)
    i = np.arange(1, m + 1)
    if correction == "holm":
        # Holm (1979): (m - i + 1) p_(i), made monotone with a running maximum.
        adj = np.maximum.accumulate(np.minimum(1.0, (m - i + 1) * ranked), axis=-1)
    else:
        # Benjamini-Hochberg (1995): m p_(i) / i, made monotone with a running minimum from the top.
        adj = np.minimum.accumulate((m * ranked / i)[..., ::-1], axis=-1)[..., ::-1]
        adj = np.minimum(1.0, adj)
    out = np.empty_like(adj)
    np.put_along_axis(out, order, adj, axis=-1)
    return out


def adjust_pvalues(
    pvalues: Sequence[float] | np.ndarray, *, correction: Correction = "holm", alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    """Adjusted p-values and rejections for one family of tests (NaN p-values are not in the family).

    ``holm``: Holm (1979), Scand. J. Statist. 6:65-70: the i-th smallest of m p-values becomes
    ``max_(j <= i) (m - j + 1) p_(j)``, controlling the family-wise error rate. ``bh``: Benjamini &
    Hochberg (1995), JRSS B 57:289-300: ``min_(j >= i) m p_(j) / j``, controlling the false
    discovery rate. ``bonferroni``: ``m p``. All capped at 1; rejected when adjusted ``<= alpha``.
    (Same values as ``statsmodels.stats.multitest.multipletests``, which the tests check.)
    A 2-D array is one family per row (the simulations use this).
    """
    if correction not in _CORRECTION_NAMES:
        raise ValueError(f"correction must be one of {sorted(_CORRECTION_NAMES)}, got {correction!r}")
    p = np.asarray(pvalues, dtype=float)
    if p.ndim == 2:
        if np.isnan(p).any():
            raise ValueError("2-D p-values (one family per row) must not contain NaN")
        adjusted = _adjust(p, correction)
        return adjusted, adjusted <= alpha
    adjusted = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    adjusted[ok] = _adjust(p[ok], correction)
    return adjusted, ok & (adjusted <= alpha)


def period_changes(
    table: pd.DataFrame,
    *,
    period: Any = None,
    alpha: float = 0.05,
    correction: Correction = "holm",
    confidence_level: float = 0.95,
    method: Literal["adjusted-wald", "wald"] = "adjusted-wald",
) -> pd.DataFrame:
    """Change of each segment's NPS against the previous period, flagged only when significant.

    Works on a table from :func:`nps_by_period`. For each segment the period's NPS is compared
    with the immediately preceding period's as two independent samples (:func:`wald_difference`,
    ``SE = sqrt(V1/n1 + V2/n2)``), ``z = D / SE`` and a two-sided normal p-value. With
    ``method="adjusted-wald"`` (default, as :func:`nps_analysis.compare`) the SE, z and interval
    use each period's counts plus 3/4 detractor, 3/2 passive, 3/4 promoter (Rocks 2016), which
    keeps the test's size at or below nominal at small n where the plain Wald test runs above it
    (benchmarks/closed_loop.py); ``difference`` is always the observed change. Cells suppressed
    (``n < min_n``) in either period are not tested (``note`` says so) and are not in the family.

    Multiplicity: the family is every comparison made in this call (all segments for the chosen
    period; with ``period="all"``, every segment and every period); p-values are adjusted with
    ``correction`` (Holm by default, or Benjamini-Hochberg ``"bh"``) and ``significant`` means
    adjusted p <= ``alpha``. ``attrs["family"]`` states the family in words.

    Args:
        period: the period to test (any moment inside it), ``None`` for the latest in the table,
            or ``"all"`` for every period after the first.

    Returns:
        Per segment (and period): ``period``, ``previous_period``, the segment columns,
        ``n``, ``previous_n``, ``nps``, ``previous_nps``, ``difference`` (points),
        ``ci_lower``/``ci_upper`` (unadjusted ``confidence_level`` Wald interval), ``se``, ``z``,
        ``pvalue``, ``pvalue_adjusted``, ``significant``, ``direction`` (``up``/``down``/``""``),
        ``note``.
    """
    freq = table.attrs.get("freq", "W")
    by = list(table.attrs.get("by", [c for c in table.columns if c not in _TABLE_VALUE_COLUMNS]))
    min_n = table.attrs.get("min_n", 0)
    pfreq = _freq(freq)
    periods = pd.to_datetime(table["period"]).dt.to_period(pfreq)
    if period is None:
        targets = [periods.max()]
    elif isinstance(period, str) and period == "all":
        targets = sorted(periods.unique())[1:]
    else:
        targets = [_period_bounds(period, freq=freq)]
    keyed = table.assign(_p=periods)
    rows = []
    for target in targets:
        now = keyed[keyed["_p"] == target]
        before = keyed[keyed["_p"] == target - 1][[*by, "detractors", "passives", "promoters", "n", "nps", "suppressed"]]
        merged = now.merge(before, on=by, how="left", suffixes=("", "_prev")) if by else now.assign(_k=0).merge(
            before.assign(_k=0), on="_k", how="left", suffixes=("", "_prev")).drop(columns="_k")
        merged["_target"] = target
        rows.append(merged)
    if not rows:
        raise NPSInputError("period_changes: no period to compare")
    m = pd.concat(rows, ignore_index=True)
    missing_prev = m["n_prev"].isna().to_numpy()
    tested = ~m["suppressed"].to_numpy(dtype=bool) & ~missing_prev & ~m["suppressed_prev"].fillna(True).to_numpy(dtype=bool)
    if method not in ("adjusted-wald", "wald"):
        raise ValueError(f"method must be 'adjusted-wald' or 'wald', got {method!r}")
    pseudo = np.array([0.75, 1.5, 0.75]) if method == "adjusted-wald" else np.zeros(3)
    observed, _ = wald_difference(m["detractors"], m["passives"], m["promoters"],
                                  m["detractors_prev"], m["passives_prev"], m["promoters_prev"])
    centre, se = wald_difference(
        m["detractors"] + pseudo[0], m["passives"] + pseudo[1], m["promoters"] + pseudo[2],
        m["detractors_prev"] + pseudo[0], m["passives_prev"] + pseudo[1], m["promoters_prev"] + pseudo[2],
    )
    from scipy.stats import norm

    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(se > 0, centre / se, np.where(centre == 0, 0.0, np.sign(centre) * np.inf))
    p = np.where(tested, 2 * norm.sf(np.abs(z)), np.nan)
    adjusted, reject = adjust_pvalues(p, correction=correction, alpha=alpha)
    zc = z_value(confidence_level)
    out = pd.DataFrame(
        {
            "period": [t.start_time for t in m["_target"]],
            "previous_period": [(t - 1).start_time for t in m["_target"]],
            **{c: m[c].to_numpy() for c in by},
            "n": m["n"].to_numpy(),
            "previous_n": m["n_prev"].fillna(0).astype(np.int64).to_numpy(),
            "nps": m["nps"].to_numpy(dtype=float),
            "previous_nps": m["nps_prev"].to_numpy(dtype=float),
            "difference": np.where(tested, observed, np.nan),
            "ci_lower": np.where(tested, centre - zc * se, np.nan),
            "ci_upper": np.where(tested, centre + zc * se, np.nan),
            "se": np.where(tested, se, np.nan),
            "z": np.where(tested, z, np.nan),
            "pvalue": p,
            "pvalue_adjusted": adjusted,
            "significant": reject & tested,
        }
    )
    out["direction"] = np.where(out["significant"], np.where(out["z"] > 0, "up", "down"), "")
    notes = np.full(len(out), "", dtype=object)
    notes[missing_prev] = "no previous period"
    small = ~tested & ~missing_prev
    notes[small] = f"not tested: n < {min_n} in this or the previous period"
    out["note"] = notes
    n_tested = int(tested.sum())
    seg = ", ".join(by) if by else "overall"
    when = "every period against the one before" if isinstance(period, str) and period == "all" else (
        f"{targets[0].start_time.date()} against {(targets[0] - 1).start_time.date()}")
    out.attrs.update(
        family=(
            f"{n_tested} comparison(s) of {when}, one per segment ({seg}) with n >= {min_n} in both "
            f"periods; {_CORRECTION_NAMES[correction]} at alpha = {alpha}"
        ),
        correction=correction,
        alpha=alpha,
        tested=n_tested,
        confidence_level=confidence_level,
        freq=freq,
        by=by,
        method=(f"difference of two independent NPS, {method} SE sqrt(V1/n1 + V2/n2)"
                f"{' on counts + 3/4, 3/2, 3/4' if method == 'adjusted-wald' else ''}; two-sided z test"),
    )
    return out


_TABLE_VALUE_COLUMNS = {
    "period", "detractors", "passives", "promoters", "n", "nps", "ci_lower", "ci_upper", "suppressed", "note",
}


def describe_changes(changes: pd.DataFrame) -> str:
    """The significant changes of a :func:`period_changes` table in words (generated from its numbers)."""
    by = changes.attrs.get("by", [])
    level = int(round(100 * changes.attrs.get("confidence_level", 0.95)))
    sig = changes[changes["significant"]]
    lines = []
    for _, row in sig.iterrows():
        who = ", ".join(f"{c} {row[c]}" for c in by) or "Overall"
        verb = "rose" if row["difference"] > 0 else "fell"
        lines.append(
            f"{who}: NPS {verb} from {row['previous_nps']:+.0f} to {row['nps']:+.0f} "
            f"({row['difference']:+.0f} points, {level}% CI {row['ci_lower']:+.0f} to {row['ci_upper']:+.0f}; "
            f"adjusted p = {row['pvalue_adjusted']:.3g})."
        )
    family = changes.attrs.get("family", "")
    untested = int((changes["pvalue"].isna()).sum())
    head = (
        f"{len(sig)} significant change(s)" if len(sig) else "No significant change"
    ) + f" against the previous period. Family: {family}."
    if untested:
        head += f" {untested} segment(s) not tested (too few responses or no previous period)."
    return " ".join([head, *lines])


# ------------------------------------------------------------------------------------------ cohorts


def cohort_table(
    responses: pd.DataFrame,
    *,
    customer: str = "customer_id",
    start: str | None = None,
    score: str = "score",
    time: str = "submitted_at",
    freq: str = "M",
    timezone: str = "UTC",
    timezone_column: str | None = "timezone",
    method: str = "adjusted-wald",
    confidence_level: float = 0.95,
    min_n: int = 30,
    file: str | None = None,
) -> pd.DataFrame:
    """NPS of customers grouped by start month (cohort) and periods since their start.

    Args:
        start: a column with each customer's start date (e.g. ``customer_since``); default: the
            customer's first answer. Dates without a zone are dates on ``timezone``'s calendar.
        freq: the cohort and period length (``"M"`` months by default).

    Returns:
        Long table: ``cohort`` (start of the start period), ``periods_since_start`` (0 = the start
        period itself), counts, ``n``, ``nps``, ``ci_lower``, ``ci_upper``, ``suppressed``, ``note``
        (cells with ``n < min_n`` suppressed). Answers dated before the customer's start are
        left out and counted in ``attrs["before_start"]``. :func:`cohort_matrix` pivots it.
    """
    responses, file = _lean(responses, file)
    _require_columns(responses, [customer, score, time] + ([start] if start else []), what="responses", file=file)
    frame, instants = _prepare(responses, score=score, time=time, timezone=timezone,
                               timezone_column=timezone_column, file=file)
    pfreq = _freq(freq)
    when = assign_periods(instants, freq=freq, timezone=timezone)
    cust = _ids(frame[customer])
    if start:
        begun = to_utc(frame[start], timezone=timezone, column=start, file=file)
        cohort = assign_periods(begun, freq=freq, timezone=timezone)
    else:
        first = pd.Series(instants.to_numpy(), index=frame.index).groupby(cust.to_numpy()).transform("min")
        cohort = assign_periods(pd.Series(pd.to_datetime(first, utc=True), index=frame.index), freq=freq, timezone=timezone)
    parsed = parse_scores(frame[score], column=score, file=file)
    ok = parsed.valid_mask & when.notna().to_numpy() & cohort.notna().to_numpy()
    since = np.full(len(frame), -1, dtype=np.int64)
    since[ok] = (
        when[ok].dt.to_period(pfreq).array.asi8 - cohort[ok].dt.to_period(pfreq).array.asi8
    )
    before = ok & (since < 0)
    ok &= since >= 0
    work = pd.DataFrame({"cohort": cohort[ok].to_numpy(), "periods_since_start": since[ok], score: parsed.values[ok]})
    table = counts(work, score, by=["cohort", "periods_since_start"])
    table = _interval_columns(table, method=method, confidence_level=confidence_level, min_n=min_n)
    table = table.sort_values(["cohort", "periods_since_start"]).reset_index(drop=True)
    table.attrs.update(freq=freq, min_n=min_n, before_start=int(before.sum()), method=method,
                       confidence_level=confidence_level, suppressed=int(table["suppressed"].sum()))
    return table


def cohort_matrix(table: pd.DataFrame, *, value: str = "nps") -> pd.DataFrame:
    """Cohorts as rows and periods since start as columns (suppressed cells stay missing)."""
    wide = table.pivot(index="cohort", columns="periods_since_start", values=value)
    wide.columns.name = "periods since start"
    return wide


# ------------------------------------------------------------------------------------------ themes


def keyword_pattern(keywords: Sequence[str]) -> re.Pattern[str]:
    """One case-insensitive pattern matching any keyword as whole words.

    ``wait*`` matches wait, waiting, waited; a phrase (``called me back``) matches with any
    whitespace between its words.

    Example:
        >>> bool(keyword_pattern(["wait*", "call back"]).search("I was WAITING for a call  back"))
        True
    """
    parts = []
    for word in keywords:
        w = str(word).strip()
        if not w:
            continue
        stem = w.endswith("*")
        body = r"\s+".join(re.escape(p) for p in w.rstrip("*").split())
        parts.append(body + (r"\w*" if stem else ""))
    if not parts:
        raise ValueError("a keyword list needs at least one keyword")
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", flags=re.IGNORECASE)


def load_themes(path: str | Path) -> dict[str, list[str]]:
    """Read a theme dictionary ``{theme: [keywords]}`` from a YAML or JSON file."""
    import yaml

    p = Path(path)
    if not p.is_file():
        raise NPSInputError("theme dictionary not found", file=str(p))
    data = yaml.safe_load(p.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v) for k, v in data.items()
    ):
        raise NPSInputError("a theme dictionary maps each theme to a list of keywords", file=str(p))
    return data


def comment_themes(
    responses: pd.DataFrame,
    *,
    text: str = "comment",
    themes: Mapping[str, Sequence[str]] | None = None,
    by: Sequence[str] | str | None = ("category",),
    freq: str | None = None,
    score: str = "score",
    time: str = "submitted_at",
    timezone: str = "UTC",
    timezone_column: str | None = "timezone",
    min_n: int = 10,
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    """How often each theme is mentioned in comments, per category (and period, segment).

    A comment mentions a theme when it contains one of the theme's keywords
    (:func:`keyword_pattern`); a comment can mention several themes. ``category`` (detractor,
    passive, promoter) is derived from ``score`` when it is in ``by`` and not a column.

    Returns:
        Long table: the groups (``period`` first when ``freq`` is given), ``theme``, ``comments``
        (non-empty comments in the group), ``mentions``, ``share`` (% of comments) with a Wilson
        interval; groups with fewer than ``min_n`` comments have ``share`` and its interval
        suppressed (``suppressed``). ``attrs["themes"]`` holds the dictionary used.
    """
    from .scoring import wilson_interval

    themes = dict(themes or DEFAULT_THEMES)
    by = [by] if isinstance(by, str) else list(by or [])
    responses, _ = _lean(responses)
    _require_columns(responses, [text], what="responses", file=None)
    frame = responses.copy()
    if "category" in by and "category" not in frame.columns:
        parsed = parse_scores(frame[score], column=score)
        frame["category"] = pd.Categorical(_category(parsed.values), categories=list(CATEGORIES))
    if freq:
        _, instants = _prepare(frame, score=score, time=time, timezone=timezone,
                               timezone_column=timezone_column, file=None)
        frame["period"] = assign_periods(instants, freq=freq, timezone=timezone).to_numpy()
        by = ["period", *by]
    _require_columns(frame, by, what="responses", file=None)
    body = frame[text].astype(object).where(frame[text].notna(), "").astype(str).str.strip()
    has = body != ""
    frame = frame[has.to_numpy()]
    body = body[has]
    hits = pd.DataFrame({name: body.str.contains(keyword_pattern(words), regex=True).to_numpy()
                         for name, words in themes.items()}, index=frame.index)
    keys = frame[by].astype(object) if by else pd.DataFrame(index=frame.index)
    data = pd.concat([keys, hits], axis=1)
    if by:
        grouped = data.groupby(by, dropna=False, observed=True, sort=True)
        mentions = grouped[list(themes)].sum()
        comments = grouped.size()
        long = mentions.stack().rename("mentions").reset_index()
        long = long.rename(columns={long.columns[len(by)]: "theme"})
        long = long.merge(comments.rename("comments").reset_index(), on=by)
    else:
        long = pd.DataFrame({"theme": list(themes), "mentions": hits.sum().to_numpy(), "comments": len(hits)})
    lows, highs = zip(*[wilson_interval(x, n, confidence_level) if n else (math.nan, math.nan)
                        for x, n in zip(long["mentions"], long["comments"], strict=True)], strict=True) if len(long) else ((), ())
    long["share"] = 100.0 * long["mentions"] / long["comments"]
    long["ci_lower"] = 100.0 * np.asarray(lows, dtype=float)
    long["ci_upper"] = 100.0 * np.asarray(highs, dtype=float)
    small = (long["comments"] < min_n).to_numpy()
    long["suppressed"] = small
    for col in ("share", "ci_lower", "ci_upper"):
        long[col] = long[col].where(~small)
    long = long[[*by, "theme", "comments", "mentions", "share", "ci_lower", "ci_upper", "suppressed"]]
    long.attrs.update(themes={k: list(v) for k, v in themes.items()}, min_n=min_n, confidence_level=confidence_level)
    return long


# ------------------------------------------------------------------------------------------ alerts


ALERT_COLUMNS: tuple[str, ...] = (
    "alert_id", "rule", "severity", "as_of", "response_id", "customer_id", "segment", "category",
    "score", "submitted_at", "message",
)


def _alert_id(*parts: Any) -> str:
    return hashlib.sha1("|".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:12]


def alert_list(
    responses: pd.DataFrame,
    *,
    as_of: Any,
    window: Any = "7D",
    key_accounts: Mapping[str, Any] | None = None,
    keywords: Sequence[str] | None = None,
    drop_by: Sequence[str] | str | None = None,
    freq: str = "W",
    min_n: int = 30,
    alpha: float = 0.05,
    correction: Correction = "holm",
    score: str = "score",
    time: str = "submitted_at",
    text: str = "comment",
    response_id: str = "response_id",
    customer: str = "customer_id",
    timezone: str = "UTC",
    timezone_column: str | None = "timezone",
    show_personal: bool = False,
) -> pd.DataFrame:
    """Alerts for a scheduler to pass on (the kit sends nothing itself).

    Rules, each optional:

    * ``key_account_detractor`` (severity high): a detractor whose ``key_accounts`` column holds
      one of the given values, e.g. ``{"account_tier": ["key"]}``.
    * ``keyword`` (high for detractors, else medium): a comment containing one of ``keywords``
      (default :data:`DEFAULT_ALERT_KEYWORDS`; ``[]`` turns the rule off).
    * ``nps_drop`` (high): a segment of ``drop_by`` whose NPS in the last complete period before
      ``as_of`` fell significantly against the period before (:func:`period_changes`, with
      ``correction`` across the segments; cells with ``n < min_n`` are not tested).

    Answer-level rules look at answers submitted in ``(as_of - window, as_of]``.

    Returns:
        One row per alert with :data:`ALERT_COLUMNS`; comments quoted in messages have personal
        data masked unless ``show_personal``. ``attrs`` describe the rules and the family of the
        drop test. Write it with :func:`write_alerts`.
    """
    as_of_utc = to_instant(as_of, timezone=timezone)
    since = as_of_utc - pd.Timedelta(window)
    responses, _ = _lean(responses)
    _require_columns(responses, [score, time], what="responses", file=None)
    zones = responses[timezone_column] if timezone_column and timezone_column in responses.columns else None
    instants = to_utc(responses[time], zones=zones, timezone=timezone, column=time)
    parsed = parse_scores(responses[score], column=score)
    category = _category(parsed.values)
    recent = ((instants > since) & (instants <= as_of_utc)).to_numpy() & parsed.valid_mask
    rid = _ids(responses[response_id]) if response_id in responses.columns else pd.Series(responses.index.astype(str), index=responses.index)
    cid = _ids(responses[customer]) if customer in responses.columns else pd.Series(None, index=responses.index, dtype=object)
    known = known_personal_values(responses) if not show_personal else None
    comment = (
        responses[text].astype(object).where(responses[text].notna(), "").astype(str)
        if text in responses.columns else pd.Series("", index=responses.index)
    )
    shown = comment if show_personal else mask_text(comment, names=(known or {}).get("name", ()),
                                                    addresses=(known or {}).get("address", ()))
    stamp = as_of_utc.isoformat()
    alerts: list[dict[str, Any]] = []

    def answer_alert(rule: str, severity: str, i: int, message: str, segment: str = "") -> None:
        alerts.append(
            {
                "alert_id": _alert_id(rule, rid.iloc[i], segment),
                "rule": rule,
                "severity": severity,
                "as_of": stamp,
                "response_id": rid.iloc[i],
                "customer_id": cid.iloc[i],
                "segment": segment,
                "category": category[i],
                "score": float(parsed.values[i]),
                "submitted_at": instants.iloc[i].isoformat(),
                "message": message,
            }
        )

    for column, values in (key_accounts or {}).items():
        if column not in responses.columns:
            raise NPSInputError(f"key_accounts: no column {column!r}; the columns are {list(map(str, responses.columns))}")
        wanted = [values] if isinstance(values, (str, int, float)) else list(values)
        hit = recent & (category == "detractor") & _ids(responses[column]).isin([str(v).strip() for v in wanted]).to_numpy()
        for i in np.flatnonzero(hit):
            quote = f": \"{shown.iloc[i]}\"" if shown.iloc[i] else ""
            answer_alert("key_account_detractor", "high", int(i),
                         f"Detractor ({int(parsed.values[i])}) from a key account ({column} = "
                         f"{responses[column].iloc[i]}){quote}", f"{column}={responses[column].iloc[i]}")
    words = DEFAULT_ALERT_KEYWORDS if keywords is None else list(keywords)
    if words:
        pattern = keyword_pattern(words)
        found = comment.str.extract(f"({pattern.pattern})", flags=re.IGNORECASE)[0]
        hit = recent & found.notna().to_numpy()
        for i in np.flatnonzero(hit):
            answer_alert("keyword", "high" if category[i] == "detractor" else "medium", int(i),
                         f"Comment mentions '{found.iloc[i]}' (score {int(parsed.values[i])}): \"{shown.iloc[i]}\"")
    family = ""
    if drop_by:
        drop_by = [drop_by] if isinstance(drop_by, str) else list(drop_by)
        target = last_complete_period(as_of_utc, freq=freq, timezone=timezone)
        upto = instants <= as_of_utc
        table = nps_by_period(responses[upto.to_numpy()], score=score, time=time, freq=freq, by=drop_by,
                              timezone=timezone, timezone_column=timezone_column, min_n=min_n,
                              end=target)
        if len(table) and (pd.to_datetime(table["period"]) == target).any():
            changes = period_changes(table, period=target, alpha=alpha, correction=correction)
            family = changes.attrs["family"]
            label = "week of" if _freq(freq) == "W-SUN" else "period from"
            for _, row in changes[changes["significant"] & (changes["difference"] < 0)].iterrows():
                segment = ", ".join(f"{c}={row[c]}" for c in drop_by)
                alerts.append(
                    {
                        "alert_id": _alert_id("nps_drop", segment, row["period"]),
                        "rule": "nps_drop",
                        "severity": "high",
                        "as_of": stamp,
                        "response_id": None,
                        "customer_id": None,
                        "segment": segment,
                        "category": None,
                        "score": None,
                        "submitted_at": None,
                        "message": (
                            f"NPS of {segment} fell from {row['previous_nps']:+.0f} ({label} "
                            f"{row['previous_period'].date()}, n = {int(row['previous_n'])}) to {row['nps']:+.0f} "
                            f"({label} {row['period'].date()}, n = {int(row['n'])}): {row['difference']:+.0f} "
                            f"points, 95% CI {row['ci_lower']:+.0f} to {row['ci_upper']:+.0f}, adjusted p = "
                            f"{row['pvalue_adjusted']:.3g}"
                        ),
                    }
                )
    out = pd.DataFrame(alerts, columns=list(ALERT_COLUMNS))
    severity_rank = out["severity"].map({"high": 0, "medium": 1, "low": 2})
    out = out.assign(_s=severity_rank).sort_values(["_s", "rule", "submitted_at"], kind="stable").drop(columns="_s")
    out = out.reset_index(drop=True)
    out.attrs.update(
        as_of=stamp,
        window=str(pd.Timedelta(window)),
        rules={
            "key_account_detractor": {k: list(v) if not isinstance(v, str) else [v] for k, v in (key_accounts or {}).items()},
            "keyword": words,
            "nps_drop": {"by": list(drop_by or []), "freq": freq, "min_n": min_n, "alpha": alpha,
                         "correction": correction, "family": family},
        },
        personal_data="shown" if show_personal else "masked",
    )
    if not show_personal:
        out = mask_personal(out, known=known)
    return out


def write_alerts(
    alerts: pd.DataFrame,
    output_dir: str | Path,
    *,
    stem: str = "alerts",
    show_personal: bool = False,
) -> tuple[Path, Path]:
    """Write an alert list as ``<stem>.csv`` and ``<stem>.json`` for a scheduler to pass on.

    The JSON holds ``as_of``, ``count``, ``rules`` and ``alerts`` (one object per alert). Personal
    data is masked again on the way out unless ``show_personal``. Returns both paths.
    """
    out_dir = Path(output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    table = alerts if show_personal else mask_personal(alerts)
    csv_path = out_dir / f"{stem}.csv"
    tmp = out_dir / f".{stem}.csv.tmp"
    table.to_csv(tmp, index=False, lineterminator="\n")
    tmp.replace(csv_path)
    json_path = out_dir / f"{stem}.json"
    write_json_atomic(
        json_path,
        {
            "as_of": alerts.attrs.get("as_of"),
            "count": len(table),
            "rules": alerts.attrs.get("rules", {}),
            "personal_data": "shown" if show_personal else "masked",
            "alerts": table.astype(object).where(table.notna(), None).to_dict("records"),
        },
    )
    return csv_path, json_path


def describe_alerts(alerts: pd.DataFrame) -> str:
    """How many alerts of each rule and severity, in one sentence."""
    if alerts.empty:
        return f"No alerts as of {alerts.attrs.get('as_of', 'now')}."
    parts = [f"{n} {rule.replace('_', ' ')}" for rule, n in alerts["rule"].value_counts().items()]
    high = int((alerts["severity"] == "high").sum())
    return f"{len(alerts)} alert(s) as of {alerts.attrs.get('as_of')}: " + ", ".join(parts) + f"; {high} of high severity."


# --------------------------------------------------------------------------------- command line


def _pairs(values: Sequence[str], what: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in values:
        column, sep, value = item.partition("=")
        if not sep or not column.strip() or not value.strip():
            raise ValueError(f"{what} takes COLUMN=VALUE, got {item!r}")
        out.setdefault(column.strip(), []).append(value.strip())
    return out


def add_alerts_parser(subparsers: Any) -> Any:
    """Register ``nps-analysis alerts FILE --score COL --as-of T [--drop-by COL] [--key-account COL=V]``."""
    from .cli import _add_input_options

    p = subparsers.add_parser(
        "alerts",
        help="alert list (CSV + JSON) for a scheduler: key-account detractors, keywords, significant drops",
        description="Write alerts.csv and alerts.json; the kit sends nothing itself. Personal data is masked.",
    )
    _add_input_options(p)
    p.add_argument("--as-of", required=True, help="when the report runs, with its time zone, or 'now'")
    p.add_argument("--window", default="7D", help="answers looked at: the last WINDOW before --as-of (default 7D)")
    p.add_argument("--key-account", action="append", default=[], metavar="COL=VALUE",
                   help="a detractor whose COL equals VALUE alerts at once (repeatable)")
    p.add_argument("--keyword", action="append", default=None, metavar="WORD",
                   help="comment keyword (repeatable; 'wait*' matches waiting); default: the built-in list")
    p.add_argument("--no-keywords", action="store_true", help="turn the keyword rule off")
    p.add_argument("--drop-by", action="append", default=[], metavar="COL", help="segments whose NPS drop alerts")
    p.add_argument("--freq", default="W", help="period of the drop test: W (default) or M")
    p.add_argument("--min-n", type=int, default=30)
    p.add_argument("--correction", choices=sorted(_CORRECTION_NAMES), default="holm")
    p.add_argument("--timezone", default="UTC", help="zone of times without offset and the report calendar")
    p.add_argument("--text", default="comment", metavar="COL", help="comment column")
    p.add_argument("--output-dir", default=".", metavar="DIR")
    p.add_argument("--fail-on-high", action="store_true", help="exit with status 3 when a high-severity alert exists")
    p.set_defaults(handler=cmd_alerts)
    return p


def cmd_alerts(args: Any) -> int:
    """Handler of ``nps-analysis alerts``: writes the files, prints one line; 3 with --fail-on-high."""
    import sys

    from .cli import _load

    frame = _load(args, [*args.drop_by])
    alerts = alert_list(
        frame, as_of=args.as_of, window=args.window, key_accounts=_pairs(args.key_account, "--key-account"),
        keywords=[] if args.no_keywords else args.keyword, drop_by=args.drop_by or None, freq=args.freq,
        min_n=args.min_n, correction=args.correction, score=args.score, text=args.text, timezone=args.timezone,
    )
    csv_path, json_path = write_alerts(alerts, args.output_dir)
    sys.stdout.write(f"{describe_alerts(alerts)}\n{csv_path}\n{json_path}\n")
    return 3 if args.fail_on_high and (alerts["severity"] == "high").any() else 0
