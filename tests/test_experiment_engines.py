"""The experiment report on every engine: the same aggregates, so the same numbers (to 1e-9).

pandas, Polars (eager and lazy), PyArrow, DuckDB and Spark in local mode (the ``spark`` fixture of
tests/test_engines.py) each hold the same rows; NPS per arm, the data check, the sample-ratio test,
the response rates and ``compare_many`` (segments, covariates, clusters, weights, the row tests)
must equal the pandas results. The statistics on aggregates are pinned against independent
computations on the rows (statsmodels OLS with HC2, scipy's Mann-Whitney, numpy).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nps_analysis as nps
from nps_analysis import datasets
from nps_analysis import experiment as ex
from nps_analysis.analyses import cluster_pilot
from nps_analysis.sources.errors import NPSInputError
from nps_analysis.stats.cuped import cuped
from nps_analysis.stats.cuped_tables import CovariateSums, effect_from_moments, moments_of
from nps_analysis.stats.rowtests import row_level_tests, row_level_tests_from_table

from . import test_engines

# The fixtures of tests/test_engines.py: every backend (pandas ... Spark local) and the Spark session.
to_backend = test_engines.to_backend
spark = test_engines.spark

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")


def _frame() -> pd.DataFrame:
    frame = datasets.experiment_data(1500, seed=11).drop(columns=["submitted_at"])
    rng = np.random.default_rng(5)
    frame["w"] = rng.gamma(4.0, 0.25, len(frame))
    # whole teams assigned: the team label starts with the arm
    frame["team"] = frame["arm"] + "-" + rng.integers(0, 7, len(frame)).astype(str)
    frame["x2"] = rng.normal(size=len(frame)) + 0.05 * np.nan_to_num(frame["score"].to_numpy())
    frame.loc[rng.random(len(frame)) < 0.05, "prior_score"] = np.nan
    return frame


FRAME = _frame()
NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "experiment.ipynb"
TOL = dict(rel=1e-9, abs=1e-9)


def _same(expected, got, path="") -> None:
    """Equal to 1e-9: numbers approximately, everything else exactly (NaN equals NaN)."""
    if isinstance(expected, dict):
        assert set(expected) == set(got), path
        for key in expected:
            _same(expected[key], got[key], f"{path}.{key}")
    elif isinstance(expected, (list, tuple)):
        assert len(expected) == len(got), path
        for i, (a, b) in enumerate(zip(expected, got, strict=True)):
            _same(a, b, f"{path}[{i}]")
    elif isinstance(expected, float) and math.isnan(expected):
        assert isinstance(got, float) and math.isnan(got), path
    elif isinstance(expected, (int, float)) and not isinstance(expected, bool):
        assert got == pytest.approx(expected, **TOL), path
    else:
        assert expected == got, path


def _records(table: pd.DataFrame) -> list[dict]:
    return json.loads(table.to_json(orient="records"))


def test_arm_table_and_balance_are_identical_on_every_engine(to_backend):
    data = to_backend(FRAME)
    arms = ex.arms_of(data, "arm", "control")
    assert arms == ex.arms_of(FRAME, "arm", "control")
    got = ex.arm_table(data, score="score", group="arm", arms=arms)
    want = ex.arm_table(FRAME, score="score", group="arm", arms=arms)
    _same(_records(want), _records(got))
    check = ex.data_check(data, score="score", group="arm", invited="invited", responded="responded").to_dict()
    expected = ex.data_check(FRAME, score="score", group="arm", invited="invited", responded="responded").to_dict()
    _same(expected, check)
    assert check["answers"] == int(FRAME["score"].notna().sum())
    srm = ex.sample_ratio_mismatch(data, "arm", arms=arms, invited="invited",
                                   expected_allocation={"control": 2, "treatment_a": 1, "treatment_b": 1})
    _same(ex.sample_ratio_mismatch(FRAME, "arm", arms=arms, invited="invited",
                                   expected_allocation={"control": 2, "treatment_a": 1, "treatment_b": 1}).to_dict(),
          srm.to_dict())
    rates = ex.response_rates(data, "arm", score="score", arms=arms, invited="invited", responded="responded")
    _same(ex.response_rates(FRAME, "arm", score="score", arms=arms, invited="invited",
                            responded="responded").to_dict(), rates.to_dict())
    # the score chart's table: hand counts of the pandas rows
    levels = ex.arm_levels(data, score="score", group="arm", arms=arms)
    for arm in arms:
        answers = FRAME.loc[FRAME["arm"] == arm, "score"].dropna().astype(int)
        assert levels.set_index("group").loc[arm].tolist() == np.bincount(answers, minlength=11).tolist()


VARIANTS = {
    "plain": {},
    "segments": {"by": ["region", "plan"]},
    "prior covariate (patterns, HC2)": {"covariates": ["prior_score"], "missing_covariates": "indicator"},
    "continuous covariate (moments)": {"covariates": ["x2", "prior_score"], "missing_covariates": "indicator"},
    "segments with covariates": {"by": "region", "covariates": ["prior_score"], "missing_covariates": "drop"},
    "cluster": {"cluster": "team"},
    "cluster by segment": {"cluster": "team", "by": "region"},
    "weights": {"weights": "w"},
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_compare_many_is_identical_on_every_engine(to_backend, variant):
    options = VARIANTS[variant]
    want = nps.compare_many(FRAME, score="score", group="arm", control="control", **options)
    got = nps.compare_many(to_backend(FRAME), score="score", group="arm", control="control", **options)
    assert got.family == want.family
    _same(_records(want.to_frame()), _records(got.to_frame()))
    _same(ex.effect_records(want), ex.effect_records(got))
    if "covariates" in options:
        variance = {c.result.covariate_adjustment.variance for c in got.comparisons}
        assert variance == ({"arm-residual"} if "x2" in options["covariates"] else {"HC2"})


def test_cluster_pilot_tables_are_identical_on_every_engine(to_backend):
    data = to_backend(FRAME)
    arms = ["control", "treatment_a", "treatment_b"]
    for fn, kwargs in ((cluster_pilot.cluster_effects, {"control": "control", "treatments": arms[1:]}),
                       (cluster_pilot.cluster_arm_table, {"arms": arms})):
        want = fn(FRAME, score="score", group="arm", cluster="team", **kwargs)
        got = fn(data, score="score", group="arm", cluster="team", **kwargs)
        _same(_records(want), _records(got))
    hints = cluster_pilot.cluster_warnings(data, group="arm", ignore=["score", "invited", "responded"])
    assert hints == cluster_pilot.cluster_warnings(FRAME, group="arm", ignore=["score", "invited", "responded"])
    assert any("'team'" in h for h in hints)


def test_compare_on_two_engine_tables_equals_compare_on_the_rows(to_backend):
    t = FRAME[FRAME["arm"] == "treatment_a"].reset_index(drop=True)
    c = FRAME[FRAME["arm"] == "control"].reset_index(drop=True)
    cases = [
        {"covariates": ["prior_score"], "missing_covariates": "indicator"},
        {"method": "permutation"},
        {"cluster": "team"},
    ]
    import narwhals as nw

    data = nw.from_native(to_backend(FRAME))  # both arms from one table (DuckDB: one connection)
    t_table = data.filter(nw.col("arm") == "treatment_a").to_native()
    c_table = data.filter(nw.col("arm") == "control").to_native()
    for options in cases:
        want = nps.compare(t, c, score="score", **options)
        got = nps.compare(t_table, c_table, score="score", **options)
        _same(want.to_dict(), got.to_dict(), str(options))


def test_compare_many_on_aggregates_equals_the_row_comparisons():
    """The aggregate path gives what ``compare`` gives on each arm's rows (the pre-issue-18 path)."""
    many = nps.compare_many(FRAME, score="score", group="arm", control="control", covariates=["prior_score"],
                            missing_covariates="indicator")
    for comp in many.comparisons:
        t = FRAME[(FRAME["arm"] == comp.treatment) & FRAME["score"].notna()]
        c = FRAME[(FRAME["arm"] == "control") & FRAME["score"].notna()]
        rows = nps.compare(t, c, score="score", covariates=["prior_score"], missing_covariates="indicator")
        r = comp.result
        for name in ("difference", "ci_lower", "ci_upper", "pvalue"):
            assert getattr(r, name) == pytest.approx(getattr(rows, name), **TOL)
        assert r.row_tests.mann_whitney.pvalue == pytest.approx(rows.row_tests.mann_whitney.pvalue, **TOL)
        assert r.row_tests.ordinal.odds_ratio == pytest.approx(rows.row_tests.ordinal.odds_ratio, rel=1e-7)
        assert r.row_tests.chi_square.pvalue == pytest.approx(rows.row_tests.chi_square.pvalue, **TOL)
        a, b = r.covariate_adjustment, rows.covariate_adjustment
        for name in ("difference", "se", "ci_lower", "ci_upper", "pvalue", "variance_reduction"):
            assert getattr(a, name) == pytest.approx(getattr(b, name), rel=1e-10, abs=1e-10)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scores=st.lists(st.one_of(st.none(), st.integers(0, 10)), min_size=4, max_size=60),
    arms=st.lists(st.sampled_from(["c", "t1", "t2"]), min_size=60, max_size=60),
    regions=st.lists(st.sampled_from(["n", "s"]), min_size=60, max_size=60),
)
def test_compare_many_on_duckdb_equals_pandas_on_any_small_table(scores, arms, regions):
    frame = pd.DataFrame({"score": pd.array(scores, dtype="Int64"), "arm": arms[:len(scores)],
                          "region": regions[:len(scores)]})
    if "c" not in set(frame["arm"]) or frame["arm"].nunique() < 2:
        return
    rel = test_engines.duckdb.connect().from_arrow(test_engines.pa.Table.from_pandas(frame, preserve_index=False))
    for by in (None, "region"):
        want = nps.compare_many(frame, score="score", group="arm", control="c", by=by, min_n=1)
        got = nps.compare_many(rel, score="score", group="arm", control="c", by=by, min_n=1)
        assert got.family == want.family
        _same(_records(want.to_frame()), _records(got.to_frame()))


