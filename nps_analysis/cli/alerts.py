"""``nps-analysis alerts``: the alert list of a survey export as a table or CSV.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..analyses.alerts import alert_list, describe_alerts
from ..analyses.tracking import CORRECTION_NAMES
from ..report.exports import write_alerts


def _pairs(values: Sequence[str], what: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in values:
        column, sep, value = item.partition("=")
        if not sep or not column.strip() or not value.strip():
            raise ValueError(f"{what} takes COLUMN=VALUE, got {item!r}")
        out.setdefault(column.strip(), []).append(value.strip())
    return out


def add_alerts_parser(subparsers: Any) -> Any:
    """Register ``nps-analysis alerts FILE --score COL --as-of T [--drop-by COL] [--key-account COL=V]``."""
    from .common import add_input_options

    p = subparsers.add_parser(
        "alerts",
        help="alert list (CSV + JSON) for a scheduler: key-account detractors, keywords, significant drops",
        description="Write alerts.csv and alerts.json; the kit sends nothing itself. Personal data is masked.",
    )
    add_input_options(p)
    p.add_argument("--as-of", required=True, help="when the report runs, with its time zone, or 'now'")
    p.add_argument("--window", default="7D", help="answers looked at: the last WINDOW before --as-of (default 7D)")
    p.add_argument("--key-account", action="append", default=[], metavar="COL=VALUE",
                   help="a detractor whose COL equals VALUE alerts at once (repeatable)")
    p.add_argument("--keyword", action="append", default=None, metavar="WORD",
                   help="comment keyword (repeatable; 'wait*' matches waiting); default: the built-in list")
    p.add_argument("--no-keywords", action="store_true", help="turn the keyword rule off")
    p.add_argument("--drop-by", action="append", default=[], metavar="COL", help="segments whose NPS drop alerts")
    p.add_argument("--freq", default="W", help="period of the drop test: W (default) or M")
    p.add_argument("--min-n", type=int, default=30)
    p.add_argument("--correction", choices=sorted(CORRECTION_NAMES), default="holm")
    p.add_argument("--timezone", default="UTC", help="zone of times without offset and the report calendar")
    p.add_argument("--text", default="comment", metavar="COL", help="comment column")
    p.add_argument("--output-dir", default=".", metavar="DIR")
    p.add_argument("--fail-on-high", action="store_true", help="exit with status 3 when a high-severity alert exists")
    p.set_defaults(handler=cmd_alerts)
    return p


def cmd_alerts(args: Any) -> int:
    """Handler of ``nps-analysis alerts``: writes the files, prints one line; 3 with --fail-on-high."""
    import sys

    from .common import load_input

    frame = load_input(args, [*args.drop_by])
    alerts = alert_list(
        frame, as_of=args.as_of, window=args.window, key_accounts=_pairs(args.key_account, "--key-account"),
        keywords=[] if args.no_keywords else args.keyword, drop_by=args.drop_by or None, freq=args.freq,
        min_n=args.min_n, correction=args.correction, score=args.score, text=args.text, timezone=args.timezone,
        date_format=args.date_format, dayfirst=args.dayfirst,
    )
    csv_path, json_path = write_alerts(alerts, args.output_dir)
    sys.stdout.write(f"{describe_alerts(alerts)}\n{csv_path}\n{json_path}\n")
    return 3 if args.fail_on_high and (alerts["severity"] == "high").any() else 0
