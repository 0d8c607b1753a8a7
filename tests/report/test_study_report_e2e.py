"""End to end: `cosim run` on a small study writes a report that renders in Chromium without errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_browser import visit_report

from cosim.cli.main import main

SMALL_STUDY = """\
name: small-e2e
title: "Small <b>end-to-end</b> study"
description: Decode of a 7B model on two systems, tiny grid.
model: llama2-7b
phase: decode
systems: [gpu-only, gpu+l3]
tp: 1
dtype: fp16
batch: [1, 8, 64]
context: [1024, 4096]
detail_batch: 8
"""


@pytest.fixture(scope="module")
def study_report(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("study")
    study = folder / "small.yaml"
    study.write_text(SMALL_STUDY)
    out = folder / "small.html"
    assert main(["run", str(study), "--out", str(out)]) == 0
    return out


def test_study_report_is_self_contained_html(study_report: Path):
    text = study_report.read_text()
    assert text.startswith("<!DOCTYPE html>") or text.lower().startswith("<!doctype html>")
    assert "<script src=\"http" not in text
    assert "Small &lt;b&gt;end-to-end&lt;/b&gt; study" in text  # user strings escaped


@pytest.mark.browser
def test_study_report_renders_in_chromium(study_report: Path):
    def answer(page, visit):
        visit.extra["summary"] = page.locator("#section-1 .text").inner_text()

    visit = visit_report(study_report, answer)
    assert visit.extra["summary"].startswith("Answer: at context 4,096 (the longest studied), ")
    assert "reaches the highest decode throughput" in visit.extra["summary"]
    assert visit.figure_ids, "no figures in the study report"
    assert visit.rendered_attr == str(len(visit.figure_ids))
    assert visit.unrendered == []
    assert visit.errors == []
    assert visit.remote_requests == []
