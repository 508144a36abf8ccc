"""Counting where the data lives: Polars, PyArrow, DuckDB, PySpark (and Ibis) tables through one path.

The 0-10 answers are validated and tallied by the engine that holds the rows (narwhals translates
one set of expressions into each backend's own), so only the per-group counts ever reach pandas.

How it works: every row gets a *level*, computed by the engine: the answer 0..10, ``-1`` for a
missing answer, ``-2`` for an invalid one. The engine groups by the ``by`` columns and the level and
counts (at most ``groups x 13`` rows come back); the kit pivots that into the same 11-level table
:func:`nps_analysis.scoring.score_distribution` builds from a pandas frame. The validation rules
are the pandas ones (:func:`nps_analysis.scoring.parse_scores`): integers, integral floats and
numeric text with surrounding whitespace are answers; NaN, null and blank text are missing; out of
range, non-integral, non-finite and unparsable values (and booleans) are invalid.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from .errors import NPSInputError, describe_rows
from .labels import natural_order

OnInvalid = Literal["error", "quarantine"]

#: Level codes the engine assigns to rows that are not answers.
MISSING_LEVEL = -1
INVALID_LEVEL = -2
#: How many invalid values (with their positions, where the engine has an order) are fetched for
#: the error message or ``attrs["quarantined"]``. The count of all of them is always exact.
EXAMPLES = 20

# Python's str.strip() whitespace, spelled out so every regex engine (RE2 for PyArrow and DuckDB,
# Rust for Polars, Java for Spark) strips the same characters pandas does.
_WS = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_STRIP = f"^[{_WS}]+|[{_WS}]+$"
# Finite decimal numbers as pd.to_numeric reads them ("9", "+9", "9.", ".5", "1e1"). Text it also
# reads but which is never a valid answer ("inf", "nan") is invalid either way.
_NUMBER = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"

LEVEL_COLUMN = "_nps_level_"
_COUNT = "_nps_count_"
_WEIGHT = "_nps_weight_"
_WEIGHT_SQ = "_nps_weight_sq_"
_ROW = "_nps_row_"


def narwhals_module() -> Any:
    try:
        import narwhals
    except ImportError:  # pragma: no cover - depends on the installation
        raise ImportError(
            "the kit's aggregates need narwhals (a core dependency): "
            "pip install narwhals"
        ) from None
    return narwhals


def backend_name(data: Any) -> str | None:
    """The engine holding ``data`` (``"polars"``, ``"pyarrow"``, ``"duckdb"``, ``"pyspark"``, ...).

    ``None`` for objects the engine path does not take (pandas frames have their own path in
    :mod:`nps_analysis.scoring`).
    """
    nw = narwhals_module()

    if isinstance(data, pd.DataFrame):
        return None
    try:
        frame = nw.from_native(data)
    except TypeError:
        return None
    if not isinstance(frame, (nw.DataFrame, nw.LazyFrame)):
        return None
    return str(frame.implementation).lower().removeprefix("implementation.")


_ENGINE_MODULES = ("polars", "pyarrow", "duckdb", "pyspark", "ibis", "sqlframe", "dask", "modin")


def is_engine_frame(data: Any) -> bool:
    """True for a table the engine path counts: not pandas, but one narwhals can translate.

    Raises:
        ImportError: a Polars/PyArrow/DuckDB/Spark table while narwhals is not installed.
    """
    if isinstance(data, pd.DataFrame):
        return False
    try:
        import narwhals  # noqa: F401
    except ImportError:
        if type(data).__module__.split(".")[0].lstrip("_") in _ENGINE_MODULES:
            narwhals_module()  # raises with the install hint
        return False
    return backend_name(data) is not None


def level_expr(score: str, dtype: Any, markers: Sequence[str] = ("",)) -> Any:
    """The expression giving each row its level: 0..10, MISSING_LEVEL or INVALID_LEVEL."""
    nw = narwhals_module()

    x = nw.col(score)
    if dtype.is_integer():  # integers need a range check only, and no detour through floats
        level = (
            nw.when(x.is_null())
            .then(nw.lit(MISSING_LEVEL))
            .otherwise(nw.when((x < 0) | (x > 10)).then(nw.lit(INVALID_LEVEL)).otherwise(x))
        )
        return level.cast(nw.Int64).alias(LEVEL_COLUMN)
    if dtype.is_float() or dtype.is_decimal():
        value = x.cast(nw.Float64)
        missing = value.is_null() | value.is_nan()
        invalid = ~value.is_finite() | (value < 0) | (value > 10) | (value != value.round(0))
    elif dtype == nw.Boolean:
        # pandas refuses True/False as answers rather than reading them as 1/0.
        missing = x.is_null()
        invalid = nw.lit(True)
        value = nw.lit(0.0)
    elif dtype in (nw.String, nw.Categorical, nw.Enum) or dtype == nw.String:
        text = x.cast(nw.String).str.replace_all(_STRIP, "")
        missing = text.is_null() | (text == "")
        # Missing-value markers of files read from disk (sources/missing.py); in-memory tables
        # pass only the empty text.
        others = [m for m in markers if m]
        if others:
            missing = missing | text.is_in(others)
        # Only text that looks like a number is cast: a strict cast of "abc" would fail the query.
        value = nw.when(text.str.contains(_NUMBER)).then(text).cast(nw.Float64)
        invalid = (
            value.is_null() | ~value.is_finite() | (value < 0) | (value > 10) | (value != value.round(0))
        )
    else:
        raise NPSInputError(
            f"the score column has type {dtype}; expected whole numbers 0-10 (as numbers or text)",
            column=score,
        )
    # Branches in this order so null comparisons on missing rows never decide anything.
    level = (
        nw.when(missing)
        .then(nw.lit(float(MISSING_LEVEL)))
        .otherwise(nw.when(invalid).then(nw.lit(float(INVALID_LEVEL))).otherwise(value))
    )
    return level.cast(nw.Int64).alias(LEVEL_COLUMN)


def lazy_frame(data: Any) -> Any:
    """``data`` as a narwhals frame; eager Polars becomes lazy (one optimised query, not eager steps)."""
    nw = narwhals_module()
    frame = nw.from_native(data)
    if isinstance(frame, nw.DataFrame) and frame.implementation.is_polars():
        frame = frame.lazy()
    return frame


def collect_frame(frame: Any) -> pd.DataFrame:
    """A narwhals frame's (small) result as a pandas frame: the only data that leaves an engine."""
    nw = narwhals_module()
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect(backend="pyarrow")
    out = frame.to_pandas()
    out.columns.name = None
    return out


