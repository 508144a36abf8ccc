"""Running notebooks as reports: parameter checks, papermill execution, run folders, HTML export.

Every run gets ``<output_dir>/<notebook>/<run_id>/`` with ``executed.ipynb``, ``report.html``,
``results.json``, ``parameters.yaml`` and ``run.log``; ``<output_dir>/index.html`` lists every run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import os
import re
import secrets
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..sources.errors import NPSInputError
from ..sources.privacy import mask_message
from .html import PAPERMILL_ERROR_TAG, prepare_exporter, report_title, write_report_html
from .index import write_index
from .parameters import (
    INJECTED_TAG,
    PARAMETERS_TAG,
    Parameter,
    check_parameters,
    notebook_parameters,
    read_notebook,
)
from .record import (
    RESULTS_ENV,
    RESULTS_FILE,
    iso_time,
    read_results_file,
    strip_ansi,
    utc_now,
    write_json_atomic,
    write_text_atomic,
)

log = logging.getLogger("nps_analysis.runner")

KERNEL_NAME = "python3"
RUN_FILES = ("executed.ipynb", "report.html", "results.json", "parameters.yaml", "run.log")


# ------------------------------------------------------------------------------ parameter types


# ------------------------------------------------------------------------- parameter introspection


# ------------------------------------------------------------------------------------ run results


@dataclass(frozen=True)
class RunResult:
    """What one run produced. ``status`` is ``"ok"`` or ``"failed"``; files live in ``run_dir``."""

    notebook: Path
    run_id: str
    run_dir: Path
    status: str
    parameters: dict[str, Any]
    results: dict[str, Any]
    duration: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def exit_code(self) -> int:
        """0 when the run succeeded, 1 when it failed (the CLI's exit code)."""
        return 0 if self.ok else 1

    @property
    def report(self) -> Path:
        return self.run_dir / "report.html"

    @property
    def executed(self) -> Path:
        return self.run_dir / "executed.ipynb"

    @property
    def results_path(self) -> Path:
        return self.run_dir / RESULTS_FILE


# ---------------------------------------------------------------------------------------- helpers


def new_run_id(now: dt.datetime | None = None) -> str:
    """A unique, sortable run id: UTC timestamp plus a random suffix, e.g. ``20261122T105700Z-3f9a1c``."""
    now = now or dt.datetime.now(dt.UTC)
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


_RUN_ID_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def _interactive() -> bool:
    """A progress bar only in an interactive terminal; plain log lines in CI and under schedulers."""
    ci = os.environ.get("CI", "").strip().lower()
    if ci and ci not in ("0", "false", "no"):
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class _Watchdog:
    """The run's wall-clock limit, kernel start included: when it passes, the kernel process is
    killed (nbclient then stops with a dead kernel, which the runner records as a timeout)."""

    def __init__(self, timeout: float | None) -> None:
        self.timeout = timeout
        self.deadline = None if timeout is None else time.monotonic() + float(timeout)
        self.fired = False
        self.pid: int | None = None
        self._lock = threading.Lock()
        self._timer = None if timeout is None else threading.Timer(float(timeout), self.fire)
        if self._timer is not None:
            self._timer.daemon = True
            self._timer.start()

    def kernel_started(self, pid: int | None) -> None:
        with self._lock:
            self.pid = pid
            late = self.fired
        if late:  # the limit passed while the kernel was starting
            self._kill()

    def fire(self) -> None:
        with self._lock:
            self.fired = True
        self._kill()

    def _kill(self) -> None:
        import signal

        if self.pid:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)

    def remaining(self, cell: Any = None) -> int | None:
        """nbclient's per-cell limit: what is left of the run's time (the watchdog is exact)."""
        if self.deadline is None:
            return None
        return max(1, math.ceil(self.deadline - time.monotonic()))

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


