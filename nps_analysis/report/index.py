"""The run index: every run folder under ``reports/`` listed in ``index.html`` with its status.
"""

from __future__ import annotations

import html
import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .html import format_parameter
from .record import (
    RESULTS_FILE,
    iso_time,
    read_results_file,
    utc_now,
    write_json_atomic,
    write_text_atomic,
)


def _headline(results: Mapping[str, Any]) -> list[str]:
    """Headline numbers of a run for the index, one item per line: the notebook's ``headline``
    record if any (a string or a mapping label -> text), else its top-level scalar numbers; for a
    failed run, the error."""
    if results.get("status") in ("failed", "skipped", "killed"):
        err = results.get("error") or {}
        return [f"{err.get('type', 'error')}: {err.get('message', '')}"[:300]]
    head = results.get("headline")
    if isinstance(head, str):
        return [head]
    if isinstance(head, Mapping):
        return [f"{k}: {_short(v)}" for k, v in head.items()]
    skip = {"status", "parameters", "run", "error"}
    return [
        f"{k}: {_short(v)}"
        for k, v in results.items()
        if k not in skip and isinstance(v, (int, float)) and not isinstance(v, bool)
    ][:6]


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1e-3 or abs(value) >= 1e4 else f"{value:.4g}"
    return str(value)


def list_runs(output_dir: str | os.PathLike[str] = "reports") -> list[dict[str, Any]]:
    """Every run under ``output_dir`` (``<notebook>/<run_id>/results.json``), newest first."""
    root = Path(output_dir)
    runs = []
    for results_file in root.glob(f"*/*/{RESULTS_FILE}"):
        try:
            data = read_results_file(results_file)
        except (OSError, ValueError):
            data = {"status": "unreadable"}
        run = data.get("run", {})
        if data.get("status") == "running" and _process_gone(run):
            data = _mark_killed(results_file, data)
        elif data.get("status") == "planned" and _process_gone(run):
            data = _mark_skipped(results_file, data)
        runs.append(
            {
                "notebook": results_file.parent.parent.name,
                "run_id": results_file.parent.name,
                "dir": results_file.parent,
                "status": data.get("status", "?"),
                "started_at": run.get("started_at", ""),
                "duration": run.get("duration_seconds"),
                "headline": _headline(data),
                "given": run.get("parameters_given") or {},
            }
        )
    runs.sort(key=lambda r: (r["started_at"], r["run_id"]), reverse=True)
    return runs


def _process_gone(run: Mapping[str, Any]) -> bool:
    """True when the run's process (on this host) no longer exists: it was killed or crashed."""
    pid, host = run.get("pid"), run.get("host")
    if not isinstance(pid, int) or host != socket.gethostname():
        return False  # another machine's run, or a record from before pids were kept
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, under another user
    return False


def _mark_skipped(results_file: Path, data: dict[str, Any]) -> dict[str, Any]:
    """A planned run whose schedule's process died before the run started: ``skipped``."""
    pid = data.get("run", {}).get("pid")
    data = {
        **data,
        "status": "skipped",
        "error": {
            "type": "Skipped",
            "message": f"the schedule's process (pid {pid}) ended before this planned run started",
        },
    }
    try:
        write_json_atomic(results_file, data)
    except OSError:
        pass
    return data


def _mark_killed(results_file: Path, data: dict[str, Any]) -> dict[str, Any]:
    """Rewrite a dead run's record so that it says so (``status: "killed"``)."""
    pid = data.get("run", {}).get("pid")
    data = {
        **data,
        "status": "killed",
        "error": {
            "type": "Killed",
            "message": f"the run's process (pid {pid}) ended before the run finished: killed (e.g. SIGKILL, "
            "out of memory) or crashed; outputs in this folder are partial",
        },
    }
    try:
        write_json_atomic(results_file, data)
    except OSError:
        pass  # a read-only reports folder: the index still shows the run as killed
    return data


def write_index(output_dir: str | os.PathLike[str] = "reports") -> Path:
    """Rebuild ``<output_dir>/index.html``: every run with status and headline numbers, newest first."""
    root = Path(output_dir)
    runs = list_runs(root)
    rows = []
    for r in runs:
        rel = r["dir"].relative_to(root).as_posix()
        links = " ".join(
            f'<a href="{html.escape(rel)}/{name}">{label}</a>'
            for name, label in (("report.html", "report"), ("results.json", "results"),
                                ("executed.ipynb", "notebook"), ("run.log", "log"))
            if (r["dir"] / name).exists()
        )
        duration = "" if r["duration"] is None else f"{r['duration']:.1f} s"
        started = r["started_at"].replace("T", " ").rstrip("Z")
        given = "<br>".join(html.escape(f"{k}: {format_parameter(v)}") for k, v in r["given"].items())
        headline = "<br>".join(html.escape(line) for line in r["headline"])
        rows.append(
            f'<tr class="{html.escape(r["status"])}"><td class="nw">{html.escape(started)}</td>'
            f"<td>{html.escape(r['notebook'])}</td><td class=\"nw\"><code>{html.escape(r['run_id'])}</code></td>"
            f'<td class="st">{html.escape(r["status"])}</td><td class="nw">{duration}</td>'
            f"<td><small>{given}</small></td><td>{headline}</td><td>{links}</td></tr>"
        )
    failed = sum(r["status"] == "failed" for r in runs)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>NPS reports</title>
<style>
 body {{ font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1300px; padding: 0 16px; color: #222; }}
 table {{ border-collapse: collapse; width: 100%; }}
 th, td {{ text-align: left; padding: 5px 8px; border-bottom: 1px solid #e3e3e3; vertical-align: top; }}
 th {{ background: #f5f5f5; }}
 tr.failed td.st, tr.killed td.st {{ color: #fff; background: #c62828; font-weight: 600; }}
 tr.skipped td.st, tr.planned td.st {{ color: #fff; background: #757575; }}
 tr.ok td.st {{ color: #2e7d32; font-weight: 600; }}
 tr.running td.st {{ color: #b26a00; font-weight: 600; }}
 code {{ font-size: 12px; }}
 .nw {{ white-space: nowrap; }}
</style></head><body>
<h1>NPS reports</h1>
<p>{len(runs)} run(s), {failed} failed. Newest first. Updated {html.escape(iso_time(utc_now()))}.</p>
<table><thead><tr><th>started (UTC)</th><th>notebook</th><th>run</th><th>status</th><th>time</th>
<th>parameters given</th><th>headline</th><th>files</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table></body></html>
"""
    target = root / "index.html"
    write_text_atomic(target, page)
    return target
