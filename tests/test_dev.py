"""dev.py: what each task installs, waiting for the Debian package lock, and saying what is missing.

Nothing here runs pip or apt-get: the functions that decide are tested with their inputs replaced.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from . import system_deps

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def dev(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("nps_dev_under_test", ROOT / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "STAMP", tmp_path / "stamp")
    monkeypatch.setattr(module, "MISSING_FILE", tmp_path / "missing.json")
    return module


def test_sample_installs_only_the_core_and_jupyterlab(dev):
    assert dev.needs_install("sample", "h1", {}) == ("lab",)
    assert dev.needs_install("test", "h1", {}) == ("lab", "scale", "test")


def test_extras_already_installed_are_kept_and_not_reinstalled(dev):
    after_test = {"pyproject": "h1", "extras": ["lab", "scale", "test"]}
    assert dev.needs_install("sample", "h1", after_test) is None
    assert dev.needs_install("test", "h1", after_test) is None
    after_sample = {"pyproject": "h1", "extras": ["lab"]}
    assert dev.needs_install("sample", "h1", after_sample) is None
    assert dev.needs_install("test", "h1", after_sample) == ("lab", "scale", "test")
    # pyproject.toml changed: install again, only what this task needs
    assert dev.needs_install("sample", "h2", after_test) == ("lab",)


def test_a_stamp_of_the_old_format_means_a_full_install(dev):
    dev.STAMP.write_text("abc123\n")
    state = dev.installed_state()
    assert state == {"pyproject": "abc123", "extras": ["lab", "scale", "test"]}
    assert dev.needs_install("test", "abc123", state) is None


def _hold_lock(path: Path, seconds: float) -> subprocess.Popen:
    """Another process holding an fcntl lock on ``path`` (locks are per process)."""
    code = textwrap.dedent(f"""
        import fcntl, sys, time
        f = open({str(path)!r}, "a")
        fcntl.lockf(f, fcntl.LOCK_EX)
        print("locked", flush=True)
        time.sleep({seconds})
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


@pytest.mark.skipif(sys.platform == "win32", reason="Debian locks are POSIX fcntl locks")
def test_waits_for_the_package_lock_and_goes_on_when_it_is_released(dev, tmp_path, capsys):
    lock = tmp_path / "lock-frontend"
    lock.touch()
    holder = _hold_lock(lock, 1.0)
    try:
        t0 = time.monotonic()
        assert dev.wait_for_apt_lock(10, locks=(lock,), poll=0.1) is None
        waited = time.monotonic() - t0
    finally:
        holder.wait(timeout=10)
    assert 0.3 < waited < 8
    assert "waiting for it up to" in capsys.readouterr().out


@pytest.mark.skipif(sys.platform == "win32", reason="Debian locks are POSIX fcntl locks")
def test_a_lock_held_past_the_timeout_is_a_reason_not_a_traceback(dev, tmp_path):
    lock = tmp_path / "lock"
    lock.touch()
    holder = _hold_lock(lock, 3.0)
    try:
        reason = dev.wait_for_apt_lock(0.4, locks=(lock,), poll=0.1)
    finally:
        holder.kill()
        holder.wait()
    assert reason is not None and str(lock) in reason and "held by another process" in reason
    assert dev.wait_for_apt_lock(0.4, locks=(tmp_path / "absent",)) is None