def _kernel_manager_class(env: dict[str, str], cwd: str, stream: Any, watchdog: _Watchdog | None = None) -> type:
    """A kernel manager that starts the kernel with the run's environment, working directory and
    stdout/stderr going to ``run.log`` (so kernel warnings do not clutter the terminal), and tells
    the run's watchdog which process to stop when the time limit passes."""
    from jupyter_client.manager import AsyncKernelManager

    class RunKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw: Any) -> None:
            kw.setdefault("env", env)
            kw.setdefault("cwd", cwd)
            kw.setdefault("stdout", stream)
            kw.setdefault("stderr", stream)
            out = await super().start_kernel(**kw)
            if watchdog is not None:
                watchdog.kernel_started(getattr(self.provisioner, "pid", None))
            return out

    return RunKernelManager


class _CellTracker:
    """nbclient hooks: remembers the running cell and writes one line per finished cell."""

    def __init__(self, total: int, emit: Callable[[str], None]) -> None:
        self.total = total
        self.emit = emit
        self.current: int | None = None
        self.started = 0.0
        self.first_started: float | None = None
        self.done = 0

    def start(self, cell: Any = None, cell_index: int = 0, **_: Any) -> None:
        self.current = cell_index
        self.started = time.monotonic()
        if self.first_started is None:
            self.first_started = self.started

    def executed(self, cell: Any = None, cell_index: int = 0, execute_reply: Any = None, **_: Any) -> None:
        self.done += 1
        status = (execute_reply or {}).get("content", {}).get("status", "ok")
        took = time.monotonic() - self.started
        self.emit(f"cell {cell_index} ({self.done}/{self.total} code cells) {status} in {took:.1f} s")


# ------------------------------------------------------------------------------------- run folder


