"""Tests for nps_analysis.scoring: classification, NPSCounts, counts per group and CSAT.

Expected values are written out as arithmetic in each test or computed by an independent library
(pandas groupby/crosstab, statsmodels, scipy).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import nps_analysis as nps
from nps_analysis.stats.scoring import (
    NPSCounts,
    as_counts,
    counts_by_group,
    counts_from_distribution,
    parse_scores,
)

# ------------------------------------------------------------------------------------- classify


def test_classify_puts_each_answer_in_its_category():
    out = nps.classify(list(range(11)))
    assert out.tolist() == ["detractor"] * 7 + ["passive"] * 2 + ["promoter"] * 2
    assert list(out.cat.categories) == ["detractor", "passive", "promoter"]


@pytest.mark.parametrize(
    "values",
    [
        [0, 6, 7, 8, 9, 10],
        [0.0, 6.0, 7.0, 8.0, 9.0, 10.0],
        ["0", " 6", "7 ", " 8 ", "9.0", "+10"],
        np.array([0, 6, 7, 8, 9, 10], dtype=np.int8),
        np.array([0, 6, 7, 8, 9, 10], dtype=np.uint64),
        np.array([0, 6, 7, 8, 9, 10], dtype=np.float32),
        pd.Series([0, 6, 7, 8, 9, 10], dtype="Int64"),
        pd.Series([0, 6, 7, 8, 9, 10], dtype="Float64"),
        pd.Series(["0", "6", "7", "8", "9", "10"], dtype="string"),
        pd.Series([0, 6, 7, 8, 9, 10]).astype("category"),
        pd.Series(["0", "6", "7", "8", "9", "10"]).astype("category"),
        pd.Series([0, "6", 7.0, " 8", np.int64(9), 10], dtype=object),
    ],
    ids=["int", "float", "str", "int8", "uint64", "float32", "Int64", "Float64", "string",
         "cat-int", "cat-str", "object-mix"],
)
def test_classify_accepts_every_numeric_representation(values):
    out = nps.classify(values)
    assert out.tolist() == ["detractor", "detractor", "passive", "passive", "promoter", "promoter"]


@pytest.mark.parametrize(
    "values",
    [
        [9, None, 3, float("nan"), "", "  ", pd.NA],
        pd.Series([9, None, 3, None, None, None, None], dtype="Int64"),
        pd.Series([9, None, 3, np.nan, None, None, None], dtype="Float64"),
        pd.Series(["9", None, "3", "", " ", None, None], dtype="string"),
        pd.Series([9, None, 3, None, None, None, None]).astype("category"),
    ],
    ids=["object", "Int64", "Float64", "string", "category"],
)
def test_missing_answers_stay_missing_and_are_counted(values):
    out = nps.classify(values)
    assert out.iloc[0] == "promoter" and out.iloc[2] == "detractor"
    assert out.isna().sum() == 5
    assert out.attrs["missing"] == 5
    assert NPSCounts.from_scores(values) == NPSCounts(1, 0, 1)


def test_classify_keeps_the_index_and_name_of_a_series():
    s = pd.Series([10, 2], index=["x", "y"], name="ltr")
    out = nps.classify(s)
    assert list(out.index) == ["x", "y"] and out.name == "ltr"


@pytest.mark.parametrize(
    ("values", "bad"),
    [
        ([9, 9.5, 3], [(1, 9.5)]),
        ([11, 0, -1], [(0, 11), (2, -1)]),
        (["9", "nine", "7"], [(1, "nine")]),
        ([True, 9], [(0, True)]),
        (np.array([3, 12, 4]), [(1, 12)]),
        (np.array([3.0, np.inf, 4.0]), [(1, math.inf)]),
        (np.array([True, False]), [(0, True), (1, False)]),
        (pd.Series([True, False, None], dtype="boolean"), [(0, True), (1, False)]),
        (pd.Series([5, 15], dtype="Int64"), [(1, 15)]),
        (pd.Series(["5", "5.5"], dtype="string"), [(1, "5.5")]),
        (pd.Series(["5", "x"]).astype("category"), [(1, "x")]),
    ],
)
def test_invalid_values_raise_naming_positions_and_values(values, bad):
    with pytest.raises(nps.NPSInputError) as info:
        nps.classify(values)
    err = info.value
    assert err.count == len(bad)
    assert err.rows == bad
    for position, value in bad:
        assert f"row {position}: {value!r}" in str(err)


def test_invalid_values_are_quarantined_when_asked():
    out = nps.classify([9, 9.5, "x", None, 3, 11], on_invalid="quarantine")
    assert out.attrs["quarantined"] == [(1, 9.5), (2, "x"), (5, 11)]
    assert out.attrs["missing"] == 1
    assert out.tolist()[0] == "promoter" and out.tolist()[4] == "detractor"
    assert out.isna().sum() == 4


def test_integer_quarantine_is_honoured_by_from_scores():
    assert NPSCounts.from_scores(np.array([10, 11, 0]), on_invalid="quarantine") == NPSCounts(1, 0, 1)
    with pytest.raises(nps.NPSInputError):
        NPSCounts.from_scores(np.array([10, 11, 0]))


def test_error_positions_use_the_series_index():
    with pytest.raises(nps.NPSInputError) as info:
        nps.classify(pd.Series([1, 50], index=[10, 20]))
    assert info.value.rows == [(20, 50)]


def test_parse_scores_on_a_custom_scale_and_positions():
    parsed = parse_scores(["1", 5, None], low=1, high=5)
    assert parsed.values[:2].tolist() == [1.0, 5.0] and math.isnan(parsed.values[2])
    assert parsed.missing == 1
    with pytest.raises(nps.NPSInputError) as info:
        parse_scores([0, 3], low=1, high=5, positions=["a", "b"], column="csat", file="x.csv")
    assert info.value.rows == [("a", 0)]
    assert str(info.value).startswith("x.csv: column 'csat': 1 invalid score(s)")
    with pytest.raises(ValueError, match="on_invalid"):
        parse_scores([1], on_invalid="ignore")


def test_empty_input_gives_zero_counts():
    assert NPSCounts.from_scores([]) == NPSCounts(0, 0, 0)
    assert NPSCounts.from_scores(np.array([], dtype=float)) == NPSCounts(0, 0, 0)
    assert len(nps.classify([])) == 0


# ------------------------------------------------------------------------------------ NPSCounts


def test_npscounts_statistics_match_the_formulas():
    c = NPSCounts(detractors=20, passives=30, promoters=50)
    assert c.n == 100
    assert c.detractor_share == 0.2 and c.passive_share == 0.3 and c.promoter_share == 0.5
    assert c.nps == pytest.approx(100 * (0.5 - 0.2))
    # V = p_pro + p_det - (p_pro - p_det)^2 = 0.5 + 0.2 - 0.09
    assert c.variance == pytest.approx(0.61)
    # the same variance as the sample variance (ddof=0) of the -1/0/+1 values
    values = np.repeat([-1, 0, 1], [20, 30, 50])
    assert c.variance == pytest.approx(values.var())
    assert c.se == pytest.approx(100 * math.sqrt(0.61 / 100))


def test_all_promoters_and_all_one_category():
    assert NPSCounts(0, 0, 7).nps == 100 and NPSCounts(0, 0, 7).variance == 0
    assert NPSCounts(7, 0, 0).nps == -100 and NPSCounts(7, 0, 0).variance == 0
    assert NPSCounts(0, 7, 0).nps == 0 and NPSCounts(0, 7, 0).variance == 0


def test_empty_counts_have_nan_statistics():
    c = NPSCounts(0, 0, 0)
    assert c.n == 0
    assert all(math.isnan(v) for v in (c.nps, c.variance, c.se, c.promoter_share))
    assert c.to_dict()["nps"] is None


@pytest.mark.parametrize("bad", [-1, math.nan, math.inf, True, "3", None])
def test_npscounts_rejects_impossible_counts(bad):
    with pytest.raises(ValueError):
        NPSCounts(bad, 0, 0)


def test_adjusted_counts_add_rocks_pseudo_counts():
    assert NPSCounts(1, 2, 3).adjusted() == NPSCounts(1.75, 3.5, 3.75)
    assert NPSCounts(1, 2, 3).adjusted().n == 9


def test_counts_add_and_convert():
    assert NPSCounts(1, 2, 3) + NPSCounts(10, 20, 30) == NPSCounts(11, 22, 33)
    assert NPSCounts(1, 2, 3).as_array().tolist() == [1.0, 2.0, 3.0]
    assert NPSCounts(np.int64(4), np.float64(1.0), 2).to_dict() == {
        "detractors": 4, "passives": 1.0, "promoters": 2, "n": 7.0, "nps": pytest.approx(-100 * 2 / 7)
    }
    with pytest.raises(TypeError):
        NPSCounts(1, 2, 3) + (1, 2, 3)


def test_from_scores_matches_bincount_and_from_distribution():
    rng = np.random.default_rng(1)
    scores = rng.integers(0, 11, 5000)
    bins = np.bincount(scores, minlength=11)
    expected = NPSCounts(int(bins[:7].sum()), int(bins[7:9].sum()), int(bins[9:].sum()))
    assert NPSCounts.from_scores(scores) == expected
    assert NPSCounts.from_scores(scores.astype(float)) == expected
    assert NPSCounts.from_scores(scores.astype(str)) == expected
    assert NPSCounts.from_distribution(bins) == expected
    with pytest.raises(ValueError, match="11 counts"):
        NPSCounts.from_distribution([1, 2, 3])


def test_as_counts_reads_mappings_and_scores_but_not_tuples_as_counts():
    assert as_counts({"detractors": 1, "passives": 2, "promoters": 3}) == NPSCounts(1, 2, 3)
    assert as_counts((1, 2, 3)) == NPSCounts(3, 0, 0)  # three answers, all detractors
    c = NPSCounts(1, 1, 1)
    assert as_counts(c) is c


# --------------------------------------------------------------------------------------- counts


@pytest.fixture
def survey() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 600
    frame = pd.DataFrame(
        {
            "arm": rng.choice(["control", "treatment", None], n, p=[0.45, 0.45, 0.1]),
            "region": rng.choice(["north", "south"], n),
            "ltr": rng.integers(0, 11, n).astype(float),
        }
    )
    frame.loc[rng.random(n) < 0.1, "ltr"] = np.nan
    return frame


def _reference_counts(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """pandas groupby sums of category indicators: an independent route to the same table."""
    ltr = frame["ltr"]
    table = (
        frame.assign(detractors=ltr <= 6, passives=(ltr >= 7) & (ltr <= 8), promoters=ltr >= 9)
        .groupby(by, dropna=False)[["detractors", "passives", "promoters"]]
        .sum()
        .reset_index()
    )
    table["n"] = table[["detractors", "passives", "promoters"]].sum(axis=1)
    table["nps"] = 100 * (table["promoters"] - table["detractors"]) / table["n"]
    return table


@pytest.mark.parametrize("by", [["arm"], ["arm", "region"]])
def test_counts_per_group_match_pandas_groupby(survey, by):
    got = nps.counts(survey, score="ltr", by=by)
    want = _reference_counts(survey, by)
    key = lambda t: t.astype({c: object for c in by}).fillna({c: "<NA>" for c in by})  # noqa: E731
    merged = key(got).merge(key(want), on=by, suffixes=("", "_ref"))
    assert len(merged) == len(want) == len(got)
    for col in ["detractors", "passives", "promoters", "n", "nps"]:
        np.testing.assert_allclose(merged[col], merged[f"{col}_ref"])
    assert got.attrs["missing"] == int(survey["ltr"].isna().sum())
    assert list(got.columns) == [*by, "detractors", "passives", "promoters", "n", "nps"]


def test_counts_without_by_is_one_row(survey):
    got = nps.counts(survey, score="ltr")
    assert len(got) == 1
    assert NPSCounts(*got.loc[0, ["detractors", "passives", "promoters"]]) == NPSCounts.from_scores(survey["ltr"])


def test_group_with_a_missing_label_is_its_own_group_sorted_last():
    frame = pd.DataFrame({"arm": ["b", None, "a", np.nan], "q": [10, 1, 9, 7]})
    got = nps.counts(frame, "q", by="arm")
    assert got["arm"].iloc[:2].tolist() == ["a", "b"] and pd.isna(got["arm"].iloc[2])
    assert got[["detractors", "passives", "promoters"]].iloc[2].tolist() == [1, 1, 0]


def test_group_whose_answers_are_all_missing_gets_a_zero_row():
    frame = pd.DataFrame({"arm": ["a", "b", "b"], "q": [10, None, None]})
    got = nps.counts(frame, "q", by="arm")
    assert got["n"].tolist() == [1, 0]
    assert math.isnan(got["nps"].iloc[1])
    assert got.attrs["missing"] == 2


def test_categorical_groups_follow_category_order_and_skip_absent_categories():
    arm = pd.Categorical(["t", "c", "t", None], categories=["t", "c", "unused"])
    got = nps.counts(pd.DataFrame({"arm": arm, "q": [10, 0, 9, 8]}), "q", by="arm")
    assert got["arm"].tolist()[:2] == ["t", "c"] and pd.isna(got["arm"].iloc[2])
    assert isinstance(got["arm"].dtype, pd.CategoricalDtype)
    assert got["nps"].tolist() == [100.0, -100.0, 0.0]


@pytest.mark.parametrize(
    "labels",
    [
        pd.array([1, None, 1, 2], dtype="Int64"),
        np.array([True, False, True, True]),
        np.array([3, 1, 3, 2], dtype=np.int32),
        np.array([0.5, np.nan, 0.5, 1.5]),
        pd.to_datetime(["2024-01-01", None, "2024-01-01", "2024-01-02"]),
        np.array([1, "x", 1, 2.5], dtype=object),  # unorderable: first appearance order
    ],
    ids=["Int64", "bool", "int32", "float", "datetime", "mixed"],
)
def test_group_labels_of_any_dtype_keep_their_dtype_and_counts(labels):
    frame = pd.DataFrame({"g": labels, "q": [10, 0, 9, 7]})
    got = nps.counts(frame, "q", by="g")
    assert got["g"].dtype == frame["g"].dtype
    assert got["n"].sum() == 4
    ref = frame.groupby("g", dropna=False)["q"].size()
    assert sorted(got["n"].tolist()) == sorted(ref.tolist())


def test_group_column_named_like_an_answer_level_is_kept():
    frame = pd.DataFrame({0: ["a", "b", "a"], "q": [10, 1, 9]})
    got = nps.counts(frame, "q", by=0)
    assert got[0].tolist() == ["a", "b"] and got["promoters"].tolist() == [2, 0]
    dist = nps.score_distribution(pd.DataFrame({"g": ["a", "b", "a"], "q": [10, 1, 9]}), "q", by="g")
    assert counts_from_distribution(dist, by=["g"])["promoters"].tolist() == [2, 0]


def test_missing_column_error_names_the_columns_that_exist(survey):
    with pytest.raises(nps.NPSInputError, match=r"missing column\(s\) \['nope'\].*'arm', 'region', 'ltr'"):
        nps.counts(survey, score="nope")
    with pytest.raises(nps.NPSInputError, match="'segment'"):
        nps.counts(survey, score="ltr", by=["segment"])


def test_invalid_scores_in_counts_name_the_column_and_file():
    frame = pd.DataFrame({"g": ["a", "b"], "q": [3, 42]})
    with pytest.raises(nps.NPSInputError) as info:
        nps.counts(frame, "q", by="g", file="export.csv")
    assert info.value.column == "q" and info.value.file == "export.csv" and info.value.rows == [(1, 42)]
    got = nps.counts(frame, "q", by="g", on_invalid="quarantine")
    assert got["n"].tolist() == [1, 0] and got.attrs["quarantined"] == [(1, 42)]


def test_empty_frame_gives_empty_or_zero_table():
    frame = pd.DataFrame({"g": pd.Series([], dtype=object), "q": pd.Series([], dtype=float)})
    assert len(nps.counts(frame, "q", by="g")) == 0
    assert nps.counts(frame, "q")["n"].tolist() == [0]


def test_score_distribution_matches_crosstab(survey):
    got = nps.score_distribution(survey.dropna(subset=["arm"]), "ltr", by="arm")
    ref = pd.crosstab(survey["arm"], survey["ltr"]).reindex(columns=[float(k) for k in range(11)], fill_value=0)
    assert got["arm"].tolist() == list(ref.index)
    np.testing.assert_array_equal(got[list(range(11))].to_numpy(), ref.to_numpy())
    back = counts_from_distribution(got)
    pd.testing.assert_frame_equal(back, nps.counts(survey.dropna(subset=["arm"]), "ltr", by="arm"),
                                  check_like=False)


def test_counts_by_group_returns_npscounts():
    frame = pd.DataFrame({"arm": ["a", "a", "b"], "q": [10, 3, 8]})
    assert counts_by_group(frame, "q", "arm") == {"a": NPSCounts(1, 0, 1), "b": NPSCounts(0, 1, 0)}


def test_counts_requires_a_dataframe():
    with pytest.raises(TypeError, match="DataFrame"):
        nps.counts(pd.Series([1, 2]), "q")


# ----------------------------------------------------------------------------------------- CSAT


@pytest.mark.parametrize(("hits", "n"), [(0, 10), (3, 10), (10, 10), (1, 1), (57, 300)])
@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_wilson_interval_matches_statsmodels(hits, n, level):
    from statsmodels.stats.proportion import proportion_confint

    want = proportion_confint(hits, n, alpha=1 - level, method="wilson")
    assert nps.wilson_interval(hits, n, level) == pytest.approx(want, abs=1e-12)


def test_wilson_interval_edge_cases():
    assert all(math.isnan(v) for v in nps.wilson_interval(0, 0))
    with pytest.raises(ValueError):
        nps.wilson_interval(5, 4)
    with pytest.raises(ValueError):
        nps.wilson_interval(1, 4, confidence_level=95)


def test_csat_top_box_share_wilson_interval_and_mean_t_interval():
    from scipy import stats
    from statsmodels.stats.proportion import proportion_confint

    answers = [5, 4, 3, 2, 5, 1, 4, 4, None]
    r = nps.csat(answers)
    values = np.array([5, 4, 3, 2, 5, 1, 4, 4], dtype=float)
    assert r.n == 8 and r.missing == 1
    assert r.top_box_count == 5  # answers 4 and 5
    assert r.csat == pytest.approx(100 * 5 / 8)
    lo, hi = proportion_confint(5, 8, alpha=0.05, method="wilson")
    assert (r.ci_lower, r.ci_upper) == pytest.approx((100 * lo, 100 * hi))
    assert r.mean == pytest.approx(values.mean())
    half = stats.t.ppf(0.975, 7) * values.std(ddof=1) / math.sqrt(8)
    assert (r.mean_ci_lower, r.mean_ci_upper) == pytest.approx((values.mean() - half, values.mean() + half))


def test_csat_custom_scale_and_top_box():
    r = nps.csat([10, 9, 8, 0, 7], scale=(0, 10), top_box=3)  # top-3-box: 8, 9, 10
    assert r.top_box_count == 3 and r.csat == 60.0
    r1 = nps.csat([5, 4, 5], top_box=1)
    assert r1.top_box_count == 2


def test_csat_mean_interval_is_clipped_to_the_scale():
    r = nps.csat([5, 5, 4])
    assert r.mean_ci_upper == 5.0 and r.mean_ci_lower < r.mean


def test_csat_edge_cases_and_validation():
    empty = nps.csat([None, None])
    assert empty.n == 0 and empty.missing == 2 and math.isnan(empty.csat) and math.isnan(empty.mean)
    single = nps.csat([4])
    assert single.csat == 100 and math.isnan(single.mean_ci_lower)
    with pytest.raises(nps.NPSInputError):
        nps.csat([6])
    for bad in [{"top_box": 1.5}, {"top_box": 0}, {"top_box": 5}, {"scale": (5, 1)}, {"scale": (1.0, 5)},
                {"confidence_level": 1.0}]:
        with pytest.raises(ValueError):
            nps.csat([4, 5], **bad)


def test_counts_separates_missing_from_quarantined_answers():
    frame = pd.DataFrame({"g": ["a", "a", "b", "b", "b"], "q": [3.0, np.nan, 9.5, 10.0, np.nan]})
    got = nps.counts(frame, "q", by="g", on_invalid="quarantine")
    assert got["n"].tolist() == [1, 1]
    assert got.attrs["missing"] == 2 and got.attrs["quarantined"] == [(2, 9.5)]
    plain = nps.counts(frame.drop(index=2), "q", by="g")
    assert plain.attrs["missing"] == 2 and plain["n"].tolist() == [1, 1]


@pytest.mark.parametrize("n", [70_000, 200_003])  # longer than one counting block
def test_block_counting_matches_a_single_bincount(n):
    rng = np.random.default_rng(n)
    scores = rng.integers(0, 11, n).astype(float)
    scores[rng.random(n) < 0.05] = np.nan
    arm = rng.integers(0, 4, n)
    frame = pd.DataFrame({"arm": arm, "q": scores})
    got = nps.counts(frame, "q", by="arm")
    valid = ~np.isnan(scores)
    flat = np.bincount(arm[valid] * 11 + scores[valid].astype(int), minlength=44).reshape(4, 11)
    np.testing.assert_array_equal(got["detractors"], flat[:, :7].sum(axis=1))
    np.testing.assert_array_equal(got["passives"], flat[:, 7:9].sum(axis=1))
    np.testing.assert_array_equal(got["promoters"], flat[:, 9:].sum(axis=1))
    assert got.attrs["missing"] == int((~valid).sum())
    scores[n - 1] = 10.5  # an invalid value in the last block still raises with its position
    with pytest.raises(nps.NPSInputError) as info:
        NPSCounts.from_scores(scores)
    assert info.value.rows == [(n - 1, 10.5)]


@pytest.mark.parametrize("bad", [pd.DataFrame({"q": [9, 10]}), "9 10", b"9", {"a": 9}])
def test_inputs_that_would_be_misread_as_answers_are_rejected(bad):
    with pytest.raises(TypeError, match="sequence of answers"):
        nps.classify(bad)
    with pytest.raises(TypeError):
        NPSCounts.from_scores(bad)
