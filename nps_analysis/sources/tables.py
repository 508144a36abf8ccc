"""Tables where they live: a file, a SQL query, a database table or a Spark table, opened lazily.

The reports ask a :class:`Table` for aggregates (counts per group, day and answer level; sums),
never for its rows: :func:`day_levels` is the aggregate every time-based report folds into weeks,
months or daily looks; :func:`level_table` the 11-level answer table per group; :func:`fetch_rows`
the bounded set of rows a person reads (alerts, follow-up, example comments).

Small files are read by :func:`nps_analysis.load` (pandas), which knows every quirk of survey
exports (encodings, missing-value markers, survey-tool header rows, day-first dates) and reports
what it read; bigger CSV/Parquet files, database tables and queries stay in DuckDB, and a Spark
table stays in Spark. Every aggregate is computed by the same narwhals expressions on every
engine, pandas included, so the results do not depend on where the rows are.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .engines import (
    INVALID_LEVEL,
    LEVEL_COLUMN,
    MISSING_LEVEL,
    collect_frame,
    describe_invalid,
    distribution_from_levels,
    invalid_examples,
    lazy_frame,
    level_expr,
    narwhals_module,
)
from .errors import NPSInputError

Engine = Literal["auto", "pandas", "duckdb"]

#: Name of the day column inside the engine.
_DAY = "_nps_day_"
_COUNT = "_nps_count_"
_W = "_nps_w_"
_WW = "_nps_ww_"
# A time of day followed by Z or an offset ("2026-01-01T10:00:00+01:00"), not a date's "-01".
_AWARE = r"[0-9]:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)? ?(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)$"
# A Spark catalog name (db.table) or a path table of a data-source format (parquet.`/data/nps`).
_SPARK_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$")
_SPARK_PATH = re.compile(r"^(parquet|csv|orc|json|delta)\.`([^`]+)`$")


@dataclass(frozen=True)
class Table:
    """A table where it lives.

    Attributes:
        data: a pandas frame (a small file read by :func:`nps_analysis.load`, with its load
            report in ``attrs``) or an engine's lazy table: a DuckDB relation, a Spark
            DataFrame, a Polars LazyFrame, a PyArrow table.
        engine: ``"pandas"``, ``"duckdb"``, ``"pyspark"``, ``"polars"``, ``"pyarrow"``, ...
        source: what was read, for messages (a path, ``query '...'``, ``spark table db.t``).
        columns: the table's column names.
    """

    data: Any
    engine: str
    source: str
    columns: tuple[str, ...]

    @property
    def is_pandas(self) -> bool:
        return self.engine == "pandas"

    def rows(self) -> int:
        """The number of rows: ``len`` for pandas, one ``COUNT(*)`` in the engine otherwise."""
        if self.is_pandas:
            return len(self.data)
        nw = narwhals_module()
        out = collect_frame(_lazy(self.data).select(nw.len().alias("n")))
        return int(out["n"].iloc[0])

    def note(self) -> str:
        """One line for a report: where the rows are and how many were counted there."""
        if self.is_pandas:
            return ""
        return (f"Read where the data lives: {self.engine} ({self.source}), {self.rows():,} rows; the engine "
                "computed the counts and sums, and only those (and the bounded rows a section lists) left it.")

    def __repr__(self) -> str:
        return f"Table(engine={self.engine!r}, source={self.source!r}, columns={list(self.columns)!r})"


def as_table(data: Any, source: str = "table") -> Table:
    """``data`` as a :class:`Table` (a Table is returned as it is)."""
    if isinstance(data, Table):
        return data
    if isinstance(data, pd.DataFrame):
        return Table(data, "pandas", source, tuple(map(str, data.columns)))
    nw = narwhals_module()
    try:
        frame = nw.from_native(data)
    except TypeError:
        raise NPSInputError(f"cannot read a {type(data).__name__} as a table") from None
    engine = str(frame.implementation).lower().removeprefix("implementation.")
    return Table(data, engine, source, tuple(frame.collect_schema().names()))


def native(data: Any) -> Any:
    """The pandas frame or engine table inside a :class:`Table` (anything else as it is)."""
    return data.data if isinstance(data, Table) else data


def _lazy(data: Any) -> Any:
    return lazy_frame(native(data))



def read_spark_table(name: str, *, session: Any = None) -> Any:
    """A Spark DataFrame for a catalog table (``db.table``) or a path table (``parquet.`/data/nps```).

    The session is ``session``, else the active one, else a new local one
    (``SparkSession.builder.getOrCreate()``: configure it with ``spark-defaults.conf`` or by
    creating your session before the notebook runs). Nothing is read until an aggregate is asked.
    """
    text = str(name).strip()
    path = _SPARK_PATH.match(text)
    if not path and not _SPARK_NAME.match(text):
        raise NPSInputError(
            f"spark_table {text!r} is neither a table name (db.table) nor a path table such as "
            "parquet.`/data/nps`"
        )
    try:
        from pyspark.sql import SparkSession
    except ImportError:  # pragma: no cover - depends on the installation
        raise ImportError("reading a Spark table needs pyspark: pip install pyspark") from None
    spark = session or SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
    try:
        if path:
            return spark.read.format(path.group(1)).load(path.group(2))
        return spark.table(text)
    except Exception as exc:  # Spark's AnalysisException, reworded
        first = " ".join(str(exc).split())[:300]
        raise NPSInputError(f"Spark cannot read table {text!r}: {first}") from None


def open_table(
    path: str | os.PathLike[str] | None = None,
    *,
    database: str | os.PathLike[str] | None = None,
    query: str | None = None,
    spark_table: str | None = None,
    engine: Engine = "auto",
    score: str | None = None,
    columns: Sequence[str] = (),
    missing_values: str | Sequence[str] | None = ("defaults",),
    threshold: int | None = None,
    spark_session: Any = None,
    allowed_directories: Sequence[str | os.PathLike[str]] | None = None,
    **load_options: Any,
) -> Table:
    """Open a survey table where it lives; nothing but a few header rows is read.

    Args:
        path: a CSV/Parquet/Excel/SPSS file (or glob), or with ``database`` a table name in it.
        database: a DuckDB database file (read-only).
        query: one read-only DuckDB ``SELECT`` (checked; files only below the working folder).
        spark_table: a Spark table (catalog name, or ``parquet.`/path```) of the active session.
        allowed_directories: folders a ``query`` may read files from (default: the working folder).
        engine: ``"auto"``: Excel/SPSS files and CSV/Parquet files smaller than
            :data:`~nps_analysis.sources.bigfile.LARGE_FILE_BYTES` are read by
            :func:`nps_analysis.load` (pandas, every check of a survey export and its load report);
            bigger files, database tables and queries stay in DuckDB. ``"pandas"`` or
            ``"duckdb"`` force one.
        score, columns: the answer column and the other columns the analysis needs: a missing
            one is an error naming the table's columns.
        missing_values: texts read as no answer (see :func:`nps_analysis.load`).
        **load_options: passed to :func:`nps_analysis.load` on the pandas path.
    """
    if engine not in ("auto", "pandas", "duckdb"):
        raise ValueError(f"engine must be 'auto', 'pandas' or 'duckdb', got {engine!r}")
    needed = [c for c in dict.fromkeys([*([score] if score else []), *columns]) if c]
    if spark_table:
        if path or query or database:
            raise NPSInputError("give spark_table alone (not with data_path, database or query)")
        data = read_spark_table(spark_table, session=spark_session)
        table = as_table(data, f"spark table {spark_table}")
        _require(table, needed)
        return table
    from .bigfile import SourceReadError, file_format, is_large_file
    from .sql import describe_query

    requested = engine
    if engine == "auto":
        big = query is not None or (database is not None and path is not None and not Path(str(path)).exists())
        if path is not None and not big:
            try:
                big = is_large_file(path, threshold=threshold) or (
                    any(ch in str(path) for ch in "*?[") and file_format(str(path)) in ("csv", "parquet"))
            except NPSInputError:
                big = False
        engine = "duckdb" if big else "pandas"
    if engine == "duckdb":
        try:
            rel = _duckdb_relation(path, query=query, database=database, score=score,
                                   allowed_directories=allowed_directories)
        except SourceReadError:
            if requested == "duckdb":
                raise
            engine = "pandas"  # e.g. a Windows-1252 export: nps.load reads what DuckDB cannot
        else:
            source = describe_query(query) if query else str(path)
            table = Table(rel, "duckdb", source, tuple(map(str, rel.columns)))
            _require(table, needed)
            return table
    from .load import load

    frame = load(path, score=score, columns=[c for c in needed if c != score], database=database,
                 query=query, missing_values=missing_values, allowed_directories=allowed_directories,
                 **load_options)
    source = describe_query(query) if query else str(path)
    return Table(frame, "pandas", source, tuple(map(str, frame.columns)))


def _duckdb_relation(
    path: Any, *, query: str | None, database: Any, score: str | None,
    allowed_directories: Sequence[str | os.PathLike[str]] | None,
) -> Any:
    """The DuckDB relation of a query, a database table or a file; a file is read as
    :func:`nps_analysis.sources.bigfile.read_file` reads it (survey-tool header rows below the
    header dropped when ``score`` is given, as ``nps.load`` does)."""
    from .bigfile import read_file, read_source
    from .sql import connect, folder_of

    if query is None and path is not None and (database is None or Path(str(path)).exists()):
        folders = [folder_of(path), *(allowed_directories or [])]
        return read_file(path, score=score, connection=connect(allowed_directories=folders))
    return read_source(None if query else path, query=query, database=database,
                       allowed_directories=allowed_directories)


def _require(table: Table, needed: Sequence[str]) -> None:
    absent = [c for c in needed if c not in table.columns]
    if absent:
        raise NPSInputError(f"missing column(s) {absent}; the columns are {list(table.columns)}",
                            file=table.source, column=absent[0])


def _markers(data: Any) -> tuple[str, ...]:
    """Missing-value markers for text answers: the defaults for files DuckDB reads as text."""
    from .missing import missing_markers

    return missing_markers(None) if isinstance(data, Table) and data.engine == "duckdb" else ("",)


def _pandas_days(
    frame: pd.DataFrame, time: str, *, timezone: str, date_format: str | None, dayfirst: bool,
    timezone_column: str | None, file: str | None,
) -> pd.Series:
    """Each row's local calendar day in ``timezone`` (naive midnight), read by the kit's parser."""
    from .dates import to_utc

    zones = frame[timezone_column] if timezone_column and timezone_column in frame.columns else None
    instants = to_utc(frame[time], zones=zones, timezone=timezone, column=time, file=file,
                      date_format=date_format, dayfirst=dayfirst)
    return instants.dt.tz_convert(timezone).dt.tz_localize(None).dt.normalize().astype("datetime64[ns]")


def _duckdb_text_times(table: Any, time: str, date_format: str | None = None) -> Any:
    """A DuckDB relation whose text ``time`` column is cast to TIMESTAMPTZ (every value with an
    offset or ``Z``) or TIMESTAMP (none with one: local times), or read with ``date_format``
    (``strptime``); mixed or unreadable values are an error naming examples."""
    rel = native(table)
    source = getattr(table, "source", None)
    q = '"' + time.replace('"', '""') + '"'
    if date_format:
        fmt = "'" + date_format.replace("'", "''") + "'"
        expr = f"try_strptime(NULLIF(trim({q}), ''), {fmt})"
        bad = rel.query("_nps_t", f"SELECT {q} FROM _nps_t WHERE trim({q}) <> '' AND {expr} IS NULL LIMIT 3").fetchall()
        if bad:
            raise NPSInputError(f"times not written as {date_format}, e.g. {[b[0] for b in bad]}",
                                column=time, file=source)
        others = ", ".join('"' + c.replace('"', '""') + '"' for c in rel.columns if c != time)
        return rel.query("_nps_t", f"SELECT {others + ', ' if others else ''}{expr} AS {q} FROM _nps_t")
    probe = rel.query("_nps_t", (
        f"SELECT count({q}) FILTER (WHERE trim({q}) <> '') AS present, "
        f"count(*) FILTER (WHERE regexp_matches(trim({q}), '{_AWARE}')) AS aware FROM _nps_t")).fetchall()[0]
    present, aware = int(probe[0]), int(probe[1])
    if aware and aware != present:
        raise NPSInputError(
            f"{aware} of {present} times have a time zone (Z or an offset) and the others not: "
            "give them all one, or read the file with engine='pandas' and timezone_column",
            column=time, file=source)
    expr = f"TRY_CAST(NULLIF(trim({q}), '') AS {'TIMESTAMPTZ' if aware else 'TIMESTAMP'})"
    bad = rel.query("_nps_t", f"SELECT {q} FROM _nps_t WHERE trim({q}) <> '' AND {expr} IS NULL LIMIT 3").fetchall()
    if bad:
        raise NPSInputError(
            f"times that are not ISO dates, e.g. {[b[0] for b in bad]}: give date_format (e.g. %d/%m/%Y %H:%M)",
            column=time, file=source)
    others = ", ".join('"' + c.replace('"', '""') + '"' for c in rel.columns if c != time)
    return rel.query("_nps_t", f"SELECT {others + ', ' if others else ''}{expr} AS {q} FROM _nps_t")


_DAY_US = 86_400_000_000
_QUARTER_US = 900_000_000


def utc_offsets(timezone: str, first_us: int, last_us: int) -> tuple[list[int], list[int]]:
    """The UTC offsets of ``timezone`` between two instants (microseconds since 1970, UTC).

    Returns ``(starts, offsets)``: ``offsets[0]`` holds before ``starts[0]`` (or throughout when
    there is no change), ``offsets[k + 1]`` from ``starts[k]`` on, all in microseconds. Every
    IANA zone changes its offset on a quarter hour in modern times, so a 15-minute grid finds each
    change at its exact instant.
    """
    first = pd.Timestamp(first_us // _QUARTER_US * _QUARTER_US, unit="us", tz="UTC")
    last = pd.Timestamp((last_us // _QUARTER_US + 1) * _QUARTER_US, unit="us", tz="UTC")
    grid = pd.date_range(first, last, freq="15min", tz="UTC")
    local = grid.tz_convert(timezone)
    offsets = ((local.tz_localize(None) - grid.tz_localize(None)) // pd.Timedelta(microseconds=1)).to_numpy()
    change = np.flatnonzero(np.diff(offsets)) + 1
    starts = [int(grid[i].value // 1000) for i in change]
    return starts, [int(offsets[0]), *[int(offsets[i]) for i in change]]


_T = "_nps_t_"


def _time_numbers(table: Table, raw: Any, time: str, *, date_format: str | None) -> tuple[Any, str]:
    """``raw`` with a column ``_nps_t_`` holding each row's time as a number, and its kind.

    Kind ``"instant"``: microseconds since 1970-01-01 UTC of a time-zone-aware time (an instant);
    ``"day"``: days since 1970-01-01 of a naive time or a date (local already). DuckDB and Spark
    compute it with their own functions (``epoch_us``, ``unix_micros``, ``unix_date``), which
    narwhals does not translate; the other engines through narwhals.
    """
    nw = narwhals_module()
    source = table.source
    lazy = _lazy(raw)
    dtype = lazy.collect_schema()[time]
    if dtype == nw.String and not date_format:
        raise NPSInputError(
            "text times need date_format on this engine (e.g. %Y-%m-%dT%H:%M:%S%z), or a timestamp column",
            column=time, file=source)
    if table.engine == "duckdb" and not (dtype == nw.String):
        rel = native(raw)
        kind_sql = str(dict(zip(rel.columns, rel.types, strict=True))[time]).upper()
        q = '"' + time.replace('"', '""') + '"'
        if "TIME ZONE" in kind_sql or kind_sql.startswith("TIMESTAMPTZ"):
            expr, kind = f"epoch_us(CAST({q} AS TIMESTAMPTZ))", "instant"
        elif kind_sql.startswith("TIMESTAMP") or kind_sql == "DATE":
            expr, kind = f"datediff('day', DATE '1970-01-01', CAST({q} AS DATE))", "day"
        else:
            raise NPSInputError(f"the time column has type {kind_sql}; expected dates or timestamps",
                                column=time, file=source)
        return rel.query("_nps_r", f'SELECT *, {expr} AS "{_T}" FROM _nps_r'), kind
    if table.engine == "pyspark" and not (dtype == nw.String):
        from pyspark.sql import functions as F
        from pyspark.sql.types import DateType, TimestampNTZType, TimestampType

        df = native(raw)
        col = "`" + time.replace("`", "``") + "`"
        spark_type = df.schema[time].dataType
        if isinstance(spark_type, TimestampType):
            return df.withColumn(_T, F.expr(f"unix_micros({col})")), "instant"
        if isinstance(spark_type, (TimestampNTZType, DateType)):
            return df.withColumn(_T, F.expr(f"unix_date(CAST({col} AS DATE))")), "day"
        raise NPSInputError(f"the time column has type {spark_type}; expected dates or timestamps",
                            column=time, file=source)
    x = nw.col(time)
    if dtype == nw.String:
        x = x.str.to_datetime(format=date_format)
        dtype = lazy.select(x.alias(time)).collect_schema()[time]
    if dtype == nw.Date:
        x, dtype = x.cast(nw.Datetime("us")), nw.Datetime("us")
    if dtype != nw.Datetime:
        raise NPSInputError(f"the time column has type {dtype}; expected dates or timestamps", column=time, file=source)
    micros = x.dt.timestamp("us")
    if getattr(dtype, "time_zone", None):
        return lazy.with_columns(micros.alias(_T)), "instant"
    return lazy.with_columns((micros // _DAY_US).alias(_T)), "day"


def _day_number(frame: Any, kind: str, timezone: str) -> Any:
    """Each row's local day in ``timezone`` (days since 1970-01-01) from ``_nps_t_``.

    Integer arithmetic on the instant (microseconds since 1970 plus the zone's offset at that
    instant, from the few offset changes within the data's time range) instead of a per-row time
    zone conversion: the same day at a fraction of the cost (DuckDB, 100M rows: 1.6 s instead of
    8 s). Naive times are local times already: their own day.
    """
    nw = narwhals_module()
    t = nw.col(_T)
    if kind == "day":
        return t.alias(_DAY)
    span = collect_frame(frame.select(t.min().alias("lo"), t.max().alias("hi")))
    lo, hi = span["lo"].iloc[0], span["hi"].iloc[0]
    if pd.isna(lo):
        return (t // _DAY_US).alias(_DAY)
    starts, offsets = utc_offsets(timezone, int(lo), int(hi))
    offset: Any = nw.lit(offsets[0])
    for start, value in zip(starts, offsets[1:], strict=True):
        offset = nw.when(t >= start).then(nw.lit(value)).otherwise(offset)
    return ((t + offset) // _DAY_US).alias(_DAY)


def day_levels(
    data: Any,
    score: str,
    time: str,
    by: Sequence[str] | str | None = None,
    *,
    timezone: str = "UTC",
    date_format: str | None = None,
    dayfirst: bool = False,
    timezone_column: str | None = None,
    weights: str | None = None,
) -> pd.DataFrame:
    """Rows per group, local calendar day and answer level, counted where the data lives.

    The aggregate every time-based report needs: weeks, months, trailing windows and daily or
    weekly looks are sums of days, folded in pandas (days x groups x 13 levels is small).

    Args:
        data: a :class:`Table`, a pandas frame or an engine table (DuckDB, Polars, PyArrow, Spark).
        score, time: the 0-10 answer column and the submission-time column.
        by: grouping columns (arm, team, segment, cluster).
        timezone: the calendar the days belong to (IANA name). Time-zone-aware times are converted
            to it; naive times are local times in it.
        date_format, dayfirst, timezone_column: how text times are read. pandas rows use the kit's
            parser (:func:`nps_analysis.sources.dates.to_utc`: per-row zones, day-first dates,
            never a silent guess); engines need timestamp or date columns, text with
            ``date_format``, or (DuckDB) ISO text.
        weights: a weight column: adds ``weight`` and ``weight_sq``, the sums of the weights and of
            their squares per cell (NaN where a weight is negative or missing).

    Returns:
        The ``by`` columns, ``day`` (datetime64[ns], naive local midnight; NaT where the time is
        missing), ``level`` (0..10, -1 missing answer) and ``count`` (int64),
        sorted by group, day and level. ``attrs["rows"]`` is the number of rows counted.

    Raises:
        NPSInputError: invalid answers (their count and the first ones, with rows where the
            engine keeps an order); unreadable times.
    """
    nw = narwhals_module()
    by = [by] if isinstance(by, str) else list(by or [])
    table = as_table(data)
    _require(table, [score, time, *by, *([weights] if weights else [])])
    source = table.source
    if table.is_pandas:
        frame = table.data
        day = _pandas_days(frame, time, timezone=timezone, date_format=date_format, dayfirst=dayfirst,
                           timezone_column=timezone_column, file=source)
        keep = [c for c in dict.fromkeys([score, *by, *([weights] if weights else [])])]
        work = frame[keep].copy()
        work[score] = _pandas_scores(frame, score, source)
        work[_DAY] = day.to_numpy()
        lazy = nw.from_native(work)
        day_col = nw.col(_DAY)
    else:
        if timezone_column:
            raise NPSInputError(
                "per-row time zones (timezone_column) are read on the pandas path only: store UTC "
                "timestamps in the table, or use engine='pandas'", column=timezone_column, file=source)
        raw = table.data
        schema = _lazy(raw).collect_schema()
        if table.engine == "duckdb" and schema[time] == nw.String:
            raw = _duckdb_text_times(table, time, date_format)
        raw, kind = _time_numbers(table, raw, time, date_format=date_format)
        lazy = _lazy(raw)
        day_col = _day_number(lazy, kind, timezone)
    level = level_expr(score, lazy.collect_schema()[score], _markers(table))
    keys = [*by, _DAY, LEVEL_COLUMN]
    if weights:
        raw_w = nw.col(weights).cast(nw.Float64)
        w = nw.when(raw_w >= 0).then(raw_w).otherwise(nw.lit(float("nan")))
        tally = lazy.select(*by, day_col, level, w.alias(_W), (w * w).alias(_WW)).group_by(*keys).agg(
            nw.len().alias(_COUNT), nw.col(_W).sum().alias("weight"), nw.col(_WW).sum().alias("weight_sq"))
    else:
        tally = lazy.select(*by, day_col, level).group_by(*keys).agg(nw.len().alias(_COUNT))
    out = collect_frame(tally).rename(columns={_DAY: "day", LEVEL_COLUMN: "level", _COUNT: "count"})
    _raise_invalid(out, table, score)
    if pd.api.types.is_numeric_dtype(out["day"].dtype):  # days since 1970 from an engine
        numbers = pd.to_numeric(out["day"]).astype("Float64")
        out["day"] = pd.to_datetime((numbers * 86400).astype("Int64"), unit="s")
    out["day"] = pd.to_datetime(out["day"]).astype("datetime64[ns]")
    out["level"] = out["level"].astype(np.int64)
    out["count"] = out["count"].astype(np.int64)
    if weights:
        for col in ("weight", "weight_sq"):
            out[col] = out[col].astype(float)
    out = _sort(out, [*by, "day", "level"])
    out.attrs["rows"] = int(out["count"].sum())
    return out


def _pandas_scores(frame: pd.DataFrame, score: str, source: str) -> Any:
    """A pandas score column every engine step reads: numbers as they are, text or objects parsed
    by the kit (an invalid answer raises naming its rows)."""
    from .scores import parse_scores

    values = frame[score]
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return values
    return parse_scores(values, column=score, file=source).values


def _raise_invalid(levels: pd.DataFrame, table: Table, score: str) -> None:
    """Invalid answers are an error on every engine: their count and the first ones."""
    invalid = int(levels.loc[levels["level"] == INVALID_LEVEL, "count"].sum())
    if invalid:
        examples = invalid_examples(native(table), score, markers=_markers(table))
        raise NPSInputError(
            f"{invalid} invalid score(s): expected whole numbers from 0 to 10 ({describe_invalid(examples)})",
            file=table.source, column=score, count=invalid)


def _sort(out: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    try:
        out = out.sort_values(keys, kind="stable", na_position="last")
    except TypeError:  # mixed label types: keep the engine's order
        pass
    return out.reset_index(drop=True)


def level_table(data: Any, score: str, by: Sequence[str] | str | None = None) -> pd.DataFrame:
    """The answers 0..10 per group, counted where the data lives.

    Same table as :func:`nps_analysis.score_distribution`: the ``by`` columns, then columns ``0``
    .. ``10``, every group present (zeros where all its answers are missing), in natural order;
    ``attrs["missing"]`` counts rows without an answer. Invalid answers raise
    :class:`NPSInputError` with their count and the first ones.
    """
    from .engines import level_counts

    by = [by] if isinstance(by, str) else list(by or [])
    table = as_table(data)
    _require(table, [score, *by])
    frame = table.data
    if table.is_pandas:
        frame = frame[[score, *by]].copy()
        frame[score] = _pandas_scores(table.data, score, table.source)
    levels = level_counts(frame, score, by, file=table.source, markers=_markers(table))
    _raise_invalid(levels, table, score)
    out = distribution_from_levels(levels, by)
    out.attrs["missing"] = int(levels.loc[levels["level"] == MISSING_LEVEL, "count"].sum())
    return out


def fetch_rows(
    data: Any,
    columns: Sequence[str],
    *,
    where: Any = None,
    limit: int = 10_000,
    order_by: Sequence[str] | str | None = None,
) -> pd.DataFrame:
    """The rows a person reads (alerts, a follow-up queue, example comments): a bounded, filtered set.

    Args:
        data: a :class:`Table`, a pandas frame or an engine table.
        columns: the columns to bring back.
        where: a narwhals expression choosing the rows, run by the engine (``None``: every row).
        limit: the most rows that may come back. More matching rows is an error naming how many
            matched, never a silent cut: narrow ``where`` or raise the limit.
        order_by: columns to sort by (in the engine) before the rows come back.
    """
    nw = narwhals_module()
    table = as_table(data)
    _require(table, list(columns))
    if not isinstance(limit, (int, np.integer)) or limit < 0:
        raise ValueError(f"limit must be a non-negative integer, got {limit!r}")
    frame = _lazy(table.data)
    if where is not None:
        frame = frame.filter(where)
    matched = int(collect_frame(frame.select(nw.len().alias("n")))["n"].iloc[0])
    if matched > limit:
        raise NPSInputError(
            f"{matched:,} rows match, more than the limit of {limit:,} rows to bring back: narrow the "
            "selection or raise the limit", file=table.source)
    order = [order_by] if isinstance(order_by, str) else list(order_by or [])
    out = frame.select(*dict.fromkeys([*columns, *order]))
    if order:
        out = out.sort(*order, nulls_last=True)
    result = collect_frame(out)[list(columns)]
    return result.reset_index(drop=True)


def read_rows(
    data: Any,
    columns: Sequence[str],
    *,
    max_rows: int = 2_000_000,
    sample_rows: int | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """The rows of an analysis that works on respondents (follow-up queues, key-driver bootstraps),
    brought into pandas only when they are few, or as a stated uniform random sample.

    A pandas :class:`Table` is returned as it is (its columns). An engine table with at most
    ``max_rows`` rows comes back whole (``columns`` only). A bigger one is an error naming its size
    unless ``sample_rows`` is given: then a uniform random sample of that many rows is drawn by the
    engine (DuckDB's reservoir sample, Spark's Bernoulli sample cut to size, Polars' sample), with
    ``attrs["sampled"] = {"rows": n, "of": total, "seed": seed}`` so the report can say so.
    """
    table = as_table(data)
    _require(table, list(columns))
    if table.is_pandas:
        return table.data
    total = table.rows()
    nw = narwhals_module()
    if total <= max_rows:
        out = collect_frame(_lazy(table.data).select(*dict.fromkeys(columns)))
        out.attrs["sampled"] = None
        return out
    if not sample_rows:
        raise NPSInputError(
            f"{total:,} rows: more than max_rows = {max_rows:,} to bring into memory for this "
            "respondent-level analysis; narrow the query, raise max_rows, or give sample_rows for a "
            "uniform random sample", file=table.source)
    n = int(sample_rows)
    names = ", ".join('"' + c.replace('"', '""') + '"' for c in dict.fromkeys(columns))
    if table.engine == "duckdb":
        out = table.data.query(
            "_nps_s", f"SELECT {names} FROM _nps_s USING SAMPLE reservoir({n} ROWS) REPEATABLE ({int(seed)})").df()
    elif table.engine == "pyspark":
        from pyspark.sql import functions as F

        # A Bernoulli sample a little bigger than n, then n of it in random order: uniform.
        fraction = min(1.0, 1.2 * n / total + 1e-9)
        frame = table.data.select(*dict.fromkeys(columns)).sample(False, fraction, seed)
        out = collect_frame(nw.from_native(frame.orderBy(F.rand(seed)).limit(n)))
    else:
        out = collect_frame(_lazy(table.data).select(*dict.fromkeys(columns))).sample(n=min(n, total), random_state=seed)
    out = out.reset_index(drop=True)
    out.columns.name = None
    out.attrs["sampled"] = {"rows": len(out), "of": total, "seed": int(seed)}
    return out


__all__ = ["Table", "as_table", "day_levels", "fetch_rows", "level_table", "native", "open_table", "read_rows", "read_spark_table"]
