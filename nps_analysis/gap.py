"""Company versus customer perception of service: item and dimension gaps, the paired
(expectation-perception) design, the superior-service headline, the service self-assessment and
importance-performance analysis.

Every statistic works on answer counts per scale category where the method allows (rank tests,
Cliff's delta, Newcombe intervals); only the dimension bootstrap and the paired design need
respondent rows, and they are vectorized over respondents.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .errors import NPSInputError, describe_rows
from .intervals import check_confidence_level, newcombe_interval
from .results import ResultMixin, jsonable
from .scoring import wilson_limits as _wilson

# --------------------------------------------------------------------------------- constants

#: Labels of an item or dimension gap (customers minus company, two-sided).
GAP_LABELS: tuple[str, ...] = ("gap", "reverse gap", "no clear gap", "equivalent")

#: Named sets of dimensions; a mapping whose dimension names all belong to one set is shown in
#: that set's order.
DIMENSION_SETS: dict[str, tuple[str, ...]] = {
    # The three dimensions of customer service (DOMAIN.md).
    "service": ("business", "human", "hidden"),
    # Parasuraman, Zeithaml & Berry (1988).
    "servqual": ("tangibles", "reliability", "responsiveness", "assurance", "empathy"),
    "self-assessment": (
        "culture", "products", "comments", "knowing", "contact", "staff", "improvement",
    ),
}

#: The seven areas of the service self-assessment: area id -> title.
SELF_ASSESSMENT_AREAS: dict[str, str] = {
    "culture": "Customer-centred culture",
    "products": "Customer-oriented products",
    "comments": "Responding to comments",
    "knowing": "Knowing the customers",
    "contact": "Ease of contact",
    "staff": "Staff competence",
    "improvement": "Active improvement",
}

#: The 25 statements with their stable ids, in the order of the self-assessment.
SELF_ASSESSMENT_STATEMENTS: dict[str, str] = {
    "culture_1": "We are determined to do everything to satisfy our customers.",
    "culture_2": "We strive to get it right the first time.",
    "culture_3": "As owner I show others how important customer service is.",
    "culture_4": "Our customers' needs come before our internal needs.",
    "products_1": "We aim for cooperation in our sales.",
    "products_2": "We do not promise in our marketing what we cannot deliver.",
    "products_3": "We understand the features and benefits that matter most to our customers.",
    "products_4": "We develop new products or services from what customers tell us.",
    "comments_1": "We investigate complaints.",
    "comments_2": "We ask customers for advice all the time.",
    "comments_3": "From feedback we regularly look for ways to remove errors.",
    "knowing_1": "We know what our customers expect from us.",
    "knowing_2": "We communicate with them often.",
    "knowing_3": "Every employee knows what matters to customers.",
    "contact_1": "We make the relationship easy for customers.",
    "contact_2": "We aim to resolve every complaint.",
    "contact_3": "We encourage going beyond what the customer expects.",
    "staff_1": "I respect my employees.",
    "staff_2": "All staff fully understand our products or services.",
    "staff_3": "Every employee has the skills and tools for the job.",
    "staff_4": "Every employee is encouraged to solve customer problems.",
    "staff_5": "The whole team sees customer satisfaction as part of the job.",
    "improvement_1": "We always try to improve our processes and products.",
    "improvement_2": "We talk with other groups to learn their strengths and weaknesses.",
    "improvement_3": "When we hit a problem we solve it quickly.",
}

#: Self-assessment bands on the total (sum of the seven area means, 7-35): (lowest total, band).
SELF_ASSESSMENT_BANDS: tuple[tuple[float, str], ...] = (
    (28.0, "asset"),
    (21.0, "adequate"),
    (-math.inf, "losing customers"),
)

#: Importance-performance quadrants (Martilla & James 1977).
IPA_QUADRANTS: tuple[str, ...] = (
    "concentrate here", "keep up the good work", "low priority", "possible overkill",
)

CORRECTION_NAMES: dict[str, str] = {
    "fdr_bh": "Benjamini-Hochberg false discovery rate",
    "fdr_by": "Benjamini-Yekutieli false discovery rate",
    "holm": "Holm family-wise error rate",
    "bonferroni": "Bonferroni family-wise error rate",
    "hommel": "Hommel family-wise error rate",
    "none": "no correction",
}

GapTest = Literal["auto", "mann-whitney", "brunner-munzel", "brunner-munzel-permutation"]
_TESTS = ("auto", "mann-whitney", "brunner-munzel", "brunner-munzel-permutation")
_STATEMENT_PATTERN = re.compile(r"^(" + "|".join(SELF_ASSESSMENT_AREAS) + r")_\d+$")
#: ``test="auto"``: Brunner-Munzel's t approximation when both sides have at least this many
#: answers, its studentized permutation version below. benchmarks/gap_fdr.py: with 20 items the
#: false discovery rate depends on p-values near 0.05/20, where the t approximation is liberal at a
#: company side of 30 (FDR 6.0% +/- 0.7 at a 5% target) but not at 100; choosing Mann-Whitney by a
#: variance-ratio rule is not safe at all when spreads differ.
PERMUTATION_MIN_N = 50
#: Totals are sums of means; compare against band limits with this tolerance so 28 is 28.
_BAND_TOLERANCE = 1e-9


def statement_area(statement_id: str) -> str:
    """The self-assessment area of a statement id (``"staff_3"`` -> ``"staff"``)."""
    if statement_id not in SELF_ASSESSMENT_STATEMENTS:
        raise NPSInputError(
            f"unknown self-assessment statement {statement_id!r}; the ids are "
            f"{', '.join(SELF_ASSESSMENT_STATEMENTS)}"
        )
    return statement_id.rsplit("_", 1)[0]


def self_assessment_band(total: float) -> str:
    """Band of a self-assessment total: >= 28 asset, 21 <= total < 28 adequate, < 21 losing customers."""
    if total is None or not math.isfinite(total):
        raise ValueError(f"a self-assessment total must be a finite number, got {total!r}")
    for lowest, band in SELF_ASSESSMENT_BANDS:
        if total >= lowest - _BAND_TOLERANCE:
            return band
    raise AssertionError("unreachable")  # pragma: no cover


# ------------------------------------------------------------------------------- input reading

Table = pd.DataFrame | str | Path


@dataclass(frozen=True)
class _Src:
    """Where a frame came from: the file (None for a DataFrame) and how row positions map to the
    row numbers an analyst sees (io.py's convention: CSV/Excel lines with the header as line 1,
    Parquet/SPSS 1-based data rows, DataFrames 0-based positions)."""

    file: str | None = None
    offset: int = 0

    def row(self, position: int) -> int:
        return int(position) + self.offset


def read_table(source: Table, *, what: str = "data") -> tuple[pd.DataFrame, _Src]:
    """A DataFrame as is, or a survey export read with :func:`nps_analysis.io.read_table`."""
    if isinstance(source, pd.DataFrame):
        return source, _Src()
    if not isinstance(source, (str, Path)) or str(source) == "":
        raise NPSInputError(f"{what}: expected a DataFrame or a file path, got {source!r}")
    from .io import read_table as read_export

    frame, fmt = read_export(source)
    return frame, _Src(str(source), 2 if fmt in {"csv", "excel"} else 1)


def _validated_answers(
    raw: pd.Series, *, scale: tuple[int, int], column: str, src: _Src, what: str,
    allow_missing: bool = True,
) -> np.ndarray:
    """Answers as floats (NaN = not answered); anything else than an integer on the scale raises."""
    lo, hi = scale
    if pd.api.types.is_bool_dtype(raw.dtype):
        raise NPSInputError(f"{what}: answers must be numbers on the {lo}-{hi} scale, found booleans",
                            file=src.file, column=column)
    if pd.api.types.is_numeric_dtype(raw.dtype):
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan, copy=True)
        unparsable = np.zeros(len(values), dtype=bool)
    else:
        text = raw.astype("string").str.strip()
        blank = text.eq("").fillna(True).to_numpy(dtype=bool) | raw.isna().to_numpy()
        numbers = pd.to_numeric(text.mask(text.eq("")), errors="coerce")
        values = numbers.to_numpy(dtype=float, na_value=np.nan, copy=True)
        unparsable = np.isnan(values) & ~blank
    finite = np.isfinite(values)
    problems: list[tuple[str, np.ndarray]] = [
        ("not a number", unparsable),
        ("not a whole number", finite & (values != np.round(values))),
        (f"outside the {lo}-{hi} scale", finite & (values == np.round(values)) & ((values < lo) | (values > hi))),
        ("infinite", np.isinf(values)),
    ]
    if not allow_missing:
        problems.append(("missing", np.isnan(values) & ~unparsable))
    for problem, mask in problems:
        if mask.any():
            positions = np.flatnonzero(mask)
            rows = [(src.row(p), raw.iloc[p]) for p in positions[:5]]
            raise NPSInputError(
                f"{what}: {len(positions)} answer(s) {problem}: {describe_rows(rows)}",
                file=src.file, column=column, rows=rows, count=len(positions),
            )
    values[~finite] = np.nan
    return values


@dataclass(frozen=True)
class _Side:
    """One side's answers: a respondents x items matrix (NaN = not answered)."""

    answers: np.ndarray
    respondents: np.ndarray
    items: tuple[str, ...]
    src: _Src


