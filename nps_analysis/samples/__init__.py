"""Seeded synthetic survey data with known true effects, and the bundled samples in ``data/``.

Scores come from an ordinal latent-variable model: a respondent's latent satisfaction is normal and
cut into the 0-10 answers, so each arm's true answer distribution (hence its true NPS) is exact.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .cluster_pilot import cluster_pilot_sample
from .drivers import drivers_sample
from .latent import (
    BASELINE_CSAT,
    BASELINE_DISTRIBUTION,
    cutpoints,
    latent_distribution,
    shift_for_nps,
    true_nps,
)
from .loop import (
    LOOP_CONTACT_MEDIAN_HOURS as LOOP_CONTACT_MEDIAN_HOURS,
)
from .loop import (
    LOOP_TEAM_SHIFT as LOOP_TEAM_SHIFT,
)
from .loop import (
    ClosedLoopData as ClosedLoopData,
)
from .loop import (
    closed_loop_data as closed_loop_data,
)
from .loop import (
    loop_sample,
)


def experiment_data(
    n_invited: int = 3000,
    *,
    arms: Mapping[str, float] | None = None,
    allocation: Mapping[str, float] | None = None,
    response_rate: Mapping[str, float] | float = 0.4,
    segments: Mapping[str, float] | None = None,
    segment_shift: Mapping[str, float] | None = None,
    prior_correlation: float = 0.6,
    start: str = "2026-09-01",
    days: int = 28,
    seed: int = 2026,
) -> pd.DataFrame:
    """A cohort experiment: invited customers, who responded, 0-10 scores, CSAT and a prior score.

    Args:
        n_invited: customers invited to the survey.
        arms: arm label -> true effect on NPS in points relative to the control arm (the first
            arm, whose effect must be 0). Default: control 0, treatment_a +8, treatment_b -6.
        allocation: arm -> share of customers (default equal).
        response_rate: the survey response rate, overall or per arm.
        segments: segment (region) -> share of customers; ``segment_shift`` adds a latent shift.
        prior_correlation: correlation (rho) of the latent satisfaction before and during the
            experiment; the before-score (``prior_score``) is what CUPED adjusts on.
        seed: everything is reproducible from it.

    Returns:
        One row per invited customer: ``respondent_id``, ``customer_id``, ``arm``, ``region``,
        ``plan``, ``invited`` (always True), ``responded``, ``submitted_at``, ``score`` (NaN when
        not responded), ``csat`` (1-5, NaN when not responded), ``prior_score`` (0-10, the last
        survey before the experiment). ``attrs["true_nps"]`` maps each arm to its exact true NPS
        over the segment mix, ``attrs["true_effect"]`` to its true difference against control.
    """
    rng = np.random.default_rng(seed)
    arms = dict(arms or {"control": 0.0, "treatment_a": 8.0, "treatment_b": -6.0})
    labels = list(arms)
    if arms[labels[0]] != 0:
        raise ValueError("the first arm is the control and must have effect 0")
    allocation = dict(allocation or {a: 1 / len(labels) for a in labels})
    weights = np.array([allocation[a] for a in labels], dtype=float)
    segments = dict(segments or {"North": 0.45, "South": 0.35, "West": 0.20})
    segment_shift = dict(segment_shift or {"North": 0.0, "South": -0.15, "West": 0.2})
    base_nps = true_nps(0.0)
    arm_shift = {a: shift_for_nps(base_nps + effect) for a, effect in arms.items()}

    arm = rng.choice(len(labels), size=n_invited, p=weights / weights.sum())
    seg_labels = list(segments)
    seg_p = np.array([segments[s] for s in seg_labels], dtype=float)
    seg = rng.choice(len(seg_labels), size=n_invited, p=seg_p / seg_p.sum())
    plan = rng.choice(np.array(["basic", "plus", "pro"]), size=n_invited, p=[0.5, 0.35, 0.15])

    if not 0 <= prior_correlation < 1:
        raise ValueError(f"prior_correlation must be in [0, 1), got {prior_correlation!r}")
    # Both latents load sqrt(rho) on a shared customer term, so their correlation is rho.
    load = math.sqrt(prior_correlation)
    u = rng.standard_normal(n_invited)
    latent_now = load * u + math.sqrt(1 - prior_correlation) * rng.standard_normal(n_invited)
    latent_before = load * u + math.sqrt(1 - prior_correlation) * rng.standard_normal(n_invited)
    shift = np.array([arm_shift[labels[i]] for i in range(len(labels))])[arm]
    shift = shift + np.array([segment_shift.get(s, 0.0) for s in seg_labels])[seg]
    cuts = cutpoints(BASELINE_DISTRIBUTION)
    score = np.searchsorted(cuts, latent_now + shift).astype(float)
    seg_only = np.array([segment_shift.get(s, 0.0) for s in seg_labels])[seg]
    prior_score = np.searchsorted(cuts, latent_before + seg_only).astype(float)
    csat = 1 + np.searchsorted(cutpoints(BASELINE_CSAT), latent_now + shift).astype(float)

    if isinstance(response_rate, Mapping):
        rate = np.array([response_rate[labels[i]] for i in range(len(labels))])[arm]
    else:
        rate = np.full(n_invited, float(response_rate))
    responded = rng.random(n_invited) < rate
    score[~responded] = np.nan
    csat[~responded] = np.nan

    t0 = pd.Timestamp(start, tz="UTC")
    seconds = rng.integers(0, days * 86400, size=n_invited)
    submitted = t0 + pd.to_timedelta(np.sort(seconds), unit="s")
    frame = pd.DataFrame(
        {
            "respondent_id": [f"R{i:06d}" for i in range(1, n_invited + 1)],
            "customer_id": [f"C{i:06d}" for i in rng.permutation(n_invited) + 1],
            "arm": np.array(labels, dtype=object)[arm],
            "region": np.array(seg_labels, dtype=object)[seg],
            "plan": plan,
            "invited": True,
            "responded": responded,
            "submitted_at": submitted,
            "score": score,
            "csat": csat,
            "prior_score": prior_score,
        }
    )
    frame.loc[~responded, "submitted_at"] = pd.NaT
    truth = {}
    for a in labels:
        truth[a] = float(
            sum(
                (segments[s] / seg_p.sum()) * 100 * _nps_of(latent_distribution(arm_shift[a] + segment_shift.get(s, 0.0)))
                for s in seg_labels
            )
        )
    frame.attrs["true_nps"] = truth
    frame.attrs["true_effect"] = {a: truth[a] - truth[labels[0]] for a in labels}
    return frame


def _nps_of(p: np.ndarray) -> float:
    return float(p[9:].sum() - p[:7].sum())


# ------------------------------------------------------------------- survey gap (issue 5; gap.py)

#: Items of the bundled gap survey: item -> (dimension, wording); "" = in no dimension.
GAP_SAMPLE_ITEMS: dict[str, tuple[str, str]] = {
    "first_contact": ("business", "My request is solved on the first contact"),
    "speed": ("business", "I get an answer quickly"),
    "product_knowledge": ("business", "Staff know the products and services"),
    "respect": ("human", "Staff treat me with respect"),
    "listening": ("human", "Staff listen to what I say"),
    "feel_valued": ("human", "I feel valued as a customer"),
    "expectations": ("hidden", "The service matches what I was led to expect"),
    "easy_procedures": ("hidden", "Procedures are easy for me"),
    "kept_informed": ("hidden", "I am kept informed about my request"),
    "superior": ("", "The service is better than other providers'"),
}
#: The item behind the superior-service headline in the bundled sample.
GAP_SUPERIOR_ITEM = "superior"
#: Customers' 1-5 agreement distribution at latent shift 0 (mean 3.48, top box 20%).
BASELINE_AGREEMENT: tuple[float, ...] = (0.07, 0.13, 0.25, 0.35, 0.20)
#: The superior item: 8% of customers in the top box at shift 0 (Bain 2005: 8% agree).
SUPERIOR_AGREEMENT: tuple[float, ...] = (0.10, 0.20, 0.32, 0.30, 0.08)
#: Latent means of the customers' answers per item.
GAP_CUSTOMER_SHIFT: dict[str, float] = {
    "first_contact": -0.2, "speed": -0.3, "product_knowledge": 0.3, "respect": 0.5,
    "listening": 0.1, "feel_valued": -0.4, "expectations": -0.1, "easy_procedures": 0.0,
    "kept_informed": -0.2, "superior": 0.0,
}
#: How much higher the company places itself on the latent scale (negative = reverse gap; 0 = no
#: gap, and then both sides have the same spread, so the answer distributions are identical).
GAP_COMPANY_INFLATION: dict[str, float] = {
    "first_contact": 0.9, "speed": 0.7, "product_knowledge": 0.0, "respect": -0.7,
    "listening": 0.8, "feel_valued": 1.0, "expectations": 0.6, "easy_procedures": 0.5,
    "kept_informed": 0.0,
    # 80% of the company in the top box (Bain 2005) at company_spread 0.7:
    # 1 - Phi((cut_4 - s) / 0.7) = 0.8 with cut_4 = Phi^-1(0.92), so s = Phi^-1(0.92) + 0.7 Phi^-1(0.8)
    "superior": 1.994206423810673,
}


def ordinal_probabilities(mean: float, spread: float, distribution: tuple[float, ...]) -> np.ndarray:
    """Exact answer probabilities when a N(mean, spread^2) latent is cut at ``distribution``'s cutpoints."""
    from scipy.stats import norm

    cdf = norm.cdf((cutpoints(distribution) - mean) / spread)
    return np.diff(np.concatenate([[0.0], cdf, [1.0]]))


