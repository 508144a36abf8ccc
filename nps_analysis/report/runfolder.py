"""Where a notebook writes its files: the runner's run folder, or a fresh one under ``reports/``.

Run by ``nps-analysis run`` the files go to the run folder the runner made. Run any other way
(plain papermill, JupyterLab) a notebook gets a fresh ``reports/<notebook>/<run_id>/`` of its own:
nothing lands in the current folder and no run merges into another run's ``results.json``.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .record import RESULTS_ENV, RESULTS_FILE, write_json_atomic

#: The folder fresh run folders are made in when nothing else is said.
DEFAULT_REPORTS = "reports"
#: ``output_dir`` values that mean "make me a run folder" (the notebooks' defaults).
AUTO = ("", ".", "auto")


@dataclass(frozen=True)
class RunFolder:
    """The folder a notebook run writes into, shown at the top of the notebook.

    Attributes:
        path: the folder (exists).
        results: its ``results.json`` (what ``nps.record`` writes to).
        managed: ``True`` when the runner made it (it also writes the report and the index).
    """

    path: Path
    results: Path
    managed: bool

    def __fspath__(self) -> str:
        return str(self.path)

    def __truediv__(self, other: str) -> Path:
        return self.path / other

    def __str__(self) -> str:
        return str(self.path)

    def _repr_html_(self) -> str:
        where = html.escape(_shown(self.path))
        if self.managed:  # the runner's report header names the run: nothing to add
            return ""
        return (
            f'<p class="nps-runfolder">Files of this run are written to a new run folder: '
            f"<code>{where}</code> (nothing is written to the current folder).</p>"
        )

    def _repr_markdown_(self) -> str:
        return "" if self.managed else f"Files of this run: `{_shown(self.path)}`"

    def __repr__(self) -> str:
        return f"RunFolder({_shown(self.path)!r}, managed={self.managed})"


def _shown(path: Path) -> str:
    """The folder as a reader can find it: relative to the working directory when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.name if path.is_absolute() and len(str(path)) > 80 else str(path)


def new_run_id(now: dt.datetime | None = None) -> str:
    """A unique, sortable run id (the runner's form): ``20261122T105700Z-3f9a1c``."""
    now = now or dt.datetime.now(dt.UTC)
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def run_folder(notebook: str, output_dir: str | os.PathLike[str] = "", *, reports: str | os.PathLike[str] = DEFAULT_REPORTS) -> RunFolder:
    """The folder this notebook run writes its files (charts, CSVs, memo, ``results.json``) into.

    * Under the runner (``$NPS_ANALYSIS_RESULTS`` is set): the runner's run folder.
    * Otherwise a fresh ``<base>/<notebook>/<run_id>/``, where ``<base>`` is ``output_dir`` when
      one is given, else ``reports`` in the working directory. ``results.json`` starts empty there
      (with ``status: "interactive"`` and the run's metadata) and ``nps.record`` writes to it, so the
      run shows up in ``nps-analysis index`` and never merges into another run's results.

    Args:
        notebook: the notebook's name (``"experiment"``), the middle part of the folder.
        output_dir: the notebook's ``output_dir`` parameter; ``""`` or ``"."`` mean "a run folder".
        reports: the reports folder used when ``output_dir`` says nothing.
    """
    env = os.environ.get(RESULTS_ENV)
    if env:
        results = Path(env)
        folder = Path(output_dir) if str(output_dir) not in AUTO else results.parent
        folder.mkdir(parents=True, exist_ok=True)
        return RunFolder(folder, results, managed=True)
    base = Path(output_dir) if str(output_dir) not in AUTO else Path(reports)
    stem = Path(str(notebook)).stem or "notebook"
    while True:
        run_id = new_run_id()
        folder = base / stem / run_id
        try:
            folder.mkdir(parents=True, exist_ok=False)
            break
        except FileExistsError:  # two runs in the same second drew the same suffix: draw again
            continue
    results = folder / RESULTS_FILE
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    meta: dict[str, Any] = {
        "notebook": stem, "run_id": run_id, "run_dir": str(folder), "started_at": now,
        "host": socket.gethostname(), "runner": None,
    }
    write_json_atomic(results, {"status": "interactive", "parameters": {}, "run": meta})
    # The kernel's later nps.record(...) calls write here (record() reads the variable each call).
    os.environ[RESULTS_ENV] = str(results.resolve())
    return RunFolder(folder, results, managed=False)
