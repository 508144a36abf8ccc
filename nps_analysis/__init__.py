"""nps_analysis: Net Promoter Score research kit for Jupyter notebooks and scheduled reports.

The public API is flat: ``import nps_analysis as nps; nps.nps_interval(...); nps.compare(...)``.
"""

from __future__ import annotations

from . import datasets
from .errors import NPSInputError
from .gap import (
    DIMENSION_SETS,
    GAP_LABELS,
    IPA_QUADRANTS,
    SELF_ASSESSMENT_AREAS,
    SELF_ASSESSMENT_BANDS,
    SELF_ASSESSMENT_STATEMENTS,
    CliffsDelta,
    DimensionGap,
    GapInputs,
    GapResult,
    ImportancePerformance,
    ItemGap,
    PairedGapResult,
    RaterScore,
    SelfAssessment,
    SuperiorService,
    cliffs_delta,
    gap_inputs,
    gap_narrative,
    importance_performance,
    newcombe_interval,
    paired_gap,
    self_assessment,
    self_assessment_band,
    self_assessment_gap,
    superior_service,
    survey_gap,
)
from .intervals import INTERVAL_METHODS, NPSInterval, nps_interval
from .io import LoadReport, load, load_report
from .plots_gap import gap_dumbbell, importance_performance_chart, self_assessment_scorecard
from .record import read_results, record
from .runner import RunResult, notebook_parameters, run_notebook, run_schedule
from .scoring import (
    CATEGORIES,
    CSATResult,
    NPSCounts,
    classify,
    counts,
    csat,
    parse_scores,
    score_distribution,
    wilson_interval,
)

__version__ = "0.1.0"

__all__ = [
    # survey gaps (gap.py, plots_gap.py)
    "DIMENSION_SETS",
    "GAP_LABELS",
    "IPA_QUADRANTS",
    "SELF_ASSESSMENT_AREAS",
    "SELF_ASSESSMENT_BANDS",
    "SELF_ASSESSMENT_STATEMENTS",
    "CliffsDelta",
    "DimensionGap",
    "GapInputs",
    "GapResult",
    "ImportancePerformance",
    "ItemGap",
    "PairedGapResult",
    "RaterScore",
    "SelfAssessment",
    "SuperiorService",
    "cliffs_delta",
    "gap_dumbbell",
    "gap_inputs",
    "gap_narrative",
    "importance_performance",
    "importance_performance_chart",
    "newcombe_interval",
    "paired_gap",
    "self_assessment",
    "self_assessment_band",
    "self_assessment_gap",
    "self_assessment_scorecard",
    "superior_service",
    "survey_gap",
    "CATEGORIES",
    "CSATResult",
    "INTERVAL_METHODS",
    "LoadReport",
    "NPSCounts",
    "NPSInputError",
    "NPSInterval",
    "RunResult",
    "classify",
    "counts",
    "csat",
    "datasets",
    "load",
    "load_report",
    "notebook_parameters",
    "nps_interval",
    "parse_scores",
    "read_results",
    "record",
    "run_notebook",
    "run_schedule",
    "score_distribution",
    "wilson_interval",
]
