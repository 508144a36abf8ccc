"""Power and sample size for NPS experiments: n per arm, minimum detectable effect, margin of error.

Computed for the tests the kit runs by default (issue 14): the power of the MOVER-score test of
``compare`` and the expected half-width of the continuity-corrected score interval of
``nps_interval``; checked by simulation in benchmarks/power_check.py and the tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from ..sources.results import ResultMixin
from .cluster_design import ClusterSampleSizeResult, design_effect, t_power
from .intervals import check_confidence_level, score_bounds
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

Planned for the test ``compare`` runs by default (MOVER-score, issue 14): the smallest
    ``n_c`` (``n_t = ratio n_c``) whose power :func:`mover_score_power` reaches ``power``, i.e.
    ``Phi((Delta - h) / sd) (+ the opposite tail, two-sided) = power`` with ``sd = sqrt(V_t / n_t
    + V_c / n_c)`` and ``h`` the MOVER half-width built from the Tango score limits at the expected
    counts (the score-test form of Farrington & Manning 1990: null spread in the critical value).
    For large n this is the textbook ``(z_(1-alpha/2) + z_(1-beta))^2 (V_t / ratio + V_c) /
    Delta^2`` (Chow, Shao & Wang 2008, 3.2; DOMAIN.md), from which the search starts; at small
    skewed baselines the score limits' variance differs and so does n. ``Delta = mde / 100``,
    ``V = p_pro + p_det - (p_pro - p_det)^2``. Both sizes are rounded up; respondents, not
    invitations (divide by the response rate). benchmarks/power_check.py simulates the plan.

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
        >>> r.n_per_arm   # the Wald formula gives 996.8; the score limits' null spread adds a little
        1000
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
    wald_start = z * z * (v_t / ratio + v_c) / (delta * delta)
    n_c_exact = mover_score_sample_size(
        treatment, control, alpha=alpha, power=power, ratio=ratio, alternative=alternative, start=wald_start
    )
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
    """Power of the default two-cohort test (MOVER-score) to detect ``mde`` points at these sizes.

    :func:`mover_score_power` under the shift assumption of :func:`sample_size`.

    Example:
        >>> round(achieved_power(1000, 1000, 10, baseline_nps=20, passive_share=0.3), 3)
        0.8
    """
    _check_direction(mde, alternative)
    if not (n_treatment > 0 and n_control > 0):
        raise ValueError(f"arm sizes must be positive, got {n_treatment!r} and {n_control!r}")
    control = baseline_shares(baseline_nps, passive_share, baseline)
    return _power(n_treatment, n_control, mde, control, alpha, alternative)


def _power(n_t: float, n_c: float, mde: float, control: tuple[float, float, float], alpha: float, alternative: str) -> float:

    treatment = _shifted(control, mde)
    _z_alpha(alpha, alternative)  # validates alpha and alternative
    return mover_score_power(treatment, control, n_t, n_c, alpha=alpha, alternative=alternative)


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

    Solves ``mover_score_power(Delta) = power`` for ``Delta`` (the power of the default test,
    as :func:`sample_size`; ``V_t`` depends on ``Delta`` through the shift assumption). Positive
    (an increase) for "two-sided" and "greater", negative for "less". ``n_control`` defaults to
    ``n_treatment``. Raises ``ValueError`` when no possible effect reaches the power.

    Example:
        >>> round(minimum_detectable_effect(1000, baseline_nps=20, passive_share=0.3), 1)
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

    del z  # the power function below carries alpha and power itself

    def gap(delta_points: float) -> float:
        t = _shifted(control, sign * delta_points)
        return mover_score_power(t, control, n_treatment, n_control, alpha=alpha, alternative=alternative) - power

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
    """Expected half-width (points) of the default interval of one NPS from ``n`` respondents.

    Half the distance between the continuity-corrected Tango score limits (``nps_interval``'s
    default, ``"score-cc"``) at the expected counts ``n x shares``: for large n this is the Wald
    ``z sqrt(V / n) x 100`` (DOMAIN.md). Without a baseline the worst case, half detractors and
    half promoters (no passives, NPS 0), which is the widest on every lattice checked
    (tests/test_power.py). ``n`` may be an array.

    Example:
        >>> round(margin_of_error(400), 2)   # Wald would say 1.95996 x sqrt(1 / 400) x 100 = 9.8
        9.88
    """
    from scipy.stats import norm

    check_confidence_level(confidence_level)
    n_arr = np.asarray(n, dtype=float)
    if np.any(~(n_arr > 0)):
        raise ValueError(f"n must be positive, got {n!r}")
    if baseline is None and baseline_nps is None and passive_share is None:
        shares = (0.5, 0.0, 0.5)
    else:
        shares = baseline_shares(baseline_nps, passive_share, baseline)
    z = float(norm.ppf(0.5 + confidence_level / 2))
    out = 100.0 * score_margin_of_error(shares, n_arr, z, cc=0.5)
    return float(out) if np.ndim(out) == 0 else out


# ---------------------------------------------- power of the default test (issue 14)

_N = NormalDist()


def score_limits(shares: tuple[float, float, float], n: float, z: float) -> tuple[float, float]:
    """Tango score limits of one NPS (fractions) at the expected counts ``n x shares``.

    The population version of the interval: ``l`` solves ``theta - l = z sqrt(V(l) / n)`` with
    ``V(l) = 2 p~(l) + l (1 - l)`` the null variance at ``l`` (Tango 1998), ``p~`` the detractor
    share under ``NPS = l`` closest to the truth. The realised limits scatter around these.
    """
    p_det, p_pas, p_pro = shares
    return score_bounds(n * p_det, n * p_pas, n * p_pro, z)


def mover_score_power(
    treatment: tuple[float, float, float],
    control: tuple[float, float, float],
    n_treatment: float,
    n_control: float,
    *,
    alpha: float = 0.05,
    alternative: str = "two-sided",
) -> float:
    """Power of the MOVER-score test of ``NPS_t - NPS_c = 0`` (the default of ``compare``).

    The test rejects for an increase when the MOVER lower bound ``D - sqrt((t1 - l1)^2 + (u2 -
    t2)^2)`` is above 0 (Zou & Donner 2008), i.e. when ``D > h`` with ``h`` the half-width built
    from the score limits. With ``h`` replaced by its value at the expected counts (``h+`` for an
    increase, ``h-`` for a decrease) and ``D ~ N(Delta, V_t / n_t + V_c / n_c)``:
    ``power = Phi((Delta - h+) / sd) + Phi((-Delta - h-) / sd)`` (two-sided, ``z = z_(1-alpha/2)``);
    one-sided alternatives keep their own term with ``z = z_(1-alpha)``. This is the score-test
    power formula (e.g. Farrington & Manning 1990, Statistics in Medicine 9:1447-1454: the null
    standard error in the critical value, the alternative one in the spread), for the MOVER test.
    """
    if alternative == "two-sided":
        z = _N.inv_cdf(1 - alpha / 2)
    elif alternative in ("greater", "less"):
        z = _N.inv_cdf(1 - alpha)
    else:
        raise ValueError(f"alternative must be 'two-sided', 'greater' or 'less', got {alternative!r}")
    t1 = treatment[2] - treatment[0]
    t2 = control[2] - control[0]
    v1 = treatment[2] + treatment[0] - t1 * t1
    v2 = control[2] + control[0] - t2 * t2
    sd = math.sqrt(v1 / n_treatment + v2 / n_control)
    l1, u1 = score_limits(treatment, n_treatment, z)
    l2, u2 = score_limits(control, n_control, z)
    delta = t1 - t2
    h_up = math.sqrt((t1 - l1) ** 2 + (u2 - t2) ** 2)
    h_down = math.sqrt((u1 - t1) ** 2 + (t2 - l2) ** 2)
    if sd == 0:
        up, down = float(delta > h_up), float(-delta > h_down)
    else:
        up = _N.cdf((delta - h_up) / sd)
        down = _N.cdf((-delta - h_down) / sd)
    if alternative == "greater":
        return up
    if alternative == "less":
        return down
    return min(1.0, up + down)


def mover_score_sample_size(
    treatment: tuple[float, float, float],
    control: tuple[float, float, float],
    *,
    alpha: float,
    power: float,
    ratio: float,
    alternative: str,
    start: float,
) -> float:
    """Smallest (continuous) control size ``n_c`` with :func:`mover_score_power` >= ``power``.

    ``n_t = ratio n_c``. ``start`` is the Wald-formula size, used to bracket the root.
    """
    from scipy.optimize import brentq

    def gap(n_c: float) -> float:
        return mover_score_power(treatment, control, ratio * n_c, n_c, alpha=alpha, alternative=alternative) - power

    lo = max(2.0, 0.25 * start)
    hi = max(4.0, 2.0 * start)
    while gap(lo) > 0 and lo > 2.0:
        lo = max(2.0, lo / 2)
    while gap(hi) < 0:
        hi *= 2
        if hi > 1e9:
            raise ValueError("no sample size reaches the requested power")
    if gap(lo) >= 0:
        return lo
    return float(brentq(gap, lo, hi, xtol=1e-6))


def score_margin_of_error(
    shares: tuple[float, float, float], n: np.ndarray | float, z: float, cc: float = 0.0
) -> np.ndarray:
    """Expected half-width (fraction) of the score interval: ``(u - l) / 2`` at the expected counts."""
    n_arr = np.asarray(n, dtype=float)
    p_det, p_pas, p_pro = shares
    lo, hi = score_bounds(n_arr * p_det, n_arr * p_pas, n_arr * p_pro, z, cc=cc)
    return (np.asarray(hi) - np.asarray(lo)) / 2


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

    1. ``n`` per arm for individually randomised respondents from :func:`sample_size` (about
       ``(z_a/2 + z_b)^2 (V_t + V_c) / Delta^2``); only the starting point of step 3.
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
