"""Experiment analysis for the treatment-versus-control notebook: data check, balance, effects.

Sample-ratio mismatch, response rates per arm, NPS per arm, effects per segment, power, and the
conclusion written from the numbers; the statistics themselves live in ``compare`` and ``power``.
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import NPSInputError, describe_rows
from .results import ResultMixin, jsonable

#: Interval methods that exist both for one NPS and for a difference (the notebook's ``ci_method``).
EXPERIMENT_METHODS: tuple[str, ...] = ("adjusted-wald", "wald", "bootstrap", "bayes")
#: SRM threshold: a sample-ratio check runs on every experiment, so it uses a strict level
#: (Kohavi, Tang & Xu 2020, ch. 21; Fabijan et al. 2019 use p < 0.0005-0.001).
SRM_ALPHA = 0.001


# ------------------------------------------------------------------------------------ loading


def load_experiment(
    data_path: str | os.PathLike[str] | None,
    *,
    score: str,
    group: str,
    columns: Sequence[str] = (),
    subset: Mapping[str, Any] | None = None,
    quarantine_dir: str | os.PathLike[str] | None = None,
    database: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """Read an experiment export (the bundled sample when ``data_path`` is empty).

    ``data_path`` may also be a DuckDB SQL query, or a table name in ``database`` (see
    :func:`nps_analysis.io.load`).

    Invalid scores are quarantined (written to ``quarantine_dir/quarantine.csv``, or beside the
    input file) rather than stopping the report; ``subset`` keeps only rows whose columns equal
    the given values (compared as text), e.g. ``{"region": "North"}`` for one report per region.

    Returns:
        The frame, with ``attrs["load_report"]`` (:class:`nps_analysis.io.LoadReport`) and
        ``attrs["subset"]`` / ``attrs["rows_before_subset"]``.
    """
    from .datasets import sample_path
    from .io import is_query_or_table, load

    database = database or None
    if data_path and is_query_or_table(str(data_path), database):
        path: Any = str(data_path)
    else:
        path = Path(data_path) if data_path else sample_path("experiment")
    needed = list(dict.fromkeys([group, *[c for c in columns if c], *(subset or {})]))
    qpath = Path(quarantine_dir) / "quarantine.csv" if quarantine_dir else None
    frame = load(path, score=score, columns=needed, on_invalid="quarantine", quarantine_path=qpath, database=database)
    report = frame.attrs.get("load_report")
    before = len(frame)
    if subset:
        keep = np.ones(len(frame), dtype=bool)
        for column, value in subset.items():
            keep &= (frame[column].astype(str) == str(value)).to_numpy()
        frame = frame.loc[keep].reset_index(drop=True)
        if frame.empty:
            raise NPSInputError(f"no rows left after keeping {dict(subset)}", file=str(path))
        frame.attrs["load_report"] = report
    frame.attrs["subset"] = dict(subset or {})
    frame.attrs["rows_before_subset"] = before
    return frame


def check_options(*, ci_method: str, confidence_level: float, control: Any, treatments: Sequence[Any]) -> None:
    """Reject notebook options that cannot work, before any computation."""
    if ci_method not in EXPERIMENT_METHODS:
        raise ValueError(f"ci_method must be one of {', '.join(EXPERIMENT_METHODS)}, got {ci_method!r}")
    if not 0 < confidence_level < 1:
        raise ValueError(f"confidence_level must be between 0 and 1 (e.g. 0.95), got {confidence_level!r}")
    if control in list(treatments):
        raise ValueError(f"the control {control!r} cannot also be a treatment")


def arms_of(frame: pd.DataFrame, group: str, control: Any, treatments: Sequence[Any] = ()) -> list[Any]:
    """Control first, then the treatments (default: every other label in ``group``, sorted)."""
    present = [v for v in pd.unique(frame[group].dropna())]
    if control not in present:
        raise NPSInputError(
            f"control {control!r} is not a value of the column; the values are {sorted(map(str, present))}",
            column=group,
        )
    if treatments:
        missing = [t for t in treatments if t not in present]
        if missing:
            raise NPSInputError(
                f"treatment(s) {missing} not found; the values are {sorted(map(str, present))}", column=group
            )
        return [control, *treatments]
    return [control, *sorted((v for v in present if v != control), key=str)]


def as_flags(values: pd.Series, *, column: str, file: str | None = None) -> np.ndarray:
    """A yes/no column (bool, 0/1, true/false, yes/no) as a boolean array; anything else raises."""
    if values.dtype == bool:
        return values.to_numpy()
    text = values.astype(str).str.strip().str.lower()
    yes = text.isin(["true", "1", "1.0", "yes", "y"])
    no = text.isin(["false", "0", "0.0", "no", "n"])
    bad = ~(yes | no)
    if bad.any():
        rows = [(int(i), values.iloc[int(i)]) for i in np.flatnonzero(bad.to_numpy())]
        raise NPSInputError(
            f"{len(rows)} value(s) are not yes/no (true/false, 1/0): {describe_rows(rows)}",
            file=file, column=column, rows=rows[:20], count=len(rows),
        )
    return yes.to_numpy()


# --------------------------------------------------------------------------------- data check


@dataclass(frozen=True)
class DataCheck(ResultMixin):
    """What the analysis is based on: rows read, kept, answered, missing and quarantined."""

    file: str
    rows_read: int
    quarantined: int
    quarantine_reasons: dict[str, int]
    quarantine_file: str | None
    subset: dict[str, Any]
    rows_analysed: int
    invited: int | None
    responded: int | None
    answers: int
    missing_answers: int
    rows_per_arm: dict[str, int]
    answers_per_arm: dict[str, int]

    def to_frame(self) -> pd.DataFrame:
        rows = [("file", self.file), ("rows read", self.rows_read)]
        if self.quarantined:
            reasons = "; ".join(f"{k}: {v}" for k, v in self.quarantine_reasons.items())
            where = f" (set aside in {self.quarantine_file})" if self.quarantine_file else ""
            rows.append(("rows quarantined", f"{self.quarantined}: {reasons}{where}"))
        else:
            rows.append(("rows quarantined", 0))
        if self.subset:
            rows.append(("subset", ", ".join(f"{k} = {v}" for k, v in self.subset.items())))
        rows.append(("rows analysed", self.rows_analysed))
        if self.invited is not None:
            rows.append(("invited", self.invited))
        if self.responded is not None:
            rows.append(("responded", self.responded))
        rows.append(("0-10 answers", self.answers))
        rows.append(("rows without an answer", self.missing_answers))
        for arm, n in self.answers_per_arm.items():
            rows.append((f"answers in {arm}", f"{n} of {self.rows_per_arm.get(arm, 0)} rows"))
        return pd.DataFrame(rows, columns=["item", "value"]).astype({"value": str})

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False, header=False)


def data_check(
    frame: pd.DataFrame,
    *,
    score: str,
    group: str,
    invited: str | None = None,
    responded: str | None = None,
) -> DataCheck:
    """Summarise the rows behind the analysis (uses the load report :func:`load_experiment` attached)."""
    from .io import load_report

    report = load_report(frame)
    answered = frame[score].notna().to_numpy()
    labels = frame[group].astype(str)
    rows_per_arm = labels.value_counts().sort_index()
    answers_per_arm = labels[answered].value_counts().reindex(rows_per_arm.index, fill_value=0)
    return DataCheck(
        file=str(getattr(report, "file", "(data frame)")),
        rows_read=int(getattr(report, "rows_read", len(frame))),
        quarantined=int(getattr(report, "quarantined", 0)),
        quarantine_reasons=dict(getattr(report, "reasons", {}) or {}),
        quarantine_file=getattr(report, "quarantine_file", None),
        subset=dict(frame.attrs.get("subset", {})),
        rows_analysed=len(frame),
        invited=int(as_flags(frame[invited], column=invited).sum()) if invited else None,
        responded=int(as_flags(frame[responded], column=responded).sum()) if responded else None,
        answers=int(answered.sum()),
        missing_answers=int((~answered).sum()),
        rows_per_arm={k: int(v) for k, v in rows_per_arm.items()},
        answers_per_arm={k: int(v) for k, v in answers_per_arm.items()},
    )


# ------------------------------------------------------------------------------------ balance


@dataclass(frozen=True)
class SampleRatioResult(ResultMixin):
    """Sample-ratio mismatch (SRM) test: are the arms as large as the planned allocation says?

    ``observed`` are assigned units per arm, ``expected`` the counts the allocation implies.
    ``mismatch`` is True when ``pvalue < alpha``: the assignment (or the data pipeline) is likely
    broken and effects should not be trusted until it is explained.
    """

    arms: tuple[str, ...]
    observed: tuple[int, ...]
    expected: tuple[float, ...]
    allocation: tuple[float, ...]
    statistic: float
    dof: int
    pvalue: float
    alpha: float
    mismatch: bool
    unit: str

    @property
    def message(self) -> str:
        parts = ", ".join(
            f"{a} {o} (expected {e:.0f})" for a, o, e in zip(self.arms, self.observed, self.expected, strict=True)
        )
        p = _p(self.pvalue)
        if self.mismatch:
            return (
                f"SAMPLE RATIO MISMATCH: {parts} among {self.unit}; chi-square {p} < {self.alpha:g}. The arms do not "
                "have the planned sizes, so the assignment or the data pipeline is suspect and the "
                "effects below should not be trusted until this is explained."
            )
        return f"Arm sizes match the planned allocation: {parts} among {self.unit} (chi-square {p})."

    def to_frame(self) -> pd.DataFrame:
        """One row per arm: units observed and expected, observed and planned shares (%)."""
        total = sum(self.observed)
        return pd.DataFrame(
            {
                "arm": self.arms,
                "observed": self.observed,
                "expected": [round(e, 1) for e in self.expected],
                "observed share %": [round(100 * o / total, 1) if total else math.nan for o in self.observed],
                "planned share %": [round(100 * a, 1) for a in self.allocation],
            }
        )

    def _repr_html_(self) -> str:
        return _flag_box(self.message, self.mismatch) + self.to_frame().to_html(index=False)


def sample_ratio_mismatch(
    frame: pd.DataFrame,
    group: str,
    *,
    arms: Sequence[Any] | None = None,
    expected_allocation: Mapping[str, float] | None = None,
    invited: str | None = None,
    alpha: float = SRM_ALPHA,
) -> SampleRatioResult:
    """Chi-square goodness-of-fit test of the arm sizes against the planned allocation.

    Source: Kohavi, Tang & Xu (2020), *Trustworthy Online Controlled Experiments*, ch. 21;
    Fabijan et al. (2019), "Diagnosing Sample Ratio Mismatch in Online Controlled Experiments",
    KDD. Pearson's statistic ``X^2 = sum_k (O_k - E_k)^2 / E_k`` with ``E_k = N w_k / sum(w)``
    and ``k - 1`` degrees of freedom.

    Args:
        group: the arm column. Units are rows (customers), counted among ``invited`` rows when that
            column is given (assignment happens before anyone answers: never test respondents).
        arms: arms to test (default: every label present).
        expected_allocation: arm -> planned weight (normalised; default equal). An arm with weight
            that has no rows counts 0; a present arm missing from the allocation is an error.
        alpha: threshold for the ``mismatch`` flag (default 0.001).
    """
    rows = frame
    unit = "all rows"
    if invited:
        rows = frame.loc[as_flags(frame[invited], column=invited)]
        unit = "invited customers"
    labels = rows[group].dropna().astype(str)
    present = sorted(pd.unique(labels))
    weights = {str(k): float(v) for k, v in (expected_allocation or {}).items()}
    if arms is None:
        arm_list = list(dict.fromkeys([*weights, *present])) if weights else present
    else:
        arm_list = [str(a) for a in arms]
    unknown = [a for a in arm_list if a not in weights] if weights else []
    if unknown:
        raise NPSInputError(
            f"arm(s) {unknown} have rows but no planned share in expected_allocation {weights}", column=group
        )
    counts_by_label = labels.value_counts()
    observed = {a: int(counts_by_label.get(a, 0)) for a in arm_list}
    return srm_from_counts(observed, expected_allocation=weights or None, alpha=alpha, unit=unit)


def srm_from_counts(
    observed: Mapping[str, int],
    *,
    expected_allocation: Mapping[str, float] | None = None,
    alpha: float = SRM_ALPHA,
    unit: str = "units",
) -> SampleRatioResult:
    """The sample-ratio test on assignment counts ``{arm: units}`` (see :func:`sample_ratio_mismatch`).

    ``X^2 = sum_k (O_k - E_k)^2 / E_k``, ``E_k = N w_k / sum(w)``, ``k - 1`` degrees of freedom
    (arms with a planned share of 0 and no units do not count); units in an arm planned at 0
    give ``p = 0``.
    """
    from scipy.stats import chi2

    arm_list = [str(a) for a in observed]
    if len(arm_list) < 2:
        raise NPSInputError(f"a sample-ratio check needs at least two arms, found {arm_list}")
    if expected_allocation:
        weights = {str(k): float(v) for k, v in expected_allocation.items()}
        missing = [a for a in arm_list if a not in weights]
        if missing:
            raise NPSInputError(f"arm(s) {missing} have no planned share in expected_allocation {weights}")
        w = np.array([weights[a] for a in arm_list])
        if not (np.all(np.isfinite(w)) and np.all(w >= 0) and w.sum() > 0):
            raise ValueError(f"expected_allocation needs non-negative weights with a positive sum, got {weights}")
    else:
        w = np.ones(len(arm_list))
    obs = np.array([int(observed[a]) for a in observed])
    if np.any(obs < 0):
        raise ValueError(f"counts must be non-negative, got {dict(observed)}")
    share = w / w.sum()
    expected = obs.sum() * share
    positive = expected > 0
    dof = int(positive.sum()) - 1
    if np.any(obs[~positive] > 0):
        statistic, pvalue = math.inf, 0.0
    elif dof < 1:
        statistic, pvalue = 0.0, 1.0
    else:
        statistic = float(((obs[positive] - expected[positive]) ** 2 / expected[positive]).sum())
        pvalue = float(chi2.sf(statistic, dof))
    return SampleRatioResult(
        arms=tuple(arm_list),
        observed=tuple(int(o) for o in obs),
        expected=tuple(float(e) for e in expected),
        allocation=tuple(float(x) for x in share),
        statistic=statistic,
        dof=max(dof, 0),
        pvalue=pvalue,
        alpha=alpha,
        mismatch=bool(pvalue < alpha),
        unit=unit,
    )


@dataclass(frozen=True)
class ResponseRates(ResultMixin):
    """Response rate per arm (Wilson intervals) and a chi-square test that they are equal.

    NPS only sees respondents: if one arm answers more often, its respondents may differ from the
    other arm's, and a difference in NPS can come from who answered rather than from the
    treatment. ``unequal`` is True when the test rejects at ``alpha``.
    """

    arms: tuple[str, ...]
    invited: tuple[int, ...]
    responded: tuple[int, ...]
    rate: tuple[float, ...]
    ci_lower: tuple[float, ...]
    ci_upper: tuple[float, ...]
    statistic: float
    dof: int
    pvalue: float
    alpha: float
    unequal: bool
    largest_gap: float
    confidence_level: float

    @property
    def message(self) -> str:
        rates = ", ".join(f"{a} {100 * r:.1f}%" for a, r in zip(self.arms, self.rate, strict=True))
        if self.unequal:
            return (
                f"UNEQUAL RESPONSE RATES: {rates} (gap up to {100 * self.largest_gap:.1f} points; "
                f"chi-square {_p(self.pvalue)}). NPS sees only respondents, so a difference in NPS "
                "may come from who chose to answer rather than from the treatment."
            )
        return f"Response rates are similar across arms: {rates} (chi-square {_p(self.pvalue)})."

    def to_frame(self) -> pd.DataFrame:
        """One row per arm: invited, responded, the rate (%) and its Wilson interval."""
        return pd.DataFrame(
            {
                "arm": self.arms,
                "invited": self.invited,
                "responded": self.responded,
                "response rate %": [round(100 * r, 1) for r in self.rate],
                f"{100 * self.confidence_level:g}% interval": [
                    _interval(100 * lo, 100 * hi) for lo, hi in zip(self.ci_lower, self.ci_upper, strict=True)
                ],
            }
        )

    def _repr_html_(self) -> str:
        return _flag_box(self.message, self.unequal) + self.to_frame().to_html(index=False)


def response_rates(
    frame: pd.DataFrame,
    group: str,
    *,
    score: str,
    arms: Sequence[Any] | None = None,
    invited: str | None = None,
    responded: str | None = None,
    confidence_level: float = 0.95,
    alpha: float = 0.05,
) -> ResponseRates:
    """Response rate per arm and Pearson's chi-square test of homogeneity on the arm x responded
    table (no continuity correction), with Wilson (1927) intervals per arm.

    Args:
        invited: yes/no column of customers asked to answer (default: every row was invited).
        responded: yes/no column of customers who answered (default: a valid 0-10 score).
    """
    from scipy.stats import chi2_contingency

    from .scoring import wilson_interval

    base = as_flags(frame[invited], column=invited) if invited else np.ones(len(frame), dtype=bool)
    answered = as_flags(frame[responded], column=responded) if responded else frame[score].notna().to_numpy()
    labels = frame[group].astype(str).to_numpy()
    arm_list = [str(a) for a in (arms if arms is not None else sorted(pd.unique(labels)))]
    n_inv = np.array([int((base & (labels == a)).sum()) for a in arm_list])
    n_resp = np.array([int((base & answered & (labels == a)).sum()) for a in arm_list])
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(n_inv > 0, n_resp / np.maximum(n_inv, 1), np.nan)
    intervals = [wilson_interval(r, n, confidence_level) for r, n in zip(n_resp, n_inv, strict=True)]
    table = np.column_stack([n_resp, n_inv - n_resp])
    usable = table[(n_inv > 0)]
    if len(usable) >= 2 and usable.sum(axis=0).min() > 0:
        stat, pvalue, dof, _ = chi2_contingency(usable, correction=False)
    else:  # everyone (or no one) answered: the rates cannot differ
        stat, pvalue, dof = 0.0, 1.0, max(len(usable) - 1, 0)
    finite = rate[np.isfinite(rate)]
    gap = float(finite.max() - finite.min()) if finite.size else math.nan
    return ResponseRates(
        arms=tuple(arm_list),
        invited=tuple(int(v) for v in n_inv),
        responded=tuple(int(v) for v in n_resp),
        rate=tuple(float(v) for v in rate),
        ci_lower=tuple(float(lo) for lo, _ in intervals),
        ci_upper=tuple(float(hi) for _, hi in intervals),
        statistic=float(stat),
        dof=int(dof),
        pvalue=float(pvalue),
        alpha=alpha,
        unequal=bool(pvalue < alpha),
        largest_gap=gap,
        confidence_level=confidence_level,
    )


# --------------------------------------------------------------------------------- NPS per arm


def arm_table(
    frame: pd.DataFrame,
    *,
    score: str,
    group: str,
    arms: Sequence[Any],
    method: str = "adjusted-wald",
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    """NPS per arm with its interval: ``group, n, detractors, passives, promoters, nps, ci_lower,
    ci_upper`` (one row per arm, in the order of ``arms``; counts from the 0-10 answers)."""
    from .intervals import nps_interval
    from .scoring import NPSCounts, counts

    table = counts(frame, score, by=[group])
    by_label = {str(row[group]): row for row in table.to_dict("records")}
    rows = []
    for arm in arms:
        row = by_label.get(str(arm))
        c = NPSCounts(0, 0, 0) if row is None else NPSCounts(
            int(row["detractors"]), int(row["passives"]), int(row["promoters"])
        )
        if c.n:
            ci = nps_interval(c, method=method, confidence_level=confidence_level)  # type: ignore[arg-type]
            nps, lo, hi = ci.nps, ci.ci_lower, ci.ci_upper
        else:
            nps = lo = hi = math.nan
        rows.append(
            {
                "group": str(arm),
                "n": int(c.n),
                "detractors": int(c.detractors),
                "passives": int(c.passives),
                "promoters": int(c.promoters),
                "nps": nps,
                "ci_lower": lo,
                "ci_upper": hi,
            }
        )
    out = pd.DataFrame(rows)
    out.attrs.update(method=method, confidence_level=confidence_level)
    return out


def records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON-safe records (NaN -> None) for ``nps.record``."""
    return jsonable(table.to_dict("records"))


