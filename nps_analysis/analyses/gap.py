"""Company versus customer perception of service: item and dimension gaps, the paired
(expectation-perception) design, the superior-service headline, the service self-assessment and
importance-performance analysis.

Every statistic works on answer counts per scale category where the method allows (rank tests,
Cliff's delta, Newcombe intervals); only the dimension bootstrap and the paired design need
respondent rows, and they are vectorized over respondents.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

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
from ..stats.intervals import check_confidence_level, newcombe_interval
from ..stats.ranks import (
    RankStats,
    brunner_munzel_permutation,
    category_counts,
    cliff_interval,
    rank_statistics,
    scale_moments,
)
from .gap_tables import (
    GapTables,
    adjust_family,
    check_correction,
    family_text,
    gap_label,
)

# --------------------------------------------------------------------------------- constants


GapTest = Literal["auto", "mann-whitney", "brunner-munzel", "brunner-munzel-permutation"]
GAP_TESTS = ("auto", "mann-whitney", "brunner-munzel", "brunner-munzel-permutation")
#: ``test="auto"``: Brunner-Munzel's t approximation when both sides have at least this many
#: answers, its studentized permutation version below. benchmarks/gap_fdr.py: with 20 items the
#: false discovery rate depends on p-values near 0.05/20, where the t approximation is liberal at
#: small company sides (FDR 10.4% at company n = 10, 7.8% at 15, 6.0% at 30 and 5.1% at 100
#: against a 5% target; 20,000 replicates, benchmarks/gap_fdr.py --only-bm-t);
#: choosing Mann-Whitney by a variance-ratio rule is not safe at all when spreads differ.
PERMUTATION_MIN_N = 50


# ------------------------------------------------------------------------------- input reading


# ------------------------------------------------------------------------ statistics on counts


def _choose_test(
    test: str, var_company: np.ndarray, var_customers: np.ndarray, n1: np.ndarray, n2: np.ndarray,
    degenerate: np.ndarray,
) -> tuple[list[str], list[str], np.ndarray]:
    """Which rank test each item uses and why; returns (tests, reasons, variance ratios)."""
    if test not in GAP_TESTS:
        raise NPSInputError(f"test must be one of {', '.join(GAP_TESTS)}, got {test!r}")
    small = np.minimum(np.atleast_1d(n1), np.atleast_1d(n2))
    if test == "brunner-munzel" and small.size and np.any(small < PERMUTATION_MIN_N):
        warnings.warn(
            f"test='brunner-munzel' uses the t approximation, which is liberal with fewer than "
            f"{PERMUTATION_MIN_N} answers on a side ({int(small.min())} here): under no gap its "
            "Benjamini-Hochberg FDR over 20 items is 10.4% at n = 10, 7.8% at 15 and 6.0% at 30 "
            "(target 5%; benchmarks/gap_fdr.py --only-bm-t). Use test='auto' or "
            "'brunner-munzel-permutation' at this size.",
            UserWarning,
            stacklevel=3,
        )
    lo = np.minimum(var_company, var_customers)
    hi = np.maximum(var_company, var_customers)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.atleast_1d(np.where(hi == 0, 1.0, hi / lo))
    tests, reasons = [], []
    for r, a, b, flat in zip(ratio, np.atleast_1d(n1), np.atleast_1d(n2), np.atleast_1d(degenerate), strict=True):
        spread = f"answer variance ratio {'infinite' if not np.isfinite(r) else f'{r:.2f}'}"
        if test == "mann-whitney":
            tests.append("mann-whitney")
            reasons.append(f"chosen by the user ({spread}; Mann-Whitney assumes equal distributions under no gap)")
        elif test == "brunner-munzel-permutation":
            tests.append("brunner-munzel-permutation")
            reasons.append(f"chosen by the user ({spread})")
        elif test == "brunner-munzel" and not flat:
            tests.append("brunner-munzel")
            reasons.append(f"chosen by the user ({spread})")
        elif test == "brunner-munzel":
            tests.append("brunner-munzel-permutation")
            reasons.append("Brunner-Munzel's variance estimate is 0 (no overlap or no spread), where its t "
                           "approximation is undefined: studentized permutation version used")
        elif min(a, b) >= PERMUTATION_MIN_N and not flat:
            tests.append("brunner-munzel")
            reasons.append(f"both sides have at least {PERMUTATION_MIN_N} answers: Brunner-Munzel t "
                           f"approximation, which does not assume equal spreads ({spread})")
        else:
            tests.append("brunner-munzel-permutation")
            why = ("a side has fewer than " f"{PERMUTATION_MIN_N} answers" if min(a, b) < PERMUTATION_MIN_N
                   else "the variance estimate is 0")
            reasons.append(f"{why}: Brunner-Munzel studentized permutation test (Neubert & Brunner 2007), "
                           f"which does not assume equal spreads ({spread})")
    return tests, reasons, ratio


def _item_tests(
    company_counts: np.ndarray, customer_counts: np.ndarray, levels: np.ndarray, test: str = "auto",
    *, n_permutations: int = 9999, rng: np.random.Generator | None = None,
) -> dict[str, Any]:
    """Per item: chosen test, reason, statistic, p-value, Cliff's delta and its variance (vectorized)."""
    stats = rank_statistics(company_counts, customer_counts)
    n1, _, v1 = scale_moments(company_counts, levels)
    n2, _, v2 = scale_moments(customer_counts, levels)
    tests, reasons, ratio = _choose_test(test, v1, v2, n1, n2, np.isnan(stats.bm_pvalue))
    pvalue = np.array([stats.mw_pvalue[j] if t == "mann-whitney" else stats.bm_pvalue[j]
                       for j, t in enumerate(tests)], dtype=float)
    permute = np.array([t == "brunner-munzel-permutation" for t in tests])
    if permute.any():
        pvalue[permute] = brunner_munzel_permutation(
            company_counts[permute], customer_counts[permute], n_permutations=n_permutations,
            random_state=rng if rng is not None else 0,
        )
    statistic = np.where([t == "mann-whitney" for t in tests], stats.u_customers, stats.bm_statistic)
    return {"stats": stats, "tests": tests, "reasons": reasons, "ratio": ratio,
            "pvalue": pvalue, "statistic": statistic}


