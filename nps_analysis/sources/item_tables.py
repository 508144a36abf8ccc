"""Reading item-rating tables (company and customer sides of a survey gap), wide or long, with
their scale and dimensions checked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import NPSInputError, describe_rows
from .instruments import DIMENSION_SETS, SELF_ASSESSMENT_STATEMENTS, statement_area

Table = pd.DataFrame | str | Path


@dataclass(frozen=True)
class SourceRef:
    """Where a frame came from: the file (None for a DataFrame) and how row positions map to the
    row numbers an analyst sees (io.py's convention: CSV/Excel lines with the header as line 1,
    Parquet/SPSS 1-based data rows, DataFrames 0-based positions)."""

    file: str | None = None
    offset: int = 0

    def row(self, position: int) -> int:
        return int(position) + self.offset


def read_item_table(source: Table, *, what: str = "data") -> tuple[pd.DataFrame, SourceRef]:
    """A DataFrame as is, or a survey export read with :func:`nps_analysis.io.read_table`."""
    if isinstance(source, pd.DataFrame):
        return source, SourceRef()
    if not isinstance(source, (str, Path)) or str(source) == "":
        raise NPSInputError(f"{what}: expected a DataFrame or a file path, got {source!r}")
    from .files import read_table as read_export

    frame, fmt = read_export(source)
    return frame, SourceRef(str(source), 2 if fmt in {"csv", "excel"} else 1)


def validated_answers(
    raw: pd.Series, *, scale: tuple[int, int], column: str, src: SourceRef, what: str,
    allow_missing: bool = True,
) -> np.ndarray:
    """Answers as floats (NaN = not answered); anything else than an integer on the scale raises."""
    lo, hi = scale
    if pd.api.types.is_bool_dtype(raw.dtype):
        raise NPSInputError(f"{what}: answers must be numbers on the {lo}-{hi} scale, found booleans",
                            file=src.file, column=column)
    if pd.api.types.is_numeric_dtype(raw.dtype):
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan, copy=True)
        unparsable = np.zeros(len(values), dtype=bool)
    else:
        text = raw.astype("string").str.strip()
        blank = text.eq("").fillna(True).to_numpy(dtype=bool) | raw.isna().to_numpy()
        numbers = pd.to_numeric(text.mask(text.eq("")), errors="coerce")
        values = numbers.to_numpy(dtype=float, na_value=np.nan, copy=True)
        unparsable = np.isnan(values) & ~blank
    finite = np.isfinite(values)
    problems: list[tuple[str, np.ndarray]] = [
        ("not a number", unparsable),
        ("not a whole number", finite & (values != np.round(values))),
        (f"outside the {lo}-{hi} scale", finite & (values == np.round(values)) & ((values < lo) | (values > hi))),
        ("infinite", np.isinf(values)),
    ]
    if not allow_missing:
        problems.append(("missing", np.isnan(values) & ~unparsable))
    for problem, mask in problems:
        if mask.any():
            positions = np.flatnonzero(mask)
            rows = [(src.row(p), raw.iloc[p]) for p in positions[:5]]
            raise NPSInputError(
                f"{what}: {len(positions)} answer(s) {problem}: {describe_rows(rows)}",
                file=src.file, column=column, rows=rows, count=len(positions),
            )
    values[~finite] = np.nan
    return values


@dataclass(frozen=True)
class Side:
    """One side's answers: a respondents x items matrix (NaN = not answered)."""

    answers: np.ndarray
    respondents: np.ndarray
    items: tuple[str, ...]
    src: SourceRef


def detect_layout(frame: pd.DataFrame, layout: str, item_column: str, answer: str) -> str:
    if layout not in {"auto", "wide", "long"}:
        raise NPSInputError(f"layout must be 'auto', 'wide' or 'long', got {layout!r}")
    if layout != "auto":
        return layout
    return "long" if item_column in frame.columns and answer in frame.columns else "wide"


