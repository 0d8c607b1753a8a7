"""notebooks/serving_whatif.ipynb runs top to bottom in the venv's kernel; its plotly figures survive HTML export."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "serving_whatif.ipynb"
PLOTLY_JSON = "application/vnd.plotly.v1+json"
FIGURES = 4


@pytest.fixture(scope="module")
def executed(execute_notebook):
    return execute_notebook(NOTEBOOK)


def test_notebook_executes_and_concludes(executed):
    outputs = executed.outputs
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    assert "best: " in text and "highest output throughput: " in text
    for policy in ("vllm", "sarathi", "orca", "static", "fairbatching"):
        assert f"  {policy}: p90 misses" in text


def test_figures_carry_an_offline_html_rendering(executed):
    outputs = executed.outputs
    figures = [o for o in outputs if PLOTLY_JSON in o.get("data", {})]
    assert len(figures) == FIGURES
    # what an HTML export shows: each figure's text/html draws it with Plotly.newPlot ...
    assert all("Plotly.newPlot" in o["data"].get("text/html", "") for o in figures)
    # ... with plotly.js inlined once, in the first figure, and nothing fetched from the network
    html = [o["data"]["text/html"] for o in figures]
    assert [h.count("plotly.js v") > 0 for h in html] == [True] + [False] * (FIGURES - 1)
    assert not [h for h in html if re.search(r"<script[^>]*\ssrc=", h)]


def test_exported_html_has_the_plots(executed):
    nbconvert = pytest.importorskip("nbconvert")
    body, _ = nbconvert.HTMLExporter().from_notebook_node(executed.nb)
    assert body.count("Plotly.newPlot") >= FIGURES
    assert not re.search(r"<script[^>]*\ssrc=[\"']https?://cdn\.plot\.ly", body)
    for title in ("TTFT: cumulative distribution", "TPOT: cumulative distribution", "Batch size over time"):
        assert title in body
