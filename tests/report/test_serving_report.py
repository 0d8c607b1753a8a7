"""cosim.report.serving: the HTML report of a serving run (plain checks; the browser test is below, marked)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from report_browser import visit_report
from serving_fixtures import fake_run, hardware_run

from cosim.errors import CosimInputError
from cosim.report.serving import (
    FIGURE_TITLES,
    answer_text,
    binned_time_average,
    tokens_per_iteration,
    write_serving_report,
)

XSS = "<script>alert(1)</script>"


def _figures(html: str) -> list[dict]:
    blocks = re.findall(r'<script type="application/json" class="cosim-figure-data"[^>]*>(.*?)</script>', html,
                        flags=re.S)
    return [json.loads(b) for b in blocks]


def test_report_has_the_answer_figures_and_escapes_the_title(tmp_path):
    result = fake_run(dp=2, rate=4.0, capacity_tokens=1_500)
    path = write_serving_report(result, tmp_path / "serve.html", title=XSS, slo_ttft_s=2.0, slo_tpot_s=0.05)
    html = path.read_text(encoding="utf-8")
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    figs = _figures(html)
    titles = [f["layout"]["title"]["text"] for f in figs]
    assert len(figs) == len(FIGURE_TITLES)
    for expected in FIGURE_TITLES:
        assert any(t.startswith(expected) for t in titles), expected
    for f in figs:  # every axis says what it measures, with its unit where it has one
        assert f["layout"]["xaxis"]["title"]["text"] and f["layout"]["yaxis"]["title"]["text"]
    assert figs[0]["layout"]["xaxis"]["title"]["text"].startswith("TTFT (")
    assert figs[1]["layout"]["xaxis"]["title"]["text"].startswith("TPOT (")
    assert all(f["layout"].get("shapes") for f in figs[:2])  # the SLO lines
    assert len(figs[3]["data"]) == 2  # batch size: one line per replica
    summary = result.summary(2.0, 0.05)
    sentence = answer_text(summary, 2.0, 0.05)
    assert sentence in html
    assert f"{summary['output_tokens_per_s']:,.0f} tokens/s" in sentence
    assert f"{summary['slo_attainment'] * 100:.0f} % of requests meet both SLOs" in sentence
    assert "1 request rejected" in sentence
    for text in ("Run totals", "Latency over completed requests", "Settings of the run", "policy_options.",
                 "TTFT SLO"):
        assert text in html


def test_answer_text_states_misses():
    result = hardware_run()
    summary = result.summary(slo_ttft_s=0.001)
    sentence = answer_text(summary, 0.001, None)
    assert "misses the 1 ms SLO" in sentence
    assert "0 % of requests meet the TTFT SLO" in sentence


def test_throughput_series_counts_every_output_token():
    result = hardware_run()
    assert tokens_per_iteration(result).sum() == result.summary()["output_tokens"]


def test_binned_time_average_is_exact():
    edges = np.linspace(0, 10, 6)
    out = binned_time_average(np.array([0.0, 3, 5]), np.array([3.0, 4, 10]), np.array([1.0, 2, 4]), edges)
    assert out.tolist() == pytest.approx([1.0, 1.5, 2.0, 4.0, 4.0])


def test_report_without_slos_and_refusing_a_directory(tmp_path):
    result = hardware_run()
    path = write_serving_report(result, tmp_path / "r.html", title="plain")
    html = path.read_text(encoding="utf-8")
    assert "SLO" not in answer_text(result.summary())
    assert all(not f["layout"].get("shapes") for f in _figures(html)[:2])
    (tmp_path / "d").mkdir()
    with pytest.raises(CosimInputError, match="not a regular file"):
        write_serving_report(result, tmp_path / "d", title="x")


@pytest.mark.browser
def test_serving_report_renders_in_chromium(tmp_path):
    result = fake_run(dp=2, rate=4.0, capacity_tokens=1_500)
    path = write_serving_report(result, tmp_path / "serve.html", title=XSS, slo_ttft_s=2.0, slo_tpot_s=0.05)
    visit = visit_report(path)
    assert visit.rendered_attr == str(len(FIGURE_TITLES))
    assert len(visit.figure_ids) == len(FIGURE_TITLES)
    assert visit.unrendered == []
    assert visit.errors == []
    assert visit.dialogs == []
    assert visit.remote_requests == []
    assert visit.title == XSS


def test_every_axis_names_its_unit(tmp_path):
    path = write_serving_report(fake_run(dp=2, rate=4.0), tmp_path / "serve.html", title="units",
                                slo_ttft_s=2.0, slo_tpot_s=0.05)
    for fig in _figures(path.read_text(encoding="utf-8")):
        for name, axis in fig["layout"].items():
            if re.fullmatch(r"[xy]axis\d*", name) and axis.get("visible", True):
                title = (axis.get("title") or {}).get("text", "")
                assert re.search(r"\([^)]+\)$", title), f"{fig['layout']['title']['text']}: {name} {title!r}"
