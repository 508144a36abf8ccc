"""Tests for survey gaps, the paired design, the superior-service headline, the self-assessment and
importance-performance: every statistic pinned to scipy / statsmodels or to hand arithmetic.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import nps_analysis as nps
from nps_analysis import datasets
from nps_analysis.analyses.gap import item_pvalues
from nps_analysis.analyses.gap import rank_statistics as _rank_statistics
from nps_analysis.sources.instruments import SELF_ASSESSMENT_STATEMENTS
from nps_analysis.stats.ranks import hodges_lehmann as _hodges_lehmann
from nps_analysis.stats.ranks import signed_rank as _signed_rank

# ---------------------------------------------------------------------------- helpers


def _counts(values, k=5, low=1):
    return np.bincount(np.asarray(values, int) - low, minlength=k).astype(float)


def _wide(company: dict, customers: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.DataFrame(company), pd.DataFrame(customers)


@pytest.fixture(scope="module")
def sample():
    company, customers = datasets.gap_survey_data(seed=11)
    return company, customers


@pytest.fixture(scope="module")
def sample_gap(sample):
    company, customers = sample
    return nps.survey_gap(company, customers, dimensions=company.attrs["dimensions"], n_bootstrap=400,
                          test="brunner-munzel")


# ------------------------------------------------------------------ rank tests from counts



@pytest.mark.parametrize("seed", range(6))
def test_rank_statistics_from_counts_match_scipy_on_rows(seed):
    rng = np.random.default_rng(seed)
    n1, n2 = rng.integers(4, 60, 2)
    company = rng.choice(5, n1, p=[0.05, 0.1, 0.2, 0.35, 0.3]) + 1
    customers = rng.choice(5, n2, p=[0.15, 0.2, 0.3, 0.25, 0.1]) + 1
    res = _rank_statistics(_counts(company), _counts(customers))
    mw = stats.mannwhitneyu(customers, company, method="asymptotic", use_continuity=True)
    bm = stats.brunnermunzel(company, customers)
    assert res.u_customers == pytest.approx(mw.statistic, abs=1e-9)
    assert res.mw_pvalue == pytest.approx(mw.pvalue, rel=1e-10)
    assert res.bm_statistic == pytest.approx(bm.statistic, rel=1e-10)
    assert res.bm_pvalue == pytest.approx(bm.pvalue, rel=1e-9)
    # Cliff's delta is the rescaled U statistic: 2 U / (n1 n2) - 1
    assert res.delta == pytest.approx(2 * mw.statistic / (n1 * n2) - 1, abs=1e-12)


def test_rank_statistics_vectorize_over_leading_axes():
    rng = np.random.default_rng(3)
    c = rng.integers(0, 9, size=(4, 3, 5)).astype(float) + 1
    d = rng.integers(0, 9, size=(4, 3, 5)).astype(float) + 1
    batch = _rank_statistics(c, d)
    one = _rank_statistics(c[2, 1], d[2, 1])
    assert batch.mw_pvalue[2, 1] == pytest.approx(float(one.mw_pvalue))
    assert batch.bm_pvalue[2, 1] == pytest.approx(float(one.bm_pvalue))
    assert batch.delta_variance[2, 1] == pytest.approx(float(one.delta_variance))


def test_mann_whitney_p_is_one_when_every_answer_is_the_same():
    res = _rank_statistics(_counts([4] * 8), _counts([4] * 20))
    assert float(res.mw_pvalue) == 1.0
    assert np.isnan(res.bm_pvalue)


# ------------------------------------------------------------------------- Cliff's delta


def _cliff_by_hand(x, y, q):
    """Dominance matrix arithmetic written out (Cliff 1993; R effsize's consistent estimate)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    dom = np.sign(x[:, None] - y[None, :])
    d = dom.mean()
    n1, n2 = len(x), len(y)
    s_i = ((dom.mean(1) - d) ** 2).sum() / (n1 - 1)
    s_j = ((dom.mean(0) - d) ** 2).sum() / (n2 - 1)
    s_ij = ((dom - d) ** 2).sum() / ((n1 - 1) * (n2 - 1))
    var = ((n2 - 1) * s_i + (n1 - 1) * s_j + s_ij) / (n1 * n2)
    root = q * math.sqrt(var) * math.sqrt((1 - d * d) ** 2 + q * q * var)
    den = 1 - d * d + q * q * var
    return d, var, (d - d**3 - root) / den, (d - d**3 + root) / den, (s_i, s_j, s_ij)


def test_cliffs_delta_variance_terms_match_effsize_reference_example():
    # R effsize's source documents the three variance terms of this example as
    # 0.2669753, 0.447 and 1.0055556 (consistent estimate); delta is -0.25.
    treatment = [10, 10, 20, 20, 20, 30, 30, 30, 40, 50]
    control = [10, 20, 30, 40, 40, 50]
    d, var, lo, hi, terms = _cliff_by_hand(treatment, control, stats.norm.ppf(0.975))
    assert terms == pytest.approx((0.2669753, 0.447, 1.0055556), abs=1e-7)
    res = nps.cliffs_delta(treatment, control, distribution="normal")
    assert res.effect_size == pytest.approx(-0.25)
    assert res.variance == pytest.approx((5 * 0.26697530864 + 9 * 0.447 + 1.00555555556) / 60, rel=1e-9)
    assert (res.ci_lower, res.ci_upper) == pytest.approx((lo, hi), rel=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_cliffs_delta_t_interval_matches_dominance_matrix_by_hand(seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 8, rng.integers(3, 40))
    y = rng.integers(1, 6, rng.integers(3, 40))
    q = stats.t.ppf(0.95, len(x) + len(y) - 2)
    d, var, lo, hi, _ = _cliff_by_hand(x, y, q)
    res = nps.cliffs_delta(x, y, confidence_level=0.90)
    assert res.effect_size == pytest.approx(d, abs=1e-12)
    assert res.variance == pytest.approx(var, rel=1e-10)
    assert (res.ci_lower, res.ci_upper) == pytest.approx((lo, hi), rel=1e-10)


def test_cliffs_delta_interval_is_undefined_under_complete_separation():
    res = nps.cliffs_delta([5, 5, 4], [1, 2, 2, 1])
    assert res.effect_size == 1.0
    assert math.isnan(res.ci_lower) and math.isnan(res.ci_upper)


# ------------------------------------------------------------------- Newcombe, Wilson


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), [(27, 30, 28, 295), (0, 12, 5, 40), (7, 7, 0, 9), (15, 50, 30, 60)])
def test_newcombe_interval_matches_statsmodels(x1, n1, x2, n2):
    from statsmodels.stats.proportion import confint_proportions_2indep

    expected = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff", alpha=0.1)
    assert nps.newcombe_interval(x1, n1, x2, n2, confidence_level=0.9) == pytest.approx(expected, abs=1e-12)


