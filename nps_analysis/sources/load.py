"""Reading and validating survey exports: the one place that opens files.

``load`` reads CSV, Excel, Parquet and SPSS files, checks the columns the analysis needs, the 0-10
scores and respondent ids, and either raises one clear error (file, column, row, value) or
quarantines bad rows into a file and counts them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .atomic import atomic_path
from .errors import NPSInputError, describe_rows, masked_error
from .files import (
    DELIMITERS,
    detect_extra_header_rows,
    infer_types,
    map_score_labels,
    read_table,
    score_hint,
)
from .results import ResultMixin
from .scores import parse_scores
from .sql import describe_query, read_query, read_table_of

OnInvalid = Literal["error", "quarantine"]


@dataclass(frozen=True)
class LoadReport(ResultMixin):
    """What happened while reading a file: rows read, answers missing, rows quarantined and why.

    Row numbers follow what an analyst sees: for CSV and Excel the line/row in the file with the
    header as row 1 (so the first data row is row 2, after any skipped header rows); for Parquet
    and SPSS the 1-based data row.
    """

    file: str
    format: str
    rows_read: int
    rows_kept: int
    missing_scores: int
    quarantined: int
    quarantine_file: str | None
    reasons: dict[str, int] = field(default_factory=dict)
    header_rows_skipped: int = 0
    labels_mapped: int = 0

    def summary(self) -> str:
        text = f"{self.file}: {self.rows_read} rows read, {self.rows_kept} kept"
        if self.header_rows_skipped:
            text += f", {self.header_rows_skipped} extra header row(s) skipped"
        if self.labels_mapped:
            text += f", {self.labels_mapped} text answers mapped to numbers"
        if self.missing_scores:
            text += f", {self.missing_scores} without an answer (not responses)"
        if self.quarantined:
            reasons = "; ".join(f"{k}: {v}" for k, v in self.reasons.items())
            text += f", {self.quarantined} quarantined ({reasons})"
            if self.quarantine_file:
                text += f" -> {self.quarantine_file}"
        return text


# ------------------------------------------------------------------------------------- reading


# ---------------------------------------------------------------------------------- validation


def require_columns(frame: pd.DataFrame, columns: Sequence[str], *, file: str | None = None) -> None:
    """Raise naming the missing columns and listing the ones that exist."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        message = (
            f"missing column{plural} {', '.join(map(repr, missing))}; the file has columns "
            f"{', '.join(map(repr, map(str, frame.columns)))}"
        )
        if len(frame.columns) == 1:
            header = str(frame.columns[0])
            hits = [d for d in DELIMITERS if d in header]
            if hits:
                message += f" (one column whose name contains {hits[0]!r}: is {hits[0]!r} the delimiter?)"
        raise NPSInputError(message, file=file)


