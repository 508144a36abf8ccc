"""Every applicable notebook on messy survey exports, with column parameters only (issue 12, Proof).

The exports are written here, seeded, in the shapes real tools produce: a survey-tool export with
question-text and ImportId header rows, a Windows-1252 semicolon export with a byte-order mark and
German headers, a form export whose score header is the question itself. Expected counts are
tallied from the generated answers in plain Python, not by the kit.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import nps_analysis as nps
from nps_analysis.report.runner import run_notebook

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.notebook
AS_OF = "2026-11-30T00:00:00Z"


def _category(score: int) -> str:
    return "detractor" if score <= 6 else "passive" if score <= 8 else "promoter"


def _tally(scores: list[int]) -> dict[str, int]:
    out = {"detractor": 0, "passive": 0, "promoter": 0}
    for s in scores:
        out[_category(s)] += 1
    return out


def _run(tmp_path: Path, name: str, params: dict) -> dict:
    result = run_notebook(ROOT / "notebooks" / f"{name}.ipynb", params, output_dir=tmp_path / "reports",
                          progress=False, cwd=tmp_path)
    saved = nps.read_results(result.run_dir)
    assert result.ok, saved.get("error")
    return saved


@pytest.fixture(scope="module")
def survey_tool(tmp_path_factory) -> tuple[Path, list[dict]]:
    """A Qualtrics-style export: header, question-text row, ImportId row, then the answers."""
    rng = np.random.default_rng(21)
    rows = []
    for i in range(90):
        day = int(rng.integers(0, 27))
        rows.append({"id": f"R_{i:04d}", "when": f"2026-11-{day + 1:02d} {int(rng.integers(8, 20)):02d}:15:00",
                     "score": int(rng.integers(0, 11)), "store": ["Oslo", "Bergen", "Tromsø"][i % 3],
                     "comment": ["slow reply", "", "friendly staff", "will cancel"][i % 4]})
    lines = [
        "ResponseId,RecordedDate,Q1,Q2,Store",
        '"Response ID","Recorded Date","How likely are you to recommend us to a friend or colleague?",'
        '"What is the main reason for your score?","Store"',
        '"{""ImportId"":""_recordId""}","{""ImportId"":""recordedDate"",""timeZone"":""UTC""}",'
        '"{""ImportId"":""QID1""}","{""ImportId"":""QID2_TEXT""}","{""ImportId"":""QID3""}"',
    ]
    lines += [f'{r["id"]},{r["when"]},{r["score"]},"{r["comment"]}",{r["store"]}' for r in rows]
    path = tmp_path_factory.mktemp("exports") / "qualtrics.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, rows


@pytest.fixture(scope="module")
def european(tmp_path_factory) -> tuple[Path, list[dict]]:
    """Excel in a German locale: Windows-1252, no byte-order mark, semicolons, CRLF, umlauts."""
    rng = np.random.default_rng(22)
    rows = [{"id": f"A{i:03d}", "zeit": f"2026-11-{int(rng.integers(1, 28)):02d}T{int(rng.integers(0, 24)):02d}:30:00Z",
             "filiale": ["Köln", "München", "Düsseldorf"][i % 3], "score": int(rng.integers(0, 11))}
            for i in range(60)]
    text = "Antwort-ID;Zeitstempel;Filiale;Weiterempfehlung (0–10)\r\n" + "".join(
        f'{r["id"]};{r["zeit"]};{r["filiale"]};{r["score"]}\r\n' for r in rows)
    path = tmp_path_factory.mktemp("exports") / "umfrage.csv"
    path.write_bytes(text.encode("cp1252"))
    return path, rows


def test_closed_loop_on_a_survey_tool_export(tmp_path, survey_tool):
    path, rows = survey_tool
    saved = _run(tmp_path, "closed_loop", {
        "data_path": str(path), "score_column": "Q1", "time_column": "RecordedDate", "id_column": "ResponseId",
        "team_column": "Store", "comment_column": "Q2", "as_of": AS_OF,
    })
    assert saved["responses_in_queue"] == len(rows)
    assert saved["unrouted"] == 0
    by_owner = {}
    for rec in saved["compliance_by_owner_category"]:
        by_owner.setdefault(rec["owner"], {})[rec["category"]] = rec["responses"]
    for store in ("Oslo", "Bergen", "Tromsø"):
        expected = _tally([r["score"] for r in rows if r["store"] == store])
        assert {k: v for k, v in by_owner[store].items() if v} == {k: v for k, v in expected.items() if v}
    queue = Path(saved["queue_file"]).read_text(encoding="utf-8")
    assert queue.splitlines()[0].split(",")[0] == "ResponseId" and "R_0000" in queue


def test_weekly_report_on_a_survey_tool_export(tmp_path, survey_tool):
    path, rows = survey_tool
    saved = _run(tmp_path, "weekly_tracking", {
        "data_path": str(path), "score_column": "Q1", "time_column": "RecordedDate", "id_column": "ResponseId",
        "team_column": "Store", "comment_column": "Q2", "as_of": AS_OF, "min_n": 5,
    })
    week = saved["week"]
    assert week == "2026-11-23"
    in_week = [r["score"] for r in rows if "2026-11-23" <= r["when"][:10] <= "2026-11-29"]
    assert saved["responses"] == len(in_week)
    t = _tally(in_week)
    assert saved["nps"]["nps"] == pytest.approx(100 * (t["promoter"] - t["detractor"]) / len(in_week))
    alerts = json.loads(Path(saved["alerts"]["json"]).read_text())
    keyword = [a for a in alerts["alerts"] if a["rule"] == "keyword"]
    recent = [r for r in rows if r["comment"] == "will cancel" and r["when"][:10] >= "2026-11-23"]
    assert sorted(a["response_id"] for a in keyword) == sorted(r["id"] for r in recent)


def test_closed_loop_and_weekly_report_on_a_windows_1252_semicolon_export(tmp_path, european):
    path, rows = european
    common = {"data_path": str(path), "score_column": "Weiterempfehlung (0–10)", "time_column": "Zeitstempel",
              "id_column": "Antwort-ID", "team_column": "Filiale", "as_of": AS_OF}
    loop = _run(tmp_path, "closed_loop", common)
    assert loop["responses_in_queue"] == len(rows)
    owners = {rec["owner"] for rec in loop["compliance_by_owner_category"]}
    assert owners == {"Köln", "München", "Düsseldorf"}  # decoded, not mojibake
    weekly = _run(tmp_path, "weekly_tracking", {**common, "weeks": 5, "window": 4, "min_n": 10})
    last = [r["score"] for r in rows if "2026-11-02" <= r["zeit"][:10] <= "2026-11-29"]
    assert weekly["window"] == 4 and weekly["responses"] == len(last)


def test_experiment_on_a_form_export_whose_headers_are_the_questions(tmp_path):
    rng = np.random.default_rng(23)
    plans = rng.choice(["Basic", "Plus", "Pro"], 240)
    scores = rng.integers(0, 11, 240)
    path = tmp_path / "form.csv"
    question = "How likely is it that you would recommend us to a friend or colleague?"
    lines = [f'Timestamp,"{question}",Which plan are you on?,Email address']
    lines += [f"2026-11-{i % 28 + 1:02d} 10:00:00,{s},{p},person{i}@example.com"
              for i, (s, p) in enumerate(zip(scores, plans, strict=True))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    saved = _run(tmp_path, "experiment", {"data_path": str(path), "score_column": question,
                                          "group_column": "Which plan are you on?", "control": "Basic"})
    for arm in saved["arms"]:
        t = _tally([int(s) for s, p in zip(scores, plans, strict=True) if p == arm["group"]])
        assert (arm["detractors"], arm["passives"], arm["promoters"]) == (t["detractor"], t["passive"], t["promoter"])
    assert [e["treatment"] for e in saved["effects"]] == ["Plus", "Pro"]


def test_a_misnamed_column_fails_with_the_closest_match(tmp_path, survey_tool):
    path, _ = survey_tool
    result = run_notebook(ROOT / "notebooks" / "closed_loop.ipynb",
                          {"data_path": str(path), "score_column": "q1", "time_column": "Recorded Date"},
                          output_dir=tmp_path / "reports", progress=False, cwd=tmp_path)
    saved = nps.read_results(result.run_dir)
    assert saved["status"] == "failed" and saved["error"]["type"] == "NPSInputError"
    message = saved["error"]["message"]
    assert "score_column 'q1' is not a column (closest match: 'Q1')" in message
    assert "time_column 'Recorded Date' is not a column (closest match: 'RecordedDate')" in message
    assert "'ResponseId', 'RecordedDate', 'Q1', 'Q2', 'Store'" in message
