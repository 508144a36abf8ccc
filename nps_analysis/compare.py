"""Two cohorts: the difference in NPS with an interval and a test; many arms with multiplicity.

Count-based methods (adjusted Wald, Wald, bootstrap, permutation, Bayes) need only the counts; the
row-level tests (Mann-Whitney, proportional odds, chi-square) and CUPED take rows when given.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Literal

import numpy as np
import pandas as pd

from .errors import NPSInputError, describe_rows
from .intervals import NPSInterval, check_confidence_level, nps_interval, posterior_nps
from .results import ResultMixin, jsonable
from .scoring import PASSIVE_FROM, PROMOTER_FROM, NPSCounts, as_counts, parse_scores

CompareMethod = Literal["adjusted-wald", "wald", "bootstrap", "permutation", "bayes"]
COMPARE_METHODS: tuple[str, ...] = ("adjusted-wald", "wald", "bootstrap", "permutation", "bayes")
Alternative = Literal["two-sided", "less", "greater"]
ALTERNATIVES: tuple[str, ...] = ("two-sided", "less", "greater")
MissingPolicy = Literal["error", "drop", "indicator"]

#: Bounds of a difference of two NPS, in points.
DIFFERENCE_BOUND = 200.0

#: The single-NPS interval reported beside each comparison method.
_GROUP_METHOD = {
    "adjusted-wald": "adjusted-wald",
    "wald": "wald",
    "bootstrap": "bootstrap",
    "permutation": "adjusted-wald",
    "bayes": "bayes",
}


# ------------------------------------------------------------------------------------ results


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


@dataclass(frozen=True)
class CompareResult(ResultMixin):
    """Treatment versus control: the difference in NPS points with an interval and a p-value.

    Attributes:
        difference: observed NPS(treatment) - NPS(control), in points.
        ci_lower, ci_upper: interval for the difference, clipped to [-200, 200]; a one-sided
            alternative gives a one-sided interval whose open side is the bound (+/-200).
        pvalue: p-value of H0 "no difference" against ``alternative`` (for ``bayes``: the
            posterior tail probability, see :func:`compare`).
        se: standard error of the difference (points) used by the method.
        treatment, control: each group's NPS with the matching single-NPS interval.
        row_tests: Mann-Whitney, proportional odds and chi-square (None without raw scores).
        interval_method: where the interval comes from (``permutation`` reports the adjusted Wald
            interval: a permutation test has no interval of its own for this statistic).
        statistic: z statistic (Wald methods), else None.
        adjusted_difference: centre of the adjusted Wald interval (adjusted counts), else None.
        n_resamples: resamples / permutations / posterior draws used, else None.
        exact: permutation only: True when every split was enumerated.
        prob_better: bayes only: posterior P(treatment NPS > control NPS).
        margin: the "do no harm" margin in points (>= 0), when given.
        prob_below_margin: bayes only: posterior P(difference < -margin).
        margin_pvalue: Wald and bootstrap methods: p-value of H0 "difference <= -margin"
            (non-inferiority; small = the treatment is not worse by more than the margin).
        covariate_adjustment: the CUPED estimate when covariates were given.
    """

    difference: float
    ci_lower: float
    ci_upper: float
    pvalue: float
    se: float
    method: str
    confidence_level: float
    alternative: str
    treatment: NPSInterval
    control: NPSInterval
    row_tests: RowTests | None = None
    interval_method: str | None = None
    statistic: float | None = None
    adjusted_difference: float | None = None
    n_resamples: int | None = None
    exact: bool | None = None
    prob_better: float | None = None
    margin: float | None = None
    prob_below_margin: float | None = None
    margin_pvalue: float | None = None
    covariate_adjustment: CupedResult | None = None

    def confidence_interval(self) -> tuple[float, float]:
        return (self.ci_lower, self.ci_upper)

    @property
    def significant(self) -> bool:
        """True when the p-value is below 1 - confidence_level."""
        return bool(self.pvalue < 1 - self.confidence_level)

    def to_frame(self) -> pd.DataFrame:
        """One row: the difference, both groups' n and NPS, and the row-level p-values."""
        return pd.DataFrame([_flat_row(self)])

    def summary(self, treatment: str = "treatment", control: str = "control") -> str:
        """One sentence written from the numbers, e.g. for a notebook conclusion.

        Example: "treatment raised NPS by 6.2 points versus control (95% CI 1.1 to 11.3,
        p = 0.02); the rank test agrees (p = 0.01)."
        """
        return _summary_sentence(self, treatment, control)


# ------------------------------------------------------------------------------------ inputs


@dataclass(frozen=True)
class _Group:
    counts: NPSCounts
    rows: np.ndarray | None  # valid 0-10 answers as int64, when raw scores were given
    frame: pd.DataFrame | None  # responding rows, when a DataFrame was given


def _as_group(data: Any, role: str, score: str) -> _Group:
    if isinstance(data, NPSCounts) or (
        isinstance(data, dict) and {"detractors", "passives", "promoters"} <= set(data)
    ):
        return _Group(as_counts(data), None, None)
    if isinstance(data, pd.DataFrame):
        if score not in data.columns:
            raise NPSInputError(
                f"{role}: missing score column {score!r}; the columns are {list(map(str, data.columns))}",
                column=score,
            )
        parsed = parse_scores(data[score], column=score)
        mask = parsed.valid_mask
        rows = parsed.values[mask].astype(np.int64)
        return _Group(_counts_of(rows), rows, data.loc[mask])
    if isinstance(data, (str, bytes)):
        raise NPSInputError(f"{role}: expected 0-10 scores or NPSCounts, got a string {data!r}")
    parsed = parse_scores(data, column=role)
    rows = parsed.values[parsed.valid_mask].astype(np.int64)
    return _Group(_counts_of(rows), rows, None)


