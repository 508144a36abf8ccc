"""Benchmark: when should ``nps-analysis score`` read a CSV/Parquet file through DuckDB?

Writes survey exports shaped like the bundled sample (11 columns) at several sizes, runs the CLI
with ``--engine pandas`` and ``--engine duckdb`` in fresh processes (what a user waits for, imports
included) and prints wall time, the pandas/DuckDB ratio and peak RSS. The crossover justifies
``bigfile.LARGE_FILE_BYTES`` (the ``--engine auto`` threshold).

    python benchmarks/cli_engine_threshold.py                 # 10k .. 2M rows, CSV and Parquet
    python benchmarks/cli_engine_threshold.py --rows 10000 100000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The child prints its own peak RSS (VmHWM): a parent's rusage can include its own size on Linux.
CHILD = """
import sys
from nps_analysis.cli import main
code = main(sys.argv[1:])
hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0].split()[1]
print('PEAK_RSS_KIB', hwm, file=sys.stderr)
raise SystemExit(code)
"""


def generate(path: Path, rows: int, fmt: str) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute(
        f"""
        COPY (
          SELECT
            printf('R%07d', i) AS respondent_id,
            printf('C%06d', hash(i) % 900000) AS customer_id,
            ['control','treatment_a','treatment_b'][1 + (hash(i * 3 + 1) % 3)::INT] AS arm,
            ['North','South','East','West'][1 + (hash(i * 5 + 2) % 4)::INT] AS region,
            ['free','basic','plus','pro'][1 + (hash(i * 7 + 3) % 4)::INT] AS plan,
            TRUE AS invited,
            hash(i * 11) % 3 > 0 AS responded,
            TIMESTAMP '2026-09-01' + to_seconds((hash(i * 13) % 2592000)::BIGINT) AS submitted_at,
            CASE WHEN hash(i * 17) % 3 = 0 THEN NULL ELSE (hash(i * 19) % 11)::INT END AS score,
            (1 + hash(i * 23) % 5)::INT AS csat,
            (hash(i * 29) % 11)::INT AS prior_score
          FROM range({rows}) t(i)
        ) TO '{path}' (FORMAT {fmt}{', HEADER' if fmt == 'csv' else ''})
        """
    )
    con.close()


def run_cli(path: Path, engine: str) -> tuple[float, float, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    args = [str(path), "--score", "score", "--by", "arm", "--by", "region", "--format", "json", "--engine", engine]
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, "-q", "score", *args], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if out.returncode:
        raise RuntimeError(out.stderr)
    peak = next(int(line.split()[1]) for line in out.stderr.splitlines() if line.startswith("PEAK_RSS_KIB"))
    return seconds, peak / 1024, out.stdout


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 500_000, 2_000_000])
    parser.add_argument("--formats", nargs="+", default=["csv", "parquet"])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--dir", default=os.environ.get("NPS_BENCH_DIR", os.path.join(tempfile.gettempdir(), "nps_bench")))
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _report import machine

    print("# nps-analysis score FILE --by arm --by region: --engine pandas vs duckdb (wall time, imports included)")
    print(f"# {machine()}")
    print(f"{'format':8s} {'rows':>10s} {'MiB':>7s} {'pandas s':>9s} {'duckdb s':>9s} {'pandas/duckdb':>14s} {'pandas MiB':>11s} {'duckdb MiB':>11s}")
    rows_out = []
    for fmt in args.formats:
        for rows in args.rows:
            path = Path(args.dir) / f"export_{rows}.{fmt}"
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                generate(path, rows, fmt)
            best = {}
            outputs = {}
            for _ in range(args.repeat):
                for engine in ("pandas", "duckdb"):
                    seconds, peak, stdout = run_cli(path, engine)
                    prev = best.get(engine)
                    best[engine] = (min(seconds, prev[0]) if prev else seconds, max(peak, prev[1]) if prev else peak)
                    try:
                        outputs[engine] = json.loads(stdout)
                    except json.JSONDecodeError:
                        raise SystemExit(f"{engine} on {path}: not JSON: {stdout[:500]!r}") from None
            if outputs["pandas"] != outputs["duckdb"]:
                raise SystemExit(f"{path}: the engines disagree")
            size = path.stat().st_size / 2**20
            ratio = best["pandas"][0] / best["duckdb"][0]
            print(
                f"{fmt:8s} {rows:>10,d} {size:7.1f} {best['pandas'][0]:9.2f} {best['duckdb'][0]:9.2f} "
                f"{ratio:14.2f} {best['pandas'][1]:11.0f} {best['duckdb'][1]:11.0f}"
            )
            rows_out.append(
                {"format": fmt, "rows": rows, "mib": size, "pandas_s": best["pandas"][0], "duckdb_s": best["duckdb"][0],
                 "pandas_peak_mib": best["pandas"][1], "duckdb_peak_mib": best["duckdb"][1]}
            )
    return rows_out


if __name__ == "__main__":
    main()
