"""The notebook half of issue 12's proof: every applicable notebook, through the runner, on the
export corpus of ``tests/data/exports/`` with column parameters only (no renaming).

Counts come from ``MANIFEST.yaml`` (tallied by the corpus generator from the answers it wrote, not
by the kit); errors and warnings must say what the manifest says.
"""

from __future__ import annotations

import html
from pathlib import Path

import pytest
import yaml

import nps_analysis as nps
from nps_analysis.report.runner import run_notebook

ROOT = Path(__file__).resolve().parent.parent
EXPORTS = ROOT / "tests" / "data" / "exports"
MANIFEST = {e["file"]: e for e in yaml.safe_load((EXPORTS / "MANIFEST.yaml").read_text(encoding="utf-8"))}
pytestmark = pytest.mark.notebook


def _run(tmp_path: Path, name: str, params: dict) -> tuple[dict, str]:
    result = run_notebook(ROOT / "notebooks" / f"{name}.ipynb", params, output_dir=tmp_path / "reports",
                          progress=False, cwd=tmp_path)
    return nps.read_results(result.run_dir), html.unescape(result.report.read_text(encoding="utf-8"))


def _groups(file: str, by: str) -> dict:
    """The manifest's groups of the first run grouped by ``by``: {value: (n, det, pas, pro)}."""
    for run in MANIFEST[file]["runs"]:
        if run["args"][:2] == ["--by", by] and run.get("groups"):
            return {g[by]: (g["n"], g["detractors"], g["passives"], g["promoters"]) for g in run["groups"]}
    raise KeyError(by)


def _by_owner(saved: dict) -> dict:
    """Responses per owner and category from the closed-loop notebook's compliance records."""
    out: dict = {}
    for rec in saved["compliance_by_owner_category"]:
        out.setdefault(rec.get("owner"), {})[rec["category"]] = rec["responses"]
    return {k: (sum(v.values()), v.get("detractor", 0), v.get("passive", 0), v.get("promoter", 0))
            for k, v in out.items()}


def test_day_first_export_needs_dayfirst_and_then_routes_every_answer(tmp_path):
    params = {"data_path": str(EXPORTS / "dayfirst_dates.csv"), "score_column": "score", "time_column": "submitted",
              "team_column": "journey", "id_column": "response_id", "as_of": "2018-05-01T00:00:00Z"}
    failed, _ = _run(tmp_path, "closed_loop", params)
    assert failed["status"] == "failed"
    message = failed["error"]["message"]
    for piece in ("ambiguous day and month", "row 2: '08/03/2018 19:45'", "dayfirst"):
        assert piece in message
    saved, report = _run(tmp_path, "closed_loop", {**params, "dayfirst": True})
    assert saved["status"] == "ok", saved.get("error")
    expected = _groups("dayfirst_dates.csv", "journey")
    assert _by_owner(saved) == expected
    assert saved["responses_in_queue"] == MANIFEST["dayfirst_dates.csv"]["report"]["responses"]
    assert "2 without an answer" in report
    weekly, _ = _run(tmp_path, "weekly_tracking", {**params, "dayfirst": True, "as_of": "2018-04-02T00:00:00Z",
                                                   "min_n": 5, "window": 4})
    assert weekly["status"] == "ok", weekly.get("error")
    assert weekly["week"] == "2018-03-26" and weekly["window"] == 4


def test_google_forms_export_with_redacted_answers(tmp_path):
    entry = MANIFEST["google_forms.csv"]
    params = {"data_path": str(EXPORTS / "google_forms.csv"), "score_column": entry["score"],
              "time_column": "Timestamp", "comment_column": "What is the main reason for your score?",
              "date_format": "%m/%d/%Y %H:%M:%S", "as_of": "2018-12-31T00:00:00Z"}
    failed, _ = _run(tmp_path, "closed_loop", params)
    assert failed["status"] == "failed" and "'*redacted*'" in failed["error"]["message"]
    saved, report = _run(tmp_path, "closed_loop", {**params, "missing_values": ["defaults", "*redacted*"]})
    assert saved["status"] == "ok", saved.get("error")
    (group,) = [run["groups"][0] for run in entry["runs"] if run.get("groups")]
    assert _by_owner(saved) == {None: (group["n"], group["detractors"], group["passives"], group["promoters"])}
    assert "'*redacted*': 4" in report


def test_r_export_as_cohorts_with_na_regions_left_out(tmp_path):
    saved, report = _run(tmp_path, "experiment", {
        "data_path": str(EXPORTS / "r_write_csv.csv"), "score_column": "ltr", "group_column": "region",
        "control": "Bern", "id_column": "id",
    })
    assert saved["status"] == "ok", saved.get("error")
    expected = {k: v for k, v in _groups("r_write_csv.csv", "region").items() if k is not None}
    assert {a["group"]: (a["n"], a["detractors"], a["passives"], a["promoters"]) for a in saved["arms"]} == expected
    assert "NA" not in {a["group"] for a in saved["arms"]}


def test_mixed_scale_crm_export_warns_in_the_report(tmp_path):
    saved, report = _run(tmp_path, "weekly_tracking", {
        "data_path": str(EXPORTS / "crm_mixed_scales.csv"), "score_column": "score", "time_column": "created_at",
        "team_column": "survey_type", "id_column": "ticket_id", "as_of": "2018-06-04T00:00:00Z", "min_n": 5,
    })
    assert saved["status"] == "ok", saved.get("error")
    for piece in MANIFEST["crm_mixed_scales.csv"]["warnings"]:
        assert piece in report
