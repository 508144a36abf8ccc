"""nps_analysis: Net Promoter Score research kit for Jupyter notebooks and scheduled reports.

The public API is flat: ``import nps_analysis as nps; nps.nps_interval(...); nps.compare(...)``.
"""

from __future__ import annotations

from . import datasets
from .errors import NPSInputError
from .intervals import INTERVAL_METHODS, NPSInterval, nps_interval
from .io import LoadReport, load, load_report
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
