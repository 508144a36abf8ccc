"""Issue 19.6: error messages that quote row values mask personal data like every other output.

The probe's case: one malformed row (a missing field shifts the customer's name, e-mail and phone
into other columns) must not put that customer's details into stderr or any file of a run.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import nps_analysis as nps
from nps_analysis.cli import main
from nps_analysis.report.runner import run_notebook
from nps_analysis.sources.errors import describe_rows

ROOT = Path(__file__).resolve().parent.parent
NAME, EMAIL, PHONE = "Ingrid Solbakken", "ingrid.solbakken@example.com", "+47 412 34 567"


def malformed_export(tmp_path: Path) -> Path:
    """The bundled closed-loop responses with one row whose score holds its customer's contact."""
    frame = pd.read_csv(nps.datasets.sample_path("loop_responses"), dtype=str, keep_default_na=False)
    frame.loc[3, ["customer_name", "email", "phone"]] = [NAME, EMAIL, PHONE]
    frame.loc[3, "score"] = f"{NAME} {EMAIL} {PHONE}"  # what a shifted row looks like
    frame.loc[7, "score"] = PHONE
    path = tmp_path / "responses.csv"
    frame.to_csv(path, index=False)
    return path


def assert_clean(text: str, where: str) -> None:
    for secret in (NAME, "Ingrid", "Solbakken", EMAIL, PHONE, "412 34 567"):
        assert secret not in text, f"{secret!r} in {where}"


def test_the_invalid_score_error_masks_the_rows_it_quotes(tmp_path):
    with pytest.raises(nps.NPSInputError) as info:
        nps.load(malformed_export(tmp_path), score="score")
    assert "row 5" in str(info.value) and "[email]" in str(info.value)  # still says which rows
    assert_clean(str(info.value), "the error message")
    assert_clean(repr(info.value.rows), "the error's rows")


def test_described_rows_never_carry_contact_details():
    text = describe_rows([(2, f"call {EMAIL} or {PHONE}"), (3, "x" * 500)])
    assert_clean(text, "describe_rows")
    assert len(text) < 200


def test_the_cli_error_line_is_masked(tmp_path, capsys):
    code = main(["score", str(malformed_export(tmp_path)), "--score", "score"])
    err = capsys.readouterr().err
    assert code == 2 and "invalid" in err
    assert_clean(err, "stderr")


def test_no_run_file_carries_the_malformed_rows_personal_data(tmp_path):
    result = run_notebook(
        ROOT / "notebooks" / "weekly_tracking.ipynb", {"data_path": str(malformed_export(tmp_path))},
        output_dir=tmp_path / "reports", progress=False, cwd=tmp_path,
    )
    assert not result.ok
    files = [p for p in (tmp_path / "reports").rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"results.json", "report.html", "run.log", "index.html", "executed.ipynb"}
    for path in files:
        assert_clean(path.read_text(errors="replace"), str(path.relative_to(tmp_path)))