def item_pvalues(
    company_counts: np.ndarray, customer_counts: np.ndarray, *, test: str = "auto",
    n_permutations: int = 999, random_state: int | np.random.Generator | None = 0,
) -> np.ndarray:
    """Two-sided rank-test p-values from counts (..., K) without the per-item explanation.

    The same numbers :func:`survey_gap` uses, vectorized over any leading axes (simulations);
    ``test="auto"`` applies the same sample-size rule element-wise.
    """
    c = np.asarray(company_counts, float)
    d = np.asarray(customer_counts, float)
    if test not in GAP_TESTS:
        raise NPSInputError(f"test must be one of {', '.join(GAP_TESTS)}, got {test!r}")
    stats = rank_statistics(c, d)
    if test == "mann-whitney":
        return stats.mw_pvalue
    flat = np.isnan(stats.bm_pvalue)
    small = np.minimum(c.sum(-1), d.sum(-1)) < PERMUTATION_MIN_N
    if test == "brunner-munzel":
        permute = flat
    elif test == "brunner-munzel-permutation":
        permute = np.ones_like(flat)
    else:
        permute = flat | small
    p = stats.bm_pvalue.copy()
    if permute.any():
        p[permute] = brunner_munzel_permutation(c[permute], d[permute], n_permutations=n_permutations,
                                                random_state=random_state)
    return p


# ---------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ItemGap(ResultMixin):
    """One item: both sides' levels, the signed gap (customers - company) and its tests.

    ``gap``, ``ci_lower``, ``ci_upper``: difference of means in scale points with a Welch interval.
    ``top_box_*``: shares in percent; ``top_box_gap`` with a Newcombe interval in percentage points.
    ``effect_size``: Cliff's delta (customers over company) with its interval.
    ``pvalue``: two-sided rank test (``test``, ``test_reason``); ``pvalue_adjusted`` across items.
    """

    item: str
    dimension: str | None
    n_company: int
    n_customers: int
    mean_company: float
    mean_customers: float
    gap: float
    ci_lower: float
    ci_upper: float
    top_box_company: float
    top_box_customers: float
    top_box_gap: float
    top_box_ci_lower: float
    top_box_ci_upper: float
    effect_size: float
    effect_size_ci_lower: float
    effect_size_ci_upper: float
    test: str
    test_reason: str
    statistic: float
    pvalue: float
    pvalue_adjusted: float
    equivalence_pvalue: float
    equivalence_pvalue_adjusted: float
    label: str