# ------------------------------------------------------------------------ survey_gap


def test_survey_gap_item_statistics_match_scipy_and_statsmodels(sample, sample_gap):
    from statsmodels.stats.multitest import multipletests
    from statsmodels.stats.proportion import confint_proportions_2indep

    company, customers = sample
    pvalues = []
    for row in sample_gap.items:
        x = company[row.item].dropna().to_numpy()
        y = customers[row.item].dropna().to_numpy()
        assert (row.n_company, row.n_customers) == (len(x), len(y))
        assert row.mean_company == pytest.approx(x.mean())
        assert row.gap == pytest.approx(y.mean() - x.mean())
        welch = stats.ttest_ind(y, x, equal_var=False).confidence_interval(0.95)
        assert (row.ci_lower, row.ci_upper) == pytest.approx((welch.low, welch.high), rel=1e-9)
        tb = confint_proportions_2indep((y == 5).sum(), len(y), (x == 5).sum(), len(x), method="newcomb")
        assert row.top_box_gap == pytest.approx(100 * ((y == 5).mean() - (x == 5).mean()))
        assert (row.top_box_ci_lower, row.top_box_ci_upper) == pytest.approx((100 * tb[0], 100 * tb[1]), rel=1e-9)
        assert row.test == "brunner-munzel" and "chosen by the user" in row.test_reason
        assert row.pvalue == pytest.approx(stats.brunnermunzel(x, y).pvalue, rel=1e-9)
        assert row.statistic == pytest.approx(stats.brunnermunzel(x, y).statistic, rel=1e-9)
        pvalues.append(row.pvalue)
    adjusted = multipletests(pvalues, method="fdr_bh")[1]
    assert [r.pvalue_adjusted for r in sample_gap.items] == pytest.approx(list(adjusted), rel=1e-12)
    assert "Benjamini-Hochberg" in sample_gap.family and "10 items" in sample_gap.family


def test_mann_whitney_on_request_matches_scipy(sample):
    company, customers = sample
    res = nps.survey_gap(company, customers, test="mann-whitney", n_bootstrap=200)
    for row in res.items:
        x = company[row.item].dropna().to_numpy()
        y = customers[row.item].dropna().to_numpy()
        ref = stats.mannwhitneyu(y, x, method="asymptotic")
        assert row.test == "mann-whitney"
        assert (row.statistic, row.pvalue) == pytest.approx((ref.statistic, ref.pvalue), rel=1e-9)


def test_brunner_munzel_permutation_matches_exact_enumeration_with_scipy():
    """Small samples: every relabelling enumerated, scipy's Brunner-Munzel statistic on each."""
    from itertools import combinations

    company = np.array([3, 4, 4, 5, 4])
    customers = np.array([1, 2, 4, 3, 2, 3])
    pooled = np.concatenate([company, customers])
    observed = abs(stats.brunnermunzel(company, customers).statistic)
    hits = total = 0
    with warnings.catch_warnings(), np.errstate(all="ignore"):  # some relabellings separate completely
        warnings.simplefilter("ignore")
        for idx in combinations(range(len(pooled)), len(company)):
            mask = np.zeros(len(pooled), bool)
            mask[list(idx)] = True
            stat = abs(stats.brunnermunzel(pooled[mask], pooled[~mask]).statistic)
            hits += bool(stat >= observed * (1 - 1e-12))
            total += 1
    exact = hits / total
    assert 0.01 < exact < 0.2
    # enumerated count vectors weighted by their hypergeometric probability: the same exact p-value
    ours = float(nps.brunner_munzel_permutation(_counts(company), _counts(customers)))
    assert ours == pytest.approx(exact, rel=1e-10)
    # the Monte Carlo version (forced by a tiny enumeration limit) agrees within its error
    sampled = float(nps.brunner_munzel_permutation(_counts(company), _counts(customers), exact_limit=1,
                                                   n_permutations=20000, random_state=3))
    assert sampled == pytest.approx(exact, abs=0.007)  # Monte Carlo SE <= 0.0028 with 20,000 draws


