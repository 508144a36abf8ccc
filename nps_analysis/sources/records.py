"""Checks on a file's structure before its cells are trusted: rows with too few or too many
fields, files that are not regular files, and Excel formulas whose values were never saved.
"""

from __future__ import annotations

import csv
import io
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import NPSInputError, describe_rows, masked_error


def require_regular_file(path: str | os.PathLike[str]) -> None:
    """Refuse anything that is not a regular file (a named pipe would block the reader forever)."""
    p = Path(path)
    try:
        mode = p.stat().st_mode
    except FileNotFoundError:
        raise NPSInputError("no such file", file=str(p)) from None
    except OSError as exc:
        raise NPSInputError(f"cannot open: {exc.strerror}", file=str(p)) from None
    if stat.S_ISDIR(mode):
        raise NPSInputError("is a folder, expected a survey export file", file=str(p))
    if not stat.S_ISREG(mode):
        kind = (
            "a named pipe (FIFO)"
            if stat.S_ISFIFO(mode)
            else "a socket"
            if stat.S_ISSOCK(mode)
            else "a device"
            if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "not a regular file"
        )
        raise NPSInputError(
            f"is {kind}, not a regular file: save the export to a file and read that", file=str(p)
        )


@dataclass(frozen=True)
class FieldCounts:
    """Fields per data record of a CSV text, against the header's."""

    header: int
    fields: np.ndarray  # fields of each non-blank data record, in file order
    first_values: list[list[str]]  # the cells of the first few records that do not match

    @property
    def short(self) -> np.ndarray:
        return self.fields < self.header

    @property
    def long(self) -> np.ndarray:
        return self.fields > self.header


def field_counts(text: str, sep: str) -> FieldCounts:
    """Count the fields of every record (quotes respected, blank and whitespace-only lines
    skipped, as pandas reads them), so rows that are cut off or carry an extra delimiter are found.

    Text without quotes is counted with numpy (a delimiter count per line); quoted text goes
    through the csv module.
    """
    if '"' not in text and len(sep) == 1 and sep not in "\r\n" and ("\r" not in text or "\r\n" in text):
        return _field_counts_unquoted(text, sep)
    return _field_counts_csv(text, sep)


# Whitespace bytes: a line made of them only is blank to pandas.
_SPACE_BYTES = np.array([9, 10, 11, 12, 13, 32], dtype=np.uint8)


def _field_counts_unquoted(text: str, sep: str) -> FieldCounts:
    raw = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    newlines = np.flatnonzero(raw == 10)
    starts = np.concatenate([[0], newlines + 1])
    ends = np.concatenate([newlines, [raw.size]])
    seps = np.concatenate([[0], np.cumsum(raw == ord(sep))])
    solid = np.concatenate([[0], np.cumsum(~np.isin(raw, _SPACE_BYTES))])
    keep = (solid[ends] - solid[starts]) > 0
    fields = (seps[ends] - seps[starts])[keep] + 1
    if fields.size == 0:
        return FieldCounts(0, np.zeros(0, dtype=np.int64), [])
    header, data = int(fields[0]), fields[1:].astype(np.int64)
    odd: list[list[str]] = []
    if (data != header).any():
        # split("\n") gives exactly the lines numpy counted above.
        all_lines = text.split("\n")
        lines = [all_lines[i] for i in np.flatnonzero(keep)][1:]
        odd = [lines[i].rstrip("\r").split(sep) for i in np.flatnonzero(data != header)[:5]]
    return FieldCounts(header, data, odd)


def _field_counts_csv(text: str, sep: str) -> FieldCounts:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    header = None
    counts = []
    odd: list[list[str]] = []
    for record in reader:
        # pandas skips empty and whitespace-only lines; ",," is a record of empty fields.
        if not record or not sep.join(record).strip():
            continue
        if header is None:
            header = len(record)
            continue
        counts.append(len(record))
        if len(record) != header and len(odd) < 5:
            odd.append(record)
    return FieldCounts(header or 0, np.asarray(counts, dtype=np.int64), odd)


def check_long_rows(counts: FieldCounts, *, sep: str, file: str | None, first_row: int = 2) -> None:
    """A record with more fields than the header is an error: its values would shift columns."""
    long = counts.long
    if not long.any():
        return
    idx = np.flatnonzero(long)
    odd = [r for r in counts.first_values if len(r) > counts.header]
    rows = [(int(i) + first_row, f"{int(counts.fields[i])} field(s)") for i in idx]
    example = odd[0] if odd else []
    # The split values may be a name, e-mail or phone number: masked as in every output.
    raise masked_error(NPSInputError(
        f"{len(idx)} row(s) have more fields than the header (the header has {counts.header}): "
        f"{describe_rows(rows)}; e.g. the values {example!r}: an unquoted {sep!r} inside a value "
        f'(write "Oslo, Norway" in quotes) shifts every field after it',
        file=file,
        rows=rows[:20],
        count=len(idx),
    ))


def short_row_message(
    counts: FieldCounts, *, first_row: int = 2
) -> tuple[str, list[tuple[int, str]]]:
    """The message and ``(row, fields)`` pairs for records with fewer fields than the header."""
    idx = np.flatnonzero(counts.short)
    rows = [(int(i) + first_row, f"{int(counts.fields[i])} field(s)") for i in idx]
    last = bool(len(idx)) and int(idx[-1]) == len(counts.fields) - 1
    why = " (the file looks cut off)" if last and len(idx) == 1 else ""
    return (
        f"{len(idx)} row(s) have fewer fields than the header (the header has {counts.header}){why}: "
        f"{describe_rows(rows)}; use --on-invalid quarantine to set them aside",
        rows,
    )


def excel_formula_cells(
    path: str | os.PathLike[str], sheet: str | int | None, column: str, rows: np.ndarray
) -> list[tuple[int, str]]:
    """``(row, formula)`` for cells of ``column`` at worksheet ``rows`` (1-based, header = 1) that
    hold a formula: read with cached values only, such a cell is empty when it was never saved by
    a spreadsheet program (files written by scripts)."""
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - openpyxl is a core dependency
        return []
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception:  # noqa: BLE001 - not an openpyxl workbook (.xls): nothing to report
        return []
    try:
        ws = book[sheet] if isinstance(sheet, str) else book.worksheets[sheet or 0]
        header = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
        names = [str(h).strip() if h is not None else "" for h in header]
        if column not in names:
            return []
        col = names.index(column)
        wanted = set(int(r) for r in rows)
        found = []
        for number, row in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
            if (
                number in wanted
                and col < len(row)
                and isinstance(row[col], str)
                and row[col].startswith("=")
            ):
                found.append((number, row[col]))
        return found
    finally:
        book.close()


__all__ = [
    "FieldCounts",
    "check_long_rows",
    "excel_formula_cells",
    "field_counts",
    "require_regular_file",
    "short_row_message",
]
