"""The experiment report's aggregates: answer levels per arm (and segment), flags per arm, covariate patterns.

Every function takes a pandas frame, a ``Table`` (its ``data``) or an engine table (Polars, PyArrow,
DuckDB, Spark) and returns a small pandas frame, so the statistics that follow are the same code
for every engine. pandas rows are validated by :func:`nps_analysis.sources.scores.parse_scores`
(errors name the rows); engines by :func:`nps_analysis.sources.engines.level_expr`, the same rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .engines import (
    INVALID_LEVEL,
    LEVEL_COLUMN,
    MISSING_LEVEL,
    collect_frame,
    is_engine_frame,
    lazy_frame,
    level_counts,
    level_expr,
    narwhals_module,
)
from .errors import NPSInputError
from .scores import PASSIVE_FROM, PROMOTER_FROM, parse_scores
from .tables import native

#: Largest number of distinct (group, arm, covariate values) cells fetched for the exact
#: row-equivalent covariate adjustment; above it the adjustment uses moments (stats/cuped_tables.py).
MAX_PATTERNS = 200_000


def is_table(data: Any) -> bool:
    """True for anything the engine path aggregates: a ``Table`` holding an engine table, or an engine table."""
    return is_engine_frame(native(data))


def columns_of(data: Any) -> list[str]:
    """Column names of a pandas frame, a ``Table`` or an engine table."""
    data = native(data)
    if isinstance(data, pd.DataFrame):
        return [str(c) for c in data.columns]
    return list(narwhals_module().from_native(data).collect_schema().names())


def _lazy(data: Any) -> Any:
    return lazy_frame(native(data))



def _require(data: Any, columns: Sequence[str], file: str | None = None) -> None:
    names = columns_of(data)
    absent = [c for c in dict.fromkeys(columns) if c and c not in names]
    if absent:
        raise NPSInputError(f"missing column(s) {absent}; the columns are {names}", file=file, column=absent[0])


def answer_levels(data: Any, score: str, keys: Sequence[str] = (), *, file: str | None = None) -> pd.DataFrame:
    """Rows per (``keys``..., answer level): columns ``*keys, level, count`` (level -1 = no answer).

    The one aggregate behind NPS per arm, the comparisons, the rank and ordinal tests and the
    score chart. pandas rows: :func:`parse_scores` (an invalid answer raises naming its rows);
    engines: :func:`nps_analysis.sources.engines.level_counts` (an invalid answer raises with
    its count). Keys keep their values (a missing key is a group of its own).
    """
    keys = list(keys)
    _require(data, [score, *keys], file)
    data = native(data)
    if isinstance(data, pd.DataFrame):
        parsed = parse_scores(data[score], column=score, file=file)
        level = np.where(parsed.valid_mask, np.nan_to_num(parsed.values, nan=0.0), MISSING_LEVEL).astype(np.int64)
        frame = data[keys].copy() if keys else pd.DataFrame(index=data.index)
        frame["level"] = level
        out = frame.groupby([*keys, "level"], dropna=False, observed=True, sort=False).size().reset_index(name="count")
    else:
        out = level_counts(data, score, keys, file=file)
        invalid = int(out.loc[out["level"] == INVALID_LEVEL, "count"].sum())
        if invalid:
            raise NPSInputError(
                f"{invalid} invalid score(s): expected whole numbers from 0 to 10 (nps.load or nps.counts name the rows)",
                file=file, column=score, count=invalid,
            )
    out["level"] = out["level"].astype(np.int64)
    out["count"] = out["count"].astype(np.int64)
    return out[[*keys, "level", "count"]]


def level_matrix(levels: pd.DataFrame, keys: Sequence[str]) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Fold :func:`answer_levels` into one row per key: ``(keys frame, counts (g x 11), no-answer rows (g,))``.

    Keys are sorted as ``groupby(sort=True)`` sorts them (missing last).
    """
    keys = list(keys)
    level = levels["level"].to_numpy()
    count = levels["count"].to_numpy()
    if keys:
        grouped = levels.groupby(keys, dropna=False, sort=True, observed=True)
        codes = grouped.ngroup().to_numpy()
        uniques = grouped.size().reset_index()[keys]
    else:
        codes = np.zeros(len(levels), dtype=np.int64)
        uniques = pd.DataFrame(index=[0])
    g = len(uniques)
    bins = np.zeros((g, 11), dtype=np.int64)
    valid = level >= 0
    np.add.at(bins, (codes[valid], level[valid]), count[valid])
    missing = np.zeros(g, dtype=np.int64)
    np.add.at(missing, codes[~valid], count[~valid])
    return uniques.reset_index(drop=True), bins, missing


