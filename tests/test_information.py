"""Observed-information error spending, horizon-tuned confidence sequences and the rules' alpha.

Values are pinned against independent arithmetic: gsDesign's published bounds, the bivariate
normal law (scipy), the closed-form mixture multiplier and small simulations of Brownian paths.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import multivariate_normal, norm

from nps_analysis.stats import decision_bounds as db
from nps_analysis.stats import information as info
from nps_analysis.stats.sequential import cs_multiplier, group_sequential_boundary


def test_information_is_inverse_variance_of_the_difference():
    assert float(info.information(100, 0.5, 50, 0.4)) == pytest.approx(1 / (0.5 / 100 + 0.4 / 50))
    assert float(info.information(0, 0.5, 50, 0.4)) == 0.0


def test_information_fraction_of_a_late_arm_is_what_the_data_hold():
    # 40 treatment and 480 control answers of a 2,400-answer plan, equal variances:
    # I = 1/(V/40 + V/480), I_max = 1/(V/1200 + V/1200) -> t = (2/1200)/(1/40 + 1/480)
    t = info.information_fractions(40, 0.6, 480, 0.6, planned_responses=2400)
    assert float(t) == pytest.approx((2 / 1200) / (1 / 40 + 1 / 480))
    assert float(t) < 520 / 2400  # the sample-size fraction overstates it
    balanced = info.information_fractions(300, 0.6, 300, 0.6, planned_responses=2400)
    assert float(balanced) == pytest.approx(600 / 2400)


def test_spending_bounds_match_gsdesign_obrien_fleming():
    # gsDesign sfLDOF, 5 equally spaced looks, one-sided .025
    got = info.spending_bounds(np.arange(1, 6) / 5, alpha=0.025, spending="obrien-fleming")
    assert got == pytest.approx([4.877, 3.357, 2.680, 2.290, 2.031], abs=2e-3)


@pytest.mark.parametrize("spending", ["obrien-fleming", "pocock"])
def test_spending_bounds_match_the_exact_recursion_on_uneven_looks(spending):
    fractions = [0.07, 0.2, 0.26, 0.5, 0.61, 0.9, 1.0]
    exact = np.asarray(group_sequential_boundary(fractions, alpha=0.025, spending=spending, sides=1).z_bounds)
    got = info.spending_bounds(fractions, alpha=0.025, spending=spending)
    finite = np.isfinite(exact)
    assert got[finite] == pytest.approx(exact[finite], abs=5e-3)


def test_second_look_bound_spends_exactly_its_share_bivariate_normal():
    t = np.array([0.4, 1.0])
    b = info.spending_bounds(t, alpha=0.025, spending="pocock")
    spent = 0.025 * np.log1p((math.e - 1) * t)
    assert norm.sf(b[0]) == pytest.approx(spent[0], rel=1e-6)
    rho = math.sqrt(t[0] / t[1])
    # P(Z1 < b1, Z2 >= b2) = P(Z1 < b1) - P(Z1 < b1, Z2 < b2)
    both_below = multivariate_normal(mean=[0, 0], cov=[[1, rho], [rho, 1]]).cdf([b[0], b[1]])
    assert norm.cdf(b[0]) - both_below == pytest.approx(spent[1] - spent[0], rel=2e-3)


def test_skipped_looks_spend_their_share_at_the_first_tested_look():
    t = np.array([0.05, 0.1, 0.5, 1.0])
    b = info.spending_bounds(t, alpha=0.025, spending="pocock", eligible=[False, False, True, True])
    assert np.isinf(b[:2]).all()
    assert norm.sf(b[2]) == pytest.approx(0.025 * math.log1p((math.e - 1) * 0.5), rel=1e-6)


def test_batched_rows_equal_single_rows_and_alpha_per_row():
    a = np.array([[0.2, 0.5, 1.0], [0.3, 0.6, 0.9]])
    both = info.spending_bounds(a, alpha=np.array([0.025, 0.01]), spending="obrien-fleming")
    assert both[0] == pytest.approx(info.spending_bounds(a[0], alpha=0.025), abs=1e-9)
    assert both[1] == pytest.approx(info.spending_bounds(a[1], alpha=0.01), abs=1e-9)


def test_information_that_does_not_grow_is_not_a_look():
    b = info.spending_bounds([0.3, 0.3, 0.2, 0.8], alpha=0.025, spending="pocock")
    assert np.isfinite(b[0]) and np.isinf(b[1]) and np.isinf(b[2]) and np.isfinite(b[3])


def test_crossing_probability_single_and_two_looks():
    assert info.crossing_probability([2.0], [1.0]) == pytest.approx(norm.sf(2.0), rel=1e-4)
    rho = math.sqrt(0.5)
    exact = 1 - multivariate_normal(mean=[0, 0], cov=[[1, rho], [rho, 1]]).cdf([2.2, 2.1])
    assert info.crossing_probability([2.2, 2.1], [0.5, 1.0]) == pytest.approx(exact, rel=2e-3)


def test_mixture_multiplier_is_the_confidence_sequence_formula():
    # tightest at t*: the kit's cs_multiplier tuned at planned_n = t* gives the same numbers
    t = np.array([100.0, 500.0, 1000.0, 3000.0])
    assert info.mixture_multiplier(t / 1000.0, 0.05) == pytest.approx(cs_multiplier(t, alpha=0.05, planned_n=1000.0))


def test_horizon_level_with_one_look_is_the_fixed_test():
    a = info.horizon_level(0.025, 1)
    assert float(info.mixture_multiplier(1.0, a)) == pytest.approx(norm.isf(0.025), abs=1e-4)


def test_horizon_level_gives_the_stated_error_on_brownian_paths():
    a = info.horizon_level(0.025, 30)
    s = np.arange(1, 31) / 30
    rng = np.random.default_rng(7)
    w = np.cumsum(rng.standard_normal((20_000, 30)), axis=1) / math.sqrt(30)
    crossed = (w / np.sqrt(s) >= info.mixture_multiplier(s, a)).any(axis=1).mean()
    assert crossed == pytest.approx(0.025, abs=3 * math.sqrt(0.025 * 0.975 / 20_000))
    assert info.horizon_level(0.025, 300) < a  # more looks, more care


def test_rule_alphas_split_only_the_union():
    assert info.rule_alphas(0.05, 3) == (pytest.approx(0.05 / 6), 0.025)
    assert info.rule_alphas(0.05, 1) == (0.025, 0.025)


def test_fixed_design_multipliers_are_z_quantiles_of_the_rules():
    m = db.rule_multipliers([100, 200], 0.6, [100, 200], 0.6, design="fixed", alpha=0.05, metrics=3)
    assert m.harm == pytest.approx([norm.isf(0.05 / 6)] * 2)
    assert m.noninf == pytest.approx([norm.isf(0.025)] * 2)


def test_no_rule_before_the_minimum_answers():
    m = db.rule_multipliers([10, 60], 0.6, [80, 80], 0.6, design="fixed", alpha=0.05)
    assert np.isinf(m.harm[0]) and np.isfinite(m.harm[1])
    assert db.MIN_RESPONSES_PER_ARM == 50


def test_horizon_sequence_stops_testing_after_the_horizon():
    n = np.arange(1, 41) * 60.0
    m = db.rule_multipliers(n, 0.6, n, 0.6, design="sequential", alpha=0.05,
                            elapsed_days=np.arange(1, 41), planned_days=30)
    assert np.isfinite(m.harm[29]) and np.isinf(m.harm[30:]).all()
    assert m.harm[29] == pytest.approx(float(info.mixture_multiplier(1.0, info.horizon_level(0.025, 30))))


def test_margin_variances_move_the_means_onto_the_null_in_proportion_to_their_variances():
    # m_T = .3, m_C = .2, E[Y^2] = .7 in both arms, n = 100 and 300, null difference -0.05
    v_t, v_c = 0.7 - 0.09, 0.7 - 0.04
    w_t, w_c = v_t / 100, v_c / 300
    e = 0.1 + 0.05
    m_t, m_c = 0.3 - e * w_t / (w_t + w_c), 0.2 + e * w_c / (w_t + w_c)
    assert m_t - m_c == pytest.approx(-0.05)
    got = db.margin_variances(100, 0.3, 0.7, 300, 0.2, 0.7, null=-0.05, restriction=1.0)
    assert [float(x) for x in got] == pytest.approx([0.7 - m_t**2, 0.7 - m_c**2])
    half = db.margin_variances(100, 0.3, 0.7, 300, 0.2, 0.7, null=-0.05)
    assert [float(x) for x in half] == pytest.approx([(v_t + 0.7 - m_t**2) / 2, (v_c + 0.7 - m_c**2) / 2])
    same = db.margin_variances(100, 0.3, 0.7, 300, 0.2, 0.7, null=0.1)
    assert [float(x) for x in same] == pytest.approx([v_t, v_c])
    empty = db.margin_variances(0, 0.0, 0.0, 300, 0.2, 0.7, null=0.0)
    assert float(empty[1]) == pytest.approx(v_c)


def test_late_control_pocock_keeps_false_rollback_near_alpha_with_observed_information():
    """The audit's corner, small: control starts on day 11, 40 answers per arm per day, true effect
    exactly at the margin, Pocock spending, daily looks for 30 days (1,000 seeded replicates)."""
    rng = np.random.default_rng(14)
    reps, days = 1000, 30
    p_c = np.array([0.25, 0.30, 0.45])
    p_t = np.array([0.275, 0.30, 0.425])  # NPS 15 against 20: exactly at a 5-point margin
    lam = np.full((2, days), 40.0)
    lam[1, :10] = 0.0
    counts = np.stack([np.cumsum(rng.multinomial(rng.poisson(lam[a], size=(reps, days)), p), axis=1)
                       for a, p in enumerate((p_t, p_c))])
    n = counts.sum(axis=-1).astype(float)
    padded = counts + np.array([0.75, 1.5, 0.75])
    smooth = (padded[..., 2] - padded[..., 0]) / padded.sum(axis=-1)
    square = (padded[..., 2] + padded[..., 0]) / padded.sum(axis=-1)
    diff = 100 * ((counts[0, ..., 2] - counts[0, ..., 0]) / n[0] - (counts[1, ..., 2] - counts[1, ..., 0]) / np.maximum(n[1], 1))
    active = np.stack([np.arange(1, days + 1), np.clip(np.arange(1, days + 1) - 10, 0, None)]).astype(float)
    v = np.stack(db.margin_variances(n[0], smooth[0], square[0], n[1], smooth[1], square[1], null=-0.05))
    m = db.rule_multipliers(n[0], v[0], n[1], v[1], design="group-sequential", alpha=0.05, planned_responses=40 * 30 + 40 * 20,
                            spending="pocock", allocation=db.arrival_allocation(n[0], n[1], active[0], active[1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        se = 100 * np.sqrt(v[0] / n[0] + v[1] / n[1])
        upper = np.where(m.tested, diff + m.harm * se, np.inf)
    false_rollback = float((upper < -5).any(axis=1).mean())
    assert false_rollback <= 0.025 + 2 * math.sqrt(0.025 * 0.975 / reps)
    assert not m.tested[:, :10].any()  # no control answers, no look
