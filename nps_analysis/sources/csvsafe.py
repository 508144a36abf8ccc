"""CSV exports that a spreadsheet cannot turn into live formulas (CSV injection, OWASP).

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula; such cells get a leading apostrophe, as OWASP advises.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

#: The characters that make a spreadsheet treat a cell as a formula (OWASP "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A plain number ("-3", "+4.5", "-1e3") is data, not a formula: it is left as it is, so negative
# differences stay numbers. "-1+2" or "=1" are not plain numbers and are neutralised.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise_cell(value: Any) -> Any:
    """One cell made safe: a string that would start a formula gets a leading ``'``.

    Non-strings and plain signed numbers written as text (``-3.5``) are returned unchanged.

    Example:
        >>> [neutralise_cell(v) for v in ["=HYPERLINK(\\"x\\")", "@SUM(A1)", "-3.5", "ok", 7]]
        ['\\'=HYPERLINK("x")', "'@SUM(A1)", '-3.5', 'ok', 7]
    """
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) cannot start a formula.

    Numeric columns are untouched (a negative number is not a formula). ``attrs["csv_neutralised"]``
    holds how many cells were changed.
    """
    out = frame.copy()
    changed = 0
    for col in out.columns:
        series = out[col]
        if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
            continue
        values = series.astype(object)
        is_str = values.map(lambda v: isinstance(v, str))
        risky = is_str & values.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_STARTS))
        if risky.any():
            fixed = values.where(~risky, values[risky].map(neutralise_cell))
            changed += int((fixed[risky] != values[risky]).sum())
            out[col] = fixed
    out.columns = [neutralise_cell(c) if isinstance(c, str) else c for c in out.columns]
    out.attrs["csv_neutralised"] = changed
    return out


def _has_carriage_return(frame: pd.DataFrame) -> bool:
    for col in frame.columns:
        series = frame[col]
        if pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series):
            if series.map(lambda v: isinstance(v, str) and "\r" in v).any():
                return True
    return any(isinstance(c, str) and "\r" in c for c in frame.columns)


def to_safe_csv(frame: pd.DataFrame, path: Any, *, raw_csv: bool = False, **to_csv_kwargs: Any) -> int:
    """``frame.to_csv(path)`` with formula cells neutralised unless ``raw_csv``; returns how many
    cells were changed (0 with ``raw_csv``).

    Every file reads back to the same rows: Python's csv writer quotes a field holding a line
    break only when the break is part of the line terminator, so a lone carriage return in a
    comment would end the row for a reader. When any text holds one, every text field is quoted
    (``QUOTE_NONNUMERIC``).
    """
    import csv

    to_csv_kwargs.setdefault("index", False)
    if "quoting" not in to_csv_kwargs and _has_carriage_return(frame):
        to_csv_kwargs["quoting"] = csv.QUOTE_NONNUMERIC
    if raw_csv:
        frame.to_csv(path, **to_csv_kwargs)
        return 0
    safe = neutralise_frame(frame)
    safe.to_csv(path, **to_csv_kwargs)
    return int(safe.attrs["csv_neutralised"])
