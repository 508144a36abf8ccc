"""Benchmark: a permutation test of two NPS cohorts on counts vs scipy.stats.permutation_test on rows.

Relabelling respondents at random leaves the pooled category counts fixed, so the treatment arm's
(detractors, passives, promoters) under the null hypothesis follow a multivariate hypergeometric
distribution (Fisher 1935; Good 2005). The kit's ``compare.permutation_pvalue`` enumerates or draws
from that law: the same test as permuting the rows, at a cost independent of n. This script checks
that (exact p-values equal scipy's exact test on rows at small n; Monte Carlo p-values agree
within Monte Carlo error at large n) and times the kit against scipy.stats.permutation_test.

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


def kit_pvalue(t, c, *, alternative: str = "two-sided", n_resamples: int = 9999, exact: bool = True, seed: int = 0):
    """The kit's test (nps_analysis.compare.permutation_pvalue) on counts."""
    from nps_analysis import NPSCounts
    from nps_analysis.stats.compare import permutation_pvalue

    pvalue, was_exact, _ = permutation_pvalue(
        NPSCounts(*map(int, t)),
        NPSCounts(*map(int, c)),
        alternative=alternative,
        n_resamples=n_resamples,
        max_exact_states=1_000_000 if exact else 0,
        random_state=seed,
    )
    return pvalue, was_exact


def rows_from_counts(counts) -> np.ndarray:
    return np.repeat([-1.0, 0.0, 1.0], counts)


def scipy_rows(t, c, *, n_resamples: int = 9999, seed: int = 0, alternative: str = "two-sided") -> float:
    x, y = rows_from_counts(t), rows_from_counts(c)
    res = stats.permutation_test(
        (x, y),
        lambda a, b, axis: 100.0 * (np.mean(a, axis=axis) - np.mean(b, axis=axis)),
        permutation_type="independent",
        vectorized=True,
        n_resamples=n_resamples,
        alternative=alternative,
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

    # 1. Exactness at small n: scipy enumerates all C(16, 8) = 12870 relabellings of the rows, the
    #    kit enumerates the multivariate hypergeometric law of the counts. One-sided p-values
    #    (scipy's two-sided is 2 min(less, greater), the kit's P(|D*| >= |D|): both fine, not equal).
    worst = 0.0
    cases = [((2, 3, 3), (4, 3, 1)), ((1, 1, 6), (5, 2, 1)), ((3, 2, 3), (3, 2, 3)), ((0, 0, 8), (8, 0, 0))]
    for t, c in cases:
        for alt in ("greater", "less"):
            kit, was_exact = kit_pvalue(t, c, alternative=alt)
            on_rows = scipy_rows(t, c, n_resamples=math.comb(16, 8) + 1, alternative=alt)
            assert was_exact
            worst = max(worst, abs(kit - on_rows))
            print(f"exact n=8+8 {t} vs {c} {alt:8s}: kit on counts {kit:.6f}  scipy on rows {on_rows:.6f}")
    print(f"largest difference of exact p-values: {worst:.2e} (must be ~0)")
    if worst > 1e-9:
        raise SystemExit("the counts permutation law differs from scipy's exact test")

    # 2. Monte Carlo at realistic n: the same p-value up to Monte Carlo error, then timing.
    n, b = args.n, args.resamples
    t = np.round(np.array([0.25, 0.30, 0.45]) * n).astype(int)
    c = np.round(np.array([0.29, 0.30, 0.41]) * n).astype(int)
    p_counts, _ = kit_pvalue(t, c, alternative="greater", n_resamples=b, exact=False, seed=1)
    p_rows = scipy_rows(t, c, n_resamples=b, seed=2, alternative="greater")
    se = math.sqrt(2 * p_rows * (1 - p_rows) / b)
    print(f"Monte Carlo, n={n}+{n}, B={b}, one-sided: kit p={p_counts:.4f}, scipy rows p={p_rows:.4f} "
          f"(difference {abs(p_counts - p_rows):.4f}, 4 SE = {4 * se:.4f})")
    if abs(p_counts - p_rows) > max(4 * se, 2 / b):
        raise SystemExit("Monte Carlo p-values disagree beyond 4 standard errors")
    t_counts = best_time(lambda: kit_pvalue(t, c, n_resamples=b, exact=False))
    t_rows = best_time(lambda: scipy_rows(t, c, n_resamples=b), repeat=2)
    ratio = t_rows / t_counts
    print(f"two-sided, B={b}: kit on counts {t_counts * 1e3:8.1f} ms   scipy on rows {t_rows * 1e3:8.1f} ms   "
          f"rows / counts = {ratio:,.0f}x (target >= 100x): {'OK' if ratio >= 100 else 'MISSED'}")
    t_exact = best_time(lambda: kit_pvalue(t, c, n_resamples=b, exact=True))
    print(f"the kit's default at this n ({'exact' if kit_pvalue(t, c)[1] else 'Monte Carlo'}): {t_exact * 1e3:.1f} ms")
    return {"n_per_arm": n, "resamples": b, "counts_ms": t_counts * 1e3, "rows_ms": t_rows * 1e3, "ratio": ratio}


if __name__ == "__main__":
    main()
