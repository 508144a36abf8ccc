"""The service self-assessment (seven areas, 1-5 scale, total 7-35 in three bands), the company
versus customer comparison of the same statements, and the superior-service headline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..sources.errors import NPSInputError, describe_rows
from ..sources.instruments import (
    SELF_ASSESSMENT_AREAS,
    SELF_ASSESSMENT_STATEMENTS,
    STATEMENT_PATTERN,
    statement_area,
)
from ..sources.item_tables import (
    Table,
    available_items,
    check_scale,
    detect_layout,
    read_item_table,
    read_side,
    validated_answers,
)
from ..sources.results import ResultMixin
from ..stats.intervals import check_confidence_level, newcombe_interval
from ..stats.scoring import wilson_limits as _wilson
from .gap import GapResult, survey_gap
from .gap_tables import TableResult

#: Self-assessment bands on the total (sum of the seven area means, 7-35): (lowest total, band).
SELF_ASSESSMENT_BANDS: tuple[tuple[float, str], ...] = (
    (28.0, "asset"),
    (21.0, "adequate"),
    (-math.inf, "losing customers"),
)


#: Totals are sums of means; compare against band limits with this tolerance so 28 is 28.
BAND_TOLERANCE = 1e-9


def self_assessment_band(total: float) -> str:
    """Band of a self-assessment total: >= 28 asset, 21 <= total < 28 adequate, < 21 losing customers."""
    if total is None or not math.isfinite(total):
        raise ValueError(f"a self-assessment total must be a finite number, got {total!r}")
    for lowest, band in SELF_ASSESSMENT_BANDS:
        if total >= lowest - BAND_TOLERANCE:
            return band
    raise AssertionError("unreachable")  # pragma: no cover


def self_assessment_gap(company_ratings: Table, customer_ratings: Table, **kwargs: Any) -> GapResult:
    """Per-statement and per-area gap between the company's self-assessment and customers' ratings.

    :func:`survey_gap` over the statement ids present in both, with the seven areas as dimensions.
    Columns that are not statement ids (a rater name, a date) are ignored.
    """
    comp, _ = read_item_table(company_ratings, what="company self-assessment")
    cust, _ = read_item_table(customer_ratings, what="customer ratings")
    if "item" in comp.columns and "answer" in comp.columns:
        kwargs.setdefault("items", [s for s in SELF_ASSESSMENT_STATEMENTS
                                    if s in set(comp["item"].astype(str))])
    else:
        kwargs.setdefault("items", [s for s in SELF_ASSESSMENT_STATEMENTS if s in comp.columns])
    kwargs.setdefault("dimensions", "self-assessment")
    return survey_gap(company_ratings, customer_ratings, **kwargs)


@dataclass(frozen=True)
class SuperiorService(ResultMixin):
    """Share of company respondents who believe the service is superior vs customers who agree.

    Shares and bounds in percent; ``difference`` = customers - company in percentage points with
    Newcombe's interval; ``pvalue`` from ``test`` (``test_reason`` says why).
    """

    item: str
    threshold: int
    company_n: int
    company_superior: int
    company_share: float
    company_ci_lower: float
    company_ci_upper: float
    customers_n: int
    customers_superior: int
    customers_share: float
    customers_ci_lower: float
    customers_ci_upper: float
    difference: float
    ci_lower: float
    ci_upper: float
    test: str
    test_reason: str
    pvalue: float
    confidence_level: float

    def headline(self) -> str:
        """The 80/8 sentence, from the numbers."""
        return (
            f"{self.company_share:.0f}% of company respondents (95% CI "
            f"{self.company_ci_lower:.0f}-{self.company_ci_upper:.0f}%) believe the service is "
            f"superior; {self.customers_share:.0f}% of customers agree "
            f"({self.customers_ci_lower:.0f}-{self.customers_ci_upper:.0f}%)."
        ).replace("95%", f"{100 * self.confidence_level:g}%")


def superior_service(
    company: Table,
    customers: Table,
    *,
    item: str,
    scale: tuple[int, int] = (1, 5),
    threshold: int | None = None,
    test: Literal["auto", "z", "fisher"] = "auto",
    confidence_level: float = 0.95,
    layout: Literal["auto", "wide", "long"] = "auto",
    respondent: str = "respondent",
    item_column: str = "item",
    answer: str = "answer",
) -> SuperiorService:
    """The "superior service" headline (Bain & Company 2005: 80% of firms vs 8% of their customers).

    A respondent believes the service is superior when their answer to ``item`` is at least
    ``threshold`` (default: the top of the scale, i.e. top box). Each side's share gets a Wilson
    (1927) interval; the difference (customers - company) Newcombe's (1998) hybrid score interval;
    the test of no difference is the pooled two-proportion z test (= Pearson's chi-square without
    continuity correction, ``z = (p2 - p1) / sqrt(p(1 - p)(1/n1 + 1/n2))``) or Fisher's exact test.
    ``test="auto"`` takes the z test when every expected cell count is at least 5 (Cochran 1954)
    and Fisher's exact test otherwise.
    """
    from scipy.stats import fisher_exact, norm

    check_confidence_level(confidence_level)
    lo, hi = check_scale(scale)
    threshold = hi if threshold is None else threshold
    if not isinstance(threshold, (int, np.integer)) or not lo < threshold <= hi:
        raise NPSInputError(f"threshold must be an integer answer above {lo} and at most {hi}, got {threshold!r}")
    if test not in {"auto", "z", "fisher"}:
        raise NPSInputError(f"test must be 'auto', 'z' or 'fisher', got {test!r}")
    counts = []
    for source, what in ((company, "company data"), (customers, "customer data")):
        frame, src = read_item_table(source, what=what)
        lay = detect_layout(frame, layout, item_column, answer)
        available = available_items(frame, lay, respondent=respondent, item_column=item_column,
                                     answer=answer, src=src, what=what)
        if item not in available:
            raise NPSInputError(f"{what}: item {item!r} not found", file=src.file, column=item)
        if lay == "long":
            frame = frame[frame[item_column].astype("string").str.strip() == item]
        side = read_side(frame, [item], layout=lay, scale=(lo, hi), respondent=respondent,
                          item_column=item_column, answer=answer, src=src, what=what)
        answers = side.answers[:, 0]
        answers = answers[~np.isnan(answers)]
        if len(answers) == 0:
            raise NPSInputError(f"{what}: no answers to {item!r}", file=src.file, column=item)
        counts.append((int((answers >= threshold).sum()), len(answers)))
    (x1, n1), (x2, n2) = counts
    z = float(norm.ppf(0.5 + confidence_level / 2))
    w1 = _wilson(np.array(x1), np.array(n1), z)
    w2 = _wilson(np.array(x2), np.array(n2), z)
    d_lo, d_hi = newcombe_interval(x2, n2, x1, n1, confidence_level=confidence_level)
    total = n1 + n2
    expected = np.outer([n1, n2], [x1 + x2, total - x1 - x2]) / total
    chosen = test
    if test == "auto":
        chosen = "z" if expected.min() >= 5 else "fisher"
        reason = (f"smallest expected cell count {expected.min():.1f} "
                  + (">= 5: pooled z test" if chosen == "z" else "< 5: Fisher's exact test"))
    else:
        reason = "chosen by the user"
    if chosen == "z":
        pooled = (x1 + x2) / total
        se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        pvalue = 1.0 if se == 0 else float(2 * norm.sf(abs((x2 / n2 - x1 / n1) / se)))
        name = "pooled two-proportion z test"
    else:
        pvalue = float(fisher_exact([[x2, n2 - x2], [x1, n1 - x1]]).pvalue)
        name = "Fisher's exact test"
    return SuperiorService(
        item=item, threshold=int(threshold), company_n=n1, company_superior=x1,
        company_share=100 * x1 / n1, company_ci_lower=100 * float(w1[0]), company_ci_upper=100 * float(w1[1]),
        customers_n=n2, customers_superior=x2, customers_share=100 * x2 / n2,
        customers_ci_lower=100 * float(w2[0]), customers_ci_upper=100 * float(w2[1]),
        difference=100 * (x2 / n2 - x1 / n1), ci_lower=100 * d_lo, ci_upper=100 * d_hi,
        test=name, test_reason=reason, pvalue=pvalue, confidence_level=confidence_level,
    )


@dataclass(frozen=True)
class RaterScore(ResultMixin):
    """One rater's self-assessment: the seven area means, the total (7-35) and its band."""

    rater: str
    culture: float
    products: float
    comments: float
    knowing: float
    contact: float
    staff: float
    improvement: float
    total: float
    band: str
    imputed: int