def dominance(p_x: np.ndarray, p_y: np.ndarray) -> float:
    """Exact Cliff's delta P(X > Y) - P(X < Y) of two answer distributions."""
    k = len(p_x)
    sign = np.sign(np.arange(k)[:, None] - np.arange(k)[None, :])
    return float(p_x @ sign @ p_y)


def gap_survey_data(
    n_company: int = 30,
    n_customers: int = 300,
    *,
    items: Mapping[str, tuple[str, str]] | None = None,
    customer_shift: Mapping[str, float] | None = None,
    company_inflation: Mapping[str, float] | None = None,
    company_spread: float = 0.7,
    correlation: float = 0.3,
    missing_rate: float = 0.03,
    seed: int = 2026,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A company survey and a customer survey of the same 1-5 items with known gaps.

    Each answer is a latent normal cut at fixed cutpoints (``BASELINE_AGREEMENT``; the superior
    item uses ``SUPERIOR_AGREEMENT``). Customers' latent for item j is N(customer_shift_j, 1), the
    company's N(customer_shift_j + company_inflation_j, company_spread^2) (spread 1 where the
    inflation is 0, so a no-gap item has identical answer distributions). A respondent effect
    (share ``correlation`` of the latent variance) correlates a respondent's items. Customers skip
    an item with probability ``missing_rate`` (completely at random).

    Returns:
        ``(company, customers)``: wide frames with a ``respondent`` column and one column per
        item (NaN = skipped). Both carry ``attrs["truth"]``: per item the exact means, top-box
        shares (%), gap (customers - company, scale points), top-box gap (points), Cliff's delta and
        the true label (``gap`` / ``reverse gap`` / ``no gap``); per dimension the exact gap of
        respondent-level dimension means; ``attrs["dimensions"]`` maps item -> dimension.
    """
    items = dict(items or GAP_SAMPLE_ITEMS)
    shift = {**GAP_CUSTOMER_SHIFT, **dict(customer_shift or {})}
    inflation = {**GAP_COMPANY_INFLATION, **dict(company_inflation or {})}
    rng = np.random.default_rng(seed)
    levels = np.arange(1, 6, dtype=float)
    frames = []
    truth_items: dict[str, dict[str, Any]] = {}
    for side, n in (("company", n_company), ("customers", n_customers)):
        u = rng.standard_normal((n, 1))
        e = rng.standard_normal((n, len(items)))
        common = math.sqrt(correlation) * u + math.sqrt(1 - correlation) * e
        columns = {"respondent": [f"{'E' if side == 'company' else 'C'}{i:04d}" for i in range(1, n + 1)]}
        for j, item in enumerate(items):
            base = SUPERIOR_AGREEMENT if item == GAP_SUPERIOR_ITEM else BASELINE_AGREEMENT
            mean = shift.get(item, 0.0) + (inflation.get(item, 0.0) if side == "company" else 0.0)
            spread = company_spread if side == "company" and inflation.get(item, 0.0) != 0 else 1.0
            answer = 1 + np.searchsorted(cutpoints(base), mean + spread * common[:, j]).astype(float)
            if side == "customers" and missing_rate > 0:
                answer[rng.random(n) < missing_rate] = np.nan
            columns[item] = answer
            probs = ordinal_probabilities(mean, spread, base)
            entry = truth_items.setdefault(item, {"dimension": items[item][0] or None})
            entry[f"mean_{side}"] = float(probs @ levels)
            entry[f"top_box_{side}"] = float(100 * probs[-1])
            entry[f"_p_{side}"] = probs
        frames.append(pd.DataFrame(columns))
    for entry in truth_items.values():
        entry["gap"] = entry["mean_customers"] - entry["mean_company"]
        entry["top_box_gap"] = entry["top_box_customers"] - entry["top_box_company"]
        delta = dominance(entry.pop("_p_customers"), entry.pop("_p_company"))
        entry["cliffs_delta"] = delta
        entry["label"] = "gap" if delta < -1e-12 else "reverse gap" if delta > 1e-12 else "no gap"
    dims: dict[str, list[str]] = {}
    for item, (dim, _) in items.items():
        if dim:
            dims.setdefault(dim, []).append(item)
    truth = {
        "items": truth_items,
        # Missingness is completely at random, so E[respondent dimension mean] = mean of item means.
        "dimensions": {d: float(np.mean([truth_items[i]["gap"] for i in members])) for d, members in dims.items()},
    }
    for frame in frames:
        frame.attrs["truth"] = truth
        frame.attrs["dimensions"] = {i: d for i, (d, _) in items.items() if d}
    return frames[0], frames[1]


#: Customers' 1-5 importance of the gap sample items: latent means (cut at BASELINE_AGREEMENT).
GAP_IMPORTANCE_SHIFT: dict[str, float] = {
    "first_contact": 0.9, "speed": 0.6, "product_knowledge": 0.1, "respect": 0.7,
    "listening": 0.2, "feel_valued": -0.3, "expectations": 0.5, "easy_procedures": -0.2,
    "kept_informed": -0.5,
}


def gap_importance_data(n: int = 200, *, shift: Mapping[str, float] | None = None, seed: int = 2027) -> pd.DataFrame:
    """Customers' importance ratings (1-5) of the gap sample items; ``attrs["true_importance"]`` exact."""
    shift = dict(shift or GAP_IMPORTANCE_SHIFT)
    rng = np.random.default_rng(seed)
    cuts = cutpoints(BASELINE_AGREEMENT)
    columns: dict[str, Any] = {"respondent": [f"C{i:04d}" for i in range(1, n + 1)]}
    truth = {}
    for item, mu in shift.items():
        columns[item] = 1 + np.searchsorted(cuts, mu + rng.standard_normal(n)).astype(float)
        truth[item] = float(ordinal_probabilities(mu, 1.0, BASELINE_AGREEMENT) @ np.arange(1, 6))
    frame = pd.DataFrame(columns)
    frame.attrs["true_importance"] = truth
    return frame