def _counts_of(rows: np.ndarray) -> NPSCounts:
    return NPSCounts.from_distribution(np.bincount(rows, minlength=11))


def _check_options(method: str, confidence_level: float, alternative: str) -> None:
    if method not in COMPARE_METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(COMPARE_METHODS)}")
    if alternative not in ALTERNATIVES:
        raise ValueError(
            f"alternative must be one of {', '.join(ALTERNATIVES)} (as in scipy.stats), got {alternative!r}"
        )
    check_confidence_level(confidence_level)


def _require_integer_counts(counts: NPSCounts, role: str, method: str) -> None:
    if not all(float(v).is_integer() for v in counts.as_array()):
        raise ValueError(f"{method} needs whole-number counts; {role} has {counts.as_array().tolist()}")


# ------------------------------------------------------------------------------------ helpers


def _normal_pvalue(z: float, alternative: str) -> float:
    """Normal-theory p-value (erfc keeps the far tails accurate; no scipy call on the hot path)."""
    if math.isnan(z):
        return 1.0  # 0 / 0: no difference and no variance
    if alternative == "two-sided":
        return float(min(1.0, math.erfc(abs(z) / math.sqrt(2.0))))
    if alternative == "greater":
        return 0.5 * math.erfc(z / math.sqrt(2.0))
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def _normal_quantile(p: float) -> float:
    return NormalDist().inv_cdf(p)


def _normal_interval(centre: float, se: float, confidence_level: float, alternative: str) -> tuple[float, float]:
    if alternative == "two-sided":
        z = _normal_quantile(0.5 + confidence_level / 2)
        return _clip(centre - z * se), _clip(centre + z * se)
    z = _normal_quantile(confidence_level)
    if alternative == "greater":
        return _clip(centre - z * se), DIFFERENCE_BOUND
    return -DIFFERENCE_BOUND, _clip(centre + z * se)


def _quantile_interval(draws: np.ndarray, confidence_level: float, alternative: str) -> tuple[float, float]:
    alpha = 1.0 - confidence_level
    if alternative == "two-sided":
        lo, hi = np.quantile(draws, [alpha / 2, 1 - alpha / 2])
        return _clip(lo), _clip(hi)
    if alternative == "greater":
        return _clip(np.quantile(draws, alpha)), DIFFERENCE_BOUND
    return -DIFFERENCE_BOUND, _clip(np.quantile(draws, 1 - alpha))


def _clip(x: float) -> float:
    return float(min(DIFFERENCE_BOUND, max(-DIFFERENCE_BOUND, x)))


def _z(diff: float, se: float) -> float:
    if se > 0:
        return diff / se
    if diff == 0:
        return math.nan
    return math.copysign(math.inf, diff)


def _rng(random_state: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)


# ------------------------------------------------------------------------------- count methods


def _wald_difference(
    ct: NPSCounts, cc: NPSCounts, *, adjusted: bool, confidence_level: float, alternative: str,
    margin: float | None,
) -> dict[str, Any]:
    """Wald difference; with ``adjusted`` on the Rocks (2016) adjusted counts of each group."""
    at, ac = (ct.adjusted(), cc.adjusted()) if adjusted else (ct, cc)
    centre = at.nps - ac.nps
    se = 100.0 * math.sqrt(at.variance / at.n + ac.variance / ac.n)
    z = _z(centre, se)
    lo, hi = _normal_interval(centre, se, confidence_level, alternative)
    out: dict[str, Any] = {
        "ci_lower": lo,
        "ci_upper": hi,
        "pvalue": _normal_pvalue(z, alternative),
        "se": se,
        "statistic": z,
        "interval_method": "adjusted-wald" if adjusted else "wald",
    }
    if adjusted:
        out["adjusted_difference"] = centre
    if margin is not None:
        out["margin_pvalue"] = _normal_pvalue(_z(centre + margin, se), "greater")
    return out


def bootstrap_difference(
    treatment: NPSCounts,
    control: NPSCounts,
    *,
    n_resamples: int = 10_000,
    random_state: int | np.random.Generator | None = 0,
) -> np.ndarray:
    """NPS(treatment) - NPS(control) in points for ``n_resamples`` independent multinomial resamples.

    Each group is resampled from its own observed shares (Efron & Tibshirani 1993, ch. 13, two
    samples); the work is O(n_resamples) whatever the number of respondents.
    """
    rng = _rng(random_state)
    out = []
    for counts in (treatment, control):
        n = int(round(counts.n))
        draws = rng.multinomial(n, counts.as_array() / counts.n, size=n_resamples)
        out.append(100.0 * (draws[:, 2] - draws[:, 0]) / n)
    return out[0] - out[1]


def _bootstrap(
    ct: NPSCounts, cc: NPSCounts, *, confidence_level: float, alternative: str, margin: float | None,
    n_resamples: int, random_state: Any,
) -> dict[str, Any]:
    diff = bootstrap_difference(ct, cc, n_resamples=n_resamples, random_state=random_state)
    lo, hi = _quantile_interval(diff, confidence_level, alternative)
    b = diff.size
    p_le = (1.0 + np.count_nonzero(diff <= 0)) / (b + 1.0)
    p_ge = (1.0 + np.count_nonzero(diff >= 0)) / (b + 1.0)
    pvalue = {"two-sided": min(1.0, 2.0 * min(p_le, p_ge)), "greater": p_le, "less": p_ge}[alternative]
    out: dict[str, Any] = {
        "ci_lower": lo,
        "ci_upper": hi,
        "pvalue": float(pvalue),
        "se": float(diff.std(ddof=1)),
        "n_resamples": int(b),
        "interval_method": "bootstrap",
    }
    if margin is not None:
        out["margin_pvalue"] = float((1.0 + np.count_nonzero(diff <= -margin)) / (b + 1.0))
    return out


