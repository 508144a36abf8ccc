"""Tests for nps_analysis.stats.power: the default test's power by hand, statsmodels at large n, simulation."""

from __future__ import annotations

import doctest
import importlib
import math

import numpy as np
import pytest
from scipy import optimize
from scipy.stats import norm

from nps_analysis import NPSCounts, compare
from nps_analysis.stats.intervals import mover_difference_bounds, score_bounds
from nps_analysis.stats.power import (
    achieved_power,
    baseline_shares,
    margin_of_error,
    minimum_detectable_effect,
    sample_size,
)

Z975 = 1.959963984540054
Z95 = 1.6448536269514722
Z80 = 0.8416212335729143


def test_module_doctests_pass():
    assert doctest.testmod(importlib.import_module("nps_analysis.stats.power")).failed == 0


def test_baseline_shares_from_nps_and_passives():
    # p_pro - p_det = 0.2, p_pro + p_det = 0.7
    assert baseline_shares(20, 0.3) == pytest.approx((0.25, 0.3, 0.45))
    assert baseline_shares(baseline=NPSCounts(25, 30, 45)) == pytest.approx((0.25, 0.3, 0.45))
    with pytest.raises(ValueError, match="impossible"):
        baseline_shares(80, 0.3)
    with pytest.raises(ValueError, match="passive_share"):
        baseline_shares(20)


def tango_limits(shares, n, z, cc=0.0):
    """Tango's score limits at the expected counts n x shares, by brentq on the score equation."""
    p_det, _, p_pro = shares
    b, c = n * p_pro, n * p_det
    obs = p_pro - p_det

    def score(d):
        a2, b2, c2 = 2 * n, -b - c + (2 * n - b + c) * d, -c * d * (1 - d)
        p = (-b2 + math.sqrt(b2 * b2 - 4 * a2 * c2)) / (2 * a2)
        num = b - c - n * d
        num = math.copysign(max(abs(num) - cc, 0.0), num)
        return num / math.sqrt(n * (2 * p + d * (1 - d)))

    return (optimize.brentq(lambda d: score(d) - z, -1 + 1e-12, obs, xtol=1e-14),
            optimize.brentq(lambda d: score(d) + z, obs, 1 - 1e-12, xtol=1e-14))


def power_by_hand(t, c, n_t, n_c, z, sides="two"):
    """MOVER-score power: Phi((Delta - h+)/sd) (+ Phi((-Delta - h-)/sd) two-sided)."""
    th1, th2 = t[2] - t[0], c[2] - c[0]
    sd = math.sqrt((t[2] + t[0] - th1**2) / n_t + (c[2] + c[0] - th2**2) / n_c)
    l1, u1 = tango_limits(t, n_t, z)
    l2, u2 = tango_limits(c, n_c, z)
    up = norm.cdf((th1 - th2 - math.hypot(th1 - l1, u2 - th2)) / sd)
    down = norm.cdf((th2 - th1 - math.hypot(u1 - th1, th2 - l2)) / sd)
    return {"two": up + down, "greater": up, "less": down}[sides]


def n_by_hand(t, c, z, ratio=1.0, sides="two", power=0.8):
    return optimize.brentq(lambda n: power_by_hand(t, c, ratio * n, n, z, sides) - power, 10, 1e6, xtol=1e-8)


CONTROL = (0.25, 0.30, 0.45)  # NPS 20, 30% passives


def test_sample_size_plans_for_the_default_test_by_hand():
    r = sample_size(10, baseline_nps=20, passive_share=0.3)
    # control 25/30/45: V_c = 0.66; treatment 20/30/50: V_t = 0.61
    n = n_by_hand((0.20, 0.30, 0.50), CONTROL, Z975)
    assert r.n_per_arm == math.ceil(n) == 1000
    # the textbook Wald formula, (z_a/2 + z_b)^2 (V_t + V_c) / Delta^2 = 996.8, is where it starts
    assert n == pytest.approx((Z975 + Z80) ** 2 * (0.61 + 0.66) / 0.1**2, rel=0.005)
    assert r.n_treatment == r.n_control == 1000 and r.n_total == 2000
    assert r.variance_control == pytest.approx(0.66) and r.variance_treatment == pytest.approx(0.61)
    assert r.treatment_nps == pytest.approx(30)
    assert r.achieved_power >= 0.8
    assert "detractors to promoters" in r.assumption


