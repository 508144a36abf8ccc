"""Answers: parse 0-10 scores, classify them, and count each answer level per group.

The counting here stops at the eleven answer levels; :mod:`nps_analysis.stats.scoring` turns them
into ``NPSCounts`` (detractors, passives, promoters) and NPS.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from .errors import NPSInputError, describe_rows
from .labels import natural_order

CATEGORIES: tuple[str, str, str] = ("detractor", "passive", "promoter")
#: Lowest score of each category on the 0-10 scale (DOMAIN.md: 0-6, 7-8, 9-10).
PASSIVE_FROM = 7
PROMOTER_FROM = 9

OnInvalid = Literal["error", "quarantine"]

#: Rows per block for counting loops: a block stays in the CPU cache between the few passes.
_BLOCK = 1 << 16

# Category code of each answer 0..10, and -1 for the "not a response" slot 11 (missing/quarantined).
_CATEGORY_OF_ANSWER = np.array([0] * PASSIVE_FROM + [1] * (PROMOTER_FROM - PASSIVE_FROM) + [2] * 2 + [-1])


@dataclass(frozen=True)
class ParsedScores:
    """Scores checked against a scale.

    Attributes:
        values: float array, one entry per input value: the integer score, or NaN where the answer
            is missing or was quarantined.
        missing: how many answers were missing (NaN, None, empty string). Not responses.
        invalid: ``(position, value)`` for every value that is out of range, non-integral or
            unparsable (only non-empty when ``on_invalid="quarantine"``).
    """

    values: np.ndarray
    missing: int
    invalid: list[tuple[Any, Any]]

    @property
    def valid_mask(self) -> np.ndarray:
        return ~np.isnan(self.values)


@dataclass(frozen=True)
class _Scan:
    """Scores as offsets ``score - low`` (``high - low + 1`` marks a missing or invalid value)."""

    offsets: np.ndarray  # intp; may share memory with the caller's array: never modify in place
    missing: np.ndarray | None  # bool mask, None when nothing is missing
    bad: np.ndarray | None  # bool mask, None when every value is valid or missing


def _scan_integers(x: np.ndarray, low: int, high: int) -> _Scan:
    slot = high - low + 1
    if x.size == 0:
        return _Scan(np.zeros(0, dtype=np.intp), None, None)
    # Two cheap reductions decide whether the element-wise range check is needed at all.
    if x.min() >= low and x.max() <= high:
        offsets = x.astype(np.intp, copy=False)
        return _Scan(offsets - low if low else offsets, None, None)
    bad = (x < low) | (x > high)
    with np.errstate(over="ignore"):
        offsets = np.where(bad, slot, x.astype(np.intp) - low)
    return _Scan(offsets, None, bad)


def _scan_floats(x: np.ndarray, low: int, high: int) -> _Scan:
    slot = high - low + 1
    with np.errstate(invalid="ignore", over="ignore"):
        offsets = x.astype(np.intp)  # NaN and infinities give garbage here; they fail `whole` below
    whole = offsets == x  # False for NaN, infinities and 9.5
    if low:
        offsets -= low
    # One unsigned comparison checks 0 <= offset <= high - low (negatives wrap to huge values).
    ok = whole & (offsets.view(np.uintp) <= high - low)
    if ok.all():
        return _Scan(offsets, None, None)
    not_ok = ~ok
    offsets[not_ok] = slot
    missing = np.isnan(x)
    bad = not_ok & ~missing
    return _Scan(offsets, missing if missing.any() else None, bad if bad.any() else None)


def _scan_values_one_by_one(values: np.ndarray, low: int, high: int) -> _Scan:
    """Object values of mixed kinds: strings are stripped and parsed, booleans are invalid."""
    obj = pd.Series(values, dtype=object)
    is_na = obj.isna().to_numpy()
    # bool is an int subclass (True == 1 hashes and compares equal), so it needs an explicit test.
    is_bool = np.fromiter(
        (isinstance(v, (bool, np.bool_)) for v in values), dtype=bool, count=len(values)
    )
    text = obj.where(~is_na, "").astype(str).str.strip()
    blank = (text == "").to_numpy()
    missing = is_na | blank
    numeric = pd.to_numeric(text.where(~missing & ~is_bool, ""), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    scan = _scan_floats(numeric, low, high)
    bad = ~missing & (is_bool | np.isnan(numeric))
    if scan.bad is not None:
        bad |= scan.bad
    offsets = np.where(bad | missing, high - low + 1, scan.offsets)
    return _Scan(offsets, missing if missing.any() else None, bad if bad.any() else None)


def _scan_by_unique_values(series: pd.Series, low: int, high: int) -> _Scan:
    """Parse each distinct value once, then broadcast (strings: a few distinct answers, many rows)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    sub = _scan_values_one_by_one(np.asarray(uniques, dtype=object), low, high)
    slot = high - low + 1
    # Code -1 (NA) picks the appended last entry: offset "not a response", missing, not bad.
    offsets = np.append(sub.offsets, slot)[codes]
    sub_missing = sub.missing if sub.missing is not None else np.zeros(len(uniques), dtype=bool)
    missing = np.append(sub_missing, True)[codes]
    bad = np.append(sub.bad, False)[codes] if sub.bad is not None else None
    return _Scan(offsets, missing if missing.any() else None, bad)


