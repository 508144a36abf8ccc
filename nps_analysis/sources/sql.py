"""SQL sources: one read-only DuckDB query, checked before it runs, on a locked-down connection.

A query is always its own, explicit input (``query=``, ``--query``): a file path or a notebook's
``data_path`` is never read as SQL. See SECURITY.md for what the connection cannot do.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import NPSInputError

#: Longest query text accepted (a query is a short statement, not a data channel).
MAX_QUERY_CHARS = 100_000


def connect(
    database: str | os.PathLike[str] | None = None,
    *,
    allowed_directories: Sequence[str | os.PathLike[str]] | None = None,
    memory_limit: str | None = None,
    threads: int | None = None,
) -> Any:
    """A locked-down DuckDB connection (in memory, or a database file opened read-only).

    The connection can read files only below ``allowed_directories`` (default: the current working
    directory), cannot reach the network, install or load extensions, or write a file outside
    those folders; and its configuration is locked so a query cannot undo any of it (DuckDB's
    ``enable_external_access = false`` with ``allowed_directories``, and ``lock_configuration``).
    Statements themselves are checked before they run (:func:`nps_analysis.sources.sql.check_query`:
    one read-only ``SELECT``), so nothing is written at all. See SECURITY.md.
    """
    try:
        import duckdb
    except ImportError:  # pragma: no cover - depends on the installation
        raise ImportError("reading files through DuckDB needs: pip install 'nps_analysis[scale]'") from None

    config: dict[str, Any] = {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "allow_community_extensions": False,
    }
    if memory_limit:
        config["memory_limit"] = memory_limit
    if threads:
        config["threads"] = threads
    if database is None:
        con = duckdb.connect(config=config)
    elif not Path(database).is_file():
        raise NPSInputError("no such DuckDB database", file=str(database))
    else:
        con = duckdb.connect(str(database), read_only=True, config=config)
    try:
        con.execute("SET enable_progress_bar = false")  # it would write into the CLI's stdout
    except Exception:  # inside Jupyter DuckDB refuses to touch the setting without ipywidgets
        pass
    folders = [os.getcwd()] if allowed_directories is None else list(allowed_directories)
    # A trailing separator: DuckDB matches allowed directories as path prefixes.
    allowed = sorted({os.path.join(os.path.realpath(str(f)), "") for f in folders})
    con.execute("SET allowed_directories = ?", [allowed])
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def folder_of(path: str | os.PathLike[str]) -> str:
    """The folder a file or a glob (``exports/*.parquet``) lives in: what a connection must allow."""
    text = str(path)
    head = text
    for i, ch in enumerate(text):
        if ch in "*?[":
            head = text[:i]
            break
    folder = os.path.dirname(head) if head == text or not head.endswith(os.sep) else head
    return os.path.realpath(folder or ".")


def check_query(query: Any) -> str:
    """Return ``query`` if it is a single read-only ``SELECT`` (or ``WITH ... SELECT``), else raise.

    DuckDB's own parser decides (``duckdb.extract_statements``): exactly one statement, of type
    SELECT. Everything else is refused before anything runs: ``COPY``, ``ATTACH``, ``DETACH``,
    ``INSTALL``, ``LOAD``, ``SET``/``RESET``, ``PRAGMA``, ``CREATE``, ``INSERT``/``UPDATE``/
    ``DELETE``, ``EXPORT``/``IMPORT``, ``CALL``, transactions, and several statements in one
    string. Reading files a SELECT names (``read_text('/etc/passwd')``) is stopped by the
    connection instead (:func:`nps_analysis.sources.bigfile.connect`).
    """
    if not isinstance(query, str) or not query.strip():
        raise NPSInputError(f"a SQL query must be non-empty text, got {query!r}")
    if len(query) > MAX_QUERY_CHARS:
        raise NPSInputError(f"the SQL query is {len(query):,} characters long; at most {MAX_QUERY_CHARS:,} are accepted")
    if "\x00" in query:
        raise NPSInputError("the SQL query contains a NUL character")
    try:
        import duckdb
    except ImportError:  # pragma: no cover - depends on the installation
        raise ImportError("SQL queries need DuckDB: pip install 'nps_analysis[scale]'") from None
    try:
        statements = duckdb.extract_statements(query)
    except Exception as exc:
        raise NPSInputError(f"the SQL query does not parse: {str(exc).splitlines()[0]}") from None
    if len(statements) != 1:
        raise NPSInputError(
            f"the SQL query holds {len(statements)} statements; exactly one read-only SELECT is accepted"
        )
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        name = str(kind).rsplit(".", 1)[-1].replace("_STATEMENT", "")
        raise NPSInputError(
            f"only a read-only SELECT (or WITH ... SELECT) query is accepted, not a {name} statement"
        )
    return query


def describe_query(query: str) -> str:
    """A short, one-line name for a query in messages (``query 'SELECT ...'``)."""
    text = " ".join(str(query).split())
    text = text if len(text) <= 80 else text[:77] + "..."
    return f"query {text!r}"


def read_query(
    query: str,
    *,
    database: str | os.PathLike[str] | None = None,
    allowed_directories: Sequence[str | os.PathLike[str]] | None = None,
) -> pd.DataFrame:
    """Run one read-only SQL query in DuckDB and return the rows as a frame.

    The query is checked by :func:`check_query` before it runs, on a connection that reads files
    only below ``allowed_directories`` (default: the current working directory) and ``database``
    (opened read-only), with no network, no extensions and a locked configuration.
    """
    sql = check_query(query)
    con = connect(database, allowed_directories=allowed_directories)
    try:
        frame = con.sql(sql).df()
    except Exception as exc:  # DuckDB's own error, reworded
        message = " ".join(str(exc).split())[:300]
        raise NPSInputError(f"DuckDB could not run it: {message}", file=describe_query(query)) from None
    finally:
        con.close()
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def read_table_of(
    table: str, *, database: str | os.PathLike[str]
) -> pd.DataFrame:
    """All rows of a table (or view) of a DuckDB database file, opened read-only."""
    con = connect(database, allowed_directories=[])
    try:
        frame = con.table(str(table)).df()
    except Exception as exc:
        message = " ".join(str(exc).split())[:300]
        raise NPSInputError(f"no table {table!r} could be read ({message})", file=str(database)) from None
    finally:
        con.close()
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


__all__ = ["MAX_QUERY_CHARS", "check_query", "connect", "describe_query", "folder_of", "read_query", "read_table_of"]
