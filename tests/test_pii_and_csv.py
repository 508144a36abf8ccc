"""Free-text personal data (names normalised, spelled-out e-mails, phones via libphonenumber, money
left alone), linear-time scanning, and CSV-injection neutralisation."""

from __future__ import annotations

import random
import time
import unicodedata

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nps_analysis.sources.csvsafe import (
    FORMULA_STARTS,
    neutralise_cell,
    neutralise_frame,
    to_safe_csv,
)
from nps_analysis.sources.pii import NameMatcher, find_emails, find_phones, mask_free_text


@pytest.mark.parametrize(
    "text",
    [
        "write to name dot x at example dot com please",
        "write to ann＠example.com please",
        "write to ann [at] example [dot] com please",
        "write to ann(at)example.com please",
        "write to ann.lee at example.com please",
        "write to ann@example.co.uk please",
    ],
)
def test_emails_in_every_written_form_are_masked(text):
    assert mask_free_text(text) == "write to [email] please"


def test_ordinary_at_is_not_an_email():
    for text in ("look at example.com for details", "we met at 5 at the office", "arrived at home."):
        assert mask_free_text(text) == text


@pytest.mark.parametrize(
    "text",
    ["call +1 555 - 010 - 4477 today", "call +47 412 34 567 today", "call (555) 010-4477 today",
     "call 020 7946 0018 today", "call +44 20 7946 0018 today", "call ＋１ ５５５ ０１０ ４４７７ today"],
)
def test_phone_numbers_in_many_formats_are_masked(text):
    assert mask_free_text(text) == "call [phone] today"


@pytest.mark.parametrize(
    "text",
    ["a refund of £1000000 was promised", "a refund of 1000000 EUR", "refund $ 2500000 now",
     "on 2026-11-17 12:00 it broke", "scores 10 10 9 8 7 6 5 4 this week", "order 123 of 4567"],
)
def test_money_dates_and_score_lists_are_not_phones(text):
    assert mask_free_text(text) == text


def test_names_match_across_unicode_normalisation_and_case():
    nfd = unicodedata.normalize("NFD", "José Ruiz")
    matcher_names = ["José Ruiz"]
    for text in (f"{nfd} called", "JOSÉ RUIZ called", "josé ruiz called", "Ｊｏｓé Ruiz called"):
        assert mask_free_text(text, names=matcher_names) == "[name] called"
    # Single words of a known name are masked in free text (errs on the side of privacy).
    assert mask_free_text("RUIZ called back", names=matcher_names) == "[name] called back"
    assert mask_free_text("Straße 5", names=["STRASSE"]) == "[name] 5"


def test_roster_names_are_masked_where_they_appear_only_in_comments():
    text = "Ingrid from support was rude to Mr Okafor"
    assert mask_free_text(text, roster=["Ingrid Dahl", "Chidi Okafor"]) == "[name] from support was rude to Mr [name]"


def test_text_without_personal_data_is_returned_unchanged_even_if_not_nfkc():
    text = "ﬁne service, ２ stars"
    assert mask_free_text(text, names=["Ann Lee"]) is text


@given(st.text(alphabet=st.sampled_from(list("ab1 .-@+()[]at dot＠£$")), max_size=200))
@settings(max_examples=300, deadline=None)
def test_masking_never_fails_and_never_grows_personal_data(text):
    out = mask_free_text(text, names=["ab ab"])
    assert isinstance(out, str)
    for found in find_emails(unicodedata.normalize("NFKC", out)):
        raise AssertionError(f"an e-mail survived masking: {out[found[0]:found[1]]!r}")


def _timed(text, **kw):
    """Best of two runs: the machine is shared, and what is tested is the algorithm's cost."""
    best = float("inf")
    for _ in range(2):
        t0 = time.perf_counter()
        mask_free_text(text, **kw)
        best = min(best, time.perf_counter() - t0)
    return best


def test_a_one_megabyte_comment_is_masked_in_under_a_second():
    rng = random.Random(13)
    words = "the agent was helpful but slow and the refund took weeks at our office dot".split()
    chunks = []
    while sum(map(len, chunks)) < 1_000_000:
        chunks.append(" ".join(rng.choice(words) for _ in range(150)))
        chunks.append(rng.choice(["Ann Lee", "+1 555 010 4477", "ann dot lee at example dot com", "£1000000"]))
    text = " ".join(chunks)[:1_000_000]
    names = [f"Customer{i} Name{i}" for i in range(2000)] + ["Ann Lee"]
    matcher = NameMatcher(names, words=True)
    assert _timed(text, names=matcher) < 1.0


@pytest.mark.parametrize(
    "text",
    ["a" * 1_000_000 + "@", "1 " * 500_000, "at dot " * 140_000, "(" * 1_000_000,
     "".join(random.Random(1).choice("ab1 .-@+()") for _ in range(1_000_000))],
    ids=["long-local-part", "digit-list", "at-dot", "brackets", "random"],
)
def test_adversarial_megabyte_texts_are_linear(text):
    assert _timed(text, names=["ab ab"]) < 1.0


def test_find_phones_reports_spans():
    text = "x +1 555 - 010 - 4477 y"
    [(s, e)] = find_phones(text)
    assert text[s:e] == "+1 555 - 010 - 4477"


# ------------------------------------------------------------------------------------ CSV injection


@given(st.text(max_size=30))
def test_no_neutralised_cell_starts_a_formula(value):
    out = neutralise_cell(value)
    if out.startswith(FORMULA_STARTS):
        float(out)  # only plain numbers such as "-3.5" may keep their sign
    if out != value:
        assert out == "'" + value


def test_hostile_export_cells_are_neutralised_and_raw_csv_keeps_them(tmp_path):
    frame = pd.DataFrame(
        {
            "comment": ['=HYPERLINK("http://evil","x")', "@SUM(1+1)*cmd|' /C calc'!A0", "+1 555", "-2+3", "\tx", "\rx", "ok", None],
            "difference": [-3.5, 1.0, 2.0, -1.0, 0.0, 0.0, 0.0, 0.0],
            "text_number": ["-3.5", "4", "+2", "-1e3", "x", "y", "z", "w"],
        }
    )
    safe = neutralise_frame(frame)
    assert safe["comment"].tolist()[:6] == ["'" + v for v in frame["comment"].tolist()[:6]]
    assert safe["comment"].tolist()[6] == "ok" and safe["comment"].isna().tolist()[7]
    assert safe["difference"].tolist() == frame["difference"].tolist()
    assert safe["text_number"].tolist()[:4] == ["-3.5", "4", "+2", "-1e3"]
    assert safe.attrs["csv_neutralised"] == 6
    assert to_safe_csv(frame, tmp_path / "safe.csv") == 6
    read = pd.read_csv(tmp_path / "safe.csv", keep_default_na=False)
    assert not any(str(v).startswith(("=", "@", "\t", "\r")) for v in read["comment"])
    assert to_safe_csv(frame, tmp_path / "raw.csv", raw_csv=True) == 0
    assert pd.read_csv(tmp_path / "raw.csv")["comment"][0].startswith("=HYPERLINK")
