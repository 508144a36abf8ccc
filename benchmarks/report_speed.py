"""Benchmark: what the PDF adds per report, and a schedule of 12 team reports with --jobs 1 vs 2.

Part 1 runs every bundled notebook once (no PDF), then prints each ``report.html`` to PDF with
headless Chromium and with WeasyPrint (when installed), ``--reps`` times each; the median is kept.
Part 2 runs a schedule of 12 weekly team reports (``weekly_tracking.ipynb``, 12 (team, week)
pairs) with ``jobs=1`` and ``jobs=2`` and reports the wall times and their ratio. The table is
written into ``docs/performance.md`` (its own marked block).

    python benchmarks/report_speed.py --reps 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PERFORMANCE = ROOT / "docs" / "performance.md"


def pdf_times(reports: list[Path], reps: int) -> list[list[object]]:
    from nps_analysis.report.pdf import chromium_path, html_to_pdf

    engines = ["chromium"] if chromium_path() else []
    try:
        import weasyprint  # noqa: F401

        engines.append("weasyprint")
    except ImportError:
        pass
    rows = []
    for report in reports:
        row: list[object] = [report.parent.parent.name, f"{report.stat().st_size / 1e6:.1f} MB"]
        for engine in ("chromium", "weasyprint"):
            if engine not in engines:
                row += ["-", "-"]
                continue
            times = []
            for _ in range(reps):
                t0 = time.perf_counter()
                pdf = html_to_pdf(report, report.with_name(f"report.{engine}.pdf"), engine=engine)
                times.append(time.perf_counter() - t0)
            pages = _pages(pdf)
            row += [f"{statistics.median(times):.1f} s", pages]
        rows.append(row)
        print(" | ".join(str(c) for c in row), flush=True)
    return rows


def _pages(pdf: Path) -> object:
    import re
    import subprocess

    try:
        out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "?"
    m = re.search(r"Pages:\s+(\d+)", out)
    return int(m.group(1)) if m else "?"


SCHEDULE = """\
output_dir: {out}
runs:
  - notebook: {notebook}
    parameters: {{weeks: 6, timezone: UTC}}
    each:
{each}
"""


def schedule_times(tmp: Path, pdf: bool) -> tuple[float, float]:
    from nps_analysis.report.schedule import run_schedule

    teams = ["Americas", "North", "West"]
    weeks = ["2026-10-19", "2026-10-26", "2026-11-02", "2026-11-09"]
    each = "\n".join(f"      - {{team: {t}, week: '{w}'}}" for t in teams for w in weeks)
    times = []
    for jobs in (1, 2):
        out = tmp / f"jobs{jobs}"
        path = tmp / f"schedule{jobs}.yaml"
        path.write_text(SCHEDULE.format(out=out, notebook=ROOT / "notebooks" / "weekly_tracking.ipynb", each=each),
                        encoding="utf-8")
        t0 = time.perf_counter()
        result = run_schedule(path, jobs=jobs, progress=False, pdf=pdf)
        times.append(time.perf_counter() - t0)
        if not result.ok:
            raise SystemExit(result.summary())
        print(f"12 team reports, jobs={jobs}: {times[-1]:.1f} s", flush=True)
    return times[0], times[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3, help="PDF prints per report and engine (median kept)")
    parser.add_argument("--skip-schedule", action="store_true", help="only the PDF part")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/performance.md alone")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _report import machine, markdown_table, write_section

    from nps_analysis.report.runner import run_notebook

    lines = [f"Machine: {machine()}", ""]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        reports = []
        for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
            result = run_notebook(nb, {}, output_dir=tmp / "reports", progress=False, cwd=tmp, pdf=False)
            if not result.ok:
                raise SystemExit(f"{nb.name}: {result.error}")
            reports.append(result.report)
        print("notebook | report.html | Chromium | pages | WeasyPrint | pages")
        rows = pdf_times(reports, args.reps)
        lines += [
            f"PDF per report (median of {args.reps}; `python benchmarks/report_speed.py --reps {args.reps}`):", "",
            markdown_table(["notebook", "report.html", "Chromium", "pages", "WeasyPrint", "pages"], rows), "",
        ]
        if not args.skip_schedule:
            one, two = schedule_times(tmp, pdf=False)
            lines += [
                "Schedule of 12 weekly team reports (3 teams x 4 weeks, no PDF), wall time:", "",
                markdown_table(["--jobs 1", "--jobs 2", "ratio (jobs 1 / jobs 2)"],
                               [[f"{one:.1f} s", f"{two:.1f} s", f"{one / two:.2f}"]]), "",
            ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section(PERFORMANCE, "report_speed", "## Reports: PDF and parallel schedules\n\n" + text)


if __name__ == "__main__":
    main()