def _detect_layout(frame: pd.DataFrame, layout: str, item_column: str, answer: str) -> str:
    if layout not in {"auto", "wide", "long"}:
        raise NPSInputError(f"layout must be 'auto', 'wide' or 'long', got {layout!r}")
    if layout != "auto":
        return layout
    return "long" if item_column in frame.columns and answer in frame.columns else "wide"


def _available_items(
    frame: pd.DataFrame, layout: str, *, respondent: str, item_column: str, answer: str,
    src: _Src, what: str,
) -> list[str]:
    if layout == "long":
        for col in (item_column, answer):
            if col not in frame.columns:
                raise NPSInputError(f"{what}: long data needs columns {item_column!r} and {answer!r}",
                                    file=src.file, column=col)
        return [str(v) for v in pd.unique(frame[item_column].dropna().astype(str))]
    return [str(c) for c in frame.columns if str(c) != respondent]


def _read_side(
    frame: pd.DataFrame, items: Sequence[str], *, layout: str, scale: tuple[int, int],
    respondent: str, item_column: str, answer: str, src: _Src, what: str,
) -> _Side:
    items = tuple(items)
    if layout == "long":
        if respondent not in frame.columns:
            raise NPSInputError(f"{what}: long data needs a respondent column {respondent!r}",
                                file=src.file, column=respondent)
        item_values = frame[item_column].astype("string").str.strip()
        unknown = ~item_values.isin(items).fillna(False).to_numpy(dtype=bool)
        if unknown.any():
            positions = np.flatnonzero(unknown)
            rows = [(src.row(p), frame[item_column].iloc[p]) for p in positions[:5]]
            raise NPSInputError(
                f"{what}: {len(positions)} row(s) name an unknown item (known: {', '.join(items)}): "
                f"{describe_rows(rows)}", file=src.file, column=item_column, rows=rows, count=len(positions),
            )
        values = _validated_answers(frame[answer], scale=scale, column=answer, src=src, what=what)
        keys = pd.DataFrame({"respondent": frame[respondent].to_numpy(), "item": item_values.to_numpy(dtype=object)})
        dup = keys.duplicated(keep=False).to_numpy()
        if dup.any():
            positions = np.flatnonzero(dup)
            rows = [(src.row(p), f"{keys['respondent'].iloc[p]}/{keys['item'].iloc[p]}") for p in positions[:5]]
            raise NPSInputError(
                f"{what}: {len(positions)} rows repeat a respondent/item pair: {describe_rows(rows)}",
                file=src.file, column=item_column, rows=rows, count=len(positions),
            )
        resp_codes, resp_ids = pd.factorize(keys["respondent"], sort=False)
        if (resp_codes < 0).any():
            positions = np.flatnonzero(resp_codes < 0)
            rows = [(src.row(p), None) for p in positions[:5]]
            raise NPSInputError(f"{what}: {len(positions)} rows without a respondent id: {describe_rows(rows)}",
                                file=src.file, column=respondent, rows=rows, count=len(positions))
        item_codes = pd.Index(items).get_indexer(keys["item"])
        matrix = np.full((len(resp_ids), len(items)), np.nan)
        matrix[resp_codes, item_codes] = values
        return _Side(matrix, np.asarray(resp_ids, dtype=object), items, src)
    missing = [i for i in items if i not in frame.columns]
    if missing:
        raise NPSInputError(f"{what}: item column(s) not found: {', '.join(missing)}", file=src.file,
                            column=missing[0])
    columns = [
        _validated_answers(frame[i], scale=scale, column=i, src=src, what=what) for i in items
    ]
    matrix = np.column_stack(columns) if columns else np.empty((len(frame), 0))
    ids = frame[respondent].to_numpy(dtype=object) if respondent in frame.columns else frame.index.to_numpy(dtype=object)
    return _Side(matrix, ids, items, src)


def _check_scale(scale: Sequence[int]) -> tuple[int, int]:
    try:
        lo, hi = (int(scale[0]), int(scale[1]))
    except (TypeError, ValueError, IndexError):
        raise NPSInputError(f"scale must be a pair of integers such as (1, 5), got {scale!r}") from None
    if lo != scale[0] or hi != scale[1] or hi <= lo or hi - lo > 100:
        raise NPSInputError(f"scale must be two integers low < high such as (1, 5), got {scale!r}")
    return lo, hi


def _resolve_items(
    items: Sequence[str] | Mapping[str, str] | None,
    company_items: list[str], customer_items: list[str],
    *, company_file: str | None, customer_file: str | None, sides: tuple[str, str],
) -> list[str]:
    if items is None:
        only_company = [i for i in company_items if i not in customer_items]
        only_customers = [i for i in customer_items if i not in company_items]
        if only_company or only_customers:
            parts = []
            if only_company:
                parts.append(f"only in the {sides[0]} data: {', '.join(only_company)}")
            if only_customers:
                parts.append(f"only in the {sides[1]} data: {', '.join(only_customers)}")
            raise NPSInputError(
                "items on one side only (" + "; ".join(parts) + "); pass items= to choose the items",
                file=company_file if only_company else customer_file,
                column=(only_company or only_customers)[0],
            )
        chosen = list(company_items)
    else:
        chosen = [str(i) for i in (items.keys() if isinstance(items, Mapping) else items)]
        if isinstance(items, str):
            raise NPSInputError("items must be a list of item names or a mapping item -> dimension")
        for name, available, file in (
            (sides[0], company_items, company_file), (sides[1], customer_items, customer_file)
        ):
            missing = [i for i in chosen if i not in available]
            if missing:
                raise NPSInputError(f"item(s) missing from the {name} data: {', '.join(missing)}",
                                    file=file, column=missing[0])
    if not chosen:
        raise NPSInputError("no items to compare")
    if len(set(chosen)) != len(chosen):
        raise NPSInputError(f"items repeat: {chosen}")
    return chosen


def _resolve_dimensions(
    dimensions: Mapping[str, Sequence[str]] | Mapping[str, str] | str | None,
    items: Sequence[str] | Mapping[str, str] | None,
    chosen: list[str],
) -> dict[str, list[str]]:
    """dimension -> items, in a canonical order when the names belong to a known set."""
    item_to_dim: dict[str, str] = {}
    if dimensions is None and isinstance(items, Mapping):
        dimensions = dict(items)
    if dimensions is None:
        if chosen and all(i in SELF_ASSESSMENT_STATEMENTS for i in chosen):
            dimensions = "self-assessment"
        else:
            return {}
    if isinstance(dimensions, str):
        if dimensions != "self-assessment":
            raise NPSInputError(
                f"dimensions as a string must be 'self-assessment' (the seven areas), got {dimensions!r}; "
                "otherwise pass a mapping dimension -> items or item -> dimension"
            )
        unknown = [i for i in chosen if i not in SELF_ASSESSMENT_STATEMENTS]
        if unknown:
            raise NPSInputError(f"not self-assessment statement ids: {', '.join(unknown)}", column=unknown[0])
        item_to_dim = {i: statement_area(i) for i in chosen}
    elif isinstance(dimensions, Mapping):
        values = list(dimensions.values())
        if all(isinstance(v, str) or v is None for v in values):
            item_to_dim = {str(k): str(v) for k, v in dimensions.items() if v not in (None, "")}
        else:
            for dim, members in dimensions.items():
                if isinstance(members, str):
                    raise NPSInputError(f"dimension {dim!r}: expected a list of items, got {members!r}")
                for member in members:
                    if str(member) in item_to_dim:
                        raise NPSInputError(f"item {member!r} is in two dimensions", column=str(member))
                    item_to_dim[str(member)] = str(dim)
    else:
        raise NPSInputError(f"dimensions must be a mapping or 'self-assessment', got {dimensions!r}")
    unknown = [i for i in item_to_dim if i not in chosen]
    if unknown:
        raise NPSInputError(f"dimensions name unknown item(s): {', '.join(unknown)}", column=unknown[0])
    order: list[str] = []
    for i in chosen:
        d = item_to_dim.get(i)
        if d is not None and d not in order:
            order.append(d)
    for known in DIMENSION_SETS.values():
        if order and set(order) <= set(known):
            order = [d for d in known if d in order]
            break
    return {d: [i for i in chosen if item_to_dim.get(i) == d] for d in order}


# ------------------------------------------------------------------------ statistics on counts


