"""The cluster section of the experiment report: effects analysed by team/store/agent, and warnings.

Turns survey rows into one row per treatment arm (cluster-robust effect, permutation p-value, ICC,
design effect, clusters per arm) plus the guard-rail sentences the report shows above it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from ..sources.errors import NPSInputError
from ..stats.cluster_design import detect_cluster_assignment
from ..stats.clusters import cluster_counts, compare_cluster_frames, ratio_interval
from .formatting import flag_box, interval_text, p_cell, round_or_none

CLUSTER_COLUMNS: tuple[str, ...] = (
    "treatment", "difference", "ci_lower", "ci_upper", "pvalue", "method", "t_pvalue",
    "permutation_pvalue", "n_clusters_treatment", "n_clusters_control", "icc", "icc_ci_lower",
    "icc_ci_upper", "design_effect", "variance_inflation", "note",
)


def cluster_effects(
    frame: pd.DataFrame,
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
    """
    if cluster not in frame.columns:
        raise NPSInputError(
            f"cluster column {cluster!r} is not in the data; the columns are {list(map(str, frame.columns))}",
            column=cluster,
        )
    control_rows = frame[frame[group] == control]
    rows = []
    for arm in treatments:
        r = compare_cluster_frames(
            frame[frame[group] == arm], control_rows, score=score, cluster=cluster,
            confidence_level=confidence_level, random_state=random_state,
        )
        record = r.to_dict()
        rows.append({"treatment": str(arm), **{k: record[k] for k in CLUSTER_COLUMNS[1:]}})
    out = pd.DataFrame(rows, columns=list(CLUSTER_COLUMNS))
    out.attrs["confidence_level"] = confidence_level
    return out


def cluster_arm_table(
    frame: pd.DataFrame,
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
    rows = []
    for arm in arms:
        table = cluster_counts(frame[frame[group] == arm], score=score, cluster=cluster)
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


def cluster_warnings(
    frame: pd.DataFrame,
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
    candidates = [c for c in frame.columns if c != group and c not in set(ignore)]
    hints = detect_cluster_assignment(frame, group, candidates)
    return [
        f"The pilot {h.message} (in the report: set the parameter cluster_column to {h.column!r})."
        for h in hints
    ]
