"""Latent-variable model behind the samples: a normal latent satisfaction cut into 0-10 answers.

Scores come from an ordinal latent-variable model: a respondent's latent satisfaction is normal and
cut into the 0-10 answers, so each arm's true answer distribution (hence its true NPS) is exact.
"""

from __future__ import annotations

import math

import numpy as np

#: A realistic, negatively skewed 0-10 distribution (true NPS = 45 - 25 = +20).
BASELINE_DISTRIBUTION: tuple[float, ...] = (
    0.03, 0.01, 0.02, 0.03, 0.03, 0.06, 0.07, 0.12, 0.18, 0.20, 0.25,
)
#: 1-5 CSAT distribution for the control arm (top-2-box 70%).
BASELINE_CSAT: tuple[float, ...] = (0.05, 0.08, 0.17, 0.35, 0.35)


def cutpoints(distribution: tuple[float, ...]) -> np.ndarray:
    from scipy.stats import norm

    p = np.asarray(distribution, dtype=float)
    if np.any(p < 0) or not math.isclose(p.sum(), 1.0, abs_tol=1e-9):
        raise ValueError("a distribution must be non-negative and sum to 1")
    return norm.ppf(np.cumsum(p)[:-1])


def latent_distribution(shift: float, distribution: tuple[float, ...] = BASELINE_DISTRIBUTION) -> np.ndarray:
    """Answer probabilities when the latent N(0, 1) satisfaction is shifted by ``shift``."""
    from scipy.stats import norm

    cdf = norm.cdf(cutpoints(distribution) - shift)
    return np.diff(np.concatenate([[0.0], cdf, [1.0]]))


def true_nps(shift: float, distribution: tuple[float, ...] = BASELINE_DISTRIBUTION) -> float:
    """Exact NPS (points) of the latent model at a given shift."""
    p = latent_distribution(shift, distribution)
    return float(100.0 * (p[9:].sum() - p[:7].sum()))


def shift_for_nps(target_nps: float, distribution: tuple[float, ...] = BASELINE_DISTRIBUTION) -> float:
    """The latent shift whose true NPS is ``target_nps`` (inverse of :func:`true_nps`)."""
    from scipy.optimize import brentq

    return float(brentq(lambda s: true_nps(s, distribution) - target_nps, -8, 8, xtol=1e-12))
