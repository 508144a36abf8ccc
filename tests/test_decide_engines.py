"""decide() on every engine: the decision from counts pushed down equals the in-memory one to 1e-9.

The same survey rows are given as a pandas frame (the reference: rows validated and counted in
memory) and as a Polars frame, a Polars lazy query, a PyArrow table, a DuckDB relation and a Spark
DataFrame (local mode, the ``spark`` fixture of ``test_engines.py``). Every field of the
Decision (decision, effect, interval, looks, the look it was decided at, every rule, every
guardrail, the Bayesian view and the history frame) must agree, for each design, with guardrails
on the 0-10 column, a 1-5 CSAT column and a numeric column, with a cluster column, and with
weekly, hourly and day-number looks.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import nps_analysis as nps
from nps_analysis.sources.errors import NPSInputError

from . import test_engines

# the engines and the local Spark session of the counting tests (fixtures, shared by name)
spark = test_engines.spark
to_backend = test_engines.to_backend

pytestmark = [
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
    pytest.mark.filterwarnings("ignore:invalid value encountered in multiply:RuntimeWarning"),
]

COLS = dict(score="score", group="arm", treatment="treatment", control="control", margin=5)
GUARDRAILS = {"detractor_share": 5, "promoter_share": 6, "csat": 5, "wait:lower": 2}


def survey(n: int = 2400, seed: int = 3) -> pd.DataFrame:
    """Three arms over 20 days; the treatment loses about 25 NPS points; some answers missing."""
    rng = np.random.default_rng(seed)
    arm = rng.choice(["treatment", "control", "other"], n, p=[0.45, 0.45, 0.1])
    category = np.where(arm == "treatment", rng.choice(3, n, p=[0.2, 0.3, 0.5]), rng.choice(3, n, p=[0.08, 0.27, 0.65]))
    score = np.select([category == 0, category == 1], [rng.integers(0, 7, n), rng.integers(7, 9, n)],
                      rng.integers(9, 11, n)).astype(float)
    score[rng.random(n) < 0.03] = np.nan
    seconds = np.sort(rng.integers(0, 20 * 86_400, n))
    csat = rng.integers(1, 6, n).astype(float)
    csat[rng.random(n) < 0.1] = np.nan
    wait = rng.normal(100, 5, n)
    wait[rng.random(n) < 0.05] = np.nan
    team = np.char.add(np.where(arm == "treatment", "t", "c"), rng.integers(0, 12, n).astype(str))
    return pd.DataFrame({
        "arm": arm,
        "score": score,
        "submitted_at": pd.Timestamp("2025-03-01") + pd.to_timedelta(seconds, unit="s"),
        "day": (seconds // 86_400).astype(np.int64),
        "csat": csat,
        "wait": wait,
        "team": team,
    })


SURVEY = survey()

CASES = {
    "sequential": dict(time="submitted_at"),
    "sequential-horizon": dict(time="submitted_at", planned_days=30),
    "group-sequential": dict(time="submitted_at", design="group-sequential", planned_responses=4000),
    "fixed": dict(time="submitted_at", design="fixed"),
    "guardrails": dict(time="submitted_at", guardrails=GUARDRAILS),
    "guardrails-group-sequential": dict(time="submitted_at", guardrails=GUARDRAILS, design="group-sequential"),
    "guardrails-fixed": dict(time="submitted_at", guardrails=GUARDRAILS, design="fixed"),
    "cluster": dict(time="submitted_at", cluster="team"),
    "cluster-guardrails": dict(time="submitted_at", cluster="team", guardrails=GUARDRAILS, design="group-sequential"),
    "day-numbers": dict(time="day", guardrails={"csat": 5}),
    "weekly": dict(time="submitted_at", look="W", guardrails={"detractor_share": 5}),
    "hourly": dict(time="submitted_at", look="h"),
    # the first 600 rows (4 days) against a 20-point margin: CONTINUE, with the projected responses and
    # days (the days need the first and last response time, asked of the engine)
    "continue": dict(time="submitted_at", margin=20, rows=600),
}


def _run(data: pd.DataFrame, convert, case: str) -> nps.Decision:
    options = {**COLS, **CASES[case]}
    rows = options.pop("rows", len(data))
    return nps.decide(convert(data.head(rows)), **options)

_REFERENCE: dict[str, nps.Decision] = {}


def reference(case: str) -> nps.Decision:
    """The decision on the pandas frame (computed once per case)."""
    if case not in _REFERENCE:
        _REFERENCE[case] = _run(SURVEY, lambda frame: frame, case)
    return _REFERENCE[case]


def assert_same(got, want, path="decision"):
    """Equal to 1e-9 (relative, absolute below 1), recursively through dicts, lists and tuples."""
    if isinstance(want, dict):
        assert set(got) == set(want), path
        for key in want:
            assert_same(got[key], want[key], f"{path}.{key}")
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want), path
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_same(g, w, f"{path}[{i}]")
    elif isinstance(want, float) and not isinstance(want, bool):
        if math.isnan(want):
            assert math.isnan(got), path
        else:
            assert got == pytest.approx(want, rel=1e-9, abs=1e-9), path
    else:
        assert got == want, path


def test_the_reference_cases_decide_something():
    # The cases must exercise every branch of the comparison: decisions at a look, guardrail
    # results, clusters seen and finite intervals (a case that never decides compares little).
    assert reference("sequential").decision == "ROLL_BACK" and reference("sequential").decided_at_look is not None
    assert reference("fixed").decided_at_look == reference("fixed").looks
    assert len(reference("guardrails").guardrails) == 4
    assert reference("cluster").n_clusters_treatment == 12 and reference("cluster").n_clusters_control == 12
    assert reference("day-numbers").history[0].period == 0
    # 1-20 March 2025 (a Saturday start) touches 4 Monday-to-Sunday weeks
    assert reference("weekly").looks == 4 and reference("hourly").looks > 400
    assert reference("continue").decision == "CONTINUE" and reference("continue").projected_days > 1


@pytest.mark.parametrize("case", list(CASES))
def test_decision_on_every_engine_equals_the_in_memory_one(to_backend, case):
    want = reference(case)
    got = _run(SURVEY, to_backend, case)
    assert_same(got.to_dict(), want.to_dict())
    pd.testing.assert_frame_equal(got.history_frame(), want.history_frame(), check_exact=False, rtol=1e-9, atol=1e-9)
    assert_same([r.to_dict() for r in got.rules], [r.to_dict() for r in want.rules], "rules")
    assert_same([g.to_dict() for g in got.guardrails], [g.to_dict() for g in want.guardrails], "guardrails")


def test_the_counts_are_the_hand_counted_ones():
    # Independent of look_counts: pandas groupby on the rows of the two arms that have an answer.
    from nps_analysis.analyses.decision_counts import Metric, look_counts, metric_for
    from nps_analysis.analyses.guardrails import guardrail_specs

    metrics = [Metric("nps", "nps", "score", "higher_is_better", 5.0),
               *(metric_for(g, "score") for g in guardrail_specs({"csat": 5, "wait:lower": 2}))]
    counts = look_counts(SURVEY, score="score", group="arm", time="submitted_at", treatment="treatment",
                         control="control", metrics=metrics)
    rows = SURVEY[SURVEY.arm.isin(["treatment", "control"]) & SURVEY.score.notna()]
    day = rows.submitted_at.dt.floor("D")
    assert counts.periods == sorted(day.dt.strftime("%Y-%m-%d").unique())
    t = rows[rows.arm == "treatment"]
    by_day = t.groupby(t.submitted_at.dt.floor("D"))
    y = np.where(t.score >= 9, 1.0, np.where(t.score >= 7, 0.0, -1.0))
    nps_cells = counts.cells[0][0, 0]
    assert nps_cells[:, 0].tolist() == by_day.size().tolist()
    assert nps_cells[:, 1].tolist() == pd.Series(y, index=t.index).groupby(t.submitted_at.dt.floor("D")).sum().tolist()
    csat = counts.cells[1][0, 0]
    assert csat[:, 0].tolist() == by_day.csat.count().tolist()
    assert csat[:, 1].tolist() == (t.csat >= 4).groupby(t.submitted_at.dt.floor("D")).sum().astype(float).tolist()
    wait = counts.cells[2][0, 0]
    low = rows.wait.min()
    assert counts.centres[2] == low
    assert wait[:, 1] == pytest.approx((t.wait - low).groupby(t.submitted_at.dt.floor("D")).sum().to_numpy(), rel=1e-12)
    assert wait[:, 2] == pytest.approx(((t.wait - low) ** 2).groupby(t.submitted_at.dt.floor("D")).sum().to_numpy(), rel=1e-12)
    assert counts.nps_counts[0].tolist() == [(t.score <= 6).sum(), t.score.between(7, 8).sum(), (t.score >= 9).sum()]
    assert counts.span_days == pytest.approx((rows.submitted_at.max() - rows.submitted_at.min()) / pd.Timedelta(days=1))


def test_a_table_and_a_file_path_give_the_in_memory_decision(tmp_path):
    # nps.open_table keeps a Parquet file in DuckDB (engine="duckdb"); a path given to decide is
    # opened the same way (small files through nps.load). Both decide as the frame does.
    path = tmp_path / "survey.parquet"
    SURVEY.to_parquet(path, index=False)
    options = {**COLS, **CASES["guardrails"]}
    table = nps.open_table(path, engine="duckdb")
    assert table.engine == "duckdb"
    want = reference("guardrails").to_dict()
    assert_same(nps.decide(table, **options).to_dict(), want)
    assert_same(nps.decide(str(path), **options).to_dict(), want)


ENGINES = ["polars", "duckdb"]


@pytest.mark.parametrize("to_backend", ENGINES, indirect=True)
def test_engine_errors_name_the_column_and_the_problem(to_backend):
    def decide(frame, **options):
        return nps.decide(to_backend(frame), **{**COLS, "time": "submitted_at", **options})

    small = SURVEY.head(400).copy()
    first = int(small.index[(small.arm == "treatment") & small.score.notna()][0])  # a response
    bad = small.assign(score=small.score.where(small.index != first, 11.0))
    with pytest.raises(NPSInputError, match=r"1 invalid score\(s\).*11") as err:
        decide(bad)
    assert err.value.column == "score"
    with pytest.raises(NPSInputError, match=r"arm 'new_script' has no responses yet.*'control', 'other', 'treatment'"):
        decide(small, treatment="new_script")
    with pytest.raises(NPSInputError, match=r"treatment arm 'treatment' has no responses yet"):
        decide(small.assign(score=small.score.where(small.arm != "treatment")))
    with pytest.raises(NPSInputError, match=r"the time column is missing.*'submitted_at'"):
        decide(small, time="answered_at")
    with pytest.raises(NPSInputError, match=r"1 response\(s\) have no time"):
        decide(small.assign(submitted_at=small.submitted_at.where(small.index != first)))
    # a time without an answer is not a response: no error
    silent = small.assign(score=small.score.where(small.index != first))
    assert decide(silent.assign(submitted_at=silent.submitted_at.where(small.index != first))).looks == decide(small).looks
    with pytest.raises(NPSInputError, match=r"1 invalid 'csat' answer\(s\): expected whole numbers from 1 to 5"):
        decide(small.assign(csat=small.csat.where(small.index != first, 7.0)), guardrails={"csat": 5})
    with pytest.raises(NPSInputError, match=r"guardrail column 'team' must hold numbers"):
        decide(small, guardrails={"team:lower": 5})
    with pytest.raises(NPSInputError, match=r"cluster\(s\) appear in both arms"):
        decide(small.assign(team="one"), cluster="team")
    with pytest.raises(NPSInputError, match=r"1 response\(s\) have no 'team' label"):
        decide(small.assign(team=small.team.where(small.index != first)), cluster="team")


@pytest.mark.notebook
def test_notebook_on_duckdb_records_the_results_of_the_pandas_run(tmp_path, monkeypatch):
    # The notebook with engine="duckdb" counts in DuckDB (no row reaches the kernel's pandas) and
    # must record what the in-memory run records, guardrails on CSAT and a numeric column included.
    from nps_analysis import datasets

    monkeypatch.chdir(tmp_path)
    path = tmp_path / "monitoring.parquet"
    datasets.monitoring_data(12, daily_responses=70, true_effect=-18.0, seed=3).to_parquet(path, index=False)
    notebook = datasets.data_dir().parent / "notebooks" / "rollback_decision.ipynb"
    results = {}
    for engine in ("pandas", "duckdb"):
        run = nps.run_notebook(
            notebook,
            {"data_path": str(path), "engine": engine, "csat_column": "csat",
             "guardrails": {"detractor_share": 5, "handling_minutes:lower": 2}},
            output_dir=tmp_path / engine, progress=False,
        )
        assert run.ok, run.error
        results[engine] = run.results
        report = (run.run_dir / "report.html").read_text(encoding="utf-8")
        assert ("Read where the data lives: duckdb" in report) == (engine == "duckdb")
    pandas, duckdb_run = results["pandas"], results["duckdb"]
    assert pandas["decision"] == "ROLL_BACK" and pandas["looks"] == 12
    # the parameters differ by the engine and the run folder; everything the notebook recorded must not
    assert {k: v for k, v in duckdb_run["parameters"].items() if k not in ("engine", "output_dir")} == {
        k: v for k, v in pandas["parameters"].items() if k not in ("engine", "output_dir")}
    recorded = set(pandas) - {"parameters", "run"}  # "run": the run's own id, folder, times
    assert {"decision", "effect", "ci_lower", "ci_upper", "looks", "decided_at_look", "headline"} <= recorded
    assert_same({k: duckdb_run[k] for k in recorded}, {k: pandas[k] for k in recorded})
