"""Reports at warehouse scale (issue 18): whole notebooks through the runner on big Parquet files.

    python benchmarks/report_scale.py --rows 1_000_000 100_000_000 [--reports weekly_tracking experiment rollback_decision]
    python benchmarks/report_scale.py --rows 10_000_000 --spark      # weekly report on Spark local vs DuckDB

Each file is the shared synthetic response table (``_report.report_parquet``: 12 weeks of answers in
time order, teams, agents, two arms, covariates, CSAT, weights, 2% comments), cached in the temp
folder. Every report runs through ``run_notebook`` (papermill, kernel, HTML; no PDF) in a fresh
process with ``data_path`` the file and ``engine="duckdb"``, so the aggregates are computed where
the file is. Printed per report and size: wall time, the peak resident memory of the kernel (the
largest finished child of that process: the kernel; ``RUSAGE_CHILDREN``), and the ratio of the
biggest file's time to the smallest's against the ratio of their row counts (the issue's target:
time growing no faster than the row count; under 60 s and 2 GiB at 100M rows on 2 cores).
``--spark`` runs the weekly report with ``spark_table = parquet.`<file>``` (Spark in local mode
inside the kernel, session start included and reported) against DuckDB on the same file.
``--write`` records the table in docs/performance.md (section ``bench:report_scale``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from _report import machine, markdown_table, report_parquet, write_section  # noqa: E402

AS_OF = "2026-11-16T12:00:00Z"
PARAMETERS = {
    "weekly_tracking": {
        "score_column": "score", "time_column": "submitted_at", "team_column": "team",
        "comment_column": "comment", "as_of": AS_OF, "weeks": 8, "digest": False,
    },
    "experiment": {
        "score_column": "score", "group_column": "arm", "segment_columns": ["region"],
        "invited_column": "invited", "responded_column": "responded", "covariate_columns": ["prior_score"],
        "control": "control",
    },
    "rollback_decision": {
        "score_column": "score", "group_column": "arm", "time_column": "submitted_at", "csat_column": "csat",
        "treatment": "treatment", "control": "control", "look": "D",
    },
}


def child(report: str, path: str, engine: str) -> None:
    """One report run in this (fresh) process; prints a JSON line with its wall time and memory."""
    os.environ.setdefault("CI", "true")
    sys.path.insert(0, str(ROOT))
    from nps_analysis.report.runner import run_notebook

    params = dict(PARAMETERS[report])
    if engine == "spark":
        params.update(spark_table=f"parquet.`{path}`", engine="auto")
    elif engine == "rows":  # the notebooks before issue 18 (no engine parameter): rows into pandas
        params.update(data_path=path)
    else:
        params.update(data_path=path, engine=engine)
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        result = run_notebook(ROOT / "notebooks" / f"{report}.ipynb", parameters=params, output_dir=out,
                              progress=False, pdf=False, timeout=3600)
        wall = time.perf_counter() - t0
        log = (Path(result.run_dir) / "run.log").read_text() if result.run_dir else ""
        results = {}
        if result.run_dir and (Path(result.run_dir) / "results.json").exists():
            results = json.loads((Path(result.run_dir) / "results.json").read_text())
    kernel_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"ok": result.ok, "error": None if result.ok else str(result.error)[:400], "wall": wall,
                      "kernel_mib": kernel_kib / 1024, "headline": results.get("headline"),
                      "log_tail": log[-600:] if not result.ok else ""}))


def run_child(report: str, path: Path, engine: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", report, str(path), engine], capture_output=True,
                          text=True, timeout=4000, env={**os.environ, "PYTHONPATH": str(ROOT)})
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"{report} on {path.name} crashed:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=lambda s: int(s.replace("_", "")), nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--reports", nargs="+", default=list(PARAMETERS))
    parser.add_argument("--engine", default="duckdb", help="engine parameter of the notebooks (duckdb or pandas; rows: notebooks without one)")
    parser.add_argument("--spark", action="store_true", help="weekly report on Spark local mode vs DuckDB")
    parser.add_argument("--folder", default=os.path.join(tempfile.gettempdir(), "nps_bench"))
    parser.add_argument("--delete", action="store_true", help="delete the generated files afterwards")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("REPORT", "PATH", "ENGINE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    lines = [f"{machine()}; load average {os.getloadavg()[0]:.1f} at start."]
    for rows in args.rows:
        path = folder / f"reports_{rows}.parquet"
        if not path.exists():
            t0 = time.perf_counter()
            report_parquet(path, rows)
            lines.append(f"generated {path.name} ({path.stat().st_size / 2**20:,.0f} MiB) in {time.perf_counter() - t0:.1f} s")
        files[rows] = path
    table, failures = [], []
    engines = ["duckdb", "spark"] if args.spark else [args.engine]
    reports = ["weekly_tracking"] if args.spark else args.reports
    timing: dict[tuple[str, str, int], float] = {}
    for report in reports:
        for engine in engines:
            for rows, path in files.items():
                res = run_child(report, path, engine)
                timing[(report, engine, rows)] = res["wall"]
                status = "ok" if res["ok"] else "FAILED"
                if not res["ok"]:
                    failures.append(f"{report} {engine} {rows:,}: {res['error']}\n{res['log_tail']}")
                table.append([report, engine, f"{rows:,}", f"{res['wall']:.1f}", f"{res['kernel_mib']:,.0f}", status,
                              str(res.get("headline") or "")[:120]])
                print(" | ".join(table[-1]), flush=True)
    summary = []
    small, big = min(files), max(files)
    for report in reports:
        for engine in engines:
            if big != small and (report, engine, big) in timing:
                ratio = timing[(report, engine, big)] / timing[(report, engine, small)]
                summary.append(f"{report} ({engine}): {big:,} rows take {ratio:.1f}x the time of {small:,} rows "
                               f"(rows x{big / small:.0f}): {'OK' if ratio <= big / small else 'grows faster than rows'}")
        if args.spark:
            for rows in files:
                if ("weekly_tracking", "spark", rows) in timing:
                    ratio = timing[("weekly_tracking", "spark", rows)] / timing[("weekly_tracking", "duckdb", rows)]
                    summary.append(f"weekly_tracking on {rows:,} rows: Spark local / DuckDB = {ratio:.2f} "
                                   "(the Spark time includes starting its session in the kernel)")
    command = f"python benchmarks/report_scale.py --rows {' '.join(f'{r:_}' for r in args.rows)}" + (
        " --spark" if args.spark else f" --reports {' '.join(args.reports)}")
    text = "\n".join([f"`{command}`", "", "```text", *lines, "```", "",
                      markdown_table(["report", "engine", "rows", "wall s", "kernel peak MiB", "run", "headline"], table),
                      "", *[f"- {s}" for s in summary]])
    print("\n".join(summary))
    for f in failures:
        print("FAILED:", f)
    if args.write:
        write_section(ROOT / "docs" / "performance.md", "bench:report_scale_spark" if args.spark else "bench:report_scale", text)
    if args.delete:
        for path in files.values():
            path.unlink(missing_ok=True)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
