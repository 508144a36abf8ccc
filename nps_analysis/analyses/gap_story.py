"""The survey-gap notebook's inputs (files or the bundled samples) and its written conclusion.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from ..sources.errors import NPSInputError
from ..sources.instruments import SELF_ASSESSMENT_AREAS
from .gap import GapResult
from .gap_tables import (
    GAP_LABELS,
)
from .importance import ImportancePerformance
from .self_assessment import SelfAssessment, SuperiorService


def _fmt(x: float, digits: int = 2) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:+.{digits}f}"


def gap_narrative(
    gap: GapResult,
    *,
    superior: SuperiorService | None = None,
    assessment: SelfAssessment | None = None,
    assessment_gap: GapResult | None = None,
    importance: ImportancePerformance | None = None,
    item_labels: Mapping[str, str] | None = None,
) -> str:
    """A short Markdown report written from the results (no hard-coded conclusions)."""
    names = dict(item_labels or {})
    label = lambda i: names.get(i, i)  # noqa: E731
    level = f"{100 * gap.confidence_level:g}%"
    counts = {k: sum(1 for r in gap.items if r.label == k) for k in GAP_LABELS}
    lines = [
        f"**Company versus customers, {len(gap.items)} items** "
        f"({gap.n_company} company and {gap.n_customers} customer respondents; p-values corrected "
        f"across the {gap.family}; level {gap.alpha:g}).",
        "",
        f"- Gap (company rates itself higher): **{counts['gap']}** item(s); reverse gap (customers "
        f"rate higher): **{counts['reverse gap']}**; no clear gap: **{counts['no clear gap']}**"
        + (f"; equivalent within +/-{gap.equivalence_margin:g}: **{counts['equivalent']}**"
           if gap.equivalence_margin is not None else "") + ".",
    ]
    gaps = sorted((r for r in gap.items if r.label == "gap"), key=lambda r: r.gap)
    if gaps:
        r = gaps[0]
        lines.append(
            f"- Largest gap: *{label(r.item)}*: company {r.mean_company:.2f} vs customers "
            f"{r.mean_customers:.2f} (gap {_fmt(r.gap)} points, {level} CI {_fmt(r.ci_lower)} to "
            f"{_fmt(r.ci_upper)}; top box {r.top_box_company:.0f}% vs {r.top_box_customers:.0f}%)."
        )
    for r in sorted((r for r in gap.items if r.label == "reverse gap"), key=lambda r: -r.gap):
        lines.append(
            f"- Reverse gap: *{label(r.item)}*: customers {r.mean_customers:.2f} vs company "
            f"{r.mean_company:.2f} (gap {_fmt(r.gap)}, {level} CI {_fmt(r.ci_lower)} to {_fmt(r.ci_upper)})."
        )
    if gap.dimensions:
        parts = [f"{d.dimension} {_fmt(d.gap)} ({_fmt(d.ci_lower)} to {_fmt(d.ci_upper)}; {d.label})"
                 for d in gap.dimensions]
        lines.append("- Dimensions (customers - company, bootstrap CI): " + "; ".join(parts) + ".")
    if superior is not None:
        s = superior
        lines.append(
            f"- Superior service: {s.headline()} Difference {s.difference:+.0f} points "
            f"({level} CI {s.ci_lower:+.0f} to {s.ci_upper:+.0f}; {s.test}, p = {s.pvalue:.2g})."
        )
    if assessment is not None:
        a = assessment
        who = "the rater" if a.n_raters == 1 else f"{a.n_raters} raters (range {a.total_min:.1f}-{a.total_max:.1f})"
        lines.append(
            f"- Self-assessment: total {a.total:.1f} of 35 over {who}: **{a.band}**. Weakest area: "
            f"{SELF_ASSESSMENT_AREAS[a.weakest_area()]} ({a.area_means[a.weakest_area()]:.2f}); strongest: "
            f"{SELF_ASSESSMENT_AREAS[a.strongest_area()]} ({a.area_means[a.strongest_area()]:.2f})."
        )
    if assessment_gap is not None and assessment_gap.dimensions:
        worst = min(assessment_gap.dimensions, key=lambda d: d.gap)
        flagged = [SELF_ASSESSMENT_AREAS.get(d.dimension, d.dimension)
                   for d in assessment_gap.dimensions if d.label == "gap"]
        lines.append(
            f"- Customers against the self-assessment: largest area gap in "
            f"{SELF_ASSESSMENT_AREAS.get(worst.dimension, worst.dimension)} ({_fmt(worst.gap)} points); "
            + (f"significant gaps in {', '.join(flagged)}." if flagged else "no area gap is significant.")
        )
    if importance is not None:
        focus = importance.quadrant("concentrate here")
        lines.append(
            "- Importance-performance: concentrate on "
            + (", ".join(f"*{label(i)}*" for i in focus) if focus else "no item (none is important and "
               "below the crosshair)") + f" (crosshair: {importance.centre})."
        )
    lines.append("")
    lines.append("Both sides' levels are shown next to every gap: difference scores alone are "
                 "unreliable (Brown, Churchill & Peter 1993).")
    return "\n".join(lines)


@dataclass(frozen=True)
class GapInputs:
    """Resolved inputs of the survey-gap notebook (bundled samples when no file is given)."""

    company: str
    customers: str
    item_dimensions: dict[str, str]
    item_labels: dict[str, str]
    superior_item: str | None
    self_assessment: str | None
    self_assessment_customers: str | None
    importance: str | None
    sample: bool


def gap_inputs(
    company_path: str = "",
    customers_path: str = "",
    *,
    item_dimensions: Mapping[str, str] | None = None,
    superior_item: str = "",
    self_assessment_path: str = "",
    self_assessment_customers_path: str = "",
    importance_path: str = "",
) -> GapInputs:
    """Resolve the notebook's file parameters.

    With neither ``company_path`` nor ``customers_path`` the bundled samples are used for every
    input left empty (and the sample's item map and superior-service item). With your own survey
    files, an empty path means "skip that part"; ``"none"`` always skips.
    """
    from .. import samples as datasets

    if bool(company_path) != bool(customers_path):
        raise NPSInputError("give both company_path and customers_path, or neither (bundled sample)")
    sample = not company_path

    def pick(path: str, sample_name: str) -> str | None:
        if path.lower() == "none":
            return None
        if path:
            return path
        return str(datasets.sample_path(sample_name)) if sample else None

    dims = dict(item_dimensions or {})
    labels: dict[str, str] = {}
    if sample:
        if not dims:
            dims = {k: v[0] for k, v in datasets.GAP_SAMPLE_ITEMS.items() if v[0]}
        labels = {k: v[1] for k, v in datasets.GAP_SAMPLE_ITEMS.items()}
    return GapInputs(
        company=str(company_path or datasets.sample_path("gap_company")),
        customers=str(customers_path or datasets.sample_path("gap_customers")),
        item_dimensions=dims, item_labels=labels,
        superior_item=superior_item or (datasets.GAP_SUPERIOR_ITEM if sample else None),
        self_assessment=pick(self_assessment_path, "self_assessment_company"),
        self_assessment_customers=pick(self_assessment_customers_path, "self_assessment_customers"),
        importance=pick(importance_path, "gap_importance"),
        sample=sample,
    )
