"""notebooks/drivers.ipynb: runs through the runner on the bundled sample and records what the
package computes; runs on a file without any optional column, skipping those sections with a note;
no personal data in its outputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import nps_analysis as nps
from nps_analysis import samples

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "drivers.ipynb"
DRIVERS = ["speed", "staff", "product", "price", "billing", "ease"]


def test_parameters_use_the_kit_vocabulary():
    params = nps.notebook_parameters(NOTEBOOK)
    assert {"data_path", "score_column", "driver_columns", "comment_column", "segment_columns",
            "language", "n_themes", "time_column", "team_column", "output_dir"} <= set(params)
    for name in ("data_path", "comment_column", "time_column", "team_column", "weight_column"):
        assert params[name].default == "", f"optional {name} must default to ''"


@pytest.mark.notebook
def test_notebook_on_the_bundled_sample_records_drivers_and_themes(tmp_path):
    result = nps.run_notebook(NOTEBOOK, {"n_resamples": 200, "seed": 5}, output_dir=tmp_path / "reports",
                              progress=False, cwd=tmp_path)
    assert result.ok, (result.run_dir / "run.log").read_text()
    saved = nps.read_results(result.run_dir)
    frame = nps.load(samples.sample_path("drivers"), score="score")
    kd = nps.key_drivers(frame, "score", DRIVERS, n_resamples=200, random_state=5)
    assert saved["drivers"] == json.loads(json.dumps(kd.to_dict()))
    rec = {d["driver"]: d for d in saved["drivers"]["drivers"]}
    assert sum(d["importance"] for d in rec.values()) == pytest.approx(saved["drivers"]["r_squared"])
    impact = nps.theme_impact(frame, random_state=5)
    assert [t["theme"] for t in saved["themes"]["themes"]] == [r.theme for r in impact.themes]
    assert saved["themes"]["themes"][0]["difference"] == pytest.approx(impact.themes[0].difference)
    assert saved["discovered_themes"]["mode"].startswith("discovery")
    assert "speed" in saved["what_to_fix_first"] and "association, not cause" in saved["what_to_fix_first"]
    run = Path(result.run_dir)
    for name in ("drivers.png", "detractors_promoters.png", "importance_performance.png", "themes.png",
                 "theme_trend.png", "drivers.csv", "themes.csv", "theme_trend.csv", "data_check.csv"):
        assert (run / name).exists(), name
    report = (run / "report.html").read_text()
    assert report.count("<img ") == 5 and "PosixPath" not in report
    assert "example.com" not in report and "+44 20 7946" not in report  # examples are masked


@pytest.mark.notebook
def test_notebook_without_optional_columns_skips_their_sections(tmp_path):
    frame = nps.load(samples.sample_path("drivers"), score="score")
    frame.attrs = {}
    rng = np.random.default_rng(1)
    own = frame[["score", "speed", "staff", "price"]].rename(columns={"score": "likelihood"})
    own = own.assign(price=own["price"].where(rng.random(len(own)) > 0.05))
    path = tmp_path / "own.csv"
    own.to_csv(path, index=False)
    result = nps.run_notebook(
        NOTEBOOK,
        {"data_path": str(path), "score_column": "likelihood", "driver_columns": ["speed", "staff", "price"],
         "n_resamples": 100},
        output_dir=tmp_path / "reports", progress=False, cwd=tmp_path,
    )
    assert result.ok, (result.run_dir / "run.log").read_text()
    saved = nps.read_results(result.run_dir)
    assert saved["themes"] is None and saved["discovered_themes"] is None
    assert saved["drivers"]["n_incomplete"] == int(own["price"].isna().sum())
    report = (Path(result.run_dir) / "report.html").read_text()
    for note in ("No comment column: the themes sections are skipped.",
                 "No segment columns: the drivers are not split by segment.",
                 "No comment or time column: the theme trend is skipped."):
        assert note in report


@pytest.mark.notebook
def test_notebook_fails_with_a_record_when_drivers_are_not_named(tmp_path):
    path = tmp_path / "own.csv"
    path.write_text("score,a,b\n9,1,2\n3,2,1\n")
    result = nps.run_notebook(NOTEBOOK, {"data_path": str(path)}, output_dir=tmp_path / "reports",
                              progress=False, cwd=tmp_path)
    assert not result.ok
    saved = nps.read_results(result.run_dir)
    assert saved["error"]["type"] == "NPSInputError" and "driver" in saved["error"]["message"]
