"""Real exports as they come (tests/data/exports, MANIFEST.yaml): `nps-analysis score` and
`nps.load` with column parameters only give the pinned counts, warnings and errors."""

from __future__ import annotations

import json
import os
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nps_analysis as nps
from nps_analysis.cli import main
from nps_analysis.sources.dates import to_utc

EXPORTS = Path(__file__).parent / "data" / "exports"
CASES = yaml.safe_load((EXPORTS / "MANIFEST.yaml").read_text(encoding="utf-8"))
RUNS = [(case, run) for case in CASES for run in case.get("runs", [])]
#: Examples for the "nothing lost" invariant; the full 10,000 run: NPS_INVARIANT_EXAMPLES=10000.
INVARIANT_EXAMPLES = int(os.environ.get("NPS_INVARIANT_EXAMPLES", "200"))


def _run_id(item):
    case, run = item
    return f"{case['file']}[{' '.join(run['args']) or 'no options'}]"


@pytest.mark.parametrize("item", RUNS, ids=[_run_id(r) for r in RUNS])
def test_score_command_on_each_export(item, capsys, tmp_path):
    case, run = item
    argv = ["score", str(EXPORTS / case["file"]), "--score", case["score"], "--format", "json",
            "--quarantine-file", str(tmp_path / "q.csv"), *run["args"]]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == run["exit"], err
    for piece in run.get("stderr", []):
        assert piece in err, f"{piece!r} not in stderr: {err}"
    if code != 0:
        assert err.startswith("nps-analysis: error: ") and "Traceback" not in err
        return
    records = json.loads(out)
    by = [a for a, prev in zip(run["args"], [None, *run["args"]], strict=False) if prev == "--by"]
    if "groups" in run:
        got = [{**r["group"], **{k: r[k] for k in ("n", "detractors", "passives", "promoters")}}
               for r in records]
        assert got == run["groups"]
    if "group_order" in run:
        assert [r["group"][by[0]] for r in records] == run["group_order"]


@pytest.mark.parametrize("case", [c for c in CASES if "load" in c], ids=lambda c: c["file"])
def test_load_report_of_each_export(case, tmp_path):
    kwargs = dict(case["load"])
    kwargs.setdefault("quarantine_path", tmp_path / "q.csv")
    path = EXPORTS / case["file"]
    if "error" in case:
        with pytest.raises(nps.NPSInputError) as info:
            nps.load(path, **kwargs)
        for piece in case["error"]:
            assert piece in str(info.value), f"{piece!r} not in {info.value}"
        return
    frame = nps.load(path, **kwargs)
    report = nps.load_report(frame)
    for key, value in case.get("report", {}).items():
        assert getattr(report, key) == value, key
    for piece in case.get("warnings", []):
        assert any(piece in w for w in report.warnings), (piece, report.warnings)
    if "missing_cells" in case:
        for column, markers in case["missing_cells"].items():
            assert report.missing_cells[column] == markers, column
    # The accounting every report must satisfy.
    assert report.rows_read == (report.responses + report.missing_scores + report.quarantined
                                + report.header_rows_skipped)
    dates = case.get("dates")
    if dates:
        with pytest.raises(nps.NPSInputError) as info:
            to_utc(frame[dates["column"]], column=dates["column"], file=str(path))
        for piece in dates["error"]:
            assert piece in str(info.value), f"{piece!r} not in {info.value}"
        if "dayfirst_months" in dates:
            stamps = to_utc(frame[dates["column"]], dayfirst=True)
            answered = frame[case["score"]].notna().to_numpy()
            months = stamps[answered].dt.strftime("%Y-%m").value_counts().sort_index().to_dict()
            assert months == dates["dayfirst_months"]


def test_na_is_never_a_group_or_a_comment():
    frame = nps.load(EXPORTS / "r_write_csv.csv", score="ltr", columns=["region", "comment"])
    assert "NA" not in set(frame["region"].dropna()) and frame["region"].isna().sum() == 3
    assert frame["comment"].notna().sum() == 16  # the comments R wrote; 44 NA are not comments
    table = nps.counts(frame, "ltr", by="region")
    assert table["region"].isna().sum() == 1 and "NA" not in table["region"].tolist()


