"""Tests for nps_analysis.compare: pinned arithmetic, independent libraries, A/A simulations."""

from __future__ import annotations

import doctest
import importlib
import itertools
import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import optimize
from scipy.stats import chi2_contingency, norm

import nps_analysis as nps
from nps_analysis.sources.errors import NPSInputError
from nps_analysis.stats.compare import compare, cuped, permutation_pvalue, row_level_tests
from nps_analysis.stats.cuped import cuped_core
from nps_analysis.stats.many import compare_many
from nps_analysis.stats.scoring import NPSCounts

Z95 = 1.959963984540054
Z90 = 1.6448536269514722
#: Category shares of the bundled baseline distribution (detractors 25%, passives 30%, promoters 45%).
BASE = np.array([0.25, 0.30, 0.45])
# nps_analysis.compare is the function (flat API); the module lives in sys.modules.
compare_module = importlib.import_module("nps_analysis.stats.compare")


def test_module_doctests_pass():
    assert doctest.testmod(compare_module).failed == 0


# --------------------------------------------------------------------------- Wald family


def test_wald_matches_formula():
    r = compare(NPSCounts(20, 30, 50), NPSCounts(30, 30, 40), method="wald")
    # NPS 30 vs 10; V = 0.5 + 0.2 - 0.3^2 = 0.61 and 0.4 + 0.3 - 0.1^2 = 0.69
    se = 100 * math.sqrt(0.61 / 100 + 0.69 / 100)  # 11.4018
    assert r.difference == pytest.approx(20.0)
    assert r.se == pytest.approx(se)
    assert r.ci_lower == pytest.approx(20 - Z95 * se)
    assert r.ci_upper == pytest.approx(20 + Z95 * se)
    assert r.statistic == pytest.approx(20 / se)
    assert r.pvalue == pytest.approx(2 * norm.sf(20 / se))
    assert r.pvalue == pytest.approx(0.07941, abs=5e-5)
    assert r.treatment.nps == 30 and r.control.nps == 10 and r.treatment.method == "wald"


def test_adjusted_wald_matches_formula():
    r = compare(NPSCounts(20, 30, 50), NPSCounts(30, 30, 40), method="adjusted-wald")
    # adjusted counts: (20.75, 31.5, 50.75) and (30.75, 31.5, 40.75), n = 103 each
    nps_t, nps_c = 100 * 30 / 103, 100 * 10 / 103
    v_t = (20.75 + 50.75) / 103 - (30 / 103) ** 2
    v_c = (30.75 + 40.75) / 103 - (10 / 103) ** 2
    se = 100 * math.sqrt(v_t / 103 + v_c / 103)
    centre = nps_t - nps_c
    assert r.method == "adjusted-wald"
    assert r.difference == pytest.approx(20.0)  # reported difference is the observed one
    assert r.adjusted_difference == pytest.approx(centre)
    assert r.se == pytest.approx(se)
    assert se == pytest.approx(11.2089, abs=1e-4)
    assert (r.ci_lower, r.ci_upper) == pytest.approx((centre - Z95 * se, centre + Z95 * se))
    assert r.pvalue == pytest.approx(2 * norm.sf(centre / se))
    assert r.treatment.method == "adjusted-wald"
    assert r.treatment.ci_lower == pytest.approx(nps_t - Z95 * 100 * math.sqrt(v_t / 103))


def _tango_limits_by_hand(d, p, r, z):
    """Tango's score limits by brentq on the score equation (constrained MLE from the quadratic)."""
    n = d + p + r

    def score(x):
        a2, b2, c2 = 2 * n, -r - d + (2 * n - r + d) * x, -d * x * (1 - x)
        q = (-b2 + math.sqrt(b2 * b2 - 4 * a2 * c2)) / (2 * a2)
        return (r - d - n * x) / math.sqrt(n * (2 * q + x * (1 - x)))

    obs = (r - d) / n
    return (optimize.brentq(lambda x: score(x) - z, -1 + 1e-12, obs, xtol=1e-14),
            optimize.brentq(lambda x: score(x) + z, obs, 1 - 1e-12, xtol=1e-14))


def test_default_is_mover_of_the_score_limits_by_hand():
    t, c = (20, 30, 50), (30, 30, 40)
    r = compare(NPSCounts(*t), NPSCounts(*c))
    assert r.method == "mover-score" and r.interval_method == "mover-score"
    l1, u1 = _tango_limits_by_hand(*t, Z95)
    l2, u2 = _tango_limits_by_hand(*c, Z95)
    lower = 0.2 - math.hypot(0.3 - l1, u2 - 0.1)
    upper = 0.2 + math.hypot(u1 - 0.3, 0.1 - l2)
    assert (r.ci_lower, r.ci_upper) == pytest.approx((100 * lower, 100 * upper), abs=1e-6)
    assert r.difference == pytest.approx(20.0)
    assert r.se == pytest.approx(100 * (upper - lower) / (2 * Z95), abs=1e-6)
    # the p-value is the level at which the interval's lower bound reaches 0
    z0 = optimize.brentq(lambda z: 0.2 - math.hypot(0.3 - _tango_limits_by_hand(*t, z)[0],
                                                    _tango_limits_by_hand(*c, z)[1] - 0.1), 0.1, 6)
    assert r.statistic == pytest.approx(z0, abs=1e-4)
    assert r.pvalue == pytest.approx(2 * norm.sf(z0), abs=1e-5)
    assert r.treatment.method == "score"
    g = compare(NPSCounts(*t), NPSCounts(*c), alternative="greater", margin=5)
    assert g.pvalue == pytest.approx(norm.sf(z0), abs=1e-5) and g.ci_upper == 200
    zm = optimize.brentq(lambda z: 0.25 - math.hypot(0.3 - _tango_limits_by_hand(*t, z)[0],
                                                     _tango_limits_by_hand(*c, z)[1] - 0.1), 0.1, 8)
    assert g.margin_pvalue == pytest.approx(norm.sf(zm), abs=1e-5)