def load(
    path: str | os.PathLike[str] | None = None,
    *,
    score: str | None = None,
    columns: Sequence[str] = (),
    scale: tuple[int, int] = (0, 10),
    on_invalid: OnInvalid = "error",
    quarantine_path: str | os.PathLike[str] | None = None,
    id_column: str | None = None,
    group_column: str | None = None,
    score_labels: bool | Mapping[str, int] = False,
    skip_rows: int | Literal["auto"] = "auto",
    format: str | None = None,
    sheet: str | int | None = None,
    sep: str | None = None,
    encoding: str | None = None,
    database: str | os.PathLike[str] | None = None,
    query: str | None = None,
    allowed_directories: Sequence[str | os.PathLike[str]] | None = None,
) -> pd.DataFrame:
    """Read and validate a survey export, a table of a DuckDB database, or a SQL query's result.

    Args:
        path: CSV, Excel (.xlsx), Parquet or SPSS (.sav, optional extra) file. The real format is
            detected from the file's first bytes, so a mislabelled file is read correctly or
            refused with a clear message. CSV: the delimiter is sniffed, a UTF-8 byte-order mark
            is dropped, UTF-16 and Windows-1252 exports are decoded.
        score: the answer column to validate (0-10 by default, see ``scale``). Its values are
            converted to numbers; missing answers stay NaN and are counted (not responses).
        columns: other columns the analysis needs (grouping, time, ...): a missing one is an error
            that lists the columns the file has.
        on_invalid: ``"error"`` raises :class:`NPSInputError` with how many rows are bad and the
            first ones (row number, value); ``"quarantine"`` removes them, writes them with their
            row number and reason to ``quarantine_path`` (default ``<file>.quarantine.csv``), and
            counts them in the report.
        id_column: respondent id. A repeated id is bad (every occurrence after the first), and so
            is an id seen in two arms of ``group_column`` (all its rows: the respondent was
            exposed to both, so it belongs to neither).
        score_labels: map answers exported as text ("10 - Extremely likely", "0 - Not at all
            likely") to numbers: ``True`` for the usual anchors, or a mapping label -> number.
        skip_rows: extra header rows after the header to drop (survey-tool exports); ``"auto"``
            detects Qualtrics-style ImportId rows and question-text rows.
        database: a DuckDB database file, opened read-only. ``path`` may then be a table (or
            view) name in it (a path is never read as SQL).
        query: a DuckDB SQL query instead of ``path``, for example
            ``"SELECT * FROM read_parquet('exports/*.parquet') WHERE region = 'North'"``: DuckDB
            filters and projects before any row reaches pandas (needs the ``scale`` extra). Only a
            single read-only ``SELECT`` / ``WITH`` statement is accepted, and it reads files only
            below ``allowed_directories`` (default: the current working directory): see
            SECURITY.md. Row numbers in messages are then 1-based rows of the result.
        allowed_directories: folders a ``query`` may read files from.

    Returns:
        The validated frame. Its ``attrs`` stay plain JSON (pandas copies them on every operation
        and writes them into Parquet): :func:`load_report` gives the :class:`LoadReport`, and
        :func:`source_rows` each kept row's number in the file.
    """
    if on_invalid not in ("error", "quarantine"):
        raise ValueError(f"on_invalid must be 'error' or 'quarantine', got {on_invalid!r}")
    if query is not None:
        if path is not None and str(path) != "":
            raise NPSInputError("give either a file (path) or a SQL query (query), not both")
        frame, fmt = read_query(query, database=database, allowed_directories=allowed_directories), "sql"
        file = describe_query(query)
    elif path is None or str(path) == "":
        raise NPSInputError("nothing to read: give a file path, or a SQL query with query=")
    elif database is not None and not Path(str(path)).exists():
        frame, fmt = read_table_of(str(path), database=database), "sql"
        file = f"table {str(path)!r} in {database}"
    else:
        frame, fmt = read_table(path, format=format, sheet=sheet, sep=sep, encoding=encoding)
        file = str(path)
    needed = [c for c in [score, *columns, id_column, group_column] if c is not None]
    require_columns(frame, list(dict.fromkeys(needed)), file=file)

    skipped = detect_extra_header_rows(frame, score) if skip_rows == "auto" else int(skip_rows)
    if skipped:
        frame = frame.iloc[skipped:]
    offset = (2 if fmt in ("csv", "excel") else 1) + skipped
    row_numbers = np.arange(len(frame)) + offset
    frame = frame.reset_index(drop=True)
    if fmt == "csv":
        frame = infer_types(frame, keep_text=[c for c in (score, id_column) if c])
    elif skipped:
        # Columns holding the skipped header text were read as text: give them their real type.
        text_cols = {c: "string" for c in frame.columns if frame[c].dtype == object}
        frame = infer_types(frame.astype(text_cols), keep_text=[c for c in (score, id_column) if c])
    rows_read = len(frame)
    if rows_read == 0:
        raise NPSInputError("the file has a header but no data rows: no survey answers to analyse", file=file)

    bad = np.zeros(len(frame), dtype=bool)
    reasons: dict[str, int] = {}
    reason_of = np.full(len(frame), "", dtype=object)
    mapped = 0
    values = None
    if score is not None:
        raw = frame[score]
        if score_labels:
            raw, mapped = map_score_labels(raw, score_labels)
        low, high = scale
        try:
            parsed = parse_scores(
                raw, low=low, high=high, on_invalid=on_invalid, column=score, file=file, positions=row_numbers
            )
        except NPSInputError as exc:
            hint = score_hint(frame[score], score_labels)
            if hint:
                exc = NPSInputError(
                    f"{exc.args[0].split(': ', 2)[-1]}{hint}", file=file, column=score, rows=exc.rows, count=exc.count
                )
            # The bad values may be a shifted row's name, e-mail or phone: mask them as any output.
            raise masked_error(exc, frame) from None
        values = parsed.values
        if parsed.invalid:
            invalid_rows = np.isin(row_numbers, [r for r, _ in parsed.invalid])
            _mark(bad, reason_of, reasons, invalid_rows, f"invalid {score!r}: not a whole number {low}-{high}")
    if id_column is not None:
        try:
            _check_ids(frame, id_column, group_column, row_numbers, on_invalid, file, bad, reason_of, reasons)
        except NPSInputError as exc:
            raise masked_error(exc, frame) from None

    quarantined = int(bad.sum())
    qfile: str | None = None
    if quarantined:
        rejected = frame.loc[bad].copy()
        if score is not None:
            rejected[score] = frame.loc[bad, score]
        rejected.insert(0, "_reason", reason_of[bad])
        rejected.insert(0, "_row", row_numbers[bad])
        target = Path(quarantine_path) if quarantine_path else Path(f"{path}.quarantine.csv")
        with atomic_path(target) as tmp:
            rejected.to_csv(tmp, index=False)
        qfile = str(target)
    keep = ~bad
    frame = frame.loc[keep].reset_index(drop=True)
    if score is not None and values is not None:
        frame[score] = values[keep]
    kept_rows = row_numbers[keep]
    # pandas deep-copies attrs on every operation and writes them as JSON into Parquet files: keep
    # them small and plain. Row numbers are runs [start, stop); source_rows(frame) expands them.
    frame.attrs["source_rows"] = _runs(kept_rows)
    frame.attrs["load_report"] = LoadReport(
        file=file,
        format=fmt,
        rows_read=rows_read,
        rows_kept=len(frame),
        missing_scores=int(np.isnan(frame[score].to_numpy(dtype=float)).sum()) if score is not None else 0,
        quarantined=quarantined,
        quarantine_file=qfile,
        reasons=reasons,
        header_rows_skipped=skipped,
        labels_mapped=mapped,
    ).to_dict()
    return frame


