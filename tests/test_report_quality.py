"""The report checker finds what a reader would stumble over, and only that."""

from __future__ import annotations

from nps_analysis.report.quality import report_problems, visible_text


def test_clean_report_has_no_problems():
    page = ("<html><head><title>None</title><style>.x{}</style></head><body><h2>1. Data</h2>"
            "<table><tr><td>0.044</td><td>1.1 to 14.6</td><td>Nonesuch</td><td>2026-11-17</td></tr></table>"
            "<h2>2. Effect</h2><p>p &lt; 0.001</p></body></html>")
    assert report_problems(page) == []


def test_every_kind_of_leak_is_found():
    page = ("<body><h2>Guardrails</h2><p>PosixPath('/tmp/x.png')</p><p>GapInputs(company='a')</p>"
            "<table><tr><td>NaN</td><td>None</td><td>{'count': 13}</td><td>1626.616667</td></tr></table>"
            "<h2>Guardrails</h2></body>")
    found = "\n".join(report_problems(page))
    for needle in ("PosixPath(", "Inputs(", "{'", "NaN", "None", "1626.616667", "section 'Guardrails' appears 2 times"):
        assert needle in found


def test_visible_text_skips_styles_and_collects_headings():
    text, headings = visible_text("<style>NaN</style><h1>Report¶</h1><p>ok</p>")
    assert "NaN" not in text and headings == ["Report"]
