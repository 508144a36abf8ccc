"""Aggregates computed where the data lives: the sums an analysis needs, not its rows.

Every function here takes a pandas frame or any table narwhals knows (Polars, PyArrow, a DuckDB
relation, a Spark DataFrame) and returns a small pandas frame with one row per group. The engine
validates the 0-10 answers exactly as :func:`nps_analysis.sources.engines.level_counts` does and
computes the sums; only the per-group results leave it. Analyses then work on these aggregates:

- :func:`score_moments`: per group, the count and the sums of the -1/0/+1 NPS value ``y``, of each
  covariate ``x_j`` and of all their cross-products (``y^2``, ``x_j y``, ``x_j x_k``): the
  sufficient statistics of a regression adjustment (CUPED/ANCOVA fits from ``X'X`` and ``X'y``).
- :func:`weighted_category_sums`: per group and NPS category, the number of answers, the sum of
  weights and the sum of squared weights (weighted shares and Kish's effective sample size).
- :func:`cluster_counts`: detractors, passives and promoters per arm and cluster (team, store,
  agent), the input of cluster-robust comparisons.

Rows with a missing answer are not responses and are left out (their number is in
``attrs["missing"]``); an invalid answer raises :class:`NPSInputError` as everywhere in the kit.
Covariates and weights must be numeric columns without missing values among the responses.
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
    lazy_frame,
    level_expr,
    narwhals_module,
)
from .errors import NPSInputError
from .scores import PASSIVE_FROM, PROMOTER_FROM

#: Name of the -1/0/+1 value column inside the engine.
_Y = "_nps_y_"


def _as_list(by: Sequence[str] | str | None) -> list[str]:
    return [by] if isinstance(by, str) else list(by or [])




def _sums(rows: Any, by: list[str], columns: dict[str, Any], counts: Sequence[str] = ("n",)) -> pd.DataFrame:
    """Per group of ``by``: the row count (as each name in ``counts``) and the sum of every
    expression in ``columns`` (name -> expression). The expressions become columns first, so
    every engine (PyArrow's group-by included) only sums plain columns."""
    nw = narwhals_module()
    wide = rows.select(*by, *[expr.alias(name) for name, expr in columns.items()])
    aggs = [nw.len().alias(name) for name in counts] + [nw.col(name).sum() for name in columns]
    return collect_frame(wide.group_by(*by).agg(*aggs) if by else wide.select(*aggs))


def _responses(frame: Any, score: str, columns: Sequence[str]) -> tuple[Any, int]:
    """Rows with an answer (levels 0..10) and a ``_nps_y_`` column; raises on invalid answers.

    Returns the filtered frame and the number of rows without an answer.
    """
    nw = narwhals_module()
    names = list(frame.collect_schema().names())
    absent = [c for c in dict.fromkeys([score, *columns]) if c not in names]
    if absent:
        raise NPSInputError(f"missing column(s) {absent}; the columns are {names}")
    level = level_expr(score, frame.collect_schema()[score])
    tally = collect_frame(frame.select(level).group_by(LEVEL_COLUMN).agg(nw.len().alias("n")))
    counts = dict(zip(tally[LEVEL_COLUMN].astype(int), tally["n"].astype(int), strict=True))
    if counts.get(INVALID_LEVEL):
        raise NPSInputError(
            f"{counts[INVALID_LEVEL]} invalid score(s): expected whole numbers from 0 to 10 "
            "(nps.counts or nps.load name the rows)",
            column=score,
            count=counts[INVALID_LEVEL],
        )
    lvl = nw.col(LEVEL_COLUMN)
    y = (
        nw.when(lvl >= PROMOTER_FROM).then(nw.lit(1.0))
        .otherwise(nw.when(lvl >= PASSIVE_FROM).then(nw.lit(0.0)).otherwise(nw.lit(-1.0)))
    )
    out = frame.with_columns(level).filter(lvl >= 0).with_columns(y.alias(_Y))
    return out, counts.get(MISSING_LEVEL, 0)


def _check_numeric(frame: Any, columns: Sequence[str], what: str) -> None:
    schema = frame.collect_schema()
    for col in columns:
        dtype = schema[col]
        if not (dtype.is_numeric() or dtype == narwhals_module().Boolean):
            raise NPSInputError(f"{what} {col!r} must be numeric, got {dtype}", column=col)


def _no_nulls(frame: Any, columns: Sequence[str], what: str) -> None:
    nw = narwhals_module()
    if not columns:
        return
    nulls = collect_frame(frame.select(*[nw.col(c).is_null().cast(nw.Int64).sum().alias(c) for c in columns]))
    bad = {c: int(nulls[c].iloc[0]) for c in columns if int(nulls[c].iloc[0])}
    if bad:
        col, n = next(iter(bad.items()))
        raise NPSInputError(f"{n} responding row(s) have no {what} value", column=col, count=n)


def _sorted(out: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    if by:
        try:
            out = out.sort_values(by, kind="stable", na_position="last")
        except TypeError:
            pass
    return out.reset_index(drop=True)


def score_moments(
    data: Any, score: str, by: Sequence[str] | str | None = None, *, covariates: Sequence[str] = ()
) -> pd.DataFrame:
    """Per group: ``n`` and the sums of ``y`` (-1/0/+1), ``y^2``, each covariate, and every product.

    Columns: the ``by`` columns, ``n``, ``sum_y``, ``sum_yy``, then for covariates ``x1 .. xk``
    ``sum_<x>``, ``sum_<x>_y`` and ``sum_<x>_<z>`` for every pair (``x`` before ``z`` in the given
    order, squares included). These are sufficient for least squares within and across groups:
    with the design ``[1, arm, X]`` the normal equations ``X'X b = X'y`` are sums of these cells,
    so CUPED/ANCOVA estimates need nothing else (Deng et al. 2013; Lin 2013 with interactions).
    Boolean covariates count as 0/1.
    """
    nw = narwhals_module()
    by = _as_list(by)
    covariates = list(covariates)
    frame = lazy_frame(data)
    rows, missing = _responses(frame, score, [*by, *covariates])
    _check_numeric(rows, covariates, "covariate")
    _no_nulls(rows, covariates, "covariate")
    x = {c: nw.col(c).cast(nw.Float64) for c in covariates}
    y = nw.col(_Y)
    columns: dict[str, Any] = {"sum_y": y, "sum_yy": y * y}
    for i, c in enumerate(covariates):
        columns[f"sum_{c}"] = x[c]
        columns[f"sum_{c}_y"] = x[c] * y
        for z in covariates[i:]:
            columns[f"sum_{c}_{z}"] = x[c] * x[z]
    out = _sums(rows, by, columns)
    out["n"] = out["n"].astype(np.int64)
    out = _sorted(out, by)
    out.attrs["missing"] = missing
    return out


def weighted_category_sums(
    data: Any, score: str, weights: str, by: Sequence[str] | str | None = None
) -> pd.DataFrame:
    """Per group: answers, weight sums and squared-weight sums of detractors, passives, promoters.

    Columns: the ``by`` columns, then for each category ``c`` in (detractors, passives,
    promoters) ``n_<c>``, ``w_<c>`` (sum of weights) and ``ww_<c>`` (sum of squared weights). The
    weighted NPS of a group is ``100 (w_promoters - w_detractors) / W`` with ``W`` the sum of all
    weights; Kish's effective sample size is ``W^2 / sum of squared weights`` (Kish 1965).
    Weights must be non-negative and finite. One pass over the rows: the engine groups by the
    ``by`` columns and the answer level, and the levels are folded into categories afterwards.
    """
    nw = narwhals_module()
    by = _as_list(by)
    frame = lazy_frame(data)
    names = list(frame.collect_schema().names())
    absent = [c for c in dict.fromkeys([score, *by, weights]) if c not in names]
    if absent:
        raise NPSInputError(f"missing column(s) {absent}; the columns are {names}")
    _check_numeric(frame, [weights], "weight")
    w = nw.col(weights).cast(nw.Float64)
    wide = frame.select(
        *by,
        level_expr(score, frame.collect_schema()[score]),
        nw.when(w.is_null()).then(nw.lit(0.0)).otherwise(w).alias("_w"),
        nw.when(w.is_null()).then(nw.lit(0.0)).otherwise(w * w).alias("_ww"),
        w.is_null().cast(nw.Int64).alias("_w_null"),
        nw.when(w.is_null()).then(nw.lit(0)).otherwise(((w < 0) | ~w.is_finite()).cast(nw.Int64)).alias("_w_bad"),
    )
    keys = [*by, LEVEL_COLUMN]
    cells = collect_frame(wide.group_by(*keys).agg(
        nw.len().alias("_n"), nw.col("_w").sum(), nw.col("_ww").sum(), nw.col("_w_null").sum(),
        nw.col("_w_bad").sum(),
    ))
    level = cells[LEVEL_COLUMN].astype(int)
    invalid = int(cells.loc[level == INVALID_LEVEL, "_n"].sum())
    if invalid:
        raise NPSInputError(
            f"{invalid} invalid score(s): expected whole numbers from 0 to 10 (nps.counts or nps.load name the rows)",
            column=score, count=invalid,
        )
    answered = cells[level >= 0].copy()
    if int(answered["_w_null"].sum()):
        n = int(answered["_w_null"].sum())
        raise NPSInputError(f"{n} responding row(s) have no weight value", column=weights, count=n)
    if int(answered["_w_bad"].sum()):
        raise NPSInputError(f"{int(answered['_w_bad'].sum())} weight(s) are negative or not finite", column=weights)
    lv = answered[LEVEL_COLUMN].astype(int)
    answered["_cat"] = np.where(lv >= PROMOTER_FROM, "promoters", np.where(lv >= PASSIVE_FROM, "passives", "detractors"))
    if by:
        table = answered.groupby([*by, "_cat"], dropna=False)[["_n", "_w", "_ww"]].sum().unstack("_cat", fill_value=0)
    else:
        table = answered.groupby("_cat")[["_n", "_w", "_ww"]].sum().stack().to_frame().T
    out = pd.DataFrame(index=table.index)
    for name in ("detractors", "passives", "promoters"):
        for prefix, col in (("n", "_n"), ("w", "_w"), ("ww", "_ww")):
            out[f"{prefix}_{name}"] = table[(col, name)] if (col, name) in table.columns else 0
    out = out.reset_index(drop=not by) if by else out.reset_index(drop=True)
    for name in ("detractors", "passives", "promoters"):
        out[f"n_{name}"] = out[f"n_{name}"].astype(np.int64)
        out[f"w_{name}"] = out[f"w_{name}"].astype(float)
        out[f"ww_{name}"] = out[f"ww_{name}"].astype(float)
    out.columns.name = None
    out = _sorted(out, by)
    out.attrs["missing"] = int(cells.loc[level == MISSING_LEVEL, "_n"].sum())
    return out


def cluster_counts(data: Any, score: str, arm: str, cluster: str) -> pd.DataFrame:
    """Detractors, passives, promoters and ``n`` per arm and cluster, counted by the engine.

    A cluster (team, store, agent) found in two arms is an error: cluster-robust methods assume
    whole clusters were assigned.
    """
    nw = narwhals_module()
    frame = lazy_frame(data)
    rows, missing = _responses(frame, score, [arm, cluster])
    y = nw.col(_Y)
    columns = {
        "detractors": (y == -1.0).cast(nw.Int64),
        "passives": (y == 0.0).cast(nw.Int64),
        "promoters": (y == 1.0).cast(nw.Int64),
    }
    out = _sums(rows, [arm, cluster], columns)
    out = out[[arm, cluster, "detractors", "passives", "promoters", "n"]]
    for col in ("detractors", "passives", "promoters", "n"):
        out[col] = out[col].astype(np.int64)
    arms_per_cluster = out.groupby(cluster, dropna=False)[arm].nunique()
    crossed = arms_per_cluster[arms_per_cluster > 1]
    if len(crossed):
        raise NPSInputError(
            f"{len(crossed)} cluster(s) of {cluster!r} hold answers of more than one arm of {arm!r} "
            f"(e.g. {crossed.index[0]!r}): cluster methods need whole clusters assigned to one arm",
            column=cluster,
        )
    out = _sorted(out, [arm, cluster])
    out.attrs["missing"] = missing
    return out


__all__ = ["cluster_counts", "score_moments", "weighted_category_sums"]