def _runs(rows: np.ndarray) -> list[list[int]]:
    """Consecutive row numbers as ``[[start, stop), ...]`` runs (one run when nothing was set aside)."""
    if not len(rows):
        return []
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    starts = np.concatenate([[0], breaks])
    stops = np.concatenate([breaks, [len(rows)]])
    return [[int(rows[a]), int(rows[b - 1]) + 1] for a, b in zip(starts, stops, strict=True)]


def source_rows(frame: pd.DataFrame) -> np.ndarray | None:
    """Each row's number in the file it was read from (see :class:`LoadReport`), or None.

    Only valid while the frame has the rows :func:`load` returned, in that order.
    """
    runs = frame.attrs.get("source_rows")
    if runs is None:
        return None
    if isinstance(runs, (range, np.ndarray)):
        rows = np.asarray(runs)
    else:
        rows = np.concatenate([np.arange(a, b) for a, b in runs]) if runs else np.array([], dtype=np.int64)
    return rows if len(rows) == len(frame) else None


def _mark(bad: np.ndarray, reason_of: np.ndarray, reasons: dict[str, int], mask: np.ndarray, reason: str) -> None:
    new = mask & ~bad
    if new.any():
        reason_of[new] = reason
        reasons[reason] = reasons.get(reason, 0) + int(new.sum())
        bad |= new


