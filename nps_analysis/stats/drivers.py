"""Relative importance of correlated drivers: Johnson's relative weights, Shapley (dominance) shares
of R^2, variance inflation factors and a respondent bootstrap computed on sufficient statistics.

Everything here works on (weighted) correlation matrices, batched over a leading axis, so one
bootstrap resample costs one small matrix problem instead of a refit on the rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..sources.errors import NPSInputError

#: Largest number of drivers for exact Shapley shares (2^p subsets).
MAX_SHAPLEY_DRIVERS = 15


# ------------------------------------------------------------------------------ moments


@dataclass(frozen=True)
class Moments:
    """Weighted first and second moments of the columns ``[drivers..., outcome]``.

    Attributes:
        total_weight: sum of the weights (n when unweighted).
        mean: weighted means, shape (q,).
        cov: weighted covariance with divisor ``total_weight``, shape (q, q).
    """

    total_weight: float
    mean: np.ndarray
    cov: np.ndarray

    @property
    def sd(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov))

    @property
    def corr(self) -> np.ndarray:
        return covariance_to_correlation(self.cov)


def weighted_moments(data: np.ndarray, weights: np.ndarray | None = None) -> Moments:
    """Weighted means and covariance (divisor ``sum w``) of the columns of ``data`` (n, q).

    With weights ``w_i`` the mean is ``m = sum w_i x_i / W`` and the covariance
    ``S = sum w_i (x_i - m)(x_i - m)' / W``; the correlation derived from it is the usual weighted
    (Pearson) correlation, which is what relative weights and Shapley shares need.
    """
    x = np.asarray(data, dtype=float)
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)
    total = float(w.sum())
    mean = w @ x / total
    centred = x - mean
    cov = (centred * w[:, None]).T @ centred / total
    return Moments(total, mean, cov)


def covariance_to_correlation(cov: np.ndarray) -> np.ndarray:
    """Correlation matrices from covariance matrices, batched over leading axes."""
    sd = np.sqrt(np.einsum("...ii->...i", cov))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = cov / (sd[..., :, None] * sd[..., None, :])
    idx = np.arange(cov.shape[-1])
    corr[..., idx, idx] = 1.0
    return corr


# ------------------------------------------------------------------------------ importance


@dataclass(frozen=True)
class Importance:
    """Importance of each driver from one (or a batch of) correlation matrices.

    Attributes:
        weights: each driver's share of R^2 (raw relative weight or Shapley value), shape (..., p);
            they sum to ``r_squared``.
        r_squared: R^2 of the regression of the outcome on all drivers, shape (...).
        beta: standardised regression coefficients ``R_xx^-1 r_xy``, shape (..., p).
    """

    weights: np.ndarray
    r_squared: np.ndarray
    beta: np.ndarray


def _split(corr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    corr = np.asarray(corr, dtype=float)
    return corr[..., :-1, :-1], corr[..., :-1, -1]


def standardised_coefficients(corr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standardised OLS coefficients ``beta = R_xx^-1 r_xy`` and ``R^2 = r_xy' beta``.

    ``corr`` holds the drivers first and the outcome in the last row/column (batched over leading
    axes).
    """
    rxx, rxy = _split(corr)
    beta = np.linalg.solve(rxx, rxy[..., None])[..., 0]
    return beta, np.einsum("...i,...i->...", rxy, beta)


def relative_weights(corr: np.ndarray) -> Importance:
    """Johnson's relative weights (Johnson 2000, Multivariate Behavioral Research 35(1), 1-19).

    With the drivers' correlation matrix ``R_xx = P diag(lambda) P'`` (eigendecomposition) and
    their correlations with the outcome ``r_xy``:

    - ``Lambda* = R_xx^(1/2) = P diag(sqrt(lambda)) P'`` holds the correlations between the drivers
      and their closest orthonormal counterparts ``Z`` (Johnson 1966);
    - ``beta* = R_xx^(-1/2) r_xy`` are the coefficients of the outcome on ``Z``;
    - the raw relative weight of driver j is ``epsilon_j = sum_k Lambda*_jk^2 beta*_k^2``.

    ``sum_j epsilon_j = R^2`` exactly, so the weights split the explained variance. Batched over
    leading axes of ``corr`` (drivers first, outcome last).

    Raises:
        NPSInputError: the drivers' correlation matrix is singular (a driver is a linear
            combination of others).
    """
    rxx, rxy = _split(corr)
    lam, vec = np.linalg.eigh(rxx)
    if np.any(lam.min(axis=-1) <= 1e-10 * lam.max(axis=-1)):
        raise NPSInputError("the drivers' correlation matrix is singular: one driver is a linear "
                            "combination of others; drop one of them")
    root = np.sqrt(lam)
    half = (vec * root[..., None, :]) @ np.swapaxes(vec, -1, -2)
    inv_half = (vec / root[..., None, :]) @ np.swapaxes(vec, -1, -2)
    beta_star = (inv_half @ rxy[..., None])[..., 0]
    eps = (half**2) @ (beta_star**2)[..., None]
    beta, r2 = standardised_coefficients(corr)
    return Importance(eps[..., 0], r2, beta)


