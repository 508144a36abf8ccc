"""Cluster-assigned pilots: ratio estimator, linearised variance, permutation, ICC, power, detector.

Every pinned number is computed independently in the test: statsmodels' cluster-robust OLS, a
one-way ANOVA on the rows, relabelings enumerated by hand, or the formula written out.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nps_analysis as nps
from nps_analysis.samples import SAMPLES, data_dir, regenerate_samples
from nps_analysis.samples.cluster_pilot import (
    arm_shares,
    cluster_pilot_data,
    cluster_pilot_sample,
    simulate_cluster_counts,
)
from nps_analysis.sources.errors import NPSInputError
from nps_analysis.stats.cluster_design import design_effect, detect_cluster_assignment
from nps_analysis.stats.clusters import (
    anova_icc,
    cluster_counts,
    cluster_permutation_pvalue,
    compare_cluster_frames,
    compare_clusters,
    icc,
    ratio_interval,
    ratio_nps,
)
from nps_analysis.stats.power import cluster_sample_size

# Two small arms of clusters as (detractors, passives, promoters), unequal sizes.
TREATMENT = np.array([[2, 3, 5], [1, 1, 6], [4, 2, 2], [0, 2, 3]], dtype=float)
CONTROL = np.array([[3, 2, 1], [5, 3, 4], [2, 2, 2], [1, 0, 1], [4, 4, 3]], dtype=float)


def rows_of(table: np.ndarray, prefix: str) -> pd.DataFrame:
    """One row per answer: a cluster label and a -1/0/+1 value (scores 0, 7, 10)."""
    parts = []
    for i, (d, p, r) in enumerate(table.astype(int)):
        values = [-1] * d + [0] * p + [1] * r
        parts.append(pd.DataFrame({"cluster": f"{prefix}{i}", "value": values}))
    out = pd.concat(parts, ignore_index=True)
    out["score"] = out["value"].map({-1: 0, 0: 7, 1: 10})
    return out


# ------------------------------------------------------------------------- linearised variance


def test_ratio_variance_matches_statsmodels_cluster_robust_intercept_model():
    import statsmodels.api as sm

    for table, prefix in ((TREATMENT, "t"), (CONTROL, "c")):
        rows = rows_of(table, prefix)
        fit = sm.OLS(rows["value"].to_numpy(float), np.ones((len(rows), 1))).fit(
            cov_type="cluster", cov_kwds={"groups": pd.factorize(rows["cluster"])[0]}
        )
        # statsmodels' small-sample factor G/(G-1) (N-1)/(N-K) is exactly CR1 with K = 1.
        nps, var, g = ratio_nps(table)
        assert g == len(table)
        assert nps == pytest.approx(100 * rows["value"].mean(), rel=1e-12)
        assert var == pytest.approx(1e4 * fit.bse[0] ** 2, rel=1e-10)


def test_difference_variance_matches_cluster_robust_ols_on_treatment_indicator():
    import statsmodels.api as sm

    rows = pd.concat([rows_of(TREATMENT, "t").assign(t=1.0), rows_of(CONTROL, "c").assign(t=0.0)])
    x = sm.add_constant(rows["t"].to_numpy())
    fit = sm.OLS(rows["value"].to_numpy(float), x).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(rows["cluster"])[0], "use_correction": False}
    )
    r = compare_clusters(TREATMENT, CONTROL)
    g_t, g_c = len(TREATMENT), len(CONTROL)
    _, v_t, _ = ratio_nps(TREATMENT)
    _, v_c, _ = ratio_nps(CONTROL)
    # Without the per-arm CR1 factors the linearised variance is the plain (CR0) sandwich.
    cr0 = v_t * (g_t - 1) / g_t + v_c * (g_c - 1) / g_c
    assert r.difference == pytest.approx(100 * fit.params[1], rel=1e-12)
    assert cr0 == pytest.approx(1e4 * fit.bse[1] ** 2, rel=1e-10)
    assert r.se == pytest.approx(math.sqrt(v_t + v_c), rel=1e-12)


def test_ratio_variance_by_hand():
    # Clusters (y, m): (3, 10), (5, 8), (-2, 8), (3, 5); R = 9/31.
    y = np.array([3, 5, -2, 3.0])
    m = np.array([10, 8, 8, 5.0])
    r = 9 / 31
    expected = 4 / 3 * np.sum((y - r * m) ** 2) / 31**2 * 1e4
    nps, var, _ = ratio_nps(TREATMENT)
    assert nps == pytest.approx(100 * r)
    assert var == pytest.approx(expected, rel=1e-12)


def test_arm_interval_uses_t_on_clusters_minus_one():
    from scipy.stats import t as t_dist

    nps, lo, hi, se = ratio_interval(TREATMENT, confidence_level=0.9)
    ref, var, g = ratio_nps(TREATMENT)
    assert nps == ref and se == pytest.approx(math.sqrt(var))
    assert (lo, hi) == pytest.approx((nps - t_dist.ppf(0.95, 3) * se, nps + t_dist.ppf(0.95, 3) * se))


def test_t_interval_and_pvalue_use_df_from_clusters():
    from scipy.stats import t as t_dist

    r = compare_clusters(TREATMENT, CONTROL, method="t")
    df = len(TREATMENT) + len(CONTROL) - 2
    assert r.df == df
    q = t_dist.ppf(0.975, df)
    assert (r.ci_lower, r.ci_upper) == pytest.approx((r.difference - q * r.se, r.difference + q * r.se))
    assert r.pvalue == pytest.approx(2 * t_dist.sf(abs(r.difference / r.se), df))
    assert r.method == "cluster-t"
    greater = compare_clusters(TREATMENT, CONTROL, method="t", alternative="greater")
    assert greater.pvalue == pytest.approx(t_dist.sf(r.difference / r.se, df))
    assert greater.ci_upper == 200.0
    assert greater.ci_lower == pytest.approx(r.difference - t_dist.ppf(0.95, df) * r.se)


def test_few_clusters_use_the_permutation_pvalue_and_say_so():
    r = compare_clusters(TREATMENT, CONTROL)
    assert r.method == "cluster-permutation"
    assert r.pvalue == r.permutation_pvalue
    assert (r.ci_lower, r.ci_upper) == (r.permutation_ci_lower, r.permutation_ci_upper)
    assert r.t_ci_lower < r.difference < r.t_ci_upper
    assert r.permutation_exact and r.n_permutations == math.comb(9, 4)
    assert "only the cluster permutation test is trustworthy" in r.note
    assert not r.trustworthy_t
    rng = np.random.default_rng(3)
    many = compare_clusters(rng.integers(1, 9, (12, 3)), rng.integers(1, 9, (10, 3)))
    assert many.method == "cluster-t" and many.note is None and many.pvalue == many.t_pvalue


# ------------------------------------------------------------------------- permutation


def test_permutation_pvalue_exact_on_a_tiny_example_enumerated_by_hand():
    # Four clusters of two answers, means 1, 0.5, -0.5, -1; the first two are treated.
    t = [[0, 0, 2], [0, 1, 1]]
    c = [[1, 1, 0], [2, 0, 0]]
    # The six relabelings give differences (points) 150, 50, 0, 0, -50, -150.
    assert cluster_permutation_pvalue(t, c)[:2] == (pytest.approx(2 / 6), True)
    assert cluster_permutation_pvalue(t, c, alternative="greater")[0] == pytest.approx(1 / 6)
    assert cluster_permutation_pvalue(t, c, alternative="less")[0] == pytest.approx(1.0)


def test_permutation_pvalue_unequal_sizes_matches_explicit_enumeration():
    both = np.vstack([TREATMENT, CONTROL])
    y = both[:, 2] - both[:, 0]
    m = both.sum(axis=1)
    obs = y[:4].sum() / m[:4].sum() - y[4:].sum() / m[4:].sum()
    stats = []
    for chosen in itertools.combinations(range(9), 4):
        mask = np.zeros(9, dtype=bool)
        mask[list(chosen)] = True
        stats.append(y[mask].sum() / m[mask].sum() - y[~mask].sum() / m[~mask].sum())
    stats = np.array(stats)
    expected = np.mean(np.abs(stats) >= abs(obs) - 1e-12)
    p, exact, used = cluster_permutation_pvalue(TREATMENT, CONTROL)
    assert exact and used == 126
    assert p == pytest.approx(expected, abs=1e-12)
    # Monte Carlo when enumeration is not allowed: close to the exact value.
    p_mc, exact_mc, used_mc = cluster_permutation_pvalue(TREATMENT, CONTROL, max_exact=10, n_resamples=20_000)
    assert not exact_mc and used_mc == 20_000
    assert p_mc == pytest.approx(expected, abs=0.015)


def brute_force_pvalue(shift_points: float, alternative: str) -> float:
    """Remove a shift from every treated answer and enumerate all 126 relabelings directly."""
    both = np.vstack([TREATMENT, CONTROL])
    m = both.sum(axis=1)
    y = both[:, 2] - both[:, 0] - np.r_[np.full(4, shift_points / 100), np.zeros(5)] * m
    stats = []
    for chosen in itertools.combinations(range(9), 4):
        mask = np.isin(np.arange(9), chosen)
        stats.append(y[mask].sum() / m[mask].sum() - y[~mask].sum() / m[~mask].sum())
    stats, obs = np.array(stats), y[:4].sum() / m[:4].sum() - y[4:].sum() / m[4:].sum()
    if alternative == "two-sided":
        return float(np.mean(np.abs(stats) >= abs(obs) - 1e-12))
    if alternative == "greater":
        return float(np.mean(stats >= obs - 1e-12))
    return float(np.mean(stats <= obs + 1e-12))


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_permutation_interval_is_the_set_of_shifts_the_test_accepts(alternative):
    from nps_analysis.stats.clusters import cluster_permutation_interval

    lo, hi = cluster_permutation_interval(TREATMENT, CONTROL, alternative=alternative)
    eps = 1e-4  # points
    if alternative != "less":
        assert brute_force_pvalue(lo + eps, alternative) > 0.05 >= brute_force_pvalue(lo - eps, alternative)
    else:
        assert lo == -200.0
    if alternative != "greater":
        assert brute_force_pvalue(hi, alternative) > 0.05 >= brute_force_pvalue(hi + eps, alternative)
    else:
        assert hi == 200.0


# ------------------------------------------------------------------------- ICC


def test_anova_icc_matches_one_way_anova_on_rows():
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

    rows = rows_of(TREATMENT, "t")
    table = anova_lm(smf.ols("value ~ C(cluster)", data=rows).fit())
    msb, msw = table["mean_sq"].iloc[0], table["mean_sq"].iloc[1]
    sizes = rows.groupby("cluster").size().to_numpy(float)
    n, k = sizes.sum(), sizes.size
    m0 = (n - (sizes**2).sum() / n) / (k - 1)
    expected = (msb - msw) / (msb + (m0 - 1) * msw)
    res = anova_icc([TREATMENT])
    assert res.msb == pytest.approx(msb, rel=1e-10) and res.msw == pytest.approx(msw, rel=1e-10)
    assert res.m0 == pytest.approx(m0) and res.icc == pytest.approx(expected, rel=1e-10)
    assert res.adjusted_cluster_size == pytest.approx((sizes**2).sum() / n)
    assert res.design_effect == pytest.approx(1 + ((sizes**2).sum() / n - 1) * max(expected, 0))


def test_pooled_icc_removes_arm_differences_like_a_two_way_nested_anova():
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

    rows = pd.concat([rows_of(TREATMENT, "t").assign(arm="t"), rows_of(CONTROL, "c").assign(arm="c")])
    # Clusters nested in arms: the full model is just the cluster means; the arm-only model
    # leaves the between-cluster-within-arm sum of squares in its residual.
    full = smf.ols("value ~ C(cluster)", data=rows).fit()
    arm_only = smf.ols("value ~ C(arm)", data=rows).fit()
    table = anova_lm(arm_only, full)
    msb = table["ss_diff"].iloc[1] / (9 - 2)
    msw = full.ssr / (len(rows) - 9)
    res = icc(rows, score="score", cluster="cluster", group="arm")
    assert res.msb == pytest.approx(msb, rel=1e-10) and res.msw == pytest.approx(msw, rel=1e-10)
    assert res.df_between == 9 - 2 and res.df_within == len(rows) - 9


def test_icc_interval_is_searle_formula():
    from scipy.stats import f

    res = anova_icc([TREATMENT, CONTROL], confidence_level=0.9)
    ratio = res.msb / res.msw
    fl = ratio / f.ppf(0.95, res.df_between, res.df_within)
    fu = ratio / f.ppf(0.05, res.df_between, res.df_within)
    assert res.ci_lower == pytest.approx((fl - 1) / (fl + res.m0 - 1))
    assert res.ci_upper == pytest.approx(min(1.0, (fu - 1) / (fu + res.m0 - 1)))
    assert res.ci_lower <= res.icc <= res.ci_upper


def test_icc_recovers_the_simulated_value():
    rng = np.random.default_rng(11)
    counts = simulate_cluster_counts(rng, np.full(400, 60), arm_shares(20, 0.3), 0.1)
    res = anova_icc([counts.astype(float)])
    assert res.icc == pytest.approx(0.1, abs=0.025)
    assert res.ci_lower < 0.1 < res.ci_upper
    none = anova_icc([simulate_cluster_counts(rng, np.full(400, 60), arm_shares(20, 0.3), 0.0).astype(float)])
    assert abs(none.icc) < 0.01


def test_icc_public_function_on_frames_and_perfect_clustering():
    f = pd.DataFrame({"team": list("aabb"), "score": [10, 10, 0, 0]})
    assert icc(f, cluster="team").icc == 1.0
    with pytest.raises(NPSInputError, match="'crew'"):
        icc(f, cluster="crew")


# ------------------------------------------------------------------------- frames and errors


def test_cluster_counts_and_errors_name_the_problem():
    f = pd.DataFrame({"team": ["a", "a", "b", None, "b"], "score": [10, 7, 3, None, "9"]})
    table = cluster_counts(f, cluster="team")
    assert table.loc["a"].tolist() == [0, 1, 1, 2] and table.loc["b"].tolist() == [1, 0, 1, 2]
    bad = f.assign(score=[10, 7, 3, 5, 9])
    with pytest.raises(NPSInputError, match="no 'team' label") as err:
        cluster_counts(bad, cluster="team")
    assert err.value.rows == [(3, None)]
    with pytest.raises(NPSInputError, match="both arms"):
        compare_cluster_frames(f, f, cluster="team")


def test_frame_comparison_equals_count_comparison():
    t = rows_of(TREATMENT, "t")
    c = rows_of(CONTROL, "c")
    a = compare_cluster_frames(t, c, cluster="cluster")
    b = compare_clusters(TREATMENT, CONTROL)
    assert a.to_dict() == b.to_dict()


# ------------------------------------------------------------------------- power


def test_design_effect_formulas():
    assert design_effect(200, 0.02) == pytest.approx(1 + 199 * 0.02)  # 4.98, "about 5x"
    assert design_effect(50, 0.1, cluster_size_cv=0.5) == pytest.approx(1 + (1.25 * 50 - 1) * 0.1)
    with pytest.raises(ValueError):
        design_effect(50, 1.2)


def test_cluster_sample_size_inflates_individual_n_then_corrects_for_t():
    from scipy.stats import nct
    from scipy.stats import t as t_dist

    from nps_analysis.stats.power import sample_size

    r = cluster_sample_size(10, cluster_size=50, icc=0.02, baseline_nps=20, passive_share=0.3)
    base = sample_size(10, baseline_nps=20, passive_share=0.3)
    assert r.n_individual_control == base.n_per_arm  # 1000 (planned for compare's default test)
    assert r.design_effect == pytest.approx(1.98)
    assert r.clusters_per_arm >= math.ceil(base.n_per_arm * 1.98 / 50)  # 40 before the t correction

    def power(k: int) -> float:
        se = math.sqrt(1.98 * (base.variance_treatment + base.variance_control) / (k * 50))
        q = t_dist.isf(0.025, 2 * k - 2)
        return nct.sf(q, 2 * k - 2, 0.1 / se) + nct.cdf(-q, 2 * k - 2, 0.1 / se)

    k = r.clusters_per_arm
    assert power(k) >= 0.8 > power(k - 1)
    assert r.achieved_power == pytest.approx(power(k))
    assert r.n_treatment == k * 50


# ------------------------------------------------------------------------- detector


def test_detector_finds_the_team_column_of_the_sample_and_nothing_else():
    f = cluster_pilot_sample()
    hints = detect_cluster_assignment(f, "arm")
    assert [h.column for h in hints] == ["team"]
    assert hints[0].clusters_per_arm == {"control": 12, "treatment": 12}
    assert hints[0].message.startswith("looks cluster-assigned by team")
    # An individually randomised experiment: no column qualifies.
    g = f.assign(arm=np.random.default_rng(0).permutation(f["arm"].to_numpy()))
    assert detect_cluster_assignment(g, "arm") == ()


@settings(max_examples=60, deadline=None)
@given(
    arms=st.lists(st.sampled_from(["t", "c", None]), min_size=1, max_size=40),
    labels=st.lists(st.one_of(st.integers(0, 6), st.none()), min_size=40, max_size=40),
)
def test_detector_only_flags_columns_constant_within_arm(arms, labels):
    f = pd.DataFrame({"arm": arms, "unit": labels[: len(arms)]})
    for hint in detect_cluster_assignment(f, "arm"):
        sub = f.dropna()
        assert (sub.groupby("unit")["arm"].nunique() == 1).all()
        assert hint.n_clusters == sub["unit"].nunique() > sub["arm"].nunique()


# ------------------------------------------------------------------------- samples


def test_sample_truths_and_file_are_reproducible(tmp_path):
    f = cluster_pilot_data(teams_per_arm=3, mean_answers=10, seed=1)
    assert f.attrs["true_effect"] == 10.0
    assert f.attrs["true_nps"]["treatment"] - f.attrs["true_nps"]["control"] == pytest.approx(10.0)
    assert (f.groupby("team")["arm"].nunique() == 1).all()
    (written,) = regenerate_samples(["cluster_pilot"], tmp_path)
    assert written.read_bytes() == (data_dir() / SAMPLES["cluster_pilot"].filename).read_bytes()


def test_simulated_counts_have_the_requested_shares():
    rng = np.random.default_rng(5)
    counts = simulate_cluster_counts(rng, np.full((50, 40), 30), arm_shares(-10, 0.2), 0.05)
    assert counts.shape == (50, 40, 3)
    shares = counts.sum(axis=(0, 1)) / counts.sum()
    assert shares == pytest.approx([0.45, 0.2, 0.35], abs=0.01)


# ------------------------------------------------------------------------- sequential looks


def test_look_moments_equal_the_ratio_estimator_at_every_look():
    from nps_analysis.stats.clusters import cluster_look_moments

    rng = np.random.default_rng(8)
    n = 400
    cluster = rng.integers(0, 12, size=n)
    arm = (cluster >= 6).astype(int)
    values = rng.choice([-1.0, 0.0, 1.0], size=n)
    look = rng.integers(0, 5, size=n)
    counts, mean, var, seen = cluster_look_moments(values, arm, look, cluster, 5)
    for k in range(5):
        for a in (0, 1):
            sel = (arm == a) & (look <= k)
            table = np.array([
                [np.sum(sel & (cluster == g) & (values == v)) for v in (-1.0, 0.0, 1.0)]
                for g in np.unique(cluster[sel])
            ], dtype=float)
            nps, v, g = ratio_nps(table)
            assert counts[a, k] == sel.sum() and seen[a, k] == g
            assert 100 * mean[a, k] == pytest.approx(nps)
            assert 1e4 * var[a, k] / counts[a, k] == pytest.approx(v)


def test_confidence_sequence_with_cluster_variance_holds_its_level_when_teams_share_effects():
    """Small version of benchmarks/cluster_validation.py (sequential section): ICC 0.1, 30 teams
    per arm whose members answer over 20 looks; the independent sequence's error is far above
    alpha, the cluster-robust one stays below it."""
    from nps_analysis.stats.clusters import cluster_look_moments
    from nps_analysis.stats.sequential import cs_multiplier, difference_cs, nps_moments

    rng = np.random.default_rng(2026)
    reps, teams, looks = 150, 30, 20
    errors = np.zeros(2)
    for _ in range(reps):
        sizes = 1 + rng.poisson(39, size=2 * teams)
        table = simulate_cluster_counts(rng, sizes, arm_shares(20, 0.3), 0.1)
        cluster = np.repeat(np.arange(2 * teams), sizes)
        values = np.concatenate([np.repeat([-1.0, 0.0, 1.0], row) for row in table])
        arm = (cluster >= teams).astype(int)
        look = rng.integers(0, looks, size=cluster.size)
        n, mean, var_c, _ = cluster_look_moments(values, arm, look, cluster, looks)
        cum = np.stack([
            np.cumsum(np.stack([np.bincount(look[(arm == a) & (values == v)], minlength=looks)
                                for v in (-1.0, 0.0, 1.0)], axis=-1), axis=0)
            for a in (0, 1)
        ])
        _, _, var_i = nps_moments(cum)
        mult = cs_multiplier(n[0] + n[1], alpha=0.05, planned_n=float(sizes.sum()))
        for j, var in enumerate((var_i, np.maximum(var_c, var_i))):
            _, lo, hi, _ = difference_cs(n[0], mean[0], var[0], n[1], mean[1], var[1], planned_n=1.0, multiplier=mult)
            errors[j] += bool(np.any((lo > 0) | (hi < 0)))
    independent, clustered = errors / reps
    assert independent > 0.15
    assert clustered <= 0.08


# ------------------------------------------------------------------------- report section


def test_report_section_rows_and_warnings():
    from nps_analysis.analyses.cluster_pilot import (
        CLUSTER_COLUMNS,
        cluster_effects,
        cluster_warnings,
    )

    f = cluster_pilot_sample()
    table = cluster_effects(f, score="score", group="arm", control="control", treatments=["treatment"], cluster="team")
    assert list(table.columns) == list(CLUSTER_COLUMNS)
    direct = compare_cluster_frames(f[f.arm == "treatment"], f[f.arm == "control"], cluster="team")
    assert table.loc[0, "difference"] == pytest.approx(direct.difference)
    assert table.loc[0, "n_clusters_treatment"] == 12
    assert cluster_warnings(f, group="arm", cluster="team", effects=table) == []
    warnings = cluster_warnings(f, group="arm", ignore=["respondent_id", "score"])
    assert len(warnings) == 1 and "looks cluster-assigned by team" in warnings[0]
    few = f[f.team.isin(["T01", "T02", "T03", "T04", "T05", "T06"])]
    few_table = cluster_effects(few, score="score", group="arm", control="control", treatments=["treatment"], cluster="team")
    assert "only the cluster permutation test is trustworthy" in cluster_warnings(few, group="arm", cluster="team", effects=few_table)[0]
    with pytest.raises(NPSInputError, match="'crew'"):
        cluster_effects(f, score="score", group="arm", control="control", treatments=["treatment"], cluster="crew")


@settings(max_examples=60, deadline=None)
@given(
    scores=st.lists(st.one_of(st.integers(0, 10), st.none()), min_size=1, max_size=60),
    teams=st.lists(st.sampled_from(["a", "b", "c", 7]), min_size=60, max_size=60),
)
def test_cluster_counts_agree_with_classify_row_by_row(scores, teams):
    from nps_analysis.sources.scores import classify

    f = pd.DataFrame({"score": pd.array(scores, dtype="Int64"), "team": teams[: len(scores)]})
    answered = f.dropna(subset=["score"])
    if answered.empty:
        return
    table = cluster_counts(f, cluster="team")
    assert int(table["n"].sum()) == len(answered)
    for team, part in answered.groupby("team"):
        labels = list(classify(part["score"].astype(int).tolist()))
        expected = [labels.count(k) for k in ("detractor", "passive", "promoter")]
        assert table.loc[team, ["detractors", "passives", "promoters"]].tolist() == expected


# ------------------------------------------------------------------------- decide(cluster=)


def aa_pilot(rng: np.random.Generator, teams: int, icc_value: float, looks: int = 15) -> pd.DataFrame:
    """An A/A team pilot whose members answer over ``looks`` days (fixed teams, members arrive)."""
    sizes = 1 + rng.poisson(59, size=2 * teams)
    table = simulate_cluster_counts(rng, sizes, arm_shares(20, 0.3), icc_value)
    team = np.repeat(np.arange(2 * teams), sizes)
    category = np.concatenate([np.repeat([0, 7, 10], row) for row in table])
    return pd.DataFrame({
        "team": [f"T{i}" for i in team],
        "arm": np.where(team < teams, "treatment", "control"),
        "day": rng.integers(0, looks, size=team.size),
        "score": category,
    })


def test_decide_with_cluster_keeps_the_time_uniform_error_where_the_independent_one_fails():
    """The validity conditions of docs/clusters.md, checked through decide() itself: fixed
    teams (20 per arm) whose members arrive over 15 looks, ICC 0.1, no effect. Error = some
    look's interval excludes the true difference 0."""
    from nps_analysis.analyses.decision import decide

    rng = np.random.default_rng(17)
    errors = {None: 0, "team": 0}
    reps = 50
    for _ in range(reps):
        f = aa_pilot(rng, 20, 0.1)
        for cluster in errors:
            d = decide(f, score="score", group="arm", time="day", treatment="treatment", control="control",
                       margin=5, n_draws=200, cluster=cluster, planned_responses=2400)
            errors[cluster] += any(look.ci_lower > 0 or look.ci_upper < 0 for look in d.history)
    assert errors[None] >= 8  # 27-31% in benchmarks/cluster_validation.py (1,000 replicates)
    assert errors["team"] <= 3  # 1-3% there


