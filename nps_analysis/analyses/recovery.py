"""Does follow-up work? Re-survey pairs, category transitions, the follow-up effect and the
comparison against a holdout that was deliberately not contacted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..sources.columns import clean_ids, lean_frame, require_frame_columns
from ..sources.dates import to_utc
from ..sources.errors import NPSInputError
from ..sources.results import ResultMixin
from ..sources.scores import CATEGORIES, category_labels, parse_scores
from ..stats.intervals import newcombe_interval
from ..stats.scoring import NPSCounts, wilson_interval
from .followup import validate_followup_log
from .formatting import p_text


def resurvey_pairs(
    responses: pd.DataFrame,
    *,
    customer: str = "customer_id",
    score: str = "score",
    response_id: str = "response_id",
    time: str = "submitted_at",
    timezone_column: str | None = "timezone",
    timezone: str = "UTC",
    date_format: str | None = None,
    dayfirst: bool = False,
    min_gap: Any = "1D",
    max_gap: Any = "365D",
) -> pd.DataFrame:
    """Pairs of consecutive answers by the same customer (before -> after), for re-survey analyses.

    Each customer's scored responses are ordered in time and every response is paired with the
    customer's next one when the gap is within ``[min_gap, max_gap]``. A customer surveyed three
    times gives two pairs (they are not independent; most re-survey designs ask twice).

    Returns:
        ``customer``, ``before_id``, ``before_time``, ``before_score``, ``before_category``,
        ``after_id``, ``after_time``, ``after_score``, ``after_category``, ``gap_days``.
    """
    responses, _ = lean_frame(responses)
    require_frame_columns(responses, [customer, score, time, response_id], what="responses", file=None)
    parsed = parse_scores(responses[score], column=score)
    zones = responses[timezone_column] if timezone_column and timezone_column in responses.columns else None
    t = to_utc(responses[time], zones=zones, timezone=timezone, column=time, date_format=date_format, dayfirst=dayfirst)
    frame = pd.DataFrame(
        {
            "customer": clean_ids(responses[customer]).to_numpy(),
            "id": clean_ids(responses[response_id]).to_numpy(),
            "time": t.array,
            "score": parsed.values,
        }
    )
    frame = frame[frame["score"].notna() & frame["time"].notna() & frame["customer"].notna()]
    frame = frame.sort_values(["customer", "time"], kind="stable")
    nxt = frame.groupby("customer", sort=False).shift(-1)
    gap = nxt["time"] - frame["time"]
    ok = nxt["id"].notna() & (gap >= pd.Timedelta(min_gap)) & (gap <= pd.Timedelta(max_gap))
    pairs = pd.DataFrame(
        {
            customer: frame["customer"][ok].to_numpy(),
            "before_id": frame["id"][ok].to_numpy(),
            "before_time": frame["time"][ok].array,
            "before_score": frame["score"][ok].to_numpy(),
            "before_category": category_labels(frame["score"][ok].to_numpy()),
            "after_id": nxt["id"][ok].to_numpy(),
            "after_time": nxt["time"][ok].array,
            "after_score": nxt["score"][ok].to_numpy(dtype=float),
            "after_category": category_labels(nxt["score"][ok].to_numpy(dtype=float)),
            "gap_days": (gap[ok] / pd.Timedelta(days=1)).to_numpy(),
        }
    )
    return pairs.reset_index(drop=True)


@dataclass(frozen=True)
class TransitionMatrix(ResultMixin):
    """Category before -> category after for re-surveyed customers, with detractor recovery.

    ``counts[i][j]``: pairs in category ``i`` before (detractor, passive, promoter) and ``j`` after.
    ``recovery_rate`` is the % of detractors before who are no longer detractors after, with a
    Wilson interval; ``promoted_rate`` the % of them who became promoters.
    """

    counts: tuple[tuple[int, int, int], tuple[int, int, int], tuple[int, int, int]]
    n_pairs: int
    detractors_before: int
    recovered: int
    recovery_rate: float
    ci_lower: float
    ci_upper: float
    promoted: int
    promoted_rate: float
    nps_before: float
    nps_after: float
    confidence_level: float

    def table(self, *, shares: bool = False) -> pd.DataFrame:
        """The matrix as a DataFrame (rows: before, columns: after); ``shares`` gives row %."""
        m = pd.DataFrame(self.counts, index=pd.Index(CATEGORIES, name="before"),
                         columns=pd.Index(CATEGORIES, name="after"))
        if shares:
            m = 100.0 * m.div(m.sum(axis=1).where(m.sum(axis=1) > 0), axis=0)
        return m

    def _repr_html_(self) -> str:
        return super()._repr_html_() + self.table_html(self.table().reset_index(), caption="Category before (rows) and after (columns)")


def transition_matrix(
    data: pd.DataFrame, *, confidence_level: float = 0.95, **pair_options: Any
) -> TransitionMatrix:
    """The before -> after category transition matrix and the recovery rate of detractors.

    Args:
        data: re-survey pairs from :func:`resurvey_pairs`, or responses (then paired with
            ``pair_options`` passed to :func:`resurvey_pairs`).

    The recovery rate has a Wilson (1927) interval. Read it with :func:`followup_effect`'s warning
    in mind: detractors picked for a low score regress towards the mean when asked again.
    """
    pairs = data if {"before_category", "after_category"} <= set(data.columns) else resurvey_pairs(data, **pair_options)
    b = pd.Categorical(pairs["before_category"], categories=list(CATEGORIES)).codes
    a = pd.Categorical(pairs["after_category"], categories=list(CATEGORIES)).codes
    ok = (a >= 0) & (b >= 0)
    m = np.bincount(b[ok] * 3 + a[ok], minlength=9).reshape(3, 3)
    det = int(m[0].sum())
    recovered = int(m[0, 1] + m[0, 2])
    lo, hi = wilson_interval(recovered, det, confidence_level)
    before = NPSCounts(*m.sum(axis=1).tolist())
    after = NPSCounts(*m.sum(axis=0).tolist())
    return TransitionMatrix(
        counts=tuple(tuple(int(v) for v in row) for row in m),  # type: ignore[arg-type]
        n_pairs=int(m.sum()),
        detractors_before=det,
        recovered=recovered,
        recovery_rate=100.0 * recovered / det if det else math.nan,
        ci_lower=100.0 * lo if det else math.nan,
        ci_upper=100.0 * hi if det else math.nan,
        promoted=int(m[0, 2]),
        promoted_rate=100.0 * m[0, 2] / det if det else math.nan,
        nps_before=before.nps if before.n else math.nan,
        nps_after=after.nps if after.n else math.nan,
        confidence_level=confidence_level,
    )


@dataclass(frozen=True)
class FollowupEffect(ResultMixin):
    """Re-surveyed customers of one category, contacted before the re-survey against not contacted.

    Rates and the difference are in % / percentage points. The difference is descriptive: read
    ``warning`` (regression to the mean and selection). ``nps_after_*`` are the re-survey NPS.
    """

    category: str
    contacted: int
    contacted_recovered: int
    contacted_rate: float
    contacted_ci_lower: float
    contacted_ci_upper: float
    not_contacted: int
    not_contacted_recovered: int
    not_contacted_rate: float
    not_contacted_ci_lower: float
    not_contacted_ci_upper: float
    difference: float
    ci_lower: float
    ci_upper: float
    nps_before_contacted: float
    nps_after_contacted: float
    nps_before_not_contacted: float
    nps_after_not_contacted: float
    method: str
    confidence_level: float
    warning: str


def _contacted_between(pairs: pd.DataFrame, log: pd.DataFrame | None, response_id: str) -> np.ndarray:
    if log is None or "contacted_at" not in log.columns:
        return np.zeros(len(pairs), dtype=bool)
    entries = log.assign(**{response_id: clean_ids(log[response_id])}).set_index(response_id)
    contact = pd.to_datetime(entries["contacted_at"], utc=True)
    when = pd.Series(pairs["before_id"].map(contact).to_numpy(), dtype="datetime64[ns, UTC]")
    after = pd.Series(pairs["after_time"].to_numpy(), dtype="datetime64[ns, UTC]")
    return (when.notna() & (when <= after)).to_numpy()


def followup_effect(
    responses: pd.DataFrame,
    *,
    log: pd.DataFrame | None,
    category: str = "detractor",
    confidence_level: float = 0.95,
    response_id: str = "response_id",
    timezone_column: str | None = "timezone",
    timezone: str = "UTC",
    date_format: str | None = None,
    dayfirst: bool = False,
    **pair_options: Any,
) -> FollowupEffect:
    """Recovery of re-surveyed customers who were contacted after their answer against those who were not.

    "Recovered" means no longer a detractor at the re-survey (for ``category="passive"`` or
    ``"promoter"``: a higher category, resp. still a promoter). Contacted means a contact in the
    follow-up log between the first answer and the re-survey. Each group's rate has a Wilson
    interval; the difference (contacted minus not contacted) Newcombe's (1998) hybrid score
    interval (:func:`newcombe_interval`).

    This comparison is *not* an effect of follow-up. Regression to the mean lifts detractors who
    are asked again whether or not anybody called, and who gets called is not random. The result
    carries that warning, with the numbers, in ``warning``; a randomised holdout answers the
    question properly.
    """
    if category not in CATEGORIES:
        raise ValueError(f"category must be one of {list(CATEGORIES)}, got {category!r}")
    pairs = resurvey_pairs(responses, response_id=response_id, timezone_column=timezone_column,
                           timezone=timezone, date_format=date_format, dayfirst=dayfirst, **pair_options)
    if log is not None:
        log = validate_followup_log(log, responses=responses, response_id=response_id,
                                    timezone_column=timezone_column, timezone=timezone, date_format=date_format, dayfirst=dayfirst)
    pairs = pairs[pairs["before_category"] == category]
    contacted = _contacted_between(pairs, log, response_id)
    level = CATEGORIES.index(category)
    after_level = pd.Categorical(pairs["after_category"], categories=list(CATEGORIES)).codes
    success = after_level > level if category != "promoter" else after_level == level

    def group(mask: np.ndarray) -> tuple[int, int, float, float, float, float, float]:
        n = int(mask.sum())
        x = int(success[mask].sum())
        lo, hi = wilson_interval(x, n, confidence_level)
        before = NPSCounts.from_scores(pairs["before_score"][mask].astype(int).to_numpy())
        after = NPSCounts.from_scores(pairs["after_score"][mask].astype(int).to_numpy())
        rate = 100.0 * x / n if n else math.nan
        return (n, x, rate, 100.0 * lo if n else math.nan, 100.0 * hi if n else math.nan,
                before.nps if n else math.nan, after.nps if n else math.nan)

    n1, x1, r1, l1, u1, b1, a1 = group(contacted)
    n0, x0, r0, l0, u0, b0, a0 = group(~contacted)
    dlo, dhi = newcombe_interval(x1, n1, x0, n0, confidence_level=confidence_level)
    diff = r1 - r0 if n1 and n0 else math.nan
    what = {"detractor": "no longer detractors", "passive": "promoters",
            "promoter": "still promoters"}[category]
    holdout_note = (
        " Where contact was withheld at random from a holdout group, compare the groups as "
        "assigned (holdout comparison) instead: that estimate is free of both biases."
    )
    if n0:
        rtm = (
            f"Regression to the mean: customers picked because they answered as {category}s tend to "
            f"answer differently when asked again, with or without a call. Of the {n0} {category}s "
            f"who were not contacted, {r0:.0f}% were {what} at the re-survey (NPS {b0:+.0f} -> "
            f"{a0:+.0f}) with no follow-up at all, so a before-after change of contacted customers "
            "alone says nothing about follow-up."
        )
    else:
        rtm = (
            "Regression to the mean: customers picked for their answer tend to answer differently "
            "when asked again, with or without a call; with no re-surveyed customers left "
            "uncontacted there is nothing to compare against."
        )
    selection = (
        f" Selection: who was contacted was not random (reachable customers, fixable problems, "
        f"teams with time), so the difference of {diff:+.0f} points between contacted and not "
        f"contacted ({x1}/{n1} vs {x0}/{n0}) mixes the effect of follow-up with who was chosen."
        if n1 and n0 else " Selection: who was contacted was not random."
    )
    return FollowupEffect(
        category=category,
        contacted=n1, contacted_recovered=x1, contacted_rate=r1,
        contacted_ci_lower=l1, contacted_ci_upper=u1,
        not_contacted=n0, not_contacted_recovered=x0, not_contacted_rate=r0,
        not_contacted_ci_lower=l0, not_contacted_ci_upper=u0,
        difference=diff,
        ci_lower=100.0 * dlo if n1 and n0 else math.nan,
        ci_upper=100.0 * dhi if n1 and n0 else math.nan,
        nps_before_contacted=b1, nps_after_contacted=a1,
        nps_before_not_contacted=b0, nps_after_not_contacted=a0,
        method="Wilson per group; Newcombe (1998) hybrid score interval for the difference",
        confidence_level=confidence_level,
        warning=rtm + selection + holdout_note,
    )


@dataclass(frozen=True)
class HoldoutComparison(ResultMixin):
    """Randomised holdout: re-survey NPS of customers assigned to follow-up against the holdout.

    Customers are compared as assigned (intention to treat), whether or not the contact happened,
    so neither regression to the mean (both arms regress alike) nor selection biases it. The
    survey only sees customers who answer again: ``resurvey_rate_*`` and their difference
    (Newcombe interval) check that re-survey response is balanced between the arms.

    Attributes:
        comparison: :func:`nps_analysis.compare` of the re-survey scores, contact arm as treatment.
        recovery_*: % of the arm's re-surveyed customers who left ``category`` (for detractors:
            no longer detractors), with the Newcombe (1998) interval of the difference.
        contacted_share / holdout_contacted: how many of each arm were actually contacted before
            the re-survey (non-compliance dilutes the intention-to-treat effect).
        decision: :func:`nps_analysis.decide` on the re-surveys when a ``margin`` was given.
        note: the checks in words.
    """

    category: str
    contact_arm: str
    holdout_arm: str
    assigned_contact: int
    assigned_holdout: int
    resurveyed_contact: int
    resurveyed_holdout: int
    resurvey_rate_contact: float
    resurvey_rate_holdout: float
    resurvey_rate_difference: float
    resurvey_ci_lower: float
    resurvey_ci_upper: float
    comparison: Any
    recovery_contact: float
    recovery_holdout: float
    recovery_difference: float
    recovery_ci_lower: float
    recovery_ci_upper: float
    contacted_share: float
    holdout_contacted: int
    confidence_level: float
    decision: Any
    note: str

    def summary(self) -> str:
        """The comparison in one paragraph, written from the numbers."""
        c = self.comparison
        level = int(round(100 * self.confidence_level))
        text = (
            f"Randomised holdout, {self.category}s compared as assigned: at the re-survey the follow-up arm "
            f"scored NPS {c.treatment.nps:+.0f} (n = {int(c.treatment.n)}) and the holdout {c.control.nps:+.0f} "
            f"(n = {int(c.control.n)}), a difference of {c.difference:+.1f} points ({level}% CI "
            f"{c.ci_lower:+.1f} to {c.ci_upper:+.1f}, {p_text(c.pvalue)}). "
            f"{self.recovery_contact:.0f}% against {self.recovery_holdout:.0f}% were no longer {self.category}s "
            f"({self.recovery_difference:+.0f} points, {level}% CI {self.recovery_ci_lower:+.0f} to "
            f"{self.recovery_ci_upper:+.0f})."
        )
        if self.decision is not None:
            text += f" Decision rule: {self.decision.decision}."
        return text + " " + self.note


def holdout_comparison(
    responses: pd.DataFrame,
    *,
    log: pd.DataFrame | None = None,
    arm: str = "followup_arm",
    contact: Any = "contact",
    holdout: Any = "holdout",
    category: str = "detractor",
    method: str = "mover-score",
    confidence_level: float = 0.95,
    margin: float | None = None,
    response_id: str = "response_id",
    timezone_column: str | None = "timezone",
    timezone: str = "UTC",
    date_format: str | None = None,
    dayfirst: bool = False,
    **pair_options: Any,
) -> HoldoutComparison:
    """Does follow-up work? The proper answer where contact was withheld at random from a holdout.

    The answers of ``category`` (default detractors) carry their random assignment in ``arm``
    (``contact`` or ``holdout``; other values, e.g. empty for answers that were never
    randomised, are left out). Their next answers (:func:`resurvey_pairs`) are compared by arm with
    :func:`nps_analysis.compare` (``method``; the contact arm is the treatment), which also runs
    the rank and ordinal tests on the 0-10 answers. With ``margin`` (NPS points of harm tolerated,
    e.g. when a cheaper follow-up replaces calls) :func:`nps_analysis.decide` gives the
    roll-back / keep / continue decision on the re-surveys, looking week by week.

    Checks reported in ``note``: the re-survey response rate by arm (an imbalance means the arms
    compared are no longer alike), contacts in the holdout (contamination) and the share of the
    contact arm actually contacted (with a ``log``).
    """
    from ..stats.compare import compare

    if category not in CATEGORIES:
        raise ValueError(f"category must be one of {list(CATEGORIES)}, got {category!r}")
    responses, _ = lean_frame(responses)
    require_frame_columns(responses, [arm, response_id], what="responses", file=None)
    ids = clean_ids(responses[response_id])
    labels = clean_ids(responses[arm])
    parsed = parse_scores(responses["score" if "score" not in pair_options else pair_options["score"]])
    cats = category_labels(parsed.values)
    in_cat = cats == category
    is_contact = (labels == str(contact)).to_numpy() & in_cat
    is_hold = (labels == str(holdout)).to_numpy() & in_cat
    if not is_contact.any() or not is_hold.any():
        raise NPSInputError(
            f"holdout comparison needs {category}s in both arms of {arm!r} ({contact!r}: {int(is_contact.sum())}, "
            f"{holdout!r}: {int(is_hold.sum())})", column=arm)
    pairs = resurvey_pairs(responses, response_id=response_id, timezone_column=timezone_column,
                           timezone=timezone, date_format=date_format, dayfirst=dayfirst, **pair_options)
    arm_of = pd.Series(labels.to_numpy(), index=ids.to_numpy())
    pairs = pairs[pairs["before_id"].isin(ids[is_contact | is_hold])].copy()
    pairs["arm"] = pairs["before_id"].map(arm_of).to_numpy()
    treat = pairs[pairs["arm"] == str(contact)]
    ctrl = pairs[pairs["arm"] == str(holdout)]
    if treat.empty or ctrl.empty:
        raise NPSInputError(f"no re-surveyed {category}s in the {'contact' if treat.empty else 'holdout'} arm yet")
    comparison = compare(treat["after_score"].astype(int).to_numpy(), ctrl["after_score"].astype(int).to_numpy(),
                         method=method, confidence_level=confidence_level)
    n1, n0 = int(is_contact.sum()), int(is_hold.sum())
    r1, r0 = len(treat), len(ctrl)
    rlo, rhi = newcombe_interval(r1, n1, r0, n0, confidence_level=confidence_level)
    level = CATEGORIES.index(category)

    def recovered(frame: pd.DataFrame) -> int:
        after = pd.Categorical(frame["after_category"], categories=list(CATEGORIES)).codes
        return int((after > level).sum() if category != "promoter" else (after == level).sum())

    x1, x0 = recovered(treat), recovered(ctrl)
    dlo, dhi = newcombe_interval(x1, r1, x0, r0, confidence_level=confidence_level)
    contacted_share = math.nan
    holdout_contacted = 0
    if log is not None:
        checked = validate_followup_log(log, responses=responses, response_id=response_id,
                                        timezone_column=timezone_column, timezone=timezone, date_format=date_format, dayfirst=dayfirst)
        contacted_share = 100.0 * float(_contacted_between(treat, checked, response_id).mean())
        holdout_contacted = int(_contacted_between(ctrl, checked, response_id).sum())
    decision = None
    if margin is not None:
        from .decision import decide

        frame = pd.DataFrame({"score": pairs["after_score"].astype(int).to_numpy(), "arm": pairs["arm"].to_numpy(),
                              "time": pd.to_datetime(pairs["after_time"], utc=True).to_numpy()})
        decision = decide(frame, score="score", group="arm", time="time", treatment=str(contact),
                          control=str(holdout), margin=margin, look="W")
    notes = []
    if rlo > 0 or rhi < 0:
        notes.append(
            f"Warning: re-survey response differs between the arms ({100 * r1 / n1:.0f}% vs {100 * r0 / n0:.0f}%, "
            f"{int(round(100 * confidence_level))}% CI of the difference {100 * rlo:+.0f} to {100 * rhi:+.0f} points): "
            "the customers who answered again may no longer be comparable."
        )
    else:
        notes.append(f"Re-survey response is balanced between the arms ({100 * r1 / n1:.0f}% vs {100 * r0 / n0:.0f}%).")
    if holdout_contacted:
        notes.append(f"{holdout_contacted} holdout customers were contacted anyway: the effect is diluted.")
    if not math.isnan(contacted_share):
        notes.append(f"{contacted_share:.0f}% of the follow-up arm was actually contacted before the re-survey "
                     "(the comparison is by assignment, so it estimates the effect of the follow-up policy).")
    return HoldoutComparison(
        category=category, contact_arm=str(contact), holdout_arm=str(holdout),
        assigned_contact=n1, assigned_holdout=n0, resurveyed_contact=r1, resurveyed_holdout=r0,
        resurvey_rate_contact=100.0 * r1 / n1, resurvey_rate_holdout=100.0 * r0 / n0,
        resurvey_rate_difference=100.0 * (r1 / n1 - r0 / n0),
        resurvey_ci_lower=100.0 * rlo, resurvey_ci_upper=100.0 * rhi,
        comparison=comparison,
        recovery_contact=100.0 * x1 / r1, recovery_holdout=100.0 * x0 / r0,
        recovery_difference=100.0 * (x1 / r1 - x0 / r0),
        recovery_ci_lower=100.0 * dlo, recovery_ci_upper=100.0 * dhi,
        contacted_share=contacted_share, holdout_contacted=holdout_contacted,
        confidence_level=confidence_level, decision=decision, note=" ".join(notes),
    )