# ----------------------------------------------------------------------------- row tests


def test_row_tests_from_the_table_equal_scipy_on_rows():
    from scipy.stats import chi2_contingency, mannwhitneyu

    rng = np.random.default_rng(2)
    t = rng.choice(11, 300, p=np.r_[np.full(7, 0.05), 0.1, 0.15, 0.2, 0.2])
    c = rng.choice(11, 250)
    r = row_level_tests_from_table(np.bincount(t, minlength=11), np.bincount(c, minlength=11))
    scipy_mw = mannwhitneyu(t, c, alternative="two-sided")
    assert r.mann_whitney.statistic == pytest.approx(float(scipy_mw.statistic), rel=1e-12)
    assert r.mann_whitney.pvalue == pytest.approx(float(scipy_mw.pvalue), rel=1e-10)
    cat = lambda x: np.bincount(np.where(x >= 9, 2, np.where(x >= 7, 1, 0)), minlength=3)  # noqa: E731
    assert r.chi_square.pvalue == pytest.approx(chi2_contingency(np.array([cat(t), cat(c)]), correction=False).pvalue)
    assert r == row_level_tests(t, c)
    # the exact small-sample branch rebuilds the (untied) answers from the table
    small_t, small_c = np.array([10, 8, 6, 3]), np.array([9, 7, 5, 4, 2, 1, 0])
    r = row_level_tests_from_table(np.bincount(small_t, minlength=11), np.bincount(small_c, minlength=11),
                                   alternative="greater")
    exact = mannwhitneyu(small_t, small_c, alternative="greater", method="exact")
    assert r.mann_whitney.pvalue == pytest.approx(float(exact.pvalue), rel=1e-12)
    with pytest.raises(ValueError, match="11 non-negative whole-number counts"):
        row_level_tests_from_table([1, 2, 3], np.ones(11))


