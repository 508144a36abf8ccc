"""``nps-analysis run``: run a notebook or a schedule as reports, and the bundled sample report.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..report.parameters import load_parameters_file, notebook_parameters
from ..report.runner import bundled_notebook, run_notebook
from ..report.schedule import plan_schedule, run_schedule
from ..sources.errors import NPSInputError


def add_run_parser(subparsers: Any) -> Any:
    """Register ``nps-analysis run`` on an argparse subparsers object; the handler is
    ``args.func(args)`` (also available as :func:`run_command`)."""
    p = subparsers.add_parser(
        "run",
        help="run a notebook as a report (papermill): run folder, report.html, results.json",
        description=(
            "Run a notebook with parameters. Each run gets <output-dir>/<notebook>/<run_id>/ with "
            "executed.ipynb, report.html, results.json, parameters.yaml and run.log; "
            "<output-dir>/index.html lists every run. Exit code 0 ok, 1 a run failed, "
            "2 bad usage or parameters (nothing was run)."
        ),
    )
    p.add_argument("notebook", nargs="?", help="the notebook (.ipynb) to run")
    p.add_argument(
        "-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
        help="set a parameter (converted to the type declared in the notebook); repeatable",
    )
    p.add_argument("-f", "--parameters-file", metavar="YAML", help="parameters from a YAML mapping (-p wins)")
    p.add_argument("--output-dir", default=None, help="reports folder (default: reports)")
    p.add_argument("--timeout", type=float, default=None, metavar="S", help="seconds the run may take")
    p.add_argument("--run-id", default=None, help="name of the run folder (default: UTC time + random suffix)")
    p.add_argument("--schedule", metavar="YAML", help="run every notebook/parameter set of a schedule file")
    bar = p.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None, help="force a progress bar")
    bar.add_argument("--no-progress", dest="progress", action="store_false", help="plain log lines")
    p.add_argument("--list-parameters", action="store_true", help="print the notebook's parameters and exit")
    p.set_defaults(func=run_command, handler=run_command)
    return p


def _setup_cli_logging() -> None:
    """Log lines on stderr, unless the caller (``cli.main``) configured logging already."""
    if logging.getLogger().handlers:
        return
    logger = logging.getLogger("nps_analysis")
    if not any(getattr(h, "_nps_cli", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
        handler._nps_cli = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > logging.INFO:
        logger.setLevel(logging.INFO)


def run_command(args: Any) -> int:
    """Handler of ``nps-analysis run``: 0 ok, 1 a run failed, 2 bad usage or parameters.

    SIGTERM (a scheduler stopping the task) is handled like Ctrl-C: the running notebook's folder
    gets ``status: "failed"`` with the error "interrupted" before the process exits (130).
    """
    with _sigterm_as_interrupt():
        try:
            return _run_command(args)
        except (NPSInputError, ValueError, FileNotFoundError) as exc:
            sys.stderr.write(f"nps-analysis run: error: {exc}\n")
            return 2
        except KeyboardInterrupt:
            sys.stderr.write("nps-analysis run: interrupted; the run was recorded as failed\n")
            return 130


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    import signal

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"{signal.Signals(signum).name}, signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_command(args: Any) -> int:
    _setup_cli_logging()
    if args.schedule:
        if args.notebook or args.parameter or args.parameters_file or args.run_id or args.list_parameters:
            raise NPSInputError("--schedule takes no notebook, -p, -f, --run-id or --list-parameters")
        if args.timeout is not None:
            raise NPSInputError("set timeouts inside the schedule file (timeout: S)")
        result = run_schedule(args.schedule, output_dir=args.output_dir, progress=args.progress)
        sys.stdout.write(result.summary() + "\n")
        index = Path(args.output_dir) if args.output_dir else plan_schedule(args.schedule)[1]
        sys.stdout.write(f"index: {index / 'index.html'}\n")
        return result.exit_code
    if not args.notebook:
        raise NPSInputError("give a NOTEBOOK to run, or --schedule schedule.yaml")
    if args.list_parameters:
        for param in notebook_parameters(args.notebook).values():
            sys.stdout.write(
                f"{param.name}: {param.type} = {param.default!r}" + (f"  # {param.comment}" if param.comment else "") + "\n"
            )
        return 0
    values: dict[str, Any] = {}
    if args.parameters_file:
        values.update(load_parameters_file(args.parameters_file))
    for name, value in args.parameter:
        values[name] = value
    output_dir = args.output_dir or "reports"
    result = run_notebook(
        args.notebook, values, output_dir=output_dir, timeout=args.timeout, run_id=args.run_id, progress=args.progress
    )
    if result.ok:
        sys.stdout.write(f"ok: {result.notebook.name} ran in {result.duration:.1f} s\n")
    else:
        sys.stdout.write(f"FAILED: {result.notebook.name}: {result.error}\n")
    sys.stdout.write(f"report: {result.report}\nresults: {result.results_path}\n")
    sys.stdout.write(f"index: {Path(output_dir) / 'index.html'}\n")
    return result.exit_code


def sample_report(output_dir: str | os.PathLike[str] = "reports") -> int:
    """The main job's report: run ``notebooks/experiment.ipynb`` on the bundled sample and print
    where the HTML report is. Returns the exit code (0 ok, 1 failed)."""
    _setup_cli_logging()
    with _sigterm_as_interrupt():
        result = run_notebook(bundled_notebook("experiment"), output_dir=output_dir)
    status = "ok" if result.ok else f"FAILED ({result.error})"
    sys.stdout.write(
        f"Experiment report on the bundled sample: {status}, {result.duration:.1f} s\n"
        f"HTML report: {result.report.resolve()}\n"
        f"results:     {result.results_path.resolve()}\n"
        f"all runs:    {(Path(output_dir) / 'index.html').resolve()}\n"
    )
    return result.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    """The ``run`` command on its own parser (``nps-analysis run`` goes through ``cli.py``)."""
    import argparse

    parser = argparse.ArgumentParser(prog="nps-analysis")
    sub = parser.add_subparsers(dest="command", required=True)
    add_run_parser(sub)
    args = parser.parse_args(list(argv) if argv is not None else None)
    return args.func(args)
