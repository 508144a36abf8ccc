"""Simulation checks of nps.compare and nps.power: A/A type-I error, power, margin-of-error coverage.

Run: ``PYTHONPATH=. python benchmarks/aa_and_power.py [--reps N] [--no-write]``; prints the tables
and writes them into docs/validation.md (section ``compare-power``).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import VALIDATION, write_section  # noqa: E402

import nps_analysis as nps  # noqa: E402

DISTRIBUTIONS = {
    "typical (25/30/45)": (0.25, 0.30, 0.45),
    "promoter-heavy (5/15/80)": (0.05, 0.15, 0.80),
    "detractor-heavy (60/25/15)": (0.60, 0.25, 0.15),
}
METHODS = {
    "adjusted-wald": {},
    "wald": {},
    "permutation": {"n_resamples": 2000},
    "bootstrap": {"n_resamples": 1000},
    "bayes": {"n_resamples": 1000},
}


def type_one_error(reps: int, seed: int = 1) -> tuple[str, list[dict]]:
    rows = []
    for dist_name, shares in DISTRIBUTIONS.items():
        for n in (30, 200):
            rng = np.random.default_rng(seed)
            t = rng.multinomial(n, shares, size=reps)
            c = rng.multinomial(n, shares, size=reps)
            row = {"distribution": dist_name, "n per arm": n}
            for method, kw in METHODS.items():
                m_reps = reps if method in ("adjusted-wald", "wald") else reps // 2
                p = np.array([
                    nps.compare(nps.NPSCounts(*t[i]), nps.NPSCounts(*c[i]), method=method, random_state=i, **kw).pvalue
                    for i in range(m_reps)
                ])
                row[method] = (float(np.mean(p < 0.05)), m_reps)
            rows.append(row)
    lines = [
        "| distribution | n per arm | " + " | ".join(METHODS) + " |",
        "|---|---|" + "---|" * len(METHODS),
    ]
    for row in rows:
        cells = [f"{100 * row[m][0]:.2f}% (±{196 * math.sqrt(0.05 * 0.95 / row[m][1]):.1f})" for m in METHODS]
        lines.append(f"| {row['distribution']} | {row['n per arm']} | " + " | ".join(cells) + " |")
    return "\n".join(lines), rows


def simulated_power(reps: int, seed: int = 2) -> tuple[str, list[dict]]:
    designs = [
        {"mde": 5.0, "ratio": 1.0, "alternative": "two-sided"},
        {"mde": 10.0, "ratio": 1.0, "alternative": "two-sided"},
        {"mde": 15.0, "ratio": 1.0, "alternative": "two-sided"},
        {"mde": 10.0, "ratio": 2.0, "alternative": "two-sided"},
        {"mde": -10.0, "ratio": 1.0, "alternative": "less"},
    ]
    control = np.array([0.25, 0.30, 0.45])
    rows = []
    for d in designs:
        plan = nps.sample_size(d["mde"], baseline_nps=20, passive_share=0.3, ratio=d["ratio"], alternative=d["alternative"])
        treatment = control + np.array([-d["mde"] / 200, 0.0, d["mde"] / 200])
        rng = np.random.default_rng(seed)
        t = rng.multinomial(plan.n_treatment, treatment, size=reps)
        c = rng.multinomial(plan.n_control, control, size=reps)
        row = {**d, "n_treatment": plan.n_treatment, "n_control": plan.n_control, "planned": plan.achieved_power}
        for method in ("adjusted-wald", "wald"):
            p = np.array([
                nps.compare(nps.NPSCounts(*t[i]), nps.NPSCounts(*c[i]), method=method, alternative=d["alternative"]).pvalue
                for i in range(reps)
            ])
            row[method] = float(np.mean(p < 0.05))
        rows.append(row)
    se = 196 * math.sqrt(0.8 * 0.2 / reps)
    lines = [
        "| mde | ratio | alternative | n treatment | n control | planned power | simulated (adjusted Wald) | simulated (Wald) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['mde']:+g} | {r['ratio']:g} | {r['alternative']} | {r['n_treatment']} | {r['n_control']} | "
            f"{100 * r['planned']:.1f}% | {100 * r['adjusted-wald']:.1f}% (±{se:.1f}) | {100 * r['wald']:.1f}% (±{se:.1f}) |"
        )
    return "\n".join(lines), rows


def moe_coverage(reps: int, seed: int = 3) -> tuple[str, list[dict]]:
    rows = []
    for dist_name, shares in DISTRIBUTIONS.items():
        true = 100 * (shares[2] - shares[0])
        for n in (50, 200, 1000):
            moe = nps.margin_of_error(n, baseline=nps.NPSCounts(*(1000 * np.array(shares))))
            draws = np.random.default_rng(seed).multinomial(n, shares, size=reps)
            est = 100 * (draws[:, 2] - draws[:, 0]) / n
            rows.append({"distribution": dist_name, "n": n, "moe": moe, "coverage": float(np.mean(np.abs(est - true) <= moe))})
    lines = ["| distribution | n | margin of error (points) | coverage of NPS ± margin |", "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['distribution']} | {r['n']} | {r['moe']:.2f} | {100 * r['coverage']:.2f}% |")
    return "\n".join(lines), rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=4000, help="A/A and power replicates (Wald methods)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/validation.md alone")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    aa_md, _ = type_one_error(args.reps)
    power_md, _ = simulated_power(args.reps // 2)
    moe_md, _ = moe_coverage(50_000)
    elapsed = time.perf_counter() - t0
    md = "\n\n".join([
        "## Comparing two cohorts and planning sample sizes (`benchmarks/aa_and_power.py`)",
        f"Nominal alpha 5%, two-sided. {args.reps} A/A replicates for the Wald methods, half as many for "
        "permutation (Monte Carlo above 10^6 states), bootstrap and Bayes (1000-2000 resamples each); "
        "± is the 95% Monte Carlo half-width. The Bayes column is the frequentist rejection rate of its "
        "posterior tail probability < 0.05.",
        "### A/A type-I error of `nps.compare`",
        aa_md,
        "### Simulated power of `nps.compare` at the n from `nps.sample_size` (baseline NPS 20, 30% passives)",
        "The treatment moves mde/2 points from detractors to promoters (the assumption of `sample_size`).",
        power_md,
        "### Coverage of `nps.margin_of_error` (nominal 95%, 50,000 replicates)",
        moe_md,
        f"_Run time {elapsed:.0f} s._",
    ])
    print(md)
    if not args.no_write:
        print(f"\nwrote {write_section(VALIDATION, 'compare-power', md)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
