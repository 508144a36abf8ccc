"""The weekly report's tables on every engine: the same numbers (to 1e-9) from pandas rows, Polars,
PyArrow, DuckDB and Spark local, because every table is folded from the same aggregates.

NPS by week and segment, period changes, the mix/rate split and the mix drift, comment-theme counts
and alerts are computed from day-level counts, per-segment counts and a bounded set of fetched rows;
the engine only runs the aggregates and the filters.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nps_analysis as nps
from nps_analysis.analyses import tracking
from nps_analysis.analyses.theme_counts import engine_keyword_regex, keyword_pattern
from nps_analysis.sources.errors import NPSInputError
from nps_analysis.stats import decomposition
from tests import test_engines

spark = test_engines.spark
to_backend = test_engines.to_backend

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")

RNG = np.random.default_rng(1818)
N = 2400
AS_OF = "2026-11-17T12:00:00Z"
_WORDS = ["waiting", "WAITED", "too slow", "slow-ish", "price", "Prices!", "costly", "rude", "kind", "kindness",
          "call  back", "called me back", "refund", "fees", "bug_fix", "bugs", "Crashed", "délai", "queue",
          "cancel", "Cancelled", "lawyer", "never again", "complaint", "fine", "great", "", "\u2003", "\u00a0"]


def _rows() -> pd.DataFrame:
    comments = [" ".join(RNG.choice(_WORDS, size=RNG.integers(0, 5))) for _ in range(N)]
    frame = pd.DataFrame({
        "response_id": [f"r{i:05d}" for i in range(N)],
        "customer_id": [f"c{i % 700:04d}" for i in range(N)],
        "team": RNG.choice(["north", "south", "east"], N, p=[0.5, 0.3, 0.2]),
        "agent": RNG.choice(["ann", "bob", "cy", "dee"], N),
        "tier": RNG.choice(["key", "standard"], N, p=[0.15, 0.85]),
        "score": RNG.integers(0, 11, N).astype(float),
        "w": RNG.uniform(0.2, 3.0, N),
        # Nine weeks up to the report, instants spread over the day so the zone decides the week
        # (microseconds, as warehouses and Spark keep them).
        "at": pd.Timestamp("2026-09-14", tz="UTC") + pd.to_timedelta(RNG.uniform(0, 64 * 86400, N), unit="s").floor("us"),
        "comment": [c if RNG.random() > 0.15 else None for c in comments],
    })
    frame.loc[RNG.random(N) < 0.04, "score"] = np.nan
    frame["local"] = frame["at"].dt.tz_localize(None)  # naive: local times in the report's zone
    return frame


ROWS = _rows()
TIMES = {"score": "score", "timezone_column": None}


def _engine_table(to_backend, time: str):
    table = to_backend(ROWS)
    if to_backend.backend == "pyspark" and time == "local":
        # Spark reads naive pandas times as session-zone instants; a warehouse keeps wall-clock times
        # as TIMESTAMP_NTZ.
        from pyspark.sql import functions as F

        table = table.withColumn("local", F.col("local").cast("timestamp_ntz"))
    return table


def _same(got: pd.DataFrame, ref: pd.DataFrame) -> None:
    got, ref = got.reset_index(drop=True), ref.reset_index(drop=True)
    assert list(got.columns) == list(ref.columns)
    for col in ref.columns:
        if pd.api.types.is_float_dtype(ref[col]) or pd.api.types.is_float_dtype(got[col]):
            np.testing.assert_allclose(got[col].to_numpy(dtype=float), ref[col].to_numpy(dtype=float),
                                       rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=col)
        else:
            assert got[col].astype(str).tolist() == ref[col].astype(str).tolist(), col


# ------------------------------------------------------------------------------ tracking tables


@pytest.mark.parametrize("time,zone", [("at", "Europe/Paris"), ("local", "UTC")])
def test_weekly_tables_are_the_same_on_every_engine(to_backend, time, zone):
    table = _engine_table(to_backend, time)
    opts = {"time": time, "timezone": zone, "min_n": 20, **TIMES}
    first, period = tracking.report_window(AS_OF, periods=8, timezone=zone)
    for by, weights, window in ((["team"], None, 1), (["team", "agent"], None, 1), (["team"], "w", 1),
                                (["team"], None, 4), (["team"], "w", 3)):
        ref = nps.nps_by_period(ROWS, by=by, start=first, end=period, weights=weights, window=window, **opts)
        got = nps.nps_by_period(table, by=by, start=first, end=period, weights=weights, window=window, **opts)
        _same(got, ref)
        assert got.attrs == ref.attrs
        for which in (period, "all"):
            _same(nps.period_changes(got, period=which), nps.period_changes(ref, period=which))


def test_mix_rate_and_drift_from_counts_are_the_same_on_every_engine(to_backend):
    table = _engine_table(to_backend, "at")
    period = tracking.report_period(AS_OF)
    for weights in (None, "w"):
        ref_days = tracking.day_counts(ROWS, time="at", by=["team"], weights=weights, **TIMES)
        got_days = tracking.day_counts(table, time="at", by=["team"], weights=weights, **TIMES)
        ref = [tracking.segment_counts(ref_days, period, "team", weights=weights)]
        got = [tracking.segment_counts(got_days, period, "team", weights=weights)]
        for (ga, gb), (ra, rb) in zip(got, ref, strict=True):
            _same(ga, ra)
            _same(gb, rb)
            split_g = decomposition.mix_rate_from_counts(ga, gb, "team", weighted=bool(weights))
            split_r = decomposition.mix_rate_from_counts(ra, rb, "team", weighted=bool(weights))
            for key in ("change", "mix", "mix_se", "rate", "rate_se", "change_se"):
                assert getattr(split_g, key) == pytest.approx(getattr(split_r, key), rel=1e-9, abs=1e-9)
    drift_g = decomposition.mix_drift_from_counts(gb.set_index("team")["rows"], ga.set_index("team")["rows"], "team")
    drift_r = decomposition.mix_drift_from_counts(rb.set_index("team")["rows"], ra.set_index("team")["rows"], "team")
    assert drift_g.statistic == pytest.approx(drift_r.statistic, rel=1e-12)


def test_mix_rate_and_drift_from_counts_equal_the_row_versions():
    period = tracking.report_period(AS_OF)
    before, now = nps.period_frames(ROWS, period, time="at", timezone_column=None)
    for weights in (None, "w"):
        days = tracking.day_counts(ROWS, time="at", by=["team"], weights=weights, **TIMES)
        counts_a, counts_b = tracking.segment_counts(days, period, "team", weights=weights)
        rows = nps.mix_rate(before, now, "team", weights=weights)
        counted = decomposition.mix_rate_from_counts(counts_a, counts_b, "team", weighted=bool(weights))
        for key in ("nps_a", "nps_b", "change", "mix", "mix_se", "rate", "rate_se", "change_se"):
            assert getattr(counted, key) == pytest.approx(getattr(rows, key), rel=1e-9, abs=1e-12), key
        assert [s["team"] for s in counted.segments] == [s["team"] for s in rows.segments]
        for mine, theirs in zip(counted.segments, rows.segments, strict=True):
            assert (mine["n_a"], mine["n_b"]) == (theirs["n_a"], theirs["n_b"])
            assert mine["mix"] == pytest.approx(theirs["mix"], rel=1e-9, abs=1e-12)
            assert mine["rate"] == pytest.approx(theirs["rate"], rel=1e-9, abs=1e-12)
    drift_rows = nps.mix_drift(now, before, "team")
    drift_counts = decomposition.mix_drift_from_counts(counts_b.set_index("team")["rows"],
                                                       counts_a.set_index("team")["rows"], "team")
    assert (drift_counts.statistic, drift_counts.df, drift_counts.n) == (
        pytest.approx(drift_rows.statistic, rel=1e-12), drift_rows.df, drift_rows.n)
    assert drift_counts.pvalue == pytest.approx(drift_rows.pvalue, rel=1e-9)


def test_pooled_weighted_window_uses_kish_n_of_the_window_rows():
    """Window of 3 weeks, weighted: effective n = (sum w)^2 / sum w^2 over the window's answers."""
    period = tracking.report_period(AS_OF)
    table = nps.nps_by_period(ROWS, by=["team"], time="at", weights="w", window=3, start=period, end=period,
                              min_n=1, **TIMES)
    start = (pd.Period(period, freq="W-SUN") - 2).start_time
    end = period + pd.Timedelta(days=7)
    local = ROWS["at"].dt.tz_localize(None)
    for _, row in table.iterrows():
        rows = ROWS[(ROWS["team"] == row["team"]) & (local >= start) & (local < end) & ROWS["score"].notna()]
        w, s = rows["w"].to_numpy(), rows["score"].to_numpy()
        assert row["n"] == len(rows)
        assert row["effective_n"] == pytest.approx(w.sum() ** 2 / (w**2).sum(), rel=1e-12)
        assert row["promoters"] == pytest.approx(w[s >= 9].sum(), rel=1e-12)
        assert row["nps"] == pytest.approx(100 * (w[s >= 9].sum() - w[s <= 6].sum()) / w.sum(), rel=1e-12)


