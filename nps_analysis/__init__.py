"""nps_analysis: Net Promoter Score research kit for Jupyter notebooks and scheduled reports.

The public API is flat: ``import nps_analysis as nps; nps.nps_interval(...); nps.compare(...)``.
"""

from __future__ import annotations

from . import datasets, experiment, plots
from .bigfile import counts_from_file, counts_from_source, read_source
from .compare import (
    COMPARE_METHODS,
    CORRECTIONS,
    ArmComparison,
    CompareManyResult,
    CompareResult,
    CupedResult,
    compare,
    compare_many,
    cuped,
    row_level_tests,
)
from .decision import Decision, Guardrail, decide, decision_memo, parse_guardrail
from .errors import NPSInputError
from .experiment import ResponseRates, SampleRatioResult, response_rates, sample_ratio_mismatch
from .followup import (
    DEFAULT_DEADLINES,
    FollowupEffect,
    HoldoutComparison,
    TransitionMatrix,
    compliance,
    followup_effect,
    followup_queue,
    holdout_comparison,
    queue_summary,
    resurvey_pairs,
    root_causes,
    transition_matrix,
    unrouted,
    validate_followup_log,
    validate_root_causes,
)
from .intervals import INTERVAL_METHODS, NPSInterval, nps_interval
from .io import LoadReport, load, load_report
from .plots_sequential import plot_monitoring
from .plots_tracking import plot_cohorts, plot_compliance, plot_nps_trend, plot_transitions
from .power import (
    SampleSizeResult,
    achieved_power,
    margin_of_error,
    minimum_detectable_effect,
    sample_size,
)
from .privacy import mask_personal
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
from .sequential import (
    ConfidenceSequence,
    GroupSequentialBoundary,
    group_sequential_boundary,
    nps_confidence_sequence,
)
from .tracking import (
    alert_list,
    cohort_table,
    comment_themes,
    nps_by_period,
    period_changes,
    write_alerts,
)

__version__ = "0.1.0"

__all__ = [
    # closed loop and tracking (followup.py, tracking.py, privacy.py, plots_tracking.py)
    "DEFAULT_DEADLINES",
    "FollowupEffect",
    "HoldoutComparison",
    "TransitionMatrix",
    "alert_list",
    "cohort_table",
    "comment_themes",
    "compliance",
    "followup_effect",
    "followup_queue",
    "holdout_comparison",
    "mask_personal",
    "nps_by_period",
    "period_changes",
    "plot_cohorts",
    "plot_compliance",
    "plot_nps_trend",
    "plot_transitions",
    "queue_summary",
    "resurvey_pairs",
    "root_causes",
    "transition_matrix",
    "unrouted",
    "validate_followup_log",
    "validate_root_causes",
    "write_alerts",
    "COMPARE_METHODS",
    "CORRECTIONS",
    "ArmComparison",
    "CompareManyResult",
    "CompareResult",
    "CupedResult",
    "SampleSizeResult",
    "achieved_power",
    "compare",
    "compare_many",
    "cuped",
    "margin_of_error",
    "minimum_detectable_effect",
    "row_level_tests",
    "sample_size",
    "CATEGORIES",
    "CSATResult",
    "ConfidenceSequence",
    "Decision",
    "GroupSequentialBoundary",
    "Guardrail",
    "INTERVAL_METHODS",
    "LoadReport",
    "NPSCounts",
    "NPSInputError",
    "NPSInterval",
    "RunResult",
    "classify",
    "counts",
    "counts_from_file",
    "counts_from_source",
    "csat",
    "datasets",
    "experiment",
    "plots",
    "ResponseRates",
    "SampleRatioResult",
    "response_rates",
    "sample_ratio_mismatch",
    "decide",
    "decision_memo",
    "group_sequential_boundary",
    "load",
    "load_report",
    "notebook_parameters",
    "nps_confidence_sequence",
    "nps_interval",
    "parse_guardrail",
    "parse_scores",
    "read_source",
    "plot_monitoring",
    "read_results",
    "record",
    "run_notebook",
    "run_schedule",
    "score_distribution",
    "wilson_interval",
]
