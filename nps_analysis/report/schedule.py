"""Schedules: a YAML file of notebook runs (with ``each`` for one run per team), run one after
the other or several at once (``jobs``).
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


def default_jobs() -> int:
    """How many runs of a schedule go at once by default: the number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def run_schedule(
    schedule: str | os.PathLike[str],
    *,
    output_dir: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
    jobs: int | None = None,
    pdf: bool = True,
    private: bool | None = None,
) -> ScheduleResult:
    """Run every notebook and parameter set of a schedule file, ``jobs`` at a time.

    All parameters are checked before the first run starts, and every run is then reserved with a
    ``planned`` record (:func:`plan_run`), so each planned run ends with a record whatever
    happens: ``ok`` or ``failed`` (a failing notebook, or any exception escaping one run, which
    does not stop the others), ``skipped`` with the reason when the schedule is stopped (SIGTERM,
    Ctrl-C) before the run starts, ``killed`` when its process dies mid-run. ``exit_code`` is 1 if
    any run failed. Relative paths in the schedule (notebooks, ``output_dir``, and data paths read
    by the kernel) are relative to the schedule file's folder.

    Args:
        jobs: runs at once (default :func:`default_jobs`, the number of cores). Each run has its
            own kernel and its own ``run.log``; console lines are prefixed with ``[notebook run_id]``
            when ``jobs > 1``; ``index.html`` is rebuilt under a lock after every run and once at
            the end. Stopped with ``jobs > 1``, the runs not started are ``skipped`` and the runs
            under way finish and record themselves.
        pdf: write ``report.pdf`` for every run.
        private: files ``0600`` (see :func:`~nps_analysis.report.runner.run_notebook`).
    """
    from concurrent.futures import ThreadPoolExecutor

    planned, default_out, base = plan_schedule(schedule)
    out = Path(output_dir) if output_dir is not None else default_out
    jobs = default_jobs() if jobs is None else jobs
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise NPSInputError(f"jobs must be a whole number of runs at once (1 or more), got {jobs!r}")
    jobs = min(jobs, len(planned))
    parallel = jobs > 1
    # A progress bar per run makes no sense when runs interleave: plain lines then.
    bar = False if parallel else progress
    ids = [plan_run(p.notebook, p.parameters, output_dir=out, schedule=str(schedule)) for p in planned]
    write_index(out)

    def one(i: int, p: PlannedRun, run_id: str) -> RunResult:
        log.info("schedule run %d/%d: %s %s", i, len(planned), p.notebook.name, p.parameters or "")
        try:
            return run_notebook(
                p.notebook, p.parameters, output_dir=out, timeout=p.timeout, progress=bar, cwd=base,
                run_id=run_id, planned=True, pdf=pdf, private=private, log_label=parallel,
            )
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - one run's failure never stops the schedule
            log.exception("schedule run %d/%d failed outside its notebook", i, len(planned))
            return close_run(p.notebook, run_id, output_dir=out, status="failed", error_type=type(exc).__name__,
                             message=f"the run could not complete: {exc}")

    runs: list[RunResult] = []
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="nps-run") if parallel else None
    try:
        if pool is None:
            for i, (p, run_id) in enumerate(zip(planned, ids, strict=True), 1):
                runs.append(one(i, p, run_id))
        else:
            futures = [pool.submit(one, i, p, run_id) for i, (p, run_id) in enumerate(zip(planned, ids, strict=True), 1)]
            runs = [f.result() for f in futures]
    except KeyboardInterrupt as stop:
        why = stop or "SIGTERM or Ctrl-C"
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        for p, run_id in zip(planned, ids, strict=True):
            status = run_status(out, p.notebook, run_id)
            if status == "running" and pool is None:  # the run that was going: failed
                close_run(p.notebook, run_id, output_dir=out, status="failed", error_type="Interrupted",
                          message=f"the run was stopped before it finished ({why})")
            elif status == "planned":
                close_run(p.notebook, run_id, output_dir=out, status="skipped", error_type="Skipped",
                          message=f"the schedule was stopped ({why}) before this run started")
        write_index(out)
        raise
    if pool is not None:
        pool.shutdown()
    write_index(out)  # once more, after the last run: every run is listed
    result = ScheduleResult(runs)
    log.info("%s", result.summary())
    return result
