"""Comment themes: keyword matching with negations (property-based), agreement with
tracking.comment_themes, recovery of planted themes, and theme impact computed with the kit's
two-sample NPS difference and Holm adjustment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nps_analysis.analyses import themes as th
from nps_analysis.analyses.alerts import DEFAULT_THEMES, comment_themes
from nps_analysis.samples.drivers import THEME_EFFECTS, drivers_data, planted_mentions
from nps_analysis.sources.errors import NPSInputError
from nps_analysis.stats.compare import compare
from nps_analysis.stats.scoring import NPSCounts

# Filler words that are neither keywords nor negations nor clause breaks in any language.
FILLER = st.lists(st.sampled_from(["the", "very", "really", "today", "again", "our", "quite", "la",
                                   "das", "muy", "so", "big"]), max_size=4)
PLAIN_KEYWORDS = [("waiting time", "slow"), ("price", "expensive"), ("complaint handling", "complaints"),
                  ("product quality", "crashes"), ("billing", "invoice")]


def themes_of(text: str, language: str = "auto") -> set[str]:
    row = th.match_themes([text], language=language).iloc[0]
    return {k for k, v in row.items() if v}


@given(st.sampled_from(PLAIN_KEYWORDS), FILLER, FILLER)
@settings(max_examples=80, deadline=None)
def test_a_keyword_is_found_with_any_filler_around_it(pair, before, after):
    theme, word = pair
    text = " ".join([*before, word, *after])
    assert theme in themes_of(text)


@given(st.sampled_from(PLAIN_KEYWORDS), st.sampled_from(["no", "not", "never", "without", "didn't"]),
       st.lists(st.sampled_from(["the", "very", "really", "any"]), max_size=2))
@settings(max_examples=80, deadline=None)
def test_a_negation_within_the_window_cancels_the_keyword(pair, negation, between):
    theme, word = pair
    text = " ".join([negation, *between, word])
    assert theme not in themes_of(text)
    assert "unthemed" in themes_of(text)


@given(st.sampled_from(PLAIN_KEYWORDS), st.sampled_from([", ", ". ", " but "]))
@settings(max_examples=40, deadline=None)
def test_a_negation_does_not_reach_past_a_clause_break(pair, brk):
    theme, word = pair
    assert theme in themes_of(f"no{brk}the {word}")


@given(st.text(max_size=60))
@settings(max_examples=150, deadline=None)
def test_any_text_gets_themes_or_unthemed_but_never_both(text):
    found = themes_of(text)
    if text.strip():
        assert found and (found == {"unthemed"} or "unthemed" not in found)
    else:
        assert found == set()


@pytest.mark.parametrize(("text", "language"), [
    ("No complaints.", "en"), ("pas de problème", "fr"), ("Aucune plainte.", "fr"),
    ("Keine Probleme.", "de"), ("Keine Beschwerden", "de"), ("Sin problemas.", "es"),
    ("Ninguna queja", "es"), ("Not slow at all.", "en"),
])
def test_negated_complaints_are_not_complaints(text, language):
    assert themes_of(text, language) == {"unthemed"}
    assert themes_of(text, "auto") == {"unthemed"}


@pytest.mark.parametrize(("text", "theme"), [
    ("no waiting at all", "speed"), ("the agent did not listen", "staff attitude"),
    ("J'ai dû attendre trop longtemps", "waiting time"), ("Die Rechnung war falsch", "billing"),
    ("El precio es demasiado caro", "price"), ("I had a problem, not resolved", "complaint handling"),
])
def test_keywords_per_language_and_keywords_that_contain_a_negation(text, theme):
    assert theme in themes_of(text)


def test_english_dictionary_keeps_every_default_theme_and_keyword():
    en = th.THEME_KEYWORDS["en"]
    for theme, words in DEFAULT_THEMES.items():
        assert set(words) <= set(en[theme])
    for lang in th.LANGUAGES:
        assert "unthemed" not in th.THEME_KEYWORDS[lang]
        assert set(th.THEME_KEYWORDS[lang]) == set(en), f"{lang} has other themes than en"


def test_without_negation_the_counts_equal_tracking_comment_themes():
    frame = drivers_data(600, seed=3, languages={"en": 1.0})
    mine = th.match_themes(frame["comment"], DEFAULT_THEMES, negation=False)
    theirs = comment_themes(frame, text="comment", themes=DEFAULT_THEMES, by=None)
    assert mine[list(DEFAULT_THEMES)].sum().to_dict() == dict(zip(theirs["theme"], theirs["mentions"], strict=True))


def test_keyword_themes_recover_the_planted_themes_in_every_language():
    frame = drivers_data(2000, seed=4)
    truth = planted_mentions(frame)
    found = th.match_themes(frame["comment"])
    for theme in truth:
        assert (found[theme].to_numpy() == truth[theme].to_numpy()).all(), theme
    neutral = frame["comment"].notna() & ~truth.any(axis=1)
    assert found.loc[neutral, "unthemed"].all()


def test_discovery_recovers_the_planted_english_themes_and_is_stable():
    frame = drivers_data(2500, seed=5, languages={"en": 1.0})
    truth = planted_mentions(frame)
    # 6 planted themes + 5 recurring neutral sentences ("No complaints.", ...) = 11 word groups.
    first = th.discover_themes(frame["comment"], 11, language="en")
    again = th.discover_themes(frame["comment"], 11, language="en")
    assert first.labels == again.labels and np.array_equal(first.membership, again.membership)
    for theme in truth:
        t = truth[theme].to_numpy()
        f1 = [2 * (first.membership[:, j] & t).sum() / (first.membership[:, j].sum() + t.sum())
              for j in range(first.n_themes)]
        assert max(f1) >= 0.9, (theme, max(f1))


def test_theme_impact_uses_the_kits_two_sample_difference_and_holm():
    from statsmodels.stats.multitest import multipletests

    frame = drivers_data(1500, seed=6)
    res = th.theme_impact(frame, score="score", comment="comment")
    table = res.to_frame()
    assert list(table.columns[:10]) == ["theme", "mentions", "share", "nps_with", "nps_without",
                                        "difference", "ci_lower", "ci_upper", "pvalue_adjusted",
                                        "keywords"]
    assert table["theme"].iloc[-1] == "unthemed" and table["theme"].is_unique
    commenters = frame[frame["comment"].notna()]
    found = th.match_themes(commenters["comment"])
    s = commenters["score"].to_numpy()
    for theme in ("waiting time", "friendly staff", "unthemed"):
        row = table.set_index("theme").loc[theme]
        m = found[theme].to_numpy()

        def counts(sel):
            return NPSCounts(int((s[sel] <= 6).sum()), int(((s[sel] >= 7) & (s[sel] <= 8)).sum()),
                             int((s[sel] >= 9).sum()))

        direct = compare(counts(m), counts(~m), row_tests=False)
        assert row["mentions"] == m.sum()
        assert row["share"] == pytest.approx(100 * m.mean())
        assert row["difference"] == pytest.approx(counts(m).nps - counts(~m).nps)
        assert (row["ci_lower"], row["ci_upper"]) == pytest.approx((direct.ci_lower, direct.ci_upper))
        assert row["fix_effect"] == pytest.approx(row["share"] / 100 * (row["nps_without"] - row["nps_with"]))
    tested = table.dropna(subset=["pvalue"])
    holm = multipletests(tested["pvalue"], method="holm")[1]
    np.testing.assert_allclose(tested["pvalue_adjusted"], holm)
    assert "holm" in res.correction and str(len(tested)) in res.family
    # Planted directions: every negative theme costs NPS, friendly staff raises it.
    for theme, effect in THEME_EFFECTS.items():
        assert np.sign(table.set_index("theme").loc[theme, "difference"]) == np.sign(effect)
    assert "association, not cause" in res.theme("waiting time").sentence()
    assert "at most" in res.summary()


def test_examples_are_masked():
    frame = drivers_data(400, seed=7, languages={"en": 1.0})
    idx = frame.index[frame["comment"].fillna("").str.contains("rude")][0]
    frame.loc[idx, "comment"] = "The agent was rude to me, write to ann.lee@example.com or +44 20 7946 0958."
    frame.loc[frame["comment"].fillna("").str.contains("rude") & (frame.index != idx), "comment"] = None
    res = th.theme_impact(frame, examples=3)
    shown = res.theme("staff attitude").examples
    assert shown and all("@" not in e and "7946" not in e for e in shown)
    assert any("[email]" in e for e in shown)


def test_discovered_themes_give_an_impact_table():
    frame = drivers_data(1200, seed=8, languages={"en": 1.0})
    res = th.theme_impact(frame, n_themes=6, language="en")
    table = res.to_frame()
    assert len(table) == 7 and table["theme"].iloc[-1] == "unthemed"
    assert (table["keywords"].iloc[:-1] != "").all()
    assert res.mode.startswith("discovery")


def test_theme_trend_counts_match_the_assignments():
    frame = drivers_data(1500, seed=9)
    res = th.theme_impact(frame)
    trend = th.theme_trend(res, frame, time="submitted_at", by="team", min_n=5)
    assert set(trend.columns) >= {"period", "team", "theme", "comments", "mentions", "share"}
    totals = trend.groupby("theme")["mentions"].sum()
    assert totals["waiting time"] == res.theme("waiting time").mentions
    ok = ~trend["suppressed"]
    assert (trend.loc[ok, "ci_lower"] <= trend.loc[ok, "share"] + 1e-9).all()


def test_bad_inputs():
    frame = drivers_data(200, seed=1)
    with pytest.raises(NPSInputError, match="nope"):
        th.theme_impact(frame, comment="nope")
    with pytest.raises(NPSInputError, match="not both"):
        th.theme_impact(frame, themes={"a": ["b"]}, n_themes=3)
    with pytest.raises(NPSInputError, match="language"):
        th.match_themes(["x"], language="it")
    with pytest.raises(NPSInputError, match="reserved"):
        th.match_themes(["x"], {"unthemed": ["x"]})
    with pytest.raises(NPSInputError, match="score"):
        th.theme_impact(frame.assign(score="eleven"))


def test_masked_examples_and_keywords_are_in_the_json():
    import json

    res = th.theme_impact(drivers_data(300, seed=2))
    data = json.loads(json.dumps(res.to_dict()))
    assert "assignments" not in data
    assert data["themes"][0]["keywords"]
    assert isinstance(res.keywords()["price"], list)


def test_respondent_base_counts_non_commenters_as_not_mentioning():
    frame = drivers_data(800, seed=11)
    res = th.theme_impact(frame, base="respondents")
    row = res.theme("price")
    assert row.share == pytest.approx(100 * row.mentions / res.n_respondents)
    assert res.n_respondents == len(frame) and pd.isna(frame["comment"]).any()


def test_charts_draw_from_the_results():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nps_analysis.analyses.drivers import key_drivers
    from nps_analysis.report.plots import drivers as charts

    frame = drivers_data(600, seed=12)
    kd = key_drivers(frame, "score", ["speed", "staff", "product", "price"], n_resamples=30)
    impact = th.theme_impact(frame)
    trend = th.theme_trend(impact, frame, by="team")
    figures = [charts.drivers_chart(kd), charts.asymmetry_chart(kd),
               charts.drivers_importance_performance_chart(kd), charts.theme_impact_chart(impact),
               charts.theme_trend_chart(trend, by="team")]
    assert "share of R" in figures[0].axes[0].get_xlabel()
    assert "derived importance" in figures[2].axes[0].get_ylabel()
    assert len(figures[3].axes[0].patches) == sum(
        1 for r in impact.themes if r.theme != "unthemed" and r.mentions > 0)
    assert len(figures[4].axes) == frame["team"].nunique()
    for fig in figures:
        plt.close(fig)


def test_names_in_personal_columns_are_masked_in_examples_by_default():
    frame = drivers_data(300, seed=13, languages={"en": 1.0})
    frame["customer_name"] = "Ingrid Halvorsen"
    idx = frame.index[frame["comment"].fillna("").str.contains("rude")]
    frame.loc[idx, "comment"] = "Ingrid Halvorsen here: the agent was rude."
    shown = th.theme_impact(frame).theme("staff attitude").examples
    assert shown and all("Ingrid" not in e and "Halvorsen" not in e for e in shown)
