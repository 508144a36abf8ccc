"""Issue 19: a SQL source cannot write, reach what it should not read, or be smuggled in as a path.

Every payload the reliability probe tried (and more) is refused before it runs, or stopped by the
locked-down DuckDB connection; no file appears, no secret reaches an output.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

import nps_analysis as nps
from nps_analysis.cli import main
from nps_analysis.sources.sql import check_query, read_query

duckdb = pytest.importorskip("duckdb")

REFUSED_STATEMENTS = [
    "COPY (SELECT 'owned' AS x) TO '{out}/owned.csv'",
    "ATTACH '{out}/new.duckdb' AS x",
    "DETACH x",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "RESET allowed_directories",
    "PRAGMA version",
    "CREATE TABLE t AS SELECT 1",
    "CREATE MACRO m() AS 1",
    "INSERT INTO t VALUES (1)",
    "EXPORT DATABASE '{out}/export'",
    "IMPORT DATABASE '{out}/export'",
    "CALL pragma_version()",
    "BEGIN TRANSACTION",
    "SELECT 1; COPY (SELECT 1) TO '{out}/second.csv'",
    "SELECT 1; SELECT 2",
    "CHECKPOINT",
    "VACUUM",
]


@pytest.mark.parametrize("statement", REFUSED_STATEMENTS)
def test_anything_but_one_select_is_refused_before_it_runs(statement, tmp_path):
    sql = statement.format(out=tmp_path)
    with pytest.raises(nps.NPSInputError, match="statement|read-only SELECT|does not parse"):
        check_query(sql)
    with pytest.raises(nps.NPSInputError):
        nps.load(query=sql, score="score", allowed_directories=[tmp_path])
    assert list(tmp_path.iterdir()) == []  # nothing was written


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_blob('/etc/hostname')",
        "SELECT * FROM glob('/etc/*')",
        "SELECT * FROM read_csv('{data}/../../../etc/passwd')",
        "SELECT * FROM read_csv('http://127.0.0.1:9/x.csv')",
        "SELECT * FROM query('COPY (SELECT 1) TO ''{data}/x.csv''')",
        "SELECT getenv('HOME') AS score",
    ],
)
def test_a_select_reads_only_the_allowed_folders(sql, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "answers.csv").write_text("score\n9\n")
    with pytest.raises(nps.NPSInputError):
        read_query(sql.format(data=data), allowed_directories=[data])
    assert sorted(p.name for p in data.iterdir()) == ["answers.csv"]


def test_a_select_inside_the_allowed_folder_works_and_the_default_is_the_working_folder(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    pd.DataFrame({"score": [9, 10, 3], "arm": ["a", "a", "b"]}).to_parquet(data / "s.parquet")
    sql = f"WITH x AS (SELECT * FROM read_parquet('{data}/s.parquet')) SELECT * FROM x"
    assert read_query(sql, allowed_directories=[data])["score"].tolist() == [9, 10, 3]
    monkeypatch.chdir(tmp_path / "data")
    assert len(read_query(sql)) == 3  # the working folder is allowed by default
    monkeypatch.chdir(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    with pytest.raises(nps.NPSInputError, match="Permission|access"):
        read_query(sql)


def test_a_query_given_as_a_path_is_never_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sql = f"COPY (SELECT 'x' AS score) TO '{tmp_path}/owned.csv'"
    for call in (
        lambda: nps.load(sql, score="score"),
        lambda: nps.counts_from_source(sql, "score"),
        lambda: nps.read_source(sql),
    ):
        with pytest.raises(nps.NPSInputError):
            call()
    assert not (tmp_path / "owned.csv").exists()


def test_the_score_command_refuses_payloads_and_leaves_no_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    payloads = [
        [f"COPY (SELECT 9 AS score) TO '{tmp_path}/owned.csv'", "--score", "score"],  # as FILE
        ["--query", f"COPY (SELECT 9 AS score) TO '{tmp_path}/owned.csv'", "--score", "score"],
        ["--query", f"ATTACH '{tmp_path}/x.duckdb' AS x", "--score", "score"],
        ["--query", "SELECT * FROM read_text('/etc/passwd')", "--score", "content"],
    ]
    for args in payloads:
        for engine in ("pandas", "duckdb"):
            assert main(["score", *args, "--engine", engine]) == 2
    err = capsys.readouterr().err
    assert "root:" not in err and "Traceback" not in err
    assert sorted(os.listdir(tmp_path)) == []


def test_the_score_command_reads_an_allowed_query(tmp_path, monkeypatch, capsys):
    pd.DataFrame({"score": [9, 10, 3, 8], "arm": ["a", "a", "b", "b"]}).to_parquet(tmp_path / "s.parquet")
    monkeypatch.chdir(tmp_path)
    query = "SELECT * FROM read_parquet('s.parquet')"
    for engine in ("pandas", "duckdb"):
        assert main(["score", "--query", query, "--score", "score", "--by", "arm", "--format", "json",
                     "--engine", engine]) == 0
        got = json.loads(capsys.readouterr().out)
        assert [(g["group"]["arm"], g["nps"]) for g in got] == [("a", 100.0), ("b", -50.0)]
    assert main(["score", "s.parquet", "--query", query, "--score", "score"]) == 2  # not both


def test_a_notebook_cannot_copy_a_secret_into_its_report(tmp_path):
    """The probe's payload: read_text('/etc/passwd') as a scheduler-given source."""
    from nps_analysis.report.runner import run_notebook

    root = Path(__file__).resolve().parent.parent
    for params in ({"query": "SELECT content AS score FROM read_text('/etc/passwd')"},
                   {"data_path": "SELECT content AS score FROM read_text('/etc/passwd')"}):
        result = run_notebook(root / "notebooks" / "weekly_tracking.ipynb", params, output_dir=tmp_path / "reports",
                              progress=False, cwd=tmp_path)
        assert not result.ok
        for path in (tmp_path / "reports").rglob("*"):
            if path.is_file():
                assert "root:x:" not in path.read_text(errors="replace"), path