def row_counts(data: Any, keys: Sequence[str]) -> pd.DataFrame:
    """Rows per value of ``keys`` (missing values a group of their own): columns ``*keys, count``."""
    keys = list(keys)
    _require(data, keys)
    data = native(data)
    if isinstance(data, pd.DataFrame):
        out = data.groupby(keys, dropna=False, observed=True, sort=False).size().reset_index(name="count")
    else:
        nw = narwhals_module()
        out = collect_frame(_lazy(data).group_by(*keys).agg(nw.len().alias("count")))
    out["count"] = out["count"].astype(np.int64)
    return out[[*keys, "count"]]


def flag_levels(
    data: Any, score: str | None, group: str, *, invited: str | None = None, responded: str | None = None,
    file: str | None = None,
) -> pd.DataFrame:
    """One GROUP BY (arm, invited, responded, level): columns ``group, invited, responded, level, count``.

    ``invited``/``responded`` hold the raw values of those columns (``True`` where a column is not
    given); the caller reads them as yes/no (:func:`nps_analysis.analyses.balance.as_flags`) on
    this small table. The data check, the sample-ratio test and the response rates all come from it.
    Without ``score`` only rows are counted (``level`` is -1).
    """
    keys = list(dict.fromkeys([group, *[c for c in (invited, responded) if c]]))
    if score is None:  # arm sizes only (the sample-ratio check): no answers read
        levels = row_counts(data, keys).assign(level=MISSING_LEVEL)
    else:
        levels = answer_levels(data, score, keys, file=file)
    out = pd.DataFrame({"group": levels[group]})
    out["invited"] = levels[invited] if invited else True
    out["responded"] = levels[responded] if responded else True
    out["level"] = levels["level"]
    out["count"] = levels["count"]
    return out


def cluster_tables_by(data: Any, score: str, keys: Sequence[str], cluster: str) -> dict[tuple[Any, ...], pd.DataFrame]:
    """Per value of ``keys`` (e.g. segment and arm): detractors, passives, promoters and ``n`` per
    cluster, indexed by the sorted cluster labels (the table of
    :func:`nps_analysis.stats.clusters.cluster_counts`). One GROUP BY (keys, cluster, level);
    a responding row without a cluster label raises."""
    keys = list(keys)
    levels = answer_levels(data, score, [*keys, cluster])
    answered = levels[levels["level"] >= 0]
    unlabelled = int(answered.loc[answered[cluster].isna(), "count"].sum())
    if unlabelled:
        raise NPSInputError(f"{unlabelled} responding row(s) have no {cluster!r} label", column=cluster, count=unlabelled)
    level = answered["level"].to_numpy()
    cat = np.where(level >= PROMOTER_FROM, "promoters", np.where(level >= PASSIVE_FROM, "passives", "detractors"))
    index = [*keys, cluster]
    wide = answered.assign(_cat=cat).pivot_table(index=index, columns="_cat", values="count", aggfunc="sum",
                                                 fill_value=0, dropna=False, observed=True)
    wide = wide.reindex(columns=["detractors", "passives", "promoters"], fill_value=0).astype(np.int64)
    wide.columns.name = None
    wide["n"] = wide.sum(axis=1)
    wide = wide[wide["n"] > 0]
    out: dict[tuple[Any, ...], pd.DataFrame] = {}
    groups = wide.groupby(level=list(range(len(keys))), sort=False) if keys else [((), wide)]
    for key, part in groups:
        if keys:
            part = part.droplevel(list(range(len(keys))))
        labels, uniques = pd.factorize(part.index, sort=True)  # clusters sorted, as cluster_counts sorts them
        ordered = part.iloc[np.argsort(labels, kind="stable")]
        ordered.index = pd.Index(uniques, name=cluster)
        out[key if isinstance(key, tuple) else (key,)] = ordered
    return out


