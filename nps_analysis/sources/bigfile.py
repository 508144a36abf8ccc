"""Big survey files and SQL sources: counts computed by DuckDB without loading rows into pandas.

A CSV or Parquet file, a SQL query or a table in a DuckDB database becomes a DuckDB relation; the
engine path (:mod:`nps_analysis.engines`) validates and counts it in a streaming query, so memory
stays flat however many rows the file has.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from .atomic import atomic_path
from .csvsafe import to_safe_csv
from .errors import NPSInputError
from .files import score_hint
from .missing import missing_markers, missing_values_hint
from .records import require_regular_file
from .sql import check_query, connect, folder_of

OnInvalid = Literal["error", "quarantine"]

#: Files at least this large are read through DuckDB by the CLI (see docs/performance.md for the
#: measurement behind it: below it pandas is as fast and the result is identical).
LARGE_FILE_BYTES = 2 * 2**20

_FILE_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq", ".gz", ".zst")


class SourceReadError(NPSInputError):
    """DuckDB could not read the file (encoding, quoting, ...); ``nps.load`` may still read it."""


def _first_lines(exc: Exception) -> str:
    """DuckDB's message up to its first blank line, on one line (the CLI prints one line)."""
    lines = []
    for line in str(exc).strip().splitlines():
        if not line.strip():
            break
        lines.append(line.strip())
    return "; ".join(lines)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def file_format(path: str | os.PathLike[str]) -> str:
    """``"parquet"`` or ``"csv"``, detected from the content as :func:`nps_analysis.io.load` does."""
    from .files import detect_format

    text = str(path)
    if any(ch in text for ch in "*?["):  # a glob: its extension decides
        return "parquet" if re.search(r"\.(parquet|pq)$", text, re.I) else "csv"
    fmt = detect_format(Path(text))
    if fmt not in ("csv", "parquet"):
        raise SourceReadError(f"DuckDB reads CSV and Parquet files; this is {fmt}: use nps.load", file=text)
    return fmt


@dataclass(frozen=True)
class _Opened:
    """A file opened as a relation, with what messages and label types need to know."""

    rel: Any
    file: str
    format: str
    offset: int  # added to 0-based data positions: the row numbers nps.load shows
    skipped: int  # extra header rows dropped (survey-tool exports)


