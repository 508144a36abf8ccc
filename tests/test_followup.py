"""Closed loop: deadlines across days and time zones, queue status, log validation, compliance,
five whys, transitions and the contacted-vs-not comparison, with values computed by hand."""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nps_analysis as nps
from nps_analysis import datasets
from nps_analysis.analyses.followup import (
    compliance,
    describe_compliance,
    describe_queue,
    followup_queue,
    median_interval,
    parse_deadlines,
    queue_summary,
    to_utc,
    unrouted,
    validate_followup_log,
)
from nps_analysis.analyses.recovery import followup_effect, resurvey_pairs, transition_matrix
from nps_analysis.analyses.root_causes import root_causes, validate_root_causes
from nps_analysis.stats.intervals import newcombe_interval

UTC = "UTC"


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_convert(UTC) if pd.Timestamp(text).tzinfo else pd.Timestamp(text, tz=UTC)


def one(score, submitted, zone, **extra):
    return {"response_id": extra.pop("response_id", "r1"), "score": score, "submitted_at": submitted,
            "timezone": zone, **extra}


def queue_of(rows, **kwargs):
    kwargs.setdefault("as_of", "2026-12-31T00:00:00Z")
    return followup_queue(pd.DataFrame(rows), **kwargs).set_index("response_id")


# ------------------------------------------------------------------------------------- deadlines


def test_default_deadlines_are_24h_48h_and_7_days():
    d = parse_deadlines()
    assert d == {"detractor": pd.Timedelta(hours=24), "passive": pd.Timedelta(hours=48),
                 "promoter": pd.Timedelta(days=7)}


def test_deadlines_configurable_per_category_in_hours_or_text():
    d = parse_deadlines({"detractor": 12, "promoter": "3 days"})
    assert d["detractor"] == pd.Timedelta(hours=12)
    assert d["passive"] == pd.Timedelta(hours=48)
    assert d["promoter"] == pd.Timedelta(days=3)
    with pytest.raises(ValueError, match="unknown category"):
        parse_deadlines({"detractors": 24})
    with pytest.raises(ValueError, match="positive"):
        parse_deadlines({"passive": 0})


def test_detractor_deadline_is_24_hours_after_the_local_answer_time():
    # 10:00 in Oslo in September is CEST (UTC+2) = 08:00Z; +24 h = next day 08:00Z.
    q = queue_of([one(3, "2026-09-01T10:00:00", "Europe/Oslo")])
    assert q.loc["r1", "submitted_utc"] == ts("2026-09-01T08:00:00Z")
    assert q.loc["r1", "deadline"] == ts("2026-09-02T08:00:00Z")
    assert q.loc["r1", "deadline_local"] == "2026-09-02 10:00 CEST"


def test_passive_deadline_crosses_days_and_month_end():
    # 23:30 on 30 September in New York (EDT, UTC-4) = 1 October 03:30Z; +48 h = 3 October 03:30Z.
    q = queue_of([one(8, "2026-09-30T23:30:00", "America/New_York")])
    assert q.loc["r1", "deadline"] == ts("2026-10-03T03:30:00Z")
    assert q.loc["r1", "deadline_local"] == "2026-10-02 23:30 EDT"


def test_same_local_time_in_different_zones_gives_different_instants():
    rows = [one(3, "2026-09-01T09:00:00", "Asia/Tokyo", response_id="tokyo"),
            one(3, "2026-09-01T09:00:00", "America/New_York", response_id="ny")]
    q = queue_of(rows)
    assert q.loc["tokyo", "deadline"] == ts("2026-09-02T00:00:00Z")   # 09:00 JST = 00:00Z
    assert q.loc["ny", "deadline"] == ts("2026-09-02T13:00:00Z")      # 09:00 EDT = 13:00Z
    assert (q.loc["ny", "deadline"] - q.loc["tokyo", "deadline"]) == pd.Timedelta(hours=13)


def test_an_offset_in_the_timestamp_wins_over_the_zone_column():
    q = queue_of([one(3, "2026-09-01T09:00:00+02:00", "Asia/Tokyo")])
    assert q.loc["r1", "submitted_utc"] == ts("2026-09-01T07:00:00Z")
    assert q.loc["r1", "submitted_local"] == "2026-09-01 16:00 JST"   # shown in the customer's zone


def test_tz_aware_column_needs_no_zone():
    frame = pd.DataFrame({"response_id": ["a"], "score": [2],
                          "submitted_at": pd.to_datetime(["2026-09-01T09:00:00+05:30"])})
    q = followup_queue(frame, as_of="2026-12-01T00:00:00Z")
    assert q.loc[0, "deadline"] == ts("2026-09-02T03:30:00Z")


