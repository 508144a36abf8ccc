"""The package layout follows the data path: imports point one way, no circles, no private reach-ins.

Layers, lowest first: ``sources`` (and ``samples``) -> ``stats`` -> ``analyses`` -> ``report`` ->
``cli``. A module may import its own layer and lower ones; nothing outside ``cli`` imports ``cli``;
no module imports another module's underscore names; no module is over 900 lines
(docs/architecture.md). The rules are read from the source with ``ast``: function-level imports
count too, so they hold for lazy imports as well; imports under ``if TYPE_CHECKING:`` do not (they
never run).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "nps_analysis"
LAYERS = {"sources": 0, "samples": 0, "stats": 1, "analyses": 2, "report": 3, "cli": 4}
MAX_LINES = 900


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def layer_of(module: str) -> int | None:
    """The layer of a module; None for the package root (``__init__``, ``__main__``), which may
    import anything (it is the flat public API)."""
    parts = module.split(".")
    if len(parts) < 2 or parts[1] in ("__main__",):
        return None
    return LAYERS.get(parts[1])


def package_imports(path: Path, package: Path = PACKAGE) -> list[tuple[int, str, list[str]]]:
    """``(line, imported module, imported names)`` for every import of the package in ``path``."""
    name = module_name(path, package)
    is_pkg = path.name == "__init__.py"
    tree = ast.parse(path.read_text())
    root = package.name
    out = []
    typing_only = {
        id(n)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for n in ast.walk(block)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:  # annotations only, never imported at run time
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == root or target.startswith(root + "."):
                names = [a.name for a in node.names]
                # "from . import engines" imports a module: count it as that module
                modules = {module_name(p, package) for p in package.rglob("*.py")}
                subs = [n for n in names if f"{target}.{n}" in modules]
                if subs:
                    out += [(node.lineno, f"{target}.{n}", []) for n in subs]
                    names = [n for n in names if n not in subs]
                if names:
                    out.append((node.lineno, target, names))
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name == root or a.name.startswith(root + "."):
                    out.append((node.lineno, a.name, []))
    return out


def layout_problems(package: Path = PACKAGE) -> list[str]:
    """Every breach of the layout rules in ``package`` (empty when the layout holds)."""
    problems = []
    graph: dict[str, set[str]] = {}
    for path in sorted(package.rglob("*.py")):
        name = module_name(path, package)
        lines = len(path.read_text().splitlines())
        if lines > MAX_LINES:
            problems.append(f"{name}: {lines} lines (more than {MAX_LINES}: split it by job)")
        mine = layer_of(name)
        for line, target, names in package_imports(path, package):
            graph.setdefault(name, set()).add(target)
            theirs = layer_of(target)
            where = f"{name}:{line} imports {target}"
            if target.split(".")[1:2] == ["cli"] and name.split(".")[1:2] != ["cli"] and mine is not None:
                problems.append(f"{where}: only cli imports cli")
            elif mine is not None and theirs is not None and theirs > mine:
                problems.append(f"{where}: a lower layer imports a higher one")
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private:
                problems.append(f"{where}: private name(s) {private}")
    # Circles between modules (a module that is a package's __init__ is not counted as its parent).
    seen: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        seen[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt == node or layer_of(nxt) is None:
                continue
            if seen.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                problems.append("import circle: " + " -> ".join(cycle))
            elif nxt not in seen:
                visit(nxt)
        stack.pop()
        seen[node] = 2

    for node in sorted(graph):
        if node not in seen:
            visit(node)
    # Circles between layers follow from the one-way rule; between subpackages of one layer:
    sub = {(a.split(".")[1], b.split(".")[1]) for a, bs in graph.items() for b in bs
           if len(a.split(".")) > 1 and len(b.split(".")) > 1 and a.split(".")[1] != b.split(".")[1]}
    for a, b in sub:
        if (b, a) in sub and a < b:
            problems.append(f"subpackages {a} and {b} import each other")
    return problems


def test_the_package_follows_the_layer_rules():
    assert layout_problems() == []


def test_every_module_belongs_to_a_layer():
    for path in PACKAGE.rglob("*.py"):
        name = module_name(path)
        if name.count(".") >= 1 and name.split(".")[1] not in ("__main__",):
            assert layer_of(name) is not None, f"{name} is in no layer: put it in one of {sorted(LAYERS)}"


def _fake_package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "nps_analysis"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # a statistics module reaching up into the analyses layer
        ({"stats/__init__.py": "", "stats/x.py": "from ..analyses.y import f\n",
          "analyses/__init__.py": "", "analyses/y.py": "def f(): pass\n"}, "a lower layer imports a higher one"),
        # a lazy (function-level) back-import counts too
        ({"sources/__init__.py": "", "sources/a.py": "def g():\n    from ..report import r\n",
          "report/__init__.py": "", "report/r.py": ""}, "a lower layer imports a higher one"),
        ({"report/__init__.py": "", "report/r.py": "from ..cli import main\n", "cli/__init__.py": "def main(): pass\n"},
         "only cli imports cli"),
        ({"stats/__init__.py": "", "stats/a.py": "from .b import _helper\n", "stats/b.py": "def _helper(): pass\n"},
         "private name"),
        ({"stats/__init__.py": "", "stats/a.py": "from .b import f\ndef g(): pass\n",
          "stats/b.py": "def f():\n    from .a import g\n"}, "import circle"),
        ({"stats/__init__.py": "", "stats/big.py": "x = 1\n" * 901}, "more than 900"),
    ],
)
def test_the_layout_check_catches_a_breach(tmp_path, files, expected):
    problems = layout_problems(_fake_package(tmp_path, files))
    assert any(expected in p for p in problems), problems


def _layers_visited(call) -> list[str]:
    """The package layers whose functions run during ``call()``, in order, repeats collapsed.

    ``cli`` is where the command starts and ends; ``sources.errors`` and ``sources.results`` (the
    error type and the result base class every layer uses) are not counted as visits.
    """
    import sys

    seen: list[str] = []

    def profile(frame, event, arg):
        if event != "call":
            return
        name = frame.f_globals.get("__name__", "")
        if not name.startswith("nps_analysis.") or name in ("nps_analysis.sources.errors", "nps_analysis.sources.results"):
            return
        layer = name.split(".")[1]
        if layer != "cli" and (not seen or seen[-1] != layer):
            seen.append(layer)

    sys.setprofile(profile)
    try:
        call()
    finally:
        sys.setprofile(None)
    return seen


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_the_score_command_goes_down_the_layers_without_coming_back(engine, capsys):
    import nps_analysis.sources.bigfile  # noqa: F401 - imported before tracing, as the CLI has it
    from nps_analysis.cli import main
    from nps_analysis.samples import sample_path

    path = str(sample_path("experiment"))
    args = ["score", path, "--score", "score", "--by", "arm", "--format", "json", "--engine", engine]
    main(args)  # warm up: imports and first-call caches are not part of the path
    capsys.readouterr()
    visited = _layers_visited(lambda: main(args))
    assert '"nps"' in capsys.readouterr().out
    assert visited == ["sources", "stats"], visited
