"""Exact tail errors of two-cohort NPS difference intervals (issue 14, item 5).

    PYTHONPATH=. python benchmarks/two_sample_tails.py             # every design below
    PYTHONPATH=. python benchmarks/two_sample_tails.py --methods mover-score --no-write

For true distributions p1 (treatment) and p2 (control) and sizes n1, n2, the lower tail of a 95%
interval is P(upper bound < true difference) and the upper tail P(lower bound > true difference),
each summed exactly over every pair of trinomial outcomes (no simulation). Target: each tail in
[1.5%, 3.0%] at n >= 30 per arm for every distribution with each category >= 5% (both arms the
same distribution: the tails are the type-I errors of the one-sided tests), and, as a stress test,
pairs of different distributions whose NPS differ by up to --pairs-max-diff points.

Distributions: ``full`` = every (p_det, p_pas, p_pro) on a 5% lattice with each share >= 5% (171,
so 29,241 ordered pairs, every true difference); ``reduced`` (for the large unequal designs) = the
10% lattice with each share >= 10% plus twelve 5%-edge distributions (48; 2,304 pairs).
Pairs that share a true difference share one indicator matrix, so each tail is
``P1 @ 1[bound vs difference] @ P2^T`` (BLAS).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy import special

from nps_analysis.stats import intervals as im

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import markdown_table, write_section  # noqa: E402

CONFIDENCE = 0.95
Z = im.normal_quantile(CONFIDENCE)
TAIL_BAND = (0.015, 0.030)

EDGES = [(5, 5, 90), (5, 90, 5), (90, 5, 5), (5, 15, 80), (80, 15, 5), (5, 50, 45), (45, 50, 5),
         (5, 30, 65), (65, 30, 5), (15, 5, 80), (80, 5, 15), (50, 5, 45)]


def lattice(step: int, minimum: int) -> np.ndarray:
    k = 100 // step
    d, r = np.meshgrid(np.arange(k + 1), np.arange(k + 1), indexing="ij")
    keep = d + r <= k
    out = np.column_stack([d[keep], k - d[keep] - r[keep], r[keep]]) * step
    return out[(out >= minimum).all(axis=1)]


def distributions(kind: str) -> np.ndarray:
    if kind == "full":
        return lattice(5, 5)
    base = lattice(10, 10)
    return np.unique(np.vstack([base, np.array(EDGES)]), axis=0)


def one_sample(grid: np.ndarray, how: str) -> tuple[np.ndarray, np.ndarray]:
    if how == "score":
        return im.score_bounds(*grid.T, Z)
    if how == "score-cc":
        return im.score_bounds(*grid.T, Z, cc=0.5)
    if how == "wilson":
        return im.mover_wilson_bounds(*grid.T, Z)
    if how == "bonett-price":
        return im.wald_bounds(*grid.T, Z, (1.0, 0.0, 1.0))
    raise ValueError(how)


def interval_matrix(method: str, g1: np.ndarray, g2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(m1, m2) lower and upper bounds (fractions) of the difference for every outcome pair."""
    n1, n2 = g1[0].sum(), g2[0].sum()
    if method in ("wald", "adjusted-wald"):
        pseudo = np.array([0.75, 1.5, 0.75]) if method == "adjusted-wald" else np.zeros(3)
        a1, a2 = g1 + pseudo, g2 + pseudo
        m1, m2 = a1.sum(axis=1), a2.sum(axis=1)
        c1, c2 = (a1[:, 2] - a1[:, 0]) / m1, (a2[:, 2] - a2[:, 0]) / m2
        v1 = (a1[:, 2] + a1[:, 0]) / m1 - c1**2
        v2 = (a2[:, 2] + a2[:, 0]) / m2 - c2**2
        centre = c1[:, None] - c2[None, :]
        half = Z * np.sqrt(v1[:, None] / m1[:, None] + v2[None, :] / m2[None, :])
        return centre - half, centre + half
    how = method.removeprefix("mover-")
    l1, u1 = one_sample(g1, how)
    l2, u2 = one_sample(g2, how)
    t1 = (g1[:, 2] - g1[:, 0]) / n1
    t2 = (g2[:, 2] - g2[:, 0]) / n2
    diff = t1[:, None] - t2[None, :]
    lower = diff - np.sqrt(((t1 - l1) ** 2)[:, None] + ((u2 - t2) ** 2)[None, :])
    upper = diff + np.sqrt(((u1 - t1) ** 2)[:, None] + ((t2 - l2) ** 2)[None, :])
    return lower, upper


