"""CUPED / ANCOVA from aggregates: the exact per-pattern table (HC2) or per-arm moments.

Two aggregates give the covariate-adjusted effect without the rows:

- **Patterns** (:func:`nps_analysis.sources.arm_counts.covariate_patterns`): the responding rows
  grouped by arm and covariate values, with ``n``, ``sum y`` and ``sum y^2``. Rows of one pattern
  share their design row, so they share their leverage ``h``; the HC2 meat
  ``sum_i e_i^2 / (1 - h_i) d_i d_i'`` is ``sum_g RSS_g / (1 - h_g) d_g d_g'`` with
  ``RSS_g = sum y^2 - 2 mu_g sum y + n_g mu_g^2``. The estimate, HC2 variance, slopes and variance
  reduction are those of the rows (:func:`nps_analysis.stats.ancova.adjusted_effect`) to
  rounding. Used whenever the covariates take few values (a prior 0-10 answer, categories):
  at most :data:`~nps_analysis.sources.arm_counts.MAX_PATTERNS` cells.
- **Moments** (:func:`nps_analysis.sources.aggregates.score_moments`): per arm ``n``, the sums of
  ``y``, ``y^2``, ``x_j``, ``x_j y`` and ``x_j x_k``: enough for the least-squares fit (the point
  estimate is exact), not for HC2, whose leverages are not functions of moments. The variance is
  then ``"arm-residual"``: each arm's own residual variance ``s_a^2 = RSS_a / (n_a - q_a)`` in the
  sandwich ``A^-1 (sum_a s_a^2 D_a'D_a) A^-1`` (``q_a = k + 1`` for Lin's interacted model, which
  makes it ``s_t^2 [(Z_t'Z_t)^-1]_00 + s_c^2 [(Z_c'Z_c)^-1]_00``, the variance of the two arms'
  fitted means at the pooled covariate mean; ``q_a = 1 + k n_a / n`` for common slopes). It is
  the HC variance when the residual variance is constant within each arm, and it differs from
  HC2 by O(1/n) otherwise (Lin 2013, section 5; coverage in docs/validation.md, cuped-moments).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..sources.errors import NPSInputError
from .ancova import AdjustedEffect, choose_estimator
from .cuped import CupedResult, check_cuped_options, cuped_fields


def _design(patterns: pd.DataFrame, covariates: Sequence[str], missing: str) -> tuple[np.ndarray, list[str], np.ndarray]:
    """The design columns of each pattern (as :func:`nps_analysis.stats.cuped.design_matrix` builds
    them for rows, the indicator fill being the answer-weighted mean) and the dropped patterns."""
    n = patterns["n"].to_numpy(dtype=float)
    columns: list[np.ndarray] = []
    names: list[str] = []
    dropped = np.zeros(len(patterns), dtype=bool)
    for col in covariates:
        values = patterns[col]
        is_na = values.isna().to_numpy()
        if is_na.any() and missing == "error":
            count = int(n[is_na].sum())
            raise NPSInputError(
                f"{count} responding row(s) have no value for covariate {col!r}; pass "
                "missing_covariates='indicator' to keep every answer (a was-missing indicator; 'drop' "
                "would estimate the effect among answers with the covariate only)",
                column=col, count=count,
            )
        numeric = pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)
        if numeric:
            arr = values.to_numpy(dtype=float, na_value=np.nan)
            if np.isinf(arr).any():
                raise NPSInputError(f"covariate {col!r} has infinite values", column=col,
                                    count=int(n[np.isinf(arr)].sum()))
            if is_na.any() and missing == "indicator":
                fill = float(np.sum(np.where(is_na, 0.0, arr) * n) / n[~is_na].sum()) if (~is_na).any() else 0.0
                columns += [np.where(is_na, fill, arr), is_na.astype(float)]
                names += [col, f"{col}_missing"]
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
    design = np.column_stack(columns) if columns else np.zeros((len(patterns), 0))
    return design, names, dropped


def effect_from_patterns(
    x: np.ndarray, treated: np.ndarray, n: np.ndarray, sum_y: np.ndarray, sum_yy: np.ndarray,
    *, estimator: str | None = None,
) -> AdjustedEffect:
    """:func:`nps_analysis.stats.ancova.adjusted_effect` on patterns: the same fit and HC2 variance.

    Args:
        x: covariate columns of each pattern (g x k); treated: the arm of each pattern;
        n, sum_y, sum_yy: rows, sums of ``y`` and of ``y^2`` per pattern.
    """
    x = np.asarray(x, dtype=float).reshape(len(n), -1)
    t = np.asarray(treated, dtype=bool)
    n = np.asarray(n, dtype=float)
    sy, syy = np.asarray(sum_y, dtype=float), np.asarray(sum_yy, dtype=float)
    n_t, n_c = int(n[t].sum()), int(n[~t].sum())
    total = n_t + n_c
    k = x.shape[1]
    if n_t < 2 or n_c < 2:
        raise ValueError("covariate adjustment needs at least two answers in each arm")
    estimator = estimator or choose_estimator(n_t, n_c, k)
    tf = t.astype(float)
    xc = x - (n[:, None] * x).sum(axis=0) / total
    parts = [np.ones((len(n), 1)), tf[:, None], xc]
    if estimator == "lin":
        parts.append(tf[:, None] * xc)
    d = np.concatenate(parts, axis=1)
    p = d.shape[1]
    if total - p < 1:
        raise ValueError(f"{total} answers cannot support {estimator} with {k} covariate column(s) ({p} parameters); "
                         "use fewer covariates")
    xtx_inv = np.linalg.pinv(d.T @ (n[:, None] * d))
    beta = xtx_inv @ (d.T @ sy)
    mu = d @ beta
    rss_g = syy - 2.0 * mu * sy + n * mu * mu
    lev = np.einsum("gi,ij,gj->g", d, xtx_inv, d)
    w = rss_g / np.clip(1.0 - lev, 1e-12, None)
    cov = xtx_inv @ (d.T @ (w[:, None] * d)) @ xtx_inv
    unadjusted, unadjusted_se, ss = _unadjusted(t, n, sy, syy)
    rss = float(rss_g.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        vr = 1.0 - (rss / (total - p)) / (ss / (total - 2))
    return AdjustedEffect(
        estimate=np.float64(beta[1]), se=np.float64(np.sqrt(max(cov[1, 1], 0.0))), df=int(total - p),
        unadjusted=np.float64(unadjusted), unadjusted_se=np.float64(unadjusted_se), variance_reduction=np.float64(vr),
        estimator=estimator, slopes=beta[2:2 + k],
    )


def _unadjusted(t: np.ndarray, n: np.ndarray, sy: np.ndarray, syy: np.ndarray) -> tuple[float, float, float]:
    """Difference of means, its Welch-type standard error and the within-arm sum of squares."""
    out = []
    for arm in (t, ~t):
        m, s, ss2 = n[arm].sum(), sy[arm].sum(), syy[arm].sum()
        out.append((m, s / m, ss2 - s * s / m))
    (nt, mt, sst), (nc, mc, ssc) = out
    se = float(np.sqrt(sst / (nt - 1) / nt + ssc / (nc - 1) / nc))
    return float(mt - mc), se, float(sst + ssc)


def effect_from_moments(arms: Sequence[dict[str, Any]], *, estimator: str | None = None) -> AdjustedEffect:
    """Lin's / the common-slope regression from per-arm moments, with the ``"arm-residual"`` variance.

    Args:
        arms: treatment then control, each ``{"n", "sy", "syy", "sx" (k,), "sxy" (k,), "sxx" (k x k)}``
            (the sums of :func:`nps_analysis.sources.aggregates.score_moments`).
        estimator: ``"lin"``, ``"ancova"`` or ``None`` (:func:`choose_estimator`).

    The fit is the least-squares fit of the rows (normal equations are sums of these cells);
    the variance is described in the module docstring.
    """
    n = np.array([float(a["n"]) for a in arms])
    n_t, n_c = int(n[0]), int(n[1])
    total = n.sum()
    k = len(arms[0]["sx"])
    if n_t < 2 or n_c < 2:
        raise ValueError("covariate adjustment needs at least two answers in each arm")
    estimator = estimator or choose_estimator(n_t, n_c, k)
    xbar = (np.asarray(arms[0]["sx"], float) + np.asarray(arms[1]["sx"], float)) / total
    zz, zy, syy = [], [], []
    for a in arms:
        sx, sxy, sxx = (np.asarray(a[key], float) for key in ("sx", "sxy", "sxx"))
        m, sy = float(a["n"]), float(a["sy"])
        cx = sx - m * xbar  # sums of the centred covariates
        cxx = sxx - np.outer(xbar, sx) - np.outer(sx, xbar) + m * np.outer(xbar, xbar)
        block = np.empty((k + 1, k + 1))
        block[0, 0], block[0, 1:], block[1:, 0], block[1:, 1:] = m, cx, cx, cxx
        zz.append(block)
        zy.append(np.concatenate([[sy], sxy - xbar * sy]))
        syy.append(float(a["syy"]))
    # Each arm's design rows are M_a z with z = [1, x - xbar]: [1, T, xc] (ancova) or [1, T, xc, T xc] (lin).
    maps = []
    for treated in (1.0, 0.0):
        eye = np.eye(k + 1)
        rows = [eye[0], treated * eye[0], *eye[1:]]
        if estimator == "lin":
            rows += list(treated * eye[1:])
        maps.append(np.array(rows))
    p = maps[0].shape[0]
    if total - p < 1:
        raise ValueError(f"{int(total)} answers cannot support {estimator} with {k} covariate column(s)")
    xtx = sum(m @ b @ m.T for m, b in zip(maps, zz, strict=True))
    xty = sum(m @ v for m, v in zip(maps, zy, strict=True))
    xtx_inv = np.linalg.pinv(xtx)
    beta = xtx_inv @ xty
    meat = np.zeros_like(xtx)
    rss = 0.0
    for m, b, v, s2, n_a in zip(maps, zz, zy, syy, n, strict=True):
        g = m.T @ beta  # the arm's coefficients on z
        rss_a = max(s2 - 2.0 * g @ v + g @ b @ g, 0.0)
        rss += rss_a
        q_a = k + 1.0 if estimator == "lin" else 1.0 + k * n_a / total
        meat += rss_a / max(n_a - q_a, 1.0) * (m @ b @ m.T)
    cov = xtx_inv @ meat @ xtx_inv
    t = np.array([True, False])
    unadjusted, unadjusted_se, ss = _unadjusted(t, n, np.array([float(a["sy"]) for a in arms]), np.array(syy))
    with np.errstate(divide="ignore", invalid="ignore"):
        vr = 1.0 - (rss / (total - p)) / (ss / (total - 2))
    return AdjustedEffect(
        estimate=np.float64(beta[1]), se=np.float64(np.sqrt(max(cov[1, 1], 0.0))), df=int(total - p),
        unadjusted=np.float64(unadjusted), unadjusted_se=np.float64(unadjusted_se), variance_reduction=np.float64(vr),
        estimator=estimator, slopes=beta[2:2 + k],
    )


def _result(fit: AdjustedEffect, fields: dict[str, Any], names: list[str], covariates: Sequence[str], *,
            n_t: int, n_c: int, dropped: int, missing: str, confidence_level: float, alternative: str,
            variance: str) -> CupedResult:
    population = (
        f"only the {n_t + n_c} answers with every covariate ({dropped} answer(s) without one left out by "
        "missing_covariates='drop'): the effect among them, not among all answers"
        if dropped else "all responding answers"
    )
    return CupedResult(
        difference=fields["difference"], ci_lower=fields["ci_lower"], ci_upper=fields["ci_upper"],
        pvalue=fields["pvalue"], se=fields["se"], unadjusted_difference=fields["unadjusted_difference"],
        unadjusted_se=fields["unadjusted_se"], variance_reduction=fields["variance_reduction"],
        theta={name: float(v) for name, v in zip(names, fields["theta"], strict=True)},
        covariates=tuple(covariates), n_treatment=n_t, n_control=n_c, rows_dropped=dropped,
        missing_covariates=missing, confidence_level=confidence_level, alternative=alternative,
        estimator=fields["estimator"], population=population, df=fields["df"], variance=variance,
    )


def cuped_from_patterns(
    treatment: pd.DataFrame,
    control: pd.DataFrame,
    *,
    covariates: Sequence[str],
    confidence_level: float = 0.95,
    alternative: str = "two-sided",
    missing_covariates: str = "error",
) -> CupedResult:
    """:func:`nps_analysis.stats.cuped.cuped` from each arm's pattern table (exact, HC2).

    Args:
        treatment, control: :func:`nps_analysis.sources.arm_counts.covariate_patterns` of each
            arm (columns: the covariates, ``n``, ``sum_y``, ``sum_yy``).
        missing_covariates: ``"error"``, ``"indicator"`` or ``"drop"``, as in ``cuped``.
    """
    check_cuped_options(covariates, missing_covariates, alternative, confidence_level)
    pooled = pd.concat([treatment.assign(_t=True), control.assign(_t=False)], ignore_index=True)
    x, names, dropped_mask = _design(pooled, list(covariates), missing_covariates)
    keep = ~dropped_mask
    part = pooled.loc[keep]
    fit = effect_from_patterns(x[keep], part["_t"].to_numpy(bool), part["n"].to_numpy(), part["sum_y"].to_numpy(),
                               part["sum_yy"].to_numpy())
    n = part["n"].to_numpy()
    t = part["_t"].to_numpy(bool)
    return _result(fit, cuped_fields(fit, confidence_level, alternative), names, covariates,
                   n_t=int(n[t].sum()), n_c=int(n[~t].sum()), dropped=int(pooled.loc[dropped_mask, "n"].sum()),
                   missing=missing_covariates, confidence_level=confidence_level, alternative=alternative,
                   variance="HC2")


def moments_of(row: pd.Series | dict[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """One arm's moments in the shape :func:`effect_from_moments` takes, from a ``score_moments`` row."""
    k = len(names)
    sxx = np.empty((k, k))
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            key = f"sum_{a}_{b}" if i <= j else f"sum_{b}_{a}"
            sxx[i, j] = float(row[key])
    return {
        "n": int(row["n"]), "sy": float(row["sum_y"]), "syy": float(row["sum_yy"]),
        "sx": np.array([float(row[f"sum_{c}"]) for c in names]),
        "sxy": np.array([float(row[f"sum_{c}_y"]) for c in names]), "sxx": sxx,
    }


