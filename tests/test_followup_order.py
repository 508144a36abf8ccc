"""The follow-up queue puts detractors first, then passives, then promoters; within a category the
longest overdue first, then the least time left; contacted and resolved answers after (issue 13)."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from nps_analysis.analyses.followup import followup_queue

AS_OF = "2026-11-17T12:00:00Z"


def test_todays_detractor_comes_before_a_promoter_two_months_overdue():
    frame = pd.DataFrame({
        "response_id": ["old_promoter", "old_passive", "today_detractor", "new_detractor"],
        "score": [10, 7, 2, 0],
        "submitted_at": ["2026-09-10T12:00:00Z", "2026-10-01T12:00:00Z", "2026-11-16T06:00:00Z",
                         "2026-11-17T11:00:00Z"],
    })
    q = followup_queue(frame, as_of=AS_OF)
    assert q["response_id"].tolist() == ["today_detractor", "new_detractor", "old_passive", "old_promoter"]
    assert q["status"].tolist() == ["overdue", "open", "overdue", "overdue"]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10), st.integers(1, 2000)), min_size=1, max_size=30))
def test_queue_order_is_category_then_overdue_then_time_left(rows):
    frame = pd.DataFrame({
        "response_id": [f"r{i}" for i in range(len(rows))],
        "score": [s for s, _ in rows],
        "submitted_at": [pd.Timestamp(AS_OF) - pd.Timedelta(hours=h) for _, h in rows],
    })
    q = followup_queue(frame, as_of=AS_OF)
    todo = q[q["status"].isin(["overdue", "open"])]
    rank = todo["category"].map({"detractor": 0, "passive": 1, "promoter": 2}).tolist()
    assert rank == sorted(rank)
    for _, group in todo.groupby("category"):
        urgency = group["overdue_hours"].fillna(-group["hours_left"]).tolist()
        assert urgency == sorted(urgency, reverse=True)
    # everything still to do comes before everything done
    done = q["status"].isin(["overdue", "open"]).tolist()
    assert done == sorted(done, reverse=True)