#: 1 (never) - 5 (all the time) at latent shift 0 (mean 3.43).
BASELINE_FREQUENCY: tuple[float, ...] = (0.05, 0.15, 0.30, 0.32, 0.18)
#: Latent level of the company raters and of customers per self-assessment area.
SELF_ASSESSMENT_COMPANY_SHIFT: dict[str, float] = {
    "culture": 0.8, "products": 0.4, "comments": 0.2, "knowing": 0.5, "contact": 0.3,
    "staff": 0.6, "improvement": -0.1,
}
SELF_ASSESSMENT_CUSTOMER_SHIFT: dict[str, float] = {
    "culture": 0.0, "products": 0.1, "comments": -0.5, "knowing": -0.2, "contact": 0.4,
    "staff": 0.2, "improvement": -0.3,
}


def self_assessment_data(
    n_company: int = 6,
    n_customers: int = 150,
    *,
    company_shift: Mapping[str, float] | None = None,
    customer_shift: Mapping[str, float] | None = None,
    correlation: float = 0.4,
    seed: int = 2028,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The 25 self-assessment statements rated by company raters and by customers (1-5).

    Latent N(area shift, 1) cut at ``BASELINE_FREQUENCY``, a rater effect correlating statements.
    Returns ``(company, customers)``; ``company`` has a ``rater`` column (owner, managers),
    ``customers`` a ``respondent`` column. ``attrs["truth"]``: exact expected area means per side,
    the company's expected total (sum of its area means) and band inputs.
    """
    from ..sources.instruments import SELF_ASSESSMENT_STATEMENTS, statement_area

    c_shift = {**SELF_ASSESSMENT_COMPANY_SHIFT, **dict(company_shift or {})}
    k_shift = {**SELF_ASSESSMENT_CUSTOMER_SHIFT, **dict(customer_shift or {})}
    rng = np.random.default_rng(seed)
    cuts = cutpoints(BASELINE_FREQUENCY)
    levels = np.arange(1, 6, dtype=float)
    frames = []
    truth: dict[str, Any] = {}
    for side, n, shift in (("company", n_company, c_shift), ("customers", n_customers, k_shift)):
        latent = (math.sqrt(correlation) * rng.standard_normal((n, 1))
                  + math.sqrt(1 - correlation) * rng.standard_normal((n, len(SELF_ASSESSMENT_STATEMENTS))))
        if side == "company":
            names = ["owner"] + [f"manager_{i}" for i in range(1, n)]
            columns: dict[str, Any] = {"rater": names[:n]}
        else:
            columns = {"respondent": [f"C{i:04d}" for i in range(1, n + 1)]}
        for j, sid in enumerate(SELF_ASSESSMENT_STATEMENTS):
            columns[sid] = 1 + np.searchsorted(cuts, shift[statement_area(sid)] + latent[:, j]).astype(float)
        frames.append(pd.DataFrame(columns))
        truth[side] = {a: float(ordinal_probabilities(s, 1.0, BASELINE_FREQUENCY) @ levels) for a, s in shift.items()}
    truth["company_total"] = float(sum(truth["company"].values()))
    truth["area_gaps"] = {a: truth["customers"][a] - truth["company"][a] for a in truth["company"]}
    for frame in frames:
        frame.attrs["truth"] = truth
    return frames[0], frames[1]


def _gap_company_sample() -> pd.DataFrame:
    return gap_survey_data(seed=20261105)[0]


def _gap_customers_sample() -> pd.DataFrame:
    return gap_survey_data(seed=20261105)[1]


def _gap_importance_sample() -> pd.DataFrame:
    return gap_importance_data(seed=20261106)


def _self_assessment_company_sample() -> pd.DataFrame:
    return self_assessment_data(seed=20261107)[0]


def _self_assessment_customers_sample() -> pd.DataFrame:
    return self_assessment_data(seed=20261107)[1]


# ------------------------------------------------------------- monitoring data (roll-back decisions)


def monitoring_data(
    days: int = 30,
    *,
    daily_responses: float = 60.0,
    true_effect: float = -15.0,
    handling_effect: float = 0.0,
    treatment: str = "treatment",
    control: str = "control",
    start: str = "2026-10-01",
    seed: int = 2026,
) -> pd.DataFrame:
    """A cohort experiment watched day by day: responses arrive over time and the change may harm.

    Each arm receives Poisson(``daily_responses``) answers per day at uniform times of day. The
    control follows :data:`BASELINE_DISTRIBUTION` (true NPS +20); the treatment's latent shift makes
    its true NPS exactly ``20 + true_effect``. CSAT (1-5) comes from the same latent satisfaction,
    so a harmful change lowers CSAT too; ``handling_minutes`` (gamma, mean 12 in control) is a
    numeric guardrail shifted by ``handling_effect`` minutes in the treatment arm.

    Returns:
        One row per response: ``respondent_id``, ``arm``, ``submitted_at`` (UTC), ``day``
        (0-based), ``score``, ``csat``, ``handling_minutes``. ``attrs`` holds the exact truths per
        arm: ``true_nps``, ``true_effect`` (treatment minus control, NPS points),
        ``true_detractor_share`` and ``true_csat`` (top-2-box) in percent, ``true_handling_minutes``.
    """
    from scipy.stats import norm

    rng = np.random.default_rng(seed)
    labels = [treatment, control]
    base = true_nps(0.0)
    shift = np.array([shift_for_nps(base + true_effect), 0.0])
    per_day = rng.poisson(daily_responses, size=(days, 2))
    arm = np.repeat(np.tile([0, 1], days), per_day.ravel())
    day = np.repeat(np.repeat(np.arange(days), 2), per_day.ravel())
    n = arm.size
    seconds = day * 86400 + rng.integers(0, 86400, size=n)
    order = np.argsort(seconds, kind="stable")
    arm, day, seconds = arm[order], day[order], seconds[order]
    latent = rng.standard_normal(n) + shift[arm]
    score = np.searchsorted(cutpoints(BASELINE_DISTRIBUTION), latent).astype(int)
    csat_cuts = cutpoints(BASELINE_CSAT)
    csat = 1 + np.searchsorted(csat_cuts, latent).astype(int)
    handling = rng.gamma(4.0, 3.0, size=n) + np.where(arm == 0, handling_effect, 0.0)
    frame = pd.DataFrame(
        {
            "respondent_id": [f"M{i:06d}" for i in range(1, n + 1)],
            "arm": np.array(labels, dtype=object)[arm],
            "submitted_at": pd.Timestamp(start, tz="UTC") + pd.to_timedelta(seconds, unit="s"),
            "day": day,
            "score": score,
            "csat": csat,
            "handling_minutes": np.round(np.maximum(handling, 0.1), 1),
        }
    )
    frame.attrs["true_nps"] = {a: true_nps(shift[i]) for i, a in enumerate(labels)}
    frame.attrs["true_effect"] = frame.attrs["true_nps"][treatment] - frame.attrs["true_nps"][control]
    frame.attrs["true_detractor_share"] = {
        a: float(100 * latent_distribution(shift[i])[:7].sum()) for i, a in enumerate(labels)
    }
    frame.attrs["true_csat"] = {a: float(100 * norm.sf(csat_cuts[2] - shift[i])) for i, a in enumerate(labels)}
    frame.attrs["true_handling_minutes"] = {treatment: 12.0 + handling_effect, control: 12.0}
    return frame


def _monitoring_sample() -> pd.DataFrame:
    return monitoring_data(30, daily_responses=60, true_effect=-15.0, seed=20261001)


# ---------------------------------------------------------------------------------- bundled samples


@dataclass(frozen=True)
class Sample:
    """A small bundled data set: its file in ``data/`` and the call that regenerates it."""

    filename: str
    make: Callable[[], pd.DataFrame]
    description: str


def _experiment_sample() -> pd.DataFrame:
    # Seed chosen as the first from 20261122 whose observed effects are each within one standard
    # error of the true ones, so the demo is representative rather than an unlucky (or lucky) draw.
    return experiment_data(6000, seed=20261125)


SAMPLES: dict[str, Sample] = {
    "experiment": Sample(
        "sample_experiment.csv",
        _experiment_sample,
        "6,000 invited customers (40% respond), control vs two treatments (true +8 and -6 NPS points), 3 regions",
    ),
    "gap_company": Sample(
        "sample_gap_company.csv", _gap_company_sample,
        "30 company respondents rating 10 service items 1-5 (pairs with gap_customers)",
    ),
    "gap_customers": Sample(
        "sample_gap_customers.csv", _gap_customers_sample,
        "300 customers rating the same 10 items; known gaps, one reverse gap, two no-gap items",
    ),
    "gap_importance": Sample(
        "sample_gap_importance.csv", _gap_importance_sample,
        "200 customers rating the importance (1-5) of the 9 gap-survey service items",
    ),
    "self_assessment_company": Sample(
        "sample_self_assessment_company.csv", _self_assessment_company_sample,
        "service self-assessment: owner and 5 managers rating the 25 statements 1-5",
    ),
    "self_assessment_customers": Sample(
        "sample_self_assessment_customers.csv", _self_assessment_customers_sample,
        "150 customers rating the same 25 self-assessment statements about the company",
    ),
    "monitoring": Sample(
        "sample_monitoring.csv",
        _monitoring_sample,
        "30 days of daily responses (~60 per arm per day), treatment harms NPS by 15 points (roll-back demo)",
    ),
}


# The closed-loop generator (responses, follow-up logs, root causes) lives in samples/loop.py.
# The cluster-assigned pilot (whole teams randomised) lives in samples/cluster_pilot.py.
# The key-driver and comment-theme generator lives in samples/drivers.py.

SAMPLES.update(
    {
        "loop_responses": Sample(
            "sample_loop_responses.csv",
            lambda: loop_sample().responses,
            "closed loop: ~1,800 answers (1,500 customers, re-surveys), 3 teams in 4 time zones, "
            "comments with invented personal data; follow-up log as of 2026-11-17T12:00Z",
        ),
        "loop_followups": Sample(
            "sample_loop_followups.csv",
            lambda: loop_sample().followups,
            "closed loop: the follow-up log of sample_loop_responses (DOMAIN.md fields)",
        ),
        "drivers": Sample(
            "sample_drivers.csv",
            drivers_sample,
            "2,000 answers with 6 attribute ratings of known weights (speed first, ease 0), comments "
            "in en/fr/de/es with 6 planted themes of known effect, 4 teams over 12 weeks",
        ),
        "loop_root_causes": Sample(
            "sample_loop_root_causes.csv",
            lambda: loop_sample().root_causes,
            "closed loop: five-whys chains against responses and themes",
        ),
        "cluster_pilot": Sample(
            "sample_cluster_pilot.csv",
            cluster_pilot_sample,
            "cluster-assigned pilot: 24 support teams (~40 answers each) randomised whole to the "
            "new call-back script; true effect +10 NPS points, ICC 0.05",
        ),
    }
)


def data_dir() -> Path:
    """The repository's ``data/`` folder (the package is installed editable from the checkout)."""
    return Path(__file__).resolve().parent.parent.parent / "data"


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a sample as CSV deterministically (fixed float and date formats, LF line endings)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    out.to_csv(path, index=False, lineterminator="\n", float_format="%.10g")
    return path


def sample_path(name: str) -> Path:
    """Path of a bundled sample; regenerated into ``data/`` if the file is missing."""
    try:
        sample = SAMPLES[name]
    except KeyError:
        raise ValueError(f"unknown sample {name!r}; the samples are {sorted(SAMPLES)}") from None
    path = data_dir() / sample.filename
    if not path.exists():
        write_csv(sample.make(), path)
    return path


def regenerate_samples(names: list[str] | None = None, directory: str | Path | None = None) -> list[Path]:
    """Rewrite the bundled samples byte for byte (``nps-analysis samples``)."""
    directory = Path(directory) if directory is not None else data_dir()
    return [write_csv(SAMPLES[n].make(), directory / SAMPLES[n].filename) for n in (names or sorted(SAMPLES))]


def describe_samples() -> dict[str, Any]:
    return {name: {"file": s.filename, "description": s.description} for name, s in SAMPLES.items()}
