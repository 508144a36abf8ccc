"""``nps-analysis gap`` and ``nps-analysis self-assessment``: survey gaps from two exports.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from ..analyses.gap import GAP_TESTS, survey_gap
from ..analyses.self_assessment import self_assessment
from ..sources.csvsafe import to_safe_csv
from ..sources.errors import NPSInputError


def parse_dimension_args(pairs: Sequence[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        item, sep, dim = pair.partition("=")
        if not sep or not item or not dim:
            raise NPSInputError(f"--dimension expects ITEM=DIMENSION, got {pair!r}")
        out[item.strip()] = dim.strip()
    return out


def write_frame(frame: pd.DataFrame, fmt: str, stream: Any) -> None:
    if fmt == "csv":
        to_safe_csv(frame, stream, lineterminator="\n")
    else:
        stream.write(frame.to_string(index=False, float_format=lambda v: f"{v:.3g}") + "\n")


def gap_command(args: Any) -> int:
    """``nps-analysis gap COMPANY CUSTOMERS``: the item and dimension gap tables."""
    import json
    import sys

    result = survey_gap(
        args.company, args.customers, items=args.items or None,
        dimensions=parse_dimension_args(args.dimension) or args.dimensions,
        scale=tuple(args.scale), correction=args.correction, alpha=args.alpha, test=args.test,
        top_box=args.top_box, confidence_level=args.confidence_level, random_state=args.seed,
    )
    out = sys.stdout
    if args.format == "json":
        out.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
        return 0
    columns = ["item", "dimension", "n_company", "n_customers", "mean_company", "mean_customers", "gap",
               "ci_lower", "ci_upper", "top_box_gap", "effect_size", "test", "pvalue_adjusted", "label"]
    write_frame(result.table()[columns], args.format, out)
    if result.dimensions and args.format == "table":
        out.write("\n")
        write_frame(result.dimension_table()[["dimension", "n_company", "n_customers", "mean_company",
                                               "mean_customers", "gap", "ci_lower", "ci_upper",
                                               "pvalue_adjusted", "label"]], "table", out)
    if args.format == "table":
        out.write(f"\nGap = customers - company. Corrected across the {result.family}.\n")
    return 0


def self_assessment_command(args: Any) -> int:
    """``nps-analysis self-assessment FILE``: area scores, totals and bands per rater."""
    import json
    import sys

    result = self_assessment(args.file, rater=args.rater, missing=args.missing)
    out = sys.stdout
    if args.format == "json":
        out.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
        return 0
    write_frame(result.table(), args.format, out)
    if args.format == "table":
        out.write(f"\nMean total {result.total:.1f} of 35 over {result.n_raters} rater(s): {result.band}.\n")
    return 0


def add_gap_parser(subparsers: Any) -> None:
    """Register ``nps-analysis gap`` and ``nps-analysis self-assessment``."""
    p = subparsers.add_parser("gap", help="company versus customer perception, item by item")
    p.add_argument("company", help="company-side answers (CSV/Excel/Parquet; wide or long)")
    p.add_argument("customers", help="customer-side answers, same items")
    p.add_argument("--items", nargs="+", metavar="ITEM", help="items to compare (default: all, same on both sides)")
    p.add_argument("--dimension", action="append", default=[], metavar="ITEM=DIM", help="item's dimension (repeatable)")
    p.add_argument("--dimensions", choices=["self-assessment"], default=None, help="the seven self-assessment areas")
    p.add_argument("--scale", nargs=2, type=int, default=[1, 5], metavar=("LOW", "HIGH"))
    p.add_argument("--correction", default="fdr_bh", help="multipletests method or 'none' (default fdr_bh)")
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--test", choices=list(GAP_TESTS), default="auto")
    p.add_argument("--top-box", type=int, default=1, metavar="K", help="top K answers count as top box")
    p.add_argument("--confidence-level", type=float, default=0.95)
    p.add_argument("--seed", type=int, default=2026, help="bootstrap seed")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    p.set_defaults(handler=gap_command)

    p = subparsers.add_parser("self-assessment", help="score the service self-assessment (7 areas, 7-35)")
    p.add_argument("file", help="one row per rater, one column per statement id (culture_1 ...)")
    p.add_argument("--rater", metavar="COL", help="column naming the rater")
    p.add_argument("--missing", choices=["error", "area-mean"], default="error")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    p.set_defaults(handler=self_assessment_command)
