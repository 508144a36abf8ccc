"""Issue 14, item 8: the smaller fixes (deadline at as_of, complementary suppression, the
Brunner-Munzel t warning, NPSCounts.from_scores decorated once)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import nps_analysis as nps
from nps_analysis import NPSCounts


def answers(cats, **cols):
    """Rows with one score per answer: (detractors, passives, promoters) as scores 3, 8, 10."""
    d, p, r = cats
    scores = [3] * d + [8] * p + [10] * r
    return pd.DataFrame({"score": scores, **{k: [v] * len(scores) for k, v in cols.items()}})


# ------------------------------------------------------------------------ deadline equal to as_of


def test_a_deadline_exactly_at_as_of_is_due_and_overdue_not_not_yet_due():
    frame = pd.DataFrame([{"response_id": "r1", "score": 3, "submitted_at": "2026-12-01T00:00:00Z", "timezone": "UTC"}])
    q = nps.followup_queue(frame, as_of="2026-12-02T00:00:00Z").set_index("response_id")  # 24 h later
    row = q.loc["r1"]
    assert row["due"]
    assert row["contact_status"] == "overdue" and row["status"] == "overdue"
    assert row["overdue_hours"] == 0.0
    c = nps.compliance(nps.followup_queue(frame, as_of="2026-12-02T00:00:00Z"))
    assert int(c["due"].iloc[0]) == 1 and int(c["overdue"].iloc[0]) == 1
    # one second earlier it is open and not yet due
    early = nps.followup_queue(frame, as_of="2026-12-01T23:59:59Z").set_index("response_id").loc["r1"]
    assert early["contact_status"] == "not yet due" and not early["due"]


# ----------------------------------------------------------------- complementary suppression


def test_a_single_small_cell_gets_a_complementary_cell_so_totals_cannot_reveal_it():
    week = "2026-09-08T10:00:00Z"
    frame = pd.concat([
        answers((10, 10, 20), team="A", submitted_at=week),
        answers((3, 3, 6), team="B", submitted_at=week),
        answers((1, 0, 1), team="C", submitted_at=week),
    ], ignore_index=True)
    t = nps.nps_by_period(frame, by="team", min_n=5).set_index("team")
    assert t.loc["C", "suppressed"] and math.isnan(t.loc["C", "detractors"])      # primary: n = 2 < 5
    assert t.loc["B", "suppressed"] and math.isnan(t.loc["B", "detractors"])      # complementary: smallest other
    assert "complementary" in t.loc["B", "note"]
    assert not t.loc["A", "suppressed"] and t.loc["A", "detractors"] == 10
    total = nps.nps_by_period(frame, min_n=5).iloc[0]
    # the total minus what is shown leaves B + C together (3 + 1 detractors), never C alone
    assert total["detractors"] - t.loc["A", "detractors"] == 3 + 1


def test_two_small_cells_protect_each_other_and_empty_cells_protect_nothing():
    week = "2026-09-08T10:00:00Z"
    frame = pd.concat([
        answers((10, 10, 20), team="A", submitted_at=week),
        answers((1, 1, 1), team="B", submitted_at=week),
        answers((1, 0, 1), team="C", submitted_at=week),
    ], ignore_index=True)
    t = nps.nps_by_period(frame, by="team", min_n=5).set_index("team")
    assert list(t["suppressed"]) == [False, True, True]
    # a second week where only A answered: B and C have n = 0 (nothing to hide), A stays shown
    frame2 = pd.concat([frame, answers((5, 5, 5), team="A", submitted_at="2026-09-15T10:00:00Z")], ignore_index=True)
    t2 = nps.nps_by_period(frame2, by="team", min_n=5)
    wk2 = t2[t2["period"] == pd.Timestamp("2026-09-14")].set_index("team")
    assert not wk2.loc["A", "suppressed"] and wk2.loc["A", "detractors"] == 5


def test_comment_themes_hide_the_counts_of_suppressed_groups_and_add_a_complementary_one():
    frame = pd.DataFrame({
        "score": [1] * 12 + [8] * 6 + [10] * 2,
        "comment": ["long wait"] * 12 + ["wait a bit"] * 6 + ["waited"] * 2,
    })
    t = nps.comment_themes(frame, themes={"waiting": ["wait*"]}, min_n=5).set_index(["category", "theme"])
    pro = t.loc[("promoter", "waiting")]
    pas = t.loc[("passive", "waiting")]
    assert pro["suppressed"] and math.isnan(pro["mentions"]) and math.isnan(pro["share"])
    assert pas["suppressed"] and math.isnan(pas["mentions"])        # complementary
    assert not t.loc[("detractor", "waiting"), "suppressed"]


# ------------------------------------------------------------------- Brunner-Munzel t warning


def test_brunner_munzel_t_at_small_n_warns():
    rng = np.random.default_rng(3)
    company = pd.DataFrame({"q1": rng.integers(1, 6, 15), "q2": rng.integers(1, 6, 15)})
    customers = pd.DataFrame({"q1": rng.integers(1, 6, 300), "q2": rng.integers(1, 6, 300)})
    with pytest.warns(UserWarning, match="liberal"):
        nps.survey_gap(company, customers, test="brunner-munzel", n_bootstrap=100)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nps.survey_gap(company, customers, test="brunner-munzel-permutation", n_bootstrap=100)


# ----------------------------------------------------------------- from_scores decorated once


def test_from_scores_is_a_single_classmethod():
    raw = NPSCounts.__dict__["from_scores"]
    assert isinstance(raw, classmethod)
    assert not isinstance(raw.__func__, classmethod)  # a stacked classmethod breaks on Python 3.13
    assert NPSCounts.from_scores([0, 7, 9, 10]).as_array().tolist() == [1.0, 1.0, 2.0]
