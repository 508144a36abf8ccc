"""What every ``nps-analysis`` sub-command shares: exit codes, input options, loading the file.
"""

from __future__ import annotations

import argparse
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


def add_input_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "file", nargs="?", default=None,
        help="survey export: CSV, Excel (.xlsx), Parquet, or SPSS .sav (extra); or a table name with --database",
    )
    p.add_argument("--score", required=True, metavar="COL", help="column with the 0-10 answers")
    p.add_argument(
        "--query", metavar="SQL",
        help="read a DuckDB query's result instead of FILE: one read-only SELECT (see SECURITY.md)",
    )
    p.add_argument("--database", metavar="DB", help="a DuckDB database file (read-only) for --query or a table name")
    p.add_argument(
        "--allow-dir", dest="allow_dirs", action="append", default=None, metavar="DIR",
        help="a folder --query may read files from (repeatable; default: the current folder)",
    )
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
    add_reading_options(p)


def add_reading_options(p: argparse.ArgumentParser, *, dates: bool = True) -> None:
    """Options every command that reads an export takes: missing-value markers, encoding, scale
    check and (``dates``) how day/month dates are written (docs/real_exports.md)."""
    p.add_argument(
        "--missing-values", nargs="+", metavar="TEXT", default=None,
        help="texts that mean 'no answer' in every column (default: empty NA N/A n/a NaN null #N/A -); "
        "'defaults' stands for those, e.g. --missing-values defaults '*redacted*'",
    )
    p.add_argument("--encoding", metavar="NAME", help="force the file's encoding (default: UTF-8, "
                   "else Windows-1252 line by line, reported)")
    p.add_argument("--scale-check", choices=["warn", "error", "off"], default="warn",
                   help="answers that look like a 1-5/1-7/0-2 scale, or groups on different scales: "
                   "warn (default), error, or off")
    if dates:
        p.add_argument("--date-format", metavar="FMT", help="how dates are written, e.g. '%%d/%%m/%%Y %%H:%%M' "
                       "(ambiguous day/month dates are an error without it or --dayfirst)")
        p.add_argument("--dayfirst", action="store_true", help="numeric dates are day-first (21/03/2018)")


def reading_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The ``nps.load`` keywords of :func:`add_reading_options`' options (absent ones left out)."""
    out: dict[str, Any] = {}
    if getattr(args, "missing_values", None) is not None:
        out["missing_values"] = args.missing_values
    if getattr(args, "encoding", None):
        out["encoding"] = args.encoding
    if getattr(args, "scale_check", None):
        out["scale_check"] = args.scale_check
    return out


def date_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """``date_format`` and ``dayfirst`` from the command line."""
    return {"date_format": getattr(args, "date_format", None), "dayfirst": bool(getattr(args, "dayfirst", False))}


def add_stats_options(p: argparse.ArgumentParser, methods: Sequence[str]) -> None:
    # The first method listed is the library's default, so the CLI and the API agree.
    p.add_argument("--method", default=list(methods)[0], choices=list(methods))
    p.add_argument("--confidence-level", type=float, default=0.95, metavar="X")


def load_input(args: argparse.Namespace, columns: Sequence[str]) -> Any:
    from ..sources.load import load

    sheet: str | int | None = args.sheet
    if isinstance(sheet, str) and sheet.isdigit():
        sheet = int(sheet)
    skip = args.skip_rows
    if skip != "auto":
        if not str(skip).isdigit():
            raise CLIError(f"--skip-rows takes a whole number or 'auto', got {skip!r}")
        skip = int(skip)
    group = getattr(args, "group", None)
    query = getattr(args, "query", None)
    if (args.file is None) == (query is None):
        raise CLIError("give a FILE or --query SQL (exactly one of them)")
    frame = load(
        args.file,
        query=query,
        database=getattr(args, "database", None),
        allowed_directories=getattr(args, "allow_dirs", None),
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
        **reading_kwargs(args),
    )
    from ..sources.load import load_report

    print_load_notes(load_report(frame), quiet=getattr(args, "quiet", False))
    return frame


def print_load_notes(report: Any, *, quiet: bool = False) -> None:
    """The load report on stderr: one ``note:`` line when rows were not all responses, one
    ``warning:`` line per warning (encoding, scale, spaces in labels)."""
    if quiet or report is None:
        return
    if report.quarantined or report.missing_scores or report.header_rows_skipped:
        print(f"note: {report.summary()}", file=sys.stderr)
    for warning in report.warnings:
        print(f"warning: {report.file}: {warning}", file=sys.stderr)


def fmt_cell(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def print_table(rows: list[dict[str, Any]], columns: Sequence[str], out=None) -> None:
    out = out or sys.stdout
    cells = [[fmt_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) if cells else len(c) for i, c in enumerate(columns)]
    out.write("  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True)) + "\n")
    for row in cells:
        out.write("  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)) + "\n")


def add_engine_option(p: argparse.ArgumentParser) -> None:
    """``--engine auto|pandas|duckdb`` for a sub-command that can work on counts DuckDB computes."""
    p.add_argument(
        "--engine", choices=["auto", "pandas", "duckdb"], default="auto",
        help="read rows with pandas, or count them in DuckDB without loading them (auto: DuckDB for a "
             "--query and for CSV/Parquet files >= 2 MiB, unless an option only pandas has is given)",
    )


def engine_table(args: argparse.Namespace, columns: Sequence[str]) -> Any:
    """The input as a DuckDB table (``nps.open_table``: the decision then runs on counts per arm,
    day and answer computed by DuckDB), or ``None`` to read rows with ``nps.load``.

    ``auto`` takes DuckDB for a ``--query`` and for CSV/Parquet files of 2 MiB or more, unless an
    option only ``nps.load`` has is given (``--id``, ``--score-labels``, ``--encoding``,
    ``--sheet``, ``--missing-values``, quarantine) or DuckDB is not installed; ``duckdb`` refuses
    those options. DuckDB reads the default missing-value markers and skips the scale check.
    """
    import importlib.util

    from ..sources.bigfile import is_large_file
    from ..sources.tables import open_table

    engine = getattr(args, "engine", "auto")
    if engine == "pandas":
        return None
    pandas_only = [flag for flag, given in (
        ("--id", args.id_column), ("--score-labels", args.score_labels), ("--encoding", getattr(args, "encoding", None)),
        ("--sheet", args.sheet), ("--on-invalid quarantine", args.on_invalid == "quarantine"),
        ("--missing-values", getattr(args, "missing_values", None) is not None),
    ) if given]
    if engine == "auto":
        big = args.query is not None or (args.file is not None and is_large_file(args.file))
        if not big or pandas_only or importlib.util.find_spec("duckdb") is None:
            return None
    elif pandas_only:
        raise CLIError(f"{', '.join(pandas_only)}: only with --engine pandas (or auto)")
    if (args.file is None) == (args.query is None):
        raise CLIError("give a FILE or --query SQL (exactly one of them)")
    return open_table(args.file, query=args.query, database=getattr(args, "database", None), engine="duckdb",
                      score=args.score, columns=list(columns), allowed_directories=getattr(args, "allow_dirs", None))
