"""Roll back, keep, or keep collecting: a typed, auditable decision on a running cohort experiment.

``decide`` turns survey rows into cumulative counts per look and applies a do-no-harm margin to
NPS and any guardrails with intervals that stay valid however often the team looks.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from .errors import NPSInputError, describe_rows
from .results import ResultMixin
from .scoring import PASSIVE_FROM, PROMOTER_FROM, NPSCounts, parse_scores
from .sequential import (
    SPENDING_FUNCTIONS,
    check_alpha,
    cs_multiplier,
    default_planned_responses,
    difference_cs,
    group_sequential_boundary,
    nps_moments,
    running_intersection,
)

Design = Literal["sequential", "fixed", "group-sequential"]
DESIGNS: tuple[str, ...] = ("sequential", "fixed", "group-sequential")
DECISIONS: tuple[str, ...] = ("ROLL_BACK", "KEEP", "CONTINUE")
Direction = Literal["higher_is_better", "lower_is_better"]

#: Built-in guardrail metrics and the direction in which they are better.
GUARDRAIL_METRICS: dict[str, str] = {
    "detractor_share": "lower_is_better",
    "promoter_share": "higher_is_better",
    "csat": "higher_is_better",
}


# ------------------------------------------------------------------------------------------ guardrails


@dataclass(frozen=True)
class Guardrail:
    """A metric that must not get worse by more than ``margin`` while NPS is being tested.

    Attributes:
        metric: ``"detractor_share"`` or ``"promoter_share"`` (from the 0-10 answers, in
            percentage points), ``"csat"`` (top-2-box share of a 1-5 column, percentage points),
            or the name of any numeric column (its mean, in the column's units).
        margin: the tolerated worsening, a positive number in the metric's units.
        column: the column holding the metric (``csat``: default ``"csat"``; numeric metric:
            default ``metric`` itself).
        direction: ``"higher_is_better"`` or ``"lower_is_better"``; built-in metrics know theirs,
            a numeric column needs it.
    """

    metric: str
    margin: float
    column: str | None = None
    direction: Direction | None = None

    @property
    def name(self) -> str:
        return self.metric if self.column in (None, self.metric) else f"{self.metric}:{self.column}"


def guardrail_specs(
    guardrails: Sequence[Guardrail | Mapping[str, Any] | str] | Mapping[str, float],
) -> list[Guardrail]:
    """Guardrails from a list of specs, or from one mapping ``{"METRIC[:COLUMN][:higher|lower]": margin}``.

    The mapping form keeps ``=`` out of notebook parameter lines (papermill cannot inspect a line
    with a second ``=``): ``{"detractor_share": 5, "handling_minutes:lower": 2}``.
    """
    if isinstance(guardrails, Mapping) and not {"metric", "margin"} <= set(guardrails):
        specs: list[Any] = []
        for key, margin in guardrails.items():
            parts = [part.strip() for part in str(key).split(":")]
            direction = parts.pop() if len(parts) > 1 and parts[-1].lower() in ("higher", "lower") else ""
            if len(parts) > 2:
                raise NPSInputError(f"guardrail {key!r}: expected METRIC[:COLUMN][:higher|lower]")
            specs.append(f"{':'.join(parts)}={margin}" + (f":{direction}" if direction else ""))
        guardrails = specs
    elif isinstance(guardrails, (str, Mapping)):
        guardrails = [guardrails]  # type: ignore[list-item]
    return [parse_guardrail(g) for g in guardrails]


def parse_guardrail(spec: Guardrail | Mapping[str, Any] | str) -> Guardrail:
    """A :class:`Guardrail` from itself, a dict of its fields, or ``"METRIC[:COLUMN]=MARGIN[:higher|lower]"``.

    Examples: ``"detractor_share=3"``, ``"csat=5"``, ``"csat:satisfaction=5"``,
    ``"handling_minutes=2:lower"`` (a numeric column whose increase by 2 is harm).
    """
    if isinstance(spec, Guardrail):
        g = spec
    elif isinstance(spec, Mapping):
        unknown = set(spec) - {"metric", "margin", "column", "direction"}
        if unknown or "metric" not in spec or "margin" not in spec:
            raise NPSInputError(
                f"a guardrail needs 'metric' and 'margin' (optional 'column', 'direction'), got {dict(spec)!r}"
            )
        g = Guardrail(str(spec["metric"]), spec["margin"], spec.get("column"), spec.get("direction"))
    elif isinstance(spec, str):
        name, eq, rest = spec.partition("=")
        if not eq or not name.strip() or not rest.strip():
            raise NPSInputError(
                f"guardrail {spec!r}: expected METRIC[:COLUMN]=MARGIN[:higher|lower], e.g. 'detractor_share=3'"
            )
        metric, _, column = name.strip().partition(":")
        margin_text, _, direction_text = rest.strip().partition(":")
        try:
            margin = float(margin_text)
        except ValueError:
            raise NPSInputError(f"guardrail {spec!r}: the margin {margin_text!r} is not a number") from None
        direction = {"": None, "higher": "higher_is_better", "lower": "lower_is_better"}.get(direction_text.strip().lower())
        if direction_text.strip() and direction is None:
            raise NPSInputError(f"guardrail {spec!r}: direction must be 'higher' or 'lower', got {direction_text!r}")
        g = Guardrail(metric.strip(), margin, column.strip() or None, direction)  # type: ignore[arg-type]
    else:
        raise NPSInputError(f"a guardrail must be a Guardrail, a dict or a 'metric=margin' string, got {spec!r}")
    _check_margin(g.margin, what=f"guardrail {g.name!r} margin")
    if g.direction is not None and g.direction not in ("higher_is_better", "lower_is_better"):
        raise NPSInputError(f"guardrail {g.name!r}: direction must be 'higher_is_better' or 'lower_is_better', got {g.direction!r}")
    if g.metric not in GUARDRAIL_METRICS and g.direction is None:
        raise NPSInputError(
            f"guardrail {g.name!r}: say whether higher or lower is better for a numeric column "
            f"(e.g. '{g.metric}={g.margin:g}:lower')"
        )
    return g


def _check_margin(margin: Any, *, what: str = "margin") -> float:
    if isinstance(margin, bool) or not isinstance(margin, (int, float, np.integer, np.floating)) or not math.isfinite(margin):
        raise NPSInputError(f"{what} must be a finite number of points, got {margin!r}")
    if margin < 0:
        raise NPSInputError(
            f"{what} must be a positive number (the worsening you will tolerate), got {margin:g}; "
            f"pass {abs(margin):g} for a do-no-harm margin of {abs(margin):g} (harm is judged against -{abs(margin):g})"
        )
    return float(margin)


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


@dataclass(frozen=True)
class Look(ResultMixin):
    """The NPS comparison at one look: cumulative responses, effect and intervals."""

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
                "status": _status(self.ci_lower, self.ci_upper, self.margin, "higher_is_better"),
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

        head = (
            f"<p><b>{html.escape(self.decision)}</b>: {html.escape(self.treatment)} vs "
            f"{html.escape(self.control)}, effect {self.effect:+.1f} NPS points "
            f"[{self.ci_lower:+.1f}, {self.ci_upper:+.1f}], margin -{self.margin:g}, "
            f"{self.looks} looks, {self.design} design</p>"
        )
        return head + self.rules_frame().to_html(index=False)


def _status(lower: float, upper: float, margin: float, direction: str) -> str:
    harm, noninf, _ = _conditions(np.asarray(lower), np.asarray(upper), margin, direction)
    if harm:
        return "harm beyond margin"
    if noninf:
        return "non-inferior"
    return "inconclusive"


# ------------------------------------------------------------------------------ vectorized decision core


def _conditions(lower: np.ndarray, upper: np.ndarray, margin: float, direction: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    harm, noninf, sup = _conditions(np.asarray(lower), np.asarray(upper), margin, direction)

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
    ``group-sequential``: the Lan-DeMets bound at the look's information fraction
    ``N_k / planned_responses`` (repeated confidence intervals, Jennison & Turnbull 2000, ch. 9).
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
            out[valid] = np.asarray(_gs_bounds(tuple(frac), alpha, spending))[inverse]
        return out
    raise NPSInputError(f"design must be one of {', '.join(DESIGNS)}, got {design!r}")


@functools.lru_cache(maxsize=64)
def _gs_bounds(fractions: tuple[float, ...], alpha: float, spending: str) -> tuple[float, ...]:
    # NPS and share guardrails usually have the same looks: compute their boundary once.
    return group_sequential_boundary(fractions, alpha=alpha, spending=spending).z_bounds  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------- data to looks


@dataclass(frozen=True)
class _Metric:
    """One compared metric: NPS or a guardrail, with how its per-response value is computed."""

    name: str
    source: str  # "nps", "detractor_share", "promoter_share", "csat" or "column"
    column: str
    direction: str
    margin: float

    @property
    def kind(self) -> str:
        """How the variance is estimated: "nps" (-1/0/+1), "share" (0/1) or "mean"."""
        return {"nps": "nps", "column": "mean"}.get(self.source, "share")

    @property
    def scale(self) -> float:
        return 1.0 if self.kind == "mean" else 100.0

    @property
    def unit(self) -> str:
        return {"nps": "NPS points", "share": "percentage points"}.get(self.kind, f"units of {self.column}")


def _metric_for(g: Guardrail, score: str) -> _Metric:
    if g.metric in ("detractor_share", "promoter_share"):
        source, column = g.metric, score
    elif g.metric == "csat":
        source, column = "csat", g.column or "csat"
    else:
        source, column = "column", g.column or g.metric
    direction = g.direction or GUARDRAIL_METRICS[g.metric]
    return _Metric(g.name, source, column, direction, float(g.margin))


def _row_labels(frame: pd.DataFrame, mask: np.ndarray) -> list[Any]:
    from .io import source_rows

    source = source_rows(frame)
    idx = np.flatnonzero(mask)
    if source is not None:
        return [int(source[i]) for i in idx]
    return [frame.index[i] for i in idx]


def _arm_mask(frame: pd.DataFrame, group: str, label: Any) -> np.ndarray:
    col = frame[group]
    mask = (col == label).to_numpy(dtype=bool)
    if not mask.any():  # labels typed on a command line are strings; the column may hold numbers
        mask = (col.astype(str) == str(label)).to_numpy(dtype=bool) & col.notna().to_numpy()
    return mask


def _parse_times(values: pd.Series, *, column: str, file: str | None, frame: pd.DataFrame, rows: np.ndarray, look: str) -> tuple[np.ndarray, list[Any], float]:
    """Look codes (0-based, chronological) for the responding rows, period labels, days spanned."""
    present = values.notna() & (values.astype(str).str.strip() != "")
    if not present.all():
        bad = ~present.to_numpy()
        labels = _row_labels(frame, rows)
        shown = [(labels[i], None) for i in np.flatnonzero(bad)]
        raise NPSInputError(
            f"{int(bad.sum())} response(s) have no time, so they cannot be placed in a look; {describe_rows(shown)}",
            file=file,
            column=column,
            rows=shown[:20],
            count=int(bad.sum()),
        )
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        periods = np.asarray(values, dtype=float)
        uniq, codes = np.unique(periods, return_inverse=True)
        labels = [int(u) if float(u).is_integer() else float(u) for u in uniq]
        return codes, labels, float(max(uniq[-1] - uniq[0], 1.0))
    if pd.api.types.is_datetime64_any_dtype(values):
        stamps = pd.to_datetime(values, utc=True)
    else:
        text = values.astype(str).str.strip()
        stamps = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
        if stamps.isna().any():
            stamps = pd.to_datetime(text, utc=True, errors="coerce", format="mixed")
        if stamps.isna().any():
            bad = stamps.isna().to_numpy()
            labels = _row_labels(frame, rows)
            shown = [(labels[i], text.iloc[i]) for i in np.flatnonzero(bad)]
            raise NPSInputError(
                f"{int(bad.sum())} value(s) are not dates or times: {describe_rows(shown)}",
                file=file,
                column=column,
                rows=shown[:20],
                count=int(bad.sum()),
            )
    try:
        naive = stamps.dt.tz_localize(None)
        floored = naive.dt.floor(look) if look in ("D", "h") else naive.dt.to_period(look).dt.start_time
    except ValueError:
        raise NPSInputError(f"look must be 'D' (daily), 'h' (hourly) or a period such as 'W' (weekly), got {look!r}") from None
    uniq, codes = np.unique(floored.to_numpy(), return_inverse=True)
    # Arrival rate for projections: responses per day of calendar time covered, at least one day.
    span_days = max((stamps.max() - stamps.min()) / pd.Timedelta(days=1), 1.0)
    fmt = "%Y-%m-%dT%H:00" if look == "h" else "%Y-%m-%d"
    return codes, [pd.Timestamp(u).strftime(fmt) for u in uniq], float(span_days)


def _cumulative(values: np.ndarray, arm: np.ndarray, looks: np.ndarray, n_looks: int) -> np.ndarray:
    """Cumulative (n, sum, sum of squares) per look and arm: shape (2 arms, looks, 3)."""
    ok = ~np.isnan(values)
    key = arm[ok] * n_looks + looks[ok]
    v = values[ok]
    stats = np.stack(
        [np.bincount(key, weights=w, minlength=2 * n_looks) for w in (np.ones_like(v), v, v * v)], axis=-1
    ).reshape(2, n_looks, 3)
    return np.cumsum(stats, axis=1)


def _moments(kind: str, cum: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n, mean, variance) per arm and look from cumulative (n, sum, sumsq)."""
    n, s1, s2 = cum[..., 0], cum[..., 1], cum[..., 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = s1 / n
        if kind == "nps":
            counts = np.stack([(s2 - s1) / 2, n - s2, (s2 + s1) / 2], axis=-1)
            _, _, var = nps_moments(counts)
        elif kind == "share":
            # Variance on (x + 1/2)/(n + 1): positive at 0 or n successes, consistent.
            p = (s1 + 0.5) / (n + 1.0)
            var = p * (1 - p)
        else:
            var = np.where(n > 1, (s2 - s1 * s1 / n) / (n - 1), np.inf)
            var = np.maximum(var, 0.0)
    return n, mean, var


# ------------------------------------------------------------------------------------------ decide


def decide(
    data: pd.DataFrame | str | os.PathLike[str],
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
) -> Decision:
    """Decide whether to roll a change back, keep it, or keep collecting responses.

    Responses are grouped into looks (one per ``look`` period, daily by default) and each metric
    is compared on cumulative counts per look. The effect is treatment minus control; ``margin``
    is the harm tolerated, in NPS points (positive): harm beyond it means ``effect < -margin``.

    Rules (per metric, on its interval; see ``docs/sequential.md``):
      * ROLL_BACK when the upper bound is below ``-margin`` (for a lower-is-better guardrail: the
        lower bound above ``+margin``) on NPS or any guardrail;
      * KEEP when every metric's lower bound is above ``-margin`` (non-inferior); the decision
        says whether NPS is also shown better (``superiority``: lower bound above 0);
      * CONTINUE otherwise, with the projected responses still needed.
    Intervals by ``design``: ``"sequential"`` (default) an anytime-valid asymptotic confidence
    sequence (Waudby-Smith et al. 2024) valid at every look, intersected over looks;
    ``"group-sequential"`` repeated confidence intervals from Lan-DeMets spending with looks at
    information fractions ``N_k / planned_responses`` (Jennison & Turnbull 2000, ch. 9);
    ``"fixed"`` the fixed-horizon z interval at the latest look, valid only if this is the one
    planned analysis. ``alpha`` is split equally (Bonferroni) between NPS and the guardrails;
    each metric's interval has two-sided level ``1 - alpha / (1 + len(guardrails))``.

    Args:
        data: survey rows (a DataFrame, or a file read with :func:`nps_analysis.io.load`).
        score: the 0-10 answer column. Rows without an answer are not responses.
        group: the arm column; ``treatment`` and ``control`` are its labels.
        time: when each answer was submitted (dates/times, or numbers such as a day index).
        margin: tolerated harm in NPS points, >= 0 (``5`` means "no worse than -5 points").
        guardrails: :class:`Guardrail` objects, dicts, strings like ``"detractor_share=3"``, or one
            mapping ``{"METRIC[:COLUMN][:higher|lower]": margin}`` (what a notebook parameter holds),
            ``"csat=5"``, ``"handling_minutes=2:lower"`` (see :func:`parse_guardrail`).
        alpha: family-wise error rate; false ROLL_BACK and false KEEP each stay at or below it.
        planned_responses: total responses (both arms) the experiment plans; tunes where the
            confidence sequence is tightest and is the group-sequential maximum. Fix it before
            looking; default: a fixed-horizon test of ``margin`` at 80% power
            (:func:`nps_analysis.sequential.default_planned_responses`).
        spending: ``"obrien-fleming"`` or ``"pocock"`` (group-sequential design).
        look: period of a look for date/time columns (``"D"`` daily, ``"W"`` weekly, ``"h"``).
        prior, n_draws, random_state: Dirichlet prior per arm and Monte Carlo draws of the
            Bayesian view (seeded, so results are reproducible).

    Raises:
        NPSInputError: missing columns (naming the time column and listing those present), an
            arm with no responses yet, a negative margin (naming the value), unusable times.
    """
    margin = _check_margin(margin)
    alpha = check_alpha(alpha)
    if design not in DESIGNS:
        raise NPSInputError(f"design must be one of {', '.join(DESIGNS)}, got {design!r}")
    if spending not in SPENDING_FUNCTIONS:
        raise NPSInputError(f"spending must be one of {', '.join(SPENDING_FUNCTIONS)}, got {spending!r}")
    if planned_responses is not None and not (isinstance(planned_responses, (int, float)) and planned_responses > 0):
        raise NPSInputError(f"planned_responses must be a positive number of responses, got {planned_responses!r}")
    if str(treatment) == str(control):
        raise NPSInputError(f"treatment and control must be different arms, both are {treatment!r}")
    specs = guardrail_specs(guardrails)

    file: str | None = None
    if isinstance(data, (str, os.PathLike)):
        from .io import load

        file = str(data)
        data = load(data, score=score, columns=[group])  # the time column is checked below, by name
    if not isinstance(data, pd.DataFrame):
        raise NPSInputError(f"decide() needs a DataFrame or a file path, got {type(data).__name__}")
    frame = data
    metrics = [_Metric("nps", "nps", score, "higher_is_better", margin), *(_metric_for(g, score) for g in specs)]
    _require_columns(frame, score=score, group=group, time=time, extra=[m.column for m in metrics[1:]], file=file)

    in_t = _arm_mask(frame, group, treatment)
    in_c = _arm_mask(frame, group, control)
    for label, mask in ((treatment, in_t), (control, in_c)):
        if not mask.any():
            present = sorted(map(str, pd.unique(frame[group].dropna())))[:20]
            raise NPSInputError(
                f"arm {label!r} has no responses yet: no rows with that label (labels present: {', '.join(map(repr, present))})",
                file=file,
                column=group,
            )
    parsed = parse_scores(frame[score], column=score, file=file)
    answered = parsed.valid_mask
    for role, label, mask in (("treatment", treatment, in_t), ("control", control, in_c)):
        if not (mask & answered).any():
            raise NPSInputError(
                f"the {role} arm {label!r} has no responses yet ({int(mask.sum())} row(s), none with an answer in {score!r}); "
                "wait for the first answers before deciding",
                file=file,
                column=group,
            )
    rows = (in_t | in_c) & answered
    sub = frame.loc[rows]
    look_code, periods, span_days = _parse_times(sub[time].reset_index(drop=True), column=time, file=file, frame=frame, rows=rows, look=look)
    arm = np.where(in_t[rows], 0, 1)
    n_looks = len(periods)
    scores = parsed.values[rows]

    nps_alpha = alpha / len(metrics)
    planned = float(planned_responses or default_planned_responses(margin, alpha=alpha))
    results = []
    for m in metrics:
        values = _metric_values(m, sub, scores, file=file, frame=frame, rows=rows)
        # Numeric columns are centred first so sums of squares do not lose precision.
        offset = float(np.nanmean(values)) if m.kind == "mean" and np.isfinite(values).any() else 0.0
        cum = _cumulative(values - offset, arm, look_code, n_looks)
        n, mean, var = _moments(m.kind, cum)
        mean = mean + offset
        mult = interval_multipliers(n[0], n[1], design=design, alpha=nps_alpha, planned_responses=planned, spending=spending)
        diff, lo, hi, se = difference_cs(n[0], mean[0], var[0], n[1], mean[1], var[1], multiplier=mult, planned_n=planned)
        diff, lo, hi = diff * m.scale, lo * m.scale, hi * m.scale
        if design == "fixed":
            run_lo, run_hi = lo, hi
            dec_lo, dec_hi = lo[-1:], hi[-1:]
        else:
            run_lo, run_hi = running_intersection(lo, hi)
            dec_lo, dec_hi = lo, hi
        harm, noninf, sup = first_looks(dec_lo, dec_hi, margin=m.margin, direction=m.direction)
        offset = n_looks - 1 if design == "fixed" else 0
        results.append(
            dict(metric=m, n=n, mean=mean * m.scale, diff=diff, se=se * m.scale, lo=lo, hi=hi, run_lo=run_lo, run_hi=run_hi, mult=mult,
                 harm=int(harm) + offset if harm >= 0 else -1, noninf=int(noninf) + offset if noninf >= 0 else -1,
                 sup=int(sup) + offset if sup >= 0 else -1)
        )

    code, at = combine([r["harm"] for r in results], [r["noninf"] for r in results])
    decision = DECISIONS[int(code)]
    decided_at = int(at)
    nps = results[0]
    cum_counts = _nps_counts(scores, arm)
    bayes = bayesian_view(cum_counts[0], cum_counts[1], margin=margin, prior=prior, n_draws=n_draws, random_state=random_state)
    notes: list[str] = []
    if design == "fixed":
        notes.append("fixed-horizon interval: valid only if this is the single planned analysis; checking it at every look inflates false alarms")
    if design == "group-sequential" and nps["n"][:, -1].sum() >= planned and decision == "CONTINUE":
        notes.append("the planned maximum of responses has been reached without a conclusion; the design cannot conclude (increase planned_responses only with a pre-specified rule)")
    if np.any(nps["run_lo"][-1:] > nps["run_hi"][-1:]):
        notes.append("the running intersection of the NPS intervals is empty: the data are inconsistent with a constant effect (check for a change over time)")

    projected = projected_days = None
    if decision == "CONTINUE":
        projected = projected_responses(
            effect=float(nps["diff"][-1]),
            se=float(nps["se"][-1]),
            n=float(nps["n"][:, -1].sum()),
            margin=margin,
            alpha=nps_alpha,
            design=design,
            planned_responses=planned,
            spending=spending,
            past_responses=nps["n"].sum(axis=0),
        )
        if projected is not None:
            rate = float(nps["n"][:, -1].sum()) / span_days if span_days > 0 else math.nan
            projected_days = float(projected / rate) if rate > 0 else None

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
            status=_status(r["run_lo"][-1], r["run_hi"][-1], r["metric"].margin, r["metric"].direction),
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
        )
        for k in range(n_looks)
    )
    method = {
        "sequential": "asymptotic confidence sequence (Waudby-Smith et al. 2024), running intersection",
        "group-sequential": f"repeated confidence intervals, Lan-DeMets {spending}-type spending",
        "fixed": "fixed-horizon Wald interval for a difference of means",
    }[design]
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
    )


