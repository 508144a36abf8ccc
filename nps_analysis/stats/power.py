"""Power and sample size for NPS experiments: n per arm, minimum detectable effect, margin of error.

Normal-approximation formulas on the per-respondent variance of the -1/0/+1 value (DOMAIN.md),
checked by simulation of :func:`nps_analysis.compare` in the tests and benchmarks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..sources.results import ResultMixin
from .cluster_design import ClusterSampleSizeResult, design_effect, t_power
from .intervals import check_confidence_level
from .scoring import NPSCounts, as_counts

#: How the treatment distribution is assumed to differ from the baseline (see sample_size).
SHIFT_ASSUMPTION = (
    "treatment moves mde/2 percentage points of respondents from detractors to promoters "
    "(from promoters to detractors for a negative mde); the passive share is unchanged"
)


@dataclass(frozen=True)
class SampleSizeResult(ResultMixin):
    """Respondents needed per arm to detect ``mde`` points with the requested power.

    ``n_per_arm`` is set when the allocation is equal (``ratio == 1``); otherwise read
    ``n_treatment`` and ``n_control``. ``achieved_power`` is the power at the rounded-up sizes.
    """

    n_treatment: int
    n_control: int
    n_total: int
    n_per_arm: int | None
    mde: float
    baseline_nps: float
    passive_share: float
    treatment_nps: float
    variance_control: float
    variance_treatment: float
    alpha: float
    power: float
    achieved_power: float
    ratio: float
    alternative: str
    assumption: str


# --------------------------------------------------------------------------------- baseline


def baseline_shares(
    baseline_nps: float | None = None,
    passive_share: float | None = None,
    baseline: Any = None,
) -> tuple[float, float, float]:
    """``(p_det, p_pas, p_pro)`` from an NPS and a passive share, or from baseline counts/scores.

    ``p_pro - p_det = NPS / 100`` and ``p_pro + p_det = 1 - passive_share``.
    """
    if baseline is not None:
        if baseline_nps is not None or passive_share is not None:
            raise ValueError("give either baseline (counts or scores) or baseline_nps and passive_share, not both")
        counts = as_counts(baseline)
        if counts.n <= 0:
            raise ValueError("the baseline has no responses")
        return counts.detractor_share, counts.passive_share, counts.promoter_share
    if baseline_nps is None or passive_share is None:
        raise ValueError(
            "give the baseline distribution: baseline_nps (points) and passive_share (e.g. 0.3), "
            "or baseline=NPSCounts(...)"
        )
    if not -100 <= baseline_nps <= 100:
        raise ValueError(f"baseline_nps must be between -100 and 100 points, got {baseline_nps!r}")
    if not 0 <= passive_share <= 1:
        raise ValueError(f"passive_share must be between 0 and 1, got {passive_share!r}")
    d = baseline_nps / 100.0
    p_pro = (1.0 - passive_share + d) / 2.0
    p_det = (1.0 - passive_share - d) / 2.0
    if p_pro < -1e-12 or p_det < -1e-12:
        raise ValueError(
            f"NPS {baseline_nps} is impossible with a passive share of {passive_share}: "
            f"|NPS| can be at most {100 * (1 - passive_share):g}"
        )
    return max(p_det, 0.0), float(passive_share), max(p_pro, 0.0)


def _variance(p_det: float, p_pro: float) -> float:
    """Per-respondent variance of the -1/0/+1 value: p_pro + p_det - (p_pro - p_det)^2."""
    return p_pro + p_det - (p_pro - p_det) ** 2


def _shifted(shares: tuple[float, float, float], mde: float) -> tuple[float, float, float]:
    p_det, p_pas, p_pro = shares
    step = mde / 200.0
    new_det, new_pro = p_det - step, p_pro + step
    if new_det < -1e-12 or new_pro < -1e-12:
        raise ValueError(
            f"an effect of {mde:+g} points is impossible under the assumption that "
            f"{SHIFT_ASSUMPTION}: the baseline has {100 * p_det:.1f}% detractors and "
            f"{100 * p_pro:.1f}% promoters"
        )
    return max(new_det, 0.0), p_pas, max(new_pro, 0.0)


def _z_alpha(alpha: float, alternative: str) -> float:
    from scipy.stats import norm

    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    if alternative == "two-sided":
        return float(norm.isf(alpha / 2))
    if alternative in ("greater", "less"):
        return float(norm.isf(alpha))
    raise ValueError(f"alternative must be 'two-sided', 'greater' or 'less', got {alternative!r}")


def _check_direction(mde: float, alternative: str) -> None:
    if not math.isfinite(mde) or mde == 0:
        raise ValueError(f"mde must be a non-zero number of NPS points, got {mde!r}")
    if alternative == "greater" and mde < 0:
        raise ValueError("alternative='greater' tests for an increase: mde must be positive")
    if alternative == "less" and mde > 0:
        raise ValueError("alternative='less' tests for a decrease: mde must be negative")


def _check_ratio(ratio: float) -> None:
    if not (isinstance(ratio, (int, float)) and math.isfinite(ratio) and ratio > 0):
        raise ValueError(f"ratio (n_treatment / n_control) must be a positive number, got {ratio!r}")


# --------------------------------------------------------------------------------- public API


def sample_size(
    mde: float,
    *,
    baseline_nps: float | None = None,
    passive_share: float | None = None,
    baseline: NPSCounts | Any = None,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    alternative: str = "two-sided",
    cluster_size: int | None = None,
    icc: float | None = None,
    cluster_size_cv: float = 0.0,
) -> SampleSizeResult | ClusterSampleSizeResult:
    """Respondents per arm to detect a difference of ``mde`` NPS points (treatment - control).

    Formula (normal approximation for two independent cohorts, DOMAIN.md; e.g. Chow, Shao &
    Wang 2008, *Sample Size Calculations in Clinical Research*, 3.2): with allocation
    ``ratio = n_t / n_c``,
    ``n_c = (z_(1-alpha/2) + z_(1-beta))^2 (V_t / ratio + V_c) / Delta^2`` and ``n_t = ratio n_c``,
    i.e. ``(z_a/2 + z_b)^2 (V_1 + V_2) / Delta^2`` per arm for equal arms; ``z_(1-alpha)`` for a
    one-sided alternative. ``Delta = mde / 100`` and ``V = p_pro + p_det - (p_pro - p_det)^2``.
    Both sizes are rounded up; respondents, not invitations (divide by the response rate).

    Assumption about the treatment: it moves ``mde / 2`` percentage points of respondents from
    detractors to promoters (promoters to detractors when ``mde`` < 0) and leaves the passive
    share unchanged, so ``V_t`` follows from the baseline. A change that also moves passives
    has a different variance; pass the baseline you expect for the treatment in that case.

    Args:
        mde: the difference to detect, in points (negative for a drop).
        baseline_nps, passive_share: the control distribution as NPS (points) and passive share
            (0-1); or ``baseline``: ``NPSCounts`` (or raw scores) of the control, e.g. last month.
        alpha: type-I error; power: 1 - beta.
        ratio: n_treatment / n_control (2.0 = twice as many in treatment).
        alternative: "two-sided" (default), "greater" (mde > 0) or "less" (mde < 0).
        cluster_size, icc: for a pilot assigned by team, store or agent: answers per cluster and
            the intracluster correlation (e.g. from :func:`nps_analysis.stats.clusters.icc` on
            past data). Both together return a :class:`ClusterSampleSizeResult` with clusters
            per arm and answers per cluster (:func:`cluster_sample_size`); ``cluster_size_cv``
            is the coefficient of variation of the cluster sizes (0: equal).

    Example:
        >>> r = sample_size(10, baseline_nps=20, passive_share=0.3)
        >>> r.n_per_arm   # (1.95996 + 0.84162)^2 (0.61 + 0.66) / 0.1^2 = 996.8
        997
    """
    from scipy.stats import norm

    if cluster_size is not None or icc is not None:
        if cluster_size is None or icc is None:
            raise ValueError("a cluster design needs both cluster_size (answers per cluster) and icc")
        return cluster_sample_size(
            mde, cluster_size=cluster_size, icc=icc, cluster_size_cv=cluster_size_cv,
            baseline_nps=baseline_nps, passive_share=passive_share, baseline=baseline,
            alpha=alpha, power=power, ratio=ratio, alternative=alternative,
        )
    _check_direction(mde, alternative)
    _check_ratio(ratio)
    if not 0 < power < 1:
        raise ValueError(f"power must be between 0 and 1, got {power!r}")
    control = baseline_shares(baseline_nps, passive_share, baseline)
    treatment = _shifted(control, mde)
    v_c = _variance(control[0], control[2])
    v_t = _variance(treatment[0], treatment[2])
    z = _z_alpha(alpha, alternative) + float(norm.ppf(power))
    delta = mde / 100.0
    n_c_exact = z * z * (v_t / ratio + v_c) / (delta * delta)
    # Round the tiny float noise away before ceil (996.0000000001 must not become 997).
    n_c = max(1, math.ceil(round(n_c_exact, 9)))
    n_t = max(1, math.ceil(round(ratio * n_c_exact, 9)))
    return SampleSizeResult(
        n_treatment=n_t,
        n_control=n_c,
        n_total=n_t + n_c,
        n_per_arm=n_c if ratio == 1 else None,
        mde=float(mde),
        baseline_nps=100.0 * (control[2] - control[0]),
        passive_share=control[1],
        treatment_nps=100.0 * (treatment[2] - treatment[0]),
        variance_control=v_c,
        variance_treatment=v_t,
        alpha=alpha,
        power=power,
        achieved_power=_power(n_t, n_c, mde, control, alpha, alternative),
        ratio=float(ratio),
        alternative=alternative,
        assumption=SHIFT_ASSUMPTION,
    )


def achieved_power(
    n_treatment: float,
    n_control: float,
    mde: float,
    *,
    baseline_nps: float | None = None,
    passive_share: float | None = None,
    baseline: NPSCounts | Any = None,
    alpha: float = 0.05,
    alternative: str = "two-sided",
) -> float:
    """Power of the two-cohort z-test to detect ``mde`` points with these arm sizes.

    ``SE = sqrt(V_t / n_t + V_c / n_c)`` (same shift assumption as :func:`sample_size`); two-sided
    power ``Phi(|Delta|/SE - z_(1-alpha/2)) + Phi(-|Delta|/SE - z_(1-alpha/2))``, one-sided
    ``Phi(|Delta|/SE - z_(1-alpha))``.

    Example:
        >>> round(achieved_power(997, 997, 10, baseline_nps=20, passive_share=0.3), 3)
        0.8
    """
    _check_direction(mde, alternative)
    if not (n_treatment > 0 and n_control > 0):
        raise ValueError(f"arm sizes must be positive, got {n_treatment!r} and {n_control!r}")
    control = baseline_shares(baseline_nps, passive_share, baseline)
    return _power(n_treatment, n_control, mde, control, alpha, alternative)


def _power(n_t: float, n_c: float, mde: float, control: tuple[float, float, float], alpha: float, alternative: str) -> float:
    from scipy.stats import norm

    treatment = _shifted(control, mde)
    se = math.sqrt(_variance(treatment[0], treatment[2]) / n_t + _variance(control[0], control[2]) / n_c)
    z_a = _z_alpha(alpha, alternative)
    if se == 0:
        return 1.0
    lam = abs(mde) / 100.0 / se
    if alternative == "two-sided":
        return float(norm.cdf(lam - z_a) + norm.cdf(-lam - z_a))
    return float(norm.cdf(lam - z_a))


def minimum_detectable_effect(
    n_treatment: float,
    n_control: float | None = None,
    *,
    baseline_nps: float | None = None,
    passive_share: float | None = None,
    baseline: NPSCounts | Any = None,
    alpha: float = 0.05,
    power: float = 0.8,
    alternative: str = "two-sided",
) -> float:
    """Smallest effect (points) detectable with ``power`` at these arm sizes (the inverse of
    :func:`sample_size`).

    Solves ``Delta = (z_a + z_b) sqrt(V_t(Delta) / n_t + V_c / n_c)`` for ``Delta`` (``V_t``
    depends on ``Delta`` through the shift assumption of :func:`sample_size`). Positive (an
    increase) for "two-sided" and "greater", negative for "less". ``n_control`` defaults to
    ``n_treatment``. Raises ``ValueError`` when no possible effect reaches the power.

    Example:
        >>> round(minimum_detectable_effect(997, baseline_nps=20, passive_share=0.3), 1)
        10.0
    """
    from scipy.optimize import brentq
    from scipy.stats import norm

    n_control = n_treatment if n_control is None else n_control
    if not (n_treatment > 0 and n_control > 0):
        raise ValueError(f"arm sizes must be positive, got {n_treatment!r} and {n_control!r}")
    if not 0 < power < 1:
        raise ValueError(f"power must be between 0 and 1, got {power!r}")
    control = baseline_shares(baseline_nps, passive_share, baseline)
    z = _z_alpha(alpha, alternative) + float(norm.ppf(power))
    sign = -1.0 if alternative == "less" else 1.0
    # The largest feasible shift moves every detractor (or promoter) across.
    limit = 200.0 * (control[0] if sign > 0 else control[2])

    def gap(delta_points: float) -> float:
        t = _shifted(control, sign * delta_points)
        se = math.sqrt(_variance(t[0], t[2]) / n_treatment + _variance(control[0], control[2]) / n_control)
        return delta_points / 100.0 - z * se

    if limit <= 0 or gap(limit) < 0:
        raise ValueError(
            f"with {n_treatment:g} and {n_control:g} respondents no effect possible under the "
            f"shift assumption reaches power {power}"
        )
    return sign * float(brentq(gap, 1e-9, limit, xtol=1e-10))


def margin_of_error(
    n: float | np.ndarray,
    *,
    baseline_nps: float | None = None,
    passive_share: float | None = None,
    baseline: NPSCounts | Any = None,
    confidence_level: float = 0.95,
) -> float | np.ndarray:
    """Half-width (points) of the confidence interval of one NPS from ``n`` respondents.

    ``z_(1-alpha/2) sqrt(V / n) x 100`` with ``V = p_pro + p_det - (p_pro - p_det)^2`` (the Wald
    half-width; DOMAIN.md). Without a baseline the worst case ``V = 1`` (no passives, NPS 0) is
    used, which bounds every distribution. ``n`` may be an array.

    Example:
        >>> round(margin_of_error(400), 2)   # 1.95996 x sqrt(1 / 400) x 100
        9.8
    """
    from scipy.stats import norm

    check_confidence_level(confidence_level)
    n_arr = np.asarray(n, dtype=float)
    if np.any(~(n_arr > 0)):
        raise ValueError(f"n must be positive, got {n!r}")
    if baseline is None and baseline_nps is None and passive_share is None:
        v = 1.0
    else:
        p_det, _, p_pro = baseline_shares(baseline_nps, passive_share, baseline)
        v = _variance(p_det, p_pro)
    out = float(norm.ppf(0.5 + confidence_level / 2)) * np.sqrt(v / n_arr) * 100.0
    return float(out) if np.ndim(out) == 0 else out


# --------------------------------------------------------------------------- cluster pilots


def cluster_sample_size(
    mde: float,
    *,
    cluster_size: int,
    icc: float,
    cluster_size_cv: float = 0.0,
    baseline_nps: float | None = None,
    passive_share: float | None = None,
    baseline: Any = None,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    alternative: str = "two-sided",
) -> ClusterSampleSizeResult:
    """Clusters per arm (and answers per cluster) to detect ``mde`` points in a cluster pilot.

    1. ``n`` per arm for individually randomised respondents from
       :func:`sample_size` (``(z_a/2 + z_b)^2 (V_t + V_c) / Delta^2``).
    2. Design effect ``DE = 1 + ((1 + cv^2) m - 1) icc`` (:func:`design_effect`).
    3. Clusters ``k = ceil(n DE / m)`` per arm (treatment ``ratio`` times control), then raised one
       at a time until the noncentral-t power of the cluster t-test with ``df = k_t + k_c - 2``
       and ``SE^2 = DE (V_t / (k_t m) + V_c / (k_c m))`` reaches ``power`` (the z formula alone
       is too optimistic for few clusters; Hayes & Moulton 2017, *Cluster Randomised Trials*,
       ch. 7). At least 2 clusters per arm.

    Example:
        >>> r = cluster_sample_size(10, cluster_size=50, icc=0.02, baseline_nps=20, passive_share=0.3)
        >>> r.design_effect   # 1 + (50 - 1) 0.02
        1.98
    """
    if not (isinstance(cluster_size, (int, np.integer)) and cluster_size >= 1):
        raise ValueError(f"cluster_size must be a whole number of answers per cluster >= 1, got {cluster_size!r}")
    deff = design_effect(cluster_size, icc, cluster_size_cv=cluster_size_cv)
    base: SampleSizeResult = sample_size(  # type: ignore[assignment]
        mde, baseline_nps=baseline_nps, passive_share=passive_share, baseline=baseline,
        alpha=alpha, power=power, ratio=ratio, alternative=alternative,
    )
    m = int(cluster_size)
    k_c = max(2, math.ceil(round(base.n_control * deff / m, 9)))

    def k_t_of(kc: int) -> int:
        return max(2, math.ceil(round(ratio * kc, 9)))

    def power_at(kc: int) -> float:
        kt = k_t_of(kc)
        se = math.sqrt(deff * (base.variance_treatment / (kt * m) + base.variance_control / (kc * m)))
        return t_power(abs(mde) / 100.0 / se, kt + kc - 2, alpha, alternative)

    achieved = power_at(k_c)
    while achieved < power:
        k_c += 1
        achieved = power_at(k_c)
    k_t = k_t_of(k_c)
    return ClusterSampleSizeResult(
        clusters_per_arm=k_c if ratio == 1 else None,
        clusters_treatment=k_t,
        clusters_control=k_c,
        answers_per_cluster=m,
        n_treatment=k_t * m,
        n_control=k_c * m,
        n_individual_treatment=base.n_treatment,
        n_individual_control=base.n_control,
        design_effect=float(deff),
        icc=float(icc),
        cluster_size_cv=float(cluster_size_cv),
        df=k_t + k_c - 2,
        achieved_power=float(achieved),
        mde=float(mde),
        alpha=alpha,
        power=power,
        ratio=float(ratio),
        alternative=alternative,
        formula=(
            "k = ceil(n DE / m), DE = 1 + ((1 + cv^2) m - 1) icc, then k raised until the "
            "noncentral-t power on df = k_t + k_c - 2 reaches the target"
        ),
    )
