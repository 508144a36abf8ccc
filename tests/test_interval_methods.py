"""Tests for nps_analysis.stats.intervals and stats.planning (issue 14).

Every method is pinned against an independent computation written here: scipy root finding on
the formula, Monte Carlo on the Dirichlet posterior, a brute-force exact test with scipy's
multinomial pmf, hand arithmetic for MOVER; exact coverage is checked by enumeration at small n.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, stats

from nps_analysis.stats import intervals as im
from nps_analysis.stats import power as planning

Z95 = 1.959963984540054


def tango_by_hand(d: int, p: int, r: int, delta: float, cc: float = 0.0) -> float:
    """Tango's statistic with the constrained MLE found numerically (no closed-form root)."""
    n = d + p + r

    def negloglik(q: float) -> float:
        shares = np.array([q, 1 - 2 * q - delta, q + delta])
        return -float(stats.multinomial.logpmf([d, p, r], n, np.clip(shares, 1e-300, 1)))

    lo, hi = max(0.0, -delta) + 1e-12, (1 - delta) / 2 - 1e-12
    q = optimize.minimize_scalar(negloglik, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12}).x
    num = r - d - n * delta
    num = math.copysign(max(abs(num) - cc, 0.0), num)
    return num / math.sqrt(n * (2 * q + delta * (1 - delta)))


@pytest.mark.parametrize("counts", [(3, 5, 12), (7, 2, 4), (1, 18, 1), (10, 10, 10)])
@pytest.mark.parametrize("cc", [0.0, 0.5])
def test_score_bounds_solve_tangos_equation(counts, cc):
    lo, hi = im.score_bounds(*counts, Z95, cc=cc)
    assert tango_by_hand(*counts, lo, cc) == pytest.approx(Z95, abs=1e-5)
    assert tango_by_hand(*counts, hi, cc) == pytest.approx(-Z95, abs=1e-5)


def test_continuity_correction_widens_the_score_interval():
    plain = im.score_bounds(4, 6, 10, Z95)
    corrected = im.score_bounds(4, 6, 10, Z95, cc=0.5)
    assert corrected[0] < plain[0] < plain[1] < corrected[1]


def test_score_bounds_reach_the_edge_when_every_answer_is_a_promoter():
    lo, hi = im.score_bounds(0, 0, 12, Z95, cc=0.5)
    assert hi == 1.0
    assert tango_by_hand(0, 0, 12, lo, 0.5) == pytest.approx(Z95, abs=1e-5)


def test_wald_bounds_with_rocks_pseudo_counts_by_hand():
    d, r, n = 20.75, 50.75, 103.0
    centre = (r - d) / n
    half = Z95 * math.sqrt(((r + d) / n - centre**2) / n)
    assert im.wald_bounds(20, 30, 50, Z95, (0.75, 1.5, 0.75)) == pytest.approx((centre - half, centre + half))


def test_mover_wilson_by_hand():
    d, p, r = 5, 10, 25
    n = d + p + r

    def wilson(x):
        c = (x / n + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
        h = Z95 * math.sqrt(x / n * (1 - x / n) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
        return c - h, c + h

    (l1, u1), (l2, u2) = wilson(r), wilson(d)
    p1, p2 = r / n, d / n
    rho = -math.sqrt(p1 * p2 / ((1 - p1) * (1 - p2)))
    lower = p1 - p2 - math.sqrt((p1 - l1) ** 2 - 2 * rho * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2)
    upper = p1 - p2 + math.sqrt((u1 - p1) ** 2 - 2 * rho * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2)
    assert im.mover_wilson_bounds(d, p, r, Z95) == pytest.approx((lower, upper), abs=1e-12)


def test_mover_difference_by_hand():
    lower, upper = im.mover_difference_bounds(0.3, 0.1, 0.45, 0.1, -0.05, 0.3)
    assert lower == pytest.approx(0.2 - math.sqrt(0.2**2 + 0.2**2))
    assert upper == pytest.approx(0.2 + math.sqrt(0.15**2 + 0.15**2))


@pytest.mark.parametrize("counts", [(0, 0, 7), (2, 9, 4), (0, 3, 0), (12, 1, 3)])
@pytest.mark.parametrize("prior", [(0.5, 0.5, 0.5), (1.0, 1.0, 1.0)])
def test_bayes_bounds_are_posterior_quantiles(counts, prior):
    lo, hi = im.bayes_bounds(*counts, 0.95, prior)
    draws = np.random.default_rng(1).dirichlet(np.add(counts, prior), 400_000)
    diff = draws[:, 2] - draws[:, 0]
    # P(D <= bound) equals the tail within Monte Carlo error (sd 2.5e-4 at 400,000 draws)
    assert (diff <= lo).mean() == pytest.approx(0.025, abs=1.5e-3)
    assert (diff <= hi).mean() == pytest.approx(0.975, abs=1.5e-3)


def test_posterior_cdf_handles_jeffreys_singularity_with_no_passives():
    alpha = np.array([[0.5, 0.5, 10.5]])
    draws = np.random.default_rng(2).dirichlet(alpha[0], 400_000)
    diff = draws[:, 2] - draws[:, 0]
    for t in (0.5, 0.8, 0.95):
        assert im.posterior_cdf(alpha, np.array([t]))[0] == pytest.approx((diff <= t).mean(), abs=2e-3)


def brute_exact_accepts(d: int, p: int, r: int, delta: float, half_alpha: float, n_nuisance: int) -> bool:
    """The exact test by brute force: scipy pmf on every outcome, the same nuisance grid."""
    n = d + p + r
    grid = [(a, n - a - b, b) for a in range(n + 1) for b in range(n + 1 - a)]
    z_obs = tango_by_hand(d, p, r, delta) if abs(delta) < 1 else None
    if z_obs is None:
        return False
    zs = np.array([tango_by_hand(*g, delta) for g in grid])
    p_ge = p_le = 0.0
    for q in np.linspace(max(0.0, -delta), (1 - delta) / 2, n_nuisance):
        shares = np.clip([q, 1 - 2 * q - delta, q + delta], 0, 1)
        pmf = np.array([stats.multinomial.pmf(g, n, shares) for g in grid])
        p_ge = max(p_ge, pmf[zs >= z_obs - 1e-6].sum())
        p_le = max(p_le, pmf[zs <= z_obs + 1e-6].sum())
    return p_ge > half_alpha and p_le > half_alpha


@pytest.mark.parametrize("counts,delta", [((1, 2, 3), 0.2), ((1, 2, 3), -0.45), ((0, 1, 5), 0.3), ((3, 3, 0), -0.2)])
def test_exact_acceptance_matches_brute_force(counts, delta):
    n = sum(counts)
    grid = im.outcomes(n)
    row = int(np.flatnonzero((grid == counts).all(axis=1))[0])
    got = im.exact_accepts(n, delta, 0.025, n_nuisance=21)[row]
    assert got == brute_exact_accepts(*counts, delta, 0.025, 21)


@pytest.mark.parametrize("n", [6, 11])
def test_exact_interval_never_covers_less_than_nominal(n):
    bounds = im.exact_bounds_all(n, 0.95)
    grid = im.outcomes(n)
    shares = [(0.05, 0.05, 0.9), (0.0, 0.1, 0.9), (0.3, 0.3, 0.4), (0.6, 0.3, 0.1), (0.5, 0.0, 0.5), (0.02, 0.0, 0.98)]
    for s in shares:
        t = s[2] - s[0]
        pmf = stats.multinomial.pmf(grid, n, s)
        covered = (bounds[:, 0] <= t + 1e-12) & (bounds[:, 1] >= t - 1e-12)
        assert pmf @ covered >= 0.95 - 1e-9, (s, pmf @ covered)


def test_exact_interval_contains_the_score_interval_centre_and_is_ordered():
    lo, hi = im.exact_bounds([2], [5], [8], 0.95)
    s_lo, s_hi = im.score_bounds(2, 5, 8, Z95)
    assert lo[0] <= 6 / 15 <= hi[0]
    assert lo[0] <= s_lo + 0.02 and hi[0] >= s_hi - 0.02


def test_mover_score_power_uses_the_score_limits():
    c = (0.25, 0.30, 0.45)
    t = (0.20, 0.30, 0.50)
    n = 800
    l1, u1 = im.score_bounds(n * 0.20, n * 0.30, n * 0.50, Z95)
    l2, u2 = im.score_bounds(n * 0.25, n * 0.30, n * 0.45, Z95)
    sd = math.sqrt((0.70 - 0.09) / n + (0.70 - 0.04) / n)
    up = stats.norm.cdf((0.10 - math.sqrt((0.30 - l1) ** 2 + (u2 - 0.20) ** 2)) / sd)
    down = stats.norm.cdf((-0.10 - math.sqrt((u1 - 0.30) ** 2 + (0.20 - l2) ** 2)) / sd)
    assert planning.mover_score_power(t, c, n, n) == pytest.approx(up + down, rel=1e-9)


def test_mover_score_sample_size_hits_the_power():
    c = (0.05, 0.15, 0.80)
    t = (0.10, 0.15, 0.75)
    n = planning.mover_score_sample_size(t, c, alpha=0.05, power=0.8, ratio=1.0, alternative="two-sided", start=250)
    assert planning.mover_score_power(t, c, n, n) == pytest.approx(0.8, abs=1e-6)


def test_mover_score_power_matches_a_small_simulation():
    rng = np.random.default_rng(7)
    c, t, n = (0.05, 0.15, 0.80), (0.10, 0.15, 0.75), 270
    xt = rng.multinomial(n, t, 4000).astype(float)
    xc = rng.multinomial(n, c, 4000).astype(float)
    l1, u1 = im.score_bounds(*xt.T, Z95)
    l2, u2 = im.score_bounds(*xc.T, Z95)
    lo, hi = im.mover_difference_bounds((xt[:, 2] - xt[:, 0]) / n, l1, u1, (xc[:, 2] - xc[:, 0]) / n, l2, u2)
    simulated = ((lo > 0) | (hi < 0)).mean()
    assert simulated == pytest.approx(planning.mover_score_power(t, c, n, n), abs=0.03)
