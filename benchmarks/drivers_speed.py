"""Speed and memory of key drivers (100,000 respondents x 12 drivers x 1,000 bootstrap resamples)
and of comment themes on 100,000 comments (keywords with negations; TF-IDF + NMF discovery).

Run: ``PYTHONPATH=. python benchmarks/drivers_speed.py [--n 100000] [--resamples 1000] [--no-write]``;
writes its table into docs/validation.md (section ``drivers-speed``). Target: each under 30 s on 2
cores. Peak memory is the tracemalloc peak of Python allocations (numpy included) during the call.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import VALIDATION, machine, markdown_table, write_section  # noqa: E402

from nps_analysis.analyses.drivers import key_drivers  # noqa: E402
from nps_analysis.analyses.themes import theme_impact  # noqa: E402
from nps_analysis.samples.drivers import drivers_data  # noqa: E402


def drivers_frame(n: int, p: int, seed: int = 5) -> pd.DataFrame:
    """n respondents, p correlated 1-5 ratings and a 0-10 score that depends on them."""
    rng = np.random.default_rng(seed)
    latent = 0.6 * rng.standard_normal((n, 1)) + 0.8 * rng.standard_normal((n, p))
    ratings = np.clip(np.round(3 + latent), 1, 5)
    weights = np.linspace(0.5, 0.05, p)
    s = latent @ weights + rng.standard_normal(n) * 1.5
    score = np.clip(np.round(7 + 1.2 * s), 0, 10)
    frame = pd.DataFrame(ratings, columns=[f"driver_{j + 1:02d}" for j in range(p)])
    frame["score"] = score.astype(int)
    return frame


def measure(fn: Any) -> tuple[float, float, float, Any]:
    """Wall seconds, CPU seconds of the process (all threads) and the tracemalloc peak (MiB).

    On a shared machine the wall time includes waiting for a core; the CPU time does not. Time and
    memory come from two separate calls: tracing every allocation slows the timed code down."""
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    gc.collect()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return elapsed, cpu, peak, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--drivers", type=int, default=12)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    frame = drivers_frame(args.n, args.drivers)
    names = [c for c in frame.columns if c != "score"]
    rows = []
    for method in ("relative-weights", "shapley"):
        for categorical in (False, True):
            t, cpu, mem, res = measure(lambda m=method, c=categorical: key_drivers(
                frame, "score", names, method=m, n_resamples=args.resamples, categorical=c))
            label = f"key_drivers {method}" + (" + detractor/promoter logits" if categorical else "")
            rows.append([label, f"{args.n:,} x {args.drivers} x {args.resamples:,} resamples",
                         f"{t:.1f}", f"{cpu:.1f}", f"{mem:.0f}"])
            print(rows[-1], flush=True)
    comments = drivers_data(args.n, seed=8)
    for label, kwargs in (("theme_impact keywords (4 languages, negations)", {}),
                          ("theme_impact discovery, n_themes=10", {"n_themes": 10}),
                          ("theme_impact discovery, n_themes='auto'", {"n_themes": "auto"})):
        t, cpu, mem, res = measure(lambda k=kwargs: theme_impact(comments, **k))
        rows.append([label, f"{args.n:,} answers, {res.n_commenters:,} comments", f"{t:.1f}", f"{cpu:.1f}",
                     f"{mem:.0f}"])
        print(rows[-1], flush=True)
    load = os.getloadavg()[0]
    # Multi-threaded BLAS spins while it waits for a core, which inflates CPU time on a busy machine.
    threads = (f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']} "
               if "OPENBLAS_NUM_THREADS" in os.environ else "")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    body = "\n".join([
        "## Key drivers and themes: speed and memory (`benchmarks/drivers_speed.py`)",
        "",
        f"`{threads}PYTHONPATH=. python benchmarks/drivers_speed.py --n {args.n} --resamples {args.resamples}`; "
        f"{machine()}; load average {load:.1f} at the end (a shared machine: wall time includes "
        "waiting for a core, CPU time is the process's own, all threads). Target: under 30 s each. "
        f"Memory: tracemalloc peak during the call; the process's maximum resident set was {rss:.0f} MiB.",
        "",
        markdown_table(["job", "size", "wall s", "CPU s", "peak MiB"], rows),
        "",
        "The bootstrap never refits on rows: each chunk of resamples is one multinomial count "
        "matrix times a table of per-respondent cross-products (the sufficient statistics), then "
        "relative weights (batched eigendecompositions) or Shapley shares (one sweep per subset, "
        "batched over resamples) on the 1,000 small correlation matrices.",
    ])
    print(body)
    if not args.no_write:
        print(f"written to {write_section(VALIDATION, 'drivers-speed', body)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
