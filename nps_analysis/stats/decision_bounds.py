"""How many standard errors each roll-back rule needs at each look, for every design, vectorised.

One function serves ``decide`` and the simulations: the harm bound and the non-inferiority bound
get their own multipliers (alpha allocation of the rules), after a stated minimum information.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .information import (
    horizon_level,
    information_fractions,
    mixture_multiplier,
    rule_alphas,
    spending_bounds,
)
from .sequential import cs_multiplier

#: No rule is applied at a look before each arm holds this many answers: below it the plug-in
#: variance and the normal approximation of a skewed -1/0/+1 mean are not trustworthy (the
#: audit's 90%-promoter, late-arm scenario; measured in docs/validation.md).
MIN_RESPONSES_PER_ARM = 50
#: ... nor, in the group-sequential design, before this share of the planned information.
MIN_INFORMATION_FRACTION = 0.1


@dataclass(frozen=True)
class RuleMultipliers:
    """Multipliers (standard errors) of the harm and non-inferiority bounds at each look.

    ``harm``: the bound that shows harm beyond the margin (upper bound of a higher-is-better
    metric) spans ``harm * se``; ``noninf``: the bound that shows non-inferiority. ``tested``:
    looks where the rules apply (``inf`` multipliers elsewhere). ``fractions``: information
    fractions (group-sequential) or horizon fractions (sequential with ``planned_days``).
    ``harm_alpha``, ``noninf_alpha``: the one-sided levels; ``level``: the mixture levels
    ``(harm, non-inferiority)`` of the horizon-tuned sequence, else ``nan``.
    """

    harm: np.ndarray
    noninf: np.ndarray
    tested: np.ndarray
    fractions: np.ndarray
    harm_alpha: float
    noninf_alpha: float
    level: tuple[float, float]


def margin_variances(
    n_treatment: Any,
    mean_treatment: Any,
    second_treatment: Any,
    n_control: Any,
    mean_control: Any,
    second_control: Any,
    *,
    null: float,
    restriction: float = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
    """Each arm's per-answer variance, half plug-in and half re-estimated with the means at the margin.

    The rules test ``difference = null`` (the margin) from both sides, so the standard error is
    estimated where the test is made: the score-test convention of Farrington & Manning (1990,
    *Statistics in Medicine* 9:1447-1454) for a difference of proportions with a non-zero null,
    here in one step for any bounded value whose variance is ``E[Y^2] - mean^2`` (NPS: ``E[Y^2]``
    is the share of promoters plus detractors; a 0/1 share: the share). The means move onto
    ``m_T - m_C = null`` in proportion to their variances, ``m_T* = m_T - e w_T``, ``m_C* = m_C +
    e w_C`` with ``e = m_T - m_C - null`` and ``w = (V/n) / (V_T/n_T + V_C/n_C)``, and
    ``V* = E[Y^2] - m*^2`` (at least a tenth of the unrestricted variance). The variance used is
    ``(1 - restriction) V + restriction V*``. With the plug-in variance ``V = E[Y^2] - m^2`` alone,
    a small arm whose mean happens to lie far from the margin also gets a small variance, which
    inflated false KEEP with a late treatment and false ROLL_BACK with a late control (Pocock
    spending); the fully restricted one over-corrects when a small arm is skewed (90% promoters:
    one-sided errors of 3.9% and 1.5% for a single test at 100 vs 1,200 answers, against 1.0% and
    4.4% plug-in). Their average (``restriction = 0.5``, the default) keeps each one-sided error
    of a single test at or below 2.8% from 50 to 1,200 answers per arm, balanced or 1:12, latent
    or 90% promoters, and at or above 2.0% except at 50 vs 50 with 90% promoters (1.6%):
    200,000 replicates at the margin each (benchmarks/margin_variance.py, docs/validation.md).

    Args:
        n_*, mean_*, second_*: answers, mean and mean of the squared value per arm (any shape).
        null: the difference under test (treatment minus control, in the value's units).

    Returns:
        The two arms' variances; the plug-in ones where an arm is empty.

    Example:
        >>> vt, vc = margin_variances(100, 0.3, 0.7, 100, 0.2, 0.7, null=0.0, restriction=1.0)
        >>> round(float(vt), 4), round(float(vc), 4)
        (0.6365, 0.6365)
    """
    n_t = np.asarray(n_treatment, dtype=float)
    n_c = np.asarray(n_control, dtype=float)
    m_t = np.asarray(mean_treatment, dtype=float)
    m_c = np.asarray(mean_control, dtype=float)
    s_t = np.asarray(second_treatment, dtype=float)
    s_c = np.asarray(second_control, dtype=float)
    v_t, v_c = s_t - m_t**2, s_c - m_c**2
    with np.errstate(divide="ignore", invalid="ignore"):
        w_t, w_c = v_t / n_t, v_c / n_c
        total = w_t + w_c
        excess = m_t - m_c - null
        r_t = s_t - (m_t - excess * w_t / total) ** 2
        r_c = s_c - (m_c + excess * w_c / total) ** 2
    ok = (n_t > 0) & (n_c > 0) & np.isfinite(r_t) & np.isfinite(r_c) & (total > 0)
    r_t = np.where(ok, np.maximum(r_t, 0.1 * v_t), v_t)
    r_c = np.where(ok, np.maximum(r_c, 0.1 * v_c), v_c)
    return (1 - restriction) * v_t + restriction * r_t, (1 - restriction) * v_c + restriction * r_c


def arrival_allocation(n_treatment: Any, n_control: Any, active_treatment: Any, active_control: Any) -> np.ndarray:
    """Planned treatment share from the arms' arrival rates since each arm's first answer.

    ``r = n / active days`` per arm, share ``r_T / (r_T + r_C)`` clipped to [0.05, 0.95]; 0.5
    before both arms have answers. Arrivals carry no information on the effect, so using them
    to plan the maximum information keeps the spending valid; a late arm is planned at its real
    rate (not at its small share of the answers so far) and a 1:3 design as 1:3.

    Example:
        >>> float(arrival_allocation(40, 480, 1, 12))
        0.5
    """
    n_t = np.asarray(n_treatment, dtype=float)
    n_c = np.asarray(n_control, dtype=float)
    d_t = np.asarray(active_treatment, dtype=float)
    d_c = np.asarray(active_control, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r_t, r_c = n_t / d_t, n_c / d_c
        share = r_t / (r_t + r_c)
    ok = (n_t > 0) & (n_c > 0) & (d_t > 0) & (d_c > 0) & np.isfinite(share)
    return np.clip(np.where(ok, share, 0.5), 0.05, 0.95)


def rule_multipliers(
    n_treatment: Any,
    var_treatment: Any,
    n_control: Any,
    var_control: Any,
    *,
    design: str,
    alpha: float,
    metrics: int = 1,
    planned_responses: float | None = None,
    elapsed_days: Any | None = None,
    planned_days: float | None = None,
    looks_per_day: float = 1.0,
    spending: str = "obrien-fleming",
    min_responses: int = MIN_RESPONSES_PER_ARM,
    min_fraction: float = MIN_INFORMATION_FRACTION,
    allocation: float | Any = 0.5,
) -> RuleMultipliers:
    """Multipliers of the two rule bounds per look (looks on the last axis), by design.

    Alpha: ROLL_BACK is a union over ``metrics`` (harm bound at one-sided ``alpha / (2 metrics)``);
    KEEP an intersection-union (non-inferiority bound at one-sided ``alpha / 2``); see
    :func:`nps_analysis.stats.information.rule_alphas`.

    Designs:
      * ``"sequential"`` with ``planned_days``: the normal-mixture confidence sequence tuned to the
        horizon (:func:`nps_analysis.stats.information.horizon_level`): at a look ``e`` days after
        both arms started, the multiplier is ``mixture_multiplier(e / planned_days, a)``: the
        sequence is tightest at the horizon, with ``t* = planned_days`` times the observed daily
        rate, and its level ``a`` makes the exact one-sided crossing probability over
        ``planned_days * looks_per_day`` looks equal to the rule's alpha. Looks after the
        horizon are not tested (the guarantee covers the horizon only).
      * ``"sequential"`` without ``planned_days``: the confidence sequence valid for ever
        (Ville's inequality) at level ``2 x`` the rule's one-sided alpha, tightest at
        ``planned_responses``.
      * ``"group-sequential"``: one-sided Lan-DeMets spending at each rule's level on the
        observed information fractions (:func:`information_fractions` with the planned treatment
        share ``allocation``), repeated confidence bounds ``estimate -/+ b_k se`` (Jennison &
        Turnbull 2000, ch. 7 and 9).
      * ``"fixed"``: ``z`` quantiles of the rules' levels.
    Every design tests a look only once each arm has ``min_responses`` answers; the
    group-sequential design also needs ``min_fraction`` of the planned information (the error
    share of the skipped looks is spent at the first tested one).
    """
    from scipy.stats import norm

    n_t = np.asarray(n_treatment, dtype=float)
    n_c = np.asarray(n_control, dtype=float)
    shape = np.broadcast(n_t, n_c).shape
    harm_a, noninf_a = rule_alphas(alpha, metrics)
    tested = (n_t >= min_responses) & (n_c >= min_responses)
    fractions = np.full(shape, np.nan)
    level: tuple[float, float] = (math.nan, math.nan)
    if design == "fixed":
        harm = np.full(shape, float(norm.isf(harm_a)))
        noninf = np.full(shape, float(norm.isf(noninf_a)))
    elif design == "sequential" and planned_days is not None:
        if elapsed_days is None:
            raise ValueError("a planned horizon needs the days elapsed at each look")
        if not planned_days > 0:
            raise ValueError(f"planned_days must be positive, got {planned_days!r}")
        looks = max(1, int(math.ceil(planned_days * looks_per_day)))
        fractions = np.broadcast_to(np.asarray(elapsed_days, dtype=float) / planned_days, shape)
        tested = tested & (fractions <= 1.0 + 1e-9)
        harm_level = horizon_level(harm_a, looks)
        noninf_level = horizon_level(noninf_a, looks)
        level = (harm_level, noninf_level)
        harm = mixture_multiplier(fractions, harm_level)
        noninf = mixture_multiplier(fractions, noninf_level)
    elif design == "sequential":
        if planned_responses is None:
            raise ValueError("the sequential design needs planned_responses or planned_days")
        total = n_t + n_c
        harm = cs_multiplier(total, alpha=2 * harm_a, planned_n=planned_responses)
        noninf = cs_multiplier(total, alpha=2 * noninf_a, planned_n=planned_responses)
    elif design == "group-sequential":
        if planned_responses is None:
            raise ValueError("the group-sequential design needs planned_responses")
        fractions = information_fractions(
            n_t, var_treatment, n_c, var_control, planned_responses=planned_responses, allocation=allocation
        )
        tested = tested & (fractions >= min_fraction)
        if noninf_a == harm_a:
            harm = noninf = spending_bounds(fractions, alpha=harm_a, spending=spending, eligible=tested)
        else:  # both rules in one batched recursion
            levels = np.array([harm_a, noninf_a]).reshape((2,) + (1,) * (fractions.ndim - 1))
            both = spending_bounds(np.stack([fractions, fractions]), alpha=np.broadcast_to(levels, (2,) + shape[:-1]),
                                   spending=spending, eligible=np.stack([tested, tested]))
            harm, noninf = both[0], both[1]
        tested = tested & np.isfinite(noninf)
    else:
        raise ValueError(f"design must be 'sequential', 'group-sequential' or 'fixed', got {design!r}")
    harm = np.where(tested, np.broadcast_to(harm, shape), np.inf)
    noninf = np.where(tested, np.broadcast_to(noninf, shape), np.inf)
    return RuleMultipliers(harm, noninf, tested, np.asarray(fractions), harm_a, noninf_a, level)
