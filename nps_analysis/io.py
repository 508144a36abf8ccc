"""Reading and validating survey exports: the one place that opens files.

``load`` reads CSV, Excel, Parquet and SPSS files, checks the columns the analysis needs, the 0-10
scores and respondent ids, and either raises one clear error (file, column, row, value) or
quarantines bad rows into a file and counts them.
"""

from __future__ import annotations

import csv
import io as _io
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .errors import NPSInputError, describe_rows
from .results import ResultMixin
from .scoring import parse_scores

FORMATS = ("csv", "excel", "parquet", "spss")
_EXTENSIONS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".sav": "spss",
    ".zsav": "spss",
}
_DELIMITERS = ",;\t|"

#: Verbal anchors that survey tools export in place of the end points of the 0-10 scale.
DEFAULT_SCORE_LABELS: dict[str, int] = {
    "not at all likely": 0,
    "extremely likely": 10,
    "not likely at all": 0,
    "very likely": 10,
}
# "10 - Extremely likely", "0 – Not at all likely", "9", "7: likely" -> the leading whole number.
_LABELLED_NUMBER = re.compile(r"^\s*(\d{1,2})\s*(?:[-\u2013\u2014:=.)]\s*\D.*)?$", re.S)

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


def detect_format(path: Path) -> str:
    """The file's real format from its first bytes; the extension only decides among text formats.

    Raises:
        NPSInputError: binary content that is none of the supported formats (for example a PDF or
            an image renamed ``.csv``, or a ``.xlsx`` that is really something else).
    """
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        return "excel"
    if head.startswith((b"$FL2", b"$FL3")):
        return "spss"
    by_ext = _EXTENSIONS.get(path.suffix.lower(), "csv")
    if _looks_like_text(head):
        return "csv"
    raise NPSInputError(
        f"is not a CSV, Excel, Parquet or SPSS file (the name says {by_ext}, the content starts "
        f"with {head[:8]!r})",
        file=str(path),
    )


def _looks_like_text(head: bytes) -> bool:
    if not head:
        return True
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True  # UTF-16 with a byte-order mark
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:
            return True  # a multi-byte character cut by the 4 KiB window
    control = sum(b < 9 or 13 < b < 32 for b in head)
    return control / len(head) < 0.01  # Windows-1252 text


def _decode(raw: bytes, encoding: str | None, path: Path) -> str:
    if encoding is not None:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise NPSInputError(f"cannot decode as {encoding}: {exc}", file=str(path)) from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")  # legacy Excel "CSV (Windows)" exports


def _read_csv(path: Path, *, sep: str | None, encoding: str | None) -> pd.DataFrame:
    raw = path.read_bytes()
    if not raw.strip():
        raise NPSInputError("the file is empty: expected a header row and survey answers", file=str(path))
    text = _decode(raw, encoding, path)
    if not text.strip():
        raise NPSInputError("the file is empty: expected a header row and survey answers", file=str(path))
    if sep is None:
        sep = sniff_delimiter(text)
    try:
        return pd.read_csv(
            _io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_values=[""],
            skip_blank_lines=True,
        )
    except pd.errors.ParserError as exc:
        raise NPSInputError(f"cannot parse as CSV with delimiter {sep!r}: {exc}", file=str(path)) from None
    except pd.errors.EmptyDataError:
        raise NPSInputError("the file is empty: expected a header row and survey answers", file=str(path)) from None


def sniff_delimiter(text: str) -> str:
    """The delimiter of a CSV text: the one that splits the header and the next lines consistently."""
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines[:20]), delimiters=_DELIMITERS).delimiter
    except csv.Error:
        pass
    # Fall back to the candidate with the most fields in the header (quotes respected).
    best, best_fields = ",", 1
    for cand in _DELIMITERS:
        fields = len(next(csv.reader([lines[0]], delimiter=cand)))
        if fields > best_fields:
            best, best_fields = cand, fields
    return best


def infer_types(frame: pd.DataFrame, *, keep_text: Sequence[str] = ()) -> pd.DataFrame:
    """Give text columns read from CSV the type pandas would infer (numbers, booleans).

    Columns in ``keep_text`` (the score, ids) stay as read, so their validation sees the raw text.
    """
    out = frame.copy()
    for col in out.columns:
        if col in keep_text or not pd.api.types.is_string_dtype(out[col]):
            continue
        values = out[col]
        present = values.dropna().astype(str).str.strip()
        if present.empty:
            continue
        lowered = present.str.lower()
        if lowered.isin(["true", "false"]).all():
            out[col] = values.astype(str).str.strip().str.lower().map({"true": True, "false": False}).where(values.notna())
            continue
        if pd.to_numeric(present, errors="coerce").notna().all():
            out[col] = pd.to_numeric(values.astype(str).str.strip().where(values.notna()), errors="coerce")
    return out


