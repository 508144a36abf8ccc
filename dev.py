#!/usr/bin/env python3
"""Set-up and task runner that needs nothing but python3.

    python3 dev.py sample   # create/update .venv with the core and JupyterLab, run the main job
    python3 dev.py test     # add the test and scale extras (and Java, Chromium), run the test suite

Each command creates the virtual environment in ``.venv`` on first use and installs what its task
needs: ``sample`` the package with its ``lab`` extra only, ``test`` also the ``test`` and ``scale``
extras and, as root on Debian, Java (for Spark) and Chromium (for the report checks). It reinstalls
whenever ``pyproject.toml`` changes, so both are safe to repeat. Extra arguments after ``test`` go
to pytest. When a Debian package cannot be installed (not root, no apt-get, the package lock held
for 5 minutes, apt-get failing), dev.py says which and why, and the tests that need it are skipped
with that reason; under ``CI=true`` they fail instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".nps-analysis-installed"
#: Where the reasons for missing system packages are kept for the tests (tests/system_deps.py).
MISSING_FILE = VENV / ".nps-system-missing.json"
MISSING_ENV = "NPS_SYSTEM_MISSING"
#: The extras each task installs: the main job needs the core and JupyterLab only.
EXTRAS: dict[str, tuple[str, ...]] = {"sample": ("lab",), "test": ("lab", "scale", "test")}
#: Debian packages the tests need, by the tool the tests look for.
SYSTEM_PACKAGES: dict[str, tuple[str, ...]] = {
    "java": ("openjdk-17-jre-headless",),
    "chromium": ("chromium", "chromium-driver"),
}
WHAT_NEEDS: dict[str, str] = {"java": "the Spark tests", "chromium": "the browser (report) tests"}
#: Files apt and dpkg lock while they work; another apt (unattended upgrades) may hold them.
APT_LOCKS = (
    Path("/var/lib/dpkg/lock-frontend"),
    Path("/var/lib/dpkg/lock"),
    Path("/var/lib/apt/lists/lock"),
    Path("/var/cache/apt/archives/lock"),
)
LOCK_WAIT_SECONDS = 300.0


def log(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def run(*cmd: str | os.PathLike[str], check: bool = True) -> int:
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, check=check).returncode


# ------------------------------------------------------------------------------ Python packages


def installed_state() -> dict[str, object]:
    """What the last install put into .venv: ``{"pyproject": sha256, "extras": [...]}`` or ``{}``."""
    if not STAMP.exists():
        return {}
    text = STAMP.read_text().strip()
    try:
        state = json.loads(text)
    except ValueError:
        # Stamps written before extras were per task hold the bare hash of a full install.
        return {"pyproject": text, "extras": sorted(EXTRAS["test"])}
    return state if isinstance(state, dict) else {}


def needs_install(task: str, pyproject_hash: str, state: dict[str, object]) -> tuple[str, ...] | None:
    """The extras to install for ``task``, or ``None`` when .venv already has them.

    Extras installed earlier are kept (``sample`` after ``test`` installs nothing new).
    """
    wanted = set(EXTRAS[task])
    have = set(state.get("extras", ()) or ()) if state.get("pyproject") == pyproject_hash else set()
    if state.get("pyproject") == pyproject_hash and wanted <= have:
        return None
    return tuple(sorted(wanted | have))


def ensure_env(task: str) -> None:
    """Create .venv if needed and install the extras ``task`` needs when they are not there yet."""
    if not PY.exists():
        log(f"creating virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True, clear=VENV.exists()).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    extras = needs_install(task, wanted, installed_state())
    if extras is None:
        return
    log(f"installing nps_analysis with {', '.join(extras)} (first run takes a few minutes)")
    run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PY, "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[{','.join(extras)}]")
    # The notebooks run on the kernel named python3, which must be this environment's Python.
    run(PY, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3",
        "--display-name", "Python 3 (nps_analysis)")
    STAMP.write_text(json.dumps({"pyproject": wanted, "extras": list(extras)}))


# ------------------------------------------------------------------------------ Debian packages


def missing_tools() -> list[str]:
    """The system tools the tests need that are not on PATH (``java``, ``chromium``)."""
    out = []
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        out.append("java")
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        out.append("chromium")
    return out


def lock_holder(locks: tuple[Path, ...] = APT_LOCKS) -> Path | None:
    """The first apt/dpkg lock file another process holds, or ``None`` (also when none exists)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no Debian lock to wait for
        return None
    for path in locks:
        if not path.exists():
            continue
        try:
            with open(path, "a") as handle:
                fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.lockf(handle, fcntl.LOCK_UN)
        except BlockingIOError:
            return path
        except OSError:
            continue  # cannot open it (not root): apt-get will say so itself
    return None