def available_items(
    frame: pd.DataFrame, layout: str, *, respondent: str, item_column: str, answer: str,
    src: SourceRef, what: str,
) -> list[str]:
    if layout == "long":
        for col in (item_column, answer):
            if col not in frame.columns:
                raise NPSInputError(f"{what}: long data needs columns {item_column!r} and {answer!r}",
                                    file=src.file, column=col)
        return [str(v) for v in pd.unique(frame[item_column].dropna().astype(str))]
    return [str(c) for c in frame.columns if str(c) != respondent]


def read_side(
    frame: pd.DataFrame, items: Sequence[str], *, layout: str, scale: tuple[int, int],
    respondent: str, item_column: str, answer: str, src: SourceRef, what: str,
) -> Side:
    items = tuple(items)
    if layout == "long":
        if respondent not in frame.columns:
            raise NPSInputError(f"{what}: long data needs a respondent column {respondent!r}",
                                file=src.file, column=respondent)
        item_values = frame[item_column].astype("string").str.strip()
        unknown = ~item_values.isin(items).fillna(False).to_numpy(dtype=bool)
        if unknown.any():
            positions = np.flatnonzero(unknown)
            rows = [(src.row(p), frame[item_column].iloc[p]) for p in positions[:5]]
            raise NPSInputError(
                f"{what}: {len(positions)} row(s) name an unknown item (known: {', '.join(items)}): "
                f"{describe_rows(rows)}", file=src.file, column=item_column, rows=rows, count=len(positions),
            )
        values = validated_answers(frame[answer], scale=scale, column=answer, src=src, what=what)
        keys = pd.DataFrame({"respondent": frame[respondent].to_numpy(), "item": item_values.to_numpy(dtype=object)})
        dup = keys.duplicated(keep=False).to_numpy()
        if dup.any():
            positions = np.flatnonzero(dup)
            rows = [(src.row(p), f"{keys['respondent'].iloc[p]}/{keys['item'].iloc[p]}") for p in positions[:5]]
            raise NPSInputError(
                f"{what}: {len(positions)} rows repeat a respondent/item pair: {describe_rows(rows)}",
                file=src.file, column=item_column, rows=rows, count=len(positions),
            )
        resp_codes, resp_ids = pd.factorize(keys["respondent"], sort=False)
        if (resp_codes < 0).any():
            positions = np.flatnonzero(resp_codes < 0)
            rows = [(src.row(p), None) for p in positions[:5]]
            raise NPSInputError(f"{what}: {len(positions)} rows without a respondent id: {describe_rows(rows)}",
                                file=src.file, column=respondent, rows=rows, count=len(positions))
        item_codes = pd.Index(items).get_indexer(keys["item"])
        matrix = np.full((len(resp_ids), len(items)), np.nan)
        matrix[resp_codes, item_codes] = values
        return Side(matrix, np.asarray(resp_ids, dtype=object), items, src)
    missing = [i for i in items if i not in frame.columns]
    if missing:
        raise NPSInputError(f"{what}: item column(s) not found: {', '.join(missing)}", file=src.file,
                            column=missing[0])
    columns = [
        validated_answers(frame[i], scale=scale, column=i, src=src, what=what) for i in items
    ]
    matrix = np.column_stack(columns) if columns else np.empty((len(frame), 0))
    ids = frame[respondent].to_numpy(dtype=object) if respondent in frame.columns else frame.index.to_numpy(dtype=object)
    return Side(matrix, ids, items, src)


def check_scale(scale: Sequence[int]) -> tuple[int, int]:
    try:
        lo, hi = (int(scale[0]), int(scale[1]))
    except (TypeError, ValueError, IndexError):
        raise NPSInputError(f"scale must be a pair of integers such as (1, 5), got {scale!r}") from None
    if lo != scale[0] or hi != scale[1] or hi <= lo or hi - lo > 100:
        raise NPSInputError(f"scale must be two integers low < high such as (1, 5), got {scale!r}")
    return lo, hi