def permutation_pvalue(
    treatment: NPSCounts,
    control: NPSCounts,
    *,
    alternative: str = "two-sided",
    n_resamples: int = 10_000,
    max_exact_states: int = 1_000_000,
    random_state: int | np.random.Generator | None = 0,
) -> tuple[float, bool, int]:
    """Permutation test of the NPS difference, computed on counts.

    Under H0 (the arm does not matter) every split of the pooled respondents into groups of the
    observed sizes is equally likely, so the treatment counts follow the multivariate
    hypergeometric distribution ``C(D, x_d) C(P, x_p) C(R, x_r) / C(N, n_t)`` with pooled counts
    ``D, P, R`` (Fisher 1935; Good 2005, *Permutation, Parametric and Bootstrap Tests*). The
    statistic is the NPS difference; the two-sided p-value is ``P(|D*| >= |D_obs|)``, the one-sided
    ``P(D* >= D_obs)`` ("greater") or ``P(D* <= D_obs)`` ("less").

    When the grid of possible treatment counts has at most ``max_exact_states`` cells the
    distribution is enumerated exactly; otherwise ``n_resamples`` hypergeometric splits are drawn
    and the p-value is ``(1 + hits) / (1 + n_resamples)`` (Phipson & Smyth 2010).

    Returns:
        ``(pvalue, exact, n_resamples_used)`` (``n_resamples_used`` is the number of enumerated
        splits with positive probability when exact).
    """
    from scipy.special import gammaln

    nt, nc = int(round(treatment.n)), int(round(control.n))
    pooled = (treatment + control).as_array().astype(np.int64)
    big_d, big_p, big_r = (int(v) for v in pooled)
    obs = _perm_stat(treatment.promoters, treatment.detractors, nt, nc, big_d, big_r)
    tol = 1e-9 * max(1.0, abs(obs))

    if (big_d + 1) * (big_r + 1) <= max_exact_states:
        xd = np.arange(min(big_d, nt) + 1)[None, :]
        xr = np.arange(min(big_r, nt) + 1)[:, None]
        xp = nt - xd - xr
        feasible = (xp >= 0) & (xp <= big_p)

        def lchoose(a: int, b: np.ndarray) -> np.ndarray:
            return gammaln(a + 1) - gammaln(b + 1) - gammaln(a - b + 1)

        with np.errstate(invalid="ignore"):
            logp = (
                lchoose(big_d, xd) + lchoose(big_p, np.clip(xp, 0, big_p)) + lchoose(big_r, xr)
                - (gammaln(nt + nc + 1) - gammaln(nt + 1) - gammaln(nc + 1))
            )
        prob = np.where(feasible, np.exp(logp), 0.0)
        prob /= prob.sum()  # guards against rounding in the log-gamma sums
        stat = _perm_stat(xr, xd, nt, nc, big_d, big_r)
        hits = _perm_hits(stat, obs, tol, alternative)
        return float(min(1.0, prob[hits].sum())), True, int(np.count_nonzero(prob > 0))

    draws = _rng(random_state).multivariate_hypergeometric(pooled, nt, size=n_resamples)
    stat = _perm_stat(draws[:, 2], draws[:, 0], nt, nc, big_d, big_r)
    hits = np.count_nonzero(_perm_hits(stat, obs, tol, alternative))
    return float((1.0 + hits) / (1.0 + n_resamples)), False, int(n_resamples)


def _perm_stat(xr: Any, xd: Any, nt: int, nc: int, big_d: int, big_r: int) -> Any:
    """NPS difference (points) when the treatment holds ``xr`` promoters and ``xd`` detractors."""
    return 100.0 * ((xr - xd) / nt - ((big_r - xr) - (big_d - xd)) / nc)


def _perm_hits(stat: np.ndarray, obs: float, tol: float, alternative: str) -> np.ndarray:
    if alternative == "two-sided":
        return np.abs(stat) >= abs(obs) - tol
    if alternative == "greater":
        return stat >= obs - tol
    return stat <= obs + tol


def _bayes(
    ct: NPSCounts, cc: NPSCounts, *, confidence_level: float, alternative: str, margin: float | None,
    n_resamples: int, prior: tuple[float, float, float], random_state: Any,
) -> dict[str, Any]:
    rng = _rng(random_state)
    diff = posterior_nps(ct, n_draws=n_resamples, prior=prior, random_state=rng) - posterior_nps(
        cc, n_draws=n_resamples, prior=prior, random_state=rng
    )
    lo, hi = _quantile_interval(diff, confidence_level, alternative)
    p_le = float(np.mean(diff <= 0))
    p_ge = float(np.mean(diff >= 0))
    out: dict[str, Any] = {
        "ci_lower": lo,
        "ci_upper": hi,
        "pvalue": {"two-sided": min(1.0, 2.0 * min(p_le, p_ge)), "greater": p_le, "less": p_ge}[alternative],
        "se": float(diff.std(ddof=1)),
        "n_resamples": int(n_resamples),
        "prob_better": float(np.mean(diff > 0)),
        "interval_method": "bayes",
    }
    if margin is not None:
        out["prob_below_margin"] = float(np.mean(diff < -margin))
    return out


# ------------------------------------------------------------------------------- row-level tests


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
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {', '.join(ALTERNATIVES)}, got {alternative!r}")
    check_confidence_level(confidence_level)
    return RowTests(
        mann_whitney=_mann_whitney(t, c, alternative),
        ordinal=_ordinal(t, c, alternative, confidence_level),
        chi_square=_chi_square(t, c),
    )