def test_mover_score_tails_are_balanced_at_unequal_sizes():
    # 50 vs 150 answers from 5/15/80 (A/A): adjusted Wald's tails are 2.62% and 1.22%; MOVER-score's
    # are within [1.5%, 3.0%] (benchmarks/two_sample_tails.py, exact). A quick simulation agrees.
    rng = np.random.default_rng(11)
    shares = (0.05, 0.15, 0.80)
    reps = 200
    t, c = rng.multinomial(50, shares, reps), rng.multinomial(150, shares, reps)
    low = high = 0
    for i in range(reps):
        r = compare(NPSCounts(*t[i]), NPSCounts(*c[i]), row_tests=False)
        low += r.ci_upper < 0
        high += r.ci_lower > 0
    assert 0 < low / reps < 0.07 and 0 < high / reps < 0.07


def test_one_sided_alternatives_follow_scipy_convention():
    t, c = NPSCounts(20, 30, 50), NPSCounts(30, 30, 40)
    two = compare(t, c, method="wald")
    greater = compare(t, c, method="wald", alternative="greater")
    less = compare(t, c, method="wald", alternative="less")
    assert greater.pvalue == pytest.approx(two.pvalue / 2)
    assert less.pvalue == pytest.approx(1 - two.pvalue / 2)
    assert greater.ci_upper == 200 and greater.ci_lower == pytest.approx(20 - Z90 * two.se)
    assert less.ci_lower == -200 and less.ci_upper == pytest.approx(20 + Z90 * two.se)


def test_interval_bounds_are_clipped_to_plus_minus_200():
    r = compare(NPSCounts(0, 0, 2), NPSCounts(2, 0, 0), method="adjusted-wald", confidence_level=0.999)
    assert -200 <= r.ci_lower <= r.ci_upper <= 200
    assert r.ci_upper == 200


def test_wald_with_zero_variance_does_not_crash():
    same = compare(NPSCounts(0, 0, 10), NPSCounts(0, 0, 10), method="wald")
    assert same.difference == 0 and same.pvalue == 1.0 and same.se == 0
    apart = compare(NPSCounts(0, 0, 5), NPSCounts(5, 0, 0), method="wald")
    assert apart.difference == 200 and apart.pvalue == 0.0
    adjusted = compare(NPSCounts(0, 0, 5), NPSCounts(5, 0, 0))
    assert 0 < adjusted.se and adjusted.pvalue < 0.05 and adjusted.ci_upper <= 200


def test_margin_pvalue_is_non_inferiority_test():
    t, c = NPSCounts(30, 30, 40), NPSCounts(28, 30, 42)
    r = compare(t, c, method="wald", margin=5)
    se = 100 * math.sqrt((0.7 - 0.01) / 100 + (0.7 - 0.0196) / 100)
    # H0: D <= -5 ; D = 10 - 14 = -4 ; z = (-4 + 5) / se
    assert r.margin == 5
    assert r.margin_pvalue == pytest.approx(norm.sf((-4 + 5) / se))


# --------------------------------------------------------------------------- permutation


def test_permutation_exact_small_example_by_hand():
    # pooled (2 det, 0 pas, 2 pro), treatment gets 2 of 4: (2,0,0) 1/6, (1,0,1) 4/6, (0,0,2) 1/6
    p, exact, _ = permutation_pvalue(NPSCounts(0, 0, 2), NPSCounts(2, 0, 0))
    assert exact and p == pytest.approx(2 / 6)
    p_greater, _, _ = permutation_pvalue(NPSCounts(0, 0, 2), NPSCounts(2, 0, 0), alternative="greater")
    assert p_greater == pytest.approx(1 / 6)
    p_less, _, _ = permutation_pvalue(NPSCounts(0, 0, 2), NPSCounts(2, 0, 0), alternative="less")
    assert p_less == pytest.approx(1.0)


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_permutation_exact_matches_brute_force_over_rows(alternative):
    t_rows = np.array([10, 9, 9, 7, 3])
    c_rows = np.array([9, 8, 6, 5, 2, 0])
    value = np.where(np.r_[t_rows, c_rows] >= 9, 1, np.where(np.r_[t_rows, c_rows] >= 7, 0, -1))
    obs = 100 * (value[:5].mean() - value[5:].mean())
    stats = []
    for idx in itertools.combinations(range(11), 5):  # all 462 splits
        mask = np.zeros(11, dtype=bool)
        mask[list(idx)] = True
        stats.append(100 * (value[mask].mean() - value[~mask].mean()))
    stats = np.array(stats)
    expected = {
        "two-sided": np.mean(np.abs(stats) >= abs(obs) - 1e-9),
        "greater": np.mean(stats >= obs - 1e-9),
        "less": np.mean(stats <= obs + 1e-9),
    }[alternative]
    r = compare(t_rows, c_rows, method="permutation", alternative=alternative, row_tests=False)
    assert r.exact is True
    assert r.pvalue == pytest.approx(expected)
    assert r.interval_method == "adjusted-wald"


