"""Tests of the experiment helpers: sample-ratio mismatch, response rates, arm table, segment and
power tables, the conclusion, and the readable tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nps_analysis as nps
from nps_analysis import datasets
from nps_analysis import experiment as ex
from nps_analysis.sources.errors import NPSInputError


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return datasets.experiment_data(1200, seed=11)


# ------------------------------------------------------------------------- sample-ratio mismatch


def test_srm_matches_pearson_chi_square_by_hand():
    r = ex.srm_from_counts({"control": 520, "a": 480, "b": 1000}, expected_allocation={"control": 1, "a": 1, "b": 2})
    # N = 2000; expected 500, 500, 1000: X^2 = 20^2/500 + 20^2/500 + 0 = 1.6, df = 2, p = exp(-0.8)
    assert r.statistic == pytest.approx(1.6)
    assert r.dof == 2
    assert r.pvalue == pytest.approx(math.exp(-0.8))
    assert r.expected == pytest.approx((500, 500, 1000)) and not r.mismatch


def test_srm_agrees_with_scipy_chisquare(frame):
    from scipy.stats import chisquare

    r = ex.sample_ratio_mismatch(frame, "arm", expected_allocation={"control": 0.5, "treatment_a": 0.25, "treatment_b": 0.25})
    observed = frame["arm"].value_counts().reindex(["control", "treatment_a", "treatment_b"]).to_numpy()
    ref = chisquare(observed, observed.sum() * np.array([0.5, 0.25, 0.25]))
    assert r.statistic == pytest.approx(ref.statistic) and r.pvalue == pytest.approx(ref.pvalue)
    assert r.mismatch  # the data were allocated equally, the plan says 50/25/25
    assert "SAMPLE RATIO MISMATCH" in r.message and "SAMPLE RATIO MISMATCH" in r._repr_html_()


def test_srm_counts_only_invited_rows(frame):
    data = frame.copy()
    data["invited"] = True
    data.loc[data["arm"] == "control", "invited"] = np.arange((data["arm"] == "control").sum()) % 2 == 0
    r = ex.sample_ratio_mismatch(data, "arm", invited="invited")
    assert r.observed[0] == int(((data["arm"] == "control") & data["invited"]).sum())
    assert r.mismatch and r.unit == "invited customers"


def test_srm_rejects_arms_without_planned_share(frame):
    with pytest.raises(NPSInputError, match="no planned share"):
        ex.sample_ratio_mismatch(frame, "arm", expected_allocation={"control": 1, "treatment_a": 1})


def test_srm_units_in_an_arm_planned_at_zero_are_a_mismatch():
    r = ex.srm_from_counts({"control": 100, "b": 3}, expected_allocation={"control": 1, "b": 0})
    assert r.pvalue == 0 and r.mismatch


def test_srm_false_alarm_rate_is_alpha_under_correct_allocation():
    """Under the planned allocation the test flags about alpha of experiments (2,000 simulated)."""
    rng = np.random.default_rng(5)
    draws = rng.multinomial(3000, [0.5, 0.3, 0.2], size=2000)
    alpha = 0.05
    flags = [
        ex.srm_from_counts({"c": d[0], "a": d[1], "b": d[2]}, expected_allocation={"c": 5, "a": 3, "b": 2}, alpha=alpha).mismatch
        for d in draws
    ]
    rate = np.mean(flags)
    assert abs(rate - alpha) < 4 * math.sqrt(alpha * (1 - alpha) / len(draws))  # within 4 SE (~0.02)
    # and it often catches 3% of the control arm going missing in 20,000 units (power ~0.47)
    lost = rng.multinomial(20000, np.array([0.5 * 0.97, 0.3, 0.2]) / (1 - 0.015), size=500)
    power = np.mean([ex.srm_from_counts({"c": d[0], "a": d[1], "b": d[2]}, expected_allocation={"c": 5, "a": 3, "b": 2}).pvalue < 0.05 for d in lost])
    assert power > 0.3


# ---------------------------------------------------------------------------- response rates


def test_response_rates_match_the_contingency_formula_and_wilson():
    from statsmodels.stats.proportion import proportion_confint

    data = pd.DataFrame(
        {
            "arm": ["c"] * 100 + ["t"] * 100,
            "responded": [True] * 60 + [False] * 40 + [True] * 45 + [False] * 55,
            "score": [9.0] * 200,
        }
    )
    r = ex.response_rates(data, "arm", score="score", responded="responded")
    assert r.rate == pytest.approx((0.6, 0.45))
    # 2x2 table [[60, 40], [45, 55]]: X^2 = N (ad - bc)^2 / (row and column totals)
    x2 = 200 * (60 * 55 - 40 * 45) ** 2 / (100 * 100 * 105 * 95)
    assert r.statistic == pytest.approx(x2)
    assert r.pvalue == pytest.approx(math.erfc(math.sqrt(x2 / 2)))  # chi2 with 1 df
    lo, hi = proportion_confint(60, 100, method="wilson")
    assert (r.ci_lower[0], r.ci_upper[0]) == pytest.approx((lo, hi))
    assert r.unequal and r.largest_gap == pytest.approx(0.15)
    assert "UNEQUAL RESPONSE RATES" in r.message


def test_response_defaults_to_having_a_score_and_handles_everyone_answering(frame):
    r = ex.response_rates(frame, "arm", score="score")
    by_hand = frame.groupby("arm")["score"].apply(lambda s: s.notna().mean())
    assert r.rate == pytest.approx(tuple(by_hand.sort_index()))
    everyone = frame.dropna(subset=["score"])
    r2 = ex.response_rates(everyone, "arm", score="score")
    assert r2.pvalue == 1.0 and not r2.unequal


def test_unequal_response_rates_are_flagged_in_generated_data():
    data = datasets.experiment_data(3000, seed=3, response_rate={"control": 0.5, "treatment_a": 0.3, "treatment_b": 0.5})
    r = ex.response_rates(data, "arm", score="score", invited="invited", responded="responded")
    assert r.unequal and r.pvalue < 1e-6


@given(st.lists(st.sampled_from(["true", "False", "1", "0", "yes", "NO", " y ", "n"]), min_size=1, max_size=30))
def test_flags_parse_every_yes_no_spelling(values):
    parsed = ex.as_flags(pd.Series(values), column="responded")
    assert parsed.tolist() == [v.strip().lower() in ("true", "1", "yes", "y") for v in values]


def test_flags_reject_other_values_naming_rows():
    with pytest.raises(NPSInputError, match=r"column 'responded'.*row 1: 'maybe'"):
        ex.as_flags(pd.Series(["yes", "maybe"]), column="responded")


# ------------------------------------------------------------------------------- NPS per arm


def test_arm_table_matches_counts_and_intervals(frame):
    table = ex.arm_table(frame, score="score", group="arm", arms=["control", "treatment_b"], method="wald",
                         confidence_level=0.9)
    assert list(table["group"]) == ["control", "treatment_b"]
    for row in table.to_dict("records"):
        scores = frame.loc[frame["arm"] == row["group"], "score"].dropna().to_numpy()
        c = nps.NPSCounts((scores <= 6).sum(), ((scores >= 7) & (scores <= 8)).sum(), (scores >= 9).sum())
        ci = nps.nps_interval(c, method="wald", confidence_level=0.9)
        assert (row["n"], row["detractors"], row["promoters"]) == (c.n, c.detractors, c.promoters)
        assert (row["nps"], row["ci_lower"], row["ci_upper"]) == pytest.approx((ci.nps, ci.ci_lower, ci.ci_upper))


def test_arms_of_puts_control_first_and_checks_labels(frame):
    assert ex.arms_of(frame, "arm", "control") == ["control", "treatment_a", "treatment_b"]
    assert ex.arms_of(frame, "arm", "treatment_b", ["control"]) == ["treatment_b", "control"]
    with pytest.raises(NPSInputError, match="control 'ctrl' is not a value"):
        ex.arms_of(frame, "arm", "ctrl")


def test_load_experiment_uses_the_sample_and_subsets(tmp_path):
    full = ex.load_experiment("", score="score", group="arm")
    north = ex.load_experiment("", score="score", group="arm", subset={"region": "North"}, quarantine_dir=tmp_path)
    assert len(north) == (full["region"] == "North").sum() and set(north["region"]) == {"North"}
    assert north.attrs["rows_before_subset"] == len(full)
    with pytest.raises(NPSInputError, match="no rows left"):
        ex.load_experiment("", score="score", group="arm", subset={"region": "Atlantis"})


def test_data_check_counts_rows_answers_and_quarantine(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("arm,score,responded\ncontrol,9,true\ncontrol,11,true\ntreatment,,false\ntreatment,3,true\n")
    data = ex.load_experiment(path, score="score", group="arm", columns=["responded"], quarantine_dir=tmp_path)
    check = ex.data_check(data, score="score", group="arm", responded="responded")
    assert (check.rows_read, check.quarantined, check.rows_analysed, check.answers, check.missing_answers) == (4, 1, 3, 2, 1)
    assert check.responded == 2 and check.answers_per_arm == {"control": 1, "treatment": 1}
    assert (tmp_path / "quarantine.csv").exists()
    assert "rows quarantined" in check._repr_html_()


# ------------------------------------------------------------------------------- readability


def test_pretty_merges_intervals_formats_p_values_and_drops_empty_notes():
    table = pd.DataFrame(
        {"treatment": ["a", "b"], "difference": [7.1234, -2.0], "ci_lower": [1.0, -9.87], "ci_upper": [13.3, 5.55],
         "pvalue": [0.0004, 0.41234], "small": [False, True], "note": ["", ""]}
    )
    table.attrs["confidence_level"] = 0.9
    out = ex.pretty(table)
    assert out.index.name == "treatment"
    assert list(out.columns) == ["difference (points)", "90% interval", "p", "small"]
    assert out.loc["a", "90% interval"] == "1.0\u00a0to\u00a013.3"
    assert list(out["p"]) == ["< 0.001", "0.41"] and list(out["small"]) == ["", "yes"]
    assert out.loc["a", "difference (points)"] == 7.1
