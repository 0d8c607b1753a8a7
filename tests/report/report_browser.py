"""Open a generated report in headless Chromium (Debian's) and record what a reader would see."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
RENDER_TIMEOUT_MS = 60_000


@dataclass
class BrowserVisit:
    rendered_attr: str | None = None
    figure_ids: list[str] = field(default_factory=list)
    unrendered: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    remote_requests: list[str] = field(default_factory=list)
    title: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _unavailable(reason: str) -> None:
    """Skip locally; fail where the browser is required (CI sets COSIM_REQUIRE_BROWSER=1)."""
    if os.environ.get("COSIM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser test required but {reason}")
    pytest.skip(reason)


def chromium_path() -> str:
    path = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if path is None:
        _unavailable("chromium is not installed (apt-get install chromium, or `make chromium`)")
    return path


def visit_report(path: Path, inspect: Callable[[Any, BrowserVisit], None] | None = None) -> BrowserVisit:
    """Load ``path``, wait until every figure has been drawn, check each has a plot; skip without a browser."""
    try:
        from playwright import sync_api
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    executable = chromium_path()
    visit = BrowserVisit()
    with sync_api.sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        except sync_api.Error as exc:  # e.g. a chromium too old or too new for this playwright
            _unavailable(f"cannot launch chromium at {executable}: {str(exc).splitlines()[0]}")
        try:
            page = browser.new_page()
            page.on("console", lambda msg: visit.errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: visit.errors.append(f"page error: {exc}"))
            page.on("dialog", lambda dialog: (visit.dialogs.append(dialog.message), dialog.dismiss()))
            page.on("request", lambda req: visit.remote_requests.append(req.url)
                    if not req.url.startswith(("file:", "data:", "blob:", "about:")) else None)
            page.goto(path.as_uri())
            page.wait_for_selector("body[data-figures-rendered]", state="attached", timeout=RENDER_TIMEOUT_MS)
            visit.rendered_attr = page.get_attribute("body", "data-figures-rendered")
            visit.figure_ids = page.eval_on_selector_all(".cosim-figure", "els => els.map(e => e.id)")
            visit.unrendered = [fid for fid in visit.figure_ids
                                if page.locator(f"#{fid} .main-svg").count() < 1
                                or page.locator(f"#{fid} .plot-container").count() != 1]
            if inspect is not None:
                inspect(page, visit)
            visit.title = page.title()
        finally:
            browser.close()
    return visit
