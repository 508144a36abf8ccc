"""Column checks shared by every reader of frames: required columns, ids, booleans, and error
messages that name the file rows of bad values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .errors import NPSInputError, describe_rows


def row_labels(values: pd.Series, mask: np.ndarray, file: str | None) -> list[Any]:
    """Row numbers for messages: file lines when the frame came from ``nps.load`` (its
    ``attrs["source_rows"]``), 1-based file lines (header = line 1) when a file is named, else
    0-based data rows."""
    from .load import source_rows

    positions = np.flatnonzero(mask)
    source = source_rows(values) if isinstance(values.attrs.get("source_rows"), list) else values.attrs.get("source_rows")
    if source is not None and len(source) == len(values):
        return [int(source[p]) for p in positions]
    if file is not None:
        return [int(p) + 2 for p in positions]
    return [int(p) for p in positions]


def file_of(frame: pd.DataFrame, file: str | None) -> str | None:
    """The file a frame was read from: ``file`` if given, else the ``nps.load`` report's."""
    if file is not None:
        return file
    if frame.attrs.get("file") is not None:
        return frame.attrs["file"]
    from .load import load_report

    report = load_report(frame)
    return getattr(report, "file", None)


def lean_frame(frame: pd.DataFrame, file: str | None = None) -> tuple[pd.DataFrame, str | None]:
    """A shallow copy without the metadata ``nps.load`` attaches, keeping what error messages need.

    pandas deep-copies ``attrs`` on every operation; a list of a million source rows there would
    cost seconds per call. The file name and the source rows (as one numpy array) are kept.
    """
    file = file_of(frame, file)
    from .load import source_rows

    rows = source_rows(frame) if isinstance(frame.attrs.get("source_rows"), list) else frame.attrs.get("source_rows")
    out = frame.copy(deep=False)
    out.attrs = {}
    if rows is not None:
        out.attrs["source_rows"] = np.asarray(rows)
    if file is not None:
        out.attrs["file"] = file
    return out, file


def raise_rows(
    message: str, mask: np.ndarray, values: pd.Series, *, column: str | None, file: str | None
) -> None:
    from .privacy import personal_kind

    labels = row_labels(values, mask, file)
    shown = values.to_numpy(dtype=object)[mask]
    kind = personal_kind(column) if column is not None else None
    if kind is not None:  # a personal column's values never appear in a message
        shown = [f"[{kind}]" if v is not None and v == v else v for v in shown]
    rows = [(r, v.item() if isinstance(v, np.generic) else v) for r, v in zip(labels, shown, strict=True)]
    raise NPSInputError(
        f"{len(rows)} row(s) {message}: {describe_rows(rows)}",
        file=file,
        column=column,
        rows=rows[:20],
        count=len(rows),
    )


def require_frame_columns(frame: pd.DataFrame, columns: Sequence[str], *, what: str, file: str | None) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise NPSInputError(
            f"{what}: missing column(s) {missing}; the columns are {list(map(str, frame.columns))}",
            file=file,
        )


def clean_ids(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), None).map(
        lambda v: (str(v.item() if isinstance(v, np.generic) else v).strip() or None) if v is not None else None
    )


def check_unique_ids(ids: pd.Series, raw: pd.Series, *, column: str, file: str | None, what: str) -> None:
    empty = ids.isna().to_numpy()
    if empty.any():
        raise_rows(f"have no {what} id", empty, raw, column=column, file=file)
    dup = ids.duplicated(keep=False).to_numpy()
    if dup.any():
        raise_rows(f"repeat a {what} id (each must be unique)", dup, raw, column=column, file=file)


def parse_bool(values: pd.Series, *, column: str, file: str | None) -> pd.Series:
    truthy = {"true", "yes", "y", "1", "t", "ja"}
    falsy = {"false", "no", "n", "0", "f", "nei"}
    text = values.astype(object).map(lambda v: str(v).strip().lower() if pd.notna(v) else "")
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[text.isin(truthy).to_numpy()] = True
    out[text.isin(falsy).to_numpy()] = False
    bad = ~(text.isin(truthy) | text.isin(falsy) | (text == "")).to_numpy()
    if bad.any():
        raise_rows("are not true/false (yes/no, 1/0)", bad, values, column=column, file=file)
    return out
