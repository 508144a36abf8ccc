"""``nps-analysis compare``: the NPS difference between a treatment and a control arm.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from .common import EXIT_OK, engine_table, fmt_cell, load_input, print_table


def compare_record(frame: Any, args: argparse.Namespace) -> dict[str, Any]:
    """The ``compare`` JSON contract: the effect, both arms shaped like ``score`` objects, row tests."""
    from ..sources.load import check_labels
    from ..sources.tables import Table
    from ..stats.compare import compare

    cluster = getattr(args, "cluster", None)
    if isinstance(frame, Table):  # counted where it lives: the arms are filters of one table
        treatment, control = _arm_tables(frame, args)
        result = compare(treatment, control, score=args.score, cluster=cluster or None, method=args.method,
                         confidence_level=args.confidence_level, alternative=args.alternative)
        return _record(result.to_dict(), args)
    check_labels(frame, args.group, [args.treatment, args.control], file=args.file)
    labels = frame[args.group].astype(str)
    if cluster:
        # Whole clusters were assigned: the rows (score and cluster) go in, not bare scores.
        result = compare(
            frame.loc[labels == str(args.treatment)], frame.loc[labels == str(args.control)],
            score=args.score, cluster=cluster, method=args.method,
            confidence_level=args.confidence_level, alternative=args.alternative,
        )
    else:
        scores_t = frame.loc[labels == str(args.treatment), args.score]
        scores_c = frame.loc[labels == str(args.control), args.score]
        result = compare(
            scores_t.dropna(),
            scores_c.dropna(),
            method=args.method,
            confidence_level=args.confidence_level,
            alternative=args.alternative,
        )
    return _record(result.to_dict(), args)


def _arm_tables(table: Any, args: argparse.Namespace) -> tuple[Any, Any]:
    """The treatment's and the control's rows of an engine table, as two lazy filters (labels
    compared as stripped text, as ``check_labels`` reads them); an absent label is an error
    listing the labels present."""
    from ..sources.engines import narwhals_module
    from ..sources.errors import NPSInputError

    nw = narwhals_module()
    frame = nw.from_native(table.data)
    label = nw.col(args.group).cast(nw.String).str.strip_chars()
    present = frame.select(label.alias("g")).group_by("g").agg(nw.len().alias("n"))
    present = present.collect(backend="pyarrow").to_pandas() if isinstance(present, nw.LazyFrame) else present.to_pandas()
    labels = sorted(str(v) for v in present["g"].dropna())
    missing = [str(v) for v in (args.treatment, args.control) if str(v).strip() not in labels]
    if missing:
        raise NPSInputError(f"label(s) {missing} not found in column {args.group!r}; the labels are {labels[:20]}",
                            file=table.source, column=args.group)
    return tuple(frame.filter(label == str(arm).strip()).to_native() for arm in (args.treatment, args.control))


def _record(data: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    from ..sources.results import jsonable

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
    columns = [args.group, *([args.cluster] if getattr(args, "cluster", None) else [])]
    table = engine_table(args, columns)
    frame = table if table is not None else load_input(args, columns)
    data = compare_record(frame, args)
    if args.format == "json":
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return EXIT_OK
    level = f"{args.confidence_level:.0%}"
    arms = [data["treatment"], data["control"]]
    rows = [{"arm": a["group"][args.group], **{k: a[k] for k in ("n", "nps", "ci_lower", "ci_upper")}} for a in arms]
    print_table(rows, ["arm", "n", "nps", "ci_lower", "ci_upper"])
    print(
        f"\nDifference {args.treatment} - {args.control}: {fmt_cell(data['difference'])} points "
        f"({level} CI {fmt_cell(data['ci_lower'])} to {fmt_cell(data['ci_upper'])}, "
        f"p = {fmt_cell(data['pvalue'], 4)}, {data['method']})"
    )
    if data.get("cluster"):
        k = data["cluster"]
        print(
            f"  by {args.cluster}: {k['n_clusters_treatment']} + {k['n_clusters_control']} clusters, "
            f"ICC {fmt_cell(k['icc'], 3)}, design effect {fmt_cell(k['design_effect'])}, "
            f"t-test p = {fmt_cell(k['t_pvalue'], 4)}, permutation p = {fmt_cell(k['permutation_pvalue'], 4)}"
        )
        if k.get("note"):
            print(f"  note: {k['note']}")
    for name, test in (data.get("row_tests") or {}).items():
        if isinstance(test, dict):
            shown = ", ".join(f"{k} = {fmt_cell(v, 4)}" for k, v in test.items() if not isinstance(v, (dict, list)))
            print(f"  {name}: {shown}")
    return EXIT_OK
