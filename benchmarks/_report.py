"""Shared helper for benchmark scripts: write one named section of a Markdown report.

Each script owns the block between ``<!-- BEGIN name -->`` and ``<!-- END name -->`` in a shared
file such as ``docs/validation.md``; rewriting it leaves every other section untouched.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

DEFAULT_TITLE = "# Validation\n\nNumbers below are written by the scripts in `benchmarks/`; rerun a script to refresh its section.\n"


def write_section(path: str | os.PathLike[str], name: str, markdown: str) -> Path:
    """Replace the block marked ``name`` in ``path`` with ``markdown`` (append it if absent).

    The file is created (with a short title) if it does not exist, and written atomically so a
    crashed run never leaves half a report.
    """
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ValueError(f"section name must be letters, digits, '_', '.', '-', got {name!r}")
    path = Path(path)
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    block = f"{begin}\n{markdown.strip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else DEFAULT_TITLE
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), flags=re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)
    return path


def markdown_table(header: list[str], rows: list[list[object]]) -> str:
    """A GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
