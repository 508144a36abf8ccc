"""Errors the kit raises on bad input.

Every input problem is an ``NPSInputError`` that names the file, column, rows and values involved,
so the CLI can print one clear line and a notebook shows what to fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class NPSInputError(ValueError):
    """Bad input: a missing column, invalid scores, an unreadable file, a wrong parameter.

    Attributes:
        file: the file being read, when known.
        column: the column at fault, when known.
        rows: up to a few ``(row, value)`` pairs showing the first offending rows (row numbers are
            the positions used in the message: 0-based data rows for frames, 1-based file lines
            with the header as line 1 for files).
        count: how many rows are at fault in total.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        column: str | None = None,
        rows: Sequence[tuple[Any, Any]] = (),
        count: int | None = None,
    ) -> None:
        self.file = file
        self.column = column
        self.rows = list(rows)
        self.count = count
        parts = []
        if file is not None:
            parts.append(f"{file}")
        if column is not None:
            parts.append(f"column {column!r}")
        prefix = ": ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)


def describe_rows(rows: Sequence[tuple[Any, Any]], *, limit: int = 5) -> str:
    """Format ``(row, value)`` pairs as ``row 3: '9.5', row 7: 'abc'`` for error messages."""
    shown = [f"row {r}: {v!r}" for r, v in list(rows)[:limit]]
    more = len(rows) - limit
    return ", ".join(shown) + (f" (+{more} more)" if more > 0 else "")
