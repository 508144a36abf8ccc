"""report.pdf through headless Chromium (pages whole, nothing cut) and the e-mail digest."""

from __future__ import annotations

import email
import shutil
import subprocess
from email import policy

import pandas as pd
import pytest

from nps_analysis.report.digest import MAX_TABLES, digest_html, write_digest
from nps_analysis.report.pdf import PRINT_CSS, chromium_path, html_to_pdf, printable_html
from nps_analysis.report.tables import format_table


def _report(tmp_path, columns=14):
    wide = pd.DataFrame({f"column_number_{i}": [1.23456 * i, 2.5] for i in range(columns)})
    table = format_table(wide).to_html()
    sections = "".join(f"<h2>Section {i}</h2><p>text {i}</p>{table}" for i in range(3))
    page = f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>t</title></head><body class='jp-Notebook'><h1>Report</h1>{sections}</body></html>"
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


def test_print_css_is_added_to_the_head():
    out = printable_html("<html><head><title>x</title></head><body></body></html>")
    assert out.index(PRINT_CSS.strip()[:20]) < out.index("</head>")
    assert "break-inside: avoid" in PRINT_CSS and "break-before: page" in PRINT_CSS


@pytest.mark.skipif(chromium_path() is None, reason="chromium is not installed")
def test_chromium_prints_one_page_per_section_and_keeps_wide_tables_on_the_page(tmp_path):
    pdf = html_to_pdf(_report(tmp_path), engine="chromium")
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) not installed")
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) == 3  # a page break before every section
    for i, page in enumerate(pages):
        assert f"Section {i}" in page
        # the last column of the wide table (1.23456 * 13) is on the page, not cut at the right edge
        assert "16.05" in page and "13" in page


def test_pdf_engine_must_be_known(tmp_path):
    with pytest.raises(ValueError, match="engine"):
        html_to_pdf(_report(tmp_path), engine="wkhtmltopdf")


def test_digest_has_inline_styles_the_headline_three_tables_and_alerts(tmp_path):
    tables = [(f"table {i}", pd.DataFrame({"nps": [12.345], "pvalue": [0.0441]})) for i in range(5)]
    alerts = pd.DataFrame({"severity": ["low", "high"], "message": ["quiet", "=cmd|' /C calc'!A0 <b>"]})
    page = digest_html(title="Weekly NPS", headline="NPS 31.2, 2 alerts", tables=tables, alerts=alerts)
    assert "<style" not in page and "<script" not in page
    assert page.count("<table") == MAX_TABLES
    assert "NPS 31.2, 2 alerts" in page and "0.044" in page
    assert "&lt;b&gt;" in page  # alert text is escaped
    assert page.index("HIGH:") < page.index("LOW:")  # high alerts first
    csv = tmp_path / "alerts.csv"
    csv.write_text("a,b\n1,2\n", encoding="utf-8")
    html_path, eml_path = write_digest(tmp_path, title="Weekly NPS", headline="NPS 31.2", tables=tables[:1],
                                       alerts=alerts, to=["team@example.com"], attach=[csv])
    assert html_path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    msg = email.message_from_bytes(eml_path.read_bytes(), policy=policy.default)
    assert msg["Subject"] == "Weekly NPS: NPS 31.2" and msg["To"] == "team@example.com"
    assert msg.get_body(("html",)).get_content().count("<table") == 1
    assert "NPS 31.2" in msg.get_body(("plain",)).get_content()
    assert [p.get_filename() for p in msg.iter_attachments()] == ["alerts.csv"]