# ------------------------------------------------------------------------------------ effects


def effect_records(many: Any) -> list[dict[str, Any]]:
    """One JSON record per treatment of a ``compare_many`` result without segments.

    Stable keys: ``treatment, control, difference, ci_lower, ci_upper, pvalue, method``; also
    ``pvalue_adjusted``, ``correction``, group sizes and NPS, the row-level tests and, with
    covariates, ``cuped`` (the adjusted effect and the variance reduction).
    """
    out = []
    for comp in many.comparisons:
        r = comp.result
        rec: dict[str, Any] = {"treatment": comp.treatment, "control": comp.control}
        if r is None:
            rec.update(difference=None, ci_lower=None, ci_upper=None, pvalue=None, method=many.method, note=comp.note)
            out.append(jsonable(rec))
            continue
        rec.update(
            difference=r.difference,
            ci_lower=r.ci_lower,
            ci_upper=r.ci_upper,
            pvalue=r.pvalue,
            method=r.method,
            pvalue_adjusted=comp.pvalue_adjusted,
            correction=many.correction,
            significant=comp.significant,
            confidence_level=r.confidence_level,
            n_treatment=comp.n_treatment,
            n_control=comp.n_control,
            nps_treatment=r.treatment.nps,
            nps_control=r.control.nps,
        )
        if r.row_tests is not None:
            rec.update(
                mann_whitney_pvalue=r.row_tests.mann_whitney.pvalue,
                prob_superiority=r.row_tests.mann_whitney.prob_superiority,
                ordinal_odds_ratio=r.row_tests.ordinal.odds_ratio,
                ordinal_pvalue=r.row_tests.ordinal.pvalue,
            )
        a = r.covariate_adjustment
        if a is not None:
            rec["cuped"] = {
                "covariates": list(a.covariates),
                "difference": a.difference,
                "ci_lower": a.ci_lower,
                "ci_upper": a.ci_upper,
                "pvalue": a.pvalue,
                "pvalue_adjusted": comp.cuped_pvalue_adjusted,
                "variance_reduction": a.variance_reduction,
                "rows_dropped": a.rows_dropped,
            }
        out.append(jsonable(rec))
    return out


