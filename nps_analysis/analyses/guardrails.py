"""Guardrail metrics of a roll-back decision: which metrics, their direction and their margins.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..sources.errors import NPSInputError

#: Built-in guardrail metrics and the direction in which they are better.
GUARDRAIL_METRICS: dict[str, str] = {
    "detractor_share": "lower_is_better",
    "promoter_share": "higher_is_better",
    "csat": "higher_is_better",
}

Direction = Literal["higher_is_better", "lower_is_better"]


@dataclass(frozen=True)
class Guardrail:
    """A metric that must not get worse by more than ``margin`` while NPS is being tested.

    Attributes:
        metric: ``"detractor_share"`` or ``"promoter_share"`` (from the 0-10 answers, in
            percentage points), ``"csat"`` (top-2-box share of a 1-5 column, percentage points),
            or the name of any numeric column (its mean, in the column's units).
        margin: the tolerated worsening, a positive number in the metric's units.
        column: the column holding the metric (``csat``: default ``"csat"``; numeric metric:
            default ``metric`` itself).
        direction: ``"higher_is_better"`` or ``"lower_is_better"``; built-in metrics know theirs,
            a numeric column needs it.
    """

    metric: str
    margin: float
    column: str | None = None
    direction: Direction | None = None

    @property
    def name(self) -> str:
        return self.metric if self.column in (None, self.metric) else f"{self.metric}:{self.column}"


def guardrail_specs(
    guardrails: Sequence[Guardrail | Mapping[str, Any] | str] | Mapping[str, float],
) -> list[Guardrail]:
    """Guardrails from a list of specs, or from one mapping ``{"METRIC[:COLUMN][:higher|lower]": margin}``.

    The mapping form keeps ``=`` out of notebook parameter lines (papermill cannot inspect a line
    with a second ``=``): ``{"detractor_share": 5, "handling_minutes:lower": 2}``.
    """
    if isinstance(guardrails, Mapping) and not {"metric", "margin"} <= set(guardrails):
        specs: list[Any] = []
        for key, margin in guardrails.items():
            parts = [part.strip() for part in str(key).split(":")]
            direction = parts.pop() if len(parts) > 1 and parts[-1].lower() in ("higher", "lower") else ""
            if len(parts) > 2:
                raise NPSInputError(f"guardrail {key!r}: expected METRIC[:COLUMN][:higher|lower]")
            specs.append(f"{':'.join(parts)}={margin}" + (f":{direction}" if direction else ""))
        guardrails = specs
    elif isinstance(guardrails, (str, Mapping)):
        guardrails = [guardrails]  # type: ignore[list-item]
    return [parse_guardrail(g) for g in guardrails]


def parse_guardrail(spec: Guardrail | Mapping[str, Any] | str) -> Guardrail:
    """A :class:`Guardrail` from itself, a dict of its fields, or ``"METRIC[:COLUMN]=MARGIN[:higher|lower]"``.

    Examples: ``"detractor_share=3"``, ``"csat=5"``, ``"csat:satisfaction=5"``,
    ``"handling_minutes=2:lower"`` (a numeric column whose increase by 2 is harm).
    """
    if isinstance(spec, Guardrail):
        g = spec
    elif isinstance(spec, Mapping):
        unknown = set(spec) - {"metric", "margin", "column", "direction"}
        if unknown or "metric" not in spec or "margin" not in spec:
            raise NPSInputError(
                f"a guardrail needs 'metric' and 'margin' (optional 'column', 'direction'), got {dict(spec)!r}"
            )
        g = Guardrail(str(spec["metric"]), spec["margin"], spec.get("column"), spec.get("direction"))
    elif isinstance(spec, str):
        name, eq, rest = spec.partition("=")
        if not eq or not name.strip() or not rest.strip():
            raise NPSInputError(
                f"guardrail {spec!r}: expected METRIC[:COLUMN]=MARGIN[:higher|lower], e.g. 'detractor_share=3'"
            )
        metric, _, column = name.strip().partition(":")
        margin_text, _, direction_text = rest.strip().partition(":")
        try:
            margin = float(margin_text)
        except ValueError:
            raise NPSInputError(f"guardrail {spec!r}: the margin {margin_text!r} is not a number") from None
        direction = {"": None, "higher": "higher_is_better", "lower": "lower_is_better"}.get(direction_text.strip().lower())
        if direction_text.strip() and direction is None:
            raise NPSInputError(f"guardrail {spec!r}: direction must be 'higher' or 'lower', got {direction_text!r}")
        g = Guardrail(metric.strip(), margin, column.strip() or None, direction)  # type: ignore[arg-type]
    else:
        raise NPSInputError(f"a guardrail must be a Guardrail, a dict or a 'metric=margin' string, got {spec!r}")
    check_margin(g.margin, what=f"guardrail {g.name!r} margin")
    if g.direction is not None and g.direction not in ("higher_is_better", "lower_is_better"):
        raise NPSInputError(f"guardrail {g.name!r}: direction must be 'higher_is_better' or 'lower_is_better', got {g.direction!r}")
    if g.metric not in GUARDRAIL_METRICS and g.direction is None:
        raise NPSInputError(
            f"guardrail {g.name!r}: say whether higher or lower is better for a numeric column "
            f"(e.g. '{g.metric}={g.margin:g}:lower')"
        )
    return g


def check_margin(margin: Any, *, what: str = "margin") -> float:
    if isinstance(margin, bool) or not isinstance(margin, (int, float, np.integer, np.floating)) or not math.isfinite(margin):
        raise NPSInputError(f"{what} must be a finite number of points, got {margin!r}")
    if margin < 0:
        raise NPSInputError(
            f"{what} must be a positive number (the worsening you will tolerate), got {margin:g}; "
            f"pass {abs(margin):g} for a do-no-harm margin of {abs(margin):g} (harm is judged against -{abs(margin):g})"
        )
    return float(margin)

