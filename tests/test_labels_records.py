"""Group labels in natural order with spaces reported (sources/labels), file structure checks
(sources/records)."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nps_analysis.sources.errors import NPSInputError
from nps_analysis.sources.labels import natural_key, natural_order, space_warnings
from nps_analysis.sources.records import (
    check_long_rows,
    field_counts,
    require_regular_file,
    short_row_message,
)


def test_numbers_sort_as_numbers_then_text_naturally_then_missing():
    labels = ["S10", "S2", 10, 2, "b", "A", None, 1.5, "S1"]
    assert sorted(labels, key=natural_key) == [1.5, 2, 10, "A", "b", "S1", "S2", "S10", None]


def test_natural_order_of_group_rows_by_several_columns():
    keys = pd.DataFrame({"region": ["b", "a", "a", "b"], "store": ["S10", "S2", "S10", "S2"]})
    order = natural_order(keys, ["region", "store"])
    assert keys.iloc[order].values.tolist() == [
        ["a", "S2"],
        ["a", "S10"],
        ["b", "S2"],
        ["b", "S10"],
    ]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(st.integers(-5, 50), st.text(alphabet="ab12 ", max_size=4), st.none()),
        max_size=20,
    )
)
def test_natural_order_is_a_permutation_that_puts_numbers_before_text_before_missing(labels):
    keys = pd.DataFrame({"g": pd.Series(labels, dtype=object)})
    order = natural_order(keys, ["g"])
    assert sorted(order.tolist()) == list(range(len(labels)))
    kinds = [natural_key(v)[0] for v in keys["g"].iloc[order]]
    assert kinds == sorted(kinds)


def test_trailing_spaces_are_reported_not_merged():
    frame = pd.DataFrame({"branch": ["Berlin", "Berlin ", "Berlin ", " Köln", "München"]})
    (warning,) = space_warnings(frame, ["branch"])
    assert "'Berlin ' (2 rows, next to 'Berlin')" in warning and "' Köln' (1 rows)" in warning
    assert space_warnings(pd.DataFrame({"b": ["x", "y"]}), ["b"]) == []


def test_short_and_long_records_are_found_with_their_rows():
    counts = field_counts(
        'id,city,score\nc1,Oslo,9\n\nc2,"Oslo, Norway",8\nc3,Oslo, Norway,7\nr13,Nor', ","
    )
    assert counts.header == 3 and counts.fields.tolist() == [3, 3, 4, 2]
    with pytest.raises(NPSInputError) as info:
        check_long_rows(counts, sep=",", file="f.csv")
    assert "row 4: '4 field(s)'" in str(info.value) and "' Norway'" in str(info.value)
    message, rows = short_row_message(counts)
    assert rows == [(5, "2 field(s)")] and "cut off" in message


def test_only_regular_files_are_read(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(NPSInputError, match="named pipe"):
        require_regular_file(fifo)
    with pytest.raises(NPSInputError, match="folder"):
        require_regular_file(tmp_path)
    with pytest.raises(NPSInputError, match="no such file"):
        require_regular_file(tmp_path / "absent.csv")
    (tmp_path / "ok.csv").write_text("a\n1\n")
    require_regular_file(tmp_path / "ok.csv")


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(st.text(alphabet="ab ,;\t\r", max_size=8), max_size=12),
       sep=st.sampled_from([",", ";", "\t"]), crlf=st.booleans())
def test_fast_field_counts_agree_with_the_csv_module(lines, sep, crlf):
    from nps_analysis.sources.records import _field_counts_csv, _field_counts_unquoted

    text = ("\r\n" if crlf else "\n").join(ln.replace("\r", "") for ln in lines)
    fast, slow = _field_counts_unquoted(text, sep), _field_counts_csv(text, sep)
    assert fast.header == slow.header and fast.fields.tolist() == slow.fields.tolist()
    assert fast.first_values == slow.first_values


def test_free_text_columns_are_not_reported_as_labels_with_spaces():
    """A comment column read beside the labels (a real Google-Forms export did this) is prose."""
    comments = ["The talks were good but far too much soap ", "Not enough soap variety, please add vegan ones ",
                "It was just soaptastic and I loved every minute", " Left me feeling clean and very refreshed"]
    assert space_warnings(pd.DataFrame({"why": comments}), ["why"]) == []
