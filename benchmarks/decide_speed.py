"""Speed of ``nps.decide`` for every design: 365 daily looks on 1,000,000 answers.

Times each design (best of ``--repeat`` runs, after one warm-up that pays the imports) and prints
its ratio to the sequential design measured in the same run, so the comparison survives a busy
machine. Target (issue 14): every design under 1 s.

    PYTHONPATH=. python benchmarks/decide_speed.py              # ~1 minute
    PYTHONPATH=. python benchmarks/decide_speed.py --answers 100000 --no-write
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import write_section  # noqa: E402

import nps_analysis as nps  # noqa: E402

DESIGNS = [
    ("sequential (default)", dict(design="sequential")),
    ("sequential, planned_days = 365", dict(design="sequential", planned_days=365)),
    ("group-sequential, O'Brien-Fleming", dict(design="group-sequential", spending="obrien-fleming")),
    ("group-sequential, Pocock", dict(design="group-sequential", spending="pocock")),
    ("fixed", dict(design="fixed")),
]


def designs(answers: int) -> list[tuple[str, dict]]:
    """The designs, plus group-sequential ones planned at every answer, so all 365 looks are tested
    (with the default plan, 8,163 responses, the maximum information is reached in a few days)."""
    planned = [
        (f"group-sequential, {name}, planned_responses = {answers:,}", dict(design="group-sequential", spending=sp, planned_responses=answers))
        for name, sp in (("O'Brien-Fleming", "obrien-fleming"), ("Pocock", "pocock"))
    ]
    return DESIGNS + planned


def frame(answers: int, days: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    arm = np.where(rng.random(answers) < 0.5, "treatment", "control")
    p = np.array([0.03, 0.01, 0.02, 0.03, 0.03, 0.06, 0.07, 0.12, 0.18, 0.20, 0.25])
    score = rng.choice(11, size=answers, p=p)
    day = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, days, answers), unit="D")
    return pd.DataFrame({"score": score, "arm": arm, "submitted_at": day})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    data = frame(args.answers, args.days, args.seed)
    cols = dict(score="score", group="arm", time="submitted_at", treatment="treatment", control="control", margin=5)
    lines: list[str] = []

    def emit(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    emit(f"{args.answers:,} answers over {args.days} daily looks (datetime column), best of {args.repeat} runs after a warm-up; "
         "ratio = time / time of the default sequential design in the same run.")
    emit()
    emit("| design | guardrails | seconds | first call (imports, calibration) | ratio to sequential | decision |")
    emit("|---|---|---|---|---|---|")
    base = {}
    for guard_label, guardrails in (("none", ()), ("detractor_share=5, promoter_share=5", ("detractor_share=5", "promoter_share=5"))):
        for label, kw in designs(args.answers):
            t0 = time.perf_counter()
            nps.decide(data, **cols, guardrails=guardrails, **kw)  # warm-up: imports and caches
            cold = time.perf_counter() - t0
            best = float("inf")
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                d = nps.decide(data, **cols, guardrails=guardrails, **kw)
                best = min(best, time.perf_counter() - t0)
            base.setdefault(guard_label, best)
            emit(f"| {label} | {guard_label} | {best:.3f} | {cold:.3f} | {best / base[guard_label]:.2f} | {d.decision} |")
    emit()
    emit(f"_Command: `PYTHONPATH=. python benchmarks/decide_speed.py --answers {args.answers}`._")
    if not args.no_write:
        write_section(ROOT / "docs" / "validation.md", "decide-speed", "## Speed of decide (issue 14)\n\n" + "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