def cuped_from_moments(
    treatment: pd.Series | dict[str, Any],
    control: pd.Series | dict[str, Any],
    *,
    names: Sequence[str],
    covariates: Sequence[str],
    confidence_level: float = 0.95,
    alternative: str = "two-sided",
    missing_covariates: str = "error",
    dropped: int = 0,
) -> CupedResult:
    """The adjusted effect from each arm's ``score_moments`` row (exact estimate, ``"arm-residual"`` variance).

    Args:
        names: the design columns whose sums the rows hold (the covariates, plus ``<c>_missing``
            indicators with ``missing_covariates="indicator"``).
        dropped: answers left out by ``missing_covariates="drop"`` (reported in ``population``).
    """
    check_cuped_options(covariates, missing_covariates, alternative, confidence_level)
    arms = [moments_of(treatment, names), moments_of(control, names)]
    fit = effect_from_moments(arms)
    return _result(fit, cuped_fields(fit, confidence_level, alternative), list(names), covariates,
                   n_t=arms[0]["n"], n_c=arms[1]["n"], dropped=dropped, missing=missing_covariates,
                   confidence_level=confidence_level, alternative=alternative, variance="arm-residual")


class CovariateSums:
    """The covariate aggregate of a comparison family: patterns (exact HC2) or moments, per key.

    Build it with :meth:`compute`; :meth:`cuped` gives the adjusted effect of two keys (a key is a
    tuple of the values of ``keys``, e.g. ``(segment, arm)``).
    """

    def __init__(self, kind: str, table: pd.DataFrame, keys: list[str], covariates: list[str], missing: str,
                 names: list[str] | None = None, answered: pd.DataFrame | None = None) -> None:
        self.kind, self.table, self.keys, self.covariates, self.missing = kind, table, keys, covariates, missing
        self.names = names or []
        self.answered = answered
        self._index = {tuple(_plain(v) for v in key): part for key, part in (
            table.groupby(keys, dropna=False, sort=False) if keys else [((), table)])}

    @classmethod
    def compute(cls, data: Any, score: str, keys: Sequence[str], covariates: Sequence[str], *, missing: str = "error",
                max_patterns: int | None = None, cells: int | None = None) -> CovariateSums:
        """Fetch the patterns when their number is bounded by ``max_patterns`` (default
        :data:`~nps_analysis.sources.arm_counts.MAX_PATTERNS`: covariates all integral numbers or
        text, the product of their value counts times the keys' cells), else the moments.
        ``cells``: the number of distinct ``keys`` values when the caller knows it (else counted)."""
        from ..sources import aggregates
        from ..sources.arm_counts import (
            MAX_PATTERNS,
            covariate_patterns,
            covariate_profile,
            distinct_values,
            with_filled_covariates,
            without_missing,
        )
        from ..sources.tables import native

        data = native(data)
        keys, covariates = list(keys), list(covariates)
        limit = MAX_PATTERNS if max_patterns is None else int(max_patterns)
        profile = covariate_profile(data, score, covariates)
        if cells is None:
            cells = 1
            for k in keys:
                cells *= max(len(distinct_values(data, k)), 1) + 1
        bound: float = max(int(cells), 1)
        for c in covariates:
            levels = profile[c]["levels"]
            bound = bound * (levels + (1 if profile[c]["nulls"] else 0)) if levels is not None else float("inf")
        if bound <= limit:
            return cls("patterns", covariate_patterns(data, score, keys, covariates), keys, covariates, missing)
        text = [c for c in covariates if profile[c]["kind"] != "numeric"]
        if text:
            raise NPSInputError(
                f"text covariate(s) {text} with more than {limit} distinct covariate patterns: the moments a "
                "large table is adjusted from need numeric covariates (code the categories as 0/1 columns)",
                column=text[0],
            )
        with_nulls = [c for c in covariates if profile[c]["nulls"]]
        if with_nulls and missing == "error":
            c = with_nulls[0]
            raise NPSInputError(
                f"{profile[c]['nulls']} responding row(s) have no value for covariate {c!r}; pass "
                "missing_covariates='indicator' to keep every answer", column=c, count=profile[c]["nulls"],
            )
        names = list(covariates)
        answered = None
        source = data
        if with_nulls and missing == "indicator":
            source = with_filled_covariates(data, {c: profile[c]["mean"] for c in with_nulls}, with_nulls)
            names = [n for c in covariates for n in ([c, f"{c}_missing"] if c in with_nulls else [c])]
        elif with_nulls and missing == "drop":
            answered = aggregates.score_moments(data, score, keys)
            source = without_missing(data, with_nulls)
        moments = aggregates.score_moments(source, score, keys, covariates=names)
        return cls("moments", moments, keys, covariates, missing, names=names, answered=answered)

    def cuped(self, treatment_key: tuple[Any, ...], control_key: tuple[Any, ...], *, confidence_level: float,
              alternative: str) -> CupedResult:
        t = self._index.get(tuple(_plain(v) for v in treatment_key))
        c = self._index.get(tuple(_plain(v) for v in control_key))
        if t is None or c is None:
            raise ValueError("covariate adjustment needs at least two responding rows in each arm")
        options = dict(covariates=self.covariates, confidence_level=confidence_level, alternative=alternative,
                       missing_covariates=self.missing)
        if self.kind == "patterns":
            return cuped_from_patterns(t, c, **options)
        dropped = 0
        if self.answered is not None:
            index = {tuple(_plain(v) for v in key): int(part["n"].sum())
                     for key, part in self.answered.groupby(self.keys, dropna=False, sort=False)}
            dropped = sum(index.get(tuple(_plain(v) for v in key), 0) for key in (treatment_key, control_key)) - int(
                t["n"].iloc[0] + c["n"].iloc[0])
        return cuped_from_moments(t.iloc[0], c.iloc[0], names=self.names, dropped=dropped, **options)


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA or value is pd.NaT:
        return None
    return value.item() if isinstance(value, np.generic) else value


__all__ = ["CovariateSums", "cuped_from_moments", "cuped_from_patterns", "effect_from_moments", "effect_from_patterns", "moments_of"]
