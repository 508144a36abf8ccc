"""The paired (expectation-perception) gap design: each respondent rates both sides of every item
(SERVQUAL gap 5); signed-rank tests and Hodges-Lehmann estimates on the differences.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ..sources.errors import NPSInputError
from ..sources.item_tables import (
    Table,
    available_items,
    check_scale,
    detect_layout,
    read_item_table,
    read_side,
    resolve_dimensions,
    resolve_items,
)
from ..sources.results import ResultMixin
from ..stats.intervals import check_confidence_level
from ..stats.ranks import hodges_lehmann, signed_rank
from .gap import dimension_scores
from .gap_tables import GapTables, adjust_family, check_correction, family_text, gap_label


@dataclass(frozen=True)
class PairedItemGap(ResultMixin):
    """One item rated twice by the same respondents: perception - expectation.

    ``gap`` = mean difference with a t interval on the differences; ``hodges_lehmann`` = median of
    the Walsh averages of the differences; ``statistic``/``pvalue``: Wilcoxon signed-rank test with
    Pratt's zero handling (normal approximation); ``pvalue_adjusted`` across items.
    """

    item: str
    dimension: str | None
    n: int
    zeros: int
    mean_expectation: float
    mean_perception: float
    gap: float
    ci_lower: float
    ci_upper: float
    hodges_lehmann: float
    statistic: float
    zstatistic: float
    pvalue: float
    pvalue_adjusted: float
    label: str


@dataclass(frozen=True)
class PairedDimensionGap(ResultMixin):
    """A dimension in the paired design: per respondent, dimension mean perception - expectation."""

    dimension: str
    items: tuple[str, ...]
    n: int
    mean_expectation: float
    mean_perception: float
    gap: float
    ci_lower: float
    ci_upper: float
    hodges_lehmann: float
    statistic: float
    zstatistic: float
    pvalue: float
    pvalue_adjusted: float
    label: str


@dataclass(frozen=True)
class PairedGapResult(GapTables):
    """SERVQUAL-style paired gaps (perception - expectation), item and dimension level."""

    items: tuple[PairedItemGap, ...]
    dimensions: tuple[PairedDimensionGap, ...]
    scale: tuple[int, int]
    correction: str
    alpha: float
    family: str
    dimension_family: str
    confidence_level: float
    n_respondents: int
    method: str

    _dimension_type = PairedDimensionGap


def _paired_from_differences(
    differences: list[np.ndarray], confidence_level: float,
) -> list[dict[str, float]]:
    from scipy.stats import t as student_t

    out = []
    for d in differences:
        n = len(d)
        values, inverse = np.unique(d, return_inverse=True)
        counts = np.bincount(inverse, minlength=len(values)).astype(float)
        mags = np.unique(np.abs(values[values != 0]))
        pos = np.array([counts[values == m].sum() for m in mags])
        neg = np.array([counts[values == -m].sum() for m in mags])
        zeros = counts[values == 0].sum()
        stat, z, p = signed_rank(pos, neg, np.asarray(zeros))
        mean = float(d.mean()) if n else math.nan
        sd = float(d.std(ddof=1)) if n > 1 else math.nan
        if n > 1 and sd > 0:
            half = float(student_t.ppf(0.5 + confidence_level / 2, n - 1)) * sd / math.sqrt(n)
            lo, hi = mean - half, mean + half
        else:
            lo = hi = math.nan
        out.append({"n": n, "zeros": int(zeros), "gap": mean, "ci_lower": lo, "ci_upper": hi,
                    "hodges_lehmann": float(hodges_lehmann(values, counts)) if n else math.nan,
                    "statistic": float(stat), "zstatistic": float(z), "pvalue": float(p)})
    return out


def paired_gap(
    expectations: Table,
    perceptions: Table,
    *,
    items: Sequence[str] | Mapping[str, str] | None = None,
    scale: tuple[int, int] = (1, 7),
    dimensions: Mapping[str, Sequence[str]] | Mapping[str, str] | str | None = None,
    correction: str = "fdr_bh",
    alpha: float = 0.05,
    confidence_level: float = 0.95,
    layout: Literal["auto", "wide", "long"] = "auto",
    respondent: str = "respondent",
    item_column: str = "item",
    answer: str = "answer",
) -> PairedGapResult:
    """SERVQUAL paired design: the same respondents rate expectation and perception of each item.

    Parasuraman, Zeithaml & Berry (1988): item gap = perception - expectation (negative = service
    falls short), dimensions = groups of items (default SERVQUAL's 7-point scale). Per item, over the
    respondents who answered both: mean difference with the t interval
    ``mean -/+ t_(n-1) s / sqrt(n)``; the Hodges-Lehmann (1963) estimate; the Wilcoxon (1945)
    signed-rank test with Pratt's (1959) treatment of zero differences (see :func:`signed_rank`);
    p-values adjusted across items. Per dimension the same on each respondent's mean difference over
    the dimension's items answered on both sides, adjusted across dimensions. Labels: ``gap``
    (perception significantly below expectation), ``reverse gap`` (above), ``no clear gap``.

    Respondents are matched on the ``respondent`` column (or the index of wide frames without it);
    a respondent on one side only is an error.
    """
    check_confidence_level(confidence_level)
    check_correction(correction, alpha)
    lo, hi = check_scale(scale)
    exp_frame, exp_src = read_item_table(expectations, what="expectations")
    per_frame, per_src = read_item_table(perceptions, what="perceptions")
    exp_layout = detect_layout(exp_frame, layout, item_column, answer)
    per_layout = detect_layout(per_frame, layout, item_column, answer)
    common = {"respondent": respondent, "item_column": item_column, "answer": answer}
    chosen = resolve_items(
        items,
        available_items(exp_frame, exp_layout, src=exp_src, what="expectations", **common),
        available_items(per_frame, per_layout, src=per_src, what="perceptions", **common),
        company_file=exp_src.file, customer_file=per_src.file, sides=("expectations", "perceptions"),
    )
    dims = resolve_dimensions(dimensions, items, chosen)
    exp = read_side(exp_frame, chosen, layout=exp_layout, scale=(lo, hi), src=exp_src,
                     what="expectations", **common)
    per = read_side(per_frame, chosen, layout=per_layout, scale=(lo, hi), src=per_src,
                     what="perceptions", **common)
    for side, name in ((exp, "expectations"), (per, "perceptions")):
        ids = pd.Index(side.respondents)
        if ids.has_duplicates:
            dup = ids[ids.duplicated()].unique()[:5]
            raise NPSInputError(f"{name}: respondent ids repeat: {', '.join(map(str, dup))}",
                                file=side.src.file, column=respondent)
    exp_ids, per_ids = pd.Index(exp.respondents), pd.Index(per.respondents)
    only_exp, only_per = exp_ids.difference(per_ids), per_ids.difference(exp_ids)
    if len(only_exp) or len(only_per):
        which, ids, file = (("expectations", only_exp, exp.src.file) if len(only_exp)
                            else ("perceptions", only_per, per.src.file))
        raise NPSInputError(
            f"paired design: {len(ids)} respondent(s) only in the {which} data, e.g. "
            f"{', '.join(map(str, list(ids)[:5]))}", file=file, column=respondent,
        )
    order = per_ids.get_indexer(exp_ids)
    e = exp.answers
    p = per.answers[order]
    both = ~np.isnan(e) & ~np.isnan(p)
    diffs = [(p[:, j] - e[:, j])[both[:, j]] for j in range(len(chosen))]
    too_few = [chosen[j] for j, d in enumerate(diffs) if len(d) < 2]
    if too_few:
        raise NPSInputError(f"item(s) with fewer than 2 complete pairs: {', '.join(too_few)}",
                            column=too_few[0])
    item_stats = _paired_from_differences(diffs, confidence_level)
    p_adj = adjust_family(np.array([s["pvalue"] for s in item_stats]), correction, alpha)
    item_dim = {i: d for d, members in dims.items() for i in members}
    rows = []
    for j, name in enumerate(chosen):
        s = item_stats[j]
        rows.append(PairedItemGap(
            item=name, dimension=item_dim.get(name), n=s["n"], zeros=s["zeros"],
            mean_expectation=float(e[both[:, j], j].mean()),
            mean_perception=float(p[both[:, j], j].mean()), gap=s["gap"], ci_lower=s["ci_lower"],
            ci_upper=s["ci_upper"], hodges_lehmann=s["hodges_lehmann"], statistic=s["statistic"],
            zstatistic=s["zstatistic"], pvalue=s["pvalue"], pvalue_adjusted=float(p_adj[j]),
            label=gap_label(bool(p_adj[j] <= alpha), s["zstatistic"]),
        ))
    dim_rows: list[PairedDimensionGap] = []
    if dims:
        index = {name: j for j, name in enumerate(chosen)}
        cols = [[index[i] for i in members] for members in dims.values()]
        e_pairs = np.where(both, e, np.nan)
        p_pairs = np.where(both, p, np.nan)
        se_ = dimension_scores(e_pairs, cols)
        sp_ = dimension_scores(p_pairs, cols)
        ddiffs = [(sp_[:, j] - se_[:, j])[~np.isnan(se_[:, j])] for j in range(len(cols))]
        dstats = _paired_from_differences(ddiffs, confidence_level)
        dp_adj = adjust_family(np.array([s["pvalue"] for s in dstats]), correction, alpha)
        for j, dim in enumerate(dims):
            s = dstats[j]
            keep = ~np.isnan(se_[:, j])
            dim_rows.append(PairedDimensionGap(
                dimension=dim, items=tuple(dims[dim]), n=s["n"],
                mean_expectation=float(se_[keep, j].mean()), mean_perception=float(sp_[keep, j].mean()),
                gap=s["gap"], ci_lower=s["ci_lower"], ci_upper=s["ci_upper"],
                hodges_lehmann=s["hodges_lehmann"], statistic=s["statistic"],
                zstatistic=s["zstatistic"], pvalue=s["pvalue"], pvalue_adjusted=float(dp_adj[j]),
                label=gap_label(bool(dp_adj[j] <= alpha), s["zstatistic"]),
            ))
    return PairedGapResult(
        items=tuple(rows), dimensions=tuple(dim_rows), scale=(lo, hi), correction=correction,
        alpha=float(alpha), family=family_text(len(chosen), "item", correction),
        dimension_family=family_text(len(dim_rows), "dimension", correction) if dim_rows else "",
        confidence_level=confidence_level, n_respondents=len(exp_ids),
        method="paired gap: perception minus expectation; t interval, Hodges-Lehmann, "
               "Wilcoxon signed-rank (Pratt)",
    )
