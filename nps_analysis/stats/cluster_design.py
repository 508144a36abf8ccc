"""Designing cluster-assigned pilots: design effects, clusters per arm, and recognising the design.

Planning (how many teams of how many answers) and the detector that warns when an experiment's arm
is constant within a team, store or agent column, i.e. the pilot was assigned by cluster.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from ..sources.errors import NPSInputError
from ..sources.results import ResultMixin


@dataclass(frozen=True)
class ClusterSampleSizeResult(ResultMixin):
    """Clusters per arm and answers per cluster for a cluster-assigned pilot.

    ``n_individual_*`` are the respondents an individually randomised test would need
    (:func:`nps_analysis.stats.power.sample_size`); the cluster design needs ``design_effect`` times
    as many answers, rounded up to whole clusters and then raised until the t-test on
    ``df = clusters_treatment + clusters_control - 2`` reaches the power (``achieved_power``).
    """

    clusters_per_arm: int | None
    clusters_treatment: int
    clusters_control: int
    answers_per_cluster: int
    n_treatment: int
    n_control: int
    n_individual_treatment: int
    n_individual_control: int
    design_effect: float
    icc: float
    cluster_size_cv: float
    df: int
    achieved_power: float
    mde: float
    alpha: float
    power: float
    ratio: float
    alternative: str
    formula: str


@dataclass(frozen=True)
class ClusterAssignmentHint(ResultMixin):
    """A column within which the arm never varies: the pilot looks cluster-assigned by it."""

    column: str
    n_clusters: int
    clusters_per_arm: dict[str, int]
    message: str


# ------------------------------------------------------------------------------------ power


def design_effect(cluster_size: float, icc: float, *, cluster_size_cv: float = 0.0) -> float:
    """``1 + ((1 + cv^2) m - 1) icc`` (Eldridge, Ashby & Kerry 2006, Int. J. Epidemiol. 35:1292).

    With ``cv = 0`` (equal clusters) the classic ``1 + (m - 1) icc`` (Donner & Klar 2000);
    ``(1 + cv^2) m`` equals ``m_A = sum m_i^2 / sum m_i`` when cv uses the population SD.
    """
    if not cluster_size >= 1:
        raise ValueError(f"cluster_size (answers per cluster) must be at least 1, got {cluster_size!r}")
    if not 0 <= icc < 1:
        raise ValueError(f"icc must be in [0, 1), got {icc!r}")
    if not cluster_size_cv >= 0:
        raise ValueError(f"cluster_size_cv must be >= 0, got {cluster_size_cv!r}")
    return 1.0 + ((1.0 + cluster_size_cv**2) * cluster_size - 1.0) * icc


def t_power(lam: float, df: int, alpha: float, alternative: str) -> float:
    """Power of a t-test with noncentrality ``lam`` (noncentral t; two-sided: both tails)."""
    from scipy.stats import nct
    from scipy.stats import t as t_dist

    if alternative == "two-sided":
        q = float(t_dist.isf(alpha / 2, df))
        return float(nct.sf(q, df, lam) + nct.cdf(-q, df, lam))
    return float(nct.sf(float(t_dist.isf(alpha, df)), df, lam))


# ------------------------------------------------------------------------------------ detector


def detect_cluster_assignment(
    frame: pd.DataFrame,
    group: str,
    candidates: Sequence[str] | None = None,
    *,
    min_rows_per_cluster: float = 2.0,
) -> tuple[ClusterAssignmentHint, ...]:
    """Columns within which the arm never varies: "looks cluster-assigned by <column>".

    A candidate column qualifies when every one of its values (rows with a missing value or a
    missing arm are ignored) occurs in one arm only, it has more values than there are arms (a
    relabelled copy of the arm column is not a cluster), and its values hold at least
    ``min_rows_per_cluster`` rows on average (a respondent id is constant within arm trivially).

    Args:
        candidates: columns to check; default every column except ``group``.

    Returns:
        One hint per qualifying column, the column with the most clusters first.
    """
    if group not in frame.columns:
        raise NPSInputError(f"missing column {group!r}; the columns are {list(map(str, frame.columns))}", column=group)
    cols = [c for c in (frame.columns if candidates is None else candidates) if c != group]
    absent = [c for c in cols if c not in frame.columns]
    if absent:
        raise NPSInputError(f"missing column(s) {absent}; the columns are {list(map(str, frame.columns))}", column=absent[0])
    arm = frame[group]
    n_arms = int(arm.nunique(dropna=True))
    hints: list[ClusterAssignmentHint] = []
    for col in cols:
        values = frame[col]
        keep = values.notna().to_numpy() & arm.notna().to_numpy()
        if not keep.any():
            continue
        sub = pd.DataFrame({"v": values[keep].to_numpy(), "a": arm[keep].to_numpy()})
        try:
            arms_per_value = sub.groupby("v", sort=False)["a"].nunique()
        except TypeError:  # unhashable cells (lists, dicts) cannot label clusters
            continue
        n_values = len(arms_per_value)
        if n_values <= n_arms or keep.sum() / n_values < min_rows_per_cluster:
            continue
        if (arms_per_value == 1).all():
            per_arm = sub.drop_duplicates("v")["a"].value_counts().sort_index()
            counts = {str(k): int(v) for k, v in per_arm.items()}
            listing = ", ".join(f"{v} in {k}" for k, v in counts.items())
            hints.append(
                ClusterAssignmentHint(
                    column=str(col),
                    n_clusters=n_values,
                    clusters_per_arm=counts,
                    message=(
                        f"looks cluster-assigned by {col}: every {col}'s customers are in one arm "
                        f"({listing}); analyse with cluster={str(col)!r}, or the intervals are too narrow"
                    ),
                )
            )
    hints.sort(key=lambda h: -h.n_clusters)
    return tuple(hints)
