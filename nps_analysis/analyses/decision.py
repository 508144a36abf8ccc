"""Roll back, keep, or keep collecting: a typed, auditable decision on a running cohort experiment.

``decide`` turns survey rows into cumulative counts per look and applies a do-no-harm margin to
NPS and any guardrails with intervals that stay valid however often the team looks.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..sources.errors import NPSInputError
from ..sources.results import ResultMixin
from ..stats.clusters import cluster_look_moments_from_sums, few_clusters_note
from ..stats.decision_bounds import (
    MIN_RESPONSES_PER_ARM,
    arrival_allocation,
    margin_variances,
    rule_multipliers,
)
from ..stats.information import rule_alphas
from ..stats.scoring import NPSCounts
from ..stats.sequential import (
    SPENDING_FUNCTIONS,
    VARIANCE_PSEUDO_COUNTS,
    check_alpha,
    default_planned_responses,
    difference_cs,
    nps_moments,
    running_intersection,
)
from .decision_counts import Metric, look_counts, metric_for
from .decision_memo import decision_memo
from .decision_rules import (
    DECISIONS,
    DESIGNS,
    BayesianView,
    Design,
    bayesian_view,
    combine,
    first_looks,
    projected_responses,
    verdict_status,
)
from .guardrails import GUARDRAIL_METRICS, Guardrail, check_margin, guardrail_specs  # noqa: F401 (re-exported)

# ------------------------------------------------------------------------------------------ guardrails


# -------------------------------------------------------------------------------------- result types


@dataclass(frozen=True)
class Rule(ResultMixin):
    """One line of the rule trace.

    ``outcome`` is True when ``bound comparison threshold`` holds; ``first_look`` is the look at
    which it first held (the decision is made there), ``None`` if never.
    """

    metric: str
    rule: str
    statistic: float
    bound_name: str
    bound: float
    comparison: str
    threshold: float
    outcome: bool
    first_look: int | None
    text: str


@dataclass(frozen=True)
class GuardrailResult(ResultMixin):
    """A guardrail's difference (treatment minus control) with its interval and status."""

    metric: str
    column: str | None
    direction: str
    unit: str
    margin: float
    alpha: float
    treatment_value: float
    control_value: float
    effect: float
    ci_lower: float
    ci_upper: float
    n_treatment: int
    n_control: int
    status: str


@dataclass(frozen=True)
class Look(ResultMixin):
    """The NPS comparison at one look: cumulative responses, effect and intervals.

    ``multiplier``: standard errors spanned by the non-inferiority bound (the lower bound of NPS);
    ``harm_multiplier``: by the harm bound (the upper bound); ``tested``: whether the rules were
    applied at this look (not before each arm has the minimum answers, not after the horizon).
    """

    look: int
    period: Any
    n_treatment: int
    n_control: int
    effect: float
    ci_lower: float
    ci_upper: float
    running_lower: float
    running_upper: float
    multiplier: float
    harm_multiplier: float = math.nan
    tested: bool = True


