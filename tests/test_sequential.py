"""Confidence sequences and group-sequential boundaries: formulas, published values, simulated error rates."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.stats import norm

import nps_analysis as nps
from nps_analysis.stats import sequential as seq

# ------------------------------------------------------------------------- asymptotic confidence sequence


def test_optimal_rho2_minimizes_the_width_at_the_planned_size():
    planned, alpha = 5000, 0.05

    # Direct numerical minimisation of the WS et al. radius over rho^2 at t = planned.
    def radius(rho2):
        t = planned
        return math.sqrt(2 * (t * rho2 + 1) / (t * t * rho2) * math.log(math.sqrt(t * rho2 + 1) / alpha))

    best = minimize_scalar(lambda lr: radius(math.exp(lr)), bounds=(-20, 5), method="bounded", options={"xatol": 1e-10})
    assert seq.optimal_rho2(planned, alpha) == pytest.approx(math.exp(best.x), rel=1e-4)
    # The paper's one-step approximation is close to the exact optimum.
    approx = (-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / planned
    assert seq.optimal_rho2(planned, alpha) == pytest.approx(approx, rel=0.05)


def test_cs_multiplier_is_the_normal_mixture_radius_in_standard_errors():
    alpha, planned = 0.05, 2000
    rho2 = seq.optimal_rho2(planned, alpha)
    for t in (1, 10, 500, 2000, 10**6):
        radius = math.sqrt(2 * (t * rho2 + 1) / (t * t * rho2) * math.log(math.sqrt(t * rho2 + 1) / alpha))
        assert float(seq.cs_multiplier(t, alpha=alpha, planned_n=planned)) == pytest.approx(radius * math.sqrt(t))
    assert np.isinf(seq.cs_multiplier(0, planned_n=planned))
    # Wider than the fixed-horizon 1.96 everywhere, about 3 standard errors at the planned size.
    grid = np.logspace(0, 7, 50)
    assert np.all(seq.cs_multiplier(grid, planned_n=planned) > norm.isf(0.025))
    assert 2.9 < float(seq.cs_multiplier(planned, planned_n=planned)) < 3.1


def test_nps_confidence_sequence_matches_hand_arithmetic():
    t = np.array([[10, 10, 20], [30, 30, 60]])
    c = np.array([[8, 12, 20], [25, 35, 60]])
    cs = nps.nps_confidence_sequence(t, c, alpha=0.1, planned_responses=1000)
    assert cs.effect == pytest.approx([100 * (10 / 40 - 12 / 40), 100 * (30 / 120 - 35 / 120)])
    # Look 2 by hand: Rocks-adjusted variance per arm, radius = se * multiplier(240).
    vt_counts = np.array([30.75, 31.5, 60.75])
    vc_counts = np.array([25.75, 36.5, 60.75])
    vt = (vt_counts[0] + vt_counts[2]) / vt_counts.sum() - ((vt_counts[2] - vt_counts[0]) / vt_counts.sum()) ** 2
    vc = (vc_counts[0] + vc_counts[2]) / vc_counts.sum() - ((vc_counts[2] - vc_counts[0]) / vc_counts.sum()) ** 2
    se = math.sqrt(vt / 120 + vc / 120)
    rho2 = seq.optimal_rho2(1000, 0.1)
    mult = math.sqrt((1 + 1 / (240 * rho2)) * (2 * math.log(1 / 0.1) + math.log(1 + 240 * rho2)))
    assert cs.ci_lower[1] == pytest.approx(cs.effect[1] - 100 * se * mult)
    assert cs.ci_upper[1] == pytest.approx(cs.effect[1] + 100 * se * mult)
    assert cs.running_lower[1] == max(cs.ci_lower)
    assert cs.running_upper[1] == min(cs.ci_upper)
    assert list(cs.to_frame().columns)[:3] == ["look", "n_treatment", "n_control"]


def test_empty_arm_gives_an_unbounded_interval():
    cs = nps.nps_confidence_sequence([[0, 0, 0], [1, 0, 2]], [[3, 1, 1], [3, 1, 2]], planned_responses=100)
    assert np.isnan(cs.effect[0]) and cs.ci_lower[0] == -np.inf and cs.ci_upper[0] == np.inf
    assert np.isfinite(cs.ci_lower[1])


def _simulate_daily_counts(rng, reps, days, per_day, p_t, p_c):
    """Cumulative multinomial counts (reps, days, 3) per arm with Poisson daily arrivals."""
    n_t = rng.poisson(per_day, size=(reps, days))
    n_c = rng.poisson(per_day, size=(reps, days))
    t = np.cumsum(rng.multinomial(n_t, p_t), axis=1)
    c = np.cumsum(rng.multinomial(n_c, p_c), axis=1)
    return t, c


def test_confidence_sequence_covers_at_every_look_while_daily_fixed_intervals_do_not():
    """Time-uniform coverage with a look every day for 40 days (vectorized over counts)."""
    rng = np.random.default_rng(20261122)
    p_c = np.array([0.25, 0.30, 0.45])
    p_t = np.array([0.32, 0.30, 0.38])  # true effect -14 points
    truth = 100 * ((p_t[2] - p_t[0]) - (p_c[2] - p_c[0]))
    t, c = _simulate_daily_counts(rng, 2000, 40, 25, p_t, p_c)
    cs = nps.nps_confidence_sequence(t, c, alpha=0.05, planned_responses=2000)
    covered = ((cs.ci_lower <= truth) & (truth <= cs.ci_upper)).all(axis=1)
    se_mc = math.sqrt(0.05 * 0.95 / 2000)
    assert covered.mean() >= 0.95 - 3 * se_mc
    # The same estimator with the fixed-horizon 1.96 checked daily misses far more often.
    z = norm.isf(0.025)
    fixed_lo = cs.effect - z * cs.se
    fixed_hi = cs.effect + z * cs.se
    fixed_covered = ((fixed_lo <= truth) & (truth <= fixed_hi)).all(axis=1)
    assert fixed_covered.mean() < 0.85


# ------------------------------------------------------------------------------- group-sequential designs


def test_spending_functions_spend_alpha_by_the_end():
    for kind in ("obrien-fleming", "pocock"):
        assert float(seq.spending_function(kind, 1.0, 0.025)) == pytest.approx(0.025)
        values = seq.spending_function(kind, np.linspace(0.01, 1, 50), 0.025)
        assert np.all(np.diff(values) > 0)
    # Lan-DeMets formulas written out.
    assert float(seq.spending_function("obrien-fleming", 0.3, 0.05)) == pytest.approx(2 - 2 * norm.cdf(norm.isf(0.025) / math.sqrt(0.3)))
    assert float(seq.spending_function("pocock", 0.3, 0.05)) == pytest.approx(0.05 * math.log(1 + (math.e - 1) * 0.3))
    # Fractions beyond the design's maximum spend no more.
    assert float(seq.spending_function("pocock", 1.4, 0.05)) == pytest.approx(0.05)


def test_lan_demets_obrien_fleming_matches_gsdesign_five_looks():
    # gsDesign sfLDOF, k = 5 equally spaced, one-sided alpha .025 (also the symmetric two-sided .05 design).
    reference = [4.877, 3.357, 2.680, 2.290, 2.031]
    one = nps.group_sequential_boundary([0.2, 0.4, 0.6, 0.8, 1.0], alpha=0.025, sides=1)
    two = nps.group_sequential_boundary([0.2, 0.4, 0.6, 0.8, 1.0], alpha=0.05, sides=2)
    assert one.z_bounds == pytest.approx(reference, abs=6e-4)
    assert two.z_bounds == pytest.approx(reference, abs=6e-4)
    assert one.alpha_spent[-1] == pytest.approx(0.025)


def test_lan_demets_obrien_fleming_matches_gsdesign_unequal_looks_to_six_digits():
    # gsDesign::gsDesign(alpha = .025, k = 3, test.type = 1, sfu = sfLDOF, timing = c(.5, .75, 1))$upper$bound
    b = nps.group_sequential_boundary([0.5, 0.75, 1.0], alpha=0.025, sides=1)
    assert b.z_bounds == pytest.approx([2.962588, 2.359018, 2.014084], abs=2e-6)


def test_lan_demets_obrien_fleming_matches_rpact_three_looks():
    # rpact getDesignGroupSequential(typeOfDesign = "asOF", kMax = 3, alpha = .025): 3.710, 2.511, 1.993;
    # cumulative alpha spent 0.0001, 0.0060, 0.0250.
    b = nps.group_sequential_boundary([1 / 3, 2 / 3, 1.0], alpha=0.025, sides=1)
    assert b.z_bounds == pytest.approx([3.710, 2.511, 1.993], abs=6e-4)
    assert b.alpha_spent == pytest.approx([0.0001, 0.0060, 0.0250], abs=6e-5)


def test_lan_demets_pocock_five_looks():
    b = nps.group_sequential_boundary([0.2, 0.4, 0.6, 0.8, 1.0], alpha=0.05, spending="pocock")
    assert b.z_bounds == pytest.approx([2.438, 2.427, 2.410, 2.397, 2.386], abs=1e-3)


@pytest.mark.parametrize(
    ("looks", "pocock", "obrien_fleming"),
    # Jennison & Turnbull (2000) Tables 2.1 and 2.3, two-sided alpha = .05, equally spaced looks.
    [(2, 2.178, 1.977), (3, 2.289, 2.004), (4, 2.361, 2.024), (5, 2.413, 2.040)],
)
def test_classic_constants_match_jennison_turnbull_tables(looks, pocock, obrien_fleming):
    t = np.arange(1, looks + 1) / looks
    assert seq.classic_boundary(t, shape="pocock").z_bounds[0] == pytest.approx(pocock, abs=6e-4)
    assert seq.classic_boundary(t, shape="obrien-fleming").z_bounds[-1] == pytest.approx(obrien_fleming, abs=6e-4)


def test_daily_boundaries_keep_the_error_rate_in_a_monte_carlo_of_the_z_statistics():
    """60 daily looks: simulate Brownian paths of the score statistic, count crossings."""
    t = np.arange(1, 61) / 60
    rng = np.random.default_rng(7)
    paths = np.cumsum(rng.standard_normal((40_000, 60)) * math.sqrt(1 / 60), axis=1) / np.sqrt(t)
    se_mc = math.sqrt(0.05 * 0.95 / 40_000)
    for spending in ("obrien-fleming", "pocock"):
        b = np.asarray(nps.group_sequential_boundary(t, alpha=0.05, spending=spending).z_bounds)
        rate = (np.abs(paths) >= b).any(axis=1).mean()
        assert abs(rate - 0.05) < 4 * se_mc, (spending, rate)


def test_crossing_probabilities_single_look_is_the_normal_formula():
    up, lo = seq.crossing_probabilities([1.96], [1.0], drift=1.5)
    assert up[0] == pytest.approx(norm.sf(1.96 - 1.5))
    assert lo[0] == pytest.approx(norm.cdf(-1.96 - 1.5))


def test_power_of_a_design_matches_simulation():
    t = np.array([0.25, 0.5, 0.75, 1.0])
    b = nps.group_sequential_boundary(t, alpha=0.05).z_bounds
    up, lo = seq.crossing_probabilities(b, t, drift=2.8)
    rng = np.random.default_rng(3)
    inc = rng.standard_normal((100_000, 4)) * np.sqrt(np.diff(t, prepend=0)) + 2.8 * np.diff(t, prepend=0)
    z = np.cumsum(inc, axis=1) / np.sqrt(t)
    simulated = (np.abs(z) >= b).any(axis=1).mean()
    assert up.sum() + lo.sum() == pytest.approx(simulated, abs=0.006)


def test_looks_after_the_planned_maximum_have_nothing_left_to_spend():
    b = nps.group_sequential_boundary([0.5, 1.0, 1.2], alpha=0.05)
    assert b.alpha_spent[-1] == pytest.approx(0.05)
    assert b.z_bounds[-1] == math.inf


def test_early_obrien_fleming_looks_cannot_stop():
    b = nps.group_sequential_boundary(np.arange(1, 61) / 60, alpha=0.05)
    assert b.z_bounds[0] == math.inf
    assert np.all(np.diff([z for z in b.z_bounds if np.isfinite(z)]) < 0)


@pytest.mark.parametrize("bad", [[0.5, 0.5, 1.0], [0.0, 1.0], [], [0.7, 0.3]])
def test_bad_information_fractions_are_refused(bad):
    with pytest.raises(ValueError, match="information fractions"):
        nps.group_sequential_boundary(bad)


@pytest.mark.parametrize("alpha", [0, 1, -0.1, 1.5, True])
def test_bad_alpha_is_refused(alpha):
    with pytest.raises(ValueError, match="alpha"):
        nps.group_sequential_boundary([1.0], alpha=alpha)
