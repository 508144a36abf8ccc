"""Two cohorts: the difference in NPS with an interval and a test; many arms with multiplicity.

Count-based methods (adjusted Wald, Wald, bootstrap, permutation, Bayes) need only the counts; the
row-level tests (Mann-Whitney, proportional odds, chi-square) and CUPED take rows when given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..sources.errors import NPSInputError
from ..sources.results import ResultMixin, jsonable
from .clusters import ClusterComparison, cluster_tables, compare_clusters, ratio_interval
from .cuped import CupedResult, cuped
from .difference import (
    ALTERNATIVES,
    DIFFERENCE_BOUND,
    Alternative,
    MissingPolicy,
    as_group,
    normal_interval,
    normal_pvalue,
    quantile_interval,
    require_integer_counts,
    rng_of,
    z_score,
)
from .intervals import (
    NPSInterval,
    check_confidence_level,
    mover_score_test,
    nps_interval,
    posterior_nps,
)
from .rowtests import RowTests, row_level_tests, row_level_tests_from_table
from .scoring import NPSCounts

CompareMethod = Literal["mover-score", "adjusted-wald", "wald", "bootstrap", "permutation", "bayes"]
#: The first is the default (issue 14: each tail closest to alpha/2 in exact enumeration).
COMPARE_METHODS: tuple[str, ...] = ("mover-score", "adjusted-wald", "wald", "bootstrap", "permutation", "bayes")

#: The single-NPS interval reported beside each comparison method.
_GROUP_METHOD = {
    "mover-score": "score",
    "adjusted-wald": "adjusted-wald",
    "wald": "wald",
    "bootstrap": "bootstrap",
    "permutation": "adjusted-wald",
    "bayes": "bayes",
}


# ------------------------------------------------------------------------------------ results


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
        cluster: with ``cluster=``: the cluster analysis (ICC, design effect, clusters per arm,
            both the t and the permutation results; see :func:`compare`).
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
    cluster: ClusterComparison | None = None

    def confidence_interval(self) -> tuple[float, float]:
        return (self.ci_lower, self.ci_upper)

    @property
    def significant(self) -> bool:
        """True when the p-value is below 1 - confidence_level."""
        return bool(self.pvalue < 1 - self.confidence_level)

    def to_frame(self) -> pd.DataFrame:
        """One row: the difference, both groups' n and NPS, and the row-level p-values."""
        return pd.DataFrame([flat_row(self)])

    def summary(self, treatment: str = "treatment", control: str = "control") -> str:
        """One sentence written from the numbers, e.g. for a notebook conclusion.

        Example: "treatment raised NPS by 6.2 points versus control (95% CI 1.1 to 11.3,
        p = 0.02); the rank test agrees (p = 0.01)."
        """
        return _summary_sentence(self, treatment, control)


# ------------------------------------------------------------------------------------ inputs


def check_compare_options(method: str, confidence_level: float, alternative: str) -> None:
    if method not in COMPARE_METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(COMPARE_METHODS)}")
    if alternative not in ALTERNATIVES:
        raise ValueError(
            f"alternative must be one of {', '.join(ALTERNATIVES)} (as in scipy.stats), got {alternative!r}"
        )
    check_confidence_level(confidence_level)


# ------------------------------------------------------------------------------------ helpers


# ------------------------------------------------------------------------------- count methods


def _wald_difference(
    ct: NPSCounts, cc: NPSCounts, *, adjusted: bool, confidence_level: float, alternative: str,
    margin: float | None,
) -> dict[str, Any]:
    """Wald difference; with ``adjusted`` on the Rocks (2016) adjusted counts of each group."""
    at, ac = (ct.adjusted(), cc.adjusted()) if adjusted else (ct, cc)
    centre = at.nps - ac.nps
    se = 100.0 * math.sqrt(at.variance / at.n + ac.variance / ac.n)
    z = z_score(centre, se)
    lo, hi = normal_interval(centre, se, confidence_level, alternative)
    out: dict[str, Any] = {
        "ci_lower": lo,
        "ci_upper": hi,
        "pvalue": normal_pvalue(z, alternative),
        "se": se,
        "statistic": z,
        "interval_method": "adjusted-wald" if adjusted else "wald",
    }
    if adjusted:
        out["adjusted_difference"] = centre
    if margin is not None:
        out["margin_pvalue"] = normal_pvalue(z_score(centre + margin, se), "greater")
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
    rng = rng_of(random_state)
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
    lo, hi = quantile_interval(diff, confidence_level, alternative)
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

    draws = rng_of(random_state).multivariate_hypergeometric(pooled, nt, size=n_resamples)
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
    rng = rng_of(random_state)
    diff = posterior_nps(ct, n_draws=n_resamples, prior=prior, random_state=rng) - posterior_nps(
        cc, n_draws=n_resamples, prior=prior, random_state=rng
    )
    lo, hi = quantile_interval(diff, confidence_level, alternative)
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


