"""Intervals for one Net Promoter Score, computed from counts only.

Methods: Tango's (1998) score interval with a continuity correction (default), without it, adjusted
Wald (Rocks 2016), Wald, an exact interval (Chan & Zhang 1999 style), a multinomial bootstrap and a
Dirichlet-posterior (Jeffreys prior) credible interval; vectorised cores for exact enumeration.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..sources.results import ResultMixin
from .scoring import NPSCounts, as_counts, check_level, wilson_limits

IntervalMethod = Literal["score-cc", "adjusted-wald", "wald", "score", "exact", "bootstrap", "bayes"]
#: The first is the default (issue 14: the method meeting the coverage contract with the smallest width).
INTERVAL_METHODS: tuple[str, ...] = ("score-cc", "adjusted-wald", "wald", "score", "exact", "bootstrap", "bayes")
#: Largest n for ``method="exact"``: it enumerates every outcome under 401 x 100 null distributions
#: (CPU time on one core: 0.8 s at n = 30, 6.5 s at n = 60, 11.5 s at n = 100; grows about as n^2).
EXACT_MAX_N = 100
#: The percentile bootstrap is unreliable when few answers fall outside the most common category:
#: exact coverage (benchmarks/interval_contract.py) falls to 40% at n = 10 and stays below 92% on
#: some distributions until about 15-20 answers lie outside it.
BOOTSTRAP_MIN_OUTSIDE_MODE = 20


@dataclass(frozen=True)
class NPSInterval(ResultMixin):
    """One NPS with its interval. ``nps`` is the observed score; bounds are clipped to [-100, 100].

    ``se`` is in points: the adjusted-Wald standard error for ``"adjusted-wald"``, the standard
    deviation of the resamples or posterior draws for ``"bootstrap"`` and ``"bayes"``, and the
    Wald standard error ``100 sqrt(V / n)`` of the observed NPS for ``"wald"`` and ``"score"``.
    """

    nps: float
    ci_lower: float
    ci_upper: float
    se: float
    n: float
    method: str
    confidence_level: float
    detractors: float
    passives: float
    promoters: float

    @property
    def counts(self) -> NPSCounts:
        return NPSCounts(self.detractors, self.passives, self.promoters)

    def confidence_interval(self) -> tuple[float, float]:
        return (self.ci_lower, self.ci_upper)


def z_value(confidence_level: float) -> float:
    """Two-sided normal quantile z_(1 - alpha/2) for a confidence level in (0, 1).

    ``statistics.NormalDist`` (Wichura's AS241, as scipy) costs microseconds where ``scipy.stats.norm``
    costs a tenth of a millisecond per call, which dominated simulations over counts.
    """
    from statistics import NormalDist

    check_confidence_level(confidence_level)
    return NormalDist().inv_cdf(0.5 + confidence_level / 2)


def check_confidence_level(confidence_level: float) -> None:
    """Raise ``ValueError`` unless ``0 < confidence_level < 1``."""
    check_level(confidence_level)


def _clip(x: float, bound: float = 100.0) -> float:
    # Within rounding of an edge is the edge: 100 - 1e-13 would read as "not quite all promoters".
    x = float(min(bound, max(-bound, x)))
    return float(np.copysign(bound, x)) if abs(abs(x) - bound) < 1e-9 else x


def nps_interval(
    data: Any,
    *,
    method: IntervalMethod = "score-cc",
    confidence_level: float = 0.95,
    n_resamples: int = 10_000,
    prior: tuple[float, float, float] = (0.5, 0.5, 0.5),
    random_state: int | np.random.Generator | None = 0,
) -> NPSInterval:
    """Confidence (or credible) interval for one NPS.

    Args:
        data: raw 0-10 scores or an :class:`NPSCounts`.
        method:
            ``"score-cc"`` (default): Tango's score interval (below) with a continuity
            correction of 1/2 (half the step of ``promoters - detractors``, which moves by one
            when one answer changes category): ``|b - c - n D|`` is reduced by 1/2 in ``Z(D)``.
            The only method measured that meets the issue-14 coverage contract where it can be
            met (exact enumeration, docs/validation.md, section interval-contract).

            ``"adjusted-wald"``: add 3/4 detractor, 3/2 passive and 3/4 promoter
            (n + 3), then Wald on the adjusted shares (Rocks 2016, The American Statistician
            70(4):365-372; MeasuringU). Centre ``NPS~``, half-width ``z sqrt(V~ / (n + 3))``.

            ``"wald"``: ``NPS +/- z sqrt(V / n)`` with ``V = p_pro + p_det - (p_pro - p_det)^2``.

            ``"score"``: Tango (1998, Statistics in Medicine 17:891-908), the interval from
            inverting the score test for a difference of two multinomial cell probabilities
            (promoters minus detractors, passives the remaining cell; the same likelihood as the
            discordant cells of a paired 2x2 table):
            ``Z(D) = (promoters - detractors - n D) / sqrt(n (2 p~ + D (1 - D)))`` with ``p~`` the
            detractor share's MLE under the constraint ``p_pro - p_det = D`` (root of a
            quadratic); the bounds solve ``Z(D) = z`` and ``Z(D) = -z``.

            ``"exact"``: invert two one-sided exact tests of ``NPS = D`` (Chan & Zhang 1999,
            Biometrics 55:1202-1209, on the multinomial counts): statistic Tango's ``Z(D)``,
            p-values maximised over the nuisance parameter (detractor share) on a 100-point grid,
            every ``D`` on a half-point grid tested; the interval spans the accepted values plus
            one grid step. Coverage never below the nominal level (checked by enumeration);
            whole-number counts and ``n <= EXACT_MAX_N`` only.

            ``"bootstrap"``: percentile interval of ``n_resamples`` multinomial resamples of the
            counts (Efron & Tibshirani 1993, An Introduction to the Bootstrap, ch. 13). Resampling
            n rows with replacement is exactly a Multinomial(n, observed shares) draw of the
            counts, so rows are never touched. Do not use it when fewer than
            ``BOOTSTRAP_MIN_OUTSIDE_MODE`` (20) answers fall outside the most common category
            (small n or extreme shares): its exact coverage falls to 40-65% there, and a
            ``UserWarning`` says so.

            ``"bayes"``: equal-tailed credible interval of ``p_pro - p_det`` under the posterior
            ``Dirichlet(prior + counts)`` (conjugate multinomial-Dirichlet model, e.g. Gelman et
            al., Bayesian Data Analysis, 3rd ed., sec. 3.4; ``prior`` defaults to Jeffreys' prior
            1/2, 1/2, 1/2, Jeffreys 1946), from ``n_resamples`` posterior draws.
        confidence_level: e.g. 0.95.
        n_resamples: resamples (bootstrap) or posterior draws (bayes).
        prior: Dirichlet pseudo-counts (detractors, passives, promoters) for ``bayes``.
        random_state: seed or Generator for ``bootstrap`` and ``bayes`` (seeded by default).

    Example:
        >>> r = nps_interval(NPSCounts(20, 30, 50), method="wald")
        >>> round(r.ci_lower, 2), round(r.ci_upper, 2)   # 30 -/+ 1.96 sqrt(0.61 / 100) x 100
        (14.69, 45.31)
    """
    counts = as_counts(data)
    if counts.n <= 0:
        raise ValueError("cannot compute an NPS interval with no responses (n = 0)")
    z = z_value(confidence_level)
    if method in ("bootstrap", "bayes") and (
        isinstance(n_resamples, bool) or not isinstance(n_resamples, (int, np.integer)) or n_resamples < 2
    ):
        raise ValueError(f"n_resamples must be a whole number >= 2, got {n_resamples!r}")
    if method == "score-cc":
        lo, hi = (100.0 * x for x in score_bounds(counts.detractors, counts.passives, counts.promoters, z, cc=0.5))
        se = counts.se
    elif method == "exact":
        arr = counts.as_array()
        if not np.allclose(arr, np.round(arr)):
            raise ValueError(f"method='exact' needs whole-number counts, got {arr.tolist()}")
        if counts.n > EXACT_MAX_N:
            raise ValueError(
                f"method='exact' enumerates every outcome and is limited to n <= {EXACT_MAX_N} "
                f"(got n = {counts.n:g}); use the default 'score-cc' at this size"
            )
        lo, hi = (100.0 * float(x[0]) for x in exact_bounds([arr[0]], [arr[1]], [arr[2]], confidence_level))
        se = counts.se
    elif method == "adjusted-wald":
        adj = counts.adjusted()
        se = 100.0 * math.sqrt(adj.variance / adj.n)
        lo, hi = adj.nps - z * se, adj.nps + z * se
    elif method == "wald":
        se = counts.se
        lo, hi = counts.nps - z * se, counts.nps + z * se
    elif method == "score":
        lo, hi = _tango_bounds(counts, z)
        se = counts.se
    elif method == "bootstrap":
        outside = counts.n - float(counts.as_array().max())
        if outside < BOOTSTRAP_MIN_OUTSIDE_MODE:
            warnings.warn(
                f"the percentile bootstrap is unreliable here: only {outside:g} of {counts.n:g} answers "
                f"fall outside the most common category (fewer than {BOOTSTRAP_MIN_OUTSIDE_MODE}); its "
                "exact coverage can fall far below the nominal level (docs/validation.md). Use the "
                "default method='score-cc' or method='exact'.",
                UserWarning,
                stacklevel=2,
            )
        draws = bootstrap_nps(counts, n_resamples=n_resamples, random_state=random_state)
        alpha = 1 - confidence_level
        lo, hi = np.quantile(draws, [alpha / 2, 1 - alpha / 2])
        se = float(draws.std(ddof=1))
    elif method == "bayes":
        draws = posterior_nps(counts, n_draws=n_resamples, prior=prior, random_state=random_state)
        alpha = 1 - confidence_level
        lo, hi = np.quantile(draws, [alpha / 2, 1 - alpha / 2])
        se = float(draws.std(ddof=1))
    else:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(INTERVAL_METHODS)}")
    return NPSInterval(
        nps=counts.nps,
        ci_lower=_clip(lo),
        ci_upper=_clip(hi),
        se=float(se),
        n=counts.n,
        method=method,
        confidence_level=confidence_level,
        detractors=counts.detractors,
        passives=counts.passives,
        promoters=counts.promoters,
    )


def _rng(random_state: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)


def bootstrap_nps(
    counts: NPSCounts, *, n_resamples: int = 10_000, random_state: int | np.random.Generator | None = 0
) -> np.ndarray:
    """NPS (points) of ``n_resamples`` multinomial resamples of the counts: O(n_resamples), not O(n)."""
    n = int(round(counts.n))
    p = counts.as_array() / counts.n
    draws = _rng(random_state).multinomial(n, p, size=n_resamples)
    return 100.0 * (draws[:, 2] - draws[:, 0]) / n


def posterior_nps(
    counts: NPSCounts,
    *,
    n_draws: int = 10_000,
    prior: tuple[float, float, float] = (0.5, 0.5, 0.5),
    random_state: int | np.random.Generator | None = 0,
) -> np.ndarray:
    """Draws of 100 (p_pro - p_det) from the Dirichlet(prior + counts) posterior."""
    prior_arr = np.asarray(prior, dtype=float)
    if prior_arr.shape != (3,) or not np.all(np.isfinite(prior_arr)):
        raise ValueError(f"prior must be 3 finite pseudo-counts (detractors, passives, promoters), got {prior!r}")
    alpha = counts.as_array() + prior_arr
    if np.any(alpha <= 0):
        raise ValueError(f"Dirichlet parameters must be positive, got prior {prior!r}")
    shares = _rng(random_state).dirichlet(alpha, size=n_draws)
    return 100.0 * (shares[:, 2] - shares[:, 0])


def tango_statistic(counts: NPSCounts, delta: float) -> float:
    """Tango's (1998) score statistic for H0: p_pro - p_det = delta (delta as a fraction)."""
    n = counts.n
    b, c = counts.promoters, counts.detractors
    a_ = 2.0 * n
    b_ = -b - c + (2.0 * n - b + c) * delta
    c_ = -c * delta * (1.0 - delta)
    disc = max(b_ * b_ - 4.0 * a_ * c_, 0.0)
    p_det = (-b_ + math.sqrt(disc)) / (2.0 * a_)
    var = n * (2.0 * p_det + delta * (1.0 - delta))
    num = b - c - n * delta
    if var <= 0:
        return math.copysign(math.inf, num) if num != 0 else 0.0
    return num / math.sqrt(var)


