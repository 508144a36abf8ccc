"""Notebook hygiene for every notebook in notebooks/, and the experiment notebook run end to end.

Hygiene: exactly one ``parameters`` cell, every parameter typed and commented with a default of its
type, ``output_dir`` declared, no stored outputs or execution counts, kernel ``python3``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import nbformat
import pytest

import nps_analysis as nps
from nps_analysis import datasets
from nps_analysis import experiment as ex
from nps_analysis.cli import main as cli_main
from nps_analysis.report import parameters as run_parameters
from nps_analysis.report import runner

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert any(p.name == "experiment.ipynb" for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_hygiene(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", "kernel must be python3"
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1 and tagged[0].cell_type == "code", "exactly one code cell tagged parameters"
    params = run_parameters.notebook_parameters(path)
    assert params, "the parameters cell declares no parameters"
    for p in params.values():
        assert p.annotation is not None, f"parameter {p.name!r} has no type annotation"
        assert p.comment, f"parameter {p.name!r} has no comment saying what it is"
        # The default must be a value of the declared type (conversion must not change it).
        assert p.convert(p.default) == p.default, f"default of {p.name!r} is not a {p.type}"
    assert "output_dir" in params and str(params["output_dir"].type) == "str"
    lines = [ln for ln in tagged[0].source.splitlines() if ln.strip()]
    assert len(lines) == len(params), "one parameter per line, nothing else in the parameters cell"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.get("outputs") == [], f"stored outputs in a cell: {cell.source[:60]!r}"
            assert cell.get("execution_count") is None, "stored execution count"
        assert "papermill" not in cell.get("metadata", {}), "papermill metadata left in the template"


@pytest.fixture(scope="module")
def small_experiment(tmp_path_factory) -> Path:
    """600 invited customers with unequal response rates (a loud flag must come up)."""
    frame = datasets.experiment_data(
        600, seed=7, response_rate={"control": 0.6, "treatment_a": 0.35, "treatment_b": 0.6}
    )
    return datasets.write_csv(frame, tmp_path_factory.mktemp("data") / "small.csv")


@pytest.mark.notebook
def test_experiment_notebook_records_what_the_package_computes(small_experiment, tmp_path):
    result = runner.run_notebook(
        ROOT / "notebooks" / "experiment.ipynb",
        {"data_path": str(small_experiment), "segment_columns": "region", "mde": "8", "invited_column": "invited",
         "responded_column": "responded", "covariate_columns": "prior_score"},
        output_dir=tmp_path / "reports",
        progress=False,
    )
    assert result.ok, result.error
    saved = nps.read_results(result.run_dir)
    assert saved["status"] == "ok"
    assert saved["parameters"]["segment_columns"] == ["region"] and saved["parameters"]["mde"] == 8.0

    frame = nps.load(small_experiment, score="score")
    arms = ex.arm_table(frame, score="score", group="arm", arms=["control", "treatment_a", "treatment_b"])
    direct = nps.counts(frame, "score", by="arm").set_index("arm")
    for rec in saved["arms"]:
        row = direct.loc[rec["group"]]
        assert (rec["n"], rec["detractors"], rec["passives"], rec["promoters"]) == (
            row["n"], row["detractors"], row["passives"], row["promoters"]
        )
        interval = nps.nps_interval(
            nps.NPSCounts(row["detractors"], row["passives"], row["promoters"]), method="adjusted-wald"
        )
        assert rec["nps"] == pytest.approx(interval.nps)
        assert (rec["ci_lower"], rec["ci_upper"]) == pytest.approx((interval.ci_lower, interval.ci_upper))
    assert [r["group"] for r in saved["arms"]] == list(arms["group"])

    many = nps.compare_many(frame, score="score", group="arm", control="control", covariates=["prior_score"],
                             method="adjusted-wald", missing_covariates="indicator")  # as the notebook runs it
    assert [e["treatment"] for e in saved["effects"]] == ["treatment_a", "treatment_b"]
    for rec in saved["effects"]:
        r = many.get(rec["treatment"])
        assert rec["control"] == "control" and rec["method"] == "adjusted-wald"
        assert rec["difference"] == pytest.approx(r.difference)
        assert (rec["ci_lower"], rec["ci_upper"]) == pytest.approx((r.ci_lower, r.ci_upper))
        assert rec["pvalue"] == pytest.approx(r.pvalue)
        assert rec["cuped"]["difference"] == pytest.approx(r.covariate_adjustment.difference)

    invited = frame["arm"].value_counts()
    from scipy.stats import chisquare

    assert saved["srm_pvalue"] == pytest.approx(chisquare(invited.to_numpy()).pvalue)
    assert saved["response_rates"]["unequal"] is True
    assert "response rates differ" in saved["conclusion"]
    assert saved["conclusion"].count("points versus control") == 2
    assert saved["power"][0]["mde"] == 8.0 and 0 < saved["power"][0]["power_at_mde"] < 1
    assert {s["segment"] for s in saved["segments"]} == {"region"}
    assert all(not (isinstance(v, float) and math.isnan(v)) for v in saved["srm"].values() if not isinstance(v, list))

    report = result.report.read_text()
    # five charts (NPS forest, categories, distribution, effects, segments), each with alt text
    assert report.count("<img ") == 5 and report.count(' alt="NPS per arm: control ') == 1
    assert "No description has been provided" not in report
    assert "import nps_analysis" not in report and "injected" not in report.lower()
    index = (tmp_path / "reports" / "index.html").read_text()
    assert "analysis (declared): treatment_a" in index  # the one-line headline (issue 13)


@pytest.mark.notebook
def test_experiment_notebook_on_bad_data_fails_with_a_record(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("respondent_id,group,score\nR1,control,9\nR2,treatment_a,7\n")  # no 'arm' column
    code = cli_main(["run", str(ROOT / "notebooks" / "experiment.ipynb"), "-p", "data_path", str(bad),
                        "--output-dir", str(tmp_path / "reports"), "--no-progress"])
    assert code == 1
    (run_dir,) = (tmp_path / "reports" / "experiment").iterdir()
    saved = json.loads((run_dir / "results.json").read_text())
    assert saved["status"] == "failed"
    assert saved["error"]["type"] == "NPSInputError" and "'arm'" in saved["error"]["message"]
    assert "load_experiment" in saved["error"]["cell_source"]
    assert (run_dir / "executed.ipynb").exists() and (run_dir / "report.html").exists()


def test_experiment_notebook_rejects_a_bad_parameter_before_running(tmp_path):
    code = cli_main(["run", str(ROOT / "notebooks" / "experiment.ipynb"), "-p", "mde", "five",
                        "--output-dir", str(tmp_path / "reports")])
    assert code == 2
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_plain_papermill_sees_every_parameter_of_every_notebook(path):
    """papermill skips parameter lines with a second '=' (e.g. in the comment): it would warn
    "Passed unknown parameter" and leave the parameter out of --help-notebook."""
    from papermill.inspection import _infer_parameters
    from papermill.iorw import load_notebook_node

    inferred = {p.name: p for p in _infer_parameters(load_notebook_node(str(path)))}
    declared = run_parameters.notebook_parameters(path)
    assert list(inferred) == list(declared)
    assert all(inferred[n].help == p.comment for n, p in declared.items())


def test_experiment_notebook_takes_a_sql_query_as_its_source(tmp_path):
    """Issue 7: a notebook's source may be a DuckDB query (its own parameter since issue 19); DuckDB
    filters before pandas sees rows."""
    pytest.importorskip("duckdb")
    parquet = tmp_path / "experiment.parquet"
    sample = nps.load(datasets.sample_path("experiment"))
    sample.to_parquet(parquet)
    query = f"SELECT * FROM read_parquet('{parquet}') WHERE region = 'West'"
    result = runner.run_notebook(
        ROOT / "notebooks" / "experiment.ipynb",
        {"query": query, "segment_columns": ["plan"], "covariate_columns": []},
        output_dir=tmp_path / "reports", progress=False, cwd=tmp_path,
    )
    assert result.ok, nps.read_results(result.run_dir).get("error")
    saved = nps.read_results(result.run_dir)
    west = sample[sample["region"] == "West"]
    expected = nps.counts(west.assign(score=west["score"].astype(float)), "score", by="arm").set_index("arm")
    assert {a["group"]: a["n"] for a in saved["arms"]} == expected["n"].to_dict()
    assert saved["data_check"]["rows_read"] == len(west)
