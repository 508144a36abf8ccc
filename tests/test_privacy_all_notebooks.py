"""Issue 8: no name, e-mail or phone from the input appears in any default output of any notebook.

Every bundled notebook gets its sample data with personal columns added (and an e-mail inside free
text); the run's HTML, JSON, YAML, log and notebook files are scanned for those values. The closed-
loop notebooks, whose samples hold personal data already, are scanned in tests/test_privacy.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nps_analysis as nps
from nps_analysis import datasets
from nps_analysis.report.runner import run_notebook
from nps_analysis.sources.privacy import personal_data_finder

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.notebook

FIRST = ["Ingrid", "Mohammed", "Svetlana", "Björn", "Aaliyah", "Tomasz"]
LAST = ["Halvorsen", "Okonkwo", "Petrovna", "Lindqvist", "Washington", "Kowalczyk"]


def _with_personal_data(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    rng = np.random.default_rng(8)
    n = len(frame)
    first = rng.choice(FIRST, n)
    last = rng.choice(LAST, n)
    names = [f"{a} {b}" for a, b in zip(first, last, strict=True)]
    emails = [f"{a.lower()}.{b.lower()}{i}@example.org" for i, (a, b) in enumerate(zip(first, last, strict=True))]
    phones = [f"+47 4{i % 100:02d} {rng.integers(10, 99)} {rng.integers(100, 999)}" for i in range(n)]
    out = frame.copy()
    out["customer_name"] = names
    out["email"] = emails
    out["phone"] = phones
    out["note"] = [f"call back at {e}" for e in emails]
    return out, sorted(set(names) | set(emails) | set(phones))


def _scan(run_dir: Path, values: list[str]) -> dict[str, list[str]]:
    find = personal_data_finder(values)
    leaks = {}
    for path in run_dir.rglob("*"):
        if path.is_file() and path.suffix in {".html", ".json", ".yaml", ".log", ".ipynb", ".csv", ".md"}:
            hits = find(path.read_text(encoding="utf-8", errors="replace"))
            if hits:
                leaks[path.name] = hits[:5]
    return leaks


@pytest.mark.parametrize(
    ("notebook", "sample", "params"),
    [
        ("experiment.ipynb", "experiment", {}),
        ("rollback_decision.ipynb", "monitoring", {}),
        ("drivers.ipynb", "drivers", {
            "driver_columns": ["speed", "staff", "product", "price", "billing", "ease"],
            "comment_column": "note", "time_column": "submitted_at", "team_column": "team",
            "n_resamples": 50, "n_themes": 3,
        }),
    ],
)
def test_no_personal_data_in_any_default_output(tmp_path, notebook, sample, params):
    frame = nps.load(datasets.sample_path(sample))
    frame.attrs = {}
    data, values = _with_personal_data(frame)
    path = tmp_path / f"{sample}_with_people.csv"
    data.to_csv(path, index=False)
    result = run_notebook(ROOT / "notebooks" / notebook, {"data_path": str(path), **params},
                          output_dir=tmp_path / "reports", progress=False, cwd=tmp_path)
    assert result.ok, nps.read_results(result.run_dir).get("error")
    assert _scan(Path(result.run_dir), values) == {}
    # the scan can fail: the input itself is full of these values
    assert _scan(tmp_path, values)


def test_no_personal_data_in_the_survey_gap_report(tmp_path):
    values: list[str] = []
    paths = {}
    for side in ("company", "customers"):
        frame = nps.load(datasets.sample_path(f"gap_{side}"))
        frame.attrs = {}
        items = [c for c in frame.columns if c != "respondent"]
        data, found = _with_personal_data(frame)
        values += found
        paths[side] = tmp_path / f"gap_{side}_with_people.csv"
        data.to_csv(paths[side], index=False)
    params = {"company_path": str(paths["company"]), "customers_path": str(paths["customers"]), "items": items,
              "superior_item": "superior"}
    result = run_notebook(ROOT / "notebooks" / "survey_gap.ipynb", params,
                          output_dir=tmp_path / "reports", progress=False, cwd=tmp_path)
    assert result.ok, nps.read_results(result.run_dir).get("error")
    assert _scan(Path(result.run_dir), values) == {}
    assert _scan(tmp_path, values)
