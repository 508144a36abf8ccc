"""nps_analysis: Net Promoter Score research kit for Jupyter notebooks and scheduled reports.

The public API is flat: ``import nps_analysis as nps; nps.nps_interval(...); nps.compare(...)``.
"""

from __future__ import annotations

from . import samples as datasets
from .analyses import alerts, experiment, followup, tracking
from .analyses.alerts import alert_list, comment_themes
from .analyses.balance import (
    ResponseRates,
    SampleRatioResult,
    response_rates,
    sample_ratio_mismatch,
)
from .analyses.columns import Columns, closest_column, resolve_columns, rows_of, team_scope
from .analyses.decision import Decision, decide
from .analyses.decision_memo import decision_memo
from .analyses.drivers import (
    CategoryDrivers,
    DriversInputs,
    KeyDrivers,
    KeyDriversBy,
    category_drivers,
    drivers_inputs,
    key_drivers,
    what_to_fix_first,
)
from .analyses.followup import (
    DEFAULT_DEADLINES,
    compliance,
    followup_queue,
    queue_summary,
    unrouted,
    validate_followup_log,
)
from .analyses.gap import DimensionGap, GapResult, ItemGap, survey_gap
from .analyses.gap_story import GapInputs, gap_inputs, gap_narrative
from .analyses.gap_tables import GAP_LABELS
from .analyses.guardrails import Guardrail, parse_guardrail
from .analyses.importance import IPA_QUADRANTS, ImportancePerformance, importance_performance
from .analyses.paired_gap import PairedGapResult, paired_gap
from .analyses.primary import PRIMARY_CHOICES, primary_records, primary_table, resolve_primary
from .analyses.recovery import (
    FollowupEffect,
    HoldoutComparison,
    TransitionMatrix,
    followup_effect,
    holdout_comparison,
    resurvey_pairs,
    transition_matrix,
)
from .analyses.response import (
    detectable_change,
    period_frames,
    response_rate_alerts,
    response_rates_by_period,
)
from .analyses.root_causes import root_causes, validate_root_causes
from .analyses.self_assessment import (
    SELF_ASSESSMENT_BANDS,
    RaterScore,
    SelfAssessment,
    SuperiorService,
    self_assessment,
    self_assessment_band,
    self_assessment_gap,
    superior_service,
)
from .analyses.themes import (
    THEME_KEYWORDS,
    ThemeImpact,
    discover_themes,
    match_themes,
    theme_dictionary,
    theme_impact,
    theme_trend,
)
from .analyses.tracking import cohort_table, nps_by_period, period_changes
from .analyses.windows import describe_suppression, suggest_window
from .report.digest import write_digest
from .report.exports import export_queue, write_alerts
from .report.headlines import (
    experiment_headline,
    gap_headline,
    queue_headline,
    rollback_headline,
    self_assessment_total_text,
    weekly_headline,
)
from .report.parameters import notebook_parameters
from .report.plots import experiment as plots
from .report.plots.decision import plot_monitoring
from .report.plots.drivers import (
    asymmetry_chart,
    drivers_chart,
    drivers_importance_performance_chart,
    theme_impact_chart,
    theme_trend_chart,
)
from .report.plots.gap import gap_dumbbell, importance_performance_chart, self_assessment_scorecard
from .report.plots.tracking import plot_cohorts, plot_compliance, plot_nps_trend, plot_transitions
from .report.record import read_results, record, save_csv, save_figure, save_text
from .report.runfolder import RunFolder, run_folder
from .report.runner import RunResult, run_notebook
from .report.schedule import run_schedule
from .report.tables import format_record, format_table, result_html, show, table_for_result
from .sources.bigfile import read_source
from .sources.dates import parse_times, to_utc
from .sources.errors import NPSInputError
from .sources.instruments import DIMENSION_SETS, SELF_ASSESSMENT_AREAS, SELF_ASSESSMENT_STATEMENTS
from .sources.load import LoadReport, load, load_report
from .sources.missing import DEFAULT_MISSING_VALUES
from .sources.privacy import mask_personal, mask_text
from .sources.results import ResultMixin
from .sources.roster import read_roster
from .sources.scores import CATEGORIES, classify, parse_scores, score_distribution
from .sources.tables import Table, day_levels, fetch_rows, level_table, open_table, read_rows
from .stats.ancova import AdjustedEffect, adjusted_effect
from .stats.cluster_design import (
    ClusterAssignmentHint,
    ClusterSampleSizeResult,
    design_effect,
    detect_cluster_assignment,
)
from .stats.clusters import (
    ClusterComparison,
    ICCResult,
    cluster_counts,
    cluster_permutation_interval,
    cluster_permutation_pvalue,
    compare_clusters,
    icc,
)
from .stats.compare import COMPARE_METHODS, CompareResult, compare
from .stats.cuped import CupedResult, cuped
from .stats.decomposition import (
    MixDriftResult,
    MixRateResult,
    mix_drift,
    mix_drift_from_counts,
    mix_rate,
    mix_rate_from_counts,
)
from .stats.information import information_fractions, spending_bounds
from .stats.intervals import INTERVAL_METHODS, NPSInterval, newcombe_interval, nps_interval
from .stats.many import ArmComparison, CompareManyResult, compare_many
from .stats.multiplicity import CORRECTIONS
from .stats.power import (
    SampleSizeResult,
    achieved_power,
    cluster_sample_size,
    margin_of_error,
    minimum_detectable_effect,
    sample_size,
)
from .stats.ranks import CliffsDelta, brunner_munzel_permutation, cliffs_delta
from .stats.rowtests import row_level_tests, row_level_tests_from_table
from .stats.scoring import (
    CSATResult,
    NPSCounts,
    WeightedNPSCounts,
    counts,
    counts_from_file,
    counts_from_source,
    csat,
    kish_effective_n,
    weighted_counts,
    wilson_interval,
)
from .stats.sequential import (
    ConfidenceSequence,
    GroupSequentialBoundary,
    group_sequential_boundary,
    nps_confidence_sequence,
)
from .stats.weighting import (
    WeightingReport,
    poststratify,
    rake,
    response_weights,
    weighted_nps_interval,
    weighted_nps_table,
    weighting_report,
)

