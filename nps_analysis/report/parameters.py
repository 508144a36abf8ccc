"""Notebook parameters: the typed ``parameters`` cell parsed, values converted and checked
before a kernel starts.
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import io
import math
import os
import tokenize
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..sources.errors import NPSInputError

PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"


#: The annotations a notebook parameter may use (CONVENTIONS / HELPER_BRIEF), plus ``X | None``.
ALLOWED_ANNOTATIONS = (
    "str", "int", "float", "bool", "list[str]", "list[int]", "list[float]",
    "dict[str, float]", "dict[str, str]", "dict[str, int]", "X | None",
)
_SCALARS = {"str": str, "int": int, "float": float, "bool": bool}
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
_NONE = {"none", "null", "~"}

#: Largest parameter value accepted (characters of text plus items of lists and mappings): a
#: parameter names a file, a column or a threshold; bulk data belongs in files.
MAX_PARAMETER_SIZE = 100_000
#: Largest YAML text read (a parameters or schedule file, a list or mapping given with -p).
MAX_YAML_CHARS = 1_000_000
#: Nodes a YAML document may expand to once its aliases (``*name``) are followed: nested aliases
#: grow exponentially when a value is walked or printed ("billion laughs"), so the expansion is
#: computed on the parsed node graph (linear time) and refused beyond this bound.
MAX_YAML_NODES = 1_000_000


def safe_yaml_load(text: str, *, what: str = "YAML") -> Any:
    """``yaml.safe_load`` with bounds: at most :data:`MAX_YAML_CHARS` characters, and a document
    whose aliases expand to at most :data:`MAX_YAML_NODES` nodes, so a small file cannot expand
    into gigabytes when it is used or shown.

    Raises:
        NPSInputError: the text is too long, expands too far, or is not valid YAML.
    """
    import yaml

    if len(text) > MAX_YAML_CHARS:
        raise NPSInputError(f"{what} is {len(text):,} characters long; at most {MAX_YAML_CHARS:,} are accepted")
    if "\x00" in text:
        raise NPSInputError(f"{what} contains a NUL character")

    def expanded(node: Any, memo: dict[int, int]) -> int:
        # Nodes reached through aliases are shared objects: count each object's expansion once.
        key = id(node)
        if key in memo:
            return memo[key]
        memo[key] = 1  # a node that refers to itself counts once (no recursion)
        size = 1
        if isinstance(node, yaml.SequenceNode):
            size += sum(expanded(child, memo) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            size += sum(expanded(k, memo) + expanded(v, memo) for k, v in node.value)
        memo[key] = size
        return size

    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            size = expanded(node, {})
            if size > MAX_YAML_NODES:
                raise NPSInputError(
                    f"{what} expands to {size:,} values through YAML aliases (*name); at most "
                    f"{MAX_YAML_NODES:,} are accepted: write the values out"
                )
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split())[:300]
        raise NPSInputError(f"{what} is not valid YAML: {detail}") from None


def value_size(value: Any, limit: int = MAX_PARAMETER_SIZE) -> int:
    """Characters of text plus items of containers in ``value``, counted up to ``limit`` + 1 (the
    walk stops there, so a value built from shared references cannot make it slow)."""
    total = 0
    stack = [value]
    while stack and total <= limit:
        item = stack.pop()
        total += 1
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set)):
            stack.extend(item)
    return total


def short_repr(value: Any, limit: int = 120) -> str:
    """A value as it appears in error messages: its repr, cut to ``limit`` characters."""
    if value_size(value, 4 * limit) > 4 * limit:
        return f"<a {type(value).__name__} too large to show>"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ParameterError(NPSInputError):
    """A parameter that the notebook does not declare, or a value of the wrong type."""


@dataclass(frozen=True)
class ParamType:
    """A parsed annotation: ``kind`` is a scalar name, ``"list"``, ``"dict"`` or ``"optional"``."""

    kind: str
    args: tuple[ParamType, ...] = ()
    #: a float parameter whose default is infinite accepts infinity; others refuse it
    allow_infinite: bool = field(default=False, compare=False)

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
        inner = typ.args[0]
        if typ.allow_infinite:
            inner = ParamType(inner.kind, inner.args, allow_infinite=True)
        return convert_value(value, inner)
    if value is None:
        raise _Mismatch("None is not allowed (the type is not optional)")
    if kind == "str":
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:  # undecodable bytes from the command line (surrogates)
                raise _Mismatch("not valid UTF-8 text") from None
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
        if math.isinf(out) and not typ.allow_infinite:
            raise _Mismatch("not a finite number")
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
        try:
            return safe_yaml_load(text, what="the list")
        except NPSInputError as exc:
            raise _Mismatch(f"not a list ({exc})") from None
    return [part.strip() for part in text.split(",") if part.strip()]


def _split_dict(text: str) -> Any:
    text = text.strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            return safe_yaml_load(text, what="the mapping")
        except NPSInputError as exc:
            raise _Mismatch(f"not a mapping ({exc})") from None
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
        """``value`` converted to the declared type; raises :class:`ParameterError` if it cannot be.

        Values larger than :data:`MAX_PARAMETER_SIZE` are refused before they are converted, and
        a float parameter accepts infinity only when its default is infinite.
        """
        size = value_size(value)
        if size > MAX_PARAMETER_SIZE:
            raise ParameterError(
                f"parameter {self.name!r} is larger than {MAX_PARAMETER_SIZE:,} characters and items; "
                "pass bulk data as a file"
            )
        typ = self.type
        if isinstance(self.default, float) and math.isinf(self.default):
            typ = ParamType(typ.kind, typ.args, allow_infinite=True)
        try:
            return convert_value(value, typ)
        except _Mismatch as exc:
            raise ParameterError(
                f"parameter {self.name!r} expects {self.type}, got {short_repr(value)} "
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


def read_notebook(notebook: str | os.PathLike[str]) -> Any:
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
        nb = read_notebook(notebook)
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

    p = Path(path)
    if not p.is_file():
        raise NPSInputError("parameters file not found (or not a regular file)", file=str(p))
    if p.stat().st_size > MAX_YAML_CHARS * 4:
        raise NPSInputError(f"the parameters file is larger than {MAX_YAML_CHARS:,} characters", file=str(p))
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise NPSInputError("the parameters file is not UTF-8 text", file=str(p)) from None
    try:
        data = safe_yaml_load(text, what="the parameters file")
    except NPSInputError as exc:
        raise NPSInputError(str(exc), file=str(p)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise NPSInputError("a parameters file must hold a mapping name: value", file=str(p))
    return data
