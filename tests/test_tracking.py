"""Tracking: NPS by period and segment, significant changes with multiplicity control, cohorts,
comment themes and alert lists, pinned to values computed by hand."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

import nps_analysis as nps
from nps_analysis import datasets
from nps_analysis.analyses.alerts import (
    alert_list,
    comment_themes,
    describe_alerts,
    keyword_pattern,
    load_themes,
)
from nps_analysis.analyses.tracking import (
    adjust_pvalues,
    assign_periods,
    cohort_matrix,
    cohort_table,
    describe_changes,
    last_complete_period,
    nps_by_period,
    period_changes,
    wald_difference,
)
from nps_analysis.report.exports import write_alerts


def answers(counts: tuple[int, int, int], **columns) -> pd.DataFrame:
    """Rows with scores 0 (detractor), 7 (passive), 10 (promoter) in the given numbers."""
    d, p, r = counts
    scores = [0] * d + [7] * p + [10] * r
    return pd.DataFrame({"score": scores, **{k: [v] * len(scores) for k, v in columns.items()}})


# ------------------------------------------------------------------------------------- periods


def test_weeks_run_monday_to_sunday_on_the_report_calendar():
    times = nps.followup.to_utc(pd.Series(["2026-09-13T23:30:00"]), zones=pd.Series(["America/New_York"]))
    # Sunday 23:30 in New York is Monday 03:30 UTC.
    assert assign_periods(times, freq="W")[0] == pd.Timestamp("2026-09-14")
    assert assign_periods(times, freq="W", timezone="America/New_York")[0] == pd.Timestamp("2026-09-07")
    assert assign_periods(times, freq="M")[0] == pd.Timestamp("2026-09-01")


def test_last_complete_period_before_as_of():
    assert last_complete_period("2026-11-17T12:00:00Z") == pd.Timestamp("2026-11-09")
    assert last_complete_period("2026-11-16T00:00:00Z") == pd.Timestamp("2026-11-09")
    assert last_complete_period("2026-11-16T03:00:00Z", timezone="America/New_York") == pd.Timestamp("2026-11-02")
    assert last_complete_period("2026-11-01T00:00:00Z", freq="M") == pd.Timestamp("2026-10-01")


def test_nps_by_period_counts_intervals_and_suppression():
    frame = pd.concat([
        answers((1, 1, 3), team="A", submitted_at="2026-09-08T10:00:00Z"),
        answers((2, 0, 1), team="A", submitted_at="2026-09-16T10:00:00Z"),
        answers((0, 1, 1), team="B", submitted_at="2026-09-09T10:00:00Z"),
    ], ignore_index=True)
    t = nps_by_period(frame, by="team", min_n=3).set_index(["team", "period"])
    a2 = t.loc[("A", pd.Timestamp("2026-09-14"))]
    assert (a2["n"], a2["nps"]) == (3, pytest.approx(-100 / 3))
    ref = nps.nps_interval(nps.NPSCounts(2, 0, 1), method="adjusted-wald")
    assert (a2["ci_lower"], a2["ci_upper"]) == pytest.approx((ref.ci_lower, ref.ci_upper))
    b1 = t.loc[("B", pd.Timestamp("2026-09-07"))]
    assert b1["suppressed"] and math.isnan(b1["nps"]) and math.isnan(b1["promoters"]) and b1["n"] == 2
    assert b1["note"] == "n = 2 < 3: not shown"
    # A's week 1 (n = 5) would reveal B's counts from the week's total: hidden too (complementary)
    a1 = t.loc[("A", pd.Timestamp("2026-09-07"))]
    assert a1["suppressed"] and a1["n"] == 5 and math.isnan(a1["nps"]) and math.isnan(a1["ci_lower"])
    assert "complementary" in a1["note"]
    b2 = t.loc[("B", pd.Timestamp("2026-09-14"))]     # a week without answers is shown as n = 0
    assert b2["n"] == 0 and b2["suppressed"]
    assert t.attrs["suppressed"] == 3


def change_table(min_n=30):
    frame = pd.concat([
        answers((20, 30, 50), team="A", submitted_at="2026-09-08T10:00:00Z"),
        answers((40, 30, 30), team="A", submitted_at="2026-09-15T10:00:00Z"),
        answers((25, 25, 50), team="B", submitted_at="2026-09-08T10:00:00Z"),
        answers((30, 25, 45), team="B", submitted_at="2026-09-15T10:00:00Z"),
        answers((5, 5, 5), team="C", submitted_at="2026-09-08T10:00:00Z"),
        answers((20, 20, 20), team="C", submitted_at="2026-09-15T10:00:00Z"),
        # D is the week-1 cell hidden to protect C's (complementary suppression: the smallest other)
        answers((10, 10, 11), team="D", submitted_at="2026-09-08T10:00:00Z"),
        answers((10, 10, 20), team="D", submitted_at="2026-09-15T10:00:00Z"),
    ], ignore_index=True)
    return nps_by_period(frame, by="team", min_n=min_n)


def test_period_change_is_a_difference_of_two_independent_nps():
    c = period_changes(change_table(), method="wald").set_index("team")
    # A: 30 -> -10. V_now = 0.3 + 0.4 - 0.1^2 = 0.69, V_before = 0.5 + 0.2 - 0.3^2 = 0.61.
    se_a = 100 * math.sqrt(0.69 / 100 + 0.61 / 100)
    assert c.loc["A", "difference"] == pytest.approx(-40.0)
    assert c.loc["A", "se"] == pytest.approx(se_a)
    p_a = 2 * norm.sf(40 / se_a)
    assert c.loc["A", "pvalue"] == pytest.approx(p_a)
    assert c.loc["A", "ci_lower"] == pytest.approx(-40 - 1.959963985 * se_a)
    # B: 25 -> 15. V_now = 0.45 + 0.3 - 0.15^2, V_before = 0.5 + 0.25 - 0.25^2.
    se_b = 100 * math.sqrt((0.75 - 0.0225) / 100 + (0.75 - 0.0625) / 100)
    p_b = 2 * norm.sf(10 / se_b)
    assert c.loc["B", "pvalue"] == pytest.approx(p_b)
    # Holm over the family {A, B} (C is suppressed: n = 15 < 30 before).
    assert c.loc["A", "pvalue_adjusted"] == pytest.approx(2 * p_a)
    assert c.loc["B", "pvalue_adjusted"] == pytest.approx(max(p_b, 2 * p_a))
    assert c.loc["A", "significant"] and c.loc["A", "direction"] == "down"
    assert not c.loc["B", "significant"] and c.loc["B", "direction"] == ""
    assert math.isnan(c.loc["C", "pvalue"]) and not c.loc["C", "significant"]
    assert "not tested" in c.loc["C", "note"]
    assert c.attrs["tested"] == 2 and "Holm" in c.attrs["family"] and "(team)" in c.attrs["family"]


def test_adjusted_wald_period_change_matches_compare():
    c = period_changes(change_table()).set_index("team")
    ref = nps.compare(nps.NPSCounts(40, 30, 30), nps.NPSCounts(20, 30, 50), method="adjusted-wald")
    assert c.loc["A", "difference"] == pytest.approx(ref.difference)
    assert ref.difference == pytest.approx(-40.0)
    assert (c.loc["A", "ci_lower"], c.loc["A", "ci_upper"]) == pytest.approx((ref.ci_lower, ref.ci_upper))
    assert c.loc["A", "pvalue"] == pytest.approx(ref.pvalue)
    assert c.loc["A", "se"] == pytest.approx(ref.se)


def test_benjamini_hochberg_adjustment_by_hand():
    p = np.array([0.01, 0.04, 0.03, np.nan, 0.5])
    adjusted, reject = adjust_pvalues(p, correction="bh", alpha=0.05)
    # m = 4 ranked 0.01, 0.03, 0.04, 0.5: p * m / rank, then running minimum from the top.
    expected = [min(0.01 * 4 / 1, 0.04), min(0.04 * 4 / 3, 0.5), min(0.03 * 4 / 2, 0.04 * 4 / 3), np.nan, 0.5]
    assert np.allclose(adjusted, expected, equal_nan=True)
    assert reject.tolist() == [True, False, False, False, False]
    holm, _ = adjust_pvalues(p, correction="holm")
    assert np.allclose(holm, [0.04, 0.09, 0.09, np.nan, 0.5], equal_nan=True)


def test_adjustments_match_statsmodels():
    from statsmodels.stats.multitest import multipletests

    p = np.random.default_rng(3).uniform(0, 0.2, size=(5, 12))
    for ours, theirs in (("holm", "holm"), ("bh", "fdr_bh"), ("bonferroni", "bonferroni")):
        adjusted, reject = adjust_pvalues(p, correction=ours)
        for row, adj, rej in zip(p, adjusted, reject, strict=True):
            ref_rej, ref_adj, _, _ = multipletests(row, alpha=0.05, method=theirs)
            assert np.allclose(adj, ref_adj) and (rej == ref_rej).all()


def test_all_periods_form_one_family():
    c = period_changes(change_table(min_n=10), period="all")
    assert c.attrs["tested"] == 4 and "every period" in c.attrs["family"]  # A, B, C, D; none small at 10
    text = describe_changes(period_changes(change_table()))
    assert "team A: NPS fell from +30 to -10 (-40 points" in text and "Family: 2 comparison(s)" in text


def test_holm_controls_the_familywise_error_across_segments_by_simulation():
    # Null: six segments, same true distribution in both weeks, n = 150 per cell, 2,000 weeks.
    rng = np.random.default_rng(11)
    reps, k, n = 2000, 6, 150
    p = np.array([0.25, 0.30, 0.45])
    now = rng.multinomial(n, p, size=(reps, k))
    before = rng.multinomial(n, p, size=(reps, k))
    # The default test: adjusted counts (+3/4, +3/2, +3/4), as period_changes does.
    adj = np.array([0.75, 1.5, 0.75])
    now, before = now + adj, before + adj
    diff, se = wald_difference(now[..., 0], now[..., 1], now[..., 2], before[..., 0], before[..., 1], before[..., 2])
    pv = 2 * norm.sf(np.abs(diff / se))
    any_raw = (pv <= 0.05).any(axis=1).mean()
    any_holm = adjust_pvalues(pv, correction="holm")[1].any(axis=1).mean()
    any_bh = adjust_pvalues(pv, correction="bh")[1].any(axis=1).mean()   # all nulls true: FDR = FWER
    mc = math.sqrt(0.05 * 0.95 / reps)
    assert any_holm <= 0.05 + 3 * mc and any_bh <= 0.05 + 3 * mc
    assert any_raw > 0.2           # without the correction about 1 - 0.95^6 = 26% of weeks alarm


# ------------------------------------------------------------------------------------- cohorts


def test_cohort_table_by_start_month_and_months_since_start():
    rows = []
    for cust, since, when, score in [
        ("c1", "2026-01-10", "2026-01-20T10:00:00Z", 10), ("c2", "2026-01-25", "2026-01-28T10:00:00Z", 3),
        ("c1", "2026-01-10", "2026-03-02T10:00:00Z", 9), ("c2", "2026-01-25", "2026-03-05T10:00:00Z", 8),
        ("c3", "2026-02-01", "2026-03-05T10:00:00Z", 0), ("c4", "2026-03-01", "2026-02-15T10:00:00Z", 9),
    ]:
        rows.append({"customer_id": cust, "customer_since": since, "submitted_at": when, "score": score})
    t = cohort_table(pd.DataFrame(rows), start="customer_since", min_n=1)
    got = {(r.cohort.strftime("%Y-%m"), r.periods_since_start): (r.n, r.nps) for r in t.itertuples()}
    assert got[("2026-01", 0)] == (2, 0.0)                 # a promoter and a detractor
    assert got[("2026-01", 2)] == (2, 50.0)                # a promoter and a passive
    assert got[("2026-02", 1)] == (1, -100.0)
    assert t.attrs["before_start"] == 1                    # c4 answered before its start date
    wide = cohort_matrix(t)
    assert wide.loc[pd.Timestamp("2026-01-01"), 2] == 50.0
    # min_n = 2: the February cohort's n = 1 cell is hidden; March's calendar total would reveal it
    # from the January cohort's March cell, which is hidden too, and then the January cohort's
    # total would reveal that one from its first month: complementary suppression cascades.
    small = cohort_table(pd.DataFrame(rows), start="customer_since", min_n=2)
    hidden = {(r.cohort.strftime("%Y-%m"), r.periods_since_start): (r.n, r.suppressed, r.note) for r in small.itertuples()}
    assert hidden[("2026-02", 1)][:2] == (1, True) and "< 2" in hidden[("2026-02", 1)][2]
    for key in (("2026-01", 2), ("2026-01", 0)):
        assert hidden[key][:2] == (2, True) and "complementary" in hidden[key][2]


def test_cohort_defaults_to_the_first_answer():
    frame = pd.DataFrame({"customer_id": ["a", "a", "b"], "score": [10, 0, 10],
                          "submitted_at": ["2026-01-05T00:00:00Z", "2026-02-05T00:00:00Z", "2026-02-06T00:00:00Z"]})
    t = cohort_table(frame, min_n=1).set_index(["cohort", "periods_since_start"])
    assert t.loc[(pd.Timestamp("2026-01-01"), 1), "nps"] == -100.0
    assert t.loc[(pd.Timestamp("2026-02-01"), 0), "nps"] == 100.0


# -------------------------------------------------------------------------------------- themes


def test_keywords_match_whole_words_stems_and_phrases():
    pat = keyword_pattern(["wait*", "call back", "fee"])
    assert pat.search("I was WAITING") and pat.search("please call   back") and pat.search("a fee!")
    assert not pat.search("await") and not pat.search("coffee")
    with pytest.raises(ValueError):
        keyword_pattern(["  "])


def test_comment_themes_per_category_with_wilson_intervals():
    from statsmodels.stats.proportion import proportion_confint

    frame = pd.DataFrame({
        "score": [2, 3, 5, 9, 10, 8, 1],
        "comment": ["I waited ages", "Rude agent, long wait", "price too high", "Friendly", "",
                    None, "waiting and waiting"],
    })
    themes = {"waiting": ["wait*"], "staff": ["rude", "friendly"], "price": ["price*"]}
    t = comment_themes(frame, themes=themes, min_n=1).set_index(["category", "theme"])
    assert t.loc[("detractor", "waiting"), "comments"] == 4
    assert t.loc[("detractor", "waiting"), "mentions"] == 3
    assert t.loc[("detractor", "waiting"), "share"] == 75.0
    lo, hi = proportion_confint(3, 4, method="wilson")
    assert (t.loc[("detractor", "waiting"), "ci_lower"], t.loc[("detractor", "waiting"), "ci_upper"]) == \
        pytest.approx((100 * lo, 100 * hi))
    assert t.loc[("promoter", "staff"), "mentions"] == 1 and t.loc[("promoter", "staff"), "comments"] == 1
    small = comment_themes(frame, themes=themes, min_n=3).set_index(["category", "theme"])
    assert small.loc[("promoter", "staff"), "suppressed"] and math.isnan(small.loc[("promoter", "staff"), "share"])


def test_themes_load_from_yaml(tmp_path):
    path = tmp_path / "themes.yaml"
    path.write_text("waiting: [wait*, queue]\nbilling: [invoice*]\n")
    assert load_themes(path) == {"waiting": ["wait*", "queue"], "billing": ["invoice*"]}
    path.write_text("waiting: wait\n")
    with pytest.raises(nps.NPSInputError):
        load_themes(path)


# -------------------------------------------------------------------------------------- alerts


def alert_frame():
    frame = pd.concat([
        answers((20, 30, 50), team="A", submitted_at="2026-11-04T10:00:00Z"),
        answers((45, 30, 25), team="A", submitted_at="2026-11-11T10:00:00Z"),
        answers((25, 25, 50), team="B", submitted_at="2026-11-04T10:00:00Z"),
        answers((25, 25, 50), team="B", submitted_at="2026-11-11T10:00:00Z"),
    ], ignore_index=True)
    frame["response_id"] = [f"r{i}" for i in range(len(frame))]
    frame["customer_id"] = [f"c{i}" for i in range(len(frame))]
    frame["customer_name"] = [f"Person{i} Surname{i}" for i in range(len(frame))]
    frame["account_tier"] = "standard"
    frame["comment"] = ""
    # r100: a key-account detractor last week, who left a phone number; r0 is one from the week before.
    first_new = frame.index[frame["submitted_at"] == "2026-11-11T10:00:00Z"][0]
    frame.loc[first_new, ["account_tier", "comment"]] = ["key", "Person100 Surname100 here, call +44 7700 900123"]
    frame.loc[0, ["account_tier"]] = ["key"]
    passive = frame.index[(frame["score"] == 7) & (frame["submitted_at"] == "2026-11-11T10:00:00Z")][0]
    frame.loc[passive, "comment"] = "I will cancel if this goes on"
    return frame, first_new, passive


def test_alert_list_rules():
    frame, key_row, passive_row = alert_frame()
    alerts = alert_list(frame, as_of="2026-11-16T00:00:00Z", key_accounts={"account_tier": ["key"]},
                        drop_by="team")
    by_rule = alerts.groupby("rule").size().to_dict()
    assert by_rule == {"key_account_detractor": 1, "keyword": 1, "nps_drop": 1}
    key = alerts[alerts["rule"] == "key_account_detractor"].iloc[0]
    assert key["response_id"] == f"r{key_row}" and key["severity"] == "high"
    assert "+44 7700 900123" not in key["message"] and "[phone]" in key["message"]
    assert "Surname100" not in key["message"]
    kw = alerts[alerts["rule"] == "keyword"].iloc[0]
    assert kw["severity"] == "medium" and "'cancel'" in kw["message"] and kw["response_id"] == f"r{passive_row}"
    drop = alerts[alerts["rule"] == "nps_drop"].iloc[0]
    assert drop["segment"] == "team=A" and "fell from +30 (week of 2026-11-02, n = 100) to -20" in drop["message"]
    assert alerts["severity"].tolist()[0] == "high"
    # The same inputs give the same ids (a scheduler can de-duplicate).
    again = alert_list(frame, as_of="2026-11-16T00:00:00Z", key_accounts={"account_tier": ["key"]}, drop_by="team")
    assert again["alert_id"].tolist() == alerts["alert_id"].tolist()
    assert "3 alert(s)" in describe_alerts(alerts)


def test_alert_window_and_rules_can_be_switched_off():
    frame, _, _ = alert_frame()
    none = alert_list(frame, as_of="2026-11-16T00:00:00Z", keywords=[])
    assert none.empty and list(none.columns) == list(nps.alerts.ALERT_COLUMNS)
    early = alert_list(frame, as_of="2026-11-05T00:00:00Z", key_accounts={"account_tier": "key"}, keywords=[])
    assert early["response_id"].tolist() == ["r0"]


def test_write_alerts_gives_csv_and_json_without_personal_data(tmp_path):
    frame, _, _ = alert_frame()
    alerts = alert_list(frame, as_of="2026-11-16T00:00:00Z", key_accounts={"account_tier": ["key"]}, drop_by="team")
    csv_path, json_path = write_alerts(alerts, tmp_path)
    data = json.loads(json_path.read_text())
    assert data["count"] == 3 and len(data["alerts"]) == 3 and data["personal_data"] == "masked"
    assert data["rules"]["nps_drop"]["by"] == ["team"]
    assert len(pd.read_csv(csv_path)) == 3
    for path in (csv_path, json_path):
        text = path.read_text()
        assert "900123" not in text and "Surname100" not in text


def test_sample_alerts_flag_the_simulated_drop_of_one_team_only():
    r = nps.load(datasets.sample_path("loop_responses"), score="score", id_column="response_id")
    alerts = alert_list(r, as_of="2026-11-17T12:00:00Z", drop_by="team", keywords=[])
    assert alerts["segment"].tolist() == ["team=Americas"]     # the simulated drop, week of 9 November
    t = nps_by_period(r, by="team")
    assert len(t) == 3 * 11 and t["n"].sum() == len(r)


def test_alerts_command_writes_csv_and_json(tmp_path, capsys):
    from nps_analysis.cli import main

    code = main(["alerts", str(datasets.sample_path("loop_responses")), "--score", "score",
                 "--as-of", "2026-11-17T12:00:00Z", "--drop-by", "team", "--no-keywords",
                 "--output-dir", str(tmp_path), "--fail-on-high"])
    assert code == 3 and "1 nps drop" in capsys.readouterr().out
    assert json.loads((tmp_path / "alerts.json").read_text())["count"] == 1
    assert main(["alerts", str(datasets.sample_path("loop_responses")), "--score", "score",
                 "--as-of", "2026-11-17T12:00:00Z", "--key-account", "account_tier"]) == 2
