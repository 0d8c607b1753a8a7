"""HTML reports: complete, self-contained, escaped, written atomically."""

from __future__ import annotations

import json
import re
from pathlib import Path

import plotly.graph_objects as go
import plotly.offline
import pytest
from report_fakes import XSS, gpu_caps, make_drm, make_step, pim_caps

from cosim.errors import CosimInputError
from cosim.report import Section, Table, output, render_report, write_step_report
from cosim.report import html as report_html
from cosim.report.figures import breakdown_figure, timeline_figure
from cosim.report.tables import format_cell, unit_for_column
from cosim.units import format_quantity

FIGURE_DATA = re.compile(r'<script type="application/json" class="cosim-figure-data" data-target="([^"]+)">'
                         r"(.*?)</script>", re.S)


def _figure_blocks(text: str) -> dict[str, dict]:
    return {fid: json.loads(body) for fid, body in FIGURE_DATA.findall(text)}


def test_report_is_complete_and_self_contained(tmp_path, steps):
    path = render_report("Study", [("Breakdown", "text", [breakdown_figure(steps), timeline_figure(steps[0])],
                                    [])], path=tmp_path / "out" / "report.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert text.count("<html") == 1 and text.count("</body>") == 1
    js = plotly.offline.get_plotlyjs()
    assert text.count(js) == 1  # inlined exactly once
    assert not re.search(r"<script[^>]*\bsrc=", text, re.I)  # nothing fetched from anywhere
    assert not re.search(r"<link[^>]*\bhref=", text, re.I)
    blocks = _figure_blocks(text)
    assert list(blocks) == ["cosim-fig-1", "cosim-fig-2"]
    for fid, spec in blocks.items():
        assert f'<div class="cosim-figure" id="{fid}"></div>' in text
        assert spec["data"] and "layout" in spec
    assert len(blocks["cosim-fig-1"]["data"]) == len(breakdown_figure(steps).data)
    assert f"cosim {report_html.cosim_version()}" in text


def test_every_user_string_is_escaped(tmp_path):
    gpu = gpu_caps(XSS)
    step = make_step(system=XSS, model=XSS, gpu=gpu, pim=pim_caps())
    step.notes.append(XSS)
    path = write_step_report([step], tmp_path / "r.html", title=XSS, devices_caps={XSS: gpu},
                             drm=make_drm(name=XSS, device=XSS), inputs={XSS: XSS, "params": {"k": XSS}},
                             text=XSS)
    text = path.read_text(encoding="utf-8")
    assert XSS not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    # the only script elements are ours: config, plotly.js, one JSON block per figure, the loader
    assert text.lower().count("<script") == 3 + len(_figure_blocks(text))
    # and escaped names survive the JSON round trip for plotly to display literally
    blob = json.dumps(list(_figure_blocks(text).values()))
    assert "&lt;script&gt;" in blob


def test_hand_written_sections_escape_headings_text_and_cells(tmp_path):
    table = [{"name": XSS, "latency_s": 1.5e-3}, {"name": "b", "latency_s": None}]
    text = render_report(XSS, [Section(XSS, XSS, tables=[table, Table(table, caption=XSS)])],
                         path=tmp_path / "r.html", inputs={"model": XSS}).read_text(encoding="utf-8")
    assert XSS not in text
    assert text.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 6


def test_figure_json_cannot_close_its_script_element():
    fig = go.Figure(go.Scatter(x=[1], y=[1], name="</script><script>alert(1)</script>&"))
    body = str(report_html.figure_json(fig))
    assert "<" not in body and ">" not in body and "&" not in body
    assert json.loads(body)["data"][0]["name"] == "</script><script>alert(1)</script>&"


def test_tables_format_numbers_with_units(tmp_path):
    rows = [{"device": "gpu", "latency_s": 0.0123, "capacity_bytes": 80 * 2**30, "bw_bytes_per_s": 3.35e12,
             "tokens_per_s": 1234.5, "batch": 1024, "fits": False, "ratio": 0.123456}]
    text = render_report("t", [("Table", "", [], [rows])], path=tmp_path / "t.html").read_text("utf-8")
    for expected in (format_quantity(0.0123, "s"), format_quantity(80 * 2**30, "B", binary=True),
                     format_quantity(3.35e12, "B/s"), format_quantity(1234.5, "tok/s"), "1,024", "no",
                     "0.1235"):
        assert f">{expected}</td>" in text
    assert '<td class="num">' in text and "<td>gpu</td>" in text


def test_unit_inference_from_column_names():
    assert unit_for_column("latency_s") == ("s", False)
    assert unit_for_column("mem_bw_bytes_per_s") == ("B/s", False)
    assert unit_for_column("capacity_bytes") == ("B", True)
    assert unit_for_column("tokens_per_s") == ("tok/s", False)
    assert unit_for_column("flops") == ("FLOP", False)
    assert unit_for_column("batch") is None
    assert format_cell("x", 2.0, {"x": "W"}) == format_quantity(2.0, "W")
    assert format_cell("latency_s", float("nan")) == "nan"
    assert format_cell("kinds", ["a", "b"]) == "a, b"


def test_failed_render_leaves_previous_report_untouched(tmp_path, monkeypatch, steps):
    path = tmp_path / "report.html"
    path.write_text("previous report")

    def explode(fig):
        raise RuntimeError("figure serialisation failed")

    monkeypatch.setattr(report_html, "figure_json", explode)
    with pytest.raises(RuntimeError):
        render_report("t", [("s", "", [breakdown_figure(steps)], [])], path=path)
    assert path.read_text() == "previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_failed_write_removes_the_temporary_file(tmp_path, monkeypatch, steps):
    path = tmp_path / "report.html"

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output.os, "fsync", disk_full)
    with pytest.raises(CosimInputError, match="No space left") as info:
        render_report("t", [("s", "", [breakdown_figure(steps)], [])], path=path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_destination_is_a_one_line_input_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CosimInputError, match="cannot write report") as info:
        render_report("t", [("s",)], path=blocker / "report.html")
    assert "\n" not in str(info.value)


