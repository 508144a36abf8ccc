"""Tables where they live (issue 18): day-level counts, answer tables and bounded rows on every engine.

The pandas numbers are pinned against plain pandas arithmetic on the rows; every engine (Polars
eager and lazy, PyArrow, DuckDB, Spark in local mode) must then give the same tables.
"""

from __future__ import annotations

import narwhals as nw
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nps_analysis.analyses.columns import resolve_columns
from nps_analysis.sources import tables as T
from nps_analysis.sources.errors import NPSInputError
from tests import test_engines

spark = test_engines.spark
to_backend = test_engines.to_backend

RNG = np.random.default_rng(18)
N = 600
ROWS = pd.DataFrame({
    "arm": RNG.choice(["control", "treatment"], N),
    "team": RNG.choice(["north", "south", "east"], N),
    "score": pd.array(RNG.integers(0, 11, N), dtype="Int64"),
    "w": RNG.uniform(0.3, 2.5, N),
    # Instants around midnight and a DST change, so the report's time zone decides the day.
    "at": pd.Timestamp("2026-03-20", tz="UTC") + pd.to_timedelta(RNG.uniform(0, 20 * 86400, N), unit="s"),
})
ROWS.loc[[5, 77, 300], "score"] = pd.NA
ROWS["local"] = ROWS["at"].dt.tz_localize(None)  # naive: local times in the report's zone


def by_hand(frame: pd.DataFrame, time: pd.Series, by: list[str]) -> pd.DataFrame:
    """Counts per group, day and level with pandas alone."""
    work = frame[by].copy()
    work["day"] = time.to_numpy()
    work["level"] = frame["score"].astype("float").fillna(-1).astype(int).to_numpy()
    out = work.groupby([*by, "day", "level"]).size().rename("count").reset_index()
    return out.sort_values([*by, "day", "level"]).reset_index(drop=True)


def test_day_levels_by_hand_in_the_report_time_zone():
    out = T.day_levels(ROWS, "score", "at", ["arm", "team"], timezone="Europe/Paris")
    days = ROWS["at"].dt.tz_convert("Europe/Paris").dt.tz_localize(None).dt.normalize()
    expected = by_hand(ROWS, days, ["arm", "team"])
    pd.testing.assert_frame_equal(out, expected, check_dtype=False)
    assert out.attrs["rows"] == N
    # Naive times are local times of the report's zone: their day is their own date.
    naive = T.day_levels(ROWS, "score", "local", ["arm"], timezone="America/New_York")
    pd.testing.assert_frame_equal(naive, by_hand(ROWS, ROWS["local"].dt.normalize(), ["arm"]), check_dtype=False)


def test_weights_are_summed_per_cell():
    out = T.day_levels(ROWS, "score", "at", ["arm"], weights="w")
    work = ROWS.assign(day=ROWS["at"].dt.tz_localize(None).dt.normalize(),
                       level=ROWS["score"].astype(float).fillna(-1).astype(int), ww=ROWS["w"] ** 2)
    expected = work.groupby(["arm", "day", "level"])[["w", "ww"]].sum().reset_index()
    np.testing.assert_allclose(out["weight"], expected["w"], rtol=1e-12)
    np.testing.assert_allclose(out["weight_sq"], expected["ww"], rtol=1e-12)


@pytest.mark.parametrize("time", ["at", "local"])
def test_every_engine_gives_the_pandas_day_levels(to_backend, time):
    table = to_backend(ROWS)
    if to_backend.backend == "pyspark" and time == "local":
        # Spark reads naive pandas times as instants of its session zone; a warehouse keeps local
        # wall-clock times as TIMESTAMP_NTZ.
        from pyspark.sql import functions as F

        table = table.withColumn("local", F.col("local").cast("timestamp_ntz"))
    # Naive times in a zone whose clocks jump in these weeks would be refused by the pandas path
    # (a local time that never happened); the engines cannot tell, so the zones here have no gap.
    for zone in ("UTC", "Europe/Paris" if time == "at" else "Asia/Tokyo"):
        ref = T.day_levels(ROWS, "score", time, ["arm", "team"], timezone=zone, weights="w")
        got = T.day_levels(table, "score", time, ["arm", "team"], timezone=zone, weights="w")
        pd.testing.assert_frame_equal(got, ref, check_dtype=False, rtol=1e-9, atol=1e-9)


