"""CUPED from moments: coverage of the "arm-residual" variance against HC2 on the rows.

A table too large to fetch its covariate patterns is adjusted from per-arm moments
(``nps_analysis.stats.cuped_tables.effect_from_moments``): the same estimate as the rows, with
each arm's residual variance in the sandwich instead of HC2's leverage-corrected squared
residuals (leverages are not functions of moments). This script simulates experiments with two
continuous covariates, equal and unequal arms, a noisier treatment arm and noise that grows with
a covariate (heteroskedastic within the arm), and reports the coverage of the 95% interval of
both variances for the true NPS difference, and their mean standard-error ratio.

    PYTHONPATH=. python benchmarks/cuped_moments.py --reps 2000          # ~1 minute
    PYTHONPATH=. python benchmarks/cuped_moments.py --reps 300 --no-write
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import norm
from scipy.stats import t as student_t

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import markdown_table, write_section  # noqa: E402

from nps_analysis.stats import ancova  # noqa: E402
from nps_analysis.stats.cuped_tables import effect_from_moments  # noqa: E402

#: Latent cut points giving control shares of about (.25, .30, .45): NPS +20.
CUTS = (norm.ppf(0.25), norm.ppf(0.55))
WEIGHTS = np.array([0.8, 0.5])  # two informative covariates

#: name -> (treatment answers, control answers, treatment noise sd, growth of the noise sd with x1:
#: sd multiplied by exp(g x1), 0 = homoskedastic within the arm)
SCENARIOS = {
    "equal arms, homoskedastic": (100, 100, 1.0, 0.0),
    "unequal arms, noisier treatment": (50, 250, 1.6, 0.0),
    "unequal arms, noise grows with x1": (50, 250, 1.0, 0.6),
    "unequal arms, noise grows fast with x1": (30, 300, 1.0, 1.5),
    "large equal arms, noise grows with x1": (500, 500, 1.0, 0.6),
    "small arms (common slopes)": (20, 20, 1.0, 0.0),
}
SHIFT = 0.3  # latent treatment shift


def true_effect(sd_t: float, hetero: float, rng: np.random.Generator) -> float:
    """E[Y | treated] - E[Y | control] in points, by a one-million-draw Monte Carlo of the model."""
    x = rng.standard_normal((1_000_000, 2))
    out = []
    for shift, sd in ((SHIFT, sd_t), (0.0, 1.0)):
        scale = sd * np.exp(hetero * x[:, 0])
        mean = x @ WEIGHTS + shift
        p_det = norm.cdf((CUTS[0] - mean) / scale)
        p_pro = norm.sf((CUTS[1] - mean) / scale)
        out.append(float(np.mean(p_pro - p_det)))
    return 100.0 * (out[0] - out[1])


def simulate(rng, reps, n_t, n_c, sd_t, hetero):
    n = n_t + n_c
    treated = np.arange(n) < n_t
    x = rng.standard_normal((reps, n, 2))
    scale = np.where(treated, sd_t, 1.0) * np.exp(hetero * x[..., 0])
    latent = x @ WEIGHTS + scale * rng.standard_normal((reps, n)) + np.where(treated, SHIFT, 0.0)
    y = np.where(latent < CUTS[0], -1.0, np.where(latent < CUTS[1], 0.0, 1.0))
    return y, x, treated


def moments(y, x, arm):
    """Per replicate, one arm's sums (the aggregate an engine returns)."""
    ya, xa = y[:, arm], x[:, arm]
    return [
        {"n": int(arm.sum()), "sy": float(sy), "syy": float(syy), "sx": sx, "sxy": sxy, "sxx": sxx}
        for sy, syy, sx, sxy, sxx in zip(
            ya.sum(axis=1), (ya * ya).sum(axis=1), xa.sum(axis=1), np.einsum("rn,rnk->rk", ya, xa),
            np.einsum("rni,rnj->rij", xa, xa), strict=True)
    ]


def run(reps: int, seed: int) -> tuple[list[list[object]], float]:
    rng = np.random.default_rng(seed)
    rows = []
    start = time.perf_counter()
    for name, (n_t, n_c, sd_t, hetero) in SCENARIOS.items():
        truth = true_effect(sd_t, hetero, rng)
        y, x, treated = simulate(rng, reps, n_t, n_c, sd_t, hetero)
        rows_fit = ancova.adjusted_effect(y, x, treated)  # HC2 on the rows, batched
        est_rows = 100 * rows_fit.estimate
        se_rows = 100 * rows_fit.se
        mt, mc = moments(y, x, treated), moments(y, x, ~treated)
        fits = [effect_from_moments([a, b]) for a, b in zip(mt, mc, strict=True)]
        est_m = 100 * np.array([float(f.estimate) for f in fits])
        se_m = 100 * np.array([float(f.se) for f in fits])
        q = float(student_t.isf(0.025, rows_fit.df))
        cover_rows = np.mean(np.abs(est_rows - truth) <= q * se_rows)
        cover_m = np.mean(np.abs(est_m - truth) <= q * se_m)
        half = 1.96 * math.sqrt(0.95 * 0.05 / reps)
        rows.append([
            name, f"{n_t} / {n_c}", rows_fit.estimator, f"{truth:+.1f}",
            f"{np.max(np.abs(est_m - est_rows)):.1e}", f"{100 * cover_rows:.1f}%", f"{100 * cover_m:.1f}%",
            f"± {100 * half:.1f}", f"{np.mean(se_m / se_rows):.3f}",
        ])
    return rows, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    rows, seconds = run(args.reps, args.seed)
    header = ["scenario", "answers (treatment / control)", "estimator", "true effect (points)",
              "max |estimate moments - rows|", "coverage HC2 (rows)", "coverage arm-residual (moments)",
              "Monte Carlo ±", "mean SE ratio moments / HC2"]
    table = markdown_table(header, rows)
    text = (
        "## CUPED from moments: the arm-residual variance against HC2 (`benchmarks/cuped_moments.py`)\n\n"
        "When a table's covariates take too many distinct values to fetch their patterns (more than "
        "`MAX_PATTERNS`), the experiment report adjusts from per-arm moments (`aggregates.score_moments`): the "
        "estimate is the rows' least-squares estimate exactly (column 5: floating-point noise), the variance is "
        "each arm's residual variance in the sandwich (`variance=\"arm-residual\"`) instead of HC2. Two "
        f"informative continuous covariates, latent treatment shift {SHIFT}, {args.reps} simulated experiments "
        "per row; coverage of the two-sided 95% t interval for the true NPS difference.\n\n"
        f"{table}\n\n"
        "Reading: the -1/0/+1 outcome has a bounded variance, so even when the latent noise grows fast with a "
        "covariate the two standard errors differ by under 1% on average and the two intervals cover alike "
        "(in the hardest row, 30 answers against 300 with fast-growing noise, both fall to about 93%); the arm-residual variance can be a little smaller than HC2 when "
        "one arm is small and its noise depends on a covariate (the leverage correction it lacks). Tables "
        "with few distinct covariate values (a prior 0-10 answer, categories) never take this path: their "
        "patterns give HC2 exactly.\n\n"
        f"_Command: `PYTHONPATH=. python benchmarks/cuped_moments.py --reps {args.reps}` ({seconds:.0f} s)._"
    )
    print(text)
    if not args.no_write:
        write_section(ROOT / "docs" / "validation.md", "cuped-moments", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