__version__ = "0.1.0"

# Results (defined in the lower layers) are drawn in notebooks by the presentation layer's one
# table formatter; the lower layers cannot import it, so the package hands it to them here.
ResultMixin.result_renderer = result_html
ResultMixin.table_renderer = table_for_result

__all__ = [
    "Table",
    "day_levels",
    "fetch_rows",
    "level_table",
    "open_table",
    "read_rows",
    "RunFolder",
    "experiment_headline",
    "gap_headline",
    "queue_headline",
    "rollback_headline",
    "self_assessment_total_text",
    "weekly_headline",
    "write_digest",
    "PRIMARY_CHOICES",
    "primary_records",
    "primary_table",
    "resolve_primary",
    "mask_text",
    "read_roster",
    "format_record",
    "format_table",
    "run_folder",
    "show",
    # real exports (sources/dates.py, missing.py: issue 12)
    "DEFAULT_MISSING_VALUES",
    "parse_times",
    "to_utc",
    # key drivers and comment themes (analyses/drivers.py, analyses/themes.py, report/plots/drivers.py)
    "THEME_KEYWORDS",
    "CategoryDrivers",
    "DriversInputs",
    "KeyDrivers",
    "KeyDriversBy",
    "ThemeImpact",
    "asymmetry_chart",
    "category_drivers",
    "discover_themes",
    "drivers_chart",
    "drivers_importance_performance_chart",
    "drivers_inputs",
    "key_drivers",
    "match_themes",
    "theme_dictionary",
    "theme_impact",
    "theme_impact_chart",
    "theme_trend",
    "theme_trend_chart",
    "what_to_fix_first",
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
    "brunner_munzel_permutation",
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
    # the notebooks' column vocabulary and low-volume windows (analyses/columns.py, windows.py)
    "Columns",
    "closest_column",
    "describe_suppression",
    "resolve_columns",
    "rows_of",
    "suggest_window",
    "team_scope",
    "export_queue",
    "alerts",
    "followup",
    "tracking",
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
    "row_level_tests_from_table",
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
    "spending_bounds",
    "information_fractions",
    "adjusted_effect",
    "AdjustedEffect",
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
    "save_csv",
    "save_figure",
    "save_text",
    "record",
    "run_notebook",
    "run_schedule",
    "score_distribution",
    "wilson_interval",
    # who answered: survey weights, mix/rate, response rates (issue 16)
    "MixDriftResult",
    "MixRateResult",
    "WeightedNPSCounts",
    "WeightingReport",
    "detectable_change",
    "kish_effective_n",
    "mix_drift",
    "mix_drift_from_counts",
    "mix_rate",
    "mix_rate_from_counts",
    "poststratify",
    "rake",
    "period_frames",
    "response_rate_alerts",
    "response_rates_by_period",
    "response_weights",
    "weighted_counts",
    "weighted_nps_interval",
    "weighted_nps_table",
    "weighting_report",
    # cluster-assigned pilots (stats/clusters.py, stats/cluster_design.py)
    "ClusterAssignmentHint",
    "ClusterComparison",
    "ClusterSampleSizeResult",
    "ICCResult",
    "cluster_counts",
    "cluster_permutation_interval",
    "cluster_permutation_pvalue",
    "cluster_sample_size",
    "compare_clusters",
    "design_effect",
    "detect_cluster_assignment",
    "icc",
]