@dataclass(frozen=True)
class SelfAssessment(TableResult):
    """Self-assessment over one or more raters.

    ``total`` is the mean of the raters' totals (equal to the sum of the area means over raters) and
    ``band`` its band; ``band_counts`` and the quantiles describe the distribution of totals.
    ``imputed`` counts statements filled in under ``missing="area-mean"``.
    """

    raters: tuple[RaterScore, ...]
    n_raters: int
    total: float
    band: str
    total_min: float
    total_median: float
    total_max: float
    band_counts: dict[str, int]
    area_means: dict[str, float]
    missing: str
    imputed: int

    _rows_field = "raters"

    def table(self) -> pd.DataFrame:
        """One row per rater."""
        return self.to_frame()

    def area_table(self) -> pd.DataFrame:
        """One row per area: title, mean over raters, lowest and highest rater, statements."""
        frame = self.to_frame()
        return pd.DataFrame({
            "area": list(SELF_ASSESSMENT_AREAS),
            "title": list(SELF_ASSESSMENT_AREAS.values()),
            "mean": [float(frame[a].mean()) for a in SELF_ASSESSMENT_AREAS],
            "min": [float(frame[a].min()) for a in SELF_ASSESSMENT_AREAS],
            "max": [float(frame[a].max()) for a in SELF_ASSESSMENT_AREAS],
            "statements": [sum(1 for s in SELF_ASSESSMENT_STATEMENTS if statement_area(s) == a)
                           for a in SELF_ASSESSMENT_AREAS],
        })

    def weakest_area(self) -> str:
        return min(self.area_means, key=lambda a: self.area_means[a])

    def strongest_area(self) -> str:
        return max(self.area_means, key=lambda a: self.area_means[a])