def test_exact_permutation_weights_are_a_probability_distribution():
    # equal mean ranks: |W| = 0, so every relabelling counts and p is the total weight, 1
    assert float(nps.brunner_munzel_permutation(_counts([1, 2, 3, 4, 5]), _counts([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]))) \
        == pytest.approx(1.0, abs=1e-12)
    # the smallest p-value is the probability of the most extreme split: complete separation
    p = float(nps.brunner_munzel_permutation(_counts([5, 5, 5]), _counts([1, 2, 3, 4, 1, 2])))
    assert p == pytest.approx(1 / math.comb(9, 3), rel=1e-10)


def test_auto_uses_the_t_approximation_for_two_large_sides():
    rng = np.random.default_rng(5)
    company = pd.DataFrame({"q": rng.integers(2, 6, 60)})
    customers = pd.DataFrame({"q": rng.integers(1, 6, 200)})
    row = nps.survey_gap(company, customers).item("q")
    assert row.test == "brunner-munzel" and "at least 50 answers" in row.test_reason
    assert row.pvalue == pytest.approx(stats.brunnermunzel(company["q"], customers["q"]).pvalue, rel=1e-9)


def test_auto_uses_the_permutation_version_for_a_small_side():
    rng = np.random.default_rng(4)
    company = pd.DataFrame({"q": rng.integers(3, 6, 12)})
    customers = pd.DataFrame({"q": rng.integers(1, 6, 200)})
    row = nps.survey_gap(company, customers, random_state=9).item("q")
    assert row.test == "brunner-munzel-permutation" and "fewer than 50" in row.test_reason
    again = nps.survey_gap(company, customers, random_state=9).item("q")
    assert row.pvalue == again.pvalue  # seeded
    t_approx = stats.brunnermunzel(company["q"], customers["q"]).pvalue
    assert row.pvalue == pytest.approx(t_approx, abs=0.02)  # close to the t approximation here


def test_survey_gap_labels_follow_the_true_gaps_of_the_generator(sample, sample_gap):
    truth = sample[0].attrs["truth"]["items"]
    for row in sample_gap.items:
        true_label = truth[row.item]["label"]
        if true_label == "no gap":
            assert row.label == "no clear gap"
        else:
            assert row.label == true_label, row.item
    assert sample_gap.item("respect").label == "reverse gap"
    assert sample_gap.item("respect").gap > 0 and sample_gap.item("respect").effect_size > 0


def test_gap_sign_is_customers_minus_company_and_labels_are_two_sided():
    company = {"a": [5, 5, 5, 4, 5, 5, 4, 5, 5, 5, 4, 5], "b": [1, 2, 1, 2, 2, 1, 2, 1, 1, 2, 1, 2]}
    customers = {"a": [1, 2, 1, 2, 2, 1, 2, 1, 1, 2, 1, 2], "b": [5, 5, 5, 4, 5, 5, 4, 5, 5, 5, 4, 5]}
    res = nps.survey_gap(*_wide(company, customers), test="mann-whitney")
    assert res.item("a").gap < 0 and res.item("a").label == "gap"
    assert res.item("b").gap > 0 and res.item("b").label == "reverse gap"


def test_holm_correction_and_none_are_applied_as_stated(sample):
    from statsmodels.stats.multitest import multipletests

    company, customers = sample
    holm = nps.survey_gap(company, customers, correction="holm", n_bootstrap=200)
    raw = [r.pvalue for r in holm.items]
    assert [r.pvalue_adjusted for r in holm.items] == pytest.approx(list(multipletests(raw, method="holm")[1]))
    none = nps.survey_gap(company, customers, correction="none", n_bootstrap=200)
    assert [r.pvalue_adjusted for r in none.items] == pytest.approx(raw)
    assert "Holm" in holm.family


def test_equivalence_label_uses_welch_tost_like_statsmodels():
    from statsmodels.stats.weightstats import ttost_ind

    rng = np.random.default_rng(5)
    company = pd.DataFrame({"q": rng.choice([3, 4, 5], 400, p=[0.3, 0.4, 0.3])})
    customers = pd.DataFrame({"q": rng.choice([3, 4, 5], 500, p=[0.3, 0.4, 0.3])})
    res = nps.survey_gap(company, customers, equivalence_margin=0.3, test="mann-whitney")
    row = res.item("q")
    ref = ttost_ind(customers["q"].to_numpy(float), company["q"].to_numpy(float), -0.3, 0.3, usevar="unequal")[0]
    assert row.equivalence_pvalue == pytest.approx(ref, rel=1e-9)
    assert row.label == "equivalent"


def test_wide_and_long_layouts_give_the_same_result(sample):
    company, customers = sample
    long = customers.melt(id_vars="respondent", var_name="item", value_name="answer").dropna()
    wide_res = nps.survey_gap(company, customers, n_bootstrap=200)
    long_res = nps.survey_gap(company, long.sample(frac=1, random_state=1), n_bootstrap=200)
    pd.testing.assert_frame_equal(wide_res.table(), long_res.table())


def test_dimension_gap_is_the_difference_of_respondent_level_means(sample, sample_gap):
    company, customers = sample
    dims = company.attrs["dimensions"]
    for row in sample_gap.dimensions:
        members = [i for i, d in dims.items() if d == row.dimension]
        comp = company[members].mean(axis=1, skipna=True)
        cust = customers[members].mean(axis=1, skipna=True)
        assert row.gap == pytest.approx(cust.mean() - comp.mean())
        assert row.ci_lower < row.gap < row.ci_upper
        ref = (stats.brunnermunzel(comp, cust).pvalue if row.test == "brunner-munzel"
               else stats.mannwhitneyu(cust, comp, method="asymptotic").pvalue)
        assert row.pvalue == pytest.approx(ref, rel=1e-9)
    assert [d.dimension for d in sample_gap.dimensions] == ["business", "human", "hidden"]