def test_naive_times_without_zone_column_use_the_timezone_parameter():
    frame = pd.DataFrame({"response_id": ["a"], "score": [2], "submitted_at": ["2026-09-01T09:00:00"]})
    q = followup_queue(frame, as_of="2026-12-01", timezone="Europe/London")
    assert q.loc[0, "submitted_utc"] == ts("2026-09-01T08:00:00Z")   # BST


def test_elapsed_deadline_across_spring_dst_change_is_24_real_hours():
    # Berlin, Saturday 28 March 2026 10:00 CET (UTC+1) = 09:00Z. Clocks go forward on Sunday.
    q = queue_of([one(3, "2026-03-28T10:00:00", "Europe/Berlin")])
    assert q.loc["r1", "deadline"] == ts("2026-03-29T09:00:00Z")
    assert q.loc["r1", "deadline_local"] == "2026-03-29 11:00 CEST"   # 11:00 local: a 23-hour local day


def test_local_clock_deadline_across_spring_dst_change_keeps_the_wall_time():
    q = queue_of([one(3, "2026-03-28T10:00:00", "Europe/Berlin")], clock="local")
    assert q.loc["r1", "deadline"] == ts("2026-03-29T08:00:00Z")      # 10:00 CEST, 23 real hours
    assert q.loc["r1", "deadline_local"] == "2026-03-29 10:00 CEST"


def test_promoter_deadline_across_autumn_dst_change_elapsed_and_local():
    # New York, Saturday 31 October 2026 12:00 EDT (UTC-4) = 16:00Z; US clocks go back on 1 November.
    elapsed = queue_of([one(10, "2026-10-31T12:00:00", "America/New_York")])
    assert elapsed.loc["r1", "deadline"] == ts("2026-11-07T16:00:00Z")  # 168 h: 11:00 EST
    assert elapsed.loc["r1", "deadline_local"] == "2026-11-07 11:00 EST"
    local = queue_of([one(10, "2026-10-31T12:00:00", "America/New_York")], clock="local")
    assert local.loc["r1", "deadline"] == ts("2026-11-07T17:00:00Z")    # 12:00 EST: 169 real hours


def test_local_clock_deadline_in_the_skipped_hour_moves_forward():
    # 28 March 02:30 CET exists; 24 h later on the wall clock (02:30 on 29 March) does not: 03:00 CEST.
    q = queue_of([one(3, "2026-03-28T02:30:00", "Europe/Berlin")], clock="local")
    assert q.loc["r1", "deadline"] == ts("2026-03-29T01:00:00Z")


def test_ambiguous_local_time_is_read_as_its_first_occurrence():
    # 25 October 2026 02:30 happens twice in Oslo; the first is CEST (UTC+2).
    out = to_utc(pd.Series(["2026-10-25T02:30:00"]), zones=pd.Series(["Europe/Oslo"]))
    assert out[0] == ts("2026-10-25T00:30:00Z")


def test_nonexistent_local_time_is_an_error_naming_column_row_and_value():
    frame = pd.DataFrame([one(3, "2026-09-01T10:00:00", "Europe/Oslo", response_id="a"),
                          one(3, "2026-03-29T02:30:00", "Europe/Oslo", response_id="b")])
    with pytest.raises(nps.NPSInputError, match="do not exist in Europe/Oslo") as err:
        followup_queue(frame, as_of="2026-12-01T00:00:00Z")
    assert err.value.column == "submitted_at"
    assert err.value.rows == [(1, "2026-03-29T02:30:00")]


def test_unknown_time_zone_is_an_error():
    frame = pd.DataFrame([one(3, "2026-09-01T10:00:00", "Europe/Atlantis")])
    with pytest.raises(nps.NPSInputError, match="no known time zone") as err:
        followup_queue(frame, as_of="2026-12-01T00:00:00Z")
    assert err.value.rows == [(0, "Europe/Atlantis")]


def test_unparsable_time_is_an_error_with_file_line_numbers():
    frame = pd.DataFrame([one(3, "2026-09-01T10:00:00", UTC, response_id="a"),
                          one(3, "next tuesday", UTC, response_id="b")])
    with pytest.raises(nps.NPSInputError, match="ISO 8601") as err:
        followup_queue(frame, as_of="2026-12-01T00:00:00Z", file="answers.csv")
    assert err.value.file == "answers.csv"
    assert err.value.rows == [(3, "next tuesday")]   # header is line 1


def test_as_of_must_be_given():
    frame = pd.DataFrame([one(3, "2026-09-01T10:00:00", UTC)])
    with pytest.raises(ValueError, match="as_of must be given"):
        followup_queue(frame, as_of=None)


zones = st.sampled_from([zoneinfo.ZoneInfo(z) for z in
                         ("Europe/Oslo", "America/New_York", "Asia/Tokyo", "Australia/Lord_Howe", "UTC")])


