"""A roster of staff and customer names to mask wherever they appear in free text.

Read once per run from a text file or a table; passed as ``roster=`` to the masking functions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from .errors import NPSInputError
from .files import read_table
from .privacy import personal_kind, words_of


def read_roster(path: str | Any | None) -> list[str]:
    """Names of staff and customers from a roster file, for ``roster=``: a text file with one name a
    line (``#`` starts a comment), or a CSV/Excel/Parquet table whose name columns
    (:func:`~nps_analysis.sources.privacy.personal_columns`, plus ``agent``/``employee``/``staff`` name columns) are read.
    ``None`` or ``""`` gives an empty roster."""
    if path is None or str(path).strip() == "":
        return []
    p = Path(path)
    if not p.is_file():
        raise NPSInputError("roster file not found", file=str(p))
    if p.suffix.lower() in ("", ".txt", ".lst"):
        lines = p.read_text(encoding="utf-8-sig").splitlines()
        return sorted({ln.split("#", 1)[0].strip() for ln in lines} - {""})
    table = read_table(p)
    columns = [c for c in table.columns if personal_kind(c) == "name" or "name" in words_of(c)]
    values = table[columns].stack().dropna().astype(str).str.strip() if columns else pd.Series(dtype=str)
    return sorted(set(values) - {""})
