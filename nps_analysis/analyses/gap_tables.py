"""Shared pieces of the survey-gap results: labels, the correction across items, and the table
result base classes.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from ..sources.errors import NPSInputError
from ..sources.results import ResultMixin, jsonable
from ..stats import multiplicity

#: Labels of an item or dimension gap (customers minus company, two-sided).
GAP_LABELS: tuple[str, ...] = ("gap", "reverse gap", "no clear gap", "equivalent")


CORRECTION_NAMES: dict[str, str] = {
    "fdr_bh": "Benjamini-Hochberg false discovery rate",
    "fdr_by": "Benjamini-Yekutieli false discovery rate",
    "holm": "Holm family-wise error rate",
    "bonferroni": "Bonferroni family-wise error rate",
    "hommel": "Hommel family-wise error rate",
    "none": "no correction",
}


def adjust_family(pvalues: np.ndarray, correction: str, alpha: float) -> np.ndarray:
    """P-values adjusted across one family (:func:`nps_analysis.stats.multiplicity.adjust_pvalues`)."""
    p = np.asarray(pvalues, float)
    if correction == "none" or p.size == 0:
        return p.copy()
    try:
        return multiplicity.adjust_pvalues(p, correction=correction, alpha=alpha)[0]
    except ValueError as exc:
        raise NPSInputError(f"unknown correction {correction!r}: {exc}") from None


def check_correction(correction: str, alpha: float) -> None:
    if not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise NPSInputError(f"alpha must be between 0 and 1, got {alpha!r}")
    if not isinstance(correction, str):
        raise NPSInputError(f"correction must be a string such as 'fdr_bh', got {correction!r}")
    adjust_family(np.array([0.5]), correction, alpha)


def gap_label(significant: bool, direction: float, equivalent: bool = False) -> str:
    if significant and direction < 0:
        return "gap"
    if significant and direction > 0:
        return "reverse gap"
    if equivalent:
        return "equivalent"
    return "no clear gap"


def family_text(count: int, what: str, correction: str) -> str:
    name = CORRECTION_NAMES.get(correction, correction)
    return f"{count} {what}{'' if count == 1 else 's'} of this comparison, {name} ({correction})"


class TableResult(ResultMixin):
    """Result with rows: ``to_frame()`` is the row table, the notebook shows it as HTML."""

    _rows_field = "items"

    def to_frame(self) -> pd.DataFrame:
        rows = getattr(self, self._rows_field)
        return pd.DataFrame([dataclasses.asdict(r) for r in rows])

    def _repr_html_(self) -> str:
        table = self.to_frame().to_html(index=False, float_format=lambda v: f"{v:.3g}", na_rep="")
        return f"<p><b>{type(self).__name__}</b></p>{table}"


class GapTables(TableResult):
    """Tables and records shared by unpaired and paired gap results (items and dimensions)."""

    _dimension_type: type = type(None)  # the dimension row class; set by each result

    def table(self) -> pd.DataFrame:
        """One row per item (all fields)."""
        return self.to_frame()

    def dimension_table(self) -> pd.DataFrame:
        """One row per dimension (all fields)."""
        frame = pd.DataFrame([dataclasses.asdict(d) for d in self.dimensions])
        if frame.empty:
            frame = pd.DataFrame(columns=[f.name for f in dataclasses.fields(self._dimension_type)])
        return frame

    def item(self, name: str) -> Any:
        for row in self.items:
            if row.item == name:
                return row
        raise KeyError(name)

    def dimension(self, name: str) -> Any:
        for row in self.dimensions:
            if row.dimension == name:
                return row
        raise KeyError(name)

    def records(self) -> list[dict[str, Any]]:
        """``[{item, gap, ci_lower, ci_upper, pvalue_adjusted, label}, ...]`` for ``nps.record``."""
        keys = ("item", "dimension", "gap", "ci_lower", "ci_upper", "pvalue_adjusted", "label")
        return [{k: jsonable(getattr(r, k)) for k in keys} for r in self.items]

    def dimension_records(self) -> list[dict[str, Any]]:
        """``[{dimension, gap, ci_lower, ci_upper, pvalue_adjusted, label}, ...]``."""
        keys = ("dimension", "gap", "ci_lower", "ci_upper", "pvalue_adjusted", "label")
        return [{k: jsonable(getattr(r, k)) for k in keys} for r in self.dimensions]
