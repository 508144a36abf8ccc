"""Every code block in README.md runs, on the bundled samples (issue 13).

Python blocks are executed one by one, each in a fresh namespace, in a temporary folder holding a
copy of ``data/`` and ``notebooks/`` (so nothing is written into the checkout). Bash blocks are run
line by line: ``nps-analysis ...`` through the CLI's ``main`` in-process (exit code 0 expected);
``python3 dev.py TASK`` checks that ``TASK`` is one of dev.py's tasks and, for ``sample``, runs the
main job it starts (``nps-analysis sample``) — ``dev.py test`` is this test suite itself.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.notebook

FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


NOT_RUN = re.compile(r"<!-- not run: (.*?) -->\n$")


def blocks() -> list[tuple[str, str, int]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        line = text[: m.start()].count("\n") + 1
        out.append((m.group(1), m.group(2), line))
    return out


def not_run_reason(line: int) -> str | None:
    """The reason written in a ``<!-- not run: ... -->`` line right above a block, if any."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    above = lines[line - 2] if line >= 2 else ""
    m = NOT_RUN.match(above + "\n")
    return m.group(1) if m else None


def _commands(bash: str) -> list[str]:
    """Logical lines of a bash block: continuations joined, comments and blanks dropped."""
    joined = re.sub(r"\\\n\s*", " ", bash)
    lines = []
    for raw in joined.splitlines():
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if line:
            lines.append(line)
    return lines


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "data", tmp_path / "data")
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.delenv("NPS_ANALYSIS_RESULTS", raising=False)
    yield tmp_path
    os.environ.pop("NPS_ANALYSIS_RESULTS", None)


def test_the_readme_has_code_blocks_of_known_languages():
    found = blocks()
    assert len(found) >= 10
    assert {lang for lang, _, _ in found} <= {"python", "bash"}


@pytest.mark.parametrize(("lang", "code", "line"), blocks(), ids=[f"line{n}" for _, _, n in blocks()])
def test_readme_block_runs(workdir, lang, code, line):
    reason = not_run_reason(line)
    if reason:  # marked in README.md itself, so a reader sees which examples are not run
        pytest.skip(f"README.md:{line} is marked not run: {reason}")
    if lang == "python":
        namespace: dict[str, object] = {"__name__": "__readme__"}
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(code, f"README.md:{line}", "exec"), namespace)  # noqa: S102 - our own README
        return
    from nps_analysis.cli import main

    for command in _commands(code):
        argv = shlex.split(command)
        if argv[:2] == ["python3", "dev.py"]:
            import importlib.util

            spec = importlib.util.spec_from_file_location("dev", ROOT / "dev.py")
            dev = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(dev)  # type: ignore[union-attr]
            assert argv[2] in dev.EXTRAS, f"README.md:{line}: dev.py has no task {argv[2]!r}"
            if argv[2] == "sample":  # what `dev.py sample` runs once the environment exists
                with contextlib.redirect_stdout(io.StringIO()):
                    assert main(["sample"]) == 0, command
            continue
        assert argv[0] == "nps-analysis", f"README.md:{line}: not a kit command: {command}"
        with contextlib.redirect_stdout(io.StringIO()) as out:
            code_ = main(argv[1:])
        assert code_ == 0, f"README.md:{line}: {command} exited {code_}\n{out.getvalue()[-2000:]}"