def read_table(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    sheet: str | int | None = None,
    sep: str | None = None,
    encoding: str | None = None,
) -> tuple[pd.DataFrame, str]:
    """Read a survey export into a DataFrame without validating it. Returns ``(frame, format)``.

    CSV cells are read as text (scores are validated later, so ``"9"`` and ``" 10 "`` survive and
    a stray ``"9,5"`` is reported rather than guessed); the delimiter is sniffed.
    """
    path = Path(path)
    if not path.exists():
        raise NPSInputError("no such file", file=str(path))
    if path.is_dir():
        raise NPSInputError("is a folder, expected a survey export file", file=str(path))
    fmt = format or detect_format(path)
    if fmt not in FORMATS:
        raise NPSInputError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}", file=str(path))
    try:
        if fmt == "csv":
            frame = _read_csv(path, sep=sep, encoding=encoding)
        elif fmt == "excel":
            frame = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0)
        elif fmt == "parquet":
            frame = pd.read_parquet(path)
        else:
            try:
                import pyreadstat  # noqa: F401
            except ImportError:
                raise NPSInputError(
                    "reading SPSS .sav files needs the optional extra: pip install 'nps_analysis[spss]'",
                    file=str(path),
                ) from None
            frame = pd.read_spss(path, convert_categoricals=False)
    except NPSInputError:
        raise
    except Exception as exc:  # a reader's own error, reworded with the file name
        raise NPSInputError(f"cannot read as {fmt}: {type(exc).__name__}: {exc}", file=str(path)) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    duplicated = [c for c in frame.columns if list(frame.columns).count(c) > 1]
    if duplicated:
        raise NPSInputError(f"duplicated column name(s) {sorted(set(duplicated))}", file=str(path))
    return frame, fmt


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
            hits = [d for d in _DELIMITERS if d in header]
            if hits:
                message += f" (one column whose name contains {hits[0]!r}: is {hits[0]!r} the delimiter?)"
        raise NPSInputError(message, file=file)


def detect_extra_header_rows(frame: pd.DataFrame, score: str | None) -> int:
    """How many rows after the header are further header rows of a survey-tool export.

    Qualtrics writes the question text in row 2 and ``{"ImportId": ...}`` in row 3; other tools
    write one row of question text or choice labels. A leading row counts as a header row when it
    holds an ImportId, or when its score cell is text that is not an answer while the rows after
    it hold answers.
    """
    if score is None or score not in frame.columns or frame.empty:
        return 0
    head = frame.head(3)
    for i in range(len(head)):
        row_text = " ".join(str(v) for v in head.iloc[i].tolist())
        if '"ImportId"' in row_text or "{'ImportId'" in row_text:
            return i + 1
    skipped = 0
    values = frame[score].head(4).tolist()
    for i, value in enumerate(values[:2]):
        text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()
        is_answer = text == "" or _LABELLED_NUMBER.match(text) is not None or text.lower() in DEFAULT_SCORE_LABELS
        later = values[i + 1 :]
        later_answers = any(
            v is not None and not (isinstance(v, float) and np.isnan(v)) and _LABELLED_NUMBER.match(str(v).strip())
            for v in later
        )
        if is_answer or not later_answers or len(text) < 12:
            break
        skipped = i + 1
    return skipped


def map_score_labels(
    values: pd.Series, labels: Mapping[str, int] | bool = True
) -> tuple[pd.Series, int]:
    """Map answers exported as text ("10 - Extremely likely") to their numbers.

    A leading whole number followed by a separator and words gives the number; a bare verbal anchor
    (case-insensitive) is looked up in ``labels`` (default :data:`DEFAULT_SCORE_LABELS`). Anything
    else is left as it was, for validation to report. Returns the values and how many were mapped.
    """
    mapping = {k.strip().lower(): v for k, v in (DEFAULT_SCORE_LABELS if labels is True else dict(labels or {})).items()}
    text = values.astype("string").str.strip()
    number = text.str.extract(_LABELLED_NUMBER, expand=False)
    looked_up = text.str.lower().map(mapping)
    has_words = text.str.contains(r"[^\d\s.]", regex=True, na=False)
    mapped = (number.notna() & has_words) | looked_up.notna()
    out = values.astype(object).copy()
    out[number.notna() & has_words] = number[number.notna() & has_words].astype(int)
    out[looked_up.notna()] = looked_up[looked_up.notna()].astype(int)
    return out, int(mapped.sum())


