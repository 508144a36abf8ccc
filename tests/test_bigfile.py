"""Big files and SQL sources counted by DuckDB give exactly what nps.load + nps.counts give.

Row numbers in messages, quarantine files and label types follow nps.load, so the CLI's output does
not depend on which engine read the file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
import yaml

import nps_analysis as nps
from nps_analysis.cli import main
from nps_analysis.sources import bigfile

duckdb = pytest.importorskip("duckdb") if not os.environ.get("CI") else __import__("duckdb")
pytest.importorskip("narwhals") if not os.environ.get("CI") else __import__("narwhals")

SAMPLE = str(nps.datasets.sample_path("experiment"))


def records(table: pd.DataFrame) -> list[dict]:
    return json.loads(table.to_json(orient="records"))


def pandas_counts(path: str, by: list[str], **kwargs) -> pd.DataFrame:
    frame = nps.load(path, score="score", columns=by, **kwargs)
    return nps.counts(frame, "score", by=by)


@pytest.mark.parametrize("by", [["arm"], ["arm", "region", "plan"], []])
def test_csv_counts_equal_load_then_counts(by):
    got = nps.counts_from_file(SAMPLE, "score", by=by)
    want = pandas_counts(SAMPLE, by)
    assert records(got) == records(want)
    assert got.attrs["missing"] == nps.load_report(nps.load(SAMPLE, score="score")).missing_scores
    assert got.attrs["rows"] == 6000


@pytest.fixture
def bad_csv(write_file):
    lines = ["arm,score,seg"] + [f"{'ab'[i % 2]},{i % 11},{i % 3}" for i in range(200)]
    lines[57] = "b,9.5,1"  # file line 58
    lines[150] = "a, eleven ,2"  # file line 151
    lines[180] = "c,11,0"  # line 181: the only row of group c
    lines[20] = "a,,0"  # a missing answer
    return write_file("bad.csv", "\n".join(lines) + "\n")


def test_csv_errors_name_the_same_file_lines_as_load(bad_csv):
    with pytest.raises(nps.NPSInputError) as ours:
        nps.counts_from_file(bad_csv, "score", by="arm")
    with pytest.raises(nps.NPSInputError) as theirs:
        nps.load(bad_csv, score="score")
    assert ours.value.rows == theirs.value.rows == [(58, "9.5"), (151, " eleven "), (181, "11")]
    assert ours.value.count == 3 and ours.value.column == "score" and ours.value.file == bad_csv
    assert str(ours.value) == str(theirs.value)


def test_csv_quarantine_writes_the_rows_load_writes(bad_csv, tmp_path):
    ours = tmp_path / "ours.csv"
    theirs = tmp_path / "theirs.csv"
    got = nps.counts_from_file(bad_csv, "score", by=["arm", "seg"], on_invalid="quarantine", quarantine_path=ours)
    want = pandas_counts(bad_csv, ["arm", "seg"], on_invalid="quarantine", quarantine_path=theirs)
    assert records(got) == records(want)  # group c (only invalid rows) is gone in both
    assert got.attrs["invalid"] == 3 and got.attrs["missing"] == 1
    assert ours.read_text() == theirs.read_text()


def test_parquet_counts_and_row_numbers_across_row_groups(tmp_path):
    frame = nps.load(SAMPLE, score="score")
    frame.attrs = {}  # the load report is not Parquet metadata
    frame["score"] = frame["score"].astype("Float64")
    frame.loc[[10, 4321], "score"] = [11.0, 2.5]
    path = tmp_path / "survey.parquet"
    frame.to_parquet(path, row_group_size=500)  # 12 row groups: order must survive parallel scans
    with pytest.raises(nps.NPSInputError) as ours:
        nps.counts_from_file(path, "score", by="arm")
    with pytest.raises(nps.NPSInputError) as theirs:
        nps.load(path, score="score")
    assert ours.value.rows == theirs.value.rows == [(11, 11.0), (4322, 2.5)]
    got = nps.counts_from_file(path, "score", by=["arm", "region"], on_invalid="quarantine")
    want = pandas_counts(str(path), ["arm", "region"], on_invalid="quarantine", quarantine_path=tmp_path / "q.csv")
    assert records(got) == records(want)


def test_sql_query_table_name_and_glob_are_sources(tmp_path):
    frame = nps.load(SAMPLE, score="score")
    frame.attrs = {}
    for i, part in enumerate((frame.iloc[:2500], frame.iloc[2500:])):
        part.to_parquet(tmp_path / f"part{i}.parquet")
    want = records(nps.counts(frame, "score", by="arm"))
    glob = str(tmp_path / "part*.parquet")
    assert records(nps.counts_from_source(glob, "score", by="arm")) == want
    query = f"SELECT arm, score FROM read_parquet('{glob}')"
    got = nps.counts_from_source(None, "score", by="arm", query=query, allowed_directories=[tmp_path])
    assert records(got) == want
    with pytest.raises(nps.NPSInputError, match="No files found"):  # a path is never read as SQL
        nps.counts_from_source(query, "score", by="arm")
    db = tmp_path / "surveys.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(f"CREATE TABLE responses AS SELECT * FROM read_parquet('{glob}')")
    assert records(nps.counts_from_source("responses", "score", by="arm", database=db)) == want
    with pytest.raises(nps.NPSInputError, match="neither a file nor a table"):
        nps.counts_from_source("no_such_table", "score", database=db)


def test_relation_from_read_source_counts_like_any_engine_frame():
    rel = nps.read_source(SAMPLE)
    want = records(pandas_counts(SAMPLE, ["arm"]))
    assert records(nps.counts(rel, "score", by="arm")) == want
    frame = nps.load(SAMPLE, score="score")
    assert records(nps.counts_from_source(frame, "score", by="arm")) == want  # a frame works too


def test_missing_file_and_column_are_input_errors(tmp_path):
    with pytest.raises(nps.NPSInputError, match="no such file"):
        nps.counts_from_file(tmp_path / "nope.csv", "score")
    with pytest.raises(nps.NPSInputError, match="missing column"):
        nps.counts_from_file(SAMPLE, "answer")


def test_large_file_threshold(tmp_path):
    small = tmp_path / "small.csv"
    small.write_text("score\n9\n")
    assert not bigfile.is_large_file(small)
    assert bigfile.is_large_file(small, threshold=1)
    assert not bigfile.is_large_file(tmp_path / "absent.csv")


def test_cli_score_gives_the_same_json_with_either_engine(capsys, bad_csv):
    outputs = {}
    for engine in ("pandas", "duckdb"):
        code = main(["score", SAMPLE, "--score", "score", "--by", "arm", "--by", "plan", "--format", "json", "--engine", engine])
        assert code == 0
        outputs[engine] = json.loads(capsys.readouterr().out)
    assert outputs["duckdb"] == outputs["pandas"]
    assert main(["score", bad_csv, "--score", "score", "--engine", "duckdb"]) == 2
    assert "3 invalid score(s)" in capsys.readouterr().err


def test_cli_auto_falls_back_to_pandas_when_duckdb_cannot_read(capsys, write_file, monkeypatch):
    path = write_file("cp1252.csv", b"arm,score\ncaf\xe9,9\nb,10\n")
    with pytest.raises(bigfile.SourceReadError, match="not UTF-8 or UTF-16"):
        nps.counts_from_file(path, "score")
    monkeypatch.setattr(bigfile, "LARGE_FILE_BYTES", 1)  # every file counts as large
    assert main(["score", path, "--score", "score", "--by", "arm", "--format", "json"]) == 0
    labels = [r["group"]["arm"] for r in json.loads(capsys.readouterr().out)]
    assert labels == ["b", "café"]
    assert main(["score", path, "--score", "score", "--engine", "duckdb"]) == 2
    err = capsys.readouterr().err
    assert "cannot read" in err and len(err.strip().splitlines()) == 1


# ------------------------------------------- the bad-input corpus: DuckDB agrees with nps.load on it

BAD = Path(__file__).parent / "data" / "bad"
CORPUS = yaml.safe_load((BAD / "MANIFEST.yaml").read_text(encoding="utf-8")) if (BAD / "MANIFEST.yaml").exists() else []
SUPPORTED = {"score", "columns", "on_invalid", "sep", "skip_rows"}  # what counts_from_file takes
DUCKDB_CASES = [c for c in CORPUS if set(c["load"]) <= SUPPORTED and c["load"].get("score")]


@pytest.mark.parametrize("case", DUCKDB_CASES, ids=lambda c: f"{c['file']}-{c['load'].get('on_invalid', 'error')}")
def test_corpus_files_count_as_load_then_counts(case, tmp_path):
    """The same result as nps.load + nps.counts, or an error where load errs.

    A SourceReadError (a file DuckDB cannot read, e.g. Windows-1252) is allowed: the CLI then falls
    back to nps.load, so the user still gets load's result.
    """
    kwargs = dict(case["load"])
    score, by = kwargs.pop("score"), kwargs.pop("columns", [])
    path = BAD / case["file"]
    if kwargs.get("on_invalid") == "quarantine":
        kwargs["quarantine_path"] = tmp_path / "q.csv"
    try:
        want = nps.counts(nps.load(path, score=score, columns=by, **kwargs), score, by=by)
    except nps.NPSInputError as exc:
        with pytest.raises(nps.NPSInputError) as info:
            nps.counts_from_file(path, score, by=by, **kwargs)
        if not isinstance(info.value, bigfile.SourceReadError) and exc.rows:
            assert (info.value.rows, info.value.count) == (exc.rows, exc.count)
        return
    try:
        got = nps.counts_from_file(path, score, by=by, **kwargs)
    except bigfile.SourceReadError:
        return
    assert records(got) == records(want)