def _category_counts(answers: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """(respondents, items) answers -> (items, categories) counts."""
    return np.stack([(answers == v).sum(axis=0) for v in levels], axis=-1).astype(float)


def _moments(counts: np.ndarray, levels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n, mean and sample variance (ddof 1) from category counts (..., K)."""
    n = counts.sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (counts * levels).sum(-1) / n
        var = (counts * (levels - mean[..., None]) ** 2).sum(-1) / (n - 1)
    return n, mean, var


@dataclass(frozen=True)
class _RankStats:
    """Rank statistics of customers (X) against company (Y) for each item (vectorized)."""

    u_customers: np.ndarray        # Mann-Whitney U of the customers: #(X > Y) + #(X = Y) / 2
    mw_pvalue: np.ndarray
    bm_statistic: np.ndarray       # Brunner-Munzel, positive when customers rate higher
    bm_df: np.ndarray
    bm_pvalue: np.ndarray          # NaN when its variance estimate is 0 (degenerate)
    delta: np.ndarray              # Cliff's delta P(X > Y) - P(X < Y)
    delta_variance: np.ndarray     # consistent variance estimate (Cliff 1996; Feng & Cliff 2004)


def _brunner_munzel(c: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Brunner & Munzel (2000) statistic, Welch-type df and ``n1 s1^2 + n2 s2^2`` from counts (..., K).

    With pooled mid-ranks ``R`` and internal mid-ranks ``r``, the placements are ``R - r``; ``s_i^2``
    is the variance of group i's placements (ddof 1) and::

        W = n1 n2 (mean R_customers - mean R_company) / ((n1 + n2) sqrt(n1 s1^2 + n2 s2^2))
        df = (n1 s1^2 + n2 s2^2)^2 / ((n1 s1^2)^2 / (n1 - 1) + (n2 s2^2)^2 / (n2 - 1))

    as scipy.stats.brunnermunzel(company, customers). When both placement variances are 0 (no
    overlap, or no spread) ``W`` is +/-inf if the mean ranks differ and 0 if they do not.
    """
    n1, n2 = c.sum(-1), d.sum(-1)
    total = c + d
    pooled = np.cumsum(total, -1) - total + (total + 1) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_rank_c = (c * pooled).sum(-1) / n1
        mean_rank_d = (d * pooled).sum(-1) / n2
        place_c = pooled - (np.cumsum(c, -1) - c + (c + 1) / 2)
        place_d = pooled - (np.cumsum(d, -1) - d + (d + 1) / 2)
        mean_pc = (c * place_c).sum(-1) / n1
        mean_pd = (d * place_d).sum(-1) / n2
        s1 = (c * (place_c - mean_pc[..., None]) ** 2).sum(-1) / (n1 - 1)
        s2 = (d * (place_d - mean_pd[..., None]) ** 2).sum(-1) / (n2 - 1)
        scale = n1 * s1 + n2 * s2
        diff = mean_rank_d - mean_rank_c
        stat = np.where(scale > 0, n1 * n2 * diff / ((n1 + n2) * np.sqrt(scale)),
                        np.where(np.abs(diff) > 1e-9, np.sign(diff) * np.inf, 0.0))
        df = scale**2 / ((n1 * s1) ** 2 / (n1 - 1) + (n2 * s2) ** 2 / (n2 - 1))
    return stat, df, scale


def _permuted_counts(pooled: np.ndarray, n1: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Company counts of ``size`` random splits of the pooled answers: (size, ..., K).

    A random relabelling of respondents keeps the pooled counts and draws the company's n1
    answers without replacement, i.e. multivariate hypergeometric counts, drawn category by
    category with numpy's (vectorized) hypergeometric sampler.
    """
    pooled = np.asarray(pooled, dtype=np.int64)
    k = pooled.shape[-1]
    left = np.broadcast_to(np.asarray(n1, dtype=np.int64), (size, *pooled.shape[:-1])).copy()
    rest = np.broadcast_to(pooled.sum(-1), left.shape).copy()
    out = np.empty((size, *pooled.shape), dtype=float)
    for j in range(k - 1):
        good = np.broadcast_to(pooled[..., j], left.shape)
        rest -= good
        draw = rng.hypergeometric(good, rest, left) if left.size else left
        out[..., j] = draw
        left = left - draw
    out[..., k - 1] = left
    return out


def _splits(pooled: np.ndarray, n1: int, limit: int) -> np.ndarray | None:
    """Every company count vector x with 0 <= x_k <= pooled_k and sum(x) = n1, as (S, K);
    None when there are more than ``limit``."""
    pooled = np.asarray(pooled, dtype=np.int64)
    capacity_after = np.concatenate([np.cumsum(pooled[::-1])[::-1][1:], [0]])
    parts = np.zeros((1, 0), dtype=np.int64)
    sums = np.zeros(1, dtype=np.int64)
    for k in range(len(pooled)):
        lo = np.maximum(0, n1 - sums - capacity_after[k])
        hi = np.minimum(pooled[k], n1 - sums)
        width = np.maximum(hi - lo + 1, 0)
        if width.sum() > limit:
            return None
        rep = np.repeat(np.arange(len(parts)), width)
        offset = np.arange(width.sum()) - np.repeat(np.cumsum(width) - width, width)
        values = lo[rep] + offset
        parts = np.column_stack([parts[rep], values])
        sums = sums[rep] + values
    return parts


def brunner_munzel_permutation(
    company_counts: np.ndarray, customer_counts: np.ndarray, *, n_permutations: int = 9999,
    random_state: int | np.random.Generator | None = 0, exact_limit: int = 20_000, chunk: int = 2000,
) -> np.ndarray:
    """Two-sided studentized permutation test of Brunner-Munzel (Neubert & Brunner 2007), from counts.

    Neubert, K. & Brunner, E. (2007). A studentized permutation test for the non-parametric
    Behrens-Fisher problem. Computational Statistics & Data Analysis 51, 5192-5204. The statistic
    ``W`` of :func:`_brunner_munzel` is recomputed on relabellings of the pooled answers and
    ``p = P(|W*| >= |W|)``. Exact under identical distributions, asymptotically valid when only the
    spreads differ, and accurate at small samples where the t approximation is liberal.

    With answers on a scale, a relabelling matters only through the company's count vector, whose
    permutation law is multivariate hypergeometric. When there are at most ``exact_limit`` such
    vectors (for a 1-5 item, up to 23 company answers) they are all enumerated and
    weighted, giving the exact permutation p-value (no randomness). Otherwise ``n_permutations``
    random relabellings are drawn (seeded) and ``p = (1 + #{|W*| >= |W|}) / (1 + B)``. Vectorized
    over any leading axes of the (..., K) counts.
    """
    from scipy.special import gammaln

    c = np.asarray(company_counts, float)
    d = np.asarray(customer_counts, float)
    observed = np.abs(_brunner_munzel(c, d)[0])
    pooled = (c + d).astype(np.int64)
    n1 = c.sum(-1).astype(np.int64)
    out = np.full(observed.shape, np.nan)
    sampled = np.zeros(observed.shape, dtype=bool)
    log_factorial = gammaln(np.arange(int(pooled.sum(-1).max(initial=0)) + 1, dtype=float) + 1)  # log k!
    for index in np.ndindex(observed.shape):
        splits = _splits(pooled[index], int(n1[index]), exact_limit)
        if splits is None:
            sampled[index] = True
            continue
        total = pooled[index]
        n_all, m = int(total.sum()), int(n1[index])
        # log of prod_k C(N_k, x_k) / C(N, n1)
        log_w = (log_factorial[total] - log_factorial[splits] - log_factorial[total - splits]).sum(-1)
        log_w -= log_factorial[n_all] - log_factorial[m] - log_factorial[n_all - m]
        stat = np.abs(_brunner_munzel(splits.astype(float), (total - splits).astype(float))[0])
        out[index] = min(1.0, float(np.exp(log_w)[stat >= observed[index] * (1 - 1e-12)].sum()))
    if sampled.any():
        rng = _rng(random_state)
        cs, ds, obs = c[sampled], d[sampled], observed[sampled]
        hits = np.zeros(obs.shape)
        done = 0
        while done < n_permutations:
            size = min(chunk, n_permutations - done)
            perm = _permuted_counts(cs + ds, cs.sum(-1), size, rng)
            stat = np.abs(_brunner_munzel(perm, cs + ds - perm)[0])
            hits += (stat >= obs * (1 - 1e-12)).sum(0)
            done += size
        out[sampled] = (1 + hits) / (1 + n_permutations)
    return out


def _rank_statistics(company: np.ndarray, customers: np.ndarray) -> _RankStats:
    """Mann-Whitney, Brunner-Munzel and Cliff's delta from counts (..., K) over ordered categories.

    Tied answers get mid-ranks. With categories k = 1..K, group counts c (company) and d
    (customers), N = c + d, the pooled mid-rank of category k is ``R_k = sum_{j<k} N_j + (N_k+1)/2``
    and a group's internal mid-rank is ``r_k = sum_{j<k} c_j + (c_k+1)/2``. Everything below is a
    weighted sum over categories, identical to the row-wise formulas.
    """
    from scipy.stats import norm
    from scipy.stats import t as student_t

    c = np.asarray(company, float)
    d = np.asarray(customers, float)
    n1, n2 = c.sum(-1), d.sum(-1)
    n = n1 + n2
    total = c + d
    below_c = np.cumsum(c, -1) - c
    u_cust = (d * (below_c + 0.5 * c)).sum(-1)

    # Mann-Whitney (1947) normal approximation with tie and continuity correction, as in
    # scipy.stats.mannwhitneyu(method="asymptotic", use_continuity=True).
    with np.errstate(invalid="ignore", divide="ignore"):
        u_max = np.maximum(u_cust, n1 * n2 - u_cust)
        tie_term = (total**3 - total).sum(-1)
        sigma = np.sqrt(n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1))))
        z = (u_max - n1 * n2 / 2 - 0.5) / sigma
        mw_p = np.where(sigma > 0, np.minimum(1.0, 2 * norm.sf(z)), 1.0)

    bm, df, scale = _brunner_munzel(c, d)
    with np.errstate(invalid="ignore"):
        bm_p = np.where(scale > 0, 2 * student_t.sf(np.abs(bm), df), np.nan)

    # Cliff's delta with the consistent variance estimate. Dominance sign(x - y) between a
    # customer in category l and a company respondent in category k is sign(l - k).
    k = c.shape[-1]
    sign = np.sign(np.arange(k)[:, None] - np.arange(k)[None, :])  # [l, k]
    with np.errstate(invalid="ignore", divide="ignore"):
        delta = 2 * u_cust / (n1 * n2) - 1
        row = np.einsum("lk,...k->...l", sign, c) / n1[..., None]    # each customer category
        col = np.einsum("lk,...l->...k", sign, d) / n2[..., None]    # each company category
        s_row = (d * (row - delta[..., None]) ** 2).sum(-1) / (n2 - 1)
        s_col = (c * (col - delta[..., None]) ** 2).sum(-1) / (n1 - 1)
        untied = np.einsum("...l,...k,lk->...", d, c, np.abs(sign))
        ssr = untied - delta**2 * n1 * n2
        s_ij = ssr / ((n2 - 1) * (n1 - 1))
        var = ((n1 - 1) * s_row + (n2 - 1) * s_col + s_ij) / (n1 * n2)
    return _RankStats(u_cust, mw_p, bm, df, bm_p, delta, np.maximum(var, 0.0))


def _cliff_interval(
    delta: np.ndarray, variance: np.ndarray, df: np.ndarray | float, confidence_level: float,
    distribution: str = "t",
) -> tuple[np.ndarray, np.ndarray]:
    """Asymmetric interval for Cliff's delta (Feng & Cliff 2004); NaN when the variance is 0."""
    from scipy.stats import norm
    from scipy.stats import t as student_t

    if distribution == "t":
        q = student_t.ppf(0.5 + confidence_level / 2, df)
    elif distribution == "normal":
        q = np.full(np.shape(delta), norm.ppf(0.5 + confidence_level / 2))
    else:
        raise ValueError(f"distribution must be 't' or 'normal', got {distribution!r}")
    with np.errstate(invalid="ignore", divide="ignore"):
        root = q * np.sqrt(variance) * np.sqrt((1 - delta**2) ** 2 + q**2 * variance)
        denom = 1 - delta**2 + q**2 * variance
        lower = (delta - delta**3 - root) / denom
        upper = (delta - delta**3 + root) / denom
    bad = ~(variance > 0)
    return np.where(bad, np.nan, lower), np.where(bad, np.nan, upper)


@dataclass(frozen=True)
class CliffsDelta(ResultMixin):
    """Cliff's delta ``P(X > Y) - P(X < Y)`` with its interval."""

    effect_size: float
    ci_lower: float
    ci_upper: float
    variance: float
    n_x: int
    n_y: int
    confidence_level: float
    method: str


def cliffs_delta(
    x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray, *,
    confidence_level: float = 0.95, distribution: Literal["t", "normal"] = "t",
) -> CliffsDelta:
    """Cliff's delta of ``x`` over ``y`` with the Feng & Cliff (2004) asymmetric interval.

    Cliff, N. (1993). Dominance statistics: ordinal analyses to answer ordinal questions.
    Psychological Bulletin 114, 494-509. Feng, D. & Cliff, N. (2004). Monte Carlo evaluation of
    ordinal d with improved confidence interval. Journal of Modern Applied Statistical Methods 3(2).

    ``d = mean_ij sign(x_i - y_j)``. With row means ``d_i.`` (per x), column means ``d_.j`` (per y)
    the consistent variance estimate is::

        s_d^2 = ((n_y - 1) s^2(d_i.) + (n_x - 1) s^2(d_.j) + s^2(d_ij)) / (n_x n_y)

    with ``s^2(d_i.) = sum (d_i. - d)^2 / (n_x - 1)``, ``s^2(d_.j) = sum (d_.j - d)^2 / (n_y - 1)``,
    ``s^2(d_ij) = sum (d_ij - d)^2 / ((n_x - 1)(n_y - 1))``, and the interval is::

        (d - d^3 -/+ q s_d sqrt((1 - d^2)^2 + q^2 s_d^2)) / (1 - d^2 + q^2 s_d^2)

    where ``q`` is the Student t quantile with ``n_x + n_y - 2`` df (default, as R's effsize) or the
    normal quantile. The bounds are NaN when ``s_d = 0`` (e.g. complete separation), where the
    interval is not defined. Computed from counts over the distinct values, so it is O(values^2).
    """
    check_confidence_level(confidence_level)
    xs = np.asarray(x, dtype=float)
    ys = np.asarray(y, dtype=float)
    xs, ys = xs[~np.isnan(xs)], ys[~np.isnan(ys)]
    if len(xs) < 2 or len(ys) < 2:
        raise NPSInputError("Cliff's delta needs at least 2 values on each side")
    values, inverse = np.unique(np.concatenate([xs, ys]), return_inverse=True)
    cx = np.bincount(inverse[: len(xs)], minlength=len(values)).astype(float)
    cy = np.bincount(inverse[len(xs):], minlength=len(values)).astype(float)
    stats = _rank_statistics(cy, cx)
    lo, hi = _cliff_interval(stats.delta, stats.delta_variance, len(xs) + len(ys) - 2,
                             confidence_level, distribution)
    return CliffsDelta(
        effect_size=float(stats.delta), ci_lower=float(lo), ci_upper=float(hi),
        variance=float(stats.delta_variance), n_x=len(xs), n_y=len(ys),
        confidence_level=confidence_level,
        method=f"Cliff's delta, consistent variance, Feng & Cliff interval ({distribution})",
    )


def _choose_test(
    test: str, var_company: np.ndarray, var_customers: np.ndarray, n1: np.ndarray, n2: np.ndarray,
    degenerate: np.ndarray,
) -> tuple[list[str], list[str], np.ndarray]:
    """Which rank test each item uses and why; returns (tests, reasons, variance ratios)."""
    if test not in _TESTS:
        raise NPSInputError(f"test must be one of {', '.join(_TESTS)}, got {test!r}")
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
    stats = _rank_statistics(company_counts, customer_counts)
    n1, _, v1 = _moments(company_counts, levels)
    n2, _, v2 = _moments(customer_counts, levels)
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
    if test not in _TESTS:
        raise NPSInputError(f"test must be one of {', '.join(_TESTS)}, got {test!r}")
    stats = _rank_statistics(c, d)
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


def _adjust(pvalues: np.ndarray, correction: str, alpha: float) -> np.ndarray:
    """P-values adjusted across one family with statsmodels' multipletests."""
    p = np.asarray(pvalues, float)
    if correction == "none" or p.size == 0:
        return p.copy()
    from statsmodels.stats.multitest import multipletests

    try:
        return np.asarray(multipletests(p, alpha=alpha, method=correction)[1], float)
    except ValueError as exc:
        raise NPSInputError(f"unknown correction {correction!r}: {exc}") from None


def _check_correction(correction: str, alpha: float) -> None:
    if not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise NPSInputError(f"alpha must be between 0 and 1, got {alpha!r}")
    if not isinstance(correction, str):
        raise NPSInputError(f"correction must be a string such as 'fdr_bh', got {correction!r}")
    _adjust(np.array([0.5]), correction, alpha)


def _label(significant: bool, direction: float, equivalent: bool = False) -> str:
    if significant and direction < 0:
        return "gap"
    if significant and direction > 0:
        return "reverse gap"
    if equivalent:
        return "equivalent"
    return "no clear gap"


def _family(count: int, what: str, correction: str) -> str:
    name = CORRECTION_NAMES.get(correction, correction)
    return f"{count} {what}{'' if count == 1 else 's'} of this comparison, {name} ({correction})"


# ---------------------------------------------------------------------------------- results


class _TableResult(ResultMixin):
    """Result with rows: ``to_frame()`` is the row table, the notebook shows it as HTML."""

    _rows_field = "items"

    def to_frame(self) -> pd.DataFrame:
        rows = getattr(self, self._rows_field)
        return pd.DataFrame([dataclasses.asdict(r) for r in rows])

    def _repr_html_(self) -> str:
        table = self.to_frame().to_html(index=False, float_format=lambda v: f"{v:.3g}", na_rep="")
        return f"<p><b>{type(self).__name__}</b></p>{table}"


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


class _GapTables(_TableResult):
    """Tables and records shared by unpaired and paired gap results (items and dimensions)."""

    _dimension_type: type = type(None)  # the dimension row class; set by each result

    def table(self) -> pd.DataFrame:
        """One row per item (all fields)."""
        return self.to_frame()

    def dimension_table(self) -> pd.DataFrame:
        """One row per dimension (all fields)."""
        frame = pd.DataFrame([dataclasses.asdict(d) for d in self.dimensions])
        if frame.empty:
            frame = pd.DataFrame(columns=[f.name for f in dataclasses.fields(self._dimension_type)])
        return frame

    def item(self, name: str) -> Any:
        for row in self.items:
            if row.item == name:
                return row
        raise KeyError(name)

    def dimension(self, name: str) -> Any:
        for row in self.dimensions:
            if row.dimension == name:
                return row
        raise KeyError(name)

    def records(self) -> list[dict[str, Any]]:
        """``[{item, gap, ci_lower, ci_upper, pvalue_adjusted, label}, ...]`` for ``nps.record``."""
        keys = ("item", "dimension", "gap", "ci_lower", "ci_upper", "pvalue_adjusted", "label")
        return [{k: jsonable(getattr(r, k)) for k in keys} for r in self.items]

    def dimension_records(self) -> list[dict[str, Any]]:
        """``[{dimension, gap, ci_lower, ci_upper, pvalue_adjusted, label}, ...]``."""
        keys = ("dimension", "gap", "ci_lower", "ci_upper", "pvalue_adjusted", "label")
        return [{k: jsonable(getattr(r, k)) for k in keys} for r in self.dimensions]


@dataclass(frozen=True)
class GapResult(_GapTables):
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



def _bootstrap_means(
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


def _dimension_scores(answers: np.ndarray, columns: list[list[int]]) -> np.ndarray:
    """(respondents, D): mean of each dimension's answered items; NaN when none answered."""
    out = np.full((answers.shape[0], len(columns)), np.nan)
    for j, cols in enumerate(columns):
        block = answers[:, cols]
        answered = (~np.isnan(block)).sum(1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, j] = np.where(answered > 0, np.nansum(block, 1) / answered, np.nan)
    return out


def _value_counts_pair(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    _check_correction(correction, alpha)
    if test not in _TESTS:
        raise NPSInputError(f"test must be one of {', '.join(_TESTS)}, got {test!r}")
    lo, hi = _check_scale(scale)
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
    comp_frame, comp_src = read_table(company, what="company data")
    cust_frame, cust_src = read_table(customers, what="customer data")
    comp_layout = _detect_layout(comp_frame, layout, item_column, answer)
    cust_layout = _detect_layout(cust_frame, layout, item_column, answer)
    common = {"respondent": respondent, "item_column": item_column, "answer": answer}
    chosen = _resolve_items(
        items,
        _available_items(comp_frame, comp_layout, src=comp_src, what="company data", **common),
        _available_items(cust_frame, cust_layout, src=cust_src, what="customer data", **common),
        company_file=comp_src.file, customer_file=cust_src.file, sides=sides,
    )
    dims = _resolve_dimensions(dimensions, items, chosen)
    comp = _read_side(comp_frame, chosen, layout=comp_layout, scale=(lo, hi), src=comp_src,
                      what="company data", **common)
    cust = _read_side(cust_frame, chosen, layout=cust_layout, scale=(lo, hi), src=cust_src,
                      what="customer data", **common)

    c_counts = _category_counts(comp.answers, levels)
    d_counts = _category_counts(cust.answers, levels)
    n1, m1, v1 = _moments(c_counts, levels)
    n2, m2, v2 = _moments(d_counts, levels)
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

    perm_rng = _permutation_rng(random_state)
    tests = _item_tests(c_counts, d_counts, levels, test, n_permutations=n_permutations, rng=perm_rng)
    stats: _RankStats = tests["stats"]
    p_adj = _adjust(tests["pvalue"], correction, alpha)
    eff_lo, eff_hi = _cliff_interval(stats.delta, stats.delta_variance, n1 + n2 - 2, confidence_level)

    if equivalence_margin is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            p_low = student_t.sf((gap + equivalence_margin) / se, df)
            p_up = student_t.cdf((gap - equivalence_margin) / se, df)
        eq_p = np.where(se > 0, np.maximum(p_low, p_up), np.where(np.abs(gap) < equivalence_margin, 0.0, 1.0))
        eq_adj = _adjust(eq_p, correction, alpha)
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
            label=_label(significant, float(stats.delta[j]), equivalent),
        ))

    dim_rows = _dimension_gaps(comp.answers, cust.answers, chosen, dims, test=test,
                               correction=correction, alpha=alpha, confidence_level=confidence_level,
                               n_bootstrap=n_bootstrap, random_state=random_state,
                               n_permutations=n_permutations, perm_rng=perm_rng)
    return GapResult(
        items=tuple(rows), dimensions=tuple(dim_rows), scale=(lo, hi), top_box=top_box, test=test,
        correction=correction, alpha=float(alpha), family=_family(len(chosen), "item", correction),
        dimension_family=_family(len(dim_rows), "dimension", correction) if dim_rows else "",
        confidence_level=confidence_level, equivalence_margin=equivalence_margin,
        n_bootstrap=n_bootstrap, n_permutations=n_permutations, n_company=int(comp.answers.shape[0]),
        n_customers=int(cust.answers.shape[0]),
        method="survey gap: customers minus company; Welch mean interval, Newcombe top-box interval, "
               "rank test per item, Cliff's delta, bootstrap dimension intervals",
    )


def _rng(random_state: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)


def _permutation_rng(random_state: int | np.random.Generator | None) -> np.random.Generator:
    """A stream for permutation tests, separate from the bootstrap's for the same integer seed."""
    if isinstance(random_state, np.random.Generator) or random_state is None:
        return _rng(random_state)
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
    sc = _dimension_scores(company, columns)
    sd = _dimension_scores(customers, columns)
    rng = _rng(random_state)
    boot = _bootstrap_means(sd, n_bootstrap, rng) - _bootstrap_means(sc, n_bootstrap, rng)
    a = (1 - confidence_level) / 2
    with np.errstate(invalid="ignore"):
        ci = np.nanquantile(boot, [a, 1 - a], axis=0)
    pieces = []
    for j, dim in enumerate(dims):
        x = sc[:, j][~np.isnan(sc[:, j])]
        y = sd[:, j][~np.isnan(sd[:, j])]
        if len(x) < 2 or len(y) < 2:
            raise NPSInputError(f"dimension {dim!r}: fewer than 2 respondents on a side", column=dim)
        values, cx, cy = _value_counts_pair(x, y)
        res = _item_tests(cx[None], cy[None], values, test, n_permutations=n_permutations, rng=perm_rng)
        st: _RankStats = res["stats"]
        lo, hi = _cliff_interval(st.delta, st.delta_variance, len(x) + len(y) - 2, confidence_level)
        pieces.append((dim, x, y, res, st, float(lo[0]), float(hi[0])))
    p_adj = _adjust(np.array([p[3]["pvalue"][0] for p in pieces]), correction, alpha)
    out = []
    for j, (dim, x, y, res, st, lo, hi) in enumerate(pieces):
        out.append(DimensionGap(
            dimension=dim, items=tuple(dims[dim]), n_company=len(x), n_customers=len(y),
            mean_company=float(x.mean()), mean_customers=float(y.mean()),
            gap=float(y.mean() - x.mean()), ci_lower=float(ci[0, j]), ci_upper=float(ci[1, j]),
            effect_size=float(st.delta[0]), effect_size_ci_lower=lo, effect_size_ci_upper=hi,
            test=res["tests"][0], test_reason=res["reasons"][0], pvalue=float(res["pvalue"][0]),
            pvalue_adjusted=float(p_adj[j]),
            label=_label(bool(p_adj[j] <= alpha), float(st.delta[0])),
        ))
    return out


def self_assessment_gap(company_ratings: Table, customer_ratings: Table, **kwargs: Any) -> GapResult:
    """Per-statement and per-area gap between the company's self-assessment and customers' ratings.

    :func:`survey_gap` over the statement ids present in both, with the seven areas as dimensions.
    Columns that are not statement ids (a rater name, a date) are ignored.
    """
    comp, _ = read_table(company_ratings, what="company self-assessment")
    cust, _ = read_table(customer_ratings, what="customer ratings")
    if "item" in comp.columns and "answer" in comp.columns:
        kwargs.setdefault("items", [s for s in SELF_ASSESSMENT_STATEMENTS
                                    if s in set(comp["item"].astype(str))])
    else:
        kwargs.setdefault("items", [s for s in SELF_ASSESSMENT_STATEMENTS if s in comp.columns])
    kwargs.setdefault("dimensions", "self-assessment")
    return survey_gap(company_ratings, customer_ratings, **kwargs)


# ------------------------------------------------------------------------------ paired design


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
class PairedGapResult(_GapTables):
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



def _signed_rank(pos: np.ndarray, neg: np.ndarray, zeros: np.ndarray) -> tuple[np.ndarray, ...]:
    """Wilcoxon signed-rank with Pratt (1959) zeros, normal approximation, from counts.

    ``pos``/``neg`` (..., A): counts of positive/negative differences per absolute value, in
    increasing order of the absolute value; ``zeros`` (...): zero differences. Zeros take the lowest
    ranks and are then dropped (Pratt); mean and variance follow Cureton (1967)::

        E = (n(n+1) - n0(n0+1)) / 4
        V = (n(n+1)(2n+1) - n0(n0+1)(2n0+1) - sum_nonzero_ties (t^3 - t) / 2) / 24

    with ``n`` including the zeros, as scipy.stats.wilcoxon(zero_method="pratt",
    method="asymptotic", correction=False). Returns (min(R+, R-), z, two-sided p).
    """
    from scipy.stats import norm

    pos, neg = np.asarray(pos, float), np.asarray(neg, float)
    zeros = np.asarray(zeros, float)
    tot = pos + neg
    n = tot.sum(-1) + zeros
    below = zeros[..., None] + np.cumsum(tot, -1) - tot
    rank = below + (tot + 1) / 2
    r_plus = (pos * rank).sum(-1)
    r_minus = (neg * rank).sum(-1)
    mean = (n * (n + 1) - zeros * (zeros + 1)) / 4
    var = (n * (n + 1) * (2 * n + 1) - zeros * (zeros + 1) * (2 * zeros + 1)
           - (tot**3 - tot).sum(-1) / 2) / 24
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (r_plus - mean) / np.sqrt(var)
        p = np.where(var > 0, np.minimum(1.0, 2 * norm.sf(np.abs(z))), 1.0)
    return np.minimum(r_plus, r_minus), np.where(var > 0, z, 0.0), p


def _hodges_lehmann(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Median of the Walsh averages (d_i + d_j)/2, i <= j (Hodges & Lehmann 1963), from counts.

    ``values`` (V,) sorted distinct differences, ``counts`` (..., V). A pair of distinct values
    a < b occurs c_a c_b times, a value with itself c_a (c_a + 1) / 2 times.
    """
    counts = np.asarray(counts, float)
    a, b = np.triu_indices(len(values))
    averages = (values[a] + values[b]) / 2
    order = np.argsort(averages, kind="stable")
    averages = averages[order]
    weight = np.where(a == b, counts[..., a] * (counts[..., a] + 1) / 2, counts[..., a] * counts[..., b])
    weight = weight[..., order]
    cum = np.cumsum(weight, -1)
    total = cum[..., -1:]
    # lower and upper middle positions (1-based): equal when the count is odd
    lo_pos = np.floor((total + 1) / 2)
    hi_pos = np.ceil((total + 1) / 2)
    lo = averages[np.argmax(cum >= lo_pos, axis=-1)]
    hi = averages[np.argmax(cum >= hi_pos, axis=-1)]
    return np.where(total[..., 0] > 0, (lo + hi) / 2, np.nan)


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
        stat, z, p = _signed_rank(pos, neg, np.asarray(zeros))
        mean = float(d.mean()) if n else math.nan
        sd = float(d.std(ddof=1)) if n > 1 else math.nan
        if n > 1 and sd > 0:
            half = float(student_t.ppf(0.5 + confidence_level / 2, n - 1)) * sd / math.sqrt(n)
            lo, hi = mean - half, mean + half
        else:
            lo = hi = math.nan
        out.append({"n": n, "zeros": int(zeros), "gap": mean, "ci_lower": lo, "ci_upper": hi,
                    "hodges_lehmann": float(_hodges_lehmann(values, counts)) if n else math.nan,
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
    signed-rank test with Pratt's (1959) treatment of zero differences (see :func:`_signed_rank`);
    p-values adjusted across items. Per dimension the same on each respondent's mean difference over
    the dimension's items answered on both sides, adjusted across dimensions. Labels: ``gap``
    (perception significantly below expectation), ``reverse gap`` (above), ``no clear gap``.

    Respondents are matched on the ``respondent`` column (or the index of wide frames without it);
    a respondent on one side only is an error.
    """
    check_confidence_level(confidence_level)
    _check_correction(correction, alpha)
    lo, hi = _check_scale(scale)
    exp_frame, exp_src = read_table(expectations, what="expectations")
    per_frame, per_src = read_table(perceptions, what="perceptions")
    exp_layout = _detect_layout(exp_frame, layout, item_column, answer)
    per_layout = _detect_layout(per_frame, layout, item_column, answer)
    common = {"respondent": respondent, "item_column": item_column, "answer": answer}
    chosen = _resolve_items(
        items,
        _available_items(exp_frame, exp_layout, src=exp_src, what="expectations", **common),
        _available_items(per_frame, per_layout, src=per_src, what="perceptions", **common),
        company_file=exp_src.file, customer_file=per_src.file, sides=("expectations", "perceptions"),
    )
    dims = _resolve_dimensions(dimensions, items, chosen)
    exp = _read_side(exp_frame, chosen, layout=exp_layout, scale=(lo, hi), src=exp_src,
                     what="expectations", **common)
    per = _read_side(per_frame, chosen, layout=per_layout, scale=(lo, hi), src=per_src,
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
    p_adj = _adjust(np.array([s["pvalue"] for s in item_stats]), correction, alpha)
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
            label=_label(bool(p_adj[j] <= alpha), s["zstatistic"]),
        ))
    dim_rows: list[PairedDimensionGap] = []
    if dims:
        index = {name: j for j, name in enumerate(chosen)}
        cols = [[index[i] for i in members] for members in dims.values()]
        e_pairs = np.where(both, e, np.nan)
        p_pairs = np.where(both, p, np.nan)
        se_ = _dimension_scores(e_pairs, cols)
        sp_ = _dimension_scores(p_pairs, cols)
        ddiffs = [(sp_[:, j] - se_[:, j])[~np.isnan(se_[:, j])] for j in range(len(cols))]
        dstats = _paired_from_differences(ddiffs, confidence_level)
        dp_adj = _adjust(np.array([s["pvalue"] for s in dstats]), correction, alpha)
        for j, dim in enumerate(dims):
            s = dstats[j]
            keep = ~np.isnan(se_[:, j])
            dim_rows.append(PairedDimensionGap(
                dimension=dim, items=tuple(dims[dim]), n=s["n"],
                mean_expectation=float(se_[keep, j].mean()), mean_perception=float(sp_[keep, j].mean()),
                gap=s["gap"], ci_lower=s["ci_lower"], ci_upper=s["ci_upper"],
                hodges_lehmann=s["hodges_lehmann"], statistic=s["statistic"],
                zstatistic=s["zstatistic"], pvalue=s["pvalue"], pvalue_adjusted=float(dp_adj[j]),
                label=_label(bool(dp_adj[j] <= alpha), s["zstatistic"]),
            ))
    return PairedGapResult(
        items=tuple(rows), dimensions=tuple(dim_rows), scale=(lo, hi), correction=correction,
        alpha=float(alpha), family=_family(len(chosen), "item", correction),
        dimension_family=_family(len(dim_rows), "dimension", correction) if dim_rows else "",
        confidence_level=confidence_level, n_respondents=len(exp_ids),
        method="paired gap: perception minus expectation; t interval, Hodges-Lehmann, "
               "Wilcoxon signed-rank (Pratt)",
    )


# ----------------------------------------------------------------- the superior-service headline


@dataclass(frozen=True)
class SuperiorService(ResultMixin):
    """Share of company respondents who believe the service is superior vs customers who agree.

    Shares and bounds in percent; ``difference`` = customers - company in percentage points with
    Newcombe's interval; ``pvalue`` from ``test`` (``test_reason`` says why).
    """

    item: str
    threshold: int
    company_n: int
    company_superior: int
    company_share: float
    company_ci_lower: float
    company_ci_upper: float
    customers_n: int
    customers_superior: int
    customers_share: float
    customers_ci_lower: float
    customers_ci_upper: float
    difference: float
    ci_lower: float
    ci_upper: float
    test: str
    test_reason: str
    pvalue: float
    confidence_level: float

    def headline(self) -> str:
        """The 80/8 sentence, from the numbers."""
        return (
            f"{self.company_share:.0f}% of company respondents (95% CI "
            f"{self.company_ci_lower:.0f}-{self.company_ci_upper:.0f}%) believe the service is "
            f"superior; {self.customers_share:.0f}% of customers agree "
            f"({self.customers_ci_lower:.0f}-{self.customers_ci_upper:.0f}%)."
        ).replace("95%", f"{100 * self.confidence_level:g}%")


def superior_service(
    company: Table,
    customers: Table,
    *,
    item: str,
    scale: tuple[int, int] = (1, 5),
    threshold: int | None = None,
    test: Literal["auto", "z", "fisher"] = "auto",
    confidence_level: float = 0.95,
    layout: Literal["auto", "wide", "long"] = "auto",
    respondent: str = "respondent",
    item_column: str = "item",
    answer: str = "answer",
) -> SuperiorService:
    """The "superior service" headline (Bain & Company 2005: 80% of firms vs 8% of their customers).

    A respondent believes the service is superior when their answer to ``item`` is at least
    ``threshold`` (default: the top of the scale, i.e. top box). Each side's share gets a Wilson
    (1927) interval; the difference (customers - company) Newcombe's (1998) hybrid score interval;
    the test of no difference is the pooled two-proportion z test (= Pearson's chi-square without
    continuity correction, ``z = (p2 - p1) / sqrt(p(1 - p)(1/n1 + 1/n2))``) or Fisher's exact test.
    ``test="auto"`` takes the z test when every expected cell count is at least 5 (Cochran 1954)
    and Fisher's exact test otherwise.
    """
    from scipy.stats import fisher_exact, norm

    check_confidence_level(confidence_level)
    lo, hi = _check_scale(scale)
    threshold = hi if threshold is None else threshold
    if not isinstance(threshold, (int, np.integer)) or not lo < threshold <= hi:
        raise NPSInputError(f"threshold must be an integer answer above {lo} and at most {hi}, got {threshold!r}")
    if test not in {"auto", "z", "fisher"}:
        raise NPSInputError(f"test must be 'auto', 'z' or 'fisher', got {test!r}")
    counts = []
    for source, what in ((company, "company data"), (customers, "customer data")):
        frame, src = read_table(source, what=what)
        lay = _detect_layout(frame, layout, item_column, answer)
        available = _available_items(frame, lay, respondent=respondent, item_column=item_column,
                                     answer=answer, src=src, what=what)
        if item not in available:
            raise NPSInputError(f"{what}: item {item!r} not found", file=src.file, column=item)
        if lay == "long":
            frame = frame[frame[item_column].astype("string").str.strip() == item]
        side = _read_side(frame, [item], layout=lay, scale=(lo, hi), respondent=respondent,
                          item_column=item_column, answer=answer, src=src, what=what)
        answers = side.answers[:, 0]
        answers = answers[~np.isnan(answers)]
        if len(answers) == 0:
            raise NPSInputError(f"{what}: no answers to {item!r}", file=src.file, column=item)
        counts.append((int((answers >= threshold).sum()), len(answers)))
    (x1, n1), (x2, n2) = counts
    z = float(norm.ppf(0.5 + confidence_level / 2))
    w1 = _wilson(np.array(x1), np.array(n1), z)
    w2 = _wilson(np.array(x2), np.array(n2), z)
    d_lo, d_hi = newcombe_interval(x2, n2, x1, n1, confidence_level=confidence_level)
    total = n1 + n2
    expected = np.outer([n1, n2], [x1 + x2, total - x1 - x2]) / total
    chosen = test
    if test == "auto":
        chosen = "z" if expected.min() >= 5 else "fisher"
        reason = (f"smallest expected cell count {expected.min():.1f} "
                  + (">= 5: pooled z test" if chosen == "z" else "< 5: Fisher's exact test"))
    else:
        reason = "chosen by the user"
    if chosen == "z":
        pooled = (x1 + x2) / total
        se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        pvalue = 1.0 if se == 0 else float(2 * norm.sf(abs((x2 / n2 - x1 / n1) / se)))
        name = "pooled two-proportion z test"
    else:
        pvalue = float(fisher_exact([[x2, n2 - x2], [x1, n1 - x1]]).pvalue)
        name = "Fisher's exact test"
    return SuperiorService(
        item=item, threshold=int(threshold), company_n=n1, company_superior=x1,
        company_share=100 * x1 / n1, company_ci_lower=100 * float(w1[0]), company_ci_upper=100 * float(w1[1]),
        customers_n=n2, customers_superior=x2, customers_share=100 * x2 / n2,
        customers_ci_lower=100 * float(w2[0]), customers_ci_upper=100 * float(w2[1]),
        difference=100 * (x2 / n2 - x1 / n1), ci_lower=100 * d_lo, ci_upper=100 * d_hi,
        test=name, test_reason=reason, pvalue=pvalue, confidence_level=confidence_level,
    )


# --------------------------------------------------------------------- the service self-assessment


@dataclass(frozen=True)
class RaterScore(ResultMixin):
    """One rater's self-assessment: the seven area means, the total (7-35) and its band."""

    rater: str
    culture: float
    products: float
    comments: float
    knowing: float
    contact: float
    staff: float
    improvement: float
    total: float
    band: str
    imputed: int


@dataclass(frozen=True)
class SelfAssessment(_TableResult):
    """Self-assessment over one or more raters.

    ``total`` is the mean of the raters' totals (equal to the sum of the area means over raters) and
    ``band`` its band; ``band_counts`` and the quantiles describe the distribution of totals.
    ``imputed`` counts statements filled in under ``missing="area-mean"``.
    """

    raters: tuple[RaterScore, ...]
    n_raters: int
    total: float
    band: str
    total_min: float
    total_median: float
    total_max: float
    band_counts: dict[str, int]
    area_means: dict[str, float]
    missing: str
    imputed: int

    _rows_field = "raters"

    def table(self) -> pd.DataFrame:
        """One row per rater."""
        return self.to_frame()

    def area_table(self) -> pd.DataFrame:
        """One row per area: title, mean over raters, lowest and highest rater, statements."""
        frame = self.to_frame()
        return pd.DataFrame({
            "area": list(SELF_ASSESSMENT_AREAS),
            "title": list(SELF_ASSESSMENT_AREAS.values()),
            "mean": [float(frame[a].mean()) for a in SELF_ASSESSMENT_AREAS],
            "min": [float(frame[a].min()) for a in SELF_ASSESSMENT_AREAS],
            "max": [float(frame[a].max()) for a in SELF_ASSESSMENT_AREAS],
            "statements": [sum(1 for s in SELF_ASSESSMENT_STATEMENTS if statement_area(s) == a)
                           for a in SELF_ASSESSMENT_AREAS],
        })

    def weakest_area(self) -> str:
        return min(self.area_means, key=lambda a: self.area_means[a])

    def strongest_area(self) -> str:
        return max(self.area_means, key=lambda a: self.area_means[a])


def self_assessment(
    ratings: Table,
    *,
    rater: str | None = None,
    missing: Literal["error", "area-mean"] = "error",
) -> SelfAssessment:
    """Score the service self-assessment: per rater, the seven area means, the total and the band.

    Each statement is rated 1 (never) to 5 (all the time). Area score = mean of its statements;
    total = sum of the seven area scores (7-35); band: total >= 28 ``asset``, 21 <= total < 28
    ``adequate``, total < 21 ``losing customers``.

    Args:
        ratings: one row per rater, one column per statement id (``culture_1`` ... ``improvement_3``,
            see :data:`SELF_ASSESSMENT_STATEMENTS`); other columns are ignored unless they look like
            a statement id that does not exist (``culture_9``), which is an error.
        rater: column naming the rater (default: the row index).
        missing: ``"error"`` (default) -- any missing statement column or blank answer is an error;
            ``"area-mean"`` -- a rater's area score is the mean of the statements they answered in
            that area (equivalent to filling each blank with that mean); ``imputed`` records how many
            answers were filled; an area with no answer at all is still an error.

    Returns:
        :class:`SelfAssessment`.
    """
    if missing not in {"error", "area-mean"}:
        raise NPSInputError(f"missing must be 'error' or 'area-mean', got {missing!r}")
    frame, src = read_table(ratings, what="self-assessment ratings")
    if len(frame) == 0:
        raise NPSInputError("self-assessment ratings: no raters", file=src.file)
    strange = [str(c) for c in frame.columns
               if _STATEMENT_PATTERN.match(str(c)) and str(c) not in SELF_ASSESSMENT_STATEMENTS]
    if strange:
        raise NPSInputError(
            f"unknown self-assessment statement column(s): {', '.join(strange)}", file=src.file, column=strange[0]
        )
    absent = [s for s in SELF_ASSESSMENT_STATEMENTS if s not in frame.columns]
    if absent and missing == "error":
        raise NPSInputError(
            f"missing statement column(s): {', '.join(absent)} (pass missing='area-mean' to score each "
            "area on the statements answered)", file=src.file, column=absent[0],
        )
    if rater is not None and rater not in frame.columns:
        raise NPSInputError("rater column not found", file=src.file, column=rater)
    names = (frame[rater] if rater is not None else pd.Series(frame.index)).astype(str).tolist()
    matrix = np.full((len(frame), len(SELF_ASSESSMENT_STATEMENTS)), np.nan)
    for j, sid in enumerate(SELF_ASSESSMENT_STATEMENTS):
        if sid in frame.columns:
            matrix[:, j] = _validated_answers(
                frame[sid], scale=(1, 5), column=sid, src=src, what="self-assessment ratings",
                allow_missing=missing == "area-mean",
            )
    areas = list(SELF_ASSESSMENT_AREAS)
    area_of = np.array([areas.index(statement_area(s)) for s in SELF_ASSESSMENT_STATEMENTS])
    scores = np.empty((len(frame), len(areas)))
    for a in range(len(areas)):
        block = matrix[:, area_of == a]
        answered = (~np.isnan(block)).sum(1)
        empty = np.flatnonzero(answered == 0)
        if len(empty):
            rows = [(src.row(p), names[p]) for p in empty[:5]]
            raise NPSInputError(
                f"area {areas[a]!r} has no answered statement for {len(empty)} rater(s): "
                f"{describe_rows(rows)}", file=src.file, column=areas[a], rows=rows, count=len(empty),
            )
        scores[:, a] = np.nansum(block, 1) / answered
    totals = scores.sum(1)
    imputed = np.isnan(matrix).sum(1)
    raters = tuple(
        RaterScore(names[i], *map(float, scores[i]), total=float(totals[i]),
                   band=self_assessment_band(float(totals[i])), imputed=int(imputed[i]))
        for i in range(len(frame))
    )
    mean_total = float(totals.mean())
    bands = [r.band for r in raters]
    return SelfAssessment(
        raters=raters, n_raters=len(raters), total=mean_total, band=self_assessment_band(mean_total),
        total_min=float(totals.min()), total_median=float(np.median(totals)), total_max=float(totals.max()),
        band_counts={b: bands.count(b) for _, b in SELF_ASSESSMENT_BANDS},
        area_means={a: float(scores[:, k].mean()) for k, a in enumerate(areas)},
        missing=missing, imputed=int(imputed.sum()),
    )


# ----------------------------------------------------------------- importance-performance analysis


@dataclass(frozen=True)
class IPAItem(ResultMixin):
    """One item's mean importance and performance and its quadrant."""

    item: str
    importance: float
    performance: float
    n_importance: int
    n_performance: int
    quadrant: str


@dataclass(frozen=True)
class ImportancePerformance(_TableResult):
    """Importance-performance grid: items, the crosshair and how it was placed."""

    items: tuple[IPAItem, ...]
    importance_centre: float
    performance_centre: float
    centre: str
    scale: tuple[int, int]

    def table(self) -> pd.DataFrame:
        return self.to_frame()

    def quadrant(self, name: str) -> list[str]:
        """Items in one quadrant."""
        if name not in IPA_QUADRANTS:
            raise KeyError(name)
        return [r.item for r in self.items if r.quadrant == name]


def _item_means(source: Table | Mapping[str, float], items: list[str] | None, scale: tuple[int, int],
                what: str, layout: str, respondent: str, item_column: str, answer: str,
                ) -> tuple[dict[str, float], dict[str, int]]:
    if isinstance(source, Mapping):
        means = {str(k): float(v) for k, v in source.items()}
        bad = [k for k, v in means.items() if not scale[0] <= v <= scale[1]]
        if bad:
            raise NPSInputError(f"{what}: mean(s) outside the {scale[0]}-{scale[1]} scale: {', '.join(bad)}",
                                column=bad[0])
        return means, {k: 0 for k in means}
    frame, src = read_table(source, what=what)
    lay = _detect_layout(frame, layout, item_column, answer)
    available = _available_items(frame, lay, respondent=respondent, item_column=item_column,
                                 answer=answer, src=src, what=what)
    chosen = available if items is None else items
    missing = [i for i in chosen if i not in available]
    if missing:
        raise NPSInputError(f"{what}: item(s) not found: {', '.join(missing)}", file=src.file, column=missing[0])
    side = _read_side(frame, chosen, layout=lay, scale=scale, respondent=respondent,
                      item_column=item_column, answer=answer, src=src, what=what)
    n = (~np.isnan(side.answers)).sum(0)
    with np.errstate(invalid="ignore"):
        means = np.nanmean(np.where(n > 0, side.answers, 0.0), 0) if side.answers.size else np.array([])
    empty = [chosen[j] for j in np.flatnonzero(n == 0)]
    if empty:
        raise NPSInputError(f"{what}: no answers for {', '.join(empty)}", file=src.file, column=empty[0])
    return dict(zip(chosen, map(float, means), strict=True)), dict(zip(chosen, map(int, n), strict=True))


def _items_of(source: Table, *, layout: str, respondent: str, item_column: str, answer: str) -> list[str]:
    frame, src = read_table(source, what="importance ratings")
    lay = _detect_layout(frame, layout, item_column, answer)
    return _available_items(frame, lay, respondent=respondent, item_column=item_column, answer=answer,
                            src=src, what="importance ratings")


def importance_performance(
    performance: Table | Mapping[str, float],
    importance: Table | Mapping[str, float],
    *,
    items: Sequence[str] | None = None,
    scale: tuple[int, int] = (1, 5),
    centre: Literal["mean", "median", "scale"] | tuple[float, float] = "mean",
    layout: Literal["auto", "wide", "long"] = "auto",
    respondent: str = "respondent",
    item_column: str = "item",
    answer: str = "answer",
) -> ImportancePerformance:
    """Importance-performance analysis (Martilla & James 1977, Journal of Marketing 41(1), 77-79).

    Each item is placed by its mean importance (vertical) and mean performance (horizontal). The
    crosshair is at the mean (default) or median of the item means, at the scale midpoint, or at
    an explicit ``(importance, performance)``. Quadrants: high importance & low performance
    ``concentrate here``; high & high ``keep up the good work``; low & low ``low priority``; low
    importance & high performance ``possible overkill``. A value on the crosshair counts as high.

    Args:
        performance, importance: answers (DataFrame or path; wide or long) or mappings item -> mean.
        items: items to place (default: the items found in both ``performance`` and ``importance``).
    """
    lo, hi = _check_scale(scale)
    common = {"layout": layout, "respondent": respondent, "item_column": item_column, "answer": answer}
    chosen = list(items) if items is not None else None
    perf, n_perf = _item_means(performance, chosen, (lo, hi), "performance ratings", **common)
    if chosen is None:
        available = [str(k) for k in importance] if isinstance(importance, Mapping) else _items_of(importance, **common)
        chosen = [i for i in perf if i in available]
    imp, n_imp = _item_means(importance, chosen, (lo, hi), "importance ratings", **common)
    missing = [i for i in chosen if i not in imp or i not in perf]
    if missing:
        raise NPSInputError(f"item(s) without both an importance and a performance: {', '.join(missing)}",
                            column=missing[0])
    if len(chosen) < 2:
        raise NPSInputError("importance-performance needs at least 2 items")
    ivals = np.array([imp[i] for i in chosen])
    pvals = np.array([perf[i] for i in chosen])
    if isinstance(centre, tuple):
        ci, cp = float(centre[0]), float(centre[1])
        how = "given"
    elif centre == "mean":
        ci, cp, how = float(ivals.mean()), float(pvals.mean()), "mean of the item means"
    elif centre == "median":
        ci, cp, how = float(np.median(ivals)), float(np.median(pvals)), "median of the item means"
    elif centre == "scale":
        ci = cp = (lo + hi) / 2
        how = "scale midpoint"
    else:
        raise NPSInputError(f"centre must be 'mean', 'median', 'scale' or a pair, got {centre!r}")
    rows = []
    for i, iv, pv in zip(chosen, ivals, pvals, strict=True):
        high_i, high_p = iv >= ci, pv >= cp
        quadrant = (("keep up the good work" if high_p else "concentrate here") if high_i
                    else ("possible overkill" if high_p else "low priority"))
        rows.append(IPAItem(i, float(iv), float(pv), n_imp[i], n_perf[i], quadrant))
    return ImportancePerformance(tuple(rows), ci, cp, how, (lo, hi))


# ------------------------------------------------------------------------------------ narrative


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


# ------------------------------------------------------------------------- notebook convenience


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
    from . import datasets

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


# ---------------------------------------------------------------------------- command line


def _parse_dimension_args(pairs: Sequence[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        item, sep, dim = pair.partition("=")
        if not sep or not item or not dim:
            raise NPSInputError(f"--dimension expects ITEM=DIMENSION, got {pair!r}")
        out[item.strip()] = dim.strip()
    return out


def _write_frame(frame: pd.DataFrame, fmt: str, stream: Any) -> None:
    if fmt == "csv":
        frame.to_csv(stream, index=False, lineterminator="\n")
    else:
        stream.write(frame.to_string(index=False, float_format=lambda v: f"{v:.3g}") + "\n")


def gap_command(args: Any) -> int:
    """``nps-analysis gap COMPANY CUSTOMERS``: the item and dimension gap tables."""
    import json
    import sys

    result = survey_gap(
        args.company, args.customers, items=args.items or None,
        dimensions=_parse_dimension_args(args.dimension) or args.dimensions,
        scale=tuple(args.scale), correction=args.correction, alpha=args.alpha, test=args.test,
        top_box=args.top_box, confidence_level=args.confidence_level, random_state=args.seed,
    )
    out = sys.stdout
    if args.format == "json":
        out.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
        return 0
    columns = ["item", "dimension", "n_company", "n_customers", "mean_company", "mean_customers", "gap",
               "ci_lower", "ci_upper", "top_box_gap", "effect_size", "test", "pvalue_adjusted", "label"]
    _write_frame(result.table()[columns], args.format, out)
    if result.dimensions and args.format == "table":
        out.write("\n")
        _write_frame(result.dimension_table()[["dimension", "n_company", "n_customers", "mean_company",
                                               "mean_customers", "gap", "ci_lower", "ci_upper",
                                               "pvalue_adjusted", "label"]], "table", out)
    if args.format == "table":
        out.write(f"\nGap = customers - company. Corrected across the {result.family}.\n")
    return 0


def self_assessment_command(args: Any) -> int:
    """``nps-analysis self-assessment FILE``: area scores, totals and bands per rater."""
    import json
    import sys

    result = self_assessment(args.file, rater=args.rater, missing=args.missing)
    out = sys.stdout
    if args.format == "json":
        out.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
        return 0
    _write_frame(result.table(), args.format, out)
    if args.format == "table":
        out.write(f"\nMean total {result.total:.1f} of 35 over {result.n_raters} rater(s): {result.band}.\n")
    return 0


def add_gap_parser(subparsers: Any) -> None:
    """Register ``nps-analysis gap`` and ``nps-analysis self-assessment``."""
    p = subparsers.add_parser("gap", help="company versus customer perception, item by item")
    p.add_argument("company", help="company-side answers (CSV/Excel/Parquet; wide or long)")
    p.add_argument("customers", help="customer-side answers, same items")
    p.add_argument("--items", nargs="+", metavar="ITEM", help="items to compare (default: all, same on both sides)")
    p.add_argument("--dimension", action="append", default=[], metavar="ITEM=DIM", help="item's dimension (repeatable)")
    p.add_argument("--dimensions", choices=["self-assessment"], default=None, help="the seven self-assessment areas")
    p.add_argument("--scale", nargs=2, type=int, default=[1, 5], metavar=("LOW", "HIGH"))
    p.add_argument("--correction", default="fdr_bh", help="multipletests method or 'none' (default fdr_bh)")
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--test", choices=list(_TESTS), default="auto")
    p.add_argument("--top-box", type=int, default=1, metavar="K", help="top K answers count as top box")
    p.add_argument("--confidence-level", type=float, default=0.95)
    p.add_argument("--seed", type=int, default=2026, help="bootstrap seed")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    p.set_defaults(handler=gap_command)

    p = subparsers.add_parser("self-assessment", help="score the service self-assessment (7 areas, 7-35)")
    p.add_argument("file", help="one row per rater, one column per statement id (culture_1 ...)")
    p.add_argument("--rater", metavar="COL", help="column naming the rater")
    p.add_argument("--missing", choices=["error", "area-mean"], default="error")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    p.set_defaults(handler=self_assessment_command)
