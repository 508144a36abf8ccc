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
    """Format ``(row, value)`` pairs as ``row 3: '9.5', row 7: 'abc'`` for error messages.

    Text values longer than 60 characters are cut, and e-mail addresses and phone numbers in them
    are masked: a message quoting a row must not carry a customer's contact details.
    """
    from .privacy import mask_message

    def shown_value(value: Any) -> str:
        if isinstance(value, str):
            value = mask_message(value if len(value) <= 60 else value[:57] + "...")
        return repr(value)

    shown = [f"row {r}: {shown_value(v)}" for r, v in list(rows)[:limit]]
    more = len(rows) - limit
    return ", ".join(shown) + (f" (+{more} more)" if more > 0 else "")


def masked_error(error: NPSInputError, frame: Any = None) -> NPSInputError:
    """The same :class:`~nps_analysis.sources.errors.NPSInputError` with personal data masked in
    its message and rows: names and addresses found in ``frame``'s personal columns, and e-mail
    addresses and phone numbers anywhere (error messages quote row values, and reach stderr, logs,
    ``results.json`` and the run index)."""
    from .privacy import known_personal_values, mask_message

    known = known_personal_values(frame) if frame is not None else {"name": [], "address": []}
    names, addresses = known["name"], known["address"]
    message = mask_message(str(error), names=names, addresses=addresses)
    rows = [
        (r, mask_message(v, names=names, addresses=addresses) if isinstance(v, str) else v)
        for r, v in getattr(error, "rows", [])
    ]
    out = NPSInputError(message, rows=rows, count=getattr(error, "count", None))
    out.file, out.column = getattr(error, "file", None), getattr(error, "column", None)
    return out

