"""notebooks/dram_pim_whatif.ipynb runs top to bottom in the venv's own kernel; its figures survive HTML export."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[3] / "notebooks" / "dram_pim_whatif.ipynb"
PLOTLY_JSON = "application/vnd.plotly.v1+json"
FIGURES = 4
TITLES = ("Decode attention step", "Attention step vs ranksets", "Requests of 32K tokens that fit",
          "Attention-only decode throughput vs batch")


@pytest.fixture(scope="module")
def executed(execute_notebook):
    return execute_notebook(NOTEBOOK)


def test_notebook_executes_and_draws_plotly_figures(executed):
    outputs = executed.outputs
    assert not [o for o in outputs if o.get("output_type") == "error"]
    figures = [o for o in outputs if PLOTLY_JSON in o.get("data", {})]
    assert len(figures) == FIGURES
    text = "".join(o.get("text", "") for o in outputs)
    assert "fastest:" in text
    assert text.count("answer: ") == 3  # the conclusion, computed from the runs


def test_figures_carry_an_offline_html_rendering(executed):
    figures = [o for o in executed.outputs if PLOTLY_JSON in o.get("data", {})]
    html = [o["data"].get("text/html", "") for o in figures]
    # what an HTML export shows: each figure's text/html draws it with Plotly.newPlot ...
    assert all("Plotly.newPlot" in h for h in html)
    # ... with plotly.js inlined once, in the first figure, and nothing fetched from the network
    assert [h.count("plotly.js v") > 0 for h in html] == [True] + [False] * (FIGURES - 1)
    assert not [h for h in html if re.search(r"<script[^>]*\ssrc=", h)]


def test_exported_html_has_the_plots(executed):
    nbconvert = pytest.importorskip("nbconvert")
    body, _ = nbconvert.HTMLExporter().from_notebook_node(executed.nb)
    assert body.count("Plotly.newPlot") >= FIGURES
    assert not re.search(r"<script[^>]*\ssrc=[\"']https?://cdn\.plot\.ly", body)
    for title in TITLES:
        assert title in body


def test_every_axis_names_its_unit(executed):
    figures = [o["data"][PLOTLY_JSON] for o in executed.outputs if PLOTLY_JSON in o.get("data", {})]
    for fig in figures:
        layout = fig["layout"]
        for axis in ("xaxis", "yaxis"):
            title = layout.get(axis, {}).get("title", {}).get("text", "")
            assert title, f"{layout['title']['text']}: {axis} has no title"
            if axis == "yaxis":
                assert re.search(r"\(.+\)", title), f"{layout['title']['text']}: {axis} {title!r} names no unit"
