"""One counting path over every engine: the same assertions on pandas, Polars, PyArrow, DuckDB, Spark.

Expected counts are written out by hand from the rows; every backend must also give exactly what the
pandas path gives. PySpark runs in local mode (it needs Java; see ``spark`` below).
"""

from __future__ import annotations

import importlib
import math
import os
import shutil

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nps_analysis as nps
from nps_analysis.sources import engines


def _need(module: str):
    """Import an engine; skipped locally when absent, but CI (with the scale extra) must have it."""
    if os.environ.get("CI"):
        return importlib.import_module(module)
    return pytest.importorskip(module, reason=f"{module} comes with: pip install 'nps_analysis[scale]'")


pl = _need("polars")
pa = _need("pyarrow")
duckdb = _need("duckdb")
_need("narwhals")

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")

BACKENDS = ["pandas", "polars", "polars-lazy", "pyarrow", "duckdb", "pyspark"]


@pytest.fixture(scope="session")
def spark():
    """A local one-core Spark session, started once (about 10-30 s) for the whole test run."""
    _need("pyspark")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        if os.environ.get("CI"):
            pytest.fail("PySpark tests need Java 17+ (apt-get install openjdk-17-jre-headless)")
        pytest.skip("PySpark needs Java (17+); install a JRE to run the Spark backend")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("nps_analysis-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.driver.memory", "512m")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.showConsoleProgress", "false")
        # Tiny test tables: skip whole-stage code generation and adaptive planning, and let the
        # JIT stop at its first tier; together they halve the first query's latency.
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(params=BACKENDS)
def to_backend(request):
    """Convert a pandas frame into the backend under test (kept typed: text stays text)."""
    name = request.param
    spark_session = request.getfixturevalue("spark") if name == "pyspark" else None
    keep: list = []  # DuckDB relations must outlive their connection's Python objects

    def convert(frame: pd.DataFrame):
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if name == "pandas":
            return frame
        if name == "polars":
            return pl.from_arrow(table)
        if name == "polars-lazy":
            return pl.from_arrow(table).lazy()
        if name == "pyarrow":
            return table
        if name == "duckdb":
            con = duckdb.connect()
            keep.append(con)
            return con.from_arrow(table)
        return spark_session.createDataFrame(table)

    convert.backend = name
    return convert


def as_records(table: pd.DataFrame) -> list[dict]:
    """Rows as plain Python values, NaN labels as None, so backends compare exactly."""
    out = []
    for row in table.to_dict("records"):
        out.append({k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()})
    return out


EXPERIMENT = pd.DataFrame(
    {
        "arm": ["a", "a", "a", "a", "b", "b", "b", "b", "b", None, "c"],
        "region": ["n", "s", "n", "s", "n", "n", "s", "s", "n", "n", "s"],
        "score": pd.array([10, 9, 6, 0, 7, 8, 9, None, 3, 10, None], dtype="Int64"),
    }
)


def test_counts_by_group_match_hand_counts(to_backend):
    table = nps.counts(to_backend(EXPERIMENT), "score", by="arm")
    assert list(table.columns) == ["arm", "detractors", "passives", "promoters", "n", "nps"]
    assert as_records(table) == [
        # a: 10, 9 promoters; 6, 0 detractors
        {"arm": "a", "detractors": 2, "passives": 0, "promoters": 2, "n": 4, "nps": 0.0},
        # b: 7, 8 passives; 9 promoter; 3 detractor; one missing
        {"arm": "b", "detractors": 1, "passives": 2, "promoters": 1, "n": 4, "nps": 0.0},
        # c: its only answer is missing: the group stays, with zeros
        {"arm": "c", "detractors": 0, "passives": 0, "promoters": 0, "n": 0, "nps": None},
        # a missing label is its own group, listed last
        {"arm": None, "detractors": 0, "passives": 0, "promoters": 1, "n": 1, "nps": 100.0},
    ]
    assert table.attrs["missing"] == 2
    for col in ("detractors", "passives", "promoters", "n"):
        assert table[col].dtype == np.int64


def test_counts_by_two_columns_and_overall_equal_pandas(to_backend):
    native = to_backend(EXPERIMENT)
    for by in (["arm", "region"], None):
        got = nps.counts(native, "score", by=by)
        want = nps.counts(EXPERIMENT, "score", by=by)
        assert as_records(got) == as_records(want)
        assert got.attrs["missing"] == want.attrs["missing"] == 2
    overall = nps.counts(native, "score")
    assert as_records(overall) == [
        {"detractors": 3, "passives": 2, "promoters": 4, "n": 9, "nps": pytest.approx(100 * (4 - 3) / 9)}
    ]


def test_score_distribution_counts_each_answer(to_backend):
    dist = nps.score_distribution(to_backend(EXPERIMENT), "score", by="region")
    want = nps.score_distribution(EXPERIMENT, "score", by="region")
    assert as_records(dist) == as_records(want)
    # n: 9, 6, 7, 8, 3, 10 -> 0:0 ... region n has 10, 6, 7, 8, 3, 10
    assert dist.loc[dist["region"] == "n", [3, 6, 7, 8, 10]].to_numpy().tolist() == [[1, 1, 1, 1, 2]]