@dataclass(frozen=True)
class Decision(ResultMixin):
    """The roll-back decision with everything needed to audit it.

    Attributes:
        decision: ``"ROLL_BACK"`` (harm beyond the margin established on NPS or a guardrail),
            ``"KEEP"`` (every metric shown non-inferior) or ``"CONTINUE"``.
        effect: NPS(treatment) - NPS(control) in points at the latest look.
        ci_lower, ci_upper: the NPS interval the decision used: the running intersection of the
            confidence sequence (sequential), of the repeated confidence intervals
            (group-sequential), or the fixed-horizon interval at the latest look.
        looks: how many looks (periods with responses) the data hold.
        decided_at_look, decided_at: the look (1-based) and period at which the decision's rule
            first held (``None`` for CONTINUE).
        superiority: the NPS interval lies above 0 (the change is shown better, not only
            non-inferior).
        projected_responses, projected_days: for CONTINUE, further responses (both arms) and days
            until the NPS interval would clear the margin if the current effect and variance held.
        rules: the rule trace; guardrails: one result per guardrail; bayes: the Bayesian view;
            history: the NPS comparison at every look.
        nps_alpha: two-sided error of the reported NPS interval, ``harm_alpha + noninf_alpha``.
        harm_alpha, noninf_alpha: one-sided levels of the harm bound (``alpha / (2 metrics)``:
            ROLL_BACK on any metric is a union) and of the non-inferiority bound (``alpha / 2``:
            KEEP needs every metric, an intersection-union test).
        planned_days, daily_rate: the horizon stated before looking and the observed responses
            per day (both arms) that turn it into ``planned_responses`` (sequential design).
        min_responses: answers each arm needs before any rule is applied.
        information_fraction: group-sequential: the observed information over the planned
            maximum at the latest look.
        cluster, n_clusters_treatment, n_clusters_control: with ``cluster=``: the assigned column
            and the clusters seen per arm at the latest look.
    """

    decision: str
    treatment: str
    control: str
    effect: float
    ci_lower: float
    ci_upper: float
    margin: float
    alpha: float
    nps_alpha: float
    design: str
    method: str
    looks: int
    decided_at_look: int | None
    decided_at: Any
    superiority: bool
    n_treatment: int
    n_control: int
    nps_treatment: float
    nps_control: float
    treatment_counts: NPSCounts
    control_counts: NPSCounts
    planned_responses: float
    projected_responses: int | None
    projected_days: float | None
    rules: tuple[Rule, ...]
    guardrails: tuple[GuardrailResult, ...]
    bayes: BayesianView
    history: tuple[Look, ...]
    notes: tuple[str, ...] = field(default=())
    harm_alpha: float = math.nan
    noninf_alpha: float = math.nan
    planned_days: float | None = None
    daily_rate: float | None = None
    min_responses: int = 0
    information_fraction: float | None = None
    cluster: str | None = None
    n_clusters_treatment: int | None = None
    n_clusters_control: int | None = None

    def history_frame(self) -> pd.DataFrame:
        """One row per look: responses, effect, interval at the look and running intersection.

        Unbounded intervals (an early look, a group-sequential look that cannot stop) stay ``inf``.
        """
        import dataclasses

        return pd.DataFrame([dataclasses.asdict(h) for h in self.history])

    def rules_frame(self) -> pd.DataFrame:
        """The rule trace as a table."""
        return pd.DataFrame([r.to_dict() for r in self.rules])

    def guardrail_frame(self) -> pd.DataFrame:
        """NPS and each guardrail: values per arm, difference, interval, margin and status."""
        rows = [
            {
                "metric": "nps",
                "unit": "NPS points",
                "direction": "higher_is_better",
                "treatment_value": self.nps_treatment,
                "control_value": self.nps_control,
                "effect": self.effect,
                "ci_lower": self.ci_lower,
                "ci_upper": self.ci_upper,
                "margin": self.margin,
                "alpha": self.nps_alpha,
                "status": verdict_status(self.ci_lower, self.ci_upper, self.margin, "higher_is_better"),
            }
        ]
        for g in self.guardrails:
            rows.append({k: v for k, v in g.to_dict().items() if k not in ("n_treatment", "n_control", "column")})
        return pd.DataFrame(rows)

    def memo(self) -> str:
        """The decision memo in Markdown (see :func:`decision_memo`)."""
        return decision_memo(self)

    def _repr_html_(self) -> str:
        import html

        cls = {"ROLL_BACK": "nps-alert", "KEEP": "nps-ok"}.get(self.decision, "nps-headline")
        when = f", decided at look {self.decided_at_look}" if self.decided_at_look else ""
        head = (
            f'<div class="{cls}"><b>{html.escape(self.decision)}</b>: {html.escape(self.treatment)} vs '
            f"{html.escape(self.control)}, NPS difference {self.effect:+.1f} points "
            f"({self.ci_lower:.1f} to {self.ci_upper:.1f}), do-no-harm margin -{self.margin:g} points, "
            f"{self.looks} looks{when}, {html.escape(self.design)} design.</div>"
        )
        # The verdict and its numbers only: the rule trace has its own table (rules_frame), shown
        # once in the report.
        return head


# ------------------------------------------------------------------------------ vectorized decision core


# ----------------------------------------------------------------------------------- counts to moments


def _cumulative(cells: np.ndarray) -> np.ndarray:
    """Cumulative (n, sum, sum of squares) per arm and look, from per-look sums per arm, cluster and
    look ``(2, clusters, looks, 3)``: shape (2 arms, looks, 3)."""
    return np.cumsum(cells.sum(axis=1), axis=1)


