"""The experiment and weekly notebooks with a weight column (and the weekly one with an invitation
list): weighted tables say so, mix/rate and response rates are recorded from the package's numbers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nps_analysis as nps
from nps_analysis import datasets

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


@pytest.mark.notebook
def test_weekly_notebook_with_weights_and_invitations(tmp_path):
    responses = nps.load(datasets.sample_path("loop_responses"), score="score")
    responses["w"] = np.random.default_rng(3).gamma(4.0, 0.25, len(responses))
    responses.to_csv(tmp_path / "responses.csv", index=False)
    sent = pd.to_datetime(responses["submitted_at"], utc=True, format="mixed") - pd.Timedelta(hours=5)
    answered = pd.DataFrame({"team": responses["team"], "invited_at": sent, "responded": True,
                             "comment": responses["comment"]})
    silent = answered.sample(frac=1.4, replace=True, random_state=1).assign(responded=False, comment=None)
    pd.concat([answered, silent], ignore_index=True).to_csv(tmp_path / "invitations.csv", index=False)
    run = nps.run_notebook(
        NOTEBOOKS / "weekly_tracking.ipynb",
        {"data_path": str(tmp_path / "responses.csv"), "weight_column": "w", "team_column": "team",
         "invitations_path": str(tmp_path / "invitations.csv")},
        output_dir=tmp_path / "runs",
    )
    results = json.loads((run.run_dir / "results.json").read_text())
    assert results["status"] == "ok", results.get("error")
    assert results["weighted"] == "w"
    split = results["mix_rate"]
    assert split["mix"] + split["rate"] == pytest.approx(split["change"])
    assert split["change"] == pytest.approx(results["change"]["difference"])
    assert "two-proportion z-test" in results["response_rates"]["rule"]
    html = (run.run_dir / "report.html").read_text()
    assert "weighted nps" in html.lower() and "Weighted by" in html and "Who answered" in html  # headers are formatted


@pytest.mark.notebook
def test_experiment_notebook_shows_weighted_beside_unweighted(tmp_path):
    frame = datasets.experiment_data(900, seed=3)
    frame["w"] = np.random.default_rng(0).gamma(4.0, 0.25, len(frame))
    path = datasets.write_csv(frame, tmp_path / "experiment.csv")
    run = nps.run_notebook(NOTEBOOKS / "experiment.ipynb", {"data_path": str(path), "weight_column": "w"},
                           output_dir=tmp_path / "runs")
    results = json.loads((run.run_dir / "results.json").read_text())
    assert results["status"] == "ok", results.get("error")
    answered = frame[frame["score"].notna()]
    expected = nps.counts(answered, "score", by="arm", weights="w").set_index("arm")["nps"]
    for row in results["weighted_arms"]:
        assert row["weighted_nps"] == pytest.approx(expected[row["arm"]])
    effect = results["weighted_effects"][0]
    assert effect["difference"] == pytest.approx(expected[effect["treatment"]] - expected["control"])
    assert "Weighted NPS per arm" in (run.run_dir / "report.html").read_text()
