"""The column vocabulary of the notebooks (analyses/columns.py): sample fill-in, checks, messages."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nps_analysis import NPSInputError, datasets
from nps_analysis import load as nps_load
from nps_analysis.analyses.columns import ANALYSES, SAMPLES, closest_column, resolve_columns


@pytest.mark.parametrize("analysis", list(ANALYSES))
def test_the_bundled_run_names_only_columns_the_sample_has(analysis):
    cols = resolve_columns(analysis, "")
    header = list(pd.read_csv(datasets.sample_path(SAMPLES[analysis]), nrows=0).columns)
    assert cols.sample and cols.absent == []  # every section shows on the sample
    assert set(cols.needed) <= set(header)
    cols.check(header)  # no error


@pytest.mark.parametrize("analysis", list(ANALYSES))
def test_a_user_file_gets_no_optional_column_by_default(analysis):
    cols = resolve_columns(analysis, "exports/survey.csv")
    assert not cols.sample
    for role in ANALYSES[analysis]:
        value = getattr(cols, role.parameter)
        if role.required:
            assert value and value == role.default
        else:
            assert value in ("", []), role.parameter
            assert role.parameter in cols.absent
    # the sample's optional names never leak into a user file's run
    sample_only = {c for r in ANALYSES[analysis] if not r.required
                   for c in ([r.sample] if isinstance(r.sample, str) else r.sample)}
    assert not sample_only & set(cols.needed)


def test_experiment_defaults_do_not_name_the_samples_optional_columns():
    cols = resolve_columns("experiment", "nov.csv")
    assert cols.needed == ["score", "arm"]
    for name in ("invited", "responded", "prior_score", "region", "plan"):
        assert name not in cols.needed


def test_explicit_columns_are_kept_on_the_sample_and_lists_are_cleaned():
    cols = resolve_columns("experiment", "", segment_columns=["plan"], covariate_columns=[])
    assert cols.segment_columns == ["plan"] and cols.covariate_columns == ["prior_score"]
    assert resolve_columns("experiment", "x.csv", segment_columns=" region ").segment_columns == ["region"]
    assert resolve_columns("experiment", "x.csv", segment_columns=["", " "]).segment_columns == []


def test_unknown_parameters_and_wrong_shapes_are_refused():
    with pytest.raises(ValueError, match="no column parameter"):
        resolve_columns("closed_loop", "", segment_columns=["x"])
    with pytest.raises(ValueError, match="one column name"):
        resolve_columns("closed_loop", "", team_column=["a", "b"])
    with pytest.raises(ValueError, match="unknown analysis"):
        resolve_columns("survey", "")


def test_one_error_lists_every_missing_column_with_its_closest_match_and_the_file_columns():
    cols = resolve_columns("weekly_tracking", "forms.csv", score_column="Score", comment_column="Coments")
    header = ["Timestamp", "How likely are you to recommend us?", "score ", "Comments"]
    with pytest.raises(NPSInputError) as info:
        cols.check(header, file="forms.csv")
    message = str(info.value)
    assert message.startswith("forms.csv: ")
    assert "score_column 'Score' is not a column (closest match: 'score ')" in message
    assert "time_column 'submitted_at' is not a column (closest match: 'Timestamp')" in message
    assert "comment_column 'Coments' is not a column (closest match: 'Comments')" in message
    assert "The file has the columns 'Timestamp', 'How likely are you to recommend us?', 'score ', 'Comments'" in message


def test_an_empty_required_parameter_is_an_error_with_likely_columns():
    cols = resolve_columns("rollback_decision", "m.csv", time_column="")
    with pytest.raises(NPSInputError, match=r"time_column is empty: name the column holding when each answer "
                                           r"was submitted \(perhaps 'Date submitted'\)"):
        cols.check(["score", "arm", "Date submitted"])


def test_skip_notes_name_the_parameter_that_turns_a_section_on():
    cols = resolve_columns("closed_loop", "r.csv")
    assert cols.note("customer_column") == (
        "Skipped: the re-survey analyses (category transitions, contacted versus not, the holdout). Set "
        "`customer_column` to the column holding a customer id (the same customer answering again) to turn it on."
    )
    assert cols.notes().count("Skipped:") == len(cols.absent) == 6
    assert cols.to_dict()["absent"] == cols.absent
    assert cols.column("team_column") is None and not cols.has("team_column")


def test_load_reads_once_and_turns_a_missing_column_into_the_vocabulary_error(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Response ID,Score,Submitted\nr1,9,2026-01-05\nr2,3,2026-01-06\n")
    good = resolve_columns("weekly_tracking", str(path), score_column="Score", time_column="Submitted",
                           id_column="Response ID")
    frame = good.load()
    assert list(frame["Score"]) == [9, 3]
    bad = resolve_columns("weekly_tracking", str(path), score_column="score", time_column="Submitted")
    with pytest.raises(NPSInputError, match=r"score_column 'score' is not a column \(closest match: 'Score'\)"):
        bad.load()
    # errors other than a missing column pass through unchanged
    path.write_text("Score,Submitted\nten,2026-01-05\n")
    with pytest.raises(NPSInputError, match="ten"):
        resolve_columns("weekly_tracking", str(path), score_column="Score", time_column="Submitted").load()


# Export headers: ASCII letters, digits, spaces and punctuation (case folding of other scripts can
# change a name's length, e.g. "ß".upper() == "SS", which no exporter does to a header).
names = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=12)


@given(st.lists(names, min_size=1, max_size=8, unique=True), st.data())
def test_closest_column_is_a_column_and_finds_case_and_spacing_variants(columns, data):
    name = data.draw(names)
    found = closest_column(name, columns)
    assert found is None or found in columns
    target = data.draw(st.sampled_from(columns))
    variant = f"  {target.upper()} " if data.draw(st.booleans()) else target.lower().replace(" ", "_")
    hit = closest_column(variant, columns)
    key = "".join(ch for ch in target.lower() if ch.isalnum())
    if key:
        assert hit is not None
        assert "".join(ch for ch in hit.lower() if ch.isalnum()) == key


def test_without_an_id_column_answers_are_named_by_their_row_in_the_file(tmp_path):
    path = tmp_path / "forms.csv"
    path.write_text("Score,When\n9,2026-01-05\n,2026-01-06\n3,2026-01-07\n")
    cols = resolve_columns("closed_loop", str(path), score_column="Score", time_column="When")
    frame, name = cols.with_ids(cols.load())
    assert name == "row" and frame["row"].tolist() == ["row 2", "row 3", "row 4"]
    given = resolve_columns("closed_loop", str(path), score_column="Score", time_column="When", id_column="When")
    assert given.with_ids(frame)[1] == "When"


def test_team_scope_compares_teams_or_the_segments_inside_one_team():
    from nps_analysis.analyses.columns import team_scope

    r = pd.DataFrame({"Team": ["N", "N ", "S"], "agent": ["a", "b", "c"], "score": [9, 3, 7]})
    both = resolve_columns("weekly_tracking", "x.csv", team_column="Team", segment_columns=["agent"])
    subset, segments, label = team_scope(r, both, "N")
    assert len(subset) == 2 and segments == ["agent"] and label == "team N"
    assert team_scope(r, both, "")[1:] == (["Team"], "all teams")
    no_team = resolve_columns("weekly_tracking", "x.csv", segment_columns=["agent"])
    assert team_scope(r, no_team, "")[1:] == (["agent"], "all answers")
    with pytest.raises(NPSInputError, match="team_column is empty"):
        team_scope(r, no_team, "N")
    with pytest.raises(NPSInputError, match=r"no answers for team 'X'; the teams are \['N', 'N ', 'S'\]"):
        team_scope(r, both, "X")


def test_companion_files_are_the_samples_on_the_bundled_run_and_need_ids_otherwise(tmp_path):
    bundled = resolve_columns("closed_loop", "")
    log = bundled.companion("", "loop_followups", what="follow-up log")
    assert log is not None and "contacted_at" in log.columns
    user = resolve_columns("closed_loop", "answers.csv")
    assert user.companion("", "loop_followups", what="follow-up log") is None
    path = tmp_path / "log.csv"
    path.write_text("Response ID,contacted_at\nr1,2026-01-05T10:00:00Z\n")
    with pytest.raises(NPSInputError, match="follow-up log refers to answers by their id: set id_column"):
        user.companion(str(path), "loop_followups", what="follow-up log")
    with_ids = resolve_columns("closed_loop", "answers.csv", id_column="Response ID")
    assert list(with_ids.companion(str(path), "loop_followups", what="follow-up log").columns)[0] == "Response ID"
    other = resolve_columns("closed_loop", "answers.csv", id_column="response_id")
    with pytest.raises(NPSInputError, match="missing column 'response_id'"):
        other.companion(str(path), "loop_followups", what="follow-up log")


@pytest.mark.parametrize("analysis", list(ANALYSES))
def test_every_notebook_declares_its_column_parameters_typed_with_optional_ones_absent(analysis):
    from nps_analysis.report.parameters import notebook_parameters

    root = datasets.data_dir().parent
    params = notebook_parameters(root / "notebooks" / f"{analysis}.ipynb")
    assert "data_path" in params and params["data_path"].default == ""
    for role in ANALYSES[analysis]:
        p = params[role.parameter]
        assert str(p.type) == ("list[str]" if role.many else "str"), role.parameter
        if role.required:
            assert p.default == role.default
        else:
            assert p.default in ("", []), f"{role.parameter} must default to absent"


def test_a_query_is_a_user_source_not_the_bundled_sample():
    cols = resolve_columns("experiment", "", query="SELECT * FROM answers", covariate_columns=[])
    assert not cols.sample and cols.path is None and cols.query == "SELECT * FROM answers"
    assert cols.covariate_columns == [] and "covariate_columns" in cols.absent


def test_the_load_note_gives_the_summary_and_every_warning(tmp_path):
    path = tmp_path / "csat.csv"
    path.write_text("rating\n" + "\n".join(str(1 + i % 5) for i in range(40)) + "\nNA\n")
    cols = resolve_columns("weekly_tracking", str(path), score_column="rating", time_column="")
    frame = nps_load(path, score="rating")
    note = cols.load_note(frame)
    lines = note.split("  \n")
    assert lines[0].replace("\\", "").startswith(f"{path}: 41 rows read, 40 responses")  # Markdown-escaped
    assert any(line.startswith("**Warning:**") and "1-5" in line for line in lines[1:])
    assert cols.load_note(pd.DataFrame({"a": [1]})) == ""