@dataclass(frozen=True)
class DimensionGap(ResultMixin):
    """One dimension: gap of respondent-level dimension means with a bootstrap interval.

    A respondent's dimension score is the mean of the dimension's items they answered. ``gap`` =
    mean customer score - mean company score; ``ci_lower``/``ci_upper`` a percentile bootstrap over
    respondents (each side resampled separately). ``pvalue``: the same rank-test rule as the items,
    on the respondent scores; ``pvalue_adjusted`` across dimensions.
    """

    dimension: str
    items: tuple[str, ...]
    n_company: int
    n_customers: int
    mean_company: float
    mean_customers: float
    gap: float
    ci_lower: float
    ci_upper: float
    effect_size: float
    effect_size_ci_lower: float
    effect_size_ci_upper: float
    test: str
    test_reason: str
    pvalue: float
    pvalue_adjusted: float
    label: str


@dataclass(frozen=True)
class GapResult(GapTables):
    """Company versus customers, item by item and dimension by dimension.

    ``family`` and ``dimension_family`` state which p-values were corrected together.
    """

    items: tuple[ItemGap, ...]
    dimensions: tuple[DimensionGap, ...]
    scale: tuple[int, int]
    top_box: int
    test: str
    correction: str
    alpha: float
    family: str
    dimension_family: str
    confidence_level: float
    equivalence_margin: float | None
    n_bootstrap: int
    n_permutations: int
    n_company: int
    n_customers: int
    method: str

    _dimension_type = DimensionGap


def bootstrap_means(
    scores: np.ndarray, n_resamples: int, rng: np.random.Generator, chunk: int = 256,
) -> np.ndarray:
    """(n_resamples, D) means of respondent scores (NaN = no score) under resampling of respondents.

    Each resample is a multinomial weight vector over respondents, so the means are two matrix
    products per chunk (no loop over respondents).
    """
    n, dims = scores.shape
    mask = ~np.isnan(scores)
    filled = np.where(mask, scores, 0.0)
    out = np.empty((n_resamples, dims))
    probs = np.full(n, 1.0 / n)
    for start in range(0, n_resamples, chunk):
        size = min(chunk, n_resamples - start)
        weights = rng.multinomial(n, probs, size=size).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[start:start + size] = (weights @ filled) / (weights @ mask)
    return out


def dimension_scores(answers: np.ndarray, columns: list[list[int]]) -> np.ndarray:
    """(respondents, D): mean of each dimension's answered items; NaN when none answered."""
    out = np.full((answers.shape[0], len(columns)), np.nan)
    for j, cols in enumerate(columns):
        block = answers[:, cols]
        answered = (~np.isnan(block)).sum(1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, j] = np.where(answered > 0, np.nansum(block, 1) / answered, np.nan)
    return out


