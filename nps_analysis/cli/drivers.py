"""``nps-analysis drivers``: key drivers of the score (share of R^2 with intervals), and with
``--comment`` the comment themes and their NPS gap.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from ..analyses.drivers import METHOD_NAMES, key_drivers
from ..analyses.themes import theme_impact
from ..sources.results import jsonable

#: Table view: shares of R^2 and their interval in %, the p-values formatted.
DRIVER_COLUMNS = ("driver", "share %", "lower %", "upper %", "coefficient", "mean_rating", "vif", "significant")
THEME_COLUMNS = ("theme", "mentions", "share", "nps_with", "nps_without", "difference", "ci_lower", "ci_upper",
                 "p_adjusted")


def add_drivers_parser(subparsers: Any) -> Any:
    """Register ``nps-analysis drivers FILE --score COL --driver COL... [--format json]``."""
    from .common import add_input_options

    p = subparsers.add_parser(
        "drivers",
        help="key drivers: each rating's share of R^2 with a bootstrap interval; comment themes",
        description="Which attribute ratings explain the score (Johnson's relative weights or Shapley "
                    "shares of R^2, bootstrap intervals), the detractor/promoter view and, with "
                    "--comment, each comment theme's NPS gap.",
    )
    add_input_options(p)
    p.add_argument("--driver", action="extend", nargs="+", required=True, metavar="COL",
                   help="attribute rating column(s) (at least 2; repeatable)")
    p.add_argument("--method", choices=list(METHOD_NAMES), default="relative-weights")
    p.add_argument("--by", action="append", default=[], metavar="COL", help="analyse each group separately")
    p.add_argument("--weights", metavar="COL", help="survey weight column")
    p.add_argument("--comment", metavar="COL", help="comment column: add the theme impact table")
    p.add_argument("--language", default="auto", help="comment language: en, fr, de, es or auto")
    p.add_argument("--n-themes", type=int, default=0, metavar="K",
                   help="discover K themes with TF-IDF + NMF instead of the keyword dictionaries")
    p.add_argument("--confidence-level", type=float, default=0.95)
    p.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples (0: no intervals)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(handler=cmd_drivers)
    return p


def cmd_drivers(args: Any) -> int:
    """Handler of ``nps-analysis drivers``.

    JSON (a stable contract): ``method``, ``r_squared``, ``n``, ``n_incomplete``,
    ``confidence_level``, ``drivers`` (one object per driver: the columns of
    ``KeyDrivers.to_frame()``, plus the group columns with ``--by``), ``categorical`` (the
    detractor/promoter rows, without ``--by``) and, with ``--comment``, ``themes`` (the rows of
    ``ThemeImpact.to_frame()``) and ``themes_family``.
    """
    from .common import CLIError, load_input, print_table

    if len(args.driver) < 2:
        raise CLIError("--driver needs at least 2 columns")
    columns = [*args.driver, *args.by, *([args.weights] if args.weights else []),
               *([args.comment] if args.comment else [])]
    frame = load_input(args, columns)
    result = key_drivers(frame, args.score, args.driver, method=args.method, by=args.by or None,
                         weights=args.weights, confidence_level=args.confidence_level,
                         n_resamples=args.resamples, random_state=args.seed, categorical=not args.by)
    table = result.to_frame()
    out: dict[str, Any] = {"method": args.method, "confidence_level": args.confidence_level,
                           "drivers": table.to_dict("records")}
    if not args.by:
        out.update(r_squared=result.r_squared, n=result.n, n_incomplete=result.n_incomplete,
                   categorical=result.categorical.to_frame().to_dict("records") if result.categorical else None)
    else:
        out.update(r_squared=None, n=int(table.drop_duplicates(list(args.by))["n"].sum()), n_incomplete=None,
                   categorical=None)
    themes = None
    if args.comment:
        themes = theme_impact(frame, score=args.score, comment=args.comment, language=args.language,
                              n_themes=args.n_themes or None, confidence_level=args.confidence_level,
                              random_state=args.seed, examples=0)
        out.update(themes=themes.to_frame().to_dict("records"), themes_family=themes.family)
    if args.format == "json":
        sys.stdout.write(json.dumps(jsonable(out), indent=2, ensure_ascii=False) + "\n")
        return 0
    if not args.by:
        sys.stdout.write(result.summary() + "\n" + result.missing_policy + ".\n\n")
    from ..stats.compare import format_pvalue

    view = table.assign(**{"share %": table["share"], "lower %": table["share_ci_lower"],
                           "upper %": table["share_ci_upper"]})
    print_table(view.to_dict("records"), [*args.by, *DRIVER_COLUMNS])
    if themes is not None:
        sys.stdout.write("\n" + themes.summary() + "\n\n")
        rows = themes.to_frame()
        rows["p_adjusted"] = [format_pvalue(p) if p == p else "-" for p in rows["pvalue_adjusted"]]
        print_table(rows.to_dict("records"), THEME_COLUMNS)
    return 0
