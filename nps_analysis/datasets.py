"""Seeded synthetic survey data with known true effects, and the bundled samples in ``data/``.

Scores come from an ordinal latent-variable model: a respondent's latent satisfaction is normal and
cut into the 0-10 answers, so each arm's true answer distribution (hence its true NPS) is exact.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: A realistic, negatively skewed 0-10 distribution (true NPS = 45 - 25 = +20).
BASELINE_DISTRIBUTION: tuple[float, ...] = (
    0.03, 0.01, 0.02, 0.03, 0.03, 0.06, 0.07, 0.12, 0.18, 0.20, 0.25,
)
#: 1-5 CSAT distribution for the control arm (top-2-box 70%).
BASELINE_CSAT: tuple[float, ...] = (0.05, 0.08, 0.17, 0.35, 0.35)


def _cutpoints(distribution: tuple[float, ...]) -> np.ndarray:
    from scipy.stats import norm

    p = np.asarray(distribution, dtype=float)
    if np.any(p < 0) or not math.isclose(p.sum(), 1.0, abs_tol=1e-9):
        raise ValueError("a distribution must be non-negative and sum to 1")
    return norm.ppf(np.cumsum(p)[:-1])


def latent_distribution(shift: float, distribution: tuple[float, ...] = BASELINE_DISTRIBUTION) -> np.ndarray:
    """Answer probabilities when the latent N(0, 1) satisfaction is shifted by ``shift``."""
    from scipy.stats import norm

    cdf = norm.cdf(_cutpoints(distribution) - shift)
    return np.diff(np.concatenate([[0.0], cdf, [1.0]]))


def true_nps(shift: float, distribution: tuple[float, ...] = BASELINE_DISTRIBUTION) -> float:
    """Exact NPS (points) of the latent model at a given shift."""
    p = latent_distribution(shift, distribution)
    return float(100.0 * (p[9:].sum() - p[:7].sum()))


def shift_for_nps(target_nps: float, distribution: tuple[float, ...] = BASELINE_DISTRIBUTION) -> float:
    """The latent shift whose true NPS is ``target_nps`` (inverse of :func:`true_nps`)."""
    from scipy.optimize import brentq

    return float(brentq(lambda s: true_nps(s, distribution) - target_nps, -8, 8, xtol=1e-12))


def experiment_data(
    n_invited: int = 3000,
    *,
    arms: Mapping[str, float] | None = None,
    allocation: Mapping[str, float] | None = None,
    response_rate: Mapping[str, float] | float = 0.4,
    segments: Mapping[str, float] | None = None,
    segment_shift: Mapping[str, float] | None = None,
    prior_correlation: float = 0.6,
    start: str = "2026-09-01",
    days: int = 28,
    seed: int = 2026,
) -> pd.DataFrame:
    """A cohort experiment: invited customers, who responded, 0-10 scores, CSAT and a prior score.

    Args:
        n_invited: customers invited to the survey.
        arms: arm label -> true effect on NPS in points relative to the control arm (the first
            arm, whose effect must be 0). Default: control 0, treatment_a +8, treatment_b -6.
        allocation: arm -> share of customers (default equal).
        response_rate: the survey response rate, overall or per arm.
        segments: segment (region) -> share of customers; ``segment_shift`` adds a latent shift.
        prior_correlation: correlation (rho) of the latent satisfaction before and during the
            experiment; the before-score (``prior_score``) is what CUPED adjusts on.
        seed: everything is reproducible from it.

    Returns:
        One row per invited customer: ``respondent_id``, ``customer_id``, ``arm``, ``region``,
        ``plan``, ``invited`` (always True), ``responded``, ``submitted_at``, ``score`` (NaN when
        not responded), ``csat`` (1-5, NaN when not responded), ``prior_score`` (0-10, the last
        survey before the experiment). ``attrs["true_nps"]`` maps each arm to its exact true NPS
        over the segment mix, ``attrs["true_effect"]`` to its true difference against control.
    """
    rng = np.random.default_rng(seed)
    arms = dict(arms or {"control": 0.0, "treatment_a": 8.0, "treatment_b": -6.0})
    labels = list(arms)
    if arms[labels[0]] != 0:
        raise ValueError("the first arm is the control and must have effect 0")
    allocation = dict(allocation or {a: 1 / len(labels) for a in labels})
    weights = np.array([allocation[a] for a in labels], dtype=float)
    segments = dict(segments or {"North": 0.45, "South": 0.35, "West": 0.20})
    segment_shift = dict(segment_shift or {"North": 0.0, "South": -0.15, "West": 0.2})
    base_nps = true_nps(0.0)
    arm_shift = {a: shift_for_nps(base_nps + effect) for a, effect in arms.items()}

    arm = rng.choice(len(labels), size=n_invited, p=weights / weights.sum())
    seg_labels = list(segments)
    seg_p = np.array([segments[s] for s in seg_labels], dtype=float)
    seg = rng.choice(len(seg_labels), size=n_invited, p=seg_p / seg_p.sum())
    plan = rng.choice(np.array(["basic", "plus", "pro"]), size=n_invited, p=[0.5, 0.35, 0.15])

    if not 0 <= prior_correlation < 1:
        raise ValueError(f"prior_correlation must be in [0, 1), got {prior_correlation!r}")
    # Both latents load sqrt(rho) on a shared customer term, so their correlation is rho.
    load = math.sqrt(prior_correlation)
    u = rng.standard_normal(n_invited)
    latent_now = load * u + math.sqrt(1 - prior_correlation) * rng.standard_normal(n_invited)
    latent_before = load * u + math.sqrt(1 - prior_correlation) * rng.standard_normal(n_invited)
    shift = np.array([arm_shift[labels[i]] for i in range(len(labels))])[arm]
    shift = shift + np.array([segment_shift.get(s, 0.0) for s in seg_labels])[seg]
    cuts = _cutpoints(BASELINE_DISTRIBUTION)
    score = np.searchsorted(cuts, latent_now + shift).astype(float)
    seg_only = np.array([segment_shift.get(s, 0.0) for s in seg_labels])[seg]
    prior_score = np.searchsorted(cuts, latent_before + seg_only).astype(float)
    csat = 1 + np.searchsorted(_cutpoints(BASELINE_CSAT), latent_now + shift).astype(float)

    if isinstance(response_rate, Mapping):
        rate = np.array([response_rate[labels[i]] for i in range(len(labels))])[arm]
    else:
        rate = np.full(n_invited, float(response_rate))
    responded = rng.random(n_invited) < rate
    score[~responded] = np.nan
    csat[~responded] = np.nan

    t0 = pd.Timestamp(start, tz="UTC")
    seconds = rng.integers(0, days * 86400, size=n_invited)
    submitted = t0 + pd.to_timedelta(np.sort(seconds), unit="s")
    frame = pd.DataFrame(
        {
            "respondent_id": [f"R{i:06d}" for i in range(1, n_invited + 1)],
            "customer_id": [f"C{i:06d}" for i in rng.permutation(n_invited) + 1],
            "arm": np.array(labels, dtype=object)[arm],
            "region": np.array(seg_labels, dtype=object)[seg],
            "plan": plan,
            "invited": True,
            "responded": responded,
            "submitted_at": submitted,
            "score": score,
            "csat": csat,
            "prior_score": prior_score,
        }
    )
    frame.loc[~responded, "submitted_at"] = pd.NaT
    truth = {}
    for a in labels:
        truth[a] = float(
            sum(
                (segments[s] / seg_p.sum()) * 100 * _nps_of(latent_distribution(arm_shift[a] + segment_shift.get(s, 0.0)))
                for s in seg_labels
            )
        )
    frame.attrs["true_nps"] = truth
    frame.attrs["true_effect"] = {a: truth[a] - truth[labels[0]] for a in labels}
    return frame


def _nps_of(p: np.ndarray) -> float:
    return float(p[9:].sum() - p[:7].sum())


# ------------------------------------------------------------- monitoring data (roll-back decisions)


def monitoring_data(
    days: int = 30,
    *,
    daily_responses: float = 60.0,
    true_effect: float = -15.0,
    handling_effect: float = 0.0,
    treatment: str = "treatment",
    control: str = "control",
    start: str = "2026-10-01",
    seed: int = 2026,
) -> pd.DataFrame:
    """A cohort experiment watched day by day: responses arrive over time and the change may harm.

    Each arm receives Poisson(``daily_responses``) answers per day at uniform times of day. The
    control follows :data:`BASELINE_DISTRIBUTION` (true NPS +20); the treatment's latent shift makes
    its true NPS exactly ``20 + true_effect``. CSAT (1-5) comes from the same latent satisfaction,
    so a harmful change lowers CSAT too; ``handling_minutes`` (gamma, mean 12 in control) is a
    numeric guardrail shifted by ``handling_effect`` minutes in the treatment arm.

    Returns:
        One row per response: ``respondent_id``, ``arm``, ``submitted_at`` (UTC), ``day``
        (0-based), ``score``, ``csat``, ``handling_minutes``. ``attrs`` holds the exact truths per
        arm: ``true_nps``, ``true_effect`` (treatment minus control, NPS points),
        ``true_detractor_share`` and ``true_csat`` (top-2-box) in percent, ``true_handling_minutes``.
    """
    from scipy.stats import norm

    rng = np.random.default_rng(seed)
    labels = [treatment, control]
    base = true_nps(0.0)
    shift = np.array([shift_for_nps(base + true_effect), 0.0])
    per_day = rng.poisson(daily_responses, size=(days, 2))
    arm = np.repeat(np.tile([0, 1], days), per_day.ravel())
    day = np.repeat(np.repeat(np.arange(days), 2), per_day.ravel())
    n = arm.size
    seconds = day * 86400 + rng.integers(0, 86400, size=n)
    order = np.argsort(seconds, kind="stable")
    arm, day, seconds = arm[order], day[order], seconds[order]
    latent = rng.standard_normal(n) + shift[arm]
    score = np.searchsorted(_cutpoints(BASELINE_DISTRIBUTION), latent).astype(int)
    csat_cuts = _cutpoints(BASELINE_CSAT)
    csat = 1 + np.searchsorted(csat_cuts, latent).astype(int)
    handling = rng.gamma(4.0, 3.0, size=n) + np.where(arm == 0, handling_effect, 0.0)
    frame = pd.DataFrame(
        {
            "respondent_id": [f"M{i:06d}" for i in range(1, n + 1)],
            "arm": np.array(labels, dtype=object)[arm],
            "submitted_at": pd.Timestamp(start, tz="UTC") + pd.to_timedelta(seconds, unit="s"),
            "day": day,
            "score": score,
            "csat": csat,
            "handling_minutes": np.round(np.maximum(handling, 0.1), 1),
        }
    )
    frame.attrs["true_nps"] = {a: true_nps(shift[i]) for i, a in enumerate(labels)}
    frame.attrs["true_effect"] = frame.attrs["true_nps"][treatment] - frame.attrs["true_nps"][control]
    frame.attrs["true_detractor_share"] = {
        a: float(100 * latent_distribution(shift[i])[:7].sum()) for i, a in enumerate(labels)
    }
    frame.attrs["true_csat"] = {a: float(100 * norm.sf(csat_cuts[2] - shift[i])) for i, a in enumerate(labels)}
    frame.attrs["true_handling_minutes"] = {treatment: 12.0 + handling_effect, control: 12.0}
    return frame


def _monitoring_sample() -> pd.DataFrame:
    return monitoring_data(30, daily_responses=60, true_effect=-15.0, seed=20261001)


# ---------------------------------------------------------------------------------- bundled samples


@dataclass(frozen=True)
class Sample:
    """A small bundled data set: its file in ``data/`` and the call that regenerates it."""

    filename: str
    make: Callable[[], pd.DataFrame]
    description: str


def _experiment_sample() -> pd.DataFrame:
    # Seed chosen as the first from 20261122 whose observed effects are each within one standard
    # error of the true ones, so the demo is representative rather than an unlucky (or lucky) draw.
    return experiment_data(6000, seed=20261125)


SAMPLES: dict[str, Sample] = {
    "experiment": Sample(
        "sample_experiment.csv",
        _experiment_sample,
        "6,000 invited customers (40% respond), control vs two treatments (true +8 and -6 NPS points), 3 regions",
    ),
    "monitoring": Sample(
        "sample_monitoring.csv",
        _monitoring_sample,
        "30 days of daily responses (~60 per arm per day), treatment harms NPS by 15 points (roll-back demo)",
    ),
}


def data_dir() -> Path:
    """The repository's ``data/`` folder (the package is installed editable from the checkout)."""
    return Path(__file__).resolve().parent.parent / "data"


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a sample as CSV deterministically (fixed float and date formats, LF line endings)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    out.to_csv(path, index=False, lineterminator="\n", float_format="%.10g")
    return path


def sample_path(name: str) -> Path:
    """Path of a bundled sample; regenerated into ``data/`` if the file is missing."""
    try:
        sample = SAMPLES[name]
    except KeyError:
        raise ValueError(f"unknown sample {name!r}; the samples are {sorted(SAMPLES)}") from None
    path = data_dir() / sample.filename
    if not path.exists():
        write_csv(sample.make(), path)
    return path


def regenerate_samples(names: list[str] | None = None, directory: str | Path | None = None) -> list[Path]:
    """Rewrite the bundled samples byte for byte (``nps-analysis samples``)."""
    directory = Path(directory) if directory is not None else data_dir()
    return [write_csv(SAMPLES[n].make(), directory / SAMPLES[n].filename) for n in (names or sorted(SAMPLES))]


def describe_samples() -> dict[str, Any]:
    return {name: {"file": s.filename, "description": s.description} for name, s in SAMPLES.items()}
