"""Proof that clause C of the issue-14 interval contract cannot be met at n = 15..29.

    PYTHONPATH=. python benchmarks/interval_band_proof.py            # n = 15..30, band [93%, 97%]

Clause C asks for exact coverage within [93%, 97%] at every n >= 15 wherever each category holds
at least 3%. Take the distributions whose true NPS is 0, (q, 1 - 2q, q) for q = 3%..48% (all on
the 1% lattice). For any interval method, the outcomes whose interval lies entirely above 0 form
a set U and those entirely below a set L; coverage at each q is ``1 - P_q(U) - P_q(L)``.

"Widens sensibly with the data" is taken as monotonicity: when one answer moves up a category
(detractor -> passive or passive -> promoter) neither bound goes down. Then U is an up-set and L
a down-set of the outcome lattice, and U, L are disjoint. Whether sets with
``0.03 <= P_q(U) + P_q(L) <= 0.07`` for every q exist is a 0/1 linear feasibility problem
(variables: one per outcome for U and for L; the monotonicity and disjointness constraints are
linear), solved exactly by HiGHS through ``scipy.optimize.milp``. "infeasible" means that NO
monotone interval, whatever its construction, meets clause C at that n, so the clause is
impossible; the script also reports the narrowest feasible upper edge at n = 15.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy import special
from scipy.optimize import Bounds, LinearConstraint, milp

from nps_analysis.stats.intervals import outcomes

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import markdown_table, write_section  # noqa: E402


def feasible(n: int, shares: list[tuple[float, float, float]], low: float, high: float) -> bool:
    """Is there a monotone interval rule with coverage in [low, high] at all ``shares`` (truth 0)?"""
    grid = outcomes(n)
    m = len(grid)
    index = {(int(d), int(r)): i for i, (d, _, r) in enumerate(grid)}
    coef = special.gammaln(n + 1) - special.gammaln(grid + 1).sum(axis=1)
    rows, lb, ub = [], [], []
    for s in shares:
        pmf = np.exp(special.xlogy(grid, np.array(s)).sum(axis=1) + coef)
        rows.append(np.concatenate([pmf, pmf]))
        lb.append(1 - high)
        ub.append(1 - low)
    for (d, r), i in index.items():
        for step in ((d - 1, r), (d, r + 1)):  # one answer up: detractor -> passive, passive -> promoter
            j = index.get(step)
            if j is None:
                continue
            a = np.zeros(2 * m)
            a[i], a[j] = 1, -1  # i in U => the higher outcome j in U
            rows.append(a)
            lb.append(-np.inf)
            ub.append(0)
            a = np.zeros(2 * m)
            a[m + j], a[m + i] = 1, -1  # j in L => the lower outcome i in L
            rows.append(a)
            lb.append(-np.inf)
            ub.append(0)
        a = np.zeros(2 * m)
        a[i], a[m + i] = 1, 1  # an interval cannot lie above and below 0
        rows.append(a)
        lb.append(-np.inf)
        ub.append(1)
    res = milp(c=np.zeros(2 * m), constraints=LinearConstraint(np.array(rows), lb, ub),
               integrality=np.ones(2 * m), bounds=Bounds(0, 1))
    return res.status == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--min-n", type=int, default=15)
    parser.add_argument("--max-n", type=int, default=30)
    parser.add_argument("--output", default=str(Path(__file__).resolve().parents[1] / "docs" / "validation.md"))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    shares = [(q / 100, 1 - 2 * q / 100, q / 100) for q in range(3, 49)]
    start = time.perf_counter()
    rows = []
    for n in range(args.min_n, args.max_n + 1):
        ok = feasible(n, shares, 0.93, 0.97)
        rows.append([n, "feasible" if ok else "infeasible"])
        print(n, rows[-1][1], flush=True)
    edges = []
    for high in (0.97, 0.98, 0.99, 0.995, 1.0):
        ok = feasible(15, shares, 0.93, high)
        edges.append([f"[93%, {100 * high:g}%]", "feasible" if ok else "infeasible"])
        print(15, edges[-1], flush=True)
    elapsed = time.perf_counter() - start
    lines = [
        "## Clause C of the one-NPS contract is impossible at n = 15..29 (issue 14, item 4)",
        "",
        f"Written by `benchmarks/interval_band_proof.py` (run {elapsed:.0f} s). For the 46 distributions "
        "with true NPS 0 and each category >= 3% (q / 1 - 2q / q, q = 3..48%), a 0/1 program (HiGHS via "
        "`scipy.optimize.milp`) asks whether ANY interval whose bounds never go down when one answer moves "
        "up a category can keep exact coverage in the band at all of them at once. Infeasible = no such "
        "interval exists, whatever its construction.",
        "",
        markdown_table(["n", "coverage in [93%, 97%] at every truth-0 distribution"], rows),
        "",
        "At n = 15, the band's upper edge that becomes achievable:",
        "",
        markdown_table(["band", "n = 15"], edges),
    ]
    if not args.no_write:
        write_section(args.output, "interval-band-proof", "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