def effects_table(many: Any) -> pd.DataFrame:
    """The effects for reading: one row per treatment with the difference, its interval, the
    p-value (and the multiplicity-adjusted one with several treatments) and the rank and ordinal
    tests. Exact numbers are in :func:`effect_records`; CUPED is in :func:`cuped_table`."""
    rows = []
    level = f"{100 * many.confidence_level:g}%"
    for rec in effect_records(many):
        row = {
            "treatment": rec["treatment"],
            "n treatment": rec.get("n_treatment"),
            "n control": rec.get("n_control"),
            "difference (points)": _round(rec["difference"], 1),
            f"{level} interval": _interval(rec["ci_lower"], rec["ci_upper"]),
            "p": _pcell(rec["pvalue"]),
        }
        if len(many.comparisons) > 1:
            row[f"p adjusted ({_correction_name(many.correction)})"] = _pcell(rec.get("pvalue_adjusted"))
        if "mann_whitney_pvalue" in rec:
            row["rank test p"] = _pcell(rec["mann_whitney_pvalue"])
            row["ordinal odds ratio"] = _round(rec["ordinal_odds_ratio"], 2)
            row["ordinal p"] = _pcell(rec["ordinal_pvalue"])
        if rec.get("note"):
            row["note"] = rec["note"]
        rows.append(row)
    out = pd.DataFrame(rows).set_index("treatment")
    out.attrs["family"] = many.family
    return out


