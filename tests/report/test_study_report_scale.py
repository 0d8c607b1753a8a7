"""A study with many contexts builds its report (issue 14, item 5: more than 26 contexts crashed in plotly's
subplot spacing after all the compute was done)."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_browser import visit_report

from cosim.cli.main import main

CONTEXTS = [512 * (i + 1) for i in range(30)]
MANY_CONTEXTS = f"""\
name: many-contexts
title: Thirty context lengths
model: llama2-7b
phase: decode
systems: [gpu-only, gpu+l3]
dtype: fp16
batch: [1, 8]
context: {CONTEXTS}
detail_batch: 8
"""


@pytest.fixture(scope="module")
def many_context_report(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("many")
    study = folder / "many.yaml"
    study.write_text(MANY_CONTEXTS)
    out = folder / "many.html"
    assert main(["run", str(study), "--out", str(out)]) == 0
    return out


def test_thirty_context_study_builds_its_report(many_context_report: Path):
    text = many_context_report.read_text()
    assert "Thirty context lengths" in text
    assert '"sliders"' in text  # the sweep charts select the context instead of 30 panels in a row


@pytest.mark.browser
def test_thirty_context_report_renders_in_chromium(many_context_report: Path):
    visit = visit_report(many_context_report)
    assert visit.figure_ids
    assert visit.rendered_attr == str(len(visit.figure_ids))
    assert visit.unrendered == [] and visit.errors == []
