"""Experiment analysis for the treatment-versus-control notebook: data check, balance, effects.

Sample-ratio mismatch, response rates per arm, NPS per arm, effects per segment, power, and the
conclusion written from the numbers; the statistics themselves live in ``compare`` and ``power``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..sources.results import jsonable
from .balance import (  # the experiment notebook's data-check steps, one name space with the rest
    EXPERIMENT_METHODS,
    SRM_ALPHA,
    DataCheck,
    ExperimentTable,
    ResponseRates,
    SampleRatioResult,
    arm_flags,
    arms_of,
    as_flags,
    check_options,
    data_check,
    load_experiment,
    load_experiment_table,
    response_rates,
    sample_ratio_mismatch,
    srm_from_counts,
)
from .formatting import (
    correction_name,
    flag_box,
    interval_text,
    is_finite,
    p_cell,
    p_text,
    round_or_none,
)
from .primary import primary_sentences

# ------------------------------------------------------------------------------------ loading


# --------------------------------------------------------------------------------- data check


# ------------------------------------------------------------------------------------ balance


# --------------------------------------------------------------------------------- NPS per arm


def arm_levels(frame: Any, *, score: str, group: str, arms: Sequence[Any] | None = None) -> pd.DataFrame:
    """The 11-level answer table per arm: ``group`` (text), then columns ``0`` .. ``10``
    (``attrs["missing"]``: rows without an answer). One GROUP BY where the data lives (pandas, a
    ``Table`` or an engine table); NPS per arm, the score chart and the rank tests read it."""
    from ..sources.arm_counts import answer_levels, level_matrix

    cells, bins, missing = level_matrix(answer_levels(frame, score, [group]), [group])
    labels = [None if pd.isna(v) else str(v.item() if hasattr(v, "item") else v) for v in cells[group]]
    out = pd.DataFrame(bins, columns=list(range(11)))
    out.insert(0, "group", labels)
    out = out[out["group"].notna()].groupby("group", sort=True).sum()
    if arms is not None:
        out = out.reindex([str(a) for a in arms], fill_value=0)
    out = out.reset_index()
    out.attrs["missing"] = int(missing.sum())
    return out


def arm_table(
    frame: Any,
    *,
    score: str,
    group: str,
    arms: Sequence[Any],
    method: str = "adjusted-wald",
    confidence_level: float = 0.95,
    levels: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """NPS per arm with its interval: ``group, n, detractors, passives, promoters, nps, ci_lower,
    ci_upper`` (one row per arm, in the order of ``arms``; counts from the 0-10 answers).

    ``frame``: a pandas frame, a ``Table`` or an engine table; or pass ``levels`` (the
    :func:`arm_levels` table) to reuse one GROUP BY."""
    from ..stats.intervals import nps_interval
    from ..stats.scoring import NPSCounts

    table = levels if levels is not None else arm_levels(frame, score=score, group=group, arms=arms)
    by_label = {str(row["group"]): row for row in table.to_dict("records")}
    rows = []
    for arm in arms:
        row = by_label.get(str(arm))
        c = NPSCounts(0, 0, 0) if row is None else NPSCounts.from_distribution(
            np.array([int(row[level]) for level in range(11)])
        )
        if c.n:
            ci = nps_interval(c, method=method, confidence_level=confidence_level)  # type: ignore[arg-type]
            nps, lo, hi = ci.nps, ci.ci_lower, ci.ci_upper
        else:
            nps = lo = hi = math.nan
        rows.append(
            {
                "group": str(arm),
                "n": int(c.n),
                "detractors": int(c.detractors),
                "passives": int(c.passives),
                "promoters": int(c.promoters),
                "nps": nps,
                "ci_lower": lo,
                "ci_upper": hi,
            }
        )
    out = pd.DataFrame(rows)
    out.attrs.update(method=method, confidence_level=confidence_level)
    return out


def records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON-safe records (NaN -> None) for ``nps.record``."""
    return jsonable(table.to_dict("records"))