def test_nps_load_dates_options_read_the_day_first_export():
    frame = nps.load(EXPORTS / "dayfirst_dates.csv", score="score", columns=["submitted"],
                     date_columns=["submitted"], dayfirst=True)
    # No offsets in the file: wall-clock times, placed in a zone by the analysis (to_utc's rule).
    assert pd.api.types.is_datetime64_dtype(frame["submitted"])
    assert frame["submitted"].iloc[1] == pd.Timestamp("2018-03-21 03:20")
    with pytest.raises(nps.NPSInputError, match="ambiguous day and month"):
        nps.load(EXPORTS / "dayfirst_dates.csv", score="score", date_columns=["submitted"])
    same = nps.load(EXPORTS / "dayfirst_dates.csv", score="score", date_columns=["submitted"],
                    date_format="%d/%m/%Y %H:%M")
    assert same["submitted"].equals(frame["submitted"])


def test_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(nps.NPSInputError, match="named pipe"):
        nps.load(fifo, score="score")
    assert main(["score", str(fifo), "--score", "score"]) == 2


def test_excel_formulas_without_saved_values_are_a_clear_error(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["id", "base", "score"])
    ws.append(["a", 4, 9])
    ws.append(["b", 4, "=B3*2"])  # a formula openpyxl writes without a cached value
    path = tmp_path / "formulas.xlsx"
    book.save(path)
    with pytest.raises(nps.NPSInputError) as info:
        nps.load(path, score="score")
    assert "formula" in str(info.value) and "row 3: '=B3*2'" in str(info.value)


def test_quarantine_leaving_no_response_exits_2_with_a_clear_line(tmp_path, capsys):
    path = tmp_path / "all_bad.csv"
    path.write_text("id,score\na,11\nb,x\n", encoding="utf-8")
    code = main(["score", str(path), "--score", "score", "--on-invalid", "quarantine",
                 "--quarantine-file", str(tmp_path / "q.csv")])
    _, err = capsys.readouterr()
    assert code == 2 and "no responses left" in err and "2 quarantined" in err


def test_by_takes_several_columns_in_both_forms(capsys):
    path = str(EXPORTS / "crm_mixed_scales.csv")
    base = ["score", path, "--score", "score", "--format", "json", "--scale-check", "off"]
    assert main([*base, "--by", "survey_type", "channel"]) == 0
    one = capsys.readouterr().out
    assert main([*base, "--by", "survey_type", "--by", "channel"]) == 0
    two = capsys.readouterr().out
    assert one == two and len(json.loads(one)) == 9


