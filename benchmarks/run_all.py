"""Run every benchmark, print its ratios with the machine and date, and record them in the docs.

Each benchmark runs in its own process; its output goes to the terminal and into its marked section
of ``docs/performance.md`` (``<!-- BEGIN bench:NAME -->``), so the numbers there are the last run's.

    python benchmarks/run_all.py                   # scale benchmark at 10M rows (a few minutes)
    python benchmarks/run_all.py --rows 100_000_000  # the issue's size (needs ~2 GiB disk, 15+ min)
    python benchmarks/run_all.py --only permutation_speed scale_counts
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DOC = ROOT / "docs" / "performance.md"


def plan(rows: int) -> list[tuple[str, list[str]]]:
    """(name, arguments) of every benchmark that exists in this checkout, in order."""
    wanted = [
        ("scale_counts", ["--rows", str(rows), "--repeat", "3" if rows <= 20_000_000 else "2"]
         + (["--delete"] if rows > 10_000_000 else [])),
        ("spark_counts", ["--rows", str(min(rows, 10_000_000))]),
        ("cli_engine_threshold", []),
        # In-memory classify+count vs np.bincount, and bootstrap on counts vs scipy on rows, are
        # written by the statistics engineers; they run here when present.
        ("classify_count_speed", ["--no-write"]),
        ("bootstrap_speed", ["--no-write"]),
        ("permutation_speed", []),
        ("notebook_suite", []),
        ("notebook_runtime", []),
    ]
    return [(name, args) for name, args in wanted if (HERE / f"{name}.py").exists()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=10_000_000)
    parser.add_argument("--only", nargs="*", help="benchmark names to run (default: all)")
    parser.add_argument("--no-doc", action="store_true", help="do not update docs/performance.md")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    from _report import machine, write_section

    print(f"# nps_analysis benchmarks\n# {machine()}\n", flush=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    failed = []
    jobs = plan(args.rows)
    missing = {"classify_count_speed", "bootstrap_speed", "notebook_suite"} - {n for n, _ in jobs}
    for name in sorted(missing):
        print(f"({name}.py is not in this checkout: skipped)")
    for name, extra in jobs:
        if args.only and name not in args.only:
            continue
        print(f"\n== {name} {' '.join(extra)}", flush=True)
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, str(HERE / f"{name}.py"), *extra], env=env, cwd=ROOT, capture_output=True, text=True
        )
        output = proc.stdout.rstrip()
        print(output)
        if proc.returncode:
            failed.append(name)
            print(proc.stderr[-3000:], file=sys.stderr)
        print(f"({time.perf_counter() - start:.0f} s)", flush=True)
        if not args.no_doc and not proc.returncode:
            command = f"python benchmarks/{name}.py {' '.join(extra)}".strip()
            write_section(DOC, f"bench:{name}", f"`{command}`\n\n```text\n{output}\n```")
    if failed:
        print(f"\nFAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