def test_dimension_bootstrap_is_seeded_and_matches_a_plain_resampling_loop():
    rng = np.random.default_rng(8)
    company = pd.DataFrame({"a": rng.integers(1, 6, 15), "b": rng.integers(1, 6, 15)}).astype(float)
    customers = pd.DataFrame({"a": rng.integers(1, 6, 25), "b": rng.integers(1, 6, 25)}).astype(float)
    customers.loc[3, "a"] = np.nan
    kwargs = {"dimensions": {"d": ["a", "b"]}, "n_bootstrap": 300, "random_state": 42}
    first = nps.survey_gap(company, customers, **kwargs).dimension("d")
    again = nps.survey_gap(company, customers, **kwargs).dimension("d")
    assert (first.ci_lower, first.ci_upper) == (again.ci_lower, again.ci_upper)
    # Same draws, written as an explicit loop over resamples.
    gen = np.random.default_rng(42)
    sd = customers[["a", "b"]].mean(axis=1).to_numpy()
    sc = company[["a", "b"]].mean(axis=1).to_numpy()
    wd = gen.multinomial(len(sd), np.full(len(sd), 1 / len(sd)), size=300)
    wc = gen.multinomial(len(sc), np.full(len(sc), 1 / len(sc)), size=300)
    gaps = [(w1 @ sd) / w1.sum() - (w2 @ sc) / w2.sum() for w1, w2 in zip(wd, wc, strict=True)]
    assert (first.ci_lower, first.ci_upper) == pytest.approx(tuple(np.quantile(gaps, [0.025, 0.975])), rel=1e-12)


def test_self_assessment_ids_default_to_the_seven_areas():
    company, customers = datasets.self_assessment_data(seed=3)
    res = nps.self_assessment_gap(company, customers, n_bootstrap=200)
    assert [d.dimension for d in res.dimensions] == list(nps.SELF_ASSESSMENT_AREAS)
    assert len(res.items) == 25 and res.dimension("staff").items == tuple(f"staff_{i}" for i in range(1, 6))


# ----------------------------------------------------------------------- input errors


def test_answer_outside_the_scale_names_column_row_and_value():
    company = pd.DataFrame({"q": [4, 5, 6, 3]})
    customers = pd.DataFrame({"q": [1, 2, 3, 4]})
    with pytest.raises(nps.NPSInputError) as err:
        nps.survey_gap(company, customers)
    assert err.value.column == "q" and err.value.rows == [(2, 6)]
    assert "outside the 1-5 scale" in str(err.value)


def test_file_errors_give_one_based_line_numbers(tmp_path):
    path = tmp_path / "company.csv"
    path.write_text("respondent,q\nE1,4\nE2,five\nE3,3\n")
    customers = pd.DataFrame({"q": [1, 2, 3, 4]})
    with pytest.raises(nps.NPSInputError) as err:
        nps.survey_gap(path, customers)
    assert err.value.file == str(path) and err.value.rows == [(3, "five")]
    assert "not a number" in str(err.value)


def test_non_integer_answers_are_rejected():
    with pytest.raises(nps.NPSInputError, match="not a whole number"):
        nps.survey_gap(pd.DataFrame({"q": [4, 4.5, 3]}), pd.DataFrame({"q": [1, 2, 3]}))


def test_items_on_one_side_only_are_an_error():
    company = pd.DataFrame({"q": [4, 5, 3], "extra": [1, 2, 3]})
    customers = pd.DataFrame({"q": [1, 2, 3]})
    with pytest.raises(nps.NPSInputError, match="only in the company data: extra"):
        nps.survey_gap(company, customers)
    with pytest.raises(nps.NPSInputError, match="missing from the customers data: extra"):
        nps.survey_gap(company, customers, items=["q", "extra"])
    assert len(nps.survey_gap(company, customers, items=["q"]).items) == 1


def test_unknown_items_and_repeated_pairs_in_long_data_are_errors():
    company = pd.DataFrame({"q": [4, 5, 3], "r": [2, 3, 4]})
    long = pd.DataFrame({"respondent": [1, 1, 2, 2, 3], "item": ["q", "r", "q", "zz", "q"],
                         "answer": [3, 4, 5, 2, 1]})
    with pytest.raises(nps.NPSInputError, match="unknown item") as err:
        nps.survey_gap(company, long, items=["q", "r"])
    assert err.value.rows == [(3, "zz")]
    repeated = pd.DataFrame({"respondent": [1, 1, 2], "item": ["q", "q", "q"], "answer": [3, 4, 5]})
    with pytest.raises(nps.NPSInputError, match="repeat a respondent/item pair"):
        nps.survey_gap(company, repeated, items=["q"])


def test_too_few_answers_and_bad_options_are_errors():
    with pytest.raises(nps.NPSInputError, match="fewer than 2 answers"):
        nps.survey_gap(pd.DataFrame({"q": [4, np.nan]}), pd.DataFrame({"q": [1, 2, 3]}))
    good = (pd.DataFrame({"q": [4, 5, 3]}), pd.DataFrame({"q": [1, 2, 3]}))
    with pytest.raises(nps.NPSInputError, match="test must be"):
        nps.survey_gap(*good, test="t")
    with pytest.raises(nps.NPSInputError, match="unknown correction"):
        nps.survey_gap(*good, correction="magic")
    with pytest.raises(nps.NPSInputError, match="dimensions name unknown"):
        nps.survey_gap(*good, dimensions={"human": ["nope"]})