def _tango_bounds(counts: NPSCounts, z: float) -> tuple[float, float]:
    from scipy.optimize import brentq

    obs = counts.mean
    eps = 1e-12

    def f(d: float, target: float) -> float:
        return tango_statistic(counts, d) - target

    # Z(D) decreases in D; the lower bound solves Z = z, the upper Z = -z.
    lo_end, hi_end = -1.0 + eps, 1.0 - eps
    if obs <= lo_end or f(lo_end, z) <= 0:
        lower = -1.0
    else:
        lower = brentq(f, lo_end, min(obs, hi_end), args=(z,), xtol=1e-12)
    if obs >= hi_end or f(hi_end, -z) >= 0:
        upper = 1.0
    else:
        upper = brentq(f, max(obs, lo_end), hi_end, args=(-z,), xtol=1e-12)
    return 100.0 * lower, 100.0 * upper


# ------------------------------------------------------------ two independent proportions


def newcombe_interval(
    successes1: float | np.ndarray, n1: float | np.ndarray, successes2: float | np.ndarray,
    n2: float | np.ndarray, *, confidence_level: float = 0.95,
) -> tuple[Any, Any]:
    """Newcombe (1998) hybrid score interval for ``p1 - p2`` of two independent proportions.

    Newcombe, R. G. (1998). Interval estimation for the difference between independent proportions:
    comparison of eleven methods. Statistics in Medicine 17, 873-890 -- method 10. With Wilson
    limits ``(l_i, u_i)`` of each proportion at the same level::

        lower = (p1 - p2) - sqrt((p1 - l1)^2 + (u2 - p2)^2)
        upper = (p1 - p2) + sqrt((u1 - p1)^2 + (p2 - l2)^2)

    Args:
        successes1, n1, successes2, n2: counts (scalars or arrays broadcasting together).
        confidence_level: two-sided level.

    Returns:
        ``(lower, upper)`` as fractions (scalars for scalar input).
    """
    from .scoring import wilson_limits

    z = z_value(confidence_level)
    x1, m1, x2, m2 = (np.asarray(v, float) for v in (successes1, n1, successes2, n2))
    l1, u1 = wilson_limits(x1, m1, z)
    l2, u2 = wilson_limits(x2, m2, z)
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p2 = x1 / m1, x2 / m2
    diff = p1 - p2
    # Exact Wilson edges make the bounds exact at -1 and 1; the clip only removes rounding.
    lower = np.clip(diff - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), -1.0, 1.0)
    upper = np.clip(diff + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2), -1.0, 1.0)
    if lower.ndim == 0:
        return float(lower), float(upper)
    return lower, upper


