"""Row-level tests on the raw 0-10 answers: Mann-Whitney, proportional odds and chi-square.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..sources.results import ResultMixin
from ..sources.scores import parse_scores
from .difference import ALTERNATIVES, normal_pvalue
from .intervals import check_confidence_level
from .scoring import NPSCounts


@dataclass(frozen=True)
class MannWhitneyResult(ResultMixin):
    """Mann-Whitney U test on the 0-10 answers (all eleven levels, ties by mid-ranks).

    ``statistic`` is U of the treatment sample; ``prob_superiority`` = U / (n_t n_c), the
    probability that a random treatment answer is higher than a random control answer, ties
    counting one half (0.5 = no shift).
    """

    statistic: float
    pvalue: float
    prob_superiority: float
    alternative: str
    note: str | None = None


@dataclass(frozen=True)
class OrdinalResult(ResultMixin):
    """Proportional-odds (cumulative logit) model of the 0-10 answer on the treatment indicator.

    ``odds_ratio`` > 1: treatment answers are higher (the odds of answering above any cut-point are
    multiplied by ``odds_ratio``). The interval and p-value are Wald, on the log odds ratio.
    """

    odds_ratio: float
    ci_lower: float
    ci_upper: float
    pvalue: float
    log_odds_ratio: float
    se: float
    confidence_level: float
    alternative: str
    converged: bool
    note: str | None = None


@dataclass(frozen=True)
class ChiSquareResult(ResultMixin):
    """Pearson chi-square test of independence on the 2 x 3 table (arm x category), no Yates."""

    statistic: float
    dof: int
    pvalue: float
    note: str | None = None


@dataclass(frozen=True)
class RowTests(ResultMixin):
    """Row-level tests that use every answer level (only when raw scores were given)."""

    mann_whitney: MannWhitneyResult
    ordinal: OrdinalResult
    chi_square: ChiSquareResult


def row_level_tests(
    treatment: Sequence[Any] | np.ndarray | pd.Series,
    control: Sequence[Any] | np.ndarray | pd.Series,
    *,
    alternative: str = "two-sided",
    confidence_level: float = 0.95,
) -> RowTests:
    """Tests on the raw 0-10 answers that use all eleven levels.

    - Mann-Whitney U (Mann & Whitney 1947), ``scipy.stats.mannwhitneyu`` with the tie-corrected
      normal approximation when there are ties (always, on an 11-point scale).
    - Proportional-odds cumulative logit (McCullagh 1980), ``statsmodels`` ``OrderedModel`` with
      the treatment indicator as the only regressor: ``logit P(Y > j) = beta T - tau_j``; the odds
      ratio is ``exp(beta)`` with a Wald interval ``exp(beta +/- z se)``. The model is fitted on the
      2 x 11 table with frequency weights, which gives the same MLE as the rows at any n.
    - Pearson chi-square on the 2 x 3 table of categories (``scipy.stats.chi2_contingency``, no
      Yates correction); categories absent from both groups are dropped. Always two-sided.

    Degenerate data never raise: a test that cannot be computed reports NaN and a ``note``.
    """
    t = _valid_rows(treatment, "treatment")
    c = _valid_rows(control, "control")
    return row_level_tests_from_table(
        np.bincount(t, minlength=11), np.bincount(c, minlength=11), alternative=alternative,
        confidence_level=confidence_level,
    )


def row_level_tests_from_table(
    treatment: Sequence[int] | np.ndarray,
    control: Sequence[int] | np.ndarray,
    *,
    alternative: str = "two-sided",
    confidence_level: float = 0.95,
) -> RowTests:
    """:func:`row_level_tests` on the 2 x 11 frequency table: answers 0..10 counted per arm.

    Every test is a function of the table (Mann-Whitney's mid-ranks, the proportional-odds
    likelihood with frequency weights, the 2 x 3 chi-square), so this is the same result as the
    rows give, computed from what an engine returns (``engines.level_counts``). Only scipy's exact
    small-sample Mann-Whitney branch (no ties, a group of 8 or fewer) rebuilds those few answers.

    Args:
        treatment, control: 11 whole-number counts each (answers 0, 1, ..., 10).
    """
    a = _level_counts(treatment, "treatment")
    b = _level_counts(control, "control")
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {', '.join(ALTERNATIVES)}, got {alternative!r}")
    check_confidence_level(confidence_level)
    return RowTests(
        mann_whitney=_mann_whitney(a, b, alternative),
        ordinal=_ordinal(a, b, alternative, confidence_level),
        chi_square=_chi_square(a, b),
    )


def _level_counts(table: Any, role: str) -> np.ndarray:
    arr = np.asarray(table)
    if arr.shape != (11,) or not np.all(np.isfinite(arr.astype(float))) or np.any(arr < 0) or np.any(arr != np.round(arr)):
        raise ValueError(f"{role}: expected 11 non-negative whole-number counts (answers 0..10), got {arr.tolist()}")
    return arr.astype(np.int64)


def _valid_rows(data: Any, role: str) -> np.ndarray:
    if isinstance(data, np.ndarray) and data.dtype.kind in "iu":
        if data.size and (data.min() < 0 or data.max() > 10):
            parse_scores(data, column=role)  # raises naming the rows
        return data.astype(np.int64)
    parsed = parse_scores(data, column=role)
    return parsed.values[parsed.valid_mask].astype(np.int64)


def _mann_whitney(a_counts: np.ndarray, b_counts: np.ndarray, alternative: str) -> MannWhitneyResult:
    """Mann-Whitney U from the 2 x 11 table of answers: O(n) whatever the number of rows.

    Same statistic and p-value as ``scipy.stats.mannwhitneyu(t, c, alternative=...)`` (method
    "auto"): mid-rank U, tie-corrected normal approximation with continuity correction; scipy's
    exact distribution is used where scipy would use it (no ties and a group of 8 or fewer).
    """
    from scipy.special import ndtr
    from scipy.stats import mannwhitneyu

    n1, n2 = int(a_counts.sum()), int(b_counts.sum())
    if n1 == 0 or n2 == 0:
        return MannWhitneyResult(math.nan, math.nan, math.nan, alternative, "a group has no answers")
    a = a_counts.astype(float)
    b = b_counts.astype(float)
    ties = a + b
    if np.count_nonzero(ties) == 1:
        return MannWhitneyResult(n1 * n2 / 2.0, 1.0, 0.5, alternative, "every answer is the same: no difference to test")
    if (n1 <= 8 or n2 <= 8) and ties.max() <= 1:
        # exact small-sample distribution: the (at most 8 + 8 distinct) answers rebuilt from the table
        levels = np.arange(11)
        res = mannwhitneyu(np.repeat(levels, a_counts), np.repeat(levels, b_counts), alternative=alternative)
        u1, p = float(res.statistic), float(res.pvalue)
    else:
        below = np.concatenate([[0.0], np.cumsum(b)[:-1]])  # control answers below each level
        u1 = float(np.sum(a * (below + 0.5 * b)))
        u = {"greater": u1, "less": n1 * n2 - u1}.get(alternative, max(u1, n1 * n2 - u1))
        n = n1 + n2
        sd = math.sqrt(n1 * n2 / 12.0 * ((n + 1) - float(np.sum(ties**3 - ties)) / (n * (n - 1))))
        z = (u - n1 * n2 / 2.0 - 0.5) / sd
        p = float(ndtr(-z)) * (2.0 if alternative == "two-sided" else 1.0)
        p = min(1.0, max(0.0, p))
    return MannWhitneyResult(u1, p, u1 / (n1 * n2), alternative)


def _ordered_model_class() -> type:
    """OrderedModel with frequency weights and a closed-form logistic cdf (same likelihood)."""
    from scipy.special import expit
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    class WeightedLogitOrderedModel(OrderedModel):
        def __init__(self, endog: Any, exog: Any, weights: np.ndarray) -> None:
            super().__init__(endog, exog, distr="logit")
            self.freq_weights = np.asarray(weights, dtype=float)

        def cdf(self, x: Any) -> Any:
            return expit(x)

        def pdf(self, x: Any) -> Any:
            p = expit(x)
            return p * (1.0 - p)

        def loglikeobs(self, params: np.ndarray) -> np.ndarray:
            return self.freq_weights * super().loglikeobs(params)

        def score(self, params: np.ndarray) -> np.ndarray:
            """Analytic gradient of the weighted log-likelihood (statsmodels differentiates
            numerically); thresholds are ``tau_1 = t_1``, ``tau_j = tau_(j-1) + exp(t_j)``."""
            params = np.asarray(params, dtype=float)
            low, upp = self._bounds(params)
            f_low, f_upp = self.pdf(low), self.pdf(upp)  # 0 at -inf / +inf
            w = self.freq_weights / (self.cdf(upp) - self.cdf(low) + 1e-20)
            k_levels = self.k_levels
            g_beta = -(np.asarray(self.exog) * (w * (f_upp - f_low))[:, None]).sum(axis=0)
            endog = np.asarray(self.endog)
            g_thresh = np.bincount(endog + 1, weights=w * f_upp, minlength=k_levels + 1) - np.bincount(
                endog, weights=w * f_low, minlength=k_levels + 1
            )
            g_tau = g_thresh[1:k_levels]
            tail = np.cumsum(g_tau[::-1])[::-1]  # sum over tau_j with j >= m
            th = params[-(k_levels - 1):]
            g_theta = tail * np.concatenate(([1.0], np.exp(th[1:])))
            return np.concatenate((g_beta, g_theta))

        def hessian(self, params: np.ndarray) -> np.ndarray:
            """Observed information by central differences of the analytic gradient."""
            from statsmodels.tools.numdiff import approx_fprime

            h = approx_fprime(np.asarray(params, dtype=float), self.score, centered=True)
            return (h + h.T) / 2.0

        @property
        def start_params(self) -> np.ndarray:
            freq = np.bincount(self.endog, weights=self.freq_weights) / self.freq_weights.sum()
            start = self.distr.ppf(np.clip(freq.cumsum(), 0, 1))
            return np.concatenate((np.zeros(self.k_vars), self.transform_reverse_threshold_params(start)))

    return WeightedLogitOrderedModel


def _ordinal(a: np.ndarray, b: np.ndarray, alternative: str, confidence_level: float) -> OrdinalResult:
    from scipy.stats import norm

    def empty(note: str, converged: bool = False) -> OrdinalResult:
        nan = math.nan
        return OrdinalResult(nan, nan, nan, nan, nan, nan, confidence_level, alternative, converged, note)

    if a.sum() == 0 or b.sum() == 0:
        return empty("a group has no answers")
    table = np.vstack([a, b])
    levels = np.flatnonzero(table.sum(axis=0) > 0)
    if levels.size < 2:
        return empty("every answer is the same level: no ordinal model to fit")
    t_min, t_max = np.flatnonzero(a)[[0, -1]]
    c_min, c_max = np.flatnonzero(b)[[0, -1]]
    if t_max <= c_min or c_max <= t_min:
        # (Quasi-)complete separation: raising the odds ratio never lowers the likelihood.
        return empty(
            "separation (every answer of one group is at or above every answer of the other): "
            "the odds ratio is infinite"
        )
    try:
        import statsmodels.tools.sm_exceptions as sme

        model_cls = _ordered_model_class()
        sub = table[:, levels]
        group_ix, level_ix = np.nonzero(sub > 0)
        endog = pd.Series(pd.Categorical(levels[level_ix], categories=levels, ordered=True))
        exog = pd.DataFrame({"treatment": (group_ix == 0).astype(float)})
        weights = sub[group_ix, level_ix].astype(float)
        total = weights.sum()
        # Fit the mean log-likelihood (weights summing to 1) so the optimiser's tolerances do not
        # depend on n; the information is then total x larger: se = se_mean / sqrt(total).
        model = model_cls(endog, exog, weights / total)

        def ok(result: Any) -> bool:
            return bool(result.mle_retvals.get("converged", False)) and bool(np.all(np.isfinite(result.params)))

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # Newton with the analytic gradient converges in a few steps; BFGS and Nelder-Mead
            # are the fall-backs for awkward tables.
            fit = model.fit(method="newton", disp=False, maxiter=100, tol=1e-10)
            if not ok(fit):
                fit = model.fit(method="bfgs", disp=False, maxiter=1000, gtol=1e-8)
            if not ok(fit):
                start = fit.params.to_numpy() if np.all(np.isfinite(fit.params)) else None
                fit = model.fit(method="nm", disp=False, maxiter=20_000, start_params=start)
                fit = model.fit(method="bfgs", disp=False, maxiter=1000, gtol=1e-6, start_params=fit.params.to_numpy())
            converged = ok(fit)
        beta = float(fit.params.iloc[0])
        se = float(fit.bse.iloc[0]) / math.sqrt(total)
    except Exception as exc:  # statsmodels can fail on odd data; report, never crash
        return empty(f"the ordinal model could not be fitted: {type(exc).__name__}: {exc}")
    hessian_trouble = any(issubclass(w.category, sme.HessianInversionWarning) for w in caught)
    if not converged:
        return empty("the ordinal model did not converge")
    if not (math.isfinite(beta) and math.isfinite(se) and se > 0) or hessian_trouble:
        return empty("the ordinal model's standard error could not be computed", converged=True)
    if abs(beta) > 25:  # odds ratio beyond 1e10: a numerical artefact of near-separation
        return empty("the odds ratio is not estimable (near-separation)", converged=True)
    z = beta / se

    def exp(x: float) -> float:
        return math.exp(x) if x < 700 else math.inf

    if alternative == "two-sided":
        q = float(norm.ppf(0.5 + confidence_level / 2))
        lo, hi = exp(beta - q * se), exp(beta + q * se)
    elif alternative == "greater":
        lo, hi = exp(beta - float(norm.ppf(confidence_level)) * se), math.inf
    else:
        lo, hi = 0.0, exp(beta + float(norm.ppf(confidence_level)) * se)
    return OrdinalResult(
        odds_ratio=math.exp(beta),
        ci_lower=lo,
        ci_upper=hi,
        pvalue=normal_pvalue(z, alternative),
        log_odds_ratio=beta,
        se=se,
        confidence_level=confidence_level,
        alternative=alternative,
        converged=True,
    )


def _chi_square(a: np.ndarray, b: np.ndarray) -> ChiSquareResult:
    from scipy.stats import chi2_contingency

    table = np.array([NPSCounts.from_distribution(a).as_array(), NPSCounts.from_distribution(b).as_array()])
    if table[0].sum() == 0 or table[1].sum() == 0:
        return ChiSquareResult(math.nan, 0, math.nan, "a group has no answers")
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return ChiSquareResult(0.0, 0, 1.0, "only one category observed: the arms cannot differ")
    try:
        res = chi2_contingency(table, correction=False)
    except Exception as exc:
        return ChiSquareResult(math.nan, 0, math.nan, f"failed: {exc}")
    low = int(np.count_nonzero(res.expected_freq < 5))
    note = f"{low} cell(s) with expected count below 5: the chi-square approximation is rough" if low else None
    return ChiSquareResult(float(res.statistic), int(res.dof), float(res.pvalue), note)