# ------------------------------------------------------------------------------------ CUPED


# ------------------------------------------------------------------------------------ compare


def compare(
    treatment: Any,
    control: Any,
    *,
    method: CompareMethod = "mover-score",
    confidence_level: float = 0.95,
    alternative: Alternative = "two-sided",
    margin: float | None = None,
    covariates: Sequence[str] | None = None,
    score: str = "score",
    missing_covariates: MissingPolicy = "error",
    row_tests: bool = True,
    prior: tuple[float, float, float] = (0.5, 0.5, 0.5),
    n_resamples: int = 10_000,
    max_exact_states: int = 1_000_000,
    random_state: int | np.random.Generator | None = 0,
    cluster: str | None = None,
    cluster_method: str = "auto",
) -> CompareResult:
    """Compare the NPS of a treatment cohort with a control cohort.

    ``difference`` is always the observed NPS(treatment) - NPS(control) in points. With
    ``D = NPS_t - NPS_c`` and per-respondent variances ``V = p_pro + p_det - (p_pro - p_det)^2``:

    - ``"mover-score"`` (default): MOVER (Zou & Donner 2008, Statistics in Medicine
      27:1693-1702; Newcombe 1998 method 10) from each cohort's Tango score limits ``(l, u)``:
      ``lower = D - sqrt((NPS_t - l_t)^2 + (u_c - NPS_c)^2)``, ``upper = D + sqrt((u_t - NPS_t)^2
      + (NPS_c - l_c)^2)``. Its limits follow the skew of each cohort, so at unequal sizes and
      skewed scores both tails stay near alpha/2 (docs/validation.md, two-sample-tails). The
      p-value inverts the interval (the level at which a bound reaches 0), ``statistic`` is that
      signed normal quantile and ``se`` the implied ``(upper - lower) / (2 z)``.
    - ``"adjusted-wald"``: add 3/4 detractor, 3/2 passive, 3/4 promoter to EACH group
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
    - ``"bayes"``: independent ``Dirichlet(prior + counts)`` posteriors (default Jeffreys' prior
      1/2, 1/2, 1/2); equal-tailed credible interval of ``D`` from ``n_resamples`` draws,
      ``prob_better = P(D > 0 | data)`` and, with ``margin``, ``prob_below_margin =
      P(D < -margin | data)``. Its ``pvalue`` is the posterior tail probability ``2 min(P(D <= 0),
      P(D >= 0))`` (one-sided: ``P(D <= 0)`` for "greater", ``P(D >= 0)`` for "less"), not a
      frequentist p-value, though close to one under a weak prior.

    ``alternative`` follows scipy: "greater" means H1: NPS_t > NPS_c; a one-sided alternative
    gives a one-sided interval whose open end is +200 or -200.

    Inputs and what they allow (also ``Table``s and engine tables: Polars, PyArrow, DuckDB, Spark,
    compared through their aggregates with the same statistics as their rows in pandas):
        - ``NPSCounts`` (or ``{"detractors":, "passives":, "promoters":}``): count methods only;
          ``row_tests`` is None.
        - raw 0-10 scores (Series, array, list): also the row-level tests
          (:func:`row_level_tests`).
        - DataFrames holding a ``score`` column (and the covariate columns): also CUPED when
          ``covariates`` is given, e.g. ``compare(frame_t, frame_c, score="score",
          covariates=["prior_score"])``; the result's ``covariate_adjustment`` holds the adjusted
          effect beside the unadjusted one (see :func:`cuped`).
        Missing answers are not responses and are left out.

    Cluster-assigned pilots (``cluster="team"``: whole teams, stores or agents got the change):
        treatment and control must be DataFrames with the ``score`` and ``cluster`` columns.
        Everything then comes from per-cluster counts (:mod:`nps_analysis.stats.clusters`):
        ``difference`` is the ratio-estimator difference (each answer weighs the same, so it
        equals the plain NPS difference); ``ci_lower``/``ci_upper``/``pvalue`` are the
        cluster-robust t (linearised CR1 variance, ``df = G_t + G_c - 2``; Donner & Klar 2000,
        Cameron & Miller 2015) or, when an arm has fewer than 10 clusters (or
        ``cluster_method="permutation"``, or ``method="permutation"``), the permutation test of
        whole clusters and the interval that inverts it; ``.cluster`` holds ``icc``,
        ``design_effect``, ``n_clusters_treatment``, ``n_clusters_control``, ``method``, both
        sets of results and the few-clusters ``note``. ``treatment``/``control`` carry
        cluster-robust t intervals (t on G - 1). ``method`` does not apply otherwise; row-level
        tests (which assume independent answers) and covariates are not available with clusters.

    Args:
        margin: "do no harm" margin in points (>= 0): adds ``prob_below_margin`` (bayes) or
            ``margin_pvalue`` (Wald and bootstrap methods, and the cluster t with ``cluster``;
            H0: ``D <= -margin``).
        row_tests: compute the row-level tests when raw scores are available (the ordinal model
            takes ~0.1 s).
        prior: Dirichlet pseudo-counts (detractors, passives, promoters) for ``bayes``.
        n_resamples: bootstrap resamples, Monte Carlo permutations or posterior draws.
        random_state: seed or Generator for the simulation methods (seeded by default).
        cluster: the column that was assigned (team, store, agent); None (default): answers are
            independent.
        cluster_method: with ``cluster``: ``"auto"`` (default), ``"t"`` or ``"permutation"``.

    Example:
        >>> r = compare(NPSCounts(20, 30, 50), NPSCounts(30, 30, 40), method="wald")
        >>> r.difference, round(r.se, 3)   # 30 - 10; 100 sqrt(0.61/100 + 0.69/100)
        (20.0, 11.402)
    """
    check_compare_options(method, confidence_level, alternative)
    if margin is not None and (not isinstance(margin, (int, float)) or not margin >= 0 or math.isinf(margin)):
        raise ValueError(f"margin must be a finite number of points >= 0 (H0: difference <= -margin), got {margin!r}")
    if method in ("bootstrap", "permutation", "bayes") and (not isinstance(n_resamples, (int, np.integer)) or n_resamples < 1):
        raise ValueError(f"n_resamples must be a positive integer, got {n_resamples!r}")
    from ..sources.arm_counts import is_table

    if is_table(treatment) or is_table(control):
        return _compare_tables(
            treatment, control, score=score, method=method, confidence_level=confidence_level,
            alternative=alternative, margin=margin, covariates=covariates, missing_covariates=missing_covariates,
            row_tests=row_tests, cluster=cluster, cluster_method=cluster_method,
            options=dict(prior=prior, n_resamples=n_resamples, max_exact_states=max_exact_states,
                         random_state=random_state),
        )
    if cluster is not None:
        return _compare_by_cluster(
            treatment, control, cluster=cluster, score=score, confidence_level=confidence_level,
            alternative=alternative, margin=margin, covariates=covariates, n_resamples=n_resamples,
            random_state=random_state, cluster_method="permutation" if method == "permutation" else cluster_method,
        )
    t = as_group(treatment, "treatment", score)
    c = as_group(control, "control", score)
    for role, group in (("treatment", t), ("control", c)):
        if group.counts.n <= 0:
            raise ValueError(f"the {role} group has no responses (n = 0)")
        if method in ("bootstrap", "permutation"):
            require_integer_counts(group.counts, role, method)

    ct, cc = t.counts, c.counts
    if method == "mover-score":
        fields = mover_score_test(
            ct.as_array(), cc.as_array(), confidence_level=confidence_level, alternative=alternative,
            margin=margin,
        )
        fields["interval_method"] = "mover-score"
    elif method in ("adjusted-wald", "wald"):
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