@settings(max_examples=100, deadline=None)
@given(st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 12, 31),
                    timezones=zones, allow_imaginary=False))
def test_to_utc_reads_offsets_and_local_times_like_python(moment):
    moment = moment.replace(fold=0, microsecond=0)
    expected = pd.Timestamp(moment.astimezone(dt.UTC))
    with_offset = to_utc(pd.Series([moment.isoformat()]))
    assert with_offset[0] == expected
    # The same wall-clock time without offset, in its zone: Python's fold=0 is the first occurrence.
    naive = to_utc(pd.Series([moment.replace(tzinfo=None).isoformat()]), zones=pd.Series([moment.tzinfo.key]))
    assert naive[0] == expected


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=1, max_size=40))
def test_queue_category_matches_classify(scores):
    frame = pd.DataFrame({"response_id": [f"r{i}" for i in range(len(scores))], "score": scores,
                          "submitted_at": "2026-09-01T10:00:00Z"})
    q = followup_queue(frame, as_of="2026-09-02T00:00:00Z").set_index("response_id")
    expected = nps.classify(scores).astype(str).to_numpy()
    assert (q.loc[frame["response_id"], "category"].to_numpy() == expected).all()


# ---------------------------------------------------------------------------------- queue status


def status_frame():
    # Five detractors answered at 08:00Z on 1 September; deadline 2 September 08:00Z.
    rows = [one(2, "2026-09-01T08:00:00Z", UTC, response_id=r, team=t, agent=a)
            for r, t, a in [("in", "A", "Kari"), ("late", "A", "Per"), ("over", "B", "Liv"),
                            ("done", "B", "Kari"), ("edge", None, "Ola")]]
    rows.append(one(9, "2026-09-02T20:00:00Z", UTC, response_id="fresh", team="A", agent="Per"))
    log = pd.DataFrame({
        "response_id": ["in", "late", "done", "edge", "fresh"],
        "taken_by": ["Kari", "Per", "Kari", "Ola", "Per"],
        "contacted_at": ["2026-09-01T20:00:00Z", "2026-09-02T11:30:00Z", "2026-09-01T09:00:00Z",
                         "2026-09-02T08:00:00Z", "2026-09-04T00:00:00Z"],  # 'fresh' contact is after as_of
        "resolved_at": ["", "", "2026-09-02T09:00:00Z", "", ""],
    })
    return pd.DataFrame(rows), log


def test_status_from_the_log_as_of_a_given_time():
    frame, log = status_frame()
    q = followup_queue(frame, log=log, as_of="2026-09-03T14:00:00Z", routing="team").set_index("response_id")
    assert q.loc["in", "status"] == "contacted in time"
    assert q.loc["in", "hours_to_contact"] == 12.0
    assert q.loc["late", "status"] == "contacted late"
    assert q.loc["late", "late_hours"] == 3.5
    assert q.loc["over", "status"] == "overdue"
    assert q.loc["over", "overdue_hours"] == 30.0          # 3 Sep 14:00 - 2 Sep 08:00
    assert q.loc["done", "status"] == "resolved"
    assert q.loc["done", "contact_status"] == "in time"
    assert q.loc["edge", "contact_status"] == "in time"    # contacted exactly at the deadline
    # The promoter's contact on 4 September has not happened yet on 3 September: open, 7 days.
    assert q.loc["fresh", "status"] == "open"
    assert pd.isna(q.loc["fresh", "contacted_at"])
    assert q.loc["fresh", "hours_left"] == pytest.approx(168 - 18)
    assert not q.loc["fresh", "due"]


def test_queue_puts_the_most_overdue_first():
    frame, log = status_frame()
    q = followup_queue(frame, log=log, as_of="2026-09-03T14:00:00Z")
    assert q["status"].tolist()[:2] == ["overdue", "open"]


def test_rebuilding_an_earlier_day_ignores_later_log_events():
    frame, log = status_frame()
    q = followup_queue(frame, log=log, as_of="2026-09-02T10:00:00Z").set_index("response_id")
    assert q.loc["late", "status"] == "overdue"            # contacted at 11:30, after this as_of
    assert q.loc["late", "overdue_hours"] == 2.0
    assert q.loc["done", "status"] == "resolved"
    assert "fresh" not in q.index                          # answered after this as_of
    assert q.attrs["not_yet_submitted"] == 1


def test_unrouted_responses_are_listed_not_dropped():
    frame, log = status_frame()
    q = followup_queue(frame, log=log, as_of="2026-09-03T14:00:00Z", routing="team")
    assert len(q) == 6
    assert unrouted(q)["response_id"].tolist() == ["edge"]
    assert q.attrs["unrouted"] == 1


