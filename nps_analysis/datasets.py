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

#: A realistic, negatively skewed 0-10 distribution (true NPS = 45 - 25 = +20).
BASELINE_DISTRIBUTION: tuple[float, ...] = (
    0.03, 0.01, 0.02, 0.03, 0.03, 0.06, 0.07, 0.12, 0.18, 0.20, 0.25,
)
#: 1-5 CSAT distribution for the control arm (top-2-box 70%).
BASELINE_CSAT: tuple[float, ...] = (0.05, 0.08, 0.17, 0.35, 0.35)


def _cutpoints(distribution: tuple[float, ...]) -> np.ndarray:
    from scipy.stats import norm

    p = np.asarray(distribution, dtype=float)
    if np.any(p < 0) or not math.isclose(p.sum(), 1.0, abs_tol=1e-9):
        raise ValueError("a distribution must be non-negative and sum to 1")
    return norm.ppf(np.cumsum(p)[:-1])


def latent_distribution(shift: float, distribution: tuple[float, ...] = BASELINE_DISTRIBUTION) -> np.ndarray:
    """Answer probabilities when the latent N(0, 1) satisfaction is shifted by ``shift``."""
    from scipy.stats import norm

    cdf = norm.cdf(_cutpoints(distribution) - shift)
    return np.diff(np.concatenate([[0.0], cdf, [1.0]]))


def true_nps(shift: float, distribution: tuple[float, ...] = BASELINE_DISTRIBUTION) -> float:
    """Exact NPS (points) of the latent model at a given shift."""
    p = latent_distribution(shift, distribution)
    return float(100.0 * (p[9:].sum() - p[:7].sum()))


def shift_for_nps(target_nps: float, distribution: tuple[float, ...] = BASELINE_DISTRIBUTION) -> float:
    """The latent shift whose true NPS is ``target_nps`` (inverse of :func:`true_nps`)."""
    from scipy.optimize import brentq

    return float(brentq(lambda s: true_nps(s, distribution) - target_nps, -8, 8, xtol=1e-12))


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
    cuts = _cutpoints(BASELINE_DISTRIBUTION)
    score = np.searchsorted(cuts, latent_now + shift).astype(float)
    seg_only = np.array([segment_shift.get(s, 0.0) for s in seg_labels])[seg]
    prior_score = np.searchsorted(cuts, latent_before + seg_only).astype(float)
    csat = 1 + np.searchsorted(_cutpoints(BASELINE_CSAT), latent_now + shift).astype(float)

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

    cdf = norm.cdf((_cutpoints(distribution) - mean) / spread)
    return np.diff(np.concatenate([[0.0], cdf, [1.0]]))


def _dominance(p_x: np.ndarray, p_y: np.ndarray) -> float:
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
            answer = 1 + np.searchsorted(_cutpoints(base), mean + spread * common[:, j]).astype(float)
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
        delta = _dominance(entry.pop("_p_customers"), entry.pop("_p_company"))
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
    cuts = _cutpoints(BASELINE_AGREEMENT)
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
    from .gap import SELF_ASSESSMENT_STATEMENTS, statement_area

    c_shift = {**SELF_ASSESSMENT_COMPANY_SHIFT, **dict(company_shift or {})}
    k_shift = {**SELF_ASSESSMENT_CUSTOMER_SHIFT, **dict(customer_shift or {})}
    rng = np.random.default_rng(seed)
    cuts = _cutpoints(BASELINE_FREQUENCY)
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
    score = np.searchsorted(_cutpoints(BASELINE_DISTRIBUTION), latent).astype(int)
    csat_cuts = _cutpoints(BASELINE_CSAT)
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



# ------------------------------------------------------- closing the loop (followup.py, tracking.py)
# Survey responses of a customer-service programme with follow-up logs, re-surveys, comments,
# five-whys chains, teams, agents, departments and locations in several time zones. Personal data
# (names, e-mails, phones, addresses) is invented: e-mails use example.com, UK numbers the Ofcom
# drama range, US numbers the fictional 555-01xx range.