# ------------------------------------------------------------------------------------ effects


def effect_records(many: Any) -> list[dict[str, Any]]:
    """One JSON record per treatment of a ``compare_many`` result without segments.

    Stable keys: ``treatment, control, difference, ci_lower, ci_upper, pvalue, method``; also
    ``pvalue_adjusted``, ``correction``, group sizes and NPS, the row-level tests and, with
    covariates, ``cuped`` (the adjusted effect and the variance reduction).
    """
    out = []
    for comp in many.comparisons:
        r = comp.result
        rec: dict[str, Any] = {"treatment": comp.treatment, "control": comp.control}
        if r is None:
            rec.update(difference=None, ci_lower=None, ci_upper=None, pvalue=None, method=many.method, note=comp.note)
            out.append(jsonable(rec))
            continue
        rec.update(
            difference=r.difference,
            ci_lower=r.ci_lower,
            ci_upper=r.ci_upper,
            pvalue=r.pvalue,
            method=r.method,
            pvalue_adjusted=comp.pvalue_adjusted,
            correction=many.correction,
            significant=comp.significant,
            confidence_level=r.confidence_level,
            n_treatment=comp.n_treatment,
            n_control=comp.n_control,
            nps_treatment=r.treatment.nps,
            nps_control=r.control.nps,
        )
        if r.row_tests is not None:
            rec.update(
                mann_whitney_pvalue=r.row_tests.mann_whitney.pvalue,
                prob_superiority=r.row_tests.mann_whitney.prob_superiority,
                ordinal_odds_ratio=r.row_tests.ordinal.odds_ratio,
                ordinal_pvalue=r.row_tests.ordinal.pvalue,
            )
        a = r.covariate_adjustment
        if a is not None:
            rec["cuped"] = {
                "covariates": list(a.covariates),
                "difference": a.difference,
                "ci_lower": a.ci_lower,
                "ci_upper": a.ci_upper,
                "pvalue": a.pvalue,
                "pvalue_adjusted": comp.cuped_pvalue_adjusted,
                "variance_reduction": a.variance_reduction,
                "rows_dropped": a.rows_dropped,
                "estimator": a.estimator,
                "variance": a.variance,
                "population": a.population,
            }
        out.append(jsonable(rec))
    return out


def effects_table(many: Any) -> pd.DataFrame:
    """The effects for reading: one row per treatment with the difference, its interval, the
    p-value (and the multiplicity-adjusted one with several treatments) and the rank and ordinal
    tests. Exact numbers are in :func:`effect_records`; CUPED is in :func:`cuped_table`."""
    rows = []
    level = f"{100 * many.confidence_level:g}%"
    for rec in effect_records(many):
        row = {
            "treatment": rec["treatment"],
            "n treatment": rec.get("n_treatment"),
            "n control": rec.get("n_control"),
            "difference (points)": round_or_none(rec["difference"], 1),
            f"{level} interval": interval_text(rec["ci_lower"], rec["ci_upper"]),
            "p": p_cell(rec["pvalue"]),
        }
        if len(many.comparisons) > 1:
            row[f"p adjusted ({correction_name(many.correction)})"] = p_cell(rec.get("pvalue_adjusted"))
        if "mann_whitney_pvalue" in rec:
            row["rank test p"] = p_cell(rec["mann_whitney_pvalue"])
            row["ordinal odds ratio"] = round_or_none(rec["ordinal_odds_ratio"], 2)
            row["ordinal p"] = p_cell(rec["ordinal_pvalue"])
        if rec.get("note"):
            row["note"] = rec["note"]
        rows.append(row)
    out = pd.DataFrame(rows).set_index("treatment")
    out.attrs["family"] = many.family
    return out


