"""System tools some tests need (Java for Spark, Chromium for the browser checks): skip or fail.

`python3 dev.py test` installs them as root on Debian; when it cannot, it records why (in the
environment variable NPS_SYSTEM_MISSING and in .venv/.nps-system-missing.json) and the tests that
need the tool are skipped with that reason. Under ``CI=true`` they fail instead: CI must run them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

MISSING_ENV = "NPS_SYSTEM_MISSING"
MISSING_FILE = Path(__file__).resolve().parent.parent / ".venv" / ".nps-system-missing.json"


def in_ci() -> bool:
    """``CI=true`` (or 1/yes), as CI services and the project's .ci/run set it."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def recorded_reason(tool: str) -> str | None:
    """Why dev.py could not install ``tool`` (``java`` or ``chromium``), if it said so."""
    for source in (os.environ.get(MISSING_ENV), _read(MISSING_FILE)):
        if not source:
            continue
        try:
            reasons = json.loads(source)
        except ValueError:
            continue
        if isinstance(reasons, dict) and reasons.get(tool):
            return str(reasons[tool])
    return None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def missing_tool(tool: str, problem: str, *, install: str) -> None:
    """Skip the test (fail under CI=true) because ``tool`` is missing: ``problem`` says what is
    missing, ``install`` how to get it; dev.py's reason, when recorded, is added."""
    reason = recorded_reason(tool)
    message = f"{problem}: {reason}" if reason else f"{problem} ({install})"
    if in_ci():
        pytest.fail(f"{message}; CI=true requires it")
    pytest.skip(message)
