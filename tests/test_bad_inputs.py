"""The corpus of bad inputs in tests/data/bad: each file gets exactly the behaviour MANIFEST.yaml states."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nps_analysis as nps
from nps_analysis.cli import main
from nps_analysis.sources.load import source_rows

BAD = Path(__file__).parent / "data" / "bad"
CASES = yaml.safe_load((BAD / "MANIFEST.yaml").read_text(encoding="utf-8"))


def _case_id(case):
    return f"{case['file']}-{'error' if 'error' in case else 'ok'}-{case['load'].get('on_invalid', 'error')}"


def test_every_corpus_file_has_an_expectation():
    listed = {case["file"] for case in CASES}
    present = {p.name for p in BAD.iterdir() if p.name != "MANIFEST.yaml"}
    assert present == listed


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_bad_input_gets_its_stated_behaviour(case, tmp_path):
    kwargs = dict(case["load"])
    if kwargs.get("on_invalid") == "quarantine":
        kwargs["quarantine_path"] = tmp_path / "quarantine.csv"
    path = BAD / case["file"]
    if "error" in case:
        with pytest.raises(nps.NPSInputError) as info:
            nps.load(path, **kwargs)
        for piece in case["error"]:
            assert piece in str(info.value), f"{piece!r} not in {info.value}"
        return
    frame = nps.load(path, **kwargs)
    report = nps.load_report(frame)
    expected = case["ok"]
    for key in ("rows_kept", "quarantined", "header_rows_skipped", "labels_mapped", "format"):
        if key in expected:
            assert getattr(report, key) == expected[key], key
    score = kwargs["score"]
    if "scores" in expected:
        assert frame[score].tolist() == [float(s) for s in expected["scores"]]
    if "columns" in expected:
        assert list(frame.columns) == expected["columns"]
    if "first_row" in expected:
        assert source_rows(frame)[0] == expected["first_row"]
    if "groups" in expected:
        table = nps.counts(frame, score, by="region").set_index("region")["n"].to_dict()
        assert table == expected["groups"]
    if expected.get("quarantined"):
        bad = (tmp_path / "quarantine.csv").read_text(encoding="utf-8").splitlines()
        assert len(bad) == 1 + expected["quarantined"]  # header + one line per quarantined row


@pytest.mark.parametrize("case", [c for c in CASES if "error" in c], ids=_case_id)
def test_cli_turns_every_bad_input_into_one_line_and_exit_2(case, capsys):
    load = case["load"]
    argv = ["score", str(BAD / case["file"]), "--score", load["score"]]
    if load.get("sep"):
        argv += ["--delimiter", load["sep"]]
    if load.get("group_column"):
        argv = ["compare", *argv[1:], "--group", load["group_column"], "--treatment", "A", "--control", "B"]
    if load.get("id_column"):
        argv += ["--id", load["id_column"]]
    code = main(argv)
    _, err = capsys.readouterr()
    assert code == 2 and err.startswith("nps-analysis: error: ") and "Traceback" not in err


cells = st.one_of(
    st.integers(-3, 14).map(str),
    st.sampled_from(["", " ", "9.5", "7,5", "NA", "10 - Extremely likely", "x", "1e1", '"', "\u00e9", "\u6771"]),
    st.text(alphabet=string.printable + "\u00e9\u00fc\u6771", max_size=6),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    header=st.sampled_from(["id,arm,score", "id;arm;score", "arm\tscore", "score", "id,arm"]),
    rows=st.lists(st.lists(cells, min_size=1, max_size=4), max_size=8),
    sep=st.sampled_from([",", ";", "\t"]),
    bom=st.booleans(),
    on_invalid=st.sampled_from(["error", "quarantine"]),
    labels=st.booleans(),
)
def test_loader_fuzz_returns_validated_data_or_raises_its_own_error(tmp_path, header, rows, sep, bom, on_invalid, labels):
    text = header + "\n" + "\n".join(sep.join(r) for r in rows) + "\n"
    path = tmp_path / "fuzz.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    try:
        frame = nps.load(path, score="score", on_invalid=on_invalid, score_labels=labels, quarantine_path=tmp_path / "q.csv")
    except nps.NPSInputError:
        return
    values = frame["score"].dropna()
    assert ((values >= 0) & (values <= 10) & (values == values.round())).all()
    report = nps.load_report(frame)
    # Issue 12: rows read counts skipped header rows too, so nothing can vanish between them.
    assert report.rows_kept + report.quarantined + report.header_rows_skipped == report.rows_read
    assert report.rows_kept == len(frame)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=300))
def test_loader_fuzz_on_arbitrary_bytes(tmp_path, content):
    path = tmp_path / "bytes.csv"
    path.write_bytes(content)
    try:
        nps.load(path, score="score")
    except nps.NPSInputError:
        pass
