"""Response-rate tracking: rates and Wilson intervals per team and period, the detectable change
(two-proportion formula by hand) and the falling-rate alert rule."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from nps_analysis.analyses.response import (
    detectable_change,
    response_rate_alerts,
    response_rates_by_period,
)
from nps_analysis.sources.errors import NPSInputError
from nps_analysis.stats.scoring import wilson_interval


def invitations(spec: dict[tuple[str, str], tuple[int, int, int]]) -> pd.DataFrame:
    """``{(period, team): (invited, responded, commented)}`` as one row per invitation."""
    rows = []
    for (period, team), (invited, responded, commented) in spec.items():
        for i in range(invited):
            rows.append({"week": period, "team": team, "responded": i < responded,
                         "comment": "slow" if i < commented else ("" if i % 2 else None)})
    return pd.DataFrame(rows)


def test_rates_and_wilson_intervals_per_team_and_period():
    inv = invitations({("w1", "a"): (50, 20, 5), ("w1", "b"): (40, 10, 10), ("w2", "a"): (60, 30, 0)})
    t = response_rates_by_period(inv, comment="comment", period="week")
    row = t[t.period.eq("w1") & t.team.eq("a")].iloc[0]
    assert (row.invited, row.responses, row.comments) == (50, 20, 5)
    assert row.response_rate == pytest.approx(40.0)
    lo, hi = wilson_interval(20, 50)
    assert (row.response_ci_lower, row.response_ci_upper) == pytest.approx((100 * lo, 100 * hi))
    assert row.comment_rate == pytest.approx(25.0)
    clo, chi = wilson_interval(5, 20)
    assert (row.comment_ci_lower, row.comment_ci_upper) == pytest.approx((100 * clo, 100 * chi))
    b = t[t.team.eq("b")].iloc[0]
    assert b.comment_rate == pytest.approx(100.0)
    assert list(t.columns[:3]) == ["period", "team", "invited"]


def test_invitation_times_are_assigned_to_weeks():
    inv = pd.DataFrame({"team": ["a"] * 4, "responded": [True, False, True, True],
                        "sent": pd.to_datetime(["2026-10-05T10:00Z", "2026-10-06T10:00Z",
                                                "2026-10-12T10:00Z", "2026-10-18T23:00Z"])})
    t = response_rates_by_period(inv, time="sent")
    assert list(t["invited"]) == [2, 2]
    assert list(t["period"]) == [pd.Timestamp("2026-10-05"), pd.Timestamp("2026-10-12")]
    assert t["comment_rate"].isna().all()


def test_detectable_change_matches_the_formula():
    # (z_.975 + z_.8) sqrt(p (1 - p) (1/n1 + 1/n2)) at p = 0.4, n = 500 each
    expected = (norm.ppf(0.975) + norm.ppf(0.8)) * math.sqrt(0.4 * 0.6 * 2 / 500)
    assert detectable_change(0.4, 500) == pytest.approx(expected)
    assert expected == pytest.approx(0.0868, abs=1e-4)
    assert detectable_change(0.4, 500, 2000) < expected
    assert np.isnan(detectable_change(0.4, 0))
    inv = invitations({("w1", "a"): (500, 200, 0)})
    t = response_rates_by_period(inv, period="week")
    assert t["detectable_change"].iloc[0] == pytest.approx(100 * expected)


def test_alert_fires_for_a_significant_drop_only():
    spec = {}
    for w in ("w1", "w2", "w3", "w4"):
        spec[(w, "a")] = (200, 80, 0)
        spec[(w, "b")] = (200, 80, 0)
    spec[("w5", "a")] = (200, 40, 0)  # 40% -> 20%
    spec[("w5", "b")] = (200, 78, 0)  # 40% -> 39%
    t = response_rates_by_period(invitations(spec), period="week")
    alerts = response_rate_alerts(t, baseline=4)
    a = alerts[alerts.team == "a"].iloc[0]
    b = alerts[alerts.team == "b"].iloc[0]
    pool = 360 / 1000
    z = (0.4 - 0.2) / math.sqrt(pool * (1 - pool) * (1 / 200 + 1 / 800))
    assert a.z == pytest.approx(z) and a.pvalue == pytest.approx(norm.sf(z))
    assert a.decline == pytest.approx(20.0) and a.baseline_invited == 800
    assert bool(a.alert) and "fell to 20.0% from 40.0%" in a.message
    assert not b.alert and b.message == ""
    # Holm across the two teams: the smallest p-value is doubled
    assert a.pvalue_adjusted == pytest.approx(min(1.0, 2 * a.pvalue))
    assert "Holm" in alerts.attrs["rule"] or "holm" in alerts.attrs["rule"]
    # a minimum drop larger than the observed one silences the alert
    assert not response_rate_alerts(t, min_drop=25).alert.any()


def test_bad_input_is_named():
    inv = invitations({("w1", "a"): (5, 2, 0)})
    with pytest.raises(NPSInputError, match="true/false"):
        response_rates_by_period(inv.assign(responded=["y", "n", "y", "n", "y"]))
    with pytest.raises(NPSInputError, match="missing column"):
        response_rates_by_period(inv, by="agent")
    with pytest.raises(NPSInputError, match="with periods"):
        response_rate_alerts(response_rates_by_period(inv))
