"""One-line headlines of each notebook's outcome, recorded as ``headline`` and shown in the index.

A director reading ``reports/index.html`` sees what each run found: the roll-back decision, the
week's significant changes and alerts, the gap count and self-assessment band, overdue detractors.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from .tables import format_interval, format_number, format_p


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def p_phrase(p: Any, *, adjusted: bool = False) -> str:
    """``p = 0.044``, ``p < 0.001`` (``adjusted p ...`` when ``adjusted``); missing: ``p not available``."""
    text = format_p(p)
    lead = "adjusted p" if adjusted else "p"
    if not text[:1].isdigit() and not text.startswith("<"):
        return f"{lead} not available"
    return f"{lead} {text}" if text.startswith("<") else f"{lead} = {text}"


def self_assessment_total_text(total: float) -> str:
    """The total as the bands need it: two decimals, so 27.97 is not shown as "28.0" (an asset)."""
    return format_number(total, 2)


def rollback_headline(decision: Any) -> str:
    """``ROLL_BACK: harm beyond the 5-point margin at look 25 of 30; NPS difference -15.3 (-24.8 to -7.1)``."""
    verdict = str(decision.decision)
    interval = format_interval(decision.ci_lower, decision.ci_upper, 1)
    effect = format_number(decision.effect, 1, sign=True)
    margin = format_number(decision.margin, 0 if float(decision.margin).is_integer() else 1)
    if verdict == "ROLL_BACK":
        why = f"harm beyond the {margin}-point margin established"
    elif verdict == "KEEP":
        why = f"shown no worse than the {margin}-point margin"
    else:
        why = f"neither harm nor safety within the {margin}-point margin established yet"
    when = (
        f" at look {decision.decided_at_look} of {decision.looks}"
        if getattr(decision, "decided_at_look", None)
        else f" after {decision.looks} looks"
    )
    return f"{verdict}: {why}{when}; NPS difference {effect} points ({interval})"


def weekly_headline(
    *,
    week: str,
    nps: Mapping[str, Any] | None,
    responses: int,
    change: Mapping[str, Any] | None,
    flagged: Sequence[str] = (),
    segment: str = "segment",
    alerts: int = 0,
    high_alerts: int = 0,
) -> str:
    """``Week of 2026-11-09: NPS 3.9 (n = 207); change -14.9 points, not significant (p = 0.076);
    1 team changed significantly (Americas); 13 alerts (13 high)``."""
    parts = [f"Week of {week}: "]
    if nps is None or not _finite(nps.get("nps")):
        parts.append(f"NPS suppressed (n = {responses}, too few answers)")
    else:
        parts.append(f"NPS {format_number(nps['nps'], 1)} (n = {responses})")
    if change and _finite(change.get("difference")):
        verdict = "significant" if change.get("significant") else "not significant"
        parts.append(
            f"; change {format_number(change['difference'], 1, sign=True)} points, {verdict} "
            f"({p_phrase(change.get('pvalue'))})"
        )
    if flagged:
        names = ", ".join(str(f) for f in flagged[:4]) + (" ..." if len(flagged) > 4 else "")
        parts.append(f"; {len(flagged)} {segment}{'s' if len(flagged) != 1 else ''} changed significantly ({names})")
    else:
        parts.append(f"; no {segment} changed significantly")
    parts.append(f"; {alerts} alert{'s' if alerts != 1 else ''}" + (f" ({high_alerts} high)" if alerts else ""))
    return "".join(parts)


def gap_headline(items: Sequence[Mapping[str, Any]], *, total: float | None = None, band: str | None = None) -> str:
    """``3 of 10 items show a gap after correction (2 company higher, 1 reverse); self-assessment
    total 26.47: adequate``."""
    labels = [str(i.get("label", "")) for i in items]
    gaps = sum(label == "gap" for label in labels)
    reverse = sum(label == "reverse gap" for label in labels)
    text = f"{gaps + reverse} of {len(items)} items show a gap after correction"
    if gaps + reverse:
        text += f" ({gaps} company rates higher, {reverse} reverse)"
    if total is not None and _finite(total):
        text += f"; self-assessment total {self_assessment_total_text(total)}: {band}"
    return text


def queue_headline(queue: Any, *, detractor: str = "detractor") -> str:
    """``424 overdue follow-ups, 120 of them detractors (longest 67.8 days); 34 open``."""
    status = queue["status"].astype(str)
    overdue = queue[status == "overdue"]
    detractors = overdue[overdue["category"].astype(str) == detractor] if "category" in queue.columns else overdue.iloc[0:0]
    text = f"{len(overdue)} overdue follow-up{'s' if len(overdue) != 1 else ''}"
    if len(overdue):
        text += f", {len(detractors)} of them detractors"
        if len(detractors) and "overdue_hours" in detractors.columns:
            longest = float(detractors["overdue_hours"].max())
            text += f" (longest {format_number(longest / 24, 1)} days)" if longest >= 48 else f" (longest {format_number(longest, 1)} hours)"
    text += f"; {int((status == 'open').sum())} open"
    return text


def experiment_headline(effects: Sequence[Mapping[str, Any]], *, primary: str) -> str:
    """``treatment_a +7.9 (1.1 to 14.6), adjusted p = 0.044 [CUPED, primary]; treatment_b ...``."""
    parts = []
    for e in effects:
        est = e.get("primary_estimate") or e
        if not _finite(est.get("difference")):
            parts.append(f"{e.get('treatment')}: not estimable")
            continue
        p_adj = est.get("pvalue_adjusted")
        p_text = p_phrase(p_adj, adjusted=True) if _finite(p_adj) else p_phrase(est.get("pvalue"))
        verdict = "significant" if est.get("significant") else "not significant"
        parts.append(
            f"{e.get('treatment')} {format_number(est['difference'], 1, sign=True)} points "
            f"({format_interval(est.get('ci_lower'), est.get('ci_upper'))}), {p_text}: {verdict}"
        )
    return f"{primary.capitalize()} analysis (declared): " + "; ".join(parts)
