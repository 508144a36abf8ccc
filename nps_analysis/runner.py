"""Running notebooks as reports: parameter checks, papermill execution, run folders, HTML export.

Every run gets ``<output_dir>/<notebook>/<run_id>/`` with ``executed.ipynb``, ``report.html``,
``results.json``, ``parameters.yaml`` and ``run.log``; ``<output_dir>/index.html`` lists every run.
"""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
import difflib
import html
import io
import logging
import math
import os
import re
import secrets
import socket
import sys
import tempfile
import threading
import time
import tokenize
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import NPSInputError
from .record import RESULTS_ENV, RESULTS_FILE, read_results_file, write_json_atomic

log = logging.getLogger("nps_analysis.runner")

KERNEL_NAME = "python3"
PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"
PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"
RUN_FILES = ("executed.ipynb", "report.html", "results.json", "parameters.yaml", "run.log")
#: The annotations a notebook parameter may use (CONVENTIONS / HELPER_BRIEF), plus ``X | None``.
ALLOWED_ANNOTATIONS = (
    "str", "int", "float", "bool", "list[str]", "list[int]", "list[float]",
    "dict[str, float]", "dict[str, str]", "dict[str, int]", "X | None",
)
_SCALARS = {"str": str, "int": int, "float": float, "bool": bool}
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
_NONE = {"none", "null", "~"}


class ParameterError(NPSInputError):
    """A parameter that the notebook does not declare, or a value of the wrong type."""


# ------------------------------------------------------------------------------ parameter types


@dataclass(frozen=True)
class ParamType:
    """A parsed annotation: ``kind`` is a scalar name, ``"list"``, ``"dict"`` or ``"optional"``."""

    kind: str
    args: tuple[ParamType, ...] = ()

    def __str__(self) -> str:
        if self.kind == "list":
            return f"list[{self.args[0]}]"
        if self.kind == "dict":
            return f"dict[{self.args[0]}, {self.args[1]}]"
        if self.kind == "optional":
            return f"{self.args[0]} | None"
        return self.kind


def parse_annotation(node: ast.expr) -> ParamType:
    """Turn an annotation's AST into a :class:`ParamType`; anything unsupported raises ValueError."""
    if isinstance(node, ast.Name) and node.id in _SCALARS:
        return ParamType(node.id)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return parse_annotation(ast.parse(node.value, mode="eval").body)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        sides = [node.left, node.right]
        nones = [s for s in sides if isinstance(s, ast.Constant) and s.value is None]
        if len(nones) == 1:
            other = sides[0] if sides[1] is nones[0] else sides[1]
            inner = parse_annotation(other)
            if inner.kind == "optional":
                return inner
            return ParamType("optional", (inner,))
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        head = node.value.id
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if head in ("list", "List") and len(items) == 1:
            inner = parse_annotation(items[0])
            if inner.kind in _SCALARS:
                return ParamType("list", (inner,))
        if head in ("dict", "Dict") and len(items) == 2:
            key, value = parse_annotation(items[0]), parse_annotation(items[1])
            if key.kind == "str" and value.kind in _SCALARS:
                return ParamType("dict", (key, value))
        if head == "Optional" and len(items) == 1:
            return ParamType("optional", (parse_annotation(items[0]),))
    raise ValueError(
        f"unsupported annotation {ast.unparse(node)!r}; use one of {', '.join(ALLOWED_ANNOTATIONS)}"
    )


def infer_type(value: Any) -> ParamType:
    """The type of an unannotated parameter, from its default value."""
    if value is None:
        return ParamType("optional", (ParamType("str"),))
    for name, typ in (("bool", bool), ("int", int), ("float", float), ("str", str)):
        if isinstance(value, typ):
            return ParamType(name)
    if isinstance(value, list):
        kinds = {infer_type(v).kind for v in value}
        kind = "str" if not kinds else ("float" if kinds <= {"int", "float"} and "float" in kinds else kinds.pop())
        return ParamType("list", (ParamType(kind if kind in _SCALARS else "str"),))
    if isinstance(value, dict):
        kinds = {infer_type(v).kind for v in value.values()}
        kind = kinds.pop() if len(kinds) == 1 else "str"
        return ParamType("dict", (ParamType("str"), ParamType(kind if kind in _SCALARS else "str")))
    return ParamType("str")


class _Mismatch(Exception):
    """Internal: a value does not fit a type (message says why)."""