def test_invalid_answers_and_answers_without_time_are_errors_on_the_day_path():
    bad = ROWS.head(50).copy()
    bad.loc[3, "score"] = 11
    with pytest.raises(NPSInputError, match="invalid"):
        nps.nps_by_period(bad, time="at", **TIMES)
    days = tracking.day_counts(ROWS.head(50), time="at", **TIMES)
    days.loc[0, "day"] = pd.NaT
    with pytest.raises(NPSInputError, match="no submission time"):
        tracking.nps_by_period_from_days(days)


# ------------------------------------------------------------------------------------- themes


@pytest.mark.parametrize("text", ["I was waiting", "WAIT", "no-waiting here", "awaiting", "slow_ish", "délai",
                                  "call\u00a0back", "called  me back", "fees!", "bug_fix", "kind\u2003words", ""])
def test_engine_regex_finds_what_the_python_pattern_finds(text):
    import duckdb

    words = ["wait*", "call back", "called me back", "fee*", "bug*", "kind", "délai", "slow"]
    found = bool(keyword_pattern(words).search(text))
    con = duckdb.connect()
    assert con.execute("SELECT regexp_matches(?, ?)", [text, engine_keyword_regex(words)]).fetchone()[0] == found


def test_comment_themes_counts_are_the_same_on_every_engine(to_backend):
    table = _engine_table(to_backend, "at")
    for by in (["category"], ["category", "team"]):
        ref = nps.comment_themes(ROWS, by=by, freq="W", time="at", min_n=5, timezone_column=None)
        got = nps.comment_themes(table, by=by, freq="W", time="at", min_n=5, timezone_column=None)
        _same(got, ref)
        assert {**got.attrs, "matched_by": ""} == {**ref.attrs, "matched_by": ""}
        assert ref.attrs["matched_by"] == "the kit's Python matcher"
        if to_backend.backend != "pandas":
            assert got.attrs["matched_by"].endswith("regular expressions")
        assert ref.attrs["comments_matched"] == int(ROWS["comment"].fillna("").str.strip().ne("").sum())
        assert ref["comments"].sum() > 0 and ref["mentions"].fillna(0).sum() > 0


