"""Seeded generators: reproducible, truthful, and the bundled samples regenerate byte for byte."""

from __future__ import annotations

import filecmp

import numpy as np
import pytest

import nps_analysis as nps
from nps_analysis import datasets


def test_bundled_samples_regenerate_byte_identically(tmp_path):
    written = datasets.regenerate_samples(directory=tmp_path)
    assert written, "no samples registered"
    for path in written:
        bundled = datasets.data_dir() / path.name
        assert bundled.exists(), f"{bundled} is not committed"
        assert filecmp.cmp(path, bundled, shallow=False), f"{path.name} differs from its generator"


def test_generator_is_reproducible_from_its_seed():
    a = datasets.experiment_data(500, seed=3)
    b = datasets.experiment_data(500, seed=3)
    assert a.equals(b)
    assert not a.equals(datasets.experiment_data(500, seed=4))


def test_true_nps_of_latent_model_matches_its_distribution():
    p = np.array(datasets.BASELINE_DISTRIBUTION)
    assert datasets.true_nps(0.0) == pytest.approx(100 * (p[9:].sum() - p[:7].sum()))  # 45 - 25
    assert datasets.true_nps(0.0) == pytest.approx(20.0)
    assert datasets.true_nps(datasets.shift_for_nps(35.0)) == pytest.approx(35.0)


def test_large_sample_recovers_the_true_effects():
    frame = datasets.experiment_data(120_000, seed=11, response_rate=1.0)
    table = nps.counts(frame, "score", by="arm").set_index("arm")
    for arm, truth in frame.attrs["true_nps"].items():
        se = 100 * np.sqrt(0.7 / table.loc[arm, "n"])
        assert abs(table.loc[arm, "nps"] - truth) < 4 * se


def test_non_responders_have_no_score_and_are_counted_as_missing():
    frame = datasets.experiment_data(2_000, seed=5, response_rate={"control": 0.5, "treatment_a": 0.3, "treatment_b": 0.4})
    assert frame.loc[~frame.responded, "score"].isna().all()
    assert frame.loc[frame.responded, "score"].notna().all()
    rates = frame.groupby("arm").responded.mean()
    assert rates["control"] > rates["treatment_a"]
