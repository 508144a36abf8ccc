"""Many arms and segments against one control, with the multiplicity correction stated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ..sources.errors import NPSInputError
from ..sources.results import ResultMixin
from .compare import (
    CompareMethod,
    CompareResult,
    check_compare_options,
    compare,
    compare_cluster_counts,
    flat_row,
)
from .cuped import check_cuped_options
from .difference import Alternative
from .multiplicity import CORRECTIONS, adjust_pvalues, correction_method
from .rowtests import row_level_tests_from_table
from .scoring import NPSCounts, WeightedNPSCounts


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
    frame: Any,
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

    Every comparison is :func:`compare` on that arm's and the control's aggregates, computed where
    the data lives (a pandas frame, a ``Table``, or a Polars, PyArrow, DuckDB or Spark table), so
    the result is the same for every engine by construction:

    - the 11-level answer table per (segment, arm) (one GROUP BY,
      :func:`nps_analysis.sources.arm_counts.answer_levels`): the count methods, and the
      Mann-Whitney, proportional-odds and chi-square tests on each 2 x 11 table
      (:func:`~nps_analysis.stats.rowtests.row_level_tests_from_table`);
    - with ``covariates``: the per-(segment, arm) covariate patterns (exact HC2, as on rows) or,
      with more than ``MAX_PATTERNS`` distinct covariate values, the per-arm moments
      (``variance="arm-residual"``; :mod:`nps_analysis.stats.cuped_tables`);
    - with ``cluster``: answers per (segment, arm, cluster);
    - with ``weights``: weight sums per (segment, arm, category)
      (:func:`nps_analysis.sources.aggregates.weighted_category_sums`).

    The p-values of the whole family, every arm times every segment with ``by``, are adjusted
    together with ``statsmodels.stats.multitest.multipletests`` (``correction`` = any of its
    method names, e.g. "holm" (Holm 1979, default), "bonferroni", "fdr_bh" (Benjamini & Hochberg
    1995), or "none"); the result's ``family`` states what was corrected. Intervals are the
    per-comparison ones (not simultaneous). CUPED p-values, when present, are adjusted as a
    parallel family.

    Args:
        frame: one row per respondent (rows with a missing score are not responses; rows with a
            missing ``group`` are left out): a pandas frame, a ``Table`` or an engine table.
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
        **compare_options: passed to :func:`compare` (``margin``, ``n_resamples``,
            ``missing_covariates``, ...).
    """
    from ..sources.arm_counts import answer_levels, columns_of, level_matrix
    from ..sources.tables import native

    frame = native(frame)  # a Table's pandas frame or engine table
    by_cols = [by] if isinstance(by, str) else list(by or [])
    if weights is not None and covariates:
        raise NPSInputError("weights and covariates cannot be combined: CUPED works on unweighted rows")
    if weights is not None and cluster:
        raise NPSInputError("weights and cluster cannot be combined yet: the cluster analysis counts every answer once")
    needed = [score, group, *by_cols, *(covariates or []), *([weights] if weights is not None else []),
              *([cluster] if cluster else [])]
    names = columns_of(frame)
    absent = [col for col in needed if col not in names]
    if absent:
        raise NPSInputError(f"missing column(s) {absent}; the columns are {names}", file=file, column=absent[0])
    check_compare_options(method, confidence_level, alternative)
    corr = correction_method(correction)
    if not isinstance(min_n, (int, np.integer)) or min_n < 0:
        raise ValueError(f"min_n must be a non-negative integer, got {min_n!r}")
    if cluster and covariates:
        raise NPSInputError(
            "covariates cannot be combined with cluster=: the CUPED variance treats answers as "
            "independent; compare without covariates"
        )

    keys = [*by_cols, group]
    levels = answer_levels(frame, score, keys, file=file)  # the one GROUP BY behind every count
    labels = sorted({_key(v) for v in levels[group]} - {None}, key=lambda v: (str(type(v)), str(v)))
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

    cells, bins, _ = level_matrix(levels, keys)
    table = {tuple(_key(v) for v in key): bins[i] for i, key in enumerate(cells.itertuples(index=False, name=None))}
    if by_cols:
        # Segments come from every row (so a segment with no respondents still shows, n = 0).
        seg_keys = list(dict.fromkeys(tuple(_key(v) for v in key) for key in cells[by_cols].itertuples(index=False, name=None)))
        segments = [({col: v for col, v in zip(by_cols, key, strict=True)}, key) for key in seg_keys]
    else:
        segments = [(None, ())]

    options = dict(compare_options)
    missing_covariates = options.pop("missing_covariates", "error")
    cluster_method = options.pop("cluster_method", "auto")
    options.update(method=method, confidence_level=confidence_level, alternative=alternative)
    extra = _extra_sums(frame, score, keys, covariates=covariates, missing_covariates=missing_covariates,
                        cluster=cluster, weights=weights, cells=len(cells))
    empty = np.zeros(11, dtype=np.int64)
    pending: list[dict[str, Any]] = []
    for seg, seg_key in segments:
        c_bins = table.get((*seg_key, control), empty)
        for arm in arms:
            t_bins = table.get((*seg_key, arm), empty)
            nt, nc = int(t_bins.sum()), int(c_bins.sum())
            entry: dict[str, Any] = {"treatment": arm, "segment": seg, "nt": nt, "nc": nc, "result": None, "note": None}
            t_key, c_key = (*seg_key, arm), (*seg_key, control)
            if nt == 0 or nc == 0:
                entry["note"] = "no responses in " + ("treatment" if nt == 0 else "control") + ": not tested"
            elif cluster:
                t_table, c_table = extra.cluster_pair(t_key, c_key)
                entry["result"] = compare_cluster_counts(
                    t_table, c_table, confidence_level=confidence_level, alternative=alternative,
                    margin=options.get("margin"), n_resamples=options.get("n_resamples", 10_000),
                    random_state=options.get("random_state", 0),
                    cluster_method="permutation" if method == "permutation" else cluster_method,
                )
            elif weights is not None:
                entry["result"] = compare(extra.weighted(t_key), extra.weighted(c_key), **options)
            else:
                result = compare(NPSCounts.from_distribution(t_bins), NPSCounts.from_distribution(c_bins), **options)
                changes: dict[str, Any] = {}
                if row_tests:
                    changes["row_tests"] = row_level_tests_from_table(
                        t_bins, c_bins, alternative=alternative, confidence_level=confidence_level)
                if covariates:
                    changes["covariate_adjustment"] = extra.covariates.cuped(
                        t_key, c_key, confidence_level=confidence_level, alternative=alternative)
                entry["result"] = replace(result, **changes) if changes else result
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
    """A label as a plain, hashable Python value (``None`` when missing), whichever engine returned it."""
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