def _require_columns(frame: pd.DataFrame, *, score: str, group: str, time: str, extra: Sequence[str], file: str | None) -> None:
    present = ", ".join(map(repr, map(str, frame.columns)))
    if time not in frame.columns:
        raise NPSInputError(
            f"the time column is missing: decide needs when each answer was submitted to place it in a look; "
            f"the columns are {present}",
            file=file,
            column=time,
        )
    for role, col in (("score", score), ("group", group), *(("guardrail", c) for c in extra)):
        if col not in frame.columns:
            raise NPSInputError(f"{role} column {col!r} not found; the columns are {present}", file=file, column=col)


def _metric_values(m: _Metric, sub: pd.DataFrame, scores: np.ndarray, *, file: str | None, frame: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    if m.source == "nps":
        return np.where(scores >= PROMOTER_FROM, 1.0, np.where(scores >= PASSIVE_FROM, 0.0, -1.0))
    if m.source == "detractor_share":
        return (scores < PASSIVE_FROM).astype(float)
    if m.source == "promoter_share":
        return (scores >= PROMOTER_FROM).astype(float)
    labels = _row_labels(frame, rows)
    if m.source == "csat":
        parsed = parse_scores(sub[m.column], low=1, high=5, column=m.column, file=file, positions=labels)
        v = parsed.values
        return np.where(np.isnan(v), np.nan, (v >= 4).astype(float))
    raw = sub[m.column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(values) & raw.notna().to_numpy() & (raw.astype(str).str.strip() != "").to_numpy()
    bad |= np.isinf(values)
    if bad.any():
        shown = [(labels[i], raw.iloc[i]) for i in np.flatnonzero(bad)]
        raise NPSInputError(
            f"{int(bad.sum())} value(s) are not numbers: {describe_rows(shown)}", file=file, column=m.column, rows=shown[:20], count=int(bad.sum())
        )
    return values


def _nps_counts(scores: np.ndarray, arm: np.ndarray) -> tuple[NPSCounts, NPSCounts]:
    cat = np.where(scores >= PROMOTER_FROM, 2, np.where(scores >= PASSIVE_FROM, 1, 0))
    c = np.bincount(arm * 3 + cat, minlength=6).reshape(2, 3)
    return NPSCounts(*map(int, c[0])), NPSCounts(*map(int, c[1]))


def _rules(results: list[dict[str, Any]], n_looks: int, periods: list[Any]) -> tuple[Rule, ...]:
    out = []
    for r in results:
        m: _Metric = r["metric"]
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
    from .intervals import posterior_nps

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
        bounds = np.asarray(_gs_bounds(tuple(totals / planned_responses), alpha, spending))[len(past):]
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


# ------------------------------------------------------------------------------------------------ memo


def decision_memo(decision: Decision) -> str:
    """A decision memo in Markdown written from the result: the decision, the evidence, next steps."""
    d = decision
    level = f"{1 - d.nps_alpha:.1%}".replace(".0%", "%")
    interval_name = {
        "sequential": f"{level} confidence sequence (valid however often the data were examined)",
        "group-sequential": f"{level} repeated confidence interval of the group-sequential design",
        "fixed": f"{level} fixed-horizon confidence interval (valid only as the single planned analysis)",
    }[d.design]
    when = f" at look {d.decided_at_look} ({d.decided_at})" if d.decided_at_look else ""
    title = {
        "ROLL_BACK": f"Decision: ROLL BACK '{d.treatment}'",
        "KEEP": f"Decision: KEEP '{d.treatment}'" + (" (shown better than control)" if d.superiority else " (shown no worse than the margin)"),
        "CONTINUE": f"Decision: CONTINUE collecting responses for '{d.treatment}'",
    }[d.decision]
    harmed = [g for g in d.guardrails if g.status == "harm beyond margin"]
    nps_verdict = _status(d.ci_lower, d.ci_upper, d.margin, "higher_is_better")
    if nps_verdict == "harm beyond margin":
        finding = f"its upper end is below -{d.margin:g}, so harm beyond the do-no-harm margin is established{when}"
    elif nps_verdict == "non-inferior":
        finding = f"its lower end is above -{d.margin:g}, so the change is shown no worse than the margin"
        if d.superiority:
            finding += " and better than control"
    else:
        finding = f"it still contains -{d.margin:g}, so neither harm beyond the margin nor non-inferiority is established"
    evidence = (
        f"After {d.looks} look(s) with {d.n_treatment:,} '{d.treatment}' and {d.n_control:,} '{d.control}' responses, "
        f"NPS is {d.nps_treatment:+.1f} against {d.nps_control:+.1f}, a difference of {d.effect:+.1f} points. "
        f"The {interval_name} runs from {d.ci_lower:+.1f} to {d.ci_upper:+.1f} points; {finding}."
    )
    if d.guardrails:
        parts = [
            f"{g.metric} {g.effect:+.1f} {g.unit} [{g.ci_lower:+.1f}, {g.ci_upper:+.1f}], margin {g.margin:g}: {g.status}"
            for g in d.guardrails
        ]
        evidence += " Guardrails: " + "; ".join(parts) + "."
    evidence += (
        f" Bayesian view (uniform Dirichlet priors): P(effect < -{d.margin:g}) = {d.bayes.prob_harm_beyond_margin:.1%}, "
        f"P(effect < 0) = {d.bayes.prob_worse:.1%}; expected loss of keeping the change {d.bayes.expected_loss_keep:.1f} "
        f"points, of rolling it back {d.bayes.expected_loss_rollback:.1f} points."
    )
    detractors = int(d.treatment_counts.detractors)
    if d.decision == "ROLL_BACK":
        cause = "NPS" if nps_verdict == "harm beyond margin" else ", ".join(g.metric for g in harmed)
        steps = [
            f"Declare the failure: the change made {cause} worse by more than the agreed margin. Record it as a result, not a blame.",
            f"Roll '{d.treatment}' back out of the cohort's practices now; stop exposing new customers to it.",
            "Tell the teams: the front line who ran it, their managers and everyone who planned it, with this memo and the chart.",
            f"Plan follow-up of the {detractors:,} detractors in the '{d.treatment}' cohort: contact within 24 hours, "
            "listen, fix what can be fixed with a clear timeline, and log each case.",
            "Ask why several times (five whys) to find the root cause before choosing the next change to try on a new cohort.",
        ]
    elif d.decision == "KEEP":
        steps = [
            f"Keep '{d.treatment}'" + (" and roll it out further: it is shown better than control." if d.superiority else
                                       ": it is shown no worse than the margin, though not shown better."),
            "Tell the teams what was tried and what the customers said.",
            "Keep watching NPS and the guardrails as the change reaches more customers.",
            f"Follow up the {detractors:,} detractors in the '{d.treatment}' cohort within 24 hours, as for any detractor.",
        ]
    else:
        more = (
            f"about {d.projected_responses:,} more responses" + (f" (~{d.projected_days:.0f} days at the current rate)" if d.projected_days else "")
            if d.projected_responses is not None
            else "more responses than can be projected (the estimate sits near the margin)"
        )
        steps = [
            f"Keep the experiment running: if the current difference held, {more} would settle it.",
            "Do not stop on the point estimate alone; look again at the next period (every look is allowed).",
            f"Meanwhile follow up the {detractors:,} detractors in the '{d.treatment}' cohort within 24 hours.",
        ]
    notes = "".join(f"\n> Note: {n}\n" for n in d.notes)
    return (
        f"## {title}\n\n**Evidence.** {evidence}\n{notes}\n**Next steps.**\n\n"
        + "\n".join(f"{i}. {s}" for i, s in enumerate(steps, 1))
        + "\n"
    )


# ------------------------------------------------------------------------------------------------- CLI


def add_decide_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``nps-analysis decide FILE --score COL --group COL --time COL --treatment L --control L --margin M``."""
    from .cli import _add_input_options

    p = subparsers.add_parser(
        "decide",
        help="roll back / keep / continue: a do-no-harm decision valid under repeated looks",
        description="Decide whether to roll a change back (exit 3 with --fail-on-rollback), keep it, or keep collecting.",
    )
    _add_input_options(p)
    p.add_argument("--group", required=True, metavar="COL", help="column with the arm labels")
    p.add_argument("--time", required=True, metavar="COL", help="column with the submission time (or day number)")
    p.add_argument("--treatment", required=True, metavar="LABEL")
    p.add_argument("--control", required=True, metavar="LABEL")
    p.add_argument("--margin", required=True, type=float, help="tolerated harm in NPS points, e.g. 5")
    p.add_argument("--guardrail", action="append", default=[], metavar="SPEC",
                   help="METRIC[:COLUMN]=MARGIN[:higher|lower], e.g. detractor_share=3, csat=5 (repeatable)")
    p.add_argument("--design", choices=list(DESIGNS), default="sequential")
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--planned-responses", type=float, metavar="N", help="planned total responses (both arms)")
    p.add_argument("--spending", choices=list(SPENDING_FUNCTIONS), default="obrien-fleming")
    p.add_argument("--look", default="D", help="look period for date columns: D (default), W, h")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument("--fail-on-rollback", action="store_true", help="exit with status 3 when the decision is ROLL_BACK")
    p.set_defaults(handler=cmd_decide)
    return p


#: Exit status of ``decide --fail-on-rollback`` on ROLL_BACK, for schedulers to alert on.
EXIT_ROLLBACK = 3


def cmd_decide(args: argparse.Namespace) -> int:
    """Run :func:`decide` on a file and print the decision as a table or JSON."""
    import json
    import sys

    from .cli import _load

    frame = _load(args, [args.group])  # decide() names a missing time column itself
    result = decide(
        frame,
        score=args.score,
        group=args.group,
        time=args.time,
        treatment=args.treatment,
        control=args.control,
        margin=args.margin,
        guardrails=args.guardrail,
        alpha=args.alpha,
        design=args.design,
        planned_responses=args.planned_responses,
        spending=args.spending,
        look=args.look,
    )
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        out = sys.stdout
        out.write(
            f"{result.decision}: {result.treatment} vs {result.control} ({args.file})\n"
            f"effect {result.effect:+.1f} NPS points, interval [{result.ci_lower:+.1f}, {result.ci_upper:+.1f}], "
            f"margin -{result.margin:g}, {result.looks} looks, {result.design} design\n"
        )
        if result.decided_at_look:
            out.write(f"decided at look {result.decided_at_look} ({result.decided_at})\n")
        if result.projected_responses is not None:
            days = f" (~{result.projected_days:.0f} days)" if result.projected_days else ""
            out.write(f"projected further responses needed: {result.projected_responses:,}{days}\n")
        out.write("\nrule trace:\n")
        for r in result.rules:
            out.write(f"  {r.text}\n")
        b = result.bayes
        out.write(
            f"\nBayesian: P(effect < -{result.margin:g}) = {b.prob_harm_beyond_margin:.3f}, "
            f"expected loss of keeping {b.expected_loss_keep:.2f} points\n"
        )
    if args.fail_on_rollback and result.decision == "ROLL_BACK":
        return EXIT_ROLLBACK
    return 0
