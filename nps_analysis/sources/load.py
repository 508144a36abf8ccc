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
from .csvsafe import to_safe_csv
from .dates import parse_times
from .errors import NPSInputError, describe_rows, masked_error
from .files import (
    DELIMITERS,
    ReadExport,
    detect_extra_header_rows,
    infer_types,
    map_score_labels,
    read_export,
    read_table,
    score_hint,
)
from .labels import space_warnings
from .missing import apply_missing_values, missing_markers, missing_values_hint
from .records import FieldCounts, excel_formula_cells, short_row_message
from .results import ResultMixin
from .scale import SCALE_CHECKS, ScaleCheck, check_scale
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
    responses: int = 0
    missing_by_marker: dict[str, int] = field(default_factory=dict)
    missing_cells: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped_rows: list[int] = field(default_factory=list)
    encoding: str | None = None
    undecodable: int = 0
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line: rows read and what became of them (the CLI's note on stderr)."""
        text = f"{self.file}: {self.rows_read} rows read, {self.responses} responses"
        if self.header_rows_skipped:
            rows = ", ".join(map(str, self.skipped_rows))
            text += f", {self.header_rows_skipped} extra header row(s) skipped (rows {rows})"
        if self.labels_mapped:
            text += f", {self.labels_mapped} text answers mapped to numbers"
        if self.missing_scores:
            markers = ", ".join(f"{k!r}: {v}" for k, v in self.missing_by_marker.items())
            text += f", {self.missing_scores} without an answer (not responses; {markers})"
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
    missing_values: str | Sequence[str] | None = None,
    date_columns: Sequence[str] = (),
    date_format: str | None = None,
    dayfirst: bool = False,
    scale_check: ScaleCheck = "warn",
    query: str | None = None,
    allowed_directories: Sequence[str | os.PathLike[str]] | None = None,
) -> pd.DataFrame:
    """Read and validate a survey export, a table of a DuckDB database, or a SQL query's result.

    Args:
        path: CSV, Excel (.xlsx), Parquet or SPSS (.sav, optional extra) file. The real format is
            detected from the file's first bytes, so a mislabelled file is read correctly or
            refused with a clear message. CSV: the delimiter is sniffed, a UTF-8 byte-order mark
            is dropped, UTF-16 is decoded, and bytes that are not UTF-8 are decoded as
            Windows-1252 line by line and reported (``encoding`` forces one). Anything but a
            regular file (a named pipe) is refused.
        score: the answer column to validate (0-10 by default, see ``scale``). Its values are
            converted to numbers; missing answers stay NaN and are counted (not responses).
        columns: other columns the analysis needs (grouping, time, ...): a missing one is an error
            that lists the columns the file has.
        on_invalid: ``"error"`` raises :class:`NPSInputError` with how many rows are bad and the
            first ones (row number, value); ``"quarantine"`` removes them, writes them with their
            row number and reason to ``quarantine_path`` (default ``<file>.quarantine.csv``), and
            counts them in the report. Rows with fewer fields than the header are bad rows too.
            Quarantine that leaves no response is an error.
        id_column: respondent id. A repeated id is bad (every occurrence after the first), and so
            is an id seen in two arms of ``group_column`` (all its rows: the respondent was
            exposed to both, so it belongs to neither).
        score_labels: map answers exported as text ("10 - Extremely likely", "0 - Not at all
            likely") to numbers: ``True`` for the usual anchors, or a mapping label -> number.
        skip_rows: extra header rows after the header to drop (survey-tool exports); ``"auto"``
            drops rows whose score cell is the question text or an ImportId (Qualtrics), never a
            row with an answer. Skipped rows are counted and named in the report.
        database: a DuckDB database file, opened read-only. ``path`` may then be a table (or
            view) name in it (a path is never read as SQL).
        query: a DuckDB SQL query instead of ``path``, for example
            ``"SELECT * FROM read_parquet('exports/*.parquet') WHERE region = 'North'"``: DuckDB
            filters and projects before any row reaches pandas (needs the ``scale`` extra). Only a
            single read-only ``SELECT`` / ``WITH`` statement is accepted, and it reads files only
            below ``allowed_directories`` (default: the current working directory): see
            SECURITY.md. Row numbers in messages are then 1-based rows of the result.
        allowed_directories: folders a ``query`` may read files from.
        missing_values: texts that mean "no answer" in every column (default
            :data:`~nps_analysis.sources.missing.DEFAULT_MISSING_VALUES`: empty, ``NA``, ``N/A``,
            ``n/a``, ``NaN``, ``null``, ``#N/A``, ``-``). A list replaces the defaults; the word
            ``"defaults"`` in it stands for them (``["defaults", "*redacted*"]``).
        date_columns: columns to read as dates with the kit's one parser
            (:func:`nps_analysis.sources.dates.parse_times`): wall-clock times stay naive, values
            with offsets become UTC instants. Ambiguous day/month values are an error unless
            ``date_format`` (e.g. ``"%d/%m/%Y %H:%M"``) or ``dayfirst=True`` says which.
        scale_check: ``"warn"`` (default) puts a warning in the report when the answers look like
            a 1-5, 1-7 or 0-2 scale, or groups look like different scales; ``"error"`` raises;
            ``"off"``.

    Returns:
        The validated frame. Its ``attrs`` stay plain JSON (pandas copies them on every operation
        and writes them into Parquet): :func:`load_report` gives the :class:`LoadReport`, and
        :func:`source_rows` each kept row's number in the file. The report's accounting always
        holds: ``rows_read = responses + missing_scores + quarantined + header_rows_skipped``.
    """
    if on_invalid not in ("error", "quarantine"):
        raise ValueError(f"on_invalid must be 'error' or 'quarantine', got {on_invalid!r}")
    if scale_check not in SCALE_CHECKS:
        raise ValueError(f"scale_check must be one of {', '.join(SCALE_CHECKS)}, got {scale_check!r}")
    markers = missing_markers(missing_values)
    read: ReadExport
    if query is not None:
        if path is not None and str(path) != "":
            raise NPSInputError("give either a file (path) or a SQL query (query), not both")
        read = ReadExport(read_query(query, database=database, allowed_directories=allowed_directories), "sql")
        file = describe_query(query)
    elif path is None or str(path) == "":
        raise NPSInputError("nothing to read: give a file path, or a SQL query with query=")
    elif database is not None and not Path(str(path)).exists():
        read = ReadExport(read_table_of(str(path), database=database), "sql")
        file = f"table {str(path)!r} in {database}"
    else:
        read = read_export(path, format=format, sheet=sheet, sep=sep, encoding=encoding)
        file = str(path)
    frame, fmt = read.frame, read.format
    needed = [c for c in [score, *columns, id_column, group_column, *date_columns] if c is not None]
    require_columns(frame, list(dict.fromkeys(needed)), file=file)

    rows_read = len(frame)
    if rows_read == 0:
        raise NPSInputError("the file has a header but no data rows: no survey answers to analyse", file=file)
    skipped = detect_extra_header_rows(frame, score) if skip_rows == "auto" else int(skip_rows)
    skipped = min(skipped, rows_read)
    first = 2 if fmt in ("csv", "excel") else 1
    skipped_rows = [first + i for i in range(skipped)]
    short = read.fields.short[skipped:] if read.fields is not None else np.zeros(rows_read - skipped, bool)
    if skipped:
        frame = frame.iloc[skipped:]
    offset = first + skipped
    row_numbers = np.arange(len(frame)) + offset
    frame = frame.reset_index(drop=True)
    raw_score = frame[score].copy() if score is not None else None
    frame, missing_counts = apply_missing_values(frame, markers)
    if fmt == "csv":
        frame = infer_types(frame, keep_text=[c for c in (score, id_column, *date_columns) if c])
    elif skipped:
        # Columns holding the skipped header text were read as text: give them their real type.
        text_cols = {c: "string" for c in frame.columns if frame[c].dtype == object}
        frame = infer_types(frame.astype(text_cols), keep_text=[c for c in (score, id_column, *date_columns) if c])
    if len(frame) == 0:
        raise NPSInputError("the file has a header but no data rows: no survey answers to analyse", file=file)
    for col in dict.fromkeys(date_columns):
        frame[col] = _read_dates(frame[col], row_numbers, column=col, file=file,
                                 date_format=date_format, dayfirst=dayfirst)

    bad = np.zeros(len(frame), dtype=bool)
    reasons: dict[str, int] = {}
    reason_of = np.full(len(frame), "", dtype=object)
    if short.any():
        message, rows = short_row_message(FieldCounts(read.fields.header, read.fields.fields[skipped:], []),
                                          first_row=offset)
        if on_invalid == "error":
            raise NPSInputError(message, file=file, rows=rows[:20], count=len(rows))
        _mark(bad, reason_of, reasons, short, f"fewer fields than the header ({read.fields.header})")
    mapped = 0
    values = None
    if score is not None:
        raw = frame[score]
        if score_labels:
            raw, mapped = map_score_labels(raw, score_labels)
        if fmt == "excel" and raw.isna().any():
            _check_formulas(path, sheet, score, row_numbers[raw.isna().to_numpy()], file)
        low, high = scale
        # Rows already set aside (too few fields) are not validated again.
        checked = raw.where(~bad) if bad.any() else raw
        try:
            parsed = parse_scores(
                checked, low=low, high=high, on_invalid=on_invalid, column=score, file=file, positions=row_numbers
            )
        except NPSInputError as exc:
            hint = score_hint(frame[score], score_labels) + missing_values_hint(
                [v for _, v in exc.rows], missing_values)
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
            rejected[score] = raw_score[bad].to_numpy()
        rejected.insert(0, "_reason", reason_of[bad])
        rejected.insert(0, "_row", row_numbers[bad])
        target = Path(quarantine_path) if quarantine_path else Path(f"{path}.quarantine.csv")
        # The quarantine file is for people to open in a spreadsheet: no cell may run as a formula.
        with atomic_path(target) as tmp:
            to_safe_csv(rejected, tmp)
        qfile = str(target)
    keep = ~bad
    warnings: list[str] = []
    if read.decoded is not None and read.decoded.note():
        warnings.append(read.decoded.note())
    groups = [c for c in dict.fromkeys([group_column, *columns]) if c is not None]
    warnings += space_warnings(frame.loc[keep], groups)
    if score is not None and values is not None:
        # Other text columns may name the survey (a CRM's survey type); numbers (a CSAT rating)
        # are answers themselves, not survey types.
        others = [c for c in frame.columns if c not in (score, id_column) and c not in groups
                  and not pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])]
        warnings += check_scale(frame.loc[keep], score, values=values[keep], groups=[*groups, *others],
                                mode=scale_check, scale=scale, file=file)
    frame = frame.loc[keep].reset_index(drop=True)
    if score is not None and values is not None:
        frame[score] = values[keep]
    kept_rows = row_numbers[keep]
    by_marker: dict[str, int] = {}
    missing = 0
    responses = len(frame)
    if score is not None:
        missing_mask = np.isnan(frame[score].to_numpy(dtype=float))
        missing = int(missing_mask.sum())
        responses = len(frame) - missing
        markers_of = raw_score[keep].reset_index(drop=True)[missing_mask].map(
            lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip())
        by_marker = {str(k): int(v) for k, v in markers_of.value_counts(sort=False).items()}
        if quarantined and responses == 0:
            raise NPSInputError(
                f"no responses left: {rows_read} rows read, {quarantined} quarantined "
                f"({'; '.join(f'{k}: {v}' for k, v in reasons.items())}), {missing} without an answer"
                f" -> {qfile}",
                file=file, column=score,
            )
    # pandas deep-copies attrs on every operation and writes them as JSON into Parquet files: keep
    # them small and plain. Row numbers are runs [start, stop); source_rows(frame) expands them.
    frame.attrs["source_rows"] = _runs(kept_rows)
    frame.attrs["load_report"] = LoadReport(
        file=file,
        format=fmt,
        rows_read=rows_read,
        rows_kept=len(frame),
        missing_scores=missing,
        quarantined=quarantined,
        quarantine_file=qfile,
        reasons=reasons,
        header_rows_skipped=skipped,
        labels_mapped=mapped,
        responses=responses,
        missing_by_marker=by_marker,
        missing_cells=missing_counts.by_column,
        skipped_rows=skipped_rows,
        encoding=read.decoded.encoding if read.decoded is not None else None,
        undecodable=read.decoded.undecodable if read.decoded is not None else 0,
        warnings=warnings,
    ).to_dict()
    return frame


def _read_dates(values: pd.Series, rows: np.ndarray, *, column: str, file: str, date_format: str | None,
                dayfirst: bool) -> pd.Series:
    """A date column read by the one parser: naive wall-clock times, or UTC instants when the
    values carry offsets (rows without one are then read as UTC)."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values
    aware, naive, has_offset = parse_times(values, date_format=date_format, dayfirst=dayfirst,
                                           column=column, file=file, rows=rows)
    if not has_offset.any():
        return naive
    return aware.where(has_offset, naive.dt.tz_localize("UTC"))


def _check_formulas(path: Any, sheet: Any, column: str, rows: np.ndarray, file: str) -> None:
    found = excel_formula_cells(path, sheet, column, rows)
    if found:
        raise NPSInputError(
            f"{len(found)} score cell(s) hold a formula without a saved value: {describe_rows(found)};"
            " open the file in Excel or LibreOffice and save it, so the values are stored",
            file=file, column=column, rows=found[:20], count=len(found),
        )


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