# --------------------------------------------------------------------------------- CUPED


def _rows(n=400, seed=4, continuous=False):
    rng = np.random.default_rng(seed)
    treated = np.repeat([True, False], n // 2)
    x = rng.integers(0, 11, n).astype(float) if not continuous else rng.normal(5, 2, n)
    z = rng.integers(0, 3, n).astype(float)
    latent = 0.3 * x + 0.5 * z + 0.8 * treated + rng.normal(0, 1.5 + treated, n)
    score = np.clip(np.round(latent), 0, 10)
    y = np.where(score >= 9, 1.0, np.where(score >= 7, 0.0, -1.0))
    return pd.DataFrame({"score": score, "x": x, "z": z, "arm": np.where(treated, "t", "c")}), y, treated


def test_pattern_table_gives_statsmodels_hc2_on_the_rows():
    import statsmodels.api as sm

    frame, y, treated = _rows()
    sums = CovariateSums.compute(frame, "score", ["arm"], ["x", "z"])
    assert sums.kind == "patterns" and len(sums.table) <= 2 * 11 * 3
    r = sums.cuped(("t",), ("c",), confidence_level=0.95, alternative="two-sided")
    x = frame[["x", "z"]].to_numpy() - frame[["x", "z"]].to_numpy().mean(axis=0)
    design = np.column_stack([np.ones(len(y)), treated, x, treated[:, None] * x])
    fit = sm.OLS(y, design).fit(cov_type="HC2")
    assert r.estimator == "lin" and r.variance == "HC2"
    assert r.difference == pytest.approx(100 * fit.params[1], rel=1e-10)
    assert r.se == pytest.approx(100 * fit.bse[1], rel=1e-10)


def test_moments_give_the_exact_estimate_and_the_arm_residual_variance():
    import statsmodels.api as sm

    frame, y, treated = _rows(continuous=True)
    sums = CovariateSums.compute(frame, "score", ["arm"], ["x", "z"])
    assert sums.kind == "moments"  # a continuous covariate: one pattern per row
    r = sums.cuped(("t",), ("c",), confidence_level=0.95, alternative="two-sided")
    assert r.variance == "arm-residual" and r.estimator == "lin"
    xm = frame[["x", "z"]].to_numpy()
    xc = xm - xm.mean(axis=0)
    fit = sm.OLS(y, np.column_stack([np.ones(len(y)), treated, xc, treated[:, None] * xc])).fit()
    assert r.difference == pytest.approx(100 * fit.params[1], rel=1e-10)
    # numpy on the rows: each arm's OLS on [1, x - pooled mean], s^2 (Z'Z)^-1 at the intercept
    variance = 0.0
    for arm in (treated, ~treated):
        z = np.column_stack([np.ones(arm.sum()), xc[arm]])
        coef, rss, *_ = np.linalg.lstsq(z, y[arm], rcond=None)
        s2 = float(rss[0]) / (arm.sum() - z.shape[1])
        variance += s2 * np.linalg.inv(z.T @ z)[0, 0]
    assert r.se == pytest.approx(100 * math.sqrt(variance), rel=1e-10)
    # the common-slope model from moments: estimate of statsmodels, sandwich with per-arm variances
    table = sums.table.set_index("arm")
    fit_m = effect_from_moments([moments_of(table.loc["t"], ["x", "z"]), moments_of(table.loc["c"], ["x", "z"])],
                                estimator="ancova")
    design = np.column_stack([np.ones(len(y)), treated, xc])
    ols = sm.OLS(y, design).fit()
    assert float(fit_m.estimate) == pytest.approx(ols.params[1], rel=1e-10)
    resid = ols.resid
    meat = np.zeros((4, 4))
    for arm in (treated, ~treated):
        q = 1 + 2 * arm.sum() / len(y)
        meat += (resid[arm] ** 2).sum() / (arm.sum() - q) * design[arm].T @ design[arm]
    bread = np.linalg.inv(design.T @ design)
    assert float(fit_m.se) == pytest.approx(math.sqrt((bread @ meat @ bread)[1, 1]), rel=1e-10)


def test_arm_residual_interval_covers_like_hc2():
    """Small version of benchmarks/cuped_moments.py: unequal arms, a noisier treatment arm."""
    from scipy.stats import norm
    from scipy.stats import t as student_t

    from nps_analysis.stats import ancova

    rng = np.random.default_rng(7)
    reps, n_t, n_c = 400, 60, 180
    treated = np.arange(n_t + n_c) < n_t
    x = rng.standard_normal((reps, n_t + n_c, 2))
    latent = x @ np.array([0.8, 0.5]) + np.where(treated, 1.6, 1.0) * rng.standard_normal((reps, n_t + n_c))
    latent += np.where(treated, 0.3, 0.0)
    cuts = (norm.ppf(0.25), norm.ppf(0.55))
    y = np.where(latent < cuts[0], -1.0, np.where(latent < cuts[1], 0.0, 1.0))
    z = rng.standard_normal((1_000_000, 2)) @ np.array([0.8, 0.5])
    truth = sum(sign * np.mean(norm.sf((cuts[1] - z - shift) / sd) - norm.cdf((cuts[0] - z - shift) / sd))
                for sign, shift, sd in ((1, 0.3, 1.6), (-1, 0.0, 1.0)))
    rows = ancova.adjusted_effect(y, x, treated)
    q = float(student_t.isf(0.025, rows.df))
    covered, ratio = [], []
    for r in range(reps):
        arms = []
        for arm in (treated, ~treated):
            ya, xa = y[r, arm], x[r, arm]
            arms.append({"n": int(arm.sum()), "sy": ya.sum(), "syy": (ya * ya).sum(), "sx": xa.sum(axis=0),
                         "sxy": ya @ xa, "sxx": xa.T @ xa})
        fit = effect_from_moments(arms)
        assert float(fit.estimate) == pytest.approx(float(rows.estimate[r]), abs=1e-12)
        covered.append(abs(float(fit.estimate) - truth) <= q * float(fit.se))
        ratio.append(float(fit.se) / float(rows.se[r]))
    assert abs(np.mean(covered) - 0.95) < 4 * math.sqrt(0.95 * 0.05 / reps)
    assert 0.97 < np.mean(ratio) < 1.03


def test_missing_covariate_policies_from_moments():
    frame, _, _ = _rows(continuous=True)
    frame.loc[::9, "x"] = np.nan
    t, c = frame[frame["arm"] == "t"], frame[frame["arm"] == "c"]
    for policy in ("indicator", "drop"):
        sums = CovariateSums.compute(frame, "score", ["arm"], ["x", "z"], missing=policy)
        assert sums.kind == "moments"
        r = sums.cuped(("t",), ("c",), confidence_level=0.95, alternative="two-sided")
        rows = cuped(t, c, covariates=["x", "z"], missing_covariates=policy)
        assert r.difference == pytest.approx(rows.difference, rel=1e-10)  # the estimate is exact
        assert r.rows_dropped == rows.rows_dropped and r.n_treatment == rows.n_treatment
        assert r.se == pytest.approx(rows.se, rel=0.05)  # arm-residual vs HC2: close, not equal
    with pytest.raises(NPSInputError, match="no value for covariate 'x'"):
        CovariateSums.compute(frame, "score", ["arm"], ["x", "z"], missing="error")
    frame["label"] = np.where(np.arange(len(frame)) % 2, "a", "b")
    with pytest.raises(NPSInputError, match="text covariate"):
        CovariateSums.compute(frame, "score", ["arm"], ["x", "label"], missing="indicator")
    # the same text covariate with few patterns is exact (indicator columns, HC2)
    assert CovariateSums.compute(frame, "score", ["arm"], ["z", "label"]).kind == "patterns"


def test_pattern_limit_switches_to_moments_with_the_same_estimate():
    frame, _, _ = _rows()
    exact = CovariateSums.compute(frame, "score", ["arm"], ["x"])
    forced = CovariateSums.compute(frame, "score", ["arm"], ["x"], max_patterns=0)
    assert (exact.kind, forced.kind) == ("patterns", "moments")
    a = exact.cuped(("t",), ("c",), confidence_level=0.95, alternative="two-sided")
    b = forced.cuped(("t",), ("c",), confidence_level=0.95, alternative="two-sided")
    assert a.difference == pytest.approx(b.difference, rel=1e-10)
    assert a.variance_reduction == pytest.approx(b.variance_reduction, rel=1e-10)


# ------------------------------------------------------------------------------ loading


def test_engine_table_quarantines_and_subsets_like_pandas(tmp_path):
    frame = FRAME.copy()
    frame["score"] = frame["score"].astype(object)
    frame.loc[[3, 40], "score"] = ["eleven", 12]
    frame["score"] = frame["score"].astype(str).replace("nan", "")
    path = tmp_path / "experiment.csv"
    frame.to_csv(path, index=False)
    common = dict(score="score", group="arm", columns=["invited", "responded", "region"], subset={"region": "North"})
    small = ex.load_experiment_table(str(path), engine="pandas", quarantine_dir=tmp_path / "p", **common)
    big = ex.load_experiment_table(str(path), engine="duckdb", quarantine_dir=tmp_path / "d", **common)
    assert small.is_pandas and big.engine == "duckdb"
    a = ex.data_check(small, score="score", group="arm", invited="invited", responded="responded").to_dict()
    b = ex.data_check(big, score="score", group="arm", invited="invited", responded="responded").to_dict()
    for key in ("rows_read", "quarantined", "quarantine_reasons", "subset", "rows_analysed", "invited", "responded",
                "answers", "missing_answers", "rows_per_arm", "answers_per_arm"):
        assert a[key] == b[key], key
    assert b["quarantined"] == 2 and (tmp_path / "d" / "quarantine.csv").exists()
    arms = ex.arms_of(big, "arm", "control")
    _same(_records(ex.arm_table(small, score="score", group="arm", arms=arms)),
          _records(ex.arm_table(big, score="score", group="arm", arms=arms)))
    frame.loc[7, "respondent_id"] = frame.loc[8, "respondent_id"]
    frame.to_csv(path, index=False)
    with pytest.raises(NPSInputError, match="1 repeated respondent id"):
        ex.load_experiment_table(str(path), engine="duckdb", id_column="respondent_id", **common)


def test_spark_table_parameter_reads_a_parquet_path(spark, tmp_path):
    path = tmp_path / "experiment.parquet"
    FRAME.to_parquet(path)
    table = ex.load_experiment_table("", spark_table=f"parquet.`{path}`", score="score", group="arm",
                                     columns=["invited", "responded", "region", "prior_score"])
    assert table.engine == "pyspark"
    _same(ex.data_check(FRAME, score="score", group="arm", invited="invited", responded="responded").to_dict()
          | {"file": table.source, "rows_read": len(FRAME)},
          ex.data_check(table, score="score", group="arm", invited="invited", responded="responded").to_dict())
    # the score Spark sees is the normalised one (a whole number or null): the same effects as pandas
    options = {"by": "region", "covariates": ["prior_score"], "missing_covariates": "indicator"}
    _same(ex.effect_records(nps.compare_many(FRAME, score="score", group="arm", control="control", **options)),
          ex.effect_records(nps.compare_many(table, score="score", group="arm", control="control", **options)))


# ----------------------------------------------------------------------------- notebook


def _numbers(value):
    """The numbers and labels of results.json, without what names the run (paths, times, engine notes)."""
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items()
                if k not in ("file", "quarantine_file", "run", "started", "finished", "duration_s", "parameters",
                             "output_dir", "run_dir", "created", "elapsed_s", "timings", "environment")}
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    return value


