"""Run folders, permissions, PDF switch, parallel schedules and runs outside the runner (issue 13)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from nps_analysis.cli import main
from nps_analysis.report.runner import run_notebook
from nps_analysis.report.schedule import run_schedule

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "data" / "notebooks" / "hostile_comments.ipynb"
pytestmark = pytest.mark.notebook


def _modes(folder: Path) -> dict[str, int]:
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}


def test_private_runs_are_owner_only_and_no_pdf_means_no_pdf(tmp_path):
    result = run_notebook(FIXTURE, {"comment": "fine"}, output_dir=tmp_path / "r", progress=False,
                          cwd=tmp_path, pdf=False, private=True)
    assert result.ok
    modes = _modes(result.run_dir)
    assert "report.pdf" not in modes
    assert set(modes.values()) == {0o600}, modes
    assert stat.S_IMODE(result.run_dir.stat().st_mode) == 0o700


def test_shared_runs_are_readable_by_everyone_and_have_a_pdf(tmp_path):
    result = run_notebook(FIXTURE, {"comment": "fine"}, output_dir=tmp_path / "r", progress=False, cwd=tmp_path)
    assert result.ok
    modes = _modes(result.run_dir)
    assert "report.pdf" in modes
    assert set(modes.values()) == {0o644}, modes
    assert stat.S_IMODE((tmp_path / "r" / "index.html").stat().st_mode) == 0o644


def test_jobs_needs_a_schedule(capsys):
    assert main(["run", str(FIXTURE), "--jobs", "2"]) == 2
    assert "--jobs goes with --schedule" in capsys.readouterr().err


def test_parallel_schedule_keeps_order_logs_and_a_complete_index(tmp_path):
    schedule = tmp_path / "s.yaml"
    schedule.write_text(
        f"output_dir: out\nruns:\n  - notebook: {FIXTURE}\n    each:\n"
        + "".join(f"      - {{comment: 'run {i}'}}\n" for i in range(4)),
        encoding="utf-8",
    )
    result = run_schedule(schedule, jobs=2, progress=False, pdf=False)
    assert result.ok
    comments = [json.loads(r.results_path.read_text())["comment"] for r in result.runs]
    assert comments == [f"run {i}" for i in range(4)]          # results in schedule order
    for r in result.runs:                                       # each run its own log
        log = (r.run_dir / "run.log").read_text(encoding="utf-8")
        assert f"run {r.run_id} of" in log
        assert all(other.run_id not in log for other in result.runs if other is not r)
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert all(r.run_id in index for r in result.runs)


def test_plain_papermill_writes_a_fresh_run_folder_under_reports(tmp_path, monkeypatch):
    import papermill as pm

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NPS_ANALYSIS_RESULTS", raising=False)
    notebook = ROOT / "notebooks" / "rollback_decision.ipynb"
    for out in ("one.ipynb", "two.ipynb"):
        pm.execute_notebook(str(notebook), out, kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.ipynb", "reports", "two.ipynb"]
    runs = sorted((tmp_path / "reports" / "rollback_decision").iterdir())
    assert len(runs) == 2                                        # one folder per run, never merged
    for run in runs:
        data = json.loads((run / "results.json").read_text(encoding="utf-8"))
        assert data["status"] == "interactive" and data["headline"].startswith("ROLL_BACK")
        assert (run / "monitoring.png").exists() and (run / "decision_memo.md").exists()
    first = json.loads((tmp_path / "one.ipynb").read_text(encoding="utf-8"))
    shown = json.dumps(first["cells"][2]["outputs"])             # the setup cell says where
    assert "reports/rollback_decision/" in shown
