"""The pieces of a roll-back decision: verdict rules on interval bounds, look-by-look multipliers,
the Bayesian view and the projection of how many more responses a decision needs.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..sources.errors import NPSInputError
from ..sources.results import ResultMixin
from ..stats.information import spending_bounds
from ..stats.scoring import NPSCounts
from ..stats.sequential import (
    cs_multiplier,
    group_sequential_boundary,
)


@dataclass(frozen=True)
class BayesianView(ResultMixin):
    """The NPS difference under independent Dirichlet posteriors of each arm's answer shares.

    ``expected_loss_keep``: posterior mean of the NPS points lost if the change is kept,
    ``E[max(0, -effect)]``; ``expected_loss_rollback``: points forgone by rolling back,
    ``E[max(0, effect)]``.
    """

    prob_harm_beyond_margin: float
    prob_worse: float
    expected_loss_keep: float
    expected_loss_rollback: float
    posterior_mean: float
    credible_lower: float
    credible_upper: float
    prior: tuple[float, float, float]
    n_draws: int


def verdict_status(lower: float, upper: float, margin: float, direction: str) -> str:
    harm, noninf, _ = rule_conditions(np.asarray(lower), np.asarray(upper), margin, direction)
    if harm:
        return "harm beyond margin"
    if noninf:
        return "non-inferior"
    return "inconclusive"


def rule_conditions(lower: np.ndarray, upper: np.ndarray, margin: float, direction: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(harm beyond margin, non-inferior, superior) from interval bounds of treatment - control."""
    if direction == "higher_is_better":
        return upper < -margin, lower > -margin, lower > 0
    return lower > margin, upper < margin, upper < 0