def _compare_tables(
    treatment: Any, control: Any, *, score: str, method: str, confidence_level: float, alternative: str,
    margin: float | None, covariates: Sequence[str] | None, missing_covariates: str, row_tests: bool,
    cluster: str | None, cluster_method: str, options: dict[str, Any],
) -> CompareResult:
    """``compare`` on two ``Table``s or engine tables: the same statistics from their aggregates
    (the 11-level answer table of each, the covariate patterns or moments of both, the answers per
    cluster), so the result equals ``compare`` on the same rows in pandas."""
    from dataclasses import replace

    from ..sources.arm_counts import answer_levels, cluster_tables_by, level_matrix
    from ..sources.tables import native

    t_data, c_data = native(treatment), native(control)
    if cluster is not None:
        if covariates is not None:
            raise NPSInputError(
                "covariates cannot be combined with cluster=: the CUPED variance treats answers as "
                "independent; compare without covariates"
            )
        (t_table,), (c_table,) = (tuple(cluster_tables_by(d, score, [], cluster).values()) for d in (t_data, c_data))
        shared = t_table.index.intersection(c_table.index)
        if len(shared):
            raise NPSInputError(
                f"{len(shared)} cluster(s) appear in both arms (e.g. {list(shared[:5])}); in a "
                "cluster-assigned pilot every customer of a cluster has the same arm", column=cluster,
            )
        return compare_cluster_counts(
            t_table, c_table, confidence_level=confidence_level, alternative=alternative, margin=margin,
            n_resamples=options["n_resamples"], random_state=options["random_state"],
            cluster_method="permutation" if method == "permutation" else cluster_method,
        )
    bins = [level_matrix(answer_levels(d, score), [])[1][0] for d in (t_data, c_data)]
    result = compare(NPSCounts.from_distribution(bins[0]), NPSCounts.from_distribution(bins[1]), method=method,
                     confidence_level=confidence_level, alternative=alternative, margin=margin, **options)
    changes: dict[str, Any] = {}
    if row_tests:
        changes["row_tests"] = row_level_tests_from_table(bins[0], bins[1], alternative=alternative,
                                                          confidence_level=confidence_level)
    if covariates is not None:
        from .cuped_tables import CovariateSums

        both = _stacked(t_data, c_data, [score, *covariates])
        sums = CovariateSums.compute(both, score, [_ARM], list(covariates), missing=missing_covariates)
        changes["covariate_adjustment"] = sums.cuped(("treatment",), ("control",), confidence_level=confidence_level,
                                                     alternative=alternative)
    return replace(result, **changes) if changes else result