@settings(max_examples=40, deadline=None)
@given(answers=st.lists(st.integers(-3, 9), min_size=2, max_size=30))
def test_any_integer_answer_is_accepted_on_the_scale_and_rejected_off_it(answers):
    company = pd.DataFrame({"q": answers})
    customers = pd.DataFrame({"q": [1, 2, 3, 4, 5]})
    if all(1 <= a <= 5 for a in answers):
        res = nps.survey_gap(company, customers, test="mann-whitney", n_bootstrap=100)
        assert res.item("q").n_company == len(answers)
        assert res.item("q").mean_company == pytest.approx(np.mean(answers))
    else:
        with pytest.raises(nps.NPSInputError) as err:
            nps.survey_gap(company, customers)
        bad = [i for i, a in enumerate(answers) if not 1 <= a <= 5]
        assert err.value.column == "q" and err.value.rows[0] == (bad[0], answers[bad[0]])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.one_of(st.integers(1, 5).map(str), st.sampled_from(["", " ", "x", "2.5", "nan?"])),
                min_size=3, max_size=20))
def test_text_answers_parse_or_fail_with_the_offending_value(texts):
    company = pd.DataFrame({"q": pd.Series(texts, dtype=object)})
    customers = pd.DataFrame({"q": [1, 2, 3, 4, 5]})
    bad = [t for t in texts if t.strip() not in {"", "1", "2", "3", "4", "5"}]
    answered = [int(t) for t in texts if t.strip() in {"1", "2", "3", "4", "5"}]
    if bad:
        with pytest.raises(nps.NPSInputError):
            nps.survey_gap(company, customers)
    elif len(answered) >= 2:
        res = nps.survey_gap(company, customers, n_bootstrap=100)
        assert res.item("q").n_company == len(answered)


# ---------------------------------------------------------------------- paired design


@pytest.mark.parametrize("seed", range(4))
def test_signed_rank_pratt_and_hodges_lehmann_match_scipy_and_brute_force(seed):
    rng = np.random.default_rng(seed)
    d = rng.integers(-4, 5, rng.integers(6, 60))
    mags = np.arange(1, 5)
    stat, z, p = _signed_rank(np.array([(d == m).sum() for m in mags]),
                              np.array([(d == -m).sum() for m in mags]), np.array((d == 0).sum()))
    ref = stats.wilcoxon(d, zero_method="pratt", method="asymptotic", correction=False)
    assert float(stat) == pytest.approx(ref.statistic)
    assert float(p) == pytest.approx(ref.pvalue, rel=1e-10)
    values, counts = np.unique(d, return_counts=True)
    i, j = np.triu_indices(len(d))
    assert float(_hodges_lehmann(values.astype(float), counts)) == pytest.approx(np.median((d[i] + d[j]) / 2))


def test_paired_gap_matches_scipy_item_by_item():
    rng = np.random.default_rng(21)
    n = 80
    expect = pd.DataFrame({"respondent": range(n), "r1": rng.integers(4, 8, n), "r2": rng.integers(3, 8, n),
                           "e1": rng.integers(1, 8, n)})
    perceive = pd.DataFrame({"respondent": range(n), "r1": rng.integers(2, 7, n), "r2": rng.integers(3, 8, n),
                             "e1": rng.integers(1, 8, n)}).sample(frac=1, random_state=2)
    res = nps.paired_gap(expect, perceive, dimensions={"reliability": ["r1", "r2"], "empathy": ["e1"]})
    aligned = perceive.set_index("respondent").loc[expect["respondent"]].reset_index()
    for row in res.items:
        d = (aligned[row.item] - expect[row.item]).to_numpy(float)
        ref = stats.wilcoxon(d, zero_method="pratt", method="asymptotic", correction=False)
        ci = stats.ttest_1samp(d, 0).confidence_interval(0.95)
        assert row.gap == pytest.approx(d.mean())
        assert (row.ci_lower, row.ci_upper) == pytest.approx((ci.low, ci.high))
        assert row.pvalue == pytest.approx(ref.pvalue, rel=1e-10)
    assert res.items[0].label == "gap"  # r1: perception 2-6 against expectation 4-7
    dim = res.dimensions[0]
    dd = (aligned[["r1", "r2"]].mean(axis=1) - expect[["r1", "r2"]].mean(axis=1)).to_numpy()
    assert dim.dimension == "reliability" and dim.gap == pytest.approx(dd.mean())
    ref = stats.wilcoxon(dd, zero_method="pratt", method="asymptotic", correction=False)
    assert dim.pvalue == pytest.approx(ref.pvalue, rel=1e-10)


def test_paired_gap_respondent_on_one_side_only_is_an_error():
    a = pd.DataFrame({"respondent": [1, 2, 3], "q": [3, 4, 5]})
    b = pd.DataFrame({"respondent": [1, 2, 4], "q": [3, 4, 5]})
    with pytest.raises(nps.NPSInputError, match="only in the expectations data"):
        nps.paired_gap(a, b)


# ------------------------------------------------------------------- superior service


