"""The cluster section of the experiment report: effects analysed by team/store/agent, and warnings.

Turns survey rows into one row per treatment arm (cluster-robust effect, permutation p-value, ICC,
design effect, clusters per arm) plus the guard-rail sentences the report shows above it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..sources.errors import NPSInputError
from ..stats.cluster_design import ClusterAssignmentHint, detect_cluster_assignment
from ..stats.clusters import compare_clusters, ratio_interval
from .formatting import flag_box, interval_text, p_cell, round_or_none

CLUSTER_COLUMNS: tuple[str, ...] = (
    "treatment", "difference", "ci_lower", "ci_upper", "pvalue", "method", "t_pvalue",
    "permutation_pvalue", "n_clusters_treatment", "n_clusters_control", "icc", "icc_ci_lower",
    "icc_ci_upper", "design_effect", "variance_inflation", "note",
)


def arm_cluster_counts(frame: Any, *, score: str, group: str, cluster: str) -> dict[str, pd.DataFrame]:
    """Per arm (text label): detractors, passives, promoters and ``n`` per cluster, indexed by the
    sorted cluster labels, as :func:`nps_analysis.stats.clusters.cluster_counts` gives them.

    One GROUP BY (arm, cluster) where the data lives (:func:`nps_analysis.sources.aggregates.cluster_counts`,
    pandas frames included); a cluster in two arms or a responding row without a cluster label raises.
    """
    from ..sources.aggregates import cluster_counts as engine_cluster_counts
    from ..sources.arm_counts import columns_of, native

    if cluster not in columns_of(frame):
        raise NPSInputError(
            f"cluster column {cluster!r} is not in the data; the columns are {columns_of(frame)}", column=cluster,
        )
    table = engine_cluster_counts(native(frame), score, group, cluster)
    table = table[table[group].notna()]
    unlabelled = table[cluster].isna()
    if unlabelled.any():
        n = int(table.loc[unlabelled, "n"].sum())
        raise NPSInputError(f"{n} responding row(s) have no {cluster!r} label", column=cluster, count=n)
    out: dict[str, pd.DataFrame] = {}
    labels = table[group].map(lambda v: str(v.item() if hasattr(v, "item") else v))
    for arm, part in table.groupby(labels, sort=True):
        part = part.set_index(cluster)[["detractors", "passives", "promoters", "n"]]
        order = np.argsort(pd.factorize(part.index, sort=True)[0], kind="stable")
        out[str(arm)] = part.iloc[order]
    return out


def _empty_clusters(cluster: str) -> pd.DataFrame:
    return pd.DataFrame(columns=["detractors", "passives", "promoters", "n"], index=pd.Index([], name=cluster), dtype=np.int64)


def cluster_effects(
    frame: Any,
    *,
    score: str,
    group: str,
    control: Any,
    treatments: Sequence[Any],
    cluster: str,
    confidence_level: float = 0.95,
    random_state: int = 0,
) -> pd.DataFrame:
    """One row per treatment arm versus ``control``, analysed at the level of ``cluster``.

    Columns: :data:`CLUSTER_COLUMNS` (see
    :class:`nps_analysis.stats.clusters.ClusterComparison`); ``attrs["confidence_level"]``.
    Computed from the per-arm, per-cluster counts of :func:`arm_cluster_counts` (any engine).
    """
    tables = arm_cluster_counts(frame, score=score, group=group, cluster=cluster)
    control_table = tables.get(str(control), _empty_clusters(cluster))
    rows = []
    for arm in treatments:
        treat_table = tables.get(str(arm), _empty_clusters(cluster))
        shared = treat_table.index.intersection(control_table.index)
        if len(shared):
            raise NPSInputError(
                f"{len(shared)} cluster(s) appear in both arms (e.g. {list(shared[:5])}); in a "
                "cluster-assigned pilot every customer of a cluster has the same arm",
                column=cluster,
            )
        r = compare_clusters(treat_table, control_table, confidence_level=confidence_level, random_state=random_state)
        record = r.to_dict()
        rows.append({"treatment": str(arm), **{k: record[k] for k in CLUSTER_COLUMNS[1:]}})
    out = pd.DataFrame(rows, columns=list(CLUSTER_COLUMNS))
    out.attrs["confidence_level"] = confidence_level
    return out


def cluster_arm_table(
    frame: Any,
    *,
    score: str,
    group: str,
    arms: Sequence[Any],
    cluster: str,
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    """Each arm's NPS with its cluster-robust interval (ratio estimator, linearised CR1 standard
    error, t on clusters - 1; :func:`nps_analysis.stats.clusters.ratio_interval`).

    Columns: ``group``, ``clusters``, ``n``, ``nps``, ``ci_lower``, ``ci_upper``, ``se``.
    """
    tables = arm_cluster_counts(frame, score=score, group=group, cluster=cluster)
    rows = []
    for arm in arms:
        table = tables.get(str(arm), _empty_clusters(cluster))
        counts = table[["detractors", "passives", "promoters"]].to_numpy(dtype=float)
        nps, lo, hi, se = ratio_interval(counts, confidence_level=confidence_level)
        rows.append({"group": str(arm), "clusters": len(table), "n": int(table["n"].sum()), "nps": nps,
                     "ci_lower": lo, "ci_upper": hi, "se": se})
    out = pd.DataFrame(rows)
    out.attrs["confidence_level"] = confidence_level
    return out


def cluster_table(effects: pd.DataFrame) -> pd.DataFrame:
    """:func:`cluster_effects` for reading: one row per treatment, human headers, the verdict first.

    Exact numbers stay in ``effects`` (and in results.json).
    """
    level = effects.attrs.get("confidence_level", 0.95)
    rows = []
    for rec in effects.to_dict("records"):
        rows.append({
            "treatment": rec["treatment"],
            "difference (points)": round_or_none(rec["difference"], 1),
            f"{100 * level:g}% interval": interval_text(rec["ci_lower"], rec["ci_upper"]),
            "p": p_cell(rec["pvalue"]),
            "p and interval from": "permutation of clusters" if rec["method"] == "cluster-permutation" else "cluster-robust t",
            "t-test p": p_cell(rec["t_pvalue"]),
            "permutation p": p_cell(rec["permutation_pvalue"]),
            "clusters (treatment + control)": f"{rec['n_clusters_treatment']}\u00a0+\u00a0{rec['n_clusters_control']}",
            "ICC": round_or_none(rec["icc"], 3),
            f"ICC {100 * level:g}% interval": interval_text(rec["icc_ci_lower"], rec["icc_ci_upper"], 3),
            "design effect": round_or_none(rec["design_effect"], 1),
        })
    return pd.DataFrame(rows).set_index("treatment")


def warning_boxes(notes: Sequence[str]) -> str:
    """The report's red boxes for the cluster warnings (Markdown/HTML)."""
    return "\n\n".join(flag_box(f"Warning: {note}", True) for note in notes)


