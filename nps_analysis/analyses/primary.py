"""The experiment's primary analysis, declared before the data: adjusted (CUPED) or unadjusted.

Conclusion, headline and ``results.json`` follow the declared analysis; the other is shown beside
it. Declaring it in advance is what keeps the choice from being made after seeing which is smaller.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ..sources.errors import NPSInputError

#: Values of the ``primary`` parameter of ``experiment.ipynb``.
PRIMARY_CHOICES = ("auto", "adjusted", "unadjusted")


def resolve_primary(primary: str, covariates: Sequence[str] | None) -> str:
    """``"adjusted"`` or ``"unadjusted"``: ``auto`` is adjusted exactly when covariates are given.

    Raises:
        NPSInputError: an unknown value, or ``"adjusted"`` without covariates.
    """
    value = str(primary).strip().lower()
    if value not in PRIMARY_CHOICES:
        raise NPSInputError(f"primary must be one of {', '.join(PRIMARY_CHOICES)}, got {primary!r}")
    if value == "auto":
        return "adjusted" if covariates else "unadjusted"
    if value == "adjusted" and not covariates:
        raise NPSInputError(
            "primary is 'adjusted' but no covariate_columns were given: name the covariates measured "
            "before assignment (e.g. prior_score), or declare primary 'unadjusted'"
        )
    return value


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _estimate(rec: Mapping[str, Any], which: str, alpha: float) -> dict[str, Any] | None:
    """One analysis of one effect record: difference, interval, p, adjusted p, significant."""
    if which == "unadjusted":
        if not _finite(rec.get("difference")):
            return None
        p_adj = rec.get("pvalue_adjusted")
        p_use = p_adj if _finite(p_adj) else rec.get("pvalue")
        return {
            "analysis": "unadjusted",
            "difference": rec.get("difference"),
            "ci_lower": rec.get("ci_lower"),
            "ci_upper": rec.get("ci_upper"),
            "pvalue": rec.get("pvalue"),
            "pvalue_adjusted": p_adj,
            "significant": bool(rec["significant"]) if "significant" in rec else bool(_finite(p_use) and p_use < alpha),
        }
    cuped = rec.get("cuped")
    if not cuped or not _finite(cuped.get("difference")):
        return None
    p_adj = cuped.get("pvalue_adjusted")
    p_use = p_adj if _finite(p_adj) else cuped.get("pvalue")
    return {
        "analysis": "adjusted",
        "covariates": list(cuped.get("covariates") or []),
        "difference": cuped.get("difference"),
        "ci_lower": cuped.get("ci_lower"),
        "ci_upper": cuped.get("ci_upper"),
        "pvalue": cuped.get("pvalue"),
        "pvalue_adjusted": p_adj,
        "significant": bool(_finite(p_use) and p_use < alpha),
        "variance_reduction": cuped.get("variance_reduction"),
    }


def primary_records(records: Sequence[Mapping[str, Any]], primary: str, *, alpha: float) -> list[dict[str, Any]]:
    """The effect records with both estimates and the declared one marked.

    Each record keeps its fields and gains ``primary`` (the declared analysis), ``unadjusted`` and
    ``adjusted`` (``difference, ci_lower, ci_upper, pvalue, pvalue_adjusted, significant``; ``None``
    when not available) and ``primary_estimate`` (a copy of the declared one). ``alpha`` decides
    significance of the (multiplicity-adjusted, when several treatments) p-value.
    """
    if primary not in ("adjusted", "unadjusted"):
        raise NPSInputError(f"primary must be 'adjusted' or 'unadjusted' here (resolve 'auto' first), got {primary!r}")
    out = []
    for rec in records:
        both = {w: _estimate(rec, w, alpha) for w in ("unadjusted", "adjusted")}
        chosen = both[primary]
        if chosen is None and primary == "adjusted" and both["unadjusted"] is not None:
            raise NPSInputError(
                f"the adjusted (CUPED) estimate of {rec.get('treatment')!r} is missing although it was declared "
                "primary: check covariate_columns"
            )
        out.append({**rec, "primary": primary, **both, "primary_estimate": chosen})
    return out


def primary_table(records: Sequence[Mapping[str, Any]], *, confidence_level: float, correction: str) -> pd.DataFrame:
    """Both analyses of every effect, the declared one first, for reading (through the formatter):
    ``verdict, treatment, analysis, difference, ci_lower, ci_upper, pvalue, pvalue_adjusted``."""
    rows = []
    for rec in records:
        for which in (rec["primary"], "adjusted" if rec["primary"] == "unadjusted" else "unadjusted"):
            est = rec.get(which)
            if est is None:
                continue
            label = "adjusted for " + ", ".join(est.get("covariates", [])) + " (CUPED)" if which == "adjusted" else "unadjusted"
            role = "primary" if which == rec["primary"] else "secondary"
            rows.append(
                {
                    "verdict": ("significant" if est["significant"] else "not significant") if role == "primary" else "",
                    "treatment": rec.get("treatment"),
                    "analysis": f"{label}, {role}",
                    "difference": est["difference"],
                    "ci_lower": est["ci_lower"],
                    "ci_upper": est["ci_upper"],
                    "pvalue": est["pvalue"],
                    "pvalue_adjusted": est["pvalue_adjusted"],
                }
            )
    frame = pd.DataFrame(rows)
    frame.attrs["confidence_level"] = confidence_level
    frame.attrs["caption"] = (
        f"The primary analysis was declared before the data; p adjusted: {correction} across the treatments."
    )
    return frame


def _p(p: Any) -> str:
    if not _finite(p):
        return "p not available"
    return "p < 0.001" if p < 0.001 else (f"p = {p:.3f}" if p < 0.0995 else f"p = {min(p, 1.0):.2f}")


def primary_sentences(rec: Mapping[str, Any], *, n_comparisons: int, correction_name: str, level: float) -> str:
    """The conclusion's sentences for one treatment, led by the declared analysis.

    Example: "Primary analysis (declared before the data: adjusted for prior_score, CUPED):
    treatment_a raised NPS by 7.9 points versus control (95% CI 1.1 to 14.6); with the Holm
    correction for 2 comparisons p = 0.044: significant. Unadjusted, shown beside it: +5.4 points
    (95% CI -2.6 to 13.3), adjusted p = 0.37."
    """
    several = n_comparisons > 1
    primary = rec["primary"]
    est = rec.get("primary_estimate")
    treatment, control = rec.get("treatment"), rec.get("control")
    pct = f"{100 * level:g}%"
    if est is None:
        return f"{treatment} could not be compared with {control}."
    how = (
        f"adjusted for {', '.join(est.get('covariates', []))}, CUPED" if primary == "adjusted" else "unadjusted"
    )
    d = est["difference"]
    direction = "raised" if d > 0 else "lowered" if d < 0 else "did not change"
    amount = f" by {abs(d):.1f} points" if d != 0 else ""
    test = (
        f"with the {correction_name} correction for {n_comparisons} comparisons {_p(est['pvalue_adjusted'])}"
        if several and _finite(est.get("pvalue_adjusted"))
        else _p(est["pvalue"])
    )
    verdict = "significant" if est["significant"] else "not significant"
    text = (
        f"Primary analysis (declared before the data: {how}): {treatment} {direction} NPS{amount} versus {control} "
        f"({pct} CI {est['ci_lower']:.1f} to {est['ci_upper']:.1f}); {test}: {verdict}."
    )
    other = rec.get("unadjusted" if primary == "adjusted" else "adjusted")
    if other is not None:
        name = "Unadjusted" if primary == "adjusted" else "Adjusted (CUPED)"
        p_other = _p(other["pvalue_adjusted"]) if several and _finite(other.get("pvalue_adjusted")) else _p(other["pvalue"])
        text += (
            f" {name}, shown beside it: {other['difference']:+.1f} points ({pct} CI {other['ci_lower']:.1f} to "
            f"{other['ci_upper']:.1f}), {'adjusted ' if several else ''}{p_other}."
        )
        if other["significant"] != est["significant"]:
            text += " The two analyses disagree; the declared one decides."
    return text