_LOOP_FIRST = (
    "Ingrid", "Olav", "Sigrid", "Magnus", "Astrid", "Henrik", "Eilif", "Solveig", "Torvald", "Maren",
    "Oliver", "Amelia", "Harriet", "Rupert", "Imogen", "Alistair", "Siobhan", "Declan", "Niamh",
    "Cormac", "Aoife", "Padraig", "Marisol", "Delphine", "Thaddeus", "Cordelia", "Ezekiel",
    "Philippa", "Lucinda", "Barnaby", "Octavia", "Leopold", "Rosalind", "Augustin", "Beatrix",
    "Cornelius", "Evangeline", "Fitzgerald", "Gwendolyn", "Horatio",
)
_LOOP_LAST = (
    "Dahlstrom", "Fjellheim", "Kvalvaag", "Lindqvist", "Haugland", "Rasmussen", "Bergersen",
    "Solheimsvik", "Ostergaard", "Nyhavn", "Whitcombe", "Ashworth", "Pemberton", "Hargreaves",
    "Fairweather", "Blackwood", "Montague", "Kilbride", "Donoghue", "Fitzpatrick", "Mulcahy",
    "Brannigan", "Castellano", "Delacroix", "Vanderbilt", "Okonkwo", "Whitfield", "Thistlewood",
    "Merriweather", "Abernathy", "Quincey", "Ravensworth", "Sandoval", "Tremaine", "Underhill",
    "Valentino", "Wetherby", "Yarborough", "Zimmerman", "Lockhart",
)
_LOOP_STAFF = {
    "North": ("Kari Nilsen", "Per Hansen", "Liv Berg", "Jonas Moe"),
    "West": ("Sam Clarke", "Priya Shah", "Tom Byrne", "Ella Walsh"),
    "Americas": ("Maria Lopez", "Dev Patel", "Jo Kim", "Ben Ortiz"),
}
#: location -> (team, IANA zone, phone prefix and pattern, street names)
_LOOP_LOCATIONS = {
    "Oslo": ("North", "Europe/Oslo"),
    "Bergen": ("North", "Europe/Oslo"),
    "London": ("West", "Europe/London"),
    "Dublin": ("West", "Europe/Dublin"),
    "New York": ("Americas", "America/New_York"),
    "Chicago": ("Americas", "America/Chicago"),
}
_LOOP_STREETS = {
    "Oslo": "Storgata", "Bergen": "Strandgaten", "London": "Baker Street", "Dublin": "Grafton Street",
    "New York": "Amsterdam Avenue", "Chicago": "Halsted Street",
}
#: Latent satisfaction shift per team (the programme's true differences).
LOOP_TEAM_SHIFT = {"North": 0.15, "West": 0.0, "Americas": -0.1}
#: Follow-up speed: median hours from a detractor's answer to the first contact, per team.
LOOP_CONTACT_MEDIAN_HOURS = {"North": 8.0, "West": 16.0, "Americas": 26.0}
#: Comment themes: (theme, category polarity, comments).
_LOOP_COMMENTS = {
    "waiting time": ("negative", ("I waited forty minutes on the phone.", "Slow delivery, it was delayed twice.",
                                  "Nobody called me back for a week.")),
    "staff attitude": ("negative", ("The agent was rude and did not listen.", "Staff seemed unhelpful.")),
    "price": ("negative", ("Too expensive for what you get.", "The price went up again.")),
    "billing": ("negative", ("I was billed twice this month.", "The invoice was wrong.")),
    "product": ("negative", ("The app keeps crashing.", "The product broke after a week.")),
    "broken promise": ("negative", ("I was promised a free car wash and never got it.",)),
    "friendly staff": ("positive", ("Very friendly and helpful staff.", "The agent solved it on the first call.")),
    "speed": ("positive", ("Quick and easy, no waiting at all.", "Fast delivery.")),
    "good product": ("positive", ("Great product, works as promised.",)),
}
#: Five-whys chains (ending in the root cause) and the concern they start from.
_LOOP_WHYS = (
    ("broken promise", ("Free car wash promised but not done", "No note at reception",
                        "The customer database gave no reminder", "Staff did not know how to add reminders",
                        "No training on database reminders")),
    ("waiting time", ("Waited forty minutes on the phone", "Too few agents in the evening",
                      "Shift plan based on last year's volumes", "Forecast not updated after the campaign")),
    ("billing", ("Billed twice", "Invoice run repeated after a timeout", "Batch job has no duplicate check")),
    ("staff attitude", ("Agent could not answer a product question", "New plan features not in the knowledge base",
                        "Product changes not shared with support")),
    ("product", ("App crashed at checkout", "Release not tested on older phones", "No device list in the test plan")),
)
#: Which chain each team's detractors mostly end in (probabilities over _LOOP_WHYS).
_LOOP_WHY_WEIGHTS = {
    "North": (0.45, 0.15, 0.15, 0.15, 0.10),
    "West": (0.10, 0.20, 0.45, 0.15, 0.10),
    "Americas": (0.10, 0.50, 0.10, 0.15, 0.15),
}
_LOOP_SOLUTIONS = {
    "waiting time": ("call-back within a day promised", "Added to the evening call-back list"),
    "staff attitude": ("apology and a call from the team lead", "Shared the call with the agent's coach"),
    "price": ("moved to a cheaper plan", "Plan changed"),
    "billing": ("duplicate charge refunded", "Refund issued"),
    "product": ("replacement sent", "Replacement shipped"),
    "broken promise": ("free car wash at the next visit", "Note added at reception"),
}