def _csv_options(path: str, sep: str | None) -> tuple[str, str]:
    """(delimiter, encoding) chosen from the file's first 64 KiB the way nps.load chooses them."""
    from .files import sniff_delimiter

    with open(path, "rb") as fh:
        head = fh.read(65536)
    if not head.strip():
        raise NPSInputError("the file is empty: expected a header row and survey answers", file=path)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding, text = "utf-16", head[: len(head) // 2 * 2].decode("utf-16", errors="ignore")
    else:
        encoding = "utf-8"
        cut = head.rfind(b"\n") if len(head) == 65536 else len(head)
        try:
            text = head[: cut if cut > 0 else len(head)].decode("utf-8-sig")
        except UnicodeDecodeError:
            # Windows-1252 and other legacy exports: nps.load decodes them, DuckDB does not.
            raise SourceReadError("cannot read through DuckDB: not UTF-8 or UTF-16 text (--engine pandas reads it)", file=path) from None
    return (sep or sniff_delimiter(text)), encoding


def _open_file(
    path: str | os.PathLike[str],
    con: Any,
    *,
    score: str | None = None,
    sep: str | None = None,
    skip_rows: int | Literal["auto"] = "auto",
    format: str | None = None,
) -> _Opened:
    text = str(path)
    if not any(ch in text for ch in "*?["):
        require_regular_file(text)  # a named pipe would block DuckDB's reader for ever
    fmt = format or file_format(text)
    try:
        if fmt == "parquet":
            rel = con.sql(f"SELECT * FROM read_parquet({_quote(text)})")
        elif fmt == "csv":
            delim, encoding = _csv_options(text, sep) if not any(ch in text for ch in "*?[") else (sep or ",", "utf-8")
            rel = con.sql(
                f"SELECT * FROM read_csv({_quote(text)}, header = true, all_varchar = true, "
                f"delim = {_quote(delim)}, encoding = {_quote(encoding)})"
            )
        else:
            raise SourceReadError(f"DuckDB reads CSV and Parquet, not {fmt!r}", file=text)
        names = list(rel.columns)
        stripped = [n.strip() for n in names]
        if stripped != names:
            rel = rel.project(", ".join(f"{_ident(a)} AS {_ident(b)}" for a, b in zip(names, stripped, strict=True)))
        skipped = 0
        if skip_rows == "auto" and score is not None and score in rel.columns:
            from .files import detect_extra_header_rows

            skipped = detect_extra_header_rows(rel.limit(4).df(), score)
        elif skip_rows != "auto":
            skipped = int(skip_rows)
        if skipped:
            # OFFSET keeps file order (DuckDB preserves insertion order), as nps.load's iloc does.
            rel = rel.query("_nps_src", f"SELECT * FROM _nps_src OFFSET {skipped}")
    except NPSInputError:
        raise
    except Exception as exc:  # DuckDB's own error, with the file name
        raise SourceReadError(f"cannot read as {fmt}: {_first_lines(exc)}", file=text) from None
    # Messages use the nps.load convention: CSV file lines (header = 1), Parquet 1-based rows.
    offset = (2 if fmt == "csv" else 1) + skipped
    return _Opened(rel=rel, file=text, format=fmt, offset=offset, skipped=skipped)


def read_file(
    path: str | os.PathLike[str],
    *,
    connection: Any = None,
    score: str | None = None,
    sep: str | None = None,
    skip_rows: int | Literal["auto"] = "auto",
) -> Any:
    """A CSV or Parquet file (or a glob of them) as a DuckDB relation; nothing is read yet.

    Read as :func:`nps_analysis.io.load` reads it: the format from the content, the delimiter
    sniffed the same way, UTF-8 (with or without BOM) or UTF-16, CSV cells as text (scores are
    validated by the kit, not guessed by a sniffer that looks at a sample; grouping labels get
    their types after counting, from the distinct labels), only empty cells missing, column names
    stripped, and survey-tool header rows below the header dropped when ``score`` is given.
    Windows-1252 files raise :class:`SourceReadError` (``nps.load`` reads them).
    """
    con = connection if connection is not None else connect(allowed_directories=[folder_of(path)])
    return _open_file(path, con, score=score, sep=sep, skip_rows=skip_rows).rel


def read_source(
    source: str | os.PathLike[str] | Any = None,
    *,
    query: str | None = None,
    database: str | os.PathLike[str] | None = None,
    connection: Any = None,
    allowed_directories: Sequence[str | os.PathLike[str]] | None = None,
) -> Any:
    """A DuckDB relation for a file path, a table name, or (only through ``query``) a SQL query.

    A path is never read as SQL: a query is its own, explicit input, checked before it runs
    (:func:`nps_analysis.sources.sql.check_query`: a single read-only ``SELECT``/``WITH``).

    Args:
        source: a CSV/Parquet path or glob; or, with ``database`` / ``connection``, the name of a
            table or view in it. A DuckDB relation is returned as it is.
        query: a single ``SELECT`` (or ``WITH ... SELECT``) over files or the database's tables.
        database: a DuckDB database file, opened read-only.
        connection: an open DuckDB connection to use instead (yours: not locked down).
        allowed_directories: folders a query may read files from (default: the current working
            directory); a file ``source`` allows its own folder.
    """
    if query is not None:
        if source is not None:
            raise NPSInputError("give either a file or table (source) or a SQL query (query), not both")
        sql = check_query(query)
        con = connection if connection is not None else connect(database, allowed_directories=allowed_directories)
        try:
            return con.sql(sql)
        except Exception as exc:
            raise NPSInputError(f"the SQL query failed: {_first_lines(exc)}") from None
    if source is None:
        raise NPSInputError("nothing to read: give a file path, a table name with a database, or a query")
    if not isinstance(source, (str, os.PathLike)):
        return source
    text = str(source)
    if _is_file_source(source) or database is None and connection is None:
        con = connection if connection is not None else connect(
            database, allowed_directories=[folder_of(text), *(allowed_directories or [])]
        )
        return _open_file(text, con).rel
    con = connection if connection is not None else connect(database, allowed_directories=allowed_directories)
    try:
        return con.table(text)
    except Exception as exc:
        raise NPSInputError(f"{text!r} is neither a file nor a table in the database ({_first_lines(exc)})") from None


def _infer_label_types(table: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Type CSV labels as :func:`nps_analysis.io.load` would (numbers, booleans), on distinct labels."""
    from .files import infer_types

    by = list(by)
    if not by:
        return table
    labels = table[by].copy()
    for col in by:
        if pd.api.types.is_string_dtype(labels[col]):
            labels[col] = labels[col].where(labels[col] != "")  # pandas reads "" as missing
    labels = infer_types(labels)
    return pd.concat([labels, table.drop(columns=by)], axis=1)


def _hint(examples: list[tuple[Any, Any]], *, valid: int, missing_values: Any = None) -> str:
    """nps.load's hints (survey-tool labels, decimal commas, missing-value markers), judged from
    the first invalid values."""
    values = [v for _, v in examples] + (["0"] if valid else [])
    return (score_hint(pd.Series(values, dtype=object), False)
            + missing_values_hint([v for _, v in examples], missing_values))


def _is_file_source(source: Any) -> bool:
    """A path or glob (not a SQL query, not a table name)."""
    if isinstance(source, os.PathLike):
        return True
    if not isinstance(source, str):
        return False
    return os.sep in source or "/" in source or source.lower().endswith(_FILE_SUFFIXES) or Path(source).exists()


def score_distribution_from_source(
    source: str | os.PathLike[str] | Any,
    score: str,
    by: Sequence[str] | str | None = None,
    *,
    query: str | None = None,
    on_invalid: OnInvalid = "error",
    quarantine_path: str | os.PathLike[str] | None = None,
    database: str | os.PathLike[str] | None = None,
    connection: Any = None,
    sep: str | None = None,
    skip_rows: int | Literal["auto"] = "auto",
    missing_values: str | Sequence[str] | None = None,
    allowed_directories: Sequence[str | os.PathLike[str]] | None = None,
) -> pd.DataFrame:
    """The 11-level distribution per group of a file, table or query, counted by DuckDB.

    ``source`` is a file path (or glob) or, with ``database``, a table name: never SQL. A SQL
    query goes in ``query`` (one read-only ``SELECT``, checked before it runs; it reads files only
    below ``allowed_directories``, default the current working directory).

    Same output as :func:`nps_analysis.scoring.score_distribution`. Files are read as
    :func:`read_file` says (the :func:`nps_analysis.io.load` rules); errors name file lines (CSV)
    or 1-based rows (Parquet) as ``nps.load`` does. With ``on_invalid="quarantine"`` invalid rows
    are left out (a group with no other row disappears, as after ``nps.load``) and, with a
    ``quarantine_path``, DuckDB writes them there (``_row``, ``_reason``, then the row).

    A notebook parameter can therefore be a path, a query or a table name; a DataFrame or any
    engine table passed instead is counted by :func:`nps_analysis.scoring.score_distribution`.
    Score cells holding a missing-value marker (``missing_values``, default
    :data:`~nps_analysis.sources.missing.DEFAULT_MISSING_VALUES`) are missing answers, as in
    ``nps.load``. Quarantine that leaves no response is an error.
    """
    from . import engines

    markers = missing_markers(missing_values)
    if query is None and not isinstance(source, (str, os.PathLike)) and not engines.backend_name(source) == "duckdb":
        from .scores import score_distribution

        return score_distribution(source, score, by, on_invalid=on_invalid)
    by = [by] if isinstance(by, str) else list(by or [])
    folders = list(allowed_directories) if allowed_directories is not None else None
    if query is None and _is_file_source(source):
        folders = [folder_of(source), *(folders or [])]
    if quarantine_path is not None and folders is not None:
        folders.append(folder_of(Path(quarantine_path).resolve()))  # DuckDB writes it
    elif quarantine_path is not None:
        folders = [os.getcwd(), folder_of(Path(quarantine_path).resolve())]
    con = connection if connection is not None else connect(database, allowed_directories=folders)
    try:
        if query is not None:
            rel, offset, file, text_labels = read_source(query=query, connection=con), 0, None, False
        elif _is_file_source(source):
            opened = _open_file(source, con, score=score, sep=sep, skip_rows=skip_rows)
            rel, offset, file = opened.rel, opened.offset, opened.file
            text_labels = opened.format == "csv" or opened.skipped > 0
        else:
            rel, offset, file, text_labels = read_source(source, connection=con), 0, None, False
        try:
            levels = engines.level_counts(rel, score, by, file=file, markers=markers)
        except NPSInputError:
            raise
        except Exception as exc:  # DuckDB meets an unreadable line only while scanning
            if type(exc).__module__.split(".")[0] != "duckdb" and "duckdb" not in type(exc).__module__:
                raise
            raise SourceReadError(f"cannot read: {_first_lines(exc)}", file=file) from None
        if text_labels:
            levels = _infer_label_types(levels, by)
        rows = int(levels["count"].sum())
        if file is not None and rows == 0:
            raise NPSInputError("the file has a header but no data rows: no survey answers to analyse", file=file)
        missing = int(levels.loc[levels["level"] == engines.MISSING_LEVEL, "count"].sum())
        invalid = int(levels.loc[levels["level"] == engines.INVALID_LEVEL, "count"].sum())
        examples: list[tuple[Any, Any]] = []
        if invalid:
            examples = engines.invalid_examples(rel, score, row_offset=offset, markers=markers)
            hint = _hint(examples, valid=rows - missing - invalid, missing_values=missing_values)
            if on_invalid == "error":
                raise NPSInputError(
                    f"{invalid} invalid score(s): expected whole numbers from 0 to 10; "
                    f"{engines.describe_invalid(examples)}{hint}",
                    file=file,
                    column=score,
                    rows=examples,
                    count=invalid,
                )
            if quarantine_path is not None:
                _write_quarantine(rel, score, Path(quarantine_path), offset, markers)
            if rows - missing - invalid == 0:
                raise NPSInputError(
                    f"no responses left: {rows} rows read, {invalid} quarantined (invalid scores), "
                    f"{missing} without an answer", file=file, column=score,
                )
            # As nps.load does: quarantined rows are set aside before counting, so a group whose
            # every row was invalid does not appear.
            levels = levels[levels["level"] != engines.INVALID_LEVEL]
        out = engines.distribution_from_levels(levels, by)
    finally:
        if connection is None:
            con.close()
    out.attrs.update(missing=missing, invalid=invalid, quarantined=examples, rows=rows)
    if quarantine_path is not None and invalid:
        out.attrs["quarantine_file"] = str(quarantine_path)
    return out


def _write_quarantine(rel: Any, score: str, target: Path, offset: int, markers: Sequence[str] = ("",)) -> None:
    from . import engines

    nw = engines.narwhals_module()

    numbered = rel.query("_nps_src", f'SELECT row_number() OVER () - 1 + {offset} AS _row, * FROM _nps_src')
    frame = nw.from_native(numbered)
    dtype = frame.collect_schema()[score]
    bad = frame.with_columns(engines.level_expr(score, dtype, markers)).filter(nw.col(engines.LEVEL_COLUMN) == engines.INVALID_LEVEL)
    reason = f"invalid {score!r}: not a whole number 0-10"  # nps.load's wording
    bad = bad.drop(engines.LEVEL_COLUMN).with_columns(nw.lit(reason).alias("_reason"))
    names = bad.collect_schema().names()
    bad = bad.select("_row", "_reason", *[n for n in names if n not in ("_row", "_reason")])
    # The quarantine file is for people to open in a spreadsheet: no cell may run as a formula.
    # Invalid rows are few, so they are neutralised in pandas.
    with atomic_path(target) as tmp:
        to_safe_csv(bad.to_native().df(), tmp)


def is_large_file(path: str | os.PathLike[str], *, threshold: int | None = None) -> bool:
    """True for a CSV or Parquet file of at least ``threshold`` bytes (default
    :data:`LARGE_FILE_BYTES`): the CLI counts it with DuckDB."""
    threshold = LARGE_FILE_BYTES if threshold is None else threshold
    p = Path(path)
    try:
        return p.is_file() and p.stat().st_size >= threshold and file_format(p) in ("csv", "parquet")
    except NPSInputError:
        return False


__all__ = [
    "LARGE_FILE_BYTES",
    "SourceReadError",
    "connect",
    "file_format",
    "is_large_file",
    "read_file",
    "read_source",
    "score_distribution_from_source",
]