def self_assessment(
    ratings: Table,
    *,
    rater: str | None = None,
    missing: Literal["error", "area-mean"] = "error",
) -> SelfAssessment:
    """Score the service self-assessment: per rater, the seven area means, the total and the band.

    Each statement is rated 1 (never) to 5 (all the time). Area score = mean of its statements;
    total = sum of the seven area scores (7-35); band: total >= 28 ``asset``, 21 <= total < 28
    ``adequate``, total < 21 ``losing customers``.

    Args:
        ratings: one row per rater, one column per statement id (``culture_1`` ... ``improvement_3``,
            see :data:`SELF_ASSESSMENT_STATEMENTS`); other columns are ignored unless they look like
            a statement id that does not exist (``culture_9``), which is an error.
        rater: column naming the rater (default: the row index).
        missing: ``"error"`` (default) -- any missing statement column or blank answer is an error;
            ``"area-mean"`` -- a rater's area score is the mean of the statements they answered in
            that area (equivalent to filling each blank with that mean); ``imputed`` records how many
            answers were filled; an area with no answer at all is still an error.

    Returns:
        :class:`SelfAssessment`.
    """
    if missing not in {"error", "area-mean"}:
        raise NPSInputError(f"missing must be 'error' or 'area-mean', got {missing!r}")
    frame, src = read_item_table(ratings, what="self-assessment ratings")
    if len(frame) == 0:
        raise NPSInputError("self-assessment ratings: no raters", file=src.file)
    strange = [str(c) for c in frame.columns
               if STATEMENT_PATTERN.match(str(c)) and str(c) not in SELF_ASSESSMENT_STATEMENTS]
    if strange:
        raise NPSInputError(
            f"unknown self-assessment statement column(s): {', '.join(strange)}", file=src.file, column=strange[0]
        )
    absent = [s for s in SELF_ASSESSMENT_STATEMENTS if s not in frame.columns]
    if absent and missing == "error":
        raise NPSInputError(
            f"missing statement column(s): {', '.join(absent)} (pass missing='area-mean' to score each "
            "area on the statements answered)", file=src.file, column=absent[0],
        )
    if rater is not None and rater not in frame.columns:
        raise NPSInputError("rater column not found", file=src.file, column=rater)
    names = (frame[rater] if rater is not None else pd.Series(frame.index)).astype(str).tolist()
    matrix = np.full((len(frame), len(SELF_ASSESSMENT_STATEMENTS)), np.nan)
    for j, sid in enumerate(SELF_ASSESSMENT_STATEMENTS):
        if sid in frame.columns:
            matrix[:, j] = validated_answers(
                frame[sid], scale=(1, 5), column=sid, src=src, what="self-assessment ratings",
                allow_missing=missing == "area-mean",
            )
    areas = list(SELF_ASSESSMENT_AREAS)
    area_of = np.array([areas.index(statement_area(s)) for s in SELF_ASSESSMENT_STATEMENTS])
    scores = np.empty((len(frame), len(areas)))
    for a in range(len(areas)):
        block = matrix[:, area_of == a]
        answered = (~np.isnan(block)).sum(1)
        empty = np.flatnonzero(answered == 0)
        if len(empty):
            rows = [(src.row(p), names[p]) for p in empty[:5]]
            raise NPSInputError(
                f"area {areas[a]!r} has no answered statement for {len(empty)} rater(s): "
                f"{describe_rows(rows)}", file=src.file, column=areas[a], rows=rows, count=len(empty),
            )
        scores[:, a] = np.nansum(block, 1) / answered
    totals = scores.sum(1)
    imputed = np.isnan(matrix).sum(1)
    raters = tuple(
        RaterScore(names[i], *map(float, scores[i]), total=float(totals[i]),
                   band=self_assessment_band(float(totals[i])), imputed=int(imputed[i]))
        for i in range(len(frame))
    )
    mean_total = float(totals.mean())
    bands = [r.band for r in raters]
    return SelfAssessment(
        raters=raters, n_raters=len(raters), total=mean_total, band=self_assessment_band(mean_total),
        total_min=float(totals.min()), total_median=float(np.median(totals)), total_max=float(totals.max()),
        band_counts={b: bands.count(b) for _, b in SELF_ASSESSMENT_BANDS},
        area_means={a: float(scores[:, k].mean()) for k, a in enumerate(areas)},
        missing=missing, imputed=int(imputed.sum()),
    )