def test_sample_size_with_allocation_ratio_and_one_sided():
    r = sample_size(10, baseline_nps=20, passive_share=0.3, ratio=2, alternative="greater")
    n_c = n_by_hand((0.20, 0.30, 0.50), CONTROL, Z95, ratio=2, sides="greater")
    assert r.n_control == math.ceil(n_c)
    assert r.n_treatment == math.ceil(2 * n_c)
    assert r.n_per_arm is None


def test_sample_size_for_a_drop():
    r = sample_size(-10, baseline_nps=20, passive_share=0.3, alternative="less")
    assert r.n_per_arm == math.ceil(n_by_hand((0.30, 0.30, 0.40), CONTROL, Z95, sides="less"))
    with pytest.raises(ValueError, match="positive"):
        sample_size(-10, baseline_nps=20, passive_share=0.3, alternative="greater")


def test_sample_size_at_a_skewed_baseline_is_larger_than_the_wald_formula():
    # 5/15/80 against a drop of 20 with 3:1 allocation: the Wald formula gave 277 / 93 and a
    # simulated power of 72% (benchmarks/power_check.py); the score limits' null spread is larger.
    r = sample_size(-20, baseline=NPSCounts(5, 15, 80), ratio=3)
    n_c = n_by_hand((0.15, 0.15, 0.70), (0.05, 0.15, 0.80), Z975, ratio=3)
    assert r.n_control == math.ceil(n_c) and r.n_control > 93


def test_sample_size_equals_statsmodels_when_variances_are_equal_and_n_is_large():
    from statsmodels.stats.power import NormalIndPower

    # baseline NPS -5 and a +10 effect: NPS -5 -> +5, both V = 0.7 - 0.05^2. At n near 1,000 the
    # score limits' spread is the Wald one to within a fraction of a percent.
    v = 0.7 - 0.0025
    for ratio in (1.0, 1.5):
        r = sample_size(10, baseline_nps=-5, passive_share=0.3, ratio=ratio)
        ref = NormalIndPower().solve_power(effect_size=0.1 / math.sqrt(v), alpha=0.05, power=0.8, ratio=ratio)
        assert r.n_control == pytest.approx(ref, rel=0.01)


def test_sample_size_rejects_impossible_effects():
    with pytest.raises(ValueError, match="impossible"):
        sample_size(60, baseline_nps=20, passive_share=0.3)  # needs 30 points of detractors, has 25


def test_achieved_power_and_mde_invert_sample_size():
    r = sample_size(8, baseline=NPSCounts(250, 300, 450))
    assert achieved_power(r.n_treatment, r.n_control, 8, baseline=NPSCounts(250, 300, 450)) >= 0.8
    assert achieved_power(r.n_treatment - 1, r.n_control - 1, 8, baseline=NPSCounts(250, 300, 450)) < 0.8
    mde = minimum_detectable_effect(r.n_treatment, baseline=NPSCounts(250, 300, 450))
    assert 7.99 < mde <= 8.0
    # a one-sided drop
    drop = minimum_detectable_effect(800, 800, baseline_nps=20, passive_share=0.3, alternative="less")
    assert drop < 0
    assert sample_size(drop, baseline_nps=20, passive_share=0.3, alternative="less").n_per_arm == pytest.approx(800, abs=1)


def test_achieved_power_by_hand():
    got = achieved_power(500, 500, 10, baseline_nps=20, passive_share=0.3)
    assert got == pytest.approx(power_by_hand((0.20, 0.30, 0.50), CONTROL, 500, 500, Z975), rel=1e-7)
    # close to, and a little below, the Wald z-test's power at n = 500
    se = math.sqrt(1.27 / 500)
    wald = norm.cdf(0.1 / se - Z975) + norm.cdf(-0.1 / se - Z975)
    assert wald - 0.01 < got < wald


def test_mde_raises_when_nothing_is_detectable():
    with pytest.raises(ValueError, match="no effect"):
        minimum_detectable_effect(3, baseline_nps=20, passive_share=0.3)


