"""Headless Chromium (Debian's chromium + chromium-driver) driven by selenium, for report checks."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

from .system_deps import missing_tool

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def require_browser() -> None:
    """Skip when the browser is missing, with dev.py's reason (`python3 dev.py test` installs it as
    root); fail instead under CI=true."""
    if os.environ.get("NPS_SKIP_BROWSER") == "1":
        pytest.skip("NPS_SKIP_BROWSER=1")
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        missing_tool("chromium", f"headless Chromium is needed: {', '.join(missing)} missing",
                     install="apt-get install chromium chromium-driver")
    pytest.importorskip("selenium", reason="selenium is in the test extra")


@contextmanager
def chromium(width: int = 1280, height: int = 2000):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="nps-chromium-")
    options = Options()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-quic", "--no-first-run", f"--user-data-dir={profile}", f"--window-size={width},{height}",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def inspect_report(driver, report: Path) -> dict:
    """Open a report and return what a reader gets: script side effects, images, tables, text."""
    driver.get(report.resolve().as_uri())
    return driver.execute_script(
        """
        return {
          pwned: (typeof window.__pwned === 'undefined') ? null : window.__pwned,
          title: document.title,
          scripts: document.scripts.length,
          images: Array.from(document.images).map(i => ({complete: i.complete, width: i.naturalWidth, src: i.src.slice(0, 22)})),
          tables: document.querySelectorAll('table').length,
          table_rows: document.querySelectorAll('table tr').length,
          text: document.body.innerText,
        };
        """
    )
