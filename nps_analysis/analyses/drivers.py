"""Key-driver analysis: which attribute ratings explain the 0-10 score, with bootstrap intervals,
the detractor/promoter asymmetry and importance against performance.

Plain regression weights are not importances when ratings correlate (they always do); the shares
of R^2 here come from Johnson's relative weights or Shapley values (see ``stats/drivers.py``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..sources.errors import NPSInputError, describe_rows, masked_error
from ..sources.results import ResultMixin
from ..sources.scores import parse_scores
from ..stats import drivers as sd
from ..stats.multiplicity import adjust_pvalues
from .importance import IPA_QUADRANTS, ImportancePerformance, IPAItem

Method = Literal["relative-weights", "shapley"]

METHOD_NAMES = {
    "relative-weights": "Johnson (2000) relative weights",
    "shapley": "Shapley / general dominance shares of R^2 (Budescu 1993; Gromping 2007)",
}

#: Problems that skip one group of ``by`` instead of failing the whole analysis.
_GROUP_PROBLEMS = ("too few complete cases", "no variation", "correlation matrix is singular")

#: VIF above which a driver's plain regression coefficient is called unstable.
VIF_WARNING = 5.0


@dataclass(frozen=True)
class DriverImportance(ResultMixin):
    """One driver's importance.

    Attributes:
        driver: the rating column.
        importance: its share of R^2 (the column sums to the result's ``r_squared``).
        share: ``importance / r_squared`` in % (the shares sum to 100).
        share_ci_lower, share_ci_upper: percentile bootstrap interval of the share (each
            resample's importance over its own R^2).
        ci_lower, ci_upper: percentile bootstrap interval of ``importance`` over respondents.
        coefficient: plain OLS slope (outcome points per rating point), all drivers in the model.
            Its sign is the driver's direction; its size is NOT an importance.
        beta: standardised coefficient (outcome SDs per driver SD).
        mean_rating: (weighted) mean rating of the complete cases (the "performance").
        vif: variance inflation factor.
        significant: the driver's importance is distinguishable from that of a random variable
            (Tonidandel, LeBreton & Johnson 2009): the bootstrap interval of the difference is
            above 0.
        rank: 1 = most important.
    """

    driver: str
    importance: float
    ci_lower: float
    ci_upper: float
    coefficient: float
    mean_rating: float
    significant: bool
    share: float
    share_ci_lower: float
    share_ci_upper: float
    beta: float
    vif: float
    rank: int


@dataclass(frozen=True)
class CategoryDriver(ResultMixin):
    """One driver in the categorical view: odds ratios per SD of the rating for being a detractor
    (0-6 vs 7-10) and for being a promoter (9-10 vs 0-8), and whether they differ."""

    driver: str
    detractor_odds_ratio: float
    detractor_ci_lower: float
    detractor_ci_upper: float
    detractor_pvalue: float
    detractor_effect: float
    promoter_odds_ratio: float
    promoter_ci_lower: float
    promoter_ci_upper: float
    promoter_pvalue: float
    promoter_effect: float
    asymmetry_pvalue: float
    asymmetry_pvalue_adjusted: float
    asymmetric: bool
    stronger_for: str


@dataclass(frozen=True)
class CategoryDrivers(ResultMixin):
    """Drivers of being a detractor and of being a promoter (two logistic regressions).

    ``detractor_effect`` / ``promoter_effect`` are average marginal effects in percentage points
    per SD of the rating. ``asymmetric`` marks drivers whose log odds ratio for "not a detractor"
    and for "promoter" differ after Holm correction across the drivers (the family).
    """

    drivers: tuple[CategoryDriver, ...]
    n: int
    detractors: int
    promoters: int
    confidence_level: float
    correction: str
    note: str

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([d.to_dict() for d in self.drivers])

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False)


@dataclass(frozen=True)
class KeyDrivers(ResultMixin):
    """Key-driver analysis of one population.

    ``to_frame()`` has one row per driver: ``driver``, ``importance`` (share of R^2; sums to
    ``r_squared``), ``ci_lower``, ``ci_upper``, ``coefficient``, ``mean_rating``, ``significant``
    and ``share`` (%) with ``share_ci_lower``/``share_ci_upper``, ``beta``, ``vif``, ``rank``.
    """

    drivers: tuple[DriverImportance, ...]
    method: str
    method_name: str
    outcome: str
    r_squared: float
    r_squared_ci_lower: float
    r_squared_ci_upper: float
    n: int
    n_incomplete: int
    n_missing_outcome: int
    missing_policy: str
    weighted: bool
    effective_n: float
    confidence_level: float
    n_resamples: int
    failed_resamples: int
    max_vif: float
    collinearity_note: str
    categorical: CategoryDrivers | None = None
    scale: tuple[float, float] = (math.nan, math.nan)
    group: Mapping[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per driver (see the class docstring), most important first."""
        columns = ["driver", "importance", "ci_lower", "ci_upper", "coefficient", "mean_rating",
                   "significant", "share", "share_ci_lower", "share_ci_upper", "beta", "vif", "rank"]
        return pd.DataFrame([d.to_dict() for d in self.drivers], columns=columns)

    def _repr_html_(self) -> str:
        head = (f"<p>{self.method_name}: R<sup>2</sup> = {self.r_squared:.3f} "
                f"(n = {self.n}; {self.missing_policy})</p>")
        return head + self.to_frame().to_html(index=False, float_format=lambda x: f"{x:.4g}")

    def driver(self, name: str) -> DriverImportance:
        for d in self.drivers:
            if d.driver == name:
                return d
        raise KeyError(name)

    def importance_performance(
        self, centre: Literal["mean", "median"] | tuple[float, float] = "mean"
    ) -> ImportancePerformance:
        """Derived importance (share of R^2, %) against performance (mean rating), in the same
        quadrants as :func:`nps_analysis.gap.importance_performance` (Martilla & James 1977): a
        value on the crosshair counts as high; ``concentrate here`` = high importance, low
        performance."""
        return importance_performance_table(self, centre=centre)

    def fix_first(self) -> list[str]:
        """Drivers in the ``concentrate here`` quadrant, most important first; with a bootstrap
        (``n_resamples > 0``) only those whose importance is significant."""
        ipa = self.importance_performance()
        focus = set(ipa.quadrant("concentrate here"))
        return [d.driver for d in self.drivers
                if d.driver in focus and (d.significant or not self.n_resamples)]

    def summary(self) -> str:
        """A few sentences written from the numbers."""
        return describe_drivers(self)


@dataclass(frozen=True)
class KeyDriversBy(ResultMixin):
    """Key drivers per group of ``by``: ``to_frame()`` has the group columns then one row per
    driver and group. Groups that cannot be analysed (too few complete cases, a constant rating)
    are in ``skipped`` with the reason instead of failing the whole call."""

    by: tuple[str, ...]
    results: tuple[KeyDrivers, ...]
    method: str
    skipped: tuple[tuple[dict[str, Any], str], ...] = ()

    def to_frame(self) -> pd.DataFrame:
        frames = []
        for r in self.results:
            f = r.to_frame()
            for i, col in enumerate(self.by):
                f.insert(i, col, r.group[col])
            f["r_squared"] = r.r_squared
            f["n"] = r.n
            frames.append(f)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False, float_format=lambda x: f"{x:.4g}")

    def get(self, **group: Any) -> KeyDrivers:
        for r in self.results:
            if all(r.group.get(k) == v for k, v in group.items()):
                return r
        raise KeyError(group)


def _without_attrs(frame: pd.DataFrame) -> pd.DataFrame:
    """A shallow copy without ``attrs``: pandas deep-copies them on every column access, which
    costs seconds when a loader attached per-row metadata."""
    out = frame.copy(deep=False)
    out.attrs = {}
    return out


# ------------------------------------------------------------------------------ inputs


def _numeric_column(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A rating column as floats; blanks are missing; anything else non-numeric is an error."""
    raw = frame[column]
    if pd.api.types.is_bool_dtype(raw):
        raise NPSInputError("ratings must be numbers, got booleans", column=column)
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna() & raw.notna()
    if bad.any():  # blanks are missing, not bad: look at the text of the candidates only
        text = raw[bad].astype("string").str.strip()
        bad[bad] = (text.notna() & (text != "")).to_numpy(dtype=bool)
    if bad.any():
        rows = list(zip(np.flatnonzero(bad.to_numpy()).tolist(), raw[bad].tolist(), strict=True))
        raise NPSInputError(f"{int(bad.sum())} non-numeric rating(s): {describe_rows(rows)}",
                            column=column, rows=rows[:5], count=int(bad.sum()))
    out = values.to_numpy(dtype=float)
    inf = ~np.isfinite(out) & ~np.isnan(out)
    if inf.any():
        rows = [(int(i), raw.iloc[i]) for i in np.flatnonzero(inf)[:5]]
        raise NPSInputError(f"infinite rating(s): {describe_rows(rows)}", column=column, rows=rows)
    return out


def _weights(frame: pd.DataFrame, weights: str | Sequence[float] | np.ndarray | None) -> np.ndarray | None:
    if weights is None:
        return None
    if isinstance(weights, str):
        if weights not in frame.columns:
            raise NPSInputError(f"weight column not found; columns: {', '.join(map(str, frame.columns))}",
                                column=weights)
        w = _numeric_column(frame, weights)
        name = weights
    else:
        w = np.asarray(weights, dtype=float)
        name = "weights"
        if w.shape != (len(frame),):
            raise NPSInputError(f"weights must have one value per row ({len(frame)}), got shape {w.shape}")
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        rows = [(int(i), w[i]) for i in np.flatnonzero(bad)[:5]]
        raise NPSInputError(f"weights must be finite and >= 0: {describe_rows(rows)}", column=name,
                            rows=rows, count=int(bad.sum()))
    return w


@dataclass(frozen=True)
class _Prepared:
    x: np.ndarray
    y: np.ndarray
    w: np.ndarray | None
    n_incomplete: int
    n_missing_outcome: int


def _prepare(frame: pd.DataFrame, outcome: str, drivers: list[str], w_all: np.ndarray | None) -> _Prepared:
    y = parse_scores(frame[outcome], column=outcome).values
    x = np.column_stack([_numeric_column(frame, d) for d in drivers]) if drivers else np.empty((len(frame), 0))
    has_y = ~np.isnan(y)
    complete = has_y & ~np.isnan(x).any(axis=1)
    if w_all is not None:
        complete &= w_all > 0
    return _Prepared(x[complete], y[complete], None if w_all is None else w_all[complete],
                     int((has_y & ~complete).sum()), int((~has_y).sum()))


# ------------------------------------------------------------------------------ categorical view


def _logit_fit(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Weighted logistic regression (statsmodels GLM, binomial); returns params, fitted p and the
    Hessian ``sum w p (1 - p) x x'``; None when it cannot be estimated (one class only or
    separation)."""
    import statsmodels.api as sm

    if y.min() == y.max():
        return None
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = sm.GLM(y, x, family=sm.families.Binomial(), var_weights=w).fit()
        except Exception:  # noqa: BLE001 - perfect separation and friends: reported as not estimable
            return None
    params = np.asarray(fit.params, dtype=float)
    if not np.all(np.isfinite(params)) or np.abs(params).max() > 30:
        return None
    p = 1.0 / (1.0 + np.exp(-(x @ params)))
    hessian = (x * (w * p * (1 - p))[:, None]).T @ x
    return params, p, hessian


def category_drivers(
    x: np.ndarray,
    scores: np.ndarray,
    names: Sequence[str],
    weights: np.ndarray | None = None,
    *,
    confidence_level: float = 0.95,
    correction: str = "holm",
) -> CategoryDrivers:
    """Drivers of being a detractor and of being a promoter, and where they differ.

    Two logistic regressions on the drivers standardised to SD 1 (weighted when ``weights``):
    "not a detractor" (score >= 7) and "promoter" (score >= 9). The detractor odds ratio per SD
    is ``exp(-b_nd)`` (below 1: a better rating lowers the odds of a detractor), the promoter odds
    ratio ``exp(b_pro)``. Average marginal effects are ``100 mean(w p (1 - p)) b`` percentage
    points per SD (sign: change in the detractor share for the detractor model).

    Asymmetry: a proportional-odds (cumulative logit) model forces ``b_nd = b_pro``; their
    difference is the parallel-lines check of Brant (1990, Biometrics 46, 1171-1178) at the two
    NPS cut points. It is tested with the joint sandwich covariance of the two fits (stacked
    estimating equations, Weesie 1999, Stata Technical Bulletin 52 "suest"):
    ``V = A^-1 B A^-1`` with ``A = blockdiag(H_nd, H_pro)`` and ``B = sum u_i u_i'``,
    ``u_i = w_i (x_i (y_nd,i - p_nd,i), x_i (y_pro,i - p_pro,i))``; z test of
    ``b_pro - b_nd``, adjusted across drivers with ``correction`` (Holm by default).
    All intervals and p-values use the sandwich (robust) variances.
    """
    from scipy.stats import norm

    names = list(names)
    n, p = x.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float) * n / np.sum(weights)
    m = sd.weighted_moments(x, w)
    xs = np.column_stack([np.ones(n), (x - m.mean) / m.sd])
    y_nd = (scores >= 7).astype(float)
    y_pro = (scores >= 9).astype(float)
    det, pro = int((scores <= 6).sum()), int((scores >= 9).sum())
    z = norm.ppf(0.5 + confidence_level / 2)
    fits = _logit_fit(xs, y_nd, w), _logit_fit(xs, y_pro, w)
    nan_rows = tuple(CategoryDriver(name, *([math.nan] * 12), False, "") for name in names)
    if fits[0] is None or fits[1] is None:
        note = ("not estimable: " + ("no detractors or no non-detractors" if fits[0] is None
                                     else "no promoters or no non-promoters")
                + " (or perfect separation)")
        return CategoryDrivers(nan_rows, n, det, pro, confidence_level, correction, note)
    (b_nd, p_nd, h_nd), (b_pro, p_pro, h_pro) = fits
    k = p + 1
    u = np.concatenate([xs * (w * (y_nd - p_nd))[:, None], xs * (w * (y_pro - p_pro))[:, None]], axis=1)
    bread = np.zeros((2 * k, 2 * k))
    bread[:k, :k] = np.linalg.inv(h_nd)
    bread[k:, k:] = np.linalg.inv(h_pro)
    cov = bread @ (u.T @ u) @ bread
    se_nd = np.sqrt(np.diag(cov)[1:k])
    se_pro = np.sqrt(np.diag(cov)[k + 1:])
    diff = b_pro[1:] - b_nd[1:]
    var_diff = np.diag(cov)[k + 1:] + np.diag(cov)[1:k] - 2 * np.diag(cov[k + 1:, 1:k])
    p_diff = 2 * norm.sf(np.abs(diff) / np.sqrt(var_diff))
    p_adj, reject = adjust_pvalues(p_diff, correction=correction, alpha=1 - confidence_level)
    ame_det = -100 * np.sum(w * p_nd * (1 - p_nd)) / n * b_nd[1:]
    ame_pro = 100 * np.sum(w * p_pro * (1 - p_pro)) / n * b_pro[1:]
    rows = []
    for j, name in enumerate(names):
        bd, bp = b_nd[1 + j], b_pro[1 + j]
        rows.append(CategoryDriver(
            name,
            math.exp(-bd), math.exp(-bd - z * se_nd[j]), math.exp(-bd + z * se_nd[j]),
            float(2 * norm.sf(abs(bd) / se_nd[j])), float(ame_det[j]),
            math.exp(bp), math.exp(bp - z * se_pro[j]), math.exp(bp + z * se_pro[j]),
            float(2 * norm.sf(abs(bp) / se_pro[j])), float(ame_pro[j]),
            float(p_diff[j]), float(p_adj[j]), bool(reject[j]),
            ("" if not reject[j] else "promoters" if abs(bp) > abs(bd) else "detractors"),
        ))
    note = (f"logistic regressions per SD of each rating; asymmetry = log odds ratios for 'not a "
            f"detractor' and 'promoter' differ (parallel-lines check), {correction} across "
            f"{p} drivers")
    return CategoryDrivers(tuple(rows), n, det, pro, confidence_level, correction, note)


# ------------------------------------------------------------------------------ main entry


def key_drivers(
    frame: pd.DataFrame,
    outcome: str = "score",
    drivers: Sequence[str] | None = None,
    *,
    method: Method = "relative-weights",
    by: str | Sequence[str] | None = None,
    weights: str | Sequence[float] | np.ndarray | None = None,
    confidence_level: float = 0.95,
    n_resamples: int = 1000,
    random_state: int | np.random.Generator | None = 0,
    categorical: bool = True,
) -> KeyDrivers | KeyDriversBy:
    """What drives the score: each driver's share of R^2 with a bootstrap interval.

    The outcome (0-10 score) is regressed on the driver ratings. Because ratings correlate, plain
    coefficients are not importances; R^2 is split among the drivers by

    - ``"relative-weights"`` (default): Johnson (2000) relative weights, closed form via the
      eigendecomposition of the drivers' correlation matrix (:func:`stats.drivers.relative_weights`);
    - ``"shapley"``: Shapley values of R^2 = general dominance weights (Budescu 1993; Gromping
      2007), exact over all subsets (at most 15 drivers).

    Intervals: percentile bootstrap over respondents (``n_resamples`` multinomial resamples,
    computed from weighted cross-products, Efron & Tibshirani 1993). ``significant``: the driver's
    importance exceeds that of a random noise variable (Tonidandel, LeBreton & Johnson 2009).
    The categorical view (:func:`category_drivers`) adds odds ratios for being a detractor and a
    promoter and flags asymmetric drivers.

    Missing data: complete cases only (rows with the score and every driver rating); the number
    of rows dropped is ``n_incomplete`` (rows without a score are ``n_missing_outcome``).

    Args:
        frame: one row per respondent.
        outcome: the 0-10 score column.
        drivers: rating columns (at least 2).
        method: ``"relative-weights"`` or ``"shapley"``.
        by: analyse each group of these columns separately (returns :class:`KeyDriversBy`).
        weights: survey weights (a column name or one value per row): weighted correlations,
            weighted bootstrap and weighted logistic regressions; rows with weight 0 are dropped.
        confidence_level: for every interval.
        n_resamples: bootstrap resamples (0: no intervals, ``significant`` False).
        random_state: seed or Generator (the analysis is reproducible by default).
        categorical: also fit the detractor/promoter regressions.

    Raises:
        NPSInputError: missing columns, non-numeric ratings, invalid scores, a constant driver,
            collinear drivers, too few complete cases.
    """
    if not isinstance(frame, pd.DataFrame):
        raise NPSInputError("key_drivers needs a DataFrame with one row per respondent")
    frame = _without_attrs(frame)
    if method not in METHOD_NAMES:
        raise NPSInputError(f"method must be one of {', '.join(METHOD_NAMES)}, got {method!r}")
    names = [] if drivers is None else ([drivers] if isinstance(drivers, str) else [str(d) for d in drivers])
    if len(names) < 2:
        raise NPSInputError("key_drivers needs at least 2 driver columns (drivers=[...])")
    if len(set(names)) != len(names):
        raise NPSInputError(f"driver columns repeated: {', '.join(names)}")
    if outcome in names:
        raise NPSInputError("the outcome cannot also be a driver", column=outcome)
    if method == "shapley" and len(names) > sd.MAX_SHAPLEY_DRIVERS:
        raise NPSInputError(f"exact Shapley shares need at most {sd.MAX_SHAPLEY_DRIVERS} drivers, got "
                            f"{len(names)}; use method='relative-weights'")
    if not 0 < confidence_level < 1:
        raise NPSInputError(f"confidence_level must be between 0 and 1, got {confidence_level!r}")
    if int(n_resamples) != n_resamples or n_resamples < 0:
        raise NPSInputError(f"n_resamples must be a non-negative integer, got {n_resamples!r}")
    by_cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    missing = [c for c in [outcome, *names, *by_cols] if c not in frame.columns]
    if missing:
        raise NPSInputError(f"column(s) not found: {', '.join(map(str, missing))}; columns: "
                            f"{', '.join(map(str, frame.columns))}", column=str(missing[0]))
    try:
        return _key_drivers(frame, outcome, names, by_cols, weights, method=method,
                            confidence_level=confidence_level, n_resamples=int(n_resamples),
                            random_state=random_state, categorical=categorical)
    except NPSInputError as exc:  # messages quote row values: mask personal data in them
        raise masked_error(exc, frame) from None


def _key_drivers(frame: pd.DataFrame, outcome: str, names: list[str], by_cols: list[str], weights: Any, *,
                 method: str, confidence_level: float, n_resamples: int,
                 random_state: int | np.random.Generator | None, categorical: bool) -> KeyDrivers | KeyDriversBy:
    w_all = _weights(frame, weights)
    rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
    options = dict(method=method, confidence_level=confidence_level, n_resamples=n_resamples,
                   categorical=categorical)
    if not by_cols:
        return _analyse(frame, outcome, names, w_all, rng=rng, group={}, **options)
    results: list[KeyDrivers] = []
    skipped: list[tuple[dict[str, Any], str]] = []
    for key, idx in frame.groupby(by_cols, sort=True, dropna=False).indices.items():
        key = key if isinstance(key, tuple) else (key,)
        group = dict(zip(by_cols, key, strict=True))
        sub = frame.iloc[idx]
        try:
            results.append(_analyse(sub, outcome, names, None if w_all is None else w_all[idx], rng=rng,
                                    group=group, **options))
        except NPSInputError as exc:
            if not any(reason in str(exc) for reason in _GROUP_PROBLEMS):
                raise
            skipped.append((group, str(exc)))
    if not results:
        raise NPSInputError("no group of " + ", ".join(by_cols) + " could be analysed: "
                            + "; ".join(reason for _, reason in skipped[:3]))
    return KeyDriversBy(tuple(by_cols), tuple(results), method, tuple(skipped))


def _analyse(frame: pd.DataFrame, outcome: str, names: list[str], w_all: np.ndarray | None, *,
             method: str, confidence_level: float, n_resamples: int, categorical: bool,
             rng: np.random.Generator, group: dict[str, Any]) -> KeyDrivers:
    prep = _prepare(frame, outcome, names, w_all)
    p = len(names)
    where = f" in group {group}" if group else ""
    if len(prep.y) < max(p + 2, 10):
        raise NPSInputError(f"too few complete cases{where}: {len(prep.y)} (need at least "
                            f"{max(p + 2, 10)}; {prep.n_incomplete} rows miss a driver rating)")
    data = np.column_stack([prep.x, prep.y])
    mom = sd.weighted_moments(data, prep.w)
    flat = [names[j] for j in np.flatnonzero(mom.sd[:p] <= 1e-12 * np.maximum(1, np.abs(mom.mean[:p])))]
    if flat:
        raise NPSInputError(f"driver(s) with no variation{where}: {', '.join(flat)}", column=flat[0])
    if mom.sd[p] <= 0:
        raise NPSInputError(f"the outcome has no variation{where}", column=outcome)
    corr = mom.corr
    point = sd.importance(corr, method)
    vif = sd.variance_inflation(corr[:p, :p])
    coefficient = point.beta * mom.sd[p] / mom.sd[:p]
    lo = hi = share_lo = share_hi = np.full(p, np.nan)
    r2_lo = r2_hi = math.nan
    significant = np.zeros(p, dtype=bool)
    failed = 0
    if n_resamples:
        boot = sd.bootstrap_importance(data, prep.w, method=method, n_resamples=n_resamples,
                                       random_state=rng, noise=True)
        lo, hi = sd.percentile_interval(boot.weights, confidence_level)
        with np.errstate(invalid="ignore", divide="ignore"):
            share_lo, share_hi = sd.percentile_interval(100 * boot.weights / boot.r_squared[:, None],
                                                        confidence_level)
        r2_lo, r2_hi = sd.percentile_interval(boot.r_squared[:, None], confidence_level)
        ex_lo, _ = sd.percentile_interval(boot.excess, confidence_level)
        significant = ex_lo > 0
        failed = boot.failed
    r2 = float(point.r_squared)
    order = np.argsort(-point.weights, kind="stable")
    rank = np.empty(p, dtype=int)
    rank[order] = np.arange(1, p + 1)
    rows = tuple(
        DriverImportance(names[j], float(point.weights[j]), float(lo[j]), float(hi[j]),
                         float(coefficient[j]), float(mom.mean[j]), bool(significant[j]),
                         float(100 * point.weights[j] / r2) if r2 > 0 else math.nan,
                         float(share_lo[j]), float(share_hi[j]),
                         float(point.beta[j]), float(vif[j]), int(rank[j]))
        for j in order
    )
    w = prep.w
    n_eff = float(len(prep.y)) if w is None else float(w.sum() ** 2 / np.sum(w**2))
    high = [names[j] for j in np.flatnonzero(vif > VIF_WARNING)]
    note = ("plain regression coefficients are not importances: ratings correlate, so R^2 is split "
            f"with {METHOD_NAMES[method]}. ")
    note += (f"VIF above {VIF_WARNING:g} (unstable coefficients): {', '.join(high)}." if high
             else f"All VIFs at most {VIF_WARNING:g}.")
    cat = category_drivers(prep.x, prep.y, names, w, confidence_level=confidence_level) if categorical else None
    policy = (f"complete cases: {len(prep.y)} respondents with the score and every rating; "
              f"{prep.n_incomplete} dropped for a missing rating" + (" or zero weight" if w is not None else "")
              + (f", {prep.n_missing_outcome} without a score" if prep.n_missing_outcome else ""))
    return KeyDrivers(
        drivers=rows, method=method, method_name=METHOD_NAMES[method], outcome=outcome,
        r_squared=r2, r_squared_ci_lower=float(np.squeeze(r2_lo)), r_squared_ci_upper=float(np.squeeze(r2_hi)),
        n=len(prep.y), n_incomplete=prep.n_incomplete, n_missing_outcome=prep.n_missing_outcome,
        missing_policy=policy, weighted=w is not None, effective_n=n_eff,
        confidence_level=confidence_level, n_resamples=n_resamples, failed_resamples=failed,
        max_vif=float(vif.max()), collinearity_note=note, categorical=cat,
        scale=(float(np.floor(prep.x.min())), float(np.ceil(prep.x.max()))), group=dict(group),
    )


# ------------------------------------------------------------------------------ presentation


def importance_performance_table(
    result: KeyDrivers, *, centre: Literal["mean", "median"] | tuple[float, float] = "mean"
) -> ImportancePerformance:
    """The drivers on the importance-performance grid of :mod:`nps_analysis.gap`.

    Importance is the driver's share of R^2 in %, performance its mean rating; the crosshair is
    the mean (or median) over drivers, or an explicit ``(importance, performance)``. Quadrants
    follow Martilla & James (1977) exactly as ``gap.importance_performance`` places them.
    """
    imp = np.array([d.share for d in result.drivers])
    perf = np.array([d.mean_rating for d in result.drivers])
    if isinstance(centre, tuple):
        ci, cp, how = float(centre[0]), float(centre[1]), "given"
    elif centre == "mean":
        ci, cp, how = float(imp.mean()), float(perf.mean()), "mean over drivers"
    elif centre == "median":
        ci, cp, how = float(np.median(imp)), float(np.median(perf)), "median over drivers"
    else:
        raise NPSInputError(f"centre must be 'mean', 'median' or a pair, got {centre!r}")
    items = []
    for d, iv, pv in zip(result.drivers, imp, perf, strict=True):
        high_i, high_p = iv >= ci, pv >= cp
        quadrant = ((IPA_QUADRANTS[1] if high_p else IPA_QUADRANTS[0]) if high_i
                    else (IPA_QUADRANTS[3] if high_p else IPA_QUADRANTS[2]))
        items.append(IPAItem(d.driver, float(iv), float(pv), result.n, result.n, quadrant))
    lo, hi = result.scale
    return ImportancePerformance(tuple(items), ci, cp, how, (int(lo), int(hi)))


def describe_drivers(result: KeyDrivers) -> str:
    """Sentences for a report: R^2, the top drivers, what to fix first, the asymmetry."""
    level = f"{100 * result.confidence_level:g}%"
    top = result.drivers[:3]
    parts = [f"The {len(result.drivers)} ratings explain {100 * result.r_squared:.0f}% of the variance "
             f"of {result.outcome} (n = {result.n}, {result.method_name})."]
    parts.append("Most important: " + "; ".join(
        f"{d.driver} {d.share:.0f}% of R^2 ({level} CI {d.share_ci_lower:.0f} to "
        f"{d.share_ci_upper:.0f}%)" if math.isfinite(d.share_ci_lower) else
        f"{d.driver} {d.share:.0f}% of R^2" for d in top) + ".")
    weak = [d.driver for d in result.drivers if not d.significant]
    if result.n_resamples and weak:
        parts.append(f"Not distinguishable from a random variable: {', '.join(weak)}.")
    first = result.fix_first()
    if first:
        parts.append(f"Fix first (important and rated below the other drivers): {', '.join(first)}.")
    else:
        parts.append("No driver is both clearly important and rated below the others.")
    cat = result.categorical
    if cat is not None:
        asym = [d for d in cat.drivers if d.asymmetric]
        if asym:
            parts.append("Asymmetric drivers: " + "; ".join(
                f"{d.driver} matters more for {d.stronger_for}" for d in asym) + ".")
        elif math.isfinite(cat.drivers[0].asymmetry_pvalue):
            parts.append("No driver acts differently on detractors and promoters "
                         f"({cat.correction}-adjusted).")
    return " ".join(parts)


# ------------------------------------------------------------------------------ notebook inputs

#: Column roles of the bundled sample (``data/sample_drivers.csv``).
SAMPLE_COLUMNS: dict[str, Any] = {
    "score": "score", "drivers": ["speed", "staff", "product", "price", "billing", "ease"],
    "comment": "comment", "time": "submitted_at", "team": "team", "segments": ["plan"],
}


@dataclass(frozen=True)
class DriversInputs:
    """The frame and the resolved column roles for the drivers report, with one-line notes for
    the sections that are skipped because a column is absent."""

    frame: pd.DataFrame = field(repr=False)
    source: str
    score: str
    drivers: tuple[str, ...]
    comment: str
    time: str
    team: str
    segments: tuple[str, ...]
    weight: str
    notes: tuple[str, ...]

    def check(self) -> pd.DataFrame:
        """Data check: one row per column used, its role, answers present and missing, range."""
        rows = []
        roles = [(self.score, "score"), *((d, "driver") for d in self.drivers), (self.comment, "comment"),
                 (self.time, "time"), (self.team, "team"), *((s, "segment") for s in self.segments),
                 (self.weight, "weight")]
        for column, role in roles:
            if not column:
                continue
            values = self.frame[column]
            text = values.astype("string").str.strip()
            present = values.notna() & (text != "").fillna(False)
            numeric = pd.to_numeric(values, errors="coerce") if role in ("score", "driver", "weight") else None
            rows.append({
                "column": column, "role": role, "present": int(present.sum()),
                "missing": int((~present).sum()),
                "min": float(numeric.min()) if numeric is not None else math.nan,
                "max": float(numeric.max()) if numeric is not None else math.nan,
                "distinct": int(values[present].nunique()),
            })
        return pd.DataFrame(rows)

    def _repr_html_(self) -> str:
        notes = "".join(f"<li>{n}</li>" for n in self.notes)
        return (f"<p>{self.source}: {len(self.frame)} rows.</p>" + (f"<ul>{notes}</ul>" if notes else "")
                + self.check().to_html(index=False))


def drivers_inputs(
    data_path: str = "",
    *,
    score_column: str = "",
    driver_columns: Sequence[str] = (),
    comment_column: str = "",
    time_column: str = "",
    team_column: str = "",
    segment_columns: Sequence[str] = (),
    weight_column: str = "",
    database: str = "",
    query: str = "",
    spark_table: str = "",
    engine: str = "auto",
    max_rows: int = 2_000_000,
    sample_rows: int = 0,
    seed: int = 0,
) -> DriversInputs:
    """Load the answers for the drivers report and resolve the column roles.

    ``data_path`` "" (and no ``query`` or ``spark_table``) means the bundled sample; then every
    empty column parameter takes the sample's column. With your own data, an empty optional column
    (comment, time, team, weight) means it has none and its section is skipped with a note; the
    score and at least two driver columns are required.

    Key drivers are a respondent-level analysis (a bootstrap over respondents), so the rows of the
    columns used come into memory: small files through :func:`nps_analysis.load`; a big file, a
    DuckDB table (``database``), a ``query`` or a ``spark_table`` up to ``max_rows`` rows, or a
    uniform random sample of ``sample_rows`` rows drawn by the engine (``seed``), stated in the
    report (:func:`nps_analysis.sources.tables.read_rows`).
    """
    from ..samples import sample_path
    from ..sources.load import load
    from ..sources.scores import parse_scores
    from ..sources.tables import open_table, read_rows

    sample = not data_path and not query and not spark_table
    path = str(sample_path("drivers")) if sample else data_path

    def pick(given: Any, key: str) -> Any:
        return given if given or not sample else SAMPLE_COLUMNS[key]

    score = pick(score_column, "score") or "score"
    drivers = [str(d) for d in (pick(list(driver_columns), "drivers") or [])]
    comment, time = pick(comment_column, "comment"), pick(time_column, "time")
    team, segments = pick(team_column, "team"), [str(s) for s in pick(list(segment_columns), "segments")]
    if len(drivers) < 2:
        raise NPSInputError("name at least 2 driver columns (driver_columns=[...]) for your own data")
    wanted = [c for c in [*drivers, comment, time, team, *segments, weight_column] if c]
    if sample:
        frame = load(path, score=score, columns=wanted)
    else:
        table = open_table(None if (query or spark_table) else path, database=database or None, query=query or None,
                           spark_table=spark_table or None, engine=engine, score=score,  # type: ignore[arg-type]
                           columns=wanted)
        frame = table.data if table.is_pandas else read_rows(
            table, [score, *wanted], max_rows=max_rows, sample_rows=sample_rows or None, seed=seed)
        if not table.is_pandas:
            sampled = frame.attrs.get("sampled")
            frame[score] = parse_scores(frame[score], column=score, file=table.source).values
            frame.attrs["sampled"] = sampled
    notes = []
    sampled = frame.attrs.get("sampled")
    if sampled:
        notes.append(f"A uniform random sample of {sampled['rows']:,} of {sampled['of']:,} rows (seed "
                     f"{sampled['seed']}): importance, intervals and themes describe the sample.")
    if not comment:
        notes.append("No comment column: the themes sections are skipped.")
    if not time:
        notes.append("No time column: the theme trend is skipped.")
    elif not team:
        notes.append("No team column: the theme trend shows all answers together.")
    if not segments:
        notes.append("No segment columns: the drivers are not split by segment.")
    if not weight_column:
        notes.append("No weight column: every answer counts once.")
    source = "bundled sample data/sample_drivers.csv" if sample else (
        f"query {query[:60]!r}" if query else f"spark table {spark_table}" if spark_table else str(data_path))
    return DriversInputs(frame, source, score, tuple(drivers), comment, time, team, tuple(segments),
                         weight_column, tuple(notes))


def what_to_fix_first(drivers: KeyDrivers, themes: Any = None, *, max_items: int = 3) -> str:
    """A "what to fix first" paragraph written from the numbers: the significant drivers that are
    important and rated below the others, the costliest significant comment themes (a
    ``ThemeImpact``) with their bound, and the asymmetric drivers. Markdown."""
    parts = []
    ipa = {i.item: i for i in drivers.importance_performance().items}
    first = drivers.fix_first()[:max_items]
    level = f"{100 * drivers.confidence_level:g}%"
    lo_scale, hi_scale = drivers.scale
    for name in first:
        d = drivers.driver(name)
        ci = (f" ({level} CI {d.share_ci_lower:.0f} to {d.share_ci_upper:.0f}%)"
              if math.isfinite(d.share_ci_lower) else "")
        parts.append(f"**{name}**: {d.share:.0f}% of the explained variance{ci}, rated "
                     f"{d.mean_rating:.2f} on {lo_scale:g}-{hi_scale:g}, below the drivers' average of "
                     f"{drivers.importance_performance().performance_centre:.2f}.")
    if not first:
        top = drivers.drivers[0]
        parts.append(f"No driver is both important and rated below the others; the most important is "
                     f"**{top.driver}** ({top.share:.0f}% of the explained variance, "
                     f"{ipa[top.driver].quadrant}).")
    if themes is not None:
        costly = [r for r in themes.themes if r.theme != "unthemed" and r.significant
                  and r.difference < 0][:max_items]
        for r in costly:
            parts.append(f"Comments on **{r.theme}** ({r.share:.0f}% of comments): NPS {r.nps_with:+.0f} "
                         f"against {r.nps_without:+.0f} without; fixing it would move NPS by at most "
                         f"{r.fix_effect:.1f} points (association, not cause).")
        if not costly:
            parts.append("No comment theme comes with a significantly lower NPS.")
    cat = drivers.categorical
    if cat is not None:
        for d in (d for d in cat.drivers if d.asymmetric):
            side = ("keeps customers out of the detractors" if d.stronger_for == "detractors"
                    else "turns customers into promoters")
            parts.append(f"{d.driver} mainly {side} (the two effects differ, {cat.correction}-adjusted "
                         f"p = {d.asymmetry_pvalue_adjusted:.3g}).")
    parts.append(f"R\u00b2 = {drivers.r_squared:.2f}: the ratings explain "
                 f"{'little' if drivers.r_squared < 0.2 else 'part'} of the score; importance is "
                 "association in survey data, not proof that changing a rating changes NPS.")
    return " ".join(parts)
