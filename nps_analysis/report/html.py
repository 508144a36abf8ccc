"""The HTML report of a run: the executed notebook without code, sanitised, with a run header.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .parameters import INJECTED_TAG, PARAMETERS_TAG
from .record import strip_ansi, write_text_atomic

PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"


def report_title(nb_path: Path, nb: Any, started: dt.datetime) -> str:
    heading = None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    heading = line[2:].strip()
                    break
        if heading:
            break
    name = heading or nb_path.stem.replace("_", " ").capitalize()
    return f"{name} · {started.strftime('%Y-%m-%d %H:%M UTC')}"


def format_parameter(value: Any) -> str:
    if isinstance(value, str):
        return repr(value) if value == "" else value
    return repr(value)


def _run_header_html(results: Mapping[str, Any]) -> str:
    run = results.get("run", {})
    status = results.get("status", "?")
    rows = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(format_parameter(v))}</td></tr>"
        for k, v in results.get("parameters", {}).items()
        if k != "output_dir"
    )
    parts = [
        '<div class="nps-run">',
        f'<span class="status {html.escape(status)}">{html.escape(status)}</span> ',
        f"run <code>{html.escape(str(run.get('run_id', '')))}</code> of "
        f"<code>{html.escape(str(run.get('notebook_path', '')))}</code>, "
        f"started {html.escape(str(run.get('started_at', '')))}, "
        f"took {run.get('duration_seconds', 0):.1f} s",
        f"<details><summary>Parameters</summary><table>{rows}</table></details>",
        "</div>",
    ]
    error = results.get("error")
    if error:
        where = ""
        if error.get("cell_index") is not None:
            where = f" in cell {error['cell_index']}"
            first = next((ln for ln in str(error.get("cell_source") or "").splitlines() if ln.strip()), "")
            if first:
                where += f" (the cell starting <code>{html.escape(first[:80])}</code>)"
        parts.append(
            f'<div class="nps-failed"><strong>This run failed{where}:</strong> '
            f"{html.escape(str(error.get('type')))}: {html.escape(str(error.get('message')))}<br>"
            "The report stops where the error happened; executed.ipynb and run.log in the run "
            "folder hold the full traceback.</div>"
        )
    return "\n".join(parts)


def report_notebook(executed: Any, results: Mapping[str, Any]) -> Any:
    """A copy of an executed notebook ready for the HTML report.

    Drops the injected-parameters and parameters cells, papermill's error banners and stderr
    streams (warnings stay in ``executed.ipynb`` and ``run.log``), and puts a run header (status,
    run id, parameters, the error of a failed run) under the notebook's title. A failed run's
    report ends where the run stopped: the error shows as one line (the traceback, which is code,
    stays in ``executed.ipynb`` and ``run.log``) and the sections that never ran are left out.
    """
    import copy

    import nbformat

    nb = copy.deepcopy(executed)
    failed = results.get("status") == "failed"
    stop = _last_run_cell(nb.cells) if failed else None
    cells = []
    for position, cell in enumerate(nb.cells):
        if stop is not None and position > stop:
            break
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & {INJECTED_TAG, PARAMETERS_TAG, PAPERMILL_ERROR_TAG}:
            continue
        if cell.cell_type == "code":
            outputs = []
            for o in cell.get("outputs", []):
                if o.get("output_type") == "stream" and o.get("name") == "stderr":
                    continue
                if o.get("output_type") == "error":
                    text = html.escape(f"{o.get('ename', 'Error')}: {strip_ansi(str(o.get('evalue', '')))}")
                    o = nbformat.v4.new_output(
                        "display_data", data={"text/html": f'<div class="nps-failed">The run stopped here: {text}</div>'}
                    )
                outputs.append(o)
            cell.outputs = outputs
            if not cell.outputs:
                continue
        cells.append(cell)
    header = nbformat.v4.new_markdown_cell(_run_header_html(results))
    at = 1 if cells and cells[0].cell_type == "markdown" and cells[0].source.lstrip().startswith("# ") else 0
    cells.insert(at, header)
    marked = any("The run stopped here" in str(o.get("data", {})) for c in cells for o in c.get("outputs", []))
    if failed and not marked:  # a timeout or a dead kernel leaves no error output to mark the spot
        cells.append(nbformat.v4.new_markdown_cell("*The run stopped here; the sections after this point did not run.*"))
    nb.cells = cells
    return nb


def _last_run_cell(cells: Sequence[Any]) -> int | None:
    """Position of the cell where a failed run stopped: the first cell with an error output, else
    the last code cell that started (papermill marks it), else None."""
    for i, cell in enumerate(cells):
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return i
    last = None
    for i, cell in enumerate(cells):
        meta = cell.get("metadata", {}).get("papermill", {})
        if cell.get("cell_type") == "code" and (cell.get("execution_count") is not None or meta.get("start_time")):
            last = i
    return last


def report_exporter() -> Any:
    """The HTML exporter of reports: nbconvert's ``HTMLExporter`` with the kit's ``nps_report``
    template (JupyterLab's look, a Content-Security-Policy that forbids scripts, nothing fetched
    from the network, chart alt text) and ``exclude_input=True``."""
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="nps_report",
        extra_template_basedirs=[str(Path(__file__).resolve().parent / "templates")],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )


def prepare_exporter(holder: dict[str, Any]) -> None:
    """Build a report exporter and render a one-cell notebook with it (compiles the templates)."""
    with contextlib.suppress(Exception):
        import nbformat

        exporter = report_exporter()
        exporter.from_notebook_node(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# warm-up")]))
        holder["exporter"] = exporter


def write_report_html(
    run_dir: str | os.PathLike[str],
    *,
    title: str,
    results: Mapping[str, Any],
    exporter: Any = None,
) -> Path:
    """Export ``run_dir/executed.ipynb`` to ``run_dir/report.html`` without code.

    Outputs are cleaned by :func:`nps_analysis.sanitize.sanitize_outputs` (they may hold
    respondents' words), the notebook is shaped by :func:`report_notebook`, and
    :func:`report_exporter` renders it; charts are PNG outputs embedded as data URIs (with the alt
    text the charts carry), so the file is self-contained.
    """
    import nbformat

    from .sanitize import sanitize_outputs

    run_dir = Path(run_dir)
    executed = run_dir / "executed.ipynb"
    if executed.exists():
        nb = nbformat.read(executed, as_version=4)
    else:
        nb = nbformat.v4.new_notebook()
    # Outputs may hold respondents' words: clean them, and render with a template whose
    # Content-Security-Policy forbids every script (SECURITY.md).
    nb = sanitize_outputs(report_notebook(nb, results))
    body, _ = (exporter or report_exporter()).from_notebook_node(nb, resources={"metadata": {"name": title}})
    target = run_dir / "report.html"
    write_text_atomic(target, body)
    return target
