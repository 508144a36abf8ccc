"""``nps-analysis decide --engine`` and ``compare --engine``: a big file or a query is analysed on
counts DuckDB computes.

The JSON must be the one the pandas path gives on the same file; options only ``nps.load`` has
send ``auto`` to pandas and make ``duckdb`` an error.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from nps_analysis.cli import main

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--score", "score", "--group", "arm", "--time", "submitted_at", "--treatment", "treatment",
        "--control", "control", "--margin", "5", "--guardrail", "csat=5", "--format", "json"]


def _decision(capsys, *argv: str) -> dict:
    assert main(["decide", *argv]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture()
def parquet(tmp_path):
    path = tmp_path / "monitoring.parquet"
    pd.read_csv(ROOT / "data" / "sample_monitoring.csv").to_parquet(path)
    return path


def test_duckdb_decides_as_pandas_does(capsys, parquet, tmp_path, monkeypatch):
    pandas = _decision(capsys, str(parquet), *ARGS, "--engine", "pandas")
    duck = _decision(capsys, str(parquet), *ARGS, "--engine", "duckdb")
    for key in ("decision", "effect", "ci_lower", "ci_upper", "looks", "decided_at_look", "guardrails", "rules"):
        assert duck[key] == pandas[key], key
    monkeypatch.chdir(tmp_path)  # a query reads files below the working folder
    query = _decision(capsys, "--query", f"SELECT * FROM read_parquet('{parquet.name}')", *ARGS)
    assert query["effect"] == pandas["effect"] and query["decision"] == pandas["decision"]


def test_pandas_only_options_need_pandas(capsys, parquet):
    assert main(["decide", str(parquet), *ARGS, "--engine", "duckdb", "--id", "respondent_id"]) != 0
    assert "--id: only with --engine pandas" in capsys.readouterr().err
    # auto reads with pandas when such an option is given.
    assert main(["decide", str(parquet), *ARGS, "--id", "respondent_id"]) == 0


EXPERIMENT = ["--score", "score", "--group", "arm", "--treatment", "treatment_a", "--control", "control",
              "--format", "json"]


def test_compare_on_duckdb_equals_pandas_with_row_tests_and_clusters(capsys, tmp_path):
    path = tmp_path / "experiment.parquet"
    pd.read_csv(ROOT / "data" / "sample_experiment.csv").to_parquet(path)
    pandas = _compare(capsys, str(path), *EXPERIMENT, "--engine", "pandas")
    duck = _compare(capsys, str(path), *EXPERIMENT, "--engine", "duckdb")
    assert duck == pandas
    pilot = tmp_path / "pilot.parquet"
    pd.read_csv(ROOT / "data" / "sample_cluster_pilot.csv").to_parquet(pilot)
    frame = pd.read_csv(ROOT / "data" / "sample_cluster_pilot.csv")
    arms = sorted(frame["arm"].dropna().unique())
    cluster_col = next(c for c in ("team", "store", "cluster") if c in frame.columns)
    args = ["--score", "score", "--group", "arm", "--treatment", arms[-1], "--control", arms[0],
            "--cluster", cluster_col, "--format", "json"]
    assert _compare(capsys, str(pilot), *args, "--engine", "duckdb") == _compare(capsys, str(pilot), *args,
                                                                                "--engine", "pandas")
    assert main(["compare", str(path), *EXPERIMENT[:6], "--control", "nope", "--engine", "duckdb"]) != 0
    assert "label(s) ['nope'] not found" in capsys.readouterr().err


def _compare(capsys, *argv: str) -> dict:
    assert main(["compare", *argv]) == 0
    return json.loads(capsys.readouterr().out)