# -------------------------------------------------------------------------------------- alerts


def test_alerts_are_the_same_on_every_engine(to_backend):
    table = _engine_table(to_backend, "at")
    opts = {"as_of": AS_OF, "key_accounts": {"tier": ["key"]}, "drop_by": ["team"], "min_n": 20, "time": "at",
            "timezone_column": None}
    ref = nps.alert_list(ROWS, **opts)
    got = nps.alert_list(table, **opts, limit=500)
    assert set(ref["rule"]) >= {"keyword", "key_account_detractor"}
    _same(got, ref)
    assert {**got.attrs, "fetched_rows": None} == ref.attrs and ref.attrs["fetched_rows"] is None
    if to_backend.backend != "pandas":
        answered = got.loc[got["rule"] != "nps_drop", "response_id"].nunique()
        assert 0 < answered <= got.attrs["fetched_rows"] < 500


def test_alert_rows_are_bounded_never_cut():
    import duckdb

    con = duckdb.connect()
    relation = con.from_df(ROWS)
    with pytest.raises(NPSInputError, match="more than the limit of 3 rows"):
        nps.alert_list(relation, as_of=AS_OF, time="at", timezone_column=None, limit=3)


def test_weighted_windows_are_not_refused_any_more():
    out = nps.nps_by_period(ROWS, time="at", weights="w", window=4, min_n=5, **TIMES)
    assert out["effective_n"].gt(0).all() and not math.isnan(out["nps"].iloc[-1])