def test_decide_with_cluster_reports_clusters_and_rejects_bad_cluster_columns():
    from nps_analysis.analyses.decision import decide

    f = cluster_pilot_sample()
    d = decide(f, score="score", group="arm", time="submitted_at", treatment="treatment",
               control="control", margin=5, cluster="team")
    plain = decide(f, score="score", group="arm", time="submitted_at", treatment="treatment",
                   control="control", margin=5)
    assert (d.n_clusters_treatment, d.n_clusters_control, d.cluster) == (12, 12, "team")
    assert d.effect == pytest.approx(plain.effect)
    assert d.ci_upper - d.ci_lower > plain.ci_upper - plain.ci_lower  # design effect about 3
    assert "cluster-robust" in d.method
    few = f[f.team.isin(["T01", "T02", "T03", "T04", "T05", "T06", "T07", "T08"])]
    d_few = decide(few, score="score", group="arm", time="submitted_at", treatment="treatment",
                   control="control", margin=5, cluster="team")
    assert any("only the cluster permutation test is trustworthy" in n for n in d_few.notes)
    mixed = f.assign(team=np.where(f.index % 2, "T01", f["team"]))
    with pytest.raises(NPSInputError, match="both arms"):
        decide(mixed, score="score", group="arm", time="submitted_at", treatment="treatment",
               control="control", margin=5, cluster="team")
    with pytest.raises(NPSInputError, match="crew"):
        decide(f, score="score", group="arm", time="submitted_at", treatment="treatment",
               control="control", margin=5, cluster="crew")