def run_notebook(
    notebook: str | os.PathLike[str],
    parameters: Mapping[str, Any] | None = None,
    *,
    output_dir: str | os.PathLike[str] = "reports",
    timeout: float | None = None,
    run_id: str | None = None,
    progress: bool | None = None,
    cwd: str | os.PathLike[str] | None = None,
    kernel_name: str = KERNEL_NAME,
    planned: bool = False,
) -> RunResult:
    """Run a notebook with parameters and keep everything it produced in a new run folder.

    The parameters are checked against the notebook's ``parameters`` cell and converted to the
    declared types *before* anything is created or executed. The run folder
    ``<output_dir>/<notebook stem>/<run_id>/`` gets ``executed.ipynb``, ``report.html`` (no code,
    no injected-parameters cell, charts embedded), ``results.json`` (``status``, ``parameters``,
    ``run`` metadata and whatever the notebook recorded with ``nps.record``), ``parameters.yaml``
    (reusable with ``-f``) and ``run.log``. A failing cell, a timeout or a dead kernel gives a
    run with ``status: "failed"`` and an ``error`` entry naming the cell; it does not raise.
    ``<output_dir>/index.html`` is rebuilt after the run.

    Args:
        notebook: the ``.ipynb`` template.
        parameters: name -> value; strings (from the command line) are converted to the declared
            types. If the notebook declares ``output_dir`` and it is not given, it is set to the run
            folder so files the notebook writes land beside the report.
        output_dir: the reports folder (created if missing).
        timeout: seconds the whole run may take, wall clock, kernel start included (the kernel is
            killed when it passes and the run is recorded ``failed`` with a ``Timeout`` error);
            ``None`` = no limit.
        run_id: folder name of the run (default: UTC timestamp plus a random suffix). An existing
            folder is never reused.
        progress: a progress bar (True) or one log line per cell (False); default: a bar only in an
            interactive terminal outside CI.
        cwd: the kernel's working directory (default: the current directory), against which
            relative paths in the parameters are resolved.
        kernel_name: the Jupyter kernel (``python3``: the environment's own Python).
        planned: the run folder ``run_id`` was reserved by :func:`plan_run` (a schedule reserves
            every run before the first starts, so each planned run ends with a record).

    Raises:
        ParameterError / NPSInputError: bad parameters, no parameters cell, a missing notebook or an
            existing run folder; nothing has been executed then.
    """
    nb_path = Path(notebook)
    nb = read_notebook(nb_path)
    declared = notebook_parameters(nb) if _has_parameters_cell(nb) else {}
    given = check_parameters(declared, parameters, file=str(nb_path))
    if timeout is not None and not (isinstance(timeout, (int, float)) and timeout > 0):
        raise NPSInputError(f"timeout must be a positive number of seconds, got {timeout!r}")
    run_id = run_id or new_run_id()
    if not _RUN_ID_OK.match(run_id):
        raise NPSInputError(f"run id {run_id!r} must be letters, digits, '.', '_' or '-'")
    output_dir = Path(output_dir)
    run_dir = output_dir / nb_path.stem / run_id
    if planned:
        if _recorded_status(run_dir / RESULTS_FILE) != "planned":
            raise NPSInputError("no planned run in this folder (plan_run reserves one)", file=str(run_dir))
    else:
        if run_dir.exists():
            raise NPSInputError("run folder exists already; runs are never overwritten", file=str(run_dir))
        run_dir.parent.mkdir(parents=True, exist_ok=True)
        try:
            run_dir.mkdir()
        except FileExistsError:
            raise NPSInputError("run folder exists already; runs are never overwritten", file=str(run_dir)) from None

    injected = dict(given)
    if "output_dir" in declared and "output_dir" not in given:
        injected["output_dir"] = str(run_dir.resolve())
    effective = {name: p.default for name, p in declared.items()}
    effective.update(injected)
    progress = _interactive() if progress is None else progress
    started = utc_now()
    run_meta = {
        "notebook": nb_path.stem,
        "notebook_path": str(nb_path),
        "run_id": run_id,
        "run_dir": str(run_dir),
        "started_at": iso_time(started),
        "kernel": kernel_name,
        "timeout": timeout,
        "parameters_given": given,
        # Who runs it: a later look at the folder can tell a live run from one that was killed.
        "pid": os.getpid(),
        "host": socket.gethostname(),
    }
    results_file = run_dir / RESULTS_FILE
    write_json_atomic(results_file, {"status": "running", "parameters": effective, "run": run_meta})
    write_text_atomic(run_dir / "parameters.yaml", _parameters_yaml(nb_path, run_id, declared, effective, injected, given))
    # The index lists the run from its start: a run killed outright (SIGKILL, out of memory) shows
    # as killed at the next look, without waiting for another run to rebuild the index.
    try:
        write_index(output_dir)
    except Exception:
        log.exception("could not rebuild %s", output_dir / "index.html")

    log_partial = run_dir / ".run.log.partial"
    t0 = time.monotonic()
    with open(log_partial, "a", encoding="utf-8") as log_stream, _run_logging(log_stream) as emit:
        emit(f"run {run_id} of {nb_path} started; folder {run_dir}")
        emit("parameters given: " + (", ".join(f"{k}={v!r}" for k, v in given.items()) or "none"))
        # The HTML exporter costs ~1 s to import and compile its templates: prepare it on another
        # thread while the kernel works (the main thread only waits for kernel messages).
        prepared: dict[str, Any] = {}
        warmup = threading.Thread(target=prepare_exporter, args=(prepared,), name="nps-report-warmup", daemon=True)
        warmup.start()
        error, interrupted = _execute(
            nb_path,
            run_dir,
            injected,
            kernel_name=kernel_name,
            timeout=timeout,
            progress=progress,
            cwd=Path(cwd) if cwd is not None else Path.cwd(),
            results_file=results_file,
            log_stream=log_stream,
            emit=emit,
        )
        duration = time.monotonic() - t0
        status = "ok" if error is None else "failed"
        recorded = _read_recorded(results_file, emit)
        finished = utc_now()
        run_meta.update(finished_at=iso_time(finished), duration_seconds=round(duration, 3))
        final: dict[str, Any] = {"status": status, "parameters": effective}
        final.update({k: v for k, v in recorded.items() if k not in ("status", "parameters", "run", "error")})
        final["run"] = run_meta
        if error is not None:
            final["error"] = error
        write_json_atomic(results_file, final)
        try:
            if interrupted is None:  # when stopped, record the outcome and get out quickly
                t_html = time.monotonic()
                warmup.join()
                write_report_html(
                    run_dir, title=report_title(nb_path, nb, started), results=final,
                    exporter=prepared.get("exporter"),
                )
                emit(f"report.html written in {time.monotonic() - t_html:.1f} s", console=False)
        except Exception as exc:  # a broken report must not hide the run's own outcome
            emit(f"could not write report.html: {exc.__class__.__name__}: {exc}")
            log.exception("report.html failed for %s", run_dir)
        summary = "ok" if error is None else f"FAILED: {error['type']}: {error['message']}"
        emit(f"run {run_id} finished in {duration:.1f} s: {summary}")
    os.replace(log_partial, run_dir / "run.log")
    try:
        write_index(output_dir)
    except Exception:
        log.exception("could not rebuild %s", output_dir / "index.html")
    if interrupted is not None:
        raise interrupted
    return RunResult(
        notebook=nb_path,
        run_id=run_id,
        run_dir=run_dir,
        status=status,
        parameters=effective,
        results=final,
        duration=duration,
        error=None if error is None else f"{error['type']}: {error['message']}",
    )


