"""Every notebook runs with every optional column absent (issue 12), on files whose columns are
named nothing like the samples', given column parameters only: no renaming.

Each skipped section says in the report which parameter turns it on; the numbers recorded are the
package's on the same file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nps_analysis as nps
from nps_analysis.analyses.columns import ANALYSES
from nps_analysis.report.runner import run_notebook

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
pytestmark = pytest.mark.notebook


def _run(tmp_path: Path, name: str, params: dict) -> tuple[dict, str]:
    result = run_notebook(NOTEBOOKS / f"{name}.ipynb", params, output_dir=tmp_path / "reports",
                          progress=False, cwd=tmp_path)
    saved = nps.read_results(result.run_dir)
    assert result.ok, saved.get("error")
    return saved, result.report.read_text(encoding="utf-8")


def _answers(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.choice(11, size=n, p=[.04, .03, .03, .04, .05, .06, .08, .12, .15, .18, .22])


def _assert_skip_notes(report: str, analysis: str, absent: list[str]) -> None:
    for role in ANALYSES[analysis]:
        if role.parameter in absent:
            assert f"<code>{role.parameter}</code> to the column holding" in report, role.parameter


def test_weekly_report_with_only_a_score_and_a_time(tmp_path):
    rng = np.random.default_rng(1)
    n = 400
    times = pd.Timestamp("2026-09-14", tz="UTC") + pd.to_timedelta(rng.uniform(0, 63, n), unit="D")
    path = tmp_path / "answers.csv"
    pd.DataFrame({"Answered": times.strftime("%Y-%m-%dT%H:%M:%SZ"), "LTR": _answers(n, 1),
                  "timezone": "not a zone"}).to_csv(path, index=False)
    saved, report = _run(tmp_path, "weekly_tracking", {"data_path": str(path), "score_column": "LTR",
                                                      "time_column": "Answered"})
    assert saved["columns"]["absent"] == ["team_column", "segment_columns", "comment_column", "id_column",
                                          "customer_column", "timezone_column", "key_account_column"]
    _assert_skip_notes(report, "weekly_tracking", ["team_column", "comment_column"])
    frame = nps.load(path, score="LTR")
    week = pd.Timestamp(saved["week"])
    table = nps.nps_by_period(frame, score="LTR", time="Answered", timezone_column=None,
                              start=week - pd.Timedelta(weeks=7), end=week)
    row = table.set_index("period").loc[week]
    assert saved["responses"] == row["n"] and saved["nps"]["nps"] == pytest.approx(row["nps"])
    assert saved["segments_flagged"] == [] and saved["family"] is None
    assert saved["alerts"]["count"] == 0  # no comments, no key accounts, no segments to drop


def test_weekly_report_pools_weeks_and_suggests_a_window_for_a_small_programme(tmp_path):
    rng = np.random.default_rng(2)
    n = 15 * 26  # ~15 answers a week for half a year
    times = pd.Timestamp("2026-05-18", tz="UTC") + pd.to_timedelta(rng.uniform(0, 26 * 7, n), unit="D")
    path = tmp_path / "small.csv"
    pd.DataFrame({"when": times.strftime("%Y-%m-%d %H:%M:%S+00:00"), "nps": _answers(n, 2)}).to_csv(path, index=False)
    params = {"data_path": str(path), "score_column": "nps", "time_column": "when"}
    saved, report = _run(tmp_path, "weekly_tracking", params)
    assert saved["nps"] is None  # ~15 answers: suppressed at min_n 30
    assert "Set <code>window</code> to 4" in report
    pooled, report4 = _run(tmp_path, "weekly_tracking", {**params, "window": 4})
    assert pooled["window"] == 4 and pooled["nps"] is not None
    frame = nps.load(path, score="nps")
    week = pd.Timestamp(pooled["week"])
    four = frame[(pd.to_datetime(frame["when"]) >= (week - pd.Timedelta(weeks=3)).tz_localize("UTC"))
                 & (pd.to_datetime(frame["when"]) < (week + pd.Timedelta(weeks=1)).tz_localize("UTC"))]
    counts = nps.counts(four, "nps")
    assert pooled["responses"] == int(counts["n"].iloc[0])
    assert pooled["nps"]["nps"] == pytest.approx(float(counts["nps"].iloc[0]))
    assert "trailing 4 weeks" in report4


def test_closed_loop_with_only_a_score_and_a_time(tmp_path):
    rng = np.random.default_rng(3)
    n = 120
    times = pd.Timestamp("2026-11-01", tz="UTC") + pd.to_timedelta(rng.uniform(0, 16, n), unit="D")
    path = tmp_path / "survey.csv"
    pd.DataFrame({"Score (0-10)": _answers(n, 3), "Date": times.strftime("%Y-%m-%dT%H:%M:%SZ")}).to_csv(path, index=False)
    saved, report = _run(tmp_path, "closed_loop", {"data_path": str(path), "score_column": "Score (0-10)",
                                                  "time_column": "Date"})
    assert saved["columns"]["absent"] == ["team_column", "comment_column", "id_column", "customer_column",
                                          "timezone_column", "holdout_column"]
    _assert_skip_notes(report, "closed_loop", ["team_column", "customer_column", "holdout_column"])
    assert "root_causes_path" in report
    frame = nps.load(path, score="Score (0-10)")
    due = frame[pd.to_datetime(frame["Date"]) <= pd.Timestamp("2026-11-17T12:00:00Z")]
    assert saved["responses_in_queue"] == int(due["Score (0-10)"].notna().sum())
    assert saved["queue_status"].get("overdue", 0) == saved["overdue"] > 0  # no log: nobody was called
    assert saved["compliance"]["share_in_time"] == 0.0  # 0% compliance: the chart must not crash
    assert saved["recovery_rate"] is None and saved["contacted_vs_not"] is None
    assert "holdout_difference" not in saved
    queue = (Path(saved["queue_file"])).read_text()
    assert queue.splitlines()[0].startswith("Score (0-10),Date,row,")  # answers named by their row


def test_experiment_with_only_a_score_and_an_arm(tmp_path):
    rng = np.random.default_rng(4)
    n = 300
    path = tmp_path / "cohorts.csv"
    pd.DataFrame({"Variant": rng.choice(["old", "new"], n), "How likely to recommend": _answers(n, 4),
                  "region": rng.choice(["N", "S"], n), "invited": "maybe"}).to_csv(path, index=False)
    saved, report = _run(tmp_path, "experiment", {"data_path": str(path), "score_column": "How likely to recommend",
                                                 "group_column": "Variant", "control": "old"})
    assert saved["columns"]["absent"] == ["segment_columns", "invited_column", "responded_column",
                                          "covariate_columns", "id_column"]
    _assert_skip_notes(report, "experiment", ["segment_columns", "invited_column", "covariate_columns"])
    assert saved["segments"] == [] and saved["effects"][0].get("cuped") is None
    frame = nps.load(path, score="How likely to recommend")
    direct = nps.counts(frame, "How likely to recommend", by="Variant").set_index("Variant")
    assert {a["group"]: a["n"] for a in saved["arms"]} == direct["n"].to_dict()


def test_rollback_decision_without_a_csat_column(tmp_path):
    frame = nps.datasets.monitoring_data(10, daily_responses=40, true_effect=-10.0, seed=5)
    frame = frame.rename(columns={"arm": "cohort", "score": "ltr", "submitted_at": "answered_at"})
    path = tmp_path / "monitoring.csv"
    frame.drop(columns=["csat"]).to_csv(path, index=False)
    saved, report = _run(tmp_path, "rollback_decision", {"data_path": str(path), "score_column": "ltr",
                                                        "group_column": "cohort", "time_column": "answered_at"})
    _assert_skip_notes(report, "rollback_decision", ["csat_column"])
    assert saved["columns"]["absent"] == ["csat_column"]
    expected = nps.decide(nps.load(path, score="ltr"), score="ltr", group="cohort", time="answered_at",
                          treatment="treatment", control="control", margin=5, guardrails={"detractor_share": 5})
    assert saved["decision"] == expected.decision and saved["looks"] == expected.looks
    assert saved["effect"] == pytest.approx(expected.effect)


def test_survey_gap_without_the_optional_inputs(tmp_path):
    rng = np.random.default_rng(6)
    paths = {}
    for side, n in (("company", 12), ("customers", 80)):
        paths[side] = tmp_path / f"{side}.csv"
        pd.DataFrame({"Speed of answer": rng.integers(1, 6, n), "Friendliness": rng.integers(1, 6, n)}).to_csv(
            paths[side], index=False)
    saved, _ = _run(tmp_path, "survey_gap", {"company_path": str(paths["company"]),
                                             "customers_path": str(paths["customers"]), "n_bootstrap": 200})
    assert [i["item"] for i in saved["items"]] == ["Speed of answer", "Friendliness"]
    assert saved["superior_service"] is None and saved["self_assessment_total"] is None
    assert saved["importance_performance"] is None


def test_drivers_without_comments_time_team_segments_or_weights(tmp_path):
    rng = np.random.default_rng(7)
    n = 300
    speed, staff = rng.integers(1, 6, n), rng.integers(1, 6, n)
    score = np.clip(np.round(1.2 * speed + 0.6 * staff + rng.normal(0, 1.5, n)), 0, 10).astype(int)
    path = tmp_path / "ratings.csv"
    pd.DataFrame({"Likelihood": score, "Speed": speed, "Staff": staff}).to_csv(path, index=False)
    saved, report = _run(tmp_path, "drivers", {"data_path": str(path), "score_column": "Likelihood",
                                              "driver_columns": ["Speed", "Staff"], "n_resamples": 200})
    assert "No segment columns" in report
    assert saved["themes"] is None and saved["discovered_themes"] is None  # no comment column
    direct = nps.key_drivers(nps.load(path, score="Likelihood"), "Likelihood", ["Speed", "Staff"],
                             n_resamples=200, random_state=2031)
    shares = {d["driver"]: d["share"] for d in saved["drivers"]["drivers"]}
    assert shares == pytest.approx(direct.to_frame().set_index("driver")["share"].to_dict())