def _scan(scores: Any, low: int, high: int) -> tuple[_Scan, pd.Series]:
    """Check every answer against ``low..high`` without a Python loop over rows where possible.

    Returns the scan and the input as a Series (used to report positions and values).
    """
    if isinstance(scores, pd.Series):
        series = scores
    elif isinstance(scores, (pd.DataFrame, str, bytes, Mapping)):
        # Iterating these would read column names, characters or keys as answers.
        raise TypeError(
            f"expected a sequence of answers (list, array or Series), got {type(scores).__name__}; "
            "for a DataFrame pass the score column, e.g. frame['ltr']"
        )
    elif isinstance(scores, (np.ndarray, pd.api.extensions.ExtensionArray, pd.Index)):
        series = pd.Series(scores, copy=False)
    else:
        # Let pandas infer: a list of ints becomes int64 (fast path), mixed values stay object.
        series = pd.Series(list(scores))
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        # Check the categories once, then look each row up by its code (-1 = missing).
        sub, _ = _scan(pd.Series(dtype.categories.to_numpy(), dtype=object), low, high)
        codes = series.cat.codes.to_numpy()
        slot = high - low + 1
        offsets = np.append(sub.offsets, slot)[codes]
        missing = codes < 0
        bad = np.append(sub.bad, False)[codes] if sub.bad is not None else None
        return _Scan(offsets, missing if missing.any() else None, bad), series
    if isinstance(dtype, np.dtype):
        raw = series.to_numpy()
        if dtype.kind in "iu":
            return _scan_integers(raw, low, high), series
        if dtype.kind == "f":
            return _scan_floats(raw, low, high), series
        if dtype.kind == "b":
            return _Scan(np.full(len(raw), high - low + 1, dtype=np.intp), None, np.ones(len(raw), bool)), series
        if dtype.kind == "O":
            kind = pd.api.types.infer_dtype(raw, skipna=True)
            if kind == "string":
                return _scan_by_unique_values(series, low, high), series
            if kind in ("integer", "floating", "mixed-integer-float", "decimal", "empty"):
                as_float = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
                return _scan_floats(as_float, low, high), series
        return _scan_values_one_by_one(raw.astype(object), low, high), series
    # pandas extension dtypes: nullable Int/UInt/Float, boolean, string, arrow, ...
    if pd.api.types.is_bool_dtype(dtype):
        missing = series.isna().to_numpy()
        bad = ~missing
        offsets = np.full(len(series), high - low + 1, dtype=np.intp)
        return _Scan(offsets, missing if missing.any() else None, bad if bad.any() else None), series
    if pd.api.types.is_numeric_dtype(dtype):
        as_float = series.to_numpy(dtype=np.float64, na_value=np.nan)
        return _scan_floats(as_float, low, high), series
    if pd.api.types.is_string_dtype(dtype):
        return _scan_by_unique_values(series, low, high), series
    return _scan_values_one_by_one(series.to_numpy(dtype=object), low, high), series


