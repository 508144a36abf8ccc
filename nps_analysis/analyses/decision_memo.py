"""The decision memo: a roll-back decision written out in Markdown from its numbers.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .decision_rules import verdict_status

if TYPE_CHECKING:  # for annotations only: decision.py imports this module
    from .decision import Decision


def decision_memo(decision: Decision) -> str:
    """A decision memo in Markdown written from the result: the decision, the evidence, next steps."""
    d = decision
    level = f"{1 - d.nps_alpha:.1%}".replace(".0%", "%")
    sides = (
        f" (lower bound at one-sided {d.noninf_alpha:.2%}, upper at {d.harm_alpha:.2%}: ROLL_BACK on any metric splits alpha, KEEP does not)"
        if math.isfinite(d.harm_alpha) and not math.isclose(d.harm_alpha, d.noninf_alpha)
        else ""
    )
    horizon = f", tuned to the {d.planned_days:g}-day horizon stated before looking" if d.planned_days else ""
    interval_name = {
        "sequential": f"{level} confidence sequence{horizon} (valid however often the data were examined)",
        "group-sequential": f"{level} repeated confidence interval of the group-sequential design",
        "fixed": f"{level} fixed-horizon confidence interval (valid only as the single planned analysis)",
    }[d.design] + sides
    when = f" at look {d.decided_at_look} ({d.decided_at})" if d.decided_at_look else ""
    title = {
        "ROLL_BACK": f"Decision: ROLL BACK '{d.treatment}'",
        "KEEP": f"Decision: KEEP '{d.treatment}'" + (" (shown better than control)" if d.superiority else " (shown no worse than the margin)"),
        "CONTINUE": f"Decision: CONTINUE collecting responses for '{d.treatment}'",
    }[d.decision]
    harmed = [g for g in d.guardrails if g.status == "harm beyond margin"]
    nps_verdict = verdict_status(d.ci_lower, d.ci_upper, d.margin, "higher_is_better")
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
