"""nps_analysis: Net Promoter Score research kit for Jupyter notebooks and scheduled reports.

The public API is flat: ``import nps_analysis as nps; nps.nps_interval(...); nps.compare(...)``.
"""

from __future__ import annotations

from . import datasets
from .bigfile import counts_from_file, counts_from_source, read_source
from .errors import NPSInputError
from .intervals import INTERVAL_METHODS, NPSInterval, nps_interval
from .io import LoadReport, load, load_report
from .record import read_results, record
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
    "classify",
    "counts",
    "counts_from_file",
    "counts_from_source",
    "csat",
    "datasets",
    "load",
    "load_report",
    "nps_interval",
    "parse_scores",
    "read_source",
    "read_results",
    "record",
    "score_distribution",
    "wilson_interval",
]