def test_routing_rules_apply_in_order_with_fallback_to_a_column_value():
    frame, log = status_frame()
    q = followup_queue(frame, log=log, as_of="2026-09-03T14:00:00Z",
                       routing={"agent": {"Kari": "Kari's desk"}, "team": None}).set_index("response_id")
    assert q.loc["in", "owner"] == "Kari's desk" and q.loc["in", "routed_by"] == "agent"
    assert q.loc["late", "owner"] == "A" and q.loc["late", "routed_by"] == "team"
    assert pd.isna(q.loc["edge", "owner"])                 # Ola is not mapped and has no team
    with pytest.raises(nps.NPSInputError, match="no column 'region'"):
        followup_queue(frame, as_of="2026-09-03T14:00:00Z", routing="region")


def test_holdout_responses_are_not_overdue_and_not_in_compliance():
    frame, log = status_frame()
    frame["arm"] = ["contact", "contact", "holdout", "contact", "contact", "contact"]
    q = followup_queue(frame, log=log, as_of="2026-09-03T14:00:00Z", holdout={"arm": "holdout"})
    row = q.set_index("response_id").loc["over"]
    assert row["status"] == "holdout" and not row["due"] and math.isnan(row["overdue_hours"])
    assert compliance(q, by=None).loc[0, "due"] == 4


def test_responses_without_a_score_are_not_followed_up():
    frame, _ = status_frame()
    frame.loc[0, "score"] = np.nan
    q = followup_queue(frame, as_of="2026-09-03T14:00:00Z")
    assert len(q) == 5 and q.attrs["missing_score"] == 1


def test_queue_summary_counts_statuses_per_owner():
    frame, log = status_frame()
    q = followup_queue(frame, log=log, as_of="2026-09-03T14:00:00Z", routing="team")
    s = queue_summary(q).set_index("owner")
    assert s.loc["A", "contacted in time"] == 1 and s.loc["A", "contacted late"] == 1 and s.loc["A", "open"] == 1
    assert s.loc["B", "overdue"] == 1 and s.loc["B", "resolved"] == 1
    assert s.loc["(unrouted)", "total"] == 1
    assert s.loc["B", "max_overdue_hours"] == 30.0
    text = describe_queue(q)
    assert "1 overdue" in text and "30 hours" in text and "without an owner" in text


def test_duplicate_response_ids_in_the_responses_are_an_error():
    frame, _ = status_frame()
    frame.loc[1, "response_id"] = "in"
    with pytest.raises(nps.NPSInputError, match="repeat a response id") as err:
        followup_queue(frame, as_of="2026-09-03T14:00:00Z")
    assert [r for r, _ in err.value.rows] == [0, 1]


# ------------------------------------------------------------------------------ log validation


def log_error(log, frame=None, **kwargs):
    frame = status_frame()[0] if frame is None else frame
    with pytest.raises(nps.NPSInputError) as err:
        validate_followup_log(pd.DataFrame(log), responses=frame, **kwargs)
    return err.value


def test_log_with_unknown_response_id_is_rejected():
    err = log_error({"response_id": ["in", "nope"], "contacted_at": ["2026-09-01T10:00:00Z", ""]})
    assert err.column == "response_id" and err.rows == [(1, "nope")] and "unknown response id" in str(err)


def test_log_with_resolution_before_complaint_is_rejected():
    err = log_error({"response_id": ["in"], "complaint_at": ["2026-09-01T08:00:00Z"],
                     "contacted_at": ["2026-09-01T07:00:00Z"], "resolved_at": ["2026-09-01T07:30:00Z"]},
                    frame=pd.DataFrame([one(2, "2026-09-01T06:00:00Z", UTC, response_id="in")]))
    assert err.column == "contacted_at" and "contact before the complaint" in str(err)
    err = log_error({"response_id": ["in"], "complaint_at": ["2026-09-01T08:00:00Z"],
                     "contacted_at": ["2026-09-01T09:00:00Z"], "resolved_at": ["2026-09-01T07:30:00Z"]},
                    frame=pd.DataFrame([one(2, "2026-09-01T06:00:00Z", UTC, response_id="in")]))
    assert err.column == "resolved_at" and "resolution before the complaint" in str(err)
    assert err.rows == [(0, "2026-09-01T07:30:00Z")]


def test_log_contact_before_the_answer_is_rejected():
    err = log_error({"response_id": ["over"], "contacted_at": ["2026-09-01T07:00:00Z"]})
    assert err.column == "contacted_at" and "before the survey response was submitted" in str(err)


