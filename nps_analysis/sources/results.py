"""Typed, immutable result objects and the one rendering mixin they share.

Every statistical function returns a frozen dataclass with ``to_dict()`` (JSON-safe), ``to_frame()``
and a notebook ``_repr_html_``, so notebooks, the CLI and ``results.json`` all read the same fields.
"""

from __future__ import annotations

import dataclasses
import html
import math
from typing import Any

import numpy as np


def jsonable(value: Any) -> Any:
    """Convert numpy scalars, dataclasses, NaN and containers into plain JSON-safe Python values.

    NaN and infinities become ``None``: JSON has no NaN, and a missing statistic is ``null``.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if hasattr(value, "to_dict"):
            return value.to_dict()
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class ResultMixin:
    """Rendering shared by all result dataclasses: dict, one-row DataFrame, HTML table."""

    def to_dict(self) -> dict[str, Any]:
        """All fields as a JSON-safe dict (nested results become nested dicts)."""
        return {f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    def to_frame(self):
        """The scalar fields as a one-row ``pandas.DataFrame``."""
        import pandas as pd

        flat = {k: v for k, v in self.to_dict().items() if not isinstance(v, (dict, list))}
        return pd.DataFrame([flat])

    def _repr_html_(self) -> str:
        rows = []
        for key, value in self.to_dict().items():
            if isinstance(value, float):
                shown = f"{value:.4g}"
            elif isinstance(value, (dict, list)):
                continue
            else:
                shown = str(value)
            rows.append(f"<tr><th>{html.escape(key)}</th><td>{html.escape(shown)}</td></tr>")
        title = html.escape(type(self).__name__)
        return f"<table><caption>{title}</caption>{''.join(rows)}</table>"