def checked_scores(
    scores: Any,
    *,
    low: int,
    high: int,
    on_invalid: OnInvalid,
    column: str | None,
    file: str | None,
    positions: Sequence[Any] | None,
) -> tuple[_Scan, list[tuple[Any, Any]]]:
    """Scan, then raise on invalid values or list them as quarantined."""
    if on_invalid not in ("error", "quarantine"):
        raise ValueError(f"on_invalid must be 'error' or 'quarantine', got {on_invalid!r}")
    scan, series = _scan(scores, low, high)
    invalid: list[tuple[Any, Any]] = []
    if scan.bad is not None:
        idx = np.flatnonzero(scan.bad)
        labels = series.index if positions is None else positions
        where = labels.take(idx) if isinstance(labels, pd.Index) else np.asarray(labels, dtype=object)[idx]
        values = series.iloc[idx].astype(object).tolist()
        invalid = [(_plain(p), _plain(v)) for p, v in zip(where, values, strict=True)]
        if on_invalid == "error":
            raise NPSInputError(
                f"{len(idx)} invalid score(s): expected whole numbers from {low} to {high}; "
                f"{describe_rows(invalid)}",
                file=file,
                column=column,
                rows=invalid[:20],
                count=len(idx),
            )
    return scan, invalid


def _plain(value: Any) -> Any:
    """numpy scalar -> Python scalar, so messages and JSON show ``9.5`` rather than ``np.float64(9.5)``."""
    return value.item() if isinstance(value, np.generic) else value


def parse_scores(
    scores: Iterable[Any] | pd.Series | np.ndarray,
    *,
    low: int = 0,
    high: int = 10,
    on_invalid: OnInvalid = "error",
    column: str | None = None,
    file: str | None = None,
    positions: Sequence[Any] | None = None,
) -> ParsedScores:
    """Validate answers on an integer scale ``low..high`` without looping over rows.

    Accepts integers, integral floats (``9.0``), numeric strings (``"9"``, ``" 10 "``), pandas
    nullable (``Int64``, ``Float64``, ``string``) and categorical columns. Missing answers (NaN,
    None, ``pd.NA``, empty or blank strings) are counted, never classified. Out-of-range,
    non-integral (``9.5``), boolean and unparsable values raise :class:`NPSInputError` naming their
    positions and values, or are quarantined (set to NaN and listed) when ``on_invalid="quarantine"``.

    Args:
        scores: the answers.
        low: lowest valid answer.
        high: highest valid answer.
        on_invalid: ``"error"`` (raise) or ``"quarantine"`` (set aside and list).
        column: column name used in error messages.
        file: file name used in error messages.
        positions: labels used in messages for each value (default: the Series index, else 0..n-1).

    Returns:
        The values as floats (NaN where missing or quarantined), the missing count and the
        quarantined ``(position, value)`` pairs.
    """
    scan, invalid = checked_scores(
        scores, low=low, high=high, on_invalid=on_invalid, column=column, file=file, positions=positions
    )
    offsets = scan.offsets
    values = np.where(offsets <= high - low, offsets + low, np.nan).astype(np.float64)
    missing = int(scan.missing.sum()) if scan.missing is not None else 0
    return ParsedScores(values=values, missing=missing, invalid=invalid)


def classify(
    scores: Iterable[Any] | pd.Series | np.ndarray, *, on_invalid: OnInvalid = "error"
) -> pd.Series:
    """Classify 0-10 answers as ``detractor`` (0-6), ``passive`` (7-8) or ``promoter`` (9-10).

    Returns a categorical Series (categories in that order) aligned with the input; missing answers
    stay missing (NaN) and are not responses. ``attrs["missing"]`` holds their count and, with
    ``on_invalid="quarantine"``, ``attrs["quarantined"]`` lists ``(position, value)`` of the values
    set aside (otherwise they raise :class:`NPSInputError`).

    Example:
        >>> import nps_analysis as nps
        >>> nps.classify([0, 6, 7, "8", " 9 ", 10.0]).tolist()
        ['detractor', 'detractor', 'passive', 'passive', 'promoter', 'promoter']
    """
    scan, invalid = checked_scores(
        scores, low=0, high=10, on_invalid=on_invalid, column=None, file=None, positions=None
    )
    codes = _CATEGORY_OF_ANSWER[scan.offsets].astype(np.int8)
    index = scores.index if isinstance(scores, pd.Series) else None
    name = scores.name if isinstance(scores, pd.Series) else None
    out = pd.Series(pd.Categorical.from_codes(codes, categories=list(CATEGORIES)), index=index, name=name)
    out.attrs["missing"] = int(scan.missing.sum()) if scan.missing is not None else 0
    out.attrs["quarantined"] = invalid
    return out


