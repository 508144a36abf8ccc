"""Tests for nps_analysis.power: formulas by hand, statsmodels cross-check, simulated power."""

from __future__ import annotations

import doctest
import importlib
import math

import numpy as np
import pytest
from scipy.stats import norm

from nps_analysis import NPSCounts, compare
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


def test_sample_size_matches_formula():
    r = sample_size(10, baseline_nps=20, passive_share=0.3)
    # control 25/30/45: V_c = 0.70 - 0.2^2 = 0.66; treatment 20/30/50: V_t = 0.70 - 0.3^2 = 0.61
    n = (Z975 + Z80) ** 2 * (0.61 + 0.66) / 0.1**2  # 996.8
    assert r.n_per_arm == math.ceil(n) == 997
    assert r.n_treatment == r.n_control == 997 and r.n_total == 1994
    assert r.variance_control == pytest.approx(0.66) and r.variance_treatment == pytest.approx(0.61)
    assert r.treatment_nps == pytest.approx(30)
    assert r.achieved_power >= 0.8
    assert "detractors to promoters" in r.assumption


def test_sample_size_with_allocation_ratio_and_one_sided():
    r = sample_size(10, baseline_nps=20, passive_share=0.3, ratio=2, alternative="greater")
    n_c = (Z95 + Z80) ** 2 * (0.61 / 2 + 0.66) / 0.1**2  # 607.2
    assert r.n_control == math.ceil(n_c)
    assert r.n_treatment == math.ceil(2 * n_c)
    assert r.n_per_arm is None


def test_sample_size_for_a_drop():
    r = sample_size(-10, baseline_nps=20, passive_share=0.3, alternative="less")
    # treatment 30/30/40: V_t = 0.70 - 0.1^2 = 0.69
    assert r.n_per_arm == math.ceil((Z95 + Z80) ** 2 * (0.69 + 0.66) / 0.01)
    with pytest.raises(ValueError, match="positive"):
        sample_size(-10, baseline_nps=20, passive_share=0.3, alternative="greater")


def test_sample_size_equals_statsmodels_when_variances_are_equal():
    from statsmodels.stats.power import NormalIndPower

    # baseline NPS -5 and a +10 effect: NPS -5 -> +5, both V = 0.7 - 0.05^2
    v = 0.7 - 0.0025
    for ratio in (1.0, 1.5):
        r = sample_size(10, baseline_nps=-5, passive_share=0.3, ratio=ratio)
        ref = NormalIndPower().solve_power(effect_size=0.1 / math.sqrt(v), alpha=0.05, power=0.8, ratio=ratio)
        # statsmodels adds the (tiny) far tail of the two-sided test; ours is the textbook formula
        assert r.n_control == pytest.approx(ref, rel=1e-3)


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
    # n = 500 per arm, +10 points: SE = sqrt(0.61/500 + 0.66/500)
    se = math.sqrt(1.27 / 500)
    expected = norm.cdf(0.1 / se - Z975) + norm.cdf(-0.1 / se - Z975)
    assert achieved_power(500, 500, 10, baseline_nps=20, passive_share=0.3) == pytest.approx(expected)


def test_mde_raises_when_nothing_is_detectable():
    with pytest.raises(ValueError, match="no effect"):
        minimum_detectable_effect(3, baseline_nps=20, passive_share=0.3)


def test_margin_of_error_by_hand():
    assert margin_of_error(400) == pytest.approx(Z975 * math.sqrt(1 / 400) * 100)
    assert margin_of_error(400, baseline_nps=20, passive_share=0.3) == pytest.approx(Z975 * math.sqrt(0.66 / 400) * 100)
    arr = margin_of_error(np.array([100, 400]), confidence_level=0.9)
    assert arr == pytest.approx([Z95 * 10, Z95 * 5])


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
def test_simulated_power_of_compare_matches_the_plan(kind):
    """Draw experiments of the planned size; compare() must reject as often as predicted."""
    n_t, n_c, mde, alternative, predicted = _design(kind)
    control = np.array([0.25, 0.30, 0.45])
    treatment = control + np.array([-mde / 200, 0, mde / 200])
    rng = np.random.default_rng(42)
    reps = 1000
    t = rng.multinomial(n_t, treatment, size=reps)
    c = rng.multinomial(n_c, control, size=reps)
    rejected = np.mean(
        [compare(NPSCounts(*t[i]), NPSCounts(*c[i]), alternative=alternative).pvalue < 0.05 for i in range(reps)]
    )
    mc = math.sqrt(predicted * (1 - predicted) / reps)
    assert rejected == pytest.approx(predicted, abs=4 * mc)
