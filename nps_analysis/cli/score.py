"""``nps-analysis score``: NPS with intervals, overall or per group, as a table, JSON or CSV.

The call goes down the layers once: ``sources`` reads, validates and counts each answer level per
group; ``stats`` turns the levels into NPS counts and intervals; this module formats them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..sources.csvsafe import to_safe_csv
from .common import EXIT_OK, CLIError, load_input, print_table


def score_records(
    frame: Any, score: str, by: Sequence[str], *, method: str, confidence_level: float, table: Any = None,
    distribution: Any = None,
) -> list[dict[str, Any]]:
    """The ``score`` JSON contract: one object per group (``group`` holds the ``by`` values).

    ``distribution``: answer levels 0..10 per group already counted (``sources``); ``table``: NPS
    counts already computed; with either, ``frame`` is not used.
    """
    from ..sources.results import jsonable
    from ..stats.intervals import nps_interval
    from ..stats.scoring import NPSCounts, counts, counts_from_distribution

    if table is None and distribution is not None:
        table = counts_from_distribution(distribution, by=list(by))
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


def _duckdb_distribution(args: argparse.Namespace) -> Any:
    """Answer levels per group of a large CSV/Parquet file, counted by DuckDB, rows never loaded
    (``--engine``, ``sources/bigfile.py``).

    ``None`` means "read it with nps.load": a small file, an option only nps.load has (``--id``,
    ``--score-labels``), or a file DuckDB cannot read (in ``auto`` mode).
    """
    import importlib.util

    from ..sources.bigfile import SourceReadError, is_large_file, score_distribution_from_source

    engine = getattr(args, "engine", "auto")
    if getattr(args, "query", None) is not None and engine != "pandas":
        if args.file is not None:
            raise CLIError("give a FILE or --query SQL (exactly one of them)")
        # A query is counted where it runs: only the per-group answer levels come back.
        return score_distribution_from_source(
            None, args.score, args.by, query=args.query, on_invalid=args.on_invalid,
            quarantine_path=args.quarantine_file, database=args.database, allowed_directories=args.allow_dirs,
        )
    if args.file is None or engine == "pandas" or (engine == "auto" and not is_large_file(args.file)):
        return None
    encoding = getattr(args, "encoding", None)
    if engine == "auto" and (
        args.id_column or args.score_labels or encoding
        or not all(importlib.util.find_spec(m) for m in ("duckdb", "narwhals"))
    ):
        return None
    if args.id_column or args.score_labels or encoding:
        raise CLIError("--id, --score-labels and --encoding need --engine pandas (or auto)")
    skip = args.skip_rows if args.skip_rows == "auto" or not str(args.skip_rows).isdigit() else int(args.skip_rows)
    if skip != "auto" and not isinstance(skip, int):
        raise CLIError(f"--skip-rows takes a whole number or 'auto', got {skip!r}")
    quarantine = args.quarantine_file or f"{args.file}.quarantine.csv"
    try:
        table = score_distribution_from_source(
            Path(args.file), args.score, args.by, on_invalid=args.on_invalid, quarantine_path=quarantine,
            sep=args.delimiter, skip_rows=skip, missing_values=getattr(args, "missing_values", None),
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
    from ..sources.scores import score_distribution

    distribution = _duckdb_distribution(args)
    if distribution is None:
        frame = load_input(args, args.by)
        distribution = score_distribution(frame, args.score, args.by)
    records = score_records(
        None, args.score, args.by, method=args.method, confidence_level=args.confidence_level,
        distribution=distribution,
    )
    if args.format == "json":
        print(json.dumps(records, indent=2, ensure_ascii=False))
    elif args.format == "csv":
        import pandas as pd

        flat = [{**r["group"], **{k: v for k, v in r.items() if k != "group"}} for r in records]
        to_safe_csv(pd.DataFrame(flat), sys.stdout, lineterminator="\n")
    else:
        flat = [{**r["group"], **{k: v for k, v in r.items() if k != "group"}} for r in records]
        level = f"{args.confidence_level:.0%}"
        print(f"NPS with {level} {args.method} intervals ({args.file or 'the query'})")
        print_table(flat, [*args.by, "n", "detractors", "passives", "promoters", "nps", "ci_lower", "ci_upper"])
    return EXIT_OK
