"""The command line: contracts of the JSON output, exit codes, one-line errors."""

from __future__ import annotations

import json

import pytest

import nps_analysis as nps
from nps_analysis.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


CSV = "arm,region,score\nA,N,10\nA,N,9\nA,S,3\nA,S,7\nB,N,6\nB,N,9\nB,S,8\nB,S,\n"


def test_score_json_contract_per_group(capsys, write_file):
    path = write_file("s.csv", CSV)
    code, out, _ = run(capsys, "score", path, "--score", "score", "--by", "arm", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert [d["group"] for d in data] == [{"arm": "A"}, {"arm": "B"}]
    a = data[0]
    assert set(a) == {"group", "n", "detractors", "passives", "promoters", "nps", "ci_lower", "ci_upper", "method", "confidence_level"}
    assert (a["n"], a["detractors"], a["passives"], a["promoters"]) == (4, 1, 1, 2)
    assert a["nps"] == pytest.approx(25.0)
    # B: the empty answer is not a response
    assert data[1]["n"] == 3 and data[1]["nps"] == pytest.approx(0.0)
    ci = nps.nps_interval(nps.NPSCounts(1, 1, 2))
    assert (a["ci_lower"], a["ci_upper"]) == (pytest.approx(ci.ci_lower), pytest.approx(ci.ci_upper))
    assert a["method"] == "adjusted-wald" and a["confidence_level"] == 0.95


def test_score_without_by_has_empty_group(capsys, write_file):
    path = write_file("s.csv", CSV)
    code, out, _ = run(capsys, "score", path, "--score", "score", "--format", "json", "--method", "wald", "--confidence-level", "0.9")
    data = json.loads(out)
    assert code == 0 and len(data) == 1 and data[0]["group"] == {} and data[0]["n"] == 7
    ci = nps.nps_interval(nps.NPSCounts(2, 2, 3), method="wald", confidence_level=0.9)
    assert data[0]["ci_lower"] == pytest.approx(ci.ci_lower)


def test_score_csv_and_table_formats(capsys, write_file):
    path = write_file("s.csv", CSV)
    code, out, _ = run(capsys, "score", path, "--score", "score", "--by", "arm", "--by", "region", "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("arm,region,n,detractors")
    assert len(out.splitlines()) == 5
    code, out, _ = run(capsys, "score", path, "--score", "score", "--by", "arm")
    assert code == 0 and "nps" in out and "A" in out


def test_missing_column_is_one_line_and_exit_2(capsys, write_file):
    path = write_file("s.csv", CSV)
    code, out, err = run(capsys, "score", path, "--score", "nps_score")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "missing column 'nps_score'" in err and "'arm'" in err


def test_invalid_scores_error_and_quarantine(capsys, write_file, tmp_path):
    path = write_file("bad.csv", "arm,score\nA,9\nA,9.5\nB,x\nB,10\n")
    code, _, err = run(capsys, "score", path, "--score", "score")
    assert code == 2 and "2 invalid" in err and "row 3: '9.5'" in err and "row 4: 'x'" in err
    qfile = tmp_path / "q.csv"
    code, out, err = run(capsys, "score", path, "--score", "score", "--on-invalid", "quarantine", "--quarantine-file", str(qfile), "--format", "json")
    assert code == 0 and json.loads(out)[0]["n"] == 2 and qfile.exists()
    assert "2 quarantined" in err


def test_unreadable_file_is_not_a_traceback(capsys, tmp_path):
    code, _, err = run(capsys, "score", str(tmp_path / "missing.csv"), "--score", "s")
    assert code == 2 and "Traceback" not in err and "no such file" in err
