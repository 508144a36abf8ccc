"""Tests of the report runner: parameter introspection and conversion, run folders, failures,
schedules and the index. Kernel-starting tests use tiny notebooks built here (a few seconds each)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import nbformat
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from nps_analysis.cli import main as cli_main
from nps_analysis.report import html as report_html
from nps_analysis.report import index as run_index
from nps_analysis.report import parameters as run_parameters
from nps_analysis.report import runner
from nps_analysis.report.parameters import ParameterError, convert_value, parse_parameters_source
from nps_analysis.report.runner import check_parameters, notebook_parameters, run_notebook
from nps_analysis.report.schedule import plan_schedule
from nps_analysis.sources.errors import NPSInputError

PARAMS = '''\
x: float = 1.0  # a number
n: int = 3  # how many
flag: bool = False  # a switch
names: list[str] = ["a", "b"]  # labels
weights: dict[str, float] = {}  # label -> weight
maybe: float | None = None  # optional threshold
mode: str = "ok"  # ok, fail, sleep or die
output_dir: str = "."  # where files go
'''

BODY = [
    "import nps_analysis as nps\nnps.record('x2', x * 2)\nnps.record('names', names)",
    "if mode == 'fail':\n    raise ZeroDivisionError('planned failure')\n"
    "if mode == 'sleep':\n    import time; time.sleep(60)\n"
    "if mode == 'die':\n    import os; os._exit(1)",
    "nps.record('headline', {'x doubled': x * 2})\nprint('done')",
]


def make_notebook(path: Path, params: str = PARAMS, body: list[str] = BODY) -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Tiny report\nA test notebook."), cell]
    nb.cells += [nbformat.v4.new_code_cell(src) for src in body]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return make_notebook(tmp_path / "tiny.ipynb")


# ------------------------------------------------------------------------------------ introspection


def test_parameters_cell_is_parsed_with_types_defaults_and_comments():
    params = parse_parameters_source(PARAMS)
    assert list(params) == ["x", "n", "flag", "names", "weights", "maybe", "mode", "output_dir"]
    assert str(params["names"].type) == "list[str]" and params["names"].default == ["a", "b"]
    assert str(params["maybe"].type) == "float | None" and params["maybe"].default is None
    assert str(params["weights"].type) == "dict[str, float]"
    assert params["mode"].comment == "ok, fail, sleep or die"
    assert params["x"].annotation == "float"


def test_unannotated_parameter_gets_the_type_of_its_default():
    params = parse_parameters_source("alpha = 0.05\nlabels = ['a']\n")
    assert params["alpha"].annotation is None and str(params["alpha"].type) == "float"
    assert str(params["labels"].type) == "list[str]"


@pytest.mark.parametrize(
    "source",
    ["x: tuple = (1,)  # no", "x: float = 1 + 1  # not a literal", "import os", "x: float  # no default"],
)
def test_unsupported_parameter_lines_are_rejected(source):
    with pytest.raises(NPSInputError):
        parse_parameters_source(source)


def test_notebook_without_exactly_one_parameters_cell_is_rejected(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(nb, tmp_path / "none.ipynb")
    with pytest.raises(NPSInputError, match="exactly one code cell tagged 'parameters', found 0"):
        notebook_parameters(tmp_path / "none.ipynb")


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("x", "5", 5.0),
        ("x", 5, 5.0),
        ("n", "3", 3),
        ("n", "3.0", 3),
        ("n", 4.0, 4),
        ("flag", "yes", True),
        ("flag", "False", False),
        ("names", "North, South", ["North", "South"]),
        ("names", "[North, South]", ["North", "South"]),
        ("names", "", []),
        ("names", ["a"], ["a"]),
        ("weights", "a=0.5,b=0.25", {"a": 0.5, "b": 0.25}),
        ("weights", "{a: 0.5, b: 1}", {"a": 0.5, "b": 1.0}),
        ("maybe", "none", None),
        ("maybe", "2.5", 2.5),
        ("maybe", None, None),
        ("mode", "fail", "fail"),
    ],
)
def test_values_are_converted_to_the_declared_types(name, value, expected):
    declared = parse_parameters_source(PARAMS)
    out = check_parameters(declared, {name: value})
    assert out == {name: expected}
    assert type(out[name]) is type(expected)


@pytest.mark.parametrize(
    ("name", "value", "expected_type"),
    [("x", "abc", "float"), ("n", "2.5", "int"), ("flag", "maybe", "bool"), ("weights", "a", "dict[str, float]"),
     ("names", {"a": 1}, "list[str]"), ("x", True, "float"), ("mode", None, "str")],
)
def test_wrong_type_error_names_parameter_expected_type_and_value(name, value, expected_type):
    declared = parse_parameters_source(PARAMS)
    with pytest.raises(ParameterError) as info:
        check_parameters(declared, {name: value}, file="tiny.ipynb")
    message = str(info.value)
    assert f"parameter {name!r} expects {expected_type}" in message
    assert repr(value) in message
    assert message.startswith("tiny.ipynb")


def test_unknown_parameter_lists_the_known_ones_and_suggests_the_closest():
    declared = parse_parameters_source(PARAMS)
    with pytest.raises(ParameterError) as info:
        check_parameters(declared, {"nmaes": "a"})
    message = str(info.value)
    assert "unknown parameter 'nmaes' (did you mean 'names'?)" in message
    assert "x, n, flag, names, weights, maybe, mode, output_dir" in message


@given(st.floats(allow_nan=False, allow_infinity=False))  # infinity is refused (issue 19)
def test_float_strings_round_trip(value):
    assert convert_value(repr(value), run_parameters.ParamType("float")) == value


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_int_strings_round_trip(value):
    assert convert_value(str(value), run_parameters.ParamType("int")) == value


_token = st.text(st.characters(whitelist_categories=("L", "N"), whitelist_characters="_-."), min_size=1, max_size=8)


@given(st.lists(_token, max_size=5))
def test_comma_separated_lists_round_trip(items):
    typ = run_parameters.ParamType("list", (run_parameters.ParamType("str"),))
    assert convert_value(",".join(items), typ) == items


@given(st.text(max_size=20))
def test_conversion_either_succeeds_or_raises_a_mismatch(text):
    for typ in ("float", "int", "bool"):
        try:
            out = convert_value(text, run_parameters.ParamType(typ))
        except run_parameters._Mismatch:
            continue
        assert isinstance(out, {"float": float, "int": int, "bool": bool}[typ])
        if typ == "float":
            assert not math.isnan(out)


# ------------------------------------------------------------------------ rejected before running


def test_bad_parameter_is_rejected_before_anything_is_created(tiny, tmp_path):
    out = tmp_path / "reports"
    with pytest.raises(ParameterError, match="parameter 'x' expects float"):
        run_notebook(tiny, {"x": "ten"}, output_dir=out)
    assert not out.exists()
    code = cli_main(["run", str(tiny), "-p", "bogus", "1", "--output-dir", str(out)])
    assert code == 2
    assert not out.exists()


def test_existing_run_folder_is_never_reused(tiny, tmp_path):
    (tmp_path / "reports" / "tiny" / "r1").mkdir(parents=True)
    with pytest.raises(NPSInputError, match="never overwritten"):
        run_notebook(tiny, output_dir=tmp_path / "reports", run_id="r1")
    with pytest.raises(NPSInputError, match="run id"):
        run_notebook(tiny, output_dir=tmp_path / "reports", run_id="../escape")


def test_run_ids_are_unique_and_sortable_by_time():
    import datetime as dt

    early = runner.new_run_id(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    late = runner.new_run_id(dt.datetime(2026, 1, 2, tzinfo=dt.UTC))
    assert early < late and early.startswith("20260101T000000Z-")
    assert len({runner.new_run_id() for _ in range(200)}) == 200


def test_schedule_is_expanded_and_fully_checked_before_any_run(tiny, tmp_path):
    schedule = tmp_path / "schedule.yaml"
    schedule.write_text(
        yaml.safe_dump(
            {
                "parameters": {"n": 7, "not_in_tiny_is_ignored_when_shared": 1},
                "runs": [
                    {"notebook": "tiny.ipynb", "parameters": {"x": 2}, "each": [{"mode": "ok"}, {"names": "p,q"}]},
                    {"notebook": "tiny.ipynb", "timeout": 5},
                ],
            }
        )
    )
    planned, out, base = plan_schedule(schedule)
    assert [p.parameters for p in planned] == [
        {"n": 7, "x": 2.0, "mode": "ok"},
        {"n": 7, "x": 2.0, "names": ["p", "q"]},
        {"n": 7},
    ]
    assert planned[2].timeout == 5.0 and out == tmp_path / "reports" and base == tmp_path
    schedule.write_text(yaml.safe_dump({"runs": [{"notebook": "tiny.ipynb"}, {"notebook": "tiny.ipynb", "parameters": {"x": "y"}}]}))
    with pytest.raises(ParameterError, match=r"runs\[1\]: .*parameter 'x' expects float"):
        plan_schedule(schedule)
    assert cli_main(["run", "--schedule", str(schedule)]) == 2
    assert not (tmp_path / "reports").exists()


# ---------------------------------------------------------------------------- index and report


def _fake_run(root: Path, notebook: str, run_id: str, started: str, status: str, **extra) -> None:
    run = {"started_at": started, "duration_seconds": 1.5, "parameters_given": {"subset": {"region": run_id}}}
    data = {"status": status, "parameters": {}, "run": run, **extra}
    runner.write_json_atomic(root / notebook / run_id / "results.json", data)


def test_index_lists_every_run_newest_first_with_status_and_headline(tmp_path):
    _fake_run(tmp_path, "experiment", "a", "2026-01-01T10:00:00Z", "ok", headline={"treatment_a - control": "+7.9"})
    _fake_run(tmp_path, "experiment", "b", "2026-01-03T10:00:00Z", "failed",
              error={"type": "KeyError", "message": "'score'"})
    _fake_run(tmp_path, "other", "c", "2026-01-02T10:00:00Z", "ok", srm_pvalue=0.4321)
    runs = run_index.list_runs(tmp_path)
    assert [r["run_id"] for r in runs] == ["b", "c", "a"]
    assert runs[0]["headline"] == ["KeyError: 'score'"]
    assert runs[1]["headline"] == ["srm_pvalue: 0.4321"]
    page = run_index.write_index(tmp_path).read_text()
    assert page.index(">b<") < page.index(">c<") < page.index(">a<")
    assert "treatment_a - control: +7.9" in page and "3 run(s), 1 failed" in page
    assert "subset: {&#x27;region&#x27;: &#x27;a&#x27;}" in page


def test_report_notebook_drops_parameter_cells_and_puts_the_run_header_under_the_title(tiny):
    nb = nbformat.read(tiny, as_version=4)
    injected = nbformat.v4.new_code_cell("x = 5.0")
    injected.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(2, injected)
    nb.cells[3].outputs = [nbformat.v4.new_output("stream", name="stderr", text="a warning")]
    nb.cells[4].outputs = [nbformat.v4.new_output("stream", name="stdout", text="visible")]
    out = report_html.report_notebook(nb, {"status": "ok", "parameters": {"x": 5.0}, "run": {"run_id": "r"}})
    assert out.cells[0].source.startswith("# Tiny report")
    assert "nps-run" in out.cells[1].source and "<th>x</th><td>5.0</td>" in out.cells[1].source
    sources = [c.source for c in out.cells]
    assert "x = 5.0" not in sources and PARAMS not in sources
    assert len(out.cells) == 3  # title, header, the one cell with stdout output


# ------------------------------------------------------------------------------ runs with a kernel


@pytest.mark.notebook
def test_schedule_runs_on_after_a_failure_and_records_both(tiny, tmp_path):
    schedule = tmp_path / "schedule.yaml"
    schedule.write_text(
        yaml.safe_dump({"runs": [{"notebook": "tiny.ipynb", "each": [{"x": "2.5", "names": "p, q"}, {"mode": "fail"}]}]})
    )
    code = cli_main(["run", "--schedule", str(schedule), "--no-progress"])
    assert code == 1
    runs = sorted((tmp_path / "reports" / "tiny").iterdir())
    assert len(runs) == 2
    by_status = {}
    for run_dir in runs:
        assert {p.name for p in run_dir.iterdir()} == set(runner.RUN_FILES)
        results = json.loads((run_dir / "results.json").read_text())
        by_status[results["status"]] = (run_dir, results)
    ok_dir, ok = by_status["ok"]
    assert ok["x2"] == 5.0 and ok["names"] == ["p", "q"]
    assert ok["parameters"]["x"] == 2.5 and ok["parameters"]["output_dir"] == str(ok_dir.resolve())
    assert ok["headline"] == {"x doubled": 5.0}
    rerun = yaml.safe_load((ok_dir / "parameters.yaml").read_text())
    assert rerun == {"x": 2.5, "n": 3, "flag": False, "names": ["p", "q"], "weights": {}, "maybe": None, "mode": "ok"}
    report = (ok_dir / "report.html").read_text()
    assert "nps.record" not in report and "injected" not in report and "Tiny report" in report
    assert "done" in (ok_dir / "run.log").read_text()

    failed_dir, failed = by_status["failed"]
    assert failed["error"]["type"] == "ZeroDivisionError"
    assert failed["error"]["message"] == "planned failure"
    assert failed["error"]["cell_index"] == 3  # in the template: title, parameters, first body cell, this
    assert "raise ZeroDivisionError" in failed["error"]["cell_source"]
    assert failed["x2"] == 2.0  # what ran before the failure is kept
    executed = nbformat.read(failed_dir / "executed.ipynb", as_version=4)
    failing = [c for c in executed.cells if c.source == failed["error"]["cell_source"]]
    assert any(o.get("ename") == "ZeroDivisionError" for o in failing[0].outputs)
    assert failed["error"]["execution_count"] == failing[0].execution_count
    failed_report = (failed_dir / "report.html").read_text()
    assert "This run failed in cell 3" in failed_report
    assert "The run stopped here: ZeroDivisionError: planned failure" in failed_report
    assert "Traceback" not in failed_report and "x doubled" not in failed_report  # later cells left out

    index = (tmp_path / "reports" / "index.html").read_text()
    assert index.count('<tr class="ok">') == 1 and index.count('<tr class="failed">') == 1
    assert "ZeroDivisionError: planned failure" in index and "x doubled: 5" in index


@pytest.mark.notebook
@pytest.mark.parametrize(("mode", "kind"), [("sleep", "Timeout"), ("die", "DeadKernel")])
def test_timeout_and_dead_kernel_are_failed_runs(tiny, tmp_path, mode, kind):
    result = run_notebook(tiny, {"mode": mode}, output_dir=tmp_path / "reports", timeout=5, progress=False)
    assert not result.ok and result.exit_code == 1
    saved = json.loads(result.results_path.read_text())
    assert saved["status"] == "failed" and saved["error"]["type"] == kind
    assert saved["error"]["cell_index"] == 3
    assert saved["x2"] == 2.0
    assert result.executed.exists() and result.report.exists()
    assert result.duration < 30


@pytest.mark.notebook
def test_a_run_stopped_by_sigterm_is_recorded_as_failed(tiny, tmp_path):
    """A scheduler stopping the task (SIGTERM) gets a failed record and exit code 130."""
    import os
    import signal
    import threading
    import time

    def stop_when_sleeping() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            logs = list((tmp_path / "reports").glob("tiny/*/.run.log.partial"))
            if logs and "cell 3 (" in logs[0].read_text():
                time.sleep(1.0)  # let the 60-second cell start
                os.kill(os.getpid(), signal.SIGTERM)
                return
            time.sleep(0.2)

    watcher = threading.Thread(target=stop_when_sleeping, daemon=True)
    watcher.start()
    code = cli_main(["run", str(tiny), "-p", "mode", "sleep", "--output-dir", str(tmp_path / "reports"),
                        "--no-progress", "--timeout", "50"])
    watcher.join(5)
    assert code == 130
    (run_dir,) = (tmp_path / "reports" / "tiny").iterdir()
    saved = json.loads((run_dir / "results.json").read_text())
    assert saved["status"] == "failed" and saved["error"]["type"] == "Interrupted"
    assert "signal 15" in saved["error"]["message"] and saved["error"]["cell_index"] == 3
    assert (run_dir / "run.log").exists() and (run_dir / "executed.ipynb").exists()
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is removed again
