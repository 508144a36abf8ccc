"""Planned against simulated power of the default two-cohort test (issue 14, item 8).

    PYTHONPATH=. python benchmarks/power_check.py --reps 20000

For each scenario the planned n per arm comes from the MOVER-score power formula
(``nps_analysis.stats.power``) and from the Wald formula (``nps.sample_size`` before issue 14);
both are simulated with the MOVER-score test (the default of ``compare``) on seeded multinomial
counts. Target: simulated power within 2 points of the planned 80%.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

from nps_analysis.stats import intervals as im
from nps_analysis.stats.power import mover_score_power, mover_score_sample_size

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import markdown_table, write_section  # noqa: E402

SCENARIOS = [  # (label, control shares, mde points, ratio, alternative)
    ("typical 25/30/45, +10", (0.25, 0.30, 0.45), 10, 1.0, "two-sided"),
    ("typical 25/30/45, -15, one-sided", (0.25, 0.30, 0.45), -15, 1.0, "less"),
    ("skewed 5/15/80, -15", (0.05, 0.15, 0.80), -15, 1.0, "two-sided"),
    ("skewed 5/15/80, -20", (0.05, 0.15, 0.80), -20, 1.0, "two-sided"),
    ("skewed 5/15/80, +10", (0.05, 0.15, 0.80), 10, 1.0, "two-sided"),
    ("skewed 3/7/90, +6", (0.03, 0.07, 0.90), 6, 1.0, "two-sided"),
    ("skewed 5/15/80, -30", (0.05, 0.15, 0.80), -30, 1.0, "two-sided"),
    ("skewed 10/20/70, -40", (0.10, 0.20, 0.70), -40, 1.0, "two-sided"),
    ("skewed 3/7/90, -20", (0.03, 0.07, 0.90), -20, 1.0, "two-sided"),
    ("detractor-heavy 60/25/15, +20", (0.60, 0.25, 0.15), 20, 1.0, "two-sided"),
    ("skewed 5/15/80, -20, ratio 3", (0.05, 0.15, 0.80), -20, 3.0, "two-sided"),
    ("typical 25/30/45, +30", (0.25, 0.30, 0.45), 30, 1.0, "two-sided"),
]


def shifted(shares, mde):
    d, p, r = shares
    s = mde / 200.0
    return (d - s, p, r + s)


def wald_n(t, c, mde, alpha, power, ratio, alternative):
    from statistics import NormalDist

    nd = NormalDist()
    za = nd.inv_cdf(1 - alpha / 2) if alternative == "two-sided" else nd.inv_cdf(1 - alpha)
    z = za + nd.inv_cdf(power)
    v = lambda s: s[2] + s[0] - (s[2] - s[0]) ** 2  # noqa: E731
    return z * z * (v(t) / ratio + v(c)) / (mde / 100) ** 2


def simulate(t, c, n_t, n_c, alpha, alternative, reps, rng):
    z = im.normal_quantile(1 - alpha) if alternative == "two-sided" else im.normal_quantile(1 - 2 * alpha)
    xt = rng.multinomial(n_t, t, size=reps).astype(float)
    xc = rng.multinomial(n_c, c, size=reps).astype(float)
    l1, u1 = im.score_bounds(*xt.T, z)
    l2, u2 = im.score_bounds(*xc.T, z)
    t1, t2 = (xt[:, 2] - xt[:, 0]) / n_t, (xc[:, 2] - xc[:, 0]) / n_c
    lower, upper = im.mover_difference_bounds(t1, l1, u1, t2, l2, u2)
    if alternative == "greater":
        return float((lower > 0).mean())
    if alternative == "less":
        return float((upper < 0).mean())
    return float(((lower > 0) | (upper < 0)).mean())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--output", default=str(Path(__file__).resolve().parents[1] / "docs" / "validation.md"))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    start = time.perf_counter()
    rows = []
    worst = 0.0
    for label, c, mde, ratio, alt in SCENARIOS:
        t = shifted(c, mde)
        n_wald = wald_n(t, c, mde, 0.05, 0.8, ratio, alt)
        n_c = math.ceil(mover_score_sample_size(t, c, alpha=0.05, power=0.8, ratio=ratio, alternative=alt, start=n_wald))
        n_t = math.ceil(ratio * n_c)
        planned = mover_score_power(t, c, n_t, n_c, alpha=0.05, alternative=alt)
        sim = simulate(t, c, n_t, n_c, 0.05, alt, args.reps, rng)
        n_wc = math.ceil(n_wald)
        n_wt = math.ceil(ratio * n_wald)
        sim_w = simulate(t, c, n_wt, n_wc, 0.05, alt, args.reps, rng)
        se = 1.96 * math.sqrt(sim * (1 - sim) / args.reps)
        worst = max(worst, abs(sim - 0.8))
        rows.append([label, alt, f"{n_t} / {n_c}", f"{100 * planned:.1f}%", f"{100 * sim:.1f}% (±{100 * se:.1f})",
                     f"{n_wt} / {n_wc}", f"{100 * sim_w:.1f}%"])
        print(" | ".join(rows[-1]), flush=True)
    elapsed = time.perf_counter() - start
    lines = [
        "## Planned against simulated power of the default test (issue 14, item 8)",
        "",
        f"Written by `benchmarks/power_check.py --reps {args.reps}` (seed {args.seed}, run {elapsed:.0f} s). "
        "alpha 5%, planned power 80%; the treatment moves mde/2 points from detractors to promoters "
        "(`sample_size`'s assumption). Every design is simulated with the MOVER-score test, the default of "
        "`compare`. 'score plan' = `sample_size` now (power formula of the test used); 'Wald plan' = the "
        "Wald-variance formula `sample_size` used before.",
        "",
        markdown_table(["scenario", "alternative", "n treatment / control (score plan)", "planned power",
                        "simulated power", "n (Wald plan)", "simulated power (Wald plan)"], rows),
        "",
        f"Largest distance of the score plan's simulated power from 80%: {100 * worst:.1f} points (target <= 2).",
    ]
    print(f"worst {100 * worst:.2f} points; run {elapsed:.0f} s")
    if not args.no_write:
        write_section(args.output, "power-check", "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
