"""Loading survey exports: formats, validation, quarantine, clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import nps_analysis as nps
from nps_analysis.sources.files import detect_format
from nps_analysis.sources.load import read_table, source_rows


def test_csv_scores_are_validated_and_converted(write_file):
    path = write_file("s.csv", "arm,score,prior\na, 9 ,3\nb,10,4.5\na,,1\n")
    frame = nps.load(path, score="score", columns=["arm"])
    assert frame["score"].tolist()[:2] == [9.0, 10.0]
    assert np.isnan(frame["score"].iloc[2])
    assert frame["prior"].dtype.kind == "f"  # other numeric columns keep a numeric type
    report = nps.load_report(frame)
    assert (report.rows_read, report.rows_kept, report.missing_scores, report.quarantined) == (3, 3, 1, 0)


def test_invalid_scores_error_names_file_column_rows_and_values(write_file):
    path = write_file("s.csv", "arm,score\na,9\nb,9.5\na,abc\nb,11\na,4\n")
    with pytest.raises(nps.NPSInputError) as info:
        nps.load(path, score="score")
    message = str(info.value)
    assert path in message and "'score'" in message
    # rows are spreadsheet rows: header is row 1, so the first data row is row 2
    assert "3 invalid" in message and "row 3: '9.5'" in message and "row 4: 'abc'" in message
    assert "row 5: '11'" in message
    assert info.value.count == 3 and info.value.column == "score"


def test_quarantine_writes_bad_rows_and_counts_them(write_file, tmp_path):
    path = write_file("s.csv", "arm,score\na,9\nb,9.5\na,abc\nb,10\n")
    qfile = tmp_path / "bad.csv"
    frame = nps.load(path, score="score", on_invalid="quarantine", quarantine_path=qfile)
    assert frame["score"].tolist() == [9.0, 10.0]
    report = nps.load_report(frame)
    assert report.quarantined == 2 and report.quarantine_file == str(qfile)
    bad = pd.read_csv(qfile, dtype=str)
    assert bad["_row"].tolist() == ["3", "4"] and bad["score"].tolist() == ["9.5", "abc"]
    assert source_rows(frame).tolist() == [2, 5]


def test_missing_column_lists_existing_columns(write_file):
    path = write_file("s.csv", "arm,score\na,9\n")
    with pytest.raises(nps.NPSInputError, match=r"missing column 'region'.*'arm', 'score'"):
        nps.load(path, score="score", columns=["region"])


def test_semicolon_delimiter_and_bom_are_handled(write_file):
    path = write_file("s.csv", "\ufeffarm;score\na;9\nb;3\n".encode())
    frame = nps.load(path, score="score", columns=["arm"])
    assert list(frame.columns) == ["arm", "score"] and frame["score"].tolist() == [9.0, 3.0]


def test_empty_file_is_a_clear_error(write_file):
    with pytest.raises(nps.NPSInputError, match="empty"):
        nps.load(write_file("e.csv", ""), score="score")


def test_header_without_rows_is_a_clear_error(write_file):
    with pytest.raises(nps.NPSInputError, match="header but no data rows"):
        nps.load(write_file("h.csv", "arm,score\n"), score="score")


def test_parquet_and_excel_read_the_same_as_csv(tmp_path):
    df = pd.DataFrame({"arm": ["a", "b", "a"], "score": [9, 3, 10]})
    df.to_parquet(tmp_path / "s.parquet")
    df.to_excel(tmp_path / "s.xlsx", index=False)
    for name in ("s.parquet", "s.xlsx"):
        frame = nps.load(tmp_path / name, score="score")
        assert frame["score"].tolist() == [9.0, 3.0, 10.0]


def test_real_format_is_detected_from_content_not_extension(tmp_path):
    pd.DataFrame({"score": [9, 3]}).to_parquet(tmp_path / "really_parquet.csv")
    assert detect_format(tmp_path / "really_parquet.csv") == "parquet"
    frame, fmt = read_table(tmp_path / "really_parquet.csv")
    assert fmt == "parquet" and frame["score"].tolist() == [9, 3]


def test_binary_file_named_csv_is_refused(write_file):
    with pytest.raises(nps.NPSInputError, match="is not a CSV, Excel, Parquet or SPSS file"):
        nps.load(write_file("x.csv", b"\x00\x01\x02garbage\x00"), score="score")


def test_missing_file_and_folder_are_clear_errors(tmp_path):
    with pytest.raises(nps.NPSInputError, match="no such file"):
        nps.load(tmp_path / "nope.csv")
    with pytest.raises(nps.NPSInputError, match="folder"):
        nps.load(tmp_path)


def test_row_numbers_are_cheap_for_pandas_to_carry(write_file):
    """pandas deep-copies attrs on every operation: row numbers must not be a Python list."""
    path = write_file("big.csv", "arm,score\n" + "a,9\n" * 50_000)
    frame = nps.load(path, score="score")
    assert frame.attrs["source_rows"] == [[2, 50_002]]
    assert source_rows(frame)[-1] == 50_001
    frame.to_parquet(write_file("big.parquet", b""))  # attrs are plain JSON, so Parquet can keep them


def test_load_takes_a_sql_query_with_the_same_validation(tmp_path):
    pytest.importorskip("duckdb")
    pd.DataFrame({"arm": ["a", "b", "a", "b"], "score": [9, 3, 10, 11], "region": ["N", "N", "S", "S"]}).to_parquet(tmp_path / "s.parquet")
    query = f"SELECT arm, score FROM read_parquet('{tmp_path / 's.parquet'}') WHERE region = 'N'"
    frame = nps.load(query=query, score="score", columns=["arm"], allowed_directories=[tmp_path])
    assert frame["score"].tolist() == [9.0, 3.0] and nps.load_report(frame).format == "sql"
    with pytest.raises(nps.NPSInputError, match=r"query .*row 4: 11"):  # 1-based rows of the result
        nps.load(query=f"SELECT * FROM read_parquet('{tmp_path / 's.parquet'}')", score="score",
                 allowed_directories=[tmp_path])


def test_load_takes_a_table_name_in_a_duckdb_database(tmp_path):
    duckdb = pytest.importorskip("duckdb")
    db = tmp_path / "survey.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE answers AS SELECT * FROM (VALUES ('a', 9), ('b', 2), ('a', 7)) t(arm, score)")
    con.close()
    frame = nps.load("answers", score="score", columns=["arm"], database=db)
    assert nps.counts(frame, "score", by="arm")["nps"].tolist() == [50.0, -100.0]
    with pytest.raises(nps.NPSInputError, match="no table 'no_such_table'"):
        nps.load("no_such_table", score="score", database=db)