def first_looks(lower: Any, upper: Any, *, margin: float, direction: str = "higher_is_better") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First look (0-based, -1 if never) at which harm, non-inferiority and superiority hold.

    Bounds have the looks on the last axis (any leading simulation dimensions). With a
    time-uniform interval, evidence established at a look stays established, so the first look
    is where a team that checks every look would act.
    """
    harm, noninf, sup = rule_conditions(np.asarray(lower), np.asarray(upper), margin, direction)

    def first(mask: np.ndarray) -> np.ndarray:
        return np.where(mask.any(axis=-1), mask.argmax(axis=-1), -1)

    return first(harm), first(noninf), first(sup)


def combine(harm_first: Any, noninf_first: Any) -> tuple[np.ndarray, np.ndarray]:
    """Combine metrics (first axis) into decision codes 0 = ROLL_BACK, 1 = KEEP, 2 = CONTINUE.

    ROLL_BACK when any metric shows harm beyond its margin (union of the metrics' harm tests:
    Bonferroni-split alpha keeps the family-wise false ROLL_BACK rate at or below alpha);
    otherwise KEEP when every metric is shown non-inferior (an intersection-union test, no split
    needed); otherwise CONTINUE. Returns ``(code, decided_at)`` with the 0-based look at which the
    decision's rule first held (-1 for CONTINUE).
    """
    h = np.asarray(harm_first)
    k = np.asarray(noninf_first)
    big = np.iinfo(np.int64).max
    harm_at = np.where(h >= 0, h, big).min(axis=0)
    keep_at = np.where((k >= 0).all(axis=0), k.max(axis=0), -1)
    code = np.where(harm_at < big, 0, np.where(keep_at >= 0, 1, 2))
    at = np.where(code == 0, harm_at, np.where(code == 1, keep_at, -1))
    return code, at


def interval_multipliers(
    n_treatment: np.ndarray,
    n_control: np.ndarray,
    *,
    design: Design,
    alpha: float,
    planned_responses: float,
    spending: str = "obrien-fleming",
) -> np.ndarray:
    """Standard errors spanned on each side of the estimate at each look, by design.

    ``sequential``: the confidence-sequence multiplier (:func:`cs_multiplier`);
    ``fixed``: ``z_(1-alpha/2)`` (valid at one planned look only);
    ``group-sequential``: the Lan-DeMets bound at the sample-size fraction
    ``N_k / planned_responses`` (repeated confidence intervals, Jennison & Turnbull 2000, ch. 9).
    Symmetric, one level for both rules: the allocation before issue 14, kept for comparisons;
    :func:`nps_analysis.analyses.decision.decide` uses
    :func:`nps_analysis.stats.decision_bounds.rule_multipliers` (observed information, a minimum
    of answers, alpha allocated by rule).
    """
    from scipy.stats import norm

    n_t = np.asarray(n_treatment, dtype=float)
    n_c = np.asarray(n_control, dtype=float)
    n = n_t + n_c
    if design == "sequential":
        return cs_multiplier(n, alpha=alpha, planned_n=planned_responses)
    if design == "fixed":
        return np.full(n.shape, float(norm.isf(alpha / 2)))
    if design == "group-sequential":
        if n.ndim != 1:
            raise ValueError("group-sequential multipliers are computed for one sequence of looks at a time")
        out = np.full(n.shape, np.inf)
        valid = (n_t > 0) & (n_c > 0)
        if valid.any():
            frac, inverse = np.unique(n[valid] / planned_responses, return_inverse=True)
            out[valid] = np.asarray(gs_bounds(tuple(frac), alpha, spending))[inverse]
        return out
    raise NPSInputError(f"design must be one of {', '.join(DESIGNS)}, got {design!r}")


@functools.lru_cache(maxsize=64)
def gs_bounds(fractions: tuple[float, ...], alpha: float, spending: str) -> tuple[float, ...]:
    # NPS and share guardrails usually have the same looks: compute their boundary once.
    return group_sequential_boundary(fractions, alpha=alpha, spending=spending).z_bounds  # type: ignore[arg-type]


def bayesian_view(
    treatment: NPSCounts,
    control: NPSCounts,
    *,
    margin: float,
    prior: tuple[float, float, float] = (1.0, 1.0, 1.0),
    n_draws: int = 20_000,
    random_state: int | np.random.Generator | None = 0,
) -> BayesianView:
    """Posterior of NPS(treatment) - NPS(control) under independent ``Dirichlet(prior + counts)``.

    Monte Carlo over the two Dirichlet posteriors of (detractor, passive, promoter) shares
    (Gelman et al., *Bayesian Data Analysis*, 3rd ed., sec. 3.4): ``P(effect < -margin)``,
    ``P(effect < 0)``, the expected loss of keeping ``E[max(0, -effect)]`` and of rolling back
    ``E[max(0, effect)]`` in NPS points (the decision-theoretic expected loss of Stucchio 2015).
    """
    from ..stats.intervals import posterior_nps

    rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
    d = posterior_nps(treatment, n_draws=n_draws, prior=prior, random_state=rng) - posterior_nps(
        control, n_draws=n_draws, prior=prior, random_state=rng
    )
    lo, hi = np.quantile(d, [0.025, 0.975])
    return BayesianView(
        prob_harm_beyond_margin=float(np.mean(d < -margin)),
        prob_worse=float(np.mean(d < 0)),
        expected_loss_keep=float(np.mean(np.maximum(0.0, -d))),
        expected_loss_rollback=float(np.mean(np.maximum(0.0, d))),
        posterior_mean=float(d.mean()),
        credible_lower=float(lo),
        credible_upper=float(hi),
        prior=tuple(float(p) for p in prior),  # type: ignore[arg-type]
        n_draws=int(n_draws),
    )


def projected_responses(
    *,
    effect: float,
    se: float,
    n: float,
    margin: float,
    alpha: float,
    design: Design,
    planned_responses: float,
    spending: str = "obrien-fleming",
    past_responses: Sequence[float] = (),
) -> int | None:
    """Further responses (both arms, current split) until the NPS interval would clear ``-margin``.

    Assumes the current effect and per-response variance persist: with ``sigma = se sqrt(n)``
    the radius after ``N`` responses is ``sigma / sqrt(N) * c(N)`` (``c`` the design's multiplier:
    the confidence-sequence multiplier or ``z_(1-alpha/2)``); the answer is the smallest ``N``
    with radius below ``|effect + margin|``, minus ``n``. For the group-sequential design, looks
    are assumed to continue at the average size of the past ones (``past_responses``: cumulative
    totals at each look so far) up to ``planned_responses``, and ``c`` is each future look's
    bound. ``None`` when the estimate sits on the margin, the design would end first, or the
    answer exceeds 10^9.
    """
    from scipy.optimize import brentq
    from scipy.stats import norm

    distance = abs(effect + margin)
    if not (math.isfinite(se) and se > 0 and distance > 1e-9 and n > 0):
        return None
    sigma = se * math.sqrt(n)
    if design == "fixed":
        target = (sigma * float(norm.isf(alpha / 2)) / distance) ** 2
    elif design == "group-sequential":
        past = np.asarray([x for x in past_responses if x > 0] or [n], dtype=float)
        if n >= planned_responses:
            return None
        step = max(past[-1] / len(past), (planned_responses - n) / 200)
        future = np.append(np.arange(n + step, planned_responses, step), planned_responses)
        totals = np.concatenate([past, future])
        # one-sided spending at alpha/2 per side on the fast grid: hundreds of looks in a blink
        bounds = np.asarray(spending_bounds(totals / planned_responses, alpha=alpha / 2, spending=spending))[len(past):]
        clear = sigma * bounds / np.sqrt(future) < distance
        if not clear.any():
            return None
        target = float(future[int(np.argmax(clear))])
    else:

        def gap(log_n: float) -> float:
            big_n = math.exp(log_n)
            return sigma / math.sqrt(big_n) * float(cs_multiplier(big_n, alpha=alpha, planned_n=planned_responses)) - distance

        if gap(math.log(1e9)) > 0:
            return None
        low = math.log(max(n, 1.0))
        if gap(low) <= 0:
            return 0
        target = math.exp(brentq(gap, low, math.log(1e9)))
    if target > 1e9:
        return None
    return int(max(0, math.ceil(target - n)))


Design = Literal["sequential", "fixed", "group-sequential"]
DESIGNS: tuple[str, ...] = ("sequential", "fixed", "group-sequential")
DECISIONS: tuple[str, ...] = ("ROLL_BACK", "KEEP", "CONTINUE")
