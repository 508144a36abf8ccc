"""Write one benchmark's section of a shared Markdown file (``docs/validation.md``).

Each benchmark owns the block between ``<!-- BEGIN name -->`` and ``<!-- END name -->``; writing
replaces that block, or appends it when it is not there yet, and leaves every other section alone.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

HEADER = "# Validation\n\nMeasured by the scripts in `benchmarks/`; each section is rewritten by its script.\n"


def write_section(path: str | os.PathLike[str], name: str, markdown: str) -> Path:
    """Replace (or append) the block of ``name`` in ``path`` with ``markdown``; returns the path."""
    path = Path(path)
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    block = f"{begin}\n{markdown.strip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)
    return path