#: The arm column of two tables stacked for a covariate adjustment.
_ARM = "_nps_arm_"


def _stacked(treatment: Any, control: Any, columns: Sequence[str]) -> Any:
    """The two tables' ``columns`` stacked, with an arm column (one engine: a pandas frame becomes one)."""
    from ..sources.engines import narwhals_module

    nw = narwhals_module()
    frames = []
    for data, arm in ((treatment, "treatment"), (control, "control")):
        frame = nw.from_native(data)
        if isinstance(frame, nw.DataFrame) and frame.implementation.is_polars():
            frame = frame.lazy()
        frames.append(frame.select(*columns).with_columns(nw.lit(arm).alias(_ARM)))
    try:
        return nw.concat(frames, how="vertical").to_native()
    except Exception as exc:  # different engines, or columns of different types
        raise NPSInputError(
            f"covariate adjustment needs the treatment and control rows in one engine with the same column "
            f"types: {type(exc).__name__}: {exc}"
        ) from None


def _compare_by_cluster(
    treatment: Any, control: Any, *, cluster: str, score: str, confidence_level: float,
    alternative: str, margin: float | None, covariates: Sequence[str] | None, n_resamples: int,
    random_state: Any, cluster_method: str,
) -> CompareResult:
    """``compare(..., cluster=...)``: every number from per-cluster counts (stats/clusters.py)."""
    if covariates is not None:
        raise NPSInputError(
            "covariates cannot be combined with cluster=: the CUPED variance treats answers as "
            "independent; compare without covariates"
        )
    for role, frame in (("treatment", treatment), ("control", control)):
        if not isinstance(frame, pd.DataFrame):
            raise NPSInputError(
                f"cluster={cluster!r} needs rows: pass {role} as a DataFrame with the columns "
                f"{score!r} and {cluster!r}"
            )
    tables = cluster_tables(treatment, control, score=score, cluster=cluster)
    return compare_cluster_counts(
        *tables, confidence_level=confidence_level, alternative=alternative, margin=margin,
        n_resamples=n_resamples, random_state=random_state, cluster_method=cluster_method,
    )


