"""Reading and validating survey exports: the one place that opens files.

``load`` reads CSV, Excel, Parquet and SPSS files, checks the columns the analysis needs and the
0-10 scores, and either raises one clear error (file, column, row, value) or quarantines bad rows.
"""

from __future__ import annotations

import csv
import io as _io
import os
from collections.abc import Sequence
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


@dataclass(frozen=True)
class LoadReport(ResultMixin):
    """What happened while reading a file: rows read, answers missing, rows quarantined and why.

    Row numbers follow what an analyst sees: for CSV and Excel the line/row in the file with the
    header as row 1 (so the first data row is row 2); for Parquet and SPSS the 1-based data row.
    """

    file: str
    format: str
    rows_read: int
    rows_kept: int
    missing_scores: int
    quarantined: int
    quarantine_file: str | None
    reasons: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        text = f"{self.file}: {self.rows_read} rows read, {self.rows_kept} kept"
        if self.missing_scores:
            text += f", {self.missing_scores} without an answer (not responses)"
        if self.quarantined:
            reasons = ", ".join(f"{k}: {v}" for k, v in self.reasons.items())
            text += f", {self.quarantined} quarantined ({reasons})"
            if self.quarantine_file:
                text += f" -> {self.quarantine_file}"
        return text


def detect_format(path: Path) -> str:
    """The file's real format from its first bytes, falling back to its extension."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return "excel"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "excel"  # legacy .xls (OLE2)
    if head.startswith(b"$FL2") or head.startswith(b"$FL3"):
        return "spss"
    by_ext = _EXTENSIONS.get(path.suffix.lower())
    if by_ext in ("csv", None):
        return "csv"
    return by_ext


def _read_csv(path: Path, *, sep: str | None, encoding: str | None) -> pd.DataFrame:
    raw = path.read_bytes()
    if not raw.strip():
        raise NPSInputError("the file is empty: expected a header row and survey answers", file=str(path))
    if b"\x00" in raw[:4096] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise NPSInputError(
            "the file is not text (it contains NUL bytes): is it really a CSV export?", file=str(path)
        )
    if encoding is None:
        for enc in ("utf-8-sig", "utf-16", "cp1252"):
            try:
                text = raw.decode(enc)
                if enc == "utf-16" and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
                    continue
                break
            except UnicodeDecodeError:
                continue
        else:  # pragma: no cover - cp1252 decodes almost anything
            raise NPSInputError("cannot decode the file as UTF-8 or Windows-1252", file=str(path))
    else:
        text = raw.decode(encoding)
    if sep is None:
        sample = text[:65536]
        try:
            sep = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
        except csv.Error:
            sep = ","
    try:
        frame = pd.read_csv(_io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_values=[""])
    except pd.errors.ParserError as exc:
        raise NPSInputError(f"cannot parse as CSV (delimiter {sep!r}): {exc}", file=str(path)) from None
    except pd.errors.EmptyDataError:
        raise NPSInputError("the file is empty: expected a header row and survey answers", file=str(path)) from None
    return frame


def infer_types(frame: pd.DataFrame, *, keep_text: Sequence[str] = ()) -> pd.DataFrame:
    """Give text columns read from CSV the type pandas would infer (numbers, booleans).

    Columns in ``keep_text`` (the score) stay as read, so their validation sees the raw text.
    """
    out = frame.copy()
    for col in out.columns:
        if col in keep_text or not pd.api.types.is_string_dtype(out[col]):
            continue
        values = out[col]
        present = values.dropna()
        if present.empty:
            continue
        stripped = present.str.strip()
        lowered = stripped.str.lower()
        if lowered.isin(["true", "false"]).all():
            out[col] = values.str.strip().str.lower().map({"true": True, "false": False})
            continue
        numeric = pd.to_numeric(stripped, errors="coerce")
        if numeric.notna().all():
            out[col] = pd.to_numeric(values.str.strip(), errors="coerce")
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
        raise NPSInputError(f"unknown format {fmt!r}; expected one of {FORMATS}", file=str(path))
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
    return frame, fmt


def require_columns(frame: pd.DataFrame, columns: Sequence[str], *, file: str | None = None) -> None:
    """Raise naming the missing columns and listing the ones that exist."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise NPSInputError(
            f"missing column{plural} {', '.join(map(repr, missing))}; the file has columns "
            f"{', '.join(map(repr, map(str, frame.columns)))}",
            file=file,
        )


