"""Cluster-assigned pilots: the NPS difference when whole teams, stores or agents get the change.

Ratio estimators with a cluster-level linearised variance, cluster permutation tests and their
intervals, the intracluster correlation (ICC) with an interval, and cluster-robust look moments.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..sources.errors import NPSInputError, describe_rows
from ..sources.results import ResultMixin
from ..sources.scores import PASSIVE_FROM, PROMOTER_FROM, parse_scores

#: Below this many clusters in an arm the cluster-robust t is not trusted (Cameron & Miller 2015).
MIN_CLUSTERS_PER_ARM = 10
#: Enumerate every relabelling of clusters when there are at most this many, else Monte Carlo.
MAX_EXACT_RELABELINGS = 20_000
CLUSTER_METHODS: tuple[str, ...] = ("auto", "t", "permutation")
_ALTERNATIVES: tuple[str, ...] = ("two-sided", "less", "greater")
_BOUND = 200.0  # a difference of two NPS lies in [-200, 200] points


def few_clusters_note(n_treatment: int, n_control: int, minimum: int = MIN_CLUSTERS_PER_ARM) -> str | None:
    """The guard-rail sentence for pilots with fewer than ``minimum`` clusters in an arm, else None."""
    if min(n_treatment, n_control) >= minimum:
        return None
    return (
        f"only {n_treatment} treatment and {n_control} control clusters: with fewer than about "
        f"{minimum} clusters per arm the cluster-robust t interval can be too narrow and its p-value too small "
        "(Cameron & Miller 2015); only the cluster permutation test is trustworthy"
    )


# ------------------------------------------------------------------------------------ results


@dataclass(frozen=True)
class ClusterComparison(ResultMixin):
    """Treatment versus control when whole clusters were assigned to an arm.

    Attributes:
        difference: NPS(treatment) - NPS(control) in points, each NPS the ratio estimator
            ``100 sum(cluster sums of -1/0/+1) / sum(cluster sizes)``.
        ci_lower, ci_upper, pvalue: from the method named in ``method``: ``cluster-t`` (the
            cluster-robust t interval and test: linearised variance, CR1 per arm) or
            ``cluster-permutation`` (the permutation test of whole clusters and the interval
            that inverts it); ``t_*`` and ``permutation_*`` hold both.
        se: linearised standard error of the difference (points); ``df``: t degrees of freedom.
        icc: ANOVA estimate of the intracluster correlation of the -1/0/+1 value, pooled within
            arms, with ``icc_ci_lower``/``icc_ci_upper`` (Searle's F interval).
        design_effect: ``1 + (m_A - 1) max(icc, 0)``, ``m_A = sum m_i^2 / sum m_i``
            (``adjusted_cluster_size``).
        variance_inflation: squared ratio of the cluster-robust SE to the SE that treats
            respondents as independent (the design effect the data show).
        note: the guard-rail sentence when an arm has fewer than about 10 clusters.
    """

    difference: float
    ci_lower: float
    ci_upper: float
    pvalue: float
    se: float
    df: int
    statistic: float
    t_pvalue: float
    t_ci_lower: float
    t_ci_upper: float
    permutation_pvalue: float
    permutation_ci_lower: float
    permutation_ci_upper: float
    permutation_exact: bool
    n_permutations: int
    nps_treatment: float
    nps_control: float
    n_treatment: int
    n_control: int
    n_clusters_treatment: int
    n_clusters_control: int
    icc: float
    icc_ci_lower: float
    icc_ci_upper: float
    design_effect: float
    adjusted_cluster_size: float
    variance_inflation: float
    method: str
    confidence_level: float
    alternative: str
    note: str | None = None

    def confidence_interval(self) -> tuple[float, float]:
        return (self.ci_lower, self.ci_upper)

    @property
    def trustworthy_t(self) -> bool:
        """True when both arms have at least about 10 clusters."""
        return min(self.n_clusters_treatment, self.n_clusters_control) >= MIN_CLUSTERS_PER_ARM


@dataclass(frozen=True)
class ICCResult(ResultMixin):
    """Intracluster correlation of the -1/0/+1 NPS value (ANOVA estimator) with an interval.

    ``icc`` may be slightly negative (sampling noise around 0); ``design_effect`` uses
    ``max(icc, 0)``. ``m0`` is the ANOVA "average" cluster size, ``adjusted_cluster_size`` the
    size ``m_A = sum m_i^2 / sum m_i`` used in the design effect.
    """

    icc: float
    ci_lower: float
    ci_upper: float
    n_clusters: int
    n: int
    m0: float
    adjusted_cluster_size: float
    design_effect: float
    msb: float
    msw: float
    df_between: int
    df_within: int
    confidence_level: float
    method: str = "anova (Donner & Klar 2000); interval: Searle (1971) F interval with m0"


# ------------------------------------------------------------------------------------ inputs


def cluster_counts(frame: pd.DataFrame, *, score: str = "score", cluster: str) -> pd.DataFrame:
    """Detractors, passives and promoters per cluster: the sufficient statistics of every method here.

    Rows with a missing answer are not responses and are left out; clusters with no responses
    therefore do not appear. A missing cluster label on a responding row raises
    :class:`NPSInputError` naming the rows (a response that belongs to no cluster cannot be
    analysed at the cluster level).

    Returns:
        One row per cluster (index: the cluster label, sorted): ``detractors``, ``passives``,
        ``promoters``, ``n``.
    """
    if not isinstance(frame, pd.DataFrame):
        raise NPSInputError(f"cluster analysis needs rows: pass a DataFrame with {score!r} and {cluster!r}")
    for col in (score, cluster):
        if col not in frame.columns:
            raise NPSInputError(
                f"missing column {col!r}; the columns are {list(map(str, frame.columns))}", column=col
            )
    parsed = parse_scores(frame[score], column=score)
    keep = parsed.valid_mask
    labels = frame[cluster].to_numpy()[keep]
    missing = pd.isna(labels)
    if missing.any():
        idx = frame.index[keep][missing]
        rows = [(i, None) for i in idx[:20]]
        raise NPSInputError(
            f"{int(missing.sum())} responding row(s) have no {cluster!r} label ({describe_rows(rows)})",
            column=cluster, rows=rows, count=int(missing.sum()),
        )
    values = parsed.values[keep]
    category = np.where(values >= PROMOTER_FROM, 2, np.where(values >= PASSIVE_FROM, 1, 0))
    codes, uniques = pd.factorize(labels, sort=True)
    table = np.zeros((len(uniques), 3), dtype=np.int64)
    np.add.at(table, (codes, category), 1)
    out = pd.DataFrame(table, columns=["detractors", "passives", "promoters"], index=pd.Index(uniques, name=cluster))
    out["n"] = table.sum(axis=1)
    return out


def _as_cluster_table(data: Any, role: str) -> np.ndarray:
    """A (clusters x 3) float array of detractors, passives, promoters from a table or array."""
    if isinstance(data, pd.DataFrame):
        absent = [c for c in ("detractors", "passives", "promoters") if c not in data.columns]
        if absent:
            raise NPSInputError(f"{role}: cluster table lacks column(s) {absent}", column=absent[0])
        arr = data[["detractors", "passives", "promoters"]].to_numpy(dtype=float)
    else:
        arr = np.asarray(data, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise NPSInputError(f"{role}: expected one row of (detractors, passives, promoters) per cluster, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise NPSInputError(f"{role}: cluster counts must be finite and non-negative")
    arr = arr[arr.sum(axis=1) > 0]  # a cluster without answers carries no information
    if arr.shape[0] == 0:
        raise NPSInputError(f"{role}: no cluster has any responses")
    return arr


# ------------------------------------------------------------------------------------ core


def ratio_nps(table: np.ndarray) -> tuple[float, float, int]:
    """NPS (points), its linearised variance (points^2) and the number of clusters of one arm.

    Ratio estimator ``R = sum y_i / sum m_i`` with ``y_i = promoters_i - detractors_i`` and
    ``m_i`` the cluster's answers. Taylor-linearised variance with the CR1 small-sample factor
    (Donner & Klar 2000, ch. 6; Cameron & Miller 2015, J. Human Resources 50(2), sec. VI):
    ``Var(R) = G/(G-1) sum_i (y_i - R m_i)^2 / (sum m_i)^2``. NaN variance for one cluster.
    """
    y = table[:, 2] - table[:, 0]
    m = table.sum(axis=1)
    g = table.shape[0]
    total = m.sum()
    r = y.sum() / total
    if g < 2:
        return 100.0 * r, math.nan, g
    resid = y - r * m
    var = g / (g - 1) * float(resid @ resid) / total**2
    return 100.0 * r, 1e4 * var, g


def ratio_interval(table: Any, *, confidence_level: float = 0.95) -> tuple[float, float, float, float]:
    """One arm's NPS with a cluster-robust interval: ``(nps, ci_lower, ci_upper, se)`` in points.

    ``NPS +/- t_(G-1) se`` with the linearised CR1 standard error of :func:`ratio_nps` (t on
    G - 1: one mean estimated from G clusters), clipped to [-100, 100]; NaN bounds for one cluster.
    """
    from scipy.stats import t as t_dist

    nps, var, g = ratio_nps(_as_cluster_table(table, "arm"))
    se = math.sqrt(var) if math.isfinite(var) else math.nan
    if not (g > 1 and math.isfinite(se)):
        return nps, math.nan, math.nan, se
    q = float(t_dist.ppf(0.5 + confidence_level / 2, g - 1))
    return nps, max(-100.0, nps - q * se), min(100.0, nps + q * se), se


def _independent_variance(table: np.ndarray) -> float:
    """Variance (points^2) of one arm's NPS treating respondents as independent: V / n."""
    d, _, r = table.sum(axis=0)
    n = table.sum()
    return 1e4 * ((r + d) / n - ((r - d) / n) ** 2) / n


def anova_icc(tables: Sequence[np.ndarray], *, confidence_level: float = 0.95) -> ICCResult:
    """ANOVA intracluster correlation of the -1/0/+1 value, pooled within strata (arms).

    Donner & Klar (2000, *Design and Analysis of Cluster Randomization Trials*, sec. 5.2; Donner
    1986) for unequal cluster sizes, with ``k`` clusters in ``s`` strata and ``N`` answers:
    ``MSB = sum_s sum_i m_i (ybar_i - ybar_s)^2 / (k - s)``,
    ``MSW = sum_i sum_j (y_ij - ybar_i)^2 / (N - k)``,
    ``m0 = (N - sum_s sum_i m_i^2 / N_s) / (k - s)``,
    ``icc = (MSB - MSW) / (MSB + (m0 - 1) MSW)``. From counts: ``sum_j y_ij^2 = d_i + r_i``.
    Interval: Searle (1971, *Linear Models*, sec. 9.7) for balanced one-way ANOVA with ``m0`` in
    place of the common size, ``F = MSB/MSW``, ``F_L = F / F_(1-a/2; k-s, N-k)``,
    ``F_U = F / F_(a/2; k-s, N-k)``, limits ``(F - 1)/(F + m0 - 1)``; approximate for unequal
    sizes and for the non-normal -1/0/+1 values (coverage measured in docs/validation.md).
    """
    from scipy.stats import f as f_dist

    if not 0 < confidence_level < 1:
        raise ValueError(f"confidence_level must be between 0 and 1, got {confidence_level!r}")
    ssb = ssw = 0.0
    n_total = 0.0
    k = 0
    m2_over = 0.0
    sum_m2 = 0.0
    for table in tables:
        y = table[:, 2] - table[:, 0]
        m = table.sum(axis=1)
        sq = table[:, 2] + table[:, 0]
        ssw += float(np.sum(sq - y * y / m))
        ssb += float(np.sum(y * y / m) - y.sum() ** 2 / m.sum())
        n_total += float(m.sum())
        k += table.shape[0]
        m2_over += float(np.sum(m * m)) / float(m.sum())
        sum_m2 += float(np.sum(m * m))
    s = len(tables)
    df_b, df_w = k - s, int(round(n_total)) - k
    m_a = sum_m2 / n_total
    nan = math.nan
    if df_b < 1 or df_w < 1:
        return ICCResult(nan, nan, nan, k, int(n_total), nan, m_a, nan, nan, nan, df_b, df_w, confidence_level)
    msb, msw = ssb / df_b, ssw / df_w
    m0 = (n_total - m2_over) / df_b
    denom = msb + (m0 - 1.0) * msw
    icc = (msb - msw) / denom if denom > 0 else nan
    lo = hi = nan
    if msw > 0:
        f_obs = msb / msw
        alpha = 1.0 - confidence_level
        f_l = f_obs / float(f_dist.ppf(1 - alpha / 2, df_b, df_w))
        f_u = f_obs / float(f_dist.ppf(alpha / 2, df_b, df_w))
        lo = (f_l - 1.0) / (f_l + m0 - 1.0)
        hi = min(1.0, (f_u - 1.0) / (f_u + m0 - 1.0))
    elif msb > 0:
        icc, lo, hi = 1.0, 1.0, 1.0  # no variation within clusters at all
    deff = 1.0 + (m_a - 1.0) * max(icc, 0.0) if math.isfinite(icc) else nan
    return ICCResult(
        icc=float(icc), ci_lower=float(lo), ci_upper=float(hi), n_clusters=k, n=int(round(n_total)),
        m0=float(m0), adjusted_cluster_size=float(m_a), design_effect=float(deff), msb=float(msb),
        msw=float(msw), df_between=df_b, df_within=df_w, confidence_level=confidence_level,
    )


#: Relabelings built at a time (rows of a relabelings x clusters 0/1 matrix): bounds the memory.
_CHUNK = 2048


def _relabeling_chunks(g: int, g_t: int, *, n_resamples: int, max_exact: int, rng: np.random.Generator):
    """Yield 0/1 matrices (relabelings x clusters; 1 = in treatment) covering every relabeling when
    ``C(g, g_t) <= max_exact``, else ``n_resamples`` random ones, ``_CHUNK`` rows at a time."""
    if math.comb(g, g_t) <= max_exact:
        combos = itertools.combinations(range(g), g_t)
        while True:
            block = list(itertools.islice(combos, _CHUNK))
            if not block:
                return
            z = np.zeros((len(block), g), dtype=np.float64)
            z[np.repeat(np.arange(len(block)), g_t), np.asarray(block, dtype=np.intp).ravel()] = 1.0
            yield z
    for start in range(0, n_resamples, _CHUNK):
        rows = min(_CHUNK, n_resamples - start)
        # The first g_t positions of a random permutation go to treatment.
        order = np.argsort(rng.random((rows, g)), axis=1)[:, :g_t]
        z = np.zeros((rows, g), dtype=np.float64)
        np.put_along_axis(z, order, 1.0, axis=1)
        yield z


def _permutation_setup(treatment: Any, control: Any, alternative: str, n_resamples: int, max_exact: int, random_state: Any) -> dict[str, Any]:
    """What the permutation p-value and interval need: for every relabeling ``z`` its difference
    ``a_z`` and the slope ``b_z`` of that difference in a shift of the treated answers."""
    t = _as_cluster_table(treatment, "treatment")
    c = _as_cluster_table(control, "control")
    if alternative not in _ALTERNATIVES:
        raise ValueError(f"alternative must be one of {', '.join(_ALTERNATIVES)}, got {alternative!r}")
    if not isinstance(n_resamples, (int, np.integer)) or n_resamples < 1:
        raise ValueError(f"n_resamples must be a positive integer, got {n_resamples!r}")
    rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
    both = np.vstack([t, c])
    y = both[:, 2] - both[:, 0]
    m = both.sum(axis=1)
    g, g_t = both.shape[0], t.shape[0]
    mt = np.where(np.arange(g) < g_t, m, 0.0)  # answers of the clusters actually treated
    # Each relabeling's arm sums are one matrix product with the cluster sums and sizes.
    stack = np.column_stack([y, m, mt])
    totals = stack.sum(axis=0)
    a_parts, b_parts = [], []
    for z in _relabeling_chunks(g, g_t, n_resamples=n_resamples, max_exact=max_exact, rng=rng):
        zy, zm, zmt = (z @ stack).T
        a_parts.append(zy / zm - (totals[0] - zy) / (totals[1] - zm))
        # Removing a shift delta from every treated answer changes the difference to
        # a_z - delta b_z, b_z = treated answers' share of z's treatment arm minus of its control.
        b_parts.append(zmt / zm - (totals[2] - zmt) / (totals[1] - zm))
    a, b = np.concatenate(a_parts), np.concatenate(b_parts)
    obs = y[:g_t].sum() / m[:g_t].sum() - y[g_t:].sum() / m[g_t:].sum()
    exact = math.comb(g, g_t) <= max_exact
    return {"a": a, "b": b, "obs": obs, "exact": exact, "n": int(a.size)}


def _hits(stat: np.ndarray, obs: float, alternative: str) -> np.ndarray:
    tol = 1e-12 * max(1.0, abs(obs))  # relabelings that tie with the observed value count as hits
    if alternative == "two-sided":
        return np.abs(stat) >= abs(obs) - tol
    if alternative == "greater":
        return stat >= obs - tol
    return stat <= obs + tol


def _pvalue(hit_count: int, n_relabelings: int, exact: bool) -> float:
    # Exact: the observed labelling is among the relabelings. Monte Carlo: Phipson & Smyth (2010).
    return hit_count / n_relabelings if exact else (1.0 + hit_count) / (1.0 + n_relabelings)


def cluster_permutation_pvalue(
    treatment: Any,
    control: Any,
    *,
    alternative: str = "two-sided",
    n_resamples: int = 10_000,
    max_exact: int = MAX_EXACT_RELABELINGS,
    random_state: int | np.random.Generator | None = 0,
) -> tuple[float, bool, int]:
    """Permutation test of the NPS difference that relabels whole clusters between the arms.

    Under H0 (the change has no effect on any cluster) the arm labels of the ``G = G_t + G_c``
    clusters are exchangeable, so the reference distribution of the ratio-estimator difference is
    that over all ``C(G, G_t)`` relabelings (a randomisation test: Fisher 1935; for cluster
    trials Gail et al. 1996, Stat. Med. 15:1069-1092; Donner & Klar 2000, sec. 6.2.4). Exact
    enumeration when ``C(G, G_t) <= max_exact`` (p = share of relabelings at least as extreme,
    the observed one included); otherwise ``n_resamples`` random relabelings with
    ``p = (1 + hits) / (1 + n_resamples)`` (Phipson & Smyth 2010). Vectorised: each relabeling's
    arm sums are one matrix product with the cluster sums and sizes.

    Returns:
        ``(pvalue, exact, relabelings used)``.
    """
    st = _permutation_setup(treatment, control, alternative, n_resamples, max_exact, random_state)
    hits = int(np.count_nonzero(_hits(st["a"], st["obs"], alternative)))
    return _pvalue(hits, st["n"], st["exact"]), st["exact"], st["n"]


def _interval_from_setup(st: dict[str, Any], confidence_level: float, alternative: str) -> tuple[float, float]:
    """Shifts ``delta`` (points) the permutation test does not reject: test inversion, exact sweep."""
    a, b, obs = st["a"], st["b"], st["obs"]
    tol = 1e-12
    lo = np.full(a.shape, -np.inf)
    hi = np.full(a.shape, np.inf)
    if alternative == "two-sided":
        # Hit when (a - delta b)^2 >= (obs - delta)^2: a quadratic A d^2 + B d + C >= 0, A <= 0.
        qa, qb, qc = b * b - 1.0, -2.0 * (a * b - obs), a * a - obs * obs
        flat = np.abs(qa) < tol
        with np.errstate(divide="ignore", invalid="ignore"):
            disc = qb * qb - 4.0 * qa * qc
            root = np.sqrt(np.maximum(disc, 0.0))
            r1, r2 = (-qb + root) / (2.0 * qa), (-qb - root) / (2.0 * qa)
            lo = np.where(flat, -np.inf, np.minimum(r1, r2))
            hi = np.where(flat, np.inf, np.maximum(r1, r2))
            never = ~flat & (disc < 0)
            cut = -qc / qb
        lo = np.where(flat & (qb > tol), cut, lo)
        hi = np.where(flat & (qb < -tol), cut, hi)
        never |= flat & (np.abs(qb) <= tol) & (qc < -tol)
    else:
        # greater: hit when a - delta b >= obs - delta, i.e. delta (1 - b) >= obs - a (less: <=).
        slope, rhs = 1.0 - b, obs - a
        flat = np.abs(slope) < tol
        with np.errstate(divide="ignore", invalid="ignore"):
            cut = rhs / slope
        if alternative == "greater":
            lo = np.where(flat, -np.inf, cut)
            never = flat & (rhs > tol)
        else:
            hi = np.where(flat, np.inf, cut)
            never = flat & (rhs < -tol)
    lo, hi = lo[~never], hi[~never]
    n = st["n"]
    alpha = 1.0 - confidence_level
    # Count, at every candidate shift, the relabelings whose hit set contains it (a sweep).
    ends = np.unique(np.concatenate([lo[np.isfinite(lo)], hi[np.isfinite(hi)], [obs]]))
    far_left, far_right = ends[0] - 1.0, ends[-1] + 1.0  # beyond every step: the tails
    points = np.concatenate([[far_left], ends, (ends[:-1] + ends[1:]) / 2.0, [far_right]])
    inside = np.searchsorted(np.sort(lo), points, side="right") - np.searchsorted(np.sort(hi), points, side="left")
    pvalues = inside / n if st["exact"] else (1.0 + inside) / (1.0 + n)
    accepted = points[pvalues > alpha]
    if accepted.size == 0:
        return math.nan, math.nan
    left = -_BOUND if accepted.min() <= far_left or alternative == "less" else 100.0 * accepted.min()
    right = _BOUND if accepted.max() >= far_right or alternative == "greater" else 100.0 * accepted.max()
    return max(-_BOUND, float(left)), min(_BOUND, float(right))


def cluster_permutation_interval(
    treatment: Any,
    control: Any,
    *,
    confidence_level: float = 0.95,
    alternative: str = "two-sided",
    n_resamples: int = 10_000,
    max_exact: int = MAX_EXACT_RELABELINGS,
    random_state: int | np.random.Generator | None = 0,
) -> tuple[float, float]:
    """Interval for the NPS difference by inverting the cluster permutation test.

    The set of shifts ``delta`` for which the test of "the change added ``delta`` to every treated
    answer" does not reject at ``1 - confidence_level`` (Lehmann 1963; Rosenbaum 2002,
    *Observational Studies*, sec. 2.6; for cluster trials Gail et al. 1996). Removing ``delta``
    from the treated clusters changes relabeling ``z``'s difference to ``a_z - delta b_z``, so
    the p-value is a step function whose steps are roots of one quadratic per relabeling; they
    are found exactly and swept, with the same relabelings as the p-value (the hull of the
    accepted shifts is returned). Valid at any number of clusters under the constant-shift
    model; with few clusters its width reflects how little a few teams can tell.
    """
    if not 0 < confidence_level < 1:
        raise ValueError(f"confidence_level must be between 0 and 1, got {confidence_level!r}")
    st = _permutation_setup(treatment, control, alternative, n_resamples, max_exact, random_state)
    return _interval_from_setup(st, confidence_level, alternative)


def compare_clusters(
    treatment: Any,
    control: Any,
    *,
    confidence_level: float = 0.95,
    alternative: str = "two-sided",
    method: str = "auto",
    n_resamples: int = 10_000,
    max_exact: int = MAX_EXACT_RELABELINGS,
    min_clusters: int = MIN_CLUSTERS_PER_ARM,
    random_state: int | np.random.Generator | None = 0,
) -> ClusterComparison:
    """Compare two arms whose customers were assigned by cluster (team, store, agent).

    Works on per-cluster counts (``cluster_counts`` tables or (G x 3) arrays of detractors,
    passives, promoters). Each arm's NPS is the ratio estimator ``100 sum y_i / sum m_i`` (every
    answer weighs the same); ``D = NPS_t - NPS_c``. Its variance is the sum of the arms'
    linearised variances (:func:`ratio_nps`: ``G_a/(G_a-1) sum (y_i - R_a m_i)^2 / M_a^2``, CR1
    within each arm; without the factors it equals statsmodels' cluster-robust OLS variance of
    the treatment coefficient). Reference: Student t with ``df = G_t + G_c - 2`` (Cameron &
    Miller 2015 recommend t on G - K, K = 2 coefficients here); interval ``D +/- t se``.
    The permutation p-value (:func:`cluster_permutation_pvalue`) and the interval that inverts
    it (:func:`cluster_permutation_interval`) are always computed, from the same relabelings.

    Args:
        method: where ``pvalue``, ``ci_lower`` and ``ci_upper`` come from: ``"t"``,
            ``"permutation"``, or ``"auto"`` (default: the permutation test and its interval when
            an arm has fewer than ``min_clusters`` clusters, where the t reference is not
            trusted, else the t-test). Both sets are kept (``t_*``, ``permutation_*``).
        alternative: "two-sided", "greater" (H1: NPS_t > NPS_c) or "less"; a one-sided
            alternative gives a one-sided interval whose open side is +/-200.
    """
    from scipy.stats import t as t_dist

    if method not in CLUSTER_METHODS:
        raise ValueError(f"method must be one of {', '.join(CLUSTER_METHODS)}, got {method!r}")
    if alternative not in _ALTERNATIVES:
        raise ValueError(f"alternative must be one of {', '.join(_ALTERNATIVES)}, got {alternative!r}")
    if not 0 < confidence_level < 1:
        raise ValueError(f"confidence_level must be between 0 and 1, got {confidence_level!r}")
    t = _as_cluster_table(treatment, "treatment")
    c = _as_cluster_table(control, "control")
    nps_t, var_t, g_t = ratio_nps(t)
    nps_c, var_c, g_c = ratio_nps(c)
    diff = nps_t - nps_c
    se = math.sqrt(var_t + var_c)
    df = g_t + g_c - 2
    if se > 0 and df > 0:
        stat = diff / se
        if alternative == "two-sided":
            p_t = float(2.0 * t_dist.sf(abs(stat), df))
            q = float(t_dist.ppf(0.5 + confidence_level / 2, df))
            lo, hi = diff - q * se, diff + q * se
        else:
            q = float(t_dist.ppf(confidence_level, df))
            if alternative == "greater":
                p_t, lo, hi = float(t_dist.sf(stat, df)), diff - q * se, _BOUND
            else:
                p_t, lo, hi = float(t_dist.cdf(stat, df)), -_BOUND, diff + q * se
        lo, hi = max(-_BOUND, lo), min(_BOUND, hi)
    else:  # one cluster in an arm (no variance) or no variation at all
        stat, p_t, lo, hi = math.nan, math.nan, math.nan, math.nan
    setup = _permutation_setup(t, c, alternative, n_resamples, max_exact, random_state)
    exact, used = setup["exact"], setup["n"]
    p_perm = _pvalue(int(np.count_nonzero(_hits(setup["a"], setup["obs"], alternative))), used, exact)
    perm_lo, perm_hi = _interval_from_setup(setup, confidence_level, alternative)
    chosen = method
    if method == "auto":
        chosen = "permutation" if min(g_t, g_c) < min_clusters or math.isnan(p_t) else "t"
    rho = anova_icc([t, c], confidence_level=confidence_level)
    var_ind = _independent_variance(t) + _independent_variance(c)
    return ClusterComparison(
        difference=float(diff),
        ci_lower=perm_lo if chosen == "permutation" else float(lo),
        ci_upper=perm_hi if chosen == "permutation" else float(hi),
        pvalue=p_perm if chosen == "permutation" else p_t,
        se=float(se),
        df=int(df),
        statistic=float(stat),
        t_pvalue=p_t,
        t_ci_lower=float(lo),
        t_ci_upper=float(hi),
        permutation_pvalue=p_perm,
        permutation_ci_lower=perm_lo,
        permutation_ci_upper=perm_hi,
        permutation_exact=exact,
        n_permutations=used,
        nps_treatment=float(nps_t),
        nps_control=float(nps_c),
        n_treatment=int(round(t.sum())),
        n_control=int(round(c.sum())),
        n_clusters_treatment=g_t,
        n_clusters_control=g_c,
        icc=rho.icc,
        icc_ci_lower=rho.ci_lower,
        icc_ci_upper=rho.ci_upper,
        design_effect=rho.design_effect,
        adjusted_cluster_size=rho.adjusted_cluster_size,
        variance_inflation=float(se * se / var_ind) if var_ind > 0 else math.nan,
        method=f"cluster-{chosen}",
        confidence_level=confidence_level,
        alternative=alternative,
        note=few_clusters_note(g_t, g_c, min_clusters),
    )


def cluster_tables(
    treatment: pd.DataFrame, control: pd.DataFrame, *, score: str = "score", cluster: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-cluster counts of both arms (:func:`cluster_counts`), checked for shared clusters.

    A cluster label found in both arms raises :class:`NPSInputError`: in a cluster-assigned
    pilot every customer of a cluster has the same arm.
    """
    t = cluster_counts(treatment, score=score, cluster=cluster)
    c = cluster_counts(control, score=score, cluster=cluster)
    shared = t.index.intersection(c.index)
    if len(shared):
        raise NPSInputError(
            f"{len(shared)} cluster(s) appear in both arms (e.g. {list(shared[:5])}); in a "
            "cluster-assigned pilot every customer of a cluster has the same arm",
            column=cluster,
        )
    return t, c


def compare_cluster_frames(
    treatment: pd.DataFrame,
    control: pd.DataFrame,
    *,
    score: str = "score",
    cluster: str,
    **options: Any,
) -> ClusterComparison:
    """:func:`compare_clusters` on two frames of rows: counts per ``cluster`` first
    (:func:`cluster_tables`)."""
    t, c = cluster_tables(treatment, control, score=score, cluster=cluster)
    return compare_clusters(t, c, **options)


def icc(
    frame: pd.DataFrame,
    *,
    score: str = "score",
    cluster: str,
    group: str | None = None,
    confidence_level: float = 0.95,
) -> ICCResult:
    """Intracluster correlation of the NPS value (-1/0/+1) from past data, with an interval.

    Pass ``group`` (e.g. an arm or period column) to pool the ICC within its levels, so that
    differences between groups do not count as clustering. See :func:`anova_icc` for the
    estimator (Donner & Klar 2000) and the interval (Searle 1971).

    Example:
        >>> import pandas as pd
        >>> f = pd.DataFrame({"team": list("aabb"), "score": [10, 10, 0, 0]})
        >>> icc(f, cluster="team").icc
        1.0
    """
    if group is None:
        return anova_icc([cluster_counts(frame, score=score, cluster=cluster).to_numpy(dtype=float)[:, :3]],
                         confidence_level=confidence_level)
    if group not in frame.columns:
        raise NPSInputError(f"missing column {group!r}; the columns are {list(map(str, frame.columns))}", column=group)
    tables = [
        cluster_counts(part, score=score, cluster=cluster).to_numpy(dtype=float)[:, :3]
        for _, part in frame.groupby(group, sort=True, dropna=False)
    ]
    tables = [tab[tab.sum(axis=1) > 0] for tab in tables if tab.size]
    return anova_icc(tables, confidence_level=confidence_level)


# ------------------------------------------------------------------------------------ sequential


def cluster_codes_by_arm(
    values: pd.Series,
    arm: np.ndarray,
    *,
    column: str,
    file: str | None = None,
    labels: Sequence[Any] | None = None,
) -> np.ndarray:
    """0-based cluster code per responding row, checking that every cluster sits in one arm.

    Args:
        values: the cluster label of each responding row; arm: 0/1 per row.
        column: the cluster column's name, for messages; labels: the rows' names in messages
            (e.g. file lines), default the Series index.

    Raises:
        NPSInputError: rows without a label (named), or clusters found in both arms.
    """
    names = list(values.index) if labels is None else list(labels)
    missing = values.isna().to_numpy()
    if missing.any():
        shown = [(names[i], None) for i in np.flatnonzero(missing)[:20]]
        raise NPSInputError(
            f"{int(missing.sum())} response(s) have no {column!r} label: {describe_rows(shown)}",
            file=file, column=column, rows=shown, count=int(missing.sum()),
        )
    codes, uniques = pd.factorize(values)
    arms_per_cluster = np.zeros((len(uniques), 2), dtype=bool)
    arms_per_cluster[codes, np.asarray(arm, dtype=np.intp)] = True
    both = np.flatnonzero(arms_per_cluster.all(axis=1))
    if both.size:
        raise NPSInputError(
            f"{both.size} cluster(s) appear in both arms (e.g. {[uniques[i] for i in both[:5]]}); in a "
            "cluster-assigned pilot every customer of a cluster has the same arm",
            file=file, column=column,
        )
    return codes


def cluster_look_moments(
    values: np.ndarray,
    arm: np.ndarray,
    looks: np.ndarray,
    clusters: np.ndarray,
    n_looks: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cumulative per-look moments of two arms with a cluster-robust variance, for sequential looks.

    At each look ``k`` every arm's mean is the ratio estimator over the clusters seen so far and
    its variance the linearised CR1 variance of :func:`ratio_nps`
    (``G_k/(G_k-1) sum_i (s_ik - R_k n_ik)^2 / N_k^2``, ``s_ik``/``n_ik`` the cumulative sum
    and count of cluster ``i``), returned as an *effective per-response variance*
    ``v = N_k Var(R_k)`` so that ``sqrt(v_T/N_T + v_C/N_C)`` is the cluster-robust standard
    error (the form ``nps_analysis.stats.sequential.difference_cs`` takes). Fewer than two clusters in
    an arm give an infinite variance (no interval yet).

    Args:
        values: per-response value (-1/0/+1 for NPS, 0/1 for shares, a number for means); NaN
            rows are ignored.
        arm: 0 = treatment, 1 = control per response. looks: 0-based look code per response.
        clusters: 0-based cluster code per response (codes shared by both arms are allowed here;
            each arm is summed separately).

    Returns:
        ``(n, mean, variance, clusters_seen)``, each of shape ``(2, n_looks)``.
    """
    ok = ~np.isnan(values)
    v = values[ok]
    arm, looks, clusters = arm[ok].astype(np.intp), looks[ok].astype(np.intp), clusters[ok].astype(np.intp)
    n_clusters = int(clusters.max()) + 1 if clusters.size else 1
    key = (arm * n_clusters + clusters) * n_looks + looks
    size = 2 * n_clusters * n_looks
    counts = np.bincount(key, minlength=size).reshape(2, n_clusters, n_looks)
    sums = np.bincount(key, weights=v, minlength=size).reshape(2, n_clusters, n_looks)
    return cluster_look_moments_from_sums(counts, sums)


def cluster_look_moments_from_sums(
    counts: np.ndarray, sums: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`cluster_look_moments` from per-look counts and value sums per arm and cluster.

    The linearised CR1 variance needs only each cluster's cumulative count and sum of values, so
    an engine can compute them (``GROUP BY arm, cluster, look``) and no row leaves it.

    Args:
        counts, sums: arrays ``(2 arms, clusters, looks)``: responses with a value and the sum of
            their values in each look (not cumulative).

    Returns:
        ``(n, mean, variance, clusters_seen)``, each of shape ``(2, looks)``, as
        :func:`cluster_look_moments`.
    """
    counts = np.cumsum(np.asarray(counts, dtype=float), axis=2)
    sums = np.cumsum(np.asarray(sums, dtype=float), axis=2)
    n = counts.sum(axis=1)
    seen = (counts > 0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = sums.sum(axis=1) / n
        resid = sums - mean[:, None, :] * counts
        factor = np.where(seen > 1, seen / np.maximum(seen - 1, 1), np.nan)
        var_mean = factor * np.sum(resid * resid, axis=1) / (n * n)
        effective = np.where(seen > 1, var_mean * n, np.inf)
    return n, mean, effective, seen
