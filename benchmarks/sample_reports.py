"""Each report on its bundled sample: wall time through the runner, and what its imports cost.

    python benchmarks/sample_reports.py [--repeat 3] [--notebooks weekly_tracking experiment ...] [--write]

For every notebook in ``notebooks/``: the median wall time of ``run_notebook`` on the bundled
sample (kernel start, papermill, HTML export, index; ``--pdf`` adds the Chromium PDF), against an
empty notebook run the same way in the same session (the floor: kernel start + runner); and the
import breakdown: the notebook's code cells run once in a fresh interpreter under
``python -X importtime``, with the import time summed per top-level package (what the kernel pays
before any statistic runs). Target (issue 18): every report under 5 s wall time.
``--write`` records the tables in docs/performance.md (section ``bench:sample_reports``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import nbformat  # noqa: E402
from _report import machine, markdown_table, write_section  # noqa: E402

from nps_analysis.report.runner import run_notebook  # noqa: E402

NOTEBOOKS = ["weekly_tracking", "experiment", "rollback_decision", "closed_loop", "survey_gap", "drivers"]
TARGET_S = 5.0


def _empty(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('output_dir: str = "."  # where files go')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Baseline"), params]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def wall_times(notebook: Path, out: Path, repeat: int, pdf: bool) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = run_notebook(notebook, output_dir=out, progress=False, pdf=pdf)
        times.append(time.perf_counter() - t0)
        if not result.ok:
            raise SystemExit(f"{notebook.name} failed: {result.error} (see {result.run_dir}/run.log)")
    return times


def import_breakdown(notebook: Path, workdir: Path) -> tuple[dict[str, float], float]:
    """Seconds of imports per top-level package when the notebook's cells run in a fresh
    interpreter (``-X importtime``: self time summed over every module of the package), and the
    total import time."""
    nb = nbformat.read(notebook, as_version=4)
    code = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = cell.source
        if "parameters" in cell.metadata.get("tags", []):
            source += f"\noutput_dir = {str(workdir)!r}"
        # Cells end in an expression the notebook displays: keep it a statement here.
        code.append("\n".join(line for line in source.splitlines() if not line.startswith(("%", "!"))))
    script = workdir / f"{notebook.stem}_cells.py"
    script.write_text("from IPython.display import display  # noqa\n" + "\n\n".join(code))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    proc = subprocess.run([sys.executable, "-X", "importtime", str(script)], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode:
        raise SystemExit(f"{notebook.name} cells failed outside the kernel:\n{proc.stderr[-2000:]}")
    per_package: dict[str, float] = defaultdict(float)
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+\d+ \|(\s*)(\S+)", line)
        if m:
            per_package[m.group(3).split(".")[0]] += int(m.group(1)) / 1e6
    return dict(per_package), sum(per_package.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--notebooks", nargs="+", default=NOTEBOOKS)
    parser.add_argument("--pdf", action="store_true", help="also print report.pdf through Chromium (as the runner's default)")
    parser.add_argument("--write", action="store_true", help="record the result in docs/performance.md")
    args = parser.parse_args(argv)
    os.environ.setdefault("CI", "true")  # plain log lines, no progress bar
    rows, imports = [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        base = statistics.median(wall_times(_empty(tmp_path / "empty.ipynb"), tmp_path / "r", args.repeat, args.pdf))
        rows.append(["empty notebook (kernel start + runner)", f"{base:.2f}", "1.00", "", ""])
        for name in args.notebooks:
            times = wall_times(ROOT / "notebooks" / f"{name}.ipynb", tmp_path / "r", args.repeat, args.pdf)
            wall = statistics.median(times)
            per, total = import_breakdown(ROOT / "notebooks" / f"{name}.ipynb", tmp_path)
            top = sorted(per.items(), key=lambda kv: -kv[1])[:6]
            rows.append([name, f"{wall:.2f}", f"{wall / base:.2f}", f"{total:.2f}",
                         "OK" if wall < TARGET_S else "over"])
            imports.append([name, f"{total:.2f}", ", ".join(f"{k} {v:.2f}" for k, v in top)])
    text = "\n".join([
        f"`python benchmarks/sample_reports.py --repeat {args.repeat}{' --pdf' if args.pdf else ''}`",
        "",
        f"{machine()}; load average {os.getloadavg()[0]:.1f} at the end.",
        "",
        markdown_table(["report (bundled sample)", "wall s (median)", "x empty", "imports s", f"< {TARGET_S:g} s"], rows),
        "",
        "Import time per top-level package (self time of every module, `python -X importtime`):",
        "",
        markdown_table(["report", "imports s", "largest packages (s)"], imports),
    ])
    print(text)
    if args.write:
        write_section(ROOT / "docs" / "performance.md", "bench:sample_reports", text)
        print(json.dumps({"written": "docs/performance.md"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
