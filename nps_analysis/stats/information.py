"""Error spending on observed information and horizon-tuned confidence sequences, fast for many looks.

Bounds for hundreds of looks (or thousands of simulated experiments at once) from one recursive
integration on a fixed grid, plus the alpha allocation that follows the roll-back decision rules.

Error spending with observed information
    Jennison & Turnbull (2000), *Group Sequential Methods with Applications to Clinical Trials*,
    ch. 7.2 (error spending, Lan & DeMets 1983, with information levels ``I_k`` observed rather
    than planned) and ch. 19 (recursive numerical integration). At look ``k`` the information for
    a difference of two means is the inverse of its variance, ``I_k = 1 / (V_T/n_T + V_C/n_C)``;
    the information fraction is ``t_k = I_k / I_max`` against the planned maximum ``I_max``. The
    bound ``b_k`` solves ``P(no crossing before k, Z_k >= b_k) = f(t_k) - f(t_(k-1))`` under the
    canonical joint law ``S_k = Z_k sqrt(t_k)``, a Brownian motion observed at ``t_1 < t_2 < ...``.
    A late or slow arm then spends error only as fast as information really accrues, whereas the
    sample-size fraction ``N_k / N_max`` overstates it (the audit's false KEEP of 6.1% for
    Pocock spending with treatment starting on day 11).

Horizon-tuned confidence sequence
    Waudby-Smith, Arnold, Wu, Howard & Ramdas (2024, Ann. Statist. 52(6)): the normal-mixture
    boundary ``sqrt((1 + 1/x)(2 log(1/a) + log(1 + x)))`` standard errors, ``x = t rho^2``. Ville's
    inequality makes it valid for ever; over a horizon stated before looking (``planned_days``)
    it is conservative, because the crossings it pays for after the horizon never happen. The
    formula is kept; only its two constants are tuned: ``rho`` so that the sequence is tightest at
    the horizon, and the level ``a`` so that the exact probability of a one-sided crossing at any
    of the horizon's looks equals the error wanted (computed by the same recursion).

Alpha allocation that follows the rules (Schultzberg, Ankargren & Franberg 2024, "Risk-aware
product decisions in A/B tests with multiple metrics"): KEEP needs every metric non-inferior, an
intersection-union test (Berger 1982), so each non-inferiority bound keeps the full one-sided
``alpha/2``; ROLL_BACK on any metric is a union, so its one-sided ``alpha/2`` is split over the
metrics (Bonferroni).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .sequential import spending_function

#: Half-width of the integration grid on the score scale ``S = Z sqrt(t)`` (``t <= 1``), in
#: standard deviations of ``S`` at full information.
GRID_HALF_WIDTH = 8.5
#: Grid spacing: a fifth of the increments' standard deviation (10th percentile over the tested
#: looks, so that one tiny increment does not blow up the grid), clipped to these bounds.
_MIN_STEP, _MAX_STEP = 0.005, 0.015
#: Below this error to spend at one look the bound is the marginal normal quantile (the
#: probability of an earlier crossing is negligible and FFT round-off would dominate the tail).
_TINY = 1e-9


def information(n_treatment: Any, var_treatment: Any, n_control: Any, var_control: Any) -> np.ndarray:
    """Statistical information of a difference of two means: ``1 / (V_T/n_T + V_C/n_C)``.

    ``0`` where an arm has no responses. Jennison & Turnbull (2000, sec. 7.2.1): the information
    is the inverse of the estimate's variance; for NPS on the -1/0/+1 scale ``V`` is the
    per-response variance ``p_pro + p_det - (p_pro - p_det)^2``.

    Example:
        >>> float(information(100, 0.5, 100, 0.5))
        100.0
    """
    n_t = np.asarray(n_treatment, dtype=float)
    n_c = np.asarray(n_control, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.asarray(var_treatment, dtype=float) / n_t + np.asarray(var_control, dtype=float) / n_c
        out = 1.0 / var
    return np.where((n_t > 0) & (n_c > 0) & np.isfinite(out), out, 0.0)


def information_fractions(
    n_treatment: Any,
    var_treatment: Any,
    n_control: Any,
    var_control: Any,
    *,
    planned_responses: float,
    allocation: float | Any = 0.5,
) -> np.ndarray:
    """Observed information over the planned maximum, at each look.

    ``t_k = I_k / I_max`` with ``I_k = 1 / (V_T/n_T + V_C/n_C)`` and ``I_max = 1 / (V_T/(a P) +
    V_C/((1 - a) P))`` for ``P = planned_responses`` split with treatment share ``a``, both with
    the variances estimated at look ``k`` (information monitoring with the variance re-estimated,
    Jennison & Turnbull 2000, sec. 7.2.2; Mehta & Tsiatis 2001). With equal arms and variances
    this is ``N_k / P``; with a late or small arm it is what the data really hold. ``allocation``
    is the planned treatment share (may vary by look: ``decide`` uses the ratio of the arms'
    arrival rates since each arm's first answer, so a late arm is planned at its real rate and a
    1:3 split is planned as 1:3).

    Example:
        >>> [round(float(x), 3) for x in information_fractions([10, 100], 0.6, [100, 100], 0.6, planned_responses=400)]
        [0.091, 0.5]
    """
    if not planned_responses > 0:
        raise ValueError(f"planned_responses must be positive, got {planned_responses!r}")
    share = np.asarray(allocation, dtype=float)
    if not np.all((share > 0) & (share < 1)):
        raise ValueError(f"allocation must lie strictly between 0 and 1, got {allocation!r}")
    v_t = np.asarray(var_treatment, dtype=float)
    v_c = np.asarray(var_control, dtype=float)
    planned = information(share * planned_responses, v_t, (1 - share) * planned_responses, v_c)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = information(n_treatment, v_t, n_control, v_c) / planned
    return np.where(np.isfinite(t), t, 0.0)


# ------------------------------------------------------------------------------ recursion on a grid


def _cell_masses(sd: np.ndarray, half: int, h: float) -> np.ndarray:
    """Probability of each grid cell ``[(j - 1/2) h, (j + 1/2) h]``, ``j = -half..half``, under ``N(0, sd^2)``."""
    from scipy.special import ndtr

    j = np.arange(-half, half + 1, dtype=float)
    sd = np.asarray(sd, dtype=float)[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        edges_hi = ndtr((j + 0.5) * h / sd)
        edges_lo = ndtr((j - 0.5) * h / sd)
    return np.clip(edges_hi - edges_lo, 0.0, None)


def _convolve(mass: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Row-wise ``mass * kernel`` (same length as ``mass``; kernels are odd and centred)."""
    from scipy.signal import fftconvolve

    out = fftconvolve(mass, kernel, mode="same", axes=-1)
    return np.clip(out, 0.0, None)  # FFT round-off can make empty cells slightly negative


