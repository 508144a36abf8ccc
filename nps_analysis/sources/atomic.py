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

#: Set to 1 (``nps-analysis run --private``) to write files readable by their owner only.
PRIVATE_ENV = "NPS_ANALYSIS_PRIVATE"
#: File modes: shared (a team drive or web server can serve the reports) or private.
SHARED_MODE = 0o644
PRIVATE_MODE = 0o600


def private() -> bool:
    """Whether files are written for their owner only (``$NPS_ANALYSIS_PRIVATE`` is set)."""
    return os.environ.get(PRIVATE_ENV, "").strip().lower() not in ("", "0", "false", "no")


def file_mode() -> int:
    """The mode of every file the kit writes: ``0644``, or ``0600`` when :func:`private`.

    Temporary files are created ``0600`` (``mkstemp``); the final mode is set before the rename,
    so no reader ever sees a file with the wrong permissions.
    """
    return PRIVATE_MODE if private() else SHARED_MODE


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
        os.chmod(tmp, file_mode())
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


__all__ = ["PRIVATE_ENV", "atomic_path", "file_mode", "private"]