@pytest.mark.notebook
@pytest.mark.parametrize("extra", [
    {"segment_columns": ["region"], "covariate_columns": ["prior_score"], "weight_column": "w"},
    {"cluster_column": "team"},
], ids=["covariates-segments-weights", "cluster"])
def test_experiment_notebook_on_duckdb_gives_the_pandas_numbers(tmp_path, extra):
    frame = datasets.experiment_data(900, seed=3)
    frame["team"] = frame["arm"] + "-" + (np.arange(len(frame)) % 5).astype(str)
    frame["w"] = np.random.default_rng(0).gamma(4.0, 0.25, len(frame))
    path = tmp_path / "experiment.parquet"
    frame.to_parquet(path)
    params = {"data_path": str(path), "invited_column": "invited", "responded_column": "responded", **extra}
    results = {}
    for engine in ("pandas", "duckdb"):
        run = nps.run_notebook(NOTEBOOK, {**params, "engine": engine}, output_dir=tmp_path / engine)
        saved = json.loads((run.run_dir / "results.json").read_text())
        assert saved["status"] == "ok", saved.get("error")
        html = (run.run_dir / "report.html").read_text()
        assert ("Read where the data lives: duckdb" in html) == (engine == "duckdb")
        results[engine] = saved
    want, got = results["pandas"], results["duckdb"]
    keys = ["data_check", "srm", "response_rates", "arms", "effects", "segments", "power", "conclusion", "headline",
            "cluster_warnings"]
    keys += ["weighted_arms", "weighted_effects"] if "weight_column" in extra else ["cluster", "cluster_arms"]
    for key in keys:
        _same(_numbers(want[key]), _numbers(got[key]), key)
    if "covariate_columns" in extra:
        assert got["effects"][0]["cuped"]["variance"] == "HC2"  # the prior answer takes 11 values: exact patterns


@pytest.mark.notebook
def test_experiment_notebook_on_a_spark_table_gives_the_pandas_numbers(tmp_path):
    """``spark_table`` in the notebook: the kernel reads a Parquet path table with Spark local."""
    import os
    import shutil

    pytest.importorskip("pyspark")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("PySpark needs Java 17+")
    frame = datasets.experiment_data(600, seed=5)
    path = tmp_path / "experiment.parquet"
    frame.to_parquet(path)
    params = {"invited_column": "invited", "responded_column": "responded", "segment_columns": ["region"],
              "covariate_columns": ["prior_score"]}
    results = {}
    for name, source in (("pandas", {"data_path": str(path), "engine": "pandas"}),
                         ("spark", {"spark_table": f"parquet.`{path}`"})):
        run = nps.run_notebook(NOTEBOOK, {**params, **source}, output_dir=tmp_path / name)
        saved = json.loads((run.run_dir / "results.json").read_text())
        assert saved["status"] == "ok", saved.get("error")
        results[name] = saved
    for key in ("data_check", "srm", "response_rates", "arms", "effects", "segments", "power", "conclusion"):
        _same(_numbers(results["pandas"][key]), _numbers(results["spark"][key]), key)
