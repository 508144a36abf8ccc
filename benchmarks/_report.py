"""Shared helper for benchmark scripts: write one marked section of docs/validation.md.

Each script owns the block between ``<!-- BEGIN name -->`` and ``<!-- END name -->`` and replaces
only that block (appending it when absent), so scripts by different authors never collide.
"""

from __future__ import annotations

import re
from pathlib import Path

VALIDATION = Path(__file__).resolve().parent.parent / "docs" / "validation.md"


def write_section(path: str | Path, name: str, markdown: str) -> Path:
    """Replace (or append) the ``name`` block of ``path`` with ``markdown``; returns the path."""
    path = Path(path)
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    block = f"{begin}\n{markdown.rstrip()}\n{end}\n"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Validation\n\n"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end) + r"\n?", re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def markdown_table(header: list[str], rows: list[list[object]]) -> str:
    """A GitHub-flavoured Markdown table (used by the issue-2 validation scripts)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    """One line naming the machine, its CPU, cores and memory, the Python version and the date."""
    import datetime as _dt
    import os
    import platform

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import psutil

        mem = f"{psutil.virtual_memory().total / 2**30:.0f} GiB RAM"
    except ImportError:
        mem = "RAM unknown"
    today = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores, {mem}, "
        f"Python {platform.python_version()}; {today}"
    )


def survey_parquet(path: str | Path, rows: int) -> Path:
    """The big synthetic survey file the scale benchmarks share, written once by DuckDB.

    Hash-based columns (deterministic for a row count, no Python loop): 8 regions x 4 plans x 52
    weeks, two arms assigned by team (200 teams, whole teams per arm), scores 0-10 skewed high with
    5% missing, two numeric covariates (``prior``, ``tenure``) and a survey weight ``w`` (0.2-4.2).
    Parquet is columnar, so each benchmark reads only the columns it uses.
    """
    import os

    import duckdb

    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    con = duckdb.connect()
    con.execute(
        f"""
        COPY (
          SELECT
            ['North','South','East','West','Central','Islands','Abroad','Online'][1 + (hash(i) % 8)::INT] AS region,
            ['free','basic','plus','pro'][1 + (hash(i * 7 + 1) % 4)::INT] AS plan,
            (1 + hash(i * 13 + 2) % 52)::INTEGER AS week,
            CASE WHEN (hash(i * 5 + 4) % 200) % 2 = 0 THEN 'control' ELSE 'treatment' END AS arm,
            'team' || (hash(i * 5 + 4) % 200)::VARCHAR AS team,
            CASE WHEN hash(i * 31 + 3) % 20 = 0 THEN NULL
                 ELSE [0,1,2,3,4,5,5,6,6,7,7,7,8,8,8,8,9,9,9,9,10,10,10,10][1 + (hash(i * 17 + 5) % 24)::INT]
            END::BIGINT AS score,
            (hash(i * 11 + 6) % 1000) / 100.0 AS prior,
            (hash(i * 19 + 7) % 360)::DOUBLE AS tenure,
            0.2 + (hash(i * 11 + 7) % 1000) / 250.0 AS w
          FROM range({rows}) t(i)
        ) TO '{tmp}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
        """
    )
    con.close()
    os.replace(tmp, path)
    return path


def rollback_parquet(path: str | Path, rows: int, *, days: int = 60) -> Path:
    """A synthetic roll-back experiment file for ``decide`` at scale, written once by DuckDB.

    Hash-based columns (deterministic for a row count, no Python loop): ``arm`` (treatment or
    control, half each), ``submitted_at`` (a TIMESTAMP spread uniformly over ``days`` days from
    2025-01-01, to the second), ``score`` (0-10, 5% missing; the treatment's answers about 4 NPS
    points lower), ``csat`` (1-5, 10% missing) and ``team`` (100 teams per arm, for cluster pilots).
    """
    import os

    import duckdb

    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    con = duckdb.connect()
    con.execute(
        f"""
        COPY (
          SELECT
            CASE WHEN hash(i * 3 + 1) % 2 = 0 THEN 'control' ELSE 'treatment' END AS arm,
            TIMESTAMP '2025-01-01' + to_seconds((hash(i * 7 + 2) % ({days} * 86400))::BIGINT) AS submitted_at,
            CASE WHEN hash(i * 31 + 3) % 20 = 0 THEN NULL
                 WHEN hash(i * 3 + 1) % 2 = 0
                 THEN [0,1,2,3,4,5,5,6,6,7,7,7,8,8,8,8,9,9,9,9,10,10,10,10][1 + (hash(i * 17 + 5) % 24)::INT]
                 ELSE [0,1,2,3,4,5,5,6,6,6,7,7,8,8,8,8,9,9,9,9,10,10,10,10][1 + (hash(i * 17 + 5) % 24)::INT]
            END::BIGINT AS score,
            CASE WHEN hash(i * 13 + 4) % 10 = 0 THEN NULL ELSE 1 + (hash(i * 19 + 6) % 5) END::BIGINT AS csat,
            (CASE WHEN hash(i * 3 + 1) % 2 = 0 THEN 'c' ELSE 't' END) || (hash(i * 23 + 8) % 100)::VARCHAR AS team
          FROM range({rows}) t(i)
        ) TO '{tmp}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
        """
    )
    con.close()
    os.replace(tmp, path)
    return path