@dataclass(frozen=True)
class ClosedLoopData:
    """Responses, follow-up log and five-whys chains of one simulated closed-loop programme.

    Attributes:
        responses: one row per survey answer (first answers and re-surveys).
        followups: the follow-up log (DOMAIN.md fields), one row per followed-up response, as
            exported at ``as_of`` (events after it are not in the log).
        root_causes: five-whys chains against responses or themes.
        as_of: the export time (ISO text with offset).
        truth: the simulation's parameters and exact true values.
    """

    responses: pd.DataFrame
    followups: pd.DataFrame
    root_causes: pd.DataFrame
    as_of: str
    truth: dict[str, Any]


def _local_text(utc: pd.Series, zones: np.ndarray, *, offset: bool) -> np.ndarray:
    out = np.full(len(utc), "", dtype=object)
    ok = utc.notna().to_numpy()
    for zone in np.unique(zones):
        sel = ok & (zones == zone)
        local = utc[sel].dt.tz_convert(zone)
        text = local.dt.strftime("%Y-%m-%dT%H:%M:%S")
        if offset:
            off = local.dt.strftime("%z")
            text = text + off.str[:3] + ":" + off.str[3:]
        out[sel] = text.to_numpy(dtype=object)
    return out


def closed_loop_data(
    n_customers: int = 1500,
    *,
    start: str = "2026-09-07",
    weeks: int = 10,
    resurvey_share: float = 0.35,
    holdout_share: float = 0.2,
    contact_shift: float = 0.3,
    customer_correlation: float = 0.5,
    drop_team: str | None = "Americas",
    drop_shift: float = -0.8,
    key_account_share: float = 0.08,
    seed: int = 2026,
) -> ClosedLoopData:
    """A closed-loop programme: answers, follow-up, re-surveys, comments, five whys.

    Latent model: a customer's latent satisfaction is ``shift + sqrt(r) u + sqrt(1 - r) e`` with a
    lasting customer part ``u`` and a fresh part ``e`` per answer (``r = customer_correlation``),
    cut into 0-10 answers with the kit's baseline distribution; so detractors asked again regress
    towards the mean by construction. ``shift`` = team shift (:data:`LOOP_TEAM_SHIFT`), plus
    ``drop_shift`` for ``drop_team`` in the last week, plus ``contact_shift`` at the re-survey for
    detractors and passives contacted before it.

    Contact: wave-1 detractors and passives are put in a random holdout (never contacted) with
    probability ``holdout_share``; the rest are contacted with a team-specific delay (log-normal,
    :data:`LOOP_CONTACT_MEDIAN_HOURS`; passives 1.8x, promoters 4x slower) or not at all, and the
    unhappiest detractors are harder to reach (selection). Submission times are local wall-clock
    times with a ``timezone`` column; log times carry their UTC offset.

    ``truth`` holds ``true_nps`` per team outside the drop week and in it, the parameters, and
    ``as_of``.
    """
    from scipy.stats import norm  # noqa: F401  (the cut points use scipy)

    rng = np.random.default_rng(seed)
    cuts = _cutpoints(BASELINE_DISTRIBUTION)
    locations = list(_LOOP_LOCATIONS)
    loc = rng.choice(len(locations), size=n_customers, p=[0.22, 0.12, 0.2, 0.12, 0.2, 0.14])
    loc_name = np.array(locations, dtype=object)[loc]
    team = np.array([_LOOP_LOCATIONS[x][0] for x in locations], dtype=object)[loc]
    zone = np.array([_LOOP_LOCATIONS[x][1] for x in locations], dtype=object)[loc]

    # Customers and their (invented) personal data.
    n_names = len(_LOOP_FIRST) * len(_LOOP_LAST)
    combos = rng.choice(n_names, size=n_customers, replace=n_customers > n_names)  # unique while they last
    first = np.array(_LOOP_FIRST, dtype=object)[combos // len(_LOOP_LAST)]
    last = np.array(_LOOP_LAST, dtype=object)[combos % len(_LOOP_LAST)]
    names = first + " " + last
    email = pd.Series(first + "." + last).str.lower() + pd.Series(rng.integers(1, 100, n_customers)).astype(str) + "@example.com"
    d = rng.integers(0, 10, size=(n_customers, 8)).astype(str)
    prefix = np.array(["+47 4", "+47 9", "+44 7700 900", "+353 85 ", "+1 (212) 555-01", "+1 (312) 555-01"], dtype=object)[loc]
    tail = np.select(
        [team == "North", loc_name == "London", loc_name == "Dublin"],
        [
            pd.Series(d[:, 0]) + d[:, 1] + " " + d[:, 2] + d[:, 3] + " " + d[:, 4] + d[:, 5] + d[:, 6],
            pd.Series(d[:, 0]) + d[:, 1] + d[:, 2],
            pd.Series(d[:, 0]) + d[:, 1] + d[:, 2] + " " + d[:, 3] + d[:, 4] + d[:, 5] + d[:, 6],
        ],
        pd.Series(d[:, 0]) + d[:, 1],
    )
    phone = prefix + tail
    street = np.array([_LOOP_STREETS[x] for x in locations], dtype=object)[loc]
    address = pd.Series(rng.integers(1, 200, n_customers)).astype(str) + " " + street + ", " + loc_name
    customer_ids = np.array([f"C{i:05d}" for i in range(1, n_customers + 1)], dtype=object)
    key_account = rng.random(n_customers) < key_account_share
    # Customers joined in the six months before the programme started (cohorts by start month).
    since = pd.Timestamp(start) - pd.to_timedelta(rng.integers(1, 184, n_customers), unit="D")
    departments = np.array(["support", "billing", "sales"], dtype=object)
    u = rng.standard_normal(n_customers)
    r = customer_correlation

    # Wave 1: one answer per customer at a local daytime moment.
    t0 = pd.Timestamp(start)
    days = weeks * 7
    end_local = t0 + pd.Timedelta(days=days)
    drop_from = end_local - pd.Timedelta(days=7)

    def local_times(base_days: np.ndarray) -> pd.Series:
        minutes = rng.integers(8 * 60, 22 * 60, size=len(base_days))
        return pd.Series(t0 + pd.to_timedelta(base_days, unit="D") + pd.to_timedelta(minutes, unit="m"))

    def to_utc_by_zone(local: pd.Series, zones: np.ndarray) -> pd.Series:
        out = pd.Series(pd.NaT, index=local.index, dtype="datetime64[ns, UTC]")
        for z in np.unique(zones):
            sel = zones == z
            out[sel] = local[sel].dt.tz_localize(z, ambiguous=np.ones(int(sel.sum()), dtype=bool)).dt.tz_convert("UTC")
        return out

    def scores(shift: np.ndarray, cust: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        e = rng.standard_normal(len(cust))
        latent = shift + math.sqrt(r) * u[cust] + math.sqrt(1 - r) * e
        return np.searchsorted(cuts, latent).astype(int), latent

    def team_shift(idx: np.ndarray, local: pd.Series) -> np.ndarray:
        s = np.array([LOOP_TEAM_SHIFT[t] for t in team[idx]])
        if drop_team is not None:
            s = s + np.where((team[idx] == drop_team) & (local >= drop_from).to_numpy(), drop_shift, 0.0)
        return s

    c1 = np.arange(n_customers)
    local1 = local_times(rng.integers(0, days, n_customers))
    score1, latent1 = scores(team_shift(c1, local1), c1)
    utc1 = to_utc_by_zone(local1, zone[c1])
    cat1 = np.select([score1 <= 6, score1 <= 8], [0, 1], 2)

    # Who is followed up, when, and the randomised holdout.
    holdout = (cat1 < 2) & (rng.random(n_customers) < holdout_share)
    p_contact = np.array([0.95, 0.85, 0.6])[cat1]
    p_contact = p_contact - np.where((cat1 == 0) & (latent1 < -1.5), 0.3, 0.0)  # the angriest are harder to reach
    contacted1 = ~holdout & (rng.random(n_customers) < p_contact)
    median_h = np.array([LOOP_CONTACT_MEDIAN_HOURS[t] for t in team]) * np.array([1.0, 1.8, 4.0])[cat1]
    delay1 = np.exp(np.log(median_h) + 0.7 * rng.standard_normal(n_customers))
    contact1 = utc1 + pd.to_timedelta(np.where(contacted1, delay1, np.nan), unit="h")

    # Re-surveys 21-42 days after the first answer, inside the observation window.
    again = rng.random(n_customers) < resurvey_share
    local2 = local1.dt.normalize() + pd.to_timedelta(rng.integers(21, 43, n_customers), unit="D") + pd.to_timedelta(
        rng.integers(8 * 60, 22 * 60, n_customers), unit="m"
    )
    again &= (local2 < end_local).to_numpy()
    c2 = np.flatnonzero(again)
    local2 = local2[again].reset_index(drop=True)
    utc2 = to_utc_by_zone(local2, zone[c2])
    helped = (cat1[c2] < 2) & (contact1[c2].reset_index(drop=True) < utc2).to_numpy()
    score2, _ = scores(team_shift(c2, local2) + np.where(helped, contact_shift, 0.0), c2)
    cat2 = np.select([score2 <= 6, score2 <= 8], [0, 1], 2)
    contacted2 = rng.random(len(c2)) < np.array([0.95, 0.85, 0.6])[cat2]
    median2 = median_h[c2] / np.array([1.0, 1.8, 4.0])[cat1[c2]] * np.array([1.0, 1.8, 4.0])[cat2]
    delay2 = np.exp(np.log(median2) + 0.7 * rng.standard_normal(len(c2)))
    contact2 = utc2 + pd.to_timedelta(np.where(contacted2, delay2, np.nan), unit="h")

    cust = np.concatenate([c1, c2])
    wave = np.concatenate([np.ones(n_customers, int), np.full(len(c2), 2)])
    utc = pd.concat([utc1, utc2], ignore_index=True)
    local = pd.concat([local1, local2], ignore_index=True)
    score = np.concatenate([score1, score2])
    cat = np.concatenate([cat1, cat2])
    contact = pd.concat([contact1, contact2], ignore_index=True)
    # Only first answers are randomised; re-survey answers are followed up but carry no arm.
    arm = np.concatenate([np.where(holdout, "holdout", "contact"), np.full(len(c2), "")]).astype(object)
    order = np.argsort(utc.to_numpy(), kind="stable")
    cust, wave, score, cat, arm = cust[order], wave[order], score[order], cat[order], arm[order]
    utc, local, contact = (s.iloc[order].reset_index(drop=True) for s in (utc, local, contact))
    n = len(cust)
    response_id = np.array([f"R{i:05d}" for i in range(1, n + 1)], dtype=object)
    staff = np.array([_LOOP_STAFF[t][k] for t, k in zip(team[cust], rng.integers(0, 4, n), strict=True)], dtype=object)

    # Comments: a theme that fits the answer; some carry personal data or alarming words.
    themes = list(_LOOP_COMMENTS)
    negative = [i for i, t in enumerate(themes) if _LOOP_COMMENTS[t][0] == "negative"]
    positive = [i for i, t in enumerate(themes) if _LOOP_COMMENTS[t][0] == "positive"]
    theme_idx = np.where(cat == 2, rng.choice(positive, n), rng.choice(negative, n))
    theme_idx = np.where((cat == 1) & (rng.random(n) < 0.3), rng.choice(positive, n), theme_idx)
    k = rng.integers(0, 3, n)
    texts = np.array([
        _LOOP_COMMENTS[themes[t]][1][j % len(_LOOP_COMMENTS[themes[t]][1])] for t, j in zip(theme_idx, k, strict=True)
    ], dtype=object)
    has_comment = rng.random(n) < np.array([0.75, 0.5, 0.4])[cat]
    comment = pd.Series(np.where(has_comment, texts, ""), dtype=object)
    pii = has_comment & (rng.random(n) < 0.1)
    how = rng.integers(0, 3, n)
    cn, ce, cp = pd.Series(names[cust]), email[cust].reset_index(drop=True), pd.Series(phone[cust])
    comment = comment.where(~(pii & (how == 0)), comment + " Please call me on " + cp + ".")
    comment = comment.where(~(pii & (how == 1)), "This is " + cn + ". " + comment)
    comment = comment.where(~(pii & (how == 2)), comment + " Write to " + ce + ".")
    alarm = has_comment & (cat == 0) & (rng.random(n) < 0.12)
    comment = comment.where(~alarm, comment + np.where(rng.random(n) < 0.5, " I will cancel my contract.", " My lawyer will hear about this."))

    responses = pd.DataFrame(
        {
            "response_id": response_id,
            "customer_id": customer_ids[cust],
            "customer_name": names[cust],
            "email": email.to_numpy(dtype=object)[cust],
            "phone": phone[cust],
            "address": address.to_numpy(dtype=object)[cust],
            "account_tier": np.where(key_account[cust], "key", "standard"),
            "customer_since": pd.Series(since[cust]).dt.strftime("%Y-%m-%d").to_numpy(dtype=object),
            "team": team[cust],
            "location": loc_name[cust],
            "department": rng.choice(departments, n, p=[0.5, 0.3, 0.2]),
            "agent": staff,
            "timezone": zone[cust],
            "submitted_at": local.dt.strftime("%Y-%m-%dT%H:%M:%S").to_numpy(dtype=object),
            "wave": wave,
            "followup_arm": arm,
            "score": score,
            "comment": comment.to_numpy(dtype=object),
        }
    )

    # The follow-up log, exported at as_of.
    as_of = pd.Timestamp(end_local.strftime("%Y-%m-%d") + "T12:00:00", tz="UTC") + pd.Timedelta(days=1)
    done = (contact.notna() & (contact <= as_of)).to_numpy()
    pending = contact.notna().to_numpy() & ~done & (arm != "holdout")
    assigned_only = (arm != "holdout") & contact.isna().to_numpy() & (rng.random(n) < 0.5)
    in_log = done | pending | assigned_only
    z = zone[cust]
    concern = np.array([themes[t] if _LOOP_COMMENTS[themes[t]][0] == "negative" else "" for t in theme_idx], dtype=object)
    concern = np.where(cat == 2, "", np.where(concern == "", rng.choice(list(_LOOP_SOLUTIONS), n), concern)).astype(object)
    resolved = contact + pd.to_timedelta(np.where((cat < 2) & (rng.random(n) < 0.75), rng.uniform(0, 96, n), np.nan), unit="h")
    resolved = resolved.where(resolved <= as_of)
    checked = resolved + pd.to_timedelta(np.where(rng.random(n) < 0.6, rng.uniform(24, 72, n), np.nan), unit="h")
    checked = checked.where(checked <= as_of)
    at_once = rng.random(n) < 0.6
    promised = contact + pd.to_timedelta(np.where((cat < 2) & ~at_once, rng.uniform(24, 120, n), np.nan), unit="h")
    comp_value = np.where((cat == 0) & (rng.random(n) < 0.3), rng.choice([25.0, 50.0, 100.0], n), np.nan)
    contact_known = contact.where(pd.Series(done))
    sol = np.array([_LOOP_SOLUTIONS.get(c, ("", ""))[0] for c in concern], dtype=object)
    act = np.array([_LOOP_SOLUTIONS.get(c, ("", ""))[1] for c in concern], dtype=object)
    prevention = np.array([dict((w[0], w[1][-1]) for w in _LOOP_WHYS).get(c, "") for c in concern], dtype=object)
    followups = pd.DataFrame(
        {
            "response_id": response_id,
            "customer_name": names[cust],
            "address": address.to_numpy(dtype=object)[cust],
            "phone": phone[cust],
            "taken_by": staff,
            "complaint_at": np.where(cat == 0, _local_text(utc, z, offset=True), ""),
            "contacted_at": _local_text(contact_known, z, offset=True),
            "concern": np.where(contact_known.notna(), concern, ""),
            "agreed_solution": np.where(contact_known.notna() & (cat < 2), sol, np.where(contact_known.notna(), "thanked; asked for a review", "")),
            "solution_done": np.where(contact_known.notna() & (cat < 2), np.where(at_once, "true", "false"), ""),
            "promised_at": np.where(contact_known.notna(), _local_text(promised.where(pd.Series(done)), z, offset=True), ""),
            "actions": np.where(contact_known.notna() & (cat < 2), act, ""),
            "resolved_at": _local_text(resolved.where(pd.Series(done)), z, offset=True),
            "satisfaction_checked_at": _local_text(checked.where(pd.Series(done)), z, offset=True),
            "satisfied": np.where(checked.notna() & pd.Series(done), np.where(rng.random(n) < 0.8, "true", "false"), ""),
            "compensation": np.where(done & ~np.isnan(comp_value), "voucher", ""),
            "compensation_value": np.where(done, comp_value, np.nan),
            "prevention": np.where(done & (cat == 0), prevention, ""),
        }
    )[in_log].reset_index(drop=True)

    # Five-whys chains for some contacted detractors, and a few against themes.
    chained = done & (cat == 0) & (rng.random(n) < 0.45)
    idx = np.flatnonzero(chained)
    weights = np.array([_LOOP_WHY_WEIGHTS[t] for t in team[cust][idx]])
    pick = (weights.cumsum(axis=1) > rng.random(len(idx))[:, None]).argmax(axis=1)
    n_theme = 8
    theme_pick = rng.integers(0, len(_LOOP_WHYS), n_theme)
    all_pick = np.concatenate([pick, theme_pick])
    m = len(all_pick)
    whys = np.full((m, 5), "", dtype=object)
    for j, (_, chain) in enumerate(_LOOP_WHYS):
        rows = all_pick == j
        whys[rows, : len(chain)] = chain
    # Name the customer inside the first why now and then: the masking must catch it.
    named = np.zeros(m, dtype=bool)
    named[: len(idx)] = rng.random(len(idx)) < 0.1
    whys[named, 0] = whys[named, 0] + " (customer " + names[cust][idx][named[: len(idx)]] + ")"
    recorded = pd.concat(
        [contact.iloc[idx].reset_index(drop=True),
         pd.Series(pd.Timestamp(start, tz="UTC") + pd.to_timedelta(rng.uniform(7, days - 7, n_theme), unit="D"))],
        ignore_index=True,
    ) + pd.to_timedelta(rng.uniform(1, 72, m), unit="h")
    recorded = recorded.where(recorded <= as_of, as_of)
    chain_team = np.concatenate([team[cust][idx], rng.choice(list(_LOOP_STAFF), n_theme)])
    last_why = np.array([_LOOP_WHYS[j][1][-1] for j in all_pick], dtype=object)
    root_causes = pd.DataFrame(
        {
            "chain_id": [f"W{i:04d}" for i in range(1, m + 1)],
            "response_id": np.concatenate([response_id[idx], np.full(n_theme, "", dtype=object)]),
            "theme": np.concatenate([np.full(len(idx), "", dtype=object),
                                     np.array([_LOOP_WHYS[j][0] for j in theme_pick], dtype=object)]),
            "team": chain_team,
            "recorded_at": recorded.dt.strftime("%Y-%m-%dT%H:%M:%SZ").to_numpy(dtype=object),
            **{f"why_{i + 1}": whys[:, i] for i in range(5)},
            "root_cause": np.where(rng.random(m) < 0.6, last_why, ""),
        }
    )

    truth = {
        "as_of": as_of.isoformat(),
        "team_shift": dict(LOOP_TEAM_SHIFT),
        "true_nps": {t: true_nps(s) for t, s in LOOP_TEAM_SHIFT.items()},
        "drop_team": drop_team,
        "drop_week_start": drop_from.strftime("%Y-%m-%d"),
        "true_nps_drop_week": true_nps(LOOP_TEAM_SHIFT[drop_team] + drop_shift) if drop_team else None,
        "contact_shift": contact_shift,
        "holdout_share": holdout_share,
        "customer_correlation": r,
        "contact_median_hours": dict(LOOP_CONTACT_MEDIAN_HOURS),
    }
    return ClosedLoopData(responses, followups, root_causes, as_of.isoformat(), truth)


def _loop_sample() -> ClosedLoopData:
    # Seed chosen as the first from 20261117 whose weekly NPS per team in the last two weeks are
    # each within one standard error of the truth, so the demo is representative, not a lucky draw.
    return closed_loop_data(1500, seed=20261140)


SAMPLES.update(
    {
        "loop_responses": Sample(
            "sample_loop_responses.csv",
            lambda: _loop_sample().responses,
            "closed loop: ~1,800 answers (1,500 customers, re-surveys), 3 teams in 4 time zones, "
            "comments with invented personal data; follow-up log as of 2026-11-17T12:00Z",
        ),
        "loop_followups": Sample(
            "sample_loop_followups.csv",
            lambda: _loop_sample().followups,
            "closed loop: the follow-up log of sample_loop_responses (DOMAIN.md fields)",
        ),
        "loop_root_causes": Sample(
            "sample_loop_root_causes.csv",
            lambda: _loop_sample().root_causes,
            "closed loop: five-whys chains against responses and themes",
        ),
    }
)


def data_dir() -> Path:
    """The repository's ``data/`` folder (the package is installed editable from the checkout)."""
    return Path(__file__).resolve().parent.parent / "data"


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
