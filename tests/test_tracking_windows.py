"""Trailing windows for low-volume programmes (issue 12, item 8): sums, suggestions, the report line."""

from __future__ import annotations

import pandas as pd
import pytest

from nps_analysis.analyses.windows import (
    check_window,
    describe_suppression,
    suggest_window,
    trailing_sums,
)


@pytest.fixture
def grid() -> pd.DataFrame:
    """Five weeks of two teams, every week present (n = 0 allowed), counts written by hand."""
    weeks = list(pd.date_range("2026-01-05", periods=5, freq="W-MON"))
    t = pd.DataFrame({
        "period": weeks * 2,
        "team": ["A"] * 5 + ["B"] * 5,
        "detractors": [1, 0, 2, 0, 1, 0, 0, 0, 0, 9],
        "passives": [0, 2, 0, 0, 0, 0, 0, 0, 0, 0],
        "promoters": [3, 1, 0, 5, 0, 1, 1, 1, 1, 1],
    })
    t["n"] = t[["detractors", "passives", "promoters"]].sum(axis=1)
    return t


def test_trailing_sums_add_the_last_k_calendar_periods_per_segment(grid):
    out = trailing_sums(grid, by=["team"], window=3).set_index(["team", "period"])
    a = out.loc["A"]
    # week 3 of A: weeks 1-3 = (1+0+2) detractors, (0+2+0) passives, (3+1+0) promoters
    assert a.iloc[2][["detractors", "passives", "promoters", "n"]].tolist() == [3, 2, 4, 9]
    assert a.iloc[4][["detractors", "passives", "promoters", "n"]].tolist() == [3, 0, 5, 8]
    # the first periods hold partial windows (what there is), never another team's answers
    assert out.loc["B"]["n"].tolist() == [1, 2, 3, 3, 12]
    assert out.loc["A"]["n"].tolist() == [4, 7, 9, 10, 8]


def test_window_one_changes_nothing_and_bad_windows_are_refused(grid):
    pd.testing.assert_frame_equal(trailing_sums(grid, by=["team"], window=1), grid)
    for bad in (0, -4, 2.5, True, "4"):
        with pytest.raises(ValueError, match="window must be a whole number"):
            check_window(bad)


def test_overall_trailing_sums_without_segments(grid):
    overall = grid.groupby("period", as_index=False)[["detractors", "passives", "promoters", "n"]].sum()
    assert trailing_sums(overall, window=2)["n"].tolist() == [5, 9, 7, 9, 17]  # per week 5, 4, 3, 6, 11


def test_the_smallest_window_that_shows_most_cells_is_suggested(grid):
    # n per week: A 4,3,2,5,1; B 1,1,1,1,10. min_n 5: window 1 hides 8 of 10 cells; window 2
    # (A 4,7,5,7,6; B 1,2,2,2,11) hides 5 of 10, which is not "most": 2 is the suggestion.
    assert suggest_window(grid, by=["team"], min_n=5, candidates=(2, 3, 4)) == 2
    # min_n 6: window 2 hides 6 of 10; window 3 (A 4,7,9,10,8; B 1,2,3,3,12) hides 5 of 10
    assert suggest_window(grid, by=["team"], min_n=6, candidates=(2, 3, 4)) == 3
    assert suggest_window(grid, by=["team"], min_n=6, candidates=(2,)) is None
    assert suggest_window(grid, by=["team"], min_n=1) is None  # nothing to fix
    assert suggest_window(grid, by=["team"], min_n=1000, candidates=(2, 3)) is None  # nothing helps


def test_the_report_line_says_how_many_cells_are_hidden_and_which_window_to_set():
    table = pd.DataFrame({"suppressed": [True, True, True, False]})
    table.attrs.update(min_n=30, window=1, freq="W", suggested_window=13, suggested_suppressed=1)
    assert describe_suppression(table) == (
        "3 of 4 cells (one period each) have fewer than 30 answers and are not shown. Set `window` to 13 "
        "(NPS over the trailing 13 weeks): then 1 of 4 cells would be suppressed."
    )
    table.attrs.update(suggested_window=None, window=4)
    assert describe_suppression(table).startswith("3 of 4 cells (trailing 4 weeks each)")
    assert "No trailing window of up to 52 weeks in these data would show most" in describe_suppression(table)
    assert describe_suppression(table.assign(suppressed=[True, True, False, False])) == ""
