"""Bootstrap interval on counts versus scipy.stats.bootstrap on rows, at n = 10,000.

    PYTHONPATH=. python benchmarks/bootstrap_speed.py [--no-write]

Both compute a 95% percentile interval from 10,000 resamples. ``nps_interval(method="bootstrap")``
draws each resample's counts from Multinomial(n, observed shares), which is exactly the law of the
counts in n rows drawn with replacement, so it needs 10,000 x 3 numbers instead of 10,000 x n.
scipy resamples the n rows of -1/0/+1 values (vectorised, in batches to bound memory). Target
(issue 2, section 8): >= 100x faster, same interval within Monte Carlo error.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats

import nps_analysis as nps
from nps_analysis.stats.scoring import NPSCounts

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import markdown_table, write_section  # noqa: E402

COUNTS = NPSCounts(detractors=2_000, passives=3_000, promoters=5_000)  # n = 10,000, NPS +30
RESAMPLES = 10_000
BATCH = 500  # scipy resamples BATCH x n values at a time (500 x 10,000 floats = 40 MB)


def best_of(fn, repeats: int) -> tuple[float, object]:
    best, result = math.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", default=str(Path(__file__).resolve().parents[1] / "docs" / "validation.md"))
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--scipy-repeats", type=int, default=3)
    args = parser.parse_args(argv)

    rows = np.repeat([-1.0, 0.0, 1.0], [COUNTS.detractors, COUNTS.passives, COUNTS.promoters])
    n = rows.size

    def ours():
        return nps.nps_interval(COUNTS, method="bootstrap", n_resamples=RESAMPLES, random_state=0)

    def scipy_rows():
        res = stats.bootstrap(
            (rows,), np.mean, n_resamples=RESAMPLES, batch=BATCH, vectorized=True,
            confidence_level=0.95, method="percentile", rng=np.random.default_rng(1),
        )
        return 100 * res.confidence_interval.low, 100 * res.confidence_interval.high, 100 * res.standard_error

    ours()  # warm-up: imports
    t_ours, r = best_of(ours, 20)
    t_scipy, (s_lo, s_hi, s_se) = best_of(scipy_rows, args.scipy_repeats)
    ratio = t_scipy / t_ours

    wald = nps.nps_interval(COUNTS, method="wald")
    # Monte Carlo sd of a 2.5% quantile from B draws of an approximately normal statistic:
    # sqrt(q (1 - q) / B) / phi(z) * se; the two runs are independent, so sd(diff) = sqrt(2) x that.
    q_sd = math.sqrt(0.025 * 0.975 / RESAMPLES) / stats.norm.pdf(stats.norm.ppf(0.975)) * wald.se
    diff_sd = math.sqrt(2) * q_sd
    d_lo, d_hi = r.ci_lower - s_lo, r.ci_upper - s_hi
    agree = abs(d_lo) <= 4 * diff_sd and abs(d_hi) <= 4 * diff_sd

    print(f"n = {n:,} rows ({COUNTS.detractors:,} / {COUNTS.passives:,} / {COUNTS.promoters:,}), "
          f"{RESAMPLES:,} resamples, 95% percentile interval")
    print(f"  nps_interval(bootstrap) on counts : [{r.ci_lower:.3f}, {r.ci_upper:.3f}]  se {r.se:.3f}  "
          f"best {1e3 * t_ours:.2f} ms")
    print(f"  scipy.stats.bootstrap on rows     : [{s_lo:.3f}, {s_hi:.3f}]  se {s_se:.3f}  "
          f"best {1e3 * t_scipy:.0f} ms (vectorized, batch={BATCH})")
    print(f"  Wald for reference                : [{wald.ci_lower:.3f}, {wald.ci_upper:.3f}]  se {wald.se:.3f}")
    print(f"  speed-up: {ratio:.0f}x  (target >= 100x: {'met' if ratio >= 100 else 'NOT met'})")
    print(f"  bound differences {d_lo:+.3f}, {d_hi:+.3f} points; Monte Carlo sd of a difference "
          f"{diff_sd:.3f}; within 4 sd: {'yes' if agree else 'NO'}")

    if not args.no_write:
        md = "\n".join([
            "## Bootstrap on counts versus scipy.stats.bootstrap on rows (issue 2, section 8)",
            "",
            f"Written by `benchmarks/bootstrap_speed.py`. n = {n:,} (detractors / passives / promoters "
            f"{COUNTS.detractors:,} / {COUNTS.passives:,} / {COUNTS.promoters:,}), {RESAMPLES:,} resamples, 95% "
            f"percentile interval; best of 20 runs (ours) and {args.scipy_repeats} runs (scipy, "
            f"`vectorized=True`, `batch={BATCH}`), measured in the same run on a shared 2-core machine.",
            "",
            markdown_table(
                ["method", "interval (points)", "se", "time"],
                [
                    ["`nps_interval(method='bootstrap')` on counts", f"[{r.ci_lower:.3f}, {r.ci_upper:.3f}]",
                     f"{r.se:.3f}", f"{1e3 * t_ours:.2f} ms"],
                    ["`scipy.stats.bootstrap` on rows", f"[{s_lo:.3f}, {s_hi:.3f}]", f"{s_se:.3f}",
                     f"{1e3 * t_scipy:.0f} ms"],
                    ["Wald (reference)", f"[{wald.ci_lower:.3f}, {wald.ci_upper:.3f}]", f"{wald.se:.3f}", ""],
                ],
            ),
            "",
            f"**Speed-up {ratio:.0f}x** (target >= 100x: {'met' if ratio >= 100 else 'not met'}). Bounds differ by "
            f"{d_lo:+.3f} and {d_hi:+.3f} points; the Monte Carlo sd of such a difference is {diff_sd:.3f} points, "
            f"so the intervals agree within Monte Carlo error ({'yes' if agree else 'NO'}, 4 sd).",
        ])
        path = write_section(args.output, "bootstrap-speed", md)
        print(f"wrote section 'bootstrap-speed' of {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
