"""Making executed notebooks safe to share as HTML reports.

Respondents write comments; a report shows them as text. Every HTML output is cleaned against an
allow-list, Markdown outputs are rendered with raw HTML escaped, and script outputs are dropped.
"""

from __future__ import annotations

import copy
import html
from typing import Any

#: Tags a report output may keep: text structure, tables, embedded images.
ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del",
        "details", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5",
        "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small",
        "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
        "tr", "u", "ul",
    }
)
ALLOWED_ATTRIBUTES = {
    "*": {"class", "id", "title", "align", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "halign", "valign"},
    "th": {"colspan", "rowspan", "halign", "valign", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start"},
}
#: Output types dropped from reports: they execute code in the reader's browser.
DROPPED_MIME_TYPES = frozenset(
    {
        "application/javascript",
        "text/javascript",
        "application/vnd.jupyter.widget-view+json",
        "application/vnd.jupyter.widget-state+json",
        "application/vnd.bokehjs_exec.v0+json",
        "application/vnd.holoviews_exec.v0+json",
    }
)


def sanitize_html(fragment: str) -> str:
    """Clean an HTML fragment against the allow-list (ammonia through ``nh3``).

    Scripts, styles and event-handler attributes go with their content; links keep only http(s)
    and mailto targets; images only embedded ``data:`` sources, so a report never fetches anything.
    """
    import nh3

    cleaned = nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style", "template", "iframe", "object", "embed", "noscript"},
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes={"http", "https", "mailto", "data"},
        strip_comments=True,
    )
    return cleaned


def _data_images_only(fragment: str) -> str:
    """Drop ``img`` elements whose source is not embedded image data (no request leaves a report)."""
    import re

    def keep(match: re.Match[str]) -> str:
        tag = match.group(0)
        ok = re.search(r'\ssrc="data:image/(?:png|jpeg|gif|webp);base64,[^"]*"', tag, flags=re.I)
        return tag if ok else ""

    return re.sub(r"<img\b[^>]*>", keep, fragment, flags=re.I)


def markdown_to_safe_html(text: str) -> str:
    """Render Markdown with any raw HTML in it escaped (it shows as text), then clean the result."""
    import mistune

    render = mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])
    return safe_fragment(str(render(text)))


def safe_fragment(fragment: str) -> str:
    """An HTML output as a report may show it."""
    return _data_images_only(sanitize_html(fragment))


def sanitize_outputs(nb: Any) -> Any:
    """A copy of an executed notebook whose outputs are safe to render as a static report.

    - ``text/html`` outputs are cleaned (:func:`safe_fragment`);
    - ``text/markdown`` outputs become HTML with raw HTML escaped, so ``<script>`` in a comment
      shows as the text ``<script>``;
    - ``image/svg+xml`` is dropped when a bitmap of the same output exists, else shown as text;
    - script and widget outputs are dropped.
    Markdown *cells* are the template's own text and are left as they are.
    """
    nb = copy.deepcopy(nb)
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []):
            data = output.get("data")
            if not isinstance(data, dict):
                continue
            for key in list(data):
                if key in DROPPED_MIME_TYPES:
                    del data[key]
            if "text/html" in data:
                data["text/html"] = safe_fragment(_text(data["text/html"]))
                data.pop("text/markdown", None)
            elif "text/markdown" in data:
                data["text/html"] = markdown_to_safe_html(_text(data.pop("text/markdown")))
            if "image/svg+xml" in data:
                svg = data.pop("image/svg+xml")
                if not any(k in data for k in ("image/png", "image/jpeg")):
                    data["text/html"] = f"<pre>{html.escape(_text(svg))}</pre>"
    return nb


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)
