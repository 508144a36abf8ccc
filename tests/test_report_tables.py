"""The table formatter: number formatting (property-based), headers, verdict first, HTML."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nps_analysis.report.tables import (
    MISSING,
    format_count,
    format_interval,
    format_number,
    format_p,
    format_record,
    format_table,
)

finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)
probabilities = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
FOUR_DECIMALS = re.compile(r"\d\.\d{4,}")


@given(probabilities)
@settings(max_examples=300, deadline=None)
def test_pvalue_text_is_close_short_and_never_zero(p):
    text = format_p(p)
    assert not FOUR_DECIMALS.search(text)
    if p < 0.001:
        assert text == "< 0.001"
    else:
        shown = float(text)
        assert shown > 0  # a p-value is never written as 0
        decimals = len(text.split(".")[1])
        assert abs(shown - p) <= 0.5 * 10 ** -decimals + 1e-12
        assert decimals == (3 if p < 0.0995 else 2)


@given(probabilities, probabilities)
@settings(max_examples=200, deadline=None)
def test_pvalue_text_is_monotone(a, b):
    lo, hi = sorted((a, b))

    def value(t):
        return 0.0 if t == "< 0.001" else float(t)

    assert value(format_p(lo)) <= value(format_p(hi))


@given(finite, st.integers(min_value=0, max_value=3))
@settings(max_examples=300, deadline=None)
def test_number_has_exactly_the_decimals_asked_and_rounds_right(x, decimals):
    text = format_number(x, decimals)
    plain = text.replace(",", "")
    if decimals:
        assert len(plain.split(".")[1]) == decimals
    else:
        assert "." not in plain
    assert abs(float(plain) - x) <= 0.5 * 10 ** -decimals * (1 + 1e-9) + abs(x) * 1e-15
    assert not plain.startswith("-0") or float(plain) != 0  # no "-0.0"


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_counts_are_integers_whatever_their_dtype(n):
    assert format_count(float(n)) == f"{n:,}"
    assert format_count(np.int64(n)) == f"{n:,}"


@given(finite, finite)
@settings(max_examples=200, deadline=None)
def test_interval_reads_lower_to_upper(a, b):
    text = format_interval(a, b, 1)
    lo, hi = text.split(" to ")
    assert float(lo.replace(",", "")) == pytest.approx(round(a, 1), abs=0.051)
    assert float(hi.replace(",", "")) == pytest.approx(round(b, 1), abs=0.051)


@pytest.mark.parametrize("missing", [None, math.nan, np.nan, pd.NA, pd.NaT, math.inf])
def test_missing_is_an_em_dash(missing):
    assert format_number(missing) == MISSING
    assert format_p(missing) == MISSING
    assert format_interval(missing, 1.0) == MISSING


def test_examples_from_the_issue():
    assert format_p(0.0441) == "0.044"
    assert format_p(0.00002) == "< 0.001"
    assert format_interval(1.1234, 14.61) == "1.1 to 14.6"
    assert format_count(36.0) == "36"
    assert format_number(1626.616667, 1) == "1,626.6"
    assert format_p(0.9999) == "1.00"


def test_table_has_human_headers_units_merged_interval_and_verdict_first():
    frame = pd.DataFrame(
        {
            "group": ["control", "treatment_a"],
            "n": [120.0, 118.0],
            "nps": [12.3456, 20.1],
            "ci_lower": [1.1234, 8.0],
            "ci_upper": [14.6, 30.2],
            "pvalue": [0.0441, 0.0004],
            "pvalue_adjusted": [0.37, np.nan],
            "note": [None, None],
            "overdue_hours": [1626.616667, None],
            "label": ["no clear gap", "gap"],
        }
    )
    table = format_table(frame, confidence_level=0.95)
    cells = table.frame
    assert list(cells.columns)[0] == "label" == table.verdict
    assert "95% interval" in cells.columns and "ci_lower" not in cells.columns
    assert "note" not in cells.columns  # an all-empty column is dropped
    assert cells["n"].tolist() == ["120", "118"]
    assert cells["95% interval"].tolist() == ["1.1 to 14.6", "8.0 to 30.2"]
    assert cells["p"].tolist() == ["0.044", "< 0.001"]
    assert cells["p adjusted"].tolist() == ["0.37", MISSING]
    assert cells["overdue hours"].tolist() == ["1,626.6", MISSING]
    assert isinstance(cells.index, pd.RangeIndex)
    html = table.to_html()
    assert 'class="verdict nps-v-bad"' in html and 'class="verdict nps-v-good"' in html
    text = re.sub(r"<[^>]+>", " ", html)
    for bad in ("NaN", "None", "nan", "True", "False"):
        assert bad not in text.split()
    assert not FOUR_DECIMALS.search(text)


def test_index_becomes_columns_and_html_is_escaped():
    frame = pd.DataFrame({"share": [0.25]}, index=pd.Index(["<b>x</b>"], name="theme"))
    table = format_table(frame)
    assert list(table.frame.columns) == ["theme", "share"]
    assert table.frame["share"].tolist() == ["25%"]
    assert "&lt;b&gt;" in table.to_html()


def test_kind_hints_override_and_unknown_kind_is_an_error():
    frame = pd.DataFrame({"x": [0.123456]})
    assert format_table(frame, kind_hints={"x": "scale"}).frame["x"].tolist() == ["0.12"]
    with pytest.raises(ValueError, match="unknown kind"):
        format_table(frame, kind_hints={"x": "furlongs"})


def test_record_is_vertical_and_flattens_intervals():
    table = format_record({"difference": 7.94, "ci_lower": 1.1, "ci_upper": 14.6, "pvalue": 0.044, "items": [{"a": 1}]})
    assert table.frame["quantity"].tolist() == ["difference (points)", "interval", "p"]
    assert table.frame["value"].tolist() == ["7.9", "1.1 to 14.6", "0.044"]


def test_formatted_html_survives_the_report_sanitiser():
    from nps_analysis.report.sanitize import safe_fragment

    html = format_table(pd.DataFrame({"decision": ["ROLL_BACK"], "effect": [-6.04]})).to_html()
    cleaned = safe_fragment(html)
    assert 'class="verdict nps-v-bad"' in cleaned
    assert "ROLL_BACK" in cleaned and "-6.0" in cleaned