# ------------------------------------------ vectorised cores on arrays of counts (issue 14)

#: Bisection steps for the vectorised root finders: 2^-50 of the -1..1 range is below 2e-15.
_BISECT_STEPS = 50


def _arrays(*values: Any) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(v, dtype=float) for v in np.broadcast_arrays(*values))


def _finish(lower: np.ndarray, upper: np.ndarray) -> tuple[Any, Any]:
    lower, upper = np.clip(lower, -1.0, 1.0), np.clip(upper, -1.0, 1.0)
    if np.ndim(lower) == 0:
        return float(lower), float(upper)
    return lower, upper


# ------------------------------------------------------------------------------------ Wald family


def wald_bounds(det: Any, pas: Any, pro: Any, z: float, pseudo: tuple[float, float, float] = (0.0, 0.0, 0.0)):
    """Wald interval of ``p_pro - p_det`` on counts plus ``pseudo`` pseudo-counts.

    ``pseudo = (0, 0, 0)``: plain Wald. ``(3/4, 3/2, 3/4)``: the adjusted Wald of Rocks (2016, The
    American Statistician 70(4):365-372). ``(1, 0, 1)``: Bonett & Price (2012, Journal of
    Educational and Behavioral Statistics 37:479-488), the adjusted Wald for a difference of paired
    proportions (add one to each discordant cell, n + 2), which is this difference of two cells of
    one multinomial. With ``n~ = n + sum(pseudo)`` and shares ``p~``:
    ``D~ +/- z sqrt((p~_pro + p~_det - D~^2) / n~)``.
    """
    d, p, r = _arrays(det, pas, pro)
    d, p, r = d + pseudo[0], p + pseudo[1], r + pseudo[2]
    n = d + p + r
    centre = (r - d) / n
    var = np.maximum((r + d) / n - centre**2, 0.0)
    half = z * np.sqrt(var / n)
    return _finish(centre - half, centre + half)


