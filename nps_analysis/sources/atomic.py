"""Writing files atomically: every file the kit writes goes through :func:`atomic_path`.

A reader (a scheduler shipping the run folder, a browser, a spreadsheet) never sees half a file,
and a failed or killed write leaves the previous file, if any, untouched.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is renamed onto ``path`` in one step.

    A reader (a scheduler shipping the run folder, a browser) never sees half a file, and a failed
    or killed write leaves the previous file, if any, untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp" + target.suffix, dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


__all__ = ["atomic_path"]
