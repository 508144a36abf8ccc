"""Personal data is masked in every report and export by default; the closed-loop and weekly
notebooks run through the runner, record their headline numbers and leak no names, e-mails, phone
numbers or addresses into their HTML, JSON or CSV outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nps_analysis as nps
from nps_analysis import datasets
from nps_analysis.sources.privacy import (
    find_personal_data,
    known_personal_values,
    mask_personal,
    mask_text,
    personal_columns,
    personal_data_finder,
    personal_kind,
)

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


# ---------------------------------------------------------------------------------- unit rules


@pytest.mark.parametrize(
    ("column", "kind"),
    [("customer_name", "name"), ("Name", "name"), ("E-mail", "email"), ("email_address", "email"),
     ("phone", "phone"), ("Mobile number", "phone"), ("street address", "address"), ("postcode", "address"),
     ("agent_name", None), ("team_name", None), ("taken_by", None), ("score", None), ("customer_id", None),
     ("comment", None)],
)
def test_personal_columns_are_recognised_by_name(column, kind):
    assert personal_kind(column) == kind


def test_mask_personal_masks_columns_and_free_text_but_keeps_ids_and_staff():
    frame = pd.DataFrame({
        "customer_id": ["C1", "C2"],
        "customer_name": ["Ingrid Dahlstrom", None],
        "email": ["ingrid@example.com", "x@example.org"],
        "phone": ["+47 412 34 567", ""],
        "agent": ["Kari Nilsen", "Per Hansen"],
        "comment": ["Ingrid here, call 0047 41234567 or ingrid.d@example.com", "Dahlstrom was rude on 2026-09-01"],
        "score": [3, 9],
    })
    out = mask_personal(frame)
    assert out["customer_name"].tolist()[0] == "[name]" and pd.isna(out["customer_name"][1])
    assert out["email"].tolist() == ["[email]", "[email]"]
    assert out["phone"].tolist() == ["[phone]", ""]
    assert out["comment"].tolist() == ["[name] here, call [phone] or [email]", "[name] was rude on 2026-09-01"]
    assert out["customer_id"].tolist() == ["C1", "C2"] and out["agent"].tolist() == ["Kari Nilsen", "Per Hansen"]
    assert out["score"].tolist() == [3, 9]
    assert mask_personal(frame, show_personal=True) is frame    # showing it takes an explicit parameter
    assert frame["customer_name"][0] == "Ingrid Dahlstrom"      # the input is untouched


def test_known_names_from_other_tables_are_masked_in_text():
    known = known_personal_values(pd.DataFrame({"customer_name": ["Olav Fjellheim"], "address": ["12 Storgata, Oslo"]}))
    text = mask_text(["Olav Fjellheim at 12 Storgata, Oslo", "olav called"], names=known["name"],
                     addresses=known["address"])
    assert text.tolist() == ["[name] at [address]", "[name] called"]
    other = mask_personal(pd.DataFrame({"message": ["fjellheim complained"]}), known=known)
    assert other["message"][0] == "[name] complained"


def test_dates_times_and_ids_are_not_mistaken_for_phone_numbers():
    kept = ["2026-09-01 08:15", "2026-09-01T08:15:00Z", "R000123", "NPS 12.5 (CI 3.2 to 21.8)", "01.09.2026"]
    assert mask_text(kept).tolist() == kept


phones = st.builds(
    lambda cc, parts, sep: "+" + str(cc) + sep + sep.join(parts),
    st.integers(1, 99),
    st.lists(st.text("0123456789", min_size=2, max_size=4), min_size=3, max_size=4),
    st.sampled_from([" ", "-", "."]),
)
emails = st.builds(lambda a, b: f"{a}@{b}.com", st.from_regex(r"[a-z][a-z0-9._]{0,10}", fullmatch=True),
                   st.from_regex(r"[a-z]{2,10}", fullmatch=True))


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="abc xyz,.", max_size=20), phones, emails)
def test_phones_and_emails_in_any_text_are_masked(prefix, phone, email):
    masked = mask_text([f"{prefix} {phone} / {email} {prefix}"])[0]
    assert not find_personal_data(masked, [phone, email])
    assert "[phone]" in masked and "[email]" in masked


def test_find_personal_data_sees_phone_numbers_without_separators():
    assert find_personal_data("call 4741234567 now", ["+47 412 34 567"]) == ["+47 412 34 567"]
    assert find_personal_data("order 47412345670", ["+47 412 34 567"]) == []   # part of a longer number
    assert find_personal_data("dear INGRID dahl", ["Ingrid Dahl"]) == ["Ingrid Dahl"]


def sample_personal_values() -> list[str]:
    r = pd.read_csv(datasets.sample_path("loop_responses"))
    log = pd.read_csv(datasets.sample_path("loop_followups"))
    values = set()
    for frame in (r, log):
        for col in personal_columns(frame):
            values.update(frame[col].dropna().astype(str))
    return sorted(values)


def test_every_closed_loop_output_is_masked_by_default_and_shown_on_request(tmp_path):
    r = nps.load(datasets.sample_path("loop_responses"), score="score", id_column="response_id")
    log = nps.load(datasets.sample_path("loop_followups"))
    chains = nps.load(datasets.sample_path("loop_root_causes"))
    find = personal_data_finder(sample_personal_values())
    queue = nps.followup_queue(r, log=log, as_of="2026-11-17T12:00:00Z", routing="team")
    causes = nps.root_causes(chains, responses=r, by="team")
    alerts = nps.alert_list(r, as_of="2026-11-17T12:00:00Z", key_accounts={"account_tier": "key"}, drop_by="team")
    path = nps.export_queue(queue, tmp_path)
    csv_path, json_path = nps.write_alerts(alerts, tmp_path)
    for text in (queue.to_csv(), causes.to_csv(), alerts.to_csv(), path.read_text(), json_path.read_text()):
        assert find(text) == []
    # The scan can fail: with show_personal the agent calling back sees the data.
    shown = nps.followup_queue(r, log=log, as_of="2026-11-17T12:00:00Z", show_personal=True)
    assert find(shown.to_csv())
    assert find(nps.root_causes(chains, show_personal=True).to_csv())


# ---------------------------------------------------------------------------------- notebooks


@pytest.fixture(scope="module")
def notebook_runs(tmp_path_factory):
    """Both notebooks with their default parameters, through the runner (report.html included)."""
    out = tmp_path_factory.mktemp("reports")
    runs = {}
    for name in ("closed_loop", "weekly_tracking"):
        result = nps.run_notebook(NOTEBOOKS / f"{name}.ipynb", {}, output_dir=out, progress=False, cwd=out)
        assert result.ok, result.error
        runs[name] = result
    return runs


@pytest.mark.notebook
def test_notebook_html_json_and_csv_outputs_contain_no_personal_data(notebook_runs):
    find = personal_data_finder(sample_personal_values())
    scanned = 0
    for result in notebook_runs.values():
        for path in sorted(result.run_dir.iterdir()):
            if path.suffix not in {".html", ".json", ".ipynb", ".csv", ".yaml", ".log"}:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            assert find(text) == [], path.name
            scanned += 1
    assert scanned >= 10
    # Masking did happen on data that holds personal data.
    assert "[phone]" in (notebook_runs["closed_loop"].run_dir / "followup_queue.csv").read_text()
    assert (notebook_runs["weekly_tracking"].run_dir / "report.html").exists()


@pytest.mark.notebook
def test_closed_loop_notebook_records_the_numbers_of_the_package(notebook_runs):
    results = nps.read_results(notebook_runs["closed_loop"].run_dir)
    r = nps.load(datasets.sample_path("loop_responses"), score="score", id_column="response_id")
    log = nps.load(datasets.sample_path("loop_followups"))
    queue = nps.followup_queue(r, log=log, as_of="2026-11-17T12:00:00Z", routing={"team": None},
                               holdout={"followup_arm": "holdout"})
    assert results["queue_status"] == {k: int(v) for k, v in queue["status"].value_counts().items()}
    overall = nps.compliance(queue, by=None).iloc[0]
    assert results["compliance"]["share_in_time"] == pytest.approx(overall["share_in_time"])
    assert results["compliance"]["median_hours_to_contact"] == pytest.approx(overall["median_hours_to_contact"])
    assert results["recovery_rate"]["rate"] == pytest.approx(nps.transition_matrix(r).recovery_rate)
    h = nps.holdout_comparison(r, log=log)
    assert results["holdout_difference"]["difference"] == pytest.approx(h.comparison.difference)
    assert "Regression to the mean" in results["contacted_vs_not"]["warning"]


@pytest.mark.notebook
def test_weekly_notebook_records_the_numbers_of_the_package(notebook_runs):
    run_dir = notebook_runs["weekly_tracking"].run_dir
    results = nps.read_results(run_dir)
    r = nps.load(datasets.sample_path("loop_responses"), score="score")
    week = pd.Timestamp("2026-11-09")
    table = nps.nps_by_period(r, end=week, start=week - pd.Timedelta(weeks=7))
    row = table.set_index("period").loc[week]
    assert results["week"] == "2026-11-09"
    assert results["nps"]["nps"] == pytest.approx(row["nps"]) and results["responses"] == row["n"]
    change = nps.period_changes(table, period=week).iloc[0]
    assert results["change"]["difference"] == pytest.approx(change["difference"])
    assert results["segments_flagged"] == ["Americas"]          # the simulated drop
    alerts = json.loads((run_dir / "alerts.json").read_text())
    assert alerts["count"] == results["alerts"]["count"] > 0
    assert any(a["rule"] == "nps_drop" and a["segment"] == "team=Americas" for a in alerts["alerts"])


@pytest.mark.notebook
def test_weekly_schedule_plans_one_run_per_team():
    from nps_analysis.report.schedule import plan_schedule

    schedule = Path(__file__).resolve().parent.parent / "data" / "schedule_weekly.yaml"
    planned, _, _ = plan_schedule(schedule)
    assert [p.notebook.name for p in planned] == ["weekly_tracking.ipynb"] * 3
    teams = sorted(pd.read_csv(datasets.sample_path("loop_responses"))["team"].unique())
    assert sorted(p.parameters["team"] for p in planned) == teams