def answer_bins(scores: Any, on_invalid: OnInvalid) -> np.ndarray:
    """Counts of answers 0..10 (11 integers); missing and quarantined answers are not counted."""
    raw = _raw_numeric(scores)
    if raw is not None:
        counted = _count_cells([], raw, 1, raw=True)
        if counted is not None:
            return counted[0][0, :11]
    scan, _ = checked_scores(scores, low=0, high=10, on_invalid=on_invalid, column=None, file=None, positions=None)
    return np.bincount(scan.offsets, minlength=12)[:11]


#: Up to this many cells (groups x 12) the group codes index the count table directly.
_DIRECT_CELLS = 1 << 24


@dataclass(frozen=True)
class _ColumnCodes:
    codes: np.ndarray  # integers 0..size-1 per row (any integer dtype; read only)
    size: int
    labels: pd.Series | pd.DataFrame  # label of each code (NA label last when present)


def _column_codes(column: pd.Series) -> _ColumnCodes:
    """Integer codes of one grouping column; missing labels get their own code (never dropped)."""
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()  # int8/int16: widened to intp only when combined
        size = len(dtype.categories)
        label_codes = list(range(size))
        if codes.size and codes.min() < 0:
            codes = np.where(codes < 0, size, codes.astype(np.intp))
            label_codes.append(-1)
            size += 1
        labels = pd.Series(pd.Categorical.from_codes(label_codes, dtype=dtype))
        return _ColumnCodes(codes, size, labels)
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        return _ColumnCodes(column.to_numpy().astype(np.intp), 2, pd.Series([False, True], dtype=dtype))
    if isinstance(dtype, np.dtype) and dtype.kind in "iu" and len(column):
        values = column.to_numpy()
        lo, hi = int(values.min()), int(values.max())
        if 0 <= lo and hi < max(len(values), 1024):
            # Small non-negative integers (arm ids 0..k): the values are the codes, no copy, no
            # hashing; codes that do not occur are dropped later as empty groups.
            return _ColumnCodes(values, hi + 1, pd.Series(np.arange(hi + 1).astype(dtype)))
        if hi - lo < max(len(values), 1024):
            labels = pd.Series(np.arange(lo, hi + 1).astype(dtype))
            return _ColumnCodes(np.subtract(values, lo, dtype=np.intp), hi - lo + 1, labels)
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    codes = codes.astype(np.intp, copy=False)
    size = len(uniques)
    take = np.arange(size)
    if codes.size and codes.min() < 0:
        codes = np.where(codes < 0, size, codes)
        take = np.append(take, -1)
        size += 1
    labels = pd.Series(pd.api.extensions.take(uniques.array, take, allow_fill=True))
    if not (take < 0).any() and labels.dtype != dtype:
        try:
            labels = labels.astype(dtype)
        except (TypeError, ValueError):
            pass
    return _ColumnCodes(codes, size, labels)