def test_superior_service_shares_intervals_and_z_test_match_statsmodels(sample):
    from statsmodels.stats.proportion import (
        confint_proportions_2indep,
        proportion_confint,
        proportions_ztest,
    )

    company, customers = sample
    res = nps.superior_service(company, customers, item="superior", test="z")
    x = company["superior"].dropna()
    y = customers["superior"].dropna()
    x1, n1, x2, n2 = int((x == 5).sum()), len(x), int((y == 5).sum()), len(y)
    assert (res.company_superior, res.company_n, res.customers_superior, res.customers_n) == (x1, n1, x2, n2)
    assert (res.company_ci_lower, res.company_ci_upper) == pytest.approx(
        tuple(100 * v for v in proportion_confint(x1, n1, method="wilson")))
    assert (res.customers_ci_lower, res.customers_ci_upper) == pytest.approx(
        tuple(100 * v for v in proportion_confint(x2, n2, method="wilson")))
    lo, hi = confint_proportions_2indep(x2, n2, x1, n1, method="newcomb")
    assert (res.ci_lower, res.ci_upper) == pytest.approx((100 * lo, 100 * hi))
    assert res.pvalue == pytest.approx(proportions_ztest([x2, x1], [n2, n1])[1], rel=1e-9)
    chi2 = stats.chi2_contingency([[x2, n2 - x2], [x1, n1 - x1]], correction=False)
    assert res.pvalue == pytest.approx(chi2.pvalue, rel=1e-9)
    assert res.difference == pytest.approx(100 * (x2 / n2 - x1 / n1))
    assert "believe the service is superior" in res.headline()


def test_superior_service_auto_uses_fisher_for_small_expected_counts():
    company = pd.DataFrame({"s": [5, 5, 5, 5, 4, 5]})
    customers = pd.DataFrame({"s": [3, 4, 5, 2, 4, 3, 4, 4]})
    res = nps.superior_service(company, customers, item="s", threshold=5)
    assert res.test == "Fisher's exact test" and "< 5" in res.test_reason
    assert res.pvalue == pytest.approx(stats.fisher_exact([[1, 7], [5, 1]]).pvalue)
    top2 = nps.superior_service(company, customers, item="s", threshold=4)
    assert top2.company_superior == 6 and top2.customers_superior == 5


# -------------------------------------------------------------------- self-assessment


def test_statement_ids_are_the_issue_list_in_order():
    expected = ([f"culture_{i}" for i in range(1, 5)] + [f"products_{i}" for i in range(1, 5)]
                + [f"comments_{i}" for i in range(1, 4)] + [f"knowing_{i}" for i in range(1, 4)]
                + [f"contact_{i}" for i in range(1, 4)] + [f"staff_{i}" for i in range(1, 6)]
                + [f"improvement_{i}" for i in range(1, 4)])
    assert list(SELF_ASSESSMENT_STATEMENTS) == expected
    assert SELF_ASSESSMENT_STATEMENTS["staff_1"] == "I respect my employees."


def _ratings(value_by_area: dict[str, list[float]]) -> pd.DataFrame:
    rows = []
    for r in range(len(next(iter(value_by_area.values())))):
        rows.append({s: value_by_area[s.rsplit("_", 1)[0]][r] for s in SELF_ASSESSMENT_STATEMENTS})
    return pd.DataFrame(rows)


def test_self_assessment_totals_and_bands_by_hand():
    ratings = _ratings({a: [4, 3, 2] for a in nps.SELF_ASSESSMENT_AREAS})
    ratings.loc[0, "culture_1"] = 5  # culture mean 4.25 for rater 0
    ratings.loc[0, "staff_2"] = 1    # staff mean (4*4 + 1) / 5 = 3.4
    res = nps.self_assessment(ratings)
    first = res.raters[0]
    assert first.culture == pytest.approx(4.25) and first.staff == pytest.approx(3.4)
    assert first.total == pytest.approx(4.25 + 3.4 + 4 * 5)
    assert first.band == "adequate"  # 27.65
    assert res.raters[1].total == pytest.approx(21) and res.raters[1].band == "adequate"
    assert res.raters[2].total == pytest.approx(14) and res.raters[2].band == "losing customers"
    assert res.total == pytest.approx((27.65 + 21 + 14) / 3) and res.band == "losing customers"
    assert res.band_counts == {"asset": 0, "adequate": 2, "losing customers": 1}
    assert res.area_means["culture"] == pytest.approx((4.25 + 3 + 2) / 3)


@pytest.mark.parametrize(("total", "band"), [(35, "asset"), (28, "asset"), (27.999, "adequate"),
                                             (21, "adequate"), (20.999, "losing customers"), (7, "losing customers")])
def test_band_boundaries(total, band):
    assert nps.self_assessment_band(total) == band


def test_band_of_a_total_that_is_28_up_to_rounding_is_asset():
    # 4 repeated as means of 3 statements: sums of floating means must still reach the 28 boundary
    ratings = _ratings({a: [4] for a in nps.SELF_ASSESSMENT_AREAS})
    assert nps.self_assessment(ratings).raters[0].band == "asset"


def test_missing_statements_are_an_error_by_default_and_area_means_on_request():
    ratings = _ratings({a: [4, 2] for a in nps.SELF_ASSESSMENT_AREAS})
    ratings.loc[1, "staff_3"] = np.nan
    with pytest.raises(nps.NPSInputError) as err:
        nps.self_assessment(ratings)
    assert err.value.column == "staff_3" and err.value.rows[0][0] == 1
    dropped = ratings.drop(columns=["comments_2"])
    with pytest.raises(nps.NPSInputError, match="missing statement column"):
        nps.self_assessment(dropped)
    ratings.loc[1, "staff_1"] = 5
    res = nps.self_assessment(dropped.assign(staff_1=ratings["staff_1"], staff_3=ratings["staff_3"]),
                              missing="area-mean")
    assert res.raters[1].staff == pytest.approx((5 + 2 + 2 + 2) / 4)
    assert res.raters[0].imputed == 1 and res.raters[1].imputed == 2 and res.imputed == 3