def test_log_resolution_without_contact_and_check_before_resolution_are_rejected():
    err = log_error({"response_id": ["over"], "contacted_at": [""], "resolved_at": ["2026-09-02T07:00:00Z"]})
    assert "without a contact time" in str(err)
    err = log_error({"response_id": ["over"], "contacted_at": ["2026-09-01T09:00:00Z"],
                     "resolved_at": ["2026-09-02T07:00:00Z"], "satisfaction_checked_at": ["2026-09-02T06:00:00Z"]})
    assert err.column == "satisfaction_checked_at"


def test_log_duplicates_bad_booleans_and_negative_compensation_are_rejected():
    assert "repeat a response id" in str(log_error({"response_id": ["in", "in"]}))
    err = log_error({"response_id": ["in", "late"], "solution_done": ["yes", "maybe"]})
    assert err.column == "solution_done" and err.rows == [(1, "maybe")]
    err = log_error({"response_id": ["in"], "compensation_value": [-20]})
    assert err.column == "compensation_value"
    err = log_error({"response_id": ["in"], "contacted_at": ["soon"]}, file="log.csv")
    assert err.file == "log.csv" and err.rows == [(2, "soon")]


def test_log_naive_times_are_local_to_the_responses_zone():
    frame = pd.DataFrame([one(2, "2026-09-01T08:00:00", "America/Chicago", response_id="x")])
    log = validate_followup_log(pd.DataFrame({"response_id": ["x"], "contacted_at": ["2026-09-01T09:15:00"],
                                              "solution_done": ["no"]}), responses=frame)
    assert log.loc[0, "contacted_at"] == ts("2026-09-01T14:15:00Z")   # CDT = UTC-5
    assert log.loc[0, "solution_done"] is np.False_ or log.loc[0, "solution_done"] is False


