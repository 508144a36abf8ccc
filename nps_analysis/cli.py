"""The ``nps-analysis`` command line: score, compare, size an experiment, run reports.

Every error is one line on stderr and a non-zero exit (2 for bad input or usage); ``--debug``
shows the traceback instead.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

Handler = Callable[[argparse.Namespace], int]


class CLIError(Exception):
    """A usage problem found after parsing (exit 2)."""


def _add_input_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="survey export: CSV, Excel (.xlsx), Parquet, or SPSS .sav (extra)")
    p.add_argument("--score", required=True, metavar="COL", help="column with the 0-10 answers")
    p.add_argument(
        "--on-invalid",
        choices=["error", "quarantine"],
        default="error",
        help="invalid scores: stop with an error (default) or set the rows aside in a file",
    )
    p.add_argument("--quarantine-file", metavar="PATH", help="where quarantined rows go")
    p.add_argument("--sheet", help="Excel sheet name or index")
    p.add_argument("--delimiter", metavar="CHAR", help="CSV delimiter (default: detected)")
    p.add_argument("--id", dest="id_column", metavar="COL", help="respondent id: duplicates and respondents in two arms are bad rows")
    p.add_argument(
        "--score-labels", action="store_true",
        help="map answers exported as text ('10 - Extremely likely') to their numbers",
    )
    p.add_argument(
        "--skip-rows", default="auto", metavar="N",
        help="extra header rows after the header (survey-tool exports); default: detected",
    )


def _add_stats_options(p: argparse.ArgumentParser, methods: Sequence[str]) -> None:
    p.add_argument("--method", default="adjusted-wald", choices=list(methods))
    p.add_argument("--confidence-level", type=float, default=0.95, metavar="X")


def _load(args: argparse.Namespace, columns: Sequence[str]) -> Any:
    from .io import load

    sheet: str | int | None = args.sheet
    if isinstance(sheet, str) and sheet.isdigit():
        sheet = int(sheet)
    skip = args.skip_rows
    if skip != "auto":
        if not str(skip).isdigit():
            raise CLIError(f"--skip-rows takes a whole number or 'auto', got {skip!r}")
        skip = int(skip)
    group = getattr(args, "group", None)
    frame = load(
        args.file,
        score=args.score,
        columns=columns,
        on_invalid=args.on_invalid,
        quarantine_path=args.quarantine_file,
        sheet=sheet,
        sep=args.delimiter,
        id_column=args.id_column,
        group_column=group if args.id_column else None,
        score_labels=args.score_labels,
        skip_rows=skip,
    )
    from .io import load_report

    report = load_report(frame)
    if (report.quarantined or report.missing_scores) and not getattr(args, "quiet", False):
        print(f"note: {report.summary()}", file=sys.stderr)
    return frame


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def score_records(
    frame: Any, score: str, by: Sequence[str], *, method: str, confidence_level: float, table: Any = None
) -> list[dict[str, Any]]:
    """The ``score`` JSON contract: one object per group (``group`` holds the ``by`` values).

    ``table``: counts already computed (by DuckDB for a large file); then ``frame`` is not used.
    """
    from .intervals import nps_interval
    from .results import jsonable
    from .scoring import NPSCounts, counts

    if table is None:
        table = counts(frame, score, by=list(by))
    out = []
    for row in table.to_dict("records"):
        c = NPSCounts(int(row["detractors"]), int(row["passives"]), int(row["promoters"]))
        record: dict[str, Any] = {
            "group": {col: jsonable(row[col]) for col in by},
            "n": int(c.n),
            "detractors": int(c.detractors),
            "passives": int(c.passives),
            "promoters": int(c.promoters),
        }
        if c.n:
            ci = nps_interval(c, method=method, confidence_level=confidence_level)  # type: ignore[arg-type]
            record.update(nps=ci.nps, ci_lower=ci.ci_lower, ci_upper=ci.ci_upper)
        else:
            record.update(nps=None, ci_lower=None, ci_upper=None)
        record.update(method=method, confidence_level=confidence_level)
        out.append(jsonable(record))
    return out


def _print_table(rows: list[dict[str, Any]], columns: Sequence[str], out=None) -> None:
    out = out or sys.stdout
    cells = [[_fmt(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) if cells else len(c) for i, c in enumerate(columns)]
    out.write("  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True)) + "\n")
    for row in cells:
        out.write("  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)) + "\n")


def _duckdb_counts(args: argparse.Namespace) -> Any:
    """Counts of a large CSV/Parquet file by DuckDB, rows never loaded (``--engine``, bigfile.py).

    ``None`` means "read it with nps.load": a small file, an option only nps.load has (``--id``,
    ``--score-labels``), or a file DuckDB cannot read (in ``auto`` mode).
    """
    import importlib.util

    from .bigfile import SourceReadError, counts_from_file, is_large_file

    engine = getattr(args, "engine", "auto")
    if engine == "pandas" or (engine == "auto" and not is_large_file(args.file)):
        return None
    if engine == "auto" and (
        args.id_column or args.score_labels or not all(importlib.util.find_spec(m) for m in ("duckdb", "narwhals"))
    ):
        return None
    if args.id_column or args.score_labels:
        raise CLIError("--id and --score-labels need --engine pandas (or auto)")
    skip = args.skip_rows if args.skip_rows == "auto" or not str(args.skip_rows).isdigit() else int(args.skip_rows)
    if skip != "auto" and not isinstance(skip, int):
        raise CLIError(f"--skip-rows takes a whole number or 'auto', got {skip!r}")
    quarantine = args.quarantine_file or f"{args.file}.quarantine.csv"
    try:
        table = counts_from_file(
            args.file, args.score, args.by, on_invalid=args.on_invalid, quarantine_path=quarantine,
            sep=args.delimiter, skip_rows=skip,
        )
    except SourceReadError:
        if engine == "duckdb":
            raise
        return None  # e.g. a Windows-1252 export: nps.load reads what DuckDB cannot
    if (table.attrs["invalid"] or table.attrs["missing"]) and not getattr(args, "quiet", False):
        print(
            f"note: {args.file}: {table.attrs['rows']} rows read by DuckDB, {table.attrs['missing']} without an "
            f"answer (not responses), {table.attrs['invalid']} quarantined"
            + (f" -> {quarantine}" if table.attrs["invalid"] else ""),
            file=sys.stderr,
        )
    return table


def cmd_score(args: argparse.Namespace) -> int:
    table = _duckdb_counts(args)
    frame = _load(args, args.by) if table is None else None
    records = score_records(
        frame, args.score, args.by, method=args.method, confidence_level=args.confidence_level, table=table
    )
    if args.format == "json":
        print(json.dumps(records, indent=2, ensure_ascii=False))
    elif args.format == "csv":
        import pandas as pd

        flat = [{**r["group"], **{k: v for k, v in r.items() if k != "group"}} for r in records]
        pd.DataFrame(flat).to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        flat = [{**r["group"], **{k: v for k, v in r.items() if k != "group"}} for r in records]
        level = f"{args.confidence_level:.0%}"
        print(f"NPS with {level} {args.method} intervals ({args.file})")
        _print_table(flat, [*args.by, "n", "detractors", "passives", "promoters", "nps", "ci_lower", "ci_upper"])
    return EXIT_OK


def compare_record(frame: Any, args: argparse.Namespace) -> dict[str, Any]:
    """The ``compare`` JSON contract: the effect, both arms shaped like ``score`` objects, row tests."""
    from .compare import compare
    from .io import check_labels
    from .results import jsonable

    check_labels(frame, args.group, [args.treatment, args.control], file=args.file)
    labels = frame[args.group].astype(str)
    scores_t = frame.loc[labels == str(args.treatment), args.score]
    scores_c = frame.loc[labels == str(args.control), args.score]
    result = compare(
        scores_t.dropna(),
        scores_c.dropna(),
        method=args.method,
        confidence_level=args.confidence_level,
        alternative=args.alternative,
    )
    data = result.to_dict()
    for side, label in (("treatment", args.treatment), ("control", args.control)):
        arm = dict(data[side])
        data[side] = {
            "group": {args.group: label},
            "n": arm.get("n"),
            "detractors": arm.get("detractors"),
            "passives": arm.get("passives"),
            "promoters": arm.get("promoters"),
            "nps": arm.get("nps"),
            "ci_lower": arm.get("ci_lower"),
            "ci_upper": arm.get("ci_upper"),
            "method": arm.get("method"),
            "confidence_level": arm.get("confidence_level"),
        }
    return jsonable(data)


def cmd_compare(args: argparse.Namespace) -> int:
    frame = _load(args, [args.group])
    data = compare_record(frame, args)
    if args.format == "json":
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return EXIT_OK
    level = f"{args.confidence_level:.0%}"
    arms = [data["treatment"], data["control"]]
    rows = [{"arm": a["group"][args.group], **{k: a[k] for k in ("n", "nps", "ci_lower", "ci_upper")}} for a in arms]
    _print_table(rows, ["arm", "n", "nps", "ci_lower", "ci_upper"])
    print(
        f"\nDifference {args.treatment} - {args.control}: {_fmt(data['difference'])} points "
        f"({level} CI {_fmt(data['ci_lower'])} to {_fmt(data['ci_upper'])}, "
        f"p = {_fmt(data['pvalue'], 4)}, {data['method']})"
    )
    for name, test in (data.get("row_tests") or {}).items():
        if isinstance(test, dict):
            shown = ", ".join(f"{k} = {_fmt(v, 4)}" for k, v in test.items() if not isinstance(v, (dict, list)))
            print(f"  {name}: {shown}")
    return EXIT_OK


def cmd_sample_size(args: argparse.Namespace) -> int:
    from . import power
    from .results import jsonable

    kwargs: dict[str, Any] = {"alpha": args.alpha, "power": args.power, "ratio": args.ratio}
    if args.baseline_counts:
        from .scoring import NPSCounts

        d, p, r = args.baseline_counts
        kwargs["baseline"] = NPSCounts(d, p, r)
    else:
        if args.baseline_nps is None or args.passive_share is None:
            raise CLIError("give --baseline-nps and --passive-share, or --baseline-counts D P R")
        kwargs.update(baseline_nps=args.baseline_nps, passive_share=args.passive_share)
    result = power.sample_size(args.mde, **kwargs)
    data = jsonable(result.to_dict() if hasattr(result, "to_dict") else {"n_per_arm": result})
    if args.format == "json":
        print(json.dumps(data, indent=2))
    else:
        for key, value in data.items():
            print(f"{key}: {_fmt(value, 3) if isinstance(value, float) else value}")
    return EXIT_OK


def cmd_sample(args: argparse.Namespace) -> int:
    """Score and compare the bundled sample cohorts, then run the experiment report on them (the
    README's main job)."""
    from .datasets import sample_path

    path = sample_path("experiment")
    print(f"Bundled sample: {path}\n")
    ns = argparse.Namespace(
        file=str(path), score="score", by=["arm"], method="adjusted-wald", confidence_level=0.95,
        format="table", on_invalid="error", quarantine_file=None, sheet=None, delimiter=None,
        id_column="respondent_id", score_labels=False, skip_rows="auto",
    )
    cmd_score(ns)
    for treatment in ("treatment_a", "treatment_b"):
        print()
        cmd_compare(argparse.Namespace(**vars(ns), group="arm", treatment=treatment, control="control", alternative="two-sided"))
    print()
    from .runner import sample_report

    return sample_report()


def cmd_samples(args: argparse.Namespace) -> int:
    """Regenerate the bundled samples in data/ (byte-identical from their seeds)."""
    from .datasets import describe_samples, regenerate_samples

    for path in regenerate_samples(args.name or None, args.output_dir):
        print(path)
    if args.list:
        print(json.dumps(describe_samples(), indent=2))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    from .intervals import INTERVAL_METHODS

    parser = argparse.ArgumentParser(
        prog="nps-analysis",
        description="Net Promoter Score analysis: honest intervals, cohort experiments, reports.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("score", help="NPS with intervals, overall or per group")
    _add_input_options(p)
    p.add_argument("--by", action="append", default=[], metavar="COL", help="group by this column (repeatable)")
    _add_stats_options(p, INTERVAL_METHODS)
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    p.add_argument(
        "--engine",
        choices=["auto", "pandas", "duckdb"],
        default="auto",
        help="count with pandas, or with DuckDB without loading rows (auto: DuckDB for CSV/Parquet >= 2 MiB)",
    )
    p.set_defaults(handler=cmd_score)

    p = sub.add_parser("compare", help="difference in NPS between a treatment and a control cohort")
    _add_input_options(p)
    p.add_argument("--group", required=True, metavar="COL", help="column with the arm labels")
    p.add_argument("--treatment", required=True, metavar="LABEL")
    p.add_argument("--control", required=True, metavar="LABEL")
    _add_stats_options(p, ["adjusted-wald", "wald", "bootstrap", "permutation", "bayes"])
    p.add_argument("--alternative", choices=["two-sided", "less", "greater"], default="two-sided")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(handler=cmd_compare)

    p = sub.add_parser("sample-size", help="responses per arm to detect a difference in NPS")
    p.add_argument("--mde", type=float, required=True, help="difference to detect, in NPS points")
    p.add_argument("--baseline-nps", type=float, help="control NPS in points")
    p.add_argument("--passive-share", type=float, help="control share of passives (0-1)")
    p.add_argument("--baseline-counts", type=int, nargs=3, metavar=("D", "P", "R"), help="control counts")
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--power", type=float, default=0.8)
    p.add_argument("--ratio", type=float, default=1.0, help="treatment / control allocation ratio")
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
    from .decision import add_decide_parser
    from .followup import add_followup_parser
    from .gap import add_gap_parser
    from .runner import add_run_parser
    from .tracking import add_alerts_parser

    found: list[Callable[[Any], None]] = []
    found.append(add_run_parser)
    found.append(add_gap_parser)
    found.append(add_decide_parser)
    found.append(add_followup_parser)
    found.append(add_alerts_parser)
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
    from .errors import NPSInputError

    try:
        return int(args.handler(args) or 0)
    except (NPSInputError, CLIError, ValueError, FileNotFoundError, KeyError) as exc:
        if args.debug:
            raise
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"nps-analysis: error: {message}", file=sys.stderr)
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
