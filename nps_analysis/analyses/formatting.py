"""Number formatting for the experiment notebook's tables and conclusion (rounding, intervals,
p-values, flag boxes).
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np


def round_or_none(x: Any, digits: int) -> Any:
    return round(float(x), digits) if is_finite(x) else None


def interval_text(lo: Any, hi: Any, digits: int = 1) -> str:
    if not (is_finite(lo) and is_finite(hi)):
        return "-"
    return f"{lo:.{digits}f}\u00a0to\u00a0{hi:.{digits}f}"  # no-break spaces: one line in tables


def p_cell(p: Any) -> str:
    """A p-value for a table cell: ``0.023``, ``< 0.001``, ``-`` when missing."""
    if not is_finite(p):
        return "-"
    return "< 0.001" if p < 0.001 else f"{float(f'{p:.2g}'):g}"


def flag_box(message: str, alert: bool, *, always: bool = True) -> str:
    """A red (alert) or green box. Inline style for JupyterLab; the class for HTML reports, whose
    sanitiser drops inline styles (the report template styles ``nps-alert`` / ``nps-ok``)."""
    if alert:
        cls, style = "nps-alert", "background:#fdecea;border-left:6px solid #c62828;color:#611a15;font-weight:600"
    elif always:
        cls, style = "nps-ok", "background:#edf7ed;border-left:6px solid #2e7d32;color:#1e4620"
    else:
        return ""
    return f'<div class="{cls}" style="{style};padding:8px 12px;margin:6px 0">{html.escape(message)}</div>'


def p_text(p: float | None) -> str:
    if p is None or not math.isfinite(p):
        return "p not available"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {float(f'{p:.2g}'):g}"


def is_finite(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool) and math.isfinite(x)


def correction_name(correction: str) -> str:
    try:
        from ..stats.multiplicity import CORRECTIONS

        return CORRECTIONS.get(correction, correction)
    except ImportError:  # pragma: no cover - compare is part of the package
        return correction