def test_every_engine_gives_the_pandas_answer_table_and_rows(to_backend):
    table = to_backend(ROWS)
    ref = T.level_table(ROWS, "score", ["arm"])
    got = T.level_table(table, "score", ["arm"])
    pd.testing.assert_frame_equal(got, ref, check_dtype=False)
    assert got.attrs["missing"] == ref.attrs["missing"] == 3
    assert ref[list(range(11))].to_numpy().sum() == N - 3
    rows = T.fetch_rows(table, ["team", "score"], where=(nw.col("score") <= 1) & (nw.col("arm") == "control"),
                        order_by=["team", "score"], limit=N)
    expected = ROWS[(ROWS["score"] <= 1) & (ROWS["arm"] == "control")].sort_values(["team", "score"], kind="stable")
    assert rows.astype(str).values.tolist() == expected[["team", "score"]].astype(str).values.tolist()


def test_fetch_rows_never_cuts_silently():
    with pytest.raises(NPSInputError, match=r"600 rows match, more than the limit of 10"):
        T.fetch_rows(ROWS, ["score"], limit=10)


def test_a_big_csv_stays_in_duckdb_and_counts_as_pandas_reads_it(tmp_path):
    path = tmp_path / "answers.csv"
    text = ROWS.assign(at=ROWS["at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    text.loc[9, "score"] = pd.NA
    text.to_csv(path, index=False, na_rep="NA")  # R's NA: a missing answer on both paths
    small = T.open_table(path, score="score")
    big = T.open_table(path, score="score", threshold=1)
    assert (small.engine, big.engine) == ("pandas", "duckdb")
    assert small.rows() == big.rows() == N
    for zone in ("UTC", "Asia/Tokyo"):
        pd.testing.assert_frame_equal(T.day_levels(big, "score", "at", ["team"], timezone=zone),
                                      T.day_levels(small, "score", "at", ["team"], timezone=zone), check_dtype=False)
    pd.testing.assert_frame_equal(T.level_table(big, "score", "team"), T.level_table(small, "score", "team"),
                                  check_dtype=False)
    assert "duckdb" in big.note() and "600 rows" in big.note()


def test_mixed_and_unreadable_text_times_are_errors(tmp_path):
    path = tmp_path / "times.csv"
    pd.DataFrame({"score": [1, 2, 3], "at": ["2026-01-01T10:00:00Z", "2026-01-02 10:00", ""]}).to_csv(path, index=False)
    with pytest.raises(NPSInputError, match="1 of 2 times have a time zone"):
        T.day_levels(T.open_table(path, engine="duckdb"), "score", "at")
    pd.DataFrame({"score": [1, 2], "at": ["2026-01-01", "03/04/2026"]}).to_csv(path, index=False)
    with pytest.raises(NPSInputError, match=r"not ISO dates, e.g. \['03/04/2026'\]"):
        T.day_levels(T.open_table(path, engine="duckdb"), "score", "at")
    # With date_format the engine reads them.
    pd.DataFrame({"score": [1, 2], "at": ["01/04/2026 10:00", "03/04/2026 23:00"]}).to_csv(path, index=False)
    out = T.day_levels(T.open_table(path, engine="duckdb"), "score", "at", date_format="%d/%m/%Y %H:%M")
    assert list(out["day"].dt.strftime("%Y-%m-%d")) == ["2026-04-01", "2026-04-03"]


def test_invalid_answers_raise_with_examples():
    bad = ROWS.assign(score=ROWS["score"].astype(object))
    bad.loc[4, "score"] = 11
    with pytest.raises(NPSInputError, match=r"row 4: 11"):
        T.level_table(bad, "score", ["arm"])
    with pytest.raises(NPSInputError, match=r"row 4: 11"):
        T.day_levels(bad, "score", "at")
    import duckdb

    rel = duckdb.connect().from_df(bad.assign(score=bad["score"].astype("Float64")))
    for call in (lambda: T.level_table(rel, "score", ["arm"]), lambda: T.day_levels(rel, "score", "at")):
        with pytest.raises(NPSInputError, match=r"1 invalid score\(s\).*row 4: 11"):
            call()


@pytest.mark.parametrize("name", ["db.t; DROP TABLE x", "parquet.`/a` UNION SELECT 1", "../x", "a b"])
def test_spark_table_names_are_checked_before_spark_starts(name):
    with pytest.raises(NPSInputError, match="neither a table name"):
        T.read_spark_table(name)


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_spark_table_names_are_names_or_path_tables(name):
    ok = bool(T._SPARK_NAME.match(name.strip()) or T._SPARK_PATH.match(name.strip()))
    if not ok:
        with pytest.raises(NPSInputError):
            T.read_spark_table(name)
    else:
        stripped = name.strip()
        assert ";" not in stripped and (" " not in stripped or stripped.count("`") == 2)


def test_spark_table_runs_where_the_table_lives(spark, tmp_path):
    path = tmp_path / "answers.parquet"
    ROWS.to_parquet(path, coerce_timestamps="us", allow_truncated_timestamps=True)  # Spark reads no nanoseconds
    table = T.open_table(spark_table=f"parquet.`{path}`")
    assert table.engine == "pyspark" and table.rows() == N
    pd.testing.assert_frame_equal(T.day_levels(table, "score", "at", ["arm"], timezone="Europe/Paris"),
                                  T.day_levels(ROWS, "score", "at", ["arm"], timezone="Europe/Paris"),
                                  check_dtype=False)


def test_columns_table_names_the_parameter_of_a_missing_column(tmp_path):
    path = tmp_path / "answers.parquet"
    ROWS.to_parquet(path)
    cols = resolve_columns("rollback_decision", str(path), engine="duckdb", score_column="score",
                           group_column="arm", time_column="att")
    with pytest.raises(NPSInputError, match=r"time_column 'att' is not a column \(closest match: 'at'\)"):
        cols.table()
    cols = resolve_columns("rollback_decision", str(path), engine="duckdb", score_column="score",
                           group_column="arm", time_column="at")
    assert cols.table().engine == "duckdb"


def test_utc_offsets_find_each_change_at_its_instant():
    start = pd.Timestamp("2026-01-01", tz="UTC").value // 1000
    end = pd.Timestamp("2026-12-31", tz="UTC").value // 1000
    starts, offsets = T.utc_offsets("Europe/Paris", start, end)
    hour = 3_600_000_000
    assert offsets == [hour, 2 * hour, hour]
    assert [pd.Timestamp(s, unit="us", tz="UTC").isoformat() for s in starts] == [
        "2026-03-29T01:00:00+00:00", "2026-10-25T01:00:00+00:00"]
    assert T.utc_offsets("Asia/Kolkata", start, end) == ([], [int(5.5 * hour)])


ZONES = ["UTC", "Europe/Paris", "America/St_Johns", "Australia/Adelaide", "Asia/Kathmandu", "Pacific/Chatham",
         "America/Sao_Paulo", "Pacific/Apia"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=20 * 365 * 86400), min_size=1, max_size=30),
       st.sampled_from(ZONES))