def _count_cells(
    columns: list[_ColumnCodes], offsets: np.ndarray, cells: int, *, raw: bool = False
) -> tuple[np.ndarray, int] | None:
    """(cells, 12) table of rows per label combination (mixed radix) and answer slot, and the
    number of missing answers.

    Works block by block when the table is small, so each block is checked, combined and counted
    while it is still in the CPU cache. ``offsets`` are answer slots (0..10, 11 = not a response);
    with ``raw=True`` they are instead unvalidated integer or float answers on the 0-10 scale, and
    the function returns None as soon as a block holds an invalid value (the caller then takes the
    general path, which names or quarantines it).
    """
    n = len(offsets)
    strides = []
    stride = 12 * cells
    for col in columns:
        stride //= col.size
        strides.append(stride)
    size = cells * 12
    blocked = size * 8 <= _BLOCK and n > _BLOCK
    step = _BLOCK if blocked else max(n, 1)
    flat = np.zeros(size, dtype=np.int64)
    missing = 0
    key_buffer = np.empty(min(n, step), dtype=np.intp) if columns else None
    is_float = raw and offsets.dtype.kind == "f"
    slot_buffer = np.empty(min(n, step), dtype=np.intp) if is_float else None
    for start in range(0, n, step):
        stop = min(start + step, n)
        block = offsets[start:stop]
        if raw and not is_float:
            # One reduction checks 0 <= answer <= 10: negatives wrap to huge unsigned values.
            if block.size and block.view(block.dtype.str.replace("i", "u")).max() > 10:
                return None
        elif is_float:
            floats, block = block, slot_buffer[: stop - start]
            with np.errstate(invalid="ignore", over="ignore"):
                np.copyto(block, floats, casting="unsafe")  # NaN gives garbage; caught just below
            ok = (block == floats) & (block.view(np.uintp) <= 10)
            if not ok.all():
                not_ok = ~ok
                nan = np.isnan(floats)
                if (not_ok & ~nan).any():
                    return None
                block[not_ok] = 11
                missing += int(not_ok.sum())
        if key_buffer is None:  # no groups: count the answers themselves
            flat += np.bincount(block, minlength=size)
            continue
        key = key_buffer[: stop - start]
        np.multiply(columns[0].codes[start:stop], strides[0], out=key, dtype=np.intp)
        for col, col_stride in zip(columns[1:], strides[1:], strict=True):
            key += np.multiply(col.codes[start:stop], col_stride, dtype=np.intp)
        key += block
        flat += np.bincount(key, minlength=size)
    return flat.reshape(cells, 12), missing


def _raw_numeric(values: Any) -> np.ndarray | None:
    """The numpy array behind plain int/float answers (the fast counting path), else None."""
    if isinstance(values, pd.Series):
        if not isinstance(values.dtype, np.dtype):
            return None
        values = values.to_numpy()
    if isinstance(values, np.ndarray) and values.ndim == 1 and values.dtype.kind in "iuf":
        return values
    return None


