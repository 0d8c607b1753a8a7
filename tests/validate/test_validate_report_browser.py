"""The validate report opens offline in headless Chromium with every figure drawn and hostile strings inert."""

from __future__ import annotations

import pytest
from report_browser import visit_report

from cosim.validate.report import write_validation_report
from cosim.validate.run import run_validation

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"


def test_validate_report_renders(write_csv, tmp_path, peer_root):
    csv = write_csv("dataset,device,kind,measured_us,m,n,k,op,tokens,hidden\n"
                    f"\"{XSS}\",h100-sxm,gemm,120,4096,4096,4096,,,\n"
                    f"\"{XSS}\",h100-sxm,gemm,15,16,4096,4096,,,\n"
                    f"\"{XSS}\",a100-80g,elementwise,30,,,,softmax,4096,4096\n")
    run = run_validation(["llmcompass-a100-ops"], [csv], split="all", peer_root=peer_root)
    path = write_validation_report(run, tmp_path / "validate.html", command=XSS)
    datasets = {m.dataset for m in run.measurements}
    visit = visit_report(path)
    assert visit.errors == [] and visit.dialogs == [] and visit.remote_requests == []
    assert len(visit.figure_ids) == 2 * len(datasets)  # scatter + error-vs-size per dataset
    assert visit.unrendered == []
    assert XSS not in path.read_text()  # escaped everywhere
