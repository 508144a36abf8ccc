"""The ``nps-analysis`` command line: score, compare, size an experiment, run reports.

Every error is one line on stderr and a non-zero exit (2 for bad input or usage); ``--debug``
shows the traceback instead.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CLIError,
    add_engine_option,
    add_input_options,
    add_stats_options,
)
from .compare import cmd_compare
from .samples import cmd_sample, cmd_sample_size, cmd_samples
from .score import cmd_score


def build_parser() -> argparse.ArgumentParser:
    from ..stats.compare import COMPARE_METHODS
    from ..stats.intervals import INTERVAL_METHODS

    parser = argparse.ArgumentParser(
        prog="nps-analysis",
        description="Net Promoter Score analysis: honest intervals, cohort experiments, reports.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("score", help="NPS with intervals, overall or per group")
    add_input_options(p)
    p.add_argument("--by", action="extend", nargs="+", default=[], metavar="COL",
                   help="group by these columns: --by region arm is --by region --by arm")
    add_stats_options(p, INTERVAL_METHODS)
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    p.add_argument(
        "--engine",
        choices=["auto", "pandas", "duckdb"],
        default="auto",
        help="count with pandas, or with DuckDB without loading rows (auto: DuckDB for CSV/Parquet >= 2 MiB)",
    )
    p.set_defaults(handler=cmd_score)

    p = sub.add_parser("compare", help="difference in NPS between a treatment and a control cohort")
    add_input_options(p)
    p.add_argument("--group", required=True, metavar="COL", help="column with the arm labels")
    p.add_argument("--treatment", required=True, metavar="LABEL")
    p.add_argument("--control", required=True, metavar="LABEL")
    add_stats_options(p, COMPARE_METHODS)
    p.add_argument("--alternative", choices=["two-sided", "less", "greater"], default="two-sided")
    p.add_argument(
        "--cluster", metavar="COL",
        help="column whose whole units got one arm (team, store, agent): cluster-robust analysis",
    )
    p.add_argument("--format", choices=["table", "json"], default="table")
    add_engine_option(p)
    p.set_defaults(handler=cmd_compare)

    p = sub.add_parser("sample-size", help="responses per arm to detect a difference in NPS")
    p.add_argument("--mde", type=float, required=True, help="difference to detect, in NPS points")
    p.add_argument("--baseline-nps", type=float, help="control NPS in points")
    p.add_argument("--passive-share", type=float, help="control share of passives (0-1)")
    p.add_argument("--baseline-counts", type=int, nargs=3, metavar=("D", "P", "R"), help="control counts")
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--power", type=float, default=0.8)
    p.add_argument("--ratio", type=float, default=1.0, help="treatment / control allocation ratio")
    p.add_argument("--cluster-size", type=int, metavar="M", help="answers per cluster (team pilots; with --icc)")
    p.add_argument("--icc", type=float, help="intracluster correlation (team pilots; with --cluster-size)")
    p.add_argument("--cluster-size-cv", type=float, default=0.0, help="coefficient of variation of cluster sizes")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(handler=cmd_sample_size)

    p = sub.add_parser("sample", help="score and compare the bundled sample cohorts")
    p.set_defaults(handler=cmd_sample)

    p = sub.add_parser("samples", help="regenerate the bundled sample data sets in data/")
    p.add_argument("name", nargs="*", help="sample names (default: all)")
    p.add_argument("--output-dir", metavar="DIR", help="write there instead of data/")
    p.add_argument("--list", action="store_true", help="also describe the samples")
    p.set_defaults(handler=cmd_samples)

    for register in _plugins():
        register(sub)
    return parser


def _plugins() -> list[Callable[[Any], None]]:
    """Subcommands defined next to the code they run (``run``, ``decide``, ...)."""
    # Each feature module registers its own subcommand: add one import and one append here.
    from .alerts import add_alerts_parser
    from .decide import add_decide_parser
    from .drivers import add_drivers_parser
    from .followup import add_followup_parser
    from .gap import add_gap_parser
    from .run import add_run_parser

    found: list[Callable[[Any], None]] = []
    found.append(add_run_parser)
    found.append(add_gap_parser)
    found.append(add_decide_parser)
    found.append(add_followup_parser)
    found.append(add_alerts_parser)
    found.append(add_drivers_parser)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.ERROR if args.quiet else logging.INFO,
        format="%(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    from ..sources.errors import NPSInputError

    try:
        return int(args.handler(args) or 0)
    except (NPSInputError, CLIError, ValueError, FileNotFoundError, KeyError) as exc:
        if args.debug:
            raise
        from ..sources.privacy import mask_message

        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"nps-analysis: error: {mask_message(str(message))}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # output piped into head & co.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print("nps-analysis: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the CLI never shows a bare traceback
        if args.debug:
            raise
        print(f"nps-analysis: internal error: {type(exc).__name__}: {exc} (rerun with --debug)", file=sys.stderr)
        return EXIT_FAILED
