"""Headlines for the index and the run folder a notebook gets outside the runner."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

import pandas as pd
import pytest

from nps_analysis.report.headlines import (
    gap_headline,
    p_phrase,
    queue_headline,
    rollback_headline,
    self_assessment_total_text,
    weekly_headline,
)
from nps_analysis.report.runfolder import RESULTS_ENV, run_folder


def test_self_assessment_total_is_not_rounded_into_the_next_band():
    assert self_assessment_total_text(27.967) == "27.97"
    assert self_assessment_total_text(28.0) == "28.00"


def test_p_phrase():
    assert [p_phrase(0.0441), p_phrase(0.0002), p_phrase(None), p_phrase(0.37, adjusted=True)] == [
        "p = 0.044", "p < 0.001", "p not available", "adjusted p = 0.37"]


def test_rollback_headline_names_the_decision():
    d = SimpleNamespace(decision="ROLL_BACK", effect=-15.27, ci_lower=-24.81, ci_upper=-7.06, margin=5.0,
                        decided_at_look=25, looks=30)
    assert rollback_headline(d) == ("ROLL_BACK: harm beyond the 5-point margin established at look 25 of 30; "
                                    "NPS difference -15.3 points (-24.8 to -7.1)")


def test_weekly_headline_has_changes_and_alerts():
    text = weekly_headline(week="2026-11-09", nps={"nps": 3.86}, responses=207,
                           change={"difference": -53.04, "pvalue": 0.0002, "significant": True},
                           flagged=["Americas"], segment="team", alerts=13, high_alerts=13)
    assert text == ("Week of 2026-11-09: NPS 3.9 (n = 207); change -53.0 points, significant (p < 0.001); "
                    "1 team changed significantly (Americas); 13 alerts (13 high)")


def test_gap_headline_counts_gaps_and_gives_the_band():
    items = [{"label": "gap"}, {"label": "reverse gap"}, {"label": "no clear gap"}]
    assert gap_headline(items, total=27.967, band="adequate") == (
        "2 of 3 items show a gap after correction (1 company rates higher, 1 reverse); "
        "self-assessment total 27.97: adequate")


def test_queue_headline_counts_overdue_detractors():
    queue = pd.DataFrame({"status": ["overdue", "overdue", "open", "resolved"],
                          "category": ["detractor", "promoter", "detractor", "passive"],
                          "overdue_hours": [100.0, 1500.0, None, None]})
    assert queue_headline(queue) == "2 overdue follow-ups, 1 of them detractors (longest 4.2 days); 1 open"


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    monkeypatch.delenv(RESULTS_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    os.environ.pop(RESULTS_ENV, None)


def test_outside_the_runner_a_fresh_run_folder_under_reports(clean_env):
    first = run_folder("experiment", ".")
    assert first.path.parent == clean_env / "reports" / "experiment" or first.path.parent.resolve() == (clean_env / "reports" / "experiment").resolve()
    assert not first.managed
    data = json.loads(first.results.read_text())
    assert data["status"] == "interactive" and data["run"]["notebook"] == "experiment"
    assert os.environ[RESULTS_ENV] == str(first.results.resolve())
    assert "reports/experiment/" in first._repr_html_()
    # nps.record now writes into this run's results.json, not ./results.json
    from nps_analysis.report.record import record

    record("headline", "x")
    assert json.loads(first.results.read_text())["headline"] == "x"
    assert not (clean_env / "results.json").exists()
    os.environ.pop(RESULTS_ENV)
    second = run_folder("experiment", "")
    assert second.path != first.path
    assert sorted(p.name for p in clean_env.iterdir()) == ["reports"]


def test_under_the_runner_the_runner_folder_is_used(clean_env, monkeypatch):
    run_dir = clean_env / "r" / "experiment" / "x"
    run_dir.mkdir(parents=True)
    monkeypatch.setenv(RESULTS_ENV, str(run_dir / "results.json"))
    folder = run_folder("experiment", str(run_dir))
    assert folder.managed and folder.path == run_dir


def test_an_explicit_output_dir_gets_its_own_run_subfolder(clean_env):
    folder = run_folder("closed_loop", str(clean_env / "shared"))
    assert folder.path.parent == clean_env / "shared" / "closed_loop"