def _sweep(a: np.ndarray, k: int) -> np.ndarray:
    """The sweep operator on pivot ``k`` (Goodnight 1979; Little & Rubin 2002, sec. 7.4.3).

    ``h_kk = -1/g_kk``, ``h_jk = h_kj = g_jk/g_kk``, ``h_jl = g_jl - g_jk g_kl / g_kk``. After
    sweeping the drivers in S out of a correlation matrix, the outcome's diagonal entry is the
    residual variance ``1 - R^2(S)``. Batched over leading axes.
    """
    d = a[..., k, k]
    col = a[..., :, k]
    out = a - col[..., :, None] * col[..., None, :] / d[..., None, None]
    scaled = col / d[..., None]
    out[..., :, k] = scaled
    out[..., k, :] = scaled
    out[..., k, k] = -1.0 / d
    return out


def subset_r_squared(corr: np.ndarray) -> np.ndarray:
    """R^2 of the outcome on every subset of the drivers, indexed by bit mask.

    Entry ``m`` is ``R^2(S) = r_S' R_SS^-1 r_S`` for ``S = {j : bit j of m is set}`` (entry 0 is 0).
    Computed by a depth-first walk of the subset lattice in which each subset's matrix is its
    parent's swept on one more driver (one sweep per subset, at most p sweeps deep, so rounding
    does not accumulate along the 2^p subsets). Batched over leading axes.
    """
    corr = np.asarray(corr, dtype=float)
    p = corr.shape[-1] - 1
    out = np.zeros((*corr.shape[:-2], 1 << p))

    def visit(a: np.ndarray, mask: int, start: int) -> None:
        for j in range(start, p):
            swept = _sweep(a, j)
            child = mask | (1 << j)
            out[..., child] = 1.0 - swept[..., p, p]
            if j + 1 < p:
                visit(swept, child, j + 1)

    visit(corr.copy(), 0, 0)
    return out


def shapley_matrix(p: int) -> np.ndarray:
    """Matrix ``W`` (2^p, p) with Shapley value ``phi = R2_subsets @ W``.

    ``phi_j = sum_{S not containing j} |S|! (p - |S| - 1)! / p! [R^2(S + j) - R^2(S)]``, so
    subset m gets weight ``+w(|m| - 1)`` in column j when it contains j and ``-w(|m|)`` when not,
    with ``w(s) = s! (p - s - 1)! / p!``.
    """
    masks = np.arange(1 << p)
    size = np.array([bin(m).count("1") for m in masks])
    has = (masks[:, None] >> np.arange(p)[None, :]) & 1
    w = np.array([math.factorial(s) * math.factorial(p - s - 1) / math.factorial(p) for s in range(p)]
                 + [0.0])
    return np.where(has == 1, w[np.maximum(size - 1, 0)][:, None], -w[size][:, None])


def shapley_shares(corr: np.ndarray) -> Importance:
    """Shapley values of R^2, i.e. general dominance weights (Budescu 1993, Psychological Bulletin
    114(3), 542-551; Gromping 2007, The American Statistician 61(2), 139-147, "LMG").

    Each driver's share is its increase in R^2 when added to a subset of the other drivers,
    averaged over all orders of entry: ``phi_j = sum_{S subset of P minus j} |S|! (p-|S|-1)!/p!
    [R^2(S + j) - R^2(S)]``. The shares sum to the full-model R^2 (efficiency). Exact over all
    2^p subsets (see :func:`subset_r_squared`), up to :data:`MAX_SHAPLEY_DRIVERS` drivers.
    """
    corr = np.asarray(corr, dtype=float)
    p = corr.shape[-1] - 1
    if p > MAX_SHAPLEY_DRIVERS + 1:
        raise NPSInputError(f"exact Shapley shares need at most {MAX_SHAPLEY_DRIVERS} drivers, got {p}; "
                            "use method='relative-weights'")
    rxx, _ = _split(corr)
    lam = np.linalg.eigvalsh(rxx)
    if np.any(lam.min(axis=-1) <= 1e-10 * lam.max(axis=-1)):
        raise NPSInputError("the drivers' correlation matrix is singular: one driver is a linear "
                            "combination of others; drop one of them")
    r2_all = subset_r_squared(corr)
    phi = r2_all @ shapley_matrix(p)
    beta, r2 = standardised_coefficients(corr)
    return Importance(phi, r2, beta)


