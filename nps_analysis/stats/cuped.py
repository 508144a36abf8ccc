"""CUPED: the NPS difference adjusted for pre-experiment covariates (Deng et al. 2013).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..sources.errors import NPSInputError, describe_rows
from ..sources.results import ResultMixin
from ..sources.scores import parse_scores
from .difference import (
    ALTERNATIVES,
    MissingPolicy,
    category_value,
    normal_interval,
    normal_pvalue,
    z_score,
)
from .intervals import check_confidence_level


@dataclass(frozen=True)
class CupedResult(ResultMixin):
    """Treatment effect adjusted for pre-experiment covariates (CUPED, Deng et al. 2013).

    ``difference`` (points) is the adjusted effect; ``unadjusted_difference`` and
    ``unadjusted_se`` are the plain difference on the same rows, and ``variance_reduction`` is
    ``1 - se^2 / unadjusted_se^2`` (the share of the variance the covariates removed; a design
    needs ``1 - variance_reduction`` times the sample size for the same power).
    """

    difference: float
    ci_lower: float
    ci_upper: float
    pvalue: float
    se: float
    unadjusted_difference: float
    unadjusted_se: float
    variance_reduction: float
    theta: dict[str, float]
    covariates: tuple[str, ...]
    n_treatment: int
    n_control: int
    rows_dropped: int
    missing_covariates: str
    confidence_level: float
    alternative: str
    method: str = "cuped"


def cuped(
    treatment: pd.DataFrame,
    control: pd.DataFrame,
    *,
    covariates: Sequence[str],
    score: str = "score",
    confidence_level: float = 0.95,
    alternative: str = "two-sided",
    missing_covariates: MissingPolicy = "error",
) -> CupedResult:
    """NPS difference adjusted for pre-experiment covariates (CUPED).

    Source: Deng, Xu, Kohavi & Walker (2013), "Improving the sensitivity of online controlled
    experiments by utilizing pre-experiment data", WSDM. Each respondent's value ``Y`` (-1, 0,
    +1) is replaced by ``Y - (X - mean(X)) theta`` where ``theta`` is the least-squares slope of
    ``Y`` on the covariates ``X`` in the pooled data of both arms (one covariate:
    ``theta = cov(X, Y) / var(X)``; several: multiple regression, i.e. regression adjustment). The
    effect is the difference of the adjusted means (x 100 points); its standard error is
    ``sqrt(s_t^2 / n_t + s_c^2 / n_c)`` from the adjusted values' sample variances. The covariates
    must not be affected by the treatment (measure them before it starts); then the estimate is
    unbiased for any theta and its variance shrinks by the factor ``1 - rho^2`` (one covariate).
    The estimated theta's own uncertainty is ignored, as in the paper (negligible at survey n).

    Args:
        treatment, control: responding and non-responding rows; rows with a missing ``score`` are
            not responses and are left out. Numeric and boolean covariates enter as they are;
            text or categorical covariates enter as indicator columns (first level dropped).
        covariates: column names.
        missing_covariates: a missing covariate value among the responding rows raises
            :class:`NPSInputError` naming the rows (``"error"``, default); ``"drop"`` leaves those
            rows out of the adjusted estimate (the unadjusted figures here use the same rows);
            ``"indicator"`` fills a numeric covariate with its pooled mean and adds a 0/1
            "was missing" covariate (a categorical one gets a "missing" level).
    """
    check_cuped_options(covariates, missing_covariates, alternative, confidence_level)
    frames = []
    for role, frame in (("treatment", treatment), ("control", control)):
        if not isinstance(frame, pd.DataFrame):
            raise NPSInputError(
                f"covariate adjustment needs rows: pass {role} as a DataFrame with the score and covariate columns"
            )
        absent = [col for col in [score, *covariates] if col not in frame.columns]
        if absent:
            raise NPSInputError(
                f"{role}: missing column(s) {absent}; the columns are {list(map(str, frame.columns))}",
                column=absent[0],
            )
        parsed = parse_scores(frame[score], column=score)
        keep = parsed.valid_mask
        part = frame.loc[keep, list(covariates)].copy()
        part["__y"] = category_value(parsed.values[keep])
        part["__treatment"] = role == "treatment"
        frames.append(part)
    pooled = pd.concat(frames, axis=0)
    design, names, dropped_mask = design_matrix(pooled, list(covariates), missing_covariates)
    keep = ~dropped_mask
    y = pooled["__y"].to_numpy(dtype=float)[keep]
    is_t = pooled["__treatment"].to_numpy(dtype=bool)[keep]
    x = design[keep]
    if is_t.sum() < 2 or (~is_t).sum() < 2:
        raise ValueError("covariate adjustment needs at least two responding rows in each arm")
    core = cuped_core(y, x, is_t, confidence_level, alternative)
    return CupedResult(
        difference=core["difference"],
        ci_lower=core["ci_lower"],
        ci_upper=core["ci_upper"],
        pvalue=core["pvalue"],
        se=core["se"],
        unadjusted_difference=core["unadjusted_difference"],
        unadjusted_se=core["unadjusted_se"],
        variance_reduction=core["variance_reduction"],
        theta={name: float(v) for name, v in zip(names, core["theta"], strict=True)},
        covariates=tuple(covariates),
        n_treatment=int(is_t.sum()),
        n_control=int((~is_t).sum()),
        rows_dropped=int(dropped_mask.sum()),
        missing_covariates=missing_covariates,
        confidence_level=confidence_level,
        alternative=alternative,
    )


def check_cuped_options(covariates: Any, missing: str, alternative: str, confidence_level: float) -> None:
    if isinstance(covariates, str) or not covariates:
        raise ValueError(f"covariates must be a non-empty list of column names, got {covariates!r}")
    if missing not in ("error", "drop", "indicator"):
        raise ValueError(f"missing_covariates must be 'error', 'drop' or 'indicator', got {missing!r}")
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {', '.join(ALTERNATIVES)}, got {alternative!r}")
    check_confidence_level(confidence_level)


def design_matrix(
    pooled: pd.DataFrame, covariates: list[str], missing: str
) -> tuple[np.ndarray, list[str], np.ndarray]:
    columns: list[np.ndarray] = []
    names: list[str] = []
    dropped = np.zeros(len(pooled), dtype=bool)
    for col in covariates:
        values = pooled[col]
        is_na = values.isna().to_numpy()
        if is_na.any() and missing == "error":
            rows = [(idx, None) for idx in values.index[is_na][:20]]
            raise NPSInputError(
                f"{int(is_na.sum())} responding row(s) have no value for covariate {col!r} "
                f"({describe_rows(rows)}); pass missing_covariates='drop' or 'indicator'",
                column=col,
                rows=rows,
                count=int(is_na.sum()),
            )
        numeric = pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)
        if numeric:
            arr = values.to_numpy(dtype=float, na_value=np.nan)
            if np.isinf(arr).any():
                bad = values.index[np.isinf(arr)]
                raise NPSInputError(
                    f"covariate {col!r} has infinite values", column=col,
                    rows=[(i, float(values.loc[i])) for i in bad[:20]], count=len(bad),
                )
            if is_na.any() and missing == "indicator":
                fill = float(np.nanmean(arr)) if (~is_na).any() else 0.0
                columns.append(np.where(is_na, fill, arr))
                names.append(col)
                columns.append(is_na.astype(float))
                names.append(f"{col}_missing")
            else:
                columns.append(arr)
                names.append(col)
        else:
            labels = values.astype(object)
            if is_na.any() and missing == "indicator":
                labels = labels.where(~is_na, "missing")
            dummies = pd.get_dummies(labels.where(~labels.isna(), None), prefix=col, drop_first=True, dtype=float)
            for name in dummies.columns:
                columns.append(dummies[name].to_numpy())
                names.append(str(name))
        if missing == "drop":
            dropped |= is_na
    design = np.column_stack(columns) if columns else np.zeros((len(pooled), 0))
    return design, names, dropped


def cuped_core(
    y: np.ndarray, x: np.ndarray, is_t: np.ndarray, confidence_level: float, alternative: str
) -> dict[str, Any]:
    """CUPED on arrays: ``y`` (-1/0/+1), covariates ``x`` (n x k), the treatment mask."""
    x = x.reshape(len(y), -1)
    xc = x - x.mean(axis=0)
    yc = y - y.mean()
    theta = np.linalg.lstsq(xc, yc, rcond=None)[0] if x.shape[1] else np.zeros(0)
    adj = y - xc @ theta

    def diff_se(v: np.ndarray) -> tuple[float, float]:
        vt, vc = v[is_t], v[~is_t]
        d = 100.0 * (vt.mean() - vc.mean())
        se = 100.0 * math.sqrt(vt.var(ddof=1) / vt.size + vc.var(ddof=1) / vc.size)
        return float(d), se

    d_adj, se_adj = diff_se(adj)
    d_raw, se_raw = diff_se(y)
    lo, hi = normal_interval(d_adj, se_adj, confidence_level, alternative)
    return {
        "difference": d_adj,
        "se": se_adj,
        "ci_lower": lo,
        "ci_upper": hi,
        "pvalue": normal_pvalue(z_score(d_adj, se_adj), alternative),
        "unadjusted_difference": d_raw,
        "unadjusted_se": se_raw,
        "variance_reduction": 1.0 - se_adj**2 / se_raw**2 if se_raw > 0 else math.nan,
        "theta": theta,
    }
