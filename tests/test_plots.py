"""Tests of the charts: each returns a figure that renders to PNG and draws what it says."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nps_analysis import datasets, plots
from nps_analysis import experiment as ex

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return datasets.experiment_data(900, seed=4)


@pytest.fixture(scope="module")
def arms(frame) -> pd.DataFrame:
    return ex.arm_table(frame, score="score", group="arm", arms=["control", "treatment_a", "treatment_b"])


def test_nps_forest_draws_one_point_per_arm_at_its_nps(arms):
    fig = plots.nps_forest(arms, control="control")
    data, meta = fig._repr_png_()
    assert data.startswith(PNG) and meta["alt"].startswith("NPS per arm: control ")
    ax = fig.axes[0]
    points = [line for line in ax.lines if line.get_marker() == "o"]
    assert [float(p.get_xdata()[0]) for p in points] == pytest.approx(list(arms["nps"]))
    assert [t.get_text() for t in ax.get_yticklabels()] == ["control", "treatment_a", "treatment_b"]  # top down


def test_category_bars_stack_to_100_percent(arms):
    fig = plots.category_bars(arms)
    widths = np.array([p.get_width() for p in fig.axes[0].patches]).reshape(3, len(arms))
    assert widths.sum(axis=0) == pytest.approx([100.0] * len(arms))
    assert fig.png().startswith(PNG)


def test_score_distribution_bars_are_shares_of_each_arm(frame):
    fig = plots.score_distribution_chart(frame, score="score", group="arm", arms=["control", "treatment_a"])
    bars = [p for p in fig.axes[0].patches if p.get_width() < 1]
    heights = np.array([b.get_height() for b in bars]).reshape(2, 11)
    assert heights.sum(axis=1) == pytest.approx([100.0, 100.0])
    control = frame.loc[frame["arm"] == "control", "score"].dropna()
    assert heights[0, 10] == pytest.approx(100 * (control == 10).mean())


def test_effect_and_segment_forests_render():
    effects = [
        {"treatment": "a", "control": "c", "difference": 5.0, "ci_lower": -1.0, "ci_upper": 11.0,
         "cuped": {"difference": 4.0, "ci_lower": 0.5, "ci_upper": 7.5}},
        {"treatment": "b", "control": "c", "difference": None, "ci_lower": None, "ci_upper": None},
    ]
    fig = plots.effect_forest(effects, mde=5)
    assert len([ln for ln in fig.axes[0].lines if ln.get_marker() == "o"]) == 2  # a and its CUPED estimate
    assert fig.png().startswith(PNG)
    segments = pd.DataFrame(
        {"segment": ["region"] * 2, "value": ["N", "S"], "treatment": ["a", "a"], "difference": [3.0, -2.0],
         "ci_lower": [-1.0, -8.0], "ci_upper": [7.0, 4.0], "significant": [False, False], "small": [False, True]}
    )
    fig = plots.segment_forest(segments)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["region = N: a", "region = S: a (small)"]  # top down
    assert fig.png().startswith(PNG)