def compare_cluster_counts(
    treatment: pd.DataFrame, control: pd.DataFrame, *, confidence_level: float = 0.95,
    alternative: str = "two-sided", margin: float | None = None, n_resamples: int = 10_000,
    random_state: Any = 0, cluster_method: str = "auto",
) -> CompareResult:
    """``compare(..., cluster=...)`` from per-cluster counts of each arm (``detractors``,
    ``passives``, ``promoters`` per cluster, sorted by cluster label, as
    :func:`nps_analysis.stats.clusters.cluster_counts` or ``aggregates.cluster_counts`` give)."""
    from scipy.stats import t as t_dist

    tables = (treatment, control)
    r = compare_clusters(
        *tables, confidence_level=confidence_level, alternative=alternative, method=cluster_method,
        n_resamples=n_resamples, random_state=random_state,
    )
    arms = []
    for table in tables:
        counts = table[["detractors", "passives", "promoters"]].to_numpy(dtype=float)
        nps, lo, hi, se = ratio_interval(counts, confidence_level=confidence_level)
        d, p, pr = (int(v) for v in counts.sum(axis=0))  # cluster_counts holds whole answers
        arms.append(NPSInterval(nps, lo, hi, se, d + p + pr, "cluster-t", confidence_level, d, p, pr))
    margin_p = None
    if margin is not None and r.se > 0 and r.df > 0:
        margin_p = float(t_dist.sf((r.difference + margin) / r.se, r.df))
    return CompareResult(
        difference=r.difference, ci_lower=r.ci_lower, ci_upper=r.ci_upper, pvalue=r.pvalue,
        se=r.se, method=r.method, confidence_level=confidence_level, alternative=alternative,
        treatment=arms[0], control=arms[1], interval_method=r.method, statistic=r.statistic,
        n_resamples=r.n_permutations, exact=r.permutation_exact,
        margin=None if margin is None else float(margin), margin_pvalue=margin_p, cluster=r,
    )


# ------------------------------------------------------------------------------- many arms


# ------------------------------------------------------------------------------ rendering


def flat_row(r: CompareResult) -> dict[str, Any]:
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
    if r.cluster is not None:
        k = r.cluster
        row.update(
            icc=k.icc, design_effect=k.design_effect, n_clusters_treatment=k.n_clusters_treatment,
            n_clusters_control=k.n_clusters_control, t_pvalue=k.t_pvalue,
            permutation_pvalue=k.permutation_pvalue,
        )
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
    # Two significant digits, but never more than three decimals (0.0012 is written 0.001).
    return f"p = {p:.3f}" if p < 0.01 else f"p = {float(f'{p:.2g}'):g}"


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
    if r.cluster is not None:
        text += (
            f"; analysed by cluster ({r.cluster.n_clusters_treatment} + {r.cluster.n_clusters_control} "
            f"clusters, ICC {r.cluster.icc:.3f}, design effect {r.cluster.design_effect:.1f})"
        )
        if r.cluster.note:
            text += f"; {r.cluster.note}"
    if r.covariate_adjustment is not None:
        a = r.covariate_adjustment
        text += (
            f". Adjusted for {', '.join(a.covariates)} (CUPED): {a.difference:+.1f} points "
            f"({level} CI {a.ci_lower:.1f} to {a.ci_upper:.1f}, {format_pvalue(a.pvalue)}), "
            f"variance reduced by {100 * a.variance_reduction:.0f}%"
        )
        if a.rows_dropped:
            text += f"; the adjusted effect describes {a.population}"
    return text + "."
