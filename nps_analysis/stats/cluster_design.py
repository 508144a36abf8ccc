"""Designing cluster-assigned pilots: design effects, clusters per arm, and recognising the design.

Planning (how many teams of how many answers) and the detector that warns when an experiment's arm
is constant within a team, store or agent column, i.e. the pilot was assigned by cluster.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
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


def _t_power(lam: float, df: int, alpha: float, alternative: str) -> float:
    """Power of a t-test with noncentrality ``lam`` (noncentral t; two-sided: both tails)."""
    from scipy.stats import nct
    from scipy.stats import t as t_dist

    if alternative == "two-sided":
        q = float(t_dist.isf(alpha / 2, df))
        return float(nct.sf(q, df, lam) + nct.cdf(-q, df, lam))
    return float(nct.sf(float(t_dist.isf(alpha, df)), df, lam))


def cluster_sample_size(
    mde: float,
    *,
    cluster_size: int,
    icc: float,
    cluster_size_cv: float = 0.0,
    baseline_nps: float | None = None,
    passive_share: float | None = None,
    baseline: Any = None,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    alternative: str = "two-sided",
) -> ClusterSampleSizeResult:
    """Clusters per arm (and answers per cluster) to detect ``mde`` points in a cluster pilot.

    1. ``n`` per arm for individually randomised respondents from
       :func:`nps_analysis.stats.power.sample_size` (``(z_a/2 + z_b)^2 (V_t + V_c) / Delta^2``).
    2. Design effect ``DE = 1 + ((1 + cv^2) m - 1) icc`` (:func:`design_effect`).
    3. Clusters ``k = ceil(n DE / m)`` per arm (treatment ``ratio`` times control), then raised one
       at a time until the noncentral-t power of the cluster t-test with ``df = k_t + k_c - 2``
       and ``SE^2 = DE (V_t / (k_t m) + V_c / (k_c m))`` reaches ``power`` (the z formula alone
       is too optimistic for few clusters; Hayes & Moulton 2017, *Cluster Randomised Trials*,
       ch. 7). At least 2 clusters per arm.

    Example:
        >>> r = cluster_sample_size(10, cluster_size=50, icc=0.02, baseline_nps=20, passive_share=0.3)
        >>> r.design_effect   # 1 + (50 - 1) 0.02
        1.98
    """
    from .power import sample_size

    if not (isinstance(cluster_size, (int, np.integer)) and cluster_size >= 1):
        raise ValueError(f"cluster_size must be a whole number of answers per cluster >= 1, got {cluster_size!r}")
    deff = design_effect(cluster_size, icc, cluster_size_cv=cluster_size_cv)
    base = sample_size(
        mde, baseline_nps=baseline_nps, passive_share=passive_share, baseline=baseline,
        alpha=alpha, power=power, ratio=ratio, alternative=alternative,
    )
    m = int(cluster_size)
    k_c = max(2, math.ceil(round(base.n_control * deff / m, 9)))

    def k_t_of(kc: int) -> int:
        return max(2, math.ceil(round(ratio * kc, 9)))

    def power_at(kc: int) -> float:
        kt = k_t_of(kc)
        se = math.sqrt(deff * (base.variance_treatment / (kt * m) + base.variance_control / (kc * m)))
        return _t_power(abs(mde) / 100.0 / se, kt + kc - 2, alpha, alternative)

    achieved = power_at(k_c)
    while achieved < power:
        k_c += 1
        achieved = power_at(k_c)
    k_t = k_t_of(k_c)
    return ClusterSampleSizeResult(
        clusters_per_arm=k_c if ratio == 1 else None,
        clusters_treatment=k_t,
        clusters_control=k_c,
        answers_per_cluster=m,
        n_treatment=k_t * m,
        n_control=k_c * m,
        n_individual_treatment=base.n_treatment,
        n_individual_control=base.n_control,
        design_effect=float(deff),
        icc=float(icc),
        cluster_size_cv=float(cluster_size_cv),
        df=k_t + k_c - 2,
        achieved_power=float(achieved),
        mde=float(mde),
        alpha=alpha,
        power=power,
        ratio=float(ratio),
        alternative=alternative,
        formula=(
            "k = ceil(n DE / m), DE = 1 + ((1 + cv^2) m - 1) icc, then k raised until the "
            "noncentral-t power on df = k_t + k_c - 2 reaches the target"
        ),
    )


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