def value_counts_pair(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts of two samples over the sorted union of their values."""
    values, inverse = np.unique(np.concatenate([x, y]), return_inverse=True)
    cx = np.bincount(inverse[: len(x)], minlength=len(values)).astype(float)
    cy = np.bincount(inverse[len(x):], minlength=len(values)).astype(float)
    return values, cx, cy


def survey_gap(
    company: Table,
    customers: Table,
    *,
    items: Sequence[str] | Mapping[str, str] | None = None,
    scale: tuple[int, int] = (1, 5),
    dimensions: Mapping[str, Sequence[str]] | Mapping[str, str] | str | None = None,
    correction: str = "fdr_bh",
    alpha: float = 0.05,
    test: GapTest = "auto",
    top_box: int = 1,
    equivalence_margin: float | None = None,
    confidence_level: float = 0.95,
    n_bootstrap: int = 2000,
    n_permutations: int = 9999,
    random_state: int | np.random.Generator | None = 2026,
    layout: Literal["auto", "wide", "long"] = "auto",
    respondent: str = "respondent",
    item_column: str = "item",
    answer: str = "answer",
) -> GapResult:
    """How the company sees its service against how customers see it, item by item.

    For each item (two independent groups of respondents; SERVQUAL's Gap 1 frame, Parasuraman,
    Zeithaml & Berry 1985):

    - each side's ``n``, mean and top-box share (the top ``top_box`` categories);
    - the signed gap = customers - company: in scale points with a Welch (1947) interval
      ``gap -/+ t_df sqrt(v1/n1 + v2/n2)``, Welch-Satterthwaite df; and in top-box points with
      Newcombe's (1998) hybrid score interval (:func:`newcombe_interval`);
    - a two-sided rank test on the answers: Mann-Whitney (1947) with mid-ranks, tie and continuity
      correction (valid when "no gap" means identical answer distributions), or Brunner & Munzel
      (2000), which tests P(customer > company) = P(customer < company) without assuming equal
      spreads -- with its t approximation, or its studentized permutation version (Neubert &
      Brunner 2007, ``n_permutations`` relabellings, seeded) for small samples. ``test="auto"``
      uses Brunner-Munzel: the t approximation when both sides have at least
      ``PERMUTATION_MIN_N`` (50) answers, the permutation version otherwise. (A variance-ratio rule
      choosing Mann-Whitney when spreads look similar inflates the false discovery rate when the
      company's spread really differs: see docs/survey_gap.md.) Each item says which test it used
      and why;
    - Cliff's (1993) delta, P(customer > company) - P(customer < company), with the Feng & Cliff
      (2004) interval (:func:`cliffs_delta`);
    - p-values adjusted across the items (``correction``: any method of statsmodels'
      ``multipletests``, default Benjamini-Hochberg 1995 FDR; ``"none"`` to skip);
    - a label: ``gap`` (company rates itself higher; adjusted p <= ``alpha`` and delta < 0),
      ``reverse gap`` (customers rate higher), ``equivalent`` (only with ``equivalence_margin``:
      not significantly different and Welch two one-sided tests (Schuirmann 1987) show the mean
      gap within +/- margin, adjusted across items) or ``no clear gap``.

    Dimensions: a respondent's dimension score is the mean of the dimension's items they answered;
    the dimension gap is the difference of mean scores with a percentile bootstrap interval
    (``n_bootstrap`` resamples of respondents within each side, seeded by ``random_state``), the same
    rank-test rule on the respondent scores and its own correction across dimensions.

    Difference scores alone are unreliable (Brown, Churchill & Peter 1993): the result always keeps
    both sides' levels next to the gap.

    Args:
        company: company-side answers (DataFrame or CSV/Excel/Parquet path), wide (one column per
            item, optional ``respondent`` column) or long (``respondent``, ``item``, ``answer``).
        customers: customer-side answers, same layout rules.
        items: the items to compare (default: all item columns, which must be the same on both
            sides), or a mapping item -> dimension.
        scale: lowest and highest answer, e.g. ``(1, 5)``; NaN/blank = not answered.
        dimensions: mapping dimension -> items or item -> dimension, or ``"self-assessment"`` (the
            seven areas; the default when all items are self-assessment statement ids). Items in
            no dimension are only compared item by item.
        correction, alpha: multiplicity correction and the level for labels.
        test: ``"auto"``, ``"mann-whitney"``, ``"brunner-munzel"`` (t approximation) or
            ``"brunner-munzel-permutation"``.
        top_box: how many of the highest categories count as top box.
        equivalence_margin: margin in scale points for the equivalence label (None = off).
        confidence_level: level of all intervals.
        n_bootstrap, n_permutations, random_state: dimension bootstrap, permutation tests, seed.
        layout, respondent, item_column, answer: input layout and column names.

    Returns:
        :class:`GapResult` (``to_frame()`` / ``table()`` per item, ``dimension_table()``,
        ``records()`` for ``results.json``).
    """
    from scipy.stats import t as student_t

    check_confidence_level(confidence_level)
    check_correction(correction, alpha)
    if test not in GAP_TESTS:
        raise NPSInputError(f"test must be one of {', '.join(GAP_TESTS)}, got {test!r}")
    lo, hi = check_scale(scale)
    levels = np.arange(lo, hi + 1, dtype=float)
    if not isinstance(top_box, int) or not 1 <= top_box < len(levels):
        raise NPSInputError(f"top_box must be an integer from 1 to {len(levels) - 1}, got {top_box!r}")
    if equivalence_margin is not None and not (equivalence_margin > 0):
        raise NPSInputError(f"equivalence_margin must be positive, got {equivalence_margin!r}")
    if not isinstance(n_bootstrap, int) or n_bootstrap < 100:
        raise NPSInputError(f"n_bootstrap must be an integer >= 100, got {n_bootstrap!r}")
    if not isinstance(n_permutations, int) or n_permutations < 99:
        raise NPSInputError(f"n_permutations must be an integer >= 99, got {n_permutations!r}")

    sides = ("company", "customers")
    comp_frame, comp_src = read_item_table(company, what="company data")
    cust_frame, cust_src = read_item_table(customers, what="customer data")
    comp_layout = detect_layout(comp_frame, layout, item_column, answer)
    cust_layout = detect_layout(cust_frame, layout, item_column, answer)
    common = {"respondent": respondent, "item_column": item_column, "answer": answer}
    chosen = resolve_items(
        items,
        available_items(comp_frame, comp_layout, src=comp_src, what="company data", **common),
        available_items(cust_frame, cust_layout, src=cust_src, what="customer data", **common),
        company_file=comp_src.file, customer_file=cust_src.file, sides=sides,
    )
    dims = resolve_dimensions(dimensions, items, chosen)
    comp = read_side(comp_frame, chosen, layout=comp_layout, scale=(lo, hi), src=comp_src,
                      what="company data", **common)
    cust = read_side(cust_frame, chosen, layout=cust_layout, scale=(lo, hi), src=cust_src,
                      what="customer data", **common)

    c_counts = category_counts(comp.answers, levels)
    d_counts = category_counts(cust.answers, levels)
    n1, m1, v1 = scale_moments(c_counts, levels)
    n2, m2, v2 = scale_moments(d_counts, levels)
    for name, n_side, side in (("company", n1, comp), ("customer", n2, cust)):
        few = [(chosen[j], int(n_side[j])) for j in np.flatnonzero(n_side < 2)]
        if few:
            raise NPSInputError(
                f"{name} data: item(s) with fewer than 2 answers, too few to compare: "
                + ", ".join(f"{i} ({k})" for i, k in few),
                file=side.src.file, column=few[0][0],
            )

    gap = m2 - m1
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(v1 / n1 + v2 / n2)
        df = se**4 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
        tq = student_t.ppf(0.5 + confidence_level / 2, df)
    ci_lo = np.where(se > 0, gap - tq * se, np.nan)
    ci_hi = np.where(se > 0, gap + tq * se, np.nan)

    tb1 = c_counts[:, -top_box:].sum(-1)
    tb2 = d_counts[:, -top_box:].sum(-1)
    tb_lo, tb_hi = newcombe_interval(tb2, n2, tb1, n1, confidence_level=confidence_level)

    perm_rng = permutation_rng(random_state)
    tests = _item_tests(c_counts, d_counts, levels, test, n_permutations=n_permutations, rng=perm_rng)
    stats: RankStats = tests["stats"]
    p_adj = adjust_family(tests["pvalue"], correction, alpha)
    eff_lo, eff_hi = cliff_interval(stats.delta, stats.delta_variance, n1 + n2 - 2, confidence_level)

    if equivalence_margin is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            p_low = student_t.sf((gap + equivalence_margin) / se, df)
            p_up = student_t.cdf((gap - equivalence_margin) / se, df)
        eq_p = np.where(se > 0, np.maximum(p_low, p_up), np.where(np.abs(gap) < equivalence_margin, 0.0, 1.0))
        eq_adj = adjust_family(eq_p, correction, alpha)
    else:
        eq_p = eq_adj = np.full(len(chosen), np.nan)

    item_dim = {i: d for d, members in dims.items() for i in members}
    rows = []
    for j, name in enumerate(chosen):
        significant = bool(p_adj[j] <= alpha)
        equivalent = bool(equivalence_margin is not None and eq_adj[j] <= alpha)
        rows.append(ItemGap(
            item=name, dimension=item_dim.get(name), n_company=int(n1[j]), n_customers=int(n2[j]),
            mean_company=float(m1[j]), mean_customers=float(m2[j]), gap=float(gap[j]),
            ci_lower=float(ci_lo[j]), ci_upper=float(ci_hi[j]),
            top_box_company=float(100 * tb1[j] / n1[j]), top_box_customers=float(100 * tb2[j] / n2[j]),
            top_box_gap=float(100 * (tb2[j] / n2[j] - tb1[j] / n1[j])),
            top_box_ci_lower=float(100 * tb_lo[j]), top_box_ci_upper=float(100 * tb_hi[j]),
            effect_size=float(stats.delta[j]), effect_size_ci_lower=float(eff_lo[j]),
            effect_size_ci_upper=float(eff_hi[j]), test=tests["tests"][j],
            test_reason=tests["reasons"][j], statistic=float(tests["statistic"][j]),
            pvalue=float(tests["pvalue"][j]), pvalue_adjusted=float(p_adj[j]),
            equivalence_pvalue=float(eq_p[j]), equivalence_pvalue_adjusted=float(eq_adj[j]),
            label=gap_label(significant, float(stats.delta[j]), equivalent),
        ))

    dim_rows = _dimension_gaps(comp.answers, cust.answers, chosen, dims, test=test,
                               correction=correction, alpha=alpha, confidence_level=confidence_level,
                               n_bootstrap=n_bootstrap, random_state=random_state,
                               n_permutations=n_permutations, perm_rng=perm_rng)
    return GapResult(
        items=tuple(rows), dimensions=tuple(dim_rows), scale=(lo, hi), top_box=top_box, test=test,
        correction=correction, alpha=float(alpha), family=family_text(len(chosen), "item", correction),
        dimension_family=family_text(len(dim_rows), "dimension", correction) if dim_rows else "",
        confidence_level=confidence_level, equivalence_margin=equivalence_margin,
        n_bootstrap=n_bootstrap, n_permutations=n_permutations, n_company=int(comp.answers.shape[0]),
        n_customers=int(cust.answers.shape[0]),
        method="survey gap: customers minus company; Welch mean interval, Newcombe top-box interval, "
               "rank test per item, Cliff's delta, bootstrap dimension intervals",
    )


def rng_of(random_state: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)


def permutation_rng(random_state: int | np.random.Generator | None) -> np.random.Generator:
    """A stream for permutation tests, separate from the bootstrap's for the same integer seed."""
    if isinstance(random_state, np.random.Generator) or random_state is None:
        return rng_of(random_state)
    return np.random.default_rng([int(random_state), 7041])


def _dimension_gaps(
    company: np.ndarray, customers: np.ndarray, chosen: list[str], dims: dict[str, list[str]], *,
    test: str, correction: str, alpha: float, confidence_level: float, n_bootstrap: int,
    random_state: int | np.random.Generator | None, n_permutations: int, perm_rng: np.random.Generator,
) -> list[DimensionGap]:
    if not dims:
        return []
    index = {name: j for j, name in enumerate(chosen)}
    columns = [[index[i] for i in members] for members in dims.values()]
    sc = dimension_scores(company, columns)
    sd = dimension_scores(customers, columns)
    rng = rng_of(random_state)
    boot = bootstrap_means(sd, n_bootstrap, rng) - bootstrap_means(sc, n_bootstrap, rng)
    a = (1 - confidence_level) / 2
    with np.errstate(invalid="ignore"):
        ci = np.nanquantile(boot, [a, 1 - a], axis=0)
    pieces = []
    for j, dim in enumerate(dims):
        x = sc[:, j][~np.isnan(sc[:, j])]
        y = sd[:, j][~np.isnan(sd[:, j])]
        if len(x) < 2 or len(y) < 2:
            raise NPSInputError(f"dimension {dim!r}: fewer than 2 respondents on a side", column=dim)
        values, cx, cy = value_counts_pair(x, y)
        res = _item_tests(cx[None], cy[None], values, test, n_permutations=n_permutations, rng=perm_rng)
        st: RankStats = res["stats"]
        lo, hi = cliff_interval(st.delta, st.delta_variance, len(x) + len(y) - 2, confidence_level)
        pieces.append((dim, x, y, res, st, float(lo[0]), float(hi[0])))
    p_adj = adjust_family(np.array([p[3]["pvalue"][0] for p in pieces]), correction, alpha)
    out = []
    for j, (dim, x, y, res, st, lo, hi) in enumerate(pieces):
        out.append(DimensionGap(
            dimension=dim, items=tuple(dims[dim]), n_company=len(x), n_customers=len(y),
            mean_company=float(x.mean()), mean_customers=float(y.mean()),
            gap=float(y.mean() - x.mean()), ci_lower=float(ci[0, j]), ci_upper=float(ci[1, j]),
            effect_size=float(st.delta[0]), effect_size_ci_lower=lo, effect_size_ci_upper=hi,
            test=res["tests"][0], test_reason=res["reasons"][0], pvalue=float(res["pvalue"][0]),
            pvalue_adjusted=float(p_adj[j]),
            label=gap_label(bool(p_adj[j] <= alpha), float(st.delta[0])),
        ))
    return out


# ------------------------------------------------------------------------------ paired design


# ----------------------------------------------------------------- the superior-service headline


# --------------------------------------------------------------------- the service self-assessment


# ----------------------------------------------------------------- importance-performance analysis


# ------------------------------------------------------------------------------------ narrative


# ------------------------------------------------------------------------- notebook convenience


# ---------------------------------------------------------------------------- command line


