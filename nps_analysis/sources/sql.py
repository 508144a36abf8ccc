"""SQL sources: a DuckDB query or a table of a database read into a frame.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from .bigfile import SQL_START
from .errors import NPSInputError


def is_query_or_table(source: Any, database: Any = None) -> bool:
    """True for a SQL query, or for a table name when a database is given (not an existing file)."""
    if not isinstance(source, str):
        return False
    if SQL_START.match(source):
        return True
    return database is not None and not Path(source).exists()


def describe_query(source: str, database: Any) -> str:
    text = " ".join(source.split())
    text = text if len(text) <= 80 else text[:77] + "..."
    return f"query {text!r}" if SQL_START.match(source) else f"table {source!r} in {database}"


def read_query(source: str, *, database: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Run a SQL query (or read a table of ``database``) in DuckDB and return the rows as a frame."""
    from .bigfile import read_source

    relation = read_source(source, database=database)
    try:
        frame = relation.df()
    except Exception as exc:  # DuckDB's own error, reworded
        raise NPSInputError(f"DuckDB could not run it: {exc}", file=describe_query(source, database)) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame
