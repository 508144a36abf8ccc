"""Survey export files: format from the content, decoding, delimiter sniffing, survey-tool header
rows and answers exported as labels.
"""

from __future__ import annotations

import csv
import io as _io
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .encoding import DecodedText, decode_export
from .errors import NPSInputError
from .missing import apply_missing_values
from .records import FieldCounts, check_long_rows, field_counts, require_regular_file

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
DELIMITERS = ",;\t|"

#: Verbal anchors that survey tools export in place of the end points of the 0-10 scale.
DEFAULT_SCORE_LABELS: dict[str, int] = {
    "not at all likely": 0,
    "extremely likely": 10,
    "not likely at all": 0,
    "very likely": 10,
}
# "10 - Extremely likely", "0 – Not at all likely", "9", "7: likely" -> the leading whole number.
_LABELLED_NUMBER = re.compile(r"^\s*(\d{1,2})\s*(?:[-\u2013\u2014:=.)]\s*\D.*)?$", re.S)


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
    if head.count(b"\x00") > max(1, len(head) // 100):
        return False  # binary (or UTF-16 without its byte-order mark)
    # A few NUL bytes in otherwise text: read as text, so the reader names the line (a NUL anywhere
    # in a text export is refused the same way, whether it is in the first 4 KiB or later).
    head = head.replace(b"\x00", b"")
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:
            return True  # a multi-byte character cut by the 4 KiB window
    control = sum(b < 9 or 13 < b < 32 for b in head)
    return control / len(head) < 0.01  # Windows-1252 text


@dataclass(frozen=True)
class ReadExport:
    """A file read as text cells, with what the load report and the row checks need."""

    frame: pd.DataFrame
    format: str
    decoded: DecodedText | None = None
    fields: FieldCounts | None = None


def _empty_file(path: Path) -> NPSInputError:
    return NPSInputError("the file is empty: expected a header row and survey answers", file=str(path))


def _read_csv_text(path: Path, *, sep: str | None, encoding: str | None) -> ReadExport:
    """Every cell as text ("" for an empty cell; markers are applied by the caller)."""
    raw = path.read_bytes()
    if not raw.strip():
        raise _empty_file(path)
    decoded = decode_export(raw, encoding, file=str(path))
    text = decoded.text
    if not text.strip():
        raise _empty_file(path)
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise NPSInputError(
            f"holds a NUL byte at line {line} (header = line 1): not a plain text export; "
            "a corrupted or binary file? Remove the NUL bytes and read it again",
            file=str(path),
        )
    if sep is None:
        sep = sniff_delimiter(text)
    counts = field_counts(text, sep)
    # Found before pandas: an extra field would silently shift the row or become the index.
    check_long_rows(counts, sep=sep, file=str(path))
    try:
        frame = pd.read_csv(
            _io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_filter=False,
            skip_blank_lines=True,
        )
    except pd.errors.ParserError as exc:
        raise NPSInputError(f"cannot parse as CSV with delimiter {sep!r}: {exc}", file=str(path)) from None
    except pd.errors.EmptyDataError:
        raise _empty_file(path) from None
    if len(counts.fields) != len(frame):
        counts = None  # pandas and the csv module disagree on records (odd quoting): no row checks
    return ReadExport(frame, "csv", decoded, counts)


def sniff_delimiter(text: str) -> str:
    """The delimiter of a CSV text: the one that splits the header and the next lines consistently."""
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines[:20]), delimiters=DELIMITERS).delimiter
    except csv.Error:
        pass
    # Fall back to the candidate with the most fields in the header (quotes respected).
    best, best_fields = ",", 1
    for cand in DELIMITERS:
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


def read_export(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    sheet: str | int | None = None,
    sep: str | None = None,
    encoding: str | None = None,
) -> ReadExport:
    """Read an export as text cells (CSV) or typed columns, with what the load report needs:
    the decoding used and each CSV record's field count. Anything but a regular file is refused."""
    path = Path(path)
    require_regular_file(path)  # before any open(): a named pipe would block for ever
    fmt = format or detect_format(path)
    if fmt not in FORMATS:
        raise NPSInputError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}", file=str(path))
    read: ReadExport | None = None
    try:
        if fmt == "csv":
            read = _read_csv_text(path, sep=sep, encoding=encoding)
            frame = read.frame
        elif fmt == "excel":
            # Markers such as "NA" stay text here, so they are counted by marker like CSV's.
            frame = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0,
                                  keep_default_na=False, na_values=[""])
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
    if read is None:
        return ReadExport(frame, fmt)
    return ReadExport(frame, fmt, read.decoded, read.fields)


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
    a stray ``"9,5"`` is reported rather than guessed); the delimiter is sniffed; empty cells are
    missing. Anything but a regular file (a named pipe, a folder) is refused.
    """
    read = read_export(path, format=format, sheet=sheet, sep=sep, encoding=encoding)
    frame = read.frame
    if read.format == "csv":
        frame, _ = apply_missing_values(frame, [""])
    return frame, read.format


_IMPORT_ID = re.compile(r"""^\{\s*["']ImportId["']\s*:""")
_WORD = re.compile(r"[^\W\d_]{2,}")


def _cell_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


def is_question_text(text: str) -> bool:
    """Text that reads as a survey question, never as an answer: four or more words
    (``"How likely are you to recommend us?"``) and not a labelled answer
    (``"10 - Extremely likely"``, ``"Not at all likely"``)."""
    if _LABELLED_NUMBER.match(text) or text.lower() in DEFAULT_SCORE_LABELS:
        return False
    return len(_WORD.findall(text)) >= 4


def detect_extra_header_rows(frame: pd.DataFrame, score: str | None) -> int:
    """How many rows after the header are further header rows of a survey-tool export.

    Qualtrics writes the question text in row 2 and ``{"ImportId": ...}`` in row 3; other tools
    write one row of question text. A leading row counts as a header row only when its score cell
    is the question text (four or more words, not an answer; or the column name repeated) or an
    ImportId, or is empty while
    another cell of the row holds an ImportId: a row with an answer, valid or not, is never
    skipped (it is counted, or reported as invalid).
    """
    if score is None or score not in frame.columns or frame.empty:
        return 0
    skipped = 0
    for i in range(min(3, len(frame))):
        cell = _cell_text(frame[score].iloc[i])
        if _IMPORT_ID.match(cell):
            skipped = i + 1
            continue
        if not cell:
            row = [_cell_text(v) for v in frame.iloc[i].tolist()]
            if any(_IMPORT_ID.match(v) for v in row):
                skipped = i + 1
                continue
            break
        if i < 2 and (is_question_text(cell) or cell == score):
            skipped = i + 1
            continue
        break
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


def score_hint(values: pd.Series, score_labels: Any) -> str:
    text = values.dropna().astype(str).str.strip()
    labelled = text.str.match(_LABELLED_NUMBER) & text.str.contains(r"[A-Za-z]", regex=True)
    if not score_labels and labelled.any():
        return " (answers look like survey-tool labels such as '10 - Extremely likely': use score_labels=True / --score-labels)"
    if text.str.fullmatch(r"\d+,\d+").any():
        return " (a decimal comma: scores must be whole numbers 0-10)"
    return ""