def test_permutation_monte_carlo_agrees_with_exact():
    t, c = NPSCounts(40, 50, 90), NPSCounts(55, 50, 75)
    exact, is_exact, _ = permutation_pvalue(t, c)
    mc, mc_exact, b = permutation_pvalue(t, c, max_exact_states=0, n_resamples=20_000, random_state=3)
    assert is_exact and not mc_exact and b == 20_000
    assert mc == pytest.approx(exact, abs=4 * math.sqrt(exact * (1 - exact) / b))


def test_permutation_rejects_fractional_counts():
    with pytest.raises(ValueError, match="whole-number"):
        compare(NPSCounts(1.5, 2, 3), NPSCounts(2, 2, 2), method="permutation")


# --------------------------------------------------------------------------- bootstrap


def test_bootstrap_interval_matches_scipy_bootstrap_on_rows():
    from scipy.stats import bootstrap

    rng = np.random.default_rng(11)
    t_rows = rng.choice(11, size=300, p=np.r_[[0.25 / 7] * 7, [0.15] * 2, [0.225] * 2])
    c_rows = rng.choice(11, size=300, p=np.r_[[0.3 / 7] * 7, [0.15] * 2, [0.2] * 2])
    r = compare(t_rows, c_rows, method="bootstrap", n_resamples=5000, random_state=1, row_tests=False)

    def value(x):
        return np.where(x >= 9, 1.0, np.where(x >= 7, 0.0, -1.0))

    ref = bootstrap(
        (value(t_rows), value(c_rows)),
        lambda a, b, axis: 100 * (a.mean(axis=axis) - b.mean(axis=axis)),
        n_resamples=5000, method="percentile", random_state=2, vectorized=True,
    )
    # Monte Carlo error of a 2.5% quantile here is ~0.4 points per run.
    assert r.ci_lower == pytest.approx(ref.confidence_interval.low, abs=1.8)
    assert r.ci_upper == pytest.approx(ref.confidence_interval.high, abs=1.8)
    assert r.se == pytest.approx(ref.standard_error, rel=0.05)
    assert r.n_resamples == 5000 and r.treatment.method == "bootstrap"


def test_bootstrap_pvalue_agrees_with_its_interval_and_is_seeded():
    t, c = NPSCounts(40, 50, 110), NPSCounts(55, 50, 95)
    a = compare(t, c, method="bootstrap", random_state=5)
    b = compare(t, c, method="bootstrap", random_state=5)
    assert a == b
    assert (a.pvalue < 0.05) == (a.ci_lower > 0 or a.ci_upper < 0)
    wald = compare(t, c, method="wald")
    assert a.pvalue == pytest.approx(wald.pvalue, abs=0.02)


# --------------------------------------------------------------------------- Bayes


def _dirichlet_difference_moments(t, c, prior=(1, 1, 1)):
    """Mean and sd of (p_pro - p_det)_t - (p_pro - p_det)_c under independent Dirichlet posteriors."""
    mean, var = 0.0, 0.0
    for counts, sign in ((t, 1), (c, -1)):
        a = np.asarray(counts, float) + prior
        a0 = a.sum()
        m = (a[2] - a[0]) / a0
        # Var(p_i) = a_i (a0 - a_i) / (a0^2 (a0 + 1)),  Cov(p_i, p_j) = -a_i a_j / (a0^2 (a0 + 1))
        v = (a[2] * (a0 - a[2]) + a[0] * (a0 - a[0]) + 2 * a[0] * a[2]) / (a0**2 * (a0 + 1))
        mean += sign * m
        var += v
    return 100 * mean, 100 * math.sqrt(var)


def test_bayes_matches_dirichlet_moments():
    t, c = (60, 70, 120), (70, 70, 110)
    mean, sd = _dirichlet_difference_moments(t, c, prior=(0.5, 0.5, 0.5))  # Jeffreys, the default
    r = compare(NPSCounts(*t), NPSCounts(*c), method="bayes", margin=5, n_resamples=40_000)
    assert r.se == pytest.approx(sd, rel=0.02)
    assert r.ci_lower == pytest.approx(mean - Z95 * sd, abs=0.6)
    assert r.ci_upper == pytest.approx(mean + Z95 * sd, abs=0.6)
    assert r.prob_better == pytest.approx(norm.cdf(mean / sd), abs=0.01)
    assert r.prob_below_margin == pytest.approx(norm.cdf((-5 - mean) / sd), abs=0.01)
    assert r.pvalue == pytest.approx(2 * min(r.prob_better, 1 - r.prob_better), abs=1e-3)
    assert r.treatment.method == "bayes"