def variance_inflation(corr_xx: np.ndarray) -> np.ndarray:
    """Variance inflation factors ``VIF_j = [R_xx^-1]_jj = 1 / (1 - R_j^2)`` (Marquardt 1970).

    ``R_j^2`` is the R^2 of driver j on the other drivers; VIF above 5-10 means its plain
    regression coefficient is unstable, which is why coefficients are not importances.
    """
    return np.diag(np.linalg.inv(np.asarray(corr_xx, dtype=float))).copy()


IMPORTANCE_METHODS = {"relative-weights": relative_weights, "shapley": shapley_shares}


def importance(corr: np.ndarray, method: str) -> Importance:
    """Importance by ``method`` (``"relative-weights"`` or ``"shapley"``)."""
    try:
        fn = IMPORTANCE_METHODS[method]
    except KeyError:
        raise NPSInputError(f"method must be one of {', '.join(IMPORTANCE_METHODS)}, got {method!r}") from None
    return fn(corr)


# ------------------------------------------------------------------------------ bootstrap


def bootstrap_correlations(
    data: np.ndarray,
    weights: np.ndarray | None,
    n_resamples: int,
    rng: np.random.Generator,
    *,
    chunk: int = 40,
) -> Iterator[np.ndarray]:
    """Correlation matrices of respondent-bootstrap resamples, ``chunk`` resamples at a time.

    The nonparametric bootstrap (Efron & Tibshirani 1993, ch. 6) draws n respondents with
    replacement; resample b is the multinomial count vector ``c_b`` (how often each respondent was
    drawn). Its weighted moments follow from sufficient statistics without refitting:
    ``W_b = sum c_bi w_i``, ``S1_b = sum c_bi w_i z_i`` and ``S2_b = sum c_bi w_i z_i z_i'`` (the
    upper triangle of the cross-products, precomputed once), so a chunk of resamples is two matrix
    products ``(C * w) @ [z, z z']``. Columns are standardised first so the products are well
    conditioned.

    Yields:
        arrays of shape (chunk, q, q).
    """
    z = np.asarray(data, dtype=float)
    n, q = z.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    m = weighted_moments(z, w)
    z = (z - m.mean) / np.where(m.sd > 0, m.sd, 1.0)
    iu, ju = np.triu_indices(q)
    # One (n, 1 + q + q(q+1)/2) table of per-respondent statistics, filled column by column so no
    # second table of that size is ever allocated.
    stats = np.empty((n, 1 + q + len(iu)))
    stats[:, 0] = 1.0
    stats[:, 1:1 + q] = z
    for c, (i, j) in enumerate(zip(iu, ju, strict=True)):
        np.multiply(z[:, i], z[:, j], out=stats[:, 1 + q + c])
    done = 0
    while done < n_resamples:
        b = min(chunk, n_resamples - done)
        draws = rng.integers(0, n, size=(b, n)) + (np.arange(b) * n)[:, None]
        counts = np.bincount(draws.ravel(), minlength=b * n).reshape(b, n).astype(float)
        del draws
        counts *= w
        sums = counts @ stats
        total = sums[:, :1]
        mean = sums[:, 1:1 + q] / total
        second = sums[:, 1 + q:] / total
        cov = np.empty((b, q, q))
        cov[:, iu, ju] = second - mean[:, iu] * mean[:, ju]
        cov[:, ju, iu] = cov[:, iu, ju]
        yield covariance_to_correlation(cov)
        done += b


@dataclass(frozen=True)
class BootstrapImportance:
    """Bootstrap distribution of driver importance.

    Attributes:
        weights: (B, p) importance per resample (NaN for a resample whose drivers were singular).
        r_squared: (B,) R^2 per resample.
        beta: (B, p) standardised coefficients per resample.
        excess: (B, p) importance of each driver minus that of a random noise variable added to
            the drivers (Tonidandel, LeBreton & Johnson 2009), when ``noise`` was asked for.
        failed: resamples dropped because their correlation matrix was singular.
    """

    weights: np.ndarray
    r_squared: np.ndarray
    beta: np.ndarray
    excess: np.ndarray | None
    failed: int