def cuped_table(many: Any) -> pd.DataFrame | Note:
    """Unadjusted versus CUPED-adjusted effect per treatment, or a note when no covariates were
    used. ``variance reduction %`` is also the share of the sample size the adjustment saves at
    equal power."""
    rows = []
    for comp in many.comparisons:
        r = comp.result
        if r is None or r.covariate_adjustment is None:
            continue
        a = r.covariate_adjustment
        level = f"{100 * a.confidence_level:g}%"
        rows.append(
            {
                "treatment": comp.treatment,
                "adjusted for": ", ".join(a.covariates),
                "unadjusted difference": round_or_none(a.unadjusted_difference, 1),
                "unadjusted SE": round_or_none(a.unadjusted_se, 2),
                "CUPED difference": round_or_none(a.difference, 1),
                "CUPED SE": round_or_none(a.se, 2),
                f"CUPED {level} interval": interval_text(a.ci_lower, a.ci_upper),
                "CUPED p": p_cell(a.pvalue),
                "variance reduction": f"{100 * a.variance_reduction:.0f}%",
                "rows used": f"{a.n_treatment}\u00a0+\u00a0{a.n_control}",
                "answers described": "all" if not a.rows_dropped else f"only those with every covariate ({a.rows_dropped} left out)",
            }
        )
        if a.variance != "HC2":  # a big table adjusted from moments says which variance it used
            rows[-1]["variance"] = "per-arm residual (from moments)"
    if not rows:
        return Note("No covariates were given (covariate_columns is empty): no regression adjustment.")
    return pd.DataFrame(rows).set_index("treatment")


def segment_effects(
    frame: Any,
    *,
    score: str,
    group: str,
    control: Any,
    treatments: Sequence[Any],
    segment_columns: Sequence[str],
    correction: str = "holm",
    method: str = "adjusted-wald",
    confidence_level: float = 0.95,
    min_n: int = 30,
    cluster: str | None = None,
) -> pd.DataFrame:
    """The effect of every treatment in every segment of each column in ``segment_columns``.

    Each column is its own family of comparisons (every treatment x every segment of that column),
    adjusted with ``correction`` by :func:`nps_analysis.compare_many`; ``attrs["families"]`` says
    what was corrected. Segments where an arm has fewer than ``min_n`` answers are marked
    ``small``: their intervals are wide and they should not drive decisions. ``cluster``: the
    assigned column of a cluster pilot (each comparison is then analysed by cluster).
    """
    from ..stats.many import compare_many

    columns = ["segment", "value", "treatment", "n_treatment", "n_control", "nps_treatment", "nps_control",
               "difference", "ci_lower", "ci_upper", "pvalue", "pvalue_adjusted", "significant", "small", "note"]
    parts, families = [], []
    for column in segment_columns:
        many = compare_many(
            frame, score=score, group=group, control=control, treatments=list(treatments), by=[column],
            correction=correction, method=method, confidence_level=confidence_level, min_n=min_n, row_tests=False,
            cluster=cluster or None,
        )
        families.append(f"{column}: {many.family}")
        for comp in many.comparisons:
            r = comp.result
            parts.append(
                {
                    "segment": column,
                    "value": (comp.segment or {}).get(column),
                    "treatment": comp.treatment,
                    "n_treatment": comp.n_treatment,
                    "n_control": comp.n_control,
                    "nps_treatment": None if r is None else r.treatment.nps,
                    "nps_control": None if r is None else r.control.nps,
                    "difference": None if r is None else r.difference,
                    "ci_lower": None if r is None else r.ci_lower,
                    "ci_upper": None if r is None else r.ci_upper,
                    "pvalue": None if r is None else r.pvalue,
                    "pvalue_adjusted": comp.pvalue_adjusted,
                    "significant": comp.significant,
                    "small": comp.small,
                    "note": comp.note or "",
                }
            )
    out = pd.DataFrame(parts, columns=columns)
    out.attrs["families"] = families
    out.attrs["confidence_level"] = confidence_level
    return out


# -------------------------------------------------------------------------------------- power


