"""Recording a notebook's headline numbers into ``results.json``.

A notebook calls ``nps.record(name, value)``; the runner points the kernel at the run folder's
``results.json`` through the ``NPS_ANALYSIS_RESULTS`` environment variable and adds ``status`` and
``parameters`` itself. Outside the runner (plain papermill, JupyterLab) the file is ``results.json``
in the kernel's working directory, or the path given to ``record(..., path=)``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Any

from ..sources.atomic import atomic_path
from ..sources.csvsafe import to_safe_csv
from ..sources.results import jsonable

RESULTS_ENV = "NPS_ANALYSIS_RESULTS"
RESULTS_FILE = "results.json"


def results_path(path: str | os.PathLike[str] | None = None) -> Path:
    """Where ``record`` writes: ``path``, else ``$NPS_ANALYSIS_RESULTS``, else ``./results.json``."""
    if path is not None:
        return Path(path)
    return Path(os.environ.get(RESULTS_ENV) or RESULTS_FILE)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write UTF-8 text (LF line endings) atomically (see :func:`atomic_path`)."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def write_json_atomic(path: str | os.PathLike[str], data: Any) -> None:
    """Write JSON (result objects through ``jsonable``, no NaN) atomically."""
    text = json.dumps(jsonable(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    write_text_atomic(path, text)


def record(name: str, value: Any, *, path: str | os.PathLike[str] | None = None) -> Any:
    """Record ``value`` under ``name`` in the run's ``results.json`` and return the value.

    Values are converted to JSON (result objects through ``to_dict()``, NaN to ``null``); recording
    the same name again replaces it.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"record() needs a non-empty string name, got {name!r}")
    target = results_path(path)
    current = read_results_file(target) if target.exists() else {}
    current[name] = jsonable(value)
    write_json_atomic(target, current)
    return value


def read_results_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: results.json must hold a JSON object")
    return data


def read_results(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Read ``results.json`` from a run folder (or the file itself)."""
    p = Path(run_dir)
    return read_results_file(p / RESULTS_FILE if p.is_dir() else p)


def save_figure(figure: Any, path: str | os.PathLike[str], **savefig_kwargs: Any) -> Path:
    """``figure.savefig`` written atomically (format from the file name, e.g. ``chart.png``)."""
    from .plots.edges import bound_figure_text

    target = Path(path)
    savefig_kwargs.setdefault("format", target.suffix.lstrip(".") or "png")
    bound_figure_text(figure)  # a 1 MB label must not take minutes to lay out
    with atomic_path(target) as tmp:
        figure.savefig(tmp, **savefig_kwargs)
    return target


def save_text(path: str | os.PathLike[str], text: str) -> Path:
    """A UTF-8 text file (a memo, a Markdown summary) written atomically."""
    write_text_atomic(path, text)
    return Path(path)


def save_csv(frame: Any, path: str | os.PathLike[str], *, raw_csv: bool = False, **to_csv_kwargs: Any) -> Path:
    """``DataFrame.to_csv`` written atomically (no index unless asked).

    Text cells that a spreadsheet would run as a formula (starting ``=``, ``+``, ``-``, ``@``, tab,
    carriage return) get a leading apostrophe, as OWASP advises against CSV injection
    (:func:`nps_analysis.sources.csvsafe.neutralise_frame`); ``raw_csv=True`` writes them as they are.
    """
    to_csv_kwargs.setdefault("index", False)
    with atomic_path(path) as tmp:
        to_safe_csv(frame, tmp, raw_csv=raw_csv, **to_csv_kwargs)
    return Path(path)


def utc_now() -> dt.datetime:
    """The current time in UTC (run records use it)."""
    return dt.datetime.now(dt.UTC)


def iso_time(t: dt.datetime) -> str:
    """A UTC time as ISO 8601 text to the second with ``Z`` (``2026-11-30T14:05:00Z``)."""
    return t.isoformat(timespec="seconds").replace("+00:00", "Z")


def strip_ansi(text: str) -> str:
    """Text without terminal colour codes (tracebacks from the kernel carry them)."""
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)