def _safe_importance(corr: np.ndarray, method: str) -> Importance:
    """Importance per resample; resamples with a singular drivers' matrix become NaN."""
    rxx, _ = _split(corr)
    ok = np.isfinite(corr).all(axis=(-1, -2))
    lam = np.linalg.eigvalsh(np.where(ok[:, None, None], rxx, np.eye(rxx.shape[-1])))
    ok &= lam.min(axis=-1) > 1e-10 * lam.max(axis=-1)
    p = corr.shape[-1] - 1
    weights = np.full((len(corr), p), np.nan)
    beta = np.full((len(corr), p), np.nan)
    r2 = np.full(len(corr), np.nan)
    if ok.any():
        res = importance(corr[ok], method)
        weights[ok], beta[ok], r2[ok] = res.weights, res.beta, res.r_squared
    return Importance(weights, r2, beta)


def bootstrap_importance(
    data: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    method: str = "relative-weights",
    n_resamples: int = 1000,
    random_state: int | np.random.Generator | None = 0,
    noise: bool = True,
    chunk: int = 40,
) -> BootstrapImportance:
    """Respondent bootstrap of driver importance on sufficient statistics.

    ``data`` is (n, p + 1): drivers first, outcome last. Each resample's weighted correlation
    matrix comes from :func:`bootstrap_correlations`; the importance is recomputed from it in a
    batch. With ``noise`` a standard normal variable, drawn once per call, is appended to the
    drivers and each driver's importance minus the noise variable's is kept per resample: the
    significance test of Tonidandel, LeBreton & Johnson (2009, Psychological Methods 14(4),
    387-399), in which a driver is distinguishable from zero when the interval of that excess
    lies above 0.
    """
    rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
    x = np.asarray(data, dtype=float)
    p = x.shape[1] - 1
    if noise:
        x = np.concatenate([x[:, :p], rng.standard_normal((len(x), 1)), x[:, p:]], axis=1)
    # Moments per resample are the expensive part (touching every row); the importance itself is
    # then computed once for the whole batch of small matrices.
    corr_all = np.concatenate(list(bootstrap_correlations(x, weights, n_resamples, rng, chunk=chunk)))
    # Shapley holds R^2 of every subset per resample: batch so that table stays near 32 MiB.
    q = corr_all.shape[-1] - 1
    batch = max(1, (1 << 22) // (1 << q)) if method == "shapley" else len(corr_all)
    parts = []
    for start in range(0, len(corr_all), batch):
        corr = corr_all[start:start + batch]
        if not noise:
            plain, excess = _safe_importance(corr, method), None
        elif method == "shapley":
            plain, augmented = _shapley_with_noise(corr, p)
            excess = augmented.weights[:, :p] - augmented.weights[:, p:p + 1]
        else:
            keep = [*range(p), p + 1]
            plain = _safe_importance(corr[:, keep][:, :, keep], method)
            augmented = _safe_importance(corr, method)
            excess = augmented.weights[:, :p] - augmented.weights[:, p:p + 1]
        parts.append((plain, excess))
    plain = Importance(*(np.concatenate([getattr(pl, f) for pl, _ in parts])
                         for f in ("weights", "r_squared", "beta")))
    excess = np.concatenate([ex for _, ex in parts]) if noise else None
    failed = int(np.isnan(plain.weights).any(axis=1).sum())
    return BootstrapImportance(plain.weights, plain.r_squared, plain.beta, excess, failed)


def _shapley_with_noise(corr: np.ndarray, p: int) -> tuple[Importance, Importance]:
    """Shapley shares without and with the noise driver (index p) from one subset walk: the
    subsets without the noise driver are the first 2^p masks of the augmented lattice."""
    rxx, _ = _split(corr)
    ok = np.isfinite(corr).all(axis=(-1, -2))
    lam = np.linalg.eigvalsh(np.where(ok[:, None, None], rxx, np.eye(rxx.shape[-1])))
    ok &= lam.min(axis=-1) > 1e-10 * lam.max(axis=-1)
    b = len(corr)
    plain_w, aug_w = np.full((b, p), np.nan), np.full((b, p + 1), np.nan)
    beta, r2 = np.full((b, p), np.nan), np.full(b, np.nan)
    if ok.any():
        r2_all = subset_r_squared(corr[ok])
        plain_w[ok] = r2_all[:, : 1 << p] @ shapley_matrix(p)
        aug_w[ok] = r2_all @ shapley_matrix(p + 1)
        keep = [*range(p), p + 1]
        beta[ok], r2[ok] = standardised_coefficients(corr[ok][:, keep][:, :, keep])
    return Importance(plain_w, r2, beta), Importance(aug_w, r2, beta)


def percentile_interval(draws: np.ndarray, confidence_level: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval per column (Efron & Tibshirani 1993, ch. 13), NaNs ignored."""
    alpha = 1.0 - confidence_level
    lo, hi = np.nanquantile(draws, [alpha / 2, 1 - alpha / 2], axis=0)
    return lo, hi
