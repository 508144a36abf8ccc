"""Survey weights for NPS: raking, post-stratification, non-response weights and weighted counts.

Weights correct who answered towards the customer base; their price in precision is summarised by
Kish's effective sample size, which weighted counts carry into every interval.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..sources.errors import NPSInputError, describe_rows
from ..sources.results import ResultMixin
from .scoring import (
    Variance,
    WeightedNPSCounts,
    WeightsArg,
    check_weights,
    kish_effective_n,
    weight_values,
    weighted_counts,
)

ResponseMethod = Literal["cell", "logistic"]

#: Margins or population shares this close to 1 are shares (not totals).
_SHARE_TOL = 1e-6
#: How many of the largest and smallest weights a report lists.
_EXTREMES = 5


# ------------------------------------------------------------------------------------ diagnostics


@dataclass(frozen=True)
class WeightingReport(ResultMixin):
    """Diagnostics of a set of weights (attached to the weights as ``attrs["weighting"]``).

    Attributes:
        method: ``"rake"``, ``"poststratify"``, ``"response-cell"``, ``"response-logistic"`` or
            ``"given"`` (weights made elsewhere).
        converged: whether the targets were met within ``tol`` (always true for closed forms).
        iterations: raking cycles (1 for closed forms, IRLS iterations for the logistic model).
        max_margin_error: largest absolute difference between a weighted share and its target
            share over every margin category (a fraction, 0..1).
        trim: the ``(lo, hi)`` bounds applied (relative to a mean weight of 1), or None.
        trimmed: how many weights sit at a trimming bound.
        n: rows with a weight (respondents).
        effective_n: Kish (1965) ``(sum w)^2 / sum w^2``.
        design_effect: ``n / effective_n`` (Kish's design effect due to weighting, 1 + CV^2).
        min_weight, max_weight: extremes of the mean-1 weights.
        largest, smallest: up to five ``[row label, weight]`` pairs at each end.
        population_total: the target total when margins were given as totals (multiply the mean-1
            weights by ``population_total / n`` for expansion weights); None for shares.
        nps_unweighted, nps_weighted: NPS side by side when :func:`weighting_report` was given the
            answers.
    """

    method: str
    converged: bool
    iterations: int
    max_margin_error: float
    trim: tuple[float, float] | None
    trimmed: int
    n: int
    effective_n: float
    design_effect: float
    min_weight: float
    max_weight: float
    largest: list[list[Any]]
    smallest: list[list[Any]]
    population_total: float | None = None
    nps_unweighted: float | None = None
    nps_weighted: float | None = None


def _report(
    w: pd.Series,
    *,
    method: str,
    converged: bool,
    iterations: int,
    max_margin_error: float,
    trim: tuple[float, float] | None = None,
    trimmed: int = 0,
    population_total: float | None = None,
) -> WeightingReport:
    valid = w.dropna()
    n = int(len(valid))
    n_eff = kish_effective_n(valid.to_numpy())
    # Only the extremes are listed: partial selection, never a loop over every row.
    values = valid.to_numpy()
    k = min(_EXTREMES, n)
    low = np.argsort(values, kind="stable")[:k] if n <= 4 * _EXTREMES else np.argpartition(values, k - 1)[:k]
    high = np.argsort(values, kind="stable")[-k:] if n <= 4 * _EXTREMES else np.argpartition(values, n - k)[n - k:]
    low = low[np.argsort(values[low], kind="stable")]
    high = high[np.argsort(values[high], kind="stable")]
    smallest = [[_plain(valid.index[i]), float(values[i])] for i in low]
    largest = [[_plain(valid.index[i]), float(values[i])] for i in high[::-1]]
    return WeightingReport(
        method=method,
        converged=bool(converged),
        iterations=int(iterations),
        max_margin_error=float(max_margin_error),
        trim=None if trim is None else (float(trim[0]), float(trim[1])),
        trimmed=int(trimmed),
        n=n,
        effective_n=n_eff,
        design_effect=n / n_eff if n_eff and n_eff > 0 else math.nan,
        min_weight=float(values.min()) if n else math.nan,
        max_weight=float(values.max()) if n else math.nan,
        largest=largest,
        smallest=smallest,
        population_total=population_total,
    )


def weighting_report(
    weights: pd.Series, frame: pd.DataFrame | None = None, score: str | None = None
) -> WeightingReport:
    """Diagnostics of weights: convergence, trimming, Kish effective n, design effect, extremes.

    Weights from :func:`rake`, :func:`poststratify` and :func:`response_weights` carry their report
    in ``attrs["weighting"]``; other weights get one computed here (method ``"given"``). With the
    answers (``frame`` and its ``score`` column, aligned to the weights' index) the report also shows
    the unweighted and weighted NPS side by side.
    """
    if not isinstance(weights, pd.Series):
        raise TypeError(f"expected the weights as a pandas Series, got {type(weights).__name__}")
    report = weights.attrs.get("weighting")
    if not isinstance(report, WeightingReport):
        w = check_weights(weights.to_numpy(dtype=float, na_value=np.nan), "weights", weights.index,
                           allow_nan=True)
        report = _report(pd.Series(w, index=weights.index), method="given", converged=True,
                         iterations=0, max_margin_error=math.nan)
    if frame is not None:
        if score is None:
            raise ValueError("pass score= (the answer column) together with frame=")
        if not frame.index.equals(weights.index):
            raise NPSInputError("the weights' index does not match the frame's index; align them first")
        plain = weighted_counts(frame, score, weights=np.ones(len(frame)))
        table = weighted_counts(frame, score, weights=weights.to_numpy(dtype=float, na_value=np.nan))
        report = replace(report, nps_unweighted=float(plain["nps"].iloc[0]),
                         nps_weighted=float(table["nps"].iloc[0]))
    return report


def _attach(w: np.ndarray, index: pd.Index, report_args: dict[str, Any]) -> pd.Series:
    out = pd.Series(w, index=index, name="weight", dtype=float)
    out.attrs["weighting"] = _report(out, **report_args)
    return out


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


# ------------------------------------------------------------------------------------- validation


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected {what} as a pandas DataFrame, got {type(frame).__name__}")
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise NPSInputError(f"{what}: missing column(s) {absent}; the columns are {list(map(str, frame.columns))}")


def _no_missing_labels(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    for col in columns:
        na = frame[col].isna().to_numpy()
        if na.any():
            rows = [(i, None) for i in frame.index[na][:20]]
            raise NPSInputError(
                f"{int(na.sum())} row(s) have no label, so no weighting cell: {describe_rows(rows)}; "
                "fill them (e.g. 'unknown') and give that category a target",
                column=str(col), rows=rows, count=int(na.sum()),
            )


def _check_trim(trim: tuple[float, float] | None) -> tuple[float, float] | None:
    if trim is None:
        return None
    try:
        lo, hi = (float(t) for t in trim)
    except (TypeError, ValueError):
        raise ValueError(f"trim must be (lo, hi) relative to a mean weight of 1, got {trim!r}") from None
    if not (0 <= lo < 1 < hi):
        raise ValueError(f"trim must satisfy 0 <= lo < 1 < hi (relative to a mean weight of 1), got {trim!r}")
    return lo, hi


def _targets(values: Mapping[Any, Any], what: str) -> tuple[list[Any], np.ndarray]:
    keys = list(values)
    try:
        arr = np.array([float(values[k]) for k in keys])
    except (TypeError, ValueError):
        raise NPSInputError(f"{what}: targets must be numbers, got {dict(values)!r}") from None
    if not keys:
        raise NPSInputError(f"{what}: no categories given")
    if (~np.isfinite(arr) | (arr < 0)).any():
        raise NPSInputError(f"{what}: targets must be finite and >= 0, got {dict(values)!r}")
    total = float(arr.sum())
    if total <= 0:
        raise NPSInputError(f"{what}: targets sum to 0")
    if arr.max() <= 1 and abs(total - 1) > _SHARE_TOL:
        raise NPSInputError(
            f"{what}: shares sum to {total:.6g}, not 1; give shares summing to 1 or population totals"
        )
    return keys, arr


# ------------------------------------------------------------------------------------------ raking


def _margin_codes(frame: pd.DataFrame, column: str, keys: list[Any], target: np.ndarray) -> np.ndarray:
    """Row -> position of its category in ``keys``; errors for categories without target or rows."""
    labels = frame[column]
    # Categorical coding is vectorised (no per-row Python); labels without a target get code -1.
    codes = pd.Index(keys, dtype=object).get_indexer(labels.astype(object)).astype(np.intp)
    unknown = codes < 0
    if unknown.any():
        values = sorted(map(str, set(labels[unknown])))
        raise NPSInputError(
            f"categories {values} occur in the data but have no target in the margin; "
            f"the margin's categories are {keys}",
            column=str(column), count=int(unknown.sum()),
        )
    present = np.bincount(codes, minlength=len(keys))
    empty = [k for k, c, t in zip(keys, present, target, strict=True) if c == 0 and t > 0]
    if empty:
        raise NPSInputError(
            f"margin categories {empty} have a target but no respondents in the data; "
            "collapse them with a neighbouring category",
            column=str(column),
        )
    return codes


def rake(
    frame: pd.DataFrame,
    margins: Mapping[str, Mapping[Any, float]],
    *,
    base_weights: WeightsArg = None,
    trim: tuple[float, float] | None = None,
    max_iter: int = 1000,
    tol: float = 1e-6,
) -> pd.Series:
    """Raking (iterative proportional fitting) of weights to known margins of the customer base.

    Source: Deming & Stephan (1940), "On a least squares adjustment of a sampled frequency table
    when the expected marginal totals are known", Ann. Math. Statist. 11:427-444; Kalton &
    Flores-Cervantes (2003), "Weighting methods", J. Official Statistics 19:81-97 (raking and
    trimming). Each cycle visits every margin ``m`` and multiplies the weight of every row in
    category ``c`` by ``T_mc / W_mc`` (target share over current weighted share); the cycles stop
    when every weighted share is within ``tol`` of its target. With ``trim=(lo, hi)`` the weights
    are scaled to mean 1 and clipped to ``[lo, hi]`` after each cycle (trimming inside the loop, so
    the margins are re-fitted around the capped weights).

    Args:
        frame: one row per respondent with a column per margin.
        margins: ``{column: {category: target}}``; targets are shares summing to 1 or population
            totals, and every margin must sum to the same total.
        base_weights: starting weights (a column name, Series or array), e.g. design or
            non-response weights; default 1.
        trim: ``(lo, hi)`` bounds relative to a mean weight of 1 (e.g. ``(0.3, 3.0)``), or None.
        max_iter: cycles before giving up.
        tol: largest allowed absolute error of a weighted share (fraction).

    Returns:
        Weights aligned to ``frame.index`` with mean 1, name ``"weight"``; diagnostics in
        ``attrs["weighting"]`` (see :func:`weighting_report`).

    Raises:
        NPSInputError: a missing column, a row without a label, a category without a target or a
            target without respondents, shares not summing to 1, margins with different totals,
            or no convergence within ``max_iter`` cycles (e.g. trimming bounds too tight).

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"region": ["n", "n", "s", "s"], "plan": ["a", "b", "a", "b"]})
        >>> w = rake(df, {"region": {"n": 0.5, "s": 0.5}, "plan": {"a": 0.25, "b": 0.75}})
        >>> w.round(3).tolist()
        [0.5, 1.5, 0.5, 1.5]
    """
    if not isinstance(margins, Mapping) or not margins:
        raise NPSInputError("margins must be a non-empty {column: {category: target}} mapping")
    _require(frame, list(margins), "rake")
    if len(frame) == 0:
        raise NPSInputError("rake: the frame has no rows")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"max_iter must be a whole number >= 1, got {max_iter!r}")
    if not (isinstance(tol, (int, float)) and 0 < tol < 1):
        raise ValueError(f"tol must be between 0 and 1, got {tol!r}")
    bounds = _check_trim(trim)
    _no_missing_labels(frame, list(margins))
    parsed, totals = [], []
    for column, values in margins.items():
        if not isinstance(values, Mapping):
            raise NPSInputError(f"margin {column!r} must be a {{category: target}} mapping")
        keys, target = _targets(values, f"margin {column!r}")
        totals.append(float(target.sum()))
        codes = _margin_codes(frame, column, keys, target)
        parsed.append((codes, target / target.sum(), len(keys)))
    if max(totals) - min(totals) > _SHARE_TOL * max(totals):
        sums = {c: t for c, t in zip(margins, totals, strict=True)}
        raise NPSInputError(f"margins sum to different totals {sums}; every margin must describe the same population")
    w = weight_values(frame, base_weights).copy()
    if not w.sum() > 0:
        raise NPSInputError("rake: base weights are all 0")

    def worst(w: np.ndarray) -> float:
        total = w.sum()
        return max(float(np.abs(np.bincount(c, weights=w, minlength=k) / total - t).max())
                   for c, t, k in parsed)

    converged, iterations, error, trimmed = False, 0, math.inf, 0
    for iterations in range(1, int(max_iter) + 1):  # noqa: B007 (the count is reported)
        for codes, target, k in parsed:
            current = np.bincount(codes, weights=w, minlength=k) / w.sum()
            with np.errstate(divide="ignore", invalid="ignore"):
                factor = np.where(current > 0, target / current, 0.0)
            w *= factor[codes]
        if bounds is not None:
            w /= w.mean()
            np.clip(w, bounds[0], bounds[1], out=w)
            trimmed = int((w <= bounds[0]).sum() + (w >= bounds[1]).sum())
        error = worst(w)
        if error < tol:
            converged = True
            break
    if not converged:
        hint = " (the trimming bounds may make the margins unattainable: widen trim)" if bounds else ""
        raise NPSInputError(
            f"raking did not converge in {iterations} cycles: the largest margin error is {error:.3g} "
            f"(tol {tol:g}){hint}; raise max_iter, loosen tol or collapse sparse categories"
        )
    w /= w.mean()
    return _attach(w, frame.index, dict(
        method="rake", converged=True, iterations=iterations, max_margin_error=error, trim=bounds,
        trimmed=trimmed, population_total=None if abs(totals[0] - 1) <= _SHARE_TOL else totals[0],
    ))


# ------------------------------------------------------------------------------ post-stratification


def _population_table(population: Any, by: list[str], value: str | None) -> pd.DataFrame:
    """Population cells as a frame: the ``by`` columns (object dtype) and ``target``."""
    if isinstance(population, pd.DataFrame):
        _require(population, by, "population")
        others = [c for c in population.columns if c not in by]
        if value is None:
            if len(others) != 1:
                raise NPSInputError(
                    f"population has value columns {others}; pass value= to say which holds the "
                    "totals or shares"
                )
            value = others[0]
        _require(population, [value], "population")
        table = population[[*by, value]].rename(columns={value: "target"})
    else:
        if isinstance(population, pd.Series):
            population = population.to_dict()
        if not isinstance(population, Mapping) or not population:
            raise NPSInputError("population must be a {cell: total or share} mapping, Series or DataFrame")
        rows = []
        for key, target in population.items():
            key = key if isinstance(key, tuple) else (key,)
            if len(key) != len(by):
                raise NPSInputError(f"population cell {key!r} does not have one label per by column {by}")
            rows.append((*key, target))
        table = pd.DataFrame(rows, columns=[*by, "target"])
    if table.duplicated(by).any():
        raise NPSInputError(f"population lists cells more than once: {table[table.duplicated(by)][by].to_dict('records')}")
    keys, target = _targets(dict(enumerate(table["target"])), "population")
    table = table.astype({c: object for c in by}).reset_index(drop=True)
    table["target"] = target
    return table


def poststratify(
    frame: pd.DataFrame,
    population: Mapping[Any, float] | pd.Series | pd.DataFrame,
    by: Sequence[str] | str,
    *,
    base_weights: WeightsArg = None,
    value: str | None = None,
) -> pd.Series:
    """Post-stratification: weight every cell of ``by`` to its known population total or share.

    Source: Holt & Smith (1979), "Post stratification", JRSS A 142:23-31; Lohr (2022), Sampling:
    Design and Analysis, 3rd ed., sec. 4.4. Row ``i`` in cell ``c`` gets
    ``w_i = b_i N_c / sum_(j in c) b_j`` (``b`` the base weights, ``N_c`` the cell's total), scaled
    to mean 1, so the weighted cell shares equal the population's exactly.

    Args:
        frame: one row per respondent.
        population: ``{label: target}`` for one ``by`` column, ``{(label1, label2): target}`` for
            several, a Series with such an index, or a frame of the ``by`` columns and one value
            column (``value=`` names it when there are more). Shares sum to 1, or totals.
        by: the cell columns.
        base_weights: starting weights (column name, Series or array); default 1.
        value: the population frame's column holding the totals or shares.

    Returns:
        Weights aligned to ``frame.index`` with mean 1 and ``attrs["weighting"]``.

    Raises:
        NPSInputError: a respondent cell missing from the population, a population cell with a
            positive target but no respondents (empty cell: collapse it), shares not summing to 1.
    """
    by_list = [by] if isinstance(by, str) else list(by)
    if not by_list:
        raise NPSInputError("poststratify needs at least one by column")
    _require(frame, by_list, "poststratify")
    if len(frame) == 0:
        raise NPSInputError("poststratify: the frame has no rows")
    _no_missing_labels(frame, by_list)
    pop = _population_table(population, by_list, value)
    rows = frame[by_list].astype(object).reset_index(drop=True)
    rows["_row"] = np.arange(len(rows))
    merged = rows.merge(pop, on=by_list, how="left", sort=False).sort_values("_row")
    missing = merged["target"].isna().to_numpy()
    if missing.any():
        cells = merged.loc[missing, by_list].drop_duplicates().to_dict("records")
        raise NPSInputError(f"respondent cells {cells[:10]} are not in the population; add their totals")
    base = weight_values(frame, base_weights)
    cell_code, cells = pd.factorize(pd.MultiIndex.from_frame(merged[by_list]))
    cell_base = np.bincount(cell_code, weights=base, minlength=len(cells))
    seen = pop.merge(merged[by_list].drop_duplicates(), on=by_list, how="left", indicator=True)
    empty = seen[(seen["_merge"] == "left_only") & (seen["target"] > 0)]
    zero = cell_base <= 0
    if len(empty) or zero.any():
        labels = empty[by_list].to_dict("records") + [dict(zip(by_list, c, strict=True))
                                                       for c in np.asarray(cells, dtype=object)[zero]]
        raise NPSInputError(
            f"empty cell(s) {labels[:10]}: a population target but no respondents (or only zero "
            "weights); collapse them with a neighbouring cell"
        )
    target_share = merged["target"].to_numpy(dtype=float) / pop["target"].sum()
    w = base * target_share / cell_base[cell_code]
    w /= w.mean()
    achieved = np.bincount(cell_code, weights=w, minlength=len(cells)) / w.sum()
    wanted = np.bincount(cell_code, weights=target_share, minlength=len(cells)) / np.bincount(cell_code, minlength=len(cells))
    total = float(pop["target"].sum())
    return _attach(w, frame.index, dict(
        method="poststratify", converged=True, iterations=1,
        max_margin_error=float(np.abs(achieved - wanted).max()),
        population_total=None if abs(total - 1) <= _SHARE_TOL else total,
    ))


# ------------------------------------------------------------------------------- response weights


def _responded_mask(invited: pd.DataFrame, responded: Any) -> np.ndarray:
    if isinstance(responded, str):
        _require(invited, [responded], "response_weights")
        values, name = invited[responded], responded
    else:
        values, name = pd.Series(np.asarray(responded), index=invited.index), "responded"
        if len(values) != len(invited):
            raise NPSInputError(f"responded has {len(values)} values for {len(invited)} invitations")
    if values.isna().any():
        rows = [(i, None) for i in invited.index[values.isna().to_numpy()][:20]]
        raise NPSInputError(f"responded is missing for {describe_rows(rows)}", column=name, rows=rows)
    ok = values.isin([True, False, 0, 1]).to_numpy()
    if not ok.all():
        rows = [(_plain(i), _plain(v)) for i, v in zip(invited.index[~ok][:20], values[~ok][:20], strict=True)]
        raise NPSInputError(f"responded must be true/false or 1/0; {describe_rows(rows)}", column=name, rows=rows)
    return values.astype(bool).to_numpy()


def _design_matrix(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Intercept, numeric ``by`` columns as they are, other columns as 0/1 dummies (first dropped)."""
    parts = [pd.Series(1.0, index=frame.index, name="const")]
    for col in by:
        column = frame[col]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            parts.append(column.astype(float).rename(str(col)))
        else:
            dummies = pd.get_dummies(column.astype(str), prefix=str(col), drop_first=True, dtype=float)
            parts.append(dummies)
    return pd.concat(parts, axis=1)


def response_weights(
    invited: pd.DataFrame,
    responded: str | Sequence[bool] | np.ndarray | pd.Series,
    by: Sequence[str] | str,
    *,
    method: ResponseMethod = "cell",
    base_weights: WeightsArg = None,
    trim: tuple[float, float] | None = None,
) -> pd.Series:
    """Non-response weights from the invitation list: the inverse of each respondent's propensity.

    Source: Little (1986), "Survey nonresponse adjustments for estimates of means", Int. Stat. Rev.
    54:139-157 (weighting-class and response-propensity adjustment); Lohr (2022) sec. 8.5.
    ``method="cell"``: the propensity of cell ``c`` of ``by`` is ``sum_(resp in c) b / sum_(invited
    in c) b`` (base weights ``b``), so the weighted respondents of every cell reproduce the invited
    cell exactly. ``method="logistic"``: a logistic regression of responding on the ``by`` columns
    (main effects; numeric columns linear, others as dummies; statsmodels GLM, binomial family)
    gives ``p_i``; weights are ``b_i / p_i``.

    Args:
        invited: one row per invitation.
        responded: a boolean column name (or values aligned to ``invited``).
        by: the columns the propensity depends on.
        method: ``"cell"`` or ``"logistic"``.
        base_weights: design weights of the invitations; default 1.
        trim: optional ``(lo, hi)`` clip of the mean-1 weights (no re-fitting afterwards).

    Returns:
        Weights aligned to ``invited.index``: mean 1 over respondents, NaN for non-respondents (not
        in the sample). ``attrs["weighting"]`` reports ``max_margin_error``, the largest difference
        between a weighted respondent share and the invited share over every ``by`` category.

    Raises:
        NPSInputError: a cell with invitations but no respondents (its propensity is 0), a row
            without a label, a logistic fit that does not converge or predicts a propensity of 0.
    """
    by_list = [by] if isinstance(by, str) else list(by)
    if not by_list:
        raise NPSInputError("response_weights needs at least one by column")
    _require(invited, by_list, "response_weights")
    _no_missing_labels(invited, by_list)
    if method not in ("cell", "logistic"):
        raise ValueError(f"method must be 'cell' or 'logistic', got {method!r}")
    bounds = _check_trim(trim)
    resp = _responded_mask(invited, responded)
    if not resp.any():
        raise NPSInputError("response_weights: nobody responded")
    base = weight_values(invited, base_weights)
    iterations = 1
    if method == "cell":
        code = invited.groupby(by_list, sort=True, observed=True, dropna=False).ngroup().to_numpy()
        k = int(code.max()) + 1
        invited_w = np.bincount(code, weights=base, minlength=k)
        resp_w = np.bincount(code, weights=base * resp, minlength=k)
        empty = np.flatnonzero((resp_w <= 0) & (invited_w > 0))
        if empty.size:
            keys = invited[by_list].groupby(by_list, sort=True, observed=True, dropna=False).size().index
            cells = [keys[i] for i in empty[:10]]
            raise NPSInputError(
                f"cell(s) {cells} of {by_list} have invitations but no respondents: the response "
                "propensity is 0 there; collapse them with a neighbouring cell or use method='logistic'"
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            propensity = (resp_w / invited_w)[code]
    else:
        import statsmodels.api as sm
        from statsmodels.tools.sm_exceptions import PerfectSeparationError

        design = _design_matrix(invited, by_list)
        try:
            fit = sm.GLM(resp.astype(float), design, family=sm.families.Binomial(),
                         freq_weights=base).fit()
        except (PerfectSeparationError, np.linalg.LinAlgError) as exc:
            raise NPSInputError(f"the response model could not be fitted ({exc}); collapse categories") from exc
        converged = bool(getattr(fit, "converged", True))
        iterations = int(getattr(fit, "fit_history", {}).get("iteration", 1))
        propensity = np.asarray(fit.predict(design), dtype=float)
        if not converged or not np.all(propensity[resp] > 1e-10):
            raise NPSInputError("the response model did not converge or predicts a response propensity of 0 "
                                "(a category where nobody responded); collapse categories")
    w = np.full(len(invited), np.nan)
    w[resp] = base[resp] / propensity[resp]
    w[resp] /= w[resp].mean()
    trimmed = 0
    if bounds is not None:
        trimmed = int(((w[resp] < bounds[0]) | (w[resp] > bounds[1])).sum())
        w[resp] = np.clip(w[resp], *bounds)
        w[resp] /= w[resp].mean()
    # Diagnostic: how well the weighted respondents reproduce the invited mix, column by column.
    error = 0.0
    for col in by_list:
        codes, _ = pd.factorize(invited[col].astype(object), use_na_sentinel=False)
        k = int(codes.max()) + 1
        inv = np.bincount(codes, weights=base, minlength=k) / base.sum()
        got = np.bincount(codes[resp], weights=w[resp], minlength=k) / w[resp].sum()
        error = max(error, float(np.abs(inv - got).max()))
    return _attach(w, invited.index, dict(
        method=f"response-{method}", converged=True, iterations=iterations, max_margin_error=error,
        trim=bounds, trimmed=trimmed,
    ))


def weighted_nps_interval(
    counts: WeightedNPSCounts,
    *,
    variance: Variance = "kish",
    method: str | None = None,
    confidence_level: float = 0.95,
) -> Any:
    """Interval for a weighted NPS: a count-based interval on the effective sample size.

    ``variance="kish"`` (what :func:`nps_analysis.nps_interval` uses for weighted counts): the
    weighted shares on ``effective_n`` respondents; ``"linearization"``: on ``V_w / v_lin``
    respondents (:meth:`WeightedNPSCounts.effective_counts`). ``method`` is any interval of
    :func:`nps_analysis.nps_interval` that works on fractional counts (None: its default). The result's ``nps`` is
    the weighted NPS and its counts are the effective counts.
    """
    from .intervals import nps_interval

    if not isinstance(counts, WeightedNPSCounts):
        raise TypeError(f"expected WeightedNPSCounts, got {type(counts).__name__}")
    options = {} if method is None else {"method": method}
    return nps_interval(counts.effective_counts(variance), confidence_level=confidence_level, **options)


def weighted_nps_table(
    frame: Any,
    score: str,
    by: Sequence[str] | str | None = None,
    *,
    weights: WeightsArg,
    method: str | None = None,
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    """Weighted NPS per group beside the unweighted one, with the price of weighting.

    One row per group: the ``by`` columns, ``n`` (answers), ``effective_n`` (Kish),
    ``design_effect`` (``n / effective_n``), ``unweighted_nps``, ``weighted_nps`` and its interval
    ``weighted_ci_lower``/``weighted_ci_upper`` (``method`` on the Kish effective sample size, see
    :func:`weighted_nps_interval`). Every weighted column says so in its name.
    """
    from ..sources.tables import native

    by_list = [by] if isinstance(by, str) else list(by or [])
    frame = native(frame)  # a Table's pandas frame or engine table
    table = weighted_counts(frame, score, by_list or None, weights=weights)
    if isinstance(frame, pd.DataFrame):
        plain = weighted_counts(frame, score, by_list or None, weights=np.ones(len(frame)))
    else:  # an engine table: a constant weight column, added where the rows are
        from ..sources.engines import narwhals_module

        nw = narwhals_module()
        ones = nw.from_native(frame).with_columns(nw.lit(1.0).alias("_nps_one_")).to_native()
        plain = weighted_counts(ones, score, by_list or None, weights="_nps_one_")
    lows, highs = [], []
    for row in table.to_dict("records"):
        if row["n"] > 0 and row["effective_n"] > 0:
            res = weighted_nps_interval(WeightedNPSCounts.from_row(row), method=method,
                                        confidence_level=confidence_level)
            lows.append(res.ci_lower)
            highs.append(res.ci_upper)
        else:
            lows.append(math.nan)
            highs.append(math.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        deff = table["n"] / table["effective_n"].where(table["effective_n"] > 0)
    out = table[by_list].copy() if by_list else pd.DataFrame(index=table.index)
    out["n"] = table["n"].to_numpy()
    out["effective_n"] = table["effective_n"].to_numpy()
    out["design_effect"] = deff.to_numpy()
    out["unweighted_nps"] = plain["nps"].to_numpy()
    out["weighted_nps"] = table["nps"].to_numpy()
    out["weighted_ci_lower"] = lows
    out["weighted_ci_upper"] = highs
    out.attrs.update(weighted=True, method=method, confidence_level=confidence_level)
    return out
