"""Benchmark: a permutation test of two NPS cohorts on counts vs scipy.stats.permutation_test on rows.

Relabelling respondents at random leaves the pooled category counts fixed, so the treatment arm's
(detractors, passives, promoters) under the null hypothesis follow a multivariate hypergeometric
distribution (Fisher 1935; Good, *Permutation Tests*, 2nd ed. 2000, ch. 3). Drawing B tables from it
is the same test as permuting the rows B times, at a cost independent of n. This script checks
that (the exact null distribution on counts equals scipy's exact test on rows at small n, and the
Monte Carlo p-values agree at large n) and times both.

    python benchmarks/permutation_speed.py
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats


def nps_difference(t: np.ndarray, c: np.ndarray) -> np.ndarray:
    """NPS difference in points for (..., 3) count arrays [detractors, passives, promoters]."""
    nt, nc = t.sum(-1), c.sum(-1)
    return 100.0 * ((t[..., 2] - t[..., 0]) / nt - (c[..., 2] - c[..., 0]) / nc)


def permutation_counts(t, c, *, n_resamples: int = 9999, seed: int = 0) -> float:
    """Two-sided Monte Carlo permutation p-value from counts (scipy's definition, +1 correction)."""
    t, c = np.asarray(t, dtype=np.int64), np.asarray(c, dtype=np.int64)
    pooled, nt = t + c, int(t.sum())
    observed = nps_difference(t, c)
    rng = np.random.default_rng(seed)
    draws = rng.multivariate_hypergeometric(pooled, nt, size=n_resamples)
    null = nps_difference(draws, pooled - draws)
    eps = 1e-12 * max(1.0, abs(observed))  # scipy's tolerance for ties in floating point
    greater = (np.count_nonzero(null >= observed - eps) + 1) / (n_resamples + 1)
    less = (np.count_nonzero(null <= observed + eps) + 1) / (n_resamples + 1)
    return min(1.0, 2 * min(greater, less))


def exact_counts(t, c) -> float:
    """Exact two-sided permutation p-value by enumerating the multivariate hypergeometric law."""
    t, c = np.asarray(t), np.asarray(c)
    pooled, nt = t + c, int(t.sum())
    observed = nps_difference(t, c)
    total = math.comb(int(pooled.sum()), nt)
    greater = less = 0.0
    for d in range(0, min(nt, pooled[0]) + 1):
        for r in range(0, min(nt - d, pooled[2]) + 1):
            p = nt - d - r
            if p > pooled[1]:
                continue
            weight = math.comb(pooled[0], d) * math.comb(pooled[1], p) * math.comb(pooled[2], r) / total
            x = np.array([d, p, r])
            value = nps_difference(x, pooled - x)
            if value >= observed - 1e-12:
                greater += weight
            if value <= observed + 1e-12:
                less += weight
    return min(1.0, 2 * min(greater, less))


def rows_from_counts(counts) -> np.ndarray:
    return np.repeat([-1.0, 0.0, 1.0], counts)


def scipy_rows(t, c, *, n_resamples: int = 9999, seed: int = 0) -> float:
    x, y = rows_from_counts(t), rows_from_counts(c)
    res = stats.permutation_test(
        (x, y),
        lambda a, b, axis: 100.0 * (np.mean(a, axis=axis) - np.mean(b, axis=axis)),
        permutation_type="independent",
        vectorized=True,
        n_resamples=n_resamples,
        alternative="two-sided",
        rng=np.random.default_rng(seed),
    )
    return float(res.pvalue)


def best_time(fn, repeat: int = 3) -> float:
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="respondents per arm")
    parser.add_argument("--resamples", type=int, default=9999)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _report import machine

    print("# Permutation test of an NPS difference: multivariate hypergeometric draws on counts vs")
    print("# scipy.stats.permutation_test on -1/0/+1 rows (vectorized)")
    print(f"# {machine()}")

    # 1. Exactness at small n: scipy enumerates all C(16, 8) = 12870 relabellings.
    worst = 0.0
    for t, c in [((2, 3, 3), (4, 3, 1)), ((1, 1, 6), (5, 2, 1)), ((3, 2, 3), (3, 2, 3)), ((0, 0, 8), (8, 0, 0))]:
        exact = exact_counts(t, c)
        on_rows = scipy_rows(t, c, n_resamples=math.comb(16, 8) + 1)
        worst = max(worst, abs(exact - on_rows))
        print(f"exact n=8+8 {t} vs {c}: counts {exact:.6f}  scipy rows {on_rows:.6f}")
    print(f"largest difference of exact p-values: {worst:.2e} (must be ~0)")
    if worst > 1e-9:
        raise SystemExit("the counts permutation law differs from scipy's exact test")

    # 2. Monte Carlo at realistic n: same p-value up to Monte Carlo error, then timing.
    n, b = args.n, args.resamples
    t = np.round(np.array([0.25, 0.30, 0.45]) * n).astype(int)
    c = np.round(np.array([0.29, 0.30, 0.41]) * n).astype(int)
    p_counts = permutation_counts(t, c, n_resamples=b, seed=1)
    p_rows = scipy_rows(t, c, n_resamples=b, seed=2)
    se = math.sqrt(2 * p_rows * (1 - p_rows) / b)
    print(f"Monte Carlo, n={n}+{n}, B={b}: counts p={p_counts:.4f}, scipy rows p={p_rows:.4f} "
          f"(difference {abs(p_counts - p_rows):.4f}, 4 SE = {4 * se:.4f})")
    if abs(p_counts - p_rows) > max(4 * se, 2 / b):
        raise SystemExit("Monte Carlo p-values disagree beyond 4 standard errors")
    t_counts = best_time(lambda: permutation_counts(t, c, n_resamples=b))
    t_rows = best_time(lambda: scipy_rows(t, c, n_resamples=b), repeat=2)
    ratio = t_rows / t_counts
    print(f"counts {t_counts * 1e3:8.1f} ms   scipy rows {t_rows * 1e3:8.1f} ms   rows / counts = {ratio:,.0f}x "
          f"(target >= 100x): {'OK' if ratio >= 100 else 'MISSED'}")
    return {"n_per_arm": n, "resamples": b, "counts_ms": t_counts * 1e3, "rows_ms": t_rows * 1e3, "ratio": ratio}


if __name__ == "__main__":
    main()