def wait_for_apt_lock(
    timeout: float = LOCK_WAIT_SECONDS, *, locks: tuple[Path, ...] = APT_LOCKS, poll: float = 5.0
) -> str | None:
    """Wait until no other process holds the Debian package lock; the reason when it stays held."""
    deadline = time.monotonic() + timeout
    held = lock_holder(locks)
    if held is None:
        return None
    log(f"another apt/dpkg holds {held}; waiting for it up to {timeout / 60:g} minutes")
    while held is not None:
        if time.monotonic() >= deadline:
            return f"the Debian package lock {held} was held by another process for {timeout / 60:g} minutes"
        time.sleep(min(poll, max(deadline - time.monotonic(), 0.0)))
        held = lock_holder(locks)
    log("the package lock is free")
    return None


def cannot_install_reason() -> str | None:
    """Why Debian packages cannot be installed here, or ``None`` when they can be."""
    if os.name != "posix" or not shutil.which("apt-get"):
        return "this system has no apt-get (not Debian or Ubuntu)"
    if os.geteuid() != 0:
        return "dev.py is not running as root, so apt-get cannot install"
    return None


def ensure_system_packages() -> dict[str, str]:
    """Install what the tests need from Debian; returns ``{tool: reason}`` for what is still missing.

    Never raises: a failure is reported in one line per tool, and the tests that need the tool
    skip with the reason (fail under ``CI=true``).
    """
    tools = missing_tools()
    if not tools:
        return {}
    packages = [p for t in tools for p in SYSTEM_PACKAGES[t]]
    reason = cannot_install_reason() or wait_for_apt_lock()
    if reason is None:
        log(f"installing Debian packages for the tests: {' '.join(packages)}")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        # apt waits for the lock itself too, in case another apt takes it after our check.
        wait = ["-o", f"DPkg::Lock::Timeout={int(LOCK_WAIT_SECONDS)}"]
        quiet = {"stdout": subprocess.DEVNULL}
        subprocess.run(["apt-get", *wait, "update", "-q"], check=False, env=env, **quiet)
        code = subprocess.run(["apt-get", *wait, "install", "-y", "-q", *packages], check=False, env=env,
                              **quiet).returncode
        if code != 0:
            reason = f"apt-get install failed with exit code {code} (its messages are above)"
    missing = {t: reason for t in missing_tools()} if reason is None else {t: reason for t in tools}
    if reason is None and missing:
        reason = "installed, but still not on PATH"
        missing = dict.fromkeys(missing, reason)
    for tool, why in missing.items():
        log(f"could not install {' '.join(SYSTEM_PACKAGES[tool])}: {why}; {WHAT_NEEDS[tool]} will be "
            f"skipped (they fail under CI=true). Install it yourself: sudo apt-get install "
            f"{' '.join(SYSTEM_PACKAGES[tool])}")
    return {t: f"{' '.join(SYSTEM_PACKAGES[t])} not installed: {why}" for t, why in missing.items()}


def record_missing(missing: dict[str, str]) -> None:
    """Keep the reasons where the tests find them (also for a later plain ``pytest`` run)."""
    if missing:
        MISSING_FILE.write_text(json.dumps(missing, indent=1))
    elif MISSING_FILE.exists():
        MISSING_FILE.unlink()


# ------------------------------------------------------------------------------------- running


def env_vars(missing: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(VENV)
    env.setdefault("MPLBACKEND", "Agg")
    env.pop("PYTHONPATH", None)
    # Kernels found by jupyter/papermill: this environment's first.
    env["JUPYTER_PATH"] = str(VENV / "share" / "jupyter")
    if missing:
        env[MISSING_ENV] = json.dumps(missing)
    return env


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in EXTRAS:
        print(__doc__)
        return 2
    task, rest = argv[0], argv[1:]
    ensure_env(task)
    missing: dict[str, str] = {}
    if task == "sample":
        cmd = [str(BIN / "nps-analysis"), "sample", *rest]
    else:
        missing = ensure_system_packages()
        record_missing(missing)
        cmd = [str(PY), "-m", "pytest", *rest]
    log(" ".join(cmd))
    return subprocess.run(cmd, cwd=ROOT, env=env_vars(missing)).returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