def test_bayes_prior_is_configurable():
    t, c = (3, 2, 5), (5, 2, 3)
    jeffreys = compare(NPSCounts(*t), NPSCounts(*c), method="bayes", prior=(0.5, 0.5, 0.5), n_resamples=40_000)
    mean, sd = _dirichlet_difference_moments(t, c, prior=(0.5, 0.5, 0.5))
    assert jeffreys.se == pytest.approx(sd, rel=0.03)
    default = compare(NPSCounts(*t), NPSCounts(*c), method="bayes", n_resamples=40_000)
    assert default.se == jeffreys.se  # Jeffreys is the default
    uniform = compare(NPSCounts(*t), NPSCounts(*c), method="bayes", prior=(1, 1, 1), n_resamples=40_000)
    assert uniform.se < jeffreys.se  # more pseudo-counts, tighter posterior


def test_margin_must_be_non_negative():
    with pytest.raises(ValueError, match="margin"):
        compare(NPSCounts(1, 1, 1), NPSCounts(1, 1, 1), method="bayes", margin=-5)


# --------------------------------------------------------------------------- row-level tests


def test_mann_whitney_statistic_by_hand():
    t, c = [10, 9, 9, 3], [9, 7, 5]
    tests = row_level_tests(t, c)
    # U_t counts treatment > control pairs, ties one half: 10 -> 3; 9 -> 2.5 (twice); 3 -> 0
    assert tests.mann_whitney.statistic == pytest.approx(8.0)
    assert tests.mann_whitney.prob_superiority == pytest.approx(8 / 12)
    # tie-corrected normal approximation with continuity: one tie group of three 9s
    sigma = math.sqrt(4 * 3 / 12 * ((7 + 1) - (3**3 - 3) / (7 * 6)))
    z = (8 - 6 - 0.5) / sigma
    assert tests.mann_whitney.pvalue == pytest.approx(2 * norm.sf(z), rel=1e-6)


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
@pytest.mark.parametrize("n1, n2", [(800, 900), (40, 12), (9, 30), (3, 5)])
def test_mann_whitney_from_counts_equals_scipy_on_rows(alternative, n1, n2):
    from scipy.stats import mannwhitneyu

    rng = np.random.default_rng(n1 + n2)
    t, c = rng.integers(0, 11, n1), rng.integers(2, 11, n2)
    mw = row_level_tests(t, c, alternative=alternative).mann_whitney
    ref = mannwhitneyu(t, c, alternative=alternative)
    assert mw.statistic == ref.statistic
    assert mw.pvalue == pytest.approx(ref.pvalue, rel=1e-12, abs=1e-300)


def test_ordinal_model_converges_at_large_n():
    rng = np.random.default_rng(12)
    p = np.full(11, 1 / 11)
    o = row_level_tests(rng.choice(11, 200_000, p=p), rng.choice(11, 200_000, p=p)).ordinal
    assert o.converged and o.note is None
    # no true effect: the log odds ratio is within a few standard errors of 0, se ~ sqrt(4 / n) ish
    assert abs(o.log_odds_ratio) < 4 * o.se and 0.003 < o.se < 0.01


def test_ordinal_model_reduces_to_logistic_odds_ratio_with_two_levels():
    # Two answer levels: the proportional-odds model is a logistic regression, OR = (a/b)/(c/d)
    t = [9] * 30 + [3] * 10
    c = [9] * 20 + [3] * 20
    o = row_level_tests(t, c).ordinal
    assert o.odds_ratio == pytest.approx((30 / 10) / (20 / 20), rel=1e-6)
    se = math.sqrt(1 / 30 + 1 / 10 + 1 / 20 + 1 / 20)
    assert o.se == pytest.approx(se, rel=1e-4)
    assert o.ci_lower == pytest.approx(3 * math.exp(-Z95 * se), rel=1e-3)
    assert o.pvalue == pytest.approx(2 * norm.sf(math.log(3) / se), rel=1e-3)