def convert_value(value: Any, typ: ParamType) -> Any:
    """Convert ``value`` (a CLI string or a YAML/Python value) to ``typ`` or raise ``_Mismatch``.

    Strings from the command line are parsed: ``"5"`` -> 5.0 for a float, ``"a,b"`` -> ``["a", "b"]``
    for a list, ``"a=0.5,b=0.5"`` or ``"{a: 0.5, b: 0.5}"`` for a dict, ``"none"`` for ``X | None``.
    """
    kind = typ.kind
    if kind == "optional":
        if value is None or (isinstance(value, str) and value.strip().lower() in _NONE):
            return None
        return convert_value(value, typ.args[0])
    if value is None:
        raise _Mismatch("None is not allowed (the type is not optional)")
    if kind == "str":
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise _Mismatch("not a string")
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise _Mismatch("not a boolean (use true/false)")
    if kind == "int":
        if isinstance(value, bool):
            raise _Mismatch("a boolean is not an integer")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
            try:
                as_float = float(value.strip())
            except ValueError:
                raise _Mismatch("not an integer") from None
            if math.isfinite(as_float) and as_float.is_integer():
                return int(as_float)
        raise _Mismatch("not an integer")
    if kind == "float":
        if isinstance(value, bool):
            raise _Mismatch("a boolean is not a number")
        if isinstance(value, (int, float)):
            out = float(value)
        elif isinstance(value, str):
            try:
                out = float(value.strip())
            except ValueError:
                raise _Mismatch("not a number") from None
        else:
            raise _Mismatch("not a number")
        if math.isnan(out):
            raise _Mismatch("NaN is not a usable value")
        return out
    if kind == "list":
        if isinstance(value, str):
            value = _split_list(value)
        if not isinstance(value, (list, tuple)):
            raise _Mismatch("not a list")
        out_list = []
        for i, item in enumerate(value):
            try:
                out_list.append(convert_value(item, typ.args[0]))
            except _Mismatch as exc:
                raise _Mismatch(f"item {i} ({item!r}): {exc}") from None
        return out_list
    if kind == "dict":
        if isinstance(value, str):
            value = _split_dict(value)
        if not isinstance(value, Mapping):
            raise _Mismatch("not a mapping")
        out_dict = {}
        for key, item in value.items():
            try:
                out_dict[convert_value(key, typ.args[0])] = convert_value(item, typ.args[1])
            except _Mismatch as exc:
                raise _Mismatch(f"entry {key!r}: {exc}") from None
        return out_dict
    raise _Mismatch(f"unsupported type {typ}")  # pragma: no cover - parse_annotation guards this


def _split_list(text: str) -> Any:
    text = text.strip()
    if text.startswith("["):
        import yaml

        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise _Mismatch(f"not a list ({exc.__class__.__name__})") from None
    return [part.strip() for part in text.split(",") if part.strip()]


def _split_dict(text: str) -> Any:
    text = text.strip()
    if not text:
        return {}
    if text.startswith("{"):
        import yaml

        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise _Mismatch(f"not a mapping ({exc.__class__.__name__})") from None
    out: dict[str, str] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep:
            key, sep, value = part.partition(":")
        if not sep or not key.strip():
            raise _Mismatch("not a mapping (write key=value,key=value)")
        out[key.strip()] = value.strip()
    return out


# ------------------------------------------------------------------------- parameter introspection


@dataclass(frozen=True)
class Parameter:
    """One line of a notebook's ``parameters`` cell: ``name: type = default  # comment``.

    ``annotation`` is ``None`` when the line has no type (the hygiene test rejects that; the runner
    then infers the type from the default).
    """

    name: str
    annotation: str | None
    type: ParamType
    default: Any
    comment: str
    line: int

    def convert(self, value: Any) -> Any:
        """``value`` converted to the declared type; raises :class:`ParameterError` if it cannot be."""
        try:
            return convert_value(value, self.type)
        except _Mismatch as exc:
            raise ParameterError(
                f"parameter {self.name!r} expects {self.type}, got {value!r} "
                f"({type(value).__name__}): {exc}"
            ) from None


def parameters_cell(nb: Any, *, file: str | None = None) -> tuple[int, Any]:
    """The index and cell of the one code cell tagged ``parameters``; otherwise NPSInputError."""
    found = [
        (i, c)
        for i, c in enumerate(nb.cells)
        if c.get("cell_type") == "code" and PARAMETERS_TAG in c.get("metadata", {}).get("tags", [])
    ]
    if len(found) != 1:
        raise NPSInputError(
            f"a notebook needs exactly one code cell tagged {PARAMETERS_TAG!r}, found {len(found)}",
            file=file,
        )
    return found[0]