def test_an_area_without_any_answer_is_an_error_even_with_area_mean():
    ratings = _ratings({a: [4] for a in nps.SELF_ASSESSMENT_AREAS})
    ratings[["comments_1", "comments_2", "comments_3"]] = np.nan
    with pytest.raises(nps.NPSInputError, match="area 'comments' has no answered statement"):
        nps.self_assessment(ratings, missing="area-mean")


def test_unknown_statement_columns_and_out_of_scale_ratings_are_errors():
    ratings = _ratings({a: [4] for a in nps.SELF_ASSESSMENT_AREAS})
    with pytest.raises(nps.NPSInputError, match="unknown self-assessment statement column"):
        nps.self_assessment(ratings.assign(culture_9=3))
    with pytest.raises(nps.NPSInputError, match="outside the 1-5 scale"):
        nps.self_assessment(ratings.assign(knowing_2=6))


def test_self_assessment_generator_truth_is_exact():
    company, _ = datasets.self_assessment_data(n_company=20000, n_customers=10, seed=9)
    res = nps.self_assessment(company, rater="rater")
    truth = company.attrs["truth"]
    for area, mean in truth["company"].items():
        assert res.area_means[area] == pytest.approx(mean, abs=0.02)
    assert res.total == pytest.approx(truth["company_total"], abs=0.06)


# --------------------------------------------------------------- importance-performance


def test_importance_performance_quadrants_by_hand():
    perf = {"a": 4.5, "b": 2.0, "c": 3.0, "d": 4.0}
    imp = {"a": 4.8, "b": 4.6, "c": 2.0, "d": 2.6}
    res = nps.importance_performance(perf, imp)
    assert res.performance_centre == pytest.approx(3.375) and res.importance_centre == pytest.approx(3.5)
    assert {r.item: r.quadrant for r in res.items} == {
        "a": "keep up the good work", "b": "concentrate here", "c": "low priority", "d": "possible overkill"}
    scale = nps.importance_performance(perf, imp, centre="scale")
    # c sits on the performance crosshair (3.0), which counts as high
    assert scale.importance_centre == 3.0 and scale.quadrant("possible overkill") == ["c", "d"]


def test_importance_performance_from_answers_uses_item_means(sample):
    _, customers = sample
    importance = datasets.gap_importance_data(n=150, seed=4)
    items = list(datasets.GAP_IMPORTANCE_SHIFT)
    res = nps.importance_performance(customers, importance, items=items)
    for row in res.items:
        assert row.performance == pytest.approx(customers[row.item].mean())
        assert row.importance == pytest.approx(importance[row.item].mean())


# --------------------------------------------------------------------- generator, samples


def test_gap_generator_truth_is_exact_for_large_samples():
    company, customers = datasets.gap_survey_data(n_company=60000, n_customers=60000, missing_rate=0.0, seed=1)
    truth = company.attrs["truth"]["items"]
    for item, t in truth.items():
        assert company[item].mean() == pytest.approx(t["mean_company"], abs=0.02)
        assert customers[item].mean() == pytest.approx(t["mean_customers"], abs=0.02)
        assert 100 * (customers[item] == 5).mean() == pytest.approx(t["top_box_customers"], abs=0.8)
    assert truth["respect"]["label"] == "reverse gap" and truth["product_knowledge"]["label"] == "no gap"
    assert truth["superior"]["top_box_company"] == pytest.approx(80, abs=1e-9)
    assert truth["superior"]["top_box_customers"] == pytest.approx(8, abs=1e-9)


@pytest.mark.parametrize("name", ["gap_company", "gap_customers", "gap_importance",
                                  "self_assessment_company", "self_assessment_customers"])
def test_gap_samples_regenerate_byte_identically(name, tmp_path):
    written = datasets.regenerate_samples([name], tmp_path)[0]
    assert written.read_bytes() == datasets.sample_path(name).read_bytes()


# ------------------------------------------------------------------------ false discovery


def _null_survey_counts(rng, reps, n, m, cuts=(-1.5, -0.8, 0.0, 0.9)):
    """(reps, m, 5) counts of n respondents answering m correlated items, the same law on both sides."""
    latent = np.sqrt(0.3) * rng.standard_normal((reps, n, 1)) + np.sqrt(0.7) * rng.standard_normal((reps, n, m))
    answers = np.searchsorted(np.array(cuts), latent.ravel()).reshape(reps, n, m)
    return np.stack([(answers == k).sum(1) for k in range(5)], axis=-1)


def test_false_discovery_rate_under_no_gap_stays_at_target():
    """Complete null: 15 correlated items, identical answer distributions on both sides; FDR =
    P(any rejection). 400 replicates: the Monte Carlo SE at 5% is 1.1 points.
    (benchmarks/gap_fdr.py runs 4,000 replicates over more designs.)"""
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(2026)
    reps, m = 400, 15
    company, customers = _null_survey_counts(rng, reps, 60, m), _null_survey_counts(rng, reps, 200, m)
    p_all = item_pvalues(company, customers, test="auto")  # t approximation: both sides >= 50
    bh = sum(multipletests(p, alpha=0.05, method="fdr_bh")[0].any() for p in p_all)
    raw = sum((p <= 0.05).any() for p in p_all)
    assert bh / reps <= 0.05 + 2.5 * math.sqrt(0.05 * 0.95 / reps)
    assert raw / reps > 0.3  # uncorrected: many items, many false alarms


