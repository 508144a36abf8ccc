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
    assert a["method"] == "score-cc" and a["confidence_level"] == 0.95  # the library's default


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


def test_compare_json_contract(capsys, write_file):
    rows = ["arm,score"] + [f"T,{s}" for s in [10, 9, 9, 8, 6, 10, 7]] + [f"C,{s}" for s in [3, 9, 6, 8, 7, 10, 5]]
    path = write_file("c.csv", "\n".join(rows) + "\n")
    code, out, _ = run(capsys, "compare", path, "--score", "score", "--group", "arm", "--treatment", "T", "--control", "C", "--format", "json")
    assert code == 0
    data = json.loads(out)
    for key in ("difference", "ci_lower", "ci_upper", "pvalue", "method", "confidence_level", "treatment", "control", "row_tests"):
        assert key in data
    # T: 1 detractor, 2 passives, 4 promoters -> 3/7; C: 3 detractors, 2 passives, 2 promoters -> -1/7
    assert data["difference"] == pytest.approx(100 * (3 / 7 - (-1 / 7)))
    assert data["treatment"]["group"] == {"arm": "T"} and data["treatment"]["n"] == 7
    assert (data["control"]["detractors"], data["control"]["passives"], data["control"]["promoters"]) == (3, 2, 2)
    expected = nps.compare(nps.NPSCounts(1, 2, 4), nps.NPSCounts(3, 2, 2))
    assert data["ci_lower"] == pytest.approx(expected.ci_lower) and data["pvalue"] == pytest.approx(expected.pvalue)
    assert {"mann_whitney", "ordinal", "chi_square"} <= set(data["row_tests"])


def test_compare_unknown_arm_lists_the_arms(capsys, write_file):
    path = write_file("s.csv", CSV)
    code, _, err = run(capsys, "compare", path, "--score", "score", "--group", "arm", "--treatment", "Z", "--control", "A")
    assert code == 2 and "no rows with 'Z'" in err and "'A', 'B'" in err


def test_sample_size_matches_the_formula(capsys):
    code, out, _ = run(capsys, "sample-size", "--mde", "5", "--baseline-nps", "20", "--passive-share", "0.3", "--format", "json")
    assert code == 0
    data = json.loads(out)
    # p_pro = 0.45, p_det = 0.25 -> V_c = 0.70 - 0.04 = 0.66; treatment 0.475/0.225 -> V_t = 0.70 - 0.0625
    from scipy.stats import norm

    n = (norm.ppf(0.975) + norm.ppf(0.8)) ** 2 * (0.66 + 0.6375) / 0.05**2  # Wald formula: 4073.6
    # planned for the default test (MOVER-score), which needs a few more at this size
    assert data["n_per_arm"] == nps.sample_size(5, baseline_nps=20, passive_share=0.3).n_per_arm == 4077
    assert data["n_per_arm"] == pytest.approx(n, rel=0.002)


def test_sample_size_needs_a_baseline(capsys):
    code, _, err = run(capsys, "sample-size", "--mde", "5")
    assert code == 2 and "--baseline-nps" in err
