"""Tracking NPS over time: by week or month and segment with intervals, significant changes only,
cohorts by start month, comment themes, and alert lists for a scheduler to pass on.

Cells with fewer than ``min_n`` responses are suppressed (shown as missing with a note), never shown
as noise, with complementary cells so totals cannot reveal them; a change is flagged only when
significant after controlling for the many segments.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..sources.columns import clean_ids, lean_frame, raise_rows, require_frame_columns
from ..sources.dates import to_instant, to_utc
from ..sources.engines import INVALID_LEVEL
from ..sources.errors import NPSInputError
from ..sources.scores import PASSIVE_FROM, PROMOTER_FROM, parse_scores
from ..stats import multiplicity
from ..stats.disclosure import COMPLEMENTARY_NOTE, complementary_suppression, margin_labels
from ..stats.intervals import nps_interval, z_value
from ..stats.scoring import NPSCounts, WeightedNPSCounts, counts, weight_values
from .formatting import p_text
from .windows import check_window, suggest_window, suppressed_share, trailing_sums

Correction = Literal["holm", "bh", "bonferroni", "none"]
CORRECTION_NAMES = {
    "holm": "Holm (1979) family-wise error control",
    "bh": "Benjamini-Hochberg (1995) false discovery rate control",
    "bonferroni": "Bonferroni family-wise error control",
    "none": "no correction for multiplicity",
}


# ---------------------------------------------------------------------------------------- periods


def period_freq(freq: str) -> str:
    """``"W"`` is a week from Monday to Sunday; other values are pandas period aliases (``M``, ``Q``, ``D``)."""
    if not isinstance(freq, str) or not freq:
        raise ValueError(f"freq must be a period alias such as 'W' or 'M', got {freq!r}")
    return "W-SUN" if freq.upper() == "W" else freq


def assign_periods(times: pd.Series, *, freq: str = "W", timezone: str = "UTC") -> pd.Series:
    """The start of the period (week, month, ...) each UTC instant falls in, on the calendar of ``timezone``.

    Weeks run Monday to Sunday. The result is a naive timestamp (the local start date).
    """
    local = times.dt.tz_convert(timezone).dt.tz_localize(None)
    return local.dt.to_period(period_freq(freq)).dt.start_time


def _period_bounds(period: Any, *, freq: str) -> pd.Period:
    return pd.Period(pd.Timestamp(period), freq=period_freq(freq))


def last_complete_period(as_of: Any, *, freq: str = "W", timezone: str = "UTC") -> pd.Timestamp:
    """Start of the latest period that has ended at or before ``as_of`` (on ``timezone``'s calendar).

    A weekly report run on Tuesday (or on Monday 00:00) reports the week that ended on Sunday.
    """
    local = to_instant(as_of, timezone=timezone).tz_convert(timezone).tz_localize(None)
    # The period holding as_of is still running (or has just begun): the one before is complete.
    return (local.to_period(period_freq(freq)) - 1).start_time


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
    first = (pd.Period(last, freq=period_freq(freq)) - (periods - 1)).start_time
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


def prepare_responses(
    responses: pd.DataFrame,
    *,
    score: str,
    time: str,
    timezone: str,
    date_format: str | None = None,
    dayfirst: bool = False,
    timezone_column: str | None,
    file: str | None,
) -> tuple[pd.DataFrame, pd.Series]:
    responses, file = lean_frame(responses, file)
    require_frame_columns(responses, [score, time], what="responses", file=file)
    zones = responses[timezone_column] if timezone_column and timezone_column in responses.columns else None
    instants = to_utc(responses[time], zones=zones, timezone=timezone, column=time, file=file, date_format=date_format, dayfirst=dayfirst)
    return responses, instants


def _interval_columns(
    table: pd.DataFrame, *, method: str, confidence_level: float, min_n: int,
    margins: Sequence[Sequence[str]] = (),
) -> pd.DataFrame:
    """Add nps, ci_lower, ci_upper, suppressed and note; suppress cells with n < min_n.

    ``margins``: the totals that can be published (lists of columns); cells are also hidden by
    :func:`complementary_suppression` so that none of them reveals a small cell.
    """
    lows, highs = [], []
    weighted = "effective_n" in table.columns
    effective = table["effective_n"] if weighted else table["n"]
    for d, p, r, n, eff in zip(table["detractors"], table["passives"], table["promoters"], table["n"],
                               effective, strict=True):
        if n >= max(min_n, 1) and eff > 0:
            cell = (WeightedNPSCounts(float(d), float(p), float(r), n=int(n), effective_n=float(eff))
                    if weighted else NPSCounts(int(d), int(p), int(r)))
            res = nps_interval(cell, method=method, confidence_level=confidence_level)
            lows.append(res.ci_lower)
            highs.append(res.ci_upper)
        else:
            lows.append(math.nan)
            highs.append(math.nan)
    table = table.copy()
    table["ci_lower"] = lows
    table["ci_upper"] = highs
    small = (table["n"] < min_n).to_numpy()
    extra = complementary_suppression(table["n"].to_numpy(), small, margin_labels(table, margins)) if margins \
        else np.zeros(len(table), dtype=bool)
    table["suppressed"] = small | extra
    table["note"] = np.where(small, [f"n = {int(n)} < {min_n}: not shown" for n in table["n"]],
                             np.where(extra, COMPLEMENTARY_NOTE, ""))
    hide = small | extra
    for col in ("nps", "detractors", "passives", "promoters", "ci_lower", "ci_upper",
                *(["effective_n"] if weighted else [])):
        table[col] = table[col].astype(float).where(~hide)
    return table


def nps_by_period(
    responses: Any,
    *,
    score: str = "score",
    time: str = "submitted_at",
    freq: str = "W",
    by: Sequence[str] | str | None = None,
    timezone: str = "UTC",
    date_format: str | None = None,
    dayfirst: bool = False,
    timezone_column: str | None = "timezone",
    start: Any = None,
    end: Any = None,
    method: str = "adjusted-wald",
    confidence_level: float = 0.95,
    min_n: int = 30,
    window: int = 1,
    file: str | None = None,
    weights: str | None = None,
) -> pd.DataFrame:
    """NPS per period (week or month) and segment, with intervals; small cells suppressed.

    Args:
        responses: answers with a 0-10 ``score`` and a submission ``time``: a pandas frame (times
            read with :func:`nps_analysis.sources.dates.to_utc`: tz-aware, or local times in the
            row's ``timezone_column`` zone), a :class:`nps_analysis.sources.tables.Table` or any
            engine table (DuckDB relation, Polars, PyArrow, Spark DataFrame). Either way only the
            day-level counts are computed from the rows (:func:`day_counts`, pushed down to the
            engine) and the table is folded from them (:func:`nps_by_period_from_days`), so the
            pandas and the engine paths give the same numbers by construction.
        freq: ``"W"`` (Monday-Sunday weeks), ``"M"`` (months) or another pandas period alias.
        by: segment columns (team, agent, department, location, ...).
        timezone: the report's calendar: which week or month an answer belongs to.
        date_format, dayfirst: how text times are written when day and month are ambiguous
            (``"%d/%m/%Y %H:%M"`` or ``dayfirst=True``); without them such times are an error,
            never a guess (:func:`nps_analysis.sources.dates.parse_times`).
        start, end: first and last period to show (any moment inside them); default: the data's.
        method, confidence_level: the interval (:func:`nps_analysis.nps_interval`; default
            adjusted Wald, Rocks 2016).
        min_n: cells with fewer responses are suppressed: ``nps``, the category counts and the
            interval are missing and ``note`` says why (``n`` is kept).
        window: periods pooled into each cell: ``4`` gives each week the NPS of the trailing 4
            weeks (that week and the 3 before, read from before ``start`` too), so a small
            programme sees a trend (:func:`nps_analysis.analyses.windows.trailing_sums`). When most
            cells are suppressed, ``attrs["suggested_window"]`` is the smallest of 4, 13, 26, 52
            periods that would show most of them (``describe_suppression`` says it in words).
        weights: a survey-weight column: weighted counts (sums of weights), weighted NPS, an
            ``effective_n`` column (Kish) and intervals on the effective sample size; ``n`` stays
            the number of answers (and decides suppression). ``attrs["weighted"]`` names it. With
            ``window`` > 1 each cell pools the window's weights: its effective n is
            ``(sum w)^2 / sum w^2`` over the window's answers.

    Returns:
        One row per period and segment, every period between the first and the last present for
        every segment (``n = 0`` where a segment had no answers): ``period`` (start date), the
        ``by`` columns, ``detractors``, ``passives``, ``promoters``, ``n``, ``nps``,
        ``ci_lower``, ``ci_upper``, ``suppressed``, ``note``. ``attrs`` hold the settings.
    """
    by = [by] if isinstance(by, str) else list(by or [])
    days = day_counts(responses, score=score, time=time, by=by, timezone=timezone, date_format=date_format,
                      dayfirst=dayfirst, timezone_column=timezone_column, weights=weights, file=file)
    return nps_by_period_from_days(days, by=by, freq=freq, start=start, end=end, method=method,
                                   confidence_level=confidence_level, min_n=min_n, window=window,
                                   weights=weights, time=time, score=score, file=file, timezone=timezone)


def day_counts(
    responses: Any,
    *,
    score: str = "score",
    time: str = "submitted_at",
    by: Sequence[str] | str | None = None,
    timezone: str = "UTC",
    date_format: str | None = None,
    dayfirst: bool = False,
    timezone_column: str | None = "timezone",
    weights: str | None = None,
    file: str | None = None,
) -> pd.DataFrame:
    """The day-level counts every tracking table is folded from: per segment, local calendar day
    (on ``timezone``'s calendar) and answer level, the number of rows (and weight sums).

    The output of :func:`nps_analysis.sources.tables.day_levels` (``by`` columns, ``day``,
    ``level``, ``count``, with weights ``weight`` and ``weight_sq``), computed where the rows live.
    A pandas frame is first checked as the in-memory report always checked it (invalid answers and
    bad weights raise naming their rows), then goes through the same aggregate.
    """
    by = [by] if isinstance(by, str) else list(by or [])
    responses = pandas_rows(responses)
    if isinstance(responses, pd.DataFrame):
        frame, instants = prepare_responses(responses, score=score, time=time, timezone=timezone,
                                            timezone_column=timezone_column, file=file, date_format=date_format,
                                            dayfirst=dayfirst)
        require_frame_columns(frame, [*by, *([weights] if weights else [])], what="responses", file=file)
        parsed = parse_scores(frame[score], column=score, file=file)
        no_time = parsed.valid_mask & instants.isna().to_numpy()
        if no_time.any():
            raise_rows("have a score but no submission time", no_time, frame[time], column=time, file=file)
        if weights:
            w = weight_values(frame, weights, allow_nan=True)
            bad = parsed.valid_mask & np.isnan(w)
            if bad.any():
                raise_rows("have an answer but no weight", bad, frame[weights], column=weights, file=file)
        responses = frame
    from ..sources.tables import day_levels

    zone = timezone_column if timezone_column and timezone_column in _columns_of(responses) else None
    return day_levels(responses, score, time, by, timezone=timezone, date_format=date_format, dayfirst=dayfirst,
                      timezone_column=zone, weights=weights)


def pandas_rows(data: Any) -> Any:
    """The pandas frame of a pandas-backed ``sources.tables.Table``; anything else as it is (an
    engine table, or a Table whose rows stay in their engine)."""
    from ..sources.tables import Table

    return data.data if isinstance(data, Table) and data.is_pandas else data


def _columns_of(data: Any) -> list[str]:
    if isinstance(data, pd.DataFrame):
        return [str(c) for c in data.columns]
    columns = getattr(data, "columns", None)
    if isinstance(columns, tuple):  # a sources.tables.Table
        return list(columns)
    from ..sources.engines import narwhals_module

    return list(narwhals_module().from_native(data).collect_schema().names())


def period_levels(days: pd.DataFrame, *, by: Sequence[str] = (), freq: str = "W", weights: str | None = None,
                  time: str = "submitted_at", score: str = "score", file: str | None = None) -> pd.DataFrame:
    """Day-level counts folded into periods: per ``period`` (start, on the days' calendar) and segment
    the ``detractors``, ``passives``, ``promoters`` (weight sums when ``weights``), ``n`` (answers),
    ``rows`` (answers and rows without an answer), and with weights ``weight_sq`` (sum of squared
    weights of the answers) and ``detractors_w2``, ``passives_w2``, ``promoters_w2`` (per category).

    A week of a local day is the Monday-to-Sunday week holding it, exactly as :func:`assign_periods`
    does for instants. Invalid answers, and answers without a time, raise :class:`NPSInputError`
    (counted; the in-memory path names their rows before this). Segments whose rows all lack an
    answer are kept with ``n = 0``.
    """
    by = list(by)
    level = days["level"].to_numpy(dtype=np.int64)
    count = days["count"].to_numpy(dtype=np.int64)
    invalid = int(count[level == INVALID_LEVEL].sum())
    if invalid:
        raise NPSInputError(f"{invalid} invalid score(s): expected whole numbers from 0 to 10", column=score,
                            count=invalid, file=file)
    dated = days["day"].notna().to_numpy()
    undated = int(count[~dated & (level >= 0)].sum())
    if undated:
        raise NPSInputError(f"{undated} row(s) have a score but no submission time", column=time, count=undated,
                            file=file)
    days = days[dated]
    level, count = level[dated], count[dated]
    answered = level >= 0
    if weights:
        wsum = days["weight"].to_numpy(dtype=float)
        if np.isnan(wsum[answered]).any() or np.isinf(wsum[answered]).any():
            bad = int(count[answered & ~np.isfinite(wsum)].sum())
            raise NPSInputError(f"answers in {bad} row(s) have a missing, negative or infinite weight",
                                column=weights, file=file)
        value = np.where(answered, wsum, 0.0)
        square = np.where(answered, days["weight_sq"].to_numpy(dtype=float), 0.0)
    else:
        value = np.where(answered, count, 0)
    work = pd.DataFrame({c: days[c].to_numpy() for c in by})
    work["period"] = pd.DatetimeIndex(days["day"]).to_period(period_freq(freq)).start_time
    work["detractors"] = np.where(answered & (level < PASSIVE_FROM), value, 0)
    work["passives"] = np.where((level >= PASSIVE_FROM) & (level < PROMOTER_FROM), value, 0)
    work["promoters"] = np.where(level >= PROMOTER_FROM, value, 0)
    work["n"] = np.where(answered, count, 0)
    work["rows"] = count
    if weights:
        work["weight_sq"] = square
        for name, lo, hi in (("detractors", 0, PASSIVE_FROM), ("passives", PASSIVE_FROM, PROMOTER_FROM),
                             ("promoters", PROMOTER_FROM, 11)):
            work[f"{name}_w2"] = np.where((level >= lo) & (level < hi), square, 0.0)
    keys = ["period", *by]
    out = work.groupby(keys, sort=True, dropna=False, observed=True).sum().reset_index()
    return out


def segment_counts(
    days: pd.DataFrame, period: Any, by: Sequence[str] | str, *, freq: str = "W", weights: str | None = None,
    time: str = "submitted_at", score: str = "score",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-segment counts of the period before ``period`` and of ``period`` (any moment inside it),
    from day-level counts: the inputs of :func:`nps_analysis.stats.decomposition.mix_rate_from_counts`
    and :func:`nps_analysis.stats.decomposition.mix_drift_from_counts` (``rows`` counts respondents
    with or without an answer, as :func:`nps_analysis.mix_drift` counts rows). The count version of
    :func:`nps_analysis.analyses.response.period_frames`."""
    by = [by] if isinstance(by, str) else list(by)
    table = period_levels(days, by=by, freq=freq, weights=weights, time=time, score=score)
    current = pd.Period(pd.Timestamp(period), freq=period_freq(freq))
    keep = [*by, "detractors", "passives", "promoters", "n", "rows",
            *(["detractors_w2", "passives_w2", "promoters_w2"] if weights else [])]

    def one(start: pd.Timestamp) -> pd.DataFrame:
        return table.loc[table["period"] == start, keep].reset_index(drop=True)

    return one((current - 1).start_time), one(current.start_time)


def nps_by_period_from_days(
    days: pd.DataFrame,
    *,
    by: Sequence[str] | str | None = None,
    freq: str = "W",
    start: Any = None,
    end: Any = None,
    method: str = "adjusted-wald",
    confidence_level: float = 0.95,
    min_n: int = 30,
    window: int = 1,
    weights: str | None = None,
    timezone: str = "UTC",
    time: str = "submitted_at",
    score: str = "score",
    file: str | None = None,
) -> pd.DataFrame:
    """:func:`nps_by_period` from day-level counts (:func:`day_counts` /
    :func:`nps_analysis.sources.tables.day_levels` output): pure pandas on a table of at most
    days x segments x 13 levels, never the rows.

    Same arguments and output as :func:`nps_by_period`; ``weights`` names the weight column the
    days were summed with (they then carry ``weight`` and ``weight_sq``); ``timezone`` is the
    calendar the days were counted on (recorded in ``attrs``). ``by`` may be fewer
    columns than the days were counted by: the other segments are summed over (the overall table
    of a report comes from its by-segment days).
    """
    by = [by] if isinstance(by, str) else list(by or [])
    window = check_window(window)
    table = period_levels(days, by=by, freq=freq, weights=weights, time=time, score=score, file=file)
    pfreq = period_freq(freq)
    first = _period_bounds(start, freq=freq) if start is not None else (
        table["period"].min().to_period(pfreq) if len(table) else None)
    last = _period_bounds(end, freq=freq) if end is not None else (
        table["period"].max().to_period(pfreq) if len(table) else None)
    if first is None or last is None:
        periods = shown = pd.DatetimeIndex([])
    else:
        # Counts from the data's first period on: a trailing window of the first period shown (and
        # any window the report may suggest) reaches back before it.
        lead = first - (window - 1)
        if len(table):
            lead = min(lead, table["period"].min().to_period(pfreq))
        periods = pd.period_range(lead, last, freq=pfreq).start_time
        shown = pd.period_range(first, last, freq=pfreq).start_time
    if by:
        segments = table[by].drop_duplicates()
        grid = segments.merge(pd.DataFrame({"period": periods}), how="cross")
    else:
        grid = pd.DataFrame({"period": periods})
    table = grid.merge(table, on=["period", *by], how="left")
    for col in ("detractors", "passives", "promoters", "n", *(["weight_sq"] if weights else [])):
        table[col] = table[col].fillna(0).astype(float if weights and col != "n" else np.int64)
    suggested, suggested_hidden = _window_advice(table, by=by, min_n=min_n, window=window, shown=shown)
    table = trailing_sums(table, by=by, window=window)
    table = table[table["period"].isin(shown)]
    total = table[["detractors", "passives", "promoters"]].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["nps"] = 100.0 * (table["promoters"] - table["detractors"]) / total.where(table["n"] > 0)
        if weights:
            # Kish (1965): (sum w)^2 / sum w^2 over the cell's (or the window's) answers.
            sq = table["weight_sq"]
            table["effective_n"] = np.where(sq > 0, total**2 / sq.where(sq > 0), 0.0)
    table = table[["period", *by, "detractors", "passives", "promoters", "n", "nps",
                   *(["effective_n"] if weights else [])]]
    # Published totals: the period over all segments, and with several segment columns the total
    # over each one of them.
    margins = [["period"]] + ([["period", *[b for b in by if b != c]] for c in by] if len(by) > 1 else [])
    table = _interval_columns(table, method=method, confidence_level=confidence_level, min_n=min_n,
                              margins=margins if by else ())
    table = table.sort_values([*by, "period"], kind="stable").reset_index(drop=True)
    table.attrs.update(
        freq=freq, by=by, timezone=timezone,
        min_n=min_n, method=method, confidence_level=confidence_level,
        suppressed=int(table["suppressed"].sum()), window=window, suggested_window=suggested,
        suggested_suppressed=suggested_hidden, weighted=weights,
    )
    return table


def _window_advice(
    table: pd.DataFrame, *, by: list[str], min_n: int, window: int, shown: pd.DatetimeIndex
) -> tuple[int | None, int | None]:
    """The window to suggest when most shown cells are suppressed, and how many it would leave."""
    now = trailing_sums(table, by=by, window=window)
    if suppressed_share(now.loc[now["period"].isin(shown), "n"], min_n) <= 0.5:
        return None, None
    k = suggest_window(table, by=by, min_n=min_n, window=window, within=shown)
    if k is None:
        return None, None
    pooled = trailing_sums(table, by=by, window=k)
    return k, int((pooled.loc[pooled["period"].isin(shown), "n"] < min_n).sum())


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
    if correction not in CORRECTION_NAMES:
        raise ValueError(f"correction must be one of {sorted(CORRECTION_NAMES)}, got {correction!r}")
    return multiplicity.adjust_pvalues(pvalues, correction=correction, alpha=alpha)


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
    A weighted table (``nps_by_period(..., weights=...)``) is compared on each period's weighted
    shares at its Kish effective sample size (``effective_n``).

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
    weighted = "effective_n" in table.columns
    by = list(table.attrs.get("by", [c for c in table.columns if c not in _TABLE_VALUE_COLUMNS]))
    min_n = table.attrs.get("min_n", 0)
    # Trailing windows overlap: a window is compared with the one just before it, not with the
    # window one period earlier, so that the two samples are independent.
    lag = int(table.attrs.get("window", 1))
    pfreq = period_freq(freq)
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
        before = keyed[keyed["_p"] == target - lag][[*by, "detractors", "passives", "promoters", "n", "nps", "suppressed",
                                                     *(["effective_n"] if weighted else [])]]
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
    if weighted:  # weighted shares on the Kish effective sample size, as nps_interval does
        m = m.copy()
        for suffix in ("", "_prev"):
            cats = [f"detractors{suffix}", f"passives{suffix}", f"promoters{suffix}"]
            total = m[cats].sum(axis=1)
            scale = (m[f"effective_n{suffix}"] / total.where(total > 0)).fillna(0.0)
            m[cats] = m[cats].mul(scale, axis=0)
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
            "previous_period": [(t - lag).start_time for t in m["_target"]],
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
        f"{targets[0].start_time.date()} against {(targets[0] - lag).start_time.date()}")
    out.attrs.update(
        family=(
            f"{n_tested} comparison(s) of {when}, one per segment ({seg}) with n >= {min_n} in both "
            f"periods; {CORRECTION_NAMES[correction]} at alpha = {alpha}"
        ),
        correction=correction,
        alpha=alpha,
        tested=n_tested,
        confidence_level=confidence_level,
        freq=freq,
        by=by,
        weighted=table.attrs.get("weighted"),
        method=(f"difference of two independent {'weighted ' if weighted else ''}NPS, {method} SE sqrt(V1/n1 + V2/n2)"
                f"{' with n the Kish effective sample size' if weighted else ''}"
                f"{' on counts + 3/4, 3/2, 3/4' if method == 'adjusted-wald' else ''}; two-sided z test"
                f"{f'; trailing windows of {lag} periods against the window before' if lag > 1 else ''}"),
        window=lag,
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
            f"adjusted {p_text(row['pvalue_adjusted'])})."
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
    date_format: str | None = None,
    dayfirst: bool = False,
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
    responses, file = lean_frame(responses, file)
    require_frame_columns(responses, [customer, score, time] + ([start] if start else []), what="responses", file=file)
    frame, instants = prepare_responses(responses, score=score, time=time, timezone=timezone,
                               timezone_column=timezone_column, file=file, date_format=date_format, dayfirst=dayfirst)
    pfreq = period_freq(freq)
    when = assign_periods(instants, freq=freq, timezone=timezone)
    cust = clean_ids(frame[customer])
    if start:
        begun = to_utc(frame[start], timezone=timezone, column=start, file=file, date_format=date_format, dayfirst=dayfirst)
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
    # Published totals: each cohort over its periods, and each calendar period over cohorts.
    table["_calendar"] = (
        pd.to_datetime(table["cohort"]).dt.to_period(pfreq).array.asi8 + table["periods_since_start"].to_numpy()
    )
    table = _interval_columns(table, method=method, confidence_level=confidence_level, min_n=min_n,
                              margins=[["cohort"], ["_calendar"]]).drop(columns=["_calendar"])
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


# ------------------------------------------------------------------------------------------ alerts


# --------------------------------------------------------------------------------- command line


