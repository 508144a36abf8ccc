"""Wall time of a report run through the runner, against baselines measured in the same run.

    python benchmarks/notebook_runtime.py [--repeat 3] [--write]

Three notebooks go through ``run_notebook`` (papermill, kernel ``python3``, HTML export, index):
  empty       a parameters cell only: kernel start + runner overhead (the floor of any run)
  import      the imports the experiment notebook needs (nps_analysis, scipy.stats, matplotlib,
              statsmodels' ordinal model and multitest), nothing else
  experiment  notebooks/experiment.ipynb on the bundled sample (data/sample_experiment.csv)
Printed: the median wall time of each and the experiment's time as a ratio of the empty baseline.
``--write`` records the table in docs/validation.md (section ``notebook-runtime``). The target is
an experiment run under 10 s on the project machine (2 cores), most of it kernel start.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402

from nps_analysis.report.runner import run_notebook  # noqa: E402


def _notebook(path: Path, body: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('output_dir: str = "."  # where files go')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Baseline"), params] + [nbformat.v4.new_code_cell(s) for s in body]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # the kernel, once it has exited
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _time(notebook: Path, out: Path, repeat: int) -> tuple[list[float], list[float], list[tuple[float, str]]]:
    walls, cpus, cells = [], [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), _cpu()
        result = run_notebook(notebook, output_dir=out, progress=False)
        walls.append(time.perf_counter() - t0)
        cpus.append(_cpu() - c0)
        if not result.ok:
            raise SystemExit(f"{notebook.name} failed: {result.error} (see {result.run_dir}/run.log)")
        cells = _cell_times(result.run_dir, notebook)
    return walls, cpus, cells


def _cell_times(run_dir: Path, notebook: Path) -> list[tuple[float, str]]:
    """(seconds, first line of the cell) per code cell, from the run's run.log (last repeat)."""
    import re

    executed = nbformat.read(run_dir / "executed.ipynb", as_version=4)
    out = []
    for line in (run_dir / "run.log").read_text().splitlines():
        m = re.search(r"cell (\d+) \(\d+/\d+ code cells\) ok in ([\d.]+) s", line)
        if m:
            source = executed.cells[int(m.group(1))].source.splitlines() or [""]
            out.append((float(m.group(2)), source[0][:60]))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="record the result in docs/validation.md")
    args = parser.parse_args(argv)
    os.environ.setdefault("CI", "true")  # plain log lines, no progress bar
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        notebooks = {
            "empty": _notebook(tmp_path / "empty.ipynb", []),
            "import": _notebook(
                tmp_path / "imports.ipynb",
                ["import nps_analysis, scipy.stats, matplotlib.figure\n"
                 "import statsmodels.miscmodels.ordinal_model, statsmodels.stats.multitest"],
            ),
            "experiment": ROOT / "notebooks" / "experiment.ipynb",
        }
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        results = {name: _time(nb, tmp_path / "reports", args.repeat) for name, nb in notebooks.items()}
    wall = {name: statistics.median(w) for name, (w, _, _) in results.items()}
    cpu = {name: statistics.median(c) for name, (_, c, _) in results.items()}
    base = wall["empty"]
    lines = [
        f"Wall time per run through `run_notebook` (median of {args.repeat}; kernel start, papermill, HTML "
        f"export and index included), {os.cpu_count()} CPUs, load average {load:.1f} at start, Python "
        f"{platform.python_version()}. CPU s = runner + kernel CPU time: what the run costs on an idle "
        "machine, whatever the load.",
        "",
        "| notebook | wall s (median) | wall s (min) | x empty baseline | CPU s (median) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, (walls, _, _) in results.items():
        lines.append(f"| {name} | {wall[name]:.2f} | {min(walls):.2f} | {wall[name] / base:.2f} | {cpu[name]:.2f} |")
    verdict = "meets" if wall["experiment"] < 10 else "misses"
    lines += ["", f"The experiment report {verdict} the 10 s target ({wall['experiment']:.1f} s wall, "
              f"{cpu['experiment']:.1f} s CPU); the empty notebook (kernel start + runner) takes {base:.1f} s "
              f"and the package imports {wall['import'] - base:.1f} s more."]
    cells = results["experiment"][2]
    in_cells = sum(t for t, _ in cells)
    top = sorted(cells, reverse=True)[:4]
    lines += ["", f"Inside the experiment notebook (last run) the cells take {in_cells:.1f} s of the "
              f"{results['experiment'][0][-1]:.1f} s; the slowest: "
              + "; ".join(f"`{src}` {t:.1f} s" for t, src in top) + ". The first cell imports the package "
              "and reads the data; the first calls into scipy.stats, matplotlib and statsmodels pay their imports."]
    text = "\n".join(lines)
    print(text)
    if args.write:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from _report import VALIDATION, write_section

        write_section(VALIDATION, "notebook-runtime", "## Notebook runtime (benchmarks/notebook_runtime.py)\n\n" + text)
        print(f"\nwritten to {VALIDATION}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