#: Rows of a column's head read to skip ids, timestamps and free text before grouping by it.
HEAD_ROWS = 100_000


def engine_cluster_hints(
    data: Any, group: str, candidates: Sequence[str], *, min_rows_per_cluster: float = 2.0,
) -> tuple[ClusterAssignmentHint, ...]:
    """:func:`nps_analysis.stats.cluster_design.detect_cluster_assignment` on an engine table.

    Per candidate column one query: GROUP BY the column inside the engine (rows, smallest and
    largest arm per value), then one summary row (values, values whose arm varies, rows) comes
    back; only a qualifying column's clusters per arm are fetched. A column whose first :data:`HEAD_ROWS` rows hold more
    than ``1 / min_rows_per_cluster`` distinct values per row (ids, timestamps, free text) cannot
    hold clusters of ``min_rows_per_cluster`` rows and is skipped without grouping by it; on a
    table no longer than that head this is exactly the pandas rule. A column one of whose values
    meets two arms within that head is skipped too (exact: the arm varies within it), so on an
    individually randomised table no column costs a full scan.
    """
    from ..sources.engines import narwhals_module

    nw = narwhals_module()
    frame = nw.from_native(data)
    if isinstance(frame, nw.DataFrame):
        frame = frame.lazy()

    def collect(q: Any) -> pd.DataFrame:
        return q.collect(backend="pyarrow").to_pandas() if isinstance(q, nw.LazyFrame) else q.to_pandas()

    arm = nw.col(group)
    arms = collect(frame.filter(~arm.is_null()).group_by(group).agg(nw.len().alias("_n")))
    n_arms = len(arms)
    hints: list[ClusterAssignmentHint] = []
    for col in candidates:
        head = collect(frame.select(col, group).head(HEAD_ROWS)).dropna()
        if len(head) and head[col].nunique() > len(head) / min_rows_per_cluster:
            continue
        try:
            if len(head) and int(head.groupby(col, sort=False)[group].nunique().max()) > 1:
                continue  # a value already in two arms within the head: the arm varies within this column
        except TypeError:  # unhashable cells (lists, dicts) cannot label clusters
            continue
        rows = frame.filter(~nw.col(col).is_null() & ~arm.is_null())
        # Per value: its rows and whether its arm varies (min != max); one summary row comes back.
        per_value = rows.group_by(col).agg(arm.min().alias("_lo"), arm.max().alias("_hi"), nw.len().alias("_rows"))
        summary = collect(per_value.select(
            nw.len().alias("values"), (nw.col("_lo") != nw.col("_hi")).cast(nw.Int64).sum().alias("mixed"),
            nw.col("_rows").sum().alias("rows")))
        n_values = int(summary["values"].iloc[0])
        if n_values == 0 or n_values <= n_arms or float(summary["rows"].iloc[0]) / n_values < min_rows_per_cluster:
            continue
        if int(summary["mixed"].iloc[0]) == 0:
            per_arm = collect(per_value.group_by("_lo").agg(nw.len().alias("n")))
            counts = {str(k): int(v) for k, v in sorted(zip(per_arm["_lo"].astype(str), per_arm["n"], strict=True))}
            listing = ", ".join(f"{v} in {k}" for k, v in counts.items())
            hints.append(ClusterAssignmentHint(
                column=str(col), n_clusters=n_values, clusters_per_arm=counts,
                message=(f"looks cluster-assigned by {col}: every {col}'s customers are in one arm "
                         f"({listing}); analyse with cluster={str(col)!r}, or the intervals are too narrow"),
            ))
    hints.sort(key=lambda h: -h.n_clusters)
    return tuple(hints)