def _moments(kind: str, cum: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(n, mean, variance, smoothed mean, smoothed mean of squares) per arm and look.

    From cumulative (n, sum, sumsq). The smoothed moments are those the variance is computed
    from (pseudo-counts), so that ``variance = square - mean^2`` (``None`` for numeric columns,
    whose variance is not a function of their mean).
    """
    n, s1, s2 = cum[..., 0], cum[..., 1], cum[..., 2]
    smooth = square = None
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = s1 / n
        if kind == "nps":
            counts = np.stack([(s2 - s1) / 2, n - s2, (s2 + s1) / 2], axis=-1)
            _, _, var = nps_moments(counts)
            padded = counts + np.asarray(VARIANCE_PSEUDO_COUNTS)
            total = padded.sum(axis=-1)
            smooth = (padded[..., 2] - padded[..., 0]) / total
            square = (padded[..., 2] + padded[..., 0]) / total
        elif kind == "share":
            # Variance on (x + 1/2)/(n + 1): positive at 0 or n successes, consistent.
            p = (s1 + 0.5) / (n + 1.0)
            var = p * (1 - p)
            smooth = square = p
        else:
            var = np.where(n > 1, (s2 - s1 * s1 / n) / (n - 1), np.inf)
            var = np.maximum(var, 0.0)
    return n, mean, var, smooth, square


# ------------------------------------------------------------------------------------------ decide


def decide(
    data: Any,
    *,
    score: str,
    group: str,
    time: str,
    treatment: Any,
    control: Any,
    margin: float,
    guardrails: Sequence[Guardrail | Mapping[str, Any] | str] | Mapping[str, float] = (),
    alpha: float = 0.05,
    design: Design = "sequential",
    planned_responses: float | None = None,
    spending: str = "obrien-fleming",
    look: str = "D",
    prior: tuple[float, float, float] = (1.0, 1.0, 1.0),
    n_draws: int = 20_000,
    random_state: int | np.random.Generator | None = 0,
    date_format: str | None = None,
    dayfirst: bool = False,
    planned_days: float | None = None,
    min_responses: int = MIN_RESPONSES_PER_ARM,
    cluster: str | None = None,
) -> Decision:
    """Decide whether to roll a change back, keep it, or keep collecting responses.

    Responses are grouped into looks (one per ``look`` period, daily by default) and each metric
    is compared on cumulative counts per look. The effect is treatment minus control; ``margin``
    is the harm tolerated, in NPS points (positive): harm beyond it means ``effect < -margin``.

    The rows stay where they are: the engine holding them (DuckDB, Polars, PyArrow, Spark) counts
    the answers per arm, day and answer level (plus each guardrail's own column, and the cluster
    with ``cluster=``), and only those counts reach Python
    (:func:`nps_analysis.analyses.decision_counts.look_counts`); days are folded into looks and
    cumulated there. A pandas frame is checked row by row first (errors name the rows) and then
    counted by the same code, so every engine gives the in-memory decision (to 1e-9,
    ``tests/test_decide_engines.py``).

    Rules (per metric, on its interval; see ``docs/sequential.md``):
      * ROLL_BACK when the upper bound is below ``-margin`` (for a lower-is-better guardrail: the
        lower bound above ``+margin``) on NPS or any guardrail;
      * KEEP when every metric's lower bound is above ``-margin`` (non-inferior); the decision
        says whether NPS is also shown better (``superiority``: lower bound above 0);
      * CONTINUE otherwise, with the projected responses still needed.
    Intervals by ``design``: ``"sequential"`` (default) an anytime-valid asymptotic confidence
    sequence (Waudby-Smith et al. 2024) valid at every look, intersected over looks; with
    ``planned_days`` it is tuned to that horizon (tightest there, its level calibrated so that the
    exact error over the horizon's looks is the rule's alpha; no rule after the horizon);
    ``"group-sequential"`` repeated confidence intervals from Lan-DeMets spending at the observed
    information fractions ``I_k / I_max`` (``I = 1 / (V_T/n_T + V_C/n_C)``, ``I_max`` from
    ``planned_responses`` split as the arms' arrival rates; Jennison & Turnbull 2000, ch. 7 and
    9), so a late or slow arm spends error only as information really accrues;
    ``"fixed"`` the fixed-horizon z interval at the latest look, valid only if this is the one
    planned analysis. Alpha follows the rules (Schultzberg, Ankargren & Franberg 2024): the
    non-inferiority bound of every metric has one-sided level ``alpha / 2`` (KEEP needs all of
    them: an intersection-union test, no split); the harm bound has ``alpha / (2 metrics)``
    (ROLL_BACK on any metric: Bonferroni). No rule is applied before each arm has
    ``min_responses`` answers (group-sequential: and 10% of the planned information), where the
    normal approximation of a small, skewed sample is not yet trustworthy. The variances of NPS
    and the share guardrails are the average of the plug-in one and one with the arm means
    restricted to the margin, where the rules test (Farrington & Manning 1990;
    :func:`nps_analysis.stats.decision_bounds.margin_variances`): a small arm whose mean drifts
    from the margin no longer gets a spuriously small variance (docs/validation.md).

    Args:
        data: survey rows: a pandas DataFrame, a :class:`nps_analysis.sources.tables.Table`
            (``nps.open_table``), an engine's table (DuckDB relation, Polars DataFrame or
            LazyFrame, PyArrow Table, Spark DataFrame), or a file read with
            :func:`nps_analysis.io.load`.
        score: the 0-10 answer column. Rows without an answer are not responses.
        group: the arm column; ``treatment`` and ``control`` are its labels.
        time: when each answer was submitted (dates/times, or numbers such as a day index: each
            distinct number is a look). Naive times are read as UTC; days are UTC days.
        margin: tolerated harm in NPS points, >= 0 (``5`` means "no worse than -5 points").
        guardrails: :class:`Guardrail` objects, dicts, strings like ``"detractor_share=3"``, or one
            mapping ``{"METRIC[:COLUMN][:higher|lower]": margin}`` (what a notebook parameter holds),
            ``"csat=5"``, ``"handling_minutes=2:lower"`` (see :func:`parse_guardrail`).
        alpha: family-wise error rate; false ROLL_BACK and false KEEP each stay at or below it.
        planned_responses: total responses (both arms) the experiment plans; tunes where the
            confidence sequence is tightest and is the group-sequential maximum. Fix it before
            looking; default: a fixed-horizon test of ``margin`` at 80% power
            (:func:`nps_analysis.sequential.default_planned_responses`), or ``planned_days``
            times the observed daily rate when ``planned_days`` is given.
        planned_days: the experiment's horizon in days, stated before looking. The sequential
            design is then tuned to it (``planned_responses`` = the observed responses per day x
            ``planned_days``, recorded as ``daily_rate``) and decides faster within it (at 40
            answers per arm per day and a true harm of -15 points, ROLL_BACK within 30 days in
            about 76% of runs against 47% untuned; docs/validation.md); after the horizon no
            rule is applied.
        min_responses: answers each arm needs before any rule is applied (default 50).
        spending: ``"obrien-fleming"`` or ``"pocock"`` (group-sequential design).
        look: period of a look for date/time columns (``"D"`` daily, ``"W"`` weekly, ``"h"``).
        prior, n_draws, random_state: Dirichlet prior per arm and Monte Carlo draws of the
            Bayesian view (seeded, so results are reproducible).
        date_format, dayfirst: how text times are written when day and month are ambiguous
            (``"%d/%m/%Y %H:%M"``, or ``dayfirst=True``); without them such times are an error,
            never a guess (:func:`nps_analysis.sources.dates.parse_times`).
        cluster: the column that was assigned when whole teams, stores or agents got the change.
            At every look each metric's variance (the one the design uses, under the margin for
            NPS and shares) is multiplied by the design effect that look shows: the
            cluster-robust linearised variance of the ratio estimator over the clusters seen so
            far (:func:`nps_analysis.stats.clusters.cluster_look_moments`) over the plug-in
            variance that treats answers as independent, at least 1. The sequence stays
            (asymptotically, time-uniformly) valid when: there are many clusters (the guarantee
            is asymptotic in clusters; with fewer than about 10 per arm a note says so and the
            error rate can exceed alpha); clusters were assigned before the start and none
            changes arm; and either clusters enter over time as independent units, or a fixed
            set of clusters has its members arrive in an order unrelated to their answers, with
            each cluster's mean stable over the experiment. docs/clusters.md gives the argument,
            benchmarks/cluster_validation.py the simulation and tests/test_clusters.py a small
            one through this function. The Bayesian view still treats answers as independent.

    Raises:
        NPSInputError: missing columns (naming the time column and listing those present), an
            arm with no responses yet, a negative margin (naming the value), unusable times.
    """
    margin = check_margin(margin)
    alpha = check_alpha(alpha)
    if design not in DESIGNS:
        raise NPSInputError(f"design must be one of {', '.join(DESIGNS)}, got {design!r}")
    if spending not in SPENDING_FUNCTIONS:
        raise NPSInputError(f"spending must be one of {', '.join(SPENDING_FUNCTIONS)}, got {spending!r}")
    if planned_responses is not None and not (isinstance(planned_responses, (int, float)) and planned_responses > 0):
        raise NPSInputError(f"planned_responses must be a positive number of responses, got {planned_responses!r}")
    if planned_days is not None and (
        isinstance(planned_days, bool) or not isinstance(planned_days, (int, float)) or not math.isfinite(planned_days) or planned_days <= 0
    ):
        raise NPSInputError(f"planned_days must be a positive number of days (the horizon stated before looking), got {planned_days!r}")
    if isinstance(min_responses, bool) or not isinstance(min_responses, (int, np.integer)) or min_responses < 1:
        raise NPSInputError(f"min_responses must be a positive whole number of answers per arm, got {min_responses!r}")
    if str(treatment) == str(control):
        raise NPSInputError(f"treatment and control must be different arms, both are {treatment!r}")
    specs = guardrail_specs(guardrails)

    metrics = [Metric("nps", "nps", score, "higher_is_better", margin), *(metric_for(g, score) for g in specs)]
    data, file = _source(data, score=score, group=group)
    counts = look_counts(
        data, score=score, group=group, time=time, treatment=treatment, control=control, metrics=metrics,
        cluster=cluster, look=look, date_format=date_format, dayfirst=dayfirst, file=file,
    )
    periods, offsets, period_days = counts.periods, counts.offsets, counts.period_days
    n_looks = len(periods)
    clustered = counts.clusters is not None
    nps_seen = np.zeros((2, 1), dtype=int)  # clusters seen per arm and look (NPS), with cluster

    harm_alpha, noninf_alpha = rule_alphas(alpha, len(metrics))
    nps_alpha = harm_alpha + noninf_alpha  # two-sided error of each reported interval
    moments = []
    for m, cells, centre in zip(metrics, counts.cells, counts.centres, strict=True):
        # Numeric columns were summed minus their smallest value so sums of squares keep their digits.
        n, mean, var, smooth, square = _moments(m.kind, _cumulative(cells))
        inflation = None
        if clustered:
            # The design effect each look shows: cluster-robust over independent (plug-in)
            # variance, at least 1 so a chance negative ICC never narrows the interval.
            _, _, var_cluster, seen = cluster_look_moments_from_sums(cells[..., 0], cells[..., 1])
            with np.errstate(divide="ignore", invalid="ignore"):
                inflation = np.where(np.isfinite(var_cluster), np.maximum(var_cluster / var, 1.0), np.inf)
            inflation = np.where(np.isnan(inflation), 1.0, inflation)
            nps_seen = seen if m is metrics[0] else nps_seen
        if smooth is not None:
            # standard errors estimated under the margin, where the rules test (score-test style)
            null = (-m.margin if m.direction == "higher_is_better" else m.margin) / m.scale
            var = np.stack(margin_variances(n[0], smooth[0], square[0], n[1], smooth[1], square[1], null=null))
        if inflation is not None:
            var = var * inflation
        moments.append((n, mean + centre, var))
    n_nps = moments[0][0]
    both = (n_nps[0] > 0) & (n_nps[1] > 0)
    start = float(offsets[int(np.argmax(both))])
    # days since both arms have answers, counting the look's own period
    offsets = np.asarray(offsets, dtype=float)
    elapsed = np.where(both, offsets - start + period_days, 0.0)
    # each arm's days since its first answer: its arrival rate plans the information (a late arm
    # is planned at its real rate, a 1:3 split as 1:3)
    active = [np.where(n_nps[a] > 0, offsets - offsets[int(np.argmax(n_nps[a] > 0))] + period_days, 0.0) for a in (0, 1)]
    allocation = arrival_allocation(n_nps[0], n_nps[1], active[0], active[1])
    daily_rate = None
    if planned_days is not None and design != "fixed":
        daily_rate = float(n_nps[:, -1].sum() / elapsed[-1])
        planned = float(planned_responses or daily_rate * planned_days)
    else:
        planned = float(planned_responses or default_planned_responses(margin, alpha=alpha))
    stacked = np.stack([np.stack([mo[0], mo[2]]) for mo in moments])  # (metric, n|var, arm, look)
    bounds = rule_multipliers(
        stacked[:, 0, 0], stacked[:, 1, 0], stacked[:, 0, 1], stacked[:, 1, 1],
        design=design, alpha=alpha, metrics=len(metrics), planned_responses=planned,
        elapsed_days=elapsed, planned_days=planned_days if design == "sequential" else None,
        looks_per_day=1.0 / period_days, spending=spending, min_responses=int(min_responses),
        allocation=allocation,
    )
    results = []
    for i, (m, (n, mean, var)) in enumerate(zip(metrics, moments, strict=True)):
        diff, _, _, se = difference_cs(n[0], mean[0], var[0], n[1], mean[1], var[1], multiplier=0.0, planned_n=planned)
        higher = m.direction == "higher_is_better"
        mult_lo, mult_hi = (bounds.noninf[i], bounds.harm[i]) if higher else (bounds.harm[i], bounds.noninf[i])
        usable = np.isfinite(se) & np.isfinite(diff)
        with np.errstate(invalid="ignore"):
            lo = np.where(usable & np.isfinite(mult_lo), diff - mult_lo * se, -np.inf) * m.scale
            hi = np.where(usable & np.isfinite(mult_hi), diff + mult_hi * se, np.inf) * m.scale
        diff = diff * m.scale
        if design == "fixed":
            run_lo, run_hi = lo, hi
            dec_lo, dec_hi = lo[-1:], hi[-1:]
        else:
            run_lo, run_hi = running_intersection(lo, hi)
            dec_lo, dec_hi = lo, hi
        harm, noninf, sup = first_looks(dec_lo, dec_hi, margin=m.margin, direction=m.direction)
        shift = n_looks - 1 if design == "fixed" else 0
        results.append(
            dict(metric=m, n=n, mean=mean * m.scale, diff=diff, se=se * m.scale, lo=lo, hi=hi, run_lo=run_lo, run_hi=run_hi,
                 mult=bounds.noninf[i] if higher else bounds.harm[i], mult_hi=bounds.harm[i] if higher else bounds.noninf[i],
                 harm=int(harm) + shift if harm >= 0 else -1, noninf=int(noninf) + shift if noninf >= 0 else -1,
                 sup=int(sup) + shift if sup >= 0 else -1)
        )

    code, at = combine([r["harm"] for r in results], [r["noninf"] for r in results])
    decision = DECISIONS[int(code)]
    decided_at = int(at)
    nps = results[0]
    cum_counts = tuple(NPSCounts(*map(int, counts.nps_counts[a])) for a in (0, 1))
    bayes = bayesian_view(cum_counts[0], cum_counts[1], margin=margin, prior=prior, n_draws=n_draws, random_state=random_state)
    notes: list[str] = []
    if design == "fixed":
        notes.append("fixed-horizon interval: valid only if this is the single planned analysis; checking it at every look inflates false alarms")
    tested = bounds.tested[0]
    if not tested.any():
        notes.append(
            f"no rule has been applied yet: each arm needs at least {int(min_responses)} answers"
            + (" and 10% of the planned information" if design == "group-sequential" else "")
            + " before the normal approximation is trusted"
        )
    horizon_over = planned_days is not None and design == "sequential" and elapsed[-1] > planned_days + 1e-9
    if horizon_over and decision == "CONTINUE":
        notes.append(
            f"the {planned_days:g}-day horizon stated before looking is over without a conclusion: no rule is applied after it "
            "(its error guarantee covers the horizon only); start a new experiment or state a longer horizon for a new one"
        )
    info_fraction = float(bounds.fractions[0, -1]) if design == "group-sequential" else None
    if design == "group-sequential" and (info_fraction or 0.0) >= 1.0 and decision == "CONTINUE":
        notes.append("the planned maximum of responses has been reached without a conclusion; the design cannot conclude (increase planned_responses only with a pre-specified rule)")
    if clustered:
        few = few_clusters_note(int(nps_seen[0, -1]), int(nps_seen[1, -1]))
        if few:
            notes.append(f"analysed by {cluster}: {few} (the confidence sequence's guarantee is asymptotic in clusters)")
        notes.append(f"the Bayesian view treats answers as independent; the intervals are cluster-robust by {cluster}")
    if np.any(nps["run_lo"][-1:] > nps["run_hi"][-1:]):
        notes.append("the running intersection of the NPS intervals is empty: the data are inconsistent with a constant effect (check for a change over time)")

    projected = projected_days = None
    if decision == "CONTINUE" and not horizon_over:
        toward_harm = float(nps["diff"][-1]) < -margin
        side = harm_alpha if toward_harm else noninf_alpha
        # the multiplier the deciding bound will use: the horizon sequence's calibrated level, else
        # the design's multiplier at the two-sided level whose one side is the rule's alpha
        p_alpha = bounds.level[0 if toward_harm else 1] if planned_days is not None and design == "sequential" else 2 * side
        projected = projected_responses(
            effect=float(nps["diff"][-1]),
            se=float(nps["se"][-1]),
            n=float(nps["n"][:, -1].sum()),
            margin=margin,
            alpha=p_alpha,
            design=design,
            planned_responses=planned,
            spending=spending,
            past_responses=nps["n"].sum(axis=0),
        )
        if projected is not None:
            span_days = counts.span_days  # a scan of the times, so only here
            rate = float(nps["n"][:, -1].sum()) / span_days if span_days > 0 else math.nan
            projected_days = float(projected / rate) if rate > 0 else None
            if planned_days is not None and design == "sequential" and (
                projected_days is None or elapsed[-1] + projected_days > planned_days
            ):
                projected = projected_days = None  # the horizon would end first

    rules = _rules(results, n_looks, periods)
    guardrail_results = tuple(
        GuardrailResult(
            metric=r["metric"].name,
            column=r["metric"].column,
            direction=r["metric"].direction,
            unit=r["metric"].unit,
            margin=r["metric"].margin,
            alpha=nps_alpha,
            treatment_value=float(r["mean"][0, -1]),
            control_value=float(r["mean"][1, -1]),
            effect=float(r["diff"][-1]),
            ci_lower=float(r["run_lo"][-1]),
            ci_upper=float(r["run_hi"][-1]),
            n_treatment=int(r["n"][0, -1]),
            n_control=int(r["n"][1, -1]),
            status=verdict_status(r["run_lo"][-1], r["run_hi"][-1], r["metric"].margin, r["metric"].direction),
        )
        for r in results[1:]
    )
    history = tuple(
        Look(
            look=k + 1,
            period=periods[k],
            n_treatment=int(nps["n"][0, k]),
            n_control=int(nps["n"][1, k]),
            effect=float(nps["diff"][k]),
            ci_lower=float(nps["lo"][k]),
            ci_upper=float(nps["hi"][k]),
            running_lower=float(nps["run_lo"][k]),
            running_upper=float(nps["run_hi"][k]),
            multiplier=float(nps["mult"][k]),
            harm_multiplier=float(nps["mult_hi"][k]),
            tested=bool(tested[k]),
        )
        for k in range(n_looks)
    )
    method = {
        "sequential": "asymptotic confidence sequence (Waudby-Smith et al. 2024), "
        + (f"tuned to a {planned_days:g}-day horizon, " if planned_days is not None else "")
        + "running intersection",
        "group-sequential": f"repeated confidence intervals, Lan-DeMets {spending}-type spending on observed information",
        "fixed": "fixed-horizon Wald interval for a difference of means",
    }[design]
    if clustered:
        method += f"; variances inflated by the design effect of {cluster} at each look (cluster-robust linearised CR1 over independent, at least 1)"
    return Decision(
        decision=decision,
        treatment=str(treatment),
        control=str(control),
        effect=float(nps["diff"][-1]),
        ci_lower=float(nps["run_lo"][-1]),
        ci_upper=float(nps["run_hi"][-1]),
        margin=margin,
        alpha=alpha,
        nps_alpha=nps_alpha,
        design=design,
        method=method,
        looks=n_looks,
        decided_at_look=decided_at + 1 if decided_at >= 0 else None,
        decided_at=periods[decided_at] if decided_at >= 0 else None,
        superiority=bool(nps["run_lo"][-1] > 0),
        n_treatment=int(nps["n"][0, -1]),
        n_control=int(nps["n"][1, -1]),
        nps_treatment=float(nps["mean"][0, -1]),
        nps_control=float(nps["mean"][1, -1]),
        treatment_counts=cum_counts[0],
        control_counts=cum_counts[1],
        planned_responses=planned,
        projected_responses=projected,
        projected_days=projected_days,
        rules=rules,
        guardrails=guardrail_results,
        bayes=bayes,
        history=history,
        notes=tuple(notes),
        harm_alpha=harm_alpha,
        noninf_alpha=noninf_alpha,
        planned_days=float(planned_days) if planned_days is not None else None,
        daily_rate=daily_rate,
        min_responses=int(min_responses),
        information_fraction=info_fraction,
        cluster=cluster,
        n_clusters_treatment=int(nps_seen[0, -1]) if clustered else None,
        n_clusters_control=int(nps_seen[1, -1]) if clustered else None,
    )


def _source(data: Any, *, score: str, group: str) -> tuple[Any, str | None]:
    """The rows to count and the source they came from: a frame, a :class:`Table`'s data, a file.

    A file path is opened where it is best read (:func:`nps_analysis.sources.tables.open_table`:
    small files by :func:`nps_analysis.sources.load.load` into pandas, large CSV/Parquet files as
    a DuckDB relation); engine tables (DuckDB, Polars, PyArrow, Spark) stay where they are.
    """
    from ..sources.engines import is_engine_frame
    from ..sources.tables import Table, open_table

    file: str | None = None
    if isinstance(data, (str, os.PathLike)):
        file = str(data)
        data = open_table(data, score=score, columns=[group])  # the time column is checked later, by name
    if isinstance(data, Table):
        file = file or data.source
        data = data.data
    if isinstance(data, pd.DataFrame) or is_engine_frame(data):
        return data, file
    raise NPSInputError(
        f"decide() needs a DataFrame, a table (nps.open_table), an engine's table (DuckDB, Polars, PyArrow, Spark) "
        f"or a file path, got {type(data).__name__}"
    )


def _rules(results: list[dict[str, Any]], n_looks: int, periods: list[Any]) -> tuple[Rule, ...]:
    out = []
    for r in results:
        m: Metric = r["metric"]
        lo, hi, est = float(r["run_lo"][-1]), float(r["run_hi"][-1]), float(r["diff"][-1])
        higher = m.direction == "higher_is_better"
        unit = "points" if m.kind == "nps" else m.unit
        specs = [
            ("harm beyond margin", "upper" if higher else "lower", hi if higher else lo, "<" if higher else ">",
             -m.margin if higher else m.margin, r["harm"]),
            ("non-inferiority", "lower" if higher else "upper", lo if higher else hi, ">" if higher else "<",
             -m.margin if higher else m.margin, r["noninf"]),
        ]
        if m.kind == "nps":
            specs.append(("superiority", "lower", lo, ">", 0.0, r["sup"]))
        for rule, bound_name, bound, comparison, threshold, first in specs:
            outcome = first >= 0
            when = f" (first at look {first + 1}, {periods[first]})" if outcome else ""
            text = (
                f"{m.name}: {bound_name} bound {bound:+.2f} {comparison} {threshold:+g} {unit}: "
                f"{'met' if outcome else 'not met'}{when}"
            )
            out.append(
                Rule(
                    metric=m.name,
                    rule=rule,
                    statistic=est,
                    bound_name=bound_name,
                    bound=bound,
                    comparison=comparison,
                    threshold=float(threshold),
                    outcome=bool(outcome),
                    first_look=int(first) + 1 if outcome else None,
                    text=text,
                )
            )
    return tuple(out)


# ------------------------------------------------------------------------------ Bayes and projections


# ------------------------------------------------------------------------------------------------ memo


# ------------------------------------------------------------------------------------------------- CLI