TEXT = pd.DataFrame(
    {
        "arm": ["a", "a", "a", "a", "b", "b", "b", "b"],
        "score": ["9", " 10 ", "7.0", "1e1", "", None, "\t3\n", "+8"],
    }
)


def test_text_scores_parse_like_pandas(to_backend):
    got = nps.counts(to_backend(TEXT), "score", by="arm")
    assert as_records(got) == [
        {"arm": "a", "detractors": 0, "passives": 1, "promoters": 3, "n": 4, "nps": 75.0},
        {"arm": "b", "detractors": 1, "passives": 1, "promoters": 0, "n": 2, "nps": -50.0},
    ]
    assert got.attrs["missing"] == 2  # "" and None
    assert as_records(got) == as_records(nps.counts(TEXT, "score", by="arm"))


BAD_TEXT = pd.DataFrame({"arm": ["a", "b", "a", "b", "a"], "score": ["9", "abc", "11", "9.5", "8"]})
BAD_FLOAT = pd.DataFrame({"arm": ["a", "b", "a", "b"], "score": [9.0, -1.0, np.nan, 12.0]})


@pytest.mark.parametrize(("frame", "bad"), [(BAD_TEXT, ["abc", "11", "9.5"]), (BAD_FLOAT, [-1.0, 12.0])])
def test_invalid_scores_raise_naming_column_count_and_values(to_backend, frame, bad):
    with pytest.raises(nps.NPSInputError) as info:
        nps.counts(to_backend(frame), "score", by="arm")
    err = info.value
    assert err.column == "score"
    assert err.count == len(bad)
    assert sorted(map(str, (v for _, v in err.rows))) == sorted(map(str, bad))
    assert f"{len(bad)} invalid score(s)" in str(err)
    if to_backend.backend != "pyspark":  # Spark keeps no row order; the others name positions
        positions = [i for i, v in enumerate(frame["score"]) if str(v) in set(map(str, bad))]
        assert [r for r, _ in err.rows] == positions


def test_quarantine_counts_invalid_scores_and_keeps_the_rest(to_backend):
    got = nps.counts(to_backend(BAD_TEXT), "score", by="arm", on_invalid="quarantine")
    assert as_records(got) == [
        {"arm": "a", "detractors": 0, "passives": 1, "promoters": 1, "n": 2, "nps": 50.0},
        {"arm": "b", "detractors": 0, "passives": 0, "promoters": 0, "n": 0, "nps": None},
    ]
    want = nps.counts(BAD_TEXT, "score", by="arm", on_invalid="quarantine")
    assert as_records(got) == as_records(want)
    quarantined = got.attrs["quarantined"]
    assert len(quarantined) == len(want.attrs["quarantined"]) == 3
    if to_backend.backend != "pandas":
        assert got.attrs["invalid"] == 3


def test_missing_column_is_an_input_error_listing_columns(to_backend):
    with pytest.raises(nps.NPSInputError, match="missing column"):
        nps.counts(to_backend(EXPERIMENT), "answer", by="arm")


def test_boolean_scores_are_invalid(to_backend):
    frame = pd.DataFrame({"score": [True, False]})
    with pytest.raises(nps.NPSInputError, match="2 invalid"):
        nps.counts(to_backend(frame), "score")


# ------------------------------------------------------------------ property: engines agree with pandas

_answers = st.one_of(
    st.integers(-3, 13).map(str),
    st.sampled_from(["", " ", "9.0", "9.5", " 10", "abc", "1e1", "nan", "inf", "-0", "+7", ".5", "8."]),
    st.text(alphabet="0123456789.e+- x", max_size=4),
    st.none(),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(_answers, min_size=1, max_size=30), groups=st.lists(st.sampled_from("xy"), min_size=30, max_size=30))
def test_engines_validate_and_count_exactly_as_pandas(values, groups):
    frame = pd.DataFrame({"g": groups[: len(values)], "s": pd.Series(values, dtype=object)})
    try:
        want = nps.score_distribution(frame, "s", by="g", on_invalid="quarantine")
    except nps.NPSInputError:  # pragma: no cover - quarantine never raises
        raise
    table = pa.Table.from_pandas(frame.astype({"s": "string"}), preserve_index=False)
    con = duckdb.connect()
    for native in (pl.from_arrow(table), table, con.from_arrow(table)):
        got = nps.score_distribution(native, "s", by="g", on_invalid="quarantine")
        assert as_records(got) == as_records(want)
        assert got.attrs["missing"] == want.attrs["missing"]
        assert got.attrs["invalid"] == len(want.attrs["quarantined"])


def test_backend_name_recognises_each_engine():
    assert engines.backend_name(EXPERIMENT) is None
    assert engines.backend_name(pl.from_pandas(EXPERIMENT)) == "polars"
    assert engines.backend_name(pa.Table.from_pandas(EXPERIMENT)) == "pyarrow"
    assert engines.backend_name(duckdb.sql("select 1 as x")) == "duckdb"
    assert engines.backend_name([1, 2]) is None


def test_objects_that_are_not_tables_still_take_the_pandas_path():
    with pytest.raises(TypeError, match="DataFrame"):
        nps.counts(pd.Series([1, 2]), "q")
    assert not engines.is_engine_frame(pd.Series([1, 2]))
    assert engines.is_engine_frame(pl.DataFrame({"q": [1]}))