def _check_ids(
    frame: pd.DataFrame,
    id_column: str,
    group_column: str | None,
    row_numbers: np.ndarray,
    on_invalid: OnInvalid,
    file: str,
    bad: np.ndarray,
    reason_of: np.ndarray,
    reasons: dict[str, int],
) -> None:
    ids = frame[id_column].astype("string").str.strip()
    no_id = ids.isna() | (ids == "")
    if no_id.any():
        rows = [(int(r), None) for r in row_numbers[no_id.to_numpy()]]
        if on_invalid == "error":
            raise NPSInputError(
                f"{len(rows)} row(s) without a respondent id; {describe_rows(rows)}",
                file=file, column=id_column, rows=rows[:20], count=len(rows),
            )
        _mark(bad, reason_of, reasons, no_id.to_numpy(), f"no respondent id in {id_column!r}")
    if group_column is not None:
        arms = frame[group_column].astype("string")
        n_arms = arms.groupby(ids, dropna=True).transform("nunique")
        crossed = (n_arms > 1).fillna(False).to_numpy() & ~no_id.to_numpy()
        if crossed.any():
            first = ids[crossed].iloc[0]
            their = frame.loc[(ids == first).to_numpy(), group_column].astype(str).unique().tolist()
            rows = [(int(r), str(v)) for r, v in zip(row_numbers[crossed], ids[crossed], strict=True)]
            if on_invalid == "error":
                raise NPSInputError(
                    f"{ids[crossed].nunique()} respondent(s) appear in more than one arm of "
                    f"{group_column!r} (e.g. {first!r} in {their}); {describe_rows(rows)}",
                    file=file, column=id_column, rows=rows[:20], count=len(rows),
                )
            _mark(bad, reason_of, reasons, crossed, f"respondent in more than one arm of {group_column!r}")
    repeated = (ids.duplicated(keep="first") & ~no_id).to_numpy() & ~bad
    if repeated.any():
        rows = [(int(r), str(v)) for r, v in zip(row_numbers[repeated], ids[repeated], strict=True)]
        if on_invalid == "error":
            raise NPSInputError(
                f"{len(rows)} duplicated respondent id(s); {describe_rows(rows)}",
                file=file, column=id_column, rows=rows[:20], count=len(rows),
            )
        _mark(bad, reason_of, reasons, repeated, f"duplicated respondent id in {id_column!r}")


def load_report(frame: pd.DataFrame) -> LoadReport | None:
    """The :class:`LoadReport` attached by :func:`load` (kept in ``attrs`` as a plain dict), if any."""
    report = frame.attrs.get("load_report")
    if isinstance(report, LoadReport):
        return report
    if isinstance(report, dict):
        try:
            return LoadReport(**report)
        except TypeError:
            return None
    return None


def check_labels(frame: pd.DataFrame, column: str, labels: Sequence[Any], *, file: str | None = None) -> None:
    """Raise if any of ``labels`` (e.g. the treatment and control arms) is absent from ``column``."""
    present = {str(v) for v in pd.unique(frame[column].dropna())}
    absent = [label for label in labels if str(label) not in present]
    if absent:
        shown = ", ".join(map(repr, sorted(present)[:20]))
        raise NPSInputError(
            f"no rows with {', '.join(map(repr, map(str, absent)))}; the values present are {shown}",
            file=file,
            column=column,
        )


__all__ = [
    "LoadReport",
    "check_labels",
    "detect_extra_header_rows",
    "load",
    "load_report",
    "map_score_labels",
    "source_rows",
    "read_query",
    "read_table",
    "require_columns",
]