def resolve_items(
    items: Sequence[str] | Mapping[str, str] | None,
    company_items: list[str], customer_items: list[str],
    *, company_file: str | None, customer_file: str | None, sides: tuple[str, str],
) -> list[str]:
    if items is None:
        only_company = [i for i in company_items if i not in customer_items]
        only_customers = [i for i in customer_items if i not in company_items]
        if only_company or only_customers:
            parts = []
            if only_company:
                parts.append(f"only in the {sides[0]} data: {', '.join(only_company)}")
            if only_customers:
                parts.append(f"only in the {sides[1]} data: {', '.join(only_customers)}")
            raise NPSInputError(
                "items on one side only (" + "; ".join(parts) + "); pass items= to choose the items",
                file=company_file if only_company else customer_file,
                column=(only_company or only_customers)[0],
            )
        chosen = list(company_items)
    else:
        chosen = [str(i) for i in (items.keys() if isinstance(items, Mapping) else items)]
        if isinstance(items, str):
            raise NPSInputError("items must be a list of item names or a mapping item -> dimension")
        for name, available, file in (
            (sides[0], company_items, company_file), (sides[1], customer_items, customer_file)
        ):
            missing = [i for i in chosen if i not in available]
            if missing:
                raise NPSInputError(f"item(s) missing from the {name} data: {', '.join(missing)}",
                                    file=file, column=missing[0])
    if not chosen:
        raise NPSInputError("no items to compare")
    if len(set(chosen)) != len(chosen):
        raise NPSInputError(f"items repeat: {chosen}")
    return chosen


def resolve_dimensions(
    dimensions: Mapping[str, Sequence[str]] | Mapping[str, str] | str | None,
    items: Sequence[str] | Mapping[str, str] | None,
    chosen: list[str],
) -> dict[str, list[str]]:
    """dimension -> items, in a canonical order when the names belong to a known set."""
    item_to_dim: dict[str, str] = {}
    if dimensions is None and isinstance(items, Mapping):
        dimensions = dict(items)
    if dimensions is None:
        if chosen and all(i in SELF_ASSESSMENT_STATEMENTS for i in chosen):
            dimensions = "self-assessment"
        else:
            return {}
    if isinstance(dimensions, str):
        if dimensions != "self-assessment":
            raise NPSInputError(
                f"dimensions as a string must be 'self-assessment' (the seven areas), got {dimensions!r}; "
                "otherwise pass a mapping dimension -> items or item -> dimension"
            )
        unknown = [i for i in chosen if i not in SELF_ASSESSMENT_STATEMENTS]
        if unknown:
            raise NPSInputError(f"not self-assessment statement ids: {', '.join(unknown)}", column=unknown[0])
        item_to_dim = {i: statement_area(i) for i in chosen}
    elif isinstance(dimensions, Mapping):
        values = list(dimensions.values())
        if all(isinstance(v, str) or v is None for v in values):
            item_to_dim = {str(k): str(v) for k, v in dimensions.items() if v not in (None, "")}
        else:
            for dim, members in dimensions.items():
                if isinstance(members, str):
                    raise NPSInputError(f"dimension {dim!r}: expected a list of items, got {members!r}")
                for member in members:
                    if str(member) in item_to_dim:
                        raise NPSInputError(f"item {member!r} is in two dimensions", column=str(member))
                    item_to_dim[str(member)] = str(dim)
    else:
        raise NPSInputError(f"dimensions must be a mapping or 'self-assessment', got {dimensions!r}")
    unknown = [i for i in item_to_dim if i not in chosen]
    if unknown:
        raise NPSInputError(f"dimensions name unknown item(s): {', '.join(unknown)}", column=unknown[0])
    order: list[str] = []
    for i in chosen:
        d = item_to_dim.get(i)
        if d is not None and d not in order:
            order.append(d)
    for known in DIMENSION_SETS.values():
        if order and set(order) <= set(known):
            order = [d for d in known if d in order]
            break
    return {d: [i for i in chosen if item_to_dim.get(i) == d] for d in order}
