"""Rank statistics on ordinal ratings from counts: Brunner-Munzel (t and permutation), Cliff's
delta with an interval, the signed-rank test and the Hodges-Lehmann estimate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..sources.errors import NPSInputError
from ..sources.results import ResultMixin
from .difference import rng_of
from .intervals import check_confidence_level


def category_counts(answers: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """(respondents, items) answers -> (items, categories) counts."""
    return np.stack([(answers == v).sum(axis=0) for v in levels], axis=-1).astype(float)


def scale_moments(counts: np.ndarray, levels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n, mean and sample variance (ddof 1) from category counts (..., K)."""
    n = counts.sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (counts * levels).sum(-1) / n
        var = (counts * (levels - mean[..., None]) ** 2).sum(-1) / (n - 1)
    return n, mean, var


@dataclass(frozen=True)
class RankStats:
    """Rank statistics of customers (X) against company (Y) for each item (vectorized)."""

    u_customers: np.ndarray        # Mann-Whitney U of the customers: #(X > Y) + #(X = Y) / 2
    mw_pvalue: np.ndarray
    bm_statistic: np.ndarray       # Brunner-Munzel, positive when customers rate higher
    bm_df: np.ndarray
    bm_pvalue: np.ndarray          # NaN when its variance estimate is 0 (degenerate)
    delta: np.ndarray              # Cliff's delta P(X > Y) - P(X < Y)
    delta_variance: np.ndarray     # consistent variance estimate (Cliff 1996; Feng & Cliff 2004)


def brunner_munzel_counts(c: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def permuted_counts(pooled: np.ndarray, n1: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
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


def all_splits(pooled: np.ndarray, n1: int, limit: int) -> np.ndarray | None:
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
    ``W`` of :func:`brunner_munzel_counts` is recomputed on relabellings of the pooled answers and
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
    observed = np.abs(brunner_munzel_counts(c, d)[0])
    pooled = (c + d).astype(np.int64)
    n1 = c.sum(-1).astype(np.int64)
    out = np.full(observed.shape, np.nan)
    sampled = np.zeros(observed.shape, dtype=bool)
    log_factorial = gammaln(np.arange(int(pooled.sum(-1).max(initial=0)) + 1, dtype=float) + 1)  # log k!
    for index in np.ndindex(observed.shape):
        splits = all_splits(pooled[index], int(n1[index]), exact_limit)
        if splits is None:
            sampled[index] = True
            continue
        total = pooled[index]
        n_all, m = int(total.sum()), int(n1[index])
        # log of prod_k C(N_k, x_k) / C(N, n1)
        log_w = (log_factorial[total] - log_factorial[splits] - log_factorial[total - splits]).sum(-1)
        log_w -= log_factorial[n_all] - log_factorial[m] - log_factorial[n_all - m]
        stat = np.abs(brunner_munzel_counts(splits.astype(float), (total - splits).astype(float))[0])
        out[index] = min(1.0, float(np.exp(log_w)[stat >= observed[index] * (1 - 1e-12)].sum()))
    if sampled.any():
        rng = rng_of(random_state)
        cs, ds, obs = c[sampled], d[sampled], observed[sampled]
        hits = np.zeros(obs.shape)
        done = 0
        while done < n_permutations:
            size = min(chunk, n_permutations - done)
            perm = permuted_counts(cs + ds, cs.sum(-1), size, rng)
            stat = np.abs(brunner_munzel_counts(perm, cs + ds - perm)[0])
            hits += (stat >= obs * (1 - 1e-12)).sum(0)
            done += size
        out[sampled] = (1 + hits) / (1 + n_permutations)
    return out


def rank_statistics(company: np.ndarray, customers: np.ndarray) -> RankStats:
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

    bm, df, scale = brunner_munzel_counts(c, d)
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
    return RankStats(u_cust, mw_p, bm, df, bm_p, delta, np.maximum(var, 0.0))


def cliff_interval(
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
    stats = rank_statistics(cy, cx)
    lo, hi = cliff_interval(stats.delta, stats.delta_variance, len(xs) + len(ys) - 2,
                             confidence_level, distribution)
    return CliffsDelta(
        effect_size=float(stats.delta), ci_lower=float(lo), ci_upper=float(hi),
        variance=float(stats.delta_variance), n_x=len(xs), n_y=len(ys),
        confidence_level=confidence_level,
        method=f"Cliff's delta, consistent variance, Feng & Cliff interval ({distribution})",
    )


def signed_rank(pos: np.ndarray, neg: np.ndarray, zeros: np.ndarray) -> tuple[np.ndarray, ...]:
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


def hodges_lehmann(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
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
