"""Schedules: a YAML file of notebook runs (with ``each`` for one run per team) run in turn.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..sources.errors import NPSInputError
from .index import write_index
from .parameters import ParameterError, check_parameters, notebook_parameters
from .runner import RunResult, close_run, log, plan_run, run_notebook, run_status


@dataclass(frozen=True)
class ScheduleResult:
    """The runs of a schedule, in schedule order, and which of them failed."""

    runs: list[RunResult] = field(default_factory=list)

    @property
    def failures(self) -> list[RunResult]:
        return [r for r in self.runs if not r.ok]

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def summary(self) -> str:
        """Plain-text summary: one line per run, then the failures with their errors."""
        lines = [f"{len(self.runs)} run(s), {len(self.failures)} failed"]
        for r in self.runs:
            lines.append(f"  {r.status:<6} {r.notebook.stem} {r.run_id} ({r.duration:.1f} s) {r.report}")
        if self.failures:
            lines.append("failures:")
            for r in self.failures:
                lines.append(f"  {r.notebook.stem} {r.run_id}: {r.error}")
        return "\n".join(lines)


_SCHEDULE_KEYS = {"runs", "output_dir", "timeout", "parameters"}
_RUN_KEYS = {"notebook", "parameters", "each", "timeout", "name"}


@dataclass(frozen=True)
class PlannedRun:
    """One run of a schedule after expansion and parameter checks (nothing has run yet)."""

    notebook: Path
    parameters: dict[str, Any]
    timeout: float | None


def plan_schedule(schedule: str | os.PathLike[str]) -> tuple[list[PlannedRun], Path, Path]:
    """Read a schedule file, expand ``each`` lists and check every run's parameters.

    Returns the planned runs, the output folder and the folder relative paths are resolved
    against (the schedule file's folder). Raises :class:`NPSInputError` on any problem, before
    anything runs.

    Format::

        output_dir: reports          # optional, relative to this file
        timeout: 600                 # optional, seconds per run
        parameters: {mde: 5}         # optional, for every run
        runs:
          - notebook: ../notebooks/experiment.ipynb
            parameters: {segment_columns: [plan]}
            each:                    # optional: one run per item, merged over `parameters`
              - {subset: {region: North}}
              - {subset: {region: South}}
    """
    from .parameters import MAX_YAML_CHARS, safe_yaml_load

    path = Path(schedule)
    if not path.is_file():
        raise NPSInputError("schedule file not found (or not a regular file)", file=str(path))
    if path.stat().st_size > MAX_YAML_CHARS * 4:
        raise NPSInputError(f"the schedule file is larger than {MAX_YAML_CHARS:,} characters", file=str(path))
    try:
        data = safe_yaml_load(path.read_text(encoding="utf-8"), what="the schedule file")
    except UnicodeDecodeError:
        raise NPSInputError("the schedule file is not UTF-8 text", file=str(path)) from None
    except NPSInputError as exc:
        raise NPSInputError(str(exc), file=str(path)) from None
    if isinstance(data, list):
        data = {"runs": data}
    if not isinstance(data, dict) or not isinstance(data.get("runs"), list) or not data["runs"]:
        raise NPSInputError("a schedule needs a non-empty list `runs:`", file=str(path))
    unknown = set(data) - _SCHEDULE_KEYS
    if unknown:
        raise NPSInputError(
            f"unknown key(s) {sorted(unknown)}; a schedule may have {sorted(_SCHEDULE_KEYS)}", file=str(path)
        )
    base = path.resolve().parent
    output_dir = base / str(data.get("output_dir", "reports"))
    shared = data.get("parameters") or {}
    if not isinstance(shared, dict):
        raise NPSInputError("`parameters` must be a mapping", file=str(path))
    planned: list[PlannedRun] = []
    for i, entry in enumerate(data["runs"]):
        where = f"runs[{i}]"
        if isinstance(entry, str):
            entry = {"notebook": entry}
        if not isinstance(entry, dict) or "notebook" not in entry:
            raise NPSInputError(f"{where} needs a `notebook:`", file=str(path))
        unknown = set(entry) - _RUN_KEYS
        if unknown:
            raise NPSInputError(
                f"{where}: unknown key(s) {sorted(unknown)}; a run may have {sorted(_RUN_KEYS)}", file=str(path)
            )
        nb_path = base / str(entry["notebook"])
        declared = notebook_parameters(nb_path)
        own = entry.get("parameters") or {}
        each = entry.get("each") or [{}]
        if not isinstance(own, dict) or not isinstance(each, list) or not all(isinstance(e, dict) for e in each):
            raise NPSInputError(f"{where}: `parameters` must be a mapping and `each` a list of mappings", file=str(path))
        timeout = entry.get("timeout", data.get("timeout"))
        for j, extra in enumerate(each):
            values = {**{k: v for k, v in shared.items() if k in declared}, **own, **extra}
            try:
                checked = check_parameters(declared, values, file=str(nb_path))
            except ParameterError as exc:
                label = where + (f".each[{j}]" if entry.get("each") else "")
                raise ParameterError(f"{label}: {exc}", file=str(path)) from None
            planned.append(PlannedRun(nb_path, checked, None if timeout is None else float(timeout)))
    return planned, output_dir, base


def run_schedule(
    schedule: str | os.PathLike[str],
    *,
    output_dir: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
) -> ScheduleResult:
    """Run every notebook and parameter set of a schedule file, one after the other.

    All parameters are checked before the first run starts, and every run is then reserved with a
    ``planned`` record (:func:`plan_run`), so each planned run ends with a record whatever
    happens: ``ok`` or ``failed`` (a failing notebook, or any exception escaping one run, which
    does not stop the others), ``skipped`` with the reason when the schedule is stopped (SIGTERM,
    Ctrl-C) before the run starts, ``killed`` when its process dies mid-run. ``exit_code`` is 1 if
    any run failed. Relative paths in the schedule (notebooks, ``output_dir``, and data paths read
    by the kernel) are relative to the schedule file's folder.
    """
    planned, default_out, base = plan_schedule(schedule)
    out = Path(output_dir) if output_dir is not None else default_out
    ids = [plan_run(p.notebook, p.parameters, output_dir=out, schedule=str(schedule)) for p in planned]
    write_index(out)
    runs: list[RunResult] = []
    try:
        for i, (p, run_id) in enumerate(zip(planned, ids, strict=True), 1):
            log.info("schedule run %d/%d: %s %s", i, len(planned), p.notebook.name, p.parameters or "")
            try:
                run = run_notebook(
                    p.notebook, p.parameters, output_dir=out, timeout=p.timeout, progress=progress, cwd=base,
                    run_id=run_id, planned=True,
                )
            except KeyboardInterrupt:
                raise
            except Exception as exc:  # noqa: BLE001 - one run's failure never stops the schedule
                log.exception("schedule run %d/%d failed outside its notebook", i, len(planned))
                run = close_run(p.notebook, run_id, output_dir=out, status="failed", error_type=type(exc).__name__,
                                message=f"the run could not complete: {exc}")
            runs.append(run)
    except KeyboardInterrupt as stop:
        why = stop or "SIGTERM or Ctrl-C"
        pending = list(zip(planned, ids, strict=True))[len(runs):]
        if pending:  # the run that was going: failed, unless the runner recorded it already
            p, run_id = pending[0]
            if run_status(out, p.notebook, run_id) in ("planned", "running"):
                close_run(p.notebook, run_id, output_dir=out, status="failed", error_type="Interrupted",
                          message=f"the run was stopped before it finished ({why})")
        for p, run_id in pending[1:]:
            close_run(p.notebook, run_id, output_dir=out, status="skipped", error_type="Skipped",
                      message=f"the schedule was stopped ({why}) before this run started")
        write_index(out)
        raise
    write_index(out)
    result = ScheduleResult(runs)
    log.info("%s", result.summary())
    return result
