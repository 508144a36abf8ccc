"""Issue 13: every output of every notebook is scanned for each hard privacy case.

The cases: a name that appears only in a comment (known from the roster), the same customer name in
another Unicode normalisation (NFD) and case, an e-mail written ``name dot x at example dot com``
and with a full-width ``＠``, a phone written ``+1 555 - 010 - 4477``; and a money amount
(``£1000000``) that must stay readable, not be masked as a phone.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pandas as pd
import pytest

import nps_analysis as nps
from nps_analysis import datasets
from nps_analysis.report.runner import run_notebook

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.notebook

ROSTER_ONLY = "Philippa Quennell"          # in no column at all: only the roster knows it
CUSTOMER = "Zoë Ångström"                  # a customer_name; the comment writes it NFD and upper case
SPELLED = "zoe dot angstrom at example dot com"
FULLWIDTH = "zoe.a＠example.com"
PHONE = "+1 555 - 010 - 4477"
MONEY = "£1000000"

# What must never appear in any output, each with the forms a reader would recognise.
LEAKS = {
    "roster name only in a comment": [ROSTER_ONLY, "Quennell", "quennell"],
    "customer name in NFD / upper case": [CUSTOMER, unicodedata.normalize("NFD", CUSTOMER).upper(),
                                          "ÅNGSTRÖM", "Ångström", "angstrom dot"],
    "spelled-out e-mail": [SPELLED, "angstrom at example"],
    "full-width e-mail": [FULLWIDTH, "zoe.a@example.com"],
    "spaced phone": [PHONE, "555 - 010 - 4477", "5550104477", "555-010-4477"],
}


def _hostile_responses(tmp_path: Path) -> tuple[Path, Path]:
    frame = nps.load(datasets.sample_path("loop_responses"))
    frame.attrs = {}
    frame = frame.copy()
    # Recent detractors in every team, so the comments reach the queue, the alerts and the report.
    recent = frame.sort_values("submitted_at").tail(12).index
    comment = (f"{unicodedata.normalize('NFD', CUSTOMER).upper()} here. {ROSTER_ONLY} at the desk promised "
               f"{MONEY} back. Write to {SPELLED} or {FULLWIDTH}, call {PHONE}. cancel my account")
    frame.loc[recent, "comment"] = comment
    frame.loc[recent, "score"] = 2
    frame.loc[recent[:1], "customer_name"] = CUSTOMER
    path = tmp_path / "responses.csv"
    frame.to_csv(path, index=False)
    roster = tmp_path / "roster.txt"
    roster.write_text(f"{ROSTER_ONLY}\nSomebody Else\n", encoding="utf-8")
    return path, roster


def _outputs(run_dir: Path) -> dict[str, str]:
    return {
        p.name: p.read_text(encoding="utf-8", errors="replace")
        for p in run_dir.rglob("*")
        if p.is_file() and p.suffix in {".html", ".json", ".yaml", ".log", ".ipynb", ".csv", ".md", ".eml"}
    }


def _leaks(files: dict[str, str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, text in files.items():
        folded = unicodedata.normalize("NFKC", text).casefold()
        for case, forms in LEAKS.items():
            for form in forms:
                if unicodedata.normalize("NFKC", form).casefold() in folded:
                    found.setdefault(case, []).append(f"{name}: {form!r}")
    return found


@pytest.mark.parametrize("notebook", ["weekly_tracking", "closed_loop"])
def test_no_privacy_case_leaks_from_any_output(tmp_path, notebook):
    data, roster = _hostile_responses(tmp_path)
    # A user's own file: the columns are named (the bundled run fills them in itself).
    params = {"data_path": str(data), "roster_path": str(roster), "team_column": "team", "comment_column": "comment",
              "id_column": "response_id", "customer_column": "customer_id", "timezone_column": "timezone"}
    if notebook == "weekly_tracking":
        params.update(key_account_column="account_tier")
    if notebook == "closed_loop":
        params.update(holdout_column="followup_arm")
        params.update(log_path=str(datasets.sample_path("loop_followups")),
                      root_causes_path=str(datasets.sample_path("loop_root_causes")))
    result = run_notebook(ROOT / "notebooks" / f"{notebook}.ipynb", params, output_dir=tmp_path / "reports",
                          progress=False, cwd=tmp_path)
    assert result.ok, nps.read_results(result.run_dir).get("error")
    files = _outputs(Path(result.run_dir))
    assert _leaks(files) == {}
    # The comments are in the outputs (masked), and the money amount in them stays readable.
    assert any(MONEY in text for text in files.values()), "the hostile comments never reached an output"
    # The scan can fail: the input holds every case.
    assert set(_leaks({"input": data.read_text(encoding="utf-8")})) == set(LEAKS)


def test_roster_names_and_cases_are_masked_by_mask_personal():
    frame = pd.DataFrame({"customer_name": [CUSTOMER], "comment": [
        f"{unicodedata.normalize('NFD', CUSTOMER).upper()} and {ROSTER_ONLY}: {SPELLED}, {FULLWIDTH}, {PHONE}, {MONEY}"]})
    out = nps.mask_personal(frame, roster=[ROSTER_ONLY])
    assert out["comment"][0] == "[name] and [name]: [email], [email], [phone], £1000000"


def _with_cases(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["customer_name"] = [CUSTOMER if i % 2 else "Somebody Else" for i in range(len(out))]
    out["comment"] = (f"{unicodedata.normalize('NFD', CUSTOMER).upper()} / {ROSTER_ONLY}: {SPELLED}, {FULLWIDTH}, "
                      f"{PHONE}, {MONEY}")
    return out


@pytest.mark.parametrize(
    ("notebook", "samples"),
    [("experiment", {"data_path": "experiment"}), ("rollback_decision", {"data_path": "monitoring"}),
     ("survey_gap", {"company_path": "gap_company", "customers_path": "gap_customers"})],
)
def test_no_privacy_case_leaks_from_the_other_notebooks(tmp_path, notebook, samples):
    params = {}
    for param, sample in samples.items():
        frame = nps.load(datasets.sample_path(sample))
        frame.attrs = {}
        path = tmp_path / f"{sample}.csv"
        _with_cases(frame).to_csv(path, index=False)
        params[param] = str(path)
    if notebook == "survey_gap":
        items = [c for c in nps.load(datasets.sample_path("gap_company")).columns if c != "respondent"]
        params.update(items=items, superior_item="superior")
    result = run_notebook(ROOT / "notebooks" / f"{notebook}.ipynb", params, output_dir=tmp_path / "reports",
                          progress=False, cwd=tmp_path)
    assert result.ok, nps.read_results(result.run_dir).get("error")
    assert _leaks(_outputs(Path(result.run_dir))) == {}
