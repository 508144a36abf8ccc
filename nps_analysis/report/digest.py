"""A weekly digest to forward: ``digest.html`` (inline CSS, as mail clients need) and ``digest.eml``.

The digest holds the run's headline, its three most important tables and the alerts. The kit
writes the message for any mailer or scheduler to send; it sends nothing itself.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import pandas as pd

from ..sources.atomic import atomic_path
from .tables import Table, format_table

#: At most this many tables go into a digest (the most important first).
MAX_TABLES = 3
#: At most this many alerts are listed; the rest are counted.
MAX_ALERTS = 20

_FONT = "font-family:Segoe UI,Helvetica,Arial,sans-serif"
_STYLE = {
    "body": f"{_FONT};color:#222;background:#ffffff;margin:0;padding:16px;",
    "h1": f"{_FONT};font-size:20px;margin:0 0 6px;",
    "h2": f"{_FONT};font-size:16px;margin:22px 0 6px;",
    "headline": f"{_FONT};font-size:15px;background:#f3f6fa;border-left:5px solid #1f5f99;padding:8px 12px;margin:8px 0 12px;",
    "table": "border-collapse:collapse;font-size:13px;margin:4px 0 12px;",
    "caption": "text-align:left;color:#555;padding:0 0 4px;",
    "th": "background:#f3f4f6;text-align:left;padding:4px 8px;border-bottom:1px solid #c9ccd1;",
    "td": "padding:3px 8px;border-bottom:1px solid #eceef1;vertical-align:top;",
    "num": "text-align:right;white-space:nowrap;",
    "nps-v-bad": "background:#fdecea;color:#8a1c12;font-weight:600;",
    "nps-v-good": "background:#edf7ed;color:#1e4620;font-weight:600;",
    "nps-v-neutral": "background:#f5f5f5;font-weight:600;",
    "nps-v-flag": "background:#fff4d6;color:#5c3d00;font-weight:600;",
    "alert": f"{_FONT};background:#fdecea;border-left:5px solid #c62828;color:#611a15;padding:6px 10px;margin:4px 0;",
    "foot": f"{_FONT};color:#666;font-size:12px;margin-top:24px;",
}


def inline_table_html(table: Table) -> str:
    """A formatted table as HTML with inline styles only (mail clients drop ``<style>``)."""
    numeric = set(table.numeric)
    head = "".join(
        f'<th style="{_STYLE["th"]}{_STYLE["num"] if c in numeric else ""}">{html.escape(str(c).strip())}</th>'
        for c in table.frame.columns
    )
    rows = []
    for i, (_, row) in enumerate(table.frame.iterrows()):
        cells = []
        for j, (col, value) in enumerate(row.items()):
            style = _STYLE["td"] + (_STYLE["num"] if col in numeric else "")
            if table.classes and table.classes[i][j]:
                style += _STYLE.get(table.classes[i][j], "")
            cells.append(f'<td style="{style}">{html.escape(str(value))}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    caption = f'<caption style="{_STYLE["caption"]}">{html.escape(table.caption)}</caption>' if table.caption else ""
    return f'<table style="{_STYLE["table"]}">{caption}<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _alert_lines(alerts: pd.DataFrame | Sequence[str] | None) -> list[str]:
    if alerts is None:
        return []
    if isinstance(alerts, pd.DataFrame):
        if alerts.empty:
            return []
        if "message" in alerts.columns:
            severity = alerts["severity"].astype(str) if "severity" in alerts.columns else pd.Series([""] * len(alerts))
            order = severity.map({"high": 0, "medium": 1, "low": 2}).fillna(3)
            frame = alerts.assign(_o=order.to_numpy()).sort_values("_o", kind="stable")
            return [
                (f"{str(s).upper()}: " if s else "") + str(m)
                for s, m in zip(frame.get("severity", [""] * len(frame)), frame["message"], strict=False)
            ]
        return [" · ".join(str(v) for v in row) for row in alerts.astype(str).itertuples(index=False)]
    return [str(a) for a in alerts]


def digest_html(
    *,
    title: str,
    headline: str,
    tables: Sequence[tuple[str, Any]] = (),
    alerts: pd.DataFrame | Sequence[str] | None = None,
    report_link: str | None = None,
    generated: dt.datetime | None = None,
) -> str:
    """The digest page: title, headline, up to :data:`MAX_TABLES` tables (each ``(heading,
    table)``; a DataFrame goes through :func:`format_table`), the alerts, and a link to the full
    report. Every style is inline; nothing is fetched."""
    generated = generated or dt.datetime.now(dt.UTC)
    parts = [
        f'<h1 style="{_STYLE["h1"]}">{html.escape(title)}</h1>',
        f'<div style="{_STYLE["headline"]}">{html.escape(headline)}</div>',
    ]
    for heading, table in list(tables)[:MAX_TABLES]:
        formatted = table if isinstance(table, Table) else format_table(table)
        parts.append(f'<h2 style="{_STYLE["h2"]}">{html.escape(heading)}</h2>')
        parts.append(inline_table_html(formatted))
    lines = _alert_lines(alerts)
    parts.append(f'<h2 style="{_STYLE["h2"]}">Alerts ({len(lines)})</h2>')
    if not lines:
        parts.append(f'<p style="{_FONT}">No alerts.</p>')
    for line in lines[:MAX_ALERTS]:
        parts.append(f'<div style="{_STYLE["alert"]}">{html.escape(line)}</div>')
    if len(lines) > MAX_ALERTS:
        parts.append(f'<p style="{_FONT}">… and {len(lines) - MAX_ALERTS} more in alerts.csv.</p>')
    foot = f"Generated {generated.strftime('%Y-%m-%d %H:%M UTC')} by nps_analysis."
    if report_link:
        foot += f' Full report: <a href="{html.escape(report_link, quote=True)}">{html.escape(report_link)}</a>.'
    parts.append(f'<p style="{_STYLE["foot"]}">{foot}</p>')
    body = "\n".join(parts)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>"
        f'<body style="{_STYLE["body"]}">\n{body}\n</body></html>\n'
    )


def digest_text(*, title: str, headline: str, tables: Sequence[tuple[str, Any]] = (),
                alerts: pd.DataFrame | Sequence[str] | None = None) -> str:
    """The plain-text part of the message (for mail clients that show no HTML)."""
    out = [title, "", headline, ""]
    for heading, table in list(tables)[:MAX_TABLES]:
        formatted = table if isinstance(table, Table) else format_table(table)
        out += [heading, str(formatted), ""]
    lines = _alert_lines(alerts)
    out.append(f"Alerts ({len(lines)}):")
    out += [f"- {line}" for line in lines[:MAX_ALERTS]] or ["none"]
    return "\n".join(out) + "\n"


def digest_message(
    *,
    subject: str,
    html_body: str,
    text_body: str,
    sender: str = "nps-reports@localhost",
    to: Sequence[str] = (),
    attachments: Mapping[str, bytes] | None = None,
) -> EmailMessage:
    """An RFC 5322 message (plain text + HTML alternative, optional attachments); nothing is sent."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    if to:
        msg["To"] = ", ".join(to)
    msg["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    msg["Message-ID"] = make_msgid(domain="nps-analysis.local")
    msg.set_content(text_body)
    msg.add_alternative(html_body, subtype="html")
    for name, data in (attachments or {}).items():
        maintype, subtype = ("text", "csv") if name.endswith(".csv") else ("application", "octet-stream")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


def write_digest(
    out_dir: str | os.PathLike[str],
    *,
    title: str,
    headline: str,
    tables: Sequence[tuple[str, Any]] = (),
    alerts: pd.DataFrame | Sequence[str] | None = None,
    sender: str = "nps-reports@localhost",
    to: Sequence[str] = (),
    attach: Sequence[str | os.PathLike[str]] = (),
    report_link: str | None = None,
) -> tuple[Path, Path]:
    """Write ``digest.html`` and ``digest.eml`` into ``out_dir`` (atomically) and return both paths.

    ``attach`` files (e.g. the run's ``alerts.csv``) are attached to the message.
    """
    out = Path(out_dir)
    page = digest_html(title=title, headline=headline, tables=tables, alerts=alerts, report_link=report_link)
    text = digest_text(title=title, headline=headline, tables=tables, alerts=alerts)
    files = {Path(a).name: Path(a).read_bytes() for a in attach}
    msg = digest_message(subject=f"{title}: {headline}"[:250], html_body=page, text_body=text, sender=sender,
                         to=to, attachments=files)
    html_path, eml_path = out / "digest.html", out / "digest.eml"
    with atomic_path(html_path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    with atomic_path(eml_path) as tmp:
        tmp.write_bytes(bytes(msg))
    return html_path, eml_path
