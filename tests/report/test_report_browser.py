"""Open generated reports in headless Chromium: every figure renders, offline, without console errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_browser import visit_report
from report_fakes import XSS, gpu_caps, make_drm, make_step, pim_caps

from cosim.report import Section, render_report
from cosim.report.figures import sweep_figure
from cosim.report.html import step_report_sections

pytestmark = pytest.mark.browser

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
    path, expected = _build_report(tmp_path)

    def roofline_has_data(page, visit):
        # data reached the plots: the roofline has ceilings and points drawn as SVG
        visit.extra["roofline_traces"] = page.locator("#cosim-fig-1 .scatterlayer .trace").count()
        visit.extra["answer"] = page.locator("#section-1 .text").inner_text()

    visit = visit_report(path, roofline_has_data)
    assert visit.rendered_attr == str(expected)
    assert len(visit.figure_ids) == expected
    assert visit.unrendered == []
    assert visit.extra["roofline_traces"] >= 3
    assert visit.errors == []
    assert visit.dialogs == []  # the hostile names never ran
    assert visit.remote_requests == []  # the report is self-contained
    assert visit.title == XSS  # shown literally, not parsed
    # the report states its answer first, computed from the results (the hostile name shown literally)
    assert visit.extra["answer"].startswith(f"Answer: {XSS}")
    assert "is the fastest configuration that fits" in visit.extra["answer"]
    assert "Does not fit in memory: gpu+pim · toy-7b · B=512 · ctx=32768." in visit.extra["answer"]
