"""Planning for the tests the kit actually runs: power, sample size and margin of error.

The default two-cohort test is the MOVER interval built from Tango score limits (issue 14), whose
standard error is evaluated at the score limits, not at the estimate; these formulas follow it.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

# --- phase-1 imports (issue 11 moves these) ---------------------------------------------------
from .interval_methods import score_bounds

# ---------------------------------------------------------------------------------------------

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