def power_table(
    arms: pd.DataFrame,
    *,
    control: Any,
    treatments: Sequence[Any],
    mde: float,
    confidence_level: float = 0.95,
    power: float = 0.8,
    design_effects: Mapping[Any, float] | None = None,
) -> pd.DataFrame:
    """Per treatment: the power this experiment had to detect ``mde`` points, and the smallest
    effect it could detect with ``power`` (both two-sided at ``alpha = 1 - confidence_level``, the
    control's observed answer shares as the baseline; see :mod:`nps_analysis.power`).

    ``design_effects`` (treatment -> design effect, from a cluster analysis): each arm then counts
    as ``n / design_effect`` independent answers (Donner & Klar 2000), and the table gains a
    ``design_effect`` column.

    Power is computed for the *planned* effect ``mde``, never for the observed one (observed
    power is a function of the p-value and says nothing new; Hoenig & Heisey 2001).
    """
    from ..stats.power import achieved_power, minimum_detectable_effect
    from ..stats.scoring import NPSCounts

    alpha = 1 - confidence_level
    by_arm = {str(r["group"]): r for r in arms.to_dict("records")}
    c = by_arm[str(control)]
    baseline = NPSCounts(c["detractors"], c["passives"], c["promoters"])
    rows = []
    for t in treatments:
        n_t, n_c = by_arm[str(t)]["n"], c["n"]
        row: dict[str, Any] = {"treatment": str(t), "n_treatment": n_t, "n_control": n_c, "mde": mde}
        if design_effects is not None:
            deff = float(design_effects.get(str(t), math.nan))
            row["design_effect"] = deff
            if math.isfinite(deff) and deff > 1:
                n_t, n_c = n_t / deff, n_c / deff  # effective numbers of independent answers
        if n_t > 0 and n_c > 0 and baseline.n > 0:
            row["power_at_mde"] = achieved_power(n_t, n_c, mde, baseline=baseline, alpha=alpha) if mde else math.nan
            try:
                row["detectable_effect"] = minimum_detectable_effect(n_t, n_c, baseline=baseline, alpha=alpha, power=power)
            except ValueError:
                row["detectable_effect"] = math.nan
        else:
            row["power_at_mde"] = row["detectable_effect"] = math.nan
        row["target_power"] = power
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs.update(alpha=alpha, power=power)
    return out


# --------------------------------------------------------------------------------- conclusion