def test_engine_days_match_pandas_time_zone_conversion(seconds, zone):
    import duckdb

    base = pd.Timestamp("2010-01-01", tz="UTC")
    # Instants near midnight and near offset changes are where a day can go wrong: add some.
    at = pd.Series(base + pd.to_timedelta(np.array(seconds) // 900 * 900, unit="s"))
    frame = pd.DataFrame({"score": 5, "at": at})
    ref = T.day_levels(frame, "score", "at", timezone=zone)
    got = T.day_levels(duckdb.connect().from_df(frame), "score", "at", timezone=zone)
    pd.testing.assert_frame_equal(got, ref, check_dtype=False)


def test_duckdb_reads_survey_exports_as_nps_load_does():
    """Survey-tool header rows are skipped on the DuckDB path too, and ``auto`` hands a file DuckDB
    cannot decode (Windows-1252) to nps.load instead of failing."""
    from pathlib import Path

    exports = Path(__file__).parent / "data" / "exports"
    with pytest.raises(NPSInputError) as pandas_error:
        T.level_table(T.open_table(exports / "qualtrics_labels.csv", score="Q1", engine="pandas"), "Q1")
    with pytest.raises(NPSInputError) as duck_error:
        T.level_table(T.open_table(exports / "qualtrics_labels.csv", score="Q1", engine="duckdb"), "Q1")
    count = r"(\d+) invalid score"
    import re

    assert re.search(count, str(pandas_error.value)).group(1) == re.search(count, str(duck_error.value)).group(1)
    latin = exports / "r_write_csv.csv"
    with pytest.raises(NPSInputError, match="not UTF-8"):
        T.open_table(latin, score="ltr", engine="duckdb")
    table = T.open_table(latin, score="ltr", threshold=1)  # big enough for DuckDB, but not decodable by it
    assert table.engine == "pandas" and T.level_table(table, "ltr").attrs["missing"] == 7
