#!/usr/bin/env python3
"""Set-up and task runner that needs nothing but python3.

    python3 dev.py sample   # create/update .venv, run the main job on the bundled sample data
    python3 dev.py test     # create/update .venv, run the whole test suite

Each command creates the virtual environment in ``.venv`` on first use and reinstalls the package
(editable, with its ``test``, ``lab`` and ``scale`` extras) whenever ``pyproject.toml`` changes, so both are
safe to repeat. Extra arguments after ``test`` go to pytest.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".nps-analysis-installed"


def log(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def run(*cmd: str | os.PathLike[str], check: bool = True) -> int:
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, check=check).returncode


def ensure_env() -> None:
    """Create .venv if needed and (re)install the package when pyproject.toml changed."""
    if not PY.exists():
        log(f"creating virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True, clear=VENV.exists()).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    log("installing nps_analysis and its dependencies (first run takes a few minutes)")
    run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PY, "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test,lab,scale]")
    # The notebooks run on the kernel named python3, which must be this environment's Python.
    run(PY, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3",
        "--display-name", "Python 3 (nps_analysis)")
    STAMP.write_text(wanted)


def ensure_system_packages() -> None:
    """What the tests need from Debian: Java for PySpark, headless Chromium and its driver."""
    import shutil

    wanted = []
    if not shutil.which("java"):
        wanted.append("openjdk-17-jre-headless")
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        wanted += ["chromium", "chromium-driver"]
    if not wanted:
        return
    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("apt-get"):
        log(f"missing {', '.join(wanted)} and cannot install them here: the Spark and browser tests "
            "will fail (install Java 17+, Debian's chromium and chromium-driver)")
        return
    log(f"installing Debian packages for the tests: {' '.join(wanted)}")
    quiet = {"stdout": subprocess.DEVNULL}
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=False, env=env, **quiet)
    subprocess.run(["apt-get", "install", "-y", "-q", *wanted], check=True, env=env, **quiet)


def env_vars() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(VENV)
    env.setdefault("MPLBACKEND", "Agg")
    env.pop("PYTHONPATH", None)
    # Kernels found by jupyter/papermill: this environment's first.
    env["JUPYTER_PATH"] = str(VENV / "share" / "jupyter")
    return env


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"sample", "test"}:
        print(__doc__)
        return 2
    ensure_env()
    task, rest = argv[0], argv[1:]
    if task == "sample":
        cmd = [str(BIN / "nps-analysis"), "sample", *rest]
    else:
        ensure_system_packages()
        cmd = [str(PY), "-m", "pytest", *rest]
    log(" ".join(cmd))
    return subprocess.run(cmd, cwd=ROOT, env=env_vars()).returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
