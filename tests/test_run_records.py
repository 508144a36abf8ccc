"""Issue 19.3: every planned run of a schedule ends with a record, and the index always lists it.

SIGTERM mid-schedule, an exception escaping one run, a SIGKILLed run or scheduler, and a total
wall-clock timeout (kernel start included).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nps_analysis.report import index as run_index
from nps_analysis.report import schedule as schedule_module
from nps_analysis.report.runner import run_notebook
from nps_analysis.report.schedule import run_schedule
from tests.test_runner import make_notebook

ROOT = Path(__file__).resolve().parent.parent


def records(out: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/*/results.json")}


def write_schedule(tmp_path: Path, modes: list[str]) -> Path:
    make_notebook(tmp_path / "tiny.ipynb")
    runs = "\n".join(f"  - notebook: tiny.ipynb\n    parameters: {{mode: {m}}}" for m in modes)
    path = tmp_path / "schedule.yaml"
    path.write_text(f"output_dir: reports\nruns:\n{runs}\n")
    return path


def cli(*args: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    return subprocess.Popen([sys.executable, "-m", "nps_analysis", *args], cwd=kw.get("cwd"), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(predicate, seconds: float = 90) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting")


def test_sigterm_mid_schedule_leaves_a_record_for_every_planned_run(tmp_path):
    schedule = write_schedule(tmp_path, ["sleep", "ok", "ok"])
    out = tmp_path / "reports"
    proc = cli("run", "--schedule", str(schedule), "--no-progress", cwd=tmp_path)
    wait_for(lambda: any(r.get("status") == "running" for r in records(out).values()))
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=120)
    got = sorted(r["status"] for r in records(out).values())
    assert got == ["failed", "skipped", "skipped"], got
    skipped = [r for r in records(out).values() if r["status"] == "skipped"]
    assert all("stopped" in r["error"]["message"] for r in skipped)
    page = (out / "index.html").read_text()
    assert page.count("<tr class=") == 3 and page.count('class="skipped"') == 2


def test_an_exception_escaping_one_run_does_not_stop_the_schedule(tmp_path, monkeypatch):
    schedule = write_schedule(tmp_path, ["ok", "ok", "ok"])
    real = schedule_module.run_notebook
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise ImportError("cannot import name 'x' (an import race under load)")
        return real(*args, **kwargs)

    monkeypatch.setattr(schedule_module, "run_notebook", flaky)
    result = run_schedule(schedule, progress=False)
    assert [r.status for r in result.runs] == ["ok", "failed", "ok"] and result.exit_code == 1
    statuses = sorted(r["status"] for r in records(tmp_path / "reports").values())
    assert statuses == ["failed", "ok", "ok"]  # nothing left at "running" or "planned"
    assert "import race" in result.runs[1].error


def test_a_killed_run_is_in_the_index_at_once_and_shows_as_killed(tmp_path):
    tiny = make_notebook(tmp_path / "tiny.ipynb")
    out = tmp_path / "reports"
    proc = cli("run", str(tiny), "-p", "mode", "sleep", "--output-dir", str(out), "--no-progress", cwd=tmp_path)
    wait_for(lambda: any(r.get("status") == "running" for r in records(out).values()))
    wait_for(lambda: (out / "index.html").exists() and "running" in (out / "index.html").read_text(), 10)
    proc.kill()
    proc.communicate(timeout=30)
    runs = run_index.list_runs(out)
    assert [r["status"] for r in runs] == ["killed"]


def test_a_killed_scheduler_leaves_its_planned_runs_skipped(tmp_path):
    schedule = write_schedule(tmp_path, ["sleep", "ok"])
    out = tmp_path / "reports"
    proc = cli("run", "--schedule", str(schedule), "--no-progress", cwd=tmp_path)
    wait_for(lambda: any(r.get("status") == "running" for r in records(out).values()))
    proc.kill()
    proc.communicate(timeout=30)
    assert sorted(r["status"] for r in run_index.list_runs(out)) == ["killed", "skipped"]


def test_the_timeout_is_a_total_wall_clock_limit_kernel_start_included(tmp_path):
    tiny = make_notebook(tmp_path / "tiny.ipynb")
    start = time.monotonic()
    result = run_notebook(tiny, {"mode": "sleep"}, output_dir=tmp_path / "reports", timeout=1, progress=False)
    took = time.monotonic() - start
    assert not result.ok and result.results["error"]["type"] == "Timeout"
    assert took < 15  # the kernel was stopped, not left to sleep its 60 s
    quick = run_notebook(tiny, {"mode": "ok"}, output_dir=tmp_path / "reports", timeout=0.5, progress=False)
    assert not quick.ok and quick.results["error"]["type"] == "Timeout"  # the kernel alone takes longer


@pytest.mark.parametrize("status", ["planned", "running"])
def test_a_record_from_another_host_is_left_alone(tmp_path, status):
    run_dir = tmp_path / "reports" / "tiny" / "r1"
    run_dir.mkdir(parents=True)
    (run_dir / "results.json").write_text(json.dumps({"status": status, "run": {"pid": 1, "host": "elsewhere"}}))
    assert [r["status"] for r in run_index.list_runs(tmp_path / "reports")] == [status]