def cuped_table(many: Any) -> pd.DataFrame | Note:
    """Unadjusted versus CUPED-adjusted effect per treatment, or a note when no covariates were
    used. ``variance reduction %`` is also the share of the sample size the adjustment saves at
    equal power."""
    rows = []
    for comp in many.comparisons:
        r = comp.result
        if r is None or r.covariate_adjustment is None:
            continue
        a = r.covariate_adjustment
        level = f"{100 * a.confidence_level:g}%"
        rows.append(
            {
                "treatment": comp.treatment,
                "adjusted for": ", ".join(a.covariates),
                "unadjusted difference": _round(a.unadjusted_difference, 1),
                "unadjusted SE": _round(a.unadjusted_se, 2),
                "CUPED difference": _round(a.difference, 1),
                "CUPED SE": _round(a.se, 2),
                f"CUPED {level} interval": _interval(a.ci_lower, a.ci_upper),
                "CUPED p": _pcell(a.pvalue),
                "variance reduction": f"{100 * a.variance_reduction:.0f}%",
                "rows used": f"{a.n_treatment}\u00a0+\u00a0{a.n_control}",
            }
        )
    if not rows:
        return Note("No covariates were given (covariate_columns is empty): no regression adjustment.")
    return pd.DataFrame(rows).set_index("treatment")