def test_margin_of_error_by_hand():
    # half the width of the continuity-corrected score limits at the expected counts
    lo, hi = tango_limits((0.5, 0.0, 0.5), 400, Z975, cc=0.5)
    assert margin_of_error(400) == pytest.approx(100 * (hi - lo) / 2, rel=1e-7)
    lo, hi = tango_limits(CONTROL, 400, Z975, cc=0.5)
    assert margin_of_error(400, baseline_nps=20, passive_share=0.3) == pytest.approx(100 * (hi - lo) / 2, rel=1e-7)
    # near the Wald half-width z sqrt(V / n) at this size
    assert margin_of_error(400, baseline_nps=20, passive_share=0.3) == pytest.approx(Z975 * math.sqrt(0.66 / 400) * 100, rel=0.02)
    arr = margin_of_error(np.array([100, 400]), confidence_level=0.9)
    expected = [100 * (h - lo_) / 2 for lo_, h in (tango_limits((0.5, 0.0, 0.5), m, Z95, cc=0.5) for m in (100, 400))]
    assert arr == pytest.approx(expected, rel=1e-7)


def test_margin_of_error_without_a_baseline_is_the_widest():
    worst = margin_of_error(60)
    for shares in [(0.25, 0.3, 0.45), (0.4, 0.0, 0.6), (0.05, 0.15, 0.8), (0.45, 0.1, 0.45)]:
        d, p, r = shares
        assert margin_of_error(60, baseline=NPSCounts(100 * d, 100 * p, 100 * r)) <= worst + 1e-9


def test_margin_of_error_coverage_by_simulation():
    rng = np.random.default_rng(3)
    shares = np.array([0.25, 0.30, 0.45])
    n, reps = 300, 20_000
    moe = margin_of_error(n, baseline_nps=20, passive_share=0.3)
    draws = rng.multinomial(n, shares, size=reps)
    nps_hat = 100 * (draws[:, 2] - draws[:, 0]) / n
    coverage = np.mean(np.abs(nps_hat - 20) <= moe)
    assert coverage == pytest.approx(0.95, abs=4 * math.sqrt(0.95 * 0.05 / reps))


def _design(kind: str) -> tuple[int, int, float, str, float]:
    """(n_treatment, n_control, effect, alternative, predicted power) for each planning function."""
    base = {"baseline_nps": 20, "passive_share": 0.3}
    if kind == "sample_size":
        r = sample_size(10, **base)
        return r.n_treatment, r.n_control, 10.0, "two-sided", r.achieved_power
    if kind == "sample_size_ratio_one_sided_drop":
        r = sample_size(-12, ratio=2.0, alternative="less", **base)
        return r.n_treatment, r.n_control, -12.0, "less", r.achieved_power
    if kind == "minimum_detectable_effect":
        return 600, 600, minimum_detectable_effect(600, **base), "two-sided", 0.8
    # achieved power of an unbalanced, under-powered design
    return 500, 300, 10.0, "two-sided", achieved_power(500, 300, 10, **base)


@pytest.mark.parametrize(
    "kind", ["sample_size", "sample_size_ratio_one_sided_drop", "minimum_detectable_effect", "achieved_power"]
)
def test_simulated_power_of_the_default_test_matches_the_plan(kind):
    """Draw experiments of the planned size; the default test must reject as often as planned.

    The 1,000 replicates run through the vectorised MOVER-score interval (the code ``compare``
    calls); a few of them go through ``compare`` itself to check it takes the same decisions.
    """
    n_t, n_c, mde, alternative, predicted = _design(kind)
    control = np.array([0.25, 0.30, 0.45])
    treatment = control + np.array([-mde / 200, 0, mde / 200])
    rng = np.random.default_rng(42)
    reps = 1000
    t = rng.multinomial(n_t, treatment, size=reps).astype(float)
    c = rng.multinomial(n_c, control, size=reps).astype(float)
    z = Z975 if alternative == "two-sided" else Z95
    l1, u1 = score_bounds(*t.T, z)
    l2, u2 = score_bounds(*c.T, z)
    lower, upper = mover_difference_bounds((t[:, 2] - t[:, 0]) / n_t, l1, u1, (c[:, 2] - c[:, 0]) / n_c, l2, u2)
    reject = {"two-sided": (lower > 0) | (upper < 0), "greater": lower > 0, "less": upper < 0}[alternative]
    for i in range(5):
        r = compare(NPSCounts(*t[i]), NPSCounts(*c[i]), alternative=alternative, row_tests=False)
        assert (r.pvalue < 0.05) == bool(reject[i])
    mc = math.sqrt(predicted * (1 - predicted) / reps)
    assert reject.mean() == pytest.approx(predicted, abs=4 * mc + 0.01)
