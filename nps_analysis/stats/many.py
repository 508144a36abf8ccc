"""Many arms and segments against one control, with the multiplicity correction stated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..sources.errors import NPSInputError
from ..sources.results import ResultMixin
from ..sources.scores import parse_scores
from .compare import CompareMethod, CompareResult, check_compare_options, compare, flat_row
from .difference import Alternative
from .multiplicity import CORRECTIONS, adjust_pvalues, correction_method
from .scoring import WeightedNPSCounts, weighted_counts


@dataclass(frozen=True)
class ArmComparison(ResultMixin):
    """One arm (in one segment) against the control, with its multiplicity-adjusted p-value."""

    treatment: Any
    control: Any
    segment: dict[str, Any] | None
    n_treatment: int
    n_control: int
    small: bool
    pvalue_adjusted: float
    significant: bool
    result: CompareResult | None
    cuped_pvalue_adjusted: float | None = None
    note: str | None = None


@dataclass(frozen=True)
class CompareManyResult(ResultMixin):
    """Every treatment arm (per segment, with ``by``) against one control, with multiplicity control.

    ``family`` says which comparisons were corrected together and how, e.g.
    "2 comparisons (treatment arms vs control 'control'), Holm".
    """

    control: Any
    treatments: tuple[Any, ...]
    by: tuple[str, ...]
    correction: str
    family: str
    n_comparisons: int
    method: str
    confidence_level: float
    alternative: str
    min_n: int
    comparisons: tuple[ArmComparison, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per arm (and segment): n, NPS, difference, interval, raw and adjusted p-values."""
        rows = []
        for comp in self.comparisons:
            row: dict[str, Any] = dict(comp.segment or {})
            row.update(treatment=comp.treatment, control=comp.control)
            if comp.result is not None:
                flat = flat_row(comp.result)
            else:
                flat = {"n_treatment": comp.n_treatment, "n_control": comp.n_control}
            row.update(flat)
            row.update(
                n_treatment=comp.n_treatment,
                n_control=comp.n_control,
                pvalue_adjusted=comp.pvalue_adjusted,
                significant=comp.significant,
                small=comp.small,
            )
            if comp.cuped_pvalue_adjusted is not None:
                row["cuped_pvalue_adjusted"] = comp.cuped_pvalue_adjusted
            row["note"] = comp.note
            rows.append(row)
        frame = pd.DataFrame(rows)
        frame.attrs["family"] = self.family
        return frame

    def _repr_html_(self) -> str:
        import html

        return f"<p>{html.escape(self.family)}</p>" + self.table_html(self.to_frame())

    def get(self, treatment: Any, segment: dict[str, Any] | None = None) -> CompareResult | None:
        """The comparison of ``treatment`` (in ``segment``, a ``{column: value}`` dict, with ``by``)."""
        for comp in self.comparisons:
            if comp.treatment == treatment and (comp.segment or None) == (segment or None):
                return comp.result
        raise KeyError(f"no comparison for treatment {treatment!r} segment {segment!r}")


