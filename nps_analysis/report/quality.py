"""Checks that a rendered report reads like a report: no Python reprs, paths, NaN or long decimals.

Used by the tests on every notebook's report and available to anyone who adds a notebook:
``report_problems(open("report.html").read())`` lists what a reader would stumble over.
"""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

#: Visible text that means raw Python leaked into a report (the issue's list).
FORBIDDEN = ("PosixPath(", "WindowsPath(", "Inputs(", "{'", "NaN", "None", "<NA>", "NaT", "dtype:", "Name: ")
_LONG_DECIMAL = re.compile(r"(?<![\w.])-?\d+\.\d{4,}(?![\d])")
_WORD_TOKENS = {"NaN", "None", "NaT"}


class _Visible(HTMLParser):
    """Collects the text a reader sees (no style, script, title or head) and the headings."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.headings: list[str] = []
        self._skip = 0
        self._heading: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "title", "head"):
            self._skip += 1
        if tag in ("h1", "h2", "h3"):
            self._heading = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "title", "head") and self._skip:
            self._skip -= 1
        if tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append(" ".join("".join(self._heading).split()).rstrip("¶").strip())
            self._heading = None
        if tag in ("p", "div", "tr", "li", "br", "h1", "h2", "h3", "h4", "table", "pre"):
            self.text.append("\n")
        if tag in ("td", "th"):
            self.text.append("\t")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.text.append(data)
        if self._heading is not None:
            self._heading.append(data)


def visible_text(report_html: str) -> tuple[str, list[str]]:
    """The text a reader sees in a report, and its h1-h3 headings in order."""
    parser = _Visible()
    parser.feed(report_html)
    return "".join(parser.text), parser.headings


def report_problems(report_html: str) -> list[str]:
    """What a reader would stumble over in a rendered report, one line per problem:

    raw reprs and paths (``PosixPath(``, ``Inputs(``, ``{'``), ``NaN`` / ``None`` shown as words, a
    number with four or more decimals, and a heading that appears twice (a duplicated section).
    """
    text, headings = visible_text(report_html)
    problems: list[str] = []
    for needle in FORBIDDEN:
        if needle in _WORD_TOKENS:
            hits = re.findall(rf"(?<![\w-]){needle}(?![\w-])", text)
        else:
            hits = [needle] * text.count(needle)
        if hits:
            at = text.find(needle)
            problems.append(f"{needle!r} shown {len(hits)} time(s), e.g. {text[max(0, at - 40) : at + 40]!r}")
    for match in list(_LONG_DECIMAL.finditer(text))[:5]:
        problems.append(
            f"number with 4+ decimals {match.group(0)!r} in {text[max(0, match.start() - 40) : match.end() + 20]!r}"
        )
    for heading, count in Counter(h for h in headings if h).items():
        if count > 1:
            problems.append(f"section {heading!r} appears {count} times")
    return problems
