"""Exact tail errors of two-cohort NPS difference intervals (issue 14, item 5).

    PYTHONPATH=. python benchmarks/two_sample_tails.py             # every design below
    PYTHONPATH=. python benchmarks/two_sample_tails.py --designs 30x30 --no-write

For true distributions p1 (treatment) and p2 (control) and sizes n1, n2, the lower tail of a 95%
interval is P(upper bound < true difference) and the upper tail P(lower bound > true difference),
each summed exactly over every pair of trinomial outcomes (no simulation). Target: each tail in
[1.5%, 3.0%] at n >= 30 per arm for every pair of distributions with each category >= 5%.

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


DESIGNS = {
    "30x30": (30, 30, "full"), "50x50": (50, 50, "full"), "100x100": (100, 100, "reduced"),
    "50x150": (50, 150, "reduced"), "150x50": (150, 50, "reduced"), "30x90": (30, 90, "reduced"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--designs", nargs="*", default=list(DESIGNS))
    parser.add_argument("--methods", nargs="*", default=list(METHODS))
    parser.add_argument("--output", default=str(Path(__file__).resolve().parents[1] / "docs" / "validation.md"))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    rows = []
    verdict: dict[str, bool] = {m: True for m in args.methods}
    for name in args.designs:
        n1, n2, kind = DESIGNS[name]
        dists = distributions(kind)
        for m in args.methods:
            lo, hi = tails(m, n1, n2, dists, dists)
            i_lo_min = np.unravel_index(np.argmin(lo), lo.shape)
            i_lo_max = np.unravel_index(np.argmax(lo), lo.shape)
            i_hi_min = np.unravel_index(np.argmin(hi), hi.shape)
            i_hi_max = np.unravel_index(np.argmax(hi), hi.shape)
            outside = int(((lo < TAIL_BAND[0]) | (lo > TAIL_BAND[1])).sum() + ((hi < TAIL_BAND[0]) | (hi > TAIL_BAND[1])).sum())
            ok = outside == 0
            verdict[m] &= ok

            def d(ix, dists=dists):
                a, b = dists[ix[0]], dists[ix[1]]
                return f"{a[0]}/{a[1]}/{a[2]} vs {b[0]}/{b[1]}/{b[2]}"

            rows.append([
                f"{n1} vs {n2}", m, f"{100 * lo.min():.2f} ({d(i_lo_min)})", f"{100 * lo.max():.2f} ({d(i_lo_max)})",
                f"{100 * hi.min():.2f} ({d(i_hi_min)})", f"{100 * hi.max():.2f} ({d(i_hi_max)})",
                f"{outside} of {2 * lo.size}" + (" ok" if ok else ""),
            ])
            print(" | ".join(str(c) for c in rows[-1]), flush=True)
    # information: 90% promoters at 20 vs 20 (A/A), and the audit's 50 vs 150 typical case
    info = []
    for (n1, n2), dist in (((20, 20), (5, 5, 90)), ((20, 20), (0, 10, 90)), ((50, 150), (20, 30, 50)),
                           ((50, 150), (5, 15, 80))):
        dd = np.array([dist])
        for m in args.methods:
            lo, hi = tails(m, n1, n2, dd, dd)
            info.append([f"{n1} vs {n2}", "/".join(map(str, dist)), m, f"{100 * lo[0, 0]:.2f}", f"{100 * hi[0, 0]:.2f}",
                         f"{100 * (lo[0, 0] + hi[0, 0]):.2f}"])
            print(" | ".join(info[-1]), flush=True)
    elapsed = time.perf_counter() - start
    header = ["n (treatment vs control)", "method", "lower tail min", "lower tail max", "upper tail min",
              "upper tail max", "tails outside [1.5, 3.0]"]
    lines = [
        "## Two cohorts: exact tail errors of the NPS difference interval (issue 14, item 5)",
        "",
        f"Written by `benchmarks/two_sample_tails.py` (run {elapsed:.0f} s). Nominal 95% two-sided, so 2.5% per "
        "tail; target each tail in [1.5%, 3.0%] at n >= 30 per arm for every pair of distributions with each "
        "category >= 5%. Lower tail = P(upper bound < true difference), upper tail = P(lower bound > true "
        "difference), exact sums over every pair of outcomes. 'full' designs use every distribution on a 5% "
        "lattice with each share >= 5% (171, every ordered pair); 100 vs 100 and the unequal designs use the "
        "10% lattice with each share >= 10% plus twelve 5%-edge distributions (48). Cells: tail % (treatment "
        "vs control distribution det/pas/pro %).",
        "",
        markdown_table(header, rows),
        "",
        "For information (A/A, the same distribution in both arms): tails in %, and the type-I error (sum).",
        "",
        markdown_table(["n", "distribution", "method", "lower tail", "upper tail", "type-I error"], info),
        "",
        "Contract met on every design: " + ", ".join(f"{m} {'yes' if ok else 'no'}" for m, ok in verdict.items()) + ".",
    ]
    print(f"run {elapsed:.0f} s")
    if not args.no_write:
        write_section(args.output, "two-sample-tails", "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