def load(
    path: str | os.PathLike[str],
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
) -> pd.DataFrame:
    """Read and validate a survey export, or the result of a SQL query or a table.

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
        database: a DuckDB database file. ``path`` may then be a table (or view) name in it. Without
            it, ``path`` may still be a DuckDB SQL query over files, for example
            ``"SELECT * FROM read_parquet('exports/*.parquet') WHERE region = 'North'"``: DuckDB
            filters and projects before any row reaches pandas (needs the ``scale`` extra). Row
            numbers in messages are then 1-based rows of the result.

    Returns:
        The validated frame. Its ``attrs`` stay plain JSON (pandas copies them on every operation
        and writes them into Parquet): :func:`load_report` gives the :class:`LoadReport`, and
        :func:`source_rows` each kept row's number in the file.
    """
    if on_invalid not in ("error", "quarantine"):
        raise ValueError(f"on_invalid must be 'error' or 'quarantine', got {on_invalid!r}")
    if is_query_or_table(path, database):
        frame, fmt = read_query(str(path), database=database), "sql"
    else:
        frame, fmt = read_table(path, format=format, sheet=sheet, sep=sep, encoding=encoding)
    file = str(path) if fmt != "sql" else _describe_query(str(path), database)
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
            hint = _score_hint(frame[score], score_labels)
            if hint:
                raise NPSInputError(
                    f"{exc.args[0].split(': ', 2)[-1]}{hint}", file=file, column=score, rows=exc.rows, count=exc.count
                ) from None
            raise
        values = parsed.values
        if parsed.invalid:
            invalid_rows = np.isin(row_numbers, [r for r, _ in parsed.invalid])
            _mark(bad, reason_of, reasons, invalid_rows, f"invalid {score!r}: not a whole number {low}-{high}")
    if id_column is not None:
        _check_ids(frame, id_column, group_column, row_numbers, on_invalid, file, bad, reason_of, reasons)

    quarantined = int(bad.sum())
    qfile: str | None = None
    if quarantined:
        rejected = frame.loc[bad].copy()
        if score is not None:
            rejected[score] = frame.loc[bad, score]
        rejected.insert(0, "_reason", reason_of[bad])
        rejected.insert(0, "_row", row_numbers[bad])
        target = Path(quarantine_path) if quarantine_path else Path(f"{path}.quarantine.csv")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        rejected.to_csv(tmp, index=False)
        os.replace(tmp, target)
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


def _score_hint(values: pd.Series, score_labels: Any) -> str:
    text = values.dropna().astype(str).str.strip()
    if not score_labels and text.str.match(_LABELLED_NUMBER).any() and text.str.contains(r"[A-Za-z]", regex=True).any():
        return " (answers look like survey-tool labels such as '10 - Extremely likely': use score_labels=True / --score-labels)"
    if text.str.fullmatch(r"\d+,\d+").any():
        return " (a decimal comma: scores must be whole numbers 0-10)"
    return ""


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


_SQL_START = re.compile(r"^\s*(select|with|from|values|table|pivot|unpivot|summarize)\b", re.I)


def is_query_or_table(source: Any, database: Any = None) -> bool:
    """True for a SQL query, or for a table name when a database is given (not an existing file)."""
    if not isinstance(source, str):
        return False
    if _SQL_START.match(source):
        return True
    return database is not None and not Path(source).exists()


def _describe_query(source: str, database: Any) -> str:
    text = " ".join(source.split())
    text = text if len(text) <= 80 else text[:77] + "..."
    return f"query {text!r}" if _SQL_START.match(source) else f"table {source!r} in {database}"


def read_query(source: str, *, database: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Run a SQL query (or read a table of ``database``) in DuckDB and return the rows as a frame."""
    from .bigfile import read_source

    relation = read_source(source, database=database)
    try:
        frame = relation.df()
    except Exception as exc:  # DuckDB's own error, reworded
        raise NPSInputError(f"DuckDB could not run it: {exc}", file=_describe_query(source, database)) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


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
    "DEFAULT_SCORE_LABELS",
    "LoadReport",
    "check_labels",
    "detect_extra_header_rows",
    "detect_format",
    "is_query_or_table",
    "load",
    "load_report",
    "map_score_labels",
    "source_rows",
    "read_query",
    "read_table",
    "require_columns",
    "sniff_delimiter",
]