def test_weighted_ordinal_fit_equals_statsmodels_on_rows():
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    rng = np.random.default_rng(4)
    p = np.array([0.03, 0.01, 0.02, 0.03, 0.03, 0.06, 0.07, 0.12, 0.18, 0.20, 0.25])
    t = rng.choice(11, size=150, p=p)
    c = rng.choice(11, size=150, p=np.r_[p[:7] * 1.3, p[7:] * (1 - 1.3 * p[:7].sum()) / p[7:].sum()])
    y = np.r_[t, c]
    endog = pd.Series(pd.Categorical(y, categories=np.unique(y), ordered=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = OrderedModel(endog, pd.DataFrame({"x": np.r_[np.ones(150), np.zeros(150)]}), distr="logit").fit(
            method="bfgs", disp=False, maxiter=2000, gtol=1e-8
        )
    o = row_level_tests(t, c).ordinal
    assert o.log_odds_ratio == pytest.approx(rows.params.iloc[0], abs=1e-4)
    assert o.se == pytest.approx(rows.bse.iloc[0], rel=1e-3)
    assert o.odds_ratio > 1  # treatment has fewer detractors: higher answers


def test_chi_square_matches_pearson_by_hand():
    t = [0] * 20 + [7] * 30 + [10] * 50
    c = [0] * 30 + [7] * 30 + [10] * 40
    chi = row_level_tests(t, c).chi_square
    # expected 25, 30, 45 in each row
    stat = 2 * ((20 - 25) ** 2 / 25 + 0 + (50 - 45) ** 2 / 45)
    assert chi.statistic == pytest.approx(stat)
    assert chi.dof == 2
    assert chi.pvalue == pytest.approx(math.exp(-stat / 2))  # chi-square survival with 2 dof


def test_chi_square_drops_absent_category():
    chi = row_level_tests([10, 10, 3], [3, 3, 10]).chi_square
    ref = chi2_contingency(np.array([[1, 2], [2, 1]]), correction=False)
    assert chi.dof == 1 and chi.statistic == pytest.approx(ref.statistic)
    assert "expected count below 5" in chi.note


@pytest.mark.parametrize(
    "t, c, expect",
    [
        ([8, 8, 8], [8, 8], "same level"),
        ([10, 10, 9], [2, 3, 0], "separation"),
        ([9], [4], "separation"),
        ([10], [9, 10], "separation"),  # quasi-complete: the MLE is infinite too
        ([5, 5], [5, 6, 6], "separation"),
        ([], [4, 5], "no answers"),
    ],
)
def test_row_tests_degenerate_data_report_nan_with_reason(t, c, expect):
    tests = row_level_tests(t, c)
    assert math.isnan(tests.ordinal.odds_ratio)
    assert expect in tests.ordinal.note
    json.dumps(tests.to_dict(), allow_nan=False)


def test_row_tests_present_only_with_raw_scores():
    rows = compare([10, 9, 7, 3, 9], [6, 7, 9, 2])
    assert rows.row_tests is not None and math.isfinite(rows.row_tests.mann_whitney.pvalue)
    assert compare(NPSCounts(1, 1, 3), NPSCounts(2, 1, 1)).row_tests is None
    assert compare([10, 9, 3], NPSCounts(2, 1, 1)).row_tests is None
    assert compare([10, 9, 3], [1, 9, 8], row_tests=False).row_tests is None


def test_missing_answers_are_not_responses_and_bad_scores_raise():
    r = compare(pd.Series([10, None, 9, np.nan]), [3, "", 7])
    assert r.treatment.n == 2 and r.control.n == 2
    with pytest.raises(NPSInputError, match="11"):
        compare([10, 11], [3, 4])


# --------------------------------------------------------------------------- result contract


def test_to_dict_is_json_with_the_contract_keys():
    r = compare([10, 9, 9, 7, 3, 0, 10], [6, 7, 9, 2, 10, 5], method="bayes", margin=3)
    d = r.to_dict()
    text = json.dumps(d, allow_nan=False)
    assert json.loads(text) == d
    for key in ("difference", "ci_lower", "ci_upper", "pvalue", "method", "confidence_level", "treatment", "control"):
        assert key in d
    for group in ("treatment", "control"):
        assert set(nps.nps_interval([1]).to_dict()) == set(d[group])
    assert set(d["row_tests"]) == {"mann_whitney", "ordinal", "chi_square"}
    assert {"odds_ratio", "ci_lower", "ci_upper", "pvalue"} <= set(d["row_tests"]["ordinal"])
    frame = r.to_frame()
    assert len(frame) == 1 and {"difference", "nps_treatment", "ordinal_pvalue", "prob_better"} <= set(frame.columns)


def test_summary_is_written_from_the_numbers():
    t = [10] * 60 + [8] * 20 + [3] * 20
    c = [10] * 40 + [8] * 20 + [3] * 40
    r = compare(t, c)
    text = r.summary("Treatment B", "control")
    assert text.startswith("Treatment B raised NPS by 40.0 points versus control (95% CI ")
    assert "the rank test agrees" in text
    flat = compare(NPSCounts(10, 10, 10), NPSCounts(10, 10, 10)).summary()
    assert "left NPS unchanged" in flat and "not distinguishable from no change" in flat


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"method": "t-test"}, "unknown method"),
        ({"alternative": "bigger"}, "alternative"),
        ({"confidence_level": 95}, "confidence_level"),
        ({"method": "bootstrap", "n_resamples": 0}, "n_resamples"),
    ],
)
def test_bad_options_raise_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        compare(NPSCounts(1, 1, 1), NPSCounts(1, 1, 1), **kwargs)


def test_empty_group_raises():
    with pytest.raises(ValueError, match="no responses"):
        compare([np.nan, None], [9, 10])