def level_counts(
    data: Any,
    score: str,
    by: Sequence[str] | str | None = None,
    *,
    file: str | None = None,
    markers: Sequence[str] = ("",),
    weights: str | None = None,
) -> pd.DataFrame:
    """Rows per group and level, computed by the engine holding ``data``.

    Returns a small pandas frame: the ``by`` columns, ``level`` (0..10, -1 missing, -2 invalid)
    and ``count``. This is the only result that leaves the engine. With ``weights`` (a column)
    also ``weight`` and ``weight_sq``: the sums of the weights and of their squares, NaN where a
    weight of the cell is missing, negative or NaN (so one sum per cell checks every weight).
    """
    nw = narwhals_module()

    by = [by] if isinstance(by, str) else list(by or [])
    frame = nw.from_native(data)
    columns = list(frame.collect_schema().names())
    absent = [c for c in [score, *by, *([weights] if weights else [])] if c not in columns]
    if absent:
        raise NPSInputError(f"missing column(s) {absent}; the columns are {columns}", file=file)
    if isinstance(frame, nw.DataFrame) and frame.implementation.is_polars():
        frame = frame.lazy()  # one optimised Polars query instead of eager steps
    dtype = frame.collect_schema()[score]
    try:
        level = level_expr(score, dtype, markers)
    except NPSInputError as exc:
        raise NPSInputError(str(exc).split(": ", 1)[-1], file=file, column=score) from None
    if weights:
        # A bad weight becomes NaN, which poisons its cell's sum: no extra aggregate to check it.
        raw = nw.col(weights).cast(nw.Float64)
        w = nw.when(raw >= 0).then(raw).otherwise(nw.lit(float("nan")))
        # Squares computed before grouping: some engines (PyArrow) aggregate plain columns only.
        tally = frame.select(*by, level, w.alias(_WEIGHT), (w * w).alias(_WEIGHT_SQ)).group_by(
            *by, LEVEL_COLUMN).agg(nw.len().alias(_COUNT), nw.col(_WEIGHT).sum().alias("weight"),
                                   nw.col(_WEIGHT_SQ).sum().alias("weight_sq"))
    else:
        tally = frame.select(*by, level).group_by(*by, LEVEL_COLUMN).agg(nw.len().alias(_COUNT))
    out = collect_frame(tally).rename(columns={LEVEL_COLUMN: "level", _COUNT: "count"})
    out["level"] = out["level"].astype(np.int64)
    out["count"] = out["count"].astype(np.int64)
    return out


