"""Multiplicity: the one home of p-value corrections across a family of tests.

Holm, Benjamini-Hochberg and Bonferroni are computed here with numpy (vectorised over families for
the simulations); the rarer methods go to ``statsmodels.stats.multitest.multipletests``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: statsmodels ``multipletests`` methods and how a report names them.
CORRECTIONS: dict[str, str] = {
    "bonferroni": "Bonferroni",
    "sidak": "Sidak",
    "holm-sidak": "Holm-Sidak",
    "holm": "Holm",
    "simes-hochberg": "Hochberg",
    "hommel": "Hommel",
    "fdr_bh": "Benjamini-Hochberg",
    "fdr_by": "Benjamini-Yekutieli",
    "fdr_tsbh": "two-stage Benjamini-Hochberg",
    "fdr_tsbky": "two-stage Benjamini-Krieger-Yekutieli",
    "none": "no correction",
}
_CORRECTION_ALIASES = {
    "bh": "fdr_bh",
    "benjamini-hochberg": "fdr_bh",
    "by": "fdr_by",
    "benjamini-yekutieli": "fdr_by",
    "hochberg": "simes-hochberg",
    "h": "holm",
    "b": "bonferroni",
    "s": "sidak",
    "hs": "holm-sidak",
    "sh": "simes-hochberg",
    "ho": "hommel",
    "fdr_i": "fdr_bh",
    "fdr_n": "fdr_by",
    "fdr_2sbky": "fdr_tsbky",
}


def correction_method(name: str) -> str:
    """Canonical ``multipletests`` method name for ``name`` (aliases such as "bh" accepted)."""
    key = str(name).strip().lower()
    key = _CORRECTION_ALIASES.get(key, key)
    if key not in CORRECTIONS:
        raise ValueError(f"unknown correction {name!r}; choose one of {', '.join(CORRECTIONS)}")
    return key


def _adjust_rows(p: np.ndarray, method: str) -> np.ndarray:
    """Adjusted p-values along the last axis (no NaN), vectorised over leading axes.

    Holm (1979), Scand. J. Statist. 6:65-70: the i-th smallest of m p-values becomes
    ``max_(j <= i) (m - j + 1) p_(j)`` (family-wise error). Benjamini & Hochberg (1995), JRSS B
    57:289-300: ``min_(j >= i) m p_(j) / j`` (false discovery rate). Bonferroni: ``m p``. All
    capped at 1.
    """
    m = p.shape[-1]
    if method == "none" or m == 0:
        return p.copy()
    if method == "bonferroni":
        return np.minimum(1.0, m * p)
    order = np.argsort(p, axis=-1, kind="stable")
    ranked = np.take_along_axis(p, order, axis=-1)
    i = np.arange(1, m + 1)
    if method == "holm":
        adj = np.maximum.accumulate(np.minimum(1.0, (m - i + 1) * ranked), axis=-1)
    else:  # fdr_bh
        adj = np.minimum.accumulate((m * ranked / i)[..., ::-1], axis=-1)[..., ::-1]
        adj = np.minimum(1.0, adj)
    out = np.empty_like(adj)
    np.put_along_axis(out, order, adj, axis=-1)
    return out


_NUMPY_METHODS = ("none", "bonferroni", "holm", "fdr_bh")


def adjust_pvalues(
    pvalues: Sequence[float] | np.ndarray, *, correction: str = "holm", alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    """Adjusted p-values and rejections for one family of tests.

    NaN (or infinite) p-values, comparisons that could not be computed, stay NaN and are not in the
    family. A 2-D array is one family per row (the simulations use this; no NaN allowed there).
    A hypothesis is rejected when its adjusted p-value is ``<= alpha``. ``correction`` is a
    ``multipletests`` name or alias (see :data:`CORRECTIONS`); Holm, Benjamini-Hochberg,
    Bonferroni and none are computed with numpy (same values as ``multipletests``, which the tests
    check), the others by statsmodels.
    """
    method = correction_method(correction)
    p = np.asarray(pvalues, dtype=float)
    if p.ndim == 2:
        if not np.isfinite(p).all():
            raise ValueError("2-D p-values (one family per row) must not contain NaN")
        if method not in _NUMPY_METHODS:
            raise ValueError(f"2-D families support {', '.join(_NUMPY_METHODS)}, not {correction!r}")
        adjusted = _adjust_rows(p, method)
        return adjusted, adjusted <= alpha
    adjusted = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        if method in _NUMPY_METHODS:
            adjusted[ok] = _adjust_rows(p[ok], method)
        else:
            from statsmodels.stats.multitest import multipletests

            adjusted[ok] = multipletests(p[ok], alpha=alpha, method=method)[1]
    return adjusted, ok & (adjusted <= alpha)


__all__ = ["CORRECTIONS", "adjust_pvalues", "correction_method"]
