"""Key-driver analysis: relative weights and Shapley shares pinned against independent arithmetic,
the bootstrap on sufficient statistics against a direct resample, the categorical view against
statsmodels, the importance-performance quadrants against gap.importance_performance."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from nps_analysis.analyses.drivers import category_drivers, key_drivers
from nps_analysis.analyses.importance import importance_performance
from nps_analysis.samples.drivers import DRIVER_WEIGHTS, drivers_data
from nps_analysis.sources.errors import NPSInputError
from nps_analysis.stats import drivers as sd

DRIVERS = list(DRIVER_WEIGHTS)


def _data(n: int = 400, p: int = 4, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    mix = rng.normal(size=(p, p)) * 0.6 + np.eye(p)
    x = rng.normal(size=(n, p)) @ mix
    y = x @ np.linspace(1.0, 0.1, p) + rng.normal(size=n) * 2.0
    return x, y


def _r2_lstsq(x: np.ndarray, y: np.ndarray, cols: list[int]) -> float:
    """R^2 of an OLS fit with intercept on the given columns (numpy lstsq)."""
    if not cols:
        return 0.0
    a = np.column_stack([np.ones(len(y)), x[:, cols]])
    coef = np.linalg.lstsq(a, y, rcond=None)[0]
    resid = y - a @ coef
    return 1.0 - resid @ resid / np.sum((y - y.mean()) ** 2)


def _corr(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.corrcoef(np.column_stack([x, y]), rowvar=False)


def test_subset_r_squared_matches_every_subset_regression():
    x, y = _data(p=5)
    r2 = sd.subset_r_squared(_corr(x, y))
    for mask in range(1 << 5):
        cols = [j for j in range(5) if mask >> j & 1]
        assert r2[mask] == pytest.approx(_r2_lstsq(x, y, cols), abs=1e-12)


def test_shapley_shares_equal_the_average_over_all_orders_of_entry():
    x, y = _data(p=4)
    expected = np.zeros(4)
    orders = list(itertools.permutations(range(4)))
    for order in orders:  # Budescu (1993) / LMG: R^2 increment of each driver, averaged over orders
        before: list[int] = []
        for j in order:
            expected[j] += _r2_lstsq(x, y, before + [j]) - _r2_lstsq(x, y, before)
            before.append(j)
    expected /= len(orders)
    res = sd.shapley_shares(_corr(x, y))
    np.testing.assert_allclose(res.weights, expected, atol=1e-12)
    assert res.weights.sum() == pytest.approx(_r2_lstsq(x, y, [0, 1, 2, 3]), abs=1e-12)


def test_two_driver_shapley_matches_the_closed_form():
    r12, ry1, ry2 = 0.4, 0.5, 0.3
    corr = np.array([[1, r12, ry1], [r12, 1, ry2], [ry1, ry2, 1.0]])
    r2 = (ry1**2 + ry2**2 - 2 * r12 * ry1 * ry2) / (1 - r12**2)
    res = sd.shapley_shares(corr)
    assert res.weights[0] == pytest.approx(0.5 * (ry1**2 + r2 - ry2**2))
    assert res.weights[1] == pytest.approx(0.5 * (ry2**2 + r2 - ry1**2))


def test_relative_weights_match_johnsons_svd_construction_on_the_rows():
    """Johnson (2000) from the data: X = P D Q' (SVD of the standardised drivers), Z = P Q' is the
    closest orthonormal set, Lambda = Q D Q', beta = Z' y, epsilon_j = sum_k Lambda_jk^2 beta_k^2."""
    x, y = _data(p=5, seed=11)
    xs = (x - x.mean(0)) / (x.std(0) * math.sqrt(len(x)))
    ys = (y - y.mean()) / (y.std() * math.sqrt(len(y)))
    p_, d, qt = np.linalg.svd(xs, full_matrices=False)
    z = p_ @ qt
    lam = qt.T @ np.diag(d) @ qt
    beta = z.T @ ys
    expected = (lam**2) @ (beta**2)
    res = sd.relative_weights(_corr(x, y))
    np.testing.assert_allclose(res.weights, expected, atol=1e-12)
    assert res.weights.sum() == pytest.approx(_r2_lstsq(x, y, list(range(5))), abs=1e-12)


def test_relative_weights_of_uncorrelated_drivers_are_squared_correlations():
    corr = np.array([[1, 0, 0, 0.5], [0, 1, 0, 0.3], [0, 0, 1, 0.1], [0.5, 0.3, 0.1, 1]])
    np.testing.assert_allclose(sd.relative_weights(corr).weights, [0.25, 0.09, 0.01])
    np.testing.assert_allclose(sd.shapley_shares(corr).weights, [0.25, 0.09, 0.01])


def test_shapley_shares_agree_with_pingouin_relimp():
    pingouin = pytest.importorskip("pingouin")
    x, y = _data(p=5, seed=5)
    frame = pd.DataFrame(x, columns=[f"d{j}" for j in range(5)])
    table = pingouin.linear_regression(frame, y, relimp=True)
    relimp = table.set_index("names").loc[list(frame.columns), "relimp"].to_numpy()
    np.testing.assert_allclose(sd.shapley_shares(_corr(x, y)).weights, relimp, atol=1e-10)


def test_variance_inflation_is_one_over_one_minus_r2_of_the_others():
    x, _ = _data(p=4, seed=8)
    vif = sd.variance_inflation(np.corrcoef(x, rowvar=False))
    for j in range(4):
        others = [k for k in range(4) if k != j]
        assert vif[j] == pytest.approx(1 / (1 - _r2_lstsq(x, x[:, j], others)), rel=1e-10)


def test_bootstrap_on_sufficient_statistics_equals_resampling_the_rows():
    x, y = _data(n=150, p=3)
    data = np.column_stack([x, y])
    w = np.random.default_rng(1).uniform(0.5, 2.0, 150)
    got = np.concatenate(list(sd.bootstrap_correlations(data, w, 7, np.random.default_rng(42), chunk=3)))
    rng = np.random.default_rng(42)
    direct = []
    for b in (3, 3, 1):  # the same draws, chunk by chunk
        idx = rng.integers(0, 150, size=(b, 150))
        for row in idx:
            c = np.bincount(row, minlength=150)
            cov = np.cov(data, rowvar=False, aweights=c * w, bias=True)
            s = np.sqrt(np.diag(cov))
            direct.append(cov / np.outer(s, s))
    np.testing.assert_allclose(got, np.array(direct), atol=1e-10)


def test_importance_column_sums_to_r_squared_and_has_the_contract_columns():
    frame = drivers_data(800, seed=4)
    for method in ("relative-weights", "shapley"):
        res = key_drivers(frame, "score", DRIVERS, method=method, n_resamples=60)
        table = res.to_frame()
        assert list(table.columns[:7]) == ["driver", "importance", "ci_lower", "ci_upper",
                                           "coefficient", "mean_rating", "significant"]
        assert sorted(table["driver"]) == sorted(DRIVERS) and len(table) == len(DRIVERS)
        assert table["importance"].sum() == pytest.approx(res.r_squared, abs=1e-12)
        assert table["share"].sum() == pytest.approx(100.0)
        assert res.method == method
        assert (table["ci_lower"] <= table["ci_upper"]).all()


def test_r_squared_and_coefficients_match_ols_on_the_complete_cases():
    frame = drivers_data(600, seed=5)
    res = key_drivers(frame, "score", DRIVERS, n_resamples=0, categorical=False)
    complete = frame.dropna(subset=DRIVERS)
    x, y = complete[DRIVERS].to_numpy(float), complete["score"].to_numpy(float)
    assert res.n == len(complete) and res.n_incomplete == len(frame) - len(complete)
    assert str(res.n_incomplete) in res.missing_policy
    assert res.r_squared == pytest.approx(_r2_lstsq(x, y, list(range(len(DRIVERS)))), abs=1e-12)
    coef = np.linalg.lstsq(np.column_stack([np.ones(len(y)), x]), y, rcond=None)[0][1:]
    got = res.to_frame().set_index("driver").loc[DRIVERS, "coefficient"].to_numpy()
    np.testing.assert_allclose(got, coef, rtol=1e-9)
    means = res.to_frame().set_index("driver").loc[DRIVERS, "mean_rating"].to_numpy()
    np.testing.assert_allclose(means, x.mean(0))


def test_integer_weights_equal_duplicated_rows():
    frame = drivers_data(300, seed=6).dropna(subset=DRIVERS).reset_index(drop=True)
    reps = np.random.default_rng(0).integers(1, 4, len(frame))
    frame["w"] = reps
    weighted = key_drivers(frame, "score", DRIVERS, weights="w", n_resamples=0, categorical=False)
    duplicated = key_drivers(frame.loc[frame.index.repeat(reps)], "score", DRIVERS, n_resamples=0,
                             categorical=False)
    a = weighted.to_frame().set_index("driver")
    b = duplicated.to_frame().set_index("driver")
    np.testing.assert_allclose(a.loc[DRIVERS, "importance"], b.loc[DRIVERS, "importance"], atol=1e-12)
    assert weighted.weighted and weighted.effective_n < weighted.n


def test_the_planted_ranking_is_recovered_and_a_useless_driver_is_not_significant():
    frame = drivers_data(3000, seed=9)
    rng = np.random.default_rng(0)
    frame["noise"] = rng.integers(1, 6, len(frame)).astype(float)
    res = key_drivers(frame, "score", [*DRIVERS, "noise"], n_resamples=200, categorical=False)
    order = [d.driver for d in res.drivers]
    assert order[:3] == ["speed", "staff", "product"] or order[:2] == ["speed", "staff"]
    assert res.driver("speed").significant
    assert not res.driver("noise").significant


def test_by_gives_one_block_per_group():
    frame = drivers_data(1200, seed=10)
    res = key_drivers(frame, "score", DRIVERS, by="plan", n_resamples=30, categorical=False)
    table = res.to_frame()
    assert list(table.columns[:2]) == ["plan", "driver"]
    assert table.groupby("plan").size().to_dict() == {"basic": len(DRIVERS), "premium": len(DRIVERS)}
    for plan in ("basic", "premium"):
        sub = table[table["plan"] == plan]
        assert sub["importance"].sum() == pytest.approx(res.get(plan=plan).r_squared)


def test_bad_inputs_name_the_column_and_rows():
    frame = drivers_data(200, seed=1)
    with pytest.raises(NPSInputError, match="nope"):
        key_drivers(frame, "score", ["speed", "nope"])
    bad = frame.astype({"staff": object})
    bad.loc[7, "staff"] = "good"
    with pytest.raises(NPSInputError, match=r"staff.*row 7: 'good'"):
        key_drivers(bad, "score", DRIVERS)
    flat = frame.assign(ease=3.0)
    with pytest.raises(NPSInputError, match="no variation.*ease"):
        key_drivers(flat, "score", DRIVERS)
    twin = frame.assign(copy=frame["speed"] * 2 + 1)
    with pytest.raises(NPSInputError, match="linear combination"):
        key_drivers(twin, "score", [*DRIVERS, "copy"], n_resamples=0)
    with pytest.raises(NPSInputError, match="at least 2"):
        key_drivers(frame, "score", ["speed"])
    with pytest.raises(NPSInputError, match="method"):
        key_drivers(frame, "score", DRIVERS, method="beta")
    neg = frame.assign(w=-1.0)
    with pytest.raises(NPSInputError, match="weights"):
        key_drivers(neg, "score", DRIVERS, weights="w")


def test_category_drivers_match_statsmodels_fits_and_sandwich_errors():
    import statsmodels.api as sm

    frame = drivers_data(1500, seed=12).dropna(subset=DRIVERS)
    x = frame[DRIVERS].to_numpy(float)
    scores = frame["score"].to_numpy(float)
    res = category_drivers(x, scores, DRIVERS)
    xs = sm.add_constant((x - x.mean(0)) / x.std(0))
    for target, col in (((scores >= 9).astype(float), "promoter"), ((scores >= 7).astype(float), "detractor")):
        fit = sm.Logit(target, xs).fit(disp=0, cov_type="HC0")
        sign = 1 if col == "promoter" else -1
        z = 1.959963984540054
        for j, d in enumerate(res.drivers):
            b, se = fit.params[j + 1], fit.bse[j + 1]
            assert getattr(d, f"{col}_odds_ratio") == pytest.approx(math.exp(sign * b), rel=1e-5)
            lo, hi = sorted([math.exp(sign * (b - z * se)), math.exp(sign * (b + z * se))])
            assert getattr(d, f"{col}_ci_lower") == pytest.approx(lo, rel=1e-4)
            assert getattr(d, f"{col}_ci_upper") == pytest.approx(hi, rel=1e-4)


def test_category_drivers_flag_a_planted_asymmetry():
    rng = np.random.default_rng(3)
    n = 6000
    x = rng.normal(size=(n, 3))
    # "basics" moves answers between 0-6 and 7-8 only; "delight" between 7-8 and 9-10 only.
    p_det = 1 / (1 + np.exp(-(-0.8 - 1.0 * x[:, 0])))
    p_pro_given_not = 1 / (1 + np.exp(-(0.0 + 1.0 * x[:, 1])))
    u, v = rng.random(n), rng.random(n)
    scores = np.where(u < p_det, 4, np.where(v < p_pro_given_not, 10, 8)).astype(float)
    res = category_drivers(x, scores, ["basics", "delight", "none"])
    flags = {d.driver: (d.asymmetric, d.stronger_for) for d in res.drivers}
    assert flags["basics"] == (True, "detractors")
    assert flags["delight"] == (True, "promoters")
    assert flags["none"][0] is False


def test_importance_performance_quadrants_agree_with_gap_module():
    frame = drivers_data(1000, seed=13)
    res = key_drivers(frame, "score", DRIVERS, n_resamples=0, categorical=False)
    mine = res.importance_performance()
    shares = {d.driver: d.share for d in res.drivers}
    perf = {d.driver: d.mean_rating for d in res.drivers}
    # A linear map of the importance onto the 1-5 scale keeps the mean crosshair and the order.
    lo, hi = min(shares.values()), max(shares.values())
    scaled = {k: 1 + 4 * (v - lo) / (hi - lo) for k, v in shares.items()}
    theirs = importance_performance(perf, scaled, scale=(1, 5))
    assert {i.item: i.quadrant for i in mine.items} == {i.item: i.quadrant for i in theirs.items}
    assert "speed" in res.fix_first()


def test_result_is_immutable_and_json_safe():
    import json

    res = key_drivers(drivers_data(300, seed=2), "score", DRIVERS, n_resamples=20)
    with pytest.raises(AttributeError):
        res.r_squared = 1.0  # type: ignore[misc]
    json.dumps(res.to_dict())
    assert "explain" in res.summary()


def test_bundled_sample_is_registered_and_regenerates_byte_for_byte(tmp_path):
    from nps_analysis import samples

    (fresh,) = samples.regenerate_samples(["drivers"], directory=tmp_path)
    assert fresh.read_bytes() == samples.sample_path("drivers").read_bytes()


def test_cli_drivers_json_contract(capsys):
    import json

    from nps_analysis import samples
    from nps_analysis.cli import main

    path = samples.sample_path("drivers")
    code = main(["drivers", str(path), "--score", "score", "--driver", "speed", "staff", "--driver",
                 "product", "--resamples", "30", "--comment", "comment", "--format", "json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert {"method", "r_squared", "n", "n_incomplete", "drivers", "categorical", "themes",
            "themes_family"} <= set(out)
    assert [d["driver"] for d in out["drivers"]][0] == "speed"
    assert sum(d["importance"] for d in out["drivers"]) == pytest.approx(out["r_squared"])
    assert {"theme", "nps_with", "nps_without", "difference", "pvalue_adjusted"} <= set(out["themes"][0])
    assert main(["drivers", str(path), "--score", "score", "--driver", "speed"]) == 2
    assert "at least 2" in capsys.readouterr().err


def test_error_messages_mask_personal_data():
    frame = drivers_data(100, seed=3).astype({"speed": object})
    frame["customer_name"] = "Ingrid Halvorsen"
    frame.loc[4, "speed"] = "ingrid@example.org, Ingrid Halvorsen"
    with pytest.raises(NPSInputError) as info:
        key_drivers(frame, "score", DRIVERS)
    assert "speed" in str(info.value) and "row 4" in str(info.value)
    assert "ingrid@example.org" not in str(info.value) and "Halvorsen" not in str(info.value)


def test_a_group_too_small_is_skipped_with_its_reason():
    frame = drivers_data(600, seed=14)
    frame.loc[frame.index[:5], "plan"] = "tiny"
    res = key_drivers(frame, "score", DRIVERS, by="plan", n_resamples=0, categorical=False)
    assert sorted(r.group["plan"] for r in res.results) == ["basic", "premium"]
    assert res.skipped[0][0] == {"plan": "tiny"} and "too few complete cases" in res.skipped[0][1]
    with pytest.raises(NPSInputError, match="no group"):
        key_drivers(frame.iloc[:5], "score", DRIVERS, by="plan", n_resamples=0)