def compare_many(
    frame: pd.DataFrame,
    *,
    score: str,
    group: str,
    control: Any,
    treatments: Sequence[Any] | None = None,
    by: Sequence[str] | str | None = None,
    correction: str = "holm",
    method: CompareMethod = "mover-score",
    confidence_level: float = 0.95,
    alternative: Alternative = "two-sided",
    min_n: int = 30,
    covariates: Sequence[str] | None = None,
    row_tests: bool = True,
    cluster: str | None = None,
    file: str | None = None,
    weights: str | None = None,
    **compare_options: Any,
) -> CompareManyResult:
    """Each treatment arm against one control, p-values adjusted for the family of comparisons.

    Every comparison is :func:`compare` on that arm's and the control's rows (so the row-level
    tests and, with ``covariates``, CUPED come along). The p-values of the whole family, every arm
    times every segment with ``by``, are adjusted together with
    ``statsmodels.stats.multitest.multipletests`` (``correction`` = any of its method names, e.g.
    "holm" (Holm 1979, default), "bonferroni", "fdr_bh" (Benjamini & Hochberg 1995), or "none");
    the result's ``family`` states what was corrected. Intervals are the per-comparison ones (not
    simultaneous). CUPED p-values, when present, are adjusted as a parallel family.

    Args:
        frame: one row per respondent (rows with a missing score are not responses; rows with a
            missing ``group`` are left out).
        score, group: column names; ``control`` is the control's label in ``group``.
        treatments: labels to compare (default: every other label, sorted).
        by: segment columns: the effect per segment. A segment where the treatment or control has
            fewer than ``min_n`` responses is flagged ``small`` (still tested); one where either
            has none is reported with a note and left out of the family.
        cluster: the column that was assigned (team, store, agent): every comparison is then the
            cluster analysis of :func:`compare` (cluster-robust or permutation p-values enter the
            family; ``result.cluster`` holds the ICC and clusters per arm). Not with covariates
            or weights.
        weights: a survey-weight column: each comparison is then :func:`compare` on the arms'
            weighted counts (:class:`~nps_analysis.stats.weighting.WeightedNPSCounts`, Kish
            effective sample sizes), so only count-based methods apply (no row tests, no CUPED).
        **compare_options: passed to :func:`compare` (``margin``, ``n_resamples``, ...).
    """
    by_cols = [by] if isinstance(by, str) else list(by or [])
    if weights is not None and covariates:
        raise NPSInputError("weights and covariates cannot be combined: CUPED works on unweighted rows")
    if weights is not None and cluster:
        raise NPSInputError("weights and cluster cannot be combined yet: the cluster analysis counts every answer once")
    needed = [score, group, *by_cols, *(covariates or []), *([weights] if weights is not None else []),
              *([cluster] if cluster else [])]
    absent = [col for col in needed if col not in frame.columns]
    if absent:
        raise NPSInputError(
            f"missing column(s) {absent}; the columns are {list(map(str, frame.columns))}",
            file=file, column=absent[0],
        )
    check_compare_options(method, confidence_level, alternative)
    corr = correction_method(correction)
    if not isinstance(min_n, (int, np.integer)) or min_n < 0:
        raise ValueError(f"min_n must be a non-negative integer, got {min_n!r}")

    parsed = parse_scores(frame[score], column=score, file=file)
    labels_present = frame[group].dropna()
    labels = sorted(pd.unique(labels_present), key=lambda v: (str(type(v)), str(v)))
    if control not in labels:
        raise NPSInputError(
            f"control {control!r} is not a value of column {group!r}; the values are {labels}",
            file=file, column=group,
        )
    if treatments is None:
        arms = [label for label in labels if label != control]
    else:
        arms = list(treatments)
        unknown = [a for a in arms if a not in labels]
        if unknown:
            raise NPSInputError(
                f"treatment(s) {unknown} not found in column {group!r}; the values are {labels}",
                file=file, column=group,
            )
        if control in arms:
            raise ValueError(f"the control {control!r} cannot also be a treatment")
    if not arms:
        raise NPSInputError(f"no treatment arm besides the control {control!r} in column {group!r}", file=file, column=group)

    responded = frame.loc[parsed.valid_mask].copy()
    responded[score] = parsed.values[parsed.valid_mask].astype(np.int64)
    if by_cols:
        # Segments come from every row (so a segment with no respondents still shows, n = 0).
        grouped = frame.groupby(by_cols, dropna=False, sort=True, observed=True)
        codes = grouped.ngroup().to_numpy()[parsed.valid_mask]
        segments = []
        for code, key in enumerate(grouped.size().index):
            key = key if isinstance(key, tuple) else (key,)
            seg = {col: _key(v) for col, v in zip(by_cols, key, strict=True)}
            segments.append((seg, responded.loc[codes == code]))
    else:
        segments = [(None, responded)]

    options = dict(compare_options)
    options.update(method=method, confidence_level=confidence_level, alternative=alternative, row_tests=row_tests)
    pending: list[dict[str, Any]] = []
    for seg, part in segments:
        arm_col = part[group]
        control_rows = part.loc[arm_col == control]
        for arm in arms:
            treat_rows = part.loc[arm_col == arm]
            nt, nc = len(treat_rows), len(control_rows)
            entry: dict[str, Any] = {"treatment": arm, "segment": seg, "nt": nt, "nc": nc, "result": None, "note": None}
            if nt == 0 or nc == 0:
                entry["note"] = "no responses in " + ("treatment" if nt == 0 else "control") + ": not tested"
            elif cluster:
                entry["result"] = compare(treat_rows, control_rows, score=score, cluster=cluster, **options)
            elif weights is not None:
                entry["result"] = compare(_weighted(treat_rows, score, weights),
                                          _weighted(control_rows, score, weights), **options)
            elif covariates:
                entry["result"] = compare(treat_rows, control_rows, score=score, covariates=covariates, **options)
            else:
                entry["result"] = compare(treat_rows[score].to_numpy(), control_rows[score].to_numpy(), **options)
            if entry["note"] is None and (nt < min_n or nc < min_n):
                entry["note"] = f"small: fewer than {min_n} responses in an arm"
            pending.append(entry)

    alpha = 1.0 - confidence_level
    pvals = [e["result"].pvalue if e["result"] is not None else math.nan for e in pending]
    adjusted, reject = adjust_pvalues(pvals, correction=corr, alpha=alpha)
    cuped_adj: np.ndarray | None = None
    if covariates:
        cp = [
            e["result"].covariate_adjustment.pvalue if e["result"] is not None else math.nan for e in pending
        ]
        cuped_adj, _ = adjust_pvalues(cp, correction=corr, alpha=alpha)

    comparisons = tuple(
        ArmComparison(
            treatment=e["treatment"],
            control=control,
            segment=e["segment"],
            n_treatment=e["nt"],
            n_control=e["nc"],
            small=bool(e["nt"] < min_n or e["nc"] < min_n),
            pvalue_adjusted=float(adjusted[i]),
            significant=bool(reject[i]),
            result=e["result"],
            cuped_pvalue_adjusted=None if cuped_adj is None else float(cuped_adj[i]),
            note=e["note"],
        )
        for i, e in enumerate(pending)
    )
    tested = int(np.isfinite(pvals).sum())
    family = _family_text(tested, len(pending), arms, control, by_cols, len(segments), corr)
    if weights is not None:
        family += f"; weighted by {weights!r} (Kish effective sample sizes)"
    return CompareManyResult(
        control=control,
        treatments=tuple(arms),
        by=tuple(by_cols),
        correction=corr,
        family=family,
        n_comparisons=tested,
        method=method,
        confidence_level=confidence_level,
        alternative=alternative,
        min_n=int(min_n),
        comparisons=comparisons,
    )


def _key(value: Any) -> Any:
    return None if pd.isna(value) else value


def _family_text(tested: int, total: int, arms: list[Any], control: Any, by: list[str], n_segments: int, corr: str) -> str:
    noun = "comparison" if tested == 1 else "comparisons"
    arm_text = f"{len(arms)} treatment arm{'s' if len(arms) != 1 else ''} vs control {control!r}"
    if by:
        arm_text += f" in {n_segments} segment{'s' if n_segments != 1 else ''} of {', '.join(by)}"
    text = f"{tested} {noun} ({arm_text}), {CORRECTIONS[corr]}"
    if tested < total:
        text += f"; {total - tested} not tested (no responses) and not in the family"
    return text


def _weighted(rows: pd.DataFrame, score: str, weights: str) -> WeightedNPSCounts:
    """One arm's weighted counts (rows already hold valid answers)."""
    return WeightedNPSCounts.from_row(weighted_counts(rows, score, weights=weights).iloc[0])
