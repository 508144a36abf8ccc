"""Regression adjustment with the arm in the model: against statsmodels, by hand, and by a small simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nps_analysis.stats import ancova


def _data(seed=0, n=40, k=3, n_t=18):
    rng = np.random.default_rng(seed)
    y = rng.integers(-1, 2, n).astype(float)
    t = np.arange(n) < n_t
    x = rng.normal(size=(n, k))
    return y, x, t


@pytest.mark.parametrize("estimator", ["ancova", "lin"])
def test_estimate_and_hc2_se_match_statsmodels(estimator):
    sm = pytest.importorskip("statsmodels.api")
    y, x, t = _data()
    xc = x - x.mean(axis=0)
    cols = [np.ones(len(y)), t.astype(float), *xc.T]
    if estimator == "lin":
        cols += list((t[:, None] * xc).T)
    fit = sm.OLS(y, np.column_stack(cols)).fit(cov_type="HC2")
    r = ancova.adjusted_effect(y, x, t, estimator=estimator)
    assert float(r.estimate) == pytest.approx(fit.params[1], abs=1e-12)
    assert float(r.se) == pytest.approx(fit.bse[1], rel=1e-10)
    assert r.df == len(y) - len(cols)


def test_without_covariate_signal_lin_equals_difference_and_neyman_variance():
    # A covariate constant within the sample: the adjustment is the plain difference, and HC2 of
    # the arm coefficient is the unbiased Neyman variance s_T^2/n_T + s_C^2/n_C.
    y, _, t = _data(seed=3)
    x = np.zeros((len(y), 1))
    r = ancova.adjusted_effect(y, x, t, estimator="ancova")
    assert float(r.estimate) == pytest.approx(y[t].mean() - y[~t].mean())
    neyman = y[t].var(ddof=1) / t.sum() + y[~t].var(ddof=1) / (~t).sum()
    assert float(r.se) == pytest.approx(math.sqrt(neyman))
    assert float(r.unadjusted_se) == pytest.approx(math.sqrt(neyman))


def test_variance_reduction_is_adjusted_r2_by_hand():
    y, x, t = _data(seed=5)
    r = ancova.adjusted_effect(y, x, t, estimator="ancova")
    design = np.column_stack([np.ones(len(y)), t, x - x.mean(axis=0)])
    resid = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    arm_means = np.where(t, y[t].mean(), y[~t].mean())
    expected = 1 - (resid @ resid / (len(y) - 5)) / (((y - arm_means) ** 2).sum() / (len(y) - 2))
    assert float(r.variance_reduction) == pytest.approx(expected)


def test_small_sample_rule_chooses_ancova_below_ten_answers_per_column():
    assert ancova.choose_estimator(20, 20, 10) == "ancova"
    assert ancova.choose_estimator(110, 110, 10) == "lin"
    assert ancova.choose_estimator(109, 200, 10) == "ancova"


def test_batched_rows_equal_single_fits():
    y, x, t = _data(seed=8)
    ys = np.stack([y, -y])
    xs = np.stack([x, 2 * x])
    batch = ancova.adjusted_effect(ys, xs, t, estimator="lin")
    one = ancova.adjusted_effect(-y, 2 * x, t, estimator="lin")
    assert batch.estimate[1] == pytest.approx(float(one.estimate))
    assert batch.se[1] == pytest.approx(float(one.se))


def test_noise_covariates_neither_bias_the_effect_nor_fake_a_variance_reduction():
    # The audit's case: 20 vs 20 answers, 10 noise covariates (here a true effect of +25 points).
    rng = np.random.default_rng(2026)
    reps, n_arm, k = 1500, 20, 10
    t = np.arange(2 * n_arm) < n_arm
    p_c, p_t = np.array([0.25, 0.30, 0.45]), np.array([0.15, 0.25, 0.60])  # NPS +20 and +45
    u = rng.random((reps, 2 * n_arm))
    p = np.where(t[:, None], p_t, p_c)  # (n, 3)
    y = np.where(u < p[:, 0], -1.0, np.where(u < p[:, 0] + p[:, 1], 0.0, 1.0))
    x = rng.standard_normal((reps, 2 * n_arm, k))
    r = ancova.adjusted_effect(y, x, t)
    truth = (p_t[2] - p_t[0]) - (p_c[2] - p_c[0])
    mc = float(r.estimate.std()) / math.sqrt(reps)
    assert r.estimator == "ancova"
    assert float(r.estimate.mean()) == pytest.approx(truth, abs=4 * mc)
    assert abs(float(np.mean(r.variance_reduction))) < 0.02
    lo, hi = ancova.t_interval(r.estimate, r.se, r.df)
    assert np.mean((lo <= truth) & (truth <= hi)) >= 0.93
    # the pooled-slope CUPED of before shrinks the effect by about k / n
    xc = x - x.mean(axis=1, keepdims=True)
    yc = y - y.mean(axis=1, keepdims=True)
    theta = np.linalg.solve(np.einsum("rni,rnj->rij", xc, xc), np.einsum("rni,rn->ri", xc, yc)[..., None])[..., 0]
    adj = y - np.einsum("rni,ri->rn", xc, theta)
    pooled = adj[:, t].mean(axis=1) - adj[:, ~t].mean(axis=1)
    assert float(pooled.mean()) < truth - 0.04


def test_too_many_covariates_for_the_answers_is_a_clear_error():
    y, _, t = _data(n=8, n_t=4)
    with pytest.raises(ValueError, match="cannot support"):
        ancova.adjusted_effect(y, np.random.default_rng(0).normal(size=(8, 7)), t)
