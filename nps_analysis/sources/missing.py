"""Missing-value markers: the texts exports write for "no answer" (R's NA, Excel's #N/A, a dash).

Every column read from a file goes through :func:`apply_missing_values`, which turns the markers into
missing values and counts them by marker, so a load report can say what was missing and why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: What R (``NA``), spreadsheets (``N/A``, ``#N/A``, ``-``), pandas/numpy (``NaN``) and JSON tools
#: (``null``) write for an empty cell. An empty or blank cell is always missing.
DEFAULT_MISSING_VALUES: tuple[str, ...] = ("", "NA", "N/A", "n/a", "NaN", "null", "#N/A", "-")

#: The word that stands for :data:`DEFAULT_MISSING_VALUES` inside a list of markers, so
#: ``["defaults", "*redacted*"]`` (CLI ``--missing-values defaults '*redacted*'``) adds to them.
DEFAULTS_TOKEN = "defaults"

# Texts no survey answers but analysts meet in score columns: candidates for --missing-values.
_MARKER_WORDS = {
    "na",
    "n/a",
    "n.a.",
    "n.a",
    "nan",
    "null",
    "none",
    "nil",
    "missing",
    "#n/a",
    "#na",
    "-",
    "--",
    "---",
    "?",
    ".",
    "don't know",
    "dont know",
    "do not know",
    "don’t know",
    "prefer not to say",
    "refused",
    "not applicable",
    "unknown",
    "redacted",
    "blank",
    "(blank)",
    "no answer",
    "skipped",
    "not answered",
    "#value!",
    "#ref!",
    "#div/0!",
    "#name?",
    "#null!",
    "#num!",
    "undefined",
}
# *redacted*, [removed], (no answer), <blank>: words wrapped the way redaction tools write them.
_WRAPPED = re.compile(r"^(\*+[^*\d]+\*+|\[[^\]\d]+\]|\([^)\d]+\)|<[^>\d]+>)$")


@dataclass(frozen=True)
class MissingCounts:
    """Cells turned missing, per column and marker (``""`` counts empty and blank cells)."""

    by_column: dict[str, dict[str, int]] = field(default_factory=dict)

    def column(self, name: str) -> dict[str, int]:
        """``{marker: count}`` for one column (empty when nothing was missing)."""
        return dict(self.by_column.get(name, {}))

    def total(self, name: str | None = None) -> int:
        """Missing cells in one column, or in all columns."""
        cols = [name] if name is not None else list(self.by_column)
        return int(sum(sum(self.by_column.get(c, {}).values()) for c in cols))


def missing_markers(missing_values: str | Iterable[str] | None = None) -> tuple[str, ...]:
    """The markers to apply: the defaults for ``None``, else the given ones (``"defaults"`` expands).

    The empty string is always included: an empty cell is never an answer.
    """
    if missing_values is None:
        given: list[str] = list(DEFAULT_MISSING_VALUES)
    elif isinstance(missing_values, str):
        given = [missing_values]
    else:
        given = [str(v) for v in missing_values]
    out: list[str] = [""]
    for marker in given:
        expanded = DEFAULT_MISSING_VALUES if marker == DEFAULTS_TOKEN else (marker,)
        for m in expanded:
            m = m.strip()
            if m not in out:
                out.append(m)
    return tuple(out)


def _text_column(values: pd.Series) -> bool:
    return values.dtype == object or pd.api.types.is_string_dtype(values.dtype)


def apply_missing_values(
    frame: pd.DataFrame,
    missing_values: str | Iterable[str] | None = None,
    *,
    columns: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, MissingCounts]:
    """Turn missing-value markers into missing values in every text column, counting by marker.

    A cell is a marker when its text, with surrounding whitespace removed, equals one exactly
    (``NA`` is a marker, ``Nantes`` and ``na`` are not unless listed). Cells that are already
    missing (NaN, None) count under ``""``. Numeric columns are left alone, apart from counting
    their NaN cells.

    Args:
        frame: the rows as read (text cells).
        missing_values: the markers (see :func:`missing_markers`); ``None`` for the defaults.
        columns: only these columns (default: all).

    Returns:
        A copy with markers set to missing, and the counts.
    """
    markers = missing_markers(missing_values)
    out = frame.copy()
    counts: dict[str, dict[str, int]] = {}
    for col in columns if columns is not None else list(out.columns):
        values = out[col]
        already = values.isna().to_numpy()
        per: dict[str, int] = {}
        if already.any():
            per[""] = int(already.sum())
        if _text_column(values):
            # Work on distinct texts: exports repeat a handful of markers over many rows.
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            stripped = pd.Series(uniques, dtype=object).astype(str).str.strip()
            hit = stripped.isin(markers).to_numpy()
            if hit.any():
                is_marker = np.zeros(len(values), dtype=bool)
                for code in np.flatnonzero(hit):
                    rows = codes == code
                    is_marker |= rows
                    marker = stripped.iat[code]
                    per[marker] = per.get(marker, 0) + int(rows.sum())
                out[col] = values.where(~is_marker)
        if per:
            counts[str(col)] = per
    return out, MissingCounts(counts)


def look_like_markers(values: Iterable[object]) -> list[str]:
    """The distinct values that look like missing-value markers (``*redacted*``, ``don't know``).

    Used to suggest ``missing_values`` / ``--missing-values`` when a score column holds them.
    """
    found: list[str] = []
    for value in values:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        text = str(value).strip()
        if not text or text in found or any(ch.isdigit() for ch in text):
            continue
        if text.lower() in _MARKER_WORDS or _WRAPPED.match(text):
            found.append(text)
    return found


def missing_values_hint(
    values: Iterable[object], current: str | Iterable[str] | None = None
) -> str:
    """An error-message tail suggesting ``--missing-values`` for marker-like values (or ``""``)."""
    like = look_like_markers(values)
    if not like:
        return ""
    given = [m for m in missing_markers(current) if m]
    defaults = [m for m in DEFAULT_MISSING_VALUES if m]
    extra = [m for m in given if m not in defaults]
    keep_defaults = all(m in given for m in defaults)
    words = ([DEFAULTS_TOKEN] if keep_defaults else []) + extra + like[:5]
    cli = " ".join(_shell_quote(w) for w in words)
    return (
        f" ({', '.join(map(repr, like[:5]))} look like missing-value markers: if they mean "
        f"'no answer' use --missing-values {cli} / missing_values={words!r})"
    )


def _shell_quote(word: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_./#-]+", word):
        return word
    return "'" + word.replace("'", "'\"'\"'") + "'"


__all__ = [
    "DEFAULTS_TOKEN",
    "DEFAULT_MISSING_VALUES",
    "MissingCounts",
    "apply_missing_values",
    "look_like_markers",
    "missing_markers",
    "missing_values_hint",
]
