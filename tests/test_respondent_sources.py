"""Respondent-level reports on tables where they live (issue 18): the follow-up queue and key drivers.

These analyses need respondents' rows (a queue item per answer, a bootstrap over respondents), so
they read only the columns they use, only up to ``max_rows`` rows, or a stated uniform random
sample: never a silent cut. The reports on a DuckDB relation must equal the reports on the same
file read by pandas.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nps_analysis as nps
from nps_analysis.report.runner import run_notebook
from nps_analysis.sources.errors import NPSInputError
from tests import test_engines

spark = test_engines.spark
ROOT = Path(__file__).resolve().parent.parent

ROWS = pd.DataFrame({"score": np.arange(1000) % 11, "team": np.repeat(["a", "b"], 500), "x": np.arange(1000)})


def test_read_rows_brings_small_tables_whole_and_refuses_big_ones(tmp_path):
    path = tmp_path / "r.parquet"
    ROWS.to_parquet(path)
    table = nps.open_table(path, engine="duckdb")
    whole = nps.read_rows(table, ["score", "x"], max_rows=1000)
    assert whole["x"].tolist() == list(range(1000)) and whole.attrs["sampled"] is None
    with pytest.raises(NPSInputError, match=r"1,000 rows: more than max_rows = 999"):
        nps.read_rows(table, ["score"], max_rows=999)


def test_read_rows_samples_uniformly_and_says_so(tmp_path):
    path = tmp_path / "r.parquet"
    ROWS.to_parquet(path)
    table = nps.open_table(path, engine="duckdb")
    a = nps.read_rows(table, ["x"], max_rows=10, sample_rows=200, seed=3)
    b = nps.read_rows(table, ["x"], max_rows=10, sample_rows=200, seed=3)
    assert a.attrs["sampled"] == {"rows": 200, "of": 1000, "seed": 3}
    assert a["x"].tolist() == b["x"].tolist() and a["x"].is_unique
    # Uniform: the sampled positions cover the table evenly (a first-rows cut would fail this).
    assert 0.35 < (a["x"] < 500).mean() < 0.65
    hits = np.zeros(1000)
    for seed in range(60):
        hits[nps.read_rows(table, ["x"], max_rows=10, sample_rows=100, seed=seed)["x"]] += 1
    assert abs(hits[:500].sum() - hits[500:].sum()) < 0.2 * hits.sum()


def test_read_rows_on_spark(spark):
    frame = spark.createDataFrame(ROWS)
    out = nps.read_rows(frame, ["score", "x"], max_rows=10, sample_rows=150, seed=1)
    assert len(out) == 150 and out["x"].is_unique and out.attrs["sampled"]["of"] == 1000
    assert sorted(nps.read_rows(frame, ["x"], max_rows=5000)["x"]) == list(range(1000))


def _run(notebook: str, out: Path, **params) -> dict:
    result = run_notebook(ROOT / "notebooks" / f"{notebook}.ipynb", parameters=params, output_dir=out,
                          progress=False, pdf=False)
    assert result.ok, result.error
    return json.loads((Path(result.run_dir) / "results.json").read_text())


def test_closed_loop_on_duckdb_equals_pandas(tmp_path):
    path = tmp_path / "responses.parquet"
    pd.read_csv(ROOT / "data" / "sample_loop_responses.csv").to_parquet(path)
    params = dict(data_path=str(path), score_column="score", time_column="submitted_at", team_column="team",
                  id_column="response_id", comment_column="comment", as_of="2026-11-17T12:00:00Z")
    pandas = _run("closed_loop", tmp_path / "p", engine="pandas", **params)
    duck = _run("closed_loop", tmp_path / "d", engine="duckdb", **params)
    for key in ("queue_status", "compliance", "compliance_by_owner_category", "headline", "responses_in_queue"):
        assert duck[key] == pandas[key], key


def test_drivers_on_duckdb_equal_pandas_and_a_sample_is_stated(tmp_path):
    path = tmp_path / "drivers.parquet"
    pd.read_csv(ROOT / "data" / "sample_drivers.csv").to_parquet(path)
    params = dict(data_path=str(path), score_column="score",
                  driver_columns=["speed", "staff", "product", "price", "billing", "ease"], n_themes=0,
                  n_resamples=200)
    pandas = _run("drivers", tmp_path / "p", engine="pandas", **params)
    duck = _run("drivers", tmp_path / "d", engine="duckdb", **params)
    assert duck["drivers"] == pandas["drivers"]
    sampled = _run("drivers", tmp_path / "s", engine="duckdb", max_rows=100, sample_rows=500, **params)
    html = next((tmp_path / "s").glob("drivers/*/report.html")).read_text()
    assert "uniform random sample of 500 of" in html
    assert sampled["drivers"] != pandas["drivers"]
