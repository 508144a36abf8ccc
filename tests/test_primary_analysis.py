"""The declared primary analysis decides the conclusion; both estimates are kept."""

from __future__ import annotations

import pytest

from nps_analysis.analyses.primary import (
    primary_records,
    primary_sentences,
    primary_table,
    resolve_primary,
)
from nps_analysis.sources.errors import NPSInputError

# The numbers: unadjusted +5.4 (Holm p = 0.37), CUPED +7.9 [1.1, 14.6] (Holm p = 0.044).
RECORD = {
    "treatment": "treatment_a", "control": "control", "difference": 5.4, "ci_lower": -2.6, "ci_upper": 13.3,
    "pvalue": 0.19, "pvalue_adjusted": 0.37, "significant": False,
    "cuped": {"covariates": ["prior_score"], "difference": 7.9, "ci_lower": 1.1, "ci_upper": 14.6,
              "pvalue": 0.022, "pvalue_adjusted": 0.044, "variance_reduction": 0.28},
}


def test_auto_is_adjusted_exactly_when_covariates_are_given():
    assert resolve_primary("auto", ["prior_score"]) == "adjusted"
    assert resolve_primary("auto", []) == "unadjusted"
    assert resolve_primary("Unadjusted", ["prior_score"]) == "unadjusted"
    with pytest.raises(NPSInputError, match="no covariate_columns"):
        resolve_primary("adjusted", [])
    with pytest.raises(NPSInputError, match="one of"):
        resolve_primary("cuped", ["x"])


def test_adjusted_primary_is_significant_and_says_so():
    [rec] = primary_records([RECORD], "adjusted", alpha=0.05)
    assert rec["primary"] == "adjusted"
    assert rec["primary_estimate"]["difference"] == 7.9 and rec["primary_estimate"]["significant"] is True
    assert rec["unadjusted"]["significant"] is False and rec["adjusted"]["pvalue_adjusted"] == 0.044
    text = primary_sentences(rec, n_comparisons=2, correction_name="Holm", level=0.95)
    assert text.startswith("Primary analysis (declared before the data: adjusted for prior_score, CUPED)")
    assert "p = 0.044: significant" in text and "Unadjusted, shown beside it: +5.4" in text
    assert "declared one decides" in text


def test_unadjusted_primary_follows_the_unadjusted_test():
    [rec] = primary_records([RECORD], "unadjusted", alpha=0.05)
    assert rec["primary_estimate"]["significant"] is False
    text = primary_sentences(rec, n_comparisons=2, correction_name="Holm", level=0.95)
    assert "p = 0.37: not significant" in text and "Adjusted (CUPED), shown beside it: +7.9" in text


def test_adjusted_primary_without_an_adjusted_estimate_is_an_error():
    plain = {k: v for k, v in RECORD.items() if k != "cuped"}
    with pytest.raises(NPSInputError, match="declared primary"):
        primary_records([plain], "adjusted", alpha=0.05)


def test_table_puts_the_primary_first_with_the_verdict():
    recs = primary_records([RECORD], "adjusted", alpha=0.05)
    table = primary_table(recs, confidence_level=0.95, correction="Holm")
    assert table["analysis"].tolist() == ["adjusted for prior_score (CUPED), primary", "unadjusted, secondary"]
    assert table["verdict"].tolist() == ["significant", ""]