def cluster_warnings(
    frame: Any,
    *,
    group: str,
    cluster: str = "",
    effects: pd.DataFrame | None = None,
    ignore: Sequence[str] = (),
) -> list[str]:
    """The guard-rail sentences of the report's cluster section (empty list: nothing to say).

    - ``cluster`` given: the few-clusters warning of each treatment whose arms have fewer than
      about 10 clusters (from ``effects``).
    - ``cluster`` empty: "looks cluster-assigned by <column>" for every column within which the
      arm never varies (:func:`nps_analysis.stats.clusters.detect_cluster_assignment`), the
      columns in ``ignore`` (e.g. the score and respondent-id columns) left out.
    """
    if cluster:
        notes = [] if effects is None else [
            f"{row.treatment}: {row.note}" for row in effects.itertuples() if isinstance(row.note, str) and row.note
        ]
        return notes
    from ..sources.arm_counts import columns_of, is_table, native

    candidates = [c for c in columns_of(frame) if c != group and c not in set(ignore)]
    if is_table(frame):
        hints = engine_cluster_hints(native(frame), group, candidates)
    else:
        hints = detect_cluster_assignment(native(frame), group, candidates)
    return [
        f"The pilot {h.message} (in the report: set the parameter cluster_column to {h.column!r})."
        for h in hints
    ]
