"""Issue 19.5: every CSV the kit writes reads back to the same rows, whatever the text holds.

A comment with a lone carriage return was written unquoted, so a 1,802-row queue read back as
1,823 misaligned rows. Property test over hostile text for the one writer every export uses, and
end-to-end checks of the queue export and the quarantine file.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import nps_analysis as nps
from nps_analysis.report.record import save_csv
from nps_analysis.sources.csvsafe import neutralise_cell, to_safe_csv

HOSTILE = st.lists(
    st.sampled_from(list("ab ,;\"'\r\n\t=+-@é\u2028\x0b") + ["\r\n", "Zürich", "=HYPERLINK(\"x\")"]),
    max_size=12,
).map("".join)


def read_back(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@settings(max_examples=300, deadline=None)
@given(st.lists(HOSTILE, min_size=1, max_size=8), st.booleans())
def test_any_text_reads_back_to_the_same_rows(tmp_path_factory, texts, raw):
    path = tmp_path_factory.mktemp("csv") / "out.csv"
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(len(texts))], "comment": texts, "score": range(len(texts))})
    to_safe_csv(frame, path, raw_csv=raw, lineterminator="\n")
    back = read_back(path)
    assert len(back) == len(frame)
    want = texts if raw else [neutralise_cell(t) for t in texts]
    # pandas reads an empty field as "", and a field of spaces as it is: compare exactly.
    assert back["comment"].tolist() == want
    assert back["score"].tolist() == [str(i) for i in range(len(texts))]


def test_a_queue_with_lone_carriage_returns_reads_back_whole(tmp_path):
    data = nps.datasets.closed_loop_data(300, seed=5)
    responses = data.responses.copy()
    responses["comment"] = responses["comment"].fillna("").astype(str) + "\rline two\r"
    queue = nps.followup_queue(responses, log=data.followups, as_of=data.as_of, score="score")
    path = nps.export_queue(queue, tmp_path)
    assert len(read_back(path)) == len(queue)


def test_save_csv_and_the_quarantine_file_keep_their_rows(tmp_path):
    frame = pd.DataFrame({"score": ["9", "x\ry", "11"], "comment": ["a\rb", "c", "\r"]})
    src = tmp_path / "in.csv"
    save_csv(frame, src)
    assert read_back(src)["comment"].tolist() == ["a\rb", "c", "'\r"]  # CR starts a formula: neutralised
    loaded = nps.load(src, score="score", on_invalid="quarantine")
    assert len(loaded) == 1
    quarantined = read_back(f"{src}.quarantine.csv")
    assert len(quarantined) == 2 and quarantined["comment"].tolist() == ["c", "'\r"]