def parse_parameters_source(source: str, *, file: str | None = None) -> dict[str, Parameter]:
    """Parse the source of a ``parameters`` cell into ``{name: Parameter}`` (in cell order).

    Only literal defaults are allowed (they are evaluated with ``ast.literal_eval``), so reading a
    notebook's parameters never executes its code.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise NPSInputError(f"the parameters cell is not valid Python: {exc}", file=file) from None
    comments = _line_comments(source)
    params: dict[str, Parameter] = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name, value_node, annotation = node.target.id, node.value, node.annotation
        elif (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            name, value_node, annotation = node.targets[0].id, node.value, None
        else:
            raise NPSInputError(
                f"line {node.lineno} of the parameters cell is not `name: type = value`: "
                f"{ast.get_source_segment(source, node)!r}",
                file=file,
            )
        if value_node is None:
            raise NPSInputError(f"parameter {name!r} has no default value", file=file)
        try:
            default = ast.literal_eval(value_node)
        except ValueError:
            raise NPSInputError(
                f"parameter {name!r}: the default must be a literal, got "
                f"{ast.get_source_segment(source, value_node)!r}",
                file=file,
            ) from None
        if annotation is not None:
            try:
                typ = parse_annotation(annotation)
            except ValueError as exc:
                raise NPSInputError(f"parameter {name!r}: {exc}", file=file) from None
            annotation_text: str | None = ast.unparse(annotation)
        else:
            typ, annotation_text = infer_type(default), None
        params[name] = Parameter(
            name=name,
            annotation=annotation_text,
            type=typ,
            default=default,
            comment=comments.get(node.lineno, ""),
            line=node.lineno,
        )
    return params


def _line_comments(source: str) -> dict[int, str]:
    out: dict[int, str] = {}
    with contextlib.suppress(tokenize.TokenError, IndentationError):
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                out[tok.start[0]] = tok.string.lstrip("#").strip()
    return out


def _read_notebook(notebook: str | os.PathLike[str]) -> Any:
    import nbformat

    path = Path(notebook)
    if not path.is_file():
        raise NPSInputError("notebook not found", file=str(path))
    try:
        return nbformat.read(path, as_version=4)
    except Exception as exc:  # nbformat raises several unrelated types for unreadable files
        raise NPSInputError(f"cannot read the notebook: {exc}", file=str(path)) from None


def notebook_parameters(notebook: str | os.PathLike[str] | Any) -> dict[str, Parameter]:
    """The parameters a notebook declares in its ``parameters`` cell, in order.

    Args:
        notebook: a path to an ``.ipynb`` file or an ``nbformat`` notebook node.
    """
    if isinstance(notebook, (str, os.PathLike)):
        file = str(notebook)
        nb = _read_notebook(notebook)
    else:
        file, nb = None, notebook
    _, cell = parameters_cell(nb, file=file)
    return parse_parameters_source(cell.source, file=file)


def check_parameters(
    declared: Mapping[str, Parameter],
    values: Mapping[str, Any] | None,
    *,
    file: str | None = None,
) -> dict[str, Any]:
    """Check ``values`` against the declared parameters and convert them to the declared types.

    Raises:
        ParameterError: an unknown name (the message lists the known ones and suggests the closest)
            or a value that does not fit its type (the message names the parameter, the expected
            type and the value).
    """
    out: dict[str, Any] = {}
    if values and not declared:
        raise ParameterError(
            f"the notebook declares no parameters (no code cell tagged {PARAMETERS_TAG!r}), "
            f"so {', '.join(map(repr, values))} cannot be set",
            file=file,
        )
    for name, value in (values or {}).items():
        if name not in declared:
            close = difflib.get_close_matches(str(name), list(declared), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ParameterError(
                f"unknown parameter {name!r}{hint}; the known parameters are: {', '.join(declared)}",
                file=file,
            )
        try:
            out[name] = declared[name].convert(value)
        except ParameterError as exc:
            raise ParameterError(str(exc), file=file) from None
    return out


def load_parameters_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a YAML (or JSON) mapping of parameter values, e.g. a run's ``parameters.yaml``."""
    import yaml

    p = Path(path)
    if not p.is_file():
        raise NPSInputError("parameters file not found", file=str(p))
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise NPSInputError(f"not valid YAML: {exc}", file=str(p)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise NPSInputError("a parameters file must hold a mapping name: value", file=str(p))
    return data


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


# ---------------------------------------------------------------------------------------- helpers


def new_run_id(now: dt.datetime | None = None) -> str:
    """A unique, sortable run id: UTC timestamp plus a random suffix, e.g. ``20261122T105700Z-3f9a1c``."""
    now = now or dt.datetime.now(dt.UTC)
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


_RUN_ID_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write text through a temporary file in the same folder and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(t: dt.datetime) -> str:
    return t.isoformat(timespec="seconds").replace("+00:00", "Z")


def _interactive() -> bool:
    """A progress bar only in an interactive terminal; plain log lines in CI and under schedulers."""
    ci = os.environ.get("CI", "").strip().lower()
    if ci and ci not in ("0", "false", "no"):
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


def _kernel_manager_class(env: dict[str, str], cwd: str, stream: Any) -> type:
    """A kernel manager that starts the kernel with the run's environment, working directory and
    stdout/stderr going to ``run.log`` (so kernel warnings do not clutter the terminal)."""
    from jupyter_client.manager import AsyncKernelManager

    class RunKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw: Any) -> None:
            kw.setdefault("env", env)
            kw.setdefault("cwd", cwd)
            kw.setdefault("stdout", stream)
            kw.setdefault("stderr", stream)
            return await super().start_kernel(**kw)

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
        timeout: seconds the whole execution may take (kernel start excluded); ``None`` = no limit.
        run_id: folder name of the run (default: UTC timestamp plus a random suffix). An existing
            folder is never reused.
        progress: a progress bar (True) or one log line per cell (False); default: a bar only in an
            interactive terminal outside CI.
        cwd: the kernel's working directory (default: the current directory), against which
            relative paths in the parameters are resolved.
        kernel_name: the Jupyter kernel (``python3``: the environment's own Python).

    Raises:
        ParameterError / NPSInputError: bad parameters, no parameters cell, a missing notebook or an
            existing run folder; nothing has been executed then.
    """
    nb_path = Path(notebook)
    nb = _read_notebook(nb_path)
    declared = notebook_parameters(nb) if _has_parameters_cell(nb) else {}
    given = check_parameters(declared, parameters, file=str(nb_path))
    if timeout is not None and not (isinstance(timeout, (int, float)) and timeout > 0):
        raise NPSInputError(f"timeout must be a positive number of seconds, got {timeout!r}")
    run_id = run_id or new_run_id()
    if not _RUN_ID_OK.match(run_id):
        raise NPSInputError(f"run id {run_id!r} must be letters, digits, '.', '_' or '-'")
    output_dir = Path(output_dir)
    run_dir = output_dir / nb_path.stem / run_id
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
    started = _now()
    run_meta = {
        "notebook": nb_path.stem,
        "notebook_path": str(nb_path),
        "run_id": run_id,
        "run_dir": str(run_dir),
        "started_at": _iso(started),
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

    log_partial = run_dir / ".run.log.partial"
    t0 = time.monotonic()
    with open(log_partial, "a", encoding="utf-8") as log_stream, _run_logging(log_stream) as emit:
        emit(f"run {run_id} of {nb_path} started; folder {run_dir}")
        emit("parameters given: " + (", ".join(f"{k}={v!r}" for k, v in given.items()) or "none"))
        # The HTML exporter costs ~1 s to import and compile its templates: prepare it on another
        # thread while the kernel works (the main thread only waits for kernel messages).
        prepared: dict[str, Any] = {}
        warmup = threading.Thread(target=_prepare_exporter, args=(prepared,), name="nps-report-warmup", daemon=True)
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
        finished = _now()
        run_meta.update(finished_at=_iso(finished), duration_seconds=round(duration, 3))
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
                    run_dir, title=_report_title(nb_path, nb, started), results=final,
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
        stream.write(f"{_iso(_now())} {message}\n")
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

    def remaining(cell: Any) -> int | None:
        # The limit covers the cells' execution (from the first cell on), not the kernel start.
        if timeout is None:
            return None
        first = tracker.first_started if tracker.first_started is not None else time.monotonic()
        return max(1, math.ceil(first + float(timeout) - time.monotonic()))

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
            kernel_manager_class=_kernel_manager_class(env, str(cwd), log_stream),
            timeout_func=remaining,
            shell_timeout_interval=1,
            # Results are on disk when the last cell returns; a graceful shutdown only adds ~1 s.
            shutdown_kernel="immediate",
            on_cell_start=tracker.start,
            on_cell_executed=tracker.executed,
        )
    except PapermillExecutionError as exc:
        error = {
            "type": exc.ename,
            "message": _strip_ansi(str(exc.evalue)),
            "cell_index": exc.cell_index,
            "execution_count": exc.exec_count,
            "cell_source": exc.source,
            "traceback": _strip_ansi("\n".join(exc.traceback or [])),
        }
    except KeyboardInterrupt as exc:
        interrupted = exc
        error = _error_record(exc, tracker, None, timeout)
    except Exception as exc:  # timeout, dead kernel, missing kernel, ...
        error = _error_record(exc, tracker, None, timeout)
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
    return {
        "type": kind,
        "message": _strip_ansi(text),
        "cell_index": tracker.current,
        "execution_count": None,
        "cell_source": None,
        "traceback": trace,
    }


def _read_recorded(results_file: Path, emit: Callable[[str], None]) -> dict[str, Any]:
    try:
        return read_results_file(results_file)
    except (OSError, ValueError) as exc:
        emit(f"results.json written by the notebook is unreadable ({exc}); keeping runner fields only")
        return {}


# ------------------------------------------------------------------------------------ HTML report

def _report_title(nb_path: Path, nb: Any, started: dt.datetime) -> str:
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


def _fmt_param(value: Any) -> str:
    if isinstance(value, str):
        return repr(value) if value == "" else value
    return repr(value)


def _run_header_html(results: Mapping[str, Any]) -> str:
    run = results.get("run", {})
    status = results.get("status", "?")
    rows = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_fmt_param(v))}</td></tr>"
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
                    text = html.escape(f"{o.get('ename', 'Error')}: {_strip_ansi(str(o.get('evalue', '')))}")
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


def _prepare_exporter(holder: dict[str, Any]) -> None:
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


# ------------------------------------------------------------------------------------------ index


def _headline(results: Mapping[str, Any]) -> list[str]:
    """Headline numbers of a run for the index, one item per line: the notebook's ``headline``
    record if any (a string or a mapping label -> text), else its top-level scalar numbers; for a
    failed run, the error."""
    if results.get("status") == "failed":
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
        given = "<br>".join(html.escape(f"{k}: {_fmt_param(v)}") for k, v in r["given"].items())
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
 tr.ok td.st {{ color: #2e7d32; font-weight: 600; }}
 tr.running td.st {{ color: #b26a00; font-weight: 600; }}
 code {{ font-size: 12px; }}
 .nw {{ white-space: nowrap; }}
</style></head><body>
<h1>NPS reports</h1>
<p>{len(runs)} run(s), {failed} failed. Newest first. Updated {html.escape(_iso(_now()))}.</p>
<table><thead><tr><th>started (UTC)</th><th>notebook</th><th>run</th><th>status</th><th>time</th>
<th>parameters given</th><th>headline</th><th>files</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table></body></html>
"""
    target = root / "index.html"
    write_text_atomic(target, page)
    return target


# -------------------------------------------------------------------------------------- schedules

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
    import yaml

    path = Path(schedule)
    if not path.is_file():
        raise NPSInputError("schedule file not found", file=str(path))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise NPSInputError(f"not valid YAML: {exc}", file=str(path)) from None
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

    All parameters are checked before the first run starts. A failing run does not stop the
    others; the result lists the failures (``summary()``) and ``exit_code`` is 1 if any failed.
    Relative paths in the schedule (notebooks, ``output_dir``, and data paths read by the kernel)
    are relative to the schedule file's folder.
    """
    planned, default_out, base = plan_schedule(schedule)
    out = Path(output_dir) if output_dir is not None else default_out
    runs = []
    for i, p in enumerate(planned, 1):
        log.info("schedule run %d/%d: %s %s", i, len(planned), p.notebook.name, p.parameters or "")
        runs.append(
            run_notebook(p.notebook, p.parameters, output_dir=out, timeout=p.timeout, progress=progress, cwd=base)
        )
    result = ScheduleResult(runs)
    log.info("%s", result.summary())
    return result


# ------------------------------------------------------------------------------ command line (run)


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


def bundled_notebook(name: str) -> Path:
    """A notebook of the kit: ``notebooks/<name>.ipynb`` in the checkout (installed editable)."""
    path = Path(__file__).resolve().parent.parent / "notebooks" / f"{name}.ipynb"
    if not path.is_file():
        raise NPSInputError("notebook not found (is the package installed from a checkout?)", file=str(path))
    return path


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
