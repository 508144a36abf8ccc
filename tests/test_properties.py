"""Property-based tests (hypothesis) for parsing, classifying and counting 0-10 answers.

Any mix of valid representations must classify as its numeric value says; every invalid value must
be named (or quarantined and counted); counts must add up however the data are split.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import nps_analysis as nps
from nps_analysis.stats.scoring import NPSCounts

SETTINGS = settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def category(score: int) -> str:
    return "detractor" if score <= 6 else "passive" if score <= 8 else "promoter"


whitespace = st.sampled_from(["", " ", "  ", "\t", " \n"])


@st.composite
def valid_answer(draw) -> tuple[object, int]:
    """(representation, numeric score) for a valid 0-10 answer."""
    score = draw(st.integers(0, 10))
    kind = draw(st.sampled_from(["int", "np_int", "float", "str", "str_float", "np_float"]))
    if kind == "int":
        value: object = score
    elif kind == "np_int":
        value = np.int16(score)
    elif kind == "float":
        value = float(score)
    elif kind == "np_float":
        value = np.float64(score)
    elif kind == "str":
        value = draw(whitespace) + str(score) + draw(whitespace)
    else:
        value = draw(whitespace) + f"{score:.1f}" + draw(whitespace)
    return value, score


missing_answer = st.sampled_from([None, math.nan, np.nan, pd.NA, "", "  ", "\t"])

invalid_answer = st.one_of(
    st.integers().filter(lambda x: x < 0 or x > 10),
    st.floats(allow_nan=False).filter(lambda x: not (0 <= x <= 10 and float(x).is_integer())),
    st.integers(0, 9).map(lambda x: x + 0.5),
    st.booleans(),
    st.text(min_size=1, max_size=6).filter(lambda s: s.strip() != "" and not _parses_as_valid(s)),
)


def _parses_as_valid(text: str) -> bool:
    try:
        x = float(text.strip())
    except ValueError:
        return False
    return 0 <= x <= 10 and x.is_integer()


answers = st.lists(
    st.one_of(valid_answer().map(lambda v: ("valid",) + v), missing_answer.map(lambda v: ("missing", v, None))),
    max_size=40,
)


@SETTINGS
@given(answers)
def test_any_mix_of_valid_and_missing_answers_classifies_by_its_numeric_value(items):
    values = [v for _, v, _ in items]
    out = nps.classify(values)
    assert len(out) == len(values)
    for (kind, _, score), got in zip(items, out.tolist(), strict=True):
        if kind == "valid":
            assert got == category(score)
        else:
            assert pd.isna(got)
    assert out.attrs["missing"] == sum(kind == "missing" for kind, _, _ in items)
    scores = [s for kind, _, s in items if kind == "valid"]
    bins = np.bincount(np.array(scores, dtype=int), minlength=11) if scores else np.zeros(11, int)
    assert NPSCounts.from_scores(values) == NPSCounts(int(bins[:7].sum()), int(bins[7:9].sum()), int(bins[9:].sum()))


@SETTINGS
@given(st.lists(st.integers(0, 10), max_size=60), st.sampled_from(
    ["int8", "int64", "uint16", "float32", "float64", "Int64", "Float64", "string", "str", "object", "category"]))
def test_every_dtype_of_the_same_answers_gives_the_same_counts(scores, dtype):
    base = pd.Series(scores, dtype="int64")
    if dtype in ("string", "str"):
        series = base.astype(str).astype(dtype)
    elif dtype == "category":
        series = base.astype("category")
    elif dtype == "object":
        series = base.astype(object)
    else:
        series = base.astype(dtype)
    assert NPSCounts.from_scores(series) == NPSCounts.from_scores(np.asarray(scores, dtype=np.int64))
    assert nps.classify(series).tolist() == [category(s) for s in scores]


@SETTINGS
@given(
    st.lists(st.one_of(
        valid_answer().map(lambda v: ("valid", v[0])),
        missing_answer.map(lambda v: ("missing", v)),
        invalid_answer.map(lambda v: ("invalid", v)),
    ), min_size=1, max_size=40)
)
def test_invalid_answers_raise_naming_each_position_and_value(items):
    values = [v for _, v in items]
    bad = [(i, v) for i, (kind, v) in enumerate(items) if kind == "invalid"]
    assume(bad)
    with pytest.raises(nps.NPSInputError) as info:
        nps.classify(values)
    err = info.value
    assert err.count == len(bad)
    assert [pos for pos, _ in err.rows] == [pos for pos, _ in bad][:20]
    for (pos, value), (got_pos, got_value) in zip(bad, err.rows, strict=False):
        assert got_pos == pos
        assert got_value is value or got_value == value or (
            isinstance(value, float) and math.isnan(value) and math.isnan(got_value))
    first_pos, first_value = bad[0]
    assert f"row {first_pos}: {first_value!r}" in str(err)


@SETTINGS
@given(
    st.lists(st.one_of(
        valid_answer().map(lambda v: ("valid", v[0])),
        missing_answer.map(lambda v: ("missing", v)),
        invalid_answer.map(lambda v: ("invalid", v)),
    ), max_size=40)
)
def test_quarantine_accounts_for_every_input_value(items):
    values = [v for _, v in items]
    out = nps.classify(values, on_invalid="quarantine")
    counts = NPSCounts.from_scores(values, on_invalid="quarantine")
    quarantined = out.attrs["quarantined"]
    assert counts.n + len(quarantined) + out.attrs["missing"] == len(values)
    assert [pos for pos, _ in quarantined] == [i for i, (kind, _) in enumerate(items) if kind == "invalid"]
    assert out.attrs["missing"] == sum(kind == "missing" for kind, _ in items)
    assert out.notna().sum() == counts.n


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", None]),
            st.sampled_from([1, 2]),
            st.one_of(st.integers(0, 10), st.just(None)),
        ),
        max_size=60,
    ),
    st.sampled_from([["arm"], ["arm", "wave"], ["wave"]]),
)
def test_counts_per_group_sum_to_the_total(rows, by):
    frame = pd.DataFrame(rows, columns=["arm", "wave", "ltr"])
    table = nps.counts(frame, score="ltr", by=by)
    total = NPSCounts.from_scores(frame["ltr"])
    summed = NPSCounts(int(table["detractors"].sum()), int(table["passives"].sum()), int(table["promoters"].sum()))
    assert summed == total
    assert (table["n"] == table["detractors"] + table["passives"] + table["promoters"]).all()
    # one row per distinct label combination present in the data, missing labels included
    assert len(table) == len(frame[by].drop_duplicates())
    # each group's counts equal a pandas groupby of category indicators (missing labels kept)
    ltr = frame["ltr"].astype(float)
    ref = (
        frame.assign(detractors=ltr <= 6, passives=(ltr >= 7) & (ltr <= 8), promoters=ltr >= 9)
        .groupby(by, dropna=False)[["detractors", "passives", "promoters"]]
        .sum()
        .reset_index()
    )

    def as_set(t: pd.DataFrame) -> set[tuple]:
        cols = [*by, "detractors", "passives", "promoters"]
        return {tuple("<NA>" if pd.isna(v) else v for v in row) for row in t[cols].astype(object).itertuples(index=False)}

    assert as_set(table) == as_set(ref)


counts_strategy = st.builds(NPSCounts, st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6))


@SETTINGS
@given(counts_strategy, counts_strategy, counts_strategy)
def test_adding_counts_is_associative_and_commutative(a, b, c):
    assert (a + b) + c == a + (b + c)
    assert a + b == b + a
    assert a + NPSCounts(0, 0, 0) == a


@SETTINGS
@given(st.lists(st.integers(0, 10), max_size=50), st.lists(st.integers(0, 10), max_size=50))
def test_counts_of_a_concatenation_are_the_sum_of_the_counts(first, second):
    assert NPSCounts.from_scores(first + second) == NPSCounts.from_scores(first) + NPSCounts.from_scores(second)


@SETTINGS
@given(counts_strategy)
def test_nps_and_variance_stay_in_range(c):
    assume(c.n > 0)
    assert -100 <= c.nps <= 100
    assert 0 <= c.variance <= 1
    # V = E[X^2] - E[X]^2 for X in {-1, 0, +1}
    mean = (c.promoters - c.detractors) / c.n
    second_moment = (c.promoters + c.detractors) / c.n
    assert c.variance == pytest.approx(second_moment - mean**2, abs=1e-12)
