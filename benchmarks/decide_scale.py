"""Benchmark: ``nps.decide`` on a big Parquet file through DuckDB with daily looks (issue 18).

Writes an N-row response table once (``_report.report_parquet``, the file of the report
benchmarks: arm, submitted_at in time order over 12 weeks, score, csat, ...; cached in the temp
folder), then measures in fresh processes, each
reading the file as a DuckDB relation so no row reaches pandas:
- ``decide``: ``nps.decide`` with daily looks, sequential design, NPS only;
- ``guardrails``: the same with a detractor-share and a CSAT (1-5) guardrail (one more scan);
- ``bare``: the bare DuckDB ``GROUP BY arm, day, score`` on the same file, no validation, the
  baseline of the ratio; its UTC day is integer arithmetic on the epoch (``epoch_us // 86400e6``),
  the cheapest day DuckDB can group by (``date_trunc``/``timezone()`` go through ICU and cost more).
Contenders run in turn (A, B, C, A, B, C ...) and the best time of each is kept, so a burst of
load on a shared machine does not favour one. Imports are timed separately (``imports``). Then
it checks that the decision through DuckDB equals the pandas path on the first 1M rows (every
field of the Decision to 1e-9). ``imports`` includes one decision on the bundled sample, which
pays the statistics' lazy imports (scipy) before the clock starts. Target from the issue: under 10 s at 100M rows.

    python benchmarks/decide_scale.py                       # 10M rows
    python benchmarks/decide_scale.py --rows 100_000_000 --delete
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import machine, report_parquet  # noqa: E402

OPTIONS = dict(score="score", group="arm", time="submitted_at", treatment="treatment", control="control", margin=5)
KINDS = ("decide", "guardrails", "bare")


def child(kind: str, path: str) -> None:
    """One measurement in this (fresh) process; prints a JSON line."""
    start = time.perf_counter()
    import duckdb

    import nps_analysis as nps

    if kind != "bare":
        # the statistics import scipy and friends on first use: paid here, as imports, not below
        from nps_analysis import datasets

        sample = nps.load(datasets.sample_path("monitoring"), score="score", columns=["arm", "submitted_at"])
        nps.decide(sample, **OPTIONS)
    imports = time.perf_counter() - start
    con = duckdb.connect()
    source = f"read_parquet('{path}')"
    start = time.perf_counter()
    if kind == "bare":
        out = con.sql(f"SELECT arm, epoch_us(submitted_at) // 86400000000 AS day, score, count(*) AS n FROM {source} "
                      "GROUP BY ALL").df()
        summary = {"groups": len(out)}
    else:
        guardrails = {"detractor_share": 5, "csat": 5} if kind == "guardrails" else {}
        d = nps.decide(con.sql(f"SELECT * FROM {source}"), **OPTIONS, guardrails=guardrails)
        summary = {"decision": d.decision, "looks": d.looks, "effect": d.effect, "decided_at_look": d.decided_at_look,
                   "n": d.n_treatment + d.n_control}
    took = time.perf_counter() - start
    print(json.dumps({"kind": kind, "seconds": took, "imports": imports, "peak_rss": peak_rss(), **summary}))


def peak_rss() -> int:
    """This process's peak resident memory in bytes.

    ``VmHWM`` of ``/proc/self/status`` on Linux: ``ru_maxrss`` survives ``exec`` (it would report
    the parent's peak, e.g. the generator's, when that was higher).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def same(a, b, path="") -> list[str]:
    """Paths where two Decision dicts differ by more than 1e-9 (relative, absolute below 1)."""
    if isinstance(a, dict):
        return [p for k in a for p in same(a[k], b.get(k), f"{path}.{k}")] + [f"{path}.{k}" for k in b if k not in a]
    if isinstance(a, (list, tuple)):
        if not isinstance(b, (list, tuple)) or len(a) != len(b):
            return [path]
        return [p for i, (x, y) in enumerate(zip(a, b, strict=True)) for p in same(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, (int, float)):
        if math.isnan(a) and math.isnan(b):
            return []
        return [] if a == b or abs(a - b) <= 1e-9 * max(1.0, abs(a)) else [path]
    return [] if a == b else [path]


def check_subset(path: Path, rows: int = 1_000_000) -> str:
    """The decision on the first ``rows`` rows: DuckDB relation against the pandas frame."""
    import duckdb

    import nps_analysis as nps

    con = duckdb.connect()
    relation = con.sql(f"SELECT * FROM read_parquet('{path}') LIMIT {rows}")
    frame = relation.df()
    options = dict(OPTIONS, guardrails={"detractor_share": 5, "csat": 5})
    engine = nps.decide(con.sql(f"SELECT * FROM read_parquet('{path}') LIMIT {rows}"), **options)
    memory = nps.decide(frame, **options)
    diff = same(memory.to_dict(), engine.to_dict())
    if diff:
        raise SystemExit(f"the DuckDB decision differs from the pandas one at {diff[:5]}")
    return (f"{len(frame):,}-row subset: DuckDB and pandas decisions identical to 1e-9 "
            f"({memory.decision}, effect {memory.effect:+.3f}, {memory.looks} looks)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each contender (best kept)")
    parser.add_argument("--delete", action="store_true", help="delete the generated file afterwards")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    path = Path(tempfile.gettempdir()) / f"nps_report_{args.rows}.parquet"
    if not path.exists():
        t = time.perf_counter()
        report_parquet(path, args.rows)
        print(f"# generated {args.rows:,} rows in {time.perf_counter() - t:.1f} s: {path} "
              f"({path.stat().st_size / 2**20:.0f} MiB)")
    best: dict[str, dict] = {}
    for _ in range(args.repeat):
        for kind in KINDS:
            out = subprocess.run([sys.executable, __file__, "--child", kind, str(path)], capture_output=True,
                                 text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            if kind not in best or r["seconds"] < best[kind]["seconds"]:
                best[kind] = r
    base = best["bare"]["seconds"]
    print(f"# {machine()}; load average {os.getloadavg()[0]:.1f} at the end")
    print(f"# {args.rows:,} rows, Parquet through DuckDB, daily looks; best of {args.repeat}; "
          "ratio = time / bare DuckDB GROUP BY arm, day, score")
    print(f"{'contender':<11} {'seconds':>8} {'ratio':>6} {'imports s':>9} {'peak RSS MiB':>13}  result")
    for kind, r in best.items():
        result = (f"{r['decision']}, {r['looks']} looks, effect {r['effect']:+.2f}, n {r['n']:,}" if "decision" in r
                  else f"{r['groups']} groups")
        print(f"{kind:<11} {r['seconds']:8.2f} {r['seconds'] / base:6.2f} {r['imports']:9.2f} "
              f"{r['peak_rss'] / 2**20:13.0f}  {result}")
    print("# " + check_subset(path))
    if args.delete:
        path.unlink()


if __name__ == "__main__":
    main()