def _valid_rows(data: Any, role: str) -> np.ndarray:
    if isinstance(data, np.ndarray) and data.dtype.kind in "iu":
        if data.size and (data.min() < 0 or data.max() > 10):
            parse_scores(data, column=role)  # raises naming the rows
        return data.astype(np.int64)
    parsed = parse_scores(data, column=role)
    return parsed.values[parsed.valid_mask].astype(np.int64)


def _mann_whitney(t: np.ndarray, c: np.ndarray, alternative: str) -> MannWhitneyResult:
    """Mann-Whitney U from the 2 x 11 table of answers: O(n) whatever the number of rows.

    Same statistic and p-value as ``scipy.stats.mannwhitneyu(t, c, alternative=...)`` (method
    "auto"): mid-rank U, tie-corrected normal approximation with continuity correction; scipy's
    exact distribution is used where scipy would use it (no ties and a group of 8 or fewer).
    """
    from scipy.special import ndtr
    from scipy.stats import mannwhitneyu

    n1, n2 = t.size, c.size
    if n1 == 0 or n2 == 0:
        return MannWhitneyResult(math.nan, math.nan, math.nan, alternative, "a group has no answers")
    a = np.bincount(t, minlength=11).astype(float)
    b = np.bincount(c, minlength=11).astype(float)
    ties = a + b
    if np.count_nonzero(ties) == 1:
        return MannWhitneyResult(n1 * n2 / 2.0, 1.0, 0.5, alternative, "every answer is the same: no difference to test")
    if (n1 <= 8 or n2 <= 8) and ties.max() <= 1:
        res = mannwhitneyu(t, c, alternative=alternative)  # exact small-sample distribution
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


def _ordinal(t: np.ndarray, c: np.ndarray, alternative: str, confidence_level: float) -> OrdinalResult:
    from scipy.stats import norm

    def empty(note: str, converged: bool = False) -> OrdinalResult:
        nan = math.nan
        return OrdinalResult(nan, nan, nan, nan, nan, nan, confidence_level, alternative, converged, note)

    if t.size == 0 or c.size == 0:
        return empty("a group has no answers")
    table = np.vstack([np.bincount(t, minlength=11), np.bincount(c, minlength=11)])
    levels = np.flatnonzero(table.sum(axis=0) > 0)
    if levels.size < 2:
        return empty("every answer is the same level: no ordinal model to fit")
    if t.max() <= c.min() or c.max() <= t.min():
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
        pvalue=_normal_pvalue(z, alternative),
        log_odds_ratio=beta,
        se=se,
        confidence_level=confidence_level,
        alternative=alternative,
        converged=True,
    )


def _chi_square(t: np.ndarray, c: np.ndarray) -> ChiSquareResult:
    from scipy.stats import chi2_contingency

    table = np.array([_counts_of(t).as_array(), _counts_of(c).as_array()])
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


# ------------------------------------------------------------------------------------ CUPED


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
    _check_cuped_options(covariates, missing_covariates, alternative, confidence_level)
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
        part["__y"] = _category_value(parsed.values[keep])
        part["__treatment"] = role == "treatment"
        frames.append(part)
    pooled = pd.concat(frames, axis=0)
    design, names, dropped_mask = _design_matrix(pooled, list(covariates), missing_covariates)
    keep = ~dropped_mask
    y = pooled["__y"].to_numpy(dtype=float)[keep]
    is_t = pooled["__treatment"].to_numpy(dtype=bool)[keep]
    x = design[keep]
    if is_t.sum() < 2 or (~is_t).sum() < 2:
        raise ValueError("covariate adjustment needs at least two responding rows in each arm")
    core = _cuped_core(y, x, is_t, confidence_level, alternative)
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


def _check_cuped_options(covariates: Any, missing: str, alternative: str, confidence_level: float) -> None:
    if isinstance(covariates, str) or not covariates:
        raise ValueError(f"covariates must be a non-empty list of column names, got {covariates!r}")
    if missing not in ("error", "drop", "indicator"):
        raise ValueError(f"missing_covariates must be 'error', 'drop' or 'indicator', got {missing!r}")
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {', '.join(ALTERNATIVES)}, got {alternative!r}")
    check_confidence_level(confidence_level)


def _category_value(scores: np.ndarray) -> np.ndarray:
    """-1 / 0 / +1 for detractor / passive / promoter answers, as floats."""
    return np.where(scores >= PROMOTER_FROM, 1.0, np.where(scores >= PASSIVE_FROM, 0.0, -1.0))