def _recorded_status(results_file: Path) -> str | None:
    try:
        return read_results_file(results_file).get("status")
    except (OSError, ValueError):
        return None


def run_status(output_dir: str | os.PathLike[str], notebook: str | os.PathLike[str], run_id: str) -> str | None:
    """The status recorded in a run's ``results.json`` (None when there is no readable record)."""
    return _recorded_status(Path(output_dir) / Path(notebook).stem / run_id / RESULTS_FILE)


def plan_run(
    notebook: str | os.PathLike[str],
    parameters: Mapping[str, Any] | None = None,
    *,
    output_dir: str | os.PathLike[str] = "reports",
    schedule: str | None = None,
) -> str:
    """Reserve a run folder with a ``planned`` record, before anything runs; returns its run id.

    A schedule plans every run first, so each planned run ends with a record: ``ok`` or
    ``failed`` when it ran, ``skipped`` (with the reason) when the schedule stopped before it, and
    the index shows a planned run whose scheduler died as skipped too.
    """
    nb_path = Path(notebook)
    run_id = new_run_id()
    run_dir = Path(output_dir) / nb_path.stem / run_id
    run_dir.mkdir(parents=True, exist_ok=False)
    now = iso_time(utc_now())
    write_json_atomic(
        run_dir / RESULTS_FILE,
        {
            "status": "planned",
            "parameters": dict(parameters or {}),
            "run": {
                "notebook": nb_path.stem, "notebook_path": str(nb_path), "run_id": run_id, "run_dir": str(run_dir),
                "planned_at": now, "started_at": now, "schedule": schedule, "parameters_given": dict(parameters or {}),
                "pid": os.getpid(), "host": socket.gethostname(),
            },
        },
    )
    return run_id


def close_run(
    notebook: str | os.PathLike[str],
    run_id: str,
    *,
    output_dir: str | os.PathLike[str] = "reports",
    status: str,
    error_type: str,
    message: str,
) -> RunResult:
    """Give a planned (or running) run its final record when it could not run or finish normally:
    ``skipped`` (a schedule stopped before it) or ``failed`` (an exception outside the notebook)."""
    nb_path = Path(notebook)
    run_dir = Path(output_dir) / nb_path.stem / run_id
    results_file = run_dir / RESULTS_FILE
    try:
        data = read_results_file(results_file)
    except (OSError, ValueError):
        data = {"parameters": {}, "run": {"run_id": run_id, "notebook": nb_path.stem}}
    run = dict(data.get("run") or {})
    run["finished_at"] = iso_time(utc_now())
    data.update(status=status, run=run, error={"type": error_type, "message": mask_message(message)})
    write_json_atomic(results_file, data)
    return RunResult(
        notebook=nb_path, run_id=run_id, run_dir=run_dir, status=status, parameters=dict(data.get("parameters") or {}),
        results=data, duration=0.0, error=f"{error_type}: {message}",
    )


def _has_parameters_cell(nb: Any) -> bool:
    return any(PARAMETERS_TAG in c.get("metadata", {}).get("tags", []) for c in nb.cells)