def load(
    path: str | os.PathLike[str],
    *,
    score: str | None = None,
    columns: Sequence[str] = (),
    scale: tuple[int, int] = (0, 10),
    on_invalid: Literal["error", "quarantine"] = "error",
    quarantine_path: str | os.PathLike[str] | None = None,
    format: str | None = None,
    sheet: str | int | None = None,
    sep: str | None = None,
    encoding: str | None = None,
) -> pd.DataFrame:
    """Read and validate a survey export.

    Args:
        path: CSV, Excel (.xlsx), Parquet or SPSS (.sav, optional extra) file. The real format is
            detected from the file's first bytes, so a mislabelled file is read correctly or
            refused with a clear message.
        score: the answer column to validate (0-10 by default, see ``scale``). Its values are
            converted to numbers; missing answers stay NaN and are counted.
        columns: other columns the analysis needs (grouping, time, ...): a missing one is an error
            that lists the columns the file has.
        on_invalid: ``"error"`` raises :class:`NPSInputError` with how many scores are invalid and
            the first rows (row number, value); ``"quarantine"`` removes those rows, writes them to
            ``quarantine_path`` (default ``<file>.quarantine.csv`` beside the input) with the row
            number and reason, and counts them in the report.

    Returns:
        The validated frame; ``attrs["load_report"]`` holds a :class:`LoadReport`.
    """
    frame, fmt = read_table(path, format=format, sheet=sheet, sep=sep, encoding=encoding)
    file = str(path)
    if fmt == "csv":
        frame = infer_types(frame, keep_text=[score] if score else [])
    require_columns(frame, [c for c in [score, *columns] if c is not None], file=file)
    offset = 2 if fmt in ("csv", "excel") else 1
    row_numbers = np.arange(len(frame)) + offset
    rows_read = len(frame)
    missing = 0
    quarantined = 0
    reasons: dict[str, int] = {}
    qfile: str | None = None
    if score is not None:
        low, high = scale
        parsed = parse_scores(
            frame[score],
            low=low,
            high=high,
            on_invalid=on_invalid,
            column=score,
            file=file,
            positions=row_numbers,
        )
        missing = parsed.missing
        if parsed.invalid:
            bad_rows = {r for r, _ in parsed.invalid}
            bad_mask = np.isin(row_numbers, list(bad_rows))
            quarantined = int(bad_mask.sum())
            reasons[f"invalid {score!r} (not a whole number {low}-{high})"] = quarantined
            bad = frame.loc[bad_mask].copy()
            bad.insert(0, "_reason", f"invalid score in {score!r}: expected a whole number {low}-{high}")
            bad.insert(0, "_row", row_numbers[bad_mask])
            target = Path(quarantine_path) if quarantine_path else Path(f"{path}.quarantine.csv")
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.tmp")
            bad.to_csv(tmp, index=False)
            os.replace(tmp, target)
            qfile = str(target)
            frame = frame.loc[~bad_mask].copy()
            values = parsed.values[~bad_mask]
            row_numbers = row_numbers[~bad_mask]
        else:
            values = parsed.values
        frame[score] = values
    frame = frame.reset_index(drop=True)
    frame.attrs["source_rows"] = row_numbers.tolist() if len(frame) <= 1_000_000 else None
    frame.attrs["load_report"] = LoadReport(
        file=file,
        format=fmt,
        rows_read=rows_read,
        rows_kept=len(frame),
        missing_scores=missing,
        quarantined=quarantined,
        quarantine_file=qfile,
        reasons=reasons,
    )
    return frame


def load_report(frame: pd.DataFrame) -> LoadReport | None:
    """The :class:`LoadReport` attached by :func:`load`, if any."""
    report = frame.attrs.get("load_report")
    return report if isinstance(report, LoadReport) else None


def check_labels(frame: pd.DataFrame, column: str, labels: Sequence[Any], *, file: str | None = None) -> None:
    """Raise if any of ``labels`` (e.g. the treatment and control arms) is absent from ``column``."""
    present = pd.unique(frame[column].dropna())
    absent = [label for label in labels if label not in set(present)]
    if absent:
        shown = ", ".join(map(repr, sorted(map(str, present))[:20]))
        raise NPSInputError(
            f"no rows with {', '.join(map(repr, absent))}; the values present are {shown}",
            file=file,
            column=column,
        )


__all__ = ["LoadReport", "check_labels", "describe_rows", "detect_format", "load", "load_report", "read_table", "require_columns"]
