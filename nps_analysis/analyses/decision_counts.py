"""The aggregate step of a roll-back decision: per arm, look (and cluster) the sums each metric needs.

:func:`look_counts` reads a table where it lives (a pandas frame, a DuckDB relation, Polars,
PyArrow, Spark) and returns small arrays; :func:`nps_analysis.analyses.decision.decide` computes
every interval and rule from them. A pandas frame is validated row by row (errors name the rows),
reduced to its responding rows and then counted by the same code as every engine, so each engine
gives the decision the in-memory path gives.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..sources.dates import to_utc
from ..sources.engines import (
    INVALID_LEVEL,
    collect_frame,
    describe_invalid,
    invalid_examples,
    lazy_frame,
    level_counts,
    level_expr,
    narwhals_module,
)
from ..sources.errors import NPSInputError, describe_rows
from ..sources.scores import PASSIVE_FROM, PROMOTER_FROM, parse_scores
from ..stats.clusters import cluster_codes_by_arm
from .guardrails import GUARDRAIL_METRICS, Guardrail

#: Length of a look period in days, for the elapsed time of a horizon (by the period's letter).
PERIOD_DAYS = {"D": 1.0, "H": 1 / 24, "W": 7.0, "M": 30.44, "Q": 91.31, "Y": 365.25}

# Helper columns the kit adds inside the engine (names no survey export uses).
_HOUR = "_nps_look_hour_"
_PRESENT = "_nps_present_"
_SHIFTED = "_nps_shifted_"

_LEVELS = np.arange(11)
#: Per-answer value of the metrics read from the 0-10 column, indexed by the answer 0..10.
_LEVEL_VALUES = {
    "nps": np.where(_LEVELS >= PROMOTER_FROM, 1.0, np.where(_LEVELS >= PASSIVE_FROM, 0.0, -1.0)),
    "detractor_share": (_LEVELS < PASSIVE_FROM).astype(float),
    "promoter_share": (_LEVELS >= PROMOTER_FROM).astype(float),
    # top-2-box of a 1-5 answer; only levels 1..5 are answers (others are refused before)
    "csat": (_LEVELS >= 4).astype(float),
}


@dataclass(frozen=True)
class Metric:
    """One compared metric: NPS or a guardrail, with how its per-response value is computed."""

    name: str
    source: str  # "nps", "detractor_share", "promoter_share", "csat" or "column"
    column: str
    direction: str
    margin: float

    @property
    def kind(self) -> str:
        """How the variance is estimated: "nps" (-1/0/+1), "share" (0/1) or "mean"."""
        return {"nps": "nps", "column": "mean"}.get(self.source, "share")

    @property
    def scale(self) -> float:
        return 1.0 if self.kind == "mean" else 100.0

    @property
    def unit(self) -> str:
        return {"nps": "NPS points", "share": "percentage points"}.get(self.kind, f"units of {self.column}")


def metric_for(g: Guardrail, score: str) -> Metric:
    """The :class:`Metric` a guardrail compares (its column, direction and margin)."""
    if g.metric in ("detractor_share", "promoter_share"):
        source, column = g.metric, score
    elif g.metric == "csat":
        source, column = "csat", g.column or "csat"
    else:
        source, column = "column", g.column or g.metric
    direction = g.direction or GUARDRAIL_METRICS[g.metric]
    return Metric(g.name, source, column, direction, float(g.margin))


@dataclass(frozen=True)
class LookCounts:
    """What a decision needs from the rows: per-look sums of every metric, per arm (and cluster).

    Attributes:
        periods: each look's label (``"2025-03-01"``, or the day number of a numeric time column).
        offsets: each look's start in days after the first look's.
        period_days: the length of a look in days.
        span_days: days between the first and the last response (at least 1): asked of the
            engine on first use only (one more scan), since only a CONTINUE projection needs it.
        cells: per metric, an array ``(2 arms, clusters, looks, 3)`` of the responses with a value,
            the sum of the values minus ``centres`` and the sum of their squares, per look (not
            cumulative); ``clusters`` is 1 without a cluster column. Arm 0 is the treatment.
        centres: per metric, the constant subtracted before summing (0 for the answer-level
            metrics; a numeric column's smallest value, so its sums of squares keep their digits).
        nps_counts: ``(2, 3)`` detractors, passives, promoters per arm over all looks.
        clusters: the cluster labels (codes index the ``clusters`` axis), None without a cluster.
    """

    periods: list[Any]
    offsets: np.ndarray
    period_days: float
    span: Callable[[], float]
    cells: tuple[np.ndarray, ...]
    centres: tuple[float, ...]
    nps_counts: np.ndarray
    clusters: tuple[Any, ...] | None = None

    @property
    def span_days(self) -> float:
        return self.span()


# --------------------------------------------------------------------------------- pandas rows


def row_labels(frame: pd.DataFrame, mask: np.ndarray) -> np.ndarray | pd.Index:
    """The rows of ``mask`` as messages name them: the file's row numbers, else the index.

    An array (not a list): a million labels are only looked at when a message needs a few.
    """
    from ..sources.load import source_rows

    source = source_rows(frame)
    idx = np.flatnonzero(mask)
    if source is not None:
        return np.asarray(source)[idx]
    return frame.index[idx]


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def arm_mask(values: pd.Series, label: Any) -> np.ndarray:
    """Rows of the arm ``label``; a label typed as text matches a numeric column by its text."""
    mask = (values == label).to_numpy(dtype=bool)
    if not mask.any():  # labels typed on a command line are strings; the column may hold numbers
        mask = (values.astype(str) == str(label)).to_numpy(dtype=bool) & values.notna().to_numpy()
    return mask


def _require_columns(
    names: Sequence[str], *, score: str, group: str, time: str, extra: Sequence[str], file: str | None
) -> None:
    present = ", ".join(map(repr, map(str, names)))
    if time not in names:
        raise NPSInputError(
            f"the time column is missing: decide needs when each answer was submitted to place it in a look; "
            f"the columns are {present}",
            file=file,
            column=time,
        )
    for role, col in (("score", score), ("group", group), *(("guardrail", c) for c in extra)):
        if col not in names:
            raise NPSInputError(f"{role} column {col!r} not found; the columns are {present}", file=file, column=col)


def _no_arm(label: Any, present: Sequence[Any], *, group: str, file: str | None) -> NPSInputError:
    shown = sorted(map(str, present))[:20]
    return NPSInputError(
        f"arm {label!r} has no responses yet: no rows with that label (labels present: {', '.join(map(repr, shown))})",
        file=file,
        column=group,
    )


def _no_answers(role: str, label: Any, rows: int, *, score: str, group: str, file: str | None) -> NPSInputError:
    return NPSInputError(
        f"the {role} arm {label!r} has no responses yet ({rows} row(s), none with an answer in {score!r}); "
        "wait for the first answers before deciding",
        file=file,
        column=group,
    )


def check_look(look: str) -> None:
    """``look`` must be ``"D"``, ``"h"`` or a pandas period that starts on a day (``"W"``, ``"M"``)."""
    if look in ("D", "h"):
        return
    try:
        pd.Series(pd.to_datetime(["2020-01-01"])).dt.to_period(look)
    except (ValueError, TypeError):
        raise NPSInputError(f"look must be 'D' (daily), 'h' (hourly) or a period such as 'W' (weekly), got {look!r}") from None


def _numeric_time(dtype: Any) -> bool:
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def pandas_responses(
    frame: pd.DataFrame,
    *,
    score: str,
    group: str,
    time: str,
    treatment: Any,
    control: Any,
    metrics: Sequence[Metric],
    cluster: str | None,
    look: str,
    date_format: str | None,
    dayfirst: bool,
    file: str | None,
) -> pd.DataFrame:
    """The responding rows of both arms, validated with errors naming the rows, as clean columns.

    The score is the parsed answer, the time an instant in UTC (or the number of a numeric time
    column), a CSAT column its parsed 1-5 answer and a numeric guardrail column floats. The
    result is then counted like any engine's table.
    """
    _require_columns(
        list(frame.columns), score=score, group=group, time=time,
        extra=[m.column for m in metrics[1:]] + ([cluster] if cluster else []), file=file,
    )
    in_t = arm_mask(frame[group], treatment)
    in_c = arm_mask(frame[group], control)
    for label, mask in ((treatment, in_t), (control, in_c)):
        if not mask.any():
            raise _no_arm(label, pd.unique(frame[group].dropna()), group=group, file=file)
    parsed = parse_scores(frame[score], column=score, file=file)
    answered = parsed.valid_mask
    for role, label, mask in (("treatment", treatment, in_t), ("control", control, in_c)):
        if not (mask & answered).any():
            raise _no_answers(role, label, int(mask.sum()), score=score, group=group, file=file)
    rows = (in_t | in_c) & answered
    labels = row_labels(frame, rows)
    keep = [group, *([cluster] if cluster else [])]
    sub = frame.loc[rows]
    slim = sub[keep].reset_index(drop=True)
    slim[score] = parsed.values[rows]
    values = sub[time].reset_index(drop=True)
    present = values.notna()
    if values.dtype == object:  # only text can hold blanks; skip the string pass for dates and numbers
        present &= values.astype(str).str.strip() != ""
    if not present.all():
        bad = ~present.to_numpy()
        shown = [(_plain(labels[i]), None) for i in np.flatnonzero(bad)]
        raise NPSInputError(
            f"{int(bad.sum())} response(s) have no time, so they cannot be placed in a look; {describe_rows(shown)}",
            file=file, column=time, rows=shown[:20], count=int(bad.sum()),
        )
    if _numeric_time(values.dtype):
        slim[time] = values.to_numpy(dtype=float)
    else:
        check_look(look)
        # Naive times are read as UTC; rows in messages are the file's.
        slim[time] = to_utc(values, column=time, file=file, rows=labels, date_format=date_format, dayfirst=dayfirst)
    if cluster:
        arm = np.where(in_t[rows], 0, 1)
        cluster_codes_by_arm(sub[cluster], arm, column=cluster, file=file, labels=labels.tolist())  # names the rows
    for m in metrics[1:]:
        if m.source == "csat":
            slim[m.column] = parse_scores(sub[m.column], low=1, high=5, column=m.column, file=file, positions=labels).values
        elif m.source == "column":
            slim[m.column] = _numeric_values(sub[m.column], labels=labels, column=m.column, file=file)
    return slim


def _numeric_values(raw: pd.Series, *, labels: Any, column: str, file: str | None) -> np.ndarray:
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(values) & raw.notna().to_numpy() & (raw.astype(str).str.strip() != "").to_numpy()
    bad |= np.isinf(values)
    if bad.any():
        shown = [(_plain(labels[i]), raw.iloc[i]) for i in np.flatnonzero(bad)]
        raise NPSInputError(
            f"{int(bad.sum())} value(s) are not numbers: {describe_rows(shown)}",
            file=file, column=column, rows=shown[:20], count=int(bad.sum()),
        )
    return values


# ----------------------------------------------------------------------------------- any engine




@dataclass(frozen=True)
class _Periods:
    """How rows are put into looks: by day (a date/time column), by hour, or by a day number."""

    kind: str  # "day", "hour" or "number"
    time: str
    look: str
    date_format: str | None
    dayfirst: bool


def _period_levels(data: Any, score: str, by: list[str], how: _Periods, *, weights: str | None = None) -> pd.DataFrame:
    """Rows per (``by``, period, answer level), counted by the engine; the period is in ``"day"``.

    Dates go through :func:`nps_analysis.sources.tables.day_levels` (local calendar days in
    UTC, the one place that turns any engine's times into days); hours and day numbers are a
    column of their own grouped by :func:`nps_analysis.sources.engines.level_counts`.
    """
    if how.kind == "day":
        from ..sources.tables import day_levels

        return day_levels(data, score, how.time, by, timezone="UTC", date_format=how.date_format,
                          dayfirst=how.dayfirst, weights=weights)
    if how.kind == "number":
        out = level_counts(data, score, [*by, how.time], weights=weights)
        return out.rename(columns={how.time: "day"})
    nw = narwhals_module()
    frame = lazy_frame(data)
    hour = nw.col(how.time).dt.truncate("1h").alias(_HOUR)
    out = level_counts(frame.with_columns(hour).to_native(), score, [*by, _HOUR], weights=weights)
    return out.rename(columns={_HOUR: "day"})


def _time_kind(dtype: Any, look: str) -> str:
    nw = narwhals_module()
    if dtype.is_numeric():
        return "number"
    if look == "h":
        if not isinstance(dtype, nw.Datetime) and dtype != nw.Datetime:
            raise NPSInputError("hourly looks need a date-time column (a timestamp type in the engine)")
        return "hour"
    return "day"


def look_counts(
    data: Any,
    *,
    score: str,
    group: str,
    time: str,
    treatment: Any,
    control: Any,
    metrics: Sequence[Metric],
    cluster: str | None = None,
    look: str = "D",
    date_format: str | None = None,
    dayfirst: bool = False,
    file: str | None = None,
) -> LookCounts:
    """The per-look sums of NPS and every guardrail, computed where ``data`` lives.

    The engine is asked for: rows per (arm, [cluster,] [CSAT value,] day, 0-10 answer) (one scan:
    a CSAT guardrail's distinct values are read in pandas by the kit's 1-5 rules); for each
    numeric guardrail, its smallest and largest value among the responses (one scan), then per
    (arm, [cluster,] day) the count and the sums of the value and its square (one scan); and,
    only for a CONTINUE projection, the first and last response time. Days are folded into looks
    (weeks, months) here: days x arms x answers is small. A pandas frame is first checked row by
    row (:func:`pandas_responses`, errors name the rows) and reduced to its responding rows.

    Raises:
        NPSInputError: missing columns, an arm without responses, invalid answers, responses
            without a time or a cluster label, clusters in both arms, non-numeric guardrails.
    """
    from ..sources.tables import native

    nw = narwhals_module()
    data = native(data)
    if isinstance(data, pd.DataFrame):
        data = pandas_responses(
            data, score=score, group=group, time=time, treatment=treatment, control=control, metrics=metrics,
            cluster=cluster, look=look, date_format=date_format, dayfirst=dayfirst, file=file,
        )
    frame = lazy_frame(data)
    schema = frame.collect_schema()
    names = list(schema.names())
    _require_columns(names, score=score, group=group, time=time,
                     extra=[m.column for m in metrics[1:]] + ([cluster] if cluster else []), file=file)
    kind = _time_kind(schema[time], look)
    if kind != "number":
        check_look(look)
    how = _Periods(kind, time, look, date_format, dayfirst)
    by = [group, *([cluster] if cluster else [])]

    # 1. NPS: rows per arm, day and answer, over the whole table (one scan). A CSAT column joins
    # the groups: its 1-5 answers per arm and day come out of the same scan (5 values, and blank).
    csat_columns = [c for c in dict.fromkeys(m.column for m in metrics if m.source == "csat") if c not in by]
    table = _period_levels(data, score, [*by, *csat_columns], how)
    invalid = int(table.loc[table["level"] == INVALID_LEVEL, "count"].sum())
    if invalid:
        examples = invalid_examples(data, score)
        raise NPSInputError(
            f"{invalid} invalid score(s): expected whole numbers from 0 to 10; {describe_invalid(examples)}",
            file=file, column=score, rows=examples, count=invalid,
        )
    arm_values = _arm_values(table[group], treatment, control, group=group, file=file)
    arm = np.full(len(table), -1)
    for code, values in enumerate(arm_values):
        arm[table[group].isin(values).to_numpy()] = code
    answered = table["level"].to_numpy() >= 0
    for code, (role, label) in enumerate((("treatment", treatment), ("control", control))):
        if not (answered & (arm == code)).any():
            rows = int(table.loc[arm == code, "count"].sum())
            raise _no_answers(role, label, rows, score=score, group=group, file=file)
    keep = answered & (arm >= 0)
    table = table.loc[keep].reset_index(drop=True)
    arm = arm[keep]
    no_time = table["day"].isna().to_numpy()
    if no_time.any():
        n = int(table.loc[no_time, "count"].sum())
        raise NPSInputError(f"{n} response(s) have no time, so they cannot be placed in a look", file=file, column=time, count=n)
    period = _look_starts(table["day"], how)
    uniq, look_code = np.unique(period, return_inverse=True)
    look_of_day = dict(zip(table["day"].tolist(), look_code.tolist(), strict=True))
    n_looks = len(uniq)

    cluster_labels = _cluster_labels(table, arm, cluster, file=file) if cluster else None
    n_clusters = len(cluster_labels) if cluster_labels is not None else 1
    cluster_of = {label: code for code, label in enumerate(cluster_labels or ())}

    def cells_of(rows: pd.DataFrame, arms: np.ndarray, answers: np.ndarray | None = None) -> np.ndarray:
        """(2, clusters, looks, 11) counts per answer level (the 0-10 answer, or ``answers``)."""
        out = np.zeros((2, n_clusters, n_looks, 11))
        looks = rows["day"].map(look_of_day).to_numpy(dtype=np.intp)
        clusters = rows[cluster].map(cluster_of).to_numpy(dtype=np.intp) if cluster else np.zeros(len(rows), dtype=np.intp)
        level = rows["level"].to_numpy(dtype=np.intp) if answers is None else answers
        np.add.at(out, (arms, clusters, looks, level), rows["count"].to_numpy(dtype=float))
        return out

    levels = cells_of(table, arm)
    nps_counts = np.stack([levels[..., :PASSIVE_FROM].sum(axis=(1, 2, 3)), levels[..., PASSIVE_FROM:PROMOTER_FROM].sum(axis=(1, 2, 3)),
                           levels[..., PROMOTER_FROM:].sum(axis=(1, 2, 3))], axis=-1)

    # 2. the metrics: shares and CSAT from the counts above, a numeric column from its own sums
    arm_filter = nw.col(group).is_in([v for values in arm_values for v in values])
    responses = frame.filter(arm_filter & (level_expr(score, schema[score]) >= 0))
    cells, centres = [], []
    for m in metrics:
        if m.source in _LEVEL_VALUES and m.source != "csat":
            cells.append(_level_sums(levels, _LEVEL_VALUES[m.source], np.ones(11)))
            centres.append(0.0)
        elif m.source == "csat":
            answer = _csat_answers(table[m.column], table["count"].to_numpy(), column=m.column, file=file)
            has = answer > 0
            cells.append(_level_sums(cells_of(table[has], arm[has], answer[has]), _LEVEL_VALUES["csat"],
                                     (_LEVELS >= 1).astype(float)))
            centres.append(0.0)
        else:
            cell, centre = _column_sums(responses, m.column, by, how, file=file)
            cell = _known_days(cell, look_of_day)
            cell = cell[cell["level"] == 0]  # rows with a value (the others are level -1)
            sums = np.zeros((2, n_clusters, n_looks, 3))
            looks = cell["day"].map(look_of_day).to_numpy(dtype=np.intp)
            clusters = cell[cluster].map(cluster_of).to_numpy(dtype=np.intp) if cluster else np.zeros(len(cell), dtype=np.intp)
            arms = np.where(cell[group].isin(arm_values[0]).to_numpy(), 0, 1)
            np.add.at(sums, (arms, clusters, looks), cell[["count", "weight", "weight_sq"]].to_numpy(dtype=float))
            cells.append(sums)
            centres.append(centre)

    # 3. the periods and the calendar time the responses cover
    if kind == "number":
        labels_out = [int(u) if float(u).is_integer() else float(u) for u in uniq]
        offsets = (uniq - uniq[0]).astype(float)
        span = functools.partial(float, max(uniq[-1] - uniq[0], 1.0))
        period_days = 1.0
    else:
        stamps = uniq.astype("datetime64[ns]")
        fmt = "%Y-%m-%dT%H:00" if look == "h" else "%Y-%m-%d"
        labels_out = [pd.Timestamp(u).strftime(fmt) for u in stamps]
        offsets = (stamps - stamps[0]).astype(np.int64) / 86_400e9
        span = functools.cache(functools.partial(_span_days, responses, time, table["day"]))
        period_days = PERIOD_DAYS.get(look.strip().lstrip("0123456789")[:1].upper(), 1.0)
    return LookCounts(
        periods=labels_out, offsets=np.asarray(offsets, dtype=float), period_days=period_days, span=span,
        cells=tuple(cells), centres=tuple(centres), nps_counts=nps_counts, clusters=cluster_labels,
    )


def _csat_answers(values: pd.Series, counts: np.ndarray, *, column: str, file: str | None) -> np.ndarray:
    """Each cell's CSAT answer 1..5 (-1 where blank), read from the distinct values the engine
    grouped by, with the kit's answer rules (:func:`nps_analysis.sources.scores.parse_scores`).

    Raises:
        NPSInputError: values that are not whole numbers from 1 to 5 (their responses' count and
            the first values).
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed = parse_scores(pd.Series(np.asarray(uniques, dtype=object)), low=1, high=5, on_invalid="quarantine",
                          column=column, file=file)
    if parsed.invalid:
        bad = np.isin(codes, [int(p) for p, _ in parsed.invalid])
        shown = ", ".join(repr(v) for _, v in parsed.invalid[:5])
        raise NPSInputError(
            f"{int(counts[bad].sum())} invalid {column!r} answer(s): expected whole numbers from 1 to 5 (values {shown})",
            file=file, column=column, count=int(counts[bad].sum()),
        )
    answer = np.where(codes >= 0, parsed.values[np.maximum(codes, 0)] if len(uniques) else np.nan, np.nan)
    return np.where(np.isnan(answer), -1, answer).astype(np.intp)


def _level_sums(levels: np.ndarray, value: np.ndarray, counted: np.ndarray) -> np.ndarray:
    """(n, sum, sum of squares) of a per-level value from counts per level: ``(..., 11) -> (..., 3)``."""
    return np.stack([levels @ counted, levels @ (value * counted), levels @ (value * value * counted)], axis=-1)


def _arm_values(values: pd.Series, treatment: Any, control: Any, *, group: str, file: str | None) -> list[list[Any]]:
    """The group column's values of each arm (a label typed as text matches a number's text)."""
    labels = pd.Series(values.dropna().unique())
    out = []
    for label in (treatment, control):
        mask = arm_mask(labels, label)
        if not mask.any():
            raise _no_arm(label, labels, group=group, file=file)
        out.append(list(labels[mask]))
    return out


def _cluster_labels(table: pd.DataFrame, arm: np.ndarray, cluster: str, *, file: str | None) -> tuple[Any, ...]:
    """The clusters of the responses; each must have a label and sit in one arm."""
    if table[cluster].isna().any():
        n = int(table.loc[table[cluster].isna(), "count"].sum())
        raise NPSInputError(f"{n} response(s) have no {cluster!r} label", file=file, column=cluster, count=n)
    codes, uniques = pd.factorize(table[cluster])
    arms = pd.Series(arm).groupby(codes).nunique()
    if (arms > 1).any():
        crossed = [uniques[i] for i in arms.index[arms > 1][:5]]
        raise NPSInputError(
            f"{int((arms > 1).sum())} cluster(s) appear in both arms (e.g. {crossed}); in a "
            "cluster-assigned pilot every customer of a cluster has the same arm",
            file=file, column=cluster,
        )
    return tuple(uniques)


def _known_days(rows: pd.DataFrame, look_of_day: dict[Any, int]) -> pd.DataFrame:
    """Cells of the responding rows: their days are the NPS table's (a guardrail cannot add any)."""
    return rows[rows["day"].isin(list(look_of_day))].reset_index(drop=True)


def _look_starts(days: pd.Series, how: _Periods) -> np.ndarray:
    """Each day's look: the day itself, its hour, its number, or the start of its week/month."""
    if how.kind == "number":
        return days.to_numpy(dtype=float)
    stamps = pd.to_datetime(days)
    if stamps.dt.tz is not None:  # an engine's UTC hours come back zoned; looks are UTC wall times
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    if how.kind == "day" and how.look != "D":
        stamps = stamps.dt.to_period(how.look).dt.start_time
    return stamps.to_numpy().astype("datetime64[ns]").view(np.int64)


def _column_sums(responses: Any, column: str, by: list[str], how: _Periods, *, file: str | None) -> tuple[pd.DataFrame, float]:
    """Per (``by``, period) the count, sum and sum of squares of a numeric column minus its minimum.

    The values are shifted by the column's smallest value so that the sums of squares keep their
    digits (variance = (S2 - S1^2/n) / (n - 1) loses precision when the mean is far from 0). The
    engine counts them as weights of a constant answer: level 0 where the column has a value,
    missing where it has none, so the day of each row comes from the same place as the NPS
    table's.
    """
    nw = narwhals_module()
    dtype = responses.collect_schema()[column]
    if not dtype.is_numeric():
        raise NPSInputError(f"guardrail column {column!r} must hold numbers, got {dtype}", file=file, column=column)
    x = nw.col(column).cast(nw.Float64)
    present = ~(x.is_null() | x.is_nan())
    stats = collect_frame(responses.select(
        nw.when(present).then(x).min().alias("lo"),
        nw.when(present).then(x).max().alias("hi"),
    ))
    lo, hi = stats["lo"].iloc[0], stats["hi"].iloc[0]
    if lo is None or pd.isna(lo):
        lo = hi = 0.0
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise NPSInputError(f"the guardrail column {column!r} holds values that are not finite numbers", file=file, column=column)
    lo = float(lo)
    shifted = responses.with_columns(
        nw.when(present).then(nw.lit(0.0)).alias(_PRESENT),
        nw.when(present).then(x - lo).otherwise(nw.lit(0.0)).alias(_SHIFTED),
    )
    return _period_levels(shifted.to_native(), _PRESENT, by, how, weights=_SHIFTED), lo


def _span_days(responses: Any, time: str, days: pd.Series) -> float:
    """Days from the first to the last response (at least 1): the arrival rate of projections.

    A timestamp or date column is asked for its first and last value among the responses. Text
    times read by an engine (ISO text, or ``date_format``) have no order the engine can trust, so
    their span is the calendar days they cover (a bound within a day of the exact one).
    """
    nw = narwhals_module()
    dtype = responses.collect_schema()[time]
    if not (isinstance(dtype, (nw.Datetime, nw.Date)) or dtype in (nw.Datetime, nw.Date)):
        stamps = pd.to_datetime(days)
        return float(max((stamps.max() - stamps.min()) / pd.Timedelta(days=1) + 1.0, 1.0))
    ends = collect_frame(responses.select(nw.col(time).min().alias("first"), nw.col(time).max().alias("last")))
    first, last = pd.Timestamp(ends["first"].iloc[0]), pd.Timestamp(ends["last"].iloc[0])
    return float(max((last - first) / pd.Timedelta(days=1), 1.0))


__all__ = ["LookCounts", "Metric", "PERIOD_DAYS", "check_look", "look_counts", "metric_for", "pandas_responses"]
