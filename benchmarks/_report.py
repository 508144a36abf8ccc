"""Helpers for benchmark scripts: machine description and marked sections in shared docs.

``write_section(path, name, markdown)`` replaces the block between ``<!-- BEGIN name -->`` and
``<!-- END name -->`` in a Markdown file, or appends it, so several scripts can share one file.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import re
from pathlib import Path


def write_section(path: str | os.PathLike[str], name: str, markdown: str) -> None:
    """Put ``markdown`` between the markers for ``name`` in ``path`` (created if absent)."""
    target = Path(path)
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    block = f"{begin}\n{markdown.strip()}\n{end}"
    text = target.read_text(encoding="utf-8") if target.exists() else ""
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = (text.rstrip() + "\n\n" if text.strip() else "") + block + "\n"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)


def machine() -> str:
    """One line naming the machine, the CPU count, the memory and the date of the run."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import psutil

        mem = f"{psutil.virtual_memory().total / 2**30:.0f} GiB RAM"
    except ImportError:
        mem = "RAM unknown"
    today = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores, {mem}, Python {platform.python_version()}; {today}"
