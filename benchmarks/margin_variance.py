"""Which variance for the z statistic at the margin: plug-in, restricted to the margin, or their average.

One test of ``NPS_T - NPS_C`` against the margin (true difference exactly -5 points), at 50 to
1,200 answers per arm, balanced or 1:12, latent (NPS +20) or 90% promoters: the one-sided error
of each side (false ROLL_BACK: upper bound below -5; false KEEP: lower bound above -5), target
2.5% each. ``decide`` uses the average (``stats.decision_bounds.margin_variances``).

    PYTHONPATH=. python benchmarks/margin_variance.py --reps 200000     # ~1 minute
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
from rollback_designs import shares  # noqa: E402

from nps_analysis.stats import decision_bounds as db  # noqa: E402
from nps_analysis.stats import sequential as seq  # noqa: E402

SIZES = [(1200, 1200), (600, 600), (200, 200), (50, 50), (100, 1200), (1200, 100), (200, 1200), (1200, 200)]
Z = 1.959963984540054


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    started = time.time()
    lines: list[str] = []

    def emit(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    emit(f"One z test at the margin (true difference -5 points), {args.reps:,} replicates per row, seed {args.seed}; "
         f"one-sided errors in % as false ROLL_BACK / false KEEP (target 2.5 each; Monte Carlo SE "
         f"{100 * math.sqrt(0.025 * 0.975 / args.reps):.2f}). Plug-in: `E[Y^2] - m^2` at the observed means (Rocks' "
         "pseudo-counts); restricted: at means moved onto the margin (Farrington-Manning style, one step); average: "
         "their mean, what `decide` uses.")
    emit()
    emit("| answers (treatment / control) | answers | plug-in | restricted | average |")
    emit("|---|---|---|---|---|")
    for kind, label in (("latent", "NPS +20 (latent)"), ("skewed", "90% promoters")):
        p_t, p_c = shares(kind, -5.0)
        for n_t, n_c in SIZES:
            c = np.stack([rng.multinomial(np.full(args.reps, n_t), p_t), rng.multinomial(np.full(args.reps, n_c), p_c)])
            n, m, plug = seq.nps_moments(c)
            padded = c + np.asarray(seq.VARIANCE_PSEUDO_COUNTS)
            total = padded.sum(axis=-1)
            smooth = (padded[..., 2] - padded[..., 0]) / total
            square = (padded[..., 2] + padded[..., 0]) / total
            cells = []
            for r in (None, 1.0, 0.5):
                if r is None:
                    v = plug
                else:
                    v = np.stack(db.margin_variances(n[0], smooth[0], square[0], n[1], smooth[1], square[1], null=-0.05, restriction=r))
                d = 100 * (m[0] - m[1])
                se = 100 * np.sqrt(v[0] / n[0] + v[1] / n[1])
                cells.append(f"{100 * np.mean(d + Z * se < -5):.2f} / {100 * np.mean(d - Z * se > -5):.2f}")
            emit(f"| {n_t} / {n_c} | {label} | " + " | ".join(cells) + " |")
    emit()
    emit(f"_Command: `PYTHONPATH=. python benchmarks/margin_variance.py --reps {args.reps}` ({time.time() - started:.0f} s)._")
    if not args.no_write:
        write_section(ROOT / "docs" / "validation.md", "margin-variance",
                      "## The standard error at the margin (issue 14)\n\n" + "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
