"""Missing-value markers, the scale check and encoding reports (sources/missing, scale, encoding)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nps_analysis.sources.encoding import LEGACY, MIXED, decode_export
from nps_analysis.sources.errors import NPSInputError
from nps_analysis.sources.missing import (
    DEFAULT_MISSING_VALUES,
    apply_missing_values,
    look_like_markers,
    missing_markers,
    missing_values_hint,
)
from nps_analysis.sources.scale import check_scale, looks_like

# ------------------------------------------------------------------------------ missing values


def test_default_markers_are_the_common_ones_and_empty_is_always_missing():
    assert DEFAULT_MISSING_VALUES == ("", "NA", "N/A", "n/a", "NaN", "null", "#N/A", "-")
    assert missing_markers(["*redacted*"]) == ("", "*redacted*")
    assert missing_markers(["defaults", "*redacted*"]) == (*DEFAULT_MISSING_VALUES, "*redacted*")


def test_markers_become_missing_in_every_column_counted_by_marker():
    frame = pd.DataFrame(
        {
            "score": ["9", "NA", " N/A ", "#N/A", None, "-", "7"],
            "region": ["NA", "Nantes", "na", "North", "-", "South", "NA"],
        }
    )
    out, counts = apply_missing_values(frame)
    assert out["score"].isna().tolist() == [False, True, True, True, True, True, False]
    assert counts.column("score") == {"": 1, "NA": 1, "N/A": 1, "#N/A": 1, "-": 1}
    # Only exact markers: 'Nantes' and lower-case 'na' are labels.
    assert out["region"].tolist()[1:4] == ["Nantes", "na", "North"]
    assert counts.column("region") == {"NA": 2, "-": 1}
    assert counts.total() == 8


def test_marker_like_values_are_recognised_and_numbers_never_are():
    values = [
        "*redacted*",
        "don't know",
        "9",
        "NULL",
        "Promoter",
        "[removed]",
        "10 - Extremely likely",
        "?",
    ]
    assert look_like_markers(values) == ["*redacted*", "don't know", "NULL", "[removed]", "?"]
    hint = missing_values_hint(["*redacted*"])
    assert "--missing-values defaults '*redacted*'" in hint


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.sampled_from(list(DEFAULT_MISSING_VALUES) + ["x", "9", " NA "]),
            st.text(max_size=4),
        ),
        max_size=30,
    )
)
def test_every_cell_is_either_kept_or_counted_under_one_marker(cells):
    frame = pd.DataFrame({"c": pd.Series(cells, dtype=object)})
    out, counts = apply_missing_values(frame)
    assert int(out["c"].isna().sum()) == counts.total("c")
    kept = out["c"].dropna().astype(str).str.strip()
    assert not kept.isin(DEFAULT_MISSING_VALUES).any()


# ------------------------------------------------------------------------------------- scale


def test_a_column_never_above_5_or_7_is_named_as_that_scale():
    assert looks_like(np.array([1, 2, 3, 4, 5] * 4)) == "1-5"
    assert looks_like(np.array([1, 7, 3] * 7)) == "1-7"
    assert looks_like(np.array([0, 1, 2] * 7)) == "0-2"
    assert looks_like(np.array([0, 3, 10] * 7)) is None
    assert looks_like(np.array([1, 2, 3] * 6)) is None  # 18 answers: too few to tell
    frame = pd.DataFrame({"csat": [1, 2, 3, 4, 5] * 4})
    (warning,) = check_scale(frame, "csat")
    assert "never exceed 5" in warning and "1-5 scale" in warning and "--scale-check off" in warning
    with pytest.raises(NPSInputError, match="1-5 scale.*--scale-check error"):
        check_scale(frame, "csat", mode="error")
    assert check_scale(frame, "csat", mode="off") == []


def test_groups_on_different_scales_are_named():
    frame = pd.DataFrame(
        {"kind": ["nps"] * 21 + ["ces"] * 21, "score": [10, 3, 8] * 7 + [1, 7, 4] * 7}
    )
    (warning,) = check_scale(frame, "score", groups=["kind"])
    assert "groups of 'kind' look like different scales" in warning
    assert "'nps' 0-10" in warning and "'ces' 1-7" in warning
    same = pd.DataFrame({"kind": ["a"] * 21 + ["b"] * 21, "score": [10, 3, 8] * 14})
    assert check_scale(same, "score", groups=["kind"]) == []


# ---------------------------------------------------------------------------------- encoding


def test_utf8_is_utf8_and_latin1_is_reported():
    assert decode_export("Zürich\n".encode()).encoding == "utf-8"
    latin = decode_export("id,region\n1,Zürich\n2,Genève\n".encode("latin-1"))
    assert latin.encoding == LEGACY and latin.text.endswith("Genève\n") and latin.undecodable == 0
    assert "Windows-1252" in latin.note() and "--encoding" in latin.note()


def test_mixed_lines_are_decoded_one_by_one():
    raw = "id,region\n1,Zürich\n".encode() + "2,Zürich\n".encode("latin-1")
    out = decode_export(raw)
    assert out.encoding == MIXED and out.text == "id,region\n1,Zürich\n2,Zürich\n"
    assert out.legacy_lines == 1 and out.first_legacy_line == 3 and "line 3" in out.note()


def test_undecodable_bytes_are_counted_and_forced_encodings_are_strict():
    out = decode_export(b"a,b\n1,\x81\x8d\n")  # bytes Windows-1252 leaves undefined
    assert out.undecodable == 2 and "2 character(s) could not be decoded" in out.note()
    with pytest.raises(NPSInputError, match=r"cannot decode as utf-8: byte b'\\xfc' on line 2"):
        decode_export("a\nZürich\n".encode("latin-1"), "utf-8")
    assert decode_export("Zürich".encode("latin-1"), "latin-1").text == "Zürich"
    with pytest.raises(NPSInputError, match="unknown encoding"):
        decode_export(b"a", "no-such-codec")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet="abcZüéèà東,", max_size=8), st.booleans()), max_size=10))
def test_any_mix_of_utf8_and_latin1_lines_decodes_to_the_same_text(lines):
    """Each line written in UTF-8 or Latin-1 comes back as the same characters."""
    raw = b""
    expected = ""
    for text, latin in lines:
        if latin:
            text = text.replace("東", "")  # not in Latin-1
            if not text.isascii():
                # A Latin-1 line that happens to be valid UTF-8 is read as UTF-8; skip the rare case.
                try:
                    text.encode("latin-1").decode("utf-8")
                    continue
                except UnicodeDecodeError:
                    pass
        raw += (text.encode("latin-1") if latin else text.encode()) + b"\n"
        expected += text + "\n"
    assert decode_export(raw).text == expected


def test_columns_derived_from_the_score_are_not_different_scales():
    scores = [0, 3, 6, 5, 7, 8, 9, 10] * 5
    category = ["detractor" if x <= 6 else "passive" if x <= 8 else "promoter" for x in scores]
    frame = pd.DataFrame({"score": scores, "category": category})
    assert check_scale(frame, "score", groups=["category"]) == []
