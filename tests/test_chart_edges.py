"""Charts at the edges (issue 12, item 7): 0%, 100%, one answer, one period, nothing to show.

No chart may raise, draw a negative error bar, lose an interval, or show a time axis dated 1970.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest

import nps_analysis as nps
from nps_analysis import plots
from nps_analysis.report.plots.edges import error_extents, isolated, period_limits
from nps_analysis.stats.scoring import wilson_interval

PNG = b"\x89PNG\r\n\x1a\n"


def _png(fig) -> bytes:
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _years_on_x(ax) -> list[int]:
    """The years the x-axis spans (empty when the axis has no ticks)."""
    if not ax.get_xticks().size:
        return []
    lo, hi = ax.get_xlim()
    return [mdates.num2date(lo).year, mdates.num2date(hi).year]


def test_error_extents_are_never_negative_at_the_edges():
    # The floating-point edges that broke the compliance chart (Wilson at 0 of 3 and 10 of 10 before
    # the interval helpers returned exact 0 and 1): a limit a hair inside the estimate.
    lo0, hi0 = 5.551115123125783e-17, wilson_interval(0, 3)[1]
    lo1, hi1 = wilson_interval(10, 10)[0], 0.9999999999999999
    assert wilson_interval(0, 3)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0
    ext = error_extents([0.0, 100.0], [100 * lo0, 100 * lo1], [100 * hi0, 100 * hi1])
    assert (ext >= 0).all()
    assert ext[0, 0] == 0.0 and ext[1, 1] == 0.0
    assert ext[1, 0] == pytest.approx(100 * hi0) and ext[0, 1] == pytest.approx(100 - 100 * lo1)
    missing = error_extents([50.0], [np.nan], [60.0])
    assert np.isnan(missing[0, 0]) and missing[1, 0] == 10.0


def test_isolated_points_and_period_limits():
    assert isolated([np.nan, 1.0, np.nan]).tolist() == [False, True, False]
    assert not isolated([1.0, 2.0]).any()
    one = period_limits([pd.Timestamp("2026-11-09")], freq="W")
    assert one == (pd.Timestamp("2026-11-02"), pd.Timestamp("2026-11-16"))
    assert period_limits([], freq="W") is None and period_limits([pd.NaT], freq="W") is None


def _compliance_table(in_time: list[int], due: list[int]) -> pd.DataFrame:
    rows = []
    for owner, k, n in zip(["A", "B", "C"], in_time, due, strict=False):
        lo, hi = wilson_interval(k, n)
        rows.append({"owner": owner, "responses": n, "due": n, "in_time": k, "late": n - k, "overdue": 0,
                     "share_in_time": 100.0 * k / n, "ci_lower": 100 * lo, "ci_upper": 100 * hi})
    return pd.DataFrame(rows)


def test_compliance_chart_draws_0_and_100_percent():
    fig = nps.plot_compliance(_compliance_table([0, 10, 3], [3, 10, 6]))
    ax = fig.axes[0]
    points = [ln for ln in ax.lines if ln.get_marker() == "o"]
    assert points and list(points[0].get_xdata()) == pytest.approx([0.0, 100.0, 50.0])
    assert _png(fig).startswith(PNG)


def test_compliance_chart_with_nothing_due_says_so():
    table = _compliance_table([0], [3]).assign(due=0)
    ax = nps.plot_compliance(table).axes[0]
    assert "No follow-up deadline has passed yet" in " ".join(t.get_text() for t in ax.texts)


@pytest.fixture(scope="module")
def loop() -> pd.DataFrame:
    return nps.load(nps.datasets.sample_path("loop_responses"), score="score")


def test_trend_with_every_cell_suppressed_has_no_1970_axis(loop):
    table = nps.nps_by_period(loop.head(40), min_n=1000)
    ax = nps.plot_nps_trend(table).axes[0]
    assert _years_on_x(ax) == []
    assert "No NPS to show: all" in " ".join(t.get_text() for t in ax.texts)
    empty = nps.nps_by_period(loop.head(0))
    ax = nps.plot_nps_trend(empty).axes[0]
    assert _years_on_x(ax) == [] and "no answers" in ax.texts[0].get_text()


def test_trend_of_one_answer_in_one_week_shows_its_interval_on_that_week(loop):
    table = nps.nps_by_period(loop.head(1), min_n=1)
    ax = nps.plot_nps_trend(table).axes[0]
    lo, hi = ax.get_xlim()
    assert hi - lo == pytest.approx(14.0)  # one week of room on each side, not years
    bars = [c for c in ax.collections if c.__class__.__name__ == "LineCollection"]
    assert bars, "the single point's interval is drawn as a bar"
    segments = bars[0].get_segments()[0]
    assert segments[:, 1].min() == pytest.approx(table["ci_lower"].iloc[0])
    assert segments[:, 1].max() == pytest.approx(table["ci_upper"].iloc[0])
    assert min(_years_on_x(ax)) >= 2026


def test_monitoring_chart_with_one_look_and_with_every_answer_a_10():
    frame = nps.datasets.monitoring_data(1, daily_responses=10, true_effect=0, seed=1)
    for data in (frame, frame.assign(score=10)):
        d = nps.decide(data, score="score", group="arm", time="submitted_at", treatment="treatment",
                       control="control", margin=5)
        ax = nps.plot_monitoring(d).axes[0]
        low, high = ax.get_ylim()
        assert -205 <= low and high <= 205  # a difference of two NPS is within -200..200
        lo, hi = ax.get_xlim()
        assert hi - lo <= 3  # days: one look gets a day of room, not years
        assert _png(ax.figure).startswith(PNG)


def test_experiment_charts_with_one_answer_per_arm_at_plus_and_minus_100():
    frame = pd.DataFrame({"arm": ["control", "t"], "score": [10, 0]})
    arms = nps.experiment.arm_table(frame, score="score", group="arm", arms=["control", "t"])
    assert list(arms["nps"]) == [100.0, -100.0]
    for fig in (plots.nps_forest(arms, control="control"), plots.category_bars(arms),
                plots.score_distribution_chart(frame, score="score", group="arm", arms=["control", "t"])):
        assert fig.png().startswith(PNG)
    widths = np.array([p.get_width() for p in plots.category_bars(arms).axes[0].patches]).reshape(3, 2)
    assert widths.sum(axis=0) == pytest.approx([100.0, 100.0])


def test_gap_charts_at_the_ends_of_the_scale():
    company = pd.DataFrame({"a": [5] * 6, "b": [1] * 6})
    customers = pd.DataFrame({"a": [1] * 30, "b": [5] * 30})
    gap = nps.survey_gap(company, customers, scale=(1, 5), n_bootstrap=200)
    assert [round(i.gap, 6) for i in gap.items] == [-4.0, 4.0]
    assert _png(nps.gap_dumbbell(gap)).startswith(PNG)
    superior = nps.superior_service(company, customers, item="a", scale=(1, 5))
    assert superior.headline().startswith("100% of company respondents")


def test_many_segments_get_one_panel_each_and_few_a_legend_beside_the_axis():
    """Twenty lines with their bands in one axis are unreadable: small multiples instead."""
    import matplotlib

    matplotlib.use("Agg")
    from nps_analysis.report.plots.tracking import MAX_LINES, plot_nps_trend

    rng = np.random.default_rng(4)
    weeks = pd.date_range("2026-09-07", periods=6, freq="W-MON")
    rows = [{"period": w, "team": f"t{k:02d}", "nps": v, "ci_lower": v - 5, "ci_upper": v + 5, "suppressed": False}
            for k in range(12) for w, v in zip(weeks, rng.normal(20, 5, 6), strict=True)]
    table = pd.DataFrame(rows)
    table.attrs.update(by=["team"], freq="W", confidence_level=0.95, min_n=30)
    fig = plot_nps_trend(table, title="NPS by team")
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == 12 > MAX_LINES
    assert [ax.get_title() for ax in panels] == [f"t{k:02d}" for k in range(12)]
    assert all(ax.get_legend() is None for ax in panels)
    few = table[table["team"].isin(["t00", "t01", "t02", "t03", "t04"])].reset_index(drop=True)
    few.attrs = dict(table.attrs)
    fig = plot_nps_trend(few)
    (ax,) = fig.axes
    legend = ax.get_legend()
    assert legend is not None and legend.get_bbox_to_anchor().x0 > ax.get_window_extent().x1 - 1