def _parameters_yaml(
    nb_path: Path,
    run_id: str,
    declared: Mapping[str, Parameter],
    effective: Mapping[str, Any],
    injected: Mapping[str, Any],
    given: Mapping[str, Any],
) -> str:
    import yaml

    rerun = {k: v for k, v in effective.items() if not (k == "output_dir" and k not in given)}
    header = [
        f"# Parameters of run {run_id} of {nb_path.name} (defaults included).",
        f"# Rerun with: nps-analysis run {nb_path} -f parameters.yaml",
    ]
    if "output_dir" in injected and "output_dir" not in given:
        header.append("# output_dir was the run folder itself and is left out so a rerun gets its own.")
    body = yaml.safe_dump(rerun, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return "\n".join(header) + "\n" + (body if rerun else "{}\n")


@contextlib.contextmanager
def _run_logging(stream: Any) -> Iterator[Callable[..., None]]:
    """Route this run's messages: every line to ``run.log``; runner lines also to the
    ``nps_analysis.runner`` logger (the console, as the caller configured logging); papermill's
    own log records to ``run.log`` only. Yields ``emit(message, console=True)``."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    pm_logger = logging.getLogger("papermill")
    saved = (pm_logger.level, pm_logger.propagate)
    pm_logger.addHandler(handler)
    pm_logger.setLevel(logging.INFO)
    pm_logger.propagate = False

    def emit(message: str, console: bool = True) -> None:
        stream.write(f"{iso_time(utc_now())} {message}\n")
        stream.flush()
        if console:
            log.info("%s", message)

    try:
        yield emit
    finally:
        pm_logger.removeHandler(handler)
        pm_logger.setLevel(saved[0])
        pm_logger.propagate = saved[1]


def _execute(
    nb_path: Path,
    run_dir: Path,
    injected: Mapping[str, Any],
    *,
    kernel_name: str,
    timeout: float | None,
    progress: bool,
    cwd: Path,
    results_file: Path,
    log_stream: Any,
    emit: Callable[..., None],
) -> tuple[dict[str, Any] | None, BaseException | None]:
    """Execute with papermill. Returns the error record (``None`` on success) and the
    KeyboardInterrupt that stopped the run, if any, for the caller to re-raise once the run's
    files are written; never raises itself."""
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    executed = run_dir / "executed.ipynb"
    partial = run_dir / ".executed.partial.ipynb"
    env = dict(os.environ)
    env[RESULTS_ENV] = str(results_file.resolve())
    # Charts must come out as inline images, whatever backend the caller's shell selected.
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    env.setdefault("PYTHONUNBUFFERED", "1")
    n_code = sum(1 for c in nbformat.read(nb_path, as_version=4).cells if c.cell_type == "code")
    n_code += 1 if injected else 0
    tracker = _CellTracker(n_code, lambda message: emit(message, console=not progress))

    # The limit is the whole run's wall-clock time, kernel start included (nbclient's own per-cell
    # timeout gives each cell at least a second, so it cannot enforce a total on its own).
    watchdog = _Watchdog(timeout)
    error: dict[str, Any] | None = None
    interrupted: BaseException | None = None
    try:
        pm.execute_notebook(
            str(nb_path),
            str(partial),
            parameters=dict(injected),
            kernel_name=kernel_name,
            progress_bar=progress,
            log_output=False,
            stdout_file=log_stream,
            stderr_file=log_stream,
            request_save_on_cell_execute=True,
            kernel_manager_class=_kernel_manager_class(env, str(cwd), log_stream, watchdog),
            timeout_func=watchdog.remaining,
            shell_timeout_interval=1,
            # Results are on disk when the last cell returns; a graceful shutdown only adds ~1 s.
            shutdown_kernel="immediate",
            on_cell_start=tracker.start,
            on_cell_executed=tracker.executed,
        )
    except PapermillExecutionError as exc:
        error = {
            "type": exc.ename,
            "message": mask_message(strip_ansi(str(exc.evalue))),
            "cell_index": exc.cell_index,
            "execution_count": exc.exec_count,
            "cell_source": exc.source,
            "traceback": mask_message(strip_ansi("\n".join(exc.traceback or []))),
        }
    except KeyboardInterrupt as exc:
        interrupted = exc
        error = _error_record(exc, tracker, None, timeout)
    except Exception as exc:  # timeout, dead kernel, missing kernel, ...
        error = _error_record(exc, tracker, None, timeout)
    finally:
        watchdog.cancel()
    if watchdog.fired and interrupted is None:
        error = {
            "type": "Timeout",
            "message": f"the run exceeded its time limit of {timeout:g} s (kernel start included); "
            "the kernel was stopped",
            "cell_index": tracker.current,
            "execution_count": None,
            "cell_source": None,
            "traceback": None,
        }
    emit("kernel stopped", console=False)
    if partial.exists():
        if error is not None:
            with contextlib.suppress(Exception):
                _locate_failure(nbformat.read(partial, as_version=4), error)
        os.replace(partial, executed)
    else:
        emit("no executed notebook was written (the kernel never ran)")
    if error is not None:
        where = "" if error.get("cell_index") is None else f" in cell {error['cell_index']}"
        emit(f"failed{where}: {error['type']}: {error['message']}")
        if error.get("traceback"):
            log_stream.write(error["traceback"] + "\n")
            log_stream.flush()
    return error, interrupted


def _locate_failure(executed: Any, error: dict[str, Any]) -> None:
    """Point ``error`` at the failing cell: ``cell_index`` becomes its 0-based position in the
    notebook template (papermill's injected-parameters cell and error banners not counted), plus
    its ``execution_count`` and ``cell_source``. ``error["cell_index"]`` comes in as papermill's
    index (injected cell counted, banners not yet inserted)."""
    cells = executed.cells
    target = None
    for cell in cells:
        if cell.cell_type == "code" and (
            cell.get("metadata", {}).get("papermill", {}).get("exception")
            or any(o.get("output_type") == "error" for o in cell.get("outputs", []))
        ):
            target = cell
            break
    if target is None:
        hint = error.get("cell_index")
        if hint is None or not 0 <= hint < len(cells):
            return
        target = cells[hint]
    template = [
        c for c in cells
        if not set(c.get("metadata", {}).get("tags", [])) & {INJECTED_TAG, PAPERMILL_ERROR_TAG}
    ]
    for i, cell in enumerate(template):
        if cell is target:
            error["cell_index"] = i
            error["execution_count"] = cell.get("execution_count")
            error["cell_source"] = cell.source
            return


def _error_record(
    exc: BaseException, tracker: _CellTracker, message: str | None, timeout: float | None
) -> dict[str, Any]:
    import traceback

    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    trace: str | None = None
    if isinstance(exc, CellTimeoutError):
        kind, text = "Timeout", f"the run exceeded its time limit of {timeout:g} s; the kernel was stopped"
    elif isinstance(exc, DeadKernelError):
        kind, text = "DeadKernel", "the kernel died while a cell was running (out of memory? a crash?)"
    elif isinstance(exc, KeyboardInterrupt):
        kind, text = "Interrupted", f"the run was stopped before it finished ({exc or 'Ctrl-C'})"
    else:
        kind, text = exc.__class__.__name__, message or str(exc)
        trace = "".join(traceback.format_exception(exc))
    # Messages quote values (a malformed row's contents): e-mails and phones are masked here too,
    # since the record reaches results.json, run.log and the index.
    return {
        "type": kind,
        "message": mask_message(strip_ansi(text)),
        "cell_index": tracker.current,
        "execution_count": None,
        "cell_source": None,
        "traceback": mask_message(trace) if trace else trace,
    }


def _read_recorded(results_file: Path, emit: Callable[[str], None]) -> dict[str, Any]:
    try:
        return read_results_file(results_file)
    except (OSError, ValueError) as exc:
        emit(f"results.json written by the notebook is unreadable ({exc}); keeping runner fields only")
        return {}


# ------------------------------------------------------------------------------------ HTML report


# ------------------------------------------------------------------------------------------ index


# -------------------------------------------------------------------------------------- schedules


# ------------------------------------------------------------------------------ command line (run)


def bundled_notebook(name: str) -> Path:
    """A notebook of the kit: ``notebooks/<name>.ipynb`` in the checkout (installed editable)."""
    path = Path(__file__).resolve().parent.parent / "notebooks" / f"{name}.ipynb"
    if not path.is_file():
        raise NPSInputError("notebook not found (is the package installed from a checkout?)", file=str(path))
    return path