# ------------------------------------------------------------------------- notebooks


@pytest.mark.notebook
def test_experiment_report_has_the_cluster_section_and_the_assignment_warning(tmp_path):
    from nps_analysis.report import runner

    root = data_dir().parent
    common = {
        "data_path": str(data_dir() / "sample_cluster_pilot.csv"), "segment_columns": "region",
        "invited_column": "", "responded_column": "", "covariate_columns": "",
    }
    clustered = runner.run_notebook(root / "notebooks" / "experiment.ipynb", {**common, "cluster_column": "team"},
                                    output_dir=tmp_path / "reports", progress=False)
    assert clustered.ok, clustered.error
    saved = nps.read_results(clustered.run_dir)
    f = cluster_pilot_sample()
    direct = nps.compare(f[f.arm == "treatment"], f[f.arm == "control"], score="score", cluster="team")
    (effect,) = saved["effects"]
    assert effect["method"] == "cluster-t"
    assert (effect["difference"], effect["ci_lower"], effect["ci_upper"], effect["pvalue"]) == pytest.approx(
        (direct.difference, direct.ci_lower, direct.ci_upper, direct.pvalue))
    assert saved["cluster"][0]["icc"] == pytest.approx(direct.cluster.icc)
    assert saved["cluster"][0]["n_clusters_treatment"] == 12 and saved["cluster_warnings"] == []
    assert "analysed by cluster (12 + 12 clusters" in saved["conclusion"]
    assert saved["power"][0]["design_effect"] == pytest.approx(direct.cluster.design_effect)
    assert [a["clusters"] for a in saved["cluster_arms"]] == [12, 12]
    report = clustered.report.read_text()
    assert "design effect" in report and "permutation p" in report

    plain = runner.run_notebook(root / "notebooks" / "experiment.ipynb", common,
                                output_dir=tmp_path / "reports", progress=False)
    assert plain.ok, plain.error
    saved = nps.read_results(plain.run_dir)
    assert "cluster" not in saved
    assert len(saved["cluster_warnings"]) == 1 and "looks cluster-assigned by team" in saved["cluster_warnings"][0]
    assert "looks cluster-assigned by team" in saved["conclusion"]
    assert "nps-alert" in plain.report.read_text()