# ----------------------------------------------------------------------------------- notebook


def _numbers(results: dict) -> dict:
    """results.json without what differs between two runs by design (the run, the parameters)."""
    return {k: v for k, v in results.items() if k not in ("run", "parameters")}


def _same_numbers(got, ref, where: str = "results") -> None:
    """Nested results equal, numbers to 1e-9."""
    if isinstance(ref, dict):
        assert isinstance(got, dict) and set(got) == set(ref), where
        for key in ref:
            _same_numbers(got[key], ref[key], f"{where}.{key}")
    elif isinstance(ref, list):
        assert isinstance(got, list) and len(got) == len(ref), where
        for i, (g, r) in enumerate(zip(got, ref, strict=True)):
            _same_numbers(g, r, f"{where}[{i}]")
    elif isinstance(ref, float) and not isinstance(ref, bool):
        assert got == pytest.approx(ref, rel=1e-9, abs=1e-9, nan_ok=True), where
    else:
        assert got == ref, where


@pytest.mark.notebook
def test_weekly_notebook_on_duckdb_parquet_records_the_pandas_numbers(tmp_path):
    import json
    from pathlib import Path

    from nps_analysis import datasets
    from nps_analysis.sources.dates import to_utc

    rows = nps.load(datasets.sample_path("loop_responses"), score="score")
    # A warehouse keeps instants: the sample's local times with their zones become UTC timestamps.
    rows["submitted_at"] = to_utc(rows["submitted_at"], zones=rows["timezone"], timezone="UTC", column="submitted_at")
    path = tmp_path / "responses.parquet"
    rows.drop(columns=["timezone"]).to_parquet(path, index=False)
    notebook = Path(__file__).resolve().parent.parent / "notebooks" / "weekly_tracking.ipynb"
    params = {"data_path": str(path), "team_column": "team", "comment_column": "comment", "id_column": "response_id",
              "customer_column": "customer_id", "key_account_column": "account_tier", "min_n": 20}
    recorded = {}
    for engine in ("pandas", "duckdb"):
        run = nps.run_notebook(notebook, {**params, "engine": engine}, output_dir=tmp_path / engine)
        results = json.loads((run.run_dir / "results.json").read_text())
        assert results["status"] == "ok", results.get("error")
        recorded[engine] = results
        html = (run.run_dir / "report.html").read_text()
        assert ("Read where the data lives: duckdb" in html) == (engine == "duckdb")
    pandas_numbers, duckdb_numbers = _numbers(recorded["pandas"]), _numbers(recorded["duckdb"])
    assert duckdb_numbers["alerts"].pop("csv") != pandas_numbers["alerts"].pop("csv")  # two run folders
    duckdb_numbers["alerts"].pop("json"), pandas_numbers["alerts"].pop("json")
    _same_numbers(duckdb_numbers, pandas_numbers)
    assert pandas_numbers["alerts"]["count"] > 0 and pandas_numbers["mix_rate"] is not None