def distinct_values(data: Any, column: str) -> list[Any]:
    """The distinct non-missing values of one column, computed by the engine."""
    _require(data, [column])
    data = native(data)
    if isinstance(data, pd.DataFrame):
        return list(pd.unique(data[column].dropna()))
    nw = narwhals_module()
    frame = _lazy(data)
    # A GROUP BY, not narwhals' unique(): on DuckDB that is a window query holding the column (400 MiB at 10M rows).
    values = collect_frame(frame.group_by(column).agg(nw.len().alias("_n")))[column]
    return [v for v in values.tolist() if not pd.isna(v)]


def category_y(level: np.ndarray) -> np.ndarray:
    """-1 / 0 / +1 for detractor / passive / promoter levels."""
    return np.where(level >= PROMOTER_FROM, 1.0, np.where(level >= PASSIVE_FROM, 0.0, -1.0))


def covariate_profile(data: Any, score: str, covariates: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per covariate, among the responding rows: ``kind`` (numeric/text), ``levels`` (distinct
    values if integral numbers or text, else None), ``nulls`` (missing values), ``mean`` (numeric,
    of the non-missing values). One query; used to choose the exact pattern table or the moments.
    """
    nw = narwhals_module()
    data = native(data)
    frame = _lazy(data) if not isinstance(data, pd.DataFrame) else nw.from_native(data)
    schema = frame.collect_schema()
    rows = frame.with_columns(level_expr(score, schema[score])).filter(nw.col(LEVEL_COLUMN) >= 0)
    exprs = []
    kinds = {}
    for c in covariates:
        dtype = schema[c]
        numeric = dtype.is_numeric() or dtype == nw.Boolean
        kinds[c] = "numeric" if numeric else "text"
        exprs.append(nw.col(c).is_null().cast(nw.Int64).sum().alias(f"{c}__nulls"))
        if numeric:
            x = nw.col(c).cast(nw.Float64)
            exprs += [
                x.mean().alias(f"{c}__mean"), x.min().alias(f"{c}__min"), x.max().alias(f"{c}__max"),
                nw.when(x.is_null()).then(nw.lit(0)).otherwise((x != x.round(0)).cast(nw.Int64)).sum()
                .alias(f"{c}__fractional"),
            ]
        else:
            exprs.append(nw.col(c).n_unique().alias(f"{c}__distinct"))
    stats = collect_frame(rows.select(*exprs)).iloc[0] if exprs else pd.Series(dtype=float)
    out: dict[str, dict[str, Any]] = {}
    for c in covariates:
        nulls = int(stats[f"{c}__nulls"])
        if kinds[c] == "numeric":
            lo, hi, frac = stats[f"{c}__min"], stats[f"{c}__max"], stats[f"{c}__fractional"]
            integral = pd.notna(lo) and not (pd.notna(frac) and int(frac))
            levels = int(hi - lo) + 1 if integral else None
            mean = float(stats[f"{c}__mean"]) if pd.notna(stats[f"{c}__mean"]) else float("nan")
            out[c] = {"kind": "numeric", "levels": levels, "nulls": nulls, "mean": mean}
        else:
            out[c] = {"kind": "text", "levels": int(stats[f"{c}__distinct"]), "nulls": nulls, "mean": None}
    return out


def covariate_patterns(data: Any, score: str, keys: Sequence[str], covariates: Sequence[str]) -> pd.DataFrame:
    """Responding rows grouped by ``keys`` and the covariate values: ``*keys, *covariates, n, sum_y, sum_yy``.

    ``y`` is the -1/0/+1 NPS value. Rows sharing the arm and the covariate values share their row
    of a regression design, hence their leverage: this table is a lossless summary for least
    squares with the HC2 variance (see :mod:`nps_analysis.stats.cuped_tables`). A missing
    covariate value is a pattern of its own (the missing-covariate policy is applied afterwards).
    """
    keys, covariates = list(keys), list(covariates)
    _require(data, [score, *keys, *covariates])
    data = native(data)
    cols = list(dict.fromkeys([*keys, *covariates]))
    if isinstance(data, pd.DataFrame):
        parsed = parse_scores(data[score], column=score)
        keep = parsed.valid_mask
        frame = data.loc[keep, cols].copy()
        y = category_y(parsed.values[keep])
        frame["_y"], frame["_yy"] = y, y * y
        grouped = frame.groupby(cols, dropna=False, observed=True, sort=False)
        out = grouped.size().to_frame("n").join(grouped[["_y", "_yy"]].sum()).reset_index()
    else:
        nw = narwhals_module()
        frame = _lazy(data)
        schema = frame.collect_schema()
        lvl = nw.col(LEVEL_COLUMN)
        rows = frame.with_columns(level_expr(score, schema[score]))
        invalid = collect_frame(rows.filter(lvl == INVALID_LEVEL).select(nw.len().alias("n")))["n"].iloc[0]
        if int(invalid):
            raise NPSInputError(f"{int(invalid)} invalid score(s): expected whole numbers from 0 to 10",
                                column=score, count=int(invalid))
        y = nw.when(lvl >= PROMOTER_FROM).then(nw.lit(1.0)).otherwise(
            nw.when(lvl >= PASSIVE_FROM).then(nw.lit(0.0)).otherwise(nw.lit(-1.0)))
        wide = rows.filter(lvl >= 0).select(*cols, y.alias("_y"), (y * y).alias("_yy"))
        out = collect_frame(wide.group_by(*cols).agg(nw.len().alias("n"), nw.col("_y").sum(), nw.col("_yy").sum()))
    out = out.rename(columns={"_y": "sum_y", "_yy": "sum_yy"})
    out["n"] = out["n"].astype(np.int64)
    out["sum_y"] = out["sum_y"].astype(float)
    out["sum_yy"] = out["sum_yy"].astype(float)
    # A deterministic order (the engines return groups in any order); sums are exact integers.
    try:
        out = out.sort_values(cols, kind="stable", na_position="last")
    except TypeError:
        out = out.iloc[np.lexsort([out[c].astype(str).to_numpy() for c in reversed(cols)])]
    return out.reset_index(drop=True)


def with_filled_covariates(data: Any, fills: dict[str, float], indicators: Sequence[str]) -> Any:
    """The engine table with each covariate in ``fills`` filled where missing and a ``<c>_missing`` 0/1 column.

    Used by the moments path of ``missing_covariates="indicator"``; returns a native table.
    """
    nw = narwhals_module()
    frame = nw.from_native(native(data))
    exprs = []
    for c in indicators:
        exprs.append(nw.col(c).is_null().cast(nw.Float64).alias(f"{c}_missing"))
    for c, value in fills.items():
        exprs.append(nw.when(nw.col(c).is_null()).then(nw.lit(float(value))).otherwise(nw.col(c).cast(nw.Float64)).alias(c))
    return frame.with_columns(*exprs).to_native()


def without_missing(data: Any, columns: Sequence[str]) -> Any:
    """The table without rows missing any of ``columns`` (a native table)."""
    nw = narwhals_module()
    frame = nw.from_native(native(data))
    cond = None
    for c in columns:
        e = ~nw.col(c).is_null()
        cond = e if cond is None else cond & e
    return (frame.filter(cond) if cond is not None else frame).to_native()


__all__ = [
    "MAX_PATTERNS",
    "answer_levels",
    "category_y",
    "cluster_tables_by",
    "columns_of",
    "covariate_patterns",
    "covariate_profile",
    "distinct_values",
    "flag_levels",
    "is_table",
    "level_matrix",
    "native",
    "row_counts",
    "with_filled_covariates",
    "without_missing",
]