def test_invalid_score_error_suggests_missing_values_only_for_marker_like_values(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("id,score\na,9\nb,don't know\nc,11\n", encoding="utf-8")
    with pytest.raises(nps.NPSInputError, match=r"--missing-values defaults \"don't know\"|"
                                               r"--missing-values defaults 'don'"):
        nps.load(path, score="score")
    path.write_text("id,score\na,9\nc,11\n", encoding="utf-8")
    with pytest.raises(nps.NPSInputError) as info:
        nps.load(path, score="score")
    assert "--missing-values" not in str(info.value)


# ------------------------------------------------------------------------- nothing is lost

_HEADERS = ["id,arm,score", "id;arm;score", "score,arm", "id,score"]
_CELLS = st.one_of(
    st.integers(-2, 12).map(str),
    st.sampled_from(["", "NA", "N/A", "-", "*redacted*", "9.5", "10 - Extremely likely", "x",
                     "How likely are you to recommend us?", '{"ImportId":"QID1"}', "Zürich", " 7 "]),
    st.text(alphabet=string.ascii_letters + string.digits + " .-", max_size=6),
)


def _records(header: str, rows: list[list[str]]) -> list[list[str]]:
    sep = ";" if ";" in header else ","
    width = len(header.split(sep))
    # Every row gets the header's width or one field fewer (a cut-off row), never an extra one.
    return [(r + [""] * width)[: width - (1 if len(r) < width and len(r) % 2 else 0)] for r in rows]


@settings(max_examples=INVARIANT_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(header=st.sampled_from(_HEADERS), rows=st.lists(st.lists(_CELLS, min_size=1, max_size=4),
                                                        min_size=1, max_size=8),
       labels=st.booleans(), markers=st.sampled_from([None, ["defaults", "*redacted*"], ["x"]]))
def test_rows_read_are_responses_missing_quarantined_or_skipped_header_rows(
        tmp_path, header, rows, labels, markers):
    """Invariant (issue 12): rows read = responses + missing + quarantined + skipped header rows,
    and rows read is the number of data records in the file."""
    sep = ";" if ";" in header else ","
    records = _records(header, rows)
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\n")
    writer.writerow(header.split(sep))
    written = 0
    for record in records:
        if not sep.join(record).strip():
            continue  # a blank or whitespace-only line is not a record
        writer.writerow(record)
        written += 1
    path = tmp_path / "fuzz.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    try:
        frame = nps.load(path, score="score", on_invalid="quarantine", score_labels=labels,
                         missing_values=markers, quarantine_path=tmp_path / "q.csv", scale_check="off")
    except nps.NPSInputError as exc:
        # Only a file with nothing to read may fail under quarantine.
        assert written == 0 or "no data rows" in str(exc) or "no responses" in str(exc), str(exc)
        return
    report = nps.load_report(frame)
    assert report.rows_read == written
    assert report.rows_read == (report.responses + report.missing_scores + report.quarantined
                                + report.header_rows_skipped)
    assert report.responses == int(np.isfinite(frame["score"].to_numpy(dtype=float)).sum())
    assert len(report.skipped_rows) == report.header_rows_skipped


# ------------------------------------------------------------------------------ interval edges


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 10_000), level=st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_interval_helpers_are_exact_at_the_edges(n, level):
    from nps_analysis.stats.intervals import newcombe_interval, nps_interval
    from nps_analysis.stats.scoring import NPSCounts, csat, wilson_interval, wilson_limits

    assert wilson_interval(0, n, level)[0] == 0.0 and wilson_interval(n, n, level)[1] == 1.0
    lo, hi = wilson_limits(np.array([0, n]), np.array([n, n]), 1.96)
    assert lo[0] == 0.0 and hi[1] == 1.0 and 0 < hi[0] and lo[1] < 1
    assert newcombe_interval(0, n, n, n, confidence_level=level)[0] == -1.0
    assert newcombe_interval(n, n, 0, n, confidence_level=level)[1] == 1.0
    for method in ("wald", "score", "bootstrap"):
        assert nps_interval(NPSCounts(0, 0, n), method=method, confidence_level=level).ci_upper == 100.0
        assert nps_interval(NPSCounts(n, 0, 0), method=method, confidence_level=level).ci_lower == -100.0
    top = csat([5] * min(n, 50), confidence_level=level)
    assert top.ci_upper == 100.0 and csat([1] * min(n, 50), confidence_level=level).ci_lower == 0.0


def test_wilson_edges_pinned_from_the_issue():
    from nps_analysis.stats.scoring import wilson_interval

    assert wilson_interval(0, 3) == (0.0, pytest.approx(0.5614970317550454))
    assert wilson_interval(10, 10)[1] == 1.0


def test_decide_refuses_day_first_times_until_told_then_reads_them(tmp_path, capsys):
    rng = np.random.default_rng(5)
    days = pd.date_range("2018-03-01", periods=40, freq="D")
    rows = [f"r{i},{arm},{int(rng.integers(6, 11))},{day:%d/%m/%Y} 10:00"
            for i, (day, arm) in enumerate((d, a) for d in days for a in ("A", "B"))]
    path = tmp_path / "uk.csv"
    path.write_text("id,arm,score,submitted\n" + "\n".join(rows) + "\n", encoding="utf-8")
    base = ["decide", str(path), "--score", "score", "--group", "arm", "--time", "submitted",
            "--treatment", "B", "--control", "A", "--margin", "5", "--format", "json"]
    assert main(base) == 2
    err = capsys.readouterr().err
    assert "ambiguous day and month" in err and "--dayfirst" in err
    assert main([*base, "--dayfirst"]) == 0
    one = json.loads(capsys.readouterr().out)
    assert main([*base, "--date-format", "%d/%m/%Y %H:%M"]) == 0
    two = json.loads(capsys.readouterr().out)
    assert one["looks"] == two["looks"] == 40  # one look per day: no date moved


def test_nps_by_period_reads_the_day_first_export_with_dayfirst():
    frame = nps.load(EXPORTS / "dayfirst_dates.csv", score="score", columns=["submitted"])
    with pytest.raises(nps.NPSInputError, match="ambiguous day and month"):
        nps.nps_by_period(frame, score="score", time="submitted", freq="M", min_n=1)
    table = nps.nps_by_period(frame, score="score", time="submitted", freq="M", min_n=1, dayfirst=True)
    assert dict(zip(table["period"].astype(str).str[:7], table["n"], strict=True)) == {
        "2018-03": 44, "2018-04": 34}
