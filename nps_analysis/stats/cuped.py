"""CUPED: the NPS difference adjusted for pre-experiment covariates, fitted with the arm in the model.

Deng et al. (2013)'s idea with Lin's (2013) regression (ANCOVA at small n) and an HC2 variance.
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
    DIFFERENCE_BOUND,
    MissingPolicy,
    category_value,
    clip_difference,
)
from .intervals import check_confidence_level


@dataclass(frozen=True)
class CupedResult(ResultMixin):
    """Treatment effect adjusted for pre-experiment covariates, with the arm in the model.

    ``difference`` (points) is the adjusted effect (Lin 2013 regression with interactions, or
    ANCOVA at small n: ``estimator``); ``unadjusted_difference`` and ``unadjusted_se`` are the
    plain difference on the same rows; ``variance_reduction`` is the adjusted-R^2 share of the
    within-arm variance the covariates explain (a design needs about ``1 - variance_reduction``
    times the sample size for the same power; noise covariates give about 0, possibly negative).
    ``population`` says which answers the estimate describes: all responding answers, or, with
    ``missing_covariates="drop"``, only those with every covariate (a different estimand when
    the change affects the others differently). ``theta``: the covariate slopes (common slopes
    for ANCOVA, the control arm's for Lin). ``df``: residual degrees of freedom of the t interval.
    ``variance``: ``"HC2"`` (rows, or the exact per-pattern table) or ``"arm-residual"`` (from
    per-arm moments on tables with too many distinct covariate values; see
    :mod:`nps_analysis.stats.cuped_tables`).
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
    estimator: str = "lin"
    population: str = "all responding answers"
    df: int | None = None
    variance: str = "HC2"


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
    """NPS difference adjusted for pre-experiment covariates (CUPED, fitted with the arm in the model).

    Sources: Deng, Xu, Kohavi & Walker (2013), "Improving the sensitivity of online controlled
    experiments by utilizing pre-experiment data", WSDM (the idea: remove the part of ``Y`` that
    pre-experiment covariates predict); Lin (2013), "Agnostic notes on regression adjustments to
    experimental data", *Annals of Applied Statistics* 7(1):295-318 (how: regress the -1/0/+1
    value on ``1, T, Xc, T Xc`` with covariates centred at their pooled mean; the coefficient of
    ``T`` x 100 is the effect, with the HC2 robust variance and a ``t(n - p)`` interval). Fitting
    the slope on pooled outcomes *without* the arm, as CUPED's one-covariate formula does, lets
    the slope absorb part of the effect, about ``covariates / n`` of it: at 20 vs 20 answers and
    10 covariates a +30 effect came out +22 (docs/validation.md); with the arm in the model it
    does not.

    Small-sample rule: Lin's interactions fit one slope per covariate column and arm, so they are
    used when each arm has at least ``10 x (columns + 1)`` answers; below that the common-slope
    ANCOVA ``Y ~ 1 + T + Xc`` (Yang & Tsiatis 2001) is used (``estimator`` says which); a model
    with no residual degrees of freedom is refused. ``variance_reduction`` is the adjusted R^2
    of the covariates within arms, so noise covariates cannot fake a gain (they give about 0).
    The covariates must not be affected by the treatment (measure them before it starts).

    Args:
        treatment, control: responding and non-responding rows; rows with a missing ``score`` are
            not responses and are left out. Numeric and boolean covariates enter as they are;
            text or categorical covariates enter as indicator columns (first level dropped).
        covariates: column names.
        missing_covariates: a missing covariate value among the responding rows raises
            :class:`NPSInputError` naming the rows (``"error"``, default); ``"indicator"``
            (recommended: the notebooks use it) fills a numeric covariate with its pooled mean and
            adds a 0/1 "was missing" covariate (a categorical one gets a "missing" level), so the
            estimate still describes every answer; ``"drop"`` leaves those rows out, so the
            estimate describes only the answers with every covariate (``population`` says so; if
            the change helps the others more, it misses that: docs/validation.md).
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
    dropped = int(dropped_mask.sum())
    population = (
        f"only the {int(keep.sum())} answers with every covariate ({dropped} answer(s) without one left out by "
        "missing_covariates='drop'): the effect among them, not among all answers"
        if dropped
        else "all responding answers"
    )
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
        rows_dropped=dropped,
        missing_covariates=missing_covariates,
        confidence_level=confidence_level,
        alternative=alternative,
        estimator=core["estimator"],
        population=population,
        df=core["df"],
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
                f"({describe_rows(rows)}); pass missing_covariates='indicator' to keep every answer "
                "(a was-missing indicator; 'drop' would estimate the effect among answers with the covariate only)",
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
    """Adjusted effect on arrays: ``y`` (-1/0/+1), covariates ``x`` (n x k), the treatment mask.

    :func:`nps_analysis.stats.ancova.adjusted_effect` (Lin or ANCOVA by the small-sample rule,
    HC2 variance); interval and p-value from ``t(n - p)``.
    """
    from .ancova import adjusted_effect

    x = x.reshape(len(y), -1)
    return cuped_fields(adjusted_effect(y, x, is_t), confidence_level, alternative)


def cuped_fields(fit: Any, confidence_level: float, alternative: str) -> dict[str, Any]:
    """Interval, p-value and the reported numbers (points) of an :class:`~nps_analysis.stats.ancova.AdjustedEffect`.

    ``estimate +/- t_(df) se`` (one-sided: one bound at +/-200), ``t = estimate / se``.
    """
    from scipy.stats import t as student_t

    d_adj, se_adj = 100.0 * float(fit.estimate), 100.0 * float(fit.se)
    df = int(fit.df)
    level = confidence_level if alternative == "two-sided" else 2 * confidence_level - 1
    q = float(student_t.isf((1 - level) / 2, df))
    lo, hi = clip_difference(d_adj - q * se_adj), clip_difference(d_adj + q * se_adj)
    if alternative == "greater":
        hi = DIFFERENCE_BOUND
    elif alternative == "less":
        lo = -DIFFERENCE_BOUND
    tstat = d_adj / se_adj if se_adj > 0 else (0.0 if d_adj == 0 else math.copysign(math.inf, d_adj))
    if alternative == "two-sided":
        pvalue = float(2 * student_t.sf(abs(tstat), df))
    elif alternative == "greater":
        pvalue = float(student_t.sf(tstat, df))
    else:
        pvalue = float(student_t.cdf(tstat, df))
    return {
        "difference": d_adj,
        "se": se_adj,
        "ci_lower": lo,
        "ci_upper": hi,
        "pvalue": pvalue,
        "unadjusted_difference": 100.0 * float(fit.unadjusted),
        "unadjusted_se": 100.0 * float(fit.unadjusted_se),
        "variance_reduction": float(fit.variance_reduction),
        "theta": np.asarray(fit.slopes, dtype=float),
        "estimator": fit.estimator,
        "df": df,
    }
