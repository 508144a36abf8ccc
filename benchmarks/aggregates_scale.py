"""Benchmark: aggregates pushed down to DuckDB on a big Parquet file (issue 18), as time ratios.

Generates an N-row Parquet file once (DuckDB, cached in the temp folder), then measures in separate
subprocesses, each reading the file through a DuckDB relation so rows never reach pandas:
- ``counts``: validated NPS counts by three columns (``engines.level_counts``), the baseline;
- ``weighted``: weighted category sums by the same three columns (``weighted_category_sums``);
- ``moments``: CUPED/ANCOVA moments by arm with two covariates (``score_moments``);
- ``clusters``: counts per arm and team (``cluster_counts``);
- ``bare``: a bare DuckDB GROUP BY of the counts, no validation.
Prints each one's wall time, its ratio to ``counts`` (issue 16's target: weighted <= 1.5x) and the
peak resident memory of its process.

    python benchmarks/aggregates_scale.py --rows 10_000_000
    python benchmarks/aggregates_scale.py --rows 100_000_000 --delete
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BY = ["region", "plan", "week"]


sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import survey_parquet  # noqa: E402


def generate(path: Path, rows: int) -> None:
    """The shared synthetic survey file (``_report.survey_parquet``)."""
    survey_parquet(path, rows)


def child(kind: str, path: str) -> None:
    import duckdb

    from nps_analysis.sources import aggregates, engines

    con = duckdb.connect()
    rel = con.sql(f"SELECT * FROM read_parquet('{path}')")
    start = time.perf_counter()
    if kind == "counts":
        out = engines.level_counts(rel, "score", BY)
    elif kind == "weighted":
        out = aggregates.weighted_category_sums(rel, "score", "w", by=BY)
    elif kind == "moments":
        out = aggregates.score_moments(rel, "score", by="arm", covariates=["prior", "tenure"])
    elif kind == "clusters":
        out = aggregates.cluster_counts(rel, "score", "arm", "team")
    else:
        out = con.sql(f"SELECT {', '.join(BY)}, score, count(*) FROM read_parquet('{path}') GROUP BY ALL").df()
    took = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"kind": kind, "seconds": took, "rows_out": len(out), "peak_rss": peak}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--delete", action="store_true", help="delete the generated file afterwards")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    path = Path(tempfile.gettempdir()) / f"nps_aggregates_{args.rows}.parquet"
    if not path.exists():
        t = time.perf_counter()
        generate(path, args.rows)
        print(f"# generated {args.rows:,} rows in {time.perf_counter() - t:.1f} s: {path}")
    results = {}
    for kind in ("counts", "weighted", "moments", "clusters", "bare"):
        out = subprocess.run([sys.executable, __file__, "--child", kind, str(path)], capture_output=True, text=True,
                             check=True)
        results[kind] = json.loads(out.stdout.strip().splitlines()[-1])
    base = results["counts"]["seconds"]
    print(f"# {args.rows:,} rows, Parquet through DuckDB; ratio = time / validated counts by {BY}")
    print(f"{'aggregate':<10} {'seconds':>8} {'ratio':>6} {'groups':>7} {'peak RSS MiB':>13}")
    for kind, r in results.items():
        print(f"{kind:<10} {r['seconds']:8.2f} {r['seconds'] / base:6.2f} {r['rows_out']:7d} "
              f"{r['peak_rss'] / 2**20:13.0f}")
    if args.delete:
        path.unlink()


if __name__ == "__main__":
    main()