def test_bad_section_is_rejected(tmp_path):
    with pytest.raises(CosimInputError, match="section"):
        render_report("t", ["just a string"], path=tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


def test_step_report_has_all_sections_and_figures(tmp_path, steps, caps):
    path = write_step_report(steps, tmp_path / "step.html", devices_caps=caps,
                             drm=[make_drm(2048), make_drm(8192)], inputs={"command": "cosim predict toy-7b"})
    text = path.read_text(encoding="utf-8")
    # roofline + 2 breakdowns + one timeline per result + DRM
    assert len(_figure_blocks(text)) == 1 + 2 + len(steps) + 1
    for heading in ("Summary", "Roofline", "Latency breakdown", "Decoder-layer timeline", "Memory",
                    "Disaggregated roofline", "Operators"):
        assert f"<h2>{heading}</h2>" in text
    assert "cosim predict toy-7b" in text and "gpu+pim, gpu-only" in text
    assert "hand-made test result" in text
    # one memory row per device per result, one operator table per result
    assert text.count("<caption>") == 2 + len(steps)


def test_step_report_needs_results(tmp_path):
    with pytest.raises(CosimInputError, match="no step results"):
        write_step_report([], tmp_path / "r.html")


def test_report_paths_do_not_depend_on_cwd(tmp_path, monkeypatch, steps):
    monkeypatch.chdir(tmp_path)
    assert report_html.TEMPLATE_DIR.is_absolute()
    out = write_step_report(steps[:1], Path("rel") / "r.html")
    assert (tmp_path / "rel" / "r.html").is_file() and out == Path("rel") / "r.html"


def test_summary_marks_configurations_that_do_not_fit(tmp_path):
    text = write_step_report([make_step(fits=True), make_step(batch=512, fits=False)],
                             tmp_path / "r.html").read_text(encoding="utf-8")
    summary = text.split("<h2>Summary</h2>")[1].split("</table>")[0]
    fits_cells = re.findall(r"<td>(yes|no)</td>", summary)
    assert fits_cells == ["yes", "no"]