def _design_matrix(
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


def _cuped_core(
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
    lo, hi = _normal_interval(d_adj, se_adj, confidence_level, alternative)
    return {
        "difference": d_adj,
        "se": se_adj,
        "ci_lower": lo,
        "ci_upper": hi,
        "pvalue": _normal_pvalue(_z(d_adj, se_adj), alternative),
        "unadjusted_difference": d_raw,
        "unadjusted_se": se_raw,
        "variance_reduction": 1.0 - se_adj**2 / se_raw**2 if se_raw > 0 else math.nan,
        "theta": theta,
    }


# ------------------------------------------------------------------------------------ compare


def compare(
    treatment: Any,
    control: Any,
    *,
    method: CompareMethod = "adjusted-wald",
    confidence_level: float = 0.95,
    alternative: Alternative = "two-sided",
    margin: float | None = None,
    covariates: Sequence[str] | None = None,
    score: str = "score",
    missing_covariates: MissingPolicy = "error",
    row_tests: bool = True,
    prior: tuple[float, float, float] = (1.0, 1.0, 1.0),
    n_resamples: int = 10_000,
    max_exact_states: int = 1_000_000,
    random_state: int | np.random.Generator | None = 0,
) -> CompareResult:
    """Compare the NPS of a treatment cohort with a control cohort.

    ``difference`` is always the observed NPS(treatment) - NPS(control) in points. With
    ``D = NPS_t - NPS_c`` and per-respondent variances ``V = p_pro + p_det - (p_pro - p_det)^2``:

    - ``"adjusted-wald"`` (default): add 3/4 detractor, 3/2 passive, 3/4 promoter to EACH group
      (Rocks 2016, The American Statistician 70(4):365-372; MeasuringU), then the Wald difference
      on the adjusted counts: centre ``D~ = NPS~_t - NPS~_c``, ``SE = sqrt(V~_t/(n_t+3) +
      V~_c/(n_c+3))``; the interval and the z-test both use the adjusted counts.
    - ``"wald"``: ``D +/- z sqrt(V_t/n_t + V_c/n_c)`` (DOMAIN.md), z-test ``D / SE``.
    - ``"bootstrap"``: ``n_resamples`` independent multinomial resamples of each group's counts
      (Efron & Tibshirani 1993, ch. 13), percentile interval. p-value by inverting the
      percentile interval: the two-sided p is ``2 min(P*(D* <= 0), P*(D* >= 0))``, one-sided
      ``P*(D* <= 0)`` ("greater") or ``P*(D* >= 0)`` ("less"), each as ``(1 + hits)/(1 + B)``.
    - ``"permutation"``: test on counts, exact (multivariate hypergeometric enumeration) when the
      grid has at most ``max_exact_states`` cells, else Monte Carlo (see
      :func:`permutation_pvalue`). A permutation test has no interval for this statistic; the
      adjusted Wald interval is reported (``interval_method``).
    - ``"bayes"``: independent ``Dirichlet(prior + counts)`` posteriors (default prior uniform,
      1/1/1); equal-tailed credible interval of ``D`` from ``n_resamples`` draws,
      ``prob_better = P(D > 0 | data)`` and, with ``margin``, ``prob_below_margin =
      P(D < -margin | data)``. Its ``pvalue`` is the posterior tail probability ``2 min(P(D <= 0),
      P(D >= 0))`` (one-sided: ``P(D <= 0)`` for "greater", ``P(D >= 0)`` for "less"), not a
      frequentist p-value, though close to one under the uniform prior.

    ``alternative`` follows scipy: "greater" means H1: NPS_t > NPS_c; a one-sided alternative
    gives a one-sided interval whose open end is +200 or -200.

    Inputs and what they allow:
        - ``NPSCounts`` (or ``{"detractors":, "passives":, "promoters":}``): count methods only;
          ``row_tests`` is None.
        - raw 0-10 scores (Series, array, list): also the row-level tests
          (:func:`row_level_tests`).
        - DataFrames holding a ``score`` column (and the covariate columns): also CUPED when
          ``covariates`` is given, e.g. ``compare(frame_t, frame_c, score="score",
          covariates=["prior_score"])``; the result's ``covariate_adjustment`` holds the adjusted
          effect beside the unadjusted one (see :func:`cuped`).
        Missing answers are not responses and are left out.

    Args:
        margin: "do no harm" margin in points (>= 0): adds ``prob_below_margin`` (bayes) or
            ``margin_pvalue`` (Wald and bootstrap methods, H0: ``D <= -margin``).
        row_tests: compute the row-level tests when raw scores are available (the ordinal model
            takes ~0.1 s).
        prior: Dirichlet pseudo-counts (detractors, passives, promoters) for ``bayes``.
        n_resamples: bootstrap resamples, Monte Carlo permutations or posterior draws.
        random_state: seed or Generator for the simulation methods (seeded by default).

    Example:
        >>> r = compare(NPSCounts(20, 30, 50), NPSCounts(30, 30, 40), method="wald")
        >>> r.difference, round(r.se, 3)   # 30 - 10; 100 sqrt(0.61/100 + 0.69/100)
        (20.0, 11.402)
    """
    _check_options(method, confidence_level, alternative)
    if margin is not None and (not isinstance(margin, (int, float)) or not margin >= 0 or math.isinf(margin)):
        raise ValueError(f"margin must be a finite number of points >= 0 (H0: difference <= -margin), got {margin!r}")
    if method in ("bootstrap", "permutation", "bayes") and (not isinstance(n_resamples, (int, np.integer)) or n_resamples < 1):
        raise ValueError(f"n_resamples must be a positive integer, got {n_resamples!r}")
    t = _as_group(treatment, "treatment", score)
    c = _as_group(control, "control", score)
    for role, group in (("treatment", t), ("control", c)):
        if group.counts.n <= 0:
            raise ValueError(f"the {role} group has no responses (n = 0)")
        if method in ("bootstrap", "permutation"):
            _require_integer_counts(group.counts, role, method)

    ct, cc = t.counts, c.counts
    if method in ("adjusted-wald", "wald"):
        fields = _wald_difference(
            ct, cc, adjusted=method == "adjusted-wald", confidence_level=confidence_level,
            alternative=alternative, margin=margin,
        )
    elif method == "bootstrap":
        fields = _bootstrap(
            ct, cc, confidence_level=confidence_level, alternative=alternative, margin=margin,
            n_resamples=n_resamples, random_state=random_state,
        )
    elif method == "permutation":
        fields = _wald_difference(
            ct, cc, adjusted=True, confidence_level=confidence_level, alternative=alternative, margin=None
        )
        pvalue, exact, used = permutation_pvalue(
            ct, cc, alternative=alternative, n_resamples=n_resamples,
            max_exact_states=max_exact_states, random_state=random_state,
        )
        fields.update(pvalue=pvalue, exact=exact, n_resamples=used, statistic=None)
    else:
        fields = _bayes(
            ct, cc, confidence_level=confidence_level, alternative=alternative, margin=margin,
            n_resamples=n_resamples, prior=prior, random_state=random_state,
        )

    group_method = _GROUP_METHOD[method]
    group_kwargs: dict[str, Any] = {"method": group_method, "confidence_level": confidence_level}
    if group_method in ("bootstrap", "bayes"):
        group_kwargs.update(n_resamples=n_resamples, random_state=random_state)
        if group_method == "bayes":
            group_kwargs["prior"] = prior

    tests = None
    if row_tests and t.rows is not None and c.rows is not None:
        tests = row_level_tests(t.rows, c.rows, alternative=alternative, confidence_level=confidence_level)

    adjustment = None
    if covariates is not None:
        if t.frame is None or c.frame is None:
            raise NPSInputError(
                "covariates need rows: pass treatment and control as DataFrames holding the score "
                f"column {score!r} and the covariate columns"
            )
        adjustment = cuped(
            t.frame, c.frame, covariates=covariates, score=score, confidence_level=confidence_level,
            alternative=alternative, missing_covariates=missing_covariates,
        )

    return CompareResult(
        difference=ct.nps - cc.nps,
        method=method,
        confidence_level=confidence_level,
        alternative=alternative,
        treatment=nps_interval(ct, **group_kwargs),
        control=nps_interval(cc, **group_kwargs),
        row_tests=tests,
        margin=None if margin is None else float(margin),
        covariate_adjustment=adjustment,
        **fields,
    )


# ------------------------------------------------------------------------------- many arms


#: statsmodels ``multipletests`` methods and how a report names them.
CORRECTIONS: dict[str, str] = {
    "bonferroni": "Bonferroni",
    "sidak": "Sidak",
    "holm-sidak": "Holm-Sidak",
    "holm": "Holm",
    "simes-hochberg": "Hochberg",
    "hommel": "Hommel",
    "fdr_bh": "Benjamini-Hochberg",
    "fdr_by": "Benjamini-Yekutieli",
    "fdr_tsbh": "two-stage Benjamini-Hochberg",
    "fdr_tsbky": "two-stage Benjamini-Krieger-Yekutieli",
    "none": "no correction",
}
_CORRECTION_ALIASES = {
    "bh": "fdr_bh",
    "benjamini-hochberg": "fdr_bh",
    "by": "fdr_by",
    "benjamini-yekutieli": "fdr_by",
    "hochberg": "simes-hochberg",
    "h": "holm",
    "b": "bonferroni",
    "s": "sidak",
    "hs": "holm-sidak",
    "sh": "simes-hochberg",
    "ho": "hommel",
    "fdr_i": "fdr_bh",
    "fdr_n": "fdr_by",
    "fdr_2sbky": "fdr_tsbky",
}


def correction_method(name: str) -> str:
    """Canonical ``multipletests`` method name for ``name`` (aliases such as "bh" accepted)."""
    key = str(name).strip().lower()
    key = _CORRECTION_ALIASES.get(key, key)
    if key not in CORRECTIONS:
        raise ValueError(f"unknown correction {name!r}; choose one of {', '.join(CORRECTIONS)}")
    return key


def adjust_pvalues(pvalues: Sequence[float], *, correction: str = "holm", alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Adjusted p-values and rejections with ``statsmodels.stats.multitest.multipletests``.

    NaN p-values (comparisons that could not be computed) stay NaN and are not in the family.
    """
    from statsmodels.stats.multitest import multipletests

    method = correction_method(correction)
    p = np.asarray(pvalues, dtype=float)
    adjusted = np.full(p.shape, np.nan)
    reject = np.zeros(p.shape, dtype=bool)
    ok = np.isfinite(p)
    if ok.any():
        if method == "none":
            adjusted[ok], reject[ok] = p[ok], p[ok] < alpha
        else:
            rej, padj, _, _ = multipletests(p[ok], alpha=alpha, method=method)
            adjusted[ok], reject[ok] = padj, rej
    return adjusted, reject


@dataclass(frozen=True)
class ArmComparison(ResultMixin):
    """One arm (in one segment) against the control, with its multiplicity-adjusted p-value."""

    treatment: Any
    control: Any
    segment: dict[str, Any] | None
    n_treatment: int
    n_control: int
    small: bool
    pvalue_adjusted: float
    significant: bool
    result: CompareResult | None
    cuped_pvalue_adjusted: float | None = None
    note: str | None = None


@dataclass(frozen=True)
class CompareManyResult(ResultMixin):
    """Every treatment arm (per segment, with ``by``) against one control, with multiplicity control.

    ``family`` says which comparisons were corrected together and how, e.g.
    "2 comparisons (treatment arms vs control 'control'), Holm".
    """

    control: Any
    treatments: tuple[Any, ...]
    by: tuple[str, ...]
    correction: str
    family: str
    n_comparisons: int
    method: str
    confidence_level: float
    alternative: str
    min_n: int
    comparisons: tuple[ArmComparison, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per arm (and segment): n, NPS, difference, interval, raw and adjusted p-values."""
        rows = []
        for comp in self.comparisons:
            row: dict[str, Any] = dict(comp.segment or {})
            row.update(treatment=comp.treatment, control=comp.control)
            if comp.result is not None:
                flat = _flat_row(comp.result)
            else:
                flat = {"n_treatment": comp.n_treatment, "n_control": comp.n_control}
            row.update(flat)
            row.update(
                n_treatment=comp.n_treatment,
                n_control=comp.n_control,
                pvalue_adjusted=comp.pvalue_adjusted,
                significant=comp.significant,
                small=comp.small,
            )
            if comp.cuped_pvalue_adjusted is not None:
                row["cuped_pvalue_adjusted"] = comp.cuped_pvalue_adjusted
            row["note"] = comp.note
            rows.append(row)
        frame = pd.DataFrame(rows)
        frame.attrs["family"] = self.family
        return frame

    def _repr_html_(self) -> str:
        import html

        return f"<p>{html.escape(self.family)}</p>" + self.to_frame().to_html(index=False, float_format=lambda v: f"{v:.4g}")

    def get(self, treatment: Any, segment: dict[str, Any] | None = None) -> CompareResult | None:
        """The comparison of ``treatment`` (in ``segment``, a ``{column: value}`` dict, with ``by``)."""
        for comp in self.comparisons:
            if comp.treatment == treatment and (comp.segment or None) == (segment or None):
                return comp.result
        raise KeyError(f"no comparison for treatment {treatment!r} segment {segment!r}")


def compare_many(
    frame: pd.DataFrame,
    *,
    score: str,
    group: str,
    control: Any,
    treatments: Sequence[Any] | None = None,
    by: Sequence[str] | str | None = None,
    correction: str = "holm",
    method: CompareMethod = "adjusted-wald",
    confidence_level: float = 0.95,
    alternative: Alternative = "two-sided",
    min_n: int = 30,
    covariates: Sequence[str] | None = None,
    row_tests: bool = True,
    file: str | None = None,
    **compare_options: Any,
) -> CompareManyResult:
    """Each treatment arm against one control, p-values adjusted for the family of comparisons.

    Every comparison is :func:`compare` on that arm's and the control's rows (so the row-level
    tests and, with ``covariates``, CUPED come along). The p-values of the whole family, every arm
    times every segment with ``by``, are adjusted together with
    ``statsmodels.stats.multitest.multipletests`` (``correction`` = any of its method names, e.g.
    "holm" (Holm 1979, default), "bonferroni", "fdr_bh" (Benjamini & Hochberg 1995), or "none");
    the result's ``family`` states what was corrected. Intervals are the per-comparison ones (not
    simultaneous). CUPED p-values, when present, are adjusted as a parallel family.

    Args:
        frame: one row per respondent (rows with a missing score are not responses; rows with a
            missing ``group`` are left out).
        score, group: column names; ``control`` is the control's label in ``group``.
        treatments: labels to compare (default: every other label, sorted).
        by: segment columns: the effect per segment. A segment where the treatment or control has
            fewer than ``min_n`` responses is flagged ``small`` (still tested); one where either
            has none is reported with a note and left out of the family.
        **compare_options: passed to :func:`compare` (``margin``, ``n_resamples``, ...).
    """
    by_cols = [by] if isinstance(by, str) else list(by or [])
    needed = [score, group, *by_cols, *(covariates or [])]
    absent = [col for col in needed if col not in frame.columns]
    if absent:
        raise NPSInputError(
            f"missing column(s) {absent}; the columns are {list(map(str, frame.columns))}",
            file=file, column=absent[0],
        )
    _check_options(method, confidence_level, alternative)
    corr = correction_method(correction)
    if not isinstance(min_n, (int, np.integer)) or min_n < 0:
        raise ValueError(f"min_n must be a non-negative integer, got {min_n!r}")

    parsed = parse_scores(frame[score], column=score, file=file)
    labels_present = frame[group].dropna()
    labels = sorted(pd.unique(labels_present), key=lambda v: (str(type(v)), str(v)))
    if control not in labels:
        raise NPSInputError(
            f"control {control!r} is not a value of column {group!r}; the values are {labels}",
            file=file, column=group,
        )
    if treatments is None:
        arms = [label for label in labels if label != control]
    else:
        arms = list(treatments)
        unknown = [a for a in arms if a not in labels]
        if unknown:
            raise NPSInputError(
                f"treatment(s) {unknown} not found in column {group!r}; the values are {labels}",
                file=file, column=group,
            )
        if control in arms:
            raise ValueError(f"the control {control!r} cannot also be a treatment")
    if not arms:
        raise NPSInputError(f"no treatment arm besides the control {control!r} in column {group!r}", file=file, column=group)

    responded = frame.loc[parsed.valid_mask].copy()
    responded[score] = parsed.values[parsed.valid_mask].astype(np.int64)
    if by_cols:
        # Segments come from every row (so a segment with no respondents still shows, n = 0).
        grouped = frame.groupby(by_cols, dropna=False, sort=True, observed=True)
        codes = grouped.ngroup().to_numpy()[parsed.valid_mask]
        segments = []
        for code, key in enumerate(grouped.size().index):
            key = key if isinstance(key, tuple) else (key,)
            seg = {col: _key(v) for col, v in zip(by_cols, key, strict=True)}
            segments.append((seg, responded.loc[codes == code]))
    else:
        segments = [(None, responded)]

    options = dict(compare_options)
    options.update(method=method, confidence_level=confidence_level, alternative=alternative, row_tests=row_tests)
    pending: list[dict[str, Any]] = []
    for seg, part in segments:
        arm_col = part[group]
        control_rows = part.loc[arm_col == control]
        for arm in arms:
            treat_rows = part.loc[arm_col == arm]
            nt, nc = len(treat_rows), len(control_rows)
            entry: dict[str, Any] = {"treatment": arm, "segment": seg, "nt": nt, "nc": nc, "result": None, "note": None}
            if nt == 0 or nc == 0:
                entry["note"] = "no responses in " + ("treatment" if nt == 0 else "control") + ": not tested"
            elif covariates:
                entry["result"] = compare(treat_rows, control_rows, score=score, covariates=covariates, **options)
            else:
                entry["result"] = compare(treat_rows[score].to_numpy(), control_rows[score].to_numpy(), **options)
            if entry["note"] is None and (nt < min_n or nc < min_n):
                entry["note"] = f"small: fewer than {min_n} responses in an arm"
            pending.append(entry)

    alpha = 1.0 - confidence_level
    pvals = [e["result"].pvalue if e["result"] is not None else math.nan for e in pending]
    adjusted, reject = adjust_pvalues(pvals, correction=corr, alpha=alpha)
    cuped_adj: np.ndarray | None = None
    if covariates:
        cp = [
            e["result"].covariate_adjustment.pvalue if e["result"] is not None else math.nan for e in pending
        ]
        cuped_adj, _ = adjust_pvalues(cp, correction=corr, alpha=alpha)

    comparisons = tuple(
        ArmComparison(
            treatment=e["treatment"],
            control=control,
            segment=e["segment"],
            n_treatment=e["nt"],
            n_control=e["nc"],
            small=bool(e["nt"] < min_n or e["nc"] < min_n),
            pvalue_adjusted=float(adjusted[i]),
            significant=bool(reject[i]),
            result=e["result"],
            cuped_pvalue_adjusted=None if cuped_adj is None else float(cuped_adj[i]),
            note=e["note"],
        )
        for i, e in enumerate(pending)
    )
    tested = int(np.isfinite(pvals).sum())
    family = _family_text(tested, len(pending), arms, control, by_cols, len(segments), corr)
    return CompareManyResult(
        control=control,
        treatments=tuple(arms),
        by=tuple(by_cols),
        correction=corr,
        family=family,
        n_comparisons=tested,
        method=method,
        confidence_level=confidence_level,
        alternative=alternative,
        min_n=int(min_n),
        comparisons=comparisons,
    )


def _key(value: Any) -> Any:
    return None if pd.isna(value) else value


def _family_text(tested: int, total: int, arms: list[Any], control: Any, by: list[str], n_segments: int, corr: str) -> str:
    noun = "comparison" if tested == 1 else "comparisons"
    arm_text = f"{len(arms)} treatment arm{'s' if len(arms) != 1 else ''} vs control {control!r}"
    if by:
        arm_text += f" in {n_segments} segment{'s' if n_segments != 1 else ''} of {', '.join(by)}"
    text = f"{tested} {noun} ({arm_text}), {CORRECTIONS[corr]}"
    if tested < total:
        text += f"; {total - tested} not tested (no responses) and not in the family"
    return text


# ------------------------------------------------------------------------------ rendering


def _flat_row(r: CompareResult) -> dict[str, Any]:
    row: dict[str, Any] = {
        "n_treatment": r.treatment.n,
        "n_control": r.control.n,
        "nps_treatment": r.treatment.nps,
        "nps_control": r.control.nps,
        "difference": r.difference,
        "ci_lower": r.ci_lower,
        "ci_upper": r.ci_upper,
        "pvalue": r.pvalue,
        "se": r.se,
        "method": r.method,
        "confidence_level": r.confidence_level,
        "alternative": r.alternative,
    }
    for name in ("prob_better", "prob_below_margin", "margin_pvalue"):
        if getattr(r, name) is not None:
            row[name] = getattr(r, name)
    if r.row_tests is not None:
        row["mann_whitney_pvalue"] = r.row_tests.mann_whitney.pvalue
        row["ordinal_odds_ratio"] = r.row_tests.ordinal.odds_ratio
        row["ordinal_pvalue"] = r.row_tests.ordinal.pvalue
        row["chi_square_pvalue"] = r.row_tests.chi_square.pvalue
    if r.covariate_adjustment is not None:
        a = r.covariate_adjustment
        row.update(
            cuped_difference=a.difference,
            cuped_ci_lower=a.ci_lower,
            cuped_ci_upper=a.ci_upper,
            cuped_pvalue=a.pvalue,
            variance_reduction=a.variance_reduction,
        )
    return {k: jsonable(v) if isinstance(v, (np.generic,)) else v for k, v in row.items()}


def format_pvalue(p: float) -> str:
    """``p = 0.023`` / ``p < 0.001`` (two significant digits), for sentences and tables."""
    if p is None or not math.isfinite(p):
        return "p not available"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {float(f'{p:.2g}'):g}"


def _summary_sentence(r: CompareResult, treatment: str, control: str) -> str:
    level = f"{100 * r.confidence_level:g}%"
    d = r.difference
    if d > 0:
        verb = f"raised NPS by {d:.1f} points"
    elif d < 0:
        verb = f"lowered NPS by {-d:.1f} points"
    else:
        verb = "left NPS unchanged"
    kind = "credible interval" if r.method == "bayes" else "CI"
    lo = "-inf" if r.ci_lower <= -DIFFERENCE_BOUND else f"{r.ci_lower:.1f}"
    hi = "+inf" if r.ci_upper >= DIFFERENCE_BOUND else f"{r.ci_upper:.1f}"
    text = f"{treatment} {verb} versus {control} ({level} {kind} {lo} to {hi}, {format_pvalue(r.pvalue)})"
    alpha = 1 - r.confidence_level
    if not r.pvalue < alpha:
        text += "; not distinguishable from no change"
    if r.row_tests is not None:
        mw = r.row_tests.mann_whitney
        if math.isfinite(mw.pvalue):
            same_direction = (mw.prob_superiority - 0.5) * d > 0 or (d == 0 and mw.prob_superiority == 0.5)
            significant_main = r.pvalue < alpha
            significant_rank = mw.pvalue < alpha
            agrees = significant_main == significant_rank and (same_direction or not significant_main)
            text += f"; the rank test {'agrees' if agrees else 'disagrees'} ({format_pvalue(mw.pvalue)})"
    if r.covariate_adjustment is not None:
        a = r.covariate_adjustment
        text += (
            f". Adjusted for {', '.join(a.covariates)} (CUPED): {a.difference:+.1f} points "
            f"({level} CI {a.ci_lower:.1f} to {a.ci_upper:.1f}, {format_pvalue(a.pvalue)}), "
            f"variance reduced by {100 * a.variance_reduction:.0f}%"
        )
    return text + "."