METHODS = ("wald", "adjusted-wald", "mover-score", "mover-score-cc", "mover-wilson", "mover-bonett-price")


def pmf_matrix(grid: np.ndarray, dists_pct: np.ndarray) -> np.ndarray:
    n = grid[0].sum()
    coef = special.gammaln(n + 1) - special.gammaln(grid + 1).sum(axis=1)
    log_p = np.log(np.maximum(dists_pct / 100.0, 1e-300)) @ grid.T.astype(float)
    return np.exp(log_p + coef[None, :])


def aa_tails(method: str, n1: int, n2: int, dists: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(K,) lower and upper tails when both arms have the same distribution (true difference 0)."""
    g1, g2 = im.outcomes(n1), im.outcomes(n2)
    lower, upper = interval_matrix(method, g1, g2)
    p1, p2 = pmf_matrix(g1, dists), pmf_matrix(g2, dists)
    low = ((p1 @ (upper < -1e-12).astype(float)) * p2).sum(axis=1)
    high = ((p1 @ (lower > 1e-12).astype(float)) * p2).sum(axis=1)
    return low, high


def tails(method: str, n1: int, n2: int, d1: np.ndarray, d2: np.ndarray, max_diff: int = 200):
    """(K1, K2) lower-tail and upper-tail probabilities for every distribution pair.

    Pairs whose true difference exceeds ``max_diff`` points are left as NaN.
    """
    g1, g2 = im.outcomes(n1), im.outcomes(n2)
    lower, upper = interval_matrix(method, g1, g2)
    p1, p2 = pmf_matrix(g1, d1), pmf_matrix(g2, d2)
    t1 = d1[:, 2] - d1[:, 0]
    t2 = d2[:, 2] - d2[:, 0]
    diff = t1[:, None] - t2[None, :]  # integer percent
    low_tail = np.full(diff.shape, np.nan)
    high_tail = np.full(diff.shape, np.nan)
    for v in np.unique(diff[np.abs(diff) <= max_diff]):
        rows, cols = np.nonzero(diff == v)
        r_u, c_u = np.unique(rows), np.unique(cols)
        x = v / 100.0
        miss_low = (upper < x - 1e-12).astype(float)  # interval entirely below the truth
        miss_high = (lower > x + 1e-12).astype(float)
        lt = (p1[r_u] @ miss_low) @ p2[c_u].T
        ht = (p1[r_u] @ miss_high) @ p2[c_u].T
        ri = np.searchsorted(r_u, rows)
        ci = np.searchsorted(c_u, cols)
        low_tail[rows, cols] = lt[ri, ci]
        high_tail[rows, cols] = ht[ri, ci]
    return low_tail, high_tail


DESIGNS = [(30, 30), (50, 50), (100, 100), (30, 90), (90, 30), (50, 150), (150, 50)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--methods", nargs="*", default=list(METHODS))
    parser.add_argument("--pairs-max-diff", type=int, default=20,
                        help="pairs of different distributions: true differences up to this many points")
    parser.add_argument("--output", default=str(Path(__file__).resolve().parents[1] / "docs" / "validation.md"))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    dists = distributions("full")
    rows, pair_rows, info = [], [], []
    outside_total = {m: 0 for m in args.methods}
    worst = {m: [1.0, 0.0] for m in args.methods}
    for n1, n2 in DESIGNS:
        for m in args.methods:
            lo, hi = aa_tails(m, n1, n2, dists)
            both = np.concatenate([lo, hi])
            outside = int(((both < TAIL_BAND[0]) | (both > TAIL_BAND[1])).sum())
            outside_total[m] += outside
            worst[m] = [min(worst[m][0], both.min()), max(worst[m][1], both.max())]
            k_lo, k_hi = int(np.argmin(np.minimum(lo, hi))), int(np.argmax(np.maximum(lo, hi)))
            rows.append([f"{n1} vs {n2}", m, f"{100 * lo.min():.2f} - {100 * lo.max():.2f}",
                         f"{100 * hi.min():.2f} - {100 * hi.max():.2f}",
                         f"{outside} of {both.size}", "/".join(map(str, dists[k_lo])), "/".join(map(str, dists[k_hi]))])
            print(" | ".join(rows[-1]), flush=True)
    for n1, n2 in ((30, 30), (50, 150)):
        sub = dists if (n1, n2) == (30, 30) else distributions("reduced")
        for m in args.methods:
            lo, hi = tails(m, n1, n2, sub, sub, max_diff=args.pairs_max_diff)
            both = np.concatenate([lo[np.isfinite(lo)], hi[np.isfinite(hi)]])
            outside = int(((both < TAIL_BAND[0]) | (both > TAIL_BAND[1])).sum())
            pair_rows.append([f"{n1} vs {n2}", m, f"{100 * np.nanmin(lo):.2f} - {100 * np.nanmax(lo):.2f}",
                              f"{100 * np.nanmin(hi):.2f} - {100 * np.nanmax(hi):.2f}", f"{outside} of {both.size}"])
            print(" | ".join(pair_rows[-1]), flush=True)
    for (n1, n2), dist in (((20, 20), (5, 5, 90)), ((20, 20), (0, 10, 90)), ((50, 150), (20, 30, 50)),
                           ((50, 150), (5, 15, 80))):
        dd = np.array([dist])
        for m in args.methods:
            lo, hi = aa_tails(m, n1, n2, dd)
            info.append([f"{n1} vs {n2}", "/".join(map(str, dist)), m, f"{100 * lo[0]:.2f}", f"{100 * hi[0]:.2f}",
                         f"{100 * (lo[0] + hi[0]):.2f}"])
            print(" | ".join(info[-1]), flush=True)
    elapsed = time.perf_counter() - start
    summary = [[m, outside_total[m], f"{100 * worst[m][0]:.2f} - {100 * worst[m][1]:.2f}"] for m in args.methods]
    lines = [
        "## Two cohorts: exact tail errors of the NPS difference interval (issue 14, item 5)",
        "",
        f"Written by `benchmarks/two_sample_tails.py` (run {elapsed:.0f} s). Nominal 95% two-sided: 2.5% per tail; "
        "target each tail in [1.5%, 3.0%] at n >= 30 per arm on every distribution with each category >= 5%. "
        "Lower tail = P(upper bound < true difference), upper tail = P(lower bound > true difference), exact "
        f"sums over every pair of outcomes. Distributions: all {len(dists)} on a 5% lattice with each share >= 5%. "
        "`mover-score` is the default of `compare` (MOVER of Tango score limits); `mover-wilson`, "
        "`mover-bonett-price`, `mover-score-cc` combine other one-sample limits the same way.",
        "",
        "### Both arms with the same distribution (type-I error of each one-sided test)",
        "",
        markdown_table(["method", "tails outside [1.5, 3.0] (all designs)", "range of tails, %"], summary),
        "",
        markdown_table(["n (treatment vs control)", "method", "lower tail, %", "upper tail, %", "outside the band",
                        "distribution of the smallest tail", "distribution of the largest"], rows),
        "",
        f"### Different distributions, true difference up to {args.pairs_max_diff} points",
        "",
        "Every ordered pair of distributions (30 vs 30: the 171; 50 vs 150: the 10% lattice with each share "
        ">= 10% plus twelve 5%-edge distributions, 48) whose NPS differ by at most "
        f"{args.pairs_max_diff} points.",
        "",
        markdown_table(["n", "method", "lower tail, %", "upper tail, %", "outside the band"], pair_rows),
        "",
        "For information (A/A): tails in %, and the type-I error (sum).",
        "",
        markdown_table(["n", "distribution", "method", "lower tail", "upper tail", "type-I error"], info),
    ]
    print(f"run {elapsed:.0f} s")
    if not args.no_write:
        write_section(args.output, "two-sample-tails", "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