def test_log_row_numbers_come_from_the_loaded_file(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("response_id,contacted_at\nin,2026-09-01T10:00:00Z\nghost,2026-09-01T10:00:00Z\n")
    log = nps.load(path)
    with pytest.raises(nps.NPSInputError) as err:
        validate_followup_log(log, responses=status_frame()[0])
    assert err.value.file == str(path) and err.value.rows == [(3, "ghost")]


# ---------------------------------------------------------------------------------- compliance


def compliance_frame():
    # Ten detractors answered at 00:00Z on 1 September (deadline 24 h); contacts after 1..40 hours.
    hours = [1, 2, 3, 4, 5, 6, 7, 30, 40, None]
    frame = pd.DataFrame([one(3, "2026-09-01T00:00:00Z", UTC, response_id=f"d{i}", team="A")
                          for i in range(10)])
    log = pd.DataFrame({
        "response_id": [f"d{i}" for i, h in enumerate(hours) if h is not None],
        "contacted_at": [(ts("2026-09-01T00:00:00Z") + pd.Timedelta(hours=h)).isoformat() for h in hours if h],
    })
    # A passive answered late on 5 September is not due yet on 6 September.
    frame.loc[10] = one(7, "2026-09-05T12:00:00Z", UTC, response_id="p", team="A")
    return frame, log


def test_compliance_share_in_time_with_wilson_interval():
    from statsmodels.stats.proportion import proportion_confint

    frame, log = compliance_frame()
    q = followup_queue(frame, log=log, as_of="2026-09-06T00:00:00Z", routing="team")
    c = compliance(q, by="owner").set_index("owner").loc["A"]
    assert (c["responses"], c["due"], c["in_time"], c["late"], c["overdue"]) == (11, 10, 7, 2, 1)
    assert c["share_in_time"] == pytest.approx(70.0)
    lo, hi = proportion_confint(7, 10, alpha=0.05, method="wilson")
    assert (c["ci_lower"], c["ci_upper"]) == pytest.approx((100 * lo, 100 * hi))


def test_compliance_median_time_to_contact_with_order_statistic_interval():
    frame, log = compliance_frame()
    q = followup_queue(frame, log=log, as_of="2026-09-06T00:00:00Z", routing="team")
    c = compliance(q, by=None).loc[0]
    # Sorted: 1..7, 30, 40, not contacted (+inf); median (5 + 6) / 2; n = 10 gives x(2), x(9).
    assert c["median_hours_to_contact"] == 5.5
    assert (c["median_ci_lower"], c["median_ci_upper"]) == (2.0, 40.0)
    assert c["median_confidence"] == pytest.approx(1 - 2 * 11 / 1024)
    assert c["median_exact"]       # the uncontacted one has waited 120 h > 40 h
    # Seen at 41 h the uncontacted one has waited only 41 h... still beyond 40: exact.
    early = compliance(followup_queue(frame, log=log, as_of="2026-09-02T17:00:00Z"), by=None).loc[0]
    assert early["median_exact"]
    assert early["median_ci_upper"] == 40.0


def test_compliance_marks_medians_that_are_only_upper_bounds():
    frame, log = compliance_frame()
    log = log[log["response_id"] != "d8"]                  # the 40-hour contact not made (yet)
    q = followup_queue(frame, log=log, as_of="2026-09-02T12:00:00Z")   # both have waited 36 h
    c = compliance(q, by=None).loc[0]
    assert math.isnan(c["median_ci_upper"]) and not c["median_exact"]
    assert "Overall 7 of 10" in describe_compliance(compliance(q, by=None))


def test_median_interval_matches_binomial_order_statistics():
    assert median_interval(range(1, 11)) == (5.5, 2.0, 9.0, pytest.approx(0.978515625))
    med, lo, hi, conf = median_interval(np.arange(1, 21))   # n = 20: x(6), x(15)
    assert (med, lo, hi) == (10.5, 6.0, 15.0)
    assert conf == pytest.approx(1 - 2 * 0.020694732666015625)
    assert median_interval([3, 1, 2])[1:3] == (-math.inf, math.inf)   # n <= 5 at 95%: unbounded


def test_median_interval_coverage_by_simulation():
    # Exponential times, n = 15: guaranteed coverage 1 - 2 P(B <= 3) = 0.9648 (distribution-free).
    rng = np.random.default_rng(7)
    reps, n = 4000, 15
    x = np.sort(rng.exponential(10.0, size=(reps, n)), axis=1)
    _, lo_ref, hi_ref, conf = median_interval(x[0])
    assert lo_ref == x[0, 3] and hi_ref == x[0, 11]
    true_median = 10.0 * math.log(2)
    covered = (x[:, 3] <= true_median) & (true_median <= x[:, 11])
    se = math.sqrt(conf * (1 - conf) / reps)
    assert abs(covered.mean() - conf) < 4 * se
    assert conf >= 0.95


# ----------------------------------------------------------------------------------- five whys


def chains():
    return pd.DataFrame({
        "response_id": ["in", "late", "over", None],
        "theme": [None, None, None, "waiting time"],
        "team": ["A", "A", None, "B"],
        "recorded_at": ["2026-09-03T10:00:00Z", "2026-09-20T10:00:00Z", "2026-10-02T10:00:00Z",
                        "2026-10-05T10:00:00Z"],
        "why_1": ["No car wash", "No car wash", "Billed twice", "Long waits"],
        "why_2": ["No note", "No note at reception", "Batch rerun", "Few agents"],
        "why_3": ["No reminder", "No training on reminders", "No duplicate check", None],
        "root_cause": [" no  training on reminders", None, None, None],
    })


def test_root_cause_defaults_to_the_last_answered_why():
    out = validate_root_causes(chains(), responses=status_frame()[0])
    assert out["root_cause"].tolist() == ["no training on reminders", "No training on reminders",
                                          "No duplicate check", "Few agents"]
    assert out.loc[3, "depth"] == 2
    assert out.loc[0, "chain"] == "No car wash -> No note -> No reminder"


def test_most_frequent_root_causes_by_team_and_month():
    top = root_causes(chains(), responses=status_frame()[0], by="team", freq="M", top=1)
    sept_a = top[(top["period"] == pd.Timestamp("2026-09-01")) & (top["team"] == "A")].iloc[0]
    assert sept_a["root_cause"] in {"No training on reminders", "no training on reminders"}
    assert sept_a["chains"] == 2 and sept_a["share"] == 100.0
    # 'over' has no team in the chain: it takes its response's team (B).
    octo_b = top[(top["period"] == pd.Timestamp("2026-10-01")) & (top["team"] == "B")]
    assert octo_b["group_chains"].iloc[0] == 2


def test_five_whys_validation_errors():
    bad = chains()
    bad.loc[1, "why_2"] = None
    with pytest.raises(nps.NPSInputError, match="skip a why") as err:
        validate_root_causes(bad)
    assert err.value.rows[0][0] == 1
    bad = chains()
    bad.loc[2, "response_id"] = None
    with pytest.raises(nps.NPSInputError, match="neither a response"):
        validate_root_causes(bad)
    with pytest.raises(nps.NPSInputError, match="unknown response id"):
        validate_root_causes(chains().assign(response_id=["in", "zzz", "over", None]), responses=status_frame()[0])
    with pytest.raises(nps.NPSInputError, match="why_1, why_2"):
        validate_root_causes(pd.DataFrame({"response_id": ["in"], "cause": ["x"]}))


# --------------------------------------------------------------------------------- transitions


def resurveys():
    # (customer, first score, second score, contact hours after the first answer or None)
    people = [("c1", 2, 8, 5), ("c2", 3, 9, 5), ("c3", 5, 4, 5), ("c4", 6, 10, 5),
              ("c5", 1, 2, None), ("c6", 4, 7, None), ("c7", 6, 6, None), ("c8", 0, 3, None), ("c9", 5, 5, 900),
              ("c10", 8, 9, None), ("c11", 10, 6, None)]
    rows, log = [], []
    for c, a, b, h in people:
        rows.append({"response_id": f"{c}a", "customer_id": c, "score": a, "submitted_at": "2026-09-01T10:00:00Z"})
        rows.append({"response_id": f"{c}b", "customer_id": c, "score": b, "submitted_at": "2026-10-01T10:00:00Z"})
        if h is not None:
            log.append({"response_id": f"{c}a",
                        "contacted_at": (ts("2026-09-01T10:00:00Z") + pd.Timedelta(hours=h)).isoformat()})
    return pd.DataFrame(rows), pd.DataFrame(log)


def test_transition_matrix_counts_and_recovery_rate():
    from statsmodels.stats.proportion import proportion_confint

    frame, _ = resurveys()
    tm = transition_matrix(frame)
    assert tm.table().loc["detractor"].tolist() == [5, 2, 2]   # 9 detractors before
    assert tm.table().loc["passive"].tolist() == [0, 0, 1]
    assert tm.table().loc["promoter"].tolist() == [1, 0, 0]
    assert (tm.detractors_before, tm.recovered, tm.promoted) == (9, 4, 2)
    assert tm.recovery_rate == pytest.approx(400 / 9)
    lo, hi = proportion_confint(4, 9, method="wilson")
    assert (tm.ci_lower, tm.ci_upper) == pytest.approx((100 * lo, 100 * hi))
    assert tm.nps_before == pytest.approx(100 * (1 - 9) / 11)
    assert tm.nps_after == pytest.approx(100 * (3 - 6) / 11)
    assert tm.table(shares=True).loc["detractor", "detractor"] == pytest.approx(500 / 9)


def test_resurvey_pairs_respect_the_gap_window_and_chain_consecutive_answers():
    frame, _ = resurveys()
    assert len(resurvey_pairs(frame, max_gap="20D")) == 0
    extra = pd.DataFrame([{"response_id": "c1c", "customer_id": "c1", "score": 9, "submitted_at": "2026-11-15T10:00:00Z"}])
    pairs = resurvey_pairs(pd.concat([frame, extra]))
    c1 = pairs[pairs["customer_id"] == "c1"]
    assert c1[["before_id", "after_id"]].values.tolist() == [["c1a", "c1b"], ["c1b", "c1c"]]
    assert c1["gap_days"].tolist() == [30.0, 45.0]


def test_contacted_vs_not_contacted_with_newcombe_interval_and_warning():
    from statsmodels.stats.proportion import confint_proportions_2indep

    frame, log = resurveys()
    eff = followup_effect(frame, log=log)
    # Contacted before the re-survey: c1, c2, c3, c4 (3 recovered). c9's contact came after it.
    assert (eff.contacted, eff.contacted_recovered) == (4, 3)
    assert (eff.not_contacted, eff.not_contacted_recovered) == (5, 1)
    assert eff.difference == pytest.approx(75 - 20)
    lo, hi = confint_proportions_2indep(3, 4, 1, 5, method="newcomb", compare="diff")
    assert (eff.ci_lower, eff.ci_upper) == pytest.approx((100 * lo, 100 * hi))
    assert newcombe_interval(3, 4, 1, 5) == pytest.approx((lo, hi))
    assert "Regression to the mean" in eff.warning and "Selection" in eff.warning
    assert "Of the 5 detractors who were not contacted, 20% were no longer detractors" in eff.warning
    assert eff.nps_after_not_contacted == pytest.approx(100 * (0 - 4) / 5)


def test_regression_to_the_mean_shows_in_the_random_holdout_of_the_generator():
    data = datasets.closed_loop_data(3000, weeks=10, resurvey_share=0.9, seed=4)
    r = data.responses
    pairs = resurvey_pairs(r)
    arm = r.set_index("response_id")["followup_arm"]
    held = pairs[(pairs["before_category"] == "detractor") & (pairs["before_id"].map(arm) == "holdout")]
    # Nobody called them, yet many are no longer detractors when asked again.
    recovered = (held["after_category"] != "detractor").mean()
    assert len(held) > 40 and recovered > 0.25


# ---------------------------------------------------------------------------------- the sample


def test_sample_queue_compliance_follows_the_simulated_team_speeds():
    r = nps.load(datasets.sample_path("loop_responses"), score="score", id_column="response_id")
    log = nps.load(datasets.sample_path("loop_followups"))
    q = followup_queue(r, log=log, as_of="2026-11-17T12:00:00Z", routing="team",
                       holdout={"followup_arm": "holdout"})
    c = compliance(q[q["category"] == "detractor"], by="owner").set_index("owner")
    # Simulated median contact delays: North 8 h < West 16 h < Americas 26 h.
    assert c.loc["North", "share_in_time"] > c.loc["West", "share_in_time"] > c.loc["Americas", "share_in_time"]
    assert c.loc["North", "median_hours_to_contact"] < c.loc["Americas", "median_hours_to_contact"]
    assert q.attrs["holdout_contacted"] == 0


# ------------------------------------------------------------------------------------- holdout


def holdout_frame():
    # Detractors randomised to contact (6) or holdout (5); all but two answer again a month later.
    people = [("c1", "contact", 9), ("c2", "contact", 8), ("c3", "contact", 3), ("c4", "contact", 10),
              ("c5", "contact", 7), ("c6", "contact", None),
              ("h1", "holdout", 2), ("h2", "holdout", 9), ("h3", "holdout", 4), ("h4", "holdout", 6),
              ("h5", "holdout", None)]
    rows = []
    for c, arm, after in people:
        rows.append({"response_id": f"{c}a", "customer_id": c, "score": 3, "followup_arm": arm,
                     "submitted_at": "2026-09-01T10:00:00Z"})
        if after is not None:
            rows.append({"response_id": f"{c}b", "customer_id": c, "score": after, "followup_arm": "",
                         "submitted_at": "2026-10-01T10:00:00Z"})
    # A promoter in the contact arm is not a detractor: left out.
    rows.append({"response_id": "p1", "customer_id": "p1", "score": 10, "followup_arm": "contact",
                 "submitted_at": "2026-09-01T10:00:00Z"})
    log = pd.DataFrame({"response_id": ["c1a", "c2a", "c3a", "h2a"],
                        "contacted_at": ["2026-09-01T12:00:00Z"] * 3 + ["2026-09-02T12:00:00Z"]})
    return pd.DataFrame(rows), log


def test_holdout_comparison_uses_compare_on_the_arms_as_assigned():
    frame, log = holdout_frame()
    h = nps.holdout_comparison(frame, log=log)
    ref = nps.compare(np.array([9, 8, 3, 10, 7]), np.array([2, 9, 4, 6]))
    assert h.comparison.difference == pytest.approx(ref.difference)
    assert (h.comparison.ci_lower, h.comparison.ci_upper) == pytest.approx((ref.ci_lower, ref.ci_upper))
    assert (h.assigned_contact, h.assigned_holdout, h.resurveyed_contact, h.resurveyed_holdout) == (6, 5, 5, 4)
    assert h.recovery_contact == 80.0 and h.recovery_holdout == 25.0     # 4/5 and 1/4 no longer detractors
    lo, hi = newcombe_interval(4, 5, 1, 4)
    assert (h.recovery_ci_lower, h.recovery_ci_upper) == pytest.approx((100 * lo, 100 * hi))
    assert h.contacted_share == pytest.approx(60.0) and h.holdout_contacted == 1
    assert "contacted anyway" in h.note and "balanced" in h.note
    assert "Randomised holdout" in h.summary()


def test_holdout_comparison_needs_both_arms():
    frame, _ = holdout_frame()
    frame["followup_arm"] = frame["followup_arm"].replace("holdout", "contact")
    with pytest.raises(nps.NPSInputError, match="both arms"):
        nps.holdout_comparison(frame)


def test_holdout_comparison_gives_a_decision_with_a_margin():
    data = datasets.closed_loop_data(1500, seed=20261140)
    h = nps.holdout_comparison(data.responses, log=data.followups, margin=5)
    assert h.decision.decision in {"KEEP", "ROLL_BACK", "CONTINUE"}
    assert h.decision.treatment == "contact" and h.decision.control == "holdout"


# -------------------------------------------------------------------------------- command line


def test_followup_command_prints_the_queue_and_writes_it_masked(tmp_path, capsys):
    from nps_analysis.cli import main

    code = main(["followup", str(datasets.sample_path("loop_responses")), "--score", "score",
                 "--log", str(datasets.sample_path("loop_followups")), "--as-of", "2026-11-17T12:00:00Z",
                 "--route-by", "team", "--holdout", "followup_arm=holdout", "--output", str(tmp_path),
                 "--fail-on-overdue"])
    out = capsys.readouterr().out
    assert code == 3 and "overdue" in out and "share_in_time" in out
    written = pd.read_csv(tmp_path / "followup_queue.csv")
    assert set(written["customer_name"].dropna()) == {"[name]"}
    assert main(["followup", str(datasets.sample_path("loop_responses")), "--score", "score",
                 "--as-of", "2026-11-17T12:00:00Z", "--deadline", "detractor"]) == 2