# --------------------------------------------------------------------------- A/A type-I error


def _aa_counts(reps: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.multinomial(n, BASE, size=reps), rng.multinomial(n, BASE, size=reps)


@pytest.mark.parametrize(
    "method, reps, kwargs",
    [
        ("mover-score", 200, {}),
        ("adjusted-wald", 2000, {}),
        ("wald", 2000, {}),
        ("permutation", 800, {}),
        ("bootstrap", 600, {"n_resamples": 1000}),
        ("bayes", 600, {"n_resamples": 1000}),
    ],
)
def test_aa_type_one_error_is_near_alpha(method, reps, kwargs):
    n = 120
    t, c = _aa_counts(reps, n, seed=2026)  # the same A/A draws for every method
    rejections = sum(
        compare(NPSCounts(*t[i]), NPSCounts(*c[i]), method=method, random_state=i, **kwargs).pvalue < 0.05
        for i in range(reps)
    )
    rate = rejections / reps
    mc = math.sqrt(0.05 * 0.95 / reps)
    # within 4 Monte Carlo standard errors of alpha (benchmarks/aa_and_power.py has the precise rates)
    assert abs(rate - 0.05) <= 4 * mc, rate


# --------------------------------------------------------------------------- CUPED


def _prior_experiment(n_per_arm: int, rho: float, effect_shift: float, seed: int) -> pd.DataFrame:
    """Latent normal satisfaction with correlation ``rho`` between before and during, cut into 0-10."""
    from nps_analysis.samples import BASELINE_DISTRIBUTION

    rng = np.random.default_rng(seed)
    cuts = norm.ppf(np.cumsum(BASELINE_DISTRIBUTION)[:-1])
    n = 2 * n_per_arm
    before = rng.standard_normal(n)
    now = rho * before + math.sqrt(1 - rho * rho) * rng.standard_normal(n)
    arm = np.repeat(["treatment", "control"], n_per_arm)
    now = now + np.where(arm == "treatment", effect_shift, 0.0)
    return pd.DataFrame(
        {
            "arm": arm,
            "score": np.searchsorted(cuts, now),
            "prior_score": np.searchsorted(cuts, before).astype(float),
            "tenure": rng.exponential(2.0, size=n),
        }
    )


def _lin_fit(df, names):
    """Independent: statsmodels OLS of the -1/0/+1 value on 1, T, Xc, T Xc with HC2 errors."""
    import statsmodels.api as sm

    y = np.where(df.score >= 9, 1.0, np.where(df.score >= 7, 0.0, -1.0))
    t = (df.arm == "treatment").to_numpy(dtype=float)
    x = df[names].to_numpy(dtype=float)
    xc = x - x.mean(axis=0)
    design = np.column_stack([np.ones(len(y)), t, xc, t[:, None] * xc])
    return sm.OLS(y, design).fit(cov_type="HC2"), y, t, design


def test_cuped_is_lin_regression_with_the_arm_and_hc2_variance():
    from scipy.stats import t as student_t

    df = _prior_experiment(400, 0.8, 0.2, seed=1)
    t, c = df[df.arm == "treatment"], df[df.arm == "control"]
    r = compare(t, c, covariates=["prior_score"])
    a = r.covariate_adjustment
    fit, y, arm, design = _lin_fit(pd.concat([t, c]), ["prior_score"])
    diff, se = 100 * fit.params[1], 100 * fit.bse[1]
    df_resid = len(y) - design.shape[1]
    q = student_t.isf(0.025, df_resid)
    assert a.estimator == "lin" and a.df == df_resid
    assert a.difference == pytest.approx(diff) and a.se == pytest.approx(se)
    assert (a.ci_lower, a.ci_upper) == pytest.approx((diff - q * se, diff + q * se))
    assert a.pvalue == pytest.approx(2 * student_t.sf(abs(diff) / se, df_resid))
    assert a.theta["prior_score"] == pytest.approx(fit.params[2])
    assert a.unadjusted_difference == pytest.approx(r.difference)
    # adjusted R^2 of the covariate within arms, by hand
    rss = float(fit.resid @ fit.resid)
    within = sum(float(((y[arm == g] - y[arm == g].mean()) ** 2).sum()) for g in (0.0, 1.0))
    assert a.variance_reduction == pytest.approx(1 - (rss / df_resid) / (within / (len(y) - 2)))
    assert a.variance_reduction > 0.2
    assert a.population == "all responding answers"
    assert "CUPED" in r.summary()


def test_cuped_small_sample_uses_ancova_common_slopes():
    import statsmodels.api as sm

    df = _prior_experiment(15, 0.7, 0.0, seed=2)
    df["plan"] = np.random.default_rng(3).choice(["basic", "plus", "pro"], size=len(df))
    t, c = df[df.arm == "treatment"], df[df.arm == "control"]
    a = cuped(t, c, covariates=["prior_score", "tenure", "plan"])
    assert a.estimator == "ancova"  # 15 answers per arm < 10 x (4 columns + 1)
    pooled = pd.concat([t, c])
    y = np.where(pooled.score >= 9, 1.0, np.where(pooled.score >= 7, 0.0, -1.0))
    design = pd.get_dummies(pooled[["prior_score", "tenure", "plan"]], columns=["plan"], drop_first=True, dtype=float)
    design.insert(0, "arm", (pooled.arm == "treatment").astype(float))
    ols = sm.OLS(y, sm.add_constant(design)).fit(cov_type="HC2")
    assert a.difference == pytest.approx(100 * ols.params["arm"])
    assert a.se == pytest.approx(100 * ols.bse["arm"])
    for name in ("prior_score", "tenure", "plan_plus", "plan_pro"):
        assert a.theta[name] == pytest.approx(ols.params[name], rel=1e-8, abs=1e-10)


def test_cuped_missing_covariates_policies():
    df = _prior_experiment(100, 0.7, 0.0, seed=5)
    df.loc[[3, 150], "prior_score"] = np.nan
    t, c = df[df.arm == "treatment"], df[df.arm == "control"]
    with pytest.raises(NPSInputError, match="2 responding row") as err:
        compare(t, c, covariates=["prior_score"])
    assert err.value.column == "prior_score" and err.value.rows[0][0] == 3
    assert "missing_covariates='indicator'" in str(err.value)
    dropped = cuped(t, c, covariates=["prior_score"], missing_covariates="drop")
    assert dropped.rows_dropped == 2 and dropped.n_treatment + dropped.n_control == 198
    assert dropped.population.startswith("only the 198 answers with every covariate")
    flagged = cuped(t, c, covariates=["prior_score"], missing_covariates="indicator")
    assert flagged.rows_dropped == 0 and set(flagged.theta) == {"prior_score", "prior_score_missing"}
    assert flagged.population == "all responding answers"
    r = compare(t, c, covariates=["prior_score"], missing_covariates="drop")
    assert "describes only the 198 answers" in r.summary()


def test_cuped_needs_frames_and_columns():
    with pytest.raises(NPSInputError, match="need rows"):
        compare([10, 9], [3, 4], covariates=["prior_score"])
    df = _prior_experiment(20, 0.5, 0.0, seed=6)
    with pytest.raises(NPSInputError, match="missing column"):
        compare(df[df.arm == "treatment"], df[df.arm == "control"], covariates=["nope"])


def test_cuped_independent_covariate_reduces_nothing():
    df = _prior_experiment(2000, 0.0, 0.0, seed=7)
    a = cuped(df[df.arm == "treatment"], df[df.arm == "control"], covariates=["prior_score"])
    assert abs(a.variance_reduction) < 0.01


def test_cuped_aa_keeps_error_rate_and_delivers_the_variance_it_reports():
    """A/A: CUPED rejects ~5%; across replicates its estimates vary as little as it claims."""
    from nps_analysis.samples import BASELINE_DISTRIBUTION

    reps, n, rho = 2000, 300, 0.8
    rng = np.random.default_rng(8)
    cuts = norm.ppf(np.cumsum(BASELINE_DISTRIBUTION)[:-1])
    before = rng.standard_normal((reps, 2 * n))
    now = rho * before + math.sqrt(1 - rho**2) * rng.standard_normal((reps, 2 * n))
    score = np.searchsorted(cuts, now)
    y = np.where(score >= 9, 1.0, np.where(score >= 7, 0.0, -1.0))
    x = np.searchsorted(cuts, before).astype(float)
    is_t = np.r_[np.ones(n, bool), np.zeros(n, bool)]
    out = [cuped_core(y[i], x[i][:, None], is_t, 0.95, "two-sided") for i in range(reps)]
    p = np.array([o["pvalue"] for o in out])
    d_adj = np.array([o["difference"] for o in out])
    d_raw = np.array([o["unadjusted_difference"] for o in out])
    vr = np.mean([o["variance_reduction"] for o in out])
    mc = math.sqrt(0.05 * 0.95 / reps)
    assert abs(np.mean(p < 0.05) - 0.05) < 3.5 * mc
    realised = 1 - d_adj.var() / d_raw.var()
    assert vr > 0.25
    assert realised == pytest.approx(vr, abs=0.05)
    # the public path on one replicate agrees with the core
    frame = pd.DataFrame({"score": score[0], "prior_score": x[0]})
    pub = cuped(frame[is_t], frame[~is_t], covariates=["prior_score"])
    assert pub.pvalue == pytest.approx(p[0]) and pub.difference == pytest.approx(d_adj[0])


# --------------------------------------------------------------------------- compare_many


def _arms_frame(seed: int = 9) -> pd.DataFrame:
    from nps_analysis.samples import experiment_data

    return experiment_data(1500, seed=seed)


def test_compare_many_one_row_per_arm_with_holm():
    from statsmodels.stats.multitest import multipletests

    df = _arms_frame()
    many = compare_many(df, score="score", group="arm", control="control")
    frame = many.to_frame()
    assert list(frame.treatment) == ["treatment_a", "treatment_b"]
    assert many.family == "2 comparisons (2 treatment arms vs control 'control'), Holm"
    expected = multipletests(frame.pvalue, method="holm")[1]
    assert np.allclose(frame.pvalue_adjusted, expected)
    direct = compare(
        df.loc[df.arm == "treatment_a", "score"].dropna().to_numpy(),
        df.loc[df.arm == "control", "score"].dropna().to_numpy(),
    )
    assert many.get("treatment_a").difference == pytest.approx(direct.difference)
    assert many.get("treatment_a").pvalue == pytest.approx(direct.pvalue)
    json.dumps(many.to_dict(), allow_nan=False)
    assert "Holm" in many._repr_html_()


@pytest.mark.parametrize("correction, name", [("bh", "fdr_bh"), ("bonferroni", "bonferroni"), ("fdr_by", "fdr_by"), ("hommel", "hommel")])
def test_compare_many_accepts_multipletests_methods(correction, name):
    from statsmodels.stats.multitest import multipletests

    df = _arms_frame()
    many = compare_many(df, score="score", group="arm", control="control", correction=correction, row_tests=False)
    frame = many.to_frame()
    assert many.correction == name
    assert np.allclose(frame.pvalue_adjusted, multipletests(frame.pvalue, method=name)[1])


def test_compare_many_segments_correct_over_arms_times_segments_and_flag_small():
    from statsmodels.stats.multitest import multipletests

    df = _arms_frame()
    many = compare_many(df, score="score", group="arm", control="control", by="region", min_n=70, row_tests=False)
    frame = many.to_frame()
    assert len(frame) == 6 and many.n_comparisons == 6
    assert many.family == "6 comparisons (2 treatment arms vs control 'control' in 3 segments of region), Holm"
    assert np.allclose(frame.pvalue_adjusted, multipletests(frame.pvalue, method="holm")[1])
    small = (frame.n_treatment < 70) | (frame.n_control < 70)
    assert small.any() and (frame.small == small).all()
    west = df[(df.region == "West") & df.score.notna()]
    direct = compare(west.loc[west.arm == "treatment_b", "score"].to_numpy(), west.loc[west.arm == "control", "score"].to_numpy())
    assert many.get("treatment_b", {"region": "West"}).pvalue == pytest.approx(direct.pvalue)


def test_compare_many_segment_without_control_is_left_out_of_family():
    df = _arms_frame()
    df.loc[(df.region == "West") & (df.arm == "control"), "score"] = np.nan
    many = compare_many(df, score="score", group="arm", control="control", by=["region"], row_tests=False)
    frame = many.to_frame()
    west = frame[frame.region == "West"]
    assert west.pvalue_adjusted.isna().all() and west.note.str.contains("no responses in control").all()
    assert many.n_comparisons == 4 and "2 not tested" in many.family


def test_compare_many_with_covariates_adds_cuped_columns():
    df = _arms_frame()
    many = compare_many(df, score="score", group="arm", control="control", covariates=["prior_score"], row_tests=False)
    frame = many.to_frame()
    assert {"cuped_difference", "cuped_pvalue", "cuped_pvalue_adjusted", "variance_reduction"} <= set(frame.columns)


def test_compare_many_input_errors_name_what_exists():
    df = _arms_frame()
    with pytest.raises(NPSInputError, match="'control', 'treatment_a', 'treatment_b'"):
        compare_many(df, score="score", group="arm", control="ctrl")
    with pytest.raises(NPSInputError, match="missing column"):
        compare_many(df, score="nps_score", group="arm", control="control")
    with pytest.raises(ValueError, match="unknown correction"):
        compare_many(df, score="score", group="arm", control="control", correction="magic")


# --------------------------------------------------------------------------- properties

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_triples = st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(0, 40)).filter(lambda x: sum(x) > 0)