# ------------------------------------------------------------------------------ score (Tango)


def tango_z(det: Any, pro: Any, n: Any, delta: Any, cc: float = 0.0) -> np.ndarray:
    """Tango's (1998) score statistic for H0: ``p_pro - p_det = delta``, vectorised.

    Tango, T. (1998). Equivalence test and confidence interval for the difference in proportions
    for the paired-sample design. Statistics in Medicine 17:891-908. ``p~`` (the detractor share
    under H0) is the positive root of ``2n p^2 + (-b - c + (2n - b + c) delta) p - c delta (1 -
    delta) = 0`` with ``b`` promoters and ``c`` detractors; ``Z = (b - c - n delta) / sqrt(n (2 p~
    + delta (1 - delta)))``. ``cc`` > 0 shrinks ``|b - c - n delta|`` by ``cc`` (a continuity
    correction on the lattice of ``b - c``, whose step is one answer), never past zero.
    """
    c, b, n, delta = _arrays(det, pro, n, delta)
    a_ = 2.0 * n
    b_ = -b - c + (2.0 * n - b + c) * delta
    c_ = -c * delta * (1.0 - delta)
    disc = np.maximum(b_ * b_ - 4.0 * a_ * c_, 0.0)
    p_det = (-b_ + np.sqrt(disc)) / (2.0 * a_)
    var = n * (2.0 * p_det + delta * (1.0 - delta))
    num = b - c - n * delta
    if cc:
        num = np.sign(num) * np.maximum(np.abs(num) - cc, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / np.sqrt(np.maximum(var, 0.0))
    # var = 0 only at delta = +/-1 with every answer on that edge (num = 0 there) or off it.
    return np.where(var > 0, out, np.where(num > 0, np.inf, np.where(num < 0, -np.inf, 0.0)))


def _bisect_decreasing(f, lo: np.ndarray, hi: np.ndarray, steps: int = _BISECT_STEPS) -> np.ndarray:
    """Root of f (decreasing in x, f(lo) >= 0 >= f(hi)) by vectorised bisection."""
    lo, hi = lo.copy(), hi.copy()
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        pos = f(mid) >= 0
        lo = np.where(pos, mid, lo)
        hi = np.where(pos, hi, mid)
    return 0.5 * (lo + hi)


def score_bounds(det: Any, pas: Any, pro: Any, z: float, cc: float = 0.0):
    """Tango (1998) score interval: ``{D : -z <= Z(D) <= z}``, with optional continuity correction.

    ``Z(D)`` decreases in ``D``: the lower bound solves ``Z = z`` on ``[-1, D_obs]`` and the upper
    ``Z = -z`` on ``[D_obs, 1]``; a bound is -1 (1) when ``Z(-1) <= z`` (``Z(1) >= -z``).
    ``cc = 1/2`` is the continuity-corrected score interval (half the lattice step of ``b - c``).
    """
    d, p, r, z = _arrays(det, pas, pro, z)
    n = d + p + r
    obs = (r - d) / n
    eps = 1e-12
    lo_end = np.full_like(obs, -1.0 + eps)
    hi_end = np.full_like(obs, 1.0 - eps)
    lower = _bisect_decreasing(lambda x: tango_z(d, r, n, x, cc) - z, lo_end, np.maximum(obs, lo_end))
    upper = _bisect_decreasing(lambda x: tango_z(d, r, n, x, cc) + z, np.minimum(obs, hi_end), hi_end)
    lower = np.where(tango_z(d, r, n, lo_end, cc) - z <= 0, -1.0, lower)
    upper = np.where(tango_z(d, r, n, hi_end, cc) + z >= 0, 1.0, upper)
    return _finish(lower, upper)


# --------------------------------------------------------------------------------------- MOVER


def mover_wilson_bounds(det: Any, pas: Any, pro: Any, z: float):
    """MOVER interval of ``p_pro - p_det`` from Wilson limits of each share, with their covariance.

    Zou & Donner (2008, Statistics in Medicine 27:1693-1702), "method of variance estimates
    recovery", applied as Newcombe (1998, Statistics in Medicine 17:2635-2650, method 10) does
    for paired proportions: with Wilson (1927) limits ``(l1, u1)`` of ``p_pro`` and ``(l2, u2)``
    of ``p_det`` and the multinomial correlation of the two estimated shares
    ``r = -sqrt(p_pro p_det / ((1 - p_pro)(1 - p_det)))``::

        lower = D - sqrt((p_pro - l1)^2 - 2 r (p_pro - l1)(u2 - p_det) + (u2 - p_det)^2)
        upper = D + sqrt((u1 - p_pro)^2 - 2 r (u1 - p_pro)(p_det - l2) + (p_det - l2)^2)
    """
    d, p, r = _arrays(det, pas, pro)
    n = d + p + r
    p1, p2 = r / n, d / n
    l1, u1 = wilson_limits(r, n, z)
    l2, u2 = wilson_limits(d, n, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = -np.sqrt(p1 * p2 / ((1 - p1) * (1 - p2)))
    corr = np.where(np.isfinite(corr), corr, 0.0)
    a, b = p1 - l1, u2 - p2
    lower = p1 - p2 - np.sqrt(np.maximum(a * a - 2 * corr * a * b + b * b, 0.0))
    a, b = u1 - p1, p2 - l2
    upper = p1 - p2 + np.sqrt(np.maximum(a * a - 2 * corr * a * b + b * b, 0.0))
    return _finish(lower, upper)


# ---------------------------------------------------------------------------------------- Bayes

#: Gauss-Legendre nodes: 64 reach 1e-10 against scipy.integrate.quad on the test posteriors.
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(64)


def posterior_cdf(alpha: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``P(p_pro - p_det <= t)`` under ``Dirichlet(alpha)`` (rows of ``alpha`` (m, 3), ``t`` (m,)).

    With ``S = p_det + p_pro ~ Beta(a_det + a_pro, a_pas)`` independent of ``U = p_pro / S ~
    Beta(a_pro, a_det)``, ``D = S (2U - 1)`` and ``P(D <= t) = P(S <= |t|) 1[t > 0] +
    integral_{|t|}^1 F_U((1 + t/s)/2) f_S(s) ds``. The substitution ``1 - s = (1 - |t|) v^2``
    removes the ``(1 - s)^(a_pas - 1)`` endpoint singularity (Jeffreys' ``a_pas = 1/2`` with no
    passives), so Gauss-Legendre on ``v in (0, 1)`` converges fast.
    """
    from scipy import special

    a_det, a_pas, a_pro = (alpha[:, i][:, None] for i in range(3))
    t = np.asarray(t, float)[:, None]
    lo = np.abs(t)
    head = np.where(t > 0, special.betainc(a_det + a_pro, a_pas, lo), 0.0)[:, 0]
    v = (_NODES[None, :] + 1) / 2
    one_minus_s = (1 - lo) * v * v
    s = 1 - one_minus_s
    # f_S(s) ds = s^(a-1) (1-s)^(b-1) / B ds, ds = 2 (1 - |t|) v dv, (1-s)^(b-1) = ((1-|t|) v^2)^(b-1)
    log_w = (
        (a_det + a_pro - 1) * np.log(np.maximum(s, 1e-300))
        + (a_pas - 1) * np.log(1 - lo) + (2 * a_pas - 1) * np.log(v)
        + np.log(2 * (1 - lo)) - special.betaln(a_det + a_pro, a_pas)
    )
    u = np.clip((1 + t / np.maximum(s, 1e-300)) / 2, 0, 1)
    tail = (special.betainc(a_pro, a_det, u) * np.exp(log_w) * _WEIGHTS[None, :]).sum(axis=1) / 2
    tail = np.where(lo[:, 0] < 1, tail, 0.0)
    return np.clip(head + tail, 0.0, 1.0)


def bayes_bounds(det: Any, pas: Any, pro: Any, confidence_level: float, prior=(0.5, 0.5, 0.5)):
    """Equal-tailed credible interval of ``p_pro - p_det`` under ``Dirichlet(prior + counts)``.

    Exact quantiles (no Monte Carlo): bisection on :func:`posterior_cdf`. ``prior = (1/2, 1/2,
    1/2)`` is Jeffreys' prior for the multinomial (Jeffreys 1946; e.g. Gelman et al., Bayesian
    Data Analysis, 3rd ed., sec. 2.8 and 3.4); ``(1, 1, 1)`` the uniform prior.
    """
    d, p, r = _arrays(det, pas, pro)
    shape = d.shape
    alpha = np.column_stack([d.ravel() + prior[0], p.ravel() + prior[1], r.ravel() + prior[2]])
    tail = (1 - confidence_level) / 2
    lo = np.full(len(alpha), -1.0)
    hi = np.full(len(alpha), 1.0)
    lower = _bisect_decreasing(lambda x: tail - posterior_cdf(alpha, x), lo, hi, steps=40)
    upper = _bisect_decreasing(lambda x: 1 - tail - posterior_cdf(alpha, x), lo, hi, steps=40)
    return _finish(lower.reshape(shape), upper.reshape(shape))


# ----------------------------------------------------------------------------- exact (Chan-Zhang)


def outcomes(n: int) -> np.ndarray:
    """Every (detractors, passives, promoters) with sum ``n``, as an (m, 3) integer array."""
    d, r = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    keep = d + r <= n
    d, r = d[keep], r[keep]
    return np.column_stack([d, n - d - r, r])


def _log_multinomial_coef(grid: np.ndarray) -> np.ndarray:
    from scipy import special

    n = grid.sum(axis=1)
    return special.gammaln(n + 1) - special.gammaln(grid + 1).sum(axis=1)


def exact_accepts(n: int, delta: float, half_alpha: float, n_nuisance: int = 100) -> np.ndarray:
    """For every outcome of size ``n`` (rows of :func:`outcomes`): is ``D = delta`` not rejected?

    Two one-sided exact tests at ``half_alpha`` each, with Tango's score ``Z_delta`` as the
    statistic: the p-values ``sup_nu P_(delta, nu)(Z >= z_obs)`` and ``sup_nu P_(delta, nu)(Z <=
    z_obs)``, the supremum over ``n_nuisance`` detractor shares ``nu`` evenly spaced on ``[max(0,
    -delta), (1 - delta) / 2]`` (endpoints included), as Chan & Zhang (1999) maximise over a grid.
    """
    grid = outcomes(n)
    det, pro = grid[:, 0].astype(float), grid[:, 2].astype(float)
    stat = tango_z(det, pro, float(n), delta)
    order = np.argsort(stat, kind="stable")
    sorted_stat = stat[order]
    nus = np.linspace(max(0.0, -delta), (1.0 - delta) / 2.0, n_nuisance)
    shares = np.clip(np.column_stack([nus, 1.0 - 2.0 * nus - delta, nus + delta]), 0.0, 1.0)
    # counts @ log(shares): a share of 0 becomes log(1e-300) = -690.8, so an outcome with a
    # count in that category gets probability exp(-690) = 0 and 0 log 0 stays 0.
    log_p = grid[order].astype(float) @ np.log(np.maximum(shares, 1e-300)).T
    pmf = np.exp(log_p + _log_multinomial_coef(grid[order])[:, None])  # (outcomes sorted, nuisance)
    cum_le = np.cumsum(pmf, axis=0)
    cum_ge = np.cumsum(pmf[::-1], axis=0)[::-1]
    tol = 1e-9
    i_ge = np.searchsorted(sorted_stat, stat - tol, side="left")
    i_le = np.searchsorted(sorted_stat, stat + tol, side="right") - 1
    p_ge = cum_ge[i_ge].max(axis=1)  # i_ge <= own position, always a valid row
    p_le = cum_le[i_le].max(axis=1)
    return (p_ge > half_alpha) & (p_le > half_alpha)


#: Step of the grid of NPS values (fraction) the exact interval scans: half an NPS point.
EXACT_GRID_STEP = 0.005


def exact_bounds_all(n: int, confidence_level: float, n_nuisance: int = 100) -> np.ndarray:
    """Exact interval (Chan & Zhang 1999 style) for every outcome of size ``n``: (m, 2) fractions.

    Chan, I. S. F. & Zhang, Z. (1999). Test-based exact confidence intervals for the difference of
    two binomial proportions. Biometrics 55:1202-1209, applied to two cells of one multinomial
    (the paired-design analogue, Tango 1998 sec. 4). Every ``D`` on a grid of step
    :data:`EXACT_GRID_STEP` over ``[-1, 1]`` is tested (:func:`exact_accepts`); the interval runs
    from the rejected grid point just outside the lowest accepted one to the rejected point just
    outside the highest (or the edge -1, 1), so it contains every ``D`` that the tests would accept,
    on or between grid points.
    """
    half_alpha = (1 - confidence_level) / 2
    deltas = np.round(np.linspace(-1.0, 1.0, int(round(2 / EXACT_GRID_STEP)) + 1), 12)
    acc = np.stack([exact_accepts(n, float(x), half_alpha, n_nuisance) for x in deltas])
    any_acc = acc.any(axis=0)
    k = len(deltas)
    first = np.where(any_acc, acc.argmax(axis=0), 0)
    last = np.where(any_acc, k - 1 - acc[::-1].argmax(axis=0), k - 1)
    lower = deltas[np.maximum(first - 1, 0)]
    upper = deltas[np.minimum(last + 1, k - 1)]
    return np.column_stack([lower, upper])


def exact_bounds(det: Any, pas: Any, pro: Any, confidence_level: float, n_nuisance: int = 100):
    """Exact interval for outcomes of one common ``n`` (see :func:`exact_bounds_all`)."""
    d, p, r = _arrays(det, pas, pro)
    shape = d.shape
    counts = np.column_stack([d.ravel(), p.ravel(), r.ravel()]).round().astype(int)
    ns = counts.sum(axis=1)
    if len(np.unique(ns)) != 1:
        raise ValueError("exact_bounds needs outcomes with one common n")
    n = int(ns[0])
    grid = outcomes(n)
    index = np.full((n + 1, n + 1), -1)
    index[grid[:, 0], grid[:, 2]] = np.arange(len(grid))
    bounds = exact_bounds_all(n, confidence_level, n_nuisance)[index[counts[:, 0], counts[:, 2]]]
    return _finish(bounds[:, 0].reshape(shape), bounds[:, 1].reshape(shape))


# ------------------------------------------------------------------------------ two samples: MOVER


def mover_difference_bounds(
    est1: Any, lo1: Any, hi1: Any, est2: Any, lo2: Any, hi2: Any
) -> tuple[Any, Any]:
    """MOVER interval of ``theta1 - theta2`` for two independent estimates with their limits.

    Zou & Donner (2008), Newcombe (1998, method 10): ``L = D - sqrt((t1 - l1)^2 + (u2 - t2)^2)``,
    ``U = D + sqrt((u1 - t1)^2 + (t2 - l2)^2)``.
    """
    t1, l1, u1, t2, l2, u2 = _arrays(est1, lo1, hi1, est2, lo2, hi2)
    diff = t1 - t2
    lower = diff - np.sqrt((t1 - l1) ** 2 + (u2 - t2) ** 2)
    upper = diff + np.sqrt((u1 - t1) ** 2 + (t2 - l2) ** 2)
    if np.ndim(lower) == 0:
        return float(lower), float(upper)
    return lower, upper


def mover_score_curve(t_counts: Any, c_counts: Any, z: np.ndarray, cc: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """MOVER-score bounds of ``NPS_t - NPS_c`` (fractions) at each normal quantile in ``z``.

    ``t_counts``, ``c_counts``: (detractors, passives, promoters) of each cohort. The one-sample
    limits are Tango's score limits (:func:`score_bounds`); combined by :func:`mover_difference_bounds`.
    """
    z = np.asarray(z, float)
    d1, p1, r1 = (np.full_like(z, float(v)) for v in t_counts)
    d2, p2, r2 = (np.full_like(z, float(v)) for v in c_counts)
    l1, u1 = score_bounds(d1, p1, r1, z, cc=cc)
    l2, u2 = score_bounds(d2, p2, r2, z, cc=cc)
    t1 = (r1 - d1) / (d1 + p1 + r1)
    t2 = (r2 - d2) / (d2 + p2 + r2)
    return mover_difference_bounds(t1, l1, u1, t2, l2, u2)


def _solve_quantile(curve, target: float, estimate: float) -> float:
    """Signed z at which the MOVER curve meets ``target`` (the inverted normal quantile).

    Positive when ``estimate > target`` (the lower bound reaches ``target`` at ``z``), negative
    when ``estimate < target`` (the upper bound does, at ``-z``); 0 when they are equal. Three
    passes of a 65-point grid on ``z in [0, 40]`` locate the root to about 1e-5.
    """
    if estimate == target:
        return 0.0
    use_lower = estimate > target
    lo, hi = 0.0, 40.0
    for _ in range(3):
        zs = np.linspace(lo, hi, 65)
        lower, upper = curve(zs)
        beyond = (lower <= target) if use_lower else (upper >= target)  # True once the bound passes
        if not beyond.any():
            return 40.0 if use_lower else -40.0
        k = int(np.argmax(beyond))
        if k == 0:
            break
        lo, hi = float(zs[k - 1]), float(zs[k])
    root = 0.5 * (lo + hi)
    return root if use_lower else -root


def mover_score_test(
    t_counts: Any, c_counts: Any, *, confidence_level: float, alternative: str, margin: float | None = None,
) -> dict[str, float]:
    """Interval, p-value and margin p-value of the MOVER-score comparison of two NPS.

    Interval: :func:`mover_score_curve` at ``z_(1 - alpha/2)`` (two-sided) or one side at
    ``z_(1 - alpha)``, in points. p-values invert the interval family (the test that rejects
    exactly when the interval excludes the null value): with ``z0`` the signed quantile at which
    a bound reaches 0, ``P(greater) = Phi(-z0)``, ``P(less) = Phi(z0)``, two-sided ``2 Phi(-|z0|)``;
    ``margin_pvalue`` the same for H0: ``D <= -margin``. ``statistic`` is ``z0``; ``se`` the
    implied ``(upper - lower) / (2 z)`` at the two-sided level, in points.
    """
    from statistics import NormalDist

    nd = NormalDist()
    t_counts = tuple(float(v) for v in t_counts)
    c_counts = tuple(float(v) for v in c_counts)
    estimate = (t_counts[2] - t_counts[0]) / sum(t_counts) - (c_counts[2] - c_counts[0]) / sum(c_counts)

    def curve(zs):
        return mover_score_curve(t_counts, c_counts, zs)

    alpha = 1 - confidence_level
    z2 = nd.inv_cdf(1 - alpha / 2)
    lo2, hi2 = curve(np.array([z2]))
    if alternative == "two-sided":
        lower, upper = float(lo2[0]), float(hi2[0])
    else:
        z1 = nd.inv_cdf(1 - alpha)
        lo1, hi1 = curve(np.array([z1]))
        lower, upper = (float(lo1[0]), 2.0) if alternative == "greater" else (-2.0, float(hi1[0]))
    z0 = _solve_quantile(curve, 0.0, estimate)
    if alternative == "two-sided":
        pvalue = 2 * nd.cdf(-abs(z0))
    elif alternative == "greater":
        pvalue = nd.cdf(-z0)
    else:
        pvalue = nd.cdf(z0)
    out = {
        "ci_lower": 100.0 * lower, "ci_upper": 100.0 * upper, "pvalue": float(min(1.0, pvalue)),
        "statistic": float(z0), "se": 100.0 * float(hi2[0] - lo2[0]) / (2 * z2),
    }
    if margin is not None:
        zm = _solve_quantile(curve, -margin / 100.0, estimate)
        out["margin_pvalue"] = float(nd.cdf(-zm))
    return out


def normal_quantile(confidence_level: float) -> float:
    """``z_(1 - alpha/2)`` for a two-sided level."""
    from statistics import NormalDist

    return NormalDist().inv_cdf(0.5 + confidence_level / 2)


