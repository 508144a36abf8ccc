"""Issue 19.4: inputs that explode are refused quickly with a clear error, before any run starts.

YAML alias bombs, oversized parameters, non-finite numbers and undecodable command-line bytes.
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest

import nps_analysis as nps
from nps_analysis.cli import main
from nps_analysis.report.parameters import (
    MAX_PARAMETER_SIZE,
    ParameterError,
    load_parameters_file,
    parse_parameters_source,
    safe_yaml_load,
)
from nps_analysis.report.schedule import plan_schedule

PARAMS = (
    'x: float = 1.0  # a number\n'
    'name: str = ""  # a name\n'
    'names: list[str] = []  # some names\n'
    'ceiling: float = 1e400  # no ceiling by default (infinite)\n'
)


def yaml_bomb(depth: int) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, depth + 1):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    lines.append(f"x: *a{depth}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def notebook(tmp_path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(PARAMS)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell("y = x * 2")]
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize("depth", [7, 8, 12])
def test_a_yaml_alias_bomb_is_refused_at_once(depth, tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text(yaml_bomb(depth))
    assert len(path.read_bytes()) < 3000
    start = time.perf_counter()
    with pytest.raises(nps.NPSInputError, match="aliases|expands"):
        load_parameters_file(path)
    schedule = tmp_path / "schedule.yaml"
    schedule.write_text(yaml_bomb(depth) + "runs: [{notebook: x.ipynb}]\n")
    with pytest.raises(nps.NPSInputError, match="aliases|expands"):
        plan_schedule(schedule)
    assert time.perf_counter() - start < 2.0


def test_a_few_plain_aliases_still_work():
    assert safe_yaml_load("a: &a [1, 2]\nb: *a\n") == {"a": [1, 2], "b": [1, 2]}


def test_a_list_parameter_given_as_yaml_with_a_bomb_is_refused():
    params = parse_parameters_source(PARAMS)
    parts = ["&a0 [1, 2, 3, 4, 5, 6, 7, 8, 9]"]
    parts += [f"&a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    flow = "[" + ", ".join(parts) + "]"  # one line, 9^9 values once expanded
    with pytest.raises(ParameterError, match="aliases|expands"):
        params["names"].convert(flow)


def test_an_oversized_parameter_is_refused_without_echoing_it(notebook, tmp_path, capsys):
    big = "x" * (MAX_PARAMETER_SIZE + 1)
    out = tmp_path / "reports"
    code = main(["run", str(notebook), "-p", "name", big, "--output-dir", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "larger than" in err and len(err) < 2000
    assert not out.exists() or not any(out.rglob("executed.ipynb"))
    params = parse_parameters_source(PARAMS)
    with pytest.raises(ParameterError, match="larger than"):
        params["names"].convert(["a"] * (MAX_PARAMETER_SIZE + 1))


@pytest.mark.parametrize("value", ["inf", "-inf", "1e400", "Infinity", "nan"])
def test_non_finite_numbers_are_refused_unless_the_default_is_infinite(value):
    params = parse_parameters_source(PARAMS)
    with pytest.raises(ParameterError):
        params["x"].convert(value)
    with pytest.raises(ParameterError):
        params["x"].convert(float(value))
    if value != "nan":
        assert params["ceiling"].convert(value) in (float("inf"), float("-inf"))


def test_undecodable_command_line_bytes_give_a_clear_error_and_no_run_folder(notebook, tmp_path, capsys):
    out = tmp_path / "reports"
    bad = b"caf\xe9".decode("utf-8", "surrogateescape")  # what Python makes of Latin-1 argv bytes
    code = main(["run", str(notebook), "-p", "name", bad, "--output-dir", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "not valid UTF-8" in err
    assert not out.exists() or not any(p.is_dir() for p in out.rglob("*") if p.name != "index.html")


@pytest.mark.parametrize("where", ["early", "late"])
def test_a_nul_byte_is_refused_the_same_way_wherever_it_is(tmp_path, where):
    rows = [f"r{i},{i % 11}" for i in range(2000)]
    at = 3 if where == "early" else 1800  # line 5 is within the first 4 KiB, line 1802 far past it
    rows[at] = rows[at] + "\x00"
    path = tmp_path / "answers.csv"
    path.write_bytes(("id,score\n" + "\n".join(rows) + "\n").encode())
    with pytest.raises(nps.NPSInputError, match=rf"NUL byte at line {at + 2}"):
        nps.load(path, score="score")


def test_a_megabyte_label_does_not_slow_a_chart(tmp_path):
    """Issue 19.2: a 30 KB segment label cost 25 s to save a chart, a 1 MB one over 250 s."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    label = "segment " * 131_072  # 1 MiB
    fig, axes = plt.subplots(1, 2, layout="constrained")
    axes[0].barh([label, "short"], [3, 4])  # a categorical axis
    axes[1].plot([0, 1], [0, 1], label=label)
    axes[1].set_yticks([0, 1], labels=[label, "b"])  # fixed tick labels
    axes[1].legend()
    fig.suptitle(label)
    start = time.perf_counter()
    nps.save_figure(fig, tmp_path / "chart.png")
    assert time.perf_counter() - start < 5
    shown = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    assert max(map(len, shown)) <= 60 and any(s.endswith("\u2026") for s in shown)
    plt.close(fig)
