"""Open generated reports in headless Chromium: every figure renders, offline, without console errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from report_fakes import XSS, gpu_caps, make_drm, make_step, pim_caps

from cosim.report import Section, render_report
from cosim.report.figures import sweep_figure
from cosim.report.html import step_report_sections

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
RENDER_TIMEOUT_MS = 60_000


def _chromium() -> str:
    path = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if path is None:
        pytest.skip("chromium is not installed (apt-get install chromium, or `make chromium`)")
    return path


def _sweep_section() -> Section:
    rows = [{"system": system, "context": context, "batch": batch, "fits": batch * context <= 2**18,
             "tokens_per_s": 50.0 * batch * (2 if system == "gpu+pim" else 1)}
            for system in ("gpu", "gpu+pim") for context in (4096, 16384) for batch in (1, 8, 64, 256)]
    return Section("Sweep", "Decode throughput per system.",
                   [sweep_figure(rows, "batch", "tokens_per_s", "system", dash="context", log_x=True),
                    sweep_figure(rows, "batch", "tokens_per_s", "system", facet="context")])


def _build_report(tmp_path: Path) -> tuple[Path, int]:
    """A report with every figure kind, and hostile strings in every user-provided name."""
    gpu, pim = gpu_caps(XSS), pim_caps()
    results = [make_step(XSS, 8, 2048, model=XSS, gpu=gpu, pim=pim), make_step("gpu+pim", 64, 8192),
               make_step("gpu+pim", 512, 32768, fits=False)]
    sections = step_report_sections(results, devices_caps={XSS: gpu, "pim": pim, "gpu": gpu_caps()},
                                    drm=[make_drm(4096, name=XSS), make_drm(16384)], text=XSS)
    sections.append(_sweep_section())
    expected = sum(len(s.figures) for s in sections)
    path = render_report(XSS, sections, path=tmp_path / "report.html", inputs={"study": XSS})
    return path, expected


def test_report_renders_every_figure_in_chromium(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    executable = _chromium()
    path, expected = _build_report(tmp_path)
    errors: list[str] = []
    dialogs: list[str] = []
    remote: list[str] = []
    with sync_api.sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        except sync_api.Error as exc:  # e.g. a chromium too old or too new for this playwright
            pytest.skip(f"cannot launch chromium at {executable}: {str(exc).splitlines()[0]}")
        try:
            page = browser.new_page()
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.on("request", lambda req: remote.append(req.url)
                    if not req.url.startswith(("file:", "data:", "blob:", "about:")) else None)
            page.goto(path.as_uri())
            page.wait_for_selector("body[data-figures-rendered]", state="attached", timeout=RENDER_TIMEOUT_MS)
            assert page.get_attribute("body", "data-figures-rendered") == str(expected)
            figure_ids = page.eval_on_selector_all(".cosim-figure", "els => els.map(e => e.id)")
            assert len(figure_ids) == expected
            for fid in figure_ids:
                rendered = page.locator(f"#{fid} .main-svg")
                assert rendered.count() >= 1, f"{fid} has no rendered plot"
                assert page.locator(f"#{fid} .plot-container").count() == 1
            # data reached the plots: the roofline has ceilings and points drawn as SVG
            assert page.locator("#cosim-fig-1 .scatterlayer .trace").count() >= 3
            title = page.title()
        finally:
            browser.close()
    assert errors == []
    assert dialogs == []  # the hostile names never ran
    assert remote == []  # the report is self-contained
    assert title == XSS  # shown literally, not parsed