@settings(max_examples=60, deadline=None)
@given(t=_triples, c=_triples, method=st.sampled_from(nps.COMPARE_METHODS), alternative=st.sampled_from(["two-sided", "less", "greater"]))
def test_compare_on_any_counts_is_well_formed(t, c, method, alternative):
    r = compare(NPSCounts(*t), NPSCounts(*c), method=method, alternative=alternative, n_resamples=300)
    assert r.difference == pytest.approx(NPSCounts(*t).nps - NPSCounts(*c).nps)
    assert -200 <= r.ci_lower <= r.ci_upper <= 200
    assert 0 <= r.pvalue <= 1
    json.dumps(r.to_dict(), allow_nan=False)


@settings(max_examples=25, deadline=None)
@given(
    t=st.lists(st.integers(0, 10), min_size=1, max_size=25),
    c=st.lists(st.integers(0, 10), min_size=1, max_size=25),
    alternative=st.sampled_from(["two-sided", "less", "greater"]),
)
def test_row_tests_never_crash_and_explain_missing_values(t, c, alternative):
    tests = row_level_tests(t, c, alternative=alternative)
    for test in (tests.mann_whitney, tests.ordinal, tests.chi_square):
        assert (math.isfinite(test.pvalue) and 0 <= test.pvalue <= 1) or test.note
    json.dumps(tests.to_dict(), allow_nan=False)
