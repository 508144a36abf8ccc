"""``report.pdf`` from a run's ``report.html``, printed by headless Chromium (Debian's ``chromium``).

Chromium renders the report exactly as a reader's browser does; the print CSS in :data:`PRINT_CSS`
puts sections on new pages and keeps charts and table rows whole. WeasyPrint is the fallback.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

#: Print rules added to a report before it is printed (the HTML report carries them too).
PRINT_CSS = """
@page { size: A4; margin: 14mm 12mm 16mm 12mm; }
@media print {
  html, body { background: #fff !important; }
  body.jp-Notebook { max-width: none !important; padding: 0 !important; font-size: 11px; }
  .jp-Cell, .jp-OutputArea-output { overflow: visible !important; }
  h2 { break-before: page; page-break-before: always; }
  h2.nps-first-section { break-before: avoid; page-break-before: avoid; }
  h1, h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
  img, figure, .jp-RenderedImage { break-inside: avoid; page-break-inside: avoid; max-width: 100% !important;
    height: auto !important; }
  /* Tables never run off the page: they shrink to the page width and their cells wrap. */
  table, .jp-RenderedHTMLCommon table { break-inside: auto; font-size: 10px; width: auto !important;
    max-width: 100% !important; table-layout: auto !important; }
  td, th, .jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { white-space: normal !important;
    overflow-wrap: break-word; word-break: normal; padding: 2px 4px !important; max-width: none !important; }
  table.nps-wide { font-size: 8.5px; }
  tr, td, th { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  .nps-alert, .nps-ok, .nps-failed { break-inside: avoid; }
  details > *:not(summary) { display: block; }
  a { color: inherit; text-decoration: none; }
}
"""

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--no-pdf-header-footer",
    "--run-all-compositor-stages-before-draw",
)


class PDFError(RuntimeError):
    """The PDF could not be written (no engine, or the engine failed)."""


def chromium_path() -> str | None:
    """The Chromium binary (``$NPS_CHROMIUM``, else ``chromium`` / ``chromium-browser`` on PATH)."""
    explicit = os.environ.get("NPS_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def printable_html(report_html: str) -> str:
    """The report with :data:`PRINT_CSS` added at the end of its ``<head>`` (its Content-Security-
    Policy allows inline styles, and nothing in it is fetched)."""
    block = f"<style>{PRINT_CSS}</style>"
    # The first section shares the title's page (CSS cannot tell the first h2 across output cells).
    report_html = re.sub(r"<h2\b", '<h2 class="nps-first-section"', report_html, count=1)
    at = report_html.lower().rfind("</head>")
    return report_html[:at] + block + report_html[at:] if at != -1 else block + report_html


def html_to_pdf(
    html_path: str | os.PathLike[str],
    pdf_path: str | os.PathLike[str] | None = None,
    *,
    engine: str = "auto",
    timeout: float = 120.0,
) -> Path:
    """Print an HTML report to PDF and return the PDF's path (default: beside it, ``.pdf``).

    Args:
        engine: ``"chromium"`` (headless Chromium, chosen in ``docs/performance.md``), ``"weasyprint"``
            or ``"auto"`` (Chromium when installed, else WeasyPrint when importable).
        timeout: seconds the engine may take.

    The file is written through a temporary name and renamed, so a reader never sees half a PDF.

    Raises:
        PDFError: neither engine is available, or the engine failed or timed out.
    """
    source = Path(html_path)
    target = Path(pdf_path) if pdf_path is not None else source.with_suffix(".pdf")
    if engine not in ("auto", "chromium", "weasyprint"):
        raise ValueError(f"engine must be 'auto', 'chromium' or 'weasyprint', got {engine!r}")
    if engine == "auto":
        engine = "chromium" if chromium_path() else "weasyprint"
    text = printable_html(source.read_text(encoding="utf-8"))
    work = Path(tempfile.mkdtemp(prefix="nps-pdf-"))
    try:
        printable = work / "print.html"
        printable.write_text(text, encoding="utf-8")
        tmp_pdf = target.parent / f".{target.name}.{os.getpid()}.tmp"
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            if engine == "chromium":
                _chromium(printable, tmp_pdf, work / "profile", timeout)
            else:
                _weasyprint(printable, tmp_pdf)
            os.replace(tmp_pdf, target)
        finally:
            tmp_pdf.unlink(missing_ok=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def _chromium(html_file: Path, pdf_file: Path, profile: Path, timeout: float) -> None:
    binary = chromium_path()
    if binary is None:
        raise PDFError("headless Chromium is not installed (apt-get install chromium), and engine='chromium'")
    command = [
        binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={pdf_file}",
        html_file.resolve().as_uri(),
    ]
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise PDFError(f"Chromium took longer than {timeout:g} s to print the report") from None
    if not pdf_file.exists() or pdf_file.stat().st_size == 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise PDFError(f"Chromium wrote no PDF (exit {done.returncode}): {' | '.join(tail)}")


def _weasyprint(html_file: Path, pdf_file: Path) -> None:
    try:
        import weasyprint
    except ImportError:
        raise PDFError("no PDF engine: install chromium (apt) or weasyprint (pip)") from None
    # Only the report itself and data: URIs are read; nothing is fetched from the network.
    fetcher = weasyprint.URLFetcher(allowed_protocols={"data", "file"})
    weasyprint.HTML(filename=str(html_file), url_fetcher=fetcher).write_pdf(str(pdf_file))


def write_report_pdf(run_dir: str | os.PathLike[str], *, engine: str = "auto", timeout: float = 120.0) -> tuple[Path, float]:
    """``run_dir/report.pdf`` from ``run_dir/report.html``; returns the path and the seconds it took."""
    run_dir = Path(run_dir)
    t0 = time.monotonic()
    target = html_to_pdf(run_dir / "report.html", run_dir / "report.pdf", engine=engine, timeout=timeout)
    return target, time.monotonic() - t0
