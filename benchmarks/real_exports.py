"""Validation of the real-export checks by simulation; writes a section of docs/validation.md.

    PYTHONPATH=. python benchmarks/real_exports.py [--reps 2000] [--seed 12] [--no-write]

1. Scale check: how often genuine 0-10 NPS answers are flagged as a short scale (false warning),
   against the exact probability P(answer <= top)^n, and how often true 1-5 / 1-7 answers are
   named correctly, by sample size.
2. Date parser: on random day-first columns, the share parsed without a flag (every value has a
   day above 12), the share refused (one ambiguous value is enough to ask), and that no parsed
   date is ever wrong (the guarantee "never a silent guess").
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._report import VALIDATION, write_section  # noqa: E402
from nps_analysis.sources.dates import to_utc  # noqa: E402
from nps_analysis.sources.errors import NPSInputError  # noqa: E402
from nps_analysis.sources.scale import MIN_ANSWERS, looks_like  # noqa: E402

# Answer distributions over 0..10: a typical skewed programme and a struggling one (mean ~4).
PROGRAMMES = {
    "typical (NPS ~ +40)": np.array([2, 1, 1, 2, 2, 4, 5, 9, 14, 22, 38], float),
    "struggling (NPS ~ -50)": np.array([10, 8, 10, 12, 12, 14, 10, 8, 7, 5, 4], float),
}


def scale_false_warnings(reps: int, rng: np.random.Generator) -> list[str]:
    rows = [
        "| 0-10 programme | n | flagged as a short scale (simulated) | exact P(all answers <= 7) |",
        "|---|---|---|---|",
    ]
    for name, weights in PROGRAMMES.items():
        p = weights / weights.sum()
        for n in (MIN_ANSWERS, 30, 50):
            draws = rng.choice(11, size=(reps, n), p=p)
            flagged = np.mean([looks_like(d) is not None for d in draws])
            exact = p[:8].sum() ** n
            rows.append(f"| {name} | {n} | {flagged:.4f} | {exact:.4f} |")
    return rows


def scale_detection(reps: int, rng: np.random.Generator) -> list[str]:
    rows = ["| true scale | n | named correctly |", "|---|---|---|"]
    for low, high in ((1, 5), (1, 7), (0, 2)):
        for n in (MIN_ANSWERS, 40):
            draws = rng.integers(low, high + 1, size=(reps, n))
            right = np.mean([looks_like(d) == f"{low}-{high}" for d in draws])
            rows.append(f"| {low}-{high} (uniform answers) | {n} | {right:.4f} |")
    return rows


def dates(reps: int, rng: np.random.Generator) -> list[str]:
    start = datetime(2015, 1, 1)
    rows = [
        "| values per column | parsed without a flag | refused (asks for --dayfirst) | "
        "wrong dates among parsed | wrong with --dayfirst |",
        "|---|---|---|---|---|",
    ]
    for n in (1, 5, 30):
        parsed = refused = wrong = wrong_flag = 0
        for _ in range(reps):
            moments = [
                start + timedelta(minutes=int(m)) for m in rng.integers(0, 60 * 24 * 3650, n)
            ]
            text = pd.Series([m.strftime("%d/%m/%Y %H:%M") for m in moments])
            truth = [pd.Timestamp(m, tz="UTC") for m in moments]
            try:
                out = to_utc(text).tolist()
                parsed += 1
                wrong += out != truth
            except NPSInputError:
                refused += 1
            wrong_flag += to_utc(text, dayfirst=True).tolist() != truth
        rows.append(
            f"| {n} | {parsed / reps:.3f} | {refused / reps:.3f} | {wrong} | {wrong_flag} |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    text = "\n".join(
        [
            "## Real exports: scale check and date parser (`benchmarks/real_exports.py`)",
            "",
            f"`PYTHONPATH=. python benchmarks/real_exports.py --reps {args.reps} --seed {args.seed}`.",
            "",
            "**Scale check, false warnings.** A genuine 0-10 column is flagged when every answer is 7 or",
            f"below (and n >= {MIN_ANSWERS}); the exact probability is P(answer <= 7)^n. A warning, not an",
            "error: a struggling programme with few answers can trip it, which the message says how to check.",
            "",
            *scale_false_warnings(args.reps, rng),
            "",
            "**Scale check, detection.** Answers drawn uniformly from a short scale are named as that scale",
            "when the sample shows both ends (the miss rate is the chance the top or bottom never occurs).",
            "",
            *scale_detection(args.reps, rng),
            "",
            "**Date parser.** Random day-first times over ten years, written `%d/%m/%Y %H:%M`. Without a",
            "flag a column is refused as soon as one value is ambiguous; nothing parsed is ever wrong,",
            "and with `--dayfirst` every column parses exactly.",
            "",
            *dates(max(args.reps // 10, 50), rng),
        ]
    )
    print(text)
    if not args.no_write:
        write_section(VALIDATION, "real_exports", text)


if __name__ == "__main__":
    main()
