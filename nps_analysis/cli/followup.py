"""``nps-analysis followup``: the follow-up queue summary and compliance as of a moment.
"""

from __future__ import annotations

from typing import Any

from ..analyses.followup import compliance, describe_queue, followup_queue, queue_summary
from ..report.exports import export_queue


def add_followup_parser(subparsers: Any) -> Any:
    """Register ``nps-analysis followup FILE --score COL --as-of T [--log LOG] [--route-by COL]``."""
    from .common import add_input_options

    p = subparsers.add_parser(
        "followup",
        help="follow-up queue as of a moment: deadlines, owners, overdue; compliance per owner",
        description="Print the queue summary and compliance; write the queue (personal data masked) with --output.",
    )
    add_input_options(p)
    p.add_argument("--log", metavar="FILE", help="the follow-up log")
    p.add_argument("--as-of", required=True, help="the moment the queue describes, with its time zone, or 'now'")
    p.add_argument("--deadline", action="append", default=[], metavar="CATEGORY=HOURS",
                   help="e.g. detractor=12 (repeatable; defaults 24, 48 and 168 hours)")
    p.add_argument("--route-by", metavar="COL", help="column whose value is the owner")
    p.add_argument("--holdout", metavar="COL=VALUE", help="answers deliberately not contacted")
    p.add_argument("--clock", choices=["elapsed", "local"], default="elapsed")
    p.add_argument("--timezone", default="UTC", help="zone of times without offset when there is no timezone column")
    p.add_argument("--output", metavar="DIR", help="write followup_queue.csv there")
    p.add_argument("--fail-on-overdue", action="store_true", help="exit with status 3 when a follow-up is overdue")
    p.set_defaults(handler=cmd_followup)
    return p


def cmd_followup(args: Any) -> int:
    """Handler of ``nps-analysis followup``: summary and compliance on stdout; 3 with --fail-on-overdue."""
    import sys

    from ..sources.load import load
    from .common import load_input

    frame = load_input(args, [])
    log = load(args.log) if args.log else None
    deadlines: dict[str, str] = {}
    for item in args.deadline:
        category, sep, hours = item.partition("=")
        if not sep:
            raise ValueError(f"--deadline takes CATEGORY=HOURS, got {item!r}")
        deadlines[category.strip()] = float(hours) if hours.strip().replace(".", "", 1).isdigit() else hours.strip()
    holdout = None
    if args.holdout:
        column, sep, value = args.holdout.partition("=")
        if not sep:
            raise ValueError(f"--holdout takes COL=VALUE, got {args.holdout!r}")
        holdout = {column.strip(): value.strip()}
    queue = followup_queue(frame, log=log, as_of=args.as_of, deadlines=deadlines, routing=args.route_by,
                           holdout=holdout, score=args.score, clock=args.clock, timezone=args.timezone,
                           date_format=args.date_format, dayfirst=args.dayfirst)
    sys.stdout.write(describe_queue(queue) + "\n\n")
    sys.stdout.write(queue_summary(queue).to_string(index=False) + "\n\n")
    sys.stdout.write(compliance(queue, by="owner").round(1).to_string(index=False) + "\n")
    if args.output:
        sys.stdout.write(f"{export_queue(queue, args.output)}\n")
    return 3 if args.fail_on_overdue and (queue["status"] == "overdue").any() else 0
