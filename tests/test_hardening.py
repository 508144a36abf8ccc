"""Unattended runs: parameters stay data, concurrent and repeated schedules are safe, killed runs say so."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

import nps_analysis as nps
from nps_analysis.report.index import list_runs
from nps_analysis.report.record import write_json_atomic
from nps_analysis.report.runner import run_notebook, write_index

NOTEBOOKS = Path(__file__).parent / "data" / "notebooks"
SLOW = NOTEBOOKS / "slow.ipynb"
HOSTILE = NOTEBOOKS / "hostile_comments.ipynb"

pytestmark = pytest.mark.notebook


def _cli(*args: str, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "CI": "true", "MPLBACKEND": "Agg"}
    return subprocess.Popen(
        [sys.executable, "-m", "nps_analysis", *args], cwd=cwd, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )


def test_parameter_values_with_quotes_newlines_and_code_are_passed_as_data(tmp_path):
    marker = tmp_path / "executed.txt"
    value = (
        f'x"; open({str(marker)!r}, "w").write("pwned") #\n'
        f"'''\"\"\" \\n {{{{}}}} __import__('os').system('touch {marker}')"
    )
    result = run_notebook(HOSTILE, {"comment": value}, output_dir=tmp_path / "reports", progress=False, cwd=tmp_path)
    assert result.ok
    assert nps.read_results(result.run_dir)["comment"] == value
    assert not marker.exists()


def _schedule(tmp_path: Path, labels: list[str]) -> Path:
    path = tmp_path / "schedule.yaml"
    runs = [{"notebook": str(SLOW), "parameters": {"label": label, "seconds": 0.5}} for label in labels]
    path.write_text(yaml.safe_dump(runs), encoding="utf-8")
    return path


def _runs(out: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(out.glob("slow/*/results.json"))]


def test_two_runs_of_one_schedule_at_once_do_not_clobber_each_other(tmp_path):
    schedule = _schedule(tmp_path, ["north", "south"])
    out = tmp_path / "reports"
    procs = [_cli("run", "--schedule", str(schedule), "--output-dir", str(out), cwd=tmp_path) for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    results = _runs(out)
    assert len(results) == 4 and all(r["status"] == "ok" for r in results)
    assert sorted(r["label"] for r in results) == ["north", "north", "south", "south"]
    index = (out / "index.html").read_text()
    assert index.count("slow") >= 4
    assert not list(out.rglob("*.tmp")), "temporary files left behind"


def test_running_a_schedule_again_adds_runs_and_never_touches_earlier_ones(tmp_path):
    schedule = _schedule(tmp_path, ["east"])
    out = tmp_path / "reports"
    first = _cli("run", "--schedule", str(schedule), "--output-dir", str(out), cwd=tmp_path)
    first.communicate(timeout=300)
    before = {p: p.read_bytes() for p in out.glob("slow/*/*") if p.is_file()}
    again = _cli("run", "--schedule", str(schedule), "--output-dir", str(out), cwd=tmp_path)
    again.communicate(timeout=300)
    assert first.returncode == again.returncode == 0
    assert len(list(out.glob("slow/*/results.json"))) == 2
    assert all(p.read_bytes() == content for p, content in before.items())


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_run_killed_half_way_leaves_a_record_saying_so(tmp_path, sig):
    out = tmp_path / "reports"
    proc = _cli("run", str(SLOW), "-p", "seconds", "120", "--output-dir", str(out), cwd=tmp_path)
    deadline = time.time() + 120
    while time.time() < deadline:
        recorded = list(out.glob("slow/*/results.json"))
        if recorded and json.loads(recorded[0].read_text()).get("label") == "weekly":
            break  # the kernel is inside the run
        time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("the run never started")
    os.killpg(proc.pid, sig)
    proc.communicate(timeout=60)
    assert proc.returncode != 0
    runs = list_runs(out)
    assert len(runs) == 1 and runs[0]["status"] in {"killed", "failed"}
    results = json.loads(next(out.glob("slow/*/results.json")).read_text())
    if sig == signal.SIGTERM:  # the runner could still write: the record itself says so
        assert results["status"] == "failed" and "SIGTERM" in results["error"]["message"]
    else:  # nothing could write: the next look at the folder marks the record itself
        assert results["status"] == "killed" and "ended before the run finished" in results["error"]["message"]
    assert runs[0]["status"] in write_index(out).read_text()


def test_atomic_json_write_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "results.json"
    write_json_atomic(target, {"status": "ok"})
    with pytest.raises(TypeError):
        write_json_atomic(target, {"status": object()})
    assert json.loads(target.read_text()) == {"status": "ok"}
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_notebook_outputs_are_saved_atomically(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    fig, ax = plt.subplots()
    ax.plot([1, 2])
    png = nps.save_figure(fig, tmp_path / "chart.png", dpi=50)
    assert png.read_bytes().startswith(b"\x89PNG")
    nps.save_text(tmp_path / "memo.md", "Roll back.")
    nps.save_csv(pd.DataFrame({"a": [1]}), tmp_path / "t.csv")
    assert (tmp_path / "memo.md").read_text() == "Roll back." and (tmp_path / "t.csv").read_text() == "a\n1\n"

    class Broken:
        def savefig(self, path, **kwargs):
            Path(path).write_bytes(b"half a fi")
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        nps.save_figure(Broken(), tmp_path / "chart.png")
    assert png.read_bytes().startswith(b"\x89PNG")  # the earlier chart is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chart.png", "memo.md", "t.csv"]
    plt.close(fig)


def test_bundled_notebooks_write_files_only_through_the_atomic_savers():
    root = Path(__file__).resolve().parent.parent / "notebooks"
    for path in root.glob("*.ipynb"):
        text = path.read_text(encoding="utf-8")
        for call in (".savefig(", ".write_text(", ".to_csv(", "open("):
            assert call not in text, f"{path.name} writes with {call} instead of nps.save_*"