def segment_effects(
    frame: pd.DataFrame,
    *,
    score: str,
    group: str,
    control: Any,
    treatments: Sequence[Any],
    segment_columns: Sequence[str],
    correction: str = "holm",
    method: str = "adjusted-wald",
    confidence_level: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """The effect of every treatment in every segment of each column in ``segment_columns``.

    Each column is its own family of comparisons (every treatment x every segment of that column),
    adjusted with ``correction`` by :func:`nps_analysis.compare_many`; ``attrs["families"]`` says
    what was corrected. Segments where an arm has fewer than ``min_n`` answers are marked
    ``small``: their intervals are wide and they should not drive decisions.
    """
    from .compare import compare_many

    columns = ["segment", "value", "treatment", "n_treatment", "n_control", "nps_treatment", "nps_control",
               "difference", "ci_lower", "ci_upper", "pvalue", "pvalue_adjusted", "significant", "small", "note"]
    parts, families = [], []
    for column in segment_columns:
        many = compare_many(
            frame, score=score, group=group, control=control, treatments=list(treatments), by=[column],
            correction=correction, method=method, confidence_level=confidence_level, min_n=min_n, row_tests=False,
        )
        families.append(f"{column}: {many.family}")
        for comp in many.comparisons:
            r = comp.result
            parts.append(
                {
                    "segment": column,
                    "value": (comp.segment or {}).get(column),
                    "treatment": comp.treatment,
                    "n_treatment": comp.n_treatment,
                    "n_control": comp.n_control,
                    "nps_treatment": None if r is None else r.treatment.nps,
                    "nps_control": None if r is None else r.control.nps,
                    "difference": None if r is None else r.difference,
                    "ci_lower": None if r is None else r.ci_lower,
                    "ci_upper": None if r is None else r.ci_upper,
                    "pvalue": None if r is None else r.pvalue,
                    "pvalue_adjusted": comp.pvalue_adjusted,
                    "significant": comp.significant,
                    "small": comp.small,
                    "note": comp.note or "",
                }
            )
    out = pd.DataFrame(parts, columns=columns)
    out.attrs["families"] = families
    out.attrs["confidence_level"] = confidence_level
    return out


# -------------------------------------------------------------------------------------- power


def power_table(
    arms: pd.DataFrame,
    *,
    control: Any,
    treatments: Sequence[Any],
    mde: float,
    confidence_level: float = 0.95,
    power: float = 0.8,
) -> pd.DataFrame:
    """Per treatment: the power this experiment had to detect ``mde`` points, and the smallest
    effect it could detect with ``power`` (both two-sided at ``alpha = 1 - confidence_level``, the
    control's observed answer shares as the baseline; see :mod:`nps_analysis.power`).

    Power is computed for the *planned* effect ``mde``, never for the observed one (observed
    power is a function of the p-value and says nothing new; Hoenig & Heisey 2001).
    """
    from .power import achieved_power, minimum_detectable_effect
    from .scoring import NPSCounts

    alpha = 1 - confidence_level
    by_arm = {str(r["group"]): r for r in arms.to_dict("records")}
    c = by_arm[str(control)]
    baseline = NPSCounts(c["detractors"], c["passives"], c["promoters"])
    rows = []
    for t in treatments:
        n_t, n_c = by_arm[str(t)]["n"], c["n"]
        row: dict[str, Any] = {"treatment": str(t), "n_treatment": n_t, "n_control": n_c, "mde": mde}
        if n_t > 0 and n_c > 0 and baseline.n > 0:
            row["power_at_mde"] = achieved_power(n_t, n_c, mde, baseline=baseline, alpha=alpha) if mde else math.nan
            try:
                row["detectable_effect"] = minimum_detectable_effect(n_t, n_c, baseline=baseline, alpha=alpha, power=power)
            except ValueError:
                row["detectable_effect"] = math.nan
        else:
            row["power_at_mde"] = row["detectable_effect"] = math.nan
        row["target_power"] = power
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs.update(alpha=alpha, power=power)
    return out


# --------------------------------------------------------------------------------- conclusion


def conclusion(
    many: Any,
    *,
    srm: SampleRatioResult | None = None,
    response: ResponseRates | None = None,
    power: pd.DataFrame | None = None,
    segments: pd.DataFrame | None = None,
) -> str:
    """The experiment's conclusion in plain sentences, written from the numbers.

    Paragraphs separated by blank lines (Markdown): balance first (problems undermine everything
    after them); then one paragraph per treatment (``CompareResult.summary``: the difference with
    its interval and p-value, the rank test, the CUPED estimate), the multiplicity-adjusted
    p-value when several treatments were compared, and a power caveat when an effect is not
    significant and the planned effect was unlikely to be detected; last, segments that stand out
    after correction (small segments never do).
    """
    paragraphs: list[str] = []
    balance: list[str] = []
    ok: list[str] = []
    if srm is not None:
        if srm.mismatch:
            balance.append(
                f"Warning: the arm sizes do not match the planned allocation (sample-ratio mismatch, "
                f"{_p(srm.pvalue)}); treat the effects below as unreliable until the assignment is checked."
            )
        else:
            ok.append(f"the arm sizes match the planned allocation (sample-ratio check {_p(srm.pvalue)})")
    if response is not None:
        if response.unequal:
            balance.append(
                f"Warning: response rates differ between arms (by up to {100 * response.largest_gap:.1f} "
                f"percentage points, {_p(response.pvalue)}); part of any NPS difference may come from who answered."
            )
        else:
            ok.append(f"response rates are similar across arms ({_p(response.pvalue)})")
    if ok:
        balance.insert(0, "Balance: " + " and ".join(ok) + ".")
    if balance:
        paragraphs.append(" ".join(balance))

    several = len(many.comparisons) > 1
    power_by = {} if power is None else {str(r["treatment"]): r for r in power.to_dict("records")}
    for comp in many.comparisons:
        r = comp.result
        if r is None:
            paragraphs.append(f"{comp.treatment} could not be compared with {comp.control}: {comp.note}.")
            continue
        sentences = [r.summary(str(comp.treatment), str(comp.control))]
        if several:
            verdict = "significant" if comp.significant else "not significant"
            sentences.append(
                f"With the {_correction_name(many.correction)} correction for {len(many.comparisons)} "
                f"comparisons, {_p(comp.pvalue_adjusted)}: {verdict}."
            )
        pw = power_by.get(str(comp.treatment))
        alpha = 1 - r.confidence_level
        not_significant = not (comp.significant if several else r.pvalue < alpha)
        if pw and not_significant and _finite(pw.get("power_at_mde")) and pw["power_at_mde"] < pw["target_power"]:
            sentences.append(
                f"With {pw['n_treatment']} and {pw['n_control']} answers the experiment had only "
                f"{100 * pw['power_at_mde']:.0f}% power to detect the planned {pw['mde']:g} points "
                f"(with {100 * pw['target_power']:.0f}% power it detects {pw['detectable_effect']:.1f} points), "
                "so the lack of a significant difference is weak evidence that there is no effect."
            )
        paragraphs.append(" ".join(sentences))

    if segments is not None and not segments.empty:
        hits = segments[(segments["significant"]) & (~segments["small"])]
        notes = [
            f"in {s['segment']} = {s['value']}, {s['treatment']} is {abs(s['difference']):.1f} points "
            f"{'higher' if s['difference'] > 0 else 'lower'} than control (adjusted {_p(s['pvalue_adjusted'])})"
            for _, s in hits.iterrows()
        ]
        if notes:
            paragraphs.append("Segments: " + "; ".join(notes) + ".")
        else:
            paragraphs.append("Segments: no segment effect is significant after the multiplicity correction.")
    return "\n\n".join(paragraphs)


def headline(arms: pd.DataFrame, effects: Sequence[Mapping[str, Any]], srm: SampleRatioResult | None = None) -> dict[str, str]:
    """Short label -> text pairs for the reports index, e.g. ``{"treatment_a - control": "+7.9 (2.1 to 13.7), p = 0.008"}``."""
    out: dict[str, str] = {}
    for row in arms.to_dict("records")[:1]:
        out[f"NPS {row['group']}"] = f"{row['nps']:.1f} (n = {row['n']})"
    for e in effects:
        if e.get("difference") is None:
            continue
        out[f"{e['treatment']} - {e['control']}"] = (
            f"{e['difference']:+.1f} ({e['ci_lower']:.1f} to {e['ci_upper']:.1f}), {_p(e['pvalue'])}"
        )
    if srm is not None:
        out["SRM"] = ("MISMATCH " if srm.mismatch else "") + _p(srm.pvalue)
    return out


# -------------------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class Note:
    """A paragraph for a notebook: a red box when ``alert``, plain text otherwise."""

    text: str
    alert: bool = False
    extra: list[str] = field(default_factory=list)

    def _repr_html_(self) -> str:
        return _flag_box(self.text, self.alert, always=True) + "".join(
            f"<p>{html.escape(e)}</p>" for e in self.extra
        )

    def _repr_markdown_(self) -> str:
        return ("**Warning:** " if self.alert else "") + self.text

    def __str__(self) -> str:
        return self.text


_LABELS = {
    "n": "n", "nps": "NPS", "n_treatment": "n treatment", "n_control": "n control",
    "nps_treatment": "NPS treatment", "nps_control": "NPS control", "difference": "difference (points)",
    "pvalue": "p", "pvalue_adjusted": "p adjusted", "significant": "significant", "small": "small",
    "mde": "planned effect (points)", "power_at_mde": "power for the planned effect",
    "detectable_effect": "detectable effect (points)", "target_power": "at power",
}
_INDEX = ("group", "segment", "value", "treatment")


def pretty(table: pd.DataFrame, *, digits: int = 1) -> pd.DataFrame:
    """A result table made for reading (numbers stay exact in the original and in results.json).

    Label columns (group, segment, value, treatment) become the index; ``ci_lower``/``ci_upper``
    become one "interval" column; p-values are written as text (``< 0.001``); powers as
    percentages; other numbers are rounded to ``digits``; columns get plain names.
    """
    out = table.copy()
    index = [c for c in _INDEX if c in out.columns]
    if {"ci_lower", "ci_upper"} <= set(out.columns):
        level = table.attrs.get("confidence_level")
        name = f"{100 * level:g}% interval" if level else "interval"
        position = list(out.columns).index("ci_lower")
        values = [_interval(lo, hi, digits) for lo, hi in zip(out["ci_lower"], out["ci_upper"], strict=True)]
        out = out.drop(columns=["ci_lower", "ci_upper"])
        out.insert(position, name, values)
    if "target_power" in out.columns and out["target_power"].nunique() == 1 and "detectable_effect" in out.columns:
        level = float(out["target_power"].iloc[0])
        out = out.drop(columns=["target_power"]).rename(
            columns={"detectable_effect": f"detectable effect (points, {100 * level:.0f}% power)"}
        )
    for col in list(out.columns):
        text_like = pd.api.types.is_object_dtype(out[col]) or pd.api.types.is_string_dtype(out[col])
        if text_like and out[col].map(lambda v: v is None or v == "").all():
            out = out.drop(columns=[col])  # e.g. a note column with no notes
            continue
        if col in ("pvalue", "pvalue_adjusted"):
            out[col] = [_pcell(v) for v in out[col]]
        elif col in ("power_at_mde", "target_power"):
            out[col] = [f"{100 * v:.0f}%" if _finite(v) else "-" for v in out[col]]
        elif out[col].dtype == bool:
            out[col] = out[col].map({True: "yes", False: ""})
        elif out[col].dtype.kind == "f":
            out[col] = out[col].round(digits)
    out = out.rename(columns=_LABELS)
    if index:
        out = out.set_index(index)
    return out


def _round(x: Any, digits: int) -> Any:
    return round(float(x), digits) if _finite(x) else None


def _interval(lo: Any, hi: Any, digits: int = 1) -> str:
    if not (_finite(lo) and _finite(hi)):
        return "-"
    return f"{lo:.{digits}f}\u00a0to\u00a0{hi:.{digits}f}"  # no-break spaces: one line in tables


def _pcell(p: Any) -> str:
    """A p-value for a table cell: ``0.023``, ``< 0.001``, ``-`` when missing."""
    if not _finite(p):
        return "-"
    return "< 0.001" if p < 0.001 else f"{float(f'{p:.2g}'):g}"


def _flag_box(message: str, alert: bool, *, always: bool = True) -> str:
    """A red (alert) or green box. Inline style for JupyterLab; the class for HTML reports, whose
    sanitiser drops inline styles (the report template styles ``nps-alert`` / ``nps-ok``)."""
    if alert:
        cls, style = "nps-alert", "background:#fdecea;border-left:6px solid #c62828;color:#611a15;font-weight:600"
    elif always:
        cls, style = "nps-ok", "background:#edf7ed;border-left:6px solid #2e7d32;color:#1e4620"
    else:
        return ""
    return f'<div class="{cls}" style="{style};padding:8px 12px;margin:6px 0">{html.escape(message)}</div>'


def _p(p: float | None) -> str:
    if p is None or not math.isfinite(p):
        return "p not available"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {float(f'{p:.2g}'):g}"


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool) and math.isfinite(x)


def _correction_name(correction: str) -> str:
    try:
        from .compare import CORRECTIONS

        return CORRECTIONS.get(correction, correction)
    except ImportError:  # pragma: no cover - compare is part of the package
        return correction
