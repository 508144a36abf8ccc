"""``nps-analysis decide``: roll back, keep or continue, with exit code 3 for ROLL_BACK.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..analyses.decision import decide
from ..analyses.decision_rules import DESIGNS
from ..stats.decision_bounds import MIN_RESPONSES_PER_ARM
from ..stats.sequential import (
    SPENDING_FUNCTIONS,
)


def add_decide_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``nps-analysis decide FILE --score COL --group COL --time COL --treatment L --control L --margin M``."""
    from .common import add_engine_option, add_input_options

    p = subparsers.add_parser(
        "decide",
        help="roll back / keep / continue: a do-no-harm decision valid under repeated looks",
        description="Decide whether to roll a change back (exit 3 with --fail-on-rollback), keep it, or keep collecting.",
    )
    add_input_options(p)
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
    p.add_argument("--planned-days", type=float, metavar="DAYS",
                   help="horizon in days stated before looking: tunes the sequential design to it (see docs/sequential.md)")
    p.add_argument("--min-responses", type=int, default=MIN_RESPONSES_PER_ARM, metavar="N",
                   help=f"answers each arm needs before any rule is applied (default {MIN_RESPONSES_PER_ARM})")
    p.add_argument("--spending", choices=list(SPENDING_FUNCTIONS), default="obrien-fleming")
    p.add_argument("--look", default="D", help="look period for date columns: D (default), W, h")
    p.add_argument("--format", choices=["table", "json"], default="table")
    add_engine_option(p)
    p.add_argument("--fail-on-rollback", action="store_true", help="exit with status 3 when the decision is ROLL_BACK")
    p.set_defaults(handler=cmd_decide)
    return p


#: Exit status of ``decide --fail-on-rollback`` on ROLL_BACK, for schedulers to alert on.
EXIT_ROLLBACK = 3


def cmd_decide(args: argparse.Namespace) -> int:
    """Run :func:`decide` on a file and print the decision as a table or JSON."""
    import json
    import sys

    from .common import engine_table, load_input

    table = engine_table(args, [args.group])
    # decide() names a missing time column itself.
    frame = table if table is not None else load_input(args, [args.group])
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
        date_format=args.date_format,
        dayfirst=args.dayfirst,
        planned_days=args.planned_days,
        min_responses=args.min_responses,
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
