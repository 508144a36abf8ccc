"""The code base stays ruff-clean (package, tests, benchmarks, notebooks)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_is_clean():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.fail("ruff is in the test extra but not installed")
    out = subprocess.run(
        [ruff, "check", "nps_analysis", "tests", "benchmarks", "notebooks", "dev.py"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