def test_without_root_it_says_exactly_what_it_could_not_install(dev, monkeypatch, capsys):
    monkeypatch.setattr(dev, "missing_tools", lambda: ["java", "chromium"])
    monkeypatch.setattr(dev.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(dev.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(dev.subprocess, "run", lambda *a, **k: pytest.fail("apt-get must not run"))
    missing = dev.ensure_system_packages()
    assert set(missing) == {"java", "chromium"}
    assert missing["java"].startswith("openjdk-17-jre-headless not installed: dev.py is not running as root")
    assert missing["chromium"].startswith("chromium chromium-driver not installed")
    out = capsys.readouterr().out
    assert "could not install openjdk-17-jre-headless" in out and "the Spark tests will be skipped" in out
    assert "could not install chromium chromium-driver" in out and "sudo apt-get install" in out


def test_a_failing_apt_get_is_reported_per_tool(dev, monkeypatch):
    calls = []

    class Done:
        def __init__(self, code):
            self.returncode = code

    def fake_run(cmd, **kw):
        calls.append(cmd)
        return Done(100 if "install" in cmd else 0)

    monkeypatch.setattr(dev, "missing_tools", lambda: ["java"])
    monkeypatch.setattr(dev, "cannot_install_reason", lambda: None)
    monkeypatch.setattr(dev, "wait_for_apt_lock", lambda *a, **k: None)
    monkeypatch.setattr(dev.subprocess, "run", fake_run)
    missing = dev.ensure_system_packages()
    assert missing == {"java": "openjdk-17-jre-headless not installed: apt-get install failed with exit code 100 "
                               "(its messages are above)"}
    assert all("DPkg::Lock::Timeout=300" in cmd for cmd in calls)  # apt waits for the lock too
    dev.record_missing(missing)
    assert json.loads(dev.MISSING_FILE.read_text()) == missing
    dev.record_missing({})
    assert not dev.MISSING_FILE.exists()


def test_the_tests_skip_with_the_recorded_reason_and_fail_under_ci(monkeypatch):
    reason = "openjdk-17-jre-headless not installed: dev.py is not running as root, so apt-get cannot install"
    monkeypatch.setenv(system_deps.MISSING_ENV, json.dumps({"java": reason}))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not running as root"):
        system_deps.missing_tool("java", "PySpark needs Java 17+", install="apt-get install x")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true requires it"):
        system_deps.missing_tool("java", "PySpark needs Java 17+", install="apt-get install x")
    monkeypatch.setenv("CI", "false")
    monkeypatch.delenv(system_deps.MISSING_ENV)
    monkeypatch.setattr(system_deps, "MISSING_FILE", Path("/nonexistent/missing.json"))
    with pytest.raises(pytest.skip.Exception, match=r"\(apt-get install chromium\)"):
        system_deps.missing_tool("chromium", "headless Chromium is needed", install="apt-get install chromium")


def test_dev_py_without_a_task_prints_its_help(dev, capsys):
    assert dev.main([]) == 2
    assert "python3 dev.py sample" in capsys.readouterr().out


#: What `dev.py sample` does not install: the test extra and the scale extra (narwhals is core: the
#: reports' aggregates go through it on pandas too).
NOT_IN_SAMPLE = ("pytest", "hypothesis", "selenium", "duckdb", "polars", "pyspark")


@pytest.mark.notebook
def test_the_main_job_runs_without_the_test_and_scale_extras(tmp_path, monkeypatch):
    """`dev.py sample` installs the core and JupyterLab only: the sample report must not need more.

    Every module of the test and scale extras is made unimportable in the kernel (and in a fresh
    interpreter that imports the package) by a ``sitecustomize`` on its path.
    """
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(textwrap.dedent(f"""
        import sys
        BLOCKED = {NOT_IN_SAMPLE!r}
        class _Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ImportError(f"{{name}} is not installed by dev.py sample")
                return None
        sys.meta_path.insert(0, _Block())
    """))
    import os

    path = os.pathsep.join([str(blocker), str(ROOT), os.environ.get("PYTHONPATH", "")])
    monkeypatch.setenv("PYTHONPATH", path)
    probe = subprocess.run(
        [sys.executable, "-c", "import duckdb"], capture_output=True, text=True, env={**os.environ}
    )
    assert probe.returncode != 0 and "not installed by dev.py sample" in probe.stderr  # the blocker works
    out = subprocess.run(
        [sys.executable, "-m", "nps_analysis", "sample"],
        capture_output=True, text=True, env={**os.environ}, cwd=tmp_path, timeout=600,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Experiment report on the bundled sample: ok" in out.stdout
