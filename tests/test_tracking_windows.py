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


# ------------------------------------------------------------------ through nps_by_period / period_changes

import numpy as np  # noqa: E402

import nps_analysis as nps  # noqa: E402


@pytest.fixture(scope="module")
def small_programme() -> pd.DataFrame:
    """~15 answers a week for 30 weeks (the issue's low-volume programme), seeded."""
    rng = np.random.default_rng(12)
    n = 15 * 30
    times = pd.Timestamp("2026-01-05", tz="UTC") + pd.to_timedelta(rng.uniform(0, 30 * 7, n), unit="D")
    return pd.DataFrame({"score": rng.integers(0, 11, n), "submitted_at": times, "team": rng.choice(["A", "B"], n)})


def _by_hand(frame: pd.DataFrame, first: str, weeks: int) -> tuple[int, int, int]:
    start = pd.Timestamp(first, tz="UTC")
    inside = frame[(frame["submitted_at"] >= start) & (frame["submitted_at"] < start + pd.Timedelta(weeks=weeks))]
    s = inside["score"]
    return int((s <= 6).sum()), int(s.between(7, 8).sum()), int((s >= 9).sum())


def test_a_window_cell_holds_the_trailing_weeks_read_from_before_start(small_programme):
    table = nps.nps_by_period(small_programme, start="2026-03-02", end="2026-03-30", window=4, min_n=30)
    assert table["period"].min() == pd.Timestamp("2026-03-02") and len(table) == 5
    first = table.iloc[0]
    d, p, r = _by_hand(small_programme, "2026-02-09", 4)  # weeks of 9, 16, 23 Feb and 2 Mar
    assert (first["detractors"], first["passives"], first["promoters"], first["n"]) == (d, p, r, d + p + r)
    assert first["nps"] == pytest.approx(100 * (r - d) / (d + p + r))
    expected = nps.nps_interval(nps.NPSCounts(d, p, r), method=table.attrs["method"])
    assert (first["ci_lower"], first["ci_upper"]) == pytest.approx((expected.ci_lower, expected.ci_upper))
    assert table.attrs["window"] == 4 and table.attrs["suggested_window"] is None


def test_a_window_is_compared_with_the_window_before_it_not_an_overlapping_one(small_programme):
    table = nps.nps_by_period(small_programme, start="2026-03-02", end="2026-04-27", window=4, min_n=30)
    change = nps.period_changes(table, period="2026-04-27").iloc[0]
    assert change["previous_period"] == pd.Timestamp("2026-03-30")
    now = _by_hand(small_programme, "2026-04-06", 4)
    before = _by_hand(small_programme, "2026-03-09", 4)
    assert (change["n"], change["previous_n"]) == (sum(now), sum(before))
    nps_now = 100 * (now[2] - now[0]) / sum(now)
    nps_before = 100 * (before[2] - before[0]) / sum(before)
    assert change["difference"] == pytest.approx(nps_now - nps_before)
    # the adjusted-Wald z of the two windows' counts (pseudo-counts 3/4, 3/2, 3/4 on each side)
    a = np.array(now) + [0.75, 1.5, 0.75]
    b = np.array(before) + [0.75, 1.5, 0.75]
    va = (a[2] + a[0]) / a.sum() - ((a[2] - a[0]) / a.sum()) ** 2
    vb = (b[2] + b[0]) / b.sum() - ((b[2] - b[0]) / b.sum()) ** 2
    se = 100 * np.sqrt(va / a.sum() + vb / b.sum())
    assert change["se"] == pytest.approx(se)
    assert "trailing windows of 4 periods" in nps.period_changes(table).attrs["method"]


def test_most_cells_suppressed_gives_a_suggested_window_and_a_line_for_the_report(small_programme):
    weekly = nps.nps_by_period(small_programme, start="2026-05-04", end="2026-06-29", min_n=30)
    assert weekly["suppressed"].all()
    assert weekly.attrs["suggested_window"] == 4 and weekly.attrs["suggested_suppressed"] == 0
    assert nps.describe_suppression(weekly).startswith("9 of 9 cells (one period each) have fewer than 30")
    assert "Set `window` to 4" in nps.describe_suppression(weekly)
    pooled = nps.nps_by_period(small_programme, start="2026-05-04", end="2026-06-29", min_n=30, window=4)
    assert not pooled["suppressed"].any() and nps.describe_suppression(pooled) == ""
