"""Issue 13 proof: every notebook's report reads like a report, in a browser at 1280 px and as PDF.

All five notebooks run once on their bundled samples through a two-job schedule. Each report must
show no raw Python (``PosixPath(``, ``Inputs(``, ``{'``), no ``NaN``/``None``, no number with four
or more decimals, no duplicated section, and no table wider than the page at 1280 px (headless
Chromium). Each run writes ``report.pdf``, records a one-line ``headline`` that ``index.html``
shows beside its status, and writes its files 0644.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from nps_analysis.report.quality import report_problems
from nps_analysis.report.schedule import run_schedule

from .browser import chromium, require_browser

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ["experiment", "rollback_decision", "survey_gap", "weekly_tracking", "closed_loop", "drivers"]
pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("readable")
    schedule = tmp / "schedule.yaml"
    schedule.write_text(
        "output_dir: reports\nruns:\n"
        + "".join(f"  - notebook: {ROOT / 'notebooks' / f'{name}.ipynb'}\n" for name in NOTEBOOKS),
        encoding="utf-8",
    )
    result = run_schedule(schedule, jobs=2, progress=False)
    assert result.ok, result.summary()
    return {r.notebook.stem: r for r in result.runs}, tmp / "reports"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_report_has_no_raw_python_nan_long_decimals_or_repeated_sections(runs, name):
    run = runs[0][name]
    assert report_problems(run.report.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_run_writes_a_pdf_a_headline_and_shareable_files(runs, name):
    run = runs[0][name]
    pdf = run.run_dir / "report.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    headline = json.loads(run.results_path.read_text(encoding="utf-8"))["headline"]
    assert isinstance(headline, str) and 20 < len(headline) < 400
    for path in run.run_dir.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path.name
    assert stat.S_IMODE(run.run_dir.stat().st_mode) == 0o755


def test_headlines_say_what_each_run_found(runs):
    by_name = {n: json.loads(r.results_path.read_text(encoding="utf-8")) for n, r in runs[0].items()}
    assert by_name["rollback_decision"]["headline"].startswith("ROLL_BACK: ")
    assert "alerts" in by_name["weekly_tracking"]["headline"] and "changed significantly" in by_name["weekly_tracking"]["headline"]
    assert "self-assessment total 26.47: adequate" in by_name["survey_gap"]["headline"]
    assert "detractors" in by_name["closed_loop"]["headline"]
    experiment = by_name["experiment"]
    assert experiment["primary"] == "adjusted"
    first = experiment["effects"][0]
    assert {"primary", "unadjusted", "adjusted", "primary_estimate"} <= set(first)
    # The declared (adjusted) analysis decides: treatment_a is significant, as the headline says.
    assert first["primary_estimate"]["significant"] is True
    assert "treatment_a +7.9 points" in experiment["headline"]
    assert "Primary analysis (declared before the data: adjusted" in experiment["conclusion"]


def test_index_shows_status_and_headline_of_every_run(runs):
    index = (runs[1] / "index.html").read_text(encoding="utf-8")
    assert index.count('<tr class="ok">') == len(NOTEBOOKS)
    assert '<strong class="verdict roll_back">ROLL_BACK</strong>' in index
    for run in runs[0].values():
        assert f"{run.run_dir.name}/report.pdf" in index


def test_no_table_is_wider_than_the_page_at_1280_px(runs):
    require_browser()
    overflow = {}
    with chromium(width=1280, height=1000) as driver:
        for name, run in runs[0].items():
            driver.get(run.report.resolve().as_uri())
            wide = driver.execute_script(
                """
                const page = document.documentElement.clientWidth;
                return Array.from(document.querySelectorAll('table')).filter(t => {
                  const r = t.getBoundingClientRect();
                  return r.right > page + 1 || r.width > t.parentElement.getBoundingClientRect().width + 1;
                }).map(t => (t.innerText || '').slice(0, 80));
                """
            )
            if wide:
                overflow[name] = wide
    assert overflow == {}
