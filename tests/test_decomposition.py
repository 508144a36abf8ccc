"""Mix and rate: the Kitagawa split adds up exactly, is attributed correctly, and its delta-method
standard errors match an independent numerical delta method; the mix drift test by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from nps_analysis.sources.errors import NPSInputError
from nps_analysis.stats.decomposition import mix_drift, mix_rate


def answers(segment: str, d: int, p: int, r: int) -> pd.DataFrame:
    scores = [0] * d + [7] * p + [10] * r
    return pd.DataFrame({"seg": [segment] * len(scores), "score": scores})


def frame(*parts: tuple[str, int, int, int]) -> pd.DataFrame:
    return pd.concat([answers(*p) for p in parts], ignore_index=True)


def test_two_segments_by_hand():
    a = frame(("x", 6, 2, 2), ("y", 2, 2, 6))  # shares .5/.5, means -0.4/+0.4, NPS 0
    b = frame(("x", 3, 1, 6), ("y", 3, 3, 24))  # shares 0.25/0.75, means 0.3/0.7, NPS 60
    r = mix_rate(a, b, "seg")
    # mix = (0.25-0.5)(-0.4+0.3)/2 + (0.75-0.5)(0.4+0.7)/2 = 0.0125 + 0.1375 = 0.15
    # rate = (0.3+0.4)(0.5+0.25)/2 + (0.7-0.4)(0.5+0.75)/2 = 0.2625 + 0.1875 = 0.45
    assert r.nps_a == pytest.approx(0.0) and r.nps_b == pytest.approx(60.0)
    assert r.mix == pytest.approx(15.0) and r.rate == pytest.approx(45.0)
    assert r.change == pytest.approx(60.0)
    seg = r.table().set_index("seg")
    assert seg.loc["x", "mix"] == pytest.approx(1.25) and seg.loc["y", "rate"] == pytest.approx(18.75)
    assert "+15.0 from who answered" in r.summary() and "+45.0 from how each segment" in r.summary()


def test_only_the_mix_changes_attributes_everything_to_mix():
    # Same answers within each segment, three times as many x respondents in b.
    a = frame(("x", 5, 3, 2), ("y", 1, 3, 6))
    b = frame(("x", 15, 9, 6), ("y", 1, 3, 6))
    r = mix_rate(a, b, "seg")
    assert r.rate == 0.0
    assert r.mix == pytest.approx(r.change) and r.change < 0


def test_only_the_rates_change_attributes_everything_to_rate():
    a = frame(("x", 5, 3, 2), ("y", 1, 3, 6))
    b = frame(("x", 2, 3, 5), ("y", 1, 1, 8))
    r = mix_rate(a, b, "seg")
    assert r.mix == 0.0
    assert r.rate == pytest.approx(r.change)


def test_a_segment_in_one_period_only_is_all_mix():
    a = frame(("x", 5, 3, 2), ("y", 1, 3, 6))
    b = frame(("x", 5, 3, 2), ("y", 1, 3, 6), ("z", 0, 0, 10))
    r = mix_rate(a, b, "seg")
    seg = r.table().set_index("seg")
    assert seg.loc["z", "only_in"] == "b" and seg.loc["z", "rate"] == 0
    # z: share 1/3 at mean +1 -> +33.3 points of mix
    assert seg.loc["z", "mix"] == pytest.approx(100 / 3)
    assert r.rate == pytest.approx(0.0, abs=1e-12)
    assert r.mix + r.rate == pytest.approx(r.change, abs=1e-9)
    assert math.isfinite(r.mix_se)


segment_counts = st.dictionaries(
    st.sampled_from(["x", "y", "z", "w"]),
    st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(0, 6)).filter(lambda t: sum(t) > 0),
    min_size=1, max_size=4,
)


@settings(max_examples=80, deadline=None)
@given(segment_counts, segment_counts, st.booleans())
def test_mix_plus_rate_is_the_change_exactly(ca, cb, weighted):
    a = frame(*[(s, *c) for s, c in ca.items()])
    b = frame(*[(s, *c) for s, c in cb.items()])
    if weighted:
        a["w"] = np.linspace(0.5, 2.0, len(a))
        b["w"] = np.linspace(2.0, 0.3, len(b))
    r = mix_rate(a, b, "seg", weights="w" if weighted else None)
    assert r.mix + r.rate == pytest.approx(r.change, abs=1e-9)
    seg = r.table()
    assert seg["mix"].sum() == pytest.approx(r.mix, abs=1e-9)
    assert seg["rate"].sum() == pytest.approx(r.rate, abs=1e-9)


def _numerical_delta_se(a: pd.DataFrame, b: pd.DataFrame, which: str) -> float:
    """Delta method by finite differences over the multinomial cell probabilities of each period."""
    segs = sorted(set(a.seg) | set(b.seg))

    def cells(f):
        cat = np.where(f.score >= 9, 2, np.where(f.score >= 7, 1, 0))
        m = np.zeros((len(segs), 3))
        for s, c in zip(f.seg, cat, strict=True):
            m[segs.index(s), c] += 1
        return m / len(f), len(f)

    def component(pa, pb):
        sa, sb = pa.sum(1), pb.sum(1)
        ra = (pa[:, 2] - pa[:, 0]) / sa
        rb = (pb[:, 2] - pb[:, 0]) / sb
        if which == "mix":
            return 100 * np.sum((sb - sa) * (ra + rb) / 2)
        return 100 * np.sum((rb - ra) * (sa + sb) / 2)

    pa, na = cells(a)
    pb, nb = cells(b)
    var = 0.0
    for p, n, first in ((pa, na, True), (pb, nb, False)):
        flat = p.ravel()
        grad = np.zeros(flat.size)
        for i in range(flat.size):
            h = 1e-6
            up, dn = flat.copy(), flat.copy()
            up[i] += h
            dn[i] -= h
            args_up = (up.reshape(p.shape), pb) if first else (pa, up.reshape(p.shape))
            args_dn = (dn.reshape(p.shape), pb) if first else (pa, dn.reshape(p.shape))
            grad[i] = (component(*args_up) - component(*args_dn)) / (2 * h)
        cov = (np.diag(flat) - np.outer(flat, flat)) / n  # multinomial covariance of the shares
        var += grad @ cov @ grad * n / (n - 1)
    return math.sqrt(var)


def test_delta_method_se_matches_a_numerical_delta_method():
    rng = np.random.default_rng(4)
    a = pd.DataFrame({"seg": rng.choice(["x", "y", "z"], 400, p=[0.5, 0.3, 0.2]),
                      "score": rng.integers(0, 11, 400)})
    b = pd.DataFrame({"seg": rng.choice(["x", "y", "z"], 300, p=[0.2, 0.3, 0.5]),
                      "score": rng.integers(3, 11, 300)})
    r = mix_rate(a, b, "seg")
    assert r.mix_se == pytest.approx(_numerical_delta_se(a, b, "mix"), rel=1e-4)
    assert r.rate_se == pytest.approx(_numerical_delta_se(a, b, "rate"), rel=1e-4)
    # The change's SE is the linearised SE of two independent means: sqrt(s_a^2/n_a + s_b^2/n_b)
    ya = np.where(a.score >= 9, 1, np.where(a.score >= 7, 0, -1))
    yb = np.where(b.score >= 9, 1, np.where(b.score >= 7, 0, -1))
    expected = 100 * math.sqrt(ya.var(ddof=1) / len(ya) + yb.var(ddof=1) / len(yb))
    assert r.change_se == pytest.approx(expected)
    assert r.mix_ci_upper - r.mix == pytest.approx(1.959964 * r.mix_se, rel=1e-5)


def test_mix_rate_errors():
    a = frame(("x", 1, 1, 1))
    with pytest.raises(NPSInputError, match="segment column"):
        mix_rate(a, a, [])
    with pytest.raises(NPSInputError, match="missing column"):
        mix_rate(a, a, "team")
    with pytest.raises(NPSInputError, match="no answers"):
        mix_rate(a, a.assign(score=np.nan), "seg")


def test_mix_drift_goodness_of_fit_by_hand():
    cur = frame(("x", 30, 0, 0), ("y", 50, 0, 0), ("z", 20, 0, 0))
    d = mix_drift(cur, {"x": 0.5, "y": 0.3, "z": 0.2}, "seg")
    # E = 50, 30, 20: X^2 = 400/50 + 400/30 + 0 = 21.333
    assert d.statistic == pytest.approx(8 + 400 / 30)
    assert d.df == 2 and d.pvalue == pytest.approx(stats.chi2.sf(8 + 400 / 30, 2))
    assert {d.shifts[0]["seg"], d.shifts[1]["seg"]} == {"x", "y"}
    assert abs(d.largest_shift["shift"]) == pytest.approx(20.0)
    with pytest.raises(NPSInputError, match="not in the reference"):
        mix_drift(cur, {"x": 0.5, "y": 0.5}, "seg")


def test_mix_drift_homogeneity_by_hand():
    cur = frame(("x", 30, 0, 0), ("y", 70, 0, 0))
    prev = frame(("x", 50, 0, 0), ("y", 50, 0, 0))
    d = mix_drift(cur, prev, "seg")
    # 2x2 table [[30, 70], [50, 50]], expected 40/60 each row: X^2 = 2 (100/40 + 100/60)
    assert d.statistic == pytest.approx(2 * (100 / 40 + 100 / 60))
    assert d.test == "homogeneity" and d.df == 1 and d.n_reference == 100
