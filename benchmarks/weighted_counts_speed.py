"""Benchmark: weighted NPS counts by three columns of a big Parquet file through DuckDB, against
the unweighted counts of the same file (target: weighted <= 1.5x the unweighted time).

Generates an N-row Parquet file once with DuckDB (cached in the temporary folder) with a weight
column, then times ``nps.counts(relation, "score", by=BY)`` and ``nps.counts(relation, "score",
by=BY, weights="w")`` on a DuckDB relation (best of ``--repeat``), and checks the weighted
result against a bare DuckDB ``GROUP BY`` of the sums of weights.

    python benchmarks/weighted_counts_speed.py --rows 10_000_000   # what docs/validation.md shows
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import machine, markdown_table, survey_parquet, write_section  # noqa: E402

BY = ["region", "plan", "week"]
TARGET_RATIO = 1.5


def generate(path: Path, rows: int) -> None:
    """The shared synthetic survey file (``_report.survey_parquet``)."""
    survey_parquet(path, rows)


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main(argv: list[str] | None = None) -> int:
    import duckdb

    import nps_analysis as nps

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    path = Path(tempfile.gettempdir()) / f"nps_weighted_{args.rows}.parquet"
    if not path.exists():
        generate(path, args.rows)
    con = duckdb.connect()
    rel = con.sql(f"SELECT * FROM read_parquet('{path}')")
    t_plain, plain = best(lambda: nps.counts(rel, "score", by=BY), args.repeat)
    t_weighted, weighted = best(lambda: nps.counts(rel, "score", by=BY, weights="w"), args.repeat)
    check = con.sql(
        f"SELECT region, plan, week, sum(w) FILTER (WHERE score >= 9) AS pro, "
        f"sum(w) FILTER (WHERE score <= 6) AS det, count(score) AS answers "
        f"FROM read_parquet('{path}') GROUP BY ALL ORDER BY ALL").df()
    merged = weighted.merge(check, on=BY)
    assert len(merged) == len(weighted) == len(plain)
    assert np.allclose(merged["promoters"], merged["pro"]) and np.allclose(merged["detractors"], merged["det"])
    assert (merged["n"] == merged["answers"]).all()
    assert (weighted.sort_values(BY)["n"].to_numpy() == plain.sort_values(BY)["n"].to_numpy()).all()
    ratio = t_weighted / t_plain
    rows = [["unweighted `nps.counts(rel, ...)`", f"{t_plain:.2f}", "1.00"],
            ["weighted `nps.counts(rel, ..., weights='w')`", f"{t_weighted:.2f}", f"{ratio:.2f}"]]
    md = f"""## Weighted counts through DuckDB (`benchmarks/weighted_counts_speed.py`)

{args.rows:,} rows of Parquet in the temporary folder (the issue's 100M-row file is impractical on
this shared 2-core machine; the query streams, so time grows linearly with rows), counted by
{", ".join(BY)} ({len(plain)} groups) on a DuckDB relation, best of {args.repeat}. {machine()}.
Command: `PYTHONPATH=. python benchmarks/weighted_counts_speed.py --rows {args.rows}`.

{markdown_table(["path", "seconds", "ratio"], rows)}

Target: weighted <= {TARGET_RATIO}x unweighted: {"met" if ratio <= TARGET_RATIO else "NOT met"}. The weighted
result equals a bare DuckDB `GROUP BY` of the sums of weights.
"""
    print(md)
    if not args.no_write:
        write_section(ROOT / "docs" / "validation.md", "weighted_counts_speed", md)
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
