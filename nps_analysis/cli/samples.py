"""``nps-analysis sample-size``, ``sample`` and ``samples``: power, the demo report, the bundled data.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from .common import EXIT_OK, CLIError, fmt_cell
from .compare import cmd_compare
from .score import cmd_score


def cmd_sample_size(args: argparse.Namespace) -> int:
    from ..sources.results import jsonable
    from ..stats import power

    kwargs: dict[str, Any] = {"alpha": args.alpha, "power": args.power, "ratio": args.ratio}
    if args.cluster_size is not None or args.icc is not None:
        if args.cluster_size is None or args.icc is None:
            raise CLIError("a cluster design needs both --cluster-size and --icc")
        kwargs.update(cluster_size=args.cluster_size, icc=args.icc, cluster_size_cv=args.cluster_size_cv)
    if args.baseline_counts:
        from ..stats.scoring import NPSCounts

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
            print(f"{key}: {fmt_cell(value, 3) if isinstance(value, float) else value}")
    return EXIT_OK


def cmd_sample(args: argparse.Namespace) -> int:
    """Score and compare the bundled sample cohorts, then run the experiment report on them (the
    README's main job)."""
    from ..samples import sample_path

    path = sample_path("experiment")
    print(f"Bundled sample: {path}\n")
    ns = argparse.Namespace(
        file=str(path), score="score", by=["arm"], method="adjusted-wald", confidence_level=0.95,
        format="table", on_invalid="error", quarantine_file=None, sheet=None, delimiter=None,
        id_column="respondent_id", score_labels=False, skip_rows="auto", query=None, database=None,
        allow_dirs=None, missing_values=None, encoding=None, scale_check="warn", date_format=None,
        dayfirst=False, engine="auto",
    )
    cmd_score(ns)
    for treatment in ("treatment_a", "treatment_b"):
        print()
        cmd_compare(argparse.Namespace(**vars(ns), group="arm", treatment=treatment, control="control", alternative="two-sided"))
    print()
    from .run import sample_report

    return sample_report()


def cmd_samples(args: argparse.Namespace) -> int:
    """Regenerate the bundled samples in data/ (byte-identical from their seeds)."""
    from ..samples import describe_samples, regenerate_samples

    for path in regenerate_samples(args.name or None, args.output_dir):
        print(path)
    if args.list:
        print(json.dumps(describe_samples(), indent=2))
    return EXIT_OK
