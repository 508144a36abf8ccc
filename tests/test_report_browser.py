"""Reports opened in a real browser: comments show as text, no script runs, charts and tables load."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from nps_analysis.report.runner import run_notebook

from .browser import chromium, inspect_report, require_browser

FIXTURE = Path(__file__).parent / "data" / "notebooks" / "hostile_comments.ipynb"
HOSTILE = "<script>window.__pwned = 1; document.title = 'PWNED'</script><img src=x onerror=\"window.__pwned = 2\">"

pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    result = run_notebook(FIXTURE, {"comment": HOSTILE}, output_dir=out, progress=False, cwd=out)
    assert result.ok, result
    return result


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.handlers: list[tuple[str, str]] = []
        self.sources: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.handlers += [(tag, name) for name, _ in attrs if name.lower().startswith("on")]
        self.sources += [value or "" for name, value in attrs if name in ("src", "href") and tag != "a"]


def test_report_html_contains_no_script_at_all(hostile_run):
    html = Path(hostile_run.report).read_text(encoding="utf-8")
    parsed = _Elements()
    parsed.feed(html)
    assert "script" not in parsed.tags and "iframe" not in parsed.tags
    assert parsed.handlers == []  # no onerror=, onload=, ... on any element
    assert all(src.startswith("data:") for src in parsed.sources), parsed.sources
    assert "Content-Security-Policy" in html and "script-src 'none'" in html


def test_hostile_comment_is_text_and_nothing_runs_in_chromium(hostile_run):
    require_browser()
    with chromium() as driver:
        page = inspect_report(driver, Path(hostile_run.report))
        screenshot = Path(hostile_run.report).with_name("report.png")
        driver.save_screenshot(str(screenshot))
    assert page["pwned"] is None and page["title"] != "PWNED" and page["scripts"] == 0
    # the comment reads as the characters the respondent typed, in the table and in the Markdown
    assert page["text"].count("<script>window.__pwned = 1") >= 2
    assert page["tables"] >= 2 and page["table_rows"] >= 3
    images = page["images"]
    assert images and all(i["complete"] and i["width"] > 0 and i["src"].startswith("data:image/") for i in images)
    # screenshot: a real rendering (not blank) of the report
    import matplotlib.image as mpimg

    pixels = mpimg.imread(screenshot)
    assert pixels.shape[0] > 500 and pixels.shape[1] > 500
    assert float(np.std(pixels[..., :3])) > 0.02