def _family_text(tested: int, total: int, arms: list[Any], control: Any, by: list[str], n_segments: int, corr: str) -> str:
    noun = "comparison" if tested == 1 else "comparisons"
    arm_text = f"{len(arms)} treatment arm{'s' if len(arms) != 1 else ''} vs control {control!r}"
    if by:
        arm_text += f" in {n_segments} segment{'s' if n_segments != 1 else ''} of {', '.join(by)}"
    text = f"{tested} {noun} ({arm_text}), {CORRECTIONS[corr]}"
    if tested < total:
        text += f"; {total - tested} not tested (no responses) and not in the family"
    return text


class _ExtraSums:
    """The aggregates a family needs beyond the answer levels, fetched once for every comparison."""

    def __init__(self) -> None:
        self.covariates: Any = None
        self.clusters: dict[tuple[Any, ...], pd.DataFrame] = {}
        self.cluster_column: str | None = None
        self.weights: dict[tuple[Any, ...], WeightedNPSCounts] = {}

    def weighted(self, key: tuple[Any, ...]) -> WeightedNPSCounts:
        return self.weights[key]

    def cluster_pair(self, t_key: tuple[Any, ...], c_key: tuple[Any, ...]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Both arms' per-cluster counts; a cluster found in both arms raises (as ``cluster_tables``)."""
        t, c = self.clusters[t_key], self.clusters[c_key]
        shared = t.index.intersection(c.index)
        if len(shared):
            raise NPSInputError(
                f"{len(shared)} cluster(s) appear in both arms (e.g. {list(shared[:5])}); in a "
                "cluster-assigned pilot every customer of a cluster has the same arm",
                column=self.cluster_column,
            )
        return t, c


def _extra_sums(
    data: Any, score: str, keys: list[str], *, covariates: Sequence[str] | None, missing_covariates: str,
    cluster: str | None, weights: str | None, cells: int | None = None,
) -> _ExtraSums:
    from ..sources.aggregates import weighted_category_sums
    from ..sources.arm_counts import cluster_tables_by
    from .cuped_tables import CovariateSums

    out = _ExtraSums()
    if covariates:
        check_cuped_options(covariates, missing_covariates, "two-sided", 0.95)
        out.covariates = CovariateSums.compute(data, score, keys, list(covariates), missing=missing_covariates,
                                               cells=cells)
    if weights is not None:
        sums = weighted_category_sums(data, score, weights, keys)
        for row in sums.to_dict("records"):
            w = [float(row[f"w_{c}"]) for c in ("detractors", "passives", "promoters")]
            ww = sum(float(row[f"ww_{c}"]) for c in ("detractors", "passives", "promoters"))
            n = int(sum(int(row[f"n_{c}"]) for c in ("detractors", "passives", "promoters")))
            # Kish (1965): (sum w)^2 / sum w^2, as weighted_counts gives it.
            effective = sum(w) ** 2 / ww if ww > 0 else 0.0
            out.weights[tuple(_key(row[k]) for k in keys)] = WeightedNPSCounts(w[0], w[1], w[2], n, effective)
    if cluster:
        out.cluster_column = cluster
        out.clusters = {tuple(_key(v) for v in key): table
                        for key, table in cluster_tables_by(data, score, keys, cluster).items()}
    return out
