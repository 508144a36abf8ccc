"""The one date parser (sources/dates.py): ISO and unambiguous dates parse, day/month is never guessed."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nps_analysis.sources.dates import parse_times, to_instant, to_utc
from nps_analysis.sources.errors import NPSInputError

SETTINGS = settings(max_examples=200, deadline=None)
moments = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2060, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0)
)


def _utc(text: list[str], **kwargs) -> list[pd.Timestamp]:
    return to_utc(pd.Series(text, dtype=object), **kwargs).tolist()


def test_iso_text_with_and_without_offsets_parses_as_written():
    out = _utc(["2018-03-21T14:05+01:00", "2018-03-21 14:05", "2018-03-21", "2018-03-21T14:05:00Z"])
    assert out == [
        pd.Timestamp("2018-03-21 13:05", tz="UTC"),
        pd.Timestamp("2018-03-21 14:05", tz="UTC"),
        pd.Timestamp("2018-03-21", tz="UTC"),
        pd.Timestamp("2018-03-21 14:05", tz="UTC"),
    ]


def test_ambiguous_day_and_month_is_an_error_showing_examples_and_both_remedies():
    values = pd.Series(["21/03/2018 14:05", "03/04/2018 09:00", "13/04/2018 10:00"])
    with pytest.raises(NPSInputError) as info:
        to_utc(values, column="submitted", file="survey.csv")
    message = str(info.value)
    assert "survey.csv" in message and "column 'submitted'" in message
    assert "1 row(s) have an ambiguous day and month" in message
    assert "row 3: '03/04/2018 09:00'" in message  # file lines: header is line 1
    assert "day-first (row 2: '21/03/2018 14:05')" in message
    assert "date_format='%d/%m/%Y %H:%M'" in message and "--date-format '%d/%m/%Y %H:%M'" in message
    assert "dayfirst=True (--dayfirst)" in message
    assert info.value.count == 1 and info.value.rows == [(3, "03/04/2018 09:00")]


def test_dayfirst_and_an_explicit_format_give_the_same_instants():
    values = pd.Series(["21/03/2018 14:05", "03/04/2018 09:00", None, " "])
    by_flag = to_utc(values, dayfirst=True)
    by_format = to_utc(values, date_format="%d/%m/%Y %H:%M")
    expected = [
        pd.Timestamp("2018-03-21 14:05", tz="UTC"),
        pd.Timestamp("2018-04-03 09:00", tz="UTC"),
    ]
    assert by_flag.tolist()[:2] == expected and by_format.tolist()[:2] == expected
    assert by_flag.isna().tolist() == [False, False, True, True]


def test_unambiguous_numeric_dates_parse_without_any_flag():
    # Day above 12 -> day-first; second number above 12 -> month-first; year first -> Y/M/D.
    assert _utc(["21/03/2018"]) == [pd.Timestamp("2018-03-21", tz="UTC")]
    assert _utc(["3/21/2018 2:05:33 PM"]) == [pd.Timestamp("2018-03-21 14:05:33", tz="UTC")]
    assert _utc(["2018/03/21 14:05"]) == [pd.Timestamp("2018-03-21 14:05", tz="UTC")]
    assert _utc(["05/05/2018"]) == [pd.Timestamp("2018-05-05", tz="UTC")]  # same either way
    assert _utc(["21.03.18"]) == [pd.Timestamp("2018-03-21", tz="UTC")]


def test_month_names_parse_and_survey_tool_offsets_are_instants():
    assert _utc(["21 March 2018", "Mar 21, 2018"]) == [pd.Timestamp("2018-03-21", tz="UTC")] * 2
    assert _utc(["3/21/2018 14:05:33 GMT+1"]) == [pd.Timestamp("2018-03-21 13:05:33", tz="UTC")]


def test_a_column_proving_both_orders_is_an_error():
    with pytest.raises(
        NPSInputError, match="only fit month-first while other rows only fit day-first"
    ):
        to_utc(pd.Series(["21/03/2018", "03/21/2018"]))


def test_dayfirst_refuses_values_that_cannot_be_day_first():
    with pytest.raises(NPSInputError, match=r"not day-first dates.*row 0: '03/21/2018'"):
        to_utc(pd.Series(["03/21/2018"]), dayfirst=True)


def test_values_not_matching_an_explicit_format_are_named():
    with pytest.raises(
        NPSInputError, match=r"do not match date_format '%d/%m/%Y'.*row 1: '2018-03-21'"
    ):
        to_utc(pd.Series(["21/03/2018", "2018-03-21"]), date_format="%d/%m/%Y")


def test_unreadable_values_are_named_with_their_rows():
    with pytest.raises(
        NPSInputError, match=r"2 value\(s\) are not dates.*row 0: 'banana', row 1: '2018-13-01'"
    ):
        to_utc(pd.Series(["banana", "2018-13-01"]))


def test_time_zones_work_as_before_local_times_get_the_row_zone():
    values = pd.Series(["2026-10-25T02:30", "2026-03-29T09:00", "2026-03-29T09:00+00:00"])
    zones = pd.Series(["Europe/Oslo", "Europe/Oslo", "Asia/Tokyo"])
    out = to_utc(values, zones=zones)
    # The repeated hour when clocks go back is read as its first occurrence (still summer time).
    assert out.tolist() == [
        pd.Timestamp("2026-10-25 00:30", tz="UTC"),
        pd.Timestamp("2026-03-29 07:00", tz="UTC"),
        pd.Timestamp("2026-03-29 09:00", tz="UTC"),
    ]
    with pytest.raises(NPSInputError, match="do not exist in Europe/Oslo"):
        to_utc(pd.Series(["2026-03-29T02:30"]), timezone="Europe/Oslo")


def test_to_instant_refuses_an_ambiguous_text_and_takes_dayfirst():
    with pytest.raises(ValueError, match="ambiguous day and month"):
        to_instant("03/04/2026 09:00")
    assert to_instant("03/04/2026 09:00", dayfirst=True, timezone="Europe/Oslo") == pd.Timestamp(
        "2026-04-03 07:00", tz="UTC"
    )


def test_rows_from_nps_load_are_used_in_messages():
    values = pd.Series(["2018-03-21", "nope"])
    values.attrs["source_rows"] = [[5, 7]]
    with pytest.raises(NPSInputError, match="row 6: 'nope'"):
        to_utc(values)


@SETTINGS
@given(
    moments=st.lists(moments, min_size=1, max_size=12),
    sep=st.sampled_from(["/", ".", "-"]),
    clock=st.booleans(),
)
def test_any_day_first_column_round_trips_with_dayfirst_or_its_format(moments, sep, clock):
    fmt = f"%d{sep}%m{sep}%Y" + (" %H:%M" if clock else "")
    text = pd.Series([m.strftime(fmt) for m in moments])
    expected = [
        pd.Timestamp(m if clock else m.replace(hour=0, minute=0), tz="UTC") for m in moments
    ]
    assert to_utc(text, dayfirst=True).tolist() == expected
    assert to_utc(text, date_format=fmt).tolist() == expected


@SETTINGS
@given(moments=st.lists(moments, min_size=1, max_size=12), dayfirst=st.booleans())
def test_without_a_flag_the_parser_never_returns_a_wrong_date(moments, dayfirst):
    """Whatever the column holds, the result is either the true instants or an error: never a guess."""
    fmt = "%d/%m/%Y %H:%M" if dayfirst else "%m/%d/%Y %H:%M"
    text = pd.Series([m.strftime(fmt) for m in moments])
    try:
        out = to_utc(text)
    except NPSInputError as exc:
        assert "ambiguous" in str(exc) or "only fit" in str(exc)
        ambiguous = [m.day <= 12 and m.month <= 12 and m.day != m.month for m in moments]
        proves_other = [m.day > 12 for m in moments]
        assert any(ambiguous) or (not dayfirst and any(proves_other))
        return
    assert out.tolist() == [pd.Timestamp(m, tz="UTC") for m in moments]


@SETTINGS
@given(
    moments=st.lists(moments, min_size=1, max_size=12),
    offset=st.integers(-12 * 60, 14 * 60).map(lambda m: timedelta(minutes=15 * (m // 15))),
)
def test_iso_text_with_offsets_is_the_instant_it_names(moments, offset):
    hours, rest = divmod(abs(offset), timedelta(hours=1))
    sign = "-" if offset < timedelta(0) else "+"
    suffix = f"{sign}{hours:02d}:{rest // timedelta(minutes=1):02d}"
    text = pd.Series([m.strftime("%Y-%m-%dT%H:%M") + suffix for m in moments])
    expected = [pd.Timestamp(m - offset, tz="UTC") for m in moments]
    assert to_utc(text).tolist() == expected


@SETTINGS
@given(st.lists(st.one_of(st.none(), st.text(max_size=20)), max_size=8))
def test_any_text_parses_or_raises_the_kits_error(values):
    try:
        aware, naive, has_offset = parse_times(pd.Series(values, dtype=object))
    except NPSInputError:
        return
    assert len(aware) == len(naive) == len(has_offset) == len(values)
    both = aware.notna().to_numpy() & naive.notna().to_numpy()
    assert not both.any() and np.array_equal(has_offset, aware.notna().to_numpy())