@pytest.mark.notebook
def test_rollback_notebook_takes_a_cluster_column(tmp_path):
    from nps_analysis.report import runner

    root = data_dir().parent
    result = runner.run_notebook(
        root / "notebooks" / "rollback_decision.ipynb",
        {"data_path": str(data_dir() / "sample_cluster_pilot.csv"), "cluster_column": "team",
         "guardrails": "detractor_share=5"},
        output_dir=tmp_path / "reports", progress=False,
    )
    assert result.ok, result.error
    saved = nps.read_results(result.run_dir)
    f = cluster_pilot_sample()
    from nps_analysis.analyses.decision import decide

    d = decide(f, score="score", group="arm", time="submitted_at", treatment="treatment", control="control",
               margin=5, guardrails={"detractor_share": 5}, cluster="team")
    assert saved["cluster"] == {"column": "team", "n_clusters_treatment": 12, "n_clusters_control": 12}
    assert (saved["ci_lower"], saved["ci_upper"]) == pytest.approx((d.ci_lower, d.ci_upper))


def test_cli_compare_and_sample_size_take_cluster_options(capsys):
    from nps_analysis.cli import main

    path = str(data_dir() / "sample_cluster_pilot.csv")
    code = main(["compare", path, "--score", "score", "--group", "arm", "--treatment", "treatment",
                 "--control", "control", "--cluster", "team", "--format", "json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    f = cluster_pilot_sample()
    direct = nps.compare(f[f.arm == "treatment"], f[f.arm == "control"], score="score", cluster="team")
    assert data["pvalue"] == pytest.approx(direct.pvalue) and data["method"] == "cluster-t"
    assert data["cluster"]["n_clusters_treatment"] == 12 and data["treatment"]["n"] == direct.treatment.n
    code = main(["sample-size", "--mde", "10", "--baseline-nps", "20", "--passive-share", "0.3",
                 "--cluster-size", "50", "--icc", "0.02", "--format", "json"])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["clusters_per_arm"] == 41
    assert main(["sample-size", "--mde", "10", "--baseline-nps", "20", "--passive-share", "0.3", "--icc", "0.02"]) == 2


# ------------------------------------------------------------------------- compare(cluster=)


def test_compare_with_cluster_keeps_the_issue_contract():
    from scipy.stats import t as t_dist

    f = cluster_pilot_sample()
    t, c = f[f.arm == "treatment"], f[f.arm == "control"]
    r = nps.compare(t, c, score="score", cluster="team", margin=5)
    k = compare_cluster_frames(t, c, cluster="team")
    assert (r.difference, r.ci_lower, r.ci_upper, r.pvalue) == (k.difference, k.ci_lower, k.ci_upper, k.pvalue)
    for name in ("icc", "design_effect", "n_clusters_treatment", "n_clusters_control", "method"):
        assert getattr(r.cluster, name) == getattr(k, name)
    assert r.difference == pytest.approx(nps.compare(t, c).difference)  # same point estimate
    assert r.margin_pvalue == pytest.approx(t_dist.sf((k.difference + 5) / k.se, k.df))
    assert r.treatment.nps == pytest.approx(k.nps_treatment) and r.treatment.method == "cluster-t"
    assert r.row_tests is None and r.to_dict()["cluster"]["icc"] == pytest.approx(k.icc)
    perm = nps.compare(t, c, score="score", cluster="team", method="permutation")
    assert perm.method == "cluster-permutation" and perm.pvalue == k.permutation_pvalue
    with pytest.raises(NPSInputError, match="covariates"):
        nps.compare(t, c, score="score", cluster="team", covariates=["region"])
    with pytest.raises(NPSInputError, match="needs rows"):
        nps.compare(t["score"], c["score"], cluster="team")


def test_compare_many_with_cluster_feeds_the_family_cluster_pvalues():
    f = cluster_pilot_sample()
    many = nps.compare_many(f, score="score", group="arm", control="control", cluster="team", by="region")
    for comp in many.comparisons:
        part = f[f.region == comp.segment["region"]]
        direct = compare_cluster_frames(part[part.arm == "treatment"], part[part.arm == "control"], cluster="team")
        assert comp.result.pvalue == pytest.approx(direct.pvalue)
        assert comp.result.cluster.n_clusters_treatment == direct.n_clusters_treatment < 10
        assert comp.result.method == "cluster-permutation"
    with pytest.raises(NPSInputError, match="crew"):
        nps.compare_many(f, score="score", group="arm", control="control", cluster="crew")


def test_module_doctests_pass():
    import doctest

    from nps_analysis.stats import cluster_design, clusters, power

    for module in (clusters, cluster_design, power):
        assert doctest.testmod(module).failed == 0


def test_decide_names_the_rows_without_a_cluster_label():
    from nps_analysis.analyses.decision import decide

    f = cluster_pilot_sample()
    f.loc[[3, 10], "team"] = None
    with pytest.raises(NPSInputError, match="no 'team' label") as err:
        decide(f, score="score", group="arm", time="submitted_at", treatment="treatment",
               control="control", margin=5, cluster="team")
    assert [r for r, _ in err.value.rows] == [3, 10] and err.value.column == "team"


def test_power_table_counts_answers_divided_by_the_design_effect():
    from nps_analysis.analyses.experiment import arm_table, power_table
    from nps_analysis.stats.power import achieved_power

    f = cluster_pilot_sample()
    arms = arm_table(f, score="score", group="arm", arms=["control", "treatment"])
    table = power_table(arms, control="control", treatments=["treatment"], mde=10, design_effects={"treatment": 3.2})
    row = arms.set_index("group")
    baseline = nps.NPSCounts(*row.loc["control", ["detractors", "passives", "promoters"]])
    expected = achieved_power(row.loc["treatment", "n"] / 3.2, row.loc["control", "n"] / 3.2, 10, baseline=baseline)
    assert table.loc[0, "power_at_mde"] == pytest.approx(expected)
    assert table.loc[0, "design_effect"] == 3.2 and table.loc[0, "n_treatment"] == row.loc["treatment", "n"]
    plain = power_table(arms, control="control", treatments=["treatment"], mde=10)
    assert "design_effect" not in plain.columns and plain.loc[0, "power_at_mde"] > expected


def test_cluster_arm_table_matches_the_compare_arm_intervals():
    from nps_analysis.analyses.cluster_pilot import cluster_arm_table

    f = cluster_pilot_sample()
    table = cluster_arm_table(f, score="score", group="arm", arms=["control", "treatment"], cluster="team")
    r = nps.compare(f[f.arm == "treatment"], f[f.arm == "control"], score="score", cluster="team")
    for arm, interval in (("treatment", r.treatment), ("control", r.control)):
        row = table.set_index("group").loc[arm]
        assert (row["nps"], row["ci_lower"], row["ci_upper"], row["n"]) == pytest.approx(
            (interval.nps, interval.ci_lower, interval.ci_upper, interval.n))
        assert row["clusters"] == 12


def test_counts_pushed_down_to_an_engine_feed_the_cluster_comparison():
    """sources/aggregates.cluster_counts (issue 18: counted where the table lives) gives the same
    per-cluster table, so big or remote pilots never bring rows to pandas."""
    from nps_analysis.sources.aggregates import cluster_counts as engine_cluster_counts

    f = cluster_pilot_sample()
    table = engine_cluster_counts(f, "score", "arm", "team")
    pushed = compare_clusters(table[table.arm == "treatment"], table[table.arm == "control"])
    rows = compare_cluster_frames(f[f.arm == "treatment"], f[f.arm == "control"], cluster="team")
    assert pushed.to_dict() == rows.to_dict()


def test_compare_many_refuses_weights_with_cluster():
    f = cluster_pilot_sample().assign(w=1.0)
    with pytest.raises(NPSInputError, match="weights and cluster"):
        nps.compare_many(f, score="score", group="arm", control="control", cluster="team", weights="w")
