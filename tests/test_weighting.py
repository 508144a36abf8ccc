"""Survey weights: raking and post-stratification pinned to hand arithmetic and to samplics,
non-response weights, weighted counts, Kish effective n and the linearisation variance."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nps_analysis.sources.errors import NPSInputError
from nps_analysis.stats.intervals import nps_interval
from nps_analysis.stats.scoring import NPSCounts, counts
from nps_analysis.stats.weighting import (
    WeightedNPSCounts,
    kish_effective_n,
    poststratify,
    rake,
    response_weights,
    weighted_counts,
    weighted_nps_interval,
    weighting_report,
)


def table_2x2() -> pd.DataFrame:
    """Cells (n,a) x2, (n,b) x1, (s,a) x1, (s,b) x4: 8 respondents."""
    region = ["n", "n", "n", "s", "s", "s", "s", "s"]
    plan = ["a", "a", "b", "a", "b", "b", "b", "b"]
    return pd.DataFrame({"region": region, "plan": plan, "q": [10, 9, 3, 7, 10, 0, 8, 9]},
                        index=[f"r{i}" for i in range(8)])


def test_rake_2x2_matches_hand_arithmetic():
    # IPF keeps the odds ratio of the 2x2 table (Bishop, Fienberg & Holland 1975, ch. 3), so the
    # fitted (n,a) total x solves x (R2 - C1 + x) = OR (R1 - x)(C1 - x) with OR = 2*4/(1*1) = 8.
    df = table_2x2()
    w = rake(df, {"region": {"n": 0.5, "s": 0.5}, "plan": {"a": 0.4, "b": 0.6}}, tol=1e-12)
    r1, r2, c1, odds = 4.0, 4.0, 3.2, 8.0
    # 7 x^2 - 58.4 x + 102.4 = 0 for these numbers; the root inside (0, min(R1, C1)):
    a, b, c = 1 - odds, (r2 - c1) + odds * (r1 + c1), -odds * r1 * c1
    roots = np.roots([a, b, c])
    x = float(roots[(roots > 0) & (roots < c1)][0])
    assert x == pytest.approx((58.4 - math.sqrt(58.4**2 - 4 * 7 * 102.4)) / 14)
    fitted = {("n", "a"): x, ("n", "b"): r1 - x, ("s", "a"): c1 - x, ("s", "b"): r2 - c1 + x}
    size = {("n", "a"): 2, ("n", "b"): 1, ("s", "a"): 1, ("s", "b"): 4}
    expected = [fitted[(r, p)] / size[(r, p)] for r, p in zip(df.region, df.plan, strict=True)]
    # total 8 = n, so cell totals are already on the mean-1 scale
    assert w.tolist() == pytest.approx(expected, rel=1e-9)
    assert w.mean() == pytest.approx(1.0)
    assert list(w.index) == list(df.index) and w.name == "weight"
    report = w.attrs["weighting"]
    assert report.converged and report.max_margin_error < 1e-12 and report.method == "rake"
    assert report.effective_n == pytest.approx(w.sum() ** 2 / (w**2).sum())
    assert report.design_effect == pytest.approx(8 / report.effective_n)


def test_rake_accepts_totals_and_reports_population_total():
    df = table_2x2()
    shares = rake(df, {"region": {"n": 0.5, "s": 0.5}, "plan": {"a": 0.4, "b": 0.6}}, tol=1e-12)
    totals = rake(df, {"region": {"n": 500, "s": 500}, "plan": {"a": 400, "b": 600}}, tol=1e-12)
    assert totals.tolist() == pytest.approx(shares.tolist(), rel=1e-9)
    assert totals.attrs["weighting"].population_total == pytest.approx(1000)
    assert shares.attrs["weighting"].population_total is None


def test_rake_with_base_weights_multiplies_them_in():
    df = table_2x2()
    # One margin only: raking is then post-stratification on that column, in one step.
    base = np.array([1, 3, 1, 1, 1, 1, 1, 2], float)
    w = rake(df, {"region": {"n": 0.5, "s": 0.5}}, base_weights=base)
    n_base, s_base = base[:3].sum(), base[3:].sum()
    expected = np.r_[base[:3] * 0.5 / n_base, base[3:] * 0.5 / s_base]
    assert w.to_numpy() == pytest.approx(expected / expected.mean())


def test_rake_agrees_with_samplics():
    samplics = pytest.importorskip("samplics.weighting")
    rng = np.random.default_rng(7)
    n = 300
    df = pd.DataFrame({"region": rng.choice(["n", "s", "e", "w"], n, p=[0.4, 0.3, 0.2, 0.1]),
                       "plan": rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1])})
    margins = {"region": {"n": 0.25, "s": 0.25, "e": 0.25, "w": 0.25},
               "plan": {"a": 0.4, "b": 0.4, "c": 0.2}}
    ours = rake(df, margins, tol=1e-12)
    control = {k: {c: v * n for c, v in d.items()} for k, d in margins.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = samplics.SampleWeight().rake(
            samp_weight=np.ones(n), margins={"region": df.region.to_numpy(), "plan": df.plan.to_numpy()},
            control=control, tol=1e-12, max_iter=1000)
    assert ours.to_numpy() == pytest.approx(theirs / theirs.mean(), rel=1e-7)


def test_poststratify_agrees_with_hand_and_samplics():
    df = table_2x2()
    pop = {("n", "a"): 0.3, ("n", "b"): 0.2, ("s", "a"): 0.1, ("s", "b"): 0.4}
    w = poststratify(df, pop, by=["region", "plan"])
    size = {("n", "a"): 2, ("n", "b"): 1, ("s", "a"): 1, ("s", "b"): 4}
    raw = np.array([pop[(r, p)] / size[(r, p)] for r, p in zip(df.region, df.plan, strict=True)])
    assert w.to_numpy() == pytest.approx(raw / raw.mean())
    assert w.attrs["weighting"].max_margin_error < 1e-12
    samplics = pytest.importorskip("samplics.weighting")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = samplics.SampleWeight().poststratify(
            samp_weight=np.ones(8), control={f"{r}|{p}": v * 8 for (r, p), v in pop.items()},
            domain=(df.region + "|" + df.plan).to_numpy())
    assert w.to_numpy() == pytest.approx(theirs / theirs.mean())


def test_poststratify_accepts_a_frame_of_totals_and_a_series():
    df = table_2x2()
    frame = pd.DataFrame({"region": ["n", "s"], "customers": [300, 700]})
    w = poststratify(df, frame, by="region")
    assert w[df.region == "n"].sum() / w.sum() == pytest.approx(0.3)
    s = poststratify(df, pd.Series({"n": 0.3, "s": 0.7}), by="region")
    assert s.tolist() == pytest.approx(w.tolist())
    assert w.attrs["weighting"].population_total == pytest.approx(1000)


@pytest.mark.parametrize(
    ("margins", "message"),
    [
        ({"region": {"n": 0.5, "s": 0.3, "x": 0.2}}, "no respondents"),
        ({"region": {"n": 1.0}}, "no target"),
        ({"region": {"n": 0.5, "s": 0.4}}, "sum to 0.9"),
        ({"region": {"n": 50, "s": 50}, "plan": {"a": 40, "b": 70}}, "different totals"),
        ({"area": {"n": 1.0}}, "missing column"),
        ({"region": {"n": -0.5, "s": 1.5}}, ">= 0"),
    ],
)
def test_rake_errors_name_the_problem(margins, message):
    with pytest.raises(NPSInputError, match=message):
        rake(table_2x2(), margins)


def test_rake_with_impossible_trim_does_not_converge():
    with pytest.raises(NPSInputError, match="did not converge.*widen trim"):
        rake(table_2x2(), {"region": {"n": 0.9, "s": 0.1}}, trim=(0.8, 1.2), max_iter=50)


def test_rake_trim_bounds_hold_and_are_reported():
    rng = np.random.default_rng(3)
    g = rng.choice(["a", "b", "c"], 500, p=[0.6, 0.3, 0.1])
    # (c, x) is rare, so raking alone gives it a weight near 10
    h = np.where(rng.random(500) < np.where(g == "c", 0.1, 0.3), "x", "y")
    df = pd.DataFrame({"g": g, "h": h})
    margins = {"g": {"a": 0.4, "b": 0.35, "c": 0.25}, "h": {"x": 0.5, "y": 0.5}}
    free = rake(df, margins)
    assert free.max() > 8 and free.attrs["weighting"].trimmed == 0
    w = rake(df, margins, trim=(0.2, 4.0))
    report = w.attrs["weighting"]
    assert report.trim == (0.2, 4.0) and report.trimmed >= 1
    assert w.max() == pytest.approx(4.0, rel=1e-5) and w.mean() == pytest.approx(1.0)
    assert report.max_margin_error < 1e-6
    assert report.effective_n > free.attrs["weighting"].effective_n  # trimming buys precision


def test_missing_label_in_a_margin_column_is_an_error():
    df = table_2x2()
    df.loc["r2", "region"] = None
    with pytest.raises(NPSInputError, match="no label.*r2"):
        rake(df, {"region": {"n": 0.5, "s": 0.5}})


def test_poststratify_errors_for_empty_and_unknown_cells():
    df = table_2x2()
    with pytest.raises(NPSInputError, match="empty cell"):
        poststratify(df, {"n": 0.3, "s": 0.6, "e": 0.1}, by="region")
    with pytest.raises(NPSInputError, match="not in the population"):
        poststratify(df, {"n": 1.0}, by="region")
    with pytest.raises(NPSInputError, match="sum to 0.9"):
        poststratify(df, {"n": 0.3, "s": 0.6}, by="region")


# --------------------------------------------------------------------------- response weights


def invitations() -> pd.DataFrame:
    team = ["a"] * 10 + ["b"] * 20
    responded = [True] * 8 + [False] * 2 + [True] * 5 + [False] * 15
    return pd.DataFrame({"team": team, "responded": responded})


def test_cell_response_weights_are_inverse_cell_rates():
    inv = invitations()
    w = response_weights(inv, "responded", by="team")
    # a: rate 0.8 -> 1.25; b: rate 0.25 -> 4; mean over the 13 respondents = (8*1.25 + 5*4)/13
    raw = np.array([1.25] * 8 + [4.0] * 5)
    assert w.dropna().to_numpy() == pytest.approx(raw / raw.mean())
    assert w[~inv.responded].isna().all()
    assert w.dropna().mean() == pytest.approx(1.0)
    # the weighted respondents reproduce the invited mix exactly
    assert w.attrs["weighting"].max_margin_error < 1e-12


def test_logistic_response_weights_with_one_factor_equal_the_cell_weights():
    pytest.importorskip("statsmodels")
    inv = invitations()
    cell = response_weights(inv, "responded", by="team")
    logit = response_weights(inv, "responded", by="team", method="logistic")
    assert logit.dropna().to_numpy() == pytest.approx(cell.dropna().to_numpy(), rel=1e-6)
    assert logit.attrs["weighting"].method == "response-logistic"


def test_response_weights_error_for_a_cell_without_respondents():
    inv = invitations()
    inv.loc[inv.team == "b", "responded"] = False
    with pytest.raises(NPSInputError, match="no respondents"):
        response_weights(inv, "responded", by="team")
    with pytest.raises(NPSInputError, match="true/false"):
        response_weights(inv.assign(responded="yes"), "responded", by="team")


# ---------------------------------------------------------------------------- weighted counts


def test_weighted_counts_by_hand():
    df = pd.DataFrame({"g": ["x", "x", "x", "y", "y"], "q": [10, 7, 2, 9, None],
                       "w": [2.0, 1.0, 0.5, 3.0, np.nan]})
    t = weighted_counts(df, "q", by="g", weights="w", squares=True)
    x = t[t.g == "x"].iloc[0]
    assert (x.detractors, x.passives, x.promoters) == (0.5, 1.0, 2.0)
    assert x.nps == pytest.approx(100 * (2.0 - 0.5) / 3.5)
    assert x.n == 3 and x.effective_n == pytest.approx(3.5**2 / (4 + 1 + 0.25))
    assert x.promoters_w2 == 4.0 and x.detractors_w2 == 0.25
    y = t[t.g == "y"].iloc[0]
    assert y.n == 1 and y.promoters == 3.0 and y.effective_n == pytest.approx(1.0)
    assert list(t.columns[:7]) == ["g", "detractors", "passives", "promoters", "n", "nps", "effective_n"]


def test_answer_without_weight_is_an_error_naming_the_row():
    df = pd.DataFrame({"q": [10, 7, 2], "w": [1.0, np.nan, 1.0]})
    with pytest.raises(NPSInputError, match="no weight.*row 1"):
        weighted_counts(df, "q", weights="w")
    with pytest.raises(NPSInputError, match="negative"):
        weighted_counts(df.assign(w=[1.0, -1.0, 1.0]), "q", weights="w")


def test_equal_weights_reproduce_the_unweighted_counts():
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"g": rng.choice(["a", "b", "c"], 200), "q": rng.integers(0, 11, 200)})
    plain = counts(df, "q", by="g")
    weighted = weighted_counts(df, "q", by="g", weights=np.ones(200))
    for col in ("detractors", "passives", "promoters", "n", "nps"):
        assert weighted[col].to_numpy() == pytest.approx(plain[col].to_numpy())
    assert weighted["effective_n"].to_numpy() == pytest.approx(plain["n"].to_numpy())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10), st.integers(0, 4), st.sampled_from("ab")), min_size=1, max_size=40))
def test_integer_weights_act_as_replicated_rows(rows):
    df = pd.DataFrame(rows, columns=["q", "w", "g"])
    weighted = weighted_counts(df, "q", by="g", weights="w")
    replicated = df.loc[df.index.repeat(df["w"])]
    plain = counts(replicated, "q", by="g") if len(replicated) else None
    for g in weighted["g"]:
        row = weighted[weighted.g == g].iloc[0]
        if plain is None or g not in set(plain["g"]):
            assert row.detractors + row.passives + row.promoters == 0
            continue
        ref = plain[plain.g == g].iloc[0]
        assert (row.detractors, row.passives, row.promoters) == (ref.detractors, ref.passives, ref.promoters)
        assert row.nps == pytest.approx(ref.nps)


def test_linearized_variance_matches_the_row_formula():
    rng = np.random.default_rng(11)
    q = rng.integers(0, 11, 150)
    w = rng.gamma(2.0, 1.0, 150)
    t = weighted_counts(pd.DataFrame({"q": q}), "q", weights=w, squares=True)
    c = WeightedNPSCounts.from_row(t.iloc[0])
    y = np.where(q >= 9, 1.0, np.where(q >= 7, 0.0, -1.0))
    mean = np.sum(w * y) / w.sum()
    z = w * (y - mean) / w.sum()
    v = len(y) / (len(y) - 1) * np.sum(z**2)  # Lohr sec. 9.1 with-replacement linearisation
    assert c.linearized_variance() == pytest.approx(v)
    assert c.linearized_se == pytest.approx(100 * math.sqrt(v))
    assert c.effective_n == pytest.approx(kish_effective_n(w))
    # Equal weights: the linearisation variance is the sample variance / n (ddof 1)
    ones = WeightedNPSCounts.from_row(weighted_counts(pd.DataFrame({"q": q}), "q", weights=np.ones(150), squares=True).iloc[0])
    assert ones.linearized_variance() == pytest.approx(np.var(y, ddof=1) / 150)


def test_weighted_interval_uses_the_effective_sample_size():
    c = WeightedNPSCounts(detractors=30.0, passives=20.0, promoters=50.0, n=100, effective_n=64.0)
    eff = c.effective_counts()
    assert eff.n == pytest.approx(64.0) and eff.nps == pytest.approx(20.0)
    r = weighted_nps_interval(c, method="wald")
    v = 0.8 - 0.2**2
    assert r.nps == pytest.approx(20.0)
    assert r.ci_upper - r.nps == pytest.approx(1.959964 * 100 * math.sqrt(v / 64), rel=1e-5)
    assert c.se == pytest.approx(100 * math.sqrt(v / 64))
    # Weights all 1: the weighted interval is the unweighted one
    plain = WeightedNPSCounts(30.0, 20.0, 50.0, n=100, effective_n=100.0)
    assert weighted_nps_interval(plain).ci_lower == pytest.approx(nps_interval(NPSCounts(30, 20, 50)).ci_lower)
    with pytest.raises(ValueError, match="cannot exceed"):
        WeightedNPSCounts(30.0, 20.0, 50.0, n=10, effective_n=64.0)


def test_weighting_report_shows_both_nps():
    df = table_2x2()
    w = rake(df, {"region": {"n": 0.2, "s": 0.8}})
    report = weighting_report(w, df, "q")
    assert report.nps_unweighted == pytest.approx(counts(df, "q")["nps"].iloc[0])
    assert report.nps_weighted == pytest.approx(weighted_counts(df, "q", weights=w)["nps"].iloc[0])
    assert report.largest[0][1] == pytest.approx(w.max()) and report.smallest[0][1] == pytest.approx(w.min())
    given_report = weighting_report(pd.Series([1.0, 3.0]))
    assert given_report.method == "given" and given_report.effective_n == pytest.approx(16 / 10)
    assert report.to_dict()["design_effect"] == pytest.approx(report.design_effect)


# ------------------------------------------------------------- the counting path (phase 2)


def weighted_frame() -> pd.DataFrame:
    rng = np.random.default_rng(21)
    df = pd.DataFrame({"team": rng.choice(["a", "b"], 300), "plan": rng.choice([1, 2], 300),
                       "score": rng.integers(0, 11, 300).astype(float), "w": rng.gamma(3.0, 0.4, 300)})
    df.loc[[4, 9], "score"] = np.nan
    df.loc[9, "w"] = np.nan  # a non-response may lack a weight
    return df


@pytest.mark.parametrize("engine", ["polars", "duckdb", "pyarrow"])
def test_engine_weighted_counts_equal_pandas(engine):
    import nps_analysis as nps

    df = weighted_frame()
    expected = nps.counts(df, "score", by=["team", "plan"], weights="w")
    if engine == "polars":
        pl = pytest.importorskip("polars")
        data = pl.from_pandas(df)
    elif engine == "duckdb":
        duckdb = pytest.importorskip("duckdb")
        con = duckdb.connect()
        data = con.from_df(df)
    else:
        pa = pytest.importorskip("pyarrow")
        data = pa.Table.from_pandas(df, preserve_index=False)
    got = nps.counts(data, "score", by=["team", "plan"], weights="w")
    assert list(got.columns) == list(expected.columns)
    for col in ("detractors", "passives", "promoters", "n", "nps", "effective_n"):
        assert got[col].to_numpy() == pytest.approx(expected[col].to_numpy())
    bad = df.assign(w=df["w"].where(df.index != 5, -1.0))
    with pytest.raises(NPSInputError, match="negative"):
        nps.counts(pl.from_pandas(bad) if engine == "polars" else bad, "score", by="team", weights="w")


def test_counts_without_weights_are_unchanged():
    import nps_analysis as nps

    df = weighted_frame()
    plain = nps.counts(df, "score", by="team")
    assert list(plain.columns) == ["team", "detractors", "passives", "promoters", "n", "nps"]
    weighted = nps.counts(df, "score", by="team", weights=np.ones(len(df)))
    assert weighted["nps"].to_numpy() == pytest.approx(plain["nps"].to_numpy())


def test_nps_interval_and_compare_take_weighted_counts():
    import nps_analysis as nps

    t = WeightedNPSCounts(30.0, 20.0, 50.0, n=100, effective_n=64.0)
    c = WeightedNPSCounts(40.0, 20.0, 40.0, n=120, effective_n=90.0)
    r = nps.compare(t, c, method="wald")
    assert r.difference == pytest.approx(20.0)
    assert r.se == pytest.approx(100 * math.sqrt((0.8 - 0.04) / 64 + 0.8 / 90))
    row = nps.counts(weighted_frame(), "score", weights="w").iloc[0].to_dict()
    interval = nps.nps_interval(row)  # a weighted row (it has effective_n) is read as weighted
    assert interval.n == pytest.approx(row["effective_n"])
    assert interval.nps == pytest.approx(row["nps"])


def test_compare_many_with_weights_compares_weighted_counts():
    import nps_analysis as nps

    df = weighted_frame()
    res = nps.compare_many(df, score="score", group="team", control="a", weights="w")
    assert "weighted by 'w'" in res.family
    table = nps.counts(df, "score", by="team", weights="w").set_index("team")
    assert res.comparisons[0].result.difference == pytest.approx(table.loc["b", "nps"] - table.loc["a", "nps"])
    with pytest.raises(NPSInputError, match="cannot be combined"):
        nps.compare_many(df, score="score", group="team", control="a", weights="w", covariates=["plan"])


def test_weighted_tracking_uses_effective_n():
    import nps_analysis as nps

    df = weighted_frame()
    df["submitted_at"] = pd.Timestamp("2026-10-05", tz="UTC") + pd.to_timedelta(np.arange(300) % 14, unit="D")
    table = nps.nps_by_period(df, by="team", weights="w", min_n=10)
    assert table.attrs["weighted"] == "w" and "effective_n" in table.columns
    row = table.iloc[0]
    ref = nps.nps_interval(WeightedNPSCounts(row.detractors, row.passives, row.promoters, n=int(row.n),
                                             effective_n=row.effective_n), method=table.attrs["method"])
    assert (row.ci_lower, row.ci_upper) == pytest.approx((ref.ci_lower, ref.ci_upper))
    changes = nps.period_changes(table, method="wald")
    first = changes.iloc[0]
    now = table[(table.team == first.team) & (table.period == first.period)].iloc[0]
    before = table[(table.team == first.team) & (table.period == first.previous_period)].iloc[0]
    se = 100 * math.sqrt(sum(
        WeightedNPSCounts(r.detractors, r.passives, r.promoters, n=int(r.n), effective_n=r.effective_n).variance
        / r.effective_n for r in (now, before)))
    assert first.se == pytest.approx(se)
    assert first.difference == pytest.approx(now.nps - before.nps)
    assert "weighted" in changes.attrs["method"]