def test_team_scope_filters_an_engine_table_in_the_engine():
    import duckdb

    from nps_analysis.analyses.columns import resolve_columns, team_scope
    from nps_analysis.sources.tables import Table, as_table

    con = duckdb.connect()
    table = as_table(con.from_df(ROWS), "responses")
    cols = resolve_columns("weekly_tracking", "responses.parquet", team_column="team", segment_columns=["agent"],
                           time_column="at")
    subset, segments, label = team_scope(table, cols, "north")
    assert isinstance(subset, Table) and subset.engine == "duckdb"
    assert (segments, label) == (["agent"], "team north")
    assert subset.rows() == int((ROWS["team"] == "north").sum())
    opts = {"time": "at", "by": ["agent"], "min_n": 10, "timezone_column": None}
    _same(nps.nps_by_period(subset, **opts), nps.nps_by_period(ROWS[ROWS["team"] == "north"], **opts))
    with pytest.raises(NPSInputError, match=r"no answers for team 'west'; the teams are \['east', 'north', 'south'\]"):
        team_scope(table, cols, "west")


@pytest.mark.parametrize("kind", ["iso text", "date"])
def test_alert_rows_of_text_and_date_times_are_filtered_by_day(kind):
    import duckdb

    frame = ROWS.drop(columns=["local"]).copy()
    if kind == "iso text":
        frame["at"] = frame["at"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        # An alert row whose time is not ISO: kept by the filter, then refused by the kit's parser.
        frame.loc[5, ["at", "comment", "score"]] = ["not a time", "I will cancel", 2.0]
    else:
        frame["at"] = frame["at"].dt.date
    relation = duckdb.connect().from_df(frame)
    as_of, since = pd.Timestamp(AS_OF), pd.Timestamp(AS_OF) - pd.Timedelta("7D")
    rows = nps.alerts.fetch_alert_rows(relation, since=since, as_of=as_of, key_accounts={"tier": ["key"]},
                                       keywords=nps.alerts.DEFAULT_ALERT_KEYWORDS, time="at", limit=N)
    days = pd.to_datetime(rows["at"], utc=True, errors="coerce", format="mixed")
    assert days.dropna().between(since - pd.Timedelta(days=2), as_of + pd.Timedelta(days=2)).all()
    assert 0 < len(rows) < 400 and (days.isna().sum() == (kind == "iso text"))
    if kind == "iso text":
        with pytest.raises(NPSInputError, match="not a time"):
            nps.alert_list(relation, as_of=AS_OF, time="at", timezone_column=None, key_accounts={"tier": ["key"]})


def test_pandas_rows_without_a_time_are_named():
    frame = ROWS.head(30).copy()
    frame["at"] = frame["at"].astype(object)
    frame.loc[7, ["at", "score"]] = [None, 9.0]
    with pytest.raises(NPSInputError, match=r"1 row\(s\) have a score but no submission time.*row 7"):
        nps.nps_by_period(frame, time="at", **TIMES)


_ALPHABET = list("abcikwtsAKWIS_1234-.,!'\u00e9\u00c9\u00df\u0131\u0130\u212a\u0301\u00a0\u2003\u3000\x0b\x1c\n\t ")


@settings(max_examples=150, deadline=None)
@given(texts=st.lists(st.text(alphabet=_ALPHABET, max_size=14), min_size=1, max_size=20))
def test_engine_regexes_agree_with_python_on_awkward_text(texts):
    """Whole words, stems, phrases and case on text with accents, combining marks, odd spaces and
    digits: DuckDB (RE2), PyArrow (RE2) and Polars (Rust) find exactly what Python finds."""
    import duckdb
    import polars as pl
    import pyarrow as pa
    import pyarrow.compute as pc

    words = ["wait*", "kiss", "a b", "\u00e9t\u00e9", "s1*", "ik"]
    regex = engine_keyword_regex(words)
    expected = [bool(keyword_pattern(words).search(t)) for t in texts]
    duck = duckdb.connect().execute("SELECT regexp_matches(t, ?) FROM (SELECT unnest(?) AS t)",
                                    [regex, texts]).fetchall()
    assert [row[0] for row in duck] == expected
    assert pc.match_substring_regex(pa.array(texts), regex).to_pylist() == expected
    assert pl.Series(texts).str.contains(regex).to_list() == expected
