"""Aggregates pushed down to the engine (issue 18): every backend gives the pandas numbers.

Each aggregate is pinned against plain pandas arithmetic on the rows, then computed by pandas,
Polars (eager and lazy), PyArrow, DuckDB and Spark in local mode, and compared to 1e-9.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import nps_analysis as nps
from nps_analysis.sources.aggregates import cluster_counts, score_moments, weighted_category_sums
from tests import test_engines

# The engine fixtures of test_engines: every backend, Spark in local mode.
spark = test_engines.spark
to_backend = test_engines.to_backend

RNG = np.random.default_rng(20261130)
N = 400
ROWS = pd.DataFrame(
    {
        "arm": RNG.choice(["control", "treatment"], N),
        "team": RNG.choice(["t1", "t2", "t3", "t4"], N),
        "score": pd.array(RNG.integers(0, 11, N), dtype="Int64"),
        "prior": RNG.normal(7, 2, N),
        "tenure": RNG.integers(1, 30, N).astype(float),
        "w": RNG.uniform(0.2, 3.0, N),
    }
)
ROWS.loc[[3, 50, 99], "score"] = pd.NA  # missing answers: not responses
ROWS["team"] = ROWS["arm"].str[:1] + ROWS["team"]  # whole teams in one arm


def y_of(scores: pd.Series) -> np.ndarray:
    s = scores.astype(float).to_numpy()
    return np.where(s >= 9, 1.0, np.where(s >= 7, 0.0, -1.0))


def test_moments_match_pandas_arithmetic_by_hand():
    got = score_moments(ROWS, "score", by="arm", covariates=["prior", "tenure"])
    assert got.attrs["missing"] == 3
    for _, row in got.iterrows():
        part = ROWS[(ROWS["arm"] == row["arm"]) & ROWS["score"].notna()]
        y = y_of(part["score"])
        x, t = part["prior"].to_numpy(), part["tenure"].to_numpy()
        assert row["n"] == len(part)
        assert row["sum_y"] == pytest.approx(y.sum()) and row["sum_yy"] == pytest.approx((y * y).sum())
        assert row["sum_prior_y"] == pytest.approx((x * y).sum())
        assert row["sum_prior_tenure"] == pytest.approx((x * t).sum())
        assert row["sum_tenure_tenure"] == pytest.approx((t * t).sum())


def test_moments_give_the_cuped_regression_of_the_rows():
    """The normal equations from the sums reproduce least squares on the rows (ANCOVA)."""
    m = score_moments(ROWS, "score", covariates=["prior"]).iloc[0]
    part = ROWS[ROWS["score"].notna()]
    y, x = y_of(part["score"]), part["prior"].to_numpy()
    xtx = np.array([[m["n"], m["sum_prior"]], [m["sum_prior"], m["sum_prior_prior"]]])
    xty = np.array([m["sum_y"], m["sum_prior_y"]])
    slope_from_sums = np.linalg.solve(xtx, xty)[1]
    assert slope_from_sums == pytest.approx(np.polyfit(x, y, 1)[0], rel=1e-10)


def test_weighted_sums_match_pandas_and_give_kish_effective_n():
    got = weighted_category_sums(ROWS, "score", "w", by=["arm"])
    for _, row in got.iterrows():
        part = ROWS[(ROWS["arm"] == row["arm"]) & ROWS["score"].notna()]
        y, w = y_of(part["score"]), part["w"].to_numpy()
        for name, value in (("detractors", -1), ("passives", 0), ("promoters", 1)):
            assert row[f"n_{name}"] == (y == value).sum()
            assert row[f"w_{name}"] == pytest.approx(w[y == value].sum())
            assert row[f"ww_{name}"] == pytest.approx((w[y == value] ** 2).sum())
        total = sum(row[f"w_{c}"] for c in ("detractors", "passives", "promoters"))
        squares = sum(row[f"ww_{c}"] for c in ("detractors", "passives", "promoters"))
        assert total**2 / squares == pytest.approx(w.sum() ** 2 / (w**2).sum())


def test_cluster_counts_match_nps_counts_and_refuse_split_clusters():
    got = cluster_counts(ROWS, "score", "arm", "team")
    want = nps.counts(ROWS.dropna(subset=["score"]), "score", by=["arm", "team"])
    cols = ["arm", "team", "detractors", "passives", "promoters", "n"]
    pd.testing.assert_frame_equal(got[cols], want[cols], check_dtype=False)
    crossed = ROWS.assign(team="same")
    with pytest.raises(nps.NPSInputError, match="more than one arm"):
        cluster_counts(crossed, "score", "arm", "team")


def test_invalid_answers_and_bad_weights_are_errors():
    bad = ROWS.assign(score=ROWS["score"].astype("float").fillna(3.0))
    bad.loc[5, "score"] = 11.0
    with pytest.raises(nps.NPSInputError, match="1 invalid score"):
        score_moments(bad, "score")
    with pytest.raises(nps.NPSInputError, match="negative"):
        weighted_category_sums(ROWS.assign(w=-ROWS["w"]), "score", "w")
    with pytest.raises(nps.NPSInputError, match="missing column"):
        score_moments(ROWS, "score", covariates=["nope"])


def _close(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False,
                                  rtol=1e-9, atol=1e-9)


def test_every_engine_gives_the_pandas_aggregates(to_backend):
    table = to_backend(ROWS)
    _close(score_moments(table, "score", by=["arm"], covariates=["prior", "tenure"]),
           score_moments(ROWS, "score", by=["arm"], covariates=["prior", "tenure"]))
    _close(weighted_category_sums(table, "score", "w", by=["arm", "team"]),
           weighted_category_sums(ROWS, "score", "w", by=["arm", "team"]))
    _close(cluster_counts(table, "score", "arm", "team"), cluster_counts(ROWS, "score", "arm", "team"))
