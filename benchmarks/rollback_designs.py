"""Every roll-back design in the audit's corners: late or unequal arms, skewed answers, small first days.

Simulates experiments watched every day for 30 days (Poisson daily arrivals per arm, on counts)
through ``nps_analysis.stats.decision_bounds.rule_multipliers`` (the bounds ``decide`` uses) and
reports, per design and scenario, false ROLL_BACK and false KEEP with the true effect exactly at
the margin, coverage of the truth at every tested look, and the power to roll back a true harm.

    PYTHONPATH=. python benchmarks/rollback_designs.py --reps 4000        # ~10 minutes, 2 cores
    PYTHONPATH=. python benchmarks/rollback_designs.py --reps 400 --no-write
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import write_section  # noqa: E402

from nps_analysis.samples import latent as datasets  # noqa: E402
from nps_analysis.stats import decision_bounds as db  # noqa: E402
from nps_analysis.stats import information as info  # noqa: E402
from nps_analysis.stats import sequential as seq  # noqa: E402

ALPHA = 0.05
MARGIN = 5.0
DAYS = 30


def latent_shares(nps_value: float) -> np.ndarray:
    p = datasets.latent_distribution(datasets.shift_for_nps(nps_value))
    return np.array([p[:7].sum(), p[7:9].sum(), p[9:].sum()])


#: (label, per-day rate treatment, control, start day treatment, control, first-day rate, control shares)
SCENARIOS = [
    ("balanced, 40/arm/day", 40, 40, 1, 1, None, "latent"),
    ("balanced, 20/arm/day", 20, 20, 1, 1, None, "latent"),
    ("90% promoters, 40/arm/day", 40, 40, 1, 1, None, "skewed"),
    ("90% promoters, 20/arm/day", 20, 20, 1, 1, None, "skewed"),
    ("unequal 20/60 per day", 20, 60, 1, 1, None, "latent"),
    ("unequal 60/20 per day", 60, 20, 1, 1, None, "latent"),
    ("late treatment (day 11), 40/day", 40, 40, 11, 1, None, "latent"),
    ("late control (day 11), 40/day", 40, 40, 1, 11, None, "latent"),
    ("late treatment, 90% promoters, 20/day", 20, 20, 11, 1, None, "skewed"),
    ("5-answer first day, then 40/day", 40, 40, 1, 1, 2.5, "latent"),
]


def shares(kind: str, effect: float) -> tuple[np.ndarray, np.ndarray]:
    """(treatment, control) category shares; treatment NPS = control NPS + effect."""
    if kind == "skewed":  # 90% promoters: control (.03, .07, .90), NPS 87; harm moves promoters to detractors
        control = np.array([0.03, 0.07, 0.90])
        move = -effect / 200.0
        return np.array([0.03 + move, 0.07, 0.90 - move]), control
    return latent_shares(20.0 + effect), latent_shares(20.0)


def simulate(rng, reps, scenario, effect):
    """Cumulative counts (2 arms, reps, DAYS, 3) and the days elapsed since both arms started."""
    _, rate_t, rate_c, start_t, start_c, first_day, kind = scenario
    p_t, p_c = shares(kind, effect)
    out = np.empty((2, reps, DAYS, 3), dtype=np.int64)
    for arm, (rate, start, p) in enumerate(((rate_t, start_t, p_t), (rate_c, start_c, p_c))):
        lam = np.full(DAYS, float(rate))
        lam[: start - 1] = 0.0
        if first_day is not None:
            lam[0] = first_day
        arrivals = rng.poisson(lam, size=(reps, DAYS))
        out[arm] = np.cumsum(rng.multinomial(arrivals, p), axis=1)
    days = np.arange(1, DAYS + 1)
    elapsed = np.clip(days - max(start_t, start_c) + 1, 0, None).astype(float)
    active = np.stack([np.clip(days - start + 1, 0, None) for start in (start_t, start_c)]).astype(float)
    return out, (elapsed, active)


def expected_total(scenario) -> float:
    _, rate_t, rate_c, start_t, start_c, _, _ = scenario
    return rate_t * (DAYS - start_t + 1) + rate_c * (DAYS - start_c + 1)


DESIGNS = {
    "cs-default": "sequential, default tuning",
    "cs-horizon": "sequential, planned_days = 30",
    "gs-obf-n": "GS O'Brien-Fleming, N_k/P (before)",
    "gs-obf": "GS O'Brien-Fleming, information",
    "gs-pocock-n": "GS Pocock, N_k/P (before)",
    "gs-pocock": "GS Pocock, information",
    "fixed-once": "fixed test once at day 30",
}


def bounds(counts, days, key, metrics=1):
    """Lower (non-inferiority) and upper (harm) bounds in points, and tested looks."""
    elapsed, active = days
    n, mean, wald_var = seq.nps_moments(counts)
    diff = 100 * (mean[0] - mean[1])
    var = wald_var
    if not key.endswith("-n"):  # decide() now: standard errors estimated under the margin
        padded = counts + np.asarray(seq.VARIANCE_PSEUDO_COUNTS)
        total = padded.sum(axis=-1)
        smooth = (padded[..., 2] - padded[..., 0]) / total
        square = (padded[..., 2] + padded[..., 0]) / total
        var = np.stack(db.margin_variances(n[0], smooth[0], square[0], n[1], smooth[1], square[1], null=-MARGIN / 100))
    with np.errstate(divide="ignore", invalid="ignore"):
        se = 100 * np.sqrt(var[0] / n[0] + var[1] / n[1])
    planned = expected_total(CURRENT[0])
    if key == "cs-default":
        m = db.rule_multipliers(n[0], var[0], n[1], var[1], design="sequential", alpha=ALPHA, metrics=metrics,
                                planned_responses=seq.default_planned_responses(MARGIN, alpha=ALPHA))
    elif key == "cs-horizon":
        m = db.rule_multipliers(n[0], var[0], n[1], var[1], design="sequential", alpha=ALPHA, metrics=metrics,
                                elapsed_days=elapsed, planned_days=DAYS)
    elif key in ("gs-obf", "gs-pocock"):
        m = db.rule_multipliers(n[0], var[0], n[1], var[1], design="group-sequential", alpha=ALPHA, metrics=metrics,
                                planned_responses=planned, spending="obrien-fleming" if key == "gs-obf" else "pocock",
                                allocation=db.arrival_allocation(n[0], n[1], active[0], active[1]))
    elif key in ("gs-obf-n", "gs-pocock-n"):
        # what decide() did before: fractions N_k / P, two-sided symmetric alpha / metrics, no minimum
        frac = (n[0] + n[1]) / planned
        ok = (n[0] > 0) & (n[1] > 0)
        b = info.spending_bounds(frac, alpha=ALPHA / (2 * metrics), spending="obrien-fleming" if key == "gs-obf-n" else "pocock", eligible=ok)
        m = db.RuleMultipliers(b, b, np.isfinite(b), frac, 0, 0, (math.nan, math.nan))
    else:  # fixed once, at the last day
        m = db.rule_multipliers(n[0], var[0], n[1], var[1], design="fixed", alpha=ALPHA, metrics=metrics, min_responses=1)
        last = np.zeros(n[0].shape, dtype=bool)
        last[..., -1] = True
        m = db.RuleMultipliers(np.where(last, m.harm, np.inf), np.where(last, m.noninf, np.inf), last, m.fractions, 0, 0, m.level)
    with np.errstate(invalid="ignore"):
        lower = np.where(m.tested, diff - m.noninf * se, -np.inf)
        upper = np.where(m.tested, diff + m.harm * se, np.inf)
    return lower, upper, m.tested


CURRENT: list = [None]


def rate(x):
    p = float(np.mean(x))
    return p, math.sqrt(max(p * (1 - p), 1e-12) / x.size)


def fmt(p, se):
    return f"{100 * p:.2f} ± {100 * se:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated design keys")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    started = time.time()
    keys = [k for k in DESIGNS if not args.only or k in args.only.split(",")]
    lines: list[str] = []

    def emit(text=""):
        print(text, flush=True)
        lines.append(text)

    emit(f"Settings: alpha = {ALPHA}: false ROLL_BACK and false KEEP each target <= 2.5% (one-sided); margin {MARGIN:g} "
         f"points; a look every day for {DAYS} days; NPS alone (no guardrails) unless stated; Poisson daily arrivals; "
         f"{args.reps:,} replicates per cell, seed {args.seed}; ± is one Monte Carlo standard error. Group-sequential "
         f"designs plan the expected {DAYS}-day total. Designs marked (before) are decide() before issue 14 "
         "(fractions N_k/P, plug-in variance, no minimum); the others are decide() now: variances half plug-in, half restricted to the "
         "margin, and a look is tested only once each arm has "
         f"{db.MIN_RESPONSES_PER_ARM} answers (group-sequential: and {db.MIN_INFORMATION_FRACTION:.0%} of the planned information).")
    emit()
    emit("### 1. True effect exactly at the margin (-5): false ROLL_BACK / false KEEP / coverage at every tested look, %")
    emit()
    emit("| scenario | " + " | ".join(DESIGNS[k] for k in keys) + " |")
    emit("|---|" + "---|" * len(keys))
    worst = {k: [0.0, 0.0] for k in keys}
    for sc in SCENARIOS:
        CURRENT[0] = sc
        counts, elapsed = simulate(rng, args.reps, sc, -MARGIN)
        cells = []
        for k in keys:
            lo, hi, tested = bounds(counts, elapsed, k)
            fr, fr_se = rate((hi < -MARGIN).any(axis=-1))
            fk, fk_se = rate((lo > -MARGIN).any(axis=-1))
            cov, _ = rate(((lo <= -MARGIN) & (-MARGIN <= hi)).all(axis=-1))
            worst[k] = [max(worst[k][0], fr), max(worst[k][1], fk)]
            cells.append(f"{fmt(fr, fr_se)} / {fmt(fk, fk_se)} / {100 * cov:.1f}")
        emit(f"| {sc[0]} | " + " | ".join(cells) + " |")
    emit()
    emit("Largest false ROLL_BACK / false KEEP over the scenarios: "
         + "; ".join(f"{DESIGNS[k]} {100 * w[0]:.2f}% / {100 * w[1]:.2f}%" for k, w in worst.items()) + ".")
    emit()
    emit("### 2. Power: true harm -15 points, 40 answers per arm per day, P(ROLL_BACK within 30 days), %")
    emit()
    emit("| metrics (alpha split for ROLL_BACK) | " + " | ".join(DESIGNS[k] for k in keys) + " |")
    emit("|---|" + "---|" * len(keys))
    sc = SCENARIOS[0]
    CURRENT[0] = sc
    counts, elapsed = simulate(rng, args.reps, sc, -15.0)
    for metrics in (1, 3):
        cells = []
        for k in keys:
            lo, hi, _ = bounds(counts, elapsed, k, metrics=metrics)
            p, se = rate((hi < -MARGIN).any(axis=-1))
            cells.append(fmt(p, se))
        label = "NPS only" if metrics == 1 else "NPS + 2 guardrails (harm at alpha/6 one-sided)"
        emit(f"| {label} | " + " | ".join(cells) + " |")
    emit()
    emit(f"Horizon levels of the mixture formula (one-sided crossing = target over {DAYS} daily looks): "
         f"2.5% -> {info.horizon_level(0.025, DAYS):.4f}, 0.833% -> {info.horizon_level(0.025 / 3, DAYS):.4f}.")
    elapsed_s = time.time() - started
    emit()
    emit(f"_Command: `PYTHONPATH=. python benchmarks/rollback_designs.py --reps {args.reps}` ({elapsed_s:.0f} s)._")
    if not args.no_write:
        write_section(ROOT / "docs" / "validation.md", "rollback-designs",
                      "## Roll-back designs in every corner (issue 14: late and unequal arms, horizon, alpha allocation)\n\n" + "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
