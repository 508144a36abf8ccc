"""Benchmark: NPS counts of a Parquet file on Spark, the kit (narwhals) vs hand-written Spark code.

Answers "is narwhals' Spark support good enough?": the kit's query (validation + group by level)
against the shortest PySpark aggregation of the same counts, in one local Spark session, both
reading the same Parquet file. Uses the file benchmarks/scale_counts.py generates.

    python benchmarks/spark_counts.py --rows 10_000_000
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

BY = ["region", "plan", "week"]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=10_000_000)
    parser.add_argument("--dir", default=os.environ.get("NPS_BENCH_DIR", os.path.join(tempfile.gettempdir(), "nps_bench")))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    here = Path(__file__).resolve().parent
    sys.path.insert(0, str(here))
    from _report import machine
    from scale_counts import generate

    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    path = Path(args.dir) / f"survey_{args.rows}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        generate(path, args.rows)

    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    import nps_analysis as nps

    start = time.perf_counter()
    spark = (
        SparkSession.builder.master("local[*]")
        .appName("nps-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    startup = time.perf_counter() - start
    frame = spark.read.parquet(str(path))

    def kit():
        table = nps.counts(frame, "score", by=BY)
        return sorted(table[[*BY, "detractors", "passives", "promoters"]].values.tolist())

    def native():
        s = F.col("score")
        rows = (
            frame.groupBy(*BY)
            .agg(
                F.count(F.when(s <= 6, 1)).alias("detractors"),
                F.count(F.when(s.isin(7, 8), 1)).alias("passives"),
                F.count(F.when(s >= 9, 1)).alias("promoters"),
            )
            .collect()
        )
        return sorted([r[c] for c in [*BY, "detractors", "passives", "promoters"]] for r in rows)

    best = {"native": math.inf, "kit": math.inf}
    results = {}
    for _ in range(args.repeat):
        for name, fn in (("native", native), ("kit", kit)):
            t0 = time.perf_counter()
            results[name] = fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    spark.stop()
    agree = [[str(a), str(b), int(c), int(d), int(e), int(f)] for a, b, c, d, e, f in results["kit"]] == [
        [str(a), str(b), int(c), int(d), int(e), int(f)] for a, b, c, d, e, f in results["native"]
    ]
    ratio = best["kit"] / best["native"]
    print(f"# NPS counts by {', '.join(BY)} of {args.rows:,} rows on local Spark ({os.cpu_count()} cores)")
    print(f"# {machine()}")
    print(f"Spark session start {startup:.1f} s")
    print(f"hand-written PySpark {best['native']:7.2f} s")
    print(f"kit (narwhals)       {best['kit']:7.2f} s   kit / PySpark = {ratio:.2f}   counts {'agree' if agree else 'DIFFER'}")
    if not agree:
        raise SystemExit("the kit's Spark counts differ from PySpark's")
    return {"rows": args.rows, "native_s": best["native"], "kit_s": best["kit"], "ratio": ratio}


if __name__ == "__main__":
    main()