def test_false_discovery_rate_with_the_permutation_version_stays_at_target():
    """A small company side (12): auto uses the studentized permutation test."""
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(7)
    reps, m = 250, 8
    company, customers = _null_survey_counts(rng, reps, 12, m), _null_survey_counts(rng, reps, 150, m)
    p_all = item_pvalues(company, customers, test="auto")  # exact permutation p-values
    bh = sum(multipletests(p, alpha=0.05, method="fdr_bh")[0].any() for p in p_all)
    assert bh / reps <= 0.05 + 2.5 * math.sqrt(0.05 * 0.95 / reps)
    assert np.mean(p_all <= 0.05) == pytest.approx(0.05, abs=0.02)  # 2,000 tests: SE 0.5 points


# -------------------------------------------------------------------- narrative, charts


def test_narrative_is_written_from_the_numbers(sample, sample_gap):
    company, customers = sample
    superior = nps.superior_service(company, customers, item="superior")
    text = nps.gap_narrative(sample_gap, superior=superior)
    n_gap = sum(r.label == "gap" for r in sample_gap.items)
    assert f"**{n_gap}** item(s)" in text
    assert f"{superior.company_share:.0f}% of company respondents" in text
    assert "respect" in text and "Reverse gap" in text
    assert sample_gap.family in text


def test_charts_draw_one_row_per_item_coloured_by_label(sample_gap):
    import matplotlib

    matplotlib.use("Agg")
    from nps_analysis.report.plots.gap import GAP_COLOURS

    fig = nps.gap_dumbbell(sample_gap)
    ax = fig.axes[0]
    lines = [line for line in ax.get_lines() if len(line.get_xdata()) == 2]
    assert len(lines) == len(sample_gap.items)
    colours = {matplotlib.colors.to_hex(line.get_color()) for line in lines}
    assert colours == {GAP_COLOURS[r.label] for r in sample_gap.items}
    assert len(nps.gap_dumbbell(sample_gap, level="dimensions").axes[0].get_yticks()) == 3
    company, _ = datasets.self_assessment_data(seed=2)
    card = nps.self_assessment_scorecard(nps.self_assessment(company, rater="rater"))
    assert len(card.axes) == 2
    ipa = nps.importance_performance({"a": 4, "b": 2}, {"a": 2, "b": 4})
    assert len(nps.importance_performance_chart(ipa).axes[0].collections) == 2
    import matplotlib.pyplot as plt

    plt.close("all")


def test_results_serialize_to_json(sample_gap):
    import json

    json.dumps(sample_gap.to_dict(), allow_nan=False)
    records = sample_gap.records()
    assert set(records[0]) >= {"item", "gap", "ci_lower", "ci_upper", "pvalue_adjusted", "label"}
    assert "<table" in sample_gap._repr_html_()


# -------------------------------------------------------------------------- command line


def test_cli_gap_json_matches_the_api_and_errors_exit_2(capsys, tmp_path):
    import json

    from nps_analysis.cli import main

    company, customers = datasets.sample_path("gap_company"), datasets.sample_path("gap_customers")
    code = main(["gap", str(company), str(customers), "--dimension", "speed=business", "--format", "json",
                 "--seed", "3"])
    out, _ = capsys.readouterr()
    assert code == 0
    data = json.loads(out)
    api = nps.survey_gap(company, customers, dimensions={"speed": "business"}, random_state=3)
    assert data["items"] == json.loads(json.dumps(api.to_dict()["items"]))
    assert main(["gap", str(company), str(customers)]) == 0
    assert "Corrected across the 10 items" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("respondent,speed\nE1,9\nE2,4\n")
    assert main(["gap", str(bad), str(customers), "--items", "speed"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "outside the 1-5 scale" in err and "row 2: '9'" in err
    assert main(["self-assessment", str(datasets.sample_path("self_assessment_company")), "--rater", "rater"]) == 0
    assert "Mean total" in capsys.readouterr().out


# ----------------------------------------------------------------------------- notebook

NOTEBOOK = datasets.data_dir().parent / "notebooks" / "survey_gap.ipynb"


def test_notebook_is_committed_clean_with_typed_parameters():
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    params = nps.notebook_parameters(NOTEBOOK)
    assert {"company_path", "customers_path", "item_dimensions", "scale_min", "scale_max", "correction",
            "output_dir"} <= set(params)


@pytest.mark.notebook
def test_notebook_runs_through_the_runner_and_records_what_the_package_computes(tmp_path):
    import json

    result = nps.run_notebook(NOTEBOOK, {"n_bootstrap": 200, "seed": 7, "correction": "holm"},
                              output_dir=tmp_path / "reports", cwd=tmp_path)
    assert result.ok, (result.run_dir / "run.log").read_text()
    recorded = nps.read_results(result.results_path)
    inputs = nps.gap_inputs()
    gap = nps.survey_gap(inputs.company, inputs.customers, dimensions=inputs.item_dimensions,
                         correction="holm", n_bootstrap=200, random_state=7)
    # results.json holds the JSON round trip of the same records, float for float
    assert recorded["items"] == json.loads(json.dumps(gap.records()))
    assert recorded["dimensions"] == json.loads(json.dumps(gap.dimension_records()))
    assessment = nps.self_assessment(inputs.self_assessment, rater="rater")
    assert recorded["self_assessment_total"] == pytest.approx(assessment.total)
    assert recorded["self_assessment_band"] == assessment.band
    assert recorded["superior_service"]["company_share"] == pytest.approx(
        nps.superior_service(inputs.company, inputs.customers, item="superior").company_share)
    assert "Holm" in recorded["family"]
    run_dir = result.run_dir
    for name in ("gap_items.png", "gap_dimensions.png", "self_assessment.png", "self_assessment_areas.png",
                 "importance_performance.png",
                 "gap_items.csv", "report.html"):
        assert (run_dir / name).exists(), name