def conclusion(
    many: Any,
    *,
    srm: SampleRatioResult | None = None,
    response: ResponseRates | None = None,
    power: pd.DataFrame | None = None,
    segments: pd.DataFrame | None = None,
    primary: Sequence[Mapping[str, Any]] | None = None,
) -> str:
    """The experiment's conclusion in plain sentences, written from the numbers.

    With ``primary`` (the records of :func:`nps_analysis.analyses.primary.primary_records`) each
    treatment's paragraph is led by the analysis declared before the data, whose verdict decides,
    with the other analysis beside it; the power caveat follows the declared verdict.

    Paragraphs separated by blank lines (Markdown): balance first (problems undermine everything
    after them); then one paragraph per treatment (``CompareResult.summary``: the difference with
    its interval and p-value, the rank test, the CUPED estimate), the multiplicity-adjusted
    p-value when several treatments were compared, and a power caveat when an effect is not
    significant and the planned effect was unlikely to be detected; last, segments that stand out
    after correction (small segments never do).
    """
    paragraphs: list[str] = []
    balance: list[str] = []
    ok: list[str] = []
    if srm is not None:
        if srm.mismatch:
            balance.append(
                f"Warning: the arm sizes do not match the planned allocation (sample-ratio mismatch, "
                f"{p_text(srm.pvalue)}); treat the effects below as unreliable until the assignment is checked."
            )
        else:
            ok.append(f"the arm sizes match the planned allocation (sample-ratio check {p_text(srm.pvalue)})")
    if response is not None:
        if response.unequal:
            balance.append(
                f"Warning: response rates differ between arms (by up to {100 * response.largest_gap:.1f} "
                f"percentage points, {p_text(response.pvalue)}); part of any NPS difference may come from who answered."
            )
        else:
            ok.append(f"response rates are similar across arms ({p_text(response.pvalue)})")
    if ok:
        balance.insert(0, "Balance: " + " and ".join(ok) + ".")
    if balance:
        paragraphs.append(" ".join(balance))

    several = len(many.comparisons) > 1
    primary_by = {str(rec.get("treatment")): rec for rec in (primary or [])}
    power_by = {} if power is None else {str(r["treatment"]): r for r in power.to_dict("records")}
    for comp in many.comparisons:
        r = comp.result
        if r is None:
            paragraphs.append(f"{comp.treatment} could not be compared with {comp.control}: {comp.note}.")
            continue
        declared = primary_by.get(str(comp.treatment))
        if declared is not None:
            sentences = [primary_sentences(declared, n_comparisons=len(many.comparisons),
                                           correction_name=correction_name(many.correction), level=r.confidence_level)]
            if r.cluster is not None:  # a cluster pilot: say how it was analysed, as summary() does
                sentences.append(
                    f"The comparison is analysed by cluster ({r.cluster.n_clusters_treatment} + "
                    f"{r.cluster.n_clusters_control} clusters, ICC {r.cluster.icc:.3f}, design effect "
                    f"{r.cluster.design_effect:.1f})" + (f"; {r.cluster.note}." if r.cluster.note else ".")
                )
        else:
            sentences = [r.summary(str(comp.treatment), str(comp.control))]
        if several and declared is None:
            verdict = "significant" if comp.significant else "not significant"
            sentences.append(
                f"With the {correction_name(many.correction)} correction for {len(many.comparisons)} "
                f"comparisons, {p_text(comp.pvalue_adjusted)}: {verdict}."
            )
        pw = power_by.get(str(comp.treatment))
        alpha = 1 - r.confidence_level
        not_significant = not (comp.significant if several else r.pvalue < alpha)
        if declared is not None and declared.get("primary_estimate") is not None:
            not_significant = not declared["primary_estimate"]["significant"]
        if pw and not_significant and is_finite(pw.get("power_at_mde")) and pw["power_at_mde"] < pw["target_power"]:
            sentences.append(
                f"With {pw['n_treatment']} and {pw['n_control']} answers the experiment had only "
                f"{100 * pw['power_at_mde']:.0f}% power to detect the planned {pw['mde']:g} points "
                f"(with {100 * pw['target_power']:.0f}% power it detects {pw['detectable_effect']:.1f} points), "
                "so the lack of a significant difference is weak evidence that there is no effect."
            )
        paragraphs.append(" ".join(sentences))

    if segments is not None and not segments.empty:
        hits = segments[(segments["significant"]) & (~segments["small"])]
        notes = [
            f"in {s['segment']} = {s['value']}, {s['treatment']} is {abs(s['difference']):.1f} points "
            f"{'higher' if s['difference'] > 0 else 'lower'} than control (adjusted {p_text(s['pvalue_adjusted'])})"
            for _, s in hits.iterrows()
        ]
        if notes:
            paragraphs.append("Segments: " + "; ".join(notes) + ".")
        else:
            paragraphs.append("Segments: no segment effect is significant after the multiplicity correction.")
    return "\n\n".join(paragraphs)


def headline(arms: pd.DataFrame, effects: Sequence[Mapping[str, Any]], srm: SampleRatioResult | None = None) -> dict[str, str]:
    """Short label -> text pairs for the reports index, e.g. ``{"treatment_a - control": "+7.9 (2.1 to 13.7), p = 0.008"}``."""
    out: dict[str, str] = {}
    for row in arms.to_dict("records")[:1]:
        out[f"NPS {row['group']}"] = f"{row['nps']:.1f} (n = {row['n']})"
    for e in effects:
        if e.get("difference") is None:
            continue
        out[f"{e['treatment']} - {e['control']}"] = (
            f"{e['difference']:+.1f} ({e['ci_lower']:.1f} to {e['ci_upper']:.1f}), {p_text(e['pvalue'])}"
        )
    if srm is not None:
        out["SRM"] = ("MISMATCH " if srm.mismatch else "") + p_text(srm.pvalue)
    return out


