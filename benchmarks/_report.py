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


def report_parquet(path: str | Path, rows: int, *, weeks: int = 12, end: str = "2026-11-16") -> Path:
    """A response table the reports run on (issue 18), written once by DuckDB.

    Rows arrive in time order over ``weeks`` weeks ending at ``end`` (an append-only response table),
    UTC timestamps. Columns: ``submitted_at``, ``team`` (20) and ``agent`` (200, 10 per team),
    ``region`` (8), ``plan`` (4), ``arm`` (``control`` / ``treatment``, hashed per customer),
    ``invited`` and ``responded`` flags, ``score`` (0-10 skewed high, 5% missing; the treatment
    3 points of NPS lower), ``csat`` (1-5), ``prior_score`` (a pre-period 0-10 answer correlated
    with the score), ``w`` (a survey weight 0.2-4.2) and ``comment`` (2% of rows, 12 phrases).
    """
    import os

    import duckdb

    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    seconds = weeks * 7 * 86400
    con = duckdb.connect()
    con.execute(
        f"""
        COPY (
          SELECT
            TIMESTAMPTZ '{end} 00:00:00+00' - INTERVAL ({seconds}) SECOND
              + to_seconds((i * {seconds} // {rows})::BIGINT) AS submitted_at,
            'team' || lpad((hash(i * 3 + 1) % 20)::VARCHAR, 2, '0') AS team,
            'agent' || lpad((hash(i * 3 + 1) % 200)::VARCHAR, 3, '0') AS agent,
            ['North','South','East','West','Central','Islands','Abroad','Online'][1 + (hash(i) % 8)::INT] AS region,
            ['free','basic','plus','pro'][1 + (hash(i * 7 + 1) % 4)::INT] AS plan,
            CASE WHEN hash(i * 5 + 4) % 2 = 0 THEN 'control' ELSE 'treatment' END AS arm,
            TRUE AS invited,
            hash(i * 31 + 3) % 20 <> 0 AS responded,
            CASE WHEN hash(i * 31 + 3) % 20 = 0 THEN NULL
                 WHEN hash(i * 5 + 4) % 2 = 1 AND hash(i * 41 + 9) % 100 < 3 THEN 3
                 ELSE [0,1,2,3,4,5,5,6,6,7,7,7,8,8,8,8,9,9,9,9,10,10,10,10][1 + (hash(i * 17 + 5) % 24)::INT]
            END::BIGINT AS score,
            (1 + hash(i * 23 + 8) % 5)::BIGINT AS csat,
            LEAST(10, GREATEST(0, [0,1,2,3,4,5,5,6,6,7,7,7,8,8,8,8,9,9,9,9,10,10,10,10][1 + (hash(i * 17 + 5) % 24)::INT]
                  + (hash(i * 29 + 2) % 5)::INT - 2))::BIGINT AS prior_score,
            0.2 + (hash(i * 11 + 7) % 1000) / 250.0 AS w,
            CASE WHEN hash(i * 37 + 1) % 50 = 0 THEN
              ['Waited too long on the phone', 'Great service, thank you', 'The price went up again',
               'Agent was rude', 'I will cancel my contract', 'Fast delivery', 'App keeps crashing',
               'Billing error on my invoice', 'Friendly and helpful staff', 'Never again',
               'Could not log in', 'Good value for money'][1 + (hash(i * 43) % 12)::INT]
            END AS comment
          FROM range({rows}) t(i)
        ) TO '{tmp}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
        """
    )
    con.close()
    os.replace(tmp, path)
    return path