def _upper_tail(mass: np.ndarray) -> np.ndarray:
    """``tail[..., j]`` = mass in cells ``j..M-1`` (a trailing 0 for the empty tail)."""
    rev = np.cumsum(mass[..., ::-1], axis=-1)[..., ::-1]
    return np.concatenate([rev, np.zeros(rev.shape[:-1] + (1,))], axis=-1)


def _bound_for(tail: np.ndarray, target: np.ndarray, x0: float, h: float) -> np.ndarray:
    """Score-scale bound ``u`` with (linearly interpolated) mass above ``u`` equal to ``target``.

    Cell ``j`` spans ``[x0 + (j - 1/2) h, x0 + (j + 1/2) h]``; within a cell the mass is taken as
    uniform, so the tail is piecewise linear in ``u``.
    """
    m = tail.shape[-1] - 1
    # index of the first cell edge whose tail is <= target (tails decrease along the last axis)
    idx = (tail > target[..., None]).sum(axis=-1)
    idx = np.clip(idx, 1, m)
    hi = np.take_along_axis(tail, (idx - 1)[..., None], axis=-1)[..., 0]
    lo = np.take_along_axis(tail, idx[..., None], axis=-1)[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(hi > lo, (hi - target) / (hi - lo), 0.0)
    return x0 + (idx - 1 - 0.5 + frac) * h


def _remove_above(mass: np.ndarray, u: np.ndarray, x0: float, h: float) -> np.ndarray:
    """Zero the mass above the score bound ``u`` (the paths that crossed), the cut cell in part."""
    m = mass.shape[-1]
    pos = (u - x0) / h + 0.5  # continuous cell coordinate of the bound
    j = np.arange(m)
    keep = np.clip(pos[..., None] - j, 0.0, 1.0)
    return mass * np.where(np.isfinite(u)[..., None], keep, 1.0)


def _newton(mass: np.ndarray, u: np.ndarray, sd: np.ndarray, target: np.ndarray, x0: float, h: float) -> np.ndarray:
    """One Newton step for ``sum_i mass_i P(N(x_i, sd^2) >= u) = target`` (cells ``x_i``).

    Only cells within 9 standard deviations of ``u`` can contribute; the sum runs over them.
    """
    from scipy.special import ndtr

    width = int(math.ceil(9.0 * float(sd.max()) / h))
    centre = np.rint((u - x0) / h).astype(np.int64)
    idx = np.clip(centre[:, None] + np.arange(-width, width + 1)[None, :], 0, mass.shape[-1] - 1)
    near = np.take_along_axis(mass, idx, axis=-1)
    # clipped duplicates at the grid's edge carry no mass (S never gets there): count them once
    dup = np.concatenate([np.zeros((idx.shape[0], 1), dtype=bool), idx[:, 1:] == idx[:, :-1]], axis=1)
    near = np.where(dup, 0.0, near)
    z = (u[:, None] - (x0 + h * idx)) / sd[:, None]
    above_window = np.take_along_axis(_upper_tail(mass), np.clip(idx[:, -1:] + 1, 0, mass.shape[-1]), axis=-1)[:, 0]
    crossing = (near * ndtr(-z)).sum(axis=-1) + above_window
    slope = (near * np.exp(-0.5 * z * z)).sum(axis=-1) / (sd * math.sqrt(2 * math.pi))
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(slope > 0, (crossing - target) / slope, 0.0)
    return u + np.clip(step, -h, h)


def _grid_step(fractions: np.ndarray, eligible: np.ndarray) -> float:
    prev = np.zeros(fractions.shape[:-1])
    steps = []
    for k in range(fractions.shape[-1]):
        e = eligible[..., k]
        if e.any():
            steps.append(fractions[..., k][e] - prev[e])
            prev = np.where(e, fractions[..., k], prev)
    if not steps:
        return _MAX_STEP
    small = float(np.quantile(np.minimum(np.concatenate(steps), 1.0), 0.1))
    sd = math.sqrt(small) if small > 0 else 0.0
    return float(np.clip(sd / 5.0, _MIN_STEP, _MAX_STEP))


def _spending_chunk(flat: np.ndarray, tested: np.ndarray, a: np.ndarray, spending: Any, h: float) -> np.ndarray:
    """The recursion of :func:`spending_bounds` on a block of screened rows."""
    from scipy.stats import norm

    rows, looks = flat.shape
    half = int(math.ceil(GRID_HALF_WIDTH / h))
    x0 = -half * h
    frac_tested = np.minimum(np.where(tested, flat, 0.0), 1.0)
    spent_at = np.empty_like(frac_tested)
    for level in np.unique(a):  # spending functions take one level at a time
        sel = a[:, 0] == level
        spent_at[sel] = np.minimum(spending_function(spending, frac_tested[sel], float(level)), level)
    bounds = np.full(flat.shape, np.inf)
    mass = np.zeros((rows, 2 * half + 1))
    started = np.zeros(rows, dtype=bool)
    prev_t = np.zeros(rows)
    prev_spent = np.zeros(rows)
    for k in range(looks):
        r = np.flatnonzero(tested[:, k])
        if r.size == 0:
            continue
        tk = flat[r, k]
        first = ~started[r]
        step_sd = np.sqrt(np.where(first, tk, tk - prev_t[r]))
        m = mass[r]
        before = m.copy()
        if first.any():  # first tested look: the marginal law of S_1
            kh = int(min(half, math.ceil(9.0 * float(step_sd[first].max()) / h)))
            m[first] = 0.0
            m[first, half - kh : half + kh + 1] = _cell_masses(step_sd[first], kh, h)
        if (~first).any():
            kh = int(min(half, math.ceil(9.0 * float(step_sd[~first].max()) / h)))
            m[~first] = _convolve(m[~first], _cell_masses(step_sd[~first], kh, h))
        target = np.maximum(spent_at[r, k] - prev_spent[r], 0.0)
        u = _bound_for(_upper_tail(m), target, x0, h)
        # the first look is exact; later ones get one Newton step on the exact crossing
        # probability sum_i m_i P(N(x_i, d) >= u) from the previous look's cell masses
        with np.errstate(divide="ignore", invalid="ignore"):
            u = np.where(first, norm.isf(np.clip(target, 1e-300, 1.0)) * np.sqrt(tk), u)
            later = np.flatnonzero(~first & np.isfinite(u) & (target >= _TINY))
            if later.size:
                u = u.copy()
                u[later] = _newton(before[later], u[later], step_sd[later], target[later], x0, h)
            tiny = target < _TINY
            u = np.where(tiny, np.where(target > 0, norm.isf(np.maximum(target, 1e-300)) * np.sqrt(tk), np.inf), u)
        bounds[r, k] = u / np.sqrt(tk)
        mass[r] = _remove_above(m, u, x0, h)
        started[r] = True
        prev_t[r] = tk
        prev_spent[r] = np.maximum(prev_spent[r], spent_at[r, k])
    return bounds


#: Rows of simulated experiments handled together (keeps the grid arrays in cache).
_CHUNK = 256


def spending_bounds(
    fractions: Any,
    *,
    alpha: float | Any,
    spending: str | Callable[[np.ndarray, float], np.ndarray] = "obrien-fleming",
    eligible: Any | None = None,
) -> np.ndarray:
    """One-sided error-spending bounds ``Z_k >= b_k`` at observed information fractions, vectorised.

    ``fractions`` has the looks on the last axis and any leading dimensions (one row per simulated
    experiment). A look is a test only where ``eligible`` (default: everywhere) and its fraction
    exceeds the last tested one; elsewhere the bound is ``inf``. The error ``f(t_k) - f(t_j)`` is
    spent at a tested look ``k`` (``j`` the previous tested look, ``f`` the Lan-DeMets spending
    function at one-sided level ``alpha``, fractions above 1 counted as 1), so skipping early looks
    (a minimum information) spends their share at the first look that is tested. ``alpha`` may be
    an array over the leading dimensions (one level per row: both rules of several metrics in one
    call).

    Method: the sub-density of the score ``S = Z sqrt(t)`` on the continuation region is carried
    as cell probabilities on a fixed grid over ``+/- 8.5`` (spacing a fifth of the small
    increments' standard deviation, within [0.005, 0.015]); each increment is a convolution (FFT)
    with the cell probabilities of ``N(0, t_k - t_j)``; the bound is where the upper tail equals
    the error to spend (Jennison & Turnbull 2000, ch. 19, with cell masses in place of Simpson's
    rule so that one grid serves every look), then one Newton step on the exact crossing
    probability from the previous look's cell masses. Agrees with the exact recursion of
    :func:`nps_analysis.sequential.group_sequential_boundary` (``sides=1``) to about 0.005 in z.

    Example:
        >>> [round(float(b), 2) for b in spending_bounds([0.2, 0.4, 0.6, 0.8, 1.0], alpha=0.025)]
        [4.88, 3.36, 2.68, 2.29, 2.03]
    """

    t = np.asarray(fractions, dtype=float)
    scalar_rows = t.ndim == 1
    t = np.atleast_2d(t)
    flat = t.reshape(-1, t.shape[-1])
    ok = np.isfinite(flat) & (flat > 0)
    if eligible is not None:
        ok &= np.broadcast_to(np.asarray(eligible, dtype=bool), t.shape).reshape(flat.shape)
    # a look is tested only when information grew since the previous tested look and error is left
    rows, looks = flat.shape
    tested = np.zeros_like(ok)
    prev = np.zeros(rows)
    for k in range(looks):
        tk = np.where(ok[:, k], flat[:, k], -np.inf)
        tested[:, k] = ok[:, k] & (tk > prev * (1 + 1e-12)) & (prev < 1.0)
        prev = np.where(tested[:, k], tk, prev)
    a = np.broadcast_to(np.asarray(alpha, dtype=float), t.shape[:-1]).reshape(rows, 1)
    if np.any(~(a > 0)) or np.any(a >= 0.5):
        raise ValueError(f"alpha must lie in (0, 0.5) (one-sided), got {alpha!r}")
    h = _grid_step(flat, tested)
    bounds = np.full(flat.shape, np.inf)
    for lo in range(0, rows, _CHUNK):
        sl = slice(lo, lo + _CHUNK)
        bounds[sl] = _spending_chunk(flat[sl], tested[sl], a[sl], spending, h)
    out = bounds.reshape(t.shape)
    return out[0] if scalar_rows else out


def crossing_probability(z_bounds: Any, fractions: Any) -> float:
    """Probability that ``Z_k >= z_bounds[k]`` at some look, for a Brownian motion under H0.

    Same grid recursion as :func:`spending_bounds`; ``inf`` bounds are looks that cannot stop.

    Example:
        >>> round(crossing_probability([1.959964], [1.0]), 4)
        0.025
    """
    b = np.asarray(z_bounds, dtype=float)
    t = np.asarray(fractions, dtype=float)
    if b.shape != t.shape or b.ndim != 1:
        raise ValueError("need one bound per look (1-D)")
    if np.any(np.diff(t) <= 0) or np.any(t <= 0):
        raise ValueError("fractions must be positive and increase strictly")
    h = _grid_step(t[None, :], np.ones((1, t.size), dtype=bool))
    scale = max(1.0, float(t[-1]))
    h *= math.sqrt(scale)
    half = int(math.ceil(GRID_HALF_WIDTH * math.sqrt(scale) / h))
    x0 = -half * h
    mass = np.zeros((1, 2 * half + 1))
    crossed = 0.0
    prev = 0.0
    for k in range(t.size):
        sd = math.sqrt(t[k] - prev)
        kh = int(min(half, math.ceil(9.0 * sd / h)))
        kernel = _cell_masses(np.array([sd]), kh, h)
        if k == 0:
            mass[0, half - kh : half + kh + 1] = kernel[0]
        elif kernel.shape[-1] < 256:  # short kernels: direct convolution beats the FFT
            mass = np.convolve(mass[0], kernel[0], mode="same")[None, :]
        else:
            mass = _convolve(mass, kernel)
        u = np.array([b[k] * math.sqrt(t[k])])
        before = float(mass.sum())
        mass = _remove_above(mass, u, x0, h)
        crossed += before - float(mass.sum())
        prev = t[k]
    return float(crossed)


# ------------------------------------------------------------------- horizon-tuned confidence sequence


def _mixture_x_star(level: float) -> float:
    """``x = t* rho^2`` minimising the normal-mixture width at ``t*`` (Lambert W; sequential.optimal_rho2)."""
    from scipy.special import lambertw

    c = -2.0 * math.log(level)
    return float(np.real(-lambertw(-math.exp(-(1.0 + c)), k=-1))) - 1.0


def mixture_multiplier(fraction: Any, level: float) -> np.ndarray:
    """The normal-mixture multiplier at ``fraction = t / t*`` of the horizon, tuned to be tightest at 1.

    ``sqrt((1 + 1/x)(2 log(1/level) + log(1 + x)))`` with ``x = fraction * x*`` (Waudby-Smith et
    al. 2024, eq. (13), divided by ``sigma/sqrt(t)``); ``inf`` at ``fraction <= 0``.
    """
    s = np.asarray(fraction, dtype=float)
    x = s * _mixture_x_star(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.sqrt((1.0 + 1.0 / x) * (-2.0 * math.log(level) + np.log1p(x)))
    return np.where(s > 0, out, np.inf)


@functools.lru_cache(maxsize=256)
def horizon_level(alpha_side: float, looks: int) -> float:
    """Level ``a`` of the mixture formula whose one-sided crossing over the horizon equals ``alpha_side``.

    The horizon has ``looks`` equally spaced looks ending at ``t*`` (daily looks over
    ``planned_days``: ``looks = planned_days``); the multiplier at look ``k`` is
    :func:`mixture_multiplier` at ``k / looks``. Solved by Brent's method on the exact crossing
    probability (:func:`crossing_probability`). More looks give a smaller ``a`` (up to ~2000
    looks, beyond which the horizon is treated as monitored continuously: capped there).

    Example:
        >>> 0.15 < horizon_level(0.025, 30) < 0.2
        True
    """
    from scipy.optimize import brentq

    if not 0 < alpha_side < 0.5:
        raise ValueError(f"alpha_side must lie in (0, 0.5), got {alpha_side!r}")
    looks = int(min(max(looks, 1), 2000))
    s = np.arange(1, looks + 1) / looks

    def excess(log_level: float) -> float:
        return crossing_probability(mixture_multiplier(s, math.exp(log_level)), s) - alpha_side

    lo, hi = math.log(alpha_side), math.log(0.9)
    if excess(hi) < 0:
        return 0.9
    return float(math.exp(brentq(excess, lo, hi, xtol=1e-5)))


# ------------------------------------------------------------------------------ alpha allocation


def rule_alphas(alpha: float, metrics: int) -> tuple[float, float]:
    """One-sided levels ``(harm, non-inferiority)`` per metric for the roll-back rules.

    ROLL_BACK fires when *any* of ``metrics`` shows harm beyond its margin: a union of tests, so
    the one-sided ``alpha/2`` is split (Bonferroni): ``alpha / (2 metrics)`` each. KEEP needs
    *every* metric non-inferior: an intersection-union test (Berger 1982; Schultzberg, Ankargren &
    Franberg 2024) whose error is at most the largest single test's, so each keeps ``alpha / 2``.

    Example:
        >>> rule_alphas(0.05, 3)
        (0.008333333333333333, 0.025)
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    if int(metrics) < 1:
        raise ValueError(f"metrics must be at least 1, got {metrics!r}")
    return alpha / (2 * int(metrics)), alpha / 2
