"""Benchmark: every notebook in notebooks/ run through the runner on its bundled sample data.

Each notebook runs with its default parameters (empty ``data_path`` = the bundled sample) through
``nps_analysis.runner.run_notebook``, as a scheduler would run it: kernel start, execution, HTML
report, results.json. Prints the wall time of each and the total; fails if a run fails.

    python benchmarks/notebook_suite.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> list[dict]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _report import machine

    from nps_analysis.report.runner import run_notebook

    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    print(f"# {len(notebooks)} notebook(s) through nps_analysis.runner on the bundled samples")
    print(f"# {machine()}")
    rows = []
    total = 0.0
    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        for nb in notebooks:
            start = time.perf_counter()
            result = run_notebook(nb, {}, output_dir=Path(tmp) / "reports", progress=False, cwd=tmp)
            seconds = time.perf_counter() - start
            total += seconds
            print(f"{nb.name:40s} {seconds:7.1f} s  {result.status}  (execution {result.duration:.1f} s)")
            rows.append({"notebook": nb.name, "seconds": seconds, "status": result.status})
            if not result.ok:
                failed.append(f"{nb.name}: {result.error}")
    print(f"{'total':40s} {total:7.1f} s")
    if failed:
        raise SystemExit("failed runs:\n" + "\n".join(failed))
    return rows


if __name__ == "__main__":
    main()