# -------------------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class Note:
    """A paragraph for a notebook: a red box when ``alert``, plain text otherwise."""

    text: str
    alert: bool = False
    extra: list[str] = field(default_factory=list)

    def _repr_html_(self) -> str:
        return flag_box(self.text, self.alert, always=True) + "".join(
            f"<p>{html.escape(e)}</p>" for e in self.extra
        )

    def _repr_markdown_(self) -> str:
        return ("**Warning:** " if self.alert else "") + self.text

    def __str__(self) -> str:
        return self.text


_LABELS = {
    "n": "n", "nps": "NPS", "n_treatment": "n treatment", "n_control": "n control",
    "nps_treatment": "NPS treatment", "nps_control": "NPS control", "difference": "difference (points)",
    "pvalue": "p", "pvalue_adjusted": "p adjusted", "significant": "significant", "small": "small",
    "mde": "planned effect (points)", "power_at_mde": "power for the planned effect",
    "detectable_effect": "detectable effect (points)", "target_power": "at power",
}
_INDEX = ("group", "segment", "value", "treatment")


def pretty(table: pd.DataFrame, *, digits: int = 1) -> pd.DataFrame:
    """A result table made for reading (numbers stay exact in the original and in results.json).

    Label columns (group, segment, value, treatment) become the index; ``ci_lower``/``ci_upper``
    become one "interval" column; p-values are written as text (``< 0.001``); powers as
    percentages; other numbers are rounded to ``digits``; columns get plain names.
    """
    out = table.copy()
    index = [c for c in _INDEX if c in out.columns]
    if {"ci_lower", "ci_upper"} <= set(out.columns):
        level = table.attrs.get("confidence_level")
        name = f"{100 * level:g}% interval" if level else "interval"
        position = list(out.columns).index("ci_lower")
        values = [interval_text(lo, hi, digits) for lo, hi in zip(out["ci_lower"], out["ci_upper"], strict=True)]
        out = out.drop(columns=["ci_lower", "ci_upper"])
        out.insert(position, name, values)
    if "target_power" in out.columns and out["target_power"].nunique() == 1 and "detectable_effect" in out.columns:
        level = float(out["target_power"].iloc[0])
        out = out.drop(columns=["target_power"]).rename(
            columns={"detectable_effect": f"detectable effect (points, {100 * level:.0f}% power)"}
        )
    for col in list(out.columns):
        text_like = pd.api.types.is_object_dtype(out[col]) or pd.api.types.is_string_dtype(out[col])
        if text_like and out[col].map(lambda v: v is None or v == "").all():
            out = out.drop(columns=[col])  # e.g. a note column with no notes
            continue
        if col in ("pvalue", "pvalue_adjusted"):
            out[col] = [p_cell(v) for v in out[col]]
        elif col in ("power_at_mde", "target_power"):
            out[col] = [f"{100 * v:.0f}%" if is_finite(v) else "-" for v in out[col]]
        elif out[col].dtype == bool:
            out[col] = out[col].map({True: "yes", False: ""})
        elif out[col].dtype.kind == "f":
            out[col] = out[col].round(digits)
    out = out.rename(columns=_LABELS)
    if index:
        out = out.set_index(index)
    return out


__all__ = [
    "EXPERIMENT_METHODS",
    "SRM_ALPHA",
    "DataCheck",
    "ExperimentTable",
    "Note",
    "ResponseRates",
    "SampleRatioResult",
    "arm_levels",
    "arm_table",
    "arms_of",
    "as_flags",
    "check_options",
    "conclusion",
    "cuped_table",
    "data_check",
    "effect_records",
    "effects_table",
    "headline",
    "load_experiment",
    "load_experiment_table",
    "arm_flags",
    "power_table",
    "pretty",
    "records",
    "response_rates",
    "sample_ratio_mismatch",
    "segment_effects",
    "srm_from_counts",
]