def grouped_bins(
    frame: pd.DataFrame,
    score: str,
    by: Sequence[str] | str | None,
    *,
    on_invalid: OnInvalid,
    file: str | None,
) -> tuple[list[Any], pd.DataFrame | None, np.ndarray, int, list[tuple[Any, Any]]]:
    """Counts of answers 0..10 per group: ``(by, keys, bins (groups x 11), missing, quarantined)``.

    Groups are every combination of ``by`` labels present in the rows (rows with a missing answer
    included, so such a group gets a row of zeros); a missing label is a group of its own. Groups are
    sorted naturally by their labels (:func:`nps_analysis.sources.labels.natural_order`: numbers by
    value, then text with its digit runs as numbers, categories in category order, missing last).
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    by_list = [by] if isinstance(by, str) or (by is not None and not isinstance(by, Sequence)) else list(by or [])
    absent = [c for c in [score, *by_list] if c not in frame.columns]
    if absent:
        raise NPSInputError(
            f"missing column(s) {absent}; the columns are {list(map(str, frame.columns))}", file=file
        )
    if by_list and len(frame) == 0:
        keys = pd.DataFrame({c: frame[c].iloc[:0] for c in by_list}).reset_index(drop=True)
        scan, invalid = checked_scores(frame[score], low=0, high=10, on_invalid=on_invalid, column=str(score),
                                 file=file, positions=None)
        return by_list, keys, np.zeros((0, 11), dtype=np.int64), 0, invalid

    columns = [_column_codes(frame[c]) for c in by_list]
    cells = math.prod(c.size for c in columns) if columns else 1
    if cells >= 1 << 62:
        # Too many label combinations for one integer: let pandas number the groups that occur.
        grouped = frame[by_list].groupby(by_list, dropna=False, sort=False, observed=True)
        labels = grouped.size().index.to_frame(index=False)
        columns = [_ColumnCodes(grouped.ngroup().to_numpy().astype(np.intp), len(labels), labels)]
        cells = len(labels)
    # One cell per label combination (mixed radix: cell = (c0 * k1 + c1) * k2 + c2 ...) and 12 slots
    # per cell (answers 0..10 and "not a response"), so a single bincount counts everything.
    direct = cells * 12 <= max(_DIRECT_CELLS, 12 * len(frame))
    column = frame[score]
    counted = None
    invalid: list[tuple[Any, Any]] = []
    raw = _raw_numeric(column) if direct else None
    if raw is not None:
        # Plain int/float answers: validated block by block inside the counting loop.
        counted = _count_cells(columns, raw, cells, raw=True)
    if counted is None:
        scan, invalid = checked_scores(column, low=0, high=10, on_invalid=on_invalid, column=str(score), file=file,
                                 positions=None)
        if direct:
            counted = _count_cells(columns, scan.offsets, cells)
    if counted is not None:
        flat, _ = counted
        missing = int(flat[:, 11].sum()) - len(invalid)  # slot 11 holds missing and quarantined rows
    else:
        missing = int(scan.missing.sum()) if scan.missing is not None else 0
        flat = None
    cell_of_group: np.ndarray | None = None
    if flat is None:
        # Sparse combinations: renumber the cells that occur (hashing, only in this rare case).
        key = np.asarray(columns[0].codes, dtype=np.intp)
        for col in columns[1:]:
            key = key * col.size + col.codes
        key, cell_of_group = pd.factorize(key)
        cells = len(cell_of_group)
        key = np.multiply(key, 12, dtype=np.intp)
        key += scan.offsets
        flat = np.bincount(key, minlength=cells * 12).reshape(cells, 12)
    if not by_list:
        return by_list, None, flat[:, :11], missing, invalid

    present = np.flatnonzero(flat.sum(axis=1) > 0)
    bins = flat[present, :11]
    cell_ids = present if cell_of_group is None else np.asarray(cell_of_group)[present]

    if isinstance(columns[0].labels, pd.DataFrame):  # the groupby fallback above
        keys = columns[0].labels.iloc[cell_ids].reset_index(drop=True)
    else:
        parts = {}
        rest = cell_ids.astype(np.int64)
        for name, col in reversed(list(zip(by_list, columns, strict=True))):
            parts[name] = col.labels.iloc[rest % col.size].reset_index(drop=True)
            rest = rest // col.size
        keys = pd.DataFrame({name: parts[name] for name in by_list}, index=range(len(cell_ids)))
    # Natural order: numbers by value, then text with its numbers as numbers (S2 before S10),
    # missing labels last; categories keep their order.
    order = natural_order(keys, by_list)
    keys = keys.iloc[order].reset_index(drop=True)
    return by_list, keys, bins[order], missing, invalid


def score_distribution(
    frame: pd.DataFrame,
    score: str,
    by: Sequence[str] | str | None = None,
    *,
    on_invalid: OnInvalid = "error",
    file: str | None = None,
) -> pd.DataFrame:
    """Counts of each answer 0..10 per group: the ``by`` columns, then columns ``0`` .. ``10``.

    The full distribution keeps what the three categories throw away (rank tests can run on it).
    Groups with a missing label are kept as their own group, never dropped.
    """
    if not isinstance(frame, pd.DataFrame):  # Polars, PyArrow, DuckDB, Spark: counted in place
        from . import engines

        if engines.is_engine_frame(frame):
            return engines.score_distribution(frame, score, by, on_invalid=on_invalid, file=file)
    by_list, keys, bins, missing, invalid = grouped_bins(frame, score, by, on_invalid=on_invalid, file=file)
    out = pd.DataFrame(bins.astype(np.int64), columns=list(range(11)))
    if keys is not None:
        out = pd.concat([keys, out], axis=1)
    out.attrs["missing"] = missing
    out.attrs["quarantined"] = invalid
    return out


def category_labels(values: np.ndarray) -> np.ndarray:
    out = np.full(len(values), None, dtype=object)
    with np.errstate(invalid="ignore"):
        out[values < PASSIVE_FROM] = CATEGORIES[0]
        out[(values >= PASSIVE_FROM) & (values < PROMOTER_FROM)] = CATEGORIES[1]
        out[values >= PROMOTER_FROM] = CATEGORIES[2]
    return out