def invalid_examples(
    data: Any, score: str, *, limit: int = EXAMPLES, row_offset: int = 0, markers: Sequence[str] = ("",)
) -> list[tuple[Any, Any]]:
    """Up to ``limit`` invalid answers as ``(row, value)``, found by the engine.

    Rows are 0-based positions plus ``row_offset`` where the engine keeps an order (Polars, PyArrow,
    and DuckDB relations, in scan order); ``None`` where it does not (Spark, Ibis).
    """
    nw = narwhals_module()

    native = data
    has_rows = False
    frame = nw.from_native(native)
    if isinstance(frame, nw.DataFrame):
        frame = frame.with_row_index(_ROW)
        has_rows = True
    elif frame.implementation.is_polars():  # a Polars LazyFrame keeps its row order
        frame = nw.from_native(data.with_row_index(_ROW))
        has_rows = True
    elif frame.implementation.is_duckdb():
        # row_number() OVER () streams in scan order (file order for read_csv / read_parquet).
        native = data.query("_nps_src", f'SELECT row_number() OVER () - 1 AS "{_ROW}", * FROM _nps_src')
        frame = nw.from_native(native)
        has_rows = True
    dtype = frame.collect_schema()[score]
    rows = frame.with_columns(level_expr(score, dtype, markers)).filter(nw.col(LEVEL_COLUMN) == INVALID_LEVEL)
    rows = rows.select(*([_ROW] if has_rows else []), score).head(limit)
    found = collect_frame(rows)
    values = [_plain(v) for v in found[score].tolist()]
    if has_rows:
        positions = [int(r) + row_offset for r in found[_ROW].tolist()]
    else:
        positions = [None] * len(values)
    return list(zip(positions, values, strict=True))


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def describe_invalid(examples: Sequence[tuple[Any, Any]], *, limit: int = 5) -> str:
    """``row 3: '9.5'`` when rows are known, else the values alone (``'9.5', 'abc'``)."""
    if examples and all(r is None for r, _ in examples):
        shown = ", ".join(repr(v) for _, v in list(examples)[:limit])
        return f"values {shown}" + (" ..." if len(examples) > limit else "")
    return describe_rows(examples, limit=limit)


def distribution_from_levels(levels: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Pivot ``level_counts`` output into the 11-level table of ``score_distribution``.

    Every group appears, including groups whose answers are all missing or invalid (zeros), sorted
    by the ``by`` columns with missing labels last, as the pandas path does.
    """
    by = list(by)
    level = levels["level"].to_numpy()
    count = levels["count"].to_numpy()
    valid = level >= 0
    if by:
        grouped = levels[by].groupby(by, dropna=False, sort=False, observed=True)
        codes = grouped.ngroup().to_numpy()
        uniques = grouped.size().reset_index()[by]
        bins = np.zeros((len(uniques), 11), dtype=np.int64)
        np.add.at(bins, (codes[valid], level[valid]), count[valid])
        out = pd.concat([uniques, pd.DataFrame(bins, columns=list(range(11)))], axis=1)
        out = out.iloc[natural_order(out, by)].reset_index(drop=True)
    else:
        bins = np.zeros(11, dtype=np.int64)
        np.add.at(bins, level[valid], count[valid])
        out = pd.DataFrame([bins], columns=list(range(11)))
    return out


def score_distribution(
    data: Any,
    score: str,
    by: Sequence[str] | str | None = None,
    *,
    on_invalid: OnInvalid = "error",
    file: str | None = None,
    row_offset: int = 0,
) -> pd.DataFrame:
    """Counts of each answer 0..10 per group, computed by the engine that holds ``data``.

    Same output as :func:`nps_analysis.scoring.score_distribution`: the ``by`` columns, then columns
    ``0`` .. ``10``; ``attrs["missing"]`` counts missing answers. Invalid answers raise
    :class:`NPSInputError` (their count and the first few, with rows where the engine keeps an
    order) or, with ``on_invalid="quarantine"``, are left out: ``attrs["invalid"]`` holds their
    count and ``attrs["quarantined"]`` the first :data:`EXAMPLES` ``(row, value)`` pairs.

    Args:
        data: a Polars DataFrame/LazyFrame, PyArrow Table, DuckDB relation, PySpark DataFrame or
            Ibis table (anything narwhals reads, except pandas which has its own path).
        row_offset: added to 0-based row positions in messages (2 = file lines of a CSV with a
            header, 1 = 1-based data rows).
    """
    if on_invalid not in ("error", "quarantine"):
        raise ValueError(f"on_invalid must be 'error' or 'quarantine', got {on_invalid!r}")
    by = [by] if isinstance(by, str) else list(by or [])
    levels = level_counts(data, score, by, file=file)
    missing = int(levels.loc[levels["level"] == MISSING_LEVEL, "count"].sum())
    invalid = int(levels.loc[levels["level"] == INVALID_LEVEL, "count"].sum())
    examples: list[tuple[Any, Any]] = []
    if invalid:
        examples = invalid_examples(data, score, row_offset=row_offset)
        if on_invalid == "error":
            raise NPSInputError(
                f"{invalid} invalid score(s): expected whole numbers from 0 to 10; "
                f"{describe_invalid(examples)}",
                file=file,
                column=score,
                rows=examples,
                count=invalid,
            )
    out = distribution_from_levels(levels, by)
    out.attrs["missing"] = missing
    out.attrs["invalid"] = invalid
    out.attrs["quarantined"] = examples
    return out


__all__ = [
    "backend_name",
    "describe_invalid",
    "distribution_from_levels",
    "invalid_examples",
    "is_engine_frame",
    "level_counts",
    "score_distribution",
]
